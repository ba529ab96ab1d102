"""`arena play`: open the sandbox on an arena, a saved run, a checkpoint or a brain."""

import json
import os
import sys
import threading
from pathlib import Path

import numpy as np

from arena.arenas.base import SCRIPTED
from arena.brains.netbatch import forward
from arena.core.cli import parse_size
from arena.core.errors import ArenaError, BrainError, UsageError
from arena.core.fileio import read_json
from arena.evaluate import backend_from_args

DEFAULT_POPULATION = 200
WARM_UP_THREADS = ("warm-up", "warm-the-rest")  # threads that compile kernels while the window opens


def load_kind(path) -> str:
    """'run' (a run folder), 'checkpoint' or 'brain', from what `path` is; ArenaError otherwise."""
    path = Path(path)
    if path.is_dir():
        return "run"
    data = read_json(path, "file to load", ArenaError)
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == "arena.checkpoint":
        return "checkpoint"
    if kind == "arena.brain":
        return "brain"
    raise ArenaError(f"{path}: neither a checkpoint nor a brain file (field 'format' is {kind!r})")


def check_args(args):
    """Refuse what cannot work before a window opens; returns the kind of `--load` (or None)."""
    from arena.arenas import get_arena

    kind = load_kind(args.load) if args.load else None
    if kind is None and args.arena is None:
        raise UsageError("name an arena to play (tunnel, racing, cartpole), or --load a run, checkpoint or brain")
    if args.arena is not None:
        get_arena(args.arena)
    settings = (("--brain", args.brain), ("--population", args.population), ("--seed", args.seed),
                ("--objective", args.objective), ("--novelty-k", args.novelty_k))
    given = [flag for flag, value in settings + (("--level", args.level),) if value is not None]
    if kind in ("run", "checkpoint") and given:
        raise UsageError(f"a saved run brings its own settings; drop {', '.join(given)}")
    given = [flag for flag, value in settings if value is not None]
    if kind == "brain" and given:
        raise UsageError(f"a loaded brain races as it is; {', '.join(given)} apply to evolving runs only")
    if args.speed == "turbo" and kind == "brain":
        raise UsageError("--speed turbo evolves headless; a loaded brain has nothing to evolve")
    if args.speed == "turbo" and args.human:
        raise UsageError("--speed turbo runs generations headless; drive with --human at another speed")
    check_window_args(args)
    return kind


def build_live(args):
    """The LiveRun that `args` ask for (see `arena play --help`)."""
    from arena.arenas import get_arena
    from arena.persist.brainfile import check_compatible, load_brain
    from arena.persist.runs import resume_session
    from arena.session import TrainSession
    from arena.ui.draw import renderer_class
    from arena.ui.live import LiveRun

    kind = check_args(args)
    session = brains = None
    if kind in ("run", "checkpoint"):
        if kind == "run":
            session, _ = resume_session(args.load, warn=lambda m: print(f"arena play: {m}", file=sys.stderr))
        else:
            session = TrainSession.from_checkpoint(args.load)
        arena = session.arena
    elif kind == "brain":
        brain = load_brain(args.load)
        try:
            arena = get_arena(brain.arena)
        except ArenaError as exc:
            raise BrainError(f"{args.load}: {exc}") from None
        check_compatible(brain, arena.spec, source=args.load)
        brains = [brain]
    if kind is None:
        arena = get_arena(args.arena)
    elif args.arena and args.arena != arena.spec.name:
        raise UsageError(f"{args.load} is for arena {arena.spec.name!r}, not {args.arena!r}")
    if brains is None and session is None:
        session = evolving_session(arena.spec.name, args.level, args.population or DEFAULT_POPULATION,
                                   args.seed or 0, args.brain or "mlp", args.objective or "fitness",
                                   args.novelty_k or 15)
    if session is not None:
        session.backend = backend_from_args(args)
    elif getattr(args, "backend", "serial") != "serial":
        raise UsageError(f"--backend {args.backend} evaluates generations; a loaded brain has none to evaluate")
    level = session.level if session is not None else (
        arena.load_level(args.level) if args.level else arena.load_level(arena.default_level_path()))
    live = LiveRun(arena, level, session=session, brains=brains, trails=renderer_class(arena).trails)
    if args.human:
        live.set_human(True)
    _warm(live)
    return live


def evolving_session(arena_name: str, level_path, population: int = DEFAULT_POPULATION, seed: int = 0,
                     brain: str = "mlp", objective: str = "fitness", novelty_k: int = 15):
    """A new population to evolve live on `level_path` (None: the arena's default level), for as
    long as the window stays open; checkpoints only when asked for."""
    from arena.session import TrainConfig, TrainSession

    return TrainSession(TrainConfig(arena=arena_name, level=None if level_path is None else str(level_path),
                                    brain=brain, population=population, generations=2**62, seed=seed,
                                    checkpoint_every=0, objective=objective, novelty_k=novelty_k))


def evolving_live(arena_name: str, level_path, population: int = DEFAULT_POPULATION, seed: int = 0):
    """A LiveRun of a new population on `level_path` (what the editor's F5 plays), warmed up."""
    from arena.ui.draw import renderer_class
    from arena.ui.live import LiveRun

    session = evolving_session(arena_name, level_path, population, seed)
    live = LiveRun(session.arena, session.level, session=session, trails=renderer_class(session.arena).trails)
    _warm(live)
    return live


def _warm(live):
    """Compile (or load from numba's cache) what the first frame runs, on throwaway state."""
    arena, level, run = live.arena, live.level, live.run
    state = arena.reset(level, run.n, np.zeros(run.n, dtype=np.uint64))
    arrays = {role: net.arrays() for role, net in run.nets.items() if net is not SCRIPTED}
    arena.advance(level, state, run.nets, arrays, 1)
    from arena.ui.draw import warm_skin_painting

    warm_skin_painting(live.view_skins())


def warm_the_rest(live):
    """Start compiling, in the background, the kernels only some keys need (inspect, your car,
    next generation, turbo): with a cold cache the window opens a minute sooner. A key pressed
    before they are ready waits for numba's compiler lock, then runs."""
    from arena.ui.draw import kernels_thread_safe

    if not kernels_thread_safe():
        return  # numba's workqueue layer aborts on parallel kernels launched from two threads at once
    arena, level, run = live.arena, live.level, live.run
    nets, n = run.nets, run.n

    def work():
        seeds = np.zeros(n, dtype=np.uint64)
        state = arena.reset(level, n, seeds)
        observed = arena.observe(level, state)
        actions = {role: None if nets[role] is SCRIPTED else forward(nets[role], observed[role]) for role in nets}
        arena.step(level, state, actions)
        live.backend.evaluate(arena, level, nets, seeds, 1)

    threading.Thread(target=work, name="warm-the-rest", daemon=True).start()


def parse_window_size(text):
    return parse_size(text, (320, 240), example="1280x800")


def run_play(args) -> int:
    return exit_past_warm_up(_run_play(args))


def _run_play(args) -> int:
    check_args(args)
    return run_window("play", args, lambda: build_live(args))


def check_window_args(args) -> None:
    """Refuse a bad --size or --screenshot before anything runs."""
    parse_window_size(args.size)
    if args.screenshot:
        check_screenshot_path(Path(args.screenshot))


def watch_matches(command: str, arena, matches: list, level, args) -> int:
    """`arena duel --watch` and `arena tournament --watch`: the first game on `level` of each
    match [a, b] (entrants), a round each, in turn (see `matches_live`); H joins as one more player."""
    return exit_past_warm_up(run_window(command, args, lambda: matches_live(arena, matches, level, args.seed,
                                                                               args.human)))


def matches_live(arena, matches: list, level, seed: int, human: bool = False):
    """A LiveRun showing the first game on `level` of each match [a, b] (entrants) in turn, a
    round each, warmed up. Brains of one role play side by side; a Pac-Man brain plays against
    the ghost brain (he is the one on screen, so that a human joining plays Pac-Man); tank brain
    a drives tank 0 (the one the camera and the inspector follow) against b. Matches whose
    brains on screen play another role than the first match's are left out."""
    from arena.matches.duel import KIND_PARALLEL, KIND_TANKS, duel_level, match_games, match_kind
    from arena.ui.draw import renderer_class
    from arena.ui.live import LiveRun, WatchedMatch

    playlist = []
    for a, b in matches:
        kind = match_kind(a, b)
        game_seed = match_games(arena.spec.name, kind, a.role, 1, seed, 1)[0].seed
        if kind == KIND_PARALLEL:
            brains, opponents = [a.brain, b.brain], {}
        elif kind == KIND_TANKS:
            from arena.arenas.tanks import RIVAL

            brains, opponents = [a.brain], {RIVAL: b.brain}
        else:
            pacman, ghost = (a, b) if a.role == "pacman" else (b, a)
            brains, opponents = [pacman.brain], {"ghost": ghost.brain}
        if brains[0].role == (playlist[0].brains[0].role if playlist else brains[0].role):
            playlist.append(WatchedMatch(f"{a.path} against {b.path}", brains, opponents, game_seed))
    if match_kind(*matches[0]) == KIND_TANKS:
        level = duel_level(level)
    live = LiveRun(arena, level, playlist=playlist, trails=renderer_class(arena).trails)
    if human:
        live.set_human(True)
    _warm(live)
    return live


def run_window(command: str, args, build) -> int:
    """Open the sandbox window on the LiveRun `build()` makes (in the background, while the window
    shows that it is warming up), run it until it closes, and keep what evolved."""
    from arena.ui.app import open_window
    from arena.ui.sandbox import SandboxView

    app = open_window(command, parse_window_size(args.size), max_fps=args.max_fps, gl=not args.no_gl)
    try:
        live = app.wait_for(build, "warming up (numba compiles once, then caches)")
        if live is None:
            return 0
        try:
            load = session_loader(live)
            app.view = SandboxView(live, app.screen.get_size(), Path(args.save_dir), load, overlay_off=app.gl_off)
            warm_the_rest(live)
            if args.speed != "1x":
                live.set_speed(args.speed)
            code = app.run(args.frames)
            if not args.no_autosave and app.view.unsaved_progress():
                _save_on_exit(app.view)
            if args.screenshot:
                app.save_screenshot(args.screenshot)
        finally:
            live.close()
            live.backend.close()
            live.writer.close()  # the saves the window made, whole on disk before the program ends
        if args.json:
            print(json.dumps({
                "frames": app.frames, **app.frame_rates(), "agents": live.run.n, "generation": live.generation,
                "speed": live.speed, "generations_closed": app.view.closed_generations,
                "seconds": round(app.loop_seconds, 3),
            }))
        return code
    except KeyboardInterrupt:
        return 130
    finally:
        app.close()


def exit_past_warm_up(code: int) -> int:
    """`code`, once the window has closed; or leave at once if a warm-up thread is still compiling kernels: it cannot be stopped, and
    the interpreter's exit can wait on it (numba's compiler lock, the OpenMP runtime) for as
    long as the compiling takes. Every save has finished by now, so nothing is lost."""
    if not any(thread.name in WARM_UP_THREADS and thread.is_alive() for thread in threading.enumerate()):
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _save_on_exit(view):
    """Keep what evolved: closing the window, Q or Ctrl-C must not throw generations away."""
    try:
        path = view.write_state()
        view.live.writer.drain()
    except (ArenaError, OSError) as exc:
        print(f"arena play: the evolutionary state was not saved on exit: {exc}", file=sys.stderr)
        return
    print(f"arena play: saved generation {view.live.generation} to {path} "
          f"(continue with: arena play --load {path})", file=sys.stderr)


def session_loader(live):
    if live.session is None:
        return None
    from arena.session import TrainSession

    return TrainSession.from_checkpoint


def check_screenshot_path(path: Path):
    if os.path.lexists(path):
        raise UsageError(f"--screenshot {path}: already exists (not overwriting it)")
    if not path.parent.is_dir():
        raise UsageError(f"--screenshot {path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise UsageError(f"--screenshot {path}: folder {path.parent} is not writable")
    if path.suffix.lower() not in (".png", ".bmp", ".tga", ".jpg", ".jpeg"):
        raise UsageError(f"--screenshot {path}: use a .png, .bmp, .tga or .jpg name")


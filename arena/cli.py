"""The `arena` command."""

import contextlib
import json
import sys
import time
from pathlib import Path

from arena.core.cli import OneLineParser, parse_size, run_guarded
from arena.core.errors import ArenaError, BrainError, LevelError, UsageError
from arena.evaluate import BACKENDS

PROG = "arena"
# The strategies' preset names, kept here so that --help needs no numba import (a test keeps
# them in step with arena.evolve.ga.PRESETS and arena.evolve.neat.PRESETS)
GA_PRESETS = ("default", "classic")
NEAT_PRESETS = ("paper", "xor")
SPEEDS = ("1x", "2x", "4x", "16x", "max", "turbo")  # kept equal to arena.ui.live.SPEEDS by a test
_TRAIN_SETTINGS = ("arena", "level", "brain", "hidden", "population", "seed", "ga", "neat", "recurrent", "opponents",
                   "objective", "novelty_k", "out")


def _int_at_least(minimum: int):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise _type_error(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise _type_error(f"expected a number of at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise _type_error(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise _type_error(f"expected a positive number, got {text!r}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise _type_error(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise _type_error(f"a seed must be from 0 to 2**63 - 1, got {value}")
    return value


def _hidden(text):
    if text.strip() in ("", "none", "0"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise _type_error(f"expected sizes like 8,4, got {text!r}") from None
    if any(s < 1 or s > 4096 for s in sizes):
        raise _type_error(f"hidden layer sizes must be from 1 to 4096, got {text!r}")
    return sizes


def _type_error(message):
    import argparse

    return argparse.ArgumentTypeError(message)


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog=PROG, description="Neuroarena: watch neural networks evolve in arcade arenas.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    commands.required = True

    play = commands.add_parser("play", help="watch a population evolve in a window, inspect it, drive yourself")
    _population_arguments(play, "optional with --load", 200)
    play.add_argument("--load", metavar="PATH",
                      help="continue a run folder or checkpoint, or watch (or race, with --human) a saved brain")
    play.add_argument("--human", action="store_true", help="start with your own car (arrow keys) in the race")
    play.add_argument("--speed", choices=SPEEDS, default="1x", help="starting speed (default 1x)")
    play.add_argument("--save-dir", default="saves",
                      help="where Ctrl+S, B and quitting save, and Ctrl+L loads (default saves)")
    play.add_argument("--no-autosave", action="store_true", help="do not save the evolutionary state on quitting")
    _window_arguments(play, 120)
    play.add_argument("--no-gl", action="store_true",
                      help="draw without OpenGL (no overlay: the network view needs it)")
    play.add_argument("--json", action="store_true", help="print frame rates and progress as JSON, last line")
    _backend_arguments(play, " (turbo speed and N)")
    play.set_defaults(handler=cmd_play)

    edit = commands.add_parser("edit", help="the level editor: build or change a track, field or maze, and "
                                             "watch a population evolve on it (F5)")
    edit.add_argument("arena", help="racing, tanks or pacman")
    edit.add_argument("level", nargs="?",
                      help="the level file to open, or to create if it does not exist yet (default: a new level, "
                           "named when first saved)")
    edit.add_argument("--save-dir", default="saves",
                      help="where save as suggests names, and where F5 keeps copies of unsaved levels and what "
                           "evolved on them (default saves)")
    edit.add_argument("--population", type=_positive_int, default=200, help="agents F5 evolves (default 200)")
    edit.add_argument("--seed", type=_seed, default=0, help="random seed of the population F5 evolves (default 0)")
    _window_arguments(edit, 60)
    edit.add_argument("--no-gl", action="store_true", help="draw without OpenGL (no network view while playing)")
    edit.set_defaults(handler=cmd_edit)

    train = commands.add_parser("train", help="evolve a population headless and save the best brain")
    _population_arguments(train, "not with --resume", 100)
    train.add_argument("--hidden", type=_hidden, help="mlp hidden layer sizes, e.g. 8,4 (default: the arena's)")
    train.add_argument("--generations", type=_positive_int,
                       help="generations to run in all (default 100; with --resume, the new total)")
    train.add_argument("--ga", choices=GA_PRESETS, help="mlp GA settings: default, or classic (seed 001's)")
    train.add_argument("--neat", choices=sorted(NEAT_PRESETS), help="NEAT settings preset (default paper)")
    train.add_argument("--recurrent", action="store_true", default=None, help="neat: allow recurrent connections")
    train.add_argument("--opponents", type=_positive_int,
                       help="pacman: games each genome plays against the other role's champions (default 4)")
    train.add_argument("--checkpoint-every", type=_non_negative_int,
                       help="generations between checkpoints (default 10; 0: only at the end)")
    train.add_argument("--keep-checkpoints", type=_positive_int, default=3, metavar="M",
                       help="checkpoints to keep, the newest (default 3)")
    train.add_argument("--out", help="run folder (default runs/<arena>-s<seed>-<time>); must not hold a run")
    train.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its newest checkpoint")
    _backend_arguments(train)
    train.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    train.set_defaults(handler=cmd_train)

    evaluate = commands.add_parser("eval", help="test a saved brain on levels")
    evaluate.add_argument("brain", help="a .brain.json file")
    evaluate.add_argument("--level", action="append", default=[], help="level file (repeat for several)")
    evaluate.add_argument("--generated", type=_positive_int, help="also test on N generated levels")
    evaluate.add_argument("--seed", type=_seed, default=0, help="seed of the first generated level (default 0)")
    evaluate.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    evaluate.set_defaults(handler=cmd_eval)

    duel = commands.add_parser(
        "duel", help="two saved brains against each other",
        description="Two saved brains of one arena meet on its levels. Two brains of one role each play the "
                    "same level and seed, the other roles scripted, and the better game wins (racing: further, "
                    "then faster). A Pac-Man brain and a ghost brain play one maze: the ghosts win by catching "
                    "him, he wins by clearing it or lasting to the time limit. Two tank brains share one field "
                    "and compete for its points, each seed from both starts. Racing, the tunnel and Pac-Man "
                    "against a ghost brain are the same game for every seed: one game a level there.")
    duel.add_argument("a", help="a .brain.json file")
    duel.add_argument("b", help="another .brain.json file, of the same arena")
    _match_arguments(duel)
    duel.add_argument("--json", action="store_true", help="print the result as JSON")
    _backend_arguments(duel)
    _watch_arguments(duel, "watch the game on the first level in a window, round after round, instead (racing: "
                           "both cars on one track; tanks: the view follows A's tank)")
    duel.set_defaults(handler=cmd_duel)

    tournament = commands.add_parser(
        "tournament", help="saved brains in a tournament, rated",
        description="Saved brains of one arena meet pair by pair (as in arena duel): a round robin, or Swiss "
                    "rounds for more than 12 brains. openskill ratings (Plackett-Luce) rank them by their "
                    "ordinal (mu - 3 sigma). With --ratings the ratings file and a match log beside it "
                    "(.matches.jsonl) are kept; run the same command again to resume, or with more --rounds to "
                    "go on.")
    tournament.add_argument("brains", nargs="+", metavar="BRAIN", help=".brain.json files, at least 2")
    tournament.add_argument("--rounds", type=_positive_int,
                            help="rounds (default: a whole round robin, or ceil(log2 n) + 2 Swiss rounds)")
    tournament.add_argument("--ratings", metavar="FILE",
                            help="keep the ratings in FILE (.json) and the match log beside it, and resume from them")
    _match_arguments(tournament)
    tournament.add_argument("--json", action="store_true", help="print the leaderboard as JSON")
    _backend_arguments(tournament)
    _watch_arguments(tournament, "then watch the matches in a window, in schedule order, a round each: the "
                                 "first game of each on the first level")
    tournament.set_defaults(handler=cmd_tournament)

    levels = commands.add_parser("levels", help="check level files, or generate new ones")
    level_commands = levels.add_subparsers(dest="levels_command", metavar="SUBCOMMAND", parser_class=OneLineParser)
    level_commands.required = True
    check = level_commands.add_parser("check", help="load and validate level files (exit 2 if any is bad)")
    check.add_argument("paths", nargs="+", metavar="PATH",
                       help="level files: JSON (the arena is read from the file), or Pac-Man text grids (.txt, .lay)")
    check.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    check.set_defaults(handler=cmd_levels)
    new = level_commands.add_parser("new", help="write a new level: a seeded generated one (--generate)")
    new.add_argument("arena", help="tunnel, racing, cartpole, tanks or pacman")
    new.add_argument("--generate", action="store_true", help="generate the level from --seed (required for now)")
    new.add_argument("--seed", type=_seed, default=0, help="the generator's seed (default 0): a seed is a level")
    new.add_argument("--out", required=True, help="the level file to write (.json; Pac-Man also .txt or .lay)")
    new.add_argument("--force", action="store_true", help="replace an existing file")
    new.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    new.set_defaults(handler=cmd_levels)

    bench = commands.add_parser("bench", help="measure a rollout kernel against a numpy stepper, or NEAT")
    bench.add_argument("arena", help="tunnel, racing, tanks or pacman; neat (XOR, double pole, racing with "
                                     "NEAT networks); backends (serial, pool and dask on one generation); or cppn "
                                     "(painting a 20-hidden-node CPPN at 1080x1080)")
    bench.add_argument("--on", metavar="ARENA", default="pacman",
                       help="backends: the arena whose generation is evaluated (default pacman)")
    bench.add_argument("--workers", type=_positive_int, default=2, help="backends: worker processes (default 2)")
    bench.add_argument("--size", type=_positive_int, default=1080, help="cppn: picture side in pixels (default 1080)")
    bench.add_argument("--population", type=_positive_int, default=1024, help="agents (default 1024)")
    bench.add_argument("--runs", type=_positive_int, default=20, help="neat: runs (seeds) per task (default 20)")
    bench.add_argument("--seconds", type=float, default=1.0, help="least time to measure each side (default 1)")
    bench.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    bench.set_defaults(handler=cmd_bench)

    skins = commands.add_parser("skins", help="CPPN pictures: evolve them by choosing (the skin lab), or paint one",
                                description="CPPN pictures. Without a subcommand, 'arena skins' opens the skin lab.")
    skin_commands = skins.add_subparsers(dest="skins_command", metavar="SUBCOMMAND", parser_class=OneLineParser)
    skin_commands.required = True
    lab = skin_commands.add_parser("lab", help="(the default) seed 000's skin lab: evolve CPPN pictures by choosing "
                                               "the ones you like, in order")
    lab.add_argument("--seed", type=_seed, help="random seed of the first generation (default 0)")
    lab.add_argument("--population", type=_positive_int, help="pictures a generation, 2 to 400 (default 100)")
    lab.add_argument("--load", metavar="FILE.skinlab.json", help="go on from a saved skin lab (Ctrl+S saves one)")
    lab.add_argument("--save-dir", default="skins",
                     help="where Ctrl+S and quitting save, Ctrl+L loads, and E and A export (default skins)")
    lab.add_argument("--export-size", default="1080x1080", metavar="WxH",
                     help="size of the PNG that E exports, e.g. 3840x2160 (default 1080x1080)")
    lab.add_argument("--animation-size", default="480x480", metavar="WxH",
                     help="size of the frames that A animates (default 480x480)")
    lab.add_argument("--animation-frames", type=_positive_int, default=48,
                     help="frames that A animates, z = 0, 0.02, ... (default 48)")
    lab.add_argument("--no-autosave", action="store_true", help="do not save the lab on quitting")
    _window_arguments(lab, 60)
    lab.add_argument("--json", action="store_true", help="print frame rates and progress as JSON, last line")
    lab.set_defaults(handler=cmd_skins)
    paint = skin_commands.add_parser("render", help="paint a random CPPN, or a saved one (--genome), to PNG or GIF")
    paint.add_argument("--genome", metavar="FILE",
                       help="paint this CPPN: a .skin.json (the skin lab's E writes them) or a brain file with a skin")
    paint.add_argument("--seed", type=_seed, help="the random CPPN's weights (default 0): a seed is a picture")
    paint.add_argument("--beta", type=_positive_float,
                       help="weight variance scale: weights from N(0, beta / inputs) (default 16; small: soft)")
    paint.add_argument("--units", type=_positive_int, help="units a hidden layer (default 16)")
    paint.add_argument("--depth", type=_non_negative_int, help="hidden layers (default 3)")
    paint.add_argument("--activation",
                       help="hidden activation, or several taken layer by layer, e.g. sin,gauss (default tanh; "
                            "known: sin, cos, gauss, tanh, sigmoid, abs, identity, step)")
    paint.add_argument("--bw", action="store_true", default=None, help="black and white: one grey channel")
    paint.add_argument("--size", default="1080x1080", help="picture size WxH (default 1080x1080)")
    paint.add_argument("--z", type=float, default=0.0, help="the slice of the (x, y, z) cube (default 0)")
    paint.add_argument("--frames", type=_positive_int, default=1,
                       help="paint N slices, z, z + step, ..., to OUT-0000.png, OUT-0001.png, ... or into one "
                            "OUT.gif (default 1)")
    paint.add_argument("--z-step", type=float, default=0.02, help="z between frames (default 0.02)")
    paint.add_argument("--out", required=True,
                       help="the PNG file to write, or a .gif (animated with --frames; needs Pillow)")
    paint.add_argument("--force", action="store_true", help="replace existing files")
    paint.add_argument("--gpu", action="store_true",
                       help="paint with the CPPN's GLSL shader in OpenGL (needs a display) instead of the CPU")
    paint.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    paint.set_defaults(handler=cmd_skins)

    runs = commands.add_parser("runs", help="summarise a run folder, or plot its fitness and species curves")
    run_commands = runs.add_subparsers(dest="runs_command", metavar="SUBCOMMAND", parser_class=OneLineParser)
    run_commands.required = True
    show = run_commands.add_parser("show", help="what a run is, how far it got, what it saved")
    show.add_argument("dir", metavar="DIR", help="a run folder (made by arena train)")
    show.add_argument("--json", action="store_true", help="print the summary as JSON, last line")
    show.set_defaults(handler=cmd_runs)
    plot = run_commands.add_parser("plot", help="draw fitness per generation and NEAT species sizes into a PNG")
    plot.add_argument("dir", metavar="DIR", help="a run folder (made by arena train)")
    plot.add_argument("--out", required=True, metavar="FILE.png", help="the picture to write")
    plot.add_argument("--size", default="1200x800", help="picture size in pixels (default 1200x800)")
    plot.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    plot.set_defaults(handler=cmd_runs)

    export = commands.add_parser("export", help="write a saved brain as an ONNX model, to run in other engines")
    export.add_argument("brain", help="a .brain.json file (an MLP or a NEAT network)")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX model to write")
    export.add_argument("--force", action="store_true", help="overwrite OUT.onnx if it exists")
    export.set_defaults(handler=cmd_export)
    return parser


def _window_arguments(command, default_max_fps: int) -> None:
    """The arguments of every command that opens a window: its size, frame cap, frames and screenshot."""
    command.add_argument("--size", default="1280x800", help="window size (default 1280x800)")
    command.add_argument("--max-fps", type=_non_negative_int, default=default_max_fps,
                         help=f"frame-rate cap (default {default_max_fps}; 0: none)")
    command.add_argument("--frames", type=_positive_int, help="quit after this many frames")
    command.add_argument("--screenshot", metavar="PATH", help="save the last frame to PATH (.png)")


def _population_arguments(command, arena_note: str, default_population: int) -> None:
    """The arguments that make a new population: arena, level, brain kind, size, seed."""
    command.add_argument("arena", nargs="?",
                         help=f"arena name: tunnel, racing, cartpole, tanks or pacman ({arena_note})")
    command.add_argument("--level", help="level file (default: the arena's first built-in level)")
    command.add_argument("--brain", choices=["mlp", "neat"], help="network kind: mlp (GA, the default) or neat")
    command.add_argument("--population", type=_positive_int,
                         help=f"genomes per generation (default {default_population})")
    command.add_argument("--seed", type=_seed, help="random seed (default 0)")
    command.add_argument("--objective", help="what selection ranks by: fitness (the default), novelty (how unlike "
                                             "anything seen before a run behaved) or blend:W (W of novelty, 1-W of "
                                             "fitness, each scaled 0..1 over the generation)")
    command.add_argument("--novelty-k", type=_positive_int, help="novelty: nearest neighbours a behaviour's "
                                                                 "novelty is measured over (default 15)")


def _match_arguments(command) -> None:
    """The levels and seeds saved brains meet on (duels and tournaments)."""
    command.add_argument("--level", action="append", default=[], help="level file (repeat for several; default: "
                                                                      "the arena's built-in levels)")
    command.add_argument("--generated", type=_positive_int, help="play on N generated levels (with --level: as well)")
    command.add_argument("--seed", type=_seed, default=0, help="seed of the games, and of the first generated "
                                                               "level (default 0)")
    command.add_argument("--matches", type=_positive_int, default=2,
                         help="seeds a level where the seed changes the game (tanks: each played from both starts; "
                              "default 2)")


def _watch_arguments(command, watch_help: str) -> None:
    """The window of `--watch` (duels and tournaments)."""
    watch = command.add_argument_group("watching")
    watch.add_argument("--watch", action="store_true", help=watch_help + "; H joins as one more player: a car, a "
                                                                          "Pac-Man against the ghost brain, a tank")
    watch.add_argument("--human", action="store_true", help="with --watch: join from the start (arrow keys)")
    watch.add_argument("--speed", choices=SPEEDS[:-1], default="1x", help="with --watch: starting speed (default 1x)")
    watch.add_argument("--no-gl", action="store_true", help="with --watch: draw without OpenGL (no network view)")
    _window_arguments(watch, 120)
    command.set_defaults(save_dir="saves", no_autosave=True)


def _check_watching(args) -> None:
    if args.watch and args.json:
        raise UsageError("--watch shows the games in a window, --json prints them: choose one")
    watching = [flag for flag, on in (("--human", args.human), ("--speed", args.speed != "1x"), ("--no-gl", args.no_gl),
                                      ("--frames", args.frames), ("--screenshot", args.screenshot)) if on]
    if watching and not args.watch:
        raise UsageError(f"{', '.join(watching)} go{'es' * (len(watching) == 1)} with --watch")
    if args.watch:
        from arena.ui.play import check_window_args

        check_window_args(args)
        if args.handler is cmd_duel and args.backend != "serial":
            raise UsageError(f"--backend {args.backend} plays the games --watch does not show; a watched duel "
                             f"plays in the window")


def level_digest(arena, level) -> str:
    """sha256 of a level's canonical JSON: the same level from any file, or generated."""
    import hashlib

    data = arena.level_module.to_data(level)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _levels(arena, args) -> list:
    """[(name, level)] of --level files and --generated levels, or else the arena's built-in levels."""
    levels = [(path, arena.load_level(path)) for path in args.level]
    if args.generated:
        levels += [(f"generated:{s}", arena.generate_level(s)) for s in range(args.seed, args.seed + args.generated)]
    return levels or [(Path(path).name, arena.load_level(path)) for path in arena.builtin_levels()]


def _backend_arguments(command, where: str = "") -> None:
    """Where generations nobody watches are evaluated."""
    group = command.add_argument_group("evaluation backend" + where)
    group.add_argument("--backend", choices=BACKENDS, default="serial",
                       help="serial (this process, all cores), pool (worker processes) or dask (a cluster)")
    group.add_argument("--workers", type=_positive_int, help="pool or local Dask cluster: worker processes "
                                                             "(default: one a core)")
    group.add_argument("--scheduler", metavar="ADDRESS", help="dask: a running scheduler, e.g. tcp://host:8786 "
                                                              "(default: start a local cluster)")
    group.add_argument("--chunk-timeout", type=_positive_float, default=600.0, metavar="SECONDS",
                       help="pool and dask: seconds a chunk may run before it is run again elsewhere (default 600)")
    group.add_argument("--max-failures", type=_positive_int, default=3, metavar="N",
                       help="pool and dask: failures of one chunk that stop the run (default 3)")


def _version() -> str:
    from arena import __version__

    return __version__


def cmd_play(args) -> int:
    from arena.ui.play import run_play

    return run_play(args)


def cmd_edit(args) -> int:
    from arena.ui.editor.view import run_edit

    return run_edit(args)


def cmd_train(args) -> int:
    from tqdm import tqdm

    from arena.core.errors import ArenaError
    from arena.evaluate import backend_from_args
    from arena.persist.runs import RunFolder, checkpoints_of, default_run_dir, resume_session
    from arena.session import TrainConfig, TrainSession

    if args.resume:
        given = [name for name in _TRAIN_SETTINGS if getattr(args, name) is not None]
        if given:
            flags = ", ".join(name if name == "arena" else "--" + name.replace("_", "-") for name in given)
            raise UsageError(f"--resume continues a run with its own settings; drop {flags}")
        session, path = resume_session(args.resume, args.generations,
                                       warn=lambda message: print(f"{PROG} train: {message}", file=sys.stderr))
        config = session.config
        every = config.checkpoint_every if args.checkpoint_every is None else args.checkpoint_every
        folder = RunFolder(args.resume, session.describe(), every, resume_generation=session.generation,
                           keep=args.keep_checkpoints)
        print(f"{PROG} train: resuming {args.resume} at generation {session.generation} from {path}",
              file=sys.stderr)
    else:
        if args.arena is None:
            raise UsageError("name an arena to train (tunnel, racing, cartpole, tanks, pacman), or --resume a run")
        config = TrainConfig(
            arena=args.arena, level=args.level, brain=args.brain or "mlp", hidden=args.hidden,
            population=args.population or 100, generations=args.generations or 100,
            seed=args.seed or 0, ga=args.ga or "default", neat=args.neat or "paper",
            recurrent=bool(args.recurrent), opponents=args.opponents or 4,
            checkpoint_every=10 if args.checkpoint_every is None else args.checkpoint_every,
            objective=args.objective or "fitness", novelty_k=args.novelty_k or 15,
        )
        session = TrainSession(config)
        folder = None
    session.backend = backend_from_args(args)
    stop = StopSignals()
    try:
        if folder is None:
            folder = RunFolder(args.out or default_run_dir(config.arena, config.seed), session.describe(),
                               config.checkpoint_every, keep=args.keep_checkpoints)
        progress = ProgressBar(tqdm, config.generations, session.generation, session.evaluations)
        session.reporters = [folder, progress]
        session.critical = stop.critical
        session.started = time.perf_counter() - folder.wall_before  # wall_s goes on across sessions
        started = time.perf_counter()
        with stop:
            session.run()
    except KeyboardInterrupt as exc:
        brains = " and ".join(str(folder.brain_path(name)) for name in session.populations)
        saved = checkpoints_of(folder.path)
        print(f"{PROG} train: {'stopped by SIGTERM' if isinstance(exc, Stopped) else 'interrupted'} at generation "
              f"{session.generation}; the best brains so far are in {brains}"
              + (f"; resume with: {PROG} train --resume {folder.path}" if saved else ""), file=sys.stderr)
        return exc.exit_code if isinstance(exc, Stopped) else 130
    except ArenaError as exc:
        saved = checkpoints_of(folder.path) if folder is not None else []
        if saved:
            raise type(exc)(f"{exc}; the run is saved up to {saved[0].name} (resume with: {PROG} train --resume "
                            f"{folder.path})") from None
        raise
    finally:
        session.backend.close()
    wall = time.perf_counter() - started
    champion = session.champion
    summary = {
        "arena": config.arena,
        "brain": config.brain,
        "generations": session.generation,
        "evaluations": session.evaluations,
        "best_fitness": champion.fitness if champion else None,
        "solved": session.solved,
        "best_brain": str(folder.brain_path(session.role.name)),
        "wall_s": round(wall, 3),
        "solved_generation": session.solved_generation,
        "run_dir": str(folder.path),
        "backend": args.backend,
    }
    if session.coevolving:
        summary["best_brains"] = {name: str(folder.brain_path(name)) for name in session.populations}
        summary["vs_scripted"] = session.last_stats.get("vs_scripted") if session.last_stats else None
    if args.json:
        print(json.dumps(summary))
    else:
        state = f"solved (first finish in generation {session.solved_generation})" if session.solved else "not solved"
        best = f"{champion.fitness:.3f}" if champion else "none"
        print(f"{config.arena}: {session.generation} generations in {wall:.1f} s, best fitness {best}, {state}")
        for path in summary.get("best_brains", {}).values() or [summary["best_brain"]]:
            print(f"best brain: {path}")
    return 0


class Stopped(KeyboardInterrupt):
    """SIGTERM: stops a run as Ctrl-C does (the run folder saves a checkpoint on the way out)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.exit_code = 128 + signum


class StopSignals:
    """While active, SIGINT and SIGTERM stop the run; inside `critical()` (a generation's state
    changes) they wait until the changes are complete, so the checkpoint saved on the way out is
    never of a half-updated state."""

    def __init__(self):
        self._depth = 0
        self._pending = None
        self._previous = {}

    def __enter__(self):
        import signal

        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        import signal

        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        if self._depth:
            self._pending = signum
            return
        self._raise(signum)

    @staticmethod
    def _raise(signum):
        import signal

        raise KeyboardInterrupt if signum == signal.SIGINT else Stopped(signum)

    @contextlib.contextmanager
    def critical(self):
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending is not None:
            signum, self._pending = self._pending, None
            self._raise(signum)


class ProgressBar:
    """A tqdm bar on stderr: generation, best and mean fitness, generations/s, evaluations/s and ETA."""

    def __init__(self, tqdm, total: int, initial: int = 0, evaluations: int = 0):
        self.bar = tqdm(total=total, initial=initial, unit="gen", file=sys.stderr, dynamic_ncols=True,
                        disable=not sys.stderr.isatty())
        self._start = (time.perf_counter(), evaluations)

    def on_generation(self, session, stats: dict) -> None:
        seconds = time.perf_counter() - self._start[0]
        rate = (stats["evaluations"] - self._start[1]) / max(seconds, 1e-9)
        novelty = stats.get("novelty") or next((r["novelty"] for r in stats.get("roles", {}).values()
                                                 if "novelty" in r), None)
        archive = {} if novelty is None else {"archive": novelty["archive_size"]}
        self.bar.set_postfix(best=f"{stats['best_fitness']:.3f}", mean=f"{stats['mean_fitness']:.3f}",
                             evals=f"{rate:.0f}/s", **archive, refresh=False)
        self.bar.update(1)

    def close(self, session) -> None:
        self.bar.close()


def cmd_eval(args) -> int:
    import numpy as np

    from arena.arenas import get_arena
    from arena.arenas.base import SCRIPTED
    from arena.matches.duel import load_entrant
    from arena.persist.brainfile import compile_brains

    brain = load_entrant(args.brain).brain
    arena = get_arena(brain.arena)
    levels = _levels(arena, args)
    # the brain plays its role; every other role of the arena plays its scripted policy
    nets = {role.name: SCRIPTED for role in arena.spec.roles}
    nets[brain.role] = compile_brains([brain] * arena.spec.role(brain.role).agents)
    rows = []
    for name, level in levels:
        outcome = arena.rollout(level, nets, np.zeros(1, dtype=np.uint64))
        rows.append({"level": name, "fitness": float(outcome.fitness[brain.role][0]),
                     "finished": bool(outcome.finished[brain.role][0])})
    finished = sum(r["finished"] for r in rows)
    if args.json:
        print(json.dumps({"levels": rows, "finished": finished, "total": len(rows)}))
    else:
        width = max(len(r["level"]) for r in rows)
        for r in rows:
            print(f"{r['level']:<{width}}  fitness {r['fitness']:10.3f}  {'finished' if r['finished'] else 'failed'}")
        print(f"finished {finished} of {len(rows)}")
    return 0


def cmd_duel(args) -> int:
    from arena.arenas import get_arena
    from arena.evaluate import backend_from_args
    from arena.matches.duel import load_entrant, match_kind, play_matches

    _check_watching(args)
    entrants = [load_entrant(args.a), load_entrant(args.b)]
    match_kind(*entrants)  # brains that cannot meet are refused before any level is loaded
    arena = get_arena(entrants[0].brain.arena)
    levels = _levels(arena, args)
    if args.watch:
        from arena.ui.play import watch_matches

        return watch_matches("duel", arena, [entrants], levels[0][1], args)
    backend = backend_from_args(args)
    try:
        result = play_matches(arena, entrants, [(0, 1)], levels, args.seed, args.matches, backend)[0]
    finally:
        backend.close()
    result = {"arena": arena.spec.name, "levels": [name for name, _ in levels], "seed": args.seed, **result}
    if args.json:
        print(json.dumps(result))
        return 0
    _print_duel(result)
    return 0


def cmd_tournament(args) -> int:
    from tqdm import tqdm

    from arena.arenas import get_arena
    from arena.evaluate import backend_from_args
    from arena.matches.duel import load_entrant, match_kind, match_levels, play_matches
    from arena.matches.tournament import run_tournament

    _check_watching(args)
    entrants = [load_entrant(path) for path in args.brains]
    for other in entrants[1:]:
        match_kind(entrants[0], other)  # one arena
        if other.role != entrants[0].role:
            raise BrainError(f"{other.path}: a {other.role!r} brain, and {entrants[0].path} a {entrants[0].role!r} "
                             f"one; a tournament rates brains of one role (pit two roles with arena duel)")
    arena = get_arena(entrants[0].brain.arena)
    levels = match_levels(arena, _levels(arena, args))  # made once: every round plays the same objects
    # Levels by content, not only by name: a level file changed since would mix two tournaments.
    settings = {"levels": [name for name, _ in levels], "seed": args.seed, "matches": args.matches,
                "level_sha256": [level_digest(arena, level) for _, level in levels]}
    backend = None  # started at the first match: bad input and finished tournaments need no workers
    bar = tqdm(desc="matches", unit="match", disable=args.json or not sys.stderr.isatty(), file=sys.stderr)

    def progress(done, total):
        bar.total = total
        bar.update(done - bar.n)

    def play(pairs):
        nonlocal backend
        backend = backend or backend_from_args(args)
        return play_matches(arena, entrants, pairs, levels, args.seed, args.matches, backend)

    try:
        result = run_tournament(arena.spec.name, args.brains, play, settings=settings, rounds=args.rounds,
                                ratings_path=args.ratings, progress=progress)
    finally:
        bar.close()
        if backend is not None:
            backend.close()
    if args.json:
        print(json.dumps(result))
        return 0
    rounds, matches = result["rounds"], result["matches"]
    print(f"{arena.spec.name} tournament, {result['format']}: {rounds} round{'s' * (rounds != 1)}, "
          f"{matches} match{'es' * (matches != 1)}")
    print(f"{'rank':>4}  {'ordinal':>8}  {'mu':>7} ± {'sigma':<6}  {'won-drawn-lost':>14}  brain")
    for row in result["leaderboard"]:
        record = f"{row['wins']}-{row['draws']}-{row['losses']}"
        print(f"{row['rank']:>4}  {row['ordinal']:8.2f}  {row['mu']:7.2f} ± {row['sigma']:<6.2f}  {record:>14}  "
              f"{row['id']}")
    if args.ratings:
        print(f"ratings: {args.ratings} (match log beside it; run again to resume or go on)")
    if args.watch:
        from arena.ui.play import watch_matches

        by_id = dict(zip(args.brains, entrants))
        sys.stdout.flush()
        return watch_matches("tournament", arena, [[by_id[r["a"]], by_id[r["b"]]] for r in result["results"]],
                             levels[0][1], args)
    return 0


def _print_duel(result: dict) -> None:
    names = {side: result[side]["brain"] for side in ("a", "b")}
    print(f"{result['arena']} duel: {names['a']} ({result['a']['role']}) against {names['b']} ({result['b']['role']})")
    width = max(len(name) for name in result["levels"])
    for game in result["games"]:
        won = f"{names[game['winner']]} wins" if game["winner"] else "a draw"
        seed = f"  seed {game['seed']}" if len(result["games"]) > len(result["levels"]) else ""
        sides = "  ".join(f"{side}: {_game_side(game[side])}" for side in ("a", "b"))
        print(f"  {result['levels'][game['level']]:<{width}}{seed}  {won:<{len(max(names.values(), key=len)) + 5}}  {sides}")
    a = result["a"]
    print(f"{names['a']}: {a['wins']} won, {a['draws']} drawn, {a['losses']} lost")
    print(f"winner: {names[result['winner']]}" if result["winner"] else "a draw")


def _game_side(side: dict) -> str:
    if "points" in side:
        return f"{side['points']} points from start {side['slot']}"
    if side.get("role") == "ghost":
        return f"caught him at tick {side['catch_tick']}" if side["caught"] else "did not catch him"
    if side.get("role") == "pacman":
        return f"score {side['score']}{', cleared' if side['cleared'] else ''}"
    return f"fitness {side['fitness']:.3f}{', finished' if side['finished'] else ''}"


def cmd_bench(args) -> int:
    from arena import bench

    if not args.seconds > 0:
        raise UsageError(f"--seconds must be positive, got {args.seconds}")
    if args.arena == "neat":
        return _bench_neat(args)
    if args.arena == "backends":
        return _bench_backends(args)
    if args.arena == "cppn":
        return _bench_cppn(args)
    result = bench.run(args.arena, args.population, min_seconds=args.seconds)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['arena']} (population {result['population']}, level {result['level']}):")
        unit = "game-ticks" if result["arena"] == "pacman" else "agent-steps"
        print(f"  kernel    {result['agent_steps_per_s'] / 1e6:10.2f} M {unit}/s")
        print(f"  numpy     {result['reference_agent_steps_per_s'] / 1e6:10.2f} M {unit}/s")
        print(f"  ratio     {result['ratio']:10.1f}x   results agree: {result['results_agree']}")
    return 0


def _bench_backends(args) -> int:
    import importlib.util

    from arena import bench

    with_dask = importlib.util.find_spec("distributed") is not None
    if not with_dask:
        print(f"{PROG} bench: distributed is not installed, so dask is not measured "
              f"(pip install 'neuroarena[cluster]')", file=sys.stderr)
    result = bench.backends(args.on, args.population, args.workers, min_seconds=args.seconds, dask=with_dask)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['arena']}: one generation of {result['population']} evaluations ({result['agent_steps']} "
          f"agent-steps), {result['workers']} workers")
    print(f"  serial, one thread  {result['serial_evals_per_s']:10.0f} evaluations/s")
    print(f"  pool                {result['pool_speedup']:10.2f}x   overhead {result['pool_overhead_ms']:.1f} ms a "
          f"generation")
    if result["dask_speedup"] is not None:
        print(f"  dask LocalCluster   {result['dask_speedup']:10.2f}x")
    print(f"  outcomes identical: {result['results_identical']}")
    return 0


def _bench_cppn(args) -> int:
    from arena import bench

    result = bench.cppn(args.size, args.seconds)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"CPPN of {result['hidden_nodes']} hidden nodes, 1080x1080 (measured at {args.size}x{args.size}):")
    print(f"  numba        {result['cpu_1080_ms']:10.1f} ms")
    print(f"  numpy        {result['numpy_1080_ms']:10.1f} ms   identical: {result['identical_to_numpy']}")
    if result["neat_python_1080_ms"] is None:
        print("  neat-python  not installed")
    else:
        print(f"  neat-python  {result['neat_python_1080_ms']:10.1f} ms (per-pixel activate, scaled from "
              f"{bench.NEAT_PYTHON_SAMPLE} pixels)")
    return 0


def _bench_neat(args) -> int:
    from arena import bench_neat

    def progress(task, seed, run):
        state = "solved" if run["solved"] else "not solved"
        print(f"{task} seed {seed}: {state} after {run['evaluations']} evaluations, {run['wall_s']:.3f} s",
              file=sys.stderr)

    result = bench_neat.run(args.runs, args.population, progress=None if args.json else progress)
    if args.json:
        print(json.dumps(result))
        return 0
    x, d, r = result["xor"], result["double_pole"], result["racing"]
    print(f"XOR:          solved {x['solved']}/{x['runs']}, median {x['median_generations']:.1f} generations, "
          f"{x['median_evaluations']:.0f} evaluations, {x['median_wall_s'] * 1000:.1f} ms")
    print(f"double pole:  solved {d['solved']}/{d['runs']}, median {d['median_evaluations']:.0f} evaluations, "
          f"{d['median_wall_s']:.2f} s")
    print(f"racing, NEAT networks of {r['min_hidden_nodes']}+ hidden nodes: "
          f"{r['agent_steps_per_s'] / 1e6:.2f} M agent-steps/s ({r['population']} cars)")
    return 0


# The random CPPN's settings when `arena skins render` is not given --genome
RANDOM_CPPN_DEFAULTS = {"seed": 0, "beta": 16.0, "units": 16, "depth": 3, "activation": "tanh", "bw": False}
SKIN_COMMANDS = ("lab", "render")


def cmd_skins(args) -> int:
    if args.skins_command == "lab":
        from arena.ui.skinlab import run_lab

        return run_lab(args)
    from arena.brains.cppn import hidden_nodes, random_cppn, render

    size = parse_size(args.size, example="1080x1080")
    out = Path(args.out)
    gif = out.suffix.lower() == ".gif"
    if out.suffix.lower() != ".png" and not gif:
        raise UsageError(f"--out {out}: a picture is a PNG (or an animated GIF); give a file name ending in .png "
                         f"or .gif")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: no folder {out.parent}")
    if gif:
        from arena.persist.pictures import GIF_NEEDS_PILLOW, gif_supported

        if not gif_supported():
            raise UsageError(f"--out {out}: {GIF_NEEDS_PILLOW}")
    paths = [out] if args.frames == 1 or gif else [out.with_name(f"{out.stem}-{k:04d}.png") for k in range(args.frames)]
    existing = [p for p in paths if p.exists()]
    if existing and not args.force:
        raise UsageError(f"--out {existing[0]}: exists; choose another name or pass --force to replace it")
    given = [name for name in RANDOM_CPPN_DEFAULTS if getattr(args, name) is not None]
    if args.genome is not None:
        if given:
            raise UsageError(f"--genome paints a saved CPPN; drop {', '.join('--' + name for name in given)} "
                             f"(settings of a random one)")
        from arena.brains.neat.compile import compile_neat
        from arena.persist.skinfile import load_skin

        net = compile_neat(load_skin(args.genome))
        source = {"genome": args.genome}
    else:
        cppn = {name: RANDOM_CPPN_DEFAULTS[name] if getattr(args, name) is None else getattr(args, name)
                for name in RANDOM_CPPN_DEFAULTS}
        net = random_cppn(cppn["seed"], cppn["units"], cppn["depth"], cppn["beta"], cppn["bw"], cppn["activation"])
        source = {"seed": cppn["seed"], "beta": cppn["beta"]}
    from arena.persist.pictures import encode_gif, encode_png, write_picture

    paint = _gpu_painter(size) if args.gpu else render
    timings, pictures = [], []
    for k in range(args.frames):
        started = time.perf_counter()
        pixels = paint(net, *size, z=args.z + k * args.z_step)
        timings.append(round((time.perf_counter() - started) * 1000, 2))
        if gif:
            pictures.append(pixels)
        else:
            write_picture(paths[k], encode_png(pixels), UsageError, overwrite=True)
    if gif:
        write_picture(out, encode_gif(pictures), UsageError, overwrite=True)
    summary = {"out": [str(p) for p in paths], "size": list(size), **source, "hidden_nodes": hidden_nodes(net),
               "render_ms": timings, "painter": "gpu" if args.gpu else "cpu"}
    if args.json:
        print(json.dumps(summary))
    else:
        what = f"an animation of {args.frames} frames" if gif else \
            f"{len(paths)} picture{'s' if len(paths) > 1 else ''}"
        print(f"painted {what} of {size[0]}x{size[1]} ({summary['hidden_nodes']} hidden nodes): "
              f"{paths[0]}{' ...' if len(paths) > 1 else ''}")
    return 0


def skins_lab_by_default(argv: list) -> list:
    """`arena skins [options]` means `arena skins lab [options]`."""
    if argv[:1] == ["skins"] and (len(argv) == 1 or argv[1] not in (*SKIN_COMMANDS, "-h", "--help")):
        return ["skins", "lab", *argv[1:]]
    return argv


def _gpu_painter(size):
    """`render`'s twin on the GPU: the CPPN as a fragment shader, in a hidden OpenGL window."""
    from arena.ui.gl.cppn_shader import GLPainter  # arena.ui first: it quiets pygame's banner on stdout

    import pygame

    try:
        pygame.display.init()
        pygame.display.set_mode((64, 64), pygame.OPENGL | pygame.HIDDEN)
        from OpenGL import GL

        most = int(GL.glGetIntegerv(GL.GL_MAX_TEXTURE_SIZE))
    except Exception as exc:  # no display, no OpenGL, no PyOpenGL: each says why in its own words
        raise UsageError(f"--gpu: OpenGL does not start here ({str(exc).splitlines()[0] if str(exc) else exc!r}); "
                         "leave out --gpu to paint on the CPU") from None
    if max(size) > most:
        raise UsageError(f"--gpu: this OpenGL paints at most {most}x{most} pixels; leave out --gpu for "
                         f"{size[0]}x{size[1]}")
    painter = GLPainter()
    return lambda net, width, height, z: painter.paint(net, width, height, z)


def level_arena(path) -> str:
    """The arena a level file is for: Pac-Man for a text grid, else the JSON's "arena" field."""
    from arena.arenas.levelfile import read_level_json
    from arena.persist.levelpaths import is_grid

    if is_grid(path):
        return "pacman"
    data = read_level_json(path)
    arena = data.get("arena") if isinstance(data, dict) else None
    if not isinstance(arena, str):
        raise LevelError(f"{path}: not a level file (no arena named in field 'arena')")
    return arena


def cmd_levels(args) -> int:
    from arena.arenas import get_arena

    if args.levels_command == "new":
        from arena.persist.levelpaths import suffix_problem

        if not args.generate:
            raise UsageError("levels new makes a generated level for now: add --generate (and --seed S)")
        arena = get_arena(args.arena)
        out = Path(args.out)
        if out.exists() and not args.force:
            raise UsageError(f"--out {out}: exists; choose another name or pass --force to replace it")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: no folder {out.parent}")
        problem = suffix_problem(args.arena, out)
        if problem:
            raise UsageError(f"--out {out}: {problem}")
        level = arena.generate_level(args.seed)
        arena.level_module.save(level, out)
        arena.load_level(out)  # what was written loads back, or this says why
        summary = {"arena": args.arena, "seed": args.seed, "out": str(out)}
        print(json.dumps(summary) if args.json else f"wrote {args.arena} level {out} (seed {args.seed})")
        return 0
    rows = []
    for path in args.paths:
        try:
            name = level_arena(path)
            get_arena(name).load_level(path)
            rows.append({"path": path, "arena": name, "ok": True})
            if not args.json:
                print(f"{path}: ok ({name})")
        except ArenaError as exc:
            rows.append({"path": path, "ok": False, "error": str(exc)})
            print(f"{PROG} levels: {exc}" if str(path) in str(exc) else f"{PROG} levels: {path}: {exc}",
                  file=sys.stderr)
    bad = sum(not row["ok"] for row in rows)
    if args.json:
        print(json.dumps({"checked": len(rows), "bad": bad, "files": rows}))
    return 2 if bad else 0


def cmd_runs(args) -> int:
    from pathlib import Path

    from arena.persist.runinfo import load_run, summarise, summary_lines

    if args.runs_command == "plot":
        if not args.out.lower().endswith(".png"):
            raise UsageError(f"--out {args.out}: the plot is a PNG; give a file name ending in .png")
        if Path(args.out).exists() and not args.force:
            raise UsageError(f"--out {args.out}: exists; choose another file or pass --force to overwrite it")
        from arena.ui.runplot import plot_size, save_run_plot

        size = plot_size(args.size)
    run = load_run(args.dir)
    if run.torn_last_line:
        print(f"{PROG} runs: warning: {run.metrics_path}: skipped a torn last line (the run stopped mid-write)",
              file=sys.stderr)
    if args.runs_command == "plot":
        save_run_plot(run, args.out, size)
        print(f"{PROG} runs: wrote {args.out}", file=sys.stderr)
        return 0
    summary = summarise(run)
    print(json.dumps(summary) if args.json else "\n".join(summary_lines(summary)))
    return 0


def cmd_export(args) -> int:
    from arena.persist.brainfile import NeatSpec, load_brain
    from arena.persist.onnxexport import OPSET, export_onnx

    if Path(args.onnx).exists() and not args.force:
        raise UsageError(f"--onnx {args.onnx}: exists; choose another file or pass --force to overwrite it")
    brain = load_brain(args.brain)
    export_onnx(brain, args.onnx, overwrite=args.force)
    network = brain.network
    if not isinstance(network, NeatSpec):
        kind = "MLP " + "-".join(map(str, network.layers))
    elif network.recurrent:
        kind = "recurrent NEAT network, with state_in/state_out"
    else:
        kind = "NEAT network"
    print(f"{PROG} export: wrote {args.onnx} (role {brain.role!r} of arena {brain.arena!r}, {kind}; "
          f"observation[batch, {network.n_inputs}] -> action[batch, {network.n_outputs}], opset {OPSET})",
          file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = build_parser()

    def command():
        args = parser.parse_args(skins_lab_by_default(list(sys.argv[1:] if argv is None else argv)))
        return args.handler(args)

    return run_guarded(command, PROG)


if __name__ == "__main__":
    raise SystemExit(main())

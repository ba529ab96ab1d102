"""The `arena` command."""

import json
import sys
import time

from arena.core.cli import OneLineParser, run_guarded
from arena.core.errors import UsageError

PROG = "arena"
# The strategies' preset names, kept here so that --help needs no numba import (a test keeps
# them in step with arena.evolve.ga.PRESETS and arena.evolve.neat.PRESETS)
GA_PRESETS = ("default", "classic")
NEAT_PRESETS = ("paper", "xor")
SPEEDS = ("1x", "2x", "4x", "16x", "max", "turbo")  # kept equal to arena.ui.live.SPEEDS by a test
_TRAIN_SETTINGS = ("arena", "level", "brain", "hidden", "population", "seed", "ga", "neat", "recurrent", "opponents",
                   "out")


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
    play.add_argument("--size", default="1280x800", help="window size (default 1280x800)")
    play.add_argument("--max-fps", type=_non_negative_int, default=120, help="frame-rate cap (default 120; 0: none)")
    play.add_argument("--frames", type=_positive_int, help="quit after this many frames")
    play.add_argument("--screenshot", metavar="PATH", help="save the last frame to PATH (.png)")
    play.add_argument("--json", action="store_true", help="print frame rates and progress as JSON, last line")
    play.set_defaults(handler=cmd_play)

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
    train.add_argument("--out", help="run folder (default runs/<arena>-s<seed>-<time>); must not hold a run")
    train.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its newest checkpoint")
    train.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    train.set_defaults(handler=cmd_train)

    evaluate = commands.add_parser("eval", help="test a saved brain on levels")
    evaluate.add_argument("brain", help="a .brain.json file")
    evaluate.add_argument("--level", action="append", default=[], help="level file (repeat for several)")
    evaluate.add_argument("--generated", type=_positive_int, help="also test on N generated levels")
    evaluate.add_argument("--seed", type=_seed, default=0, help="seed of the first generated level (default 0)")
    evaluate.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    evaluate.set_defaults(handler=cmd_eval)

    bench = commands.add_parser("bench", help="measure a rollout kernel against a numpy stepper, or NEAT")
    bench.add_argument("arena", help="tunnel, racing, tanks or pacman; or neat (XOR, double pole, racing with "
                                     "NEAT networks)")
    bench.add_argument("--population", type=_positive_int, default=1024, help="agents (default 1024)")
    bench.add_argument("--runs", type=_positive_int, default=20, help="neat: runs (seeds) per task (default 20)")
    bench.add_argument("--seconds", type=float, default=1.0, help="least time to measure each side (default 1)")
    bench.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    bench.set_defaults(handler=cmd_bench)
    return parser


def _population_arguments(command, arena_note: str, default_population: int) -> None:
    """The arguments that make a new population: arena, level, brain kind, size, seed."""
    command.add_argument("arena", nargs="?",
                         help=f"arena name: tunnel, racing, cartpole, tanks or pacman ({arena_note})")
    command.add_argument("--level", help="level file (default: the arena's first built-in level)")
    command.add_argument("--brain", choices=["mlp", "neat"], help="network kind: mlp (GA, the default) or neat")
    command.add_argument("--population", type=_positive_int,
                         help=f"genomes per generation (default {default_population})")
    command.add_argument("--seed", type=_seed, help="random seed (default 0)")


def _version() -> str:
    from arena import __version__

    return __version__


def cmd_play(args) -> int:
    from arena.ui.play import run_play

    return run_play(args)


def cmd_train(args) -> int:
    from tqdm import tqdm

    from arena.persist.runs import RunFolder, default_run_dir, resume_session
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
        folder = RunFolder(args.resume, None, every, resume_generation=session.generation)
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
        )
        session = TrainSession(config)
        out = args.out or default_run_dir(config.arena, config.seed)
        folder = RunFolder(out, session.describe(), config.checkpoint_every)
    progress = ProgressBar(tqdm, config.generations, initial=session.generation)
    session.reporters = [folder, progress]
    started = time.perf_counter()
    try:
        session.run()
    except KeyboardInterrupt:
        brains = " and ".join(str(folder.brain_path(name)) for name in session.populations)
        print(f"{PROG} train: interrupted at generation {session.generation}; the best brains so far are in "
              f"{brains}; resume with: {PROG} train --resume {folder.path}", file=sys.stderr)
        return 130
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


class ProgressBar:
    """A tqdm bar on stderr: generation, best and mean fitness, generations/s."""

    def __init__(self, tqdm, total: int, initial: int = 0):
        self.bar = tqdm(total=total, initial=initial, unit="gen", file=sys.stderr, dynamic_ncols=True,
                        disable=not sys.stderr.isatty())

    def on_generation(self, session, stats: dict) -> None:
        self.bar.set_postfix(best=f"{stats['best_fitness']:.3f}", mean=f"{stats['mean_fitness']:.3f}",
                             refresh=False)
        self.bar.update(1)

    def close(self, session) -> None:
        self.bar.close()


def cmd_eval(args) -> int:
    import numpy as np

    from arena.arenas import get_arena
    from arena.arenas.base import SCRIPTED
    from arena.core.errors import BrainError
    from arena.persist.brainfile import check_compatible, compile_brains, load_brain

    brain = load_brain(args.brain)
    try:
        arena = get_arena(brain.arena)
    except Exception as exc:
        raise BrainError(f"{args.brain}: {exc}") from None
    check_compatible(brain, arena.spec, source=args.brain)
    levels = [(path, arena.load_level(path)) for path in args.level]
    if args.generated:
        levels += [(f"generated:{s}", arena.generate_level(s)) for s in range(args.seed, args.seed + args.generated)]
    if not levels:
        levels = [(str(path), arena.load_level(path)) for path in arena.builtin_levels()]
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


def cmd_bench(args) -> int:
    from arena import bench

    if not args.seconds > 0:
        raise UsageError(f"--seconds must be positive, got {args.seconds}")
    if args.arena == "neat":
        return _bench_neat(args)
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


def main(argv=None) -> int:
    parser = build_parser()

    def command():
        args = parser.parse_args(argv)
        return args.handler(args)

    return run_guarded(command, PROG)


if __name__ == "__main__":
    raise SystemExit(main())

"""Must-show of the pacman arena: Pac-Man and ghosts co-evolve; do they get better against
opponents that do not change?

Trains both populations with `TrainSession` (as `arena train pacman` does). Every generation,
the session plays its champions against the scripted opponents on seeds training never uses
(`vs_scripted` in the metrics): the champion Pac-Man against the arcade ghosts, the champion
ghosts against the greedy pellet-eating Pac-Man. The script reports

- the champion Pac-Man's mean score against the arcade ghosts in generation 0 and in the last
  generation (and the mean of the last 10, less noisy), which must grow at least 3x;
- how many ticks the champion ghosts need to catch the greedy Pac-Man (a game they do not
  win counts as the whole time limit), against the arcade ghosts' time on the same seeds.

Usage: python tools/pacman_coevolution.py [--generations 200] [--population 100]
           [--opponents 4] [--level levels/pacman/2-classic.txt] [--seed 0] [--json]
"""

import argparse
import json
import sys
import time

import numpy as np

from arena.arenas.base import SCRIPTED
from arena.core.seeding import STREAM_SCRIPTED, seed_sequence
from arena.session import SCRIPTED_MATCHES, TrainConfig, TrainSession

GROWTH = 3.0
WINDOW = 10  # generations averaged at the end


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--opponents", type=int, default=4)
    parser.add_argument("--level", default=None, help="maze file (default: the arena's default maze)")
    parser.add_argument("--brain", choices=("mlp", "neat"), default="mlp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)

    config = TrainConfig(arena="pacman", level=args.level, brain=args.brain, population=args.population,
                         generations=args.generations, seed=args.seed, opponents=args.opponents)
    session = TrainSession(config)
    history = []
    t0 = time.perf_counter()
    while session.generation < args.generations:
        stats = session.step()
        history.append(stats["vs_scripted"])
        if not args.json and (session.generation % 10 == 0 or session.generation == 1):
            p, g = stats["vs_scripted"]["pacman"], stats["vs_scripted"]["ghost"]
            print(f"generation {stats['generation']:4d}: champion Pac-Man scores {p['score']:7.1f} against the "
                  f"arcade ghosts; champion ghosts catch the greedy Pac-Man in {g['ticks_to_catch']:6.1f} ticks",
                  file=sys.stderr)
    train_s = time.perf_counter() - t0

    arena, level = session.arena, session.level
    seeds = seed_sequence(args.seed, STREAM_SCRIPTED).generate_state(SCRIPTED_MATCHES, dtype=np.uint64)
    arcade = arena.match_summary(level, arena.rollout(level, {"pacman": SCRIPTED, "ghost": SCRIPTED}, seeds))

    pacman_scores = np.array([h["pacman"]["score"] for h in history])
    ghost_ticks = np.array([h["ghost"]["ticks_to_catch"] for h in history])
    first, last = float(pacman_scores[0]), float(pacman_scores[-1])
    late = float(pacman_scores[-WINDOW:].mean())
    growth = last / first if first > 0 else float("inf")
    late_ghosts = float(ghost_ticks[-WINDOW:].mean())
    result = {
        "generations": args.generations, "population": args.population, "opponents": args.opponents,
        "level": level.name, "brain": args.brain, "seed": args.seed, "train_s": round(train_s, 1),
        "pacman_score_first": first, "pacman_score_last": last, f"pacman_score_last_{WINDOW}": late,
        "pacman_growth": growth, f"pacman_growth_last_{WINDOW}": late / first if first > 0 else float("inf"),
        "ghosts_ticks_to_catch_greedy_last": float(ghost_ticks[-1]),
        f"ghosts_ticks_to_catch_greedy_last_{WINDOW}": late_ghosts,
        "ghosts_ticks_to_catch_greedy_best": float(ghost_ticks.min()),
        "arcade_ticks_to_catch_greedy": arcade["ticks_to_catch"],
        "arcade_caught_greedy": arcade["caught"],
        "ghosts_caught_greedy_last": history[-1]["ghost"]["caught"],
    }
    result["pacman_passed"] = growth >= GROWTH
    result["ghosts_passed"] = result["ghosts_ticks_to_catch_greedy_last"] < arcade["ticks_to_catch"]
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.generations} generations of {args.population} + {args.population} on {level.name} "
              f"in {train_s:.0f} s")
        print(f"champion Pac-Man against the arcade ghosts: score {first:.1f} in generation 0, {last:.1f} in the "
              f"last ({growth:.1f}x; mean of the last {WINDOW}: {late:.1f}) - "
              f"{'PASS' if result['pacman_passed'] else 'FAIL'} (needs {GROWTH}x)")
        print(f"ticks to catch the greedy Pac-Man: champion ghosts {ghost_ticks[-1]:.1f} (mean of the last {WINDOW}: "
              f"{late_ghosts:.1f}), arcade ghosts {arcade['ticks_to_catch']:.1f} - "
              f"{'PASS' if result['ghosts_passed'] else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

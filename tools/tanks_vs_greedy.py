"""Must-show of the tanks arena: an evolved tank against random-weight tanks and the greedy tank.

Trains a population on a field with obstacles (the GA, as `arena train` does), then plays
the champion, random-weight tanks and the scripted greedy tank on the same held-out spawn
seeds, seeds that training never used (training's come from `seeding.env_seeds`, 64-bit
hashes; these are small integers, and the script checks that none of them was drawn). It
passes when the champion catches at least 1.5 times the points of the random tanks and at
least 0.8 times those of the greedy tank. Points are int(fitness): the tie-breaker is below 1.

Usage: python tools/tanks_vs_greedy.py [--generations 100] [--population 200]
           [--level levels/tanks/2-pillars.json] [--seed 0] [--envs 100] [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.seeding import env_seeds
from arena.session import TrainConfig, TrainSession

LEVEL = Path(__file__).resolve().parents[1] / "levels" / "tanks" / "2-pillars.json"
HELD_OUT_START = 1_000_000  # held-out seeds are HELD_OUT_START, HELD_OUT_START + 1, ...
RANDOM_GENOMES = 100
VS_RANDOM = 1.5
VS_GREEDY = 0.8


def points(outcome) -> np.ndarray:
    """Points caught per environment: the whole part of the fitness."""
    return np.floor(outcome.fitness["tank"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--level", default=str(LEVEL))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--envs", type=int, default=100, help="held-out spawn seeds to evaluate on")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)

    arena = get_arena("tanks")
    config = TrainConfig(arena="tanks", level=args.level, population=args.population,
                         generations=args.generations, seed=args.seed)
    t0 = time.perf_counter()
    session = TrainSession(config)
    session.run()
    train_s = time.perf_counter() - t0
    level = session.level

    seeds = np.arange(HELD_OUT_START, HELD_OUT_START + args.envs, dtype=np.uint64)
    trained = np.concatenate([env_seeds(args.seed, g, args.population) for g in range(args.generations)])
    assert not np.isin(seeds, trained).any(), "a held-out seed was used in training"

    network = MLPSpec.for_role(arena.spec.role("tank"))
    champion = np.repeat(session.champion.genome[None], args.envs, axis=0)
    champion_points = points(arena.rollout(level, {"tank": compile_mlp(network, champion)}, seeds))
    random_genomes = network.random_genomes(np.random.default_rng(args.seed + 1), RANDOM_GENOMES)
    # Every random genome on every held-out seed: genome-major rows, the seeds tiled.
    random_nets = compile_mlp(network, np.repeat(random_genomes, args.envs, axis=0))
    random_points = points(arena.rollout(level, {"tank": random_nets}, np.tile(seeds, RANDOM_GENOMES)))
    greedy_points = points(arena.rollout(level, {"tank": SCRIPTED}, seeds))

    mean = {"champion": float(champion_points.mean()), "random": float(random_points.mean()),
            "greedy": float(greedy_points.mean())}
    vs_random = mean["champion"] / mean["random"] if mean["random"] > 0 else float("inf")
    vs_greedy = mean["champion"] / mean["greedy"] if mean["greedy"] > 0 else float("inf")
    passed = vs_random >= VS_RANDOM and vs_greedy >= VS_GREEDY
    print(f"trained {args.generations} generations of {args.population} on {level.name} in {train_s:.1f} s; "
          f"champion from generation {session.champion.generation} (training fitness {session.champion.fitness:.2f})")
    print(f"points on {args.envs} held-out spawn seeds: champion {mean['champion']:.2f}, "
          f"random-weight tanks {mean['random']:.2f} ({RANDOM_GENOMES} genomes), greedy {mean['greedy']:.2f}")
    print(f"champion / random {vs_random:.2f} (need {VS_RANDOM}), champion / greedy {vs_greedy:.2f} "
          f"(need {VS_GREEDY}): {'PASS' if passed else 'FAIL'}")
    if args.json:
        print(json.dumps({
            "level": level.name, "generations": args.generations, "population": args.population, "seed": args.seed,
            "held_out_envs": args.envs, "champion_generation": session.champion.generation,
            "champion_points": mean["champion"], "random_points": mean["random"], "greedy_points": mean["greedy"],
            "champion_vs_random": vs_random, "champion_vs_greedy": vs_greedy, "passed": passed,
            "train_s": round(train_s, 3),
        }))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

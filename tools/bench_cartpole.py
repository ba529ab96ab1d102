"""Agent-steps per second of the cart-pole rollout kernel, against the numpy reference stepper.

Usage: python tools/bench_cartpole.py [--envs 1024] [--level levels/cartpole/2-double-velocities.json]

Two populations of the role's default MLP (6-8-1, tanh then sigmoid):
- random brains (uniform weights in [-1, 1]), whose runs end within a few dozen ticks;
- balancing brains: a hand-tuned linear controller carried through the hidden layer (one
  tanh unit kept in its linear range), with 20% noise on its weights, run for 2,000 ticks.
"""

import argparse
import time

import numpy as np

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp

DOUBLE_GAINS = (-3.0, -5.0, -90.0, -25.0, 60.0, 6.0)  # force in N per unit of x, x', th_1, th_1', th_2, th_2'


def balancing_genomes(spec, scale, n, rng, noise=0.2, epsilon=0.01):
    """MLP genomes whose output is ~ sigmoid(z), z = gains . state / 5: a linear controller."""
    genomes = np.zeros((n, spec.genome_size), dtype=np.float32)
    n_in, n_hidden = spec.layers[0], spec.layers[1]
    weights = np.array(DOUBLE_GAINS) * scale / 5.0
    genomes[:, 0 : n_in * n_hidden : n_hidden] = epsilon * weights * (1 + noise * rng.standard_normal((n, n_in)))
    second = n_in * n_hidden + n_hidden  # the output layer's weights start here
    genomes[:, second] = 1.0 / epsilon
    return genomes


def best_time(fn, repeats):
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(arena, level, spec, genomes, max_ticks, reference_envs):
    nets = {"pole": compile_mlp(spec, genomes)}
    arena.rollout(level, nets, None, 10)  # compile or load the kernels
    kernel_s, outcome = best_time(lambda: arena.rollout(level, nets, None, max_ticks), 5)
    kernel_rate = outcome.ticks.sum() / kernel_s
    subset = genomes[:reference_envs]
    reference_s, (_, _, ticks) = best_time(lambda: arena.reference.rollout(level, spec, subset, max_ticks), 1)
    reference_rate = ticks.sum() / reference_s
    return outcome, kernel_s, kernel_rate, reference_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=1024)
    parser.add_argument("--level", default="levels/cartpole/2-double-velocities.json")
    args = parser.parse_args()
    arena = get_arena("cartpole")
    level = arena.load_level(args.level)
    spec = MLPSpec.for_role(arena.spec.roles[0])
    rng = np.random.default_rng(0)
    scale = np.array([4.8, 2.0, 0.52, 2.0, 0.52, 2.0])
    cases = [
        ("random brains", spec.random_genomes(rng, args.envs), None, args.envs),
        ("balancing brains, 2000 ticks", balancing_genomes(spec, scale, args.envs, rng), 2000, 64),
    ]
    for label, genomes, max_ticks, reference_envs in cases:
        outcome, kernel_s, kernel_rate, reference_rate = measure(arena, level, spec, genomes, max_ticks, reference_envs)
        print(f"{label}: {args.envs} envs, {outcome.ticks.sum()} agent-steps (mean run {outcome.ticks.mean():.0f} "
              f"ticks, {outcome.finished['pole'].mean():.0%} finished) in {kernel_s * 1e3:.2f} ms: "
              f"{kernel_rate / 1e6:.2f} M agent-steps/s; numpy reference {reference_rate / 1e6:.3f} M/s "
              f"({kernel_rate / reference_rate:.0f}x)")


if __name__ == "__main__":
    main()

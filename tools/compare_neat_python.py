"""XOR with neat-python (its example's configuration) next to ours, 20 seeds each, same machine.

    pip install neat-python==0.92   # a benchmark-only dependency, not one of ours
    python tools/compare_neat_python.py [--runs 20] [--json]

Both sides stop at the first network with 4 - SSE >= 3.9 (which puts every output on the
right side of 0.5) or after 300 generations of 150. Evaluations are networks evaluated, the
solving generation included. Wall time runs from the first genome to the solution; our numba
kernels are compiled (and cached) before the clock starts. The network-steps rate is each
side's forward pass alone: neat-python's `FeedForwardNetwork.activate` on its XOR winners,
ours one batched forward of our XOR winners.
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MAX_GENERATIONS = 300

# neat-python's examples/xor/config-feedforward, as settings (values only)
NEAT_PYTHON_XOR = {
    "NEAT": {"fitness_criterion": "max", "fitness_threshold": 3.9, "pop_size": 150, "reset_on_extinction": False},
    "DefaultGenome": {
        "activation_default": "sigmoid", "activation_mutate_rate": 0.0, "activation_options": "sigmoid",
        "aggregation_default": "sum", "aggregation_mutate_rate": 0.0, "aggregation_options": "sum",
        "bias_init_mean": 0.0, "bias_init_stdev": 1.0, "bias_max_value": 30.0, "bias_min_value": -30.0,
        "bias_mutate_power": 0.5, "bias_mutate_rate": 0.7, "bias_replace_rate": 0.1,
        "compatibility_disjoint_coefficient": 1.0, "compatibility_weight_coefficient": 0.5,
        "conn_add_prob": 0.5, "conn_delete_prob": 0.5, "enabled_default": True, "enabled_mutate_rate": 0.01,
        "feed_forward": True, "initial_connection": "full", "node_add_prob": 0.2, "node_delete_prob": 0.2,
        "num_hidden": 0, "num_inputs": 2, "num_outputs": 1,
        "response_init_mean": 1.0, "response_init_stdev": 0.0, "response_max_value": 30.0,
        "response_min_value": -30.0, "response_mutate_power": 0.0, "response_mutate_rate": 0.0,
        "response_replace_rate": 0.0, "weight_init_mean": 0.0, "weight_init_stdev": 1.0, "weight_max_value": 30,
        "weight_min_value": -30, "weight_mutate_power": 0.5, "weight_mutate_rate": 0.8, "weight_replace_rate": 0.1,
    },
    "DefaultSpeciesSet": {"compatibility_threshold": 3.0},
    "DefaultStagnation": {"species_fitness_func": "max", "max_stagnation": 20, "species_elitism": 2},
    "DefaultReproduction": {"elitism": 2, "survival_threshold": 0.2},
}
XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_OUTPUTS = [0.0, 1.0, 1.0, 0.0]


def neat_python_config(neat):
    lines = []
    for section, values in NEAT_PYTHON_XOR.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in values.items()]
        lines.append("")
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as handle:
        handle.write("\n".join(lines))
    try:
        return neat.Config(neat.DefaultGenome, neat.DefaultReproduction, neat.DefaultSpeciesSet,
                           neat.DefaultStagnation, handle.name)
    finally:
        Path(handle.name).unlink()


def neat_python_run(neat, config, seed: int) -> dict:
    random.seed(seed)
    evaluations = [0]
    winner = {}

    def eval_genomes(genomes, config_):
        for _, genome in genomes:
            net = neat.nn.FeedForwardNetwork.create(genome, config_)
            genome.fitness = 4.0 - sum((net.activate(x)[0] - y) ** 2 for x, y in zip(XOR_INPUTS, XOR_OUTPUTS))
            evaluations[0] += 1
            if genome.fitness >= 3.9 and "net" not in winner:
                winner["net"] = net

    started = time.perf_counter()
    population = neat.Population(config)
    population.run(eval_genomes, MAX_GENERATIONS)
    wall = time.perf_counter() - started
    return {"solved": "net" in winner, "generations": -(-evaluations[0] // 150), "evaluations": evaluations[0],
            "wall_s": wall, "net": winner.get("net")}


def activate_rate(nets, seconds=0.5) -> float:
    """Network steps a second of neat-python's activate, cycling through `nets`."""
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for net in nets:
            for x in XOR_INPUTS:
                net.activate(x)
            steps += 4
    return steps / (time.perf_counter() - started)


def our_activate_rate(winners, seconds=0.5) -> float:
    from arena.brains.neat.compile import compile_neat
    from arena.brains.neat.genome import concatenate
    from arena.tasks import xor

    batch = concatenate(winners)
    batch = batch.take(np.resize(np.arange(batch.size), 1024))
    net = compile_neat(batch)
    xor.outputs(net)
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        xor.outputs(net)
        steps += 4 * net.size
    return steps / (time.perf_counter() - started)


def ours(runs: int):
    from arena import bench_neat
    from arena.brains.neat.compile import compile_neat
    from arena.evolve.neat import NEAT, preset
    from arena.tasks import xor

    bench_neat.xor_run(10_000, max_generations=2)  # compile (or load) the kernels first
    results = [bench_neat.xor_run(seed) for seed in range(runs)]
    winners = []
    for seed in range(min(runs, 5)):  # the winners again, for the forward-pass rate
        strategy = NEAT(preset("xor", 150), 2, 1, seed)
        state = strategy.initial_state()
        for _ in range(MAX_GENERATIONS):
            fitness, solved = xor.evaluate(compile_neat(state.genomes))
            if solved.any():
                winners.append(state.genomes.take(np.flatnonzero(solved)[:1]))
                break
            state = strategy.tell(state, fitness)
    return results, winners


def summary(results) -> dict:
    return {
        "solved": sum(r["solved"] for r in results),
        "runs": len(results),
        "median_generations": statistics.median(r["generations"] for r in results),
        "median_evaluations": statistics.median(r["evaluations"] for r in results),
        "median_wall_s": statistics.median(r["wall_s"] for r in results),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="seeds per side (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    try:
        import neat
    except ImportError:
        print("compare_neat_python: neat-python is not installed (pip install neat-python==0.92)", file=sys.stderr)
        return 2
    config = neat_python_config(neat)
    theirs = [neat_python_run(neat, config, seed) for seed in range(args.runs)]
    our_results, our_winners = ours(args.runs)
    result = {
        "neat_python": {**summary(theirs), "network_steps_per_s": activate_rate([r["net"] for r in theirs if r["net"]])},
        "neuroarena": {**summary(our_results), "network_steps_per_s": our_activate_rate(our_winners)},
    }
    result["wall_time_ratio"] = result["neat_python"]["median_wall_s"] / result["neuroarena"]["median_wall_s"]
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"XOR, {args.runs} seeds each    {'neat-python 0.92':>18} {'neuroarena':>14}")
    for key, label, fmt in (("solved", "solved", "{}"), ("median_generations", "median generations", "{:.1f}"),
                            ("median_evaluations", "median evaluations", "{:.0f}"),
                            ("median_wall_s", "median wall seconds", "{:.4f}"),
                            ("network_steps_per_s", "network steps/s", "{:,.0f}")):
        print(f"{label:<28}{fmt.format(result['neat_python'][key]):>18} {fmt.format(result['neuroarena'][key]):>14}")
    print(f"wall time: neuroarena is {result['wall_time_ratio']:.0f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

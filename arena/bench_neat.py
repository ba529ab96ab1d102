"""`arena bench neat`: NEAT's sample efficiency and speed on the paper's benchmarks.

- XOR (the `xor` preset): runs until a network solves it, counting generations, evaluations
  (networks evaluated, the solving generation included) and wall time (from the first genome
  to the solution, compilation of the kernels excluded: they are warmed first).
- Double pole balancing with velocities (the `paper` preset, the cartpole level
  `2-double-velocities`): runs until a network balances both poles for the level's 100,000
  ticks, within a budget of 100,000 evaluations.
- Racing with NEAT networks of at least 20 hidden nodes: NEAT, with frequent structural
  mutations, evolves drivers until some finish the first track with 20 or more hidden nodes;
  the rollout kernel is timed on a population of those finishers. A second figure times the
  same drivers with 20 more hidden nodes wired from every input to every output with zero
  output weights (they drive the same, at the cost of a much denser network).
"""

import time
from dataclasses import replace

import numpy as np

from arena.arenas import get_arena
from arena.brains.neat.compile import compile_neat
from arena.brains.neat.genome import NeatGenomes, empty
from arena.core.seeding import env_seeds
from arena.evolve.neat import NEAT, preset
from arena.tasks import xor

XOR_MAX_GENERATIONS = 300
DOUBLE_POLE_LEVEL = "2-double-velocities.json"
DOUBLE_POLE_BUDGET = 100_000  # evaluations
RACING_WARMUP_GENERATIONS = 300


def xor_run(seed: int, max_generations: int = XOR_MAX_GENERATIONS, population: int = 150) -> dict:
    """One NEAT run on XOR: {solved, generations, evaluations, wall_s}."""
    params = preset("xor", population)
    started = time.perf_counter()
    strategy = NEAT(params, xor.N_INPUTS, xor.N_OUTPUTS, seed)
    state = strategy.initial_state()
    evaluations = 0
    for generation in range(max_generations):
        fitness, solved = xor.evaluate(compile_neat(state.genomes))
        evaluations += state.genomes.size
        if solved.any():
            return {"solved": True, "generations": generation + 1, "evaluations": evaluations,
                    "wall_s": time.perf_counter() - started}
        state = strategy.tell(state, fitness)
    return {"solved": False, "generations": max_generations, "evaluations": evaluations,
            "wall_s": time.perf_counter() - started}


def double_pole_run(seed: int, budget: int = DOUBLE_POLE_BUDGET, population: int = 150) -> dict:
    """One NEAT run on double pole balancing with velocities: {solved, generations, evaluations, wall_s}."""
    arena = get_arena("cartpole")
    level = arena.load_level(arena.levels_folder() / DOUBLE_POLE_LEVEL)
    role = arena.spec.roles[0]
    strategy = NEAT(preset("paper", population), role.n_inputs, role.n_outputs, seed,
                    role.hidden_activation, role.output_activation)
    started = time.perf_counter()
    state = strategy.initial_state()
    evaluations = 0
    generation = 0
    while evaluations + state.genomes.size <= budget:
        nets = {role.name: compile_neat(state.genomes)}
        outcome = arena.rollout(level, nets, env_seeds(seed, generation, state.genomes.size))
        evaluations += state.genomes.size
        generation += 1
        if outcome.finished[role.name].any():
            return {"solved": True, "generations": generation, "evaluations": evaluations,
                    "wall_s": time.perf_counter() - started}
        state = strategy.tell(state, outcome.fitness[role.name])
    return {"solved": False, "generations": generation, "evaluations": evaluations,
            "wall_s": time.perf_counter() - started}


def with_idle_hidden_nodes(genomes: NeatGenomes, count: int, first_id: int) -> NeatGenomes:
    """Each genome plus `count` hidden nodes, each fed by every input and feeding every output
    with weight 0: the same function, computed by a network `count` hidden nodes larger."""
    n_in, n_out = genomes.n_inputs, genomes.n_outputs
    extra_conns = count * (n_in + n_out)
    out = empty(n_in, n_out, genomes.size, genomes.node_id.shape[1] + count, genomes.conn_innov.shape[1] + extra_conns)
    first_innovation = int(genomes.conn_innov.max()) + 1
    for g in range(genomes.size):
        n, m = int(genomes.n_nodes[g]), int(genomes.n_conns[g])
        ids = np.arange(first_id, first_id + count, dtype=np.int32)
        out.node_id[g, : n + count] = np.concatenate([genomes.node_id[g, :n], ids])
        out.node_act[g, : n + count] = np.concatenate([genomes.node_act[g, :n], np.full(count, genomes.node_act[g, 0])])
        out.node_bias[g, :n] = genomes.node_bias[g, :n]
        out.n_nodes[g] = n + count
        src = np.concatenate([np.repeat(np.arange(n_in), count), np.tile(ids, n_out)])
        dst = np.concatenate([np.tile(ids, n_in), np.repeat(np.arange(n_in, n_in + n_out), count)])
        weight = np.concatenate([np.full(n_in * count, 0.5), np.zeros(n_out * count)]).astype(np.float32)
        out.conn_innov[g, : m + extra_conns] = np.concatenate(
            [genomes.conn_innov[g, :m], np.arange(first_innovation, first_innovation + extra_conns)])
        out.conn_src[g, : m + extra_conns] = np.concatenate([genomes.conn_src[g, :m], src])
        out.conn_dst[g, : m + extra_conns] = np.concatenate([genomes.conn_dst[g, :m], dst])
        out.conn_w[g, : m + extra_conns] = np.concatenate([genomes.conn_w[g, :m], weight])
        out.conn_on[g, :m] = genomes.conn_on[g, :m]
        out.conn_on[g, m : m + extra_conns] = True
        out.n_conns[g] = m + extra_conns
    return out


def _racing_drivers(arena, level, role, max_ticks, hidden: int, seed: int):
    """NEAT drivers that finish the track with at least `hidden` hidden nodes, grown by NEAT itself
    (structural mutations made frequent so that the networks grow within a short warm-up)."""
    params = replace(preset("paper", 200), add_node_rate=0.5, add_connection_rate=0.5)
    strategy = NEAT(params, role.n_inputs, role.n_outputs, seed, role.hidden_activation, role.output_activation)
    state = strategy.initial_state()
    for _ in range(RACING_WARMUP_GENERATIONS):
        evaluated = state.genomes
        outcome = arena.rollout(level, {role.name: compile_neat(evaluated)}, None, max_ticks)
        big = (evaluated.n_nodes - evaluated.n_outputs) >= hidden
        good = outcome.finished[role.name] & big
        if good.any():
            return evaluated.take(np.flatnonzero(good)), state.next_node_id
        state = strategy.tell(state, outcome.fitness[role.name])
    raise RuntimeError(f"NEAT found no finisher with {hidden} hidden nodes in {RACING_WARMUP_GENERATIONS} generations")


def racing_throughput(population: int = 1024, hidden: int = 20, seed: int = 0, min_seconds: float = 1.0) -> dict:
    """Agent-steps/s of the racing rollout with NEAT networks of at least `hidden` hidden nodes:
    as NEAT grew them (`evolved`), and with `hidden` more, fully wired ones (`dense_hidden`)."""
    from arena.bench import best_time

    arena = get_arena("racing")
    role = arena.spec.roles[0]
    level = arena.load_level(arena.default_level_path())
    max_ticks = min(arena.max_ticks(level), 1200)
    drivers, next_node_id = _racing_drivers(arena, level, role, max_ticks, hidden, seed)
    result = {}
    for name, genomes in (("evolved", drivers),
                          ("dense_hidden", with_idle_hidden_nodes(drivers, hidden, next_node_id))):
        genomes = genomes.take(np.resize(np.arange(genomes.size), population))
        net = compile_neat(genomes)
        kernel_s, outcome = best_time(lambda: arena.rollout(level, {role.name: net}, None, max_ticks), min_seconds, 50)
        steps = int(outcome.ticks.sum())
        result[name] = {
            "min_hidden_nodes": int((genomes.n_nodes - genomes.n_outputs).min()),
            "mean_hidden_nodes": float((genomes.n_nodes - genomes.n_outputs).mean()),
            "mean_connections": float(genomes.n_conns.mean()),
            "agent_steps_per_s": steps / kernel_s,
            "agent_steps": steps,
            "finished": int(outcome.finished[role.name].sum()),
        }
    return {"population": population, **result["evolved"], "dense_hidden": result["dense_hidden"]}


def _summary(runs: list, keys) -> dict:
    solved = [r for r in runs if r["solved"]]
    out = {"solved": len(solved), "runs": len(runs)}
    for key in keys:
        # unsolved runs count as their whole budget, so the median never flatters
        out[f"median_{key}"] = float(np.median([r[key] for r in runs])) if runs else None
    return out


def run(runs: int = 20, racing_population: int = 1024, progress=None) -> dict:
    """The whole benchmark (see the module doc); `progress(name, i, result)` after each run."""
    xor_run(10_000, max_generations=2)  # compile the kernels before timing anything
    xor_runs = []
    for seed in range(runs):
        xor_runs.append(xor_run(seed))
        if progress:
            progress("xor", seed, xor_runs[-1])
    pole_runs = []
    double_pole_run(10_000, budget=300)
    for seed in range(runs):
        pole_runs.append(double_pole_run(seed))
        if progress:
            progress("double_pole", seed, pole_runs[-1])
    result = {
        "xor": _summary(xor_runs, ("generations", "evaluations", "wall_s")),
        "double_pole": _summary(pole_runs, ("generations", "evaluations", "wall_s")),
        "racing": racing_throughput(racing_population),
    }
    return result

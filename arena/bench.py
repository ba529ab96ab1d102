"""Benchmarks of the rollout kernels against plain numpy steppers of the same arenas.

Both sides evaluate the same population on the same level with the same tick limit, so they
do the same work (their fitness must agree, which is checked); agent-steps are the ticks the
agents actually ran (pacman: game ticks, five agents a game). A GA runs first until some
agents finish the level; the benchmark population is those finishers (or the best), repeated
to the requested size, so that it measures the steady state of agents that play the whole
level (random or freshly mutated agents mostly crash within a few ticks, and then the numbers
measure call overheads instead). Pacman co-evolves both roles for a few generations first
and plays the halls of fame against each other.
"""

import time

import numpy as np

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.errors import UsageError
from arena.evolve.ga import GA, preset

BENCH_ARENAS = ("tunnel", "racing", "tanks", "pacman")
MAX_WARMUP_GENERATIONS = {"tunnel": 150, "racing": 150, "tanks": 30}
WARMUP_POPULATION = 200
COEVOLUTION_WARMUP = 15  # pacman: generations of co-evolution before measuring


def best_time(fn, min_seconds: float, max_repeats: int):
    """(best seconds, result) of calling fn repeatedly for at least min_seconds."""
    best, result, spent, repeats = float("inf"), None, 0.0, 0
    while repeats < max_repeats and (repeats == 0 or spent < min_seconds):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best, spent, repeats = min(best, dt), spent + dt, repeats + 1
    return best, result


def run(arena_name: str, population: int, seed: int = 0, min_seconds: float = 1.0) -> dict:
    if arena_name not in BENCH_ARENAS:
        raise UsageError(f"no benchmark for arena {arena_name!r} (available: {', '.join(BENCH_ARENAS)})")
    if population < 1:
        raise UsageError(f"--population must be at least 1, got {population}")
    arena = get_arena(arena_name)
    role = arena.spec.roles[0]
    level = arena.load_level(arena.default_level_path())
    max_ticks = min(arena.max_ticks(level), 1200)
    seeds = np.arange(population, dtype=np.uint64)
    if len(arena.spec.roles) == 1:
        brains = {role.name: _finishers(arena, level, role, population, seed, max_ticks)}
    else:
        brains = _evolved_teams(arena_name, population, seed)
    nets = {name: compile_mlp(network, genomes) for name, (network, genomes) in brains.items()}

    kernel_s, outcome = best_time(lambda: arena.rollout(level, nets, seeds, max_ticks), min_seconds, 50)
    network, genomes = brains[role.name]
    if arena_name == "tunnel":
        reference = lambda: arena.reference.rollout(level, network, genomes, einsum=True)  # noqa: E731
    elif arena_name == "racing":
        reference = lambda: arena.reference.rollout(level, network, genomes, max_ticks, einsum=True)  # noqa: E731
    else:
        reference = lambda: arena.reference.rollout(level, brains, seeds, max_ticks)  # noqa: E731
    reference_s, (ref_fitness, _, ref_ticks) = best_time(reference, min_seconds, 3)
    if isinstance(ref_fitness, dict):
        agree = all(np.allclose(ref_fitness[r], outcome.fitness[r], rtol=1e-6, atol=1e-6) for r in ref_fitness)
    else:
        agree = bool(np.allclose(ref_fitness, outcome.fitness[role.name], rtol=1e-6, atol=1e-6))

    steps = int(outcome.ticks.sum())
    return {
        "arena": arena_name,
        "population": population,
        "agent_steps_per_s": steps / kernel_s,
        "reference_agent_steps_per_s": int(ref_ticks.sum()) / reference_s,
        "ratio": (steps / kernel_s) / (int(ref_ticks.sum()) / reference_s),
        "agent_steps": steps,
        "level": level.name,
        "max_ticks": max_ticks,
        "kernel_s": kernel_s,
        "reference_s": reference_s,
        "results_agree": bool(agree),
    }


def _finishers(arena, level, role, population: int, seed: int, max_ticks: int):
    """(MLPSpec, genomes): the agents a GA evolves until some finish, repeated to `population`."""
    network = MLPSpec.for_role(role)
    ga = GA(preset("default", WARMUP_POPULATION), network.genome_size, seed)
    state = ga.initial_state()
    for _ in range(MAX_WARMUP_GENERATIONS[arena.spec.name]):
        evaluated = state.genomes
        outcome = arena.rollout(level, {role.name: compile_mlp(network, evaluated)}, None, max_ticks)
        if outcome.finished[role.name].any():
            break
        state = ga.tell(state, outcome.fitness[role.name])
    order = np.argsort(-outcome.fitness[role.name], kind="stable")
    drivers = evaluated[order[: max(1, int(outcome.finished[role.name].sum()))]]
    return network, np.ascontiguousarray(np.resize(drivers, (population, network.genome_size)))


def _evolved_teams(arena_name: str, population: int, seed: int) -> dict:
    """{role: (MLPSpec, genomes)}: the halls of fame of a short co-evolution, game by game
    (`role.agents` genomes a game), repeated to `population` games."""
    from arena.session import TrainConfig, TrainSession

    session = TrainSession(TrainConfig(arena=arena_name, population=100, seed=seed, opponents=2))
    for _ in range(COEVOLUTION_WARMUP):
        session.step()
    teams = {}
    for name, pop in session.populations.items():
        hall = np.stack(pop.hall_of_fame)
        games = np.resize(np.arange(len(hall)), population)
        teams[name] = (pop.breeder.network, np.ascontiguousarray(hall[np.repeat(games, pop.role.agents)]))
    return teams


def backends(arena_name: str = "pacman", population: int = 1024, workers: int = 2, seed: int = 0,
             min_seconds: float = 1.0, dask: bool = True) -> dict:
    """Throughput of one generation's evaluation on the serial backend on one numba thread, the
    pool backend and a local Dask cluster of `workers` processes; the pool's overhead per
    generation is its wall time minus the slowest chunk's compute time. The outcomes must be
    identical, bit for bit."""
    import numba

    from arena.evaluate.pool import PoolBackend
    from arena.evaluate.serial import SerialBackend

    if arena_name not in BENCH_ARENAS:
        raise UsageError(f"no benchmark for arena {arena_name!r} (available: {', '.join(BENCH_ARENAS)})")
    arena = get_arena(arena_name)
    level = arena.load_level(arena.default_level_path())
    max_ticks = min(arena.max_ticks(level), 1200)
    if len(arena.spec.roles) == 1:
        role = arena.spec.roles[0]
        brains = {role.name: _finishers(arena, level, role, population, seed, max_ticks)}
    else:
        brains = _evolved_teams(arena_name, population, seed)
    nets = {name: compile_mlp(network, genomes) for name, (network, genomes) in brains.items()}
    seeds = np.arange(population, dtype=np.uint64)

    def timed(backend):
        backend.evaluate(arena, level, nets, seeds, max_ticks)  # workers started, kernels loaded
        overheads = []

        def once():
            outcome = backend.evaluate(arena, level, nets, seeds, max_ticks)
            overheads.append(backend.last_wall_s - backend.last_compute_s)
            return outcome

        seconds, outcome = best_time(once, min_seconds, 20)
        return seconds, outcome, float(np.median(overheads))

    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        serial_s, serial_outcome = best_time(lambda: SerialBackend().evaluate(arena, level, nets, seeds, max_ticks),
                                             min_seconds, 20)
    finally:
        numba.set_num_threads(threads)
    with PoolBackend(workers) as pool:
        pool_s, pool_outcome, pool_overhead = timed(pool)
    outcomes = [pool_outcome]
    dask_s = dask_overhead = None
    if dask:
        from arena.evaluate.dask import DaskBackend

        with DaskBackend(workers=workers) as cluster:
            dask_s, dask_outcome, dask_overhead = timed(cluster)
        outcomes.append(dask_outcome)
    return {
        "arena": arena_name,
        "serial_evals_per_s": population / serial_s,
        "pool_speedup": serial_s / pool_s,
        "dask_speedup": serial_s / dask_s if dask_s else None,
        "pool_overhead_ms": pool_overhead * 1000,
        "dask_overhead_ms": dask_overhead * 1000 if dask else None,
        "population": population,
        "workers": workers,
        "agent_steps": int(serial_outcome.ticks.sum()),
        "serial_s": serial_s,
        "pool_s": pool_s,
        "dask_s": dask_s,
        "results_identical": all(_identical(serial_outcome, other) for other in outcomes),
    }


def _identical(a, b) -> bool:
    """Whether two outcomes hold the same values, bit for bit, in every field."""
    from dataclasses import fields

    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        pairs = [(x[k], y[k]) for k in x] if isinstance(x, dict) else [(x, y)]
        if not all(u is v or (u.dtype == v.dtype and u.tobytes() == v.tobytes()) for u, v in pairs):
            return False
    return True


CPPN_BENCH = {"seed": 0, "width": 10, "depth": 2, "beta": 2.0, "activation": "sin,gauss"}  # 20 hidden nodes
NEAT_PYTHON_SAMPLE = 20_000  # pixels neat-python paints; its time is scaled to a whole picture


def cppn(size: int = 1080, min_seconds: float = 1.0) -> dict:
    """Painting a 20-hidden-node CPPN at size x size: the numba renderer (best of repeats), the
    numpy reference, and neat-python's per-pixel `activate` on the same network where
    neat-python is installed (timed on NEAT_PYTHON_SAMPLE pixels, scaled to the picture)."""
    from arena.brains.cppn import hidden_nodes, random_cppn, render, render_numpy

    net = random_cppn(**CPPN_BENCH)
    render(net, 64, 64)  # compiled or loaded from the cache
    cpu_s, picture = best_time(lambda: render(net, size, size), min_seconds, 50)
    numpy_s, reference = best_time(lambda: render_numpy(net, size, size), min_seconds, 3)
    return {
        "cpu_1080_ms": cpu_s * 1000 * (1080 * 1080) / (size * size),
        "hidden_nodes": hidden_nodes(net),
        "neat_python_1080_ms": _neat_python_ms(net, size),
        "numpy_1080_ms": numpy_s * 1000 * (1080 * 1080) / (size * size),
        "size": size,
        "identical_to_numpy": bool(np.array_equal(picture, reference)),
    }


def _neat_python_ms(net, size: int):
    """neat-python's FeedForwardNetwork built from the same graph, per pixel; None without neat-python."""
    try:
        from neat.activations import ActivationFunctionSet
        from neat.aggregations import AggregationFunctionSet
        from neat.nn import FeedForwardNetwork
    except ImportError:
        return None
    from arena.brains.activations import NAMES

    activations, total = ActivationFunctionSet(), AggregationFunctionSet().get("sum")
    n_nodes, n_in = int(net.node_offset[1]), net.n_inputs
    evals = []
    for node in range(n_in, n_nodes):
        name = {"step": "clamped", "neat_sigmoid": "sigmoid"}.get(NAMES[int(net.node_act[node])], NAMES[int(net.node_act[node])])
        links = [(int(net.conn_src[c]), float(net.conn_w[c]))
                 for c in range(net.node_conn_start[node], net.node_conn_start[node + 1])]
        evals.append((node, activations.get(name), total, float(net.node_bias[node]), 1.0, links))
    network = FeedForwardNetwork(list(range(n_in)), [int(k) for k in net.output_index[0]], evals)
    rng = np.random.default_rng(0)
    points = rng.uniform(-1, 1, size=(NEAT_PYTHON_SAMPLE, 2))
    started = time.perf_counter()
    for x, y in points:
        network.activate((x, y, (x * x + y * y) ** 0.5, 0.0, 1.0))
    seconds = time.perf_counter() - started
    return seconds * 1000 * (1080 * 1080) / NEAT_PYTHON_SAMPLE

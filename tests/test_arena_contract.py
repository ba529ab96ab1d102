"""The arena contract, on every registered arena and each of its built-in levels."""

import numpy as np
import pytest

from arena.arenas import load_all
from arena.arenas.check import check_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.evolve.ga import GA, preset

ARENAS = sorted(load_all())


@pytest.mark.parametrize("name", ARENAS)
def test_contract_on_every_level(name, registry, levels):
    for level in levels[name]:
        check_arena(registry[name], level, n_envs=70, ticks=300)


@pytest.mark.parametrize("name", ARENAS)
def test_contract_with_evolved_drivers(name, registry, levels):
    """Random brains crash early; evolved ones reach the finish, where the rules differ."""
    arena = registry[name]
    level = arena.short_level(levels[name][0])  # the level check_arena steps through
    role = arena.spec.roles[0]
    spec = MLPSpec.for_role(role)
    ga = GA(preset("default", 64), spec.genome_size, seed=1)
    state = ga.initial_state()
    for _ in range(150):
        outcome = arena.rollout(level, {role.name: compile_mlp(spec, state.genomes)}, None)
        if outcome.finished[role.name].sum() >= 4:
            break
        state = ga.tell(state, outcome.fitness[role.name])
    assert outcome.finished[role.name].any(), "the GA found no finisher to check the finish rules with"
    check_arena(arena, level, n_envs=64, ticks=10**6, brains={role.name: (spec, state.genomes)})


@pytest.mark.parametrize("name", ARENAS)
def test_rollout_is_deterministic_and_independent_of_batch(name, registry, levels):
    arena = registry[name]
    level = levels[name][0]
    role = arena.spec.roles[0]
    spec = MLPSpec.for_role(role)
    genomes = spec.random_genomes(np.random.default_rng(5), 150)
    whole = arena.rollout(level, {role.name: compile_mlp(spec, genomes)}, None)
    again = arena.rollout(level, {role.name: compile_mlp(spec, genomes)}, None)
    part = arena.rollout(level, {role.name: compile_mlp(spec, genomes[37:101])}, None)
    assert np.array_equal(whole.fitness[role.name], again.fitness[role.name])
    assert np.array_equal(whole.fitness[role.name][37:101], part.fitness[role.name])
    assert np.array_equal(whole.ticks[37:101], part.ticks)


@pytest.mark.parametrize("name", ARENAS)
def test_graph_networks_drive_exactly_like_dense_ones(name, registry, levels):
    """The kernels' graph path (NEAT networks) against their dense path, on the same MLPs."""
    from arena.brains.netbatch import compile_mlp_graph

    arena = registry[name]
    level = arena.short_level(levels[name][0])
    role = arena.spec.roles[0]
    spec = MLPSpec.for_role(role)
    genomes = spec.random_genomes(np.random.default_rng(8), 100)
    dense = arena.rollout(level, {role.name: compile_mlp(spec, genomes)}, None)
    graph = arena.rollout(level, {role.name: compile_mlp_graph(spec, genomes)}, None)
    assert np.array_equal(dense.fitness[role.name], graph.fitness[role.name])
    assert np.array_equal(dense.ticks, graph.ticks)


@pytest.mark.parametrize("name", ARENAS)
def test_live_advance_with_graph_networks_matches_dense_ones(name, registry, levels):
    """`advance` (the window's fused stepping) on graph networks, chunk by chunk, against dense."""
    from arena.brains.netbatch import compile_mlp_graph

    arena = registry[name]
    level = arena.short_level(levels[name][0])
    role = arena.spec.roles[0]
    spec = MLPSpec.for_role(role)
    genomes = spec.random_genomes(np.random.default_rng(9), 100)
    states = []
    for net in (compile_mlp(spec, genomes), compile_mlp_graph(spec, genomes)):
        seeds = np.arange(100, dtype=np.uint64)
        state = arena.reset(level, 100, seeds)
        arrays = {role.name: net.arrays()}
        trail = np.zeros((100, 200, 2), dtype=np.float32)
        for _ in range(60):
            arena.advance(level, state, {role.name: net}, arrays, 7, trail, 5)
        states.append((arena.outcome(state), trail))
    (dense, dense_trail), (graph, graph_trail) = states
    assert np.array_equal(dense.fitness[role.name], graph.fitness[role.name])
    assert np.array_equal(dense.ticks, graph.ticks)
    assert np.array_equal(dense_trail, graph_trail)


@pytest.mark.parametrize("name", ARENAS)
def test_live_advance_keeps_recurrent_memory_as_stepping_does(name, registry):
    """Recurrent NEAT networks remember across `advance` calls exactly as across forward calls."""
    from arena.session import TrainConfig, TrainSession

    arena = registry[name]
    session = TrainSession(TrainConfig(name, brain="neat", recurrent=True, population=40, seed=4))
    for _ in range(3):
        session.step()
    nets = session.ask().nets
    role = arena.spec.roles[0].name
    assert nets[role].recurrent
    level = arena.short_level(session.level)
    seeds = np.arange(40, dtype=np.uint64)
    slow, fast = arena.reset(level, 40, seeds), arena.reset(level, 40, seeds)
    arena.step_ticks(level, slow, nets, {role: nets[role].arrays()}, 300, np.zeros((0, 0, 2), np.float32), 0)
    fast_arrays = {role: nets[role].arrays()}
    for chunk in (1, 7, 292):
        arena.advance(level, fast, nets, fast_arrays, chunk)
    assert np.array_equal(arena.outcome(slow).fitness[role], arena.outcome(fast).fitness[role])
    assert np.array_equal(arena.outcome(slow).ticks, arena.outcome(fast).ticks)

"""The arena contract, on every registered arena and each of its built-in levels."""

import numpy as np
import pytest

from arena.arenas import load_all
from arena.arenas.base import SCRIPTED
from arena.arenas.check import check_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.evolve.ga import GA, preset

ARENAS = sorted(load_all())


def random_brains(arena, n_envs, seed):
    """{role: (MLPSpec, genomes)}: random default networks for every role, `role.agents` a game."""
    rng = np.random.default_rng(seed)
    brains = {}
    for role in arena.spec.roles:
        spec = MLPSpec.for_role(role)
        brains[role.name] = (spec, spec.random_genomes(rng, n_envs * role.agents))
    return brains


def games(arena, brains, first, last):
    """The brains of games first .. last - 1 (each role has `role.agents` networks a game)."""
    return {name: (spec, genomes[first * arena.spec.role(name).agents:last * arena.spec.role(name).agents])
            for name, (spec, genomes) in brains.items()}


def compiled(brains, compile_fn=compile_mlp):
    return {name: compile_fn(spec, genomes) for name, (spec, genomes) in brains.items()}


@pytest.mark.parametrize("name", ARENAS)
def test_contract_on_every_level(name, registry, levels):
    for level in levels[name]:
        check_arena(registry[name], level, n_envs=70, ticks=300)


@pytest.mark.parametrize("name", ARENAS)
def test_contract_with_evolved_drivers(name, registry, levels):
    """Random brains crash early; evolved ones reach the finish, where the rules differ.

    The last role evolves (with one role, the only one; in pacman the ghosts, whose finish is a
    catch), and the others keep random networks."""
    arena = registry[name]
    level = arena.short_level(levels[name][0])  # the level check_arena steps through
    role = arena.spec.roles[-1]
    spec = MLPSpec.for_role(role)
    others = random_brains(arena, 64, 2)
    others.pop(role.name)
    ga = GA(preset("default", 64), spec.genome_size, seed=1)
    state = ga.initial_state()
    for _ in range(150):
        team = np.repeat(state.genomes, role.agents, axis=0)  # one genome plays every agent of its game
        outcome = arena.rollout(level, {role.name: compile_mlp(spec, team), **compiled(others)}, None)
        if outcome.finished[role.name].sum() >= 4:
            break
        state = ga.tell(state, outcome.fitness[role.name])
    assert outcome.finished[role.name].any(), "the GA found no finisher to check the finish rules with"
    check_arena(arena, level, n_envs=64, ticks=10**6, brains={role.name: (spec, team), **others})


@pytest.mark.parametrize("name", ARENAS)
def test_rollout_is_deterministic_and_independent_of_batch(name, registry, levels):
    arena = registry[name]
    level = levels[name][0]
    brains = random_brains(arena, 150, 5)
    seeds = np.arange(150, dtype=np.uint64)
    whole = arena.rollout(level, compiled(brains), seeds)
    again = arena.rollout(level, compiled(brains), seeds)
    part = arena.rollout(level, compiled(games(arena, brains, 37, 101)), seeds[37:101])
    for role in arena.spec.roles:
        assert np.array_equal(whole.fitness[role.name], again.fitness[role.name])
        assert np.array_equal(whole.fitness[role.name][37:101], part.fitness[role.name])
    assert np.array_equal(whole.ticks[37:101], part.ticks)


@pytest.mark.parametrize("name", ARENAS)
def test_graph_networks_drive_exactly_like_dense_ones(name, registry, levels):
    """The kernels' graph path (NEAT networks) against their dense path, on the same MLPs."""
    from arena.brains.netbatch import compile_mlp_graph

    arena = registry[name]
    level = arena.short_level(levels[name][0])
    brains = random_brains(arena, 100, 8)
    dense = arena.rollout(level, compiled(brains), None)
    graph = arena.rollout(level, compiled(brains, compile_mlp_graph), None)
    for role in arena.spec.roles:
        assert np.array_equal(dense.fitness[role.name], graph.fitness[role.name])
    assert np.array_equal(dense.ticks, graph.ticks)


@pytest.mark.parametrize("name", ARENAS)
def test_live_advance_with_graph_networks_matches_dense_ones(name, registry, levels):
    """`advance` (the window's fused stepping) on graph networks, chunk by chunk, against dense."""
    from arena.brains.netbatch import compile_mlp_graph

    arena = registry[name]
    level = arena.short_level(levels[name][0])
    brains = random_brains(arena, 100, 9)
    states = []
    for nets in (compiled(brains), compiled(brains, compile_mlp_graph)):
        seeds = np.arange(100, dtype=np.uint64)
        state = arena.reset(level, 100, seeds)
        arrays = {role: net.arrays() for role, net in nets.items()}
        trail = np.zeros((100, 200, 2), dtype=np.float32)
        for _ in range(60):
            arena.advance(level, state, nets, arrays, 7, trail, 5)
        states.append((arena.outcome(state), trail))
    (dense, dense_trail), (graph, graph_trail) = states
    for role in arena.spec.roles:
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
    n_games = nets[role].size // arena.spec.roles[0].agents  # co-evolving: every match is a game
    seeds = np.arange(n_games, dtype=np.uint64)
    slow, fast = arena.reset(level, n_games, seeds), arena.reset(level, n_games, seeds)

    def arrays():
        return {r: net.arrays() for r, net in nets.items() if net is not SCRIPTED}

    arena.step_ticks(level, slow, nets, arrays(), 300, np.zeros((0, 0, 2), np.float32), 0)
    fast_arrays = arrays()
    for chunk in (1, 7, 292):
        arena.advance(level, fast, nets, fast_arrays, chunk)
    assert np.array_equal(arena.outcome(slow).fitness[role], arena.outcome(fast).fitness[role])
    assert np.array_equal(arena.outcome(slow).ticks, arena.outcome(fast).ticks)

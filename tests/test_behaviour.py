"""Behaviour descriptors (novelty search): `behaviour_rollout` plays what `rollout` plays and
describes what stepping from Python describes, bit for bit and repeatably; the shared trail
readers and each arena's descriptor follow their definitions on hand-made runs; the pool
backend returns the serial backend's descriptors."""

from types import SimpleNamespace

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.arenas.base import new_trail
from arena.arenas.behaviour import sampled_positions, visited_cells
from arena.arenas.pacman import behaviour as pacman_behaviour
from arena.arenas.pacman.state import CATCH_TICK, CAUGHT, DOT, G_CELL, NO_PELLET, PAC_COL, PAC_ROW, POWER
from arena.arenas.racing import behaviour as racing_behaviour
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.evaluate.pool import PoolBackend
from arena.evaluate.serial import SerialBackend

N_ENVS = 5
CASES = [("racing", "1-oval.json"), ("racing", "6-dead-end.json"), ("tunnel", "classic.json"),
         ("tanks", "1-open.json"), ("tanks", "2-pillars.json"), ("pacman", None)]
PACMAN_SEED = 3  # a small generated maze


def load(arena_name, file):
    arena = get_arena(arena_name)
    level = arena.load_level(arena.levels_folder() / file) if file else arena.generate_level(PACMAN_SEED)
    return arena, level


def random_nets(arena, n_envs, seed, scale=1.0):
    """{role: NetBatch} of random default networks for every role (pacman's ghosts included)."""
    rng = np.random.default_rng(seed)
    nets = {}
    for role in arena.spec.roles:
        spec = MLPSpec.for_role(role)
        nets[role.name] = compile_mlp(spec, spec.random_genomes(rng, n_envs * role.agents, scale))
    return nets


def stepped_behaviour(arena, level, nets, seeds):
    """(outcome, descriptors) of playing the level's time limit tick by tick from Python."""
    state = arena.reset(level, len(seeds), seeds)
    limit = arena.max_ticks(level)
    trail, every = new_trail(arena, level, state, limit)
    arena.step_ticks(level, state, nets, {role: net.arrays() for role, net in nets.items()}, limit, trail, every)
    return arena.outcome(state), arena.behaviour.describe(level, state, trail, every)


@pytest.mark.parametrize("arena_name,file", CASES)
def test_behaviour_rollout_is_rollout_and_stepping(arena_name, file):
    arena, level = load(arena_name, file)
    nets = random_nets(arena, N_ENVS, seed=4)
    seeds = np.arange(N_ENVS, dtype=np.uint64) + 11
    described = arena.behaviour_rollout(level, nets, seeds)
    rolled = arena.rollout(level, nets, seeds)
    for role in rolled.fitness:
        assert np.array_equal(described.fitness[role], rolled.fitness[role]), role
        assert np.array_equal(described.finished[role], rolled.finished[role]), role
    assert np.array_equal(described.ticks, rolled.ticks)
    assert rolled.behaviour is None

    stepped, descriptors = stepped_behaviour(arena, level, nets, seeds)
    assert np.array_equal(stepped.ticks, described.ticks)
    assert described.behaviour.keys() == descriptors.keys() == arena.behaviour.SIZES.keys()
    for role, size in arena.behaviour.SIZES.items():
        got = described.behaviour[role]
        assert got.dtype == np.float32 and got.shape == (N_ENVS, size), role
        assert np.isfinite(got).all(), role
        assert np.array_equal(got, descriptors[role]), role

    again = arena.behaviour_rollout(level, nets, seeds)
    for role in described.behaviour:
        assert described.behaviour[role].tobytes() == again.behaviour[role].tobytes(), role


def test_cartpole_has_no_behaviour_descriptors():
    assert get_arena("cartpole").behaviour is None


# -- the shared trail readers against plain loops


def reference_sampled(trail, every, ticks, ends, samples):
    n, m = trail.shape[:2]
    out = np.zeros((n, samples, 2))
    for i in range(n):
        for j in range(samples):
            slot = ((j + 1) * (m - 1)) // samples
            out[i, j] = trail[i, slot] if slot * every <= ticks[i] else ends[i]
    return out


def reference_visited(trail, every, ticks, ends, lo, hi, cells):
    n, m = trail.shape[:2]
    out = np.zeros((n, cells * cells), dtype=np.float32)
    for i in range(n):
        points = [trail[i, k] for k in range(m) if k * every <= ticks[i]] + [ends[i]]
        for x, y in points:
            col = min(max(int((x - lo[0]) / (hi[0] - lo[0]) * cells), 0), cells - 1)
            row = min(max(int((y - lo[1]) / (hi[1] - lo[1]) * cells), 0), cells - 1)
            out[i, row * cells + col] = 1.0
    return out


def test_sampled_positions_picks_even_slots_and_holds_an_early_end():
    trail = np.arange(2 * 9 * 2, dtype=np.float32).reshape(2, 9, 2)
    ends = np.array([[100.0, 101.0], [200.0, 201.0]])
    got = sampled_positions(trail, 2, np.array([16, 5]), ends, 4)
    # slots 2, 4, 6, 8; the second run ended at tick 5, after slot 2 (tick 4)
    assert got.dtype == np.float64
    assert np.array_equal(got[0], trail[0, [2, 4, 6, 8]])
    assert np.array_equal(got[1], [trail[1, 2], ends[1], ends[1], ends[1]])


@pytest.mark.parametrize("seed", range(6))
def test_sampled_positions_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    n, m, every, samples = int(rng.integers(1, 6)), int(rng.integers(2, 40)), int(rng.integers(1, 4)), \
        int(rng.integers(1, 10))
    trail = rng.normal(size=(n, m, 2)).astype(np.float32)
    ticks = rng.integers(0, m * every + 3, size=n)
    ends = rng.normal(size=(n, 2))
    assert np.array_equal(sampled_positions(trail, every, ticks, ends, samples),
                          reference_sampled(trail, every, ticks, ends, samples))


def test_visited_cells_of_a_known_path():
    # a 4 x 4 grid over (0, 0) .. (4, 4); slots 0-2 written (ticks 0, 3, 6), slot 3 not (tick 9 > 7)
    trail = np.array([[[0.5, 0.5], [1.5, 0.5], [2.5, 1.5], [0.5, 3.5]]], dtype=np.float32)
    got = visited_cells(trail, 3, np.array([7]), np.array([[3.9, 3.9]]), (0.0, 0.0), (4.0, 4.0), 4)
    expected = np.zeros((1, 16), dtype=np.float32)
    expected[0, [0, 1, 6, 15]] = 1.0  # cells (col 0, row 0), (1, 0), (2, 1) and the end's (3, 3)
    assert got.dtype == np.float32 and np.array_equal(got, expected)


@pytest.mark.parametrize("seed", range(6))
def test_visited_cells_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    n, m, every, cells = int(rng.integers(1, 6)), int(rng.integers(1, 30)), int(rng.integers(1, 4)), \
        int(rng.integers(1, 9))
    lo, hi = (-2.0, 1.0), (6.0, 5.0)
    trail = rng.uniform(-4.0, 8.0, size=(n, m, 2)).astype(np.float32)  # some outside the box: clipped
    ticks = rng.integers(0, m * every + 3, size=n)
    ends = rng.uniform(-4.0, 8.0, size=(n, 2))
    assert np.array_equal(visited_cells(trail, every, ticks, ends, lo, hi, cells),
                          reference_visited(trail.astype(np.float64), every, ticks, ends, lo, hi, cells))


# -- each arena's descriptor on hand-made states


def test_racing_descriptors_are_sampled_positions_over_the_longest_side_and_sqrt_8():
    rng = np.random.default_rng(5)
    level = SimpleNamespace(clearance=np.zeros((30, 70)), cell=0.5, origin=(-3.0, 4.0))
    n, m, every = 3, 17, 2
    trail = rng.uniform(-3.0, 30.0, size=(n, m, 2)).astype(np.float32)
    ticks = np.array([32, 9, 0])
    x, y = rng.uniform(0.0, 30.0, size=(2, n))
    state = SimpleNamespace(x=x, y=y, ticks=ticks)
    got = racing_behaviour.describe(level, state, trail, every)["driver"]
    positions = reference_sampled(trail, every, ticks, np.stack([x, y], axis=1), 8)
    expected = (positions - np.array([-3.0, 4.0])) / (70 * 0.5) / np.sqrt(8)
    assert got.dtype == np.float32 and got.shape == (n, 16)
    np.testing.assert_allclose(got, expected.reshape(n, 16), rtol=1e-6, atol=1e-7)
    # the run that ended at tick 0 sits at its end at every moment
    np.testing.assert_allclose(got[2].reshape(8, 2), np.broadcast_to(got[2, -2:], (8, 2)))


@pytest.fixture(scope="module")
def maze():
    return get_arena("pacman").generate_level(PACMAN_SEED)


def test_pacman_descriptors_count_eaten_dots_per_block_and_power_pellets(maze):
    arena = get_arena("pacman")
    state = arena.reset(maze, 3)
    dots = np.flatnonzero(maze.pellets == DOT)
    powers = np.flatnonzero(maze.pellets == POWER)
    # the 6 x 6 block of each dot, by the maze's rows and columns
    block = [(maze.cell_row[c] * 6 // maze.rows) * 6 + maze.cell_col[c] * 6 // maze.cols for c in dots]
    top_left = [c for c, b in zip(dots, block) if b == 0]
    second = [c for c, b in zip(dots, block) if b == 7]
    assert top_left and len(second) >= 2 and len(powers) >= 2
    state.pellet[0, top_left] = NO_PELLET  # game 0: every dot of block 0
    state.pellet[1, second[::2]] = NO_PELLET  # game 1: every other dot of block 7, and a power pellet
    state.pellet[1, powers[0]] = NO_PELLET
    state.count[2, PAC_COL], state.count[2, PAC_ROW] = 5, 3  # game 2: ate nothing, moved
    got = pacman_behaviour.describe(maze, state, None, 1)["pacman"]
    assert got.dtype == np.float32 and got.shape == (3, 39)

    expected = np.zeros((3, 39))
    expected[0, 0] = 1.0
    expected[1, 7] = len(second[::2]) / len(second)
    expected[1, 36] = 1.0 / len(powers)
    start_col, start_row = maze.cell_col[maze.pac_start], maze.cell_row[maze.pac_start]
    expected[:, 37] = [start_col / maze.cols, start_col / maze.cols, 5 / maze.cols]
    expected[:, 38] = [start_row / maze.rows, start_row / maze.rows, 3 / maze.rows]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


def test_ghost_descriptors_are_where_they_ended_and_the_catch(maze):
    arena = get_arena("pacman")
    state = arena.reset(maze, 2)
    cells = np.flatnonzero(~maze.inside)[[0, 3, 7, 11, 13, 17, 19, 23]].reshape(2, 4)
    state.ghost[:, :, G_CELL] = cells
    state.flag[1, CAUGHT] = True
    state.count[1, CATCH_TICK] = 120
    got = pacman_behaviour.describe(maze, state, None, 1)["ghost"]
    assert got.dtype == np.float32 and got.shape == (2, 10)
    for game in range(2):
        columns = [maze.cell_col[c] / maze.cols for c in cells[game]]
        rows = [maze.cell_row[c] / maze.rows for c in cells[game]]
        caught = [0.0, 0.0] if game == 0 else [1.0, 120 / maze.max_ticks]
        np.testing.assert_allclose(got[game], columns + rows + caught, rtol=1e-6, atol=0)


# -- the pool backend


def test_the_pool_backend_returns_the_serial_backends_behaviour_bit_for_bit():
    arena, level = load("racing", "6-dead-end.json")
    nets = random_nets(arena, 8, seed=9, scale=2.0)
    seeds = np.arange(8, dtype=np.uint64)
    serial = SerialBackend().evaluate(arena, level, nets, seeds, behaviour=True)
    with PoolBackend(2) as pool:
        pooled = pool.evaluate(arena, level, nets, seeds, behaviour=True)
        plain = pool.evaluate(arena, level, nets, seeds)
    assert pooled.behaviour.keys() == serial.behaviour.keys() == {"driver"}
    assert pooled.behaviour["driver"].tobytes() == serial.behaviour["driver"].tobytes()
    for role in serial.fitness:
        assert pooled.fitness[role].tobytes() == serial.fitness[role].tobytes()
        assert pooled.finished[role].tobytes() == serial.finished[role].tobytes()
    assert pooled.ticks.tobytes() == serial.ticks.tobytes()
    assert plain.behaviour is None

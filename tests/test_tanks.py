"""The tanks arena: kernels against the numpy reference, the greedy tank, shared mode, the spawn
sequence, determinism, and level files."""

import json
import tempfile
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tanks import reference, sim
from arena.arenas.tanks.field import PASS_MARGIN
from arena.arenas.tanks.params import PARAMS
from arena.arenas.tanks.state import CLEARANCE, COS, HEADING, SIN, SPAWNED, SPEED, X, Y
from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.netbatch import compile_mlp, compile_mlp_graph, forward
from arena.core.errors import LevelError

ARENA = get_arena("tanks")
LEVELS = Path("levels/tanks")
OPEN, PILLARS, ROOMS = (ARENA.load_level(p) for p in sorted(LEVELS.glob("*.json")))
SPEC = MLPSpec.for_role(ARENA.spec.role("tank"))
FUZZ_DIR = Path(tempfile.mkdtemp(prefix="arena-tanks-fuzz-"))


def genomes(n, seed=0):
    return SPEC.random_genomes(np.random.default_rng(seed), n)


def same_states(a, b):
    for f in fields(a):
        left, right = getattr(a, f.name), getattr(b, f.name)
        assert np.array_equal(left, right), f"state field {f.name!r} differs"


def points(outcome):
    return np.floor(outcome.fitness["tank"])


# -- kernels against the reference


@pytest.mark.parametrize("level", [PILLARS, ROOMS], ids=["solo", "shared"])
@pytest.mark.parametrize("policy", ["network", "greedy"])
def test_kernels_follow_the_reference_bit_for_bit(level, policy):
    n = 24
    seeds = np.arange(n, dtype=np.uint64) * 7919
    level = tanks_level.short(level)
    kernel, numpy_state = ARENA.reset(level, n, seeds), reference.reset(level, n, seeds)
    same_states(kernel, numpy_state)
    g = genomes(n)
    net = compile_mlp(SPEC, g)
    for _ in range(sim.max_ticks_for(level)):
        obs = ARENA.observe(level, kernel)["tank"]
        ref_obs = reference.observe(level, numpy_state)["tank"]
        assert np.array_equal(obs[kernel.alive], ref_obs[kernel.alive])
        if policy == "greedy":
            ARENA.step(level, kernel, {"tank": None})
            reference.step(level, numpy_state, {"tank": None})
        else:
            ARENA.step(level, kernel, {"tank": forward(net, obs)})
            reference.step(level, numpy_state, {"tank": forward_numpy(SPEC, g, ref_obs)})
        same_states(kernel, numpy_state)
    assert numpy_state.caught.sum() > 0, "some points must have been caught, to check catching and respawning"


@pytest.mark.parametrize("level", [PILLARS, ROOMS], ids=["solo", "shared"])
def test_rollout_equals_the_reference_rollout(level):
    level = tanks_level.short(level)
    seeds = np.arange(40, dtype=np.uint64) + 5
    g = genomes(40, seed=3)
    cases = (({"tank": compile_mlp(SPEC, g)}, {"tank": (SPEC, g)}), ({"tank": SCRIPTED}, {"tank": SCRIPTED}))
    for nets, brains in cases:
        outcome = ARENA.rollout(level, nets, seeds)
        fitness, finished, ticks = reference.rollout(level, brains, seeds, einsum=False)
        assert np.array_equal(outcome.fitness["tank"], fitness["tank"])
        assert np.array_equal(outcome.finished["tank"], finished["tank"])
        assert np.array_equal(outcome.ticks, ticks)


def test_scripted_advance_equals_stepping():
    level = tanks_level.short(ROOMS)
    seeds = np.arange(30, dtype=np.uint64)
    slow, fast = ARENA.reset(level, 30, seeds), ARENA.reset(level, 30, seeds)
    nets = {"tank": SCRIPTED}
    ARENA.step_ticks(level, slow, nets, {}, 500, np.zeros((0, 0, 2), np.float32), 0)
    for chunk in (1, 99, 400):
        ARENA.advance(level, fast, nets, {}, chunk)
    same_states(slow, fast)


# -- the greedy tank and shared mode


def test_greedy_tank_catches_points_on_an_open_field():
    outcome = ARENA.rollout(OPEN, {"tank": SCRIPTED}, np.arange(30, dtype=np.uint64))
    caught = points(outcome)
    assert caught.min() >= 10 and caught.mean() >= 15, caught
    assert (outcome.ticks == sim.max_ticks_for(OPEN)).all()


def test_greedy_tank_turns_towards_the_point_and_drives_to_it():
    level = replace(OPEN, points_active=1)
    state = reference.reset(level, 1, np.zeros(1, dtype=np.uint64))
    state.point[0, 0] = state.tank[0, 0, X] + 5.0, state.tank[0, 0, Y]  # to the right; the tank faces up
    left, right = reference.greedy(state.tank[:, 0], state.point)
    assert left[0] > right[0], "a point on the right turns the tank clockwise"
    for _ in range(120):
        reference.step(level, state, {"tank": None})
        if state.caught[0, 0]:
            break
    assert state.caught[0, 0] == 1 and state.count[0, SPAWNED] == 2


@pytest.mark.parametrize("api", [ARENA, reference], ids=["kernel", "reference"])
def test_two_tanks_on_one_point_catch_it_once(api):
    level = replace(tanks_level.short(ROOMS), points_active=2)
    state = api.reset(level, 1, np.array([11], dtype=np.uint64))
    spot = state.point[0, 0].copy()
    far = state.point[0, 1].copy()
    state.tank[0, :, X], state.tank[0, :, Y] = spot
    state.tank[0, :, [HEADING, SIN, SPEED]] = 0.0
    state.tank[0, :, COS] = 1.0
    state.tank[0, :, CLEARANCE] = tanks_level.clearance_at(level, spot[0], spot[1])
    api.step(level, state, {"tank": np.zeros((1, 2), np.float32)})  # tank 0 stands still, the rival drives
    assert state.caught[0].tolist() == [1, 0], "the lower-numbered tank wins a tie"
    assert state.count[0, SPAWNED] == 3 and not np.array_equal(state.point[0, 0], spot)
    assert np.array_equal(state.point[0, 1], far)


def test_in_shared_mode_every_catch_is_one_spawn():
    level = ROOMS
    state = ARENA.reset(level, 50, np.arange(50, dtype=np.uint64))
    nets = {"tank": compile_mlp(SPEC, genomes(50))}
    ARENA.advance(level, state, nets, {"tank": nets["tank"].arrays()}, 10**6)
    assert not state.alive.any()
    assert np.array_equal(state.caught.sum(axis=1), state.count[:, SPAWNED] - level.points_active)
    assert state.caught[:, 1].sum() > 0, "the greedy rivals catch points too"


def test_a_rival_takes_points_from_the_greedy_tank_on_an_open_field():
    # (Among walls a rival can also help: catching the point a tank is pinned behind frees it.)
    seeds = np.arange(40, dtype=np.uint64)
    shared = replace(OPEN, rivals=1, tank_spawns=np.array([[25.0, 18.0, 90.0], [10.0, 10.0, 0.0]]))
    solo = points(ARENA.rollout(OPEN, {"tank": SCRIPTED}, seeds)).mean()
    state = ARENA.reset(shared, 40, seeds)
    ARENA.advance(shared, state, {"tank": SCRIPTED}, {}, 10**6)
    assert state.caught[:, 0].mean() < solo - 1.0 and state.caught[:, 1].mean() > 1.0


# -- determinism


@pytest.mark.parametrize("level", [PILLARS, ROOMS], ids=["solo", "shared"])
def test_rollouts_depend_on_the_seed_only(level):
    level = tanks_level.short(level)
    seeds = np.arange(150, dtype=np.uint64) * 1_000_003 + 17
    g = genomes(150, seed=4)
    for make in (compile_mlp, compile_mlp_graph):
        whole = ARENA.rollout(level, {"tank": make(SPEC, g)}, seeds)
        part = ARENA.rollout(level, {"tank": make(SPEC, g[40:90])}, seeds[40:90])
        assert np.array_equal(whole.fitness["tank"][40:90], part.fitness["tank"])
    greedy = ARENA.rollout(level, {"tank": SCRIPTED}, seeds)
    assert np.array_equal(greedy.fitness["tank"], ARENA.rollout(level, {"tank": SCRIPTED}, seeds).fitness["tank"])
    backwards = ARENA.rollout(level, {"tank": SCRIPTED}, seeds[::-1])
    assert np.array_equal(greedy.fitness["tank"][::-1], backwards.fitness["tank"])
    assert len(np.unique(greedy.fitness["tank"])) > 100, "different seeds spawn different points"


def test_a_scripted_rollout_needs_seeds():
    with pytest.raises(ValueError, match="seeds"):
        ARENA.rollout(OPEN, {"tank": SCRIPTED}, None)


# -- the spawn sequence


@pytest.mark.parametrize("level", [PILLARS, ROOMS, tanks_level.generate(3)], ids=["pillars", "rooms", "generated"])
def test_spawned_points_stay_in_their_regions_and_out_of_walls(level):
    seeds = np.repeat(np.arange(200, dtype=np.uint64) * 31337, 50)
    numbers = np.tile(np.arange(50), 200)
    x, y = reference.spawn_points(level, seeds, numbers)
    r = level.spawn_regions
    inside = ((x[:, None] >= r[:, 0]) & (x[:, None] <= r[:, 2]) & (y[:, None] >= r[:, 1]) & (y[:, None] <= r[:, 3]))
    assert inside.any(axis=1).all()
    # A spawnable cell centre has the tank radius plus PASS_MARGIN of room, and a point is at most
    # half a cell diagonal from it: well clear of the walls (bilinear reads blur that a little).
    room = PARAMS.tank_radius + PASS_MARGIN - level.cell * 0.5 ** 0.5
    assert tanks_level.clearance_at(level, x, y).min() >= 0.75 * room
    assert len(np.unique(x)) > 0.99 * x.size
    kernel = ARENA.reset(level, 200, seeds[::50])
    assert np.array_equal(kernel.point, reference.reset(level, 200, seeds[::50]).point)


def test_points_never_spawn_in_a_walled_off_pocket():
    box = [[20, 20, 30, 21], [20, 29, 30, 30], [20, 21, 21, 29], [29, 21, 30, 29]]  # a closed box, 8 m inside
    level = tanks_level.build("pocket", 50, 50, box, [[2, 2, 48, 48]], [[5, 5, 0]])
    x, y = reference.spawn_points(level, np.arange(20000, dtype=np.uint64), np.zeros(20000, dtype=np.int64))
    assert not ((x > 20) & (x < 30) & (y > 20) & (y < 30)).any()


# -- levels


def test_builtin_fields():
    assert [lv.name for lv in (OPEN, PILLARS, ROOMS)] == ["1-open", "2-pillars", "3-rooms"]
    assert len(OPEN.walls) == 0 and len(PILLARS.walls) > 0 and len(ROOMS.walls) > 0
    assert ROOMS.rivals == 1 and PILLARS.rivals == 0


def test_generated_fields_are_deterministic_and_playable():
    a, b, c = tanks_level.generate(11), tanks_level.generate(11), tanks_level.generate(12)
    assert tanks_level.to_data(a) == tanks_level.to_data(b) != tanks_level.to_data(c)
    for seed in range(20):
        level = tanks_level.generate(seed)
        assert level.spawnable.any() and len(level.walls) >= 3


@pytest.mark.parametrize("make", [lambda: tanks_level.generate(5), lambda: ROOMS])
def test_round_trip(make, tmp_path):
    level = make()
    tanks_level.save(level, tmp_path / "x.json")
    assert tanks_level.to_data(tanks_level.load(tmp_path / "x.json")) == tanks_level.to_data(level)


def field_data(**change):
    data = {"format": "arena.level", "version": 1, "arena": "tanks", "width": 40, "height": 30,
            "walls": [[10, 10, 14, 14]], "spawn_regions": [[2, 2, 38, 28]], "tank_spawns": [[5, 5, 0]],
            "points_active": 3, "rivals": 0, "seconds": 30, "target": 50}
    data.update(change)
    return data


@pytest.mark.parametrize("change,message", [
    (dict(tank_spawns=[[12, 12, 0]]), "spawn 0 at (12, 12) is inside a wall"),
    (dict(tank_spawns=[[12, 9.5, 0]]), "spawn 0 at (12, 9.5) is inside a wall"),
    (dict(tank_spawns=[[5, 5, 0], [0.5, 15, 0]], rivals=1), "spawn 1 at (0.5, 15) is inside a wall"),
    (dict(tank_spawns=[[50, 5, 0]]), "spawn 0 at (50, 5) is outside"),
    (dict(rivals=1), "'tank_spawns' has 1 spawn(s) for 1 tank and 1 rival(s)"),
    (dict(spawn_regions=[[10.5, 10.5, 13.5, 13.5]]), "region 0 [10.5, 10.5, 13.5, 13.5] has no spot"),
    (dict(spawn_regions=[[2, 2, 38, 28], [30, 20, 50, 28]]), "'spawn_regions' rectangle 1"),
    (dict(walls=[[10, 10, 9, 14]]), "'walls' rectangle 0"),
    (dict(walls=[[0, 0, 40, 30]]), "inside a wall"),
    (dict(walls="none"), "'walls' must be a list"),
    (dict(spawn_regions=[]), "'spawn_regions' must be a list of 1"),
    (dict(tank_spawns=[[5, 5]]), "'tank_spawns' entry 0"),
    (dict(points_active=0), "'points_active'"),
    (dict(rivals=4), "'rivals'"),
    (dict(seconds=0), "'seconds'"),
    (dict(target=1.5), "'target' must be a whole number"),
    (dict(width=5), "'width'"),
    (dict(height=True), "'height'"),
    (dict(arena="racing"), "for arena 'racing'"),
    (dict(walls_=[]), "unknown field 'walls_'"),
    (dict(name=3), "'name'"),
])
def test_bad_fields_name_the_problem(change, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(field_data(**change)))
    with pytest.raises(LevelError) as err:
        tanks_level.load(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_a_spawn_inside_a_wall_is_one_line_and_exit_2(tmp_path, capsys):
    from arena.cli import main

    path = tmp_path / "walled.json"
    path.write_text(json.dumps(field_data(tank_spawns=[[12, 12, 0]])))
    code = main(["train", "tanks", "--level", str(path), "--generations", "1"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "walled.json" in err and "inside a wall" in err and "Traceback" not in err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, key=st.sampled_from(["width", "height", "walls", "spawn_regions", "tank_spawns",
                                               "points_active", "rivals", "seconds", "target", "name", "version"]))
def test_fuzzed_fields_raise_only_level_errors(value, key):
    path = FUZZ_DIR / "tanks.json"
    path.write_text(json.dumps(field_data(**{key: value})))
    try:
        tanks_level.load(path)
    except LevelError as exc:
        assert "tanks.json" in str(exc) and "\n" not in str(exc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walls=st.lists(st.tuples(st.floats(0, 40), st.floats(0, 30), st.floats(0.1, 20), st.floats(0.1, 20)),
                     max_size=8),
       spawn=st.tuples(st.floats(-5, 45), st.floats(-5, 35), st.floats(-360, 360)))
def test_random_geometry_is_accepted_or_refused_cleanly(walls, spawn):
    rects = [[x, y, x + w, y + h] for x, y, w, h in walls]
    path = FUZZ_DIR / "geometry.json"
    path.write_text(json.dumps(field_data(walls=rects, tank_spawns=[list(spawn)])))
    try:
        level = tanks_level.load(path)
    except LevelError as exc:
        assert "geometry.json" in str(exc) and "\n" not in str(exc)
    else:
        assert tanks_level.clearance_at(level, spawn[0], spawn[1]) >= PARAMS.tank_radius
        x, y = reference.spawn_points(level, np.arange(50, dtype=np.uint64), np.zeros(50, dtype=np.int64))
        assert level.spawnable.reshape(-1)[((y - level.origin) / level.cell).astype(int) * level.clearance.shape[1]
                                           + ((x - level.origin) / level.cell).astype(int)].all()

"""Racing levels with a goal and dead ends (the deceptive level of novelty search): the built-in
6-dead-end loads, round-trips and keeps the arena contract; a car driving straight on ends in
the dead end and scores its closeness to the goal, above anywhere on the far side of the
track; a finisher scores above 1; and every malformed goal or dead end is one clear LevelError."""

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.arenas import get_arena
from arena.arenas.check import check_arena
from arena.arenas.racing import level as racing_level
from arena.arenas.racing.params import PARAMS
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp, forward
from arena.arenas.racing.state import (
    ALIVE, ALONG, BEST, FINISHED, FITNESS, HEADING, LAST_CHECKPOINT_TICK, NEXT_CHECKPOINT, PROGRESS, SEGMENT, SPEED,
    TICK, X, Y,
)
from arena.core.errors import LevelError

ARENA = get_arena("racing")
DEAD_END_FILE = ARENA.levels_folder() / "6-dead-end.json"
OVAL_FILE = ARENA.levels_folder() / "1-oval.json"


@pytest.fixture(scope="module")
def level():
    return racing_level.load(DEAD_END_FILE)


@pytest.fixture(scope="module")
def data():
    return json.loads(DEAD_END_FILE.read_text())


def closeness(level, xy) -> np.ndarray:
    """1 - |xy - goal| / |start - goal|, the score of a run that ended at xy (float64[..., 2])."""
    start = np.asarray(level.start[:2])
    return 1.0 - np.linalg.norm(np.asarray(xy) - level.goal_xy, axis=-1) / np.linalg.norm(start - level.goal_xy)


# -- the built-in level


def test_the_dead_end_level_has_a_goal_and_one_dead_end(level):
    assert 0.0 < level.goal < 1.0 and level.laps == 1
    assert len(level.dead_ends) == 1
    points, width = level.dead_ends[0]
    assert points.shape[1] == 2 and points.shape[0] >= 2 and width > 0
    assert level.race_length == pytest.approx(level.goal * level.length)


def test_the_dead_end_level_round_trips(level):
    first = racing_level.to_data(level)
    again = racing_level.to_data(racing_level.from_data(json.loads(json.dumps(first)), "again.json"))
    assert first == again
    assert first["goal"] == level.goal and len(first["dead_ends"]) == 1


def test_the_dead_end_level_keeps_the_arena_contract(level):
    check_arena(ARENA, level, n_envs=8, ticks=60)


# -- scoring


def drive_straight(level, heading=None):
    """The final state of one car at full throttle, wheel straight, through the step API; from
    the start as the level sets it, or turned to `heading` (rad) on the start line."""
    state = ARENA.reset(level, 1)
    if heading is not None:
        state.real[0, HEADING] = heading
    for _ in range(ARENA.max_ticks(level) + 1):
        if not state.alive.any():
            break
        ARENA.step(level, state, {"driver": np.array([[0.0, 1.0]], dtype=np.float32)})
    assert not state.alive.any()
    return state


def assert_ends_in_the_dead_end(level, state):
    points, width = level.dead_ends[0]
    x, y = state.real[0, X], state.real[0, Y]
    assert abs(x - points[0, 0]) < 0.5 * width - PARAMS.car_radius, (x, y)  # inside the corridor
    assert points[0, 1] < y <= points[-1, 1] + 0.5 * width, (x, y)


def assert_scores_its_closeness_above_the_east_side(level, state):
    outcome = ARENA.outcome(state)
    assert not outcome.finished["driver"][0]
    fitness = outcome.fitness["driver"][0]
    assert fitness == pytest.approx(closeness(level, state.real[0, X:Y + 1]), rel=1e-12, abs=1e-12)
    # deceptive: the dead end beats every point of the track's east side, the way to the goal
    east = level.centre[level.centre[:, 0] > 80.0]
    assert len(east) > 0
    assert fitness > closeness(level, east).max()


def test_the_dead_end_points_the_way_the_cars_start(level):
    """Straight on from the start (as the level sets it) is the dead end."""
    points, _ = level.dead_ends[0]
    direction = points[-1] - points[0]
    assert level.start[2] == pytest.approx(math.atan2(direction[1], direction[0]), abs=0.01)
    assert_ends_in_the_dead_end(level, drive_straight(level))


def test_a_car_driving_along_the_dead_end_ends_there_and_scores_its_closeness(level):
    points, _ = level.dead_ends[0]
    direction = points[-1] - points[0]
    state = drive_straight(level, heading=math.atan2(direction[1], direction[0]))
    assert_ends_in_the_dead_end(level, state)
    assert_scores_its_closeness_above_the_east_side(level, state)


def test_the_dead_end_scores_the_same_in_the_fused_rollout(level):
    """`rollout` on a goal level gives what stepping gives (a constant-output net: straight on)."""
    spec = MLPSpec.for_role(ARENA.spec.roles[0])
    net = compile_mlp(spec, np.zeros((2, spec.genome_size), dtype=np.float32))
    outcome = ARENA.rollout(level, {"driver": net}, np.arange(2, dtype=np.uint64))
    state = ARENA.reset(level, 2)
    for _ in range(ARENA.max_ticks(level) + 1):
        if not state.alive.any():
            break
        obs = ARENA.observe(level, state)["driver"]
        ARENA.step(level, state, {"driver": forward(net, obs)})
    stepped = ARENA.outcome(state)
    assert np.array_equal(outcome.fitness["driver"], stepped.fitness["driver"])
    assert np.array_equal(outcome.ticks, stepped.ticks)


def car_before_the_goal(level, tick: int, back: int = 3):
    """A state of one car on the centreline `back` samples before the goal, heading along the
    track at speed, its progress that of its place, `tick` ticks into its run."""
    state = ARENA.reset(level, 1)
    n = level.centre.shape[0]
    k = int(round(level.goal * n)) - back
    here, ahead = level.centre[k], level.centre[k + 1]
    along = k * level.length / n
    assert along < level.race_length
    state.real[0, [X, Y]] = here
    state.real[0, HEADING] = math.atan2(ahead[1] - here[1], ahead[0] - here[0])
    state.real[0, SPEED] = 15.0
    state.real[0, [ALONG, PROGRESS, BEST]] = along
    state.real[0, NEXT_CHECKPOINT] = (math.floor(along / 10.0) + 1.0) * 10.0
    state.real[0, FITNESS] = along / level.length
    state.count[0, SEGMENT] = k
    state.count[0, [TICK, LAST_CHECKPOINT_TICK]] = tick
    return state


def test_a_car_reaching_the_goal_finishes_and_scores_two_less_its_time(level):
    limit = ARENA.max_ticks(level)
    state = car_before_the_goal(level, tick=limit // 3)
    for _ in range(50):
        if not state.alive.any():
            break
        ARENA.step(level, state, {"driver": np.array([[0.0, 1.0]], dtype=np.float32)})
    assert state.flag[0, FINISHED] and not state.flag[0, ALIVE]
    tick = int(state.count[0, TICK])
    assert limit // 3 < tick < limit // 3 + 50
    fitness = ARENA.outcome(state).fitness["driver"][0]
    assert fitness == pytest.approx(2.0 - tick / limit, abs=1e-12)
    assert fitness > 1.0  # above any run that did not get there (closeness is at most 1)


def test_scored_fitness_of_a_finished_run_is_two_less_the_time_used(level):
    """The kernels' finisher fitness (race fraction + 1 - time) becomes 2 - time on a goal level."""
    limit = ARENA.max_ticks(level)
    state = ARENA.reset(level, 3)
    ticks = np.array([1, limit // 2, limit - 1])
    state.flag[:, FINISHED] = True
    state.flag[:, ALIVE] = False
    state.count[:, TICK] = ticks
    state.real[:, FITNESS] = level.race_length / level.length + 1.0 - ticks / limit
    np.testing.assert_allclose(state.scored_fitness(), 2.0 - ticks / limit, rtol=0, atol=1e-12)


def test_scored_fitness_of_levels_without_a_goal_is_the_kernels_fitness():
    oval = racing_level.load(OVAL_FILE)
    state = ARENA.reset(oval, 4)
    state.real[:, FITNESS] = [0.1, 0.5, 1.7, 0.0]
    state.flag[2, FINISHED] = True
    assert np.array_equal(state.scored_fitness(), state.real[:, FITNESS])
    assert state.scored_fitness() is not state.real[:, FITNESS]


# -- refusals


def refusal(tmp_path, data, name="bad.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    with pytest.raises(LevelError) as caught:
        racing_level.load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    return message


def with_dead_ends(data, dead_ends):
    out = copy.deepcopy(data)
    out["dead_ends"] = dead_ends
    return out


def test_a_goal_needs_one_lap(tmp_path, data):
    assert "'goal'" in refusal(tmp_path, dict(data, laps=2))


@pytest.mark.parametrize("goal", [0, 1, 1.0, -0.5, 1.5, "x", None, True, [0.5]])
def test_a_goal_must_be_a_fraction_of_the_lap(tmp_path, data, goal):
    assert "'goal'" in refusal(tmp_path, dict(data, goal=goal))


def test_a_goal_at_the_start_is_refused(tmp_path, data):
    assert "goal" in refusal(tmp_path, dict(data, goal=0.001))


def test_a_dead_end_leading_to_another_part_of_the_track_is_refused(tmp_path):
    oval = json.loads(OVAL_FILE.read_text())
    across = with_dead_ends(oval, [{"points": [[110.0, 0.0], [-110.0, 0.0]], "width": 8.0}])
    assert "dead end 0" in (message := refusal(tmp_path, across)) and "leads to another part" in message


def test_a_dead_end_off_the_track_is_refused(tmp_path, data):
    off = with_dead_ends(data, [{"points": [[40.0, 80.0], [40.0, 90.0]], "width": 6.0}])
    assert "not on the track" in refusal(tmp_path, off)


def test_dead_ends_longer_than_1000_m_in_all_are_refused_before_their_grid_is_made(tmp_path, data):
    """A corridor far out would widen the clearance grid to gigabytes."""
    far = with_dead_ends(data, [{"points": [[0.0, 22.0], [0.0, 95.0]], "width": 10.0},
                                {"points": [[152.0, 80.0], [4999.0, 4999.0]], "width": 10.0}])
    assert "the dead ends are 6979 m long in all; at most 1000 m" in refusal(tmp_path, far)


def test_too_many_dead_ends_are_refused(tmp_path, data):
    assert "'dead_ends'" in refusal(tmp_path, with_dead_ends(data, data["dead_ends"] * 9))


@pytest.mark.parametrize("count", [0, 1, 65])
def test_a_dead_end_needs_2_to_64_points(tmp_path, data, count):
    points = [[0.0, 22.0 + k] for k in range(count)]
    assert "'points'" in refusal(tmp_path, with_dead_ends(data, [{"points": points, "width": 6.0}]))


@pytest.mark.parametrize("point", [[0.0, 1e9], [0.0, -6000.0], [0.0], [0.0, 1.0, 2.0], "x", [True, 3.0], [0.0, "3"]])
def test_a_bad_dead_end_point_is_refused(tmp_path, data, point):
    corridor = {"points": [[0.0, 22.0], point], "width": 6.0}
    assert "point 1" in refusal(tmp_path, with_dead_ends(data, [corridor]))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_dead_end_point_is_refused(data, value):
    corridor = {"points": [[0.0, 22.0], [0.0, value]], "width": 6.0}
    with pytest.raises(LevelError, match=r"^nan\.json: dead end 0: point 1 "):
        racing_level.from_data(with_dead_ends(data, [corridor]), "nan.json")


@pytest.mark.parametrize("width", [0, -3.0, 2.0, 1000.0, "wide", None, True])
def test_a_bad_dead_end_width_is_refused(tmp_path, data, width):
    corridor = {"points": [[0.0, 22.0], [0.0, 60.0]], "width": width}
    assert "'width'" in refusal(tmp_path, with_dead_ends(data, [corridor]))


@pytest.mark.parametrize("corridor", [
    {"points": [[0.0, 22.0], [0.0, 60.0]], "width": 6.0, "colour": "red"},
    {"points": [[0.0, 22.0], [0.0, 60.0]]},
    [[0.0, 22.0], [0.0, 60.0]],
])
def test_a_dead_end_must_be_exactly_points_and_width(tmp_path, data, corridor):
    assert "exactly 'points' and 'width'" in refusal(tmp_path, with_dead_ends(data, [corridor]))


def test_a_dead_end_with_a_repeated_point_is_refused(tmp_path, data):
    corridor = {"points": [[0.0, 22.0], [0.0, 22.0], [0.0, 60.0]], "width": 6.0}
    assert "same place" in refusal(tmp_path, with_dead_ends(data, [corridor]))


# -- fuzz

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=3), st.just([]), st.just({}))
# near the track, so that what loads builds a small clearance grid
COORDINATE = st.one_of(st.floats(-80.0, 180.0), st.integers(-80, 180), st.sampled_from([0.0, 22.0, 95.0]), JUNK)
POINT = st.one_of(st.lists(COORDINATE, min_size=2, max_size=2), st.lists(COORDINATE, max_size=3), JUNK)
ON_TRACK = st.sampled_from([[0.0, 22.0], [0.0, 5.0], [2.0, 20.0], [40.0, 37.0], [155.0, 80.0], [-58.0, 60.0]])
POINTS = st.one_of(
    st.builds(lambda first, rest: [first] + rest, ON_TRACK,
              st.lists(st.lists(st.floats(-80.0, 180.0), min_size=2, max_size=2), min_size=1, max_size=4)),
    st.lists(POINT, max_size=6),
    JUNK,
)
CORRIDOR = st.one_of(
    st.fixed_dictionaries({"points": POINTS, "width": st.one_of(st.floats(3.0, 20.0), JUNK)}),
    st.fixed_dictionaries({"points": POINTS, "width": st.floats(4.0, 12.0)}, optional={"extra": JUNK}),
    JUNK,
)


def load_or_level_error(data):
    """The level `data` makes, or None after checking that its refusal is one LevelError line."""
    try:
        level = racing_level.from_data(data, "fuzz.json")
    except LevelError as exc:
        assert str(exc).startswith("fuzz.json: ") and "\n" not in str(exc)
        return None
    assert level.goal is None or 0.0 < level.goal < 1.0
    assert np.isfinite(level.clearance).all()
    return level


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(goal=st.one_of(st.just("drop"), st.floats(-0.5, 1.5), st.floats(0.05, 0.95), JUNK,
                      st.lists(st.floats(0.0, 1.0), max_size=2)))
def test_fuzzed_goals_load_or_give_one_level_error(data, goal):
    mutated = copy.deepcopy(data)
    if goal == "drop":
        del mutated["goal"]
    else:
        mutated["goal"] = goal
    load_or_level_error(mutated)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dead_ends=st.one_of(st.just("drop"), st.lists(CORRIDOR, max_size=10), JUNK),
       nudge=st.one_of(st.just([]), st.lists(st.tuples(st.integers(0, 1), st.floats(-40.0, 40.0)), min_size=1,
                                             max_size=2)))
def test_fuzzed_dead_ends_load_or_give_one_level_error(data, dead_ends, nudge):
    mutated = copy.deepcopy(data)
    if dead_ends == "drop":
        del mutated["dead_ends"]
    else:
        mutated["dead_ends"] = dead_ends
    # and the built-in corridor with its tip moved around
    tipped = copy.deepcopy(data)
    for axis, delta in nudge:
        tipped["dead_ends"][0]["points"][-1][axis] += delta
    load_or_level_error(mutated)
    if nudge:
        load_or_level_error(tipped)

"""Wall lines of tank fields (polylines with a thickness, round ends): their clearance, the
loader's checks and messages, round trips, and tanks stopped by them in the kernels and the
numpy reference alike."""

import json
from pathlib import Path

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tanks import reference
from arena.arenas.tanks.field import clearance_grid, line_segments
from arena.arenas.tanks.params import PARAMS
from arena.arenas.tanks.state import CLEARANCE, COS, HEADING, SIN, SPEED, X, Y
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp, forward
from arena.core.errors import LevelError

ARENA = get_arena("tanks")
SPEC = MLPSpec.for_role(ARENA.spec.role("tank"))
FENCE = ([[20, 2], [20, 28]], 0.5)  # a thin fence across the middle of a 40 x 30 field, gaps too narrow to pass


def field(wall_lines, spawns=((10, 15, 0),), regions=((2, 2, 38, 28),), **change):
    arguments = dict(width=40, height=30, walls=[], spawn_regions=list(regions), tank_spawns=list(spawns),
                     seconds=5, wall_lines=wall_lines)
    arguments.update(change)
    return tanks_level.build("lines", **arguments)


def capsule_distance(px, py, segment):
    """Signed distance from points to one capsule, plain numpy."""
    x0, y0, x1, y1, half = segment
    d = np.array([x1 - x0, y1 - y0])
    t = np.clip(((px - x0) * d[0] + (py - y0) * d[1]) / (d @ d), 0.0, 1.0)
    return np.hypot(x0 + t * d[0] - px, y0 + t * d[1] - py) - half


# -- clearance


def test_clearance_of_capsules_matches_the_distance_to_their_segments():
    g = np.random.default_rng(7)
    width, height = 45.0, 32.0
    lines = [(np.round(g.uniform(0, [width, height], (int(g.integers(2, 7)), 2)), 2), float(g.uniform(0.2, 4)))
             for _ in range(6)]
    segments = line_segments(lines)
    assert segments.shape == (sum(len(p) - 1 for p, _ in lines), 5)
    clearance, origin = clearance_grid(width, height, [], segments)
    iy, ix = g.integers(0, clearance.shape[0], 3000), g.integers(0, clearance.shape[1], 3000)
    px, py = origin + (ix + 0.5) * PARAMS.grid_cell, origin + (iy + 0.5) * PARAMS.grid_cell
    inside = np.minimum(np.minimum(px, width - px), np.minimum(py, height - py))
    outside = -np.hypot(np.maximum(np.maximum(-px, 0), px - width), np.maximum(np.maximum(-py, 0), py - height))
    expected = np.where(inside >= 0, inside, outside)
    for segment in segments:
        expected = np.minimum(expected, capsule_distance(px, py, segment))
    assert np.allclose(clearance[iy, ix], expected, rtol=0, atol=1e-9)
    assert (expected < 0).sum() > 100 and (expected > 3).sum() > 100, "points inside and well away from lines"


def test_rectangles_and_lines_together_are_the_nearer_of_both():
    walls = np.array([[5.0, 5.0, 9.0, 12.0], [30.0, 20.0, 31.0, 29.0]])
    segments = line_segments([(np.array([[1.0, 25.0], [15.0, 18.0], [26.0, 26.0]]), 1.5)])
    both, _ = clearance_grid(40, 30, walls, segments)
    assert np.array_equal(both, np.minimum(clearance_grid(40, 30, walls)[0], clearance_grid(40, 30, [], segments)[0]))
    assert np.array_equal(clearance_grid(40, 30, walls)[0], clearance_grid(40, 30, walls, np.zeros((0, 5)))[0])


def test_the_level_keeps_its_lines_and_segments():
    level = field([([[3, 3], [10, 3], [10, 8]], 2.0), FENCE])
    assert len(level.wall_lines) == 2 and level.wall_lines[0][1] == 2.0
    assert level.wall_segments.tolist() == [[3, 3, 10, 3, 1], [10, 3, 10, 8, 1], [20, 2, 20, 28, 0.25]]
    assert tanks_level.clearance_at(level, 6.5, 3.0) < 0 < tanks_level.clearance_at(level, 15.0, 15.0)


# -- spawns and regions


@pytest.mark.parametrize("spawn, room", [((20, 15), 0.0), ((20.8, 15), 0.55)])
def test_a_spawn_on_a_wall_line_is_refused(spawn, room):
    with pytest.raises(LevelError) as err:
        field([FENCE], spawns=[(spawn[0], spawn[1], 0)])
    message = str(err.value)
    assert f"field 'tank_spawns' spawn 0 at ({spawn[0]:g}, {spawn[1]:g}) is inside a wall" in message
    assert f"there is {room:.2f} m" in message


def test_a_region_walled_off_by_a_closed_line_is_refused_and_never_spawns_points():
    ring = ([[15, 10], [25, 10], [25, 20], [15, 20], [15, 10]], 1.0)
    with pytest.raises(LevelError, match=r"^lines: field 'spawn_regions' region 1 \[17, 12, 23, 18\] has no spot"):
        field([ring], regions=[(2, 2, 38, 28), (17, 12, 23, 18)], spawns=[(5, 5, 0)])
    level = field([ring], spawns=[(5, 5, 0)])
    x, y = reference.spawn_points(level, np.arange(20000, dtype=np.uint64), np.zeros(20000, dtype=np.int64))
    assert not ((x > 15) & (x < 25) & (y > 10) & (y < 20)).any()
    assert ((x > 25) | (x < 15) | (y > 20) | (y < 10)).all() and x.size == 20000


# -- the file


def field_data(**change):
    data = {"format": "arena.level", "version": 1, "arena": "tanks", "width": 40, "height": 30,
            "walls": [[10, 10, 14, 14]], "spawn_regions": [[2, 2, 38, 28]], "tank_spawns": [[5, 5, 0]]}
    data.update(change)
    return data


def line(*points, **keys):
    return {"points": [list(p) for p in points], **keys}


@pytest.mark.parametrize("lines, message", [
    ("none", "field 'wall_lines' must be a list of at most 50"),
    ([line((30, 5), (35, 5))] * 51, "field 'wall_lines' must be a list of at most 50"),
    ([[1, 2]], "field 'wall_lines' line 0 is [1, 2], not {\"points\""),
    ([line((30, 5), (35, 5)), {"points": "x"}], "field 'wall_lines' line 1 is {'points': 'x'}"),
    ([{"thickness": 1}], "field 'wall_lines' line 0 is {'thickness': 1}"),
    ([line((30, 5), (35, 5), width=1)], "field 'wall_lines' line 0 has unknown key 'width' (known: points, thickness)"),
    ([line((30, 5))], "field 'wall_lines' line 0 has 1 point(s), not 2 to 64"),
    ([line()], "field 'wall_lines' line 0 has 0 point(s), not 2 to 64"),
    ([line(*[(30, 5), (31, 5)] * 40)], "field 'wall_lines' line 0 has 80 point(s), not 2 to 64"),
    ([line((30, 5), (35, 5))] + [line(*[(30, 5), (31, 5)] * 30)] * 20, "'wall_lines' has 1202 points in all, more"),
    ([line((30, 5), (45, 5))], "field 'wall_lines' line 0 point 1 at (45, 5) is outside the 40 x 30 field"),
    ([line((30, 5), (35, 5), (35, -0.5))], "field 'wall_lines' line 0 point 2 at (35, -0.5) is outside the 40 x 30"),
    ([line((30, 5), (35, 5)), line((30, 25), (30, 25))], "line 1 point 1 at (30, 25) is at the same place as point 0"),
    ([line((30, 5), (35, 5), thickness=0.1)], "field 'wall_lines' line 0 thickness is 0.1, not 0.2 to 10"),
    ([line((30, 5), (35, 5), thickness=10.5)], "field 'wall_lines' line 0 thickness is 10.5, not 0.2 to 10"),
    ([line((30, 5), (35, 5), thickness=-1)], "field 'wall_lines' line 0 thickness is -1, not 0.2 to 10"),
    ([line((30, 5), (35, 5), thickness=True)], "field 'wall_lines' line 0 thickness is True, not a number"),
    ([line((30, 5), (35, 5), thickness="1")], "field 'wall_lines' line 0 thickness is '1', not a number"),
    ([line((30, 5), (35, 5), thickness=None)], "field 'wall_lines' line 0 thickness is None, not a number"),
    ([line((30, 5), (35, 5), thickness=10**400)], "field 'wall_lines' line 0 thickness is 1000000"),
    ([line((30, 5), (35, 5), thickness=1e300)], "field 'wall_lines' line 0 thickness is 1e+300, not a number"),
    ([line((30, 5), (10**400, 5))], "field 'wall_lines' line 0 point 1 is [1000000"),
    ([line((30, 5), (-1e300, 5))], "field 'wall_lines' line 0 point 1 is [-1e+300, 5], not [x, y]"),
    ([line((30, 5), (True, 5))], "field 'wall_lines' line 0 point 1 is [True, 5], not [x, y]"),
    ([line((30, 5), (35, 5, 1))], "field 'wall_lines' line 0 point 1 is [35, 5, 1], not [x, y]"),
    ([{"points": [[30, 5], None]}], "field 'wall_lines' line 0 point 1 is None, not [x, y]"),
    ([{"points": [[30, 5], ["35", 5]]}], "field 'wall_lines' line 0 point 1 is ['35', 5], not [x, y]"),
    ([line((3, 5), (8, 5))], "field 'tank_spawns' spawn 0 at (5, 5) is inside a wall"),
])
def test_bad_wall_lines_name_the_file_the_line_and_the_place(lines, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(field_data(wall_lines=lines)))
    with pytest.raises(LevelError) as err:
        tanks_level.load(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text and len(text) < 300, text


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_numbers_in_wall_lines_are_refused(value, tmp_path):
    path = tmp_path / "nan.json"
    for lines in (f'[{{"points": [[30, 5], [{value}, 5]]}}]',
                  f'[{{"points": [[30, 5], [35, 5]], "thickness": {value}}}]'):
        path.write_text(json.dumps(field_data(wall_lines="LINES")).replace('"LINES"', lines))
        with pytest.raises(LevelError) as err:
            tanks_level.load(path)
        assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_ends_too_close_to_tell_apart_make_a_disc():
    level = field([([[0, 0], [1e-300, 0]], 4.0)])  # distinct numbers, the same float once squared
    assert level.wall_segments.shape == (1, 5)
    assert tanks_level.clearance_at(level, 2.25, 2.25) == pytest.approx(np.hypot(2.25, 2.25) - 2.0)


def test_round_trip_with_wall_lines(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text(json.dumps(field_data(wall_lines=[line((30, 5), (35.25, 5), (35.25, 12)),
                                                      line((2, 28), (12, 20.5), thickness=0.75)])))
    level = tanks_level.load(path)
    data = tanks_level.to_data(level)
    assert list(data)[:8] == ["format", "version", "arena", "name", "width", "height", "walls", "wall_lines"]
    assert data["wall_lines"] == [{"points": [[30, 5], [35.25, 5], [35.25, 12]], "thickness": 1},
                                  {"points": [[2, 28], [12, 20.5]], "thickness": 0.75}]
    tanks_level.save(level, tmp_path / "again.json")
    again = tanks_level.load(tmp_path / "again.json")
    assert tanks_level.to_data(again) == data
    assert np.array_equal(again.clearance, level.clearance) and np.array_equal(again.wall_segments, level.wall_segments)


def test_files_without_wall_lines_are_written_as_before(tmp_path):
    for path in sorted(Path("levels/tanks").glob("*.json")):
        level = tanks_level.load(path)
        assert level.wall_lines == () and level.wall_segments.shape == (0, 5)
        assert "wall_lines" not in tanks_level.to_data(level)
        tanks_level.save(level, tmp_path / path.name)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


# -- tanks among wall lines


@pytest.mark.parametrize("api", [ARENA, reference], ids=["kernel", "reference"])
def test_a_tank_driving_straight_at_a_wall_line_is_stopped_by_it(api):
    level = field([FENCE], points_active=1)
    state = api.reset(level, 1, np.array([3], dtype=np.uint64))
    state.point[0, 0] = 5.0, 25.0  # out of the tank's way
    assert state.tank[0, 0, X] == 10.0 and state.tank[0, 0, HEADING] == 0.0  # facing the fence, 10 m off
    xs = []
    for _ in range(150):  # 2.5 s at full speed: far enough to be 10 m beyond the fence
        api.step(level, state, {"tank": np.ones((1, 2), np.float32)})
        xs.append(state.tank[0, 0, X])
    surface = FENCE[0][0][0] - FENCE[1] / 2
    assert surface - PARAMS.tank_radius - 0.5 < xs[-1] <= surface - PARAMS.tank_radius + 0.05, xs[-1]
    assert xs[-1] == xs[-2] and state.tank[0, 0, Y] == 15.0 and state.tank[0, 0, CLEARANCE] >= PARAMS.tank_radius


@pytest.mark.parametrize("api", [ARENA, reference], ids=["kernel", "reference"])
def test_a_tank_slides_along_a_slanted_wall_line_without_crossing_it(api):
    slant = ([[14, 2], [26, 28]], 0.4)
    level = field([slant], points_active=1)
    state = api.reset(level, 1, np.array([3], dtype=np.uint64))
    state.point[0, 0] = 5.0, 25.0
    state.tank[0, 0, [HEADING, SIN, SPEED]] = 0.0
    state.tank[0, 0, COS] = 1.0
    (x0, y0), (x1, y1) = slant[0]
    for _ in range(300):
        api.step(level, state, {"tank": np.ones((1, 2), np.float32)})
        x, y = state.tank[0, 0, X], state.tank[0, 0, Y]
        assert (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) > 0, "still left of the line"
        assert capsule_distance(x, y, (x0, y0, x1, y1, slant[1] / 2)) > 0.75 * PARAMS.tank_radius


def test_a_field_with_wall_lines_rolls_out_like_the_reference():
    lines = [([[20, 6], [20, 24]], 0.5), ([[30, 5], [35, 12], [30, 20]], 2.0)]
    level = field(lines, spawns=[(10, 15, 0), (12, 20, 180)], rivals=1)
    seeds = np.arange(8, dtype=np.uint64) * 101
    genomes = SPEC.random_genomes(np.random.default_rng(2), 8)
    net = compile_mlp(SPEC, genomes)
    outcome = ARENA.rollout(level, {"tank": net}, seeds, 300)
    fitness, _, ticks = reference.rollout(level, {"tank": (SPEC, genomes)}, seeds, 300)
    assert np.array_equal(outcome.fitness["tank"], fitness["tank"]) and np.array_equal(outcome.ticks, ticks)
    assert np.isfinite(outcome.fitness["tank"]).all() and (outcome.ticks == 300).all()
    greedy = ARENA.rollout(level, {"tank": SCRIPTED}, seeds, 300)
    assert np.array_equal(greedy.fitness["tank"], reference.rollout(level, {"tank": SCRIPTED}, seeds, 300)[0]["tank"])
    assert greedy.fitness["tank"].max() >= 1, "the greedy tank catches points among the lines"
    state = ARENA.reset(level, 8, seeds)
    for _ in range(300):
        ARENA.step(level, state, {"tank": forward(net, ARENA.observe(level, state)["tank"])})
        room = tanks_level.clearance_at(level, state.tank[..., X], state.tank[..., Y])
        assert (room >= PARAMS.tank_radius - 1e-9).all()


def test_the_renderer_draws_wall_lines_in_the_wall_colour():
    import pygame  # a core dependency: no reason to skip
    from arena.arenas.tanks.render import WALL, TanksRenderer
    from arena.ui.camera import Camera

    level = field([([[5, 25], [15, 25], [15, 20]], 1.0), FENCE])
    renderer = TanksRenderer(ARENA, level)
    surface = pygame.Surface((400, 300))
    camera = Camera((400, 300), renderer.bounds())
    renderer.draw_level(surface, camera)
    for x, y in [(10, 25), (15, 22.5), (15, 25), (20, 15), (20, 2.0)]:
        assert surface.get_at(tuple(camera.to_screen(np.array([[x, y]]))[0].astype(int)))[:3] == WALL, (x, y)
    assert surface.get_at(tuple(camera.to_screen(np.array([[10, 15]]))[0].astype(int)))[:3] != WALL

"""Property tests of the level validators: what every accepted level has, and which problem a
refused one names first.

Each arena's loader is compared against a plain reference written here: a crossing of the
centreline computed segment by segment, a breadth-first search over a clearance grid computed
from the wall rectangles, a flood over the maze cells with tunnels wrapping. Every refusal must
be one line naming the file, the field and the position. Also here: the classic-style `.lay`
built-in maze, and what a Pac-Man text file may look like (a byte order mark, CRLF, the
smallest size).

VALIDATOR_EXAMPLES sets the examples of each property (default 40).
"""

import json
import os
import re
from collections import deque

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.arenas.clearance import grid_value_numpy
from arena.arenas.pacman import level as pacman_level
from arena.arenas.racing import level as racing_level
from arena.arenas.racing.params import PARAMS as RACING
from arena.arenas.racing.track import catmull_rom_closed, resample_closed
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tanks.field import PASS_MARGIN
from arena.arenas.tanks.params import PARAMS as TANKS
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.cli import main
from arena.core.errors import LevelError

PROPERTY = settings(max_examples=int(os.environ.get("VALIDATOR_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
POSITION = re.compile(r"\((-?[0-9.]+), (-?[0-9.]+)\)")
CLASSIC_LAY = "4-medium.lay"


def refusal(load, *args) -> str:
    """The one-line message of the `LevelError` that `load(*args)` raises."""
    with pytest.raises(LevelError) as caught:
        load(*args)
    text = str(caught.value)
    assert "\n" not in text, text
    return text


def position(text: str) -> np.ndarray:
    """The "(x, y)" a message names."""
    match = POSITION.search(text)
    assert match, text
    return np.array([float(match.group(1)), float(match.group(2))])


# -- racing

def racing_data(points, widths) -> dict:
    return {"format": "arena.level", "version": 1, "arena": "racing", "centreline": np.round(points, 2).tolist(),
            "width": np.round(widths, 2).tolist(), "laps": 1}


@st.composite
def stars(draw, radii=(60.0, 110.0), widths=(5.0, 12.0), corners=(6, 12)):
    """(points float64[k, 2], widths float64[k]): a star-shaped control polygon, corners at sorted
    angles (jittered round an even spread) and radii within a band."""
    k = draw(st.integers(*corners), label="corners")
    jitter = draw(st.lists(st.floats(-0.3, 0.3), min_size=k, max_size=k), label="jitter")
    radius = draw(st.lists(st.floats(*radii), min_size=k, max_size=k), label="radii")
    width = draw(st.lists(st.floats(*widths), min_size=k, max_size=k), label="widths")
    angles = (np.arange(k) + np.array(jitter)) * 2 * np.pi / k
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1) * np.array(radius)[:, None]
    return points, np.array(width)


def crossings(centre: np.ndarray) -> list:
    """(segment index, intersection point) of every proper crossing of the closed polyline
    `centre` with a later segment, in order along the lap."""
    n = centre.shape[0]
    start, delta = centre, np.roll(centre, -1, axis=0) - centre
    found = []
    for i in range(n):
        j = np.arange(i + 2, n - (i == 0))  # segments that share no end with segment i
        denominator = delta[i, 0] * delta[j, 1] - delta[i, 1] * delta[j, 0]
        gap = start[j] - start[i]
        with np.errstate(divide="ignore", invalid="ignore"):  # parallel segments: nan, no crossing
            t = (gap[:, 0] * delta[j, 1] - gap[:, 1] * delta[j, 0]) / denominator
            u = (gap[:, 0] * delta[i, 1] - gap[:, 1] * delta[i, 0]) / denominator
        found += [(i, start[i] + ti * delta[i]) for ti in t[(t > 0.0) & (t < 1.0) & (u > 0.0) & (u < 1.0)]]
    return found


@PROPERTY
@given(star=stars())
def test_an_accepted_track_starts_on_its_centreline_facing_along_it(star):
    points, widths = star
    data = racing_data(points, widths)
    try:
        level = racing_level.from_data(data, "tracks/star.json")
    except LevelError as exc:  # a loop this round is rarely refused: then it must say why, and where
        assert "tracks/star.json" in str(exc) and POSITION.search(str(exc)), exc
        return
    x, y, heading = level.start
    assert (x, y) == tuple(level.centre[0])  # a centreline sample: the first control point
    np.testing.assert_allclose((x, y), data["centreline"][0], atol=1e-9)
    room = grid_value_numpy(level.clearance, np.array([(x - level.origin[0]) / level.cell - 0.5]),
                            np.array([(y - level.origin[1]) / level.cell - 0.5]))[0]
    assert room > RACING.car_radius and room >= 0.5 * level.width[0] - level.cell
    first = level.centre[1] - level.centre[0]
    assert np.isclose(np.dot([np.cos(heading), np.sin(heading)], first / np.linalg.norm(first)), 1.0)


@PROPERTY
@given(star=stars(radii=(80.0, 110.0), widths=(4.0, 8.0), corners=(6, 10)), data=st.data())
def test_a_track_that_crosses_itself_is_refused_near_the_crossing(star, data):
    points, widths = star
    k = points.shape[0]
    i = data.draw(st.integers(0, k - 1), label="i")
    j = (i + data.draw(st.integers(2, k - 2), label="gap")) % k  # not neighbours, either way round
    points[[i, j]] = points[[j, i]]
    text = refusal(racing_level.from_data, racing_data(points, widths), "tracks/crossed.json")
    assert text.startswith("tracks/crossed.json: the centreline crosses itself near ("), text
    # The centreline the loader samples, searched segment by segment for crossings: the first one
    # along the lap is named, by where its segment (one sample spacing long) starts, to 0.1 m.
    centre, _, _ = resample_closed(*catmull_rom_closed(np.round(points, 2), np.round(widths, 2)), RACING.spline_spacing)
    found = crossings(centre)
    assert found and np.linalg.norm(position(text) - found[0][1]) <= 1.5 * RACING.spline_spacing + 0.1, (text, found)


@PROPERTY
@given(star=stars(radii=(14.0, 20.0), widths=(RACING.max_width, RACING.max_width)))
def test_a_bend_tighter_than_its_width_is_refused(star):
    # A closed curve inside a disc of radius R bends somewhere at least as sharply as the disc's
    # edge. These loops (corners within 20 m of the middle; the spline overshoots them by a few
    # metres at most) stay inside 29 m, and half the track plus a car is 31 m, so some bend is too
    # tight whatever the corners.
    points, widths = star
    centre, _, _ = resample_closed(*catmull_rom_closed(np.round(points, 2), widths), RACING.spline_spacing)
    assert np.linalg.norm(centre, axis=1).max() < 0.5 * RACING.max_width + RACING.car_radius - 2.0
    text = refusal(racing_level.from_data, racing_data(points, widths), "tracks/tight.json")
    assert "tracks/tight.json" in text and "tighter than half the track width" in text, text
    assert np.linalg.norm(centre - position(text), axis=1).min() <= 0.1, text


# -- tanks

def rect_distance(px, py, rect):
    """Signed distance from the points to an axis-aligned rectangle, as `field._rasterise` measures it."""
    x0, y0, x1, y1 = rect
    ex = np.maximum(np.maximum(x0 - px, 0.0), px - x1)
    ey = np.maximum(np.maximum(y0 - py, 0.0), py - y1)
    inside = -np.minimum(np.minimum(px - x0, x1 - px), np.minimum(py - y0, y1 - py))
    return np.where((ex > 0.0) | (ey > 0.0), np.sqrt(ex * ex + ey * ey), inside)


def reference_clearance(level) -> np.ndarray:
    """The signed distance to the nearest wall (the field's border included) at the level's cell centres."""
    ny, nx = level.clearance.shape
    px = level.origin + (np.arange(nx) + 0.5) * level.cell
    py = level.origin + (np.arange(ny) + 0.5) * level.cell
    px, py = np.meshgrid(px, py)
    inside = np.minimum(np.minimum(px, level.width - px), np.minimum(py, level.height - py))
    ex = np.maximum(np.maximum(-px, 0.0), px - level.width)
    ey = np.maximum(np.maximum(-py, 0.0), py - level.height)
    best = np.where(inside >= 0.0, inside, -np.sqrt(ex * ex + ey * ey))
    for wall in level.walls:
        best = np.minimum(best, rect_distance(px, py, wall))
    return best


def reference_reachable(level) -> np.ndarray:
    """Cells whose centre has room for a tank with margin, 4-connected to the one nearest the
    first spawn among its own cell and the eight round it: a plain breadth-first search."""
    passable = reference_clearance(level) >= TANKS.tank_radius + PASS_MARGIN
    ny, nx = passable.shape
    x, y = level.tank_spawns[0, :2]
    ix, iy = int(np.floor((x - level.origin) / level.cell)), int(np.floor((y - level.origin) / level.cell))
    near = [(np.hypot(level.origin + (jx + 0.5) * level.cell - x, level.origin + (jy + 0.5) * level.cell - y), jy, jx)
            for jy in range(iy - 1, iy + 2) for jx in range(ix - 1, ix + 2)
            if 0 <= jy < ny and 0 <= jx < nx and passable[jy, jx]]
    reached = np.zeros_like(passable)
    if not near:
        return reached
    _, jy, jx = min(near)
    reached[jy, jx] = True
    queue = deque([(jy, jx)])
    while queue:
        cy, cx = queue.popleft()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            ky, kx = cy + dy, cx + dx
            if 0 <= ky < ny and 0 <= kx < nx and passable[ky, kx] and not reached[ky, kx]:
                reached[ky, kx] = True
                queue.append((ky, kx))
    return reached


def free_room(x, y, width, height, walls) -> float:
    """Distance from (x, y) to the nearest wall or border (negative inside one)."""
    room = min(x, width - x, y, height - y)
    for wall in walls:
        room = min(room, float(rect_distance(np.float64(x), np.float64(y), wall)))
    return room


@st.composite
def fields(draw):
    """(width, height, walls, a spawn with at least 2 m of room round it): a field that must load."""
    width = draw(st.integers(20, 80), label="width")
    height = draw(st.integers(20, 60), label="height")
    walls = []
    for _ in range(draw(st.integers(0, 8), label="walls")):
        w, h = draw(st.integers(2, 120), label="w") / 10, draw(st.integers(2, 120), label="h") / 10
        x = draw(st.integers(0, int((width - w) * 10)), label="x") / 10
        y = draw(st.integers(0, int((height - h) * 10)), label="y") / 10
        walls.append([x, y, round(x + w, 1), round(y + h, 1)])
    spawn = [draw(st.integers(0, width * 10), label="spawn x") / 10,
             draw(st.integers(0, height * 10), label="spawn y") / 10, 0.0]
    assume(free_room(spawn[0], spawn[1], width, height, walls) >= 2.0)
    return width, height, walls, spawn


def tanks_data(width, height, walls, regions, spawns) -> dict:
    return {"format": "arena.level", "version": 1, "arena": "tanks", "width": width, "height": height,
            "walls": walls, "spawn_regions": regions, "tank_spawns": spawns, "rivals": len(spawns) - 1}


@PROPERTY
@given(field=fields())
def test_the_spawnable_cells_of_a_field_are_those_a_tank_can_reach(field):
    width, height, walls, spawn = field
    level = tanks_level.from_data(tanks_data(width, height, walls, [[0, 0, width, height]], [spawn]), "fields/f.json")
    np.testing.assert_allclose(level.clearance, reference_clearance(level), atol=1e-9)
    assert np.array_equal(level.spawnable, reference_reachable(level))
    assert level.spawnable.any()


@PROPERTY
@given(field=fields(), data=st.data())
def test_a_spawn_inside_a_wall_is_refused_by_index_and_position(field, data):
    width, height, walls, spawn = field
    assume(walls)
    x0, y0, x1, y1 = data.draw(st.sampled_from(walls), label="wall")
    inside = [data.draw(st.floats(x0, x1, exclude_min=True, exclude_max=True), label="x"),
              data.draw(st.floats(y0, y1, exclude_min=True, exclude_max=True), label="y"), 90.0]
    index = data.draw(st.integers(0, TANKS.max_rivals), label="index")
    spawns = [spawn] * index + [inside] + [spawn] * data.draw(st.integers(0, TANKS.max_rivals - index), label="after")
    text = refusal(tanks_level.from_data, tanks_data(width, height, walls, [[0, 0, width, height]], spawns),
                   "fields/walled.json")
    assert text.startswith("fields/walled.json: field 'tank_spawns' ")
    assert f"spawn {index} at ({inside[0]:g}, {inside[1]:g}) is inside a wall" in text, text


@PROPERTY
@given(field=fields(), data=st.data())
def test_a_spawn_outside_the_field_is_refused_by_index_and_position(field, data):
    width, height, walls, spawn = field
    side = data.draw(st.sampled_from(["left", "right", "below", "above"]), label="side")
    off = data.draw(st.floats(0.01, 50.0), label="off")
    x, y = spawn[:2]
    x = -off if side == "left" else width + off if side == "right" else x
    y = -off if side == "below" else height + off if side == "above" else y
    index = data.draw(st.integers(0, TANKS.max_rivals), label="index")
    spawns = [spawn] * index + [[x, y, 0.0]]
    text = refusal(tanks_level.from_data, tanks_data(width, height, walls, [[0, 0, width, height]], spawns),
                   "fields/out.json")
    assert f"fields/out.json: field 'tank_spawns' spawn {index} at ({x:g}, {y:g}) is outside the " \
           f"{width:g} x {height:g} field" in text, text


@PROPERTY
@given(field=fields(), data=st.data())
def test_a_spawn_region_inside_a_wall_is_refused_by_index(field, data):
    width, height, walls, spawn = field
    assume(walls)
    x0, y0, x1, y1 = data.draw(st.sampled_from(walls), label="wall")
    # A region within the wall, cut to 0.1 m like the walls.
    rx0 = data.draw(st.integers(round(x0 * 10), round(x1 * 10) - 1), label="rx0") / 10
    rx1 = data.draw(st.integers(round(rx0 * 10) + 1, round(x1 * 10)), label="rx1") / 10
    ry0 = data.draw(st.integers(round(y0 * 10), round(y1 * 10) - 1), label="ry0") / 10
    ry1 = data.draw(st.integers(round(ry0 * 10) + 1, round(y1 * 10)), label="ry1") / 10
    index = data.draw(st.integers(0, 3), label="index")
    regions = [[0, 0, width, height]] * index + [[rx0, ry0, rx1, ry1], [0, 0, width, height]]
    text = refusal(tanks_level.from_data, tanks_data(width, height, walls, regions, [spawn]), "fields/region.json")
    assert text.startswith(f"fields/region.json: field 'spawn_regions' region {index} "
                           f"[{rx0:g}, {ry0:g}, {rx1:g}, {ry1:g}] has no spot"), text


# -- pacman

def wrap_neighbours(rows: int, cols: int, r: int, c: int):
    return [((r + dr) % rows, (c + dc) % cols) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))]


def reference_flood(maze: list, start, passable: str) -> set:
    """Cells of the characters in `passable` reachable from `start`, tunnels wrapping."""
    rows, cols = len(maze), len(maze[0])
    seen, queue = {start}, deque([start])
    while queue:
        cell = queue.popleft()
        for r, c in wrap_neighbours(rows, cols, *cell):
            if maze[r][c] in passable and (r, c) not in seen:
                seen.add((r, c))
                queue.append((r, c))
    return seen


def reference_problem(maze: list):
    """What `parse` must say first about a rectangular maze of known characters, at least 3 by 3:
    a message fragment, or None for a maze it must accept."""
    cells = [(r, c) for r, line in enumerate(maze) for c, ch in enumerate(line)]  # reading order
    starts = [cell for cell in cells if maze[cell[0]][cell[1]] == "P"]
    ghosts = [cell for cell in cells if maze[cell[0]][cell[1]] == "G"]
    if not starts:
        return "no Pac-Man start (P)"
    if len(starts) > 1:
        return f"a second Pac-Man start (P) at line {starts[1][0] + 1}, column {starts[1][1] + 1}"
    if not ghosts:
        return "no ghost start (G)"
    if len(ghosts) > 4:
        return f"a fifth ghost start (G) at line {ghosts[4][0] + 1}, column {ghosts[4][1] + 1}"
    for_ghosts = reference_flood(maze, starts[0], ".oPG -")
    for r, c in ghosts:
        if (r, c) not in for_ghosts:
            return f"the ghost start (G) at line {r + 1}, column {c + 1} has no way out"
    for_pacman = reference_flood(maze, starts[0], ".oPG ")
    for r, c in cells:
        if maze[r][c] in ".o" and (r, c) not in for_pacman:
            return f"the pellet at line {r + 1}, column {c + 1} cannot be reached"
    if not any(maze[r][c] in ".o" for r, c in cells):
        return "no pellets"
    return None


def set_cell(maze: list, r: int, c: int, ch: str) -> None:
    maze[r] = maze[r][:c] + ch + maze[r][c + 1:]


@PROPERTY
@given(seed=st.integers(0, 10**6), data=st.data())
def test_the_first_walled_in_pellet_in_reading_order_is_named(seed, data):
    maze = list(pacman_level.generate(seed).maze)
    rows, cols = len(maze), len(maze[0])
    pellets = [(r, c) for r in range(rows) for c in range(cols) if maze[r][c] in ".o"
               and all(maze[nr][nc] not in "PG" for nr, nc in wrap_neighbours(rows, cols, r, c))]
    walled = data.draw(st.lists(st.sampled_from(pellets), min_size=1, max_size=3, unique=True), label="walled in")
    for r, c in walled:
        for nr, nc in wrap_neighbours(rows, cols, r, c):
            set_cell(maze, nr, nc, "%")
    still = [(r, c) for r, c in walled if maze[r][c] in ".o"]  # walling one may wall over its neighbour
    assume(still)
    expected = reference_problem(maze)
    assert expected is not None
    text = refusal(pacman_level.parse, "\n".join(maze), "mazes/walled.lay", "walled")
    assert text.startswith("mazes/walled.lay: ") and expected in text, (text, expected)
    if expected.startswith("the pellet"):
        r, c = min(still)
        first = tuple(int(v) - 1 for v in re.search(r"line (\d+), column (\d+)", text).groups())
        assert first <= (r, c)  # it, or a pellet before it that walling cut off too


@PROPERTY
@given(seed=st.integers(0, 10**6), data=st.data())
def test_a_maze_without_pacman_or_ghosts_or_with_two_pacmen_is_refused(seed, data):
    maze = list(pacman_level.generate(seed).maze)
    rows, cols = len(maze), len(maze[0])
    edit = data.draw(st.sampled_from(["no P", "no G", "two P"]), label="edit")
    if edit == "no P":
        maze = [line.replace("P", ".") for line in maze]
    elif edit == "no G":
        maze = [line.replace("G", " ") for line in maze]
    else:
        floor = [(r, c) for r in range(rows) for c in range(cols) if maze[r][c] in ". o"]
        set_cell(maze, *data.draw(st.sampled_from(floor), label="second P"), "P")
    expected = reference_problem(maze)
    text = refusal(pacman_level.parse, "\n".join(maze), "mazes/edited.txt", "edited")
    assert text.startswith("mazes/edited.txt: ") and expected in text, (text, expected)
    assert {"no P": "no Pac-Man start", "no G": "no ghost start", "two P": "a second Pac-Man start"}[edit] in text


@st.composite
def random_mazes(draw):
    """Rectangular grids of maze characters, mostly open, with one P and one to four G cells."""
    rows, cols = draw(st.integers(3, 12), label="rows"), draw(st.integers(3, 16), label="cols")
    cells = draw(st.lists(st.sampled_from("%%%....o -"), min_size=rows * cols, max_size=rows * cols), label="cells")
    places = draw(st.lists(st.integers(0, rows * cols - 1), min_size=2, max_size=5, unique=True), label="starts")
    cells[places[0]] = "P"
    for g in places[1:]:
        cells[g] = "G"
    return ["".join(cells[r * cols:(r + 1) * cols]) for r in range(rows)]


@settings(PROPERTY, max_examples=PROPERTY.max_examples * 5)
@given(maze=random_mazes())
def test_a_random_maze_is_refused_for_its_first_problem_or_every_pellet_is_reachable(maze):
    expected = reference_problem(maze)
    if expected is not None:
        text = refusal(pacman_level.parse, "\n".join(maze), "mazes/random.txt", "random")
        assert expected in text, (text, expected)
        return
    level = pacman_level.parse("\n".join(maze), "mazes/random.txt", "random")
    reached = reference_flood(maze, (int(level.cell_row[level.pac_start]), int(level.cell_col[level.pac_start])),
                              ".oPG ")
    pellets = {(r, c) for r, line in enumerate(maze) for c, ch in enumerate(line) if ch in ".o"}
    assert pellets <= reached and level.n_pellets == len(pellets)
    # Pac-Man's moves, with tunnels wrapping, are the reference's, and never onto the cell itself.
    for k in range(level.n_cells):
        r, c = int(level.cell_row[k]), int(level.cell_col[k])
        moves = [int(level.cell_of[nr, nc]) if (nr, nc) in reached and (r, c) in reached else -1
                 for nr, nc in wrap_neighbours(level.rows, level.cols, r, c)]
        assert list(level.pac_neighbours[k]) == moves and k not in moves


@PROPERTY
@given(seed=st.integers(0, 10**6))
def test_every_generated_maze_has_every_pellet_reachable(seed):
    level = pacman_level.generate(seed)
    maze = list(level.maze)
    assert reference_problem(maze) is None
    start = (int(level.cell_row[level.pac_start]), int(level.cell_col[level.pac_start]))
    reached = reference_flood(maze, start, ".oPG ")
    pellets = {(r, c) for r, line in enumerate(maze) for c, ch in enumerate(line) if ch in ".o"}
    assert pellets <= reached and level.n_pellets == len(pellets)


@PROPERTY
@given(rows=st.integers(1, 6), cols=st.integers(1, 6), data=st.data())
def test_a_maze_under_3_by_3_is_refused_in_one_line(rows, cols, data):
    assume(rows < 3 or cols < 3)
    # No spaces: blank lines at the end of a file are not rows.
    text = "\n".join(data.draw(st.text("%.oPG-", min_size=cols, max_size=cols), label="row") for _ in range(rows))
    message = refusal(pacman_level.parse, text, "mazes/tiny.txt", "tiny")
    assert message == f"mazes/tiny.txt: the maze is {rows} by {cols} cells; at least 3 by 3 (smaller, the wrap " \
                      "round the border makes up and down, or left and right, the same cell)"


def test_a_3_by_3_maze_wraps_to_other_cells_and_plays():
    level = pacman_level.parse("%.%\nPGo\n%.%", "mazes/three.txt", "three")
    assert level.n_cells == 5 and all(k not in level.neighbours[k] for k in range(level.n_cells))
    outcome = get_arena("pacman").rollout(level, {"pacman": SCRIPTED, "ghost": SCRIPTED}, np.arange(3))
    assert (outcome.ticks > 0).all()


MAZE = ["%%%%%%%", "%o.P.o%", "%.%%%.%", "%..G..%", "%%%%%%%"]


@pytest.mark.parametrize("prefix, ending", [("\ufeff", "\n"), ("", "\r\n"), ("\ufeff", "\r\n")])
def test_a_text_maze_may_start_with_a_byte_order_mark_and_end_lines_in_crlf(prefix, ending, tmp_path):
    path = tmp_path / "windows.lay"
    path.write_bytes((prefix + ending.join(MAZE) + ending).encode("utf-8"))
    level = pacman_level.load(path)
    assert level.maze == tuple(MAZE) and level.name == "windows"


@pytest.mark.parametrize("where, odd", [(2, "\ufeff"), (3, "\x0c"), (4, "\u2028"), (2, "\r")])
def test_a_line_break_or_mark_inside_the_maze_is_an_unknown_character(where, odd, tmp_path):
    # splitlines() once cut a row at a form feed or a Unicode line separator, silently making another maze.
    rows = list(MAZE)
    rows[where - 1] = odd + rows[where - 1][1:]
    path = tmp_path / "odd.txt"
    path.write_bytes("\n".join(rows).encode("utf-8"))
    assert refusal(pacman_level.load, path) == (f"{path}: unknown character {odd!r} at line {where}, column 1 "
                                                "(known: % . o - P G and space)")
    json_path = tmp_path / "odd.json"
    json_path.write_text(json.dumps({"format": "arena.level", "version": 1, "arena": "pacman", "maze": rows}))
    assert refusal(pacman_level.load, json_path).startswith(f"{json_path}: ")


# -- the classic-style .lay built-in

def test_the_lay_builtin_is_listed_loads_and_is_accepted_by_levels_check(capsys):
    arena = get_arena("pacman")
    path = arena.levels_folder() / CLASSIC_LAY
    assert path in arena.builtin_levels()
    level = arena.load_level(path)
    assert (level.rows, level.cols) == (15, 28) and len(level.power_cells) == 4
    assert (level.ghost_starts != level.ghost_starts[0]).any() and level.exit_cell == -1  # no doors: Berkeley's style
    assert reference_problem(list(level.maze)) is None
    assert main(["levels", "check", str(path)]) == 0
    assert f"{path}: ok (pacman)" in capsys.readouterr().out


def test_the_lay_builtin_plays():
    arena = get_arena("pacman")
    level = arena.load_level(arena.levels_folder() / CLASSIC_LAY)
    seeds = np.arange(6, dtype=np.uint64)
    scripted = arena.rollout(level, {"pacman": SCRIPTED, "ghost": SCRIPTED}, seeds)
    assert (scripted.ticks > 0).all() and (scripted.ticks <= level.max_ticks).all() and (scripted.score > 0).all()
    rng = np.random.default_rng(8)
    nets = {role.name: compile_mlp(spec, spec.random_genomes(rng, len(seeds) * role.agents))
            for role in arena.spec.roles for spec in [MLPSpec.for_role(role)]}
    played = arena.rollout(level, nets, seeds)
    again = arena.rollout(level, nets, seeds)
    assert (played.ticks > 0).all() and (played.ticks <= level.max_ticks).all()
    assert np.array_equal(played.score, again.score) and np.array_equal(played.ticks, again.ticks)
    assert (played.score > 0).any()  # some random Pac-Man eats a pellet

"""Tank fields: walls, where points spawn, where tanks start, and the rules of a run.

File (every field but the field size, `spawn_regions` and `tank_spawns` may be left out):

    {"format": "arena.level", "version": 1, "arena": "tanks", "name": "pillars",
     "width": 60, "height": 40,             metres; the field is [0, width] x [0, height], walled round
     "walls": [[x0, y0, x1, y1], ...],       axis-aligned obstacles, inside the field
     "wall_lines": [{"points": [[x, y], ...], "thickness": 1.0}, ...],   obstacles along polylines:
                                              2 to 64 points inside the field, no two consecutive ones
                                              at the same place; round ends and joins; thickness
                                              (full width, 0.2 to 10 m) 1 when left out; at most
                                              50 lines and 1000 points in all
     "spawn_regions": [[x0, y0, x1, y1], ...],   rectangles points spawn in
     "tank_spawns": [[x, y, heading], ...],  heading in degrees, anticlockwise from +x; the network
                                              tank starts at the first, rival i at spawn i
     "points_active": 3,                     points on the field at once
     "rivals": 0,                            0: solo; r: r scripted greedy tanks compete for the points
     "seconds": 45,                          length of a run
     "target": 100}                          points that finish (solve) the level

Loading refuses a level a run could not be played on, naming the file, the field and the place:
a wall, wall line point or region outside the field, a tank spawn inside a wall or wall line
(closer to one than the tank radius), a spawn region with no spot a tank can reach, fewer tank
spawns than tanks.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from arena.arenas.clearance import grid_value_numpy
from arena.arenas.levelfile import (
    check_header, is_finite_number, read_level_json, refuse_unknown_fields, require_int, require_number, short_repr,
)
from arena.arenas.tanks.field import cells_in, clearance_grid, line_segments, reachable_cells
from arena.arenas.tanks.params import PARAMS
from arena.core.errors import LevelError
from arena.core.fileio import write_json
from arena.core.seeding import STREAM_LEVEL, rng

FIELDS = ("format", "version", "arena", "name", "width", "height", "walls", "wall_lines", "spawn_regions",
          "tank_spawns", "points_active", "rivals", "seconds", "target")
LINE_KEYS = ("points", "thickness")
LINE_THICKNESS = 1.0  # a wall line's thickness when the file leaves it out
LINE_ENTRY = '{"points": [[x, y], ...], "thickness": t}'
DEFAULTS = {"points_active": 3, "rivals": 0, "seconds": 45.0, "target": 100}
SHORT_SECONDS = 20.0  # `short` levels: runs end after this long ...
SHORT_TARGET = 5  # ... or this many points


@dataclass(frozen=True)
class TanksLevel:
    name: str
    width: float  # metres
    height: float
    walls: np.ndarray  # float64[w, 4]: x0, y0, x1, y1 of each obstacle
    wall_lines: tuple  # (points float64[k, 2], thickness (m, full width)) of each wall line, as in the file
    wall_segments: np.ndarray  # float64[s, 5]: x0, y0, x1, y1, half-thickness of every wall line segment
    spawn_regions: np.ndarray  # float64[r, 4]: x0, y0, x1, y1
    tank_spawns: np.ndarray  # float64[s, 3]: x, y (m), heading (degrees, as in the file)
    points_active: int
    rivals: int
    seconds: float
    target: int
    clearance: np.ndarray  # float64[ny, nx]: signed distance to the nearest wall at cell centres
    spawnable: np.ndarray  # bool[ny, nx]: cells a point may spawn in (see `field`)
    fallback: np.ndarray  # float64[r, 2]: a spawnable cell centre in each region, for unlucky spawns
    origin: float  # x and y of the grid's corner
    cell: float  # grid cell size
    duel: bool = False  # set up for a duel: tank 1 drives by a network too (never in a file)

    @property
    def n_tanks(self) -> int:
        """Tanks on the field of each environment: the network tank and its rivals."""
        return 1 + self.rivals

    @property
    def spawn_headings(self) -> np.ndarray:
        """float64[s], radians."""
        return np.deg2rad(self.tank_spawns[:, 2])


def clearance_at(level, x, y):
    """Bilinear clearance at world points (arrays), clamped into the grid: what the kernels read."""
    inv_cell = 1.0 / level.cell
    return grid_value_numpy(level.clearance, (np.asarray(x, dtype=np.float64) - level.origin) * inv_cell - 0.5,
                            (np.asarray(y, dtype=np.float64) - level.origin) * inv_cell - 0.5)


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _checked_lines(wall_lines, width, height, source) -> tuple:
    """The wall lines as (points float64[k, 2], thickness) pairs, their counts, thicknesses and points checked."""
    lines = tuple((np.asarray(points, dtype=np.float64).reshape(-1, 2), float(thickness))
                  for points, thickness in wall_lines)
    total = sum(len(points) for points, _ in lines)
    if total > PARAMS.max_wall_points:
        raise LevelError(f"{source}: field 'wall_lines' has {total} points in all, more than the "
                         f"{PARAMS.max_wall_points} allowed")
    for i, (points, thickness) in enumerate(lines):
        if not 2 <= len(points) <= PARAMS.max_line_points:
            raise LevelError(f"{source}: field 'wall_lines' line {i} has {len(points)} point(s), not 2 to "
                             f"{PARAMS.max_line_points}")
        if not PARAMS.min_line_thickness <= thickness <= PARAMS.max_line_thickness:
            raise LevelError(f"{source}: field 'wall_lines' line {i} thickness is {thickness:g}, not "
                             f"{PARAMS.min_line_thickness:g} to {PARAMS.max_line_thickness:g}")
        for j, (x, y) in enumerate(points):
            if not (0.0 <= x <= width and 0.0 <= y <= height):
                raise LevelError(f"{source}: field 'wall_lines' line {i} point {j} at ({x:g}, {y:g}) is outside the "
                                 f"{width:g} x {height:g} field")
            if j > 0 and x == points[j - 1, 0] and y == points[j - 1, 1]:
                raise LevelError(f"{source}: field 'wall_lines' line {i} point {j} at ({x:g}, {y:g}) is at the same "
                                 f"place as point {j - 1}")
    return lines


def build(name: str, width, height, walls, spawn_regions, tank_spawns, points_active: int = 3, rivals: int = 0,
          seconds: float = 45.0, target: int = 100, source: str = None, wall_lines=()) -> TanksLevel:
    """Rasterise and check a field; `LevelError` naming `source` (and the field) if it is unplayable.

    The numbers must already be of the right kinds (see `from_data`); this checks the geometry.
    `wall_lines` holds (points [[x, y], ...], thickness) pairs.
    """
    source = source or name
    lines = _checked_lines(wall_lines, width, height, source)
    segments = line_segments(lines)
    walls = np.asarray(walls, dtype=np.float64).reshape(-1, 4)
    regions = np.asarray(spawn_regions, dtype=np.float64).reshape(-1, 4)
    spawns = np.asarray(tank_spawns, dtype=np.float64).reshape(-1, 3)
    for key, rects in (("walls", walls), ("spawn_regions", regions)):
        for i, (x0, y0, x1, y1) in enumerate(rects):
            if not (0.0 <= x0 < x1 <= width and 0.0 <= y0 < y1 <= height):
                raise LevelError(f"{source}: field {key!r} rectangle {i} is {_fmt(rects[i])}, not [x0, y0, x1, y1] "
                                 f"with x0 < x1, y0 < y1 inside the {width:g} x {height:g} field")
    if spawns.shape[0] < 1 + rivals:
        raise LevelError(f"{source}: field 'tank_spawns' has {spawns.shape[0]} spawn(s) for 1 tank and {rivals} "
                         f"rival(s)")
    clearance, origin = clearance_grid(width, height, walls, segments)
    level = TanksLevel(name, float(width), float(height), walls, lines, segments, regions, spawns, int(points_active),
                       int(rivals), float(seconds), int(target), clearance, np.zeros(clearance.shape, dtype=np.bool_),
                       np.zeros((regions.shape[0], 2)), origin, PARAMS.grid_cell)
    for i, (x, y, _) in enumerate(spawns):
        if not (0.0 <= x <= width and 0.0 <= y <= height):
            raise LevelError(f"{source}: field 'tank_spawns' spawn {i} at ({x:g}, {y:g}) is outside the "
                             f"{width:g} x {height:g} field")
        room = float(clearance_at(level, x, y))
        if room < PARAMS.tank_radius:
            raise LevelError(f"{source}: field 'tank_spawns' spawn {i} at ({x:g}, {y:g}) is inside a wall "
                             f"(a tank needs {PARAMS.tank_radius:g} m around it, there is {max(room, 0.0):.2f} m)")
    spawnable = reachable_cells(clearance, origin, spawns[0, 0], spawns[0, 1])
    fallback = np.zeros((regions.shape[0], 2))
    for r, rect in enumerate(regions):
        rows, cols = cells_in(rect, origin, clearance.shape)
        free = np.flatnonzero(spawnable[rows, cols])
        if free.size == 0:
            raise LevelError(f"{source}: field 'spawn_regions' region {r} {_fmt(rect)} has no spot a tank can "
                             f"reach from tank spawn 0 (it is inside a wall, walled off, or too small)")
        fallback[r] = origin + (np.array([cols[free[0]], rows[free[0]]]) + 0.5) * PARAMS.grid_cell
    return replace(level, spawnable=spawnable, fallback=fallback)


def _rects(data, key, source, minimum, maximum, width):
    """`data[key]` as float64[k, width]: a list of lists of `width` finite numbers."""
    value = data.get(key, [] if minimum == 0 else None)
    if not isinstance(value, list) or not minimum <= len(value) <= maximum:
        entry = "[x0, y0, x1, y1]" if width == 4 else "[x, y, heading]"
        raise LevelError(f"{source}: field {key!r} must be a list of {minimum} to {maximum} {entry} entries")
    rows = []
    for i, item in enumerate(value):
        if not (isinstance(item, list) and len(item) == width and all(
                not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v) <= 1e6 for v in item)):
            text = repr(item)
            raise LevelError(f"{source}: field {key!r} entry {i} is {text[:60]}, not {width} numbers")
        rows.append([float(v) for v in item])
    return np.array(rows, dtype=np.float64).reshape(-1, width)


def _wall_lines(data, source) -> list:
    """`data["wall_lines"]` as (points, thickness) pairs of the right kinds (`build` checks the geometry)."""
    value = data.get("wall_lines", [])
    if not isinstance(value, list) or len(value) > PARAMS.max_wall_lines:
        raise LevelError(f"{source}: field 'wall_lines' must be a list of at most {PARAMS.max_wall_lines} "
                         f"{LINE_ENTRY} entries, got {short_repr(value)}")
    lines = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("points"), list):
            raise LevelError(f"{source}: field 'wall_lines' line {i} is {short_repr(item)}, not {LINE_ENTRY}")
        unknown = sorted(set(item) - set(LINE_KEYS))
        if unknown:
            raise LevelError(f"{source}: field 'wall_lines' line {i} has unknown key {short_repr(unknown[0])} "
                             f"(known: {', '.join(LINE_KEYS)})")
        points = item["points"]
        if len(points) > PARAMS.max_line_points:
            raise LevelError(f"{source}: field 'wall_lines' line {i} has {len(points)} point(s), not 2 to "
                             f"{PARAMS.max_line_points}")
        for j, point in enumerate(points):
            if not (isinstance(point, list) and len(point) == 2
                    and all(is_finite_number(v) and abs(v) <= 1e6 for v in point)):
                raise LevelError(f"{source}: field 'wall_lines' line {i} point {j} is {short_repr(point)}, not [x, y]")
        thickness = item.get("thickness", LINE_THICKNESS)
        if not is_finite_number(thickness) or abs(thickness) > 1e6:
            raise LevelError(f"{source}: field 'wall_lines' line {i} thickness is {short_repr(thickness)}, not a "
                             f"number")
        lines.append(([[float(v) for v in point] for point in points], float(thickness)))
    return lines


def from_data(data, source: str) -> TanksLevel:
    check_header(data, "tanks", source)
    refuse_unknown_fields(data, FIELDS, source)
    width = require_number(data, "width", source, PARAMS.min_field, False, PARAMS.max_field)
    height = require_number(data, "height", source, PARAMS.min_field, False, PARAMS.max_field)
    walls = _rects(data, "walls", source, 0, PARAMS.max_walls, 4)
    wall_lines = _wall_lines(data, source)
    regions = _rects(data, "spawn_regions", source, 1, PARAMS.max_regions, 4)
    spawns = _rects(data, "tank_spawns", source, 1, 1 + PARAMS.max_rivals, 3)
    points_active = require_int(data, "points_active", source, 1, PARAMS.max_points_active, DEFAULTS["points_active"])
    rivals = require_int(data, "rivals", source, 0, PARAMS.max_rivals, DEFAULTS["rivals"])
    seconds = require_number(data, "seconds", source, 1.0, False, PARAMS.max_seconds, DEFAULTS["seconds"])
    target = require_int(data, "target", source, 1, PARAMS.max_target, DEFAULTS["target"])
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise LevelError(f"{source}: field 'name' must be text")
    return build(name, width, height, walls, regions, spawns, points_active, rivals, seconds, target, source,
                 wall_lines)


def load(path) -> TanksLevel:
    return from_data(read_level_json(path), str(path))


def _number(value):
    return int(value) if float(value).is_integer() else float(value)


def _numbers(rows):
    return [[_number(v) for v in row] for row in rows.tolist()]


def to_data(level: TanksLevel) -> dict:
    """The level as a file; "wall_lines" only when it has some, so files without them read as before."""
    data = {
        "format": "arena.level",
        "version": 1,
        "arena": "tanks",
        "name": level.name,
        "width": level.width,
        "height": level.height,
        "walls": _numbers(level.walls),
    }
    if level.wall_lines:
        data["wall_lines"] = [{"points": _numbers(points), "thickness": _number(thickness)}
                              for points, thickness in level.wall_lines]
    data.update({
        "spawn_regions": _numbers(level.spawn_regions),
        "tank_spawns": _numbers(level.tank_spawns),
        "points_active": level.points_active,
        "rivals": level.rivals,
        "seconds": level.seconds,
        "target": level.target,
    })
    return data


def save(level: TanksLevel, path) -> None:
    write_json(path, to_data(level), LevelError)


def short(level: TanksLevel) -> TanksLevel:
    """`level` with runs of at most SHORT_SECONDS that finish at SHORT_TARGET points at most."""
    return replace(level, seconds=min(level.seconds, SHORT_SECONDS), target=min(level.target, SHORT_TARGET))


def generate(seed: int, attempts: int = 200) -> TanksLevel:
    """A random field: a few rectangular obstacles, one to three spawn regions, a solo run.

    Each attempt draws a layout from its own stream; layouts the loader would refuse (a region
    walled off, no free tank spawn) are drawn again, so the result is always playable.
    """
    for attempt in range(attempts):
        g = rng(seed, STREAM_LEVEL, attempt)
        width = float(np.round(g.uniform(40.0, 80.0)))
        height = float(np.round(g.uniform(30.0, 60.0)))
        walls = []
        for _ in range(int(g.integers(3, 10))):
            w, h = g.uniform(1.0, 8.0), g.uniform(1.0, 8.0)
            x, y = g.uniform(0.0, width - w), g.uniform(0.0, height - h)
            walls.append(np.round([x, y, x + w, y + h], 1))
        regions = []
        for _ in range(int(g.integers(1, 4))):
            w, h = g.uniform(0.3, 1.0) * width, g.uniform(0.3, 1.0) * height
            x, y = g.uniform(0.0, width - w), g.uniform(0.0, height - h)
            regions.append(np.round([x, y, x + w, y + h], 1))
        x, y = np.round(g.uniform(3.0, width - 3.0), 1), np.round(g.uniform(3.0, height - 3.0), 1)
        heading = float(np.round(g.uniform(-180.0, 180.0)))
        try:
            return build(f"generated-{seed}", width, height, walls, regions, [[x, y, heading]],
                         source=f"generated field {seed}")
        except LevelError:
            continue
    raise LevelError(f"generated field {seed}: no playable field found in {attempts} attempts")

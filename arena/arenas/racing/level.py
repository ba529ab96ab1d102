"""Racing levels: a closed centreline through control points, a width per point, laps to drive.

File: `{"format": "arena.level", "version": 1, "arena": "racing", "name": "oval",
"centreline": [[x, y], ...], "width": 14.0 or [w, ...], "laps": 1}`. Cars start at the first
control point, facing along the track.

Optional, for deceptive levels (the mazes of Lehman and Stanley's novelty search):
- `"goal": f`, 0 < f < 1, with one lap: the race ends at that fraction of the lap, and a car
  that does not get there scores how much closer it ended to the goal than it started,
  `1 - |end - goal| / |start - goal|`, not its progress along the track; a car that gets
  there scores 2 - the fraction of its time limit it used;
- `"dead_ends": [{"points": [[x, y], ...], "width": w}, ...]`: open corridors leaving the
  track. None may be a shortcut: one that meets the track again must do so no farther along it
  than the corridor is long.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.arenas.levelfile import (
    check_header,
    read_level_json,
    require_number,
    short_repr,
)
from arena.arenas.racing.params import PARAMS
from arena.arenas.racing.track import (
    catmull_rom_closed,
    clearance_grid,
    find_dead_end_problem,
    find_problem,
    resample_closed,
    segment_table,
)
from arena.core.errors import LevelError
from arena.core.fileio import write_json
from arena.core.seeding import STREAM_LEVEL, rng

# Checking a track takes time quadratic in its length, and its clearance grid grows with its
# area (at most that of a circle of this circumference): a 5 km lap loads in about 2 s.
MAX_LAP_LENGTH = 5000.0
MAX_DEAD_ENDS = 8
MAX_DEAD_END_POINTS = 64
# Dead ends widen the clearance grid as far as they reach: bounded, as the lap is.
MAX_DEAD_END_LENGTH = 1000.0


@dataclass(frozen=True)
class RacingLevel:
    name: str
    control_points: np.ndarray  # float64[k, 2], as in the file
    control_widths: np.ndarray  # float64[k]
    laps: int
    centre: np.ndarray  # float64[n, 2], centreline samples about `spline_spacing` apart
    width: np.ndarray  # float64[n], track width at each sample
    seg_start: np.ndarray  # float64[n], arc length at each sample
    segments: np.ndarray  # float64[n + 4, 5], the centreline segments as `track.segment_table` lists them
    length: float  # metres, one lap
    clearance: np.ndarray  # float64[ny, nx], signed distance to the nearest wall (negative off track)
    origin: tuple  # (x, y) of the clearance grid's corner
    cell: float  # clearance grid cell size
    start: tuple  # (x, y, heading)
    goal: float = None  # the race ends at this fraction of the lap (see the module's docstring)
    dead_ends: tuple = ()  # ((points float64[k, 2], width), ...)

    @property
    def race_length(self) -> float:
        return self.goal * self.length if self.goal is not None else self.laps * self.length

    @property
    def goal_index(self) -> int:
        """The centreline sample where the race ends (0, the start, after whole laps)."""
        n = self.centre.shape[0]
        return int(round((self.goal or 0.0) * n)) % n

    @property
    def goal_xy(self) -> np.ndarray:
        """float64[2]: the centreline point where the race ends."""
        return self.centre[self.goal_index]

    def goal_row(self) -> np.ndarray:
        """float64[4]: what a state keeps to score runs by their goal (see `state.GOAL_X`), NaN
        on a level without one."""
        if self.goal is None:
            return np.full(4, np.nan)
        start_distance = float(np.hypot(self.start[0] - self.goal_xy[0], self.start[1] - self.goal_xy[1]))
        return np.array([self.goal_xy[0], self.goal_xy[1], 1.0 / start_distance, self.goal])


def build(name: str, points, widths, laps: int, source: str, goal=None, dead_ends=()) -> RacingLevel:
    """Sample, check and rasterise a track; `LevelError` naming `source` if it is not drivable."""
    points = np.asarray(points, dtype=np.float64)
    widths = np.broadcast_to(np.asarray(widths, dtype=np.float64), (points.shape[0],)).copy()
    if np.linalg.norm(np.diff(np.vstack([points, points[:1]]), axis=0), axis=1).min() < 1e-6:
        raise LevelError(f"{source}: two consecutive control points are at the same place")
    xy, w = catmull_rom_closed(points, widths)
    spline_length = np.linalg.norm(np.diff(np.vstack([xy, xy[:1]]), axis=0), axis=1).sum()
    if spline_length > MAX_LAP_LENGTH:
        raise LevelError(f"{source}: the track is {spline_length:.0f} m long; at most {MAX_LAP_LENGTH:g} m a lap")
    centre, width, length = resample_closed(xy, w, PARAMS.spline_spacing)
    if length < 20 * PARAMS.spline_spacing:
        raise LevelError(f"{source}: the track is only {length:.1f} m long")
    problem = find_problem(centre, width, length)
    if problem:
        raise LevelError(f"{source}: {problem}")
    dead_ends = tuple((np.asarray(p, dtype=np.float64), float(w)) for p, w in dead_ends)
    for i, (corridor, corridor_width) in enumerate(dead_ends):
        problem = find_dead_end_problem(corridor, corridor_width, centre, width, length)
        if problem:
            raise LevelError(f"{source}: dead end {i}: {problem}")
    clearance, origin = clearance_grid(centre, width, PARAMS.grid_cell, dead_ends)
    direction = centre[1] - centre[0]
    start = (float(centre[0, 0]), float(centre[0, 1]), float(np.arctan2(direction[1], direction[0])))
    seg_start = np.arange(centre.shape[0]) * (length / centre.shape[0])
    level = RacingLevel(name, points, widths, int(laps), centre, width, seg_start, segment_table(centre),
                        float(length), clearance, origin, PARAMS.grid_cell, start, goal, dead_ends)
    if goal is not None and np.hypot(*(np.asarray(start[:2]) - level.goal_xy)) < 2 * PARAMS.checkpoint_spacing:
        raise LevelError(f"{source}: the goal is within {2 * PARAMS.checkpoint_spacing:g} m of the start")
    return level


def _read_dead_ends(data, source: str) -> tuple:
    corridors = data.get("dead_ends", [])
    if not isinstance(corridors, list) or len(corridors) > MAX_DEAD_ENDS:
        raise LevelError(f"{source}: field 'dead_ends' must be a list of at most {MAX_DEAD_ENDS} dead ends")
    out = []
    for i, corridor in enumerate(corridors):
        what = f"{source}: dead end {i}"
        if not isinstance(corridor, dict) or set(corridor) != {"points", "width"}:
            raise LevelError(f"{what} must be an object with exactly 'points' and 'width'")
        points = corridor["points"]
        if not isinstance(points, list) or not 2 <= len(points) <= MAX_DEAD_END_POINTS:
            raise LevelError(f"{what}: field 'points' must be a list of 2 to {MAX_DEAD_END_POINTS} [x, y] points")
        for k, point in enumerate(points):
            if not _is_point(point):
                raise LevelError(f"{what}: point {k} is {short_repr(point)}, not [x, y] within +-{PARAMS.max_extent:g}")
        out.append((points, require_number(corridor, "width", what, PARAMS.min_width, False, PARAMS.max_width)))
    length = sum(float(np.linalg.norm(np.diff(np.asarray(points, dtype=np.float64), axis=0), axis=1).sum())
                 for points, _ in out)
    if length > MAX_DEAD_END_LENGTH:
        raise LevelError(f"{source}: the dead ends are {length:.0f} m long in all; at most {MAX_DEAD_END_LENGTH:g} m")
    return tuple(out)


def _is_point(point) -> bool:
    return isinstance(point, list) and len(point) == 2 and all(
        not isinstance(v, bool) and isinstance(v, (int, float)) and abs(v) <= PARAMS.max_extent for v in point)


def from_data(data, source: str) -> RacingLevel:
    check_header(data, "racing", source)
    points = data.get("centreline")
    if not isinstance(points, list) or not 4 <= len(points) <= PARAMS.max_control_points:
        raise LevelError(
            f"{source}: field 'centreline' must be a list of 4 to {PARAMS.max_control_points} [x, y] points"
        )
    for i, point in enumerate(points):
        if not _is_point(point):
            raise LevelError(
                f"{source}: field 'centreline' point {i} is {short_repr(point)}, not [x, y] within "
                f"+-{PARAMS.max_extent:g}"
            )
    width = data.get("width")
    if isinstance(width, list):
        if len(width) != len(points):
            raise LevelError(f"{source}: field 'width' has {len(width)} values for {len(points)} centreline points")
        widths = [require_number({"width": w}, "width", f"{source}: point {i}", PARAMS.min_width, False, PARAMS.max_width)
                  for i, w in enumerate(width)]
    else:
        widths = require_number(data, "width", source, PARAMS.min_width, False, PARAMS.max_width)
    laps = data.get("laps", 1)
    if isinstance(laps, bool) or not isinstance(laps, int) or not 1 <= laps <= 100:
        raise LevelError(f"{source}: field 'laps' must be a whole number from 1 to 100, got {short_repr(laps)}")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise LevelError(f"{source}: field 'name' must be text")
    goal = None
    if "goal" in data:
        goal = require_number(data, "goal", source, 0.0, True, 1.0)
        if goal == 1.0 or laps != 1:
            raise LevelError(f"{source}: field 'goal' must be a fraction of one lap, above 0 and below 1, with 'laps' 1")
    return build(name, points, widths, laps, source, goal, _read_dead_ends(data, source))


def load(path) -> RacingLevel:
    return from_data(read_level_json(path), str(path))


def to_data(level: RacingLevel) -> dict:
    widths = level.control_widths
    data = {
        "format": "arena.level",
        "version": 1,
        "arena": "racing",
        "name": level.name,
        "centreline": [[float(x), float(y)] for x, y in level.control_points],
        "width": float(widths[0]) if np.all(widths == widths[0]) else [float(w) for w in widths],
        "laps": level.laps,
    }
    if level.goal is not None:
        data["goal"] = level.goal
    if level.dead_ends:
        data["dead_ends"] = [{"points": [[float(x), float(y)] for x, y in points], "width": width}
                             for points, width in level.dead_ends]
    return data


def save(level: RacingLevel, path) -> None:
    write_json(path, to_data(level), LevelError)


def generate(seed: int, attempts: int = 200) -> RacingLevel:
    """A random drivable track: a star-shaped loop with smoothly varying radius and width."""
    for attempt in range(attempts):
        r = rng(seed, STREAM_LEVEL, attempt)
        k = int(r.integers(10, 17))
        angles = np.sort((np.arange(k) + r.uniform(-0.3, 0.3, k)) * 2 * np.pi / k)
        base = r.uniform(70.0, 120.0)
        radius = base * (1.0 + r.uniform(-0.35, 0.35, k))
        points = np.stack([radius * np.cos(angles), radius * np.sin(angles) * r.uniform(0.6, 1.0)], axis=1)
        widths = np.round(r.uniform(9.0, 15.0, k), 1)
        try:
            return build(f"generated-{seed}", np.round(points, 1), widths, 1, f"generated track {seed}")
        except LevelError:
            continue
    raise LevelError(f"generated track {seed}: no drivable track found in {attempts} attempts")

"""Field geometry: the clearance grid of the walls, and where points may spawn.

The field is the rectangle [0, width] x [0, height]; its boundary is a wall, and so is every
axis-aligned rectangle of the level and every wall line (a chain of segments with round ends:
the points within half its thickness of one of its segments). `clearance` holds, at each cell
centre, the signed distance to the nearest wall (negative inside walls and off the field): rays sphere-trace
through it and moves are checked against it. A cell is `spawnable` when a tank can drive to
its centre from the first tank spawn: its clearance is at least the tank radius plus a
margin, and it is connected to the spawn through such cells (so points never appear in a
walled-off pocket). A point anywhere in a spawnable cell is then within the catch radius of
a place the tank can reach.
"""

import numpy as np
from numba import njit

from arena.arenas.tanks.params import PARAMS

MARGIN_CELLS = 2  # the grid reaches this many cells beyond the field, so edge reads are off the field
PASS_MARGIN = 0.25  # a cell is passable when its clearance is at least the tank radius plus this


@njit(cache=True)
def _rasterise(width, height, walls, segments, origin, cell, clearance):
    """clearance[iy, ix] = signed distance from cell centre (ix, iy) to the nearest wall: the
    boundary, a rectangle of `walls` or a capsule of `segments` (x0, y0, x1, y1, half-thickness)."""
    ny, nx = clearance.shape
    inv_length2 = np.empty(segments.shape[0])
    for k in range(segments.shape[0]):
        dx, dy = segments[k, 2] - segments[k, 0], segments[k, 3] - segments[k, 1]
        length2 = dx * dx + dy * dy  # 0 when the ends are too close to tell apart: a disc round the first
        inv_length2[k] = 1.0 / length2 if length2 > 0.0 else 0.0
    for iy in range(ny):
        py = origin + (iy + 0.5) * cell
        for ix in range(nx):
            px = origin + (ix + 0.5) * cell
            inside = min(min(px, width - px), min(py, height - py))
            if inside >= 0.0:
                best = inside
            else:
                ex = max(max(-px, 0.0), px - width)
                ey = max(max(-py, 0.0), py - height)
                best = -np.sqrt(ex * ex + ey * ey)
            for w in range(walls.shape[0]):
                x0, y0, x1, y1 = walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3]
                ex = max(max(x0 - px, 0.0), px - x1)
                ey = max(max(y0 - py, 0.0), py - y1)
                if ex > 0.0 or ey > 0.0:
                    d = np.sqrt(ex * ex + ey * ey)
                else:
                    d = -min(min(px - x0, x1 - px), min(py - y0, y1 - py))
                best = min(best, d)
            for k in range(segments.shape[0]):
                reach = best + segments[k, 4]  # a capsule is nearer only if its segment is nearer than this
                if reach <= 0.0:
                    continue
                x0, y0 = segments[k, 0], segments[k, 1]
                dx, dy = segments[k, 2] - x0, segments[k, 3] - y0
                t = min(max(((px - x0) * dx + (py - y0) * dy) * inv_length2[k], 0.0), 1.0)
                ex, ey = x0 + t * dx - px, y0 + t * dy - py
                squared = ex * ex + ey * ey
                if squared < reach * reach:
                    best = np.sqrt(squared) - segments[k, 4]
            clearance[iy, ix] = best


@njit(cache=True)
def _flood(passable, start_x, start_y, reached):
    """Mark in `reached` every passable cell 4-connected to (start_x, start_y) through passable cells."""
    ny, nx = passable.shape
    stack = np.empty(ny * nx, dtype=np.int64)
    top = 0
    if passable[start_y, start_x]:
        reached[start_y, start_x] = True
        stack[0] = start_y * nx + start_x
        top = 1
    while top > 0:
        top -= 1
        iy, ix = divmod(stack[top], nx)
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            jy, jx = iy + dy, ix + dx
            if 0 <= jy < ny and 0 <= jx < nx and passable[jy, jx] and not reached[jy, jx]:
                reached[jy, jx] = True
                stack[top] = jy * nx + jx
                top += 1


def line_segments(wall_lines) -> np.ndarray:
    """float64[s, 5]: x0, y0, x1, y1, half-thickness of every segment of the wall lines, a sequence
    of (points float64[k, 2], thickness)."""
    rows = [np.concatenate([points[:-1], points[1:], np.full((len(points) - 1, 1), 0.5 * thickness)], axis=1)
            for points, thickness in wall_lines if len(points) > 1]
    return np.concatenate(rows).astype(np.float64) if rows else np.zeros((0, 5))


def clearance_grid(width: float, height: float, walls: np.ndarray, segments: np.ndarray = None,
                   cell: float = PARAMS.grid_cell):
    """(clearance float64[ny, nx], origin): the grid covers the field and MARGIN_CELLS around it;
    origin is the x and y of its corner (the same for both, below 0). `segments` are the wall
    lines' capsules (see `line_segments`), none when left out."""
    origin = -MARGIN_CELLS * cell
    nx = int(np.ceil(width / cell)) + 2 * MARGIN_CELLS
    ny = int(np.ceil(height / cell)) + 2 * MARGIN_CELLS
    clearance = np.empty((ny, nx))
    segments = np.zeros((0, 5)) if segments is None else np.asarray(segments, dtype=np.float64).reshape(-1, 5)
    _rasterise(float(width), float(height), np.asarray(walls, dtype=np.float64).reshape(-1, 4), segments, origin, cell,
               clearance)
    return clearance, origin


def cell_of(x: float, y: float, origin: float, cell: float = PARAMS.grid_cell):
    """(ix, iy) of the grid cell holding (x, y)."""
    return int(np.floor((x - origin) / cell)), int(np.floor((y - origin) / cell))


def reachable_cells(clearance: np.ndarray, origin: float, start_x: float, start_y: float,
                    cell: float = PARAMS.grid_cell) -> np.ndarray:
    """bool[ny, nx]: cells a tank starting at (start_x, start_y) can drive to (see the module doc).

    The flood starts from the passable cell nearest the start among its cell and the eight
    around it (the start itself only needs the tank radius, a cell centre the margin too).
    """
    passable = clearance >= PARAMS.tank_radius + PASS_MARGIN
    reached = np.zeros(clearance.shape, dtype=np.bool_)
    ix, iy = cell_of(start_x, start_y, origin, cell)
    best = None
    for jy in range(iy - 1, iy + 2):
        for jx in range(ix - 1, ix + 2):
            if 0 <= jy < passable.shape[0] and 0 <= jx < passable.shape[1] and passable[jy, jx]:
                d = np.hypot(origin + (jx + 0.5) * cell - start_x, origin + (jy + 0.5) * cell - start_y)
                if best is None or d < best[0]:
                    best = (d, jx, jy)
    if best is not None:
        _flood(passable, best[1], best[2], reached)
    return reached


def cells_in(rect, origin: float, shape, cell: float = PARAMS.grid_cell):
    """(iy, ix) index arrays of the cells whose centres lie inside rect (x0, y0, x1, y1)."""
    ny, nx = shape
    xs = origin + (np.arange(nx) + 0.5) * cell
    ys = origin + (np.arange(ny) + 0.5) * cell
    cols = np.flatnonzero((xs >= rect[0]) & (xs <= rect[2]))
    rows = np.flatnonzero((ys >= rect[1]) & (ys <= rect[3]))
    return np.repeat(rows, cols.size), np.tile(cols, rows.size)

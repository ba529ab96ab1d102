"""Track geometry: a closed centreline spline with a width, sampled, checked and rasterised.

From the control points a centripetal Catmull-Rom spline is sampled every `spline_spacing`
metres. Two grids make sensing fast: `clearance`, the distance from a point to the nearest
wall (0 off the track), which lets rays advance by sphere tracing; and the sampled
centreline, along which progress is tracked segment by segment.
"""

import numpy as np
from numba import njit

from arena.arenas.racing.params import PARAMS


def catmull_rom_closed(points: np.ndarray, values: np.ndarray, per_segment: int = 48):
    """Sample a closed centripetal Catmull-Rom spline through `points` float64[k, 2].

    `values` float64[k] (widths) are interpolated linearly along each segment.
    Returns (xy float64[m, 2], value float64[m]), not closed (the last point != the first).
    """
    k = points.shape[0]
    idx = np.arange(k)
    p0, p1, p2, p3 = (points[(idx + o) % k] for o in (-1, 0, 1, 2))

    def knot(a, b):
        return np.maximum(np.linalg.norm(b - a, axis=1) ** 0.5, 1e-9)[:, None]

    t0 = np.zeros((k, 1))
    t1 = t0 + knot(p0, p1)
    t2 = t1 + knot(p1, p2)
    t3 = t2 + knot(p2, p3)
    u = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]  # [1, s, 1]
    t = t1[:, None] + u * (t2 - t1)[:, None]  # [k, s, 1]
    T0, T1, T2, T3 = (v[:, None] for v in (t0, t1, t2, t3))
    P0, P1, P2, P3 = (v[:, None, :] for v in (p0, p1, p2, p3))
    a1 = (T1 - t) / (T1 - T0) * P0 + (t - T0) / (T1 - T0) * P1
    a2 = (T2 - t) / (T2 - T1) * P1 + (t - T1) / (T2 - T1) * P2
    a3 = (T3 - t) / (T3 - T2) * P2 + (t - T2) / (T3 - T2) * P3
    b1 = (T2 - t) / (T2 - T0) * a1 + (t - T0) / (T2 - T0) * a2
    b2 = (T3 - t) / (T3 - T1) * a2 + (t - T1) / (T3 - T1) * a3
    c = (T2 - t) / (T2 - T1) * b1 + (t - T1) / (T2 - T1) * b2
    v = values[:, None] * (1 - u[..., 0]) + values[(idx + 1) % k][:, None] * u[..., 0]
    return c.reshape(-1, 2), v.reshape(-1)


def resample_closed(xy: np.ndarray, values: np.ndarray, spacing: float):
    """Resample a closed polyline at (nearly) equal arc-length spacing.

    Returns (xy float64[n, 2], values float64[n], total length).
    """
    closed = np.vstack([xy, xy[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    length = float(s[-1])
    n = max(8, int(round(length / spacing)))
    targets = np.arange(n) * (length / n)
    out = np.stack([np.interp(targets, s, closed[:, 0]), np.interp(targets, s, closed[:, 1])], axis=1)
    vals = np.interp(targets, s, np.concatenate([values, values[:1]]))
    return out, vals, length


def _segments_cross(a0, a1, b0, b1):
    """Whether segments a0-a1 and b0-b1 (arrays of points, broadcast) properly intersect."""

    def orient(p, q, r):
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])

    d1 = orient(b0, b1, a0)
    d2 = orient(b0, b1, a1)
    d3 = orient(a0, a1, b0)
    d4 = orient(a0, a1, b1)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


def find_problem(centre: np.ndarray, width: np.ndarray, length: float):
    """The first geometric problem of a sampled track, as text, or None if it is drivable.

    Checks that the centreline never crosses itself, that no bend is tighter than half the
    width (the inner wall would fold), and that separate parts of the track do not overlap.
    """
    n = centre.shape[0]
    spacing = length / n
    nxt = np.roll(centre, -1, axis=0)
    # Self-crossing: every pair of non-adjacent segments.
    for i in range(n):
        j = np.arange(i + 2, n)
        if i == 0:
            j = j[j != n - 1]
        if j.size == 0:
            continue
        hit = _segments_cross(centre[i], nxt[i], centre[j], nxt[j])
        if hit.any():
            x, y = centre[i]
            return f"the centreline crosses itself near ({x:.1f}, {y:.1f})"
    # Tightness: turning radius from three consecutive samples.
    prev = np.roll(centre, 1, axis=0)
    a = np.linalg.norm(centre - prev, axis=1)
    b = np.linalg.norm(nxt - centre, axis=1)
    c = np.linalg.norm(nxt - prev, axis=1)
    cross = np.abs((centre[:, 0] - prev[:, 0]) * (nxt[:, 1] - prev[:, 1]) - (centre[:, 1] - prev[:, 1]) * (nxt[:, 0] - prev[:, 0]))
    radius = np.where(cross > 1e-12, a * b * c / np.maximum(2 * cross, 1e-300), np.inf)
    tight = np.flatnonzero(radius < 0.5 * width + PARAMS.car_radius)
    if tight.size:
        x, y = centre[tight[0]]
        return f"the bend near ({x:.1f}, {y:.1f}) is tighter than half the track width"
    # Overlap: samples far apart along the track must be apart in space by their half-widths.
    for i in range(n):
        along = np.abs(np.arange(n) - i)
        along = np.minimum(along, n - along) * spacing
        far = along > 0.5 * (width[i] + width) + 2.0 * PARAMS.car_radius + np.pi * 0.5 * np.maximum(width[i], width)
        dist = np.linalg.norm(centre - centre[i], axis=1)
        bad = far & (dist < 0.5 * (width[i] + width) + 2.0 * PARAMS.car_radius)
        if bad.any():
            x, y = centre[i]
            return f"the track overlaps itself near ({x:.1f}, {y:.1f})"
    return None


@njit(cache=True)
def _rasterise(centre, half, origin_x, origin_y, cell, nx, ny, clearance):
    """clearance[iy, ix] = max over segments of (half-width - distance to the segment).

    Negative off the track, down to -reach: only segments within reach of a cell are measured,
    which is enough to be exact for every cell near a wall.
    """
    n = centre.shape[0]
    reach = half.max() + cell
    best = np.full((ny, nx), np.inf)
    best_half = np.zeros((ny, nx))
    for i in range(n):
        j = (i + 1) % n
        ax, ay = centre[i, 0], centre[i, 1]
        bx, by = centre[j, 0], centre[j, 1]
        dx, dy = bx - ax, by - ay
        len2 = dx * dx + dy * dy
        x_lo = int((min(ax, bx) - reach - origin_x) / cell)
        x_hi = int((max(ax, bx) + reach - origin_x) / cell) + 1
        y_lo = int((min(ay, by) - reach - origin_y) / cell)
        y_hi = int((max(ay, by) + reach - origin_y) / cell) + 1
        for iy in range(max(y_lo, 0), min(y_hi, ny)):
            py = origin_y + (iy + 0.5) * cell
            for ix in range(max(x_lo, 0), min(x_hi, nx)):
                px = origin_x + (ix + 0.5) * cell
                t = ((px - ax) * dx + (py - ay) * dy) / len2 if len2 > 0 else 0.0
                t = min(max(t, 0.0), 1.0)
                qx = ax + t * dx - px
                qy = ay + t * dy - py
                d = np.sqrt(qx * qx + qy * qy)
                if d < best[iy, ix]:
                    best[iy, ix] = d
                    best_half[iy, ix] = half[i] + t * (half[j] - half[i])
    for iy in range(ny):
        for ix in range(nx):
            clearance[iy, ix] = max(best_half[iy, ix] - best[iy, ix], -reach)


def clearance_grid(centre: np.ndarray, width: np.ndarray, cell: float, dead_ends=()):
    """(clearance float64[ny, nx], origin (x, y)) covering the track and its dead ends with a margin.

    Signed, so that bilinear interpolation stays exact up to the wall: a field clamped at 0
    bends there, and rays crawl into walls in many small steps. dead_ends: [(points
    float64[k, 2], width)], open corridors joined to the track by taking the larger clearance
    at every cell: exact inside each part, and never more than the true distance to a wall of
    the union, which is all sphere tracing needs.
    """
    half = 0.5 * width
    margin = max([half.max()] + [0.5 * w for _, w in dead_ends]) + 4 * cell
    every = np.vstack([centre] + [points for points, _ in dead_ends])
    lo = every.min(axis=0) - margin
    hi = every.max(axis=0) + margin
    nx, ny = (np.ceil((hi - lo) / cell).astype(int) + 1).tolist()
    grid = np.zeros((ny, nx))
    _rasterise(centre, half, float(lo[0]), float(lo[1]), cell, nx, ny, grid)
    px = lo[0] + (np.arange(nx) + 0.5) * cell
    py = lo[1] + (np.arange(ny) + 0.5) * cell
    for points, w in dead_ends:
        for (ax, ay), (bx, by) in zip(points[:-1], points[1:]):
            # only the cells near this stretch: the rest keep the track's value
            x0, x1 = np.searchsorted(px, [min(ax, bx) - margin, max(ax, bx) + margin])
            y0, y1 = np.searchsorted(py, [min(ay, by) - margin, max(ay, by) + margin])
            gx, gy = np.meshgrid(px[x0:x1], py[y0:y1])
            dx, dy = bx - ax, by - ay
            t = np.clip(((gx - ax) * dx + (gy - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
            inside = 0.5 * w - np.hypot(ax + t * dx - gx, ay + t * dy - gy)
            np.maximum(grid[y0:y1, x0:x1], inside, out=grid[y0:y1, x0:x1])
    return grid, (float(lo[0]), float(lo[1]))


def sample_polyline(points: np.ndarray, spacing: float):
    """(samples float64[m, 2], arc length at each) of an open polyline, about `spacing` apart."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / spacing)) + 1))
    return np.stack([np.interp(at, s, points[:, 0]), np.interp(at, s, points[:, 1])], axis=1), at


def find_dead_end_problem(points: np.ndarray, width: float, centre: np.ndarray, track_width: np.ndarray,
                          length: float):
    """The first problem of a dead end of the track, as text, or None.

    It must start on the track and never lead to another part of it: once it is s metres in,
    it may come near the track only within s (and the widths) of where it left, along the
    track, so that it is never a shortcut.
    """
    if np.any(np.linalg.norm(np.diff(points, axis=0), axis=1) < 1e-6):
        return "two consecutive points are at the same place"
    gap = np.linalg.norm(centre - points[0], axis=1) - 0.5 * track_width
    if gap.min() > 0.0:
        x, y = points[0]
        return f"its first point ({x:.1f}, {y:.1f}) is not on the track"
    n = centre.shape[0]
    junction = int(np.argmin(gap))
    apart = np.abs(np.arange(n) - junction)
    along_track = np.minimum(apart, n - apart) * (length / n)
    clear = 0.5 * width + 2.0 * PARAMS.car_radius
    samples, along = sample_polyline(points, PARAMS.spline_spacing)
    for (x, y), s in zip(samples, along):
        near = np.linalg.norm(centre - (x, y), axis=1) - 0.5 * track_width < clear
        if np.any(near & (along_track > s + 0.5 * (track_width + track_width[junction]) + clear)):
            return f"it leads to another part of the track near ({x:.1f}, {y:.1f})"
    return None


def segment_table(centre: np.ndarray) -> np.ndarray:
    """float64[n + 4, 5]: (x, y, dx, dy, 1 / (dx^2 + dy^2)) of centreline segments -2 .. n + 1.

    Segment k runs from sample k to sample k + 1, indices wrapping round the lap; rows k .. k + 4
    hold segments k - 2 .. k + 2, so the neighbours of any segment are consecutive rows.
    """
    n = centre.shape[0]
    index = np.arange(-2, n + 2) % n
    start = centre[index]
    delta = centre[(index + 1) % n] - start
    return np.column_stack([start, delta, 1.0 / (delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1])])

"""Clearance grids: the signed distance to the nearest wall, sampled at cell centres and read
bilinearly. Racing and tanks march their wall rays and test collisions with them; the numba
lookup and its numpy twin are here once, so both arenas and their references read alike."""

import numpy as np
from numba import njit

_ONE = np.uint64(1)


@njit(cache=True, inline="always")
def grid_value(grid, nx, gx_max, gy_max, gx, gy):
    """Bilinear clearance at grid coordinates (gx, gy) of the flat `grid` (rows of nx),
    cell centres being whole numbers.

    Coordinates are clamped into [0, gx_max] x [0, gy_max] (nx - 2, ny - 2), so points off the
    grid read its edge, which lies off the track or field (NaN reads the corner): no branch in
    the march loop, and never a read outside the grid. Indices are unsigned so that numba adds
    no negative-index fix-up.
    """
    gx = gx if gx > 0.0 else 0.0
    gx = gx if gx < gx_max else gx_max
    gy = gy if gy > 0.0 else 0.0
    gy = gy if gy < gy_max else gy_max
    ix = np.uint64(gx)
    iy = np.uint64(gy)
    fx = gx - np.float64(ix)
    fy = gy - np.float64(iy)
    i = iy * nx + ix
    j = i + nx
    low = grid[i] * (1.0 - fx) + grid[i + _ONE] * fx
    high = grid[j] * (1.0 - fx) + grid[j + _ONE] * fx
    return low * (1.0 - fy) + high * fy


def grid_value_numpy(grid, gx, gy):
    """`grid_value` for arrays of grid coordinates, on the 2-d `grid`, in numpy."""
    ny, nx = grid.shape
    flat = grid.reshape(-1)
    gx = np.where(gx > 0.0, gx, 0.0)
    gx = np.where(gx < nx - 2.0, gx, nx - 2.0)
    gy = np.where(gy > 0.0, gy, 0.0)
    gy = np.where(gy < ny - 2.0, gy, ny - 2.0)
    ix = gx.astype(np.int64)
    iy = gy.astype(np.int64)
    fx = gx - ix
    fy = gy - iy
    i = iy * nx + ix
    j = i + nx
    low = flat[i] * (1.0 - fx) + flat[i + 1] * fx
    high = flat[j] * (1.0 - fx) + flat[j + 1] * fx
    return low * (1.0 - fy) + high * fy


@njit(cache=True, inline="always")
def start_rays(x0, y0, cos_h, sin_h, clearance, ray_cos, ray_sin, inv_cell, epsilon, reach, rays, work, m, e):
    """Start the rays of one agent at grid coordinates (x0, y0), heading (cos_h, sin_h).

    Every ray's first step is the agent's own clearance, taken at once. rays: float64[5, ...]
    (grid x, grid y, step x, step y, distance so far), ray e onwards; work: the rays still
    marching, m of them so far. Returns (m, e) after this agent's rays.
    """
    go = clearance >= epsilon
    step = clearance if go else 0.0
    keep = go and step < reach
    for k in range(ray_cos.shape[0]):
        sx = (cos_h * ray_cos[k] - sin_h * ray_sin[k]) * inv_cell
        sy = (sin_h * ray_cos[k] + cos_h * ray_sin[k]) * inv_cell
        rays[0, e] = x0 + step * sx
        rays[1, e] = y0 + step * sy
        rays[2, e] = sx
        rays[3, e] = sy
        rays[4, e] = step
        work[m] = e
        m += keep
        e += 1
    return m, e


@njit(cache=True, inline="always")
def march_rays(grid, nx, gx_max, gy_max, rays, work, m, steps, epsilon, reach):
    """March the m rays in `work` (see `start_rays`) up to `steps - 1` more steps: each pass takes
    one step of every ray still going, a long loop of independent, branch-free lookups, and
    keeps those that have neither hit a wall nor gone `reach`."""
    gx = rays[0]
    gy = rays[1]
    step_x = rays[2]
    step_y = rays[3]
    t = rays[4]
    for _ in range(steps - 1):
        if m == 0:
            break
        kept = 0
        for w in range(m):
            e = work[w]
            px = gx[e]
            py = gy[e]
            d = grid_value(grid, nx, gx_max, gy_max, px, py)
            go = d >= epsilon
            step = d if go else 0.0
            te = t[e] + step
            t[e] = te
            gx[e] = px + step * step_x[e]
            gy[e] = py + step * step_y[e]
            work[kept] = e
            kept += go and te < reach
        m = kept

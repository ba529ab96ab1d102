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

"""Plain numpy twin of the tanks kernels, vectorised over environments (and rays).

Used by the tests (the kernels must follow it bit for bit) and as the baseline of the tanks
benchmark. Every formula is written in the same order as in `sim`, so that the float results
agree exactly and discrete events (a catch, a blocked move) never differ.
"""

import numpy as np

from arena.arenas.base import SCRIPTED
from arena.arenas.cartpole.trig import sin_cos_numpy
from arena.arenas.clearance import grid_value_numpy
from arena.arenas.tanks import sim
from arena.arenas.tanks.level import clearance_at
from arena.arenas.tanks.state import (
    ALIVE, CLEARANCE, CLOSENESS, COS, FINISHED, FITNESS, HEADING, SIN, SPAWNED, SPEED, TICK, X, Y, TanksState,
    as_seeds, new_state,
)
from arena.brains.mlp import forward_numpy

_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)


def mix(z: np.ndarray) -> np.ndarray:
    """`sim.mix` of a uint64 array."""
    z = z + sim.GOLDEN
    z = (z ^ (z >> _S30)) * sim.MIX1
    z = (z ^ (z >> _S27)) * sim.MIX2
    return z ^ (z >> _S31)


def unit(z: np.ndarray) -> np.ndarray:
    return (z >> _S11).astype(np.float64) * sim.UNIT


def spawn_points(level, seeds: np.ndarray, numbers: np.ndarray):
    """(x, y) float64[m] of spawn numbers[i] (int64) of seeds[i] (uint64): `sim.spawn_point`."""
    regions, n_regions = level.spawn_regions, level.spawn_regions.shape[0]
    spawnable = level.spawnable.reshape(-1)
    nx = level.clearance.shape[1]
    inv_cell = 1.0 / level.cell
    key = mix(np.asarray(seeds, dtype=np.uint64) ^ mix(np.asarray(numbers, dtype=np.int64).astype(np.uint64)))
    x = np.zeros(key.shape[0])
    y = np.zeros(key.shape[0])
    pending = np.arange(key.shape[0])
    first = None
    for attempt in range(sim.SPAWN_TRIES):
        j = key[pending] + np.uint64(3 * attempt)
        r = np.minimum((unit(mix(j)) * n_regions).astype(np.int64), n_regions - 1)
        if attempt == 0:
            first = r
        px = regions[r, 0] + unit(mix(j + np.uint64(1))) * (regions[r, 2] - regions[r, 0])
        py = regions[r, 1] + unit(mix(j + np.uint64(2))) * (regions[r, 3] - regions[r, 1])
        ix = ((px - level.origin) * inv_cell).astype(np.int64)
        iy = ((py - level.origin) * inv_cell).astype(np.int64)
        ok = spawnable[iy * nx + ix]
        x[pending[ok]] = px[ok]
        y[pending[ok]] = py[ok]
        pending = pending[~ok]
        if pending.size == 0:
            return x, y
    x[pending] = level.fallback[first[pending], 0]
    y[pending] = level.fallback[first[pending], 1]
    return x, y


def reset(level, n_envs: int, seeds=None) -> TanksState:
    state = new_state(level, n_envs, seeds)
    for p in range(level.points_active):
        state.point[:, p, 0], state.point[:, p, 1] = spawn_points(level, state.seed, np.full(n_envs, p))
    state.count[:, SPAWNED] = level.points_active
    return state


def grid_value(level, gx, gy):
    """Bilinear clearance at grid coordinates, clamped into the grid (see `sim.grid_value`)."""
    return grid_value_numpy(level.clearance, gx, gy)


def _bearing(dx, dy, c, s):
    """float32[m, 3]: `sim.bearing` of offsets (dx, dy) from headings (c, s)."""
    d = np.sqrt(dx * dx + dy * dy)
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0.0)
    return np.stack([(dx * c + dy * s) * inv, (dy * c - dx * s) * inv,
                     np.minimum(d * sim.INV_POINT_RANGE, 1.0)], axis=1).astype(np.float32)


def sense(level, tank: np.ndarray, point: np.ndarray) -> np.ndarray:
    """float32[m, N_INPUTS] of the network tanks of environments with tanks float64[m, n_tanks,
    N_TANK] and points float64[m, points_active, 2]."""
    m = tank.shape[0]
    me = tank[:, 0]
    inv_cell = 1.0 / level.cell
    ch, sh = me[:, COS][:, None], me[:, SIN][:, None]
    step_x = (ch * sim.RAY_COS - sh * sim.RAY_SIN) * inv_cell
    step_y = (sh * sim.RAY_COS + ch * sim.RAY_SIN) * inv_cell
    gx = np.repeat(((me[:, X] - level.origin) * inv_cell - 0.5)[:, None], sim.N_RAYS, axis=1)
    gy = np.repeat(((me[:, Y] - level.origin) * inv_cell - 0.5)[:, None], sim.N_RAYS, axis=1)
    first = np.repeat(me[:, CLEARANCE][:, None], sim.N_RAYS, axis=1)  # the kernels' first step
    go = first >= sim.EPSILON
    t = np.where(go, first, 0.0)
    gx = gx + t * step_x
    gy = gy + t * step_y
    running = go & (t < sim.RANGE)
    for _ in range(sim.MARCH_STEPS - 1):
        if not running.any():
            break
        r = running
        d = grid_value(level, gx[r], gy[r])
        go = d >= sim.EPSILON
        step = np.where(go, d, 0.0)
        te = t[r] + step
        t[r] = te
        gx[r] = gx[r] + step * step_x[r]
        gy[r] = gy[r] + step * step_y[r]
        running[r] = go & (te < sim.RANGE)
    obs = np.zeros((m, sim.N_INPUTS), dtype=np.float32)
    obs[:, : sim.N_RAYS] = np.minimum(t, sim.RANGE) * (1.0 / sim.RANGE)
    x, y, c, s = me[:, X], me[:, Y], me[:, COS], me[:, SIN]
    dx = point[:, :, 0] - x[:, None]
    dy = point[:, :, 1] - y[:, None]
    order = np.argsort(dx * dx + dy * dy, axis=1, kind="stable")
    rows = np.arange(m)
    for k in range(sim.N_SENSED):
        col = sim.IN_POINTS + 3 * k
        if k < point.shape[1]:
            p = order[:, k]
            obs[:, col : col + 3] = _bearing(point[rows, p, 0] - x, point[rows, p, 1] - y, c, s)
        else:
            obs[:, col : col + 3] = (0.0, 0.0, 1.0)
    if tank.shape[1] > 1:
        ox = tank[:, 1:, X] - x[:, None]
        oy = tank[:, 1:, Y] - y[:, None]
        o = 1 + np.argmin(ox * ox + oy * oy, axis=1)
        obs[:, sim.IN_TANK : sim.IN_TANK + 3] = _bearing(tank[rows, o, X] - x, tank[rows, o, Y] - y, c, s)
    else:
        obs[:, sim.IN_TANK : sim.IN_TANK + 3] = (0.0, 0.0, 1.0)
    obs[:, sim.IN_SPEED] = me[:, SPEED]
    return obs


def observe(level, state: TanksState) -> dict:
    obs = np.zeros((state.tank.shape[0], sim.N_INPUTS), dtype=np.float32)
    run = state.flag[:, ALIVE]
    obs[run] = sense(level, state.tank[run], state.point[run])
    return {"tank": obs}


def greedy(tank: np.ndarray, point: np.ndarray):
    """(left, right) float64[m] of greedy tanks with rows tank float64[m, N_TANK] among the points
    float64[m, points_active, 2] of their environments: `sim.greedy`."""
    px = point[:, :, 0] - tank[:, X][:, None]
    py = point[:, :, 1] - tank[:, Y][:, None]
    d2 = px * px + py * py
    best = np.argmin(d2, axis=1)
    rows = np.arange(tank.shape[0])
    dx, dy = px[rows, best], py[rows, best]
    d = np.sqrt(d2[rows, best])
    inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0.0)
    c, s = tank[:, COS], tank[:, SIN]
    ahead = (dx * c + dy * s) * inv
    side = (dy * c - dx * s) * inv
    forward = np.where(ahead > 0.0, ahead, 0.0)
    turn = np.where(ahead > 0.0, np.minimum(np.maximum(sim.GREEDY_GAIN * side, -1.0), 1.0),
                    np.where(side >= 0.0, 1.0, -1.0))
    return np.minimum(np.maximum(forward - turn, -1.0), 1.0), np.minimum(np.maximum(forward + turn, -1.0), 1.0)


def drive(level, tank: np.ndarray, left: np.ndarray, right: np.ndarray) -> None:
    """Move tanks (rows float64[m, N_TANK], in place) one tick: `sim.drive`."""
    x, y = tank[:, X], tank[:, Y]
    v = sim.HALF_SPEED * (left + right)
    h = tank[:, HEADING] + sim.HALF_TURN * (right - left) * sim.DT
    s, c = sin_cos_numpy(h)
    step = v * sim.DT
    x1 = x + step * c
    y1 = y + step * s
    room = clearance_at(level, x1, y1)
    room_x = clearance_at(level, x1, y)
    room_y = clearance_at(level, x, y1)
    blocked = room < sim.TANK_RADIUS
    slide_x = blocked & (room_x >= sim.TANK_RADIUS)
    slide_y = blocked & ~slide_x & (room_y >= sim.TANK_RADIUS)
    stuck = blocked & ~slide_x & ~slide_y
    y1 = np.where(slide_x | stuck, y, y1)
    x1 = np.where(slide_y | stuck, x, x1)
    room = np.where(slide_x, room_x, np.where(slide_y, room_y, np.where(stuck, tank[:, CLEARANCE], room)))
    mx = x1 - x
    my = y1 - y
    moved = np.sqrt(mx * mx + my * my) * sim.INV_MAX_STEP
    tank[:, X] = x1
    tank[:, Y] = y1
    tank[:, HEADING] = h
    tank[:, COS] = c
    tank[:, SIN] = s
    tank[:, CLEARANCE] = room
    tank[:, SPEED] = np.where(v >= 0.0, moved, -moved)


def step(level, state: TanksState, actions: dict, max_ticks=None) -> None:
    """One tick of every running environment; actions {"tank": float32[n, 2] or None (greedy)}."""
    max_ticks = max_ticks or sim.max_ticks_for(level)
    tank, point, caught, count, real, flag = state.tank, state.point, state.caught, state.count, state.real, state.flag
    run = np.flatnonzero(flag[:, ALIVE])
    count[run, TICK] += 1
    out = actions.get("tank")
    if out is None:
        left, right = greedy(tank[run, 0], point[run])
    else:
        out = np.asarray(out)[run].astype(np.float64)
        bad = ~np.isfinite(out).all(axis=1)
        flag[run[bad], ALIVE] = False
        run, out = run[~bad], out[~bad]
        left = np.minimum(np.maximum(out[:, 0], -1.0), 1.0)
        right = np.minimum(np.maximum(out[:, 1], -1.0), 1.0)
    rows = tank[run, 0]
    drive(level, rows, left, right)
    tank[run, 0] = rows
    for t in range(1, tank.shape[1]):
        rows = tank[run, t]
        drive(level, rows, *greedy(rows, point[run]))
        tank[run, t] = rows
    for p in range(point.shape[1]):
        dx = tank[run, :, X] - point[run, p, 0][:, None]
        dy = tank[run, :, Y] - point[run, p, 1][:, None]
        near = dx * dx + dy * dy <= sim.CATCH2
        hit = near.any(axis=1)
        envs = run[hit]
        caught[envs, np.argmax(near[hit], axis=1)] += 1
        point[envs, p, 0], point[envs, p, 1] = spawn_points(level, state.seed[envs], count[envs, SPAWNED])
        count[envs, SPAWNED] += 1
    dx = point[run, :, 0] - tank[run, 0, X][:, None]
    dy = point[run, :, 1] - tank[run, 0, Y][:, None]
    best = np.min(dx * dx + dy * dy, axis=1)
    real[run, CLOSENESS] += 1.0 - np.minimum(np.sqrt(best), sim.CLOSENESS_RANGE) * (1.0 / sim.CLOSENESS_RANGE)
    tick = count[run, TICK]
    got = caught[run, 0]
    done = got >= level.target
    tie = sim.TIE_BREAK
    real[run, FITNESS] = np.where(done, got + tie + (1.0 - tie) * (1.0 - tick / max_ticks),
                                  got + tie * (real[run, CLOSENESS] / tick))
    flag[run[done], FINISHED] = True
    flag[run[done | (tick >= max_ticks)], ALIVE] = False


def outcome_arrays(state: TanksState):
    return state.real[:, FITNESS].copy(), state.flag[:, FINISHED].copy(), state.count[:, TICK].copy()


def rollout(level, brains: dict, seeds=None, max_ticks=None, einsum: bool = False):
    """Step whole runs with numpy: brains {"tank": (MLPSpec, genomes float32[n, genome_size]) or
    SCRIPTED}; seeds uint64[n] (None: 0 .. n - 1; needed with SCRIPTED, to know n).
    Returns ({"tank": fitness}, {"tank": finished}, ticks), as the kernel's `Outcome` has them."""
    brain = brains["tank"]
    if brain is SCRIPTED:
        if seeds is None:
            raise ValueError("a scripted rollout needs seeds (one per environment)")
        n = len(seeds)
    else:
        spec, genomes = brain
        n = genomes.shape[0]
    state = reset(level, n, as_seeds(seeds, n))
    max_ticks = max_ticks or sim.max_ticks_for(level)
    while state.flag[:, ALIVE].any():
        if brain is SCRIPTED:
            actions = {"tank": None}
        else:
            run = np.flatnonzero(state.flag[:, ALIVE])
            obs = observe(level, state)["tank"]
            actions = {"tank": np.zeros((n, 2), dtype=np.float32)}
            actions["tank"][run] = forward_numpy(spec, genomes[run], obs[run], einsum=einsum)
        step(level, state, actions, max_ticks)
    fitness, finished, ticks = outcome_arrays(state)
    return {"tank": fitness}, {"tank": finished}, ticks

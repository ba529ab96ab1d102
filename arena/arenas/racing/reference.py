"""Plain numpy twin of the racing kernels, vectorised over cars (and rays).

Used by the tests (the kernels must follow it) and as the baseline of `arena bench racing`.
"""

import numpy as np

from arena.arenas.clearance import grid_value_numpy
from arena.arenas.racing import sim
from arena.arenas.racing.state import (
    ALIVE, ALONG, BEST, FINISHED, FITNESS, HEADING, LAST_CHECKPOINT_TICK, NEXT_CHECKPOINT,
    PROGRESS, SEGMENT, SPEED, TICK, X, Y, RacingState, new_state,
)
from arena.brains.mlp import forward_numpy


def reset(level, n_envs: int, seeds=None) -> RacingState:
    return new_state(level, n_envs)


def grid_value(level, gx, gy):
    """Bilinear clearance at grid coordinates, clamped into the grid (see `sim.grid_value`)."""
    return grid_value_numpy(level.clearance, gx, gy)


def clearance_at(level, x, y):
    inv_cell = 1.0 / level.cell
    return grid_value(level, (x - level.origin[0]) * inv_cell - 0.5, (y - level.origin[1]) * inv_cell - 0.5)


def sense(level, x, y, heading, speed) -> np.ndarray:
    """float32[n, n_rays + 1]."""
    inv_cell = 1.0 / level.cell
    ch, sh = np.cos(heading)[:, None], np.sin(heading)[:, None]
    step_x = (ch * sim.RAY_COS - sh * sim.RAY_SIN) * inv_cell
    step_y = (sh * sim.RAY_COS + ch * sim.RAY_SIN) * inv_cell
    gx = np.repeat(((x - level.origin[0]) * inv_cell - 0.5)[:, None], sim.N_RAYS, axis=1)
    gy = np.repeat(((y - level.origin[1]) * inv_cell - 0.5)[:, None], sim.N_RAYS, axis=1)
    t = np.zeros(gx.shape)
    running = np.ones(gx.shape, dtype=bool)
    for _ in range(sim.MARCH_STEPS):
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
    rays = np.minimum(t, sim.RANGE) * (1.0 / sim.RANGE)
    return np.concatenate([rays, (speed / sim.MAX_SPEED)[:, None]], axis=1).astype(np.float32)


def observe(level, state: RacingState) -> dict:
    obs = np.zeros((state.real.shape[0], sim.N_INPUTS), dtype=np.float32)
    run = state.flag[:, ALIVE]
    r = state.real[run]
    obs[run] = sense(level, r[:, X], r[:, Y], r[:, HEADING], r[:, SPEED])
    return {"driver": obs}


def locate(segments, segment, x, y):
    rows = segment[:, None] + np.arange(5)[None, :]
    ax, ay, dx, dy, inv_len2 = (segments[rows, c] for c in range(5))
    t = ((x[:, None] - ax) * dx + (y[:, None] - ay) * dy) * inv_len2
    t = np.minimum(np.maximum(t, 0.0), 1.0)
    qx = ax + t * dx - x[:, None]
    qy = ay + t * dy - y[:, None]
    best = np.argmin(qx * qx + qy * qy, axis=1)
    n = segments.shape[0] - 4
    cars = np.arange(x.shape[0])
    return (segment + best - 2) % n, t[cars, best]


def step(level, state: RacingState, actions: dict, max_ticks=None) -> None:
    max_ticks = max_ticks or sim.max_ticks_for(level)
    real, count, flag = state.real, state.count, state.flag
    run = np.flatnonzero(flag[:, ALIVE])
    out = actions["driver"][run].astype(np.float64)
    count[run, TICK] += 1
    tick = count[run, TICK]
    bad = ~np.isfinite(out).all(axis=1)
    flag[run[bad], ALIVE] = False
    run, out, tick = run[~bad], out[~bad], tick[~bad]
    steer = np.clip(out[:, 0], -1.0, 1.0)
    throttle = np.clip(out[:, 1], -1.0, 1.0)
    accel = np.where(throttle >= 0.0, throttle * sim.ACCELERATION, throttle * sim.BRAKING)
    v = real[run, SPEED] + accel * sim.DT
    v = v - sim.DRAG * v * sim.DT
    v = np.minimum(np.maximum(v, 0.0), sim.MAX_SPEED)
    turn = np.minimum(sim.STEER_RATE, sim.LATERAL_GRIP / np.maximum(v, 1e-9)) * np.minimum(v / sim.GRIP_SPEED, 1.0)
    h = real[run, HEADING] + steer * turn * sim.DT
    real[run, SPEED] = v
    real[run, HEADING] = h
    real[run, X] += v * np.cos(h) * sim.DT
    real[run, Y] += v * np.sin(h) * sim.DT
    x, y = real[run, X], real[run, Y]
    crash = clearance_at(level, x, y) < sim.CAR_RADIUS
    flag[run[crash], ALIVE] = False
    run, x, y, tick = run[~crash], x[~crash], y[~crash], tick[~crash]

    n = level.centre.shape[0]
    k, t = locate(level.segments, count[run, SEGMENT], x, y)
    count[run, SEGMENT] = k
    along = (k + t) * (level.length / n)
    delta = along - real[run, ALONG]
    delta = np.where(delta > 0.5 * level.length, delta - level.length, delta)
    delta = np.where(delta < -0.5 * level.length, delta + level.length, delta)
    real[run, ALONG] = along
    real[run, PROGRESS] += delta
    best = np.maximum(real[run, BEST], real[run, PROGRESS])
    real[run, BEST] = best
    passed = best >= real[run, NEXT_CHECKPOINT]
    real[run[passed], NEXT_CHECKPOINT] = (np.floor(best[passed] / sim.CHECKPOINT) + 1.0) * sim.CHECKPOINT
    count[run[passed], LAST_CHECKPOINT_TICK] = tick[passed]
    done = best >= level.race_length
    flag[run[done], FINISHED] = True
    flag[run[done], ALIVE] = False
    real[run[done], FITNESS] = level.race_length / level.length + 1.0 - tick[done] / max_ticks
    going = ~done
    real[run[going], FITNESS] = best[going] / level.length
    stalled = (tick - count[run, LAST_CHECKPOINT_TICK] >= sim.STALL_TICKS) | (tick >= max_ticks)
    flag[run[going & stalled], ALIVE] = False


def rollout(level, spec, genomes: np.ndarray, max_ticks: int, einsum: bool = True):
    """Batched numpy stepper over a whole run. Returns (fitness, finished, ticks)."""
    state = reset(level, genomes.shape[0])
    while state.flag[:, ALIVE].any():
        run = np.flatnonzero(state.flag[:, ALIVE])
        obs = observe(level, state)["driver"]
        actions = np.zeros((genomes.shape[0], 2), dtype=np.float32)
        actions[run] = forward_numpy(spec, genomes[run], obs[run], einsum=einsum)
        step(level, state, {"driver": actions}, max_ticks)
    return state.scored_fitness(), state.flag[:, FINISHED].copy(), state.count[:, TICK].copy()

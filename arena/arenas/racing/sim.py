"""numba kernels of the racing arena.

Each tick a car senses `n_rays` wall distances (rays sphere-traced through the clearance
grid) and its speed, its network gives steering and throttle (both in [-1, 1], negative
throttle brakes), then it moves. Touching a wall, a non-finite output, reaching no new
checkpoint for `stall_seconds` or running out of time ends its run. The turn rate is limited
by `lateral_grip / speed`, so fast cars cannot take tight bends: drivers must brake for them. Fitness is laps driven
(the best progress along the centreline, in laps); a car that finishes adds the fraction of
its time limit it did not need, so faster is better.
"""

import numpy as np
from numba import njit, prange

from arena.arenas.racing.params import PARAMS
from arena.arenas.racing.state import (
    ALIVE, ALONG, BEST, FINISHED, FITNESS, HEADING, LAST_CHECKPOINT_TICK, NEXT_CHECKPOINT,
    PROGRESS, SEGMENT, SPEED, TICK, X, Y, N_REAL, N_COUNT, N_FLAG,
)
from arena.brains.netbatch import BLOCK, forward_block

N_INPUTS = PARAMS.n_rays + 1
_offsets = np.linspace(-PARAMS.ray_spread / 2, PARAMS.ray_spread / 2, PARAMS.n_rays)
RAY_COS = np.cos(_offsets)
RAY_SIN = np.sin(_offsets)
N_RAYS = PARAMS.n_rays
RANGE = PARAMS.ray_range
EPSILON = PARAMS.march_epsilon
MARCH_STEPS = PARAMS.march_steps
DT = PARAMS.dt
MAX_SPEED = PARAMS.max_speed
ACCELERATION = PARAMS.acceleration
BRAKING = PARAMS.braking
DRAG = PARAMS.drag
STEER_RATE = PARAMS.steer_rate
GRIP_SPEED = PARAMS.grip_speed
LATERAL_GRIP = PARAMS.lateral_grip
CAR_RADIUS = PARAMS.car_radius
CHECKPOINT = PARAMS.checkpoint_spacing
STALL_TICKS = int(round(PARAMS.stall_seconds / PARAMS.dt))


def max_ticks_for(level) -> int:
    """The time limit of a race on `level`, in ticks."""
    return int(np.ceil(level.race_length / PARAMS.min_average_speed / PARAMS.dt))


def level_arrays(level, max_ticks: int) -> tuple:
    """The level as the tuple the kernels take."""
    return (level.clearance, level.origin[0], level.origin[1], 1.0 / level.cell, level.centre,
            level.length, level.race_length, np.int64(max_ticks))


@njit(cache=True, inline="always")
def clearance_at(grid, ox, oy, inv_cell, x, y):
    """Bilinear distance to the nearest wall at (x, y); 0 off the grid (and for NaN)."""
    gx = (x - ox) * inv_cell - 0.5
    gy = (y - oy) * inv_cell - 0.5
    if not (gx >= 0.0 and gy >= 0.0 and gx < grid.shape[1] - 1 and gy < grid.shape[0] - 1):
        return 0.0
    ix = int(gx)
    iy = int(gy)
    fx = gx - ix
    fy = gy - iy
    low = grid[iy, ix] * (1.0 - fx) + grid[iy, ix + 1] * fx
    high = grid[iy + 1, ix] * (1.0 - fx) + grid[iy + 1, ix + 1] * fx
    return low * (1.0 - fy) + high * fy


@njit(cache=True, inline="always")
def sense(lv, real, a, obs, b, rays):
    """Write the inputs of car a into obs[0:N_INPUTS, b] (float32); rays: float64[3, N_RAYS] scratch.

    Each ray is sphere-traced through the clearance grid: it advances by the distance to the
    nearest wall until it is within EPSILON of one or has gone RANGE. The rays advance in
    lockstep, so their independent lookups overlap instead of waiting on each other.
    """
    grid, ox, oy, inv_cell = lv[0], lv[1], lv[2], lv[3]
    x = real[a, X]
    y = real[a, Y]
    ch = np.cos(real[a, HEADING])
    sh = np.sin(real[a, HEADING])
    dx = rays[0]
    dy = rays[1]
    t = rays[2]
    for k in range(N_RAYS):
        dx[k] = ch * RAY_COS[k] - sh * RAY_SIN[k]
        dy[k] = sh * RAY_COS[k] + ch * RAY_SIN[k]
        t[k] = 0.0
    running = (np.int64(1) << N_RAYS) - 1  # bit k: ray k still marching
    for _ in range(MARCH_STEPS):
        for k in range(N_RAYS):
            if running & (np.int64(1) << k):
                d = clearance_at(grid, ox, oy, inv_cell, x + t[k] * dx[k], y + t[k] * dy[k])
                if d < EPSILON:
                    running &= ~(np.int64(1) << k)
                else:
                    t[k] += d
                    if t[k] >= RANGE:
                        t[k] = RANGE
                        running &= ~(np.int64(1) << k)
        if running == 0:
            break
    for k in range(N_RAYS):
        obs[k, b] = np.float32(t[k] / RANGE)
    obs[N_RAYS, b] = np.float32(real[a, SPEED] / MAX_SPEED)


@njit(cache=True, inline="always")
def locate(centre, segment, x, y):
    """(segment, fraction along it) of the centreline point nearest (x, y), near `segment`."""
    n = centre.shape[0]
    best_d2 = np.inf
    best_k = segment
    best_t = 0.0
    for o in range(-2, 3):
        k = (segment + o) % n
        j = (k + 1) % n
        ax = centre[k, 0]
        ay = centre[k, 1]
        dx = centre[j, 0] - ax
        dy = centre[j, 1] - ay
        t = ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)
        t = min(max(t, 0.0), 1.0)
        qx = ax + t * dx - x
        qy = ay + t * dy - y
        d2 = qx * qx + qy * qy
        if d2 < best_d2:
            best_d2 = d2
            best_k = k
            best_t = t
    return best_k, best_t


@njit(cache=True, inline="always")
def advance(lv, real, count, flag, a, steer, throttle):
    """One tick of car a with float32 outputs `steer` and `throttle`."""
    grid, ox, oy, inv_cell, centre, length, race_length, max_ticks = lv
    steer = np.float64(steer)
    throttle = np.float64(throttle)
    count[a, TICK] += 1
    tick = count[a, TICK]
    if not (np.isfinite(steer) and np.isfinite(throttle)):
        flag[a, ALIVE] = False
        return
    steer = min(max(steer, -1.0), 1.0)
    throttle = min(max(throttle, -1.0), 1.0)
    accel = throttle * ACCELERATION if throttle >= 0.0 else throttle * BRAKING
    v = real[a, SPEED] + accel * DT
    v -= DRAG * v * DT
    v = min(max(v, 0.0), MAX_SPEED)
    turn = min(STEER_RATE, LATERAL_GRIP / max(v, 1e-9)) * min(v / GRIP_SPEED, 1.0)
    h = real[a, HEADING] + steer * turn * DT
    real[a, SPEED] = v
    real[a, HEADING] = h
    real[a, X] += v * np.cos(h) * DT
    real[a, Y] += v * np.sin(h) * DT
    x = real[a, X]
    y = real[a, Y]
    if clearance_at(grid, ox, oy, inv_cell, x, y) < CAR_RADIUS:
        flag[a, ALIVE] = False
        return
    n = centre.shape[0]
    k, t = locate(centre, count[a, SEGMENT], x, y)
    count[a, SEGMENT] = k
    along = (k + t) * (length / n)
    delta = along - real[a, ALONG]
    if delta > 0.5 * length:
        delta -= length
    elif delta < -0.5 * length:
        delta += length
    real[a, ALONG] = along
    real[a, PROGRESS] += delta
    best = max(real[a, BEST], real[a, PROGRESS])
    real[a, BEST] = best
    if best >= real[a, NEXT_CHECKPOINT]:
        real[a, NEXT_CHECKPOINT] = (np.floor(best / CHECKPOINT) + 1.0) * CHECKPOINT
        count[a, LAST_CHECKPOINT_TICK] = tick
    if best >= race_length:
        flag[a, FINISHED] = True
        flag[a, ALIVE] = False
        real[a, FITNESS] = race_length / length + 1.0 - tick / max_ticks
        return
    real[a, FITNESS] = best / length
    if tick - count[a, LAST_CHECKPOINT_TICK] >= STALL_TICKS or tick >= max_ticks:
        flag[a, ALIVE] = False


@njit(cache=True, parallel=True)
def rollout_kernel(lv, start_x, start_y, start_heading, net, width, fitness, finished, ticks):
    """Run every car to the end of its run, in blocks; outputs per car as in `Outcome`."""
    n = fitness.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        a0 = blk * BLOCK
        nb = min(BLOCK, n - a0)
        real = np.zeros((BLOCK, N_REAL))
        count = np.zeros((BLOCK, N_COUNT), dtype=np.int64)
        flag = np.zeros((BLOCK, N_FLAG), dtype=np.bool_)
        for b in range(nb):
            real[b, X] = start_x
            real[b, Y] = start_y
            real[b, HEADING] = start_heading
            flag[b, ALIVE] = True
        x = np.zeros((max(N_INPUTS, width), BLOCK), dtype=np.float32)
        rays = np.zeros((3, N_RAYS))
        out = np.zeros((2, BLOCK), dtype=np.float32)
        buf_a = np.zeros((width, BLOCK), dtype=np.float32)
        buf_b = np.zeros((width, BLOCK), dtype=np.float32)
        n_alive = nb
        while n_alive > 0:
            for b in range(nb):
                if flag[b, ALIVE]:
                    sense(lv, real, b, x, b, rays)
            forward_block(net, a0, nb, x[:N_INPUTS], out, buf_a, buf_b)
            for b in range(nb):
                if flag[b, ALIVE]:
                    advance(lv, real, count, flag, b, out[0, b], out[1, b])
                    if not flag[b, ALIVE]:
                        n_alive -= 1
        for b in range(nb):
            fitness[a0 + b] = real[b, FITNESS]
            finished[a0 + b] = flag[b, FINISHED]
            ticks[a0 + b] = count[b, TICK]


@njit(cache=True, parallel=True)
def observe_kernel(lv, real, flag, obs):
    """obs: float32[n, N_INPUTS] of the running cars (rows of stopped cars are left alone)."""
    xt = obs.T
    for a in prange(real.shape[0]):
        if flag[a, ALIVE]:
            sense(lv, real, a, xt, a, np.empty((3, N_RAYS)))


@njit(cache=True, parallel=True)
def step_kernel(lv, real, count, flag, outputs):
    """One tick for every running car; outputs: float32[n, 2] (steer, throttle)."""
    for a in prange(real.shape[0]):
        if flag[a, ALIVE]:
            advance(lv, real, count, flag, a, outputs[a, 0], outputs[a, 1])

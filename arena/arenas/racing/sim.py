"""numba kernels of the racing arena.

Each tick a car senses `n_rays` wall distances (rays sphere-traced through the clearance
grid) and its speed, its network gives steering and throttle (both in [-1, 1], negative
throttle brakes), then it moves. Touching a wall, a non-finite output, reaching no new
checkpoint for `stall_seconds` or running out of time ends its run. The turn rate is limited
by `lateral_grip / speed`, so fast cars cannot take tight bends: drivers must brake for them. Fitness is laps driven
(the best progress along the centreline, in laps); a car that finishes adds the fraction of
its time limit it did not need, so faster is better.

A ray advances by the interpolated clearance until that is below `march_epsilon` (so it stops
that close to a wall), it has gone `ray_range`, or it has taken `march_steps` steps; it reads
the distance gone over `ray_range`.

The constants below are compiled into the cached kernels, and numba's cache only notices
changes to this file: after changing `PARAMS`, delete the `sim.*` files in `__pycache__`.
"""

import numpy as np
from numba import get_num_threads, njit, prange, types
from numba.extending import intrinsic

from arena.arenas.clearance import grid_value, march_rays, start_rays
from arena.arenas.racing.params import PARAMS
from arena.arenas.racing.state import (
    ALIVE, ALONG, BEST, FINISHED, FITNESS, HEADING, LAST_CHECKPOINT_TICK, NEXT_CHECKPOINT,
    PROGRESS, SEGMENT, SPEED, TICK, X, Y, N_REAL, N_COUNT, N_FLAG,
)
from arena.brains.netbatch import BLOCK, KIND_DENSE, block_buffers, forward_block, forward_graph_one

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
# columns of the per-car `pose` scratch that `advance` leaves for the next `sense`
POSE_COS, POSE_SIN, POSE_CLEARANCE = range(3)
N_POSE = 3


def max_ticks_for(level) -> int:
    """The time limit of a race on `level`, in ticks."""
    return int(np.ceil(level.race_length / PARAMS.min_average_speed / PARAMS.dt))


def level_arrays(level, max_ticks: int) -> tuple:
    """The level as the tuple the kernels take.

    The clearance grid goes in flat, with its row length as an unsigned integer and the
    largest grid coordinates a bilinear lookup may start from (see `grid_value`).
    """
    ny, nx = level.clearance.shape
    return (level.clearance.reshape(-1), np.uint64(nx), float(nx - 2), float(ny - 2),
            level.origin[0], level.origin[1], 1.0 / level.cell, level.segments,
            level.length, level.race_length, np.int64(max_ticks))



@njit(cache=True, inline="always")
def clearance_at(lv, x, y):
    """Signed distance to the nearest wall at (x, y), bilinear; negative off the track."""
    grid, nx, gx_max, gy_max, ox, oy, inv_cell = lv[0], lv[1], lv[2], lv[3], lv[4], lv[5], lv[6]
    return grid_value(grid, nx, gx_max, gy_max, (x - ox) * inv_cell - 0.5, (y - oy) * inv_cell - 0.5)


@njit(cache=True, inline="always")
def sense(lv, real, pose, n, obs, rays, work):
    """Write the inputs of cars 0 .. n-1 into obs[0:N_INPUTS, 0:n] (float32).

    pose[b]: cos and sin of car b's heading and the clearance where it stands (see `advance`).
    rays: float64[5, >= n * N_RAYS] and work: uint64[>= n * N_RAYS], scratch.
    The first step of every ray of a car is the same, its clearance, so it is taken at once.
    Then all rays of the n cars march together in grid coordinates: each pass takes one step
    of every ray in the work list and keeps the rays that go on. A pass is thus a long loop of
    independent, branch-free lookups that the CPU overlaps, and finished rays cost nothing.
    """
    grid, nx, gx_max, gy_max, ox, oy, inv_cell = lv[0], lv[1], lv[2], lv[3], lv[4], lv[5], lv[6]
    e = 0
    m = 0
    for b in range(n):
        x0 = (real[b, X] - ox) * inv_cell - 0.5
        y0 = (real[b, Y] - oy) * inv_cell - 0.5
        ch = pose[b, POSE_COS]
        sh = pose[b, POSE_SIN]
        d = pose[b, POSE_CLEARANCE]
        m, e = start_rays(x0, y0, ch, sh, d, RAY_COS, RAY_SIN, inv_cell, EPSILON, RANGE, rays, work, m, e)
    march_rays(grid, nx, gx_max, gy_max, rays, work, m, MARCH_STEPS, EPSILON, RANGE)
    t = rays[4]
    for b in range(n):
        for k in range(N_RAYS):
            obs[k, b] = np.float32(min(t[b * N_RAYS + k], RANGE) * (1.0 / RANGE))
        obs[N_RAYS, b] = np.float32(real[b, SPEED] / MAX_SPEED)


@njit(cache=True, inline="always")
def locate(segments, segment, x, y):
    """(segment, fraction along it) of the centreline point nearest (x, y), within two of `segment`.

    segments: as `track.segment_table` lists them, so the five candidates are rows segment ..
    segment + 4, indexed unsigned so that numba adds no negative-index fix-up.
    """
    n = segments.shape[0] - 4
    first = np.uint64(segment)
    best_d2 = np.inf
    best_o = 2
    best_t = 0.0
    for o in range(5):
        row = first + np.uint64(o)
        ax = segments[row, 0]
        ay = segments[row, 1]
        dx = segments[row, 2]
        dy = segments[row, 3]
        t = ((x - ax) * dx + (y - ay) * dy) * segments[row, 4]
        t = min(max(t, 0.0), 1.0)
        qx = ax + t * dx - x
        qy = ay + t * dy - y
        d2 = qx * qx + qy * qy
        if d2 < best_d2:
            best_d2 = d2
            best_o = o
            best_t = t
    k = segment + best_o - 2
    if k < 0:
        k += n
    elif k >= n:
        k -= n
    return k, best_t


@njit(cache=True, inline="always")
def advance(lv, real, count, flag, out, pose, n):
    """One tick of the running cars among 0 .. n-1; out[0, b], out[1, b]: float32 steer and
    throttle of car b.

    Also writes pose[b] (cos and sin of the new heading, clearance at the new place), which
    the next `sense` needs and would otherwise compute again. In two passes over the cars,
    moving and then judging the move: each car's tick is a long chain of dependent steps
    (sin and cos, the clearance, then the centreline), and passes over many cars let the CPU
    work on several chains at once.
    """
    segments, length, race_length, max_ticks = lv[7], lv[8], lv[9], lv[10]
    for a in range(n):
        if not flag[a, ALIVE]:
            continue
        steer = np.float64(out[0, a])
        throttle = np.float64(out[1, a])
        count[a, TICK] += 1
        if not (np.isfinite(steer) and np.isfinite(throttle)):
            flag[a, ALIVE] = False
            continue
        steer = min(max(steer, -1.0), 1.0)
        throttle = min(max(throttle, -1.0), 1.0)
        accel = throttle * ACCELERATION if throttle >= 0.0 else throttle * BRAKING
        v = real[a, SPEED] + accel * DT
        v -= DRAG * v * DT
        v = min(max(v, 0.0), MAX_SPEED)
        turn = min(STEER_RATE, LATERAL_GRIP / max(v, 1e-9)) * min(v / GRIP_SPEED, 1.0)
        h = real[a, HEADING] + steer * turn * DT
        ch = np.cos(h)
        sh = np.sin(h)
        real[a, SPEED] = v
        real[a, HEADING] = h
        x = real[a, X] + v * ch * DT
        y = real[a, Y] + v * sh * DT
        real[a, X] = x
        real[a, Y] = y
        pose[a, POSE_COS] = ch
        pose[a, POSE_SIN] = sh
        pose[a, POSE_CLEARANCE] = clearance_at(lv, x, y)
    n_segments = segments.shape[0] - 4
    for a in range(n):
        if not flag[a, ALIVE]:
            continue
        if pose[a, POSE_CLEARANCE] < CAR_RADIUS:
            flag[a, ALIVE] = False
            continue
        tick = count[a, TICK]
        k, t = locate(segments, count[a, SEGMENT], real[a, X], real[a, Y])
        count[a, SEGMENT] = k
        along = (k + t) * (length / n_segments)
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
            continue
        real[a, FITNESS] = best / length
        if tick - count[a, LAST_CHECKPOINT_TICK] >= STALL_TICKS or tick >= max_ticks:
            flag[a, ALIVE] = False


@intrinsic
def _fetch_add(typingctx, counter, delta):
    """counter[0] += delta, atomically, returning the old value (int64 counter, int delta).

    numba has no atomics on the CPU; this is the one instruction the rollout's shared queue
    needs. numba does not see it write `counter`: read the counter with it too.
    """
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64 and isinstance(delta, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        step = context.cast(builder, args[1], signature.args[1], types.int64)
        return builder.atomic_rmw("add", array.data, step, "monotonic")

    return types.int64(counter, delta), codegen


@njit(cache=True, inline="always")
def _copy_car(dst, i, src, j):
    """Car j of `src` into place i of `dst`, both (real, count, flag, pose, car) tuples."""
    dst[0][i, :] = src[0][j, :]
    dst[1][i, :] = src[1][j, :]
    dst[2][i, :] = src[2][j, :]
    dst[3][i, :] = src[3][j, :]
    dst[4][i] = src[4][j]


@njit(cache=True)
def _cars(n):
    """Room for n cars as `_copy_car` moves them: (real, count, flag, pose, car)."""
    return (np.empty((n, N_REAL)), np.empty((n, N_COUNT), dtype=np.int64),
            np.empty((n, N_FLAG), dtype=np.bool_), np.empty((n, N_POSE)), np.empty(n, dtype=np.int64))


@njit(cache=True, inline="always")
def _scratch(width, lanes):
    """Buffers for ticks of `lanes` packed cars: (x, out, buf_a, buf_b, values, rays, work), as
    `_tick_lanes` uses them."""
    return block_buffers(N_INPUTS, 2, width, lanes) + (
        np.zeros(width, dtype=np.float32), np.empty((5, lanes * N_RAYS)), np.empty(lanes * N_RAYS, dtype=np.uint64))


@njit(cache=True, inline="always")
def _tick_lanes(lv, held, lane_net, net, dense, running, scratch):
    """One tick of the cars in lanes 0 .. running - 1 of `held` (see `_cars`): sense, think, move.

    Dense networks run from `lane_net`, whose weights sit beside their lanes; graph networks
    from `net`, one lane at a time, by car number.
    """
    real, count, flag, pose, car = held
    x, out, buf_a, buf_b, values, rays, work = scratch
    sense(lv, real, pose, running, x, rays, work)
    if dense:
        forward_block(lane_net, 0, running, x[:N_INPUTS], out, buf_a, buf_b)
    else:
        for b in range(running):
            forward_graph_one(net, car[b], x[:N_INPUTS], b, out, values)
    advance(lv, real, count, flag, out, pose, running)


def rollout_kernel(lv, start_x, start_y, start_heading, net, width, fitness, finished, ticks):
    """Run every car to the end of its run; outputs per car as in `Outcome`.

    Runs `_rollout` with one worker per thread; the thread count is read here because numba
    cannot cache a kernel that asks for it.
    """
    _rollout(lv, start_x, start_y, start_heading, net, width, fitness, finished, ticks,
             min(get_num_threads(), fitness.shape[0]))


@njit(cache=True, parallel=True, nogil=True)  # nogil: a window keeps drawing while a rollout runs
def _rollout(lv, start_x, start_y, start_heading, net, width, fitness, finished, ticks, n_workers):
    """`rollout_kernel` with n_workers workers.

    Each worker drives a pool of BLOCK lanes. Running cars stay packed in the first lanes, so
    sensing (vectorised over lanes), the forward pass and moving touch only running cars: when
    a car stops, the last lane moves into its place, and free lanes take the next car. Dense
    networks keep their weights beside their lanes in a local copy, so their forward pass is
    vectorised over lanes too; graph networks run one lane at a time, each its own network.

    Cars are taken one by one from a shared queue, so the workers stay equally busy while it
    lasts. After it, a few long runs can keep one worker going alone; so when a worker runs
    out of cars the others park theirs, and the parked cars are dealt out afresh (worker w
    resumes parked cars w, w + n_workers, ...) until none is left. The cars do not interact,
    so which worker runs a car, and when, changes nothing.
    """
    weights_t = net[1]
    dense = net[0] == KIND_DENSE
    lanes = BLOCK
    n = fitness.shape[0]
    start_cos = np.cos(start_heading)
    start_sin = np.sin(start_heading)
    start_clearance = clearance_at(lv, start_x, start_y)
    queue = np.zeros(1, dtype=np.int64)  # the next car to start
    resumed = _cars(n)
    n_resumed = 0
    parked = _cars(n)
    while True:
        n_parked = np.zeros(1, dtype=np.int64)
        ran_out = np.zeros(1, dtype=np.int64)  # workers that ran out of cars in this round
        for worker in prange(n_workers):
            held = _cars(lanes)
            real, count, flag, pose, car = held
            local_weights = np.empty((weights_t.shape[0] if dense else 0, lanes), dtype=np.float32)
            lane_net = (net[0], local_weights) + net[2:]
            scratch = _scratch(width, lanes)
            next_resumed = np.int64(worker)  # a prange index may be unsigned, and unsigned + int is float
            queue_empty = False
            running = 0
            ran = False
            while True:
                while running < lanes:
                    b = running
                    if next_resumed < n_resumed:
                        _copy_car(held, b, resumed, next_resumed)
                        next_resumed += n_workers
                    elif queue_empty:
                        break
                    else:
                        c = _fetch_add(queue, 1)
                        if c >= n:
                            queue_empty = True
                            break
                        real[b, :] = 0.0
                        real[b, X] = start_x
                        real[b, Y] = start_y
                        real[b, HEADING] = start_heading
                        count[b, :] = 0
                        flag[b, ALIVE] = True
                        flag[b, FINISHED] = False
                        pose[b, POSE_COS] = start_cos
                        pose[b, POSE_SIN] = start_sin
                        pose[b, POSE_CLEARANCE] = start_clearance
                        car[b] = c
                    if dense:
                        local_weights[:, b] = weights_t[:, car[b]]
                    running += 1
                if running == 0:
                    if ran:
                        _fetch_add(ran_out, 1)
                    break
                if _fetch_add(ran_out, 0) > 0:
                    for b in range(running):
                        _copy_car(parked, _fetch_add(n_parked, 1), held, b)
                    while next_resumed < n_resumed:
                        _copy_car(parked, _fetch_add(n_parked, 1), resumed, next_resumed)
                        next_resumed += n_workers
                    break
                ran = True
                _tick_lanes(lv, held, lane_net, net, dense, running, scratch)
                # Downwards, so that the lane moved into a stopped one is one already looked at.
                for b in range(running - 1, -1, -1):
                    if not flag[b, ALIVE]:
                        c = car[b]
                        fitness[c] = real[b, FITNESS]
                        finished[c] = flag[b, FINISHED]
                        ticks[c] = count[b, TICK]
                        running -= 1
                        if b != running:
                            _copy_car(held, b, held, running)
                            if dense:
                                local_weights[:, b] = local_weights[:, running]
        n_resumed = _fetch_add(n_parked, 0)  # a plain read could be moved before the workers
        if n_resumed == 0:
            break
        resumed, parked = parked, resumed


@njit(cache=True, parallel=True)
def observe_kernel(lv, real, flag, obs):
    """obs: float32[n, N_INPUTS] of the running cars (rows of stopped cars are left alone)."""
    n = real.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        rows = np.empty(BLOCK, dtype=np.int64)
        cars = np.empty((BLOCK, N_REAL))
        pose = np.empty((BLOCK, N_POSE))
        m = 0
        for a in range(a0, min(a0 + BLOCK, n)):
            if flag[a, ALIVE]:
                rows[m] = a
                cars[m, :] = real[a, :]
                pose[m, POSE_COS] = np.cos(real[a, HEADING])
                pose[m, POSE_SIN] = np.sin(real[a, HEADING])
                pose[m, POSE_CLEARANCE] = clearance_at(lv, real[a, X], real[a, Y])
                m += 1
        x = np.empty((N_INPUTS, BLOCK), dtype=np.float32)
        sense(lv, cars, pose, m, x, np.empty((5, BLOCK * N_RAYS)), np.empty(BLOCK * N_RAYS, dtype=np.uint64))
        for i in range(m):
            for k in range(N_INPUTS):
                obs[rows[i], k] = x[k, i]


@njit(cache=True, parallel=True)
def step_kernel(lv, real, count, flag, outputs):
    """One tick for every running car; outputs: float32[n, 2] (steer, throttle)."""
    n = real.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        a1 = min(a0 + BLOCK, n)
        pose = np.empty((a1 - a0, N_POSE))  # `advance` leaves it for a `sense` that does not follow here
        advance(lv, real[a0:a1], count[a0:a1], flag[a0:a1], outputs[a0:a1].T, pose, a1 - a0)


def advance_kernel(lv, real, count, flag, net, width, n_ticks, trail, trail_every):
    """Up to `n_ticks` ticks of every running car with its network: what `observe_kernel`, the
    forward pass and `step_kernel` do tick by tick, fused, with the same result bit for bit.

    net: a `NetBatch.arrays()` tuple, kept by the caller (recurrent nets remember across calls).
    trail: float32[n, m, 2]; after tick t, t a multiple of `trail_every`, car a's (x, y) goes to
    trail[a, t // trail_every] while that is below m. Runs `_advance` with one worker per thread.
    """
    running = np.flatnonzero(flag[:, ALIVE])
    _advance(lv, real, count, flag, net, width, n_ticks, trail, trail_every, running,
             max(1, min(get_num_threads(), running.shape[0])))


@njit(cache=True, parallel=True, nogil=True)
def _advance(lv, real, count, flag, net, width, n_ticks, trail, trail_every, running_cars, n_workers):
    """`advance_kernel` over the cars `running_cars` (int64[m], rows still running).

    Worker w takes every n_workers-th running car (so that no worker gets all the long runs,
    which selection puts side by side) and drives them BLOCK at a time in packed lanes, as in
    `_rollout`: stopped cars leave their lane to the last one.
    """
    weights_t = net[1]
    dense = net[0] == KIND_DENSE
    m = running_cars.shape[0]
    for worker in prange(n_workers):
        w = np.int64(worker)
        held = _cars(BLOCK)
        lane_real, lane_count, lane_flag, pose, car = held
        local_weights = np.empty((weights_t.shape[0] if dense else 0, BLOCK), dtype=np.float32)
        lane_net = (net[0], local_weights) + net[2:]
        scratch = _scratch(width, BLOCK)
        mine = (m - w + n_workers - 1) // n_workers
        for first in range(0, mine, BLOCK):
            running = 0
            for k in range(first, min(first + BLOCK, mine)):
                a = running_cars[w + k * n_workers]
                lane_real[running, :] = real[a, :]
                lane_count[running, :] = count[a, :]
                lane_flag[running, :] = flag[a, :]
                pose[running, POSE_COS] = np.cos(real[a, HEADING])
                pose[running, POSE_SIN] = np.sin(real[a, HEADING])
                pose[running, POSE_CLEARANCE] = clearance_at(lv, real[a, X], real[a, Y])
                car[running] = a
                if dense:
                    local_weights[:, running] = weights_t[:, a]
                running += 1
            for _ in range(n_ticks):
                if running == 0:
                    break
                _tick_lanes(lv, held, lane_net, net, dense, running, scratch)
                for b in range(running):
                    tick = lane_count[b, TICK]
                    if trail_every > 0 and tick % trail_every == 0 and tick // trail_every < trail.shape[1]:
                        trail[car[b], tick // trail_every, 0] = np.float32(lane_real[b, X])
                        trail[car[b], tick // trail_every, 1] = np.float32(lane_real[b, Y])
                for b in range(running - 1, -1, -1):
                    if not lane_flag[b, ALIVE]:
                        a = car[b]
                        real[a, :] = lane_real[b, :]
                        count[a, :] = lane_count[b, :]
                        flag[a, :] = lane_flag[b, :]
                        running -= 1
                        if b != running:
                            _copy_car(held, b, held, running)
                            if dense:
                                local_weights[:, b] = local_weights[:, running]
            for b in range(running):
                a = car[b]
                real[a, :] = lane_real[b, :]
                count[a, :] = lane_count[b, :]
                flag[a, :] = lane_flag[b, :]

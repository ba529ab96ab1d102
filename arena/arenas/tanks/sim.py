"""numba kernels of the tanks arena.

Each tick the network tank (tank 0 of its environment) senses, in this order (`N_INPUTS`):
`n_rays` wall distances over `ray_spread` (sphere-traced through the clearance grid, 1.0 at
`ray_range` or beyond); for each of the `sensed_points` nearest points (nearest first, ties to
the lower point slot) the cosine and sine of its bearing from the tank's heading and its
distance over `point_range` (clipped at 1); the same three for the nearest other tank (0, 0, 1
when there is none: solo mode); and the speed it reached in the last tick (a fraction of
`max_speed`, negative backwards, low when it pushes against a wall).

Its network gives the left and right track speeds in [-1, 1]: the tank moves at
`max_speed * (left + right) / 2` and turns at `turn_rate * (right - left) / 2`. Rival tanks
drive by the scripted greedy policy (`greedy`): turn towards the nearest point and drive. A
move that would bring a tank's centre closer than `tank_radius` to a wall is cut to its x or
its y part (sliding along the wall), or else the tank stays where it is; tanks do not collide
with each other. Then each point slot in order goes to the lowest-numbered tank within
`catch_radius` of it, and a caught point respawns at once at the next place of the
environment's spawn sequence (`spawn_point`).

Fitness of the network tank: the points it caught, plus a tie-breaker below 1, so that a
population that catches nothing yet still has a gradient: `tie_break` times its closeness to
the nearest point (1 - distance / closeness_range, at least 0) averaged over the ticks run. A
tank that catches the level's target finishes; its tie-breaker is then `tie_break` plus
(1 - tie_break) times the fraction of the time it did not need. So int(fitness) is the points
caught. A run ends at the level's time limit, at the target, or when the network's outputs
are not finite (NaN, infinity).
"""

import numpy as np
from numba import get_num_threads, njit, prange

from arena.arenas.cartpole.trig import sin_cos
from arena.arenas.clearance import grid_value, march_rays, start_rays
from arena.arenas.tanks.params import PARAMS
from arena.arenas.tanks.state import (
    ALIVE, CLEARANCE, CLOSENESS, COS, FINISHED, FITNESS, HEADING, N_COUNT, N_FLAG, N_REAL, N_TANK, SIN, SPAWNED,
    SPEED, TICK, X, Y, start_tanks,
)
from arena.brains.netbatch import BLOCK, KIND_DENSE, block_buffers, forward_block, forward_graph_one

N_RAYS = PARAMS.n_rays
N_SENSED = PARAMS.sensed_points
IN_POINTS = N_RAYS  # first input of the nearest points, three each
IN_TANK = N_RAYS + 3 * N_SENSED  # first of the three inputs of the nearest other tank
IN_SPEED = IN_TANK + 3
N_INPUTS = IN_SPEED + 1
_offsets = np.linspace(-PARAMS.ray_spread / 2, PARAMS.ray_spread / 2, PARAMS.n_rays)
RAY_COS = np.cos(_offsets)
RAY_SIN = np.sin(_offsets)
RANGE = PARAMS.ray_range
EPSILON = PARAMS.march_epsilon
MARCH_STEPS = PARAMS.march_steps
INV_POINT_RANGE = 1.0 / PARAMS.point_range
DT = PARAMS.dt
HALF_SPEED = 0.5 * PARAMS.max_speed
HALF_TURN = 0.5 * PARAMS.turn_rate
INV_MAX_STEP = 1.0 / (PARAMS.max_speed * PARAMS.dt)
TANK_RADIUS = PARAMS.tank_radius
CATCH2 = PARAMS.catch_radius ** 2
SPAWN_TRIES = PARAMS.spawn_tries
CLOSENESS_RANGE = PARAMS.closeness_range
TIE_BREAK = PARAMS.tie_break
GREEDY_GAIN = PARAMS.greedy_gain
_ONE = np.uint64(1)
# splitmix64, the counter-based hash of the spawn sequence
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
UNIT = 1.0 / 9007199254740992.0  # 2^-53
# items of the level tuple
LV_GRID, LV_NX, LV_GX_MAX, LV_GY_MAX, LV_ORIGIN, LV_INV_CELL, LV_SPAWNABLE, LV_REGIONS, LV_FALLBACK = range(9)
LV_TARGET, LV_MAX_TICKS, LV_START, LV_POINTS = range(9, 13)


def max_ticks_for(level) -> int:
    """The time limit of a run on `level`, in ticks."""
    return int(round(level.seconds / PARAMS.dt))


def level_arrays(level, max_ticks: int) -> tuple:
    """The level as the tuple the kernels take (items: the LV_ constants).

    The clearance grid goes in flat, with its row length as an unsigned integer and the
    largest grid coordinates a bilinear lookup may start from (see `grid_value`); `start`
    is `state.start_tanks(level)`, every environment's tanks before the first tick.
    """
    ny, nx = level.clearance.shape
    return (level.clearance.reshape(-1), np.uint64(nx), float(nx - 2), float(ny - 2), float(level.origin),
            1.0 / level.cell, level.spawnable.reshape(-1), level.spawn_regions, level.fallback,
            np.int64(level.target), np.int64(max_ticks), start_tanks(level), np.int64(level.points_active))


@njit(cache=True, inline="always")
def mix(z):
    """splitmix64's finaliser of z + golden ratio (uint64 in, uint64 out, wrapping)."""
    z = z + GOLDEN
    z = (z ^ (z >> _S30)) * MIX1
    z = (z ^ (z >> _S27)) * MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def unit(z):
    """A float64 in [0, 1) from the top 53 bits of a uint64."""
    return np.float64(z >> _S11) * UNIT


@njit(cache=True, inline="always")
def spawn_point(lv, seed, number):
    """(x, y) of point number `number` (int64) of the spawn sequence of an environment's `seed`.

    Try k draws a region, uniformly by index, and a uniform spot in it, from the hashes of
    key + 3k, + 1, + 2 where key mixes the seed and the number; the first spot in a
    spawnable cell wins. After SPAWN_TRIES misses, the fallback spot of the first region drawn.
    Depends on (seed, number) only: never on the batch, the thread, or what happened before.
    """
    spawnable, regions, fallback = lv[LV_SPAWNABLE], lv[LV_REGIONS], lv[LV_FALLBACK]
    nx, origin, inv_cell = lv[LV_NX], lv[LV_ORIGIN], lv[LV_INV_CELL]
    n_regions = regions.shape[0]
    key = mix(seed ^ mix(np.uint64(number)))
    first = 0
    for attempt in range(SPAWN_TRIES):
        j = key + np.uint64(3 * attempt)
        r = min(np.int64(unit(mix(j)) * n_regions), n_regions - 1)
        if attempt == 0:
            first = r
        x = regions[r, 0] + unit(mix(j + _ONE)) * (regions[r, 2] - regions[r, 0])
        y = regions[r, 1] + unit(mix(j + np.uint64(2))) * (regions[r, 3] - regions[r, 1])
        ix = np.uint64((x - origin) * inv_cell)
        iy = np.uint64((y - origin) * inv_cell)
        if spawnable[iy * nx + ix]:
            return x, y
    return fallback[first, 0], fallback[first, 1]



@njit(cache=True, inline="always")
def clearance_at(lv, x, y):
    """Signed distance to the nearest wall at (x, y), bilinear; negative inside walls."""
    origin, inv_cell = lv[LV_ORIGIN], lv[LV_INV_CELL]
    return grid_value(lv[LV_GRID], lv[LV_NX], lv[LV_GX_MAX], lv[LV_GY_MAX],
                      (x - origin) * inv_cell - 0.5, (y - origin) * inv_cell - 0.5)


@njit(cache=True, inline="always")
def bearing(dx, dy, c, s, obs, row, b):
    """obs[row .. row + 2, b]: cos and sin of the bearing of (dx, dy) from heading (c, s), and
    its length over point_range, clipped at 1 (a zero offset has bearing (0, 0))."""
    d = np.sqrt(dx * dx + dy * dy)
    inv = 1.0 / d if d > 0.0 else 0.0
    obs[row, b] = np.float32((dx * c + dy * s) * inv)
    obs[row + 1, b] = np.float32((dy * c - dx * s) * inv)
    obs[row + 2, b] = np.float32(min(d * INV_POINT_RANGE, 1.0))


@njit(cache=True, inline="always")
def sense(lv, tank, point, n, obs, rays, work, near_d2, near_p):
    """Write the inputs of the network tanks of environments 0 .. n-1 into obs[0:N_INPUTS, 0:n].

    tank: float64[>= n, n_tanks, N_TANK]; point: float64[>= n, points_active, 2].
    rays: float64[5, >= n * N_RAYS] and work: uint64[>= n * N_RAYS], near_d2: float64[N_SENSED]
    and near_p: int64[N_SENSED], scratch. Rays march as in the racing arena: the first step of
    every ray of a tank is its clearance, taken at once; then each pass steps every ray still
    in the work list, a long loop of independent, branch-free lookups.
    """
    grid, nx, gx_max, gy_max = lv[LV_GRID], lv[LV_NX], lv[LV_GX_MAX], lv[LV_GY_MAX]
    origin, inv_cell = lv[LV_ORIGIN], lv[LV_INV_CELL]
    n_tanks = tank.shape[1]
    n_points = point.shape[1]
    e = 0
    m = 0
    for b in range(n):
        x0 = (tank[b, 0, X] - origin) * inv_cell - 0.5
        y0 = (tank[b, 0, Y] - origin) * inv_cell - 0.5
        ch = tank[b, 0, COS]
        sh = tank[b, 0, SIN]
        d = tank[b, 0, CLEARANCE]
        m, e = start_rays(x0, y0, ch, sh, d, RAY_COS, RAY_SIN, inv_cell, EPSILON, RANGE, rays, work, m, e)
    march_rays(grid, nx, gx_max, gy_max, rays, work, m, MARCH_STEPS, EPSILON, RANGE)
    t = rays[4]
    for b in range(n):
        for k in range(N_RAYS):
            obs[k, b] = np.float32(min(t[b * N_RAYS + k], RANGE) * (1.0 / RANGE))
    for b in range(n):
        x = tank[b, 0, X]
        y = tank[b, 0, Y]
        c = tank[b, 0, COS]
        s = tank[b, 0, SIN]
        for k in range(N_SENSED):
            near_d2[k] = np.inf
            near_p[k] = -1
        for p in range(n_points):  # insertion into the N_SENSED nearest, earlier slots first on ties
            dx = point[b, p, 0] - x
            dy = point[b, p, 1] - y
            d2 = dx * dx + dy * dy
            if d2 < near_d2[N_SENSED - 1]:
                k = N_SENSED - 1
                while k > 0 and d2 < near_d2[k - 1]:
                    near_d2[k] = near_d2[k - 1]
                    near_p[k] = near_p[k - 1]
                    k -= 1
                near_d2[k] = d2
                near_p[k] = p
        for k in range(N_SENSED):
            p = near_p[k]
            row = IN_POINTS + 3 * k
            if p < 0:
                obs[row, b] = np.float32(0.0)
                obs[row + 1, b] = np.float32(0.0)
                obs[row + 2, b] = np.float32(1.0)
            else:
                bearing(point[b, p, 0] - x, point[b, p, 1] - y, c, s, obs, row, b)
        best = np.inf
        other = -1
        for o in range(1, n_tanks):
            dx = tank[b, o, X] - x
            dy = tank[b, o, Y] - y
            d2 = dx * dx + dy * dy
            if d2 < best:
                best = d2
                other = o
        if other < 0:
            obs[IN_TANK, b] = np.float32(0.0)
            obs[IN_TANK + 1, b] = np.float32(0.0)
            obs[IN_TANK + 2, b] = np.float32(1.0)
        else:
            bearing(tank[b, other, X] - x, tank[b, other, Y] - y, c, s, obs, IN_TANK, b)
        obs[IN_SPEED, b] = np.float32(tank[b, 0, SPEED])


@njit(cache=True, inline="always")
def greedy(tank, point, b, t):
    """(left, right) track speeds of the scripted greedy tank t of environment b.

    It heads for the nearest point (the lower slot on ties): turning at full rate once the
    point is more than asin(1 / greedy_gain) off its heading, proportionally below that,
    driving at the cosine of that angle, and turning on the spot while the point is behind.
    It never looks at walls: a point straight behind one pins it there, sliding to and fro,
    until another tank catches that point.
    """
    x = tank[b, t, X]
    y = tank[b, t, Y]
    best = np.inf
    dx = 0.0
    dy = 0.0
    for p in range(point.shape[1]):
        px = point[b, p, 0] - x
        py = point[b, p, 1] - y
        d2 = px * px + py * py
        if d2 < best:
            best = d2
            dx = px
            dy = py
    d = np.sqrt(best)
    inv = 1.0 / d if d > 0.0 else 0.0
    c = tank[b, t, COS]
    s = tank[b, t, SIN]
    ahead = (dx * c + dy * s) * inv
    side = (dy * c - dx * s) * inv
    if ahead > 0.0:
        forward = ahead
        turn = min(max(GREEDY_GAIN * side, -1.0), 1.0)
    else:
        forward = 0.0
        turn = 1.0 if side >= 0.0 else -1.0
    return min(max(forward - turn, -1.0), 1.0), min(max(forward + turn, -1.0), 1.0)


@njit(cache=True, inline="always")
def drive(lv, tank, b, t, left, right):
    """Move tank t of environment b one tick with track speeds left, right in [-1, 1].

    A move that ends closer than TANK_RADIUS to a wall keeps only its x part, else only its
    y part, else the tank stays (it still turns).
    """
    x = tank[b, t, X]
    y = tank[b, t, Y]
    v = HALF_SPEED * (left + right)
    h = tank[b, t, HEADING] + HALF_TURN * (right - left) * DT
    s, c = sin_cos(h)
    step = v * DT
    x1 = x + step * c
    y1 = y + step * s
    room = clearance_at(lv, x1, y1)
    if room < TANK_RADIUS:
        room = clearance_at(lv, x1, y)
        if room >= TANK_RADIUS:
            y1 = y
        else:
            room = clearance_at(lv, x, y1)
            if room >= TANK_RADIUS:
                x1 = x
            else:
                x1 = x
                y1 = y
                room = tank[b, t, CLEARANCE]
    mx = x1 - x
    my = y1 - y
    moved = np.sqrt(mx * mx + my * my) * INV_MAX_STEP
    tank[b, t, X] = x1
    tank[b, t, Y] = y1
    tank[b, t, HEADING] = h
    tank[b, t, COS] = c
    tank[b, t, SIN] = s
    tank[b, t, CLEARANCE] = room
    tank[b, t, SPEED] = moved if v >= 0.0 else -moved


@njit(cache=True, inline="always")
def advance(lv, tank, point, caught, count, real, flag, seed, out, n, scripted):
    """One tick of the running environments among 0 .. n-1: every tank drives, points are
    caught and respawn, tank 0's fitness is updated and the run ends when it should.

    out[0, b], out[1, b]: float32 left and right track speeds of tank 0 of environment b,
    unless `scripted`: then the greedy policy drives tank 0 too (and `out` is not read).
    """
    target, max_ticks = lv[LV_TARGET], lv[LV_MAX_TICKS]
    n_tanks = tank.shape[1]
    n_points = point.shape[1]
    for a in range(n):
        if not flag[a, ALIVE]:
            continue
        count[a, TICK] += 1
        if scripted:
            left, right = greedy(tank, point, a, 0)
        else:
            left = np.float64(out[0, a])
            right = np.float64(out[1, a])
            if not (np.isfinite(left) and np.isfinite(right)):
                flag[a, ALIVE] = False
                continue
            left = min(max(left, -1.0), 1.0)
            right = min(max(right, -1.0), 1.0)
        drive(lv, tank, a, 0, left, right)
        for t in range(1, n_tanks):
            rival_left, rival_right = greedy(tank, point, a, t)
            drive(lv, tank, a, t, rival_left, rival_right)
        for p in range(n_points):
            px = point[a, p, 0]
            py = point[a, p, 1]
            for t in range(n_tanks):
                dx = tank[a, t, X] - px
                dy = tank[a, t, Y] - py
                if dx * dx + dy * dy <= CATCH2:
                    caught[a, t] += 1
                    number = count[a, SPAWNED]
                    count[a, SPAWNED] = number + 1
                    point[a, p, 0], point[a, p, 1] = spawn_point(lv, seed[a], number)
                    break
        x = tank[a, 0, X]
        y = tank[a, 0, Y]
        best = np.inf
        for p in range(n_points):
            dx = point[a, p, 0] - x
            dy = point[a, p, 1] - y
            best = min(best, dx * dx + dy * dy)
        real[a, CLOSENESS] += 1.0 - min(np.sqrt(best), CLOSENESS_RANGE) * (1.0 / CLOSENESS_RANGE)
        tick = count[a, TICK]
        got = caught[a, 0]
        if got >= target:
            flag[a, FINISHED] = True
            flag[a, ALIVE] = False
            real[a, FITNESS] = got + TIE_BREAK + (1.0 - TIE_BREAK) * (1.0 - tick / max_ticks)
        else:
            real[a, FITNESS] = got + TIE_BREAK * (real[a, CLOSENESS] / tick)
            if tick >= max_ticks:
                flag[a, ALIVE] = False


@njit(cache=True, inline="always")
def _copy_env(dst, i, src, j):
    """Environment j of `src` into place i of `dst`, both `_envs` tuples."""
    dst[0][i] = src[0][j]
    dst[1][i] = src[1][j]
    dst[2][i] = src[2][j]
    dst[3][i] = src[3][j]
    dst[4][i] = src[4][j]
    dst[5][i] = src[5][j]
    dst[6][i] = src[6][j]
    dst[7][i] = src[7][j]


@njit(cache=True, inline="always")
def _load_env(held, b, tank, point, caught, count, real, flag, seed, a):
    """Environment a of the state arrays into lane b of `held` (an `_envs` tuple)."""
    held[0][b] = tank[a]
    held[1][b] = point[a]
    held[2][b] = caught[a]
    held[3][b] = count[a]
    held[4][b] = real[a]
    held[5][b] = flag[a]
    held[6][b] = seed[a]
    held[7][b] = a


@njit(cache=True, inline="always")
def _store_env(held, b, tank, point, caught, count, real, flag, a):
    """Lane b of `held` (an `_envs` tuple) back into environment a of the state arrays."""
    tank[a] = held[0][b]
    point[a] = held[1][b]
    caught[a] = held[2][b]
    count[a] = held[3][b]
    real[a] = held[4][b]
    flag[a] = held[5][b]


@njit(cache=True)
def _envs(n, n_tanks, n_points):
    """Room for n environments as `_copy_env` moves them: (tank, point, caught, count, real, flag,
    seed, env), env being the environment's row in the batch."""
    return (np.empty((n, n_tanks, N_TANK)), np.empty((n, n_points, 2)), np.empty((n, n_tanks), dtype=np.int64),
            np.empty((n, N_COUNT), dtype=np.int64), np.empty((n, N_REAL)), np.empty((n, N_FLAG), dtype=np.bool_),
            np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.int64))


@njit(cache=True, inline="always")
def _start_env(lv, held, b, seed, env):
    """Lane b of `held` (see `_envs`) becomes environment `env` at its start, its first points spawned.

    `held` is indexed rather than unpacked: unpacked into names that `_rollout` also uses
    (`seeds`), numba's inliner wrote the lane seeds into the caller's array instead.
    """
    held[0][b] = lv[LV_START]
    point = held[1]
    for p in range(point.shape[1]):
        point[b, p, 0], point[b, p, 1] = spawn_point(lv, seed, np.int64(p))
    held[2][b] = 0
    held[3][b] = 0
    held[3][b, SPAWNED] = point.shape[1]
    held[4][b] = 0.0
    held[5][b, ALIVE] = True
    held[5][b, FINISHED] = False
    held[6][b] = seed
    held[7][b] = env


@njit(cache=True, inline="always")
def _scratch(width, lanes):
    """Buffers for ticks of `lanes` packed environments: (x, out, buf_a, buf_b, values, rays, work,
    near_d2, near_p), as `_tick_lanes` uses them."""
    return block_buffers(N_INPUTS, 2, width, lanes) + (
        np.zeros(width, dtype=np.float32), np.empty((5, lanes * N_RAYS)), np.empty(lanes * N_RAYS, dtype=np.uint64),
        np.empty(N_SENSED), np.empty(N_SENSED, dtype=np.int64))


@njit(cache=True, inline="always")
def _tick_lanes(lv, held, lane_net, net, dense, scripted, running, scratch):
    """One tick of the environments in lanes 0 .. running - 1 of `held`: sense, think, move.

    Dense networks run from `lane_net`, whose weights sit beside their lanes; graph networks
    from `net`, one lane at a time, by environment row. A scripted tank 0 needs no senses.
    """
    tank, point, caught, count, real, flag, seeds, envs = held
    x, out, buf_a, buf_b, values, rays, work, near_d2, near_p = scratch
    if not scripted:
        sense(lv, tank, point, running, x, rays, work, near_d2, near_p)
        if dense:
            forward_block(lane_net, 0, running, x[:N_INPUTS], out, buf_a, buf_b)
        else:
            for b in range(running):
                forward_graph_one(net, envs[b], x[:N_INPUTS], b, out, values)
    advance(lv, tank, point, caught, count, real, flag, seeds, out, running, scripted)


def rollout_kernel(lv, net, width, scripted, seeds, fitness, finished, ticks):
    """Run every environment to the end of its run; outputs per environment as in `Outcome`.

    net: a `NetBatch.arrays()` tuple (any dense one when `scripted`: it is not read).
    Runs `_rollout` with one worker per thread; the thread count is read here because numba
    cannot cache a kernel that asks for it.
    """
    _rollout(lv, net, width, scripted, seeds, fitness, finished, ticks, max(1, min(get_num_threads(), seeds.shape[0])))


@njit(cache=True, parallel=True, nogil=True)  # nogil: a window keeps drawing while a rollout runs
def _rollout(lv, net, width, scripted, seeds, fitness, finished, ticks, n_workers):
    """`rollout_kernel` with n_workers workers.

    Worker w runs the w-th of n_workers equal, consecutive shares of the environments, in
    packed lanes: running environments stay in the first lanes, so sensing (vectorised over
    lanes), the forward pass and moving touch only running ones; when one ends, the last lane
    moves into its place and the next environment of the share takes the free lane. Runs
    mostly last the whole time limit, so equal shares keep the workers equally busy; the lane
    count is the share split evenly into the fewest fills of at most BLOCK lanes. Dense
    networks keep their weights beside their lanes in a local copy, so their forward pass is
    vectorised over lanes too; graph networks run one lane at a time. Environments do not
    interact, so which worker runs one, and when, changes nothing.
    """
    weights_t = net[1]
    dense = net[0] == KIND_DENSE
    copy_weights = dense and not scripted
    n = seeds.shape[0]
    n_tanks = lv[LV_START].shape[0]
    n_points = lv[LV_POINTS]
    for worker in prange(n_workers):
        w = np.int64(worker)  # a prange index may be unsigned, and unsigned + int is float
        first = n * w // n_workers
        last = n * (w + 1) // n_workers
        fills = max(1, (last - first + BLOCK - 1) // BLOCK)
        lanes = max(1, (last - first + fills - 1) // fills)
        held = _envs(lanes, n_tanks, n_points)
        tank, point, caught, count, real, flag, lane_seed, env = held
        local_weights = np.empty((weights_t.shape[0] if copy_weights else 0, lanes), dtype=np.float32)
        lane_net = (net[0], local_weights) + net[2:]
        scratch = _scratch(width, lanes)
        next_env = first
        running = 0
        while True:
            while running < lanes and next_env < last:
                _start_env(lv, held, running, seeds[next_env], next_env)
                if copy_weights:
                    local_weights[:, running] = weights_t[:, next_env]
                running += 1
                next_env += 1
            if running == 0:
                break
            _tick_lanes(lv, held, lane_net, net, dense, scripted, running, scratch)
            # Downwards, so that the lane moved into an ended one is one already looked at.
            for b in range(running - 1, -1, -1):
                if not flag[b, ALIVE]:
                    e = env[b]
                    fitness[e] = real[b, FITNESS]
                    finished[e] = flag[b, FINISHED]
                    ticks[e] = count[b, TICK]
                    running -= 1
                    if b != running:
                        _copy_env(held, b, held, running)
                        if copy_weights:
                            local_weights[:, b] = local_weights[:, running]


@njit(cache=True, parallel=True)
def spawn_kernel(lv, point, count, seed):
    """The first points of fresh environments: point[e, p] = spawn p of seed[e]; count[e, SPAWNED] = p + 1."""
    for e in prange(point.shape[0]):
        for p in range(point.shape[1]):
            point[e, p, 0], point[e, p, 1] = spawn_point(lv, seed[e], np.int64(p))
        count[e, SPAWNED] = point.shape[1]


@njit(cache=True, parallel=True)
def observe_kernel(lv, tank, point, flag, obs):
    """obs: float32[n, N_INPUTS] of the running environments (rows of ended ones are left alone)."""
    n = tank.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        rows = np.empty(BLOCK, dtype=np.int64)
        lane_tank = np.empty((BLOCK, tank.shape[1], N_TANK))
        lane_point = np.empty((BLOCK, point.shape[1], 2))
        m = 0
        for a in range(a0, min(a0 + BLOCK, n)):
            if flag[a, ALIVE]:
                rows[m] = a
                lane_tank[m] = tank[a]
                lane_point[m] = point[a]
                m += 1
        x = np.empty((N_INPUTS, BLOCK), dtype=np.float32)
        sense(lv, lane_tank, lane_point, m, x, np.empty((5, BLOCK * N_RAYS)), np.empty(BLOCK * N_RAYS, dtype=np.uint64),
              np.empty(N_SENSED), np.empty(N_SENSED, dtype=np.int64))
        for i in range(m):
            for k in range(N_INPUTS):
                obs[rows[i], k] = x[k, i]


@njit(cache=True, parallel=True)
def step_kernel(lv, tank, point, caught, count, real, flag, seed, outputs, scripted):
    """One tick for every running environment; outputs: float32[n, 2] (left, right) of tank 0,
    not read when `scripted`."""
    n = tank.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        a1 = min(a0 + BLOCK, n)
        advance(lv, tank[a0:a1], point[a0:a1], caught[a0:a1], count[a0:a1], real[a0:a1], flag[a0:a1], seed[a0:a1],
                outputs[a0:a1].T, a1 - a0, scripted)


def advance_kernel(lv, state, net, width, scripted, n_ticks, trail, trail_every):
    """Up to `n_ticks` ticks of every running environment: what `observe_kernel`, the forward
    pass and `step_kernel` do tick by tick, fused, with the same result bit for bit.

    net: a `NetBatch.arrays()` tuple, kept by the caller (recurrent nets remember across calls).
    trail: float32[n, m, 2]; after tick t, t a multiple of `trail_every`, tank 0 of environment
    a has its (x, y) put in trail[a, t // trail_every] while that is below m. Runs `_advance`
    with one worker per thread.
    """
    running = np.flatnonzero(state.flag[:, ALIVE])
    _advance(lv, state.tank, state.point, state.caught, state.count, state.real, state.flag, state.seed, net, width,
             scripted, np.int64(n_ticks), trail, np.int64(trail_every), running,
             max(1, min(get_num_threads(), running.shape[0])))


@njit(cache=True, parallel=True, nogil=True)
def _advance(lv, tank, point, caught, count, real, flag, seed, net, width, scripted, n_ticks, trail, trail_every,
             running_envs, n_workers):
    """`advance_kernel` over the environments `running_envs` (int64[m], rows still running).

    Worker w takes every n_workers-th running environment and runs them BLOCK at a time in
    packed lanes, as in `_rollout`: ended environments leave their lane to the last one.
    """
    weights_t = net[1]
    dense = net[0] == KIND_DENSE
    copy_weights = dense and not scripted
    m = running_envs.shape[0]
    for worker in prange(n_workers):
        w = np.int64(worker)
        held = _envs(BLOCK, tank.shape[1], point.shape[1])
        lane_tank, lane_count, lane_flag, env = held[0], held[3], held[5], held[7]
        local_weights = np.empty((weights_t.shape[0] if copy_weights else 0, BLOCK), dtype=np.float32)
        lane_net = (net[0], local_weights) + net[2:]
        scratch = _scratch(width, BLOCK)
        mine = (m - w + n_workers - 1) // n_workers
        for first in range(0, mine, BLOCK):
            running = 0
            for k in range(first, min(first + BLOCK, mine)):
                a = running_envs[w + k * n_workers]
                _load_env(held, running, tank, point, caught, count, real, flag, seed, a)
                if copy_weights:
                    local_weights[:, running] = weights_t[:, a]
                running += 1
            for _ in range(n_ticks):
                if running == 0:
                    break
                _tick_lanes(lv, held, lane_net, net, dense, scripted, running, scratch)
                for b in range(running):
                    tick = lane_count[b, TICK]
                    if trail_every > 0 and tick % trail_every == 0 and tick // trail_every < trail.shape[1]:
                        trail[env[b], tick // trail_every, 0] = np.float32(lane_tank[b, 0, X])
                        trail[env[b], tick // trail_every, 1] = np.float32(lane_tank[b, 0, Y])
                for b in range(running - 1, -1, -1):
                    if not lane_flag[b, ALIVE]:
                        _store_env(held, b, tank, point, caught, count, real, flag, env[b])
                        running -= 1
                        if b != running:
                            _copy_env(held, b, held, running)
                            if copy_weights:
                                local_weights[:, b] = local_weights[:, running]
            for b in range(running):
                _store_env(held, b, tank, point, caught, count, real, flag, env[b])

"""Two network tanks on one field, competing for the same points: a duel of two tank brains.

The game is that of `arena.envs.tanks.TanksParallelEnv` with two tanks (its numpy stepping is
the rules' reference, and a test holds these kernels to it bit for bit): each tank senses as
the arena's tank 0 does, itself first and the other as its rival; both drive; each point goes
to the lower-numbered tank in reach of it; the first tank to catch the level's target ends the
game, else the time limit does. A tank whose network gives a non-finite output stands still for
that tick (in a duel that loses points, and cannot end the game for the other). Tank 0's
fitness and finished flag follow the arena's rule for tank 0.

Tank 0 is driven by the network batch `net0` and tank 1 by `net1`, network e of each in
environment e. The state is the arena's `TanksState` of a two-tank level.
"""

import numpy as np
from numba import get_num_threads, njit, prange

from arena.arenas.tanks.sim import (
    CATCH2, CLOSENESS_RANGE, LV_MAX_TICKS, LV_TARGET, N_INPUTS, TIE_BREAK, _copy_env, _envs, _load_env, _scratch,
    _store_env,
    drive, sense, spawn_point,
)
from arena.arenas.tanks.state import ALIVE, CLOSENESS, FINISHED, FITNESS, SPAWNED, TICK, X, Y
from arena.brains.netbatch import BLOCK, KIND_DENSE, forward_block, forward_graph_one


@njit(cache=True, inline="always")
def _track(out, b):
    """(left, right) of lane b from a network's outputs: clipped to [-1, 1]; (0, 0) if not finite."""
    left = np.float64(out[0, b])
    right = np.float64(out[1, b])
    if not (np.isfinite(left) and np.isfinite(right)):
        return 0.0, 0.0
    return min(max(left, -1.0), 1.0), min(max(right, -1.0), 1.0)


@njit(cache=True, inline="always")
def duel_tick(lv, tank, point, caught, count, real, flag, seed, out0, out1, b):
    """One tick of environment b: tank 0 drives by out0[:, b], tank 1 by out1[:, b]."""
    target, max_ticks = lv[LV_TARGET], lv[LV_MAX_TICKS]
    count[b, TICK] += 1
    left, right = _track(out0, b)
    drive(lv, tank, b, 0, left, right)
    left, right = _track(out1, b)
    drive(lv, tank, b, 1, left, right)
    for p in range(point.shape[1]):
        px = point[b, p, 0]
        py = point[b, p, 1]
        for t in range(2):
            dx = tank[b, t, X] - px
            dy = tank[b, t, Y] - py
            if dx * dx + dy * dy <= CATCH2:
                caught[b, t] += 1
                number = count[b, SPAWNED]
                count[b, SPAWNED] = number + 1
                point[b, p, 0], point[b, p, 1] = spawn_point(lv, seed[b], number)
                break
    x = tank[b, 0, X]
    y = tank[b, 0, Y]
    best = np.inf
    for p in range(point.shape[1]):
        dx = point[b, p, 0] - x
        dy = point[b, p, 1] - y
        best = min(best, dx * dx + dy * dy)
    real[b, CLOSENESS] += 1.0 - min(np.sqrt(best), CLOSENESS_RANGE) * (1.0 / CLOSENESS_RANGE)
    tick = count[b, TICK]
    got = caught[b, 0]
    if got >= target:
        flag[b, FINISHED] = True
        flag[b, ALIVE] = False
        real[b, FITNESS] = got + TIE_BREAK + (1.0 - TIE_BREAK) * (1.0 - tick / max_ticks)
    else:
        real[b, FITNESS] = got + TIE_BREAK * (real[b, CLOSENESS] / tick)
        if caught[b, 1] >= target or tick >= max_ticks:
            flag[b, ALIVE] = False


@njit(cache=True, inline="always")
def _think(net, lane_net, dense, running, envs, x, out, buf_a, buf_b, values):
    """out[:, b] of the network of each lane b < running, from x[:, b]."""
    if dense:
        forward_block(lane_net, 0, running, x[:N_INPUTS], out, buf_a, buf_b)
    else:
        for b in range(running):
            forward_graph_one(net, envs[b], x[:N_INPUTS], b, out, values)


@njit(cache=True, inline="always")
def _swap_tanks(tank, seen, running):
    """seen[b] = the tanks of lane b, tank 1 first: what tank 1 senses as its own tank 0."""
    for b in range(running):
        seen[b, 0] = tank[b, 1]
        seen[b, 1] = tank[b, 0]


@njit(cache=True, parallel=True, nogil=True)  # nogil: a window keeps drawing while a duel runs
def _duel(lv, tank, point, caught, count, real, flag, seed, net0, net1, width0, width1, n_ticks, trail, trail_every,
          running_envs, n_workers):
    """Up to n_ticks ticks of the environments `running_envs`; worker w takes every n_workers-th
    one and runs them BLOCK at a time in packed lanes, as the arena's `sim._advance` does."""
    dense0 = net0[0] == KIND_DENSE
    dense1 = net1[0] == KIND_DENSE
    m = running_envs.shape[0]
    for worker in prange(n_workers):
        w = np.int64(worker)
        held = _envs(BLOCK, 2, point.shape[1])
        lane_tank, lane_point, lane_caught, lane_count, lane_real, lane_flag, lane_seed, env = held
        local0 = np.empty((net0[1].shape[0] if dense0 else 0, BLOCK), dtype=np.float32)
        local1 = np.empty((net1[1].shape[0] if dense1 else 0, BLOCK), dtype=np.float32)
        lane_net0 = (net0[0], local0) + net0[2:]
        lane_net1 = (net1[0], local1) + net1[2:]
        x0, out0, a0, b0, values0, rays, work, near_d2, near_p = _scratch(width0, BLOCK)
        x1, out1, a1, b1, values1 = _scratch(width1, BLOCK)[:5]
        seen = np.empty((BLOCK, 2, lane_tank.shape[2]))
        mine = (m - w + n_workers - 1) // n_workers
        for first in range(0, mine, BLOCK):
            running = 0
            for k in range(first, min(first + BLOCK, mine)):
                a = running_envs[w + k * n_workers]
                _load_env(held, running, tank, point, caught, count, real, flag, seed, a)
                if dense0:
                    local0[:, running] = net0[1][:, a]
                if dense1:
                    local1[:, running] = net1[1][:, a]
                running += 1
            for _ in range(n_ticks):
                if running == 0:
                    break
                sense(lv, lane_tank, lane_point, running, x0, rays, work, near_d2, near_p)
                _swap_tanks(lane_tank, seen, running)
                sense(lv, seen, lane_point, running, x1, rays, work, near_d2, near_p)
                _think(net0, lane_net0, dense0, running, env, x0, out0, a0, b0, values0)
                _think(net1, lane_net1, dense1, running, env, x1, out1, a1, b1, values1)
                for b in range(running):
                    duel_tick(lv, lane_tank, lane_point, lane_caught, lane_count, lane_real, lane_flag, lane_seed,
                              out0, out1, b)
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
                            if dense0:
                                local0[:, b] = local0[:, running]
                            if dense1:
                                local1[:, b] = local1[:, running]
            for b in range(running):
                _store_env(held, b, tank, point, caught, count, real, flag, env[b])


def duel_kernel(lv, state, net0, width0, net1, width1, n_ticks, trail, trail_every):
    """Up to `n_ticks` ticks of every running duel of `state` (two tanks a field), in place.

    net0, net1: `NetBatch.arrays()` tuples driving tank 0 and tank 1 (network e in environment
    e; the caller keeps them, recurrent nets remember across calls). trail: as the arena's
    `advance_kernel` (tank 0's path). The thread count is read here because numba cannot cache
    a kernel that asks for it.
    """
    running = np.flatnonzero(state.flag[:, ALIVE])
    _duel(lv, state.tank, state.point, state.caught, state.count, state.real, state.flag, state.seed, net0, net1,
          np.int64(width0), np.int64(width1), np.int64(n_ticks), trail, np.int64(trail_every), running,
          max(1, min(get_num_threads(), running.shape[0])))


@njit(cache=True, parallel=True)
def duel_step_kernel(lv, tank, point, caught, count, real, flag, seed, outputs0, outputs1):
    """One tick of every running duel; outputs0, outputs1: float32[n, 2] (left, right) of tank 0 and tank 1."""
    for b in prange(tank.shape[0]):
        if flag[b, ALIVE]:
            duel_tick(lv, tank, point, caught, count, real, flag, seed, outputs0.T, outputs1.T, b)

"""numba kernels of the tunnel arena.

A point moves one column right per tick. At column c it senses its vertical velocity and its
distance to the top and bottom walls at c, c + 5 and c + 9, and its network outputs a force
(output - 0.5). Physics: p += v/2; v += f; p += v/2 (mass 1, one tick). Touching nothing
outside [bottom, top] is allowed; leaving it ends the run with fitness = the column reached.
A non-finite network output ends the run the same way.

A driver that finishes adds its clearance: the narrowest gap (< gap / 2) it kept to either
wall on the way. Without it, every finisher ties, and the champion is whichever finished
first, usually one that scraped through; with it, selection keeps pushing towards drivers
that hold the middle, which is what makes them finish tracks they never saw.
"""

import numpy as np
from numba import njit, prange

from arena.arenas.tunnel.params import LOOKAHEAD, PARAMS
from arena.brains.netbatch import BLOCK, block_buffers, forward_block

N_INPUTS = 1 + 2 * len(PARAMS.sensor_offsets)
_S0, _S1, _S2 = PARAMS.sensor_offsets
_FORCE_OFFSET = np.float32(PARAMS.force_offset)


@njit(cache=True, inline="always")
def inside(top, gap, c, p):
    """Whether height p is within the walls at column c (False for NaN)."""
    return p <= top[c] and p >= top[c] - gap


@njit(cache=True, inline="always")
def narrowest(top, gap, c, p, near):
    """The smaller of `near` and the distance from p to the nearer wall at column c."""
    return min(near, top[c] - p, p - (top[c] - gap))


@njit(cache=True, inline="always")
def sense(top, gap, c, p, v, x, b):
    """Write the 7 inputs of a point at column c into x[0:7, b] (float32)."""
    x[0, b] = np.float32(v)
    x[1, b] = np.float32(p - top[c + _S0])
    x[2, b] = np.float32(p - (top[c + _S0] - gap))
    x[3, b] = np.float32(p - top[c + _S1])
    x[4, b] = np.float32(p - (top[c + _S1] - gap))
    x[5, b] = np.float32(p - top[c + _S2])
    x[6, b] = np.float32(p - (top[c + _S2] - gap))


@njit(cache=True, inline="always")
def force_of(output):
    """The force from the network output (float32), as float64."""
    return np.float64(output - _FORCE_OFFSET)


@njit(cache=True, parallel=True, nogil=True)  # nogil: a window keeps drawing while a rollout runs
def rollout_kernel(top, gap, net, width, fitness, finished, ticks):
    """Run every network of `net` over the whole track, in blocks of agents.

    fitness: float64[n] columns survived (+ clearance if finished); finished: bool[n];
    ticks: int64[n] steps taken.
    """
    n = fitness.shape[0]
    n_columns = top.shape[0] - LOOKAHEAD
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        a0 = blk * BLOCK
        nb = min(BLOCK, n - a0)
        p = np.zeros(BLOCK)
        v = np.zeros(BLOCK)
        alive = np.zeros(BLOCK, dtype=np.bool_)
        near = np.full(BLOCK, gap / 2)
        x, out, buf_a, buf_b = block_buffers(N_INPUTS, 1, width)
        n_alive = 0
        for b in range(nb):
            alive[b] = inside(top, gap, 0, p[b])
            if alive[b]:
                n_alive += 1
            else:
                fitness[a0 + b] = 0.0
                ticks[a0 + b] = 0
        c = 0
        while n_alive > 0 and c < n_columns:
            for b in range(nb):
                sense(top, gap, c, p[b], v[b], x, b)
            forward_block(net, a0, nb, x[:N_INPUTS], out, buf_a, buf_b)
            for b in range(nb):
                f = force_of(out[0, b])
                p[b] += v[b] / 2
                v[b] += f
                p[b] += v[b] / 2
                if alive[b] and c + 1 < n_columns:
                    near[b] = narrowest(top, gap, c + 1, p[b], near[b])
                if alive[b] and not (np.isfinite(f) and (c + 1 == n_columns or inside(top, gap, c + 1, p[b]))):
                    alive[b] = False
                    n_alive -= 1
                    fitness[a0 + b] = c if not np.isfinite(f) else c + 1
                    ticks[a0 + b] = fitness[a0 + b]
            c += 1
        for b in range(nb):
            finished[a0 + b] = alive[b]
            if alive[b]:
                fitness[a0 + b] = n_columns + near[b]
                ticks[a0 + b] = n_columns


@njit(cache=True, parallel=True)
def observe_kernel(top, gap, p, v, col, alive, obs):
    """obs: float32[n, 7] of the running agents (rows of finished agents are left alone)."""
    xt = obs.T
    for a in prange(p.shape[0]):
        if alive[a]:
            sense(top, gap, col[a], p[a], v[a], xt, a)


@njit(cache=True, inline="always")
def step_one(top, gap, n_columns, a, p, v, col, alive, finished, fitness, near, output):
    """One tick of running agent a under network output `output` (float32)."""
    f = force_of(output)
    c = col[a]
    if not np.isfinite(f):
        alive[a] = False
        fitness[a] = c
        return
    p[a] += v[a] / 2
    v[a] += f
    p[a] += v[a] / 2
    col[a] = c + 1
    fitness[a] = c + 1
    if c + 1 == n_columns:
        alive[a] = False
        finished[a] = True
        fitness[a] = n_columns + near[a]
    elif not inside(top, gap, c + 1, p[a]):
        alive[a] = False
    else:
        near[a] = narrowest(top, gap, c + 1, p[a], near[a])


@njit(cache=True, parallel=True)
def step_kernel(top, gap, p, v, col, alive, finished, fitness, near, outputs):
    """One tick for every running agent; outputs: float32[n, 1] network outputs."""
    n_columns = top.shape[0] - LOOKAHEAD
    for a in prange(p.shape[0]):
        if alive[a]:
            step_one(top, gap, n_columns, a, p, v, col, alive, finished, fitness, near, outputs[a, 0])


@njit(cache=True, parallel=True, nogil=True)
def advance_kernel(top, gap, p, v, col, alive, finished, fitness, near, net, width, n_ticks, trail, trail_every):
    """Up to `n_ticks` ticks of every running agent with its network, fused: the same as
    `observe_kernel`, the batched forward and `step_kernel` n_ticks times, bit for bit.
    trail: float32[n, m, 2]; (column, height) after tick t, t a multiple of `trail_every`, goes
    to trail[a, t // trail_every] while that is below m."""
    n = p.shape[0]
    n_columns = top.shape[0] - LOOKAHEAD
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        nb = min(BLOCK, n - a0)
        x, out, buf_a, buf_b = block_buffers(N_INPUTS, 1, width)
        for _ in range(n_ticks):
            running = 0
            for b in range(nb):
                a = a0 + b
                if alive[a]:
                    sense(top, gap, col[a], p[a], v[a], x, b)
                    running += 1
                else:
                    x[:N_INPUTS, b] = 0.0  # as the step API's observation of a stopped agent
            if running == 0:
                break
            forward_block(net, a0, nb, x[:N_INPUTS], out, buf_a, buf_b)
            for b in range(nb):
                a = a0 + b
                if alive[a]:
                    step_one(top, gap, n_columns, a, p, v, col, alive, finished, fitness, near, out[0, b])
                    t = col[a]
                    if trail_every > 0 and t % trail_every == 0 and t // trail_every < trail.shape[1]:
                        trail[a, t // trail_every, 0] = np.float32(t)
                        trail[a, t // trail_every, 1] = np.float32(p[a])

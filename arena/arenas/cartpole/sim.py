"""numba kernels of the cart-pole arena: Wieland's cart with one or two poles.

Physics (Wieland 1991, as in Gomez's code that Stanley's NEAT experiments use): a cart of mass
M on a track, poles i of mass m_i and half-length l_i on frictionless-but-for-mu_p hinges,
pushed by a force F = 10 N * (2 u - 1) from the network output u (clamped to [0, 1]). Per pole

    fi  = m_i l_i w_i^2 sin(th_i) + 3/4 m_i cos(th_i) (mu_p w_i / (m_i l_i) + g sin(th_i))
    mi  = m_i (1 - 3/4 cos^2(th_i))
    x'' = (F + sum fi) / (M + sum mi)
    th_i'' = -3/4 (x'' cos(th_i) + g sin(th_i) + mu_p w_i / (m_i l_i)) / l_i

where the code these equations come from takes g = -9.8 (its GRAVITY): with that sign a
tilted pole falls further, as it should (a test holds it to that). Angles are positive
towards +x. Integration: fourth-order Runge-Kutta with tau = 0.01 s, two steps per network
decision, so a tick is 0.02 s. The one-pole variant is the same model without pole 2.

Each tick the network sees 6 inputs, x / 4.8, x' / 2, th_1 / 0.52, th_1' / 2, th_2 / 0.52,
th_2' / 2 (the paper's scaling). Inputs a variant lacks read 0: the second pole's in one-pole
levels, the velocities in no-velocity levels. One fixed observation width keeps one RoleSpec,
and so one brain-file format, for every variant: a brain moves between levels unchanged.

A run ends when the cart leaves +-2.4 m or a pole passes the level's failure angle (checked
after each tick), when the network outputs NaN (before the tick: that tick is not run), or
when it has balanced `max_steps` ticks (finished). Fitness, by the level's rule:
- "steps": the ticks balanced (ticks after which everything was within bounds);
- "gruau" (Gruau et al. 1996, for the no-velocity task): 0.1 t / 1000 + 0.9 f2 with t the
  ticks balanced, f2 = 0 if t < 100, else 0.75 / (the sum over the last 100 balanced ticks of
  |x| + |x'| + |th_1| + |th_1'|): balancing without jiggling the cart scores higher. The last
  100 values live in a ring buffer (`jiggle`), summed oldest first when the fitness is read,
  so the fused rollout and the step API add the same numbers in the same order.

Speed. The physics of a block of agents is a few loops over the agents with no branch, no
call (sin and cos are polynomials, see `trig`) and no division-by-zero check
(error_model="numpy"), so LLVM vectorises them; and a block keeps its running agents packed,
so in a population where a few balance for 100,000 ticks only those few are simulated. The
step API runs the same block code, so it and the fused rollout agree to the bit.
"""

import numpy as np
from numba import njit, prange

from arena.arenas.cartpole.params import N_STATE, PARAMS
from arena.arenas.cartpole.trig import sin_cos
from arena.brains.netbatch import BLOCK, KIND_DENSE, block_buffers, forward_block, forward_graph_one

N_INPUTS = N_STATE
_G = -PARAMS.gravity  # the sign the equations above take (see the docstring)
_MU = PARAMS.hinge_friction
_CART = PARAMS.cart_mass
_FORCE = PARAMS.force_magnitude
_TAU = PARAMS.tau
_HALF_TAU = 0.5 * PARAMS.tau
_SIXTH_TAU = PARAMS.tau / 6.0
_SUBSTEPS = PARAMS.substeps
_LIMIT = PARAMS.track_limit
_S0, _S1, _S2, _S3, _S4, _S5 = PARAMS.observation_scale
_WINDOW = PARAMS.gruau_window
_FLOOR = PARAMS.gruau_floor


def pole_constants(level) -> tuple:
    """Per pole (m l, m, mu_p / (m l), -3/4 / l), both poles (zeros for a missing second one).

    Precomputed so the kernels multiply where the equations divide by constants: division
    is the slowest vector instruction, and the reference uses the same numbers.
    """
    out = []
    for half, mass in zip(level.half_lengths, level.masses, strict=True):
        ml = half * mass
        out.append((ml, mass, _MU / ml, -0.75 / half))
    out += [(0.0, 0.0, 0.0, 0.0)] * (2 - len(out))
    return tuple(out)


def level_tuple(level, horizon: int) -> tuple:
    """The level as the kernels take it, a flat tuple (numba's parallel loops refuse nested
    ones): two poles, velocities sensed, Gruau fitness, horizon in ticks, failure angle in
    rad, then the `pole_constants` of pole 1 and of pole 2. `unpack` regroups it."""
    p1, p2 = pole_constants(level)
    return (level.poles == 2, bool(level.velocities), level.fitness == "gruau", np.int64(horizon),
            float(level.failure_angle), *p1, *p2)


@njit(cache=True, inline="always")
def _keep_lane(idx, ps, kept, k, b):
    """Move the still-running environment b from packed lane k down to lane `kept` (<= k)."""
    if kept != k:
        idx[kept] = b
        for i in range(N_STATE):
            ps[i, kept] = ps[i, k]


@njit(cache=True, inline="always")
def unpack(lv):
    """(two, velocities, gruau, horizon, fail, pole1, pole2) from a `level_tuple`."""
    return lv[0], lv[1], lv[2], lv[3], lv[4], (lv[5], lv[6], lv[7], lv[8]), (lv[9], lv[10], lv[11], lv[12])


@njit(cache=True, inline="always", error_model="numpy")
def pole_terms(theta, omega, pole):
    """One pole's (force on the cart fi, effective mass mi, cos(theta), the rest of its
    angular acceleration g sin(theta) + mu_p omega / (m l)); pole: `pole_constants` of it."""
    ml, mass, mu_ml, _ = pole
    s, c = sin_cos(theta)
    friction = mu_ml * omega
    g_sin = _G * s
    f = ml * omega * omega * s + 0.75 * mass * c * (friction + g_sin)
    m = mass * (1.0 - 0.75 * c * c)
    return f, m, c, g_sin + friction


# Rows of `advance_block`'s scratch: the state a Runge-Kutta stage is evaluated at, the
# weighted sum of the stages' derivatives so far, and the accelerations at that state.
_T = 0
_SUM = N_STATE
_ACC = 2 * N_STATE
N_WORK = 2 * N_STATE + 3


@njit(cache=True, inline="always", error_model="numpy")
def accelerations(force, w, nb, two, pole1, pole2):
    """x'' (m/s^2), th_1'' and th_2'' (rad/s^2, 0 without a second pole) of agents 0 .. nb - 1
    at the states in rows _T.. of w, into rows _ACC.. of w.

    One loop per variant rather than a branch in the loop, so that it vectorises.
    """
    q1 = pole1[3]
    q2 = pole2[3]
    if two:
        for b in range(nb):
            f1, m1, c1, r1 = pole_terms(w[_T + 2, b], w[_T + 3, b], pole1)
            f2, m2, c2, r2 = pole_terms(w[_T + 4, b], w[_T + 5, b], pole2)
            acc = (force[b] + f1 + f2) / (m1 + m2 + _CART)
            w[_ACC, b] = acc
            w[_ACC + 1, b] = (acc * c1 + r1) * q1
            w[_ACC + 2, b] = (acc * c2 + r2) * q2
    else:
        for b in range(nb):
            f1, m1, c1, r1 = pole_terms(w[_T + 2, b], w[_T + 3, b], pole1)
            acc = (force[b] + f1) / (m1 + _CART)
            w[_ACC, b] = acc
            w[_ACC + 1, b] = (acc * c1 + r1) * q1
            w[_ACC + 2, b] = 0.0


@njit(cache=True, inline="always", error_model="numpy")
def derivative(w, b):
    """The derivative of the state at rows _T.. of w, agent b, from the accelerations found there."""
    return (w[_T + 1, b], w[_ACC, b], w[_T + 3, b], w[_ACC + 1, b], w[_T + 5, b], w[_ACC + 2, b])


@njit(cache=True, error_model="numpy")
def advance_block(force, y, nb, two, pole1, pole2, w):
    """Agents 0 .. nb - 1 of y float64[6, BLOCK] one tick on, in place, under force float64[BLOCK] (N).

    w: float64[N_WORK, BLOCK] scratch. Each Runge-Kutta stage is two loops over agents that
    vectorise (about 5 times faster than scalar code calling libm's sin and cos). The sums
    follow y + tau / 6 (k1 + 2 k2 + 2 k3 + k4) term by term, as the numpy reference does.
    """
    for _ in range(_SUBSTEPS):
        for b in range(nb):
            for i in range(N_STATE):
                w[_T + i, b] = y[i, b]
        # k1, at y
        accelerations(force, w, nb, two, pole1, pole2)
        for b in range(nb):
            d = derivative(w, b)
            for i in range(N_STATE):
                w[_SUM + i, b] = d[i]
                w[_T + i, b] = y[i, b] + _HALF_TAU * d[i]
        # k2 and k3, at the midpoints
        for h in (_HALF_TAU, _TAU):
            accelerations(force, w, nb, two, pole1, pole2)
            for b in range(nb):
                d = derivative(w, b)
                for i in range(N_STATE):
                    w[_SUM + i, b] = w[_SUM + i, b] + 2.0 * d[i]
                    w[_T + i, b] = y[i, b] + h * d[i]
        # k4, at the end
        accelerations(force, w, nb, two, pole1, pole2)
        for b in range(nb):
            d = derivative(w, b)
            for i in range(N_STATE):
                y[i, b] = y[i, b] + _SIXTH_TAU * (w[_SUM + i, b] + d[i])


@njit(cache=True, inline="always", error_model="numpy")
def force_of(output):
    """The force in N from a network output (float32, not NaN), clamped to [0, 1] first."""
    u = np.float64(output)
    if u < 0.0:
        u = 0.0
    if u > 1.0:
        u = 1.0
    return _FORCE * (2.0 * u - 1.0)


@njit(cache=True, inline="always", error_model="numpy")
def balanced_now(y0, y2, y4, fail):
    """Whether the cart is on the track and both poles within `fail` rad of upright (False for NaN)."""
    return abs(y0) <= _LIMIT and abs(y2) <= fail and abs(y4) <= fail


@njit(cache=True, inline="always", error_model="numpy")
def jiggle_of(y0, y1, y2, y3):
    """Gruau's per-tick jiggle: |x| + |x'| + |th_1| + |th_1'|."""
    return abs(y0) + abs(y1) + abs(y2) + abs(y3)


@njit(cache=True, inline="always", error_model="numpy")
def gruau_fitness(balanced, window):
    """Gruau's fitness after `balanced` ticks; `window` float64[gruau_window] is the ring
    buffer whose slot (t - 1) % window holds the jiggle of balanced tick t."""
    fitness = 0.1 * balanced / 1000.0
    if balanced < _WINDOW:
        return fitness
    total = 0.0
    for k in range(_WINDOW):
        total += window[(balanced + k) % _WINDOW]
    return fitness + 0.9 * (0.75 / max(total, _FLOOR))


@njit(cache=True, inline="always", error_model="numpy")
def inputs_of(y0, y1, y2, y3, y4, y5, velocities):
    """The 6 network inputs (float32) of a state."""
    if velocities:
        return (np.float32(y0 / _S0), np.float32(y1 / _S1), np.float32(y2 / _S2),
                np.float32(y3 / _S3), np.float32(y4 / _S4), np.float32(y5 / _S5))
    zero = np.float32(0.0)
    return np.float32(y0 / _S0), zero, np.float32(y2 / _S2), zero, np.float32(y4 / _S4), zero


@njit(cache=True, inline="always", error_model="numpy")
def score(balanced, gruau, window):
    """The fitness of a run that balanced `balanced` ticks (window: its jiggle ring buffer)."""
    return gruau_fitness(balanced, window) if gruau else np.float64(balanced)


@njit(cache=True, error_model="numpy")
def run_block(lv, start, net, width, a0, nb, fitness, finished, ticks):
    """Run networks a0 .. a0 + nb - 1 (nb <= BLOCK) of `net` to their ends; see `rollout_kernel`.

    In a population most runs end within a few dozen ticks while a few balance for 100,000,
    so the block keeps its running agents packed at the front of `ps` (in agent order, `idx`
    mapping slot to agent): the physics runs, vectorised, over the running agents only, and so
    do graph networks; dense ones run over the span from the first running agent to the last.
    A running agent has balanced every tick so far, so its counters are `t` and are written
    when its run ends.
    """
    two, velocities, gruau, horizon, fail, pole1, pole2 = unpack(lv)
    ps = np.zeros((N_STATE, BLOCK))
    idx = np.arange(BLOCK)
    for k in range(nb):
        for i in range(N_STATE):
            ps[i, k] = start[a0 + k, i]
    force = np.zeros(BLOCK)
    work = np.zeros((N_WORK, BLOCK))
    jiggle = np.zeros((BLOCK, _WINDOW if gruau else 0))
    x, out, buf_a, buf_b = block_buffers(N_INPUTS, 1, width)
    values = buf_a[:, 0]
    dense = net[0] == KIND_DENSE
    n_run = nb
    t = 0
    while n_run > 0 and t < horizon:
        # Dense networks run vectorised over the span of agents lo .. hi - 1, agent b in
        # column b - lo (ended ones included: cheaper than gathering weights); graph networks
        # run one at a time anyway, so only the running ones, agent idx[k] in column k.
        lo = idx[0] if dense else 0
        for k in range(n_run):
            c = idx[k] - lo if dense else k
            x[0, c], x[1, c], x[2, c], x[3, c], x[4, c], x[5, c] = inputs_of(
                ps[0, k], ps[1, k], ps[2, k], ps[3, k], ps[4, k], ps[5, k], velocities)
        if dense:
            forward_block(net, a0 + lo, idx[n_run - 1] + 1 - lo, x[:N_INPUTS], out, buf_a, buf_b)
        else:
            for k in range(n_run):
                forward_graph_one(net, a0 + idx[k], x[:N_INPUTS], k, out, values)
        kept = 0
        for k in range(n_run):
            b = idx[k]
            u = out[0, b - lo if dense else k]
            if u != u:  # NaN: the run ends before this tick
                fitness[a0 + b] = score(t, gruau, jiggle[b])
                ticks[a0 + b] = t
                continue
            force[kept] = force_of(u)
            _keep_lane(idx, ps, kept, k, b)
            kept += 1
        n_run = kept
        advance_block(force, ps, n_run, two, pole1, pole2, work)
        kept = 0
        for k in range(n_run):
            b = idx[k]
            if not balanced_now(ps[0, k], ps[2, k], ps[4, k], fail):
                fitness[a0 + b] = score(t, gruau, jiggle[b])
                ticks[a0 + b] = t + 1
                continue
            if gruau:
                jiggle[b, t % _WINDOW] = jiggle_of(ps[0, k], ps[1, k], ps[2, k], ps[3, k])
            _keep_lane(idx, ps, kept, k, b)
            kept += 1
        n_run = kept
        t += 1
    for k in range(nb):
        finished[a0 + k] = False
    for k in range(n_run):
        b = idx[k]
        fitness[a0 + b] = score(t, gruau, jiggle[b])
        ticks[a0 + b] = t
        finished[a0 + b] = True


@njit(cache=True, parallel=True, error_model="numpy", nogil=True)  # nogil: a window keeps drawing while a rollout runs
def rollout_kernel(lv, start, net, width, fitness, finished, ticks):
    """Run every network of `net` from `start` float64[n, 6] until its run ends, in blocks of
    BLOCK agents over the threads.

    lv: `level_tuple(level, horizon)`. Writes fitness float64[n], finished bool[n] and
    ticks int64[n] (ticks run, the failing tick included). The block's work is a function
    of its own, which keeps numba's parallel passes (slow to compile, and fragile with
    tuples) out of it.
    """
    n = fitness.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        run_block(lv, start, net, width, a0, min(BLOCK, n - a0), fitness, finished, ticks)


@njit(cache=True, parallel=True, error_model="numpy")
def observe_kernel(lv, physical, alive, obs):
    """obs: float32[n, 6] of the running environments (rows of ended ones are left alone)."""
    velocities = unpack(lv)[1]
    for a in prange(physical.shape[0]):
        if alive[a]:
            y = physical[a]
            obs[a, 0], obs[a, 1], obs[a, 2], obs[a, 3], obs[a, 4], obs[a, 5] = inputs_of(
                y[0], y[1], y[2], y[3], y[4], y[5], velocities)


@njit(cache=True, error_model="numpy")
def step_block(lv, physical, tick, balanced, alive, finished, fitness, jiggle, outputs, a0, nb):
    """`step_kernel` for environments a0 .. a0 + nb - 1 (nb <= BLOCK)."""
    two, _, gruau, horizon, fail, pole1, pole2 = unpack(lv)
    ps = np.zeros((N_STATE, BLOCK))
    force = np.zeros(BLOCK)
    work = np.zeros((N_WORK, BLOCK))
    idx = np.zeros(BLOCK, dtype=np.int64)
    m = 0
    for a in range(a0, a0 + nb):
        if not alive[a]:
            continue
        u = outputs[a, 0]
        if u != u:  # NaN: the run ends before this tick
            alive[a] = False
            continue
        idx[m] = a
        force[m] = force_of(u)
        for i in range(N_STATE):
            ps[i, m] = physical[a, i]
        m += 1
    advance_block(force, ps, m, two, pole1, pole2, work)
    for k in range(m):
        a = idx[k]
        for i in range(N_STATE):
            physical[a, i] = ps[i, k]
        tick[a] += 1
        if not balanced_now(ps[0, k], ps[2, k], ps[4, k], fail):
            alive[a] = False
            continue
        balanced[a] += 1
        if gruau:
            jiggle[a, (balanced[a] - 1) % _WINDOW] = jiggle_of(ps[0, k], ps[1, k], ps[2, k], ps[3, k])
        fitness[a] = score(balanced[a], gruau, jiggle[a])
        if balanced[a] == horizon:
            alive[a] = False
            finished[a] = True


@njit(cache=True, parallel=True, error_model="numpy")
def step_kernel(lv, physical, tick, balanced, alive, finished, fitness, jiggle, outputs):
    """One tick of every running environment; outputs: float32[n, 1] network outputs.

    The running environments of each block of BLOCK go through `advance_block` packed, as
    in the rollout, so both run the very same machine code.
    """
    n = physical.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        step_block(lv, physical, tick, balanced, alive, finished, fitness, jiggle, outputs, a0, min(BLOCK, n - a0))


@njit(cache=True, parallel=True, error_model="numpy", nogil=True)
def advance_kernel(lv, physical, tick, balanced, alive, finished, fitness, jiggle, net, width, n_ticks, outputs,
                   trail, trail_every):
    """Up to `n_ticks` ticks of every running environment with its network, fused: the same as
    `observe_kernel`, the batched forward and `step_kernel` n_ticks times, bit for bit.

    outputs: float32[n, 1] scratch. trail: float32[n, m, 2]; (x, 0) after tick t, t a multiple
    of `trail_every`, goes to trail[a, t // trail_every] while that is below m.
    """
    velocities = unpack(lv)[1]
    n = physical.shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        a0 = blk * BLOCK
        nb = min(BLOCK, n - a0)
        x, out, buf_a, buf_b = block_buffers(N_INPUTS, 1, width)
        for _ in range(n_ticks):
            running = 0
            for b in range(nb):
                a = a0 + b
                if alive[a]:
                    y = physical[a]
                    x[0, b], x[1, b], x[2, b], x[3, b], x[4, b], x[5, b] = inputs_of(
                        y[0], y[1], y[2], y[3], y[4], y[5], velocities)
                    running += 1
                else:
                    x[:N_INPUTS, b] = 0.0  # as the step API's observation of an ended environment
            if running == 0:
                break
            forward_block(net, a0, nb, x[:N_INPUTS], out, buf_a, buf_b)
            for b in range(nb):
                outputs[a0 + b, 0] = out[0, b]
            step_block(lv, physical, tick, balanced, alive, finished, fitness, jiggle, outputs, a0, nb)
            if trail_every > 0:
                for a in range(a0, a0 + nb):
                    t = tick[a]
                    if t % trail_every == 0 and t // trail_every < trail.shape[1]:
                        trail[a, t // trail_every, 0] = np.float32(physical[a, 0])
                        trail[a, t // trail_every, 1] = np.float32(0.0)

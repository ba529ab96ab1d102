"""Plain numpy twin of the cart-pole kernels (the step API), vectorised over environments.

Every formula is written in the same order as in `sim.py`, with the same sin and cos
(`trig`), so the kernels follow it to the last bit.
"""

import numpy as np

from arena.arenas.base import Outcome
from arena.arenas.cartpole import sim
from arena.arenas.cartpole.params import PARAMS
from arena.arenas.cartpole.state import CartpoleState, new_state
from arena.arenas.cartpole.trig import sin_cos_numpy
from arena.brains.mlp import forward_numpy

_G = -PARAMS.gravity
_WINDOW = PARAMS.gruau_window


def reset(level, n_envs: int, seeds=None) -> CartpoleState:
    return new_state(level, n_envs, seeds)


def inputs(level, physical: np.ndarray) -> np.ndarray:
    """float32[n, 6] network inputs of states float64[n, 6]."""
    obs = (physical / np.array(PARAMS.observation_scale)).astype(np.float32)
    if not level.velocities:
        obs[:, 1::2] = 0.0
    return obs


def observe(level, state: CartpoleState) -> dict:
    obs = np.zeros((state.physical.shape[0], sim.N_INPUTS), dtype=np.float32)
    obs[state.alive] = inputs(level, state.physical[state.alive])
    return {"pole": obs}


def _pole_terms(theta, omega, pole):
    ml, mass, mu_ml, _ = pole
    s, c = sin_cos_numpy(theta)
    friction = mu_ml * omega
    g_sin = _G * s
    f = ml * omega * omega * s + 0.75 * mass * c * (friction + g_sin)
    m = mass * (1.0 - 0.75 * c * c)
    return f, m, c, g_sin + friction


def accelerations(level, force, th1, w1, th2, w2):
    """(x'', th_1'', th_2'') arrays; see `sim.accelerations`."""
    pole1, pole2 = sim.pole_constants(level)
    f1, m1, c1, r1 = _pole_terms(th1, w1, pole1)
    if level.poles == 1:
        xacc = (force + f1) / (m1 + PARAMS.cart_mass)
        return xacc, (xacc * c1 + r1) * pole1[3], np.zeros_like(th1)
    f2, m2, c2, r2 = _pole_terms(th2, w2, pole2)
    xacc = (force + f1 + f2) / (m1 + m2 + PARAMS.cart_mass)
    return xacc, (xacc * c1 + r1) * pole1[3], (xacc * c2 + r2) * pole2[3]


def rk4(level, force, y: np.ndarray) -> np.ndarray:
    """One Runge-Kutta step of tau seconds: y float64[6, n] -> float64[6, n]."""
    h2, h, h6 = 0.5 * PARAMS.tau, PARAMS.tau, PARAMS.tau / 6.0

    def derivative(s):
        a, b, c = accelerations(level, force, s[2], s[3], s[4], s[5])
        return np.stack([s[1], a, s[3], b, s[5], c])

    k1 = derivative(y)
    k2 = derivative(y + h2 * k1)
    k3 = derivative(y + h2 * k2)
    k4 = derivative(y + h * k3)
    return y + h6 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def advance(level, force: np.ndarray, physical: np.ndarray) -> np.ndarray:
    """The states float64[n, 6] one tick (`substeps` Runge-Kutta steps) later under `force` (N)."""
    y = physical.T.copy()
    for _ in range(PARAMS.substeps):
        y = rk4(level, force, y)
    return y.T.copy()


def force_of(outputs: np.ndarray) -> np.ndarray:
    """float64 forces (N) from network outputs float32[n], clamped to [0, 1] first."""
    return PARAMS.force_magnitude * (2.0 * np.clip(outputs.astype(np.float64), 0.0, 1.0) - 1.0)


def gruau_fitness(balanced: np.ndarray, jiggle: np.ndarray) -> np.ndarray:
    """See `sim.gruau_fitness`; jiggle float64[n, window]."""
    fitness = 0.1 * balanced / 1000.0
    rows = np.arange(balanced.shape[0])
    total = np.zeros(balanced.shape[0])
    for k in range(_WINDOW):
        total = total + jiggle[rows, (balanced + k) % _WINDOW]
    f2 = 0.75 / np.maximum(total, PARAMS.gruau_floor)
    return np.where(balanced < _WINDOW, fitness, fitness + 0.9 * f2)


def step(level, state: CartpoleState, actions: dict, max_ticks=None) -> None:
    horizon = max_ticks or level.max_steps
    run = np.flatnonzero(state.alive)
    out = np.asarray(actions["pole"])[run, 0]
    bad = np.isnan(out)
    state.alive[run[bad]] = False
    run, out = run[~bad], out[~bad]
    y = advance(level, force_of(out), state.physical[run])
    state.physical[run] = y
    state.tick[run] += 1
    fail = level.failure_angle
    up = (np.abs(y[:, 0]) <= PARAMS.track_limit) & (np.abs(y[:, 2]) <= fail) & (np.abs(y[:, 4]) <= fail)
    state.alive[run[~up]] = False
    run, y = run[up], y[up]
    balanced = state.balanced[run] + 1
    state.balanced[run] = balanced
    if level.fitness == "gruau":
        jiggle = np.abs(y[:, 0]) + np.abs(y[:, 1]) + np.abs(y[:, 2]) + np.abs(y[:, 3])
        state.jiggle[run, (balanced - 1) % _WINDOW] = jiggle
        state.fitness[run] = gruau_fitness(balanced, state.jiggle[run])
    else:
        state.fitness[run] = balanced.astype(np.float64)
    done = balanced == horizon
    state.alive[run[done]] = False
    state.finished[run[done]] = True


def outcome(state: CartpoleState) -> Outcome:
    return Outcome({"pole": state.fitness.copy()}, {"pole": state.finished.copy()}, state.tick.copy())


def rollout(level, spec, genomes: np.ndarray, max_ticks=None, einsum: bool = True):
    """Batched numpy stepper over whole runs, the baseline of the kernel's benchmark.

    Runs the MLPs `genomes` float32[n, genome_size] of `spec`; returns (fitness float64[n],
    finished bool[n], ticks int64[n]).
    """
    state = reset(level, genomes.shape[0])
    while state.alive.any():
        run = np.flatnonzero(state.alive)
        obs = observe(level, state)["pole"]
        actions = np.zeros((genomes.shape[0], 1), dtype=np.float32)
        actions[run] = forward_numpy(spec, genomes[run], obs[run], einsum=einsum)
        step(level, state, {"pole": actions}, max_ticks)
    return state.fitness.copy(), state.finished.copy(), state.tick.copy()

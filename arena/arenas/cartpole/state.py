"""The state of a batch of cart-pole environments, and their initial physical states."""

from dataclasses import dataclass

import numpy as np

from arena.arenas.cartpole.params import N_STATE, PARAMS
from arena.core.seeding import STREAM_INIT, rng


@dataclass
class CartpoleState:
    physical: np.ndarray  # float64[n, 6]: x (m), x' (m/s), theta_1 (rad), theta_1' (rad/s), theta_2, theta_2'
    tick: np.ndarray  # int64[n], ticks run
    balanced: np.ndarray  # int64[n], ticks after which every pole was up and the cart on the track
    alive: np.ndarray  # bool[n], still running
    finished: np.ndarray  # bool[n], balanced for the whole level
    fitness: np.ndarray  # float64[n], by the level's rule (see `sim`)
    jiggle: np.ndarray  # float64[n, gruau_window] (Gruau fitness) or float64[n, 0]: see `sim`


def jiggle_width(level) -> int:
    return PARAMS.gruau_window if level.fitness == "gruau" else 0


def initial_states(level, n_envs: int, seeds=None) -> np.ndarray:
    """float64[n_envs, 6]: the level's initial state, plus per-environment noise if it asks for it.

    The noise of environment i is uniform in +-perturbation * observation scale per variable
    (so 0.1 moves the cart up to 0.48 m and a pole up to 0.052 rad), drawn from its own stream
    `rng(seeds[i], STREAM_INIT)`: it depends on that seed only, never on the batch. No seeds:
    seed 0 for every environment. A one-pole level never moves the missing pole.
    """
    start = np.tile(np.array(level.initial_state, dtype=np.float64), (n_envs, 1))
    if level.perturbation > 0.0:
        seeds = np.zeros(n_envs, dtype=np.uint64) if seeds is None else np.asarray(seeds, dtype=np.uint64)
        width = level.perturbation * np.array(PARAMS.observation_scale)
        if level.poles == 1:
            width[4:] = 0.0
        for i in range(n_envs):
            start[i] += rng(int(seeds[i]), STREAM_INIT).uniform(-1.0, 1.0, N_STATE) * width
    return start


def new_state(level, n_envs: int, seeds=None) -> CartpoleState:
    return CartpoleState(
        initial_states(level, n_envs, seeds),
        np.zeros(n_envs, dtype=np.int64),
        np.zeros(n_envs, dtype=np.int64),
        np.ones(n_envs, dtype=bool),
        np.zeros(n_envs, dtype=bool),
        np.zeros(n_envs),
        np.zeros((n_envs, jiggle_width(level))),
    )

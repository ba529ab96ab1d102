"""The state of a batch of tunnel environments (one point each)."""

from dataclasses import dataclass

import numpy as np


@dataclass
class TunnelState:
    p: np.ndarray  # float64[n], height
    v: np.ndarray  # float64[n], vertical velocity per tick
    col: np.ndarray  # int64[n], current column (= ticks run)
    alive: np.ndarray  # bool[n], still running
    finished: np.ndarray  # bool[n], reached the last playable column
    fitness: np.ndarray  # float64[n], columns survived so far (+ clearance once finished)
    near: np.ndarray  # float64[n], narrowest distance to a wall so far


def new_state(level, n_envs: int) -> TunnelState:
    p = np.zeros(n_envs)
    inside = (level.top[0] - level.gap <= 0.0) and (0.0 <= level.top[0])
    return TunnelState(
        p, np.zeros(n_envs), np.zeros(n_envs, dtype=np.int64),
        np.full(n_envs, inside), np.zeros(n_envs, dtype=bool), np.zeros(n_envs), np.full(n_envs, level.gap / 2),
    )

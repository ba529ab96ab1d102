"""The state of a batch of tank environments, as a few packed arrays.

Environment e holds `level.n_tanks` tanks (tank 0 is the network's, the others its greedy
rivals) and `level.points_active` points. The numba kernels and the numpy reference work on
the very same arrays; the named properties are views into them.
"""

from dataclasses import dataclass

import numpy as np

from arena.arenas.cartpole.trig import sin_cos_numpy
from arena.arenas.tanks.level import clearance_at

# columns of `tank`
X, Y, HEADING, COS, SIN, CLEARANCE, SPEED = range(7)
N_TANK = 7
# columns of `count`
TICK, SPAWNED = range(2)
N_COUNT = 2
# columns of `real`
FITNESS, CLOSENESS = range(2)
N_REAL = 2
# columns of `flag`
ALIVE, FINISHED = range(2)
N_FLAG = 2


@dataclass
class TanksState:
    tank: np.ndarray  # float64[n, n_tanks, N_TANK]: x, y (m), heading (rad), its cos and sin, clearance
    #                   where the tank stands (m), speed reached in the last tick (fraction of max_speed, signed)
    point: np.ndarray  # float64[n, points_active, 2]: x, y of the points on the field (m)
    caught: np.ndarray  # int64[n, n_tanks]: points each tank caught
    count: np.ndarray  # int64[n, N_COUNT]: ticks run, points spawned so far (the spawn sequence's counter)
    real: np.ndarray  # float64[n, N_REAL]: fitness of tank 0, its closeness to a point summed over ticks
    flag: np.ndarray  # bool[n, N_FLAG]: alive (still running), finished (tank 0 caught the target)
    seed: np.ndarray  # uint64[n]: the environment's seed, which the spawn sequence hashes

    @property
    def x(self):
        return self.tank[:, 0, X]

    @property
    def y(self):
        return self.tank[:, 0, Y]

    @property
    def heading(self):
        return self.tank[:, 0, HEADING]

    @property
    def fitness(self):
        return self.real[:, FITNESS]

    @property
    def alive(self):
        return self.flag[:, ALIVE]

    @property
    def finished(self):
        return self.flag[:, FINISHED]

    @property
    def ticks(self):
        return self.count[:, TICK]


def start_tanks(level) -> np.ndarray:
    """float64[n_tanks, N_TANK]: every tank at its spawn, at rest."""
    n = level.n_tanks
    tanks = np.zeros((n, N_TANK))
    tanks[:, X] = level.tank_spawns[:n, 0]
    tanks[:, Y] = level.tank_spawns[:n, 1]
    tanks[:, HEADING] = level.spawn_headings[:n]
    tanks[:, SIN], tanks[:, COS] = sin_cos_numpy(tanks[:, HEADING])
    tanks[:, CLEARANCE] = clearance_at(level, tanks[:, X], tanks[:, Y])
    return tanks


def as_seeds(seeds, n_envs: int) -> np.ndarray:
    """uint64[n_envs]: `seeds`, or 0, 1, 2, ... when None."""
    if seeds is None:
        return np.arange(n_envs, dtype=np.uint64)
    seeds = np.ascontiguousarray(seeds, dtype=np.uint64).reshape(-1)
    if seeds.shape[0] != n_envs:
        raise ValueError(f"{seeds.shape[0]} seeds for {n_envs} environments")
    return seeds


def new_state(level, n_envs: int, seeds=None) -> TanksState:
    """Tanks at their spawns and no points yet: the caller spawns the first `points_active`."""
    flag = np.zeros((n_envs, N_FLAG), dtype=np.bool_)
    flag[:, ALIVE] = True
    return TanksState(
        np.tile(start_tanks(level), (n_envs, 1, 1)),
        np.zeros((n_envs, level.points_active, 2)),
        np.zeros((n_envs, level.n_tanks), dtype=np.int64),
        np.zeros((n_envs, N_COUNT), dtype=np.int64),
        np.zeros((n_envs, N_REAL)),
        flag,
        as_seeds(seeds, n_envs),
    )

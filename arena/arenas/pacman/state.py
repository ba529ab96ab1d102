"""The state of a batch of pacman games (one Pac-Man and four ghosts each), as packed arrays.

Everything but the fitness is integer, so the numba kernels and the numpy reference agree
exactly; both work on these very arrays. The named properties are views into them.
"""

from dataclasses import dataclass

import numpy as np

from arena.arenas.pacman.params import PARAMS

N_GHOSTS = 4
# columns of `count`
(TICK, SCORE, PAC_CELL, PAC_ROW, PAC_COL, PAC_DIR, PAC_ACC, POWER_LEFT, GHOSTS_EATEN, PELLETS_LEFT, CATCH_TICK,
 LAST_EAT_TICK) = range(12)
N_COUNT = 12
# columns of `ghost` (per ghost)
G_CELL, G_DIR, G_ACC, G_STATUS, G_WAIT, G_FRIGHT, G_OUTSIDE = range(7)
N_GHOST = 7
# values of G_STATUS
WAITING, ACTIVE, OUT = range(3)
# columns of `flag`
ALIVE, CLEARED, CAUGHT = range(3)
N_FLAG = 3
# columns of `real`
FIT_PACMAN, FIT_GHOST = range(2)
N_REAL = 2
# values of `pellet`
NO_PELLET, DOT, POWER = range(3)
# directions, in the order of the networks' outputs; d ^ 1 is the opposite of d
UP, DOWN, LEFT, RIGHT = range(4)


@dataclass
class PacmanState:
    count: np.ndarray  # int64[n, N_COUNT]: ticks played, score, Pac-Man's cell (index, row, column),
    #                    his direction (-1 none),
    #                    speed counter, power ticks left, ghosts eaten this power period, pellets
    #                    left, tick of the catch (-1: not caught), tick of the last pellet eaten
    ghost: np.ndarray  # int64[n, 4, N_GHOST]: cell, direction (-1 none), speed counter, status
    #                    (WAITING, ACTIVE, OUT), ticks until released, frightened, has stood
    #                    outside the ghost house since it was last sent home (see `level`)
    pellet: np.ndarray  # uint8[n, n_cells]: NO_PELLET, DOT or POWER on each cell in play
    flag: np.ndarray  # bool[n, N_FLAG]: alive (still running), cleared the maze, caught
    real: np.ndarray  # float64[n, N_REAL]: fitness of Pac-Man and of the ghost team (see `sim`)
    seed: np.ndarray  # uint64[n]: each game's seed (frightened scripted ghosts' choices)

    @property
    def alive(self):
        return self.flag[:, ALIVE]

    @property
    def cleared(self):
        return self.flag[:, CLEARED]

    @property
    def caught(self):
        return self.flag[:, CAUGHT]

    @property
    def ticks(self):
        return self.count[:, TICK]

    @property
    def score(self):
        return self.count[:, SCORE]

    @property
    def catch_tick(self):
        return self.count[:, CATCH_TICK]


def new_state(level, n_envs: int, seeds=None) -> PacmanState:
    """Every game at its start: Pac-Man on P facing left, ghost g waiting on its start cell,
    released after g * release_gap ticks. seeds: uint64[n_envs], or None for 0, 1, 2, ..."""
    seeds = np.arange(n_envs, dtype=np.uint64) if seeds is None else np.asarray(seeds, dtype=np.uint64).copy()
    if seeds.shape != (n_envs,):
        raise ValueError(f"seeds of shape {seeds.shape} for {n_envs} environments")
    count = np.zeros((n_envs, N_COUNT), dtype=np.int64)
    count[:, PAC_CELL] = level.pac_start
    count[:, PAC_ROW] = level.cell_row[level.pac_start]
    count[:, PAC_COL] = level.cell_col[level.pac_start]
    count[:, PAC_DIR] = LEFT
    count[:, PELLETS_LEFT] = level.n_pellets
    count[:, CATCH_TICK] = -1
    ghost = np.zeros((n_envs, N_GHOSTS, N_GHOST), dtype=np.int64)
    ghost[:, :, G_CELL] = level.ghost_starts
    ghost[:, :, G_DIR] = -1
    ghost[:, :, G_STATUS] = WAITING
    ghost[:, :, G_WAIT] = np.arange(N_GHOSTS) * PARAMS.release_gap
    ghost[:, :, G_OUTSIDE] = ~level.inside[level.ghost_starts]
    pellet = np.tile(level.pellets, (n_envs, 1))
    flag = np.zeros((n_envs, N_FLAG), dtype=np.bool_)
    flag[:, ALIVE] = True
    return PacmanState(count, ghost, pellet, flag, np.zeros((n_envs, N_REAL)), seeds)

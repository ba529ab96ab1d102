"""The state of a batch of racing environments (one car each), as three packed arrays.

Packing keeps the numba signatures short and lets the kernels and the numpy reference work
on the very same arrays; the named properties are views into them.
"""

from dataclasses import dataclass

import numpy as np

# columns of `real`
X, Y, HEADING, SPEED, ALONG, PROGRESS, BEST, NEXT_CHECKPOINT, FITNESS = range(9)
N_REAL = 9
# columns of `count`
SEGMENT, TICK, LAST_CHECKPOINT_TICK = range(3)
N_COUNT = 3
# columns of `flag`
ALIVE, FINISHED = range(2)
N_FLAG = 2
# columns of `goal`: the goal's place, 1 / its distance from the start, and the fraction of the lap it is at
GOAL_X, GOAL_Y, GOAL_INV_DISTANCE, GOAL_FRACTION = range(4)


@dataclass
class RacingState:
    real: np.ndarray  # float64[n, N_REAL]: x, y (m), heading (rad), speed (m/s), along (m, 0..lap),
    #                   progress (m, signed), best progress (m), next checkpoint (m), fitness (laps)
    count: np.ndarray  # int64[n, N_COUNT]: centreline segment, ticks run, tick of the last checkpoint
    flag: np.ndarray  # bool[n, N_FLAG]: alive (still running), finished (drove every lap)
    goal: np.ndarray  # float64[n, 4]: the level's goal (see GOAL_X), NaN on levels without one

    @property
    def x(self):
        return self.real[:, X]

    @property
    def y(self):
        return self.real[:, Y]

    @property
    def heading(self):
        return self.real[:, HEADING]

    @property
    def speed(self):
        return self.real[:, SPEED]

    @property
    def fitness(self):
        return self.real[:, FITNESS]

    def scored_fitness(self) -> np.ndarray:
        """float64[n]: the fitness of each run, a copy. The kernels score progress along the
        track; on a level with a goal, a run that did not reach it scores how much closer it
        ended to the goal than it started, `1 - |end - goal| / |start - goal|` (as in the
        mazes of novelty search), and one that did scores 2 - the fraction of its time used."""
        fitness = self.real[:, FITNESS].copy()
        if np.isnan(self.goal[:, GOAL_X]).all():
            return fitness
        goal = self.goal
        closeness = 1.0 - np.hypot(self.real[:, X] - goal[:, GOAL_X], self.real[:, Y] - goal[:, GOAL_Y]) * \
            goal[:, GOAL_INV_DISTANCE]
        # a finisher's progress score is goal + 1 - (time used)
        return np.where(self.flag[:, FINISHED], fitness + 1.0 - goal[:, GOAL_FRACTION], closeness)

    @property
    def alive(self):
        return self.flag[:, ALIVE]

    @property
    def finished(self):
        return self.flag[:, FINISHED]

    @property
    def ticks(self):
        return self.count[:, TICK]


def new_state(level, n_envs: int) -> RacingState:
    real = np.zeros((n_envs, N_REAL))
    real[:, X], real[:, Y], real[:, HEADING] = level.start
    real[:, NEXT_CHECKPOINT] = 0.0
    count = np.zeros((n_envs, N_COUNT), dtype=np.int64)
    flag = np.zeros((n_envs, N_FLAG), dtype=np.bool_)
    flag[:, ALIVE] = True
    return RacingState(real, count, flag, np.tile(level.goal_row(), (n_envs, 1)))

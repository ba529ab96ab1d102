"""`TanksParallelEnv`: every tank of a tank field as a PettingZoo agent, all of them learners.

The arena drives only tank 0 by its network and the others (`rivals` in the level) by its
greedy policy; here every tank "tank_0" .. "tank_{n-1}" drives by its agent's actions, with
the arena's own physics, senses and spawn sequence (the numpy `reference` functions the
kernels follow bit for bit). Each tank senses as the arena's tank 0 does, itself first and the
nearest other tank as its rival. Each tank's fitness is the arena's tank-0 fitness rule
applied to it (points caught, plus the tie-breaker); so with the rivals driven greedily,
tank_0 plays exactly the arena's game. The first tank to catch the level's target finishes,
and the game ends for all; otherwise it ends at the level's time limit (truncated).
"""

from typing import ClassVar

import numpy as np

from arena.arenas import get_arena
from arena.arenas.tanks import reference, sim
from arena.arenas.tanks.state import ALIVE, SPAWNED, TICK, X, Y
from arena.envs.parallel import ArenaParallelEnv
from arena.envs.spaces import action_space, observation_space


def rival_level(arena):
    """The first built-in level with rivals: the default field of the multi-agent env."""
    for path in arena.builtin_levels():
        if arena.load_level(path).n_tanks > 1:
            return path
    raise LookupError("no built-in tank field has rivals")


class TanksParallelEnv(ArenaParallelEnv):
    """level: a tank field (every tank it spawns is an agent); the first built-in one with rivals if None."""

    metadata: ClassVar[dict] = {"name": "neuroarena_tanks_v0", "render_modes": []}

    def __init__(self, level=None, short: bool = False, render_mode=None):
        arena = get_arena("tanks")
        super().__init__(arena, level if level is not None else rival_level(arena), short, render_mode)
        self.role = arena.spec.role("tank")
        self._on_level()
        self.state = None
        self.max_ticks = None
        self._closeness = None

    def _on_level(self):
        """One agent a tank of the field."""
        self.possible_agents = [f"tank_{t}" for t in range(self.level.n_tanks)]
        self.observation_spaces = {a: observation_space(self.arena, self.role) for a in self.possible_agents}
        self.action_spaces = {a: action_space(self.role) for a in self.possible_agents}

    def _start(self, seeds):
        self.state = reference.reset(self.level, 1, seeds)
        self.max_ticks = sim.max_ticks_for(self.level)
        self._closeness = np.zeros(self.level.n_tanks)
        return self._observe()

    def _observe(self) -> dict:
        """{tank_t: float32[N_INPUTS]}: what tank t senses, as the arena's tank 0 does."""
        n = self.level.n_tanks
        orders = [[t] + [o for o in range(n) if o != t] for t in range(n)]
        senses = reference.sense(self.level, self.state.tank[0][orders], np.repeat(self.state.point, n, axis=0))
        return {f"tank_{t}": senses[t] for t in range(n)}

    def _tick(self, actions):
        """One tick of `reference.step`, with every tank driven by its agent's (left, right)."""
        state, level = self.state, self.level
        tank, point, caught, count = state.tank, state.point, state.caught, state.count
        count[0, TICK] += 1
        for t in range(level.n_tanks):
            left, right = np.clip(np.asarray(actions[f"tank_{t}"], dtype=np.float64), -1.0, 1.0)
            reference.drive(level, tank[:, t], np.array([left]), np.array([right]))  # a view: moves it in place
        for p in range(point.shape[1]):  # each point slot in order goes to the lowest-numbered tank in reach
            dx = tank[0, :, X] - point[0, p, 0]
            dy = tank[0, :, Y] - point[0, p, 1]
            near = np.flatnonzero(dx * dx + dy * dy <= sim.CATCH2)
            if near.size:
                caught[0, near[0]] += 1
                x, y = reference.spawn_points(level, state.seed, count[0:1, SPAWNED])
                point[0, p] = x[0], y[0]
                count[0, SPAWNED] += 1
        dx = point[0, None, :, 0] - tank[0, :, X, None]
        dy = point[0, None, :, 1] - tank[0, :, Y, None]
        best = np.min(dx * dx + dy * dy, axis=1)
        self._closeness += 1.0 - np.minimum(np.sqrt(best), sim.CLOSENESS_RANGE) * (1.0 / sim.CLOSENESS_RANGE)
        tick = count[0, TICK]
        got = caught[0]
        done = got >= level.target
        tie = sim.TIE_BREAK
        fitness = np.where(done, got + tie + (1.0 - tie) * (1.0 - tick / self.max_ticks),
                           got + tie * (self._closeness / tick))
        won = bool(done.any())
        ended = won or tick >= self.max_ticks
        state.flag[0, ALIVE] = not ended
        return self._observe(), {f"tank_{t}": float(f) for t, f in enumerate(fitness)}, ended, ended and not won

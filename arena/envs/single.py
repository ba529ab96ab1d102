"""`ArenaEnv`: one environment of an arena as a Gymnasium `Env`, played by its first role.

The learner plays `arena.spec.roles[0]`; any other role plays the arena's scripted policy (the
arcade ghosts against a Pac-Man), and so do a tank field's rivals. One step is one arena tick;
the reward is the tick's change of the role's fitness, so an episode's rewards sum to the
fitness the arena gives the run.
"""

from typing import ClassVar

import gymnasium as gym

from arena.arenas import get_arena
from arena.envs import episode
from arena.envs.spaces import action_space, arena_actions, observation_space


class ArenaEnv(gym.Env):
    """arena: a registered arena name. level: a level file (the arena's default one if None);
    short: cut runs short (`Arena.short_level`), for quick tests. reset(options={"level": path})
    switches level. `arena_seed` is the seed the arena plays the current game with."""

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, arena: str, level=None, short: bool = False, render_mode=None):
        self.arena = get_arena(arena)
        self.role = self.arena.spec.roles[0]
        self.short = short
        self.level = episode.load_level(self.arena, level, short)
        self.render_mode = render_mode
        self.observation_space = observation_space(self.arena, self.role)
        self.action_space = action_space(self.role)
        self.state = None
        self.arena_seed = None
        self._fitness = 0.0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        options = options or {}  # other keys are ignored, as in the multi-agent envs
        if "level" in options:
            self.level = episode.load_level(self.arena, options["level"], self.short)
        seeds = episode.draw_seed(self.np_random)
        self.arena_seed = int(seeds[0])
        self.state = self.arena.reset(self.level, 1, seeds)
        self._fitness = 0.0
        return self.arena.observe(self.level, self.state)[self.role.name][0], self._info(self.arena.outcome(self.state))

    def step(self, action):
        self.arena.step(self.level, self.state, {self.role.name: arena_actions(self.role, [action])})
        outcome, observation, ended, truncated = episode.after_step(self.arena, self.level, self.state)
        fitness = float(outcome.fitness[self.role.name][0])
        reward, self._fitness = fitness - self._fitness, fitness
        return observation[self.role.name][0], reward, ended and not truncated, truncated, self._info(outcome)

    def _info(self, outcome) -> dict:
        """The run so far: ticks played, the role's fitness, whether it finished."""
        return {"ticks": int(outcome.ticks[0]), "fitness": float(outcome.fitness[self.role.name][0]),
                "finished": bool(outcome.finished[self.role.name][0])}

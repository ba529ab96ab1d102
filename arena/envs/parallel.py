"""`ArenaParallelEnv`: what the PettingZoo parallel envs of the arenas share.

Every agent is a learner; one step is one arena tick; an agent's reward is the tick's change
of its fitness, so an episode's rewards sum to the fitness the game gives it. A game ends for
every agent at once (terminated, or truncated at the level's tick limit).
"""

from typing import ClassVar

from gymnasium.utils import seeding

from arena.core.errors import UsageError
from arena.envs import episode

try:
    from pettingzoo import ParallelEnv
except ImportError:
    raise UsageError("the multi-agent envs need pettingzoo: pip install 'neuroarena[gym]'") from None


class ArenaParallelEnv(ParallelEnv):
    """Subclasses set `possible_agents`, `observation_spaces` and `action_spaces` ({agent: space})
    and implement `_start(seeds) -> observations` and `_tick(actions) -> (observations, fitness,
    ended, truncated)`, all dicts by agent. reset(options={"level": path}) switches level."""

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, arena, level=None, short: bool = False, render_mode=None):
        self.arena = arena
        self.short = short
        self.level = episode.load_level(arena, level, short)
        self.render_mode = render_mode
        self.agents = []
        self.arena_seed = None
        self._np_random = None
        self._fitness = {}

    def _on_level(self):
        """Called when reset switches level (a field with more tanks has more agents)."""

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def reset(self, seed=None, options=None):
        if seed is not None or self._np_random is None:
            self._np_random, _ = seeding.np_random(seed)
        options = options or {}  # other keys are ignored: PettingZoo's API test passes some
        if "level" in options:
            self.level = episode.load_level(self.arena, options["level"], self.short)
            self._on_level()
        seeds = episode.draw_seed(self._np_random)
        self.arena_seed = int(seeds[0])
        self.agents = list(self.possible_agents)
        self._fitness = dict.fromkeys(self.agents, 0.0)
        observations = self._start(seeds)
        return observations, {agent: {"fitness": 0.0} for agent in self.agents}

    def step(self, actions):
        observations, fitness, ended, truncated = self._tick(actions)
        rewards = {agent: fitness[agent] - self._fitness[agent] for agent in self.agents}
        self._fitness = fitness
        agents = self.agents
        if ended:
            self.agents = []
        return (observations, rewards, {agent: ended and not truncated for agent in agents},
                {agent: truncated for agent in agents}, {agent: {"fitness": fitness[agent]} for agent in agents})

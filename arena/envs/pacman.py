"""`PacmanParallelEnv`: Pac-Man and each of the four ghosts as its own PettingZoo agent.

Agents "pacman" and "ghost_0" .. "ghost_3" (ghost g is the arena's ghost g: Blinky, Pinky,
Inky, Clyde). Actions are moves (Discrete(4): up, down, left, right). The ghosts are a team
in the arena, with one fitness a game, so every ghost gets the team's reward.
"""

from typing import ClassVar

from arena.arenas import get_arena
from arena.arenas.pacman.state import N_GHOSTS
from arena.envs import episode
from arena.envs.parallel import ArenaParallelEnv
from arena.envs.spaces import action_space, arena_actions, observation_space

GHOSTS = tuple(f"ghost_{g}" for g in range(N_GHOSTS))


class PacmanParallelEnv(ArenaParallelEnv):
    metadata: ClassVar[dict] = {"name": "neuroarena_pacman_v0", "render_modes": []}

    def __init__(self, level=None, short: bool = False, render_mode=None):
        super().__init__(get_arena("pacman"), level, short, render_mode)
        self.pacman, self.ghost = self.arena.spec.role("pacman"), self.arena.spec.role("ghost")
        self.possible_agents = ["pacman", *GHOSTS]
        self.observation_spaces = {"pacman": observation_space(self.arena, self.pacman),
                                   **{g: observation_space(self.arena, self.ghost) for g in GHOSTS}}
        self.action_spaces = {"pacman": action_space(self.pacman), **{g: action_space(self.ghost) for g in GHOSTS}}
        self.state = None

    def _start(self, seeds):
        self.state = self.arena.reset(self.level, 1, seeds)
        return self._by_agent(self.arena.observe(self.level, self.state))

    def _tick(self, actions):
        self.arena.step(self.level, self.state, {
            "pacman": arena_actions(self.pacman, [actions["pacman"]]),
            "ghost": arena_actions(self.ghost, [actions[g] for g in GHOSTS]),
        })
        outcome, observations, ended, truncated = episode.after_step(self.arena, self.level, self.state)
        fitness = {"pacman": float(outcome.fitness["pacman"][0]),
                   **dict.fromkeys(GHOSTS, float(outcome.fitness["ghost"][0]))}
        return self._by_agent(observations), fitness, ended, truncated

    @staticmethod
    def _by_agent(observations) -> dict:
        """{agent: float32[n_inputs]} from the arena's {role: rows} of game 0 (ghost g is row g)."""
        return {"pacman": observations["pacman"][0], **{g: observations["ghost"][i] for i, g in enumerate(GHOSTS)}}


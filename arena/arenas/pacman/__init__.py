"""The pacman arena: Pac-Man against four ghosts in a grid maze, two roles that co-evolve.

Roles: `pacman` (one network a game) and `ghost` (four networks a game: game e's ghost g is
network 4 e + g, so `nets["ghost"]` holds 4 n networks; often one genome compiled four times,
which is why ghosts are told which one they are). Either role may be `SCRIPTED` (or left out
of `nets`): the greedy pellet-eating Pac-Man, the arcade ghosts. See `sim` for the rules, the
inputs and the fitness, and `level` for the maze files.
"""

from dataclasses import dataclass, replace

import numpy as np

from arena.arenas import REGISTRY
from arena.arenas.base import SCRIPTED, Arena, Outcome
from arena.arenas.pacman import level as pacman_level
from arena.arenas.pacman import behaviour, reference, sim
from arena.arenas.pacman.state import (
    CATCH_TICK, CAUGHT, CLEARED, FIT_GHOST, FIT_PACMAN, N_GHOSTS, PAC_COL, PAC_ROW, SCORE, TICK, new_state,
)
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.spec import ArenaSpec, RoleSpec

MOVE_NAMES = ("up", "down", "left", "right")
SHORT_TICKS = 400


def _per_move(*features):
    return tuple(f"{feature}_{move}" for feature in features for move in MOVE_NAMES)


SPEC = ArenaSpec(
    name="pacman",
    version=1,
    roles=(
        RoleSpec(
            name="pacman",
            observation=_per_move("open", "pellet", "danger", "prey", "power") + ("power_left",),
            action=MOVE_NAMES,
            action_kind="discrete",
            output_activation="identity",
            hidden_activation="tanh",
            # Linear: each move's inputs speak for that move, and a GA finds a good linear Pac-Man
            # two to three times faster than one behind 8 hidden units (see tools/pacman_learning.py).
            default_hidden=(),
        ),
        RoleSpec(
            name="ghost",
            observation=tuple(f"ghost_{g}" for g in range(N_GHOSTS)) + _per_move("open", "pacman", "ahead", "crowd")
            + ("frightened", "power_left", "pacman_near"),
            action=MOVE_NAMES,
            action_kind="discrete",
            output_activation="identity",
            hidden_activation="tanh",
            default_hidden=(8,),
            agents=N_GHOSTS,
        ),
    ),
    description="Pac-Man eats pellets in a maze while four ghosts hunt him; both sides evolve",
)
assert SPEC.roles[0].n_inputs == sim.N_PACMAN_INPUTS and SPEC.roles[1].n_inputs == sim.N_GHOST_INPUTS


@dataclass
class PacmanOutcome(Outcome):
    """`Outcome` plus what the games scored: score int64[n_envs] (points, bonuses included) and
    catch_tick int64[n_envs] (the tick the ghosts caught Pac-Man, -1 if they did not)."""

    score: np.ndarray = None
    catch_tick: np.ndarray = None


def _placeholder_arrays():
    """A `NetBatch.arrays()` tuple of the right types, for a role played by its scripted policy."""
    return compile_mlp(MLPSpec((1, 1), ("identity",)), np.zeros((1, 2), dtype=np.float32)).arrays()


class PacmanArena(Arena):
    spec = SPEC
    default_level_name = "2-classic.txt"
    ticks_per_second = 10  # Pac-Man moves a cell a tick: the arcade's pace
    reference = reference
    level_module = pacman_level
    behaviour = behaviour

    def builtin_levels(self) -> list:
        folder = self.levels_folder()
        return sorted(p for pattern in ("*.txt", "*.lay", "*.json") for p in folder.glob(pattern))

    def max_ticks(self, level) -> int:
        return level.max_ticks

    def short_level(self, level):
        """The level with its time limit cut to `SHORT_TICKS` (the contract checks step whole
        games from Python; the limit's own rule is then exercised too)."""
        return replace(level, max_ticks=min(level.max_ticks, SHORT_TICKS))

    def solved(self, outcome) -> np.ndarray:
        """Pac-Man cleared the maze."""
        return outcome.finished["pacman"].copy()

    @staticmethod
    def _roles(nets: dict, n_envs=None):
        """(n_envs, Pac-Man's NetBatch or None, the ghosts' NetBatch or None): None plays scripted."""
        pacman, ghosts = nets.get("pacman", SCRIPTED), nets.get("ghost", SCRIPTED)
        pacman = None if pacman is SCRIPTED else pacman
        ghosts = None if ghosts is SCRIPTED else ghosts
        sizes = {n_envs} if n_envs is not None else set()
        if pacman is not None:
            sizes.add(pacman.size)
        if ghosts is not None:
            if ghosts.size % N_GHOSTS:
                raise ValueError(f"{ghosts.size} ghost networks: need {N_GHOSTS} a game")
            sizes.add(ghosts.size // N_GHOSTS)
        if not sizes:
            raise ValueError("both roles scripted and no seeds: nothing says how many games to play")
        if len(sizes) != 1:
            raise ValueError(f"networks and seeds disagree on the number of games: {sorted(sizes)}")
        return sizes.pop(), pacman, ghosts

    def rollout(self, level, nets, seeds, max_ticks=None) -> PacmanOutcome:
        """Play every game to its end; `max_ticks` (if given) replaces the level's time limit."""
        n, pacman, ghosts = self._roles(nets, None if seeds is None else len(seeds))
        state = new_state(level, n, seeds)
        limit = max_ticks or level.max_ticks
        self._run(sim.level_arrays(level, limit), state, pacman, ghosts,
                  None if pacman is None else pacman.arrays(), None if ghosts is None else ghosts.arrays(),
                  limit + 1, np.zeros((0, 0, 2), dtype=np.float32), 0)
        return self.outcome(state)

    @staticmethod
    def _run(lv, state, pacman, ghosts, arrays_p, arrays_g, n_ticks, trail, trail_every):
        placeholder = None if pacman is not None and ghosts is not None else _placeholder_arrays()
        width_p = 1 if pacman is None else pacman.scratch_width()
        width_g = 1 if ghosts is None else ghosts.scratch_width()
        sim.advance_kernel(lv, state, placeholder if pacman is None else arrays_p,
                           placeholder if ghosts is None else arrays_g, width_p, width_g,
                           pacman is not None, ghosts is not None, n_ticks, trail, trail_every)

    def reset(self, level, n_envs, seeds=None):
        return new_state(level, n_envs, seeds)

    def observe(self, level, state):
        return sim.observe_kernel(sim.level_arrays(level, level.max_ticks), state)

    def step(self, level, state, actions, max_ticks=None):
        """actions: {'pacman': float32[n, 4], 'ghost': float32[4 n, 4]}; a role left out or None plays scripted."""
        sim.step_kernel(sim.level_arrays(level, max_ticks or level.max_ticks), state,
                        actions.get("pacman"), actions.get("ghost"))

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every):
        _, pacman, ghosts = self._roles(nets, state.count.shape[0])
        self._run(sim.level_arrays(level, level.max_ticks), state, pacman, ghosts, arrays.get("pacman"),
                  arrays.get("ghost"), n_ticks, trail, trail_every)

    def positions(self, state):
        """Pac-Man's cell centre: x = column + 0.5, y = -(row + 0.5) (the world is y up, one unit a
        cell, the maze's top edge on y = 0)."""
        return np.stack([state.count[:, PAC_COL] + 0.5, -(state.count[:, PAC_ROW] + 0.5)], axis=1)

    def outcome(self, state) -> PacmanOutcome:
        return PacmanOutcome(
            {"pacman": state.real[:, FIT_PACMAN].copy(), "ghost": state.real[:, FIT_GHOST].copy()},
            {"pacman": state.flag[:, CLEARED].copy(), "ghost": state.flag[:, CAUGHT].copy()},
            state.count[:, TICK].copy(), state.count[:, SCORE].copy(), state.count[:, CATCH_TICK].copy(),
        )

    def match_summary(self, level, outcome: PacmanOutcome) -> dict:
        """Means over a batch of games (a `rollout`'s outcome): score (points); caught (the
        fraction of games the ghosts won); ticks_to_catch (a game they did not win counts as
        the whole time limit, so that fewer is better either way)."""
        caught = outcome.catch_tick >= 0
        ticks = np.where(caught, outcome.catch_tick, level.max_ticks)
        return {"score": float(outcome.score.mean()), "caught": float(caught.mean()),
                "ticks_to_catch": float(ticks.mean())}

    @staticmethod
    def scores(state) -> np.ndarray:
        """int64[n]: each game's score so far."""
        return state.count[:, SCORE].copy()

    @staticmethod
    def catch_ticks(state) -> np.ndarray:
        """int64[n]: the tick each game's Pac-Man was caught, -1 if he was not (yet)."""
        return state.count[:, CATCH_TICK].copy()


REGISTRY.register("pacman", PacmanArena())

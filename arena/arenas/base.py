"""What every arena provides, and the outcome of evaluating a batch of brains in it."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from arena.brains.netbatch import forward
from arena.core.spec import ArenaSpec

LEVELS_ROOT = Path(__file__).resolve().parents[2] / "levels"
# In place of a NetBatch in `nets`: the arena's own scripted policy plays that role (a greedy
# tank, the arcade ghosts). In `step`'s actions, None asks for the same.
SCRIPTED = "scripted"
TRAIL_SLOTS = 2048  # trail points a run keeps at most (ticks are sampled to fit)


def trail_period(max_ticks: int) -> int:
    """Ticks between the trail points of a run of `max_ticks`, so that it fits `TRAIL_SLOTS`."""
    return max(1, -(-int(max_ticks) // (TRAIL_SLOTS - 1)))


def new_trail(arena, level, state, max_ticks: int):
    """(trail float32[n, slots, 2], period) for `advance`, slot 0 the positions after reset."""
    every = trail_period(max_ticks)
    positions = arena.positions(state)
    trail = np.zeros((positions.shape[0], max_ticks // every + 1, 2), dtype=np.float32)
    trail[:, 0] = positions
    return trail, every


@dataclass
class Outcome:
    """Results of one batch of environments, per role.

    fitness: {role: float64[n_envs]}; finished: {role: bool[n_envs]};
    ticks: int64[n_envs], ticks each environment ran (its agent-steps, per agent).
    """

    fitness: dict
    finished: dict
    ticks: np.ndarray
    # {role: float32[n_envs, D]} behaviour descriptors (novelty search), when asked for
    behaviour: dict = field(default=None, kw_only=True)


class Arena:
    """An arena: levels, a fused rollout kernel, and a step API for live play.

    Subclasses set `spec` and implement the methods. Levels are per-arena dataclasses with at
    least `name`. States are per-arena dataclasses of arrays with `alive: bool[n_envs]`
    (still running) and `fitness` / `finished` per role as in `Outcome`.
    """

    spec: ArenaSpec
    default_level_name: str
    ticks_per_second = 60  # game time: the live view's 1x speed steps this many ticks a second
    level_module = None  # the arena's level.py: load(path) and generate(seed)
    # the arena's behaviour.py (novelty search): SIZES {role: D}, INITIAL_THRESHOLD {role: x},
    # describe(level, state, trail, trail_every) -> {role: float32[n, D]}; None: no descriptors
    behaviour = None

    # -- levels
    def levels_folder(self) -> Path:
        return LEVELS_ROOT / self.spec.name

    def builtin_levels(self) -> list:
        """Paths of the built-in levels, easiest first (file names start with a rank)."""
        return sorted(self.levels_folder().glob("*.json"))

    def default_level_path(self) -> Path:
        return self.levels_folder() / self.default_level_name

    def load_level(self, path):
        return self.level_module.load(path)

    def generate_level(self, seed: int):
        return self.level_module.generate(seed)

    def short_level(self, level):
        """`level`, or a version of it whose runs end soon enough to step tick by tick from
        Python (the contract checks do): e.g. cartpole's 100,000-tick levels cut to 500."""
        return level

    # -- evaluation
    def rollout(self, level, nets: dict, seeds: np.ndarray, max_ticks=None) -> Outcome:
        """Run every environment to its end in one fused kernel; `nets` maps role to NetBatch (or
        SCRIPTED, for arenas with a scripted policy for that role)."""
        raise NotImplementedError

    def max_ticks(self, level) -> int:
        raise NotImplementedError

    def behaviour_rollout(self, level, nets: dict, seeds: np.ndarray) -> Outcome:
        """`rollout` to the level's time limit, with each role's behaviour descriptors in
        `Outcome.behaviour`.

        Played by `advance` with a trail, which the contract checks hold equal to `rollout`
        and to stepping: the descriptors of a live generation are those of a headless one.
        """
        state = self.reset(level, len(seeds), seeds)
        limit = self.max_ticks(level)
        trail, every = new_trail(self, level, state, limit)
        self.advance(level, state, nets, {role: net.arrays() for role, net in nets.items() if net is not SCRIPTED},
                     limit, trail, every)
        outcome = self.outcome(state)
        outcome.behaviour = self.behaviour.describe(level, state, trail, every)
        return outcome

    @staticmethod
    def empty_results(n_envs: int):
        """(fitness float64[n], finished bool[n], ticks int64[n]) for a kernel to fill."""
        return np.zeros(n_envs), np.zeros(n_envs, dtype=np.bool_), np.zeros(n_envs, dtype=np.int64)

    def match_summary(self, level, outcome: Outcome) -> dict:
        """Means over a batch of games that say more than fitness (a score, how fast a catch
        came), for the metrics of games against scripted opponents; none by default."""
        return {}

    def solved(self, outcome: Outcome) -> np.ndarray:
        """bool[n_envs]: which environments count as solved (every role finished)."""
        return np.logical_and.reduce([outcome.finished[r.name] for r in self.spec.roles])

    # -- live stepping (the UI and the contract tests)
    def reset(self, level, n_envs: int, seeds: np.ndarray):
        raise NotImplementedError

    def observe(self, level, state) -> dict:
        """{role: float32[n_envs, n_inputs]}."""
        raise NotImplementedError

    def step(self, level, state, actions: dict) -> None:
        """Advance every running environment one tick, in place; `actions` {role: float32[n, n_out]}."""
        raise NotImplementedError

    def outcome(self, state) -> Outcome:
        raise NotImplementedError

    def positions(self, state) -> np.ndarray:
        """float64[n_envs, 2]: where each agent is, in the world coordinates its renderer draws."""
        raise NotImplementedError

    def advance(self, level, state, nets: dict, arrays: dict, n_ticks: int, trail=None, trail_every: int = 0):
        """Step every running environment up to `n_ticks` ticks with its networks, in place.

        The same as `step_ticks`; arenas make it fast with a fused kernel (`_advance`).
        arrays: {role: `NetBatch.arrays()`} kept by the caller across calls, so recurrent
        networks remember. trail: float32[n_envs, m, 2]; after tick t, t a multiple of
        `trail_every`, agent a's position goes to trail[a, t // trail_every] while that is below m.
        """
        if trail is None:
            trail, trail_every = np.zeros((0, 0, 2), dtype=np.float32), 0
        self._advance(level, state, nets, arrays, n_ticks, trail, trail_every)

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every):
        self.step_ticks(level, state, nets, arrays, n_ticks, trail, trail_every)

    def step_ticks(self, level, state, nets, arrays, n_ticks, trail, trail_every):
        """`observe`, `forward` and `step` n_ticks times, from Python: what `advance` must equal."""
        for _ in range(n_ticks):
            if not state.alive.any():
                return
            obs = self.observe(level, state)
            self.step(level, state, {role: None if nets[role] is SCRIPTED else forward(nets[role], obs[role], arrays[role])
                                     for role in nets})
            if trail_every > 0:
                self.record_trail(state, trail, trail_every)

    def record_trail(self, state, trail, trail_every: int) -> None:
        """Write the positions of agents whose tick is a multiple of `trail_every` into `trail`."""
        ticks = self.outcome(state).ticks
        slot = ticks // trail_every
        rows = np.flatnonzero((ticks % trail_every == 0) & (slot < trail.shape[1]))
        trail[rows, slot[rows]] = self.positions(state)[rows]

    # -- the plain numpy twin of the step API, for tests and benchmarks
    reference = None  # a module with reset / observe / step / outcome of the same signatures

"""What the single- and multi-agent wrappers share: levels, seeds, and how a game ends.

A game ends by the arena's rules (terminated) or at the level's tick limit (truncated): the
only run a learner should bootstrap past. Arenas say neither directly; here it is read from
the outcome: a run stopped at the limit without any role finishing was truncated, except in
cart-pole, where finishing *is* balancing to the limit, and the tunnel, whose only limit is
its end, which finishes.
"""

import copy

import numpy as np


def load_level(arena, path=None, short: bool = False):
    """The level at `path` (the arena's default level if None), cut by `arena.short_level` if `short`."""
    level = arena.load_level(path if path is not None else arena.default_level_path())
    return arena.short_level(level) if short else level


def draw_seed(np_random) -> np.ndarray:
    """uint64[1]: the arena seed of the next game, drawn from the env's seeded generator."""
    return np.array([np_random.integers(2**63)], dtype=np.uint64)


def truncated_game(arena, level, outcome) -> bool:
    """Whether game 0 of `outcome`, which has ended, ended at the level's tick limit (see the module)."""
    name = arena.spec.name
    if name == "tunnel":
        return False
    if name == "cartpole":
        return bool(outcome.finished["pole"][0])
    return bool(outcome.ticks[0] >= arena.max_ticks(level) and not any(f[0] for f in outcome.finished.values()))


def final_observations(arena, level, state) -> dict:
    """{role: float32[...]} of a game stopped at its time limit, read as if it ran on: the arena
    leaves a stopped game's rows zero, and a learner bootstraps its value from these."""
    running = copy.deepcopy(state)
    running.alive[:] = True
    return arena.observe(level, running)


def after_step(arena, level, state) -> tuple:
    """(outcome, observations, ended, truncated) of game 0 after a step: the observations a
    learner sees next (at the time limit, as if the game ran on; see `final_observations`)."""
    outcome = arena.outcome(state)
    ended = not state.alive[0]
    truncated = ended and truncated_game(arena, level, outcome)
    observations = final_observations(arena, level, state) if truncated else arena.observe(level, state)
    return outcome, observations, ended, truncated

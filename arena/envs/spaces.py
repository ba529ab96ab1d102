"""Observation and action spaces of an arena role, and the arena's arrays for a Gymnasium action.

Bounds are the ones the arena's sensors keep (see each arena's `sim`), by input name; inputs
with no bound (velocities, signed wall distances, cart-pole's scaled state) are -inf .. inf.
Actions are what the role's networks output: a Box over the output activation's range for a
continuous role (sigmoid [0, 1], tanh [-1, 1]), Discrete(moves) for a discrete one (the arena
takes the argmax of its outputs, so the chosen move is sent as a one-hot row).
"""

import numpy as np
from gymnasium import spaces

_OUTPUT_RANGE = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def _racing_bound(name):
    return 0.0, 1.0  # rays over their range, speed over the top speed (never negative: braking stops)


def _tanks_bound(name):
    if name.endswith(("_cos", "_sin")) or name == "speed":  # bearings; speed signed, a fraction of the top speed
        return -1.0, 1.0
    return 0.0, 1.0  # rays over their range, distances over point_range (clipped)


def _pacman_bound(name):
    return 0.0, 1.0  # flags, "toward" readings, closeness and time fractions


def _unbounded(name):
    return -np.inf, np.inf


_BOUNDS = {"racing": _racing_bound, "tanks": _tanks_bound, "pacman": _pacman_bound,
           "tunnel": _unbounded, "cartpole": _unbounded}


def observation_space(arena, role) -> spaces.Box:
    """Box(float32[role.n_inputs]) with the bounds of each input of `role` in `arena`."""
    bound = _BOUNDS[arena.spec.name]
    low, high = np.array([bound(name) for name in role.observation], dtype=np.float32).T
    return spaces.Box(low, high, dtype=np.float32)


def action_space(role):
    """What `role`'s networks output: Discrete(n_outputs), or a Box over the output activation's range."""
    if role.action_kind == "discrete":
        return spaces.Discrete(role.n_outputs)
    low, high = _OUTPUT_RANGE[role.output_activation]
    return spaces.Box(low, high, shape=(role.n_outputs,), dtype=np.float32)


def arena_actions(role, actions) -> np.ndarray:
    """float32[len(actions), n_outputs]: the outputs the arena reads for `actions` of `role`
    (one per agent, in agent order)."""
    if role.action_kind == "discrete":
        rows = np.zeros((len(actions), role.n_outputs), dtype=np.float32)
        rows[np.arange(len(actions)), np.asarray(actions, dtype=np.int64)] = 1.0
        return rows
    return np.asarray(actions, dtype=np.float32).reshape(len(actions), role.n_outputs)

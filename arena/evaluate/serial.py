"""The serial backend: the arena's fused kernel in this process, parallel over numba threads."""

from arena.arenas.base import Outcome


class SerialBackend:
    name = "serial"

    def evaluate(self, arena, level, nets: dict, seeds, max_ticks=None, behaviour=False) -> Outcome:
        """Roll out every environment; `nets` maps role to NetBatch, `seeds` is uint64[n_envs];
        with `behaviour`, to the level's time limit and with behaviour descriptors."""
        return rollout(arena, level, nets, seeds, max_ticks, behaviour)

    def close(self) -> None:
        pass


def rollout(arena, level, nets: dict, seeds, max_ticks, behaviour: bool) -> Outcome:
    """`arena.rollout`, or with `behaviour` its `behaviour_rollout` (which plays the level's own
    time limit: novelty runs have no other)."""
    if not behaviour:
        return arena.rollout(level, nets, seeds, max_ticks)
    if max_ticks is not None:
        raise ValueError("behaviour rollouts play the level's own time limit")
    return arena.behaviour_rollout(level, nets, seeds)

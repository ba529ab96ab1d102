"""The serial backend: the arena's fused kernel in this process, parallel over numba threads."""

from arena.arenas.base import Outcome


class SerialBackend:
    name = "serial"

    def evaluate(self, arena, level, nets: dict, seeds, max_ticks=None) -> Outcome:
        """Roll out every environment; `nets` maps role to NetBatch, `seeds` is uint64[n_envs]."""
        return arena.rollout(level, nets, seeds, max_ticks)

    def close(self) -> None:
        pass

"""The tunnel arena (seed 001): a point flies through a winding tunnel, one column a tick."""

import numpy as np

from arena.arenas import REGISTRY
from arena.arenas.base import Arena, Outcome
from arena.arenas.tunnel import level as tunnel_level
from arena.arenas.tunnel import behaviour, reference, sim
from arena.arenas.tunnel.params import PARAMS
from arena.arenas.tunnel.state import new_state
from arena.core.spec import ArenaSpec, RoleSpec

_obs = ["velocity"]
for _s in PARAMS.sensor_offsets:
    _obs += [f"top_{_s}", f"bottom_{_s}"]

SPEC = ArenaSpec(
    name="tunnel",
    version=1,
    roles=(
        RoleSpec(
            name="driver",
            observation=tuple(_obs),
            action=("force",),
            action_kind="continuous",
            output_activation="sigmoid",
            hidden_activation="sigmoid",
            default_hidden=(8, 4),
        ),
    ),
    description="a point steers up and down through a winding tunnel (seed 001)",
)


class TunnelArena(Arena):
    spec = SPEC
    default_level_name = "classic.json"
    reference = reference
    level_module = tunnel_level
    behaviour = behaviour

    def max_ticks(self, level) -> int:
        return level.playable_columns

    def rollout(self, level, nets, seeds, max_ticks=None) -> Outcome:
        net = nets["driver"]
        fitness, finished, ticks = self.empty_results(net.size)
        sim.rollout_kernel(level.top, level.gap, net.arrays(), net.scratch_width(), fitness, finished, ticks)
        return Outcome({"driver": fitness}, {"driver": finished}, ticks)

    def reset(self, level, n_envs, seeds=None):
        return new_state(level, n_envs)

    def observe(self, level, state):
        obs = np.zeros((state.p.shape[0], sim.N_INPUTS), dtype=np.float32)
        sim.observe_kernel(level.top, level.gap, state.p, state.v, state.col, state.alive, obs)
        return {"driver": obs}

    def step(self, level, state, actions):
        out = np.ascontiguousarray(actions["driver"], dtype=np.float32)
        sim.step_kernel(level.top, level.gap, state.p, state.v, state.col, state.alive,
                        state.finished, state.fitness, state.near, out)

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every):
        sim.advance_kernel(level.top, level.gap, state.p, state.v, state.col, state.alive, state.finished,
                           state.fitness, state.near, arrays["driver"], nets["driver"].scratch_width(),
                           np.int64(n_ticks), trail, np.int64(trail_every))

    def positions(self, state):
        """(column, height) of each point."""
        return np.stack([state.col.astype(np.float64), state.p], axis=1)

    def outcome(self, state) -> Outcome:
        return Outcome({"driver": state.fitness.copy()}, {"driver": state.finished.copy()}, state.col.copy())


REGISTRY.register("tunnel", TunnelArena())

"""The racing arena: top-down cars learn to drive closed tracks."""

import numpy as np

from arena.arenas import REGISTRY
from arena.arenas.base import Arena, Outcome
from arena.arenas.racing import level as racing_level
from arena.arenas.racing import behaviour, reference, sim
from arena.arenas.racing.params import PARAMS
from arena.arenas.racing.state import FINISHED, TICK, X, Y, new_state
from arena.core.spec import ArenaSpec, RoleSpec

SPEC = ArenaSpec(
    name="racing",
    version=1,
    roles=(
        RoleSpec(
            name="driver",
            observation=tuple(f"ray_{k}" for k in range(PARAMS.n_rays)) + ("speed",),
            action=("steer", "throttle"),
            action_kind="continuous",
            output_activation="tanh",
            hidden_activation="tanh",
            default_hidden=(8,),
        ),
    ),
    description="top-down cars race round closed tracks",
)


class RacingArena(Arena):
    spec = SPEC
    default_level_name = "1-oval.json"
    reference = reference
    level_module = racing_level
    behaviour = behaviour

    def max_ticks(self, level) -> int:
        return sim.max_ticks_for(level)

    def rollout(self, level, nets, seeds, max_ticks=None) -> Outcome:
        if level.goal is not None:
            # scored by where each run ended, which only a state keeps
            state = self.reset(level, len(seeds))
            limit = max_ticks or self.max_ticks(level)
            self._advance(level, state, nets, {"driver": nets["driver"].arrays()}, limit,
                          np.zeros((0, 0, 2), dtype=np.float32), 0, limit)
            return self.outcome(state)
        net = nets["driver"]
        fitness, finished, ticks = self.empty_results(net.size)
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        sim.rollout_kernel(lv, *level.start, net.arrays(), net.scratch_width(), fitness, finished, ticks)
        return Outcome({"driver": fitness}, {"driver": finished}, ticks)

    def reset(self, level, n_envs, seeds=None):
        return new_state(level, n_envs)

    def observe(self, level, state):
        obs = np.zeros((state.real.shape[0], sim.N_INPUTS), dtype=np.float32)
        sim.observe_kernel(sim.level_arrays(level, self.max_ticks(level)), state.real, state.flag, obs)
        return {"driver": obs}

    def step(self, level, state, actions, max_ticks=None):
        out = np.ascontiguousarray(actions["driver"], dtype=np.float32)
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        sim.step_kernel(lv, state.real, state.count, state.flag, out)

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every, max_ticks=None):
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        sim.advance_kernel(lv, state.real, state.count, state.flag, arrays["driver"], nets["driver"].scratch_width(),
                           np.int64(n_ticks), trail, np.int64(trail_every))

    def positions(self, state):
        return state.real[:, X:Y + 1]

    def outcome(self, state) -> Outcome:
        return Outcome(
            {"driver": state.scored_fitness()},
            {"driver": state.flag[:, FINISHED].copy()},
            state.count[:, TICK].copy(),
        )


REGISTRY.register("racing", RacingArena())

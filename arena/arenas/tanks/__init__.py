"""The tanks arena: differential-drive tanks catch points on a field with walls.

Solo levels have the network tank alone; shared levels add scripted greedy rivals that race it
for the same points. See `sim` for the sensors, the physics and the fitness, `level` for fields.

A duel (two tank brains on one field) gives `nets` a second network, under `RIVAL`, that
drives tank 1 of a two-tank field in place of the greedy policy (see `duel`); its rollouts
return a `TanksOutcome`, with the points of both tanks.
"""

from dataclasses import dataclass

import numpy as np

from arena.arenas import REGISTRY
from arena.arenas.base import SCRIPTED, Arena, Outcome
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tanks import behaviour, duel, reference, sim
from arena.arenas.tanks.params import PARAMS
from arena.arenas.tanks.state import FINISHED, FITNESS, TICK, X, Y, as_seeds, new_state
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.spec import ArenaSpec, RoleSpec

OBSERVATION = (
    tuple(f"ray_{k}" for k in range(PARAMS.n_rays))
    + tuple(f"point_{k}_{part}" for k in range(PARAMS.sensed_points) for part in ("cos", "sin", "distance"))
    + ("tank_cos", "tank_sin", "tank_distance", "speed")
)
SPEC = ArenaSpec(
    name="tanks",
    version=1,
    roles=(
        RoleSpec(
            name="tank",
            observation=OBSERVATION,
            action=("left", "right"),
            action_kind="continuous",
            output_activation="tanh",
            hidden_activation="tanh",
            default_hidden=(10,),
        ),
    ),
    description="differential-drive tanks catch points among walls, alone or against greedy rivals",
)
RIVAL = "rival"  # the key, in `nets`, observations and actions, of the network driving tank 1 in a duel


@dataclass
class TanksOutcome(Outcome):
    """`Outcome` of duels, plus caught: int64[n_envs, 2], the points of tank 0 and of tank 1."""

    caught: np.ndarray = None


# What the kernels take in place of a network when tank 0 drives by the greedy policy: any
# dense batch has the right numba types, and it is never read.
_NO_NETWORK = compile_mlp(MLPSpec((sim.N_INPUTS, 2), ("tanh",)), np.zeros((0, 2 * sim.N_INPUTS + 2), np.float32))


class TanksArena(Arena):
    spec = SPEC
    default_level_name = "2-pillars.json"
    reference = reference
    level_module = tanks_level
    behaviour = behaviour

    def max_ticks(self, level) -> int:
        return sim.max_ticks_for(level)

    def short_level(self, level):
        return tanks_level.short(level)

    def rollout(self, level, nets, seeds, max_ticks=None) -> Outcome:
        """nets {"tank": NetBatch or SCRIPTED}; with SCRIPTED, `seeds` gives the number of environments.
        A duel: {"tank": NetBatch, RIVAL: NetBatch} on a two-tank field, a `TanksOutcome`."""
        if RIVAL in nets:
            n = nets["tank"].size
            state = self.reset(level, n, as_seeds(seeds, n))
            self._advance(level, state, nets, {k: net.arrays() for k, net in nets.items()},
                          (max_ticks or self.max_ticks(level)) + 1, np.zeros((0, 0, 2), np.float32), 0, max_ticks)
            return self.duel_outcome(state)
        net = nets["tank"]
        scripted = net is SCRIPTED
        if scripted:
            if seeds is None:
                raise ValueError("a scripted rollout needs seeds (one per environment)")
            net = _NO_NETWORK
        n = len(seeds) if scripted else net.size
        fitness, finished, ticks = self.empty_results(n)
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        sim.rollout_kernel(lv, net.arrays(), net.scratch_width(), scripted, as_seeds(seeds, n),
                           fitness, finished, ticks)
        return Outcome({"tank": fitness}, {"tank": finished}, ticks)

    def reset(self, level, n_envs, seeds=None):
        state = new_state(level, n_envs, seeds)
        sim.spawn_kernel(sim.level_arrays(level, self.max_ticks(level)), state.point, state.count, state.seed)
        return state

    def observe(self, level, state):
        """{"tank": float32[n, N_INPUTS]}; on a duel's field also RIVAL: what tank 1 senses (itself first)."""
        lv = sim.level_arrays(level, self.max_ticks(level))
        obs = {}
        for key, tanks in (("tank", state.tank), (RIVAL, state.tank[:, ::-1] if level.duel else None)):
            if tanks is not None:
                obs[key] = np.zeros((state.tank.shape[0], sim.N_INPUTS), dtype=np.float32)
                sim.observe_kernel(lv, np.ascontiguousarray(tanks), state.point, state.flag, obs[key])
        return obs

    def step(self, level, state, actions, max_ticks=None):
        """actions {"tank": float32[n, 2] (left, right), or None for the greedy policy}; a duel
        also gives RIVAL, tank 1's (left, right)."""
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        if actions.get(RIVAL) is not None:
            _check_duel_field(level)
            duel.duel_step_kernel(lv, state.tank, state.point, state.caught, state.count, state.real, state.flag,
                                  state.seed, np.ascontiguousarray(actions["tank"], np.float32),
                                  np.ascontiguousarray(actions[RIVAL], np.float32))
            return
        out = actions.get("tank")
        scripted = out is None
        out = np.zeros((state.tank.shape[0], 2), np.float32) if scripted else np.ascontiguousarray(out, np.float32)
        sim.step_kernel(lv, state.tank, state.point, state.caught, state.count, state.real, state.flag, state.seed,
                        out, scripted)

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every, max_ticks=None):
        lv = sim.level_arrays(level, max_ticks or self.max_ticks(level))
        if RIVAL in nets:
            _check_duel_field(level)
            duel.duel_kernel(lv, state, arrays["tank"], nets["tank"].scratch_width(), arrays[RIVAL],
                             nets[RIVAL].scratch_width(), n_ticks, trail, trail_every)
            return
        scripted = nets["tank"] is SCRIPTED
        net = _NO_NETWORK if scripted else nets["tank"]
        sim.advance_kernel(lv, state, net.arrays() if scripted else arrays["tank"], net.scratch_width(), scripted,
                           n_ticks, trail, trail_every)

    def positions(self, state):
        """float64[n_envs, 2]: the network tank of each environment (`state.tank` has every tank)."""
        return state.tank[:, 0, X:Y + 1]

    def duel_outcome(self, state) -> TanksOutcome:
        outcome = self.outcome(state)
        return TanksOutcome(outcome.fitness, outcome.finished, outcome.ticks, state.caught.copy())

    def outcome(self, state) -> Outcome:
        return Outcome(
            {"tank": state.real[:, FITNESS].copy()},
            {"tank": state.flag[:, FINISHED].copy()},
            state.count[:, TICK].copy(),
        )


def _check_duel_field(level) -> None:
    if not level.duel or level.n_tanks != 2:
        raise ValueError(f"{level.name!r} is no duel's field (see arena.matches.duel.duel_level)")


REGISTRY.register("tanks", TanksArena())

"""The cart-pole arena (seed 003, and the NEAT paper's benchmark): balance one or two poles on a cart.

See `sim` for the physics, the inputs and the fitness rules, and `level` for the variants.
"""

import numpy as np

from arena.arenas import REGISTRY
from arena.arenas.base import Arena, Outcome
from arena.arenas.cartpole import level as cartpole_level
from arena.arenas.cartpole import reference, sim
from arena.arenas.cartpole.state import initial_states, new_state
from arena.core.spec import ArenaSpec, RoleSpec

SPEC = ArenaSpec(
    name="cartpole",
    version=1,
    roles=(
        RoleSpec(
            name="pole",
            # Always all six, whatever the variant: absent ones read 0 (see `sim`).
            observation=("cart_position", "cart_velocity", "pole_1_angle", "pole_1_angular_velocity",
                         "pole_2_angle", "pole_2_angular_velocity"),
            action=("force",),
            action_kind="continuous",
            output_activation="sigmoid",
            hidden_activation="tanh",
            default_hidden=(8,),
        ),
    ),
    description="balance one or two poles on a cart (Wieland's double pole, the NEAT benchmark)",
)


class CartpoleArena(Arena):
    spec = SPEC
    default_level_name = "2-double-velocities.json"
    reference = reference
    level_module = cartpole_level

    def max_ticks(self, level) -> int:
        return level.max_steps

    def short_level(self, level):
        return cartpole_level.short(level)

    def rollout(self, level, nets, seeds, max_ticks=None) -> Outcome:
        """`max_ticks` (if given) replaces the level's `max_steps` as the ticks to balance."""
        net = nets["pole"]
        fitness, finished, ticks = self.empty_results(net.size)
        start = initial_states(level, net.size, seeds)
        lv = sim.level_tuple(level, max_ticks or level.max_steps)
        sim.rollout_kernel(lv, start, net.arrays(), net.scratch_width(), fitness, finished, ticks)
        return Outcome({"pole": fitness}, {"pole": finished}, ticks)

    def reset(self, level, n_envs, seeds=None):
        return new_state(level, n_envs, seeds)

    def observe(self, level, state):
        obs = np.zeros((state.physical.shape[0], sim.N_INPUTS), dtype=np.float32)
        sim.observe_kernel(sim.level_tuple(level, level.max_steps), state.physical, state.alive, obs)
        return {"pole": obs}

    def step(self, level, state, actions, max_ticks=None):
        out = np.ascontiguousarray(actions["pole"], dtype=np.float32)
        lv = sim.level_tuple(level, max_ticks or level.max_steps)
        sim.step_kernel(lv, state.physical, state.tick, state.balanced, state.alive, state.finished,
                        state.fitness, state.jiggle, out)

    def _advance(self, level, state, nets, arrays, n_ticks, trail, trail_every):
        net = nets["pole"]
        sim.advance_kernel(sim.level_tuple(level, level.max_steps), state.physical, state.tick, state.balanced,
                           state.alive, state.finished, state.fitness, state.jiggle, arrays["pole"],
                           net.scratch_width(), np.int64(n_ticks), np.zeros((net.size, 1), dtype=np.float32),
                           trail, np.int64(trail_every))

    def positions(self, state):
        """(cart position, 0) of each cart, metres."""
        return np.stack([state.physical[:, 0], np.zeros(state.physical.shape[0])], axis=1)

    def outcome(self, state) -> Outcome:
        return reference.outcome(state)


REGISTRY.register("cartpole", CartpoleArena())

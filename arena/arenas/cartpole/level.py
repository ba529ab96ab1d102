"""Cart-pole levels: which variant of the pole-balancing task, and how long to balance.

File (every field but `poles` may be left out and then takes the NEAT paper's value):

    {"format": "arena.level", "version": 1, "arena": "cartpole", "name": "double",
     "poles": 2,                  1 or 2
     "velocities": true,          whether the network senses the velocities (false: they read 0)
     "max_steps": 100000,         ticks (0.02 s) to balance to finish
     "failure_angle_deg": 36,     a pole further from upright than this ends the run
     "initial_state": [0, 0, 0.07, 0, 0, 0],   x (m), x' (m/s), theta_1, theta_1' (rad, rad/s),
                                               theta_2, theta_2'
     "half_lengths": [0.5, 0.05], m, one per pole; each pole weighs 0.2 kg per metre of half-length
     "perturbation": 0.0,         per-environment noise on the initial state (see `state.py`)
     "fitness": "steps"}          "steps" (ticks balanced) or "gruau" (Gruau's anti-jiggle fitness)
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from arena.arenas.cartpole.params import N_STATE, PARAMS
from arena.arenas.levelfile import (
    check_header, read_level_json, refuse_unknown_fields, require_bool, require_choice, require_int,
    require_number, require_numbers,
)
from arena.core.errors import LevelError
from arena.core.fileio import write_json
from arena.core.seeding import STREAM_LEVEL, rng

FITNESS_RULES = ("steps", "gruau")
DEFAULT_FAILURE_ANGLE_DEG = {1: 12.0, 2: 36.0}  # classic single pole; Wieland's double pole
FIELDS = ("format", "version", "arena", "name", "poles", "velocities", "max_steps", "failure_angle_deg",
          "initial_state", "half_lengths", "perturbation", "fitness")


@dataclass(frozen=True)
class CartpoleLevel:
    name: str
    poles: int  # 1 or 2
    velocities: bool  # whether the velocity inputs are given (the Markovian task) or read 0
    max_steps: int  # ticks balanced to finish
    failure_angle_deg: float  # degrees from upright at which a pole has fallen
    initial_state: tuple  # 6 floats: x, x', theta_1, theta_1', theta_2, theta_2' (m, m/s, rad, rad/s)
    half_lengths: tuple  # metres, one per pole
    perturbation: float = 0.0  # half-width of the initial-state noise, as a fraction of the input scales
    fitness: str = "steps"  # "steps" or "gruau"

    @property
    def failure_angle(self) -> float:
        """Radians."""
        return float(np.deg2rad(self.failure_angle_deg))

    @property
    def masses(self) -> tuple:
        """kg, one per pole, from the half-lengths (uniform poles of one material)."""
        return tuple(PARAMS.pole_density * h for h in self.half_lengths)


def _check(level: CartpoleLevel, source: str) -> CartpoleLevel:
    """Cross-field checks of a level whose fields each passed their own."""
    x, _, theta_1, _, theta_2, omega_2 = level.initial_state
    if abs(x) > PARAMS.track_limit:
        raise LevelError(f"{source}: field 'initial_state' puts the cart at {x} m, off the track (+-{PARAMS.track_limit} m)")
    limit = level.failure_angle
    if abs(theta_1) > limit or abs(theta_2) > limit:
        raise LevelError(
            f"{source}: field 'initial_state' starts a pole beyond the failure angle ({level.failure_angle_deg} degrees)"
        )
    if level.poles == 1 and (theta_2 != 0.0 or omega_2 != 0.0):
        raise LevelError(f"{source}: field 'initial_state' moves a second pole, but the level has 1 pole")
    return level


def from_data(data, source: str) -> CartpoleLevel:
    """Validate parsed JSON `data`; `source` names the file in messages."""
    check_header(data, "cartpole", source)
    refuse_unknown_fields(data, FIELDS, source)
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise LevelError(f"{source}: field 'name' must be text")
    poles = require_int(data, "poles", source, minimum=1, maximum=2)
    velocities = require_bool(data, "velocities", source, default=True)
    max_steps = require_int(data, "max_steps", source, minimum=1, maximum=PARAMS.max_level_steps,
                            default=PARAMS.default_max_steps)
    angle = require_number(data, "failure_angle_deg", source, minimum=0.0, exclusive=True, maximum=90.0,
                           default=DEFAULT_FAILURE_ANGLE_DEG[poles])
    initial = require_numbers(data, "initial_state", source, N_STATE, default=PARAMS.default_initial_state)
    if "half_lengths" in data:
        half_lengths = require_numbers(data, "half_lengths", source, poles)
    else:
        half_lengths = PARAMS.default_half_lengths[:poles]
    low, high = PARAMS.half_length_range
    for h in half_lengths:
        if not low <= h <= high:
            raise LevelError(f"{source}: field 'half_lengths' has {h} m, needs {low} to {high} m")
    perturbation = require_number(data, "perturbation", source, minimum=0.0, maximum=1.0, default=0.0)
    fitness = require_choice(data, "fitness", source, FITNESS_RULES, default="steps")
    level = CartpoleLevel(name, poles, velocities, max_steps, angle, initial, tuple(half_lengths),
                          perturbation, fitness)
    return _check(level, source)


def load(path) -> CartpoleLevel:
    return from_data(read_level_json(path), str(path))


def to_data(level: CartpoleLevel) -> dict:
    return {
        "format": "arena.level",
        "version": 1,
        "arena": "cartpole",
        "name": level.name,
        "poles": level.poles,
        "velocities": level.velocities,
        "max_steps": level.max_steps,
        "failure_angle_deg": level.failure_angle_deg,
        "initial_state": [float(v) for v in level.initial_state],
        "half_lengths": [float(v) for v in level.half_lengths],
        "perturbation": level.perturbation,
        "fitness": level.fitness,
    }


def save(level: CartpoleLevel, path) -> None:
    write_json(path, to_data(level), LevelError)


def make(name: str, poles: int, velocities: bool = True, **fields) -> CartpoleLevel:
    """A level with the paper's values for every field not given."""
    values = dict(
        max_steps=PARAMS.default_max_steps,
        failure_angle_deg=DEFAULT_FAILURE_ANGLE_DEG[poles],
        initial_state=PARAMS.default_initial_state,
        half_lengths=PARAMS.default_half_lengths[:poles],
    )
    values.update(fields)
    level = CartpoleLevel(name, poles, velocities, **values)
    return _check(level, name)


def builtin() -> list:
    """The built-in levels, easiest first; each is named as its file."""
    return [
        make("1-single", 1),
        # The NEAT paper's benchmark: both poles, velocities sensed, 100,000 ticks.
        make("2-double-velocities", 2),
        # Without velocities a network must estimate them (recurrence, or a clever feed-forward
        # trick); the paper evolves it for 1,000 ticks with Gruau's fitness, which rewards
        # balancing without jiggling the cart back and forth ...
        make("3-double-no-velocities", 2, velocities=False, max_steps=1000, fitness="gruau"),
        # ... and counts a network as a solution once it also balances 100,000 ticks.
        make("4-double-no-velocities-long", 2, velocities=False),
    ]


def short(level: CartpoleLevel) -> CartpoleLevel:
    """`level` ending after at most `PARAMS.short_steps` ticks."""
    return replace(level, max_steps=min(level.max_steps, PARAMS.short_steps))


def generate(seed: int, poles: int = 2, velocities: bool = True) -> CartpoleLevel:
    """A held-out level: random start (cart off-centre, both poles tilted and moving) and pole lengths.

    Ranges stay inside what a good controller recovers from: the cart within 1 m of the
    centre, the long pole within 0.1 rad (~6 degrees) and the short one within 0.05 rad.
    """
    g = rng(seed, STREAM_LEVEL)
    u = g.uniform(-1.0, 1.0, size=N_STATE) * np.array([1.0, 0.5, 0.1, 0.2, 0.05, 0.2])
    half_lengths = (float(g.uniform(0.4, 0.6)), float(g.uniform(0.04, 0.08)))
    if poles == 1:
        u[4:] = 0.0
    return make(f"generated-{seed}", poles, velocities, initial_state=tuple(float(v) for v in u),
                half_lengths=half_lengths[:poles])

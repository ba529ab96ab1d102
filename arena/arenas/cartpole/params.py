"""Constants of the cart-pole arena: Wieland's cart with one or two poles, as in the NEAT paper."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CartpoleParams:
    cart_mass: float = 1.0  # kg
    pole_density: float = 0.2  # kg per metre of half-length: 0.1 kg at 0.5 m, 0.01 kg at 0.05 m
    gravity: float = 9.8  # m/s^2, magnitude (see `sim` for the sign the equations take)
    hinge_friction: float = 0.000002  # mu_p, friction coefficient of the pole hinges
    force_magnitude: float = 10.0  # N; force = force_magnitude * (2 * output - 1)
    tau: float = 0.01  # s, one Runge-Kutta step
    substeps: int = 2  # Runge-Kutta steps per network decision: a tick is 0.02 s
    track_limit: float = 2.4  # m; the cart leaving [-limit, limit] ends the run
    observation_scale: tuple = (4.8, 2.0, 0.52, 2.0, 0.52, 2.0)  # inputs are state / scale (the paper's)
    default_half_lengths: tuple = (0.5, 0.05)  # m, long pole then short pole
    default_initial_state: tuple = (0.0, 0.0, 0.07, 0.0, 0.0, 0.0)  # the paper's: long pole at ~4 degrees
    default_max_steps: int = 100_000  # ticks to balance (the paper's test length, ~33 minutes)
    gruau_window: int = 100  # ticks whose jiggle the Gruau fitness sums
    gruau_floor: float = 1e-6  # smallest jiggle sum divided by, so a perfectly still cart scores finitely
    max_level_steps: int = 10_000_000  # longest level a file may ask for
    half_length_range: tuple = (0.005, 5.0)  # m, allowed half-lengths of a pole in a level file
    short_steps: int = 500  # ticks of the short levels the contract checks step through from Python


PARAMS = CartpoleParams()
N_STATE = 6  # x (m), x' (m/s), theta_1 (rad), theta_1' (rad/s), theta_2 (rad), theta_2' (rad/s)

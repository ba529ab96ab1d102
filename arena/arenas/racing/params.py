"""Constants of the racing arena. Units: metres, seconds, radians."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RacingParams:
    n_rays: int = 7  # distance sensors, spread evenly over `ray_spread`
    ray_spread: float = np.pi  # angle between the outermost rays (180 degrees)
    ray_range: float = 60.0  # a ray reads 1.0 when no wall is within this distance
    dt: float = 1.0 / 60.0  # seconds per tick
    max_speed: float = 30.0
    acceleration: float = 14.0  # at full throttle, m/s^2
    braking: float = 28.0  # at full brake, m/s^2
    drag: float = 0.2  # speed lost per second, as a fraction of speed
    steer_rate: float = 2.2  # heading change at full lock, rad/s
    grip_speed: float = 6.0  # below this speed steering fades out (no turning on the spot)
    lateral_grip: float = 10.0  # sideways acceleration the tyres hold, m/s^2: fast cars turn wide
    car_radius: float = 1.0  # a car touching a wall (closer than this) is out
    grid_cell: float = 0.5  # cell size of the distance field
    spline_spacing: float = 1.0  # distance between centreline samples
    march_epsilon: float = 0.4  # a ray stops closer than this to a wall
    march_steps: int = 64  # a ray gives up (reads what it has) after this many steps
    checkpoint_spacing: float = 10.0  # progress needed to reset the stall timer
    stall_seconds: float = 3.0  # a car that reaches no new checkpoint for this long is out
    min_average_speed: float = 5.0  # the time limit is laps * lap length / this speed
    min_width: float = 4.0  # narrowest allowed track
    max_width: float = 60.0  # widest allowed track
    max_control_points: int = 2000
    max_extent: float = 5000.0  # coordinates must stay within +-this


PARAMS = RacingParams()

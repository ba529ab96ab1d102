"""Constants of the tanks arena. Units: metres, seconds, radians."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TanksParams:
    n_rays: int = 7  # wall-distance sensors, spread evenly over `ray_spread`
    ray_spread: float = np.pi  # angle between the outermost rays (180 degrees)
    ray_range: float = 20.0  # a ray reads 1.0 when no wall is within this distance
    sensed_points: int = 2  # a tank senses the direction and distance of this many nearest points
    point_range: float = 40.0  # a sensed point or tank distance reads 1.0 at or beyond this
    dt: float = 1.0 / 60.0  # seconds per tick
    max_speed: float = 8.0  # both tracks full forward, m/s
    turn_rate: float = 4.0  # tracks full in opposite directions, rad/s
    tank_radius: float = 1.0  # a tank's centre never comes closer than this to a wall
    catch_radius: float = 1.5  # a point is caught when a tank's centre comes this close
    grid_cell: float = 0.5  # cell size of the clearance grid
    march_epsilon: float = 0.3  # a ray stops closer than this to a wall
    march_steps: int = 32  # a ray gives up (reads what it has) after this many steps
    spawn_tries: int = 32  # rejection-sampling tries of a point spawn before its region's fallback spot
    closeness_range: float = 30.0  # the fitness tie-breaker counts closeness to a point within this
    tie_break: float = 0.5  # weight of the tie-breaker (below 1, so points always count more)
    greedy_gain: float = 2.0  # the greedy tank turns at full rate once the target is this far off (1/sin)
    min_field: float = 10.0  # smallest field side
    max_field: float = 300.0  # largest field side
    max_walls: int = 200
    max_wall_lines: int = 50
    max_line_points: int = 64  # points of one wall line
    max_wall_points: int = 1000  # points of all wall lines together: each segment is a pass over the clearance grid
    min_line_thickness: float = 0.2  # a wall line's full width
    max_line_thickness: float = 10.0
    max_regions: int = 50
    max_points_active: int = 8
    max_rivals: int = 3
    max_seconds: float = 600.0
    max_target: int = 100_000


PARAMS = TanksParams()

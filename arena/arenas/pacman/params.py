"""Constants of the pacman arena. Units: cells and ticks.

Speeds are fixed point, in `speed_unit`-ths of a cell a tick: an agent adds its speed to a
counter every tick and moves one cell each time the counter reaches `speed_unit`, so the numba
kernels and the numpy reference move agents on exactly the same ticks.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PacmanParams:
    speed_unit: int = 20  # a speed of speed_unit is one cell a tick
    pacman_speed: int = 20  # Pac-Man moves every tick
    ghost_speed: int = 18  # ghosts 0.9 cells a tick: Pac-Man can outrun one, not a pincer
    frightened_speed: int = 10  # frightened ghosts half speed
    pellet_points: int = 10
    power_points: int = 50
    ghost_points: int = 200  # the first ghost eaten in one power period; each next one doubles it
    max_ghost_doublings: int = 3  # 200, 400, 800, 1600, then 1600 again
    clear_bonus: int = 1000  # for eating every pellet ...
    clear_time_bonus: int = 1000  # ... plus this times the unused fraction of the time limit
    power_ticks: int = 60  # how long ghosts stay frightened after a power pellet
    release_gap: int = 20  # ghost g leaves home g * release_gap ticks after the start
    respawn_ticks: int = 30  # an eaten ghost waits this long at its start cell
    # The arcade's first level: scatter 7 s, chase 20 s, scatter 7 s, chase 20 s, scatter 5 s,
    # chase 20 s, scatter 5 s, then chase for good; at ~10 cells a second, 10 ticks a second.
    schedule: tuple = (70, 200, 70, 200, 50, 200, 50)
    base_ticks: int = 300  # time limit of a game: base_ticks + ticks_per_pellet * pellets
    ticks_per_pellet: int = 6
    starve_ticks: int = 300  # a game also ends after this many ticks without a pellet eaten
    survival_points: float = 10.0  # Pac-Man's fitness adds this times the fraction of the time limit played
    near_decay: float = 0.8  # closeness inputs of ghosts are near_decay ** path distance: sharp
    far_decay: float = 0.9  # ... of power pellets and Pac-Man, far_decay ** path distance: gentler
    pinky_ahead_input: int = 4  # the ghosts' `ahead` input aims this many cells ahead of Pac-Man
    clyde_radius: int = 8  # Clyde chases only from further away than this (straight line, cells)
    pinky_ahead: int = 4  # Pinky aims this many cells ahead of Pac-Man
    inky_ahead: int = 2  # Inky doubles the vector from Blinky to this many cells ahead of Pac-Man
    max_side: int = 64  # widest and tallest maze, cells
    max_cells: int = 2048  # most cells in play (the distance table is max_cells^2 int16)


PARAMS = PacmanParams()

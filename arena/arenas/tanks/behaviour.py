"""Behaviour descriptors of tanks, for novelty search: the cells of an 8 x 8 grid over the
field that the network tank drove through (1) or not (0). Two runs' distance is the square
root of the number of cells one visited and the other did not."""

import numpy as np

from arena.arenas.behaviour import visited_cells
from arena.arenas.tanks.state import TICK, X, Y

CELLS = 8
SIZES = {"tank": CELLS * CELLS}
# about four cells apart from its nearest neighbours
INITIAL_THRESHOLD = {"tank": 2.0}


def describe(level, state, trail, trail_every) -> dict:
    ends = state.tank[:, 0, X:Y + 1].astype(np.float64)
    cells = visited_cells(trail, trail_every, state.count[:, TICK], ends, (0.0, 0.0), (level.width, level.height),
                          CELLS)
    return {"tank": cells}

"""Behaviour descriptors of Pac-Man games, for novelty search.

pacman: where he went and what he ate: the fraction of the dots eaten in each block of a 6 x 6
grid over the maze, the fraction of the power pellets eaten, and the cell he ended in (column
and row as fractions of the maze's). ghost: where the four ghosts ended (the same way), whether
they caught him, and when, as a fraction of the time limit.
"""

import numpy as np

from arena.arenas.pacman.state import CATCH_TICK, CAUGHT, DOT, G_CELL, N_GHOSTS, PAC_COL, PAC_ROW, POWER

BLOCKS = 6
SIZES = {"pacman": BLOCKS * BLOCKS + 3, "ghost": 2 * N_GHOSTS + 2}
INITIAL_THRESHOLD = {"pacman": 0.5, "ghost": 0.3}


def describe(level, state, trail, trail_every) -> dict:
    n = state.count.shape[0]
    block = (level.cell_row.astype(np.int64) * BLOCKS // level.rows) * BLOCKS + \
        level.cell_col.astype(np.int64) * BLOCKS // level.cols
    dots = level.pellets == DOT
    eaten = dots[None, :] & (state.pellet != DOT)
    per_block = np.zeros((n, BLOCKS * BLOCKS))
    np.add.at(per_block.T, block[dots], eaten[:, dots].T)  # eaten dots per block, per game
    in_block = np.bincount(block[dots], minlength=BLOCKS * BLOCKS)
    per_block /= np.maximum(in_block, 1)
    powers = level.pellets == POWER
    power_eaten = (powers[None, :] & (state.pellet != POWER)).sum(axis=1) / max(int(powers.sum()), 1)
    pacman = np.column_stack([per_block, power_eaten, state.count[:, PAC_COL] / level.cols,
                              state.count[:, PAC_ROW] / level.rows])
    ghost_cells = state.ghost[:, :N_GHOSTS, G_CELL]
    ghosts = np.column_stack([level.cell_col[ghost_cells] / level.cols, level.cell_row[ghost_cells] / level.rows,
                              state.flag[:, CAUGHT], np.where(state.flag[:, CAUGHT], state.count[:, CATCH_TICK], 0)
                              / level.max_ticks])
    return {"pacman": pacman.astype(np.float32), "ghost": ghosts.astype(np.float32)}

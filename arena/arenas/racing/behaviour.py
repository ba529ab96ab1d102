"""Behaviour descriptors of racing cars, for novelty search: where a car was at eight even
moments of its time limit, the last of them where its run ended (the descriptor of Lehman and
Stanley's maze runs, with the way there). Coordinates are fractions of the level's longest
side, and the vector is divided by sqrt(8), so a distance between two descriptors is the
root mean square of the distances between the cars at those moments."""

import numpy as np

from arena.arenas.behaviour import sampled_positions

SAMPLES = 8
SIZES = {"driver": 2 * SAMPLES}
# a car ending ~3 % of the level's size from every other run (a few metres on a 150 m track) is new
INITIAL_THRESHOLD = {"driver": 0.03}


def describe(level, state, trail, trail_every) -> dict:
    ends = np.stack([state.x, state.y], axis=1)
    positions = sampled_positions(trail, trail_every, state.ticks, ends, SAMPLES)
    ny, nx = level.clearance.shape
    scale = 1.0 / (max(nx, ny) * level.cell * np.sqrt(SAMPLES))
    out = (positions - np.asarray(level.origin)) * scale
    return {"driver": out.reshape(len(ends), -1).astype(np.float32)}

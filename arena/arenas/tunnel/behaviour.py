"""Behaviour descriptors of tunnel drivers, for novelty search: the point's height at eight
even moments of its run, the last where it ended, with the column it was in (a column is a
tick). Columns are fractions of the playable ones and heights of the tunnel's vertical span;
the vector is divided by sqrt(8), so a distance is the root mean square of the distances
between the points at those moments."""

import numpy as np

from arena.arenas.behaviour import sampled_positions

SAMPLES = 8
SIZES = {"driver": 2 * SAMPLES}
INITIAL_THRESHOLD = {"driver": 0.03}


def describe(level, state, trail, trail_every) -> dict:
    ends = np.stack([state.col.astype(np.float64), state.p], axis=1)
    positions = sampled_positions(trail, trail_every, state.col, ends, SAMPLES)
    low, high = float(level.bottom.min()), float(level.top.max())
    positions[..., 0] /= max(level.playable_columns, 1)
    positions[..., 1] = (positions[..., 1] - low) / max(high - low, 1e-9)
    return {"driver": (positions / np.sqrt(SAMPLES)).reshape(len(ends), -1).astype(np.float32)}

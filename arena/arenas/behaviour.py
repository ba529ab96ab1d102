"""What the arenas' behaviour descriptors (novelty search) share: reading a run's trail.

A trail is what `Arena.advance` records: slot k holds the position after tick k * every
(slot 0 the position after reset), written while the run goes on. A run that ended at tick t
has valid slots k * every <= t; the later slots are empty, and stand for where it ended.
"""

import numpy as np


def valid_slots(trail_every: int, slots: int, ticks: np.ndarray) -> np.ndarray:
    """bool[n, slots]: the slots each run wrote (the runs ended at `ticks` int64[n])."""
    return np.arange(slots)[None, :] * trail_every <= ticks[:, None]


def sampled_positions(trail: np.ndarray, trail_every: int, ticks: np.ndarray, ends: np.ndarray,
                      samples: int) -> np.ndarray:
    """float64[n, samples, 2]: each run's position at 1/samples, 2/samples, ..., 1 of its time
    limit (the trail's last slot), or where it ended if that was earlier. ends: float64[n, 2]."""
    slots = trail.shape[1]
    picked = ((np.arange(samples) + 1) * (slots - 1)) // samples
    out = trail[:, picked].astype(np.float64)
    gone = picked[None, :] * trail_every > ticks[:, None]
    out[gone] = np.broadcast_to(ends[:, None, :], out.shape)[gone]
    return out


def visited_cells(trail: np.ndarray, trail_every: int, ticks: np.ndarray, ends: np.ndarray,
                  lo, hi, cells: int) -> np.ndarray:
    """float32[n, cells * cells]: 1 for each cell of a cells x cells grid over the box lo .. hi
    that a run's trail (its valid slots and its end) passed through, else 0."""
    n, slots = trail.shape[:2]
    lo = np.asarray(lo, dtype=np.float64)
    size = np.maximum(np.asarray(hi, dtype=np.float64) - lo, 1e-9)
    points = np.concatenate([trail.astype(np.float64), ends[:, None, :]], axis=1)
    valid = np.concatenate([valid_slots(trail_every, slots, ticks), np.ones((n, 1), dtype=bool)], axis=1)
    cell = np.clip(((points - lo) / size * cells).astype(np.int64), 0, cells - 1)
    index = cell[..., 1] * cells + cell[..., 0]
    out = np.zeros((n, cells * cells), dtype=np.float32)
    rows = np.broadcast_to(np.arange(n)[:, None], index.shape)
    out[rows[valid], index[valid]] = 1.0
    return out

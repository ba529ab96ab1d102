"""Tunnel levels: a top wall height per column and a constant gap to the bottom wall.

File: `{"format": "arena.level", "version": 1, "arena": "tunnel", "top": [floats], "gap": 1.0}`.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.arenas.levelfile import (
    check_header,
    is_finite_number,
    read_level_json,
    require_number,
    short_repr,
)
from arena.arenas.tunnel.params import LOOKAHEAD, PARAMS
from arena.core.errors import LevelError
from arena.core.fileio import write_json
from arena.core.seeding import STREAM_LEVEL, rng

MIN_COLUMNS = LOOKAHEAD + 2


@dataclass(frozen=True)
class TunnelLevel:
    name: str
    top: np.ndarray  # float64[n_columns], height of the top wall per column
    gap: float  # bottom wall = top - gap

    @property
    def bottom(self) -> np.ndarray:
        return self.top - self.gap

    @property
    def playable_columns(self) -> int:
        """Columns a driver must survive to finish: the last ones only serve as look-ahead."""
        return self.top.shape[0] - LOOKAHEAD


def from_data(data, source: str) -> TunnelLevel:
    """Validate parsed JSON `data`; `source` names the file in messages."""
    check_header(data, "tunnel", source)
    top = data.get("top")
    if not isinstance(top, list):
        raise LevelError(f"{source}: field 'top' must be a list of numbers")
    if not MIN_COLUMNS <= len(top) <= PARAMS.max_level_length:
        raise LevelError(
            f"{source}: field 'top' has {len(top)} columns, needs {MIN_COLUMNS} to {PARAMS.max_level_length}"
        )
    for i, value in enumerate(top):
        if not is_finite_number(value):  # not np.isfinite: it raises TypeError on a huge JSON integer
            raise LevelError(f"{source}: field 'top' column {i} is {short_repr(value)}, not a finite number")
    gap = require_number(data, "gap", source, minimum=0.0, exclusive=True)
    if not top[0] - gap <= 0.0 <= top[0]:
        raise LevelError(f"{source}: the start height 0 is outside the walls at column 0 (top {short_repr(top[0])}, gap {gap})")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise LevelError(f"{source}: field 'name' must be text")
    return TunnelLevel(name, np.array(top, dtype=np.float64), float(gap))


def load(path) -> TunnelLevel:
    return from_data(read_level_json(path), str(path))


def to_data(level: TunnelLevel) -> dict:
    return {
        "format": "arena.level",
        "version": 1,
        "arena": "tunnel",
        "name": level.name,
        "top": [float(v) for v in level.top],
        "gap": level.gap,
    }


def save(level: TunnelLevel, path) -> None:
    write_json(path, to_data(level), LevelError)


def gaussian_filter1d(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing with reflected edges (as scipy.ndimage's default), truncated at 4 sigma."""
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values, radius, mode="symmetric")
    return np.convolve(padded, kernel, mode="valid")


def classic() -> TunnelLevel:
    """Seed 001's 400-column training track."""
    xx = np.arange(0, 400)
    freq = np.exp(-((xx / 10 - 20) ** 2) / 100)
    par = (xx / 10 - 25) ** 2 / 100
    top = np.sin(xx / 10 * freq) * 0.5 + 0.1 + np.sin(xx / 10) + par
    return TunnelLevel("classic", top - top[0] + 0.5, 1.0)


def generate(seed: int, length: int = PARAMS.generated_length) -> TunnelLevel:
    """A harder test track like seed 001's: gaussian-filtered uniform noise, scaled."""
    noise = rng(seed, STREAM_LEVEL).random(length)
    top = gaussian_filter1d(noise, PARAMS.generated_sigma) * PARAMS.generated_scale
    return TunnelLevel(f"generated-{seed}", top - top[0] + 0.5, 1.0)

"""Pictures to files: PNGs written atomically, from pygame Surfaces or RGBA pixel arrays."""

import io
from pathlib import Path

import numpy as np
import pygame

from arena.core.fileio import atomic_write_bytes


def surface_of(pixels: np.ndarray) -> pygame.Surface:
    """A Surface (with alpha) of uint8[height, width, 4] RGBA pixels."""
    height, width = pixels.shape[:2]
    return pygame.image.frombuffer(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes(), (width, height),
                                   "RGBA").copy()


def save_png(surface: pygame.Surface, out, error_class) -> None:
    """Write `surface` to `out` as a PNG, atomically: a reader sees the old file or the new one.
    Any failure is one `error_class` naming the file."""
    out = Path(out)
    if not out.parent.is_dir():
        raise error_class(f"{out}: cannot write: no folder {out.parent}")
    buffer = io.BytesIO()
    try:
        pygame.image.save(surface, buffer, "picture.png")
        atomic_write_bytes(out, buffer.getvalue())
    except (OSError, pygame.error) as exc:
        raise error_class(f"{out}: cannot write: {getattr(exc, 'strerror', None) or exc}") from None

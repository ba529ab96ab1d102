"""Pictures to files from pygame: Surfaces and RGBA pixel arrays, through the one PNG writer
(`arena.persist.pictures`)."""

import numpy as np
import pygame

from arena.persist.pictures import encode_png, write_picture


def surface_of(pixels: np.ndarray) -> pygame.Surface:
    """A Surface (with alpha) of uint8[height, width, 4] RGBA pixels."""
    height, width = pixels.shape[:2]
    return pygame.image.frombuffer(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes(), (width, height),
                                   "RGBA").copy()


def pixels_of(surface: pygame.Surface) -> np.ndarray:
    """uint8[height, width, 4] RGBA pixels of `surface`."""
    width, height = surface.get_size()
    return np.frombuffer(pygame.image.tobytes(surface, "RGBA"), dtype=np.uint8).reshape(height, width, 4)


def save_png(surface: pygame.Surface, out, error_class) -> None:
    """Write `surface` to `out` as a PNG, atomically, replacing what is there (callers check
    first); any failure is one `error_class` naming the file."""
    write_picture(out, encode_png(pixels_of(surface)), error_class, overwrite=True)

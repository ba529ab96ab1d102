"""Picture files without pygame: PNG (and GIF, with Pillow) bytes from RGBA pixel arrays, and
writing them atomically.

`encode_png` compresses with the GIL released, so a window on another thread keeps drawing while
a large picture is written (pygame's PNG writer holds the GIL for the whole picture, ~1 s at
3840x2160).
"""

import io
import os
import struct
import zlib
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from arena.core.errors import ArenaError, UsageError
from arena.core.fileio import atomic_write_bytes

GIF_FRAME_MS = 40  # 25 frames a second
PNG_BLOCK_ROWS = 64  # rows compressed at a time: the GIL is free between blocks and inside zlib
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """The PNG file of uint8[height, width, 4] RGBA pixels. Rows go through PNG's "up" filter (a
    row minus the one above: small numbers for smooth pictures) and zlib, a block at a time:
    zlib runs without the GIL, so a window on another thread keeps drawing (pygame's PNG writer
    holds the GIL for the whole picture, ~1 s at 3840x2160)."""
    height, width = pixels.shape[:2]
    rows = np.ascontiguousarray(pixels, dtype=np.uint8).reshape(height, width * 4)
    compressor = zlib.compressobj(6)
    parts = []
    above = np.zeros((1, width * 4), dtype=np.uint8)
    for top in range(0, height, PNG_BLOCK_ROWS):
        block = rows[top:top + PNG_BLOCK_ROWS]
        filtered = np.empty((block.shape[0], width * 4 + 1), dtype=np.uint8)
        filtered[:, 0] = 2  # filter type "up"
        np.subtract(block, np.vstack([above, block[:-1]]), out=filtered[:, 1:])  # wraps mod 256, as PNG wants
        above = block[-1:]
        parts.append(compressor.compress(filtered.tobytes()))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits a channel, RGBA
    return (_PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", b"".join(parts))
            + _png_chunk(b"IEND", b""))


def gif_supported() -> bool:
    """Whether GIFs can be written: pygame cannot, Pillow (the `gif` extra) can."""
    return find_spec("PIL") is not None


GIF_NEEDS_PILLOW = "writing a GIF needs Pillow (pip install 'neuroarena[gif]'); PNG frames need nothing more"


def encode_gif(frames, frame_ms: int = GIF_FRAME_MS) -> bytes:
    """An endlessly looping GIF of uint8[height, width, 4] RGBA frames, alpha flattened onto
    black (a GIF pixel is opaque or not at all); UsageError without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise UsageError(GIF_NEEDS_PILLOW) from None
    images = []
    for frame in frames:
        alpha = frame[..., 3:].astype(np.uint16)
        rgb = ((frame[..., :3].astype(np.uint16) * alpha + 127) // 255).astype(np.uint8)
        images.append(Image.fromarray(rgb, "RGB"))
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=frame_ms, loop=0)
    return buffer.getvalue()


def write_picture(path, data: bytes, error_class=ArenaError, overwrite: bool = False) -> None:
    """Write picture bytes to `path` atomically (a reader sees the old file or the new one); an
    existing file is refused unless `overwrite`. Failures are one `error_class` naming the file."""
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise error_class(f"{path}: already exists (not overwriting it)")
    if not path.parent.is_dir():
        raise error_class(f"{path}: cannot write: no folder {path.parent}")
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise error_class(f"{path}: cannot write: {exc.strerror or exc}") from None

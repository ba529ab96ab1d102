"""Paints a `arena.ui.netview.NetworkPicture` with legacy OpenGL, as an overlay.

Everything but the labels is triangles in one client-vertex-array draw, in painting order:
the translucent panel, the edges (quads: wide lines are not portable), then each node's
outline and fill discs on top. Labels are pygame font renders put on screen by glDrawPixels,
so no GL object outlives a call and one painter serves any context. Fixed-function calls only:
they work in a compatibility context on Mesa llvmpipe.
"""

import numpy as np
import pygame
from OpenGL import GL

DISC_SEGMENTS = 24
_F32 = np.float32
_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, DISC_SEGMENTS + 1)),
                    np.sin(np.linspace(0, 2 * np.pi, DISC_SEGMENTS + 1))], axis=1)  # closed: last == first
MAX_CACHED_LABELS = 1000

_fonts = {}  # font size -> pygame Font
_labels = {}  # (text, size, colour) -> (width, height, RGBA bytes, bottom row first)


def _coloured(triangles: np.ndarray, colours) -> tuple:
    """(float32[k * 3, 2] vertices, float32[k * 3, 4] colours) of triangles float[n, m, 3, 2]
    where shape m triangles of item i all get colour `colours[i]` (float[n, 4] or one RGBA)."""
    n, m = triangles.shape[:2]
    colours = np.broadcast_to(np.asarray(colours, dtype=_F32).reshape(-1, 4), (n, 4))
    return triangles.reshape(-1, 2).astype(_F32), np.repeat(colours, m * 3, axis=0)


def _discs(centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """float[n, DISC_SEGMENTS, 3, 2]: a fan of triangles per disc."""
    rim = centres[:, None, :] + radii[:, None, None] * _CIRCLE[None]
    centre = np.broadcast_to(centres[:, None, :], rim[:, 1:].shape)
    return np.stack([centre, rim[:, :-1], rim[:, 1:]], axis=2)


def _rings(centres: np.ndarray, radii: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """float[n, 2 * DISC_SEGMENTS, 3, 2]: rings of the given mid radii and widths."""
    outer = centres[:, None, :] + (radii + widths / 2)[:, None, None] * _CIRCLE[None]
    inner = centres[:, None, :] + np.maximum(radii - widths / 2, 0)[:, None, None] * _CIRCLE[None]
    first = np.stack([outer[:, :-1], inner[:, :-1], outer[:, 1:]], axis=2)
    second = np.stack([inner[:, :-1], inner[:, 1:], outer[:, 1:]], axis=2)
    return np.concatenate([first, second], axis=1)


def _quads(edges: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """float[n, 2, 3, 2]: each segment (x0, y0, x1, y1) as two triangles `widths` wide."""
    start, end = edges[:, :2].astype(np.float64), edges[:, 2:].astype(np.float64)
    direction = end - start
    length = np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)
    side = np.stack([-direction[:, 1], direction[:, 0]], axis=1) / length[:, None] * (widths / 2)[:, None]
    a, b, c, d = start + side, start - side, end - side, end + side
    return np.stack([np.stack([a, b, c], axis=1), np.stack([a, c, d], axis=1)], axis=1)


def triangles(picture) -> tuple:
    """(float32[v, 2] vertices, float32[v, 4] colours) of the picture's triangles in painting order."""
    x, y, w, h = picture.panel
    panel = np.array([[[[x, y], [x + w, y], [x + w, y + h]], [[x, y], [x + w, y + h], [x, y + h]]]])
    parts = [_coloured(panel, picture.panel_colour)]
    edges = np.asarray(picture.edges, dtype=np.float64)
    widths = np.asarray(picture.edge_widths, dtype=np.float64)
    loop = (edges[:, 0] == edges[:, 2]) & (edges[:, 1] == edges[:, 3])
    if (~loop).any():
        parts.append(_coloured(_quads(edges[~loop], widths[~loop]), picture.edge_colours[~loop]))
    if loop.any():
        radii = picture.loop_radius + widths[loop] / 2
        parts.append(_coloured(_rings(edges[loop, :2], radii, widths[loop]), picture.edge_colours[loop]))
    centres = np.asarray(picture.centres, dtype=np.float64)
    radii = np.asarray(picture.radii, dtype=np.float64)
    if centres.shape[0]:
        parts.append(_coloured(_discs(centres, radii + picture.outline_width), picture.outline))
        parts.append(_coloured(_discs(centres, radii), picture.fills))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _font(size: int):
    if size not in _fonts:
        _fonts[size] = pygame.font.Font(None, size)
    return _fonts[size]


def _label(text: str, size: int, colour) -> tuple:
    key = (text, size, tuple(colour))
    if key not in _labels:
        if len(_labels) > MAX_CACHED_LABELS:
            _labels.clear()
        if not pygame.font.get_init():
            pygame.font.init()
        rgb = tuple(round(255 * c) for c in colour[:3])
        try:
            surface = _font(size).render(text, True, rgb)
        except pygame.error:  # a font made before pygame last quit (another window in this process)
            _fonts.clear()
            surface = _font(size).render(text, True, rgb)
        rgba = np.frombuffer(pygame.image.tobytes(surface, "RGBA", True), dtype=np.uint8).reshape(-1, 4).copy()
        rgba[:, 3] = (rgba[:, 3] * colour[3]).astype(np.uint8)
        _labels[key] = (surface.get_width(), surface.get_height(), rgba.tobytes())
    return _labels[key]


def _paint_labels(picture) -> None:
    left, top, width, height = picture.panel
    GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
    GL.glPixelStorei(GL.GL_UNPACK_ROW_LENGTH, 0)
    for text, x, y, align in picture.labels:
        w, h, pixels = _label(text, picture.label_px, picture.label_colour)
        # The raster position is the label's bottom-left corner (glDrawPixels fills rows
        # upwards); kept inside the panel, since a position off the viewport draws nothing.
        x0 = min(max(x - w if align < 0 else x, left), left + width - w)
        y0 = min(max(y + h / 2, top + h), top + height)
        GL.glRasterPos2f(round(x0), round(y0))
        GL.glDrawPixels(w, h, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, pixels)


def paint(picture) -> None:
    """Paint `picture` with the current projection, which must map window pixels (origin top
    left, y down), e.g. glOrtho(0, width, height, 0, -1, 1). GL state is restored after."""
    vertices, colours = triangles(picture)
    vertices = np.ascontiguousarray(vertices)
    colours = np.ascontiguousarray(colours)
    GL.glPushAttrib(GL.GL_ENABLE_BIT | GL.GL_COLOR_BUFFER_BIT | GL.GL_CURRENT_BIT)
    GL.glPushClientAttrib(GL.GL_CLIENT_VERTEX_ARRAY_BIT | GL.GL_CLIENT_PIXEL_STORE_BIT)
    try:
        for capability in (GL.GL_TEXTURE_2D, GL.GL_DEPTH_TEST, GL.GL_CULL_FACE, GL.GL_LIGHTING):
            GL.glDisable(capability)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glEnableClientState(GL.GL_VERTEX_ARRAY)
        GL.glEnableClientState(GL.GL_COLOR_ARRAY)
        GL.glVertexPointer(2, GL.GL_FLOAT, 0, vertices)
        GL.glColorPointer(4, GL.GL_FLOAT, 0, colours)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, vertices.shape[0])
        if picture.labels:
            _paint_labels(picture)
    finally:
        GL.glPopClientAttrib()
        GL.glPopAttrib()

"""The window in OpenGL: the scene is drawn by pygame into an offscreen Surface, uploaded as a
texture and drawn over the whole window, then overlays (the network view) are drawn in OpenGL on
top. A pygame `OPENGL` display cannot be blitted to, so this is the only way to have both.

Overlays are callables `paint(width, height)` that run with an orthographic projection in window
pixels (origin top left, y down), blending on and texturing off.
"""

import numpy as np
import pygame


class GLUnavailable(Exception):
    """OpenGL cannot start here; the message says why in a few words."""


class GLWindow:
    """A resizable OPENGL display plus the offscreen `scene` Surface the views draw on."""

    def __init__(self, size):
        try:
            from OpenGL import GL
        except ImportError as exc:  # PyOpenGL missing, or no libGL to load
            raise GLUnavailable(f"PyOpenGL cannot load ({exc})") from None
        self.GL = GL
        try:
            pygame.display.set_mode(size, pygame.OPENGL | pygame.DOUBLEBUF | pygame.RESIZABLE)
            self.renderer = GL.glGetString(GL.GL_RENDERER)
            if not self.renderer:
                raise GLUnavailable("no OpenGL context")
            self.texture = GL.glGenTextures(1)
        except GLUnavailable:
            raise
        except Exception as exc:  # pygame.error, or PyOpenGL's errors (no context, no driver)
            raise GLUnavailable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        self.renderer = self.renderer.decode(errors="replace")
        self.scene = None
        self._texture_size = None
        self.resize(size)

    def resize(self, size) -> None:
        """Follow the window's new size: a new scene Surface (drawn afresh by the next frame)."""
        size = (max(int(size[0]), 1), max(int(size[1]), 1))
        if self.scene is None or self.scene.get_size() != size:
            self.scene = pygame.Surface(size, 0, 32)

    def _upload(self) -> None:
        GL = self.GL
        scene = self.scene
        w, h = scene.get_size()
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        if self._texture_size != (w, h):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_NEAREST)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_NEAREST)
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, w, h, 0, GL.GL_BGRA, GL.GL_UNSIGNED_BYTE, None)
            self._texture_size = (w, h)
        # The Surface's own pixels, no conversion: 32-bit XRGB is BGRA in memory on little-endian
        # machines; rows may be padded, so the row length is the pitch.
        bgra = scene.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF)
        GL.glPixelStorei(GL.GL_UNPACK_ROW_LENGTH, scene.get_pitch() // 4)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 4)
        pixels = np.frombuffer(scene.get_buffer(), dtype=np.uint8) if bgra else pygame.image.tobytes(scene, "BGRA")
        GL.glTexSubImage2D(GL.GL_TEXTURE_2D, 0, 0, 0, w, h, GL.GL_BGRA, GL.GL_UNSIGNED_BYTE, pixels)
        GL.glPixelStorei(GL.GL_UNPACK_ROW_LENGTH, 0)

    def render(self, overlays=()) -> None:
        """Draw the scene and the overlays into the back buffer."""
        GL = self.GL
        w, h = self.scene.get_size()
        GL.glViewport(0, 0, w, h)
        GL.glMatrixMode(GL.GL_PROJECTION)
        GL.glLoadIdentity()
        GL.glOrtho(0, w, h, 0, -1, 1)
        GL.glMatrixMode(GL.GL_MODELVIEW)
        GL.glLoadIdentity()
        GL.glDisable(GL.GL_BLEND)
        GL.glEnable(GL.GL_TEXTURE_2D)
        self._upload()
        GL.glColor4f(1, 1, 1, 1)
        GL.glBegin(GL.GL_QUADS)
        for (s, t) in ((0, 0), (1, 0), (1, 1), (0, 1)):  # texture row 0 is the Surface's top row
            GL.glTexCoord2f(s, t)
            GL.glVertex2f(s * w, t * h)
        GL.glEnd()
        GL.glDisable(GL.GL_TEXTURE_2D)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFunc(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)
        for paint in overlays:
            paint(w, h)
        GL.glDisable(GL.GL_BLEND)

    def present(self, overlays=()) -> None:
        self.render(overlays)
        pygame.display.flip()

    def read_frame(self, overlays=()) -> pygame.Surface:
        """The frame as shown (scene and overlays), drawn again and read back."""
        GL = self.GL
        self.render(overlays)
        GL.glFinish()
        w, h = self.scene.get_size()
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        GL.glReadBuffer(GL.GL_BACK)
        data = GL.glReadPixels(0, 0, w, h, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        rows = np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3)[::-1]  # GL's rows run bottom up
        return pygame.image.frombuffer(np.ascontiguousarray(rows).tobytes(), (w, h), "RGB")

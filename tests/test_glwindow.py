"""The OpenGL window: the scene Surface shown as drawn, overlays on top, and a window that still
runs where OpenGL does not start."""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest


@pytest.fixture
def gl_app(display):
    from arena.ui.app import App

    app = App((320, 200), max_fps=0, gl=True)
    yield app
    app.close()


def shown(app):
    import pygame

    return pygame.surfarray.array3d(app.gl.read_frame(app._overlays())).transpose(1, 0, 2)  # [y, x, rgb]


def test_the_window_shows_the_scene_pixel_for_pixel(gl_app):
    import pygame

    assert gl_app.gl is not None and gl_app.gl_notice is None, gl_app.gl_notice
    rng = np.random.default_rng(5)
    pixels = rng.integers(0, 256, size=(320, 200, 3), dtype=np.uint8)
    pygame.surfarray.blit_array(gl_app.screen, pixels)
    assert (shown(gl_app) == pixels.transpose(1, 0, 2)).all()  # no flip, no shift, no colour swap


def test_overlays_are_drawn_on_top_in_window_pixels(gl_app):
    from OpenGL import GL

    class View:
        def overlays(self):
            return [paint]

    def paint(width, height):
        assert (width, height) == (320, 200)
        GL.glColor4f(1.0, 0.0, 0.0, 0.5)  # half see-through red, over the top-left 10x20 pixels
        GL.glBegin(GL.GL_QUADS)
        for x, y in ((0, 0), (10, 0), (10, 20), (0, 20)):
            GL.glVertex2f(x, y)
        GL.glEnd()

    gl_app.screen.fill((0, 0, 200))
    gl_app.view = View()
    image = shown(gl_app).astype(int)
    assert np.abs(image[:20, :10] - (128, 0, 100)).max() <= 1  # blended over the scene
    assert (image[20:, :] == (0, 0, 200)).all() and (image[:, 10:] == (0, 0, 200)).all()


def test_a_resized_window_gets_a_scene_of_its_size(gl_app):
    import pygame

    class View:
        def handle(self, event):
            pass

        def update(self, frame_seconds, budget_seconds):
            pass

        def draw(self, screen):
            screen.fill((10, 200, 30))

    gl_app.view = View()
    with warnings.catch_warnings():  # pygame-ce deprecates from_display_module for drawing, not for sizing
        warnings.simplefilter("ignore", DeprecationWarning)
        pygame.Window.from_display_module().size = (400, 300)  # as a user dragging its corner
    for _ in range(200):
        gl_app.frame()
        if gl_app.screen.get_size() == (400, 300):
            break
    assert gl_app.screen.get_size() == (400, 300)
    assert shown(gl_app).shape == (300, 400, 3) and (shown(gl_app) == (10, 200, 30)).all()


def test_without_opengl_the_window_runs_and_says_the_overlay_is_off(display, monkeypatch):
    from arena.ui import app as app_module
    from arena.ui.gl import window

    def no_gl(size):
        raise window.GLUnavailable("no GLX on this display")

    monkeypatch.setattr(window, "GLWindow", no_gl)
    app = app_module.App((320, 200), max_fps=0, gl=True)
    try:
        assert app.gl is None and app.gl_notice == "the OpenGL overlay is off: no GLX on this display"
        app.screen.fill((1, 2, 3))
        app.present()
        assert app.screen.get_at((5, 5))[:3] == (1, 2, 3)
    finally:
        app.close()


def test_play_without_pyopengl_is_a_one_line_notice_and_the_game_runs(display, tmp_path):
    """PyOpenGL that cannot load (a stand-in package raising ImportError first on the path)."""
    fake = tmp_path / "fake" / "OpenGL"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('libGL.so.1: cannot open shared object file')\n")
    shot = tmp_path / "shot.png"
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": os.pathsep.join([str(fake.parent), *sys.path])}
    done = subprocess.run([sys.executable, "-m", "arena", "play", "racing", "--population", "10", "--frames", "5",
                           "--no-autosave", "--screenshot", str(shot)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arena play: the OpenGL overlay is off: PyOpenGL cannot load")
    assert shot.exists()


def test_no_gl_plays_without_a_notice(display, tmp_path):
    env = {**os.environ, "DISPLAY": display}
    done = subprocess.run([sys.executable, "-m", "arena", "play", "racing", "--population", "10", "--frames", "5",
                           "--no-autosave", "--no-gl", "--json"], capture_output=True, text=True, env=env,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr

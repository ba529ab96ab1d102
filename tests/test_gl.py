"""CPPN shaders on the GPU (Mesa under Xvfb in CI) paint what the CPU paints, within 1/255."""

import numpy as np
import pytest

from arena.brains import activations
from arena.brains.cppn import random_cppn, render


@pytest.fixture(scope="module")
def gl_context(display):
    """A current OpenGL context: a small hidden pygame OPENGL window on the test display."""
    import pygame

    pygame.display.init()
    try:
        pygame.display.set_mode((64, 64), pygame.OPENGL | pygame.HIDDEN)
    except pygame.error as exc:
        pygame.display.quit()
        pytest.fail(f"no OpenGL on the test display: {exc}")
    from arena.ui.gl.cppn_shader import GLPainter

    yield GLPainter()
    pygame.display.quit()


@pytest.mark.parametrize("activation", [activations.NAMES[c] for c in activations.CPPN_CODES] + ["sin,gauss,tanh"])
def test_glsl_and_cpu_paint_the_same_picture(gl_context, activation):
    net = random_cppn(seed=3, width=8, depth=3, beta=9.0, activation=activation)
    for width, height, z in ((128, 96, 0.0), (33, 70, 0.75)):
        gpu = gl_context.paint(net, width, height, z).astype(np.int16)
        cpu = render(net, width, height, z).astype(np.int16)
        assert gpu.shape == cpu.shape
        assert np.abs(gpu - cpu).max() <= 1, (activation, width, height, np.abs(gpu - cpu).max())
        assert cpu[..., :3].std() > 3  # a picture, not a flat colour


def test_a_grey_cppn_on_the_gpu(gl_context):
    net = random_cppn(seed=8, beta=20.0, grey=True)
    gpu = gl_context.paint(net, 80, 60).astype(np.int16)
    assert np.abs(gpu - render(net, 80, 60).astype(np.int16)).max() <= 1
    assert (gpu[..., 3] == 255).all()

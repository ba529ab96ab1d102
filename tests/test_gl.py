"""CPPN shaders on the GPU (Mesa under Xvfb in CI) paint what the CPU paints, within 1/255."""

import json

import numpy as np
import pytest

from arena.brains import activations
from arena.brains.cppn import random_cppn, render


@pytest.fixture(scope="module")
def painter(gl_context):
    from arena.ui.gl.cppn_shader import GLPainter

    return GLPainter()


@pytest.mark.parametrize("activation", [activations.NAMES[c] for c in activations.CPPN_CODES] + ["sin,gauss,tanh"])
def test_glsl_and_cpu_paint_the_same_picture(painter, activation):
    net = random_cppn(seed=3, width=8, depth=3, beta=9.0, activation=activation)
    for width, height, z in ((128, 96, 0.0), (33, 70, 0.75)):
        gpu = painter.paint(net, width, height, z).astype(np.int16)
        cpu = render(net, width, height, z).astype(np.int16)
        assert gpu.shape == cpu.shape
        assert np.abs(gpu - cpu).max() <= 1, (activation, width, height, np.abs(gpu - cpu).max())
        assert cpu[..., :3].std() > 3  # a picture, not a flat colour


def test_a_grey_cppn_on_the_gpu(painter):
    net = random_cppn(seed=8, beta=20.0, grey=True)
    gpu = painter.paint(net, 80, 60).astype(np.int16)
    assert np.abs(gpu - render(net, 80, 60).astype(np.int16)).max() <= 1
    assert (gpu[..., 3] == 255).all()


def test_skins_render_gpu_paints_what_the_cpu_paints(display, tmp_path):
    import os
    import subprocess
    import sys

    import pygame

    pictures = {}
    for painter in ("gpu", "cpu"):
        out = tmp_path / f"{painter}.png"
        done = subprocess.run([sys.executable, "-m", "arena", "skins", "render", "--seed", "5", "--size", "96x64",
                               "--out", str(out), "--json"] + (["--gpu"] if painter == "gpu" else []),
                              capture_output=True, text=True, env={**os.environ, "DISPLAY": display}, timeout=300)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary["painter"] == painter and len(done.stdout.strip().splitlines()) == 1
        pictures[painter] = pygame.surfarray.array3d(pygame.image.load(str(out))).astype(np.int16)
    assert np.abs(pictures["gpu"] - pictures["cpu"]).max() <= 1 and pictures["cpu"].std() > 3

"""CPPN pictures: the numba renderer against plain numpy, bit for bit; the CPPN activations
against the real functions; seed 004's random CPPNs reproducible from their seed."""

import json

import numpy as np
import pytest

from arena.brains import activations
from arena.brains.cppn import hidden_nodes, random_cppn, render, render_numpy
from arena.brains.neat.compile import compile_neat
from arena.brains.neat.genome import NeatGenomes
from arena.core.errors import UsageError

CPPN_ACTIVATIONS = [activations.NAMES[code] for code in activations.CPPN_CODES]


def test_the_cppn_activations_track_the_real_functions():
    x = np.linspace(-200, 200, 400_001).astype(np.float32)
    wide = x.astype(np.float64)
    assert np.abs(activations.sin_numpy(x) - np.sin(wide)).max() < 2e-5  # float32 range reduction at |x| = 200
    near = x[np.abs(x) < 10]
    assert np.abs(activations.sin_numpy(near) - np.sin(near.astype(np.float64))).max() < 1.5e-6
    cos = activations.activate_numpy(near, activations.COS)
    assert np.abs(cos - np.cos(near.astype(np.float64))).max() < 1.5e-6
    gauss = activations.activate_numpy(near, activations.GAUSS)
    assert np.abs(gauss - np.exp(-near.astype(np.float64) ** 2)).max() < 1.1e-3
    assert gauss.min() >= 0 and gauss.max() == 1.0
    assert np.array_equal(activations.activate_numpy(near, activations.ABS), np.abs(near))
    assert np.array_equal(activations.activate_numpy(near, activations.STEP), (near > 0).astype(np.float32))


@pytest.mark.parametrize("activation", CPPN_ACTIVATIONS)
def test_numba_and_numpy_paint_the_same_picture(activation):
    net = random_cppn(seed=5, width=6, depth=2, beta=6.0, activation=activation)
    for width, height, z in ((97, 61, 0.25), (1, 1, 0.0), (300, 2, -1.5), (3, 257, 4.0)):
        picture = render(net, width, height, z)
        assert picture.shape == (height, width, 4) and picture.dtype == np.uint8
        assert np.array_equal(picture, render_numpy(net, width, height, z)), (width, height, z)


def test_a_random_cppn_is_its_seed():
    picture = render(random_cppn(seed=11, beta=3.0), 64, 48)
    assert np.array_equal(picture, render(random_cppn(seed=11, beta=3.0), 64, 48))
    assert not np.array_equal(picture, render(random_cppn(seed=12, beta=3.0), 64, 48))
    assert not np.array_equal(picture, render(random_cppn(seed=11, beta=3.0), 64, 48, z=0.5))  # z slices it
    assert picture.std() > 5, "a flat picture"
    grey = render(random_cppn(seed=11, beta=3.0, grey=True), 64, 48)
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 0], grey[..., 2])
    assert (grey[..., 3] == 255).all()


def test_a_picture_is_the_same_at_every_size():
    """Pixel centres sample one plane: the picture at 2x size, averaged down, is close to it."""
    net = random_cppn(seed=2, width=8, depth=2, beta=1.0)
    small = render(net, 40, 30).astype(np.float64)
    large = render(net, 80, 60).astype(np.float64).reshape(30, 2, 40, 2, 4).mean(axis=(1, 3))
    assert np.abs(small - large).mean() < 3


def test_weights_from_n0_beta_over_n_in():
    net = random_cppn(seed=0, width=200, depth=1, beta=4.0)
    first_layer = net.conn_w[net.node_conn_start[5]:net.node_conn_start[5 + 200]]
    assert first_layer.size == 5 * 200
    assert abs(first_layer.var() - 4.0 / 5) < 0.1


def test_a_neat_cppn_with_hidden_nodes_paints(registry):
    """A NEAT genome with CPPN activations (sin and gauss hidden nodes) compiles and paints the
    same picture in numba and numpy; a NaN weight paints black, never random."""
    n_in, n_out = 5, 4
    node_ids = list(range(n_in, n_in + n_out)) + [100, 101]  # node genes: outputs, then hidden (inputs are implied)
    acts = [activations.SIGMOID] * n_out + [activations.SIN, activations.GAUSS]
    conns = [(0, 100, 2.0), (2, 101, 3.0), (100, 5, 1.5), (101, 6, -2.0), (100, 7, 1.0), (1, 101, 1.0), (4, 8, 5.0)]
    genomes = NeatGenomes(
        n_inputs=n_in, n_outputs=n_out, n_nodes=np.array([len(node_ids)], np.int32),
        node_id=np.array([node_ids], np.int32), node_act=np.array([acts], np.int8),
        node_bias=np.zeros((1, len(node_ids)), np.float32), n_conns=np.array([len(conns)], np.int32),
        conn_innov=np.arange(len(conns), dtype=np.int32)[None], conn_src=np.array([[c[0] for c in conns]], np.int32),
        conn_dst=np.array([[c[1] for c in conns]], np.int32), conn_w=np.array([[c[2] for c in conns]], np.float32),
        conn_on=np.ones((1, len(conns)), bool))
    net = compile_neat(genomes)
    assert hidden_nodes(net) == 2
    picture = render(net, 50, 40, 0.1)
    assert np.array_equal(picture, render_numpy(net, 50, 40, 0.1))
    assert picture[..., :3].std() > 5
    assert (picture[..., 3] == int(255 / (1 + np.exp(-5.0)) + 0.5)).all()  # alpha: the bias input through sigmoid
    genomes.conn_w[0, 0] = np.nan
    broken = render(compile_neat(genomes), 50, 40, 0.1)
    assert np.array_equal(broken, render_numpy(compile_neat(genomes), 50, 40, 0.1))
    assert (broken[..., 0] == 0).all()  # red came from the NaN


def test_bad_cppns_and_sizes_are_refused():
    with pytest.raises(UsageError, match="out of range"):
        render(random_cppn(seed=1), 0, 10)
    with pytest.raises(UsageError, match="out of range"):
        render(random_cppn(seed=1), 20000, 20000)
    with pytest.raises(UsageError, match="width from 1 to 256"):
        random_cppn(seed=1, width=0)
    with pytest.raises(UsageError, match="beta must be positive"):
        random_cppn(seed=1, beta=0.0)


def run_cli(capsys, *argv):
    from arena.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_skins_render_writes_the_picture_the_renderer_paints(tmp_path, capsys):
    import pygame

    out = tmp_path / "skin.png"
    code, stdout, _ = run_cli(capsys, "skins", "render", "--seed", "4", "--beta", "9", "--activation", "sin,tanh",
                              "--size", "120x80", "--out", str(out), "--json")
    assert code == 0
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["out"] == [str(out)] and summary["size"] == [120, 80] and summary["hidden_nodes"] == 48
    loaded = pygame.image.load(str(out))
    assert loaded.get_size() == (120, 80)
    pixels = np.stack([pygame.surfarray.pixels3d(loaded).transpose(1, 0, 2)[..., k] for k in range(3)]
                      + [pygame.surfarray.pixels_alpha(loaded).T], axis=-1)
    expected = render(random_cppn(4, 16, 3, 9.0, False, "sin,tanh"), 120, 80)
    assert np.array_equal(pixels, expected)
    code, _, err = run_cli(capsys, "skins", "render", "--seed", "5", "--size", "120x80", "--out", str(out))
    assert code == 2 and "exists" in err and len(err.strip().splitlines()) == 1
    assert run_cli(capsys, "skins", "render", "--seed", "5", "--size", "120x80", "--out", str(out), "--force")[0] == 0
    assert not np.array_equal(pygame.surfarray.array3d(pygame.image.load(str(out))),
                              pygame.surfarray.array3d(loaded))


def test_skins_render_animates_z_into_frames(tmp_path, capsys):
    import pygame

    code, _, _ = run_cli(capsys, "skins", "render", "--seed", "1", "--bw", "--frames", "3", "--z-step", "0.5",
                         "--size", "40x40", "--out", str(tmp_path / "z.png"))
    assert code == 0
    frames = [pygame.surfarray.array3d(pygame.image.load(str(tmp_path / f"z-{k:04d}.png"))) for k in range(3)]
    assert not np.array_equal(frames[0], frames[1]) and not np.array_equal(frames[1], frames[2])
    assert np.array_equal(frames[0][..., 0], frames[0][..., 2])  # grey
    assert not (tmp_path / "z.png").exists()


@pytest.mark.parametrize("flags,message", [
    (["--size", "0x10"], "--size must be from 1x1"),
    (["--size", "big"], "--size must look like"),
    (["--activation", "sin,wobble"], "unknown CPPN activation 'wobble'"),
    (["--beta", "-1"], "expected a positive number"),
    (["--out", "/no/such/folder/a.png"], "no folder"),
    (["--out", "picture.jpg"], "ending in .png"),
])
def test_skins_render_refuses_bad_flags_in_one_line(tmp_path, capsys, flags, message):
    argv = ["skins", "render", "--size", "10x10", "--out", str(tmp_path / "a.png"), *flags]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not list(tmp_path.iterdir())


def test_bench_cppn_reports_its_keys(capsys):
    code, stdout, _ = run_cli(capsys, "bench", "cppn", "--size", "96", "--seconds", "0.05", "--json")
    assert code == 0
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["hidden_nodes"] >= 20 and result["identical_to_numpy"]
    assert result["cpu_1080_ms"] > 0 and result["numpy_1080_ms"] > 0
    assert result["neat_python_1080_ms"] is None or result["neat_python_1080_ms"] > 0

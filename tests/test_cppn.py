"""CPPN pictures: the numba renderer against plain numpy, bit for bit; the CPPN activations
against the real functions; seed 004's random CPPNs reproducible from their seed."""

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

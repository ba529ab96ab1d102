"""The compiled forward against plain numpy, and the activation formulas against the real ones."""

import numpy as np
import pytest

from arena.brains import activations
from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.netbatch import BLOCK, compile_mlp, compile_mlp_graph, forward

SPECS = [
    MLPSpec((7, 8, 4, 1), ("sigmoid",) * 3),
    MLPSpec((8, 8, 2), ("tanh", "tanh")),
    MLPSpec((3, 2), ("identity",)),
    MLPSpec((5, 16, 9, 3), ("relu", "tanh", "sigmoid")),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(map(str, s.layers)))
@pytest.mark.parametrize("population", [1, BLOCK - 1, BLOCK + 3, 3 * BLOCK])
def test_dense_graph_and_numpy_forward_agree(spec, population):
    rng = np.random.default_rng(population)
    genomes = spec.random_genomes(rng, population, scale=2.0)
    inputs = rng.normal(0, 2, size=(population, spec.n_inputs)).astype(np.float32)
    dense = forward(compile_mlp(spec, genomes), inputs)
    graph = forward(compile_mlp_graph(spec, genomes), inputs)
    numpy_same_order = forward_numpy(spec, genomes, inputs)
    assert dense.dtype == np.float32 and dense.shape == (population, spec.n_outputs)
    assert np.array_equal(dense, graph)
    assert np.array_equal(dense, numpy_same_order)
    np.testing.assert_allclose(dense, forward_numpy(spec, genomes, inputs, einsum=True), atol=1e-5)


def test_forward_matches_textbook_sigmoid_network():
    """Seed 001's network, with true exp-based sigmoids, agrees to float32 precision."""
    spec = SPECS[0]
    rng = np.random.default_rng(0)
    genomes = spec.random_genomes(rng, 40)
    x = rng.normal(size=(40, 7)).astype(np.float64)
    layer = x
    for w, b in spec.split(genomes):
        layer = 1 / (1 + np.exp(-(np.einsum("ji,jik->jk", layer, w.astype(np.float64)) + b)))
    np.testing.assert_allclose(forward(compile_mlp(spec, genomes), x.astype(np.float32)), layer, atol=2e-6)


def test_activation_formulas_track_the_real_functions():
    x = np.linspace(-30, 30, 100_001).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    assert np.abs(activations.tanh_numpy(x) - exact).max() < 1e-6
    sig = activations.activate_numpy(x, activations.SIGMOID)
    assert np.abs(sig - 1 / (1 + np.exp(-x.astype(np.float64)))).max() < 1e-6
    # monotonic up to its own error (the rational form wobbles by a few ulp near +-1)
    assert np.diff(activations.tanh_numpy(x)).min() >= -5e-7
    assert np.abs(activations.tanh_numpy(x)).max() <= 1.0


def test_nan_stays_nan_through_every_activation():
    nan = np.array([np.nan], dtype=np.float32)
    for code in activations.CODES.values():
        assert np.isnan(activations.activate_numpy(nan, code)[0]), activations.NAMES[code]
    spec = SPECS[3]
    genomes = np.full((2, spec.genome_size), np.nan, dtype=np.float32)
    out = forward(compile_mlp(spec, genomes), np.ones((2, 5), np.float32))
    assert np.isnan(out).all()


def test_bad_specs_are_refused():
    from arena.core.errors import ArenaError

    for layers, acts in [((7,), ()), ((7, 0, 1), ("tanh", "tanh")), ((7, 1), ("swish",)), ((7, 1), ())]:
        with pytest.raises(ArenaError):
            MLPSpec(layers, acts)


def test_genome_layout_is_seed_001s():
    spec = MLPSpec((2, 3, 1), ("identity", "identity"))
    assert spec.genome_size == 2 * 3 + 3 + 3 * 1 + 1
    genome = np.arange(spec.genome_size, dtype=np.float32)[None]
    (w1, b1), (w2, b2) = spec.split(genome)
    assert w1[0, 1, 2] == 1 * 3 + 2 and b1[0, 0] == 6 and w2[0, 2, 0] == 9 + 2 and b2[0, 0] == 12

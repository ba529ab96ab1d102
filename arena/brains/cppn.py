"""CPPNs: networks that paint. A CPPN maps a pixel's (x, y, r = sqrt(x^2 + y^2), z) and a bias
input to a colour (seeds 000 and 004); sliding it over every pixel makes a picture, and moving z
animates it.

A CPPN is any graph `NetBatch` of one network with 5 inputs (x, y, r, z, bias) and 4 outputs
(RGBA) or 1 (grey): a NEAT genome with CPPN activations compiled by `compile_neat`, or the random
dense CPPNs of seed 004 (`random_cppn`). `render` paints it in a numba kernel with the pixels
innermost, in blocks, and every activation a formula that vectorises (see `activations`);
`render_numpy` paints the same picture, bit for bit, in plain numpy.

Pixels: x runs from -1 to 1 across the shorter side of the picture (the longer one goes beyond),
y likewise, downwards; the pixel centres are sampled, so a picture looks the same at any size.
"""

import numpy as np
from numba import njit, prange

from arena.brains.activations import CPPN_CODES, NAMES, activate_numpy, activate_row
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import KIND_GRAPH, NetBatch, compile_mlp_graph
from arena.core.errors import UsageError

N_INPUTS = 5  # x, y, r, z, bias
CPPN_OUTPUTS = (4, 1)  # RGBA, or one grey channel
PIXEL_BLOCK = 256  # pixels a block: the innermost, vectorised axis
MAX_PIXELS = 10000 * 10000
CPPN_ACTIVATIONS = tuple(NAMES[code] for code in CPPN_CODES)


def random_cppn(seed: int, width: int = 16, depth: int = 3, beta: float = 1.0, grey: bool = False,
                activation: str = "tanh") -> NetBatch:
    """Seed 004's random CPPN: `depth` dense hidden layers of `width` units, a sigmoid output
    layer (RGBA, or one grey channel), weights drawn from N(0, beta / N_in) (a variance: N_in
    inputs a unit), biases 0. `activation` names the hidden layers' activation, or several
    separated by commas, taken in turn layer by layer ("sin,gauss"). The same arguments always
    give the same picture."""
    if not (1 <= width <= 256 and 0 <= depth <= 16):
        raise UsageError(f"a random CPPN needs a width from 1 to 256 and a depth from 0 to 16, got {width}x{depth}")
    if not (0 < beta < 1e6):
        raise UsageError(f"beta must be positive, got {beta}")
    names = activation.split(",")
    unknown = [name for name in names if name not in CPPN_ACTIVATIONS]
    if unknown:
        raise UsageError(f"unknown CPPN activation {unknown[0]!r} (known: {', '.join(CPPN_ACTIVATIONS)})")
    layers = (N_INPUTS,) + (width,) * depth + (1 if grey else 4,)
    spec = MLPSpec(layers, tuple(names[k % len(names)] for k in range(depth)) + ("sigmoid",))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 4]))
    parts = []
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        parts.append(rng.normal(0.0, np.sqrt(beta / n_in), size=n_in * n_out))
        parts.append(np.zeros(n_out))
    return compile_mlp_graph(spec, np.concatenate(parts).astype(np.float32)[None, :])


def hidden_nodes(net: NetBatch) -> int:
    return int(net.node_offset[1] - net.node_offset[0]) - net.n_inputs - net.n_outputs


def _check(net: NetBatch, width: int, height: int) -> None:
    if net.kind != KIND_GRAPH or net.size != 1 or net.n_inputs != N_INPUTS or net.n_outputs not in CPPN_OUTPUTS:
        raise ValueError("a CPPN is one graph network of 5 inputs (x, y, r, z, bias) and 4 or 1 outputs")
    if net.recurrent:
        raise ValueError("a CPPN has no recurrent connections")
    if not (1 <= width and 1 <= height and width * height <= MAX_PIXELS):
        raise UsageError(f"a picture of {width}x{height} pixels is out of range (at most {MAX_PIXELS:,} pixels)")


def render(net: NetBatch, width: int, height: int, z: float = 0.0) -> np.ndarray:
    """The picture uint8[height, width, 4] (RGBA; a grey CPPN fills RGB and makes alpha 255)."""
    _check(net, width, height)
    out = np.empty((height * width, 4), dtype=np.uint8)
    _render(net.node_act, net.node_bias, net.node_conn_start, net.conn_src, net.conn_w, net.output_index[0],
            int(net.node_offset[1]), width, height, np.float32(z), out)
    return out.reshape(height, width, 4)


@njit(cache=True, inline="always")
def _coordinate(i, n, shorter):
    return np.float32((2.0 * i + 1.0 - n) / shorter)


@njit(cache=True, parallel=True)
def _render(node_act, node_bias, node_conn_start, conn_src, conn_w, outputs, n_nodes, width, height, z, out):
    n_pixels = width * height
    shorter = min(width, height)
    n_blocks = (n_pixels + PIXEL_BLOCK - 1) // PIXEL_BLOCK
    for block in prange(n_blocks):
        p0 = block * PIXEL_BLOCK
        nb = min(PIXEL_BLOCK, n_pixels - p0)
        values = np.empty((n_nodes, PIXEL_BLOCK), dtype=np.float32)
        for b in range(nb):
            p = p0 + b
            x = _coordinate(p % width, width, shorter)
            y = _coordinate(p // width, height, shorter)
            values[0, b] = x
            values[1, b] = y
            values[2, b] = np.sqrt(x * x + y * y)
            values[3, b] = z
            values[4, b] = np.float32(1.0)
        for node in range(N_INPUTS, n_nodes):
            row = values[node, :nb]
            bias = node_bias[node]
            for b in range(nb):
                row[b] = bias
            for c in range(node_conn_start[node], node_conn_start[node + 1]):
                source = values[conn_src[c], :nb]
                w = conn_w[c]
                for b in range(nb):
                    row[b] += w * source[b]
            activate_row(row, nb, node_act[node])
        for k in range(4):
            channel = values[outputs[min(k, outputs.shape[0] - 1)], :nb]
            for b in range(nb):
                v = channel[b] * np.float32(255.0) + np.float32(0.5)
                if not v > np.float32(0.0):  # NaN too: a broken pixel is black, never random
                    v = np.float32(0.0)
                if v > np.float32(255.0):
                    v = np.float32(255.0)
                out[p0 + b, k] = np.uint8(v) if (k < 3 or outputs.shape[0] == 4) else np.uint8(255)


def render_numpy(net: NetBatch, width: int, height: int, z: float = 0.0) -> np.ndarray:
    """`render` in plain numpy, node by node over all pixels at once (the reference)."""
    _check(net, width, height)
    n_nodes = int(net.node_offset[1])
    shorter = min(width, height)
    p = np.arange(width * height)
    x = ((2.0 * (p % width) + 1.0 - width) / shorter).astype(np.float32)
    y = ((2.0 * (p // width) + 1.0 - height) / shorter).astype(np.float32)
    values = [x, y, np.sqrt(x * x + y * y), np.full_like(x, np.float32(z)), np.ones_like(x)]
    for node in range(N_INPUTS, n_nodes):
        acc = np.full_like(x, net.node_bias[node])
        for c in range(net.node_conn_start[node], net.node_conn_start[node + 1]):
            acc = acc + net.conn_w[c] * values[net.conn_src[c]]
        values.append(activate_numpy(acc, int(net.node_act[node])))
    outputs = net.output_index[0]
    channels = []
    for k in range(4):
        v = values[outputs[min(k, len(outputs) - 1)]] * np.float32(255.0) + np.float32(0.5)
        v = np.where(v > 0, v, np.float32(0.0))
        v = np.minimum(v, np.float32(255.0)).astype(np.uint8)
        channels.append(v if (k < 3 or len(outputs) == 4) else np.full_like(v, 255))
    return np.stack(channels, axis=1).reshape(height, width, 4)

"""`NetBatch`: the one compiled form of a batch of brains, and the numba forward that runs it.

Two layouts share one set of arrays, so a kernel compiled once runs either:

- dense (fixed MLPs): the genomes transposed to `float32[genome_size, P]`, so that in the
  forward pass the agents are the innermost, contiguous axis and the loops vectorise;
- graph (any network, e.g. NEAT): per network, input nodes first, then the other nodes in
  evaluation order, each with a bias, an activation code and its incoming connections
  (`conn_src` local node indices, `conn_w` weights). A recurrent graph also has
  `node_state`, every node's last value, kept from one tick to the next: a connection from a
  node evaluated later in the order reads that node's value of the previous tick.

Unused arrays are empty, with fixed dtypes, so every NetBatch has the same numba type.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from arena.brains.activations import activate, activate_row
from arena.brains.mlp import MLPSpec

KIND_DENSE = 0
KIND_GRAPH = 1

BLOCK = 64  # agents per block: the vector loops run over a block

_I32 = np.int32
_F32 = np.float32


@dataclass
class NetBatch:
    """A batch of `size` networks with `n_inputs` inputs and `n_outputs` outputs."""

    kind: int
    size: int
    n_inputs: int
    n_outputs: int
    # dense
    weights_t: np.ndarray  # float32[genome_size, size]
    layer_sizes: np.ndarray  # int32[n_layers]
    layer_offsets: np.ndarray  # int32[n_layers - 1]
    layer_acts: np.ndarray  # int8[n_layers - 1]
    # graph
    node_act: np.ndarray  # int8[total_nodes]
    node_bias: np.ndarray  # float32[total_nodes]
    node_conn_start: np.ndarray  # int32[total_nodes + 1], incoming connections of node n
    conn_src: np.ndarray  # int32[total_connections], local index of the source node
    conn_w: np.ndarray  # float32[total_connections]
    node_offset: np.ndarray  # int32[size + 1], first node of each network
    output_index: np.ndarray  # int32[size, n_outputs], local index of each output node
    recurrent: bool = False  # whether node values persist between ticks (in `node_state`)

    def arrays(self) -> tuple:
        """The tuple that numba kernels take (see `forward_block`).

        A recurrent batch gets a fresh zeroed `node_state` each call: one rollout, one memory.
        """
        node_state = _empty(_F32)
        if self.recurrent:
            node_state = np.zeros(self.node_act.shape[0], dtype=_F32)
        return (
            np.int64(self.kind),
            self.weights_t,
            self.layer_sizes,
            self.layer_offsets,
            self.layer_acts,
            self.node_act,
            self.node_bias,
            self.node_conn_start,
            self.conn_src,
            self.conn_w,
            self.node_offset,
            self.output_index,
            node_state,
        )

    def rows(self, start: int, stop: int) -> "NetBatch":
        """Networks `start .. stop - 1` as a batch of their own (copies), for sending a chunk of a
        generation to a worker; a network computes the same outputs in either batch."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(f"networks {start}..{stop} of a batch of {self.size}")
        if self.kind == KIND_DENSE:
            return _dense(self, np.ascontiguousarray(self.weights_t[:, start:stop]))
        n0, n1 = int(self.node_offset[start]), int(self.node_offset[stop])
        c0, c1 = int(self.node_conn_start[n0]), int(self.node_conn_start[n1])
        return NetBatch(
            KIND_GRAPH, stop - start, self.n_inputs, self.n_outputs,
            self.weights_t, self.layer_sizes, self.layer_offsets, self.layer_acts,
            self.node_act[n0:n1].copy(), self.node_bias[n0:n1].copy(), self.node_conn_start[n0:n1 + 1] - c0,
            self.conn_src[c0:c1].copy(), self.conn_w[c0:c1].copy(), self.node_offset[start:stop + 1] - n0,
            self.output_index[start:stop].copy(), self.recurrent,
        )

    def scratch_width(self) -> int:
        """Rows a forward scratch buffer needs: the widest layer, or the largest network."""
        if self.kind == KIND_DENSE:
            return int(self.layer_sizes.max())
        sizes = np.diff(self.node_offset)
        return int(max(sizes.max(initial=0), self.n_inputs, self.n_outputs))


def _empty(dtype, ndim=1):
    return np.zeros((0,) * ndim, dtype=dtype)


def _dense(template: NetBatch, weights_t: np.ndarray) -> NetBatch:
    return NetBatch(
        KIND_DENSE, weights_t.shape[1], template.n_inputs, template.n_outputs, weights_t,
        template.layer_sizes, template.layer_offsets, template.layer_acts,
        _empty(np.int8), _empty(_F32), _empty(_I32), _empty(_I32), _empty(_F32), _empty(_I32),
        _empty(_I32, 2),
    )


def compile_mlp(spec: MLPSpec, genomes: np.ndarray) -> NetBatch:
    """The dense NetBatch of MLP genomes float32[P, genome_size]."""
    genomes = np.asarray(genomes, dtype=_F32)
    if genomes.ndim != 2 or genomes.shape[1] != spec.genome_size:
        raise ValueError(f"genomes of shape {genomes.shape} do not fit an MLP of {spec.genome_size} weights")
    template = NetBatch(
        KIND_DENSE, 0, spec.n_inputs, spec.n_outputs, None,
        np.array(spec.layers, dtype=_I32), spec.layer_offsets(), spec.activation_codes(),
        *([None] * 7),
    )
    return _dense(template, np.ascontiguousarray(genomes.T))


def compile_mlp_graph(spec: MLPSpec, genomes: np.ndarray) -> NetBatch:
    """The graph NetBatch of MLP genomes: the general form, which NEAT networks also take.

    Connections into each node are listed in input order, after the bias, so the graph forward
    sums in the same order as the dense one and gives identical outputs.
    """
    genomes = np.asarray(genomes, dtype=_F32)
    population = genomes.shape[0]
    layers = spec.layers
    n_nodes = sum(layers)
    # Local node index of the first unit of each layer.
    first = np.concatenate([[0], np.cumsum(layers)]).astype(_I32)
    acts = [0] * layers[0]
    conn_counts = [0] * layers[0]
    src_local = []
    for l, (a, b) in enumerate(zip(layers[:-1], layers[1:])):
        for _j in range(b):
            acts.append(int(spec.activation_codes()[l]))
            conn_counts.append(a)
            src_local.extend(range(first[l], first[l] + a))
    acts = np.array(acts, dtype=np.int8)
    conn_counts = np.array(conn_counts, dtype=_I32)
    src_local = np.array(src_local, dtype=_I32)

    biases, weights = [], []
    for w, bias in spec.split(genomes):
        biases.append(bias)  # [P, b]
        weights.append(np.transpose(w, (0, 2, 1)).reshape(population, -1))  # [P, b * a], by node
    node_bias = np.concatenate([np.zeros((population, layers[0]), _F32), *biases], axis=1)
    conn_w = np.concatenate(weights, axis=1)

    per_net_conns = int(conn_counts.sum())
    starts = np.concatenate([[0], np.cumsum(np.tile(conn_counts, population))]).astype(_I32)
    output_index = np.tile(np.arange(first[-2], first[-1], dtype=_I32), (population, 1))
    assert starts[-1] == per_net_conns * population
    return NetBatch(
        KIND_GRAPH, population, spec.n_inputs, spec.n_outputs,
        _empty(_F32, 2), _empty(_I32), _empty(_I32), _empty(np.int8),
        np.tile(acts, population), node_bias.reshape(-1).astype(_F32), starts,
        np.tile(src_local, population), conn_w.reshape(-1).astype(_F32),
        (np.arange(population + 1) * n_nodes).astype(_I32), output_index,
    )


@njit(cache=True, inline="always")
def block_buffers(n_inputs, n_outputs, width, lanes=BLOCK):
    """(x, out, buf_a, buf_b) for `forward_block` over `lanes` agents: inputs
    float32[max(n_inputs, width), lanes], outputs float32[n_outputs, lanes] and two scratch
    float32[width, lanes] (width: `NetBatch.scratch_width()`)."""
    return (np.zeros((max(n_inputs, width), lanes), dtype=np.float32), np.zeros((n_outputs, lanes), dtype=np.float32),
            np.zeros((width, lanes), dtype=np.float32), np.zeros((width, lanes), dtype=np.float32))


@njit(cache=True, inline="always")
def forward_block(net, a0, nb, x, out, buf_a, buf_b):
    """Run networks `a0 .. a0 + nb - 1` of `net` on one block of agents.

    x: float32[>= n_inputs, BLOCK], inputs of agent a0 + b in column b.
    out: float32[>= n_outputs, BLOCK], written the same way.
    buf_a, buf_b: float32[scratch_width, BLOCK] scratch.
    Inlined, and every row sliced to the block first: indexing from 0 with the loop counter
    lets LLVM drop numba's negative-index handling and vectorise the loops over agents
    (a call and an offset index made this 30 to 70 times slower).
    """
    kind, weights_t, layer_sizes, layer_offsets, layer_acts = net[:5]
    if kind == KIND_DENSE:
        n_layers = layer_sizes.shape[0] - 1
        cur = x
        for l in range(n_layers):
            n_in = layer_sizes[l]
            n_out = layer_sizes[l + 1]
            off = layer_offsets[l]
            nxt = out if l == n_layers - 1 else (buf_a if l % 2 == 0 else buf_b)
            for j in range(n_out):
                row_out = nxt[j, :nb]
                bias = weights_t[off + n_in * n_out + j, a0 : a0 + nb]
                for b in range(nb):
                    row_out[b] = bias[b]
                for i in range(n_in):
                    row_in = cur[i, :nb]
                    w = weights_t[off + i * n_out + j, a0 : a0 + nb]
                    for b in range(nb):
                        row_out[b] += row_in[b] * w[b]
                activate_row(row_out, nb, layer_acts[l])
            cur = nxt
        return
    values = buf_a[:, 0]  # one network at a time: a column of scratch is enough
    for b in range(nb):
        forward_graph_one(net, a0 + b, x, b, out, values)


@njit(cache=True, inline="always")
def forward_graph_one(net, a, x, col, out, values):
    """Run graph network `a` of `net` on inputs x[:, col], writing out[:, col].

    values: float32[>= the network's node count] scratch. For kernels whose lanes hold
    networks in any order (a graph network runs alone anyway).
    """
    node_act, node_bias, node_conn_start, conn_src, conn_w, node_offset, output_index, node_state = net[5:]
    n_in = x.shape[0]
    base = node_offset[a]
    n_nodes = node_offset[a + 1] - base
    for k in range(n_in):
        values[k] = x[k, col]
    recurrent = node_state.shape[0] > 0
    if recurrent:
        for k in range(n_in, n_nodes):
            values[k] = node_state[base + k]
    for k in range(n_in, n_nodes):
        n = base + k
        total = node_bias[n]
        for c in range(node_conn_start[n], node_conn_start[n + 1]):
            total += conn_w[c] * values[conn_src[c]]
        values[k] = activate(total, node_act[n])
    if recurrent:
        for k in range(n_in, n_nodes):
            node_state[base + k] = values[k]
    for j in range(out.shape[0]):
        out[j, col] = values[output_index[a, j]]


@njit(cache=True, parallel=True)
def _forward_batch(net, inputs, outputs, width):
    n = inputs.shape[0]
    n_blocks = (n + BLOCK - 1) // BLOCK
    for blk in prange(n_blocks):
        a0 = blk * BLOCK
        nb = min(BLOCK, n - a0)
        x, out, buf_a, buf_b = block_buffers(inputs.shape[1], outputs.shape[1], width)
        for b in range(nb):
            for i in range(inputs.shape[1]):
                x[i, b] = inputs[a0 + b, i]
        forward_block(net, a0, nb, x[: inputs.shape[1]], out, buf_a, buf_b)
        for b in range(nb):
            for j in range(outputs.shape[1]):
                outputs[a0 + b, j] = out[j, b]


def forward(net: NetBatch, inputs: np.ndarray, arrays=None) -> np.ndarray:
    """Batched forward: float32[P, n_outputs] from `inputs` float32[P, n_inputs], row a by net a.

    arrays: a `net.arrays()` tuple kept across calls, so a recurrent batch remembers its last
    tick; by default each call starts from a zero state.
    """
    inputs = np.ascontiguousarray(inputs, dtype=_F32)
    if inputs.shape != (net.size, net.n_inputs):
        raise ValueError(f"inputs of shape {inputs.shape}, expected {(net.size, net.n_inputs)}")
    outputs = np.empty((net.size, net.n_outputs), dtype=_F32)
    _forward_batch(net.arrays() if arrays is None else arrays, inputs, outputs, net.scratch_width())
    return outputs

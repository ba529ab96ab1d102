"""The network view: one agent's network as a picture, its nodes lit by their live values.

Pure numpy (no pygame, no OpenGL), so layouts and values are testable headless;
`arena.ui.gl.netview_gl.paint` draws a `NetworkPicture`. Works on a NetBatch of one network
(`NetBatch.rows(a, a + 1)`), dense MLP or graph (NEAT, recurrent or not). Node indices are
the network's own: inputs first, then the graph's evaluation order, or the MLP's layers in turn.

A graph network's evaluation order is the one the kernel runs (`arena.brains.neat.compile`):
it already breaks a recurrent network's cycles, so a connection from a node evaluated later
(or from itself) is a back edge that reads the previous tick. Depth is the longest path from
the inputs over the other edges. A feed-forward NEAT network has no nodes that cannot reach an
output (compilation drops them), so the view does not show them either.
"""

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from arena.brains.activations import activate_numpy
from arena.brains.netbatch import KIND_DENSE, NetBatch

_F32 = np.float32

MIN_EDGE_WIDTH = 1.0  # pixels, the weakest connection
MAX_EDGE_WIDTH = 6.0  # pixels, the strongest one in the network
POSITIVE_EDGE = (0.30, 0.60, 1.00)  # blue
NEGATIVE_EDGE = (1.00, 0.55, 0.10)  # orange
# Nodes go from dark to bright with |value|, green for positive values and pink for negative
# ones: hues no edge has, so a node always stands out from the edges around it.
DARK_NODE = np.array([0.10, 0.11, 0.14], dtype=_F32)
POSITIVE_NODE = np.array([0.40, 1.00, 0.50], dtype=_F32)
NEGATIVE_NODE = np.array([1.00, 0.35, 0.75], dtype=_F32)
NAN_NODE = np.array([0.50, 0.50, 0.50], dtype=_F32)
OUTLINE = (0.85, 0.85, 0.90, 1.0)
OUTLINE_WIDTH = 1.5  # pixels
PANEL = (0.06, 0.07, 0.09, 0.80)
LABEL = (0.90, 0.90, 0.92, 1.0)
PADDING = 10.0  # pixels between the panel's border and the outermost nodes
MAX_RADIUS = 12.0  # pixels
# Label font sizes (pygame's default font, whose lines are about 0.75 of the size high); with
# nodes too close for the least, labels would overlap, and none are drawn.
MIN_LABEL_PX, MAX_LABEL_PX = 11, 18
_CHAR_WIDTH = 0.4  # the font's average character width, per unit of font size


@dataclass(frozen=True)
class Layout:
    """Where the nodes of one network sit, and its edges. Positions in the unit square, y down."""

    n_inputs: int
    output_nodes: np.ndarray  # int64[n_outputs], node index of each output
    column: np.ndarray  # int64[n_nodes]: 0 the inputs, n_columns - 1 the outputs, hidden by depth between
    position: np.ndarray  # float64[n_nodes, 2], x by column, y spread in the column
    edge_src: np.ndarray  # int64[n_edges], node index
    edge_dst: np.ndarray  # int64[n_edges]
    edge_weight: np.ndarray  # float32[n_edges]
    edge_back: np.ndarray  # bool[n_edges]: reads its source's value of the previous tick
    input_names: tuple  # one per input, or () for no labels
    output_names: tuple  # one per output, or ()

    @property
    def n_nodes(self) -> int:
        return int(self.column.shape[0])

    @property
    def n_columns(self) -> int:
        return int(self.column.max()) + 1


@dataclass(frozen=True)
class NetworkPicture:
    """What to draw, in window pixels (origin top-left, y down); colours RGBA in [0, 1].

    A self-connection is an edge whose ends are both at its node, drawn as a ring around the
    node from `loop_radius` out, its width wide. Labels are (text, x, y, align): text
    centred vertically on y, ending at x (align -1) or starting at x (align 1), in pygame's
    default font of size `label_px`.
    """

    panel: tuple  # (x, y, width, height)
    panel_colour: tuple
    centres: np.ndarray  # float32[n_nodes, 2]
    radii: np.ndarray  # float32[n_nodes]
    fills: np.ndarray  # float32[n_nodes, 4]
    outline: tuple
    outline_width: float
    edges: np.ndarray  # float32[n_edges, 4]: x0, y0, x1, y1
    edge_colours: np.ndarray  # float32[n_edges, 4]
    edge_widths: np.ndarray  # float32[n_edges], MIN_EDGE_WIDTH .. MAX_EDGE_WIDTH
    loop_radius: float
    labels: tuple
    label_px: int
    label_colour: tuple


def _one_network(net: NetBatch) -> None:
    if net.size != 1:
        raise ValueError(f"the network view shows one network, got a batch of {net.size} (use NetBatch.rows)")


def node_count(net: NetBatch) -> int:
    """Nodes of the one network in `net`, inputs included."""
    _one_network(net)
    if net.kind == KIND_DENSE:
        return int(net.layer_sizes.sum())
    return int(net.node_offset[1] - net.node_offset[0])


def network_layout(net: NetBatch, input_names=(), output_names=()) -> Layout:
    """The layout of the one network in `net`; names label the inputs and outputs (or none)."""
    _one_network(net)
    if input_names and len(input_names) != net.n_inputs:
        raise ValueError(f"{len(input_names)} input names for a network of {net.n_inputs} inputs")
    if output_names and len(output_names) != net.n_outputs:
        raise ValueError(f"{len(output_names)} output names for a network of {net.n_outputs} outputs")
    if net.kind == KIND_DENSE:
        column, outputs, src, dst, weight = _dense_structure(net)
        back = np.zeros(src.shape[0], dtype=bool)
    else:
        column, outputs, src, dst, weight, back = _graph_structure(net)
    position = _spread(column, outputs, src, dst, back)
    return Layout(net.n_inputs, outputs, column, position, src, dst, weight, back,
                  tuple(input_names), tuple(output_names))


def _dense_structure(net):
    sizes = [int(s) for s in net.layer_sizes]
    first = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    column = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    genome = net.weights_t[:, 0]
    src, dst, weight = [], [], []
    for l, (a, b) in enumerate(pairwise(sizes)):
        off = int(net.layer_offsets[l])
        i, j = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
        src.append(first[l] + i.reshape(-1))
        dst.append(first[l + 1] + j.reshape(-1))
        weight.append(genome[off : off + a * b])  # W[i, j] at i * b + j
    outputs = np.arange(first[-2], first[-1], dtype=np.int64)
    return column, outputs, np.concatenate(src), np.concatenate(dst), np.concatenate(weight).astype(_F32)


def _graph_structure(net):
    n = node_count(net)
    n_in = net.n_inputs
    base = int(net.node_offset[0])
    starts = net.node_conn_start[base : base + n + 1].astype(np.int64)
    counts = np.diff(starts)
    dst = np.repeat(np.arange(n, dtype=np.int64), counts)
    conns = slice(int(starts[0]), int(starts[-1]))
    src = net.conn_src[conns].astype(np.int64)
    weight = net.conn_w[conns].astype(_F32)
    back = src >= dst
    depth = np.zeros(n, dtype=np.int64)
    for k in range(n_in, n):  # evaluation order: every forward source has its depth already
        sources = src[starts[k] - starts[0] : starts[k + 1] - starts[0]]
        sources = sources[sources < k]
        depth[k] = 1 + (depth[sources].max() if sources.size else 0)
    outputs = net.output_index[0].astype(np.int64)
    is_hidden = np.ones(n, dtype=bool)
    is_hidden[:n_in] = False
    is_hidden[outputs] = False
    hidden_depths = np.unique(depth[is_hidden])  # empty depths close up: hidden columns 1, 2, ...
    column = np.zeros(n, dtype=np.int64)
    column[is_hidden] = 1 + np.searchsorted(hidden_depths, depth[is_hidden])
    column[outputs] = 1 + hidden_depths.shape[0]
    return column, outputs, src, dst, weight, back


def _spread(column, outputs, src, dst, back) -> np.ndarray:
    """Positions: columns evenly across, nodes evenly down each column. Inputs and outputs keep
    their order; hidden nodes sit in the order of their sources' mean height, to cross less."""
    n = column.shape[0]
    last = int(column.max())
    position = np.zeros((n, 2))
    position[:, 0] = column / max(last, 1)
    forward = ~back
    for col in range(last + 1):
        if col == last:
            members = outputs
        else:
            members = np.flatnonzero(column == col)
        if col not in (0, last):
            heights = []
            for node in members:
                sources = src[forward & (dst == node)]
                sources = sources[column[sources] < col]
                heights.append(position[sources, 1].mean() if sources.size else 0.5)
            members = members[np.lexsort((members, np.array(heights)))]
        position[members, 1] = (np.arange(members.shape[0]) + 0.5) / members.shape[0]
    return position


def node_values(net: NetBatch, inputs, state=None) -> np.ndarray:
    """float32[n_nodes]: every node's value for `inputs` (float32[n_inputs]), by one forward pass
    that computes what `arena.brains.netbatch.forward` computes, bit for bit.

    state: a recurrent network's node values of the last tick (float32[n_nodes], its slice of
    `NetBatch.arrays()[-1]`), only read; None for a zero state. Ignored by other networks.
    """
    _one_network(net)
    inputs = np.asarray(inputs, dtype=_F32).reshape(-1)
    if inputs.shape[0] != net.n_inputs:
        raise ValueError(f"{inputs.shape[0]} inputs for a network of {net.n_inputs}")
    if net.kind == KIND_DENSE:
        return _dense_values(net, inputs)
    return _graph_values(net, inputs, state)


def _dense_values(net, inputs):
    genome = net.weights_t[:, 0]
    layers = [inputs]
    for l in range(net.layer_sizes.shape[0] - 1):
        a, b = int(net.layer_sizes[l]), int(net.layer_sizes[l + 1])
        off = int(net.layer_offsets[l])
        w = genome[off : off + a * b].reshape(a, b)
        total = genome[off + a * b : off + a * b + b].copy()  # bias, then inputs in order: the kernel's sum
        for i in range(a):
            total += layers[-1][i] * w[i]
        layers.append(activate_numpy(total, int(net.layer_acts[l])))
    return np.concatenate(layers).astype(_F32)


def _graph_values(net, inputs, state):
    n = node_count(net)
    n_in = net.n_inputs
    base = int(net.node_offset[0])
    values = np.zeros(n, dtype=_F32)
    values[:n_in] = inputs
    if net.recurrent and state is not None:
        state = np.asarray(state, dtype=_F32)
        if state.shape != (n,):
            raise ValueError(f"a state of shape {state.shape} for a network of {n} nodes")
        values[n_in:] = state[n_in:]
    starts, src, weight = net.node_conn_start, net.conn_src, net.conn_w
    for k in range(n_in, n):
        node = base + k
        total = net.node_bias[node]
        for c in range(starts[node], starts[node + 1]):
            total = _F32(total + _F32(weight[c] * values[src[c]]))
        values[k] = activate_numpy(np.array([total], dtype=_F32), int(net.node_act[node]))[0]
    return values


def node_fills(values: np.ndarray) -> np.ndarray:
    """float32[n, 4] node fills: dark to bright with |value| (saturating), hue by sign."""
    values = np.asarray(values, dtype=np.float64)
    brightness = np.tanh(np.abs(np.nan_to_num(values)))[:, None]
    hue = np.where((values < 0)[:, None], NEGATIVE_NODE, POSITIVE_NODE)
    rgb = DARK_NODE + brightness * (hue - DARK_NODE)
    rgb = np.where(np.isnan(values)[:, None], NAN_NODE, rgb)
    return np.concatenate([rgb, np.ones((values.shape[0], 1))], axis=1).astype(_F32)


def network_picture(net: NetBatch, values, rect, layout: Layout = None) -> NetworkPicture:
    """The picture of the one network in `net` with node `values` (see `node_values`) in
    `rect` (x, y, width, height) pixels; `layout` defaults to `network_layout(net)`."""
    layout = network_layout(net) if layout is None else layout
    values = np.asarray(values).reshape(-1)
    if values.shape[0] != layout.n_nodes:
        raise ValueError(f"{values.shape[0]} values for a network of {layout.n_nodes} nodes")
    x, y, width, height = (float(v) for v in rect)
    inner_h = max(height - 2 * PADDING, 1.0)
    column_sizes = np.bincount(layout.column)
    spacing = inner_h / column_sizes.max()
    label_spacing = min(inner_h / layout.n_inputs, inner_h / layout.output_nodes.shape[0])
    label_px = int(min(1.1 * label_spacing, MAX_LABEL_PX))
    named = bool(layout.input_names or layout.output_names) and label_px >= MIN_LABEL_PX
    left = right = PADDING

    def margin(names):
        return min(max(map(len, names)) * _CHAR_WIDTH * label_px + 6, 0.3 * width) if names and named else 0.0

    left += margin(layout.input_names)
    right += margin(layout.output_names)
    inner_w = max(width - left - right, 1.0)
    gap = inner_w / (layout.n_columns - 1)
    radius = max(min(0.38 * spacing, 0.3 * gap, MAX_RADIUS), 1.5)
    # Nodes keep a radius from the border, so their discs stay inside the panel.
    left += radius
    inner_w = max(inner_w - 2 * radius, 1.0)
    top = y + PADDING
    centres = np.empty((layout.n_nodes, 2), dtype=_F32)
    centres[:, 0] = x + left + layout.position[:, 0] * inner_w
    centres[:, 1] = top + layout.position[:, 1] * inner_h

    strength = np.abs(np.nan_to_num(layout.edge_weight.astype(np.float64)))
    strength = strength / strength.max() if strength.size and strength.max() > 0 else strength
    edge_colours = np.empty((strength.shape[0], 4), dtype=_F32)
    edge_colours[:, :3] = np.where((layout.edge_weight < 0)[:, None], NEGATIVE_EDGE, POSITIVE_EDGE)
    edge_colours[:, 3] = (0.35 + 0.55 * strength) * np.where(layout.edge_back, 0.6, 1.0)
    edges = np.concatenate([centres[layout.edge_src], centres[layout.edge_dst]], axis=1).astype(_F32)

    labels = []
    if named:
        for node, text in zip(range(layout.n_inputs), layout.input_names):
            labels.append((text, float(centres[node, 0] - radius - 4), float(centres[node, 1]), -1))
        for node, text in zip(layout.output_nodes, layout.output_names):
            labels.append((text, float(centres[node, 0] + radius + 4), float(centres[node, 1]), 1))
    return NetworkPicture(
        panel=(x, y, width, height), panel_colour=PANEL,
        centres=centres, radii=np.full(layout.n_nodes, radius, dtype=_F32), fills=node_fills(values),
        outline=OUTLINE, outline_width=OUTLINE_WIDTH,
        edges=edges, edge_colours=edge_colours,
        edge_widths=(MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * strength).astype(_F32),
        loop_radius=radius + OUTLINE_WIDTH + 1, labels=tuple(labels), label_px=label_px, label_colour=LABEL,
    )


class NetworkView:
    """The network view of agents of one role (a `RoleSpec`, whose input and output names label
    the picture; None for none). Keeps the layout of the network last shown, by identity."""

    def __init__(self, role=None):
        self.role = role
        self.input_names = tuple(role.observation) if role is not None else ()
        self.output_names = tuple(role.action) if role is not None else ()
        self._shown = None  # (batch, agent) of the cached layout; holding the batch keeps its id unique
        self._network = None  # that agent's network, a NetBatch of one
        self._layout = None

    def layout(self, net: NetBatch, agent: int = 0) -> Layout:
        """The layout of network `agent` of the batch `net`, computed again only for another
        batch or agent (a new generation compiles a new batch, with any new hidden nodes)."""
        if self._shown is None or self._shown[0] is not net or self._shown[1] != agent:
            self._network = net.rows(agent, agent + 1)
            self._layout = network_layout(self._network, self.input_names, self.output_names)
            self._shown = (net, agent)
        return self._layout

    def picture(self, net: NetBatch, inputs, state, rect, agent: int = 0) -> NetworkPicture:
        """The picture of network `agent` of the batch `net` on its observation `inputs`.

        state: the batch's recurrent node state (`NetBatch.arrays()[-1]`, as the live run keeps
        it), only read, or None; rect: (x, y, width, height) pixels.
        """
        layout = self.layout(net, agent)
        own_state = None
        if state is not None and net.recurrent and net.kind != KIND_DENSE:
            own_state = np.asarray(state)[int(net.node_offset[agent]) : int(net.node_offset[agent + 1])]
        return network_picture(self._network, node_values(self._network, inputs, own_state), rect, layout)

"""The network view: layouts by depth, live node values as the kernel computes them, pictures,
and a screenshot of the OpenGL overlay with one disc per node."""

from dataclasses import replace

import numpy as np
import pytest

from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.neat.compile import compile_neat
from arena.brains.netbatch import compile_mlp, compile_mlp_graph, forward
from arena.core.spec import RoleSpec
from arena.evolve.neat import NEAT, NeatParams
from arena.ui import netview
from arena.ui.netview import NetworkView, network_layout, network_picture, node_values

N_INPUTS, N_OUTPUTS = 5, 3
ROLE = RoleSpec("driver", tuple(f"sense_{k}" for k in range(N_INPUTS)), ("left", "right", "gas"),
                "continuous", "tanh", "tanh", (4,))
GROWING = NeatParams(population_size=30, add_node_rate=0.3, add_connection_rate=0.5, enable_toggle_rate=0.2,
                     activation_mutation_rate=0.2, activation_options=("tanh", "relu", "sigmoid", "identity"))


def grow(recurrent, generations=15, seed=0):
    """Genomes after `generations` of NEAT with random fitness: varied topologies."""
    neat = NEAT(replace(GROWING, recurrent=recurrent), N_INPUTS, N_OUTPUTS, seed)
    state = neat.initial_state()
    fitness = np.random.default_rng(seed)
    for _ in range(generations):
        state = neat.tell(state, fitness.random(GROWING.population_size))
    return state.genomes


@pytest.fixture(scope="module")
def feedforward():
    return grow(False)


@pytest.fixture(scope="module")
def recurrent():
    return grow(True)


def reaching_outputs(genomes, g):
    """Node ids of genome g that feed an output through enabled connections (outputs included)."""
    c = int(genomes.n_conns[g])
    links = [(int(s), int(d)) for s, d, on in zip(genomes.conn_src[g, :c], genomes.conn_dst[g, :c],
                                                  genomes.conn_on[g, :c]) if on]
    reached = set(range(N_INPUTS, N_INPUTS + N_OUTPUTS))
    grown = True
    while grown:
        before = len(reached)
        reached |= {s for s, d in links if d in reached and s >= N_INPUTS}
        grown = len(reached) > before
    return reached, links


def longest_paths(links, nodes):
    """{node id: longest path from the inputs} over acyclic `links` (src, dst)."""
    depth = {}

    def of(node):
        if node < N_INPUTS:
            return 0
        if node not in depth:
            depth[node] = 1 + max((of(s) for s, d in links if d == node), default=0)
        return depth[node]

    return {node: of(node) for node in nodes}


def test_a_neat_layout_puts_nodes_in_columns_by_depth(feedforward):
    assert (feedforward.n_nodes > N_OUTPUTS + 1).any(), "no genome grew hidden nodes"
    batch = compile_neat(feedforward)
    for g in range(feedforward.size):
        layout = network_layout(batch.rows(g, g + 1), ROLE.observation, ROLE.action)
        nodes, links = reaching_outputs(feedforward, g)
        links = [(s, d) for s, d in links if d in nodes]
        assert layout.n_nodes == N_INPUTS + len(nodes)  # every node the network computes with
        assert layout.edge_src.shape[0] == len(links)  # one edge per enabled connection
        assert not layout.edge_back.any()
        last = layout.n_columns - 1
        assert (layout.column[:N_INPUTS] == 0).all() and (layout.column[layout.output_nodes] == last).all()
        hidden = np.setdiff1d(np.arange(N_INPUTS, layout.n_nodes), layout.output_nodes)
        # hidden columns: the genome's longest paths from the inputs, with empty depths closed up
        depth = longest_paths(links, nodes - set(range(N_INPUTS, N_INPUTS + N_OUTPUTS)))
        ranks = {d: r + 1 for r, d in enumerate(sorted(set(depth.values())))}
        assert sorted(layout.column[hidden]) == sorted(ranks[d] for d in depth.values())
        assert set(layout.column[hidden]) == set(range(1, last))
        into_hidden = np.isin(layout.edge_dst, hidden) & ~np.isin(layout.edge_src, layout.output_nodes)
        assert (layout.column[layout.edge_src[into_hidden]] < layout.column[layout.edge_dst[into_hidden]]).all()
        # each column spread top to bottom, evenly, inside the unit square
        for col in range(last + 1):
            heights = np.sort(layout.position[layout.column == col, 1])
            assert np.allclose(np.diff(heights), 1 / heights.shape[0]) and 0 < heights[0] < 1
        assert np.allclose(layout.position[:, 0], layout.column / last)


def test_a_recurrent_layout_keeps_every_node_and_marks_the_edges_that_read_the_last_tick(recurrent):
    batch = compile_neat(recurrent, recurrent=True)
    back_edges = 0
    for g in range(recurrent.size):
        layout = network_layout(batch.rows(g, g + 1))
        c = int(recurrent.n_conns[g])
        assert layout.n_nodes == N_INPUTS + recurrent.n_nodes[g]
        assert layout.edge_src.shape[0] == recurrent.conn_on[g, :c].sum()
        # an edge reads the last tick when its source comes at or after its target in the
        # kernel's evaluation order; every other edge into a hidden node goes rightwards
        assert np.array_equal(layout.edge_back, layout.edge_src >= layout.edge_dst)
        # (outputs stay in the last column, even where one feeds a hidden node)
        forward_edges = ~np.isin(layout.edge_dst, layout.output_nodes) & ~layout.edge_back
        forward_edges &= ~np.isin(layout.edge_src, layout.output_nodes)
        assert (layout.column[layout.edge_src[forward_edges]] < layout.column[layout.edge_dst[forward_edges]]).all()
        back_edges += int(layout.edge_back.sum())
    assert back_edges > 0, "no genome grew a cycle"


@pytest.mark.parametrize("compile_form", [compile_mlp, compile_mlp_graph])
def test_an_mlp_layout_has_its_layers_as_columns(compile_form):
    spec = MLPSpec((N_INPUTS, 6, 4, N_OUTPUTS), ("tanh", "relu", "sigmoid"))
    genomes = spec.random_genomes(np.random.default_rng(1), 3)
    layout = network_layout(compile_form(spec, genomes).rows(2, 3))
    assert np.array_equal(layout.column, np.repeat(np.arange(4), spec.layers))
    assert layout.edge_src.shape[0] == sum(a * b for a, b in zip(spec.layers[:-1], spec.layers[1:]))
    first = np.cumsum((0,) + spec.layers)
    weights = spec.split(genomes)[1][0][2]  # W of the second layer of network 2
    inner = (layout.edge_src >= first[1]) & (layout.edge_src < first[2])
    for src, dst, w in zip(layout.edge_src[inner], layout.edge_dst[inner], layout.edge_weight[inner]):
        assert w == weights[src - first[1], dst - first[2]]


def test_node_values_are_what_the_kernel_computes(feedforward):
    batch = compile_neat(feedforward)
    x = np.random.default_rng(5).normal(size=(batch.size, N_INPUTS)).astype(np.float32)
    out = forward(batch, x)
    for g in range(batch.size):
        net = batch.rows(g, g + 1)
        values = node_values(net, x[g])
        assert values[network_layout(net).output_nodes].tobytes() == out[g].tobytes()
        assert values[:N_INPUTS].tobytes() == x[g].tobytes()


def test_node_values_of_a_recurrent_network_carry_its_state_as_the_kernel_does(recurrent):
    batch = compile_neat(recurrent, recurrent=True)
    arrays = batch.arrays()
    view = NetworkView(ROLE)
    rng = np.random.default_rng(6)
    for _tick in range(4):
        x = rng.normal(size=(batch.size, N_INPUTS)).astype(np.float32)
        state_before = arrays[-1].copy()
        seen = [node_values(batch.rows(g, g + 1), x[g],
                            arrays[-1][batch.node_offset[g] : batch.node_offset[g + 1]]) for g in range(batch.size)]
        pictures = [view.picture(batch, x[g], arrays[-1], (0, 0, 400, 300), agent=g) for g in range(batch.size)]
        assert np.array_equal(arrays[-1], state_before)  # looking does not advance the memory
        out = forward(batch, x, arrays)
        for g in range(batch.size):
            assert seen[g][batch.output_index[g]].tobytes() == out[g].tobytes()
            # every node, hidden ones too, is the value the kernel leaves in the state
            own = arrays[-1][batch.node_offset[g] : batch.node_offset[g + 1]]
            assert seen[g][N_INPUTS:].tobytes() == own[N_INPUTS:].tobytes()
            assert np.array_equal(pictures[g].fills, netview.node_fills(seen[g]))


@pytest.mark.parametrize("compile_form", [compile_mlp, compile_mlp_graph])
def test_node_values_of_an_mlp_are_its_layers(compile_form):
    spec = MLPSpec((N_INPUTS, 7, 4, N_OUTPUTS), ("relu", "tanh", "sigmoid"))
    genomes = spec.random_genomes(np.random.default_rng(2), 4)
    x = np.random.default_rng(3).normal(size=(4, N_INPUTS)).astype(np.float32)
    batch = compile_form(spec, genomes)
    out = forward(batch, x)
    first_layer = MLPSpec(spec.layers[:2], spec.activations[:1])
    hidden = forward_numpy(first_layer, genomes[:, : first_layer.genome_size], x)
    for g in range(4):
        values = node_values(batch.rows(g, g + 1), x[g])
        assert values[-N_OUTPUTS:].tobytes() == out[g].tobytes()
        assert np.allclose(values[N_INPUTS : N_INPUTS + 7], hidden[g], atol=1e-6)


def test_a_picture_shows_weights_and_values_inside_its_rect(feedforward):
    g = int(np.argmax(feedforward.n_nodes))
    net = compile_neat(feedforward).rows(g, g + 1)
    layout = network_layout(net, ROLE.observation, ROLE.action)
    values = node_values(net, np.linspace(-2, 2, N_INPUTS))
    rect = (30, 40, 420, 260)
    picture = network_picture(net, values, rect, layout)
    # every disc inside the rect, no two touching
    r = picture.radii[:, None] + picture.outline_width
    assert (picture.centres - r >= [30, 40]).all() and (picture.centres + r <= [450, 300]).all()
    gaps = np.hypot(*(picture.centres[:, None] - picture.centres[None]).transpose(2, 0, 1)) - 2 * r
    assert gaps[~np.eye(layout.n_nodes, dtype=bool)].min() > 1
    # edges: blue when positive, orange when negative, 1 px for none to 6 px for the strongest
    positive = layout.edge_weight >= 0
    assert np.allclose(picture.edge_colours[positive, :3], netview.POSITIVE_EDGE)
    assert np.allclose(picture.edge_colours[~positive, :3], netview.NEGATIVE_EDGE)
    strongest = np.argmax(np.abs(layout.edge_weight))
    assert picture.edge_widths[strongest] == pytest.approx(6.0) and picture.edge_widths.min() >= 1.0
    assert (np.diff(picture.edge_widths[np.argsort(np.abs(layout.edge_weight))]) >= 0).all()
    assert np.allclose(picture.edges[:, :2], picture.centres[layout.edge_src])
    # nodes: brighter with |value|, green for positive and pink for negative; never an edge's colour
    fills = netview.node_fills(np.array([-3.0, -0.5, 0.0, 0.5, 3.0, np.nan]))
    brightness = fills[:, :3].sum(axis=1)
    assert brightness[0] > brightness[1] > brightness[2] < brightness[3] < brightness[4]
    assert fills[4, 1] > fills[4, 0] and fills[0, 0] > fills[0, 1]
    lit = netview.node_fills(np.linspace(-4, 4, 81))[:, :3]
    for edge in (netview.POSITIVE_EDGE, netview.NEGATIVE_EDGE):
        assert np.abs(lit - edge).max(axis=1).min() > 0.2
    # labels: inputs to the left of their nodes, outputs to the right
    texts = [label[0] for label in picture.labels]
    assert texts == list(ROLE.observation) + list(ROLE.action)
    for (text, x, y, align), node in zip(picture.labels, list(range(N_INPUTS)) + list(layout.output_nodes)):
        assert y == picture.centres[node, 1] and (x - picture.centres[node, 0]) * align > 0
    # the same network and values, the same picture
    again = network_picture(net, values, rect, network_layout(net, ROLE.observation, ROLE.action))
    assert all(np.array_equal(getattr(again, f), getattr(picture, f)) for f in ("centres", "fills", "edges"))


def test_crowded_pictures_drop_their_labels():
    spec = MLPSpec((40, 8, N_OUTPUTS), ("tanh", "tanh"))
    net = compile_mlp(spec, spec.random_genomes(np.random.default_rng(0), 1))
    names = tuple(f"in_{k}" for k in range(40))
    picture = network_picture(net, np.zeros(51), (0, 0, 300, 200), network_layout(net, names, ROLE.action))
    assert picture.labels == ()
    assert network_picture(net, np.zeros(51), (0, 0, 300, 900), network_layout(net, names, ROLE.action)).labels


def test_the_view_keeps_a_layout_until_the_network_changes(feedforward):
    view = NetworkView(ROLE)
    batch = compile_neat(feedforward)
    small, big = int(np.argmin(feedforward.n_nodes)), int(np.argmax(feedforward.n_nodes))
    x = np.zeros(N_INPUTS, dtype=np.float32)
    first = view.layout(batch, small)
    view.picture(batch, x, None, (0, 0, 300, 200), agent=small)
    assert view.layout(batch, small) is first
    bigger = view.layout(batch, big)  # another agent, or a new generation's batch: laid out anew
    assert bigger.n_nodes > first.n_nodes
    assert view.layout(compile_neat(feedforward), big) is not bigger
    assert len(view.picture(batch, x, None, (0, 0, 300, 200), agent=big).centres) == bigger.n_nodes


def test_bad_arguments_are_refused(feedforward):
    batch = compile_neat(feedforward)
    with pytest.raises(ValueError, match="one network"):
        network_layout(batch)
    net = batch.rows(0, 1)
    with pytest.raises(ValueError, match="input names"):
        network_layout(net, ("a",), ROLE.action)
    with pytest.raises(ValueError, match="inputs"):
        node_values(net, np.zeros(N_INPUTS + 1))
    with pytest.raises(ValueError, match="values"):
        network_picture(net, np.zeros(2), (0, 0, 100, 100))


# -- the OpenGL overlay

def screenshot(picture, width, height, before=lambda: None):
    """uint8[height, width, 3]: `picture` painted over dark grey in an offscreen framebuffer,
    with the overlay's projection (window pixels, origin top left, y down)."""
    from OpenGL import GL

    from arena.ui.gl.netview_gl import paint

    framebuffer = GL.glGenFramebuffers(1)
    texture = GL.glGenTextures(1)
    try:
        GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
        GL.glBindTexture(GL.GL_TEXTURE_2D, 0)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, framebuffer)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, texture, 0)
        GL.glViewport(0, 0, width, height)
        GL.glMatrixMode(GL.GL_PROJECTION)
        GL.glLoadIdentity()
        GL.glOrtho(0, width, height, 0, -1, 1)
        GL.glMatrixMode(GL.GL_MODELVIEW)
        GL.glLoadIdentity()
        GL.glClearColor(0.25, 0.25, 0.25, 1.0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        before()
        paint(picture)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        data = GL.glReadPixels(0, 0, width, height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
    finally:
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        GL.glDeleteFramebuffers(1, [framebuffer])
        GL.glDeleteTextures([texture])
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)[::-1]  # GL's rows run bottom up


def count_blobs(mask: np.ndarray) -> int:
    """Connected regions (4-neighbours) of a bool image: each pixel takes the largest label
    around it until nothing changes, then the labels left are the regions."""
    labels = np.where(mask, np.arange(1, mask.size + 1).reshape(mask.shape), 0)
    while True:
        grown = labels.copy()
        grown[1:] = np.maximum(grown[1:], labels[:-1])
        grown[:-1] = np.maximum(grown[:-1], labels[1:])
        grown[:, 1:] = np.maximum(grown[:, 1:], labels[:, :-1])
        grown[:, :-1] = np.maximum(grown[:, :-1], labels[:, 1:])
        grown = np.where(mask, grown, 0)
        if np.array_equal(grown, labels):
            return len(np.unique(labels[mask]))
        labels = grown


def test_count_blobs():
    mask = np.zeros((6, 7), dtype=bool)
    mask[0, :3] = mask[1, 2] = True  # an L
    mask[3:, 5:] = True  # a square
    mask[4, 0] = True  # a dot; the square and the dot touch nothing else
    assert count_blobs(mask) == 3 and count_blobs(~np.ones_like(mask)) == 0


MAGENTA = (1.0, 0.0, 1.0, 1.0)  # in no edge, outline, panel or label


@pytest.mark.parametrize("is_recurrent", [False, True])
def test_the_overlay_shows_one_disc_per_node_of_the_genome(gl_context, feedforward, recurrent, is_recurrent):
    from OpenGL import GL

    genomes = recurrent if is_recurrent else feedforward
    batch = compile_neat(genomes, recurrent=is_recurrent)
    # the genome with the most hidden nodes among those whose every node computes an output
    complete = [g for g in range(genomes.size) if is_recurrent
                or len(reaching_outputs(genomes, g)[0]) == genomes.n_nodes[g]]
    g = max(complete, key=lambda k: genomes.n_nodes[k])
    assert genomes.n_nodes[g] > N_OUTPUTS + 1
    view = NetworkView(ROLE)
    x = np.random.default_rng(7).normal(size=N_INPUTS).astype(np.float32)
    picture = view.picture(batch, x, batch.arrays()[-1], (20, 30, 560, 320), agent=g)
    marked = replace(picture, fills=np.tile(np.array(MAGENTA, dtype=np.float32), (len(picture.centres), 1)))

    def texturing_on():  # as the window leaves it after drawing the scene: paint must not sample it
        GL.glBindTexture(GL.GL_TEXTURE_2D, black)
        GL.glEnable(GL.GL_TEXTURE_2D)
        GL.glDisable(GL.GL_BLEND)

    black = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, black)
    GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_NEAREST)
    GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, 1, 1, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, bytes([0, 0, 0, 255]))
    try:
        pixels = screenshot(marked, 600, 380, before=texturing_on)
        assert GL.glIsEnabled(GL.GL_TEXTURE_2D) and not GL.glIsEnabled(GL.GL_BLEND)  # the caller's state is back
    finally:
        GL.glDisable(GL.GL_TEXTURE_2D)
        GL.glDeleteTextures([black])
    discs = (pixels == [255, 0, 255]).all(axis=2)
    assert count_blobs(discs) == N_INPUTS + genomes.n_nodes[g]
    # the outside untouched, the panel dark, the strongest edge in its sign's colour, labels
    # light left of the inputs
    pixels = screenshot(picture, 600, 380).astype(np.int16)
    background = pixels[0, 0]
    assert (pixels[:30] == background).all() and (pixels[:, 580:] == background).all()
    assert (pixels[35:345, 25:575].max(axis=2) < 40).mean() > 0.3
    strongest = np.argmax(picture.edge_widths)
    x0, y0, x1, y1 = picture.edges[strongest]
    along = np.linspace(0.35, 0.65, 12)
    red, _green, blue = pixels[(y0 + along * (y1 - y0)).astype(int), (x0 + along * (x1 - x0)).astype(int)].mean(axis=0)
    if picture.edge_colours[strongest, 2] > picture.edge_colours[strongest, 0]:
        assert blue > red + 60
    else:
        assert red > blue + 60
    first_input = picture.centres[0]
    label_area = pixels[int(first_input[1]) - 6 : int(first_input[1]) + 6, 20 : int(first_input[0] - picture.radii[0])]
    assert (label_area.min(axis=2) > 150).sum() > 5

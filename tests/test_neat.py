"""NEAT: genome operators, compilation, the strategy, and XOR."""

from dataclasses import replace

import numpy as np
import pytest

from arena.brains.neat import operators as ops
from arena.brains.neat.compile import compile_neat, forward_reference
from arena.brains.neat.genome import check_genomes, empty
from arena.brains.netbatch import forward
from arena.evolve.neat import NEAT, NeatParams, preset
from arena.tasks import xor

# Frequent structural mutations, so a few generations make varied topologies to test on.
GROWING = NeatParams(population_size=60, add_node_rate=0.3, add_connection_rate=0.5, enable_toggle_rate=0.2,
                     activation_mutation_rate=0.2, activation_options=("tanh", "relu", "sigmoid", "identity"))


def evolve(params, generations, seed=0, n_inputs=3, n_outputs=2):
    """The NEAT states of `generations` generations with random fitness."""
    neat = NEAT(params, n_inputs, n_outputs, seed)
    state = neat.initial_state()
    states = [state]
    fitness_rng = np.random.default_rng(seed)
    for _ in range(generations):
        state = neat.tell(state, fitness_rng.random(params.population_size))
        states.append(state)
    return neat, states


@pytest.fixture(scope="module")
def grown():
    return evolve(GROWING, 25)[1][-1]


@pytest.fixture(scope="module")
def grown_recurrent():
    return evolve(replace(GROWING, recurrent=True), 25)[1][-1]


def test_evolved_genomes_keep_every_invariant(grown, grown_recurrent):
    check_genomes(grown.genomes, recurrent=False)  # sorted genes, known nodes, acyclic, ...
    check_genomes(grown_recurrent.genomes, recurrent=True)
    assert (grown.genomes.n_nodes > grown.genomes.n_outputs).any(), "no hidden node was ever added"
    with pytest.raises(ValueError, match="cycle"):
        check_genomes(grown_recurrent.genomes, recurrent=False)  # 25 generations of 0.5 links make cycles


def test_compiled_forward_equals_the_gene_by_gene_reference(grown):
    genomes = grown.genomes
    x = np.random.default_rng(3).normal(size=(genomes.size, genomes.n_inputs)).astype(np.float32)
    out = forward(compile_neat(genomes), x)
    for g in range(genomes.size):
        assert out[g].tobytes() == forward_reference(genomes, g, x[g]).tobytes(), g


def test_recurrent_forward_keeps_state_between_ticks_like_the_reference(grown_recurrent):
    genomes = grown_recurrent.genomes
    net = compile_neat(genomes, recurrent=True)
    arrays = net.arrays()
    states = [{} for _ in range(genomes.size)]
    rng = np.random.default_rng(4)
    for _ in range(4):
        x = rng.normal(size=(genomes.size, genomes.n_inputs)).astype(np.float32)
        out = forward(net, x, arrays)
        for g in range(genomes.size):
            assert out[g].tobytes() == forward_reference(genomes, g, x[g], states[g]).tobytes()
    fresh = forward(net, x)  # a new call without `arrays` starts from a zero state
    assert not np.array_equal(fresh, out)


def test_same_seed_same_populations_and_different_seeds_differ():
    _, a = evolve(GROWING, 8, seed=5)
    _, b = evolve(GROWING, 8, seed=5)
    _, c = evolve(GROWING, 8, seed=6)
    for sa, sb in zip(a, b):
        assert sa.genomes.same_as(sb.genomes)
        assert np.array_equal(sa.species_of, sb.species_of)
        assert np.array_equal(sa.link_keys, sb.link_keys)
    assert not a[-1].genomes.same_as(c[-1].genomes)


def test_telling_any_state_again_gives_the_same_next_state():
    """The strategy caches its innovation table between tells; other states must not see it."""
    neat, states = evolve(GROWING, 6, seed=9)
    fitness = np.random.default_rng(1).random(GROWING.population_size)
    first = neat.tell(states[3], fitness)
    neat.tell(states[5], fitness)  # grows the cached table with generation 5's new links
    again = neat.tell(states[3], fitness)
    fresh = NEAT(GROWING, 3, 2, seed=9).tell(states[3], fitness)
    for other in (again, fresh):
        assert first.genomes.same_as(other.genomes)
        assert np.array_equal(first.link_keys, other.link_keys)


def test_a_link_gets_one_innovation_number_across_the_population(grown):
    genomes = grown.genomes
    number_of = {}
    for g in range(genomes.size):
        for c in range(genomes.n_conns[g]):
            pair = (int(genomes.conn_src[g, c]), int(genomes.conn_dst[g, c]))
            assert number_of.setdefault(pair, int(genomes.conn_innov[g, c])) == genomes.conn_innov[g, c]
    table = dict(zip(grown.link_keys.tolist(), grown.link_innovations.tolist()))
    for (src, dst), number in number_of.items():
        assert table[(src << 32) | dst] == number


def test_the_same_split_in_one_generation_gets_the_same_node():
    """Two children splitting the same connection in one generation share the new node's id."""
    neat = NEAT(replace(NeatParams(population_size=40), add_node_rate=1.0, crossover_rate=0.0,
                        elite_min_species_size=1000), 2, 1, seed=0)
    state = neat.initial_state()
    child = neat.tell(state, np.zeros(40))
    g = child.genomes
    new_node_of = {}
    for k in range(g.size):
        assert g.n_nodes[k] == 2  # every child split one of the two connections
        disabled = [int(g.conn_innov[k, c]) for c in range(g.n_conns[k]) if not g.conn_on[k, c]]
        assert len(disabled) == 1
        assert new_node_of.setdefault(disabled[0], int(g.node_id[k, 1])) == g.node_id[k, 1]
    assert len(new_node_of) == 2  # two connections to split, two new node ids
    assert child.next_node_id == 3 + 2


def test_distance_counts_excess_disjoint_and_weights():
    a_innov = np.array([1, 2, 3, 5, 8], dtype=np.int32)
    a_w = np.array([1.0, 2.0, 3.0, 0.0, 0.0], dtype=np.float32)
    b_innov = np.array([1, 3, 4], dtype=np.int32)
    b_w = np.array([0.5, 1.0, 0.0], dtype=np.float32)
    # matching 1 and 3 (|1-0.5| and |3-1|: mean 1.25); disjoint 2 and 4; excess (beyond b's
    # last innovation, 4) 5 and 8
    small = ops.distance(a_innov, a_w, 5, b_innov, b_w, 3, 1.0, 2.0, 0.4, 20)
    assert small == pytest.approx(1 * 2 + 2 * 2 + 0.4 * 1.25)
    normalised = ops.distance(a_innov, a_w, 5, b_innov, b_w, 3, 1.0, 2.0, 0.4, 3)
    assert normalised == pytest.approx(2 / 5 + 2 * 2 / 5 + 0.4 * 1.25)
    assert ops.distance(a_innov, a_w, 5, a_innov, a_w, 5, 1.0, 1.0, 0.4, 20) == 0.0


def test_crossover_keeps_the_fitter_parents_genes():
    neat = NEAT(replace(GROWING, crossover_rate=1.0, add_node_rate=0.0, add_connection_rate=0.0,
                        weight_mutation_rate=0.0, bias_mutation_rate=0.0, enable_toggle_rate=0.0,
                        activation_mutation_rate=0.0), 3, 2, seed=1)
    _, states = evolve(GROWING, 10, seed=1)
    parents = states[-1]
    fitness = np.arange(parents.genomes.size, dtype=np.float64)
    children = neat.tell(parents, fitness)
    pg, cg = parents.genomes, children.genomes
    crossed = 0
    for k in range(cg.size):
        a, b = children.parent_ids[k]
        ia = int(np.flatnonzero(parents.genome_ids == a)[0])
        assert list(cg.conn_innov[k, : cg.n_conns[k]]) == list(pg.conn_innov[ia, : pg.n_conns[ia]])
        if b >= 0:
            crossed += 1
            ib = int(np.flatnonzero(parents.genome_ids == b)[0])
            assert fitness[ia] >= fitness[ib]
            for c in range(cg.n_conns[k]):  # every weight comes from one parent or the other
                innov = cg.conn_innov[k, c]
                options = {pg.conn_w[ia, c]}
                match = np.flatnonzero(pg.conn_innov[ib, : pg.n_conns[ib]] == innov)
                if match.size:
                    options.add(pg.conn_w[ib, match[0]])
                assert cg.conn_w[k, c] in options
    assert crossed > parents.genomes.size // 2


def test_species_elites_survive_unchanged_and_sizes_add_up(grown):
    neat = NEAT(GROWING, 3, 2, seed=0)
    fitness = np.random.default_rng(0).random(grown.genomes.size)
    nxt = neat.tell(grown, fitness)
    assert sum(nxt.species_sizes().values()) == GROWING.population_size
    for sid in grown.species.ids:
        members = np.flatnonzero(grown.species_of == sid)
        if members.size > GROWING.elite_min_species_size:
            champion = members[np.argmax(fitness[members])]
            copies = np.flatnonzero((nxt.parent_ids[:, 0] == grown.genome_ids[champion]) & (nxt.parent_ids[:, 1] == -1))
            assert any(nxt.genomes.take([k]).same_as(grown.genomes.take([champion])) for k in copies)


def test_the_threshold_adapts_towards_the_target_species_count():
    params = replace(GROWING, target_species=4, compatibility_threshold=0.5, threshold_step=0.3)
    _, states = evolve(params, 30, seed=2)
    assert states[-1].threshold > 0.5
    counts = [s.species.count for s in states[-10:]]
    assert 2 <= np.median(counts) <= 8, counts


def test_stagnant_species_breed_no_more():
    params = NeatParams(population_size=60, stagnation=3, species_elitism=1, compatibility_threshold=1.0)
    neat = NEAT(params, 3, 2, seed=3)
    state = neat.initial_state()
    dropped = 0
    for _ in range(12):  # constant fitness: a species improves only in its first generation
        nxt = neat.tell(state, np.ones(params.population_size))
        parents = set(nxt.parent_ids.reshape(-1).tolist()) - {-1}
        # all best fitnesses tie, so the one protected species is the first row
        for row, sid in enumerate(state.species.ids):
            became_stale = state.generation - max(state.species.last_improved[row], -1) >= params.stagnation
            if row > 0 and became_stale and state.species.best_fitness[row] > -np.inf:
                members = state.genome_ids[state.species_of == sid]
                assert not parents & set(members.tolist()), f"stale species {sid} bred"
                assert sid not in nxt.species.ids
                dropped += 1
        state = nxt
    assert dropped > 0


def test_initial_connectivity_options():
    for mode, expected in (("full", 6), ("none", 0)):
        neat = NEAT(replace(NeatParams(population_size=10), initial_connection=mode), 3, 2, seed=0)
        assert (neat.initial_state().genomes.n_conns == expected).all()
    neat = NEAT(replace(NeatParams(population_size=400), initial_connection="partial",
                        initial_connection_probability=0.1), 10, 2, seed=0)
    n = neat.initial_state().genomes.n_conns
    assert 1.5 < n.mean() < 2.5  # 10% of 20 links


def test_genome_checks_find_broken_genomes(grown):
    def broken(edit):
        g = grown.genomes.take(np.arange(4))
        edit(g)
        with pytest.raises(ValueError):
            check_genomes(g, recurrent=False)

    broken(lambda g: g.conn_innov.__setitem__((0, 1), g.conn_innov[0, 0]))  # innovation repeated
    broken(lambda g: g.conn_dst.__setitem__((1, 0), 0))  # into an input
    broken(lambda g: g.conn_src.__setitem__((1, 0), 999_999))  # from nowhere
    broken(lambda g: g.node_bias.__setitem__((2, 0), np.nan))
    broken(lambda g: g.node_act.__setitem__((2, 0), 99))
    broken(lambda g: g.n_nodes.__setitem__(3, 0))


def test_xor_is_solved_quickly():
    for seed in range(3):
        neat = NEAT(preset("xor", 150), 2, 1, seed)
        state = neat.initial_state()
        for generation in range(150):
            fitness, solved = xor.evaluate(compile_neat(state.genomes))
            if solved.any():
                break
            state = neat.tell(state, fitness)
        assert solved.any(), f"seed {seed} did not solve XOR in 150 generations"
        winner = int(np.flatnonzero(solved)[0])
        out = np.array([forward_reference(state.genomes, winner, case)[0] for case in xor.INPUTS])
        assert ((out > 0.5) == (xor.TARGETS > 0.5)).all()
        assert 4 - ((out - xor.TARGETS) ** 2).sum() >= 3.9


def test_empty_population_layout():
    g = empty(2, 1, 3, 4, 5)
    assert g.size == 3 and g.node_id.shape == (3, 4) and g.conn_w.dtype == np.float32

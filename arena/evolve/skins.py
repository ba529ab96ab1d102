"""CPPN skins evolved by NEAT: the settings the skin lab and the agents' skins share.

A skin is a NEAT genome with CPPN activations (`arena.brains.cppn`): 5 inputs (x, y, r, z,
bias), 4 outputs (RGBA, sigmoid). New hidden nodes get a sine, and mutation may switch any
node to another CPPN activation, so pictures grow stripes, rings and blobs as they evolve.

Every agent of an evolving population wears a skin that it inherits with its brain
(`SkinLineage`): families look alike, and a skin never changes what its brain does.
"""

from dataclasses import dataclass, replace

import numpy as np

from arena.brains.activations import code_of
from arena.brains.cppn import CPPN_ACTIVATIONS, N_INPUTS
from arena.brains.neat import operators as ops
from arena.brains.neat.genome import NeatGenomes, concatenate, empty
from arena.core.seeding import STREAM_SKIN, rng
from arena.evolve.neat import NEAT, NeatParams

SKIN_OUTPUTS = 4  # RGBA

SKIN_PARAMS = NeatParams(
    population_size=100,
    activation_options=CPPN_ACTIVATIONS,
    activation_mutation_rate=0.2,
    hidden_activation="sin",
    output_activation="sigmoid",
    add_node_rate=0.2,  # pictures need hidden nodes more than controllers do
    add_connection_rate=0.3,
    weight_init_std=2.0,  # wide weights: visible structure from the first generation
    bias_init_std=1.0,
    weight_max=8.0,
    initial_connection="partial",
    initial_connection_probability=0.5,
    compatibility_threshold=10.0,  # CPPN weights are wide: at 3.0 (the paper's) 100 first genomes make ~100 species
    target_species=8,
)


def skin_params(population: int) -> NeatParams:
    return replace(SKIN_PARAMS, population_size=population)


def skin_neat(seed: int, population: int = 100) -> NEAT:
    """NEAT over CPPN skins (ask/tell, species, innovations) for `population` genomes."""
    return NEAT(skin_params(population), N_INPUTS, SKIN_OUTPUTS, seed,
                hidden_activation="sin", output_activation="sigmoid")


# -- the skins agents wear

# Rounds of mutation the first skins get, so that generation 0 already shows hidden structure
# (stripes, rings) and not only the gradients of a network without hidden nodes.
INITIAL_MUTATIONS = 3
# Skins are never selected, so they would grow for ever: once the largest skin of a population
# has this many hidden nodes (connections), no skin gets a new one (links); the other mutations
# go on. Rendering time and checkpoint size stay bounded however long a run goes.
MAX_SKIN_HIDDEN = 20
MAX_SKIN_CONNECTIONS = 80


@dataclass
class SkinState:
    """The skins of one population: skin i is worn by genome i of the population's current
    generation; the innovation table numbers the skins' links across the whole lineage."""

    genomes: NeatGenomes  # P CPPN genomes, N_INPUTS inputs and SKIN_OUTPUTS outputs
    link_keys: np.ndarray  # int64[L], source << 32 | target of every skin link ever made
    link_innovations: np.ndarray  # int64[L], its innovation number
    next_innovation: int
    next_node_id: int


@dataclass
class AgentSkins:
    """The skins a batch of environments shows: `genomes` (K CPPN genomes) and, for each
    environment, the row of `genomes` its agent of one role wears (-1: none, plain colours)."""

    genomes: NeatGenomes
    of: np.ndarray  # int64[n_envs]

    @classmethod
    def of_list(cls, skins) -> "AgentSkins":
        """Environment i wears skins[i], a one-genome NeatGenomes or None; None if all are None."""
        worn = [skin for skin in skins if skin is not None]
        if not worn:
            return None
        rows = np.cumsum([skin is not None for skin in skins]) - 1
        return cls(concatenate(worn), np.where([skin is None for skin in skins], -1, rows).astype(np.int64))


class SkinLineage:
    """The skins of an evolving population, inherited along its brains' lineage: a child of
    two parents wears a NEAT crossover of their skins, a child of one a mutated copy of its
    parent's, an unchanged copy of a brain (an elite) its parent's skin unchanged.

    All randomness comes from the run's skin stream (`STREAM_SKIN`, `stream`, ...): skins never
    draw from, nor change, the brains' random numbers. `stream` tells populations apart (a
    co-evolving run's roles get skins of their own).
    """

    def __init__(self, seed: int, population: int, stream: int = 0):
        self.params = skin_params(population)
        self.seed = int(seed)
        self.stream = int(stream)
        self.activation_codes = np.array([code_of(a) for a in self.params.activation_options], dtype=np.int8)
        self.hidden_code = np.int8(code_of(self.params.hidden_activation))

    def initial(self) -> SkinState:
        """The skins of generation 0: NEAT's first CPPN genomes, mutated INITIAL_MUTATIONS times."""
        draw = rng(self.seed, STREAM_SKIN, self.stream)
        first = NEAT(self.params, N_INPUTS, SKIN_OUTPUTS, int(draw.integers(0, 2**63)),
                     self.params.hidden_activation, self.params.output_activation).initial_state()
        skins = SkinState(first.genomes, first.link_keys, first.link_innovations, first.next_innovation,
                          first.next_node_id)
        size = self.params.population_size
        for _ in range(INITIAL_MUTATIONS):
            skins = self._reproduce(skins, np.full(size, ops.CHILD_MUTANT, dtype=np.int64),
                                    np.arange(size, dtype=np.int64), np.full(size, -1, dtype=np.int64), draw)
        return skins

    def next(self, skins: SkinState, parents: np.ndarray, generation: int, unchanged=None) -> SkinState:
        """The skins of the generation bred from generation `generation`, whose skins are `skins`.

        parents: int64[P, 2], each child's parents as rows of `skins.genomes` (the first one
        always, the second -1 when the child has one parent); unchanged: bool[P] or None, the
        children whose brain is an unchanged copy of their first parent's.
        """
        size = self.params.population_size
        parents = np.asarray(parents, dtype=np.int64)
        if skins.genomes.size != size or parents.shape != (size, 2):
            raise ValueError(f"{skins.genomes.size} skins and parents of shape {parents.shape} for a population "
                             f"of {size}")
        first, second = parents[:, 0].copy(), parents[:, 1].copy()
        if first.min() < 0 or first.max() >= size or second.max() >= size:
            raise ValueError(f"parent rows must be below {size}, and every child needs a first parent")
        crossing = (second >= 0) & (second != first)
        kinds = np.where(crossing, ops.CHILD_CROSSOVER, ops.CHILD_MUTANT).astype(np.int64)
        if unchanged is not None:
            kinds[np.asarray(unchanged, dtype=bool)] = ops.CHILD_COPY
        second[kinds != ops.CHILD_CROSSOVER] = -1
        return self._reproduce(skins, kinds, first, second, rng(self.seed, STREAM_SKIN, self.stream, generation))

    def _reproduce(self, skins: SkinState, kinds, first, second, draw) -> SkinState:
        parents = skins.genomes
        rates = self.params.rates()
        if int(parents.n_nodes.max()) - SKIN_OUTPUTS >= MAX_SKIN_HIDDEN:
            rates[ops.ADD_NODE] = 0.0
        if int(parents.n_conns.max()) >= MAX_SKIN_CONNECTIONS:
            rates[ops.ADD_NODE] = rates[ops.ADD_CONNECTION] = 0.0  # a new node brings two links
        children = empty(N_INPUTS, SKIN_OUTPUTS, kinds.shape[0], int(parents.n_nodes.max()) + 1,
                         int(parents.n_conns.max()) + 3)
        table = ops.new_link_table()
        ops.fill_link_table(table, skins.link_keys, skins.link_innovations)
        counters = np.array([skins.next_innovation, skins.next_node_id], dtype=np.int64)
        ops.reproduce(np.uint32(draw.integers(0, 2**32)), kinds, first, second, N_INPUTS, False, rates,
                      self.activation_codes, self.hidden_code, table, counters, *parents.arrays(),
                      *children.arrays())
        keys, values = ops.link_table_arrays(table)
        return SkinState(children, keys, values, int(counters[0]), int(counters[1]))


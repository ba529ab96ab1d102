"""NEAT (Stanley and Miikkulainen 2002) with an ask/tell interface, over padded genome arrays.

tell(fitness) does, in the paper's order: species statistics and stagnation; explicit fitness
sharing (a species' share of the offspring is proportional to its members' mean fitness);
per species, the champion copied unchanged (species above `elite_min_species_size`), the rest
bred from the fittest `survival_threshold` by crossover or mutation alone; then the children
are speciated against one random member of each species of the previous generation.

All randomness of generation g comes from the stream `rng(seed, STRATEGY, g)` (numba's
generator is seeded from it), so the state below is all a resumed run needs.
"""

from dataclasses import asdict, dataclass, replace

import numpy as np

from arena.brains.activations import code_of
from arena.brains.neat import operators as ops
from arena.brains.neat.genome import NeatGenomes, concatenate, empty
from arena.core.errors import UsageError
from arena.core.seeding import STREAM_INIT, STREAM_STRATEGY, rng
from arena.core.settings import preset_with_population, settings_from_dict
from arena.evolve import MAX_POPULATION

INITIAL_CONNECTIONS = ("full", "partial", "none")


@dataclass(frozen=True)
class NeatParams:
    """NEAT settings; defaults are the paper's where it gives one (Stanley and Miikkulainen 2002)."""

    population_size: int = 150  # genomes per generation
    excess_coefficient: float = 1.0  # c1 of the compatibility distance
    disjoint_coefficient: float = 1.0  # c2
    weight_coefficient: float = 0.4  # c3, times the mean weight difference of matching genes
    normalise_from: int = 20  # genomes with fewer genes than this are not normalised by size (N = 1)
    compatibility_threshold: float = 3.0  # distance below which a genome joins a species
    target_species: int = 0  # if > 0, the threshold adapts each generation to approach this count
    threshold_step: float = 0.3  # how much the adaptive threshold moves per generation
    add_node_rate: float = 0.03  # chance a child gets a new node (splitting a connection)
    add_connection_rate: float = 0.05  # chance a child gets a new connection
    weight_mutation_rate: float = 0.8  # chance a child's weights are mutated
    weight_replace_rate: float = 0.1  # then, chance per weight of a fresh random value (else perturbed)
    weight_power: float = 0.5  # a perturbation is uniform in [-power, power] (the paper gives no value)
    weight_init_std: float = 1.0  # new weights are normal with this standard deviation
    weight_max: float = 8.0  # weights and biases are clamped to [-max, max]
    bias_mutation_rate: float = 0.8  # chance a child's node biases are mutated
    bias_replace_rate: float = 0.1  # then, chance per bias of a fresh random value
    bias_power: float = 0.5  # a bias perturbation is uniform in [-power, power]
    bias_init_std: float = 1.0  # fresh biases are normal with this standard deviation
    enable_toggle_rate: float = 0.01  # chance a child has one connection switched on or off
    activation_mutation_rate: float = 0.0  # chance a child has one node's activation changed
    activation_options: tuple = ()  # activations that mutation may pick (names)
    hidden_activation: str = ""  # activation of new hidden nodes; "" for the role's
    output_activation: str = ""  # activation of the output nodes; "" for the role's
    disabled_inherit: float = 0.75  # chance an inherited gene disabled in either parent stays disabled
    crossover_rate: float = 0.75  # chance a child is bred by crossover (else by mutation alone)
    interspecies_rate: float = 0.001  # chance a crossover takes its second parent from any species
    survival_threshold: float = 0.2  # fraction of each species (the fittest) allowed to breed
    elite_min_species_size: int = 5  # a species larger than this keeps its champion unchanged
    stagnation: int = 15  # a species that has not improved for this many generations is dropped
    species_elitism: int = 2  # the best species are never dropped for stagnation
    initial_connection: str = "full"  # full, partial or none (inputs to outputs)
    initial_connection_probability: float = 0.1  # partial: chance of each input-output connection
    recurrent: bool = False  # allow cycles (node values then persist between ticks)

    def __post_init__(self):
        rates = ("add_node_rate", "add_connection_rate", "weight_mutation_rate", "weight_replace_rate",
                 "bias_mutation_rate", "bias_replace_rate", "enable_toggle_rate", "activation_mutation_rate",
                 "disabled_inherit", "crossover_rate", "interspecies_rate", "initial_connection_probability")
        checks = [(0.0 <= getattr(self, name) <= 1.0, f"{name} must be in [0, 1]") for name in rates]
        checks += [
            (2 <= self.population_size <= MAX_POPULATION, f"population_size must be from 2 to {MAX_POPULATION}"),
            (self.compatibility_threshold > 0.0, "compatibility_threshold must be positive"),
            (self.target_species >= 0, "target_species must not be negative"),
            (0.0 < self.survival_threshold <= 1.0, "survival_threshold must be in (0, 1]"),
            (self.stagnation >= 1, "stagnation must be at least 1"),
            (self.species_elitism >= 0, "species_elitism must not be negative"),
            (self.weight_max > 0.0, "weight_max must be positive"),
            (self.initial_connection in INITIAL_CONNECTIONS,
             f"initial_connection must be one of {', '.join(INITIAL_CONNECTIONS)}"),
        ]
        for name in ("excess_coefficient", "disjoint_coefficient", "weight_coefficient", "threshold_step",
                     "weight_power", "weight_init_std", "bias_power", "bias_init_std"):
            checks.append((getattr(self, name) >= 0.0, f"{name} must not be negative"))
        for ok, message in checks:
            if not ok:
                raise UsageError(f"NEAT settings: {message}")
        try:
            for name in (*self.activation_options, self.hidden_activation or "identity",
                         self.output_activation or "identity"):
                code_of(name)
        except Exception as exc:
            raise UsageError(f"NEAT settings: {exc}") from None
        object.__setattr__(self, "activation_options", tuple(self.activation_options))

    def rates(self) -> np.ndarray:
        """The float64 array `operators.reproduce` takes."""
        out = np.zeros(ops.N_RATES)
        out[ops.ADD_NODE] = self.add_node_rate
        out[ops.ADD_CONNECTION] = self.add_connection_rate
        out[ops.WEIGHT_MUTATION] = self.weight_mutation_rate
        out[ops.WEIGHT_REPLACE] = self.weight_replace_rate
        out[ops.WEIGHT_POWER] = self.weight_power
        out[ops.WEIGHT_INIT_STD] = self.weight_init_std
        out[ops.WEIGHT_MAX] = self.weight_max
        out[ops.BIAS_MUTATION] = self.bias_mutation_rate
        out[ops.BIAS_REPLACE] = self.bias_replace_rate
        out[ops.BIAS_POWER] = self.bias_power
        out[ops.BIAS_INIT_STD] = self.bias_init_std
        out[ops.TOGGLE_ENABLE] = self.enable_toggle_rate
        out[ops.ACTIVATION_MUTATION] = self.activation_mutation_rate
        out[ops.DISABLED_INHERIT] = self.disabled_inherit
        return out

    def to_dict(self) -> dict:
        data = asdict(self)
        data["activation_options"] = list(self.activation_options)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "NeatParams":
        return settings_from_dict(cls, data, "NEAT settings")


PRESETS = {
    "paper": NeatParams(),
    # XOR as the paper ran it: steepened sigmoids everywhere; links added more often (a small
    # network needs its hidden node wired quickly; the paper itself used 0.3 for large populations)
    "xor": NeatParams(add_connection_rate=0.2, hidden_activation="neat_sigmoid", output_activation="neat_sigmoid"),
}


def preset(name: str, population_size: int) -> NeatParams:
    return preset_with_population(PRESETS, name, population_size, "NEAT")


@dataclass
class SpeciesSet:
    """The species alive after the last speciation; row s describes species `ids[s]`."""

    ids: np.ndarray  # int64[S], species ids (never reused)
    created: np.ndarray  # int64[S], generation the species appeared
    last_improved: np.ndarray  # int64[S], generation its best fitness last rose
    best_fitness: np.ndarray  # float64[S], best fitness a member ever had (-inf before any)
    representatives: NeatGenomes  # S genomes, the one each new genome is compared with

    @property
    def count(self) -> int:
        return int(self.ids.shape[0])


@dataclass
class NeatState:
    """Everything NEAT needs to continue exactly: arrays and numbers, no objects."""

    generation: int  # generation of `genomes` (0 = the initial population)
    genomes: NeatGenomes  # the population to evaluate
    genome_ids: np.ndarray  # int64[P], unique ids, for lineage
    parent_ids: np.ndarray  # int64[P, 2], ids of the parents (-1: none)
    species_of: np.ndarray  # int64[P], species id of each genome
    species: SpeciesSet
    link_keys: np.ndarray  # int64[L], source << 32 | target of every connection ever made
    link_innovations: np.ndarray  # int64[L], its innovation number
    next_innovation: int
    next_node_id: int
    next_genome_id: int
    next_species_id: int
    threshold: float  # current compatibility threshold (adapts with `target_species`)

    def species_sizes(self) -> dict:
        """{species id: members} of the current population."""
        ids, counts = np.unique(self.species_of, return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts)}


class NEAT:
    """ask() the genomes of this generation, tell(fitness) to make the next."""

    def __init__(self, params: NeatParams, n_inputs: int, n_outputs: int, seed: int,
                 hidden_activation: str = "sigmoid", output_activation: str = "sigmoid"):
        self.params = params
        self.n_inputs = int(n_inputs)
        self.n_outputs = int(n_outputs)
        self.seed = seed
        self.hidden_code = code_of(params.hidden_activation or hidden_activation)
        self.output_code = code_of(params.output_activation or output_activation)
        self.activation_codes = np.array([code_of(a) for a in params.activation_options], dtype=np.int8)
        # the numba dict of the innovation table, kept between tells; valid for the state whose
        # link_keys array is `_link_table_keys` (the one the last tell made), rebuilt otherwise
        self._link_table = None
        self._link_table_keys = None

    # -- the initial population
    def initial_state(self) -> NeatState:
        p = self.params
        gen_rng = rng(self.seed, STREAM_INIT)
        n_in, n_out, size = self.n_inputs, self.n_outputs, p.population_size
        pairs = [(i, n_in + j) for j in range(n_out) for i in range(n_in)]
        if p.initial_connection == "full":
            mask = np.ones((size, len(pairs)), dtype=bool)
        elif p.initial_connection == "partial":
            mask = gen_rng.random((size, len(pairs))) < p.initial_connection_probability
        else:
            mask = np.zeros((size, len(pairs)), dtype=bool)
        weights = (gen_rng.normal(size=(size, len(pairs))) * p.weight_init_std).astype(np.float32)
        biases = (gen_rng.normal(size=(size, n_out)) * p.bias_init_std).astype(np.float32)
        genomes = empty(n_in, n_out, size, n_out, len(pairs))
        genomes.n_nodes[:] = n_out
        genomes.node_id[:] = np.arange(n_in, n_in + n_out, dtype=np.int32)
        genomes.node_act[:] = self.output_code
        genomes.node_bias[:] = biases
        # innovation k for pair k: every genome numbers the same link the same way
        for g in range(size):
            chosen = np.flatnonzero(mask[g])
            m = chosen.shape[0]
            genomes.n_conns[g] = m
            genomes.conn_innov[g, :m] = chosen
            genomes.conn_src[g, :m] = [pairs[k][0] for k in chosen]
            genomes.conn_dst[g, :m] = [pairs[k][1] for k in chosen]
            genomes.conn_w[g, :m] = weights[g, chosen]
            genomes.conn_on[g, :m] = True
        keys = np.array([(s << 32) | d for s, d in pairs], dtype=np.int64)
        no_species = SpeciesSet(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                                np.zeros(0), empty(n_in, n_out, 0, 1, 1))
        state = NeatState(
            generation=0, genomes=genomes, genome_ids=np.arange(size, dtype=np.int64),
            parent_ids=np.full((size, 2), -1, dtype=np.int64), species_of=np.zeros(size, np.int64),
            species=no_species, link_keys=keys, link_innovations=np.arange(len(pairs), dtype=np.int64),
            next_innovation=len(pairs), next_node_id=n_in + n_out, next_genome_id=size, next_species_id=0,
            threshold=float(p.compatibility_threshold),
        )
        return self._speciate(state, no_species, gen_rng)

    def ask(self, state: NeatState) -> NeatGenomes:
        return state.genomes

    # -- the next generation
    def tell(self, state: NeatState, fitness: np.ndarray) -> NeatState:
        """The next state from the fitness (float[population]) of `state.genomes`."""
        p = self.params
        fitness = np.asarray(fitness, dtype=np.float64)
        size = state.genomes.size
        if fitness.shape != (size,):
            raise ValueError(f"fitness of shape {fitness.shape}, expected ({size},)")
        gen = state.generation
        gen_rng = rng(self.seed, STREAM_STRATEGY, gen)
        clean = np.where(np.isnan(fitness), -np.inf, fitness)
        finite = clean[np.isfinite(clean)]
        floor = finite.min() if finite.size else 0.0
        shifted = np.where(np.isfinite(clean), clean - floor, 0.0)  # >= 0, for sharing

        species = state.species
        n_species = species.count
        index_of = np.searchsorted(species.ids, state.species_of)  # species ids ascend
        counts = np.bincount(index_of, minlength=n_species)
        ranked = np.lexsort((np.arange(size), -clean, index_of))  # by species, then fittest first
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        best = np.full(n_species, -np.inf)
        np.maximum.at(best, index_of, clean)
        improved = best > species.best_fitness
        best_fitness = np.where(improved, best, species.best_fitness)
        last_improved = np.where(improved, gen, species.last_improved)

        # stagnation: drop species that stopped improving, except the best few
        alive = counts > 0
        order = np.argsort(-best_fitness, kind="stable")
        protected = np.zeros(n_species, dtype=bool)
        protected[order[: p.species_elitism]] = True
        stale = gen - last_improved >= p.stagnation
        keep = alive & (protected | ~stale)
        if not keep.any():  # with species_elitism 0 every species can go stale: keep the best
            keep[order[alive[order]][:1]] = True

        # explicit fitness sharing: each member's fitness divided by its species' size, so a
        # species' offspring are in proportion to its mean fitness
        share = np.bincount(index_of, weights=shifted, minlength=n_species) / np.maximum(counts, 1)
        spawn = _apportion(share, keep, size)
        kinds = np.zeros(size, dtype=np.int64)
        first = np.zeros(size, dtype=np.int64)
        second = np.zeros(size, dtype=np.int64)
        ops.plan_offspring(np.uint32(gen_rng.integers(0, 2**32)), ranked, starts, counts, clean, spawn,
                           p.elite_min_species_size, p.survival_threshold, p.crossover_rate,
                           p.interspecies_rate, kinds, first, second)

        parents = state.genomes
        children = empty(self.n_inputs, self.n_outputs, size,
                         int(parents.n_nodes.max()) + 1, int(parents.n_conns.max()) + 3)
        table = self._table(state)
        self._link_table_keys = None  # `reproduce` adds to the table: it is no longer `state`'s
        counters = np.array([state.next_innovation, state.next_node_id], dtype=np.int64)
        ops.reproduce(np.uint32(gen_rng.integers(0, 2**32)), kinds, first, second, self.n_inputs,
                      bool(p.recurrent), p.rates(), self.activation_codes, np.int8(self.hidden_code), table,
                      counters, *parents.arrays(), *children.arrays())
        keys, values = ops.link_table_arrays(table)
        self._link_table_keys = keys

        # the previous generation's species, each represented by a random member, and kept if
        # not stagnant; the species that get no members below die out
        kept = np.flatnonzero(keep)
        rep_index = ranked[starts[kept] + (gen_rng.random(kept.size) * counts[kept]).astype(np.int64)]
        survivors = SpeciesSet(species.ids[kept], species.created[kept], last_improved[kept],
                               best_fitness[kept], parents.take(rep_index) if kept.size else
                               empty(self.n_inputs, self.n_outputs, 0, 1, 1))
        ids = state.genome_ids
        next_state = NeatState(
            generation=gen + 1, genomes=children,
            genome_ids=np.arange(state.next_genome_id, state.next_genome_id + size, dtype=np.int64),
            parent_ids=np.stack([ids[first], np.where(second >= 0, ids[np.maximum(second, 0)], -1)], axis=1),
            species_of=np.zeros(size, np.int64), species=survivors, link_keys=keys, link_innovations=values,
            next_innovation=int(counters[0]), next_node_id=int(counters[1]),
            next_genome_id=state.next_genome_id + size, next_species_id=state.next_species_id,
            threshold=state.threshold,
        )
        return self._speciate(next_state, survivors, gen_rng)

    def _table(self, state: NeatState):
        """The numba innovation table of `state`, rebuilt only when it is not the one we hold."""
        if self._link_table is None or self._link_table_keys is not state.link_keys:
            self._link_table = _table_from(state.link_keys, state.link_innovations)
        return self._link_table

    def _speciate(self, state: NeatState, species: SpeciesSet, gen_rng) -> NeatState:
        """Assign `state.genomes` to species; found new ones; drop empty ones; adapt the threshold."""
        p = self.params
        genomes = state.genomes
        reps = species.representatives
        species_of = np.zeros(genomes.size, dtype=np.int64)
        new_reps = np.zeros(genomes.size, dtype=np.int64)
        n_new = ops.speciate(genomes.n_conns, genomes.conn_innov, genomes.conn_w, reps.n_conns, reps.conn_innov,
                             reps.conn_w, state.threshold, p.excess_coefficient, p.disjoint_coefficient,
                             p.weight_coefficient, p.normalise_from, species_of, new_reps)
        new_ids = np.arange(state.next_species_id, state.next_species_id + n_new, dtype=np.int64)
        all_ids = np.concatenate([species.ids, new_ids])
        counts = np.bincount(species_of, minlength=all_ids.size)
        live = np.flatnonzero(counts > 0)
        old_live = live[live < species.count]
        new_live = live[live >= species.count] - species.count
        everything = concatenate([reps, genomes.take(new_reps[:n_new])]) if n_new else reps
        merged = SpeciesSet(
            ids=all_ids[live],
            created=np.concatenate([species.created[old_live], np.full(new_live.size, state.generation)]),
            last_improved=np.concatenate([species.last_improved[old_live], np.full(new_live.size, state.generation)]),
            best_fitness=np.concatenate([species.best_fitness[old_live], np.full(new_live.size, -np.inf)]),
            representatives=everything.take(live) if live.size else everything,
        )
        threshold = state.threshold
        if p.target_species > 0:
            if live.size < p.target_species:
                threshold = max(p.threshold_step, threshold - p.threshold_step)
            elif live.size > p.target_species:
                threshold += p.threshold_step
        return replace(state, species_of=all_ids[species_of], species=merged,
                       next_species_id=state.next_species_id + n_new, threshold=float(threshold))


def _apportion(share: np.ndarray, keep: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to `total`, in proportion to `share` among the kept species (largest remainder)."""
    out = np.zeros(share.shape[0], dtype=np.int64)
    kept = np.flatnonzero(keep)
    if kept.size == 0:
        return out
    weights = share[kept]
    if not weights.sum() > 0.0:
        weights = np.ones(kept.size)
    exact = weights / weights.sum() * total
    whole = np.floor(exact).astype(np.int64)
    rest = total - int(whole.sum())
    order = np.argsort(-(exact - whole), kind="stable")
    whole[order[:rest]] += 1
    out[kept] = whole
    return out


def _table_from(keys: np.ndarray, values: np.ndarray):
    table = ops.new_link_table()
    ops.fill_link_table(table, np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64))
    return table

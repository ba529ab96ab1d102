"""A genetic algorithm over flat float32 genomes, with an ask/tell interface.

`classic` is seed 001's: parents drawn by rank with an exponential distribution (mean rank 5),
every gene shifted by uniform noise, no elitism, no crossover. The default is stronger:
tournament selection, elitism, uniform crossover and sparse Gaussian mutation.

The random numbers of generation g come from their own stream (`seeding.rng(seed, STRATEGY,
g)`), so the state needs no RNG state to be saved and any generation can be rebuilt exactly.
"""

from dataclasses import asdict, dataclass

import numpy as np

from arena.core.errors import UsageError
from arena.core.seeding import STREAM_INIT, STREAM_STRATEGY, rng
from arena.core.settings import preset_with_population, settings_from_dict
from arena.evolve import MAX_POPULATION

SELECTIONS = ("tournament", "truncation", "rank_exponential")
MUTATIONS = ("gaussian", "uniform")


@dataclass(frozen=True)
class GAParams:
    """Settings of the GA."""

    population_size: int = 100  # genomes per generation
    selection: str = "tournament"  # how parents are chosen: tournament, truncation or rank_exponential
    tournament_size: int = 2  # genomes drawn per tournament; the fittest wins
    truncation_fraction: float = 0.2  # truncation: parents are the top fraction, chosen uniformly
    rank_scale: float = 5.0  # rank_exponential: mean of the exponential over ranks (seed 001: 5)
    elite: int = 2  # best genomes copied unchanged into the next generation
    crossover_rate: float = 0.5  # probability that a child mixes two parents gene by gene
    mutation: str = "gaussian"  # gaussian (normal noise) or uniform (noise in [-scale, scale])
    mutation_rate: float = 0.2  # probability that each gene of a child is mutated
    mutation_scale: float = 0.3  # standard deviation (gaussian) or half-width (uniform) of the noise
    init_scale: float = 1.0  # initial genes are uniform in [-init_scale, init_scale]

    def __post_init__(self):
        checks = [
            (2 <= self.population_size <= MAX_POPULATION, f"population size must be from 2 to {MAX_POPULATION}"),
            (self.selection in SELECTIONS, f"selection must be one of {', '.join(SELECTIONS)}"),
            (self.mutation in MUTATIONS, f"mutation must be one of {', '.join(MUTATIONS)}"),
            (self.tournament_size >= 1, "tournament size must be at least 1"),
            (0.0 < self.truncation_fraction <= 1.0, "truncation fraction must be in (0, 1]"),
            (self.rank_scale > 0.0, "rank scale must be positive"),
            (0 <= self.elite < self.population_size, "elite must be below the population size"),
            (0.0 <= self.crossover_rate <= 1.0, "crossover rate must be in [0, 1]"),
            (0.0 <= self.mutation_rate <= 1.0, "mutation rate must be in [0, 1]"),
            (self.mutation_scale >= 0.0, "mutation scale must not be negative"),
            (self.init_scale > 0.0, "init scale must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise UsageError(f"GA settings: {message}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GAParams":
        return settings_from_dict(cls, data, "GA settings")


PRESETS = {
    "default": GAParams(),
    "classic": GAParams(
        selection="rank_exponential", elite=0, crossover_rate=0.0,
        mutation="uniform", mutation_rate=1.0, mutation_scale=0.1,
    ),
}


def preset(name: str, population_size: int) -> GAParams:
    return preset_with_population(PRESETS, name, population_size, "GA")


@dataclass
class GAState:
    """Everything the GA needs to continue, as arrays and numbers."""

    generation: int  # generation of `genomes` (0 = the random start)
    genomes: np.ndarray  # float32[population, genome_size], to be evaluated
    parents: np.ndarray  # int64[population, 2], indices into the previous generation, -1 if none


def rank_order(fitness: np.ndarray) -> np.ndarray:
    """Indices from fittest to least fit; NaN counts as worst; ties keep the lower index first."""
    key = np.where(np.isnan(fitness), -np.inf, fitness)
    return np.argsort(-key, kind="stable")


class GA:
    """ask() the genomes of this generation, tell(fitness) to make the next."""

    def __init__(self, params: GAParams, genome_size: int, seed: int):
        self.params = params
        self.genome_size = genome_size
        self.seed = seed

    def initial_state(self) -> GAState:
        p = self.params
        genomes = rng(self.seed, STREAM_INIT).uniform(
            -p.init_scale, p.init_scale, size=(p.population_size, self.genome_size)
        ).astype(np.float32)
        return GAState(0, genomes, np.full((p.population_size, 2), -1, dtype=np.int64))

    def ask(self, state: GAState) -> np.ndarray:
        return state.genomes

    def tell(self, state: GAState, fitness: np.ndarray) -> GAState:
        """The next state from the fitness (float[population]) of `state.genomes`."""
        p = self.params
        fitness = np.asarray(fitness, dtype=np.float64)
        if fitness.shape != (p.population_size,):
            raise ValueError(f"fitness of shape {fitness.shape}, expected ({p.population_size},)")
        order = rank_order(fitness)
        gen_rng = rng(self.seed, STREAM_STRATEGY, state.generation)
        n_children = p.population_size - p.elite
        first = self._select(gen_rng, order, fitness, n_children)
        second = self._select(gen_rng, order, fitness, n_children)
        cross = gen_rng.random(n_children) < p.crossover_rate
        second = np.where(cross, second, -1)
        take_second = (gen_rng.random((n_children, self.genome_size)) < 0.5) & cross[:, None]
        children = np.where(take_second, state.genomes[np.maximum(second, 0)], state.genomes[first])
        mutate = gen_rng.random(children.shape) < p.mutation_rate
        if p.mutation == "gaussian":
            noise = gen_rng.normal(0.0, p.mutation_scale, size=children.shape)
        else:
            noise = gen_rng.uniform(-p.mutation_scale, p.mutation_scale, size=children.shape)
        children += np.where(mutate, noise, 0.0).astype(np.float32)

        elite = order[: p.elite]
        genomes = np.concatenate([state.genomes[elite], children]).astype(np.float32)
        parents = np.concatenate([
            np.stack([elite, np.full(p.elite, -1)], axis=1),
            np.stack([first, second], axis=1),
        ]).astype(np.int64)
        return GAState(state.generation + 1, genomes, parents)

    def _select(self, gen_rng, order, fitness, count) -> np.ndarray:
        p = self.params
        n = order.shape[0]
        if p.selection == "rank_exponential":
            ranks = np.minimum(gen_rng.exponential(p.rank_scale, size=count).astype(np.int64), n - 1)
            return order[ranks]
        if p.selection == "truncation":
            top = max(1, int(round(p.truncation_fraction * n)))
            return order[gen_rng.integers(0, top, size=count)]
        # tournament: the entrant with the best rank wins
        rank_of = np.empty(n, dtype=np.int64)
        rank_of[order] = np.arange(n)
        entrants = gen_rng.integers(0, n, size=(count, p.tournament_size))
        winners = np.take_along_axis(entrants, np.argmin(rank_of[entrants], axis=1)[:, None], axis=1)
        return winners[:, 0]

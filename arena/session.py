"""A training session: one arena, one level, one strategy and one backend, generation by generation.

Reporters (the run folder, a progress bar, later the live chart) observe the session: each
gets `on_generation(session, stats)` after every generation and `close(session)` at the end.
"""

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.errors import UsageError
from arena.core.seeding import env_seeds
from arena.evaluate.serial import SerialBackend
from arena.evolve.ga import GA, preset
from arena.persist.brainfile import brain_from_genome


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run, saved as the run's config.json."""

    arena: str  # registered arena name
    level: str = None  # level file; None for the arena's default level
    brain: str = "mlp"  # network kind (only fixed-topology MLPs so far)
    hidden: tuple = None  # hidden layer sizes; None for the role's default
    population: int = 100  # genomes per generation
    generations: int = 100  # generations to run
    seed: int = 0  # root of every random stream of the run
    ga: str = "default"  # GA preset: default or classic (seed 001)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden) if self.hidden is not None else None
        return data


@dataclass
class Champion:
    """The fittest genome seen so far, and where it came from."""

    genome: np.ndarray
    fitness: float
    finished: bool
    generation: int
    index: int
    parents: list = field(default_factory=list)


class TrainSession:
    def __init__(self, config: TrainConfig, backend=None, reporters=()):
        if config.brain != "mlp":
            raise UsageError(f"brain kind {config.brain!r} is not available yet (use mlp)")
        if config.population < 2:
            raise UsageError(f"--population must be at least 2, got {config.population}")
        self.config = config
        self.arena = get_arena(config.arena)
        if len(self.arena.spec.roles) != 1:
            raise UsageError(f"arena {config.arena!r} has several roles; training it is not supported yet")
        self.role = self.arena.spec.roles[0]
        self.level_path = config.level or str(self.arena.default_level_path())
        self.level = self.arena.load_level(self.level_path)
        self.network = MLPSpec.for_role(self.role, config.hidden)
        self.strategy = GA(preset(config.ga, config.population), self.network.genome_size, config.seed)
        self.state = self.strategy.initial_state()
        self.backend = backend or SerialBackend()
        self.reporters = list(reporters)
        self.champion = None
        self.champion_id = None
        self.solved_generation = None
        self.started = time.perf_counter()

    @property
    def generation(self) -> int:
        return self.state.generation

    def step(self) -> dict:
        """Evaluate the current generation, tell the strategy, notify reporters; returns the stats."""
        t0 = time.perf_counter()
        genomes = self.strategy.ask(self.state)
        nets = {self.role.name: compile_mlp(self.network, genomes)}
        seeds = env_seeds(self.config.seed, self.generation, genomes.shape[0])
        outcome = self.backend.evaluate(self.arena, self.level, nets, seeds)
        fitness = outcome.fitness[self.role.name]
        finished = outcome.finished[self.role.name]
        eval_s = time.perf_counter() - t0
        best = int(np.argmax(np.where(np.isnan(fitness), -np.inf, fitness)))
        if self.champion is None or fitness[best] > self.champion.fitness:
            self.champion = Champion(genomes[best].copy(), float(fitness[best]), bool(finished[best]),
                                     self.generation, best, [int(p) for p in self.state.parents[best]])
            self.champion_id = (self.generation, best)
        if self.solved_generation is None and finished.any():
            self.solved_generation = self.generation
        stats = {
            "generation": self.generation,
            "best_fitness": float(fitness[best]),
            "mean_fitness": float(np.nanmean(fitness)),
            "median_fitness": float(np.nanmedian(fitness)),
            "finished": int(finished.sum()),
            "champion_fitness": self.champion.fitness,
            "champion_generation": self.champion.generation,
            "agent_steps": int(outcome.ticks.sum()),
            "eval_s": round(eval_s, 6),
            "wall_s": round(time.perf_counter() - self.started, 6),
        }
        self.state = self.strategy.tell(self.state, fitness)
        for reporter in self.reporters:
            reporter.on_generation(self, stats)
        return stats

    def run(self, generations=None) -> None:
        """Run `generations` (default: the configured number); reporters are closed at the end."""
        try:
            for _ in range(self.config.generations if generations is None else generations):
                self.step()
        finally:
            self.close()

    def close(self) -> None:
        for reporter in self.reporters:
            reporter.close(self)

    @property
    def solved(self) -> bool:
        return self.champion is not None and self.champion.finished

    def champion_brain(self):
        c = self.champion
        provenance = {
            "seed": self.config.seed,
            "generation": c.generation,
            "index": c.index,
            "fitness": c.fitness,
            "finished": c.finished,
            "parents": c.parents,
            "level": self.level.name,
            "ga": self.config.ga,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return brain_from_genome(self.arena.spec, self.role.name, self.network, c.genome, provenance)

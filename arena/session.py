"""A training session: one arena, one level, one strategy and one backend, generation by generation.

Reporters (the run folder, a progress bar, later the live chart) observe the session: each
gets `on_generation(session, stats)` after every generation and `close(session)` at the end.
A session's whole state (strategy state, champion) goes into a checkpoint, and a session
rebuilt from one continues exactly as if it had never stopped.
"""

import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.neat.compile import compile_neat, forward_reference
from arena.brains.netbatch import compile_mlp
from arena.core.errors import RunError, UsageError
from arena.core.seeding import env_seeds
from arena.evaluate.serial import SerialBackend
from arena.evolve import MAX_POPULATION
from arena.evolve import ga as ga_module
from arena.evolve import neat as neat_module
from arena.persist import checkpoint as ckpt
from arena.persist.brainfile import brain_from_genome, brain_from_neat

BRAIN_KINDS = ("mlp", "neat")


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run, saved as the run's config.json and in its checkpoints."""

    arena: str  # registered arena name
    level: str = None  # level file; None for the arena's default level
    brain: str = "mlp"  # network kind: mlp (fixed topology, GA) or neat
    hidden: tuple = None  # mlp: hidden layer sizes; None for the role's default
    population: int = 100  # genomes per generation
    generations: int = 100  # generations to run (in all, counting those before a resume)
    seed: int = 0  # root of every random stream of the run
    ga: str = "default"  # mlp: GA preset, default or classic (seed 001)
    neat: str = "paper"  # neat: settings preset (see arena.evolve.neat.PRESETS)
    recurrent: bool = False  # neat: allow recurrent connections
    checkpoint_every: int = 10  # generations between checkpoints (0: only at the end)

    def __post_init__(self):
        if self.brain not in BRAIN_KINDS:
            raise UsageError(f"unknown brain kind {self.brain!r} (known: {', '.join(BRAIN_KINDS)})")
        if not 2 <= self.population <= MAX_POPULATION:
            raise UsageError(f"--population must be from 2 to {MAX_POPULATION}, got {self.population}")
        if self.recurrent and self.brain != "neat":
            raise UsageError("--recurrent needs --brain neat")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["hidden"] = list(self.hidden) if self.hidden is not None else None
        return data

    @classmethod
    def from_dict(cls, data, source: str) -> "TrainConfig":
        if not isinstance(data, dict) or not isinstance(data.get("arena"), str):
            raise RunError(f"{source}: field 'config' must be an object naming an arena")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise RunError(f"{source}: field 'config' has unknown fields {', '.join(sorted(unknown))}")
        defaults = cls(arena=data["arena"])
        clean = {}
        for name, value in data.items():
            default = getattr(defaults, name)
            if name == "hidden":
                ok = value is None or (isinstance(value, list) and all(
                    isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096 for v in value))
                value = tuple(value) if isinstance(value, list) else value
            elif name == "level":
                ok = value is None or isinstance(value, str)
            elif isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
            else:
                ok = isinstance(value, str)
            if not ok:
                raise RunError(f"{source}: field 'config.{name}' is {value!r}, which is not valid")
            clean[name] = value
        try:
            return cls(**clean)
        except UsageError as exc:
            raise RunError(f"{source}: field 'config': {exc}") from None


@dataclass
class Champion:
    """The fittest genome seen so far, and where it came from.

    genome: float32[genome_size] (mlp) or a one-genome NeatGenomes (neat).
    parents: indices into the previous generation (mlp) or genome ids (neat), -1 for none.
    """

    genome: object
    fitness: float
    finished: bool
    generation: int
    index: int
    parents: list = field(default_factory=list)


class _MLPBreeder:
    """Fixed-topology MLPs evolved by the GA."""

    def __init__(self, config: TrainConfig, role, params=None):
        self.role = role
        self.network = MLPSpec.for_role(role, config.hidden)
        self.strategy = ga_module.GA(params or ga_module.preset(config.ga, config.population),
                                     self.network.genome_size, config.seed)

    def compile(self, genomes):
        return compile_mlp(self.network, genomes)

    def pick(self, genomes, index):
        return genomes[index].copy()

    def parents(self, state, index):
        return [int(p) for p in state.parents[index]]

    def lineage(self, state):
        """(species int64[P], parents int64[P, 2]) of the generation being evaluated."""
        return np.zeros(state.parents.shape[0], dtype=np.int64), state.parents

    def reference_policy(self, genome):
        """float32[1, n_in] -> float32[1, n_out] of one genome, in numpy (no numba threads)."""
        genomes = genome[None]
        return lambda obs: forward_numpy(self.network, genomes, obs)

    def brain(self, arena_spec, genome, provenance):
        return brain_from_genome(arena_spec, self.role.name, self.network, genome, provenance)

    def describe(self) -> dict:
        return {"network": {"layers": list(self.network.layers), "activations": list(self.network.activations)},
                "ga_params": self.strategy.params.to_dict()}

    def generation_stats(self, state) -> dict:
        return {}

    def state_to_data(self, state):
        return ckpt.ga_state_to_data(state)

    def state_from_data(self, data):
        return ckpt.ga_state_from_data(data, self.strategy.params, self.network.genome_size)

    def genome_to_data(self, genome):
        return ckpt.encode_array(genome)

    def genome_from_data(self, data):
        genome = ckpt.decode_array(data, "session.champion.genome", np.float32, 1)
        if genome.shape != (self.network.genome_size,):
            raise ckpt.FieldError("session.champion.genome", f"expected {self.network.genome_size} genes")
        return genome


class _NeatBreeder:
    """NEAT networks evolved by NEAT."""

    def __init__(self, config: TrainConfig, role, params=None):
        self.role = role
        params = params or replace(neat_module.preset(config.neat, config.population), recurrent=config.recurrent)
        self.recurrent = params.recurrent
        self.strategy = neat_module.NEAT(params, role.n_inputs, role.n_outputs, config.seed,
                                         role.hidden_activation, role.output_activation)

    def compile(self, genomes):
        return compile_neat(genomes, self.recurrent)

    def pick(self, genomes, index):
        return genomes.take([index])

    def parents(self, state, index):
        return [int(p) for p in state.parent_ids[index]]

    def lineage(self, state):
        return state.species_of, state.parent_ids

    def reference_policy(self, genome):
        memory = {} if self.recurrent else None  # node values carried from tick to tick
        return lambda obs: forward_reference(genome, 0, obs[0], memory)[None]

    def brain(self, arena_spec, genome, provenance):
        return brain_from_neat(arena_spec, self.role.name, genome, 0, self.recurrent, provenance)

    def describe(self) -> dict:
        return {"neat_params": self.strategy.params.to_dict()}

    def generation_stats(self, state) -> dict:
        genomes = state.genomes
        return {
            "species": {str(k): v for k, v in state.species_sizes().items()},
            "threshold": state.threshold,
            "mean_hidden_nodes": float(genomes.n_nodes.mean() - genomes.n_outputs),
            "mean_connections": float(genomes.n_conns.mean()),
        }

    def state_to_data(self, state):
        return ckpt.neat_state_to_data(state)

    def state_from_data(self, data):
        return ckpt.neat_state_from_data(data, self.strategy.params, self.role.n_inputs, self.role.n_outputs)

    def genome_to_data(self, genome):
        return ckpt.genomes_to_data(genome)

    def genome_from_data(self, data):
        genome = ckpt.genomes_from_data(data, "session.champion.genome", self.role.n_inputs,
                                         self.role.n_outputs, self.recurrent)
        if genome.size != 1:
            raise ckpt.FieldError("session.champion.genome", "expected one genome")
        return genome


@dataclass
class GenerationBatch:
    """One generation ready to evaluate: genomes as the strategy gave them, their compiled networks
    ({role: NetBatch}), one environment seed each (uint64[n]), and for display each genome's species
    (int64[n]; all 0 without speciation) and parents (int64[n, 2]: indices into the previous
    generation for the GA, genome ids for NEAT; -1 for none)."""

    generation: int
    genomes: object
    nets: dict
    seeds: np.ndarray
    species: np.ndarray
    parents: np.ndarray


class TrainSession:
    def __init__(self, config: TrainConfig, backend=None, reporters=(), params=None):
        self.config = config
        self.arena = get_arena(config.arena)
        if len(self.arena.spec.roles) != 1:
            raise UsageError(f"arena {config.arena!r} has several roles; training it is not supported yet")
        self.role = self.arena.spec.roles[0]
        self.level_path = config.level or str(self.arena.default_level_path())
        self.level = self.arena.load_level(self.level_path)
        breeder = _NeatBreeder if config.brain == "neat" else _MLPBreeder
        self.breeder = breeder(config, self.role, params)
        self.strategy = self.breeder.strategy
        self.state = self.strategy.initial_state()
        self.backend = backend or SerialBackend()
        self.reporters = list(reporters)
        self.champion = None
        self.champion_id = None
        self.solved_generation = None
        self.evaluations = 0
        self.started = time.perf_counter()

    @property
    def generation(self) -> int:
        return self.state.generation

    def step(self) -> dict:
        """Evaluate the current generation, tell the strategy, notify reporters; returns the stats."""
        t0 = time.perf_counter()
        batch = self.ask()
        outcome = self.backend.evaluate(self.arena, self.level, batch.nets, batch.seeds)
        return self.tell(batch, outcome, time.perf_counter() - t0)

    def ask(self) -> "GenerationBatch":
        """The current generation, compiled, with its environment seeds: evaluate it, then `tell`."""
        genomes = self.strategy.ask(self.state)
        nets = {self.role.name: self.breeder.compile(genomes)}
        seeds = env_seeds(self.config.seed, self.generation, nets[self.role.name].size)
        return GenerationBatch(self.generation, genomes, nets, seeds, *self.breeder.lineage(self.state))

    def tell(self, batch: "GenerationBatch", outcome, eval_s: float) -> dict:
        """Hand the outcome of evaluating `batch` (by a backend, or stepped live) to the strategy."""
        if batch.generation != self.generation:
            raise RunError(f"outcome of generation {batch.generation} told at generation {self.generation}")
        genomes = batch.genomes
        fitness = outcome.fitness[self.role.name]
        finished = outcome.finished[self.role.name]
        size = fitness.shape[0]
        best = int(np.argmax(np.where(np.isnan(fitness), -np.inf, fitness)))
        if self.champion is None or fitness[best] > self.champion.fitness:
            self.champion = Champion(self.breeder.pick(genomes, best), float(fitness[best]), bool(finished[best]),
                                     self.generation, best, self.breeder.parents(self.state, best))
            self.champion_id = (self.generation, best)
        if self.solved_generation is None and finished.any():
            self.solved_generation = self.generation
        self.evaluations += size
        stats = {
            "generation": self.generation,
            "best_fitness": float(fitness[best]),
            "mean_fitness": float(np.nanmean(fitness)),
            "median_fitness": float(np.nanmedian(fitness)),
            "finished": int(finished.sum()),
            "champion_fitness": self.champion.fitness,
            "champion_generation": self.champion.generation,
            "evaluations": self.evaluations,
            "agent_steps": int(outcome.ticks.sum()),
            **self.breeder.generation_stats(self.state),
            "eval_s": round(eval_s, 6),
            "wall_s": round(time.perf_counter() - self.started, 6),
        }
        self.state = self.strategy.tell(self.state, fitness)
        for reporter in self.reporters:
            reporter.on_generation(self, stats)
        return stats

    def run(self, generations=None) -> None:
        """Run up to generation `generations` (default: the configured total); reporters are closed at the end."""
        target = self.config.generations if generations is None else generations
        try:
            while self.generation < target:
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
            "strategy": self.config.ga if self.config.brain == "mlp" else f"neat:{self.config.neat}",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return self.breeder.brain(self.arena.spec, c.genome, provenance)

    def describe(self) -> dict:
        """The run's config.json: the config, the level file and the strategy's settings."""
        return {**self.config.to_dict(), "level": self.level_path, **self.breeder.describe()}

    # -- checkpoints
    def checkpoint_data(self) -> dict:
        c = self.champion
        champion = None if c is None else {
            "genome": self.breeder.genome_to_data(c.genome), "fitness": c.fitness, "finished": c.finished,
            "generation": c.generation, "index": c.index, "parents": c.parents,
        }
        return {
            "strategy": self.config.brain,
            "config": self.config.to_dict(),
            "params": self.strategy.params.to_dict(),
            "state": self.breeder.state_to_data(self.state),
            "session": {"champion": champion, "solved_generation": self.solved_generation,
                        "evaluations": self.evaluations},
        }

    @classmethod
    def from_checkpoint(cls, path, generations=None, backend=None, reporters=()):
        """The session saved in the checkpoint file `path`; `generations` replaces the configured total."""
        data = ckpt.load_checkpoint(path)
        config = TrainConfig.from_dict(data.get("config"), str(path))
        if generations is not None:
            config = replace(config, generations=generations)
        params_class = neat_module.NeatParams if config.brain == "neat" else ga_module.GAParams
        params_data = data.get("params")
        if not isinstance(params_data, dict):
            raise RunError(f"{path}: field 'params' must be an object")
        params = ckpt.decode(path, params_class.from_dict, params_data)
        session = ckpt.decode(path, cls, config, backend, reporters, params)
        session.state = ckpt.decode(path, session.breeder.state_from_data, data.get("state"))
        ckpt.decode(path, session._restore, data.get("session"))
        return session

    def _restore(self, data) -> None:
        if not isinstance(data, dict):
            raise ckpt.FieldError("session", "expected an object")
        solved = data.get("solved_generation")
        evaluations = data.get("evaluations")
        if solved is not None and not (isinstance(solved, int) and not isinstance(solved, bool) and solved >= 0):
            raise ckpt.FieldError("session.solved_generation", "expected null or a generation")
        if not (isinstance(evaluations, int) and not isinstance(evaluations, bool) and evaluations >= 0):
            raise ckpt.FieldError("session.evaluations", "expected a count")
        self.solved_generation = solved
        self.evaluations = evaluations
        c = data.get("champion")
        if c is None:
            return
        if not isinstance(c, dict):
            raise ckpt.FieldError("session.champion", "expected an object or null")
        numbers = {}
        for name in ("generation", "index"):
            value = c.get(name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                raise ckpt.FieldError(f"session.champion.{name}", "expected a count")
            numbers[name] = value
        fitness = c.get("fitness")
        if not isinstance(fitness, (int, float)) or isinstance(fitness, bool) or not np.isfinite(fitness):
            raise ckpt.FieldError("session.champion.fitness", "expected a finite number")
        if not isinstance(c.get("finished"), bool):
            raise ckpt.FieldError("session.champion.finished", "expected true or false")
        parents = c.get("parents")
        if not (isinstance(parents, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in parents)):
            raise ckpt.FieldError("session.champion.parents", "expected a list of integers")
        self.champion = Champion(self.breeder.genome_from_data(c.get("genome")), float(fitness), c["finished"],
                                 numbers["generation"], numbers["index"], parents)
        self.champion_id = (numbers["generation"], numbers["index"])

"""A training session: one arena, one level, one strategy and one backend, generation by generation.

Reporters (the run folder, a progress bar, later the live chart) observe the session: each
gets `on_generation(session, stats)` after every generation and `close(session)` at the end.
A session's whole state (strategy state, champion) goes into a checkpoint, and a session
rebuilt from one continues exactly as if it had never stopped.

Every genome wears a CPPN skin (`arena.evolve.skins`), inherited along the brains' lineage
and stepped with them; skins draw on a random stream of their own, so a run's brains,
fitness and champions are the same with them as without.
"""

import contextlib
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from arena.arenas import REGISTRY, get_arena
from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.neat.compile import compile_neat, forward_reference
from arena.brains.neat.genome import NeatGenomes, concatenate as concatenate_genomes
from arena.brains.netbatch import compile_mlp
from arena.core.errors import RunError, UsageError
from arena.arenas.base import SCRIPTED
from arena.core.seeding import STREAM_OPPONENTS, STREAM_ROLE, STREAM_SCRIPTED, env_seeds, rng, seed_sequence
from arena.evaluate.serial import SerialBackend
from arena.evolve import MAX_POPULATION
from arena.evolve import ga as ga_module
from arena.evolve import neat as neat_module
from arena.evolve import novelty as novelty_module
from arena.evolve.skins import AgentSkins, SkinLineage
from arena.persist import checkpoint as ckpt
from arena.persist.brainfile import brain_from_genome, brain_from_neat

BRAIN_KINDS = ("mlp", "neat")
# Weights of a whole MLP population (float32; the GA holds a few copies): beyond this, a run is
# refused at once instead of exhausting memory minutes later.
MAX_POPULATION_WEIGHTS = 2**28


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
    opponents: int = 4  # co-evolution: games each genome plays, against champions of the other role
    objective: str = "fitness"  # what selection ranks by: fitness, novelty or blend:W (see evolve/novelty.py)
    novelty_k: int = 15  # novelty: nearest neighbours a genome's sparseness is measured over


    def __post_init__(self):
        if self.brain not in BRAIN_KINDS:
            raise UsageError(f"unknown brain kind {self.brain!r} (known: {', '.join(BRAIN_KINDS)})")
        if not 2 <= self.population <= MAX_POPULATION:
            raise UsageError(f"--population must be from 2 to {MAX_POPULATION}, got {self.population}")
        if not 1 <= self.opponents <= 64:
            raise UsageError(f"--opponents must be from 1 to 64, got {self.opponents}")
        if self.recurrent and self.brain != "neat":
            raise UsageError("--recurrent needs --brain neat")
        novelty_module.parse_objective(self.objective)
        if not 1 <= self.novelty_k <= 1000:
            raise UsageError(f"--novelty-k must be from 1 to 1000, got {self.novelty_k}")

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
    skin: the CPPN skin it wore (a one-genome NeatGenomes), or None (from an older checkpoint).
    """

    genome: object
    fitness: float
    finished: bool
    generation: int
    index: int
    parents: list = field(default_factory=list)
    skin: object = None


class _MLPBreeder:
    """Fixed-topology MLPs evolved by the GA."""

    def __init__(self, config: TrainConfig, role, seed: int, params=None):
        self.role = role
        self.network = MLPSpec.for_role(role, config.hidden)
        weights = self.network.genome_size * config.population
        if weights > MAX_POPULATION_WEIGHTS:
            raise UsageError(f"{config.population} networks of {self.network.genome_size:,} weights (layers "
                             f"{'x'.join(map(str, self.network.layers))}) are {weights * 4 / 2**30:.1f} GB; at most "
                             f"{MAX_POPULATION_WEIGHTS * 4 / 2**30:.0f} GB of weights in all: fewer or smaller hidden layers, "
                             f"or a smaller population")
        self.strategy = ga_module.GA(params or ga_module.preset(config.ga, config.population),
                                     self.network.genome_size, seed)

    def compile(self, genomes):
        return compile_mlp(self.network, genomes)

    def pick(self, genomes, index):
        return genomes[index].copy()

    def take(self, genomes, index):
        """The genomes at `index` (int64[k], repeats allowed), as one batch."""
        return genomes[index]

    def join(self, batches):
        """One batch of the genomes of several batches, in order."""
        return np.concatenate(batches)

    def stack(self, picked):
        """One batch of single genomes (as `pick` gives them)."""
        return np.stack(picked)

    def parents(self, state, index):
        return [int(p) for p in state.parents[index]]

    def lineage(self, state):
        """(species int64[P], parents int64[P, 2]) of the generation being evaluated."""
        return np.zeros(state.parents.shape[0], dtype=np.int64), state.parents

    def parent_rows(self, previous, state):
        """int64[P, 2]: the parents of `state`'s genomes as rows of `previous`'s, -1 for none."""
        return state.parents

    def unchanged(self, previous, state):
        """bool[P]: the genomes of `state` equal to their first parent's, gene for gene (elites)."""
        return np.all(state.genomes == previous.genomes[state.parents[:, 0]], axis=1)

    def reference_policy(self, genome):
        """float32[k, n_in] -> float32[k, n_out]: one genome driving k agents (a ghost team),
        in numpy (no numba threads)."""
        return lambda obs: forward_numpy(self.network, np.repeat(genome[None], obs.shape[0], axis=0), obs)

    def brain(self, arena_spec, genome, provenance, skin=None):
        return brain_from_genome(arena_spec, self.role.name, self.network, genome, provenance, skin)

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

    def genome_from_data(self, data, field="session.champion.genome"):
        genome = ckpt.decode_array(data, field, np.float32, 1)
        if genome.shape != (self.network.genome_size,):
            raise ckpt.FieldError(field, f"expected {self.network.genome_size} genes")
        return genome


class _NeatBreeder:
    """NEAT networks evolved by NEAT."""

    def __init__(self, config: TrainConfig, role, seed: int, params=None):
        self.role = role
        params = params or replace(neat_module.preset(config.neat, config.population), recurrent=config.recurrent)
        self.recurrent = params.recurrent
        self.strategy = neat_module.NEAT(params, role.n_inputs, role.n_outputs, seed,
                                         role.hidden_activation, role.output_activation)

    def compile(self, genomes):
        return compile_neat(genomes, self.recurrent)

    def pick(self, genomes, index):
        return genomes.take([index])

    def take(self, genomes, index):
        return genomes.take(index)

    def join(self, batches):
        return concatenate_genomes(batches)

    def stack(self, picked):
        return concatenate_genomes(picked)

    def parents(self, state, index):
        return [int(p) for p in state.parent_ids[index]]

    def lineage(self, state):
        return state.species_of, state.parent_ids

    def parent_rows(self, previous, state):
        # Looked up rather than computed from the first id: ids are consecutive in a state NEAT
        # made, but a checkpoint's are only known to be integers.
        order = np.argsort(previous.genome_ids, kind="stable")
        ids = previous.genome_ids[order]
        at = np.minimum(np.searchsorted(ids, state.parent_ids), ids.size - 1)
        return np.where((state.parent_ids >= 0) & (ids[at] == state.parent_ids), order[at], -1)

    def unchanged(self, previous, state):
        return _same_genes(previous.genomes, self.parent_rows(previous, state)[:, 0], state.genomes)

    def reference_policy(self, genome):
        memories = {}  # recurrent: node values carried from tick to tick, per agent

        def policy(obs):
            return np.stack([forward_reference(genome, 0, row, memories.setdefault(k, {}) if self.recurrent else None)
                             for k, row in enumerate(obs)])

        return policy

    def brain(self, arena_spec, genome, provenance, skin=None):
        return brain_from_neat(arena_spec, self.role.name, genome, 0, self.recurrent, provenance, skin)

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

    def genome_from_data(self, data, field="session.champion.genome"):
        genome = ckpt.genomes_from_data(data, field, self.role.n_inputs, self.role.n_outputs, self.recurrent)
        if genome.size != 1:
            raise ckpt.FieldError(field, "expected one genome")
        return genome


def _same_genes(parents: NeatGenomes, rows: np.ndarray, children: NeatGenomes) -> np.ndarray:
    """bool[P]: whether child i has the genes of parent rows[i] (-1: no parent), bit for bit."""
    valid = rows >= 0
    rows = np.maximum(rows, 0)
    same = valid & (parents.n_nodes[rows] == children.n_nodes) & (parents.n_conns[rows] == children.n_conns)
    for names, counts in ((NeatGenomes.ARRAYS[1:4], children.n_nodes), (NeatGenomes.ARRAYS[5:], children.n_conns)):
        width = min(getattr(parents, names[0]).shape[1], getattr(children, names[0]).shape[1])
        padding = np.arange(width)[None, :] >= counts[:, None]  # equal counts fit both widths
        for name in names:
            equal = getattr(parents, name)[rows, :width] == getattr(children, name)[:, :width]
            same &= np.all(equal | padding, axis=1)
    return same


@dataclass
class GenerationBatch:
    """One generation ready to evaluate: genomes as the strategy gave them, their compiled networks
    ({role: NetBatch}), one environment seed each (uint64[n]), and for display each genome's species
    (int64[n]; all 0 without speciation), parents (int64[n, 2]: indices into the previous
    generation for the GA, genome ids for NEAT; -1 for none) and skins ({role: AgentSkins}: the
    skin each environment's agent of the role wears)."""

    generation: int
    genomes: object  # co-evolving: {role: genomes}
    nets: dict
    seeds: np.ndarray
    species: np.ndarray
    parents: np.ndarray
    side: np.ndarray = None  # co-evolving: int64[n], which role's genome each environment evaluates
    skins: dict = None


class _Population:
    """The evolving population of one role: its breeder and strategy state, its genomes' skins,
    its champion and, when co-evolving, its hall of fame (the champion of every past generation)."""

    def __init__(self, role, breeder, skin_lineage: SkinLineage):
        self.role = role
        self.breeder = breeder
        self.strategy = breeder.strategy
        self.state = self.strategy.initial_state()
        self.skin_lineage = skin_lineage
        self.skins = skin_lineage.initial()  # SkinState: skin i is worn by genome i of `state`
        self.champion = None
        self.champion_id = None
        self.hall_of_fame = []  # genomes as `breeder.pick` gives them, oldest first
        self.hall_of_fame_skins = []  # their skins (one-genome NeatGenomes; None from older checkpoints)
        self.novelty = None  # NoveltySearch, when selection is by novelty (see `TrainSession`)
        self.novelty_state = None

    def tell(self, score) -> None:
        """The next generation of genomes, and of the skins they wear, selected by `score`
        (the fitness, or what the objective makes of it)."""
        previous = self.state
        self.state = self.strategy.tell(previous, score)
        self.skins = self.skin_lineage.next(self.skins, self.breeder.parent_rows(previous, self.state),
                                            previous.generation, self.breeder.unchanged(previous, self.state))

    def remember_champion(self) -> None:
        """Put the champion in the hall of fame (co-evolution's opponents are drawn from it)."""
        self.hall_of_fame.append(self.champion.genome)
        self.hall_of_fame_skins.append(self.champion.skin)
        if len(self.hall_of_fame) > MAX_HALL_OF_FAME:
            del self.hall_of_fame[1::2]
            del self.hall_of_fame_skins[1::2]

    def crown(self, genomes, fitness, finished, generation, index, best_ever: bool) -> None:
        """Make genome `index` of this generation the champion: always (co-evolution, where
        fitness is relative to opponents that change), or when it beats the best so far."""
        if best_ever and self.champion is not None and not fitness[index] > self.champion.fitness:
            return
        self.champion = Champion(self.breeder.pick(genomes, index), float(fitness[index]), bool(finished[index]),
                                 generation, index, self.breeder.parents(self.state, index),
                                 self.skins.genomes.take([index]))
        self.champion_id = (generation, index)

    def champion_to_data(self):
        c = self.champion
        return None if c is None else {
            "genome": self.breeder.genome_to_data(c.genome), "fitness": c.fitness, "finished": c.finished,
            "generation": c.generation, "index": c.index, "parents": c.parents,
            **({"skin": ckpt.genomes_to_data(c.skin)} if c.skin is not None else {}),
        }

    def champion_from_data(self, c, field: str) -> None:
        if c is None:
            return
        if not isinstance(c, dict):
            raise ckpt.FieldError(field, "expected an object or null")
        numbers = {}
        for name in ("generation", "index"):
            value = c.get(name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                raise ckpt.FieldError(f"{field}.{name}", "expected a count")
            numbers[name] = value
        fitness = c.get("fitness")
        if not ckpt.is_finite_number(fitness):
            raise ckpt.FieldError(f"{field}.fitness", "expected a finite number")
        if not isinstance(c.get("finished"), bool):
            raise ckpt.FieldError(f"{field}.finished", "expected true or false")
        parents = c.get("parents")
        if not (isinstance(parents, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in parents)):
            raise ckpt.FieldError(f"{field}.parents", "expected a list of integers")
        skin = c.get("skin")
        self.champion = Champion(self.breeder.genome_from_data(c.get("genome"), f"{field}.genome"), float(fitness),
                                 c["finished"], numbers["generation"], numbers["index"], parents,
                                 None if skin is None else ckpt.skin_genome_from_data(skin, f"{field}.skin", 1))
        self.champion_id = (numbers["generation"], numbers["index"])

    def score(self, fitness, descriptors, objective):
        """(What the strategy ranks this generation by, its stats under "novelty" or None):
        the fitness, or with novelty search the objective's mix of fitness and sparseness,
        after the archive has taken this generation's novel behaviours."""
        if self.novelty is None:
            return fitness, None
        self.novelty_state, sparseness, added = self.novelty.tell(self.novelty_state, descriptors)
        stats = {"archive_size": int(self.novelty_state.archive.shape[0]), "threshold": self.novelty_state.threshold,
                 "added": int(added.size), "mean_sparseness": float(sparseness.mean()),
                 "max_sparseness": float(sparseness.max())}
        return novelty_module.scores(objective, fitness, sparseness), stats

    def novelty_to_data(self) -> dict:
        return {} if self.novelty is None else {"novelty": ckpt.novelty_to_data(self.novelty.params, self.novelty_state)}

    def restore_novelty(self, data, field: str) -> None:
        """The archive saved at `field` (None: not saved), which a novelty run must have and a
        fitness run must not."""
        if (data is None) != (self.novelty is None):
            raise ckpt.FieldError(field, "expected the archive of a novelty run" if data is None else
                                  "an archive, but the run selects by fitness")
        if data is not None:
            params, self.novelty_state = ckpt.novelty_from_data(data, field, self.novelty.size)
            self.novelty = novelty_module.NoveltySearch(params, self.novelty.size)

    def to_data(self) -> dict:
        """The population in a co-evolution checkpoint."""
        return {"state": self.breeder.state_to_data(self.state), "skins": ckpt.skins_to_data(self.skins),
                "champion": self.champion_to_data(),
                "hall_of_fame": [self.breeder.genome_to_data(g) for g in self.hall_of_fame],
                "hall_of_fame_skins": [None if skin is None else ckpt.genomes_to_data(skin)
                                       for skin in self.hall_of_fame_skins],
                **self.novelty_to_data()}

    def restore_skins(self, data, field: str) -> None:
        """The skins saved at `field`; a checkpoint from before skins (None) keeps the fresh ones."""
        if data is not None:
            self.skins = ckpt.skins_from_data(data, field, self.skin_lineage.params.population_size)

    def restore(self, data, field: str) -> None:
        if not isinstance(data, dict):
            raise ckpt.FieldError(field, "expected an object")
        self.state = _prefixed(field, self.breeder.state_from_data, data.get("state"))
        self.restore_skins(data.get("skins"), f"{field}.skins")
        self.champion_from_data(data.get("champion"), f"{field}.champion")
        hall = data.get("hall_of_fame")
        if not isinstance(hall, list) or len(hall) > MAX_HALL_OF_FAME:
            raise ckpt.FieldError(f"{field}.hall_of_fame", f"expected a list of at most {MAX_HALL_OF_FAME} genomes")
        if self.champion is not None and not hall:  # opponents are drawn from it once there is a champion
            raise ckpt.FieldError(f"{field}.hall_of_fame", "expected at least one genome, as there is a champion")
        self.hall_of_fame = [self.breeder.genome_from_data(g, f"{field}.hall_of_fame[{k}]") for k, g in enumerate(hall)]
        skins = data.get("hall_of_fame_skins", [None] * len(hall))
        if not isinstance(skins, list) or len(skins) != len(hall):
            raise ckpt.FieldError(f"{field}.hall_of_fame_skins", f"expected a list of {len(hall)} skins or nulls")
        self.hall_of_fame_skins = [None if s is None else
                                   ckpt.skin_genome_from_data(s, f"{field}.hall_of_fame_skins[{k}]", 1)
                                   for k, s in enumerate(skins)]
        self.restore_novelty(data.get("novelty"), f"{field}.novelty")


def _prefixed(prefix: str, decoder, *args):
    """decoder(*args), with `prefix.` put before the field any FieldError names."""
    try:
        return decoder(*args)
    except ckpt.FieldError as exc:
        raise ckpt.FieldError(prefix, str(exc)) from None


MAX_HALL_OF_FAME = 1000  # champions kept per role: a run of more generations keeps every second one
SCRIPTED_MATCHES = 16  # games a generation's champions play against the scripted opponents


class TrainSession:
    """Training of every role of an arena: one population for a single-role arena; for an arena
    of two roles (pacman and ghost), two populations co-evolving.

    Co-evolution: each genome plays `config.opponents` games, against the other population's
    current champion (the best of its last generation) and champions drawn from its hall of
    fame (Rosin and Belew's hall of fame: progress cannot be undone by forgetting how to beat
    old opponents); its fitness is the mean over those games. One generation evaluates both
    populations in one batch: first every genome of the first role against its opponents, then
    every genome of the second role against its own. Each generation's champions also play
    the arena's scripted opponents on fixed seeds, an objective measure of progress that goes
    into the metrics (`vs_scripted`).
    """

    def __init__(self, config: TrainConfig, backend=None, reporters=(), params=None):
        self.config = config
        self.arena = get_arena(config.arena)
        roles = self.arena.spec.roles
        if len(roles) > 2:
            raise UsageError(f"arena {config.arena!r} has {len(roles)} roles; co-evolution supports two")
        self.level_path = config.level or str(self.arena.default_level_path())
        self.level = self.arena.load_level(self.level_path)
        breeder = _NeatBreeder if config.brain == "neat" else _MLPBreeder
        self.populations = {}
        for k, role in enumerate(roles):  # the first role keeps the run's seed, so single-role runs are unchanged
            seed = config.seed if k == 0 else int(seed_sequence(config.seed, STREAM_ROLE, k).generate_state(1)[0])
            bred = breeder(config, role, seed, params)
            skins = SkinLineage(config.seed, bred.strategy.params.population_size, k)
            self.populations[role.name] = _Population(role, bred, skins)
        self.coevolving = len(roles) == 2
        self.objective = novelty_module.parse_objective(config.objective)
        if self.objective.kind != "fitness":
            self._start_novelty(config)
        self.backend = backend or SerialBackend()
        self.reporters = list(reporters)
        self.solved_generation = None
        self.evaluations = 0
        self.last_stats = None  # the stats of the last generation told
        # A context the state changes of a generation run in: the CLI defers Ctrl-C and SIGTERM
        # there, so an interrupted run never saves a half-updated state.
        self.critical = contextlib.nullcontext
        self.started = time.perf_counter()

    def _start_novelty(self, config: TrainConfig) -> None:
        """Give every role the arena describes the behaviour of an empty novelty archive."""
        descriptors = self.arena.behaviour
        if descriptors is None:
            described = ", ".join(name for name, arena in sorted(REGISTRY.items()) if arena.behaviour is not None)
            raise UsageError(f"--objective {self.objective} needs behaviour descriptors, which arena "
                             f"{config.arena!r} has none of (arenas that have: {described})")
        for name, pop in self.populations.items():
            if name in descriptors.SIZES:
                params = novelty_module.NoveltyParams(k=config.novelty_k,
                                                      initial_threshold=descriptors.INITIAL_THRESHOLD[name])
                pop.novelty = novelty_module.NoveltySearch(params, descriptors.SIZES[name])
                pop.novelty_state = pop.novelty.initial_state()

    @property
    def needs_behaviour(self) -> bool:
        """Whether generations must be evaluated with behaviour descriptors (novelty search)."""
        return any(pop.novelty is not None for pop in self.populations.values())

    def evaluate(self, batch: "GenerationBatch"):
        """The outcome of `batch` by the backend, with behaviour descriptors when they are needed."""
        if self.needs_behaviour:
            return self.backend.evaluate(self.arena, self.level, batch.nets, batch.seeds, behaviour=True)
        return self.backend.evaluate(self.arena, self.level, batch.nets, batch.seeds)

    # The first role's population: the only one, unless co-evolving.
    @property
    def primary(self) -> _Population:
        return next(iter(self.populations.values()))

    role = property(lambda self: self.primary.role)
    breeder = property(lambda self: self.primary.breeder)
    strategy = property(lambda self: self.primary.strategy)
    champion = property(lambda self: self.primary.champion)
    champion_id = property(lambda self: self.primary.champion_id)

    @property
    def state(self):
        return self.primary.state

    @state.setter
    def state(self, value):
        self.primary.state = value

    @property
    def generation(self) -> int:
        return self.primary.state.generation

    def step(self) -> dict:
        """Evaluate the current generation, tell the strategy, notify reporters; returns the stats."""
        t0 = time.perf_counter()
        batch = self.ask()
        outcome = self.evaluate(batch)
        return self.tell(batch, outcome, time.perf_counter() - t0)

    def ask(self) -> "GenerationBatch":
        """The current generation, compiled, with its environment seeds: evaluate it, then `tell`."""
        if self.coevolving:
            return self._ask_matches()
        genomes = self.strategy.ask(self.state)
        nets = {self.role.name: self.breeder.compile(genomes)}
        seeds = env_seeds(self.config.seed, self.generation, nets[self.role.name].size)
        skins = self.primary.skins.genomes
        return GenerationBatch(self.generation, genomes, nets, seeds, *self.breeder.lineage(self.state),
                               skins={self.role.name: AgentSkins(skins, np.arange(skins.size, dtype=np.int64))})

    def tell(self, batch: "GenerationBatch", outcome, eval_s: float) -> dict:
        """Hand the outcome of evaluating `batch` (by a backend, or stepped live) to the strategy."""
        if batch.generation != self.generation:
            raise RunError(f"outcome of generation {batch.generation} told at generation {self.generation}")
        if self.coevolving:
            fitness, finished, behaviour = self._fitness_of_matches(batch, outcome)
        else:
            fitness = {self.role.name: outcome.fitness[self.role.name]}
            finished = {self.role.name: outcome.finished[self.role.name]}
            behaviour = outcome.behaviour
        if self.needs_behaviour and behaviour is None:
            raise RunError(f"the outcome of generation {batch.generation} has no behaviour descriptors, "
                           f"which novelty search needs")
        genomes = batch.genomes if self.coevolving else {self.role.name: batch.genomes}
        with self.critical():
            return self._advance(genomes, fitness, finished, outcome, eval_s, behaviour)

    def _advance(self, genomes: dict, fitness: dict, finished: dict, outcome, eval_s: float,
                 behaviour: dict = None) -> dict:
        """Crown champions, step every strategy, report: the state changes of one generation.
        Champions are the fittest whatever the objective: novelty only steers the search."""
        per_role = {}
        for name, pop in self.populations.items():
            f = fitness[name]
            best = int(np.argmax(np.where(np.isnan(f), -np.inf, f)))
            pop.crown(genomes[name], f, finished[name], self.generation, best, best_ever=not self.coevolving)
            if self.coevolving:
                pop.remember_champion()
            per_role[name] = {
                "best_fitness": float(f[best]),
                "mean_fitness": float(np.nanmean(f)),
                "median_fitness": float(np.nanmedian(f)),
                "finished": int(finished[name].sum()),
                **pop.breeder.generation_stats(pop.state),
            }
        primary = self.role.name
        if self.solved_generation is None and finished[primary].any():
            self.solved_generation = self.generation
        self.evaluations += sum(f.shape[0] for f in fitness.values())
        stats = {
            "generation": self.generation,
            **{k: v for k, v in per_role[primary].items() if k in ("best_fitness", "mean_fitness", "median_fitness",
                                                                    "finished")},
            "champion_fitness": self.champion.fitness,
            "champion_generation": self.champion.generation,
            "evaluations": self.evaluations,
            "agent_steps": int(outcome.ticks.sum()),
            **({"roles": per_role, "vs_scripted": self._play_scripted()} if self.coevolving
               else self.breeder.generation_stats(self.state)),
            "eval_s": round(eval_s, 6),
            "wall_s": round(time.perf_counter() - self.started, 6),
        }
        for name, pop in self.populations.items():
            score, novelty_stats = pop.score(fitness[name], behaviour and behaviour.get(name), self.objective)
            if novelty_stats is not None:
                (per_role[name] if self.coevolving else stats)["novelty"] = novelty_stats
            pop.tell(score)
        self.last_stats = stats
        for reporter in self.reporters:
            reporter.on_generation(self, stats)
        return stats

    # -- co-evolution
    def _opponents(self, pop: _Population, genomes):
        """The genomes `config.opponents` games are played against, and their skins (a list of
        one-genome NeatGenomes or None): the current champion and champions drawn from the hall
        of fame; in generation 0, the first genomes of `genomes`."""
        m = self.config.opponents
        if pop.champion is None:
            rows = np.arange(m) % len_of(genomes)
            return pop.breeder.take(genomes, rows), [pop.skins.genomes.take([k]) for k in rows]
        draw = rng(self.config.seed, STREAM_OPPONENTS, self.generation, list(self.populations).index(pop.role.name))
        drawn = [int(k) for k in draw.integers(0, len(pop.hall_of_fame), m - 1)]
        picked = [pop.champion.genome] + [pop.hall_of_fame[k] for k in drawn]
        return pop.breeder.stack(picked), [pop.champion.skin] + [pop.hall_of_fame_skins[k] for k in drawn]

    def _ask_matches(self) -> "GenerationBatch":
        m = self.config.opponents
        (first, pop_a), (second, pop_b) = self.populations.items()
        genomes = {name: pop.strategy.ask(pop.state) for name, pop in self.populations.items()}
        rivals_of_a, rival_skins_of_a = self._opponents(pop_b, genomes[second])  # played by the first role's genomes
        rivals_of_b, rival_skins_of_b = self._opponents(pop_a, genomes[first])
        p, q = len_of(genomes[first]), len_of(genomes[second])
        agents_a, agents_b = pop_a.role.agents, pop_b.role.agents
        # env i*m + j: genome i of the first role against its opponent j; then env p*m + i*m + j:
        # genome i of the second role against its opponent j.
        nets = {
            first: pop_a.breeder.compile(pop_a.breeder.join([
                pop_a.breeder.take(genomes[first], np.repeat(np.arange(p), m * agents_a)),
                pop_a.breeder.take(rivals_of_b, np.repeat(np.tile(np.arange(m), q), agents_a))])),
            second: pop_b.breeder.compile(pop_b.breeder.join([
                pop_b.breeder.take(rivals_of_a, np.repeat(np.tile(np.arange(m), p), agents_b)),
                pop_b.breeder.take(genomes[second], np.repeat(np.arange(q), m * agents_b))])),
        }
        seeds = env_seeds(self.config.seed, self.generation, (p + q) * m)
        species_a, parents_a = pop_a.breeder.lineage(pop_a.state)
        species_b, parents_b = pop_b.breeder.lineage(pop_b.state)
        species = np.concatenate([np.repeat(species_a, m), np.repeat(species_b, m)])
        parents = np.concatenate([np.repeat(parents_a, m, axis=0), np.repeat(parents_b, m, axis=0)])
        # the skin of each environment's agent of each role, in the environments' order above
        skins = {
            first: _env_skins(pop_a.skins.genomes, np.repeat(np.arange(p), m), rival_skins_of_b,
                              np.tile(np.arange(m), q)),
            second: _env_skins(pop_b.skins.genomes, np.repeat(np.arange(q), m), rival_skins_of_a,
                               np.tile(np.arange(m), p), rivals_first=True),
        }
        return GenerationBatch(self.generation, genomes, nets, seeds, species, parents,
                               np.repeat(np.arange(2), [p * m, q * m]), skins)

    def _fitness_of_matches(self, batch, outcome):
        """{role: fitness float64[P]}, {role: finished bool[P]} and {role: behaviour float32[P, D]}
        (None without descriptors): means over each genome's games."""
        m = self.config.opponents
        fitness, finished, behaviour = {}, {}, None
        for side, name in enumerate(self.populations):
            rows = batch.side == side
            fitness[name] = outcome.fitness[name][rows].reshape(-1, m).mean(axis=1)
            finished[name] = outcome.finished[name][rows].reshape(-1, m).any(axis=1)
            if outcome.behaviour is not None and name in outcome.behaviour:
                described = outcome.behaviour[name][rows]
                behaviour = behaviour or {}
                behaviour[name] = described.reshape(-1, m, described.shape[1]).mean(axis=1, dtype=np.float64)
        return fitness, finished, behaviour

    def _play_scripted(self) -> dict:
        """Each role's champion of this generation against the arena's scripted opponents, on
        seeds that training never uses: {role: {"fitness": mean, ...the arena's match summary}}."""
        seeds = seed_sequence(self.config.seed, STREAM_SCRIPTED).generate_state(SCRIPTED_MATCHES, dtype=np.uint64)
        out = {}
        for name, pop in self.populations.items():
            nets = {other: SCRIPTED for other in self.populations}
            picked = pop.breeder.stack([pop.champion.genome])
            nets[name] = pop.breeder.compile(pop.breeder.take(picked, np.zeros(SCRIPTED_MATCHES * pop.role.agents,
                                                                                  dtype=np.int64)))
            outcome = self.backend.evaluate(self.arena, self.level, nets, seeds)
            out[name] = {"fitness": float(outcome.fitness[name].mean()), **self.arena.match_summary(self.level, outcome)}
        return out

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

    def champion_brain(self, role: str = None):
        """The brain file document of a role's champion (the first role's by default)."""
        pop = self.populations[role or self.role.name]
        c = pop.champion
        provenance = {
            "seed": self.config.seed,
            "generation": c.generation,
            "index": c.index,
            "fitness": c.fitness,
            "finished": c.finished,
            "parents": c.parents,
            "level": self.level.name,
            "strategy": self.config.ga if self.config.brain == "mlp" else f"neat:{self.config.neat}",
            "objective": str(self.objective),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return pop.breeder.brain(self.arena.spec, c.genome, provenance, c.skin)

    def describe(self) -> dict:
        """The run's config.json: the config, the level file and the strategy's settings."""
        if self.coevolving:
            return {**self.config.to_dict(), "level": self.level_path,
                    "roles": {name: pop.breeder.describe() for name, pop in self.populations.items()}}
        return {**self.config.to_dict(), "level": self.level_path, **self.breeder.describe()}

    # -- checkpoints
    def checkpoint_data(self) -> dict:
        """The whole state. A single population as format 1 has it ("state", "session.champion");
        co-evolving populations under "populations", by role, with their halls of fame."""
        session = {"solved_generation": self.solved_generation, "evaluations": self.evaluations}
        data = {"strategy": self.config.brain, "config": self.config.to_dict(), "params": self.strategy.params.to_dict()}
        if self.coevolving:
            return {**data, "populations": {name: pop.to_data() for name, pop in self.populations.items()},
                    "session": {"champion": None, **session}}
        return {**data, "state": self.breeder.state_to_data(self.state),
                "skins": ckpt.skins_to_data(self.primary.skins), **self.primary.novelty_to_data(),
                "session": {"champion": self.primary.champion_to_data(), **session}}

    @classmethod
    def from_checkpoint(cls, path, generations=None, backend=None, reporters=()):
        """The session saved in the checkpoint file `path`; `generations` replaces the configured total."""
        data = ckpt.load_checkpoint(path)
        config = TrainConfig.from_dict(data.get("config"), str(path))
        if generations is not None:
            config = replace(config, generations=generations)
        params_class = neat_module.NeatParams if config.brain == "neat" else ga_module.GAParams
        params = ckpt.decode(path, ckpt.params_from_data, params_class, data.get("params"))
        session = ckpt.decode(path, cls, config, backend, reporters, params)
        if session.coevolving:
            ckpt.decode(path, session._restore_populations, data.get("populations"))
        else:
            session.state = ckpt.decode(path, session.breeder.state_from_data, data.get("state"))
            ckpt.decode(path, session.primary.restore_skins, data.get("skins"), "skins")
            ckpt.decode(path, session.primary.restore_novelty, data.get("novelty"), "novelty")
        ckpt.decode(path, session._restore, data.get("session"))
        return session

    def _restore_populations(self, data) -> None:
        if not isinstance(data, dict) or set(data) != set(self.populations):
            raise ckpt.FieldError("populations", f"expected an object with {', '.join(self.populations)}")
        for name, pop in self.populations.items():
            pop.restore(data[name], f"populations.{name}")
        if len({pop.state.generation for pop in self.populations.values()}) != 1:
            raise ckpt.FieldError("populations", "the populations are at different generations")

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
        if not self.coevolving:
            self.primary.champion_from_data(data.get("champion"), "session.champion")


def _env_skins(own: NeatGenomes, own_rows, rivals: list, rival_rows, rivals_first: bool = False) -> AgentSkins:
    """AgentSkins of one role over a co-evolution batch: the environments of its own genomes
    wear `own` at `own_rows`, those where it plays an opponent wear `rivals` (skins or None)
    at `rival_rows`; its own environments come first unless `rivals_first`."""
    worn = [s for s in rivals if s is not None]
    rival_at = np.cumsum([s is not None for s in rivals]) - 1 + own.size
    rival_at = np.where([s is None for s in rivals], -1, rival_at)[rival_rows]
    parts = [rival_at, own_rows] if rivals_first else [own_rows, rival_at]
    return AgentSkins(concatenate_genomes([own] + worn), np.concatenate(parts).astype(np.int64))


def len_of(genomes) -> int:
    """Genomes in a batch, MLP (an array) or NEAT (NeatGenomes)."""
    return genomes.shape[0] if isinstance(genomes, np.ndarray) else genomes.size

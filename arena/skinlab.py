"""The skin lab's model (seed 000): a person evolves CPPN pictures by choosing the ones they like.

A population of CPPN genomes (`arena.evolve.skins`) is shown as pictures; the person chooses some,
in order of preference, and the next generation is bred from the chosen: the first chosen is the
fittest. The whole evolutionary state (genomes, species, innovation table, counters, generation,
the choices made so far, seed and settings) saves to a versioned JSON file (`*.skinlab.json`),
and a loaded lab continues exactly as the saved one would have.

Format v1::

    {"format": "arena.skinlab", "version": 1, "seed": 7,
     "params": {...NeatParams...}, "selection": [12, 3, 40],
     "state": {...NeatState, as in checkpoints...}}

Pictures leave the lab as PNG (or GIF, with Pillow) files (`arena.persist.pictures`).
"""

import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numba
import numpy as np

from arena.brains.activations import CPPN_CODES
from arena.brains.cppn import CPPN_ACTIVATIONS, N_INPUTS, render
from arena.brains.neat.compile import compile_neat
from arena.brains.neat.genome import NeatGenomes
from arena.core.errors import RunError, UsageError
from arena.core.fileio import read_json, write_json
from arena.core.settings import MAX_SETTING_INT
from arena.evolve.neat import NEAT, NeatParams, NeatState
from arena.evolve.skins import SKIN_OUTPUTS, skin_params
from arena.persist.checkpoint import FieldError, decode, neat_state_from_data, neat_state_to_data, params_from_data
from arena.persist.skinfile import save_skin

FORMAT = "arena.skinlab"
VERSION = 1
SUFFIX = ".skinlab.json"
DEFAULT_POPULATION = 100
MAX_POPULATION = 400  # the grid shows every genome at 32x32 pixels or more
MAX_SEED = 2**63 - 1


def lab_params(population: int = DEFAULT_POPULATION) -> NeatParams:
    """The skin NEAT settings, for a person choosing. A choice is a rank, not a score that can
    rise: a species the person keeps choosing would never "improve", and stagnation would drop
    it, so nothing stagnates here. Every species that breeds keeps its best chosen picture
    unchanged, so what was chosen is still there to choose again."""
    check_population(population)
    return replace(skin_params(population), stagnation=MAX_SETTING_INT, elite_min_species_size=0)


def check_population(population: int) -> None:
    if not 2 <= population <= MAX_POPULATION:
        raise UsageError(f"a skin lab holds from 2 to {MAX_POPULATION} genomes, got {population}")


class SkinLab:
    """A population of CPPN genomes, the person's ordered choice among them, and NEAT to breed
    the next generation from that choice."""

    def __init__(self, seed: int = 0, population: int = DEFAULT_POPULATION, params: NeatParams = None,
                 state: NeatState = None, selection=()):
        if not 0 <= int(seed) <= MAX_SEED:
            raise UsageError(f"a seed must be from 0 to 2**63 - 1, got {seed}")
        self.seed = int(seed)
        self.params = params if params is not None else lab_params(population)
        self.state = state if state is not None else self._neat(self.params).initial_state()
        self.selection = []  # genome indices, in the order chosen: the first is the best
        for index in selection:
            self.choose(index)
        self._nets = {}  # genome index -> its compiled CPPN, for this generation
        self._thumbnails = {}  # side in pixels -> uint8[P, side, side, 4], for this generation

    def _neat(self, params: NeatParams) -> NEAT:
        return NEAT(params, N_INPUTS, SKIN_OUTPUTS, self.seed, hidden_activation="sin", output_activation="sigmoid")

    # -- what is shown
    @property
    def generation(self) -> int:
        return self.state.generation

    @property
    def population(self) -> int:
        return self.state.genomes.size

    @property
    def species_count(self) -> int:
        return len(np.unique(self.state.species_of))

    def rank(self, index: int):
        """1 for the first genome chosen, 2 for the next...; None if `index` is not chosen."""
        return self.selection.index(index) + 1 if index in self.selection else None

    # -- choosing
    def choose(self, index: int) -> bool:
        """Choose genome `index` after those already chosen, or un-choose it if it was (the later
        ones move up a rank). Returns whether it is chosen now."""
        index = int(index)
        if not 0 <= index < self.population:
            raise UsageError(f"genome {index} is not in the population (0 to {self.population - 1})")
        if index in self.selection:
            self.selection.remove(index)
            return False
        self.selection.append(index)
        return True

    def clear_selection(self) -> None:
        self.selection = []

    def fitness(self) -> np.ndarray:
        """float64[P]: k for the first of k chosen genomes, k - 1 for the second, ..., 1 for the last,
        0 for the others."""
        fitness = np.zeros(self.population)
        count = len(self.selection)
        for rank, index in enumerate(self.selection):
            fitness[index] = count - rank
        return fitness

    def breeding_fraction(self) -> float:
        """NEAT's survival threshold for this choice: the largest fraction of each species that
        holds chosen genomes only, so that only chosen genomes become parents. (A species breeds
        from its fittest ceil(fraction x members); the species whose chosen share is smallest
        sets the fraction.) The settings' own threshold when nothing is chosen."""
        if not self.selection:
            return self.params.survival_threshold
        _, species, members = np.unique(self.state.species_of, return_inverse=True, return_counts=True)
        chosen = np.bincount(species[self.selection], minlength=members.size)
        share = float((chosen[chosen > 0] / members[chosen > 0]).min())
        return share * (1.0 - 1e-9)  # so that ceil(share * members) never rounds up past the chosen

    def next_generation(self) -> None:
        """Breed the next generation from the chosen (first chosen = fittest) and clear the choice.

        With nothing chosen every genome scores 0: NEAT gives each species an equal share of the
        children, bred from its first members (all tie), and each species' first member survives
        unchanged -- a generation of variation without preference."""
        params = replace(self.params, survival_threshold=self.breeding_fraction())
        self.state = self._neat(params).tell(self.state, self.fitness())
        self.selection = []
        self._nets.clear()
        self._thumbnails.clear()

    # -- pictures
    def genome(self, index: int) -> NeatGenomes:
        """Genome `index` alone (a copy: it outlives the generation)."""
        return self.state.genomes.take(int(index))

    def net(self, index: int):
        """The compiled CPPN of genome `index`."""
        index = int(index)
        net = self._nets.get(index)
        if net is None:
            net = self._nets[index] = compile_neat(self.genome(index))
        return net

    def picture(self, index: int, width: int, height: int, z: float = 0.0) -> np.ndarray:
        """uint8[height, width, 4] RGBA: genome `index` painted at any size."""
        return render(self.net(index), width, height, z)

    def thumbnails(self, size: int) -> np.ndarray:
        """uint8[P, size, size, 4]: every genome painted at size x size (made once a generation).
        One thread paints them: a small picture is done before several threads would have met
        (on 2 busy cores, 100 thumbnails take ~40 ms on one thread and over a second on two)."""
        pictures = self._thumbnails.get(size)
        if pictures is None:
            with numba_threads(1):
                pictures = np.stack([render(self.net(i), size, size) for i in range(self.population)])
            pictures.flags.writeable = False
            self._thumbnails[size] = pictures
        return pictures

    def provenance(self, index: int) -> dict:
        """Where genome `index` comes from, for the files it is exported to."""
        return {"source": "skin lab", "seed": self.seed, "generation": self.generation,
                "index": int(index), "genome_id": int(self.state.genome_ids[index]),
                "parents": [int(p) for p in self.state.parent_ids[index] if p >= 0],
                "species": int(self.state.species_of[index])}

    def save_skin(self, index: int, path) -> None:
        """Genome `index` as a skin file (`*.skin.json`); an existing file is an error."""
        save_skin(path, self.state.genomes, int(index), self.provenance(index))

    # -- the whole state
    def to_data(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "seed": self.seed, "params": self.params.to_dict(),
                "selection": list(self.selection), "state": neat_state_to_data(self.state)}

    def save(self, path, overwrite: bool = False) -> None:
        """Write the whole state to `path` atomically; an existing file is an error unless `overwrite`."""
        write_lab_data(path, self.to_data(), overwrite)

    @classmethod
    def from_data(cls, data, source: str) -> "SkinLab":
        """The lab a parsed `*.skinlab.json` describes, fully validated; one RunError naming
        `source` and the field otherwise."""
        form = data.get("format") if isinstance(data, dict) else None
        if form != FORMAT:
            raise RunError(f"{source}: not a skin lab file (field 'format' is {str(form)[:40]!r}, expected {FORMAT!r})")
        version = data.get("version")
        if version != VERSION or isinstance(version, bool):
            raise RunError(f"{source}: skin lab version {str(version)[:40]!r} is not supported (this program reads "
                           f"{VERSION})")
        return decode(source, _lab_from_data, cls, data)

    @classmethod
    def load(cls, path) -> "SkinLab":
        return cls.from_data(read_json(path, "skin lab", RunError), str(path))


def write_lab_data(path, data: dict, overwrite: bool = False) -> None:
    """Write `SkinLab.to_data()` (taken earlier: a window saves on another thread) to `path`."""
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise RunError(f"{path}: already exists (not overwriting it)")
    write_json(path, data, RunError)


def _lab_from_data(cls, data: dict) -> SkinLab:
    seed = data.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise FieldError("seed", "expected an integer from 0 to 2**63 - 1")
    params = params_from_data(NeatParams, data.get("params"))
    if not 2 <= params.population_size <= MAX_POPULATION:
        raise FieldError("params.population_size", f"expected from 2 to {MAX_POPULATION} genomes")
    if params.recurrent:
        raise FieldError("params.recurrent", "a CPPN has no recurrent connections")
    for name in ("activation_options", "hidden_activation", "output_activation"):
        value = getattr(params, name)
        if any(a not in CPPN_ACTIVATIONS for a in (value if isinstance(value, tuple) else (value,))):
            raise FieldError(f"params.{name}", f"expected CPPN activations ({', '.join(CPPN_ACTIVATIONS)})")
    state = neat_state_from_data(data.get("state"), params, N_INPUTS, SKIN_OUTPUTS)
    for field, genomes in (("state.genomes", state.genomes), ("state.species.representatives",
                                                             state.species.representatives)):
        used = np.arange(genomes.node_act.shape[1]) < genomes.n_nodes[:, None]
        if not np.isin(genomes.node_act[used], CPPN_CODES).all():
            raise FieldError(f"{field}.node_act", f"expected CPPN activations only ({', '.join(CPPN_ACTIVATIONS)})")
    selection = data.get("selection")
    size = state.genomes.size
    if not isinstance(selection, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < size for i in selection):
        raise FieldError("selection", f"expected a list of genome indices from 0 to {size - 1}")
    if len(set(selection)) != len(selection):
        raise FieldError("selection", "names a genome twice")
    return cls(seed, params=params, state=state, selection=selection)


@contextmanager
def numba_threads(count: int):
    """Run numba's parallel kernels on `count` threads in this block (the setting is per thread)."""
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(count), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def animation(net, width: int, height: int, frames: int, z: float = 0.0, z_step: float = 0.02) -> list:
    """`frames` pictures uint8[height, width, 4] of `net` at z, z + z_step, ... (seed 004's slices)."""
    return [render(net, width, height, z + k * z_step) for k in range(frames)]

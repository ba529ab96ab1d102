"""Checkpoints: the whole state of a training run, as JSON, so that a resumed run is exact.

Format v1::

    {"format": "arena.checkpoint", "version": 1, "strategy": "neat" | "ga",
     "config": {...TrainConfig...}, "params": {...NeatParams or GAParams...},
     "state": {...the strategy's state: numbers and arrays...},
     "skins": {...the CPPN skins the genomes wear, and their innovation table...},
     "session": {"champion": {..., "skin": {...}} | null, "solved_generation": int | null}}

Co-evolving populations sit under "populations", by role, each with its "state", "skins",
"champion", "hall_of_fame" and "hall_of_fame_skins" (null where a champion had none).
"skins" (and the champions' "skin", "hall_of_fame_skins") came later within version 1: a
checkpoint without them resumes with fresh skins, the same for the same seed.

Arrays are `{"dtype": "int32", "shape": [P, N], "data": [...]}` with the data flattened;
float32 values go through Python floats, which is exact, so a reloaded state is bit for bit
the saved one. No pickle: loading parses JSON and validates every field and every genome
invariant, and any problem is a `RunError` naming the file and the field.
"""

import math
import sys

import numpy as np

from arena.brains.activations import CPPN_CODES, NAMES
from arena.brains.cppn import N_INPUTS as CPPN_INPUTS
from arena.brains.neat.genome import NeatGenomes, check_genomes
from arena.core.errors import ArenaError, RunError
from arena.core.fileio import read_json, write_json
from arena.evolve.ga import GAParams, GAState
from arena.evolve.neat import NeatParams, NeatState, SpeciesSet
from arena.evolve.novelty import NoveltyParams, NoveltyState
from arena.evolve.skins import SKIN_OUTPUTS, SkinState

FORMAT = "arena.checkpoint"
VERSION = 1
MAX_ELEMENTS = 200_000_000
# The largest float setting (a scale, a coefficient, a threshold) a checkpoint may give a strategy:
# far beyond any use, far below the sizes at which float32 genes overflow or random draws fail.
MAX_FLOAT_SETTING = 1e6
_DTYPES = {"int8": np.int8, "int32": np.int32, "int64": np.int64, "float32": np.float32,
           "float64": np.float64, "bool": np.bool_}


class FieldError(Exception):
    """A problem in field `field` of a checkpoint (`decode` turns it into one RunError line)."""

    def __init__(self, field, message):
        super().__init__(f"field {field!r}: {message}")


def encode_array(array: np.ndarray) -> dict:
    """JSON form of an array; non-finite floats (float64 only) are written "inf", "-inf", "nan"."""
    array = np.asarray(array)
    name = "bool" if array.dtype == np.bool_ else array.dtype.name
    data = array.reshape(-1).tolist()
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        if array.dtype != np.float64:
            raise ValueError(f"a {name} array with non-finite values cannot be saved")
        data = [v if math.isfinite(v) else repr(v) for v in data]
    return {"dtype": name, "shape": list(array.shape), "data": data}


def is_finite_number(value) -> bool:
    """A JSON number that fits a finite float64 (int/float comparison is exact: huge integers fail, NaN too)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) <= sys.float_info.max


def decode_array(value, field: str, dtype, ndim: int) -> np.ndarray:
    if not isinstance(value, dict):
        raise FieldError(field, "expected an array object")
    name = value.get("dtype")
    if not isinstance(name, str) or _DTYPES.get(name) is not np.dtype(dtype).type:
        raise FieldError(field, f"dtype is {name!r}, expected {np.dtype(dtype).name!r}")
    shape = value.get("shape")
    if not isinstance(shape, list) or len(shape) != ndim or not all(
            isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= MAX_ELEMENTS for s in shape):
        raise FieldError(field, f"shape must be a list of {ndim} sizes")
    count = math.prod(shape)
    data = value.get("data")
    if not isinstance(data, list) or len(data) != count or count > MAX_ELEMENTS:
        raise FieldError(field, f"data must be a list of {count} values")
    kind = np.dtype(dtype).kind
    if kind == "b":
        if not all(isinstance(v, bool) for v in data):
            raise FieldError(field, "data must hold true or false only")
        return np.array(data, dtype=np.bool_).reshape(shape)
    if kind == "i":
        info = np.iinfo(dtype)
        if not all(isinstance(v, int) and not isinstance(v, bool) and info.min <= v <= info.max for v in data):
            raise FieldError(field, f"data must hold integers that fit {np.dtype(dtype).name}")
        return np.array(data, dtype=dtype).reshape(shape)
    special = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
    out = []
    limit = float(np.finfo(dtype).max)
    for v in data:
        if isinstance(v, str) and dtype == np.float64 and v in special:
            out.append(special[v])
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= limit:
            out.append(float(v))
        else:
            raise FieldError(field, f"data must hold finite numbers that fit {np.dtype(dtype).name}")
    return np.array(out, dtype=np.float64).astype(dtype).reshape(shape)


# -- strategy settings

def params_from_data(params_class, data):
    """GAParams or NeatParams (`params_class`) from a checkpoint's "params": what `from_dict`
    accepts, with float settings of at most MAX_FLOAT_SETTING and tournaments no larger than
    the population, so that the resumed run neither overflows its genes nor exhausts memory."""
    if not isinstance(data, dict):
        raise FieldError("params", "expected an object")
    defaults = params_class()
    for name, value in data.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        # checked before from_dict, whose finiteness test cannot take integers beyond float64
        if isinstance(getattr(defaults, name, None), float) and number and not abs(value) <= MAX_FLOAT_SETTING:
            raise FieldError(f"params.{name}",
                             f"expected a number from {-MAX_FLOAT_SETTING:g} to {MAX_FLOAT_SETTING:g}")
    params = params_class.from_dict(data)
    if isinstance(params, GAParams) and params.tournament_size > params.population_size:
        raise FieldError("params.tournament_size", f"expected at most the population size, {params.population_size}")
    return params


# -- NEAT state

_GENOME_ARRAYS = {"n_nodes": (np.int32, 1), "node_id": (np.int32, 2), "node_act": (np.int8, 2),
                  "node_bias": (np.float32, 2), "n_conns": (np.int32, 1), "conn_innov": (np.int32, 2),
                  "conn_src": (np.int32, 2), "conn_dst": (np.int32, 2), "conn_w": (np.float32, 2),
                  "conn_on": (np.bool_, 2)}


def genomes_to_data(genomes: NeatGenomes) -> dict:
    data = {"n_inputs": genomes.n_inputs, "n_outputs": genomes.n_outputs}
    for name in NeatGenomes.ARRAYS:
        data[name] = encode_array(getattr(genomes, name))
    return data


def genomes_from_data(value, field: str, n_inputs: int, n_outputs: int, recurrent: bool) -> NeatGenomes:
    if not isinstance(value, dict):
        raise FieldError(field, "expected an object")
    if value.get("n_inputs") != n_inputs or value.get("n_outputs") != n_outputs:
        raise FieldError(field, f"genomes must have {n_inputs} inputs and {n_outputs} outputs")
    arrays = {name: decode_array(value.get(name), f"{field}.{name}", dtype, ndim)
              for name, (dtype, ndim) in _GENOME_ARRAYS.items()}
    size = arrays["n_nodes"].shape[0]
    for name, array in arrays.items():
        if array.shape[0] != size:
            raise FieldError(f"{field}.{name}", f"has {array.shape[0]} rows, expected {size}")
    for group in (("node_id", "node_act", "node_bias"), ("conn_innov", "conn_src", "conn_dst", "conn_w", "conn_on")):
        widths = {arrays[name].shape[1] for name in group}
        if len(widths) != 1:
            raise FieldError(f"{field}.{group[0]}", f"arrays {', '.join(group)} differ in width")
    genomes = NeatGenomes(n_inputs, n_outputs, **arrays)
    try:
        check_genomes(genomes, recurrent)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None
    return genomes


def neat_state_to_data(state: NeatState) -> dict:
    s = state.species
    return {
        "generation": state.generation,
        "genomes": genomes_to_data(state.genomes),
        "genome_ids": encode_array(state.genome_ids),
        "parent_ids": encode_array(state.parent_ids),
        "species_of": encode_array(state.species_of),
        "species": {
            "ids": encode_array(s.ids), "created": encode_array(s.created),
            "last_improved": encode_array(s.last_improved), "best_fitness": encode_array(s.best_fitness),
            "representatives": genomes_to_data(s.representatives),
        },
        "link_keys": encode_array(state.link_keys),
        "link_innovations": encode_array(state.link_innovations),
        "next_innovation": state.next_innovation,
        "next_node_id": state.next_node_id,
        "next_genome_id": state.next_genome_id,
        "next_species_id": state.next_species_id,
        "threshold": state.threshold,
    }


def _counters(data: dict, field: str, names) -> dict:
    counters = {}
    for name in names:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
            raise FieldError(f"{field}.{name}", "expected an integer from 0 to 2**31 - 1")
        counters[name] = value
    return counters


def _innovation_table(data: dict, field: str, next_innovation: int):
    """(link_keys int64[L], link_innovations int64[L]) of the object at `field`."""
    keys = decode_array(data.get("link_keys"), f"{field}.link_keys", np.int64, 1)
    innovations = decode_array(data.get("link_innovations"), f"{field}.link_innovations", np.int64, 1)
    if keys.shape != innovations.shape or np.unique(keys).size != keys.size:
        raise FieldError(f"{field}.link_keys", "must be unique and match link_innovations in length")
    if innovations.size and (innovations.min() < 0 or innovations.max() >= next_innovation):
        raise FieldError(f"{field}.link_innovations", "must be below next_innovation")
    return keys, innovations


def _check_numbered_below(field: str, genomes: NeatGenomes, next_innovation: int, next_node_id: int) -> None:
    """Refuse genomes holding innovation numbers or node ids the counters have not handed out yet."""
    used = [genomes.conn_innov[k, : genomes.n_conns[k]] for k in range(genomes.size)]
    top = max((int(u.max()) for u in used if u.size), default=-1)
    if top >= next_innovation:
        raise FieldError(field, "holds an innovation number not below next_innovation")
    node_top = max((int(genomes.node_id[k, genomes.n_nodes[k] - 1]) for k in range(genomes.size)
                    if genomes.n_nodes[k]), default=0)
    if node_top >= next_node_id:
        raise FieldError(field, "holds a node id not below next_node_id")


def neat_state_from_data(data, params: NeatParams, n_inputs: int, n_outputs: int) -> NeatState:
    if not isinstance(data, dict):
        raise FieldError("state", "expected an object")
    counters = _counters(data, "state", ("generation", "next_innovation", "next_node_id", "next_genome_id",
                                         "next_species_id"))
    threshold = data.get("threshold")
    if not (is_finite_number(threshold) and threshold > 0):
        raise FieldError("state.threshold", "expected a positive number")
    genomes = genomes_from_data(data.get("genomes"), "state.genomes", n_inputs, n_outputs, params.recurrent)
    size = genomes.size
    if size != params.population_size:
        raise FieldError("state.genomes", f"holds {size} genomes, the settings say {params.population_size}")
    genome_ids = decode_array(data.get("genome_ids"), "state.genome_ids", np.int64, 1)
    parent_ids = decode_array(data.get("parent_ids"), "state.parent_ids", np.int64, 2)
    species_of = decode_array(data.get("species_of"), "state.species_of", np.int64, 1)
    if genome_ids.shape != (size,) or parent_ids.shape != (size, 2) or species_of.shape != (size,):
        raise FieldError("state.genome_ids", f"genome_ids, parent_ids and species_of must have {size} rows")
    species = data.get("species")
    if not isinstance(species, dict):
        raise FieldError("state.species", "expected an object")
    columns = {name: decode_array(species.get(name), f"state.species.{name}", dtype, 1)
               for name, dtype in (("ids", np.int64), ("created", np.int64), ("last_improved", np.int64),
                                   ("best_fitness", np.float64))}
    reps = genomes_from_data(species.get("representatives"), "state.species.representatives",
                              n_inputs, n_outputs, params.recurrent)
    count = columns["ids"].shape[0]
    if any(c.shape[0] != count for c in columns.values()) or reps.size != count:
        raise FieldError("state.species", "its arrays and representatives differ in length")
    ids = columns["ids"]
    if count and (np.any(np.diff(ids) <= 0) or ids[0] < 0 or ids[-1] >= counters["next_species_id"]):
        raise FieldError("state.species.ids", "must ascend, without repeats, below next_species_id")
    if not np.all(np.isin(species_of, ids)):
        raise FieldError("state.species_of", "names a species that does not exist")
    if np.isnan(columns["best_fitness"]).any():
        raise FieldError("state.species.best_fitness", "must not hold NaN")
    keys, innovations = _innovation_table(data, "state", counters["next_innovation"])
    for g_field, g in (("state.genomes", genomes), ("state.species.representatives", reps)):
        _check_numbered_below(g_field, g, counters["next_innovation"], counters["next_node_id"])
    return NeatState(
        generation=counters["generation"], genomes=genomes, genome_ids=genome_ids, parent_ids=parent_ids,
        species_of=species_of,
        species=SpeciesSet(ids, columns["created"], columns["last_improved"], columns["best_fitness"], reps),
        link_keys=keys, link_innovations=innovations, next_innovation=counters["next_innovation"],
        next_node_id=counters["next_node_id"], next_genome_id=counters["next_genome_id"],
        next_species_id=counters["next_species_id"], threshold=float(threshold),
    )


# -- CPPN skins

def skins_to_data(skins: SkinState) -> dict:
    return {"genomes": genomes_to_data(skins.genomes), "link_keys": encode_array(skins.link_keys),
            "link_innovations": encode_array(skins.link_innovations), "next_innovation": skins.next_innovation,
            "next_node_id": skins.next_node_id}


def skin_genome_from_data(value, field: str, count: int = None) -> NeatGenomes:
    """CPPN genomes (the form `genomes_to_data` writes) with CPPN activations only; `count` of
    them if given."""
    genomes = genomes_from_data(value, field, CPPN_INPUTS, SKIN_OUTPUTS, False)
    if count is not None and genomes.size != count:
        raise FieldError(field, f"expected {count} skin{'s' if count != 1 else ''}")
    allowed = np.isin(genomes.node_act, np.asarray(CPPN_CODES, dtype=np.int8))
    used = np.arange(genomes.node_act.shape[1])[None, :] < genomes.n_nodes[:, None]
    if not np.all(allowed | ~used):
        code = int(genomes.node_act[~allowed & used][0])
        raise FieldError(field, f"activation {NAMES.get(code, code)!r} is not a CPPN one")
    return genomes


def skins_from_data(data, field: str, population: int) -> SkinState:
    """The skins of a population of `population` genomes saved at `field`."""
    if not isinstance(data, dict):
        raise FieldError(field, "expected an object")
    counters = _counters(data, field, ("next_innovation", "next_node_id"))
    genomes = skin_genome_from_data(data.get("genomes"), f"{field}.genomes")
    if genomes.size != population:
        raise FieldError(f"{field}.genomes", f"holds {genomes.size} skins, the population has {population} genomes")
    keys, innovations = _innovation_table(data, field, counters["next_innovation"])
    _check_numbered_below(f"{field}.genomes", genomes, counters["next_innovation"], counters["next_node_id"])
    return SkinState(genomes, keys, innovations, counters["next_innovation"], counters["next_node_id"])


# -- GA state

def ga_state_to_data(state: GAState) -> dict:
    return {"generation": state.generation, "genomes": encode_array(state.genomes),
            "parents": encode_array(state.parents)}


def ga_state_from_data(data, params: GAParams, genome_size: int) -> GAState:
    if not isinstance(data, dict):
        raise FieldError("state", "expected an object")
    generation = data.get("generation")
    if not isinstance(generation, int) or isinstance(generation, bool) or not 0 <= generation < 2**31:
        raise FieldError("state.generation", "expected an integer from 0 to 2**31 - 1")
    genomes = decode_array(data.get("genomes"), "state.genomes", np.float32, 2)
    parents = decode_array(data.get("parents"), "state.parents", np.int64, 2)
    if genomes.shape != (params.population_size, genome_size):
        raise FieldError("state.genomes", f"shape {list(genomes.shape)}, expected {[params.population_size, genome_size]}")
    if parents.shape != (params.population_size, 2):
        raise FieldError("state.parents", f"shape {list(parents.shape)}, expected {[params.population_size, 2]}")
    return GAState(generation, genomes, parents)


# -- novelty search

def novelty_to_data(params: NoveltyParams, state: NoveltyState) -> dict:
    return {"params": params.to_dict(), "archive": encode_array(state.archive), "threshold": state.threshold,
            "window_evaluations": state.window_evaluations, "window_added": state.window_added,
            "added_total": state.added_total}


def novelty_from_data(data, field: str, size: int) -> tuple:
    """(NoveltyParams, NoveltyState) of a novelty search whose descriptors hold `size` numbers."""
    if not isinstance(data, dict):
        raise FieldError(field, "expected an object")
    try:
        params = NoveltyParams.from_dict(data.get("params"), f"{field}.params")
    except ArenaError as exc:
        raise FieldError(f"{field}.params", str(exc)) from None
    archive = decode_array(data.get("archive"), f"{field}.archive", np.float32, 2)
    if archive.shape[1] != size or archive.shape[0] > params.max_archive:
        raise FieldError(f"{field}.archive", f"shape {list(archive.shape)}, expected at most "
                         f"{params.max_archive} rows of {size} numbers")
    threshold = data.get("threshold")
    if not (is_finite_number(threshold) and threshold > 0):
        raise FieldError(f"{field}.threshold", "expected a positive number")
    counts = {}
    for name in ("window_evaluations", "window_added", "added_total"):
        value = data.get(name)
        if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63):
            raise FieldError(f"{field}.{name}", "expected a count")
        counts[name] = value
    return params, NoveltyState(archive, float(threshold), **counts)


# -- files

def save_checkpoint(path, data: dict) -> None:
    """Write a checkpoint document atomically (the previous file stays whole until the rename)."""
    write_json(path, {"format": FORMAT, "version": VERSION, **data}, RunError)


def load_checkpoint(path) -> dict:
    """The parsed checkpoint document at `path`, with its header checked."""
    data = read_json(path, "checkpoint", RunError)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RunError(f"{path}: not a checkpoint file (field 'format' is not {FORMAT!r})")
    if data.get("version") != VERSION:
        raise RunError(f"{path}: checkpoint version {data.get('version')!r} is not supported (this program reads 1)")
    return data


def decode(path, decoder, *args):
    """Run `decoder(*args)`, turning any problem it finds into one RunError line naming `path`."""
    try:
        return decoder(*args)
    except FieldError as exc:
        raise RunError(f"{path}: {exc}") from None
    except ArenaError as exc:
        raise RunError(f"{path}: {exc}") from None

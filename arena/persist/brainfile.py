"""Brain files (`*.brain.json`): versioned, self-describing JSON, validated fully on load.

Format v1::

    {"format": "arena.brain", "version": 1,
     "arena": "tunnel", "role": "driver", "spec_version": 1,
     "observation": ["velocity", ...], "action": ["force"],
     "network": {"type": "mlp", "layers": [7, 8, 4, 1],
                 "activations": ["sigmoid", "sigmoid", "sigmoid"], "genome": [0.25, ...]},
     "provenance": {"seed": 1, "generation": 57, ...}}

Genes are float32 written as the shortest float64 repr, so they load back bit for bit.
Every problem with a file raises `BrainError` with a one-line message that starts with the
file name; unknown keys are ignored so that newer writers can add fields.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import NetBatch, compile_mlp
from arena.core.errors import ArenaError, BrainError
from arena.core.fileio import read_json, write_json

FORMAT = "arena.brain"
VERSION = 1
MAX_LAYER_SIZE = 4096
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_MISSING = object()  # stands for an absent key in messages


# eq=False: the generated __eq__ would compare numpy arrays (ambiguous truth value) and the
# generated __hash__ would hash a dict; compare fields explicitly instead.
@dataclass(frozen=True, eq=False)
class Brain:
    """One saved network and what it was made for.

    `genome` is float32[network.genome_size], read-only; `provenance` holds plain JSON values.
    """

    arena: str
    role: str
    spec_version: int
    observation: tuple  # input names, in order
    action: tuple  # output names, in order
    network: MLPSpec
    genome: np.ndarray
    provenance: dict


def brain_from_genome(arena_spec, role_name: str, mlp_spec: MLPSpec, genome, provenance=None) -> Brain:
    """A Brain for role `role_name` of `arena_spec` (an ArenaSpec) from a float32[genome_size] genome.

    The genome is copied; numpy scalars and arrays in `provenance` become plain JSON values.
    """
    try:
        role = arena_spec.role(role_name)
    except KeyError as exc:
        raise BrainError(exc.args[0]) from None
    if (mlp_spec.n_inputs, mlp_spec.n_outputs) != (role.n_inputs, role.n_outputs):
        raise BrainError(
            f"an MLP with {mlp_spec.n_inputs} inputs and {mlp_spec.n_outputs} outputs does not fit "
            f"role {role.name!r} of arena {arena_spec.name!r} ({role.n_inputs} inputs, {role.n_outputs} outputs)"
        )
    genome = np.array(genome, dtype=np.float32)
    if genome.shape != (mlp_spec.genome_size,):
        raise BrainError(f"a genome of shape {genome.shape} does not fit an MLP of {mlp_spec.genome_size} weights")
    if not np.all(np.isfinite(genome)):
        raise BrainError("a genome with NaN or infinite weights cannot be saved")
    genome.flags.writeable = False
    provenance = _json_value({} if provenance is None else provenance, "provenance")
    if not isinstance(provenance, dict):
        raise BrainError(f"provenance must be a dict, got {type(provenance).__name__}")
    return Brain(
        arena_spec.name, role.name, arena_spec.version, tuple(role.observation), tuple(role.action),
        mlp_spec, genome, provenance,
    )


def to_data(brain: Brain) -> dict:
    """The JSON document (format v1) of `brain`."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "arena": brain.arena,
        "role": brain.role,
        "spec_version": int(brain.spec_version),
        "observation": list(brain.observation),
        "action": list(brain.action),
        "network": {
            "type": "mlp",
            "layers": list(brain.network.layers),
            "activations": list(brain.network.activations),
            # float32 -> Python float is exact, and repr of a float64 parses back to the same value
            "genome": np.asarray(brain.genome, dtype=np.float32).tolist(),
        },
        "provenance": _json_value(brain.provenance, "provenance"),
    }


def from_data(data, source: str) -> Brain:
    """The Brain in the parsed JSON `data`; `BrainError` starting with `source` if anything is wrong."""
    if not isinstance(data, dict):
        raise BrainError(f"{source}: not a brain file (the top level is {_describe(data)}, expected an object)")
    form = data.get("format", _MISSING)
    if form != FORMAT:
        raise BrainError(f"{source}: not a brain file (field 'format' is {_describe(form)}, expected {FORMAT!r})")
    version = data.get("version", _MISSING)
    if not _is_int(version):
        raise _wrong(source, "version", version, "an integer")
    if version != VERSION:
        raise BrainError(
            f"{source}: brain version {_describe(version)} is not supported (this program reads {VERSION})"
        )
    arena = _name(source, data, "arena")
    role = _name(source, data, "role")
    spec_version = data.get("spec_version", _MISSING)
    if not _is_int(spec_version) or spec_version < 1:
        raise _wrong(source, "spec_version", spec_version, "an integer >= 1")
    observation = _names(source, data.get("observation", _MISSING), "observation")
    action = _names(source, data.get("action", _MISSING), "action")
    network, genome = _network(source, data.get("network", _MISSING), observation, action)
    provenance = data.get("provenance", {})
    if not isinstance(provenance, dict):
        raise _wrong(source, "provenance", provenance, "an object")
    return Brain(arena, role, spec_version, observation, action, network, genome, dict(provenance))


def save_brain(brain: Brain, path, overwrite: bool = True) -> None:
    """Write `brain` to `path` atomically; with `overwrite=False` an existing file is an error."""
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise BrainError(f"{path}: already exists (not overwriting it)")
    write_json(path, to_data(brain), BrainError)


def load_brain(path) -> Brain:
    """The Brain in the file `path`, fully validated."""
    return from_data(read_json(path, "brain", BrainError), str(path))


def check_compatible(brain: Brain, arena_spec, role_name=None, source: str = "brain") -> None:
    """Raise `BrainError` unless `brain` fits a role (`role_name`, or its own) of `arena_spec`."""
    if brain.arena != arena_spec.name:
        raise BrainError(f"{source}: a brain for arena {_describe(brain.arena)}, not {arena_spec.name!r}")
    if role_name is not None and brain.role != role_name:
        raise BrainError(f"{source}: a brain for role {_describe(brain.role)}, not {role_name!r}")
    role = next((r for r in arena_spec.roles if r.name == brain.role), None)
    if role is None:
        known = ", ".join(r.name for r in arena_spec.roles)
        raise BrainError(
            f"{source}: arena {arena_spec.name!r} has no role {_describe(brain.role)} (roles: {known})"
        )
    if brain.spec_version != arena_spec.version:
        raise BrainError(
            f"{source}: made for version {_describe(brain.spec_version)} of arena {arena_spec.name!r}'s "
            f"inputs and outputs, this program has version {arena_spec.version}"
        )
    for field, found, expected in (
        ("observation", brain.observation, role.observation),
        ("action", brain.action, role.action),
    ):
        if tuple(found) != tuple(expected):
            raise BrainError(
                f"{source}: its {field} names differ from role {role.name!r} of arena {arena_spec.name!r} "
                f"({_first_difference(found, expected)})"
            )
    if (brain.network.n_inputs, brain.network.n_outputs) != (role.n_inputs, role.n_outputs):
        raise BrainError(
            f"{source}: its network has {brain.network.n_inputs} inputs and {brain.network.n_outputs} outputs, "
            f"role {role.name!r} needs {role.n_inputs} and {role.n_outputs}"
        )


def compile_brains(brains) -> NetBatch:
    """The dense NetBatch of `brains` (a list of Brains with one MLPSpec), network i from brain i."""
    brains = list(brains)
    if not brains:
        raise BrainError("no brains to compile")
    spec = brains[0].network
    for index, brain in enumerate(brains):
        if brain.network != spec:
            raise BrainError(
                f"brain #{index} has network {list(brain.network.layers)} {list(brain.network.activations)}, "
                f"brain #0 has {list(spec.layers)} {list(spec.activations)}; one batch needs one network shape"
            )
    return compile_mlp(spec, np.stack([brain.genome for brain in brains]))


def _network(source: str, value, observation: tuple, action: tuple):
    """(MLPSpec, genome float32[genome_size]) from the 'network' object."""
    if not isinstance(value, dict):
        raise _wrong(source, "network", value, "an object")
    kind = value.get("type", _MISSING)
    if kind != "mlp":
        if isinstance(kind, str):
            raise BrainError(
                f"{source}: field 'network.type': network type {_describe(kind)} is not supported "
                "(this program reads 'mlp')"
            )
        raise _wrong(source, "network.type", kind, "'mlp'")
    layers = value.get("layers", _MISSING)
    if not isinstance(layers, list):
        raise _wrong(source, "network.layers", layers, "a list of layer sizes")
    if len(layers) < 2:
        raise BrainError(
            f"{source}: field 'network.layers' needs at least 2 sizes (inputs, outputs), got {len(layers)}"
        )
    for index, size in enumerate(layers):
        if not _is_int(size) or not 1 <= size <= MAX_LAYER_SIZE:
            raise _wrong(source, f"network.layers[{index}]", size, f"an integer from 1 to {MAX_LAYER_SIZE}")
    activation_names = _names(source, value.get("activations", _MISSING), "network.activations")
    try:
        spec = MLPSpec(tuple(layers), activation_names)
    except ArenaError as exc:
        # the layers are checked above, so what MLPSpec refuses is the activations
        raise BrainError(f"{source}: field 'network.activations': {exc}") from None
    if spec.n_inputs != len(observation):
        raise BrainError(
            f"{source}: field 'network.layers' starts with {spec.n_inputs} inputs, "
            f"but field 'observation' names {len(observation)}"
        )
    if spec.n_outputs != len(action):
        raise BrainError(
            f"{source}: field 'network.layers' ends with {spec.n_outputs} outputs, "
            f"but field 'action' names {len(action)}"
        )
    return spec, _genome(source, value.get("genome", _MISSING), spec.genome_size)


def _genome(source: str, value, size: int) -> np.ndarray:
    """float32[size], read-only, from a list of numbers that each fit a finite float32."""
    if not isinstance(value, list):
        raise _wrong(source, "network.genome", value, "a list of numbers")
    if len(value) != size:
        raise BrainError(f"{source}: field 'network.genome' has {len(value)} numbers, the network needs {size}")
    for index, gene in enumerate(value):
        if not _is_number(gene):
            raise _wrong(source, f"network.genome[{index}]", gene, "a number")
        # int/float comparison is exact in Python, so huge ints never overflow here; NaN fails too
        if not abs(gene) <= _FLOAT32_MAX:
            expected = f"a finite number with |x| <= {_FLOAT32_MAX:.7g} (float32)"
            raise _wrong(source, f"network.genome[{index}]", gene, expected)
    genome = np.array(value, dtype=np.float64).astype(np.float32)
    genome.flags.writeable = False
    return genome


def _name(source: str, data: dict, key: str) -> str:
    value = data.get(key, _MISSING)
    if not isinstance(value, str) or not value:
        raise _wrong(source, key, value, "a non-empty string")
    return value


def _names(source: str, value, field: str) -> tuple:
    if not isinstance(value, list):
        raise _wrong(source, field, value, "a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _wrong(source, f"{field}[{index}]", item, "a string")
    return tuple(value)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _wrong(source: str, field: str, value, expected: str) -> BrainError:
    return BrainError(f"{source}: field {field!r} is {_describe(value)}, expected {expected}")


def _describe(value) -> str:
    """A short one-line rendering of a JSON value for messages (repr escapes line breaks)."""
    if value is _MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # str() of an int with thousands of digits raises ValueError, and is unreadable anyway
        return repr(value) if value.bit_length() <= 64 else "a huge integer"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _first_difference(found: tuple, expected: tuple) -> str:
    for index, (name, wanted) in enumerate(zip(found, expected)):
        if name != wanted:
            return f"#{index} is {_describe(name)}, expected {wanted!r}"
    return f"{len(found)} names, expected {len(expected)}"


def _json_value(value, where: str):
    """`value` as plain JSON data (numpy scalars and arrays converted); `BrainError` if it has none."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BrainError(f"{where} is {value!r}, which JSON cannot hold")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BrainError(f"{where} has the key {key!r}, JSON keys must be strings")
            plain[key] = _json_value(item, f"{where}.{key}")
        return plain
    raise BrainError(f"{where} is a {type(value).__name__}, which JSON cannot hold")

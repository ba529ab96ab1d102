"""Brain files (`*.brain.json`): versioned, self-describing JSON, validated fully on load.

Format v1::

    {"format": "arena.brain", "version": 1,
     "arena": "tunnel", "role": "driver", "spec_version": 1,
     "observation": ["velocity", ...], "action": ["force"],
     "network": {...},
     "provenance": {"seed": 1, "generation": 57, ...}}

with one of two networks. A fixed MLP (genome layout in `arena.brains.mlp`)::

    {"type": "mlp", "layers": [7, 8, 4, 1],
     "activations": ["sigmoid", "sigmoid", "sigmoid"], "genome": [0.25, ...]}

or a NEAT network (`arena.brains.neat.genome`)::

    {"type": "neat", "inputs": 7, "outputs": 1, "recurrent": false,
     "nodes": [{"id": 7, "activation": "sigmoid", "bias": -0.5}, ...],
     "connections": [{"innovation": 0, "source": 0, "target": 7, "weight": 1.25,
                      "enabled": true}, ...]}

An optional "skin" holds the agent's CPPN skin (`skin_to_data`): NEAT genes with CPPN
activations, inputs x, y, r, z, bias (ids 0 to 4), outputs RGBA (ids 5 to 8)::

    "skin": {"type": "cppn", "inputs": 5, "outputs": 4, "nodes": [...], "connections": [...]}

NEAT node ids: the inputs are 0 .. inputs - 1 and have no node genes; every output
(inputs .. inputs + outputs - 1) has one; hidden nodes have larger ids, below 2**31. A
connection goes from an input or a node to a node, at most one per (source, target) pair,
disabled ones included. Without `recurrent` the connections (disabled ones included, since
mutation may enable them) form no cycle. Writers list nodes by id and connections by
innovation; readers sort them so. The "neat" type was added within version 1: older readers
refuse it as an unknown network type.

Genes (weights, biases) are float32 written as the shortest float64 repr, so they load back
bit for bit. Every problem with a file raises `BrainError` with a one-line message that
starts with the file name; unknown keys are ignored so that newer writers can add fields.
"""
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena.brains.activations import CODES, NAMES
from arena.brains.cppn import CPPN_ACTIVATIONS, CPPN_OUTPUTS, N_INPUTS as CPPN_INPUTS
from arena.brains.mlp import MLPSpec
from arena.brains.neat.compile import compile_neat
from arena.brains.neat.genome import NeatGenomes, concatenate, empty
from arena.brains.netbatch import KIND_GRAPH, NetBatch, compile_mlp, compile_mlp_graph
from arena.core.errors import ArenaError, BrainError
from arena.core.fileio import read_json, write_json

FORMAT = "arena.brain"
VERSION = 1
NETWORK_TYPES = ("mlp", "neat")
MAX_LAYER_SIZE = 4096  # also the most inputs or outputs a NEAT network may have
MAX_NEAT_GENES = 100_000  # the most nodes, and the most connections, of a NEAT network
MAX_ID = 2**31 - 1  # node ids and innovation numbers are int32
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_MISSING = object()  # stands for an absent key in messages


@dataclass(frozen=True)
class NeatSpec:
    """The shape of a NEAT network: its inputs, outputs, and whether it may have cycles.

    A recurrent network's node values persist from one tick to the next (see `NetBatch`).
    """

    n_inputs: int
    n_outputs: int
    recurrent: bool = False

    def __post_init__(self):
        for name in ("n_inputs", "n_outputs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_LAYER_SIZE:
                raise BrainError(f"a NEAT network's {name} must be an integer from 1 to {MAX_LAYER_SIZE}, "
                                 f"got {value!r}")
            object.__setattr__(self, name, int(value))
        if not isinstance(self.recurrent, (bool, np.bool_)):
            raise BrainError(f"a NEAT network's recurrent must be true or false, got {self.recurrent!r}")
        object.__setattr__(self, "recurrent", bool(self.recurrent))


# eq=False: the generated __eq__ would compare numpy arrays (ambiguous truth value) and the
# generated __hash__ would hash a dict; compare fields explicitly instead.
@dataclass(frozen=True, eq=False)
class Brain:
    """One saved network and what it was made for.

    With an MLPSpec `network`, `genome` is float32[network.genome_size]; with a NeatSpec, a
    NeatGenomes holding one genome, nodes sorted by id and connections by innovation. Either
    is read-only. `provenance` holds plain JSON values.
    """

    arena: str
    role: str
    spec_version: int
    observation: tuple  # input names, in order
    action: tuple  # output names, in order
    network: "MLPSpec | NeatSpec"
    genome: "np.ndarray | NeatGenomes"
    provenance: dict
    skin: "NeatGenomes | None" = None  # the agent's CPPN skin (one genome, see `skin_from_data`)


def brain_from_genome(arena_spec, role_name: str, mlp_spec: MLPSpec, genome, provenance=None, skin=None) -> Brain:
    """A Brain for role `role_name` of `arena_spec` (an ArenaSpec) from a float32[genome_size] genome.

    The genome is copied; numpy scalars and arrays in `provenance` become plain JSON values.
    `skin`: the agent's CPPN skin (a one-genome NeatGenomes), copied and checked, or None.
    """
    role = _fitting_role(arena_spec, role_name, "an MLP", mlp_spec.n_inputs, mlp_spec.n_outputs)
    genome = np.array(genome, dtype=np.float32)
    if genome.shape != (mlp_spec.genome_size,):
        raise BrainError(f"a genome of shape {genome.shape} does not fit an MLP of {mlp_spec.genome_size} weights")
    if not np.all(np.isfinite(genome)):
        raise BrainError("a genome with NaN or infinite weights cannot be saved")
    genome.flags.writeable = False
    return _brain(arena_spec, role, mlp_spec, genome, provenance, skin)


def brain_from_neat(arena_spec, role_name: str, neat_genomes: NeatGenomes, index: int, recurrent: bool,
                    provenance=None, skin=None) -> Brain:
    """A Brain for role `role_name` of `arena_spec` from genome `index` of `neat_genomes`.

    `recurrent` says whether the network may have cycles (NeatParams.recurrent). The genome is
    copied and checked as a loaded file would be, so whatever this returns saves and loads;
    `skin` (a one-genome NeatGenomes of CPPN genes, or None) likewise.
    """
    spec = NeatSpec(neat_genomes.n_inputs, neat_genomes.n_outputs, recurrent)
    role = _fitting_role(arena_spec, role_name, "a NEAT network", spec.n_inputs, spec.n_outputs)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < neat_genomes.size:
        raise BrainError(f"genome #{index} does not exist in a population of {neat_genomes.size} NEAT genomes")
    index = int(index)
    source = f"NEAT genome #{index}"
    n, c = int(neat_genomes.n_nodes[index]), int(neat_genomes.n_conns[index])
    if not (0 <= n <= neat_genomes.node_id.shape[1] and 0 <= c <= neat_genomes.conn_innov.shape[1]):
        raise BrainError(f"{source}: its gene counts ({n} nodes, {c} connections) exceed its arrays")
    unknown = set(int(code) for code in neat_genomes.node_act[index, :n]) - set(NAMES)
    if unknown:
        raise BrainError(f"{source}: unknown activation code {min(unknown)} (known: {sorted(NAMES)})")
    genes = neat_genomes.genome_dict(index)
    genome = _neat_genes(source, genes["nodes"], genes["connections"], spec)
    return _brain(arena_spec, role, spec, genome, provenance, skin)


def _fitting_role(arena_spec, role_name: str, what: str, n_inputs: int, n_outputs: int):
    """The RoleSpec `role_name` of `arena_spec`, if a network of this size fits it."""
    try:
        role = arena_spec.role(role_name)
    except KeyError as exc:
        raise BrainError(exc.args[0]) from None
    if (n_inputs, n_outputs) != (role.n_inputs, role.n_outputs):
        raise BrainError(
            f"{what} with {n_inputs} inputs and {n_outputs} outputs does not fit "
            f"role {role.name!r} of arena {arena_spec.name!r} ({role.n_inputs} inputs, {role.n_outputs} outputs)"
        )
    return role


def _brain(arena_spec, role, network, genome, provenance, skin=None) -> Brain:
    provenance = _json_value({} if provenance is None else provenance, "provenance")
    if not isinstance(provenance, dict):
        raise BrainError(f"provenance must be a dict, got {type(provenance).__name__}")
    if skin is not None:
        if not isinstance(skin, NeatGenomes) or skin.size != 1:
            raise BrainError(f"a skin must be one CPPN genome (a NeatGenomes of size 1), got {type(skin).__name__}")
        # through its file form: copied, sorted, read-only and checked as a loaded skin is
        skin = skin_from_data(skin_to_data(skin, 0), "skin", "skin")
    return Brain(
        arena_spec.name, role.name, arena_spec.version, tuple(role.observation), tuple(role.action),
        network, genome, provenance, skin,
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
        "network": _network_data(brain),
        "provenance": _json_value(brain.provenance, "provenance"),
        **({"skin": skin_to_data(brain.skin, 0)} if brain.skin is not None else {}),
    }


def _network_data(brain: Brain) -> dict:
    # float32 -> Python float is exact, and repr of a float64 parses back to the same value
    if isinstance(brain.network, NeatSpec):
        return {
            "type": "neat",
            "inputs": brain.network.n_inputs,
            "outputs": brain.network.n_outputs,
            "recurrent": brain.network.recurrent,
            **brain.genome.genome_dict(0),
        }
    return {
        "type": "mlp",
        "layers": list(brain.network.layers),
        "activations": list(brain.network.activations),
        "genome": np.asarray(brain.genome, dtype=np.float32).tolist(),
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
    skin = data.get("skin")
    skin = None if skin is None else skin_from_data(skin, source, "skin")
    return Brain(arena, role, spec_version, observation, action, network, genome, dict(provenance), skin)


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
    """The NetBatch of `brains` (all with the same numbers of inputs and outputs), net i from brain i.

    MLPs of one shape compile to the dense form; NEAT networks to the graph form (recurrent if
    any of them is: an acyclic network computes the same either way); any other mix, such as
    MLPs with NEAT networks, to the graph form, network by network.
    """
    brains = list(brains)
    if not brains:
        raise BrainError("no brains to compile")
    first = brains[0].network
    for index, brain in enumerate(brains):
        if (brain.network.n_inputs, brain.network.n_outputs) != (first.n_inputs, first.n_outputs):
            raise BrainError(
                f"brain #{index} has {brain.network.n_inputs} inputs and {brain.network.n_outputs} outputs, "
                f"brain #0 has {first.n_inputs} and {first.n_outputs}; one batch needs one size"
            )
    neat = [index for index, brain in enumerate(brains) if isinstance(brain.network, NeatSpec)]
    if not neat and all(brain.network == first for brain in brains):
        return compile_mlp(first, np.stack([brain.genome for brain in brains]))
    recurrent = any(brains[index].network.recurrent for index in neat)
    neat_batch = None
    if neat:
        neat_batch = compile_neat(concatenate([brains[index].genome for index in neat]), recurrent)
        if len(neat) == len(brains):
            return neat_batch
    # the graph form of each brain, as (batch, network in it), then copied into one batch
    parts = [None] * len(brains)
    for row, index in enumerate(neat):
        parts[index] = (neat_batch, row)
    for spec in dict.fromkeys(brain.network for brain in brains if isinstance(brain.network, MLPSpec)):
        indices = [index for index, brain in enumerate(brains) if brain.network == spec]
        batch = compile_mlp_graph(spec, np.stack([brains[index].genome for index in indices]))
        for row, index in enumerate(indices):
            parts[index] = (batch, row)
    return _merge_graphs(parts, first.n_inputs, first.n_outputs, recurrent)


def _merge_graphs(parts, n_inputs: int, n_outputs: int, recurrent: bool) -> NetBatch:
    """One graph NetBatch whose network i is network `parts[i][1]` of graph batch `parts[i][0]`.

    Connection sources and output indices are local to a network, so they copy unchanged;
    only the node and connection offsets move.
    """
    acts, biases, starts, sources, weights, outputs = [], [], [], [], [], []
    node_offset = [0]
    conn_at = 0
    for batch, row in parts:
        n0, n1 = int(batch.node_offset[row]), int(batch.node_offset[row + 1])
        c0, c1 = int(batch.node_conn_start[n0]), int(batch.node_conn_start[n1])
        acts.append(batch.node_act[n0:n1])
        biases.append(batch.node_bias[n0:n1])
        starts.append(batch.node_conn_start[n0:n1] - c0 + conn_at)
        sources.append(batch.conn_src[c0:c1])
        weights.append(batch.conn_w[c0:c1])
        outputs.append(batch.output_index[row])
        conn_at += c1 - c0
        node_offset.append(node_offset[-1] + n1 - n0)
    starts.append(np.array([conn_at]))
    i32, f32 = np.int32, np.float32
    return NetBatch(
        KIND_GRAPH, len(parts), n_inputs, n_outputs,
        np.zeros((0, 0), f32), np.zeros(0, i32), np.zeros(0, i32), np.zeros(0, np.int8),
        np.concatenate(acts).astype(np.int8), np.concatenate(biases).astype(f32),
        np.concatenate(starts).astype(i32), np.concatenate(sources).astype(i32),
        np.concatenate(weights).astype(f32), np.array(node_offset, dtype=i32),
        np.stack(outputs).astype(i32), bool(recurrent),
    )


def _network(source: str, value, observation: tuple, action: tuple):
    """(MLPSpec, float32[genome_size]) or (NeatSpec, NeatGenomes) from the 'network' object."""
    if not isinstance(value, dict):
        raise _wrong(source, "network", value, "an object")
    kind = value.get("type", _MISSING)
    known = ", ".join(repr(name) for name in NETWORK_TYPES)
    if kind not in NETWORK_TYPES:
        if isinstance(kind, str):
            raise BrainError(
                f"{source}: field 'network.type': network type {_describe(kind)} is not supported "
                f"(this program reads {known})"
            )
        raise _wrong(source, "network.type", kind, f"one of {known}")
    if kind == "neat":
        return _neat_network(source, value, observation, action)
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
        _float32(source, f"network.genome[{index}]", gene)
    genome = np.array(value, dtype=np.float64).astype(np.float32)
    genome.flags.writeable = False
    return genome


def _neat_network(source: str, value: dict, observation: tuple, action: tuple):
    """(NeatSpec, NeatGenomes of one genome) from a 'network' object of type 'neat'."""
    sizes = []
    for key, names, field in (("inputs", observation, "observation"), ("outputs", action, "action")):
        size = value.get(key, _MISSING)
        if not _is_int(size) or not 1 <= size <= MAX_LAYER_SIZE:
            raise _wrong(source, f"network.{key}", size, f"an integer from 1 to {MAX_LAYER_SIZE}")
        if size != len(names):
            raise BrainError(f"{source}: field 'network.{key}' is {size}, but field {field!r} names {len(names)}")
        sizes.append(size)
    recurrent = value.get("recurrent", _MISSING)
    if not isinstance(recurrent, bool):
        raise _wrong(source, "network.recurrent", recurrent, "true or false")
    spec = NeatSpec(sizes[0], sizes[1], recurrent)
    return spec, _neat_genes(source, value.get("nodes", _MISSING), value.get("connections", _MISSING), spec)


def _neat_genes(source: str, nodes, connections, spec: NeatSpec, where: str = "network") -> NeatGenomes:
    """One read-only NeatGenomes from the 'nodes' and 'connections' lists of the object at field
    `where`, checked and sorted."""
    n_in, n_out = spec.n_inputs, spec.n_outputs
    for key, genes, what in (("nodes", nodes, "node"), ("connections", connections, "connection")):
        if not isinstance(genes, list):
            raise _wrong(source, f"{where}.{key}", genes, f"a list of {what} objects")
        if len(genes) > MAX_NEAT_GENES:
            raise BrainError(
                f"{source}: field '{where}.{key}' has {len(genes)} {what}s, at most {MAX_NEAT_GENES} are allowed"
            )

    node_at = {}  # node id -> its index in the file
    node_rows = []  # (id, activation code, bias)
    for index, gene in enumerate(nodes):
        field = f"{where}.nodes[{index}]"
        if not isinstance(gene, dict):
            raise _wrong(source, field, gene, "an object")
        ident = gene.get("id", _MISSING)
        if not _is_int(ident) or not n_in <= ident <= MAX_ID:
            inputs = f"{_inputs(n_in)} are the inputs" if n_in > 1 else "0 is the input"
            raise _wrong(source, f"{field}.id", ident, f"a node id from {n_in} to {MAX_ID} ({inputs})")
        if ident in node_at:
            raise _wrong(source, f"{field}.id", ident, f"a unique node id ({where}.nodes[{node_at[ident]}] has it too)")
        node_at[ident] = index
        name = gene.get("activation", _MISSING)
        if not isinstance(name, str) or name not in CODES:
            raise _wrong(source, f"{field}.activation", name, f"one of {', '.join(CODES)}")
        node_rows.append((ident, CODES[name], _float32(source, f"{field}.bias", gene.get("bias", _MISSING))))
    for ident in range(n_in, n_in + n_out):
        if ident not in node_at:
            raise BrainError(
                f"{source}: field '{where}.nodes' has no output node {ident} "
                f"(every output, {n_in} to {n_in + n_out - 1}, needs a node)"
            )

    innovation_at = {}  # innovation -> its index in the file
    pair_at = {}  # (source, target) -> its index in the file
    conn_rows = []  # (innovation, source, target, weight, enabled)
    for index, gene in enumerate(connections):
        field = f"{where}.connections[{index}]"
        if not isinstance(gene, dict):
            raise _wrong(source, field, gene, "an object")
        innovation = gene.get("innovation", _MISSING)
        if not _is_int(innovation) or not 0 <= innovation <= MAX_ID:
            raise _wrong(source, f"{field}.innovation", innovation, f"an integer from 0 to {MAX_ID}")
        if innovation in innovation_at:
            raise _wrong(source, f"{field}.innovation", innovation,
                         f"a unique innovation number ({where}.connections[{innovation_at[innovation]}] has it too)")
        innovation_at[innovation] = index
        start = gene.get("source", _MISSING)
        if not _is_int(start) or not (0 <= start < n_in or start in node_at):
            absent = f"; there is no node {start}" if _is_int(start) and n_in <= start <= MAX_ID else ""
            raise _wrong(source, f"{field}.source", start, f"an input ({_inputs(n_in)}) or a node id{absent}")
        end = gene.get("target", _MISSING)
        if not _is_int(end) or end not in node_at:
            if _is_int(end) and 0 <= end < n_in:
                why = f"; {end} is an input, and inputs have no incoming connections"
            elif _is_int(end) and n_in <= end <= MAX_ID:
                why = f"; there is no node {end}"
            else:
                why = ""
            raise _wrong(source, f"{field}.target", end, f"a node id{why}")
        if (start, end) in pair_at:
            raise BrainError(
                f"{source}: field {field!r} connects {start} to {end}, "
                f"as {where}.connections[{pair_at[start, end]}] does already"
            )
        pair_at[start, end] = index
        weight = _float32(source, f"{field}.weight", gene.get("weight", _MISSING))
        enabled = gene.get("enabled", _MISSING)
        if not isinstance(enabled, bool):
            raise _wrong(source, f"{field}.enabled", enabled, "true or false")
        conn_rows.append((innovation, start, end, weight, enabled))

    node_rows.sort(key=lambda row: row[0])
    conn_rows.sort(key=lambda row: row[0])
    if not spec.recurrent:
        cycle = _cycle([row[0] for row in node_rows], [(row[1], row[2]) for row in conn_rows])
        if cycle is not None:
            low = cycle.index(min(cycle))
            cycle = cycle[low:] + cycle[:low]
            shown = cycle if len(cycle) <= 6 else cycle[:5] + ["..."]
            path = " -> ".join(str(ident) for ident in shown + [cycle[0]])
            raise BrainError(
                f"{source}: field '{where}.connections' has a cycle through node {cycle[0]} ({path}), "
                f"which only a recurrent network may have (field '{where}.recurrent' is false)"
            )

    genomes = empty(n_in, n_out, 1, len(node_rows), len(conn_rows))
    n, c = len(node_rows), len(conn_rows)
    genomes.n_nodes[0] = n
    genomes.n_conns[0] = c
    if n:
        ids, codes, biases = zip(*node_rows)
        genomes.node_id[0, :n] = ids
        genomes.node_act[0, :n] = codes
        genomes.node_bias[0, :n] = np.array(biases, dtype=np.float64).astype(np.float32)
    if c:
        innovations, starts, ends, weights, enabled = zip(*conn_rows)
        genomes.conn_innov[0, :c] = innovations
        genomes.conn_src[0, :c] = starts
        genomes.conn_dst[0, :c] = ends
        genomes.conn_w[0, :c] = np.array(weights, dtype=np.float64).astype(np.float32)
        genomes.conn_on[0, :c] = enabled
    for array in genomes.arrays():
        array.flags.writeable = False
    return genomes


def skin_to_data(genomes: NeatGenomes, index: int) -> dict:
    """CPPN genome `index` of `genomes` as the JSON object a brain's "skin" (or a skin file's
    "cppn") holds: NEAT genes, with inputs x, y, r, z, bias and outputs RGBA (or one grey)."""
    return {"type": "cppn", "inputs": genomes.n_inputs, "outputs": genomes.n_outputs, **genomes.genome_dict(index)}


def skin_from_data(value, source: str, where: str) -> NeatGenomes:
    """One read-only CPPN genome from the object at field `where` (see `skin_to_data`): CPPN
    activations only, no cycles; `BrainError` starting with `source` if anything is wrong."""
    if not isinstance(value, dict):
        raise _wrong(source, where, value, "an object")
    if value.get("type", _MISSING) != "cppn":
        raise _wrong(source, f"{where}.type", value.get("type", _MISSING), "'cppn'")
    if value.get("inputs", _MISSING) != CPPN_INPUTS or isinstance(value.get("inputs"), bool):
        raise _wrong(source, f"{where}.inputs", value.get("inputs", _MISSING), f"{CPPN_INPUTS} (x, y, r, z, bias)")
    outputs = value.get("outputs", _MISSING)
    if not _is_int(outputs) or outputs not in CPPN_OUTPUTS:
        raise _wrong(source, f"{where}.outputs", outputs, "4 (RGBA) or 1 (grey)")
    genomes = _neat_genes(source, value.get("nodes", _MISSING), value.get("connections", _MISSING),
                          NeatSpec(CPPN_INPUTS, outputs), where)
    allowed = {CODES[name] for name in CPPN_ACTIVATIONS}
    for k in range(int(genomes.n_nodes[0])):
        if int(genomes.node_act[0, k]) not in allowed:
            raise BrainError(f"{source}: field '{where}.nodes' gives node {int(genomes.node_id[0, k])} the activation "
                             f"{NAMES[int(genomes.node_act[0, k])]!r}, which is not a CPPN one "
                             f"({', '.join(CPPN_ACTIVATIONS)})")
    return genomes


def _cycle(node_ids: list, edges: list):
    """The nodes of one cycle (a list, in path order) of the graph `edges` [(source, target)], or None.

    Depth first from each node in `node_ids` order, edges in list order, without recursion
    (a network may have 100,000 nodes). Inputs have no incoming edges, so lie on no cycle.
    """
    outgoing = {ident: [] for ident in node_ids}
    for start, end in edges:
        if start in outgoing:
            outgoing[start].append(end)
    state = {}  # node id -> 1 while on the path, 2 when done
    for root in node_ids:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        next_edge = [0]
        while path:
            node = path[-1]
            k = next_edge[-1]
            if k == len(outgoing[node]):
                state[node] = 2
                path.pop()
                next_edge.pop()
                continue
            next_edge[-1] = k + 1
            target = outgoing[node][k]
            seen = state.get(target)
            if seen == 1:
                return path[path.index(target):]
            if seen is None:
                state[target] = 1
                path.append(target)
                next_edge.append(0)
    return None


def _inputs(n_inputs: int) -> str:
    return "0" if n_inputs == 1 else f"0 to {n_inputs - 1}"


def _float32(source: str, field: str, value) -> float:
    """`value` if it is a number that fits a finite float32 (as a Python number)."""
    if not _is_number(value):
        raise _wrong(source, field, value, "a number")
    # int/float comparison is exact in Python, so huge ints never overflow here; NaN fails too
    if not abs(value) <= _FLOAT32_MAX:
        raise _wrong(source, field, value, f"a finite number with |x| <= {_FLOAT32_MAX:.7g} (float32)")
    return value


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

"""Brain files: bit-exact round trips, and nothing but one-line BrainErrors for bad files."""

import copy
import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import KIND_DENSE, KIND_GRAPH, forward
from arena.core.errors import BrainError
from arena.brains.activations import CODES
from arena.brains.neat.compile import forward_reference
from arena.brains.neat.genome import NeatGenomes, concatenate, empty
from arena.core.spec import ArenaSpec, RoleSpec
from arena.persist.brainfile import (
    Brain,
    NeatSpec,
    brain_from_genome,
    brain_from_neat,
    check_compatible,
    compile_brains,
    from_data,
    load_brain,
    save_brain,
    to_data,
)

TUNNEL = get_arena("tunnel").spec
DRIVER = TUNNEL.role("driver")
PROVENANCE = {"seed": 1, "generation": 57, "fitness": 391.4, "parents": [3, 12], "created": "2026-11-22T10:00:00Z"}


def make_brain(seed: int = 0, hidden=None, provenance=PROVENANCE) -> Brain:
    spec = MLPSpec.for_role(DRIVER, hidden=hidden)
    genome = spec.random_genomes(np.random.default_rng(seed), 1, scale=3.0)[0]
    return brain_from_genome(TUNNEL, "driver", spec, genome, provenance)


VALID = to_data(make_brain())


def assert_one_line_naming(error: BrainError, name: str) -> None:
    message = str(error)
    assert name in message
    assert len(message.splitlines()) == 1, message


def write(path, data) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


# --- round trip -------------------------------------------------------------------------


def test_round_trip_is_bit_exact(tmp_path):
    spec = MLPSpec.for_role(DRIVER)
    genome = spec.random_genomes(np.random.default_rng(7), 1, scale=5.0)[0]
    # awkward float32 values: the extremes, a subnormal, negative zero
    info = np.finfo(np.float32)
    genome[:5] = [info.max, -info.max, info.smallest_subnormal, -0.0, info.eps]
    original = brain_from_genome(TUNNEL, "driver", spec, genome, PROVENANCE)
    path = tmp_path / "driver.brain.json"
    save_brain(original, path)
    loaded = load_brain(path)

    assert loaded.genome.dtype == np.float32
    assert np.array_equal(loaded.genome.view(np.uint32), original.genome.view(np.uint32))
    assert loaded.network == original.network == spec
    assert loaded.provenance == PROVENANCE
    assert (loaded.arena, loaded.role, loaded.spec_version) == ("tunnel", "driver", TUNNEL.version)
    assert loaded.observation == DRIVER.observation and loaded.action == DRIVER.action
    assert to_data(loaded) == to_data(original)

    inputs = np.random.default_rng(1).uniform(-2, 2, size=(3, spec.n_inputs)).astype(np.float32)
    out_loaded = forward(compile_brains([loaded] * 3), inputs)
    out_original = forward(compile_brains([original] * 3), inputs)
    assert np.array_equal(out_loaded, out_original)


def test_file_is_self_describing_json(tmp_path):
    path = tmp_path / "b.brain.json"
    save_brain(make_brain(), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "arena.brain" and data["version"] == 1
    assert data["network"]["layers"] == [7, 8, 4, 1]
    assert data["observation"] == list(DRIVER.observation)
    assert not list(tmp_path.glob(".*.tmp")), "the atomic write left a temporary file behind"


def test_numpy_provenance_becomes_plain_json(tmp_path):
    provenance = {
        "seed": np.int64(4), "fitness": np.float32(2.5), "parents": (np.int32(1), 2), "best": np.array([1.5, 2.0]),
    }
    path = tmp_path / "b.brain.json"
    save_brain(make_brain(provenance=provenance), path)
    assert load_brain(path).provenance == {"seed": 4, "fitness": 2.5, "parents": [1, 2], "best": [1.5, 2.0]}


def test_unsaveable_brains_are_refused():
    spec = MLPSpec.for_role(DRIVER)
    with pytest.raises(BrainError, match="NaN"):
        brain_from_genome(TUNNEL, "driver", spec, np.full(spec.genome_size, np.nan), {})
    with pytest.raises(BrainError, match="shape"):
        brain_from_genome(TUNNEL, "driver", spec, np.zeros(spec.genome_size - 1), {})
    with pytest.raises(BrainError, match="fitness"):
        brain_from_genome(TUNNEL, "driver", spec, np.zeros(spec.genome_size), {"fitness": float("inf")})
    with pytest.raises(BrainError, match="no role"):
        brain_from_genome(TUNNEL, "ghost", spec, np.zeros(spec.genome_size), {})


def test_loaded_genome_is_read_only(tmp_path):
    path = tmp_path / "b.brain.json"
    save_brain(make_brain(), path)
    with pytest.raises(ValueError):
        load_brain(path).genome[0] = 1.0


def test_no_overwrite_keeps_the_old_file(tmp_path):
    path = tmp_path / "keep.brain.json"
    save_brain(make_brain(seed=1), path)
    before = path.read_bytes()
    with pytest.raises(BrainError, match="already exists") as caught:
        save_brain(make_brain(seed=2), path, overwrite=False)
    assert_one_line_naming(caught.value, "keep.brain.json")
    assert path.read_bytes() == before
    save_brain(make_brain(seed=2), path)  # overwrite=True is the default
    assert path.read_bytes() != before


def test_unknown_keys_are_ignored(tmp_path):
    data = copy.deepcopy(VALID)
    data["comment"] = {"from": "a newer program"}
    data["network"]["note"] = [1, 2]
    path = tmp_path / "newer.brain.json"
    write(path, data)
    assert np.array_equal(load_brain(path).genome, np.array(VALID["network"]["genome"], dtype=np.float32))


def test_absent_provenance_is_empty(tmp_path):
    data = copy.deepcopy(VALID)
    del data["provenance"]
    path = tmp_path / "bare.brain.json"
    write(path, data)
    assert load_brain(path).provenance == {}


def test_integer_genes_load(tmp_path):
    data = copy.deepcopy(VALID)
    data["network"]["genome"][0] = 3
    data["network"]["genome"][1] = 10**38
    path = tmp_path / "ints.brain.json"
    write(path, data)
    genome = load_brain(path).genome
    assert genome[0] == 3 and genome[1] == np.float32(1e38)


# --- corrupt documents ------------------------------------------------------------------


def set_top(key, value):
    def mutate(data):
        data[key] = value
        return data
    return mutate


def set_net(key, value):
    def mutate(data):
        data["network"][key] = value
        return data
    return mutate


def drop_top(key):
    def mutate(data):
        del data[key]
        return data
    return mutate


def drop_net(key):
    def mutate(data):
        del data["network"][key]
        return data
    return mutate


def set_gene(index, value):
    def mutate(data):
        data["network"]["genome"][index] = value
        return data
    return mutate


def resize_genome(size):
    def mutate(data):
        genome = data["network"]["genome"]
        data["network"]["genome"] = (genome * 2)[:size]
        return data
    return mutate


def set_observation(index, value):
    def mutate(data):
        data["observation"][index] = value
        return data
    return mutate


# name: (takes a valid document and returns a corrupt one, a fragment the message must contain)
CORRUPTIONS = {
    "wrong format": (set_top("format", "arena.level"), "format"),
    "missing format": (drop_top("format"), "format"),
    "version 2": (set_top("version", 2), "version 2"),
    "version as string": (set_top("version", "1"), "version"),
    "version true": (set_top("version", True), "version"),
    "huge version": (set_top("version", 10**400), "version"),
    "missing arena": (drop_top("arena"), "arena"),
    "empty role": (set_top("role", ""), "role"),
    "spec_version zero": (set_top("spec_version", 0), "spec_version"),
    "spec_version float": (set_top("spec_version", 1.0), "spec_version"),
    "spec_version bool": (set_top("spec_version", True), "spec_version"),
    "observation a string": (set_top("observation", "velocity"), "observation"),
    "observation holds a number": (set_observation(2, 5), "observation[2]"),
    "action missing": (drop_top("action"), "action"),
    "network a list": (set_top("network", [1, 2]), "network"),
    "network missing": (drop_top("network"), "network"),
    "network type rnn": (
        set_net("type", "rnn"),
        "network type 'rnn' is not supported (this program reads 'mlp', 'neat')",
    ),
    "network type neat with mlp fields": (set_net("type", "neat"), "field 'network.inputs' is missing"),
    "network type a number": (set_net("type", 1), "network.type"),
    "network type missing": (drop_net("type"), "network.type"),
    "layers mismatch observation": (set_net("layers", [6, 8, 4, 1]), "observation"),
    "layers mismatch action": (set_net("layers", [7, 8, 4, 2]), "action"),
    "single layer": (set_net("layers", [7]), "network.layers"),
    "layer zero": (set_net("layers", [7, 0, 4, 1]), "network.layers[1]"),
    "layer too large": (set_net("layers", [7, 5000, 4, 1]), "network.layers[1]"),
    "huge layer": (set_net("layers", [7, 10**400, 4, 1]), "network.layers[1]"),
    "layer a bool": (set_net("layers", [7, True, 4, 1]), "network.layers[1]"),
    "layer a float": (set_net("layers", [7, 8.0, 4, 1]), "network.layers[1]"),
    "unknown activation": (set_net("activations", ["sigmoid", "swish", "sigmoid"]), "swish"),
    "too few activations": (set_net("activations", ["sigmoid", "sigmoid"]), "network.activations"),
    "activation not a string": (set_net("activations", ["sigmoid", None, "sigmoid"]), "network.activations[1]"),
    "missing genome": (drop_net("genome"), "network.genome"),
    "genome an object": (set_net("genome", {"0": 1.0}), "network.genome"),
    "genome too short": (resize_genome(104), "field 'network.genome' has 104 numbers, the network needs 105"),
    "genome too long": (resize_genome(106), "has 106 numbers"),
    "gene a string": (set_gene(3, "0.5"), "network.genome[3]"),
    "gene a bool": (set_gene(4, False), "network.genome[4]"),
    "gene null": (set_gene(5, None), "network.genome[5]"),
    "gene 1e39": (set_gene(6, 1e39), "network.genome[6]"),
    "gene huge int": (set_gene(7, -(10**400)), "network.genome[7]"),
    "gene a list": (set_gene(8, [0.5]), "network.genome[8]"),
    "provenance a list": (set_top("provenance", [1, 2]), "provenance"),
    "provenance null": (set_top("provenance", None), "provenance"),
    "top level a list": (lambda d: [d], "top level"),
    "top level a number": (lambda d: 3, "top level"),
    "top level null": (lambda d: None, "top level"),
    "multi-line strings": (set_top("format", "arena\nbrain\u2028x"), "format"),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_raises_brain_error(tmp_path, name):
    mutate, fragment = CORRUPTIONS[name]
    path = tmp_path / "x.brain.json"
    write(path, mutate(copy.deepcopy(VALID)))
    with pytest.raises(BrainError) as caught:
        load_brain(path)
    assert_one_line_naming(caught.value, "x.brain.json")
    assert fragment in str(caught.value)


def test_line_breaking_source_values_stay_on_one_line():
    data = copy.deepcopy(VALID)
    data["network"]["type"] = "ne\nat\x85"
    with pytest.raises(BrainError) as caught:
        from_data(data, "y.brain.json")
    assert_one_line_naming(caught.value, "y.brain.json")


# --- corrupt bytes ----------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(BrainError) as caught:
        load_brain(tmp_path / "absent.brain.json")
    assert_one_line_naming(caught.value, "absent.brain.json")


def test_folder_instead_of_file(tmp_path):
    folder = tmp_path / "folder.brain.json"
    folder.mkdir()
    with pytest.raises(BrainError) as caught:
        load_brain(folder)
    assert_one_line_naming(caught.value, "folder.brain.json")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \n",
        bytes(range(256)) * 3,
        np.random.default_rng(3).integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        b"\xef\xbb\xbf" + json.dumps(VALID).encode(),  # a UTF-8 byte order mark
        b"[" * 100_000 + b"]" * 100_000,  # nesting too deep for the parser
        b'{"format": NaN}',
        b"Infinity",
        b'{"format": "arena.brain"} trailing',
    ],
    ids=["empty", "blank", "all-bytes", "random-bytes", "bom", "deep-nesting", "nan", "infinity", "trailing"],
)
def test_byte_junk(tmp_path, raw):
    path = tmp_path / "junk.brain.json"
    path.write_bytes(raw)
    with pytest.raises(BrainError) as caught:
        load_brain(path)
    assert_one_line_naming(caught.value, "junk.brain.json")


def test_every_truncation_fails(tmp_path):
    source = tmp_path / "whole.brain.json"
    save_brain(make_brain(), source)
    raw = source.read_bytes()
    path = tmp_path / "cut.brain.json"
    # stop before the closing brace: any shorter prefix is incomplete JSON
    lengths = range(0, len(raw.rstrip()), 37)
    assert len(lengths) > 20
    for length in lengths:
        path.write_bytes(raw[:length])
        with pytest.raises(BrainError) as caught:
            load_brain(path)
        assert_one_line_naming(caught.value, "cut.brain.json")


def test_deep_provenance_loads(tmp_path):
    data = copy.deepcopy(VALID)
    nested = 1
    for _ in range(500):
        nested = [nested]
    data["provenance"] = {"history": nested}
    path = tmp_path / "deep.brain.json"
    write(path, data)
    assert load_brain(path).provenance["history"] == nested


# --- fuzz -------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=40,
)

KEY_PATHS = [(key,) for key in VALID] + [("network", key) for key in VALID["network"]]


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_fuzz_arbitrary_json_is_refused(fuzz_folder, value):
    path = fuzz_folder / "any.brain.json"
    write(path, value)
    with pytest.raises(BrainError) as caught:
        load_brain(path)
    assert_one_line_naming(caught.value, "any.brain.json")


@settings(max_examples=200, deadline=None)
@given(key_path=st.sampled_from(KEY_PATHS), value=JSON_VALUES)
def test_fuzz_one_field_replaced(fuzz_folder, key_path, value):
    data = copy.deepcopy(VALID)
    target = data
    for key in key_path[:-1]:
        target = target[key]
    target[key_path[-1]] = value
    path = fuzz_folder / "field.brain.json"
    write(path, data)
    try:
        brain = load_brain(path)
    except BrainError as error:
        assert_one_line_naming(error, "field.brain.json")
    else:
        # accepted: the brain must hold exactly the value it accepted (only "format" and
        # "version" are not kept, and they can only be accepted unchanged)
        saved = to_data(brain)
        for key in key_path:
            saved = saved[key]
        if key_path[-1] == "genome":
            assert np.array_equal(brain.genome, np.array(value, dtype=np.float32))
        else:
            assert saved == value


# --- compatibility ----------------------------------------------------------------------

RACING = ArenaSpec(
    name="racing",
    version=1,
    roles=(
        RoleSpec(
            name="car",
            observation=tuple(f"ray_{i}" for i in range(9)) + ("speed",),
            action=("steer", "throttle"),
            action_kind="continuous",
            output_activation="tanh",
            hidden_activation="tanh",
            default_hidden=(12,),
        ),
    ),
    description="a fake second arena for tests",
)


def test_compatible_with_its_own_arena():
    brain = make_brain()
    check_compatible(brain, TUNNEL)
    check_compatible(brain, TUNNEL, "driver")


def test_other_arena_is_refused():
    with pytest.raises(BrainError) as caught:
        check_compatible(make_brain(), RACING, source="b.brain.json")
    message = str(caught.value)
    assert "'tunnel'" in message and "'racing'" in message
    assert_one_line_naming(caught.value, "b.brain.json")


def test_other_spec_version_is_refused():
    brain = dataclasses.replace(make_brain(), spec_version=TUNNEL.version + 1)
    with pytest.raises(BrainError, match="version"):
        check_compatible(brain, TUNNEL)


def test_wrong_role_is_refused():
    with pytest.raises(BrainError, match="'car'"):
        check_compatible(make_brain(), TUNNEL, role_name="car")
    ghost = dataclasses.replace(make_brain(), role="ghost")
    with pytest.raises(BrainError, match="no role 'ghost'"):
        check_compatible(ghost, TUNNEL)


def test_renamed_observation_is_refused():
    renamed = ("speed",) + DRIVER.observation[1:]
    brain = dataclasses.replace(make_brain(), observation=renamed)
    with pytest.raises(BrainError, match="observation names differ.*#0 is 'speed', expected 'velocity'"):
        check_compatible(brain, TUNNEL)


def test_network_size_mismatch_is_refused():
    spec = MLPSpec((DRIVER.n_inputs, 2), ("sigmoid",))
    brain = dataclasses.replace(make_brain(), network=spec, genome=np.zeros(spec.genome_size, np.float32))
    with pytest.raises(BrainError, match="2 outputs"):
        check_compatible(brain, TUNNEL)


def test_compile_brains_one_mlp_shape_is_dense_others_are_graphs():
    batch = compile_brains([make_brain(seed=1), make_brain(seed=2)])
    assert batch.size == 2 and batch.n_inputs == DRIVER.n_inputs and batch.kind == KIND_DENSE
    brains = [make_brain(seed=1), make_brain(seed=2, hidden=(5,)), make_brain(seed=3, hidden=())]
    mixed = compile_brains(brains)
    assert mixed.kind == KIND_GRAPH and mixed.size == 3
    inputs = np.random.default_rng(2).uniform(-2, 2, size=(3, DRIVER.n_inputs)).astype(np.float32)
    alone = np.concatenate([forward(compile_brains([b]), inputs[i : i + 1]) for i, b in enumerate(brains)])
    assert np.array_equal(forward(mixed, inputs), alone)
    with pytest.raises(BrainError):
        compile_brains([])


# --- NEAT brains ------------------------------------------------------------------------

NEAT_OK = {
    "type": "neat", "inputs": 7, "outputs": 1, "recurrent": False,
    "nodes": [
        {"id": 7, "activation": "sigmoid", "bias": 0.25},
        {"id": 9, "activation": "tanh", "bias": -1.5},
        {"id": 12, "activation": "relu", "bias": 0.0},
    ],
    "connections": [
        {"innovation": 0, "source": 0, "target": 7, "weight": 0.5, "enabled": True},
        {"innovation": 1, "source": 1, "target": 9, "weight": -1.25, "enabled": True},
        {"innovation": 2, "source": 9, "target": 12, "weight": 2.0, "enabled": True},
        {"innovation": 3, "source": 12, "target": 7, "weight": 0.75, "enabled": True},
        {"innovation": 5, "source": 2, "target": 12, "weight": -0.5, "enabled": False},
        {"innovation": 8, "source": 9, "target": 7, "weight": 1.5, "enabled": True},
    ],
}
VALID_NEAT = {**copy.deepcopy(VALID), "network": NEAT_OK}


def random_neat(seed: int, n_inputs: int, n_outputs: int, hidden: int = 4, connections: int = 14,
                recurrent: bool = False) -> NeatGenomes:
    """One random NEAT genome; feed-forward unless `recurrent`, which gets a self-loop and a 2-cycle."""
    rng = np.random.default_rng(seed)
    first_hidden = n_inputs + n_outputs
    ids = list(range(n_inputs, first_hidden))
    ids += sorted(int(i) for i in rng.choice(np.arange(first_hidden, first_hidden + 40), hidden, replace=False))
    rank = dict(zip(ids, rng.permutation(len(ids))))  # feed-forward: connections go up in rank
    pairs = [(ids[-1], ids[-1]), (ids[0], ids[-1]), (ids[-1], ids[0])] if recurrent else []
    while len(pairs) < connections:
        k = int(rng.integers(0, n_inputs + len(ids)))
        start = k if k < n_inputs else ids[k - n_inputs]
        end = ids[int(rng.integers(0, len(ids)))]
        if (start, end) in pairs or (not recurrent and start >= n_inputs and rank[start] >= rank[end]):
            continue
        pairs.append((start, end))
    rng.shuffle(pairs)
    genomes = empty(n_inputs, n_outputs, 1, len(ids), len(pairs))
    genomes.n_nodes[0], genomes.n_conns[0] = len(ids), len(pairs)
    genomes.node_id[0] = ids
    genomes.node_act[0] = rng.choice(sorted(CODES.values()), len(ids))
    genomes.node_bias[0] = rng.normal(0, 1.5, len(ids))
    genomes.conn_innov[0] = np.sort(rng.choice(1000, len(pairs), replace=False))
    genomes.conn_src[0] = [start for start, _ in pairs]
    genomes.conn_dst[0] = [end for _, end in pairs]
    genomes.conn_w[0] = rng.normal(0, 1.5, len(pairs))
    genomes.conn_on[0] = rng.random(len(pairs)) < 0.8
    return genomes


def neat_brain(seed: int = 0, recurrent: bool = False, arena=TUNNEL, role="driver", **sizes) -> Brain:
    r = arena.role(role)
    genomes = random_neat(seed, r.n_inputs, r.n_outputs, recurrent=recurrent, **sizes)
    return brain_from_neat(arena, role, genomes, 0, recurrent, {"seed": seed})


def assert_names_file(error: BrainError, source: str) -> None:
    message = str(error)
    assert message.startswith(f"{source}: "), message
    assert len(message.splitlines()) == 1, message


def test_neat_document_loads():
    brain = from_data(copy.deepcopy(VALID_NEAT), "ok.brain.json")
    assert brain.network == NeatSpec(7, 1, False)
    assert brain.genome.size == 1 and list(brain.genome.node_id[0]) == [7, 9, 12]
    assert to_data(brain)["network"] == NEAT_OK


def test_neat_round_trip_is_bit_exact(tmp_path):
    population = concatenate([random_neat(seed, 10, 2, hidden=6, connections=25) for seed in range(3)])
    info = np.finfo(np.float32)
    awkward = [info.max, -info.max, info.smallest_subnormal, -0.0, info.eps, np.float32(0.1)]
    population.conn_w[1, :6] = awkward
    population.node_bias[1, :6] = awkward[::-1]
    original = brain_from_neat(RACING, "car", population, 1, False, PROVENANCE)
    assert original.genome.same_as(population.take(1))
    path = tmp_path / "car.brain.json"
    save_brain(original, path)
    loaded = load_brain(path)

    assert loaded.network == original.network == NeatSpec(10, 2, False)
    assert loaded.genome.same_as(population.take(1))
    assert loaded.genome.conn_w.dtype == np.float32 and loaded.genome.node_bias.dtype == np.float32
    assert loaded.genome.conn_w[0, 1].tobytes() == np.float32(-info.max).tobytes()
    assert loaded.genome.conn_w[0, 3].tobytes() == np.float32(-0.0).tobytes()
    assert loaded.provenance == PROVENANCE
    assert to_data(loaded) == to_data(original)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert list(data["network"]) == ["type", "inputs", "outputs", "recurrent", "nodes", "connections"]
    check_compatible(loaded, RACING, "car")


def test_loaded_neat_genome_is_read_only():
    brain = from_data(copy.deepcopy(VALID_NEAT), "ro.brain.json")
    for array in brain.genome.arrays():
        with pytest.raises(ValueError):
            array[0] = 1


def test_neat_genes_are_sorted_on_load():
    data = copy.deepcopy(VALID_NEAT)
    data["network"]["nodes"].reverse()
    data["network"]["connections"] = data["network"]["connections"][3:] + data["network"]["connections"][:3]
    data["network"]["nodes"][0]["comment"] = "unknown keys are ignored"
    data["network"]["connections"][0]["note"] = [1, 2]
    brain = from_data(data, "shuffled.brain.json")
    assert to_data(brain)["network"] == NEAT_OK
    assert brain.genome.same_as(from_data(copy.deepcopy(VALID_NEAT), "ok.brain.json").genome)


def test_old_mlp_document_still_loads():
    # written by the MLP-only version of this module: 7 inputs, 1 sigmoid output
    text = (
        '{"format": "arena.brain", "version": 1, "arena": "tunnel", "role": "driver", "spec_version": 1, '
        '"observation": ' + json.dumps(list(DRIVER.observation)) + ', "action": ["force"], '
        '"network": {"type": "mlp", "layers": [7, 1], "activations": ["sigmoid"], '
        '"genome": [0.5, -0.25, 1.0, 0.0, 3.4028234663852886e+38, 1.401298464324817e-45, -0.0, 0.10000000149011612]}, '
        '"provenance": {"seed": 1}}'
    )
    brain = from_data(json.loads(text), "old.brain.json")
    assert brain.network == MLPSpec((7, 1), ("sigmoid",))
    assert brain.genome.view(np.uint32)[4] == np.float32(3.4028235e38).view(np.uint32)
    assert brain.genome[5] == np.finfo(np.float32).smallest_subnormal
    assert to_data(brain) == json.loads(text)


def test_compiled_neat_brains_match_the_reference(tmp_path):
    genomes = [random_neat(seed, 7, 1, hidden=5, connections=18) for seed in range(6)]
    brains = []
    for seed, genome in enumerate(genomes):
        path = tmp_path / f"n{seed}.brain.json"
        save_brain(brain_from_neat(TUNNEL, "driver", genome, 0, False), path)
        brains.append(load_brain(path))
    inputs = np.random.default_rng(5).uniform(-2, 2, size=(6, 7)).astype(np.float32)
    outputs = forward(compile_brains(brains), inputs)
    for g, genome in enumerate(genomes):
        assert np.array_equal(outputs[g], forward_reference(genome, 0, inputs[g]))


def test_recurrent_neat_brains_keep_state_like_the_reference():
    brains = [neat_brain(1, recurrent=True), neat_brain(2), neat_brain(3, recurrent=True, hidden=2)]
    batch = compile_brains(brains)
    assert batch.recurrent
    arrays = batch.arrays()
    states = [{}, None, {}]
    rng = np.random.default_rng(9)
    for _tick in range(4):
        inputs = rng.uniform(-2, 2, size=(3, 7)).astype(np.float32)
        outputs = forward(batch, inputs, arrays)
        for g, brain in enumerate(brains):
            assert np.array_equal(outputs[g], forward_reference(brain.genome, 0, inputs[g], states[g]))


def test_mixed_mlp_and_neat_batch_runs_each_brain_as_alone():
    brains = [make_brain(1), neat_brain(4, recurrent=True), make_brain(2, hidden=(5,)), neat_brain(5), make_brain(3)]
    batch = compile_brains(brains)
    assert batch.kind == KIND_GRAPH and batch.size == 5 and batch.recurrent
    arrays = batch.arrays()
    alone = [compile_brains([brain]) for brain in brains]
    alone_arrays = [net.arrays() for net in alone]
    rng = np.random.default_rng(4)
    for _tick in range(3):
        inputs = rng.uniform(-2, 2, size=(5, 7)).astype(np.float32)
        outputs = forward(batch, inputs, arrays)
        for i, net in enumerate(alone):
            assert np.array_equal(outputs[i], forward(net, inputs[i : i + 1], alone_arrays[i])[0])


def test_batch_needs_one_size():
    with pytest.raises(BrainError, match="brain #1 has 10 inputs and 2 outputs, brain #0 has 7 and 1"):
        compile_brains([neat_brain(1), neat_brain(2, arena=RACING, role="car")])
    with pytest.raises(BrainError, match="one batch needs one size"):
        compile_brains([make_brain(), neat_brain(2, arena=RACING, role="car")])


def test_neat_compatibility():
    brain = neat_brain(1)
    check_compatible(brain, TUNNEL, "driver")
    wider = dataclasses.replace(brain, network=NeatSpec(7, 2, False))
    with pytest.raises(BrainError, match="2 outputs"):
        check_compatible(wider, TUNNEL)


@pytest.mark.parametrize("recurrent", [False, True])
def test_evolved_neat_genomes_save_load_and_run(tmp_path, recurrent):
    from arena.evolve.neat import NEAT, NeatParams

    params = NeatParams(population_size=12, add_node_rate=0.4, add_connection_rate=0.5, recurrent=recurrent)
    strategy = NEAT(params, DRIVER.n_inputs, DRIVER.n_outputs, seed=3)
    state = strategy.initial_state()
    rng = np.random.default_rng(0)
    for _ in range(4):
        state = strategy.tell(state, rng.random(params.population_size))
    genomes = strategy.ask(state)
    assert genomes.n_nodes.max() > DRIVER.n_outputs  # some grew hidden nodes
    brains = []
    for g in range(genomes.size):
        path = tmp_path / f"g{g}.brain.json"
        save_brain(brain_from_neat(TUNNEL, "driver", genomes, g, recurrent, {"generation": 4}), path)
        brain = load_brain(path)
        assert brain.genome.same_as(genomes.take(g))
        brains.append(brain)
    batch = compile_brains(brains)
    arrays = batch.arrays()
    states = [{} if recurrent else None for _ in brains]
    for _tick in range(2):
        inputs = rng.uniform(-2, 2, size=(genomes.size, DRIVER.n_inputs)).astype(np.float32)
        outputs = forward(batch, inputs, arrays)
        for g in range(genomes.size):
            assert np.array_equal(outputs[g], forward_reference(genomes, g, inputs[g], states[g]))


def test_unsaveable_neat_genomes_are_refused():
    genomes = random_neat(1, 7, 1)
    with pytest.raises(BrainError, match="does not fit role 'car'"):
        brain_from_neat(RACING, "car", genomes, 0, False)
    with pytest.raises(BrainError, match="genome #1 does not exist"):
        brain_from_neat(TUNNEL, "driver", genomes, 1, False)
    with pytest.raises(BrainError, match="recurrent must be true or false"):
        brain_from_neat(TUNNEL, "driver", genomes, 0, "yes")
    bad = concatenate([genomes])
    bad.conn_w[0, 2] = np.nan
    with pytest.raises(BrainError, match=r"^NEAT genome #0: field 'network.connections\[2\].weight' is nan"):
        brain_from_neat(TUNNEL, "driver", bad, 0, False)
    bad = concatenate([genomes])
    bad.node_act[0, 1] = 99
    with pytest.raises(BrainError, match="unknown activation code 99"):
        brain_from_neat(TUNNEL, "driver", bad, 0, False)
    cyclic = random_neat(2, 7, 1, recurrent=True)
    with pytest.raises(BrainError, match="cycle through node"):
        brain_from_neat(TUNNEL, "driver", cyclic, 0, False)
    assert brain_from_neat(TUNNEL, "driver", cyclic, 0, True).network.recurrent


# --- NEAT validation: one failing example per rule ---------------------------------------


def put(*path_and_value):
    *path, value = path_and_value

    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return data
    return mutate


def remove(*path):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return data
    return mutate


def link(index, start, end, enabled=False):
    """Set the source and target of connection `index`."""
    def mutate(data):
        data["network"]["connections"][index].update(source=start, target=end, enabled=enabled)
        return data
    return mutate


N, C = ("network", "nodes"), ("network", "connections")
NEAT_CORRUPTIONS = {
    # sizes and flags
    "inputs mismatch": (put("network", "inputs", 6), "field 'network.inputs' is 6, but field 'observation' names 7"),
    "inputs missing": (remove("network", "inputs"), "field 'network.inputs' is missing"),
    "inputs zero": (put("network", "inputs", 0), "field 'network.inputs' is 0"),
    "inputs a bool": (put("network", "inputs", True), "field 'network.inputs' is true"),
    "outputs mismatch": (put("network", "outputs", 2), "field 'network.outputs' is 2, but field 'action' names 1"),
    "outputs huge": (put("network", "outputs", 10**400), "field 'network.outputs' is a huge integer"),
    "outputs a float": (put("network", "outputs", 1.0), "field 'network.outputs' is 1.0"),
    "recurrent missing": (
        remove("network", "recurrent"),
        "field 'network.recurrent' is missing, expected true or false",
    ),
    "recurrent a string": (put("network", "recurrent", "no"), "field 'network.recurrent' is 'no'"),
    "recurrent zero": (put("network", "recurrent", 0), "field 'network.recurrent' is 0"),
    # lists
    "nodes missing": (remove(*N), "field 'network.nodes' is missing, expected a list of node objects"),
    "nodes an object": (put(*N, {"7": {}}), "field 'network.nodes' is an object"),
    "too many nodes": (put(*N, [None] * 100_001), "field 'network.nodes' has 100001 nodes, at most 100000"),
    "connections null": (put(*C, None), "field 'network.connections' is null, expected a list of connection"),
    "too many connections": (put(*C, [{}] * 100_001), "'network.connections' has 100001 connections, at most 100000"),
    # node genes
    "node a list": (put(*N, 1, [9]), "field 'network.nodes[1]' is a list, expected an object"),
    "node id missing": (remove(*N, 1, "id"), "field 'network.nodes[1].id' is missing"),
    "node id a float": (put(*N, 1, "id", 9.0), "field 'network.nodes[1].id' is 9.0"),
    "node id a string": (put(*N, 1, "id", "9"), "field 'network.nodes[1].id' is '9'"),
    "node id a bool": (put(*N, 1, "id", True), "field 'network.nodes[1].id' is true"),
    "node id an input": (
        put(*N, 1, "id", 3),
        "field 'network.nodes[1].id' is 3, expected a node id from 7 to 2147483647 (0 to 6 are the inputs)",
    ),
    "node id negative": (put(*N, 1, "id", -1), "field 'network.nodes[1].id' is -1"),
    "node id 2**31": (put(*N, 1, "id", 2**31), "field 'network.nodes[1].id' is 2147483648"),
    "node id huge": (put(*N, 1, "id", 10**400), "field 'network.nodes[1].id' is a huge integer"),
    "node id twice": (
        put(*N, 2, "id", 9),
        "field 'network.nodes[2].id' is 9, expected a unique node id (network.nodes[1] has it too)",
    ),
    "output node missing": (remove(*N, 0), "field 'network.nodes' has no output node 7"),
    "output node renamed": (put(*N, 0, "id", 8), "field 'network.nodes' has no output node 7"),
    "activation unknown": (
        put(*N, 0, "activation", "swish"),
        "field 'network.nodes[0].activation' is 'swish', expected one of identity, sigmoid",
    ),
    "activation null": (put(*N, 0, "activation", None), "field 'network.nodes[0].activation' is null"),
    "activation a list": (put(*N, 0, "activation", ["tanh"]), "field 'network.nodes[0].activation' is a list"),
    "activation a bool": (put(*N, 0, "activation", True), "field 'network.nodes[0].activation' is true"),
    "activation missing": (remove(*N, 0, "activation"), "field 'network.nodes[0].activation' is missing"),
    "activation multi-line": (put(*N, 0, "activation", "sig\nmoid\u2028"), "network.nodes[0].activation"),
    "bias 1e39": (put(*N, 2, "bias", 1e39), "field 'network.nodes[2].bias' is 1e+39, expected a finite number"),
    "bias huge int": (put(*N, 2, "bias", -(10**400)), "field 'network.nodes[2].bias' is a huge integer"),
    "bias a string": (put(*N, 2, "bias", "0.5"), "field 'network.nodes[2].bias' is '0.5', expected a number"),
    "bias a bool": (put(*N, 2, "bias", False), "field 'network.nodes[2].bias' is false"),
    "bias null": (put(*N, 2, "bias", None), "field 'network.nodes[2].bias' is null"),
    "bias missing": (remove(*N, 2, "bias"), "field 'network.nodes[2].bias' is missing"),
    # connection genes
    "connection a string": (put(*C, 3, "12->7"), "field 'network.connections[3]' is '12->7', expected an object"),
    "innovation negative": (put(*C, 1, "innovation", -1), "field 'network.connections[1].innovation' is -1"),
    "innovation 2**31": (put(*C, 1, "innovation", 2**31), "field 'network.connections[1].innovation' is 2147483648"),
    "innovation a float": (put(*C, 1, "innovation", 1.0), "field 'network.connections[1].innovation' is 1.0"),
    "innovation a bool": (put(*C, 1, "innovation", True), "field 'network.connections[1].innovation' is true"),
    "innovation missing": (remove(*C, 1, "innovation"), "field 'network.connections[1].innovation' is missing"),
    "innovation twice": (
        put(*C, 4, "innovation", 1),
        "field 'network.connections[4].innovation' is 1, expected a unique innovation number "
        "(network.connections[1] has it too)",
    ),
    "source missing": (remove(*C, 2, "source"), "field 'network.connections[2].source' is missing"),
    "source negative": (
        put(*C, 2, "source", -1),
        "field 'network.connections[2].source' is -1, expected an input (0 to 6) or a node id",
    ),
    "source no node": (
        put(*C, 2, "source", 10),
        "field 'network.connections[2].source' is 10, expected an input (0 to 6) or a node id; there is no node 10",
    ),
    "source 2**31": (put(*C, 2, "source", 2**31), "field 'network.connections[2].source' is 2147483648"),
    "source a bool": (put(*C, 2, "source", False), "field 'network.connections[2].source' is false"),
    "source a float": (put(*C, 2, "source", 1.0), "field 'network.connections[2].source' is 1.0"),
    "target an input": (
        put(*C, 3, "target", 2),
        "field 'network.connections[3].target' is 2, expected a node id; 2 is an input",
    ),
    "target no node": (
        put(*C, 3, "target", 10),
        "field 'network.connections[3].target' is 10, expected a node id; there is no node 10",
    ),
    "target negative": (put(*C, 3, "target", -7), "field 'network.connections[3].target' is -7"),
    "target a string": (put(*C, 3, "target", "7"), "field 'network.connections[3].target' is '7'"),
    "target missing": (remove(*C, 3, "target"), "field 'network.connections[3].target' is missing"),
    "weight 1e39": (
        put(*C, 0, "weight", 1e39),
        "field 'network.connections[0].weight' is 1e+39, expected a finite number",
    ),
    "weight huge int": (put(*C, 0, "weight", 10**400), "field 'network.connections[0].weight' is a huge integer"),
    "weight a string": (put(*C, 0, "weight", "0.5"), "field 'network.connections[0].weight' is '0.5'"),
    "weight a list": (put(*C, 0, "weight", [0.5]), "field 'network.connections[0].weight' is a list"),
    "weight missing": (remove(*C, 0, "weight"), "field 'network.connections[0].weight' is missing"),
    "enabled a number": (
        put(*C, 1, "enabled", 1),
        "field 'network.connections[1].enabled' is 1, expected true or false",
    ),
    "enabled a string": (put(*C, 1, "enabled", "true"), "field 'network.connections[1].enabled' is 'true'"),
    "enabled null": (put(*C, 1, "enabled", None), "field 'network.connections[1].enabled' is null"),
    "enabled missing": (remove(*C, 1, "enabled"), "field 'network.connections[1].enabled' is missing"),
    "pair twice": (
        link(5, 0, 7),
        "field 'network.connections[5]' connects 0 to 7, as network.connections[0] does already",
    ),
    "pair twice, disabled": (
        link(4, 9, 12),
        "field 'network.connections[4]' connects 9 to 12, as network.connections[2] does",
    ),
    # cycles, disabled connections included
    "cycle": (
        link(4, 12, 9),
        "field 'network.connections' has a cycle through node 9 (9 -> 12 -> 9), which only a recurrent "
        "network may have",
    ),
    "self-loop": (link(4, 12, 12), "has a cycle through node 12 (12 -> 12)"),
    "cycle through an output": (link(4, 7, 9, enabled=True), "has a cycle through node 7 (7 -> 9 -> 12 -> 7)"),
}


@pytest.mark.parametrize("name", sorted(NEAT_CORRUPTIONS))
def test_neat_corruption_raises_brain_error(tmp_path, name):
    mutate, fragment = NEAT_CORRUPTIONS[name]
    path = tmp_path / "n.brain.json"
    write(path, mutate(copy.deepcopy(VALID_NEAT)))
    with pytest.raises(BrainError) as caught:
        load_brain(path)
    assert_names_file(caught.value, str(path))
    assert fragment in str(caught.value)


@pytest.mark.parametrize("name", ["cycle", "self-loop", "cycle through an output"])
def test_cycles_are_allowed_in_recurrent_networks(name):
    mutate, _ = NEAT_CORRUPTIONS[name]
    data = mutate(copy.deepcopy(VALID_NEAT))
    data["network"]["recurrent"] = True
    brain = from_data(data, "loop.brain.json")
    assert brain.network.recurrent
    inputs = np.random.default_rng(1).uniform(-1, 1, size=(1, 7)).astype(np.float32)
    batch = compile_brains([brain])
    arrays, state = batch.arrays(), {}
    for _tick in range(3):
        assert np.array_equal(forward(batch, inputs, arrays)[0], forward_reference(brain.genome, 0, inputs[0], state))


def test_long_cycle_is_shortened_in_the_message():
    data = copy.deepcopy(VALID_NEAT)
    ids = list(range(20, 30))
    data["network"]["nodes"] += [{"id": i, "activation": "tanh", "bias": 0.0} for i in ids]
    data["network"]["connections"] += [
        {"innovation": 100 + k, "source": ids[k], "target": ids[(k + 1) % 10], "weight": 1.0, "enabled": True}
        for k in range(10)
    ]
    with pytest.raises(BrainError, match=r"cycle through node 20 \(20 -> 21 -> 22 -> 23 -> 24 -> \.\.\. -> 20\)"):
        from_data(data, "long.brain.json")


def test_deep_feed_forward_chain_loads():
    # far deeper than Python's recursion limit: the cycle search must not recurse
    data = copy.deepcopy(VALID_NEAT)
    ids = list(range(100, 5100))
    data["network"]["nodes"] += [{"id": i, "activation": "identity", "bias": 0.0} for i in ids]
    data["network"]["connections"] += [
        {"innovation": 1000 + k, "source": a, "target": b, "weight": 1.0, "enabled": True}
        for k, (a, b) in enumerate(zip(ids, ids[1:] + [7]))
    ]
    assert from_data(data, "deep.brain.json").genome.n_nodes[0] == 5003


# --- NEAT fuzz --------------------------------------------------------------------------

NEAR_VALUES = st.sampled_from(
    [0, 1, 2, 6, 7, 8, 9, 12, 13, -1, 2**31 - 1, 2**31, True, False, None, 0.5, -0.0, 9.0, "9", "tanh", 1e39, [], {}]
)


def locations(value, path=()):
    """Every path into a JSON value (the value itself first)."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from locations(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from locations(item, path + (index,))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_fuzz_neat_document_edits(data):
    document = copy.deepcopy(VALID_NEAT)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        path = data.draw(st.sampled_from(list(locations(document))[1:]), label="path")
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["delete", "replace", "near", "copy"]), label="action")
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = data.draw(JSON_VALUES, label="value")
        elif action == "near":
            parent[path[-1]] = data.draw(NEAR_VALUES, label="value")
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    try:
        brain = from_data(document, "fuzz.brain.json")
    except BrainError as error:
        assert_names_file(error, "fuzz.brain.json")
        return
    # accepted: it saves, loads back the same, and runs
    again = from_data(json.loads(json.dumps(to_data(brain))), "again.brain.json")
    assert to_data(again) == to_data(brain)
    if isinstance(brain.network, NeatSpec):
        assert again.genome.same_as(brain.genome)
    outputs = forward(compile_brains([brain]), np.zeros((1, 7), np.float32))
    assert outputs.shape == (1, 1)

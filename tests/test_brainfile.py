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
from arena.brains.netbatch import forward
from arena.core.errors import BrainError
from arena.core.spec import ArenaSpec, RoleSpec
from arena.persist.brainfile import (
    Brain,
    brain_from_genome,
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
    "network type neat": (set_net("type", "neat"), "network type 'neat'"),
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


def test_compile_brains_needs_one_network_shape():
    batch = compile_brains([make_brain(seed=1), make_brain(seed=2)])
    assert batch.size == 2 and batch.n_inputs == DRIVER.n_inputs
    with pytest.raises(BrainError, match="one network shape"):
        compile_brains([make_brain(), make_brain(hidden=(5,))])
    with pytest.raises(BrainError):
        compile_brains([])

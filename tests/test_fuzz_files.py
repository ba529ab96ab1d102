"""Thousands of generated corrupt checkpoint and brain files raise only `ArenaError`.

The seed files are real: small runs (tunnel with the GA, with NEAT and with recurrent NEAT,
pacman co-evolving two populations with halls of fame, cartpole) write them once per module.
Hypothesis corrupts them byte by byte (cuts, flipped, inserted and deleted bytes, bytes that
are not UTF-8, huge numbers) and field by field on the parsed JSON (keys deleted, values of
another type, lists shrunk or grown, array payloads changed, sections swapped between files
of other arenas and network kinds, versions and role names changed). Every file must either
work -- a checkpoint resumes, steps one generation and can be saved again; a brain fits its
arena, compiles and plays a few ticks -- or fail with one `ArenaError` line naming the file.

FUZZ_EXAMPLES sets the examples of each of the four fuzz tests (default 1250: of the 2,500 files of
each kind, over 2,000 are refused, the rest load and run).
"""

import copy
import json
import math
import os
import re

import corruption
import numpy as np
import pytest
from corruption import at
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arena.arenas import load_all
from arena.arenas.base import SCRIPTED
from arena.brains.netbatch import forward
from arena.cli import main
from arena.core.errors import ArenaError
from arena.persist.brainfile import check_compatible, compile_brains, load_brain
from arena.persist.runs import checkpoints_of, resume_session

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1250")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEED_GENERATIONS = 3
# CLI arguments of the seed runs, by name; tiny populations keep every step fast
SEED_RUNS = {
    "tunnel-ga": ["tunnel", "--population", "4"],
    "tunnel-neat": ["tunnel", "--brain", "neat", "--population", "4"],
    "tunnel-neat-recurrent": ["tunnel", "--brain", "neat", "--recurrent", "--population", "4"],
    "pacman-ga": ["pacman", "--population", "3", "--opponents", "2"],
    "pacman-neat": ["pacman", "--brain", "neat", "--population", "3", "--opponents", "2"],
    "cartpole-ga": ["cartpole", "--population", "4"],
}
ROLLOUT_TICKS = 20
REGISTRY = load_all()
ARENA_NAMES = sorted(REGISTRY)
ROLE_NAMES = sorted({role.name for arena in REGISTRY.values() for role in arena.spec.roles})


class Corpus:
    """The seed files, by kind: `checkpoints` and `brains` are lists of (arena name, file bytes,
    parsed JSON); `checkpoint_of` has the parsed checkpoint of each seed run, `seed_brains` the
    brains loaded, and `levels` each arena's default level, to play brains on."""

    def __init__(self):
        self.checkpoints, self.brains, self.seed_brains = [], [], []
        self.checkpoint_of = {}
        self.levels = {name: arena.load_level(arena.default_level_path()) for name, arena in REGISTRY.items()}

    def __repr__(self):  # hypothesis prints the arguments of a failing example
        return f"<{len(self.checkpoints)} seed checkpoints, {len(self.brains)} seed brains>"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The files of the seed runs."""
    runs = tmp_path_factory.mktemp("seed-runs")
    seeds = Corpus()
    for name, args in SEED_RUNS.items():
        folder = runs / name
        assert main(["train", *args, "--generations", str(SEED_GENERATIONS), "--seed", "1",
                     "--out", str(folder)]) == 0
        (checkpoint,) = checkpoints_of(folder)  # one, at the end (checkpoints come every 10 generations)
        seeds.checkpoints.append((args[0], checkpoint.read_bytes(), json.loads(checkpoint.read_bytes())))
        seeds.checkpoint_of[name] = seeds.checkpoints[-1][2]
        for path in sorted(folder.glob("best-*.brain.json")):
            seeds.brains.append((args[0], path.read_bytes(), json.loads(path.read_bytes())))
            seeds.seed_brains.append(load_brain(path))
    assert len(seeds.brains) == sum(len(REGISTRY[args[0]].spec.roles) for args in SEED_RUNS.values())
    return seeds


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A run folder whose only checkpoint each example overwrites, and a brain file path."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "run" / "checkpoints").mkdir(parents=True)
    return folder


def assert_one_line_naming(error: ArenaError, path) -> None:
    message = str(error)
    assert str(path) in message, message
    assert "\n" not in message, message


def reason(error: ArenaError) -> str:
    """What a refusal is about, for hypothesis's statistics: the top field it names, or its first words."""
    message = str(error).split(": ", 1)[-1]
    found = re.search(r"field '([^'.\[]+)", message)
    return f"field {found.group(1)}" if found else " ".join(w for w in message.split()[:4] if w.isalpha())


# -- what every generated file must survive

def resume_and_step(run_folder, path) -> None:
    """Resume the run from `path`, its only checkpoint; what resumes must step and save."""
    warnings = []
    try:
        session, used = resume_session(run_folder, warn=warnings.append)
    except ArenaError as exc:
        assert_one_line_naming(exc, path)
        assert len(warnings) == 1
        event(f"refused: {reason(exc)}")
        return
    assert used == path and not warnings
    generation = session.generation
    session.step()
    assert session.generation == generation + 1
    for pop in session.populations.values():
        assert pop.champion is not None
    json.dumps(session.checkpoint_data(), allow_nan=False)  # the next checkpoint can be written
    event("resumed and stepped")


def load_and_play(path, seed_arena: str, corpus: Corpus) -> None:
    """Load the brain at `path`, check it against its arena (the seed's if it names none that
    exists), compile it, and let it play its role for a few ticks against scripted opponents;
    in one batch with the seed brains of its role (other network kinds), it computes as alone."""
    try:
        brain = load_brain(path)
        arena = REGISTRY.get(brain.arena) or REGISTRY[seed_arena]
        check_compatible(brain, arena.spec, source=str(path))
    except ArenaError as exc:
        assert_one_line_naming(exc, path)
        event(f"refused: {reason(exc)}")
        return
    nets = {role.name: SCRIPTED for role in arena.spec.roles}
    nets[brain.role] = compile_brains([brain] * arena.spec.role(brain.role).agents)
    outcome = arena.rollout(corpus.levels[arena.spec.name], nets, np.zeros(1, dtype=np.uint64), ROLLOUT_TICKS)
    assert outcome.fitness[brain.role].shape == outcome.ticks.shape == (1,)
    partners = [seed for seed in corpus.seed_brains if seed.arena == arena.spec.name and seed.role == brain.role]
    inputs = np.random.default_rng(0).uniform(-2, 2, (1 + len(partners), brain.network.n_inputs)).astype(np.float32)
    together = forward(compile_brains([brain, *partners]), inputs)
    assert np.array_equal(together[0], forward(compile_brains([brain]), inputs[:1])[0], equal_nan=True)
    event("loaded and played")


# -- byte-level corruption

BYTE_EDITS = ("truncate", "flip", "insert", "delete", "digit", "number", "empty")
ODD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3(", b"\xed\xa0\x80", b"\xc0\x80", b"\x00", b"\\ud800", b"\\u0000",
             b"NaN", b"-Infinity", b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"null", b"true"]
HUGE_NUMBERS = [b"9" * 5000, b"1" + b"0" * 400, b"1e999", b"-1e999", b"1e-999", b"18446744073709551616",
                b"9223372036854775808", b"2147483648", b"2147483647", b"-2147483649", b"1.7976931348623157e308",
                b"3.5e38", b"-0", b"0.5", b"-1", b"0"]


def corrupt_bytes(data, raw: bytes) -> bytes:
    return corruption.corrupt_bytes(data, raw, BYTE_EDITS, ODD_BYTES, HUGE_NUMBERS)


# -- structure-level corruption

ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 3, 4096, 4097, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**400,
    0.5, -0.0, 1e308, -1e308, 3.5e38, 5e-324, "", "x", "nan", "NaN", "inf", "-inf", "Infinity", "1", "int32", "float64",
    "neat", "mlp", [], [[]], [1, [2]], [None], {}, {"dtype": "int32", "shape": [0], "data": []},
]


JUNK = corruption.junk(ODD_VALUES)
DTYPE_NAMES = ["int8", "int32", "int64", "float32", "float64", "bool", "uint8", "float16", "object", "", 5, None]
VERSION_VALUES = [0, 2, -1, "1", 1.0, True, None, 2**64, [1], "arena.brain", "arena.checkpoint", "ARENA.BRAIN"]
# type-keeping edits ("near", "array") get past the type checks, so they weigh more
STRUCTURE_EDITS = ("delete", "retype", "retype", "near", "near", "near", "resize", "array", "array", "array", "swap",
                   "swap", "version", "rename")


def is_array(value) -> bool:
    """An array as checkpoints write them: {"dtype", "shape", "data"}."""
    return isinstance(value, dict) and {"dtype", "shape", "data"} <= set(value) and isinstance(value["shape"], list) \
        and isinstance(value["data"], list)


def near(data, value):
    """A value of the same type close to `value`, or at a boundary: most pass the type checks."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return data.draw(st.sampled_from([value + 1, value - 1, -value, 2 * value, value // 2, 0, -1, 2**31 - 1,
                                          2**31, 2**63]), label="near")
    if isinstance(value, float):
        return data.draw(st.sampled_from([2 * value, -value, value + 1, 0.0, value * 1e30, 3.4028234663852886e38,
                                          3.5e38, 1e-45]), label="near")
    if isinstance(value, str):
        return data.draw(st.sampled_from(["", value.upper(), value + " ", value[:-1], *ARENA_NAMES, *ROLE_NAMES]),
                         label="near")
    return data.draw(JUNK, label="value")


def edit_array(data, array: dict) -> None:
    """Change an encoded array in place: its dtype, shape, size (rows or columns, shape kept
    consistent so the size checks pass) or values."""
    shape, values = array["shape"], array["data"]
    # rows and columns only of an array whose shape matches its data (a shape may have been edited)
    whole = bool(shape) and all(isinstance(s, int) and s >= 0 for s in shape) and math.prod(shape) == len(values)
    edit = data.draw(st.sampled_from(["dtype", "shape", "rows", "columns", "entry", "fill", "reverse"]), label="how")
    if edit == "dtype":
        array["dtype"] = data.draw(st.sampled_from(DTYPE_NAMES), label="dtype")
    elif edit == "shape":
        array["shape"] = data.draw(st.sampled_from([[], [0], [len(values)], [len(values), 1], [1, len(values)],
                                                    shape[::-1], [-1, 2], [2**40, 0], None]), label="shape")
    elif edit == "rows" and whole:
        width = math.prod(shape[1:])
        if data.draw(st.booleans(), label="grow") and values:
            values += values[-width:] if width else []
            shape[0] += 1
        elif shape[0] > 0:
            del values[len(values) - width:]
            shape[0] -= 1
    elif edit == "columns" and whole and len(shape) == 2:
        rows, width = shape
        grid = [values[r * width:(r + 1) * width] for r in range(rows)]
        if data.draw(st.booleans(), label="grow"):
            grid = [row + row[-1:] if row else row + [0] for row in grid]
            shape[1] += 1
        elif width > 0:
            grid = [row[:-1] for row in grid]
            shape[1] -= 1
        array["data"] = [v for row in grid for v in row]
    elif edit == "entry" and values:
        index = data.draw(st.integers(0, len(values) - 1), label="index")
        values[index] = near(data, values[index]) if data.draw(st.booleans(), label="near") else \
            data.draw(JUNK, label="value")
    elif edit == "fill":
        fill = data.draw(st.sampled_from([0, 1, -1, 2, 1000, 2**31 - 1, 0.0, 1e30, True, False]), label="fill")
        array["data"] = [fill] * len(values)
    elif edit == "reverse":
        values.reverse()


RESIZES = ("drop last", "drop first", "clear", "repeat", "append", "double")


def edit_some_array(data, document, paths) -> None:
    arrays = [p for p in paths if is_array(at(document, p))]
    if arrays:
        edit_array(data, at(document, data.draw(st.sampled_from(arrays), label="path")))


def set_version(data, document, paths) -> None:
    key = data.draw(st.sampled_from(["format", "version", "spec_version"]), label="key")
    document[key] = copy.deepcopy(data.draw(st.sampled_from(VERSION_VALUES), label="value"))


def corrupt_structure(data, document, others: list):
    """`document` (parsed JSON, changed in place) after one to three field-level edits drawn
    from `data`; `others` are the other seed documents of its kind, to swap sections with (of
    another arena's or network kind's file, at the same place)."""
    return corruption.corrupt_structure(
        data, document, others, edits=STRUCTURE_EDITS, junk_values=JUNK, near=near, swap_depth=3, resizes=RESIZES,
        own_edits={"array": edit_some_array, "version": set_version,
                   "rename": lambda data, document, paths: rename_role(data, document)})


def rename_role(data, document) -> None:
    """Name another role or arena: a brain's role or arena, a checkpoint's arena or the roles
    its populations are saved under."""
    name = data.draw(st.sampled_from([*ROLE_NAMES, *ARENA_NAMES, "", "Driver", "driver ", "x" * 100]), label="name")
    if "populations" in document and isinstance(document["populations"], dict) and document["populations"] \
            and data.draw(st.booleans(), label="populations"):
        populations = document["populations"]
        old = data.draw(st.sampled_from(sorted(populations)), label="role")
        if name in populations:  # two roles trade places
            populations[old], populations[name] = populations[name], populations[old]
        else:
            populations[name] = populations.pop(old)
    elif isinstance(document.get("config"), dict):
        document["config"]["arena"] = name
    else:
        document[data.draw(st.sampled_from(["role", "arena"]), label="key")] = name


# -- the tests

@FUZZ
@given(data=st.data())
def test_checkpoints_with_corrupt_bytes_resume_or_raise_arena_errors(corpus, work, data):
    _, raw, _ = data.draw(st.sampled_from(corpus.checkpoints), label="seed")
    path = work / "run" / "checkpoints" / f"gen-{SEED_GENERATIONS:06d}.json"
    path.write_bytes(corrupt_bytes(data, raw))
    resume_and_step(work / "run", path)


@FUZZ
@given(data=st.data())
def test_checkpoints_with_corrupt_fields_resume_or_raise_arena_errors(corpus, work, data):
    index = data.draw(st.integers(0, len(corpus.checkpoints) - 1), label="seed")
    _, raw, _ = corpus.checkpoints[index]
    others = [document for k, (_, _, document) in enumerate(corpus.checkpoints) if k != index]
    document = corrupt_structure(data, json.loads(raw), others)
    path = work / "run" / "checkpoints" / f"gen-{SEED_GENERATIONS:06d}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    resume_and_step(work / "run", path)


@FUZZ
@given(data=st.data())
def test_brains_with_corrupt_bytes_play_or_raise_arena_errors(corpus, work, data):
    arena, raw, _ = data.draw(st.sampled_from(corpus.brains), label="seed")
    path = work / "bytes.brain.json"
    path.write_bytes(corrupt_bytes(data, raw))
    load_and_play(path, arena, corpus)


@FUZZ
@given(data=st.data())
def test_brains_with_corrupt_fields_play_or_raise_arena_errors(corpus, work, data):
    index = data.draw(st.integers(0, len(corpus.brains) - 1), label="seed")
    arena, raw, _ = corpus.brains[index]
    others = [document for k, (_, _, document) in enumerate(corpus.brains) if k != index]
    document = corrupt_structure(data, json.loads(raw), others)
    path = work / "fields.brain.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    load_and_play(path, arena, corpus)


# Corruptions that crashed a loader or a resumed run before it was fixed (found by these tests
# and by probing around what they found): (seed run, field, value).
PINNED = [
    ("tunnel-ga", ("session", "champion", "fitness"), 2**1100),  # np.isfinite raised TypeError
    ("tunnel-neat", ("state", "threshold"), 2**1100),  # math.isfinite raised OverflowError
    ("tunnel-ga", ("params", "mutation_scale"), 2**1100),  # so did the settings' check
    ("tunnel-ga", ("params", "tournament_size"), 2**31 - 1),  # the first step asked for 96 GiB
    ("tunnel-ga", ("params", "rank_scale"), 1e308),  # rank selection indexed at -2**63
    ("tunnel-ga", ("params", "init_scale"), 1e308),  # numpy refused the range (OverflowError)
    ("tunnel-ga", ("params", "mutation_scale"), 1e308),  # infinite genes: no checkpoint could be written
    ("tunnel-neat", ("params", "weight_init_std"), 1e308),  # the same for NEAT weights
    ("pacman-ga", ("populations", "ghost", "hall_of_fame"), []),  # opponents drawn from an empty hall
]


@pytest.mark.parametrize("run, field, value", PINNED, ids=lambda v: ".".join(v) if isinstance(v, tuple) else None)
def test_corruptions_that_once_crashed_are_refused(corpus, work, run, field, value):
    document = copy.deepcopy(corpus.checkpoint_of[run])
    at(document, field[:-1])[field[-1]] = value
    path = work / "run" / "checkpoints" / f"gen-{SEED_GENERATIONS:06d}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ArenaError) as caught:
        resume_session(work / "run")
    assert_one_line_naming(caught.value, path)
    assert f"field '{'.'.join(field)}'" in str(caught.value)

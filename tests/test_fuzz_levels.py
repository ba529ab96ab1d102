"""Thousands of generated malformed level files load and play, or raise only `ArenaError`.

The seed files are real: every arena's built-in levels (JSON, and Pac-Man's text grids),
levels its seeded generator makes (written with the arena's `to_data`; Pac-Man's also as a grid)
and a tank field with wall lines (no built-in or generated field has any).
Hypothesis corrupts them byte by byte (cuts, flipped, inserted and deleted bytes, bytes that are
not UTF-8, huge numbers, deep nesting), field by field on the parsed JSON (fields deleted, values
of another type, numbers huge, negative or tiny, lists emptied or grown, sections of another
arena's level, wrong format, version or arena, tank wall lines added or replaced), and cell by
cell on Pac-Man grids (characters changed, P or G removed or doubled, rows cut or grown, walls
that shut pellets off). Every file
must either load and be playable -- reset, a few steps and a short rollout with random networks
-- or fail with one `ArenaError` line naming the file.

FUZZ_EXAMPLES sets the examples of each of the four fuzz tests (default 1250: 5,000 files).
"""

import copy
import json
import os
import re

import corruption
import numpy as np
import pytest
from corruption import at
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arena.arenas import load_all
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp, forward
from arena.core.errors import ArenaError

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "1250")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REGISTRY = load_all()
ARENA_NAMES = sorted(REGISTRY)
GENERATED_SEEDS = (1, 2)
N_ENVS = 2
TANKS_WITH_LINES = {
    "format": "arena.level", "version": 1, "arena": "tanks", "name": "lines", "width": 50, "height": 36,
    "walls": [[8, 8, 12, 12]],
    "wall_lines": [{"points": [[20, 6], [30, 10], [40, 6]], "thickness": 1},
                   {"points": [[10, 28], [25, 30.5], [40, 28]], "thickness": 0.5}, {"points": [[44, 14], [44, 22]]}],
    "spawn_regions": [[3, 3, 47, 33]], "tank_spawns": [[25, 18, 90]], "seconds": 40, "target": 60,
}
STEP_TICKS = 3
ROLLOUT_TICKS = 20


class Corpus:
    """The seed files: `documents` a list of (arena name, file bytes, parsed JSON) of every JSON
    level, `grids` a list of Pac-Man mazes as text, and random networks for every role."""

    def __init__(self):
        self.documents, self.grids = [], []
        for name, arena in REGISTRY.items():
            module = arena.level_module
            for path in arena.builtin_levels():
                if path.suffix == ".json":
                    self.documents.append((name, path.read_bytes(), json.loads(path.read_bytes())))
                else:
                    self.grids.append(path.read_text(encoding="utf-8"))
            for seed in GENERATED_SEEDS:
                level = arena.generate_level(seed)
                document = module.to_data(level)
                self.documents.append((name, json.dumps(document, indent=1).encode(), document))
                if name == "pacman":
                    self.grids.append("\n".join(level.maze) + "\n")
        REGISTRY["tanks"].level_module.from_data(TANKS_WITH_LINES, "tanks seed with wall lines")  # it must be valid
        self.documents.append(("tanks", json.dumps(TANKS_WITH_LINES, indent=1).encode(), TANKS_WITH_LINES))
        rng = np.random.default_rng(0)
        self.nets = {}
        for arena in REGISTRY.values():
            for role in arena.spec.roles:
                spec = MLPSpec.for_role(role)
                self.nets[arena.spec.name, role.name] = compile_mlp(spec, spec.random_genomes(
                    rng, N_ENVS * role.agents, 1.0))

    def __repr__(self):  # hypothesis prints the arguments of a failing example
        return f"<{len(self.documents)} seed level documents, {len(self.grids)} seed mazes>"


@pytest.fixture(scope="module")
def corpus():
    seeds = Corpus()
    assert {name for name, _, _ in seeds.documents} == set(ARENA_NAMES)
    assert len(seeds.grids) >= 5
    return seeds


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("levels")


def reason(error: ArenaError) -> str:
    """What a refusal is about, for hypothesis's statistics: the field it names, or its first words."""
    message = str(error).split(": ", 1)[-1]
    found = re.search(r"field '([^'.\[]+)", message)
    return f"field {found.group(1)}" if found else " ".join(w for w in message.split()[:4] if w.isalpha())


# -- what every generated file must survive

def load_and_play(path, arena_name: str, corpus: Corpus) -> None:
    """Load the level at `path` in its arena; what loads must reset, step and roll out."""
    arena = REGISTRY[arena_name]
    try:
        level = arena.load_level(path)
    except ArenaError as exc:
        message = str(exc)
        assert str(path) in message and "\n" not in message, message
        event(f"{arena_name} refused: {reason(exc)}")
        return
    nets = {role.name: corpus.nets[arena_name, role.name] for role in arena.spec.roles}
    seeds = np.arange(N_ENVS, dtype=np.uint64)
    state = arena.reset(level, N_ENVS, seeds)
    for _ in range(STEP_TICKS):
        observations = arena.observe(level, state)
        for role, values in observations.items():
            assert values.shape[0] == N_ENVS * arena.spec.role(role).agents
        arena.step(level, state, {role: forward(nets[role], observations[role]) for role in nets})
    outcome = arena.rollout(level, nets, seeds, ROLLOUT_TICKS)
    assert outcome.ticks.shape == (N_ENVS,) and np.all(outcome.ticks <= ROLLOUT_TICKS)
    for role in nets:
        assert np.all(np.isfinite(outcome.fitness[role]))
    event(f"{arena_name} loaded and played")


# -- byte-level corruption

BYTE_EDITS = ("truncate", "flip", "insert", "delete", "digit", "number", "nest", "empty")
ODD_BYTES = [b"\xff", b"\xfe\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00", b"\\ud800", b"\\u0000", b"NaN",
             b"-Infinity", b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r", b"\t", b"null", b"true",
             "\u2028".encode(), "\u00e9".encode()]
HUGE_NUMBERS = [b"9" * 5000, b"1" + b"0" * 400, b"1e999", b"-1e999", b"1e-999", b"18446744073709551616",
                b"9223372036854775808", b"2147483648", b"-2147483649", b"1.7976931348623157e308", b"1e300",
                b"-1e300", b"5000.0001", b"-5000", b"1e-320", b"-0", b"0.5", b"-1", b"0", b"1e6"]


def corrupt_bytes(data, raw: bytes) -> bytes:
    return corruption.corrupt_bytes(data, raw, BYTE_EDITS, ODD_BYTES, HUGE_NUMBERS)


# -- structure-level corruption

ODD_VALUES = [
    None, True, False, 0, -1, 1, 2, 3, 4, 2**31, 2**63, 10**400, -(10**400), 0.5, -0.0, 1e-320, 1e300, -1e300,
    1e308, 5000.0, -5000.0, 5001, 1e6, -1e6, 300, 301, 1_000_000, 10_000_001, "", "x", "nan", "inf", "%%%", "P",
    "racing", [], [[]], [0, 0], [0, 0, 0], [0, 0, 10, 10], [1, [2]], [None], {}, ["%P.G%"], ["%%%", "%P.G%", "%%%"],
]


JUNK = corruption.junk(ODD_VALUES)
HEADER_VALUES = {"format": ["arena.level", "arena.brain", "ARENA.LEVEL", "", None, 1],
                 "version": [0, 2, -1, "1", 1.0, True, None, 2**64, [1]],
                 "arena": [*ARENA_NAMES, "", "Racing", None, 5, ["racing"]]}
# type-keeping edits ("near", "maze", "lines") get past the type checks, so they weigh more
STRUCTURE_EDITS = ("delete", "retype", "near", "near", "near", "near", "resize", "resize", "swap", "header", "nest",
                   "maze", "maze", "lines", "lines")
# tank wall lines, mostly well formed: coordinates in and a little beyond a field, thicknesses around the limits
COORDINATES = st.integers(-2, 62) | st.floats(-2, 62) | st.sampled_from([0, 50, 36, 1e300, 10**400, True, None, "1"])
WALL_LINES = st.lists(st.fixed_dictionaries(
    {"points": st.lists(st.lists(COORDINATES, min_size=2, max_size=2)
                        | st.sampled_from([[], [1, 2, 3], None]).map(copy.deepcopy), max_size=6)},
    optional={"thickness": st.sampled_from([0.2, 0.5, 1, 10, 0.1, 10.5, 0, -1, True, None, "1", 1e300])},
), max_size=4)


def near(data, value):
    """A value of the same type close to `value`, or at a boundary: most pass the type checks."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return data.draw(st.sampled_from([value + 1, value - 1, -value, 2 * value, value // 2, 0, -1, 10 * value,
                                          2**31, 2**63, 10**400]), label="near")
    if isinstance(value, float):
        return data.draw(st.sampled_from([2 * value, -value, value + 1, value + 0.5, 0.0, value * 1e30, 1e300,
                                          -1e300, 5e-324, value / 1e9, 4999.9, -4999.9]), label="near")
    if isinstance(value, str):
        return data.draw(st.sampled_from(["", value.upper(), value + " ", value[:-1], value + value, *ARENA_NAMES]),
                         label="near")
    return data.draw(JUNK, label="value")


def edit_maze(data, maze: list) -> None:
    """Change a Pac-Man maze (a list of rows) in place, with the grid edits."""
    if maze and all(isinstance(row, str) for row in maze):
        maze[:] = edit_grid(data, maze)


RESIZES = ("drop last", "drop first", "keep few", "clear", "repeat", "append", "double", "reverse")


def set_header(data, document, paths) -> None:
    key = data.draw(st.sampled_from(sorted(HEADER_VALUES)), label="key")
    # a copy: a list put into the document may be edited there by a later edit, and must not
    # change HEADER_VALUES for the examples after (hypothesis then finds the test flaky)
    document[key] = copy.deepcopy(data.draw(st.sampled_from(HEADER_VALUES[key]), label="value"))


def edit_document_maze(data, document, paths) -> None:
    if isinstance(document.get("maze"), list):
        edit_maze(data, document["maze"])


def set_wall_lines(data, document, paths) -> None:
    if document.get("arena") == "tanks":
        lines = data.draw(WALL_LINES, label="wall lines")
        if isinstance(document.get("wall_lines"), list) and data.draw(st.booleans(), label="add"):
            document["wall_lines"].extend(lines)
        else:
            document["wall_lines"] = lines


def corrupt_structure(data, document, others: list):
    """`document` (parsed JSON, changed in place) after one to three field-level edits drawn from
    `data`; `others` are the other seed documents, of every arena, to swap fields with (a field of
    another arena's level, or of another level of the same arena)."""
    return corruption.corrupt_structure(
        data, document, others, edits=STRUCTURE_EDITS, junk_values=JUNK, near=near, swap_depth=2, resizes=RESIZES,
        middles=(3, 2), own_edits={"header": set_header, "maze": edit_document_maze, "lines": set_wall_lines})


# -- grid-level corruption (Pac-Man)

CELLS = "%. oPG-"
GRID_EDITS = ("cell", "cell", "cell", "drop P", "drop G", "extra", "row", "cut row", "grow row", "drop row",
              "drop column", "wall in", "wall row", "bytes", "tiny")
TINY_MAZES = [["P"], ["PG."], ["P.G"], ["%"], ["P", ".", "G"], ["%%%", "%P%", "%%%"], ["PG"], ["-P-G-.-"],
              ["%%%%%", "%PG.%", "%%%%%"], ["P.  ", "   G"], [".P", "G "], ["%.%", "PGo", "%.%"]]


def edit_grid(data, rows: list) -> list:
    """The rows of a maze after one to three cell-level edits drawn from `data`."""
    rows = list(rows)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        edit = data.draw(st.sampled_from(GRID_EDITS), label="grid edit")
        if not rows:
            rows = [""]
        r = data.draw(st.integers(0, len(rows) - 1), label="row")
        c = data.draw(st.integers(0, max(len(rows[r]) - 1, 0)), label="column")
        if edit == "cell" and rows[r]:
            cell = data.draw(st.sampled_from(CELLS) | st.characters(max_codepoint=0x3000), label="character")
            rows[r] = rows[r][:c] + cell + rows[r][c + 1:]
        elif edit in ("drop P", "drop G"):
            rows = [row.replace(edit[-1], data.draw(st.sampled_from("% ."), label="instead")) for row in rows]
        elif edit == "extra" and rows[r]:  # a second P, a fifth G ...
            rows[r] = rows[r][:c] + data.draw(st.sampled_from("PPGGGGG"), label="start") + rows[r][c + 1:]
        elif edit == "row":
            rows.insert(r, data.draw(st.sampled_from([rows[r], "%" * len(rows[r]), "." * len(rows[r]), "",
                                                      " " * len(rows[r])]), label="new row"))
        elif edit == "cut row":
            rows[r] = rows[r][:c]
        elif edit == "grow row":
            rows[r] += data.draw(st.sampled_from(["%", " ", ".", "%" * 100]), label="more")
        elif edit == "drop row":
            del rows[r]
        elif edit == "drop column":
            rows = [row[:c] + row[c + 1:] for row in rows]
        elif edit == "wall in":  # a wall round a cell: a pellet there cannot be reached
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                if 0 <= r + dr < len(rows) and 0 <= c + dc < len(rows[r + dr]):
                    row = rows[r + dr]
                    rows[r + dr] = row[:c + dc] + "%" + row[c + dc + 1:]
        elif edit == "wall row":  # cut the maze in two
            rows[r] = data.draw(st.sampled_from(["%", "-"]), label="wall") * len(rows[r])
        elif edit == "bytes":
            text = corrupt_bytes(data, "\n".join(rows).encode()).decode("utf-8", "replace")
            rows = text.split("\n")
        elif edit == "tiny":
            rows = list(data.draw(st.sampled_from(TINY_MAZES), label="maze"))
    return rows


# -- the tests

@FUZZ
@given(data=st.data())
def test_json_levels_with_corrupt_bytes_load_or_raise_arena_errors(corpus, work, data):
    arena, raw, _ = data.draw(st.sampled_from(corpus.documents), label="seed")
    path = work / f"bytes-{arena}.json"
    path.write_bytes(corrupt_bytes(data, raw))
    load_and_play(path, arena, corpus)


@FUZZ
@given(data=st.data())
def test_json_levels_with_corrupt_fields_load_or_raise_arena_errors(corpus, work, data):
    index = data.draw(st.integers(0, len(corpus.documents) - 1), label="seed")
    arena, raw, _ = corpus.documents[index]
    others = [document for k, (_, _, document) in enumerate(corpus.documents) if k != index]
    document = corrupt_structure(data, json.loads(raw), others)
    path = work / f"fields-{arena}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    load_and_play(path, arena, corpus)


@FUZZ
@given(data=st.data())
def test_pacman_grids_with_corrupt_cells_load_or_raise_arena_errors(corpus, work, data):
    text = data.draw(st.sampled_from(corpus.grids), label="seed")
    rows = edit_grid(data, text.splitlines())
    path = work / data.draw(st.sampled_from(["cells.txt", "cells.lay"]), label="name")
    path.write_text("\n".join(rows) + data.draw(st.sampled_from(["\n", "", "\r\n", "\n\n  \n"]), label="end"),
                    encoding="utf-8")
    load_and_play(path, "pacman", corpus)


@FUZZ
@given(data=st.data())
def test_pacman_grids_with_corrupt_bytes_load_or_raise_arena_errors(corpus, work, data):
    text = data.draw(st.sampled_from(corpus.grids), label="seed")
    path = work / "bytes.txt"
    path.write_bytes(corrupt_bytes(data, text.encode()))
    load_and_play(path, "pacman", corpus)


# Corruptions that crashed or stalled a loader before it was fixed (found by these tests and by
# probing around what they found): (arena, field, value, what the refusal says).
BIG_CIRCLE = [[4900.0 * np.cos(a), 4900.0 * np.sin(a)] for a in np.linspace(0.0, 2 * np.pi, 200, endpoint=False)]
PINNED = [
    ("tunnel", ("top", 5), 10**400, "field 'top' column 5"),  # np.isfinite raised TypeError
    ("tunnel", ("top", 0), -(10**400), "field 'top' column 0"),
    ("racing", ("centreline",), BIG_CIRCLE, "m long; at most"),  # a 30 km lap: a minute and gigabytes to check
    ("racing", ("centreline", 1), [4999.0, -4999.0], "m long; at most"),  # one far point: a long spike
    ("racing", ("laps",), [0] * 100_000, "field 'laps'"),  # the whole list went into the message
    ("tanks", ("format",), "x" * 100_000, "field 'format'"),  # so did a long format
]


@pytest.mark.parametrize("arena, field, value, message", PINNED,
                         ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None)
def test_corruptions_that_once_crashed_are_refused(corpus, work, arena, field, value, message):
    document = copy.deepcopy(next(d for name, _, d in corpus.documents if name == arena))
    at(document, field[:-1])[field[-1]] = value
    path = work / f"pinned-{arena}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ArenaError) as caught:
        REGISTRY[arena].load_level(path)
    text = str(caught.value)
    assert str(path) in text and message in text and "\n" not in text and len(text) < len(str(path)) + 300, text

"""`arena levels check` and `arena levels new --generate`."""

import json

import pytest

from arena.arenas import get_arena
from arena.cli import main

ARENAS = ("tunnel", "racing", "cartpole", "tanks", "pacman")


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("arena", ARENAS)
def test_a_generated_level_is_written_checked_and_the_same_for_a_seed(arena, tmp_path, capsys):
    first, second, other = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    for path, seed in ((first, 4), (second, 4), (other, 5)):
        code, out, err = run(["levels", "new", arena, "--generate", "--seed", str(seed), "--out", str(path), "--json"],
                             capsys)
        assert code == 0 and not err and json.loads(out.strip().splitlines()[-1])["out"] == str(path)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()
    code, out, err = run(["levels", "check", str(first), str(other), "--json"], capsys)
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and summary["bad"] == 0 and {row["arena"] for row in summary["files"]} == {arena}
    level = get_arena(arena).load_level(first)
    assert get_arena(arena).level_module.to_data(level) == json.loads(first.read_text())


def test_a_pacman_level_can_be_a_text_grid(tmp_path, capsys):
    grid, as_json = tmp_path / "maze.lay", tmp_path / "maze.json"
    for path in (grid, as_json):
        assert run(["levels", "new", "pacman", "--generate", "--seed", "2", "--out", str(path)], capsys)[0] == 0
    pacman = get_arena("pacman")
    assert pacman.load_level(grid).maze == pacman.load_level(as_json).maze
    assert "%" in grid.read_text() and "P" in grid.read_text()


def test_every_built_in_level_checks(capsys):
    paths = [str(p) for name in ARENAS for p in get_arena(name).builtin_levels()]
    code, out, err = run(["levels", "check", *paths], capsys)
    assert code == 0 and not err and len(out.strip().splitlines()) == len(paths)


def test_bad_files_are_named_one_line_each_and_the_good_still_pass(tmp_path, capsys):
    good = tmp_path / "good.json"
    run(["levels", "new", "racing", "--generate", "--out", str(good)], capsys)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"format": "arena.level", "version": 1}')
    bad_grid = tmp_path / "bad.lay"
    bad_grid.write_text("%%%%%\n%P..%\n%%%%%\n")  # no ghost
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "arena.level", "version": 1, "arena": "nosuch"}')
    missing = tmp_path / "missing.json"
    code, out, err = run(["levels", "check", str(good), str(bad_json), str(bad_grid), str(broken), str(missing)],
                         capsys)
    assert code == 2 and out.strip() == f"{good}: ok (racing)"
    lines = err.strip().splitlines()
    assert len(lines) == 4 and "Traceback" not in err
    for line, path in zip(lines, (bad_json, bad_grid, broken, missing)):
        assert str(path) in line, line


def test_new_never_replaces_a_file_without_force_and_needs_generate(tmp_path, capsys):
    out = tmp_path / "level.json"
    out.write_text("mine")
    code, _, err = run(["levels", "new", "racing", "--generate", "--out", str(out)], capsys)
    assert code == 2 and "exists" in err and out.read_text() == "mine"
    assert run(["levels", "new", "racing", "--generate", "--out", str(out), "--force"], capsys)[0] == 0
    assert get_arena("racing").load_level(out) is not None
    code, _, err = run(["levels", "new", "racing", "--out", str(tmp_path / "x.json")], capsys)
    assert code == 2 and "--generate" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["levels", "new", "racing", "--generate", "--out", str(tmp_path / "x.lay")], capsys)
    assert code == 2 and ".json" in err
    code, _, err = run(["levels", "new", "nosuch", "--generate", "--out", str(tmp_path / "y.json")], capsys)
    assert code == 2 and "nosuch" in err

"""`arena runs show` and `arena runs plot` on real runs made by `arena train`."""

import json
import shutil

import numpy as np
import pygame
import pytest

from arena.cli import main
from arena.persist.runinfo import wall_time
from arena.ui.draw import species_colours

TUNNEL = "levels/tunnel/classic.json"


def run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse exits on usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def train(folder, *argv):
    assert main(["train", *argv, "--out", str(folder), "--json"]) == 0
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{kind: run folder}: a tunnel GA run, a tunnel NEAT run and a Pac-Man co-evolution run."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "ga": train(root / "ga", "tunnel", "--level", TUNNEL, "--population", "20", "--generations", "4",
                    "--seed", "3", "--checkpoint-every", "2"),
        "neat": train(root / "neat", "tunnel", "--brain", "neat", "--level", TUNNEL, "--population", "30",
                      "--generations", "4", "--seed", "1"),
        "coevolution": train(root / "coevolution", "pacman", "--population", "8", "--generations", "2",
                             "--opponents", "2"),
    }


def metrics(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]


def show_json(folder, capsys):
    code, out, err = run(["runs", "show", str(folder), "--json"], capsys)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["ga", "neat", "coevolution"])
def test_show_agrees_with_the_metrics_and_the_folder(runs, kind, capsys):
    folder = runs[kind]
    summary = show_json(folder, capsys)
    lines = metrics(folder)
    config = json.loads((folder / "config.json").read_text())
    assert {k: summary[k] for k in ("arena", "brain", "population", "seed", "level")} == \
        {k: config[k] for k in ("arena", "brain", "population", "seed", "level")}
    assert summary["generations_configured"] == config["generations"]
    assert summary["generations_done"] == len(lines) == config["generations"]
    assert summary["evaluations"] == lines[-1]["evaluations"]
    best = max(line["best_fitness"] for line in lines)
    assert summary["best_fitness"] == best
    assert summary["best_generation"] == next(line["generation"] for line in lines if line["best_fitness"] == best)
    assert summary["solved_generation"] == next((line["generation"] for line in lines if line["finished"]), None)
    assert summary["wall_s"] == pytest.approx(lines[-1]["wall_s"])
    assert summary["generations_per_s"] == pytest.approx(len(lines) / lines[-1]["wall_s"])
    assert summary["evaluations_per_s"] == pytest.approx(lines[-1]["evaluations"] / lines[-1]["wall_s"])
    on_disk = sorted((int(p.stem.split("-")[1]) for p in (folder / "checkpoints").iterdir()), reverse=True)
    assert summary["checkpoints"] == on_disk and on_disk
    brains = sorted(p.name for p in folder.glob("best-*.brain.json"))
    assert sorted(f"best-{role}.brain.json" for role in summary["best_brains"]) == brains and brains
    assert summary["torn_last_line"] is False


def test_a_run_with_several_checkpoints_lists_them_newest_first(runs, capsys):
    assert show_json(runs["ga"], capsys)["checkpoints"] == [4, 2]


def test_co_evolution_shows_each_role_and_the_last_game_against_scripted_opponents(runs, capsys):
    folder = runs["coevolution"]
    summary = show_json(folder, capsys)
    lines = metrics(folder)
    assert set(summary["roles"]) == {"pacman", "ghost"}
    for role, stats in summary["roles"].items():
        best = max(line["roles"][role]["best_fitness"] for line in lines)
        assert stats["best_fitness"] == best
        assert stats["best_generation"] == next(line["generation"] for line in lines
                                                if line["roles"][role]["best_fitness"] == best)
    assert summary["vs_scripted"] == lines[-1]["vs_scripted"] and summary["vs_scripted"]
    assert set(summary["best_brains"]) == {"pacman", "ghost"}
    code, out, _ = run(["runs", "show", str(folder)], capsys)
    assert code == 0
    assert "best ghost" in out and "ghost vs scripted" in out and "pacman" in out


def test_single_role_runs_have_no_roles(runs, capsys):
    summary = show_json(runs["neat"], capsys)
    assert summary["roles"] is None and summary["vs_scripted"] is None


def test_show_for_people_is_aligned_text(runs, capsys):
    code, out, err = run(["runs", "show", str(runs["ga"])], capsys)
    assert code == 0 and not err
    lines = out.strip().splitlines()
    column = len(lines[0]) - len(lines[0].split("  ", 1)[1].lstrip())
    rows = {line[:column].strip(): line[column:] for line in lines}
    assert all(line[column - 2:column] == "  " and line[column] != " " for line in lines)  # values in one column
    assert rows["arena"] == "tunnel" and rows["generations"] == "4 of 4"
    best = max(line["best_fitness"] for line in metrics(runs["ga"]))
    assert rows["best fitness"].startswith(f"{best:.6g} (generation ")
    assert rows["checkpoints"] == "after generations 4, 2"


def test_a_torn_last_line_is_skipped_with_a_warning(runs, tmp_path, capsys):
    folder = tmp_path / "crashed"
    shutil.copytree(runs["ga"], folder)
    whole = metrics(folder)
    with open(folder / "metrics.jsonl", "a") as handle:
        handle.write('{"generation": 4, "best_fitness": 99')  # a crash mid-write
    code, out, err = run(["runs", "show", str(folder), "--json"], capsys)
    assert code == 0
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["generations_done"] == len(whole) and summary["torn_last_line"] is True
    assert summary["best_fitness"] == max(line["best_fitness"] for line in whole)
    assert len(err.strip().splitlines()) == 1 and "metrics.jsonl" in err and "torn" in err


def test_a_resumed_run_goes_on_with_the_wall_time_of_the_sessions_before(runs, tmp_path, capsys):
    folder = tmp_path / "resumed"
    shutil.copytree(runs["ga"], folder)
    before = metrics(folder)
    assert main(["train", "--resume", str(folder), "--generations", "6", "--json"]) == 0
    lines = metrics(folder)
    assert [line["generation"] for line in lines] == list(range(6))
    assert lines[:4] == before[:4]  # the kept lines are untouched
    walls = [line["wall_s"] for line in lines]
    assert walls == sorted(walls) and walls[4] >= walls[3]  # the clock went on, it did not restart
    summary = show_json(folder, capsys)
    assert summary["generations_done"] == 6 and summary["wall_s"] == pytest.approx(walls[-1])


def test_wall_time_of_sessions():
    assert wall_time([]) == 0.0
    assert wall_time([{"wall_s": 1.0}, {"wall_s": 2.0}]) == 2.0
    # runs from before the clock went on across sessions restarted it with each session
    assert wall_time([{"wall_s": 1.0}, {"wall_s": 2.0}, {"wall_s": 0.5}, {"wall_s": 1.5}]) == 3.5
    assert wall_time([{"wall_s": 1.0}, {"wall_s": "x"}, {}, {"wall_s": float("nan")}]) == 1.0


def test_a_run_whose_first_generation_is_running_shows_zero_and_has_nothing_to_plot(runs, tmp_path, capsys):
    folder = tmp_path / "starting"
    folder.mkdir()
    shutil.copy(runs["ga"] / "config.json", folder)
    summary = show_json(folder, capsys)
    assert summary["generations_done"] == 0 and summary["best_fitness"] is None and summary["wall_s"] == 0
    code, _, err = run(["runs", "plot", str(folder), "--out", str(tmp_path / "p.png")], capsys)
    assert code == 2 and "metrics.jsonl" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p.png").exists()


def bad_runs(tmp_path, runs):
    """[(folder, fragment of the one-line error)]"""
    cases = [(tmp_path / "missing", "missing: no such run folder")]
    empty = tmp_path / "empty"
    empty.mkdir()
    cases.append((empty, "config.json: run config file not found"))
    for name, text, problem in [
        ("garbage", "not json {", "config.json: not a valid run config file"),
        ("listed", "[1, 2]", "config.json: not a run config"),
        ("fieldless", '{"arena": "tunnel"}', "config.json: field 'brain'"),
    ]:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.json").write_text(text)
        cases.append((folder, problem))
    lines = (runs["ga"] / "metrics.jsonl").read_text().splitlines()
    for name, text, problem in [
        ("middle", "\n".join([lines[0], "garbage", lines[1]]) + "\n", "metrics.jsonl: line 2 is not JSON"),
        ("field", "\n".join([lines[0], lines[1].replace('"best_fitness"', '"worst"')]) + "\n",
         "metrics.jsonl: line 2: field 'best_fitness'"),
        ("order", "\n".join([lines[1], lines[0]]) + "\n", "line 2: generation 0 follows generation 1"),
    ]:
        folder = tmp_path / name
        shutil.copytree(runs["ga"], folder)
        (folder / "metrics.jsonl").write_text(text)
        cases.append((folder, problem))
    return cases


def test_bad_run_folders_are_one_line_and_exit_2(runs, tmp_path, capsys):
    for folder, fragment in bad_runs(tmp_path, runs):
        for argv in (["runs", "show", str(folder)], ["runs", "plot", str(folder), "--out", str(tmp_path / "x.png")]):
            code, out, err = run(argv, capsys)
            assert code == 2, (argv, err)
            assert len(err.strip().splitlines()) == 1 and fragment in err, (argv, err)
            assert "Traceback" not in err and not out
    assert not (tmp_path / "x.png").exists()


def load_png(path):
    image = pygame.image.load(str(path))
    return image, pygame.surfarray.array3d(image).reshape(-1, 3)


def colour_present(pixels, colour):
    return bool(np.all(pixels == np.array(colour), axis=1).any())


@pytest.mark.parametrize("kind", ["ga", "neat", "coevolution"])
def test_plot_writes_a_png_of_the_requested_size(runs, kind, tmp_path, capsys):
    out = tmp_path / f"{kind}.png"
    code, _, err = run(["runs", "plot", str(runs[kind]), "--out", str(out), "--size", "640x480"], capsys)
    assert code == 0, err
    image, pixels = load_png(out)
    assert image.get_size() == (640, 480)
    assert len(np.unique(pixels, axis=0)) > 20  # text, axes, curves: not a blank picture
    # the first species of a NEAT run fills the species panel in its own colour
    first_species = tuple(species_colours(np.array([0]))[0])
    assert colour_present(pixels, first_species) == (kind == "neat")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_plot_refuses_to_overwrite_unless_forced(runs, tmp_path, capsys):
    out = tmp_path / "curves.png"
    out.write_bytes(b"precious")
    code, _, err = run(["runs", "plot", str(runs["ga"]), "--out", str(out)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "curves.png" in err and "--force" in err
    assert out.read_bytes() == b"precious"
    code, _, err = run(["runs", "plot", str(runs["ga"]), "--out", str(out), "--force"], capsys)
    assert code == 0, err
    assert load_png(out)[0].get_size() == (1200, 800)


@pytest.mark.parametrize("argv, fragment", [
    (["--out", "{tmp}/curves.jpg"], "ending in .png"),
    (["--out", "{tmp}/curves.png", "--size", "big"], "--size must look like"),
    (["--out", "{tmp}/curves.png", "--size", "10x10"], "--size must be from"),
    (["--out", "{tmp}/no/such/folder/curves.png"], "no folder"),
    ([], "--out"),
])
def test_bad_plot_flags_are_one_line_and_exit_2(runs, tmp_path, capsys, argv, fragment):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run(["runs", "plot", str(runs["ga"]), *argv], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err, err
    assert list(tmp_path.iterdir()) == []

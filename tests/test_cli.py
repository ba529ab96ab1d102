"""The `arena` command: tiny smoke runs and the bad-input convention (one line, exit 2)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena.cli import main

CLASSIC = "levels/tunnel/classic.json"


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tunnel_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tunnel"
    code = main(["train", "tunnel", "--level", CLASSIC, "--population", "20", "--generations", "3",
                 "--seed", "4", "--out", str(out), "--json"])
    assert code == 0
    return out


def test_train_writes_the_run_folder(tunnel_run, capsys):
    config = json.loads((tunnel_run / "config.json").read_text())
    assert config["arena"] == "tunnel" and config["population"] == 20 and config["seed"] == 4
    lines = (tunnel_run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["generation"] for line in lines] == [0, 1, 2]
    assert (tunnel_run / "best-driver.brain.json").exists()


def test_train_json_summary_and_determinism(tmp_path, capsys):
    argv = ["train", "racing", "--population", "12", "--generations", "2", "--seed", "9", "--json", "--out"]
    code, out, _ = run(argv + [str(tmp_path / "a")], capsys)
    assert code == 0
    first = last_json(out)
    assert set(first) >= {"arena", "generations", "best_fitness", "solved", "best_brain", "wall_s"}
    assert first["arena"] == "racing" and first["generations"] == 2
    _, out, _ = run(argv + [str(tmp_path / "b")], capsys)
    second = last_json(out)
    assert second["best_fitness"] == first["best_fitness"]
    assert (tmp_path / "a" / "best-driver.brain.json").read_text().split('"created"')[0] == \
        (tmp_path / "b" / "best-driver.brain.json").read_text().split('"created"')[0]


def test_eval_json(tunnel_run, capsys):
    brain = str(tunnel_run / "best-driver.brain.json")
    code, out, _ = run(["eval", brain, "--level", CLASSIC, "--generated", "2", "--seed", "1", "--json"], capsys)
    assert code == 0
    result = last_json(out)
    assert result["total"] == 3 and [r["level"] for r in result["levels"]] == [CLASSIC, "generated:1", "generated:2"]
    assert result["finished"] == sum(r["finished"] for r in result["levels"])


def test_bench_json(capsys):
    code, out, _ = run(["bench", "tunnel", "--population", "30", "--seconds", "0.01", "--json"], capsys)
    assert code == 0
    result = last_json(out)
    assert set(result) >= {"arena", "population", "agent_steps_per_s", "reference_agent_steps_per_s", "ratio"}
    assert result["population"] == 30 and result["results_agree"] and result["agent_steps_per_s"] > 0


def test_refuses_to_overwrite_a_run(tunnel_run, capsys):
    before = (tunnel_run / "metrics.jsonl").read_bytes()
    code, _, err = run(["train", "tunnel", "--generations", "1", "--out", str(tunnel_run)], capsys)
    assert code == 2 and "already holds a run" in err
    assert (tunnel_run / "metrics.jsonl").read_bytes() == before


def bad_inputs(tmp_path, tunnel_run):
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "arena.level", "version": 1, "arena": "tunnel", "top": [0.5, ')
    wrong_arena = tmp_path / "racing-level.json"
    wrong_arena.write_text(Path("levels/racing/1-oval.json").read_text())
    brain = json.loads((tunnel_run / "best-driver.brain.json").read_text())
    brain["arena"] = "racing"
    other_brain = tmp_path / "other.brain.json"
    other_brain.write_text(json.dumps(brain))
    junk_brain = tmp_path / "junk.brain.json"
    junk_brain.write_bytes(b"\x89PNG\r\n")
    return [
        (["train", "tunnel", "--level", str(tmp_path / "missing.json")], "not found"),
        (["train", "tunnel", "--level", str(corrupt)], "corrupt.json"),
        (["train", "tunnel", "--level", str(wrong_arena)], "for arena 'racing'"),
        (["train", "snake"], "unknown arena 'snake'"),
        (["train", "tunnel", "--population", "0"], "--population"),
        (["train", "tunnel", "--population", "many"], "--population"),
        (["train", "tunnel", "--hidden", "8,x"], "--hidden"),
        (["train", "tunnel", "--seed", "-1"], "--seed"),
        (["train", "tunnel", "--frobnicate"], "unrecognized arguments"),
        (["eval", str(tmp_path / "missing.brain.json")], "not found"),
        (["eval", str(junk_brain)], "junk.brain.json"),
        (["eval", str(other_brain)], "other.brain.json"),
        (["eval", str(tunnel_run / "best-driver.brain.json"), "--level", "levels/racing/1-oval.json"], "1-oval.json"),
        (["bench", "snake"], "snake"),
        (["fly"], "invalid choice"),
        ([], "required"),
    ]


def test_bad_input_is_one_line_and_exit_2(tmp_path, tunnel_run, capsys):
    for argv, fragment in bad_inputs(tmp_path, tunnel_run):
        code = _exit_code(argv)
        out, err = capsys.readouterr()
        assert code == 2, (argv, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1, (argv, err)
        assert fragment in lines[0], (argv, lines[0])
        assert "Traceback" not in err


def _exit_code(argv):
    try:
        return main(argv)
    except SystemExit as exc:  # argparse exits on usage errors
        return exc.code


def test_console_script_end_to_end(tmp_path):
    """The installed `arena` command, as a user runs it: bad input gives no traceback."""
    result = subprocess.run([sys.executable, "-m", "arena", "train", "tunnel", "--level", str(tmp_path / "x.json")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "x.json" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run([sys.executable, "-m", "arena", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout and "bench" in result.stdout


def test_preset_names_in_the_parser_match_the_strategies():
    from arena import cli
    from arena.evolve import ga, neat

    assert set(cli.GA_PRESETS) == set(ga.PRESETS)
    assert set(cli.NEAT_PRESETS) == set(neat.PRESETS)


def test_neat_training_flags_are_checked(tmp_path, capsys):
    assert main(["train", "tunnel", "--recurrent", "--out", str(tmp_path / "r")]) == 2
    assert "--recurrent needs --brain neat" in capsys.readouterr().err
    assert _exit_code(["train", "tunnel", "--brain", "neat", "--neat", "nope"]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    assert main(["train", "--population", "3"]) == 2
    assert "name an arena" in capsys.readouterr().err
    assert main(["train", "tunnel", "--population", "2000000", "--out", str(tmp_path / "p")]) == 2
    assert "--population must be from 2 to" in capsys.readouterr().err


def test_pacman_trains_both_roles_resumes_and_evaluates(tmp_path, capsys):
    out = tmp_path / "pacman"
    base = ["train", "pacman", "--level", "levels/pacman/1-small.txt", "--population", "8", "--opponents", "2",
            "--seed", "3", "--checkpoint-every", "2"]
    code, text, _ = run(base + ["--generations", "3", "--out", str(out), "--json"], capsys)
    assert code == 0
    summary = last_json(text)
    assert set(summary["best_brains"]) == {"pacman", "ghost"}
    assert set(summary["vs_scripted"]) == {"pacman", "ghost"}
    assert {"score", "caught", "ticks_to_catch"} <= set(summary["vs_scripted"]["ghost"])
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [set(m["roles"]) for m in metrics] == [{"pacman", "ghost"}] * 3
    code, text, _ = run(["train", "--resume", str(out), "--generations", "5", "--json"], capsys)
    assert code == 0 and last_json(text)["generations"] == 5
    straight = tmp_path / "straight"
    assert run(base + ["--generations", "5", "--out", str(straight), "--json"], capsys)[0] == 0
    resumed = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    whole = [json.loads(line) for line in (straight / "metrics.jsonl").read_text().splitlines()]
    strip = lambda m: {k: v for k, v in m.items() if k not in ("eval_s", "wall_s")}  # noqa: E731
    assert [strip(m) for m in resumed] == [strip(m) for m in whole]
    for role in ("pacman", "ghost"):  # a brain plays its role against the other's scripted policy
        code, text, _ = run(["eval", summary["best_brains"][role], "--level", "levels/pacman/1-small.txt",
                             "--json"], capsys)
        assert code == 0 and last_json(text)["total"] == 1


@pytest.mark.parametrize("arena", ["tanks", "pacman"])
def test_bench_of_the_new_arenas_agrees_with_the_reference(arena, capsys):
    code, out, _ = run(["bench", arena, "--population", "24", "--seconds", "0.01", "--json"], capsys)
    assert code == 0
    result = last_json(out)
    assert result["results_agree"] and result["agent_steps"] > 0 and result["ratio"] > 0


@pytest.mark.parametrize("name, text, problem", [
    ("unreachable.txt", "%%%%%%%\n%P.%..%\n%%%%%G%\n%%%%%%%\n", "reach"),
    ("nostart.txt", "%%%%%\n%..G%\n%%%%%\n", "P"),
])
def test_bad_mazes_are_one_line_and_exit_2(tmp_path, capsys, name, text, problem):
    path = tmp_path / name
    path.write_text(text)
    code, out, err = run(["train", "pacman", "--level", str(path), "--generations", "1",
                          "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and str(path) in err and problem in err, err
    assert not (tmp_path / "run").exists()


def test_a_tank_spawn_inside_a_wall_is_one_line_and_exit_2(tmp_path, capsys):
    level = json.loads(Path("levels/tanks/2-pillars.json").read_text())
    x0, y0, x1, y1 = level["walls"][0]
    level["tank_spawns"][0] = [(x0 + x1) / 2, (y0 + y1) / 2, 0.0]
    path = tmp_path / "walled.json"
    path.write_text(json.dumps(level))
    code, out, err = run(["train", "tanks", "--level", str(path), "--generations", "1",
                          "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and str(path) in err and "wall" in err, err

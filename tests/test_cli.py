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

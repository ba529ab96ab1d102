"""Checkpoints: exact resume through the CLI, and damaged files that fail cleanly."""

import json

import pytest

from arena.cli import main
from arena.core.errors import ArenaError
from arena.persist.runs import checkpoints_of
from arena.session import TrainConfig, TrainSession


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def without_times(metrics_path):
    lines = [json.loads(line) for line in metrics_path.read_text().splitlines()]
    return [{k: v for k, v in m.items() if k not in ("eval_s", "wall_s")} for m in lines]


def brain_without_date(path):
    data = json.loads(path.read_text())
    data["provenance"].pop("created")
    return data


@pytest.mark.parametrize("brain", ["neat", "mlp"])
def test_resume_at_10_to_30_equals_an_uninterrupted_run(tmp_path, capsys, brain):
    common = ["tunnel", "--brain", brain, "--population", "40", "--seed", "3", "--json"]
    assert main(["train", *common, "--generations", "10", "--out", str(tmp_path / "a")]) == 0
    assert main(["train", "--resume", str(tmp_path / "a"), "--generations", "30", "--json"]) == 0
    resumed = last_json(capsys)
    assert main(["train", *common, "--generations", "30", "--out", str(tmp_path / "b")]) == 0
    straight = last_json(capsys)
    assert resumed["generations"] == straight["generations"] == 30
    assert resumed["best_fitness"] == straight["best_fitness"]
    assert brain_without_date(tmp_path / "a" / "best-driver.brain.json") == \
        brain_without_date(tmp_path / "b" / "best-driver.brain.json")
    assert without_times(tmp_path / "a" / "metrics.jsonl") == without_times(tmp_path / "b" / "metrics.jsonl")
    final_a = json.loads((tmp_path / "a" / "checkpoints" / "gen-000030.json").read_text())
    final_b = json.loads((tmp_path / "b" / "checkpoints" / "gen-000030.json").read_text())
    assert final_a["state"] == final_b["state"]  # every genome, species and counter, bit for bit
    assert final_a["session"] == final_b["session"]


def test_resume_after_a_crash_replays_the_lost_generations(tmp_path, capsys):
    """Metrics written after the last checkpoint are dropped and run again, exactly."""
    run = tmp_path / "run"
    assert main(["train", "tunnel", "--brain", "neat", "--population", "30", "--generations", "14",
                 "--checkpoint-every", "5", "--out", str(run), "--json"]) == 0
    for path in checkpoints_of(run)[:1]:  # as if it died after generation 13, before its last save
        path.unlink()
    reference = without_times(run / "metrics.jsonl")
    assert main(["train", "--resume", str(run), "--json"]) == 0
    assert without_times(run / "metrics.jsonl") == reference


def test_resume_refuses_new_settings_and_missing_runs(tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no such run folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["train", "--resume", str(tmp_path / "empty")]) == 2
    assert "no checkpoints" in capsys.readouterr().err
    assert main(["train", "tunnel", "--resume", str(tmp_path / "empty"), "--population", "5"]) == 2
    err = capsys.readouterr().err
    assert "drop arena, --population" in err and len(err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def small_checkpoint(tmp_path_factory):
    """A NEAT checkpoint document of a tiny run after a few generations."""
    session = TrainSession(TrainConfig(arena="tunnel", brain="neat", population=8, generations=4, seed=1))
    session.run()
    return session.checkpoint_data()


def write(tmp_path, data, name="gen-000004.json"):
    folder = tmp_path / "checkpoints"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"format": "arena.checkpoint", "version": 1, **data}))
    return path


def test_truncated_checkpoints_fail_with_the_file_name(tmp_path, small_checkpoint):
    path = write(tmp_path, small_checkpoint)
    text = path.read_text()
    for cut in (0, 1, len(text) // 3, len(text) // 2, len(text) - 2):
        path.write_text(text[:cut])
        with pytest.raises(ArenaError, match=str(path).replace("\\", "\\\\")):
            TrainSession.from_checkpoint(path)
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(ArenaError, match="not a checkpoint file|not UTF-8"):
        TrainSession.from_checkpoint(path)


def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, small_checkpoint, capsys):
    write(tmp_path, small_checkpoint, "gen-000004.json")
    (tmp_path / "checkpoints" / "gen-000008.json").write_text('{"format": "arena.checkpoint", "vers')
    assert main(["train", "--resume", str(tmp_path), "--generations", "5", "--json"]) == 0
    err = capsys.readouterr().err
    assert "skipping a damaged checkpoint" in err and "gen-000008.json" in err


def test_ctrl_c_saves_a_checkpoint_to_resume_from(tmp_path, capsys):
    """SIGINT mid-run: exit 130, the state at the last whole generation saved, resumable."""
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "arena", "train", "tunnel", "--brain", "neat", "--population", "30",
         "--generations", "1000000", "--checkpoint-every", "1000", "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background shell ignores it
    deadline = time.monotonic() + 120
    metrics = run / "metrics.jsonl"
    while time.monotonic() < deadline and (not metrics.exists() or len(metrics.read_text().splitlines()) < 5):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted at generation" in err and "Traceback" not in err
    saved = checkpoints_of(run)[0]
    generation = int(saved.stem.split("-")[1])
    assert generation == len(metrics.read_text().splitlines()) >= 5
    assert main(["train", "--resume", str(run), "--generations", str(generation + 2), "--json"]) == 0
    assert last_json(capsys)["generations"] == generation + 2

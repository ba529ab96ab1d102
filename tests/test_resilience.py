"""Runs that survive: a training process SIGKILLed or sent SIGTERM resumes to the champion an
uninterrupted run gets; a full disk or an unwritable folder stops a run with one line and keeps
the checkpoint before; saving never holds up a generation."""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from arena.cli import main
from arena.persist import runs as runs_module
from arena.persist.checkpoint import load_checkpoint
from arena.persist.runs import RunFolder, checkpoints_of
from arena.session import TrainConfig, TrainSession

TUNNEL = ["tunnel", "--population", "30", "--seed", "5", "--checkpoint-every", "5"]


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def without_times(path):
    return [{k: v for k, v in json.loads(line).items() if k not in ("eval_s", "wall_s")}
            for line in path.read_text().splitlines()]


def brain_without_date(path):
    data = json.loads(path.read_text())
    data["provenance"].pop("created")
    return data


def start_training(run, *flags):
    return subprocess.Popen([sys.executable, "-m", "arena", "train", *TUNNEL, "--out", str(run), *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_checkpoint(run, process, generation: int, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        saved = checkpoints_of(run)
        if saved and int(saved[0].stem.split("-")[1]) >= generation:
            return
        time.sleep(0.01)
    raise AssertionError(f"no checkpoint of generation {generation} (exit {process.poll()})")


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """The uninterrupted run the interrupted ones must end equal to (400 generations, serial)."""
    run = tmp_path_factory.mktemp("straight") / "run"
    assert main(["train", *TUNNEL, "--generations", "400", "--out", str(run), "--json"]) == 0
    return run


def assert_same_run(run, straight):
    assert brain_without_date(run / "best-driver.brain.json") == brain_without_date(straight / "best-driver.brain.json")
    assert without_times(run / "metrics.jsonl") == without_times(straight / "metrics.jsonl")
    final = {name: load_checkpoint(path / "checkpoints" / "gen-000400.json") for name, path in (("a", run),
                                                                                                ("b", straight))}
    assert final["a"]["state"] == final["b"]["state"] and final["a"]["session"] == final["b"]["session"]


def test_a_training_process_killed_outright_resumes_to_the_same_champion(tmp_path, capsys, straight_run):
    """SIGKILL (no handler runs, no file is closed), then --resume on the pool backend: the run ends
    where an uninterrupted serial run ends, champion, metrics and state alike."""
    run = tmp_path / "run"
    process = start_training(run, "--generations", "400", "--backend", "pool", "--workers", "2")
    wait_for_checkpoint(run, process, 10)
    process.kill()
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert main(["train", "--resume", str(run), "--backend", "pool", "--workers", "2", "--json"]) == 0
    assert last_json(capsys)["generations"] == 400
    assert_same_run(run, straight_run)
    assert not [p for p in run.rglob("*.tmp")], "temporary files left behind"


def test_sigterm_saves_a_checkpoint_and_the_run_resumes_exactly(tmp_path, capsys, straight_run):
    run = tmp_path / "run"
    process = start_training(run, "--generations", "400")
    wait_for_checkpoint(run, process, 10)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM at generation" in err and "Traceback" not in err
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert checkpoints_of(run)[0].name == f"gen-{len(lines):06d}.json"  # the state at the last whole generation
    assert main(["train", "--resume", str(run), "--json"]) == 0
    assert_same_run(run, straight_run)


def _failing_fsync(real_fsync, fail_after: int):
    """os.fsync that reports a full disk for checkpoint files once `fail_after` were written."""
    written = []

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        if ".gen-" in os.path.basename(path):
            if len(written) >= fail_after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written.append(path)
        return real_fsync(fd)

    return fsync


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to tell files apart")
def test_a_full_disk_stops_the_run_with_one_line_and_keeps_the_checkpoint_before(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    monkeypatch.setattr(os, "fsync", _failing_fsync(os.fsync, fail_after=2))
    code = main(["train", *TUNNEL, "--generations", "40", "--out", str(run)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "checkpoints/gen-0000" in lines[0], err
    assert "checkpoints/gen-000015.json: cannot write" in lines[0]
    assert "the run is saved up to gen-000010.json" in lines[0] and f"--resume {run}" in lines[0]
    saved = checkpoints_of(run)
    assert [p.name for p in saved] == ["gen-000010.json", "gen-000005.json"]
    assert load_checkpoint(saved[0])["state"]  # whole
    assert not [p for p in run.rglob("*.tmp")]
    monkeypatch.undo()
    assert main(["train", "--resume", str(run), "--generations", "12", "--json"]) == 0


def test_an_unwritable_checkpoint_folder_is_one_clear_error(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoints").write_text("a file where the checkpoint folder goes")
    assert main(["train", *TUNNEL, "--generations", "6", "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{run / 'checkpoints'}: cannot create" in err[0], err


def test_only_the_newest_checkpoints_are_kept(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *TUNNEL, "--generations", "23", "--keep-checkpoints", "2", "--out", str(run)]) == 0
    assert [p.name for p in checkpoints_of(run)] == ["gen-000023.json", "gen-000020.json"]


def test_saving_never_holds_up_a_generation(tmp_path, monkeypatch):
    """A champion save that takes as long as the disk likes runs beside the run: the next
    generations are evaluated meanwhile, and closing waits for the save."""
    release = threading.Event()
    saved = []

    def slow_save(brain, path):
        assert release.wait(60), "the run waited for the save"
        saved.append(path)

    monkeypatch.setattr(runs_module, "save_brain", slow_save)
    session = TrainSession(TrainConfig(arena="tunnel", population=20, generations=4))
    folder = RunFolder(tmp_path / "run", session.describe(), checkpoint_every=0)
    session.reporters = [folder]
    for _ in range(3):
        session.step()  # each new champion queues a save that cannot finish yet
    assert session.generation == 3 and saved == []
    release.set()
    session.close()
    assert saved and all(p == folder.brain_path("driver") for p in saved)


def test_backend_flags_through_the_cli(tmp_path, capsys):
    assert main(["train", *TUNNEL, "--generations", "8", "--backend", "pool", "--workers", "2",
                 "--out", str(tmp_path / "pool"), "--json"]) == 0
    assert last_json(capsys)["backend"] == "pool"
    assert main(["train", *TUNNEL, "--generations", "8", "--out", str(tmp_path / "serial"), "--json"]) == 0
    assert without_times(tmp_path / "pool" / "metrics.jsonl") == without_times(tmp_path / "serial" / "metrics.jsonl")
    for flags, message in ((["--scheduler", "tcp://h:1"], "--scheduler needs --backend dask"),
                           (["--workers", "2"], "--workers needs --backend pool or dask"),
                           (["--backend", "gpu"], "invalid choice"),
                           (["--backend", "pool", "--chunk-timeout", "0"], "expected a positive number")):
        try:
            code = main(["train", *TUNNEL, "--generations", "2", "--out", str(tmp_path / "bad"), *flags])
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        assert code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "bad").exists()


def test_a_backend_that_keeps_failing_stops_with_the_way_to_resume(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *TUNNEL, "--generations", "5", "--out", str(run)]) == 0
    code = main(["train", "--resume", str(run), "--generations", "10", "--backend", "pool", "--workers", "1",
                 "--chunk-timeout", "0.0001", "--max-failures", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "over the time limit of 0.0001 s" in err[-1] and "saved up to gen-000005.json" in err[-1], err
    assert [p.name for p in checkpoints_of(run)] == ["gen-000005.json"]


def test_a_population_too_big_for_memory_is_refused_at_once(tmp_path, capsys):
    """From the command line, and from a checkpoint that claims such a run: one line, before any
    memory is spent."""
    assert main(["train", "tunnel", "--hidden", "4096,4096,4096", "--population", "100",
                 "--out", str(tmp_path / "big")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "GB of weights in all" in err[0], err
    assert not (tmp_path / "big").exists()
    run = tmp_path / "run"
    assert main(["train", *TUNNEL, "--generations", "5", "--out", str(run)]) == 0
    checkpoint = checkpoints_of(run)[0]
    data = json.loads(checkpoint.read_text())
    data["config"]["hidden"] = [4096, 4096, 4096]
    checkpoint.write_text(json.dumps(data))
    assert main(["train", "--resume", str(run), "--generations", "8"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert f"{checkpoint}: " in err[-1] and "GB of weights in all" in err[-1], err

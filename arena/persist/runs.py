"""Run folders: `config.json`, `metrics.jsonl` (a line a generation), the best brains and
`checkpoints/gen-NNNNNN.json` (the whole state after NNNNNN generations)."""

import json
import math
import os
import re
import sys
import time
from pathlib import Path

from arena.core.errors import ArenaError, RunError
from arena.core.fileio import atomic_write_text, write_json
from arena.persist.background import BackgroundWriter
from arena.persist.brainfile import save_brain
from arena.persist.checkpoint import save_checkpoint

CHECKPOINT_NAME = re.compile(r"^gen-(\d{6,})\.json$")
TEMPORARY_NAME = re.compile(r"^\..+\.json\.[^.]+\.tmp$")  # what an atomic write leaves when killed mid-write
KEEP_CHECKPOINTS = 3


def default_run_dir(arena: str, seed: int) -> Path:
    """runs/<arena>-s<seed>-<date-time>, with a counter if that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{arena}-s{seed}-{stamp}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def checkpoints_of(run_dir) -> list:
    """Checkpoint files of a run, newest first."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := CHECKPOINT_NAME.match(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


def resume_session(run_dir, generations=None, warn=None):
    """The session of the newest checkpoint of `run_dir` that loads; older ones are tried if
    newer ones are damaged (each skipped file is reported through `warn`)."""
    from arena.session import TrainSession

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: no such run folder")
    candidates = checkpoints_of(run_dir)
    if not candidates:
        raise RunError(f"{run_dir}: holds no checkpoints to resume from")
    first_error = None
    for path in candidates:
        try:
            return TrainSession.from_checkpoint(path, generations), path
        except ArenaError as exc:
            first_error = first_error or exc
            if warn is not None:
                warn(f"skipping a damaged checkpoint: {exc}")
    raise first_error


def wall_time(history: list) -> float:
    """Seconds a run has trained, from its metrics lines. A resumed session's clock goes on from
    the lines it kept, so `wall_s` only grows; runs written before that restarted it with every
    session, so the total adds up the last value before every restart. Lines without a usable
    `wall_s` are passed over."""
    walls = [row["wall_s"] for row in history if isinstance(row, dict) and _is_seconds(row.get("wall_s"))]
    return float(sum(wall for wall, following in zip(walls, walls[1:] + [None])
                     if following is None or following < wall))


def _is_seconds(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


class RunFolder:
    """A run's folder; a reporter of the training session (see `arena.session`).

    A new run refuses a folder that already holds one, so nothing saved is ever overwritten;
    `resume_generation` continues the run in the folder from a checkpoint instead. Champions and
    checkpoints are written in the background; a failed write (a full disk, a folder made
    read-only) stops the run with a `RunError` at the next generation, and the files written
    before stay whole.
    """

    def __init__(self, path, config: dict, checkpoint_every: int = 10, resume_generation=None,
                 keep: int = KEEP_CHECKPOINTS):
        self.path = Path(path)
        self.checkpoint_every = checkpoint_every
        self.keep = keep
        self._metrics = None
        self._saved_champion = None
        self._last_checkpoint = resume_generation
        self._writer = BackgroundWriter()
        self._checkpoint_job = None  # the future of the checkpoint being written
        self.wall_before = 0.0  # seconds trained before this session (a resumed run's clock goes on from there)
        if resume_generation is not None:
            self._remove_temporaries()
            self._truncate_metrics(resume_generation)
            if config is not None:  # the settings may have changed (a new total of generations)
                write_json(self.path / "config.json", config, RunError)
            return
        if (self.path / "config.json").exists() or (self.path / "metrics.jsonl").exists():
            raise RunError(f"{self.path}: already holds a run; choose another --out folder or --resume it")
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path}: exists and is not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot create the run folder: {exc.strerror or exc}") from None
        write_json(self.path / "config.json", config, RunError)

    def brain_path(self, role: str) -> Path:
        return self.path / f"best-{role}.brain.json"

    def _remove_temporaries(self) -> None:
        """Delete half-written temporary files a killed run left (the files they were to replace are whole)."""
        for folder in (self.path, self.path / "checkpoints"):
            if folder.is_dir():
                for path in folder.iterdir():
                    if TEMPORARY_NAME.match(path.name):
                        try:
                            path.unlink()
                        except OSError:
                            pass

    def _truncate_metrics(self, generation: int) -> None:
        """Drop metric lines of generations at or after `generation` (they will be run again)."""
        path = self.path / "metrics.jsonl"
        if not path.exists():
            return
        kept, rows = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                if row["generation"] < generation:
                    kept.append(line)
                    rows.append(row)
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a crash
        self.wall_before = wall_time(rows)
        try:
            atomic_write_text(path, "".join(line + "\n" for line in kept))
        except OSError as exc:
            raise RunError(f"{path}: cannot write: {exc.strerror or exc}") from None

    def on_generation(self, session, stats: dict) -> None:
        self._writer.check()
        try:
            if self._metrics is None:
                self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")
            self._metrics.write(json.dumps(stats, allow_nan=False) + "\n")
            self._metrics.flush()
        except OSError as exc:
            raise RunError(f"{self.path / 'metrics.jsonl'}: cannot write: {exc.strerror or exc}") from None
        if self._champion_ids(session) != self._saved_champion:
            self.save_champion(session)
        if self.checkpoint_every and session.generation % self.checkpoint_every == 0:
            self.save_checkpoint(session)

    @staticmethod
    def _champion_ids(session) -> tuple:
        return tuple(pop.champion_id for pop in session.populations.values())

    def save_champion(self, session) -> None:
        """Write each role's champion brain, in the background and atomically (the previous file
        stays whole until the rename)."""
        for name, pop in session.populations.items():
            if pop.champion is not None:
                self._writer.submit(f"brain-{name}", save_brain, session.champion_brain(name), self.brain_path(name))
        self._saved_champion = self._champion_ids(session)

    def save_checkpoint(self, session) -> None:
        """Write the whole state after `session.generation` generations in the background; then
        remove all but the newest `keep` checkpoints. Every checkpoint is written: while the one
        before is still being written, the run waits for it (a disk slower than the run would
        otherwise pile up snapshots, or skip checkpoints a crash may need)."""
        if self._last_checkpoint == session.generation:
            return
        if self._checkpoint_job is not None:
            self._checkpoint_job.exception()  # waits; a failure is raised by the writer's check
            self._writer.check()
        data = session.checkpoint_data()
        self._checkpoint_job = self._writer.submit(f"checkpoint-{session.generation}", self._write_checkpoint,
                                                   session.generation, data)
        self._last_checkpoint = session.generation

    def _write_checkpoint(self, generation: int, data: dict) -> None:
        folder = self.path / "checkpoints"
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise RunError(f"{folder}: cannot create: {exc.strerror or exc}") from None
        save_checkpoint(folder / f"gen-{generation:06d}.json", data)
        for old in checkpoints_of(self.path)[self.keep:]:
            try:
                old.unlink()
            except OSError as exc:
                print(f"warning: {old}: cannot remove an old checkpoint: {exc.strerror or exc}", file=sys.stderr)

    def flush(self) -> None:
        """Wait until everything submitted is on disk; raise the first failure."""
        self._writer.drain()

    def close(self, session) -> None:
        reported = self._writer.failed  # a failed write was raised already: what follows is its echo
        try:
            self._writer.check()
            if not self._writer.failed:  # after a failed write, the files before it are what is kept
                self.save_champion(session)
                if session.generation > 0:
                    self.save_checkpoint(session)
        finally:
            try:
                self._writer.close()
            except ArenaError:
                if not reported:
                    raise
            finally:
                if self._metrics is not None:
                    try:
                        self._metrics.flush()
                        os.fsync(self._metrics.fileno())
                    except OSError:
                        pass
                    self._metrics.close()
                    self._metrics = None

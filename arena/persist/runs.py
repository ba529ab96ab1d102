"""Run folders: `config.json`, `metrics.jsonl` (a line a generation) and the best brains."""

import json
import os
import time
from pathlib import Path

from arena.core.errors import RunError
from arena.core.fileio import write_json
from arena.persist.brainfile import save_brain


def default_run_dir(arena: str, seed: int) -> Path:
    """runs/<arena>-s<seed>-<date-time>, with a counter if that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{arena}-s{seed}-{stamp}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


class RunFolder:
    """A run's folder; a reporter of the training session (see `arena.session`).

    Refuses a folder that already holds a run, so nothing saved is ever overwritten.
    """

    def __init__(self, path, config: dict):
        self.path = Path(path)
        if (self.path / "config.json").exists() or (self.path / "metrics.jsonl").exists():
            raise RunError(f"{self.path}: already holds a run; choose another --out folder")
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path}: exists and is not a folder")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot create the run folder: {exc.strerror or exc}") from None
        write_json(self.path / "config.json", config, RunError)
        self._metrics = None
        self._saved_champion = None

    def brain_path(self, role: str) -> Path:
        return self.path / f"best-{role}.brain.json"

    def on_generation(self, session, stats: dict) -> None:
        try:
            if self._metrics is None:
                self._metrics = open(self.path / "metrics.jsonl", "a", encoding="utf-8")
            self._metrics.write(json.dumps(stats, allow_nan=False) + "\n")
            self._metrics.flush()
        except OSError as exc:
            raise RunError(f"{self.path / 'metrics.jsonl'}: cannot write: {exc.strerror or exc}") from None
        if session.champion_id != self._saved_champion:
            self.save_champion(session)

    def save_champion(self, session) -> None:
        """Write the champion brain atomically (the previous file stays whole until the rename)."""
        if session.champion is None:
            return
        save_brain(session.champion_brain(), self.brain_path(session.role.name))
        self._saved_champion = session.champion_id

    def close(self, session) -> None:
        self.save_champion(session)
        if self._metrics is not None:
            self._metrics.flush()
            os.fsync(self._metrics.fileno())
            self._metrics.close()
            self._metrics = None

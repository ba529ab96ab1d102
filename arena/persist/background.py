"""Saving off the main loop (seed 000's "fire and forget"): a run or a window hands a snapshot to
`BackgroundWriter` and goes on; the file is written on another thread."""

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor


class BackgroundWriter:
    """Writes files on one thread, in order, so a slow disk never holds up the run or the frame
    loop. Jobs take snapshots (plain data), never live state.

    A job submitted under the key of one still waiting replaces it (only the newest champion file
    matters), so a disk slower than the run never builds a backlog of them. Failures reach the
    submitting thread: `check` raises the first (a training run stops on it), `finished` lists
    each job's note and error (a window shows them).
    """

    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background-writer")
        self._jobs = deque()  # (future, note), oldest first
        self._waiting = {}  # key -> (job, args) of a job not started yet
        self._futures = {}  # key -> the future of its latest job
        self._busy = set()  # keys of jobs waiting or running
        self._lock = threading.Lock()
        self.failed = False  # whether a job has failed

    def submit(self, key, job, *args, note=None):
        """Run `job(*args)` in the background; `key` names what it writes (e.g. the file). Returns
        the job's future (the one it joined, if it replaced a waiting job's arguments)."""
        with self._lock:
            replacing = key in self._waiting
            self._waiting[key] = (job, args)
            self._busy.add(key)
            if replacing:
                return self._futures[key]
            future = self._futures[key] = self._executor.submit(self._run, key)
        self._jobs.append((future, note))
        return future

    def _run(self, key) -> None:
        with self._lock:
            job, args = self._waiting.pop(key)
        try:
            job(*args)
        finally:
            with self._lock:
                if key not in self._waiting:
                    self._busy.discard(key)
                    self._futures.pop(key, None)

    def busy(self, key) -> bool:
        """Whether a job under `key` is waiting or running (a file about to exist)."""
        with self._lock:
            return key in self._busy

    def check(self) -> None:
        """Raise the first failure among the jobs done so far."""
        while self._jobs and self._jobs[0][0].done():
            self._result(self._jobs.popleft()[0])

    def finished(self) -> list:
        """[(note, exception or None)] of the jobs done since the last call, in order."""
        done = []
        while self._jobs and self._jobs[0][0].done():
            future, note = self._jobs.popleft()
            error = future.exception()
            self.failed = self.failed or error is not None
            done.append((note, error))
        return done

    def wait(self) -> None:
        """Wait until every job submitted so far is done (their results stay for `finished`)."""
        for future, _ in list(self._jobs):
            future.exception()

    def drain(self) -> None:
        """Wait for every job; raise the first failure."""
        while self._jobs:
            self._result(self._jobs.popleft()[0])

    def _result(self, future) -> None:
        if future.exception() is not None:
            self.failed = True
        future.result()

    def close(self) -> None:
        """Wait for every job, then stop the thread; raise the first failure."""
        try:
            self.drain()
        finally:
            self._jobs.clear()
            self._executor.shutdown(wait=True)

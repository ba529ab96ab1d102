"""The pool backend: a generation cut into one chunk a worker process, each worker on one numba thread.

Workers are `multiprocess` processes started by a fork server (or spawned where there is none):
numba's OpenMP threads do not survive a fork, and the fork server is a fresh process that has
imported the arenas but never run a kernel, so forking workers from it is safe and fast.

Each worker has its own pipe, so the backend knows which chunk each worker holds: a worker that
dies (SIGKILL, out of memory) or overruns the time limit costs a retry of its chunk on another
worker, and a fresh worker takes its place. A chunk that fails `max_failures` times stops the run
with a `BackendError`.
"""

import os
import signal
import time
from collections import deque

from arena.core.errors import BackendError
from arena.evaluate.chunks import ChunkedBackend, ChunkRunner, split

DEFAULT_CHUNK_TIMEOUT = 600.0  # seconds a chunk may take before its worker is killed and it is retried
DEFAULT_MAX_FAILURES = 3  # failures of one chunk that stop the run
WORKER_LEVELS = 8  # levels a worker keeps


def _worker_main(conn) -> None:
    """A worker: take (task, arena, level token, level or None, nets, seeds, max ticks, behaviour) from the
    pipe, send back (task, status, payload) as `ChunkRunner.run` answers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent decides
    runner = ChunkRunner(WORKER_LEVELS)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        task, *work = message
        try:
            conn.send((task, *runner.run(*work)))
        except (EOFError, OSError):
            return


def _context():
    import multiprocess

    if "forkserver" in multiprocess.get_all_start_methods():
        context = multiprocess.get_context("forkserver")
        context.set_forkserver_preload(["arena.evaluate.pool", "arena.arenas"])
        return context
    return multiprocess.get_context("spawn")


class _Worker:
    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True, name="arena-worker")
        self.process.start()
        child.close()  # so the worker's death reads as end-of-file here
        self.levels = set()  # level tokens this worker holds
        self.chunk = None  # index of the chunk it is running
        self.deadline = None

    def stop(self, timeout: float = 2.0) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.conn.close()

    def death(self) -> str:
        self.process.join(1.0)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"


class PoolBackend(ChunkedBackend):
    """`evaluate` with one chunk of environments per worker process (never one task a genome)."""

    name = "pool"

    def __init__(self, workers: int = None, chunk_timeout: float = DEFAULT_CHUNK_TIMEOUT,
                 max_failures: int = DEFAULT_MAX_FAILURES):
        super().__init__(chunk_timeout, max_failures, WORKER_LEVELS)
        self.n_workers = workers or os.cpu_count() or 1
        self._context = None
        self._workers = []
        self._task = 0
        self.after_dispatch = None  # test hook: called with (worker pid, chunk index) after a chunk is sent

    # -- workers
    def _start(self) -> None:
        if self._context is None:
            self._context = _context()
        while len(self._workers) < self.n_workers:
            try:
                self._workers.append(_Worker(self._context))
            except OSError as exc:
                raise BackendError(f"pool backend: cannot start a worker process: {exc.strerror or exc}") from None

    def worker_pids(self) -> list:
        return [w.process.pid for w in self._workers]

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # -- evaluation
    def _run(self, arena_name, level, token, chunker, seeds, max_ticks, behaviour) -> list:
        self._start()
        chunks = split(len(seeds), len(self._workers))
        payloads = [(chunker.chunk(a, b), seeds[a:b]) for a, b in chunks]
        results = [None] * len(chunks)
        failures = [0] * len(chunks)
        waiting = deque(range(len(chunks)))
        try:
            while waiting or any(w.chunk is not None for w in self._workers):
                for worker in self._workers:
                    if worker.chunk is None and waiting:
                        self._send(worker, waiting.popleft(), arena_name, token, level, payloads, max_ticks, behaviour)
                for chunk, result in self._collect(failures, waiting):
                    results[chunk] = result
        except BaseException:
            self._abandon()
            raise
        return results

    def _send(self, worker, chunk, arena_name, token, level, payloads, max_ticks, behaviour) -> None:
        self._task += 1
        nets, seeds = payloads[chunk]
        first_time = token not in worker.levels
        try:
            worker.conn.send((self._task, arena_name, token, level if first_time else None, nets, seeds, max_ticks,
                              behaviour))
        except (OSError, ValueError):
            pass  # a dead worker: its sentinel reports it, and the chunk is retried
        worker.levels.add(token)
        worker.chunk = chunk
        worker.deadline = time.monotonic() + self.chunk_timeout
        if self.after_dispatch is not None:
            self.after_dispatch(worker.process.pid, chunk)

    def _collect(self, failures, waiting):
        """Wait until some busy worker answers, dies or overruns; yields (chunk, outcome, seconds)
        of finished chunks and puts failed ones back in `waiting`."""
        from multiprocess.connection import wait

        busy = [w for w in self._workers if w.chunk is not None]
        timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for worker in busy:
            if worker.conn in ready:
                try:
                    task, status, payload = worker.conn.recv()
                except (EOFError, OSError):
                    self._failed(worker, worker.death(), failures, waiting)
                    continue
                if status == "error":
                    raise BackendError(f"pool backend: a worker failed on chunk {worker.chunk}: {payload}")
                chunk, worker.chunk = worker.chunk, None
                yield chunk, payload
            elif worker.process.sentinel in ready:
                self._failed(worker, worker.death(), failures, waiting)
            elif time.monotonic() >= worker.deadline:
                worker.process.kill()
                self._failed(worker, f"over the time limit of {self.chunk_timeout:g} s", failures, waiting)

    def _failed(self, worker, reason: str, failures, waiting) -> None:
        """Replace a failed worker and queue its chunk again, or give up after `max_failures`."""
        chunk = worker.chunk
        failures[chunk] += 1
        self._workers.remove(worker)
        worker.chunk = None
        worker.stop(timeout=1.0)
        if failures[chunk] >= self.max_failures:
            raise BackendError(f"pool backend: chunk {chunk} failed {failures[chunk]} times "
                               f"(last: worker {worker.process.pid} {reason}); giving up")
        self.warn(f"pool backend: worker {worker.process.pid} {reason} on chunk {chunk}; running the chunk again "
                  f"(failure {failures[chunk]} of {self.max_failures} allowed)")
        self.retried += 1
        waiting.appendleft(chunk)
        self._start()

    def _abandon(self) -> None:
        """After an error or an interrupt mid-generation: workers still computing hold chunks that
        nobody will collect, so they are replaced rather than left to answer the next generation."""
        for worker in [w for w in self._workers if w.chunk is not None]:
            worker.process.kill()
            worker.stop(timeout=1.0)
            self._workers.remove(worker)

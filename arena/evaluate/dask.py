"""The Dask backend: one chunk of environments a worker thread of a `distributed` cluster.

`DaskBackend(scheduler="tcp://host:8786")` uses a running cluster (its workers need this package
installed); without an address it starts a `LocalCluster` of single-threaded worker processes.

Each worker holds a `ChunkRunner` actor, as each pool worker does: the chunks go to the actors
directly, worker by worker, and a level travels to a worker once. (Tasks went through the
scheduler, which cost 10-16 ms a generation on two cores, a third of a generation's work.)
A chunk whose worker dies, or that runs over the time limit, runs again on another worker; a
chunk that fails `max_failures` times stops the run with a `BackendError`.

Needs the optional extra: pip install 'neuroarena[cluster]'.
"""

import logging
import time

from arena.core.errors import BackendError, UsageError
from arena.evaluate.chunks import ChunkedBackend, ChunkRunner, split
from arena.evaluate.pool import DEFAULT_CHUNK_TIMEOUT, DEFAULT_MAX_FAILURES

CONNECT_TIMEOUT = 20  # seconds to reach a scheduler, or to wait for a worker
SLOTS_SECONDS = 5.0  # how long the list of workers is trusted before asking the scheduler again


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError("--backend dask needs the distributed package: pip install 'neuroarena[cluster]'") from None
    return distributed


class _Runner:
    """The actor on one worker thread, and the level tokens sent to it."""

    def __init__(self, client, address: str):
        self.address = address
        self.actor = client.submit(ChunkRunner, actor=True, workers=[address], pure=False).result(CONNECT_TIMEOUT)
        self.levels = set()


class DaskBackend(ChunkedBackend):
    name = "dask"

    def __init__(self, scheduler: str = None, workers: int = None, chunk_timeout: float = DEFAULT_CHUNK_TIMEOUT,
                 max_failures: int = DEFAULT_MAX_FAILURES):
        super().__init__(chunk_timeout, max_failures)
        distributed = _distributed()
        self.cluster = None
        where = scheduler or "a local cluster"
        try:
            if scheduler:
                self.client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            else:
                self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                        dashboard_address=":0", silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise BackendError(f"dask backend: cannot reach {where}: {exc}") from None
        self._runners = []  # one per worker thread
        self._checked_at = None  # when the scheduler was last asked for its workers

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self.cluster
        self.client = self.cluster = None
        self._runners = []
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    # -- workers
    def runners(self, refresh: bool = False) -> list:
        """An actor for each thread of each worker the scheduler knows; asked of the scheduler every
        SLOTS_SECONDS (or now, with `refresh`), since asking each generation costs milliseconds."""
        now = time.monotonic()
        if not refresh and self._checked_at is not None and now - self._checked_at < SLOTS_SECONDS and self._runners:
            return self._runners
        workers = self.client.scheduler_info().get("workers", {})
        if not workers:
            try:
                self.client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except (TimeoutError, OSError):
                raise BackendError(f"dask backend: the cluster has no workers (waited {CONNECT_TIMEOUT} s)") from None
            workers = self.client.scheduler_info().get("workers", {})
        slots = [address for address, info in sorted(workers.items()) for _ in range(info.get("nthreads", 1))]
        kept, fresh = [], list(self._runners)
        for address in slots:
            match = next((r for r in fresh if r.address == address), None)
            if match is not None:
                fresh.remove(match)
                kept.append(match)
            else:
                try:
                    kept.append(_Runner(self.client, address))
                except Exception as exc:  # the worker went away meanwhile
                    self.warn(f"dask backend: no runner on {address}: {type(exc).__name__}: {exc}")
        self._runners, self._checked_at = kept, now
        return kept

    def _drop(self, runner) -> None:
        if runner in self._runners:
            self._runners.remove(runner)
        self._checked_at = None  # ask the scheduler again: a restarted worker has a new address

    # -- evaluation
    def _run(self, arena_name, level, token, chunker, seeds, max_ticks, behaviour) -> list:
        runners = self.runners()
        chunks = split(len(seeds), len(runners))

        def send(k, runner):
            a, b = chunks[k]
            first_time = token not in runner.levels
            runner.levels.add(token)
            future = runner.actor.run(arena_name, token, level if first_time else None, chunker.chunk(a, b),
                                      seeds[a:b], max_ticks, behaviour)
            return runner, future, time.monotonic() + self.chunk_timeout

        running = [send(k, runners[k]) for k in range(len(chunks))]
        results = [None] * len(chunks)
        failures = [0] * len(chunks)
        k = 0
        while k < len(chunks):
            runner, future, deadline = running[k]
            try:
                status, payload = future.result(max(0.0, deadline - time.monotonic()))
            except Exception as exc:  # the worker is gone, or the chunk overran
                overran = isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError"
                reason = f"over the time limit of {self.chunk_timeout:g} s" if overran else \
                    f"lost ({type(exc).__name__}: {exc})"
                self._drop(runner)  # a runner still busy with an abandoned chunk is not used again
                failures[k] += 1
                if failures[k] >= self.max_failures:
                    raise BackendError(f"dask backend: chunk {k} failed {failures[k]} times (last: worker "
                                       f"{runner.address} {reason}); giving up") from None
                self.warn(f"dask backend: worker {runner.address} {reason} on chunk {k}; running the chunk again")
                self.retried += 1
                others = [r for r in self.runners(refresh=True) if r is not runner]
                if not others:
                    raise BackendError(f"dask backend: no worker left to run chunk {k} on") from None
                running[k] = send(k, others[k % len(others)])
                continue
            if status == "error":
                raise BackendError(f"dask backend: a worker failed on chunk {k}: {payload}")
            results[k] = payload
            k += 1
        return results

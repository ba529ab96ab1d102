"""The Dask backend: one chunk of environments a worker thread of a `distributed` cluster.

`DaskBackend(scheduler="tcp://host:8786")` uses a running cluster (its workers need this package
installed); without an address it starts a `LocalCluster` of single-threaded worker processes.
A worker that dies is the scheduler's to handle: it runs the lost chunk on another worker. A
chunk over the time limit is cancelled and submitted again, up to `max_failures` times.

Needs the optional extra: pip install 'neuroarena[cluster]'.
"""

import logging
import threading
import time

from arena.core.errors import BackendError, UsageError
from arena.evaluate.chunks import LevelTokens, chunk_nets, join_outcomes, run_chunk, split, warm
from arena.evaluate.pool import DEFAULT_CHUNK_TIMEOUT, DEFAULT_MAX_FAILURES

CONNECT_TIMEOUT = 20  # seconds to reach a scheduler


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError("--backend dask needs the distributed package: pip install 'neuroarena[cluster]'") from None
    return distributed


def _the_level(level):
    return level


class DaskBackend:
    name = "dask"

    def __init__(self, scheduler: str = None, workers: int = None, chunk_timeout: float = DEFAULT_CHUNK_TIMEOUT,
                 max_failures: int = DEFAULT_MAX_FAILURES):
        distributed = _distributed()
        self.chunk_timeout = chunk_timeout
        self.max_failures = max_failures
        self.cluster = None
        where = scheduler or "a local cluster"
        try:
            if scheduler:
                self.client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            else:
                self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                        dashboard_address=None, silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise BackendError(f"dask backend: cannot reach {where}: {exc}") from None
        self._tokens = LevelTokens()
        self._levels = {}  # (level token, worker address) -> the level's future on that worker
        self._warmed = set()
        self._lock = threading.Lock()
        self.last_wall_s = 0.0
        self.last_compute_s = 0.0

    def worker_slots(self) -> list:
        """One worker address for each of its threads: where the chunks go."""
        workers = self.client.scheduler_info().get("workers", {})
        return [address for address, info in sorted(workers.items()) for _ in range(info.get("nthreads", 1))]

    def close(self) -> None:
        client, cluster = getattr(self, "client", None), self.cluster
        self.client = self.cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _level_futures(self, level, slots: list) -> list:
        """For each worker slot, the level as a task pinned to that worker (a task, not `scatter`:
        the scheduler keeps it, so a level lost with a dead worker is made again elsewhere).
        One copy a worker, so no chunk waits for the one worker that holds the level."""
        token = self._tokens.token(level)
        live, here = self._tokens.live(), set(slots)
        self._levels = {(t, a): f for (t, a), f in self._levels.items() if t in live and a in here}
        for address in slots:
            if (token, address) not in self._levels:
                self._levels[token, address] = self.client.submit(_the_level, level, workers=[address],
                                                                  allow_other_workers=True, pure=False)
        return [self._levels[token, address] for address in slots]

    def evaluate(self, arena, level, nets: dict, seeds, max_ticks=None):
        with self._lock:  # the window may evaluate from two threads (turbo, warming up)
            return self._evaluate(arena, level, nets, seeds, max_ticks)

    def _evaluate(self, arena, level, nets: dict, seeds, max_ticks):
        distributed = _distributed()
        n_envs = len(seeds)
        if arena.spec.name not in self._warmed and n_envs:
            warm(arena, level, nets, seeds)  # a LocalCluster's workers share this machine's kernel cache
            self._warmed.add(arena.spec.name)
        started = time.perf_counter()
        slots = self.worker_slots()
        chunks = split(n_envs, len(slots))
        levels = self._level_futures(level, slots)

        def submit(k):
            a, b = chunks[k]
            # chunk k prefers worker slot k, so the chunks spread; any worker may take it if that one is gone
            return self.client.submit(run_chunk, arena.spec.name, levels[k] if levels else level,
                                      chunk_nets(arena.spec, nets, a, b), seeds[a:b], max_ticks, pure=False,
                                      workers=slots[k:k + 1] or None, allow_other_workers=True)

        futures = [submit(k) for k in range(len(chunks))]
        results = [None] * len(chunks)
        for attempt in range(1, self.max_failures + 1):
            try:
                distributed.wait([f for f, r in zip(futures, results) if r is None], timeout=self.chunk_timeout)
            except distributed.TimeoutError:
                pass
            done = [k for k, future in enumerate(futures) if results[k] is None and future.status == "finished"]
            for k, result in zip(done, self.client.gather([futures[k] for k in done])):  # one round trip
                results[k] = result
            for k, future in enumerate(futures):
                if results[k] is None and future.status == "error":
                    exc = future.exception()
                    if not isinstance(exc, distributed.KilledWorker):
                        raise BackendError(f"dask backend: a worker failed on chunk {k}: {type(exc).__name__}: {exc}")
                    raise BackendError(f"dask backend: chunk {k} was running on workers that died, as many times as "
                                       f"the scheduler allows (distributed.scheduler.allowed-failures); giving up")
            late = [k for k, r in enumerate(results) if r is None]
            if not late:
                break
            if attempt == self.max_failures:
                raise BackendError(f"dask backend: chunk {late[0]} overran the time limit of {self.chunk_timeout:g} s "
                                   f"{self.max_failures} times; giving up")
            for k in late:
                futures[k].cancel()
                futures[k] = submit(k)
        self.last_wall_s = time.perf_counter() - started
        self.last_compute_s = max(seconds for _, seconds in results)
        return join_outcomes([outcome for outcome, _ in results])

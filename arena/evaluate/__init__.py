"""Evaluation backends: where and how a generation's rollouts run.

Every backend has `evaluate(arena, level, nets, seeds, max_ticks=None) -> Outcome` and `close()`,
and gives the same outcome, bit for bit: serial (numba threads in this process), pool (worker
processes on this machine), dask (a `distributed` cluster).
"""

from arena.core.errors import UsageError

BACKENDS = ("serial", "pool", "dask")


def make_backend(kind: str = "serial", workers: int = None, scheduler: str = None, chunk_timeout: float = None,
                 max_failures: int = None):
    """The backend `kind`; `workers` for pool and a local Dask cluster, `scheduler` for a remote one."""
    from arena.evaluate.pool import DEFAULT_CHUNK_TIMEOUT, DEFAULT_MAX_FAILURES

    if kind not in BACKENDS:
        raise UsageError(f"unknown backend {kind!r} (known: {', '.join(BACKENDS)})")
    if scheduler is not None and kind != "dask":
        raise UsageError("--scheduler needs --backend dask")
    if workers is not None and kind == "serial":
        raise UsageError("--workers needs --backend pool or dask (serial uses this process's threads)")
    if workers is not None and scheduler is not None:
        raise UsageError("--workers starts a local cluster; a --scheduler cluster has its own workers")
    faults = {"chunk_timeout": chunk_timeout or DEFAULT_CHUNK_TIMEOUT,
              "max_failures": max_failures or DEFAULT_MAX_FAILURES}
    if kind == "serial":
        from arena.evaluate.serial import SerialBackend

        return SerialBackend()
    if kind == "pool":
        from arena.evaluate.pool import PoolBackend

        return PoolBackend(workers, **faults)
    from arena.evaluate.dask import DaskBackend

    return DaskBackend(scheduler, workers, **faults)


def backend_from_args(args):
    """The backend of the command-line flags --backend, --workers, --scheduler, --chunk-timeout
    and --max-failures (absent flags take their defaults)."""
    return make_backend(getattr(args, "backend", "serial"), getattr(args, "workers", None),
                        getattr(args, "scheduler", None), getattr(args, "chunk_timeout", None),
                        getattr(args, "max_failures", None))

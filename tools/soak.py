"""Soak test: a long run on the pool backend must not leak memory.

Runs `--generations` generations (default 2,000) of an arena (default tunnel) on the pool
backend, writing a run folder as `arena train` does, and samples the resident memory of the
training process and of its workers. The baseline is taken after `--settle` generations (numba
kernels loaded, workers started, the first checkpoints written); the run passes when the total
grows by at most `--limit` (default 10%) from there to the end.

    python tools/soak.py [--arena tunnel] [--generations 2000] [--workers 2] [--json]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from arena.evaluate.pool import PoolBackend
from arena.persist.runs import RunFolder
from arena.session import TrainConfig, TrainSession


def resident_mb(pid="self") -> float:
    """Resident memory of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def sample(backend) -> dict:
    workers = [resident_mb(pid) for pid in backend.worker_pids()]
    parent = resident_mb()
    return {"parent_mb": parent, "workers_mb": sum(workers), "total_mb": parent + sum(workers)}


def soak(arena: str, generations: int, population: int, workers: int, settle: int, every: int) -> dict:
    samples = []
    with tempfile.TemporaryDirectory(prefix="soak-") as folder, PoolBackend(workers) as backend:
        session = TrainSession(TrainConfig(arena=arena, population=population, generations=generations, seed=1),
                               backend=backend)
        session.reporters = [RunFolder(Path(folder) / "run", session.describe(), checkpoint_every=10)]
        started = time.perf_counter()
        try:
            while session.generation < generations:
                session.step()
                if session.generation >= settle and (session.generation - settle) % every == 0:
                    samples.append({"generation": session.generation, **sample(backend)})
        finally:
            session.close()
        wall = time.perf_counter() - started
        retried = backend.retried
    first, last = samples[0], samples[-1]
    peak = max(s["total_mb"] for s in samples)
    return {
        "arena": arena,
        "generations": generations,
        "population": population,
        "workers": workers,
        "wall_s": round(wall, 1),
        "generations_per_s": round(generations / wall, 1),
        "baseline_generation": first["generation"],
        "rss_start_mb": round(first["total_mb"], 1),
        "rss_end_mb": round(last["total_mb"], 1),
        "rss_peak_mb": round(peak, 1),
        "growth": round(last["total_mb"] / first["total_mb"] - 1, 4),
        "parent_growth": round(last["parent_mb"] / first["parent_mb"] - 1, 4),
        "workers_growth": round(last["workers_mb"] / first["workers_mb"] - 1, 4),
        "chunks_retried": retried,
        "samples": [{k: round(v, 1) if isinstance(v, float) else v for k, v in s.items()} for s in samples],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arena", default="tunnel")
    parser.add_argument("--generations", type=int, default=2000)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle", type=int, default=100, help="generations before the baseline sample")
    parser.add_argument("--every", type=int, default=100, help="generations between samples")
    parser.add_argument("--limit", type=float, default=0.10, help="allowed growth (default 0.10: 10%%)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.settle < args.generations:
        parser.error("--settle must be below --generations")
    result = soak(args.arena, args.generations, args.population, args.workers, args.settle, args.every)
    result["limit"] = args.limit
    result["passed"] = result["growth"] <= args.limit
    if args.json:
        print(json.dumps(result))
    else:
        for s in result["samples"]:
            print(f"generation {s['generation']:6d}: {s['total_mb']:8.1f} MB (parent {s['parent_mb']:.1f}, "
                  f"workers {s['workers_mb']:.1f})")
        print(f"{result['generations']} generations of {result['arena']} on {result['workers']} pool workers in "
              f"{result['wall_s']} s; resident memory {result['rss_start_mb']} MB at generation "
              f"{result['baseline_generation']} -> {result['rss_end_mb']} MB ({result['growth']:+.1%}; limit "
              f"{args.limit:.0%}): {'PASS' if result['passed'] else 'FAIL'}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

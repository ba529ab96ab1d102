"""What the parallel backends share: a generation cut into chunks of environments, one chunk run
in a worker, and the chunks' outcomes joined back in order.

Every environment's outcome depends only on its own networks and seed, so a generation cut into
any chunks gives, bit for bit, the outcome of the whole batch run at once.
"""

import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, fields, replace

import numpy as np

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.brains.netbatch import KIND_DENSE, NetBatch
from arena.evaluate.serial import rollout


def split(n_envs: int, parts: int) -> list:
    """[(start, stop)]: `n_envs` environments in at most `parts` contiguous chunks of near-equal size."""
    parts = max(1, min(parts, n_envs))
    bounds = [n_envs * k // parts for k in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def agents_of(spec, name: str) -> int:
    """Networks a game under `name` in `nets`: a role's agents; one under a name that is no role
    (a tanks duel's rival)."""
    try:
        return spec.role(name).agents
    except KeyError:
        return 1


def chunk_nets(spec, nets: dict, start: int, stop: int) -> dict:
    """The networks of environments `start .. stop - 1`: a role of k agents a game has networks
    k*e .. k*e + k - 1 in environment e; a role played by its scripted policy stays so."""
    return {name: net if isinstance(net, str) else net.rows(start * agents_of(spec, name), stop * agents_of(spec, name))
            for name, net in nets.items()}


@dataclass
class RepeatedColumns:
    """Dense networks in transport form: each run of identical neighbouring networks once, with
    its length. A generation repeats networks a lot (a ghost brain drives four ghosts, a genome
    plays several opponents), so this is often a fraction of the batch, and a fraction of the
    time a pipe or a cluster spends moving it."""

    template: NetBatch  # the batch without its weights
    columns: np.ndarray  # float32[genome_size, runs]
    repeats: np.ndarray  # int64[runs]

    def unpack(self) -> NetBatch:
        weights_t = np.repeat(self.columns, self.repeats, axis=1)
        return replace(self.template, weights_t=weights_t, size=weights_t.shape[1])


class Chunker:
    """Cuts one generation's networks into chunks of environments for transport: dense batches
    as `RepeatedColumns`, found in one pass over the batch; graph batches (NEAT) as `rows`."""

    def __init__(self, spec, nets: dict):
        self.spec = spec
        self.nets = nets
        self._runs = {}  # role -> (starts, ends) of runs of identical columns
        for name, net in nets.items():
            if not isinstance(net, str) and net.kind == KIND_DENSE and net.size:
                bits = net.weights_t.view(np.uint32)  # bits, so that -0.0 and 0.0 stay apart
                starts = np.concatenate([[0], np.flatnonzero(np.any(bits[:, 1:] != bits[:, :-1], axis=0)) + 1])
                self._runs[name] = (starts, np.append(starts[1:], net.size))

    def chunk(self, start: int, stop: int) -> dict:
        """The networks of environments `start .. stop - 1` (see `chunk_nets`), for transport."""
        out = {}
        for name, net in self.nets.items():
            k = 1 if isinstance(net, str) else agents_of(self.spec, name)
            a, b = start * k, stop * k
            if name not in self._runs:
                out[name] = net if isinstance(net, str) else net.rows(a, b)
                continue
            starts, ends = self._runs[name]
            first, last = np.searchsorted(ends, a, side="right"), np.searchsorted(starts, b, side="left")
            repeats = np.minimum(ends[first:last], b) - np.maximum(starts[first:last], a)
            template = replace(net, weights_t=net.weights_t[:, :0].copy(), size=0)
            out[name] = RepeatedColumns(template, net.weights_t[:, starts[first:last]], repeats)
        return out


def unpack_nets(nets: dict) -> dict:
    """The networks a chunk arrived with, ready for a kernel."""
    # a role played by its scripted policy arrives as an equal string, and arenas test identity
    return {name: SCRIPTED if isinstance(net, str) else net.unpack() if isinstance(net, RepeatedColumns) else net
            for name, net in nets.items()}


def run_chunk(arena_name: str, level, nets: dict, seeds: np.ndarray, max_ticks, behaviour: bool = False):
    """(Outcome, compute seconds) of one chunk, in a worker: the arena rebuilt from the registry,
    on one numba thread (the workers are the parallelism; more threads would only contend)."""
    import numba

    numba.set_num_threads(1)
    arena = get_arena(arena_name)
    nets = unpack_nets(nets)
    started = time.perf_counter()
    outcome = rollout(arena, level, nets, seeds, max_ticks, behaviour)
    return outcome, time.perf_counter() - started


class ChunkRunner:
    """A worker's side, in a pool worker process or as an actor on a Dask worker: the levels it
    was sent (the last few, by token) and the chunks it runs on them.

    `run` answers ("ok", (outcome, compute seconds)) or ("error", message): an exception in a
    chunk is a bug to report, not a fault of the machine to retry."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        self.levels = OrderedDict()

    def run(self, arena_name: str, token: int, level, nets: dict, seeds, max_ticks, behaviour=False):
        try:
            if level is not None:
                self.levels[token] = level
                while len(self.levels) > self.keep:
                    self.levels.popitem(last=False)
            return "ok", run_chunk(arena_name, self.levels[token], nets, seeds, max_ticks, behaviour)
        except Exception as exc:
            return "error", f"{type(exc).__name__}: {exc}"


def join_outcomes(parts: list):
    """One outcome of the chunks' outcomes, in chunk order (fields an arena adds included)."""
    first = parts[0]
    joined = {}
    for f in fields(first):
        values = [getattr(part, f.name) for part in parts]
        if isinstance(values[0], dict):
            joined[f.name] = {key: np.concatenate([v[key] for v in values]) for key in values[0]}
        elif values[0] is None:
            joined[f.name] = None
        else:
            joined[f.name] = np.concatenate(values)
    return type(first)(**joined)


def warm(arena, level, nets: dict, seeds: np.ndarray) -> None:
    """Compile (or load from the disk cache) the arena's kernels in this process with one short
    game, so that workers starting together load the cached machine code instead of each
    compiling it for minutes."""
    arena.rollout(level, chunk_nets(arena.spec, nets, 0, 1), seeds[:1], 1)


class LevelTokens:
    """Small integer tokens for levels, so a level (a maze's distance table is megabytes) travels
    to each worker once, not with every chunk. Holds the levels it has named, so an id is never
    reused for another level while its token lives."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        self._by_id = {}  # id(level) -> (level, token), oldest first
        self._next = 0

    def token(self, level) -> int:
        entry = self._by_id.pop(id(level), None)
        if entry is None:
            entry = (level, self._next)
            self._next += 1
        self._by_id[id(level)] = entry
        while len(self._by_id) > self.keep:
            del self._by_id[next(iter(self._by_id))]
        return entry[1]

    def live(self) -> set:
        """Tokens of the levels still held."""
        return {token for _, token in self._by_id.values()}


class ChunkedBackend:
    """What the pool and Dask backends share: `evaluate` under one lock (the window may evaluate
    from two threads: turbo, warming up), the arena's kernels warmed in this process first,
    level tokens, and the timings of the last generation. Subclasses implement `_run`."""

    name = None

    def __init__(self, chunk_timeout: float, max_failures: int, keep_levels: int = 8):
        self.chunk_timeout = chunk_timeout  # seconds a chunk may run before it runs again elsewhere
        self.max_failures = max_failures  # failures of one chunk that stop the run
        self._tokens = LevelTokens(keep_levels)
        self._warmed = set()
        self._lock = threading.Lock()
        self.last_wall_s = 0.0  # the last evaluate: wall time, and the slowest chunk's compute time
        self.last_compute_s = 0.0
        self.retried = 0  # chunks run again after a failure, over the backend's life
        self.warn = lambda message: print(message, file=sys.stderr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        raise NotImplementedError

    def evaluate(self, arena, level, nets: dict, seeds, max_ticks=None, behaviour=False):
        with self._lock:
            if arena.spec.name not in self._warmed and len(seeds):
                warm(arena, level, nets, seeds)
                self._warmed.add(arena.spec.name)
            started = time.perf_counter()
            results = self._run(arena.spec.name, level, self._tokens.token(level), Chunker(arena.spec, nets), seeds,
                                max_ticks, behaviour)
            self.last_wall_s = time.perf_counter() - started
            self.last_compute_s = max(seconds for _, seconds in results)
            return join_outcomes([outcome for outcome, _ in results])

    def _run(self, arena_name: str, level, token: int, chunker: Chunker, seeds, max_ticks, behaviour) -> list:
        """[(outcome, compute seconds)] of the chunks of the generation, in order."""
        raise NotImplementedError

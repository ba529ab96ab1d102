"""What the parallel backends share: a generation cut into chunks of environments, one chunk run
in a worker, and the chunks' outcomes joined back in order.

Every environment's outcome depends only on its own networks and seed, so a generation cut into
any chunks gives, bit for bit, the outcome of the whole batch run at once.
"""

import time
from dataclasses import fields

import numpy as np

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED


def split(n_envs: int, parts: int) -> list:
    """[(start, stop)]: `n_envs` environments in at most `parts` contiguous chunks of near-equal size."""
    parts = max(1, min(parts, n_envs))
    bounds = [n_envs * k // parts for k in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def chunk_nets(spec, nets: dict, start: int, stop: int) -> dict:
    """The networks of environments `start .. stop - 1`: a role of k agents a game has networks
    k*e .. k*e + k - 1 in environment e; a role played by its scripted policy stays so."""
    return {name: net if isinstance(net, str) else net.rows(start * spec.role(name).agents,
                                                              stop * spec.role(name).agents)
            for name, net in nets.items()}


def run_chunk(arena_name: str, level, nets: dict, seeds: np.ndarray, max_ticks):
    """(Outcome, compute seconds) of one chunk, in a worker: the arena rebuilt from the registry,
    on one numba thread (the workers are the parallelism; more threads would only contend)."""
    import numba

    numba.set_num_threads(1)
    arena = get_arena(arena_name)
    # a role played by its scripted policy arrives as an equal string, and arenas test identity
    nets = {name: SCRIPTED if isinstance(net, str) else net for name, net in nets.items()}
    started = time.perf_counter()
    outcome = arena.rollout(level, nets, seeds, max_ticks)
    return outcome, time.perf_counter() - started


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

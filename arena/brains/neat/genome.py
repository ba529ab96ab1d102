"""NEAT genomes of a whole population in padded arrays.

Genome g uses the first `n_nodes[g]` node slots and the first `n_conns[g]` connection slots;
the rest is padding. Node ids: inputs are 0 .. n_inputs - 1 (implicit, no node genes),
outputs n_inputs .. n_inputs + n_outputs - 1, hidden nodes above. Node genes are sorted by
id, so the outputs come first; connection genes are sorted by innovation number, so distance
and crossover are merges of two sorted lists, done in numba.
"""

from dataclasses import dataclass, fields

import numpy as np
from numba import njit

from arena.brains.activations import CODES, NAMES

_I32 = np.int32


@dataclass
class NeatGenomes:
    """A population of NEAT genomes (P genomes, up to N node and C connection genes each)."""

    n_inputs: int
    n_outputs: int
    n_nodes: np.ndarray  # int32[P]
    node_id: np.ndarray  # int32[P, N], ascending
    node_act: np.ndarray  # int8[P, N], activation codes (arena.brains.activations)
    node_bias: np.ndarray  # float32[P, N]
    n_conns: np.ndarray  # int32[P]
    conn_innov: np.ndarray  # int32[P, C], ascending
    conn_src: np.ndarray  # int32[P, C], node id
    conn_dst: np.ndarray  # int32[P, C], node id
    conn_w: np.ndarray  # float32[P, C]
    conn_on: np.ndarray  # bool[P, C], enabled

    ARRAYS = ("n_nodes", "node_id", "node_act", "node_bias", "n_conns",
              "conn_innov", "conn_src", "conn_dst", "conn_w", "conn_on")

    @property
    def size(self) -> int:
        return int(self.n_nodes.shape[0])

    def arrays(self) -> tuple:
        """The arrays in `ARRAYS` order, as numba functions take them."""
        return tuple(getattr(self, name) for name in self.ARRAYS)

    def take(self, index) -> "NeatGenomes":
        """The genomes at `index` (ints or an int array), trimmed to their own padding."""
        index = np.atleast_1d(np.asarray(index, dtype=np.int64))
        n_nodes = self.n_nodes[index]
        n_conns = self.n_conns[index]
        width_n = max(int(n_nodes.max(initial=0)), 1)
        width_c = max(int(n_conns.max(initial=0)), 1)
        return NeatGenomes(
            self.n_inputs, self.n_outputs, n_nodes.copy(),
            self.node_id[index, :width_n].copy(), self.node_act[index, :width_n].copy(),
            self.node_bias[index, :width_n].copy(), n_conns.copy(),
            self.conn_innov[index, :width_c].copy(), self.conn_src[index, :width_c].copy(),
            self.conn_dst[index, :width_c].copy(), self.conn_w[index, :width_c].copy(),
            self.conn_on[index, :width_c].copy(),
        )

    def same_as(self, other: "NeatGenomes") -> bool:
        """Whether both hold the same genes, bit for bit (padding ignored)."""
        if (self.n_inputs, self.n_outputs, self.size) != (other.n_inputs, other.n_outputs, other.size):
            return False
        if not (np.array_equal(self.n_nodes, other.n_nodes) and np.array_equal(self.n_conns, other.n_conns)):
            return False
        for g in range(self.size):
            n, c = self.n_nodes[g], self.n_conns[g]
            for name in self.ARRAYS[1:4]:
                if getattr(self, name)[g, :n].tobytes() != getattr(other, name)[g, :n].tobytes():
                    return False
            for name in self.ARRAYS[5:]:
                if getattr(self, name)[g, :c].tobytes() != getattr(other, name)[g, :c].tobytes():
                    return False
        return True

    def genome_dict(self, g: int) -> dict:
        """Genome g as plain JSON data: nodes and connections lists (the brain-file form)."""
        n, c = int(self.n_nodes[g]), int(self.n_conns[g])
        return {
            "nodes": [
                {"id": int(self.node_id[g, k]), "activation": NAMES[int(self.node_act[g, k])],
                 "bias": float(self.node_bias[g, k])}
                for k in range(n)
            ],
            "connections": [
                {"innovation": int(self.conn_innov[g, k]), "source": int(self.conn_src[g, k]),
                 "target": int(self.conn_dst[g, k]), "weight": float(self.conn_w[g, k]),
                 "enabled": bool(self.conn_on[g, k])}
                for k in range(c)
            ],
        }


def empty(n_inputs: int, n_outputs: int, population: int, max_nodes: int, max_conns: int) -> NeatGenomes:
    """Zeroed arrays for `population` genomes of up to `max_nodes` / `max_conns` genes."""
    max_nodes, max_conns = max(int(max_nodes), 1), max(int(max_conns), 1)
    return NeatGenomes(
        int(n_inputs), int(n_outputs),
        np.zeros(population, _I32), np.zeros((population, max_nodes), _I32),
        np.zeros((population, max_nodes), np.int8), np.zeros((population, max_nodes), np.float32),
        np.zeros(population, _I32), np.zeros((population, max_conns), _I32),
        np.zeros((population, max_conns), _I32), np.zeros((population, max_conns), _I32),
        np.zeros((population, max_conns), np.float32), np.zeros((population, max_conns), np.bool_),
    )


def concatenate(parts) -> NeatGenomes:
    """One population from several (same inputs and outputs), padded to the widest."""
    parts = list(parts)
    first = parts[0]
    width_n = max(p.node_id.shape[1] for p in parts)
    width_c = max(p.conn_innov.shape[1] for p in parts)
    out = empty(first.n_inputs, first.n_outputs, sum(p.size for p in parts), width_n, width_c)
    row = 0
    for part in parts:
        rows = slice(row, row + part.size)
        for f in fields(NeatGenomes):
            if f.name in ("n_inputs", "n_outputs"):
                continue
            source = getattr(part, f.name)
            target = getattr(out, f.name)
            if source.ndim == 1:
                target[rows] = source
            else:
                target[rows, : source.shape[1]] = source
        row += part.size
    return out


MAX_NODE_ID = 2**31 - 1

_PROBLEMS = (
    "",
    "has fewer node genes than outputs, or more than its arrays hold",
    "has more connection genes than its arrays hold",
    "node genes are not sorted by id without repeats",
    "the first node genes are not the output nodes",
    "has a node id out of range",
    "has an unknown activation code",
    "has a non-finite bias or weight",
    "connection genes are not sorted by innovation without repeats",
    "has a connection from a node it does not have",
    "has a connection into an input or a node it does not have",
    "has two connections between the same nodes",
    "has a cycle, and the network is not recurrent",
)


@njit(cache=True)
def _first_problem(n_inputs, n_outputs, recurrent, n_codes, n_nodes, node_id, node_act, node_bias, n_conns,
                   conn_innov, conn_src, conn_dst, conn_w, conn_on):
    """(genome, problem code) of the first broken invariant, or (-1, 0)."""
    for g in range(n_nodes.shape[0]):
        n = n_nodes[g]
        m = n_conns[g]
        if n < n_outputs or n > node_id.shape[1]:
            return g, 1
        if m < 0 or m > conn_innov.shape[1]:
            return g, 2
        for k in range(n):
            if node_id[g, k] < n_inputs or node_id[g, k] > MAX_NODE_ID - 1:
                return g, 5
            if k > 0 and node_id[g, k] <= node_id[g, k - 1]:
                return g, 3
            if k < n_outputs and node_id[g, k] != n_inputs + k:
                return g, 4
            if node_act[g, k] < 0 or node_act[g, k] >= n_codes:
                return g, 6
            if not np.isfinite(node_bias[g, k]):
                return g, 7
        for c in range(m):
            if c > 0 and conn_innov[g, c] <= conn_innov[g, c - 1]:
                return g, 8
            if conn_innov[g, c] < 0:
                return g, 8
            if not np.isfinite(conn_w[g, c]):
                return g, 7
            s = conn_src[g, c]
            if s < 0 or (s >= n_inputs and _find(node_id[g], n, s) < 0):
                return g, 9
            if _find(node_id[g], n, conn_dst[g, c]) < 0:
                return g, 10
            for d in range(c):
                if conn_src[g, d] == s and conn_dst[g, d] == conn_dst[g, c]:
                    return g, 11
        if not recurrent:
            # Kahn's algorithm over every gene, enabled or not: all nodes must get ordered
            waiting = np.zeros(n, dtype=np.int64)
            for c in range(m):
                if conn_src[g, c] >= n_inputs:
                    waiting[_find(node_id[g], n, conn_dst[g, c])] += 1
            ready = np.empty(n, dtype=np.int64)
            top = 0
            for k in range(n):
                if waiting[k] == 0:
                    ready[top] = k
                    top += 1
            done = 0
            while top > 0:
                top -= 1
                k = ready[top]
                done += 1
                for c in range(m):
                    if conn_src[g, c] == node_id[g, k]:
                        d = _find(node_id[g], n, conn_dst[g, c])
                        waiting[d] -= 1
                        if waiting[d] == 0:
                            ready[top] = d
                            top += 1
            if done < n:
                return g, 12
    return -1, 0


@njit(cache=True, inline="always")
def _find(ids, n, ident):
    k = np.searchsorted(ids[:n], ident)
    if k < n and ids[k] == ident:
        return k
    return -1


def check_genomes(genomes: NeatGenomes, recurrent: bool) -> None:
    """Raise ValueError naming the first genome that breaks the layout's rules (see the module doc)."""
    g, code = _first_problem(genomes.n_inputs, genomes.n_outputs, bool(recurrent), len(CODES), *genomes.arrays())
    if g >= 0:
        raise ValueError(f"genome {g} {_PROBLEMS[code]}")

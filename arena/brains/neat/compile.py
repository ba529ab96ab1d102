"""NEAT genomes -> the graph form of `NetBatch`, in numba; and a plain Python forward to check it.

Feed-forward genomes keep only the nodes that can reach an output (a dangling hidden node costs
nothing at run time) and order them topologically. Recurrent genomes keep every node; where a
cycle leaves no node ready, the lowest-id node goes next, and the connections that close the
cycle read the previous tick's values. Ties go to the lowest node id, so the order, and with it
the sums, are the same on every machine. Each node sums its bias first, then its enabled
incoming connections in innovation order; `forward_reference` does the same in float32.
"""

import numpy as np
from numba import njit

from arena.brains.activations import activate_numpy
from arena.brains.neat.genome import NeatGenomes
from arena.brains.netbatch import KIND_GRAPH, NetBatch

_I32 = np.int32


@njit(cache=True, inline="always")
def slot_of(node_id, n, n_inputs, ident):
    """Slot of node `ident` in a genome: inputs 0..I-1, node gene k at I + k; -1 if absent."""
    if ident < n_inputs:
        return ident if ident >= 0 else -1
    k = np.searchsorted(node_id[:n], ident)
    if k < n and node_id[k] == ident:
        return n_inputs + k
    return -1


@njit(cache=True)
def _evaluation_order(g, n_inputs, n_outputs, recurrent, n_nodes, node_id, n_conns, conn_src, conn_dst, conn_on,
                      src_slot, dst_slot, order):
    """Fill `order` with the slots of the nodes to evaluate, in order; return how many.

    src_slot / dst_slot: int32[C] scratch, filled with the slots of each enabled connection
    (-1 for disabled or broken ones).
    """
    n = n_nodes[g]
    total = n_inputs + n
    for c in range(n_conns[g]):
        src_slot[c] = -1
        dst_slot[c] = -1
        if conn_on[g, c]:
            s = slot_of(node_id[g], n, n_inputs, conn_src[g, c])
            d = slot_of(node_id[g], n, n_inputs, conn_dst[g, c])
            if s >= 0 and d >= n_inputs:
                src_slot[c] = s
                dst_slot[c] = d
    needed = np.zeros(total, dtype=np.bool_)
    if recurrent:
        needed[n_inputs:] = True
    else:
        for j in range(n_outputs):
            needed[n_inputs + j] = True
        changed = True
        while changed:
            changed = False
            for c in range(n_conns[g]):
                d = dst_slot[c]
                if d >= 0 and needed[d] and not needed[src_slot[c]]:
                    needed[src_slot[c]] = True
                    changed = True
    waiting = np.zeros(total, dtype=np.int64)  # unevaluated sources of each needed node
    for c in range(n_conns[g]):
        d = dst_slot[c]
        if d >= 0 and needed[d] and src_slot[c] >= n_inputs and src_slot[c] != d:  # a self-loop never waits
            waiting[d] += 1
    done = np.zeros(total, dtype=np.bool_)
    count = 0
    remaining = 0
    for k in range(n_inputs, total):
        if needed[k]:
            remaining += 1
    while remaining > 0:
        pick = -1
        for k in range(n_inputs, total):  # slots ascend with node id
            if needed[k] and not done[k] and waiting[k] == 0:
                pick = k
                break
        if pick < 0:  # a cycle (recurrent genomes only): break it at the lowest id
            for k in range(n_inputs, total):
                if needed[k] and not done[k]:
                    pick = k
                    break
        done[pick] = True
        order[count] = pick
        count += 1
        remaining -= 1
        for c in range(n_conns[g]):
            if src_slot[c] == pick and dst_slot[c] >= 0 and dst_slot[c] != pick and needed[dst_slot[c]]:
                waiting[dst_slot[c]] -= 1
    return count


@njit(cache=True)
def _compile(n_inputs, n_outputs, recurrent, n_nodes, node_id, node_act, node_bias,
             n_conns, conn_innov, conn_src, conn_dst, conn_w, conn_on):
    population = n_nodes.shape[0]
    max_total = n_inputs + node_id.shape[1]
    total_nodes = 0
    total_conns = 0
    for g in range(population):
        total_nodes += n_inputs + n_nodes[g]
        total_conns += n_conns[g]
    out_act = np.zeros(total_nodes, dtype=np.int8)
    out_bias = np.zeros(total_nodes, dtype=np.float32)
    out_start = np.zeros(total_nodes + 1, dtype=np.int32)
    out_src = np.zeros(total_conns, dtype=np.int32)
    out_w = np.zeros(total_conns, dtype=np.float32)
    node_offset = np.zeros(population + 1, dtype=np.int32)
    output_index = np.zeros((population, n_outputs), dtype=np.int32)
    src_slot = np.zeros(max(conn_src.shape[1], 1), dtype=np.int32)
    dst_slot = np.zeros(max(conn_src.shape[1], 1), dtype=np.int32)
    order = np.zeros(max_total, dtype=np.int32)
    local = np.zeros(max_total, dtype=np.int32)
    node_at = 0
    conn_at = 0
    for g in range(population):
        count = _evaluation_order(g, n_inputs, n_outputs, recurrent, n_nodes, node_id, n_conns, conn_src,
                                  conn_dst, conn_on, src_slot, dst_slot, order)
        node_offset[g] = node_at
        for k in range(n_inputs):
            local[k] = k
            out_start[node_at + k] = conn_at
        for i in range(count):
            local[order[i]] = n_inputs + i
        for i in range(count):
            slot = order[i]
            n = node_at + n_inputs + i
            out_act[n] = node_act[g, slot - n_inputs]
            out_bias[n] = node_bias[g, slot - n_inputs]
            out_start[n] = conn_at
            for c in range(n_conns[g]):  # genes ascend by innovation: the summation order
                if dst_slot[c] == slot:
                    out_src[conn_at] = local[src_slot[c]]
                    out_w[conn_at] = conn_w[g, c]
                    conn_at += 1
        for j in range(n_outputs):
            output_index[g, j] = local[n_inputs + j]
        node_at += n_inputs + count
    out_start[node_at] = conn_at
    node_offset[population] = node_at
    return (out_act[:node_at].copy(), out_bias[:node_at].copy(), out_start[: node_at + 1].copy(),
            out_src[:conn_at].copy(), out_w[:conn_at].copy(), node_offset, output_index)


def compile_neat(genomes: NeatGenomes, recurrent: bool = False) -> NetBatch:
    """The graph NetBatch of `genomes`, network g from genome g."""
    act, bias, start, src, w, node_offset, output_index = _compile(
        genomes.n_inputs, genomes.n_outputs, bool(recurrent), *genomes.arrays()
    )
    empty_f = np.zeros((0, 0), np.float32)
    return NetBatch(
        KIND_GRAPH, genomes.size, genomes.n_inputs, genomes.n_outputs,
        empty_f, np.zeros(0, _I32), np.zeros(0, _I32), np.zeros(0, np.int8),
        act, bias, start, src, w, node_offset, output_index, bool(recurrent),
    )


def forward_reference(genomes: NeatGenomes, g: int, inputs, state=None) -> np.ndarray:
    """Plain Python forward of genome g on one input vector (float32[n_outputs]), for tests.

    Evaluates node by node from the genes themselves, independently of the compiled order
    except for the rule it must follow (bias, then enabled connections by innovation).
    state: {node id: last value} of a recurrent genome, updated in place.
    """
    f32 = np.float32
    n, c = int(genomes.n_nodes[g]), int(genomes.n_conns[g])
    ids = [int(i) for i in genomes.node_id[g, :n]]
    values = {i: f32(v) for i, v in enumerate(np.asarray(inputs, dtype=f32))}
    incoming = {i: [] for i in ids}
    for k in range(c):
        if genomes.conn_on[g, k] and int(genomes.conn_dst[g, k]) in incoming:
            src = int(genomes.conn_src[g, k])
            if src < genomes.n_inputs or src in incoming:
                incoming[int(genomes.conn_dst[g, k])].append((src, f32(genomes.conn_w[g, k])))
    gene = {ident: k for k, ident in enumerate(ids)}
    if state is None:  # feed-forward: evaluate on demand, each node once
        def value(ident):
            if ident not in values:
                k = gene[ident]
                total = f32(genomes.node_bias[g, k])
                for src, w in incoming[ident]:
                    total = f32(total + f32(w * value(src)))
                values[ident] = f32(activate_numpy(np.array([total], f32), int(genomes.node_act[g, k]))[0])
            return values[ident]

        return np.array([value(genomes.n_inputs + j) for j in range(genomes.n_outputs)], dtype=f32)
    # recurrent: Kahn's order, breaking cycles at the lowest id; unevaluated sources read `state`
    done = set()
    while len(done) < len(ids):
        ready = [i for i in ids if i not in done
                 and all(s < genomes.n_inputs or s in done or s == i for s, _ in incoming[i])]
        ident = min(ready) if ready else min(i for i in ids if i not in done)
        k = gene[ident]
        total = f32(genomes.node_bias[g, k])
        for src, w in incoming[ident]:
            v = values[src] if (src < genomes.n_inputs or src in done) else f32(state.get(src, 0.0))
            total = f32(total + f32(w * v))
        values[ident] = f32(activate_numpy(np.array([total], f32), int(genomes.node_act[g, k]))[0])
        done.add(ident)
    for ident in ids:
        state[ident] = values[ident]
    return np.array([values[genomes.n_inputs + j] for j in range(genomes.n_outputs)], dtype=f32)

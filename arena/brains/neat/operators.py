"""NEAT's genetic operators on padded genome arrays, in numba: distance, speciation, and
reproduction (copy, crossover aligned by innovation, mutation).

A connection's innovation number is looked up in a population-wide table keyed by its
(source, target) node ids, so the same new link gets the same number whichever genome makes
it, in this generation or any later one. A split of connection `i` gets one new node id per
generation, shared by every genome that splits `i` in that generation (the paper's rule).

Random numbers come from numba's generator, seeded at the start of each call from the run's
seed stream for the generation: the same seed and state give the same children, bit for bit.
"""

import numpy as np
from numba import njit, types
from numba.typed import Dict

from arena.brains.neat.compile import slot_of

# Indices into the `rates` array that `reproduce` takes (see `arena.evolve.neat.NeatParams`).
ADD_NODE = 0
ADD_CONNECTION = 1
WEIGHT_MUTATION = 2
WEIGHT_REPLACE = 3
WEIGHT_POWER = 4
WEIGHT_INIT_STD = 5
WEIGHT_MAX = 6
BIAS_MUTATION = 7
BIAS_REPLACE = 8
BIAS_POWER = 9
BIAS_INIT_STD = 10
TOGGLE_ENABLE = 11
ACTIVATION_MUTATION = 12
DISABLED_INHERIT = 13
N_RATES = 14

# How a child is made (the `kind` column of a reproduction plan).
CHILD_COPY = 0  # an unchanged copy of parent a (a species champion)
CHILD_MUTANT = 1  # a copy of parent a, mutated
CHILD_CROSSOVER = 2  # a crossover of a (the fitter) and b, mutated

_LINK_TRIES = 20  # attempts to find two unconnected nodes for a new link


def new_link_table():
    """An empty innovation table: {source << 32 | target: innovation}."""
    return Dict.empty(key_type=types.int64, value_type=types.int64)


@njit(cache=True)
def fill_link_table(table, keys, values):
    for i in range(keys.shape[0]):
        table[keys[i]] = values[i]


@njit(cache=True)
def link_table_arrays(table):
    """(keys int64[L], innovations int64[L]) of the table, by innovation."""
    keys = np.empty(len(table), dtype=np.int64)
    values = np.empty(len(table), dtype=np.int64)
    i = 0
    for key, value in table.items():
        keys[i] = key
        values[i] = value
        i += 1
    order = np.argsort(values)
    return keys[order], values[order]


@njit(cache=True, inline="always")
def link_key(src, dst):
    return (np.int64(src) << 32) | np.int64(dst)


@njit(cache=True)
def distance(a_innov, a_w, na, b_innov, b_w, nb, c1, c2, c3, normalise_from):
    """Compatibility distance c1 E / N + c2 D / N + c3 W of two connection-gene lists.

    E: excess genes (beyond the other genome's last innovation), D: disjoint genes, W: mean
    absolute weight difference of matching genes. N is the larger gene count, or 1 when both
    have fewer than `normalise_from` genes (the paper's rule for small genomes).
    """
    i = 0
    j = 0
    disjoint = 0
    matching = 0
    weight_diff = 0.0
    while i < na and j < nb:
        if a_innov[i] == b_innov[j]:
            matching += 1
            weight_diff += abs(np.float64(a_w[i]) - np.float64(b_w[j]))
            i += 1
            j += 1
        elif a_innov[i] < b_innov[j]:
            disjoint += 1
            i += 1
        else:
            disjoint += 1
            j += 1
    excess = (na - i) + (nb - j)
    n = max(na, nb)
    if n < normalise_from:
        n = 1
    if n == 0:
        n = 1
    mean_diff = weight_diff / matching if matching > 0 else 0.0
    return c1 * excess / n + c2 * disjoint / n + c3 * mean_diff


@njit(cache=True)
def speciate(n_conns, conn_innov, conn_w, rep_n_conns, rep_innov, rep_w, threshold, c1, c2, c3,
             normalise_from, species_of, new_reps):
    """Put each genome in the first species whose representative is within `threshold`.

    Representatives 0..R-1 are the rep_* arrays; a genome close to none founds a new species
    R + k represented by itself (its index goes to new_reps[k]). Fills species_of[P]; returns
    the number of new species.
    """
    n_old = rep_n_conns.shape[0]
    n_new = 0
    for g in range(n_conns.shape[0]):
        found = -1
        for s in range(n_old):
            d = distance(conn_innov[g], conn_w[g], n_conns[g], rep_innov[s], rep_w[s], rep_n_conns[s],
                         c1, c2, c3, normalise_from)
            if d < threshold:
                found = s
                break
        if found < 0:
            for k in range(n_new):
                r = new_reps[k]
                d = distance(conn_innov[g], conn_w[g], n_conns[g], conn_innov[r], conn_w[r], n_conns[r],
                             c1, c2, c3, normalise_from)
                if d < threshold:
                    found = n_old + k
                    break
        if found < 0:
            new_reps[n_new] = g
            found = n_old + n_new
            n_new += 1
        species_of[g] = found
    return n_new


@njit(cache=True)
def plan_offspring(seed, ranked, starts, counts, fitness, spawn, elite_min_size, survival, crossover_rate,
                   interspecies_rate, kind, parent_a, parent_b):
    """Decide how each child is made, species by species.

    ranked: genome indices grouped by species, fittest first within each; species s holds
    ranked[starts[s] : starts[s] + counts[s]] and gets spawn[s] children. A species larger
    than `elite_min_size` keeps its champion as an unchanged copy; the others are bred from
    its fittest `survival` fraction, by crossover (with `crossover_rate`; the second parent
    from any species with `interspecies_rate`) or by mutation alone. The fitter parent goes
    first. Fills kind / parent_a / parent_b (parent_b is -1 without crossover).
    """
    np.random.seed(seed)
    n_species = starts.shape[0]
    pool_size = np.zeros(n_species, dtype=np.int64)
    total_pool = 0
    for s in range(n_species):
        if counts[s] > 0:
            pool_size[s] = max(1, int(np.ceil(survival * counts[s])))
        total_pool += pool_size[s] if spawn[s] > 0 else 0
    child = 0
    for s in range(n_species):
        n = spawn[s]
        if n == 0:
            continue
        seg = ranked[starts[s]: starts[s] + counts[s]]
        if counts[s] > elite_min_size:
            kind[child] = CHILD_COPY
            parent_a[child] = seg[0]
            parent_b[child] = -1
            child += 1
            n -= 1
        pool = pool_size[s]
        for _ in range(n):
            a = seg[np.random.randint(0, pool)]
            b = -1
            if np.random.random() < crossover_rate:
                if np.random.random() < interspecies_rate:
                    pick = np.random.randint(0, total_pool)  # a parent from any breeding pool
                    for t in range(n_species):
                        if spawn[t] > 0:
                            if pick < pool_size[t]:
                                b = ranked[starts[t] + pick]
                                break
                            pick -= pool_size[t]
                elif pool > 1:
                    b = seg[np.random.randint(0, pool)]
            if b >= 0 and b != a:
                if fitness[b] > fitness[a]:
                    a, b = b, a
                kind[child] = CHILD_CROSSOVER
            else:
                b = -1
                kind[child] = CHILD_MUTANT
            parent_a[child] = a
            parent_b[child] = b
            child += 1
    return child


@njit(cache=True, inline="always")
def _uniform(power):
    return (2.0 * np.random.random() - 1.0) * power


@njit(cache=True)
def _innovation(link_table, counters, src, dst):
    key = link_key(src, dst)
    if key in link_table:
        return link_table[key]
    number = counters[0]
    counters[0] += 1
    link_table[key] = number
    return number


@njit(cache=True)
def _insert_connection(child, c_n_conns, c_innov, c_src, c_dst, c_w, c_on, innov, src, dst, w):
    """Insert a gene into child's connection list, keeping it sorted by innovation."""
    n = c_n_conns[child]
    at = n
    while at > 0 and c_innov[child, at - 1] > innov:
        at -= 1
    for k in range(n, at, -1):
        c_innov[child, k] = c_innov[child, k - 1]
        c_src[child, k] = c_src[child, k - 1]
        c_dst[child, k] = c_dst[child, k - 1]
        c_w[child, k] = c_w[child, k - 1]
        c_on[child, k] = c_on[child, k - 1]
    c_innov[child, at] = innov
    c_src[child, at] = src
    c_dst[child, at] = dst
    c_w[child, at] = w
    c_on[child, at] = True
    c_n_conns[child] = n + 1


@njit(cache=True)
def _reaches(child, n_conns, src, dst, start, goal):
    """Whether node `goal` can be reached from node `start` along the child's connections."""
    if start == goal:
        return True
    n = n_conns[child]
    stack = np.empty(n + 1, dtype=np.int64)
    seen = Dict.empty(key_type=types.int64, value_type=types.int64)
    top = 0
    stack[top] = start
    top += 1
    seen[start] = 1
    while top > 0:
        top -= 1
        node = stack[top]
        for c in range(n):
            if src[child, c] == node:
                nxt = np.int64(dst[child, c])
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen[nxt] = 1
                    stack[top] = nxt
                    top += 1
    return False


@njit(cache=True)
def _copy(parent, child, p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
          c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on):
    n = p_n_nodes[parent]
    c_n_nodes[child] = n
    c_node_id[child, :n] = p_node_id[parent, :n]
    c_node_act[child, :n] = p_node_act[parent, :n]
    c_node_bias[child, :n] = p_node_bias[parent, :n]
    m = p_n_conns[parent]
    c_n_conns[child] = m
    c_innov[child, :m] = p_innov[parent, :m]
    c_src[child, :m] = p_src[parent, :m]
    c_dst[child, :m] = p_dst[parent, :m]
    c_w[child, :m] = p_w[parent, :m]
    c_on[child, :m] = p_on[parent, :m]


@njit(cache=True)
def _crossover(a, b, child, disabled_inherit,
               p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
               c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on):
    """Child of `a` (the fitter parent, whose genes and structure it keeps) and `b`.

    Matching genes take their weight (and node genes their bias and activation) from either
    parent at random; a gene disabled in either parent stays disabled with `disabled_inherit`.
    """
    _copy(a, child, p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
          c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on)
    j = 0
    nb = p_n_nodes[b]
    for k in range(p_n_nodes[a]):
        ident = p_node_id[a, k]
        while j < nb and p_node_id[b, j] < ident:
            j += 1
        if j < nb and p_node_id[b, j] == ident and np.random.random() < 0.5:
            c_node_act[child, k] = p_node_act[b, j]
            c_node_bias[child, k] = p_node_bias[b, j]
    j = 0
    nb = p_n_conns[b]
    for k in range(p_n_conns[a]):
        innov = p_innov[a, k]
        while j < nb and p_innov[b, j] < innov:
            j += 1
        off = not p_on[a, k]
        if j < nb and p_innov[b, j] == innov:
            if np.random.random() < 0.5:
                c_w[child, k] = p_w[b, j]
            off = off or not p_on[b, j]
        if off:
            c_on[child, k] = not (np.random.random() < disabled_inherit)


@njit(cache=True)
def _mutate(child, n_inputs, recurrent, rates, activation_options, hidden_activation, link_table, split_table,
            counters, c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on):
    """Mutate one child in place: a structural mutation, or else weight, bias, enable and
    activation mutations (as in the paper's implementation)."""
    n = c_n_nodes[child]
    m = c_n_conns[child]
    if np.random.random() < rates[ADD_NODE]:
        enabled = 0
        for c in range(m):
            if c_on[child, c]:
                enabled += 1
        if enabled > 0:
            pick = np.random.randint(0, enabled)
            c = 0
            while True:
                if c_on[child, c]:
                    if pick == 0:
                        break
                    pick -= 1
                c += 1
            innov = np.int64(c_innov[child, c])
            if innov in split_table:
                node = split_table[innov]
            else:
                node = counters[1]
                counters[1] += 1
                split_table[innov] = node
            if slot_of(c_node_id[child], n, n_inputs, node) < 0:  # a node id is never reused
                src = c_src[child, c]
                dst = c_dst[child, c]
                w = c_w[child, c]
                c_on[child, c] = False
                c_node_id[child, n] = node  # the newest id is the largest: the list stays sorted
                c_node_act[child, n] = hidden_activation
                c_node_bias[child, n] = 0.0
                c_n_nodes[child] = n + 1
                _insert_connection(child, c_n_conns, c_innov, c_src, c_dst, c_w, c_on,
                                   _innovation(link_table, counters, src, node), src, node, np.float32(1.0))
                _insert_connection(child, c_n_conns, c_innov, c_src, c_dst, c_w, c_on,
                                   _innovation(link_table, counters, node, dst), node, dst, w)
        return
    if np.random.random() < rates[ADD_CONNECTION]:
        for _ in range(_LINK_TRIES):
            s = np.random.randint(0, n_inputs + n)
            src = s if s < n_inputs else c_node_id[child, s - n_inputs]
            dst = c_node_id[child, np.random.randint(0, n)]
            exists = False
            for c in range(m):
                if c_src[child, c] == src and c_dst[child, c] == dst:
                    exists = True
                    break
            if exists:
                continue
            if not recurrent and _reaches(child, c_n_conns, c_src, c_dst, dst, src):
                continue
            w = np.float32(np.random.normal() * rates[WEIGHT_INIT_STD])
            _insert_connection(child, c_n_conns, c_innov, c_src, c_dst, c_w, c_on,
                               _innovation(link_table, counters, src, dst), src, dst, w)
            break
        return
    limit = rates[WEIGHT_MAX]
    if np.random.random() < rates[WEIGHT_MUTATION]:
        for c in range(m):
            if np.random.random() < rates[WEIGHT_REPLACE]:
                w = np.random.normal() * rates[WEIGHT_INIT_STD]
            else:
                w = c_w[child, c] + _uniform(rates[WEIGHT_POWER])
            c_w[child, c] = np.float32(min(max(w, -limit), limit))
    if np.random.random() < rates[BIAS_MUTATION]:
        for k in range(n):
            if np.random.random() < rates[BIAS_REPLACE]:
                v = np.random.normal() * rates[BIAS_INIT_STD]
            else:
                v = c_node_bias[child, k] + _uniform(rates[BIAS_POWER])
            c_node_bias[child, k] = np.float32(min(max(v, -limit), limit))
    if m > 0 and np.random.random() < rates[TOGGLE_ENABLE]:
        c = np.random.randint(0, m)
        c_on[child, c] = not c_on[child, c]
    if activation_options.shape[0] > 0 and np.random.random() < rates[ACTIVATION_MUTATION]:
        k = np.random.randint(0, n)
        c_node_act[child, k] = activation_options[np.random.randint(0, activation_options.shape[0])]


@njit(cache=True)
def reproduce(seed, kind, parent_a, parent_b, n_inputs, recurrent, rates, activation_options, hidden_activation,
              link_table, counters,
              p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
              c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on):
    """Make child i by plan row i (kind, parent_a, parent_b), in order, into the c_* arrays.

    The children's arrays need one node and three connection slots more than the widest
    parent. counters: int64[2], the next innovation number and the next node id (updated).
    """
    np.random.seed(seed)
    split_table = Dict.empty(key_type=types.int64, value_type=types.int64)
    for child in range(kind.shape[0]):
        if kind[child] == CHILD_CROSSOVER:
            _crossover(parent_a[child], parent_b[child], child, rates[DISABLED_INHERIT],
                       p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
                       c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on)
        else:
            _copy(parent_a[child], child,
                  p_n_nodes, p_node_id, p_node_act, p_node_bias, p_n_conns, p_innov, p_src, p_dst, p_w, p_on,
                  c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on)
        if kind[child] != CHILD_COPY:
            _mutate(child, n_inputs, recurrent, rates, activation_options, hidden_activation, link_table,
                    split_table, counters,
                    c_n_nodes, c_node_id, c_node_act, c_node_bias, c_n_conns, c_innov, c_src, c_dst, c_w, c_on)

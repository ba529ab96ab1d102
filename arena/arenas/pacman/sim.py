"""numba kernels of the pacman arena.

The rules (the numpy reference in `reference.py` follows them line by line):

A tick. Pac-Man picks a direction (argmax of its network's four outputs, up down left right,
ties to the lowest; or the scripted greedy rule: the open move nearest a pellet by path) and
moves one cell (speed counters, see `params`): into the chosen cell if open, else on in its
current direction if that is open, else it stays. It eats what lies there: a dot scores 10, a
power pellet 50 and frightens every ghost for `power_ticks` (each ghost reverses; eating ghosts
in that period scores 200, 400, 800, 1600). Then ghosts 0 to 3 move in turn: waiting ones count
down to their release; active ones move at their speed (slower when frightened). A ghost may
not reverse (arcade rule): it takes its chosen move if legal, else goes on if it can, else the
first legal move in arcade order (up, left, down, right), else (a dead end) turns back; doors
are walls to a ghost that has been outside the house (see `level`). A ghost on Pac-Man's cell,
when he arrives or when it does, is eaten if frightened (sent home to wait `respawn_ticks`) and
otherwise catches him, which ends the game (caught as he arrives, the ghosts do not move that
tick). The game also ends when the maze is cleared (bonus `clear_bonus` plus `clear_time_bonus`
times the unused fraction of the time limit), after `starve_ticks` ticks without a pellet, and
at the time limit.

A network's output with a NaN is no decision: a NaN Pac-Man ends his game at once (neither
caught nor cleared), a NaN ghost leaves the game for good (status OUT: it neither moves nor
catches). So broken networks never win anything.

Scripted arcade ghosts: on the arcade's scatter/chase schedule (a change reverses them), each
aims at a target and at each cell takes the legal move whose cell is nearest the target in a
straight line (squared, ties in arcade order). Scatter: a corner outside the maze each (Blinky
top right, Pinky top left, Inky bottom right, Clyde bottom left). Chase: Blinky Pac-Man's cell,
Pinky `pinky_ahead` cells ahead of him, Inky the point twice as far from Blinky as
`inky_ahead` cells ahead of him, Clyde Pac-Man while further than `clyde_radius` away, else
his corner. Frightened, a ghost picks among its legal moves by a hash of the game's seed, the
tick and its number. A ghost in the house first walks (by path) to the house exit.

Fitness: Pac-Man's is his score plus `survival_points` times the fraction of the time limit
he played. The ghosts' (one value a game, for the team) is 1 - min(score, P) / P, P the points
of all pellets, plus 1 - catch tick / time limit if they caught him: both terms in [0, 1].

Observations (float32 in [0, 1]). Each move is judged by the cell it leads to (see
`observe_env`); "toward" reads 1 if that cell is nearer a target by path than the agent is
now, 0.5 as near, 0 further; "closeness" of something d moves away by path is decay ** d
(`near_decay` for ghosts, sharp, so a ghost matters only when near; `far_decay` otherwise).
- Pac-Man, per move (up, down, left, right): open; toward the nearest pellet; closeness of
  the nearest dangerous ghost; of the nearest frightened one; of the nearest power pellet;
  then power time left (fraction).
- ghost: which ghost it is (one-hot, so one network can play all four); per move: legal;
  toward Pac-Man; toward the cell `pinky_ahead_input` ahead of him; closeness of the nearest
  other ghost; then frightened, power time left, closeness of Pac-Man.

Pac-Man's nearest-pellet distances come from a per-game field (distance from every cell to
the nearest pellet), built once when a game enters the kernel and mended when a pellet is
eaten (only the cells that had that pellet as their nearest change: `remove_pellet`).

The constants below are compiled into the cached kernels.
"""

import numpy as np
from numba import get_num_threads, njit, prange

from arena.arenas.pacman.params import PARAMS
from arena.arenas.pacman.state import (
    ACTIVE, ALIVE, CATCH_TICK, CAUGHT, CLEARED, DOT, FIT_GHOST, FIT_PACMAN, G_ACC, G_CELL, G_DIR, G_FRIGHT,
    G_OUTSIDE, G_STATUS, G_WAIT, GHOSTS_EATEN, LAST_EAT_TICK, N_GHOSTS, OUT, PAC_ACC, PAC_CELL, PAC_COL, PAC_DIR,
    PAC_ROW, PELLETS_LEFT, POWER, POWER_LEFT, SCORE, TICK, WAITING,
)
from arena.brains.netbatch import BLOCK, KIND_DENSE, block_buffers, forward_block, forward_graph_one

FAR = np.iinfo(np.int16).max
MOVES = 4
CHUNK = 16  # games a worker takes at once (see `_advance`)
N_PACMAN_INPUTS = 5 * MOVES + 1
N_GHOST_INPUTS = N_GHOSTS + 4 * MOVES + 3
UNIT = PARAMS.speed_unit
PACMAN_SPEED = PARAMS.pacman_speed
GHOST_SPEED = PARAMS.ghost_speed
FRIGHTENED_SPEED = PARAMS.frightened_speed
PELLET_POINTS = PARAMS.pellet_points
POWER_POINTS = PARAMS.power_points
GHOST_POINTS = PARAMS.ghost_points
MAX_DOUBLINGS = PARAMS.max_ghost_doublings
CLEAR_BONUS = PARAMS.clear_bonus
CLEAR_TIME_BONUS = PARAMS.clear_time_bonus
POWER_TICKS = PARAMS.power_ticks
RESPAWN_TICKS = PARAMS.respawn_ticks
STARVE_TICKS = PARAMS.starve_ticks
SURVIVAL_POINTS = PARAMS.survival_points
PINKY_AHEAD_INPUT = PARAMS.pinky_ahead_input
TABLE_SIZE = 256  # closeness tables: decay ** d for d below this, 0 from there on
NEAR_TABLE = (PARAMS.near_decay ** np.arange(TABLE_SIZE)).astype(np.float32)
FAR_TABLE = (PARAMS.far_decay ** np.arange(TABLE_SIZE)).astype(np.float32)
NEAR_TABLE[-1] = FAR_TABLE[-1] = 0.0
CLYDE_RADIUS2 = PARAMS.clyde_radius ** 2
PINKY_AHEAD = PARAMS.pinky_ahead
INKY_AHEAD = PARAMS.inky_ahead
MODE_CHANGES = np.cumsum(PARAMS.schedule).astype(np.int64)  # ticks after which scatter and chase alternate
ARCADE_ORDER = np.array([0, 2, 1, 3], dtype=np.int64)  # up, left, down, right
STEP_ROW = np.array([-1, 1, 0, 0], dtype=np.int64)
STEP_COL = np.array([0, 0, -1, 1], dtype=np.int64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)


def scatter_corners(rows: int, cols: int) -> np.ndarray:
    """int64[4, 2]: (row, column) each ghost heads for in scatter mode, outside the maze."""
    return np.array([[-3, cols - 3], [-3, 2], [rows, cols - 1], [rows, 0]], dtype=np.int64)


def level_arrays(level, max_ticks: int) -> tuple:
    """The level as the tuple the kernels take."""
    return (level.neighbours, level.pac_neighbours, level.door, level.distance, level.pac_distance,
            level.cell_row.astype(np.int64), level.cell_col.astype(np.int64), level.power_cells.astype(np.int64),
            level.ghost_starts.astype(np.int64), level.inside, scatter_corners(level.rows, level.cols),
            np.int64(level.exit_cell), np.int64(level.rows), np.int64(max_ticks), np.int64(level.pellet_points))


@njit(cache=True, inline="always")
def mix(seed, counter):
    """splitmix64 of `seed` at position `counter` (both uint64): the counter-based hash behind
    every random choice, written identically in the reference."""
    z = seed + (counter + _ONE) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def chasing(t):
    """Whether scripted ghosts chase (else scatter) on tick t (1-based)."""
    phase = 0
    for k in range(MODE_CHANGES.shape[0]):
        if MODE_CHANGES[k] < t:
            phase += 1
    return phase % 2 == 1


@njit(cache=True, inline="always")
def argmax4(out, col):
    """The index of the largest of out[0:4, col], ties to the lowest; -1 if any is NaN.
    Written with selects: network outputs are noise to the branch predictor."""
    o0 = out[0, col]
    o1 = out[1, col]
    o2 = out[2, col]
    o3 = out[3, col]
    k = 0
    best = o0
    k = 1 if o1 > best else k
    best = o1 if o1 > best else best
    k = 2 if o2 > best else k
    best = o2 if o2 > best else best
    k = 3 if o3 > best else k
    nan = (o0 != o0) | (o1 != o1) | (o2 != o2) | (o3 != o3)
    return -1 if nan else k


@njit(cache=True, inline="always")
def ghost_can(lv, cell, rev, outside, d):
    """Whether a ghost on `cell` that may not take `rev` can move in direction d.

    Branch-free (`&` rather than `and`; a wall's -1 reads door[0], masked anyway): which way a
    ghost can go is a coin toss to the branch predictor, and this runs 16 times a game a tick.
    """
    neighbours, door = lv[0], lv[2]
    m = neighbours[cell, d]
    return (m >= 0) & (d != rev) & ~(outside & door[max(m, 0)])


@njit(cache=True, inline="always")
def turn_back(lv, cell, rev, outside):
    """A ghost's last resort: its reverse move if that is open to it, else -1 (it stays)."""
    back = (rev >= 0) & ghost_can(lv, cell, -1, outside, max(rev, 0))
    return rev if back else -1


@njit(cache=True, inline="always")
def ghost_options(lv, cell, direction, outside):
    """(legal up, down, left, right (bools), fallback): a ghost's legal moves, and the move it
    makes when it asks for an illegal one (on if it can, else the first legal move in arcade
    order, else back; -1: none)."""
    rev = direction ^ 1 if direction >= 0 else -1
    up = ghost_can(lv, cell, rev, outside, 0)
    down = ghost_can(lv, cell, rev, outside, 1)
    left = ghost_can(lv, cell, rev, outside, 2)
    right = ghost_can(lv, cell, rev, outside, 3)
    on = (direction == 0) & up | (direction == 1) & down | (direction == 2) & left | (direction == 3) & right
    first = 0 if up else 2 if left else 1 if down else 3 if right else -1
    fallback = direction if on else first if first >= 0 else turn_back(lv, cell, rev, outside)
    return up, down, left, right, fallback


@njit(cache=True, inline="always")
def ghost_resolve(lv, cell, direction, outside, want):
    """The move a network ghost makes when it asks for `want` (see the module docstring)."""
    up, down, left, right, fallback = ghost_options(lv, cell, direction, outside)
    legal = up if want == 0 else down if want == 1 else left if want == 2 else right
    return want if legal else fallback


@njit(cache=True, inline="always")
def ghost_scripted(lv, count, ghost, seed, e, g, t, chase):
    """The move of arcade ghost g of game e on tick t, chasing or scattering (see the module docstring)."""
    neighbours, door, distance, cell_row, cell_col = lv[0], lv[2], lv[3], lv[5], lv[6]
    corners, exit_cell = lv[10], lv[11]
    cell = ghost[e, g, G_CELL]
    direction = ghost[e, g, G_DIR]
    outside = ghost[e, g, G_OUTSIDE] != 0
    rev = direction ^ 1 if direction >= 0 else -1
    # The legal moves' cells, in arcade order (-1: not legal).
    m0 = neighbours[cell, 0]
    m1 = neighbours[cell, 2]
    m2 = neighbours[cell, 1]
    m3 = neighbours[cell, 3]
    m0 = m0 if (m0 >= 0) & (rev != 0) & ~(outside & door[max(m0, 0)]) else -1
    m1 = m1 if (m1 >= 0) & (rev != 2) & ~(outside & door[max(m1, 0)]) else -1
    m2 = m2 if (m2 >= 0) & (rev != 1) & ~(outside & door[max(m2, 0)]) else -1
    m3 = m3 if (m3 >= 0) & (rev != 3) & ~(outside & door[max(m3, 0)]) else -1
    n_legal = (m0 >= 0) + (m1 >= 0) + (m2 >= 0) + (m3 >= 0)
    if n_legal == 0:
        return turn_back(lv, cell, rev, outside)
    if outside and ghost[e, g, G_FRIGHT] != 0:
        pick = np.int64(mix(seed[e], np.uint64(t * N_GHOSTS + g)) % np.uint64(n_legal))
        for k in range(MOVES):
            m = m0 if k == 0 else m1 if k == 1 else m2 if k == 2 else m3
            if m >= 0:
                if pick == 0:
                    return ARCADE_ORDER[k]
                pick -= 1
    if outside:
        pac = count[e, PAC_CELL]
        pr = cell_row[pac]
        pc = cell_col[pac]
        pd = count[e, PAC_DIR]
        dr = STEP_ROW[pd] if pd >= 0 else 0
        dc = STEP_COL[pd] if pd >= 0 else 0
        tr = corners[g, 0]
        tc = corners[g, 1]
        if chase:
            if g == 0:
                tr, tc = pr, pc
            elif g == 1:
                tr, tc = pr + PINKY_AHEAD * dr, pc + PINKY_AHEAD * dc
            elif g == 2:
                blinky = ghost[e, 0, G_CELL]
                tr = 2 * (pr + INKY_AHEAD * dr) - cell_row[blinky]
                tc = 2 * (pc + INKY_AHEAD * dc) - cell_col[blinky]
            else:
                gr = cell_row[cell] - pr
                gc = cell_col[cell] - pc
                if gr * gr + gc * gc > CLYDE_RADIUS2:
                    tr, tc = pr, pc
    best = np.int64(1) << 62
    best_k = 0
    for k in range(MOVES):
        m = m0 if k == 0 else m1 if k == 1 else m2 if k == 2 else m3
        if m < 0:
            continue
        if outside:
            a = cell_row[m] - tr
            b = cell_col[m] - tc
            v = a * a + b * b
        else:  # leaving home: by path to the exit
            v = np.int64(distance[exit_cell, m])
        if v < best:
            best = v
            best_k = k
    return ARCADE_ORDER[best_k]


@njit(cache=True, inline="always")
def pacman_greedy(lv, field, pac):
    """The scripted Pac-Man's move: the open one whose cell is nearest a pellet (ties to the lowest)."""
    pac_neighbours = lv[1]
    best = np.int64(FAR) + 1
    best_d = 0
    for d in range(MOVES):
        m = pac_neighbours[pac, d]
        if m >= 0 and np.int64(field[m]) < best:
            best = np.int64(field[m])
            best_d = d
    return best_d


@njit(cache=True)
def build_field(pac_neighbours, pellet_row, field, queue):
    """field[c] (int16) = path distance from cell c to the nearest pellet of `pellet_row`, FAR if none."""
    n = pac_neighbours.shape[0]
    tail = 0
    for c in range(n):
        if pellet_row[c] != 0:
            field[c] = 0
            queue[tail] = c
            tail += 1
        else:
            field[c] = FAR
    head = 0
    while head < tail:
        c = queue[head]
        head += 1
        v = field[c] + 1
        for d in range(MOVES):
            m = pac_neighbours[c, d]
            if m >= 0 and field[m] == FAR:
                field[m] = v
                queue[tail] = m
                tail += 1


@njit(cache=True)
def remove_pellet(pac_neighbours, pac_distance, p, field, work):
    """Mend `field` after the pellet on cell p is eaten.

    Only the cells whose field equals their distance to p can change (p was one of their
    nearest pellets); they form a connected region around p (along a shortest path to p every
    cell is one of them). One pass over the region finds it and, for each of its cells, the best
    value its neighbours outside offer (they keep theirs); a bucketed breadth-first search
    (Dial's algorithm) then spreads those values inside the region. O(region), not O(maze).
    work: (queue int64[n + 1], mark uint8[n] all zero, head int64[n + 1], entry_cell int64[5n],
    entry_next int64[5n], value int64[n]); mark is left all zero again.
    """
    queue, mark, head, entry_cell, entry_next, value = work
    far = np.int64(FAR)
    from_p = pac_distance[p]  # distances are symmetric: p's row, read in order, rather than its column
    queue[0] = p
    mark[p] = 1
    size = 1
    i = 0
    base = far
    while i < size:
        c = queue[i]
        i += 1
        best = far
        for d in range(MOVES):  # branch-free (see `ghost_can`): a wall's -1 reads cell 0, masked
            m = pac_neighbours[c, d]
            mm = max(m, 0)
            region = (m >= 0) & (field[mm] == from_p[mm])
            grow = region & (mark[mm] == 0)
            mark[mm] |= grow
            queue[size] = mm
            size += grow
            best = min(best, np.int64(field[mm]) + 1 if (m >= 0) & ~region else far)
        value[c] = best
        base = min(base, best)
    if base < far:
        for k in range(size + 1):
            head[k] = -1
        n_entries = 0
        for j in range(size):
            c = queue[j]
            if value[c] < far:
                k = value[c] - base
                entry_cell[n_entries] = c
                entry_next[n_entries] = head[k]
                head[k] = n_entries
                n_entries += 1
        for k in range(size):
            entry = head[k]
            while entry >= 0:
                c = entry_cell[entry]
                entry = entry_next[entry]
                if value[c] != base + k:
                    continue  # a stale entry: c was lowered after it was filed here
                v = base + k + 1
                for d in range(MOVES):
                    m = pac_neighbours[c, d]
                    if m >= 0 and mark[m] != 0 and value[m] > v:
                        value[m] = v
                        entry_cell[n_entries] = m
                        entry_next[n_entries] = head[k + 1]
                        head[k + 1] = n_entries
                        n_entries += 1
    for j in range(size):
        c = queue[j]
        field[c] = value[c]
        mark[c] = 0


def new_work(n_cells: int) -> tuple:
    """Scratch for `remove_pellet` (its first array is a queue for `build_field` too)."""
    return _work(n_cells)


@njit(cache=True)
def _work(n):
    """Scratch for `remove_pellet`, then int64[4] for `step_env`'s ghost wishes."""
    return (np.empty(n + 1, dtype=np.int64), np.zeros(n, dtype=np.uint8), np.empty(n + 1, dtype=np.int64),
            np.empty(5 * n, dtype=np.int64), np.empty(5 * n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.zeros(N_GHOSTS, dtype=np.int64))


@njit(cache=True, inline="always")
def near_input(d):
    return NEAR_TABLE[min(np.int64(d), TABLE_SIZE - 1)]


@njit(cache=True, inline="always")
def far_input(d):
    return FAR_TABLE[min(np.int64(d), TABLE_SIZE - 1)]


@njit(cache=True, inline="always")
def toward_input(before, after):
    """1 if a move takes an agent closer to a target (distance `before` -> `after`), 0.5 if no
    nearer or further, 0 if further."""
    diff = min(max(np.int64(before) - np.int64(after), -1), 1)
    return np.float32(0.5 + 0.5 * diff)


@njit(cache=True, inline="always")
def nearest(distance, m, c0, c1, c2, c3, k0, k1, k2, k3):
    """The least of distance[c_i, m] over the i with k_i true (FAR if none): four ghosts' cells
    and which of them count, in registers (a loop over the state array would reload them after
    every store into the inputs, which numba cannot prove apart)."""
    far = np.int64(FAR)
    best = np.int64(distance[c0, m]) if k0 else far  # selects, not branches (see `ghost_can`)
    best = min(best, np.int64(distance[c1, m]) if k1 else far)
    best = min(best, np.int64(distance[c2, m]) if k2 else far)
    return min(best, np.int64(distance[c3, m]) if k3 else far)


@njit(cache=True)
def _write_identities(x_g, lanes):
    """The one-hot ghost numbers of ghost inputs x_g[:, 4 b + g], b < lanes (they never change)."""
    for c in range(N_GHOSTS * lanes):
        for h in range(N_GHOSTS):
            x_g[h, c] = 1.0 if h == c % N_GHOSTS else 0.0


@njit(cache=True, inline="always")
def observe_env(lv, count, ghost, pellet, e, field, x_p, x_g, col, pacman, ghosts, identities):
    """Write game e's inputs: Pac-Man's into x_p[:, col] (if `pacman`), ghost g's into
    x_g[:, 4 col + g] (if `ghosts`; their one-hot numbers only if `identities`). Each move is
    judged by the cell it leads to: for a move into a wall, the one Pac-Man goes on to (or his
    own), for an illegal ghost move the one `ghost_resolve` gives instead."""
    neighbours, pac_neighbours, distance, pac_distance, power_cells = lv[0], lv[1], lv[3], lv[4], lv[7]
    pac = count[e, PAC_CELL]
    heading = count[e, PAC_DIR]
    power_left = np.float32(count[e, POWER_LEFT] / POWER_TICKS)
    c0, c1, c2, c3 = ghost[e, 0, G_CELL], ghost[e, 1, G_CELL], ghost[e, 2, G_CELL], ghost[e, 3, G_CELL]
    k0, k1 = ghost[e, 0, G_STATUS] != OUT, ghost[e, 1, G_STATUS] != OUT
    k2, k3 = ghost[e, 2, G_STATUS] != OUT, ghost[e, 3, G_STATUS] != OUT
    if pacman:
        f0, f1 = ghost[e, 0, G_FRIGHT] != 0, ghost[e, 1, G_FRIGHT] != 0
        f2, f3 = ghost[e, 2, G_FRIGHT] != 0, ghost[e, 3, G_FRIGHT] != 0
        onward = pac_neighbours[pac, heading] if heading >= 0 else -1
        onward = onward if onward >= 0 else pac
        here = field[pac]
        for d in range(MOVES):
            m = pac_neighbours[pac, d]
            x_p[d, col] = 1.0 if m >= 0 else 0.0
            m = m if m >= 0 else onward
            danger = nearest(distance, m, c0, c1, c2, c3, k0 & ~f0, k1 & ~f1, k2 & ~f2, k3 & ~f3)
            prey = nearest(distance, m, c0, c1, c2, c3, k0 & f0, k1 & f1, k2 & f2, k3 & f3)
            power = np.int64(FAR)
            for k in range(power_cells.shape[0]):
                q = power_cells[k]
                power = min(power, np.int64(pac_distance[q, m]) if pellet[e, q] == POWER else np.int64(FAR))
            x_p[MOVES + d, col] = toward_input(here, field[m])
            x_p[2 * MOVES + d, col] = near_input(danger)
            x_p[3 * MOVES + d, col] = near_input(prey)
            x_p[4 * MOVES + d, col] = far_input(power)
        x_p[5 * MOVES, col] = power_left
    if ghosts:
        ahead = pac
        if heading >= 0:
            for _ in range(PINKY_AHEAD_INPUT):
                m = pac_neighbours[ahead, heading]
                if m < 0:
                    break
                ahead = m
        for g in range(N_GHOSTS):
            c = N_GHOSTS * col + g
            if identities:
                for h in range(N_GHOSTS):
                    x_g[h, c] = 1.0 if h == g else 0.0
            cell = ghost[e, g, G_CELL]
            direction = ghost[e, g, G_DIR]
            outside = ghost[e, g, G_OUTSIDE] != 0
            to_pac = distance[pac, cell]
            to_ahead = distance[ahead, cell]
            up, down, left, right, fallback = ghost_options(lv, cell, direction, outside)
            instead = neighbours[cell, fallback] if fallback >= 0 else cell
            for d in range(MOVES):
                legal = up if d == 0 else down if d == 1 else left if d == 2 else right
                x_g[N_GHOSTS + d, c] = 1.0 if legal else 0.0
                m = neighbours[cell, d] if legal else instead
                crowd = nearest(distance, m, c0, c1, c2, c3, k0 & (g != 0), k1 & (g != 1), k2 & (g != 2), k3 & (g != 3))
                x_g[N_GHOSTS + MOVES + d, c] = toward_input(to_pac, distance[pac, m])
                x_g[N_GHOSTS + 2 * MOVES + d, c] = toward_input(to_ahead, distance[ahead, m])
                x_g[N_GHOSTS + 3 * MOVES + d, c] = near_input(crowd)
            x_g[N_GHOSTS + 4 * MOVES, c] = np.float32(ghost[e, g, G_FRIGHT])
            x_g[N_GHOSTS + 4 * MOVES + 1, c] = power_left
            x_g[N_GHOSTS + 4 * MOVES + 2, c] = far_input(to_pac)


@njit(cache=True, inline="always")
def send_home(lv, ghost, e, g):
    """An eaten ghost: back on its start cell, waiting `respawn_ticks`, no longer frightened."""
    starts, inside = lv[8], lv[9]
    ghost[e, g, G_CELL] = starts[g]
    ghost[e, g, G_DIR] = -1
    ghost[e, g, G_ACC] = 0
    ghost[e, g, G_STATUS] = WAITING
    ghost[e, g, G_WAIT] = RESPAWN_TICKS
    ghost[e, g, G_FRIGHT] = 0
    ghost[e, g, G_OUTSIDE] = 0 if inside[starts[g]] else 1


@njit(cache=True, inline="always")
def collide(lv, count, ghost, e, pac):
    """Ghosts on Pac-Man's cell, ghost 0 first: a frightened one is eaten (and sent home), any
    other catches him. Returns whether he was caught."""
    for g in range(N_GHOSTS):
        if ghost[e, g, G_STATUS] == OUT or ghost[e, g, G_CELL] != pac:
            continue
        if ghost[e, g, G_FRIGHT] == 0:
            return True
        count[e, SCORE] += GHOST_POINTS << min(count[e, GHOSTS_EATEN], MAX_DOUBLINGS)
        count[e, GHOSTS_EATEN] += 1
        send_home(lv, ghost, e, g)
    return False


@njit(cache=True, inline="always")
def score_fitness(lv, count, flag, real, e, t):
    max_ticks, pellet_points = lv[13], lv[14]
    score = count[e, SCORE]
    real[e, FIT_PACMAN] = np.float64(score) + SURVIVAL_POINTS * (np.float64(t) / max_ticks)
    allowed = np.float64(min(score, pellet_points)) / pellet_points
    caught = 1.0 - np.float64(count[e, CATCH_TICK]) / max_ticks if flag[e, CAUGHT] else 0.0
    real[e, FIT_GHOST] = (1.0 - allowed) + caught


@njit(cache=True, inline="always")
def step_env(lv, count, ghost, pellet, flag, real, seed, e, field, work, out_p, out_g, col, pacman, ghosts):
    """One tick of game e (if running). Network outputs: Pac-Man's out_p[:, col] (if `pacman`,
    else the greedy rule), ghost g's out_g[:, 4 col + g] (if `ghosts`, else arcade ghosts).
    `field` is the game's nearest-pellet field, mended here when a pellet is eaten; work: the
    scratch of `remove_pellet` and int64[4] for the ghosts' wishes (`new_work`)."""
    neighbours, pac_neighbours, pac_distance = lv[0], lv[1], lv[4]
    inside, max_ticks = lv[9], lv[13]
    if not flag[e, ALIVE]:
        return
    t = count[e, TICK] + 1
    count[e, TICK] = t
    pac = count[e, PAC_CELL]
    wants = work[6]
    if pacman:
        want = argmax4(out_p, col)
        if want < 0:
            flag[e, ALIVE] = False
            score_fitness(lv, count, flag, real, e, t)
            return
    else:
        want = pacman_greedy(lv, field, pac)
    if ghosts:
        for g in range(N_GHOSTS):
            if ghost[e, g, G_STATUS] != OUT:
                wants[g] = argmax4(out_g, N_GHOSTS * col + g)
                if wants[g] < 0:
                    ghost[e, g, G_STATUS] = OUT

    # Pac-Man moves and eats.
    acc = count[e, PAC_ACC] + PACMAN_SPEED
    if acc >= UNIT:
        acc -= UNIT
        m = pac_neighbours[pac, want]
        if m >= 0:
            pac = m
            count[e, PAC_DIR] = want
        else:
            d = count[e, PAC_DIR]
            if d >= 0 and pac_neighbours[pac, d] >= 0:
                pac = pac_neighbours[pac, d]
    count[e, PAC_ACC] = acc
    count[e, PAC_CELL] = pac
    count[e, PAC_ROW] = lv[5][pac]
    count[e, PAC_COL] = lv[6][pac]
    kind = pellet[e, pac]
    if kind != 0:
        pellet[e, pac] = 0
        count[e, PELLETS_LEFT] -= 1
        count[e, LAST_EAT_TICK] = t
        remove_pellet(pac_neighbours, pac_distance, pac, field, work[:6])
        if kind == DOT:
            count[e, SCORE] += PELLET_POINTS
        else:
            count[e, SCORE] += POWER_POINTS
            count[e, POWER_LEFT] = POWER_TICKS
            count[e, GHOSTS_EATEN] = 0
            for g in range(N_GHOSTS):
                if ghost[e, g, G_STATUS] != OUT:
                    ghost[e, g, G_FRIGHT] = 1
                    if ghost[e, g, G_DIR] >= 0:
                        ghost[e, g, G_DIR] ^= 1
    if not ghosts:
        for k in range(MODE_CHANGES.shape[0]):
            if MODE_CHANGES[k] + 1 == t:
                for g in range(N_GHOSTS):
                    if ghost[e, g, G_STATUS] == ACTIVE and ghost[e, g, G_FRIGHT] == 0 and ghost[e, g, G_DIR] >= 0:
                        ghost[e, g, G_DIR] ^= 1

    # Collisions as Pac-Man arrives, then as the ghosts do (so neither can pass through the other).
    caught = collide(lv, count, ghost, e, pac)
    if not caught:
        chase = chasing(t)
        for g in range(N_GHOSTS):
            status = ghost[e, g, G_STATUS]
            if status == OUT:
                continue
            if status == WAITING:
                if ghost[e, g, G_WAIT] > 0:
                    ghost[e, g, G_WAIT] -= 1
                    continue
                ghost[e, g, G_STATUS] = ACTIVE
            acc = ghost[e, g, G_ACC] + (FRIGHTENED_SPEED if ghost[e, g, G_FRIGHT] != 0 else GHOST_SPEED)
            if acc < UNIT:
                ghost[e, g, G_ACC] = acc
                continue
            ghost[e, g, G_ACC] = acc - UNIT
            if ghosts:
                d = ghost_resolve(lv, ghost[e, g, G_CELL], ghost[e, g, G_DIR], ghost[e, g, G_OUTSIDE] != 0, wants[g])
            else:
                d = ghost_scripted(lv, count, ghost, seed, e, g, t, chase)
            if d >= 0:
                cell = neighbours[ghost[e, g, G_CELL], d]
                ghost[e, g, G_CELL] = cell
                ghost[e, g, G_DIR] = d
                if not inside[cell]:
                    ghost[e, g, G_OUTSIDE] = 1
        caught = collide(lv, count, ghost, e, pac)

    if count[e, POWER_LEFT] > 0:
        count[e, POWER_LEFT] -= 1
        if count[e, POWER_LEFT] == 0:
            for g in range(N_GHOSTS):
                ghost[e, g, G_FRIGHT] = 0

    if caught:
        flag[e, CAUGHT] = True
        flag[e, ALIVE] = False
        count[e, CATCH_TICK] = t
    elif count[e, PELLETS_LEFT] == 0:
        flag[e, CLEARED] = True
        flag[e, ALIVE] = False
        count[e, SCORE] += CLEAR_BONUS + CLEAR_TIME_BONUS * max(max_ticks - t, 0) // max_ticks
    elif t - count[e, LAST_EAT_TICK] >= STARVE_TICKS or t >= max_ticks:
        flag[e, ALIVE] = False
    score_fitness(lv, count, flag, real, e, t)


@njit(cache=True)
def _games(lv, count, ghost, pellet, flag, real, seed, net_p, net_g, width_p, width_g, pacman, ghosts,
           n_ticks, trail, trail_every, envs, first, stride):
    """Run the games of chunks first, first + stride, ... of `envs` (CHUNK games a chunk) for up to
    n_ticks ticks each (to their ends, if sooner), BLOCK at a time in lanes: the running games
    stay packed in the first lanes (a game that stops leaves its lane to the last one), free lanes
    take the next game. Dense
    networks keep their weights beside their lanes (Pac-Man's in lane b, ghost g's in column
    4 b + g), so their forward pass runs vectorised over lanes; graph networks run one at a time.
    """
    n_cells = lv[0].shape[0]
    lanes = BLOCK
    lane_env = np.zeros(lanes, dtype=np.int64)
    lane_left = np.zeros(lanes, dtype=np.int64)
    lane_slot = np.arange(lanes)
    fields = np.empty((lanes, n_cells), dtype=np.int16)
    work = _work(n_cells)
    dense_p = pacman and net_p[0] == KIND_DENSE
    dense_g = ghosts and net_g[0] == KIND_DENSE
    weights_p = net_p[1]
    weights_g = net_g[1]
    local_p = np.empty((weights_p.shape[0] if dense_p else 0, lanes), dtype=np.float32)
    local_g = np.empty((weights_g.shape[0] if dense_g else 0, N_GHOSTS * lanes), dtype=np.float32)
    lane_net_p = (net_p[0], local_p) + net_p[2:]
    lane_net_g = (net_g[0], local_g) + net_g[2:]
    x_p, out_p, a_p, b_p = block_buffers(N_PACMAN_INPUTS, MOVES, width_p, lanes)
    x_g, out_g, a_g, b_g = block_buffers(N_GHOST_INPUTS, MOVES, width_g, N_GHOSTS * lanes)
    _write_identities(x_g, lanes)
    values = np.zeros(max(width_p, width_g), dtype=np.float32)
    n_envs = envs.shape[0]
    k_next = first * CHUNK
    k_end = min(k_next + CHUNK, n_envs)
    running = 0
    while True:
        while running < lanes and k_next < n_envs:
            e = envs[k_next]
            k_next += 1
            if k_next == k_end:
                k_next += (stride - 1) * CHUNK
                k_end = min(k_next + CHUNK, n_envs)
            b = running
            lane_env[b] = e
            lane_left[b] = n_ticks
            build_field(lv[1], pellet[e], fields[lane_slot[b]], work[0])
            if dense_p:
                local_p[:, b] = weights_p[:, e]
            if dense_g:
                for g in range(N_GHOSTS):
                    local_g[:, N_GHOSTS * b + g] = weights_g[:, N_GHOSTS * e + g]
            running += 1
        if running == 0:
            break
        for b in range(running):
            observe_env(lv, count, ghost, pellet, lane_env[b], fields[lane_slot[b]], x_p, x_g, b, pacman, ghosts, False)
        if pacman:
            if dense_p:
                forward_block(lane_net_p, 0, running, x_p[:N_PACMAN_INPUTS], out_p, a_p, b_p)
            else:
                for b in range(running):
                    forward_graph_one(net_p, lane_env[b], x_p[:N_PACMAN_INPUTS], b, out_p, values)
        if ghosts:
            if dense_g:
                forward_block(lane_net_g, 0, N_GHOSTS * running, x_g[:N_GHOST_INPUTS], out_g, a_g, b_g)
            else:
                for b in range(running):
                    for g in range(N_GHOSTS):
                        forward_graph_one(net_g, N_GHOSTS * lane_env[b] + g, x_g[:N_GHOST_INPUTS],
                                          N_GHOSTS * b + g, out_g, values)
        for b in range(running):
            step_env(lv, count, ghost, pellet, flag, real, seed, lane_env[b], fields[lane_slot[b]], work,
                     out_p, out_g, b, pacman, ghosts)
        # Downwards, so that the lane moved into a stopped one is one already looked at.
        for b in range(running - 1, -1, -1):
            e = lane_env[b]
            t = count[e, TICK]
            if trail_every > 0 and t % trail_every == 0 and t // trail_every < trail.shape[1]:
                trail[e, t // trail_every, 0] = np.float32(count[e, PAC_COL] + 0.5)
                trail[e, t // trail_every, 1] = np.float32(-(count[e, PAC_ROW] + 0.5))
            lane_left[b] -= 1
            if flag[e, ALIVE] and lane_left[b] > 0:
                continue
            running -= 1
            if b != running:
                lane_env[b] = lane_env[running]
                lane_left[b] = lane_left[running]
                slot = lane_slot[b]
                lane_slot[b] = lane_slot[running]
                lane_slot[running] = slot
                if dense_p:
                    local_p[:, b] = local_p[:, running]
                if dense_g:
                    for g in range(N_GHOSTS):
                        local_g[:, N_GHOSTS * b + g] = local_g[:, N_GHOSTS * running + g]


@njit(cache=True, parallel=True, nogil=True)  # nogil: a window keeps drawing while a rollout runs
def _advance(lv, count, ghost, pellet, flag, real, seed, net_p, net_g, width_p, width_g, pacman, ghosts,
             n_ticks, trail, trail_every, envs, n_workers):
    """`_games` over `n_workers` workers: worker w takes chunks w, w + n_workers, ... of `envs`.

    Games are updated in place in the state arrays, so workers take runs of neighbouring games
    (not every other one, which would have both cores writing the same cache lines each tick);
    chunks dealt in turn keep the workers about equally busy.
    """
    for worker in prange(n_workers):
        _games(lv, count, ghost, pellet, flag, real, seed, net_p, net_g, width_p, width_g, pacman, ghosts,
               n_ticks, trail, trail_every, envs, np.int64(worker), np.int64(n_workers))


def advance_kernel(lv, state, net_p, net_g, width_p, width_g, pacman, ghosts, n_ticks, trail, trail_every):
    """Up to `n_ticks` ticks of every running game of `state`, in place: what `observe_kernel`,
    the forward passes and `step_kernel` do tick by tick, fused, with the same result bit for bit.

    net_p, net_g: `NetBatch.arrays()` tuples (the caller keeps them: recurrent nets remember),
    used if `pacman` / `ghosts` (else the scripted policies play; pass any arrays tuple).
    trail: float32[n, m, 2]; after tick t, t a multiple of `trail_every`, Pac-Man's position
    goes to trail[game, t // trail_every] while that is below m. The thread count is read here
    because numba cannot cache a kernel that asks for it.
    """
    envs = np.flatnonzero(state.flag[:, ALIVE]).astype(np.int64)
    if envs.shape[0] == 0:
        return
    _advance(lv, state.count, state.ghost, state.pellet, state.flag, state.real, state.seed, net_p, net_g,
             np.int64(width_p), np.int64(width_g), bool(pacman), bool(ghosts), np.int64(n_ticks), trail,
             np.int64(trail_every), envs, max(1, min(get_num_threads(), envs.shape[0])))


@njit(cache=True, parallel=True)
def _observe(lv, count, ghost, pellet, flag, obs_p, obs_g):
    n = count.shape[0]
    n_cells = lv[0].shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        field = np.empty(n_cells, dtype=np.int16)
        queue = np.empty(n_cells, dtype=np.int64)
        for e in range(blk * BLOCK, min(blk * BLOCK + BLOCK, n)):
            if flag[e, ALIVE]:
                build_field(lv[1], pellet[e], field, queue)
                observe_env(lv, count, ghost, pellet, e, field, obs_p.T, obs_g.T, e, True, True, True)


def observe_kernel(lv, state):
    """({'pacman': float32[n, N_PACMAN_INPUTS], 'ghost': float32[4 n, N_GHOST_INPUTS]}), rows of
    stopped games zero."""
    n = state.count.shape[0]
    obs_p = np.zeros((n, N_PACMAN_INPUTS), dtype=np.float32)
    obs_g = np.zeros((N_GHOSTS * n, N_GHOST_INPUTS), dtype=np.float32)
    _observe(lv, state.count, state.ghost, state.pellet, state.flag, obs_p, obs_g)
    return {"pacman": obs_p, "ghost": obs_g}


@njit(cache=True, parallel=True)
def _step(lv, count, ghost, pellet, flag, real, seed, act_p, act_g, pacman, ghosts):
    n = count.shape[0]
    n_cells = lv[0].shape[0]
    for blk in prange((n + BLOCK - 1) // BLOCK):
        field = np.empty(n_cells, dtype=np.int16)
        work = _work(n_cells)
        for e in range(blk * BLOCK, min(blk * BLOCK + BLOCK, n)):
            if flag[e, ALIVE]:
                build_field(lv[1], pellet[e], field, work[0])
                step_env(lv, count, ghost, pellet, flag, real, seed, e, field, work, act_p.T, act_g.T, e,
                         pacman, ghosts)


def step_kernel(lv, state, act_p, act_g):
    """One tick of every running game; act_p float32[n, 4] or None (greedy Pac-Man), act_g
    float32[4 n, 4] or None (arcade ghosts)."""
    n = state.count.shape[0]
    pacman, ghosts = act_p is not None, act_g is not None
    act_p = np.ascontiguousarray(act_p, dtype=np.float32) if pacman else np.zeros((n, MOVES), dtype=np.float32)
    act_g = (np.ascontiguousarray(act_g, dtype=np.float32) if ghosts
             else np.zeros((N_GHOSTS * n, MOVES), dtype=np.float32))
    if act_p.shape != (n, MOVES) or act_g.shape != (N_GHOSTS * n, MOVES):
        raise ValueError(f"actions of shapes {act_p.shape} and {act_g.shape} for {n} games")
    _step(lv, state.count, state.ghost, state.pellet, state.flag, state.real, state.seed, act_p, act_g,
          pacman, ghosts)

"""Plain numpy twin of the pacman kernels, vectorised over games (the four ghosts in turn).

Used by the tests (the kernels must follow it tick by tick) and as the baseline of the
benchmark. Where the kernels keep a nearest-pellet field per game, this takes the minimum of
the all-pairs distance table over the pellets left, which is what the field holds.
"""

import numpy as np

from arena.arenas.base import SCRIPTED
from arena.arenas.pacman import sim
from arena.arenas.pacman.state import (
    ACTIVE, ALIVE, CATCH_TICK, CAUGHT, CLEARED, DOT, FIT_GHOST, FIT_PACMAN, G_ACC, G_CELL, G_DIR, G_FRIGHT,
    G_OUTSIDE, G_STATUS, G_WAIT, GHOSTS_EATEN, LAST_EAT_TICK, N_GHOSTS, OUT, PAC_ACC, PAC_CELL, PAC_COL, PAC_DIR,
    PAC_ROW, PELLETS_LEFT, POWER, POWER_LEFT, SCORE, TICK, WAITING, PacmanState, new_state,
)
from arena.brains.mlp import forward_numpy

FAR = sim.FAR
MOVES = np.arange(4)
ARCADE = sim.ARCADE_ORDER


def reset(level, n_envs: int, seeds=None) -> PacmanState:
    return new_state(level, n_envs, seeds)


def _near_input(d):
    return sim.NEAR_TABLE[np.minimum(d, sim.TABLE_SIZE - 1)]


def _far_input(d):
    return sim.FAR_TABLE[np.minimum(d, sim.TABLE_SIZE - 1)]


def _toward_input(before, after):
    diff = np.clip(before.astype(np.int64) - after.astype(np.int64), -1, 1)
    return (0.5 + 0.5 * diff).astype(np.float32)


def nearest_pellet(level, pellet, cells):
    """int64[k, m]: path distance from cells[i, j] to the nearest pellet of pellet[i] (FAR if none)."""
    return np.where(pellet[:, None, :] != 0, level.pac_distance[cells], FAR).min(axis=2).astype(np.int64)


def _ghost_can(level, cell, rev, outside, d):
    """bool[k]: whether ghosts on `cell` (int64[k]) that may not take `rev` can move in direction d (int64[k])."""
    m = level.neighbours[cell, d]
    return (m >= 0) & (d != rev) & ~(outside & level.door[np.maximum(m, 0)])


def _reverse(direction):
    return np.where(direction >= 0, direction ^ 1, -1)


def observe(level, state: PacmanState) -> dict:
    n = state.count.shape[0]
    obs_p = np.zeros((n, sim.N_PACMAN_INPUTS), dtype=np.float32)
    obs_g = np.zeros((n, N_GHOSTS, sim.N_GHOST_INPUTS), dtype=np.float32)
    run = np.flatnonzero(state.flag[:, ALIVE])
    if run.size:
        count, ghost, pellet = state.count[run], state.ghost[run], state.pellet[run]
        pac = count[:, PAC_CELL]
        heading = count[:, PAC_DIR]
        power_left = (count[:, POWER_LEFT] / sim.POWER_TICKS).astype(np.float32)
        cells = ghost[:, :, G_CELL]
        present = ghost[:, :, G_STATUS] != OUT
        fright = ghost[:, :, G_FRIGHT] != 0

        # Pac-Man: a move into a wall leads on in his direction, or nowhere.
        onward = np.where(heading >= 0, level.pac_neighbours[pac, np.maximum(heading, 0)], -1)
        onward = np.where(onward >= 0, onward, pac)
        m = level.pac_neighbours[pac]
        legal = m >= 0
        m = np.where(legal, m, onward[:, None])
        here = nearest_pellet(level, pellet, pac[:, None])[:, 0]
        near = nearest_pellet(level, pellet, m)
        to_ghosts = level.distance[cells[:, None, :], m[:, :, None]].astype(np.int64)  # [k, move, ghost]
        danger = np.where((present & ~fright)[:, None, :], to_ghosts, FAR).min(axis=2)
        prey = np.where((present & fright)[:, None, :], to_ghosts, FAR).min(axis=2)
        power = np.full(m.shape, FAR, dtype=np.int64)
        if level.power_cells.size:
            to_power = level.pac_distance[level.power_cells[None, None, :], m[:, :, None]]
            there = pellet[:, level.power_cells] == POWER
            power = np.where(there[:, None, :], to_power, FAR).min(axis=2).astype(np.int64)
        obs_p[run, 0:4] = legal
        obs_p[run, 4:8] = _toward_input(here[:, None], near)
        obs_p[run, 8:12] = _near_input(danger)
        obs_p[run, 12:16] = _near_input(prey)
        obs_p[run, 16:20] = _far_input(power)
        obs_p[run, 20] = power_left

        # Ghosts: an illegal move is judged by the move made instead.
        ahead = pac.copy()
        for _ in range(sim.PINKY_AHEAD_INPUT):
            step = np.where(heading >= 0, level.pac_neighbours[ahead, np.maximum(heading, 0)], -1)
            ahead = np.where(step >= 0, step, ahead)
        for g in range(N_GHOSTS):
            rows = obs_g[run, g]
            rows[:, g] = 1.0
            cell = cells[:, g]
            direction = ghost[:, g, G_DIR]
            rev = _reverse(direction)
            outside = ghost[:, g, G_OUTSIDE] != 0
            to_pac = level.distance[pac, cell]
            to_ahead = level.distance[ahead, cell]
            others = [h for h in range(N_GHOSTS) if h != g]
            for d in range(4):
                want = np.full(run.size, d)
                rows[:, 4 + d] = _ghost_can(level, cell, rev, outside, want)
                move = _network_ghost(level, cell, direction, outside, want)
                mg = np.where(move >= 0, level.neighbours[cell, np.maximum(move, 0)], cell)
                to_others = level.distance[cells[:, others], mg[:, None]].astype(np.int64)
                crowd = np.where(present[:, others], to_others, FAR).min(axis=1)
                rows[:, 8 + d] = _toward_input(to_pac, level.distance[pac, mg])
                rows[:, 12 + d] = _toward_input(to_ahead, level.distance[ahead, mg])
                rows[:, 16 + d] = _near_input(crowd)
            rows[:, 20] = ghost[:, g, G_FRIGHT]
            rows[:, 21] = power_left
            rows[:, 22] = _far_input(to_pac.astype(np.int64))
            obs_g[run, g] = rows
    return {"pacman": obs_p, "ghost": obs_g.reshape(n * N_GHOSTS, sim.N_GHOST_INPUTS)}


def _argmax(out):
    """(int64[k] argmax of each row, ties to the lowest; bool[k] whether the row has a NaN)."""
    nan = np.isnan(out).any(axis=1)
    return np.argmax(np.where(np.isnan(out), -np.inf, out), axis=1), nan


def _chasing(t):
    return (sim.MODE_CHANGES[None, :] < t[:, None]).sum(axis=1) % 2 == 1


def _scripted_ghost(level, state, rows, g, t):
    """int64[k]: the moves of arcade ghost g in games `rows` on ticks t (see `sim.ghost_scripted`)."""
    count, ghost = state.count, state.ghost
    cell = ghost[rows, g, G_CELL]
    rev = _reverse(ghost[rows, g, G_DIR])
    outside = ghost[rows, g, G_OUTSIDE] != 0
    can = np.stack([_ghost_can(level, cell, rev, outside, np.full(rows.size, d)) for d in ARCADE], axis=1)
    m = np.maximum(level.neighbours[cell][:, ARCADE], 0)  # columns in arcade order
    big = np.int64(1) << 62
    # Leaving home: the path distance to the house exit.
    key_home = level.distance[m, max(level.exit_cell, 0)].astype(np.int64)
    # Chasing or scattering: the squared straight-line distance to the target.
    pac = count[rows, PAC_CELL]
    pr, pc = level.cell_row[pac].astype(np.int64), level.cell_col[pac].astype(np.int64)
    pd = count[rows, PAC_DIR]
    dr = np.where(pd >= 0, sim.STEP_ROW[np.maximum(pd, 0)], 0)
    dc = np.where(pd >= 0, sim.STEP_COL[np.maximum(pd, 0)], 0)
    corner = sim.scatter_corners(level.rows, level.cols)[g]
    tr, tc = np.full(rows.size, corner[0]), np.full(rows.size, corner[1])
    chase = _chasing(t)
    if g == 0:
        aim_r, aim_c = pr, pc
    elif g == 1:
        aim_r, aim_c = pr + sim.PINKY_AHEAD * dr, pc + sim.PINKY_AHEAD * dc
    elif g == 2:
        blinky = ghost[rows, 0, G_CELL]
        aim_r = 2 * (pr + sim.INKY_AHEAD * dr) - level.cell_row[blinky]
        aim_c = 2 * (pc + sim.INKY_AHEAD * dc) - level.cell_col[blinky]
    else:
        gr, gc = level.cell_row[cell] - pr, level.cell_col[cell] - pc
        far = gr * gr + gc * gc > sim.CLYDE_RADIUS2
        aim_r, aim_c = np.where(far, pr, tr), np.where(far, pc, tc)
    tr, tc = np.where(chase, aim_r, tr), np.where(chase, aim_c, tc)
    a, b = level.cell_row[m] - tr[:, None], level.cell_col[m] - tc[:, None]
    key_target = a * a + b * b
    key = np.where(outside[:, None], key_target, key_home)
    choice = ARCADE[np.argmin(np.where(can, key, big), axis=1)]
    # Frightened (and outside): the pick-th legal move in arcade order, pick from the hash.
    frightened = outside & (ghost[rows, g, G_FRIGHT] != 0)
    n_legal = can.sum(axis=1)
    counter = (t * N_GHOSTS + g).astype(np.uint64)
    pick = (_mix(state.seed[rows], counter) % np.maximum(n_legal, 1).astype(np.uint64)).astype(np.int64)
    rank = np.cumsum(can, axis=1) - 1
    picked = ARCADE[np.argmax(can & (rank == pick[:, None]), axis=1)]
    choice = np.where(frightened, picked, choice)
    return np.where(n_legal > 0, choice, _turn_back(level, cell, rev, outside))


def _turn_back(level, cell, rev, outside):
    ok = (rev >= 0) & _ghost_can(level, cell, np.full(cell.size, -1), outside, np.maximum(rev, 0))
    return np.where(ok, rev, -1)


def _mix(seed, counter):
    """`sim.mix` on uint64 arrays (numpy wraps array arithmetic modulo 2^64, as the kernel does)."""
    z = seed + (counter + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _network_ghost(level, cell, direction, outside, want):
    """int64[k]: the moves of network ghosts that ask for `want` (see `sim.ghost_resolve`)."""
    rev = _reverse(direction)
    choice = np.where(_ghost_can(level, cell, rev, outside, want), want, -2)
    on = (direction >= 0) & _ghost_can(level, cell, rev, outside, np.maximum(direction, 0))
    choice = np.where((choice == -2) & on, direction, choice)
    for d in ARCADE:
        choice = np.where((choice == -2) & _ghost_can(level, cell, rev, outside, np.full(cell.size, d)), d, choice)
    return np.where(choice == -2, _turn_back(level, cell, rev, outside), choice)


def _collide(level, state, rows, pac):
    """bool[k]: whether Pac-Man of games `rows`, on cells `pac`, is caught (see `sim.collide`);
    frightened ghosts on his cell are eaten first, ghost 0 first."""
    count, ghost = state.count, state.ghost
    caught = np.zeros(rows.size, dtype=bool)
    for g in range(N_GHOSTS):
        hit = ~caught & (ghost[rows, g, G_STATUS] != OUT) & (ghost[rows, g, G_CELL] == pac)
        fright = ghost[rows, g, G_FRIGHT] != 0
        eaten = rows[hit & fright]
        count[eaten, SCORE] += sim.GHOST_POINTS << np.minimum(count[eaten, GHOSTS_EATEN], sim.MAX_DOUBLINGS)
        count[eaten, GHOSTS_EATEN] += 1
        start = level.ghost_starts[g]
        ghost[eaten, g, G_CELL] = start
        ghost[eaten, g, G_DIR] = -1
        ghost[eaten, g, G_ACC] = 0
        ghost[eaten, g, G_STATUS] = WAITING
        ghost[eaten, g, G_WAIT] = sim.RESPAWN_TICKS
        ghost[eaten, g, G_FRIGHT] = 0
        ghost[eaten, g, G_OUTSIDE] = 0 if level.inside[start] else 1
        caught |= hit & ~fright
    return caught


def _score_fitness(level, state, rows, t, max_ticks):
    count = state.count
    score = count[rows, SCORE]
    state.real[rows, FIT_PACMAN] = score.astype(np.float64) + sim.SURVIVAL_POINTS * (t.astype(np.float64) / max_ticks)
    allowed = np.minimum(score, level.pellet_points).astype(np.float64) / level.pellet_points
    caught = np.where(state.flag[rows, CAUGHT], 1.0 - count[rows, CATCH_TICK].astype(np.float64) / max_ticks, 0.0)
    state.real[rows, FIT_GHOST] = (1.0 - allowed) + caught


def step(level, state: PacmanState, actions: dict, max_ticks=None) -> None:
    """One tick of every running game; actions as `PacmanArena.step` takes them."""
    max_ticks = max_ticks or level.max_ticks
    count, ghost, pellet, flag = state.count, state.ghost, state.pellet, state.flag
    act_p, act_g = actions.get("pacman"), actions.get("ghost")
    run = np.flatnonzero(flag[:, ALIVE])
    if run.size == 0:
        return
    t = count[run, TICK] + 1
    count[run, TICK] = t
    pac = count[run, PAC_CELL]
    if act_p is not None:
        want, nan = _argmax(np.asarray(act_p, dtype=np.float32)[run])
        if nan.any():
            flag[run[nan], ALIVE] = False
            _score_fitness(level, state, run[nan], t[nan], max_ticks)
            run, t, pac, want = run[~nan], t[~nan], pac[~nan], want[~nan]
    else:
        m = level.pac_neighbours[pac]
        near = nearest_pellet(level, pellet[run], np.maximum(m, 0))
        want = np.argmin(np.where(m >= 0, near, FAR + 1), axis=1)
    wants = np.zeros((run.size, N_GHOSTS), dtype=np.int64)
    if act_g is not None:
        out = np.asarray(act_g, dtype=np.float32).reshape(-1, N_GHOSTS, 4)[run]
        for g in range(N_GHOSTS):
            wants[:, g], nan = _argmax(out[:, g])
            ghost[run[nan & (ghost[run, g, G_STATUS] != OUT)], g, G_STATUS] = OUT

    # Pac-Man moves and eats.
    acc = count[run, PAC_ACC] + sim.PACMAN_SPEED
    moving = acc >= sim.UNIT
    acc = np.where(moving, acc - sim.UNIT, acc)
    chosen = level.pac_neighbours[pac, want]
    on_dir = count[run, PAC_DIR]
    onward = np.where(on_dir >= 0, level.pac_neighbours[pac, np.maximum(on_dir, 0)], -1)
    turn = moving & (chosen >= 0)
    keep = moving & (chosen < 0) & (onward >= 0)
    pac = np.where(turn, chosen, np.where(keep, onward, pac))
    count[run, PAC_DIR] = np.where(turn, want, on_dir)
    count[run, PAC_ACC] = acc
    count[run, PAC_CELL] = pac
    count[run, PAC_ROW] = level.cell_row[pac]
    count[run, PAC_COL] = level.cell_col[pac]
    kind = pellet[run, pac]
    ate = kind != 0
    pellet[run[ate], pac[ate]] = 0
    count[run[ate], PELLETS_LEFT] -= 1
    count[run[ate], LAST_EAT_TICK] = t[ate]
    count[run, SCORE] += np.where(kind == DOT, sim.PELLET_POINTS, np.where(kind == POWER, sim.POWER_POINTS, 0))
    powered = run[kind == POWER]
    count[powered, POWER_LEFT] = sim.POWER_TICKS
    count[powered, GHOSTS_EATEN] = 0
    g_state = ghost[powered]
    present = g_state[:, :, G_STATUS] != OUT
    g_state[:, :, G_FRIGHT] = np.where(present, 1, g_state[:, :, G_FRIGHT])
    flip = present & (g_state[:, :, G_DIR] >= 0)
    g_state[:, :, G_DIR] = np.where(flip, g_state[:, :, G_DIR] ^ 1, g_state[:, :, G_DIR])
    ghost[powered] = g_state
    if act_g is None:
        change = np.isin(t - 1, sim.MODE_CHANGES)
        g_state = ghost[run]
        flip = (change[:, None] & (g_state[:, :, G_STATUS] == ACTIVE) & (g_state[:, :, G_FRIGHT] == 0)
                & (g_state[:, :, G_DIR] >= 0))
        g_state[:, :, G_DIR] = np.where(flip, g_state[:, :, G_DIR] ^ 1, g_state[:, :, G_DIR])
        ghost[run] = g_state

    # Collisions as Pac-Man arrives, then as the ghosts do.
    caught = _collide(level, state, run, pac)
    moving = ~caught
    rows_all, t_all = run[moving], t[moving]
    for g in range(N_GHOSTS):
        status = ghost[rows_all, g, G_STATUS]
        wait = ghost[rows_all, g, G_WAIT]
        waiting = status == WAITING
        ghost[rows_all[waiting & (wait > 0)], g, G_WAIT] -= 1
        released = waiting & (wait == 0)
        ghost[rows_all[released], g, G_STATUS] = ACTIVE
        movers = (status == ACTIVE) | released
        speed = np.where(ghost[rows_all, g, G_FRIGHT] != 0, sim.FRIGHTENED_SPEED, sim.GHOST_SPEED)
        acc = ghost[rows_all, g, G_ACC] + speed
        go = movers & (acc >= sim.UNIT)
        ghost[rows_all[movers], g, G_ACC] = np.where(go, acc - sim.UNIT, acc)[movers]
        rows = rows_all[go]
        if rows.size == 0:
            continue
        cell, direction = ghost[rows, g, G_CELL], ghost[rows, g, G_DIR]
        outside = ghost[rows, g, G_OUTSIDE] != 0
        if act_g is not None:
            d = _network_ghost(level, cell, direction, outside, wants[moving][go, g])
        else:
            d = _scripted_ghost(level, state, rows, g, t_all[go])
        moved = d >= 0
        new_cell = np.where(moved, level.neighbours[cell, np.maximum(d, 0)], cell)
        ghost[rows, g, G_CELL] = new_cell
        ghost[rows, g, G_DIR] = np.where(moved, d, direction)
        ghost[rows[moved & ~level.inside[new_cell]], g, G_OUTSIDE] = 1
    caught[moving] = _collide(level, state, rows_all, pac[moving])

    powered = run[count[run, POWER_LEFT] > 0]
    count[powered, POWER_LEFT] -= 1
    ghost[powered[count[powered, POWER_LEFT] == 0], :, G_FRIGHT] = 0

    flag[run[caught], CAUGHT] = True
    flag[run[caught], ALIVE] = False
    count[run[caught], CATCH_TICK] = t[caught]
    cleared = ~caught & (count[run, PELLETS_LEFT] == 0)
    flag[run[cleared], CLEARED] = True
    flag[run[cleared], ALIVE] = False
    time_left = np.maximum(max_ticks - t[cleared], 0)
    count[run[cleared], SCORE] += sim.CLEAR_BONUS + sim.CLEAR_TIME_BONUS * time_left // max_ticks
    over = ~caught & ~cleared & ((t - count[run, LAST_EAT_TICK] >= sim.STARVE_TICKS) | (t >= max_ticks))
    flag[run[over], ALIVE] = False
    _score_fitness(level, state, run, t, max_ticks)


def outcome(state: PacmanState):
    """(fitness {role: float64[n]}, finished {role: bool[n]}, ticks int64[n])."""
    return ({"pacman": state.real[:, FIT_PACMAN].copy(), "ghost": state.real[:, FIT_GHOST].copy()},
            {"pacman": state.flag[:, CLEARED].copy(), "ghost": state.flag[:, CAUGHT].copy()},
            state.count[:, TICK].copy())


def play(level, brains: dict, seeds=None, max_ticks=None, einsum: bool = False) -> PacmanState:
    """Play every game to its end with numpy, all games a tick at a time; returns the final state.

    brains: {role: (MLPSpec, genomes float32[n * role agents, genome_size]) or SCRIPTED}; a role
    left out plays scripted. einsum: the faster numpy forward (equal to float rounding, so a
    rare near-tie may go the other way); the default sums exactly as the kernels do.
    """
    pacman, ghosts = brains.get("pacman", SCRIPTED), brains.get("ghost", SCRIPTED)
    pacman = None if pacman is SCRIPTED else pacman
    ghosts = None if ghosts is SCRIPTED else ghosts
    if seeds is not None:
        n = len(seeds)
    elif pacman is not None:
        n = pacman[1].shape[0]
    else:
        n = ghosts[1].shape[0] // N_GHOSTS
    state = reset(level, n, seeds)
    while state.flag[:, ALIVE].any():
        run = np.flatnonzero(state.flag[:, ALIVE])
        obs = observe(level, state)
        actions = {}
        if pacman is not None:
            spec, genomes = pacman
            actions["pacman"] = np.zeros((n, 4), dtype=np.float32)
            actions["pacman"][run] = forward_numpy(spec, genomes[run], obs["pacman"][run], einsum=einsum)
        if ghosts is not None:
            spec, genomes = ghosts
            rows = (N_GHOSTS * run[:, None] + np.arange(N_GHOSTS)).reshape(-1)
            actions["ghost"] = np.zeros((N_GHOSTS * n, 4), dtype=np.float32)
            actions["ghost"][rows] = forward_numpy(spec, genomes[rows], obs["ghost"][rows], einsum=einsum)
        step(level, state, actions, max_ticks)
    return state


def rollout(level, brains: dict, seeds=None, max_ticks=None, einsum: bool = False):
    """`play`, returning (fitness {role: float64[n]}, finished {role: bool[n]}, ticks int64[n])."""
    return outcome(play(level, brains, seeds, max_ticks, einsum))

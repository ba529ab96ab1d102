"""Plain numpy twin of the tunnel kernels: the step API, and a whole-rollout stepper.

The step functions mirror `sim.py` operation for operation, so the kernels must match them
exactly. `rollout` is the batched numpy stepper in the style of seed 001 (einsum forward),
the baseline of `arena bench tunnel`.
"""

import numpy as np

from arena.arenas.tunnel.params import LOOKAHEAD, PARAMS
from arena.arenas.tunnel.state import TunnelState, new_state
from arena.brains.mlp import forward_numpy

_S = PARAMS.sensor_offsets


def reset(level, n_envs: int, seeds=None) -> TunnelState:
    return new_state(level, n_envs)


def _sense(level, col, p, v) -> np.ndarray:
    top, gap = level.top, level.gap
    columns = [v]
    for s in _S:
        columns.append(p - top[col + s])
        columns.append(p - (top[col + s] - gap))
    return np.stack(columns, axis=1).astype(np.float32)


def observe(level, state: TunnelState) -> dict:
    obs = np.zeros((state.p.shape[0], 1 + 2 * len(_S)), dtype=np.float32)
    run = state.alive
    obs[run] = _sense(level, state.col[run], state.p[run], state.v[run])
    return {"driver": obs}


def step(level, state: TunnelState, actions: dict) -> None:
    n_columns = level.top.shape[0] - LOOKAHEAD
    run = np.flatnonzero(state.alive)
    force = (actions["driver"][run, 0] - np.float32(PARAMS.force_offset)).astype(np.float64)
    bad = ~np.isfinite(force)
    state.alive[run[bad]] = False
    state.fitness[run[bad]] = state.col[run[bad]]
    run, force = run[~bad], force[~bad]
    p, v = state.p[run], state.v[run]
    p = p + v / 2
    v = v + force
    p = p + v / 2
    state.p[run], state.v[run] = p, v
    col = state.col[run] + 1
    state.col[run] = col
    state.fitness[run] = col
    done = col == n_columns
    state.finished[run[done]] = True
    state.fitness[run[done]] = n_columns + state.near[run[done]]
    top = level.top[np.minimum(col, n_columns - 1)]
    out = ~((p <= top) & (p >= top - level.gap))
    state.alive[run[done | out]] = False
    going = ~(done | out)
    near = np.minimum(np.minimum(state.near[run[going]], top[going] - p[going]), p[going] - (top[going] - level.gap))
    state.near[run[going]] = near


def rollout(level, spec, genomes: np.ndarray, einsum: bool = True):
    """Seed 001's batched stepper, stepping only the points still on the track.

    Returns (fitness float64[n], finished bool[n], ticks int64[n]).
    """
    n = genomes.shape[0]
    n_columns = level.top.shape[0] - LOOKAHEAD
    p = np.zeros(n)
    v = np.zeros(n)
    near = np.full(n, level.gap / 2)
    fitness = np.full(n, float(n_columns))
    run = np.arange(n)
    genomes = np.asarray(genomes, dtype=np.float32)
    for c in range(n_columns):
        top = level.top[c]
        out = ~((p <= top) & (p >= top - level.gap))
        if out.any():
            fitness[run[out]] = c
            keep = ~out
            run, p, v, near, genomes = run[keep], p[keep], v[keep], near[keep], genomes[keep]
            if run.size == 0:
                break
        if c > 0:
            near = np.minimum(np.minimum(near, top - p), p - (top - level.gap))
        inputs = _sense(level, np.full(run.size, c), p, v)
        force = (forward_numpy(spec, genomes, inputs, einsum=einsum)[:, 0] - np.float32(0.5)).astype(np.float64)
        bad = ~np.isfinite(force)
        if bad.any():
            fitness[run[bad]] = c
            keep = ~bad
            run, p, v, near, genomes, force = run[keep], p[keep], v[keep], near[keep], genomes[keep], force[keep]
            if run.size == 0:
                break
        p = p + v / 2
        v = v + force
        p = p + v / 2
    finished = fitness == n_columns
    fitness[run] = n_columns + near
    ticks = fitness.astype(np.int64)
    return fitness, finished, ticks

"""`check_arena`: the contract every registered arena must keep (run by the tests on each one).

- reset is deterministic, and so is stepping with the same actions;
- the numba kernels follow the plain numpy reference tick by tick (observations, state);
- the fused rollout kernel gives the same outcome as stepping with the step API, and so does
  `advance` (the live view's many-ticks step), trails included;
- brains with NaN, infinite or huge weights neither crash nor score as a success.
"""

from dataclasses import fields

import numpy as np

from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.netbatch import compile_mlp, forward


class ContractError(AssertionError):
    pass


def _arrays(state):
    return {f.name: getattr(state, f.name) for f in fields(state)}


def _same_state(a, b, what, rtol=0.0, atol=0.0):
    for name, left in _arrays(a).items():
        right = _arrays(b)[name]
        if left.dtype.kind == "f":
            ok = np.allclose(left, right, rtol=rtol, atol=atol, equal_nan=True)
        else:
            ok = np.array_equal(left, right)
        if not ok:
            raise ContractError(f"{what}: state field {name!r} differs")


def _random_brains(arena, n_envs, seed, scale=1.0):
    """{role: (MLPSpec, genomes)} with the roles' default networks, `role.agents` an environment."""
    rng = np.random.default_rng(seed)
    brains = {}
    for role in arena.spec.roles:
        spec = MLPSpec.for_role(role)
        brains[role.name] = (spec, spec.random_genomes(rng, n_envs * role.agents, scale))
    return brains


def _run_steps(arena, level, brains, n_envs, ticks, use_reference):
    api = arena.reference if use_reference else arena
    state = api.reset(level, n_envs, np.arange(n_envs, dtype=np.uint64))
    nets = {r: compile_mlp(spec, g) for r, (spec, g) in brains.items()}
    trace = []
    for _ in range(ticks):
        if not state.alive.any():
            break
        obs = api.observe(level, state)
        if use_reference:
            actions = {r: forward_numpy(spec, g, obs[r]) for r, (spec, g) in brains.items()}
        else:
            actions = {r: forward(nets[r], obs[r]) for r in brains}
        api.step(level, state, actions)
        trace.append((obs, state))
    return state, trace


def check_arena(arena, level, n_envs: int = 96, ticks: int = 400, seed: int = 0, brains=None) -> None:
    """Raise ContractError naming the first broken promise of `arena` on `level`.

    brains: {role: (MLPSpec, genomes float32[n_envs * role.agents, genome_size])}; random ones by default.
    Runs on `arena.short_level(level)`, since some checks step whole runs from Python.
    """
    level = arena.short_level(level)
    seeds = np.arange(n_envs, dtype=np.uint64)
    _same_state(arena.reset(level, n_envs, seeds), arena.reset(level, n_envs, seeds), "reset twice")

    brains = brains or _random_brains(arena, n_envs, seed)
    first, _ = _run_steps(arena, level, brains, n_envs, ticks, use_reference=False)
    again, _ = _run_steps(arena, level, brains, n_envs, ticks, use_reference=False)
    _same_state(first, again, "the same steps twice")

    # Kernel against reference, tick by tick.
    api_state = arena.reset(level, n_envs, seeds)
    ref_state = arena.reference.reset(level, n_envs, seeds)
    nets = {r: compile_mlp(spec, g) for r, (spec, g) in brains.items()}
    for tick in range(ticks):
        if not api_state.alive.any():
            break
        obs = arena.observe(level, api_state)
        ref_obs = arena.reference.observe(level, ref_state)
        for role in obs:
            run = np.repeat(api_state.alive, arena.spec.role(role).agents)
            if not np.allclose(obs[role][run], ref_obs[role][run], rtol=1e-6, atol=1e-6):
                raise ContractError(f"tick {tick}: observations of {role!r} differ from the reference")
        arena.step(level, api_state, {r: forward(nets[r], obs[r]) for r in brains})
        arena.reference.step(level, ref_state, {r: forward_numpy(s, g, ref_obs[r]) for r, (s, g) in brains.items()})
        _same_state(api_state, ref_state, f"tick {tick}, kernel against reference", rtol=1e-9, atol=1e-9)

    # Fused rollout against the step API, run to the end.
    full, _ = _run_steps(arena, level, brains, n_envs, 10**7, use_reference=False)
    stepped = arena.outcome(full)
    rolled = arena.rollout(level, nets, seeds)
    for role in stepped.fitness:
        if not np.array_equal(stepped.fitness[role], rolled.fitness[role]):
            raise ContractError(f"rollout fitness of {role!r} differs from stepping")
        if not np.array_equal(stepped.finished[role], rolled.finished[role]):
            raise ContractError(f"rollout finished flags of {role!r} differ from stepping")

    # advance, in uneven chunks, against the step API one tick at a time.
    slow, fast = arena.reset(level, n_envs, seeds), arena.reset(level, n_envs, seeds)
    slow_trail = np.zeros((n_envs, ticks // 6, 2), dtype=np.float32)  # too short for long runs: they must stop at its end
    fast_trail = slow_trail.copy()
    slow_arrays = {r: net.arrays() for r, net in nets.items()}
    fast_arrays = {r: net.arrays() for r, net in nets.items()}
    arena.step_ticks(level, slow, nets, slow_arrays, ticks, slow_trail, 3)
    for chunk in (1, 36, max(ticks - 37, 0)):
        arena.advance(level, fast, nets, fast_arrays, chunk, fast_trail, 3)
    _same_state(fast, slow, "advance against stepping")
    if not np.array_equal(fast_trail, slow_trail):
        raise ContractError("advance recorded different trails from stepping")

    # Wild weights.
    for label, value in (("NaN", np.nan), ("infinite", np.inf), ("huge", 1e30)):
        wild = {}
        for role, (spec, genomes) in brains.items():
            signs = np.where(np.random.default_rng(1).random(genomes.shape) < 0.5, -1.0, 1.0)
            wild[role] = compile_mlp(spec, (signs * value).astype(np.float32))
        outcome = arena.rollout(level, wild, seeds)
        for role in outcome.fitness:
            if not np.all(np.isfinite(outcome.fitness[role])):
                raise ContractError(f"{label} weights gave non-finite fitness for {role!r}")
            if label != "huge" and outcome.finished[role].any():
                raise ContractError(f"{label} weights finished a run for {role!r}")

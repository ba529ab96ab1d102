"""The cart-pole arena: physics, kernels against the numpy reference, fitness rules, levels."""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.arenas import get_arena
from arena.arenas.cartpole import level as cartpole_level
from arena.arenas.cartpole import reference, sim
from arena.arenas.cartpole.params import PARAMS
from arena.arenas.cartpole.state import initial_states
from arena.arenas.cartpole.trig import sin_cos, sin_cos_numpy
from arena.brains.mlp import MLPSpec, forward_numpy
from arena.brains.netbatch import compile_mlp, compile_mlp_graph, forward
from arena.core.errors import LevelError

ARENA = get_arena("cartpole")
SINGLE, DOUBLE, NO_VELOCITIES, NO_VELOCITIES_LONG = cartpole_level.builtin()
SCALE = np.array(PARAMS.observation_scale)
LINEAR = MLPSpec((6, 1), ("sigmoid",))
# Hand-tuned full-state feedback, force = gains . (x, x', th_1, th_1', th_2, th_2') in N. The
# single pole needs the cart terms too (angle alone lets the cart drift off the track); the
# double pole is balanced through the short pole, the long one leaning against it.
SINGLE_GAINS = (5.0, 10.0, 60.0, 15.0, 0.0, 0.0)
DOUBLE_GAINS = (-3.0, -5.0, -90.0, -25.0, 60.0, 6.0)


def linear_genomes(gains, copies=1, noise=0.0, seed=0):
    """A one-layer sigmoid network whose force 10 tanh(z / 2) ~ 5 z is `gains` . state, for small z."""
    weights = np.array(gains) * SCALE / 5.0
    genome = np.concatenate([weights, [0.0]])
    noise = 1.0 + noise * np.random.default_rng(seed).standard_normal((copies, genome.size))
    return (genome[None] * noise).astype(np.float32)


def run(level, genomes, spec=LINEAR, seeds=None, max_ticks=None):
    return ARENA.rollout(level, {"pole": compile_mlp(spec, genomes)}, seeds, max_ticks)


def outputs_for_force(force):
    """The network output (float32[n, 1]) that makes `force` N."""
    return (0.5 + np.asarray(force, dtype=np.float64) / (2 * PARAMS.force_magnitude)).astype(np.float32)[:, None]


def free_level(poles, initial_state):
    """A level that never ends by angle, to watch the physics."""
    return cartpole_level.make("free", poles, initial_state=initial_state, failure_angle_deg=90.0)


# -- physics


@pytest.mark.parametrize("level", [SINGLE, DOUBLE], ids=["single", "double"])
def test_uncontrolled_poles_fall(level):
    state = ARENA.reset(level, 1)
    angles = [state.physical[0, 2]]
    while state.alive[0]:
        ARENA.step(level, state, {"pole": outputs_for_force([0.0])})
        angles.append(state.physical[0, 2])
    assert 10 < state.tick[0] < 100 and not state.finished[0]
    assert np.all(np.diff(angles) > 0), "the long pole, tilted towards +x, must fall further that way"
    assert state.physical[0, 0] < 0.0, "a pole falling towards +x pushes the cart towards -x"


def test_upright_poles_at_rest_stay_put():
    level = cartpole_level.make("still", 2, initial_state=(0.0,) * 6, max_steps=300)
    state = ARENA.reset(level, 1)
    for _ in range(300):
        ARENA.step(level, state, {"pole": outputs_for_force([0.0])})
    assert state.finished[0] and not state.physical.any()


def test_a_push_accelerates_the_cart_and_tilts_the_poles_back():
    zero = np.zeros(1)
    for level in (SINGLE, DOUBLE):
        xacc, a1, a2 = reference.accelerations(level, np.full(1, 10.0), zero, zero, zero, zero)
        # Upright and still, each pole adds a quarter of its mass to the cart's.
        assert xacc[0] == pytest.approx(10.0 / (PARAMS.cart_mass + sum(m / 4 for m in level.masses)), rel=1e-12)
        assert a1[0] == pytest.approx(-0.75 * xacc[0] / level.half_lengths[0], rel=1e-12)
        if level.poles == 2:
            assert a2[0] == pytest.approx(-0.75 * xacc[0] / level.half_lengths[1], rel=1e-12)
        state = ARENA.reset(cartpole_level.make("push", level.poles, initial_state=(0.0,) * 6), 1)
        ARENA.step(level, state, {"pole": outputs_for_force([10.0])})
        x, v, th1, w1, th2, w2 = state.physical[0]
        assert x > 0 and v > 0 and th1 < 0 and w1 < 0 and (level.poles == 1 or (th2 < 0 and w2 < 0))


def energy_and_momentum(level, s):
    """Mechanical energy (J) and horizontal momentum (kg m/s) of states float64[n, 6]."""
    v = s[:, 1]
    energy = 0.5 * PARAMS.cart_mass * v**2
    momentum = PARAMS.cart_mass * v
    for i, (half, mass) in enumerate(zip(level.half_lengths, level.masses)):
        theta, omega = s[:, 2 + 2 * i], s[:, 3 + 2 * i]
        vx = v + half * omega * np.cos(theta)  # velocity of the pole's centre
        vy = -half * omega * np.sin(theta)
        inertia = mass * half**2 / 3  # a uniform rod of length 2 l about its centre
        energy = energy + 0.5 * mass * (vx**2 + vy**2) + 0.5 * inertia * omega**2
        energy = energy + mass * PARAMS.gravity * half * np.cos(theta)
        momentum = momentum + mass * vx
    return energy, momentum


@pytest.mark.parametrize("poles,start", [(1, (0, 0, 0.5, 0, 0, 0)), (2, (0, 0, 0.3, 0, -0.2, 0))])
def test_free_motion_keeps_energy_less_hinge_friction_and_momentum(poles, start):
    """Without force, a rigid cart-and-rods model keeps its momentum, and its energy less what
    the hinges dissipate (mu_p omega^2): a check on every coefficient of the equations."""
    level = free_level(poles, start)
    s = np.array([start], dtype=np.float64)
    energy_0, momentum_0 = energy_and_momentum(level, s)

    def friction_power(s):
        return sum(PARAMS.hinge_friction * s[0, 3 + 2 * i] ** 2 for i in range(poles))

    dissipated = 0.0
    dt = PARAMS.tau * PARAMS.substeps
    for _ in range(100):  # 2 s: the poles swing right round
        before = friction_power(s)
        s = reference.advance(level, np.zeros(1), s)
        dissipated += 0.5 * (before + friction_power(s)) * dt
        energy, momentum = energy_and_momentum(level, s)
        assert abs(energy[0] + dissipated - energy_0[0]) < 1e-6
        assert abs(momentum[0] - momentum_0[0]) < 1e-6
    assert dissipated > 1e-5 and abs(s[0, 2]) > np.pi


def test_sin_cos_are_accurate_and_the_same_in_numba_and_numpy():
    x = np.concatenate([np.linspace(-20.0, 20.0, 40001), [0.0, -0.0, np.pi / 4, np.pi / 2, 1e5, np.nan, np.inf]])
    s, c = sin_cos_numpy(x)
    finite = np.isfinite(x)
    assert np.abs(s[finite] - np.sin(x[finite])).max() < 4e-16
    assert np.abs(c[finite] - np.cos(x[finite])).max() < 4e-16
    assert np.isnan(s[~finite]).all() and np.isnan(c[~finite]).all()
    pairs = [sin_cos(float(v)) for v in x[::97]]
    assert np.array_equal(np.array(pairs), np.stack([s[::97], c[::97]], axis=1), equal_nan=True)


@pytest.mark.parametrize("poles", [1, 2])
def test_the_block_stepper_is_the_reference_to_the_bit(poles):
    level = free_level(poles, (0.0,) * 6)
    rng = np.random.default_rng(poles)
    n = 50
    y = rng.normal(0.0, [1.0, 1.0, 0.3, 1.0, 0.3, 1.0], size=(n, 6))
    if poles == 1:
        y[:, 4:] = 0.0
    force = rng.uniform(-10.0, 10.0, n)
    packed = np.zeros((6, 64))
    packed[:, :n] = y.T
    work = np.zeros((sim.N_WORK, 64))
    forces = np.zeros(64)
    forces[:n] = force
    p1, p2 = sim.pole_constants(level)
    sim.advance_block(forces, packed, n, poles == 2, p1, p2, work)
    assert np.array_equal(packed[:, :n].T, reference.advance(level, force, y))
    assert not packed[:, n:].any(), "agents past nb are left alone"


# -- controllers


@pytest.mark.parametrize("level,gains", [(SINGLE, SINGLE_GAINS), (DOUBLE, DOUBLE_GAINS)], ids=["single", "double"])
def test_hand_written_controller_balances_for_the_whole_level(level, gains):
    outcome = run(level, linear_genomes(gains))
    assert outcome.finished["pole"][0] and outcome.fitness["pole"][0] == level.max_steps == 100_000
    assert outcome.ticks[0] == 100_000


def test_the_same_controller_in_the_numpy_reference():
    """The PD law applied directly as a force, stepped through the reference, no network."""
    level = cartpole_level.make("pd", 1, max_steps=1500)
    state = reference.reset(level, 1)
    while state.alive[0]:
        reference.step(level, state, {"pole": outputs_for_force(state.physical @ np.array(SINGLE_GAINS))})
    assert state.finished[0] and state.fitness[0] == 1500 and np.abs(state.physical[0, 2]) < 0.01


# -- kernels against the reference, fitness rules


def mixed_brains(level, n=70):
    """Controllers with noise (some balance, some fall) and a few random networks."""
    gains = SINGLE_GAINS if level.poles == 1 else DOUBLE_GAINS
    genomes = linear_genomes(gains, n, noise=0.6, seed=level.poles)
    genomes[::7] = np.random.default_rng(3).uniform(-1, 1, genomes[::7].shape)
    return genomes


@pytest.mark.parametrize("level", [SINGLE, DOUBLE, NO_VELOCITIES, cartpole_level.generate(3)],
                         ids=["single", "double", "no-velocities", "generated"])
def test_step_api_follows_the_reference_to_the_bit(level):
    level = replace(level, max_steps=200)
    genomes = mixed_brains(level)
    net = compile_mlp(LINEAR, genomes)
    state, ref = ARENA.reset(level, len(genomes)), reference.reset(level, len(genomes))
    for _ in range(level.max_steps):
        obs = ARENA.observe(level, state)["pole"]
        assert np.array_equal(obs[state.alive], reference.observe(level, ref)["pole"][ref.alive])
        actions = {"pole": forward(net, obs)}
        ARENA.step(level, state, actions)
        reference.step(level, ref, actions)
        for name in ("physical", "tick", "balanced", "alive", "finished", "fitness", "jiggle"):
            assert np.array_equal(getattr(state, name), getattr(ref, name)), name
        if not state.alive.any():
            break
    outcome = ARENA.outcome(state)
    if level.velocities:  # (without them, these linear controllers all fall)
        assert 0 < outcome.finished["pole"].sum() < len(genomes), "the check wants both finishers and failures"
    rolled = ARENA.rollout(level, {"pole": net}, None)
    assert np.array_equal(rolled.fitness["pole"], outcome.fitness["pole"])
    assert np.array_equal(rolled.finished["pole"], outcome.finished["pole"])
    assert np.array_equal(rolled.ticks, outcome.ticks)


def test_graph_networks_run_as_their_dense_twins():
    """The graph form (NEAT's) goes one network at a time over the running span of a block."""
    spec = MLPSpec.for_role(ARENA.spec.roles[0])
    genomes = np.random.default_rng(4).uniform(-1, 1, (150, spec.genome_size)).astype(np.float32)
    level = cartpole_level.make("g", 2, max_steps=300, fitness="gruau")
    dense = ARENA.rollout(level, {"pole": compile_mlp(spec, genomes)}, None)
    graph = ARENA.rollout(level, {"pole": compile_mlp_graph(spec, genomes)}, None)
    assert np.array_equal(dense.fitness["pole"], graph.fitness["pole"]) and np.array_equal(dense.ticks, graph.ticks)


def test_observations_have_six_inputs_whatever_the_variant():
    genomes = linear_genomes(DOUBLE_GAINS)
    for level in (SINGLE, DOUBLE, NO_VELOCITIES):
        state = ARENA.reset(level, 1)
        state.physical[0] = [0.4, -0.3, 0.05, 0.2, -0.02, 0.7] if level.poles == 2 else [0.4, -0.3, 0.05, 0.2, 0, 0]
        obs = ARENA.observe(level, state)["pole"][0]
        expected = (state.physical[0] / SCALE).astype(np.float32)
        if not level.velocities:
            expected[1::2] = 0.0
        assert obs.shape == (6,) and np.array_equal(obs, expected)
        assert run(level, genomes, max_ticks=3).ticks[0] > 0


def test_steps_fitness_counts_the_ticks_balanced():
    genomes = MLPSpec.for_role(ARENA.spec.roles[0]).random_genomes(np.random.default_rng(2), 200)
    spec = MLPSpec.for_role(ARENA.spec.roles[0])
    outcome = run(DOUBLE, genomes, spec)
    fitness, ticks = outcome.fitness["pole"], outcome.ticks
    assert not outcome.finished["pole"].any()
    assert np.array_equal(ticks, fitness + 1), "a fall counts the tick it happened in as run, not balanced"


def test_nan_output_ends_the_run_before_the_tick():
    state = ARENA.reset(DOUBLE, 2)
    for _ in range(5):
        ARENA.step(DOUBLE, state, {"pole": outputs_for_force([0.0, 0.0])})
    before = state.physical.copy()
    ARENA.step(DOUBLE, state, {"pole": np.array([[np.nan], [0.5]], dtype=np.float32)})
    assert not state.alive[0] and state.alive[1] and not state.finished[0]
    assert state.tick[0] == 5 and state.fitness[0] == 5 and np.array_equal(state.physical[0], before[0])
    nan_brains = np.full((3, LINEAR.genome_size), np.nan, dtype=np.float32)
    outcome = run(DOUBLE, nan_brains)
    assert not outcome.ticks.any() and not outcome.fitness["pole"].any() and not outcome.finished["pole"].any()


def test_outputs_are_clamped_to_zero_one():
    states = [ARENA.reset(DOUBLE, 1) for _ in range(4)]
    for state, output in zip(states, (1.0, 7.5, 0.0, -3.0)):
        ARENA.step(DOUBLE, state, {"pole": np.full((1, 1), output, dtype=np.float32)})
    assert np.array_equal(states[0].physical, states[1].physical)
    assert np.array_equal(states[2].physical, states[3].physical)


def test_max_ticks_replaces_the_levels_length():
    outcome = run(DOUBLE, linear_genomes(DOUBLE_GAINS, 3), max_ticks=50)
    assert outcome.finished["pole"].all() and (outcome.ticks == 50).all() and (outcome.fitness["pole"] == 50).all()


def gruau_by_hand(states):
    """Gruau's fitness from the states after each balanced tick, float64[t, 6]."""
    t = len(states)
    f1 = 0.1 * t / 1000
    if t < 100:
        return f1
    jiggle = np.abs(states[-100:, :4]).sum()
    return f1 + 0.9 * 0.75 / jiggle


def test_gruau_fitness():
    level = cartpole_level.make("g", 2, max_steps=400, fitness="gruau")
    genomes = linear_genomes(DOUBLE_GAINS, 40, noise=0.8, seed=5)
    state = reference.reset(level, len(genomes))
    trajectory = []
    while state.alive.any():
        obs = reference.observe(level, state)["pole"]
        reference.step(level, state, {"pole": forward_numpy(LINEAR, genomes, obs)})
        trajectory.append(state.physical.copy())
    trajectory = np.array(trajectory)
    rolled = run(level, genomes)
    assert np.array_equal(rolled.fitness["pole"], state.fitness)
    short = 0
    for i, balanced in enumerate(state.balanced):
        expected = gruau_by_hand(trajectory[:balanced, i])
        assert rolled.fitness["pole"][i] == pytest.approx(expected, rel=1e-12, abs=0)
        short += balanced < 100
    assert 0 < short < len(genomes) and rolled.finished["pole"].any()
    # Stiller balancing scores higher: the same controller, less of the start's swing left.
    calm = cartpole_level.make("g", 2, max_steps=400, fitness="gruau", initial_state=(0, 0, 0.01, 0, 0, 0))
    assert run(calm, linear_genomes(DOUBLE_GAINS)).fitness["pole"][0] > run(level, linear_genomes(DOUBLE_GAINS)).fitness["pole"][0]


def test_perturbed_starts_depend_on_the_environment_seed_only():
    level = cartpole_level.make("p", 2, perturbation=0.1, max_steps=300)
    seeds = np.arange(100, 140, dtype=np.uint64)
    start = initial_states(level, 40, seeds)
    assert np.array_equal(start[5:9], initial_states(level, 4, seeds[5:9]))
    assert np.all(np.abs(start - np.array(level.initial_state)) <= 0.1 * SCALE + 1e-12)
    assert len(np.unique(start[:, 2])) == 40
    assert np.array_equal(initial_states(level, 3), np.repeat(initial_states(level, 1), 3, axis=0))
    assert not initial_states(cartpole_level.make("p1", 1, perturbation=0.2), 5, seeds[:5])[:, 4:].any()
    genomes = linear_genomes(DOUBLE_GAINS, 40, noise=0.3)
    rolled = run(level, genomes, seeds=seeds)
    state = ARENA.reset(level, 40, seeds)
    net = compile_mlp(LINEAR, genomes)
    while state.alive.any():
        ARENA.step(level, state, {"pole": forward(net, ARENA.observe(level, state)["pole"])})
    assert np.array_equal(rolled.fitness["pole"], state.fitness)
    assert not np.array_equal(rolled.fitness["pole"], run(level, genomes).fitness["pole"])


# -- levels


def test_builtin_level_files_are_up_to_date():
    files = ARENA.builtin_levels()
    assert [p.stem for p in files] == [level.name for level in cartpole_level.builtin()]
    for path, level in zip(files, cartpole_level.builtin()):
        assert ARENA.load_level(path) == level
    assert ARENA.default_level_path().exists()


def test_the_benchmark_levels():
    assert (DOUBLE.poles, DOUBLE.velocities, DOUBLE.max_steps, DOUBLE.failure_angle_deg) == (2, True, 100_000, 36.0)
    assert DOUBLE.initial_state == (0.0, 0.0, 0.07, 0.0, 0.0, 0.0) and DOUBLE.masses == pytest.approx((0.1, 0.01))
    assert (SINGLE.poles, SINGLE.failure_angle_deg) == (1, 12.0)
    assert (NO_VELOCITIES.velocities, NO_VELOCITIES.fitness, NO_VELOCITIES.max_steps) == (False, "gruau", 1000)


def test_short_levels_for_the_contract_checks():
    short = ARENA.short_level(DOUBLE)
    assert short.max_steps == PARAMS.short_steps and short.half_lengths == DOUBLE.half_lengths
    tiny = cartpole_level.make("tiny", 1, max_steps=20)
    assert ARENA.short_level(tiny) == tiny


def test_generated_levels_are_deterministic_and_balanceable():
    a, b, c = (cartpole_level.generate(s) for s in (4, 4, 5))
    assert a == b and a != c and a.poles == 2
    single = cartpole_level.generate(4, poles=1, velocities=False)
    assert single.poles == 1 and not single.velocities and single.initial_state[4:] == (0.0, 0.0)
    for seed in range(5):
        level = cartpole_level.short(cartpole_level.generate(seed))
        assert run(level, linear_genomes(DOUBLE_GAINS)).finished["pole"][0], seed


def level_data(**change):
    data = {"format": "arena.level", "version": 1, "arena": "cartpole", "poles": 2}
    data.update(change)
    return data


@pytest.mark.parametrize("change,message", [
    (dict(initial_state=[0, 0, 0.7, 0, 0, 0]), "beyond the failure angle"),
    (dict(initial_state=[2.5, 0, 0, 0, 0, 0]), "off the track"),
    (dict(poles=1, initial_state=[0, 0, 0.07, 0, 0.01, 0]), "second pole"),
    (dict(poles=1, half_lengths=[0.5, 0.05]), "'half_lengths'"),
    (dict(half_lengths=[0.5, 0]), "'half_lengths' has 0"),
])
def test_fields_that_disagree_are_refused(change, message, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(level_data(**change)))
    with pytest.raises(LevelError, match=message) as err:
        cartpole_level.load(path)
    assert str(path) in str(err.value)


# Mostly plausible numbers, so that a fair share of the levels load and get played.
small = st.just(0.0) | st.floats(-0.6, 0.6) | st.floats(-3.0, 3.0) | st.integers(-3, 3)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(poles=st.integers(0, 3), max_steps=st.integers(-5, 3000) | st.integers() | st.floats(0, 10),
       angle=st.floats(-10, 120) | st.integers(-1, 100), state=st.lists(small, min_size=5, max_size=7),
       halves=st.lists(st.floats(-1, 6) | st.integers(0, 2), min_size=1, max_size=2),
       perturbation=st.floats(-0.5, 1.5) | st.integers(0, 2))
def test_every_level_that_loads_can_be_played(poles, max_steps, angle, state, halves, perturbation, tmp_path_factory):
    """Random numbers in every field: refused with a LevelError, or loaded and simulated cleanly."""
    path = tmp_path_factory.getbasetemp() / "fuzz-cartpole.json"
    path.write_text(json.dumps(level_data(poles=poles, max_steps=max_steps, failure_angle_deg=angle,
                                          initial_state=state, half_lengths=halves, perturbation=perturbation)))
    try:
        level = cartpole_level.load(path)
    except LevelError as exc:
        assert "fuzz-cartpole.json" in str(exc) and "\n" not in str(exc)
        return
    genomes = np.random.default_rng(0).uniform(-1, 1, (8, LINEAR.genome_size)).astype(np.float32)
    outcome = run(level, genomes, seeds=np.arange(8, dtype=np.uint64), max_ticks=200)
    assert np.isfinite(outcome.fitness["pole"]).all() and (outcome.ticks <= 200).all()

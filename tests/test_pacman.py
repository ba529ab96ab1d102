"""The pacman arena: rules, scripted players, kernels against the reference, and maze files."""

import json
import tempfile
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arena.arenas import load_all
from arena.arenas.base import SCRIPTED
from arena.arenas.pacman import level as pacman_level
from arena.arenas.pacman import reference, sim
from arena.arenas.pacman.params import PARAMS
from arena.arenas.pacman.state import (
    ACTIVE, CATCH_TICK, DOWN, G_ACC, G_CELL, G_DIR, G_FRIGHT, G_OUTSIDE, G_STATUS, G_WAIT, GHOSTS_EATEN,
    LEFT, OUT, PAC_CELL, PAC_COL, PAC_DIR, PAC_ROW, PELLETS_LEFT, POWER_LEFT, RIGHT, SCORE, TICK, UP, WAITING,
)
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp
from arena.core.errors import LevelError

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="arena-pacman-fuzz-"))
ROOM = """\
%%%%%%%%%%%%%
%...........%
%...........%
%...........%
%...........%
%...........%
%P....G.....%
%...........%
%...........%
%...........%
%...........%
%...........%
%%%%%%%%%%%%%
"""


@pytest.fixture(scope="module")
def arena():
    return load_all()["pacman"]


def maze(text, name="test"):
    return pacman_level.parse(text, f"{name}.txt", name)


def cell(level, r, c):
    return int(level.cell_of[r, c])


def place_pacman(level, state, e, r, c, direction):
    state.count[e, PAC_CELL] = cell(level, r, c)
    state.count[e, PAC_ROW], state.count[e, PAC_COL] = r, c
    state.count[e, PAC_DIR] = direction


def place_ghost(level, state, e, g, r, c, direction=-1, frightened=False):
    """Ghost g of game e active on (r, c), one tick short of a move."""
    state.ghost[e, g, G_CELL] = cell(level, r, c)
    state.ghost[e, g, G_DIR] = direction
    state.ghost[e, g, G_STATUS] = ACTIVE
    state.ghost[e, g, G_WAIT] = 0
    state.ghost[e, g, G_OUTSIDE] = 1
    state.ghost[e, g, G_FRIGHT] = int(frightened)
    speed = PARAMS.frightened_speed if frightened else PARAMS.ghost_speed
    state.ghost[e, g, G_ACC] = PARAMS.speed_unit - speed


def remove_ghost(state, e, g):
    state.ghost[e, g, G_STATUS] = OUT


def one_hot(n, direction, agents=1):
    out = np.zeros((n * agents, 4), dtype=np.float32)
    out[:, direction] = 1.0
    return out


# -- the scripted players


def test_arcade_ghosts_aim_each_at_their_own_target(arena):
    """Pac-Man stands against the left wall facing left (he cannot move); each ghost, free to
    go any way (no direction yet), steps towards its own target, in a spot where the others'
    rules would step elsewhere."""
    level = maze(ROOM)
    state = arena.reset(level, 2, None)
    for e in range(2):
        place_pacman(level, state, e, 6, 1, LEFT)
        state.count[e, TICK] = 100  # tick 101 is in the first chase period
    place_ghost(level, state, 0, 0, 6, 6)  # Blinky: Pac-Man himself -> left
    place_ghost(level, state, 0, 1, 2, 2)  # Pinky: 4 ahead, (6, -3) -> left (Blinky's rule: down)
    place_ghost(level, state, 0, 2, 9, 3)  # Inky: 2 (6, -1) - Blinky (6, 5) = (6, -7) -> left (Blinky's rule: up)
    place_ghost(level, state, 0, 3, 6, 4)  # Clyde, within 8 cells: his corner (13, 0) -> down
    place_ghost(level, state, 1, 3, 6, 11)  # Clyde far away chases -> left
    for g in range(3):
        remove_ghost(state, 1, g)
    arena.step(level, state, {"pacman": one_hot(2, LEFT)})
    moved = state.ghost[:, :, G_DIR]
    assert moved[0].tolist() == [LEFT, LEFT, LEFT, DOWN]
    assert moved[1, 3] == LEFT
    assert (state.count[:, PAC_CELL] == cell(level, 6, 1)).all() and state.alive.all()


def test_arcade_ghosts_scatter_to_their_corners_and_never_reverse(arena):
    level = maze(ROOM)
    state = arena.reset(level, 1, None)
    place_pacman(level, state, 0, 6, 1, LEFT)
    state.count[0, TICK] = 10  # scatter
    place_ghost(level, state, 0, 0, 6, 6)  # Blinky's corner (-3, 10): up
    place_ghost(level, state, 0, 1, 6, 8, direction=DOWN)  # Pinky's corner (-3, 2) is up, but he came down: left
    for g in (2, 3):
        remove_ghost(state, 0, g)
    arena.step(level, state, {"pacman": one_hot(1, LEFT)})
    assert state.ghost[0, :2, G_DIR].tolist() == [UP, LEFT]


def test_frightened_ghosts_wander_by_the_seed_without_reversing(arena):
    level = maze(ROOM)
    moves = []
    for seed in range(12):
        state = arena.reset(level, 1, np.array([seed], dtype=np.uint64))
        place_pacman(level, state, 0, 6, 1, LEFT)
        state.count[0, POWER_LEFT] = 40
        place_ghost(level, state, 0, 0, 6, 6, direction=RIGHT, frightened=True)
        for g in (1, 2, 3):
            remove_ghost(state, 0, g)
        again = reference.reset(level, 1, np.array([seed], dtype=np.uint64))
        for name in ("count", "ghost"):
            getattr(again, name)[:] = getattr(state, name)
        arena.step(level, state, {"pacman": one_hot(1, LEFT)})
        reference.step(level, again, {"pacman": one_hot(1, LEFT)})
        assert np.array_equal(state.ghost, again.ghost)
        moves.append(int(state.ghost[0, 0, G_DIR]))
    assert LEFT not in moves and set(moves) == {UP, DOWN, RIGHT}


def linear_pacman(arena, pellet=1.0, danger=4.0, prey=2.0):
    """A hand-made Pac-Man (the default linear network): each move's score is its own inputs'."""
    spec = MLPSpec.for_role(arena.spec.role("pacman"))
    assert spec.layers == (21, 4)
    genome = np.zeros(spec.genome_size, dtype=np.float32)
    for d in range(4):
        genome[(4 + d) * 4 + d] = pellet
        genome[(8 + d) * 4 + d] = -danger
        genome[(12 + d) * 4 + d] = prey
    return spec, genome


def test_contract_with_pacmen_that_clear_the_maze(arena):
    """`check_arena` (kernel against reference, rollout, advance) with games that end every way:
    a hand-made Pac-Man clears most mazes against random ghosts, which catch some."""
    from arena.arenas.check import check_arena

    level = arena.load_level(arena.levels_folder() / "1-small.txt")
    spec, genome = linear_pacman(arena)
    ghost_spec = MLPSpec.for_role(arena.spec.role("ghost"))
    brains = {"pacman": (spec, np.tile(genome, (48, 1))),
              "ghost": (ghost_spec, ghost_spec.random_genomes(np.random.default_rng(2), 48 * 4))}
    outcome = arena.rollout(level, {r: compile_mlp(s, g) for r, (s, g) in brains.items()}, None)
    assert outcome.finished["pacman"].sum() >= 10 and outcome.finished["ghost"].sum() >= 3
    check_arena(arena, level, n_envs=48, ticks=10**6, brains=brains)


def test_greedy_pacman_clears_a_maze_alone(arena):
    level = arena.load_level(arena.levels_folder() / "1-small.txt")
    state = arena.reset(level, 1, None)
    state.ghost[:, :, G_STATUS] = OUT
    while state.alive.any():
        arena.step(level, state, {})
    outcome = arena.outcome(state)
    assert outcome.finished["pacman"].all() and not outcome.finished["ghost"].any()
    t = int(state.count[0, TICK])
    assert t < 2 * level.n_pellets  # it walks from pellet to pellet
    bonus = PARAMS.clear_bonus + PARAMS.clear_time_bonus * (level.max_ticks - t) // level.max_ticks
    assert state.count[0, SCORE] == level.pellet_points + bonus
    assert arena.solved(outcome).all()


def test_greedy_pacman_against_arcade_ghosts_matches_the_reference(arena):
    """Both scripted players, kernel against reference, every tick, on the classic maze."""
    level = arena.load_level(arena.default_level_path())
    seeds = np.arange(16, dtype=np.uint64) * 7919
    fast, slow = arena.reset(level, 16, seeds), reference.reset(level, 16, seeds)
    while fast.alive.any():
        arena.step(level, fast, {})
        reference.step(level, slow, {})
        for name in ("count", "ghost", "pellet", "flag", "real"):
            assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    assert fast.caught.any() and (fast.count[:, SCORE] > 500).all()


@pytest.mark.parametrize("roles", [("net", "scripted"), ("scripted", "net"), ("scripted", "scripted")])
def test_rollout_with_scripted_roles_matches_the_reference(arena, roles):
    level = arena.load_level(arena.levels_folder() / "3-crossroads.txt")
    n = 40
    seeds = np.arange(n, dtype=np.uint64) + 11
    rng = np.random.default_rng(3)
    nets, brains = {}, {}
    for role, kind in zip(arena.spec.roles, roles):
        if kind == "scripted":
            nets[role.name] = brains[role.name] = SCRIPTED
        else:
            spec = MLPSpec.for_role(role)
            genomes = spec.random_genomes(rng, n * role.agents)
            nets[role.name], brains[role.name] = compile_mlp(spec, genomes), (spec, genomes)
    kernel = arena.rollout(level, nets, seeds)
    fitness, finished, ticks = reference.rollout(level, brains, seeds)
    state = reference.play(level, brains, seeds)
    for role in fitness:
        assert np.array_equal(kernel.fitness[role], fitness[role])
        assert np.array_equal(kernel.finished[role], finished[role])
    assert np.array_equal(kernel.ticks, ticks)
    assert np.array_equal(kernel.score, state.count[:, SCORE])
    assert np.array_equal(kernel.catch_tick, state.count[:, CATCH_TICK])
    # advance (the live view's fused stepping) with the same players, in uneven chunks
    live = arena.reset(level, n, seeds)
    arrays = {r: net.arrays() for r, net in nets.items() if net is not SCRIPTED}
    for chunk in (1, 5, 10**6):
        arena.advance(level, live, nets, arrays, chunk)
    assert np.array_equal(arena.outcome(live).fitness["pacman"], kernel.fitness["pacman"])


# -- the rules


def test_power_pellet_makes_ghosts_edible_for_200_then_400(arena):
    level = maze("""\
%%%%%%%%%%%%%
%Po.........%
%.%%%%%%%%%.%
%.....G.....%
%%%%%%%%%%%%%
""")
    state = arena.reset(level, 1, None)
    place_ghost(level, state, 0, 0, 1, 4, direction=LEFT)  # they flee right at half speed: he catches both
    place_ghost(level, state, 0, 1, 1, 6, direction=LEFT)
    remove_ghost(state, 0, 2)
    remove_ghost(state, 0, 3)
    arena.step(level, state, {"pacman": one_hot(1, RIGHT)})
    assert state.count[0, SCORE] == 50 and state.count[0, POWER_LEFT] == PARAMS.power_ticks - 1
    assert state.ghost[0, :2, G_FRIGHT].all() and state.ghost[0, :2, G_DIR].tolist() == [RIGHT, RIGHT]  # they turned
    for _ in range(20):
        arena.step(level, state, {"pacman": one_hot(1, RIGHT)})
    assert state.count[0, GHOSTS_EATEN] == 2 and state.alive[0]
    dots = level.n_pellets - 1 - state.count[0, PELLETS_LEFT]
    assert state.count[0, SCORE] == 50 + 10 * dots + 200 + 400
    home = level.ghost_starts[0]
    assert (state.ghost[0, :2, G_CELL] == home).all() and (state.ghost[0, :2, G_STATUS] == WAITING).all()
    assert not state.ghost[0, :2, G_FRIGHT].any()


def test_a_ghost_catches_pacman_and_ends_the_game(arena):
    level = maze(ROOM)
    state = arena.reset(level, 2, None)
    for e in range(2):
        state.count[e, TICK] = 100
        for g in (1, 2, 3):
            remove_ghost(state, e, g)
    place_pacman(level, state, 0, 6, 3, RIGHT)
    place_ghost(level, state, 0, 0, 6, 5, direction=LEFT)  # both step into (6, 4): same cell
    place_pacman(level, state, 1, 6, 3, RIGHT)
    place_ghost(level, state, 1, 0, 6, 4, direction=LEFT)  # he steps onto the ghost: caught before it moves
    arena.step(level, state, {"pacman": one_hot(2, RIGHT)})
    assert not state.alive.any() and state.caught.all() and (state.count[:, CATCH_TICK] == 101).all()
    outcome = arena.outcome(state)
    assert outcome.finished["ghost"].all() and not outcome.finished["pacman"].any()
    assert np.array_equal(outcome.catch_tick, [101, 101]) and np.array_equal(arena.catch_ticks(state), [101, 101])
    score = state.count[:, SCORE]
    expected = (1.0 - score / level.pellet_points) + (1.0 - 101 / level.max_ticks)
    np.testing.assert_allclose(outcome.fitness["ghost"], expected)
    np.testing.assert_allclose(outcome.fitness["pacman"], score + PARAMS.survival_points * 101 / level.max_ticks)
    summary = arena.match_summary(level, outcome)
    assert summary == {"score": float(score.mean()), "caught": 1.0, "ticks_to_catch": 101.0}


def test_tunnels_wrap(arena):
    level = maze("""\
%%%%%%%
%.....%
 P.G.. 
%.....%
%%%%%%%
""")
    assert level.neighbours[cell(level, 2, 0), LEFT] == cell(level, 2, 6)
    assert level.neighbours[cell(level, 1, 1), LEFT] == -1
    state = arena.reset(level, 1, None)
    state.ghost[:, :, G_STATUS] = OUT
    for expected_col in (0, 6, 5):
        arena.step(level, state, {"pacman": one_hot(1, LEFT)})
        assert state.count[0, PAC_COL] == expected_col
    assert arena.positions(state).tolist() == [[5.5, -2.5]]


def test_pacman_stops_at_walls_and_keeps_going_when_the_chosen_way_is_shut(arena):
    level = maze(ROOM)
    state = arena.reset(level, 1, None)
    state.ghost[:, :, G_STATUS] = OUT
    place_pacman(level, state, 0, 1, 3, RIGHT)
    arena.step(level, state, {"pacman": one_hot(1, UP)})  # up is a wall: on to the right
    assert state.count[0, PAC_COL] == 4 and state.count[0, PAC_DIR] == RIGHT
    place_pacman(level, state, 0, 1, 11, RIGHT)
    arena.step(level, state, {"pacman": one_hot(1, UP)})  # both shut: he stops
    assert state.count[0, PAC_CELL] == cell(level, 1, 11)


def test_ghosts_leave_the_house_and_doors_shut_behind_them(arena):
    level = arena.load_level(arena.default_level_path())
    assert level.inside.sum() > 0 and not level.inside[level.exit_cell]
    state = arena.reset(level, 1, None)
    outside_at = np.full(4, -1)
    for t in range(200):
        arena.step(level, state, {"pacman": one_hot(1, LEFT)})
        for g in np.flatnonzero((state.ghost[0, :, G_OUTSIDE] == 1) & (outside_at < 0)):
            outside_at[g] = t
        for g in np.flatnonzero(outside_at >= 0):
            assert not level.inside[state.ghost[0, g, G_CELL]]  # never back in
        if not state.alive[0]:
            break
    assert (outside_at >= 0).all()


def test_nan_networks_win_nothing(arena):
    level = arena.load_level(arena.levels_folder() / "1-small.txt")
    state = arena.reset(level, 3, None)
    nan = np.full((3, 4), np.nan, dtype=np.float32)
    arena.step(level, state, {"pacman": nan})  # a NaN Pac-Man ends his game
    assert not state.alive.any() and not state.cleared.any() and not state.caught.any()
    outcome = arena.rollout(level, {"pacman": SCRIPTED, "ghost": _constant_nets(arena, 3 * 4, np.nan)}, None)
    assert not outcome.finished["ghost"].any() and outcome.finished["pacman"].all()  # NaN ghosts leave


def _constant_nets(arena, count, value):
    spec = MLPSpec.for_role(arena.spec.role("ghost"))
    return compile_mlp(spec, np.full((count, spec.genome_size), value, dtype=np.float32))


def test_rollout_is_deterministic_whatever_the_batch_and_threads(arena):
    level = arena.load_level(arena.levels_folder() / "3-crossroads.txt")
    rng = np.random.default_rng(4)
    spec = MLPSpec.for_role(arena.spec.role("pacman"))
    genomes = spec.random_genomes(rng, 120)
    seeds = rng.integers(0, 2**63, 120).astype(np.uint64)
    whole = arena.rollout(level, {"pacman": compile_mlp(spec, genomes), "ghost": SCRIPTED}, seeds)
    part = arena.rollout(level, {"pacman": compile_mlp(spec, genomes[30:77]), "ghost": SCRIPTED}, seeds[30:77])
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        alone = arena.rollout(level, {"pacman": compile_mlp(spec, genomes), "ghost": SCRIPTED}, seeds)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(whole.fitness["pacman"][30:77], part.fitness["pacman"])
    assert np.array_equal(whole.fitness["pacman"], alone.fitness["pacman"])
    assert np.array_equal(whole.score, alone.score)


def test_a_ghost_network_plays_each_ghost_by_its_identity(arena):
    level = arena.load_level(arena.default_level_path())
    state = arena.reset(level, 2, None)
    obs = arena.observe(level, state)["ghost"]
    assert obs.shape == (8, arena.spec.role("ghost").n_inputs)
    assert np.array_equal(obs[:4, :4], np.eye(4)) and np.array_equal(obs[4:, :4], np.eye(4))
    assert (obs >= 0).all() and (obs <= 1).all()


def test_nearest_pellet_field_is_mended_exactly(arena):
    """`remove_pellet` keeps the field equal to a full rebuild, pellet after pellet."""
    rng = np.random.default_rng(0)
    for level in (arena.load_level(arena.default_level_path()), pacman_level.generate(3)):
        pellets = level.pellets.copy()
        field = np.empty(level.n_cells, dtype=np.int16)
        full = np.empty(level.n_cells, dtype=np.int16)
        work = sim.new_work(level.n_cells)
        sim.build_field(level.pac_neighbours, pellets, field, work[0])
        for p in rng.permutation(np.flatnonzero(pellets)):
            pellets[p] = 0
            sim.remove_pellet(level.pac_neighbours, level.pac_distance, p, field, work[:6])
            sim.build_field(level.pac_neighbours, pellets, full, work[0])
            assert np.array_equal(field, full)
            assert not work[1].any()
        assert (field == sim.FAR).all()


# -- maze files


def test_builtin_mazes(arena):
    names = [p.name for p in arena.builtin_levels()]
    assert len(names) >= 3 and names[1] == "2-classic.txt" and arena.default_level_name in names
    classic = arena.load_level(arena.default_level_path())
    assert (classic.rows, classic.cols) == (31, 28) and classic.n_pellets == 246 and len(classic.power_cells) == 4


def test_generated_mazes_are_valid_symmetric_and_deterministic():
    for seed in range(12):
        level = pacman_level.generate(seed)
        again = pacman_level.generate(seed)
        assert level.maze == again.maze
        rows = np.array([list(r) for r in level.maze])
        assert (rows == rows[:, ::-1]).sum() >= rows.size - 2  # mirror symmetric but for the ghost starts
        corners = [level.maze[r][c] for r in (1, level.rows - 2) for c in (1, level.cols - 2)]
        assert corners == ["o"] * 4
    assert pacman_level.generate(1).maze != pacman_level.generate(2).maze


@pytest.mark.parametrize("suffix", [".txt", ".json", ".lay"])
def test_round_trip(suffix, tmp_path):
    level = pacman_level.generate(5)
    pacman_level.save(level, tmp_path / f"m{suffix}")
    again = pacman_level.load(tmp_path / f"m{suffix}")
    assert again.maze == level.maze and np.array_equal(again.distance, level.distance)


@pytest.mark.parametrize("text,message", [
    ("", "no maze"),
    ("%%%%\n%P.%\n%G.\n%%%%\n", "line 3 has 3 characters"),
    ("%%%%\n%P.%\n%Gx%\n%%%%\n", "unknown character 'x' at line 3, column 3"),
    ("%%%%\n%..%\n%G.%\n%%%%\n", "no Pac-Man start"),
    ("%%%%\n%PP%\n%G.%\n%%%%\n", "a second Pac-Man start (P) at line 2, column 3"),
    ("%%%%\n%P.%\n%..%\n%%%%\n", "no ghost start"),
    ("%%%%%%%\n%PGGGG%\n%.....%\n%G%%%%%\n", "a fifth ghost start (G) at line 4, column 2"),
    ("%%%%%\n%PG.%\n%%%%%\n%%%.%\n%...%\n%%%%%\n", "the pellet at line 4, column 4 cannot be reached"),
    ("%%%%%\n%P.%G\n%%%%%\n", "ghost start (G) at line 2, column 5 has no way out"),
    ("%%%%%\n%P.-G\n%%%%%\n", None),  # a ghost behind a door gets out
    ("%%%%\n%P %\n%G %\n%%%%\n", "no pellets"),
    ("%" * 65 + "\n", "at most 64 by 64"),
])
def test_bad_mazes_name_the_problem(text, message, tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    if message is None:
        assert pacman_level.load(path).exit_cell >= 0
        return
    with pytest.raises(LevelError) as err:
        pacman_level.load(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("content,message", [
    (b"\xff\xfe", "not UTF-8"),
    (b'{"format": "arena.level", "version": 1, "arena": "pacman", "maze": "%%%"}', "'maze'"),
    (b'{"format": "arena.level", "version": 1, "arena": "pacman", "maze": ["%P.%"], "x": 1}', "unknown field"),
    (b'{"format": "arena.level", "version": 1, "arena": "racing", "maze": []}', "for arena 'racing'"),
])
def test_bad_files(content, message, tmp_path):
    path = tmp_path / ("bad.json" if content.startswith(b"{") else "bad.txt")
    path.write_bytes(content)
    with pytest.raises(LevelError, match=message):
        pacman_level.load(path)
    with pytest.raises(LevelError, match="not found"):
        pacman_level.load(tmp_path / "nope.txt")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet="%%%%...oPGG- \n\rx", max_size=120))
def test_fuzzed_mazes_raise_only_level_errors(text):
    path = FUZZ_DIR / "fuzz.txt"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        level = pacman_level.load(path)
    except LevelError as exc:
        assert "fuzz.txt" in str(exc) and "\n" not in str(exc)
    else:
        reach = level.pac_distance[level.pac_start]
        assert (reach[level.pellets != 0] < sim.FAR).all() and level.n_pellets > 0
        assert (level.distance[level.pac_start, level.ghost_starts] < sim.FAR).all()


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.text(alphabet="%. ", min_size=7, max_size=7), min_size=3, max_size=6))
def test_fuzzed_json_mazes_raise_only_level_errors(rows):
    path = FUZZ_DIR / "fuzz.json"
    maze_rows = ["%P.G..%"] + rows
    path.write_text(json.dumps({"format": "arena.level", "version": 1, "arena": "pacman", "maze": maze_rows}))
    try:
        pacman_level.load(path)
    except LevelError as exc:
        assert "fuzz.json" in str(exc) and "\n" not in str(exc)


# -- drawing


def test_renderer_draws_a_game(arena):
    pygame = pytest.importorskip("pygame")
    from arena.ui.camera import Camera
    from arena.ui.draw import SELECTED, renderer_class

    level = arena.load_level(arena.default_level_path())
    renderer = renderer_class(arena)(arena, level)
    surface = pygame.Surface((400, 440))
    camera = Camera((400, 440), renderer.bounds())
    state = arena.reset(level, 3, None)
    for _ in range(30):
        arena.step(level, state, {})
    renderer.draw_level(surface, camera)
    colours = np.full((3, 3), 200, dtype=np.uint8)
    renderer.draw_agents(surface, camera, state, colours, {1: SELECTED})
    centre = camera.to_screen(arena.positions(state)[1:2])[0].astype(int)
    assert surface.get_at(tuple(centre))[:3] == (255, 255, 0)  # Pac-Man, yellow
    renderer.draw_sensors(surface, camera, state, 1, arena.observe(level, state)["pacman"][1])
    assert renderer.human_action({pygame.K_DOWN}).tolist() == [0, 1, 0, 0]
    assert renderer.human_action(set()).tolist() == [0, 1, 0, 0]  # the last arrow still counts

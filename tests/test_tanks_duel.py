"""Two network tanks on one field: the duel kernels against the multi-agent env's numpy stepping,
the fields duels are played on, and `arena duel` of two tank brains."""

from dataclasses import replace

import numpy as np
import pytest
from brains import duel_json, mirror, random_brain, saved

from arena.arenas import get_arena
from arena.arenas.tanks import RIVAL
from arena.arenas.tanks import level as tanks_level
from arena.arenas.tanks.params import PARAMS
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import forward
from arena.cli import main
from arena.evaluate import make_backend
from arena.matches.duel import duel_level, load_entrant, play_matches
from arena.persist.brainfile import brain_from_genome, compile_brains

ARENA = get_arena("tanks")
SPEC = MLPSpec.for_role(ARENA.spec.role("tank"))
PILLARS = "levels/tanks/2-pillars.json"
ROOMS = "levels/tanks/3-rooms.json"


def tank_brain(seed: int):
    return random_brain("tanks", "tank", seed)


def short_duel(path, seconds=6.0, target=3):
    return replace(duel_level(ARENA.load_level(path)), seconds=seconds, target=target)


def duel_nets(first, second, n):
    return {"tank": compile_brains([first] * n), RIVAL: compile_brains([second] * n)}


@pytest.mark.parametrize("path", [ROOMS, PILLARS])
def test_a_duel_is_the_multi_agent_envs_game_bit_for_bit(path):
    """`TanksParallelEnv` steps two tanks with the arena's numpy reference; the fused duel
    kernel must play the very same game: points, ticks, tank 0's fitness, final positions."""
    from arena.envs.tanks import TanksParallelEnv

    field = short_duel(path)
    brains = [tank_brain(1), tank_brain(2)]
    nets = [compile_brains([b]) for b in brains]
    env = TanksParallelEnv(level=path)
    for seed in (3, 4):
        env.reset(seed=seed)
        env.level = field
        env._on_level()
        observations, _ = env.reset(seed=seed)
        fitness = None
        while env.agents:
            actions = {f"tank_{t}": forward(nets[t], observations[f"tank_{t}"][None])[0] for t in (0, 1)}
            observations, _, _, _, infos = env.step(actions)
            fitness = infos["tank_0"]["fitness"]
        seeds = np.array([env.arena_seed], dtype=np.uint64)
        outcome = ARENA.rollout(field, duel_nets(*brains, 1), seeds)
        assert outcome.caught[0].tolist() == env.state.caught[0].tolist()
        assert outcome.ticks[0] == env.state.count[0, 0]
        assert outcome.fitness["tank"][0] == fitness
        state = ARENA.reset(field, 1, seeds)
        ARENA.advance(field, state, duel_nets(*brains, 1), {"tank": nets[0].arrays(), RIVAL: nets[1].arrays()},
                      10**6)
        assert np.array_equal(state.tank, env.state.tank) and np.array_equal(state.point, env.state.point)


def test_advance_in_pieces_and_python_stepping_equal_the_rollout():
    field = short_duel(ROOMS, seconds=4.0, target=2)
    brains = [tank_brain(5), tank_brain(6)]
    seeds = np.arange(40, dtype=np.uint64)
    nets = duel_nets(brains[0], brains[1], 40)
    whole = ARENA.rollout(field, nets, seeds)
    for stepper in ("advance", "step_ticks"):
        state = ARENA.reset(field, 40, seeds)
        arrays = {key: net.arrays() for key, net in nets.items()}
        while state.alive.any():
            getattr(ARENA, stepper)(field, state, nets, arrays, 37, np.zeros((0, 0, 2), np.float32), 0)
        assert np.array_equal(state.caught, whole.caught) and np.array_equal(state.count[:, 0], whole.ticks)
        assert np.array_equal(state.real[:, 0], whole.fitness["tank"])


def test_a_tank_whose_network_breaks_down_stands_still():
    field = short_duel(PILLARS, seconds=4.0)
    broken_genome = np.where(np.arange(SPEC.genome_size) % 2 == 0, 3e38, -3e38).astype(np.float32)
    broken = brain_from_genome(ARENA.spec, "tank", SPEC, broken_genome)
    state = ARENA.reset(field, 1, np.zeros(1, dtype=np.uint64))
    start = state.tank[0, 0].copy()
    nets = duel_nets(broken, tank_brain(1), 1)
    ARENA.advance(field, state, nets, {k: n.arrays() for k, n in nets.items()}, 100)
    assert np.array_equal(state.tank[0, 0, :2], start[:2]) and state.alive[0]
    assert not np.array_equal(state.tank[0, 1, :2], field.tank_spawns[1, :2])


def test_a_rival_network_needs_a_duels_field():
    """The greedy rivals' fields have no room for a second network's moves: refused, not written past."""
    rooms = ARENA.load_level(ROOMS)
    state = ARENA.reset(rooms, 1, np.zeros(1, dtype=np.uint64))
    with pytest.raises(ValueError, match="no duel's field"):
        ARENA.step(rooms, state, {"tank": np.zeros((1, 2), np.float32), RIVAL: np.zeros((1, 2), np.float32)})
    with pytest.raises(ValueError, match="no duel's field"):
        ARENA.rollout(ARENA.load_level(PILLARS), duel_nets(tank_brain(1), tank_brain(2), 1), np.zeros(1, np.uint64))


def test_fields_with_one_spawn_get_a_second_a_tank_can_use():
    pillars = ARENA.load_level(PILLARS)
    two = duel_level(pillars)
    assert two.n_tanks == 2 and np.array_equal(two.tank_spawns, pillars.tank_spawns)
    for level in [ARENA.load_level("levels/tanks/1-open.json")] + [tanks_level.generate(s) for s in range(12)]:
        field = duel_level(level)
        assert field.n_tanks == 2 and np.array_equal(field.tank_spawns[0], level.tank_spawns[0])
        x, y, heading = field.tank_spawns[1]
        assert float(tanks_level.clearance_at(field, x, y)) >= PARAMS.tank_radius
        assert -180.0 <= heading < 180.0
        assert np.array_equal(duel_level(level).tank_spawns, field.tank_spawns)  # the same every time
        apart = np.hypot(x - level.tank_spawns[0, 0], y - level.tank_spawns[0, 1])
        assert apart >= 0.25 * min(level.width, level.height)
    generated = tanks_level.generate(1)  # its spawn's mirror image is free and far enough: taken
    x, y, _ = generated.tank_spawns[0]
    assert duel_level(generated).tank_spawns[1, :2].tolist() == [generated.width - x, generated.height - y]


@pytest.fixture(scope="module")
def tank_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tanks")
    return [saved(folder, f"t{seed}", tank_brain(seed)) for seed in range(3)]


def test_tank_brains_duel_from_both_starts_and_swapping_them_mirrors_it(tank_files, capsys):
    args = ["--level", PILLARS, "--generated", "1", "--seed", "2", "--matches", "2"]
    forward_result = duel_json(capsys, tank_files[0], tank_files[1], *args)
    assert forward_result["kind"] == "tanks" and len(forward_result["games"]) == 2 * 2 * 2
    slots = [(g["level"], g["seed"], g["a"]["slot"], g["b"]["slot"]) for g in forward_result["games"]]
    assert {(s[2], s[3]) for s in slots} == {(0, 1), (1, 0)}
    assert mirror(forward_result) == duel_json(capsys, tank_files[1], tank_files[0], *args)
    for game in forward_result["games"]:
        points = {side: game[side]["points"] for side in ("a", "b")}
        assert game["winner"] == ("a" if points["a"] > points["b"] else "b" if points["b"] > points["a"] else None)
    assert main(["duel", tank_files[0], tank_files[1], *args]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("tanks duel: ") and len(text) == 1 + 8 + 2
    first = forward_result["games"][0]
    assert f"a: {first['a']['points']} points from start {first['a']['slot']}" in text[1]


def test_a_tank_brain_against_itself_is_even(tank_files):
    """The same brain from both starts of every seed: each game's mirror image is also played."""
    entrants = [load_entrant(tank_files[2]), load_entrant(tank_files[2])]
    level = ARENA.load_level(ROOMS)
    [result] = play_matches(ARENA, entrants, [(0, 1)], [("rooms", level)], 1, 2, make_backend("serial"))
    assert result["a"]["wins"] == result["b"]["wins"] and result["winner"] is None
    points = {side: sum(g[side]["points"] for g in result["games"]) for side in ("a", "b")}
    assert points["a"] == points["b"]


def test_a_tanks_duel_is_the_same_through_the_pool(tank_files):
    entrants = [load_entrant(path) for path in tank_files]
    levels = [("pillars", ARENA.load_level(PILLARS)), ("generated", ARENA.generate_level(3))]
    pairs = [(0, 1), (2, 0), (1, 2)]
    serial = play_matches(ARENA, entrants, pairs, levels, 5, 2, make_backend("serial"))
    pool = make_backend("pool", workers=2)
    try:
        assert play_matches(ARENA, entrants, pairs, levels, 5, 2, pool) == serial
    finally:
        pool.close()
    direct = ARENA.rollout(duel_level(levels[0][1]), duel_nets(entrants[2].brain, entrants[0].brain, 1),
                           np.array([serial[1]["games"][0]["seed"]], dtype=np.uint64))
    game = serial[1]["games"][0]  # entrant 2 as "a", from slot 0
    assert (game["a"]["slot"], game["a"]["points"], game["b"]["points"]) == (0, *direct.caught[0].tolist())


def test_watching_a_tanks_duel_is_the_game_rated_and_a_human_meets_brain_b(tank_files, display):
    from arena.ui.play import matches_live

    entrants = [load_entrant(path) for path in tank_files[:2]]
    level = ARENA.load_level(PILLARS)
    live = matches_live(ARENA, [entrants], replace(level, seconds=4.0), seed=7)
    assert live.level.n_tanks == 2 and RIVAL in live.run.nets
    live.set_speed("max")
    while not live.history:
        live.update(0.0, 0.05)
    field = replace(duel_level(level), seconds=4.0)
    seed = live.run.seeds[:1]
    alone = ARENA.rollout(field, duel_nets(entrants[0].brain, entrants[1].brain, 1), seed)
    assert live.history[0]["best_fitness"] == float(alone.fitness["tank"][0])
    live.set_human(True)  # the human drives a tank against brain B, not against the greedy policy
    assert live.run.human_nets[RIVAL] is not None and live.run.human_nets[RIVAL].size == 1
    for _ in range(5):
        live.tick(1)
    assert live.run.state.tank.shape[0] == 2
    live.close()

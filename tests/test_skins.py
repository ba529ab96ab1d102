"""Agents' CPPN skins: inherited along the brains' lineage, saved with the run, worn on screen.

A skin is a CPPN genome (`arena.evolve.skins`); every genome of an evolving population wears
one, and its children wear a crossover of their parents' skins or a mutated copy of their
parent's. Skins never change what the brains do.
"""

import json
from dataclasses import replace

import numpy as np
import pytest

from arena.arenas import get_arena
from arena.brains.activations import CODES
from arena.brains.neat import operators as ops
from arena.brains.neat.genome import concatenate, empty
from arena.core.errors import BrainError, RunError
from arena.evolve.skins import SKIN_OUTPUTS, SKIN_PARAMS, AgentSkins, SkinLineage
from arena.persist.brainfile import brain_from_genome, load_brain, save_brain
from arena.persist.checkpoint import save_checkpoint
from arena.session import TrainConfig, TrainSession

N_INPUTS = 5


def session_of(brain="mlp", arena="tunnel", population=12, seed=5, **settings):
    return TrainSession(TrainConfig(arena=arena, brain=brain, population=population, seed=seed, checkpoint_every=0,
                                    **settings))


def steps(session, n):
    return [session.step() for _ in range(n)]


def skins_data(session) -> str:
    """The skins of every population (and the champions' and hall of fame's) as saved, as one string."""
    data = session.checkpoint_data()
    pops = data.get("populations") or {"": {"skins": data["skins"], "champion": data["session"]["champion"]}}
    return json.dumps({name: {k: v for k, v in pop.items() if "skin" in k or k == "champion"}
                       for name, pop in pops.items()})


def brains_data(data: dict) -> str:
    """A checkpoint document without any skins: what the brains' evolution alone saved."""
    data = json.loads(json.dumps(data))
    data.pop("skins", None)
    for pop in list((data.get("populations") or {}).values()):
        pop.pop("skins")
        pop.pop("hall_of_fame_skins")
        if pop["champion"]:
            pop["champion"].pop("skin")
    if data["session"]["champion"]:
        data["session"]["champion"].pop("skin")
    return json.dumps(data)


def solid_skin(rgb) -> object:
    """A one-genome CPPN painting every pixel one colour: no links, output biases only."""
    genome = empty(N_INPUTS, SKIN_OUTPUTS, 1, SKIN_OUTPUTS, 1)
    genome.n_nodes[0] = SKIN_OUTPUTS
    genome.node_id[0] = np.arange(N_INPUTS, N_INPUTS + SKIN_OUTPUTS)
    genome.node_act[0] = CODES["sigmoid"]
    genome.node_bias[0] = [20.0 if c > 127 else -20.0 for c in rgb] + [20.0]  # sigmoid(+-20) is 1 or 0 in 8 bits
    return genome


def skin_distance(a, i, b, j) -> float:
    """NEAT's compatibility distance, with the skins' settings, between skin i of `a` and skin j of `b`."""
    p = SKIN_PARAMS
    return float(ops.distance(a.conn_innov[i], a.conn_w[i], a.n_conns[i], b.conn_innov[j], b.conn_w[j], b.n_conns[j],
                              p.excess_coefficient, p.disjoint_coefficient, p.weight_coefficient, p.normalise_from))


def connections(genomes, g) -> dict:
    return {int(i): float(w) for i, w in zip(genomes.conn_innov[g, : genomes.n_conns[g]], genomes.conn_w[g])}


# -- the lineage

def test_the_same_seed_gives_the_same_skins_and_another_seed_others():
    parents = np.stack([np.arange(16)[::-1], np.r_[np.arange(8), np.full(8, -1)]], axis=1)
    runs = []
    for seed in (3, 3, 4):
        lineage = SkinLineage(seed, 16)
        skins = lineage.initial()
        for generation in range(3):
            skins = lineage.next(skins, parents, generation)
        runs.append(skins)
    assert runs[0].genomes.same_as(runs[1].genomes)
    assert np.array_equal(runs[0].link_keys, runs[1].link_keys)
    assert not runs[0].genomes.same_as(runs[2].genomes)
    # populations of a co-evolving run (streams) differ too
    assert not SkinLineage(3, 16, 0).initial().genomes.same_as(SkinLineage(3, 16, 1).initial().genomes)


def test_a_child_wears_its_parents_skin_mutated_or_a_crossover_of_both():
    lineage = SkinLineage(1, 8)
    # without mutation, what is inherited shows exactly
    lineage.params = replace(lineage.params, weight_mutation_rate=0.0, bias_mutation_rate=0.0, add_node_rate=0.0,
                             add_connection_rate=0.0, enable_toggle_rate=0.0, activation_mutation_rate=0.0)
    skins = lineage.initial()
    parents = np.array([[2, -1], [5, 5], [3, 6], [6, 3], [0, -1], [1, 7], [4, -1], [7, 2]])
    children = lineage.next(skins, parents, 0).genomes
    for child in (0, 1, 4, 6):  # one parent (or the same one twice): a copy
        assert children.take([child]).same_as(skins.genomes.take([parents[child, 0]]))
    crossed_from_second = 0
    for child in (2, 3, 5, 7):  # two parents: the first one's genes, each weight from either parent
        a, b = connections(skins.genomes, parents[child, 0]), connections(skins.genomes, parents[child, 1])
        mine = connections(children, child)
        assert set(mine) == set(a)
        for innovation, weight in mine.items():
            assert weight in (a[innovation], b.get(innovation, a[innovation]))
            crossed_from_second += innovation in b and weight == b[innovation] != a[innovation]
    assert crossed_from_second > 0

    lineage = SkinLineage(1, 8)  # with mutation: every gene of the parent stays, weights move
    skins = lineage.initial()
    children = lineage.next(skins, parents, 0, unchanged=np.arange(8) == 4).genomes
    assert children.take([4]).same_as(skins.genomes.take([0]))  # an unchanged brain keeps its skin as it is
    for child in (0, 6):
        assert set(connections(children, child)) >= set(connections(skins.genomes, parents[child, 0]))
    assert not all(children.take([c]).same_as(skins.genomes.take([parents[c, 0]])) for c in (0, 6))


def test_parents_out_of_range_are_refused():
    lineage = SkinLineage(1, 4)
    skins = lineage.initial()
    with pytest.raises(ValueError):
        lineage.next(skins, np.array([[0, -1], [1, -1], [2, -1], [4, -1]]), 0)
    with pytest.raises(ValueError):
        lineage.next(skins, np.array([[0, -1], [-1, -1], [2, -1], [3, -1]]), 0)


def test_skins_stop_growing_however_long_the_run():
    lineage = SkinLineage(2, 10)
    skins = lineage.initial()
    parents = np.stack([np.arange(10), np.full(10, -1)], axis=1)
    for generation in range(400):
        skins = lineage.next(skins, parents, generation)
    from arena.evolve.skins import MAX_SKIN_CONNECTIONS, MAX_SKIN_HIDDEN

    assert skins.genomes.n_nodes.max() - SKIN_OUTPUTS <= MAX_SKIN_HIDDEN + 1
    assert skins.genomes.n_conns.max() <= MAX_SKIN_CONNECTIONS + 2


# -- in a training session

def a_bred_generation(brain):
    """(population, the evolutionary state and skins before its last generation, each child's
    parent rows) after three generations of 30 agents."""
    session = session_of(brain, population=30)
    steps(session, 2)
    pop = session.primary
    previous, before = pop.state, pop.skins
    steps(session, 1)
    return pop, previous, before, pop.breeder.parent_rows(previous, pop.state)


@pytest.mark.parametrize("brain", ["mlp", "neat"])
def test_families_look_alike(brain):
    """A child's skin is closer, in NEAT's genetic distance, to its parent's than to the skins of
    the agents it does not descend from."""
    pop, _, before, rows = a_bred_generation(brain)
    own, other = [], []
    for child in range(30):
        for row in range(30):
            d = skin_distance(pop.skins.genomes, child, before.genomes, row)
            (own if row in rows[child] else other).append(d)
    assert np.mean(own) < 0.5 * np.mean(other)


@pytest.mark.parametrize("brain", ["mlp", "neat"])
def test_skins_follow_the_brains_lineage_and_elites_keep_theirs(brain):
    pop, previous, before, rows = a_bred_generation(brain)
    unchanged = pop.breeder.unchanged(previous, pop.state)
    assert unchanged.any()  # GA elites, NEAT species champions
    for child in range(30):
        parent_skin = before.genomes.take([rows[child, 0]])
        if unchanged[child]:
            assert pop.skins.genomes.take([child]).same_as(parent_skin)
        elif rows[child, 1] < 0 or rows[child, 1] == rows[child, 0]:
            assert set(connections(pop.skins.genomes, child)) >= set(connections(parent_skin, 0))


def test_skins_never_change_the_brains():
    """Another skin seed: other skins, the very same brains, fitness and champions."""
    results = []
    for skin_seed in (5, 99):
        session = session_of("neat", population=16)
        pop = session.primary
        pop.skin_lineage = SkinLineage(skin_seed, 16)
        pop.skins = pop.skin_lineage.initial()
        stats = [{k: v for k, v in s.items() if k not in ("eval_s", "wall_s")} for s in steps(session, 4)]
        results.append((stats, brains_data(session.checkpoint_data()), skins_data(session)))
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]
    assert results[0][2] != results[1][2]


def test_coevolving_roles_wear_their_own_skins_and_their_opponents_theirs():
    session = session_of(arena="pacman", population=3, opponents=2)
    steps(session, 2)
    batch = session.ask()
    (first, pop_a), (second, pop_b) = session.populations.items()
    p, q, m = 3, 3, 2
    own_a, own_b = batch.skins[first], batch.skins[second]
    assert own_a.of.shape == own_b.of.shape == (len(batch.seeds),)
    for i in range(p):  # the first role's genomes, each in its m games
        for j in range(m):
            assert own_a.genomes.take([own_a.of[i * m + j]]).same_as(pop_a.skins.genomes.take([i]))
    for i in range(q):
        for j in range(m):
            assert own_b.genomes.take([own_b.of[p * m + i * m + j]]).same_as(pop_b.skins.genomes.take([i]))
    # each game's first opponent is the other role's champion, in its skin
    assert own_a.genomes.take([own_a.of[p * m]]).same_as(pop_a.champion.skin)
    assert own_b.genomes.take([own_b.of[0]]).same_as(pop_b.champion.skin)
    assert len(pop_a.hall_of_fame_skins) == len(pop_a.hall_of_fame) == 2


# -- checkpoints

@pytest.mark.parametrize("brain,arena", [("mlp", "tunnel"), ("neat", "tunnel"), ("mlp", "pacman")])
def test_checkpoint_round_trip_and_resume_are_exact_for_skins(tmp_path, brain, arena):
    settings = {"population": 3, "opponents": 2} if arena == "pacman" else {}
    whole = session_of(brain, arena, **settings)
    steps(whole, 2)
    path = tmp_path / "gen.checkpoint.json"
    save_checkpoint(path, whole.checkpoint_data())
    resumed = TrainSession.from_checkpoint(path)
    assert json.dumps(resumed.checkpoint_data()) == json.dumps(whole.checkpoint_data())
    steps(whole, 3)
    steps(resumed, 3)
    assert skins_data(resumed) == skins_data(whole)
    assert json.dumps(resumed.checkpoint_data()) == json.dumps(whole.checkpoint_data())


@pytest.mark.parametrize("arena", ["tunnel", "pacman"])
def test_a_checkpoint_from_before_skins_resumes_with_fresh_skins(tmp_path, arena):
    settings = {"population": 3, "opponents": 2} if arena == "pacman" else {}
    session = session_of("neat", arena, **settings)
    steps(session, 2)
    data = json.loads(json.dumps(session.checkpoint_data()))
    older = json.loads(brains_data(data))
    path = tmp_path / "old.checkpoint.json"
    save_checkpoint(path, older)
    resumed = TrainSession.from_checkpoint(path)
    for k, pop in enumerate(resumed.populations.values()):
        assert pop.skins.genomes.same_as(SkinLineage(5, pop.skins.genomes.size, k).initial().genomes)
        assert pop.champion.skin is None
        assert all(skin is None for skin in pop.hall_of_fame_skins)
    assert resumed.champion_brain().skin is None
    batch = resumed.ask()
    if arena == "pacman":  # games against hall-of-fame champions without a skin show plain colours
        assert (batch.skins["pacman"].of[3 * 2:] == -1).all()
    again = TrainSession.from_checkpoint(path)
    steps(resumed, 2)
    steps(again, 2)
    assert skins_data(resumed) == skins_data(again)
    assert brains_data(resumed.checkpoint_data()) == brains_data(again.checkpoint_data())


@pytest.mark.parametrize("damage,field", [
    (lambda d: d["skins"]["genomes"]["n_nodes"]["data"].pop(), "skins.genomes"),
    (lambda d: d["skins"].update(next_node_id=-1), "skins.next_node_id"),
    (lambda d: d["skins"]["genomes"]["node_act"]["data"].__setitem__(0, CODES["relu"]), "skins.genomes"),
    (lambda d: d["skins"].update(link_innovations={"dtype": "int64", "shape": [1], "data": [10**6]}),
     "skins.link_"),
    (lambda d: d["session"]["champion"].update(skin=[1, 2]), "session.champion.skin"),
])
def test_damaged_skins_in_a_checkpoint_name_the_field(tmp_path, damage, field):
    session = session_of("mlp")
    steps(session, 1)
    data = json.loads(json.dumps(session.checkpoint_data()))
    damage(data)
    path = tmp_path / "bad.checkpoint.json"
    save_checkpoint(path, data)
    with pytest.raises(RunError) as caught:
        TrainSession.from_checkpoint(path)
    message = str(caught.value)
    assert str(path) in message and field in message and "\n" not in message


def test_damaged_hall_of_fame_skins_name_the_field(tmp_path):
    session = session_of(arena="pacman", population=3, opponents=2)
    steps(session, 2)
    for value in ("many", [None]):
        data = json.loads(json.dumps(session.checkpoint_data()))
        data["populations"]["ghost"]["hall_of_fame_skins"] = value
        path = tmp_path / "bad.checkpoint.json"
        save_checkpoint(path, data)
        with pytest.raises(RunError, match=r"populations\.ghost\.hall_of_fame_skins"):
            TrainSession.from_checkpoint(path)


# -- brains

@pytest.mark.parametrize("brain", ["mlp", "neat"])
def test_a_saved_champion_brain_wears_its_skin(tmp_path, brain):
    session = session_of(brain)
    worn = {}  # the skins of each generation
    for _ in range(3):
        worn[session.generation] = session.primary.skins.genomes
        session.step()
    champion = session.champion
    assert champion.skin.same_as(worn[champion.generation].take([champion.index]))
    saved = session.champion_brain()
    assert saved.skin.same_as(champion.skin)
    path = tmp_path / "champion.brain.json"
    save_brain(saved, path)
    assert load_brain(path).skin.same_as(champion.skin)


def test_brain_from_genome_checks_the_skin():
    arena = get_arena("tunnel")
    session = session_of("mlp")
    network, genome = session.breeder.network, session.state.genomes[0]
    skin = solid_skin((255, 0, 0))
    brain = brain_from_genome(arena.spec, "driver", network, genome, skin=skin)
    skin.node_bias[0, 0] = -1.0  # the brain holds a copy
    assert brain.skin.node_bias[0, 0] == 20.0 and not brain.skin.node_bias.flags.writeable
    with pytest.raises(BrainError, match="skin"):
        brain_from_genome(arena.spec, "driver", network, genome, skin=concatenate([skin, skin]))
    wrong = solid_skin((0, 0, 0))
    wrong.node_act[0, 0] = CODES["relu"]
    with pytest.raises(BrainError, match="CPPN"):
        brain_from_genome(arena.spec, "driver", network, genome, skin=wrong)


# -- on screen

def _screen(size=(320, 240)):
    import pygame

    pygame.display.init()
    return pygame.display.set_mode(size)


def _cars(arena, level, headings):
    """A racing state of cars in a row on the start line's left, 8 m apart, at `headings`."""
    from arena.arenas.racing.state import HEADING, X, Y

    state = arena.reset(level, len(headings), np.zeros(len(headings), dtype=np.uint64))
    state.real[:, X] = 8.0 * np.arange(len(headings))
    state.real[:, Y] = 0.0
    state.real[:, HEADING] = headings
    return state


def _patch(pixels, centre, half=3):
    x, y = (int(round(v)) for v in centre)
    return pixels[y - half: y + half + 1, x - half: x + half + 1, :3]


def _asymmetric_skins(size):
    """Two skins whose pictures differ, neither the same turned half a turn (so a turned car looks turned)."""
    from arena.brains.cppn import render
    from arena.brains.neat.compile import compile_neat

    genomes = SkinLineage(8, 16).initial().genomes
    pictures = [render(compile_neat(genomes.take([k])), *size) for k in range(genomes.size)]
    picked = []
    for k, picture in enumerate(pictures):
        if not np.array_equal(picture, picture[::-1, ::-1]) and all(not np.array_equal(picture, pictures[j])
                                                                    for j in picked):
            picked.append(k)
    return genomes.take(picked[:2])


def test_a_car_shows_its_skin_and_the_same_skin_the_same_pixels(display):
    import pygame

    from arena.arenas.racing.render import RacingRenderer
    from arena.ui.camera import Camera
    from arena.ui.pictures import pixels_of

    try:
        screen = _screen()
        arena = get_arena("racing")
        level = arena.load_level(arena.default_level_path())
        renderer = RacingRenderer(arena, level)
        camera = Camera((320, 240), (-4.0, -12.0, 28.0, 12.0))
        camera.centre, camera.scale = np.array([12.0, 0.0]), 10.0  # cars 26 pixels long, at whole pixels
        state = _cars(arena, level, [0.4, 0.4, 0.4, 0.4])
        patterned = _asymmetric_skins(renderer.skin_size)
        skins = AgentSkins(concatenate([patterned, solid_skin((255, 0, 0))]), np.array([0, 1, 0, 2]))
        colours = np.array([[40, 200, 40]] * 4, dtype=np.uint8)
        centres = camera.to_screen(arena.positions(state))
        assert np.allclose(centres, np.round(centres))

        screen.fill((0, 0, 0))
        renderer.draw_agents(screen, camera, state, colours, {}, {"driver": skins})
        pixels = pixels_of(screen)
        assert np.array_equal(_patch(pixels, centres[0]), _patch(pixels, centres[2]))  # the same skin
        assert not np.array_equal(_patch(pixels, centres[0]), _patch(pixels, centres[1]))
        assert not np.array_equal(_patch(pixels, centres[0]), _patch(pixels, centres[3]))
        # a solid red skin paints the car red (smoothing to the sprite's size loses a level or two)
        assert (np.abs(_patch(pixels, centres[3], 2).astype(int) - [255, 0, 0]) <= 3).all()
        for x, y in centres.astype(int).tolist():  # the car's colour as an outline, along the body's edge
            around = pixels[y - 12: y + 13, x - 16: x + 17, :3]
            assert (around == [40, 200, 40]).all(axis=-1).sum() > 20

        screen.fill((0, 0, 0))  # skins off: plain colours
        renderer.draw_agents(screen, camera, state, colours, {}, None)
        pixels = pixels_of(screen)
        for k in range(4):
            assert (_patch(pixels, centres[k], 2) == [40, 200, 40]).all()

        # a car turned the other way shows the same skin turned: its pixels differ, its colours do not
        screen.fill((0, 0, 0))
        turned = _cars(arena, level, [0.4, 0.4 + np.pi, 0.4, 0.4])
        renderer.draw_agents(screen, camera, turned, colours, {}, {"driver": AgentSkins(patterned, np.zeros(4, int))})
        pixels = pixels_of(screen)
        assert not np.array_equal(_patch(pixels, centres[0]), _patch(pixels, centres[1]))
        assert np.array_equal(_patch(pixels, centres[0]), _patch(pixels, centres[2]))
    finally:
        pygame.quit()


def test_the_sandbox_dresses_loaded_brains_in_their_skins(display, tmp_path):
    """A loaded brain with a skin races in it; one without keeps its plain colour; K's switch
    (show_skins) takes skins off."""
    import pygame

    from arena.ui.live import LiveRun
    from arena.ui.pictures import pixels_of
    from arena.ui.sandbox import SandboxView

    arena = get_arena("racing")
    session = session_of("mlp", arena="racing", population=4)
    network, genome = session.breeder.network, session.state.genomes[0]
    level = arena.load_level(arena.default_level_path())
    try:
        screen = _screen((640, 480))
        pygame.font.init()
        for skin, expected in ((solid_skin((0, 0, 255)), [0, 0, 255]), (None, None)):
            brain = brain_from_genome(arena.spec, "driver", network, genome, skin=skin)
            live = LiveRun(arena, level, brains=[brain])
            view = SandboxView(live, (640, 480), tmp_path)
            view.camera.centre = view.renderer.world_positions(live.run.state)[0]
            view.camera.scale = 12.0
            for show in (True, False):
                view.show_skins = show
                view.draw(screen)
                centre = view.camera.to_screen(view.renderer.world_positions(live.run.state))[0]
                colour = view._colours(live.run.state, 1)[0]
                found = _patch(pixels_of(screen), centre, 1)
                if show and expected is not None:
                    assert (np.abs(found.astype(int) - expected) <= 3).all()
                else:
                    assert (found == colour).all()
    finally:
        pygame.quit()

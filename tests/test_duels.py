"""`arena duel`: saved brains against each other, deterministic for a seed, and mirrored when swapped."""

import json
from pathlib import Path

import numpy as np
import pytest
from brains import duel_json, mirror, random_brain, saved

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED
from arena.brains.mlp import MLPSpec
from arena.cli import main
from arena.evaluate import make_backend
from arena.matches.duel import load_entrant, match_games, play_matches
from arena.persist.brainfile import brain_from_genome, compile_brains
from arena.session import TrainConfig, TrainSession

OVAL = "levels/racing/1-oval.json"
PACMAN_SMALL = "levels/pacman/1-small.txt"
HAIRPINS = "levels/racing/3-hairpins.json"


@pytest.fixture(scope="module")
def racers(tmp_path_factory):
    """Champions of one racing run: after the first generation, and after the sixth."""
    folder = tmp_path_factory.mktemp("racers")
    session = TrainSession(TrainConfig(arena="racing", population=40, generations=6, seed=1, checkpoint_every=0))
    paths = {}
    for generation in range(6):
        session.step()
        if generation in (0, 5):
            paths[generation] = saved(folder, f"g{generation}", session.champion_brain())
    return paths


@pytest.fixture(scope="module")
def pacman_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pacman")
    return {role: saved(folder, role, random_brain("pacman", role, seed)) for seed, role in enumerate(("pacman", "ghost"))}


def test_a_later_champion_outraces_an_earlier_one_and_each_game_is_its_own_rollout(racers, capsys):
    result = duel_json(capsys, racers[0], racers[5], "--level", OVAL, "--level", HAIRPINS)
    assert result["kind"] == "parallel" and result["levels"] == [OVAL, HAIRPINS]
    assert len(result["games"]) == 2  # racing is the same game for every seed: one game a level
    oval = result["games"][0]
    assert oval["winner"] == "b" and oval["b"]["fitness"] > oval["a"]["fitness"]
    arena = get_arena("racing")
    for game in result["games"]:
        level = arena.load_level(result["levels"][game["level"]])
        for side in ("a", "b"):
            brain = load_entrant(result[side]["brain"]).brain
            alone = arena.rollout(level, {"driver": compile_brains([brain])}, np.zeros(1, dtype=np.uint64))
            assert game[side]["fitness"] == outcome_value(alone.fitness["driver"])
            assert game[side]["finished"] == bool(alone.finished["driver"][0])
    a, b = result["a"], result["b"]
    assert a["wins"] == b["losses"] and a["losses"] == b["wins"] and a["draws"] == b["draws"]
    assert a["wins"] + a["draws"] + a["losses"] == len(result["games"])
    assert result["winner"] == ("b" if b["wins"] > a["wins"] else "a" if a["wins"] > b["wins"] else None)


def outcome_value(array) -> float:
    return float(array[0])


def test_swapping_the_brains_mirrors_the_duel(racers, pacman_pair, capsys):
    forward = duel_json(capsys, racers[0], racers[5])
    backward = duel_json(capsys, racers[5], racers[0])
    assert len(forward["games"]) == len(get_arena("racing").builtin_levels())
    assert mirror(forward) == backward
    caught = duel_json(capsys, pacman_pair["pacman"], pacman_pair["ghost"], "--generated", "3", "--seed", "4")
    assert caught["kind"] == "pacman" and [g["level"] for g in caught["games"]] == [0, 1, 2]
    assert mirror(caught) == duel_json(capsys, pacman_pair["ghost"], pacman_pair["pacman"], "--generated", "3",
                                       "--seed", "4")


def test_a_duel_is_the_same_for_a_seed_on_every_backend(tmp_path):
    """Cartpole's games change with the seed: `--matches` of them a level, the same ones serial and pooled."""
    entrants = [load_entrant(saved(tmp_path, f"c{k}", random_brain("cartpole", "pole", k))) for k in range(3)]
    arena = get_arena("cartpole")
    levels = [(str(path), arena.load_level(path)) for path in arena.builtin_levels()[:2]]
    pairs = [(0, 1), (2, 0), (1, 2)]
    serial = play_matches(arena, entrants, pairs, levels, 7, 3, make_backend("serial"))
    assert play_matches(arena, entrants, pairs, levels, 7, 3, make_backend("serial")) == serial
    pool = make_backend("pool", workers=2)
    try:
        assert play_matches(arena, entrants, pairs, levels, 7, 3, pool) == serial
    finally:
        pool.close()
    assert [len(r["games"]) for r in serial] == [6, 6, 6]
    assert len({g["seed"] for g in serial[0]["games"]}) == 6  # each level its own seeds
    assert [g["seed"] for g in serial[0]["games"]] == [g["seed"] for g in serial[1]["games"]]
    other_seed = play_matches(arena, entrants, pairs, levels, 8, 3, make_backend("serial"))
    assert [g["seed"] for g in other_seed[0]["games"]] != [g["seed"] for g in serial[0]["games"]]
    # a match alone gives the games it gives among others
    assert play_matches(arena, entrants, [(2, 0)], levels, 7, 3, make_backend("serial")) == [serial[1]]


def test_pacman_against_ghosts_reads_the_catch_and_the_score_of_the_game(pacman_pair, capsys):
    arena = get_arena("pacman")
    level_path = "levels/pacman/1-small.txt"
    result = duel_json(capsys, pacman_pair["ghost"], pacman_pair["pacman"], "--level", level_path)
    game = result["games"][0]
    ghost, pacman = (load_entrant(pacman_pair[role]).brain for role in ("ghost", "pacman"))
    level = arena.load_level(level_path)
    alone = arena.rollout(level, {"pacman": compile_brains([pacman]), "ghost": compile_brains([ghost] * 4)},
                          np.zeros(1, dtype=np.uint64))
    assert game["a"] == {"role": "ghost", "caught": bool(alone.catch_tick[0] >= 0),
                         "catch_tick": int(alone.catch_tick[0])}
    assert game["b"]["score"] == int(alone.score[0]) and game["b"]["cleared"] == bool(alone.finished["pacman"][0])
    lasted = game["b"]["cleared"] or (not game["a"]["caught"] and game["b"]["ticks"] >= level.max_ticks)
    assert game["winner"] == ("b" if lasted else "a")


def test_a_pacman_whose_network_breaks_down_loses(tmp_path, pacman_pair, capsys):
    """Weights at the float32 limit overflow to inf - inf = NaN: the arena stops his game early,
    neither caught nor cleared, and that is the ghost brain's win."""
    arena = get_arena("pacman")
    spec = MLPSpec.for_role(arena.spec.role("pacman"))
    genome = np.where(np.arange(spec.genome_size) % 2 == 0, 3e38, -3e38).astype(np.float32)
    broken = saved(tmp_path, "broken", brain_from_genome(arena.spec, "pacman", spec, genome))
    result = duel_json(capsys, broken, pacman_pair["ghost"], "--level", "levels/pacman/2-classic.txt")
    game = result["games"][0]
    assert not game["b"]["caught"] and not game["a"]["cleared"]
    assert game["a"]["ticks"] < arena.load_level("levels/pacman/2-classic.txt").max_ticks
    assert game["winner"] == "b" and result["winner"] == "b"


def test_two_pacman_brains_each_play_the_arcade_ghosts_on_the_duels_seeds(tmp_path):
    """Brains of one pacman role meet in parallel games against the scripted other role."""
    players = [load_entrant(saved(tmp_path, f"p{k}", random_brain("pacman", "pacman", k))) for k in range(2)]
    arena = get_arena("pacman")
    level = arena.load_level("levels/pacman/1-small.txt")
    [result] = play_matches(arena, players, [(0, 1)], [("small", level)], 3, 2, make_backend("serial"))
    assert result["kind"] == "parallel" and len(result["games"]) == 2
    seeds = np.array([g["seed"] for g in result["games"]], dtype=np.uint64)
    for k, side in enumerate(("a", "b")):
        alone = arena.rollout(level, {"pacman": compile_brains([players[k].brain] * 2), "ghost": SCRIPTED}, seeds)
        assert [g[side]["fitness"] for g in result["games"]] == alone.fitness["pacman"].tolist()
        assert [g[side]["score"] for g in result["games"]] == alone.score.tolist()


def test_games_vary_by_seed_only_where_the_seed_changes_the_game(tmp_path):
    assert len(match_games("racing", "parallel", "driver", 3, 0, 5)) == 3
    assert len(match_games("pacman", "pacman", "ghost", 3, 0, 5)) == 3
    assert len(match_games("pacman", "parallel", "pacman", 3, 0, 5)) == 15
    assert len(match_games("pacman", "parallel", "ghost", 3, 0, 5)) == 3
    assert len(match_games("tanks", "tanks", "tank", 2, 9, 2)) == 2 * 2 * 2
    # the table's reason, checked: ghost brains play the same game whatever the seed; the arcade
    # ghosts, which a Pac-Man brain plays against, turn by the seed once frightened
    arena = get_arena("pacman")
    level = arena.load_level("levels/pacman/2-classic.txt")
    seeds = np.arange(1, 41, dtype=np.uint64) * np.uint64(7919)
    ghost = compile_brains([random_brain("pacman", "ghost", 1)] * 4 * 40)
    chased = arena.rollout(level, {"pacman": SCRIPTED, "ghost": ghost}, seeds)
    assert len(set(chased.fitness["ghost"].tolist())) == 1 and len(set(chased.catch_tick.tolist())) == 1
    arcade = arena.rollout(level, {"pacman": SCRIPTED, "ghost": SCRIPTED}, seeds)
    assert len(set(arcade.score.tolist())) > 1


def test_the_text_report_names_the_winner(racers, capsys):
    assert main(["duel", racers[5], racers[0], "--level", OVAL]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("racing duel: ") and out[-1] == f"winner: {racers[5]}"
    assert "1 won, 0 drawn, 0 lost" in out[-2]


@pytest.mark.parametrize("case", ["corrupt", "missing", "arenas", "watch-json", "matches", "version"])
def test_brains_that_cannot_meet_are_one_line_and_exit_2(case, racers, tmp_path, capsys):
    corrupt = tmp_path / "corrupt.brain.json"
    corrupt.write_text('{"format": "arena.brain", "version": 1, "arena": "rac')
    tank = saved(tmp_path, "tank", random_brain("tanks", "tank", 1))
    old = json.loads(Path(racers[0]).read_text())
    old["spec_version"] = 0
    (tmp_path / "old.brain.json").write_text(json.dumps(old))
    args, named = {
        "corrupt": ([racers[0], str(corrupt)], "corrupt.brain.json"),
        "missing": ([str(tmp_path / "nowhere.brain.json"), racers[0]], "nowhere.brain.json"),
        "arenas": ([racers[0], tank], "tank.brain.json"),
        "watch-json": ([racers[0], racers[5], "--watch", "--json"], "--watch"),
        "matches": ([racers[0], racers[5], "--matches", "0"], "--matches"),
        "version": ([racers[0], str(tmp_path / "old.brain.json")], "old.brain.json"),
    }[case]
    capsys.readouterr()
    try:
        code = main(["duel", *args])
    except SystemExit as exc:  # argparse exits on usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_tournament_of_one_runs_champions_ranks_later_generations_higher(tmp_path, capsys):
    """The must-show: 8 champions of one racing run, saved as they improved, played through the
    pool backend; the ratings order them by generation (Spearman at least 0.8)."""
    session = TrainSession(TrainConfig(arena="racing", level=OVAL, population=100, generations=40, seed=1,
                                       checkpoint_every=0))
    files = {}  # generation -> brain file of the champion found then
    while len(files) < 8 and session.generation < 40:
        session.step()
        brain = session.champion_brain()
        generation = brain.provenance["generation"]
        if generation not in files:
            files[generation] = saved(tmp_path, f"gen{generation:03d}", brain)
    assert len(files) == 8
    capsys.readouterr()
    assert main(["tournament", *reversed(files.values()), "--level", OVAL, "--ratings", str(tmp_path / "r.json"),
                 "--backend", "pool", "--workers", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["format"] == "round robin" and result["matches"] == 28
    ordinal = {row["id"]: row["ordinal"] for row in result["leaderboard"]}
    generations = sorted(files)
    assert spearman(generations, [ordinal[files[g]] for g in generations]) >= 0.8
    ratings = json.loads((tmp_path / "r.json").read_text())
    assert ratings["leaderboard"] == result["leaderboard"]
    log = (tmp_path / "r.matches.jsonl").read_text().splitlines()
    assert len(log) == 1 + 28 and json.loads(log[1])["result"]["games"]


def spearman(x, y) -> float:
    """Spearman's rank correlation, ties given their mean rank."""
    def ranks(values):
        values = np.asarray(values, dtype=float)
        order = values.argsort(kind="stable")
        rank = np.empty(len(values))
        rank[order] = np.arange(len(values))
        return np.array([rank[values == v].mean() for v in values])

    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def test_a_tournament_cut_short_resumes_to_the_same_files(tmp_path, capsys):
    brains = [saved(tmp_path, f"r{k}", random_brain("racing", "driver", k)) for k in range(5)]
    settings = ["--level", OVAL, "--json"]
    whole, part = tmp_path / "whole" / "r.json", tmp_path / "part" / "r.json"
    assert main(["tournament", *brains, *settings, "--ratings", str(whole)]) == 0
    assert main(["tournament", *brains, *settings, "--ratings", str(part), "--rounds", "2"]) == 0
    log = part.with_name("r.matches.jsonl")
    with open(log, "a") as torn:  # a match half written when the machine went down
        torn.write('{"round": 3, "match": 1, "a": "')
    capsys.readouterr()
    assert main(["tournament", *brains, *settings, "--ratings", str(part)]) == 0
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["rounds"] == 5 and resumed["matches"] == 10  # odd: a bye each round
    assert log.read_bytes() == whole.with_name("r.matches.jsonl").read_bytes()
    assert part.read_bytes() == whole.read_bytes()
    other = saved(tmp_path, "other", random_brain("racing", "driver", 9))
    assert main(["tournament", *brains[:4], other, *settings, "--ratings", str(part)]) == 2
    err = capsys.readouterr().err
    assert "other brains or settings" in err and len(err.strip().splitlines()) == 1
    assert part.read_bytes() == whole.read_bytes()  # nothing kept is touched


def test_a_tournament_text_leaderboard_and_its_refusals(racers, tmp_path, capsys):
    assert main(["tournament", racers[0], racers[5], "--level", OVAL]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "racing tournament, round robin: 1 round, 1 match"
    assert out[2].split()[-1] == racers[5] and out[3].split()[-1] == racers[0]
    tank = saved(tmp_path, "tank", random_brain("tanks", "tank", 1))
    pacman, ghost = (saved(tmp_path, role, random_brain("pacman", role, 1)) for role in ("pacman", "ghost"))
    for args, named in (([racers[0], racers[0]], "the same brain file"), ([racers[0], tank], "tank.brain.json"),
                        ([racers[0]], "at least 2"), ([pacman, ghost], "of one role"),
                        ([racers[0], racers[5], "--ratings", str(tmp_path)], "is a folder")):
        assert main(["tournament", *args, "--level", OVAL if "pacman" not in args[0] else PACMAN_SMALL]) == 2
        err = capsys.readouterr().err
        assert named in err and len(err.strip().splitlines()) == 1
    assert main(["duel", racers[0], racers[5], "--watch", "--backend", "pool"]) == 2
    assert "--backend pool" in capsys.readouterr().err


def test_a_tournament_on_a_level_changed_since_is_not_resumed(racers, tmp_path, capsys):
    level = tmp_path / "oval.json"
    level.write_text(Path(OVAL).read_text())
    ratings = tmp_path / "r.json"
    assert main(["tournament", racers[0], racers[5], "--level", str(level), "--ratings", str(ratings)]) == 0
    data = json.loads(level.read_text())
    data["laps"] += 1
    level.write_text(json.dumps(data))
    before = ratings.read_bytes()
    capsys.readouterr()
    assert main(["tournament", racers[0], racers[5], "--level", str(level), "--ratings", str(ratings)]) == 2
    assert "level_sha256" in capsys.readouterr().err and ratings.read_bytes() == before


def test_the_duel_watched_is_the_game_rated_and_a_human_meets_the_ghost_brain(pacman_pair, display):
    from arena.ui.play import matches_live

    arena = get_arena("pacman")
    level = arena.load_level("levels/pacman/1-small.txt")
    entrants = [load_entrant(pacman_pair[role]) for role in ("ghost", "pacman")]
    live = matches_live(arena, [entrants], level, seed=0)
    assert live.role.name == "pacman" and live.run.nets["ghost"] is not SCRIPTED
    live.set_speed("max")
    while not live.history:
        live.update(0.0, 0.05)
    alone = arena.rollout(level, {"pacman": compile_brains([entrants[1].brain]),
                                  "ghost": compile_brains([entrants[0].brain] * 4)}, np.zeros(1, dtype=np.uint64))
    assert live.history[0]["best_fitness"] == float(alone.fitness["pacman"][0])
    live.set_human(True)  # the human plays Pac-Man against the ghost brain, not the arcade ghosts
    assert live.run.human_nets["ghost"] is not SCRIPTED and live.run.human_nets["ghost"].size == 4
    live.close()


def test_a_watched_tournament_shows_each_match_a_round_in_schedule_order(racers, tmp_path, display):
    """Headless: the playlist's rounds are the matches' games; then the command in a window."""
    import os
    import subprocess
    import sys

    from arena.ui.play import matches_live

    arena = get_arena("racing")
    level = arena.load_level(OVAL)
    third = saved(tmp_path, "third", random_brain("racing", "driver", 3))
    a, b, c = (load_entrant(p) for p in (racers[0], racers[5], third))
    live = matches_live(arena, [[a, b], [c, a]], level, seed=0)
    captions = []
    while len(live.history) < 3:  # tick() closes at most one round a call
        captions.append(live.caption)
        rounds = len(live.history)
        while len(live.history) == rounds:
            live.tick(200)
    assert captions == [f"{racers[0]} against {racers[5]}", f"{third} against {racers[0]}",
                        f"{racers[0]} against {racers[5]}"]
    assert live.run.n == 2  # two cars a round
    env = {**os.environ, "DISPLAY": display}
    shot = tmp_path / "watched.png"
    done = subprocess.run([sys.executable, "-m", "arena", "tournament", racers[0], racers[5], third, "--level", OVAL,
                           "--watch", "--speed", "max", "--frames", "40", "--screenshot", str(shot)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "round robin: 3 rounds, 3 matches" in done.stdout and shot.stat().st_size > 0

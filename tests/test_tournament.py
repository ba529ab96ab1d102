"""Tournaments: schedules, openskill ratings, the match log and resuming it.

Matches are played by small deterministic fake `play` functions (a hidden strength decides), so
these tests check the tournament logic, not the games.
"""

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.core.errors import RunError, UsageError
from arena.matches.tournament import (
    ROUND_ROBIN,
    SWISS,
    Standings,
    default_rounds,
    match_log_path,
    round_robin,
    round_robin_schedule,
    run_tournament,
    swiss_round,
)

SETTINGS = {"levels": ["builtin"], "seed": 3, "matches": 2}


def make_brains(folder, count):
    """`count` distinct stand-in brain files (the tournament reads only their bytes)."""
    paths = []
    for number in range(count):
        path = folder / f"b{number:02d}.brain.json"
        path.write_text(json.dumps({"brain": number}))
        paths.append(str(path))
    return paths


def strength_play(strengths, upsets=(), calls=None):
    """A deterministic `play`: the stronger side wins, equal strengths draw, and the pairs in
    `upsets` (frozensets of indices) go the other way. Records each batch in `calls`."""
    def play(pairs):
        if calls is not None:
            calls.append(list(pairs))
        results = []
        for a, b in pairs:
            if strengths[a] == strengths[b]:
                winner = None
            else:
                winner = "a" if strengths[a] > strengths[b] else "b"
                if frozenset((a, b)) in upsets:
                    winner = "b" if winner == "a" else "a"
            wins = {"a": 2, "b": 0, None: 1}[winner]
            results.append({"winner": winner,
                            "a": {"brain": f"#{a}", "wins": wins, "draws": 0, "losses": 2 - wins},
                            "b": {"brain": f"#{b}", "wins": 2 - wins, "draws": 0, "losses": wins},
                            "games": [{"level": 0, "seed": 1}, {"level": 0, "seed": 2}]})
        return results
    return play


def spearman(x, y):
    """Spearman's rank correlation of two sequences without ties."""
    rank_x = np.argsort(np.argsort(x))
    rank_y = np.argsort(np.argsort(y))
    return float(np.corrcoef(rank_x, rank_y)[0, 1])


# --- schedules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n", range(2, 14))
def test_round_robin_meets_every_pair_once_and_nobody_twice_a_round(n):
    cycle = round_robin(n)
    assert len(cycle) == (n if n % 2 else n - 1)
    met = []
    sides = np.zeros(n, dtype=int)  # times "a" minus times "b"
    for pairs in cycle:
        assert len(pairs) == n // 2
        in_round = [entrant for pair in pairs for entrant in pair]
        assert len(in_round) == len(set(in_round))
        met += [frozenset(pair) for pair in pairs]
        for a, b in pairs:
            sides[a] += 1
            sides[b] -= 1
    assert sorted(met, key=sorted) == sorted(map(frozenset, itertools.combinations(range(n), 2)), key=sorted)
    assert np.abs(sides).max() == (0 if n % 2 else 1)  # as even as an odd number of matches allows
    if n % 2:  # each entrant sits out exactly one round
        sitting_out = [set(range(n)) - {entrant for pair in pairs for entrant in pair} for pairs in cycle]
        assert sorted(entrant for out in sitting_out for entrant in out) == list(range(n))


@pytest.mark.parametrize("n", [2, 5, 6])
def test_round_robin_cycles_again_with_sides_swapped(n):
    cycle = len(round_robin(n))
    schedule = round_robin_schedule(n, 2 * cycle + 1)
    ordered = [pair for pairs in schedule[:2 * cycle] for pair in pairs]
    assert sorted(ordered) == sorted(itertools.permutations(range(n), 2))  # every pair on both sides once
    assert schedule[2 * cycle] == schedule[0]


def test_default_rounds():
    assert default_rounds(ROUND_ROBIN, 8) == 7
    assert default_rounds(ROUND_ROBIN, 7) == 7
    assert default_rounds(SWISS, 13) == 6
    assert default_rounds(SWISS, 16) == 6
    assert default_rounds(SWISS, 17) == 7


def rematch_free_pairing_exists(entrants, played):
    if not entrants:
        return True
    first, rest = entrants[0], entrants[1:]
    return any(frozenset((first, other)) not in played
               and rematch_free_pairing_exists(rest[:k] + rest[k + 1:], played)
               for k, other in enumerate(rest))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 11), seed=st.integers(0, 2**32 - 1), rounds=st.integers(1, 11))
def test_swiss_rounds_avoid_rematches_and_second_byes(n, seed, rounds):
    rng = np.random.default_rng(seed)
    played, byes = set(), set()
    for _ in range(min(rounds, n)):
        order = [int(entrant) for entrant in rng.permutation(n)]  # any standings
        pairs, bye = swiss_round(order, set(played), set(byes))
        assert (pairs, bye) == swiss_round(order, set(played), set(byes))  # deterministic
        paired = [entrant for pair in pairs for entrant in pair]
        assert sorted(paired + ([bye] if bye is not None else [])) == list(range(n))
        assert (bye is None) == (n % 2 == 0)
        for higher, lower in pairs:
            assert order.index(higher) < order.index(lower)
        if bye is not None:
            assert bye not in byes  # nobody gets a second bye while rounds <= n
            # the lowest-ranked entrant without a bye gets it unless that forces a rematch
            lowest = next(entrant for entrant in reversed(order) if entrant not in byes)
            if bye != lowest:
                rest = [entrant for entrant in order if entrant != lowest]
                assert not rematch_free_pairing_exists(rest, played)
        rematches = sum(frozenset(pair) in played for pair in pairs)
        rest = [entrant for entrant in order if entrant != bye]
        if rematches:
            assert not rematch_free_pairing_exists(rest, played)
            assert not any(rematch_free_pairing_exists([e for e in order if e != other], played)
                           for other in order if n % 2 and other not in byes)
        played |= {frozenset(pair) for pair in pairs}
        if bye is not None:
            byes.add(bye)


def test_swiss_pairs_down_the_standings():
    pairs, bye = swiss_round([4, 2, 0, 1, 3], set(), set())
    assert (pairs, bye) == ([(4, 2), (0, 1)], 3)
    pairs, bye = swiss_round([4, 2, 0, 1, 3], {frozenset((4, 2))}, {3})
    assert (pairs, bye) == ([(4, 0), (2, 3)], 1)


def test_swiss_allows_a_rematch_only_when_forced():
    everything = {frozenset(pair) for pair in itertools.combinations(range(4), 2)}
    pairs, bye = swiss_round([0, 1, 2, 3], everything, set())
    assert (pairs, bye) == ([(0, 1), (2, 3)], None)


# --- ratings ------------------------------------------------------------------------------------

def test_a_win_raises_the_winner_and_a_draw_keeps_equal_ratings_equal():
    standings = Standings(["x", "y"])
    before = standings.ordinal("x")
    standings.record("x", "y", "a")
    assert standings.ordinal("x") > before > standings.ordinal("y")
    assert standings.order() == ["x", "y"]
    standings.record("x", "y", "b")
    assert standings.counts["x"] == {"wins": 1, "draws": 0, "losses": 1}

    drawn = Standings(["p", "q"])
    drawn.record("p", "q", None)
    assert drawn.ratings["p"] == drawn.ratings["q"]
    assert drawn.ratings["p"][1] < Standings(["p"]).ratings["p"][1]  # a draw is information too
    assert [row["id"] for row in drawn.leaderboard()] == ["p", "q"]  # ties by id
    assert drawn.leaderboard()[0]["draws"] == 1


@pytest.mark.parametrize("count", [8, 16])
def test_the_stronger_brains_rank_higher(tmp_path, count):
    """Spearman(hidden strength, ordinal) >= 0.8, with seeded upsets (round robin for 8, Swiss for 16)."""
    paths = make_brains(tmp_path, count)
    rng = np.random.default_rng(9)
    strengths = rng.permutation(count)
    all_pairs = list(itertools.combinations(range(count), 2))
    upsets = {frozenset(all_pairs[k]) for k in rng.choice(len(all_pairs), size=len(all_pairs) // 8, replace=False)}
    outcome = run_tournament("racing", paths, strength_play(strengths, upsets), settings=SETTINGS)
    assert outcome["format"] == (ROUND_ROBIN if count <= 12 else SWISS)
    board = outcome["leaderboard"]
    assert [row["rank"] for row in board] == list(range(1, count + 1))
    assert [row["ordinal"] for row in board] == sorted((row["ordinal"] for row in board), reverse=True)
    ordinal = {row["id"]: row["ordinal"] for row in board}
    assert spearman(strengths, [ordinal[path] for path in paths]) >= 0.8
    for row in board:
        assert row["played"] == row["wins"] + row["draws"] + row["losses"]
        assert row["ordinal"] == pytest.approx(row["mu"] - 3 * row["sigma"])


# --- the run, its files and resuming ------------------------------------------------------------

def test_round_robin_plays_everything_in_one_batch_and_writes_nothing_without_a_path(tmp_path):
    paths = make_brains(tmp_path, 5)
    calls, seen = [], []
    outcome = run_tournament("racing", paths, strength_play(list(range(5)), calls=calls), settings=SETTINGS,
                             progress=lambda done, total: seen.append((done, total)))
    assert len(calls) == 1 and len(calls[0]) == 10
    assert outcome["rounds"] == 5 and outcome["matches"] == 10
    assert seen[-1] == (10, 10)
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(path) for path in paths)
    assert [row["id"] for row in outcome["leaderboard"]] == paths[::-1]


def test_play_gets_the_callers_indices_and_the_order_given_does_not_matter(tmp_path):
    paths = make_brains(tmp_path, 4)
    strengths = [3, 0, 2, 1]
    forward = run_tournament("racing", paths, strength_play(strengths), settings=SETTINGS)
    backward = run_tournament("racing", paths[::-1], strength_play(strengths[::-1]), settings=SETTINGS)
    assert forward == backward
    assert [row["id"] for row in forward["leaderboard"]] == [paths[0], paths[2], paths[3], paths[1]]


def test_swiss_plays_a_batch_a_round(tmp_path):
    paths = make_brains(tmp_path, 13)
    calls = []
    outcome = run_tournament("racing", paths, strength_play(list(range(13)), calls=calls), settings=SETTINGS)
    assert outcome["format"] == SWISS and outcome["rounds"] == 6
    assert [len(batch) for batch in calls] == [6] * 6
    assert all(row["played"] <= 6 for row in outcome["leaderboard"])
    assert sum(row["played"] for row in outcome["leaderboard"]) == 2 * 36


def test_the_files(tmp_path):
    paths = make_brains(tmp_path, 3)
    ratings = tmp_path / "out" / "ratings.json"  # the folder is made
    outcome = run_tournament("racing", paths, strength_play([0, 1, 1]), rounds=4, ratings_path=ratings,
                             settings=SETTINGS)
    saved = json.loads(ratings.read_text())
    assert saved == {"format": "arena.ratings", "version": 1, "model": "openskill PlackettLuce", "rounds": 4,
                     "matches": 4, "leaderboard": outcome["leaderboard"]}
    lines = [json.loads(line) for line in match_log_path(ratings).read_text().splitlines()]
    assert match_log_path(ratings) == tmp_path / "out" / "ratings.matches.jsonl"
    header = lines[0]
    assert header["format"] == "arena.tournament" and header["version"] == 1 and header["arena"] == "racing"
    assert [brain["id"] for brain in header["brains"]] == paths
    assert all(len(brain["sha256"]) == 64 for brain in header["brains"])
    assert header["settings"] == {**SETTINGS, "format": ROUND_ROBIN}
    assert [(line["round"], line["match"]) for line in lines[1:]] == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert all(line["result"]["winner"] in ("a", "b", None) and "games" in line["result"] for line in lines[1:])
    assert match_log_path(tmp_path / "board") == tmp_path / "board.matches.jsonl"


def cut_log(log, matches_kept, tail):
    """Keep the header and `matches_kept` match lines, then what a crash left of the next: its
    first `tail` bytes, or `tail` itself (bytes)."""
    lines = log.read_bytes().split(b"\n")
    kept = b"".join(line + b"\n" for line in lines[:1 + matches_kept])
    log.write_bytes(kept + (lines[1 + matches_kept][:tail] if isinstance(tail, int) else tail))


@pytest.mark.parametrize("count, cut, tail", [
    (6, 0, 25), (6, 7, 25), (6, 4, 0), (6, 9, b"\0" * 40 + b"\n"),  # a line of zeros: a file system's torn tail
    (13, 9, 25), (13, 17, 25), (13, 12, 0)])
def test_a_resumed_tournament_ends_byte_identical(tmp_path, count, cut, tail):
    paths = make_brains(tmp_path, count)
    strengths = np.random.default_rng(count).permutation(count)
    upsets = {frozenset((0, 1)), frozenset((2, 5))}
    whole = tmp_path / "whole.json"
    run_tournament("tanks", paths, strength_play(strengths, upsets), ratings_path=whole, settings=SETTINGS)

    resumed = tmp_path / "resumed.json"
    run_tournament("tanks", paths, strength_play(strengths, upsets), ratings_path=resumed, settings=SETTINGS)
    cut_log(match_log_path(resumed), cut, tail)
    resumed.write_text("stale")
    calls = []
    run_tournament("tanks", paths, strength_play(strengths, upsets, calls=calls), ratings_path=resumed,
                   settings=SETTINGS)
    assert sum(len(batch) for batch in calls) == len(match_log_path(whole).read_text().splitlines()) - 1 - cut
    assert match_log_path(resumed).read_bytes() == match_log_path(whole).read_bytes()
    assert resumed.read_bytes() == whole.read_bytes()

    calls.clear()  # resuming a finished tournament plays nothing and changes nothing
    run_tournament("tanks", paths, strength_play(strengths, upsets, calls=calls), ratings_path=resumed,
                   settings=SETTINGS)
    assert calls == []
    assert resumed.read_bytes() == whole.read_bytes()


def test_a_crash_between_swiss_rounds_resumes_identically(tmp_path):
    paths = make_brains(tmp_path, 14)
    strengths = np.random.default_rng(4).permutation(14)
    whole = tmp_path / "whole.json"
    run_tournament("racing", paths, strength_play(strengths), ratings_path=whole, settings=SETTINGS)

    batches = []

    def crash_in_round_three(pairs):
        batches.append(pairs)
        if len(batches) == 3:
            raise KeyboardInterrupt
        return strength_play(strengths)(pairs)

    resumed = tmp_path / "resumed.json"
    with pytest.raises(KeyboardInterrupt):
        run_tournament("racing", paths, crash_in_round_three, ratings_path=resumed, settings=SETTINGS)
    assert json.loads(resumed.read_text())["rounds"] == 2
    run_tournament("racing", paths, strength_play(strengths), ratings_path=resumed, settings=SETTINGS)
    assert match_log_path(resumed).read_bytes() == match_log_path(whole).read_bytes()
    assert resumed.read_bytes() == whole.read_bytes()


def test_more_rounds_on_resume_continue_the_tournament(tmp_path):
    paths = make_brains(tmp_path, 4)
    play = strength_play([0, 1, 2, 3])
    ratings = tmp_path / "r.json"
    run_tournament("racing", paths, play, rounds=2, ratings_path=ratings, settings=SETTINGS)
    longer = run_tournament("racing", paths, play, rounds=5, ratings_path=ratings, settings=SETTINGS)
    straight = run_tournament("racing", paths, play, rounds=5, settings=SETTINGS)
    assert longer == straight
    assert json.loads(ratings.read_text())["rounds"] == 5
    # asking for fewer rounds than the log holds reports the log as it is
    assert run_tournament("racing", paths, play, rounds=1, ratings_path=ratings, settings=SETTINGS) == straight


@pytest.mark.parametrize("change, message", [
    ("arena", "arena 'racing', not 'tanks'"),
    ("settings", "seed 3 then, 4 now"),
    ("brain", "b01.brain.json has changed since"),
    ("another brain", "b03.brain.json is not in it"),
])
def test_another_tournament_in_the_log_is_refused(tmp_path, change, message):
    paths = make_brains(tmp_path, 3)
    ratings = tmp_path / "r.json"
    run_tournament("racing", paths, strength_play([0, 1, 2]), ratings_path=ratings, settings=SETTINGS)
    log_before = match_log_path(ratings).read_bytes()
    arena, settings_now = "racing", SETTINGS
    if change == "arena":
        arena = "tanks"
    elif change == "settings":
        settings_now = {**SETTINGS, "seed": 4}
    elif change == "brain":
        (tmp_path / "b01.brain.json").write_text("{}")
    else:
        paths = make_brains(tmp_path, 4)
    with pytest.raises(RunError) as error:
        run_tournament(arena, paths, strength_play([0, 1, 2, 3]), ratings_path=ratings, settings=settings_now)
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith(f"{match_log_path(ratings)}: a tournament of other brains or settings")
    assert message in text and text.endswith("pass another --ratings")
    assert match_log_path(ratings).read_bytes() == log_before


@pytest.mark.parametrize("damage, line", [
    (lambda lines: lines[:2] + [b"{not json"] + lines[3:], 3),
    (lambda lines: [b'{"format": "other"}'] + lines[1:], 1),
    (lambda lines: [lines[0].replace(b'"version": 1', b'"version": 7')] + lines[1:], 1),
    (lambda lines: lines[:1] + [lines[2], lines[1]] + lines[3:], 2),  # matches out of schedule order
    (lambda lines: lines[:2] + [lines[2].replace(b'"winner": ', b'"winner": "c", "w": ')] + lines[3:], 3),
    (lambda lines: lines[:2] + [b"[1, 2]"] + lines[3:], 3),
])
def test_a_corrupt_log_is_refused_naming_the_line(tmp_path, damage, line):
    paths = make_brains(tmp_path, 4)
    ratings = tmp_path / "r.json"
    run_tournament("racing", paths, strength_play([0, 1, 2, 3]), ratings_path=ratings, settings=SETTINGS)
    log = match_log_path(ratings)
    log.write_bytes(b"\n".join(damage(log.read_bytes().split(b"\n"))))
    with pytest.raises(RunError, match=rf"^{log}: line {line}: [^\n]*$"):
        run_tournament("racing", paths, strength_play([0, 1, 2, 3]), ratings_path=ratings, settings=SETTINGS)


def test_a_ratings_file_without_its_log_is_never_overwritten(tmp_path):
    paths = make_brains(tmp_path, 2)
    ratings = tmp_path / "r.json"
    ratings.write_text("precious")
    with pytest.raises(RunError, match=r"r\.json: exists without its match log"):
        run_tournament("racing", paths, strength_play([0, 1]), ratings_path=ratings, settings=SETTINGS)
    assert ratings.read_text() == "precious"
    assert not match_log_path(ratings).exists()


def test_bad_entrants(tmp_path):
    paths = make_brains(tmp_path, 2)
    with pytest.raises(UsageError, match="at least 2 brains, got 1"):
        run_tournament("racing", paths[:1], strength_play([0]), settings=SETTINGS)
    twice = str(tmp_path / "link.brain.json")
    os.symlink(paths[0], twice)
    with pytest.raises(UsageError, match=rf"^{twice}: the same brain file as {paths[0]}; give each brain once$"):
        run_tournament("racing", paths + [twice], strength_play([0, 1, 0]), settings=SETTINGS)
    identical = tmp_path / "copy.brain.json"
    identical.write_bytes(Path(paths[0]).read_bytes())  # the same brain in another file may play
    outcome = run_tournament("racing", paths + [str(identical)], strength_play([0, 1, 0]), settings=SETTINGS)
    assert outcome["matches"] == 3
    with pytest.raises(UsageError, match="--rounds must be at least 1"):
        run_tournament("racing", paths, strength_play([0, 1]), rounds=0, settings=SETTINGS)

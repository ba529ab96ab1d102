"""End-to-end learning: the issue's must-show runs, through the CLI as a user runs them."""

import json

from arena.cli import main


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_tunnel_driver_learns_the_classic_track_and_generalises(tmp_path, capsys):
    out = tmp_path / "tunnel"
    assert main(["train", "tunnel", "--level", "levels/tunnel/classic.json", "--population", "50",
                 "--generations", "120", "--seed", "1", "--out", str(out), "--json"]) == 0
    trained = last_json(capsys)
    assert trained["solved"], trained
    assert main(["eval", trained["best_brain"], "--generated", "5", "--seed", "1", "--json"]) == 0
    tested = last_json(capsys)
    assert tested["total"] == 5 and tested["finished"] >= 4, tested


def test_cars_learn_a_lap_of_the_easiest_track(tmp_path, capsys):
    laps = 0
    for seed in range(1, 6):
        assert main(["train", "racing", "--population", "200", "--generations", "50", "--seed", str(seed),
                     "--out", str(tmp_path / f"racing-{seed}"), "--json"]) == 0
        result = last_json(capsys)
        laps += result["solved"]
    assert laps >= 4

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


def test_neat_balances_two_poles_and_the_saved_brain_replays_it(tmp_path, capsys):
    level = "levels/cartpole/2-double-velocities.json"
    assert main(["train", "cartpole", "--level", level, "--brain", "neat", "--population", "150",
                 "--generations", "60", "--seed", "2", "--out", str(tmp_path / "poles"), "--json"]) == 0
    trained = last_json(capsys)
    assert trained["solved"] and trained["evaluations"] <= 60 * 150, trained
    assert main(["eval", trained["best_brain"], "--level", level, "--json"]) == 0
    assert last_json(capsys)["finished"] == 1
    metrics = [json.loads(line) for line in (tmp_path / "poles" / "metrics.jsonl").read_text().splitlines()]
    assert all(sum(m["species"].values()) == 150 for m in metrics)


def test_neat_drives_the_tunnel_and_racing(tmp_path, capsys):
    for arena, generations in (("tunnel", 20), ("racing", 40)):
        assert main(["train", arena, "--brain", "neat", "--population", "150", "--generations", str(generations),
                     "--seed", "1", "--out", str(tmp_path / arena), "--json"]) == 0
        assert last_json(capsys)["solved"], arena

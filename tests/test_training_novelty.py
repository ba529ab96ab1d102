"""Novelty search in training: deterministic for a seed, exact on resume, the same on every
backend and live, refused where it cannot work, and saved whole in checkpoints."""

import json

import numpy as np
import pytest

from arena.arenas.base import LEVELS_ROOT
from arena.cli import main
from arena.core.errors import ArenaError, UsageError
from arena.evaluate.pool import PoolBackend
from arena.session import TrainConfig, TrainSession
from arena.ui.live import LiveRun

DEAD_END = str(LEVELS_ROOT / "racing" / "6-dead-end.json")


def novelty_config(**changes):
    settings = dict(arena="racing", level=DEAD_END, population=16, generations=4, seed=5, checkpoint_every=0,
                    objective="novelty")
    return TrainConfig(**{**settings, **changes})


def without_times(stats):
    return {k: v for k, v in stats.items() if k not in ("eval_s", "wall_s")}


def genomes_of(session):
    state = session.state
    return state.genomes.copy() if isinstance(state.genomes, np.ndarray) else \
        {name: getattr(state.genomes, name).copy() for name in state.genomes.ARRAYS}


def same_genomes(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return a.tobytes() == b.tobytes()
    return all(a[k].tobytes() == b[k].tobytes() for k in a)


def run(session, generations):
    return [without_times(session.step()) for _ in range(generations)]


def archive_of(session, role=None):
    pop = session.populations[role or session.role.name]
    return pop.novelty_state


@pytest.mark.parametrize("brain", ["mlp", "neat"])
def test_novelty_runs_are_deterministic_for_a_seed(brain):
    a, b = TrainSession(novelty_config(brain=brain)), TrainSession(novelty_config(brain=brain))
    stats_a, stats_b = run(a, 4), run(b, 4)
    assert stats_a == stats_b
    assert all("novelty" in s for s in stats_a)
    assert stats_a[-1]["novelty"]["archive_size"] > 0
    assert archive_of(a).archive.tobytes() == archive_of(b).archive.tobytes()
    assert archive_of(a).threshold == archive_of(b).threshold
    assert same_genomes(genomes_of(a), genomes_of(b))
    # another seed searches elsewhere
    other = TrainSession(novelty_config(brain=brain, seed=6))
    run(other, 4)
    assert archive_of(other).archive.tobytes() != archive_of(a).archive.tobytes()


@pytest.mark.parametrize("brain", ["mlp", "neat"])
def test_a_resumed_novelty_run_equals_an_uninterrupted_one(tmp_path, brain):
    straight = TrainSession(novelty_config(brain=brain, objective="blend:0.5"))
    expected = run(straight, 4)
    first = TrainSession(novelty_config(brain=brain, objective="blend:0.5"))
    resumed_stats = run(first, 2)
    path = tmp_path / "gen-000002.json"
    path.write_text(json.dumps({"format": "arena.checkpoint", "version": 1, **first.checkpoint_data()}))
    resumed = TrainSession.from_checkpoint(path)
    resumed_stats += run(resumed, 2)
    assert resumed_stats == expected
    assert archive_of(resumed).archive.tobytes() == archive_of(straight).archive.tobytes()
    for name in ("threshold", "window_evaluations", "window_added", "added_total"):
        assert getattr(archive_of(resumed), name) == getattr(archive_of(straight), name)
    assert same_genomes(genomes_of(resumed), genomes_of(straight))


def test_the_pool_gives_the_serial_runs_archive():
    serial = TrainSession(novelty_config(generations=2))
    expected = run(serial, 2)
    with PoolBackend(workers=2) as pool:
        pooled = TrainSession(novelty_config(generations=2), backend=pool)
        assert run(pooled, 2) == expected
    assert archive_of(pooled).archive.tobytes() == archive_of(serial).archive.tobytes()


def test_a_generation_watched_live_tells_the_headless_archive():
    headless = TrainSession(novelty_config())
    expected = run(headless, 2)
    live = LiveRun(headless.arena, headless.level, session=TrainSession(novelty_config()), trails=False)
    told = []
    while len(told) < 2:
        told += [without_times(s) for s in live.tick(500)]
    assert told == expected
    assert archive_of(live.session).archive.tobytes() == archive_of(headless).archive.tobytes()
    # closed early (N), a generation is evaluated headless with its behaviour
    live_next = without_times(live.next_generation())
    assert live_next == without_times(headless.step())
    novelty = live.novelty()
    assert novelty.shape == (16,) and np.all(np.isfinite(novelty))


def test_co_evolving_pacman_keeps_an_archive_per_role(tmp_path):
    config = TrainConfig(arena="pacman", population=6, opponents=2, generations=2, seed=2, checkpoint_every=0,
                         objective="novelty", novelty_k=3)
    a, b = TrainSession(config), TrainSession(config)
    stats = run(a, 2)
    assert stats == run(b, 2)
    for role in ("pacman", "ghost"):
        assert stats[-1]["roles"][role]["novelty"]["archive_size"] >= 0
        assert archive_of(a, role).archive.shape[1] == a.arena.behaviour.SIZES[role]
        assert archive_of(a, role).archive.tobytes() == archive_of(b, role).archive.tobytes()
    data = a.checkpoint_data()
    assert set(data["populations"]["ghost"]["novelty"]) >= {"archive", "threshold", "params"}
    path = tmp_path / "gen.json"
    path.write_text(json.dumps({"format": "arena.checkpoint", "version": 1, **data}))
    resumed = TrainSession.from_checkpoint(path)
    assert archive_of(resumed, "ghost").archive.tobytes() == archive_of(a, "ghost").archive.tobytes()


def test_a_fitness_run_asks_for_no_behaviour_and_saves_no_archive():
    session = TrainSession(novelty_config(objective="fitness"))
    assert not session.needs_behaviour
    calls = []
    evaluate = session.backend.evaluate
    session.backend.evaluate = lambda *args, **kwargs: calls.append(kwargs) or evaluate(*args, **kwargs)
    stats = session.step()
    assert calls == [{}] and "novelty" not in stats
    assert "novelty" not in session.checkpoint_data()


@pytest.mark.parametrize("objective", ["novelty", "blend:0.25"])
def test_the_strategy_ranks_by_the_objective_and_champions_by_fitness(objective):
    session = TrainSession(novelty_config(objective=objective, novelty_k=4))
    told = []
    tell = session.strategy.tell
    session.primary.strategy.tell = lambda state, score: told.append(score) or tell(state, score)
    batch = session.ask()
    outcome = session.evaluate(batch)
    session.tell(batch, outcome, 0.0)
    fitness, described = outcome.fitness["driver"], outcome.behaviour["driver"]
    # sparseness by hand: the mean distance to the 4 nearest other genomes (the archive was empty)
    distances = np.sqrt(((described[:, None, :].astype(np.float64) - described[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distances, np.inf)
    sparseness = np.sort(distances, axis=1)[:, :4].mean(axis=1)
    scaled = [(v - v.min()) / (v.max() - v.min()) for v in (fitness, sparseness)]
    weight = 1.0 if objective == "novelty" else 0.25
    expected = sparseness if objective == "novelty" else (1 - weight) * scaled[0] + weight * scaled[1]
    np.testing.assert_allclose(told[0], expected, rtol=1e-9, atol=1e-12)
    assert session.champion.fitness == fitness.max()


def test_objectives_that_cannot_work_are_refused():
    with pytest.raises(UsageError, match="--objective must be fitness, novelty or blend:W"):
        novelty_config(objective="blend:2")
    with pytest.raises(UsageError, match="--novelty-k must be from 1 to 1000"):
        novelty_config(novelty_k=0)
    with pytest.raises(UsageError, match="cartpole.*has none.*racing"):
        TrainSession(TrainConfig(arena="cartpole", objective="novelty"))


@pytest.fixture(scope="module")
def novelty_checkpoint():
    session = TrainSession(novelty_config(generations=2))
    run(session, 2)
    return session.checkpoint_data()


@pytest.mark.parametrize("edit, field", [
    (lambda d: d.pop("novelty"), "novelty"),
    (lambda d: d["novelty"].update(threshold="nan"), "novelty.threshold"),
    (lambda d: d["novelty"].update(threshold=-1.0), "novelty.threshold"),
    (lambda d: d["novelty"]["archive"].update(shape=[len(d["novelty"]["archive"]["data"]), 1]), "novelty.archive"),
    (lambda d: d["novelty"].update(window_added=-3), "novelty.window_added"),
    (lambda d: d["novelty"]["params"].update(k=0), "novelty.params"),
    (lambda d: d["novelty"].update(archive=[1, 2]), "novelty.archive"),
    (lambda d: d["config"].update(objective="fitness"), "novelty"),
])
def test_damaged_archives_fail_naming_the_field(tmp_path, novelty_checkpoint, edit, field):
    data = json.loads(json.dumps(novelty_checkpoint))
    edit(data)
    path = tmp_path / "gen-000002.json"
    path.write_text(json.dumps({"format": "arena.checkpoint", "version": 1, **data}))
    with pytest.raises(ArenaError, match=f"{path}.*field '{field}") as raised:
        TrainSession.from_checkpoint(path)
    assert "\n" not in str(raised.value)


def test_train_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "racing", "--level", DEAD_END, "--objective", "novelty", "--novelty-k", "5",
                 "--population", "12", "--generations", "2", "--out", str(out), "--json"]) == 0
    checkpoint = json.loads(sorted((out / "checkpoints").glob("*.json"))[-1].read_text())
    assert checkpoint["config"]["objective"] == "novelty" and checkpoint["novelty"]["params"]["k"] == 5
    brain = json.loads((out / "best-driver.brain.json").read_text())
    assert brain["provenance"]["objective"] == "novelty"
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--objective", "fitness"]) == 2
    assert "drop --objective" in capsys.readouterr().err
    for bad in (["racing", "--objective", "blend:2"], ["racing", "--objective", "speed"],
                ["cartpole", "--objective", "novelty"], ["racing", "--novelty-k", "2000"]):
        assert main(["train", *bad, "--generations", "1", "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "bad").exists()

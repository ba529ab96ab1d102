"""Co-evolution in `TrainSession`, on a tiny two-role arena whose games are plain arithmetic, so
that the pairing of genomes, their opponents and the hall of fame can be checked exactly."""

import json
from dataclasses import dataclass

import numpy as np
import pytest

from arena.arenas import REGISTRY
from arena.arenas.base import SCRIPTED, Arena, Outcome
from arena.brains.netbatch import forward
from arena.core.errors import RunError
from arena.core.spec import ArenaSpec, RoleSpec
from arena.persist.checkpoint import load_checkpoint, save_checkpoint
from arena.session import TrainConfig, TrainSession

PROBE = np.array([[0.5, -0.25]], dtype=np.float32)  # what every network is shown


def _role(name, agents):
    return RoleSpec(name, ("a", "b"), ("out",), "continuous", "tanh", "tanh", (3,), agents)


@dataclass
class _Level:
    name: str = "flat"


class DuoArena(Arena):
    """A hunter against a team of two prey. A game's score is the hunter's output minus the mean
    of the prey's outputs, on one fixed input; the hunter is paid the score, the prey its
    negative. Scripted players output 0.25."""

    spec = ArenaSpec("duo", 1, (_role("hunter", 1), _role("prey", 2)), "test arena")

    def default_level_path(self):
        return "flat"

    def load_level(self, path):
        return _Level()

    def rollout(self, level, nets, seeds, max_ticks=None):
        n = len(seeds)
        outs = {}
        for role in self.spec.roles:
            net = nets[role.name]
            rows = n * role.agents
            if net is SCRIPTED:
                outs[role.name] = np.full(n, 0.25)
            else:
                out = forward(net, np.repeat(PROBE, rows, axis=0))[:, 0].astype(np.float64)
                outs[role.name] = out.reshape(n, role.agents).mean(axis=1)
        score = outs["hunter"] - outs["prey"]
        return Outcome({"hunter": score, "prey": -score}, {"hunter": score > 1.0, "prey": score < -1.0},
                       np.ones(n, dtype=np.int64))

    def match_summary(self, level, outcome):
        return {"score": float(outcome.fitness["hunter"].mean())}


@pytest.fixture
def duo(monkeypatch):
    monkeypatch.setitem(REGISTRY, "duo", DuoArena())


def _session(**settings):
    return TrainSession(TrainConfig(arena="duo", population=6, opponents=3, seed=4, **settings))


def _output(session, role, genomes):
    """What each genome of `role` outputs on the probe."""
    net = session.populations[role].breeder.compile(genomes)
    return forward(net, np.repeat(PROBE, len(genomes), axis=0))[:, 0].astype(np.float64)


def test_each_genome_plays_the_other_roles_champion_and_hall_of_fame(duo):
    session = _session()
    assert session.coevolving
    for generation in range(4):
        batch = session.ask()
        hunters, prey = batch.genomes["hunter"], batch.genomes["prey"]
        assert batch.nets["hunter"].size == (6 + 6) * 3 and batch.nets["prey"].size == (6 + 6) * 3 * 2
        hall = {role: [g.copy() for g in pop.hall_of_fame] for role, pop in session.populations.items()}
        champions = {role: None if pop.champion is None else pop.champion.genome.copy()
                     for role, pop in session.populations.items()}
        outcome = session.backend.evaluate(session.arena, session.level, batch.nets, batch.seeds)
        stats = session.tell(batch, outcome, 0.0)

        # Side 0: hunter i against prey opponents j; side 1: prey i against hunter opponents j.
        hunter_out = _output(session, "hunter", hunters)
        prey_out = _output(session, "prey", prey)
        game_scores = outcome.fitness["hunter"]
        hunter_games = game_scores[:18].reshape(6, 3)
        prey_games = game_scores[18:].reshape(6, 3)
        # Every hunter meets the same three opponents, every prey too.
        opponent_prey = hunter_out[:, None] - hunter_games
        opponent_hunters = prey_games + prey_out[:, None]
        assert np.allclose(opponent_prey, opponent_prey[0])
        assert np.allclose(opponent_hunters, opponent_hunters[0])
        if generation == 0:  # no champions yet: the first genomes of the other population
            assert np.allclose(opponent_prey[0], prey_out[:3])
            assert np.allclose(opponent_hunters[0], hunter_out[:3])
        else:  # the champion of the last generation first, then champions drawn from the hall
            for role, opponents in (("prey", opponent_prey[0]), ("hunter", opponent_hunters[0])):
                assert opponents[0] == pytest.approx(_output(session, role, champions[role][None])[0])
                hall_out = _output(session, role, np.stack(hall[role]))
                assert all(np.isclose(hall_out, o).any() for o in opponents[1:])
        # Fitness is the mean over a genome's games, and the best genome becomes champion.
        hunter_fitness = hunter_games.mean(axis=1)
        assert stats["roles"]["hunter"]["best_fitness"] == pytest.approx(hunter_fitness.max())
        assert stats["roles"]["prey"]["mean_fitness"] == pytest.approx((-prey_games).mean())
        champion = session.populations["hunter"].champion
        assert champion.generation == generation and champion.index == int(np.argmax(hunter_fitness))
        assert np.array_equal(champion.genome, hunters[champion.index])
        assert all(len(pop.hall_of_fame) == generation + 1 for pop in session.populations.values())
        # The champions also play the scripted opponents, on seeds training never uses.
        best_hunter = _output(session, "hunter", hunters[champion.index][None])[0]
        assert stats["vs_scripted"]["hunter"]["fitness"] == pytest.approx(best_hunter - 0.25)
        assert stats["vs_scripted"]["hunter"]["score"] == pytest.approx(best_hunter - 0.25)


def test_coevolution_is_deterministic_and_resumes_exactly(duo, tmp_path):
    whole = _session(generations=7)
    whole_stats = [whole.step() for _ in range(7)]

    first = _session(generations=7)
    for _ in range(3):
        first.step()
    path = tmp_path / "gen-3.json"
    save_checkpoint(path, first.checkpoint_data())
    resumed = TrainSession.from_checkpoint(path)
    rest = [resumed.step() for _ in range(4)]

    strip = lambda s: {k: v for k, v in s.items() if k not in ("eval_s", "wall_s")}  # noqa: E731
    assert [strip(s) for s in rest] == [strip(s) for s in whole_stats[3:]]
    assert json.dumps(resumed.checkpoint_data()) == json.dumps(whole.checkpoint_data())


def test_both_champions_are_saved_as_brains(duo, tmp_path):
    from arena.persist.brainfile import load_brain
    from arena.persist.runs import RunFolder

    session = _session(generations=2)
    folder = RunFolder(tmp_path / "run", session.describe(), 1)
    session.reporters = [folder]
    session.run()
    for role in ("hunter", "prey"):
        brain = load_brain(folder.brain_path(role))
        assert brain.role == role and brain.provenance["generation"] == 1
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["roles"]["prey"]["network"]["layers"] == [2, 3, 1]
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [set(m["roles"]) for m in metrics] == [{"hunter", "prey"}] * 2


@pytest.mark.parametrize("damage", [
    lambda d: d.pop("populations"),
    lambda d: d["populations"].pop("prey"),
    lambda d: d["populations"]["prey"].update(hall_of_fame="many"),
    lambda d: d["populations"]["prey"]["hall_of_fame"].append([1, 2]),
    lambda d: d["populations"]["hunter"]["state"].update(generation=9),
    lambda d: d["populations"]["hunter"]["champion"].update(fitness="high"),
])
def test_damaged_coevolution_checkpoints_name_the_field(duo, tmp_path, damage):
    session = _session()
    session.step()
    session.step()
    data = session.checkpoint_data()
    damage(data)
    path = tmp_path / "bad.json"
    save_checkpoint(path, data)
    load_checkpoint(path)
    with pytest.raises(RunError, match=str(path)):
        TrainSession.from_checkpoint(path)

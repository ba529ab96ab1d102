"""Brains for tests of saved brains meeting each other: random default networks as files, and
`arena duel --json` run in-process."""

import json

import numpy as np

from arena.arenas import get_arena
from arena.brains.mlp import MLPSpec
from arena.cli import main
from arena.matches.duel import game_order
from arena.persist.brainfile import brain_from_genome, save_brain


def random_brain(arena_name: str, role: str, seed: int, scale: float = 1.0):
    """A Brain for `role` of the arena: its default MLP with seeded random weights times `scale`."""
    arena = get_arena(arena_name)
    spec = MLPSpec.for_role(arena.spec.role(role))
    genome = spec.random_genomes(np.random.default_rng(seed), 1)[0] * np.float32(scale)
    return brain_from_genome(arena.spec, role, spec, genome, {"seed": seed})


def saved(folder, name, brain) -> str:
    """The path of `brain` saved as folder/name.brain.json."""
    path = folder / f"{name}.brain.json"
    save_brain(brain, path)
    return str(path)


def duel_json(capsys, *args) -> dict:
    """What `arena duel ARGS --json` prints."""
    capsys.readouterr()
    assert main(["duel", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def mirror(result: dict) -> dict:
    """A duel's result seen from the other side: "a" and "b" swapped everywhere, the games listed
    in the usual order (what the duel of B against A must give)."""
    swap = {"a": "b", "b": "a", None: None}
    games = [{**g, "a": g["b"], "b": g["a"], "winner": swap[g["winner"]]} for g in result["games"]]
    return {**result, "a": result["b"], "b": result["a"], "winner": swap[result["winner"]],
            "games": sorted(games, key=game_order)}

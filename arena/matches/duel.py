"""Saved brains against each other: which game two brains play, the games of a match, and the
runner that duels and tournaments share.

Two kinds of match, from the brains' arena and roles (`match_kind`):

- `parallel`: two brains of one role, each in its own game on the same level with the same
  seed, every other role played by the arena's scripted policy; the better fitness wins the
  game (racing: further, then faster; the pole balanced longer; Pac-Man: more points against
  the arcade ghosts; ghosts: a quicker catch of the scripted Pac-Man).
- `pacman`: a Pac-Man brain against a ghost brain (driving all four ghosts) in one maze. The
  ghost brain wins a game by catching him; the Pac-Man brain by clearing the maze or lasting
  to the time limit. A Pac-Man whose network stops the game early (a NaN) has lost it.
- `tanks`: two tank brains on one field, competing for the same points (`arena.arenas.tanks.duel`);
  more points win. Each seed is played twice, with the starts swapped, so neither brain keeps
  the better spawn. A field with one tank spawn gets a second (`duel_level`).

A match is the same set of games whichever brain is "a": seeds come from `--seed` and the
level's place in the list only, and each game's result depends on its own environment alone,
never on the batch around it. So swapping the brains gives the same games, seen from the other
side.
"""

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from arena.arenas import get_arena
from arena.arenas.base import SCRIPTED, Outcome
from arena.core.errors import ArenaError, BrainError
from arena.core.seeding import STREAM_DUEL, seed_sequence
from arena.evaluate.chunks import agents_of
from arena.persist.brainfile import Brain, check_compatible, compile_brains, load_brain

KIND_PARALLEL = "parallel"
KIND_PACMAN = "pacman"
KIND_TANKS = "tanks"

# The (arena, role) of brains whose games a seed changes: cartpole's start, where the tanks'
# points appear, the frightened turns of the arcade ghosts a Pac-Man brain plays against. Only
# those scripted ghosts read the seed in Pac-Man, so ghost brains and a Pac-Man brain against a
# ghost brain play the same game for every seed, as in racing and the tunnel: one game a level.
SEEDED_ROLES = (("cartpole", "pole"), ("tanks", "tank"), ("pacman", "pacman"))


@dataclass(frozen=True, eq=False)
class Entrant:
    """A brain file, loaded and checked against its arena."""

    path: str
    brain: Brain

    @property
    def role(self) -> str:
        return self.brain.role


def load_entrant(path) -> Entrant:
    """The brain in `path`, checked against its arena; BrainError (one line) if it is corrupt or does not fit."""
    brain = load_brain(path)
    try:
        arena = get_arena(brain.arena)
    except ArenaError as exc:  # an arena this program does not have
        raise BrainError(f"{path}: {exc}") from None
    check_compatible(brain, arena.spec, source=str(path))
    return Entrant(str(path), brain)


def match_kind(a: Entrant, b: Entrant) -> str:
    """The kind of match `a` and `b` play, or BrainError saying why they cannot meet."""
    if a.brain.arena != b.brain.arena:
        raise BrainError(f"{b.path}: a brain for arena {b.brain.arena!r}, and {a.path} is one for "
                         f"{a.brain.arena!r}; brains meet only in their own arena")
    if a.brain.arena == "tanks":
        return KIND_TANKS
    if a.role == b.role:
        return KIND_PARALLEL
    if {a.role, b.role} == {"pacman", "ghost"}:
        return KIND_PACMAN
    raise BrainError(f"{b.path}: a {b.role!r} brain cannot meet the {a.role!r} brain {a.path}")


@dataclass(frozen=True)
class Game:
    level: int  # index into the match's levels
    seed: int
    slot: int = 0  # tanks: the tank "a" drives (0 or 1), "b" drives the other


def match_games(arena_name: str, kind: str, role: str, n_levels: int, seed: int, matches: int) -> list:
    """The games of a match of brains of `role` (a's): `matches` seeds on each level where a seed
    changes the game, else one; a tanks duel plays each seed from both starts."""
    per_level = matches if (arena_name, role) in SEEDED_ROLES and kind != KIND_PACMAN else 1
    slots = (0, 1) if kind == KIND_TANKS else (0,)
    return [Game(level, int(s), slot) for level in range(n_levels)
            for s in seed_sequence(seed, STREAM_DUEL, level).generate_state(per_level, dtype=np.uint64)
            for slot in slots]


def duel_level(level):
    """A tank field for two tanks: its first two spawns; a field with one spawn gets a second,
    point-mirrored through the field's centre where a tank fits, can drive from spawn 0 and
    starts a quarter of the field's shorter side away or more, else the reachable cell farthest
    from spawn 0."""
    from arena.arenas.tanks import level as tanks_level
    from arena.arenas.tanks.field import reachable_cells
    from arena.arenas.tanks.params import PARAMS

    if level.duel:
        return level
    if level.tank_spawns.shape[0] >= 2:
        return replace(level, rivals=1, duel=True)
    x, y, heading = level.tank_spawns[0]
    reachable = reachable_cells(level.clearance, level.origin, x, y)
    rows, cols = np.nonzero(reachable)
    centres_x, centres_y = level.origin + (cols + 0.5) * level.cell, level.origin + (rows + 0.5) * level.cell
    mx, my = level.width - x, level.height - y
    row, col = int((my - level.origin) // level.cell), int((mx - level.origin) // level.cell)
    inside = 0 <= row < reachable.shape[0] and 0 <= col < reachable.shape[1]
    apart = np.hypot(mx - x, my - y) >= 0.25 * min(level.width, level.height)
    if inside and apart and reachable[row, col] and float(tanks_level.clearance_at(level, mx, my)) >= PARAMS.tank_radius:
        second = [mx, my]
    else:
        far = int(np.argmax((centres_x - x) ** 2 + (centres_y - y) ** 2))
        second = [centres_x[far], centres_y[far]]
    second.append((heading + 360.0) % 360.0 - 180.0)  # facing the other way
    field = tanks_level.build(level.name, level.width, level.height, level.walls, level.spawn_regions,
                              [list(level.tank_spawns[0]), second], level.points_active, 1, level.seconds,
                              level.target, f"{level.name} (a duel)", level.wall_lines)
    return replace(field, duel=True)


def match_levels(arena, levels: list) -> list:
    """[(name, level)] as matches play them: tank fields set up for two tanks (`duel_level`).
    Made once for many `play_matches` calls, a level is the same object each time, which a
    parallel backend sends to its workers only once."""
    if arena.spec.name != "tanks":
        return levels
    return [(name, duel_level(level)) for name, level in levels]


def play_matches(arena, entrants: list, pairs: list, levels: list, seed: int, matches: int, backend) -> list:
    """The result of each match `pairs[k] = (i, j)`, entrant i as "a" against entrant j as "b", on
    `levels` ([(name, level)], best from `match_levels`). The games of all pairs on a level that
    fill their roles alike go through one `backend.evaluate`, which a parallel backend spreads
    over its workers."""
    kinds = [match_kind(entrants[i], entrants[j]) for i, j in pairs]
    games = [match_games(arena.spec.name, kinds[k], entrants[i].role, len(levels), seed, matches)
             for k, (i, _) in enumerate(pairs)]
    levels = match_levels(arena, levels)
    played = [[] for _ in pairs]
    for level_index, (_, level) in enumerate(levels):
        batches = {}  # what a batch's environments hold -> [(match, game)]
        for k, (i, _) in enumerate(pairs):
            key = (kinds[k], entrants[i].role if kinds[k] == KIND_PARALLEL else None)
            batches.setdefault(key, []).extend((k, game) for game in games[k] if game.level == level_index)
        for (kind, _), todo in batches.items():
            envs = [(env, game.seed) for k, game in todo
                    for env in _environments(kind, [entrants[i] for i in pairs[k]], game)]
            outcome = backend.evaluate(arena, level, *_batch(arena, envs))
            for n, (k, game) in enumerate(todo):
                roles = [entrants[i].role for i in pairs[k]]
                if kind == KIND_PARALLEL:
                    a_side, b_side = (_parallel_side(outcome, 2 * n + s, roles[s]) for s in (0, 1))
                    winner = _higher(a_side["fitness"], b_side["fitness"])
                elif kind == KIND_TANKS:
                    a_side, b_side = ({"slot": slot, "points": int(outcome.caught[n, slot])}
                                      for slot in (game.slot, 1 - game.slot))
                    winner = _higher(a_side["points"], b_side["points"])
                else:
                    a_side, b_side, winner = _pacman_game(level, outcome, n, roles)
                played[k].append({"level": game.level, "seed": game.seed, "winner": winner,
                                  "a": a_side, "b": b_side})
    return [_result(kinds[k], entrants[i], entrants[j], played[k]) for k, (i, j) in enumerate(pairs)]


def _environments(kind: str, sides: list, game: Game) -> list:
    """[{key: brain}] of one game of "a" and "b": one environment per brain in a parallel game,
    one holding both in a Pac-Man game (by role) or a tanks duel (tank 0 under "tank", tank 1
    under RIVAL)."""
    if kind == KIND_PARALLEL:
        return [{side.role: side.brain} for side in sides]
    if kind == KIND_TANKS:
        from arena.arenas.tanks import RIVAL

        first, second = sides if game.slot == 0 else sides[::-1]
        return [{"tank": first.brain, RIVAL: second.brain}]
    return [{side.role: side.brain for side in sides}]


def _batch(arena, envs: list) -> tuple:
    """(nets, seeds) of environments [({key: brain}, seed)], all with brains under the same keys:
    a role of k agents takes k copies of its brain in each environment; a role without a brain is
    played by the arena's scripted policy."""
    nets = {role.name: SCRIPTED for role in arena.spec.roles}
    for key in envs[0][0]:
        nets[key] = compile_brains([env[key] for env, _ in envs for _ in range(agents_of(arena.spec, key))])
    return nets, np.array([s for _, s in envs], dtype=np.uint64)


def _parallel_side(outcome: Outcome, e: int, role: str) -> dict:
    side = {"fitness": float(outcome.fitness[role][e]), "finished": bool(outcome.finished[role][e]),
            "ticks": int(outcome.ticks[e])}
    for f in fields(outcome):  # what an arena adds to its outcome (a score, a catch tick)
        value = getattr(outcome, f.name)
        if f.name not in ("fitness", "finished", "ticks") and isinstance(value, np.ndarray) and value.ndim == 1:
            side[f.name] = value[e].item()
    return side


def _pacman_game(level, outcome, e: int, roles: list) -> tuple:
    caught = bool(outcome.catch_tick[e] >= 0)
    cleared = bool(outcome.finished["pacman"][e])
    lasted = cleared or (not caught and int(outcome.ticks[e]) >= level.max_ticks)
    by_role = {
        "pacman": {"role": "pacman", "score": int(outcome.score[e]), "cleared": cleared,
                   "ticks": int(outcome.ticks[e])},
        "ghost": {"role": "ghost", "caught": caught, "catch_tick": int(outcome.catch_tick[e])},
    }
    winning_role = "pacman" if lasted and not caught else "ghost"
    winner = "a" if roles[0] == winning_role else "b"
    return by_role[roles[0]], by_role[roles[1]], winner


def _higher(a: float, b: float):
    """"a", "b" or None (a draw) by the higher value; NaN counts as the lowest."""
    a = -math.inf if math.isnan(a) else a
    b = -math.inf if math.isnan(b) else b
    return "a" if a > b else "b" if b > a else None


def game_order(game: dict) -> tuple:
    """The order games are listed in: by level, seed, and the start of brain "a"."""
    return game["level"], game["seed"], game["a"].get("slot", 0)


def _result(kind: str, a: Entrant, b: Entrant, games: list) -> dict:
    games = sorted(games, key=game_order)
    wins = {side: sum(g["winner"] == side for g in games) for side in ("a", "b")}
    draws = sum(g["winner"] is None for g in games)
    return {
        "kind": kind,
        "a": {"brain": a.path, "role": a.role, "wins": wins["a"], "draws": draws, "losses": wins["b"]},
        "b": {"brain": b.path, "role": b.role, "wins": wins["b"], "draws": draws, "losses": wins["a"]},
        "winner": "a" if wins["a"] > wins["b"] else "b" if wins["b"] > wins["a"] else None,
        "games": games,
    }

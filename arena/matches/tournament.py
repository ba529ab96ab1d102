"""Tournaments between saved brains: a round robin (a Swiss system for many brains), openskill
ratings, and a match log that makes a tournament resumable.

The match log (JSONL) is the truth: a header line naming the brains (id and sha256), the arena
and the settings, then one line per match in schedule order. Ratings are derived from it by
replaying the logged results through openskill's Plackett-Luce model from fresh ratings, one
update per match in schedule order (round, match), never in the order matches finish. The
schedule depends only on the settings and the results so far, so a resumed tournament plays the
same remaining matches and ends with the same log and ratings file as one never interrupted.

Entrants are ordered by id inside the tournament, so the order the brains are given in does not
change the schedule; `play` still receives the caller's indices.
"""

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from openskill.models import PlackettLuce

from arena.core.errors import BrainError, RunError, UsageError
from arena.core.fileio import atomic_write_text, write_json

LOG_FORMAT = "arena.tournament"
RATINGS_FORMAT = "arena.ratings"
FILE_VERSION = 1
MODEL_NAME = "openskill PlackettLuce"

ROUND_ROBIN = "round robin"
SWISS = "swiss"
ROUND_ROBIN_MAX_ENTRANTS = 12  # a full round robin of 12 is 66 matches; beyond, Swiss rounds

# Pairing search steps a Swiss round may spend looking for a pairing without rematches before it
# settles for the greedy one; a count, not a time, so the schedule stays deterministic.
SWISS_SEARCH_BUDGET = 200_000

WINNERS = ("a", "b", None)
RANKS = {"a": [0, 1], "b": [1, 0], None: [0, 0]}  # openskill ranks [side a, side b]: lower is better


@dataclass(frozen=True)
class Seat:
    """A brain's place in a tournament."""

    id: str  # the brain path as given
    sha256: str  # of the file's bytes
    index: int  # position in the caller's list: what `play` receives


def read_entrants(paths) -> list:
    """The entrants for brain files `paths`, sorted by id; UsageError for fewer than 2 or a file given twice."""
    paths = [str(path) for path in paths]
    if len(paths) < 2:
        raise UsageError(f"a tournament needs at least 2 brains, got {len(paths)}")
    entrants, seen = [], {}
    for index, path in enumerate(paths):
        try:
            stat = os.stat(path)
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise BrainError(f"{path}: brain file not found") from None
        except IsADirectoryError:
            raise BrainError(f"{path}: is a folder, not a brain file") from None
        except OSError as exc:
            raise BrainError(f"{path}: cannot read brain file: {exc.strerror or exc}") from None
        file_key = (stat.st_dev, stat.st_ino)  # the same file under two names (a symlink, ./x) too
        if file_key in seen:
            raise UsageError(f"{path}: the same brain file as {seen[file_key]}; give each brain once")
        seen[file_key] = path
        entrants.append(Seat(path, hashlib.sha256(data).hexdigest(), index))
    return sorted(entrants, key=lambda entrant: entrant.id)


def tournament_format(n_entrants: int) -> str:
    return ROUND_ROBIN if n_entrants <= ROUND_ROBIN_MAX_ENTRANTS else SWISS


def default_rounds(tournament: str, n_entrants: int) -> int:
    """One round-robin cycle, or ceil(log2 n) + 2 Swiss rounds."""
    if tournament == ROUND_ROBIN:
        return n_entrants if n_entrants % 2 else n_entrants - 1
    return math.ceil(math.log2(n_entrants)) + 2


def round_robin(n: int) -> list:
    """One cycle of the circle method: rounds of (a, b) pairs of entrant indices 0..n-1.

    n - 1 rounds of n/2 pairs for even n; n rounds with one bye each for odd n. Every pair meets
    once, nobody twice a round, and sides alternate: each entrant is "a" as often as "b" (one
    more of either for even n, who play an odd number of matches).
    """
    # An odd field gets a phantom in the fixed slot: meeting it is the bye. Fixing the phantom
    # rather than a real entrant is what makes every real entrant's sides alternate evenly.
    slots = ([None] if n % 2 else []) + list(range(n))
    size = len(slots)
    rounds = []
    for number in range(size - 1):
        pairs = []
        for k in range(size // 2):
            first, second = slots[k], slots[size - 1 - k]
            if (k == 0 and number % 2) or k % 2:
                first, second = second, first
            if first is not None and second is not None:
                pairs.append((first, second))
        rounds.append(pairs)
        slots = [slots[0], slots[-1]] + slots[1:-1]
    return rounds


def round_robin_schedule(n: int, rounds: int) -> list:
    """`rounds` rounds of the circle method, cycling again after a full cycle with sides swapped."""
    cycle = round_robin(n)
    schedule = []
    for number in range(rounds):
        pairs = cycle[number % len(cycle)]
        if (number // len(cycle)) % 2:
            pairs = [(b, a) for a, b in pairs]
        schedule.append(pairs)
    return schedule


def swiss_round(order_ids, played, byes, budget: int = SWISS_SEARCH_BUDGET):
    """The pairs of one Swiss round and the entrant with the bye (None for an even field).

    order_ids: entrants by current standing, best first; played: frozensets of pairs already
    met; byes: entrants who have had a bye. Each pair is (higher ranked, lower ranked).

    The bye goes to the lowest-ranked entrant without one (once everyone has had one, to the
    lowest-ranked). The others pair down the standings, each with the next one not yet met, with
    backtracking so that no rematch happens that some other pairing avoids; a bye candidate
    higher up is tried when the lowest one's bye forces a rematch. Only when none avoids one
    (or the search runs out of `budget` steps) do rematches happen, paired greedily.
    """
    order = list(order_ids)
    if len(order) % 2 == 0:
        candidates = [None]
    else:
        without_bye = [entrant for entrant in reversed(order) if entrant not in byes]
        candidates = without_bye or list(reversed(order))
    steps = [budget]
    for bye in candidates:
        rest = [entrant for entrant in order if entrant != bye]
        pairs = _pair_without_rematch(rest, played, steps)
        if pairs is not None:
            return pairs, bye
        if steps[0] <= 0:
            break
    bye = candidates[0]
    return _pair_greedily([entrant for entrant in order if entrant != bye], played), bye


def _pair_without_rematch(order, played, steps):
    """Pairs of `order` (even length) with none in `played`, the first such in standing order, or None."""
    if not order:
        return []
    first, rest = order[0], order[1:]
    for k, other in enumerate(rest):
        steps[0] -= 1
        if steps[0] < 0:
            return None
        if frozenset((first, other)) in played:
            continue
        tail = _pair_without_rematch(rest[:k] + rest[k + 1:], played, steps)
        if tail is not None:
            return [(first, other)] + tail
    return None


def _pair_greedily(order, played):
    """Each unpaired entrant with the next not yet met, or failing that the next unpaired."""
    unpaired, pairs = list(order), []
    while unpaired:
        first = unpaired.pop(0)
        other = next((entrant for entrant in unpaired if frozenset((first, entrant)) not in played), unpaired[0])
        unpaired.remove(other)
        pairs.append((first, other))
    return pairs


class Standings:
    """Ratings {id: (mu, sigma)} and match counts; one openskill update per match."""

    def __init__(self, ids):
        self.model = PlackettLuce()
        fresh = self.model.rating()
        self.ratings = {entrant_id: (fresh.mu, fresh.sigma) for entrant_id in ids}
        self.counts = {entrant_id: {"wins": 0, "draws": 0, "losses": 0} for entrant_id in ids}
        self.matches = 0

    def record(self, a_id: str, b_id: str, winner) -> None:
        """Rate one match of `a_id` (side "a") against `b_id`; winner "a", "b" or None for a draw."""
        # Ratings are rebuilt from (mu, sigma) each time: openskill's rating objects carry random
        # ids, which must never reach a file or decide anything.
        rating_a = self.model.rating(mu=self.ratings[a_id][0], sigma=self.ratings[a_id][1], name=a_id)
        rating_b = self.model.rating(mu=self.ratings[b_id][0], sigma=self.ratings[b_id][1], name=b_id)
        [[new_a], [new_b]] = self.model.rate([[rating_a], [rating_b]], ranks=RANKS[winner])
        self.ratings[a_id] = (new_a.mu, new_a.sigma)
        self.ratings[b_id] = (new_b.mu, new_b.sigma)
        outcome_a, outcome_b = {"a": ("wins", "losses"), "b": ("losses", "wins"), None: ("draws", "draws")}[winner]
        self.counts[a_id][outcome_a] += 1
        self.counts[b_id][outcome_b] += 1
        self.matches += 1

    def ordinal(self, entrant_id: str) -> float:
        mu, sigma = self.ratings[entrant_id]
        return self.model.rating(mu=mu, sigma=sigma).ordinal()

    def order(self) -> list:
        """Ids by ordinal, best first; ties by id."""
        return sorted(self.ratings, key=lambda entrant_id: (-self.ordinal(entrant_id), entrant_id))

    def leaderboard(self) -> list:
        rows = []
        for rank, entrant_id in enumerate(self.order(), 1):
            mu, sigma = self.ratings[entrant_id]
            counts = self.counts[entrant_id]
            rows.append({"rank": rank, "id": entrant_id, "mu": mu, "sigma": sigma,
                         "ordinal": self.ordinal(entrant_id), "played": sum(counts.values()), **counts})
        return rows


def match_log_path(ratings_path) -> Path:
    """The match log beside a ratings file: ratings.json -> ratings.matches.jsonl."""
    ratings_path = Path(ratings_path)
    if ratings_path.suffix == ".json":
        return ratings_path.with_suffix(".matches.jsonl")
    return ratings_path.with_name(ratings_path.name + ".matches.jsonl")


@dataclass(frozen=True)
class LoggedMatch:
    line: int  # 1-based line number in the log
    round: int
    match: int
    a: str
    b: str
    winner: object  # "a", "b" or None


class MatchLog:
    """The JSONL match log of one tournament and the ratings file derived from it."""

    def __init__(self, ratings_path, header: dict):
        self.ratings_path = Path(ratings_path)
        self.path = match_log_path(ratings_path)
        self.header = header

    def open(self) -> list:
        """The matches logged so far (a fresh log holds none); RunError if the log belongs to
        another tournament or is corrupt. Drops a torn last line from a crash."""
        if self.ratings_path.is_dir():
            raise RunError(f"{self.ratings_path}: is a folder; --ratings names the ratings file, e.g. ratings.json")
        if not self.path.exists() or self._size() == 0:
            if self.ratings_path.exists():
                raise RunError(f"{self.ratings_path}: exists without its match log {self.path}; "
                               f"it is not overwritten: pass another --ratings")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise RunError(f"{self.path.parent}: cannot create the folder: {exc.strerror or exc}") from None
            self._rewrite([json.dumps(self.header, allow_nan=False)])
            return []
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise RunError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        lines = data.split(b"\n")
        torn = lines.pop() != b""  # the text after the last newline: a line a crash cut short
        parsed = []
        for number, raw in enumerate(lines, 1):
            try:
                parsed.append(json.loads(raw.decode("utf-8"), parse_constant=_reject_constant))
            except (ValueError, RecursionError):
                if number == len(lines) and number > 1:
                    torn = True  # a whole last line of garbage: the tail of a write a crash cut
                    break
                raise RunError(f"{self.path}: line {number}: bad JSON; the match log is corrupt") from None
        if not parsed:
            raise RunError(f"{self.path}: line 1: not a tournament match log (no {LOG_FORMAT!r} header)")
        self._check_header(parsed[0])
        matches = [self._check_match(number, row) for number, row in enumerate(parsed[1:], 2)]
        if torn:
            self._rewrite(lines[:len(parsed)])
        return matches

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise RunError(f"{self.path}: cannot read: {exc.strerror or exc}") from None

    def _check_header(self, row) -> None:
        if not isinstance(row, dict) or row.get("format") != LOG_FORMAT:
            raise RunError(f"{self.path}: line 1: not a tournament match log (no {LOG_FORMAT!r} header)")
        if row.get("version") != FILE_VERSION:
            raise RunError(f"{self.path}: line 1: match log version {row.get('version')!r}, "
                           f"this program reads version {FILE_VERSION}")
        difference = _header_difference(row, self.header)
        if difference:
            raise RunError(f"{self.path}: a tournament of other brains or settings ({difference}); "
                           f"pass another --ratings")

    def _check_match(self, number: int, row) -> LoggedMatch:
        if (not isinstance(row, dict) or set(row) != {"round", "match", "a", "b", "result"}
                or any(type(row[key]) is not int for key in ("round", "match"))
                or any(not isinstance(row[key], str) for key in ("a", "b"))
                or not isinstance(row["result"], dict) or row["result"].get("winner", "?") not in WINNERS):
            raise RunError(f"{self.path}: line {number}: not a match record; the match log is corrupt")
        return LoggedMatch(number, row["round"], row["match"], row["a"], row["b"], row["result"]["winner"])

    def append(self, records: list) -> None:
        """Append match records and make them durable before anything is derived from them."""
        try:
            with open(self.path, "a", encoding="utf-8") as log:
                log.write("".join(json.dumps(record, allow_nan=False) + "\n" for record in records))
                log.flush()
                os.fsync(log.fileno())
        except OSError as exc:
            raise RunError(f"{self.path}: cannot write: {exc.strerror or exc}") from None

    def write_ratings(self, standings: Standings, rounds_done: int) -> None:
        write_json(self.ratings_path, {"format": RATINGS_FORMAT, "version": FILE_VERSION, "model": MODEL_NAME,
                                       "rounds": rounds_done, "matches": standings.matches,
                                       "leaderboard": standings.leaderboard()}, RunError)

    def _rewrite(self, lines: list) -> None:
        text = "".join((line.decode("utf-8") if isinstance(line, bytes) else line) + "\n" for line in lines)
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise RunError(f"{self.path}: cannot write: {exc.strerror or exc}") from None


def _reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def _header_difference(logged: dict, header: dict) -> str:
    """What first differs between a logged header and this tournament's, in a few words ('' if nothing)."""
    if logged.get("arena") != header["arena"]:
        return f"arena {logged.get('arena')!r}, not {header['arena']!r}"
    logged_brains = logged.get("brains")
    if logged_brains != header["brains"]:
        if not isinstance(logged_brains, list) or not all(isinstance(brain, dict) for brain in logged_brains):
            return "its brains list is unreadable"
        logged_sha = {brain.get("id"): brain.get("sha256") for brain in logged_brains}
        for brain in header["brains"]:
            if brain["id"] not in logged_sha:
                return f"{brain['id']} is not in it"
            if logged_sha[brain["id"]] != brain["sha256"]:
                return f"{brain['id']} has changed since"
        extra = sorted(set(logged_sha) - {brain["id"] for brain in header["brains"]}, key=str)
        return f"{extra[0]} is missing now" if extra else "its brains list differs"
    logged_settings, settings = logged.get("settings"), header["settings"]
    if logged_settings != settings:
        if not isinstance(logged_settings, dict):
            return "its settings are unreadable"
        for key in sorted(set(logged_settings) | set(settings)):
            if logged_settings.get(key) != settings.get(key):
                return f"{key} {logged_settings.get(key)!r} then, {settings.get(key)!r} now"
    return ""


def run_tournament(arena_name: str, entrant_paths, play, *, settings: dict, rounds=None, ratings_path=None,
                   progress=None) -> dict:
    """Play a tournament of the brain files `entrant_paths` and rate it; resume it if its log exists.

    play(pairs) -> results: plays matches, pairs [(i, j)] of indices into `entrant_paths` (i on
    side "a"), all in one batch; one result dict per pair ({"winner": "a"|"b"|None, ...}, JSON-able).
    Each pair's result must depend on that pair alone, not on the batch around it.
    settings: what decides the matches (levels, seed, matches per pair...), JSON-able; a resumed
    tournament must have the same. rounds: None for the default; may grow on resume.
    ratings_path: where the ratings file goes, its match log beside it (None: nothing is written).
    progress(done, total): matches rated so far of `total`: first what the log held, then after each batch.
    Returns {"format", "rounds", "matches", "leaderboard", "results"}: results are the matches
    rated, in schedule order ({"round", "match", "a", "b", "winner"}).
    """
    if rounds is not None and rounds < 1:
        raise UsageError(f"--rounds must be at least 1, got {rounds}")
    tournament = Tournament(arena_name, read_entrants(entrant_paths), settings, ratings_path)
    return tournament.run(play, rounds, progress)


class Tournament:
    """One tournament: its entrants, schedule, standings and (optionally) its files."""

    def __init__(self, arena_name: str, entrants: list, settings: dict, ratings_path=None):
        self.entrants = entrants
        self.ids = [entrant.id for entrant in entrants]
        self.format = tournament_format(len(entrants))
        header = {"format": LOG_FORMAT, "version": FILE_VERSION, "arena": arena_name,
                  "brains": [{"id": entrant.id, "sha256": entrant.sha256} for entrant in entrants],
                  "settings": {**settings, "format": self.format}}
        header = json.loads(json.dumps(header, allow_nan=False))  # as it reads back: tuples become lists
        self.log = MatchLog(ratings_path, header) if ratings_path is not None else None
        self.standings = Standings(self.ids)
        self.played, self.byes = set(), set()  # Swiss: pairs met (frozensets), entrants who had a bye
        self.balance = [0] * len(entrants)  # times on side "a" minus times on side "b"
        self.pending = []  # (round, match, a, b) to play, in schedule order; a, b index self.entrants
        self.rounds_done = 0
        self.results = []  # {"round", "match", "a", "b", "winner"} of every match rated, in schedule order
        self._reported = self._saved = None  # the match counts last reported and written

    def run(self, play, rounds, progress) -> dict:
        logged = self.log.open() if self.log is not None else []
        n = len(self.entrants)
        total_rounds = max([rounds or default_rounds(self.format, n)] + [match.round for match in logged])
        schedule = round_robin_schedule(n, total_rounds) if self.format == ROUND_ROBIN else None
        total = sum(map(len, schedule)) if schedule is not None else total_rounds * (n // 2)
        position = 0  # into `logged`
        for number in range(1, total_rounds + 1):
            pairs = schedule[number - 1] if schedule is not None else self._swiss_pairs()
            for match, (a, b) in enumerate(pairs, 1):
                self.played.add(frozenset((a, b)))
                self.balance[a] += 1
                self.balance[b] -= 1
                if position < len(logged):
                    self._replay(logged[position], number, match, a, b)
                    position += 1
                else:
                    self.pending.append((number, match, a, b))
            if not self.pending:
                self.rounds_done = number
            elif schedule is None or self.log is not None:
                # A Swiss round is paired from the ratings after the last one; and a tournament
                # that keeps a log plays round by round, so that a crash costs one round at most.
                self._play_pending(play, progress, total)
        if position < len(logged):
            entry = logged[position]
            raise RunError(f"{self.log.path}: line {entry.line}: round {entry.round} match {entry.match} is not "
                           f"in the schedule; the match log is corrupt")
        if self.pending:  # a round robin without a log: every remaining round in one batch
            self._play_pending(play, progress, total)
        self._save()
        self._report(progress, total)
        return {"format": self.format, "rounds": total_rounds, "matches": self.standings.matches,
                "leaderboard": self.standings.leaderboard(), "results": self.results}

    def _swiss_pairs(self) -> list:
        position_of = {entrant_id: position for position, entrant_id in enumerate(self.ids)}
        order = [position_of[entrant_id] for entrant_id in self.standings.order()]
        pairs, bye = swiss_round(order, self.played, self.byes)
        if bye is not None:
            self.byes.add(bye)
        # Side "a" to whichever has been "a" less often (net), else to the higher ranked.
        return [(lower, higher) if self.balance[lower] < self.balance[higher] else (higher, lower)
                for higher, lower in pairs]

    def _replay(self, entry: LoggedMatch, number: int, match: int, a: int, b: int) -> None:
        if (entry.round, entry.match, entry.a, entry.b) != (number, match, self.ids[a], self.ids[b]):
            raise RunError(f"{self.log.path}: line {entry.line}: round {entry.round} match {entry.match} "
                           f"{entry.a} vs {entry.b} is not the scheduled round {number} match {match} "
                           f"{self.ids[a]} vs {self.ids[b]}; the match log is corrupt")
        self._rate(number, match, entry.a, entry.b, entry.winner)

    def _rate(self, number: int, match: int, a_id: str, b_id: str, winner) -> None:
        self.standings.record(a_id, b_id, winner)
        self.results.append({"round": number, "match": match, "a": a_id, "b": b_id, "winner": winner})

    def _play_pending(self, play, progress, total: int) -> None:
        self._report(progress, total)
        pending, self.pending = self.pending, []
        results = play([(self.entrants[a].index, self.entrants[b].index) for _, _, a, b in pending])
        if len(results) != len(pending):
            raise RuntimeError(f"play returned {len(results)} results for {len(pending)} pairs")
        for result in results:
            if not isinstance(result, dict) or result.get("winner", "?") not in WINNERS:
                raise RuntimeError(f"play returned a result without a winner 'a', 'b' or None: {result!r}")
        records = [{"round": number, "match": match, "a": self.ids[a], "b": self.ids[b], "result": result}
                   for (number, match, a, b), result in zip(pending, results)]
        if self.log is not None:
            self.log.append(records)  # durable before anything is derived from it
        for record in records:
            self._rate(record["round"], record["match"], record["a"], record["b"], record["result"]["winner"])
        self.rounds_done = pending[-1][0]
        self._save()
        self._report(progress, total)

    def _save(self) -> None:
        if self.log is not None and self.standings.matches != self._saved:
            self.log.write_ratings(self.standings, self.rounds_done)
            self._saved = self.standings.matches

    def _report(self, progress, total: int) -> None:
        if progress is not None and self.standings.matches != self._reported:
            progress(self.standings.matches, total)
            self._reported = self.standings.matches

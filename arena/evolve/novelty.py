"""Novelty search: reward genomes for behaving unlike anything seen before.

After Lehman and Stanley, "Abandoning objectives: evolution through the search for novelty
alone", Evolutionary Computation 19(2), 2011. Each genome is summarised by a behaviour
descriptor (a float vector of D numbers, made by the arena). Its *sparseness* is the mean
Euclidean distance to its k nearest neighbours among the other genomes of its generation and
every row of an archive of past behaviours. A genome whose sparseness exceeds a threshold joins
the archive; the threshold adapts so that the archive keeps growing at a modest rate: it is
raised when many genomes join within one window of evaluations and lowered after a window in
which none did. The score a strategy ranks by is the fitness, the sparseness, or a blend of the
two after min-max scaling each over the generation.

Everything here is plain numpy and bitwise deterministic: distances come from explicit
differences in float64 (no dot-product shortcut, whose rounding depends on the BLAS), and the
k smallest distances are sorted before they are averaged, so the summation order is fixed.
"""

import re
from dataclasses import asdict, dataclass, fields

import numpy as np

from arena.core.errors import UsageError
from arena.core.settings import settings_from_dict

KINDS = ("fitness", "novelty", "blend")
ROW_BLOCK = 32  # genomes whose distances are computed at once: bounds memory to ROW_BLOCK * (P + A) floats
OBJECTIVE_HELP = "--objective must be fitness, novelty or blend:W with 0 < W < 1"
_DECIMAL = re.compile(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")  # a plain number: no sign, nan, inf or '_'


@dataclass(frozen=True)
class Objective:
    """What the strategy maximises: fitness, novelty (sparseness), or a blend of both."""

    kind: str  # "fitness" | "novelty" | "blend"
    weight: float  # weight of novelty: 0.0 for fitness, 1.0 for novelty, W for blend

    def __post_init__(self):
        # a plain float, so that repr (and so str) never reads "np.float64(...)"
        object.__setattr__(self, "weight", float(self.weight))
        expected = {"fitness": self.weight == 0.0, "novelty": self.weight == 1.0,
                    "blend": 0.0 < self.weight < 1.0}
        if not expected.get(self.kind, False):
            raise UsageError(f"{OBJECTIVE_HELP}, got kind {self.kind!r} with weight {self.weight!r}")

    def __str__(self) -> str:
        # repr of a float is the shortest text that reads back to the same float: exact round trip
        return f"blend:{self.weight!r}" if self.kind == "blend" else self.kind


def parse_objective(text: str) -> Objective:
    """The objective named by `text`; surrounding whitespace is ignored, as int() and float() do."""
    clean = text.strip() if isinstance(text, str) else ""
    if clean == "fitness":
        return Objective("fitness", 0.0)
    if clean == "novelty":
        return Objective("novelty", 1.0)
    if clean.startswith("blend:") and _DECIMAL.fullmatch(clean[len("blend:"):]):
        weight = float(clean[len("blend:"):])
        if 0.0 < weight < 1.0:
            return Objective("blend", weight)
    raise UsageError(f"{OBJECTIVE_HELP}, got {text!r}")


@dataclass(frozen=True)
class NoveltyParams:
    """Settings of the sparseness and of the archive."""

    k: int = 15  # nearest neighbours averaged into the sparseness
    initial_threshold: float = 1.0  # sparseness a genome must exceed to join the archive, at the start
    window: int = 2500  # evaluations per adaptation window
    lower: float = 0.95  # threshold *= lower after a window with no additions
    raise_factor: float = 1.2  # threshold *= raise_factor when more than raise_above joined within a window
    raise_above: int = 4
    max_archive: int = 5000  # oldest rows dropped beyond this, so checkpoints stay bounded

    def __post_init__(self):
        for field in fields(self):  # an int given for a float field is stored as a float
            if field.type is float:
                object.__setattr__(self, field.name, float(getattr(self, field.name)))
        checks = [
            ("k", self.k >= 1, "must be at least 1"),
            ("initial_threshold", self.initial_threshold > 0.0, "must be positive"),
            ("window", self.window >= 1, "must be at least 1"),
            ("lower", 0.0 < self.lower <= 1.0, "must be in (0, 1]"),
            ("raise_factor", self.raise_factor >= 1.0, "must be at least 1"),
            ("raise_above", self.raise_above >= 0, "must not be negative"),
            ("max_archive", self.max_archive >= 1, "must be at least 1"),
        ]
        for name, ok, message in checks:
            if not ok:
                raise UsageError(f"novelty settings: field {name!r} {message}, got {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data, what: str) -> "NoveltyParams":
        return settings_from_dict(cls, data, what)


@dataclass
class NoveltyState:
    """Everything novelty search needs to continue, as arrays and numbers."""

    archive: np.ndarray  # float32[A, D], oldest row first
    threshold: float  # current sparseness a genome must exceed to join the archive
    window_evaluations: int  # evaluations since the current window began
    window_added: int  # archive additions since the current window began
    added_total: int  # archive additions ever, including rows since dropped by the cap


def sparseness(descriptors: np.ndarray, archive: np.ndarray, k: int) -> np.ndarray:
    """float64[P]: mean distance of each descriptor to its k nearest among the others and the archive.

    With fewer than k candidates the mean is over all of them; with none it is 0. A descriptor
    row with a NaN or infinity gets 0 and is no neighbour of anyone: such a row comes from a
    broken evaluation, not a behaviour, and as a neighbour it would make every other genome's
    mean NaN or infinite. Archive rows that are not finite are skipped for the same reason.
    """
    descriptors = np.asarray(descriptors, dtype=np.float64)
    archive = np.asarray(archive, dtype=np.float64)
    if descriptors.ndim != 2 or archive.ndim != 2 or archive.shape[1] != descriptors.shape[1]:
        raise ValueError(f"descriptors of shape {descriptors.shape} and archive of shape {archive.shape}, "
                         "expected [P, D] and [A, D]")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    size = descriptors.shape[0]
    out = np.zeros(size, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(descriptors).all(axis=1))
    candidates = np.concatenate([descriptors[finite], archive[np.isfinite(archive).all(axis=1)]])
    count = candidates.shape[0] - 1  # neighbours of a finite genome: every candidate but itself
    take = min(k, count)
    if take < 1:
        return out
    columns = candidates.T.copy()  # D contiguous rows: one per dimension, read once per block
    with np.errstate(over="ignore"):  # descriptors near the float64 limit are infinitely far: that is right
        _nearest_means(candidates, columns, finite, take, out)
    return out


def _nearest_means(candidates, columns, finite, take, out) -> None:
    """out[finite[i]] = mean of the `take` smallest distances from candidates[i] to the others."""
    for start in range(0, finite.size, ROW_BLOCK):
        rows = np.arange(start, min(start + ROW_BLOCK, finite.size))
        # squared distances summed dimension by dimension: each element is its own sum in a
        # fixed order, so the result does not depend on the block size and memory stays
        # ROW_BLOCK * (P + A) floats, however large D is
        block = candidates[rows]
        squared = np.zeros((rows.size, candidates.shape[0]))
        for dim in range(columns.shape[0]):
            difference = block[:, dim, None] - columns[dim][None, :]
            squared += difference * difference
        distance = np.sqrt(squared)
        distance[np.arange(rows.size), rows] = np.inf  # a genome is not its own neighbour
        nearest = np.partition(distance, take - 1, axis=1)[:, :take]
        nearest.sort(axis=1)  # partition leaves an order that depends on the data: fix it
        out[finite[rows]] = nearest.mean(axis=1)


def preview(params: NoveltyParams, state: NoveltyState, descriptors: np.ndarray) -> np.ndarray:
    """Sparseness of `descriptors` against the archive of `state`, which is left as it is."""
    return sparseness(descriptors, state.archive, params.k)


class NoveltySearch:
    """tell(state, descriptors) scores a generation by sparseness and grows the archive."""

    def __init__(self, params: NoveltyParams, size: int):
        if size < 1:
            raise ValueError(f"descriptor size must be at least 1, got {size}")
        self.params = params
        self.size = size  # D, numbers per behaviour descriptor

    def initial_state(self) -> NoveltyState:
        return NoveltyState(np.zeros((0, self.size), dtype=np.float32), self.params.initial_threshold, 0, 0, 0)

    def tell(self, state: NoveltyState, descriptors: np.ndarray) -> tuple:
        """(next state, float64[P] sparseness, int64[] indices added to the archive); `state` is left as it is."""
        p = self.params
        descriptors = np.asarray(descriptors, dtype=np.float64)
        if descriptors.ndim != 2 or descriptors.shape[1] != self.size:
            raise ValueError(f"descriptors of shape {descriptors.shape}, expected (population, {self.size})")
        # sparseness against the archive as it was before this generation, as in the paper: the
        # order of the genomes within a generation must not change anyone's score
        scores_now = sparseness(descriptors, state.archive, p.k)
        with np.errstate(over="ignore"):  # overflowing rows become infinite and are kept out below
            rows = descriptors.astype(np.float32)
        # finite in float32 too: a huge float64 value would become infinite in the archive
        storable = np.isfinite(descriptors).all(axis=1) & np.isfinite(rows).all(axis=1)
        added = np.flatnonzero(storable & (scores_now > state.threshold)).astype(np.int64)
        archive = np.concatenate([state.archive.astype(np.float32), rows[added]])
        threshold = float(state.threshold)
        window_evaluations = state.window_evaluations + descriptors.shape[0]
        window_added = state.window_added + added.size
        if window_added > p.raise_above:  # joining too easily: demand more novelty
            threshold *= p.raise_factor
            window_evaluations = window_added = 0
        elif window_evaluations >= p.window:
            if window_added == 0:  # a whole window with nothing new: demand less
                threshold *= p.lower
            window_evaluations = window_added = 0
        # the newest rows are kept: they describe where the search is now; always a fresh array,
        # so the caller's state never shares memory with the new one
        archive = np.array(archive[-p.max_archive:], dtype=np.float32, copy=True)
        new_state = NoveltyState(archive, threshold, window_evaluations, window_added,
                                 state.added_total + added.size)
        return new_state, scores_now, added


def _minmax(values: np.ndarray) -> np.ndarray:
    """values scaled to [0, 1] over its finite entries; 0 when they are all equal; NaN where not finite."""
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if not finite.any():
        return out
    low, high = values[finite].min(), values[finite].max()
    out[finite] = (values[finite] - low) / (high - low) if high > low else 0.0
    return out


def scores(objective: Objective, fitness: np.ndarray, sparseness: np.ndarray) -> np.ndarray:
    """float64[P]: what the strategy ranks by. NaN stays NaN (the strategies rank NaN last)."""
    fitness = np.asarray(fitness, dtype=np.float64)
    sparseness = np.asarray(sparseness, dtype=np.float64)
    if fitness.shape != sparseness.shape or fitness.ndim != 1:
        raise ValueError(f"fitness of shape {fitness.shape} and sparseness of shape {sparseness.shape}, "
                         "expected the same (population,)")
    if objective.kind == "fitness":
        return fitness.copy()
    if objective.kind == "novelty":
        return sparseness.copy()
    # scaled first: fitness and sparseness have unrelated units, and W must mean the same on every level
    return (1.0 - objective.weight) * _minmax(fitness) + objective.weight * _minmax(sparseness)

"""Novelty search: sparseness against a brute-force reference, archive and threshold rules, scores,
objectives and settings."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.core.errors import UsageError
from arena.evolve.novelty import (
    NoveltyParams,
    NoveltySearch,
    NoveltyState,
    Objective,
    parse_objective,
    preview,
    scores,
    sparseness,
)


def reference_sparseness(descriptors, archive, k):
    """Lehman and Stanley's definition, one genome at a time, with math.dist."""
    rows = [list(map(float, row)) for row in descriptors]
    kept = [list(map(float, row)) for row in archive if all(math.isfinite(v) for v in row)]
    out = []
    for i, row in enumerate(rows):
        if not all(math.isfinite(v) for v in row):
            out.append(0.0)
            continue
        others = [r for j, r in enumerate(rows) if j != i and all(math.isfinite(v) for v in r)] + kept
        distances = sorted(math.dist(row, other) for other in others)[:k]
        out.append(sum(distances) / len(distances) if distances else 0.0)
    return np.array(out)


def random_descriptors(rng, population, archive_size, size):
    """Descriptors with repeated rows (ties and zero distances) and an archive holding copies of some."""
    descriptors = rng.normal(size=(population, size))
    if population >= 4:
        descriptors[1] = descriptors[0]
        descriptors[3] = descriptors[2]
    archive = rng.normal(size=(archive_size, size)).astype(np.float32)
    if archive_size and population:
        archive[0] = descriptors[0]
    return descriptors, archive


@pytest.mark.parametrize("k", [1, 3, 15, 200])
@pytest.mark.parametrize("population, archive_size, size", [(30, 0, 2), (25, 40, 5), (40, 7, 1), (70, 3, 3)])
def test_sparseness_matches_the_brute_force_reference(k, population, archive_size, size):
    descriptors, archive = random_descriptors(np.random.default_rng(population * 7 + k), population,
                                              archive_size, size)
    got = sparseness(descriptors, archive, k)
    assert got.dtype == np.float64 and got.shape == (population,)
    np.testing.assert_allclose(got, reference_sparseness(descriptors, archive, k), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(0, 12), st.integers(1, 4), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_sparseness_matches_the_reference_for_any_shape(population, archive_size, size, k, seed):
    rng = np.random.default_rng(seed)
    # few distinct values on a grid, so duplicate rows and tied distances are common
    descriptors = rng.integers(-2, 3, size=(population, size)).astype(np.float64)
    archive = rng.integers(-2, 3, size=(archive_size, size)).astype(np.float32)
    np.testing.assert_allclose(sparseness(descriptors, archive, k), reference_sparseness(descriptors, archive, k),
                               rtol=1e-12, atol=1e-12)


def test_a_genome_is_not_its_own_neighbour():
    descriptors = np.array([[0.0], [3.0]])
    empty = np.zeros((0, 1), dtype=np.float32)
    np.testing.assert_array_equal(sparseness(descriptors, empty, 1), [3.0, 3.0])
    # a copy of the genome in the archive is a neighbour like any other
    np.testing.assert_array_equal(sparseness(descriptors, np.array([[0.0]], dtype=np.float32), 1), [0.0, 3.0])


def test_no_candidates_give_zero_and_few_candidates_give_their_mean():
    empty = np.zeros((0, 2), dtype=np.float32)
    np.testing.assert_array_equal(sparseness(np.array([[1.0, 2.0]]), empty, 15), [0.0])
    assert sparseness(np.zeros((0, 2)), empty, 15).shape == (0,)
    three = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 8.0]])
    np.testing.assert_allclose(sparseness(three, empty, 15), [(5 + 8) / 2, (5 + 5) / 2, (8 + 5) / 2])


def test_non_finite_rows_score_zero_and_are_nobodys_neighbour():
    descriptors = np.array([[0.0, 0.0], [np.nan, 1.0], [2.0, 0.0], [np.inf, 0.0], [0.0, 0.1]])
    archive = np.array([[5.0, 5.0], [np.nan, 0.0]], dtype=np.float32)
    got = sparseness(descriptors, archive, 2)
    assert np.isfinite(got).all()
    assert got[1] == 0.0 and got[3] == 0.0
    clean = sparseness(descriptors[[0, 2, 4]], archive[:1], 2)
    np.testing.assert_array_equal(got[[0, 2, 4]], clean)


def test_sparseness_is_bitwise_repeatable_and_independent_of_row_order():
    rng = np.random.default_rng(5)
    descriptors = rng.normal(size=(100, 8)) * 1e3
    archive = rng.normal(size=(300, 8)).astype(np.float32)
    first = sparseness(descriptors, archive, 15)
    assert first.tobytes() == sparseness(descriptors.copy(), archive.copy(), 15).tobytes()
    # each genome's score depends on the set of candidates, not on where it sits in the generation
    order = rng.permutation(100)
    assert sparseness(descriptors[order], archive, 15).tobytes() == first[order].tobytes()


def make_search(size=2, **settings):
    search = NoveltySearch(NoveltyParams(**settings), size)
    return search, search.initial_state()


def test_initial_state_is_empty():
    _, state = make_search(size=3, initial_threshold=2.5)
    assert state.archive.shape == (0, 3) and state.archive.dtype == np.float32
    assert (state.threshold, state.window_evaluations, state.window_added, state.added_total) == (2.5, 0, 0, 0)


def test_genomes_join_the_archive_iff_their_sparseness_exceeds_the_threshold():
    search, state = make_search(size=1, k=1, initial_threshold=2.0, raise_above=100)
    archive = np.array([[0.0]], dtype=np.float32)
    state = NoveltyState(archive, 2.0, 0, 0, 0)
    # nearest distances 1, 1, 2 (exactly the threshold: stays out), 6 and 3 (both join)
    descriptors = np.array([[-1.0], [1.0], [3.0], [-10.0], [-4.0]])
    new, scored, added = search.tell(state, descriptors)
    np.testing.assert_array_equal(scored, sparseness(descriptors, archive, 1))
    np.testing.assert_array_equal(scored, [1.0, 1.0, 2.0, 6.0, 3.0])
    np.testing.assert_array_equal(added, [3, 4])
    assert added.dtype == np.int64
    np.testing.assert_array_equal(new.archive, np.concatenate([archive, descriptors[added].astype(np.float32)]))
    assert new.archive.dtype == np.float32
    assert (new.window_added, new.added_total, new.window_evaluations) == (added.size, added.size, 5)


def test_sparseness_uses_the_archive_from_before_the_generation():
    search, state = make_search(size=1, k=2, initial_threshold=0.5)
    # had genome 0 joined the archive before genome 1 was scored, genome 1 would see it twice
    # (as a member and as an archive row) and score (1 + 1) / 2 instead of (1 + 2) / 2
    _, scored, added = search.tell(state, np.array([[0.0], [1.0], [3.0]]))
    np.testing.assert_array_equal(scored, [2.0, 1.5, 2.5])
    np.testing.assert_array_equal(added, [0, 1, 2])


def test_non_finite_descriptors_never_join_the_archive():
    search, state = make_search(size=2, k=1, initial_threshold=1e-9)
    descriptors = np.array([[0.0, 0.0], [np.nan, 0.0], [5.0, np.inf], [3.0, 3.0], [1e300, 0.0]])
    new, _, added = search.tell(state, descriptors)
    assert np.isfinite(new.archive).all()
    np.testing.assert_array_equal(added, [0, 3])  # 1e300 is finite in float64 but not in float32


def test_threshold_rises_after_more_than_raise_above_additions_in_a_window():
    search, state = make_search(size=1, k=1, initial_threshold=1.0, window=1000)
    spread = np.arange(5, dtype=np.float64)[:, None] * 10  # 5 far apart genomes: all join
    new, _, added = search.tell(state, spread)
    assert added.size == 5
    assert new.threshold == 1.0 * 1.2
    assert (new.window_evaluations, new.window_added, new.added_total) == (0, 0, 5)


def test_threshold_falls_after_a_window_without_additions():
    search, state = make_search(size=1, k=1, initial_threshold=100.0, window=10)
    same = np.zeros((4, 1))
    for expected_evaluations in (4, 8):
        state, _, added = search.tell(state, same)
        assert added.size == 0 and state.threshold == 100.0 and state.window_evaluations == expected_evaluations
    state, _, _ = search.tell(state, same)  # 12 >= 10 evaluations, nothing added
    assert state.threshold == 100.0 * 0.95
    assert (state.window_evaluations, state.window_added) == (0, 0)


@pytest.mark.parametrize("joining", [1, 2, 3, 4])
def test_threshold_holds_when_a_few_joined_by_the_end_of_the_window(joining):
    search, state = make_search(size=1, k=1, initial_threshold=5.0, window=10)
    # `joining` genomes far apart, the rest stacked on the first: they are 0 from it
    descriptors = np.zeros((10, 1))
    descriptors[:joining, 0] = np.arange(joining) * 100.0 + 100.0
    new, _, added = search.tell(state, descriptors)
    assert added.size == joining
    assert new.threshold == 5.0
    assert (new.window_evaluations, new.window_added, new.added_total) == (0, 0, joining)


def test_the_archive_keeps_the_newest_rows():
    search, state = make_search(size=1, k=1, initial_threshold=0.5, max_archive=7, raise_above=1000)
    first, _, _ = search.tell(state, np.arange(5.0)[:, None] * 2)
    second, _, added = search.tell(first, 100.0 + np.arange(4.0)[:, None] * 2)
    assert added.size == 4 and second.added_total == 9
    np.testing.assert_array_equal(second.archive[:, 0], [4.0, 6.0, 8.0, 100.0, 102.0, 104.0, 106.0])


def test_tell_does_not_change_its_input():
    search, state = make_search(size=2, k=2, initial_threshold=0.1, max_archive=3)
    state = NoveltyState(np.array([[9.0, 9.0], [8.0, 8.0]], dtype=np.float32), 0.1, 3, 1, 7)
    archive_before = state.archive.copy()
    descriptors = np.random.default_rng(1).normal(size=(6, 2))
    descriptors_before = descriptors.copy()
    new, _, _ = search.tell(state, descriptors)
    np.testing.assert_array_equal(state.archive, archive_before)
    np.testing.assert_array_equal(descriptors, descriptors_before)
    assert (state.threshold, state.window_evaluations, state.window_added, state.added_total) == (0.1, 3, 1, 7)
    assert not np.shares_memory(new.archive, state.archive)


def test_tell_works_for_one_genome_of_one_number_and_is_repeatable():
    search, state = make_search(size=1, k=15, initial_threshold=0.5)
    state, scored, added = search.tell(state, np.array([[3.0]]))
    np.testing.assert_array_equal(scored, [0.0])  # nobody to compare with yet
    state, scored, added = search.tell(state, np.array([[4.0]]))
    np.testing.assert_array_equal(scored, [0.0])  # still nobody: 0 is not above the threshold
    assert state.archive.shape == (0, 1)
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(20, 3)) for _ in range(6)]
    runs = []
    for _ in range(2):
        search, state = make_search(size=3, k=5, initial_threshold=0.8, window=40)
        outputs = []
        for batch in batches:
            state, scored, added = search.tell(state, batch)
            outputs += [scored.tobytes(), added.tobytes(), state.archive.tobytes(), repr(state.threshold)]
        runs.append(outputs)
    assert runs[0] == runs[1]


def test_preview_scores_against_the_archive_without_changing_it():
    search, state = make_search(size=2, k=3)
    state, _, _ = search.tell(state, np.random.default_rng(2).normal(size=(10, 2)) * 5)
    before = state.archive.copy()
    descriptors = np.random.default_rng(4).normal(size=(6, 2))
    np.testing.assert_array_equal(preview(search.params, state, descriptors),
                                  sparseness(descriptors, state.archive, 3))
    np.testing.assert_array_equal(state.archive, before)


def test_scores_for_fitness_and_novelty_are_copies():
    fitness = np.array([1.0, np.nan, -3.0])
    sparse = np.array([0.5, 2.0, 0.0])
    got = scores(parse_objective("fitness"), fitness, sparse)
    np.testing.assert_array_equal(got, fitness)
    got[0] = 99.0
    assert fitness[0] == 1.0
    np.testing.assert_array_equal(scores(parse_objective("novelty"), fitness, sparse), sparse)


def test_blend_mixes_min_max_scaled_fitness_and_sparseness():
    fitness = np.array([10.0, 20.0, np.nan, 30.0, -np.inf])
    sparse = np.array([4.0, 0.0, 1.0, 2.0, 3.0])
    got = scores(parse_objective("blend:0.25"), fitness, sparse)
    expected = 0.75 * np.array([0.0, 0.5, np.nan, 1.0, np.nan]) + 0.25 * (sparse / 4.0)
    np.testing.assert_allclose(got, expected)
    assert np.isnan(got[[2, 4]]).all()


def test_blend_of_constant_arrays_maps_them_to_zero():
    blend = parse_objective("blend:0.5")
    np.testing.assert_array_equal(scores(blend, np.full(3, 7.0), np.array([0.0, 1.0, 2.0])), [0.0, 0.25, 0.5])
    np.testing.assert_array_equal(scores(blend, np.array([0.0, 2.0, np.nan]), np.full(3, 3.0)), [0.0, 0.5, np.nan])
    assert np.isnan(scores(blend, np.full(2, np.nan), np.array([0.0, 1.0]))).all()
    np.testing.assert_array_equal(scores(blend, np.array([5.0]), np.array([0.0])), [0.0])


@pytest.mark.parametrize("text, kind, weight", [
    ("fitness", "fitness", 0.0), ("novelty", "novelty", 1.0), ("blend:0.25", "blend", 0.25),
    (" blend:0.5 ", "blend", 0.5), ("blend:.5", "blend", 0.5), ("blend:1e-3", "blend", 0.001),
])
def test_parse_objective_accepts(text, kind, weight):
    objective = parse_objective(text)
    assert (objective.kind, objective.weight) == (kind, weight)
    assert parse_objective(str(objective)) == objective


def test_objective_text_round_trips():
    assert [str(parse_objective(t)) for t in ("fitness", "novelty", "blend:0.5")] == ["fitness", "novelty",
                                                                                        "blend:0.5"]
    for weight in (0.1, 1 / 3, 5e-324, 0.9999999999999999, np.float64(0.3)):
        objective = Objective("blend", weight)
        assert parse_objective(str(objective)) == objective


@pytest.mark.parametrize("text", ["blend:0", "blend:1", "blend:x", "blend:nan", "blend:inf", "blend:-0.5",
                                  "blend:", "blend", "blend:0.5:1", "blend:0_5", "speed", "", "Fitness"])
def test_parse_objective_refuses(text):
    with pytest.raises(UsageError) as error:
        parse_objective(text)
    message = str(error.value)
    assert message == f"--objective must be fitness, novelty or blend:W with 0 < W < 1, got {text!r}"
    assert "\n" not in message


def test_objective_refuses_inconsistent_weights():
    for kind, weight in (("fitness", 0.5), ("novelty", 0.0), ("blend", 1.0), ("speed", 0.0)):
        with pytest.raises(UsageError):
            Objective(kind, weight)


def test_novelty_params_round_trip():
    params = NoveltyParams(k=3, initial_threshold=0.25, window=100, lower=0.5, raise_factor=2.0, raise_above=1,
                           max_archive=10)
    assert NoveltyParams.from_dict(params.to_dict(), "novelty settings") == params
    assert NoveltyParams.from_dict({}, "novelty settings") == NoveltyParams()
    coerced = NoveltyParams.from_dict({"initial_threshold": 2, "lower": 1}, "novelty settings")
    assert type(coerced.initial_threshold) is float and type(coerced.to_dict()["lower"]) is float


@pytest.mark.parametrize("data, field", [
    ({"k": 0}, "k"), ({"k": 1.5}, "k"), ({"initial_threshold": 0.0}, "initial_threshold"),
    ({"initial_threshold": float("nan")}, "initial_threshold"), ({"lower": 0.0}, "lower"),
    ({"lower": 1.5}, "lower"), ({"raise_factor": 0.9}, "raise_factor"), ({"window": 0}, "window"),
    ({"max_archive": 0}, "max_archive"), ({"raise_above": -1}, "raise_above"), ({"speed": 1}, "speed"),
    ({"k": True}, "k"),
])
def test_novelty_params_refuse_bad_fields(data, field):
    with pytest.raises(UsageError, match=field) as error:
        NoveltyParams.from_dict(data, "novelty settings")
    assert "\n" not in str(error.value)
    with pytest.raises(UsageError):
        NoveltyParams.from_dict("not an object", "novelty settings")


def test_sparseness_does_not_depend_on_the_row_block(monkeypatch):
    from arena.evolve import novelty

    rng = np.random.default_rng(8)
    descriptors = rng.normal(size=(70, 6))
    archive = rng.normal(size=(90, 6)).astype(np.float32)
    blocked = sparseness(descriptors, archive, 15)
    monkeypatch.setattr(novelty, "ROW_BLOCK", 1)
    assert sparseness(descriptors, archive, 15).tobytes() == blocked.tobytes()

"""The evaluation backends: serial, pool and dask give the same outcomes bit for bit; a pool
worker killed mid-generation costs a retry, not the result; chunks over the time limit and
chunks that keep failing stop the run with one clear error."""

import json
import os
import signal
from dataclasses import fields, replace
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.arenas.base import SCRIPTED
from arena.brains.mlp import MLPSpec
from arena.brains.netbatch import compile_mlp, compile_mlp_graph, forward
from arena.core.errors import BackendError, UsageError
from arena.evaluate import make_backend
from arena.evaluate.chunks import Chunker, chunk_nets, join_outcomes, split, unpack_nets
from arena.evaluate.pool import PoolBackend
from arena.evaluate.serial import SerialBackend
from arena.persist.brainfile import to_data
from arena.session import TrainConfig, TrainSession
from tests.conftest import IN_CI

if not IN_CI:  # in CI the test extra has installed it, and these tests must run
    pytest.importorskip("distributed", reason="the dask backend needs distributed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def pool():
    with PoolBackend(2) as backend:
        yield backend


@pytest.fixture(scope="module")
def dask_cluster():
    from arena.evaluate.dask import DaskBackend

    with DaskBackend(workers=2) as backend:
        yield backend


def assert_identical(a, b):
    """Every field of two outcomes (an arena's own fields included), bit for bit."""
    assert type(a) is type(b)
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict):
            assert x.keys() == y.keys()
            for key in x:
                assert x[key].dtype == y[key].dtype and x[key].tobytes() == y[key].tobytes(), f"{f.name}[{key}]"
        elif x is None:
            assert y is None
        else:
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f.name


class Recording:
    """A backend that records every outcome the session got from the backend it wraps."""

    def __init__(self, backend):
        self.backend = backend
        self.outcomes = []

    def evaluate(self, *args, **kwargs):
        outcome = self.backend.evaluate(*args, **kwargs)
        self.outcomes.append(outcome)
        return outcome

    def close(self):
        pass


# -- chunks


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 64))
def test_split_covers_every_environment_once_in_near_equal_chunks(n_envs, parts):
    chunks = split(n_envs, parts)
    assert chunks[0][0] == 0 and chunks[-1][1] == n_envs
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    sizes = [b - a for a, b in chunks]
    assert len(chunks) == max(1, min(parts, n_envs))
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("compile_", [compile_mlp, compile_mlp_graph], ids=["dense", "graph"])
def test_rows_of_a_batch_compute_what_the_whole_batch_does(compile_):
    spec = MLPSpec((5, 7, 3), ("tanh", "sigmoid"))
    rng = np.random.default_rng(3)
    genomes = spec.random_genomes(rng, 150, scale=2.0)
    inputs = rng.normal(0, 2, size=(150, 5)).astype(np.float32)
    batch = compile_(spec, genomes)
    whole = forward(batch, inputs)
    for start, stop in [(0, 150), (0, 1), (37, 101), (149, 150), (64, 128)]:
        part = batch.rows(start, stop)
        assert part.size == stop - start
        assert np.array_equal(forward(part, inputs[start:stop]), whole[start:stop])
        assert np.array_equal(forward(part, inputs[start:stop]), forward(compile_(spec, genomes[start:stop]),
                                                                         inputs[start:stop]))
    with pytest.raises(ValueError):
        batch.rows(10, 151)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=1, max_size=30), st.data())
def test_runs_of_repeated_networks_unpack_to_the_chunk_they_came_from(run_lengths, data):
    """The transport form of a chunk is the chunk, bit for bit, however runs cross its ends;
    zeros of either sign stay apart."""
    spec = MLPSpec((3, 2), ("tanh",))
    rng = np.random.default_rng(len(run_lengths))
    distinct = spec.random_genomes(rng, len(run_lengths))
    distinct[0, 0] = -0.0
    distinct[-1, 0] = 0.0
    batch = compile_mlp(spec, np.repeat(distinct, run_lengths, axis=0))
    start = data.draw(st.integers(0, batch.size))
    stop = data.draw(st.integers(start, batch.size))
    role = SimpleNamespace(role=lambda name: SimpleNamespace(agents=1))
    packed = Chunker(role, {"driver": batch}).chunk(start, stop)["driver"]
    assert packed.columns.shape[1] <= len(run_lengths)
    unpacked = unpack_nets({"driver": packed})["driver"]
    expected = batch.rows(start, stop)
    assert unpacked.size == expected.size == stop - start
    assert unpacked.weights_t.flags.c_contiguous
    assert unpacked.weights_t.tobytes() == expected.weights_t.tobytes()


def test_chunks_of_a_pacman_generation_give_its_outcome(registry):
    """Cutting a co-evolution batch (four ghost networks a game, a scripted role) into chunks and
    joining their outcomes gives the outcome of the whole batch, extra fields included."""
    session = TrainSession(TrainConfig(arena="pacman", population=6, opponents=2, seed=4))
    batch = session.ask()
    arena, level = session.arena, session.level
    whole = arena.rollout(level, batch.nets, batch.seeds)
    parts = [arena.rollout(level, chunk_nets(arena.spec, batch.nets, a, b), batch.seeds[a:b])
             for a, b in split(len(batch.seeds), 5)]
    assert_identical(join_outcomes(parts), whole)
    chunker = Chunker(arena.spec, batch.nets)
    packed = [arena.rollout(level, unpack_nets(chunker.chunk(a, b)), batch.seeds[a:b])
              for a, b in split(len(batch.seeds), 3)]
    assert_identical(join_outcomes(packed), whole)
    scripted = {"pacman": batch.nets["pacman"], "ghost": SCRIPTED}
    assert chunk_nets(arena.spec, scripted, 2, 4)["ghost"] is SCRIPTED


# -- serial == pool == dask


@pytest.mark.parametrize("arena_name,brain", [("tunnel", "mlp"), ("tunnel", "neat"), ("pacman", "mlp")])
def test_serial_pool_and_dask_runs_are_identical(arena_name, brain, pool, dask_cluster):
    """Three generations on each backend: the same fitness arrays bit for bit, the same champion."""
    runs = {}
    for name, backend in (("serial", SerialBackend()), ("pool", pool), ("dask", dask_cluster)):
        recording = Recording(backend)
        session = TrainSession(TrainConfig(arena=arena_name, brain=brain, population=24, generations=3, seed=11,
                                           opponents=2), backend=recording)
        session.run()
        runs[name] = (recording.outcomes, session)
    serial_outcomes, serial_session = runs["serial"]
    for name in ("pool", "dask"):
        outcomes, session = runs[name]
        assert len(outcomes) == len(serial_outcomes)
        for a, b in zip(serial_outcomes, outcomes):
            assert_identical(a, b)
        for role, pop in session.populations.items():
            champion = serial_session.populations[role].champion
            assert (pop.champion.fitness, pop.champion_id) == (champion.fitness, serial_session.populations[role].champion_id)
            brain_a, brain_b = (to_data(s.champion_brain(role)) for s in (serial_session, session))
            assert brain_a["provenance"].pop("created") and brain_b["provenance"].pop("created")
            assert brain_a == brain_b


def test_pool_sends_a_level_to_a_worker_once(pool, registry):
    session = TrainSession(TrainConfig(arena="tunnel", population=10))
    batch = session.ask()
    pool.evaluate(session.arena, session.level, batch.nets, batch.seeds)
    token = pool._tokens.token(session.level)
    assert all(token in worker.levels for worker in pool._workers)
    sent = []
    pool.after_dispatch = lambda pid, chunk: sent.append(chunk)
    try:
        pool.evaluate(session.arena, session.level, batch.nets, batch.seeds)
    finally:
        pool.after_dispatch = None
    assert sorted(sent) == [0, 1]


# -- faults


def _tunnel_batch(population=64, seed=2):
    session = TrainSession(TrainConfig(arena="tunnel", population=population, seed=seed))
    return session, session.ask()


@pytest.fixture(scope="module")
def slow_batch(registry):
    """A generation whose chunks take tens of milliseconds (480 Pac-Man games), so that a worker
    killed right after its chunk is sent dies while computing it."""
    session = TrainSession(TrainConfig(arena="pacman", population=60, opponents=4, seed=2))
    batch = session.ask()
    return session, batch, SerialBackend().evaluate(session.arena, session.level, batch.nets, batch.seeds)


def test_a_worker_killed_mid_generation_costs_a_retry_not_the_result(pool, slow_batch):
    session, batch, expected = slow_batch
    killed = []

    def kill_first(pid, chunk):
        if not killed:
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    pool.after_dispatch = kill_first
    retried = pool.retried
    try:
        outcome = pool.evaluate(session.arena, session.level, batch.nets, batch.seeds)
    finally:
        pool.after_dispatch = None
    assert_identical(outcome, expected)
    assert pool.retried == retried + 1
    assert killed[0] not in pool.worker_pids() and len(pool.worker_pids()) == 2
    assert_identical(pool.evaluate(session.arena, session.level, batch.nets, batch.seeds), expected)


def test_a_chunk_that_keeps_failing_stops_with_one_clear_error(pool, slow_batch):
    session, batch, expected = slow_batch
    pool.after_dispatch = lambda pid, chunk: os.kill(pid, signal.SIGKILL)
    try:
        with pytest.raises(BackendError, match=r"failed 3 times \(last: worker \d+ killed by SIGKILL\); giving up"):
            pool.evaluate(session.arena, session.level, batch.nets, batch.seeds)
    finally:
        pool.after_dispatch = None
    # the pool recovers: fresh workers take the next generation
    assert_identical(pool.evaluate(session.arena, session.level, batch.nets, batch.seeds), expected)


def test_a_chunk_over_the_time_limit_is_retried_then_stops_the_run(slow_batch):
    session, batch, _ = slow_batch
    with PoolBackend(1, chunk_timeout=0.001, max_failures=2) as slow:
        slow.warn = lambda message: None
        with pytest.raises(BackendError, match="over the time limit of 0.001 s"):
            slow.evaluate(session.arena, session.level, batch.nets, batch.seeds)


@pytest.mark.parametrize("kind", ["pool", "dask"])
def test_a_worker_error_is_reported_not_retried(kind, pool, dask_cluster):
    """An arena the workers do not know (registered in this process only) fails on every
    worker the same way: reported at once, not retried."""
    backend = pool if kind == "pool" else dask_cluster
    session, batch = _tunnel_batch()
    unknown = SimpleNamespace(spec=replace(session.arena.spec, name="tunnel-in-this-process-only"),
                              rollout=session.arena.rollout)
    retried = backend.retried
    with pytest.raises(BackendError, match=f"{kind} backend: a worker failed on chunk .*UnknownArenaError"):
        backend.evaluate(unknown, session.level, batch.nets, batch.seeds)
    assert backend.retried == retried


def test_dask_chunks_over_the_time_limit_run_elsewhere_then_stop_the_run(slow_batch):
    from arena.evaluate.dask import DaskBackend

    session, batch, _ = slow_batch
    with DaskBackend(workers=2, chunk_timeout=0.001, max_failures=2) as slow:
        slow.warn = lambda message: None
        with pytest.raises(BackendError, match=r"dask backend: chunk \d failed 2 times .*over the time limit of 0.001 s"):
            slow.evaluate(session.arena, session.level, batch.nets, batch.seeds)


def test_dask_survives_a_killed_worker(dask_cluster):
    session, batch = _tunnel_batch(population=200)
    expected = SerialBackend().evaluate(session.arena, session.level, batch.nets, batch.seeds)
    assert_identical(dask_cluster.evaluate(session.arena, session.level, batch.nets, batch.seeds), expected)
    pids = list(dask_cluster.client.run(os.getpid).values())
    retried = dask_cluster.retried
    os.kill(pids[0], signal.SIGKILL)
    assert_identical(dask_cluster.evaluate(session.arena, session.level, batch.nets, batch.seeds), expected)
    assert dask_cluster.retried == retried + 1


# -- choosing a backend


def test_backend_flags_that_make_no_sense_are_refused():
    with pytest.raises(UsageError, match="--scheduler needs --backend dask"):
        make_backend("pool", scheduler="tcp://localhost:1")
    with pytest.raises(UsageError, match="--workers needs --backend pool or dask"):
        make_backend("serial", workers=2)
    with pytest.raises(UsageError, match="unknown backend"):
        make_backend("gpu")


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr("arena.evaluate.dask.CONNECT_TIMEOUT", 1)
    with pytest.raises(BackendError, match="cannot reach tcp://127.0.0.1:9"):
        make_backend("dask", scheduler="tcp://127.0.0.1:9")


def test_train_on_a_running_cluster_by_its_address(dask_cluster, tmp_path, capsys):
    """`arena train --backend dask --scheduler ADDRESS` uses a cluster someone else started,
    and trains exactly as the serial backend does."""
    from arena.cli import main

    address = dask_cluster.cluster.scheduler_address
    common = ["train", "tunnel", "--population", "20", "--generations", "4", "--seed", "9", "--json"]
    assert main([*common, "--backend", "dask", "--scheduler", address, "--out", str(tmp_path / "dask")]) == 0
    assert main([*common, "--out", str(tmp_path / "serial")]) == 0
    lines = {name: [{k: v for k, v in json.loads(line).items() if k not in ("eval_s", "wall_s")}
                    for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
             for name in ("dask", "serial")}
    assert lines["dask"] == lines["serial"] and len(lines["dask"]) == 4
    assert dask_cluster.client.scheduler_info()["workers"], "closing the run left the cluster running"

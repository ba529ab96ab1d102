"""The NEAT benchmark's parts, on a few seeds (the full 20-seed run is `arena bench neat`)."""

import json

import numpy as np
import pytest

from arena import bench_neat
from arena.brains.neat.compile import compile_neat
from arena.brains.netbatch import forward
from arena.cli import main
from arena.evolve.neat import NEAT, NeatParams


def test_xor_runs_count_evaluations_up_to_the_solution():
    run = bench_neat.xor_run(0)
    assert run["solved"] and run["evaluations"] == run["generations"] * 150
    assert bench_neat.xor_run(0)["evaluations"] == run["evaluations"]  # deterministic


def test_double_pole_runs_stop_at_the_budget():
    run = bench_neat.double_pole_run(0, budget=450)
    assert run["evaluations"] <= 450
    solved = bench_neat.double_pole_run(2)
    assert solved["solved"] and solved["evaluations"] <= 10_000


def test_idle_hidden_nodes_change_nothing_but_the_size():
    state = NEAT(NeatParams(population_size=12), 5, 2, seed=0).initial_state()
    padded = bench_neat.with_idle_hidden_nodes(state.genomes, 20, state.next_node_id)
    assert ((padded.n_nodes - padded.n_outputs) == 20).all()
    x = np.random.default_rng(0).normal(size=(12, 5)).astype(np.float32)
    assert np.array_equal(forward(compile_neat(state.genomes), x), forward(compile_neat(padded), x))


@pytest.mark.slow
def test_bench_neat_json(capsys):
    assert main(["bench", "neat", "--runs", "2", "--population", "256", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result["xor"]) >= {"solved", "runs", "median_generations", "median_evaluations", "median_wall_s"}
    assert set(result["double_pole"]) >= {"solved", "runs", "median_evaluations"}
    assert result["racing"]["min_hidden_nodes"] >= 20 and result["racing"]["finished"] == 256

import numpy as np
import pytest

from arena.core.errors import UsageError
from arena.evolve.ga import GA, GAParams, preset, rank_order


def sphere_fitness(genomes):
    return -np.sum((genomes - 0.5) ** 2, axis=1)


def run(params, seed, generations=30):
    ga = GA(params, 10, seed)
    state = ga.initial_state()
    history = []
    for _ in range(generations):
        fitness = sphere_fitness(ga.ask(state))
        history.append(fitness.max())
        state = ga.tell(state, fitness)
    return state, history


@pytest.mark.parametrize("name", ["default", "classic"])
def test_same_seed_same_run(name):
    a, ha = run(preset(name, 40), seed=11)
    b, hb = run(preset(name, 40), seed=11)
    c, _ = run(preset(name, 40), seed=12)
    assert np.array_equal(a.genomes, b.genomes) and np.array_equal(a.parents, b.parents) and ha == hb
    assert not np.array_equal(a.genomes, c.genomes)


@pytest.mark.parametrize("name", ["default", "classic"])
def test_it_optimises(name):
    _, history = run(preset(name, 40), seed=1, generations=80)
    assert history[-1] > history[0] + 1.0


def test_elites_survive_unchanged():
    params = preset("default", 30)
    ga = GA(params, 10, 0)
    state = ga.initial_state()
    fitness = sphere_fitness(state.genomes)
    after = ga.tell(state, fitness)
    order = rank_order(fitness)
    assert np.array_equal(after.genomes[: params.elite], state.genomes[order[: params.elite]])
    assert np.array_equal(after.parents[: params.elite, 0], order[: params.elite])


def test_classic_has_no_elites_and_mutates_every_gene_uniformly():
    params = preset("classic", 50)
    assert params.elite == 0 and params.crossover_rate == 0 and params.selection == "rank_exponential"
    ga = GA(params, 10, 0)
    state = ga.initial_state()
    after = ga.tell(state, sphere_fitness(state.genomes))
    delta = after.genomes - state.genomes[after.parents[:, 0]]
    assert np.all(np.abs(delta) <= 0.1 + 1e-6) and np.all(delta != 0)


def test_nan_fitness_ranks_last():
    fitness = np.array([1.0, np.nan, 3.0, -2.0])
    assert list(rank_order(fitness)) == [2, 0, 3, 1]


def test_bad_settings_are_refused():
    for bad in [dict(population_size=1), dict(selection="roulette"), dict(elite=100), dict(mutation_rate=2.0)]:
        with pytest.raises(UsageError):
            GAParams(**bad)
    with pytest.raises(UsageError):
        preset("fancy", 10)

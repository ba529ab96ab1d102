"""CPPN skins evolved by NEAT: the settings the skin lab and the agents' skins share.

A skin is a NEAT genome with CPPN activations (`arena.brains.cppn`): 5 inputs (x, y, r, z,
bias), 4 outputs (RGBA, sigmoid). New hidden nodes get a sine, and mutation may switch any
node to another CPPN activation, so pictures grow stripes, rings and blobs as they evolve.
"""

from dataclasses import replace

from arena.brains.cppn import CPPN_ACTIVATIONS, N_INPUTS
from arena.evolve.neat import NEAT, NeatParams

SKIN_OUTPUTS = 4  # RGBA

SKIN_PARAMS = NeatParams(
    population_size=100,
    activation_options=CPPN_ACTIVATIONS,
    activation_mutation_rate=0.2,
    hidden_activation="sin",
    output_activation="sigmoid",
    add_node_rate=0.2,  # pictures need hidden nodes more than controllers do
    add_connection_rate=0.3,
    weight_init_std=2.0,  # wide weights: visible structure from the first generation
    bias_init_std=1.0,
    weight_max=8.0,
    initial_connection="partial",
    initial_connection_probability=0.5,
    target_species=8,
)


def skin_params(population: int) -> NeatParams:
    return replace(SKIN_PARAMS, population_size=population)


def skin_neat(seed: int, population: int = 100) -> NEAT:
    """NEAT over CPPN skins (ask/tell, species, innovations) for `population` genomes."""
    return NEAT(skin_params(population), N_INPUTS, SKIN_OUTPUTS, seed,
                hidden_activation="sin", output_activation="sigmoid")

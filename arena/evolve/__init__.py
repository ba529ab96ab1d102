"""Search strategies (ask/tell): the GA, NEAT."""

MAX_POPULATION = 1_000_000  # genomes per generation: far beyond any use, far below exhausting memory

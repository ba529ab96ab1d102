"""NEAT genomes: padded arrays, numba operators, compilation to NetBatch."""

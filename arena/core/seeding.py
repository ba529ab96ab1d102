"""Explicit seeding: every random stream of a run is a child of one `SeedSequence`.

Streams are addressed by a path of small integers (stream id, generation, ...), so any
generation's randomness can be rebuilt without replaying earlier ones: a resumed run or a
remote worker derives exactly the same numbers.
"""

import numpy as np

# Stream ids: the first element of every spawn key.
STREAM_STRATEGY = 1
STREAM_EVALUATION = 2
STREAM_LEVEL = 3
STREAM_INIT = 4
STREAM_ROLE = 5  # the strategy seed of a co-evolving population other than the first
STREAM_OPPONENTS = 6  # co-evolution: drawing opponents from the hall of fame
STREAM_SCRIPTED = 7  # seeds of the games against scripted opponents (never used in training)
STREAM_SKIN = 8  # CPPN skins: their initial genomes and their mutations (never touch the brains)
STREAM_DUEL = 9  # seeds of the games saved brains play against each other (duels, tournaments)


def seed_sequence(seed: int, *path: int) -> np.random.SeedSequence:
    """The `SeedSequence` of the stream `path` under the root `seed`."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(int(p) for p in path))


def rng(seed: int, *path: int) -> np.random.Generator:
    """A fresh PCG64 generator for the stream `path` under `seed`."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, *path)))


def env_seeds(seed: int, generation: int, n_envs: int) -> np.ndarray:
    """Per-environment seeds for one generation: uint64[n_envs]."""
    return seed_sequence(seed, STREAM_EVALUATION, generation).generate_state(n_envs, dtype=np.uint64)

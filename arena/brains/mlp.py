"""Fixed-topology multilayer perceptrons whose genomes are flat float32 vectors.

Genome layout (as in seed 001): for each layer from `a` units to `b` units, the weights
`W[i, j]` at `i * b + j` (`a * b` values), then the `b` biases. A population is
`float32[population, genome_size]`.
"""

from dataclasses import dataclass

import numpy as np

from arena.brains import activations
from arena.core.errors import ArenaError


@dataclass(frozen=True)
class MLPSpec:
    """Layer sizes (inputs first, outputs last) and one activation name per layer after the first."""

    layers: tuple
    activations: tuple

    def __post_init__(self):
        layers = tuple(self.layers)
        acts = tuple(self.activations)
        if len(layers) < 2:
            raise ArenaError(f"an MLP needs at least an input and an output layer, got {list(layers)}")
        for size in layers:
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ArenaError(f"MLP layer sizes must be positive integers, got {list(layers)}")
        if len(acts) != len(layers) - 1:
            raise ArenaError(
                f"an MLP with {len(layers)} layers needs {len(layers) - 1} activations, got {len(acts)}"
            )
        for name in acts:
            activations.code_of(name)
        object.__setattr__(self, "layers", tuple(int(s) for s in layers))
        object.__setattr__(self, "activations", acts)

    @classmethod
    def for_role(cls, role, hidden=None, hidden_activation=None) -> "MLPSpec":
        """The MLP of `role` (a RoleSpec) with the given hidden sizes, or the role's defaults."""
        hidden = tuple(role.default_hidden if hidden is None else hidden)
        act = hidden_activation or role.hidden_activation
        return cls(
            (role.n_inputs, *hidden, role.n_outputs),
            (act,) * len(hidden) + (role.output_activation,),
        )

    @property
    def n_inputs(self) -> int:
        return self.layers[0]

    @property
    def n_outputs(self) -> int:
        return self.layers[-1]

    @property
    def genome_size(self) -> int:
        return sum(a * b + b for a, b in zip(self.layers[:-1], self.layers[1:]))

    def layer_offsets(self) -> np.ndarray:
        """int32[n_layers - 1]: where each layer's block starts in the genome."""
        offsets, start = [], 0
        for a, b in zip(self.layers[:-1], self.layers[1:]):
            offsets.append(start)
            start += a * b + b
        return np.array(offsets, dtype=np.int32)

    def activation_codes(self) -> np.ndarray:
        return np.array([activations.code_of(a) for a in self.activations], dtype=np.int8)

    def random_genomes(self, rng: np.random.Generator, population: int, scale: float = 1.0) -> np.ndarray:
        """float32[population, genome_size], uniform in [-scale, scale] (seed 001's start)."""
        return rng.uniform(-scale, scale, size=(population, self.genome_size)).astype(np.float32)

    def split(self, genomes: np.ndarray):
        """[(W float32[P, a, b], bias float32[P, b]) per layer] as views of `genomes`."""
        genomes = np.asarray(genomes, dtype=np.float32)
        population = genomes.shape[0]
        out = []
        for (a, b), start in zip(zip(self.layers[:-1], self.layers[1:]), self.layer_offsets()):
            w = genomes[:, start : start + a * b].reshape(population, a, b)
            bias = genomes[:, start + a * b : start + a * b + b]
            out.append((w, bias))
        return out


def forward_numpy(spec: MLPSpec, genomes: np.ndarray, inputs: np.ndarray, einsum: bool = False) -> np.ndarray:
    """Reference forward: float32[P, n_out] from `inputs` float32[P, n_in], one network per row.

    The default sums in the same order as the numba kernels (bias, then input 0, 1, ...), so
    results agree bit for bit. `einsum=True` is seed 001's formulation, used as the speed
    baseline in benchmarks; it agrees to float rounding.
    """
    layer = np.asarray(inputs, dtype=np.float32)
    for (w, bias), code in zip(spec.split(genomes), spec.activation_codes()):
        if einsum:
            total = np.einsum("ji,jik->jk", layer, w) + bias
        else:
            total = bias.copy()
            for i in range(w.shape[1]):
                total += layer[:, i : i + 1] * w[:, i, :]
        layer = activations.activate_numpy(total, int(code))
    return layer

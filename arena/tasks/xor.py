"""XOR, NEAT's first benchmark: two inputs, one output, four cases.

Fitness is 4 minus the sum of squared errors over the four cases; a network solves XOR when
that is at least 3.9 and every output is on the right side of 0.5.
"""

import numpy as np
from numba import njit

from arena.brains.netbatch import BLOCK, NetBatch, block_buffers, forward_block

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = np.array([0, 1, 1, 0], dtype=np.float32)
N_INPUTS = 2
N_OUTPUTS = 1
SOLVED_FITNESS = 3.9


@njit(cache=True)
def _outputs_kernel(net, width, inputs, outputs):
    """outputs[a, k]: network a's output on case k. One thread: a generation is too small to split."""
    n = outputs.shape[0]
    x, out, buf_a, buf_b = block_buffers(inputs.shape[1], 1, width)
    for a0 in range(0, n, BLOCK):
        nb = min(BLOCK, n - a0)
        for k in range(inputs.shape[0]):
            for b in range(nb):
                for i in range(inputs.shape[1]):
                    x[i, b] = inputs[k, i]
            forward_block(net, a0, nb, x[: inputs.shape[1]], out, buf_a, buf_b)
            for b in range(nb):
                outputs[a0 + b, k] = out[0, b]


def outputs(net: NetBatch) -> np.ndarray:
    """float32[P, 4]: each network's output on the four cases."""
    result = np.zeros((net.size, INPUTS.shape[0]), dtype=np.float32)
    _outputs_kernel(net.arrays(), net.scratch_width(), INPUTS, result)
    return result


def evaluate(net: NetBatch):
    """(fitness float64[P], solved bool[P]) of a batch of 2-input, 1-output networks."""
    out = outputs(net).astype(np.float64)
    fitness = 4.0 - ((out - TARGETS) ** 2).sum(axis=1)
    right_side = ((out > 0.5) == (TARGETS > 0.5)).all(axis=1)
    fitness = np.where(np.isnan(fitness), 0.0, fitness)
    return fitness, right_side & (fitness >= SOLVED_FITNESS)

"""Activation functions, by code, defined by formulas that vectorise.

numba calls libm for `exp` and `tanh`, and those calls do not vectorise on our machines, so
the activations are rational functions with clamps instead. The numba kernels and the numpy
references use the very same formulas (all in float32), so they agree to the last bit.

`tanh` is a 13/6 rational approximation (the one Eigen uses for float32), within 1e-6 of
the true tanh; `sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)`. Clamps are written as two `if`s so
that NaN passes through unchanged (a NaN must never turn into a plausible number).
"""

import numpy as np
from numba import njit

from arena.core.errors import ArenaError

IDENTITY = 0
SIGMOID = 1
TANH = 2
RELU = 3
NEAT_SIGMOID = 4  # the NEAT paper's steepened sigmoid, 1 / (1 + exp(-4.9 x))

CODES = {"identity": IDENTITY, "sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "neat_sigmoid": NEAT_SIGMOID}
NAMES = {code: name for name, code in CODES.items()}

_f = np.float32
_CLAMP = _f(7.90531110763549805)
_A1 = _f(4.89352455891786e-03)
_A3 = _f(6.37261928875436e-04)
_A5 = _f(1.48572235717979e-05)
_A7 = _f(5.12229709037114e-08)
_A9 = _f(-8.60467152213735e-11)
_A11 = _f(2.00018790482477e-13)
_A13 = _f(-2.76076847742355e-16)
_B0 = _f(4.89352518554385e-03)
_B2 = _f(2.26843463243900e-03)
_B4 = _f(1.18534705686654e-04)
_B6 = _f(1.19825839466702e-06)
_HALF = _f(0.5)
_NEAT_SLOPE = _f(2.45)  # 4.9 / 2: sigmoid(4.9 x) = 0.5 + 0.5 tanh(2.45 x)
_ZERO = _f(0.0)


def code_of(name: str) -> int:
    """The code of activation `name`; `ArenaError` for an unknown name."""
    try:
        return CODES[name]
    except (KeyError, TypeError):
        raise ArenaError(f"unknown activation {name!r} (known: {', '.join(CODES)})") from None


@njit(cache=True, inline="always")
def tanh32(x):
    if x > _CLAMP:
        x = _CLAMP
    if x < -_CLAMP:
        x = -_CLAMP
    x2 = x * x
    p = x2 * _A13 + _A11
    p = x2 * p + _A9
    p = x2 * p + _A7
    p = x2 * p + _A5
    p = x2 * p + _A3
    p = x2 * p + _A1
    p = x * p
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return p / q


@njit(cache=True, inline="always")
def activate(x, code):
    """Scalar activation of float32 `x` by `code` (an int)."""
    if code == SIGMOID:
        return _HALF + _HALF * tanh32(_HALF * x)
    if code == TANH:
        return tanh32(x)
    if code == RELU:
        return _ZERO if x <= _ZERO else x
    if code == NEAT_SIGMOID:
        return _HALF + _HALF * tanh32(_NEAT_SLOPE * x)
    return x


@njit(cache=True, inline="always")
def activate_row(row, n, code):
    """Apply activation `code` in place to `row[:n]` (float32); loops kept simple to vectorise."""
    if code == SIGMOID:
        for b in range(n):
            row[b] = _HALF + _HALF * tanh32(_HALF * row[b])
    elif code == TANH:
        for b in range(n):
            row[b] = tanh32(row[b])
    elif code == RELU:
        for b in range(n):
            v = row[b]
            row[b] = _ZERO if v <= _ZERO else v
    elif code == NEAT_SIGMOID:
        for b in range(n):
            row[b] = _HALF + _HALF * tanh32(_NEAT_SLOPE * row[b])


def tanh_numpy(x: np.ndarray) -> np.ndarray:
    """The numpy twin of `tanh32` on a float32 array (same operations, same order)."""
    x = np.asarray(x, dtype=np.float32)
    x = np.where(x > _CLAMP, _CLAMP, x)
    x = np.where(x < -_CLAMP, -_CLAMP, x)
    x2 = x * x
    p = x2 * _A13 + _A11
    for coef in (_A9, _A7, _A5, _A3, _A1):
        p = x2 * p + coef
    p = x * p
    q = x2 * _B6 + _B4
    q = x2 * q + _B2
    q = x2 * q + _B0
    return p / q


def activate_numpy(x: np.ndarray, code: int) -> np.ndarray:
    """The numpy twin of `activate` on a float32 array."""
    x = np.asarray(x, dtype=np.float32)
    if code == SIGMOID:
        return _HALF + _HALF * tanh_numpy(_HALF * x)
    if code == TANH:
        return tanh_numpy(x)
    if code == RELU:
        return np.where(x <= _ZERO, _ZERO, x)
    if code == NEAT_SIGMOID:
        return _HALF + _HALF * tanh_numpy(_NEAT_SLOPE * x)
    return x

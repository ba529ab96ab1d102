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
# CPPN activations (seed 000's and 004's pictures): periodic, symmetric and step patterns
SIN = 5
COS = 6
GAUSS = 7  # exp(-x^2), as (1 - x^2 / 256)^256
ABS = 8
STEP = 9  # 1 for x > 0, else 0

CODES = {"identity": IDENTITY, "sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "neat_sigmoid": NEAT_SIGMOID,
         "sin": SIN, "cos": COS, "gauss": GAUSS, "abs": ABS, "step": STEP}
CPPN_CODES = (SIN, COS, GAUSS, TANH, SIGMOID, ABS, IDENTITY, STEP)
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
_ONE = _f(1.0)
_INV_TWO_PI = _f(0.15915494309189535)
_TWO_PI_HI = _f(6.28125)  # 2 pi in two parts (Cody and Waite): x - k * 2 pi stays exact for moderate k
_TWO_PI_LO = _f(1.9353071795864769e-03)
_PI = _f(3.14159265358979)
_HALF_PI = _f(1.5707963267948966)
_S3 = _f(-1.0 / 6.0)
_S5 = _f(1.0 / 120.0)
_S7 = _f(-1.0 / 5040.0)
_S9 = _f(1.0 / 362880.0)
_S11 = _f(-1.0 / 39916800.0)
_GAUSS_SCALE = _f(1.0 / 256.0)


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
def sin32(x):
    """sin in float32 with selects and a polynomial only, so loops of it vectorise: x brought to
    [-pi, pi], folded to [-pi/2, pi/2], then Taylor to x^11 (within 1e-6 of sin)."""
    k = np.floor(x * _INV_TWO_PI + _HALF)
    t = (x - k * _TWO_PI_HI) - k * _TWO_PI_LO
    if t > _HALF_PI:
        t = _PI - t
    if t < -_HALF_PI:
        t = -_PI - t
    t2 = t * t
    p = t2 * _S11 + _S9
    p = t2 * p + _S7
    p = t2 * p + _S5
    p = t2 * p + _S3
    return t + t * t2 * p


@njit(cache=True, inline="always")
def gauss32(x):
    """exp(-x^2) as (1 - x^2 / 256)^256: eight squarings, within 0.0011 of the exponential."""
    g = _ONE - x * x * _GAUSS_SCALE
    if g < _ZERO:
        g = _ZERO
    for _ in range(8):
        g = g * g
    return g


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
    if code == SIN:
        return sin32(x)
    if code == COS:
        return sin32(x + _HALF_PI)
    if code == GAUSS:
        return gauss32(x)
    if code == ABS:
        return -x if x < _ZERO else x
    if code == STEP:  # NaN stays NaN
        return _ONE if x > _ZERO else (_ZERO if x <= _ZERO else x)
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
    elif code == SIN:
        for b in range(n):
            row[b] = sin32(row[b])
    elif code == COS:
        for b in range(n):
            row[b] = sin32(row[b] + _HALF_PI)
    elif code == GAUSS:
        for b in range(n):
            row[b] = gauss32(row[b])
    elif code == ABS:
        for b in range(n):
            v = row[b]
            row[b] = -v if v < _ZERO else v
    elif code == STEP:
        for b in range(n):
            v = row[b]
            row[b] = _ONE if v > _ZERO else (_ZERO if v <= _ZERO else v)


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
    if code in (SIN, COS):
        return sin_numpy(x + _HALF_PI if code == COS else x)
    if code == GAUSS:
        g = np.maximum(_ONE - x * x * _GAUSS_SCALE, _ZERO)
        for _ in range(8):
            g = g * g
        return g
    if code == ABS:
        return np.where(x < _ZERO, -x, x)
    if code == STEP:
        return np.where(x > _ZERO, _ONE, np.where(x <= _ZERO, _ZERO, x))
    return x


def sin_numpy(x: np.ndarray) -> np.ndarray:
    """The numpy twin of `sin32` on a float32 array."""
    x = np.asarray(x, dtype=np.float32)
    k = np.floor(x * _INV_TWO_PI + _HALF)
    t = (x - k * _TWO_PI_HI) - k * _TWO_PI_LO
    t = np.where(t > _HALF_PI, _PI - t, t)
    t = np.where(t < -_HALF_PI, -_PI - t, t)
    t2 = t * t
    p = t2 * _S11 + _S9
    for coef in (_S7, _S5, _S3):
        p = t2 * p + coef
    return t + t * t2 * p

"""sin and cos in float64 by formulas that vectorise, for numba and numpy alike.

numba calls libm for `sin` and `cos`, and those calls do not vectorise (see DESIGN, "Known
pitfalls"): with 32 of them per agent and tick they were most of the cart-pole physics. Here
the angle is reduced to r = x - k pi/2, |r| <= pi/4 (pi/2 in two parts, so k pi/2 is exact
for |k| < 2^20), sin r and cos r come from Cephes' minimax polynomials (within about an ulp),
and the quadrant k mod 4 picks and signs them. Everything is float arithmetic and selects, no
integer conversion, so NaN and infinity come out as NaN instead of undefined behaviour.

`sin_cos` (numba, scalar) and `sin_cos_numpy` (arrays) do the very same operations in the same
order, so the kernels and the numpy reference agree to the last bit.
"""

import numpy as np
from numba import njit

_TWO_OVER_PI = 0.63661977236758134308
_PIO2_HIGH = 1.57079632673412561417e00  # the first 33 bits of pi/2
_PIO2_LOW = 6.07710050650619224932e-11  # pi/2 - _PIO2_HIGH
_S1 = -1.66666666666666307295e-1
_S2 = 8.33333333332211858878e-3
_S3 = -1.98412698295895385996e-4
_S4 = 2.75573136213857245213e-6
_S5 = -2.50507477628578072866e-8
_S6 = 1.58962301576546568060e-10
_C1 = 4.16666666666665929218e-2
_C2 = -1.38888888888730564116e-3
_C3 = 2.48015872888517045348e-5
_C4 = -2.75573141792967388112e-7
_C5 = 2.08757008419747316778e-9
_C6 = -1.13585365213876817300e-11


@njit(cache=True, inline="always")
def sin_cos(x):
    """(sin x, cos x) of a float64."""
    k = np.floor(x * _TWO_OVER_PI + 0.5)
    r = (x - k * _PIO2_HIGH) - k * _PIO2_LOW
    z = r * r
    s = r + r * z * (((((_S6 * z + _S5) * z + _S4) * z + _S3) * z + _S2) * z + _S1)
    c = 1.0 - 0.5 * z + z * z * (((((_C6 * z + _C5) * z + _C4) * z + _C3) * z + _C2) * z + _C1)
    q = k - 4.0 * np.floor(k * 0.25)  # quadrant 0..3
    swap = (q == 1.0) | (q == 3.0)
    sin_x = c if swap else s
    cos_x = s if swap else c
    if q >= 2.0:
        sin_x = -sin_x
    if (q == 1.0) | (q == 2.0):
        cos_x = -cos_x
    return sin_x, cos_x


def sin_cos_numpy(x: np.ndarray):
    """(sin x, cos x) of a float64 array, as `sin_cos` computes them."""
    with np.errstate(invalid="ignore"):  # infinities become NaN, as in the kernels, silently
        k = np.floor(x * _TWO_OVER_PI + 0.5)
        r = (x - k * _PIO2_HIGH) - k * _PIO2_LOW
        q = k - 4.0 * np.floor(k * 0.25)
    z = r * r
    s = r + r * z * (((((_S6 * z + _S5) * z + _S4) * z + _S3) * z + _S2) * z + _S1)
    c = 1.0 - 0.5 * z + z * z * (((((_C6 * z + _C5) * z + _C4) * z + _C3) * z + _C2) * z + _C1)
    swap = (q == 1.0) | (q == 3.0)
    sin_x = np.where(swap, c, s)
    cos_x = np.where(swap, s, c)
    sin_x = np.where(q >= 2.0, -sin_x, sin_x)
    cos_x = np.where((q == 1.0) | (q == 2.0), -cos_x, cos_x)
    return sin_x, cos_x

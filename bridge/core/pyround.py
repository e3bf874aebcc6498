"""Python's ``round(v, digits)`` over a numpy column, bit for bit, at numpy's speed.

``round(v, d)`` gives the float nearest to the decimal that rounds ``v``'s exact value to ``d``
places (half to even on an exact tie). For ``s = v * 10**d`` (one rounded multiplication),
``rint(s) / 10**d`` is the same float whenever ``s`` is clearly away from a half: the
multiplication is off by at most half an ulp of ``s``, so the exact product rounds the same way,
and dividing the exact integer ``k`` by the exact ``10**d`` is IEEE-rounded to the float nearest
``k / 10**d``, as Python's conversion is. The few values near a half (or too large for ``k`` to
be exact, or not finite) are rounded by Python itself. The replay's curve must equal the one the
live books draw point by point (``Portfolio.mark`` uses ``round``): this keeps it so."""

from __future__ import annotations

import numpy as np

EXACT = 2.0**52  # integers below this are exact floats


def py_round(x: np.ndarray, digits: int) -> np.ndarray:
    """``np.array([round(v, digits) for v in x])``, computed in bulk (0 <= digits <= 22)."""
    scale = 10.0**digits
    with np.errstate(invalid="ignore", over="ignore"):
        s = x * scale
        k = np.rint(s)
        # how far the product may be from the exact one: half an ulp of s, with room to spare
        margin = np.abs(s) * 2.0**-50
        near_half = np.abs(s - np.floor(s) - 0.5) <= margin
        unsure = near_half | ~(np.abs(s) < EXACT)  # also inf and nan
    out = k / scale
    if unsure.any():
        idx = np.flatnonzero(unsure)
        out[idx] = [round(v, digits) for v in x[idx].tolist()]
    return out

"""py_round equals Python's round bit for bit: on random floats, on prices and amounts of every
size the books see, and on the decimal halves where a rounded multiplication could go astray."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bridge.core.pyround import py_round


def same(x: list[float], digits: int) -> None:
    got = py_round(np.array(x, dtype=float), digits).tolist()
    want = [round(v, digits) for v in x]
    for g, w, v in zip(got, want, x, strict=True):
        assert (math.isnan(g) and math.isnan(w)) or g.hex() == w.hex(), (v, digits, g, w)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60), st.integers(0, 15))
def test_any_float(x: list[float], digits: int) -> None:
    same(x, digits)


@given(
    st.lists(st.integers(-(10**13), 10**13), min_size=1, max_size=60),
    st.integers(1, 10),
    st.sampled_from([0.0, 0.5, -0.5, 0.49999999, 0.50000001, 1e-7]),
)
def test_decimal_halves_and_near_halves(ks: list[int], digits: int, off: float) -> None:
    """Values a hair from x.xx5: the cases a multiply-then-round could get wrong."""
    scale = 10.0 ** (digits + 1)
    same([(10 * k + 5 + off) / scale for k in ks], digits)


def test_equity_and_quote_columns() -> None:
    rng = np.random.default_rng(7)
    equity = (100_000 + rng.normal(0, 5_000, 50_000)).tolist()
    same(equity, 2)
    same([round(v, 2) + 0.005 for v in equity[:5_000]], 2)  # every one a decimal half
    bid = np.round(21_000 + rng.normal(0, 300, 50_000), 2)
    same((bid + 1.5).tolist(), 10)  # bid + spread, as the replay's ask
    same((bid / 7).tolist(), 10)
    same([2.675, 0.125, 0.375, 1.005, 1e16, -2.5, 0.0, -0.0], 2)

"""The bulk computations behind replay jumps equal their incremental originals bit for bit:
indicators (values and restored state), higher-timeframe bars and when the engine emits them,
and the beta hedger's state after every bar."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.bars import BarBuilder
from bridge.brain.indicators import ATR, EMA, Returns, atr_values, ema_values
from bridge.brain.tape import Tape, aggregate, merged_times
from bridge.core.columns import BarArrays
from bridge.core.events import Bar
from bridge.data.fixtures import DEMO_FIXTURE, Fixture, load_fixture
from strategies.beta_hedge import BetaHedge, HedgeSeries

prices = st.floats(1.0, 1000.0, allow_nan=False, allow_infinity=False)


def same(a: Any, b: Any) -> bool:
    """Equal, with nan equal to nan (the bit-for-bit claim, on floats)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@given(st.lists(prices, max_size=60), st.integers(1, 8))
def test_ema_values_and_restore_equal_the_incremental_ema(xs: list[float], period: int) -> None:
    vals = ema_values(xs, period)
    inc = EMA(period)
    for k, x in enumerate(xs, 1):
        assert same(inc.update(x), vals[k - 1])
        back = EMA(period)
        back.restore_after(xs, k, vals)
        assert same([back._n, back._sum, back.value], [inc._n, inc._sum, inc.value])


@given(st.lists(st.tuples(prices, prices, prices), max_size=60), st.integers(1, 8))
def test_atr_values_and_restore_equal_the_incremental_atr(
    bars: list[tuple[float, float, float]], period: int
) -> None:
    hi = [max(b) for b in bars]
    lo = [min(b) for b in bars]
    cl = [b[1] for b in bars]
    vals = atr_values(hi, lo, cl, period)
    inc = ATR(period)
    for k in range(1, len(bars) + 1):
        assert same(inc.update(hi[k - 1], lo[k - 1], cl[k - 1]), vals[k - 1])
        back = ATR(period)
        back.restore_after(hi, lo, cl, k, vals)
        assert same(back.state(), inc.state())


@given(st.lists(prices, max_size=40), st.integers(1, 6))
def test_returns_restore_equals_the_incremental_returns(xs: list[float], lookback: int) -> None:
    inc = Returns(lookback)
    for k, x in enumerate(xs, 1):
        inc.update(x)
        back = Returns(lookback)
        back.restore_after(xs, k)
        assert same(list(back._window), list(inc._window)) and same(back.value, inc.value)


def bar_arrays(sym: str, minutes: list[int], seed: int) -> BarArrays:
    rng = np.random.default_rng(seed)
    n = len(minutes)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    opn = close + rng.normal(0, 0.5, n)
    high = np.maximum(opn, close) + rng.random(n)
    low = np.minimum(opn, close) - rng.random(n)
    return BarArrays(
        sym,
        np.asarray(minutes, dtype=np.int64) * 60_000,
        opn,
        high,
        low,
        close,
        rng.integers(1, 50, n),
        rng.integers(0, 30, n),
    )


@cache
def demo_specs() -> Fixture:
    return load_fixture(DEMO_FIXTURE)


minute_sets = st.lists(st.integers(0, 400), min_size=1, max_size=150, unique=True).map(sorted)


@settings(max_examples=60, deadline=None)
@given(minute_sets, minute_sets, st.sampled_from([5, 15, 60]))
def test_tape_bars_are_what_the_engine_builder_emits_and_when(
    a: list[int], b: list[int], tf: int
) -> None:
    demo = demo_specs()
    fx = Fixture(
        "t",
        demo.account,
        {s: demo.specs[s] for s in ("US100", "SPX500")},
        {"US100": bar_arrays("US100", a, 1), "SPX500": bar_arrays("SPX500", b, 2)},
    )
    tape = Tape(fx.bars, fx.specs)
    assert (
        tape.times.tolist() == [x * 60_000 for x in sorted(set(a) | set(b))]
        and len(tape.times) == tape.n_minutes
    )
    for sym, arr in fx.bars.items():
        builder = BarBuilder(sym, tf)
        emitted: list[tuple[Bar, int]] = []
        for row in arr.rows():
            m = int(np.searchsorted(tape.times, row[0]))
            emitted += [(x, m) for x in builder.update(Bar(sym, 1, *row))]
        last = builder.flush()
        if last is not None:
            emitted.append((last, tape.n_minutes))
        got = tape.bars(sym, tf)
        rows = zip(
            got.time_ms.tolist(),
            got.open.tolist(),
            got.high.tolist(),
            got.low.tolist(),
            got.close.tolist(),
            got.tick_volume.tolist(),
            got.spread.tolist(),
            got.emit_m.tolist(),
            strict=True,
        )
        assert [(Bar(sym, tf, *r[:7]), r[7]) for r in rows] == emitted
        assert aggregate(tape.symbols[sym], tf, tape.n_minutes).time_ms.tolist() == [
            x.time_ms for x, _m in emitted
        ]


@given(
    st.lists(
        st.lists(st.integers(0, 10**6), max_size=30, unique=True).map(sorted),
        min_size=1,
        max_size=4,
    )
)
def test_merged_times_is_the_sorted_union(cols: list[list[int]]) -> None:
    arrays = [np.asarray(c, dtype=np.int64) for c in cols]
    assert merged_times(arrays).tolist() == np.unique(np.concatenate(arrays)).tolist()


def hedger_state(h: BetaHedge) -> list[Any]:
    out: list[Any] = []
    for sym in (h.main, h.hedge):
        r, a = h._ret[sym], h._atr[sym]
        out += [list(r._window), r.value, a.state(), h._last[sym]]
    e = h._beta
    return [*out, e._n, e._sum, e.value, h.beta, reading(h)]


def reading(h: BetaHedge) -> Any:
    r = h.last
    return None if r is None else [r.time_ms, r.r_main, r.r_hedge, r.beta, r.lagging]


@settings(max_examples=40, deadline=None)
@given(
    minute_sets,
    minute_sets,
    st.integers(0, 10**6),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from([0.3, 1.0]),
)
def test_hedge_series_restores_the_state_after_every_bar(
    a: list[int], b: list[int], seed: int, lookback: int, atr: int, ema: int, lag: float
) -> None:
    """Bars of both symbols, some periods missing on one side, arriving in time order with the
    main symbol first at equal times (as the engine emits them)."""
    main, hedge = bar_arrays("M", a, seed), bar_arrays("H", b, seed + 1)

    def make() -> BetaHedge:
        return BetaHedge(
            "M", "H", 1.0, 2.0, lookback=lookback, lag_factor=lag, atr_period=atr, beta_ema=ema
        )

    arrival = sorted([(t, 0, i) for i, t in enumerate(a)] + [(t, 1, i) for i, t in enumerate(b)])
    cols = tuple(
        (x.time_ms.tolist(), x.high.tolist(), x.low.tolist(), x.close.tolist())
        for x in (main, hedge)
    )
    series = HedgeSeries(make(), (cols[0], cols[1]), np.asarray([s for _t, s, _i in arrival]))
    inc = make()
    hedges = []
    for k, (_t, s, i) in enumerate(arrival, 1):
        x = (main, hedge)[s]
        bar = Bar("MH"[s], 5, int(x.time_ms[i]), 0.0, float(x.high[i]), float(x.low[i]),
                  float(x.close[i]), 1, 0)  # fmt: skip
        r = inc.update(bar)
        if r is not None and r.lagging and r.beta == r.beta:
            hedges.append(k - 1)
        series.restore(k)
        assert same(hedger_state(series.h), hedger_state(inc))
    assert series.hedge_steps == hedges

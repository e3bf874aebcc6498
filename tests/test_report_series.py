"""The report's derived series on hand-made bars, trades and curves, each figure worked out by
hand: candles in a coarser timeframe, the points a chart keeps, MFE/MAE, deposit load."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.curve import Curve
from bridge.brain.portfolio import Portfolio, Trade
from bridge.core import events as ev
from bridge.core.columns import BarArrays
from bridge.core.symbols import SymbolSpec
from bridge.report_series import (
    Market,
    candles,
    curve_columns,
    deposit_load,
    drawn_points,
    excursions,
)

M = 60_000
T0 = 1_767_225_600_000  # 2026-01-01 00:00 server time
# one money per 1.0 of price per lot; margin per lot: price x 1 / leverage
SPEC = SymbolSpec("X", 2, 0.01, 0.01, 0.01, 1.0, 0.01, 0.01, 100.0)
BARS = BarArrays.from_rows(
    "X",
    [  # minute, open, high, low, close, ticks, spread in points
        (T0 + 0 * M, 100.0, 101.0, 99.0, 100.0, 1, 10),
        (T0 + 1 * M, 100.0, 105.0, 98.0, 104.0, 1, 10),
        (T0 + 2 * M, 104.0, 106.0, 103.0, 105.0, 1, 10),
        (T0 + 3 * M, 105.0, 107.0, 90.0, 95.0, 1, 50),
        (T0 + 4 * M, 95.0, 96.0, 94.0, 95.0, 1, 10),
    ],
)


def trade(side: str, vol: float, t_open: int, p_open: float, t_close: int, p_close: float,
          symbol: str = "X") -> Trade:  # fmt: skip
    profit = SPEC.profit(side == "buy", vol, p_open, p_close)
    return Trade("s", 1, symbol, side, vol, t_open, p_open, t_close, p_close, 0.0, 0.0, profit,
                 0.0, 0.0, "expert")  # fmt: skip


def test_excursions_use_the_bid_for_a_buy_and_the_ask_for_a_sell() -> None:
    trades = [
        # a buy of 2 lots in minutes 1-2: best bid 106, worst 98
        trade("buy", 2.0, T0 + M + 20_000, 100.5, T0 + 2 * M + 30_000, 105.0),
        # a sell of 1 lot in minute 3, spread 0.50: ask from 90.5 to 107.5
        trade("sell", 1.0, T0 + 3 * M + 5_000, 106.5, T0 + 3 * M + 50_000, 95.5),
        # a buy that closed above every bar's high: its MFE is what it made
        trade("buy", 1.0, T0 + 2 * M, 104.0, T0 + 2 * M + 59_000, 110.0),
        trade("buy", 1.0, T0, 1.0, T0 + M, 2.0, symbol="NOBARS"),
    ]
    mfe, mae = excursions(trades, Market({"X": BARS}, 10, True), {"X": SPEC})
    assert np.allclose(mfe[:3], [2 * (106 - 100.5), 106.5 - 90.5, 110.0 - 104.0])
    assert np.allclose(mae[:3], [2 * (98 - 100.5), 106.5 - 107.5, 103.0 - 104.0])
    assert math.isnan(mfe[3]) and math.isnan(mae[3])  # no bars: not known


def test_candles_take_the_smallest_timeframe_that_fits() -> None:
    rows = [(T0 + i * M, 100.0 + i, 101.0 + i, 99.0 - i, 100.5 + i, 1, 1) for i in range(300)]
    rows = rows[:7] + rows[9:]  # two minutes missing: the 5-minute bucket still forms
    c = candles(BarArrays.from_rows("X", rows), most=100)
    assert c.minutes == 5 and len(c.time_ms) == 60
    assert c.time_ms[:2].tolist() == [T0, T0 + 5 * M]
    assert (c.open[0], c.high[0], c.low[0], c.close[0]) == (100.0, 105.0, 95.0, 104.5)
    assert (c.open[1], c.high[1], c.low[1], c.close[1]) == (105.0, 110.0, 90.0, 109.5)
    assert candles(BarArrays.from_rows("X", rows), most=1000).minutes == 1


def test_a_chart_keeps_every_extreme_of_a_long_curve() -> None:
    eq = np.full(10_000, 100.0)
    eq[1234], eq[7777] = 40.0, 180.0
    keep = drawn_points([eq], most=100)
    assert {1234, 7777, 9999} <= set(keep.tolist())
    assert len(keep) <= 3 * 100 and np.all(np.diff(keep) > 0)
    assert drawn_points([eq[:50]], most=100).tolist() == list(range(50))  # short: all of it


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=3000), st.integers(1, 200))
def test_the_drawn_points_hold_the_curves_lowest_and_highest(
    values: list[float], most: int
) -> None:
    v = np.array(values)
    keep = drawn_points([v], most=most)
    assert v[keep].min() == v.min() and v[keep].max() == v.max()
    assert keep[-1] == len(v) - 1 and np.all(np.diff(keep) > 0)


def portfolio() -> Portfolio:
    pf = Portfolio({"X": SPEC}, 1000.0)
    pf.curve = Curve([(T0 + i * M, 1000.0, 1000.0) for i in range(5)])
    # 2 lots bought in minute 1 (first curve point at or after: 2), closed by point 3;
    # 1 lot sold in minute 1, closed by point 4; 0.5 lot bought in minute 3, still open
    pf.trades = [
        trade("buy", 2.0, T0 + M + 20_000, 100.5, T0 + 2 * M + 30_000, 105.0),
        trade("sell", 1.0, T0 + M + 30_000, 100.0, T0 + 3 * M + 30_000, 95.0),
    ]
    pf.trade_marks = [3, 4]
    pf.positions = {7: ev.Position(7, "X", True, 0.5, 96.0, 0, 0, 1, 0, 0, T0 + 3 * M, "")}
    return pf


def test_deposit_load_counts_the_larger_side_on_a_hedging_account() -> None:
    pf = portfolio()
    times, _b, eq = curve_columns(pf)
    load = deposit_load(pf, Market({"X": BARS}, 10, True), times, eq)
    # ask at the close of each minute: -, -, 105.10, 95.50, 95.10; margin = lots x ask / 10
    want = [0.0, 0.0, 2 * 105.1 / 10 / 10, 1 * 95.5 / 10 / 10, 0.5 * 95.1 / 10 / 10]
    assert np.allclose(load, want)


def test_deposit_load_counts_the_net_lots_on_a_netting_account() -> None:
    pf = portfolio()
    times, _b, eq = curve_columns(pf)
    load = deposit_load(pf, Market({"X": BARS}, 10, False), times, eq)
    # minute 3: the sell (1 lot) and the new buy (0.5) net to 0.5 lot
    want = [0.0, 0.0, 1 * 105.1 / 10 / 10, 0.5 * 95.5 / 10 / 10, 0.5 * 95.1 / 10 / 10]
    assert np.allclose(load, want)

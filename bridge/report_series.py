"""Series the report derives from a run and the market it ran on: each trade's maximum favourable
and adverse excursion (MFE/MAE), the account's deposit load, and the curves and candles reduced
to what a chart draws (the exact figures stay in the tables). Pure numpy over the portfolio's
trades and curve and the bars; imports the brain's portfolio and core only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bridge.brain.portfolio import Portfolio, Trade
from bridge.core.columns import BarArrays
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import MS_PER_MINUTE

CANDLE_MINUTES = (1, 5, 15, 30, 60, 240, 1440)  # the timeframes a price chart may be drawn in


@dataclass(frozen=True)
class Market:
    """What the run traded on: the M1 bars per symbol (bid prices, spread in points) and the
    account's leverage and kind, for the price charts, the excursions and the deposit load."""

    bars: Mapping[str, BarArrays]
    leverage: int
    hedging: bool


@dataclass(frozen=True)
class Candles:
    """One symbol's bars in the timeframe its chart is drawn in."""

    minutes: int
    time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


def candles(b: BarArrays, most: int = 4000) -> Candles:
    """The M1 bars in the smallest timeframe of ``CANDLE_MINUTES`` that gives at most ``most``
    candles (the largest one when none does): open of the first bar, high and low of all, close
    of the last, each candle at its bucket's start."""
    t = np.asarray(b.time_ms, dtype=np.int64)
    for minutes in CANDLE_MINUTES:
        bucket = t // (minutes * MS_PER_MINUTE)
        starts = np.flatnonzero(np.diff(bucket, prepend=-1))
        if len(starts) <= most or minutes == CANDLE_MINUTES[-1]:
            break
    ends = np.append(starts[1:], len(t)) - 1
    return Candles(
        minutes,
        bucket[starts] * minutes * MS_PER_MINUTE if len(t) else t,
        np.asarray(b.open)[starts],
        np.maximum.reduceat(b.high, starts) if len(t) else np.asarray(b.high),
        np.minimum.reduceat(b.low, starts) if len(t) else np.asarray(b.low),
        np.asarray(b.close)[ends],
    )


def drawn_points(columns: Sequence[np.ndarray], most: int = 1500) -> np.ndarray:
    """Indices of the points a chart keeps of a long curve: in each of ``most`` equal slices,
    where each column is lowest and highest, and the slice's last point, so no extreme (a
    drawdown's bottom, a peak) is smoothed away. Sorted, each once."""
    n = len(columns[0]) if columns else 0
    if n <= 4 * most:
        return np.arange(n)
    edges = np.linspace(0, n, most + 1).astype(np.int64)
    starts, width = edges[:-1], np.diff(edges)
    keep = [edges[1:] - 1]
    width_max = int(width.max())
    pos = starts[:, None] + np.arange(width_max)[None, :]
    valid = np.arange(width_max)[None, :] < width[:, None]
    pos = np.where(valid, pos, starts[:, None])  # pad a short slice with its own first point
    for col in columns:
        v = np.asarray(col, dtype=np.float64)[pos]
        keep += [starts + np.argmin(v, axis=1), starts + np.argmax(v, axis=1)]
    return np.unique(np.concatenate(keep))


def excursions(
    trades: Sequence[Trade], market: Market, specs: Mapping[str, SymbolSpec]
) -> tuple[np.ndarray, np.ndarray]:
    """Per trade, its maximum favourable (MFE, >= 0) and adverse (MAE, <= 0) excursion in money:
    the price profit it would have shown at the best and the worst price of the M1 bars of the
    minutes it was open (bid for a buy, which closes at the bid; ask = bid + spread for a sell),
    the opening and the closing minute included, and never less than what it made at its close.
    NaN for a trade whose symbol has no bars or no specification."""
    mfe = np.full(len(trades), np.nan)
    mae = np.full(len(trades), np.nan)
    for i, t in enumerate(trades):
        b, spec = market.bars.get(t.symbol), specs.get(t.symbol)
        if b is None or spec is None or not len(b):
            continue
        first = t.open_time - t.open_time % MS_PER_MINUTE
        a = int(np.searchsorted(b.time_ms, first, "left"))
        z = int(np.searchsorted(b.time_ms, t.close_time, "right"))
        if z <= a:
            continue
        buy = t.side == "buy"
        extra = 0.0 if buy else np.asarray(b.spread[a:z], dtype=np.float64) * spec.point
        hi = float(np.max(b.high[a:z] + extra))
        lo = float(np.min(b.low[a:z] + extra))
        best, worst = (hi, lo) if buy else (lo, hi)
        mfe[i] = max(0.0, t.profit, spec.profit(buy, t.volume, t.open_price, best))
        mae[i] = min(0.0, t.profit, spec.profit(buy, t.volume, t.open_price, worst))
    return mfe, mae


def curve_columns(pf: Portfolio) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The account's curve as columns: server ms, balance, equity."""
    return pf.curve.columns()


def deposit_load(
    pf: Portfolio, market: Market, times: np.ndarray, equity: np.ndarray
) -> np.ndarray:
    """At each point of the account's curve, the margin of the positions open then in % of the
    equity (MT5's deposit load), with the broker simulator's margin: per symbol the lots of the
    larger side on a hedging account (the net lots on a netting one) x contract x price x
    margin rate / leverage, the price being the ask at the close of that minute's bar (the open
    price before the symbol's first bar). Positions come from the trades (a partly closed
    position is open until each part closes) and from those still open at the end. ``times``
    and ``equity``: the curve's columns (``curve_columns``)."""
    n = len(times)
    if n == 0:
        return np.zeros(0)
    legs: dict[str, np.ndarray] = {}  # symbol -> [long lots change, short lots change] per point
    first_price: dict[str, float] = {}

    def add(symbol: str, buy: bool, volume: float, price: float, opened: int, closed: int) -> None:
        d = legs.setdefault(symbol, np.zeros((2, n + 1)))
        side = 0 if buy else 1
        d[side, min(opened, n)] += volume
        d[side, min(closed, n)] -= volume
        first_price.setdefault(symbol, price)

    for t, mark in zip(pf.trades, pf.trade_marks, strict=True):
        opened = int(np.searchsorted(times, t.open_time, "left"))
        add(t.symbol, t.side == "buy", t.volume, t.open_price, opened, mark)
    for p in pf.positions.values():
        opened = int(np.searchsorted(times, p.time_ms, "left"))
        add(p.symbol, p.is_buy, p.volume, p.price_open, opened, n)
    margin = np.zeros(n)
    for symbol, d in legs.items():
        spec = pf.specs.get(symbol)
        if spec is None:
            continue
        lots = np.cumsum(d, axis=1)[:, :n].round(8)
        held = np.maximum(lots[0], lots[1]) if market.hedging else np.abs(lots[0] - lots[1])
        margin += (
            spec.margin(1.0, 1.0, market.leverage)
            * held
            * _ask_at(market.bars.get(symbol), spec, times, first_price[symbol])
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        load: np.ndarray = np.where(equity > 0, margin / equity * 100, 0.0)
    return load


def _ask_at(b: BarArrays | None, spec: SymbolSpec, times: np.ndarray, before: float) -> np.ndarray:
    """The ask at the close of the latest bar that opened at or before each time."""
    if b is None or not len(b):
        return np.full(len(times), before)
    i = np.searchsorted(b.time_ms, times, "right") - 1
    ask = np.asarray(b.close, dtype=np.float64) + np.asarray(b.spread) * spec.point
    out: np.ndarray = np.where(i >= 0, ask[np.maximum(i, 0)], before)
    return out

"""Market bars laid out for replay that jumps over minutes (bridge/replay/jumps.py).

The minute timeline (every minute with a bar of some symbol, in order) and, per symbol, the M1
columns and the higher-timeframe bars the engine's BarBuilder would emit, each with the minute
at which the engine emits it. Everything is computed once, in bulk, causally: a value at minute
``m`` depends only on bars that closed by the end of minute ``m``.

Minute indices: ``m`` names ``times[m]``; "before minute m" means every bar of minutes < m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.core.columns import BarArrays, ints
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import MS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class TfBars(BarArrays):
    """One symbol's bars of one timeframe (``time_ms``: bucket start), as the engine's
    BarBuilder emits them."""

    timeframe: int
    emit_m: np.ndarray  # the minute index whose processing emits the bar (n_minutes: at the end)
    first: np.ndarray  # index of the bucket's first M1 bar in the symbol's columns

    def done_before(self, m: int) -> int:
        """How many of these bars were emitted while processing minutes < m."""
        return int(np.searchsorted(self.emit_m, m, side="left"))


@dataclass(frozen=True, slots=True)
class SymbolTape(BarArrays):
    """One symbol's M1 columns, with where each bar sits on the minute timeline."""

    order: int  # position in the fixture (the order of a minute's bars)
    ask_add: np.ndarray  # spread in price (ask = bid + ask_add)
    minute: np.ndarray  # each bar's minute index
    before: np.ndarray  # before[m]: how many of the symbol's bars are in minutes < m (len M + 1)


class Tape:
    def __init__(self, bars: dict[str, BarArrays], specs: dict[str, SymbolSpec]) -> None:
        """``bars``: per symbol its M1 columns, in the order of the market stream."""
        cols = list(bars.values())
        self.times: np.ndarray = merged_times([b.time_ms for b in cols])
        self.n_minutes = len(self.times)
        self.closes_ms = ints(self.times + MS_PER_MINUTE)
        self.symbols: dict[str, SymbolTape] = {}
        for k, (sym, b) in enumerate(bars.items()):
            minute = np.searchsorted(self.times, b.time_ms)
            before = np.searchsorted(minute, np.arange(self.n_minutes + 1), side="left")
            cols_k = (b.time_ms, b.open, b.high, b.low, b.close, b.tick_volume, b.spread)
            add = b.spread * specs[sym].point
            self.symbols[sym] = SymbolTape(sym, *cols_k, k, add, minute, before)
        self._tf: dict[tuple[str, int], TfBars] = {}

    def bars(self, symbol: str, timeframe: int) -> TfBars:
        key = (symbol, timeframe)
        got = self._tf.get(key)
        if got is None:
            got = self._tf[key] = aggregate(self.symbols[symbol], timeframe, self.n_minutes)
        return got


def merged_times(columns: list[np.ndarray]) -> np.ndarray:
    """Every time of the sorted columns once, in order (np.unique hashes; this sorts)."""
    if all(len(c) == len(columns[0]) and np.array_equal(c, columns[0]) for c in columns[1:]):
        return columns[0]
    t = np.sort(np.concatenate(columns), kind="stable")
    return t[np.concatenate(([True], t[1:] != t[:-1]))] if len(t) else t


def aggregate(s: SymbolTape, timeframe: int, n_minutes: int) -> TfBars:
    """The bars BarBuilder emits from these M1 bars: one per bucket of ``timeframe`` minutes
    holding at least one M1 bar, emitted with the bucket's last minute when that minute is
    present, else with the symbol's next M1 bar (a later bucket), else at the end of data."""
    span = timeframe * MS_PER_MINUTE
    t = s.time_ms
    n = len(t)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        ef = np.zeros(0)
        return TfBars(s.symbol, e, ef, ef, ef, ef, e, e, timeframe, e, e)
    bucket = t // span
    first = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    last = np.concatenate((first[1:] - 1, [n - 1]))
    start = bucket[first] * span
    complete = t[last] + MS_PER_MINUTE == start + span
    nxt = last + 1  # the symbol's next bar, which closes an incomplete bucket
    emit = np.where(
        complete,
        s.minute[last],
        np.where(nxt < n, s.minute[np.minimum(nxt, n - 1)], n_minutes),
    )
    return TfBars(
        s.symbol,
        start,
        s.open[first],
        np.maximum.reduceat(s.high, first),
        np.minimum.reduceat(s.low, first),
        s.close[last],
        np.add.reduceat(s.tick_volume, first),
        s.spread[last],
        timeframe,
        emit,
        first,
    )

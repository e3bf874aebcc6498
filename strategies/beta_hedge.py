"""The surgical beta hedge's arithmetic (seed 002): when to hedge, and how many lots.

Both symbols' signal bars feed ``update``; the decision for a period is made once both bars of
that period are in (their arrival order does not matter).

* Returns over ``lookback`` signal bars: r = close_t / close_(t-lookback) - 1, per symbol.
* Hedge when r_main and r_hedge have the same sign (zero is no sign) and
  |r_hedge| <= lag_factor x |r_main|: the hedge symbol lags the move.
* beta = (ATR_main x V_main) / (ATR_hedge x V_hedge), V = money per 1.0 price move of one lot
  (tick_value / tick_size), ATR on the signal timeframe; beta is smoothed by an EMA over the
  periods, then clamped to [beta_min, beta_max]. Hedge lots = main lots x beta.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bridge.brain.indicators import ATR, EMA, NAN, Returns, atr_values, ema_values
from bridge.core.columns import floats, ints
from bridge.core.events import Bar

# a symbol's signal bars: open times, highs, lows, closes
SymbolBars = tuple[Sequence[int], Sequence[float], Sequence[float], Sequence[float]]


@dataclass(frozen=True, slots=True)
class HedgeReading:
    time_ms: int  # the period's open time
    r_main: float
    r_hedge: float
    beta: float  # smoothed and clamped; nan until warmed up
    lagging: bool  # the hedge condition holds for this period


def lag_condition(r_main: float, r_hedge: float, lag_factor: float) -> bool:
    if not (math.isfinite(r_main) and math.isfinite(r_hedge)):
        return False
    if r_main == 0 or r_hedge == 0 or (r_main > 0) != (r_hedge > 0):
        return False
    return abs(r_hedge) <= lag_factor * abs(r_main)


class BetaHedge:
    def __init__(
        self,
        main: str,
        hedge: str,
        value_main: float,
        value_hedge: float,
        *,
        lookback: int = 12,
        lag_factor: float = 0.30,
        atr_period: int = 14,
        beta_ema: int = 10,
        beta_min: float = 0.5,
        beta_max: float = 5.0,
    ) -> None:
        if not 0 < beta_min <= beta_max:
            raise ValueError(f"need 0 < beta_min <= beta_max, got {beta_min}, {beta_max}")
        if lag_factor < 0:
            raise ValueError(f"lag_factor must be >= 0, got {lag_factor}")
        if value_main <= 0 or value_hedge <= 0:
            raise ValueError("symbol money values per price unit must be > 0")
        self.main, self.hedge = main, hedge
        self.value_main, self.value_hedge = value_main, value_hedge
        self.lag_factor = lag_factor
        self.beta_min, self.beta_max = beta_min, beta_max
        self._ret = {main: Returns(lookback), hedge: Returns(lookback)}
        self._atr = {main: ATR(atr_period), hedge: ATR(atr_period)}
        self._beta = EMA(beta_ema)
        self._last: dict[str, int] = {main: -1, hedge: -1}
        self.beta = math.nan
        self.last: HedgeReading | None = None

    def update(self, bar: Bar) -> HedgeReading | None:
        """Feed one closed signal bar of either symbol; returns the period's reading once both
        symbols' bars of that period are in."""
        sym = bar.symbol
        if sym not in self._ret:
            return None
        self._ret[sym].update(bar.close)
        self._atr[sym].update(bar.high, bar.low, bar.close)
        self._last[sym] = bar.time_ms
        if self._last[self.main] != self._last[self.hedge]:
            return None
        am, ah = self._atr[self.main], self._atr[self.hedge]
        if am.ready and ah.ready and ah.value > 0:
            raw = (am.value * self.value_main) / (ah.value * self.value_hedge)
            smooth = self._beta.update(raw)
            if self._beta.ready:
                self.beta = min(max(smooth, self.beta_min), self.beta_max)
        rm, rh = self._ret[self.main].value, self._ret[self.hedge].value
        self.last = HedgeReading(
            bar.time_ms, rm, rh, self.beta, lag_condition(rm, rh, self.lag_factor)
        )
        return self.last


class HedgeSeries:
    """``BetaHedge.update`` over both symbols' signal bars in bulk, for replay that jumps over
    minutes: every reading, and the hedger's state after any number of bars (``restore``).

    ``bars[s] = (open times, highs, lows, closes)`` of the main (0) and hedge (1) symbol in
    their order; ``order`` names the symbol of each bar as they arrive. Same arithmetic as the
    incremental classes (element-wise IEEE operations in numpy, the recursions in
    ema_values/atr_values); tests compare the state after every bar."""

    def __init__(
        self,
        h: BetaHedge,
        bars: tuple[SymbolBars, SymbolBars],
        order: np.ndarray,
    ) -> None:
        self.h, self.bars = h, bars
        period = h._atr[h.main].period
        lookback = h._ret[h.main].lookback
        self.atr = [atr_values(b[1], b[2], b[3], period) for b in bars]
        # per arrival step: how many bars of each symbol are in
        self.count = [np.cumsum(order == s) for s in (0, 1)]
        c0, c1 = self.count
        t = [np.asarray(b[0], dtype=np.int64) for b in bars]
        last0 = np.where(c0 > 0, t[0][np.maximum(c0 - 1, 0)], -1)
        last1 = np.where(c1 > 0, t[1][np.maximum(c1 - 1, 0)], -2)
        read = np.flatnonzero(last0 == last1)  # the steps that give a reading
        i0, i1 = c0[read] - 1, c1[read] - 1
        am, ah = np.asarray(self.atr[0])[i0], np.asarray(self.atr[1])[i1]
        fed = (c0[read] >= period) & (c1[read] >= period) & (ah > 0)
        raw = (am * h.value_main) / (ah * h.value_hedge)
        self.raw = floats(raw[fed])
        self.beta_values = ema_values(self.raw, h._beta.period)
        n_beta = np.cumsum(fed)  # raw betas taken after each reading
        smooth = np.asarray([NAN, *self.beta_values])[n_beta]
        beta = np.where(
            n_beta >= h._beta.period, np.minimum(np.maximum(smooth, h.beta_min), h.beta_max), NAN
        )
        rets = []
        for k, (_t, _h, _l, c) in enumerate(bars):
            ca = np.asarray(c)
            r = np.full(len(ca), NAN)
            r[lookback:] = ca[lookback:] / ca[:-lookback] - 1.0
            rets.append(r[i0 if k == 0 else i1])
        rm, rh = rets
        lag = (
            np.isfinite(rm)
            & np.isfinite(rh)
            & (rm != 0)
            & (rh != 0)
            & ((rm > 0) == (rh > 0))
            & (np.abs(rh) <= h.lag_factor * np.abs(rm))
        )
        self.read_step = ints(read)
        self.read_time = ints(last0[read])
        self.rm, self.rh, self.beta = floats(rm), floats(rh), floats(beta)
        self.lagging: list[bool] = lag.tolist()
        self.n_beta = ints(n_beta)
        self.hedge_steps = read[lag & ~np.isnan(beta)].tolist()  # readings that would hedge

    def reading(self, i: int) -> HedgeReading:
        return HedgeReading(
            self.read_time[i], self.rm[i], self.rh[i], self.beta[i], self.lagging[i]
        )

    def restore(self, k: int) -> None:
        """Set the hedger to its state after the first ``k`` bars of the arrival order."""
        h = self.h
        for s, sym in enumerate((h.main, h.hedge)):
            t, hi, lo, c = self.bars[s]
            n = int(self.count[s][k - 1]) if k else 0
            h._ret[sym].restore_after(c, n)
            h._atr[sym].restore_after(hi, lo, c, n, self.atr[s])
            h._last[sym] = t[n - 1] if n else -1
        i = bisect_left(self.read_step, k)  # readings before step k
        nb = self.n_beta[i - 1] if i else 0
        h._beta.restore_after(self.raw, nb, self.beta_values)
        h.beta = self.beta[i - 1] if i else NAN
        h.last = self.reading(i - 1) if i else None

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
from dataclasses import dataclass

from bridge.events import Bar
from bridge.indicators import ATR, EMA, Returns


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

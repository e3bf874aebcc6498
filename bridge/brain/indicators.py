"""Incremental, causal indicators: each ``update`` takes one new value and returns the current
reading (``nan`` until warmed up). One place for every indicator the strategies use."""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Sequence

import numpy as np

NAN = math.nan


class EMA:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first
    ``period`` values (as MT5's iMA)."""

    __slots__ = ("_alpha", "_n", "_sum", "period", "value")

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"EMA period must be >= 1, got {period}")
        self.period = period
        self._alpha = 2.0 / (period + 1)
        self._n = 0
        self._sum = 0.0
        self.value = NAN

    def update(self, x: float) -> float:
        if self._n < self.period:
            self._n += 1
            self._sum += x
            if self._n == self.period:
                self.value = self._sum / self.period
            return self.value
        self.value += self._alpha * (x - self.value)
        return self.value

    @property
    def ready(self) -> bool:
        return self._n >= self.period

    def restore_after(self, xs: Sequence[float], k: int, values: Sequence[float]) -> None:
        """Become the EMA fed ``xs[:k]``, given ``values = ema_values(xs, period)``."""
        self._n = min(k, self.period)
        self._sum = 0.0
        for x in xs[: self._n]:
            self._sum += x
        self.value = values[k - 1] if k else NAN


def ema_values(xs: Sequence[float], period: int) -> array[float]:
    """``EMA(period).update`` over ``xs`` in bulk, the same arithmetic: the value after each."""
    alpha = 2.0 / (period + 1)
    out = array("d")
    n, s, v = 0, 0.0, NAN
    for x in xs:
        if n < period:
            n += 1
            s += x
            if n == period:
                v = s / period
        else:
            v += alpha * (x - v)
        out.append(v)
    return out


SETTLED = 1e-8  # an indicator has settled when its start's weight in the value fell below it


def settle_bars(alpha: float) -> int:
    """Bars after which an exponential smoother of factor ``alpha`` (EMA: 2 / (n + 1), Wilder:
    1 / n) no longer depends on where it started (weight below SETTLED): with that much
    history, a live indicator equals a replay's to 8 significant digits."""
    return math.ceil(math.log(SETTLED) / math.log(1.0 - alpha))


def ema_settle_bars(period: int) -> int:
    return period + settle_bars(2.0 / (period + 1))  # the seed (an SMA) first


def wilder_settle_bars(period: int) -> int:
    return period + settle_bars(1.0 / period)


class ATR:
    """Average true range with Wilder's smoothing, seeded with the mean of the first ``period``
    true ranges. The first bar's true range is its high - low."""

    __slots__ = ("_n", "_prev_close", "_sum", "period", "value")

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"ATR period must be >= 1, got {period}")
        self.period = period
        self._n = 0
        self._sum = 0.0
        self._prev_close = NAN
        self.value = NAN

    def update(self, high: float, low: float, close: float) -> float:
        pc = self._prev_close
        tr = high - low if pc != pc else max(high, pc) - min(low, pc)
        self._prev_close = close
        if self._n < self.period:
            self._n += 1
            self._sum += tr
            if self._n == self.period:
                self.value = self._sum / self.period
            return self.value
        self.value += (tr - self.value) / self.period
        return self.value

    @property
    def ready(self) -> bool:
        return self._n >= self.period

    def state(self) -> list[float]:
        return [self._n, self._sum, self._prev_close, self.value]

    def restore(self, s: list[float]) -> None:
        n, self._sum, self._prev_close, self.value = s
        self._n = int(n)

    def restore_after(
        self,
        high: Sequence[float],
        low: Sequence[float],
        close: Sequence[float],
        k: int,
        values: Sequence[float],
    ) -> None:
        """Become the ATR fed the first ``k`` bars, given ``values = atr_values(...)``."""
        n = min(k, self.period)
        total, pc = 0.0, NAN
        for h, lo, c in zip(high[:n], low[:n], close[:n], strict=True):
            total += h - lo if pc != pc else max(h, pc) - min(lo, pc)
            pc = c
        self._n, self._sum = n, total
        self._prev_close = close[k - 1] if k else NAN
        self.value = values[k - 1] if k else NAN


def atr_values(
    high: Sequence[float], low: Sequence[float], close: Sequence[float], period: int
) -> array[float]:
    """``ATR(period).update`` over the bars in bulk, the same arithmetic: the value after each.
    (The true ranges element-wise in numpy, IEEE-identical to the scalar expression.)"""
    h, lo, c = np.asarray(high, dtype=float), np.asarray(low, dtype=float), np.asarray(close)
    tr = h - lo
    if len(c) > 1:
        tr[1:] = np.maximum(h[1:], c[:-1]) - np.minimum(lo[1:], c[:-1])
    trs = tr.tolist()
    out = array("d")
    s, v = 0.0, NAN
    for n, x in enumerate(trs[:period], 1):
        s += x
        out.append(s / period if n == period else NAN)
    if len(out) == period:
        v = out[-1]
        for x in trs[period:]:
            v += (x - v) / period
            out.append(v)
    return out


class SMA:
    __slots__ = ("_sum", "_window", "period", "value")

    def __init__(self, period: int) -> None:
        if period < 1:
            raise ValueError(f"SMA period must be >= 1, got {period}")
        self.period = period
        self._window: deque[float] = deque()
        self._sum = 0.0
        self.value = NAN

    def update(self, x: float) -> float:
        self._window.append(x)
        self._sum += x
        if len(self._window) > self.period:
            self._sum -= self._window.popleft()
        if len(self._window) == self.period:
            self.value = self._sum / self.period
        return self.value


class Returns:
    """Simple return over the last ``lookback`` values: x_t / x_{t-lookback} - 1."""

    __slots__ = ("_window", "lookback", "value")

    def __init__(self, lookback: int) -> None:
        if lookback < 1:
            raise ValueError(f"lookback must be >= 1, got {lookback}")
        self.lookback = lookback
        self._window: deque[float] = deque(maxlen=lookback + 1)
        self.value = NAN

    def update(self, x: float) -> float:
        self._window.append(x)
        if len(self._window) == self.lookback + 1:
            self.value = x / self._window[0] - 1.0
        return self.value

    def restore_after(self, xs: Sequence[float], k: int) -> None:
        """Become the Returns fed ``xs[:k]``."""
        self._window = deque(xs[max(0, k - self.lookback - 1) : k], maxlen=self.lookback + 1)
        w = self._window
        self.value = NAN
        if k > self.lookback:  # the last full window's return
            self.value = w[-1] / w[0] - 1.0


class Zigzag:
    """Swing detection with a threshold that may change over time (e.g. a multiple of ATR).

    A swing low is confirmed when price has risen ``threshold`` above the lowest price of the
    down leg; a swing high when it has fallen ``threshold`` below the highest price of the up
    leg. Legs alternate. ``update`` returns -1 on a confirmed swing low, +1 on a swing high,
    else 0. The first move of ``threshold`` away from the starting price only establishes the
    first leg: where the data happens to start is not a swing. ``run`` is how far the current
    leg has gone from where it started (the trend filter's measure)."""

    __slots__ = ("count", "direction", "hi", "lo", "ref", "swing_high", "swing_low")

    def __init__(self) -> None:
        self.direction = 0  # 0 unknown, 1 up leg, -1 down leg
        self.hi = -math.inf
        self.lo = math.inf
        self.ref = math.nan  # where the current leg started
        self.swing_high = math.nan
        self.swing_low = math.nan
        self.count = 0

    def update(self, price: float, threshold: float) -> int:
        if self.ref != self.ref:
            self.ref = price
        if self.direction == 0:
            self.hi, self.lo = max(self.hi, price), min(self.lo, price)
            if self.hi - price >= threshold:  # the first leg is down: its start is no swing
                self.direction, self.ref, self.lo, self.hi = -1, self.hi, price, -math.inf
            elif price - self.lo >= threshold:
                self.direction, self.ref, self.hi, self.lo = 1, self.lo, price, math.inf
            return 0
        if self.direction >= 0 and price > self.hi:
            self.hi = price
        if self.direction <= 0 and price < self.lo:
            self.lo = price
        if self.direction >= 0 and self.hi - price >= threshold:
            self.swing_high = self.ref = self.hi
            self.direction, self.lo, self.hi = -1, price, -math.inf
            self.count += 1
            return 1
        if self.direction <= 0 and price - self.lo >= threshold:
            self.swing_low = self.ref = self.lo
            self.direction, self.hi, self.lo = 1, price, math.inf
            self.count += 1
            return -1
        return 0

    def run(self) -> float:
        if self.direction > 0:
            return self.hi - self.ref
        if self.direction < 0:
            return self.ref - self.lo
        return max(self.hi - self.ref, self.ref - self.lo) if self.ref == self.ref else 0.0

    def state(self) -> list[float]:
        return [
            self.direction,
            self.hi,
            self.lo,
            self.ref,
            self.swing_high,
            self.swing_low,
            self.count,
        ]

    def restore(self, s: list[float]) -> None:
        d, self.hi, self.lo, self.ref, self.swing_high, self.swing_low, c = s
        self.direction, self.count = int(d), int(c)

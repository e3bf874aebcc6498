"""Incremental, causal indicators: each ``update`` takes one new value and returns the current
reading (``nan`` until warmed up). One place for every indicator the strategies use."""

from __future__ import annotations

import math
from collections import deque

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

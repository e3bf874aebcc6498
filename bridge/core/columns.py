"""Market data as columns: one symbol's M1 bars or recorded ticks in numpy arrays, in broker
server time (bridge/core/timeutil.py). Fixtures load into them; the replay tape is built on them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class BarArrays:
    """One symbol's M1 bars as columns (server ms open times, bid OHLC, spread in points)."""

    symbol: str
    time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    tick_volume: np.ndarray
    spread: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ms)

    def rows(self) -> Iterator[tuple[int, float, float, float, float, int, int]]:
        """(open time ms, open, high, low, close, tick volume, spread) per bar."""
        return zip(
            self.time_ms.tolist(),
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.tick_volume.tolist(),
            self.spread.tolist(),
            strict=True,
        )


@dataclass(frozen=True, slots=True)
class TickArrays:
    """One symbol's recorded ticks (server ms; bid and ask)."""

    symbol: str
    time_ms: np.ndarray
    bid: np.ndarray
    ask: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ms)

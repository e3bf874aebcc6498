"""Market data as columns: one symbol's M1 bars or recorded ticks in numpy arrays, in broker
server time (bridge/core/timeutil.py). Fixtures load into them; the replay tape is built on them."""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bridge.core.pyround import py_round


def floats(x: np.ndarray | Sequence[float]) -> array[float]:
    """A column as a stdlib array of doubles: indexing gives Python floats as a list does, in 8
    bytes a value where a list of floats takes 32 (for what bulk replay reads value by value)."""
    out = array("d")
    out.frombytes(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    return out


def ints(x: np.ndarray | Sequence[int]) -> array[int]:
    """A column of 64-bit integers as a stdlib array (8 bytes a value; a list takes 36)."""
    out = array("q")
    out.frombytes(np.ascontiguousarray(x, dtype=np.int64).tobytes())
    return out


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

    @classmethod
    def from_rows(
        cls, symbol: str, rows: Sequence[tuple[int, float, float, float, float, int, int]]
    ) -> BarArrays:
        """The columns of rows in the order ``rows`` yields them."""
        cols = list(zip(*rows, strict=True)) if rows else [()] * 7
        t, o, h, lo, c, tv, sp = cols
        return cls(
            symbol,
            np.array(t, np.int64),
            np.array(o, np.float64),
            np.array(h, np.float64),
            np.array(lo, np.float64),
            np.array(c, np.float64),
            np.array(tv, np.int64),
            np.array(sp, np.int64),
        )

    def between(self, lo_ms: int, hi_ms: int) -> BarArrays:
        """The bars opened in [lo_ms, hi_ms)."""
        a, b = np.searchsorted(self.time_ms, (lo_ms, hi_ms), "left").tolist()
        return BarArrays(
            self.symbol,
            self.time_ms[a:b],
            self.open[a:b],
            self.high[a:b],
            self.low[a:b],
            self.close[a:b],
            self.tick_volume[a:b],
            self.spread[a:b],
        )

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


def path_ticks(
    o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray, ask_add: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bid and ask of the four ticks the replay makes of each bar (the path of
    bridge/data/intrabar.py: open, the nearer extreme, the other, close), bar after bar, in bulk,
    with the replay's ask ``round(bid + spread in price, 10)``, bit for bit."""
    high_first = h - o <= o - low
    bids = np.stack((o, np.where(high_first, h, low), np.where(high_first, low, h), c), axis=1)
    bids = bids.ravel()
    return bids, py_round(bids + np.repeat(ask_add, 4), 10)

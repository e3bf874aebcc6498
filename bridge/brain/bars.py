"""Higher-timeframe bars built from closed M1 bars, with bucket boundaries in server time.

A bar of ``tf`` minutes covers [k*tf, (k+1)*tf) minutes since the server-clock epoch, so D1 runs
from server midnight to midnight and H1 from the whole hour. A bar is emitted as soon as its
last M1 bar closes, or, when minutes are missing, when the first M1 bar of a later bucket
arrives. Only closed bars are ever emitted: no repainting.
"""

from __future__ import annotations

from bridge.core.events import Bar

M1, M5, M15, M30, H1, H4, D1 = 1, 5, 15, 30, 60, 240, 1440
TIMEFRAME_NAMES = {1: "M1", 5: "M5", 15: "M15", 30: "M30", 60: "H1", 240: "H4", 1440: "D1"}


def parse_timeframe(name: str) -> int:
    for tf, n in TIMEFRAME_NAMES.items():
        if n == name.upper():
            return tf
    raise ValueError(
        f"unknown timeframe {name!r}; use one of {', '.join(TIMEFRAME_NAMES.values())}"
    )


class BarBuilder:
    """Aggregates one symbol's M1 bars into one higher timeframe."""

    __slots__ = ("_cur", "_span", "symbol", "timeframe")

    def __init__(self, symbol: str, timeframe: int) -> None:
        if timeframe <= 1 or (1440 % timeframe and timeframe % 1440):
            raise ValueError(f"timeframe {timeframe} min must divide a day (or be whole days)")
        self.symbol = symbol
        self.timeframe = timeframe
        self._span = timeframe * 60_000
        self._cur: list[float] | None = None  # [start, open, high, low, close, tick_volume, spread]

    def update(self, m1: Bar) -> tuple[Bar, ...]:
        """Feed one closed M1 bar; returns the bars it closes (usually none, one at a bucket's
        last minute, two when a gap skips to the last minute of a later bucket)."""
        start = m1.time_ms - m1.time_ms % self._span
        cur = self._cur
        done: tuple[Bar, ...] = ()
        if cur is not None and cur[0] != start:
            done = (self._emit(cur),)
            cur = None
        if cur is None:
            cur = [start, m1.open, m1.high, m1.low, m1.close, m1.tick_volume, m1.spread]
        else:
            if m1.high > cur[2]:
                cur[2] = m1.high
            if m1.low < cur[3]:
                cur[3] = m1.low
            cur[4] = m1.close
            cur[5] += m1.tick_volume
            cur[6] = m1.spread
        if m1.time_ms + 60_000 == start + self._span:
            self._cur = None
            return (*done, self._emit(cur))
        self._cur = cur
        return done

    def capture(self) -> list[float] | None:
        """The bar in progress, as ``restore`` takes it (crash checkpoints)."""
        return self._cur

    def restore(self, cur: list[float] | None) -> None:
        """Set the bar in progress: [start ms, open, high, low, close, tick volume, spread], or
        None (replay that jumps over minutes sets what feeding its M1 bars would have)."""
        self._cur = cur

    def flush(self) -> Bar | None:
        """Close the bar in progress (end of data)."""
        cur, self._cur = self._cur, None
        return None if cur is None else self._emit(cur)

    def _emit(self, c: list[float]) -> Bar:
        return Bar(
            self.symbol, self.timeframe, int(c[0]), c[1], c[2], c[3], c[4], int(c[5]), int(c[6])
        )

"""The daily opening range: high and low of the M1 bars whose open time falls inside a window of
the server day, known only once the window has closed (no repainting, no look-ahead)."""

from __future__ import annotations

from typing import NamedTuple

from bridge.core.events import Bar
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE


class Range(NamedTuple):
    day: int  # server day number (ms // MS_PER_DAY)
    high: float
    low: float
    end_ms: int  # when the window closed (server ms)


class DailyRange:
    """Feed every closed M1 bar of the symbol. The range is final on the first M1 bar whose
    close reaches the window's end (the window's last minute, or a later bar when that minute is
    missing). A day with no M1 bar inside the window has no range."""

    __slots__ = ("_end", "_high", "_low", "_start", "current", "day", "duration_min", "start_min")

    def __init__(self, start_hour: int, start_minute: int, duration_min: int) -> None:
        if not (0 <= start_hour < 24 and 0 <= start_minute < 60):
            raise ValueError(
                f"range start {start_hour:02d}:{start_minute:02d} is not a time of day"
            )
        if not 0 < duration_min <= 1440 - (start_hour * 60 + start_minute):
            raise ValueError(f"range duration {duration_min} min must be > 0 and end by midnight")
        self.start_min = start_hour * 60 + start_minute
        self.duration_min = duration_min
        self.day = -1
        self._start = self._end = 0
        self._high = -float("inf")
        self._low = float("inf")
        self.current: Range | None = None

    def restore(self, day: int, high: float, low: float, final: bool) -> None:
        """Set the state after the M1 bars of ``day`` so far (their window's high and low, and
        whether the range is final): replay that jumps over minutes."""
        self.day = day
        self._start = day * MS_PER_DAY + self.start_min * MS_PER_MINUTE
        self._end = self._start + self.duration_min * MS_PER_MINUTE
        self._high, self._low = high, low
        self.current = Range(day, high, low, self._end) if final else None

    def update(self, m1: Bar) -> Range | None:
        """Returns the range on the call that makes it final, else None."""
        t = m1.time_ms
        day = t // MS_PER_DAY
        if day != self.day:
            self.day = day
            self._start = day * MS_PER_DAY + self.start_min * MS_PER_MINUTE
            self._end = self._start + self.duration_min * MS_PER_MINUTE
            self._high, self._low = -float("inf"), float("inf")
            self.current = None
        if self.current is not None:
            return None
        if self._start <= t < self._end:
            self._high = max(self._high, m1.high)
            self._low = min(self._low, m1.low)
        if t + MS_PER_MINUTE >= self._end and self._high >= self._low:
            self.current = Range(day, self._high, self._low, self._end)
            return self.current
        return None

"""The tick path inside an M1 bar when only bars exist (MT5's "1 minute OHLC" modelling).

Four ticks: open, then the nearer of high and low to the open (high on a tie), then the other
extreme, then close; at +0 s, +20 s, +40 s and +59 s of the bar. The bar itself is reported closed
at +60 s, before the next bar's first tick. Bar prices are bid prices; ask = bid + spread points.
"""

from __future__ import annotations

TICK_OFFSETS_MS = (0, 20_000, 40_000, 59_000)
BAR_CLOSE_OFFSET_MS = 60_000


def path(o: float, h: float, low: float, c: float) -> tuple[float, float, float, float]:
    """The four bid prices of the path through one bar."""
    if h - o <= o - low:
        return o, h, low, c
    return o, low, h, c

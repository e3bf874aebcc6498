"""The market stream of in-process replay, minute by minute, skipping what cannot matter.

It yields exactly the events of ``fixtures.market_events`` in the same order (ticks at +0, +20,
+40 and +59 s of each minute for every symbol with a bar, in fixture order; then the minute's
bars), except that the intermediate ticks of a minute are left out when nothing can happen
inside it: no strategy listens to ticks, no timer is pending, and the simulated book holds no
pending order and no position with an SL or TP (so nothing can trigger). Then the only effect of
those ticks is to move quotes, and the minute's closing ticks leave every quote, clock and book
exactly where the four ticks would (swaps depend on the day crossed, not on the tick). In a
minute that is not quiet, a symbol no one reads ticks of (no tick-driven strategy trades it, no
position or order on it, no timer pending) gets its closing tick alone, for the same reason. The
decision is taken for each minute as it starts, after everything before it has been handled.
Tests compare the trades, equity curve and rejections of both paths (tests/test_replay_fast.py).
Fixtures with recorded ticks use the plain stream.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from typing import Any

import numpy as np

from bridge.brain.tape import Tape, merged_times
from bridge.core import events as ev
from bridge.core.columns import ints
from bridge.data.fixtures import Fixture, MarketEvent
from bridge.data.intrabar import TICK_OFFSETS_MS, path


def minute_events(
    fx: Fixture,
    quiet: Callable[[], bool],
    busy: Callable[[], Container[str] | None] | None = None,
    jump: tuple[Callable[[int], int], Tape] | None = None,
) -> Iterator[MarketEvent]:
    """``quiet()`` is asked at the start of each minute: True when its intermediate ticks may be
    left out. In a minute that is not quiet, ``busy()`` may name the only symbols whose
    intermediate ticks matter (None: all of them); the others get their closing tick alone.
    ``jump = (jump_at, tape)``: ``jump_at(m)``, asked first, may handle minutes [m, j) itself
    (bridge/replay/jumps.py) and return j; the stream goes on at minute j. Its tape's minute
    times and spreads in price are the stream's too (not made a second time)."""
    syms = list(fx.bars)
    if fx.ticks:  # recorded ticks: the plain stream
        from bridge.data.fixtures import market_events

        yield from market_events(fx)
        return
    # when jumping most rows are never read: index the arrays (converting what is read); else
    # the columns are turned into lists a chunk at a time (every column of millions of bars as
    # lists took 32 bytes a value: 1.3 GB for 5 million bars)
    cols: list[_Rows] = []
    for s in syms:
        b = fx.bars[s]
        cs = (b.time_ms, b.open, b.high, b.low, b.close, b.tick_volume, b.spread)
        point = fx.specs[s].point
        if jump is not None:  # the arrays are indexed: the spread in price as a column too
            cols.append(_Rows(s, (*cs, jump[1].symbols[s].ask_add), point, whole=True))
        else:  # turned into lists a chunk at a time, the spread in price with them
            cols.append(_Rows(s, cs, point, whole=False))
    timeline = (
        jump[1].times if jump is not None else merged_times([b.time_ms for b in fx.bars.values()])
    )
    times = ints(timeline)  # 8 bytes a minute (a list of ints takes 36)
    pos = [0] * len(syms)
    m = 0
    while m < len(times):
        if jump is not None:
            j = jump[0](m)
            if j != m:
                if j >= len(times):
                    return
                pos = [int(np.searchsorted(fx.bars[s].time_ms, times[j])) for s in syms]
                m = j
        t = times[m]
        m += 1
        here = []  # (symbol's rows, index in its current lists)
        for k, c in enumerate(cols):
            i = pos[k]
            if i < c.n:
                if not c.lo <= i < c.hi:
                    c.load(i)
                if c.v[0][i - c.lo] == t:
                    here.append((c, i - c.lo))
                    pos[k] = i + 1
        if quiet():
            last = t + TICK_OFFSETS_MS[-1]
            for c, i in here:
                bid = float(c.v[4][i])
                yield ev.Tick(c.symbol, last, bid, round(bid + float(c.v[7][i]), 10), 0.0, 1, 6)
        else:
            paths = [
                path(float(c.v[1][i]), float(c.v[2][i]), float(c.v[3][i]), float(c.v[4][i]))
                for c, i in here
            ]
            need = busy() if busy is not None else None
            full = [need is None or c.symbol in need for c, _i in here]
            for j, off in enumerate(TICK_OFFSETS_MS):
                for (c, i), p, f in zip(here, paths, full, strict=True):
                    if not f and j < 3:
                        continue  # nothing listens to this symbol's path: its close alone
                    bid = p[j]
                    add_i = float(c.v[7][i])
                    yield ev.Tick(c.symbol, t + off, bid, round(bid + add_i, 10), 0.0, 1, 6)
        for c, i in here:  # the minute's bars close at t + 60 s, before the next minute's ticks
            v = c.v
            yield ev.Bar(
                c.symbol,
                1,
                t,
                float(v[1][i]),
                float(v[2][i]),
                float(v[3][i]),
                float(v[4][i]),
                int(v[5][i]),
                int(v[6][i]),
            )


CHUNK = 1 << 15  # rows turned into lists at once


class _Rows:
    """One symbol's columns (time, open, high, low, close, tick volume, spread, ask - bid) as
    ``v``, rows ``lo`` to ``hi``: the arrays themselves (``whole``), or lists of one chunk."""

    __slots__ = ("arrays", "hi", "lo", "n", "point", "symbol", "v")

    def __init__(
        self, symbol: str, arrays: tuple[np.ndarray, ...], point: float, whole: bool
    ) -> None:
        self.symbol = symbol
        self.arrays = arrays
        self.point = point
        self.n = len(arrays[0])
        self.lo, self.hi = (0, self.n) if whole else (0, 0)
        self.v: tuple[Any, ...] = arrays if whole else ()

    def load(self, i: int) -> None:
        self.lo, self.hi = lo, hi = i, min(self.n, i + CHUNK)
        spread = self.arrays[6][lo:hi]
        cols = (*(a[lo:hi] for a in self.arrays), spread * self.point)
        self.v = tuple(c.tolist() for c in cols)

"""The market stream of in-process replay, minute by minute, skipping what cannot matter.

It yields exactly the events of ``fixtures.market_events`` in the same order (ticks at +0, +20,
+40 and +59 s of each minute for every symbol with a bar, in fixture order; then the minute's
bars), except that the intermediate ticks of a minute are left out when nothing can happen
inside it: no strategy listens to ticks, no timer is pending, and the simulated book holds no
pending order and no position with an SL or TP (so nothing can trigger). Then the only effect of
those ticks is to move quotes, and the minute's closing ticks leave every quote, clock and book
exactly where the four ticks would (swaps depend on the day crossed, not on the tick). The
decision is taken for each minute as it starts, after everything before it has been handled.
Tests compare the trades, equity curve and rejections of both paths (tests/test_replay_fast.py).
Fixtures with recorded ticks use the plain stream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from bridge.brain.tape import merged_times
from bridge.core import events as ev
from bridge.data.fixtures import Fixture, MarketEvent
from bridge.data.intrabar import TICK_OFFSETS_MS, path


def minute_events(
    fx: Fixture,
    quiet: Callable[[], bool],
    jump: Callable[[int], int] | None = None,
    timeline: np.ndarray | None = None,
) -> Iterator[MarketEvent]:
    """``quiet()`` is asked at the start of each minute: True when its intermediate ticks may be
    left out. ``jump(m)``, asked first, may handle minutes [m, j) itself (bridge/replay/jumps.py)
    and return j; the stream goes on at minute j. ``timeline``: the merged minute times when the
    caller has them already (the jumping replay's tape)."""
    syms = list(fx.bars)
    if fx.ticks:  # recorded ticks: the plain stream
        from bridge.data.fixtures import market_events

        yield from market_events(fx)
        return
    # when jumping most rows are never read: index the arrays (converting what is read) rather
    # than turning every column into a list
    cols: list[tuple[Any, ...]] = []
    for s in syms:
        b = fx.bars[s]
        add = b.spread * fx.specs[s].point
        cs = (b.time_ms, b.open, b.high, b.low, b.close, b.tick_volume, b.spread, add)
        cols.append((s, *(c if jump is not None else c.tolist() for c in cs)))
    if timeline is None:
        timeline = merged_times([fx.bars[s].time_ms for s in syms])
    times = timeline.tolist()
    pos = [0] * len(syms)
    m = 0
    while m < len(times):
        if jump is not None:
            j = jump(m)
            if j != m:
                if j >= len(times):
                    return
                pos = [int(np.searchsorted(fx.bars[s].time_ms, times[j])) for s in syms]
                m = j
        t = times[m]
        m += 1
        here = []
        for k, c in enumerate(cols):
            i = pos[k]
            if i < len(c[1]) and c[1][i] == t:
                here.append((k, i))
                pos[k] = i + 1
        if quiet():
            last = t + TICK_OFFSETS_MS[-1]
            for k, i in here:
                sym, _, _o, _h, _l, cl, _tv, _sp, add = cols[k]
                bid = float(cl[i])
                yield ev.Tick(sym, last, bid, round(bid + float(add[i]), 10), 0.0, 1, 6)
        else:
            paths = [
                path(float(c[2][i]), float(c[3][i]), float(c[4][i]), float(c[5][i]))
                for c, i in ((cols[k], i) for k, i in here)
            ]
            for j, off in enumerate(TICK_OFFSETS_MS):
                for (k, i), p in zip(here, paths, strict=True):
                    bid = p[j]
                    add_i = float(cols[k][8][i])
                    yield ev.Tick(cols[k][0], t + off, bid, round(bid + add_i, 10), 0.0, 1, 6)
        for k, i in here:  # the minute's bars close at t + 60 s, before the next minute's ticks
            sym, _tm, o, h, lo, cl, tv, sp, _add = cols[k]
            yield ev.Bar(
                sym,
                1,
                t,
                float(o[i]),
                float(h[i]),
                float(lo[i]),
                float(cl[i]),
                int(tv[i]),
                int(sp[i]),
            )

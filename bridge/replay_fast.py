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

import numpy as np

from bridge import events as ev
from bridge.fixtures import Fixture, MarketEvent
from bridge.intrabar import TICK_OFFSETS_MS, path


def minute_events(fx: Fixture, quiet: Callable[[], bool]) -> Iterator[MarketEvent]:
    """``quiet()`` is asked at the start of each minute: True when its intermediate ticks may be
    left out."""
    syms = list(fx.bars)
    if fx.ticks:  # recorded ticks: the plain stream
        from bridge.fixtures import market_events

        yield from market_events(fx)
        return
    cols = []
    for s in syms:
        b = fx.bars[s]
        add = (b.spread * fx.specs[s].point).tolist()
        cols.append(
            (
                s,
                b.time_ms.tolist(),
                b.open.tolist(),
                b.high.tolist(),
                b.low.tolist(),
                b.close.tolist(),
                b.tick_volume.tolist(),
                b.spread.tolist(),
                add,
            )
        )
    times = np.unique(np.concatenate([fx.bars[s].time_ms for s in syms])).tolist()
    pos = [0] * len(syms)
    for t in times:
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
                yield ev.Tick(sym, last, cl[i], round(cl[i] + add[i], 10), 0.0, 1, 6)
        else:
            paths = [
                path(cols[k][2][i], cols[k][3][i], cols[k][4][i], cols[k][5][i]) for k, i in here
            ]
            for j, off in enumerate(TICK_OFFSETS_MS):
                for (k, i), p in zip(here, paths, strict=True):
                    bid = p[j]
                    yield ev.Tick(
                        cols[k][0], t + off, bid, round(bid + cols[k][8][i], 10), 0.0, 1, 6
                    )
        for k, i in here:  # the minute's bars close at t + 60 s, before the next minute's ticks
            sym, _tm, o, h, lo, cl, tv, sp, _add = cols[k]
            yield ev.Bar(sym, 1, t, o[i], h[i], lo[i], cl[i], tv[i], sp[i])

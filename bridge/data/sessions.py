"""Early closes read off the data: a day whose bars stop well before the session table's end (or,
with no table, before the symbol's usual last bar) gets a dated session ending with its last bar.

Brokers publish holiday hours in the symbol's session table the week they apply (the EA sends
the table); a recorded fixture carries only the regular weekly table, so the replay reads the
shortened days off the data instead. It is the calendar only: a day's end is known from its
start, as a trader knows a holiday's hours, not the prices. The data's last day is left alone
(the data end there, not the session). ``session_ends_from_data = false`` in fixture.toml turns
it off.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np

from bridge.core.columns import BarArrays
from bridge.core.symbols import Session, SymbolSpec
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE, weekday

# a day whose last bar closes this many minutes or more before the usual end closed early
EARLY_MIN = 30


def with_early_closes(spec: SymbolSpec, bars: BarArrays) -> SymbolSpec:
    t = bars.time_ms
    if len(t) == 0:
        return spec
    day = t // MS_PER_DAY
    days, first = np.unique(day, return_index=True)
    last = np.append(first[1:] - 1, len(t) - 1)
    close_min = ((t[last] - days * MS_PER_DAY) // MS_PER_MINUTE + 1).tolist()
    open_min = ((t[first] - days * MS_PER_DAY) // MS_PER_MINUTE).tolist()
    has_table = any(s.day < 0 for s in spec.sessions)
    ends = Counter(close_min[:-1] or close_min)
    usual = max(ends, key=lambda v: (ends[v], v))  # the most common end; on a tie the latest
    dated_days = {s.day for s in spec.sessions if s.day >= 0}
    added: list[Session] = []
    for d, lc, fo in zip(days.tolist()[:-1], close_min[:-1], open_min[:-1], strict=True):
        if d in dated_days:
            continue  # the fixture states that day's hours itself
        wd = weekday(d * MS_PER_DAY)
        if has_table:
            regular = spec.sessions_on(d) or ()
            if regular and max(s.end_min for s in regular) - lc >= EARLY_MIN:
                added += [
                    Session(wd, s.start_min, min(s.end_min, lc), d)
                    for s in regular
                    if s.start_min < lc
                ]
        elif usual - lc >= EARLY_MIN:
            added.append(Session(wd, fo, lc, d))
    if not added:
        return spec
    return dataclasses.replace(spec, sessions=spec.sessions + tuple(added))

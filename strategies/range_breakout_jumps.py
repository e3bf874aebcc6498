"""The range breakout in replay that jumps over minutes (bridge/replay/jumps.py): when it can
act, and its bar-fed state after any minute, from the whole tape at once.

It can act only on:
* a signal bar of the main symbol that closes outside the day's final range, after the range,
  before the session close, with the higher timeframe agreeing (the candidates below are a
  superset: a one-point slack on the breakout, no check of the EMA equality rule), while it has
  no main trade and that side's entries of the candidate's day are not used up;
* a signal-bar period whose hedge reading lags with a known beta, while a main trade is open and
  not hedged yet;
* the main symbol's M1 bars at or after the session close, while it holds positions.
Everything else it does on bars is state: the daily range, the H1 EMA and the hedger, which
``skip_to`` sets to what ``on_bar`` would have made of every bar before a minute (the same
arithmetic, in bulk: bridge/brain/indicators.py ema_values/atr_values, strategies/beta_hedge.py
HedgeSeries). What it does on fills and positions is never skipped: those happen on minutes the
replay visits.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from bridge.brain.indicators import EMA, ema_values
from bridge.brain.strategy import Context
from bridge.brain.tape import Tape
from bridge.core.columns import floats, ints
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE
from strategies.beta_hedge import BetaHedge, HedgeSeries
from strategies.daily_range import DailyRange
from strategies.range_breakout_params import RangeBreakoutParams, close_at_ms


class BreakoutState(Protocol):
    """What the jumps read and set of the strategy (strategies/range_breakout.py): its
    parameters, its bar-fed state and whether it is in a trade."""

    p: RangeBreakoutParams
    symbols: tuple[str, ...]
    range: DailyRange
    htf: EMA
    htf_close: float
    hedger: BetaHedge | None
    entries: dict[str, int]
    main_ticket: int
    pending_main: bool
    hedged: bool

    def new_hedger(self, sm: SymbolSpec, sh: SymbolSpec) -> BetaHedge: ...


class RangeBreakoutJumps:
    def __init__(self, s: BreakoutState, tape: Tape, specs: dict[str, SymbolSpec]) -> None:
        p = self.p = s.p
        self.s = s
        self.n = tape.n_minutes
        main = self.main = tape.symbols[p.main_symbol]
        t = main.time_ms
        # -- the daily range, per server day of the main symbol ------------------------------
        day = t // MS_PER_DAY
        self.days, first = np.unique(day, return_index=True)
        nxt = np.append(first[1:], len(t))
        start = self.days * MS_PER_DAY + s.range.start_min * MS_PER_MINUTE
        end = start + s.range.duration_min * MS_PER_MINUTE
        self.ws = np.searchsorted(t, start)
        self.we = np.searchsorted(t, end)
        self.final_at = np.searchsorted(t, end - MS_PER_MINUTE)
        self.has_range = (self.ws < self.we) & (self.final_at < nxt)
        self.day_of_bar = np.repeat(np.arange(len(self.days)), nxt - first)
        # -- the H1 EMA ---------------------------------------------------------------------
        self.h1 = tape.bars(p.main_symbol, p.htf_tf)
        self.h1_close = floats(self.h1.close)
        self.h1_ema = ema_values(self.h1_close, p.htf_ema)
        # -- session close: main M1 bars at or after it -------------------------------------
        # (and the first bar of each day: a trade carried past a session that ended unannounced)
        self.close_minutes: list[int] = []
        spec = specs[p.main_symbol]
        if p.session_close:
            at = np.array([close_at_ms(p, spec, int(d)) for d in self.days], dtype=np.int64)
            after = t + MS_PER_MINUTE >= at[self.day_of_bar]
            after[first] = True
            self.close_minutes = main.minute[after].tolist()
        # -- the hedger ---------------------------------------------------------------------
        self.series: HedgeSeries | None = None
        self.step_minute: Sequence[int] = []
        self.hedge_minutes: list[int] = []
        if p.hedge:
            self._hedge_tape(tape, specs)
        # -- entry candidates ---------------------------------------------------------------
        self.signal = tape.bars(p.main_symbol, p.signal_tf)
        self.entries: dict[bool, tuple[list[int], list[int]]] = self._entry_candidates(
            specs[p.main_symbol]
        )

    @classmethod
    def make(
        cls, s: BreakoutState, tape: Tape, specs: dict[str, SymbolSpec]
    ) -> RangeBreakoutJumps | None:
        """None when this replay cannot jump for the strategy (a symbol without bars, or the
        signal and higher timeframes the same)."""
        p = s.p
        if any(sym not in tape.symbols or sym not in specs for sym in s.symbols):
            return None
        if p.htf_filter and p.htf_tf == p.signal_tf:
            return None
        return cls(s, tape, specs)

    def _hedge_tape(self, tape: Tape, specs: dict[str, SymbolSpec]) -> None:
        p, s = self.p, self.s
        if s.hedger is None:
            s.hedger = s.new_hedger(specs[p.main_symbol], specs[p.hedge_symbol])
        sig = [tape.bars(sym, p.signal_tf) for sym in (p.main_symbol, p.hedge_symbol)]
        order_of = [tape.symbols[sym].order for sym in (p.main_symbol, p.hedge_symbol)]
        emit = np.concatenate([b.emit_m for b in sig])
        which = np.concatenate([np.full(len(b), k) for k, b in enumerate(sig)])
        rank = np.array(order_of)[which]
        idx = np.concatenate([np.arange(len(b)) for b in sig])
        arrival = np.lexsort((idx, rank, emit))
        cols = tuple((ints(b.time_ms), floats(b.high), floats(b.low), floats(b.close)) for b in sig)
        self.series = HedgeSeries(s.hedger, (cols[0], cols[1]), which[arrival])
        self.step_minute = ints(emit[arrival])
        self.hedge_minutes = [self.step_minute[k] for k in self.series.hedge_steps]

    def _entry_candidates(self, spec: SymbolSpec) -> dict[bool, tuple[list[int], list[int]]]:
        """Per side, the minutes (and the bars' server days) of the candidate signal bars."""
        p, s, main, sig = self.p, self.s, self.main, self.signal
        e = sig.emit_m
        keep = e < self.n
        q = main.before[np.minimum(e + 1, self.n)] - 1  # the main's last M1 bar handled with it
        keep &= q >= 0
        d = self.day_of_bar[np.maximum(q, 0)]
        keep &= self.has_range[d] & (q >= self.final_at[d])
        span = (s.range.start_min + s.range.duration_min) * MS_PER_MINUTE
        keep &= sig.time_ms >= self.days[d] * MS_PER_DAY + span
        if p.session_close:
            close_ms = sig.time_ms + p.signal_tf * MS_PER_MINUTE
            sig_day = sig.time_ms // MS_PER_DAY
            at = {d: close_at_ms(p, spec, d) for d in np.unique(sig_day).tolist()}
            keep &= close_ms < np.array([at[d] for d in sig_day.tolist()], dtype=np.int64)
        hi = np.full(len(self.days), np.inf)
        lo = np.full(len(self.days), -np.inf)
        for i in np.flatnonzero(self.has_range):
            hi[i] = main.high[self.ws[i] : self.we[i]].max()
            lo[i] = main.low[self.ws[i] : self.we[i]].min()
        pt = spec.point
        buy = keep & (sig.close / pt > hi[d] / pt - 1)
        sell = keep & (sig.close / pt < lo[d] / pt + 1)
        if p.htf_filter:
            k = np.searchsorted(self.h1.emit_m, e, side="right")
            ready = k >= p.htf_ema
            j = np.maximum(k - 1, 0)
            up = np.asarray(self.h1_close)[j] > np.asarray(self.h1_ema)[j] if len(j) else ready
            buy &= ready & up
            sell &= ready & ~up
        day = sig.time_ms // MS_PER_DAY
        return {
            True: (e[buy].tolist(), day[buy].tolist()),
            False: (e[sell].tolist(), day[sell].tolist()),
        }

    # -- the replay's questions ----------------------------------------------------------------
    def quiet_until(self, m: int, ctx: Context) -> int:
        """The first minute >= m on which the strategy may emit an intent, given its state."""
        s, p = self.s, self.p
        j = self.n
        if self.close_minutes and ctx.positions():
            j = min(j, _next(self.close_minutes, m, self.n))
        if p.hedge and s.main_ticket and not s.hedged:
            j = min(j, _next(self.hedge_minutes, m, self.n))
        if not s.main_ticket and not s.pending_main:
            used = s.entries
            for is_buy, side in ((True, "buy"), (False, "sell")):
                minutes, days = self.entries[is_buy]
                i = bisect_left(minutes, m)
                while i < len(minutes) and minutes[i] < j:
                    if days[i] == used["day"] and used[side] >= p.max_entries_per_direction:
                        i += 1
                        continue
                    j = minutes[i]
                    break
        return j

    def skip_to(self, m: int) -> None:
        """Set the range, the H1 EMA and the hedger to their state after every bar handled on
        minutes < m."""
        s, main = self.s, self.main
        q = int(main.before[m]) - 1
        if q >= 0:
            d = int(self.day_of_bar[q])
            lo_i, hi_i = int(self.ws[d]), min(int(self.we[d]), q + 1)
            hi = float(main.high[lo_i:hi_i].max()) if hi_i > lo_i else -math.inf
            lo = float(main.low[lo_i:hi_i].min()) if hi_i > lo_i else math.inf
            final = bool(self.has_range[d]) and q >= int(self.final_at[d])
            s.range.restore(int(self.days[d]), hi, lo, final)
        if self.p.htf_filter:
            k = self.h1.done_before(m)
            s.htf.restore_after(self.h1_close, k, self.h1_ema)
            s.htf_close = self.h1_close[k - 1] if k else math.nan
        if self.series is not None:
            self.series.restore(bisect_left(self.step_minute, m))


def _next(minutes: list[int], m: int, n: int) -> int:
    i = bisect_left(minutes, m)
    return minutes[i] if i < len(minutes) else n

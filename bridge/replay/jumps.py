"""In-process replay that jumps over the minutes on which nothing can happen.

At the start of a minute m, when the books are settled (no order in flight or resting, no timer,
and while flat no account report owed), each strategy says the first minute on which it may act
(``Strategy.replay_quiet_until``) and the simulated broker the first minute on which an open
position's SL or TP could trigger (a bar of its symbol reaching the level, with a point of
slack). The minutes before the earliest of these are handled in bulk, leaving everything where
the plain stream would (the tests compare trades, equity curve, rejections and strategy state
with the plain stream's: tests/test_replay_skip.py):

* quotes and clocks: each symbol's last bar's closing tick (as the quiet-minute path sends it),
  given to the simulated broker (which also books any overnight swap) and to the engine;
* the engine's bars in progress (M5, H1, ...) as its builders would hold them;
* the equity curve: a point per minute, from the same quotes with the same arithmetic;
* while a position is open, the account snapshot the terminal sends after each bar;
* the strategies' bar-fed state (``Strategy.replay_skip``).
Replay only jumps when every strategy can be jumped over (``Strategy.replay_prepare``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bridge.brain.engine import Engine
from bridge.brain.strategy import Strategy
from bridge.brain.tape import SymbolTape, Tape
from bridge.core import events as ev
from bridge.core.pyround import py_round
from bridge.core.timeutil import MS_PER_MINUTE
from bridge.sim.terminal import SimTerminal

SCAN = 512  # bars scanned at a time for a stop level


class Skipper:
    def __init__(
        self, tape: Tape, engine: Engine, term: SimTerminal, strategies: Sequence[Strategy]
    ) -> None:
        self.tape, self.engine, self.term, self.sim = tape, engine, term, term.sim
        self.strategies = [(s, engine.context(s)) for s in strategies]
        self.jumps = 0
        self.minutes = 0  # minutes handled in bulk

    def jump(self, m: int) -> int:
        """Called at the start of minute m; handles minutes [m, j) in bulk and returns j (m when
        minute m must be visited)."""
        if not self._settled():
            return m
        j = self.tape.n_minutes
        for s, ctx in self.strategies:
            j = min(j, s.replay_quiet_until(m, ctx))
            if j <= m:
                return m
        j = self._stops_bound(m, j)
        if j <= m:
            return m
        self._advance(m, j)
        self.jumps += 1
        self.minutes += j - m
        return j

    def _settled(self) -> bool:
        e, sim = self.engine, self.sim
        if e.has_timers or e.orders.open_orders or sim.orders:
            return False
        if not sim.positions:
            return self.term.flat_reported()
        pf = e.portfolio
        return all(p.symbol in pf.bid and p.symbol in pf.specs for p in pf.positions.values())

    def _stops_bound(self, m: int, j: int) -> int:
        """The first minute in [m, j) on which an open position's SL or TP could trigger."""
        for p in self.sim.positions.values():
            st = self.tape.symbols.get(p.symbol)
            if st is None or not (p.sl or p.tp):
                continue
            tol = self.sim.specs[p.symbol].point
            a, b = int(st.before[m]), int(st.before[j])
            while a < b:
                c = min(b, a + SCAN)
                lo, hi = st.low[a:c], st.high[a:c]
                if not p.is_buy:
                    lo, hi = lo + st.ask_add[a:c], hi + st.ask_add[a:c]
                    hit = (hi >= p.sl - tol) if p.sl else np.zeros(c - a, dtype=bool)
                    if p.tp:
                        hit |= lo <= p.tp + tol
                else:
                    hit = (lo <= p.sl + tol) if p.sl else np.zeros(c - a, dtype=bool)
                    if p.tp:
                        hit |= hi >= p.tp - tol
                if hit.any():
                    j = min(j, int(st.minute[a + int(hit.argmax())]))
                    break
                a = c
        return j

    def _advance(self, m: int, j: int) -> None:
        e, sim, pf, tape = self.engine, self.sim, self.engine.portfolio, self.tape
        self._curve(m, j)
        moved = [
            (int(st.time_ms[q]), st, q)
            for st in tape.symbols.values()
            if (q := int(st.before[j]) - 1) >= int(st.before[m])
        ]
        for t, st, q in sorted(moved, key=lambda x: (x[0], x[1].order)):
            sym = st.symbol
            bid = float(st.close[q])
            tick = ev.Tick(sym, t + 59_000, bid, round(bid + float(st.ask_add[q]), 10), 0.0, 1, 6)
            if sim.on_tick(sym, tick.time_ms, tick.bid, tick.ask):
                raise RuntimeError(f"replay jump: a stop of {sym} triggered in a quiet minute")
            e.last_tick[sym] = tick
            pf.on_tick(tick)
            e.last_bar_ms[sym] = t
            self._builders(st, q, j)
        close_ms = tape.closes_ms[j - 1]
        sim.now_ms = max(sim.now_ms, close_ms)
        e.now_ms = max(e.now_ms, close_ms)
        if sim.positions:
            e.handle(sim.account())
        for s, _ctx in self.strategies:
            s.replay_skip(j)
        e.dirty = True

    def _builders(self, st: SymbolTape, q: int, j: int) -> None:
        """Each bar builder of the symbol as it stands after the symbol's bar q."""
        for builder in self.engine.builders(st.symbol):
            tf = self.tape.bars(st.symbol, builder.timeframe)
            b = int(np.searchsorted(tf.first, q, side="right")) - 1
            if int(tf.emit_m[b]) < j:
                builder.restore(None)
                continue
            f = int(tf.first[b])
            builder.restore(
                [
                    int(tf.time_ms[b]),
                    float(st.open[f]),
                    float(st.high[f : q + 1].max()),
                    float(st.low[f : q + 1].min()),
                    float(st.close[q]),
                    int(st.tick_volume[f : q + 1].sum()),
                    int(st.spread[q]),
                ]
            )

    def _curve(self, m: int, j: int) -> None:
        """The equity curve's points for minutes [m, j): Portfolio.mark's arithmetic on the
        quotes each minute leaves."""
        pf = self.engine.portfolio
        closes = self.tape.times[m:j] + MS_PER_MINUTE  # the minutes' closes
        bal = round(pf.balance, 2)
        if not pf.positions:
            pf.curve.extend_columns(closes, bal, np.full(j - m, bal))
            return
        total = np.zeros(j - m)
        by: dict[str, np.ndarray] = {}
        quotes: dict[tuple[str, bool], np.ndarray] = {}  # a symbol's side, once for its positions
        for p in pf.positions.values():
            spec = pf.specs[p.symbol]
            px = quotes.get((p.symbol, p.is_buy))
            if px is None:
                px = quotes[p.symbol, p.is_buy] = self._quotes(p.symbol, m, j, p.is_buy)
            diff = px - p.price_open if p.is_buy else p.price_open - px
            pnl = diff / spec.tick_size * spec.tick_value * p.volume
            total = total + pnl  # in Portfolio.mark's order: the same curve to the last bit
            total = total + p.swap
            u = pnl + p.swap
            o = pf.owner(p)
            by[o] = by[o] + u if o in by else u
        n = len(pf.curve)
        for o, u in by.items():
            pf.owner_curve(o, n).frombytes(u.astype(np.float64).tobytes())
        equity = py_round(pf.balance + total, 2)  # Portfolio.mark's round, in bulk
        pf.curve.extend_columns(closes, bal, equity)

    def _quotes(self, sym: str, m: int, j: int, bid: bool) -> np.ndarray:
        """The symbol's bid (or ask) after each minute of [m, j)."""
        pf = self.engine.portfolio
        before = (pf.bid if bid else pf.ask)[sym]
        st = self.tape.symbols.get(sym)
        if st is None:
            return np.full(j - m, before)
        idx = st.before[m + 1 : j + 1] - 1
        new = idx >= st.before[m]
        safe = np.maximum(idx, 0)
        px = st.close[safe]
        if not bid:
            px = py_round(px + st.ask_add[safe], 10)  # the ask a tick of the minute carries
        return np.where(new, px, before)

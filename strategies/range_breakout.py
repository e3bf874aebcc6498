"""Intraday range breakout on US100 with the surgical beta hedge on SPX500 ("RangeBetaHedge").

Rules (SPEC 6.1, 6.2); parameters and defaults in strategies/range_breakout_params.py:
* Range: the M1 highs and lows of [15:00, 16:00) server time, final once that window has closed.
* Entry: a signal bar (M5, built from M1) closes above the range high (buy) or below the range
  low (sell), in points (a close equal to the boundary is no breakout), with the higher
  timeframe agreeing: the last closed H1 close above EMA(50) of H1 closes for buys, below for
  sells (``htf_filter = false`` turns it off; no entry while the EMA is warming up). One main
  trade at a time (``one_main_trade_at_a_time``, default true: no entry while a main trade is
  open or being opened), at most ``max_entries_per_direction`` per direction per day, none at
  or after the session close.
* Exits: SL at ``sl_pct`` % of the entry price, TP at ``rr`` x the SL distance. Flat at the end
  of every session (``session_close = false`` keeps trades open): whatever is open is closed at
  23:30, or ``session_end_buffer_min`` (1) minute before the session ends when it ends earlier
  (the symbol's session table, with the day's early close: a holiday's shortened hours), and at
  the latest on the first bar of a later day (a session that ended unannounced): an intraday
  trade is never carried into the next session.
* Size: ``risk_pct`` % of equity over the SL distance in money, or ``fixed_lots``.
* Hedge: see strategies/beta_hedge.py. At most one per main trade, opposite direction, closed
  when the main trade closes for any reason; a hedge that fills after its main trade closed is
  closed at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge.brain.indicators import EMA, ema_settle_bars, wilder_settle_bars
from bridge.brain.strategy import (
    NO_INTENTS,
    Close,
    Context,
    Intent,
    Intents,
    Level,
    Open,
    Rejection,
    Strategy,
)
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE
from strategies.beta_hedge import BetaHedge
from strategies.daily_range import DailyRange
from strategies.range_breakout_jumps import RangeBreakoutJumps
from strategies.range_breakout_params import RangeBreakoutParams, close_at_ms

if TYPE_CHECKING:
    from bridge.brain.tape import Tape


class RangeBreakout(Strategy):
    Params = RangeBreakoutParams  # the dataclass a config's params are checked against

    def __init__(
        self,
        params: RangeBreakoutParams | None = None,
        magic: int = 2002,
        name: str = "range_breakout",
    ) -> None:
        p = self.p = params or RangeBreakoutParams()
        self.name, self.magic = name, magic
        self.symbols = (p.main_symbol, p.hedge_symbol) if p.hedge else (p.main_symbol,)
        self.timeframes = (1, p.signal_tf, p.htf_tf) if p.htf_filter else (1, p.signal_tf)
        self.range = DailyRange(p.range_start_hour, p.range_start_minute, p.range_duration_min)
        self.htf = EMA(p.htf_ema)
        self.htf_close = float("nan")
        self.close_min = p.session_close_hour * 60 + p.session_close_minute
        self.hedger: BetaHedge | None = None
        self.entries: dict[str, int] = {"day": -1, "buy": 0, "sell": 0}
        self.main_ticket = 0
        self.hedge_ticket = 0
        self.hedged = False  # a hedge was sent for the current main trade
        self.pending_main = False
        self.closing: set[int] = set()
        self.main_trades = 0
        self.hedges = 0
        self._jumps: RangeBreakoutJumps | None = None
        self._close_day = -1  # the server day whose close time is in _close_at
        self._close_at = 0

    # -- bars --------------------------------------------------------------------------------
    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        p = self.p
        if bar.timeframe == 1:
            if bar.symbol == p.main_symbol:
                self.range.update(bar)
                return self._session_close(bar, ctx)
            return NO_INTENTS
        if bar.timeframe == p.htf_tf and bar.symbol == p.main_symbol and p.htf_filter:
            self.htf_close = bar.close
            self.htf.update(bar.close)
            return NO_INTENTS
        if bar.timeframe != p.signal_tf:
            return NO_INTENTS
        out: list[Intent] = []
        if p.hedge:
            out += self._hedge_step(bar, ctx)
        if bar.symbol == p.main_symbol:
            out += self._entry(bar, ctx)
        return out

    def _entry(self, bar: ev.Bar, ctx: Context) -> list[Intent]:
        p, rng = self.p, self.range.current
        if rng is None or bar.time_ms < rng.end_ms or self.main_ticket or self.pending_main:
            return []
        close_ms = bar.time_ms + bar.timeframe * MS_PER_MINUTE
        if p.session_close and close_ms >= self.close_at(bar.time_ms // MS_PER_DAY, ctx):
            return []
        spec = ctx.spec(p.main_symbol)
        pts = spec.to_points
        if pts(bar.close) > pts(rng.high):
            is_buy = True
        elif pts(bar.close) < pts(rng.low):
            is_buy = False
        else:
            return []
        if p.htf_filter:
            if not self.htf.ready or pts(self.htf_close) == pts(self.htf.value):
                return []
            if (self.htf_close > self.htf.value) != is_buy:
                return []
        day = bar.time_ms // MS_PER_DAY
        if self.entries["day"] != day:
            self.entries = {"day": day, "buy": 0, "sell": 0}
        side = "buy" if is_buy else "sell"
        if self.entries[side] >= p.max_entries_per_direction:
            return []
        q = ctx.quote(p.main_symbol)
        if q is None:
            return []
        entry = q.ask if is_buy else q.bid
        dist = entry * p.sl_pct / 100
        sign = 1 if is_buy else -1
        lots = p.fixed_lots
        if p.sizing == "risk":
            acc = ctx.account()
            if acc is None:
                return []
            lots = acc.equity * p.risk_pct / 100 / (dist * spec.tick_value / spec.tick_size)
        self.entries[side] += 1
        self.pending_main = True
        self.hedged = False
        return [
            Open(
                p.main_symbol,
                is_buy,
                lots,
                sl=entry - sign * dist,
                tp=entry + sign * dist * p.rr,
                tag="main",
            )
        ]

    def _hedge_step(self, bar: ev.Bar, ctx: Context) -> list[Intent]:
        p = self.p
        if self.hedger is None:
            self.hedger = self.new_hedger(ctx.spec(p.main_symbol), ctx.spec(p.hedge_symbol))
        reading = self.hedger.update(bar)
        if reading is None or not reading.lagging or reading.beta != reading.beta:
            return []
        if not self.main_ticket or self.hedged:
            return []
        main = next((x for x in ctx.positions(p.main_symbol) if x.ticket == self.main_ticket), None)
        if main is None:
            return []
        self.hedged = True
        return [Open(p.hedge_symbol, not main.is_buy, main.volume * reading.beta, tag="hedge")]

    def new_hedger(self, sm: SymbolSpec, sh: SymbolSpec) -> BetaHedge:
        p = self.p
        return BetaHedge(
            p.main_symbol,
            p.hedge_symbol,
            sm.tick_value / sm.tick_size,
            sh.tick_value / sh.tick_size,
            lookback=p.hedge_lookback,
            lag_factor=p.lag_factor,
            atr_period=p.atr_period,
            beta_ema=p.beta_ema,
            beta_min=p.beta_min,
            beta_max=p.beta_max,
        )

    def close_at(self, day: int, ctx: Context) -> int:
        """When trades close on server day ``day`` (strategies/range_breakout_params.py)."""
        if day != self._close_day:
            self._close_day = day
            self._close_at = close_at_ms(self.p, ctx.spec(self.p.main_symbol), day)
        return self._close_at

    def _session_close(self, m1: ev.Bar, ctx: Context) -> list[Intent]:
        """Flat at the end of each session: at the close time (or before an early end of the
        session), and at the latest on the first bar of a later day when the session ended
        before anything said so (a trade is never carried into the next session)."""
        if not self.p.session_close:
            return []
        held = ctx.positions()
        if not held:
            return []
        day = m1.time_ms // MS_PER_DAY
        if m1.time_ms + MS_PER_MINUTE >= self.close_at(day, ctx):
            return self._close([x.ticket for x in held], "session_close")
        if any(x.time_ms // MS_PER_DAY < day for x in held):
            return self._close([x.ticket for x in held], "session_ended")
        return []

    def _close(self, tickets: list[int], tag: str) -> list[Intent]:
        """Close each ticket once: a close already sent is not sent again."""
        todo = [t for t in tickets if t not in self.closing]
        self.closing.update(todo)
        return [Close(t, tag=tag) for t in todo]

    # -- account events ----------------------------------------------------------------------
    def on_position(self, position: ev.Position, ctx: Context) -> Intents:
        p = self.p
        if position.symbol == p.main_symbol and self.pending_main and not self.main_ticket:
            self.main_ticket = position.ticket
            self.pending_main = False
            self.main_trades += 1
        elif position.symbol == p.hedge_symbol and not self.hedge_ticket:
            self.hedge_ticket = position.ticket
            self.hedges += 1
            if not self.main_ticket:  # the main trade closed while the hedge was in flight
                return self._close([position.ticket], "orphan")
        return NO_INTENTS

    def on_position_closed(
        self, position: ev.Position, deal: ev.Deal | None, ctx: Context
    ) -> Intents:
        self.closing.discard(position.ticket)
        if position.ticket == self.main_ticket:
            self.main_ticket = 0
            if self.hedge_ticket:
                return self._close([self.hedge_ticket], "main_closed")
        elif position.ticket == self.hedge_ticket:
            self.hedge_ticket = 0
        return NO_INTENTS

    def on_reject(self, rejection: Rejection, ctx: Context) -> Intents:
        it = rejection.intent
        if isinstance(it, Open) and it.tag == "main":
            self.pending_main = False
        elif isinstance(it, Close):
            self.closing.discard(it.ticket)  # it may be tried again
        return NO_INTENTS

    # -- replay that jumps over minutes (strategies/range_breakout_jumps.py) -------------------
    def replay_prepare(self, tape: Tape, specs: dict[str, SymbolSpec]) -> bool:

        self._jumps = RangeBreakoutJumps.make(self, tape, specs)
        return self._jumps is not None

    def replay_quiet_until(self, m: int, ctx: Context) -> int:
        assert self._jumps is not None, "replay_prepare first"
        return self._jumps.quiet_until(m, ctx)

    def replay_skip(self, m: int) -> None:
        assert self._jumps is not None, "replay_prepare first"
        self._jumps.skip_to(m)

    # -- reporting and restart ---------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        total = self.main_trades + self.hedges
        return {
            "main_trades": self.main_trades,
            "hedges": self.hedges,
            "hedge_activation_rate": round(self.hedges / total, 4) if total else 0.0,
        }

    def history_minutes(self) -> dict[str, int]:
        p = self.p
        day = 24 * 60  # today's range and entries, whenever the brain starts
        main = max(day, ema_settle_bars(p.htf_ema) * p.htf_tf if p.htf_filter else 0)
        if not p.hedge:
            return {p.main_symbol: main}
        hedge = (
            max(wilder_settle_bars(p.atr_period), ema_settle_bars(p.beta_ema) + p.hedge_lookback)
            * p.signal_tf
        )
        return {p.main_symbol: max(main, hedge), p.hedge_symbol: max(day, hedge)}

    def headline(self) -> str:
        if not self.main_ticket:
            return "waiting for a breakout"
        return f"in trade {self.main_ticket}" + (", hedged" if self.hedged else "")

    def status(self) -> dict[str, Any]:
        r = self.range.current
        e = self.entries
        today = r is not None and e["day"] == r.day
        sides = [side for side in ("buy", "sell") if today and e[side]]
        rng = None if r is None else {"day_ms": r.day * MS_PER_DAY, "high": r.high, "low": r.low}
        return {
            "state": self.get_state(),
            "range": rng,
            "signal_today": ", ".join(sides) or "none yet",
        }

    def levels(self, ctx: Context) -> list[Level]:
        r = self.range.current
        if r is None:
            return []
        sym = self.p.main_symbol
        return [Level(sym, "range high", r.high), Level(sym, "range low", r.low)]

    def get_state(self) -> dict[str, Any]:
        return {
            "entries": dict(self.entries),
            "main_ticket": self.main_ticket,
            "hedge_ticket": self.hedge_ticket,
            "hedged": self.hedged,
            "main_trades": self.main_trades,
            "hedges": self.hedges,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.entries = dict(state.get("entries", self.entries))
        self.main_ticket = int(state.get("main_ticket", 0))
        self.hedge_ticket = int(state.get("hedge_ticket", 0))
        self.hedged = bool(state.get("hedged", False))
        self.main_trades = int(state.get("main_trades", 0))
        self.hedges = int(state.get("hedges", 0))

"""The engine: one event loop step at a time, decoded events in, commands out.

    event -> portfolio -> strategy callbacks -> intents -> order manager (risk gate) -> send

It knows nothing of sockets or files: live, fake-terminal and in-process replay feed it the same
events and give it a different ``send``. Everything it does is driven by event time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

from bridge.brain.bars import BarBuilder
from bridge.brain.orders import IN_FLIGHT, Audit, OrderManager
from bridge.brain.portfolio import OUTSIDE, Portfolio
from bridge.brain.risk import RiskGate, RiskLimits
from bridge.brain.strategy import (
    Intent,
    Intents,
    Level,
    Record,
    Rejection,
    SetTimer,
    Strategy,
)
from bridge.core import events as ev
from bridge.core.aliases import SymbolAliases
from bridge.core.symbols import SymbolSpec

PAUSED = "paused by the operator"  # a strategy's hold in the risk gate (Engine.control)
MAX_REJECT_DEPTH = 3  # a strategy answering rejections with new intents, at most this deep


class _Ctx:
    """The read-only view one strategy gets (bridge.brain.strategy.Context)."""

    __slots__ = ("_engine", "_magic")

    def __init__(self, engine: Engine, magic: int) -> None:
        self._engine = engine
        self._magic = magic

    @property
    def now_ms(self) -> int:
        return self._engine.now_ms

    def spec(self, symbol: str) -> SymbolSpec:
        return self._engine.specs[symbol]

    def quote(self, symbol: str) -> ev.Tick | None:
        return self._engine.last_tick.get(symbol)

    def account(self) -> ev.Account | None:
        return self._engine.portfolio.account

    def positions(self, symbol: str | None = None) -> list[ev.Position]:
        return self._engine.portfolio.of_magic(self._magic, symbol)

    def account_positions(self, symbol: str | None = None) -> list[ev.Position]:
        return [
            p
            for p in self._engine.portfolio.positions.values()
            if symbol is None or p.symbol == symbol
        ]

    def pending(self) -> list[ev.PendingOrder]:
        return [o for o in self._engine.portfolio.orders.values() if o.magic == self._magic]

    def in_flight(self) -> int:
        return sum(
            1
            for r in self._engine.orders.open_orders.values()
            if r.magic == self._magic and r.state in IN_FLIGHT
        )


HELD_BACK = "held back: decided on history while the strategy is being fed it"


def _renaming(send: Callable[[Any], None], aliases: SymbolAliases) -> Callable[[Any], None]:
    def renamed(cmd: Any) -> None:
        send(aliases.outbound(cmd))

    return renamed


class Engine:
    def __init__(
        self,
        strategies: Sequence[Strategy],
        specs: dict[str, SymbolSpec],
        send: Callable[[Any], None],
        *,
        initial_balance: float = 0.0,
        limits: RiskLimits | None = None,
        id_prefix: str = "b",
        audit: Audit | None = None,
        on_state: Callable[[Strategy], None] | None = None,
        aliases: SymbolAliases | None = None,
    ) -> None:
        """``aliases``: the terminal names symbols otherwise than the strategies: what it sends
        is renamed into the strategies' names, what is sent to it into its own."""
        magics = [m for s in strategies for m in (s.magic, *s.extra_magics)]
        if len(set(magics)) != len(magics):
            raise ValueError(f"strategies need distinct magic numbers, got {magics}")
        self.strategies = list(strategies)
        self.specs = specs
        self.now_ms = 0
        self.last_tick: dict[str, ev.Tick] = {}
        names = {m: s.name for s in strategies for m in (s.magic, *s.extra_magics)}
        self.portfolio = Portfolio(specs, initial_balance, names)
        self.gate = RiskGate(limits or RiskLimits())
        self.aliases = aliases or None
        if self.aliases is not None:
            send = _renaming(send, self.aliases)
        self.orders = OrderManager(self.gate, self.portfolio, specs, send, id_prefix, audit=audit)
        self.portfolio.owner_of = self._magic_of
        self.portfolio.position_owner = self._position_owner
        self.audit = audit
        self.on_state = on_state
        self.account_key = ""  # "login@server" of the terminal's account, from its handshake
        self.restored_account = ""  # the account a checkpoint this engine resumed was made on
        self.rejections: list[tuple[str, Rejection]] = []
        self.seen_deals: dict[int, int] = {}  # fill ticket -> its time
        self.last_bar_ms: dict[str, int] = {}  # per symbol, the open time of the last M1 bar
        self.dirty = False  # a strategy or the books changed since the last checkpoint
        self.bar_seen: Callable[[ev.Bar], None] | None = None  # an observer of M1 bars
        # strategies still being fed their history (bridge/live/history.py), by magic: their
        # orders are held back, and counted here
        self.warming: dict[int, int] = {}
        # the history warm-up was asked for and not yet fed: a brain killed meanwhile warms again
        self.history_pending = False
        # after a restart from a checkpoint: per symbol the (tick, bar) times already handled;
        # the terminal's frames at or before them are sent again and skipped once
        self.resume_guard: dict[str, tuple[int, int]] = {}
        self.restored_floor_ms: int | None = None  # set when started from a checkpoint
        self.session_start_ms: int | None = None  # server time of the first account snapshot
        self._by_magic = {m: s for s in strategies for m in (s.magic, *s.extra_magics)}
        self._ctx = {s.magic: _Ctx(self, s.magic) for s in strategies}
        self._tick_subs: dict[str, list[Strategy]] = {}
        self._m1_subs: dict[str, list[Strategy]] = {}
        self._builders: dict[str, list[tuple[BarBuilder, list[Strategy]]]] = {}
        self._timers: list[tuple[int, int, int, str]] = []  # (at, seq, magic, name)
        self._timer_seq = 0
        for s in strategies:
            for sym in s.symbols:
                if s.wants_ticks:
                    self._tick_subs.setdefault(sym, []).append(s)
                for tf in s.timeframes:
                    if tf == 1:
                        self._m1_subs.setdefault(sym, []).append(s)
                        continue
                    lst = self._builders.setdefault(sym, [])
                    match = next((b for b in lst if b[0].timeframe == tf), None)
                    if match is None:
                        match = (BarBuilder(sym, tf), [])
                        lst.append(match)
                    match[1].append(s)
        # where several timeframes close at one minute: M1 first, then the largest timeframe
        # down to the smallest, so a signal bar sees the context bars that closed with it
        for lst in self._builders.values():
            lst.sort(key=lambda b: -b[0].timeframe)
        self._started = False
        self._dispatch: dict[type, Callable[[Any], None]] = {
            ev.Tick: self._on_tick,
            ev.Bar: self._on_bar,
            ev.Deal: self._on_deal,
            ev.Position: self._on_position,
            ev.PositionClosed: self._on_closed,
            ev.OrderResult: self._on_result,
            ev.Account: self._on_account,
            ev.PendingOrder: self.portfolio.on_order,
            ev.OrderGone: self._on_order_gone,
            ev.SymbolInfo: self._on_spec,
        }

    # -- entry points ------------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.portfolio.at_start is None:
            self.portfolio.at_start = list(self.portfolio.positions.values())
        for s in self.strategies:
            self._apply(s, s.on_start(self._ctx[s.magic]))

    def handle(self, e: Any) -> None:
        """Process one decoded event."""
        if self.aliases is not None:
            e = self.aliases.inbound(e)
        fn = self._dispatch.get(type(e))
        if fn is not None:
            fn(e)

    def timers_pending(self) -> bool:
        return bool(self._timers)

    def is_last_quote(self, t: ev.Tick) -> bool:
        """Whether ``t`` (as the terminal sent it) is the latest quote already handled."""
        if self.aliases is not None:
            t = self.aliases.inbound(t)
        return self.last_tick.get(t.symbol) == t

    def operator_order(self, intent: Intent, magic: int) -> tuple[str, list[Rejection]]:
        """An order of the operator's (``mt5bridge doctor --trade-test``), through the same
        risk gate and order manager as a strategy's: its client id ("" when refused here)."""
        self.dirty = True
        before = self.orders.last_sent
        refused = self.orders.submit(intent, magic, self.now_ms)
        sent = self.orders.last_sent
        return (sent if sent != before else ""), refused

    def control(self, name: str, verb: str, arg: str = "") -> None:
        """Pass an operator command to the strategy called ``name``; ValueError if unknown.
        ``pause`` and ``resume`` work for every strategy: while paused the risk gate refuses
        its new positions (its closes and cancels still go); a strategy with a pause of its own
        (the two-bucket plan, the compression engine) is told as well."""
        s = self._named(name)
        ctx = self._ctx[s.magic]
        if verb not in ("pause", "resume"):
            self._apply(s, s.on_control(verb, arg, ctx))
            return
        self.dirty = True
        held = self.gate.halted_magics
        for m in (s.magic, *s.extra_magics):
            if verb == "pause":
                held[m] = PAUSED
            elif held.get(m) == PAUSED:
                del held[m]
        try:
            own = s.on_control(verb, arg, ctx)
        except ValueError:
            own = ()  # no pause of its own: the gate's is the pause
        self._apply(s, own)

    def strategy_status(self, name: str) -> dict[str, Any]:
        """The strategy's own picture, with whether the risk gate lets it trade."""
        s = self._named(name)
        halted = self.gate.halted or self.gate.halted_magics.get(s.magic, "")
        state = (
            "warming"
            if s.magic in self.warming
            else "paused"
            if halted == PAUSED
            else "halted"
            if halted
            else "live"
        )
        return {
            "strategy": name,
            "running": state,
            "trading": state == "live",
            "halted": halted,
            **s.status(),
        }

    def levels(self, s: Strategy) -> list[Level]:
        """The prices strategy ``s`` watches now (``Strategy.levels``)."""
        return s.levels(self._ctx[s.magic])

    def _named(self, name: str) -> Strategy:
        s = next((x for x in self.strategies if x.name == name), None)
        if s is None:
            raise ValueError(
                f"no strategy named {name!r} (have {[x.name for x in self.strategies]})"
            )
        return s

    def context(self, s: Strategy) -> _Ctx:
        """The read-only view strategy ``s`` gets."""
        return self._ctx[s.magic]

    def builders(self, symbol: str) -> list[BarBuilder]:
        """The symbol's higher-timeframe bar builders."""
        return [b for b, _subs in self._builders.get(symbol, ())]

    @property
    def has_timers(self) -> bool:
        return bool(self._timers)

    def flush_bars(self) -> None:
        """End of data: close the higher-timeframe bars in progress."""
        for lst in self._builders.values():
            for builder, subs in lst:
                bar = builder.flush()
                if bar is not None:
                    self._bar_to(subs, bar)

    # -- crash checkpoints (bridge/persist/checkpoint.py serialises what these return) ---------
    def capture(self, floor_ms: int | None, keep_orders: int) -> dict[str, Any]:
        """The engine's working state: each strategy whole, the bars in progress, the timers,
        the symbol specifications, the books, the orders not final (and the ``keep_orders``
        latest), the gate and the fills seen since ``floor_ms`` (the time fills would be asked
        from after a restart: fills before it are never replayed, so they are not kept)."""
        since = min(floor_ms if floor_ms is not None else self.now_ms, self.now_ms) - 1
        return {
            "started": self._started,
            "now_ms": self.now_ms,
            "floor_ms": floor_ms,
            "session_start_ms": self.session_start_ms,
            "strategies": {s.magic: s for s in self.strategies},
            "builders": {
                (sym, b.timeframe): b.capture()
                for sym, lst in self._builders.items()
                for b, _ in lst
            },
            "timers": list(self._timers),
            "timer_seq": self._timer_seq,
            "specs": dict(self.specs),  # the terminal's symbol specifications: decisions read them
            "last_tick": dict(self.last_tick),
            "last_bar_ms": dict(self.last_bar_ms),
            "portfolio": self.portfolio.capture(),
            **self.orders.capture(keep_orders),
            "gate": self.gate.capture(self.now_ms),
            "resume_guard": dict(self.resume_guard),
            "seen_deals": {t: ms for t, ms in self.seen_deals.items() if ms >= since},
            "account_key": self.account_key,
            "history_pending": self.history_pending,
        }

    def restore(self, st: dict[str, Any]) -> list[str]:
        """Apply a captured state to this engine, built from the same config; returns what could
        not be applied (each entry names the strategy and why). A strategy captured with another
        kind or other parameters keeps the state it was built with (its saved decision state)."""
        problems = []
        for s in self.strategies:
            old = st["strategies"].get(s.magic)
            if old is None:
                problems.append(f"strategy {s.name} (magic {s.magic}): not in the checkpoint")
            elif type(old) is not type(s) or getattr(old, "p", None) != getattr(s, "p", None):
                problems.append(
                    f"strategy {s.name} (magic {s.magic}): the checkpoint was made with another "
                    "kind or other parameters; its saved decision state is used instead"
                )
            else:
                s.__dict__.update(old.__dict__)
        for sym, lst in self._builders.items():
            for b, _ in lst:
                key = (sym, b.timeframe)
                if key in st["builders"]:
                    b.restore(st["builders"][key])
        self._started = st["started"]  # strategies that had started do not start again
        self.now_ms = st["now_ms"]
        self.session_start_ms = st["session_start_ms"]
        self._timers = [t for t in st["timers"] if t[2] in self._by_magic]
        self._timer_seq = st["timer_seq"]
        self.specs.update(st["specs"])  # one dict with the portfolio's and order manager's
        self.last_tick.update(st["last_tick"])
        self.last_bar_ms.update(st["last_bar_ms"])
        self.resume_guard = dict(st["resume_guard"])
        self.restored_account = self.account_key = str(st.get("account_key", ""))
        self.portfolio.restore(st["portfolio"])
        self.orders.restore(st)
        self.gate.restore(st["gate"])
        self.seen_deals.update(st["seen_deals"])
        self.history_pending = bool(st.get("history_pending", False))
        self.dirty = False
        return problems

    def settle_restored(self, wall_now_ms: int) -> None:
        """A restored engine made ready for the terminal: the orders not final may or may not
        have reached it, and the frames the terminal sends again about times already handled
        are skipped once."""
        self.orders.make_unknown(wall_now_ms)
        self.resume_guard = {
            sym: (t.time_ms, self.last_bar_ms.get(sym, -1)) for sym, t in self.last_tick.items()
        }
        for sym, ms in self.last_bar_ms.items():
            self.resume_guard.setdefault(sym, (-1, ms))

    # -- market data -------------------------------------------------------------------------
    def _on_tick(self, t: ev.Tick) -> None:
        if self.resume_guard and self._handled_before(t.symbol, t.time_ms, 0):
            return
        if t.time_ms > self.now_ms:
            self.now_ms = t.time_ms
            if self._timers and self._timers[0][0] <= self.now_ms:
                self._fire_timers()
        self.last_tick[t.symbol] = t
        self.portfolio.on_tick(t)
        subs = self._tick_subs.get(t.symbol)
        if subs:
            self.dirty = True
            for s in subs:
                out = s.on_tick(t, self._ctx[s.magic])
                if out:
                    self._apply(s, out)

    def _on_bar(self, bar: ev.Bar) -> None:
        if self.resume_guard and self._handled_before(bar.symbol, bar.time_ms, 1):
            return
        self.last_bar_ms[bar.symbol] = bar.time_ms
        if self.bar_seen is not None:
            self.bar_seen(bar)
        close = bar.time_ms + bar.timeframe * 60_000
        if close > self.now_ms:
            self.now_ms = close
            if self._timers and self._timers[0][0] <= self.now_ms:
                self._fire_timers()
        self.portfolio.mark(close)
        subs = self._m1_subs.get(bar.symbol)
        if subs:
            self._bar_to(subs, bar)
        builders = self._builders.get(bar.symbol)
        if builders:
            for builder, bsubs in builders:
                for hb in builder.update(bar):
                    self._bar_to(bsubs, hb)

    def _handled_before(self, symbol: str, time_ms: int, kind: int) -> bool:
        mark = self.resume_guard.get(symbol)
        if mark is None:
            return False
        if time_ms <= mark[kind]:
            return True
        del self.resume_guard[symbol]  # the first new frame: everything after it is new
        return False

    def _bar_to(self, subs: list[Strategy], bar: ev.Bar) -> None:
        self.dirty = True
        for s in subs:
            out = s.on_bar(bar, self._ctx[s.magic])
            if out:
                self._apply(s, out)
            elif self.on_state is not None:
                self.on_state(s)

    def _fire_timers(self) -> None:
        self.dirty = True
        while self._timers and self._timers[0][0] <= self.now_ms:
            _at, _seq, magic, name = heapq.heappop(self._timers)
            s = self._by_magic[magic]
            self._apply(s, s.on_timer(name, self._ctx[magic]))

    # -- account events ----------------------------------------------------------------------
    def _on_deal(self, d: ev.Deal) -> None:
        if d.ticket in self.seen_deals:
            return  # replayed after a resync: already applied
        self.seen_deals[d.ticket] = d.time_ms
        self.dirty = True
        if self.audit is not None:
            self.audit("deal", d._asdict())
        self.portfolio.on_deal(d)
        self.orders.on_deal(d)
        s = self._owner(d.client_id, d.magic)
        if s is not None:
            self._apply(s, s.on_fill(d, self._ctx[s.magic]))

    def _on_order_gone(self, g: ev.OrderGone) -> None:
        """A resting order cancelled, rejected or expired outside a command of this brain: the
        books forget it and its order, if ours, is final."""
        self.dirty = True
        self.portfolio.drop_order(g.ticket)
        self.orders.on_order_gone(g.ticket, g.state)

    def _on_position(self, p: ev.Position) -> None:
        self.dirty = True
        if self.audit is not None:
            change = "update" if p.ticket in self.portfolio.positions else "open"
            self.audit(
                "position",
                {
                    "ticket": p.ticket,
                    "symbol": p.symbol,
                    "change": change,
                    "is_buy": p.is_buy,
                    "volume": p.volume,
                    "price_open": p.price_open,
                    "sl": p.sl,
                    "tp": p.tp,
                    "magic": p.magic,
                    "time_ms": p.time_ms,
                },
            )
        self.portfolio.on_position(p)
        self.orders.on_position_shown(p.ticket)
        last = self.portfolio.last_deal.get(p.ticket)
        s = self._owner(last.client_id if last is not None else p.client_id, p.magic)
        if s is not None:
            out = s.on_position(p, self._ctx[s.magic])
            if out:
                self._apply(s, out)

    def _on_closed(self, c: ev.PositionClosed) -> None:
        self.dirty = True
        if self.audit is not None:
            self.audit("position", {"ticket": c.ticket, "change": "closed", "time_ms": c.time_ms})
        pos = self.portfolio.on_closed(c)
        self.orders.on_position_shown(c.ticket)
        if pos is None:
            return
        deal = self.portfolio.last_deal.pop(c.ticket, None)
        s = self._owner(deal.client_id if deal is not None else "", pos.magic)
        if s is not None:
            self._apply(s, s.on_position_closed(pos, deal, self._ctx[s.magic]))

    def _position_owner(self, p: ev.Position) -> str:
        """The strategy a position belongs to: its magic's, else one that adopts it."""
        s = self._by_magic.get(p.magic) or next((x for x in self.strategies if x.owns(p)), None)
        return s.name if s is not None else OUTSIDE

    def _magic_of(self, client_id: str) -> int | None:
        rec = self.orders.orders.get(client_id)
        return rec.magic if rec is not None else None

    def _owner(self, client_id: str, magic: int) -> Strategy | None:
        """The strategy whose order caused an event (by client id), else the one of the magic:
        a strategy that closes an adopted ticket of another magic hears of its own closes."""
        rec = self.orders.orders.get(client_id) if client_id else None
        return self._by_magic.get(rec.magic if rec is not None else magic)

    def _on_result(self, r: ev.OrderResult) -> None:
        self.dirty = True
        rec, rej = self.orders.on_result(r, self.now_ms)
        if rec is not None and rej is not None:
            s = self._by_magic.get(rec.magic)
            if s is not None:
                self._rejected(s, rej, 0)

    def _on_account(self, a: ev.Account) -> None:
        if self.session_start_ms is None:
            self.session_start_ms = a.time_ms
        pf = self.portfolio
        if pf.account is None and not pf.initial_balance and not pf.trades:
            pf.balance = pf.initial_balance = a.balance  # live: the first snapshot sets it
        pf.account = a

    def _on_spec(self, info: ev.SymbolInfo) -> None:
        self.specs[info.spec.symbol] = info.spec

    # -- intents -----------------------------------------------------------------------------
    def _apply(self, s: Strategy, intents: Intents, depth: int = 0) -> None:
        if not intents:
            return
        self.dirty = True
        warming = s.magic in self.warming
        for it in intents:
            if warming and not isinstance(it, SetTimer):
                # decided on history: not sent, not recorded; told as a refusal, so that the
                # strategy does not wait for an order that will never come
                self.warming[s.magic] += 1
                if not isinstance(it, Record):
                    self._rejected(s, Rejection(it, HELD_BACK, 0, self.now_ms), depth)
                continue
            if isinstance(it, Record):
                if self.audit is not None:
                    self.audit(it.kind, it.row)
                continue
            if isinstance(it, SetTimer):
                self._timer_seq += 1
                heapq.heappush(self._timers, (it.at_ms, self._timer_seq, s.magic, it.name))
                continue
            for rej in self.orders.submit(it, s.magic, self.now_ms):
                self._rejected(s, rej, depth)
        if self.on_state is not None:
            self.on_state(s)

    def _rejected(self, s: Strategy, rej: Rejection, depth: int) -> None:
        self.rejections.append((s.name, rej))
        out: tuple[Intent, ...] | Intents = s.on_reject(rej, self._ctx[s.magic])
        if out and depth < MAX_REJECT_DEPTH:
            self._apply(s, out, depth + 1)

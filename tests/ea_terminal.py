"""The whole terminal around the EA run on Linux (mql5/check/runtime/mql5_ea_runtime.h): the broker
of tests/ea_broker.py plus a market played a minute at a time from a fixture (the same ticks and
closed M1 bars the fake terminal streams, in the same order), the account and terminal figures,
the deal history, the lists of positions and orders, and the trade transactions MT5 raises for
what the trade server did.

The market waits until ``start()``; then every ``calls_per_minute``-th time the EA's event loop
asks whether the market is over, the next minute is played: its ticks reach the broker
simulator (stops, targets and pending orders trigger there) and the trade server's clock moves
to the minute's end, so the minute's bar is closed. When every minute is played the run ends
after ``grace_calls`` more."""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.data.fixtures import Fixture, market_events
from bridge.sim.broker import BrokerSim
from tests.ea_broker import EABroker

MINUTE = 60_000
ORDER_ADD, ORDER_UPDATE, ORDER_DELETE, HISTORY_ADD, DEAL_ADD, POSITION = 0, 1, 2, 3, 6, 9
STATE_STARTED, STATE_CANCELED, STATE_FILLED, STATE_EXPIRED = 0, 2, 4, 6
SERVER_UTC_MS = 2 * 3_600_000  # the trade server runs two hours ahead of UTC


class EATerminal(EABroker):
    def __init__(
        self,
        fx: Fixture,
        calls_per_minute: int = 4,
        grace_calls: int = 40,
        expire_at: int | None = None,
        send_delay_s: float = 0.0,
    ) -> None:
        """``expire_at``: the minute (from the first) at whose start the trade server expires
        every pending order (the broker simulator itself never expires one). ``send_delay_s``:
        how long each OrderSend blocks the EA (a slow trade server)."""
        super().__init__(fx.specs, fx.account.hedging, {}, 0)
        self.sim = BrokerSim(fx.specs, dataclasses.replace(fx.account, login=4242))
        self.fx = fx
        self.events: deque[Any] = deque(market_events(fx))
        first = self.events[0].time_ms
        self.now_ms = first - first % MINUTE
        self.ticks: dict[str, list[tuple[int, float, float]]] = {s: [] for s in fx.specs}
        self.bars: dict[str, list[ev.Bar]] = {s: [] for s in fx.specs}
        self.transactions: deque[tuple[int, int, int, int, int, int, str]] = deque()
        self.book: dict[int, ev.PendingOrder] = {}  # pending orders the terminal has told of
        self.calls_per_minute, self.grace_calls = calls_per_minute, grace_calls
        self.started = False
        self.calls = 0
        self.minutes_played = 0
        self.expire_at = expire_at
        self.send_delay_s = send_delay_s

    def start(self) -> None:
        self.started = True

    # -- the market --------------------------------------------------------------------------
    def play_minute(self) -> None:
        if self.minutes_played == self.expire_at:
            for o in list(self.sim.orders.values()):
                del self.sim.orders[o.ticket]
                self.book.pop(o.ticket, None)
                self.transactions.append(
                    (ORDER_DELETE, o.ticket, 0, 0, o.order_type, STATE_EXPIRED, o.symbol)
                )
        end = self.now_ms + MINUTE
        while self.events and self._at(self.events[0]) < end:
            e = self.events.popleft()
            if isinstance(e, ev.Bar):
                self.bars[e.symbol].append(e)
                continue
            self.ticks[e.symbol].append((e.time_ms, e.bid, e.ask))
            self.happened(None, self.sim.on_tick(e.symbol, e.time_ms, e.bid, e.ask))
        self.now_ms = end
        self.minutes_played += 1

    @staticmethod
    def _at(e: Any) -> int:
        return int(e.time_ms + MINUTE - 1 if isinstance(e, ev.Bar) else e.time_ms)

    def over(self) -> bool:
        if not self.started:
            return False
        self.calls += 1
        if self.events:
            if self.calls % self.calls_per_minute == 0:
                self.play_minute()
            return False
        self.grace_calls -= 1
        return self.grace_calls < 0

    def send(self, q: Any) -> list[Any]:
        if self.send_delay_s:
            time.sleep(self.send_delay_s)
        return super().send(q)

    # -- the trade transactions --------------------------------------------------------------
    def happened(self, cmd: ev.TradeCommand | None, events: list[Any]) -> None:
        q = self.transactions
        deals = [e for e in events if isinstance(e, ev.Deal)]
        if isinstance(cmd, ev.CancelCmd):
            (r,) = [e for e in events if isinstance(e, ev.OrderResult)]
            gone = self.book.pop(cmd.ticket, None)
            if r.retcode == rc.DONE and gone is not None:
                q.append(
                    (ORDER_DELETE, gone.ticket, 0, 0, gone.order_type, STATE_CANCELED, gone.symbol)
                )
        for e in events:
            if isinstance(e, ev.PendingOrder):
                kind = ORDER_UPDATE if e.ticket in self.book else ORDER_ADD
                self.book[e.ticket] = e
                q.append((kind, e.ticket, 0, 0, e.order_type, 1, e.symbol))
            elif isinstance(e, ev.Deal):
                pending = self.book.pop(e.order, None)
                kind = pending.order_type if pending else (0 if e.is_buy else 1)
                if pending is None:  # a market order: it is added, dealt, then leaves the book
                    q.append((ORDER_ADD, e.order, 0, 0, kind, STATE_STARTED, e.symbol))
                q.append((DEAL_ADD, e.order, e.ticket, e.position_id, kind, 0, e.symbol))
                q.append((ORDER_DELETE, e.order, 0, 0, kind, STATE_FILLED, e.symbol))
                q.append((HISTORY_ADD, e.order, 0, 0, kind, STATE_FILLED, e.symbol))
            elif isinstance(e, ev.Position) and not deals:  # stops changed, no deal
                q.append((POSITION, 0, 0, e.ticket, 0, 0, e.symbol))

    # -- the calls ---------------------------------------------------------------------------
    def answer(self, call: list[str]) -> list[Any]:
        name, args = call[0], call[1:]
        sim = self.sim
        if name == "now":
            return [self.now_ms, self.now_ms - SERVER_UTC_MS]
        if name == "over":
            return [1 if self.over() else 0]
        if name == "transaction":
            return [1, *self.transactions.popleft()] if self.transactions else [0]
        if name == "ticks":
            sym, since, count = args[0], int(args[1]), int(args[2])
            got = [t for t in self.ticks.get(sym, []) if t[0] >= since][:count]
            return [len(got), *(x for t in got for x in t)]
        if name == "rates":
            sym, lo, hi = args[0], int(args[1]) * 1000, int(args[2]) * 1000
            got = [
                b
                for b in self.bars.get(sym, [])
                if lo <= b.time_ms <= hi and b.time_ms + MINUTE <= self.now_ms
            ]
            rows = ((b.time_ms // 1000, b.open, b.high, b.low, b.close, b.tick_volume, b.spread)
                    for b in got)  # fmt: skip
            return [len(got), *(x for r in rows for x in r)]
        if name == "symbols":
            return [len(sim.specs), *sim.specs]
        if name == "margin_rate":
            return [sim.specs[args[0]].margin_rate]
        if name == "account_double":
            a = sim.account()
            return [
                {650: a.balance, 651: a.equity, 652: a.margin, 653: a.free_margin}[int(args[0])]
            ]
        if name == "account_string":
            # a broker's name outside ASCII, as many are (the protocol's text is ASCII)
            return [{680: "Sim-Demo", 681: sim.settings.currency, 682: "Brøker Ltd"}[int(args[0])]]
        if name == "terminal":  # build, connected to the broker, algo trading allowed (both)
            return [{800: 4000}.get(int(args[0]), 1)]
        if name == "positions":
            return [len(sim.positions), *sim.positions]
        if name == "orders":
            return [len(sim.orders), *sim.orders]
        if name == "deals":
            lo, hi = int(args[0]) * 1000, int(args[1]) * 1000 + 999
            return [0, *(d.ticket for d in sim.deals if lo <= d.time_ms <= hi)]
        if name == "deal":
            d = next((d for d in sim.deals if d.ticket == int(args[0])), None)
            if d is None:
                return [0]
            props = {1000: d.order, 1001: d.position_id, 1002: 0 if d.is_buy else 1, 1003: d.entry}
            props |= {1004: d.magic, 1005: d.time_ms, 1006: d.reason, 1020: d.volume}
            props |= {1021: d.price, 1022: d.commission, 1023: d.swap, 1024: d.profit}
            props |= {1040: d.symbol, 1041: d.client_id}
            return [1, *(x for kv in props.items() for x in kv)]
        return super().answer(call)

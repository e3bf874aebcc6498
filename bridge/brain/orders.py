"""The order manager: intents become commands with client order ids, and each order is tracked
from intent to a final state.

    SENT --RESULT DONE--------> FILLED (market) / DONE (close, modify, cancel)
         --RESULT PLACED------> PLACED --deal--> FILLED ; --cancel--> CANCELLED
         --RESULT error-------> REJECTED
         --no RESULT in time--> UNKNOWN --QUERY answer--> one of the above

An order whose outcome is unknown is never sent again under a new id: the manager asks the
terminal for the outcome of that id (QUERY) and waits. Client ids are ``<prefix>-<n>`` where the
prefix is unique per brain process, so ids never repeat across restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from bridge.brain.portfolio import Portfolio
from bridge.brain.risk import RiskGate
from bridge.brain.strategy import Cancel, Close, CloseBy, Intent, Modify, Open, Rejection, Target
from bridge.brain.targets import expand_target
from bridge.brain.unbooked import Entry, Unbooked
from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec

SENT, PLACED, FILLED, DONE, REJECTED, CANCELLED, UNKNOWN = (
    "sent",
    "placed",
    "filled",
    "done",
    "rejected",
    "cancelled",
    "unknown",
)
FINAL = frozenset({FILLED, DONE, REJECTED, CANCELLED})
IN_FLIGHT = frozenset({SENT, UNKNOWN})  # sent, outcome not known yet (a resting order is PLACED)


@dataclass(slots=True)
class OrderRecord:
    client_id: str
    magic: int
    intent: Intent
    command: ev.TradeCommand
    state: str
    sent_ms: int  # event time when sent
    sent_wall_ms: int  # monotonic wall time when sent (for timeouts)
    retcode: int = 0
    order_ticket: int = 0
    text: str = ""

    def pack(self) -> tuple[Any, ...]:
        """The record as plain tuples (a named tuple pickles about six times slower)."""
        return (
            self.client_id,
            self.magic,
            type(self.intent),
            tuple(self.intent),
            type(self.command),
            tuple(self.command),
            self.state,
            self.sent_ms,
            self.sent_wall_ms,
            self.retcode,
            self.order_ticket,
            self.text,
        )

    @staticmethod
    def unpack(t: tuple[Any, ...]) -> OrderRecord:
        cid, magic, icls, ivals, ccls, cvals, state, sent_ms, sent_wall, retcode, ticket, text = t
        return OrderRecord(
            cid,
            magic,
            icls._make(ivals),
            ccls._make(cvals),
            state,
            sent_ms,
            sent_wall,
            retcode,
            ticket,
            text,
        )


Audit = Callable[[str, dict[str, object]], None]
log = logging.getLogger(__name__)


class OrderManager:
    def __init__(
        self,
        gate: RiskGate,
        portfolio: Portfolio,
        specs: dict[str, SymbolSpec],
        send: Callable[[ev.TradeCommand | ev.QueryCmd], None],
        id_prefix: str,
        deviation: int = 20,
        timeout_ms: int = 5_000,
        audit: Audit | None = None,
    ) -> None:
        self.gate = gate
        self.portfolio = portfolio
        self.specs = specs
        self.send = send
        self.prefix = id_prefix
        self.deviation = deviation
        self.timeout_ms = timeout_ms
        self.audit = audit
        self.orders: dict[str, OrderRecord] = {}
        self.open_orders: dict[str, OrderRecord] = {}  # not final yet
        self.unbooked = Unbooked()  # volume sent or filled that the positions do not show yet
        self._n = 0
        self.wall_ms: Callable[[], int] = lambda: 0
        self.last_sent = ""  # the client id of the latest order sent

    # -- crash checkpoints -------------------------------------------------------------------
    def capture(self, keep: int) -> dict[str, Any]:
        """The orders not final yet and the ``keep`` latest (for attribution of late events;
        not a list of every order), packed, with the id counter and prefix."""
        recent = list(islice(reversed(self.orders), keep))[::-1]
        orders = {cid: self.orders[cid].pack() for cid in recent}
        orders.update((cid, r.pack()) for cid, r in self.open_orders.items())
        return {
            "orders": orders,
            "open_orders": list(self.open_orders),
            "order_n": self._n,
            "unbooked": self.unbooked.capture(),
            "order_prefix": self.prefix,  # frames logged after it are handled again under it
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.orders.update((cid, OrderRecord.unpack(t)) for cid, t in state["orders"].items())
        self.open_orders.update({cid: self.orders[cid] for cid in state["open_orders"]})
        self._n = state["order_n"]
        self.unbooked.restore(state.get("unbooked", []), self.wall_ms())

    def make_unknown(self, wall_now_ms: int) -> None:
        """After a restart: orders sent may or may not have reached the terminal (asked for,
        never sent again); their timeouts start now."""
        for rec in self.open_orders.values():
            if rec.state == SENT:
                rec.state = UNKNOWN
            rec.sent_wall_ms = wall_now_ms
        for entry in self.unbooked.entries.values():  # fills not shown: a minute from now
            entry.touched_wall_ms = wall_now_ms

    # -- intents -> commands -----------------------------------------------------------------
    def submit(self, intent: Intent, magic: int, now_ms: int) -> list[Rejection]:
        """Risk-check and send one intent; returns the rejections (empty when all went out)."""
        if isinstance(intent, Target):
            return [
                r for i in self._expand_target(intent, magic) for r in self.submit(i, magic, now_ms)
            ]
        if isinstance(intent, Open):
            return self._submit_open(intent, magic, now_ms)
        cmd: ev.TradeCommand
        cid = self._next_id()
        if isinstance(intent, Close):
            pos = self.portfolio.positions.get(intent.ticket)
            vol = intent.volume
            if pos is not None and vol:
                vol = self.specs[pos.symbol].normalize_lots(vol)
                if vol <= 0:
                    return [
                        self._reject(
                            intent, magic, now_ms, f"close volume {intent.volume} below the minimum"
                        )
                    ]
            cmd = ev.CloseCmd(cid, intent.ticket, vol, self.deviation)
        elif isinstance(intent, Modify):
            if self.gate.halted:
                return [self._reject(intent, magic, now_ms, f"halted: {self.gate.halted}")]
            pos = self.portfolio.positions.get(intent.ticket)
            spec = self.specs.get(pos.symbol) if pos is not None else None
            sl, tp = intent.sl, intent.tp
            if spec is not None:  # on the symbol's tick grid, as OPEN's (else 10016 at the broker)
                sl = spec.normalize_price(sl) if sl else 0.0
                tp = spec.normalize_price(tp) if tp else 0.0
            cmd = ev.ModifyCmd(cid, intent.ticket, sl, tp)
        elif isinstance(intent, Cancel):
            cmd = ev.CancelCmd(cid, intent.ticket)
        elif isinstance(intent, CloseBy):
            cmd = ev.CloseByCmd(cid, intent.ticket, intent.opposite)
        else:
            raise TypeError(f"not an order intent: {intent!r}")
        self._send(OrderRecord(cid, magic, intent, cmd, SENT, now_ms, self.wall_ms()))
        return []

    def _submit_open(self, it: Open, magic: int, now_ms: int) -> list[Rejection]:
        spec = self.specs.get(it.symbol)
        lots = spec.normalize_lots(it.volume) if spec is not None else 0.0
        if spec is not None and lots <= 0:
            return [
                self._reject(
                    it,
                    magic,
                    now_ms,
                    f"volume {it.volume} normalises to 0 lots "
                    f"(min {spec.volume_min}, step {spec.volume_step})",
                )
            ]
        price = it.price or self._quote(it.symbol, it.is_buy)
        fl_lots, fl_pos = self.in_flight(it.symbol)
        reason = self.gate.check_open(
            spec,
            it.symbol,
            it.is_buy,
            lots,
            price,
            now_ms,
            self.portfolio,
            fl_lots,
            fl_pos,
            magic,
            self.in_flight_margin if self.open_orders else None,
        )
        if self.audit is not None:
            self.audit(
                "risk",
                {
                    "time_ms": now_ms,
                    "magic": magic,
                    "intent": repr(it),
                    "approved": reason is None,
                    "reason": reason or "",
                },
            )
        if reason is not None:
            return [self._reject(it, magic, now_ms, reason, audited=True)]
        assert spec is not None
        order_type = (0 if it.is_buy else 1) if it.order_type < 0 else it.order_type
        if order_type > 1 and (order_type % 2 == 0) != it.is_buy:
            return [
                self._reject(
                    it, magic, now_ms, f"order type {order_type} contradicts is_buy={it.is_buy}"
                )
            ]
        p = spec.normalize_price
        cid = self._next_id()
        cmd = ev.OpenCmd(
            cid,
            it.symbol,
            order_type,
            lots,
            p(it.price) if it.price else 0.0,
            p(it.sl) if it.sl else 0.0,
            p(it.tp) if it.tp else 0.0,
            it.magic or magic,
            self.deviation,
            -1,
            it.tag,
        )
        self._send(OrderRecord(cid, magic, it, cmd, SENT, now_ms, self.wall_ms()))
        return []

    def _expand_target(self, t: Target, magic: int) -> list[Intent]:
        spec = self.specs.get(t.symbol)
        if spec is None:
            return [Open(t.symbol, True, 0.0, tag=t.tag)]  # rejected downstream with the reason
        acc = self.portfolio.account
        hedging = acc.hedging if acc is not None else True
        return expand_target(
            t,
            t.magic or magic,
            spec,
            self.portfolio.of_magic(t.magic or magic, t.symbol),
            self.unbooked,
            hedging,
        )

    def in_flight(self, symbol: str) -> tuple[float, int]:
        """Lots and count of opening orders sent on ``symbol`` whose outcome is not final."""
        lots, n = 0.0, 0
        for r in self.open_orders.values():
            c = r.command
            if (
                isinstance(c, ev.OpenCmd)
                and c.symbol == symbol
                and r.state in (SENT, UNKNOWN, PLACED)
            ):
                lots += c.volume
                n += 1
        return lots, n

    def in_flight_margin(self, leverage: int) -> float:
        """Margin the market orders sent and not answered yet will take once filled: the account
        snapshot the risk gate reads does not count them yet."""
        need = 0.0
        for r in self.open_orders.values():
            c = r.command
            if isinstance(c, ev.OpenCmd) and c.order_type <= 1 and r.state in IN_FLIGHT:
                spec = self.specs.get(c.symbol)
                if spec is not None:
                    price = c.price or self._quote(c.symbol, c.order_type == 0)
                    need += spec.margin(c.volume, price, leverage)
        return need

    def _quote(self, symbol: str, is_buy: bool) -> float:
        """The price a market order on ``symbol`` would fill at now (0 without a quote)."""
        return (self.portfolio.ask if is_buy else self.portfolio.bid).get(symbol, 0.0)

    def _send(self, rec: OrderRecord) -> None:
        self.last_sent = rec.client_id
        self.orders[rec.client_id] = rec
        self.open_orders[rec.client_id] = rec
        self._track(rec)
        self.gate.record_sent(rec.sent_ms)
        if self.audit is not None:
            self.audit(
                "order",
                {
                    "client_id": rec.client_id,
                    "magic": rec.magic,
                    "state": SENT,
                    "command": repr(rec.command),
                    "time_ms": rec.sent_ms,
                },
            )
        self.send(rec.command)

    def _track(self, rec: OrderRecord) -> None:
        """Market orders and closes count as volume on its way from the moment they are sent."""
        c, wall = rec.command, rec.sent_wall_ms
        if isinstance(c, ev.OpenCmd) and c.order_type <= 1:
            steps = self.specs[c.symbol].lots_to_steps(c.volume)
            sign = 1 if c.order_type == 0 else -1
            self.unbooked.add(rec.client_id, Entry(c.symbol, c.magic, sign, steps, 0, {}, wall))
        elif isinstance(c, ev.CloseCmd):
            pos = self.portfolio.positions.get(c.ticket)
            spec = self.specs.get(pos.symbol) if pos is not None else None
            if pos is not None and spec is not None:
                steps = spec.lots_to_steps(c.volume or pos.volume)
                sign = -1 if pos.is_buy else 1
                entry = Entry(pos.symbol, pos.magic, sign, steps, c.ticket, {}, wall)
                self.unbooked.add(rec.client_id, entry)

    def _next_id(self) -> str:
        self._n += 1
        return f"{self.prefix}-{self._n}"

    def _reject(
        self, intent: Intent, magic: int, now_ms: int, reason: str, audited: bool = False
    ) -> Rejection:
        if self.audit is not None and not audited:
            self.audit(
                "risk",
                {
                    "time_ms": now_ms,
                    "magic": magic,
                    "intent": repr(intent),
                    "approved": False,
                    "reason": reason,
                },
            )
        return Rejection(intent, reason, 0, now_ms)

    # -- terminal answers --------------------------------------------------------------------
    def on_result(
        self, r: ev.OrderResult, now_ms: int
    ) -> tuple[OrderRecord | None, Rejection | None]:
        rec = self.orders.get(r.client_id)
        if rec is None:
            return None, None  # not ours (another brain process, or before a restart)
        if rec.state in FINAL:
            return rec, None  # a duplicate answer: the first one counted
        if r.retcode == rc.UNKNOWN_ID:
            # the terminal never received it: it did not execute, so it is safe to call rejected
            self.unbooked.refused(rec.client_id)
            self._finish(rec, REJECTED, r)
            return rec, Rejection(
                rec.intent, "the terminal never received the order", r.retcode, now_ms
            )
        if r.retcode == rc.PLACED:
            rec.state, rec.retcode, rec.order_ticket = PLACED, r.retcode, r.order
            cmd = rec.command
            if isinstance(cmd, ev.OpenCmd) and r.order and r.order not in self.portfolio.orders:
                # the book knows its resting order from the answer, not only from the next
                # snapshot: strategies see it in ctx.pending() at once
                self.portfolio.on_order(
                    ev.PendingOrder(
                        r.order,
                        rec.client_id,
                        cmd.symbol,
                        cmd.order_type,
                        cmd.volume,
                        cmd.price,
                        cmd.sl,
                        cmd.tp,
                        cmd.magic,
                        now_ms,
                    )
                )
            self._log(rec)
            return rec, None
        if r.retcode in rc.SUCCESS:
            state = FILLED if isinstance(rec.command, ev.OpenCmd) else DONE
            entry = self.unbooked.entries.get(rec.client_id)
            if entry is not None:  # the volume filled, on its way until its deals show
                spec = self.specs.get(entry.symbol)
                filled = spec.lots_to_steps(r.volume) if spec is not None and r.volume > 0 else 0
                self.unbooked.on_result(rec.client_id, r.order, filled, self.wall_ms())
            if isinstance(rec.command, ev.CancelCmd):
                state = DONE
                self.portfolio.drop_order(rec.command.ticket)
                cancelled = self._by_ticket(rec.command.ticket)
                if cancelled is not None:
                    self._finish(cancelled, CANCELLED, r)
            self._finish(rec, state, r)
            return rec, None
        self.unbooked.refused(rec.client_id)
        self._finish(rec, REJECTED, r)
        return rec, Rejection(rec.intent, r.text or rc.text(r.retcode), r.retcode, now_ms)

    def on_deal(self, d: ev.Deal) -> None:
        """A pending order filled: its record becomes FILLED, and it leaves the book of resting
        orders (also one this process never sent: placed before a restart)."""
        self.portfolio.drop_order(d.order)
        if self.unbooked:
            spec = self.specs.get(d.symbol)
            if spec is not None:
                steps = spec.lots_to_steps(d.volume)
                self.unbooked.on_deal(d.client_id, d.order, d.position_id, steps, self.wall_ms())
        rec = self.orders.get(d.client_id)
        if rec is not None and rec.state == PLACED:
            rec.state = FILLED
            self.open_orders.pop(rec.client_id, None)
            self.portfolio.drop_order(rec.order_ticket)
            self._log(rec)

    def on_position_shown(self, ticket: int) -> None:
        """A POSITION or CLOSED event: the position now shows the deals before it."""
        if self.unbooked:
            self.unbooked.on_position(ticket)

    def on_order_gone(self, ticket: int, state: int) -> None:
        rec = self._by_ticket(ticket)
        if rec is not None:
            why = {2: "cancelled", 5: "rejected", 6: "expired"}.get(state, f"gone (state {state})")
            rec.state, rec.text = CANCELLED, f"pending order {why} outside the brain"
            self.open_orders.pop(rec.client_id, None)
            self._log(rec)

    def _by_ticket(self, ticket: int) -> OrderRecord | None:
        return next((r for r in self.open_orders.values() if r.order_ticket == ticket), None)

    def _finish(self, rec: OrderRecord, state: str, r: ev.OrderResult) -> None:
        rec.state, rec.retcode, rec.text = state, r.retcode, r.text
        rec.order_ticket = rec.order_ticket or r.order
        self.open_orders.pop(rec.client_id, None)
        self._log(rec)

    def _log(self, rec: OrderRecord) -> None:
        if self.audit is not None:
            self.audit(
                "order",
                {
                    "client_id": rec.client_id,
                    "magic": rec.magic,
                    "state": rec.state,
                    "retcode": rec.retcode,
                    "ticket": rec.order_ticket,
                    "text": rec.text,
                    "command": repr(rec.command),
                    "time_ms": rec.sent_ms,
                },
            )

    # -- unknown outcomes --------------------------------------------------------------------
    def expire(self, wall_now_ms: int) -> list[OrderRecord]:
        """Orders without an answer for ``timeout_ms`` become UNKNOWN and are QUERY'd (once per
        timeout period); never resent."""
        late = [
            r
            for r in self.open_orders.values()
            if r.state in (SENT, UNKNOWN) and wall_now_ms - r.sent_wall_ms >= self.timeout_ms
        ]
        for r in late:
            r.state = UNKNOWN
            r.sent_wall_ms = wall_now_ms
            self._log(r)
            self.send(ev.QueryCmd(r.client_id))
        if self.unbooked:
            for cid in self.unbooked.drop_stale(wall_now_ms):
                log.warning(
                    "order %s filled but no deal or position showed it for 60 s: "
                    "targets count the positions alone again",
                    cid,
                )
        return late

    def mark_unknown(self) -> list[OrderRecord]:
        """The connection dropped: every order sent and unanswered has an unknown outcome."""
        out = [r for r in self.open_orders.values() if r.state == SENT]
        for r in out:
            r.state = UNKNOWN
            self._log(r)
        return out

    def query_unknown(self) -> None:
        for r in self.open_orders.values():
            if r.state == UNKNOWN:
                self.send(ev.QueryCmd(r.client_id))

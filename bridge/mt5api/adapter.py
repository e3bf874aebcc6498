"""The brain's terminal over the MetaTrader5 package: it plays the EA's part, so the brain (its
handshake, reconciliation, resynchronisation, exactly-once) is the same for both.

Each ``cycle`` sends what changed at the terminal, oldest first as the EA does: new deals (each
with its position as it is now, or its close), then the books (positions whose stops changed,
pending orders added or gone), then the ticks since the last one sent per symbol
(``copy_ticks_from`` from that second on, without the ticks of that millisecond already sent),
then every M1 bar that closed (``copy_rates_range``); then it executes the brain's commands.

The trade server's clock: the package has no TimeTradeServer, so the adapter's ``clock`` is the
computer's UTC clock plus the server's offset, taken from the first tick to the nearest half hour
(tests give the stand-in terminal's clock).

Exactly once: each client order id is remembered with its result (and in the order's comment at
the trade server). An id seen again is answered from memory, or after a restart from the trade
history (``history_orders_get`` by comment); an order_send that timed out is never sent again:
QUERY looks it up in the history, and says "outcome unknown" (10011) until it is found there.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec
from bridge.mt5api import convert
from bridge.mt5api.package import Api, ApiError, ApiTimeout
from bridge.wire.terminal_link import TerminalLink
from bridge.wire.terminal_wire import BrainUnreachable

log = logging.getLogger("mt5bridge.mt5api")

COPY_TICKS_ALL = -1
TIMEFRAME_M1 = 1
TICKS_PER_CALL = 1000
HISTORY_DAYS = 3  # how far back an order id is looked up by its comment
ORDER_STATE_PLACED, ORDER_STATE_CANCELED, ORDER_STATE_FILLED = 1, 2, 4
HALF_HOUR_MS = 1_800_000


def _ohlc(r: Any) -> tuple[float, float, float, float, int, int]:
    """A copy_rates row's open, high, low, close, tick volume and spread."""
    return (
        float(r["open"]),
        float(r["high"]),
        float(r["low"]),
        float(r["close"]),
        int(r["tick_volume"]),
        int(r["spread"]),
    )


def wall_clock() -> Callable[[int | None], int]:
    """The trade server's time from the computer's UTC clock: ``clock(tick_ms)`` learns the
    offset from a tick's time (to the nearest half hour) the first time it is given one."""
    offset: list[int] = []

    def clock(tick_ms: int | None = None) -> int:
        now = int(time.time() * 1000)
        if not offset and tick_ms:
            offset.append(round((tick_ms - now) / HALF_HOUR_MS) * HALF_HOUR_MS)
        return now + (offset[0] if offset else 0)

    return clock


class ApiTerminal:
    def __init__(
        self,
        api: Api,
        symbols: Sequence[str],
        link: TerminalLink,
        clock: Callable[[int | None], int] | None = None,
        memory: Path | None = None,
    ) -> None:
        """``memory``: a file that keeps every client id's outcome across restarts (as the EA's
        memory file): a fill of an order sent before a restart still carries its id."""
        self.api, self.symbols, self.link = api, list(symbols), link
        self.memory = memory
        self.clock = clock or wall_clock()
        self.specs: dict[str, SymbolSpec] = {}
        self.quotes: dict[str, tuple[float, float]] = {}
        self.last_msc: dict[str, int] = {}  # per symbol, the time of the last tick sent
        self.same_msc: dict[str, int] = {}  # ...and how many ticks of that time were sent
        self.bar_open: dict[str, int] = {}  # per symbol, the open time (s) of the bar in progress
        self.deals_seen: set[int] = set()
        self.deals_after_ms = 0
        self.positions: dict[int, ev.Position] = {}  # as last told to the brain
        self.orders: dict[int, ev.PendingOrder] = {}
        self.results: dict[str, ev.OrderResult] = self._load(memory)  # client id -> outcome
        self.unknown: set[str] = set()  # sent, outcome not known (the call timed out)
        self.hedging = True
        self.halted = False
        self.account_key: tuple[float, ...] = ()
        self.frames = 0

    # -- the memory of client ids -------------------------------------------------------------
    @staticmethod
    def _load(memory: Path | None) -> dict[str, ev.OrderResult]:
        """The outcomes an earlier run wrote (a line each; the last of an id wins)."""
        out: dict[str, ev.OrderResult] = {}
        if memory is None or not memory.exists():
            return out
        for line in memory.read_text(encoding="utf-8").splitlines():
            try:
                r = ev.OrderResult(*json.loads(line))
            except (ValueError, TypeError):
                continue  # a line torn by a crash: its order is found in the history
            out[r.client_id] = r
        return out

    def _remember(self, r: ev.OrderResult) -> None:
        self.results[r.client_id] = r
        if self.memory is not None:
            with self.memory.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(list(r)) + "\n")

    # -- the terminal's state ----------------------------------------------------------------
    def now_ms(self) -> int:
        return self.clock(None)

    def state(self) -> tuple[list[Any], int, int]:
        """Account, terminal, each symbol's spec and quote, positions and orders: what the EA
        sends on connecting. Streaming starts after the quotes sent here."""
        acc = self.api.call("account_info")
        term = self.api.call("terminal_info")
        self.hedging = int(acc.margin_mode) == convert.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
        out: list[Any] = []
        ticks = []
        for s in self.symbols:
            if not self.api.call("symbol_select", s, True, allow_none=True):
                raise ApiError("symbol_select", -4, f"the terminal has no symbol {s!r}")
            self.specs[s] = convert.spec_of(self.api.call("symbol_info", s))
            t = self.api.call("symbol_info_tick", s, allow_none=True)
            if t is not None and int(t.time_msc) > 0:
                ticks.append(
                    ev.Tick(
                        s,
                        int(t.time_msc),
                        float(t.bid),
                        float(t.ask),
                        float(t.last),
                        int(t.volume),
                        int(t.flags),
                    )
                )
                self.last_msc[s], self.same_msc[s] = int(t.time_msc), 1
                self.quotes[s] = (float(t.bid), float(t.ask))
                self.clock(int(t.time_msc))
            else:
                self.last_msc[s], self.same_msc[s] = -1, 0
        now = self.now_ms()
        for s in self.symbols:
            self.bar_open[s] = now // 60_000 * 60
        self.deals_after_ms = now
        out.append(convert.account_of(acc, now))
        out.append(convert.terminal_info_of(term, acc, now, now))
        out += [ev.SymbolInfo(spec) for spec in self.specs.values()]
        out += ticks
        self.positions = {p.ticket: p for p in map(convert.position_of, self._get("positions_get"))}
        self.orders = {o.ticket: o for o in map(convert.order_of, self._get("orders_get"))}
        out += [*self.positions.values(), *self.orders.values()]
        return out, len(self.positions), len(self.orders)

    def _get(self, name: str, *args: Any, **kw: Any) -> list[Any]:
        """A list call (positions_get, orders_get, history_*_get): () for none."""
        got = self.api.call(name, *args, allow_none=True, **kw)
        return list(got) if got is not None else []

    def connect(self) -> None:
        self.link.start(self.state(), self.handle)

    # -- one pass ----------------------------------------------------------------------------
    def cycle(self) -> int:
        """Send what changed, then execute the brain's commands; the frames sent."""
        before = self.link.seq_out
        self._deals()
        self._books()
        self._ticks()
        self._bars()
        sent = self.link.seq_out - before
        self.link.answer(self.handle, self.now_ms())
        self.frames += sent
        return sent

    def _send(self, msg: Any) -> None:
        self.link.send(msg)

    def _deals(self) -> None:
        lo = self.deals_after_ms // 1000 - 1
        hi = self.now_ms() // 1000 + 86_400
        new = [
            d
            for d in self._get("history_deals_get", lo, hi)
            if int(d.ticket) not in self.deals_seen
        ]
        if not new:
            return
        for d in sorted(new, key=lambda d: (int(d.time_msc), int(d.ticket))):
            self.deals_seen.add(int(d.ticket))
            self.deals_after_ms = max(self.deals_after_ms, int(d.time_msc))
            deal = convert.deal_of(d)
            if deal.client_id not in self.results and deal.client_id not in self.unknown:
                deal = deal._replace(client_id="")  # a comment that is not one of our ids
            self._send(deal)
            self.orders.pop(deal.order, None)  # a pending order that filled
            pos = self._position(deal.position_id)
            if pos is not None:
                self.positions[pos.ticket] = pos
                self._send(pos)
            else:
                self.positions.pop(deal.position_id, None)
                self._send(ev.PositionClosed(deal.position_id, deal.time_ms))
        self._account(force=True)

    def _position(self, ticket: int) -> ev.Position | None:
        got = self._get("positions_get", ticket=ticket)
        return convert.position_of(got[0]) if got else None

    def _books(self) -> None:
        for p in map(convert.position_of, self._get("positions_get")):
            known = self.positions.get(p.ticket)
            if known is None or (known.sl, known.tp, known.volume) != (p.sl, p.tp, p.volume):
                self.positions[p.ticket] = p
                self._send(p)  # stops changed (a MODIFY, the server, by hand)
        now = {o.ticket: o for o in map(convert.order_of, self._get("orders_get"))}
        for t, o in now.items():
            if self.orders.get(t) != o:
                self._send(o)
        for t in set(self.orders) - set(now):
            hist = self._get("history_orders_get", ticket=t)
            state = int(hist[0].state) if hist else ORDER_STATE_CANCELED
            if state != ORDER_STATE_FILLED:  # a fill is told by its deal
                self._send(ev.OrderGone(t, state, self.now_ms()))
        self.orders = now

    def _ticks(self) -> None:
        for s in self.symbols:
            while self._new_ticks(s):
                pass

    def _new_ticks(self, s: str) -> bool:
        """The symbol's ticks since the last one sent; True when a full page came (more may
        wait). copy_ticks_from starts at a whole second: a page that does not get past that
        second is asked again, twice as long."""
        last = self.last_msc[s]
        if last < 0:  # no quote yet: streaming starts at the first one
            t = self.api.call("symbol_info_tick", s, allow_none=True)
            if t is None or int(t.time_msc) <= 0:
                return False
            last = self.last_msc[s] = int(t.time_msc)
            self.same_msc[s] = 0
        count = TICKS_PER_CALL
        while True:
            rows = self.api.call(
                "copy_ticks_from", s, last // 1000, count, COPY_TICKS_ALL, allow_none=True
            )
            if rows is None:
                return False
            if len(rows) < count or int(rows[-1]["time_msc"]) // 1000 > last // 1000:
                break
            count *= 2
        same = 0
        for r in rows:
            msc = int(r["time_msc"])
            if msc < self.last_msc[s]:
                continue
            if msc == self.last_msc[s]:
                same += 1
                if same <= self.same_msc[s]:
                    continue  # sent already
                self.same_msc[s] = same
            else:
                self.last_msc[s], self.same_msc[s], same = msc, 1, 1
            bid, ask = float(r["bid"]), float(r["ask"])
            self.quotes[s] = (bid, ask)
            self.clock(msc)
            self._send(
                ev.Tick(s, msc, bid, ask, float(r["last"]), int(r["volume"]), int(r["flags"]))
            )
        return len(rows) >= count

    def _bars(self) -> None:
        cur = self.now_ms() // 60_000 * 60
        for i, s in enumerate(self.symbols):
            if cur <= self.bar_open[s]:
                continue
            rows = self.api.call(
                "copy_rates_range", s, TIMEFRAME_M1, self.bar_open[s], cur - 60, allow_none=True
            )
            for r in rows if rows is not None else ():
                t = int(r["time"])
                if self.bar_open[s] <= t < cur:
                    self._send(ev.Bar(s, 1, t * 1000, *_ohlc(r)))
            self.bar_open[s] = cur
            if i == 0:
                self._account()

    def _account(self, force: bool = False) -> None:
        acc = self.api.call("account_info")
        key = (float(acc.balance), float(acc.equity), float(acc.margin))
        if force or key != self.account_key:
            self.account_key = key
            self._send(convert.account_of(acc, self.now_ms()))

    # -- commands ----------------------------------------------------------------------------
    def handle(self, cmd: Any) -> None:
        if isinstance(cmd, ev.QueryCmd):
            self._send(self.query(cmd.client_id))
        elif isinstance(cmd, ev.SnapshotReq):  # the books now (streaming goes on untouched)
            self._account(force=True)
            self.positions = {
                p.ticket: p for p in map(convert.position_of, self._get("positions_get"))
            }
            self.orders = {o.ticket: o for o in map(convert.order_of, self._get("orders_get"))}
            for e in [*self.positions.values(), *self.orders.values()]:
                self._send(e)
            self._send(ev.SnapshotEnd(cmd.req_id, len(self.positions), len(self.orders)))
        elif isinstance(cmd, ev.DealsSinceReq):
            lo, hi = cmd.after_ms // 1000, self.now_ms() // 1000 + 86_400
            for d in sorted(
                map(convert.deal_of, self._get("history_deals_get", lo, hi)),
                key=lambda d: (d.time_ms, d.ticket),
            ):
                if d.time_ms > cmd.after_ms:
                    self._send(d)
            self._send(ev.SnapshotEnd(cmd.req_id, 0, 0))
        elif isinstance(cmd, ev.HistoryReq):
            self._history(cmd)
        elif isinstance(cmd, ev.HaltCmd):
            self.halted = True
        elif isinstance(
            cmd, ev.OpenCmd | ev.CloseCmd | ev.ModifyCmd | ev.CloseByCmd | ev.CancelCmd
        ):
            result = self.execute(cmd)
            if result is not None:
                self._send(result)
            self._account(force=True)

    def _history(self, req: ev.HistoryReq) -> None:
        closed_by = self.now_ms() // 60_000 * 60_000 - 60_000
        to_ms = min(req.to_ms - 1, closed_by)
        rows = self.api.call(
            "copy_rates_range",
            req.symbol,
            TIMEFRAME_M1,
            req.from_ms // 1000,
            to_ms // 1000,
            allow_none=True,
        )
        if rows is None:
            self._send(ev.HistoryEnd(req.req_id, req.symbol, 0, ev.HISTORY_NO_SYMBOL))
            return
        n = 0
        for r in rows:
            t = int(r["time"]) * 1000
            if req.from_ms <= t < req.to_ms and t <= closed_by:
                self._send(ev.HistoryBar(req.req_id, req.symbol, t, *_ohlc(r)))
                n += 1
        self._send(ev.HistoryEnd(req.req_id, req.symbol, n, ev.HISTORY_OK))

    def execute(self, cmd: ev.TradeCommand) -> ev.OrderResult | None:
        """The command's RESULT; None when order_send timed out (its outcome is unknown)."""
        cid = cmd.client_id
        if cid in self.results or cid in self.unknown:
            return self.query(cid)  # exactly once
        found = self._from_history(cid)
        if found is not None:  # sent before a restart of this adapter
            self._remember(found)
            return found
        if self.halted and isinstance(cmd, ev.OpenCmd):
            return self._refuse(cid, rc.CLIENT_DISABLES_AT, "the brain halted trading")
        ticket = getattr(cmd, "ticket", 0)
        pos = (
            self._position(ticket)
            if isinstance(cmd, ev.CloseCmd | ev.ModifyCmd | ev.CloseByCmd)
            else None
        )
        symbol = pos.symbol if pos is not None else getattr(cmd, "symbol", "")
        try:
            req = convert.request_of(
                cmd, self.specs.get(symbol), self.quotes.get(symbol), pos, self.hedging
            )
        except convert.Refused as exc:
            return self._refuse(cid, exc.retcode, str(exc))
        self.unknown.add(cid)  # from here the outcome is unknown until order_send answers
        try:
            res = self.api.call("order_send", req)
        except ApiTimeout:
            # as a RESULT frame lost on the way: no answer; the brain's QUERY finds the order
            # in the trade history (or hears 10011 until it is there); it is never sent again
            return None
        except ApiError as exc:
            self.unknown.discard(cid)
            return self._refuse(
                cid,
                rc.ERROR,
                f"order_send refused by the terminal: {exc.text} (last_error {exc.code})",
            )
        self.unknown.discard(cid)
        out = convert.result_of(cid, res)
        self._remember(out)
        return out

    def _refuse(self, cid: str, code: int, text: str) -> ev.OrderResult:
        out = ev.OrderResult(cid, code, 0, 0, 0.0, 0.0, text)
        self._remember(out)
        return out

    def query(self, cid: str) -> ev.OrderResult:
        """The remembered outcome of an id: from memory, else from the trade history; retcode 0
        for an id never received, 10011 for one sent whose outcome is not known yet."""
        if cid in self.results:
            return self.results[cid]
        found = self._from_history(cid)
        if found is not None:
            self.unknown.discard(cid)
            self._remember(found)
            return found
        if cid in self.unknown:
            return ev.OrderResult(
                cid, rc.ERROR, 0, 0, 0.0, 0.0, "sent; outcome unknown: see positions and orders"
            )
        return ev.OrderResult(cid, 0, 0, 0, 0.0, 0.0, "no record of this client order id")

    def _from_history(self, cid: str) -> ev.OrderResult | None:
        """The order this id placed, from the trade history or the book (its comment)."""
        comment = cid[: convert.MAX_COMMENT]
        hi = self.now_ms() // 1000 + 86_400
        lo = hi - (HISTORY_DAYS + 1) * 86_400
        for o in [*self._get("history_orders_get", lo, hi), *self._get("orders_get")]:
            if str(o.comment) != comment:
                continue
            deals = [
                d for d in self._get("history_deals_get", lo, hi) if int(d.order) == int(o.ticket)
            ]
            if deals:
                d = deals[-1]
                return ev.OrderResult(
                    cid,
                    rc.DONE,
                    int(o.ticket),
                    int(d.ticket),
                    float(d.volume),
                    float(d.price),
                    "found in the trade history",
                )
            if int(o.state) in (ORDER_STATE_PLACED, 0):
                return ev.OrderResult(
                    cid,
                    rc.PLACED,
                    int(o.ticket),
                    0,
                    float(o.volume_current),
                    float(o.price_open),
                    "found in the trade history",
                )
            return ev.OrderResult(
                cid, rc.CANCEL, int(o.ticket), 0, 0.0, 0.0, "found in the trade history, not filled"
            )
        return None

    # -- running -----------------------------------------------------------------------------
    def run(self, stop: Callable[[], bool], poll_ms: int = 10) -> None:
        """Connect, then cycle until ``stop()``: the terminal is polled every ``poll_ms`` at
        most, a command from the brain is taken as soon as it comes. A lost brain is connected
        again."""
        while not stop():
            try:
                self.connect()
                while not stop():
                    if self.cycle() == 0:  # nothing new: wait for a command up to a poll period
                        for cmd in self.link.commands(poll_ms):
                            self.handle(cmd)
            except (ConnectionError, OSError, BrainUnreachable) as exc:
                log.warning("mt5api: %s; connecting again", exc)
                self.link.close()
                if stop():
                    break
                time.sleep(1.0)
        self.link.close()

"""The brain's terminal on a CCXT exchange: it plays the EA's part (handshake, state, ticks,
closed M1 bars, fills, positions, account; commands executed and answered), so the brain is the
same for an MT5 account and an exchange account.

* Prices come from the exchange's WebSocket ticker (bridge/venue/stream.py) and are stamped
  with the terminal's clock (UTC: a crypto venue's server time); M1 bars are built here from
  the bid of the ticks sent, and closed when the clock passes the minute.
* Orders go over CCXT's REST class: a market order is the exchange's own (HyperLiquid: an IOC
  limit order SLIPPAGE through the quote, CCXT's rule), amounts in the market's precision. Each
  carries the client order id as the exchange's ``clientOrderId``. The id is written to the
  terminal's memory before the order is sent; an order whose call timed out is never sent
  again: its outcome is looked up at the exchange (``fetch_order`` by clientOrderId) when the
  brain asks (QUERY), "outcome unknown" (10011) until it is found.
* Fills are read back at once for an order that filled (``fetch_my_trades``) and from the
  account's fill stream for the rest; each fill is told once (by its trade id).
* A price stream that stays silent for ``stale_ms`` is reported as the terminal losing its
  connection (TerminalInfo.connected false): the brain halts new positions until prices come
  again. Commands the exchange refuses for its rate limit are refused with 10024, never retried
  blindly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec
from bridge.venue import markets as mk
from bridge.venue.book import Book, Held
from bridge.venue.execution import Executor
from bridge.venue.stream import Stream
from bridge.wire.terminal_link import TerminalLink
from bridge.wire.terminal_wire import BrainUnreachable

log = logging.getLogger("mt5bridge.venue")
TICK_FLAGS = 6  # bid and ask changed


def utc_ms() -> int:
    return int(time.time() * 1000)


class VenueTerminal:
    def __init__(
        self,
        rest: Any,
        markets: Mapping[str, str],
        link: TerminalLink,
        *,
        stream: Stream | None = None,
        login: int = 0,
        leverage: int = 0,
        clock: Callable[[], int] = utc_ms,
        memory: Path | None = None,
        stale_ms: int = 30_000,
        account_every_s: float = 5.0,
        demo: bool = False,
    ) -> None:
        """``markets``: the brain's symbol name -> the CCXT market symbol ("BTCUSD" ->
        "BTC/USDC:USDC"); ``leverage``: set on each market at start (0: left as it is);
        ``memory``: a file keeping the client ids and outcomes across restarts; ``demo``: the
        exchange's testnet (the account's trade mode says so)."""
        self.rest, self.link, self.stream = rest, link, stream
        self.names = dict(markets)
        self.by_market = {m: n for n, m in self.names.items()}
        self.login, self.leverage, self.clock = login, leverage, clock
        self.stale_ms, self.account_every_s = stale_ms, account_every_s
        self.trade_mode = ev.ACCOUNT_DEMO if demo else ev.ACCOUNT_REAL
        self.book = Book(memory)
        self.specs: dict[str, SymbolSpec] = {}
        self.quotes: dict[str, tuple[float, float]] = {}
        self.bars: dict[str, list[float]] = {}  # name -> [open time, o, h, l, c, ticks]
        self.positions: dict[str, ev.Position] = {}  # as last told to the brain
        self.orders: dict[int, ev.PendingOrder] = {}
        self.currency = "USDC"
        self.halted = False
        self.connected = True  # the price stream is fresh
        self.last_price = time.monotonic()
        self.account_at = 0.0
        self.frames = self.ticks_sent = 0
        self.exec = Executor(rest, self.book, self.names, self.specs, self.quotes)

    # -- the terminal's state ----------------------------------------------------------------
    def state(self) -> tuple[list[Any], int, int]:
        """Account, terminal, specs, quotes, positions and resting orders."""
        self.rest.load_markets()
        now = self.clock()
        out: list[Any] = []
        ticks = []
        for name, m in self.names.items():
            market = self.rest.market(m)
            self.currency = str(market.get("settle") or market.get("quote") or self.currency)
            t = self.rest.fetch_ticker(m)
            bid = float(t.get("bid") or t.get("close") or 0.0)
            ask = float(t.get("ask") or t.get("close") or 0.0)
            self.specs[name] = mk.spec_of(name, market, int(self.rest.precisionMode), ask)
            if bid > 0 and ask > 0:
                self.quotes[name] = (bid, ask)
                ticks.append(ev.Tick(name, now, bid, ask, 0.0, 0, TICK_FLAGS))
            if self.leverage:
                self.rest.set_leverage(self.leverage, m)
            # fills made before this start are history: the WebSocket's first message repeats
            # them; the brain asks for what it missed (DEALSSINCE), they are not news
            self.book.fills_seen.update(int(t["id"]) for t in self.rest.fetch_my_trades(m))
        self.positions = {p.symbol: p for p in self._fetch_positions(now)}
        self.orders = {o.ticket: o for o in self._fetch_orders()}
        out.append(self._account(now))  # after the positions: their P&L is not balance
        out.append(self._info(now))
        out += [ev.SymbolInfo(s) for s in self.specs.values()]
        out += ticks
        out += [*self.positions.values(), *self.orders.values()]
        self.last_price = time.monotonic()
        return out, len(self.positions), len(self.orders)

    def _info(self, now: int) -> ev.TerminalInfo:
        ok = self.connected
        return ev.TerminalInfo(
            0, ok, True, True, True, True, self.trade_mode, now, now, str(self.rest.id)
        )

    def _account(self, now: int) -> ev.Account:
        bal = self.rest.fetch_balance()
        upnl = sum(p.profit for p in self.positions.values())
        self.account_at = time.monotonic()
        return mk.account_of(self.login, bal, self.currency, self.leverage or 1, upnl, now)

    def _fetch_positions(self, now: int) -> list[ev.Position]:
        got = self.rest.fetch_positions(list(self.names.values()))
        out = []
        for p in got:
            name = self.by_market.get(str(p.get("symbol")))
            size = mk.signed_size(p)
            if name is None or abs(size) < self.specs[name].volume_step / 2:
                continue
            held = self.book.held.get(name)
            if held is None or (held.size > 0) != (size > 0):
                held = self.book.held[name] = self._opened_by(name, size)
            held.size = size
            out.append(mk.position_of(name, p, held.ticket, held.magic, held.client_id, now))
        for name in set(self.book.held) - {p.symbol for p in out}:
            del self.book.held[name]
        return out

    def _opened_by(self, name: str, size: float) -> Held:
        """Who opened the net position of ``size``: the latest fill that started it from flat
        or reversed it (its order id is the position's ticket)."""
        trades = self.rest.fetch_my_trades(self.names[name])
        for t in sorted(
            trades, key=lambda t: (t.get("timestamp") or 0, int(t["id"])), reverse=True
        ):
            start = mk.start_of(t)
            flat = start is not None and abs(start) < self.specs[name].volume_step / 2
            if start is not None and (flat or (start > 0) != (size > 0)):
                oid = int(t.get("order") or 0)
                cid = self.book.client_of(oid, (t.get("info") or {}).get("cloid"))
                return Held(oid, size, self.book.magic.get(cid, 0), cid)
        return Held(mk.account_number(self.names[name]), size, 0, "")

    def _fetch_orders(self) -> list[ev.PendingOrder]:
        out = []
        for name, m in self.names.items():
            for o in self.rest.fetch_open_orders(m):
                out.append(self._pending(name, o))
        return out

    def _pending(self, name: str, o: dict[str, Any]) -> ev.PendingOrder:
        oid = int(o["id"])
        cid = self.book.client_of(oid, o.get("clientOrderId"))
        otype = 2 if o.get("side") == "buy" else 3
        lots = float(o.get("remaining") or o.get("amount") or 0.0)  # contracts = lots
        return ev.PendingOrder(
            oid,
            cid,
            name,
            otype,
            lots,
            float(o.get("price") or 0.0),
            0.0,
            0.0,
            self.book.magic.get(cid, 0),
            int(o.get("timestamp") or self.clock()),
        )

    def connect(self) -> None:
        self.link.start(self.state(), self.handle)

    # -- one pass ----------------------------------------------------------------------------
    def cycle(self) -> int:
        """Send what arrived and what the clock closed, then execute the brain's commands."""
        before = self.link.seq_out
        if self.stream is not None:
            self._arrived(self.stream.drain())
        self._close_bars(self.clock())
        self._freshness()
        for market, oid, sent_ms in self.exec.overdue():  # the stream missed them
            self._fills(self.exec.fills_of(market, oid, sent_ms - 60_000))
        if time.monotonic() - self.account_at >= self.account_every_s:
            self._send(self._account(self.clock()))
        sent = self.link.seq_out - before
        self.link.answer(self.handle, self.clock())
        self.frames += sent
        return sent

    def _send(self, msg: Any) -> None:
        self.link.send(msg)

    def _arrived(self, items: list[tuple[Any, ...]]) -> None:
        """What the stream brought, in order; its fills together at the end (the books are
        asked for once a batch: the exchange's rate limit)."""
        trades: list[dict[str, Any]] = []
        for item in items:
            kind = item[0]
            if kind == "tick":
                self._tick(self.by_market.get(item[1], ""), item[2], item[3])
            elif kind == "trades":
                trades += item[1]
            elif kind == "orders":
                self._order_updates(item[1])
            elif kind == "down":
                log.warning("venue: %s", item[1])
        if trades:
            self._fills(trades)

    def _tick(self, name: str, bid: float, ask: float) -> None:
        if name not in self.specs:
            return
        now = self.clock()
        self.quotes[name] = (bid, ask)
        self._bar(name, now, bid)
        self._send(ev.Tick(name, now, bid, ask, 0.0, 0, TICK_FLAGS))
        self.ticks_sent += 1
        self.last_price = time.monotonic()

    def _bar(self, name: str, now: int, bid: float) -> None:
        minute = now // 60_000 * 60_000
        b = self.bars.get(name)
        if b is not None and minute > b[0]:
            self._send_bar(name, b)
            b = None
        if b is None:
            self.bars[name] = [minute, bid, bid, bid, bid, 1]
        else:
            b[2], b[3], b[4], b[5] = max(b[2], bid), min(b[3], bid), bid, b[5] + 1

    def _close_bars(self, now: int) -> None:
        for name, b in list(self.bars.items()):
            if now >= b[0] + 60_000:
                self._send_bar(name, b)
                del self.bars[name]

    def _send_bar(self, name: str, b: list[float]) -> None:
        bid, ask = self.quotes.get(name, (b[4], b[4]))
        spread = round((ask - bid) / self.specs[name].point)
        self._send(ev.Bar(name, 1, int(b[0]), b[1], b[2], b[3], b[4], int(b[5]), spread))

    def _freshness(self) -> None:
        """No price for stale_ms: the terminal tells the brain it lost its market."""
        fresh = (time.monotonic() - self.last_price) * 1000 < self.stale_ms
        if fresh != self.connected:
            self.connected = fresh
            if not fresh:
                log.warning("venue: no price for %d ms: trading halts", self.stale_ms)
            self._send(self._info(self.clock()))

    # -- fills and positions -----------------------------------------------------------------
    def _fills(self, trades: list[dict[str, Any]]) -> None:
        key = lambda t: (t.get("timestamp") or 0, int(t["id"]))  # noqa: E731
        touched = set()
        for t in sorted(trades, key=key):
            name = self.by_market.get(str(t.get("symbol")))
            if name is None or int(t["id"]) in self.book.fills_seen:
                continue
            self.book.fills_seen.add(int(t["id"]))
            self.exec.arrived(int(t.get("order") or 0), float(t["amount"]))
            self._fill(name, t)
            touched.add(name)
        if touched:
            now = self.clock()
            fetched = {p.symbol: p for p in self._fetch_positions(now)}
            for name in set(self.positions) - set(fetched):  # closed at the exchange
                self._send(ev.PositionClosed(self.positions.pop(name).ticket, now))
            for p in fetched.values():  # a deal, then its position as it is now (as the EA)
                if p.symbol in touched or self.positions.get(p.symbol) != p:
                    self.positions[p.symbol] = p
                    self._send(p)
            self._send(self._account(now))

    def _fill(self, name: str, t: dict[str, Any]) -> None:
        spec = self.specs[name]
        held = self.book.held.get(name)
        start = mk.start_of(t)
        if start is None:
            start = held.size if held is not None else 0.0
        amount = float(t["amount"])
        step = spec.volume_step
        end = round((start + (amount if t.get("side") == "buy" else -amount)) / step) * step
        oid = int(t.get("order") or 0)
        cid = self.book.client_of(oid, (t.get("info") or {}).get("cloid"))
        magic = self.book.magic.get(cid, held.magic if held is not None else 0)
        if held is None or abs(start) < step / 2:  # opened from flat: its order is the ticket
            held = Held(oid, end, magic, cid)
        ticket = held.ticket
        self._send(mk.deal_of(name, t, step, start, ticket, cid, magic))
        self.orders.pop(oid, None)
        if abs(end) < step / 2:
            self.book.held.pop(name, None)
            if self.positions.pop(name, None) is not None:
                self._send(ev.PositionClosed(ticket, int(t.get("timestamp") or self.clock())))
        else:
            held.size = end
            self.book.held[name] = held

    def _order_updates(self, orders: list[dict[str, Any]]) -> None:
        for o in orders:
            oid = int(o["id"])
            name = self.by_market.get(str(o.get("symbol")))
            if name is None:
                continue
            if o.get("status") == "open":
                p = self._pending(name, o)
                if self.orders.get(oid) != p:
                    self.orders[oid] = p
                    self._send(p)
            elif oid in self.orders and not float(o.get("filled") or 0.0):
                del self.orders[oid]  # a fill is told by its deal
                self._send(ev.OrderGone(oid, 2, self.clock()))

    # -- commands ----------------------------------------------------------------------------
    def handle(self, cmd: Any) -> None:
        now = self.clock()
        if isinstance(cmd, ev.QueryCmd):
            answer, found = self.exec.query(cmd.client_id, now)
            self._send(answer)
            self._fills(found)
        elif isinstance(cmd, ev.SnapshotReq):  # the books now (streaming goes on untouched)
            self.positions = {p.symbol: p for p in self._fetch_positions(now)}
            self.orders = {o.ticket: o for o in self._fetch_orders()}
            self._send(self._account(now))
            for e in [*self.positions.values(), *self.orders.values()]:
                self._send(e)
            self._send(ev.SnapshotEnd(cmd.req_id, len(self.positions), len(self.orders)))
        elif isinstance(cmd, ev.DealsSinceReq):
            self._deals_since(cmd)
        elif isinstance(cmd, ev.HistoryReq):
            self._history(cmd)
        elif isinstance(cmd, ev.HaltCmd):
            self.halted = True
        elif isinstance(
            cmd, ev.OpenCmd | ev.CloseCmd | ev.ModifyCmd | ev.CloseByCmd | ev.CancelCmd
        ):
            r, trades, resting = self.exec.execute(cmd, self.halted, self.book.held, now)
            if r is not None:
                self._send(r)
            if resting is not None:
                p = self._pending(self._name_of(resting), resting)
                self.orders[p.ticket] = p
                self._send(p)
            done = r is not None and r.retcode == rc.DONE
            if isinstance(cmd, ev.CancelCmd) and done and cmd.ticket in self.orders:
                del self.orders[cmd.ticket]
                self._send(ev.OrderGone(cmd.ticket, 2, now))
            self._fills(trades)

    def _name_of(self, order: dict[str, Any]) -> str:
        return self.by_market.get(str(order.get("symbol")), next(iter(self.names)))

    def _deals_since(self, req: ev.DealsSinceReq) -> None:
        """The account's fills after a time, all of them, told or not (a resync, a start: the
        brain keeps each deal once); the books are not moved by them (SNAPREQ tells those)."""
        for name, m in self.names.items():
            trades = self.rest.fetch_my_trades(m, req.after_ms + 1)
            for t in sorted(trades, key=lambda t: (t.get("timestamp") or 0, int(t["id"]))):
                if int(t["timestamp"] or 0) <= req.after_ms:
                    continue
                oid = int(t.get("order") or 0)
                cid = self.book.client_of(oid, (t.get("info") or {}).get("cloid"))
                held = self.book.held.get(name)
                start = mk.start_of(t) or 0.0
                ticket = held.ticket if held is not None else oid
                magic = self.book.magic.get(cid, held.magic if held is not None else 0)
                self.book.fills_seen.add(int(t["id"]))
                step = self.specs[name].volume_step
                self._send(mk.deal_of(name, t, step, start, ticket, cid, magic))
        self._send(ev.SnapshotEnd(req.req_id, 0, 0))

    def _history(self, req: ev.HistoryReq) -> None:
        """Closed M1 bars from the exchange's candles (fetch_ohlcv), oldest first."""
        m = self.names.get(req.symbol)
        if m is None:
            self._send(ev.HistoryEnd(req.req_id, req.symbol, 0, ev.HISTORY_NO_SYMBOL))
            return
        closed_by = self.clock() // 60_000 * 60_000 - 60_000
        n, since = 0, req.from_ms
        while since < min(req.to_ms, closed_by + 1):
            rows = self.rest.fetch_ohlcv(m, "1m", since, 500)
            rows = [r for r in rows if since <= r[0] < req.to_ms and r[0] <= closed_by]
            if not rows:
                break
            for t, o, h, lo, c, _v in rows:
                self._send(ev.HistoryBar(req.req_id, req.symbol, int(t), o, h, lo, c, 0, 0))
                n += 1
            since = int(rows[-1][0]) + 60_000
        self._send(ev.HistoryEnd(req.req_id, req.symbol, n, ev.HISTORY_OK))

    # -- running -----------------------------------------------------------------------------
    def run(self, stop: Callable[[], bool], poll_ms: int = 2) -> None:
        """Connect, then cycle until ``stop()``. A lost brain is connected again; an exchange
        that cannot be reached is tried again after a pause that doubles up to 30 s."""
        pause = 1.0
        while not stop():
            try:
                self.connect()
                pause = 1.0
                while not stop():
                    if self.cycle() == 0:  # nothing new: wait for a command up to a poll period
                        for cmd in self.link.commands(poll_ms):
                            self.handle(cmd)
            except (ConnectionError, OSError, BrainUnreachable) as exc:
                log.warning("venue: %s; connecting again", exc)
            except Exception as exc:  # CCXT's errors: the exchange is not reachable now
                if type(exc).__module__.split(".")[0] != "ccxt":
                    raise
                why = f"{type(exc).__name__}: {exc}"
                log.warning("venue: the exchange failed (%s); again in %.0f s", why, pause)
            self.link.close()
            if stop():
                break
            time.sleep(pause)
            pause = min(pause * 2, 30.0)
        self.close()

    def close(self) -> None:
        """The session with the brain and the price stream ended."""
        self.link.close()
        if self.stream is not None:
            self.stream.stop()

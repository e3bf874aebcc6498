"""The brain's trade commands at the exchange, over CCXT's REST class: each id executed once.

An id is noted in the terminal's memory before its order is sent. A command whose id is known is
answered from memory or looked up at the exchange by its clientOrderId, never sent again. A call
that timed out leaves the outcome unknown (the RESULT is withheld, as a RESULT frame lost on the
way would be): the brain's QUERY looks it up until the exchange knows it. Errors are CCXT's
unified exceptions, mapped to MT5's retcodes: a rate limit (10024) and a refusal are final for
that id, the brain decides again with a new one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec
from bridge.venue.book import Book, Held
from bridge.venue.markets import cloid

Trades = list[dict[str, Any]]
log = logging.getLogger("mt5bridge.venue")
FILLS_WAIT_S = 2.0  # an order's fills not on the stream by then are asked for
FILLS_GIVE_UP_S = 900.0  # ... and asked for again until then
TRADES_LOOKBACK_MS = 120_000  # an order's fills are looked for this far before it was sent
UNKNOWN_TEXT = "sent; outcome unknown: see positions and orders"


class Refused(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


def _errors() -> Any:
    import ccxt  # type: ignore[import-untyped]

    return ccxt


class Executor:
    def __init__(
        self,
        rest: Any,
        book: Book,
        names: Mapping[str, str],
        specs: Mapping[str, SymbolSpec],
        quotes: Mapping[str, tuple[float, float]],
    ) -> None:
        self.rest, self.book, self.names = rest, book, names
        self.specs, self.quotes = specs, quotes
        # orders filled whose fills the stream has not brought yet: order id -> (market,
        # contracts still to come, when to ask the REST API (monotonic s), sent at ms, the wait
        # before asking again (s, doubling), when to give up (monotonic s))
        self.awaiting: dict[int, tuple[str, float, float, int, float, float]] = {}

    # -- executing ---------------------------------------------------------------------------
    def execute(
        self, cmd: ev.TradeCommand, halted: bool, held: Mapping[str, Held], now_ms: int
    ) -> tuple[ev.OrderResult | None, Trades, dict[str, Any] | None]:
        """The command's RESULT (None: outcome unknown), the fills it made, the order it left
        resting. ``held``: the brain symbol -> its net position (ticket, size)."""
        cid = cmd.client_id
        if cid in self.book.results or cid in self.book.unknown or cid in self.book.magic:
            r, trades = self.query(cid, now_ms)
            return r, trades, None  # known: answered, never sent again
        try:
            return self._send(cmd, halted, held, now_ms)
        except Refused as exc:
            out = ev.OrderResult(cid, exc.code, 0, 0, 0.0, 0.0, str(exc))
            self.book.remember(out)
            return out, [], None

    def _send(
        self, cmd: ev.TradeCommand, halted: bool, held: Mapping[str, Held], now_ms: int
    ) -> tuple[ev.OrderResult | None, Trades, dict[str, Any] | None]:
        cid = cmd.client_id
        if isinstance(cmd, ev.CancelCmd):
            return self._cancel(cmd), [], None
        if isinstance(cmd, ev.ModifyCmd | ev.CloseByCmd):
            raise Refused(
                rc.INVALID,
                "this venue terminal keeps no stops and has no close-by (netting account)",
            )
        reduce = isinstance(cmd, ev.CloseCmd)
        if isinstance(cmd, ev.CloseCmd):
            found = [(n, h) for n, h in held.items() if h.ticket == cmd.ticket]
            if not found:
                raise Refused(rc.POSITION_CLOSED, f"no open position {cmd.ticket}")
            name, h = found[0]
            is_buy = h.size < 0
            lots = cmd.volume or abs(h.size)
            kind, limit, magic = "market", 0.0, h.magic
        else:
            if halted:
                raise Refused(rc.CLIENT_DISABLES_AT, "the brain halted trading")
            if cmd.order_type > 3:
                raise Refused(rc.INVALID, "stop orders are not supported on this venue")
            name, is_buy, lots = cmd.symbol, cmd.order_type % 2 == 0, cmd.volume
            kind = "market" if cmd.order_type < 2 else "limit"
            limit, magic = cmd.price, cmd.magic
        if name not in self.specs:
            raise Refused(rc.INVALID, f"this venue terminal does not trade {name!r}")
        market, spec = self.names[name], self.specs[name]
        amount = float(self.rest.amount_to_precision(market, lots))  # contracts = lots
        if amount <= 0 or amount < spec.volume_min - spec.volume_step / 2:
            raise Refused(
                rc.INVALID_VOLUME, f"{lots} lots is below the market's minimum {spec.volume_min}"
            )
        price = limit
        if kind == "market":
            q = self.quotes.get(name)
            if q is None:
                raise Refused(rc.PRICE_OFF, f"no price for {name} yet")
            price = q[1] if is_buy else q[0]  # the exchange's market order: a limit through it
        params: dict[str, Any] = {"clientOrderId": cloid(cid)}
        if reduce:
            params["reduceOnly"] = True
        self.book.note_id(cid, magic)
        self.book.unknown.add(cid)
        ccxt = _errors()
        side = "buy" if is_buy else "sell"
        try:
            order = self.rest.create_order(market, kind, side, amount, price, params)
        except ccxt.RateLimitExceeded as exc:
            self.book.unknown.discard(cid)
            raise Refused(rc.TOO_MANY_REQUESTS, f"the exchange's rate limit: {exc}") from None
        except (ccxt.RequestTimeout, ccxt.NetworkError):
            return None, [], None  # the brain's QUERY finds it at the exchange
        except ccxt.InsufficientFunds as exc:
            self.book.unknown.discard(cid)
            raise Refused(rc.NO_MONEY, f"the exchange: {exc}") from None
        except ccxt.ExchangeError as exc:
            self.book.unknown.discard(cid)
            raise Refused(rc.REJECT, f"the exchange refused the order: {exc}") from None
        r, _trades, resting = self._outcome(cid, order, market, now_ms, fetch=False)
        if r.retcode == rc.DONE:  # its fills come over the stream (or are asked for later)
            due = time.monotonic() + FILLS_WAIT_S
            left, until = float(order.get("filled") or 0.0), due + FILLS_GIVE_UP_S
            self.awaiting[r.order] = (market, left, due, now_ms, FILLS_WAIT_S, until)
        return r, [], resting

    def _outcome(
        self, cid: str, order: dict[str, Any], market: str, now_ms: int, fetch: bool = True
    ) -> tuple[ev.OrderResult, Trades, dict[str, Any] | None]:
        """The RESULT of an order the exchange answered or knows; with ``fetch``, its fills
        (a request of the account's fills, which the exchange's rate limit weighs heavily)."""
        oid = int(order.get("id") or 0)
        filled = float(order.get("filled") or 0.0)
        trades: Trades = []
        if filled > 0:
            if fetch:
                trades = self.fills_of(market, oid, now_ms - TRADES_LOOKBACK_MS)
            deal = int(trades[0]["id"]) if trades else 0
            avg = float(order.get("average") or (trades[0]["price"] if trades else 0.0))
            r = ev.OrderResult(cid, rc.DONE, oid, deal, filled, avg, "filled")
        elif order.get("status") in (None, "open"):
            price = float(order.get("price") or 0.0)
            amount = float(order.get("amount") or 0.0)
            r = ev.OrderResult(cid, rc.PLACED, oid, 0, amount, price, "resting")
        else:
            r = ev.OrderResult(cid, rc.CANCEL, oid, 0, 0.0, 0.0, f"{order.get('status')}")
        self.book.remember(r)
        resting = order if r.retcode == rc.PLACED else None
        return r, trades, resting

    def fills_of(self, market: str, oid: int, since_ms: int) -> Trades:
        """The account's fills of order ``oid`` since ``since_ms`` (REST)."""
        got = self.rest.fetch_my_trades(market, since_ms)
        return [t for t in got if int(t.get("order") or 0) == oid]

    def overdue(self) -> list[tuple[str, int, int]]:
        """Orders whose fills the stream did not bring in time: (market, order id, sent ms)
        for the caller to ask the REST API; each is asked again after a doubling wait until its
        fills came, and given up (logged) after FILLS_GIVE_UP_S."""
        now = time.monotonic()
        late = []
        for oid, (m, left, due, ms, wait, until) in list(self.awaiting.items()):
            if now < due:
                continue
            if now >= until:
                del self.awaiting[oid]
                log.error("venue: the fills of order %d were not found at the exchange", oid)
                continue
            late.append((m, oid, ms))
            wait = min(wait * 2, 60.0)
            self.awaiting[oid] = (m, left, now + wait, ms, wait, until)
        return late

    def arrived(self, oid: int, amount: float) -> None:
        """A fill of ``oid`` came (``amount`` contracts)."""
        if oid in self.awaiting:
            m, left, due, ms, wait, until = self.awaiting[oid]
            if left - amount <= left * 1e-9:
                del self.awaiting[oid]
            else:
                self.awaiting[oid] = (m, left - amount, due, ms, wait, until)

    def _name(self, market: str) -> str:
        return next(n for n, m in self.names.items() if m == market)

    def _cancel(self, cmd: ev.CancelCmd) -> ev.OrderResult:
        ccxt = _errors()
        self.book.note_id(cmd.client_id, 0)
        for market in self.names.values():
            try:
                self.rest.cancel_order(str(cmd.ticket), market)
            except ccxt.OrderNotFound:
                continue
            except ccxt.ExchangeError as exc:
                raise Refused(rc.REJECT, f"the exchange refused the cancel: {exc}") from None
            out = ev.OrderResult(cmd.client_id, rc.DONE, cmd.ticket, 0, 0.0, 0.0, "cancelled")
            self.book.remember(out)
            return out
        raise Refused(rc.INVALID, f"no resting order {cmd.ticket}")

    # -- looking up --------------------------------------------------------------------------
    def query(self, cid: str, now_ms: int) -> tuple[ev.OrderResult, Trades]:
        """An id's outcome: from memory, else found at the exchange by its clientOrderId;
        10011 while an order sent is not found there, 0 for an id never received."""
        if cid in self.book.results:
            return self.book.results[cid], []
        if cid not in self.book.magic and cid not in self.book.unknown:
            return ev.OrderResult(cid, 0, 0, 0, 0.0, 0.0, "no record of this client order id"), []
        ccxt = _errors()
        for market in self.names.values():
            try:
                order = self.rest.fetch_order(None, market, {"clientOrderId": cloid(cid)})
            except ccxt.OrderNotFound:
                continue
            except ccxt.BaseError:
                break  # not reachable now: still unknown
            if order and order.get("id") and order.get("symbol") in (None, market):
                r, trades, _ = self._outcome(cid, order, market, now_ms)
                return r, trades
        return ev.OrderResult(cid, rc.ERROR, 0, 0, 0.0, 0.0, UNKNOWN_TEXT), []

"""Portfolio: positions per ticket (hedging) or per symbol (netting), realised and unrealised
P&L, the closed-trade list and the balance/equity curve, all built from the terminal's events.

Balance is the initial balance plus every deal's profit, commission and swap, so replay and a
fake-terminal session over the same fixture produce the same numbers; the terminal's own
account snapshot is kept beside it (``account``) for the risk gate and for reconciliation.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from itertools import repeat
from typing import Any, NamedTuple

from bridge.brain.curve import Curve
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec

# the owner of positions no strategy runs or adopts (opened by hand, by another EA)
OUTSIDE = "outside strategies"


class Trade(NamedTuple):
    """One closed (or partly closed) position: the columns of trades.csv. ``strategy`` is the
    strategy whose order closed it, else the position's owner (the strategy of its magic or the
    one that adopts it; "outside strategies" for none); ``magic`` is the position's own."""

    strategy: str
    magic: int
    symbol: str
    side: str
    volume: float
    open_time: int
    open_price: float
    close_time: int
    close_price: float
    sl: float
    tp: float
    profit: float
    commission: float
    swap: float
    reason: str

    @property
    def net(self) -> float:
        """What the trade made: profit, commission and swap."""
        return self.profit + self.commission + self.swap


class Portfolio:
    def __init__(
        self,
        specs: dict[str, SymbolSpec],
        initial_balance: float,
        names: dict[int, str] | None = None,
    ) -> None:
        self.specs = specs
        self.balance = initial_balance
        self.initial_balance = initial_balance
        self.names = names or {}
        self.positions: dict[int, ev.Position] = {}
        self.orders: dict[int, ev.PendingOrder] = {}
        self.bid: dict[str, float] = {}
        self.ask: dict[str, float] = {}
        self.account: ev.Account | None = None
        self.realised = 0.0
        self.trades: list[Trade] = []
        # per trade, the first curve point whose balance holds it (the index the next mark gets)
        self.trade_marks: list[int] = []
        self.curve = Curve()  # (server ms, balance, equity) in columns
        self._entry_commission: dict[int, float] = {}
        # client order id -> magic of the strategy that sent it (set by the engine): a trade is
        # credited to the strategy whose order closed it, even on a ticket it adopted
        self.owner_of: Callable[[str], int | None] = lambda client_id: None
        self.last_deal: dict[int, ev.Deal] = {}  # position ticket -> its latest deal
        # the strategy a position belongs to (its magic's, or the one that adopts it), by name;
        # set by the engine, which knows the strategies
        self.position_owner: Callable[[ev.Position], str] = lambda p: self.names.get(
            p.magic, OUTSIDE
        )
        # per owner, the open P&L at each point of the curve (0 where it had none open)
        self.open_by_owner: dict[str, array[float]] = {}
        self.at_start: list[ev.Position] | None = None  # open before any strategy acted
        self._owners: dict[int, str] = {}  # position ticket -> owner, decided once

    # -- crash checkpoints -------------------------------------------------------------------
    _KEPT = (
        "balance",
        "initial_balance",
        "positions",
        "orders",
        "bid",
        "ask",
        "account",
        "realised",
        "_entry_commission",
        "last_deal",
    )

    def capture(self) -> dict[str, Any]:
        """The books as last known (reports' trade lists and curves cover one process only)."""
        return {k: getattr(self, k) for k in self._KEPT}

    def restore(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    # -- events ------------------------------------------------------------------------------
    def on_tick(self, t: ev.Tick) -> None:
        self.bid[t.symbol] = t.bid
        self.ask[t.symbol] = t.ask

    def on_deal(self, d: ev.Deal) -> None:
        cash = d.profit + d.commission + d.swap
        self.balance += cash
        self.last_deal[d.position_id] = d
        if d.entry == ev.ENTRY_IN:
            self._entry_commission[d.position_id] = (
                self._entry_commission.get(d.position_id, 0.0) + d.commission
            )
            return
        self.realised += cash
        pos = self.positions.get(d.position_id)
        if pos is None:  # a deal for a position we never saw (restart): still counted in balance
            return
        frac = min(d.volume / pos.volume, 1.0) if pos.volume > 0 else 1.0
        closer = self.owner_of(d.client_id) if d.client_id else None
        # the strategy whose order closed it, else the position's owner (its magic's, the one
        # that adopts it, or none)
        who = self.owner(pos) if closer is None else self.names.get(closer, f"magic {closer}")
        entry_comm = self._entry_commission.get(d.position_id, 0.0)
        self._entry_commission[d.position_id] = entry_comm * (1 - frac)
        self.trade_marks.append(len(self.curve))
        self.trades.append(
            Trade(
                who,
                pos.magic,
                pos.symbol,
                "buy" if pos.is_buy else "sell",
                d.volume,
                pos.time_ms,
                pos.price_open,
                d.time_ms,
                d.price,
                pos.sl,
                pos.tp,
                d.profit,
                round(entry_comm * frac + d.commission, 2),
                d.swap,
                ev.DEAL_REASON_NAMES.get(d.reason, str(d.reason)),
            )
        )

    def on_position(self, p: ev.Position) -> None:
        self.positions[p.ticket] = p

    def on_closed(self, c: ev.PositionClosed) -> ev.Position | None:
        self._entry_commission.pop(c.ticket, None)
        return self.positions.pop(c.ticket, None)

    def on_order(self, o: ev.PendingOrder) -> None:
        self.orders[o.ticket] = o

    def drop_order(self, ticket: int) -> None:
        self.orders.pop(ticket, None)

    # -- readings ----------------------------------------------------------------------------
    def price_pnl(self, p: ev.Position) -> float:
        """A position's open P&L at the latest quote, swap not included."""
        spec = self.specs.get(p.symbol)
        if spec is None:  # no specification from the terminal: take its own figure
            return p.profit
        px = (self.bid if p.is_buy else self.ask).get(p.symbol)
        return 0.0 if px is None else spec.profit(p.is_buy, p.volume, p.price_open, px)

    def unrealised(self) -> float:
        total = 0.0
        for p in self.positions.values():
            total += self.price_pnl(p)
            total += p.swap
        return total

    def equity(self) -> float:
        return self.balance + self.unrealised()

    def owner(self, p: ev.Position) -> str:
        o = self._owners.get(p.ticket)
        if o is None:
            o = self._owners[p.ticket] = self.position_owner(p)
        return o

    def mark(self, time_ms: int) -> None:
        """Append a point to the balance/equity curve (once per time), and each owner's open
        P&L at it."""
        if self.curve.last_time() == time_ms:
            return
        total = 0.0
        if self.positions:
            by: dict[str, float] = {}
            for p in self.positions.values():
                u = self.price_pnl(p)
                total += u  # in unrealised()'s order: the curve is the same to the last bit
                total += p.swap
                o = self.owner(p)
                by[o] = by.get(o, 0.0) + u + p.swap
            n = len(self.curve)
            for o, u in by.items():
                self.owner_curve(o, n).append(u)
        c = self.curve
        c.t.append(time_ms)
        c.bal.append(round(self.balance, 2))
        c.eq.append(round(self.balance + total, 2))

    def owner_curve(self, owner: str, upto: int) -> array[float]:
        """The owner's open P&L series, padded with zeros to ``upto`` points."""
        arr = self.open_by_owner.get(owner)
        if arr is None:
            arr = self.open_by_owner[owner] = array("d")
        if len(arr) < upto:
            arr.extend(repeat(0.0, upto - len(arr)))
        return arr

    def gross_lots(self, symbol: str | None = None) -> float:
        return sum(
            p.volume for p in self.positions.values() if symbol is None or p.symbol == symbol
        )

    def net_lots(self, symbol: str, magic: int) -> float:
        return sum(
            (p.volume if p.is_buy else -p.volume)
            for p in self.positions.values()
            if p.symbol == symbol and p.magic == magic
        )

    def of_magic(self, magic: int, symbol: str | None = None) -> list[ev.Position]:
        return [
            p
            for p in self.positions.values()
            if p.magic == magic and (symbol is None or p.symbol == symbol)
        ]

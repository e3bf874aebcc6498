"""Portfolio: positions per ticket (hedging) or per symbol (netting), realised and unrealised
P&L, the closed-trade list and the balance/equity curve, all built from the terminal's events.

Balance is the initial balance plus every deal's profit, commission and swap, so replay and a
fake-terminal session over the same fixture produce the same numbers; the terminal's own
account snapshot is kept beside it (``account``) for the risk gate and for reconciliation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec


class Trade(NamedTuple):
    """One closed (or partly closed) position: the columns of trades.csv. ``strategy`` is the
    strategy whose order closed it (or that owns its magic); ``magic`` is the position's own."""

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
        self.curve: list[tuple[int, float, float]] = []  # (server ms, balance, equity)
        self._entry_commission: dict[int, float] = {}
        # client order id -> magic of the strategy that sent it (set by the engine): a trade is
        # credited to the strategy whose order closed it, even on a ticket it adopted
        self.owner_of: Callable[[str], int | None] = lambda client_id: None
        self.last_deal: dict[int, ev.Deal] = {}  # position ticket -> its latest deal

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
        owner = self.owner_of(d.client_id) if d.client_id else None
        who = pos.magic if owner is None else owner
        entry_comm = self._entry_commission.get(d.position_id, 0.0)
        self._entry_commission[d.position_id] = entry_comm * (1 - frac)
        self.trades.append(
            Trade(
                self.names.get(who, f"magic {who}"),
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
    def unrealised(self) -> float:
        total = 0.0
        for p in self.positions.values():
            px = (self.bid if p.is_buy else self.ask).get(p.symbol)
            spec = self.specs.get(p.symbol)
            if spec is None:  # no specification from the terminal: take its own figure
                total += p.profit
            elif px is not None:
                total += spec.profit(p.is_buy, p.volume, p.price_open, px)
            total += p.swap
        return total

    def equity(self) -> float:
        return self.balance + self.unrealised()

    def mark(self, time_ms: int) -> None:
        """Append a point to the balance/equity curve (once per time)."""
        if self.curve and self.curve[-1][0] == time_ms:
            return
        self.curve.append((time_ms, round(self.balance, 2), round(self.equity(), 2)))

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

"""The simulated account's books: balance, positions (per ticket on hedging accounts, one per
symbol on netting accounts), pending orders, fills, closes and deals, margin and equity.
``BrokerSim`` (bridge/sim/broker.py) adds the market and the commands on top."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from bridge.data.account import AccountSettings

Event = ev.Deal | ev.OrderResult | ev.Position | ev.PositionClosed | ev.PendingOrder


@dataclass(slots=True)
class SimPosition:
    ticket: int
    symbol: str
    is_buy: bool
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    swap: float
    time_ms: int
    client_id: str


@dataclass(slots=True)
class SimOrder:
    ticket: int
    client_id: str
    symbol: str
    order_type: int
    volume: float
    price: float
    sl: float
    tp: float
    magic: int
    time_ms: int


class SimLedger:
    def __init__(self, specs: dict[str, SymbolSpec], settings: AccountSettings) -> None:
        self.specs = specs
        self.settings = settings
        self.balance = settings.balance
        self.positions: dict[int, SimPosition] = {}
        self.orders: dict[int, SimOrder] = {}
        self.bid: dict[str, float] = {}
        self.ask: dict[str, float] = {}
        self.now_ms = 0
        self._next_ticket = 1000
        self._next_deal = 500_000
        self.deals: list[ev.Deal] = []  # the account's deal history, oldest first

    def seed_position(self, p: ev.Position) -> int:
        """Put an existing position on the books (a session that starts from a locked hedge)."""
        ticket = self._new_ticket()
        self.positions[ticket] = SimPosition(
            ticket,
            p.symbol,
            p.is_buy,
            p.volume,
            p.price_open,
            p.sl,
            p.tp,
            p.magic,
            p.swap,
            p.time_ms,
            p.client_id,
        )
        return ticket

    # -- account -----------------------------------------------------------------------------
    def close_price(self, p: SimPosition) -> float:
        """What closing the position would get now: bid for a long, ask for a short."""
        return (self.bid if p.is_buy else self.ask).get(p.symbol, p.price_open)

    def floating(self) -> float:
        total = 0.0
        for p in self.positions.values():
            spec = self.specs[p.symbol]
            px = self.close_price(p)
            total += spec.profit(p.is_buy, p.volume, p.price_open, px) + p.swap
        return total

    def margin(self, extra: tuple[str, bool, float, float] | None = None) -> float:
        legs: dict[str, list[float]] = {}
        price: dict[str, float] = {}
        items = [(p.symbol, p.is_buy, p.volume, p.price_open) for p in self.positions.values()]
        if extra is not None:
            items.append(extra)
        for sym, is_buy, vol, px in items:
            leg = legs.setdefault(sym, [0.0, 0.0])
            leg[0 if is_buy else 1] += vol
            price[sym] = self.ask.get(sym, px)
        lev = self.settings.leverage
        total = 0.0
        for sym, (lng, sht) in legs.items():
            lots = max(lng, sht) if self.settings.hedging else abs(lng - sht)
            total += self.specs[sym].margin(lots, price[sym], lev)
        return total

    def account(self) -> ev.Account:
        equity = self.balance + self.floating()
        margin = self.margin()
        s = self.settings
        return ev.Account(
            s.login,
            round(self.balance, 2),
            round(equity, 2),
            round(margin, 2),
            round(equity - margin, 2),
            s.leverage,
            s.currency,
            s.hedging,
            self.now_ms,
        )

    def position_event(self, p: SimPosition) -> ev.Position:
        spec = self.specs[p.symbol]
        px = self.close_price(p)
        profit = round(spec.profit(p.is_buy, p.volume, p.price_open, px), 2)
        return ev.Position(
            p.ticket,
            p.symbol,
            p.is_buy,
            p.volume,
            p.price_open,
            p.sl,
            p.tp,
            p.magic,
            profit,
            round(p.swap, 2),
            p.time_ms,
            p.client_id,
        )

    def order_event(self, o: SimOrder) -> ev.PendingOrder:
        return ev.PendingOrder(
            o.ticket,
            o.client_id,
            o.symbol,
            o.order_type,
            o.volume,
            o.price,
            o.sl,
            o.tp,
            o.magic,
            o.time_ms,
        )

    def snapshot(self) -> list[ev.Position | ev.PendingOrder]:
        out: list[ev.Position | ev.PendingOrder] = [
            self.position_event(p) for p in self.positions.values()
        ]
        out.extend(self.order_event(o) for o in self.orders.values())
        return out

    def _fill(
        self,
        client_id: str,
        symbol: str,
        is_buy: bool,
        volume: float,
        price: float,
        sl: float,
        tp: float,
        magic: int,
        reason: int,
        order: int,
    ) -> list[Event]:
        """A buy or sell of ``volume`` at ``price``: opens, adds to, reduces or reverses."""
        target: SimPosition | None = None
        if not self.settings.hedging:
            net = next((p for p in self.positions.values() if p.symbol == symbol), None)
            if net is not None and net.is_buy != is_buy:
                spec = self.specs[symbol]
                close_steps = min(spec.lots_to_steps(volume), spec.lots_to_steps(net.volume))
                out = self._close(
                    net, spec.steps_to_lots(close_steps), price, reason, client_id, order
                )
                rest = spec.steps_to_lots(spec.lots_to_steps(volume) - close_steps)
                if rest > 0:
                    out += self._fill(
                        client_id, symbol, is_buy, rest, price, sl, tp, magic, reason, order
                    )
                return out
            if net is not None:  # netting: same direction adds at the average price
                total = net.volume + volume
                net.price_open = (net.price_open * net.volume + price * volume) / total
                net.volume = self.specs[symbol].steps_to_lots(
                    self.specs[symbol].lots_to_steps(total)
                )
                net.sl, net.tp = sl or net.sl, tp or net.tp
                target = net
        if target is None:
            target = SimPosition(
                order, symbol, is_buy, volume, price, sl, tp, magic, 0.0, self.now_ms, client_id
            )
            self.positions[target.ticket] = target
        deal = self._deal(
            order,
            target.ticket,
            client_id,
            symbol,
            is_buy,
            ev.ENTRY_IN,
            volume,
            price,
            0.0,
            magic,
            reason,
        )
        return [deal, self.position_event(target)]

    def _close(
        self,
        p: SimPosition,
        volume: float,
        price: float,
        reason: int,
        client_id: str,
        order: int,
        entry: int = ev.ENTRY_OUT,
    ) -> list[Event]:
        spec = self.specs[p.symbol]
        profit = round(spec.profit(p.is_buy, volume, p.price_open, price), 2)
        left = spec.lots_to_steps(p.volume) - spec.lots_to_steps(volume)
        swap = p.swap if left == 0 else round(p.swap * volume / p.volume, 2)
        p.swap -= swap
        deal = self._deal(
            order,
            p.ticket,
            client_id,
            p.symbol,
            not p.is_buy,
            entry,
            volume,
            price,
            profit,
            p.magic,
            reason,
            swap,
        )
        if left == 0:
            del self.positions[p.ticket]
            return [deal, ev.PositionClosed(p.ticket, self.now_ms)]
        p.volume = spec.steps_to_lots(left)
        return [deal, self.position_event(p)]

    def _deal(
        self,
        order: int,
        position_id: int,
        client_id: str,
        symbol: str,
        is_buy: bool,
        entry: int,
        volume: float,
        price: float,
        profit: float,
        magic: int,
        reason: int,
        swap: float = 0.0,
    ) -> ev.Deal:
        commission = -round(self.settings.commission.get(symbol, 0.0) * volume, 2)
        self.balance += profit + commission + swap
        self._next_deal += 1
        deal = ev.Deal(
            self._next_deal,
            order,
            position_id,
            client_id,
            symbol,
            is_buy,
            entry,
            volume,
            price,
            commission,
            round(swap, 2),
            profit,
            magic,
            self.now_ms,
            reason,
        )
        self.deals.append(deal)
        return deal

    def _new_ticket(self) -> int:
        self._next_ticket += 1
        return self._next_ticket

"""The broker simulator: one module behind both the fake terminal and in-process replay.

It holds the account, positions (per ticket on hedging accounts, one per symbol on netting
accounts) and pending orders, executes commands with MT5's checks and retcodes, and triggers
pending orders and SL/TP along the tick path. Modelling choices (docs/simulator.md):

* Market orders fill at ask (buys) or bid (sells) plus ``slippage_points`` against the trader.
* SL and stop orders fill at their level when the path reaches it from the previous quote of the
  same symbol less than 60 s earlier (a continuous path), else at the current price (a gap).
  TP and limit orders fill at their level, or at the current price when that is better (gap).
* Commission: ``commission[symbol]`` money per lot, charged (negative) on every deal, entry and
  exit alike.
* Swap: the symbol's swap_long/short in points per lot, at each midnight that ends a Monday to
  Friday server day, tripled for Wednesday.
* Margin: lots x contract x price x margin_rate / leverage per position; on hedging accounts a
  symbol's hedged lots count once (the larger leg). An order that would leave free margin below
  zero is refused with NO_MONEY.
"""

from __future__ import annotations

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import FILLING_FOK, FILLING_IOC, SymbolSpec
from bridge.core.timeutil import MS_PER_DAY, weekday
from bridge.data.account import AccountSettings
from bridge.sim.ledger import Event, SimLedger, SimOrder, SimPosition

__all__ = ["BrokerSim", "Event"]
DEDUP_MEMORY = 10_000


class BrokerSim(SimLedger):
    def __init__(self, specs: dict[str, SymbolSpec], settings: AccountSettings) -> None:
        super().__init__(specs, settings)
        self.quote_ms: dict[str, int] = {}
        self._results: dict[str, ev.OrderResult] = {}
        self.executed_ids: list[str] = []  # every client id that reached execution, in order

    # -- market ------------------------------------------------------------------------------
    def on_tick(self, symbol: str, time_ms: int, bid: float, ask: float) -> list[Event]:
        out: list[Event] = []
        if self.now_ms and time_ms // MS_PER_DAY > self.now_ms // MS_PER_DAY:
            self._rollover(self.now_ms, time_ms)
        prev_ms = self.quote_ms.get(symbol, -1)
        prev_bid, prev_ask = self.bid.get(symbol, bid), self.ask.get(symbol, ask)
        continuous = prev_ms >= 0 and time_ms - prev_ms <= 60_000
        self.bid[symbol], self.ask[symbol], self.quote_ms[symbol] = bid, ask, time_ms
        self.now_ms = max(self.now_ms, time_ms)
        if self.orders:
            for o in [o for o in self.orders.values() if o.symbol == symbol]:
                px = self._pending_fill_price(o, bid, ask, prev_bid, prev_ask, continuous)
                if px is not None:
                    del self.orders[o.ticket]
                    out += self._fill(
                        o.client_id,
                        o.symbol,
                        o.order_type % 2 == 0,
                        o.volume,
                        px,
                        o.sl,
                        o.tp,
                        o.magic,
                        ev.REASON_EXPERT,
                        o.ticket,
                    )
        if self.positions:
            for p in [p for p in self.positions.values() if p.symbol == symbol]:
                hit = self._stop_hit(p, bid, ask, prev_bid, prev_ask, continuous)
                if hit is not None and p.ticket in self.positions:
                    px, reason = hit
                    out += self._close(p, p.volume, px, reason, "", self._new_ticket())
        return out

    def _pending_fill_price(
        self, o: SimOrder, bid: float, ask: float, pbid: float, pask: float, continuous: bool
    ) -> float | None:
        t = o.order_type
        if t == ev.BUY_LIMIT and ask <= o.price:
            return min(o.price, ask) if not continuous or pask <= o.price else o.price
        if t == ev.SELL_LIMIT and bid >= o.price:
            return max(o.price, bid) if not continuous or pbid >= o.price else o.price
        if t == ev.BUY_STOP and ask >= o.price:
            return o.price if continuous and pask < o.price else ask
        if t == ev.SELL_STOP and bid <= o.price:
            return o.price if continuous and pbid > o.price else bid
        return None

    def _stop_hit(
        self, p: SimPosition, bid: float, ask: float, pbid: float, pask: float, continuous: bool
    ) -> tuple[float, int] | None:
        px, prev = (bid, pbid) if p.is_buy else (ask, pask)
        sign = 1 if p.is_buy else -1
        if p.sl and sign * (px - p.sl) <= 0:
            return (p.sl if continuous and sign * (prev - p.sl) > 0 else px), ev.REASON_SL
        if p.tp and sign * (px - p.tp) >= 0:
            better = sign * (px - p.tp) > 0 and not (continuous and sign * (prev - p.tp) < 0)
            return (px if better else p.tp), ev.REASON_TP
        return None

    def _rollover(self, before_ms: int, after_ms: int) -> None:
        for day in range(before_ms // MS_PER_DAY, after_ms // MS_PER_DAY):
            wd = weekday(day * MS_PER_DAY)
            if wd in (0, 6):
                continue
            mult = 3 if wd == 3 else 1
            for p in self.positions.values():
                spec = self.specs[p.symbol]
                pts = spec.swap_long if p.is_buy else spec.swap_short
                p.swap += pts * spec.money_per_point(p.volume) * mult

    # -- commands ----------------------------------------------------------------------------
    def execute(self, cmd: ev.TradeCommand) -> list[Event]:
        """Execute one command; the first event returned is always its OrderResult."""
        known = self._results.get(cmd.client_id)
        if known is not None:  # exactly once: a repeated id returns the first outcome
            return [known]
        self.executed_ids.append(cmd.client_id)
        if isinstance(cmd, ev.OpenCmd):
            out = self._open(cmd)
        elif isinstance(cmd, ev.CloseCmd):
            out = self._close_cmd(cmd)
        elif isinstance(cmd, ev.ModifyCmd):
            out = self._modify(cmd)
        elif isinstance(cmd, ev.CloseByCmd):
            out = self._close_by(cmd)
        else:
            out = self._cancel(cmd)
        result = out[0]
        assert isinstance(result, ev.OrderResult)
        self._remember(result)
        return out

    def refuse(self, cmd: ev.TradeCommand, code: int) -> ev.OrderResult:
        """The trade server refuses ``cmd`` with ``code`` (injected fault); remembered like any
        outcome, so a repeated id or a QUERY gets the same answer."""
        known = self._results.get(cmd.client_id)
        if known is not None:
            return known
        result = self._reject(cmd.client_id, code, "injected")
        self._remember(result)
        return result

    def query(self, client_id: str) -> ev.OrderResult:
        known = self._results.get(client_id)
        return known if known is not None else self._reject(client_id, rc.UNKNOWN_ID)

    def _remember(self, result: ev.OrderResult) -> None:
        self._results[result.client_id] = result
        if len(self._results) > DEDUP_MEMORY:
            del self._results[next(iter(self._results))]

    def _reject(self, client_id: str, code: int, detail: str = "") -> ev.OrderResult:
        text = rc.text(code) + (f": {detail}" if detail else "")
        return ev.OrderResult(client_id, code, 0, 0, 0.0, 0.0, text)

    def _tradeable(self, symbol: str, is_buy: bool | None) -> int:
        """0 when the symbol can trade now, else the retcode that says why not."""
        spec = self.specs.get(symbol)
        if spec is None:
            return rc.INVALID
        if symbol not in self.bid:
            return rc.PRICE_OFF
        if spec.trade_mode == 0:
            return rc.TRADE_DISABLED
        if not spec.is_open(self.now_ms):
            return rc.MARKET_CLOSED
        if is_buy is not None:
            if spec.trade_mode == 1 and not is_buy:
                return rc.LONG_ONLY
            if spec.trade_mode == 2 and is_buy:
                return rc.SHORT_ONLY
            if spec.trade_mode == 3:
                return rc.CLOSE_ONLY
        return 0

    def _stops_ok(self, spec: SymbolSpec, is_buy: bool, ref: float, sl: float, tp: float) -> bool:
        gap = spec.stops_level * spec.point
        sign = 1 if is_buy else -1
        if sl and not sign * (ref - sl) >= gap - spec.point * 1e-6:
            return False
        return not (tp and not sign * (tp - ref) >= gap - spec.point * 1e-6)

    def _open(self, c: ev.OpenCmd) -> list[Event]:
        if not 0 <= c.order_type <= 5:
            return [self._reject(c.client_id, rc.INVALID, f"order type {c.order_type}")]
        is_buy = c.order_type % 2 == 0
        code = self._tradeable(c.symbol, is_buy)
        if code:
            return [self._reject(c.client_id, code, c.symbol)]
        spec = self.specs[c.symbol]
        if not spec.is_valid_volume(c.volume):
            return [self._reject(c.client_id, rc.INVALID_VOLUME, f"{c.volume} lots")]
        market = c.order_type <= 1
        filling = c.filling
        if filling == -1:
            filling = (
                0
                if spec.filling_modes & FILLING_FOK
                else 1
                if spec.filling_modes & FILLING_IOC
                else 2
            )
        allowed = (
            (filling == 0 and spec.filling_modes & FILLING_FOK)
            or (filling == 1 and spec.filling_modes & FILLING_IOC)
            or (filling == 2 and not market)
        )
        if not allowed:
            return [self._reject(c.client_id, rc.INVALID_FILL, f"filling {c.filling}")]
        bid, ask = self.bid[c.symbol], self.ask[c.symbol]
        slip = self.settings.slippage_points * spec.point
        if market:
            price = ask + slip if is_buy else bid - slip
        else:
            price = spec.normalize_price(c.price)
            gap = spec.stops_level * spec.point
            t = c.order_type
            ok = (
                (t == ev.BUY_LIMIT and price <= ask - gap)
                or (t == ev.SELL_LIMIT and price >= bid + gap)
                or (t == ev.BUY_STOP and price >= ask + gap)
                or (t == ev.SELL_STOP and price <= bid - gap)
            )
            if not ok:
                return [
                    self._reject(c.client_id, rc.INVALID_PRICE, f"{price} vs bid {bid} ask {ask}")
                ]
        ref = (bid if is_buy else ask) if market else price
        if not self._stops_ok(spec, is_buy, ref, c.sl, c.tp):
            return [self._reject(c.client_id, rc.INVALID_STOPS, f"sl {c.sl} tp {c.tp}")]
        equity = self.balance + self.floating()
        if self.margin((c.symbol, is_buy, c.volume, price)) > equity:
            return [self._reject(c.client_id, rc.NO_MONEY)]
        ticket = self._new_ticket()
        if not market:
            o = SimOrder(
                ticket,
                c.client_id,
                c.symbol,
                c.order_type,
                c.volume,
                price,
                c.sl,
                c.tp,
                c.magic,
                self.now_ms,
            )
            self.orders[ticket] = o
            res = ev.OrderResult(
                c.client_id, rc.PLACED, ticket, 0, c.volume, price, rc.text(rc.PLACED)
            )
            return [res, self.order_event(o)]
        fills = self._fill(
            c.client_id,
            c.symbol,
            is_buy,
            c.volume,
            price,
            c.sl,
            c.tp,
            c.magic,
            ev.REASON_EXPERT,
            ticket,
        )
        return self._done(c.client_id, ticket, fills, c.volume, price)

    def _close_cmd(self, c: ev.CloseCmd) -> list[Event]:
        p = self.positions.get(c.ticket)
        if p is None:
            return [self._reject(c.client_id, rc.POSITION_CLOSED, f"ticket {c.ticket}")]
        code = self._tradeable(p.symbol, None)
        if code:
            return [self._reject(c.client_id, code, p.symbol)]
        spec = self.specs[p.symbol]
        volume = p.volume if c.volume == 0 else c.volume
        if not spec.is_valid_volume(volume):
            return [self._reject(c.client_id, rc.INVALID_VOLUME, f"{c.volume} lots")]
        if spec.lots_to_steps(volume) > spec.lots_to_steps(p.volume):
            return [self._reject(c.client_id, rc.INVALID_CLOSE_VOLUME, f"{volume} > {p.volume}")]
        slip = self.settings.slippage_points * spec.point
        price = self.bid[p.symbol] - slip if p.is_buy else self.ask[p.symbol] + slip
        ticket = self._new_ticket()
        out = self._close(p, volume, price, ev.REASON_EXPERT, c.client_id, ticket)
        return self._done(c.client_id, ticket, out, volume, price)

    def _close_by(self, c: ev.CloseByCmd) -> list[Event]:
        a, b = self.positions.get(c.ticket), self.positions.get(c.opposite)
        if a is None or b is None:
            return [
                self._reject(c.client_id, rc.POSITION_CLOSED, f"ticket {c.ticket}/{c.opposite}")
            ]
        if not self.settings.hedging or a.symbol != b.symbol or a.is_buy == b.is_buy:
            return [
                self._reject(
                    c.client_id, rc.INVALID, "close-by needs opposite positions of one symbol"
                )
            ]
        code = self._tradeable(a.symbol, None)
        if code:
            return [self._reject(c.client_id, code, a.symbol)]
        spec = self.specs[a.symbol]
        volume = spec.steps_to_lots(min(spec.lots_to_steps(a.volume), spec.lots_to_steps(b.volume)))
        # both legs close at the opposite position's open price: the pair realises exactly
        # the difference of the two open prices, once, and pays no spread
        b_open = b.price_open
        ticket = self._new_ticket()
        out = self._close(a, volume, b_open, ev.REASON_EXPERT, c.client_id, ticket, ev.ENTRY_OUT_BY)
        out += self._close(
            b, volume, b_open, ev.REASON_EXPERT, c.client_id, ticket, ev.ENTRY_OUT_BY
        )
        return self._done(c.client_id, ticket, out, volume, b_open)

    def _done(
        self, client_id: str, order: int, out: list[Event], volume: float, price: float
    ) -> list[Event]:
        """DONE, naming the first deal of ``out``, followed by ``out``."""
        deal = out[0]
        assert isinstance(deal, ev.Deal)
        res = ev.OrderResult(
            client_id, rc.DONE, order, deal.ticket, volume, price, rc.text(rc.DONE)
        )
        return [res, *out]

    def _modify(self, c: ev.ModifyCmd) -> list[Event]:
        p = self.positions.get(c.ticket)
        if p is None:
            return [self._reject(c.client_id, rc.POSITION_CLOSED, f"ticket {c.ticket}")]
        spec = self.specs[p.symbol]
        if spec.to_points(c.sl) == spec.to_points(p.sl) and spec.to_points(c.tp) == spec.to_points(
            p.tp
        ):
            return [self._reject(c.client_id, rc.NO_CHANGES)]
        ref = self.bid[p.symbol] if p.is_buy else self.ask[p.symbol]
        if not self._stops_ok(spec, p.is_buy, ref, c.sl, c.tp):
            return [self._reject(c.client_id, rc.INVALID_STOPS, f"sl {c.sl} tp {c.tp}")]
        p.sl, p.tp = c.sl, c.tp
        res = ev.OrderResult(c.client_id, rc.DONE, 0, 0, 0.0, 0.0, rc.text(rc.DONE))
        return [res, self.position_event(p)]

    def _cancel(self, c: ev.CancelCmd) -> list[Event]:
        o = self.orders.pop(c.ticket, None)
        if o is None:
            return [self._reject(c.client_id, rc.INVALID, f"no pending order {c.ticket}")]
        return [ev.OrderResult(c.client_id, rc.DONE, o.ticket, 0, 0.0, 0.0, rc.text(rc.DONE))]

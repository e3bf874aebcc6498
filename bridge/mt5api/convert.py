"""The package's structures as the project's events, and the brain's commands as the package's
trade requests. Field names are the package's (its named tuples mirror MQL5's properties in lower
case: ``symbol_info().trade_tick_value`` is SYMBOL_TRADE_TICK_VALUE); times the package returns
in seconds or milliseconds of the trade server's clock, which is the project's server time.

Requests are built as the EA builds them (mql5/Include/MT5Bridge/Executor.mqh): the client order
id in the comment, the strategy's magic, volumes and prices normalised to the symbol, the filling
mode the symbol allows, a market order priced at the current quote with the command's deviation,
a partial close as an opposite deal naming the position (a netting account's is an opposite deal
on the symbol's one position), close-by only on a hedging account."""

from __future__ import annotations

from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import FILLING_FOK, FILLING_IOC, SymbolSpec

# the package's constants (MQL5's values)
ACTION_DEAL, ACTION_PENDING, ACTION_SLTP, ACTION_REMOVE, ACTION_CLOSE_BY = 1, 5, 6, 8, 10
ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN = 0, 1, 2
ORDER_TIME_GTC, ORDER_TIME_DAY = 0, 1
SYMBOL_EXPIRATION_GTC = 1
ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 2
MAX_COMMENT = 31  # the terminal cuts a longer comment


def spec_of(info: Any) -> SymbolSpec:
    """A symbol's specification from ``symbol_info`` (no sessions: the package does not give
    them; the brain's session checks then treat the symbol as always open)."""
    return SymbolSpec(
        symbol=info.name,
        digits=int(info.digits),
        point=float(info.point),
        tick_size=float(info.trade_tick_size),
        tick_value=float(info.trade_tick_value),
        contract_size=float(info.trade_contract_size),
        volume_min=float(info.volume_min),
        volume_step=float(info.volume_step),
        volume_max=float(info.volume_max),
        stops_level=int(info.trade_stops_level),
        freeze_level=int(info.trade_freeze_level),
        filling_modes=int(info.filling_mode),
        trade_mode=int(info.trade_mode),
        swap_long=float(info.swap_long),
        swap_short=float(info.swap_short),
    )


def account_of(info: Any, time_ms: int) -> ev.Account:
    return ev.Account(
        int(info.login),
        float(info.balance),
        float(info.equity),
        float(info.margin),
        float(info.margin_free),
        int(info.leverage),
        str(info.currency),
        int(info.margin_mode) == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING,
        time_ms,
    )


def terminal_info_of(term: Any, acc: Any, server_ms: int, gmt_ms: int) -> ev.TerminalInfo:
    return ev.TerminalInfo(
        int(term.build),
        bool(term.connected),
        bool(term.trade_allowed),
        not bool(term.tradeapi_disabled),
        bool(acc.trade_allowed),
        bool(acc.trade_expert),
        int(acc.trade_mode),
        server_ms,
        gmt_ms,
        str(acc.company),
    )


def position_of(p: Any) -> ev.Position:
    return ev.Position(
        int(p.ticket),
        str(p.symbol),
        int(p.type) == 0,
        float(p.volume),
        float(p.price_open),
        float(p.sl),
        float(p.tp),
        int(p.magic),
        float(p.profit),
        float(p.swap),
        int(p.time_msc),
        str(p.comment),
    )


def order_of(o: Any) -> ev.PendingOrder:
    return ev.PendingOrder(
        int(o.ticket),
        str(o.comment),
        str(o.symbol),
        int(o.type),
        float(o.volume_current),
        float(o.price_open),
        float(o.sl),
        float(o.tp),
        int(o.magic),
        int(o.time_setup_msc),
    )


def deal_of(d: Any) -> ev.Deal:
    return ev.Deal(
        int(d.ticket),
        int(d.order),
        int(d.position_id),
        str(d.comment),
        str(d.symbol),
        int(d.type) == 0,
        int(d.entry),
        float(d.volume),
        float(d.price),
        float(d.commission),
        float(d.swap),
        float(d.profit),
        int(d.magic),
        int(d.time_msc),
        int(d.reason),
    )


def filling(modes: int) -> int:
    """The filling mode the symbol allows (SYMBOL_FILLING_MODE flags), as the EA chooses it."""
    if modes & FILLING_FOK:
        return ORDER_FILLING_FOK
    if modes & FILLING_IOC:
        return ORDER_FILLING_IOC
    return ORDER_FILLING_RETURN


class Refused(ValueError):
    """A command the adapter refuses before the trade server sees it: a retcode and why."""

    def __init__(self, retcode: int, text: str) -> None:
        super().__init__(text)
        self.retcode = retcode


def request_of(
    cmd: ev.TradeCommand,
    spec: SymbolSpec | None,
    bid_ask: tuple[float, float] | None,
    position: ev.Position | None,
    hedging: bool,
    gtc: bool = True,
) -> dict[str, Any]:
    """The order_send request for a command. ``spec`` and ``bid_ask``: the symbol's (of the
    position for a close or a modify); ``position``: the one a close, modify or close-by names
    (None: it no longer exists). Raises Refused."""
    comment = cmd.client_id[:MAX_COMMENT]
    if isinstance(cmd, ev.CancelCmd):
        return {"action": ACTION_REMOVE, "order": cmd.ticket, "comment": comment}
    if isinstance(cmd, ev.ModifyCmd | ev.CloseCmd | ev.CloseByCmd) and position is None:
        raise Refused(rc.POSITION_CLOSED, f"position {cmd.ticket} does not exist")
    if spec is None:
        raise Refused(rc.INVALID, "the symbol is not known to the terminal")
    if isinstance(cmd, ev.ModifyCmd):
        assert position is not None
        return {
            "action": ACTION_SLTP,
            "position": position.ticket,
            "symbol": position.symbol,
            "sl": spec.normalize_price(cmd.sl),
            "tp": spec.normalize_price(cmd.tp),
            "magic": position.magic,
            "comment": comment,
        }
    if isinstance(cmd, ev.CloseByCmd):
        assert position is not None
        if not hedging:
            raise Refused(
                rc.INVALID, "close-by needs a hedging account: close the position instead"
            )
        return {
            "action": ACTION_CLOSE_BY,
            "position": position.ticket,
            "position_by": cmd.opposite,
            "magic": position.magic,
            "comment": comment,
        }
    if bid_ask is None:
        raise Refused(rc.PRICE_OFF, "no quote for the symbol yet")
    bid, ask = bid_ask
    if isinstance(cmd, ev.CloseCmd):
        assert position is not None
        volume = spec.normalize_lots(cmd.volume if cmd.volume > 0 else position.volume)
        if volume <= 0 or volume > position.volume + 1e-9:
            raise Refused(rc.INVALID_VOLUME, f"cannot close {cmd.volume} of {position.volume}")
        req = {
            "action": ACTION_DEAL,
            "symbol": position.symbol,
            "volume": volume,
            "type": 1 if position.is_buy else 0,
            "price": bid if position.is_buy else ask,
            "deviation": cmd.deviation,
            "magic": position.magic,
            "comment": comment,
            "type_filling": filling(spec.filling_modes),
        }
        if hedging:
            req["position"] = position.ticket
        return req
    assert isinstance(cmd, ev.OpenCmd)
    volume = spec.normalize_lots(cmd.volume)
    if not spec.is_valid_volume(volume):
        raise Refused(rc.INVALID_VOLUME, f"volume {cmd.volume} outside the symbol's limits")
    market = cmd.order_type in (0, 1)
    price = (ask if cmd.order_type == 0 else bid) if market else spec.normalize_price(cmd.price)
    req = {
        "action": ACTION_DEAL if market else ACTION_PENDING,
        "symbol": cmd.symbol,
        "volume": volume,
        "type": cmd.order_type,
        "price": price,
        "sl": spec.normalize_price(cmd.sl) if cmd.sl else 0.0,
        "tp": spec.normalize_price(cmd.tp) if cmd.tp else 0.0,
        "deviation": cmd.deviation,
        "magic": cmd.magic,
        "comment": comment,
        "type_filling": cmd.filling if cmd.filling >= 0 else filling(spec.filling_modes),
    }
    if not market:
        req["type_time"] = ORDER_TIME_GTC if gtc else ORDER_TIME_DAY
    return req


def result_of(client_id: str, res: Any) -> ev.OrderResult:
    """order_send's OrderSendResult as the brain's RESULT."""
    return ev.OrderResult(
        client_id,
        int(res.retcode),
        int(res.order),
        int(res.deal),
        float(res.volume),
        float(res.price),
        str(res.comment),
    )

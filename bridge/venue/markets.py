"""CCXT's structures as the project's events (pure functions, no network).

* A market is a symbol spec: a lot is one contract, CCXT's unit of ``amount`` (``contractSize``
  of the base asset; 1 on spot markets), the volume step is the market's amount precision, the
  point its price precision (CCXT's TICK_SIZE mode; a DECIMAL_PLACES exchange's precision is
  turned into a step), volume min/max from the market's amount limits and, where a minimum
  order value is given, from that value at the current price.
* A client order id becomes the exchange's ``clientOrderId``: HyperLiquid wants a 128-bit hex
  ``cloid``, so the id is hashed to one (the same id always gives the same cloid: after a
  restart an order is found by it).
* A position is the symbol's one net position (venues of this kind are netting accounts); its
  ticket is the exchange order id of the fill that opened it.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from bridge.core import events as ev
from bridge.core.symbols import FILLING_IOC, SymbolSpec

DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE = 2, 3, 4  # CCXT's precision modes
SLIPPAGE = 0.05  # a market order is a limit this far through the price (HyperLiquid's rule)


def cloid(client_id: str) -> str:
    """The 128-bit hex id the exchange keeps for the client order id ``client_id``."""
    return "0x" + hashlib.sha256(client_id.encode()).hexdigest()[:32]


def _step(value: Any, mode: int) -> float:
    """A precision as a step (0.01), whatever the exchange's mode."""
    if value is None:
        raise ValueError("the market gives no precision")
    v = float(value)
    if mode == TICK_SIZE:
        return v
    return 10.0 ** -int(v)


def _digits(step: float) -> int:
    """Decimals needed to write multiples of ``step`` (0.5 -> 1, 0.00001 -> 5, 1 -> 0)."""
    for d in range(11):
        if abs(round(step, d) - step) < step * 1e-9:
            return d
    return 10


def spec_of(name: str, market: dict[str, Any], mode: int, price: float = 0.0) -> SymbolSpec:
    """The brain's spec of ``market`` under the brain's symbol name ``name``. ``price``: a
    recent price, to turn a minimum order value (``limits.cost.min``) into a minimum volume."""
    if not market.get("contract") and market.get("type") != "spot":
        raise ValueError(f"{market.get('symbol')}: not a contract or spot market")
    contract = float(market.get("contractSize") or 1.0)
    prec = market.get("precision") or {}
    step = _step(prec.get("amount"), mode)  # lots = contracts
    tick = _step(prec.get("price"), mode)
    limits = market.get("limits") or {}
    vmin = float((limits.get("amount") or {}).get("min") or 0.0)
    cost_min = float((limits.get("cost") or {}).get("min") or 0.0)
    if cost_min > 0 and price > 0:  # the smallest whole number of steps worth cost_min
        vmin = max(vmin, math.ceil(cost_min / (price * contract) / step - 1e-9) * step)
    vmin = max(vmin, step)
    vmax = float((limits.get("amount") or {}).get("max") or 0.0) or 1e9
    return SymbolSpec(
        symbol=name,
        digits=_digits(tick),
        point=tick,
        tick_size=tick,
        tick_value=tick * contract,  # quote currency per tick per lot
        contract_size=contract,
        volume_min=round(vmin, 12),
        volume_step=step,
        volume_max=vmax,
        filling_modes=FILLING_IOC,
    )


def signed_size(position: dict[str, Any]) -> float:
    """A CCXT position's contracts, negative when short."""
    n = float(position.get("contracts") or 0.0)
    return -n if position.get("side") == "short" else n


def position_of(
    name: str, p: dict[str, Any], ticket: int, magic: int, client_id: str, time_ms: int
) -> ev.Position:
    """The net position ``p`` (a CCXT position) as the brain's, lots = contracts."""
    funding = ((p.get("info") or {}).get("position") or {}).get("cumFunding") or {}
    return ev.Position(
        ticket,
        name,
        p.get("side") != "short",
        abs(signed_size(p)),
        float(p.get("entryPrice") or 0.0),
        0.0,
        0.0,
        magic,
        float(p.get("unrealizedPnl") or 0.0),
        -float(funding.get("sinceOpen") or 0.0),  # funding paid is the venue's swap
        int(p.get("timestamp") or time_ms),
        client_id,
    )


def entry_of(start: float, delta: float, step: float) -> int:
    """MT5's deal entry for a fill of signed ``delta`` on a net position of signed ``start``,
    compared in whole volume steps (no float equality)."""
    a, d = round(start / step), round(delta / step)
    e = a + d
    if a == 0 or (a > 0) == (d > 0):
        return ev.ENTRY_IN
    if e == 0 or (e > 0) == (a > 0):
        return ev.ENTRY_OUT
    return ev.ENTRY_INOUT


def start_of(trade: dict[str, Any]) -> float | None:
    """The signed position before a fill, where the exchange says it (HyperLiquid does)."""
    raw = (trade.get("info") or {}).get("startPosition")
    return float(raw) if raw is not None else None


def deal_of(
    name: str,
    t: dict[str, Any],
    step: float,
    start: float,
    position_id: int,
    client_id: str,
    magic: int,
) -> ev.Deal:
    """A CCXT trade (one fill of the account; its amount in contracts) as the brain's deal."""
    lots = float(t["amount"])
    is_buy = t.get("side") == "buy"
    fee = t.get("fee") or {}
    pnl = (t.get("info") or {}).get("closedPnl")
    return ev.Deal(
        int(t["id"]),
        int(t.get("order") or 0),
        position_id,
        client_id,
        name,
        is_buy,
        entry_of(start, lots if is_buy else -lots, step),
        lots,
        float(t["price"]),
        -float(fee.get("cost") or 0.0),
        0.0,
        float(pnl) if pnl is not None else 0.0,
        magic,
        int(t.get("timestamp") or 0),
        ev.REASON_EXPERT,
    )


def account_number(address: str) -> int:
    """A stable 63-bit account number for a wallet address or API key (the brain's login)."""
    return int.from_bytes(hashlib.sha256(address.lower().encode()).digest()[:8], "big") >> 1


def account_of(
    login: int, balance: dict[str, Any], currency: str, leverage: int, upnl: float, time_ms: int
) -> ev.Account:
    """The account from CCXT's balance (``total`` is the equity of a margin account; its
    ``used`` the margin). Balance = equity less the open positions' unrealised P&L."""
    cur = balance.get(currency) or {}
    equity = float(cur.get("total") or 0.0)
    used = float(cur.get("used") or 0.0)
    return ev.Account(
        login, equity - upnl, equity, used, equity - used, leverage, currency, False, time_ms
    )

"""The two-bucket plan's database rows (bridge/persist/plan_tables.py: the seed's schema), built
from the plan as plain dicts with times in ms; the strategy sends them as ``Record`` intents."""

from __future__ import annotations

import json
from typing import Any

from strategies.unit_plan import Change, UnitPlan

# the seed's phase numbers ("a clean return to Phase 1"): advance 1 .. recovery 4
PHASE_NUMBER = {"advance": 1, "retracement": 2, "decline": 3, "recovery": 4, "stopped": 0}
# positions rows: (row number, allocation_type, position_type, the plan's leg or None for cash)
POSITION_ROWS = (
    (0, "long", "long", "long"),
    (1, "hedge", "long", "hedge_long"),
    (2, "hedge", "short", "hedge_short"),
    (3, "long", "cash", None),
)
ACTIONS = {  # (leg, side of the fill) -> the seed's action word
    ("long", "buy"): "buy",
    ("long", "sell"): "sell",
    ("hedge_long", "buy"): "buy",
    ("hedge_long", "sell"): "sell",
    ("hedge_short", "sell"): "short",
    ("hedge_short", "buy"): "cover",
}


def plan_row(
    plan_id: int, name: str, symbol: str, pl: UnitPlan, price: float, times: dict[str, Any]
) -> dict[str, Any]:
    """trading_plans. ``times``: created_ms, updated_ms, last_reset_ms (None before a reset)."""
    return {
        "id": plan_id,
        "symbol": symbol,
        "margin_amount": pl.margin,
        "leverage": pl.leverage,
        "unit_value": pl.unit_value,
        "entry_price": pl.entry,
        "peak_price": pl.peak,
        "valley_price": pl.valley,
        "current_phase": pl.phase,
        "reset_count": pl.reset_count,
        "is_active": not pl.stopped,
        "auto_execute": not pl.paused and not pl.stopped,
        "name": name,
        "split": pl.split,
        "unit_distance": pl.unit,
        "long_pct": pl.long_pct,
        "hedge_long_pct": pl.hedge_pct,
        "status": "stopped" if pl.stopped else ("paused" if pl.paused else "active"),
        "plan_value": round(pl.value(price), 6),
        **times,
    }


def position_rows(
    plan_id: int, pl: UnitPlan, price: float, lots_per_unit: float, times: dict[str, int]
) -> list[dict[str, Any]]:
    """positions: per allocation its long, short or cash share (ids plan id x 10 + row)."""
    pct = {
        "long": pl.long_pct,
        "hedge_long": pl.hedge_pct,
        "hedge_short": 100 - pl.hedge_pct,
        None: 100 - pl.long_pct,
    }
    out = []
    for n, alloc, ptype, leg in POSITION_ROWS:
        q = pl.legs[leg] if leg is not None else None
        size = q.qty if q is not None else 0.0
        sign = -1 if ptype == "short" else 1
        out.append(
            {
                "id": plan_id * 10 + n,
                "trading_plan_id": plan_id,
                "allocation_type": alloc,
                "position_type": ptype,
                "percentage": float(pct[leg]),
                "size": size,
                "entry_price": q.avg if q is not None and size > 0 else None,
                "current_price": price,
                "unrealized_pnl": sign * size * (price - q.avg) if q is not None else 0.0,
                "status": "open" if pct[leg] > 0 else "closed",
                "lots": size * lots_per_unit,
                **times,
            }
        )
    return out


def trade_rows(plan_id: int, symbol: str, pl: UnitPlan, time_ms: int) -> list[dict[str, Any]]:
    """trades: the plan's own fills of the last change (its model; the account's orders are in
    the audit trail's orders and deals)."""
    bucket_size = {"long": pl.split * pl.size, "hedge": (1 - pl.split) * pl.size}
    out = []
    for leg, side, qty, px, pnl in pl.fills:
        alloc = "long" if leg == "long" else "hedge"
        full = bucket_size[alloc]
        out.append(
            {
                "trading_plan_id": plan_id,
                "allocation_type": alloc,
                "action": ACTIONS[(leg, side)],
                "symbol": symbol,
                "size": qty,
                "price": px,
                "percentage": round(qty / full * 100, 4) if full > 0 else None,
                "fees": 0.0,
                "status": "filled",
                "exchange_data": {"leg": leg, "side": side, "source": "plan model"},
                "time_ms": time_ms,
                "realised_pnl": pnl,
            }
        )
    return out


def change_rows(plan_id: int, ch: Change, time_ms: int, plan_value: float) -> list[dict[str, Any]]:
    """allocation_changes: one row per allocation whose percentages changed (both when neither
    did: a control such as pause or a leverage change is recorded for each)."""
    long_row = ("long", ch.old_long, ch.new_long, 0, 0, 100 - ch.old_long, 100 - ch.new_long)
    hedge_row = (
        "hedge",
        ch.old_hedge,
        ch.new_hedge,
        100 - ch.old_hedge,
        100 - ch.new_hedge,
        0,
        0,
    )
    changed = [r for r in (long_row, hedge_row) if r[1] != r[2]] or [long_row, hedge_row]
    common = {
        "trading_plan_id": plan_id,
        "trigger_price": ch.price,
        "trigger_units": ch.units,
        "phase": PHASE_NUMBER[ch.phase],
        "phase_name": ch.phase,
        "reason": ch.reason,
        "is_reset_event": ch.reset,
        "reset_details": json.loads(json.dumps(ch.details)) if ch.reset else None,
        "time_ms": time_ms,
        "realised_pnl": round(ch.realised, 6),
        "plan_value": round(plan_value, 6),
    }
    return [
        {
            "allocation_type": alloc,
            "old_long_pct": float(ol),
            "new_long_pct": float(nl),
            "old_short_pct": float(os_),
            "new_short_pct": float(ns),
            "old_cash_pct": float(oc),
            "new_cash_pct": float(nc),
            **common,
        }
        for alloc, ol, nl, os_, ns, oc, nc in changed
    ]


def price_row(
    plan_id: int, symbol: str, pl: UnitPlan, price: float, time_ms: int
) -> dict[str, Any]:
    """price_updates: one per closed M1 bar."""
    return {
        "trading_plan_id": plan_id,
        "symbol": symbol,
        "price": price,
        "units_from_reference": round(pl.units_now(price), 4),
        "phase": pl.phase,
        "plan_value": round(pl.value(price), 2),
        "time_ms": time_ms,
    }

"""The two-bucket unit plan (Advanced Hedging Strategy v3.0) as a pure state machine.

A plan holds ``margin`` (money) at ``leverage`` on one symbol, split between a long bucket
(share ``split``) and a hedge bucket. Unit value = 5 % of the margin; the price distance of one
unit = unit value / (margin x leverage / entry price) = 5 % x entry price / leverage.

Allocations are percentages: ``long_pct`` of the long bucket held long (the rest in cash), and
``hedge_long_pct`` of the hedge bucket held long (the rest short). The seed's two tables:

    units down from the peak:  0: 100/100  1: 100/75  2: 75/50  3: 50/25  4: 25/0  5: 0/0
    units up from the valley:  0: 0/0  1: 0/25  2: 25/50  3: 50/75  4: 75/100  5: 100/100
                                (long bucket % / hedge bucket % long)

The long bucket waits for a 2-unit confirmation each way; the hedge bucket moves 25 % per unit.
Levels have hysteresis: the plan moves one row further when price has gone a full unit beyond
the row's level, and one row back only when price has come back a full unit from the level of
the row it is on (so wiggles under one unit never trade, and while the long bucket is partly
invested each full unit moves both buckets by 25 % without confirmation). A gap goes straight
to the row it reaches, in one change. When a change leaves both buckets 100 % long the plan
resets: peak = valley = price, margin = plan value, unit recomputed, reset_count + 1.

The unit changes at a reset only (the seed: "Unit values recalculate with portfolio growth
through reset mechanism"; ``checkFullLongReset()`` runs after allocation changes, and a pure
advance makes none). In the advance phase a new high moves the peak, not the unit. With
``rebase_on_new_high`` each new high in the advance phase also re-bases margin and unit to the
plan's value (the seed's "Continuous Growth Reset" example: "$100 margin, never retraced,
current $145 -> $145 margin, $7.25 units, peak/valley $145"), without a trade. Each bucket's
full size (asset units) is fixed when the plan starts and at each reset or leverage change:
margin x leverage / price x the bucket's share; the percentages apply to those sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

DOWN = ((100, 100), (100, 75), (75, 50), (50, 25), (25, 0), (0, 0))
UP = ((0, 0), (0, 25), (25, 50), (50, 75), (75, 100), (100, 100))
UNIT_SHARE = 0.05
LEGS = ("long", "hedge_long", "hedge_short")


@dataclass(slots=True)
class Leg:
    qty: float = 0.0  # asset units, >= 0
    avg: float = 0.0


@dataclass(slots=True)
class Change:
    """One allocation change (a row of allocation_changes)."""

    price: float
    old_long: int
    new_long: int
    old_hedge: int
    new_hedge: int
    units: float  # signed: below the peak < 0, above the valley > 0
    phase: str
    reason: str
    realised: float
    reset: bool = False
    details: dict[str, Any] = field(default_factory=dict)


class UnitPlan:
    def __init__(
        self,
        margin: float,
        leverage: float,
        price: float,
        split: float = 0.5,
        rebase_on_new_high: bool = False,
    ) -> None:
        if margin <= 0 or leverage <= 0 or price <= 0:
            raise ValueError(
                f"plan: margin, leverage and price must be > 0 ({margin}, {leverage}, {price})"
            )
        if not 0 <= split <= 1:
            raise ValueError(f"plan: split must be within 0..1, got {split}")
        self.split = split
        self.rebase_on_new_high = rebase_on_new_high
        self.leverage = leverage
        self.base = margin  # money put in
        self.realised = 0.0
        self.legs = {name: Leg() for name in LEGS}
        self.mode = "down"  # counting units down from the peak ("down") or up from the valley
        self.row = 0
        self.long_pct, self.hedge_pct = 100, 100
        self.reset_count = 0
        self.paused = False
        self.stopped = False
        self.fills: list[tuple[str, str, float, float, float]] = []  # leg, side, qty, price, pnl
        self._rebase(margin, price)
        self.size = margin * leverage / price  # full notional in asset units
        self._resize(price)

    # -- the numbers -------------------------------------------------------------------------
    def _rebase(self, margin: float, price: float) -> None:
        self.margin = margin
        self.entry = price
        self.peak = self.valley = price
        self.unit_value = UNIT_SHARE * margin
        self.unit = self.unit_value / (margin * self.leverage / price)

    def value(self, price: float) -> float:
        """Plan value: money put in, plus realised, plus unrealised at ``price``."""
        v = self.base + self.realised
        for name, leg in self.legs.items():
            sign = -1 if name == "hedge_short" else 1
            v += sign * leg.qty * (price - leg.avg)
        return v

    def targets(self, price: float) -> dict[str, float]:
        """Quantities (asset units) of each leg for the current allocation; all zero once the
        plan is stopped."""
        notional = 0.0 if self.stopped else self.size
        return {
            "long": self.long_pct / 100 * self.split * notional,
            "hedge_long": self.hedge_pct / 100 * (1 - self.split) * notional,
            "hedge_short": (100 - self.hedge_pct) / 100 * (1 - self.split) * notional,
        }

    def net_qty(self) -> float:
        return self.legs["long"].qty + self.legs["hedge_long"].qty - self.legs["hedge_short"].qty

    @property
    def phase(self) -> str:
        if self.mode == "down":
            return "advance" if self.row == 0 else ("decline" if self.row == 5 else "retracement")
        return "decline" if self.row == 0 else "recovery"

    def units_now(self, price: float) -> float:
        if self.mode == "down":
            return -(self.peak - price) / self.unit
        return (price - self.valley) / self.unit

    def triggers(self) -> dict[str, float | None]:
        """The prices at which the allocation moves next: one unit deeper (further from the peak
        while counting down, further from the valley while counting up) and one unit back."""
        if self.mode == "down":
            deeper = self.peak - (self.row + 1) * self.unit if self.row < 5 else None
            back = self.peak - (self.row - 1) * self.unit if self.row > 0 else None
        else:
            deeper = self.valley + (self.row + 1) * self.unit if self.row < len(UP) - 1 else None
            back = self.valley + (self.row - 1) * self.unit if self.row > 0 else None
        return {"deeper": deeper, "back": back}

    def status(self, price: float) -> dict[str, Any]:
        """The plan as an operator reads it at ``price``."""
        return {
            "phase": self.phase,
            "counting": "from the peak" if self.mode == "down" else "from the valley",
            "units": round(self.units_now(price), 4) if self.unit else 0.0,
            "peak": self.peak,
            "valley": self.valley,
            "long_pct": self.long_pct,
            "hedge_pct": self.hedge_pct,
            # chop detection: the long bucket partly cashed, so every unit moves both buckets
            "choppy": 0 < self.long_pct < 100,
            "next_triggers": self.triggers(),
            "value": round(self.value(price), 2),
            "resets": self.reset_count,
            "paused": self.paused,
            "stopped": self.stopped,
        }

    # -- price in, changes out ---------------------------------------------------------------
    def on_price(self, price: float) -> Change | None:
        if self.paused or self.stopped or not (price > 0 and math.isfinite(price)):
            return None
        if self.mode == "down":
            if price > self.peak:
                self.peak = price
                if self.row == 0:  # advance: a new high moves the peak, no trade
                    if self.rebase_on_new_high:
                        self._rebase(self.value(price), price)
                    return None
            self.valley = min(self.valley, price)
            x = (self.peak - price) / self.unit
            table = DOWN
        else:
            self.valley = min(self.valley, price)
            x = (price - self.valley) / self.unit
            table = UP
        row = self._next_row(x)
        if row == self.row:
            return None
        return self._move(price, table, row, "unit move" if abs(row - self.row) == 1 else "gap")

    def _next_row(self, x: float) -> int:
        deeper = min(5, math.floor(x + 1e-9))
        if deeper > self.row:
            return deeper
        back = max(0, math.ceil(x - 1e-9))
        return back if back < self.row else self.row

    def _move(
        self, price: float, table: tuple[tuple[int, int], ...], row: int, reason: str
    ) -> Change:
        units = self.units_now(price)
        old = (self.long_pct, self.hedge_pct)
        self.row = row
        self.long_pct, self.hedge_pct = table[row]
        realised = self._resize(price)
        ch = Change(
            price,
            old[0],
            self.long_pct,
            old[1],
            self.hedge_pct,
            round(units, 4),
            self.phase,
            reason,
            realised,
        )
        if self.long_pct == 100 and self.hedge_pct == 100:
            self._reset(price, ch)
        elif self.mode == "down" and row == 5:
            self.mode, self.row, self.valley = "up", 0, price  # decline: count up from the valley
        return ch

    def _reset(self, price: float, ch: Change) -> None:
        old = {"margin": self.margin, "unit_value": self.unit_value, "unit": self.unit}
        self._rebase(self.value(price), price)
        self.size = self.margin * self.leverage / price
        self.mode, self.row = "down", 0
        self.reset_count += 1
        ch.reset = True
        ch.phase = "advance"
        ch.details = {
            "old": old,
            "new": {"margin": self.margin, "unit_value": self.unit_value, "unit": self.unit},
            "reset_count": self.reset_count,
        }
        ch.realised += self._resize(price)  # positions re-sized to the new margin

    def _resize(self, price: float) -> float:
        """Bring each leg to its target at ``price``; returns the P&L the reductions realise."""
        realised = 0.0
        for name, want in self.targets(price).items():
            leg = self.legs[name]
            sign = -1 if name == "hedge_short" else 1
            if want < leg.qty:
                pnl = sign * (leg.qty - want) * (price - leg.avg)
                self.fills.append((name, "buy" if sign < 0 else "sell", leg.qty - want, price, pnl))
                realised += pnl
                leg.qty = want
            elif want > leg.qty:
                self.fills.append((name, "sell" if sign < 0 else "buy", want - leg.qty, price, 0.0))
                leg.avg = (leg.avg * leg.qty + price * (want - leg.qty)) / want
                leg.qty = want
            if leg.qty <= 1e-12:
                leg.qty, leg.avg = 0.0, 0.0
        self.realised += realised
        return realised

    # -- operator controls -------------------------------------------------------------------
    def manual_reset(self, price: float) -> Change:
        old = (self.long_pct, self.hedge_pct)
        self.long_pct = self.hedge_pct = 100
        realised = self._resize(price)
        ch = Change(
            price,
            old[0],
            100,
            old[1],
            100,
            round(self.units_now(price), 4),
            "advance",
            "manual reset",
            realised,
        )
        self._reset(price, ch)
        return ch

    def set_leverage(self, leverage: float, price: float) -> Change:
        if leverage <= 0:
            raise ValueError(f"leverage must be > 0, got {leverage}")
        old = self.leverage
        self.leverage = leverage
        margin = self.value(price)
        self.margin, self.unit_value = margin, UNIT_SHARE * margin
        self.unit = self.unit_value / (margin * leverage / self.entry)
        self.size = margin * leverage / price
        realised = self._resize(price)
        return Change(
            price,
            self.long_pct,
            self.long_pct,
            self.hedge_pct,
            self.hedge_pct,
            round(self.units_now(price), 4),
            self.phase,
            f"leverage {old:g} -> {leverage:g}",
            realised,
        )

    def emergency_stop(self, price: float) -> Change:
        self.stopped = True
        realised = self._resize(price)  # every target is zero now
        return Change(
            price,
            self.long_pct,
            self.long_pct,
            self.hedge_pct,
            self.hedge_pct,
            round(self.units_now(price), 4),
            "stopped",
            "emergency stop: every leg closed, plan stopped",
            realised,
        )

    # -- restart -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        keys = (
            "split",
            "rebase_on_new_high",
            "leverage",
            "base",
            "realised",
            "mode",
            "row",
            "long_pct",
            "hedge_pct",
            "reset_count",
            "paused",
            "stopped",
            "margin",
            "entry",
            "peak",
            "valley",
            "unit_value",
            "unit",
            "size",
        )
        s: dict[str, Any] = {k: getattr(self, k) for k in keys}
        s["legs"] = {n: [leg.qty, leg.avg] for n, leg in self.legs.items()}
        return s

    def restore(self, s: dict[str, Any]) -> None:
        for k, v in s.items():
            if k == "fills":
                continue
            if k == "legs":
                self.legs = {n: Leg(q, a) for n, (q, a) in v.items()}
            else:
                setattr(self, k, v)

"""Two-bucket unit hedging (seed 001) on the MT5 bridge: the plan of strategies/unit_plan.py,
its executor, and its database rows.

* The plan starts at the first tick's mid price and changes allocations as price moves.
* Executor: each leg's target quantity (asset units) becomes lots (/ contract size, normalised
  by the order manager). On a hedging account the long bucket, the hedge bucket's long leg and
  its short leg are separate positions with magic numbers magic+1, magic+2 and magic+3; on a
  netting account the plan's net quantity is traded under the strategy's magic.
* Every allocation change is a row of allocation_changes (old and new percentages, trigger
  price and units, phase, reason, reset details); trading_plans and positions hold the current
  state; trades the plan's own fills; price_updates one row per closed M1 bar.
* Operator controls (``mt5bridge strategy NAME VERB``): stop (emergency stop: close every leg),
  pause, resume, reset (manual reset), leverage X. Each is logged as an allocation change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.brain.strategy import (
    NO_INTENTS,
    Context,
    Intent,
    Intents,
    Level,
    Record,
    Strategy,
    Target,
)
from bridge.brain.tape import SymbolTape, Tape
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from strategies import two_bucket_rows as rows
from strategies import unit_plan_bulk as bulk
from strategies.unit_plan import LEGS, Change, UnitPlan

SCAN = 1024  # bars scanned at first for the next change (doubling to SCAN_MAX)
SCAN_MAX = 1 << 16


@dataclass(frozen=True, slots=True)
class TwoBucketParams:
    symbol: str = "BTCUSD"
    margin: float = 1000.0
    leverage: float = 1.0
    split: float = 0.5
    # re-base margin and unit at each new high of the advance phase (the seed's "Continuous
    # Growth Reset" example); off: the unit changes at a reset only, as the seed's tables read
    rebase_on_new_high: bool = False

    def __post_init__(self) -> None:
        if self.margin <= 0 or self.leverage <= 0 or not 0 <= self.split <= 1:
            raise ValueError("two_bucket: margin and leverage must be > 0 and split within 0..1")


class TwoBucket(Strategy):
    needs_hedging = False  # hedging: three positions, one per leg; netting: the net quantity
    Params = TwoBucketParams  # the dataclass a config's params are checked against

    def __init__(
        self, params: TwoBucketParams | None = None, magic: int = 5000, name: str = "two_bucket"
    ) -> None:
        self.p = params or TwoBucketParams()
        self.name, self.magic = name, magic
        self.symbols = (self.p.symbol,)
        self.timeframes = (1,)
        self.wants_ticks = True
        self.plan: UnitPlan | None = None
        self.leg_magic = {leg: magic + 1 + i for i, leg in enumerate(LEGS)}
        self.extra_magics = tuple(self.leg_magic.values())
        self.history: list[tuple[int, Change]] = []
        self.last_price = 0.0
        self.started_ms = 0  # when the plan started (trading_plans.created_at)
        self.last_reset_ms: int | None = None
        self._tape: SymbolTape | None = None  # replay jumps: the symbol's bars
        self._minutes = 0
        self._jump_from = 0  # the minute of the last replay_quiet_until
        self._quiet_until = -1  # its answer, good until the next tick (-1: ask again)
        self._scanned: tuple[int, np.ndarray] = (0, np.zeros(0))  # its first bar, its mids

    # -- market ------------------------------------------------------------------------------
    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        if tick.symbol != self.p.symbol:
            return NO_INTENTS
        price = (tick.bid + tick.ask) / 2
        self.last_price = price
        self._quiet_until = -1
        if self.plan is None:
            self.plan = UnitPlan(
                self.p.margin, self.p.leverage, price, self.p.split, self.p.rebase_on_new_high
            )
            self.started_ms = tick.time_ms
            return [
                *self._execute(ctx),
                *self._state_rows(tick.time_ms, ctx),
                *self._fills(tick.time_ms),
            ]
        change = self.plan.on_price(price)
        if change is None:
            return NO_INTENTS
        return self._changed(change, tick.time_ms, ctx)

    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        if self.plan is None or bar.symbol != self.p.symbol or bar.timeframe != 1:
            return NO_INTENTS
        t = bar.time_ms + 60_000
        row = rows.price_row(self.magic, self.p.symbol, self.plan, bar.close, t)
        # the plan's row is current too: the peak moves without an allocation change
        return [Record("price_update", row), *self._state_rows(t, ctx)[:1]]

    # -- changes -> orders and rows ----------------------------------------------------------
    def _changed(self, ch: Change, time_ms: int, ctx: Context) -> list[Intent]:
        assert self.plan is not None
        self.history.append((time_ms, ch))
        if ch.reset:
            self.last_reset_ms = time_ms
        value = self.plan.value(ch.price)
        return [
            *self._execute(ctx),
            *(
                Record("allocation_change", r)
                for r in rows.change_rows(self.magic, ch, time_ms, value)
            ),
            *self._fills(time_ms),
            *self._state_rows(time_ms, ctx),
        ]

    def _fills(self, time_ms: int) -> list[Intent]:
        """The plan's own fills of the last change, as rows of ``trades``."""
        assert self.plan is not None
        out: list[Intent] = [
            Record("plan_trade", r)
            for r in rows.trade_rows(self.magic, self.p.symbol, self.plan, time_ms)
        ]
        self.plan.fills.clear()
        return out

    def _lots(self, qty: float, ctx: Context) -> float:
        return qty / ctx.spec(self.p.symbol).contract_size

    def _execute(self, ctx: Context) -> list[Intent]:
        assert self.plan is not None
        acc = ctx.account()
        sym = self.p.symbol
        legs = self.plan.legs
        if acc is None or acc.hedging:
            return [
                Target(
                    sym, self._lots(legs["long"].qty, ctx), tag="long", magic=self.leg_magic["long"]
                ),
                Target(
                    sym,
                    self._lots(legs["hedge_long"].qty, ctx),
                    tag="hedge_long",
                    magic=self.leg_magic["hedge_long"],
                ),
                Target(
                    sym,
                    -self._lots(legs["hedge_short"].qty, ctx),
                    tag="hedge_short",
                    magic=self.leg_magic["hedge_short"],
                ),
            ]
        return [Target(sym, self._lots(self.plan.net_qty(), ctx), tag="net")]

    def _state_rows(self, time_ms: int, ctx: Context) -> list[Intent]:
        """The plan's row of trading_plans, then its rows of positions."""
        assert self.plan is not None
        pl, price = self.plan, self.last_price or self.plan.entry
        times = {
            "created_ms": self.started_ms,
            "updated_ms": time_ms,
            "last_reset_ms": self.last_reset_ms,
        }
        plan = rows.plan_row(self.magic, self.name, self.p.symbol, pl, price, times)
        positions = rows.position_rows(
            self.magic,
            pl,
            price,
            self._lots(1.0, ctx),
            {"opened_ms": self.started_ms, "updated_ms": time_ms},
        )
        return [Record("plan", plan), *(Record("plan_position", r) for r in positions)]

    # -- replay that jumps over minutes (strategies/unit_plan_bulk.py) -----------------------
    def replay_prepare(self, tape: Tape, specs: dict[str, SymbolSpec]) -> bool:
        """Jumps need the plan's unit fixed between changes: not with re-basing at new highs."""
        if self.p.rebase_on_new_high or self.p.symbol not in tape.symbols:
            return False
        self._tape, self._minutes = tape.symbols[self.p.symbol], tape.n_minutes
        return True

    def replay_quiet_until(self, m: int, ctx: Context) -> int:
        """The minute of the first tick whose price changes the allocation (the plan acts on
        ticks; its bars only write rows, which a replay keeps nowhere)."""
        st = self._tape
        assert st is not None, "replay_prepare first"
        self._jump_from = m
        if self.plan is None:
            return m  # it starts on its first tick
        if self._quiet_until >= m:
            return self._quiet_until
        pl = self.plan
        a, end, n = int(st.before[m]), len(st.time_ms), SCAN
        peak, valley, found = pl.peak, pl.valley, self._minutes
        a0, seen = a, []
        while a < end:
            b = min(end, a + n)
            mids = _mids(st, a, b)
            seen.append(mids)
            k = bulk.first_change(pl, mids, peak, valley)
            if k >= 0:
                found = int(st.minute[a + k // 4])
                break
            peak, valley = bulk.extremes(pl, mids, peak, valley)
            a, n = b, min(2 * n, SCAN_MAX)
        if seen:  # the skip reads its prices from here, not made again
            self._scanned = (a0, np.concatenate(seen))
        self._quiet_until = found
        return found

    def replay_skip(self, m: int) -> None:
        st, pl = self._tape, self.plan
        assert st is not None and pl is not None, "replay_prepare first"
        a, b = int(st.before[self._jump_from]), int(st.before[m])
        if b > a:
            a0, scanned = self._scanned  # the scan that found m began at or before a
            assert a0 <= a and 4 * (b - a0) <= len(scanned), "replay_skip past the last scan"
            mids = scanned[4 * (a - a0) : 4 * (b - a0)]
            pl.peak, pl.valley = bulk.extremes(pl, mids, pl.peak, pl.valley)
            self.last_price = float(mids[-1])

    # -- operator controls -------------------------------------------------------------------
    def on_control(self, verb: str, arg: str, ctx: Context) -> Intents:
        pl = self.plan
        if pl is None:
            raise ValueError(f"{self.name}: the plan has not started (no price yet)")
        price = self.last_price
        if verb == "stop":
            ch = pl.emergency_stop(price)
        elif verb in ("pause", "resume"):
            pl.paused = verb == "pause"
            ch = Change(
                price,
                pl.long_pct,
                pl.long_pct,
                pl.hedge_pct,
                pl.hedge_pct,
                round(pl.units_now(price), 4),
                pl.phase,
                f"operator {verb}",
                0.0,
            )
        elif verb == "reset":
            ch = pl.manual_reset(price)
        elif verb == "leverage":
            try:
                ch = pl.set_leverage(float(arg), price)
            except ValueError as exc:
                raise ValueError(f"{self.name}: leverage {arg!r}: {exc}") from None
        else:
            raise ValueError(
                f"{self.name}: unknown verb {verb!r} (stop, pause, resume, reset, leverage X)"
            )
        return self._changed(ch, ctx.now_ms, ctx)

    # -- restart -----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "plan": self.plan.state() if self.plan is not None else None,
            "last_price": self.last_price,
            "started_ms": self.started_ms,
            "last_reset_ms": self.last_reset_ms,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        s = state.get("plan")
        if s is not None:
            pl = UnitPlan(1.0, 1.0, 1.0)
            pl.restore(s)
            self.plan = pl
        self.last_price = float(state.get("last_price", 0.0))
        self.started_ms = int(state.get("started_ms", 0))
        reset = state.get("last_reset_ms")
        self.last_reset_ms = int(reset) if reset is not None else None

    def headline(self) -> str:
        pl = self.plan
        if pl is None:
            return "waiting for a first price"
        if pl.stopped:
            return "stopped"
        state = f"{pl.phase}, long {pl.long_pct} % hedge {pl.hedge_pct} %"
        return state + (", paused" if pl.paused else "")

    def status(self) -> dict[str, Any]:
        pl = self.plan
        if pl is None:
            return {"plan": "not started: no price yet"}
        return {
            **pl.status(self.last_price),
            "price": self.last_price,
            "last_reset_ms": self.last_reset_ms,
            "recent_changes": [
                {
                    "time_ms": t,
                    "reason": ch.reason,
                    "long_pct": ch.new_long,
                    "hedge_pct": ch.new_hedge,
                }
                for t, ch in self.history[-5:]
            ],
        }

    def levels(self, ctx: Context) -> list[Level]:
        pl = self.plan
        if pl is None:
            return []
        sym = self.p.symbol
        marks = [("peak", pl.peak), ("valley", pl.valley)]
        marks += [(f"next trigger ({k})", x) for k, x in pl.triggers().items() if x is not None]
        return [Level(sym, name, x) for name, x in marks]

    def stats(self) -> dict[str, Any]:
        pl = self.plan
        if pl is None:
            return {}
        return {
            "resets": pl.reset_count,
            "allocation_changes": len(self.history),
            "phase": pl.phase,
            "plan_value": round(pl.value(self.last_price), 2),
        }


def _mids(st: SymbolTape, a: int, b: int) -> np.ndarray:
    """The mid prices of the ticks the replay makes of the symbol's bars a..b-1."""
    return bulk.tick_mids(st.open[a:b], st.high[a:b], st.low[a:b], st.close[a:b], st.ask_add[a:b])

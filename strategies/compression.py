"""Hedge compression engine for a locked XAUUSD hedge (seed 000; SPEC 6.3, issue 4).

A basket of long tickets and a basket of short tickets on one symbol, both underwater: price
sits between the short average (low edge) and the long average (high edge). Each oscillation
reduces the temporarily dominant side and tops up the smaller one, always leaving a residual r,
so the imbalance and then the whole position contract. It never realises a net loss: losses
are only taken as far as a bank of harvested profits pays for them.

* Engaged when both baskets exist, price (mid) is strictly inside the band, the trend filter
  allows (the current leg has not run more than ``trend_k`` x ATR without a swing), the
  operator has not paused or halted it, and the margin level is above the floor (top-ups only).
* Swings: a zigzag with threshold B = ``bounce`` (price) or ``bounce`` x ATR(``atr_period``) on
  ``atr_tf`` bars.
* First rebalance on engagement: the smaller side toward (larger - r), at most ``step_cap``, as
  a limit order ``offset`` inside the favourable edge (buy limit above the low edge, sell
  limit below the high edge). It is cancelled as soon as the engine may not act (paused by the
  operator, halted, trending, price outside the band, a basket empty) and at the next
  confirmed swing, which does nothing else: the swings after it act on the baskets as they are
  once it is gone (filled or not). So a resting order never fills on top of a swing's top-up,
  never while the engine is paused, and is never left behind when a basket is gone.
* At a swing low: (1) top up longs toward S - r (market, at most step_cap); (2) harvest short
  tickets in profit by at least ``min_harvest`` in price; (3) while S > L - r close short lots,
  least underwater first, in volume steps, as far as the bank pays. At a swing high, the mirror.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bridge.brain.indicators import ATR, Zigzag, wilder_settle_bars
from bridge.brain.strategy import (
    NO_INTENTS,
    Cancel,
    Close,
    Context,
    Intent,
    Intents,
    Level,
    Open,
    Rejection,
    Strategy,
)
from bridge.brain.tape import Tape
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from strategies.compression_jumps import Baskets, CompressionJumps
from strategies.compression_params import CompressionParams


@dataclass(slots=True)
class Cycle:
    """One confirmed swing and what the engine did there (for reports)."""

    time_ms: int
    swing: str  # "low" / "high"
    price: float
    long_lots: float
    short_lots: float
    bank: float
    realised: float
    acted: bool
    note: str = ""


@dataclass(slots=True)
class _Baskets:
    longs: list[ev.Position] = field(default_factory=list)
    shorts: list[ev.Position] = field(default_factory=list)

    def lots(self, spec: SymbolSpec) -> tuple[int, int]:
        """(long, short) in volume steps."""
        return (
            sum(spec.lots_to_steps(p.volume) for p in self.longs),
            sum(spec.lots_to_steps(p.volume) for p in self.shorts),
        )

    @staticmethod
    def average(side: list[ev.Position]) -> float:
        vol = sum(p.volume for p in side)
        return sum(p.price_open * p.volume for p in side) / vol if vol else math.nan


class Compression(Strategy):
    needs_hedging = True  # the locked long and short it compresses
    Params = CompressionParams  # the dataclass a config's params are checked against

    def __init__(
        self, params: CompressionParams | None = None, magic: int = 3000, name: str = "compression"
    ) -> None:
        p = self.p = params or CompressionParams()
        self.name, self.magic = name, magic
        self.symbols = (p.symbol,)
        self.timeframes = (p.atr_tf,)
        self.wants_ticks = True
        self.atr = ATR(p.atr_period)
        self.zz = Zigzag()
        self.bank = 0.0
        self.realised = 0.0
        self.user_paused = False
        self.halted = False
        self.engaged = False
        self.why = ""  # why it is not engaged (paused_reason) at the last tick
        self.rebalance_sent = False
        self.cancelling: set[int] = set()  # pending orders whose cancel is in flight
        self.closing: dict[int, str] = {}  # ticket -> "harvest" / "reduce", close in flight
        self.cycles: list[Cycle] = []
        self._jumps: CompressionJumps | None = None

    # -- the baskets -------------------------------------------------------------------------
    def baskets(self, ctx: Context) -> _Baskets:
        p = self.p
        mine = {self.magic, p.adopt_magic}
        b = _Baskets()
        for pos in ctx.account_positions(p.symbol):
            if pos.magic in mine or pos.ticket in p.adopt_tickets:
                (b.longs if pos.is_buy else b.shorts).append(pos)
        return b

    def history_minutes(self) -> dict[str, int]:
        # the ATR settled, and a day of swings for the zigzag
        return {self.p.symbol: max(24 * 60, wilder_settle_bars(self.p.atr_period) * self.p.atr_tf)}

    def owns(self, position: ev.Position) -> bool:
        p = self.p
        return position.symbol == p.symbol and (
            position.magic == p.adopt_magic or position.ticket in p.adopt_tickets
        )

    def resting(self, ctx: Context) -> list[ev.PendingOrder]:
        """This engine's pending orders on its symbol (the first rebalance's limit)."""
        return [o for o in ctx.pending() if o.symbol == self.p.symbol]

    def _cancel(self, orders: list[ev.PendingOrder], tag: str) -> list[Intent]:
        """Cancel each resting order once (a cancel in flight is not sent again)."""
        todo = [o.ticket for o in orders if o.ticket not in self.cancelling]
        self.cancelling.update(todo)
        return [Cancel(t, tag=tag) for t in todo]

    def _threshold(self) -> float:
        if self.p.bounce_mode == "price":
            return self.p.bounce
        return self.p.bounce * self.atr.value if self.atr.ready else math.nan

    def paused_reason(self, mid: float, b: Baskets) -> str:
        """Why the engine may not act now ('' when it may)."""
        if self.halted:
            return "halted"
        if self.user_paused:
            return "paused by the operator"
        if not b.longs or not b.shorts:
            return "no locked hedge (a basket is empty)"
        if self.zz.count == 0:
            return "no swing yet: no evidence that price oscillates"
        low, high = b.average(b.shorts), b.average(b.longs)
        if not low < mid < high:
            return f"price {mid:.2f} outside the band {low:.2f}..{high:.2f}"
        if self.p.trend_k > 0:
            if not self.atr.ready:
                return "ATR warming up"
            if self.zz.run() > self.p.trend_k * self.atr.value:
                return "trending: the leg ran more than K x ATR without a swing"
        return ""

    # -- callbacks ---------------------------------------------------------------------------
    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        if bar.symbol == self.p.symbol and bar.timeframe == self.p.atr_tf:
            self.atr.update(bar.high, bar.low, bar.close)
        return NO_INTENTS

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        if tick.symbol != self.p.symbol:
            return NO_INTENTS
        self._forget_jump()
        mid = (tick.bid + tick.ask) / 2
        threshold = self._threshold()
        swing = self.zz.update(mid, threshold) if threshold == threshold else 0
        b = self.baskets(ctx)
        why = self.paused_reason(mid, b)
        self.engaged = not why
        self.why = why
        # this engine's resting orders matter only to a pause, a swing or a cancel in flight
        resting = self.resting(ctx) if why or swing or self.cancelling else []
        if self.cancelling:
            self.cancelling.intersection_update(o.ticket for o in resting)
        if why and resting:  # paused, disengaged or a basket gone: nothing may fill now
            out = self._cancel(resting, "rebalance_cancel")
            if swing:
                self._at_swing(swing, tick, ctx, b, why)  # recorded, does nothing
            return out
        out = self._at_swing(swing, tick, ctx, b, why, resting) if swing else []
        if not out and self.engaged and not self.rebalance_sent and not self.closing:
            out = self._first_rebalance(ctx, b)
        return out

    def _first_rebalance(self, ctx: Context, b: _Baskets) -> list[Intent]:
        p, spec = self.p, ctx.spec(self.p.symbol)
        lng, sht = b.lots(spec)
        r = spec.lots_to_steps(p.residual)
        if abs(lng - sht) <= r:
            return []
        buy = lng < sht
        steps = self._capped(spec, (max(lng, sht) - r) - min(lng, sht), buy, lng, sht)
        if steps <= 0 or not self._margin_ok(ctx):
            return []
        price = b.average(b.shorts) + p.offset if buy else b.average(b.longs) - p.offset
        q = ctx.quote(p.symbol)
        if q is None or (buy and price >= q.ask) or (not buy and price <= q.bid):
            return []  # the edge is on the wrong side of the market: no limit to place
        self.rebalance_sent = True
        otype = ev.BUY_LIMIT if buy else ev.SELL_LIMIT
        return [
            Open(
                p.symbol,
                buy,
                spec.steps_to_lots(steps),
                order_type=otype,
                price=price,
                tag="rebalance",
            )
        ]

    def _at_swing(
        self,
        swing: int,
        tick: ev.Tick,
        ctx: Context,
        b: _Baskets,
        why: str,
        resting: list[ev.PendingOrder] | None = None,
    ) -> list[Intent]:
        p, spec = self.p, ctx.spec(self.p.symbol)
        low = swing < 0  # a swing low: price has fallen, shorts favoured, longs cheap
        lng, sht = b.lots(spec)
        cyc = Cycle(
            tick.time_ms,
            "low" if low else "high",
            (tick.bid + tick.ask) / 2,
            spec.steps_to_lots(lng),
            spec.steps_to_lots(sht),
            round(self.bank, 2),
            round(self.realised, 2),
            acted=False,
            note=why,
        )
        self.cycles.append(cyc)
        if why or self.closing or ctx.in_flight():
            cyc.note = why or "orders of the last swing still in flight"
            return []
        if resting:  # the first rebalance still rests: cancelled; this swing acts once it is gone
            cyc.note = "the resting rebalance order is cancelled first"
            return self._cancel(resting, "rebalance_cancel")
        out: list[Intent] = []
        r = spec.lots_to_steps(p.residual)
        # 1. top up the cheap side toward the other side minus r, at most the step cap
        small, big = (lng, sht) if low else (sht, lng)
        if small < big - r and self._margin_ok(ctx):
            steps = self._capped(spec, big - r - small, low, lng, sht)
            if steps > 0:
                out.append(Open(p.symbol, low, spec.steps_to_lots(steps), tag="topup"))
                small += steps
        # 2. harvest the favoured side's tickets in profit by at least min_harvest, most
        #    profitable first, but never below (other side - r - step_cap): what the next
        #    top-up can restore, so the imbalance after each top-up never grows
        favoured = b.shorts if low else b.longs
        px = tick.ask if low else tick.bid  # the price a close of the favoured side gets

        def gain(pos: ev.Position) -> float:
            return (pos.price_open - px) if low else (px - pos.price_open)

        floor = max(0, small - r - spec.lots_to_steps(p.step_cap))
        min_steps = spec.lots_to_steps(spec.volume_min)
        harvest_cash = 0.0
        keep = []
        for pos in sorted(favoured, key=gain, reverse=True):
            steps = spec.lots_to_steps(pos.volume)
            take = min(steps, big - floor)
            if gain(pos) < p.min_harvest - spec.point / 2 or take < min_steps:
                keep.append(pos)
                continue
            lots = spec.steps_to_lots(take)
            out.append(Close(pos.ticket, 0.0 if take == steps else lots, tag="harvest"))
            self.closing[pos.ticket] = "harvest"
            harvest_cash += self._close_cash(spec, pos, lots, px)
            big -= take
        # 3. reduce the favoured side while it is above the other side minus r, as the bank pays
        budget = self.bank + harvest_cash
        keep.sort(key=lambda q: abs(q.price_open - px))  # least underwater first
        for pos in keep:
            if big <= small - r:
                break
            per_step = -self._close_cash(spec, pos, spec.volume_step, px)
            if per_step <= 0:
                continue
            steps = min(big - (small - r), spec.lots_to_steps(pos.volume), int(budget // per_step))
            if steps <= 0:
                break
            whole = steps == spec.lots_to_steps(pos.volume)
            out.append(Close(pos.ticket, 0.0 if whole else spec.steps_to_lots(steps), tag="reduce"))
            self.closing[pos.ticket] = "reduce"
            budget -= steps * per_step
            big -= steps
        cyc.acted = bool(out)
        return out

    def _close_cash(self, spec: SymbolSpec, pos: ev.Position, lots: float, px: float) -> float:
        """Money a close of ``lots`` of ``pos`` at ``px`` realises, commission included."""
        return spec.profit(pos.is_buy, lots, pos.price_open, px) - self.p.commission_per_lot * lots

    def _capped(self, spec: SymbolSpec, want: int, buy: bool, lng: int, sht: int) -> int:
        p = self.p
        side = lng if buy else sht
        return max(
            0,
            min(
                want,
                spec.lots_to_steps(p.step_cap),
                spec.lots_to_steps(p.max_side_lots) - side,
                spec.lots_to_steps(p.max_gross_lots) - lng - sht,
            ),
        )

    def _margin_ok(self, ctx: Context) -> bool:
        acc = ctx.account()
        if self.p.min_margin_level <= 0 or acc is None or acc.margin <= 0:
            return True
        return acc.equity / acc.margin * 100 >= self.p.min_margin_level

    def on_fill(self, deal: ev.Deal, ctx: Context) -> Intents:
        if deal.entry != ev.ENTRY_IN and deal.position_id in self.closing:
            cash = deal.profit + deal.commission + deal.swap
            self.bank += cash
            self.realised += cash
        return NO_INTENTS

    def _forget_jump(self) -> None:
        if self._jumps is not None:
            self._jumps.until = -1  # the baskets changed: the replay asks again

    def on_position(self, position: ev.Position, ctx: Context) -> Intents:
        self._forget_jump()
        self.closing.pop(position.ticket, None)  # a partial close done
        return NO_INTENTS

    def on_position_closed(
        self, position: ev.Position, deal: ev.Deal | None, ctx: Context
    ) -> Intents:
        self._forget_jump()
        self.closing.pop(position.ticket, None)
        return NO_INTENTS

    def on_reject(self, rejection: Rejection, ctx: Context) -> Intents:
        self._forget_jump()
        it = rejection.intent
        if isinstance(it, Close):
            self.closing.pop(it.ticket, None)
        elif isinstance(it, Cancel):
            self.cancelling.discard(it.ticket)  # asked again on the next tick if it still rests
        elif isinstance(it, Open) and it.tag == "rebalance":
            self.rebalance_sent = False
        return NO_INTENTS

    # -- replay that jumps over minutes (strategies/compression_jumps.py) ---------------------
    def replay_prepare(self, tape: Tape, specs: dict[str, SymbolSpec]) -> bool:
        if self.p.symbol not in tape.symbols:
            return False
        self._jumps = CompressionJumps(self, tape)
        return True

    def replay_quiet_until(self, m: int, ctx: Context) -> int:
        assert self._jumps is not None, "replay_prepare first"
        return self._jumps.quiet_until(m, ctx)

    def replay_skip(self, m: int) -> None:
        assert self._jumps is not None, "replay_prepare first"
        self._jumps.skip_to(m)

    def on_control(self, verb: str, arg: str, ctx: Context) -> Intents:
        if verb == "pause":
            self.user_paused = True
        elif verb == "resume":
            self.user_paused = self.halted = False
        elif verb == "halt":
            self.halted = True
            return self._cancel(self.resting(ctx), "halt")
        else:
            raise ValueError(f"{self.name}: unknown verb {verb!r} (pause, resume, halt)")
        return NO_INTENTS

    def stats(self) -> dict[str, Any]:
        return {
            "swings": len(self.cycles),
            "acted_at": sum(c.acted for c in self.cycles),
            "bank": round(self.bank, 2),
            "realised_by_engine": round(self.realised, 2),
        }

    def status(self) -> dict[str, Any]:
        return {"state": self.get_state(), "not_engaged_because": self.why}

    def levels(self, ctx: Context) -> list[Level]:
        b = self.baskets(ctx)
        low, high = b.average(b.shorts), b.average(b.longs)
        edges = (("band low (short average)", low), ("band high (long average)", high))
        return [Level(self.p.symbol, name, x) for name, x in edges if math.isfinite(x)]

    def headline(self) -> str:
        if self.halted:
            return "halted"
        if self.user_paused:
            return "paused"
        if self.engaged:
            return "engaged: compressing the locked positions"
        # the band's figures move with every tick: the line says which rule holds it back
        why = "price outside the band" if self.why.startswith("price ") else self.why
        return f"not engaged: {why or 'no quote yet'}"

    # -- restart -----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "realised": self.realised,
            "zigzag": self.zz.state(),
            "atr": self.atr.state(),
            "paused": self.user_paused,
            "halted": self.halted,
            "rebalance_sent": self.rebalance_sent,
            "engaged": self.engaged,
            "cancelling": sorted(self.cancelling),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.bank = float(state.get("bank", 0.0))
        self.realised = float(state.get("realised", 0.0))
        if "zigzag" in state:
            self.zz.restore(state["zigzag"])
        if "atr" in state:
            self.atr.restore(state["atr"])
        self.user_paused = bool(state.get("paused", False))
        self.halted = bool(state.get("halted", False))
        self.rebalance_sent = bool(state.get("rebalance_sent", False))
        self.engaged = bool(state.get("engaged", False))
        self.cancelling = {int(x) for x in state.get("cancelling", [])}

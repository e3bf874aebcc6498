"""The compression engine in replay that jumps over minutes (bridge/replay/jumps.py): the first
tick on which it may act, and its state after the ticks and bars before it, from the tape.

On a tick it can act (or record a cycle) only:
* at a confirmed swing: the zigzag's leg reversing by the threshold (``bounce`` x the ATR of
  the ``atr_tf`` bars emitted before the tick's minute, or ``bounce`` in price);
* by the first rebalance, while it is not sent: price inside the band with the limit on the
  right side of the market and the baskets out of balance by more than the residual (the
  trend filter and the margin check are left out: a superset of the ticks it may act on).
With no order resting or in flight (the replay jumps only then) nothing else emits an intent.
Between those ticks the zigzag's running high or low moves and the ATR takes the bars; both
are set in bulk with the same float operations as tick by tick (``Zigzag.update``,
``ATR.update``: bridge/brain/indicators.py atr_values).

The replay visits every minute while the zigzag has no first leg yet, the ATR is warming up, or
a close or cancel of the engine is in flight.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from bridge.brain.indicators import ATR, Zigzag, atr_values
from bridge.brain.strategy import Context
from bridge.brain.tape import SymbolTape, Tape, TfBars
from bridge.core import events as ev
from bridge.core.columns import floats, path_ticks
from bridge.core.symbols import SymbolSpec
from strategies.compression_params import CompressionParams


class Baskets(Protocol):
    """The locked long and short positions (strategies/compression.py)."""

    longs: list[ev.Position]
    shorts: list[ev.Position]

    def lots(self, spec: SymbolSpec) -> tuple[int, int]: ...

    @staticmethod
    def average(side: list[ev.Position]) -> float: ...


class CompressionState(Protocol):
    """What the jumps read and set of the engine (strategies/compression.py): its parameters,
    its tick- and bar-fed state and the rules that say whether it may act."""

    p: CompressionParams
    zz: Zigzag
    atr: ATR
    closing: dict[int, str]
    cancelling: set[int]
    rebalance_sent: bool
    halted: bool
    user_paused: bool
    why: str
    engaged: bool

    def baskets(self, ctx: Context) -> Baskets: ...

    def paused_reason(self, mid: float, b: Baskets) -> str: ...


SCAN = 256  # bars scanned at first for the next tick it may act on (doubling to SCAN_MAX)
SCAN_MAX = 1 << 15
BLOCK = 1 << 14  # bars whose ticks and thresholds are made at once, for the scans to slice


class CompressionJumps:
    def __init__(self, s: CompressionState, tape: Tape) -> None:
        self.s = s
        self.st: SymbolTape = tape.symbols[s.p.symbol]
        self.tf: TfBars = tape.bars(s.p.symbol, s.p.atr_tf)
        self.tf_cols = (floats(self.tf.high), floats(self.tf.low), floats(self.tf.close))
        self.atr_list = atr_values(*self.tf_cols, s.p.atr_period)
        self.atr = np.frombuffer(self.atr_list)  # the same values, for indexing in bulk
        self.n_minutes = tape.n_minutes
        self.from_m = 0
        self.ctx: Context | None = None
        self.until = -1  # the last answer, good until the engine's next tick (-1: ask again)
        # the last scan: its first bar, each tick's mid and the zigzag's running extreme after it
        self.scan: tuple[int, np.ndarray, np.ndarray] = (0, np.zeros(0), np.zeros(0))
        none = np.zeros(0)
        self.block: tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] = (
            0,
            0,
            none,
            none,
            none,
            none,
        )
        self.atr_seed: float | None = None  # the sum of the first atr_period true ranges

    def quiet_until(self, m: int, ctx: Context) -> int:
        s = self.s
        self.from_m, self.ctx = m, ctx
        if self.until >= m:
            return self.until
        zz = s.zz
        if zz.direction == 0 or s.closing or s.cancelling or not self._atr_ready(m):
            return m
        rebalance = self._rebalance_edge(ctx)
        a, end, n = int(self.st.before[m]), len(self.st.time_ms), SCAN
        hi, lo, found = zz.hi, zz.lo, self.n_minutes
        a0, mids, exts = a, [], []
        while a < end:
            b = min(end, a + n)
            bid, ask, mid, thr = self._window(a, b)
            if zz.direction > 0:
                ref = np.maximum.accumulate(np.concatenate(([hi], mid)))[1:]
                hit = ref - mid >= thr
            else:
                ref = np.minimum.accumulate(np.concatenate(([lo], mid)))[1:]
                hit = mid - ref >= thr
            mids.append(mid)
            exts.append(ref)
            if rebalance is not None:
                low, high, buy, limit = rebalance
                side = (limit < ask) if buy else (limit > bid)
                hit |= (low < mid) & (mid < high) & side
            if hit.any():
                found = int(self.st.minute[a + int(hit.argmax()) // 4])
                break
            hi = lo = float(ref[-1])  # the running extreme goes on (only one of them is read)
            a, n = b, min(2 * n, SCAN_MAX)
        if mids:
            self.scan = (a0, np.concatenate(mids), np.concatenate(exts))
        self.until = found
        return found

    def skip_to(self, j: int) -> None:
        """The zigzag, the ATR and the engagement as the ticks and bars of minutes before j
        would leave them (from the minute of the last ``quiet_until``)."""
        s, st = self.s, self.st
        a, b = int(st.before[self.from_m]), int(st.before[j])
        if b > a:
            # the scan that found j holds every tick before it; its running extreme started
            # at or before a, from the zigzag's value then (a max or min takes a tick twice
            # the same as once)
            a0, mids, exts = self.scan
            last = 4 * (b - a0) - 1
            assert a0 <= a and last < len(mids), "replay_skip past the last scan"
            if s.zz.direction > 0:
                s.zz.hi = float(exts[last])
            else:
                s.zz.lo = float(exts[last])
            # the last tick saw the ATR of the bars emitted before its minute
            self._restore_atr(self.tf.done_before(int(st.minute[b - 1])))
            assert self.ctx is not None
            s.why = s.paused_reason(float(mids[last]), s.baskets(self.ctx))
            s.engaged = not s.why
        self._restore_atr(self.tf.done_before(j))

    # -- pieces ------------------------------------------------------------------------------
    def _atr_ready(self, m: int) -> bool:
        return self.s.p.bounce_mode == "price" or self.tf.done_before(m) >= self.s.p.atr_period

    def _restore_atr(self, k: int) -> None:
        """The ATR fed the first k bars: past its seed, its state from the bulk values (the
        seed's sum is the same for every k)."""
        atr, period = self.s.atr, self.s.p.atr_period
        if k < period or self.atr_seed is None:
            atr.restore_after(*self.tf_cols, k, self.atr_list)
            if k >= period:
                self.atr_seed = atr.state()[1]
            return
        atr.restore([period, self.atr_seed, self.tf_cols[2][k - 1], self.atr_list[k - 1]])

    def _window(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Bid, ask, mid and swing threshold of the four ticks the replay makes of each of bars
        a..b-1, sliced from a block made BLOCK bars at a time."""
        s0, e0, bid, ask, mid, thr = self.block
        if not s0 <= a <= b <= e0:
            s0, e0 = a, min(len(self.st.time_ms), max(b, a + BLOCK))
            st = self.st
            bid, ask = path_ticks(
                st.open[s0:e0], st.high[s0:e0], st.low[s0:e0], st.close[s0:e0], st.ask_add[s0:e0]
            )
            mid, thr = (bid + ask) / 2, self._thresholds(s0, e0)
            self.block = (s0, e0, bid, ask, mid, thr)
        i, j = 4 * (a - s0), 4 * (b - s0)
        return bid[i:j], ask[i:j], mid[i:j], thr[i:j]

    def _thresholds(self, a: int, b: int) -> np.ndarray:
        """Each tick's swing threshold: ``bounce`` x the ATR of the bars emitted before its
        minute (``_threshold``'s product), or ``bounce`` in price."""
        p = self.s.p
        if p.bounce_mode == "price":
            return np.full(4 * (b - a), p.bounce)
        k = np.searchsorted(self.tf.emit_m, self.st.minute[a:b], side="left")
        return np.repeat(p.bounce * self.atr[k - 1], 4)

    def _rebalance_edge(self, ctx: Context) -> tuple[float, float, bool, float] | None:
        """(band low, band high, buy, limit price) while the first rebalance may still be sent:
        not sent, not halted or paused, both baskets held, a swing seen, out of balance."""
        s, p = self.s, self.s.p
        if s.rebalance_sent or s.halted or s.user_paused or s.zz.count == 0:
            return None
        b = s.baskets(ctx)
        if not b.longs or not b.shorts:
            return None
        spec = ctx.spec(p.symbol)
        lng, sht = b.lots(spec)
        if abs(lng - sht) <= spec.lots_to_steps(p.residual):
            return None
        low, high = b.average(b.shorts), b.average(b.longs)
        buy = lng < sht
        return low, high, buy, (low + p.offset if buy else high - p.offset)

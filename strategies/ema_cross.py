"""Example strategy: EMA crossover on one symbol.

A small, documented example of the strategy API for the demo and the platform's tests, not a
recommendation. On each closed bar of ``timeframe``: when the fast EMA crosses above the slow
EMA, close any short and buy; when it crosses below, close any long and sell. Stop loss and take
profit are set as a percent of the entry price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.brain.indicators import EMA, ema_settle_bars, ema_values
from bridge.brain.strategy import NO_INTENTS, Close, Context, Intent, Intents, Open, Strategy
from bridge.brain.tape import Tape, TfBars
from bridge.core import events as ev
from bridge.core.columns import floats
from bridge.core.symbols import SymbolSpec


@dataclass(frozen=True, slots=True)
class EmaCrossParams:
    symbol: str = "US100"
    timeframe: int = 15
    fast: int = 10
    slow: int = 30
    lots: float = 1.0
    sl_pct: float = 0.3
    tp_pct: float = 0.6

    def __post_init__(self) -> None:
        if not 1 <= self.fast < self.slow:
            raise ValueError(
                f"ema_cross: need 1 <= fast < slow, got fast={self.fast} slow={self.slow}"
            )
        if self.lots <= 0 or self.sl_pct <= 0 or self.tp_pct <= 0:
            raise ValueError("ema_cross: lots, sl_pct and tp_pct must be > 0")


class EmaCross(Strategy):
    Params = EmaCrossParams  # the dataclass a config's params are checked against

    def __init__(
        self, params: EmaCrossParams | None = None, magic: int = 9001, name: str = "ema_cross"
    ) -> None:
        self.p = params or EmaCrossParams()
        self.name = name
        self.magic = magic
        self.symbols = (self.p.symbol,)
        self.timeframes = (self.p.timeframe,)
        self._fast = EMA(self.p.fast)
        self._slow = EMA(self.p.slow)
        self._above: bool | None = None
        # replay jumps: the timeframe's bars, their closes, both EMAs after each, and the bars
        # on which the lines cross (the only ones it acts on)
        self._tape: (
            tuple[TfBars, Sequence[float], Sequence[float], Sequence[float], np.ndarray] | None
        ) = None
        self._minutes = 0  # the tape's minutes: "never" for a jump

    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        if bar.symbol != self.p.symbol or bar.timeframe != self.p.timeframe:
            return NO_INTENTS
        f = self._fast.update(bar.close)
        s = self._slow.update(bar.close)
        if not self._slow.ready:
            return NO_INTENTS
        above = f > s
        crossed = self._above is not None and above != self._above
        self._above = above
        if not crossed or ctx.in_flight():
            return NO_INTENTS
        out: list[Intent] = [
            Close(p.ticket) for p in ctx.positions(self.p.symbol) if p.is_buy != above
        ]
        q = ctx.quote(self.p.symbol)
        if q is None:
            return out
        entry = q.ask if above else q.bid
        sign = 1 if above else -1
        out.append(
            Open(
                self.p.symbol,
                above,
                self.p.lots,
                sl=entry * (1 - sign * self.p.sl_pct / 100),
                tp=entry * (1 + sign * self.p.tp_pct / 100),
                tag="cross",
            )
        )
        return out

    # -- replay jumps: nothing happens between two crosses ------------------------------------
    def replay_prepare(self, tape: Tape, specs: dict[str, SymbolSpec]) -> bool:
        if self.p.symbol not in tape.symbols:
            return False
        tb = tape.bars(self.p.symbol, self.p.timeframe)
        closes = floats(tb.close)
        fast, slow = ema_values(closes, self.p.fast), ema_values(closes, self.p.slow)
        crosses, above = [], None
        for k in range(self.p.slow - 1, len(closes)):  # the slow EMA is ready from here
            now = fast[k] > slow[k]
            if above is not None and now != above:
                crosses.append(k)
            above = now
        self._tape = (tb, closes, fast, slow, np.asarray(crosses, dtype=np.int64))
        self._minutes = tape.n_minutes
        return True

    def replay_quiet_until(self, m: int, ctx: Context) -> int:
        assert self._tape is not None, "replay_prepare first"
        tb, _closes, _fast, _slow, crosses = self._tape
        i = int(np.searchsorted(crosses, tb.done_before(m)))
        return int(tb.emit_m[crosses[i]]) if i < len(crosses) else self._minutes

    def replay_skip(self, m: int) -> None:
        assert self._tape is not None, "replay_prepare first"
        tb, closes, fast, slow, _crosses = self._tape
        k = tb.done_before(m)
        self._fast.restore_after(closes, k, fast)
        self._slow.restore_after(closes, k, slow)
        self._above = fast[k - 1] > slow[k - 1] if k >= self.p.slow else None

    def history_minutes(self) -> dict[str, int]:
        return {self.p.symbol: ema_settle_bars(self.p.slow) * self.p.timeframe}

    def get_state(self) -> dict[str, Any]:
        return {"above": self._above}

    def set_state(self, state: dict[str, Any]) -> None:
        self._above = state.get("above")

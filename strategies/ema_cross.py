"""Example strategy: EMA crossover on one symbol.

A small, documented example of the strategy API for the demo and the platform's tests, not a
recommendation. On each closed bar of ``timeframe``: when the fast EMA crosses above the slow
EMA, close any short and buy; when it crosses below, close any long and sell. Stop loss and take
profit are set as a percent of the entry price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.brain.indicators import EMA, ema_settle_bars
from bridge.brain.strategy import NO_INTENTS, Close, Context, Intent, Intents, Open, Strategy
from bridge.core import events as ev


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

    def history_minutes(self) -> dict[str, int]:
        return {self.p.symbol: ema_settle_bars(self.p.slow) * self.p.timeframe}

    def get_state(self) -> dict[str, Any]:
        return {"above": self._above}

    def set_state(self, state: dict[str, Any]) -> None:
        self._above = state.get("above")

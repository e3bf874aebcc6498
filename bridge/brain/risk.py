"""The risk gate: every intent passes here before a command leaves the brain.

Checks, in order: kill switch, symbol known and tradeable (trade mode), trading hours (symbol
sessions), lot caps per symbol and in total (open lots + lots in flight + this order), maximum
open positions, orders per minute, and margin against the free margin of the last account
snapshot less what the market orders still in flight will take. While halted, only intents
that reduce exposure (close, close-by, cancel) pass: a halt stops the bot adding risk, never
stops it getting out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.brain.portfolio import Portfolio
from bridge.core.symbols import (
    TRADE_MODE_CLOSEONLY,
    TRADE_MODE_DISABLED,
    TRADE_MODE_LONGONLY,
    TRADE_MODE_SHORTONLY,
    SymbolSpec,
)


@dataclass(slots=True)
class RiskLimits:
    max_lots_per_symbol: dict[str, float] = field(default_factory=dict)  # symbol -> gross lots
    default_max_lots_per_symbol: float = 50.0
    max_total_lots: float = 100.0
    max_positions: int = 50
    max_orders_per_minute: int = 60
    margin_use: float = 0.9  # share of free margin one order may use
    check_hours: bool = True


class RiskGate:
    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.halted = ""  # non-empty: the reason trading is halted
        self.halted_magics: dict[int, str] = {}  # one strategy halted (e.g. by reconciliation)
        # non-empty while the brain resynchronises after lost frames: its books may miss a fill,
        # so nothing new is opened on them (closing stays allowed)
        self.resyncing = ""
        self._sent: deque[int] = deque()

    def halt(self, reason: str) -> None:
        self.halted = reason or "halted"

    def resume(self) -> None:
        self.halted = ""

    def capture(self, now_ms: int) -> tuple[str, dict[int, str], list[int], str]:
        """The gate's state for a crash checkpoint: halts, the send times the per-minute count
        still reads at ``now_ms``, and the resync flag."""
        recent = [t for t in self._sent if t > now_ms - 60_000]
        return self.halted, dict(self.halted_magics), recent, self.resyncing

    def restore(self, state: tuple[str, dict[int, str], list[int], str]) -> None:
        halted, magics, sent, resyncing = state
        self.halted = halted
        self.halted_magics.update(magics)
        self._sent.extend(sent)
        self.resyncing = resyncing

    def record_sent(self, now_ms: int) -> None:
        self._sent.append(now_ms)

    def check_open(
        self,
        spec: SymbolSpec | None,
        symbol: str,
        is_buy: bool,
        lots: float,
        price: float,
        now_ms: int,
        portfolio: Portfolio,
        in_flight_lots: float,
        in_flight_positions: int,
        magic: int = 0,
        in_flight_margin: Callable[[int], float] | None = None,
    ) -> str | None:
        """None when the order may go, else the reason it may not."""
        lim = self.limits
        if self.halted:
            return f"halted: {self.halted}"
        if magic in self.halted_magics:
            return f"strategy halted: {self.halted_magics[magic]}"
        if self.resyncing:
            return self.resyncing
        if spec is None:
            return f"unknown symbol {symbol!r} (no spec from the terminal)"
        if spec.trade_mode == TRADE_MODE_DISABLED:
            return f"{symbol}: trading disabled for the symbol"
        if spec.trade_mode == TRADE_MODE_CLOSEONLY:
            return f"{symbol}: close-only"
        if spec.trade_mode == TRADE_MODE_LONGONLY and not is_buy:
            return f"{symbol}: long-only"
        if spec.trade_mode == TRADE_MODE_SHORTONLY and is_buy:
            return f"{symbol}: short-only"
        if lim.check_hours and not spec.is_open(now_ms):
            return f"{symbol}: outside trading hours"
        cap = lim.max_lots_per_symbol.get(symbol, lim.default_max_lots_per_symbol)
        sym_lots = portfolio.gross_lots(symbol) + in_flight_lots + lots
        if sym_lots > cap + 1e-9:
            return f"{symbol}: {sym_lots:.2f} lots would exceed the cap of {cap:.2f}"
        total = portfolio.gross_lots() + in_flight_lots + lots
        if total > lim.max_total_lots + 1e-9:
            return f"total {total:.2f} lots would exceed the cap of {lim.max_total_lots:.2f}"
        if len(portfolio.positions) + in_flight_positions >= lim.max_positions:
            return f"{lim.max_positions} positions open: at the limit"
        while self._sent and self._sent[0] <= now_ms - 60_000:
            self._sent.popleft()
        if len(self._sent) >= lim.max_orders_per_minute:
            return f"{lim.max_orders_per_minute} orders in the last minute: at the limit"
        acc = portfolio.account
        if acc is None:
            return "no account snapshot yet"
        need = spec.margin(lots, price, acc.leverage)
        # market orders sent and not answered: the snapshot does not count their margin yet
        taken = in_flight_margin(acc.leverage) if in_flight_margin is not None else 0.0
        free = acc.free_margin - taken
        if need > free * lim.margin_use:
            return f"margin {need:.2f} > {lim.margin_use:.0%} of free margin {free:.2f}" + (
                f" ({acc.free_margin:.2f} less {taken:.2f} for orders in flight)" if taken else ""
            )
        return None

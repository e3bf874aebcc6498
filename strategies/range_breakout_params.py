"""The range breakout's parameters (strategies/range_breakout.py), with the seed's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class RangeBreakoutParams:
    main_symbol: str = "US100"
    hedge_symbol: str = "SPX500"
    range_start_hour: int = 15
    range_start_minute: int = 0
    range_duration_min: int = 60
    signal_tf: int = 5
    htf_filter: bool = True
    htf_tf: int = 60
    htf_ema: int = 50
    max_entries_per_direction: int = 1
    sl_pct: float = 0.5
    rr: float = 2.0
    session_close: bool = True
    session_close_hour: int = 23
    session_close_minute: int = 30
    # on a day whose session ends earlier (the symbol's session table, or an early close such as
    # a holiday), close this many minutes before it ends
    session_end_buffer_min: int = 1
    # one main trade at a time: no entry while a main trade is open or being opened
    one_main_trade_at_a_time: bool = True
    sizing: str = "risk"  # "risk" or "fixed"
    risk_pct: float = 1.0
    fixed_lots: float = 1.0
    hedge: bool = True
    hedge_lookback: int = 12
    lag_factor: float = 0.30
    atr_period: int = 14
    beta_ema: int = 10
    beta_min: float = 0.5
    beta_max: float = 5.0

    def __post_init__(self) -> None:
        problems = []
        if self.sizing not in ("risk", "fixed"):
            problems.append(f"sizing must be 'risk' or 'fixed', got {self.sizing!r}")
        if self.sl_pct <= 0 or self.rr <= 0 or self.risk_pct <= 0 or self.fixed_lots <= 0:
            problems.append("sl_pct, rr, risk_pct and fixed_lots must be > 0")
        if self.signal_tf <= 1 or 1440 % self.signal_tf or 1440 % self.htf_tf:
            problems.append("signal_tf must be above M1 and, like htf_tf, divide a day")
        if self.main_symbol == self.hedge_symbol:
            problems.append("main_symbol and hedge_symbol must differ")
        if not (0 <= self.session_close_hour < 24 and 0 <= self.session_close_minute < 60):
            problems.append("session close is not a time of day")
        if not 0 <= self.session_end_buffer_min < 24 * 60:
            problems.append("session_end_buffer_min must be within 0..1439")
        if not self.one_main_trade_at_a_time:
            problems.append(
                "one_main_trade_at_a_time = false is not supported: the hedge is sized and closed "
                "per main trade, and the strategy tracks one"
            )
        if self.max_entries_per_direction < 1:
            problems.append("max_entries_per_direction must be >= 1")
        if problems:
            raise ValueError("range_breakout: " + "; ".join(problems))


def close_at_ms(p: RangeBreakoutParams, spec: SymbolSpec, day: int) -> int:
    """When the strategy closes its trades on server day ``day`` (and takes no entry from then
    on): the session close time of the parameters, or ``session_end_buffer_min`` before the end
    of that day's session when it ends earlier (spec.day_close_ms: the session table, with the
    day's early close when there is one)."""
    at = day * MS_PER_DAY + (p.session_close_hour * 60 + p.session_close_minute) * MS_PER_MINUTE
    end = spec.day_close_ms(day)
    return at if end is None else min(at, end - p.session_end_buffer_min * MS_PER_MINUTE)

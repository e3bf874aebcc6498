"""The compression engine's parameters (strategies/compression.py), checked when built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CompressionParams:
    symbol: str = "XAUUSD"
    residual: float = 0.01
    offset: float = 0.50
    bounce: float = 1.0
    bounce_mode: str = "atr"  # "atr": bounce x ATR; "price": bounce in price units
    atr_tf: int = 5
    atr_period: int = 14
    step_cap: float = 0.02
    min_harvest: float = 0.30
    trend_k: float = 3.0  # 0 turns the trend filter off
    max_side_lots: float = 5.0
    max_gross_lots: float = 10.0
    min_margin_level: float = 200.0  # percent; top-ups pause below it (0: off)
    commission_per_lot: float = 0.0  # the broker's, to plan reductions the bank can pay
    adopt_magic: int = -1  # also manage positions of this magic (-1: none)
    adopt_tickets: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        problems = []
        if self.bounce_mode not in ("atr", "price"):
            problems.append(f"bounce_mode must be 'atr' or 'price', got {self.bounce_mode!r}")
        for name in ("residual", "bounce", "step_cap", "max_side_lots", "max_gross_lots"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0")
        if (
            self.offset < 0
            or self.min_harvest < 0
            or self.trend_k < 0
            or self.commission_per_lot < 0
        ):
            problems.append("offset, min_harvest, trend_k and commission_per_lot must be >= 0")
        if problems:
            raise ValueError("compression: " + "; ".join(problems))

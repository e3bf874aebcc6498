"""The simulated account a fixture describes: login, balance, leverage, currency, hedging or
netting, commission per symbol and slippage. The broker simulator opens its books with it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class AccountSettings:
    login: int = 1
    balance: float = 10_000.0
    leverage: int = 100
    currency: str = "USD"
    hedging: bool = True
    commission: dict[str, float] = field(default_factory=dict)  # money per lot per deal
    slippage_points: int = 0
    trade_mode: int = 0  # the account's ACCOUNT_TRADE_MODE: 0 demo, 1 contest, 2 real
    server_utc_hours: float = 0.0  # the broker's server clock ahead of UTC

    def __post_init__(self) -> None:
        problems = []
        if not (isinstance(self.balance, int | float) and math.isfinite(self.balance)):
            problems.append(f"balance must be a number, got {self.balance!r}")
        elif self.balance < 0:
            problems.append(f"balance must be >= 0, got {self.balance}")
        if (
            not isinstance(self.leverage, int)
            or isinstance(self.leverage, bool)
            or self.leverage < 1
        ):
            problems.append(f"leverage must be a whole number >= 1, got {self.leverage!r}")
        if not isinstance(self.hedging, bool):
            problems.append(f"hedging must be true or false, got {self.hedging!r}")
        if self.trade_mode not in (0, 1, 2):
            problems.append(
                f"trade_mode must be 0 (demo), 1 (contest) or 2 (real), got {self.trade_mode!r}"
            )
        if self.slippage_points < 0:
            problems.append(f"slippage_points must be >= 0, got {self.slippage_points}")
        for sym, c in self.commission.items():
            if not (isinstance(c, int | float) and math.isfinite(c) and c >= 0):
                problems.append(f"commission of {sym} must be a number >= 0, got {c!r}")
        if problems:
            raise ValueError("; ".join(problems))

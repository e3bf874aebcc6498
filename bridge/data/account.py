"""The simulated account a fixture describes: login, balance, leverage, currency, hedging or
netting, commission per symbol and slippage. The broker simulator opens its books with it."""

from __future__ import annotations

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

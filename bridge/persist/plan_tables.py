"""The two-bucket plan's tables (seed 001): trading_plans, positions, trades, allocation_changes
and price_updates. The seed's own column lists are not in the shared material; these columns
carry every field SPEC 6.4 and issue 5 name (old/new percentages, trigger price and units,
phase, reason, reset details, reset count, margin, unit, peak, valley, leverage, split).

Rows come from the strategy as ``Record`` intents; ``trading_plans`` and ``positions`` hold the
current state (upserted by id), the other three are append-only history.
"""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class TradingPlan(SQLModel, table=True):
    __tablename__ = "trading_plans"
    id: int = Field(primary_key=True)  # the strategy's magic number
    name: str
    symbol: str
    margin: float
    leverage: float
    split: float
    unit_value: float
    unit_distance: float
    entry_price: float
    peak: float
    valley: float
    phase: str
    long_pct: int
    hedge_long_pct: int
    reset_count: int
    status: str  # active / paused / stopped
    plan_value: float
    updated_ms: int


class PlanPosition(SQLModel, table=True):
    __tablename__ = "positions"
    id: int = Field(primary_key=True)  # plan id x 10 + leg number
    plan_id: int = Field(index=True)
    bucket: str  # long / hedge
    side: str  # buy / sell
    quantity: float  # asset units of the plan's model
    avg_price: float
    lots: float  # what the executor targets on the account
    updated_ms: int


class PlanTrade(SQLModel, table=True):
    __tablename__ = "trades"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(index=True)
    time_ms: int
    bucket: str
    side: str
    quantity: float
    price: float
    realised_pnl: float


class AllocationChange(SQLModel, table=True):
    __tablename__ = "allocation_changes"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(index=True)
    time_ms: int
    old_long_pct: int
    new_long_pct: int
    old_hedge_long_pct: int
    new_hedge_long_pct: int
    trigger_price: float
    trigger_units: float
    phase: str
    reason: str
    is_reset: bool
    realised_pnl: float
    plan_value: float
    details: str = Field(default="", sa_column=Column(Text))


class PriceUpdate(SQLModel, table=True):
    __tablename__ = "price_updates"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(index=True)
    time_ms: int
    price: float
    units: float
    phase: str
    plan_value: float


APPEND: dict[str, type[SQLModel]] = {
    "plan_trade": PlanTrade,
    "allocation_change": AllocationChange,
    "price_update": PriceUpdate,
}
UPSERT: dict[str, type[SQLModel]] = {"plan": TradingPlan, "plan_position": PlanPosition}

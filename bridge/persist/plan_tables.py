"""The two-bucket plan's tables, with the seed's schema: trading_plans, positions, trades,
allocation_changes (every column of the seed's CREATE TABLE, same names and meanings), and
price_updates (which the seed's ``handlePriceUpdate()`` writes but does not define). Columns of
ours follow the seed's (docs/two_bucket.md shows both side by side).

Timestamps (``*_at``) are broker server time, as every time in the project, never UTC; each
table also keeps the time in ms (64-bit). Rows come from the strategy as ``Record`` intents
(plain JSON-able dicts, times in ms); ``make`` turns one into its table's row. trading_plans and
positions hold the current state (upserted by id), the other three are append-only history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from bridge.core.timeutil import to_datetime

# 64-bit ids on PostgreSQL; SQLite's INTEGER is 64-bit already, and only an INTEGER primary key
# is its auto-numbered row id
_ID = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (the seed's type), JSON elsewhere
_JSON = JSON().with_variant(JSONB(), "postgresql")


def _ms() -> Any:
    return Field(sa_column=Column(BigInteger, nullable=False))


def _at(nullable: bool = False) -> Any:
    """A timestamp of broker server time: naive, never UTC (the ms column beside it is exact)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=False), nullable=nullable))


def _plan_fk() -> Any:
    return Field(sa_column=Column(BigInteger, ForeignKey("trading_plans.id"), index=True))


class TradingPlan(SQLModel, table=True):
    __tablename__ = "trading_plans"
    id: int = Field(sa_column=Column(BigInteger, primary_key=True))  # the strategy's magic
    symbol: str
    margin_amount: float
    leverage: float  # INTEGER in the seed; a plan may run at 2.5x here
    unit_value: float  # margin_amount x 0.05
    entry_price: float
    peak_price: float
    valley_price: float
    current_phase: str  # advance, retracement, decline, recovery
    reset_count: int = 0
    last_reset_at: datetime | None = _at(nullable=True)
    is_active: bool = True
    auto_execute: bool = True
    created_at: datetime = _at()
    updated_at: datetime = _at()
    # ours
    name: str
    split: float
    unit_distance: float  # price distance of one unit
    long_pct: int
    hedge_long_pct: int
    status: str  # active / paused / stopped
    plan_value: float
    updated_ms: int = _ms()


class PlanPosition(SQLModel, table=True):
    __tablename__ = "positions"
    id: int = Field(sa_column=Column(BigInteger, primary_key=True))  # plan id x 10 + row
    trading_plan_id: int = _plan_fk()
    allocation_type: str  # long, hedge
    position_type: str  # long, short, cash
    percentage: float  # 0-100 of the allocation
    size: float  # asset units of the plan's model
    entry_price: float | None = None
    current_price: float
    unrealized_pnl: float
    status: str = "open"  # open, closed (size 0)
    opened_at: datetime = _at()
    updated_at: datetime = _at()
    # ours
    lots: float  # what the executor targets on the account
    updated_ms: int = _ms()


class PlanTrade(SQLModel, table=True):
    __tablename__ = "trades"
    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    trading_plan_id: int = _plan_fk()
    order_id: str = ""  # the plan's model fill: no exchange order of its own
    allocation_type: str  # long, hedge
    action: str  # buy, sell, short, cover
    symbol: str
    size: float
    price: float
    percentage: float | None = None  # of the allocation traded
    fees: float = 0.0
    status: str = "filled"
    exchange_data: dict[str, Any] | None = Field(default=None, sa_column=Column(_JSON))
    executed_at: datetime | None = _at(nullable=True)
    created_at: datetime = _at()
    # ours
    time_ms: int = _ms()
    realised_pnl: float


class AllocationChange(SQLModel, table=True):
    __tablename__ = "allocation_changes"
    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    trading_plan_id: int = _plan_fk()
    allocation_type: str  # long, hedge (plan: a change of neither, e.g. leverage)
    old_long_pct: float
    new_long_pct: float
    old_short_pct: float
    new_short_pct: float
    old_cash_pct: float
    new_cash_pct: float
    trigger_price: float
    trigger_units: float
    phase: int = Field(
        sa_column=Column(Integer, nullable=False)
    )  # the seed's number (strategies/two_bucket_rows.py)
    reason: str
    is_reset_event: bool = False
    reset_details: dict[str, Any] | None = Field(default=None, sa_column=Column(_JSON))
    created_at: datetime = _at()
    # ours
    phase_name: str
    time_ms: int = _ms()
    realised_pnl: float
    plan_value: float


class PriceUpdate(SQLModel, table=True):
    __tablename__ = "price_updates"
    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    trading_plan_id: int = _plan_fk()
    symbol: str
    price: float
    units_from_reference: float  # from the peak (< 0) or the valley (> 0)
    phase: str
    plan_value: float
    created_at: datetime = _at()
    time_ms: int = _ms()


APPEND: dict[str, type[SQLModel]] = {
    "plan_trade": PlanTrade,
    "allocation_change": AllocationChange,
    "price_update": PriceUpdate,
}
UPSERT: dict[str, type[SQLModel]] = {"plan": TradingPlan, "plan_position": PlanPosition}
_TIMES = (("created_ms", "created_at"), ("updated_ms", "updated_at"), ("opened_ms", "opened_at"))


def make(kind: str, data: dict[str, Any]) -> SQLModel:
    """One row of a plan table from a strategy's record: the seed's timestamps from the ms the
    record carries (server time)."""
    cls, row = values(kind, data)
    return cls(**row)


def values(kind: str, data: dict[str, Any]) -> tuple[type[SQLModel], dict[str, Any]]:
    """The table and the column values of ``make``'s row."""
    cls = APPEND.get(kind) or UPSERT[kind]
    row = dict(data)
    for ms_key, at_key in _TIMES:
        if ms_key in row and at_key in cls.model_fields:
            row[at_key] = to_datetime(int(row[ms_key]))
            if ms_key not in cls.model_fields:
                del row[ms_key]
    if "time_ms" in row and "created_at" in cls.model_fields and "created_at" not in row:
        row["created_at"] = to_datetime(int(row["time_ms"]))
    if row.get("last_reset_ms") is not None:
        row["last_reset_at"] = to_datetime(int(row["last_reset_ms"]))
    row.pop("last_reset_ms", None)
    if kind == "plan_trade" and "executed_at" not in row:
        row["executed_at"] = row["created_at"]
    return cls, row

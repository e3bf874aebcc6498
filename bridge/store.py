"""The store: the audit trail in SQL through SQLModel (a SQLite file by default, any SQLAlchemy
URL such as PostgreSQL by config).

Writes never happen on the tick-to-order path: ``Store.audit`` puts a row on a queue and returns;
a writer thread commits in batches. ``close`` drains the queue, so a clean stop loses nothing.
Known limit (issue 8 adds a local journal): rows still queued at a SIGKILL are lost from the
database; the fills among them are recovered from the terminal at reconciliation.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, create_engine, select

from bridge import plan_tables


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"
    id: int | None = Field(default=None, primary_key=True)
    started_wall: float
    mode: str
    fixture: str = ""
    config: str = Field(default="", sa_column=Column(Text))


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    client_id: str = Field(index=True)
    magic: int
    state: str
    retcode: int = 0
    ticket: int = 0
    text: str = ""
    command: str = Field(default="", sa_column=Column(Text))
    time_ms: int


class DealRow(SQLModel, table=True):
    __tablename__ = "deals"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    ticket: int = Field(index=True)
    order: int
    position_id: int
    client_id: str
    symbol: str
    is_buy: bool
    entry: int
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    magic: int
    time_ms: int
    reason: int


class PositionRow(SQLModel, table=True):
    __tablename__ = "position_changes"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    ticket: int = Field(index=True)
    symbol: str = ""
    change: str  # open/update/closed
    is_buy: bool = False
    volume: float = 0.0
    price_open: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    magic: int = 0
    time_ms: int = 0


class RiskRow(SQLModel, table=True):
    __tablename__ = "risk_decisions"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    time_ms: int
    magic: int
    intent: str = Field(sa_column=Column(Text))
    approved: bool
    reason: str = ""


class StrategyStateRow(SQLModel, table=True):
    __tablename__ = "strategy_state"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    magic: int = Field(index=True)
    name: str
    state: str = Field(sa_column=Column(Text))
    time_ms: int


class EventLogRow(SQLModel, table=True):
    """Everything else worth keeping: bad frames, gaps, halts, reconciliation results."""

    __tablename__ = "event_log"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    kind: str = Field(index=True)
    detail: str = Field(sa_column=Column(Text))
    wall_time: float


_ROWS: dict[str, type[SQLModel]] = {
    "order": OrderRow,
    "deal": DealRow,
    "position": PositionRow,
    "risk": RiskRow,
    "state": StrategyStateRow,
    **plan_tables.APPEND,
}


class Store:
    def __init__(self, url: str, mode: str = "run", fixture: str = "", config: str = "") -> None:
        self.url = url
        kw: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kw["connect_args"] = {"check_same_thread": False}
        self.engine = create_engine(url, **kw)
        SQLModel.metadata.create_all(self.engine)
        with Session(self.engine) as s:
            run = RunRow(started_wall=time.time(), mode=mode, fixture=fixture, config=config)
            s.add(run)
            s.commit()
            s.refresh(run)
            assert run.id is not None
            self.run_id: int = run.id
        self._q: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._writer, name="store-writer", daemon=True)
        self._thread.start()
        self.errors: list[str] = []

    def audit(self, kind: str, row: dict[str, Any]) -> None:
        """Queue one audit row (never blocks the caller on the database)."""
        self._q.put((kind, row))

    def log(self, kind: str, detail: str | dict[str, Any]) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        self._q.put(("log", {"kind": kind, "detail": text, "wall_time": time.time()}))

    def _writer(self) -> None:
        stop = False
        while not stop:
            item = self._q.get()
            batch = [item]
            while len(batch) < 500:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            rows: list[SQLModel] = []
            upserts: list[SQLModel] = []
            for it in batch:
                if it is None:
                    stop = True
                    continue
                kind, data = it
                if kind in plan_tables.UPSERT:
                    upserts.append(plan_tables.UPSERT[kind](**data))
                    continue
                cls = EventLogRow if kind == "log" else _ROWS.get(kind)
                if cls is None:
                    continue
                extra = {} if cls in plan_tables.APPEND.values() else {"run_id": self.run_id}
                rows.append(cls(**extra, **data))
            if rows or upserts:
                try:
                    with Session(self.engine) as s:
                        s.add_all(rows)
                        for u in upserts:
                            s.merge(u)
                        s.commit()
                except Exception as exc:  # the database is down or refuses: keep going, say so
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Write everything queued, then stop the writer."""
        self._q.put(None)
        self._thread.join(timeout=30)
        self.engine.dispose()

    # -- reading back ------------------------------------------------------------------------
    def latest_states(self) -> dict[int, dict[str, Any]]:
        """The last saved state of each strategy (by magic), across runs."""
        out: dict[int, dict[str, Any]] = {}
        with Session(self.engine) as s:
            for row in s.exec(select(StrategyStateRow).order_by(StrategyStateRow.id)):  # type: ignore[arg-type]
                out[row.magic] = json.loads(row.state)
        return out

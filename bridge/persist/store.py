"""The store: the audit trail in SQL through SQLModel (a SQLite file by default, any SQLAlchemy
URL such as PostgreSQL by config).

The database is never waited for on the tick-to-order path: ``Store.audit`` appends the row to a
local journal (one write, no fsync) and queues it; a writer thread commits in batches and records
in the same transaction how much of the journal the database holds. So nothing acknowledged is
lost: after a clean stop the journal is removed; after a killed process or while the database is
down the rows wait in the journal, and the next start (or the database's return) writes them,
once. While the database refuses writes ``healthy`` is False and the brain halts trading.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, Text, inspect
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from bridge.core import crashpoint
from bridge.persist import plan_tables


# Times in ms, tickets, orders, positions and magic numbers are 64-bit (PostgreSQL's INTEGER is
# 32-bit: a broker time of 2026 in ms overflows it); SQLite's INTEGER is 64-bit already.
def big(default: int | None = None, index: bool = False) -> Any:
    col = Column(BigInteger, nullable=False, index=index)
    return Field(sa_column=col) if default is None else Field(default=default, sa_column=col)


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
    magic: int = big()
    state: str
    retcode: int = 0
    ticket: int = big(0)
    text: str = ""
    command: str = Field(default="", sa_column=Column(Text))
    time_ms: int = big()


class DealRow(SQLModel, table=True):
    __tablename__ = "deals"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    ticket: int = big(index=True)
    order: int = big()
    position_id: int = big()
    client_id: str
    symbol: str
    is_buy: bool
    entry: int
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    magic: int = big()
    time_ms: int = big()
    reason: int


class PositionRow(SQLModel, table=True):
    __tablename__ = "position_changes"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    ticket: int = big(index=True)
    symbol: str = ""
    change: str  # open/update/closed
    is_buy: bool = False
    volume: float = 0.0
    price_open: float = 0.0
    sl: float = 0.0
    tp: float = 0.0
    magic: int = big(0)
    time_ms: int = big(0)


class RiskRow(SQLModel, table=True):
    __tablename__ = "risk_decisions"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    time_ms: int = big()
    magic: int = big()
    intent: str = Field(sa_column=Column(Text))
    approved: bool
    reason: str = ""


class StrategyStateRow(SQLModel, table=True):
    __tablename__ = "strategy_state"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    magic: int = big(index=True)
    name: str
    state: str = Field(sa_column=Column(Text))
    time_ms: int = big()


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


class JournalMark(SQLModel, table=True):
    """How many bytes of a run's journal are in the database (updated in the same commit)."""

    __tablename__ = "journal_marks"
    run_id: int = Field(primary_key=True)
    offset: int


class StoreSchemaError(ValueError):
    """The database was made by an older version of the project: its tables lack columns."""


def check_schema(engine: Any, url: str) -> None:
    """Refuse, naming each table and column, a database whose tables lack columns of today's
    (made by an older version): rows would fail to be written and trading would halt later."""
    insp = inspect(engine)
    missing = []
    for name, table in SQLModel.metadata.tables.items():
        have = {c["name"]: c["type"] for c in insp.get_columns(name)}
        lack = [c.name for c in table.columns if c.name not in have]
        if lack:
            missing.append(f"{name} lacks {', '.join(lack)}")
        if engine.dialect.name == "sqlite":
            continue  # SQLite's INTEGER is 64-bit
        narrow = [
            c.name
            for c in table.columns
            if isinstance(c.type, BigInteger)
            and c.name in have
            and isinstance(have[c.name], Integer)
            and not isinstance(have[c.name], BigInteger)
        ]
        if narrow:
            missing.append(f"{name} has 32-bit {', '.join(narrow)}")
    if missing:
        where = url.split("@")[-1]  # no password in the message
        raise StoreSchemaError(
            f"database {where} was made by an older version of mt5bridge ({'; '.join(missing)}): "
            "move it aside or name a new file in [store] url; its rows stay readable"
        )


class Store:
    def __init__(
        self,
        url: str,
        mode: str = "run",
        fixture: str = "",
        config: str = "",
        journal_dir: str | Path | None = None,
    ) -> None:
        self.url = url
        kw: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kw["connect_args"] = {"check_same_thread": False}
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            _create_private(Path(url[len("sqlite:///") :]))  # readable by its owner only
        self.engine = create_engine(url, **kw)
        SQLModel.metadata.create_all(self.engine)
        check_schema(self.engine, url)
        with Session(self.engine) as s:
            run = RunRow(started_wall=time.time(), mode=mode, fixture=fixture, config=config)
            s.add(run)
            s.commit()
            s.refresh(run)
            assert run.id is not None
            self.run_id: int = run.id
        self.errors: list[str] = []
        self.healthy = True
        self.journal_dir = (
            Path(journal_dir) if journal_dir is not None else _default_journal_dir(url)
        )
        self.journal_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_dir = self.journal_dir / "mt5bridge-checkpoints"
        self.checkpoint_dir.mkdir(exist_ok=True)
        self.replayed = self._replay_journals()
        self.journal_path = self.journal_dir / f"mt5bridge-journal-{self.run_id}.jsonl"
        _create_private(self.journal_path)
        self._jf = self.journal_path.open("a", encoding="utf-8", buffering=1)
        _lock_file(self._jf)  # a live journal is never replayed by another brain
        self._written = 0
        self._lock = threading.Lock()
        self._q: queue.Queue[tuple[str, dict[str, Any], int] | None] = queue.Queue()
        self._retry: list[tuple[str, dict[str, Any], int]] = []
        self._thread = threading.Thread(target=self._writer, name="store-writer", daemon=True)
        self._thread.start()

    # -- writing -----------------------------------------------------------------------------
    def audit(self, kind: str, row: dict[str, Any]) -> None:
        """Append one row to the journal (one write, no fsync: it survives a killed process) and
        queue it for the database; never waits for the database."""
        line = json.dumps([kind, row], default=str) + "\n"
        with self._lock:
            self._jf.write(line)
            self._written += len(line.encode())
            self._q.put((kind, row, self._written))
        if crashpoint.ARMED and kind == "deal":
            crashpoint.hit("deal_journaled")

    def log(self, kind: str, detail: str | dict[str, Any]) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, default=str)
        self.audit("log", {"kind": kind, "detail": text, "wall_time": time.time()})

    @property
    def pending(self) -> int:
        return self._q.qsize() + len(self._retry)

    def _writer(self) -> None:
        stop = False
        backoff = 0.2
        while True:
            batch = self._retry  # rows being written stay visible to ``pending``
            try:
                item = self._q.get(timeout=backoff if batch else None)
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            except queue.Empty:
                pass
            while len(batch) < 500 and not stop:
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            if batch and not self._commit(self.run_id, [(k, d) for k, d, _ in batch], batch[-1][2]):
                backoff = min(backoff * 2, 5.0)  # the database is unavailable: try again later
                if stop:
                    return  # closing while the database is down: the journal keeps the rows
                continue
            self._retry = []
            backoff = 0.2
            if stop:
                return

    def _commit(self, run_id: int, items: list[tuple[str, dict[str, Any]]], offset: int) -> bool:
        rows: list[SQLModel] = []
        upserts: list[SQLModel] = []
        deals: dict[int, SQLModel] = {}
        for kind, data in items:
            if kind in plan_tables.UPSERT:
                upserts.append(plan_tables.make(kind, data))
                continue
            if kind in plan_tables.APPEND:
                rows.append(plan_tables.make(kind, data))
                continue
            cls = EventLogRow if kind == "log" else _ROWS.get(kind)
            if cls is None:
                continue
            extra = {} if cls in plan_tables.APPEND.values() else {"run_id": run_id}
            row = cls(**extra, **data)
            if cls is DealRow:  # a fill is kept once, however often it was reported
                deals.setdefault(int(data["ticket"]), row)
            else:
                rows.append(row)
        try:
            with Session(self.engine) as s:
                for u in upserts:  # first: rows of this batch may refer to them (foreign keys)
                    s.merge(u)
                if deals:
                    known = s.exec(select(DealRow.ticket).where(col(DealRow.ticket).in_(deals)))
                    for t in set(known):
                        deals.pop(t, None)
                    rows += deals.values()
                s.add_all(rows)
                s.merge(JournalMark(run_id=run_id, offset=offset))
                s.commit()
        except Exception as exc:  # the database is down or refuses: say so, keep the rows
            self.healthy = False
            if len(self.errors) < 100:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            return False
        self.healthy = True
        return True

    def _replay_journals(self) -> int:
        """Write what earlier runs journaled but never committed (a killed process, or a
        database that was down when it stopped), then remove their journals."""
        total = 0
        for path in sorted(self.journal_dir.glob("mt5bridge-journal-*.jsonl")):
            run_id = int(path.stem.rsplit("-", 1)[1])
            if run_id == self.run_id or _in_use(path):
                continue
            with Session(self.engine) as s:
                mark = s.get(JournalMark, run_id)
            data = path.read_bytes()
            start = mark.offset if mark is not None else 0
            items = [
                tuple(json.loads(line))
                for line in data[start:].decode().splitlines()
                if line.strip()
            ]
            if items and not self._commit(run_id, items, len(data)):
                continue  # the database refuses: the journal stays for the next start
            total += len(items)
            path.unlink()
        return total

    def close(self) -> None:
        """Write everything queued, then stop the writer. A journal fully in the database is
        removed; otherwise it stays, and the next start writes the rest."""
        self._q.put(None)
        self._thread.join(timeout=30)
        self._jf.close()
        if not self._retry and self._q.empty():
            self.journal_path.unlink(missing_ok=True)
        self.engine.dispose()

    # -- reading back ------------------------------------------------------------------------
    def latest_states(self) -> dict[int, dict[str, Any]]:
        """The last saved state of each strategy (by magic), across runs."""
        out: dict[int, dict[str, Any]] = {}
        with Session(self.engine) as s:
            for row in s.exec(select(StrategyStateRow).order_by(StrategyStateRow.id)):  # type: ignore[arg-type]
                out[row.magic] = json.loads(row.state)
        return out


def _create_private(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (0600), as the checkpoints are:
    the audit trail holds the account's orders and fills. An existing file is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _default_journal_dir(url: str) -> Path:
    """Beside a SQLite file; the working folder otherwise."""
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///") :]).parent
    return Path(".")


try:  # exclusive locks on journals (POSIX); elsewhere two brains must not share a journal folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _lock_file(fh: Any) -> None:
    if fcntl is not None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _in_use(path: Path) -> bool:
    """True when another live process holds the journal's lock."""
    if fcntl is None:
        return False
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False

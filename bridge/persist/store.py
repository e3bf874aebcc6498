"""The store: the audit trail in SQL through SQLModel (a SQLite file by default, any SQLAlchemy
URL such as PostgreSQL by config).

The database is never waited for on the tick-to-order path: ``Store.audit`` appends the row to a
local journal (one write, no fsync) and queues it; a writer thread commits in batches and records
in the same transaction how much of the journal the database holds. So nothing acknowledged is
lost: after a clean stop the journal is removed; after a killed process or while the database is
down the rows wait in the journal, and the next start (or the database's return) writes them,
once. While the database refuses writes, or the journal cannot be written (a full disk),
``healthy`` is False and the brain halts trading.

A journal belongs to one store and one run: its first line names the store's identity (a random
id kept in the database) and the run, and only journals of this store are ever written into it.
A record cut short (a kill or a full disk in the middle of a write) or unreadable is set aside
in ``<journal>.bad`` and reported, never written and never a reason to refuse to start.

Durability: a journal line is one ``write`` and no ``fsync``: it survives the process being
killed, not a power cut or a kernel crash, which can lose the rows the operating system had not
yet written out (seconds, on Linux up to about 30 s) that the database had not committed either.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, Text, event, func, inspect, text
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

from bridge.brain.orders import FINAL
from bridge.core import crashpoint
from bridge.persist import journal, plan_tables

log = logging.getLogger("mt5bridge.store")
NEVER_SENT = "never_sent"  # an order row closed at a restart: the terminal never received it
FINAL_ORDER_STATES = frozenset({*FINAL, NEVER_SENT})


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
    account: str = Field(default="", index=True)  # "login@server" of the terminal's account
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
    account: str = Field(default="", index=True)  # a deal is one per account and ticket
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


class StoreIdentity(SQLModel, table=True):
    """One row: the store's random identity, which its journals carry."""

    __tablename__ = "store_identity"
    id: str = Field(primary_key=True)
    created_wall: float


# columns added since a database could first be made, with what older rows get
ADDED_COLUMNS: dict[tuple[str, str], str] = {
    ("deals", "account"): "VARCHAR NOT NULL DEFAULT ''",
    ("orders", "account"): "VARCHAR NOT NULL DEFAULT ''",
}


def add_columns(engine: Any) -> list[str]:
    """Add the columns of ``ADDED_COLUMNS`` an older database lacks (its rows get the default:
    an empty account); returns what was added."""
    insp = inspect(engine)
    added = []
    with engine.begin() as conn:
        for (table, column), decl in ADDED_COLUMNS.items():
            if not insp.has_table(table):
                continue
            if column not in {c["name"] for c in insp.get_columns(table)}:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {decl}"))
                added.append(f"{table}.{column}")
    return added


def store_identity(engine: Any) -> str:
    """The store's identity, made the first time."""
    with Session(engine) as s:
        row = s.exec(select(StoreIdentity)).first()
        if row is None:
            row = StoreIdentity(id=uuid.uuid4().hex, created_wall=time.time())
            s.add(row)
            s.commit()
        return row.id


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


BATCH_ROWS = 500  # rows per commit at most
LINGER_S = 0.05  # how long the writer gathers rows before it commits them
# rows per insert statement: binding a statement's rows holds the interpreter lock throughout,
# so the writer lets go of it between statements and a brain thread waiting for the lock waits
# for about a millisecond of the writer's work, not a whole batch's
EXEC_ROWS = 50


@functools.cache
def _defaults(cls: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A table's column defaults: values, and factories called per row."""
    fixed: dict[str, Any] = {}
    factories: dict[str, Any] = {}
    for name, f in cls.model_fields.items():
        if f.default_factory is not None:
            factories[name] = f.default_factory
        elif not f.is_required():
            fixed[name] = f.default
    return fixed, factories


def _column_values(cls: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """A row as the column dict the model would give (its defaults, the fields given; an id
    left to the database is left out), without building the model: a table model does not
    validate what it is given, and building one cost a writer 30 % of its time."""
    fixed, factories = _defaults(cls)
    d = {**fixed, **{k: f() for k, f in factories.items()}}
    fields = cls.model_fields
    d.update((k, v) for k, v in values.items() if k in fields)
    if d.get("id", 0) is None:
        del d["id"]
    return d


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """Write-ahead log, synced at its checkpoints: a commit no longer waits for the disk
    (every row is in the journal first), and readers do not block the writer."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


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
            journal.create_private(Path(url[len("sqlite:///") :]))  # readable by its owner only
        self.engine = create_engine(url, **kw)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        SQLModel.metadata.create_all(self.engine)
        for added in add_columns(self.engine):
            log.info("store: column %s added (rows before it have none)", added)
        check_schema(self.engine, url)
        self.store_id = store_identity(self.engine)
        with Session(self.engine) as s:
            run = RunRow(started_wall=time.time(), mode=mode, fixture=fixture, config=config)
            s.add(run)
            s.commit()
            s.refresh(run)
            assert run.id is not None
            self.run_id: int = run.id
        self.errors: list[str] = []
        self.db_ok = True
        self.journal_error = ""  # why the last journal write failed ("" when it did not)
        self.problems: list[str] = []  # journals found at start that were not (all) written
        self.journal_dir = (
            Path(journal_dir) if journal_dir is not None else _default_journal_dir(url)
        )
        self.journal_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_dir = self.journal_dir / "mt5bridge-checkpoints"
        self.checkpoint_dir.mkdir(exist_ok=True)
        self.replayed = self._replay_journals()
        self.journal_path = self.journal_dir / journal.name(self.store_id, self.run_id)
        self._fd = journal.open_new(self.journal_path)
        journal.lock(self._fd)  # a live journal is never replayed by another brain
        header = {"mt5bridge_journal": journal.FORMAT, "store": self.store_id, "run": self.run_id}
        first = (json.dumps(header) + "\n").encode()
        journal.write_all(self._fd, first)
        self._written = len(first)
        self._lock = threading.Lock()
        self._q: queue.Queue[tuple[str, dict[str, Any], int] | None] = queue.Queue()
        self._retry: list[tuple[str, dict[str, Any], int]] = []
        self._thread = threading.Thread(target=self._writer, name="store-writer", daemon=True)
        self._thread.start()

    # -- writing -----------------------------------------------------------------------------
    def audit(self, kind: str, row: dict[str, Any]) -> None:
        """Append one row to the journal (one write, no fsync: it survives a killed process) and
        queue it for the database; never waits for the database."""
        line = (json.dumps([kind, row], default=str) + "\n").encode()
        with self._lock:
            try:
                journal.write_all(self._fd, line)
            except OSError as exc:  # a full disk: the row goes on to the database only
                self._journal_failed(exc)
            else:
                self._written += len(line)
                if self.journal_error:
                    log.warning("journal %s: writable again", self.journal_path)
                    self.journal_error = ""
            self._q.put((kind, row, self._written))
        if crashpoint.ARMED and (kind == "deal" or row.get("state") == "sent"):
            crashpoint.hit(f"{kind}_journaled")  # an order's first row, before it leaves

    def _journal_failed(self, exc: OSError) -> None:
        """The row is not in the journal: what a partial write left is cut off, trading halts
        (``healthy``) until a write succeeds again."""
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self._written)
        why = "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "write failed"
        reason = f"journal {self.journal_path}: {why} ({exc.strerror or exc})"
        if reason != self.journal_error:
            log.error("%s: trading halts until rows can be written", reason)
            if len(self.errors) < 100:
                self.errors.append(reason)
        self.journal_error = reason

    @property
    def healthy(self) -> bool:
        """Rows can be written: the database takes them and the journal keeps them."""
        return self.db_ok and not self.journal_error

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
            # rows come one by one while a session runs: gather for a moment and commit them
            # together (each commit costs a transaction; the journal already holds the rows)
            until = time.monotonic() + LINGER_S
            while len(batch) < BATCH_ROWS and not stop:
                wait = until - time.monotonic()
                try:
                    item = self._q.get(timeout=wait) if wait > 0 else self._q.get_nowait()
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
        rows: dict[type[SQLModel], list[dict[str, Any]]] = {}  # per table, in order
        # a row kept up to date (a plan, its positions) is written once per batch, as it is
        # last: each merge reads the row first
        upserts: dict[tuple[str, Any], dict[str, Any]] = {}
        deals: dict[tuple[str, int], dict[str, Any]] = {}
        for kind, data in items:
            if kind in plan_tables.UPSERT:
                # in the order first written (a plan before its positions: foreign keys)
                upserts[(kind, data.get("id"))] = data
                continue
            if kind in plan_tables.APPEND:
                cls, values = plan_tables.values(kind, data)
                rows.setdefault(cls, []).append(_column_values(cls, values))
                continue
            table = EventLogRow if kind == "log" else _ROWS.get(kind)
            if table is None:
                continue
            row = _column_values(table, {"run_id": run_id, **data})
            if table is DealRow:  # a fill is kept once per account, however often reported
                deals.setdefault((str(data.get("account", "")), int(data["ticket"])), row)
            else:
                rows.setdefault(table, []).append(row)
        try:
            with Session(self.engine) as s:
                for (kind, _id), data in upserts.items():  # first: rows may refer to them
                    s.merge(plan_tables.make(kind, data))
                if deals:
                    tickets = {t for _a, t in deals}
                    known = s.exec(
                        select(DealRow.account, DealRow.ticket).where(
                            col(DealRow.ticket).in_(tickets)
                        )
                    )
                    for key in set(known):
                        deals.pop(key, None)
                    if deals:
                        rows.setdefault(DealRow, []).extend(deals.values())
                for cls, dicts in rows.items():  # executemany per table, SQLAlchemy Core
                    insert = cls.__table__.insert()  # type: ignore[attr-defined]
                    for at in range(0, len(dicts), EXEC_ROWS):
                        s.execute(insert, dicts[at : at + EXEC_ROWS])
                        time.sleep(0)  # the interpreter to the brain's thread, if it waits
                s.merge(JournalMark(run_id=run_id, offset=offset))
                s.commit()
        except Exception as exc:  # the database is down or refuses: say so, keep the rows
            self.db_ok = False
            if len(self.errors) < 100:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            return False
        self.db_ok = True
        return True

    def _replay_journals(self) -> int:
        """Write what earlier runs of this store journaled but never committed (a killed
        process, or a database that was down when it stopped), then remove their journals.
        Journals of another store are left alone and reported."""
        total = 0
        for path in sorted(self.journal_dir.glob("mt5bridge-journal-*.jsonl")):
            if journal.in_use(path):
                continue
            data = path.read_bytes()
            header, body_at = journal.header(data)
            if header is None or header.get("store") != self.store_id:
                whose = "an older version" if header is None else "another database"
                self._problem(f"journal {path} belongs to {whose}: left as it is, not written")
                continue
            run_id = int(header["run"])
            with Session(self.engine) as s:
                mark = s.get(JournalMark, run_id)
            start = max(mark.offset if mark is not None else 0, body_at)
            items, bad = journal.rows(data, start)
            if bad:
                journal.set_aside(path, bad)
                where = ", ".join(f"byte {at}" for at, _ in bad[:5])
                self._problem(
                    f"journal {path}: {len(bad)} record(s) cut short or unreadable ({where}): "
                    f"set aside in {path.name}.bad, the other {len(items)} written"
                )
            if items and not self._commit(run_id, items, len(data)):
                continue  # the database refuses: the journal stays for the next start
            total += len(items)
            path.unlink()
        return total

    def _problem(self, text: str) -> None:
        log.warning("store: %s", text)
        self.problems.append(text)

    def close(self) -> None:
        """Write everything queued, then stop the writer. A journal fully in the database is
        removed; otherwise it stays, and the next start writes the rest."""
        self._q.put(None)
        self._thread.join(timeout=30)
        os.close(self._fd)
        if not self._retry and self._q.empty() and not self.journal_error:
            self.journal_path.unlink(missing_ok=True)
        self.engine.dispose()

    def last_deal_ms(self, account: str) -> int | None:
        """The server time of the newest fill stored for ``account`` (None: none stored)."""
        with Session(self.engine) as s:
            q = select(func.max(DealRow.time_ms)).where(DealRow.account == account)
            value = s.exec(q).first()
        return int(value) if value is not None else None

    def open_order_rows(self, account: str) -> dict[str, tuple[int, str, str]]:
        """Orders of ``account`` whose newest row is not final, by client id: (magic, state,
        command)."""
        newest: dict[str, OrderRow] = {}
        with Session(self.engine) as s:
            q = select(OrderRow).where(OrderRow.account == account).order_by(col(OrderRow.id))
            for row in s.exec(q):
                newest[row.client_id] = row
        return {
            cid: (r.magic, r.state, r.command)
            for cid, r in newest.items()
            if r.state not in FINAL_ORDER_STATES
        }

    # -- reading back ------------------------------------------------------------------------
    def latest_states(self) -> dict[int, dict[str, Any]]:
        """The last saved state of each strategy (by magic), across runs."""
        out: dict[int, dict[str, Any]] = {}
        with Session(self.engine) as s:
            for row in s.exec(select(StrategyStateRow).order_by(StrategyStateRow.id)):  # type: ignore[arg-type]
                out[row.magic] = json.loads(row.state)
        return out


def _default_journal_dir(url: str) -> Path:
    """Beside a SQLite file; the working folder otherwise."""
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///") :]).parent
    return Path(".")

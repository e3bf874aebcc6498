"""Where a study lives: Optuna's journal storage, its log kept in a table of the project's
store (``optuna_journal``: one row per log entry, numbered from 0). A trial's ask, parameters,
results and tell are then a few single-row inserts (about 2 ms a trial) where Optuna's
relational storage issues some fifty ORM statements (about 20 ms). The same table works in a
SQLite file (WAL mode, writers wait their turn) and in PostgreSQL (appends under a table lock,
so that log numbers are given and seen in order): several machines can share a study through
it. A database that already holds studies in Optuna's own tables (made before) keeps them
there."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from optuna.storages.journal import BaseJournalBackend
from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)

TABLE = "optuna_journal"


class SqlJournal(BaseJournalBackend):
    def __init__(self, url: str) -> None:
        sqlite = url.startswith("sqlite")
        kw: dict[str, Any] = {"connect_args": {"timeout": 120}} if sqlite else {}
        self.engine = create_engine(url, **kw)
        self.sqlite = sqlite
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        meta = MetaData()
        self.table = Table(
            TABLE,
            meta,
            Column("log_number", BigInteger, primary_key=True, autoincrement=False),
            Column("log", Text, nullable=False),
        )
        meta.create_all(self.engine)

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        t = self.table
        q = select(t.c.log).where(t.c.log_number >= log_number_from).order_by(t.c.log_number)
        with self.engine.connect() as c:
            return [json.loads(text) for (text,) in c.execute(q)]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        t = self.table
        with self.engine.begin() as c:  # SQLite: BEGIN IMMEDIATE, one writer at a time
            if not self.sqlite:
                c.exec_driver_sql(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
            first = c.execute(select(func.coalesce(func.max(t.c.log_number) + 1, 0))).scalar_one()
            rows = [{"log_number": first + i, "log": json.dumps(x)} for i, x in enumerate(logs)]
            c.execute(insert(t), rows)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # the transactions are begun below, not by the driver
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_storage(url: str) -> Any:
    """The study storage for the store at ``url``."""
    import optuna

    probe = create_engine(url)
    try:
        legacy = inspect(probe).has_table("studies") and inspect(probe).has_table("trials")
    finally:
        probe.dispose()
    if legacy:  # Optuna's own tables: the studies made there stay there
        return optuna.storages.RDBStorage(url)
    return optuna.storages.JournalStorage(SqlJournal(url))

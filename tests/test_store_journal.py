"""The store's journal: nothing acknowledged is lost when the process is killed or the database
is down, and nothing is written twice."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import create_engine

from bridge.brain.engine import Engine
from bridge.live.server import DB_HALT, BrainServer
from bridge.persist.store import Store
from tests.conftest import ROOT
from tests.helpers import Scripted


def risk_row(i: int) -> dict[str, object]:
    return {"time_ms": i, "magic": 1, "intent": f"intent {i}", "approved": True, "reason": ""}


def killed_writer(db: Path, first: int, wait: bool, second: int) -> None:
    """A process that audits rows and dies without closing the store (os._exit)."""
    code = textwrap.dedent(f"""
        import os, time
        from bridge.persist.store import Store
        from tests.test_store_journal import risk_row
        s = Store("sqlite:///{db}")
        for i in range({first}):
            s.audit("risk", risk_row(i))
        while {wait} and s.pending:
            time.sleep(0.01)
        for i in range({first}, {first + second}):
            s.audit("risk", risk_row(i))
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


def times(db: Path) -> list[int]:
    return [
        r[0]
        for r in sqlite3.connect(db).execute("select time_ms from risk_decisions order by time_ms")
    ]


def test_rows_of_a_killed_process_are_written_by_the_next_start_exactly_once(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.sqlite"
    killed_writer(db, 1500, wait=True, second=1500)  # half committed, half only journaled
    assert len(list(tmp_path.glob("mt5bridge-journal-*.jsonl"))) == 1
    s = Store(f"sqlite:///{db}")
    s.close()
    assert times(db) == list(range(3000)) and s.replayed >= 1
    assert not list(tmp_path.glob("mt5bridge-journal-*.jsonl"))


def test_database_outage_keeps_rows_and_reports_unhealthy_until_it_is_back(tmp_path: Path) -> None:
    db = tmp_path / "b.sqlite"
    s = Store(f"sqlite:///{db}")
    good = s.engine
    s.engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite'}")  # cannot open
    for i in range(100):
        s.audit("risk", risk_row(i))
    deadline = time.monotonic() + 10
    while s.healthy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not s.healthy and s.pending == 100 and s.errors
    s.engine = good  # the database is back
    deadline = time.monotonic() + 15
    while (s.pending or not s.healthy) and time.monotonic() < deadline:
        time.sleep(0.05)
    s.close()
    assert s.healthy and times(db) == list(range(100))


def test_closing_while_the_database_is_down_leaves_the_journal_for_the_next_start(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.sqlite"
    s = Store(f"sqlite:///{db}")
    s.engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite'}")
    for i in range(10):
        s.audit("risk", risk_row(i))
    s.close()
    assert times(db) == [] and s.journal_path.exists()
    s2 = Store(f"sqlite:///{db}")
    s2.close()
    assert times(db) == list(range(10))


def test_a_live_journal_is_never_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite"
    live = Store(f"sqlite:///{db}")
    live.engine = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite'}")
    live.audit("risk", risk_row(1))
    other = Store(f"sqlite:///{db}")  # a second brain on the same folder
    assert other.replayed == 0 and live.journal_path.exists()
    other.close()


def test_the_brain_halts_while_the_database_is_down_and_resumes_after() -> None:
    ok = [True]
    srv = BrainServer(
        lambda tid, send: Engine([Scripted()], {}, send),
        endpoint="tcp://127.0.0.1:0",
        secret=b"s",
        health=lambda: ok[0],
    )
    eng = Engine([Scripted()], {}, lambda c: None)
    srv.engines["t"] = eng
    try:
        srv.housekeeping(0)
        assert eng.gate.halted == ""
        ok[0] = False
        srv.housekeeping(1)
        assert eng.gate.halted == DB_HALT
        ok[0] = True
        srv.housekeeping(2)
        assert eng.gate.halted == ""
        eng.gate.halt("operator")  # a halt for another reason is not lifted by the database
        srv.housekeeping(3)
        assert eng.gate.halted == "operator"
    finally:
        srv.close()


def test_the_writers_column_dicts_are_the_models_rows() -> None:
    """The writer builds each row's column dict itself (no model object per row): the same
    columns and values the table model's dump gives, defaults included, an unset id left out."""
    import datetime as dt
    import typing

    from bridge.persist.store import _ROWS, EventLogRow, _column_values, _defaults

    samples: dict[object, object] = {
        int: 7,
        float: 1.5,
        str: "x",
        bool: True,
        dt.datetime: dt.datetime(2026, 1, 2),
        dict: {"a": 1},
    }
    for cls in {*_ROWS.values(), EventLogRow}:
        fields = cls.model_fields
        full = {}
        for name, f in fields.items():
            kinds = [a for a in typing.get_args(f.annotation) if a is not type(None)]
            kind = kinds[0] if kinds else f.annotation
            full[name] = samples[typing.get_origin(kind) or kind]
        full.pop("id", None)
        required = {k: v for k, v in full.items() if fields[k].is_required()}
        varying = set(_defaults(cls)[1])  # factories give a new value each time
        for given in (full, required):
            want = cls(**given).model_dump()
            if want.get("id", 0) is None:
                del want["id"]
            got = _column_values(cls, given)
            assert got.keys() == want.keys(), cls.__name__
            assert {k: v for k, v in got.items() if k not in varying} == {
                k: v for k, v in want.items() if k not in varying
            }, cls.__name__

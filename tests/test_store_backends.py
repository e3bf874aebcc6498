"""The store on SQLite and on a real PostgreSQL server: the same rows, the journal, an outage."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bridge.persist.store import Store
from tests.conftest import ROOT

_n = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Any]:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}", None
    cluster = request.getfixturevalue("pg_cluster")
    import psycopg

    name = f"t{next(_n)}"
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:{cluster.port}/{name}", cluster


def count(url: str, table: str) -> int:
    eng = create_engine(url)
    try:
        with eng.connect() as con:
            return int(con.execute(text(f"select count(*) from {table}")).scalar_one())
    finally:
        eng.dispose()


def risk_row(i: int) -> dict[str, object]:
    return {"time_ms": i, "magic": 1, "intent": f"intent {i}", "approved": i % 2 == 0, "reason": ""}


def test_rows_states_and_plan_upserts_are_written(backend: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = backend
    s = Store(url, journal_dir=tmp_path)
    for i in range(700):
        s.audit("risk", risk_row(i))
    s.audit("state", {"magic": 7, "name": "n", "state": '{"k": 1}', "time_ms": 5})
    s.audit("state", {"magic": 7, "name": "n", "state": '{"k": 2}', "time_ms": 6})
    plan = {  # times of 2026 in ms, as the strategy sends them
        "id": 5000,
        "name": "p",
        "symbol": "X",
        "margin_amount": 1.0,
        "leverage": 1.0,
        "split": 0.5,
        "unit_value": 0.05,
        "unit_distance": 1.0,
        "entry_price": 1.0,
        "peak_price": 1.0,
        "valley_price": 1.0,
        "current_phase": "advance",
        "long_pct": 100,
        "hedge_long_pct": 100,
        "reset_count": 0,
        "is_active": True,
        "auto_execute": True,
        "status": "active",
        "plan_value": 1.0,
        "created_ms": 1_767_225_600_000,
        "updated_ms": 1_767_225_660_000,
        "last_reset_ms": None,
    }
    s.audit("plan", plan)
    s.audit("plan", {**plan, "reset_count": 3})
    s.close()
    assert not s.errors
    assert count(url, "risk_decisions") == 700 and count(url, "trading_plans") == 1
    s2 = Store(url, journal_dir=tmp_path)
    assert s2.latest_states() == {7: {"k": 2}}
    s2.close()


def test_a_killed_brain_loses_nothing(backend: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = backend
    code = textwrap.dedent(f"""
        import os, time
        from bridge.persist.store import Store
        from tests.test_store_backends import risk_row
        s = Store({url!r}, journal_dir={str(tmp_path)!r})
        for i in range(400):
            s.audit("risk", risk_row(i))
        while s.pending:
            time.sleep(0.01)
        for i in range(400, 800):
            s.audit("risk", risk_row(i))
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
    s = Store(url, journal_dir=tmp_path)
    s.close()
    assert count(url, "risk_decisions") == 800


@pytest.mark.postgres
def test_postgres_server_stopped_mid_session(pg_cluster: Any, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as con:
        con.execute("CREATE DATABASE outage")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_cluster.port}/outage"
    s = Store(url, journal_dir=tmp_path)
    for i in range(50):
        s.audit("risk", risk_row(i))
    while s.pending:
        time.sleep(0.01)
    pg_cluster.stop()  # the database goes away
    try:
        for i in range(50, 120):
            s.audit("risk", risk_row(i))
        deadline = time.monotonic() + 20
        while s.healthy and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not s.healthy and s.pending == 70
    finally:
        pg_cluster.start()  # and comes back
    deadline = time.monotonic() + 30
    while (s.pending or not s.healthy) and time.monotonic() < deadline:
        time.sleep(0.1)
    s.close()
    assert s.healthy and count(url, "risk_decisions") == 120


def test_a_database_of_an_older_version_is_refused_naming_table_and_columns(
    tmp_path: Path,
) -> None:
    import sqlite3

    from bridge.persist.store import StoreSchemaError

    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)  # the two-bucket tables as an older version made them
    con.execute("create table trading_plans (id integer primary key, margin float, peak float)")
    con.commit()
    con.close()
    with pytest.raises(StoreSchemaError, match=r"trading_plans lacks .*margin_amount.*peak_price"):
        Store(f"sqlite:///{db}", journal_dir=tmp_path)


def test_real_times_tickets_and_magics_are_stored_whole(
    backend: tuple[str, Any], tmp_path: Path
) -> None:
    """Broker times of 2026 in ms, tickets and orders beyond 2^31, a 64-bit magic: on
    PostgreSQL a 32-bit INTEGER column overflows on the first real row."""
    url, _ = backend
    t, big = 1_767_225_600_000, 5_000_000_123
    s = Store(url, journal_dir=tmp_path)
    deal = {
        "ticket": big,
        "order": big + 1,
        "position_id": big + 2,
        "client_id": "b-1",
        "symbol": "US100",
        "is_buy": True,
        "entry": 0,
        "volume": 1.0,
        "price": 21_000.5,
        "commission": 0.0,
        "swap": 0.0,
        "profit": 0.0,
        "magic": 2**40,
        "time_ms": t,
        "reason": 3,
    }
    s.audit("deal", deal)
    s.audit(
        "order",
        {"client_id": "b-1", "magic": 2**40, "state": "filled", "ticket": big + 1, "time_ms": t},
    )
    s.audit("position", {"ticket": big + 2, "change": "open", "magic": 2**40, "time_ms": t})
    s.audit("risk", {**risk_row(0), "time_ms": t, "magic": 2**40})
    s.close()
    assert not s.errors, s.errors
    eng = create_engine(url)
    try:
        with eng.connect() as con:
            row = con.execute(
                text('select ticket, "order", position_id, magic, time_ms from deals')
            ).one()
            assert tuple(row) == (big, big + 1, big + 2, 2**40, t)
            assert con.execute(text("select ticket, time_ms from orders")).one() == (big + 1, t)
            assert con.execute(text("select ticket from position_changes")).scalar_one() == big + 2
            assert con.execute(text("select time_ms from risk_decisions")).scalar_one() == t
    finally:
        eng.dispose()


def test_a_postgres_database_with_32_bit_columns_is_refused(
    pg_cluster: Any, tmp_path: Path
) -> None:
    import psycopg

    from bridge.persist.store import StoreSchemaError

    name = f"t{next(_n)}"
    with psycopg.connect(pg_cluster.url("postgres"), autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg_cluster.port}/{name}"
    with psycopg.connect(pg_cluster.url(name), autocommit=True) as con:  # as an older version
        con.execute(
            "CREATE TABLE risk_decisions (id SERIAL PRIMARY KEY, run_id INTEGER, "
            "time_ms INTEGER, magic INTEGER, intent TEXT, approved BOOLEAN, reason VARCHAR)"
        )
    with pytest.raises(StoreSchemaError, match="risk_decisions has 32-bit time_ms, magic"):
        Store(url, journal_dir=tmp_path)


def test_the_two_bucket_plans_tables_on_both_stores(
    backend: tuple[str, Any], tmp_path: Path
) -> None:
    """The seed's schema written by a real plan run: foreign keys, JSON(B) columns, the seed's
    phase numbers, server-time timestamps."""
    from bridge.replay.backtest import run_backtest
    from tests.test_two_bucket import CYCLE, fixture, strategy

    url, _ = backend
    s = Store(url, journal_dir=tmp_path)
    plan = strategy()
    run_backtest(fixture(CYCLE), [plan], audit=s.audit)
    s.close()
    assert not s.errors, s.errors
    assert count(url, "trading_plans") == 1 and count(url, "positions") == 4
    assert count(url, "allocation_changes") == 16 and count(url, "price_updates") > 0
    eng = create_engine(url)
    try:
        with eng.connect() as con:
            phases = con.execute(text("select distinct phase from allocation_changes")).scalars()
            assert set(phases) == {1, 2, 3, 4}
            details = con.execute(
                text("select reset_details from allocation_changes where is_reset_event")
            ).scalars()
            got = [d if isinstance(d, dict) else json.loads(d) for d in details]
            assert got and all(d["reset_count"] == 1 for d in got)
            data = con.execute(text("select exchange_data from trades limit 1")).scalar_one()
            data = data if isinstance(data, dict) else json.loads(data)
            assert data["source"] == "plan model"
            created = con.execute(text("select created_at from trading_plans")).scalar_one()
            assert str(created).startswith("2026-01-06 10:00")  # server time, as the ticks
    finally:
        eng.dispose()

"""The store when its files or disk misbehave: journals belong to one store and run, a full disk
halts trading without ending the process, a record cut short is set aside, and fills of two
accounts with the same ticket are both kept (docs/reliability.md)."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from bridge.brain.engine import Engine
from bridge.core import events as ev
from bridge.live.server import DB_HALT, BrainServer
from bridge.persist import framelog, journal, recovery
from bridge.persist.store import Store
from tests.conftest import ROOT
from tests.helpers import Scripted
from tests.test_store_journal import risk_row, times


def down(s: Store, tmp: Path) -> None:
    """The database refuses every write from now on."""
    s.engine = create_engine(f"sqlite:///{tmp / 'missing-dir' / 'x.sqlite'}")


def left_journal(db: Path, rows: range) -> Path:
    """A brain that stopped while its database was down: its rows wait in its journal."""
    s = Store(f"sqlite:///{db}")
    down(s, db.parent)
    for i in rows:
        s.audit("risk", risk_row(i))
    s.close()
    assert s.journal_path.exists()
    return s.journal_path


def journals(folder: Path) -> list[Path]:
    return sorted(folder.glob("mt5bridge-journal-*.jsonl"))


# -- a journal belongs to one store and one run ------------------------------------------------
def test_a_recreated_database_never_takes_the_old_journal_as_its_own(tmp_path: Path) -> None:
    """Before: the new database's first run got id 1 again, appended to run 1's journal of the
    old database, wrote its rows as its own and deleted it on a clean stop."""
    db = tmp_path / "a.sqlite"
    old = left_journal(db, range(10))
    db.unlink()  # the database is recreated
    s = Store(f"sqlite:///{db}")
    s.audit("risk", risk_row(100))
    s.close()
    assert times(db) == [100]  # nothing of the old database's journal
    assert old.exists() and s.journal_path != old and not s.journal_path.exists()
    assert any("belongs to another database" in p and str(old) in p for p in s.problems)
    first = old.read_bytes().split(b"\n", 1)[0]
    assert json.loads(first)["run"] == 1 and json.loads(first)["store"] != s.store_id


def test_two_databases_in_one_folder_replay_only_their_own_journals(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    left_journal(a, range(10))
    left_journal(b, range(20, 25))
    sb = Store(f"sqlite:///{b}")
    sb.close()
    assert times(b) == list(range(20, 25)) and times(a) == []  # b took only its own
    sa = Store(f"sqlite:///{a}")
    sa.close()
    assert times(a) == list(range(10))
    assert journals(tmp_path) == []


def test_a_journal_without_an_identity_is_left_alone_and_reported(tmp_path: Path) -> None:
    old = tmp_path / "mt5bridge-journal-3.jsonl"  # as an older version wrote them
    old.write_text(json.dumps(["risk", risk_row(1)]) + "\n")
    s = Store(f"sqlite:///{tmp_path / 'c.sqlite'}")
    s.close()
    assert old.exists() and times(tmp_path / "c.sqlite") == []
    assert any("an older version" in p for p in s.problems)


# -- records cut short or unreadable -----------------------------------------------------------
def test_a_torn_last_record_and_unreadable_bytes_are_set_aside_and_reported(
    tmp_path: Path,
) -> None:
    """Before: every restart exited with "Expecting value: line 1 column 55", naming no file."""
    db = tmp_path / "d.sqlite"
    path = left_journal(db, range(10))
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines.insert(4, b"\xff\xfe not text")  # bytes that are not UTF-8, in the middle
    torn = json.dumps(["risk", risk_row(10)]).encode()[:30]  # a kill in the middle of a write
    path.write_bytes(b"\n".join(lines) + torn)
    s = Store(f"sqlite:///{db}")
    s.close()
    assert times(db) == list(range(10))  # every whole record written
    (problem,) = s.problems
    assert str(path) in problem and "2 record(s) cut short or unreadable" in problem
    aside = path.with_name(path.name + ".bad").read_bytes()
    assert b"\xff\xfe not text" in aside and torn in aside
    assert not path.exists()


# -- a full disk ---------------------------------------------------------------------------------
def full_disk_after(limit: int) -> Any:
    """``journal.write_all`` as on a disk with ``limit`` bytes left: a write beyond it puts
    what fits, then fails with ENOSPC."""
    real = journal.write_all
    left = [limit]

    def write_all(fd: int, data: bytes) -> None:
        if len(data) > left[0]:
            os.write(fd, data[: left[0]])
            left[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        left[0] -= len(data)
        real(fd, data)

    return write_all


def test_a_full_disk_halts_trading_and_keeps_the_journal_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: ENOSPC escaped from the audit call and ended the process."""
    s = Store(f"sqlite:///{tmp_path / 'e.sqlite'}")
    srv = BrainServer(
        lambda tid, send: Engine([Scripted()], {}, send),
        endpoint="tcp://127.0.0.1:0",
        secret=b"s",
        health=lambda: s.healthy,
    )
    eng = Engine([Scripted()], {}, lambda c: None)
    srv.engines["t"] = eng
    try:
        monkeypatch.setattr(journal, "write_all", full_disk_after(1000))
        for i in range(40):
            s.audit("risk", risk_row(i))  # never raises
        assert not s.healthy and "disk full" in s.journal_error
        srv.housekeeping(1)
        assert eng.gate.halted == DB_HALT
        monkeypatch.undo()  # space freed
        s.audit("risk", risk_row(40))
        assert s.healthy
        srv.housekeeping(2)
        assert eng.gate.halted == ""
    finally:
        srv.close()
        s.close()
    # the journal kept no torn record: every line reads
    data = s.journal_path.read_bytes() if s.journal_path.exists() else b""
    assert journal.rows(data, journal.header(data)[1])[1] == []
    assert times(tmp_path / "e.sqlite") == list(range(41))  # the database took them all


def test_a_file_size_limit_reached_for_real_never_ends_the_process(tmp_path: Path) -> None:
    """The kernel refuses the writes (RLIMIT_FSIZE, as a full disk does): the store says so and
    the process lives on; nothing torn is left in the journal."""
    code = textwrap.dedent(f"""
        import resource, signal, json
        from bridge.persist.store import Store
        from bridge.persist import journal
        from tests.test_store_journal import risk_row
        s = Store("sqlite:///{tmp_path / "f.sqlite"}")
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        for i in range(3000):
            s.audit("risk", risk_row(i))
        print(json.dumps({{"healthy": s.healthy, "error": s.journal_error}}))
        data = s.journal_path.read_bytes()
        rows, bad = journal.rows(data, journal.header(data)[1])
        print(json.dumps({{"bad": len(bad), "rows": len(rows)}}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    first, second = (json.loads(x) for x in out.stdout.splitlines()[-2:])
    assert first["healthy"] is False and "journal" in first["error"]
    assert second["bad"] == 0 and second["rows"] > 1000


def test_the_frame_log_on_a_full_disk_halts_and_loses_no_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ck = recovery.Checkpoints(tmp_path, b"s")
    eng = Engine([Scripted()], {}, lambda c: None)
    ck.save("t", eng, None)
    ck.log_frame("t", b"one")
    ck.flush()

    def no_space(fd: int, data: bytes, offset: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real = framelog.write_at
    monkeypatch.setattr(framelog, "write_at", no_space)
    ck.log_frame("t", b"two")
    ck.flush()  # never raises
    assert "No space left on device" in ck.problem
    srv = BrainServer(
        lambda tid, send: eng, endpoint="tcp://127.0.0.1:0", secret=b"s", checkpoints=ck
    )
    srv.engines["t"] = eng
    try:
        srv.housekeeping(1)
        assert eng.gate.halted == DB_HALT
        monkeypatch.setattr(framelog, "write_at", real)  # space freed
        ck.log_frame("t", b"three")
        ck.flush()
        ck.save("t", eng, None)  # the next checkpoint clears the problem
        assert ck.problem == ""
        srv.housekeeping(2)
        assert eng.gate.halted == ""
    finally:
        srv.close()
        ck.close()


def test_frames_kept_by_a_failed_flush_are_written_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = framelog.FrameLog(tmp_path / "t.frames", b"s")
    log.start(1)
    log.add(b"one")
    real = framelog.write_at

    def no_space(fd: int, data: bytes, offset: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(framelog, "write_at", no_space)
    with pytest.raises(OSError):
        log.flush()
    monkeypatch.setattr(framelog, "write_at", real)
    log.add(b"two")
    log.flush()
    log.close()
    assert framelog.read(tmp_path / "t.frames", b"s", 1) == [b"one", b"two"]


# -- fills of two accounts -----------------------------------------------------------------------
def deal(ticket: int, account: str, time_ms: int = 1767607200000) -> dict[str, Any]:
    d = ev.Deal(ticket, 7, 7, "c-1", "US100", True, 0, 0.1, 21000.0, 0, 0, 0, 5, time_ms, 3)
    return {**d._asdict(), "account": account}


def test_fills_of_two_accounts_with_the_same_ticket_are_both_kept(tmp_path: Path) -> None:
    """Before: de-duplicated by ticket alone, across terminals and runs."""
    db = tmp_path / "g.sqlite"
    s = Store(f"sqlite:///{db}")
    for t in range(3_000_000_001, 3_000_000_040):  # real ticket sizes (> 2**31)
        s.audit("deal", deal(t, "5012345@FTMO-Demo"))
        s.audit("deal", deal(t, "7001@Other-Server"))
        s.audit("deal", deal(t, "5012345@FTMO-Demo"))  # reported again: one row
    s.close()
    s2 = Store(f"sqlite:///{db}")  # a later run hears the same fills again
    s2.audit("deal", deal(3_000_000_001, "7001@Other-Server"))
    s2.close()
    rows = sqlite3.connect(db).execute("select account, count(*) from deals group by account")
    assert dict(rows.fetchall()) == {"5012345@FTMO-Demo": 39, "7001@Other-Server": 39}


def test_an_older_database_gets_the_account_columns(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    s = Store(f"sqlite:///{db}")
    s.close()
    con = sqlite3.connect(db)
    for table in ("deals", "orders"):  # as a database of the previous version
        con.execute(f"drop index ix_{table}_account")
        con.execute(f"alter table {table} drop column account")
    con.execute(
        'insert into deals (run_id, ticket, "order", position_id, client_id, symbol, '
        "is_buy, entry, volume, price, commission, swap, profit, magic, time_ms, reason) "
        "values (1, 9, 9, 9, 'c', 'US100', 1, 0, 0.1, 1.0, 0, 0, 0, 1, 5, 3)"
    )
    con.commit()
    con.close()
    s2 = Store(f"sqlite:///{db}")
    s2.audit("deal", deal(9, "1@X"))
    s2.close()
    rows = sqlite3.connect(db).execute("select account, ticket from deals order by id").fetchall()
    assert rows == [("", 9), ("1@X", 9)]  # the old row kept, with no account

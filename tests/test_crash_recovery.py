"""The brain killed with SIGKILL at 56 points of a fake-terminal session, then started again.

Each run: a brain process (SQLite store) serves a lockstep fake terminal; the brain kills itself
at a chosen crash point (``MT5BRIDGE_CRASH_AT``: a frame, a fill before it is handled, a fill in
the journal but not the database, an order's row in the journal with the frame that caused
it not yet logged, a frame logged with the orders it caused not yet sent, an
order sent with its result not yet received, a frame handled before READY, a checkpoint written
with the frame log before it not yet emptied). The test starts a
new brain on the same store; the terminal notices the silence, handshakes with it and finishes.

Asserted for every run: the terminal executed no client order id twice; every fill it made is
in the audit trail exactly once; the new brain logged that it resumed from the checkpoint and
its reconciliation; no event error; no order row left open. Except where an order never left
the killed process (the kill fell between a frame being logged and the orders it caused leaving,
or before ZeroMQ's I/O thread wrote a queued command: the terminal answers "no record" and the
strategy hears "never received"), the terminal's fills are exactly those of an uninterrupted
session: every strategy continued where it was.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.data.fixtures import load_fixture
from bridge.sim.fake_terminal import FakeTerminal

pytestmark = pytest.mark.e2e
SECRET = b"crash-test-secret"
EVENTS = 2400  # market events per session (about 160 minutes of three symbols)
STRATS = (
    '[[strategies]]\nkind = "ema_cross"\nname = "ema_us100"\nmagic = 11\n'
    'params = { symbol = "US100", timeframe = 5, fast = 3, slow = 8 }\n'
    '[[strategies]]\nkind = "ema_cross"\nname = "ema_gold"\nmagic = 12\n'
    'params = { symbol = "XAUUSD", timeframe = 5, lots = 0.2, fast = 3, slow = 8 }\n'
)
# 56 kill points: (crash point, which passage)
POINTS = (
    [("frame", n) for n in (3, 9, 40, 250, 600, 900, 1300, 1700, 2100, 2400)]
    + [("deal", n) for n in range(1, 9)]
    + [("deal_journaled", n) for n in range(1, 9)]
    + [("order_journaled", n) for n in (1, 3, 5, 8)]
    + [("before_send", n) for n in range(1, 9)]
    + [("command", n) for n in range(1, 9)]
    + [("ready", n) for n in (1, 50, 300, 700, 1100, 1500, 1900, 2200)]
    + [("checkpoint", n) for n in (2, 3)]
)
_port_lock = threading.Lock()


_ports = random.Random()  # seeded by the system, apart from any seeding of the global one


def _free_port() -> int:
    """A free port below the system's ephemeral range: a killed brain's successor binds the same
    ports again, and a port the system picked (bind to 0) can meanwhile become the local end of
    any outgoing connection (another session's terminal), which failed a restart with "address
    already in use"."""
    with _port_lock:
        for _ in range(1000):
            port = _ports.randint(20_000, 32_000)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port in 20000-32000")


@dataclass
class Outcome:
    deals: list[tuple[Any, ...]]
    executed: list[str]
    killed: bool
    db: Path


def _brain(cfg: Path, crash: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CRASH_SECRET": SECRET.decode(), "MT5BRIDGE_CRASH_AT": crash}
    with log.open("ab") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg)],
            env=env,
            stdout=fh,
            stderr=fh,
        )


def brain_config(folder: Path, strategies: str = STRATS) -> tuple[Path, str, Path]:
    """A brain's config in ``folder`` on free ports with a SQLite store: (config, the
    terminals' endpoint, the database)."""
    port = _free_port()
    db = folder / "audit.sqlite"
    cfg = folder / "brain.toml"
    cfg.write_text(
        f'[brain]\nendpoint = "tcp://127.0.0.1:{port}"\n'
        f'control_endpoint = "tcp://127.0.0.1:{_free_port()}"\n'
        f'secret_env = "CRASH_SECRET"\nheartbeat_ms = 200\nsilence_ms = 2000\n'
        f'[store]\nurl = "sqlite:///{db}"\n' + strategies
    )
    return cfg, f"tcp://127.0.0.1:{port}", db


def session(fixture: Path, folder: Path, crash: str) -> Outcome:
    folder.mkdir(parents=True, exist_ok=True)
    cfg, endpoint, db = brain_config(folder)
    log = folder / "brain.log"
    first = _brain(cfg, crash, log)
    restarted: list[subprocess.Popen[bytes]] = []

    def watch() -> None:  # the operator's supervisor: a dead brain is started again
        first.wait()
        if first.returncode == -signal.SIGKILL:
            restarted.append(_brain(cfg, "", log))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ft = FakeTerminal(
        load_fixture(fixture),
        endpoint,
        SECRET,
        ready_timeout_s=1.0 if crash else 20.0,
        rejoin_s=30.0,
    )
    try:
        summary = ft.run(limit=EVENTS)
    finally:
        ft.close()
        last = restarted[-1] if restarted else first
        if last.poll() is None:
            last.send_signal(signal.SIGINT)  # a clean stop: the store writes everything
            last.wait(timeout=30)
        watcher.join(timeout=5)
    killed = first.returncode == -signal.SIGKILL
    deals = [
        (d.ticket, d.symbol, d.is_buy, d.entry, d.volume, d.price, d.time_ms) for d in summary.deals
    ]
    return Outcome(deals, summary.executed_ids, killed, db)


@pytest.fixture(scope="module")
def uninterrupted(day_fixture: Path, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    out = session(day_fixture, tmp_path_factory.mktemp("crash-base"), "")
    assert not out.killed
    assert len(out.deals) >= 10, "the session must trade to prove anything"
    return out


def _check(base: Outcome, point: str, n: int, out: Outcome) -> None:
    label = f"{point}:{n}"
    assert out.killed, f"{label}: the brain was not killed (point never reached)"
    assert len(out.executed) == len(set(out.executed)), f"{label}: an order executed twice"
    con = sqlite3.connect(out.db)
    tickets = [t for (t,) in con.execute("select ticket from deals")]
    assert len(tickets) == len(set(tickets)), f"{label}: a fill written twice"
    assert {d[0] for d in out.deals} == set(tickets), f"{label}: a fill missing from the audit"
    kinds = [k for (k,) in con.execute("select kind from event_log")]
    assert "event_error" not in kinds, label
    (runs,) = con.execute("select count(*) from runs").fetchone()
    assert runs == 2, f"{label}: expected the killed brain and its successor, got {runs} runs"
    after = [
        k
        for (k,) in con.execute(
            "select kind from event_log where run_id = (select max(id) from runs)"
        )
    ]
    assert "reconciled" in after, f"{label}: the new brain logged no reconciliation"
    # every order row reached a final state (or rests as a placed order): none left "sent"
    left = con.execute(
        "select client_id, state from orders o where id = "
        "(select max(id) from orders where client_id = o.client_id) "
        "and state in ('sent', 'unknown')"
    ).fetchall()
    assert not left, f"{label}: order rows never settled: {left}"
    # orders that never left the killed process (a kill between a frame's logging and the
    # send; ZeroMQ's I/O thread killed before it wrote a queued command) are answered "no
    # record" and closed as never received or never sent: the strategy decided again, later
    (never_left,) = con.execute(
        "select count(*) from orders where (state = 'rejected' and retcode = 0) "
        "or state = 'never_sent'"
    ).fetchone()
    if point in ("before_send", "order_journaled"):
        assert never_left >= 1, f"{label}: the order that never left is not accounted as such"
    elif never_left == 0:
        assert out.deals == base.deals, f"{label}: trades differ from the uninterrupted session"


def test_sigkill_at_50_points_loses_nothing_and_executes_nothing_twice(
    day_fixture: Path, uninterrupted: Outcome, tmp_path: Path
) -> None:
    assert len(POINTS) >= 50

    def one(k: int) -> tuple[str, int, Outcome]:
        point, n = POINTS[k]
        return point, n, session(day_fixture, tmp_path / f"run{k}", f"{point}:{n}")

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, range(len(POINTS))))
    for point, n, out in results:
        _check(uninterrupted, point, n, out)

"""A live brain with its dashboard and a fake terminal streaming the demo fixture at a set pace,
for the dashboard's tests: everything in this process over real sockets (ZeroMQ to the terminal,
HTTP and WebSocket to the dashboard)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.config import DashboardCfg, parse_config
from bridge.dashboard.access import derived_token
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.persist.store import Store
from bridge.runner import BrainRunner
from bridge.sim.fake_terminal import FakeTerminal

SECRET = b"dashboard-test-secret-0123456789"
# an EMA cross on M1 decides every few minutes: pauses and halts meet decisions quickly
BUSY = {
    "kind": "ema_cross",
    "name": "busy_cross",
    "magic": 1001,
    "params": {
        "symbol": "US100",
        "timeframe": 1,
        "fast": 2,
        "slow": 5,
        "lots": 0.1,
        "sl_pct": 0.05,
        "tp_pct": 0.05,
    },
}
PLAN = {
    "kind": "two_bucket",
    "name": "us100_plan",
    "magic": 5000,
    "params": {"symbol": "US100", "margin": 20000.0, "leverage": 5.0, "split": 0.5},
}


@dataclass
class Rig:
    runner: BrainRunner
    url: str
    token: str
    db: Path
    errors: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(self.db) as c:
            return list(c.execute(sql, args))


@contextmanager
def live_brain(
    tmp: Path,
    strategies: list[dict[str, Any]],
    rate: float = 2000.0,
    limit: int = 30_000,
    every_ms: int = 200,
) -> Iterator[Rig]:
    """The brain serving on a thread, its dashboard on 127.0.0.1 (a free port) and a fake
    terminal streaming the fixture's first ``limit`` market events, ``rate`` a second."""
    db = tmp / "brain.sqlite"
    cfg = parse_config({"store": {"url": f"sqlite:///{db}"}, "strategies": strategies})
    store = Store(cfg.store.url, mode="run", config="dashboard test")
    runner = BrainRunner(
        cfg, SECRET, store, endpoint="tcp://127.0.0.1:0", control_endpoint="tcp://127.0.0.1:0"
    )
    url = runner.start_dashboard(DashboardCfg(listen="127.0.0.1:0", every_ms=every_ms))
    runner.start_thread()
    rig = Rig(runner, url, derived_token(SECRET), db)
    fx = load_fixture(DEMO_FIXTURE)
    term = FakeTerminal(fx, runner.server.endpoint, SECRET, lockstep=False)

    def play() -> None:
        try:
            term.run(limit=limit, rate=rate)
        except Exception as exc:  # reported by the test, not lost in a thread
            rig.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            rig.done.set()

    th = threading.Thread(target=play, name="fake-terminal", daemon=True)
    th.start()
    try:
        yield rig
    finally:
        th.join(timeout=60)
        runner.stop()
        store.close()

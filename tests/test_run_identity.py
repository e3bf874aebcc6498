"""A run resumes only its own checkpoints, and only when it should: after an unclean stop, or
when asked (--resume); a clean stop ends the run; another config, another database or another
account never resumes it (bridge/persist/recovery.py start_decision, bridge/runner.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bridge.config import parse_config
from bridge.data.fixtures import load_fixture
from bridge.persist.store import Store
from bridge.runner import BrainRunner
from bridge.sim.fake_terminal import FakeTerminal
from tests.conftest import ROOT
from tests.test_recovery import STRATS

SECRET = b"identity-secret"
pytestmark = pytest.mark.e2e


class Run:
    """One brain on ``db`` with ``strats``; a fake terminal streams ``events`` market events."""

    def __init__(self, db: Path, strats: list[dict[str, Any]], start: str = "auto") -> None:
        self.store = Store(f"sqlite:///{db}")
        self.runner = BrainRunner(
            parse_config({"strategies": strats}),
            SECRET,
            self.store,
            endpoint="tcp://127.0.0.1:0",
            control_endpoint="",
            start=start,
        )
        self.logs: list[tuple[str, dict[str, Any]]] = []
        self.runner.server.on_log = lambda k, d: self.logs.append((k, d))
        self.runner.start_thread()

    def stream(self, fixture: Path, events: int, server: str = "mt5bridge-sim") -> None:
        ft = FakeTerminal(load_fixture(fixture), self.runner.server.endpoint, SECRET, server=server)
        try:
            ft.run(limit=events)
        finally:
            ft.close()

    def stop(self, clean: bool = True) -> None:
        self.runner.stop(ended=clean)
        self.store.close()

    def decision(self) -> str:
        rows = [d for k, d in self.store_rows() if k == "start_decision"]
        assert rows, "no start decision logged"
        return str(rows[-1]["decision"])

    def store_rows(self) -> list[tuple[str, dict[str, Any]]]:
        import json
        import sqlite3

        url = self.store.url[len("sqlite:///") :]
        con = sqlite3.connect(url)
        rid = self.store.run_id
        return [
            (k, json.loads(d))
            for k, d in con.execute("select kind, detail from event_log where run_id = ?", (rid,))
        ]

    def resumed(self) -> bool:
        return any(k == "resumed_from_checkpoint" for k, _ in self.store_rows())


def other_params() -> list[dict[str, Any]]:
    return [{**s, "params": {**s["params"], "slow": 9}} for s in STRATS]


def test_a_clean_stop_ends_the_run_and_the_next_start_is_fresh(
    day_fixture: Path, tmp_path: Path
) -> None:
    """Before: the second run resumed the first's checkpoint silently, reconciled its positions
    away and reported no trade."""
    db = tmp_path / "a.sqlite"
    first = Run(db, STRATS)
    first.stream(day_fixture, 400)
    first.stop(clean=True)
    second = Run(db, STRATS)
    second.stream(day_fixture, 50)
    second.stop()
    assert "fresh start (its last run stopped cleanly; --resume continues it)" in second.decision()
    assert not second.resumed()
    third = Run(db, STRATS, start="resume")  # asked: the last run goes on
    third.stream(day_fixture, 50)
    third.stop()
    assert "resuming its last run as asked" in third.decision() and third.resumed()


def test_after_a_crash_the_run_resumes_unless_fresh_is_asked(
    day_fixture: Path, tmp_path: Path
) -> None:
    db = tmp_path / "b.sqlite"
    first = Run(db, STRATS)
    first.stream(day_fixture, 400)
    first.stop(clean=False)  # as a killed process leaves it
    second = Run(db, STRATS)
    second.stream(day_fixture, 50)
    second.stop(clean=False)
    assert "resuming after an unclean stop" in second.decision() and second.resumed()
    third = Run(db, STRATS, start="fresh")
    third.stream(day_fixture, 50)
    third.stop()
    assert "fresh start as asked; its checkpoint set aside" in third.decision()
    assert not third.resumed() and list(tmp_path.rglob("*.aside"))


@pytest.mark.parametrize("change", ["config", "database"])
def test_another_config_or_database_never_resumes_a_run(
    day_fixture: Path, tmp_path: Path, change: str
) -> None:
    first = Run(tmp_path / "c.sqlite", STRATS)
    first.stream(day_fixture, 400)
    first.stop(clean=False)  # even after a crash
    db = tmp_path / ("c.sqlite" if change == "config" else "other.sqlite")
    second = Run(db, other_params() if change == "config" else STRATS)
    second.stream(day_fixture, 50)
    second.stop()
    assert "fresh start (no checkpoint of this run)" in second.decision()
    assert not second.resumed()


def test_a_checkpoint_of_another_account_halts_instead_of_trading(
    day_fixture: Path, tmp_path: Path
) -> None:
    db = tmp_path / "d.sqlite"
    first = Run(db, STRATS)
    first.stream(day_fixture, 400)
    first.stop(clean=False)
    second = Run(db, STRATS)
    second.stream(day_fixture, 50, server="Another-Server")
    (eng,) = second.runner.server.engines.values()
    halted = eng.gate.halted
    second.stop()
    assert second.resumed()
    assert halted.startswith("checkpoint of account 1001@mt5bridge-sim, but terminal fake-1")
    assert any(k == "checkpoint_account_mismatch" for k, _ in second.logs)


def test_resume_and_fresh_together_are_refused_with_exit_code_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "run", "--config", "x.toml", "--resume", "--fresh"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 2 and "not allowed with argument" in out.stderr


def test_a_strategy_naming_a_symbol_the_terminal_lacks_is_halted_and_told(
    day_fixture: Path, tmp_path: Path
) -> None:
    """Before: it ran live with no trades and no message (the fixture check covers backtests
    only)."""
    strats = [{**STRATS[0], "params": {**STRATS[0]["params"], "symbol": "US100.cash"}}, STRATS[1]]
    run = Run(tmp_path / "e.sqlite", strats)
    run.stream(day_fixture, 300)
    (eng,) = run.runner.server.engines.values()
    halted = dict(eng.gate.halted_magics)
    run.stop()
    (why,) = halted.values()
    assert "names 'US100.cash', which terminal fake-1 does not offer (closest: US100)" in why
    assert [d["magic"] for k, d in run.logs if k == "symbol_missing"] == [strats[0]["magic"]]
    assert all(t.magic != strats[0]["magic"] for t in eng.portfolio.trades)

"""What a live brain logs about trading (bridge/live/trade_log.py) and the log formats."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bridge.cli import JsonLines
from bridge.live.trade_log import summary
from tests.test_recovery import STRATS
from tests.test_run_identity import Run


@pytest.mark.e2e
def test_orders_fills_and_a_summary_are_logged(
    day_fixture: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: a whole live session logged 11 lines, none about orders, fills or refusals."""
    caplog.set_level(logging.INFO, logger="mt5bridge.trades")
    run = Run(tmp_path / "t.sqlite", STRATS)
    run.stream(day_fixture, 900)
    ((tid, eng),) = run.runner.server.engines.items()
    summary(tid, eng)
    run.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "mt5bridge.trades"]
    sent = [ln for ln in lines if " sent (magic " in ln]
    done = [ln for ln in lines if (" filled after " in ln or " done after " in ln)]
    fills = [ln for ln in lines if ln.startswith("fill ")]
    assert sent and len(done) == len(sent) and len(fills) >= len(sent)
    assert all("ms: retcode 10009" in ln for ln in done)
    assert any(ln.startswith("summary terminal fake-1: balance ") for ln in lines)


def test_log_json_writes_one_object_a_line() -> None:
    rec = logging.LogRecord("mt5bridge.trades", logging.INFO, __file__, 1, "fill %s", (7,), None)
    out = json.loads(JsonLines().format(rec))
    assert out["level"] == "INFO" and out["logger"] == "mt5bridge.trades"
    assert out["message"] == "fill 7" and out["time"].endswith("Z")

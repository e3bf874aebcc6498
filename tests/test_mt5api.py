"""The MetaTrader5-package adapter (bridge/mt5api) against the package's stand-in
(tests/mt5_standin.py, the broker simulator behind the package's documented API): the brain over
the adapter books the in-process replay's trades; ids are executed once, across a restart of the
adapter and a call that timed out; every call goes through one worker; the stand-in keeps the
documented field lists."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bridge.config import DEMO, parse_config
from bridge.data.fixturegen import write
from bridge.data.fixtures import Fixture, load_fixture
from bridge.mt5api.adapter import ApiTerminal
from bridge.mt5api.package import Api
from bridge.replay.backtest import run_backtest
from bridge.runner import BrainRunner
from bridge.wire.terminal_link import TerminalLink
from tests.mt5_standin import StandIn

SECRET = b"mt5api-secret"


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    folder = tmp_path_factory.mktemp("two_days")
    write(folder, seed=11, days=2)
    return load_fixture(folder)


def demo_config(tmp: Path) -> Any:
    raw = {k: v for k, v in DEMO.items() if k != "store"}
    raw["brain"] = {"transport": "zmtp"}
    return parse_config(raw, "test config")


def adapter_for(standin: StandIn, endpoint: str, lockstep: bool = True) -> ApiTerminal:
    acc = standin._account_info()
    link = TerminalLink(endpoint, SECRET, "mt5api-1", acc.login, acc.server, lockstep=lockstep)
    standin.initialize()
    return ApiTerminal(Api(standin), list(standin.fx.specs), link, standin.clock)


def test_the_brain_over_the_adapter_books_the_replays_trades(
    two_days: Fixture, tmp_path: Path
) -> None:
    cfg = demo_config(tmp_path)
    replay = run_backtest(two_days, cfg.build_strategies(), cfg.risk.limits())
    runner = BrainRunner(cfg, SECRET, None, endpoint="tcp://127.0.0.1:0", control_endpoint="")
    runner.start_thread()
    standin = StandIn(two_days)
    term = adapter_for(standin, runner.server.endpoint)
    t0 = time.perf_counter()
    try:
        term.connect()
        cycles = 0
        while standin.step():
            term.cycle()
            cycles += 1
        for _ in range(3):
            term.cycle()
    finally:
        term.link.close()
        runner.stop()
    took = time.perf_counter() - t0
    (eng,) = runner.server.engines.values()
    got = [tuple(t) for t in eng.portfolio.trades]
    want = [tuple(t) for t in replay.portfolio.trades]
    assert len(want) > 5
    assert got == want
    calls = sum(standin.calls.values())
    print(
        f"{cycles} market events, {len(got)} trades, {took:.1f} s; {calls} package calls "
        f"({calls / cycles:.1f} per cycle, {took / cycles * 1e6:.0f} us per cycle)"
    )

"""The two-bucket plan on ../shared/data BTCUSD (skipped when absent), two days of it, through
the venue terminal on HyperLiquid's stand-in (each tick of the fixture's path a price over the
WebSocket, each order an IOC order at the stand-in) decides exactly as the in-process MT5 replay
of the same ticks: the same allocation changes at the same times and prices, and a net position
that differs only by the two venues' volume steps."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bridge.config import parse_config
from bridge.core import events as ev
from bridge.data.fixtures import load_fixture, market_events
from bridge.replay.backtest import run_backtest
from strategies.two_bucket import TwoBucket
from tests.conftest import shared_file
from tests.hyperliquid_double import HyperliquidDouble
from tests.venue_rig import Clock, brain_link, plan_brain, push, venue_terminal, wait_subscribed

pytest.importorskip("ccxt")
pytestmark = [pytest.mark.shared_data, pytest.mark.slow]
PARAMS = {"symbol": "BTCUSD", "margin": 100_000.0, "leverage": 10.0, "split": 0.5}


def two_days(tmp: Path) -> Path:
    data = shared_file("mt5_ftmo/BTCUSD_M1.csv.gz")
    (tmp / "fixture.toml").write_text(
        f"""name = "btcusd_two_days"
start = "2026-01-06 00:00"
end = "2026-01-08 00:00"
[account]
login = 1
balance = 200000.0
leverage = 100
currency = "USD"
hedging = true
[symbols.BTCUSD]
file = "{data}"
digits = 2
point = 0.01
tick_size = 0.01
tick_value = 0.01
contract_size = 1.0
volume_min = 0.01
volume_step = 0.01
volume_max = 100.0
"""
    )
    return tmp


def test_btcusd_through_the_venue_decides_as_the_mt5_replay(tmp_path: Path) -> None:
    fx = load_fixture(two_days(tmp_path))
    raw = {
        "strategies": [{"kind": "two_bucket", "name": "plan", "magic": 5000, "params": PARAMS}],
        "risk": {"max_orders_per_minute": 1000},
    }
    cfg = parse_config(raw, "test config")
    mt5 = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits())
    (want,) = mt5.strategies
    events = list(market_events(fx))
    first = next(e for e in events if isinstance(e, ev.Tick))
    double = HyperliquidDouble({"BTC": 5}, balance=200_000.0)
    double.set_price("BTC", first.bid, first.ask, first.time_ms - 1)
    runner = plan_brain(PARAMS)
    clock = Clock(first.time_ms - 1)
    term = venue_terminal(double, brain_link(runner), clock)
    t0 = time.perf_counter()
    try:
        term.connect()
        wait_subscribed(double, "activeAssetCtx:BTC")
        for e in events:
            if isinstance(e, ev.Tick):
                push(double, term, clock, e.time_ms, e.bid, e.ask)
            else:  # the minute ends: the terminal closes its bar
                clock.ms = e.time_ms + 60_000
                term.cycle()
        (eng,) = runner.server.engines.values()
        assert not eng.gate.halted
    finally:
        term.close()
        runner.stop()
        double.close()
    took = time.perf_counter() - t0
    (got,) = eng.strategies
    assert isinstance(got, TwoBucket) and isinstance(want, TwoBucket)
    assert len(want.history) >= 20  # a plan that did something
    assert got.history == want.history  # the same changes, times, prices, phases, units
    # the net position: the MT5 path's three legs (0.01-lot steps) against one net position at
    # the exchange (0.00001 steps)
    mt5_net = sum(p.volume if p.is_buy else -p.volume for p in mt5.portfolio.positions.values())
    venue_net = sum(p.volume if p.is_buy else -p.volume for p in double.sim.positions.values())
    assert abs(mt5_net - venue_net) <= 3 * 0.01
    ticks = sum(isinstance(e, ev.Tick) for e in events)
    orders = sum(r["action"]["type"] == "order" for r in double.requests)
    print(
        f"{ticks} ticks, {len(got.history)} allocation changes, {orders} orders at the "
        f"exchange, {took:.1f} s ({took / ticks * 1e6:.0f} us per tick)"
    )

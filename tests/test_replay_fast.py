"""The fast replay stream gives exactly the results of the plain one."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.strategy import NO_INTENTS, Context, Intents, Strategy
from bridge.config import DEMO, load_config, parse_config
from bridge.core import events as ev
from bridge.data.fixturegen import write
from bridge.data.fixtures import Fixture, load_fixture
from bridge.replay.backtest import RunResult, run_backtest
from strategies.ema_cross import EmaCross, EmaCrossParams
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams
from tests.conftest import ROOT, shared_file


def outcome(r: RunResult) -> tuple[Any, ...]:
    pf = r.portfolio
    return (
        [tuple(t) for t in pf.trades],
        pf.curve,
        [(n, tuple(x)) for n, x in r.rejections],
        round(pf.balance, 6),
        [s.get_state() for s in r.strategies],
    )


def both(fx: Fixture, make: Any) -> tuple[RunResult, RunResult]:
    return run_backtest(fx, make(), fast=False), run_backtest(fx, make(), fast=True)


def test_range_breakout_on_the_demo_fixture_same_results_fewer_events(
    demo_fixture: Fixture,
) -> None:
    plain, fast = both(demo_fixture, lambda: [RangeBreakout(RangeBreakoutParams(htf_filter=False))])
    assert len(plain.portfolio.trades) >= 6
    assert outcome(fast) == outcome(plain)
    assert fast.events < plain.events * 0.7  # most minutes were quiet


def test_the_demos_tick_driven_strategies_same_results(demo_fixture: Fixture) -> None:
    cfg = parse_config(DEMO)
    plain, fast = both(demo_fixture, cfg.build_strategies)
    assert outcome(fast) == outcome(plain) and fast.events < plain.events


class TickCounter(Strategy):
    """Listens to XAUUSD's ticks and never says when it may act: every minute is visited."""

    name, magic, symbols, timeframes, wants_ticks = "ticks", 77, ("XAUUSD",), (1,), True

    def __init__(self) -> None:
        self.ticks = 0

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        self.ticks += tick.symbol == "XAUUSD"
        return NO_INTENTS


def test_a_tick_driven_strategy_gets_every_tick_of_its_symbols_only(
    demo_fixture: Fixture,
) -> None:
    """The other symbols (no position, order or timer on them) get their closing tick alone."""
    plain_s, fast_s = TickCounter(), TickCounter()
    plain = run_backtest(demo_fixture, [plain_s], fast=False)
    fast = run_backtest(demo_fixture, [fast_s])
    bars = {s: len(b) for s, b in demo_fixture.bars.items()}
    assert plain_s.ticks == fast_s.ticks == 4 * bars["XAUUSD"]
    assert plain.events == 5 * sum(bars.values())
    assert fast.events == 5 * bars["XAUUSD"] + 2 * (sum(bars.values()) - bars["XAUUSD"])
    assert outcome(fast) == outcome(plain)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 10_000), st.booleans(), st.booleans(), st.sampled_from([5, 15]))
def test_generated_days_same_results(seed: int, hedge: bool, htf: bool, tf: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed, 2)
        fx = load_fixture(d)

    def make() -> list[Strategy]:
        return [
            RangeBreakout(RangeBreakoutParams(hedge=hedge, htf_filter=htf, signal_tf=tf)),
            EmaCross(EmaCrossParams(symbol="XAUUSD", timeframe=tf, lots=0.2), magic=9),
        ]

    plain, fast = both(fx, make)
    assert outcome(fast) == outcome(plain)


@pytest.mark.shared_data
def test_real_data_same_results() -> None:
    shared_file("mt5_ftmo/US100.cash_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / "range_breakout_us100_us30_hedged.toml")
    fx = load_fixture(ROOT / cfg.replay.fixture)
    plain, fast = both(fx, cfg.build_strategies)
    assert len(plain.portfolio.trades) > 100 and outcome(fast) == outcome(plain)

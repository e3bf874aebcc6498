"""Replay that jumps over quiet minutes gives exactly the results of the plain stream: trades,
equity curve, rejections, balance and strategy state (tests/test_replay_fast.py's outcome), on
the demo fixture, generated days with and without missing minutes, every parameter that changes
when the range breakout can act, and 3.5 months of real data."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.strategy import Strategy
from bridge.config import load_config
from bridge.core.columns import BarArrays
from bridge.data.fixturegen import write
from bridge.data.fixtures import Fixture, load_fixture
from bridge.replay.backtest import RunResult, run_backtest
from strategies.ema_cross import EmaCross, EmaCrossParams
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams
from tests.conftest import ROOT, shared_file
from tests.test_replay_fast import outcome


def three_ways(fx: Fixture, make: object) -> tuple[RunResult, RunResult, RunResult]:
    assert callable(make)
    return (
        run_backtest(fx, make(), fast=False),
        run_backtest(fx, make(), jumps=False),
        run_backtest(fx, make()),
    )


def jumps_change_nothing(fx: Fixture, make: object, breakout: bool = False) -> None:
    """The jumped replay of ``make()``'s strategies (with the range breakout beside them when
    ``breakout``) equals the replay that visits every minute, with fewer events."""
    assert callable(make)

    def strategies() -> list[Strategy]:
        out: list[Strategy] = list(make())
        if breakout:
            out.append(RangeBreakout(RangeBreakoutParams(htf_filter=False)))
        return out

    quiet = run_backtest(fx, strategies(), jumps=False)
    jumped = run_backtest(fx, strategies())
    assert outcome(jumped) == outcome(quiet)
    assert jumped.events < quiet.events


def generated(seed: int, days: int, drop: float = 0.0) -> Fixture:
    """Generated days; ``drop`` leaves out that share of each symbol's bars (missing minutes,
    different for each symbol)."""
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed, days)
        fx = load_fixture(d)
    if not drop:
        return fx
    rng = np.random.default_rng(seed)
    bars = {}
    for sym, b in fx.bars.items():
        keep = rng.random(len(b)) >= drop
        cols = (b.time_ms, b.open, b.high, b.low, b.close, b.tick_volume, b.spread)
        bars[sym] = BarArrays(sym, *(c[keep] for c in cols))
    return replace(fx, bars=bars)


def test_demo_fixture_same_results_and_most_minutes_jumped(demo_fixture: Fixture) -> None:
    def make() -> list[Strategy]:
        return [RangeBreakout(RangeBreakoutParams(htf_filter=False))]

    plain, quiet, jumped = three_ways(demo_fixture, make)
    assert len(plain.portfolio.trades) >= 6
    assert outcome(jumped) == outcome(plain) == outcome(quiet)
    assert jumped.events < quiet.events * 0.25


class Unjumpable(EmaCross):
    """A strategy that does not say when it may act: every minute is visited."""

    def replay_prepare(self, tape: Any, specs: Any) -> bool:
        return False


def test_a_strategy_that_cannot_be_jumped_over_keeps_every_minute(demo_fixture: Fixture) -> None:
    def make() -> list[Strategy]:
        return [
            RangeBreakout(RangeBreakoutParams(htf_filter=False)),
            Unjumpable(EmaCrossParams(symbol="XAUUSD", timeframe=5, lots=0.2), magic=9),
        ]

    plain, quiet, jumped = three_ways(demo_fixture, make)
    assert outcome(jumped) == outcome(plain) and jumped.events == quiet.events


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(1, 10_000),
    symbol=st.sampled_from(["US100", "XAUUSD"]),
    tf=st.sampled_from([1, 5, 15]),
    fast=st.integers(2, 12),
    slower=st.integers(1, 30),
    drop=st.sampled_from([0.0, 0.1]),
)
def test_ema_cross_jumps_give_the_plain_streams_results(
    seed: int, symbol: str, tf: int, fast: int, slower: int, drop: float
) -> None:
    fx = generated(seed, 2, drop)
    p = EmaCrossParams(symbol=symbol, timeframe=tf, fast=fast, slow=fast + slower, lots=0.1)
    plain, quiet, jumped = three_ways(fx, lambda: [EmaCross(p), EmaCross(p, magic=2, name="b")])
    assert outcome(jumped) == outcome(plain) == outcome(quiet)
    assert jumped.events < quiet.events


def test_ema_cross_trades_and_most_minutes_are_jumped(demo_fixture: Fixture) -> None:
    p = EmaCrossParams(symbol="XAUUSD", timeframe=5, lots=0.2)
    plain, quiet, jumped = three_ways(demo_fixture, lambda: [EmaCross(p)])
    assert len(plain.portfolio.trades) >= 5
    assert outcome(jumped) == outcome(plain) == outcome(quiet)
    assert jumped.events < quiet.events * 0.5


@settings(max_examples=14, deadline=None)
@given(
    seed=st.integers(1, 10_000),
    hedge=st.booleans(),
    htf=st.booleans(),
    tf=st.sampled_from([5, 15]),
    sizing=st.sampled_from(["risk", "fixed"]),
    session_close=st.booleans(),
    entries=st.integers(1, 2),
    drop=st.sampled_from([0.0, 0.0, 0.05, 0.3]),
    lag=st.sampled_from([0.3, 1.0]),
)
def test_generated_days_same_results(
    seed: int,
    hedge: bool,
    htf: bool,
    tf: int,
    sizing: str,
    session_close: bool,
    entries: int,
    drop: float,
    lag: float,
) -> None:
    fx = generated(seed, 4, drop)
    p = RangeBreakoutParams(
        hedge=hedge,
        htf_filter=htf,
        htf_ema=5,  # warmed up within the days generated
        signal_tf=tf,
        sizing=sizing,
        session_close=session_close,
        max_entries_per_direction=entries,
        sl_pct=0.2,
        hedge_lookback=3,
        atr_period=4,
        beta_ema=3,
        lag_factor=lag,
    )
    plain, quiet, jumped = three_ways(fx, lambda: [RangeBreakout(p)])
    assert outcome(jumped) == outcome(plain) == outcome(quiet)


def test_the_generated_cases_trade_hedge_and_stop() -> None:
    """The generated days above are not quiet: trades, hedges, stops and nights held."""
    fx = generated(6, 6)
    p = RangeBreakoutParams(
        htf_ema=5, sl_pct=0.2, hedge_lookback=3, atr_period=4, beta_ema=3, lag_factor=1.0
    )
    plain, _quiet, jumped = three_ways(fx, lambda: [RangeBreakout(p)])
    assert outcome(jumped) == outcome(plain)
    reasons = {t.reason for t in plain.portfolio.trades}
    assert {"sl", "tp", "expert"} <= reasons
    assert plain.rejections  # risk-sized hedges above the lot cap: refused, heard
    fixed = replace(p, sizing="fixed")
    plain, _quiet, jumped = three_ways(fx, lambda: [RangeBreakout(fixed)])
    assert outcome(jumped) == outcome(plain)
    assert plain.strategies[0].stats()["hedges"] > 0
    held = replace(p, session_close=False)
    plain, _quiet, jumped = three_ways(fx, lambda: [RangeBreakout(held)])
    assert outcome(jumped) == outcome(plain)
    assert any(t.swap for t in plain.portfolio.trades)  # a position held over a rollover


def test_synthetic_side_by_side_bars_same_results() -> None:
    """The benchmark's own bars (bench/side_by_side.py), 100,000 of them."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from side_by_side import P, synthetic

    fx = synthetic(100_000, 7)
    _plain, quiet, jumped = three_ways(fx, lambda: [RangeBreakout(P)])
    assert len(quiet.portfolio.trades) > 50 and outcome(jumped) == outcome(quiet)
    assert jumped.events < quiet.events * 0.02


@pytest.mark.shared_data
def test_real_data_same_results() -> None:
    shared_file("mt5_ftmo/US100.cash_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / "range_breakout_us100_us30_hedged.toml")
    fx = load_fixture(ROOT / cfg.replay.fixture)
    quiet = run_backtest(fx, cfg.build_strategies(), jumps=False)
    jumped = run_backtest(fx, cfg.build_strategies())
    assert len(quiet.portfolio.trades) > 100 and outcome(jumped) == outcome(quiet)
    assert jumped.events < quiet.events * 0.1

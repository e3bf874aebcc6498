"""The two-bucket plan in replay that jumps over minutes: the plan says the first tick that
changes its allocation (strategies/unit_plan_bulk.py), and the jumped replay gives exactly the
plain stream's trades, curve, rejections, balance and plan state."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config import load_config
from bridge.data.fixtures import Fixture, load_fixture
from bridge.data.intrabar import path
from bridge.replay.backtest import run_backtest
from strategies import unit_plan_bulk as bulk
from strategies.two_bucket import TwoBucket, TwoBucketParams
from strategies.unit_plan import UnitPlan
from tests.conftest import ROOT, shared_file
from tests.test_replay_fast import outcome
from tests.test_replay_skip import generated, jumps_change_nothing, three_ways

walks = st.lists(st.floats(-0.03, 0.03, allow_nan=False), min_size=1, max_size=300)


def _prices(start: float, steps: list[float]) -> np.ndarray:
    return start * np.cumprod(1 + np.asarray(steps))


@settings(max_examples=300, deadline=None)
@given(
    warm=walks,
    steps=walks,
    leverage=st.sampled_from([1.0, 3.0, 10.0, 40.0]),
    split=st.sampled_from([0.0, 0.3, 0.5, 1.0]),
)
def test_first_change_and_extremes_equal_the_plan_price_by_price(
    warm: list[float], steps: list[float], leverage: float, split: float
) -> None:
    """From any state the plan reaches, the bulk answer is the first price on which
    ``on_price`` changes the allocation, and the peak and valley before it are the plan's."""
    plan = UnitPlan(1000.0, leverage, 100.0, split)
    for p in _prices(100.0, warm):  # any row, either way of counting
        plan.on_price(float(p))
    prices = _prices(float(_prices(100.0, warm)[-1]), steps)
    k = bulk.first_change(plan, prices, plan.peak, plan.valley)
    before = plan.state()
    changed_at = next((i for i, p in enumerate(prices.tolist()) if plan.on_price(p)), -1)
    assert k == changed_at
    # the peak and valley after the prices before the change (all of them without one)
    quiet = prices[:k] if k >= 0 else prices
    again = UnitPlan(1.0, 1.0, 1.0)
    again.restore(before)
    for p in quiet.tolist():
        assert again.on_price(p) is None
    assert bulk.extremes(again, quiet, before["peak"], before["valley"]) == (
        again.peak,
        again.valley,
    )


def test_scanning_from_the_middle_goes_on_from_the_running_peak() -> None:
    """A new high in one chunk moves the deeper trigger for the next: the scan carries it."""
    plan = UnitPlan(1000.0, 1.0, 100.0)  # unit: 5 % of the entry, 5.0
    first = np.array([101.0, 110.0, 108.0])
    second = np.array([106.0, 104.9, 102.0])
    peak, valley = bulk.extremes(plan, first, plan.peak, plan.valley)
    assert (peak, valley) == (110.0, 100.0)
    assert bulk.first_change(plan, second, peak, valley) == 1  # 110 - 104.9 > one unit
    assert bulk.first_change(plan, second, plan.peak, plan.valley) == -1  # from the old peak


def test_tick_mids_are_the_replays_ticks() -> None:
    rng = np.random.default_rng(5)
    o = 2000 + rng.normal(0, 3, 500).round(2)
    c = o + rng.normal(0, 2, 500).round(2)
    h = np.maximum(o, c) + rng.random(500).round(2)
    low = np.minimum(o, c) - rng.random(500).round(2)
    add = rng.integers(0, 60, 500) * 0.01
    got = bulk.tick_mids(o, h, low, c, add).tolist()
    want = []
    for i in range(500):
        for bid in path(float(o[i]), float(h[i]), float(low[i]), float(c[i])):
            want.append((bid + round(bid + float(add[i]), 10)) / 2)
    assert got == want


def _plan(leverage: float, split: float, magic: int = 5000) -> TwoBucket:
    return TwoBucket(
        TwoBucketParams(symbol="XAUUSD", margin=100_000.0, leverage=leverage, split=split),
        magic=magic,
    )


def test_generated_days_same_results_and_most_minutes_jumped() -> None:
    fx = generated(3, 8)
    plain, quiet, jumped = three_ways(fx, lambda: [_plan(20.0, 0.5)])
    (s,) = jumped.strategies
    assert isinstance(s, TwoBucket) and len(s.history) > 50 and s.plan is not None
    assert s.plan.reset_count > 3
    assert outcome(jumped) == outcome(plain) == outcome(quiet)
    assert jumped.events < quiet.events * 0.1


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(1, 10_000),
    leverage=st.sampled_from([2.0, 10.0, 40.0]),
    split=st.sampled_from([0.0, 0.5, 1.0]),
    drop=st.sampled_from([0.0, 0.2]),
    breakout=st.booleans(),
)
def test_generated_days_with_any_plan_same_results(
    seed: int, leverage: float, split: float, drop: float, breakout: bool
) -> None:
    """Any plan, missing minutes, and beside the range breakout (the replay visits the earliest
    minute either may act on)."""
    fx = generated(seed, 4, drop)

    jumps_change_nothing(fx, lambda: [_plan(leverage, split)], breakout)


def test_a_replay_that_keeps_rows_writes_a_price_update_per_bar() -> None:
    """Rows are written from bars, so a replay given somewhere to keep them does not jump."""
    fx = generated(5, 2)
    kinds: list[str] = []
    res = run_backtest(fx, [_plan(20.0, 0.5)], audit=lambda kind, row: kinds.append(kind))
    assert kinds.count("price_update") == len(fx.bars["XAUUSD"])
    assert outcome(res) == outcome(run_backtest(fx, [_plan(20.0, 0.5)], jumps=False))


def test_a_plan_that_rebases_at_new_highs_is_visited_every_minute() -> None:
    fx = generated(4, 2)
    p = TwoBucketParams(symbol="XAUUSD", margin=100_000.0, leverage=10.0, rebase_on_new_high=True)
    quiet = run_backtest(fx, [TwoBucket(p)], jumps=False)
    jumped = run_backtest(fx, [TwoBucket(p)])
    assert outcome(jumped) == outcome(quiet) and jumped.events == quiet.events


@pytest.mark.shared_data
@pytest.mark.parametrize("config", ["two_bucket_btcusd_lev10", "two_bucket_xauusd_lev1"])
def test_real_data_same_results(config: str) -> None:
    """3.5 months of ../shared/data BTCUSD or XAUUSD minutes."""
    cfg = load_config(ROOT / "configs" / f"{config}.toml")
    shared_file("mt5_ftmo/BTCUSD_M1.csv.gz" if "btc" in config else "mt5_ftmo/XAUUSD_M1.csv.gz")
    fx: Fixture = load_fixture(ROOT / cfg.replay.fixture)
    quiet = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits(), jumps=False)
    jumped = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits())
    (s,) = jumped.strategies
    assert isinstance(s, TwoBucket) and len(s.history) >= 3
    assert outcome(jumped) == outcome(quiet)
    assert jumped.events < quiet.events * 0.1
    assert not math.isnan(jumped.portfolio.balance)

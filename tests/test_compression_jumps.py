"""The compression engine in replay that jumps over minutes: it says the first tick it may act
on (strategies/compression_jumps.py), and the jumped replay gives exactly the plain stream's
trades, curve, rejections, balance and engine state (zigzag, ATR, bank, engagement)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config import DEMO, load_config, parse_config
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from strategies.compression import Compression
from strategies.compression_params import CompressionParams
from tests.conftest import ROOT, shared_file
from tests.test_replay_fast import outcome
from tests.test_replay_skip import generated, jumps_change_nothing, three_ways

DEMO_COMPRESSION = next(s for s in DEMO["strategies"] if s["kind"] == "compression")


def test_the_demos_engine_on_generated_days_same_results_fewer_events() -> None:
    fx = generated(3, 6)
    cfg = parse_config({"strategies": [DEMO_COMPRESSION]})
    plain, quiet, jumped = three_ways(fx, cfg.build_strategies)
    (s,) = jumped.strategies
    assert isinstance(s, Compression)
    assert len(s.cycles) > 100 and sum(c.acted for c in s.cycles) >= 5  # it swings and acts
    assert outcome(jumped) == outcome(plain) == outcome(quiet)
    assert jumped.events < quiet.events * 0.2


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(1, 10_000),
    bounce_mode=st.sampled_from(["atr", "price"]),
    bounce=st.sampled_from([0.5, 1.0, 3.0]),
    atr_tf=st.sampled_from([1, 5, 15]),
    trend_k=st.sampled_from([0.0, 3.0]),
    offset=st.sampled_from([0.0, 0.5, 5.0]),
    residual=st.sampled_from([0.01, 0.05]),
    drop=st.sampled_from([0.0, 0.2]),
    breakout=st.booleans(),
)
def test_any_engine_same_results(
    seed: int,
    bounce_mode: str,
    bounce: float,
    atr_tf: int,
    trend_k: float,
    offset: float,
    residual: float,
    drop: float,
    breakout: bool,
) -> None:
    """Any parameters, missing minutes, and beside the range breakout."""
    fx = generated(seed, 3, drop)

    p = CompressionParams(
        adopt_magic=0,
        bounce_mode=bounce_mode,
        bounce=bounce,
        atr_tf=atr_tf,
        trend_k=trend_k,
        offset=offset,
        residual=residual,
        commission_per_lot=3.0,
    )
    jumps_change_nothing(fx, lambda: [Compression(p)], breakout)


@pytest.mark.shared_data
def test_real_data_same_results() -> None:
    """The locked XAUUSD hedge on ../shared/data minutes."""
    shared_file("mt5_ftmo/XAUUSD_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / "compression_xauusd.toml")
    fx = load_fixture(ROOT / cfg.replay.fixture)
    quiet = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits(), jumps=False)
    jumped = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits())
    (s,) = jumped.strategies
    assert isinstance(s, Compression) and sum(c.acted for c in s.cycles) >= 5
    assert outcome(jumped) == outcome(quiet)
    assert jumped.events < quiet.events * 0.5

"""The range breakout on real M1 data from ../shared/data (skipped when absent)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from bridge.config import load_config
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from tests.conftest import ROOT, shared_file

pytestmark = pytest.mark.shared_data
DAY = 86_400_000


def test_us100_us30_hedged_invariants_on_three_and_a_half_months() -> None:
    shared_file("mt5_ftmo/US100.cash_M1.csv.gz")
    shared_file("mt5_ftmo/US30.cash_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / "range_breakout_us100_us30_hedged.toml")
    (strat,) = cfg.build_strategies()
    res = run_backtest(load_fixture(ROOT / cfg.replay.fixture), [strat], cfg.risk.limits())
    trades = res.portfolio.trades
    mains = [t for t in trades if t.symbol == "US100.cash"]
    hedges = [t for t in trades if t.symbol == "US30.cash"]
    stats = strat.stats()  # type: ignore[attr-defined]
    assert len(mains) == stats["main_trades"] > 20 and len(hedges) == stats["hedges"] > 0
    assert stats["hedge_activation_rate"] == round(len(hedges) / len(trades), 4)
    # at most one entry per direction per server day
    per_day = Counter((t.open_time // DAY, t.side) for t in mains)
    assert max(per_day.values()) == 1
    # one main trade at a time
    spans = sorted((t.open_time, t.close_time) for t in mains)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    # every hedge lives inside its main trade and closes with it: never an orphan
    for h in hedges:
        main = next(m for m in mains if m.open_time <= h.open_time <= m.close_time)
        assert h.side != main.side
        assert main.close_time <= h.close_time <= main.close_time + 60_000
    assert not res.portfolio.positions or all(
        p.symbol == "US100.cash" for p in res.portfolio.positions.values()
    )
    # session close at 23:30 server time: nothing entered at or after it
    assert all(t.open_time % DAY < (23 * 60 + 30) * 60_000 for t in mains)

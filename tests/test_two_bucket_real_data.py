"""Two-bucket plans on ../shared/data (skipped when absent): every change follows the tables."""

from __future__ import annotations

import pytest

from bridge.config import load_config
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from strategies.two_bucket import TwoBucket
from strategies.unit_plan import DOWN, UP
from tests.conftest import ROOT, shared_file

pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize("name", ["two_bucket_btcusd_lev1", "two_bucket_xauusd_lev1"])
def test_plan_on_real_data_follows_the_tables(name: str) -> None:
    shared_file("mt5_ftmo/BTCUSD_M1.csv.gz")
    shared_file("mt5_ftmo/XAUUSD_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / f"{name}.toml")
    (s,) = cfg.build_strategies()
    assert isinstance(s, TwoBucket)
    res = run_backtest(load_fixture(ROOT / cfg.replay.fixture), [s], cfg.risk.limits())
    assert s.plan is not None and len(s.history) >= 5 and not res.rejections
    rows = set(DOWN) | set(UP)
    prev = (100, 100)
    for _t, ch in s.history:
        assert (ch.old_long, ch.old_hedge) == prev
        assert (ch.new_long, ch.new_hedge) in rows
        assert ch.reset == ((ch.new_long, ch.new_hedge) == (100, 100))
        # one row at a time unless the reason says gap: 25 % a bucket at most
        if ch.reason == "unit move":
            assert abs(ch.new_long - ch.old_long) <= 25 and abs(ch.new_hedge - ch.old_hedge) <= 25
        prev = (ch.new_long, ch.new_hedge)

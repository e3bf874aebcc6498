"""The compression engine on ../shared/data/mt5_ftmo/XAUUSD_M1.csv.gz (skipped when absent)."""

from __future__ import annotations

import pytest

from bridge.brain.strategy import Open
from bridge.config import load_config
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from strategies.compression_params import CompressionParams
from tests.conftest import ROOT, shared_file
from tests.test_compression_properties import Probe

pytestmark = pytest.mark.shared_data


def test_invariants_hold_on_three_and_a_half_months_of_gold() -> None:
    shared_file("mt5_ftmo/XAUUSD_M1.csv.gz")
    cfg = load_config(ROOT / "configs" / "compression_xauusd.toml")
    params = CompressionParams(**cfg.strategies[0].params)
    s = Probe(params)  # asserts the bank on every fill
    res = run_backtest(load_fixture(ROOT / cfg.replay.fixture), [s])
    assert len(s.cycles) > 1000 and sum(c.acted for c in s.cycles) >= 10
    for lng, sht, low, intents in s.swings:
        small, big = (lng, sht) if low else (sht, lng)
        for it in intents:
            if isinstance(it, Open):
                assert small + round(it.volume * 100) <= big - 1  # never over the other side - r
    assert s.harvest_deals and all(d.profit + d.commission + d.swap >= 0 for d in s.harvest_deals)
    gross_start = 0.22
    gross_end = sum(p.volume for p in res.portfolio.positions.values())
    assert gross_end < gross_start and s.bank >= 0

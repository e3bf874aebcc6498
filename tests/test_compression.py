from __future__ import annotations

import pytest

from bridge.replay.backtest import run_backtest
from strategies.compression import Compression
from strategies.compression_params import CompressionParams
from tests.compression_scenarios import locked_fixture, path

# The seed's example: long 0.08 / short 0.10 in a band from 2590 (short average) to 2715 (long
# average). Longs 0.03 @ 2640 + 0.05 @ 2760; shorts 0.03 @ 2660 + 0.07 @ 2560.
LONGS = [(0.03, 2640.0), (0.05, 2760.0)]
SHORTS = [(0.03, 2660.0), (0.07, 2560.0)]
# 2610 -> 2630 (the first leg, up) -> 2619: a first swing high at 2630 (nothing to do there;
# the engine engages and places the buy limit 0.01 at 2590 + 0.50) -> 2590.40: the limit fills
# (ask 2590.50) -> 2600.40: swing low -> 2680 -> 2670: swing high -> 2665 -> 2675: swing low.
WAYPOINTS = [2610, 2630, 2619, 2590.4, 2600.4, 2680, 2670, 2665, 2675, 2676]


def params(**kw: object) -> CompressionParams:
    base = dict(
        bounce_mode="price", bounce=10.0, trend_k=0.0, adopt_magic=0, commission_per_lot=3.0
    )
    base.update(kw)
    return CompressionParams(**base)  # type: ignore[arg-type]


def sides(res: object) -> tuple[float, float]:
    pos = res.portfolio.positions.values()  # type: ignore[attr-defined]
    return (
        round(sum(p.volume for p in pos if p.is_buy), 2),
        round(sum(p.volume for p in pos if not p.is_buy), 2),
    )


def test_the_seeds_worked_example() -> None:
    s = Compression(params())
    res = run_backtest(locked_fixture(path(WAYPOINTS), LONGS, SHORTS), [s])
    # (long, short) lots seen at each swing, before the engine acts there
    assert [(c.swing, c.long_lots, c.short_lots) for c in s.cycles] == [
        ("high", 0.08, 0.10),  # the first swing: nothing to do; then the limit inside the band
        ("low", 0.09, 0.10),  # the limit filled: long 0.09; harvest shorts -> 0.07
        ("high", 0.09, 0.07),  # shorts topped up to 0.08; longs harvested to 0.05
        ("low", 0.05, 0.08),  # longs topped up to 0.07; the bank pays to reduce shorts
    ]
    assert [c.acted for c in s.cycles] == [False, True, True, True]
    assert sides(res) == (0.07, 0.06)
    # harvests realised: 0.03 x (2660 - 2600.50) then 0.03 x (2669.90 - 2640) + 0.01 x
    # (2669.90 - 2590.50), less 3.00 a lot; the reductions spent 5.23 + 115.13 of it
    harvested = 0.03 * 100 * 59.5 + 0.03 * 100 * 29.9 + 0.01 * 100 * 79.4 - 3.0 * 0.07
    assert s.realised == pytest.approx(harvested - 5.23 - 115.13, abs=0.02)
    assert s.bank == pytest.approx(s.realised) and s.bank >= 0
    limit = next(t for t in res.portfolio.trades if t.open_price == 2590.5)
    assert limit.side == "buy" and limit.volume == 0.01


def test_listed_tickets_are_adopted_and_others_left_alone() -> None:
    from bridge.core import events as ev
    from tests.compression_scenarios import GOLD
    from tests.helpers import engine

    s = Compression(CompressionParams(adopt_tickets=(1, 2)))
    e, _ = engine([s], specs={"XAUUSD": GOLD})
    for t, buy, magic in ((1, True, 77), (2, False, 77), (3, True, 77), (4, False, s.magic)):
        e.handle(ev.Position(t, "XAUUSD", buy, 0.05, 2650.0, 0, 0, magic, 0, 0, 0, ""))
    b = s.baskets(e._ctx[s.magic])
    assert sorted(p.ticket for p in b.longs + b.shorts) == [1, 2, 4]


def test_margin_floor_stops_top_ups_but_not_harvests() -> None:
    # the worked example again; the account's margin level (about 18,900 %) is below the floor
    s = Compression(params(min_margin_level=100_000.0))
    res = run_backtest(locked_fixture(path(WAYPOINTS), LONGS, SHORTS), [s])
    from tests.compression_scenarios import START

    opened = [t for t in res.portfolio.trades if t.open_time >= START]
    opened += [p for p in res.portfolio.positions.values() if p.time_ms >= START]
    assert opened == [] and not s.rebalance_sent  # no top-up, no rebalance limit
    assert s.realised > 0  # harvesting and reducing still happen

from __future__ import annotations

import math

import pytest

from bridge.brain.bars import BarBuilder, parse_timeframe
from bridge.brain.indicators import ATR, EMA, Returns
from bridge.core.events import Bar
from bridge.core.timeutil import parse


def m1(t: str, o: float, h: float, low: float, c: float) -> Bar:
    return Bar("X", 1, parse(t), o, h, low, c, 1, 10)


def test_m5_closes_on_its_last_minute() -> None:
    b = BarBuilder("X", 5)
    assert b.update(m1("2026-01-05 15:00", 10, 11, 9, 10.5)) == ()
    for i, px in enumerate([10.6, 10.7, 10.2]):
        assert b.update(m1(f"2026-01-05 15:0{i + 1}", px, px + 1, px - 2, px)) == ()
    (out,) = b.update(m1("2026-01-05 15:04", 10.2, 10.3, 10.0, 10.1))
    assert (out.time_ms, out.timeframe) == (parse("2026-01-05 15:00"), 5)
    assert (out.open, out.high, out.low, out.close) == (10, 11.7, 8.2, 10.1)
    assert out.tick_volume == 5


def test_missing_minutes_close_the_bar_when_a_later_bucket_arrives() -> None:
    b = BarBuilder("X", 5)
    b.update(m1("2026-01-05 15:00", 10, 11, 9, 10))
    (first,) = b.update(m1("2026-01-05 15:07", 12, 12, 12, 12))
    assert first.time_ms == parse("2026-01-05 15:00") and first.close == 10


def test_gap_to_the_last_minute_of_a_later_bucket_emits_both_bars() -> None:
    b = BarBuilder("X", 5)
    b.update(m1("2026-01-05 15:00", 10, 11, 9, 10))
    a, c = b.update(m1("2026-01-05 15:09", 12, 12, 12, 12))
    assert (a.time_ms, c.time_ms) == (parse("2026-01-05 15:00"), parse("2026-01-05 15:05"))


def test_d1_is_bounded_by_server_midnight() -> None:
    b = BarBuilder("X", 1440)
    b.update(m1("2026-01-05 01:05", 1, 2, 0.5, 1.5))
    assert b.update(m1("2026-01-05 23:48", 1.5, 3, 1, 2)) == ()
    (d,) = b.update(m1("2026-01-06 01:05", 2, 2, 2, 2))
    assert d.time_ms == parse("2026-01-05 00:00") and (d.high, d.low, d.close) == (3, 0.5, 2)


def test_timeframe_names() -> None:
    assert parse_timeframe("h1") == 60
    with pytest.raises(ValueError, match="unknown timeframe"):
        parse_timeframe("M7")


def test_ema_seeds_with_sma_then_smooths() -> None:
    e = EMA(3)
    assert math.isnan(e.update(1)) and math.isnan(e.update(2))
    assert e.update(3) == 2.0
    assert e.update(6) == pytest.approx(2.0 + 0.5 * (6 - 2.0))


def test_atr_uses_true_range_and_wilder_smoothing() -> None:
    a = ATR(2)
    a.update(10, 8, 9)  # tr 2
    assert a.update(12, 11, 11.5) == pytest.approx((2 + 3) / 2)  # tr = 12 - 9 = 3
    assert a.update(11.5, 11, 11) == pytest.approx(2.5 + (0.5 - 2.5) / 2)


def test_returns_over_lookback() -> None:
    r = Returns(2)
    r.update(100)
    assert math.isnan(r.update(110))
    assert r.update(105) == pytest.approx(0.05)


def test_zigzag_confirms_swings_by_threshold_and_ignores_the_start() -> None:
    from bridge.brain.indicators import Zigzag

    z = Zigzag()
    got = [z.update(p, 10) for p in (100, 95, 90, 89, 99, 105, 95, 94, 104)]
    # 100 -> 90 establishes a down leg (the start is no swing); 89 -> 99: swing low at 89;
    # 105 -> 95: swing high at 105; 94 -> 104: swing low at 94
    assert got == [0, 0, 0, 0, -1, 0, 1, 0, -1]
    assert (z.swing_low, z.swing_high, z.count) == (94, 105, 3)
    assert z.run() == 104 - 94

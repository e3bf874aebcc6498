"""The two-bucket plan (seed 001): its tables row by row, confirmation, hysteresis, gaps,
resets, and the seed's 100 -> 130 -> 70 -> 130 cycle worked out by hand."""

from __future__ import annotations

import pytest

from strategies.unit_plan import DOWN, UP, UnitPlan


def walk(plan: UnitPlan, a: float, b: float, step: float) -> list[tuple[float, object]]:
    """Tick by tick from a to b; returns (price, change) for every change."""
    out = []
    n = round(abs(b - a) / step)
    for i in range(1, n + 1):
        px = round(a + (b - a) * i / n, 6)
        ch = plan.on_price(px)
        if ch is not None:
            out.append((px, ch))
    return out


@pytest.mark.parametrize("leverage", [1, 10])
def test_every_row_of_both_tables_walked_by_price(leverage: int) -> None:
    p = UnitPlan(1000, leverage, 100.0)
    unit = 5.0 / leverage  # 5 % of 100 / leverage: 5.0 at leverage 1, 0.5 at leverage 10
    assert p.unit == pytest.approx(unit) and p.unit_value == pytest.approx(50.0)
    assert (p.long_pct, p.hedge_pct, p.phase) == (100, 100, "advance")
    seen = [(p.long_pct, p.hedge_pct)]
    for k in range(1, 6):  # one unit at a time down from the peak
        p.on_price(100 - k * unit + unit * 0.5)  # half way: nothing yet
        assert (p.long_pct, p.hedge_pct) == seen[-1]
        p.on_price(100 - k * unit)
        seen.append((p.long_pct, p.hedge_pct))
    assert seen == list(DOWN) and p.phase == "decline"
    valley = 100 - 5 * unit
    up = [(p.long_pct, p.hedge_pct)]
    for k in range(1, 6):  # and up from the valley
        p.on_price(valley + k * unit)
        up.append((p.long_pct, p.hedge_pct))
    assert up == list(UP) and p.reset_count == 1 and p.phase == "advance"


def test_confirmation_one_unit_moves_only_the_hedge_two_move_the_long_bucket() -> None:
    p = UnitPlan(100, 1, 100.0)
    ch1 = p.on_price(95.0)
    assert ch1 is not None and (ch1.new_long, ch1.new_hedge) == (100, 75)
    ch2 = p.on_price(90.0)
    assert ch2 is not None and (ch2.old_long, ch2.new_long) == (100, 75)


def test_hysteresis_half_unit_wiggles_never_trade_a_full_unit_back_does() -> None:
    p = UnitPlan(100, 1, 100.0)
    p.on_price(90.0)  # row 2: 75 / 50
    for px in [92.5, 90.0, 87.5, 90.0, 92.4, 87.6] * 5:  # wiggles of half a unit around -2
        assert p.on_price(px) is None
    ch = p.on_price(95.0)  # a full unit back up from the -2 level
    assert ch is not None and (ch.new_long, ch.new_hedge) == (100, 75)  # 25 % each, no wait


def test_gap_from_minus_one_to_minus_four_trades_once_to_the_minus_four_row() -> None:
    p = UnitPlan(100, 1, 100.0)
    p.on_price(95.0)  # -1
    ch = p.on_price(79.0)  # -4.2 in one jump
    assert ch is not None and ch.reason == "gap" and (ch.new_long, ch.new_hedge) == DOWN[4]
    assert p.on_price(79.5) is None


def test_the_seeds_reset_examples() -> None:
    # $100 margin: $5 units
    p = UnitPlan(100, 1, 100.0)
    assert p.unit_value == 5.0
    # a reset when the plan is worth $140: margin $140, units $7
    p = UnitPlan(100, 1, 100.0)
    p.on_price(95.0)  # -1: the hedge bucket sells 25 % of itself short
    p.base += 140.0 - p.value(100.0)  # make the plan worth exactly $140 back at 100
    ch = p.on_price(100.0)
    assert ch is not None and ch.reset and p.reset_count == 1
    assert (p.margin, p.unit_value) == (pytest.approx(140.0), pytest.approx(7.0))
    assert ch.details["old"]["unit_value"] == 5.0 and ch.details["new"][
        "unit_value"
    ] == pytest.approx(7.0)
    # continuous growth to $145: units $7.25. Fully long with 140 / 100 = 1.4 units of the
    # asset, the plan gains $5 when price rises 5 / 1.4 above 100
    assert p.size == pytest.approx(1.4)
    walk(p, 100.0, 100.0 + 5.0 / 1.4, 0.01)
    assert p.value(p.peak) == pytest.approx(145.0) and p.unit_value == pytest.approx(7.25)
    assert p.reset_count == 1  # growth re-bases the unit; it is not a reset


def test_the_seeds_cycle_100_130_70_130_tick_by_tick() -> None:
    """Worked by hand. Margin 100, leverage 1, split 50/50, entry 100: the plan holds 1.0 unit
    of the asset (0.5 in each bucket), one unit is 5 % x 100 = 5.0.

    100 -> 130, advance: the value follows price, 130 at the top; each new high re-bases the
    margin and the unit: margin 130, unit value 6.50, unit distance 5 % x 130 = 6.5.
    130 -> 70 (units below the peak 130, sizes still 0.5 + 0.5):
      123.5 (-1): hedge 100 -> 75 %: sells 0.125 of its long at 123.5 (+0.125 x 23.5 = 2.9375)
                  and shorts 0.125 at 123.5
      117.0 (-2): long 100 -> 75 % (+0.125 x 17 = 2.125); hedge 75 -> 50 % (+2.125); shorts
                  0.25 @ 120.25
      110.5 (-3): long 75 -> 50 % (+1.3125); hedge 50 -> 25 % (+1.3125); shorts 0.375 @ 117.0
      104.0 (-4): long 50 -> 25 % (+0.5); hedge 25 -> 0 % (+0.5); shorts 0.5 @ 113.75
       97.5 (-5): long 25 -> 0 % (0.125 x (97.5 - 100) = -0.3125): decline. Realised 10.50
      at 70: value = 100 + 10.50 + 0.5 x (113.75 - 70) = 132.375
    70 -> 130 (units above the valley 70, distance 6.5):
       76.5 (+1): hedge 0 -> 25 % long: covers 0.125 short (+0.125 x 37.25 = 4.65625)
       83.0 (+2): long 0 -> 25 %; hedge 25 -> 50 % (+0.125 x 30.75 = 3.84375)
       89.5 (+3): long 25 -> 50 %; hedge 50 -> 75 % (+3.03125)
       96.0 (+4): long 50 -> 75 %; hedge 75 -> 100 % (+2.21875)
      102.5 (+5): long 75 -> 100 %: both buckets long: reset. Realised 24.25; long 0.5 @ 92.75,
                  hedge long 0.5 @ 86.25: value = 100 + 24.25 + 4.875 + 8.125 = 137.25
                  -> margin 137.25, unit value 6.8625, distance 5 % x 102.5 = 5.125,
                  size 137.25 / 102.5 = 1.33902 units of the asset
    102.5 -> 130, advance: value = 137.25 + 1.33902 x 27.5 = 174.0732
    """
    p = UnitPlan(100, 1, 100.0)
    assert walk(p, 100, 130, 0.5) == []
    assert (p.value(130), p.margin, p.unit, p.phase) == (130.0, 130.0, 6.5, "advance")
    down = walk(p, 130, 70, 0.5)
    assert [(px, c.new_long, c.new_hedge, c.phase) for px, c in down] == [  # type: ignore[attr-defined]
        (123.5, 100, 75, "retracement"),
        (117.0, 75, 50, "retracement"),
        (110.5, 50, 25, "retracement"),
        (104.0, 25, 0, "retracement"),
        (97.5, 0, 0, "decline"),
    ]
    assert [c.realised for _, c in down] == [2.9375, 4.25, 2.625, 1.0, -0.3125]  # type: ignore[attr-defined]
    assert p.realised == 10.5 and p.value(70) == 132.375 and p.valley == 70
    up = walk(p, 70, 130, 0.5)
    assert [(px, c.new_long, c.new_hedge, c.phase, c.reset) for px, c in up] == [  # type: ignore[attr-defined]
        (76.5, 0, 25, "recovery", False),
        (83.0, 25, 50, "recovery", False),
        (89.5, 50, 75, "recovery", False),
        (96.0, 75, 100, "recovery", False),
        (102.5, 100, 100, "advance", True),
    ]
    assert [c.realised for _, c in up[:4]] == [4.65625, 3.84375, 3.03125, 2.21875]  # type: ignore[attr-defined]
    assert p.reset_count == 1 and p.realised == 24.25
    assert up[-1][1].details["new"]["margin"] == 137.25  # type: ignore[attr-defined]
    assert p.value(130) == pytest.approx(174.0732, abs=1e-4) and p.margin == pytest.approx(
        174.0732, abs=1e-4
    )
    assert p.unit_value == pytest.approx(174.0732 * 0.05, abs=1e-4)


def test_choppy_partial_long_moves_25_each_full_unit_both_ways() -> None:
    p = UnitPlan(100, 1, 100.0)
    p.on_price(85.0)  # -3: 50 / 25, long bucket partly invested
    ch = p.on_price(80.0)
    assert ch is not None and (ch.new_long, ch.new_hedge) == (25, 0)
    ch = p.on_price(85.0)  # a full unit back from the -4 level
    assert ch is not None and (ch.new_long, ch.new_hedge) == (50, 25)


def test_state_round_trips() -> None:
    import json

    p = UnitPlan(100, 10, 100.0)
    walk(p, 100, 96, 0.25)
    q = UnitPlan(1, 1, 1)
    q.restore(json.loads(json.dumps(p.state())))
    for px in (95.5, 97.0, 99.9, 101.0):
        a, b = p.on_price(px), q.on_price(px)
        assert (a is None) == (b is None) and (p.long_pct, p.hedge_pct) == (q.long_pct, q.hedge_pct)

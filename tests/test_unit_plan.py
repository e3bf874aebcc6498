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
    # by default growth without an allocation change leaves the unit alone: the tables' reading
    # (the unit changes at a reset only). Fully long with 140 / 100 = 1.4 units of the asset,
    # the plan gains $5 when price rises 5 / 1.4 above 100
    assert p.size == pytest.approx(1.4)
    walk(p, 100.0, 100.0 + 5.0 / 1.4, 0.01)
    assert p.value(p.peak) == pytest.approx(145.0) and p.unit_value == pytest.approx(7.0)
    assert p.reset_count == 1


def test_the_seeds_continuous_growth_reset_with_rebase_on_new_high() -> None:
    """ "Before: $100 margin, never retraced, current $145. After reset: $145 margin, $7.25
    units, peak/valley $145": with ``rebase_on_new_high`` each new high re-bases the unit."""
    p = UnitPlan(100, 1, 100.0, rebase_on_new_high=True)
    walk(p, 100.0, 145.0, 0.5)
    assert (p.margin, p.unit_value, p.peak, p.valley) == (145.0, 7.25, 145.0, 145.0)
    assert p.reset_count == 0 and p.fills[-1][3] == 100.0  # no trade since the entry
    q = UnitPlan(100, 1, 100.0)  # the default: the unit is the entry's until a reset
    walk(q, 100.0, 145.0, 0.5)
    assert (q.margin, q.unit_value, q.unit, q.peak) == (100.0, 5.0, 5.0, 145.0)


def test_the_seeds_cycle_100_130_70_130_tick_by_tick() -> None:
    """Worked by hand. Margin 100, leverage 1, split 50/50, entry 100: the plan holds 1.0 unit
    of the asset (0.5 in each bucket); one unit is 5 % x 100 = 5.0, and stays so until a reset.

    100 -> 130, advance: no trade, the peak follows price to 130; value 130, margin still 100.
    130 -> 70 (units below the peak 130, distance 5.0, sizes 0.5 + 0.5):
      125 (-1): hedge 100 -> 75 %: sells 0.125 of its long at 125 (+0.125 x 25 = 3.125) and
                shorts 0.125 at 125
      120 (-2): long 100 -> 75 % (+0.125 x 20 = 2.5); hedge 75 -> 50 % (+2.5); shorts 0.25
                @ 122.5
      115 (-3): long 75 -> 50 % (+1.875); hedge 50 -> 25 % (+1.875); shorts 0.375 @ 120.0
      110 (-4): long 50 -> 25 % (+1.25); hedge 25 -> 0 % (+1.25); shorts 0.5 @ 117.5
      105 (-5): long 25 -> 0 % (+0.125 x 5 = 0.625): decline. Realised 15.0
      at 70: value = 100 + 15.0 + 0.5 x (117.5 - 70) = 138.75
    70 -> 130 (units above the valley 70, distance 5.0):
       75 (+1): hedge 0 -> 25 % long: covers 0.125 short (+0.125 x 42.5 = 5.3125)
       80 (+2): long 0 -> 25 %; hedge 25 -> 50 % (+0.125 x 37.5 = 4.6875)
       85 (+3): long 25 -> 50 %; hedge 50 -> 75 % (+4.0625)
       90 (+4): long 50 -> 75 %; hedge 75 -> 100 % (+3.4375)
       95 (+5): long 75 -> 100 %: both buckets long: reset. Realised 32.5; long 0.5 @ 87.5,
                hedge long 0.5 @ 82.5: value = 100 + 32.5 + 3.75 + 6.25 = 142.5
                -> margin 142.5, unit value 7.125, distance 5 % x 95 = 4.75,
                size 142.5 / 95 = 1.5 units of the asset
    95 -> 130, advance: no trade; value = 142.5 + 1.5 x 35 = 195.0, margin still 142.5
    """
    p = UnitPlan(100, 1, 100.0)
    assert walk(p, 100, 130, 0.5) == []
    assert (p.value(130), p.margin, p.unit, p.peak, p.phase) == (130.0, 100.0, 5.0, 130, "advance")
    down = walk(p, 130, 70, 0.5)
    assert [(px, c.new_long, c.new_hedge, c.phase) for px, c in down] == [  # type: ignore[attr-defined]
        (125.0, 100, 75, "retracement"),
        (120.0, 75, 50, "retracement"),
        (115.0, 50, 25, "retracement"),
        (110.0, 25, 0, "retracement"),
        (105.0, 0, 0, "decline"),
    ]
    assert [c.realised for _, c in down] == [3.125, 5.0, 3.75, 2.5, 0.625]  # type: ignore[attr-defined]
    assert p.realised == 15.0 and p.value(70) == 138.75 and p.valley == 70
    up = walk(p, 70, 130, 0.5)
    assert [(px, c.new_long, c.new_hedge, c.phase, c.reset) for px, c in up] == [  # type: ignore[attr-defined]
        (75.0, 0, 25, "recovery", False),
        (80.0, 25, 50, "recovery", False),
        (85.0, 50, 75, "recovery", False),
        (90.0, 75, 100, "recovery", False),
        (95.0, 100, 100, "advance", True),
    ]
    assert [c.realised for _, c in up[:4]] == [5.3125, 4.6875, 4.0625, 3.4375]  # type: ignore[attr-defined]
    assert p.reset_count == 1 and p.realised == 32.5
    new = up[-1][1].details["new"]  # type: ignore[attr-defined]
    assert (new["margin"], new["unit_value"], new["unit"]) == (142.5, 7.125, pytest.approx(4.75))
    assert p.size == pytest.approx(1.5) and p.peak == 130 and p.margin == 142.5
    assert p.value(130) == pytest.approx(195.0)


# The seed's two tables, row for row: units, long bucket %, hedge long %, hedge short %, the
# long bucket's action, the hedge bucket's action, phase.
SEED_DOWN = [
    (0, 100, 100, 0, "Hold", "Hold", "advance"),
    (-1, 100, 75, 25, "WAIT", "Sell 25% -> Short", "retracement"),
    (-2, 75, 50, 50, "Sell 25%", "Sell 25% -> Short", "retracement"),
    (-3, 50, 25, 75, "Sell 25%", "Sell 25% -> Short", "retracement"),
    (-4, 25, 0, 100, "Sell 25%", "Sell 25% -> Short", "retracement"),
    (-5, 0, 0, 100, "Sell 25%", "Hold Short", "decline"),
]
SEED_UP = [
    (0, 0, 0, 100, "Hold Cash", "Hold Short", "decline"),
    (1, 0, 25, 75, "WAIT", "Cover 25% -> Long", "recovery"),
    (2, 25, 50, 50, "Buy 25%", "Cover 25% -> Long", "recovery"),
    (3, 50, 75, 25, "Buy 25%", "Cover 25% -> Long", "recovery"),
    (4, 75, 100, 0, "Buy 25%", "Cover 25% -> Long", "recovery"),
    (5, 100, 100, 0, "Buy 25%", "Hold Long", "advance"),  # the reset trigger
]


def actions(fills: list[tuple[str, str, float, float, float]], bucket: float) -> tuple[str, str]:
    """The seed's action words for one row, read off the plan's fills at that row."""
    q = {(leg, side): round(qty / bucket * 100) for leg, side, qty, _px, _pnl in fills}
    long = "Sell 25%" if q.get(("long", "sell")) == 25 else ""
    long = long or ("Buy 25%" if q.get(("long", "buy")) == 25 else "")
    hedge = ""
    if q.get(("hedge_long", "sell")) == 25 and q.get(("hedge_short", "sell")) == 25:
        hedge = "Sell 25% -> Short"
    if q.get(("hedge_short", "buy")) == 25 and q.get(("hedge_long", "buy")) == 25:
        hedge = "Cover 25% -> Long"
    return long, hedge


@pytest.mark.parametrize("leverage", [1, 10])
def test_the_seeds_tables_row_by_row_with_their_actions_and_phases(leverage: int) -> None:
    p = UnitPlan(1000, leverage, 100.0)
    unit, bucket = p.unit, p.size / 2
    waiting = {"long": "WAIT", "hedge": ""}
    for rows, start, sign in ((SEED_DOWN, 100.0, -1), (SEED_UP, 100.0 - 5 * unit, 1)):
        for units, long_pct, h_long, h_short, act_long, act_hedge, phase in rows:
            n = len(p.fills)
            if units:
                ch = p.on_price(start + sign * abs(units) * unit)
                assert ch is not None and ch.units == pytest.approx(units, abs=1e-6)
            got_long, got_hedge = actions(p.fills[n:], bucket)
            assert (p.long_pct, p.hedge_pct, 100 - p.hedge_pct) == (long_pct, h_long, h_short)
            # no fill: the long bucket holds (or waits for its confirmation), the hedge holds
            want_long = act_long if act_long.endswith("%") else ""
            want_hedge = (
                act_hedge if act_hedge.endswith(("Short", "Long")) and "->" in act_hedge else ""
            )
            assert (got_long, got_hedge) == (want_long, want_hedge), (units, act_long, act_hedge)
            if act_long == waiting["long"]:
                assert p.long_pct == (100 if sign < 0 else 0)  # the 2-unit confirmation
            assert p.phase == phase or (units == 5 and p.reset_count == 1 and phase == "advance")


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


def test_the_next_triggers_are_the_prices_the_plan_moves_at() -> None:
    """Walk down from the peak to the valley and back up: at every row, the ``deeper``
    trigger moves the allocation one row and a price a hair short of it does not."""
    p = UnitPlan(1000, 1, 100.0)
    assert p.triggers() == {"deeper": pytest.approx(95.0), "back": None}
    for _ in range(9):
        trig = p.triggers()
        deeper = trig["deeper"]
        assert deeper is not None
        mode, row = p.mode, p.row
        short_of = deeper + (0.01 if mode == "down" else -0.01)
        assert p.on_price(short_of) is None and (p.mode, p.row) == (mode, row)
        assert p.on_price(deeper) is not None
        assert (p.mode, p.row) != (mode, row)
    st = p.status(p.valley + 2 * p.unit)
    assert st["counting"] == "from the valley" and st["units"] == pytest.approx(2.0)
    assert st["next_triggers"] == p.triggers()

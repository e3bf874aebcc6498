from __future__ import annotations

import math

import pytest

from bridge.core import events as ev
from bridge.core.symbols import format_sessions, parse_sessions
from bridge.core.timeutil import parse
from bridge.data.fixtures import Fixture
from bridge.data.sessions import with_early_closes
from bridge.replay.backtest import RunResult, run_backtest
from strategies.beta_hedge import BetaHedge, lag_condition
from strategies.daily_range import DailyRange
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams
from tests.helpers import T0, engine, index_spec
from tests.scenario import Row, bars, fixture, flat

DAY = "2026-01-05 14:00"  # a Monday; minute 60 = 15:00, minute 120 = 16:00


def window_rows(high: float = 101.0, low: float = 99.0) -> list[Row]:
    """14:00-15:59: flat 100 before the window, one bar to `high` and one to `low` inside it."""
    rows = flat(range(0, 60), 100.0)
    rows += [(m, 100.0, 100.0, 100.0, 100.0) for m in range(60, 120)]
    rows[70] = (70, 100.0, high, 100.0, 100.0)
    rows[80] = (80, 100.0, 100.0, low, 100.0)
    return rows


def m1(t: str, o: float, h: float, lo: float, c: float) -> ev.Bar:
    return ev.Bar("X", 1, parse(t), o, h, lo, c)


# -- the range -------------------------------------------------------------------------------
def test_range_is_final_only_when_the_window_has_closed() -> None:
    r = DailyRange(15, 0, 60)
    assert r.update(m1("2026-01-05 15:00", 10, 12, 9, 11)) is None
    assert r.update(m1("2026-01-05 15:58", 10, 13, 10, 11)) is None
    assert r.current is None
    final = r.update(m1("2026-01-05 15:59", 10, 11, 8, 10))
    assert final is not None and (final.high, final.low) == (13, 8)
    assert final.end_ms == parse("2026-01-05 16:00")
    r.update(m1("2026-01-05 16:00", 10, 50, 1, 10))  # after the window: never repaints
    assert (r.current.high, r.current.low) == (13, 8)  # type: ignore[union-attr]


def test_range_is_identical_whether_data_stops_at_the_window_end_or_runs_on() -> None:
    rows = [m1(f"2026-01-05 15:{m:02d}", 10, 10 + m / 10, 10 - m / 20, 10) for m in range(60)]
    later = [m1(f"2026-01-05 {h}:{m:02d}", 10, 99, 1, 10) for h in (16, 17) for m in range(60)]
    a, b = DailyRange(15, 0, 60), DailyRange(15, 0, 60)
    for x in rows:
        a.update(x)
    for x in rows + later:
        b.update(x)
    assert a.current == b.current and a.current is not None


def test_missing_last_minute_finalises_on_the_next_bar_and_empty_window_has_no_range() -> None:
    r = DailyRange(15, 0, 60)
    r.update(m1("2026-01-05 15:10", 10, 12, 9, 11))
    assert r.current is None
    assert r.update(m1("2026-01-05 16:05", 10, 30, 1, 10)) is not None
    assert (r.current.high, r.current.low) == (12, 9)  # type: ignore[union-attr]
    r.update(m1("2026-01-06 14:00", 10, 12, 9, 11))
    r.update(m1("2026-01-06 16:30", 10, 12, 9, 11))
    assert r.current is None  # no bar inside the window that day


# -- entries ---------------------------------------------------------------------------------
def run(rows: list[Row], balance: float = 100_000.0, **kw: object) -> tuple[RangeBreakout, object]:
    params = dict(
        main_symbol="US100", hedge=False, htf_filter=False, sizing="fixed", fixed_lots=1.0
    )
    params.update(kw)
    s = RangeBreakout(RangeBreakoutParams(**params))  # type: ignore[arg-type]
    res = run_backtest(fixture(bars("US100", DAY, rows), balance=balance), [s])
    return s, res


def breakout_rows(close: float) -> list[Row]:
    rows = window_rows()
    rows += flat(range(120, 124), 100.0)
    rows.append((124, 100.0, close, 100.0, close))  # the 16:00 M5 bar closes at `close`
    rows += flat(range(125, 140), close)
    return rows


def test_close_equal_to_range_high_is_not_a_breakout() -> None:
    s, _res = run(breakout_rows(101.0))
    assert s.main_trades == 0


def test_close_one_point_above_range_high_buys_with_sl_and_tp() -> None:
    s, res = run(breakout_rows(101.01))
    assert s.main_trades == 1
    pos = next(iter(res.portfolio.positions.values()))  # type: ignore[attr-defined]
    assert pos.is_buy and pos.price_open == 101.01
    assert pos.sl == pytest.approx(101.01 * (1 - 0.005), abs=0.01)
    assert pos.tp == pytest.approx(101.01 + 2 * 101.01 * 0.005, abs=0.01)


def test_close_below_range_low_sells() -> None:
    rows = window_rows() + flat(range(120, 124), 100.0) + [(124, 100.0, 100.0, 98.5, 98.9)]
    s, res = run(rows)
    assert s.main_trades == 1 and not next(iter(res.portfolio.positions.values())).is_buy  # type: ignore[attr-defined]


def test_no_entry_from_a_bar_inside_the_window_and_one_per_direction_per_day() -> None:
    rows = window_rows()
    rows[118] = (118, 100.0, 100.5, 100.0, 100.5)
    rows += [(124, 100.0, 101.5, 100.0, 101.5), *flat(range(125, 129), 101.5)]
    rows += [(129, 101.5, 101.5, 96.0, 96.0)]  # hits the SL (0.5 %) and closes below the low
    rows += [*flat(range(130, 134), 96.0), (134, 96.0, 102.0, 96.0, 102.0)]  # 2nd buy signal
    s, res = run(rows + flat(range(135, 140), 102.0))
    trades = res.portfolio.trades  # type: ignore[attr-defined]
    # buy stopped out; the sell that followed is stopped out by the spike to 102, whose M5 close
    # is a second buy signal: refused, one buy a day
    assert [(t.side, t.reason) for t in trades] == [("buy", "sl"), ("sell", "sl")]
    assert s.entries == {"day": trades[0].open_time // 86_400_000, "buy": 1, "sell": 1}
    assert s.main_trades == 2 and not res.portfolio.positions  # type: ignore[attr-defined]


def test_risk_sizing_uses_equity_and_money_per_price_unit() -> None:
    _s, res = run(breakout_rows(101.01), balance=1000.0, sizing="risk", risk_pct=1.0)
    pos = next(iter(res.portfolio.positions.values()))  # type: ignore[attr-defined]
    dist = 101.01 * 0.005  # a 1.0 price move of one lot is worth 1.0 (tick 0.01 worth 0.01)
    assert pos.volume == math.floor(1000 * 0.01 / dist * 100) / 100  # floored to the step


def test_session_close_exits_and_no_entry_after_it() -> None:
    rows = window_rows() + flat(range(120, 124), 100.0) + [(124, 100.0, 101.2, 100.0, 101.2)]
    rows += flat(range(125, 9 * 60 + 45), 101.2)  # until 23:45
    _s, res = run(rows)
    (t,) = res.portfolio.trades  # type: ignore[attr-defined]
    assert t.close_time == parse("2026-01-05 23:30") and t.reason == "expert"
    late = (
        window_rows() + flat(range(120, 9 * 60 + 30), 100.0) + [(9 * 60 + 30, 100, 103, 100, 103)]
    )
    s2, _ = run(late + flat(range(9 * 60 + 31, 9 * 60 + 40), 103.0))
    assert s2.main_trades == 0


def htf_rows(last: Row) -> list[Row]:
    """12:00-13:59 at 120, 14:00-14:59 falling to 100 (H1 closes 120, 120, 100: the last close is
    below EMA(2) of H1 closes), the 15:00-16:00 window between 99 and 101, then ``last``."""
    rows = flat(range(0, 120), 120.0)
    rows += [(m, p, p, p, p) for m in range(120, 180) for p in [120 - (m - 119) / 3]]
    rows += [(m + 120, *r[1:]) for m, *_ in window_rows()[60:] for r in [window_rows()[m]]]
    rows += [*flat(range(240, 244), 100.0), last]
    return rows + flat(range(245, 250), last[4])


@pytest.mark.parametrize(
    ("last", "buy"),
    [((244, 100.0, 101.5, 100.0, 101.5), True), ((244, 100.0, 100.0, 98.5, 98.5), False)],
)
def test_htf_filter_allows_only_the_side_of_the_h1_trend(last: Row, buy: bool) -> None:
    start = "2026-01-05 12:00"
    rows = htf_rows(last)
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})  # one bar a minute, in order
    s = RangeBreakout(RangeBreakoutParams(hedge=False, htf_ema=2, sizing="fixed"))
    run_backtest(fixture(bars("US100", start, rows)), [s])
    assert s.htf_close < s.htf.value  # the H1 context is down
    assert s.main_trades == (0 if buy else 1)
    s2 = RangeBreakout(RangeBreakoutParams(hedge=False, htf_filter=False, sizing="fixed"))
    run_backtest(fixture(bars("US100", start, rows)), [s2])
    assert s2.main_trades == 1


# -- the hedge arithmetic --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rm", "rh", "ok"),
    [
        (0.01, 0.003, True),
        (0.01, 0.0030001, False),
        (-0.01, -0.003, True),
        (0.01, -0.001, False),
        (-0.01, 0.001, False),
        (0.01, 0.0, False),
        (0.0, 0.0, False),
        (math.nan, 0.001, False),
    ],
)
def test_lag_condition_boundaries(rm: float, rh: float, ok: bool) -> None:
    assert lag_condition(rm, rh, 0.30) is ok


def _feed(h: BetaHedge, n: int, range_main: float, range_hedge: float, t0: int = 0) -> None:
    for i in range(n):
        t = t0 + i * 300_000
        h.update(ev.Bar("M", 5, t, 100, 100 + range_main, 100, 100))
        h.update(ev.Bar("H", 5, t, 50, 50 + range_hedge, 50, 50))


def test_beta_is_atr_and_value_weighted_smoothed_and_clamped() -> None:
    h = BetaHedge("M", "H", 1.0, 2.0, atr_period=2, beta_ema=3, beta_min=0.5, beta_max=5.0)
    _feed(h, 4, 3.0, 1.0)
    assert h.beta == pytest.approx(3.0 * 1.0 / (1.0 * 2.0))  # 1.5
    _feed(h, 1, 3.0, 0.25, t0=10**9)  # ATR_h -> (1 + 0.25) / 2 = 0.625, raw = 3 / 1.25 = 2.4
    assert h.beta == pytest.approx(1.5 + 0.5 * (2.4 - 1.5))
    hi = BetaHedge("M", "H", 1.0, 1.0, atr_period=1, beta_ema=1, beta_max=5.0)
    _feed(hi, 2, 100.0, 1.0)
    assert hi.beta == 5.0
    lo = BetaHedge("M", "H", 1.0, 1.0, atr_period=1, beta_ema=1, beta_min=0.5)
    _feed(lo, 2, 1.0, 100.0)
    assert lo.beta == 0.5


def test_reading_waits_for_both_symbols_of_the_period() -> None:
    h = BetaHedge("M", "H", 1.0, 1.0, lookback=1, atr_period=1, beta_ema=1)
    assert h.update(ev.Bar("M", 5, 0, 1, 1, 1, 1)) is None
    assert h.update(ev.Bar("H", 5, 0, 1, 1, 1, 1)) is not None
    assert h.update(ev.Bar("H", 5, 300_000, 1, 1, 1, 1)) is None
    r = h.update(ev.Bar("M", 5, 300_000, 1, 1.1, 1, 1.1))
    assert r is not None and r.r_main == pytest.approx(0.1) and r.r_hedge == 0.0 and not r.lagging


# -- the hedge lives and dies with the main trade --------------------------------------------
def hedged_engine() -> tuple[RangeBreakout, object, list[object]]:
    s = RangeBreakout(RangeBreakoutParams(main_symbol="US100", hedge_symbol="SPX500"))
    e, sent = engine([s], specs={"US100": index_spec("US100"), "SPX500": index_spec("SPX500")})
    s.set_state(
        {"main_ticket": 10, "hedge_ticket": 11, "hedged": True, "main_trades": 1, "hedges": 1}
    )
    e.handle(ev.Position(10, "US100", True, 1.0, 21000, 20900, 21200, s.magic, 0, 0, T0, "a"))
    e.handle(ev.Position(11, "SPX500", False, 3.0, 6000, 0, 0, s.magic, 0, 0, T0, "b"))
    return s, e, sent


@pytest.mark.parametrize("reason", [ev.REASON_SL, ev.REASON_TP, ev.REASON_EXPERT, ev.REASON_CLIENT])
def test_hedge_closes_when_the_main_closes_for_any_reason(reason: int) -> None:
    s, e, sent = hedged_engine()
    e.handle(ev.Deal(1, 12, 10, "", "US100", False, 1, 1.0, 20900, 0, 0, -100, s.magic, T0, reason))  # type: ignore[attr-defined]
    e.handle(ev.PositionClosed(10, T0))  # type: ignore[attr-defined]
    (cmd,) = sent
    assert isinstance(cmd, ev.CloseCmd) and cmd.ticket == 11 and cmd.volume == 0


def test_hedge_still_closes_while_halted() -> None:
    _s, e, sent = hedged_engine()
    e.gate.halt("operator")  # type: ignore[attr-defined]
    e.handle(ev.PositionClosed(10, T0))  # type: ignore[attr-defined]
    assert [c.ticket for c in sent] == [11]  # type: ignore[attr-defined]


def test_a_hedge_filled_after_its_main_closed_is_closed_at_once() -> None:
    s, e, sent = hedged_engine()
    e.handle(ev.PositionClosed(11, T0))  # type: ignore[attr-defined]
    e.handle(ev.PositionClosed(10, T0))  # type: ignore[attr-defined]
    s.hedge_ticket = 0
    e.handle(ev.Position(13, "SPX500", False, 3.0, 6000, 0, 0, s.magic, 0, 0, T0, "c"))  # type: ignore[attr-defined]
    assert isinstance(sent[-1], ev.CloseCmd) and sent[-1].ticket == 13  # type: ignore[attr-defined]


def test_activation_rate_counts_as_the_seed() -> None:
    s = RangeBreakout()
    s.main_trades, s.hedges = 530 - 48, 48
    assert s.stats()["hedge_activation_rate"] == round(48 / 530, 4)


def test_no_entry_while_the_window_is_open_even_above_the_high_so_far() -> None:
    rows = flat(range(0, 60), 100.0)
    rows += [(m, p, p, p, p) for m in range(60, 120) for p in [100 + (m - 60) / 10]]  # climbing
    s, _ = run([*rows, *flat(range(120, 130), 105.0)])
    assert s.range.current is not None and s.range.current.high == pytest.approx(105.9)
    assert s.main_trades == 0  # every M5 close inside the window was above the high before it


def test_no_hedge_without_a_main_trade_then_one_hedge_with_it() -> None:
    s = RangeBreakout(RangeBreakoutParams(hedge_lookback=1, atr_period=1, beta_ema=1))
    e, sent = engine([s], specs={"US100": index_spec("US100"), "SPX500": index_spec("SPX500")})

    def period(i: int, main_px: float, hedge_px: float) -> None:
        t = T0 + i * 300_000
        e.handle(ev.Bar("US100", 5, t, main_px, main_px, main_px, main_px))
        e.handle(ev.Bar("SPX500", 5, t, hedge_px, hedge_px + 1, hedge_px, hedge_px))

    period(0, 21000, 6000)
    period(1, 21100, 6005)  # both up, SPX500 lags: the condition holds
    assert s.hedger is not None and s.hedger.last is not None and s.hedger.last.lagging
    assert sent == []  # ...but there is no main trade
    s.set_state({"main_ticket": 10, "main_trades": 1})
    e.handle(ev.Position(10, "US100", True, 2.0, 21100, 0, 0, s.magic, 0, 0, T0, "a"))
    period(2, 21200, 6010)
    period(3, 21300, 6015)
    (cmd,) = sent  # one hedge per main trade, however often the condition holds
    assert isinstance(cmd, ev.OpenCmd) and cmd.symbol == "SPX500" and cmd.order_type == ev.SELL


# -- flat at the end of every session, also when it ends early -------------------------------
TUESDAY = 600 + 65  # minute offset of Tuesday 01:05 (minute 0 is Monday 14:00)


def bought_at_16_05() -> list[Row]:
    """Monday: the 15:00 range, a buy signal on the 16:00 M5 bar, then flat until 19:59."""
    rows = window_rows() + flat(range(120, 124), 100.0) + [(124, 100.0, 101.2, 100.0, 101.2)]
    return rows + flat(range(125, 360), 101.2)


def tuesday(price: float, until: int = 60) -> list[Row]:
    return flat(range(TUESDAY, TUESDAY + until), price)


def run_fx(fx: Fixture, **kw: object) -> tuple[RangeBreakout, RunResult]:
    params = dict(
        main_symbol="US100", hedge=False, htf_filter=False, sizing="fixed", fixed_lots=1.0
    )
    params.update(kw)
    s = RangeBreakout(RangeBreakoutParams(**params))  # type: ignore[arg-type]
    return s, run_backtest(fx, [s])


def test_a_session_table_that_ends_the_day_at_20_00_closes_the_trade_before_it() -> None:
    sessions = parse_sessions("1:0105-2000;2:0105-2349")  # Monday ends at 20:00
    spec = index_spec("US100", sessions=sessions)
    fx = fixture(bars("US100", DAY, bought_at_16_05() + tuesday(105.0)), specs={"US100": spec})
    _s, res = run_fx(fx)
    (t,) = res.portfolio.trades
    # the bar closing at 19:59 (one minute before the end) closes it, at the next quote: the
    # 19:59 bar's open, the session's last price; not carried into Tuesday at 105
    assert t.close_time == parse("2026-01-05 19:59") and t.close_price == 101.2
    assert t.reason == "expert"


def signal_day(at_14: int, end: int) -> list[Row]:
    """A day from 01:05: flat 100, the 15:00 range, a buy signal on the 16:00 M5 bar, then flat
    at 101.2 until minute ``end`` (offsets from Monday 14:00; ``at_14``: that day's 14:00)."""
    rows = flat(range(at_14 - 13 * 60 + 5, at_14), 100.0)
    rows += [(at_14 + m, *r[1:]) for m, r in enumerate(window_rows())]
    rows += flat(range(at_14 + 120, at_14 + 124), 100.0)
    rows += [(at_14 + 124, 100.0, 101.2, 100.0, 101.2)]
    return rows + flat(range(at_14 + 125, end), 101.2)


def test_a_day_whose_data_end_at_20_00_is_an_early_close_read_off_the_data() -> None:
    # Monday runs to 23:59 as usual, Tuesday stops at 19:59 (a holiday's early close) after a
    # buy, Wednesday is the data's last day (at 107)
    rows = flat(range(0, 600), 100.0)
    rows += signal_day(600 + 14 * 60, 600 + 20 * 60)
    wed = 2 * 600 + 24 * 60 - 600 + 65  # Wednesday 01:05
    rows += flat(range(wed, wed + 120), 107.0)
    b = bars("US100", DAY, rows)
    spec = with_early_closes(index_spec("US100"), b)
    assert format_sessions(spec.sessions) == "2026-01-06:0105-2000"
    s, res = run_fx(fixture(b, specs={"US100": spec}))
    (t,) = res.portfolio.trades
    assert s.main_trades == 1 and t.close_time == parse("2026-01-06 19:59")
    assert t.close_price == 101.2 and t.reason == "expert"
    # without the calendar the trade is still never carried past the session: it is closed on
    # the first bar of the next day the market opens, at that day's price
    _s2, res2 = run_fx(fixture(b), sl_pct=5.0)  # no gap through the stop or target
    (t2,) = res2.portfolio.trades
    assert t2.close_time == parse("2026-01-07 01:06") and t2.close_price == 107.0


def test_a_holiday_after_an_early_close_does_not_block_the_next_days_signal() -> None:
    """Monday's trade (its session ended at 20:00 unannounced) is closed on Wednesday's first bar
    (Tuesday is a holiday with no bars), and Wednesday's own breakout still trades."""
    rows = bought_at_16_05()
    wed = 600 + 24 * 60 + 14 * 60  # Wednesday 14:00
    rows += [(wed + m, *r[1:]) for m, r in enumerate(breakout_rows(101.01))]
    s, res = run_fx(fixture(bars("US100", DAY, rows)), sl_pct=5.0)  # no gap through the stop
    (first,) = res.portfolio.trades
    assert first.close_time == parse("2026-01-07 14:01") and first.close_price == 100.0
    assert s.main_trades == 2 and len(res.portfolio.positions) == 1

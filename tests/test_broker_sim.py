from __future__ import annotations

import pytest

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec, parse_sessions
from bridge.core.timeutil import parse
from bridge.data.account import AccountSettings
from bridge.sim.broker import BrokerSim
from tests.helpers import gold_spec

T0 = parse("2026-01-05 12:00")  # a Monday


def gold(**kw: object) -> SymbolSpec:
    base: dict[str, object] = dict(
        volume_max=10.0,
        filling_modes=1,
        swap_long=-60.0,
        swap_short=20.0,
        sessions=parse_sessions(";".join(f"{d}:0105-2349" for d in range(1, 6))),
    )
    return gold_spec(**{**base, **kw})


def sim(hedging: bool = True, balance: float = 100_000.0, **kw: object) -> BrokerSim:
    s = BrokerSim(
        {"XAUUSD": gold(**kw)},
        AccountSettings(balance=balance, leverage=100, hedging=hedging, commission={"XAUUSD": 3.0}),
    )
    s.on_tick("XAUUSD", T0, 2650.00, 2650.30)
    return s


def buy(s: BrokerSim, cid: str, vol: float = 0.1, **kw: object) -> list:
    args = dict(
        client_id=cid,
        symbol="XAUUSD",
        order_type=ev.BUY,
        volume=vol,
        price=0.0,
        sl=0.0,
        tp=0.0,
        magic=7,
        deviation=20,
        filling=-1,
        comment="",
    )
    args.update(kw)
    return s.execute(ev.OpenCmd(**args))  # type: ignore[arg-type]


def test_market_buy_fills_at_ask_with_commission() -> None:
    s = sim()
    res, deal, pos = buy(s, "c1")
    assert res.retcode == rc.DONE and res.price == 2650.30
    assert deal.entry == ev.ENTRY_IN and deal.commission == -0.3 and deal.client_id == "c1"
    assert pos.ticket == res.order and pos.volume == 0.1
    assert s.balance == pytest.approx(100_000 - 0.3)


def test_close_realises_profit_at_bid() -> None:
    s = sim()
    pos = buy(s, "c1")[2]
    s.on_tick("XAUUSD", T0 + 1000, 2652.00, 2652.30)
    res, deal, closed = s.execute(ev.CloseCmd("c2", pos.ticket, 0.0, 20))
    assert res.retcode == rc.DONE and deal.price == 2652.00 and deal.entry == ev.ENTRY_OUT
    assert deal.profit == pytest.approx((2652.00 - 2650.30) * 100 * 0.1)
    assert isinstance(closed, ev.PositionClosed) and not s.positions


def test_partial_close_keeps_the_rest() -> None:
    s = sim()
    pos = buy(s, "c1", 0.08)[2]
    res, deal, left = s.execute(ev.CloseCmd("c2", pos.ticket, 0.03, 20))
    assert res.retcode == rc.DONE and deal.volume == 0.03 and left.volume == 0.05


@pytest.mark.parametrize(
    ("vol", "code"),
    [
        (0.015, rc.INVALID_VOLUME),
        (0.0, rc.INVALID_VOLUME),
        (11.0, rc.INVALID_VOLUME),
        (100.0 + 0.01, rc.INVALID_VOLUME),
    ],
)
def test_invalid_volume(vol: float, code: int) -> None:
    assert buy(sim(), "c1", vol)[0].retcode == code


def test_invalid_stops_respect_side_and_stops_level() -> None:
    s = sim(stops_level=50)
    assert buy(s, "a", sl=2650.5)[0].retcode == rc.INVALID_STOPS  # SL above bid for a buy
    assert buy(s, "b", sl=2649.7)[0].retcode == rc.INVALID_STOPS  # closer than 50 points
    assert buy(s, "c", sl=2649.5, tp=2650.5)[0].retcode == rc.DONE


def test_market_closed_outside_sessions() -> None:
    s = sim()
    s.on_tick("XAUUSD", parse("2026-01-05 23:55"), 2650.0, 2650.3)
    assert buy(s, "c1")[0].retcode == rc.MARKET_CLOSED


def test_no_money() -> None:
    s = sim(balance=1000.0)  # 1 lot of gold needs 2650 margin at 1:100
    assert buy(s, "c1", 1.0)[0].retcode == rc.NO_MONEY
    assert buy(s, "c2", 0.1)[0].retcode == rc.DONE


def test_unsupported_filling() -> None:
    s = sim()  # FOK only
    assert buy(s, "c1", filling=1)[0].retcode == rc.INVALID_FILL
    assert buy(s, "c2", filling=2)[0].retcode == rc.INVALID_FILL  # RETURN: not for market orders
    assert buy(s, "c3", filling=0)[0].retcode == rc.DONE


def test_no_quotes_and_unknown_symbol_and_trade_mode() -> None:
    s = BrokerSim({"XAUUSD": gold()}, AccountSettings())
    assert buy(s, "c1")[0].retcode == rc.PRICE_OFF
    assert buy(sim(), "c2", symbol="NOPE")[0].retcode == rc.INVALID
    assert buy(sim(trade_mode=0), "c3")[0].retcode == rc.TRADE_DISABLED
    assert buy(sim(trade_mode=2), "c4")[0].retcode == rc.SHORT_ONLY
    assert buy(sim(trade_mode=3), "c5")[0].retcode == rc.CLOSE_ONLY


def test_close_unknown_ticket_and_too_much_volume() -> None:
    s = sim()
    assert s.execute(ev.CloseCmd("c1", 999, 0.0, 20))[0].retcode == rc.POSITION_CLOSED
    pos = buy(s, "c2", 0.05)[2]
    assert s.execute(ev.CloseCmd("c3", pos.ticket, 0.06, 20))[0].retcode == rc.INVALID_CLOSE_VOLUME


def test_same_client_id_executes_once() -> None:
    s = sim()
    first = buy(s, "dup")
    again = buy(s, "dup")
    assert again == [first[0]] and len(s.positions) == 1
    assert s.executed_ids.count("dup") == 1
    assert s.query("dup") == first[0]
    assert s.query("never").retcode == rc.UNKNOWN_ID


def test_hedging_holds_both_sides_and_close_by() -> None:
    s = sim()
    long_ = buy(s, "a", 0.10)[2]
    short = buy(s, "b", 0.08, order_type=ev.SELL)[2]
    assert len(s.positions) == 2
    res, d1, left, d2, gone = s.execute(ev.CloseByCmd("c", long_.ticket, short.ticket))
    assert res.retcode == rc.DONE and d1.entry == d2.entry == ev.ENTRY_OUT_BY
    assert left.volume == pytest.approx(0.02) and isinstance(gone, ev.PositionClosed)
    # closing each at the other's open price realises exactly the spread paid
    assert d1.profit + d2.profit == pytest.approx(
        (short.price_open - long_.price_open) * 100 * 0.08
    )


def test_netting_nets_reduces_and_reverses() -> None:
    s = sim(hedging=False)
    buy(s, "a", 0.10)
    assert len(s.positions) == 1
    out = buy(s, "b", 0.04, order_type=ev.SELL)
    assert out[1].entry == ev.ENTRY_OUT and next(
        iter(s.positions.values())
    ).volume == pytest.approx(0.06)
    buy(s, "c", 0.10, order_type=ev.SELL)
    (p,) = s.positions.values()
    assert not p.is_buy and p.volume == pytest.approx(0.04)
    assert buy(s, "d", 0.01, order_type=ev.SELL)[1].entry == ev.ENTRY_IN


def test_buy_limit_triggers_at_its_price_on_a_continuous_path() -> None:
    s = sim()
    res, order = buy(s, "lim", 0.01, order_type=ev.BUY_LIMIT, price=2649.00)
    assert res.retcode == rc.PLACED and isinstance(order, ev.PendingOrder)
    assert s.on_tick("XAUUSD", T0 + 20_000, 2649.50, 2649.80) == []
    deal, pos = s.on_tick("XAUUSD", T0 + 40_000, 2648.00, 2648.30)
    assert deal.price == 2649.00 and deal.client_id == "lim" and pos.volume == 0.01
    assert not s.orders


def test_pending_price_on_the_wrong_side_is_invalid_price() -> None:
    s = sim()
    assert buy(s, "x", 0.01, order_type=ev.BUY_LIMIT, price=2651.0)[0].retcode == rc.INVALID_PRICE
    assert buy(s, "y", 0.01, order_type=ev.SELL_STOP, price=2651.0)[0].retcode == rc.INVALID_PRICE


def test_cancel_pending() -> None:
    s = sim()
    res, _ = buy(s, "lim", 0.01, order_type=ev.BUY_LIMIT, price=2640.0)
    assert s.execute(ev.CancelCmd("c", res.order))[0].retcode == rc.DONE and not s.orders
    assert s.execute(ev.CancelCmd("d", res.order))[0].retcode == rc.INVALID


def test_sl_at_level_on_path_and_at_market_after_a_gap() -> None:
    s = sim()
    buy(s, "a", 0.1, sl=2649.0)
    deal, _ = s.on_tick("XAUUSD", T0 + 20_000, 2648.5, 2648.8)
    assert deal.reason == ev.REASON_SL and deal.price == 2649.0
    s2 = sim()
    buy(s2, "a", 0.1, sl=2649.0)
    deal2, _ = s2.on_tick("XAUUSD", T0 + 3_600_000, 2645.0, 2645.3)  # an hour later: a gap
    assert deal2.price == 2645.0


def test_tp_for_a_sell_at_level() -> None:
    s = sim()
    buy(s, "a", 0.1, order_type=ev.SELL, tp=2648.0)
    deal, _ = s.on_tick("XAUUSD", T0 + 20_000, 2647.0, 2647.3)
    assert deal.reason == ev.REASON_TP and deal.price == 2648.0 and deal.profit > 0


def test_modify_checks_stops_and_no_changes() -> None:
    s = sim()
    pos = buy(s, "a", 0.1)[2]
    assert s.execute(ev.ModifyCmd("m1", pos.ticket, 2651.0, 0.0))[0].retcode == rc.INVALID_STOPS
    assert s.execute(ev.ModifyCmd("m2", pos.ticket, 2640.0, 0.0))[0].retcode == rc.DONE
    assert s.execute(ev.ModifyCmd("m3", pos.ticket, 2640.0, 0.0))[0].retcode == rc.NO_CHANGES


def test_swap_at_rollover_triple_on_wednesday() -> None:
    s = sim()
    pos = buy(s, "a", 1.0)[2]
    s.on_tick("XAUUSD", parse("2026-01-06 01:10"), 2650.0, 2650.3)  # Monday's rollover
    assert s.positions[pos.ticket].swap == pytest.approx(-60.0)
    s.on_tick("XAUUSD", parse("2026-01-08 01:10"), 2650.0, 2650.3)  # Tue x1 + Wed x3
    assert s.positions[pos.ticket].swap == pytest.approx(-60.0 * 5)
    deal = s.execute(ev.CloseCmd("c", pos.ticket, 0.0, 20))[1]
    assert deal.swap == pytest.approx(-300.0)


def test_account_equity_margin() -> None:
    s = sim()
    buy(s, "a", 1.0)
    s.on_tick("XAUUSD", T0 + 1000, 2651.30, 2651.60)
    a = s.account()
    assert a.equity == pytest.approx(100_000 - 3.0 + 100.0)
    assert a.margin == pytest.approx(2651.60 * 100 / 100)
    assert a.free_margin == pytest.approx(a.equity - a.margin)

from __future__ import annotations

import pytest

from bridge.brain.orders import CANCELLED, FILLED, PLACED, REJECTED, UNKNOWN
from bridge.brain.risk import RiskLimits
from bridge.brain.strategy import Cancel, Close, Modify, Open, SetTimer, Target
from bridge.core import events as ev
from bridge.core import retcodes as rc
from tests.helpers import T0, Scripted, account, engine, index_spec, tick


def test_open_intent_becomes_a_normalised_command_with_magic_and_id() -> None:
    s = Scripted(magic=42)
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.127, sl=20900.123, tag="main")]
    e.handle(tick())
    (cmd,) = sent
    assert isinstance(cmd, ev.OpenCmd)
    assert (cmd.volume, cmd.magic, cmd.order_type, cmd.sl, cmd.comment) == (
        0.12,
        42,
        ev.BUY,
        20900.12,
        "main",
    )
    assert cmd.client_id == "t-1" and e.orders.orders["t-1"].state == "sent"


def test_modify_prices_are_normalised_like_open_prices() -> None:
    """A moved stop off the symbol's tick grid is refused by the broker (10016): MODIFY's prices
    are rounded in the same place as OPEN's."""
    s = Scripted()
    e, sent = engine([s])
    e.handle(ev.Position(10, "US100", True, 0.3, 21000, 0, 0, 1, 0, 0, T0, ""))
    s.next = [Modify(10, sl=20950.128, tp=21100.0049)]
    e.handle(tick())
    (cmd,) = sent
    assert isinstance(cmd, ev.ModifyCmd) and (cmd.sl, cmd.tp) == (20950.13, 21100.0)


def test_volume_below_minimum_is_rejected_to_the_strategy() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.004)]
    e.handle(tick())
    assert not sent and "normalises to 0" in s.rejections[0].reason


@pytest.mark.parametrize(
    ("limits", "intent", "why"),
    [
        (RiskLimits(default_max_lots_per_symbol=1.0), Open("US100", True, 1.5), "exceed the cap"),
        (RiskLimits(max_total_lots=0.5), Open("US100", True, 1.0), "total"),
        (RiskLimits(max_positions=0), Open("US100", True, 0.1), "positions open"),
        (RiskLimits(), Open("NOPE", True, 0.1), "unknown symbol"),
        (RiskLimits(margin_use=0.0001), Open("US100", True, 1.0), "margin"),
    ],
)
def test_risk_gate_refuses_with_reason(limits: RiskLimits, intent: Open, why: str) -> None:
    s = Scripted()
    e, sent = engine([s], limits)
    s.next = [intent]
    e.handle(tick())
    assert not sent and why in s.rejections[0].reason


def test_orders_per_minute_limit_uses_event_time() -> None:
    s = Scripted()
    e, sent = engine([s], RiskLimits(max_orders_per_minute=2))
    for i in range(3):
        s.next = [Open("US100", True, 0.01)]
        e.handle(tick(T0 + i * 1000))
    assert len(sent) == 2 and "orders in the last minute" in s.rejections[0].reason
    s.next = [Open("US100", True, 0.01)]
    e.handle(tick(T0 + 61_000))
    assert len(sent) == 3


def test_lots_in_flight_count_against_the_cap() -> None:
    s = Scripted()
    e, sent = engine([s], RiskLimits(default_max_lots_per_symbol=1.0))
    s.next = [Open("US100", True, 0.6), Open("US100", True, 0.6)]
    e.handle(tick())
    assert len(sent) == 1 and "exceed the cap" in s.rejections[0].reason


def test_margin_of_market_orders_in_flight_counts_against_free_margin() -> None:
    s = Scripted()
    e, sent = engine([s], RiskLimits(margin_use=1.0))
    one_lot = e.specs["US100"].margin(1.0, 21001.5, account().leverage)
    e.handle(account(free=1.5 * one_lot))  # room for one lot, not two
    s.next = [Open("US100", True, 1.0), Open("US100", True, 1.0)]
    e.handle(tick())
    assert len(sent) == 1 and "less" in s.rejections[0].reason
    assert "for orders in flight" in s.rejections[0].reason
    # the terminal refuses the first: nothing is in flight any more, one lot fits again
    e.handle(ev.OrderResult(sent[0].client_id, rc.NO_MONEY, 0, 0, 0.0, 0.0, "no money"))
    s.next = [Open("US100", True, 1.0)]
    e.handle(tick(T0 + 1000))
    assert len(sent) == 2
    assert [r.retcode for r in s.rejections] == [0, rc.NO_MONEY]  # the gate's, the terminal's


def test_trading_hours_and_trade_mode() -> None:
    s = Scripted()
    from bridge.core.symbols import parse_sessions

    e, _ = engine([s], specs={"US100": index_spec(sessions=parse_sessions("1:1300-1400"))})
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick())  # 12:00 Monday: closed
    assert "outside trading hours" in s.rejections[0].reason
    e2, _ = engine([s2 := Scripted()], specs={"US100": index_spec(trade_mode=3)})
    s2.next = [Open("US100", True, 0.1)]
    e2.handle(tick())
    assert "close-only" in s2.rejections[0].reason


def test_halt_blocks_opens_but_lets_closes_out() -> None:
    s = Scripted()
    e, sent = engine([s])
    e.gate.halt("operator")
    s.next = [Open("US100", True, 0.1), Close(123), Cancel(456)]
    e.handle(tick())
    assert [type(c) for c in sent] == [ev.CloseCmd, ev.CancelCmd]
    assert "halted: operator" in s.rejections[0].reason
    e.gate.resume()
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick(T0 + 1))
    assert isinstance(sent[-1], ev.OpenCmd)


def test_terminal_rejection_reaches_the_strategy_with_retcode() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick())
    e.handle(ev.OrderResult(sent[0].client_id, rc.NO_MONEY, 0, 0, 0, 0, "no money"))
    assert s.rejections[0].retcode == rc.NO_MONEY
    assert e.orders.orders[sent[0].client_id].state == REJECTED


def test_duplicate_result_counts_once() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick())
    r = ev.OrderResult(sent[0].client_id, rc.INVALID_STOPS, 0, 0, 0, 0, "bad stops")
    e.handle(r)
    e.handle(r)
    assert len(s.rejections) == 1


def test_timeout_makes_the_outcome_unknown_and_queries_never_resends() -> None:
    s = Scripted()
    e, sent = engine([s])
    clock = [0]
    e.orders.wall_ms = lambda: clock[0]
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick())
    clock[0] = 4_999
    assert e.orders.expire(clock[0]) == []
    clock[0] = 5_000
    (late,) = e.orders.expire(clock[0])
    assert late.state == UNKNOWN and sent[-1] == ev.QueryCmd(late.client_id)
    assert sum(isinstance(c, ev.OpenCmd) for c in sent) == 1
    e.handle(ev.OrderResult(late.client_id, rc.DONE, 5, 6, 0.1, 21001.5, "done"))
    assert late.state == FILLED


def test_unknown_id_answer_means_never_executed() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.1)]
    e.handle(tick())
    e.orders.mark_unknown()
    e.handle(ev.OrderResult(sent[0].client_id, rc.UNKNOWN_ID, 0, 0, 0, 0, ""))
    assert e.orders.orders[sent[0].client_id].state == REJECTED
    assert "never received" in s.rejections[0].reason


def test_pending_order_placed_then_filled_by_deal() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.1, order_type=ev.BUY_LIMIT, price=20900.0)]
    e.handle(tick())
    cid = sent[0].client_id
    e.handle(ev.OrderResult(cid, rc.PLACED, 77, 0, 0.1, 20900.0, "placed"))
    assert e.orders.orders[cid].state == PLACED and e.orders.in_flight("US100") == (0.1, 1)
    e.handle(ev.Deal(1, 77, 77, cid, "US100", True, 0, 0.1, 20900.0, 0, 0, 0, 1, T0, 3))
    assert e.orders.orders[cid].state == FILLED and s.fills


def test_a_pending_order_expired_outside_the_brain_leaves_the_books() -> None:
    """The server expired (or someone cancelled) a resting order: before, nothing told the
    brain, which kept counting it in flight and showing it to its strategy."""
    s = Scripted()
    e, sent = engine([s])
    s.next = [Open("US100", True, 0.1, order_type=ev.BUY_LIMIT, price=20900.0)]
    e.handle(tick())
    cid = sent[0].client_id
    e.handle(ev.OrderResult(cid, rc.PLACED, 77, 0, 0.1, 20900.0, "placed"))
    assert 77 in e.portfolio.orders
    e.handle(ev.OrderGone(77, 6, T0 + 60_000))
    rec = e.orders.orders[cid]
    assert rec.state == CANCELLED and "expired outside the brain" in rec.text
    assert 77 not in e.portfolio.orders and e.orders.in_flight("US100") == (0.0, 0)


def test_target_on_hedging_closes_opposite_first_then_opens() -> None:
    s = Scripted()
    e, sent = engine([s])
    e.handle(ev.Position(10, "US100", False, 0.3, 21000, 0, 0, 1, 0, 0, T0, ""))
    s.next = [Target("US100", 0.5)]
    e.handle(tick())
    assert isinstance(sent[0], ev.CloseCmd) and sent[0].ticket == 10 and sent[0].volume == 0.3
    assert (
        isinstance(sent[1], ev.OpenCmd) and sent[1].volume == 0.5 and sent[1].order_type == ev.BUY
    )


def test_target_on_netting_reduces_by_a_close_that_short_margin_does_not_stop() -> None:
    """A netting account's one position is reduced by a close of it, not by an opposite open:
    the risk gate's margin check (and a halt) stop new exposure, never a reduction. Found with
    the two-bucket plan's emergency stop on an exchange: its selling Open was refused for
    margin and the position stayed."""
    s = Scripted()
    e, sent = engine([s])
    e.handle(account(free=100.0, hedging=False))  # margin nearly all used
    e.handle(ev.Position(10, "US100", True, 0.8, 21000, 0, 0, 1, 0, 0, T0, ""))
    e.gate.halt("the operator")
    s.next = [Target("US100", 0.3)]
    e.handle(tick())
    (close,) = sent
    assert isinstance(close, ev.CloseCmd) and close.ticket == 10 and close.volume == 0.5
    e.gate.resume()
    e.handle(ev.OrderResult(close.client_id, rc.DONE, 11, 12, 0.5, 21000.0, "done"))
    e.handle(ev.Deal(12, 11, 10, close.client_id, "US100", False, 1, 0.5, 21000, 0, 0, 0, 1, T0, 0))
    e.handle(ev.Position(10, "US100", True, 0.3, 21000, 0, 0, 1, 0, 0, T0, ""))
    s.next = [Target("US100", -0.2)]  # a reversal: the close first, then the new side opens
    e.handle(tick(T0 + 1000))
    assert isinstance(sent[1], ev.CloseCmd) and sent[1].volume == 0.3
    opened = sent[2]
    assert isinstance(opened, ev.OpenCmd) and opened.order_type == ev.SELL
    assert opened.volume == 0.2 and len(sent) == 3


def _deal(
    ticket: int, order: int, pos: int, cid: str, buy: bool, entry: int, vol: float
) -> ev.Deal:
    return ev.Deal(ticket, order, pos, cid, "US100", buy, entry, vol, 21000, 0, 0, 0, 1, T0, 0)


def test_target_counts_orders_in_flight_and_fills_not_shown_yet() -> None:
    """A Target changed before the first order's fill shows in the positions orders only the
    difference: the volume sent, then the volume filled, counts until the position shows it."""
    s = Scripted()
    e, sent = engine([s])
    s.next = [Target("US100", 0.5)]
    e.handle(tick())
    s.next = [Target("US100", 0.8)]  # no answer yet: 0.5 is on its way
    e.handle(tick(T0 + 100))
    assert [(c.volume, c.order_type) for c in sent] == [(0.5, ev.BUY), (0.3, ev.BUY)]
    first, second = sent
    e.handle(ev.OrderResult(first.client_id, rc.DONE, 21, 31, 0.5, 21000.0, "done"))
    s.next = [Target("US100", 0.8)]  # filled, its deal not here yet
    e.handle(tick(T0 + 200))
    e.handle(_deal(31, 21, 21, first.client_id, True, 0, 0.5))
    s.next = [Target("US100", 0.8)]  # dealt, its position not here yet
    e.handle(tick(T0 + 300))
    assert len(sent) == 2
    e.handle(ev.Position(21, "US100", True, 0.5, 21000, 0, 0, 1, 0, 0, T0, first.client_id))
    e.handle(ev.OrderResult(second.client_id, rc.DONE, 22, 32, 0.3, 21000.0, "done"))
    e.handle(_deal(32, 22, 22, second.client_id, True, 0, 0.3))
    e.handle(ev.Position(22, "US100", True, 0.3, 21000, 0, 0, 1, 0, 0, T0, second.client_id))
    assert not e.orders.unbooked
    s.next = [Target("US100", 0.8)]
    e.handle(tick(T0 + 400))
    assert len(sent) == 2  # all shown: nothing left to do


def test_a_stop_while_an_order_is_in_flight_leaves_no_residue() -> None:
    """Flat, then a plan's stop right after an order filled and before the position showed:
    the close takes the whole position once it shows; nothing is closed twice."""
    s = Scripted()
    e, sent = engine([s])
    e.handle(ev.Position(10, "US100", True, 0.4, 21000, 0, 0, 1, 0, 0, T0, ""))
    s.next = [Target("US100", 0.0)]
    e.handle(tick())
    s.next = [Target("US100", 0.0)]  # asked again before the close's answer: nothing new
    e.handle(tick(T0 + 100))
    (close,) = sent
    assert isinstance(close, ev.CloseCmd) and close.volume == 0.4
    e.handle(ev.OrderResult(close.client_id, rc.DONE, 11, 12, 0.4, 21000.0, "done"))
    e.handle(_deal(12, 11, 10, close.client_id, False, 1, 0.4))
    s.next = [Target("US100", 0.0)]
    e.handle(tick(T0 + 200))
    e.handle(ev.PositionClosed(10, T0))
    s.next = [Target("US100", 0.0)]
    e.handle(tick(T0 + 300))
    assert len(sent) == 1 and not e.orders.unbooked


def test_a_partial_fill_counts_what_filled_and_a_refusal_counts_nothing() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Target("US100", 1.0)]
    e.handle(tick())
    e.handle(ev.OrderResult(sent[0].client_id, rc.DONE_PARTIAL, 21, 31, 0.6, 21000.0, "part"))
    s.next = [Target("US100", 1.0)]
    e.handle(tick(T0 + 100))
    assert sent[1].volume == 0.4  # the rest, once
    e.handle(ev.OrderResult(sent[1].client_id, rc.NO_MONEY, 0, 0, 0.0, 0.0, "no money"))
    s.next = [Target("US100", 1.0)]
    e.handle(tick(T0 + 200))
    assert sent[2].volume == 0.4  # refused: it is ordered again


def test_a_deal_without_the_client_id_is_matched_by_its_order() -> None:
    """A broker may replace the comment that carries the client id: the deal is found by the
    order ticket the result named."""
    s = Scripted()
    e, sent = engine([s])
    s.next = [Target("US100", 0.5)]
    e.handle(tick())
    e.handle(ev.OrderResult(sent[0].client_id, rc.DONE, 21, 31, 0.5, 21000.0, "done"))
    e.handle(_deal(31, 21, 21, "", True, 0, 0.5))
    e.handle(ev.Position(21, "US100", True, 0.5, 21000, 0, 0, 1, 0, 0, T0, ""))
    assert not e.orders.unbooked
    s.next = [Target("US100", 0.7)]
    e.handle(tick(T0 + 100))
    assert sent[1].volume == 0.2


def test_a_fill_never_shown_stops_counting_after_a_minute() -> None:
    s = Scripted()
    e, sent = engine([s])
    s.next = [Target("US100", 0.5)]
    e.handle(tick())
    e.handle(ev.OrderResult(sent[0].client_id, rc.DONE, 21, 31, 0.5, 21000.0, "done"))
    e.orders.expire(59_999)
    assert e.orders.unbooked
    e.orders.expire(60_000)
    assert not e.orders.unbooked


def test_timers_fire_on_event_time_in_order() -> None:
    s = Scripted()
    e, _ = engine([s])
    s.next = [SetTimer(T0 + 5000, "b"), SetTimer(T0 + 1000, "a")]
    e.handle(tick())
    e.handle(tick(T0 + 999))
    assert s.timers == []
    e.handle(tick(T0 + 6000))
    assert s.timers == ["a", "b"]


def test_position_closed_is_reported_with_its_deal() -> None:
    s = Scripted()
    e, _ = engine([s])
    e.handle(ev.Position(10, "US100", True, 0.3, 21000, 0, 0, 1, 0, 0, T0, ""))
    e.handle(ev.Deal(2, 11, 10, "", "US100", False, 1, 0.3, 21010, 0, 0, 3.0, 1, T0, 4))
    e.handle(ev.PositionClosed(10, T0))
    assert [p.ticket for p in s.changed] == [10]
    assert s.closed[0].ticket == 10 and e.portfolio.balance == pytest.approx(100_003.0)
    (tr,) = e.portfolio.trades
    assert (tr.side, tr.profit, tr.reason) == ("buy", 3.0, "sl")


def test_distinct_magic_numbers_required() -> None:
    with pytest.raises(ValueError, match="distinct magic"):
        engine([Scripted(1), Scripted(1)])


def test_strategy_state_is_saved_to_the_store_and_restored_by_a_new_brain(tmp_path: object) -> None:
    from pathlib import Path

    from bridge.config import parse_config
    from bridge.persist.store import Store
    from bridge.runner import engine_factory

    url = f"sqlite:///{Path(str(tmp_path)) / 's.sqlite'}"
    cfg = parse_config({"strategies": [{"kind": "ema_cross", "name": "e", "magic": 5}]})
    store = Store(url)
    eng = engine_factory(cfg, store)("t1", lambda c: None)
    (s,) = eng.strategies
    s.set_state({"above": True})
    assert eng.on_state is not None
    eng.on_state(s)
    eng.on_state(s)  # unchanged: written once
    store.close()
    store2 = Store(url)
    eng2 = engine_factory(cfg, store2)("t1", lambda c: None)
    assert eng2.strategies[0].get_state() == {"above": True}
    import sqlite3

    rows = sqlite3.connect(Path(str(tmp_path)) / "s.sqlite").execute(
        "select count(*) from strategy_state"
    )
    assert rows.fetchone()[0] == 1
    store2.close()


def test_the_volume_on_its_way_survives_a_checkpoint() -> None:
    """A brain restarted between an order's fill and its deal does not order it again."""
    from bridge.persist import checkpoint

    s = Scripted()
    e, sent = engine([s])
    s.next = [Target("US100", 0.5)]
    e.handle(tick())
    e.handle(ev.OrderResult(sent[0].client_id, rc.DONE, 21, 31, 0.5, 21000.0, "done"))
    st = e.capture(None, checkpoint.KEEP_ORDERS)
    s2 = Scripted()
    e2, sent2 = engine([s2])
    assert e2.restore(st) == []
    e2.settle_restored(1_000)
    s2.next = [Target("US100", 0.5)]
    e2.handle(tick(T0 + 100))
    assert sent2 == []  # filled, not shown yet: nothing more to order
    e2.handle(_deal(31, 21, 21, sent[0].client_id, True, 0, 0.5))
    e2.handle(ev.Position(21, "US100", True, 0.5, 21000, 0, 0, 1, 0, 0, T0, sent[0].client_id))
    assert not e2.orders.unbooked
    s2.next = [Target("US100", 0.7)]
    e2.handle(tick(T0 + 200))
    assert [c.volume for c in sent2] == [0.2]

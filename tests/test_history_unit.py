"""The history warm-up's bookkeeping (bridge/live/history.py), without sockets."""

from __future__ import annotations

from typing import Any

from bridge.brain.engine import Engine
from bridge.core import events as ev
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.live.history import CALENDAR_FACTOR, Warmup
from strategies.ema_cross import EmaCross, EmaCrossParams

NOW = 1_767_700_000_000


def warmup() -> tuple[Warmup, list[Any], Engine]:
    fx = load_fixture(DEMO_FIXTURE)
    sent: list[Any] = []
    eng = Engine(
        [EmaCross(EmaCrossParams(symbol="US100", timeframe=5, fast=5, slow=20), 11)],
        fx.specs,
        sent.append,
    )
    ids = iter(range(1, 100))
    return Warmup(eng, sent.append, lambda: next(ids)), sent, eng


def bars(req: ev.HistoryReq, n: int) -> list[ev.HistoryBar]:
    start = req.to_ms - n * 60_000
    return [
        ev.HistoryBar(req.req_id, req.symbol, start + k * 60_000, 1.0, 1.0, 1.0, 1.0, 1, 1)
        for k in range(n)
    ]


def test_a_range_short_of_bars_is_followed_by_one_further_back() -> None:
    w, sent, eng = warmup()
    assert w.start(NOW) and eng.warming == {11: 0}
    (first,) = sent
    need = 1025
    assert (
        first.to_ms == NOW
        and first.from_ms == NOW - int(need * 60_000 * CALENDAR_FACTOR) - 3 * 86_400_000
    )
    for b in bars(first, 600):
        w.on_bar(b)
    assert not w.on_end(ev.HistoryEnd(first.req_id, "US100", 600, ev.HISTORY_OK))
    second = sent[-1]
    assert second.symbol == "US100" and second.to_ms == first.from_ms  # further back
    assert w.on_end(ev.HistoryEnd(second.req_id, "US100", 0, ev.HISTORY_OK))  # no more: done
    assert w.report()["US100"]["status"] == "complete"


def test_a_lost_answer_end_is_asked_again_and_its_bars_are_kept_once() -> None:
    w, sent, _eng = warmup()
    w.start(NOW)
    (first,) = sent
    got = bars(first, 1100)
    for b in got[:700]:
        w.on_bar(b)
    w.ask_again()  # a gap: the end of the answer may be lost
    again = sent[-1]
    assert again.req_id != first.req_id and again[1:] == first[1:]
    w.on_bar(got[0])  # an answer to the old request: ignored
    for b in bars(again, 1100):
        w.on_bar(b)
    assert w.on_end(ev.HistoryEnd(again.req_id, "US100", 1100, ev.HISTORY_OK))
    w.feed()
    assert w.fed_bars == {"US100": 1025} and w.short == {}


def test_a_symbol_the_terminal_lacks_ends_its_history_and_is_reported() -> None:
    w, sent, eng = warmup()
    w.start(NOW)
    assert w.on_end(ev.HistoryEnd(sent[0].req_id, "US100", 0, ev.HISTORY_NO_SYMBOL))
    w.feed()
    assert w.report()["US100"] == {"needed": 1025, "got": 0, "status": "no such symbol"}
    assert w.short == {"ema_cross": {"US100": 1025}}
    assert eng.warming == {}  # live: its own readiness checks keep it out

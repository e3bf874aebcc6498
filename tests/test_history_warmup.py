"""A live brain's strategies get their history before they trade: a session started in the
middle of a fixture decides, from its first live minute, as a replay of the whole fixture."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.config import parse_config
from bridge.core import events as ev
from bridge.core.timeutil import MS_PER_DAY
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture, market_events
from bridge.live.control import control_call
from bridge.replay.backtest import run_backtest
from bridge.sim.fake_terminal import FakeTerminal, Faults
from bridge.sim.terminal import SimTerminal
from tests.test_e2e import SECRET, STRATS, Brain, expected_trades

pytestmark = pytest.mark.e2e


def _opens(trades: Any, positions: Any, since_ms: int) -> list[tuple[Any, ...]]:
    """Every position opened from ``since_ms`` on: closed (trades) or still open."""
    out = [
        (t.symbol, t.side, t.open_time, t.open_price, t.volume, t.close_time, t.profit)
        for t in trades
        if t.open_time >= since_ms
    ]
    out += [
        (p.symbol, "buy" if p.is_buy else "sell", p.time_ms, p.price_open, p.volume, 0, 0.0)
        for p in positions
        if p.time_ms >= since_ms
    ]
    return sorted(out)


def _day_start(n: int) -> int:
    fx = load_fixture(DEMO_FIXTURE)
    first = int(min(b.time_ms[0] for b in fx.bars.values()))
    return (first // MS_PER_DAY + n) * MS_PER_DAY


def test_the_strategies_declare_their_history_from_their_parameters() -> None:
    cfg = parse_config({"strategies": STRATS})
    needs = [s.history_minutes() for s in cfg.build_strategies()]
    # EMA(20) of M5 closes settles (the start's weight below 1e-8) after 205 bars of M5
    assert needs == [{"US100": 205 * 5}, {"XAUUSD": 205 * 5}]


def test_the_simulated_terminal_answers_history_with_closed_bars_only() -> None:
    fx = load_fixture(DEMO_FIXTURE)
    term = SimTerminal(fx)
    t0 = int(fx.bars["US100"].time_ms[100])
    term.sim.now_ms = t0 + 60_000 * 10 + 30_000  # ten bars later, half a minute into the next
    out = term.command(ev.HistoryReq(5, "US100", t0, t0 + 3_600_000))
    *bars, end = out
    assert [b.time_ms for b in bars] == [t0 + 60_000 * k for k in range(10)]
    assert end == ev.HistoryEnd(5, "US100", 10, ev.HISTORY_OK)
    assert term.command(ev.HistoryReq(6, "NOPE", t0, t0 + 1))[-1].status == ev.HISTORY_NO_SYMBOL


def test_a_session_started_on_day_three_decides_as_the_replay_of_the_whole_week(
    tmp_path: Path,
) -> None:
    start = _day_start(2)
    cfg = parse_config({"strategies": STRATS})
    replay = run_backtest(load_fixture(DEMO_FIXTURE), cfg.build_strategies(), cfg.risk.limits())
    want = _opens(replay.portfolio.trades, replay.portfolio.positions.values(), start)
    assert len(want) >= 4, "the scenario must trade after the start to prove anything"
    b = Brain(tmp_path)
    try:
        FakeTerminal(load_fixture(DEMO_FIXTURE), b.endpoint, SECRET, start_ms=start).run()
        eng = b.engine
        got = _opens(eng.portfolio.trades, eng.portfolio.positions.values(), start)
        warmed = [d for k, d in b.logs if k == "warmed"]
    finally:
        b.runner.stop()
    assert got == want
    (w,) = warmed
    assert w["history"]["US100"]["got"] == w["history"]["US100"]["needed"] == 1025
    assert w["short"] == {}


def test_without_history_a_strategy_says_so_and_decides_as_a_replay_from_the_same_start(
    tmp_path: Path, day_fixture: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The terminal has no bar before the session: the shortfall is reported (log, status), and
    the strategies decide as a replay from the fixture's start, whose own readiness checks
    keep them out until their indicators are built: never an order from warm-up."""
    b = Brain(tmp_path)
    ctl = b.runner.server.control
    assert ctl is not None
    seen: list[dict[str, Any]] = []

    def ask_status(done: int, _total: int) -> None:  # in the session, between two steps
        if done == 0:
            reply = control_call(ctl.getsockopt_string(32), SECRET, "status")
            seen.append(reply["engines"]["fake-1"])

    try:
        FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET).run(progress=ask_status)
        trades = [tuple(t) for t in b.engine.portfolio.trades]
        warmed = [d for k, d in b.logs if k == "warmed"]
    finally:
        b.runner.stop()
    (early,) = seen
    assert early["strategies"]["ema_us100"] == {"running": "live", "orders_held_back": 0}
    assert early["history"]["US100"] == {"needed": 1025, "got": 0, "status": "complete"}
    (w,) = warmed
    assert w["short"] == {"ema_us100": {"US100": 1025}, "ema_gold": {"XAUUSD": 1025}}
    assert any("fewer M1 bars of history" in r.getMessage() for r in caplog.records)
    assert trades == expected_trades(day_fixture)


def test_a_terminal_that_never_answers_history_is_given_up_on_and_nothing_waits_for_ever(
    tmp_path: Path, day_fixture: Path
) -> None:
    """The history requests go unanswered (answers lost, a terminal stuck): after asking again
    a few times the brain gives up, the strategies go live short of history, and the live
    frames it held go through the engine (none is held for ever)."""
    fx = load_fixture(day_fixture)
    b = Brain(tmp_path)
    try:
        FakeTerminal(fx, b.endpoint, SECRET, faults=Faults(ignore_history=True)).run()
        deadline = time.monotonic() + 30
        while not any(k == "warmed" for k, _ in b.logs) and time.monotonic() < deadline:
            time.sleep(0.05)
        kinds = [k for k, _ in b.logs]
        warmed = [d for k, d in b.logs if k == "warmed"]
        seen = {sym: t.time_ms for sym, t in b.engine.last_tick.items()}
        status = {s.name: b.engine.strategy_status(s.name)["running"] for s in b.engine.strategies}
    finally:
        b.runner.stop()
    assert kinds.count("history_again") == 5 and kinds.count("history_given_up") == 1
    (w,) = warmed
    assert set(w["short"]) == {"ema_us100", "ema_gold"}
    assert status == {"ema_us100": "live", "ema_gold": "live"}
    last = {e.symbol: e.time_ms for e in market_events(fx) if isinstance(e, ev.Tick)}
    assert seen == last  # every held quote went through, to the last one


def test_bars_closed_while_the_terminal_was_away_are_filled_in_before_it_goes_on(
    tmp_path: Path,
) -> None:
    """The terminal is gone for half an hour of market time (a brain restart, a network cut):
    at its return the 30 bars are asked for and handled before the live frames, decisions on
    them held back; from then on the decisions are the uninterrupted replay's."""
    away_at, away = 20_000, 450  # market events: 30 minutes of three symbols (5 per bar)
    events = list(itertools.islice(market_events(load_fixture(DEMO_FIXTURE)), away_at + away + 1))
    back_ms = events[-1].time_ms
    cfg = parse_config({"strategies": STRATS})
    replay = run_backtest(load_fixture(DEMO_FIXTURE), cfg.build_strategies(), cfg.risk.limits())
    b = Brain(tmp_path)
    try:
        ft = FakeTerminal(
            load_fixture(DEMO_FIXTURE),
            b.endpoint,
            SECRET,
            faults=Faults(away_at=away_at, away_events=away),
        )
        ft.run(limit=60_000)
        eng = b.engine
        got = _opens(eng.portfolio.trades, eng.portfolio.positions.values(), back_ms)
        fills = [d for k, d in b.logs if k == "warmed"]
    finally:
        b.runner.stop()
    end_ms = ft.term.sim.now_ms
    want = [
        o
        for o in _opens(replay.portfolio.trades, replay.portfolio.positions.values(), back_ms)
        if o[2] < end_ms - 60_000
    ]
    got = [o[:5] for o in got if o[2] < end_ms - 60_000]
    assert len(want) >= 3, "the scenario must trade after the return to prove anything"
    assert got == [o[:5] for o in want]
    gap = fills[-1]["history"]
    assert {s: v["got"] for s, v in gap.items()} == {"US100": 30, "SPX500": 30, "XAUUSD": 30}


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_range_breakout_started_mid_quarter_decides_as_the_replay_of_the_quarter(
    tmp_path: Path,
) -> None:
    """US100.cash with US30.cash (3.5 months of real M1 bars): a session started on the 40th
    day, fed its three weeks of history (the H1 EMA(50) settled), opens what the replay of the
    whole quarter opens over the same days. Its orders held back during the warm-up are told
    to it as refusals: before that, the range breakout waited for an entry that never came and
    made no trade at all."""
    from tests.conftest import ROOT, shared_file

    shared_file("mt5_ftmo/US100.cash_M1.csv.gz")
    shared_file("mt5_ftmo/US30.cash_M1.csv.gz")
    cfg_path = ROOT / "configs" / "range_breakout_us100_us30_hedged.toml"
    from bridge.config import load_config

    cfg = load_config(cfg_path)
    fx = load_fixture(cfg.replay.fixture)
    start = (int(fx.bars["US100.cash"].time_ms[0]) // MS_PER_DAY + 40) * MS_PER_DAY
    replay = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits())
    strat = {"kind": "range_breakout", "name": "us100_breakout", "magic": 2002}
    strat["params"] = {"main_symbol": "US100.cash", "hedge_symbol": "US30.cash", "hedge": True}
    b = Brain(tmp_path, extra={"strategies": [strat]})
    try:
        ft = FakeTerminal(load_fixture(cfg.replay.fixture), b.endpoint, SECRET, start_ms=start)
        ft.run(limit=60_000)  # about four trading days of two symbols
        end = ft.term.sim.now_ms
        got = _opens(b.engine.portfolio.trades, b.engine.portfolio.positions.values(), start)
        warmed = [d for k, d in b.logs if k == "warmed"]
    finally:
        b.runner.stop()
    want = [
        o
        for o in _opens(replay.portfolio.trades, replay.portfolio.positions.values(), start)
        if o[2] < end
    ]
    assert len(want) >= 2, "the scenario must trade after the start to prove anything"
    # the same entries at the same prices; the lots follow each account's balance (1 % risk),
    # and the terminal's did not trade the 39 days before the session as the replay's did
    assert [o[:4] for o in got] == [o[:4] for o in want]
    assert warmed[0]["short"] == {}


def test_after_the_warm_up_the_quote_is_the_terminals_latest(tmp_path: Path) -> None:
    """The quotes a terminal sends with its state come before the history; once the history is
    fed they are the present again (before: the history's last bar stayed the brain's quote,
    and on a quiet market an order was priced a minute stale)."""
    b = Brain(tmp_path)
    ft = FakeTerminal(
        load_fixture(DEMO_FIXTURE), b.endpoint, SECRET, start_ms=_day_start(1) + 36_000_000
    )
    th = threading.Thread(target=lambda: ft.idle(3.0), daemon=True)
    th.start()
    try:
        deadline = time.monotonic() + 10
        while "warmed" not in b.kinds():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        sim, got = ft.term.sim, b.engine.last_tick
        for sym in ("US100", "XAUUSD"):
            assert (got[sym].time_ms, got[sym].bid, got[sym].ask) == (
                sim.quote_ms[sym],
                sim.bid[sym],
                sim.ask[sym],
            )
    finally:
        th.join(timeout=10)
        ft.close()
        b.runner.stop()

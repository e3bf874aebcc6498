"""A brain process killed and started again, with history: its decisions are those of a brain
never stopped. Killed in the middle of its warm-up, the new brain warms up again; killed and
started half an hour of market time later, it fills the bars it missed before it goes on."""

from __future__ import annotations

import itertools
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.config import DEMO, load_config
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture, market_events
from bridge.replay.backtest import run_backtest
from bridge.sim.fake_terminal import FakeSummary, FakeTerminal, Faults
from tests.test_crash_recovery import SECRET, STRATS, _brain, brain_config
from tests.test_history_warmup import _day_start, _opens

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _toml_value(v: Any) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return f'"{v}"' if isinstance(v, str) else repr(v)


# the three shipped strategies as the demo runs them (range breakout, compression, two-bucket)
SHIPPED = "".join(
    "[[strategies]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in s.items())
    for s in DEMO["strategies"]  # type: ignore[attr-defined]
)


def _replay_opens(cfg: Path, since_ms: int, until_ms: int) -> list[tuple[Any, ...]]:
    c = load_config(cfg)
    replay = run_backtest(load_fixture(DEMO_FIXTURE), c.build_strategies(), c.risk.limits())
    opens = _opens(replay.portfolio.trades, replay.portfolio.positions.values(), since_ms)
    return [o[:5] for o in opens if o[2] < until_ms]


def _terminal_opens(summary: FakeSummary, since_ms: int, until_ms: int) -> list[tuple[Any, ...]]:
    return sorted(
        (d.symbol, "buy" if d.is_buy else "sell", d.time_ms, d.price, d.volume)
        for d in summary.deals
        if d.entry == 0 and since_ms <= d.time_ms < until_ms
    )


def _kinds_by_run(db: Path) -> list[list[str]]:
    con = sqlite3.connect(db)
    runs = [r for (r,) in con.execute("select id from runs order by id")]
    return [
        [k for (k,) in con.execute("select kind from event_log where run_id = ? order by id", (r,))]
        for r in runs
    ]


def _stop(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGINT)  # a clean stop: the store writes everything
        p.wait(timeout=30)


def test_a_brain_killed_during_its_warm_up_warms_up_again(tmp_path: Path) -> None:
    """The first brain is killed while the history's bars arrive (its checkpoint was made as the
    warm-up began); the one started in its place asks for the history again and, from the
    session's first live minute, decides as the replay of the whole week."""
    cfg, endpoint, db = brain_config(tmp_path)
    start = _day_start(2)
    log = tmp_path / "brain.log"
    first = _brain(cfg, "frame:1000", log)  # the history answer is thousands of frames long
    restarted: list[subprocess.Popen[bytes]] = []

    def supervise() -> None:
        first.wait()
        if first.returncode == -signal.SIGKILL:
            restarted.append(_brain(cfg, "", log))

    watcher = threading.Thread(target=supervise, daemon=True)
    watcher.start()
    ft = FakeTerminal(
        load_fixture(DEMO_FIXTURE), endpoint, SECRET, start_ms=start,
        ready_timeout_s=1.0, rejoin_s=30.0,
    )  # fmt: skip
    try:
        summary = ft.run(limit=4_000)
    finally:
        ft.close()
        watcher.join(timeout=10)
        _stop(restarted[-1] if restarted else first)
    assert first.returncode == -signal.SIGKILL, "the first brain was not killed"
    killed, again = _kinds_by_run(db)
    assert "warming" in killed and "warmed" not in killed, "killed outside its warm-up"
    assert "warming" in again and "warmed" in again, "the new brain did not warm up again"
    end_ms = ft.term.sim.now_ms - 60_000
    want = _replay_opens(cfg, start, end_ms)
    assert len(want) >= 2, "the scenario must trade after the start to prove anything"
    print(f"killed during warm-up: {len(want)} positions opened after the start, as replayed")
    assert _terminal_opens(summary, start, end_ms) == want


@dataclass
class Away:
    """A session whose terminal goes away for 30 market minutes while ``replace`` deals with
    the brain (kills or stops it and starts the next one)."""

    summary: FakeSummary
    brains: list[subprocess.Popen[bytes]]
    runs: list[list[str]]  # each brain run's event kinds
    want: list[tuple[Any, ...]]  # the replay's positions opened from the return on
    got: list[tuple[Any, ...]]  # the terminal's


def _away(
    tmp: Path,
    strategies: str,
    away_at: int,
    limit: int,
    replace: Callable[[subprocess.Popen[bytes]], None],
) -> Away:
    cfg, endpoint, db = brain_config(tmp, strategies)
    log = tmp / "brain.log"
    away = 450  # market events: 30 minutes of three symbols (5 per bar)
    events = list(itertools.islice(market_events(load_fixture(DEMO_FIXTURE)), away_at + away + 1))
    back_ms = events[-1].time_ms
    brains = [_brain(cfg, "", log)]

    def on_away() -> None:  # the terminal has just lost the brain
        replace(brains[-1])
        brains.append(_brain(cfg, "", log))

    ft = FakeTerminal(
        load_fixture(DEMO_FIXTURE), endpoint, SECRET,
        faults=Faults(away_at=away_at, away_events=away), on_away=on_away, rejoin_s=30.0,
    )  # fmt: skip
    try:
        summary = ft.run(limit=limit)
    finally:
        ft.close()
        _stop(brains[-1])
    end_ms = ft.term.sim.now_ms - 60_000
    want = _replay_opens(cfg, back_ms, end_ms)
    got = _terminal_opens(summary, back_ms, end_ms)
    return Away(summary, brains, _kinds_by_run(db), want, got)


def _kill(p: subprocess.Popen[bytes]) -> None:
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)


def _per_symbol(opens: list[tuple[Any, ...]]) -> dict[str, int]:
    return {sym: sum(o[0] == sym for o in opens) for sym in sorted({o[0] for o in opens})}


@pytest.mark.parametrize(
    ("strategies", "away_at", "limit"),
    [(STRATS, 20_000, 26_000), (SHIPPED, 9_000, 15_000)],
    ids=["ema_cross", "shipped"],
)
def test_a_brain_killed_and_started_30_market_minutes_later_decides_as_one_never_stopped(
    tmp_path: Path, strategies: str, away_at: int, limit: int
) -> None:
    """SIGKILL while the terminal is connected; the terminal's market moves on 30 minutes
    (three symbols, five events a bar) before the new brain, resumed from its checkpoint, takes
    it back: the 30 bars are filled in, their decisions held back, and from the return on the
    positions opened are the replay's. The shipped strategies' gap is one in which the replay
    sends no order (a decision held back would change what follows)."""
    s = _away(tmp_path, strategies, away_at, limit, _kill)
    assert s.brains[0].returncode == -signal.SIGKILL
    _killed, again = s.runs
    assert "filling_gap" in again and "warmed" in again, "the new brain filled no gap"
    assert len(s.want) >= 3, "the scenario must trade after the return to prove anything"
    print(f"killed, back 30 minutes later: positions opened after it, as replayed: "
          f"{_per_symbol(s.want)}")  # fmt: skip
    assert s.got == s.want
    con = sqlite3.connect(tmp_path / "audit.sqlite")
    (gap,) = con.execute(
        "select detail from event_log where kind = 'warmed' and run_id = 2"
    ).fetchone()
    assert '"got": 30' in gap, gap


def test_a_brain_stopped_and_started_again_later_decides_as_one_never_stopped(
    tmp_path: Path,
) -> None:
    """A clean stop (an update, a weekend) ends the run: the next brain starts without a
    checkpoint, takes each strategy's decision state from the store (the compression engine's
    bank, the plan's phase) and its history from the terminal, and from its first live minute
    opens what the replay of the whole week opens, 30 market minutes later."""
    s = _away(tmp_path, SHIPPED, 9_000, 15_000, _stop)
    assert s.brains[0].returncode == 0
    _first, again = s.runs
    assert "warming" in again and "warmed" in again, "the new brain took no history"
    assert len(s.want) >= 3, "the scenario must trade after the return to prove anything"
    assert s.got == s.want
    print(f"stopped, started 30 minutes later: opened after it, as replayed: "
          f"{_per_symbol(s.want)}")  # fmt: skip

"""End to end over real ZeroMQ sockets: the brain and the fake terminal as separate processes,
and the fault matrix of the platform issue with the brain on a thread."""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.config import parse_config
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.live.control import control_call
from bridge.replay.backtest import run_backtest
from bridge.runner import BrainRunner
from bridge.sim.fake_terminal import FakeTerminal, Faults
from bridge.wire.terminal_wire import TerminalRefused

pytestmark = pytest.mark.e2e
SECRET = b"e2e-secret-value-never-logged"
STRATS = [
    {
        "kind": "ema_cross",
        "name": "ema_us100",
        "magic": 11,
        "params": {"symbol": "US100", "timeframe": 5, "fast": 5, "slow": 20},
    },
    {
        "kind": "ema_cross",
        "name": "ema_gold",
        "magic": 12,
        "params": {"symbol": "XAUUSD", "timeframe": 5, "lots": 0.2, "fast": 5, "slow": 20},
    },
]


def cfg_dict(db: Path, silence_ms: int = 3000) -> dict[str, Any]:
    return {
        "brain": {
            "endpoint": "tcp://127.0.0.1:0",
            "control_endpoint": "tcp://127.0.0.1:0",
            "heartbeat_ms": 200,
            "silence_ms": silence_ms,
            "secret_env": "E2E_SECRET",
        },
        "store": {"url": f"sqlite:///{db}"},
        "strategies": STRATS,
    }


class Brain:
    """A brain on a thread. ``risk``: a [risk] section; ``fast``: the EMA crosses on quicker
    periods (more crossings, more orders)."""

    def __init__(
        self,
        tmp: Path,
        silence_ms: int = 3000,
        risk: dict[str, Any] | None = None,
        fast: bool = False,
        transport: str = "zmq",
        keep_warm_ms: int = 0,
        extra: dict[str, Any] | None = None,
        store: Any = None,
    ) -> None:
        self.logs: list[tuple[str, dict[str, Any]]] = []
        raw = {**cfg_dict(tmp / "brain.sqlite", silence_ms), **(extra or {})}
        raw["brain"] = {
            **raw.get("brain", {}),
            "transport": transport,
            "keep_warm_ms": keep_warm_ms,
        }
        if risk:
            raw["risk"] = risk
        if fast:
            raw["strategies"] = [
                {**s, "params": {**s["params"], "fast": 3, "slow": 8}} for s in raw["strategies"]
            ]
        self.cfg = parse_config(raw)
        self.runner = BrainRunner(self.cfg, SECRET, store)
        self.runner.server.on_log = lambda k, d: self.logs.append((k, d))
        self.runner.start_thread()
        self.endpoint = self.runner.server.endpoint

    def kinds(self) -> list[str]:
        return [k for k, _ in self.logs]

    @property
    def engine(self) -> Any:
        (e,) = self.runner.server.engines.values()
        return e


@pytest.fixture(params=["zmq", "zmtp"])
def brain(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Brain]:
    """Each test with the brain's endpoint on pyzmq and on its own ZMTP (bridge/wire/zmtp.py)."""
    b = Brain(tmp_path, transport=request.param)
    yield b
    b.runner.stop()


def expected_trades(fixture: Path) -> list[tuple[Any, ...]]:
    cfg = parse_config({"strategies": STRATS})
    res = run_backtest(load_fixture(fixture), cfg.build_strategies(), cfg.risk.limits())
    assert len(res.portfolio.trades) >= 5, "the scenario must trade to prove anything"
    return [tuple(t) for t in res.portfolio.trades]


@pytest.mark.parametrize(
    "tuning",
    ["", 'transport = "zmtp"\nbusy_poll = true\nkeep_warm_ms = 1\n'],
    ids=["default", "low-latency"],
)
def test_brain_and_fake_terminal_in_separate_processes(
    day_fixture: Path, tmp_path: Path, tuning: str
) -> None:
    db, out = tmp_path / "audit.sqlite", tmp_path / "out"
    port = _free_port()
    cfg = (
        f'[brain]\nendpoint = "tcp://127.0.0.1:{port}"\n'
        f'control_endpoint = "tcp://127.0.0.1:{port + 1}"\n'
        f'secret_env = "E2E_SECRET"\n{tuning}[store]\nurl = "sqlite:///{db}"\n'
    )
    for s in STRATS:
        params = ", ".join(f"{k} = {v!r}".replace("'", '"') for k, v in s["params"].items())
        cfg += f'[[strategies]]\nkind = "{s["kind"]}"\nname = "{s["name"]}"\n'
        cfg += f"magic = {s['magic']}\nparams = {{ {params} }}\n"
    (tmp_path / "brain.toml").write_text(cfg)
    env = {**os.environ, "E2E_SECRET": SECRET.decode()}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bridge.cli",
            "run",
            "--config",
            str(tmp_path / "brain.toml"),
            "--idle-exit",
            "2",
            "--out",
            str(out),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ft = FakeTerminal(
            load_fixture(day_fixture), f"tcp://127.0.0.1:{port}", SECRET, ready_timeout_s=30
        )
        summary = ft.run()
        ft.close()
    finally:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert SECRET.decode() not in err
    got = (out / "trades.csv").read_text().splitlines()
    want = expected_trades(day_fixture)
    assert len(got) - 1 == len(want) and summary.commands >= len(want)
    assert len(summary.executed_ids) == len(set(summary.executed_ids))
    con = sqlite3.connect(db)
    deals = con.execute("select count(*) from deals").fetchone()[0]
    assert deals == len(summary.deals)  # every fill the terminal made is in the audit trail
    assert (
        con.execute("select count(*) from orders where state = 'sent'").fetchone()[0]
        == summary.commands - summary.history_requests
    )
    assert con.execute("select count(*) from position_changes where change = 'closed'").fetchone()[
        0
    ] >= len(want)
    assert con.execute("select count(*) from risk_decisions").fetchone()[0] >= len(want)
    blob = "\n".join(
        str(r) for t in ("event_log", "orders", "runs") for r in con.execute(f"select * from {t}")
    )
    assert SECRET.decode() not in blob


def test_fake_terminal_session_equals_in_process_replay(brain: Brain, day_fixture: Path) -> None:
    ft = FakeTerminal(load_fixture(day_fixture), brain.endpoint, SECRET)
    ft.run()
    assert [tuple(t) for t in brain.engine.portfolio.trades] == expected_trades(day_fixture)


def test_a_brain_keeping_its_order_path_warm_trades_as_the_replay(
    tmp_path: Path, day_fixture: Path
) -> None:
    b = Brain(tmp_path, transport="zmtp", keep_warm_ms=1)
    try:
        FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET).run()
        assert [tuple(t) for t in b.engine.portfolio.trades] == expected_trades(day_fixture)
        (warmer,) = b.runner.server.warmers.values()
        assert warmer.framed > 0  # warmed between frames, and never sent: the trades are equal
    finally:
        b.runner.stop()


def test_strategies_keep_their_symbol_names_through_a_terminals_aliases(
    tmp_path: Path, day_fixture: Path
) -> None:
    """The strategies name NAS100 and GOLD; the terminal offers US100 and XAUUSD: aliased in
    the config, the brain trades as with the broker's names, its books speaking the aliases."""
    ours = {"US100": "NAS100", "XAUUSD": "GOLD"}
    strats = [
        {**s, "params": {**s["params"], "symbol": ours[s["params"]["symbol"]]}} for s in STRATS
    ]
    aliases = {"fake-1": {"NAS100": "US100", "GOLD": "XAUUSD"}}
    b = Brain(tmp_path, extra={"strategies": strats, "aliases": aliases})
    try:
        FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET).run()
        trades = [tuple(t) for t in b.engine.portfolio.trades]
    finally:
        b.runner.stop()
    want = [
        tuple(ours.get(x, x) if isinstance(x, str) else x for x in t)
        for t in expected_trades(day_fixture)
    ]
    assert trades == want
    assert {p.symbol for p in b.engine.portfolio.positions.values()} <= {"NAS100", "GOLD"}


def test_duplicated_commands_execute_once(brain: Brain, day_fixture: Path) -> None:
    ft = FakeTerminal(
        load_fixture(day_fixture), brain.endpoint, SECRET, faults=Faults(dup_commands=1.0)
    )
    s = ft.run()
    assert s.commands > 0 and len(s.executed_ids) == len(set(s.executed_ids))
    assert [tuple(t) for t in brain.engine.portfolio.trades] == expected_trades(day_fixture)


def test_dropped_frames_are_detected_as_gaps_and_resynchronised(
    brain: Brain, day_fixture: Path
) -> None:
    ft = FakeTerminal(
        load_fixture(day_fixture), brain.endpoint, SECRET, faults=Faults(seed=3, drop=0.002)
    )
    s = ft.run()
    stats = brain.runner.server.stats
    assert s.dropped > 0 and 1 <= stats.gaps <= s.dropped
    assert len(stats.reconciliations) >= 2  # the connect snapshot, then one per resync
    assert 1 <= stats.resyncs <= len(stats.reconciliations)  # the dashboard's count
    assert "gap" in brain.kinds()


def _times_logged(b: Brain) -> list[tuple[str, int]]:
    """The brain's log kinds, each with its engine's market time when logged."""
    seen: list[tuple[str, int]] = []
    b.runner.server.on_log = lambda k, d: seen.append(
        (k, next(iter(b.runner.server.engines.values())).now_ms)
    )
    return seen


def test_an_answer_that_lost_a_position_is_asked_again_not_reconciled(
    brain: Brain, day_fixture: Path
) -> None:
    """A position frame of a snapshot answer is lost: the books are not reconciled with the
    answer (the position would be booked closed and adopted again), it is asked for again."""
    logged = _times_logged(brain)
    ft = FakeTerminal(
        load_fixture(day_fixture),
        brain.endpoint,
        SECRET,
        faults=Faults(lose_at=(1000,), spoil_answers=1),
    )
    ft.run()
    (_cold, *resyncs) = brain.runner.server.stats.reconciliations
    assert resyncs and all(not r["closed_meanwhile"] and not r["adopted"] for r in resyncs)
    kinds = [k for k, _ in logged]
    assert "gap" in kinds and "resync_spoiled" in kinds
    assert {p.ticket for p in brain.engine.portfolio.positions.values()} == set(
        ft.term.sim.positions
    )


def test_a_lockstep_answer_that_lost_its_end_is_asked_again_at_the_next_step(
    brain: Brain, day_fixture: Path
) -> None:
    """A replay runs hours of market time in the resync timeout's second: a lockstep
    terminal's answer whose end was lost is asked for again at its next quote."""
    logged = _times_logged(brain)
    ft = FakeTerminal(
        load_fixture(day_fixture),
        brain.endpoint,
        SECRET,
        faults=Faults(lose_at=(1000,), cut_answers=1),
    )
    ft.run()
    gap_ms = next(t for k, t in logged if k == "gap")
    again_ms = next(t for k, t in logged if k == "resync_again")
    done_ms = [t for k, t in logged if k == "reconciled"][-1]
    assert gap_ms < again_ms <= done_ms <= gap_ms + 60_000  # within the next minute of market


def test_duplicated_frames_are_dropped(brain: Brain, day_fixture: Path) -> None:
    ft = FakeTerminal(
        load_fixture(day_fixture), brain.endpoint, SECRET, faults=Faults(seed=4, duplicate=0.01)
    )
    s = ft.run(limit=6000)
    assert s.duplicated > 0 and brain.runner.server.stats.dups == s.duplicated


def test_silent_terminal_halts_then_resyncs_and_resumes(tmp_path: Path, day_fixture: Path) -> None:
    b = Brain(tmp_path, silence_ms=400)
    try:
        ft = FakeTerminal(
            load_fixture(day_fixture),
            b.endpoint,
            SECRET,
            faults=Faults(silence_after=3000, silence_s=1.2),
        )
        ft.run(limit=6000)
        kinds = b.kinds()
        assert "terminal_silent" in kinds
        silent = next(d for k, d in b.logs if k == "terminal_silent")
        assert silent["ms"] <= 400 + 200  # within the timeout plus one housekeeping period
        i = kinds.index("terminal_silent")
        assert (
            kinds.index("terminal_back", i)
            < kinds.index("reconciled", i + 1)
            < kinds.index("resumed", i)
        )
        assert b.engine.gate.halted == ""
    finally:
        b.runner.stop()


def test_reconnect_resynchronises_and_trades_as_if_nothing_happened(
    tmp_path: Path, day_fixture: Path
) -> None:
    b = Brain(tmp_path, silence_ms=400)
    try:
        ft = FakeTerminal(
            load_fixture(day_fixture),
            b.endpoint,
            SECRET,
            faults=Faults(silence_after=9000, silence_s=0.8, reconnect=True),
        )
        s = ft.run()
        assert s.reconnects == 1 and b.kinds().count("terminal_ready") == 2
        warm = [d for k, d in b.logs if k == "reconciled" and not d["cold"]]
        assert warm and all(not d["unexplained"] for d in warm)
        assert [tuple(t) for t in b.engine.portfolio.trades] == expected_trades(day_fixture)
    finally:
        b.runner.stop()


def test_wrong_secret_is_refused_and_not_logged(brain: Brain, day_fixture: Path) -> None:
    """Either side refuses a peer without the secret: the terminal first (the brain's proof over
    its nonce fails), and it tells the brain, which logs it."""
    ft = FakeTerminal(load_fixture(day_fixture), brain.endpoint, b"wrong-secret")
    with pytest.raises(TerminalRefused, match="did not prove the shared secret"):
        ft.connect()
    deadline = time.monotonic() + 5
    while brain.runner.server.stats.refused == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert brain.runner.server.stats.refused == 1
    assert any(k == "refused_by_terminal" for k, _ in brain.logs)
    assert "wrong-secret" not in repr(brain.logs) and SECRET.decode() not in repr(brain.logs)


def test_other_major_version_is_refused_with_a_clear_error(brain: Brain, day_fixture: Path) -> None:
    ft = FakeTerminal(load_fixture(day_fixture), brain.endpoint, SECRET, version="3.0")
    with pytest.raises(
        TerminalRefused, match=r"protocol version 3.0 not supported \(brain speaks 2.1\)"
    ):
        ft.connect()


def test_control_endpoint_is_authenticated(tmp_path: Path, day_fixture: Path) -> None:
    b = Brain(tmp_path)
    ctl = b.runner.server.control
    assert ctl is not None
    ep = ctl.getsockopt_string(32)  # ZMQ_LAST_ENDPOINT
    try:
        ft = FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET)
        ft.connect()
        assert control_call(ep, b"bad", "halt")["error"] == "not authenticated"
        assert control_call(ep, SECRET, "halt", "test halt")["ok"]
        assert b.engine.gate.halted == "test halt"
        status = control_call(ep, SECRET, "status")
        assert status["engines"]["fake-1"]["halted"] == "test halt"
        assert control_call(ep, SECRET, "resume")["ok"] and b.engine.gate.halted == ""
        ft.close()
    finally:
        b.runner.stop()


def test_a_strategy_tells_its_own_state_and_each_change_of_it(
    tmp_path: Path, day_fixture: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``mt5bridge strategy NAME status`` of the two-bucket plan: phase, units from the peak or
    valley, allocations and the next triggers; each change of what it does is a log line."""
    caplog.set_level(logging.INFO, logger="mt5bridge.trades")
    plan = {
        "kind": "two_bucket",
        "name": "plan",
        "magic": 21,
        "params": {"symbol": "US100", "margin": 20000.0, "leverage": 5.0, "split": 0.5},
    }
    b = Brain(tmp_path, extra={"strategies": [plan]})
    ctl = b.runner.server.control
    assert ctl is not None
    ep = ctl.getsockopt_string(32)  # ZMQ_LAST_ENDPOINT
    try:
        FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET).run()
        reply = control_call(ep, SECRET, "strategy", "plan:status:")
        bad = control_call(ep, SECRET, "strategy", "nope:status:")
    finally:
        b.runner.stop()
    st = reply["status"]["fake-1"]
    assert st["strategy"] == "plan" and st["trading"] is True
    assert st["phase"] in ("advance", "retracement", "decline", "recovery")
    assert st["counting"] in ("from the peak", "from the valley")
    assert 0 <= st["long_pct"] <= 100 and 0 <= st["hedge_pct"] <= 100
    trig = st["next_triggers"]
    assert trig["deeper"] is not None or trig["back"] is not None
    if st["counting"] == "from the peak" and trig["deeper"] is not None:
        assert trig["deeper"] < st["peak"]
    assert bad["bad_input"] and "no strategy named 'nope'" in bad["error"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("strategy plan:")]
    assert lines[0] == "strategy plan: advance, long 100 % hedge 100 %"
    assert len(lines) >= 2 and all(a != b for a, b in itertools.pairwise(lines))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_two_terminals_get_their_own_engines(brain: Brain, day_fixture: Path) -> None:
    fx = load_fixture(day_fixture)
    a = FakeTerminal(fx, brain.endpoint, SECRET, terminal_id="acct-a")
    b = FakeTerminal(fx, brain.endpoint, SECRET, terminal_id="acct-b")
    ta = threading.Thread(target=a.run)
    ta.start()
    b.run()
    ta.join(timeout=120)
    engines = brain.runner.server.engines
    assert set(engines) == {"acct-a", "acct-b"}
    want = expected_trades(day_fixture)
    for e in engines.values():
        assert [tuple(t) for t in e.portfolio.trades] == want


def test_reordered_and_delayed_frames_are_detected(brain: Brain, day_fixture: Path) -> None:
    faults = Faults(seed=5, reorder=0.002, delay=0.002, delay_ms=2)
    ft = FakeTerminal(load_fixture(day_fixture), brain.endpoint, SECRET, faults=faults)
    ft.run(limit=8000)
    stats = brain.runner.server.stats
    # a frame held back arrives after its successor: a gap, then a stale duplicate number
    assert stats.gaps >= 1 and stats.dups >= 1 and stats.bad_frames == 0


def test_range_breakout_same_decisions_in_process_and_over_zeromq(tmp_path: Path) -> None:
    from bridge.brain.engine import Engine
    from bridge.data.fixturegen import write
    from bridge.live.server import BrainServer
    from strategies.range_breakout import RangeBreakout
    from strategies.range_breakout_params import RangeBreakoutParams

    write(tmp_path, seed=1, days=2)
    fx = load_fixture(tmp_path)
    params = RangeBreakoutParams(htf_filter=False)
    local = RangeBreakout(params)
    want = [tuple(t) for t in run_backtest(fx, [local]).portfolio.trades]
    assert local.stats()["hedges"] >= 2 and len(want) >= 6
    remote = RangeBreakout(params)
    engines: list[Engine] = []

    def make(tid: str, send: Any) -> Engine:
        engines.append(Engine([remote], {}, send, id_prefix="z"))
        return engines[-1]

    srv = BrainServer(make, endpoint="tcp://127.0.0.1:0", secret=SECRET)
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    try:
        FakeTerminal(fx, srv.endpoint, SECRET).run()
    finally:
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
    assert [tuple(t) for t in engines[0].portfolio.trades] == want
    assert remote.stats() == local.stats()
    assert not engines[0].portfolio.of_magic(remote.magic)  # no orphan hedge left behind


def test_record_mode_makes_a_fixture_that_replays(tmp_path: Path, day_fixture: Path) -> None:
    from bridge.live.recorder import Recorder

    rec = Recorder(tmp_path / "recorded")
    b = Brain(tmp_path)
    b.runner.server.record = rec
    try:
        src = load_fixture(day_fixture)
        FakeTerminal(src, b.endpoint, SECRET).run()
    finally:
        b.runner.stop()
    manifest = rec.close()
    assert rec.counts["ticks"] == 4 * rec.counts["bars"] > 0
    got = load_fixture(manifest.parent)
    for sym, bars in src.bars.items():
        # bars rebuilt from the recorded ticks are the source bars (the four-tick path keeps OHLC)
        rebuilt = got.bars[sym]
        assert (rebuilt.time_ms == bars.time_ms).all() and (rebuilt.close == bars.close).all()
        assert (rebuilt.high == bars.high).all() and (rebuilt.low == bars.low).all()
        assert got.specs[sym] == src.specs[sym]
    assert got.account.balance == src.account.balance and got.account.hedging == src.account.hedging
    assert len(run_backtest(got, [], None).portfolio.curve) == sum(
        len(x) for x in src.bars.values()
    ) // len(src.bars)


@pytest.mark.parametrize("seed", [2, 5, 7])
def test_lost_fills_are_recovered_no_fill_lost_no_fill_twice(
    tmp_path: Path, day_fixture: Path, seed: int
) -> None:
    """Frames of every kind are dropped, fills included: each gap makes the brain ask for the
    fills made since the session started (DEALSINCE) before its snapshot."""
    b = Brain(tmp_path)
    try:
        ft = FakeTerminal(
            load_fixture(day_fixture),
            b.endpoint,
            SECRET,
            # every other fill lost for certain (a run may make only a few: random drops of
            # fills alone could lose none), and 1 % of every kind of frame at random
            faults=Faults(seed=seed, drop=0.01, drop_deal_every=2, only_market=False),
        )
        s = ft.run()
        sim = ft.term.sim
        eng = b.engine
        assert len(s.deals) >= 2 and s.dropped_deals >= 1, (
            "the run must lose at least one fill on the way to prove anything"
        )
        assert {d.ticket for d in sim.deals} <= set(eng.seen_deals)  # no fill lost
        assert eng.portfolio.balance == pytest.approx(sim.balance, abs=0.01)  # none counted twice
        assert len(s.executed_ids) == len(set(s.executed_ids))
    finally:
        b.runner.stop()


def test_a_terminal_streaming_without_lockstep_is_served(tmp_path: Path) -> None:
    """A terminal that does not wait for the brain (as the EA, and `fake-terminal
    --no-lockstep`): its connection is not held up waiting for a READY that a brain sends only
    to lockstep terminals (before: it waited 20 s, then gave up)."""
    b = Brain(tmp_path)
    try:
        ft = FakeTerminal(load_fixture(DEMO_FIXTURE), b.endpoint, SECRET, lockstep=False)
        began = time.monotonic()
        summary = ft.run(limit=3_000, rate=3_000.0)
        took = time.monotonic() - began
        time.sleep(0.3)  # the last frames handled
        last = b.engine.last_tick["US100"].time_ms
        ft.close()
    finally:
        b.runner.stop()
    assert summary.market_events == 3_000
    assert took < 10, f"{took:.1f} s for one second of market events"
    assert last >= ft.term.sim.now_ms - 60_000

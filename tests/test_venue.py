"""The venue terminal (bridge/venue) on HyperLiquid's stand-in (tests/hyperliquid_double.py:
its HTTP API and WebSocket on loopback, answered in the shapes of recorded real payloads, the
order outcomes kept by the broker simulator). The brain runs the two-bucket plan over it as over
the EA: orders carry the brain's client ids as cloids, are executed once also when an answer
times out or the terminal restarts, the exchange's refusals and rate limit come back as MT5
retcodes, a silent price stream halts new positions, a dropped WebSocket is watched again."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.venue import markets as mk
from bridge.venue.connect import VenueSpec, credentials
from strategies.two_bucket import TwoBucket
from tests.helpers import Recorder
from tests.hyperliquid_double import HyperliquidDouble
from tests.venue_rig import (
    MARKET,
    Clock,
    brain_link,
    plan_brain,
    push,
    streaming,
    venue_terminal,
    wait_subscribed,
)

pytest.importorskip("ccxt")
T0 = 1_700_000_000_000
PLAN = {"symbol": "BTCUSD", "margin": 10_000.0, "leverage": 10.0, "split": 0.5}


@pytest.fixture
def double() -> Any:
    d = HyperliquidDouble({"BTC": 5})
    d.set_price("BTC", 60_000.0, 60_001.0, T0)
    yield d
    d.close()


def wave(i: int) -> float:
    return 60_000 + 3_000 * math.sin(i / 40)


# -- markets and ids ------------------------------------------------------------------------
def test_a_market_is_a_symbol_spec_in_lots_of_one_contract(double: HyperliquidDouble) -> None:
    term = venue_terminal(double, Recorder(), Clock(T0), stream=False)
    term.connect()
    spec = term.specs["BTCUSD"]
    assert spec.contract_size == 1.0 and spec.volume_step == 1e-5  # szDecimals 5
    assert spec.volume_min == 0.00017  # $10, the exchange's minimum order value, at 60,001
    assert spec.point == 1.0 and spec.digits == 0  # five significant figures at 60,000
    assert double.leverage == {0: 10}  # the configured leverage, set on the market at start


def test_a_lot_is_one_contract_of_the_markets_contract_size() -> None:
    # a linear swap of 0.01 BTC a contract, amounts in whole contracts, $5 minimum order value
    market: dict[str, Any] = {
        "symbol": "BTC/USDT:USDT",
        "contract": True,
        "type": "swap",
        "contractSize": 0.01,
        "precision": {"amount": 1.0, "price": 0.1},
        "limits": {"amount": {"min": 1.0, "max": 5000.0}, "cost": {"min": 5.0}},
    }
    spec = mk.spec_of("BTCUSD", market, mk.TICK_SIZE, 60_000.0)
    assert (spec.contract_size, spec.volume_step, spec.volume_min) == (0.01, 1.0, 1.0)
    assert (spec.volume_max, spec.point, spec.digits, spec.tick_value) == (5000.0, 0.1, 1, 0.001)
    # a $1,000 minimum value at 60,000 is 1.67 contracts of 0.01 BTC: 2 lots
    market["limits"]["cost"]["min"] = 1000.0
    assert mk.spec_of("BTCUSD", market, mk.TICK_SIZE, 60_000.0).volume_min == 2.0
    # an exchange counting decimals (DECIMAL_PLACES): 3 decimals is a step of 0.001
    market["precision"] = {"amount": 3, "price": 1}
    spec = mk.spec_of("BTCUSD", market, mk.DECIMAL_PLACES, 60_000.0)
    assert (spec.volume_step, spec.point) == (0.001, 0.1)


def test_a_client_id_is_one_cloid_always() -> None:
    a, b = mk.cloid("5000-plan-1"), mk.cloid("5000-plan-2")
    assert a == mk.cloid("5000-plan-1") and a != b
    assert len(a) == 34 and int(a, 16) < 2**128  # "0x" and 128 bits, as HyperLiquid wants


def test_deal_entries_follow_the_net_position() -> None:
    step = 1e-5
    assert mk.entry_of(0.0, 1.0, step) == ev.ENTRY_IN
    assert mk.entry_of(1.0, 0.5, step) == ev.ENTRY_IN
    assert mk.entry_of(1.0, -0.5, step) == ev.ENTRY_OUT
    assert mk.entry_of(1.0, -1.0, step) == ev.ENTRY_OUT
    assert mk.entry_of(1.0, -1.5, step) == ev.ENTRY_INOUT
    assert mk.entry_of(-1.0, 2.0, step) == ev.ENTRY_INOUT
    # binary residue (0.3 - 0.1 is not 0.2) is counted in steps: a close, not a reversal
    assert mk.entry_of(0.3 - 0.1, -0.2, step) == ev.ENTRY_OUT
    assert mk.entry_of(2.220446049250313e-16, 0.5, step) == ev.ENTRY_IN


def test_credentials_come_from_the_environment_only() -> None:
    spec = VenueSpec("hyperliquid")
    with pytest.raises(ValueError, match="HYPERLIQUID_WALLET_ADDRESS, HYPERLIQUID_PRIVATE_KEY"):
        credentials(spec, {})
    got = credentials(spec, {"HYPERLIQUID_WALLET_ADDRESS": "0xa", "HYPERLIQUID_PRIVATE_KEY": "k"})
    assert got == {"walletAddress": "0xa", "privateKey": "k"}


# -- the plan over the terminal -------------------------------------------------------------
def test_the_plan_trades_over_the_venue_as_over_the_ea(double: HyperliquidDouble) -> None:
    runner = plan_brain(PLAN)
    clock = Clock(T0)
    try:
        with streaming(double, brain_link(runner), clock) as term:
            for i in range(1, 400):
                push(double, term, clock, T0 + 1000 * i, wave(i), wave(i) + 1)
            (eng,) = runner.server.engines.values()
            assert not eng.gate.halted
    finally:
        runner.stop()
    (plan,) = eng.strategies
    assert isinstance(plan, TwoBucket)
    assert len(plan.history) >= 5  # the plan changed its allocations as the price moved
    sent = [
        o for r in double.requests if r["action"]["type"] == "order" for o in r["action"]["orders"]
    ]
    assert len(sent) >= 5 and all(o["t"] == {"limit": {"tif": "Ioc"}} for o in sent)
    assert len({o["c"] for o in sent}) == len(sent)  # one cloid per order, none sent twice
    # nothing signed but the trader's orders and leverage: no builder fee, no referral code
    assert {r["action"]["type"] for r in double.requests} == {"order", "updateLeverage"}
    assert all("builder" not in r["action"] for r in double.requests)
    # the brain's books are the exchange's
    (held,) = double.sim.positions.values()
    (mine,) = eng.portfolio.positions.values()
    assert (mine.is_buy, mine.volume) == (held.is_buy, held.volume)


def test_a_silent_price_stream_halts_new_positions_until_prices_come(
    double: HyperliquidDouble,
) -> None:
    runner = plan_brain(PLAN)
    clock = Clock(T0)
    try:
        with streaming(double, brain_link(runner), clock, stale_ms=300) as term:
            push(double, term, clock, T0 + 1000, 60_000.0, 60_001.0)
            (eng,) = runner.server.engines.values()
            deadline = time.monotonic() + 5
            while not eng.gate.halted and time.monotonic() < deadline:
                term.cycle()
                time.sleep(0.02)
            assert "lost its market connection" in eng.gate.halted
            push(double, term, clock, T0 + 2000, 60_010.0, 60_011.0)
            term.cycle()
            assert eng.gate.halted == ""
    finally:
        runner.stop()


def test_an_exchange_down_halts_the_terminal_and_it_comes_back(double: HyperliquidDouble) -> None:
    import threading

    runner = plan_brain(PLAN)
    clock = Clock(T0)
    term = venue_terminal(double, brain_link(runner, lockstep=False), clock)
    term.account_every_s = 0.1  # the books asked for often: the outage is noticed at once
    stop = threading.Event()
    th = threading.Thread(target=term.run, args=(stop.is_set,), daemon=True)
    try:
        th.start()
        wait_subscribed(double, "activeAssetCtx:BTC")
        (eng,) = wait_for(lambda: list(runner.server.engines.values()))
        double.set_price("BTC", 60_000.0, 60_001.0, T0 + 1000)
        wait_for(lambda: double.sim.positions)  # the plan's first order
        double.down = True
        wait_for(lambda: "silent" in eng.gate.halted)  # the session ended: halted
        double.down = False
        wait_for(lambda: not eng.gate.halted, timeout_s=20)  # connected again, resynchronised
        double.set_price("BTC", 57_000.0, 57_001.0, T0 + 2000)  # the plan acts again
        wait_for(lambda: sum(r["action"]["type"] == "order" for r in double.requests) >= 2)
    finally:
        stop.set()
        th.join(10)
        runner.stop()


def wait_for(check: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (got := check()):
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)
    return got


def test_the_last_price_of_a_burst_reaches_the_terminal(double: HyperliquidDouble) -> None:
    """Prices faster than the terminal takes them: not all are seen (a ticker is a latest-value
    stream), but the last one is, though no price follows it."""
    with streaming(double, Recorder(), Clock(T0)) as term:
        for i in range(1, 60):
            double.set_price("BTC", 60_000.0 + i, 60_001.0 + i, T0 + i)
        deadline = time.monotonic() + 5
        while term.quotes.get("BTCUSD") != (60_059.0, 60_060.0):
            assert time.monotonic() < deadline, term.quotes
            term.cycle()
            time.sleep(0.01)


def test_a_dropped_websocket_is_watched_again(double: HyperliquidDouble) -> None:
    rec = Recorder()
    clock = Clock(T0)
    with streaming(double, rec, clock) as term:
        push(double, term, clock, T0 + 1000, 60_000.0, 60_001.0)
        double.drop_connections()
        wait_subscribed(double, "activeAssetCtx:BTC")  # after the backoff, a new connection
        push(double, term, clock, T0 + 2000, 60_100.0, 60_101.0)
        assert rec.of(ev.Tick)[-1].bid == 60_100.0
        assert term.stream is not None and term.stream.failures >= 1


# -- exactly once ---------------------------------------------------------------------------
def open_cmd(cid: str, lots: float = 0.01, order_type: int = 0) -> ev.OpenCmd:
    return ev.OpenCmd(cid, "BTCUSD", order_type, lots, 0.0, 0.0, 0.0, 5000, 0, -1, "")


def test_an_order_whose_answer_timed_out_is_looked_up_never_sent_again(
    double: HyperliquidDouble, tmp_path: Path
) -> None:
    rec = Recorder()
    term = venue_terminal(
        double, rec, Clock(T0), stream=False, timeout_ms=300, memory=tmp_path / "venue.memory"
    )
    term.connect()
    double.stall_next_s = 1.0  # executed at the exchange; the answer comes after the timeout
    rec.inbox = [open_cmd("c-1")]
    term.cycle()
    assert not rec.of(ev.OrderResult)  # outcome unknown: no RESULT, as a lost frame
    assert len(double.sim.positions) == 1
    time.sleep(1.0)
    rec.inbox = [open_cmd("c-1")]  # the brain's retry of the same id: never sent again
    term.cycle()
    (r,) = rec.of(ev.OrderResult)
    assert r.retcode == rc.DONE and r.volume == 0.01
    orders = [r for r in double.requests if r["action"]["type"] == "order"]
    assert len(orders) == 1
    deals = rec.of(ev.Deal)
    assert [d.client_id for d in deals] == ["c-1"]
    # a restarted terminal (same memory file) answers the id from memory, and finds the
    # position's ticket (the opening order) and tells no old fill again
    rec2 = Recorder()
    again = venue_terminal(double, rec2, Clock(T0), memory=tmp_path / "venue.memory")
    again.connect()
    wait_subscribed(double, "userFills")  # its first message: the account's recent fills
    time.sleep(0.2)
    again.cycle()
    assert not rec2.of(ev.Deal)
    (pos,) = rec2.of(ev.Position)
    assert pos.ticket == r.order and pos.client_id == "c-1" and pos.magic == 5000
    rec2.inbox = [ev.QueryCmd("c-1"), open_cmd("c-1")]
    again.cycle()
    assert [x.retcode for x in rec2.of(ev.OrderResult)] == [rc.DONE, rc.DONE]
    assert len([r for r in double.requests if r["action"]["type"] == "order"]) == 1
    again.close()


def test_fills_the_stream_missed_are_asked_for_until_found(
    double: HyperliquidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge.venue import execution

    monkeypatch.setattr(execution, "FILLS_WAIT_S", 0.05)
    rec = Recorder()
    term = venue_terminal(double, rec, Clock(T0), stream=False)  # no stream: no fill comes
    term.connect()
    rec.inbox = [open_cmd("c-1")]
    term.cycle()
    (r,) = rec.of(ev.OrderResult)
    assert r.retcode == rc.DONE and not rec.of(ev.Deal)
    double.fills_lag = 1  # the first request finds nothing yet
    deadline = time.monotonic() + 5
    while not rec.of(ev.Deal) and time.monotonic() < deadline:
        term.cycle()
        time.sleep(0.02)
    (deal,) = rec.of(ev.Deal)
    assert (deal.client_id, deal.order, deal.volume) == ("c-1", r.order, 0.01)
    assert double.info_calls["userFillsByTime"] >= 2 and not term.exec.awaiting
    (pos,) = rec.of(ev.Position)
    assert pos.ticket == r.order and pos.volume == 0.01


def test_a_restarted_terminal_gives_the_brain_every_fill_it_asks_for(
    double: HyperliquidDouble,
) -> None:
    rec = Recorder()
    term = venue_terminal(double, rec, Clock(T0), stream=False)
    term.connect()
    rec.inbox = [open_cmd("c-1"), open_cmd("c-2", lots=0.02)]
    term.cycle()
    assert [r.retcode for r in rec.of(ev.OrderResult)] == [rc.DONE, rc.DONE]
    rec2 = Recorder()  # a new terminal process: the fills are history to it
    again = venue_terminal(double, rec2, Clock(T0), stream=False)
    again.connect()
    rec2.inbox = [ev.DealsSinceReq(7, T0 - 1)]  # the brain's resync: what it missed
    again.cycle()
    deals = rec2.of(ev.Deal)
    assert [(d.volume, d.entry) for d in deals] == [(0.01, ev.ENTRY_IN), (0.02, ev.ENTRY_IN)]
    assert {d.position_id for d in deals} == {rec2.of(ev.Position)[0].ticket}
    assert rec2.of(ev.SnapshotEnd)[-1].req_id == 7


def test_a_query_of_an_id_sent_and_not_found_is_outcome_unknown(
    double: HyperliquidDouble,
) -> None:
    rec = Recorder()
    term = venue_terminal(double, rec, Clock(T0), stream=False)
    term.connect()
    term.book.note_id("lost-1", 5000)  # sent by a terminal that crashed before the exchange
    rec.inbox = [ev.QueryCmd("lost-1"), ev.QueryCmd("never")]
    term.cycle()
    unknown, never = rec.of(ev.OrderResult)
    assert unknown.retcode == rc.ERROR and "unknown" in unknown.text
    assert never.retcode == 0


def test_the_exchanges_refusals_are_retcodes(double: HyperliquidDouble) -> None:
    rec = Recorder()
    term = venue_terminal(double, rec, Clock(T0), stream=False)
    term.connect()
    double.rate_limit_next = True
    rec.inbox = [
        open_cmd("small", lots=0.0001),  # under $10: refused here, before the exchange
        open_cmd("limited"),  # 429 from the exchange: not executed
        open_cmd("huge", lots=100.0),  # beyond the margin
        ev.CloseCmd("close-none", 999, 0.0, 0),
        ev.ModifyCmd("modify", 1, 59_000.0, 0.0),
        open_cmd("stop", order_type=4),
    ]
    term.cycle()
    got = {r.client_id: r.retcode for r in rec.of(ev.OrderResult)}
    assert got == {
        "small": rc.INVALID_VOLUME,
        "limited": rc.TOO_MANY_REQUESTS,
        "huge": rc.NO_MONEY,
        "close-none": rc.POSITION_CLOSED,
        "modify": rc.INVALID,
        "stop": rc.INVALID,
    }
    assert not double.sim.positions
    assert len([r for r in double.requests if r["action"]["type"] == "order"]) == 2


def test_a_limit_order_rests_fills_by_the_stream_and_can_be_cancelled(
    double: HyperliquidDouble,
) -> None:
    rec = Recorder()
    clock = Clock(T0)
    term = venue_terminal(double, rec, clock)
    term.connect()
    wait_subscribed(double, "userFills")
    buy = ev.OpenCmd("lim-1", "BTCUSD", 2, 0.01, 59_000.0, 0.0, 0.0, 5000, 0, -1, "")
    sell = ev.OpenCmd("lim-2", "BTCUSD", 3, 0.01, 70_000.0, 0.0, 0.0, 5000, 0, -1, "")
    rec.inbox = [buy, sell]
    term.cycle()
    placed = rec.of(ev.OrderResult)
    assert [r.retcode for r in placed] == [rc.PLACED, rc.PLACED]
    assert len(rec.of(ev.PendingOrder)) == 2
    push(double, term, clock, T0 + 1000, 58_990.0, 58_991.0)  # reaches the buy limit
    deadline = time.monotonic() + 5
    while not rec.of(ev.Deal) and time.monotonic() < deadline:
        term.cycle()
        time.sleep(0.01)
    (deal,) = rec.of(ev.Deal)
    assert deal.client_id == "lim-1" and deal.price == 59_000.0
    rec.inbox = [ev.CancelCmd("cancel-2", placed[1].order)]
    term.cycle()
    assert rec.of(ev.OrderResult)[-1].retcode == rc.DONE
    assert rec.of(ev.OrderGone)[-1].ticket == placed[1].order
    term.close()


# -- mt5bridge run ---------------------------------------------------------------------------
def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stored_deals(db: Path) -> int:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        (n,) = con.execute("select count(*) from deals").fetchone()
    except sqlite3.OperationalError:  # not created yet
        n = 0
    con.close()
    return int(n)


def venue_config(tmp: Path, double: HyperliquidDouble) -> Path:
    cfg = tmp / "venue.toml"
    cfg.write_text(
        f"""[brain]
endpoint = "tcp://127.0.0.1:{_port()}"
control_endpoint = "tcp://127.0.0.1:{_port()}"
secret_env = "RUN_SECRET"
[store]
url = "sqlite:///{tmp / "audit.sqlite"}"
[terminal]
kind = "ccxt"
[venue]
exchange = "hyperliquid"
markets = {{ BTCUSD = "{MARKET}" }}
api_url = "{double.url}"
ws_url = "{double.ws_url}"
[[strategies]]
kind = "two_bucket"
name = "plan"
magic = 5000
params = {{ symbol = "BTCUSD", margin = 10000.0, leverage = 4.5, split = 0.5 }}
"""
    )
    return cfg


@pytest.mark.slow
def test_mt5bridge_run_trades_the_plan_on_the_exchange(
    double: HyperliquidDouble, tmp_path: Path
) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys

    from tests.venue_rig import ENV

    cfg = venue_config(tmp_path, double)
    log = tmp_path / "brain.log"
    with log.open("wb") as fh:
        brain = subprocess.Popen(
            [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg)],
            env={**os.environ, "RUN_SECRET": "s3cret", **ENV},
            stdout=fh,
            stderr=fh,
        )
    try:
        deadline = time.monotonic() + 60
        while not any("activeAssetCtx:BTC" in t for _, t in list(double.sockets)):
            assert brain.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        now = int(time.time() * 1000)  # the exchange's clock: the terminal's, as live
        for i in range(1, 200):
            double.set_price("BTC", wave(i * 4), wave(i * 4) + 1, now + 10 * i)
            time.sleep(0.01)
        db = tmp_path / "audit.sqlite"

        def settled() -> None:
            """Until every fill at the exchange is in the store and no order has gone out for
            2 s (the exchange's rate limit paces orders and books' refreshes: CCXT's, as live)."""
            deadline, seen, quiet_since = time.monotonic() + 90, -1, time.monotonic()
            while True:
                assert brain.poll() is None and time.monotonic() < deadline, log.read_text()
                if len(double.requests) != seen:
                    seen, quiet_since = len(double.requests), time.monotonic()
                done = db.exists() and stored_deals(db) == len(double.fills)
                if done and time.monotonic() - quiet_since > 2:
                    return
                time.sleep(0.2)

        settled()
        # the plan's emergency stop, from the command line as on MT5: its position closes
        assert double.sim.positions
        stop = subprocess.run(
            [sys.executable, "-m", "bridge.cli", "strategy", "plan", "stop", "--config", str(cfg)],
            env={**os.environ, "RUN_SECRET": "s3cret"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert stop.returncode == 0, stop.stdout + stop.stderr
        try:
            wait_for(lambda: not double.sim.positions, timeout_s=30)
        except AssertionError:
            raise AssertionError("the stop did not close: " + log.read_text()[-6000:]) from None
        settled()
        brain.send_signal(signal.SIGINT)
        assert brain.wait(timeout=30) == 0, log.read_text()
    finally:
        if brain.poll() is None:
            brain.kill()
    text = log.read_text()
    assert "terminal: hyperliquid over CCXT" in text
    assert (
        ENV["HYPERLIQUID_PRIVATE_KEY"] not in text
        and ENV["HYPERLIQUID_PRIVATE_KEY"][2:] not in text
    )
    con = sqlite3.connect(tmp_path / "audit.sqlite")
    (changes,) = con.execute("select count(*) from allocation_changes").fetchone()
    (deals,) = con.execute("select count(*) from deals").fetchone()
    (sent,) = con.execute("select count(distinct client_id) from orders").fetchone()
    orders = sum(r["action"]["type"] == "order" for r in double.requests)
    assert changes >= 3 and orders >= 3
    cloids = [
        o["c"]
        for r in double.requests
        if r["action"]["type"] == "order"
        for o in r["action"]["orders"]
    ]
    ids = {mk.cloid(c) for (c,) in con.execute("select distinct client_id from orders")}
    assert len(set(cloids)) == len(cloids) and set(cloids) <= ids  # the brain's, each once
    assert sent >= orders
    stored = {t for (t,) in con.execute("select ticket from deals")}
    missing = [f for f in double.fills if int(f["tid"]) not in stored]
    if deals != len(double.fills):
        Path("/tmp/venue_fail.log").write_text(repr(missing) + "\n" + log.read_text())
    assert deals == len(double.fills), missing  # every fill at the exchange, once
    assert double.leverage == {0: 5}  # the plan's 4.5, rounded up, set at the exchange


def test_mt5bridge_run_names_a_market_the_exchange_lacks(
    double: HyperliquidDouble, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    from tests.venue_rig import ENV

    cfg = venue_config(tmp_path, double)
    cfg.write_text(cfg.read_text().replace(MARKET, "BTC/USDT:USDT"))
    out = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg)],
        env={**os.environ, "RUN_SECRET": "s3cret", **ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert "no market 'BTC/USDT:USDT' (for BTCUSD); it lists BTC/USDC:USDC" in out.stderr


def test_mt5bridge_run_names_the_credentials_it_misses(
    double: HyperliquidDouble, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    cfg = venue_config(tmp_path, double)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLIQUID_")}
    out = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg)],
        env={**env, "RUN_SECRET": "s3cret"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert "HYPERLIQUID_WALLET_ADDRESS, HYPERLIQUID_PRIVATE_KEY" in out.stderr
    assert "never read from the config file" in out.stderr

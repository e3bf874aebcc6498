"""The MetaTrader5-package adapter (bridge/mt5api) against the package's stand-in
(tests/mt5_standin.py, the broker simulator behind the package's documented API): the brain over
the adapter books the in-process replay's trades; ids are executed once, across a restart of the
adapter and a call that timed out; every call goes through one lock; the stand-in keeps the
documented field lists."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.config import DEMO, parse_config
from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.data.fixturegen import write
from bridge.data.fixtures import Fixture, load_fixture
from bridge.mt5api.adapter import ApiTerminal
from bridge.mt5api.package import Api
from bridge.replay.backtest import run_backtest
from bridge.runner import BrainRunner
from bridge.wire.terminal_link import TerminalLink
from tests import mt5_standin
from tests.helpers import Recorder
from tests.mt5_standin import StandIn

SECRET = b"mt5api-secret"


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    folder = tmp_path_factory.mktemp("two_days")
    write(folder, seed=11, days=2)
    return load_fixture(folder)


def demo_config(tmp: Path) -> Any:
    raw = {k: v for k, v in DEMO.items() if k != "store"}
    raw["brain"] = {"transport": "zmtp"}
    return parse_config(raw, "test config")


def adapter_for(standin: StandIn, endpoint: str, lockstep: bool = True) -> ApiTerminal:
    acc = standin._account_info()
    link = TerminalLink(endpoint, SECRET, "mt5api-1", acc.login, acc.server, lockstep=lockstep)
    standin.initialize()
    return ApiTerminal(Api(standin), list(standin.fx.specs), link, standin.clock)


def test_the_brain_over_the_adapter_books_the_replays_trades(
    two_days: Fixture, tmp_path: Path
) -> None:
    cfg = demo_config(tmp_path)
    replay = run_backtest(two_days, cfg.build_strategies(), cfg.risk.limits())
    runner = BrainRunner(cfg, SECRET, None, endpoint="tcp://127.0.0.1:0", control_endpoint="")
    runner.start_thread()
    standin = StandIn(two_days)
    term = adapter_for(standin, runner.server.endpoint)
    t0 = time.perf_counter()
    try:
        term.connect()
        cycles = 0
        while standin.step():
            term.cycle()
            cycles += 1
        for _ in range(3):
            term.cycle()
    finally:
        term.link.close()
        runner.stop()
    took = time.perf_counter() - t0
    (eng,) = runner.server.engines.values()
    got = [tuple(t) for t in eng.portfolio.trades]
    want = [tuple(t) for t in replay.portfolio.trades]
    assert len(want) > 5
    assert got == want
    calls = sum(standin.calls.values())
    print(
        f"{cycles} market events, {len(got)} trades, {took:.1f} s; {calls} package calls "
        f"({calls / cycles:.1f} per cycle, {took / cycles * 1e6:.0f} us per cycle)"
    )


def offline(standin: StandIn, memory: Path | None = None) -> tuple[ApiTerminal, Recorder]:
    """An adapter process on the stand-in, its link to the brain recorded."""
    rec = Recorder()
    standin.initialize(timeout=100)
    term = ApiTerminal(Api(standin), list(standin.fx.specs), rec, standin.clock, memory=memory)  # type: ignore[arg-type]
    return term, rec


def played(standin: StandIn, n: int) -> None:
    for _ in range(n):
        standin.step()


OPEN = ev.OpenCmd("c-1", "US100", 0, 0.5, 0.0, 0.0, 0.0, 2002, 20, -1, "")


def test_an_id_is_executed_once_also_after_a_restart_of_the_adapter(two_days: Fixture) -> None:
    standin = StandIn(two_days)
    term, _rec = offline(standin)
    term.connect()
    played(standin, 50)
    term.cycle()
    first = term.execute(OPEN)
    assert first is not None and first.retcode == rc.DONE and first.deal > 0
    assert term.execute(OPEN) == first  # a repeated command: the remembered answer
    again, _ = offline(standin)  # a new adapter process: nothing in memory
    again.connect()
    found = again.execute(OPEN)
    assert found is not None and (found.retcode, found.order, found.deal) == (
        rc.DONE,
        first.order,
        first.deal,
    )
    assert standin.calls["order_send"] == 1
    assert sum(p.volume for p in standin.sim.positions.values() if p.magic == 2002) == 0.5


def test_an_order_send_that_timed_out_is_looked_up_never_sent_again(two_days: Fixture) -> None:
    standin = StandIn(two_days)
    term, rec = offline(standin)  # the package's IPC timeout: 100 ms
    term.connect()
    played(standin, 50)
    term.cycle()
    standin.send_delay_s = 0.3  # the trade server takes longer than that
    assert term.execute(OPEN) is None  # no RESULT: as a frame lost on the way
    standin.send_delay_s = 0.0
    assert term.execute(OPEN) is not None and standin.calls["order_send"] == 1
    answer = term.query("c-1")  # the brain's QUERY: found in the trade history by its comment
    assert answer.retcode == rc.DONE and answer.deal > 0
    term.handle(ev.QueryCmd("c-1"))
    assert rec.sent[-1] == answer


def test_every_call_goes_through_one_lock(two_days: Fixture) -> None:
    standin = StandIn(two_days)
    standin.initialize()
    api = Api(standin)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(300):
                api.call("positions_get", allow_none=True)
                api.call("symbol_info_tick", "US100", allow_none=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and api.calls == 4 * 600
    # the stand-in does catch two calls at once (as the package would misbehave)
    standin.send_delay_s = 0.2
    t = threading.Thread(target=lambda: standin.order_send({"action": 1, "symbol": "US100"}))
    t.start()
    time.sleep(0.05)
    with pytest.raises(RuntimeError, match="not thread-safe"):
        standin.positions_get()
    t.join()


def test_ticks_are_sent_once_each_whatever_the_seconds_and_milliseconds(two_days: Fixture) -> None:
    standin = StandIn(two_days)
    term, rec = offline(standin)
    term.connect()
    base = standin.clock_ms + 1_000
    # three ticks in one millisecond, more in the same second, a 1,500-tick second
    ticks = [(base, 1.0, 1.1), (base, 1.01, 1.11), (base, 1.02, 1.12), (base + 5, 1.03, 1.13)]
    ticks += [(base + 2_000 + i // 3, 1.0 + i * 1e-4, 1.1 + i * 1e-4) for i in range(1500)]
    for i, (t, bid, ask) in enumerate(ticks):
        standin.ticks["US100"].append((t, bid, ask))
        standin.clock_ms = t
        if i % 7 == 0:  # the adapter polls in between, sometimes mid-millisecond
            term.cycle()
    term.cycle()
    got = [
        (e.time_ms, e.bid, e.ask)
        for e in rec.sent
        if isinstance(e, ev.Tick) and e.symbol == "US100"
    ]
    assert got[-len(ticks) :] == ticks and len(got) == len(ticks)


DOCUMENTED = {  # the MQL5 reference's "Python Integration" pages: the named tuples' fields
    "account_info": "login trade_mode leverage limit_orders margin_so_mode trade_allowed "
    "trade_expert margin_mode currency_digits fifo_close balance credit profit equity margin "
    "margin_free margin_level margin_so_call margin_so_so margin_initial margin_maintenance "
    "assets liabilities commission_blocked name server currency company",
    "positions_get": "ticket time time_msc time_update time_update_msc type magic identifier "
    "reason volume price_open sl tp price_current swap profit symbol comment external_id",
    "history_deals_get": "ticket order time time_msc type entry magic position_id reason volume "
    "price commission swap profit fee symbol comment external_id",
    "history_orders_get": "ticket time_setup time_setup_msc time_done time_done_msc "
    "time_expiration type type_time type_filling state magic position_id position_by_id reason "
    "volume_initial volume_current price_open sl tp price_current price_stoplimit symbol comment "
    "external_id",
    "order_send": "retcode deal order volume price bid ask comment request_id retcode_external "
    "request",
    "symbol_info_tick": "time bid ask last volume time_msc flags volume_real",
}
TICK_FIELDS = ("time", "bid", "ask", "last", "volume", "time_msc", "flags", "volume_real")
RATE_FIELDS = ("time", "open", "high", "low", "close", "tick_volume", "spread", "real_volume")


def test_the_stand_in_keeps_the_packages_documented_fields(two_days: Fixture) -> None:
    standin = StandIn(two_days)
    term, _rec = offline(standin)
    term.connect()
    played(standin, 50)
    term.cycle()
    term.execute(OPEN)
    term.execute(ev.OpenCmd("c-2", "US100", 2, 0.1, 20000.0, 0.0, 0.0, 2002, 20, -1, ""))
    lo, hi = 0, standin.clock_ms // 1000 + 1
    got = {
        "account_info": standin.account_info(),
        "positions_get": standin.positions_get()[0],
        "history_deals_get": standin.history_deals_get(lo, hi)[0],
        "history_orders_get": standin.history_orders_get(lo, hi)[0],
        "order_send": standin.order_send({"action": 8, "order": 1, "comment": "x"}),
        "symbol_info_tick": standin.symbol_info_tick("US100"),
    }
    for name, fields in DOCUMENTED.items():
        assert got[name]._fields == tuple(fields.split()), name
    assert standin.copy_ticks_from("US100", 0, 10, -1).dtype.names == TICK_FIELDS
    assert standin.copy_rates_range("US100", 1, 0, hi).dtype.names == RATE_FIELDS
    # a call before initialize() fails as the package's does
    fresh = StandIn(two_days)
    assert (
        fresh.account_info() is None
        and fresh.last_error()[0] == mt5_standin.RES_E_INTERNAL_FAIL_CONNECT
    )


def test_mt5bridge_run_with_the_package_as_its_terminal(tmp_path: Path) -> None:
    """[terminal] kind = "mt5api": `mt5bridge run` starts the adapter beside the brain; the
    brain takes it as a terminal and records its ticks; Ctrl-C stops both cleanly."""
    import os
    import signal
    import subprocess
    import sys

    from bridge.data.fixtures import DEMO_FIXTURE
    from tests.conftest import ROOT

    cfg = tmp_path / "live.toml"
    cfg.write_text(
        '[brain]\nendpoint = "tcp://127.0.0.1:0"\ncontrol_endpoint = "tcp://127.0.0.1:0"\n'
        'secret_env = "T_SECRET"\n[store]\nurl = "sqlite:///live.sqlite"\n'
        '[terminal]\nkind = "mt5api"\npackage = "tests.mt5_standin:live_from_env"\n'
        'symbols = ["US100", "XAUUSD"]\npoll_ms = 5\n'
    )
    env = {**os.environ, "T_SECRET": "a-live-secret", "MT5_STANDIN_FIXTURE": str(DEMO_FIXTURE),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg), "--record",
         str(tmp_path / "rec")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert "terminal: the tests.mt5_standin:live_from_env package" in err
    ticks = int(out.split("recorded ", 1)[1].split(" ticks")[0])
    assert ticks > 100, out  # two symbols every 20 ms for a few seconds


def test_mt5linux_is_loaded_lazily_with_its_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """mt5linux's MetaTrader5 class is made with the configured host and port; nothing of
    either package is imported before."""
    import sys
    import types

    from bridge.mt5api.package import PackageMissing, load

    made: list[tuple[str, int]] = []

    class MetaTrader5:
        def __init__(self, host: str, port: int) -> None:
            made.append((host, port))

    monkeypatch.setitem(sys.modules, "mt5linux", types.SimpleNamespace(MetaTrader5=MetaTrader5))
    assert isinstance(load("mt5linux", "wine-box", 18888), MetaTrader5)
    assert made == [("wine-box", 18888)]
    monkeypatch.delitem(sys.modules, "mt5linux")
    monkeypatch.setitem(sys.modules, "mt5linux", None)  # not installed
    with pytest.raises(PackageMissing, match="pip install mt5linux"):
        load("mt5linux")


def test_a_netting_account_closes_by_an_opposite_deal_and_refuses_close_by() -> None:
    from bridge.mt5api import convert
    from tests.helpers import index_spec

    spec = index_spec("US100", volume_step=0.1, volume_min=0.1)
    pos = ev.Position(7, "US100", True, 1.0, 21000.0, 0.0, 0.0, 5, 0.0, 0.0, 0, "b-1")
    close = convert.request_of(ev.CloseCmd("b-2", 7, 0.34, 20), spec, (21010.0, 21011.5), pos,
                               hedging=False)  # fmt: skip
    assert close["type"] == 1 and close["volume"] == 0.3 and "position" not in close
    assert close["price"] == 21010.0 and close["comment"] == "b-2" and close["magic"] == 5
    hedged = convert.request_of(ev.CloseCmd("b-3", 7, 0.0, 20), spec, (21010.0, 21011.5), pos,
                                hedging=True)  # fmt: skip
    assert hedged["position"] == 7 and hedged["volume"] == 1.0
    with pytest.raises(convert.Refused, match="hedging account"):
        convert.request_of(ev.CloseByCmd("b-4", 7, 8), spec, None, pos, hedging=False)
    with pytest.raises(convert.Refused) as gone:
        convert.request_of(ev.ModifyCmd("b-5", 9, 1.0, 2.0), spec, None, None, hedging=True)
    assert gone.value.retcode == rc.POSITION_CLOSED
    limit = convert.request_of(
        ev.OpenCmd("b-6", "US100", 2, 0.26, 20900.004, 20800.0, 0.0, 5, 20, -1, ""), spec,
        (21000.0, 21001.5), None, hedging=True,
    )  # fmt: skip
    assert (limit["action"], limit["volume"], limit["price"]) == (5, 0.2, 20900.0)  # step: down
    acc = types_account(margin_mode=0)
    assert convert.account_of(acc, 1).hedging is False


def types_account(**kw: Any) -> Any:
    import types

    base = dict(login=1, balance=1.0, equity=1.0, margin=0.0, margin_free=1.0, leverage=100,
                currency="USD", margin_mode=2)  # fmt: skip
    base.update(kw)
    return types.SimpleNamespace(**base)


def test_a_snapshot_request_loses_no_tick(two_days: Fixture) -> None:
    """The brain's SNAPREQ (at a resync) is answered with the books; the ticks go on from where
    they were, none skipped."""
    standin = StandIn(two_days)
    term, rec = offline(standin)
    term.connect()
    for i in range(400):
        standin.step()
        if i % 3 == 0:
            term.cycle()
        if i == 200:
            term.handle(ev.SnapshotReq(5))
    term.cycle()
    sent = [(e.symbol, e.time_ms) for e in rec.sent if isinstance(e, ev.Tick)]
    played = [(s, t) for s, ticks in standin.ticks.items() for t, _b, _a in ticks]
    assert sorted(sent) == sorted(played)
    ends = [e for e in rec.sent if isinstance(e, ev.SnapshotEnd)]
    assert [e.req_id for e in ends] == [0, 5] and ends[1].positions == len(standin.sim.positions)


def test_a_fill_after_a_restart_keeps_its_client_id(two_days: Fixture, tmp_path: Path) -> None:
    """The adapter keeps every id's outcome in its memory file: a pending order placed before a
    restart and filled after it reaches the brain with its id (without the file: no id)."""
    memory = tmp_path / "mt5api.memory"
    for kept in (True, False):
        standin = StandIn(two_days)
        term, _rec = offline(standin, memory if kept else None)
        term.connect()
        played(standin, 50)
        term.cycle()
        bid = standin.sim.bid["US100"]
        limit = ev.OpenCmd("c-9", "US100", 2, 0.1, round(bid - 2.0, 2), 0.0, 0.0, 2002, 20, -1, "")
        placed = term.execute(limit)
        assert placed is not None and placed.retcode == rc.PLACED
        again, rec2 = offline(standin, memory if kept else None)  # a new adapter process
        again.connect()
        for _ in range(3000):
            if not standin.step():
                break
            again.cycle()
            deals = [e for e in rec2.sent if isinstance(e, ev.Deal) and e.order == placed.order]
            if deals:
                break
        (deal,) = deals
        assert deal.client_id == ("c-9" if kept else "")
        memory.unlink(missing_ok=True)

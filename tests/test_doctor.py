"""mt5bridge doctor against a brain and the fake terminal, with faults that imitate each set-up
failure (wrong secret, symbol missing, algo trading off, a filling mode the EA cannot use, a
netting account, the market closed): each gives its own clear line, and the exit code is 0
only when every check passes."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import zmq

from bridge import doctor
from bridge.cli import EXIT_FAIL, EXIT_OK, EXIT_PEER, main
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.persist.store import Store
from bridge.sim.fake_terminal import FakeTerminal, Faults
from bridge.wire.terminal_wire import TerminalRefused
from tests.test_e2e import SECRET, STRATS, Brain
from tests.test_history_warmup import _day_start

pytestmark = pytest.mark.e2e


def _fixture(tmp: Path, **edits: tuple[str, str]) -> Path:
    """The demo fixture with lines of its fixture.toml replaced (old text -> new text)."""
    folder = tmp / "fixture"
    shutil.copytree(DEMO_FIXTURE, folder)
    toml = folder / "fixture.toml"
    text = toml.read_text()
    for old, new in edits.values():
        assert old in text, old
        text = text.replace(old, new, 1)
    toml.write_text(text)
    return folder


def _doctor(
    tmp: Path,
    fixture: Path = DEMO_FIXTURE,
    strategies: list[dict[str, Any]] | None = None,
    terminal_secret: bytes = SECRET,
    faults: Faults | None = None,
    start_ms: int = 0,
) -> list[doctor.Line]:
    b = Brain(tmp, extra={"strategies": strategies or STRATS})
    ctl = b.runner.server.control
    assert ctl is not None
    endpoint = ctl.getsockopt_string(zmq.LAST_ENDPOINT)
    ft = FakeTerminal(
        load_fixture(fixture), b.endpoint, terminal_secret, faults=faults, start_ms=start_ms
    )
    th = threading.Thread(target=lambda: ft.idle(6.0), daemon=True)
    try:
        if terminal_secret == SECRET:
            th.start()
            _wait_ready(b)
        else:
            with pytest.raises(TerminalRefused):
                ft.connect()
        return doctor.check_brain(b.cfg, doctor.brain_asker(endpoint, SECRET), endpoint)
    finally:
        if th.is_alive():
            th.join(timeout=10)
        ft.close()
        b.runner.stop()


def _wait_ready(b: Brain) -> None:
    """Until the terminal's state is reconciled (its symbols known, its strategies judged)."""
    deadline = time.monotonic() + 10
    while "reconciled" not in b.kinds():
        assert time.monotonic() < deadline, "the fake terminal never became ready"
        time.sleep(0.02)


def _failed(lines: list[doctor.Line]) -> list[str]:
    return [f"{ln.what}: {ln.text}" for ln in lines if ln.verdict == doctor.FAIL]


def test_a_sound_set_up_passes_every_check(tmp_path: Path) -> None:
    fx = _fixture(tmp_path, utc=("hedging = true", "hedging = true\nserver_utc_hours = 2"))
    lines = _doctor(tmp_path, fx)
    text, verdict = doctor.summary(lines)
    assert verdict == 0, text
    assert "EA connected, protocol 2.1" in text
    assert "build 5000, broker mt5bridge simulator" in text
    assert "1001 on mt5bridge-sim: demo, hedging, USD, leverage 1:100" in text
    assert "allowed (terminal, EA, account, broker)" in text
    assert "the broker's server time is UTC+2:00" in text
    assert "symbol US100: digits 2, tick 0.01 worth 0.01, lots 0.01..100 step 0.01" in text
    (rtt,) = [ln for ln in lines if ln.what == "round trip"]
    assert rtt.verdict == doctor.OK and rtt.text.startswith("brain -> EA -> brain ")
    assert SECRET.decode() not in text


def test_a_terminal_with_another_secret(tmp_path: Path) -> None:
    lines = _doctor(tmp_path, terminal_secret=b"not-the-brains-secret")
    (fail,) = [ln for ln in lines if ln.verdict == doctor.FAIL]
    assert fail.text.startswith("no EA connected (terminal fake-1 refused the brain")
    assert "InpSecret" in fail.fix


def test_a_symbol_the_terminal_does_not_offer(tmp_path: Path) -> None:
    gold = {**STRATS[1], "params": {**STRATS[1]["params"], "symbol": "GOLD"}}
    (fail,) = _failed(_doctor(tmp_path, strategies=[STRATS[0], gold]))
    assert fail.startswith("strategy ema_gold: strategy ema_gold names 'GOLD'")
    assert "XAUUSD" in fail


def test_algo_trading_off(tmp_path: Path) -> None:
    failed = _failed(_doctor(tmp_path, faults=Faults(algo_trading_off=True)))
    assert failed == [
        "algo trading: Algo Trading is off in the terminal",
        "algo trading: the EA may not trade",
    ]


def test_a_filling_mode_the_ea_cannot_use(tmp_path: Path) -> None:
    text = (DEMO_FIXTURE / "fixture.toml").read_text()
    gold = text[text.index("[symbols.XAUUSD]") :]
    line = next(ln for ln in gold.splitlines() if ln.startswith("filling_modes"))
    fx = _fixture(tmp_path, fill=(gold[: gold.index(line) + len(line)], gold[: gold.index(line)]
                                  + "filling_modes = 0"))  # fmt: skip
    (fail,) = _failed(_doctor(tmp_path, fx))
    assert fail.startswith("symbol XAUUSD: allows neither fill-or-kill nor immediate-or-cancel")


def test_a_netting_account_for_strategies_that_need_hedging(tmp_path: Path) -> None:
    fx = _fixture(tmp_path, net=("hedging = true", "hedging = false"))
    compression = {
        "kind": "compression",
        "name": "xauusd_compression",
        "magic": 3000,
        "params": {"symbol": "XAUUSD", "adopt_magic": 0},
    }
    failed = _failed(_doctor(tmp_path, fx, strategies=[STRATS[0], compression]))
    assert failed == [
        "account: netting account, but xauusd_compression hold a long and a short on one "
        "symbol at once"
    ]


def test_the_market_closed_is_a_warning(tmp_path: Path) -> None:
    lines = _doctor(tmp_path, start_ms=_day_start(1) - 5 * 60_000)  # Monday 23:55
    assert not _failed(lines)
    closed = [ln.what for ln in lines if ln.text == "market closed now (by its trading sessions)"]
    assert closed == ["symbol US100", "symbol XAUUSD"]


def test_the_command_line_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "brain.toml"
    head = '[brain]\nsecret_env = "DOCTOR_SECRET"\ncontrol_endpoint = "tcp://127.0.0.1:9"\n'
    cfg.write_text(head + 'endpoint = "tcp://127.0.0.1:5999"\n')
    monkeypatch.delenv("DOCTOR_SECRET", raising=False)
    assert main(["doctor", "--config", str(cfg)]) == 2  # no secret: said, nothing asked
    assert "environment variable DOCTOR_SECRET is not set" in capsys.readouterr().out
    monkeypatch.setenv("DOCTOR_SECRET", "whatever")
    assert main(["doctor", "--config", str(cfg), "--endpoint", "tcp://127.0.0.1:9"]) == EXIT_PEER
    assert "FAIL  brain: no answer from tcp://127.0.0.1:9" in capsys.readouterr().out
    b = Brain(tmp_path / "b")
    ctl = b.runner.server.control
    assert ctl is not None
    endpoint = ctl.getsockopt_string(zmq.LAST_ENDPOINT)
    args = ["doctor", "--config", str(cfg), "--endpoint", endpoint]
    try:
        assert main(args) == EXIT_PEER  # the brain's secret is another
        assert "refused the request (not authenticated)" in capsys.readouterr().out
        monkeypatch.setenv("DOCTOR_SECRET", SECRET.decode())
        assert main(args) == EXIT_FAIL
        out = capsys.readouterr().out
        assert "FAIL  terminal: no EA connected" in out
        bound = f"FAIL  endpoint: the brain is bound to {b.endpoint}, but the config says"
        assert f"{bound} tcp://127.0.0.1:5999" in out
        cfg.write_text(head + f'endpoint = "{b.endpoint}"\n')
        ft = FakeTerminal(load_fixture(DEMO_FIXTURE), b.endpoint, SECRET)
        th = threading.Thread(target=lambda: ft.idle(6.0), daemon=True)
        th.start()
        _wait_ready(b)
        assert main(args) == EXIT_OK
        out = capsys.readouterr().out
        assert out.startswith("mt5bridge doctor, ") and "checks: 0 failed" in out
        assert SECRET.decode() not in out
        th.join(timeout=10)
        ft.close()
    finally:
        b.runner.stop()


class _Session:
    """A brain with a store and an idle fake terminal at a trading hour, for the trade test."""

    def __init__(self, tmp: Path, fixture: Path = DEMO_FIXTURE) -> None:
        self.store = Store(f"sqlite:///{tmp / 'doctor.sqlite'}")
        self.brain = Brain(tmp, store=self.store)
        ctl = self.brain.runner.server.control
        assert ctl is not None
        self.ask = doctor.brain_asker(ctl.getsockopt_string(zmq.LAST_ENDPOINT), SECRET)
        self.ft = FakeTerminal(
            load_fixture(fixture), self.brain.endpoint, SECRET, start_ms=_day_start(1) + 36_000_000
        )
        self.th = threading.Thread(target=lambda: self.ft.idle(8.0), daemon=True)
        self.th.start()
        _wait_ready(self.brain)

    def close(self) -> None:
        self.th.join(timeout=15)
        self.ft.close()
        self.brain.runner.stop()
        self.store.close()


def test_the_trade_test_opens_modifies_and_closes_the_smallest_order(tmp_path: Path) -> None:
    s = _Session(tmp_path)
    try:
        lines = doctor.trade_test(s.ask, "fake-1", "US100")
        left = s.ask("doctor", "")["terminals"]["fake-1"]["doctor_positions"]
    finally:
        s.close()
    text = "\n".join(map(str, lines))
    assert [(ln.verdict, ln.what) for ln in lines] == [
        (doctor.OK, "trade open"),
        (doctor.OK, "trade modify"),
        (doctor.NOTE, "trade partial"),
        (doctor.OK, "trade close"),
    ], text
    assert "retcode 10009" in lines[0].text and "slippage +0 points" in lines[0].text
    assert "cannot be split" in lines[2].text
    assert left == []
    deals = [d for d in s.ft.summary.deals if d.magic == doctor_magic()]
    assert [(d.entry, d.volume) for d in deals] == [(0, 0.01), (1, 0.01)]  # in, then out
    con = sqlite3.connect(tmp_path / "doctor.sqlite")  # audited as any order, with its magic
    states = con.execute(
        "select state from orders where magic = ? order by id", (doctor_magic(),)
    ).fetchall()
    assert [st for (st,) in states] == ["sent", "filled", "sent", "done", "sent", "done"]
    assert s.brain.kinds().count("doctor_trade") == 3  # open, modify, close: logged


def doctor_magic() -> int:
    from bridge.live.doctor import DOCTOR_MAGIC

    return DOCTOR_MAGIC


def test_the_trade_test_is_refused_on_a_real_account_unless_asked(tmp_path: Path) -> None:
    fx = _fixture(tmp_path, real=("hedging = true", "hedging = true\ntrade_mode = 2"))
    s = _Session(tmp_path, fx)
    try:
        refused = doctor.trade_test(s.ask, "fake-1", "US100")
        allowed = doctor.trade_test(s.ask, "fake-1", "US100", real_ok=True)
    finally:
        s.close()
    assert [str(ln) for ln in refused] == [
        "FAIL  trade open: refused by the brain: not a demo account: the trade test is refused"
    ]
    assert [ln.verdict for ln in allowed] == [doctor.OK, doctor.OK, doctor.NOTE, doctor.OK]


def test_the_trade_test_closes_what_it_opened_when_interrupted(tmp_path: Path) -> None:
    s = _Session(tmp_path)

    def interrupted(verb: str, arg: str) -> dict[str, Any]:
        if arg.startswith("trade:modify"):
            raise KeyboardInterrupt  # Ctrl-C while the position is open
        return s.ask(verb, arg)

    try:
        with pytest.raises(KeyboardInterrupt):
            doctor.trade_test(interrupted, "fake-1", "US100")
        time.sleep(0.5)  # the close's answer
        left = s.ask("doctor", "")["terminals"]["fake-1"]["doctor_positions"]
    finally:
        s.close()
    assert left == []
    assert not [p for p in s.ft.term.sim.positions.values() if p.magic == doctor_magic()]

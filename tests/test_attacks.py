"""What a peer that does not hold the secret can do to the brain: nothing that stops it, and
nothing that makes it hold much (second pass of the outside attack, docs/reliability.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from bridge.brain.engine import Engine
from bridge.live.control import control_call
from bridge.live.server import BrainServer
from tests.helpers import Scripted

SECRET = b"attack-secret"


@pytest.fixture(params=["zmq", "zmtp"])
def brain(request: pytest.FixtureRequest) -> Iterator[tuple[BrainServer, str]]:
    srv = BrainServer(
        lambda tid, send: Engine([], {}, send),
        endpoint="tcp://127.0.0.1:0",
        control_endpoint="tcp://127.0.0.1:0",
        secret=SECRET,
        transport=request.param,
    )
    assert srv.control is not None
    ctl = srv.control.getsockopt_string(zmq.LAST_ENDPOINT)
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    yield srv, ctl
    srv.stop_event.set()
    th.join(5)
    srv.close()


def req(endpoint: str, timeout_ms: int) -> zmq.Socket[bytes]:
    """A plain REQ socket to the control endpoint, as any peer could open."""
    s: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.connect(endpoint)
    return s


def test_a_multipart_control_request_is_answered_and_the_brain_lives_on(
    brain: tuple[BrainServer, str],
) -> None:
    srv, ctl = brain
    s = req(ctl, 3000)
    s.send_multipart([b"status|x|1", b"second part"])
    assert "several parts" in s.recv_string()
    s.close(0)
    time.sleep(0.1)
    reply = control_call(ctl, SECRET, "status")  # still serving
    assert reply["ok"] and not srv.stop_event.is_set()


def test_a_control_request_larger_than_any_legal_one_is_dropped_not_buffered(
    brain: tuple[BrainServer, str],
) -> None:
    srv, ctl = brain
    s = req(ctl, 500)
    s.send(b"x" * 1_000_000)
    with pytest.raises(zmq.Again):  # ZeroMQ dropped the connection: nothing reached the brain
        s.recv()
    s.close(0)
    assert control_call(ctl, SECRET, "status")["ok"]
    assert srv.control is not None and srv.control.getsockopt(zmq.MAXMSGSIZE) == 4096


def test_the_terminal_endpoint_limits_a_message_to_the_largest_frame() -> None:
    from bridge.wire import codec, transport

    ep = transport.ZmqEndpoint("tcp://127.0.0.1:0")
    try:
        assert ep.sock.getsockopt(zmq.MAXMSGSIZE) == codec.MAX_FRAME_BYTES
    finally:
        ep.close()


def test_a_captured_control_request_sent_again_is_refused(
    brain: tuple[BrainServer, str],
) -> None:
    from bridge.live import control
    from bridge.wire import auth

    srv, ctl = brain
    t = str(int(time.time() * 1000))
    raw = f"halt|x|{t}|n1|{auth.mac(SECRET, f'halt|x|{t}|n1')}"
    replies = []
    for _ in range(2):  # the same bytes twice, as a peer that captured them would
        s = req(ctl, 3000)
        s.send_string(raw)
        replies.append(s.recv_string())
        s.close(0)
    assert '"ok": true' in replies[0] and "replayed request refused" in replies[1]
    assert srv.seen_requests.first_time("another mac", time.time() * 1000)
    assert isinstance(srv.seen_requests, control.SeenRequests)


def test_a_secret_put_into_secret_env_is_never_repeated() -> None:
    from bridge.wire.auth import SecretMissing, secret_from_env

    leaked = "s3cr3t value with spaces!"
    with pytest.raises(SecretMissing) as exc:
        secret_from_env(leaked)
    assert leaked not in str(exc.value) and "not shown" in str(exc.value)
    with pytest.raises(SecretMissing, match="MT5BRIDGE_NOT_SET_ANYWHERE is not set"):
        secret_from_env("MT5BRIDGE_NOT_SET_ANYWHERE")


def test_the_database_and_journal_are_created_private(tmp_path: Path) -> None:
    from bridge.persist.store import Store

    s = Store(f"sqlite:///{tmp_path / 'a.sqlite'}", config="c.toml sha256:0")
    try:
        assert (tmp_path / "a.sqlite").stat().st_mode & 0o777 == 0o600
        assert s.journal_path.stat().st_mode & 0o777 == 0o600
    finally:
        s.close()


def test_a_run_keeps_a_digest_of_its_config_not_its_text(tmp_path: Path) -> None:
    from bridge.cli import config_identity

    cfg = tmp_path / "live.toml"
    cfg.write_text("# my broker login is 12345678\n[brain]\n")
    got = config_identity(cfg)
    assert "12345678" not in got and got.startswith(str(cfg)) and "sha256:" in got


@pytest.mark.parametrize(
    ("account", "said"),
    [
        ("balance = nan", "balance must be a number"),
        ("leverage = 0", "leverage must be a whole number >= 1"),
        ('hedging = "yes"', "hedging must be true or false"),
    ],
)
def test_a_fixture_account_that_makes_no_sense_is_refused(
    tmp_path: Path, account: str, said: str
) -> None:
    from bridge.data.fixtures import FixtureError, load_fixture

    (tmp_path / "fixture.toml").write_text(f"[account]\n{account}\n")
    with pytest.raises(FixtureError, match=said):
        load_fixture(tmp_path)


def test_bar_prices_of_zero_and_a_truncated_gz_are_clear_errors(tmp_path: Path) -> None:
    import gzip

    from bridge.data.fixtures import FixtureError, read_bars

    csv = "time,open,high,low,close,tick_volume,spread\n"
    rows = "".join(f"2026-01-05 10:{m:02d},1.0,1.0,1.0,1.0,1,0\n" for m in range(50))
    (tmp_path / "zero.csv").write_text(csv + rows + "2026-01-05 10:50,0.0,1.0,0.0,0.0,1,0\n")
    with pytest.raises(FixtureError, match="row 52: column open is not a positive number"):
        read_bars(tmp_path / "zero.csv", "X")
    blob = gzip.compress((csv + rows * 40).encode())
    (tmp_path / "cut.csv.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FixtureError, match=r"cut\.csv\.gz: the file ends early"):
        read_bars(tmp_path / "cut.csv.gz", "X")


def test_a_strategy_naming_a_symbol_the_fixture_lacks_is_a_clear_error() -> None:
    from bridge.data.fixtures import DEMO_FIXTURE, FixtureError, load_fixture
    from bridge.replay.backtest import run_backtest
    from strategies.ema_cross import EmaCross, EmaCrossParams

    fx = load_fixture(DEMO_FIXTURE)  # US100, SPX500, XAUUSD
    s = EmaCross(EmaCrossParams(symbol="US100.cash"), name="mine")  # another broker's name
    with pytest.raises(FixtureError, match=r"strategy mine names 'US100\.cash'.*closest: US100"):
        run_backtest(fx, [s])


def test_an_unknown_verb_or_strategy_is_bad_input_exit_code_2(
    brain: tuple[BrainServer, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Before: answered like a peer that refused us (exit code 3)."""
    import os

    from bridge import cli

    srv, ctl = brain
    reply = control_call(ctl, SECRET, "strategy", "nobody:pause", timeout_ms=20_000)
    assert not reply["ok"] and "no terminal is connected" in reply["error"]  # not a vacuous ok
    srv.engines["t"] = Engine([Scripted()], {}, lambda c: None)
    for verb, arg in (("strategy", "nobody:pause"), ("frobnicate", "")):
        reply = control_call(ctl, SECRET, verb, arg, timeout_ms=20_000)
        assert not reply["ok"] and reply.get("bad_input") is True, reply
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[brain]\ncontrol_endpoint = "{ctl}"\nsecret_env = "ATTACK_SECRET"\n')
    monkeypatch.setitem(os.environ, "ATTACK_SECRET", SECRET.decode())
    assert cli.main(["strategy", "nobody", "pause", "--config", str(cfg)]) == cli.EXIT_INPUT


def test_the_same_command_sent_twice_in_one_millisecond_is_not_a_replay(
    brain: tuple[BrainServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two identical requests with the same time used to be the same bytes, the second refused
    as a replay; a nonce in every request tells them apart (a captured one is still refused)."""
    from bridge.live import control

    _srv, ctl = brain
    frozen = time.time()
    monkeypatch.setattr(control.time, "time", lambda: frozen)
    first = control_call(ctl, SECRET, "status", timeout_ms=20_000)
    second = control_call(ctl, SECRET, "status", timeout_ms=20_000)
    assert first["ok"] and second["ok"], second

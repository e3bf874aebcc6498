"""Peers that have not proven the secret: a session is bound to its connection, and what such
peers may hold (connections, time, reads, log lines) is bounded while the authenticated
terminal keeps being served (docs/reliability.md, the second pass of the outside attack)."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from bridge.brain.engine import Engine
from bridge.core import events as ev
from bridge.data.fixtures import load_fixture
from bridge.live.control import control_call
from bridge.live.noise import BURST
from bridge.live.server import BrainServer
from bridge.sim.fake_terminal import FakeTerminal
from bridge.wire import auth, codec
from bridge.wire.zmtp import Router

SECRET = b"untrusted-secret"


class Brain:
    """A brain with no strategies on a thread; its log lines kept."""

    def __init__(self, transport: str, **kw: Any) -> None:
        self.logs: list[tuple[str, dict[str, Any]]] = []
        self.engines: list[Engine] = []

        def make(tid: str, send: Any) -> Engine:
            self.engines.append(Engine([], {}, send))
            return self.engines[-1]

        self.srv = BrainServer(
            make,
            endpoint="tcp://127.0.0.1:0",
            control_endpoint="tcp://127.0.0.1:0",
            secret=SECRET,
            transport=transport,
            on_log=lambda k, d: self.logs.append((k, d)),
            **kw,
        )
        assert self.srv.control is not None
        self.control = self.srv.control.getsockopt_string(zmq.LAST_ENDPOINT)
        self.thread = threading.Thread(target=self.srv.serve, daemon=True)
        self.thread.start()

    def kinds(self) -> list[str]:
        return [k for k, _ in self.logs]

    def stop(self) -> None:
        if self.srv.stop_event.is_set():
            return
        self.srv.stop_event.set()
        self.thread.join(10)
        self.srv.close()


@pytest.fixture(params=["zmq", "zmtp"])
def brain(request: pytest.FixtureRequest) -> Iterator[Brain]:
    b = Brain(request.param)
    yield b
    b.stop()


def dealer(endpoint: str, ident: bytes | None = None) -> zmq.Socket[bytes]:
    s: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if ident is not None:
        s.setsockopt(zmq.ROUTING_ID, ident)
    s.connect(endpoint)
    return s


def expect(s: zmq.Socket[bytes], kind: type, ms: int = 5000) -> Any:
    assert s.poll(ms), f"no {kind.__name__} from the brain"
    _seq, msg = codec.decode(s.recv())
    assert isinstance(msg, kind), msg
    return msg


def authenticate(s: zmq.Socket[bytes], terminal_id: str = "t-1") -> None:
    nonce = auth.new_nonce()
    s.send(codec.encode(ev.Hello(codec.PROTOCOL_VERSION, terminal_id, 7, 0, "Srv", nonce), 1))
    ch = expect(s, ev.Challenge)
    s.send(codec.encode(ev.Auth(auth.answer_challenge(SECRET, nonce, ch.nonce, ch.proof)), 2))
    expect(s, ev.Welcome)


def wait_until(cond: Any, s: float = 5.0) -> None:
    end = time.monotonic() + s
    while not cond():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.01)


def test_a_new_connection_reusing_an_authenticated_routing_id_starts_unauthenticated(
    brain: Brain,
) -> None:
    """The routing id a terminal chose is no credential: once its connection is gone, a new
    connection presenting it must prove the secret again; its market data is refused."""
    t1 = dealer(brain.srv.endpoint, b"TERMINAL-1")
    authenticate(t1)
    wait_until(lambda: "terminal_ready" in brain.kinds())
    t1.close(0)
    time.sleep(0.3)  # the old connection is gone on the brain's side: its routing id is free
    t2 = dealer(brain.srv.endpoint, b"TERMINAL-1")
    t2.send(codec.encode(ev.Tick("US100", 1767607200000, 21000.0, 21001.5), 3))
    err = expect(t2, ev.Error)
    t2.close(0)
    assert err.code == 3 and "Tick before the handshake completed" in err.text
    (eng,) = brain.engines
    assert eng.last_tick == {}  # nothing the impostor sent reached the engine
    assert brain.srv.stats.refused == 1


def test_a_peer_that_does_not_authenticate_in_time_is_forgotten(brain: Brain) -> None:
    brain.srv.auth_ms = 300
    router = getattr(brain.srv.transport, "router", None)
    if router is not None:
        router.auth_ms = 300
    s = dealer(brain.srv.endpoint)
    s.send(codec.encode(ev.Hello(codec.PROTOCOL_VERSION, "slow", 1, 0, "Srv", "a" * 32), 1))
    expect(s, ev.Challenge)  # ... and never answers
    wait_until(lambda: brain.srv.noise.dropped == 1)
    assert brain.srv.links == {}
    assert "not authenticated within 300 ms" in str(brain.logs)
    if router is not None:
        assert router.peers == {}  # the connection itself is closed
    s.close(0)
    status = control_call(brain.control, SECRET, "status")
    assert status["terminals"] == {}
    assert status["unauthenticated"] == {"now": 0, "connections": 1, "bad_frames": 0, "dropped": 1}


def test_a_flood_of_bad_frames_is_counted_and_its_log_lines_are_bounded(brain: Brain) -> None:
    """Every bad frame used to be a log line and an audit row: now the first few per minute
    are, the rest are counted and summed up in one line."""
    peers = [dealer(brain.srv.endpoint) for _ in range(3)]
    end = time.monotonic() + 20
    while brain.srv.noise.bad_frames < 600:  # a dropped peer reconnects; frames in flight are lost
        assert time.monotonic() < end, brain.srv.noise
        for p in peers:
            p.send(b"x")
        time.sleep(0.001)
    for p in peers:
        p.close(0)
    brain.stop()
    brain.srv.budget.flush(brain.srv.budget.started + brain.srv.budget.window_ms)
    bad = brain.srv.noise.bad_frames
    kinds = brain.kinds()
    assert kinds.count("bad_frame") == BURST
    assert kinds.count("connection_dropped") <= BURST
    (summary,) = [d for k, d in brain.logs if k == "suppressed" and d["of"] == "bad_frame"]
    assert summary["count"] == bad - BURST and summary["source"] == "unauthenticated"
    assert len(brain.srv.links) <= 3  # a dropped peer's link is freed
    assert brain.srv.noise.dropped >= bad // 8 - 3


def raw_connection(endpoint: str) -> socket.socket:
    host, port = endpoint[6:].rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=5)


def closed_by_peer(s: socket.socket) -> bool:
    s.settimeout(2)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_zmtp_drops_the_oldest_unauthenticated_connection_beyond_its_limit() -> None:
    b = Brain("zmtp")
    try:
        router = b.srv.transport.router  # type: ignore[union-attr]
        router.max_peers = 4
        t = dealer(b.srv.endpoint, b"REAL")
        authenticate(t)
        wait_until(lambda: "terminal_ready" in b.kinds())
        raws = []
        for _ in range(5):
            raws.append(raw_connection(b.srv.endpoint))
            time.sleep(0.05)
        wait_until(lambda: router.evicted >= 2)
        assert closed_by_peer(raws[0]) and closed_by_peer(raws[1])  # the oldest two
        assert len(router.peers) == 4 and router.by_ident[b"REAL"].trusted
        t.send(codec.encode(ev.Heartbeat(1), 3))  # the terminal is still served
        wait_until(lambda: b.srv.stats.bad_frames == 0 and b.srv.links[b"REAL"].seq_in == 3)
        for r in raws:
            r.close()
        t.close(0)
    finally:
        b.stop()


def test_zmtp_closes_a_half_open_connection_after_the_deadline() -> None:
    r = Router("tcp://127.0.0.1:0", auth_ms=200)
    try:
        s = raw_connection(r.endpoint)  # connects, sends nothing
        time.sleep(0.05)
        r.readable(r.listener.fileno())
        assert len(r.peers) == 1
        time.sleep(0.25)
        r.expire()
        assert r.peers == {} and r.evicted == 1
        assert closed_by_peer(s)
        s.close()
    finally:
        r.close()


class NoDescriptors:
    """A listening socket whose accept fails as it does when the process has no file
    descriptor left."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real
        self.calls = 0

    def fileno(self) -> int:
        return self.real.fileno()

    def accept(self) -> Any:
        self.calls += 1
        raise OSError(errno.EMFILE, "Too many open files")

    def close(self) -> None:
        self.real.close()


def test_zmtp_survives_accept_failing_for_lack_of_descriptors() -> None:
    r = Router("tcp://127.0.0.1:0", auth_ms=60_000)
    try:
        s1 = raw_connection(r.endpoint)
        time.sleep(0.05)
        r.readable(r.listener.fileno())
        assert len(r.peers) == 1
        real = r.listener
        r.listener = NoDescriptors(real)  # type: ignore[assignment]
        assert r.readable(real.fileno()) == []  # no exception: the untrusted peer gives way
        assert r.peers == {} and r.evicted == 1 and closed_by_peer(s1)
        # the second failed accept found nobody left to drop: accepting pauses for a second
        assert r.listener.calls == 2  # type: ignore[attr-defined]
        assert r.readable(real.fileno()) == []
        assert r.listener.calls == 2  # type: ignore[attr-defined]
        r.accept_paused_until = 0.0  # the second has passed
        r.listener = real
        assert r.readable(real.fileno()) == [] and len(r.peers) == 0  # nobody waiting
        s2 = raw_connection(r.endpoint)
        time.sleep(0.05)
        r.readable(real.fileno())
        assert len(r.peers) == 1  # accepting again
        s2.close()
        s1.close()
    finally:
        r.close()


FLOOD = """
import sys, time, zmq
peers = [zmq.Context.instance().socket(zmq.DEALER) for _ in range(int(sys.argv[2]))]
for p in peers:
    p.setsockopt(zmq.LINGER, 0)
    p.connect(sys.argv[1])
sent = 0
while True:
    for p in peers:
        try:
            p.send(b"x", zmq.NOBLOCK)
            sent += 1
        except zmq.Again:
            pass
"""


def flood(endpoint: str, peers: int) -> subprocess.Popen[bytes]:
    """Peers in another process sending one-byte frames as fast as they can (reconnecting
    when dropped): a process of its own, as an attacker's would be."""
    proc = subprocess.Popen([sys.executable, "-c", FLOOD, endpoint, str(peers)])
    time.sleep(0.5)  # connected and flooding
    return proc


@pytest.mark.e2e
@pytest.mark.parametrize("transport", ["zmq", "zmtp"])
def test_the_authenticated_terminal_is_served_through_a_flood(
    transport: str, day_fixture: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lockstep terminal streams while unauthenticated peers flood the port with one-byte
    frames: no false 'terminal silent' halt, every event handled, the wait for each READY
    measured (figures in docs/reliability.md)."""
    b = Brain(transport, silence_ms=3000)
    ft = FakeTerminal(load_fixture(day_fixture), b.srv.endpoint, SECRET, ready_timeout_s=10)
    proc = None
    try:
        ft.connect()
        proc = flood(b.srv.endpoint, 8)
        began = time.monotonic()
        summary = ft.run(limit=1500)
        took = time.monotonic() - began
        halts_during = b.srv.stats.halts  # closing the terminal's connection halts, as it should
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        ft.close()
        b.stop()
    assert summary.market_events == 1500
    assert halts_during == 0 and "terminal_silent" not in b.kinds()
    assert b.srv.noise.bad_frames > 1000, "the flood must reach the brain to prove anything"
    assert summary.worst_ready_ms < 3000  # below the brain's own silence threshold
    with capsys.disabled():
        print(
            f"\n[{transport}] flood of 8 peers: {b.srv.noise.bad_frames} one-byte frames reached "
            f"the brain; 1500 events in {took:.1f} s, worst READY wait "
            f"{summary.worst_ready_ms:.0f} ms"
        )

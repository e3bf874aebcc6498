"""ZMTP on plain sockets (bridge/wire/zmtp.py): the framing, and a Router that pyzmq DEALERs and our
own Client talk to as to a pyzmq ROUTER. (Whole sessions over it: tests/test_e2e.py runs every
brain-fixture test on both transports.)"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from bridge.wire import zmtp


def pump(r: zmtp.Router, until: float = 2.0) -> list[tuple[bytes, bytes | None]]:
    """Serve the router until something arrives (or ``until`` seconds pass)."""
    got: list[tuple[bytes, bytes | None]] = []
    end = time.monotonic() + until
    poller = zmq.Poller()
    while time.monotonic() < end and not got:
        poller = zmq.Poller()
        for fd in r.fds():
            poller.register(fd, zmq.POLLIN)
        for fd, _ev in poller.poll(20):
            got += r.readable(fd)
        r.flush()
    return got


def connect(r: zmtp.Router) -> zmtp.Client:
    """Our client, connected while the router is served (its handshake waits for the
    router's greeting and READY)."""
    box: list[zmtp.Client] = []
    th = threading.Thread(target=lambda: box.append(zmtp.Client(r.endpoint)))
    th.start()
    end = time.monotonic() + 5
    while th.is_alive() and time.monotonic() < end:
        pump(r, 0.05)
    th.join(1)
    return box[0]


@pytest.fixture
def router() -> Iterator[zmtp.Router]:
    r = zmtp.Router("tcp://127.0.0.1:0", max_frame=4096)
    yield r
    r.close()


@given(
    st.lists(st.tuples(st.sampled_from([0, zmtp.FLAG_MORE]), st.binary(max_size=600)), max_size=8),
    st.integers(1, 70),
)
def test_frames_read_in_any_chunks_are_the_frames_written(
    frames: list[tuple[int, bytes]], chunk: int
) -> None:
    wire = zmtp.greeting() + b"".join(zmtp.frame(body, flags) for flags, body in frames)
    reader = zmtp.FrameReader(1000)
    got: list[tuple[int, bytes]] = []
    for i in range(0, len(wire), chunk):
        got += reader.feed(wire[i : i + chunk])
    assert [(f & zmtp.FLAG_MORE, b) for f, b in got] == frames
    assert all(f & zmtp.FLAG_LONG == (len(b) > 255) * zmtp.FLAG_LONG for f, b in got)


def test_bad_greetings_and_oversized_frames_are_refused() -> None:
    with pytest.raises(zmtp.ZmtpError, match="not a ZMTP peer"):
        zmtp.FrameReader(10).feed(b"GET / HTTP/1.1\r\n")
    plain = bytearray(zmtp.greeting())
    plain[12:17] = b"PLAIN"
    with pytest.raises(zmtp.ZmtpError, match="PLAIN"):
        zmtp.FrameReader(10).feed(bytes(plain))
    with pytest.raises(zmtp.ZmtpError, match="exceeds 10"):
        zmtp.FrameReader(10).feed(zmtp.greeting() + zmtp.frame(b"x" * 11))


def test_a_pyzmq_dealer_talks_to_the_router(router: zmtp.Router) -> None:
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.RCVTIMEO, 3000)
    try:
        d.connect(router.endpoint)
        d.send(b"hello")
        ((ident, body),) = pump(router)
        assert body == b"hello" and len(ident) == 5 and ident[0] == 0
        router.send(ident, b"x" * 1000)  # a long frame
        assert d.recv() == b"x" * 1000
        d.send_multipart([b"one", b"two"])
        assert pump(router) == [(ident, None)]  # several parts: reported, not passed on
        d.send(b"after")
        assert pump(router) == [(ident, b"after")]  # the framing did not shift
        assert not router.send(b"\0nope", b"x") and router.dropped == 1
    finally:
        d.close(0)


def test_our_client_and_a_peer_naming_its_identity(router: zmtp.Router) -> None:
    c = connect(router)
    d = zmq.Context.instance().socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.ROUTING_ID, b"terminal-7")
    d.setsockopt(zmq.RCVTIMEO, 3000)
    try:
        c.send(b"from client")
        ((ident, body),) = pump(router)
        assert body == b"from client"
        router.send(ident, b"back")
        assert c.recv() == b"back"
        d.connect(router.endpoint)
        d.send(b"named")
        assert pump(router) == [(b"terminal-7", b"named")]
        router.send(b"terminal-7", b"to you")
        assert d.recv() == b"to you"
    finally:
        c.close()
        d.close(0)


def test_a_peer_breaking_the_protocol_is_disconnected(router: zmtp.Router) -> None:
    s = socket.create_connection(("127.0.0.1", int(router.endpoint.rsplit(":", 1)[1])))
    try:
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        pump(router, 0.5)
        assert router.peers == {}
        s.settimeout(2)
        data = b""
        while chunk := s.recv(4096):  # our greeting, then the close
            data += chunk
        assert data.startswith(zmtp.greeting())
    finally:
        s.close()


def test_a_ping_is_answered_with_its_context(router: zmtp.Router) -> None:
    c = connect(router)
    try:
        c.sock.sendall(zmtp.frame(b"\x04PING\x00\x0actx", zmtp.FLAG_COMMAND))
        c.send(b"then a message")
        pump(router)
        c.sock.settimeout(2)
        wire = b""
        while b"PONG" not in wire:
            wire += c.sock.recv(4096)
        assert zmtp.frame(b"\x04PONGctx", zmtp.FLAG_COMMAND) in wire
    finally:
        c.close()

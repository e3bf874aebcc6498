"""The brain's terminal endpoint: a pyzmq ROUTER socket (``zmq``, the default) or ZMTP spoken
directly on plain sockets (``zmtp``, bridge/wire/zmtp.py: the same wire, no ZeroMQ I/O thread).
Both deliver (identity, frame) pairs and send one frame to an identity; a message of several
parts (or an empty one) comes as (identity, None), and (identity, GONE) says that identity's
connection ended or was replaced: whatever the brain knew of it (its authentication above all)
must not pass to the next connection using that identity.

ZeroMQ does not tell a ROUTER's user which connection a message came from, and a routing id
freed by a departed peer may be taken by the next connection. The ``zmq`` endpoint answers
ZeroMQ's authentication requests (ZAP) itself, giving every connection a number that all its
messages carry, so a new connection presenting a departed peer's routing id is told apart from
it. The ``zmtp`` endpoint knows its connections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import zmq

from bridge.wire import codec
from bridge.wire.zmtp import GONE, Router, frame

TRANSPORTS = ("zmq", "zmtp")
BATCH = 1000  # messages read per wake-up at most, so housekeeping still runs
MAX_MESSAGE_BYTES = codec.MAX_FRAME_BYTES  # the largest legal frame (ZMQ_MAXMSGSIZE)
AUTH_MS = 5000  # an unauthenticated connection is dropped after this long (zmtp endpoint)
MAX_PEERS = 64  # connections held at once (zmtp endpoint): the oldest untrusted gives way
ZAP_ENDPOINT = "inproc://zeromq.zap.01"  # where ZeroMQ asks about each new connection
__all__ = ["GONE", "TRANSPORTS", "Endpoint", "open_endpoint"]


class Endpoint(Protocol):
    endpoint: str

    def watch(self, poller: zmq.Poller) -> None: ...

    def receive(
        self, ready: dict[object, int], poller: zmq.Poller
    ) -> Iterator[tuple[bytes, bytes | None]]: ...

    def send(self, ident: bytes, data: bytes) -> None: ...

    def idle_ms(self, wanted: int) -> int:
        """How long the loop may wait for input."""
        ...

    def frame(self, body: bytes) -> bytes:
        """What this process makes of a message before the socket takes it (the order path
        warmer frames its dry commands with it)."""
        ...

    def trust(self, ident: bytes) -> None:
        """The brain authenticated this connection (it leaves the untrusted peers' limits)."""
        ...

    def disconnect(self, ident: bytes) -> None:
        """Drop this connection if the transport can (a pyzmq ROUTER cannot)."""
        ...

    def expire(self) -> None:
        """Drop connections that did not authenticate in time (where the transport can)."""
        ...

    def close(self) -> None: ...


class ZmqEndpoint:
    def __init__(self, endpoint: str) -> None:
        # a context of its own: the connection-numbering handler below is bound per context
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        self.zap = self.ctx.socket(zmq.REP)
        self.zap.setsockopt(zmq.LINGER, 0)
        self.zap.bind(ZAP_ENDPOINT)
        self.connections = 0  # numbered by the handler: message metadata "User-Id"
        self.sock: zmq.Socket[bytes] = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 0)
        # no peer makes the brain hold more than one legal frame per message part: a larger one
        # drops the connection inside ZeroMQ (which otherwise buffers it whole)
        self.sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.sock.setsockopt(zmq.HANDSHAKE_IVL, AUTH_MS)  # a ZMTP greeting must come in time
        self.sock.setsockopt(zmq.ZAP_DOMAIN, b"mt5bridge")  # every connection asks the handler
        self.sock.bind(endpoint)
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.conn_of: dict[bytes, str] = {}  # identity -> the connection its messages came on

    def watch(self, poller: zmq.Poller) -> None:
        poller.register(self.sock, zmq.POLLIN)
        poller.register(self.zap, zmq.POLLIN)

    def _number_connections(self) -> None:
        """Answer ZeroMQ's authentication requests (RFC 27, ZAP): every connection is accepted
        (the brain authenticates terminals itself) and given a number that each of its
        messages then carries."""
        while True:
            try:
                req = self.zap.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self.connections += 1
            rid = req[1] if len(req) > 1 else b""
            self.zap.send_multipart([b"1.0", rid, b"200", b"OK", b"%d" % self.connections, b""])

    def receive(
        self, ready: dict[object, int], poller: zmq.Poller
    ) -> Iterator[tuple[bytes, bytes | None]]:
        if self.zap in ready:
            self._number_connections()
        if self.sock not in ready:
            return
        recv = self.sock.recv
        conn_of = self.conn_of
        for _ in range(BATCH):
            try:
                ident = recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            # a message's parts arrive together; two plain recvs cost a fifth of
            # recv_multipart, and a frame's ``more`` flag tells a stray multipart apart
            part = recv(zmq.NOBLOCK, copy=False)
            conn = str(part.get("User-Id"))
            if conn_of.get(ident) != conn:  # the first message of this identity's connection
                if ident in conn_of:
                    yield ident, GONE  # the identity's earlier connection has ended
                conn_of[ident] = conn
            if part.more:
                while part.more:
                    part = recv(zmq.NOBLOCK, copy=False)
                yield ident, None
                continue
            body = part.bytes
            yield ident, body if body else None

    def send(self, ident: bytes, data: bytes) -> None:
        self.sock.send_multipart((ident, data), copy=False)

    def frame(self, body: bytes) -> bytes:
        return body  # ZeroMQ frames it on its I/O thread

    def idle_ms(self, wanted: int) -> int:
        return wanted

    def trust(self, ident: bytes) -> None:
        pass

    def disconnect(self, ident: bytes) -> None:
        self.conn_of.pop(ident, None)  # a ROUTER cannot drop one peer: forget it instead

    def expire(self) -> None:
        pass  # ZMQ_HANDSHAKE_IVL bounds the ZMTP greeting; the brain forgets late links

    def close(self) -> None:
        self.sock.close(0)
        self.zap.close(0)
        self.ctx.term()


class ZmtpEndpoint:
    def __init__(self, endpoint: str) -> None:
        self.router = Router(
            endpoint, max_frame=codec.MAX_FRAME_BYTES, max_peers=MAX_PEERS, auth_ms=AUTH_MS
        )
        self.endpoint = self.router.endpoint
        self._watched: set[int] = set()

    def watch(self, poller: zmq.Poller) -> None:
        fds = set(self.router.fds())
        for fd in self._watched - fds:
            poller.unregister(fd)
        for fd in fds - self._watched:
            poller.register(fd, zmq.POLLIN)
        self._watched = fds

    def receive(
        self, ready: dict[object, int], poller: zmq.Poller
    ) -> Iterator[tuple[bytes, bytes | None]]:
        if self.router.gone:  # ended while the brain was sending
            yield from self.router.take_gone()
        for fd in ready:
            if type(fd) is int and fd in self._watched:
                yield from self.router.readable(fd)
        if self.router.changed:
            self.router.changed = False
            self.watch(poller)
        if self.router.pending_out:
            self.router.flush()

    def send(self, ident: bytes, data: bytes) -> None:
        self.router.send(ident, data)

    def frame(self, body: bytes) -> bytes:
        return frame(body)

    def idle_ms(self, wanted: int) -> int:
        return 1 if self.router.pending_out else wanted

    def trust(self, ident: bytes) -> None:
        self.router.trust(ident)

    def disconnect(self, ident: bytes) -> None:
        self.router.disconnect(ident)

    def expire(self) -> None:
        self.router.expire()

    def close(self) -> None:
        self.router.close()


def open_endpoint(kind: str, endpoint: str) -> ZmqEndpoint | ZmtpEndpoint:
    if kind == "zmq":
        return ZmqEndpoint(endpoint)
    if kind == "zmtp":
        return ZmtpEndpoint(endpoint)
    raise ValueError(f"transport {kind!r}: use one of {', '.join(TRANSPORTS)}")

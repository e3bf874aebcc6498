"""The brain's terminal endpoint: a pyzmq ROUTER socket (``zmq``, the default) or ZMTP spoken
directly on plain sockets (``zmtp``, bridge/wire/zmtp.py: the same wire, no ZeroMQ I/O thread).
Both deliver (identity, frame) pairs and send one frame to an identity; a message of several
parts comes as (identity, None)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import zmq

from bridge.wire import codec
from bridge.wire.zmtp import Router, frame

TRANSPORTS = ("zmq", "zmtp")
BATCH = 1000  # messages read per wake-up at most, so housekeeping still runs
MAX_MESSAGE_BYTES = codec.MAX_FRAME_BYTES  # the largest legal frame (ZMQ_MAXMSGSIZE)


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

    def close(self) -> None: ...


class ZmqEndpoint:
    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str) -> None:
        self.sock: zmq.Socket[bytes] = ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 0)
        # no peer makes the brain hold more than one legal frame per message part: a larger one
        # drops the connection inside ZeroMQ (which otherwise buffers it whole)
        self.sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.sock.bind(endpoint)
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def watch(self, poller: zmq.Poller) -> None:
        poller.register(self.sock, zmq.POLLIN)

    def receive(
        self, ready: dict[object, int], poller: zmq.Poller
    ) -> Iterator[tuple[bytes, bytes | None]]:
        if self.sock not in ready:
            return
        recv = self.sock.recv
        for _ in range(BATCH):
            try:
                ident = recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            # a message's parts arrive together; two plain recvs cost a fifth of
            # recv_multipart, and a frame's ``more`` flag tells a stray multipart apart
            part = recv(zmq.NOBLOCK, copy=False)
            if part.more:
                while part.more:
                    part = recv(zmq.NOBLOCK, copy=False)
                yield ident, None
                continue
            yield ident, part.bytes

    def send(self, ident: bytes, data: bytes) -> None:
        self.sock.send_multipart((ident, data), copy=False)

    def frame(self, body: bytes) -> bytes:
        return body  # ZeroMQ frames it in its own I/O thread

    def idle_ms(self, wanted: int) -> int:
        return wanted

    def close(self) -> None:
        self.sock.close(0)


class ZmtpEndpoint:
    def __init__(self, endpoint: str) -> None:
        self.router = Router(endpoint, max_frame=codec.MAX_FRAME_BYTES)
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

    def close(self) -> None:
        self.router.close()


def open_endpoint(
    kind: str, ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str
) -> ZmqEndpoint | ZmtpEndpoint:
    if kind == "zmq":
        return ZmqEndpoint(ctx, endpoint)
    if kind == "zmtp":
        return ZmtpEndpoint(endpoint)
    raise ValueError(f"transport {kind!r}: use one of {', '.join(TRANSPORTS)}")

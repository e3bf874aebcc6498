"""A terminal's end of the connection to the brain (the fake terminal's, the MetaTrader5-package
adapter's), one of two:

* ``ZmqWire``: a pyzmq DEALER (the default): reconnects by itself, so a brain killed and
  restarted on the same endpoint is found again (the crash tests rely on it);
* ``PlainWire``: ZMTP on a plain TCP socket, as the EA's Zmtp.mqh speaks it: no ZeroMQ I/O
  thread on this side, so a lockstep round trip costs less (the demo uses it). A connection the
  brain closes ends the session (ConnectionError).
"""

from __future__ import annotations

import select
import time

import zmq

from bridge.wire import zmtp


class TerminalRefused(RuntimeError):
    """The brain refused the handshake (version or secret); the message says why."""


class BrainUnreachable(TerminalRefused):
    """No brain answered at the endpoint in time (not started yet, or killed)."""


SEND_TIMEOUT_MS = 5000  # a brain that takes nothing for this long is gone


class ZmqWire:
    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str) -> None:
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        # a DEALER whose peer died blocks a send for good once its queue is full (a long history
        # answer): the EA's socket send fails instead, and so does this one
        self.sock.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
        self.endpoint = endpoint
        self.sock.connect(endpoint)

    def send(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
        except zmq.Again:
            raise BrainUnreachable(
                f"the brain at {self.endpoint} took no frame for {SEND_TIMEOUT_MS} ms"
            ) from None

    def poll(self, timeout_ms: int) -> bool:
        """Whether a message is waiting (waits up to ``timeout_ms``)."""
        return bool(self.sock.poll(timeout_ms))

    def recv(self) -> bytes:
        return self.sock.recv()

    def recv_nowait(self) -> bytes | None:
        try:
            return self.sock.recv(zmq.NOBLOCK)
        except zmq.Again:
            return None

    def close(self) -> None:
        self.sock.close(0)


class PlainWire:
    def __init__(self, endpoint: str) -> None:
        try:
            self.client = zmtp.Client(endpoint)
        except OSError as exc:
            raise BrainUnreachable(f"cannot connect to the brain at {endpoint}: {exc}") from None

    def send(self, frame: bytes) -> None:
        self.client.send(frame)

    def poll(self, timeout_ms: int) -> bool:
        c = self.client
        if c.inbox:
            return True
        until = time.monotonic() + timeout_ms / 1000
        while True:
            wait = max(0.0, until - time.monotonic())
            readable, _w, _x = select.select([c.sock], [], [], wait)
            if readable:
                c.read()  # ConnectionError when the brain closed the connection
                if c.inbox:
                    return True
            if time.monotonic() >= until:
                return False

    def recv(self) -> bytes:
        return self.client.recv()

    def recv_nowait(self) -> bytes | None:
        return self.client.inbox.pop(0) if self.poll(0) else None

    def close(self) -> None:
        self.client.close()

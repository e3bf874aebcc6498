"""A terminal's session with the brain, for terminals written in Python (the MetaTrader5-package
adapter): the handshake as the EA makes it (HELLO with a fresh nonce; the brain's CHALLENGE
proven with the shared secret before anything is answered; AUTH; WELCOME with the brain's
heartbeat period), then frames out with their sequence numbers, commands in, heartbeats, and in
lockstep the brain's READY awaited. An ERROR from the brain ends the session (TerminalRefused),
as it ends the EA's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import zmq

from bridge.core import events as ev
from bridge.wire import auth, codec
from bridge.wire.terminal_wire import BrainUnreachable, PlainWire, TerminalRefused, ZmqWire

HANDSHAKE_TIMEOUT_S = 10.0
PASSIVE = (ev.Heartbeat, ev.Welcome, ev.Challenge)


def expect_frame(wire: PlainWire | ZmqWire, kind: type, timeout_s: float, endpoint: str) -> Any:
    """The brain's next handshake frame, which must be a ``kind``: BrainUnreachable when none
    comes in time, TerminalRefused on an ERROR or another frame."""
    if not wire.poll(int(timeout_s * 1000)):
        raise BrainUnreachable(
            f"no answer from the brain at {endpoint} (waiting for {kind.__name__})"
        )
    _seq, msg = codec.decode(wire.recv())
    if isinstance(msg, ev.Error):
        raise TerminalRefused(f"the brain refused the terminal: {msg.text} (code {msg.code})")
    if not isinstance(msg, kind):
        raise TerminalRefused(f"expected {kind.__name__} from the brain, got {type(msg).__name__}")
    return msg


class TerminalLink:
    def __init__(
        self,
        endpoint: str,
        secret: bytes,
        terminal_id: str,
        login: int,
        server: str,
        *,
        lockstep: bool = False,
        plain: bool = True,
        heartbeat_ms: int = 1000,
    ) -> None:
        """``plain``: ZMTP on a plain socket, as the EA speaks it; else a pyzmq DEALER.
        ``lockstep``: the brain answers each step with READY (a replay that must give the
        in-process replay's trades); a live terminal does not wait."""
        self.endpoint, self.secret = endpoint, secret
        self.terminal_id, self.login, self.server = terminal_id, login, server
        self.lockstep, self.plain = lockstep, plain
        self.heartbeat_ms = heartbeat_ms
        self.wire: PlainWire | ZmqWire | None = None
        self.seq_out = 0
        self.ready_upto = 0
        self.last_tx = 0.0

    # -- the session -------------------------------------------------------------------------
    def connect(self, state: Sequence[Any], positions: int, orders: int) -> None:
        """Handshake, then the terminal's state (account, specs, quotes, positions, orders) and
        SNAPEND. Raises TerminalRefused (BrainUnreachable when no brain answers)."""
        self.close()
        self.wire = (
            PlainWire(self.endpoint)
            if self.plain
            else ZmqWire(zmq.Context.instance(), self.endpoint)
        )
        self.seq_out = self.ready_upto = 0
        nonce = auth.new_nonce()
        flags = 1 if self.lockstep else 0
        v = codec.PROTOCOL_VERSION
        self.send(ev.Hello(v, self.terminal_id, self.login, flags, self.server, nonce))
        ch = self._expect(ev.Challenge)
        if ch.version.split(".")[0] != v.split(".")[0]:
            raise TerminalRefused(f"the brain speaks protocol {ch.version}, this terminal {v}")
        try:
            mac = auth.answer_challenge(self.secret, nonce, ch.nonce, ch.proof)
        except auth.BrainNotProven as exc:
            self.send(ev.Error(2, "the brain's proof failed: wrong shared secret on one side"))
            raise TerminalRefused(str(exc)) from None
        self.send(ev.Auth(mac))
        welcome = self._expect(ev.Welcome)
        self.heartbeat_ms = welcome.heartbeat_ms or self.heartbeat_ms
        for e in state:
            self.send(e)
        self.send(ev.SnapshotEnd(0, positions, orders))

    def start(self, state: tuple[Sequence[Any], int, int], handle: Callable[[Any], None]) -> None:
        """``connect`` with a terminal's ``state()`` (frames, positions, orders), then in
        lockstep the brain's READY for them awaited, its commands handled meanwhile."""
        frames, positions, orders = state
        self.connect(frames, positions, orders)
        if self.lockstep:
            self.wait_ready(handle)

    def _expect(self, kind: type) -> Any:
        assert self.wire is not None
        return expect_frame(self.wire, kind, HANDSHAKE_TIMEOUT_S, self.endpoint)

    def close(self) -> None:
        if self.wire is not None:
            self.wire.close()
            self.wire = None

    # -- frames ------------------------------------------------------------------------------
    def send(self, msg: Any) -> None:
        assert self.wire is not None, "not connected"
        self.seq_out += 1
        self.wire.send(codec.encode(msg, self.seq_out))
        self.last_tx = time.monotonic()

    def heartbeat_if_due(self, server_ms: int) -> None:
        """A heartbeat when nothing was sent for the brain's period (frames count as life)."""
        if time.monotonic() - self.last_tx >= self.heartbeat_ms / 1000:
            self.send(ev.Heartbeat(server_ms))

    def commands(self, timeout_ms: int = 0) -> list[Any]:
        """The commands waiting (after up to ``timeout_ms`` for the first). READY is noted,
        heartbeats are life; an undecodable frame is skipped (the brain's sequence check
        notices, as with the EA); an ERROR ends the session."""
        assert self.wire is not None, "not connected"
        out: list[Any] = []
        if not self.wire.poll(timeout_ms):
            return out
        while (frame := self.wire.recv_nowait()) is not None:
            try:
                _seq, msg = codec.decode(frame)
            except codec.FrameError:
                continue
            if isinstance(msg, ev.Ready):
                self.ready_upto = max(self.ready_upto, msg.upto_seq)
            elif isinstance(msg, ev.Error):
                raise TerminalRefused(f"the brain ended the session: {msg.text} (code {msg.code})")
            elif not isinstance(msg, PASSIVE):
                out.append(msg)
        return out

    def answer(self, handle: Callable[[Any], None], server_ms: int) -> None:
        """After a terminal's pass of sending: the brain's commands waiting handled, in
        lockstep the brain's READY awaited for what was sent, a heartbeat if one is due."""
        for cmd in self.commands(0):
            handle(cmd)
        if self.lockstep and self.ready_upto < self.seq_out:
            self.wait_ready(handle)
        self.heartbeat_if_due(server_ms)

    def wait_ready(self, handle: Callable[[Any], None], timeout_s: float = 30.0) -> None:
        """Lockstep: until the brain has finished with everything sent, its commands handled
        meanwhile (their answers are frames too, so the wait goes on until those are done)."""
        deadline = time.monotonic() + timeout_s
        while self.ready_upto < self.seq_out:
            if time.monotonic() > deadline:
                raise BrainUnreachable(
                    f"the brain at {self.endpoint} did not finish frame {self.seq_out} in "
                    f"{timeout_s:.0f} s"
                )
            for cmd in self.commands(50):
                handle(cmd)

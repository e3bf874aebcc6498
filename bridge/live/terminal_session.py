"""A live brain's per-terminal protocol state, and what the handshake, resync and control code may
ask of the server (``Host``).

* ``Link``: one connection (a routing identity): its handshake state, sequence numbers both
  ways, heartbeat times, the snapshot it is answering and its counters. A connection that goes
  away takes its link with it.
* ``TerminalSession``: one terminal (by terminal id) across its connections: which connection
  speaks for it, the latest server time its frames carried, the time after which fills may have
  been lost (the resync floor) and whether it started cold (no checkpoint). It outlives a
  reconnect; its methods are the only code that changes these fields.
* ``Host``: the server's public face for bridge/live/handshake.py, resync.py and control.py,
  so that none of them imports the server (bridge/live/server.py imports them).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge.brain.engine import Engine
from bridge.core import events as ev
from bridge.live.history import Warmup
from bridge.live.ledger import Ledger, OpenRows
from bridge.live.noise import NoiseStats


@dataclass(slots=True)
class Link:
    """One connected terminal."""

    identity: bytes
    state: str = "hello"  # hello -> challenged -> ready
    terminal_id: str = ""
    nonce: str = ""  # the brain's, sent in CHALLENGE
    peer_nonce: str = ""  # the terminal's, from HELLO
    login: int = 0  # the account: login and trade server (from HELLO)
    server: str = ""
    version: str = ""  # the protocol version the terminal speaks (from HELLO)
    lockstep: bool = False
    seq_out: int = 0
    seq_in: int = 0
    last_rx: int = 0
    last_tx: int = 0
    born: int = 0  # wall ms when the connection's first message came
    stale: bool = False
    snapshot: list[Any] | None = None  # collecting POS/ORD until SNAPEND
    deals_req: int = 0  # the DEALSINCE whose SNAPEND ends a replay of fills
    store_fills: bool = False  # that replay answers a cold start: its fills are stored only
    snap_req: int = 0  # the snapshot request being answered (0: the state sent on connect)
    snap_sent: int = 0  # wall ms when it was asked
    snap_at_ms: int = 0  # the terminal's latest server time when it was asked
    again: bool = False  # a gap was seen while it was being answered: ask once more after it
    snap_waiting: bool = False  # the snapshot ended while fills asked before it are still coming
    gaps: int = 0
    resyncs: int = 0  # snapshots asked (after a gap, a silence, or an answer cut short)
    dups: int = 0
    bad: int = 0
    frames: int = 0
    requests: int = 0  # request ids handed out on this connection (DEALSINCE, SNAPSHOT)

    def next_request(self) -> int:
        self.requests += 1
        return self.requests


class TerminalSession:
    """One terminal across reconnects: the connection that speaks for it and its resync state."""

    __slots__ = (
        "cold",
        "engine",
        "floor_ms",
        "identity",
        "info",
        "known",
        "last_ms",
        "open_rows",
        "pings",
        "terminal_id",
        "trials",
        "warmup",
    )

    def __init__(self, terminal_id: str, engine: Engine) -> None:
        self.terminal_id = terminal_id
        self.engine = engine
        self.identity = b""  # the connection that speaks for the terminal now
        self.last_ms = 0  # the latest server time its frames carried
        # fills after this time may have been lost (None: everything is accounted for)
        self.floor_ms: int | None = None
        # started without a checkpoint: the first reconciliation adopts the terminal's books
        self.cold = engine.restored_floor_ms is None
        # a server time of the terminal is known (a frame carried one, or the checkpoint did):
        # when it connects again, the fills made meanwhile are asked for
        self.known = engine.restored_floor_ms is not None
        if engine.restored_floor_ms is not None:  # fills made since the checkpoint are asked for
            self.last_ms = self.floor_ms = engine.restored_floor_ms
        self.open_rows: OpenRows | None = None  # order rows earlier brains left open
        self.warmup: Warmup | None = None  # the history warm-up of its first connection
        self.info: ev.TerminalInfo | None = None  # what the terminal last said of itself
        # doctor's round trips: ping id -> wall ms sent, then the round trip in ms once answered
        self.pings: dict[str, tuple[int, float | None]] = {}
        self.trials: list[dict[str, Any]] = []  # the doctor's trade-test orders and answers

    def saw(self, time_ms: int) -> None:
        if time_ms > self.last_ms:
            self.last_ms = time_ms
            self.known = True

    def lost_since(self) -> None:
        """Frames after the latest time seen so far may be lost: fills are asked from there."""
        self.floor_ms = self.last_ms if self.floor_ms is None else min(self.floor_ms, self.last_ms)

    def fills_after(self) -> int | None:
        """The time after which fills are asked for in a resync (None: none to ask)."""
        if self.floor_ms is not None:
            return self.floor_ms - 1
        return self.engine.session_start_ms

    def accounted(self) -> None:
        """Every fill up to now is known: nothing to ask for until frames are lost again."""
        self.floor_ms = None

    def take_cold(self) -> bool:
        """Whether this reconciliation is the cold start's (true once)."""
        cold, self.cold = self.cold, False
        return cold


@dataclass(slots=True)
class Stats:
    bad_frames: int = 0
    gaps: int = 0
    resyncs: int = 0  # snapshots asked (after a gap, a silence, or an answer cut short)
    dups: int = 0
    refused: int = 0
    last_refusal: str = ""  # who refused whom at the last failed handshake, and why
    halts: int = 0
    event_errors: int = 0
    reconciliations: list[dict[str, Any]] = field(default_factory=list)


class Host(Protocol):
    """What the handshake, resync and control code may use of the server."""

    secret: bytes
    endpoint: str  # where terminals connect, as bound
    heartbeat_ms: int
    resync_timeout_ms: int
    stats: Stats
    noise: NoiseStats
    links: dict[bytes, Link]
    engines: dict[str, Engine]
    terminals: dict[str, TerminalSession]
    stop_event: threading.Event
    ledger: Ledger | None

    def send(self, link: Link, msg: Any) -> None: ...

    def log(self, kind: str, **detail: Any) -> None: ...

    def checkpoint_now(self, tid: str) -> None: ...

    def settle(self) -> None: ...

    def session_for(self, link: Link) -> TerminalSession: ...

    def trust(self, link: Link) -> None: ...

    def forget(self, link: Link, why: str) -> None: ...

    def noisy(self, link: Link, kind: str, **detail: Any) -> None: ...

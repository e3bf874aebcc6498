"""ZeroMQ's wire protocol (ZMTP 3.0, NULL mechanism) spoken directly on plain sockets.

The brain's terminal endpoint can be a ``Router`` instead of a pyzmq ROUTER socket: the same
bytes on the wire (the EA, pyzmq DEALERs and the fake terminal connect to it unchanged) without
ZeroMQ's I/O thread, which costs a thread handoff each way on every message (docs/performance.md:
pyzmq's loopback round trip is several times a plain socket's). What a ROUTER does that the
brain relies on, and nothing more:

* each connection gets an identity (the peer's ``Identity`` property when it names one not in
  use, else five bytes as libzmq makes them); received messages come with it;
* a message is one frame: a multi-part message is reported as such (the server counts it bad);
* sending to an identity not connected drops the message (ROUTER_MANDATORY off); a peer that
  stops reading has its output dropped past ``max_out`` bytes, as a ROUTER drops past its
  high-water mark;
* commands: READY is read for the identity, PING (ZMTP 3.1 heartbeats) answered with PONG,
  others ignored. A peer speaking anything else, or sending a frame above ``max_frame``, is
  disconnected;
* a connection's end is told: ``readable`` returns ``(identity, GONE)`` for a peer that had an
  identity, before anything a later connection sends (which may get the same identity), so
  what the brain knew of a connection never passes to the next.

What an untrusted peer (not yet authenticated by the brain: ``trust``) may hold is bounded:
at most ``max_peers`` connections (the oldest untrusted one is dropped for a new one, also when
``accept`` fails for lack of file descriptors), ``auth_ms`` to be trusted (``expire``), one read
of ``UNTRUSTED_READ`` bytes per turn, at most ``max_frame`` plus one read buffered.

``ClientConnection`` is the other end (a DEALER, as the EA's Zmtp.mqh): for the latency bench's
terminal.
"""

from __future__ import annotations

import errno
import socket
import struct
import time
from dataclasses import dataclass, field

GREETING_LEN = 64
RECV_BYTES = 65_536
UNTRUSTED_READ = 4096  # bytes read per turn from a peer the brain has not authenticated
GONE = b""  # (identity, GONE): that identity's connection ended (no legal frame is empty)
FLAG_MORE, FLAG_LONG, FLAG_COMMAND = 1, 2, 4


class ZmtpError(Exception):
    """The peer broke the protocol (the connection is closed)."""


def greeting() -> bytes:
    g = bytearray(GREETING_LEN)
    g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 0
    g[12:16] = b"NULL"
    return bytes(g)


def frame(body: bytes, flags: int = 0) -> bytes:
    n = len(body)
    if n <= 255:
        return bytes((flags, n)) + body
    return bytes((flags | FLAG_LONG,)) + struct.pack(">Q", n) + body


def command(name: bytes, props: dict[bytes, bytes] | None = None) -> bytes:
    body = bytes((len(name),)) + name
    for k, v in (props or {}).items():
        body += bytes((len(k),)) + k + struct.pack(">I", len(v)) + v
    return frame(body, FLAG_COMMAND)


def parse_command(body: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    if not body or len(body) < 1 + body[0]:
        raise ZmtpError("command too short")
    name, i = body[1 : 1 + body[0]], 1 + body[0]
    props: dict[bytes, bytes] = {}
    if name != b"READY":
        return name, props
    while i < len(body):
        kl = body[i]
        if i + 1 + kl + 4 > len(body):
            raise ZmtpError("READY property cut short")
        key = body[i + 1 : i + 1 + kl]
        (vl,) = struct.unpack(">I", body[i + 1 + kl : i + 5 + kl])
        i += 5 + kl
        if i + vl > len(body):
            raise ZmtpError("READY property value cut short")
        props[key.lower()] = body[i : i + vl]
        i += vl
    return name, props


class FrameReader:
    """Bytes in, (flags, body) frames out; the greeting first."""

    __slots__ = ("buf", "greeted", "max_frame")

    def __init__(self, max_frame: int) -> None:
        self.buf = bytearray()
        self.greeted = False
        self.max_frame = max_frame

    def feed(self, data: bytes | memoryview) -> list[tuple[int, bytes]]:
        buf = self.buf
        buf += data
        out: list[tuple[int, bytes]] = []
        if not self.greeted:
            if len(buf) < GREETING_LEN:
                if buf and buf[0] != 0xFF:
                    raise ZmtpError("not a ZMTP peer (bad greeting signature)")
                return out
            g = bytes(buf[:GREETING_LEN])
            if g[0] != 0xFF or g[9] != 0x7F or g[10] < 3:
                raise ZmtpError("not a ZMTP 3 peer (bad greeting)")
            if g[12:32].rstrip(b"\0") != b"NULL":
                raise ZmtpError(f"security mechanism {g[12:32].rstrip(bytes(1))!r} not supported")
            del buf[:GREETING_LEN]
            self.greeted = True
        pos, n = 0, len(buf)
        while n - pos >= 2:
            flags = buf[pos]
            if flags & FLAG_LONG:
                if n - pos < 9:
                    break
                (size,) = struct.unpack_from(">Q", buf, pos + 1)
                head = 9
            else:
                size, head = buf[pos + 1], 2
            if size > self.max_frame:
                raise ZmtpError(f"frame of {size} bytes exceeds {self.max_frame}")
            if n - pos < head + size:
                break
            out.append((flags, bytes(buf[pos + head : pos + head + size])))
            pos += head + size
        if pos:
            del buf[:pos]
        return out


@dataclass(slots=True, eq=False)
class Peer:
    sock: socket.socket
    ident: bytes = b""
    ready: bool = False  # the peer's READY read
    reader: FrameReader = field(default_factory=lambda: FrameReader(0))
    out: bytearray = field(default_factory=bytearray)
    parts: int = 0  # frames of a multi-part message read so far
    born: float = 0.0  # monotonic seconds when accepted
    trusted: bool = False  # authenticated by the brain: no untrusted peer's limits


class Router:
    def __init__(
        self,
        endpoint: str,
        max_frame: int = 65_536,
        max_out: int = 8 << 20,
        max_peers: int = 64,
        auth_ms: int = 5000,
    ) -> None:
        if not endpoint.startswith("tcp://") or ":" not in endpoint[6:]:
            raise ValueError(f"endpoint {endpoint!r}: expected tcp://HOST:PORT")
        host, port = endpoint[6:].rsplit(":", 1)
        host = "0.0.0.0" if host == "*" else host
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, int(port)))
        self.listener.listen(16)
        self.listener.setblocking(False)
        bound_host, bound_port = self.listener.getsockname()[:2]
        self.endpoint = f"tcp://{bound_host}:{bound_port}"
        self.max_frame, self.max_out = max_frame, max_out
        self.max_peers, self.auth_ms = max_peers, auth_ms
        self.peers: dict[int, Peer] = {}  # by file descriptor, oldest first
        self.by_ident: dict[bytes, Peer] = {}
        self.dropped = 0  # messages dropped (no such peer, or its output full)
        self.evicted = 0  # untrusted connections dropped for a limit (count, deadline, budget)
        self.changed = False  # a connection came or went since the flag was cleared
        self.gone: list[bytes] = []  # identities whose connection ended, not yet told
        self.accept_paused_until = 0.0  # out of descriptors with nobody to drop: wait
        # one receive buffer, reused: a large recv(n) allocates n bytes on every call
        self._rbuf = bytearray(RECV_BYTES)
        self._rview = memoryview(self._rbuf)
        self._next_id = 0x6B8B4567

    def fileno(self) -> int:
        return self.listener.fileno()

    def fds(self) -> list[int]:
        return [self.listener.fileno(), *self.peers]

    @property
    def pending_out(self) -> bool:
        return any(p.out for p in self.peers.values())

    # -- reading -------------------------------------------------------------------------------
    def readable(self, fd: int) -> list[tuple[bytes, bytes | None]]:
        """Messages now readable on ``fd``: (identity, the frame), or (identity, None) for a
        message of several parts."""
        if fd == self.listener.fileno():
            self._accept()
            return self._told([])
        p = self.peers.get(fd)
        if p is None:
            return self._told([])
        try:
            n = p.sock.recv_into(self._rbuf, RECV_BYTES if p.trusted else UNTRUSTED_READ)
        except (BlockingIOError, InterruptedError):
            return self._told([])
        except OSError:
            n = 0
        if not n:
            self._drop(p)
            return self._told([])
        try:
            return self._told(self._frames(p, p.reader.feed(self._rview[:n])))
        except ZmtpError:
            self._drop(p)
            return self._told([])

    def _told(self, out: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
        """Connections that ended go first: a later connection may carry the same identity."""
        return self.take_gone() + out if self.gone else out

    def take_gone(self) -> list[tuple[bytes, bytes | None]]:
        """(identity, GONE) for each connection that ended since the last call."""
        gone: list[tuple[bytes, bytes | None]] = [(ident, GONE) for ident in self.gone]
        self.gone.clear()
        return gone

    def trust(self, ident: bytes) -> None:
        """The brain authenticated this connection: it is no longer held to the limits of
        untrusted peers."""
        p = self.by_ident.get(ident)
        if p is not None:
            p.trusted = True

    def disconnect(self, ident: bytes) -> None:
        p = self.by_ident.get(ident)
        if p is not None:
            self.evicted += not p.trusted
            self._drop(p)

    def expire(self) -> None:
        """Drop untrusted connections older than ``auth_ms`` (half-open ones too)."""
        cutoff = time.monotonic() - self.auth_ms / 1000
        for p in [p for p in self.peers.values() if not p.trusted and p.born < cutoff]:
            self.evicted += 1
            self._drop(p)

    def _evict_oldest_untrusted(self) -> bool:
        for p in self.peers.values():  # insertion order: oldest first
            if not p.trusted:
                self.evicted += 1
                self._drop(p)
                return True
        return False

    def _frames(self, p: Peer, frames: list[tuple[int, bytes]]) -> list[tuple[bytes, bytes | None]]:
        out: list[tuple[bytes, bytes | None]] = []
        for flags, body in frames:
            if flags & FLAG_COMMAND:
                name, props = parse_command(body)
                if name == b"READY" and not p.ready:
                    p.ready = True
                    self._name(p, props.get(b"identity", b""))
                elif name == b"PING":  # ZMTP 3.1 heartbeat: PONG with its context
                    self._queue(p, frame(b"\x04PONG" + body[7:], FLAG_COMMAND))
                continue
            if not p.ready:
                raise ZmtpError("a message before READY")
            if flags & FLAG_MORE:
                p.parts += 1
                continue
            if p.parts:
                p.parts = 0
                out.append((p.ident, None))
                continue
            out.append((p.ident, body or None))  # an empty message is no frame
        return out

    def _accept(self) -> None:
        if time.monotonic() < self.accept_paused_until:
            return
        while True:
            try:
                s, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors (EMFILE, ENFILE) or a peer gone early
                out_of_fds = exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
                if out_of_fds and not self._evict_oldest_untrusted():
                    self.accept_paused_until = time.monotonic() + 1.0
                    return
                continue
            if len(self.peers) >= self.max_peers and not self._evict_oldest_untrusted():
                s.close()  # every connection is an authenticated terminal's: no room
                self.evicted += 1
                continue
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            p = Peer(s, reader=FrameReader(self.max_frame), born=time.monotonic())
            self.peers[s.fileno()] = p
            self.changed = True
            self._queue(p, greeting() + command(b"READY", {b"Socket-Type": b"ROUTER"}))

    def _name(self, p: Peer, wanted: bytes) -> None:
        if wanted and wanted[:1] != b"\0" and wanted not in self.by_ident:
            p.ident = wanted
        else:  # as libzmq: a zero byte and a 32-bit counter
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF
            p.ident = b"\0" + struct.pack(">I", self._next_id)
        self.by_ident[p.ident] = p

    def _drop(self, p: Peer) -> None:
        self.changed = True
        self.peers.pop(p.sock.fileno(), None)
        if self.by_ident.get(p.ident) is p:
            del self.by_ident[p.ident]
            self.gone.append(p.ident)
        p.sock.close()

    # -- writing -------------------------------------------------------------------------------
    def send(self, ident: bytes, body: bytes) -> bool:
        """Queue one single-frame message to a peer and write what the socket takes now."""
        p = self.by_ident.get(ident)
        if p is None:
            self.dropped += 1
            return False
        return self._queue(p, frame(body))

    def _queue(self, p: Peer, data: bytes) -> bool:
        if len(p.out) + len(data) > self.max_out:
            self.dropped += 1
            return False
        if not p.out:  # usual case: nothing waiting, write straight away
            try:
                n = p.sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError:  # the peer is gone (reset, broken pipe): as a ROUTER, drop it
                self._drop(p)
                return False
            if n == len(data):
                return True
            data = data[n:]
        p.out += data
        return True

    def flush(self) -> None:
        """Write what waits for peers whose sockets would not take it all before."""
        for p in [p for p in self.peers.values() if p.out]:
            try:
                n = p.sock.send(p.out)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                self._drop(p)
                continue
            del p.out[:n]

    def close(self) -> None:
        for p in list(self.peers.values()):
            self._drop(p)
        self.listener.close()


GREETING_TIMEOUT_S = 5.0


class Client:
    """A DEALER's end of a connection on a plain socket, as the EA's Zmtp.mqh speaks it."""

    def __init__(self, endpoint: str, max_frame: int = 65_536) -> None:
        host, port = endpoint[6:].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=GREETING_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = FrameReader(max_frame)
        self.inbox: list[bytes] = []
        self._rbuf = bytearray(RECV_BYTES)
        self._rview = memoryview(self._rbuf)
        # the greeting, READY once the peer's greeting is in, and no message before the peer's
        # READY: libzmq (a pyzmq ROUTER, which asks its authentication handler before it
        # answers READY) may drop a connection that runs ahead of its handshake
        self.peer_ready = False
        self.sock.sendall(greeting())
        while not self.reader.greeted:
            self.read()
        self.sock.sendall(command(b"READY", {b"Socket-Type": b"DEALER"}))
        while not self.peer_ready:
            self.read()
        self.sock.settimeout(None)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, body: bytes) -> None:
        self.sock.sendall(frame(body))

    def recv(self) -> bytes:
        """The next message (blocking)."""
        while not self.inbox:
            self.read()
        return self.inbox.pop(0)

    def read(self) -> None:
        """One read from the socket; the messages it completes go to ``inbox``."""
        n = self.sock.recv_into(self._rbuf)
        if not n:
            raise ConnectionError("the peer closed the connection")
        for flags, body in self.reader.feed(self._rview[:n]):
            if not flags & FLAG_COMMAND:
                self.inbox.append(body)
            elif body[:6] == b"\x05READY":
                self.peer_ready = True

    def close(self) -> None:
        self.sock.close()

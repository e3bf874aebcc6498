"""A terminal's handshake with the brain: HELLO (protocol version) -> CHALLENGE (a nonce) ->
AUTH (HMAC of the nonce with the shared secret) -> WELCOME; then the terminal sends its state
and, when it comes back after an absence, the brain asks for the fills made meanwhile. Anything
else before the handshake completes is refused with an ERROR frame naming it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bridge import auth, codec
from bridge import events as ev
from bridge.resync import lost_since
from bridge.wallclock import wall_ms

if TYPE_CHECKING:
    from bridge.server import BrainServer, Link

HELLO_FLAG_LOCKSTEP = 1


def handshake(srv: BrainServer, link: Link, seq: int, msg: Any) -> None:
    if isinstance(msg, ev.Hello):
        major = msg.version.split(".")[0]
        if major != codec.PROTOCOL_VERSION.split(".")[0]:
            refuse(
                srv,
                link,
                1,
                f"protocol version {msg.version} not supported (brain speaks "
                f"{codec.PROTOCOL_VERSION})",
            )
            return
        link.terminal_id = msg.terminal_id or link.identity.hex()
        link.lockstep = bool(msg.flags & HELLO_FLAG_LOCKSTEP)
        link.nonce = auth.new_nonce()
        link.state = "challenged"
        link.seq_in = seq
        srv._send(link, ev.Challenge(codec.PROTOCOL_VERSION, link.nonce))
        return
    if isinstance(msg, ev.Auth) and link.state == "challenged":
        if not auth.verify(srv.secret, link.nonce, msg.mac):
            refuse(srv, link, 2, "authentication failed: wrong shared secret")
            return
        link.seq_in = seq
        link.state = "ready"
        old = srv._by_terminal.get(link.terminal_id)
        if old is not None and old != link.identity:
            srv.links.pop(old, None)
        srv._by_terminal[link.terminal_id] = link.identity
        tid = link.terminal_id
        if tid not in srv.engines:
            eng = srv.make_engine(tid, srv._sender(tid))
            srv.engines[tid] = eng
            if eng.restored_floor_ms is None:
                srv._cold.add(tid)
            else:  # restarted from a checkpoint: fills made since it are asked for
                srv._last_ms[tid] = srv._floor_ms[tid] = eng.restored_floor_ms
        link.snapshot = []  # the terminal sends its state right after WELCOME
        link.snap_req = 0
        link.snap_sent = wall_ms()
        link.snap_waiting = False
        srv._send(link, ev.Welcome(f"s-{auth.new_nonce()[:8]}", srv.heartbeat_ms))
        if link.terminal_id in srv._last_ms:  # a terminal coming back: fills made meanwhile
            lost_since(srv, link.terminal_id)
            link._snap_req += 1
            link.deals_req = link._snap_req
            srv._send(link, ev.DealsSinceReq(link._snap_req, srv._floor_ms[link.terminal_id] - 1))
        srv.checkpoint_now(tid)  # a new engine (restored or not) or an older fill floor
        srv._log("terminal_ready", terminal=link.terminal_id, lockstep=link.lockstep)
        return
    refuse(srv, link, 3, f"{type(msg).__name__} before the handshake completed")


def refuse(srv: BrainServer, link: Link, code: int, text: str) -> None:
    srv.stats.refused += 1
    srv._log("refused", terminal=link.terminal_id, code=code, reason=text)
    srv._send(link, ev.Error(code, text))
    srv.links.pop(link.identity, None)

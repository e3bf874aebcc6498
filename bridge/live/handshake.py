"""A terminal's handshake with the brain: HELLO (protocol version, account, the terminal's nonce)
-> CHALLENGE (the brain's nonce and its proof of the secret over both) -> AUTH (the terminal's
proof) -> WELCOME; then the terminal sends its state and, when it comes back after an absence,
the brain asks for the fills made meanwhile. Anything else before the handshake completes is
refused with an ERROR frame naming it; the connection is forgotten (and closed where the
transport can)."""

from __future__ import annotations

import hmac
from typing import Any

from bridge.core import events as ev
from bridge.core.wallclock import wall_ms
from bridge.live.ledger import open_rows
from bridge.live.terminal_session import Host, Link
from bridge.wire import auth, codec

HELLO_FLAG_LOCKSTEP = 1
ERROR_REPLACED = 5  # ERROR code: a newer connection of the same terminal took over (the EA stops)


def handshake(host: Host, link: Link, seq: int, msg: Any) -> None:
    if isinstance(msg, ev.Hello):
        major = msg.version.split(".")[0]
        if major != codec.PROTOCOL_VERSION.split(".")[0]:
            refuse(
                host,
                link,
                1,
                f"protocol version {msg.version} not supported (brain speaks "
                f"{codec.PROTOCOL_VERSION})",
            )
            return
        if not auth.nonce_ok(msg.nonce):
            refuse(host, link, 4, "HELLO without a nonce of 32 to 64 hex digits")
            return
        link.terminal_id = msg.terminal_id or link.identity.hex()
        link.lockstep = bool(msg.flags & HELLO_FLAG_LOCKSTEP)
        link.login, link.server, link.version = msg.login, msg.server, msg.version
        link.peer_nonce = msg.nonce
        link.nonce = auth.new_nonce()
        link.state = "challenged"
        link.seq_in = seq
        proof = auth.brain_proof(host.secret, msg.nonce, link.nonce)
        host.send(link, ev.Challenge(codec.PROTOCOL_VERSION, link.nonce, proof))
        return
    if isinstance(msg, ev.Auth) and link.state == "challenged":
        want = auth.terminal_proof(host.secret, link.nonce, link.peer_nonce)
        if not hmac.compare_digest(want, msg.mac):
            refuse(host, link, 2, "authentication failed: wrong shared secret")
            return
        link.seq_in = seq
        link.state = "ready"
        sess = host.session_for(link)  # the terminal's session (a new engine the first time)
        account = f"{link.login}@{link.server}"
        was = sess.engine.restored_account
        if was and was != account and not sess.engine.gate.halted.startswith("checkpoint of"):
            why = (
                f"checkpoint of account {was}, but terminal {sess.terminal_id} is logged in to "
                f"{account}: no trading on another account's books (restart with --fresh)"
            )
            sess.engine.gate.halt(why)
            host.log("checkpoint_account_mismatch", terminal=sess.terminal_id, reason=why)
        sess.engine.account_key = account
        if sess.identity and sess.identity != link.identity:
            older = host.links.get(sess.identity)
            if older is not None:  # the older connection no longer speaks for it: told so
                why = (
                    f"replaced by a newer connection of terminal {sess.terminal_id}: one EA per "
                    "account and terminal id (a second chart, or another machine on this login?)"
                )
                host.send(older, ev.Error(ERROR_REPLACED, why))
                host.forget(older, why)
                host.log("terminal_replaced", terminal=sess.terminal_id)
        sess.identity = link.identity
        host.trust(link)
        link.snapshot = []  # the terminal sends its state right after WELCOME
        link.snap_req = 0
        link.snap_sent = wall_ms()
        link.snap_waiting = False
        host.send(link, ev.Welcome(f"s-{auth.new_nonce()[:8]}", host.heartbeat_ms))
        if sess.known:  # a terminal coming back: fills made meanwhile
            sess.lost_since()
            link.deals_req = link.next_request()
            assert sess.floor_ms is not None
            host.send(link, ev.DealsSinceReq(link.deals_req, sess.floor_ms - 1))
        elif host.ledger is not None and sess.cold:  # no checkpoint: fills since the store's
            newest = host.ledger.last_deal_ms(sess.engine.account_key)
            if newest is not None:
                link.deals_req = link.next_request()
                link.store_fills = True
                host.send(link, ev.DealsSinceReq(link.deals_req, newest - 1))
        if host.ledger is not None:
            if sess.open_rows is None:
                sess.open_rows = open_rows(host.ledger, sess.engine.account_key, sess.engine)
            for query in sess.open_rows.queries():  # asked again on each connection until answered
                host.send(link, query)
        host.checkpoint_now(sess.terminal_id)  # a new engine (restored or not) or an older floor
        host.log("terminal_ready", terminal=link.terminal_id, lockstep=link.lockstep)
        return
    if isinstance(msg, ev.Error) and link.state == "challenged":  # the brain's proof failed
        host.stats.refused += 1
        host.stats.last_refusal = f"terminal {link.terminal_id} refused the brain: {msg.text}"
        host.noisy(link, "refused_by_terminal", terminal=link.terminal_id, reason=msg.text)
        host.forget(link, f"the terminal refused the brain: {msg.text}")
        return
    refuse(host, link, 3, f"{type(msg).__name__} before the handshake completed")


def refuse(host: Host, link: Link, code: int, text: str) -> None:
    host.stats.refused += 1
    host.stats.last_refusal = f"the brain refused terminal {link.terminal_id or '?'}: {text}"
    host.noisy(link, "refused", terminal=link.terminal_id, code=code, reason=text)
    host.send(link, ev.Error(code, text))
    host.forget(link, text)

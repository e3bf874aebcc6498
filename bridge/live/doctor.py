"""What the brain tells ``mt5bridge doctor`` (the control verb ``doctor``): per connected
terminal its protocol version, what it says of itself (TERMINFO: build, broker connection,
algo trading, demo or real, clocks), its account and the specifications of the symbols its
strategies name, the strategies and why any is halted, and the round trip brain -> EA -> brain.

The round trip is a ``QUERY`` of a client order id no order ever had (``doctor ping``): the
terminal looks it up and answers "no record", touching nothing; the answer is timed here and
never reaches the engine. Imports bridge.core, bridge.wire and the terminal session only."""

from __future__ import annotations

import dataclasses
from typing import Any

from bridge.core import events as ev
from bridge.core.wallclock import wall_ms
from bridge.live.terminal_session import Host, TerminalSession

PING_PREFIX = "doctor-ping-"


def send_pings(host: Host) -> int:
    """A QUERY of a never-used id to every connected terminal; how many were sent."""
    sent = 0
    for link in host.links.values():
        if link.state != "ready":
            continue
        sess = host.terminals[link.terminal_id]
        ping = f"{PING_PREFIX}{wall_ms()}-{len(sess.pings)}"
        sess.pings[ping] = (wall_ms(), None)
        host.send(link, ev.QueryCmd(ping))
        sent += 1
    return sent


def ping_answered(sess: TerminalSession, client_id: str, now_ms: float) -> None:
    sent = sess.pings.get(client_id)
    if sent is not None and sent[1] is None:
        sess.pings[client_id] = (sent[0], now_ms - sent[0])


def report(host: Host) -> dict[str, Any]:
    terminals: dict[str, Any] = {}
    now = wall_ms()
    for link in host.links.values():
        if link.state != "ready":
            continue
        sess = host.terminals[link.terminal_id]
        eng = sess.engine
        acc = eng.portfolio.account
        symbols = sorted({sym for s in eng.strategies for sym in s.symbols})
        rtts = [rtt for _sent, rtt in sess.pings.values() if rtt is not None]
        # the terminal's time now: its latest frame's, or its clock's as it last said
        server_now = max(sess.last_ms, sess.info.server_ms if sess.info is not None else 0)
        terminals[link.terminal_id] = {
            "version": link.version,
            "login": link.login,
            "server": link.server,
            "last_frame_age_ms": now - link.last_rx,
            "info": sess.info._asdict() if sess.info is not None else None,
            "account": acc._asdict() if acc is not None else None,
            "specs": {
                sym: dataclasses.asdict(eng.specs[sym]) for sym in symbols if sym in eng.specs
            },
            "open_now": {
                sym: eng.specs[sym].is_open(server_now) for sym in symbols if sym in eng.specs
            },
            "offered": sorted(eng.specs),
            "strategies": [
                {
                    "name": s.name,
                    "symbols": list(s.symbols),
                    "needs_hedging": s.needs_hedging,
                    "halted": eng.gate.halted_magics.get(s.magic, ""),
                }
                for s in eng.strategies
            ],
            "halted": eng.gate.halted,
            "server_ms": server_now,
            "round_trip_ms": min(rtts) if rtts else None,
            "pings": len(sess.pings),
        }
    return {
        "terminals": terminals,
        "refused": host.stats.refused,
        "last_refusal": host.stats.last_refusal,
        "unauthenticated_now": sum(link.state != "ready" for link in host.links.values()),
    }

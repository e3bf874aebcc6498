"""What the brain tells ``mt5bridge doctor`` (the control verb ``doctor``): per connected
terminal its protocol version, what it says of itself (TERMINFO: build, broker connection,
algo trading, demo or real, clocks), its account and the specifications of the symbols its
strategies name, the strategies and why any is halted, and the round trip brain -> EA -> brain.

The round trip is a ``QUERY`` of a client order id no order ever had (``doctor ping``): the
terminal looks it up and answers "no record", touching nothing; the answer is timed here and
never reaches the engine.

The trade test (``doctor trade:STEP:TERMINAL:ARG``) sends the operator's orders through the
engine's risk gate and order manager (audited like any order, magic ``DOCTOR_MAGIC``): open the
smallest allowed buy, modify its SL/TP, close part of it where its volume allows, close it.
Each step's answer is kept with the quote at sending: retcode, fill price, slippage, latency.
Imports bridge.brain, bridge.core and the terminal session only."""

from __future__ import annotations

import dataclasses
from typing import Any

from bridge.brain.strategy import Close, Modify, Open
from bridge.core import events as ev
from bridge.core.wallclock import wall_ms
from bridge.live.terminal_session import Host, TerminalSession

PING_PREFIX = "doctor-ping-"
DOCTOR_MAGIC = 77_770_000  # the trade test's positions and orders
STOPS_AWAY = 0.01  # the trade test's SL/TP: 1 % of the price away (beyond stops and freeze)


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
            "trials": sess.trials,
            "doctor_positions": [
                p._asdict() for p in eng.portfolio.positions.values() if p.magic == DOCTOR_MAGIC
            ],
        }
    return {
        "endpoint": host.endpoint,
        "terminals": terminals,
        "refused": host.stats.refused,
        "last_refusal": host.stats.last_refusal,
        "unauthenticated_now": sum(link.state != "ready" for link in host.links.values()),
    }


def trade_step(host: Host, arg: str) -> dict[str, Any]:
    """One step of the trade test: ``open:TERMINAL:SYMBOL[:real]``, ``modify:TERMINAL:TICKET``,
    ``partial:TERMINAL:TICKET``, ``close:TERMINAL:TICKET``."""
    step, _, rest = arg.partition(":")
    tid, _, what = rest.partition(":")
    sess = host.terminals.get(tid)
    if sess is None or not sess.identity:
        return {"ok": False, "error": f"no terminal {tid!r} connected", "bad_input": True}
    eng = sess.engine
    intent: Open | Modify | Close
    if step == "open":
        sym, _, real = what.partition(":")
        spec = eng.specs.get(sym)
        if spec is None:
            return {"ok": False, "error": f"terminal {tid} offers no {sym!r}", "bad_input": True}
        if (sess.info is None or sess.info.trade_mode != ev.ACCOUNT_DEMO) and real != "real":
            return {"ok": False, "error": "not a demo account: the trade test is refused"}
        intent = Open(sym, True, spec.volume_min, tag="doctor")
        quote = eng.portfolio.ask.get(sym, 0.0)
    else:
        pos = eng.portfolio.positions.get(int(what)) if what.isdigit() else None
        if pos is None or pos.magic != DOCTOR_MAGIC:
            return {"ok": False, "error": f"no trade-test position {what!r}", "bad_input": True}
        spec = eng.specs[pos.symbol]
        quote = eng.portfolio.bid.get(pos.symbol, 0.0)  # a buy closes at the bid
        if step == "modify":
            levels = (spec.stops_level + spec.freeze_level + 10) * spec.point
            dist = max(levels, quote * STOPS_AWAY)
            intent = Modify(pos.ticket, quote - dist, eng.portfolio.ask.get(pos.symbol, 0) + dist)
        elif step == "partial":
            if pos.volume < 2 * spec.volume_min - 1e-9:
                return {
                    "ok": True,
                    "skipped": f"{pos.volume:g} lots cannot be split: what stays open would be "
                    f"below the minimum {spec.volume_min:g}",
                }
            intent = Close(pos.ticket, spec.volume_min, tag="doctor")
        elif step == "close":
            intent = Close(pos.ticket, tag="doctor")
        else:
            return {"ok": False, "error": f"unknown trade-test step {step!r}", "bad_input": True}
    cid, refused = eng.operator_order(intent, DOCTOR_MAGIC)
    if refused:
        return {"ok": False, "error": "; ".join(r.reason for r in refused)}
    sess.trials.append(
        {"step": step, "client_id": cid, "quote": quote, "point": spec.point,
         "sent_wall_ms": wall_ms(), "retcode": None, "price": 0.0, "latency_ms": None}
    )  # fmt: skip
    host.log("doctor_trade", terminal=tid, step=step, client_id=cid)
    host.settle()
    return {"ok": True, "client_id": cid}


def result_seen(sess: TerminalSession, r: ev.OrderResult, now_ms: float) -> None:
    """The terminal's answer to a trade-test order: kept with the step."""
    for t in sess.trials:
        if t["client_id"] == r.client_id and t["retcode"] is None:
            t.update(retcode=r.retcode, price=r.price, text=r.text)
            t["latency_ms"] = now_ms - t["sent_wall_ms"]

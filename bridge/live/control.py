"""The brain's control endpoint: authenticated operator requests (status, halt, resume, stop,
a strategy's own verbs) over a REP socket, and the client that sends them."""

from __future__ import annotations

import json
import time
from typing import Any

import zmq

from bridge.live import doctor
from bridge.live.terminal_session import Host
from bridge.wire import auth

FRESH_MS = 30_000  # a request's time may differ from the brain's clock by this much


class SeenRequests:
    """The MACs of the requests answered within the freshness window: a request sent again
    (captured and replayed) is refused."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def first_time(self, mac: str, now_ms: float) -> bool:
        if len(self.seen) > 1000:
            self.seen = {m: t for m, t in self.seen.items() if now_ms - t < 2 * FRESH_MS}
        if mac in self.seen:
            return False
        self.seen[mac] = now_ms
        return True


def answer(host: Host, raw: bytes, seen: SeenRequests) -> dict[str, Any]:
    """One control request: verify its MAC and freshness, refuse a replay, then do the verb."""
    now = time.time() * 1000
    try:
        verb, arg, t, nonce, given = raw.decode("ascii").split("|")
        fresh = abs(now - int(t)) < FRESH_MS
    except (UnicodeDecodeError, ValueError):
        return {"ok": False, "error": "malformed control request"}
    if not fresh or not auth.verify(host.secret, f"{verb}|{arg}|{t}|{nonce}", given):
        host.log("control_refused", verb=verb)
        return {"ok": False, "error": "not authenticated"}
    if not seen.first_time(given, now):
        host.log("control_refused", verb=verb, reason="replayed")
        return {"ok": False, "error": "replayed request refused"}
    if verb == "status":
        return {"ok": True, **status(host)}
    if verb == "halt":
        for tid, eng in host.engines.items():
            eng.gate.halt(arg or "operator halt")
            host.checkpoint_now(tid)
        host.log("halt", reason=arg)
        return {"ok": True, "halted": arg or "operator halt"}
    if verb == "resume":
        for tid, eng in host.engines.items():
            eng.gate.resume()
            host.checkpoint_now(tid)
        host.log("resume")
        return {"ok": True}
    if verb == "strategy":
        if not host.engines:
            return {"ok": False, "error": "no terminal is connected yet: no strategy to command"}
        name, _, rest = arg.partition(":")
        sverb, _, sarg = rest.partition(":")
        if sverb == "status":  # read only: nothing changes, nothing is logged
            try:
                return {
                    "ok": True,
                    "status": {t: e.strategy_status(name) for t, e in host.engines.items()},
                }
            except ValueError as exc:
                return {"ok": False, "error": str(exc), "bad_input": True}
        try:
            for tid, eng in host.engines.items():
                eng.control(name, sverb, sarg)
                host.checkpoint_now(tid)
        except ValueError as exc:  # an unknown strategy, verb or argument: the caller's input
            return {"ok": False, "error": str(exc), "bad_input": True}
        finally:
            host.settle()
        host.log("strategy_control", strategy=name, verb=sverb, arg=sarg)
        return {"ok": True}
    if verb == "doctor":  # read only; "ping" times a QUERY of a never-used id per terminal
        if arg == "ping":
            return {"ok": True, "pings": doctor.send_pings(host)}
        if arg.startswith("trade:"):
            return doctor.trade_step(host, arg[len("trade:") :])
        return {"ok": True, **doctor.report(host)}
    if verb == "stop":
        host.stop_event.set()
        return {"ok": True}
    return {"ok": False, "error": f"unknown verb {verb!r}", "bad_input": True}


def status(host: Host) -> dict[str, Any]:
    return {
        "terminals": {
            link.terminal_id: {
                "state": link.state,
                "stale": link.stale,
                "frames": link.frames,
                "gaps": link.gaps,
                "dups": link.dups,
                "bad": link.bad,
            }
            for link in host.links.values()
            if link.state == "ready"
        },
        "unauthenticated": {
            "now": sum(link.state != "ready" for link in host.links.values()),
            "connections": host.noise.connections,
            "bad_frames": host.noise.bad_frames,
            "dropped": host.noise.dropped,
        },
        "engines": {
            tid: {
                "halted": e.gate.halted,
                "positions": len(e.portfolio.positions),
                "balance": round(e.portfolio.balance, 2),
                "equity": round(e.portfolio.equity(), 2),
                "open_orders": len(e.orders.open_orders),
                "strategies": {
                    st.name: {
                        "running": e.strategy_status(st.name)["running"],
                        "orders_held_back": e.warming.get(st.magic, 0),
                    }
                    for st in e.strategies
                },
                "history": _history(host, tid),
            }
            for tid, e in host.engines.items()
        },
        "bad_frames": host.stats.bad_frames,
        "gaps": host.stats.gaps,
        "dups": host.stats.dups,
    }


def control_call(
    endpoint: str, secret: bytes, verb: str, arg: str = "", timeout_ms: int = 3000
) -> dict[str, Any]:
    """Send one authenticated control request (status, halt, resume, stop) to a running brain."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.connect(endpoint)
    try:
        # the time bounds a capture's use; the nonce tells two identical commands apart (the
        # same one sent twice within a millisecond is not a replay)
        t, nonce = str(int(time.time() * 1000)), auth.new_nonce()
        body = f"{verb}|{arg}|{t}|{nonce}"
        s.send_string(f"{body}|{auth.mac(secret, body)}")
        reply: dict[str, Any] = json.loads(s.recv_string())
        return reply
    except zmq.Again:
        return {"ok": False, "error": f"no answer from {endpoint} within {timeout_ms} ms"}
    finally:
        s.close(0)


def _history(host: Host, terminal_id: str) -> dict[str, Any]:
    """What the terminal's warm-up asked and got, per symbol ({}: none was needed)."""
    sess = host.terminals.get(terminal_id)
    w = sess.warmup if sess is not None else None
    return w.report() if w is not None else {}

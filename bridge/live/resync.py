"""Resynchronising with a terminal after frames may have been lost (a gap in its sequence
numbers, a silence, a reconnect): the fills made after the last time known good are asked for
(DEALSINCE) and then its positions and orders (SNAPSHOT), and the engine is reconciled with
them. No new position is opened on books that may miss a fill until that is done."""

from __future__ import annotations

from bridge.brain.engine import Engine
from bridge.brain.reconcile import reconcile
from bridge.core import events as ev
from bridge.core.symbols import closest_names
from bridge.core.wallclock import wall_ms
from bridge.live.history import Warmup
from bridge.live.terminal_session import Host, Link

RESYNC = "resynchronising with the terminal after lost frames: no new position until reconciled"


def request_snapshot(host: Host, link: Link, seen_ms: int = 0, end_lost: bool = False) -> None:
    """Resynchronise: first the fills made after the time frames may have been lost from
    (any that were lost are applied, the rest are recognised by ticket), then the positions
    and orders. One request at a time: a gap seen while it is answered asks again once it
    has ended; it is asked again when its answer has not ended within ``resync_timeout_ms``
    or its end is known lost (``end_lost``); answers to older requests are ignored.
    ``seen_ms``: the server time of the frame that showed the gap."""
    pending = link.snapshot is not None
    if pending and not end_lost and wall_ms() - link.snap_sent < host.resync_timeout_ms:
        link.again = True  # the answer itself lost something: ask again once it has ended
        return
    sess = host.session_for(link)
    after = sess.fills_after()
    link.deals_req = 0  # an older request's replay of fills is superseded with it
    link.store_fills = False
    if after is not None:
        link.deals_req = link.next_request()
        host.send(link, ev.DealsSinceReq(link.deals_req, after))
    link.snap_req = link.next_request()
    link.resyncs += 1
    host.stats.resyncs += 1
    link.snap_sent = wall_ms()
    link.snap_at_ms = max(sess.last_ms, seen_ms)
    link.again = link.snap_waiting = False
    link.snapshot = []
    sess.engine.gate.resyncing = RESYNC
    host.checkpoint_now(link.terminal_id)
    host.send(link, ev.SnapshotReq(link.snap_req))


def snapshot_done(host: Host, link: Link) -> None:
    if link.again:
        # frames were lost while the answer came: one of them may be a position of it, and
        # books reconciled with it would close that position here; ask again instead
        host.log("resync_spoiled", terminal=link.terminal_id, request=link.snap_req)
        request_snapshot(host, link, end_lost=True)
        return
    snap = link.snapshot or []
    link.snapshot = None
    link.snap_waiting = False
    sess = host.session_for(link)
    eng = sess.engine
    if eng.aliases is not None:
        snap = [eng.aliases.inbound(x) for x in snap]
    cold = sess.take_cold()
    rep = reconcile(
        eng,
        [x for x in snap if isinstance(x, ev.Position)],
        [x for x in snap if isinstance(x, ev.PendingOrder)],
        cold=cold,
    )
    host.stats.reconciliations.append(rep.as_dict())
    host.log("reconciled", terminal=link.terminal_id, cold=cold, **rep.as_dict())
    for magic, why in missing_symbols(eng, link.terminal_id).items():
        if eng.gate.halted_magics.get(magic) != why:
            eng.gate.halted_magics[magic] = why
            host.log("symbol_missing", terminal=link.terminal_id, magic=magic, reason=why)
    if eng.gate.halted.startswith(f"terminal {link.terminal_id} silent"):
        eng.gate.resume()
        host.log("resumed", terminal=link.terminal_id)
    eng.orders.query_unknown()
    eng.gate.resyncing = ""
    eng.start()
    sess.accounted()  # everything up to now is accounted for
    if sess.warmup is None or not sess.warmup.active:
        w = Warmup(eng, lambda cmd: host.send(link, cmd), link.next_request)
        # a new engine, or one restored from a checkpoint made before its warm-up ended: its
        # strategies get their history first
        if (cold or eng.history_pending) and sess.warmup is None:
            if w.start(sess.last_ms):
                sess.warmup = w
                host.log("warming", terminal=link.terminal_id, needs=w.report())
        elif w.start_gap(sess.last_ms):  # bars closed while the terminal was away
            sess.warmup = w
            host.log("filling_gap", terminal=link.terminal_id, since=w.report())
    host.checkpoint_now(link.terminal_id)


def missing_symbols(eng: Engine, terminal_id: str) -> dict[int, str]:
    """Strategies naming a symbol the terminal does not offer (it sent no SPEC for it): each is
    halted with the reason, naming the closest names the terminal has, instead of running with
    no trades and no message."""
    have = sorted(eng.specs)
    out = {}
    for s in eng.strategies:
        for sym in s.symbols:
            if sym in eng.specs:
                continue
            close = closest_names(sym, have)
            hint = f"closest: {', '.join(close)}" if close else f"it offers {', '.join(have)}"
            out[s.magic] = (
                f"strategy {s.name} names {sym!r}, which terminal {terminal_id} does not offer "
                f"({hint}): name the broker's symbol in the strategy's parameters"
                + (f' or alias it in the config: [aliases] {sym} = "{close[0]}"' if close else "")
            )
            break
    return out

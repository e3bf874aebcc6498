"""Resynchronising with a terminal after frames may have been lost (a gap in its sequence
numbers, a silence, a reconnect): the fills made after the last time known good are asked for
(DEALSINCE) and then its positions and orders (SNAPSHOT), and the engine is reconciled with
them. No new position is opened on books that may miss a fill until that is done."""

from __future__ import annotations

from bridge.brain.reconcile import reconcile
from bridge.core import events as ev
from bridge.core.wallclock import wall_ms
from bridge.live.terminal_session import Host, Link

RESYNC = "resynchronising with the terminal after lost frames: no new position until reconciled"


def request_snapshot(host: Host, link: Link) -> None:
    """Resynchronise: first the fills made after the time frames may have been lost from
    (any that were lost are applied, the rest are recognised by ticket), then the positions
    and orders. One request at a time: a gap seen while it is answered asks again once it
    has ended; it is asked again when its answer has not ended within ``resync_timeout_ms``
    (the end was lost); answers to older requests are ignored."""
    if link.snapshot is not None and wall_ms() - link.snap_sent < host.resync_timeout_ms:
        link.again = True  # the answer itself lost something: ask again once it has ended
        return
    sess = host.session_for(link)
    after = sess.fills_after()
    if after is not None:
        link.deals_req = link.next_request()
        host.send(link, ev.DealsSinceReq(link.deals_req, after))
    link.snap_req = link.next_request()
    link.snap_sent = wall_ms()
    link.again = link.snap_waiting = False
    link.snapshot = []
    sess.engine.gate.resyncing = RESYNC
    host.checkpoint_now(link.terminal_id)
    host.send(link, ev.SnapshotReq(link.snap_req))


def snapshot_done(host: Host, link: Link) -> None:
    snap = link.snapshot or []
    link.snapshot = None
    link.snap_waiting = False
    sess = host.session_for(link)
    eng = sess.engine
    cold = sess.take_cold()
    rep = reconcile(
        eng,
        [x for x in snap if isinstance(x, ev.Position)],
        [x for x in snap if isinstance(x, ev.PendingOrder)],
        cold=cold,
    )
    host.stats.reconciliations.append(rep.as_dict())
    host.log("reconciled", terminal=link.terminal_id, cold=cold, **rep.as_dict())
    if eng.gate.halted.startswith(f"terminal {link.terminal_id} silent"):
        eng.gate.resume()
        host.log("resumed", terminal=link.terminal_id)
    eng.orders.query_unknown()
    if not link.again:
        eng.gate.resyncing = ""
    eng.start()
    if link.again:
        request_snapshot(host, link)
    else:
        sess.accounted()  # everything up to now is accounted for
    host.checkpoint_now(link.terminal_id)

"""Resynchronising with a terminal after frames may have been lost (a gap in its sequence
numbers, a silence, a reconnect): the fills made after the last time known good are asked for
(DEALSINCE) and then its positions and orders (SNAPSHOT), and the engine is reconciled with
them. No new position is opened on books that may miss a fill until that is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge import events as ev
from bridge.reconcile import reconcile
from bridge.wallclock import wall_ms

if TYPE_CHECKING:
    from bridge.engine import Engine
    from bridge.server import BrainServer, Link

RESYNC = "resynchronising with the terminal after lost frames: no new position until reconciled"


def lost_since(srv: BrainServer, tid: str) -> None:
    """Frames after the latest time seen so far may be lost: fills are asked from there."""
    last = srv._last_ms.get(tid, 0)
    srv._floor_ms[tid] = min(srv._floor_ms.get(tid, last), last)


def request_snapshot(srv: BrainServer, link: Link) -> None:
    """Resynchronise: first the fills made after the time frames may have been lost from
    (any that were lost are applied, the rest are recognised by ticket), then the positions
    and orders. One request at a time: a gap seen while it is answered asks again once it
    has ended; it is asked again when its answer has not ended within ``resync_timeout_ms``
    (the end was lost); answers to older requests are ignored."""
    if link.snapshot is not None and wall_ms() - link.snap_sent < srv.resync_timeout_ms:
        link.again = True  # the answer itself lost something: ask again once it has ended
        return
    eng = srv.engines.get(link.terminal_id)
    floor = srv._floor_ms.get(link.terminal_id)
    after = floor - 1 if floor is not None else (eng.session_start_ms if eng is not None else None)
    if after is not None:
        link._snap_req += 1
        link.deals_req = link._snap_req
        srv._send(link, ev.DealsSinceReq(link._snap_req, after))
    link._snap_req += 1
    link.snap_req = link._snap_req
    link.snap_sent = wall_ms()
    link.again = link.snap_waiting = False
    link.snapshot = []
    if eng is not None:
        eng.gate.resyncing = RESYNC
        srv.checkpoint_now(link.terminal_id)
    srv._send(link, ev.SnapshotReq(link._snap_req))


def snapshot_done(srv: BrainServer, link: Link, eng: Engine) -> None:
    snap = link.snapshot or []
    link.snapshot = None
    link.snap_waiting = False
    cold = link.terminal_id in srv._cold
    srv._cold.discard(link.terminal_id)
    rep = reconcile(
        eng,
        [x for x in snap if isinstance(x, ev.Position)],
        [x for x in snap if isinstance(x, ev.PendingOrder)],
        cold=cold,
    )
    srv.stats.reconciliations.append(rep.as_dict())
    srv._log("reconciled", terminal=link.terminal_id, cold=cold, **rep.as_dict())
    if eng.gate.halted.startswith(f"terminal {link.terminal_id} silent"):
        eng.gate.resume()
        srv._log("resumed", terminal=link.terminal_id)
    eng.orders.query_unknown()
    if not link.again:
        eng.gate.resyncing = ""
    eng.start()
    if link.again:
        request_snapshot(srv, link)
    else:
        srv._floor_ms.pop(link.terminal_id, None)  # everything up to now is accounted for
    srv.checkpoint_now(link.terminal_id)

"""The brain's transport: one ZeroMQ ROUTER socket that terminals (the EA, or the fake terminal)
connect to as DEALERs; market data, events and commands share the connection, so fills stay
ordered with ticks. Per terminal: handshake (version, HMAC challenge), sequence numbers both
ways, heartbeats both ways, silence detection (halt until resynchronised), gap detection
(resynchronise by snapshot), duplicate suppression, and lockstep replay for the fake terminal.
The handshake is in bridge/live/handshake.py, resynchronisation in bridge/live/resync.py.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import zmq

from bridge.brain.engine import Engine
from bridge.core import crashpoint
from bridge.core import events as ev
from bridge.core.wallclock import wall_ms
from bridge.live import control
from bridge.live.doctor import PING_PREFIX, ping_answered, result_seen
from bridge.live.handshake import handshake
from bridge.live.history import Warmup
from bridge.live.ledger import Ledger, store_fill
from bridge.live.noise import LogBudget, NoiseStats
from bridge.live.notify import Notifier
from bridge.live.resync import request_snapshot, snapshot_done
from bridge.live.terminal_session import Link, Stats, TerminalSession
from bridge.live.trade_log import SUMMARY_EVERY_MS, summary
from bridge.live.warm import OrderPathWarmer
from bridge.persist.recovery import Checkpoints
from bridge.wire import codec
from bridge.wire.endpoints import check_bind
from bridge.wire.transport import AUTH_MS, open_endpoint

log = logging.getLogger("mt5bridge.server")

DB_HALT = "audit trail cannot be written (database down or disk full): no new position"
CONTROL_MAX_BYTES = 4096  # a control request: a verb, an argument, a time, a nonce and a MAC
MAX_UNTRUSTED_LINKS = 256  # connections not yet authenticated the brain keeps state for
MAX_UNTRUSTED_BAD = 8  # bad frames an unauthenticated connection may send before it is dropped


class BrainServer:
    def __init__(
        self,
        make_engine: Callable[[str, Callable[[Any], None]], Engine],
        *,
        endpoint: str,
        secret: bytes,
        heartbeat_ms: int = 1000,
        silence_ms: int = 3000,
        control_endpoint: str = "",
        allow_remote: bool = False,
        on_log: Callable[[str, dict[str, Any]], None] | None = None,
        health: Callable[[], bool] | None = None,
        record: Callable[[Any], None] | None = None,
        checkpoints: Checkpoints | None = None,
        checkpoint_every_ms: int = 1000,
        transport: str = "zmq",
        busy_poll: bool = False,
        keep_warm_ms: int = 0,
        ledger: Ledger | None = None,
    ) -> None:
        self.notifier: Notifier | None = None  # set by the runner when [notify] names a URL
        check_bind(endpoint, allow_remote)
        if control_endpoint:
            check_bind(control_endpoint, allow_remote)
        self.make_engine = make_engine
        self.health = health  # False while the audit database refuses writes: trading halts
        self.ledger = ledger  # the store, read at a terminal's handshake (bridge/live/ledger.py)
        self.resync_timeout_ms = max(silence_ms // 3, 200)
        self.record = record  # record mode: sees every decoded frame from the terminals
        # crash recovery (bridge/persist/recovery.py): a frame handled is logged before what it
        # caused leaves; checkpoints while no frame waits, at most every checkpoint_every_ms
        self.checkpoints = checkpoints
        self.checkpoint_every_ms = checkpoint_every_ms
        self._ckpt_wall: dict[str, int] = {}
        self._outbox: list[tuple[str, Any]] = []
        self.secret = secret
        self.heartbeat_ms = heartbeat_ms
        self.silence_ms = silence_ms
        self.on_log = on_log
        self.engines: dict[str, Engine] = {}
        self.links: dict[bytes, Link] = {}
        # per terminal id, across its connections: the engine, the connection that speaks for
        # it, the latest server time seen and the resync floor (bridge/live/terminal_session.py)
        self.terminals: dict[str, TerminalSession] = {}
        self.stats = Stats()
        # what unauthenticated peers do is counted; their log lines are rate-limited
        self.noise = NoiseStats()
        self.budget = LogBudget(self.log, started=wall_ms())
        self.auth_ms = AUTH_MS
        self._summary_wall = wall_ms()  # a summary of every terminal once a minute
        self.stop_event = threading.Event()
        self.serving = threading.Event()  # set once serve() takes frames
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.transport = open_endpoint(transport, endpoint)
        self.endpoint = self.transport.endpoint
        self.control: zmq.Socket[bytes] | None = None
        self.seen_requests = control.SeenRequests()  # a replayed control request is refused
        if control_endpoint:
            self.control = self.ctx.socket(zmq.REP)
            self.control.setsockopt(zmq.LINGER, 0)
            self.control.setsockopt(zmq.MAXMSGSIZE, CONTROL_MAX_BYTES)
            self.control.bind(control_endpoint)
        # as bound (a port 0 in the config is a free port chosen by the system)
        self.control_endpoint = (
            self.control.getsockopt_string(zmq.LAST_ENDPOINT) if self.control is not None else ""
        )
        # called with (wall ms, nothing waiting) between polls: work that must stay off the
        # path of a frame (the dashboard's feed) does it when nothing waits
        self.watchers: list[Callable[[int, bool], None]] = []
        self.last_frame_wall = wall_ms()
        # low latency (docs/performance.md): poll without sleeping; run the order path dry
        # every keep_warm_ms while no frame comes (bridge/live/warm.py)
        self.busy_poll = busy_poll
        self.keep_warm_ms = keep_warm_ms
        self.warmers: dict[str, OrderPathWarmer] = {}

    # -- logging -----------------------------------------------------------------------------
    def log(self, kind: str, **detail: Any) -> None:
        log.info("%s %s", kind, detail)
        if self.on_log is not None:
            self.on_log(kind, detail)
        if self.notifier is not None:
            self.notifier.event(kind, detail)

    # -- sending -----------------------------------------------------------------------------
    def send(self, link: Link, msg: Any) -> None:
        link.seq_out += 1
        link.last_tx = wall_ms()
        self.transport.send(link.identity, codec.encode(msg, link.seq_out))

    def _sender(self, terminal_id: str) -> Callable[[Any], None]:
        def send(cmd: Any) -> None:
            self._outbox.append((terminal_id, cmd))  # leaves in settle, after the frame log

        return send

    def settle(self) -> None:
        """Send the commands the frames caused, their frames written to the log first."""
        if self._outbox:
            if self.checkpoints is not None:
                self.checkpoints.flush()
                if crashpoint.ARMED:
                    crashpoint.hit("before_send")
            out, self._outbox = self._outbox, []
            for tid, cmd in out:
                sess = self.terminals.get(tid)
                link = self.links.get(sess.identity) if sess is not None else None
                if link is None or link.state != "ready":
                    # not connected: the order manager's timeout turns it into a QUERY on reconnect
                    self.log("send_dropped", terminal=tid, command=repr(cmd))
                    continue
                self.send(link, cmd)
            if crashpoint.ARMED:
                crashpoint.hit("command", settle_s=0.05)

    def _write_frame_logs(self) -> None:
        """What the sockets held has been handled: its frames are written to the log; a
        terminal whose log has grown long gets a checkpoint (a restart replays the log)."""
        ck = self.checkpoints
        if ck is not None:
            ck.flush()
            for tid in self.engines:
                if ck.due(tid):
                    self.checkpoint_now(tid)

    def checkpoints_due(self, now: int) -> None:
        """The checkpoints due by time: called while no frame waits (and by housekeeping), so
        that writing one does not delay a tick arriving."""
        for tid, eng in self.engines.items():
            if eng.dirty and now - self._ckpt_wall.get(tid, 0) >= self.checkpoint_every_ms:
                self.checkpoint_now(tid)

    def checkpoint_now(self, tid: str) -> None:
        """Checkpoint the engine now: called after it changed other than by a frame (the frame
        log holds frames only), before any command that change caused leaves."""
        eng = self.engines.get(tid)
        if self.checkpoints is None or eng is None:
            return
        sess = self.terminals.get(tid)
        self.checkpoints.save(tid, eng, sess.floor_ms if sess is not None else None)
        eng.dirty = False
        self._ckpt_wall[tid] = wall_ms()

    # -- the loop ----------------------------------------------------------------------------
    def serve(self, idle_exit_s: float | None = None) -> None:
        poller = zmq.Poller()
        self.transport.watch(poller)
        if self.control is not None:
            poller.register(self.control, zmq.POLLIN)
        tick_every = max(10, min(self.heartbeat_ms, self.silence_ms) // 4)
        next_house = wall_ms() + tick_every
        wait_ms = min(tick_every, self.keep_warm_ms) if self.keep_warm_ms else tick_every
        next_warm = 0
        # what start-up built (modules, config, engines: hundreds of thousands of objects) lives
        # as long as the process: out of the collector's reach, so that a full collection,
        # which holds the interpreter lock, does not walk all of it (it held a tick's order up
        # for ~30 ms while the store was writing rows; bench/latency.py --store-rows)
        gc.freeze()
        self.serving.set()
        while not self.stop_event.is_set():
            socks = dict(poller.poll(0 if self.busy_poll else self.transport.idle_ms(wait_ms)))
            got = False
            for ident, frame in self.transport.receive(socks, poller):
                got = True
                if frame is None:
                    self._bad_frame(ident, "an empty message or one of several parts")
                elif not frame:
                    self._connection_gone(ident)
                else:
                    self.on_frame(ident, frame)
            if got and self.checkpoints is not None:
                self._write_frame_logs()
            if self.control is not None and self.control in socks:
                self._on_control()
            now = wall_ms()
            for watch in self.watchers:
                watch(now, not socks)
            if now >= next_house:
                next_house = now + tick_every
                self.housekeeping(now)
            elif not socks:
                if self.checkpoints is not None:
                    self.checkpoints_due(now)
                if self.keep_warm_ms and now >= next_warm:
                    next_warm = now + self.keep_warm_ms
                    self.keep_warm()
            if idle_exit_s is not None and now - self.last_frame_wall > idle_exit_s * 1000:
                self.log("idle_exit", seconds=idle_exit_s)
                break

    def keep_warm(self) -> None:
        for tid, eng in self.engines.items():
            w = self.warmers.get(tid)
            if w is None:
                w = self.warmers[tid] = OrderPathWarmer(eng, self.transport.frame)
            w.warm()

    def close(self) -> None:
        if self.checkpoints is not None:
            self.checkpoints.close()
        self.transport.close()
        if self.control is not None:
            self.control.close(0)

    def _check_health(self) -> None:
        ck = self.checkpoints
        if self.health is None and ck is None:
            return
        ok = (self.health is None or self.health()) and (ck is None or not ck.problem)
        for tid, eng in self.engines.items():
            if not ok and not eng.gate.halted:
                eng.gate.halt(DB_HALT)
                self.checkpoint_now(tid)
                self.stats.halts += 1
                self.log("halt", terminal=tid, reason=DB_HALT)
            elif ok and eng.gate.halted == DB_HALT:
                eng.gate.resume()
                self.checkpoint_now(tid)
                self.log("resumed", terminal=tid, reason="database back")

    def housekeeping(self, now: int) -> None:
        self._check_health()
        self.transport.expire()
        if now - self.budget.started >= self.budget.window_ms:
            self.budget.flush(now)
        for link in list(self.links.values()):
            if link.state != "ready":
                if now - link.born > self.auth_ms:
                    self.forget(link, f"not authenticated within {self.auth_ms} ms")
                continue
            if now - link.last_tx >= self.heartbeat_ms:
                self.send(link, ev.Heartbeat(now))
            if (
                link.snapshot is not None
                and (link.snap_req or link.snap_waiting)
                and now - link.snap_sent >= self.resync_timeout_ms
            ):
                self.log("resync_again", terminal=link.terminal_id, request=link.snap_req)
                request_snapshot(self, link)  # the answer's end was lost
            warm = self.terminals[link.terminal_id].warmup
            if (
                warm is not None
                and warm.active
                and now - warm.progress_wall >= self.resync_timeout_ms
            ):
                if warm.ask_again():  # nothing came for a while: an answer's end was lost
                    self.log("history_again", terminal=link.terminal_id)
                else:  # the terminal stays mute: the strategies go live with what came
                    self.log("history_given_up", terminal=link.terminal_id)
                    warm.give_up()
                    self._warmed(link, self.terminals[link.terminal_id], warm)
            if not link.stale and now - link.last_rx > self.silence_ms:
                self._terminal_lost(link, f"terminal {link.terminal_id} silent")
                self.log("terminal_silent", terminal=link.terminal_id, ms=now - link.last_rx)
        if now - self._summary_wall >= SUMMARY_EVERY_MS:
            self._summary_wall = now
            for tid, eng in self.engines.items():
                summary(tid, eng)
        for tid, eng in self.engines.items():
            if (eng.orders.open_orders or eng.orders.unbooked) and eng.orders.expire(now):
                self.checkpoint_now(tid)
        self.settle()
        if self.checkpoints is not None:
            self.checkpoints_due(now)

    def _market_connection(self, tid: str, eng: Engine, connected: bool) -> None:
        """A terminal that lost its market (an MT5 terminal its trade server, an exchange
        terminal its price stream) halts new positions until it has it again; a halt of
        another cause is left as it is."""
        reason = f"terminal {tid} lost its market connection"
        if not connected and not eng.gate.halted:
            eng.gate.halt(reason)
            self.log("market_lost", terminal=tid)
        elif connected and eng.gate.halted == reason:
            eng.gate.resume()
            self.log("market_back", terminal=tid)

    def _terminal_lost(self, link: Link, reason: str) -> None:
        """No frame can be trusted to come: halt the terminal's engine until it is
        resynchronised; orders sent and unanswered have an unknown outcome."""
        link.stale = True
        eng = self.engines[link.terminal_id]
        eng.gate.halt(reason)
        self.terminals[link.terminal_id].lost_since()
        eng.orders.mark_unknown()
        self.checkpoint_now(link.terminal_id)
        self.stats.halts += 1

    # -- connections ---------------------------------------------------------------------------
    def _new_link(self, ident: bytes, now: int) -> Link:
        """State for a connection not seen before; the oldest unauthenticated one is forgotten
        when too many are held."""
        untrusted = [lk for lk in self.links.values() if lk.state != "ready"]
        if len(untrusted) >= MAX_UNTRUSTED_LINKS:
            self.forget(untrusted[0], "too many unauthenticated connections")
        self.noise.connections += 1
        link = self.links[ident] = Link(ident, last_rx=now, born=now)
        return link

    def _connection_gone(self, ident: bytes) -> None:
        """The connection behind ``ident`` ended (or a new one took its identity): what it
        was authenticated for ends with it."""
        link = self.links.pop(ident, None)
        if link is None or link.state != "ready":
            return
        sess = self.terminals.get(link.terminal_id)
        if sess is None or sess.identity != ident:
            return
        sess.identity = b""
        if not link.stale:
            self._terminal_lost(link, f"terminal {link.terminal_id} silent: connection closed")
        self.log("terminal_gone", terminal=link.terminal_id)

    def forget(self, link: Link, why: str) -> None:
        """Drop an unauthenticated (or refused) connection and what the brain held for it."""
        if self.links.get(link.identity) is link:
            del self.links[link.identity]
        self.transport.disconnect(link.identity)
        self.noise.dropped += link.state != "ready"
        self.noisy(link, "connection_dropped", terminal=link.terminal_id, reason=why)

    def trust(self, link: Link) -> None:
        self.transport.trust(link.identity)

    def noisy(self, link: Link, kind: str, **detail: Any) -> None:
        """A log line about a connection, rate-limited per connection source and kind (a
        flood of bad input never becomes a flood of lines and audit rows)."""
        source = link.terminal_id if link.state == "ready" else "unauthenticated"
        self.budget.note(wall_ms(), source, kind, **detail)

    # -- frames ------------------------------------------------------------------------------
    def on_frame(self, ident: bytes, frame: bytes) -> None:
        if crashpoint.ARMED:
            crashpoint.hit("frame")
        now = wall_ms()
        self.last_frame_wall = now
        link = self.links.get(ident)
        if link is None:
            link = self._new_link(ident, now)
        try:
            seq, msg = codec.decode(frame)
        except codec.FrameError as exc:
            self._bad_frame(ident, str(exc))
            return
        link.last_rx = now
        if link.state != "ready":
            handshake(self, link, seq, msg)
            self.settle()
            return
        if seq <= link.seq_in:
            link.dups += 1
            self.stats.dups += 1
            return
        sess = self.terminals[link.terminal_id]
        t = type(msg)
        tm = msg.time_ms if t is ev.Tick else getattr(msg, "time_ms", None)
        if seq != link.seq_in + 1:
            sess.lost_since()
            link.gaps += 1
            self.stats.gaps += 1
            self.log("gap", terminal=link.terminal_id, expected=link.seq_in + 1, got=seq)
            request_snapshot(self, link, tm if type(tm) is int else 0)
            if sess.warmup is not None and sess.warmup.active:
                sess.warmup.ask_again()  # a history answer may have lost its end
        elif link.lockstep and t is ev.Tick and link.snapshot is not None:
            self._lockstep_end_lost(link, msg.time_ms)
        link.seq_in = seq
        link.frames += 1
        if link.stale:
            link.stale = False
            self.log("terminal_back", terminal=link.terminal_id)
            request_snapshot(self, link, tm if type(tm) is int else 0)
        eng = sess.engine
        if type(tm) is int and tm > sess.last_ms:
            sess.saw(tm)
        if self.record is not None:
            self.record(msg)
        ck = self.checkpoints
        warm = sess.warmup
        if warm is not None and warm.active and self._warming_frame(link, sess, warm, msg, frame):
            self._after_frame(link, seq)
            return
        if t is ev.Tick and (link.snapshot is None or not eng.is_last_quote(msg)):
            self._handle(link, eng, msg)  # the hot path: a quote, handled
            if ck is not None:
                ck.log_frame(link.terminal_id, frame)
        elif t is ev.Tick:
            pass  # the quote a reconnecting terminal sends with its state, already known
        elif link.snapshot is not None and t in (ev.Position, ev.PendingOrder):
            link.snapshot.append(msg)
        elif t is ev.SnapshotEnd:
            if link.deals_req and msg.req_id == link.deals_req:
                link.deals_req = 0  # the end of a replay of fills, not of a snapshot
                link.store_fills = False
                if link.snap_waiting:
                    snapshot_done(self, link)
            elif link.snapshot is not None and msg.req_id == link.snap_req:
                if link.deals_req:  # fills first, as they happened: then the positions
                    link.snap_waiting = True
                else:
                    snapshot_done(self, link)
            # else: the end of an answer to an older request: superseded
        elif t is ev.Heartbeat:
            pass
        elif t is ev.Hello:  # a terminal restarting on the same connection
            link.state = "hello"
            handshake(self, link, seq, msg)
            return
        elif t is ev.TerminalInfo:
            if sess.info is None or sess.info[:7] != msg[:7]:  # a flag, the build or the mode
                self.log("terminal_info", terminal=link.terminal_id, **msg._asdict())
            sess.info = msg
            self._market_connection(link.terminal_id, eng, msg.connected)
        elif t is ev.OrderResult and msg.client_id.startswith(PING_PREFIX):
            ping_answered(sess, msg.client_id, wall_ms())  # the doctor's: not an order
        elif t is ev.Deal and link.store_fills and self.ledger is not None:
            fill = eng.aliases.inbound(msg) if eng.aliases is not None else msg
            store_fill(self.ledger, eng.account_key, eng, fill)  # a cold start's: stored only
        elif (
            t is ev.OrderResult
            and sess.open_rows is not None
            and self.ledger is not None
            and sess.open_rows.answer(self.ledger, msg, sess.last_ms)
        ):
            self.log("order_row_settled", terminal=link.terminal_id, client_id=msg.client_id)
        else:
            if crashpoint.ARMED and t is ev.Deal:
                crashpoint.hit("deal")
            if t is ev.OrderResult and sess.trials:
                result_seen(sess, msg, wall_ms())  # a trade-test order's answer, timed
            self._handle(link, eng, msg)
            if ck is not None:
                ck.log_frame(link.terminal_id, frame)
        self._after_frame(link, seq)

    def _after_frame(self, link: Link, seq: int) -> None:
        if self._outbox:
            self.settle()
        if link.lockstep:
            ck = self.checkpoints
            if ck is not None:
                ck.flush()  # the terminal moves on at READY: what it sent is written
            if crashpoint.ARMED:
                crashpoint.hit("ready")
            self.send(link, ev.Ready(seq))

    def _warming_frame(
        self, link: Link, sess: TerminalSession, warm: Warmup, msg: Any, frame: bytes
    ) -> bool:
        """A frame while the terminal's strategies get their history: the answer's frames are
        collected, live quotes and bars wait until the history is in; True when taken here."""
        t = type(msg)
        if t is ev.HistoryBar:
            warm.on_bar(msg)
            return True
        if t is ev.HistoryEnd:
            if warm.on_end(msg):
                self._warmed(link, sess, warm)
            return True
        if warm.active and t in (ev.Tick, ev.Bar):
            warm.waiting.append((msg, frame))
            return True
        return False

    def _warmed(self, link: Link, sess: TerminalSession, warm: Warmup) -> None:
        """The history is in: through the engine, then the live frames that waited for it."""
        eng = sess.engine
        warm.feed()
        ck = self.checkpoints
        for msg, frame in warm.waiting:
            if warm.is_old(msg):
                continue  # already in the history
            self._handle(link, eng, msg)
            if ck is not None:
                ck.log_frame(link.terminal_id, frame)
        warm.waiting.clear()
        self.log("warmed", terminal=link.terminal_id, history=warm.report(), short=warm.short)
        for name, missing in warm.short.items():
            log.warning(
                "strategy %s: the terminal had %s fewer M1 bars of history than it needs: it "
                "decides as a replay started where that history starts until its indicators "
                "have settled",
                name,
                ", ".join(f"{n} {sym}" for sym, n in missing.items()),
            )
        self.checkpoint_now(link.terminal_id)

    def _lockstep_end_lost(self, link: Link, time_ms: int) -> None:
        """A lockstep terminal answers a request before its next step, and a step's quote is
        later than any frame of the step before: a quote later than the time the request was
        made at, while its answer has not ended, means the end was lost. Asked again at once
        (the wall-clock timeout would let a fast replay run for hours of market time)."""
        if (link.snap_req or link.snap_waiting) and time_ms > link.snap_at_ms:
            self.log("resync_again", terminal=link.terminal_id, request=link.snap_req)
            request_snapshot(self, link, time_ms, end_lost=True)

    def _bad_frame(self, ident: bytes, reason: str) -> None:
        link = self.links.get(ident)
        if link is None:
            link = self._new_link(ident, wall_ms())
        link.bad += 1
        self.stats.bad_frames += 1
        self.noisy(link, "bad_frame", terminal=link.terminal_id, reason=reason)
        if link.state != "ready":
            self.noise.bad_frames += 1
            if link.bad >= MAX_UNTRUSTED_BAD:
                self.forget(link, f"{link.bad} bad frames before authenticating")

    def _handle(self, link: Link, eng: Engine, msg: Any) -> None:
        try:
            eng.handle(msg)
        except Exception as exc:  # a bug must not take the brain down: log it, go on
            self.stats.event_errors += 1
            self.log(
                "event_error",
                terminal=link.terminal_id,
                frame=type(msg).__name__,
                error=f"{type(exc).__name__}: {exc}",
            )

    def session_for(self, link: Link) -> TerminalSession:
        """The session of the terminal a connection speaks for; its engine is made the first
        time the terminal completes a handshake."""
        tid = link.terminal_id
        sess = self.terminals.get(tid)
        if sess is None:
            eng = self.engines[tid] = self.make_engine(tid, self._sender(tid))
            sess = self.terminals[tid] = TerminalSession(tid, eng)
        return sess

    # -- control endpoint --------------------------------------------------------------------
    def _on_control(self) -> None:
        """One request on the control socket, answered; nothing a peer sends (several parts,
        garbage, a peer gone before the answer) stops the brain."""
        assert self.control is not None
        try:
            parts = self.control.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return
        if len(parts) == 1:
            reply = self.control_request(parts[0])
        else:
            reply = {"ok": False, "error": "malformed control request (several parts)"}
        try:
            self.control.send_string(json.dumps(reply), zmq.NOBLOCK)
        except zmq.ZMQError as exc:  # the peer is gone: nothing to answer
            self.log("control_unanswered", error=str(exc))

    def control_request(self, raw: bytes) -> dict[str, Any]:
        return control.answer(self, raw, self.seen_requests)

    def status(self) -> dict[str, Any]:
        return control.status(self)

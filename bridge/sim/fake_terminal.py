"""The fake terminal: speaks the EA's protocol over ZeroMQ and answers with the broker simulator.

It connects to the brain as a DEALER, performs the handshake, sends its account, symbol specs,
positions and orders, then streams a fixture. In lockstep mode (HELLO flag 1) it waits after each
market step until the brain has processed everything it sent, which makes a session over sockets
give exactly the trades of in-process replay. Faults can be injected on the way out (drop,
duplicate, delay, reorder, silence, disconnect/reconnect) and on the way in (duplicated commands).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import zmq

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.data.fixtures import Fixture, market_events
from bridge.sim.terminal import SimTerminal
from bridge.wire import auth, codec
from bridge.wire.terminal_link import expect_frame
from bridge.wire.terminal_wire import (
    BrainUnreachable,
    PlainWire,
    TerminalRefused,
    ZmqWire,
)

NOT_HANDSHAKEN = (
    3  # the brain's ERROR code for a frame before the handshake (bridge/live/handshake.py)
)


@dataclass(slots=True)
class Faults:
    seed: int = 1
    drop: float = 0.0  # an outgoing frame is lost (its sequence number is used)
    drop_deals: float = 0.0  # an outgoing DEAL frame is lost (needs only_market off)
    drop_deal_every: int = 0  # every n-th DEAL frame made (not replayed) is lost, for certain
    duplicate: float = 0.0  # an outgoing frame is sent twice
    reorder: float = 0.0  # an outgoing frame is held back and sent after the next one
    delay: float = 0.0  # an outgoing frame waits delay_ms before it is sent
    delay_ms: float = 5.0
    dup_commands: float = 0.0  # an incoming command is delivered twice
    silence_after: int = 0  # after this many market events, send nothing for silence_s...
    silence_s: float = 0.0
    reconnect: bool = False  # ...then reconnect with a new socket and handshake
    only_market: bool = True  # apply drop/dup/reorder/delay to market frames only
    reject: float = 0.0  # a trade command is refused by the broker, with each retcode in turn
    lose_at: tuple[int, ...] = ()  # the frames of these market events (by index) are lost
    away_at: int = 0  # at this market event the terminal goes away (its connection closed)...
    away_events: int = 0  # ...the market moves on this many events, then it connects again
    spoil_answers: int = 0  # the first n answers to SNAPSHOT lose their first POS frame
    cut_answers: int = 0  # the first n answers to SNAPSHOT lose their SNAPEND
    algo_trading_off: bool = False  # the terminal's Algo Trading button is off
    ignore_history: bool = False  # HISTREQ is never answered (lost answers, or a terminal stuck)


@dataclass(slots=True)
class FakeSummary:
    market_events: int = 0
    commands: int = 0
    executed_ids: list[str] = field(default_factory=list)
    deals: list[ev.Deal] = field(default_factory=list)
    dropped: int = 0
    dropped_deals: int = 0
    duplicated: int = 0
    reconnects: int = 0
    worst_ready_ms: float = 0.0  # lockstep: the longest wait for the brain's READY
    history_requests: int = 0  # HISTREQ among the commands


class FakeTerminal:
    def __init__(
        self,
        fx: Fixture,
        endpoint: str,
        secret: bytes,
        *,
        terminal_id: str = "fake-1",
        lockstep: bool = True,
        faults: Faults | None = None,
        heartbeat_ms: int = 1000,
        ready_timeout_s: float = 20.0,
        version: str = codec.PROTOCOL_VERSION,
        rejoin_s: float = 0.0,
        server: str = "mt5bridge-sim",
        plain: bool = False,
        start_ms: int = 0,
        on_away: Callable[[], None] | None = None,
    ) -> None:
        """``rejoin_s`` > 0: in lockstep, a brain that has not answered within
        ``ready_timeout_s`` is taken for dead (killed, restarted): the terminal reconnects,
        handshakes with whichever brain answers within ``rejoin_s``, and sends the market step
        that was not finished again (the brain skips what it had already handled).
        ``plain``: speak ZMTP on a plain socket as the EA does, instead of through a ZeroMQ
        DEALER (bridge/wire/terminal_wire.py). ``start_ms``: the session starts at this server
        time: the fixture before it is the terminal's past (its history, the state of its
        books), as when a brain is started in the middle of a trading week. ``on_away``: called
        when the terminal has gone away (``Faults.away_at``), before the market moves on: a
        test kills or restarts the brain there."""
        self.plain = plain
        self.on_away = on_away
        self.start_ms = start_ms
        self.fx = fx
        self.term = SimTerminal(fx)
        self.endpoint = endpoint
        self.secret = secret
        self.terminal_id = terminal_id
        self.server = server  # the trade server's name: with the login, the account
        self.lockstep = lockstep
        self.faults = faults or Faults()
        self.term.algo_trading = not self.faults.algo_trading_off
        self.rng = random.Random(self.faults.seed)
        self._deals_out = 0  # DEAL frames sent through the faults, for drop_deal_every
        self._answers = 0  # SNAPSHOT requests answered, for spoil_answers and cut_answers
        self.heartbeat_ms = heartbeat_ms
        self.ready_timeout_s = ready_timeout_s
        self.version = version
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.sock: ZmqWire | PlainWire | None = None
        self.seq_out = 0
        self.delivered = 0  # highest sequence number actually put on the wire
        self.ready_upto = 0
        self.summary = FakeSummary()
        self._held: bytes | None = None
        self._last_tx = 0.0
        self.rejoin_s = rejoin_s
        self._step: list[Any] = []  # the market frames of the step being sent
        self._refusals = 0
        self._forgotten = False  # the brain answered a frame with "before the handshake"

    # -- connection --------------------------------------------------------------------------
    def connect(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = PlainWire(self.endpoint) if self.plain else ZmqWire(self.ctx, self.endpoint)
        self.seq_out = self.delivered = self.ready_upto = 0
        nonce = auth.new_nonce()
        acct = self.fx.account
        self._raw(
            ev.Hello(
                self.version,
                self.terminal_id,
                acct.login,
                1 if self.lockstep else 0,
                self.server,
                nonce,
            )
        )
        ch = self._expect(ev.Challenge)
        if ch.version.split(".")[0] != self.version.split(".")[0]:
            raise TerminalRefused(f"brain speaks protocol {ch.version}, terminal {self.version}")
        try:
            mac = auth.answer_challenge(self.secret, nonce, ch.nonce, ch.proof)
        except auth.BrainNotProven as exc:
            self._raw(ev.Error(2, "the brain's proof failed: wrong shared secret on one side"))
            raise TerminalRefused(str(exc)) from None
        self._raw(ev.Auth(mac))
        welcome = self._expect(ev.Welcome)
        self.heartbeat_ms = welcome.heartbeat_ms or self.heartbeat_ms  # the brain's interval
        for e in self.term.connect_events():
            self._raw(e)
        self._raw(ev.SnapshotEnd(0, len(self.term.sim.positions), len(self.term.sim.orders)))
        if self.lockstep:  # the brain says READY to a lockstep terminal only
            self._wait_ready()

    def _expect(self, kind: type) -> Any:
        assert self.sock is not None
        return expect_frame(self.sock, kind, self.ready_timeout_s, self.endpoint)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # -- sending -----------------------------------------------------------------------------
    def _raw(self, msg: Any) -> None:
        """Send without faults (handshake, answers to commands)."""
        assert self.sock is not None
        self.seq_out += 1
        self.sock.send(codec.encode(msg, self.seq_out))
        self.delivered = self.seq_out
        self._last_tx = time.monotonic()

    def _out(self, msg: Any, market: bool, replay: bool = False) -> None:
        f = self.faults
        if f.only_market and not market:
            self._raw(msg)
            return
        assert self.sock is not None
        self.seq_out += 1
        frame = codec.encode(msg, self.seq_out)
        r = self.rng.random
        nth_deal = False
        if f.drop_deal_every and isinstance(msg, ev.Deal) and not replay:
            self._deals_out += 1
            nth_deal = self._deals_out % f.drop_deal_every == 0
        if nth_deal or (f.drop_deals and isinstance(msg, ev.Deal) and r() < f.drop_deals):
            self.summary.dropped += 1
            self.summary.dropped_deals += 1
            return
        if f.drop and r() < f.drop:
            self.summary.dropped += 1
            self.summary.dropped_deals += isinstance(msg, ev.Deal)
            return
        if f.delay and r() < f.delay:
            time.sleep(f.delay_ms / 1000)
        if f.reorder and self._held is None and r() < f.reorder:
            self._held = frame
            return
        self.sock.send(frame)
        if f.duplicate and r() < f.duplicate:
            self.sock.send(frame)
            self.summary.duplicated += 1
        if self._held is not None:
            self.sock.send(self._held)
            self._held = None
        self.delivered = self.seq_out
        self._last_tx = time.monotonic()

    # -- receiving ---------------------------------------------------------------------------
    def _on_incoming(self, frame: bytes) -> None:
        try:
            _seq, msg = codec.decode(frame)
        except codec.FrameError:
            return  # the EA ignores what it cannot parse; the brain's sequence check notices
        if isinstance(msg, ev.Ready):
            self.ready_upto = max(self.ready_upto, msg.upto_seq)
            return
        if isinstance(msg, ev.Heartbeat | ev.Welcome | ev.Challenge):
            return
        if isinstance(msg, ev.Error):
            if msg.code == NOT_HANDSHAKEN and self.rejoin_s > 0:
                # a restarted brain on the same endpoint got a frame of the old session (the
                # socket reconnects by itself): handshake with it, then finish the step
                self._forgotten = True
                return
            raise TerminalRefused(f"brain error: {msg.text} (code {msg.code})")
        self.summary.commands += 1
        self.summary.history_requests += isinstance(msg, ev.HistoryReq)
        if isinstance(msg, ev.HistoryReq) and self.faults.ignore_history:
            return
        times = (
            2 if self.faults.dup_commands and self.rng.random() < self.faults.dup_commands else 1
        )
        for _ in range(times):
            lose = self._answer_losses(msg)
            for out in self._answer(msg):
                if type(out) in lose:
                    lose.discard(type(out))
                    self._lose()
                    continue
                if isinstance(out, ev.Deal) and not isinstance(msg, ev.DealsSinceReq):
                    self.summary.deals.append(out)  # made now, not a replay of an earlier one
                try:  # answers are lost too when only_market is off
                    self._out(out, market=False, replay=isinstance(msg, ev.DealsSinceReq))
                except BrainUnreachable:
                    if self.rejoin_s <= 0:
                        raise
                    self._forgotten = True  # the brain died mid-answer: the next one asks again
                    return

    def _answer_losses(self, cmd: Any) -> set[type]:
        """The frame kinds the answer to ``cmd`` loses (once each) by the deterministic faults."""
        if not isinstance(cmd, ev.SnapshotReq):
            return set()
        self._answers += 1
        lose: set[type] = set()
        if self._answers <= self.faults.spoil_answers:
            lose.add(ev.Position)
        if self._answers <= self.faults.cut_answers:
            lose.add(ev.SnapshotEnd)
        return lose

    def _lose(self) -> None:
        """A frame lost on the way: its sequence number is used, nothing is sent."""
        self.seq_out += 1
        self.summary.dropped += 1

    def _answer(self, cmd: Any) -> list[Any]:
        f = self.faults
        trade = isinstance(
            cmd, ev.OpenCmd | ev.CloseCmd | ev.ModifyCmd | ev.CloseByCmd | ev.CancelCmd
        )
        if trade and f.reject and self.rng.random() < f.reject:
            code = rc.REFUSALS[self._refusals % len(rc.REFUSALS)]
            self._refusals += 1
            return [self.term.sim.refuse(cmd, code), self.term.sim.account()]
        return self.term.command(cmd)

    def _pump(self, timeout_ms: int) -> bool:
        assert self.sock is not None
        if not self.sock.poll(timeout_ms):
            return False
        while True:
            frame = self.sock.recv_nowait()
            if frame is None:
                return True
            self._on_incoming(frame)

    def _wait_ready(self) -> None:
        began = time.monotonic()
        deadline = began + self.ready_timeout_s
        try:
            self._wait_ready_until(deadline)
        finally:
            waited = (time.monotonic() - began) * 1000
            if waited > self.summary.worst_ready_ms:
                self.summary.worst_ready_ms = waited

    def _wait_ready_until(self, deadline: float) -> None:
        while self.ready_upto < self.delivered:
            if self._forgotten:
                self._rejoin()
                return
            if time.monotonic() > deadline:
                if self.rejoin_s > 0:
                    self._rejoin()
                    return
                raise TimeoutError(
                    f"brain did not finish frame {self.delivered} within "
                    f"{self.ready_timeout_s} s (last READY {self.ready_upto})"
                )
            self._pump(50)

    def _rejoin(self) -> None:
        """The brain is gone: handshake with the next one, then finish the step."""
        self.summary.reconnects += 1
        self._forgotten = False
        self._connect_patiently()
        for e in self._step:
            self._raw(e)
        self._wait_ready()

    def _connect_patiently(self) -> None:
        give_up = time.monotonic() + self.rejoin_s
        while True:
            try:
                self.connect()
                return
            except BrainUnreachable:
                if time.monotonic() > give_up:
                    raise

    def _heartbeat_if_due(self) -> None:
        if (time.monotonic() - self._last_tx) * 1000 >= self.heartbeat_ms:
            self._raw(ev.Heartbeat(self.term.sim.now_ms))

    # -- the session -------------------------------------------------------------------------
    def run(
        self,
        limit: int | None = None,
        rate: float = 0.0,
        progress: Callable[[int, int], None] | None = None,
    ) -> FakeSummary:
        """Stream the fixture (or its first ``limit`` market events). ``rate``: market events
        per second when not in lockstep (0: as fast as possible)."""
        stream = self._past_skipped(market_events(self.fx))
        if self.sock is None:
            self._connect_patiently() if self.rejoin_s > 0 else self.connect()
        f = self.faults
        start = time.monotonic()
        total = sum(len(b) for b in self.fx.bars.values()) * 5
        for i, me in enumerate(stream):
            if f.away_at and i == f.away_at:
                self._away(stream)
            if limit is not None and i >= limit:
                break
            if f.silence_after and i == f.silence_after:
                self._go_silent()
            self._step = []
            lost = i in f.lose_at
            for e in self.term.market(me):
                if isinstance(e, ev.Deal):
                    self.summary.deals.append(e)
                is_market = isinstance(e, ev.Tick | ev.Bar)
                if is_market:
                    self._step.append(e)
                if lost:
                    self._lose()
                    self.summary.dropped_deals += isinstance(e, ev.Deal)
                else:
                    self._out(e, market=is_market)
            self.summary.market_events += 1
            if progress is not None and i % 20_000 == 0:
                progress(i, total)
            if self.lockstep:
                self._wait_ready()
            else:
                if rate:
                    ahead = (i + 1) / rate - (time.monotonic() - start)
                    if ahead > 0:
                        self._pump(int(ahead * 1000))
                self._pump(0)
                self._heartbeat_if_due()
        self._finish()
        self.summary.executed_ids = list(self.term.sim.executed_ids)
        return self.summary

    def idle(self, seconds: float) -> None:
        """Connected and quiet for ``seconds``: commands answered, heartbeats sent, the market
        still (a terminal over a weekend; what ``mt5bridge doctor`` is tried against)."""
        if self.sock is None:
            self._past_skipped(market_events(self.fx))  # the books and clock at start_ms
            self.connect()
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self._pump(20)
            self._heartbeat_if_due()

    def _past_skipped(self, stream: Iterator[ev.Tick | ev.Bar]) -> Iterator[ev.Tick | ev.Bar]:
        """The stream from ``start_ms`` on; what comes before it only moves the terminal's
        books and clock, unsent."""
        if not self.start_ms:
            return stream
        for me in stream:
            at = me.close_time_ms if isinstance(me, ev.Bar) else me.time_ms
            if at >= self.start_ms:
                return itertools.chain((me,), stream)
            self.term.market(me)
        return iter(())

    def _away(self, stream: Iterator[ev.Tick | ev.Bar]) -> None:
        """Gone for ``away_events`` market events (the brain restarting, a network cut): the
        terminal's books and clock move on, nothing is sent; then a new connection."""
        self.close()
        if self.on_away is not None:
            self.on_away()
        for _ in range(self.faults.away_events):
            me = next(stream, None)
            if me is None:
                break
            self.term.market(me)
        self._connect_patiently() if self.rejoin_s > 0 else self.connect()

    def _go_silent(self) -> None:
        time.sleep(self.faults.silence_s)
        if self.faults.reconnect:
            self.summary.reconnects += 1
            self.connect()
        else:
            self._pump(0)

    def _finish(self) -> None:
        if self._held is not None and self.sock is not None:
            self.sock.send(self._held)
            self._held = None
        # heartbeats until the brain asks for nothing more: a frame lost at the very end shows
        # as a gap only when something follows it (a live terminal's heartbeats do that)
        while True:
            asked = self.summary.commands
            self._raw(ev.Heartbeat(self.term.sim.now_ms))
            if self.lockstep:
                self._wait_ready()
            quiet_until = time.monotonic() + max(1.0, 2 * self.heartbeat_ms / 1000)
            while time.monotonic() < quiet_until:  # a brain re-asking after its resync timeout
                self._pump(20)
                self._heartbeat_if_due()
            if self.lockstep:
                self._wait_ready()
            if self.summary.commands == asked:
                break

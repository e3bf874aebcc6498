"""Bad input never crashes the brain or produces an order (SPEC section 10)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.engine import Engine
from bridge.brain.strategy import Context, Intents, Open
from bridge.core import events as ev
from bridge.live.server import BrainServer
from bridge.live.terminal_session import Link, TerminalSession
from bridge.wire import codec
from tests.conftest import ROOT
from tests.helpers import Scripted, index_spec


class BuyEveryTick(Scripted):
    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        return [Open(tick.symbol, True, 0.01)]


class Boom(Scripted):
    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        if tick.bid < 0:
            raise RuntimeError("strategy bug")
        return ()


def served(strategy: Scripted) -> tuple[BrainServer, list[Any], list[tuple[str, dict[str, Any]]]]:
    sent: list[Any] = []
    logs: list[tuple[str, dict[str, Any]]] = []
    srv = BrainServer(
        lambda tid, send: Engine([strategy], {}, send),
        endpoint="tcp://127.0.0.1:0",
        secret=b"s",
        on_log=lambda k, d: logs.append((k, d)),
    )
    eng = Engine([strategy], {"US100": index_spec()}, sent.append, id_prefix="r")
    srv.engines["t"] = eng
    srv.links[b"id"] = Link(b"id", state="ready", terminal_id="t")
    srv.terminals["t"] = TerminalSession("t", eng)
    srv.terminals["t"].identity = b"id"
    eng.handle(ev.Account(1, 1e6, 1e6, 0, 1e6, 100, "USD", True, 0))
    eng.start()
    return srv, sent, logs


@pytest.fixture
def buyer() -> Iterator[tuple[BrainServer, list[Any], list[tuple[str, dict[str, Any]]]]]:
    srv, sent, logs = served(BuyEveryTick())
    yield srv, sent, logs
    srv.close()


def test_frames_that_make_no_sense_are_survived(buyer: Any) -> None:
    srv, sent, _ = buyer
    frames = [
        ev.Position(5, "NOSPEC", True, 1.0, 10.0, 0, 0, 0, -3.0, 0, 0, ""),
        ev.Bar("NOSPEC", 1, 0, 1, 1, 1, 1, 1, 1),
        ev.Deal(1, 2, 99, "", "NOSPEC", False, 1, 1.0, 1.0, 0, 0, 0, 0, 0, 4),
        ev.PositionClosed(12345, 1),
        ev.OrderResult("never-sent", 10009, 1, 1, 1, 1, "x"),
        ev.SnapshotEnd(77, 0, 0),
    ]
    eng = srv.engines["t"]
    for i, f in enumerate(frames, 1):
        srv.on_frame(b"id", codec.encode(f, i))
        if i == 2:  # a position on a symbol with no spec is valued at the terminal's own figure
            assert eng.portfolio.equity() == pytest.approx(1e6 - 3.0)
    assert 5 in eng.portfolio.positions  # a SNAPEND nobody asked for reconciles nothing
    srv.on_frame(b"id", codec.encode(ev.Tick("US100", 120_000, 21000.0, 21001.0), len(frames) + 1))
    assert len(sent) == 1 and isinstance(sent[0], ev.OpenCmd)  # still trading


def test_a_strategy_exception_is_logged_and_the_brain_goes_on() -> None:
    srv, _, logs = served(Boom())
    try:
        srv.on_frame(b"id", codec.encode(ev.Tick("US100", 1, -1.0, 1.0), 1))
        srv.on_frame(b"id", codec.encode(ev.Tick("US100", 2, 21000.0, 21001.0), 2))
        assert srv.stats.event_errors == 1
        (err,) = [d for k, d in logs if k == "event_error"]
        assert "strategy bug" in err["error"] and err["frame"] == "Tick"
        assert srv.engines["t"].last_tick["US100"].time_ms == 2
    finally:
        srv.close()


GOLDEN = [
    v["frame"].encode()
    for v in json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["vectors"]
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    base = bytearray(draw(st.sampled_from(GOLDEN)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "dup", "pipe", "insert"]))
        i = draw(st.integers(0, max(len(base) - 1, 0)))
        if op == "flip" and base:
            base[i] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del base[i:]
        elif op == "dup":
            base[i:i] = base[i : i + draw(st.integers(1, 8))]
        elif op == "pipe":
            base[i:i] = b"|"
        else:
            base[i:i] = draw(st.binary(min_size=1, max_size=6))
    return bytes(base)


@settings(max_examples=400, deadline=None)
@given(st.lists(mutated(), min_size=1, max_size=20))
def test_mutated_frames_never_crash_and_bad_ones_never_trade(frames: list[bytes]) -> None:
    srv, sent, _ = served(BuyEveryTick())
    try:
        for f in frames:
            before, bad = len(sent), srv.stats.bad_frames
            try:
                codec.decode(f)
                decodes = True
            except codec.FrameError:
                decodes = False
            srv.on_frame(b"id", f)  # never raises
            if not decodes:
                assert srv.stats.bad_frames == bad + 1 and len(sent) == before
    finally:
        srv.close()


def test_a_multipart_message_is_one_bad_frame_and_the_next_frame_is_read_whole() -> None:
    """The server reads a ROUTER message as two parts; a peer sending more parts must not shift
    the framing of what follows."""
    import threading

    import zmq

    srv, _sent, logs = served(Scripted())
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    try:
        s.connect(srv.endpoint)
        s.send_multipart(
            [codec.encode(ev.Hello("2.0", "x", 1, 0, "srv", "ab" * 16), 1), b"a second part"]
        )
        s.send(codec.encode(ev.Hello("2.0", "x", 1, 0, "srv", "ab" * 16), 1))
        _seq, answer = codec.decode(s.recv())
        assert isinstance(answer, ev.Challenge)
        bad = [d["reason"] for k, d in logs if k == "bad_frame"]
        assert srv.stats.bad_frames == 1 and bad == ["an empty message or one of several parts"]
    finally:
        srv.stop_event.set()
        th.join(5)
        s.close(0)
        srv.close()

"""Crash recovery (bridge/persist/recovery.py, bridge/persist/framelog.py): a checkpoint plus
the frames logged after it give back exactly the engine a brain had when it stopped."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest

from bridge.brain.engine import Engine
from bridge.config import parse_config
from bridge.data.fixtures import load_fixture
from bridge.live.server import BrainServer
from bridge.persist import checkpoint, framelog, recovery
from bridge.runner import engine_factory
from bridge.sim.fake_terminal import FakeTerminal
from tests.test_e2e import STRATS as E2E_STRATS

SECRET = b"recovery-secret"
# the e2e tests' two EMA crosses, faster: they trade within the first 900 events
STRATS = [{**s, "params": {**s["params"], "fast": 3, "slow": 8}} for s in E2E_STRATS]


class Journal:
    def __init__(self) -> None:
        self.rows: list[tuple[str, Any]] = []

    def log(self, kind: str, detail: str | dict[str, Any]) -> None:
        self.rows.append((kind, detail))


def working_state(eng: Engine) -> dict[str, Any]:
    """Everything a checkpoint keeps, comparable: strategies and bars by their pickles."""
    st = eng.capture(None, checkpoint.KEEP_ORDERS)
    st["strategies"] = {m: pickle.dumps(s.__dict__) for m, s in st["strategies"].items()}
    st["orders"] = {cid: t[:6] + t[7:8] + t[9:] for cid, t in st["orders"].items()}  # no state
    del st["resume_guard"], st["order_prefix"]  # the prefix is the process's
    return st


def serve(tmp: Path, fixture: Path, events: int, every_ms: int) -> tuple[BrainServer, Engine]:
    """A brain with crash recovery in ``tmp``, a lockstep fake terminal run for ``events``."""
    cfg = parse_config({"strategies": STRATS})
    srv = BrainServer(
        engine_factory(cfg, None, SECRET),
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET,
        checkpoints=recovery.Checkpoints(tmp, SECRET),
        checkpoint_every_ms=every_ms,
    )
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    ft = FakeTerminal(load_fixture(fixture), srv.endpoint, SECRET)
    try:
        ft.run(limit=events)
    finally:
        # the brain stops first, as in a crash: a terminal that closes its connection first
        # makes the brain halt and checkpoint (nothing would be left in the frame log)
        srv.stop_event.set()
        th.join(timeout=10)
        ft.close()
        srv.close()
    (eng,) = srv.engines.values()
    return srv, eng


def resumed(tmp: Path) -> tuple[Engine, Journal]:
    cfg = parse_config({"strategies": STRATS})
    eng = engine_factory(cfg, None, SECRET)("fake-1", lambda cmd: None)
    journal = Journal()
    recovery.resume(eng, tmp, "fake-1", SECRET, journal)
    return eng, journal


@pytest.mark.e2e
@pytest.mark.parametrize("every_ms", [10**9, 1])
def test_checkpoint_and_frame_log_give_back_the_engine_exactly(
    day_fixture: Path, tmp_path: Path, every_ms: int
) -> None:
    """every_ms 10**9: one checkpoint at the start, everything else from the frame log;
    1: a checkpoint after every frame, the log nearly always empty."""
    _srv, live = serve(tmp_path, day_fixture, 900, every_ms)
    assert live.portfolio.trades or live.orders.orders, "the session must trade to prove anything"
    eng, journal = resumed(tmp_path)
    (decision, (kind, detail)) = journal.rows
    assert decision[0] == "start_decision" and "resuming after an unclean stop" in str(decision)
    assert kind == "resumed_from_checkpoint"
    assert isinstance(detail, dict) and detail["frame_errors"] == []
    if every_ms > 1:
        assert detail["frames_handled_again"] > 500
    assert working_state(eng) == working_state(live)
    # open orders in doubt: asked for, never sent again
    assert all(r.state == "unknown" for r in eng.orders.open_orders.values())


def test_a_cut_or_foreign_record_ends_the_log(tmp_path: Path) -> None:
    path = tmp_path / "t.frames"
    log = framelog.FrameLog(path, SECRET)
    with pytest.raises(RuntimeError, match="before the first checkpoint"):
        log.add(b"x")
    log.start(7)
    log.add(b"one")
    log.flush()
    log.add(b"two")
    log.add(b"three")
    log.flush()  # one record of two frames
    log.add(b"not written")  # never flushed: not in the file
    assert framelog.read(path, SECRET, 7) == [b"one", b"two", b"three"]
    assert framelog.read(path, SECRET, 6) == []  # another checkpoint's log
    assert framelog.read(path, b"other secret", 7) == []
    size = log.size
    log.close()
    os.truncate(path, size - 2)  # the last record cut by a kill: all of it is left out
    assert framelog.read(path, SECRET, 7) == [b"one"]
    data = bytearray(path.read_bytes())
    data[25] ^= 1  # an edit in the first record (4 + 16 bytes of head, 4 + 3 of frame)
    os.truncate(path, 0)
    path.write_bytes(bytes(data))
    assert framelog.read(path, SECRET, 7) == []
    assert framelog.read(tmp_path / "none", SECRET, 7) == []


def test_frames_are_written_in_batches_of_at_most_batch(tmp_path: Path) -> None:
    path = tmp_path / "t.frames"
    log = framelog.FrameLog(path, SECRET)
    log.start(1)
    frames = [b"f%d" % i for i in range(framelog.BATCH + 3)]
    for f in frames:
        log.add(f)
    assert log.count == 1 and len(log.pending) == 3  # a full batch went by itself
    log.flush()
    assert framelog.read(path, SECRET, 1) == frames
    log.close()


def test_a_new_checkpoint_starts_the_log_again(tmp_path: Path) -> None:
    path = tmp_path / "t.frames"
    log = framelog.FrameLog(path, SECRET)
    log.start(1)
    log.add(b"a" * 100)
    log.flush()
    log.add(b"pending when the checkpoint came")
    log.start(2)  # written over the first checkpoint's record: not read after it
    assert log.pending == []  # the checkpoint holds what was pending
    log.add(b"b")
    log.flush()
    assert framelog.read(path, SECRET, 2) == [b"b"]
    assert framelog.read(path, SECRET, 1) == []
    with pytest.raises(ValueError, match="checkpoint number 2 after 2"):
        log.start(2)
    log.close()
    again = framelog.FrameLog(path, SECRET)  # a new process: the file is emptied once
    again.start(3)
    assert path.stat().st_size == 0
    again.close()

"""Crash checkpoints (bridge/persist/checkpoint.py): what a restarted engine gets back, and what
it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.brain.orders import UNKNOWN
from bridge.brain.strategy import Open
from bridge.core import events as ev
from bridge.persist import checkpoint
from strategies.ema_cross import EmaCross, EmaCrossParams
from tests.helpers import T0, Scripted, engine, tick

SECRET = b"checkpoint-secret"


def bar(i: int, close: float, symbol: str = "US100") -> ev.Bar:
    return ev.Bar(symbol, 1, T0 + i * 60_000, close, close + 2, close - 2, close, 10, 5)


def worked_engine() -> tuple[object, Scripted, EmaCross]:
    s = Scripted(magic=1)
    ema = EmaCross(EmaCrossParams(symbol="US100", timeframe=5, fast=3, slow=5), magic=2)
    eng, _sent = engine([s, ema])
    for i in range(37):  # 37 M1 bars: an M5 bar in progress, EMAs warmed up
        eng.handle(tick(T0 + i * 60_000 + 59_000, 21000.0 + i, 21001.5 + i))
        eng.handle(bar(i, 21000.0 + i))
    s.next = [Open("US100", True, 0.1)]
    eng.handle(tick(T0 + 37 * 60_000, 21040.0, 21041.5))  # an order in flight
    return eng, s, ema


def fresh() -> tuple[object, Scripted, EmaCross]:
    s = Scripted(magic=1)
    ema = EmaCross(EmaCrossParams(symbol="US100", timeframe=5, fast=3, slow=5), magic=2)
    eng, _ = engine([s, ema])
    return eng, s, ema


def test_a_restored_engine_continues_where_the_old_one_was(tmp_path: Path) -> None:
    old, _s, old_ema = worked_engine()
    path = checkpoint.path_for(tmp_path, "fake-1")
    checkpoint.save(path, SECRET, old.capture(None, checkpoint.KEEP_ORDERS))  # type: ignore[arg-type]
    new, _s2, ema = fresh()
    st = checkpoint.load(path, SECRET)
    assert st is not None
    assert new.restore(st) == []  # type: ignore[arg-type]
    new.settle_restored(wall_now_ms=5)  # type: ignore[arg-type]
    assert ema._fast.value == old_ema._fast.value and ema._above == old_ema._above
    (b_old,) = old._builders["US100"]  # type: ignore[attr-defined]
    (b_new,) = new._builders["US100"]  # type: ignore[attr-defined]
    assert b_new[0]._cur == b_old[0]._cur and b_new[0]._cur is not None  # the M5 bar in progress
    (rec,) = new.orders.open_orders.values()  # type: ignore[attr-defined]
    assert rec.state == UNKNOWN and rec.sent_wall_ms == 5  # in doubt: QUERYed, never resent
    # the same frames sent again are skipped; the next new ones are handled
    before = ema._fast.value
    new.handle(bar(36, 99999.0))  # type: ignore[attr-defined]
    new.handle(tick(T0 + 36 * 60_000 + 59_000, 1.0, 2.0))  # type: ignore[attr-defined]
    assert ema._fast.value == before and new.last_tick["US100"].bid == 21040.0  # type: ignore[attr-defined]
    for i in range(37, 40):
        new.handle(bar(i, 21100.0))  # type: ignore[attr-defined]
    assert ema._fast.value != before  # an M5 bar closed with the restored bars in progress


def test_a_checkpoint_under_another_secret_or_altered_is_refused(tmp_path: Path) -> None:
    eng, _, _ = worked_engine()
    path = tmp_path / "t.ckpt"
    checkpoint.save(path, SECRET, eng.capture(None, checkpoint.KEEP_ORDERS))  # type: ignore[arg-type]
    with pytest.raises(checkpoint.CheckpointError, match="signature"):
        checkpoint.load(path, b"another secret")
    (slot, _) = checkpoint.slot_paths(path)  # the first write goes to the first slot
    data = bytearray(slot.read_bytes())
    data[-5] ^= 1
    slot.write_bytes(bytes(data))
    with pytest.raises(checkpoint.CheckpointError, match="signature"):
        checkpoint.load(path, SECRET)
    slot.write_bytes(b"hello")
    with pytest.raises(checkpoint.CheckpointError, match="not a checkpoint"):
        checkpoint.load(path, SECRET)
    assert checkpoint.load(tmp_path / "none.ckpt", SECRET) is None


def test_slots_are_written_in_turn_and_the_newest_whole_one_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "t.ckpt"
    f = checkpoint.CheckpointFile(path, SECRET)
    for n in range(1, 4):
        f.save({"n": n})
    f.close()
    assert checkpoint.load(path, SECRET) == {"n": 3}
    # a kill while writing the next one spoils that slot only: the one before is loaded
    newest = checkpoint.slot_paths(path)[0]  # 1 -> slot 0, 2 -> slot 1, 3 -> slot 0
    newest.write_bytes(newest.read_bytes()[:-1])
    assert checkpoint.load(path, SECRET) == {"n": 2}
    # a new process numbers on from the slot that verifies, writing over the spoilt one first
    g = checkpoint.CheckpointFile(path, SECRET)
    g.save({"n": 4})
    assert checkpoint.load(path, SECRET) == {"n": 4}
    assert checkpoint._slot_seq(checkpoint.slot_paths(path)[1], SECRET) == 2  # kept whole
    g.save({"n": 5})  # a shorter or longer blob than the slot held: its length is kept
    g.save({"n": 6, "pad": "x" * 5000})
    g.save({"n": 7})
    g.close()
    assert checkpoint.load(path, SECRET) == {"n": 7}


def test_other_parameters_keep_the_new_strategy_and_say_why(tmp_path: Path) -> None:
    old, _, _ = worked_engine()
    st = old.capture(None, checkpoint.KEEP_ORDERS)  # type: ignore[arg-type]
    s = Scripted(magic=1)
    ema = EmaCross(EmaCrossParams(symbol="US100", timeframe=5, fast=4, slow=9), magic=2)
    new, _ = engine([s, ema])
    problems = new.restore(st)
    assert len(problems) == 1 and "magic 2" in problems[0] and "other parameters" in problems[0]
    assert not ema._fast.ready  # untouched


def test_fills_older_than_the_asking_time_are_not_kept() -> None:
    eng, _ = engine([Scripted()])
    eng.seen_deals.update({1: T0, 2: T0 + 60_000, 3: T0 + 120_000})
    eng.now_ms = T0 + 120_000
    st = eng.capture(T0 + 60_000, checkpoint.KEEP_ORDERS)
    assert set(st["seen_deals"]) == {2, 3}


def test_terminal_ids_cannot_leave_the_folder(tmp_path: Path) -> None:
    p = checkpoint.path_for(tmp_path, "../../etc/passwd")
    assert p.parent == tmp_path and p.name.startswith("______etc_passwd-")
    assert checkpoint.path_for(tmp_path, "a/b") != checkpoint.path_for(tmp_path, "a_b")


def test_a_position_nobody_explains_halts_only_its_strategy_with_a_clear_message() -> None:
    """After a restart (not cold: the brain knows its orders), a position of a strategy's magic
    that none of its orders opened cannot be reconciled: that strategy stops opening, others go
    on, and the reason names the ticket and the symbol."""
    from bridge.brain.reconcile import reconcile

    a, b = Scripted(magic=1), Scripted(magic=2)
    eng, sent = engine([a, b])
    stray = ev.Position(4242, "US100", True, 0.5, 21000.0, 0.0, 0.0, 1, 0.0, 0.0, T0, "zz-9")
    rep = reconcile(eng, [stray], [], cold=False)
    assert rep.unexplained == [4242] and not rep.clean
    reason = rep.halted_magics[1]
    assert "4242" in reason and "US100" in reason and "nobody this brain knows" in reason
    a.next = [Open("US100", True, 0.1)]
    b.next = [Open("US100", True, 0.1)]
    eng.handle(tick(T0 + 1000))
    assert [r.reason for r in a.rejections] == [f"strategy halted: {reason}"]
    assert not b.rejections and len(sent) == 1  # the other strategy still trades


def test_an_order_record_survives_packing_field_for_field() -> None:
    import dataclasses

    from bridge.brain.orders import OrderRecord
    from bridge.brain.strategy import Close, Open
    from bridge.core import events as ev

    recs = [
        OrderRecord(
            "b-1",
            7,
            Open("US100", False, 0.3, 2, 21000.5, 21100.0, 20900.0, "tag", 9),
            ev.OpenCmd("b-1", "US100", 3, 0.3, 21000.5, 21100.0, 20900.0, 9, 20, 1, "tag"),
            "placed",
            1_767_607_200_000,
            123,
            10008,
            555,
            "placed",
        ),
        OrderRecord("b-2", 8, Close(42, 0.1), ev.CloseCmd("b-2", 42, 0.1, 20), "sent", 1, 2),
    ]
    assert len(dataclasses.fields(OrderRecord)) == 10  # pack writes each of them
    assert [OrderRecord.unpack(r.pack()) for r in recs] == recs

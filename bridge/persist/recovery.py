"""Crash recovery for a brain with a store: per terminal a checkpoint of the engine's working
state (bridge/persist/checkpoint.py) and the log of the frames it handled since
(bridge/persist/framelog.py).

Writing (``Checkpoints``, driven by the server): each frame the engine handled is logged, the
log written before anything it caused leaves; a checkpoint is written while no frame waits when
one is due, and at once after anything that changes the engine other than a frame (a handshake, a
resynchronisation, a halt, an operator's command, an order timing out), so the log only ever
holds frames. A checkpoint empties the log.

Reading (``resume``, when the engine is made): the newest checkpoint that verifies is applied,
then the frames logged after it are handled again as they were the first time: same order ids
(under the old process's prefix), nothing sent and nothing audited again (the first handling
wrote its audit rows before the frame was logged). Orders they sent are in doubt: the terminal
is asked for their outcome, never sent them again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from bridge.brain.engine import Engine
from bridge.core import crashpoint
from bridge.core.wallclock import wall_ms
from bridge.persist import checkpoint, framelog
from bridge.wire import codec

log = logging.getLogger("mt5bridge")
LOG_LIMIT_BYTES = 8 << 20  # a checkpoint is written once a frame log holds this much


START_MODES = ("auto", "resume", "fresh")
ENDED = ".ended"  # beside a terminal's checkpoint: the run that wrote it stopped cleanly


def ended_marker(folder: Path, terminal_id: str) -> Path:
    path = checkpoint.path_for(folder, terminal_id)
    return path.with_name(path.name + ENDED)


def start_decision(folder: Path, terminal_id: str, mode: str) -> tuple[bool, str]:
    """Whether ``terminal_id``'s engine resumes from its checkpoint in ``folder``, and the line
    that says so. ``auto``: after an unclean stop (a crash, a kill) yes, after a clean one no;
    ``resume``: yes when there is one; ``fresh``: no, and the checkpoint is set aside."""
    path = checkpoint.path_for(folder, terminal_id)
    slots = [p for p in checkpoint.slot_paths(path) if p.exists()]
    if not slots:
        return False, f"terminal {terminal_id}: fresh start (no checkpoint of this run)"
    ended = ended_marker(folder, terminal_id).exists()
    if mode == "fresh":
        stamp = int(wall_ms() / 1000)
        for p in [*slots, framelog.log_path(path), ended_marker(folder, terminal_id)]:
            if p.exists():
                p.rename(p.with_name(f"{p.name}.{stamp}.aside"))
        return False, f"terminal {terminal_id}: fresh start as asked; its checkpoint set aside"
    if mode == "resume":
        return True, f"terminal {terminal_id}: resuming its last run as asked"
    if ended:
        return False, (
            f"terminal {terminal_id}: fresh start (its last run stopped cleanly; "
            "--resume continues it)"
        )
    return True, f"terminal {terminal_id}: resuming after an unclean stop (--fresh starts anew)"


class Checkpoints:
    """Writes the checkpoints and frame logs of a brain's terminals into ``folder``."""

    def __init__(self, folder: Path, secret: bytes) -> None:
        self.folder = folder
        self.secret = secret
        self._files: dict[str, tuple[checkpoint.CheckpointFile, framelog.FrameLog]] = {}
        self.logs: dict[str, framelog.FrameLog] = {}  # per terminal, for the frame path
        # why the last write failed ("" when it did not): a full disk. Trading halts while it
        # lasts (the server checks it with the store's health); the older checkpoint and its
        # log stay whole, frames not written are kept for the next flush
        self.problem = ""

    def _failed(self, what: Path, exc: OSError) -> None:
        reason = f"{what}: {exc.strerror or exc}"
        if reason != self.problem:
            log.error("crash recovery cannot write %s: trading halts until it can", reason)
        self.problem = reason

    def save(self, terminal_id: str, eng: Engine, floor_ms: int | None) -> None:
        """A checkpoint of ``eng``; its frame log starts again, empty."""
        files = self._files.get(terminal_id)
        if files is None:
            path = checkpoint.path_for(self.folder, terminal_id)
            files = (
                checkpoint.CheckpointFile(path, self.secret),
                framelog.FrameLog(framelog.log_path(path), self.secret),
            )
            self._files[terminal_id] = files
            self.logs[terminal_id] = files[1]
            ended_marker(self.folder, terminal_id).unlink(missing_ok=True)  # this run is live
        ckpt, frames = files
        try:
            ckpt.save(eng.capture(floor_ms, checkpoint.KEEP_ORDERS))
        except OSError as exc:  # the frame log goes on after the older checkpoint
            self._failed(ckpt.paths[0].parent, exc)
            return
        self.problem = ""
        if crashpoint.ARMED:
            crashpoint.hit("checkpoint")
        frames.start(ckpt.seq)

    def log_frame(self, terminal_id: str, frame: bytes) -> None:
        """One frame the engine handled; ``save`` must have been called for it first. It is
        written by the next ``flush``."""
        frames = self.logs[terminal_id]
        if frames.epoch < 0:
            return  # no checkpoint could be written yet (``problem`` says why): nothing to follow
        try:
            frames.add(frame)
        except OSError as exc:
            self._failed(frames.path, exc)

    def flush(self) -> None:
        """Write the frames logged since the last flush: before anything leaves."""
        for frames in self.logs.values():
            if frames.pending:
                try:
                    frames.flush()
                except OSError as exc:
                    self._failed(frames.path, exc)

    def due(self, terminal_id: str) -> bool:
        """The frame log is long enough to be worth a checkpoint whatever the time."""
        log = self.logs.get(terminal_id)
        return log is not None and log.size >= LOG_LIMIT_BYTES

    def end(self) -> None:
        """The run stopped cleanly: its checkpoints are marked so, and the next start is fresh
        unless asked to resume."""
        for terminal_id in self._files:
            ended_marker(self.folder, terminal_id).write_text(str(wall_ms()))

    def close(self) -> None:
        for ckpt, frames in self._files.values():
            ckpt.close()
            frames.close()
        self._files.clear()
        self.logs.clear()


class Journal(Protocol):
    def log(self, kind: str, detail: str | dict[str, Any]) -> None: ...


def resume(
    eng: Engine, folder: Path, terminal_id: str, secret: bytes, store: Journal, mode: str = "auto"
) -> None:
    """Continue where the last brain left ``terminal_id``'s engine, if it left a checkpoint and
    ``start_decision`` says so."""
    go, line = start_decision(folder, terminal_id, mode)
    log.info("start: %s", line)
    store.log("start_decision", {"terminal": terminal_id, "mode": mode, "decision": line})
    if not go:
        return
    path = checkpoint.path_for(folder, terminal_id)
    try:
        found = checkpoint.load_numbered(path, secret)
    except checkpoint.CheckpointError as exc:
        log.error("%s", exc)
        store.log("checkpoint_refused", {"reason": str(exc)})
        return
    if found is None:
        return
    seq, st = found
    problems = eng.restore(st)
    frames = framelog.read(framelog.log_path(path), secret, seq)
    errors = replay_frames(eng, frames, st["order_prefix"])
    eng.settle_restored(wall_ms())
    floor = st["floor_ms"] if st["floor_ms"] is not None else st["now_ms"]
    eng.restored_floor_ms = min(floor, st["now_ms"])
    eng.dirty = True  # the new process writes its own checkpoint before any frame is logged
    detail = {
        "checkpoint_ms": st["now_ms"],
        "frames_handled_again": len(frames),
        "frame_errors": errors,
        "fills_asked_after_ms": eng.restored_floor_ms - 1,
        "orders_in_doubt": [r.client_id for r in eng.orders.open_orders.values()],
        "not_applied": problems,
    }
    log.info("resumed from checkpoint %s", detail)
    store.log("resumed_from_checkpoint", detail)


def replay_frames(eng: Engine, frames: list[bytes], order_prefix: str) -> list[str]:
    """Handle logged frames again as the first time, sending and auditing nothing; returns the
    errors the engine raised (the first handling raised them too: it logged them)."""
    om = eng.orders
    kept = (om.send, om.prefix, om.audit, eng.audit, eng.on_state)
    om.send = _nowhere
    om.prefix = order_prefix
    om.audit = eng.audit = eng.on_state = None
    errors = []
    try:
        for raw in frames:
            _seq, msg = codec.decode(raw)
            try:
                eng.handle(msg)
            except Exception as exc:  # as the server does: a bug in one frame stops nothing
                errors.append(f"{type(msg).__name__}: {type(exc).__name__}: {exc}")
    finally:
        om.send, om.prefix, om.audit, eng.audit, eng.on_state = kept
    return errors


def _nowhere(cmd: Any) -> None:
    pass

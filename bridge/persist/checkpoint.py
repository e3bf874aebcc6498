"""Crash checkpoints: the working state of one terminal's engine, so a brain killed at any point
starts again where it was.

What is kept: each strategy whole (its decisions and its indicators), the bars in progress, the
timers, the symbol specifications, positions and quotes as last known, the orders not final
yet, the fills seen since the time fills are asked from after a restart, the risk gate's state,
and the last market time handled per symbol (frames the terminal sends again after the restart
are recognised and skipped). Reports' trade lists and equity curves are not kept: they cover
one process.

A checkpoint is the base; the frames the engine handled after it are in its frame log
(bridge/persist/framelog.py), written before anything they caused leaves; a restart applies
both (bridge/persist/recovery.py). Checkpoints go to two slot files in turn (``CheckpointFile``),
so a kill during a write leaves the one before it whole, with its frame log.

It is a pickle, signed with HMAC-SHA256 under the brain's secret: a file not written by a brain
holding that secret (edited, corrupted, another installation's) is refused, never unpickled.
A checkpoint made with other strategy parameters is not applied to that strategy (its saved
decision state from the store applies instead) and the reason is logged.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import pickle
import re
import struct
from pathlib import Path
from typing import Any

HEADER = b"MT5BRIDGE-CHECKPOINT-4\n"
# final orders kept for attribution of late events, besides the open ones: after a restart only
# fills made after the checkpoint are replayed, and those are of orders open or just finished
KEEP_ORDERS = 64


class CheckpointError(RuntimeError):
    pass


def path_for(folder: Path, terminal_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", terminal_id)[:48]
    digest = hashlib.sha256(terminal_id.encode()).hexdigest()[:8]
    return folder / f"{safe}-{digest}.ckpt"


class CheckpointFile:
    """One terminal's checkpoint, kept in two slot files (``<path>.0``, ``<path>.1``) written in
    turn in place: a write is one ``pwrite`` on a file kept open (a new file and a rename cost
    about 280 us here; the write about 2 us). Each slot holds a sequence number, the blob's
    length and an HMAC over both and the blob; the newest slot that verifies is the checkpoint.
    A kill during a write spoils only the slot being written, never the one before it."""

    def __init__(self, path: Path, secret: bytes) -> None:
        self.paths = slot_paths(path)
        self.secret = secret
        self.fds = [os.open(p, os.O_RDWR | os.O_CREAT, 0o600) for p in self.paths]
        seqs = [_slot_seq(p, secret) for p in self.paths]
        self.seq = max(seqs)
        self.next = seqs.index(min(seqs))  # the older (or spoilt) slot is written first

    def save(self, state: dict[str, Any]) -> None:
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        self.seq += 1
        head = struct.pack(">QQ", self.seq, len(blob))
        mac = hmac.new(self.secret, head + blob, hashlib.sha256).digest()
        write_at(self.fds[self.next], HEADER + head + mac + blob, 0)
        self.next ^= 1

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def write_at(fd: int, data: bytes, offset: int) -> None:
    """``data`` written at ``offset`` of an open file (the checkpoint slots, the frame log)."""
    view = memoryview(data)
    while view:  # a write may take part of it (a nearly full disk)
        if hasattr(os, "pwrite"):
            n = os.pwrite(fd, view, offset)
        else:  # Windows
            os.lseek(fd, offset, os.SEEK_SET)
            n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view, offset = view[n:], offset + n


def slot_paths(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + ".0"), path.with_name(path.name + ".1")


_HEAD = len(HEADER) + 16 + 32  # header, sequence and length, HMAC


def _slot_seq(path: Path, secret: bytes) -> int:
    """The sequence number of the checkpoint a slot holds; 0 when it holds none that verifies."""
    try:
        return _verify(path, path.read_bytes(), secret)[0]
    except (FileNotFoundError, CheckpointError):
        return 0


def save(path: Path, secret: bytes, state: dict[str, Any]) -> None:
    """One checkpoint written at ``path`` (its slots), opening and closing the files."""
    f = CheckpointFile(path, secret)
    try:
        f.save(state)
    finally:
        f.close()


def load(path: Path, secret: bytes) -> dict[str, Any] | None:
    """The newest checkpoint at ``path`` (its slots) that verifies; None when there is none;
    CheckpointError when there are slots but none is one this brain wrote."""
    found = load_numbered(path, secret)
    return None if found is None else found[1]


def load_numbered(path: Path, secret: bytes) -> tuple[int, dict[str, Any]] | None:
    """As ``load``, with the checkpoint's sequence number (its frame log's number)."""
    found: list[tuple[int, bytes]] = []
    errors = []
    for slot in slot_paths(path):
        try:
            data = slot.read_bytes()
        except FileNotFoundError:
            continue
        if not data:
            continue  # created, never written
        try:
            found.append(_verify(slot, data, secret))
        except CheckpointError as exc:
            errors.append(str(exc))
    if not found:
        if errors:
            raise CheckpointError("; ".join(errors))
        return None
    seq, blob = max(found)
    state: dict[str, Any] = pickle.loads(blob)  # signed by this brain: safe to unpickle
    return seq, state


def _verify(slot: Path, data: bytes, secret: bytes) -> tuple[int, bytes]:
    if len(data) < _HEAD or not data.startswith(HEADER):
        raise CheckpointError(f"{slot}: not a checkpoint file")
    head = data[len(HEADER) : len(HEADER) + 16]
    mac = data[len(HEADER) + 16 : _HEAD]
    seq, n = struct.unpack(">QQ", head)
    blob = data[_HEAD : _HEAD + n]
    if len(blob) != n or not hmac.compare_digest(
        mac, hmac.new(secret, head + blob, hashlib.sha256).digest()
    ):
        raise CheckpointError(
            f"{slot}: signature does not match (written under another secret, cut short or "
            "corrupted); not loaded"
        )
    return int(seq), blob

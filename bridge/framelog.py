"""The frame log: every frame a terminal's engine handled since its last crash checkpoint, in
order, so a brain killed at any point gets back exactly the state it had (the checkpoint, then
these frames handled again).

A frame is appended after the engine handled it and before anything it caused leaves (an order,
a READY): a command on the wire is always the result of logged frames. Appending is one
``pwrite`` of a small record on a file kept open (about 2 us here); the full checkpoint, a
pickle of the strategies and the books, is written after the commands have left and at most
once per ``checkpoint_every_ms`` (bridge/server.py), off the tick-to-order path.

Records: the frame's length (4 bytes), a 16-byte MAC (keyed BLAKE2b under the brain's secret:
a MAC by design, three times faster here than HMAC-SHA256) over the checkpoint's sequence
number, the record's index and the frame, then the frame. The log belongs to one
checkpoint (its sequence number): a new checkpoint empties it. Reading stops at the first record
that does not verify: a record cut by a kill, or records left from an older checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from pathlib import Path

_LEN = struct.Struct(">I")
_KEY = struct.Struct(">QQ")  # checkpoint sequence number, record index: signed, not stored
MAC_BYTES = 16
MAX_FRAME = 1 << 24


def log_path(checkpoint_path: Path) -> Path:
    return checkpoint_path.with_name(checkpoint_path.name + ".frames")


def mac_key(secret: bytes) -> bytes:
    return hashlib.sha256(b"mt5bridge frame log\0" + secret).digest()  # BLAKE2b keys: <= 64 bytes


def _mac(key: bytes, epoch: int, index: int, frame: bytes) -> bytes:
    return hashlib.blake2b(_KEY.pack(epoch, index) + frame, key=key, digest_size=MAC_BYTES).digest()


class FrameLog:
    """The log file of one terminal, open for appending. ``start(epoch)`` empties it for the
    checkpoint numbered ``epoch``; ``append`` adds one frame."""

    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = path
        self.key = mac_key(secret)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.epoch = -1  # nothing may be appended before a checkpoint numbers the log
        self.count = 0
        self.size = 0

    def start(self, epoch: int) -> None:
        """A checkpoint numbered ``epoch`` was written: the frames before it are in it. The
        file is emptied once per process (what an earlier process left is never read as this
        one's); after that, records are written over the older ones, whose MACs (under an
        older number) end the reading: truncating each time cost about 200 us at 10,000
        records, on the frame path."""
        if self.epoch < 0:
            os.ftruncate(self.fd, 0)
        elif epoch <= self.epoch:
            raise ValueError(f"{self.path}: checkpoint number {epoch} after {self.epoch}")
        self.epoch = epoch
        self.count = 0
        self.size = 0

    def append(self, frame: bytes) -> None:
        if self.epoch < 0:
            raise RuntimeError(f"{self.path}: a frame logged before the first checkpoint")
        rec = _LEN.pack(len(frame)) + _mac(self.key, self.epoch, self.count, frame) + frame
        if _PWRITE:
            os.pwrite(self.fd, rec, self.size)
        else:
            _write_at(self.fd, rec, self.size)
        self.count += 1
        self.size += len(rec)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


_PWRITE = hasattr(os, "pwrite")


def _write_at(fd: int, data: bytes, offset: int) -> None:  # Windows
    os.lseek(fd, offset, os.SEEK_SET)
    os.write(fd, data)


def read(path: Path, secret: bytes, epoch: int) -> list[bytes]:
    """The frames logged after the checkpoint numbered ``epoch``, in order; the first record
    that is cut short or does not verify (written under another checkpoint, a kill during the
    write, an edit) ends the list."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    frames: list[bytes] = []
    key = mac_key(secret)
    pos, head = 0, _LEN.size + MAC_BYTES
    while pos + head <= len(data):
        (n,) = _LEN.unpack_from(data, pos)
        end = pos + head + n
        if n > MAX_FRAME or end > len(data):
            break
        frame = data[pos + head : end]
        if not hmac.compare_digest(
            data[pos + _LEN.size : pos + head], _mac(key, epoch, len(frames), frame)
        ):
            break
        frames.append(frame)
        pos = end
    return frames

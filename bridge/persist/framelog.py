"""The frame log: every frame a terminal's engine handled since its last crash checkpoint, in
order, so a brain killed at any point gets back exactly the state it had (the checkpoint, then
these frames handled again).

Frames are added after the engine handled them and written before anything they caused leaves
(an order, a READY), so a command on the wire is always the result of logged frames. Between
outputs they are written in batches: when the brain has read what the sockets held, or every
``BATCH`` frames; one ``pwrite`` and one MAC per batch (a frame written alone costs about 2.4 us
here, in a batch under 0.5 us). A kill can lose only frames that caused nothing to leave and
came in the same burst as the kill: as if they had arrived while the brain was down. The full
checkpoint, a pickle of the strategies and the books, is written while no frame waits, at most
once per ``checkpoint_every_ms`` (bridge/live/server.py), off the tick-to-order path.

Records: the batch's length (4 bytes), a 16-byte MAC (keyed BLAKE2b under the brain's secret:
a MAC by design, three times faster here than HMAC-SHA256) over the checkpoint's sequence
number, the record's index and the batch, then the batch: each frame as its length (4 bytes)
and its bytes. The log belongs to one checkpoint (its sequence number): after a new checkpoint,
records start again from the file's beginning. Reading stops at the first record that does not
verify: a record cut by a kill, or records left from an older checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from pathlib import Path

from bridge.persist.checkpoint import write_at

_LEN = struct.Struct(">I")
_KEY = struct.Struct(">QQ")  # checkpoint sequence number, record index: signed, not stored
MAC_BYTES = 16
BATCH = 256  # frames per record at most
MAX_RECORD = 1 << 28


def log_path(checkpoint_path: Path) -> Path:
    return checkpoint_path.with_name(checkpoint_path.name + ".frames")


def mac_key(secret: bytes) -> bytes:
    return hashlib.sha256(b"mt5bridge frame log\0" + secret).digest()  # BLAKE2b keys: <= 64 bytes


def _mac(key: bytes, epoch: int, index: int, frame: bytes) -> bytes:
    return hashlib.blake2b(_KEY.pack(epoch, index) + frame, key=key, digest_size=MAC_BYTES).digest()


class FrameLog:
    """The log file of one terminal. ``start(epoch)`` begins it for the checkpoint numbered
    ``epoch``; ``add`` takes a frame, ``flush`` writes the frames taken since the last one."""

    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = path
        self.key = mac_key(secret)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.epoch = -1  # nothing may be added before a checkpoint numbers the log
        self.count = 0  # records written since the checkpoint
        self.size = 0
        self.pending: list[bytes] = []

    def start(self, epoch: int) -> None:
        """A checkpoint numbered ``epoch`` was written: the frames before it (written or
        pending) are in it. The file is emptied once per process (what an earlier process left
        is never read as this one's); after that, records are written over the older ones,
        whose MACs (under an older number) end the reading: truncating each time cost about
        200 us at 10,000 records, on the frame path."""
        if self.epoch < 0:
            os.ftruncate(self.fd, 0)
        elif epoch <= self.epoch:
            raise ValueError(f"{self.path}: checkpoint number {epoch} after {self.epoch}")
        self.epoch = epoch
        self.count = 0
        self.size = 0
        self.pending.clear()

    def add(self, frame: bytes) -> None:
        if self.epoch < 0:
            raise RuntimeError(f"{self.path}: a frame logged before the first checkpoint")
        self.pending.append(frame)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the frames added since the last flush (one record)."""
        if not self.pending:
            return
        pack = _LEN.pack
        batch = b"".join([b for f in self.pending for b in (pack(len(f)), f)])
        rec = pack(len(batch)) + _mac(self.key, self.epoch, self.count, batch) + batch
        write_at(self.fd, rec, self.size)  # a failure keeps the frames for the next flush
        self.pending.clear()
        self.count += 1
        self.size += len(rec)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


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
    pos, head, index = 0, _LEN.size + MAC_BYTES, 0
    while pos + head <= len(data):
        (n,) = _LEN.unpack_from(data, pos)
        end = pos + head + n
        if n > MAX_RECORD or end > len(data):
            break
        batch = data[pos + head : end]
        if not hmac.compare_digest(
            data[pos + _LEN.size : pos + head], _mac(key, epoch, index, batch)
        ):
            break
        frames += _split(batch)
        index += 1
        pos = end
    return frames


def _split(batch: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(batch):
        (n,) = _LEN.unpack_from(batch, pos)
        out.append(batch[pos + _LEN.size : pos + _LEN.size + n])
        pos += _LEN.size + n
    return out

"""Crash checkpoints: the working state of one terminal's engine, so a brain killed at any point
starts again where it was.

What is kept: each strategy whole (its decisions and its indicators), the bars in progress, the
timers, the symbol specifications, positions and quotes as last known, the orders not final
yet, the fills seen since the time fills are asked from after a restart, the risk gate's state,
and the last market time handled per symbol (frames the terminal sends again after the restart
are recognised and skipped). Reports' trade lists and equity curves are not kept: they cover
one process.

A checkpoint is the base; the frames the engine handled after it are in its frame log
(bridge/framelog.py), written before anything they caused leaves; a restart applies both
(bridge/recovery.py). Checkpoints go to two slot files in turn (``CheckpointFile``), so a kill
during a write leaves the one before it whole, with its frame log.

It is a pickle, signed with HMAC-SHA256 under the brain's secret: a file not written by a brain
holding that secret (edited, corrupted, another installation's) is refused, never unpickled.
A checkpoint made with other strategy parameters is not applied to that strategy (its saved
decision state from the store applies instead) and the reason is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import re
import struct
from itertools import islice
from pathlib import Path
from typing import Any

from bridge.engine import Engine
from bridge.orders import SENT, UNKNOWN, OrderRecord

HEADER = b"MT5BRIDGE-CHECKPOINT-4\n"
# final orders kept for attribution of late events, besides the open ones: after a restart only
# fills made after the checkpoint are replayed, and those are of orders open or just finished
KEEP_ORDERS = 64
_PF_FIELDS = (
    "balance",
    "initial_balance",
    "positions",
    "orders",
    "bid",
    "ask",
    "account",
    "realised",
    "_entry_commission",
    "last_deal",
)


class CheckpointError(RuntimeError):
    pass


def path_for(folder: Path, terminal_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", terminal_id)[:48]
    digest = hashlib.sha256(terminal_id.encode()).hexdigest()[:8]
    return folder / f"{safe}-{digest}.ckpt"


def capture(eng: Engine, floor_ms: int | None) -> dict[str, Any]:
    """The engine's working state. ``floor_ms``: the time fills would be asked from if the
    brain restarted now (fills seen before it are never replayed, so they are not kept)."""
    om, pf, gate = eng.orders, eng.portfolio, eng.gate
    since = min(floor_ms if floor_ms is not None else eng.now_ms, eng.now_ms) - 1
    recent = list(islice(reversed(om.orders), KEEP_ORDERS))[::-1]  # not a list of every order
    orders = {cid: pack_order(om.orders[cid]) for cid in recent}
    orders.update((cid, pack_order(r)) for cid, r in om.open_orders.items())
    return {
        "started": eng._started,
        "now_ms": eng.now_ms,
        "floor_ms": floor_ms,
        "session_start_ms": eng.session_start_ms,
        "strategies": {s.magic: s for s in eng.strategies},
        "builders": {(sym, b.timeframe): b for sym, lst in eng._builders.items() for b, _ in lst},
        "timers": list(eng._timers),
        "timer_seq": eng._timer_seq,
        "specs": dict(eng.specs),  # the terminal's symbol specifications: decisions read them
        "last_tick": dict(eng.last_tick),
        "last_bar_ms": dict(eng.last_bar_ms),
        "portfolio": {k: getattr(pf, k) for k in _PF_FIELDS},
        "orders": orders,
        "open_orders": list(om.open_orders),
        "order_n": om._n,
        "order_prefix": om.prefix,  # the frames logged after it are handled again under it
        "gate": (
            gate.halted,
            dict(gate.halted_magics),
            [t for t in gate._sent if t > eng.now_ms - 60_000],  # what the per-minute count reads
            gate.resyncing,
        ),
        "resume_guard": dict(eng.resume_guard),
        "seen_deals": {t: ms for t, ms in eng.seen_deals.items() if ms >= since},
    }


def pack_order(r: OrderRecord) -> tuple[Any, ...]:
    """An order record as plain tuples: a named tuple pickles about six times slower."""
    return (
        r.client_id,
        r.magic,
        type(r.intent),
        tuple(r.intent),
        type(r.command),
        tuple(r.command),
        r.state,
        r.sent_ms,
        r.sent_wall_ms,
        r.retcode,
        r.order_ticket,
        r.text,
    )


def unpack_order(t: tuple[Any, ...]) -> OrderRecord:
    cid, magic, icls, ivals, ccls, cvals, state, sent_ms, sent_wall_ms, retcode, ticket, text = t
    return OrderRecord(
        cid,
        magic,
        icls._make(ivals),
        ccls._make(cvals),
        state,
        sent_ms,
        sent_wall_ms,
        retcode,
        ticket,
        text,
    )


def restore(eng: Engine, st: dict[str, Any]) -> list[str]:
    """Apply a captured state to a new engine built from the same config; returns what could
    not be applied (each entry names the strategy and why). The engine is as it was when the
    checkpoint was written; ``settle_restored`` makes it ready to meet the terminal (after the
    frames logged since the checkpoint have been handled again)."""
    problems = []
    for s in eng.strategies:
        old = st["strategies"].get(s.magic)
        if old is None:
            problems.append(f"strategy {s.name} (magic {s.magic}): not in the checkpoint")
        elif type(old) is not type(s) or getattr(old, "p", None) != getattr(s, "p", None):
            problems.append(
                f"strategy {s.name} (magic {s.magic}): the checkpoint was made with another "
                "kind or other parameters; its saved decision state is used instead"
            )
        else:
            s.__dict__.update(old.__dict__)
    for sym, lst in eng._builders.items():
        for b, _ in lst:
            old_b = st["builders"].get((sym, b.timeframe))
            if old_b is not None:
                b._cur = old_b._cur
    eng._started = st["started"]  # strategies that had started do not start again
    eng.now_ms = st["now_ms"]
    eng.session_start_ms = st["session_start_ms"]
    eng._timers = [t for t in st["timers"] if t[2] in eng._by_magic]
    eng._timer_seq = st["timer_seq"]
    eng.specs.update(st["specs"])  # one dict with the portfolio's and order manager's
    eng.last_tick.update(st["last_tick"])
    eng.last_bar_ms.update(st["last_bar_ms"])
    eng.resume_guard = dict(st["resume_guard"])
    for k, v in st["portfolio"].items():
        setattr(eng.portfolio, k, v)
    om = eng.orders
    om.orders.update((cid, unpack_order(t)) for cid, t in st["orders"].items())
    om.open_orders.update({cid: om.orders[cid] for cid in st["open_orders"]})
    om._n = st["order_n"]
    halted, magics, sent, resyncing = st["gate"]
    eng.gate.halted = halted
    eng.gate.halted_magics.update(magics)
    eng.gate._sent.extend(sent)
    eng.gate.resyncing = resyncing
    eng.seen_deals.update(st["seen_deals"])
    eng.dirty = False
    return problems


def settle_restored(eng: Engine, wall_now_ms: int) -> None:
    """A restored engine made ready for the terminal: the orders not final may or may not have
    reached it (asked for, never sent again; their timeouts start now), and the frames the
    terminal sends again about times already handled are skipped once."""
    for rec in eng.orders.open_orders.values():
        if rec.state == SENT:
            rec.state = UNKNOWN
        rec.sent_wall_ms = wall_now_ms
    eng.resume_guard = {
        sym: (t.time_ms, eng.last_bar_ms.get(sym, -1)) for sym, t in eng.last_tick.items()
    }
    for sym, ms in eng.last_bar_ms.items():
        eng.resume_guard.setdefault(sym, (-1, ms))


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
    if hasattr(os, "pwrite"):
        os.pwrite(fd, data, offset)
    else:  # Windows
        os.lseek(fd, offset, os.SEEK_SET)
        os.write(fd, data)


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

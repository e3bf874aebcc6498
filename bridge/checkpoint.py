"""Crash checkpoints: the working state of one terminal's engine, so a brain killed at any point
starts again where it was.

What is kept: each strategy whole (its decisions and its indicators), the bars in progress, the
timers, positions and quotes as last known, the orders not final yet, the fills seen since the
time fills are asked from after a restart, and the last market time handled per symbol (frames
the terminal sends again after the restart are recognised and skipped). Reports' trade lists
and equity curves are not kept: they cover one process.

The server writes a checkpoint after a frame that changed a strategy or the books and *before*
any command the frame caused leaves (write-ahead): a command on the wire is always known to the
next start, which asks the terminal for its outcome instead of deciding again. The file is
replaced atomically (write, then rename), so a kill leaves the old or the new one, never half.

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
from pathlib import Path
from typing import Any

from bridge.engine import Engine
from bridge.orders import SENT, UNKNOWN

HEADER = b"MT5BRIDGE-CHECKPOINT-1\n"
KEEP_ORDERS = 500  # final orders kept for attribution of late events, besides the open ones
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
    recent = list(om.orders)[-KEEP_ORDERS:]
    orders = {cid: om.orders[cid] for cid in recent}
    orders.update(om.open_orders)
    return {
        "now_ms": eng.now_ms,
        "floor_ms": floor_ms,
        "session_start_ms": eng.session_start_ms,
        "strategies": {s.magic: s for s in eng.strategies},
        "builders": {(sym, b.timeframe): b for sym, lst in eng._builders.items() for b, _ in lst},
        "timers": list(eng._timers),
        "timer_seq": eng._timer_seq,
        "last_tick": dict(eng.last_tick),
        "last_bar_ms": dict(eng.last_bar_ms),
        "portfolio": {k: getattr(pf, k) for k in _PF_FIELDS},
        "orders": orders,
        "open_orders": list(om.open_orders),
        "order_n": om._n,
        "gate": (gate.halted, dict(gate.halted_magics), list(gate._sent)),
        "seen_deals": {t: ms for t, ms in eng.seen_deals.items() if ms >= since},
    }


def restore(eng: Engine, st: dict[str, Any], wall_now_ms: int) -> list[str]:
    """Apply a captured state to a new engine built from the same config; returns what could
    not be applied (each entry names the strategy and why)."""
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
    eng._started = True  # the strategies had started: on_start is not repeated
    eng.now_ms = st["now_ms"]
    eng.session_start_ms = st["session_start_ms"]
    eng._timers = [t for t in st["timers"] if t[2] in eng._by_magic]
    eng._timer_seq = st["timer_seq"]
    eng.last_tick.update(st["last_tick"])
    eng.last_bar_ms.update(st["last_bar_ms"])
    eng.resume_guard = {
        sym: (t.time_ms, eng.last_bar_ms.get(sym, -1)) for sym, t in st["last_tick"].items()
    }
    for sym, ms in st["last_bar_ms"].items():
        eng.resume_guard.setdefault(sym, (-1, ms))
    for k, v in st["portfolio"].items():
        setattr(eng.portfolio, k, v)
    om = eng.orders
    om.orders.update(st["orders"])
    om.open_orders.update({cid: st["orders"][cid] for cid in st["open_orders"]})
    om._n = st["order_n"]
    for rec in om.open_orders.values():
        if rec.state == SENT:  # it may or may not have reached the terminal: ask, never resend
            rec.state = UNKNOWN
        rec.sent_wall_ms = wall_now_ms
    halted, magics, sent = st["gate"]
    eng.gate.halted = halted
    eng.gate.halted_magics.update(magics)
    eng.gate._sent.extend(sent)
    eng.seen_deals.update(st["seen_deals"])
    eng.dirty = False
    return problems


def save(path: Path, secret: bytes, state: dict[str, Any]) -> None:
    blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    mac = hmac.new(secret, blob, hashlib.sha256).digest()
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(HEADER + mac + blob)
    os.replace(tmp, path)


def load(path: Path, secret: bytes) -> dict[str, Any] | None:
    """The checkpoint at ``path``, None when there is none; CheckpointError when it is not one
    this brain wrote."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(HEADER) or len(data) < len(HEADER) + 32:
        raise CheckpointError(f"{path}: not a checkpoint file")
    mac, blob = data[len(HEADER) : len(HEADER) + 32], data[len(HEADER) + 32 :]
    if not hmac.compare_digest(mac, hmac.new(secret, blob, hashlib.sha256).digest()):
        raise CheckpointError(
            f"{path}: signature does not match (written under another secret, or corrupted); "
            "not loaded"
        )
    state: dict[str, Any] = pickle.loads(blob)  # signed by this brain: safe to unpickle
    return state

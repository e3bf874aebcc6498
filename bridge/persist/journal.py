"""The store's local journal file: rows appended as JSON lines after an identity line (the
store and the run it belongs to), written whole or not at all, read back with the records
that cannot be read set aside; private to its owner and locked while its brain lives."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

FORMAT = 1


def create_private(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (0600), as the checkpoints are:
    the audit trail holds the account's orders and fills. An existing file is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def name(store_id: str, run_id: int) -> str:
    return f"mt5bridge-journal-{store_id[:16]}-{run_id}.jsonl"


def open_new(path: Path) -> int:
    """A new journal, private (0600). One left under this name (a database restored from a
    backup reuses run numbers) is moved aside first, never appended to."""
    if path.exists():
        path.rename(path.with_name(f"{path.name}.{int(time.time())}.aside"))
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)


def write_all(fd: int, data: bytes) -> None:
    """``data`` written whole (a write may take part of it); an error when nothing can be."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def header(data: bytes) -> tuple[dict[str, Any] | None, int]:
    """The journal's identity line and where its rows begin (None: no identity line)."""
    end = data.find(b"\n")
    try:
        header = json.loads(data[:end]) if end > 0 else None
    except ValueError:
        return None, 0
    if not isinstance(header, dict) or header.get("mt5bridge_journal") != FORMAT:
        return None, 0
    return header, end + 1


def rows(data: bytes, start: int) -> tuple[list[tuple[Any, ...]], list[tuple[int, bytes]]]:
    """The rows from byte ``start`` on, and the records that cannot be read (with their
    offsets): the last one cut short by a kill or a full disk, or any not UTF-8 or not JSON."""
    rows: list[tuple[Any, ...]] = []
    bad: list[tuple[int, bytes]] = []
    at = start
    while at < len(data):
        end = data.find(b"\n", at)
        line = data[at:] if end < 0 else data[at:end]
        if end < 0:  # no line end: a record cut short
            bad.append((at, line))
            break
        if line.strip():
            try:
                item = json.loads(line.decode("utf-8"))
                if not isinstance(item, list) or len(item) != 2 or not isinstance(item[1], dict):
                    raise ValueError("not a [kind, row] pair")
                rows.append(tuple(item))
            except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                bad.append((at, line))
        at = end + 1
    return rows, bad


def set_aside(path: Path, bad: list[tuple[int, bytes]]) -> None:
    aside = path.with_name(path.name + ".bad")
    create_private(aside)
    with aside.open("ab") as fh:
        for at, line in bad:
            fh.write(b"%d\t" % at + line + b"\n")


try:  # exclusive locks on journals (POSIX); elsewhere two brains must not share a journal folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def in_use(path: Path) -> bool:
    """True when another live process holds the journal's lock."""
    if fcntl is None:
        return False
    with path.open("a") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False

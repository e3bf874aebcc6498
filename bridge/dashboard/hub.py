"""The web thread's side: updates taken from the feed, merged into the history a page that opens
late is given first (bounded: the latest points, bars and rows), and passed to every connected
page. A page that cannot keep up is dropped rather than let its backlog grow."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

KEEP_CURVE = 20_000  # account curve points per terminal
KEEP_STRATEGY = 5_000  # equity points per strategy
KEEP_BARS = 3_000  # M1 bars per symbol
KEEP_ROWS = 300  # audit rows
KEEP_FILLS = 1_000
KEEP_CHANGES = 300  # the two-bucket plan's allocation changes
BACKLOG = 64  # updates a page may have waiting before it is dropped


class Client:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(BACKLOG)
        self.dropped = False


class Hub:
    def __init__(self, take: Callable[[], str | None]) -> None:
        self.take = take  # the next update from the feed, None when there is none
        self.clients: set[Client] = set()
        self.state: dict[str, Any] = {}  # the latest update, less its new rows, bars and points
        self.curve: dict[str, deque[list[float]]] = {}
        self.strategy_curve: dict[str, deque[list[float]]] = {}
        self.bars: dict[str, deque[list[float]]] = {}
        self.rows: deque[list[Any]] = deque(maxlen=KEEP_ROWS)
        self.fills: deque[list[Any]] = deque(maxlen=KEEP_FILLS)
        self.changes: deque[list[Any]] = deque(maxlen=KEEP_CHANGES)
        self.updates = 0

    def pump(self) -> int:
        """Take every waiting update: merge it, pass it on. Returns how many were taken."""
        n = 0
        while (text := self.take()) is not None:
            self.merge(json.loads(text))
            n += 1
            for c in list(self.clients):
                try:
                    c.queue.put_nowait(text)
                except asyncio.QueueFull:
                    c.dropped = True
                    self.clients.discard(c)
        self.updates += n
        return n

    def merge(self, u: dict[str, Any]) -> None:
        for tid, e in u["engines"].items():
            self.curve.setdefault(tid, deque(maxlen=KEEP_CURVE)).extend(e["curve"])
            for name, s in e["strategies"].items():
                if s["equity"] is not None:
                    key = f"{tid}/{name}"
                    self.strategy_curve.setdefault(key, deque(maxlen=KEEP_STRATEGY))
                    self.strategy_curve[key].append(s["equity"])
        for b in u["bars"]:
            self.bars.setdefault(b[1], deque(maxlen=KEEP_BARS)).append(b[2:])
        for r in u["rows"]:
            kind = r[1]
            if kind == "deal":
                self.fills.append(r)
            elif kind == "allocation_change":
                self.changes.append(r)
            self.rows.append(r)
        for e in u["engines"].values():
            e["curve"] = []  # kept above: the state holds the latest figures only
        self.state = {k: v for k, v in u.items() if k not in ("rows", "bars")}

    def history(self) -> str:
        """What a page opening now is sent first."""
        return json.dumps(
            {
                "type": "init",
                "state": self.state,
                "curve": {k: list(v) for k, v in self.curve.items()},
                "strategy_curve": {k: list(v) for k, v in self.strategy_curve.items()},
                "bars": {k: list(v) for k, v in self.bars.items()},
                "rows": list(self.rows),
                "fills": list(self.fills),
                "changes": list(self.changes),
            },
            separators=(",", ":"),
            default=str,
        )

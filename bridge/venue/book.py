"""The venue terminal's memory of its own orders and positions: which client order id each
exchange order carries (and the strategy's magic), each id's outcome, written to a file a line
at a time so a restart still knows them, the ticket of each symbol's net position, and the fills
already told to the brain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bridge.core import events as ev
from bridge.venue.markets import cloid


@dataclass
class Held:
    """A symbol's net position as the terminal knows it."""

    ticket: int  # the exchange order id of the fill that opened it
    size: float  # signed contracts
    magic: int
    client_id: str


class Book:
    def __init__(self, memory: Path | None = None) -> None:
        self.memory = memory
        self.results: dict[str, ev.OrderResult] = {}  # client id -> outcome
        self.magic: dict[str, int] = {}  # client id -> the magic of its command
        self.by_cloid: dict[str, str] = {}  # exchange cloid -> client id
        self.by_order: dict[int, str] = {}  # exchange order id -> client id
        self.unknown: set[str] = set()  # sent, outcome not known (the call timed out)
        self.held: dict[str, Held] = {}  # brain symbol -> its net position
        self.fills_seen: set[int] = set()
        self._load()

    def _load(self) -> None:
        if self.memory is None or not self.memory.exists():
            return
        for line in self.memory.read_text(encoding="utf-8").splitlines():
            try:
                kind, *rest = json.loads(line)
                if kind == "id":
                    self.note_id(str(rest[0]), int(rest[1]), write=False)
                elif kind == "result":
                    self.remember(ev.OrderResult(*rest[0]), write=False)
            except (ValueError, TypeError, IndexError):
                continue  # a line torn by a crash: the order is found at the exchange

    def _write(self, row: list[object]) -> None:
        if self.memory is not None:
            with self.memory.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")

    def note_id(self, client_id: str, magic: int, write: bool = True) -> None:
        """An id about to be sent: its cloid and magic are known from now on (also after a
        restart, when written)."""
        self.magic[client_id] = magic
        self.by_cloid[cloid(client_id)] = client_id
        if write:
            self._write(["id", client_id, magic])

    def remember(self, r: ev.OrderResult, write: bool = True) -> None:
        self.results[r.client_id] = r
        self.unknown.discard(r.client_id)
        if r.order:
            self.by_order[r.order] = r.client_id
        if write:
            self._write(["result", list(r)])

    def client_of(self, order_id: int, exchange_cloid: str | None) -> str:
        """The client id of an exchange order ('' when it is not one of ours)."""
        if exchange_cloid and exchange_cloid in self.by_cloid:
            return self.by_cloid[exchange_cloid]
        return self.by_order.get(order_id, "")

"""Volume on its way into the positions: market orders and closes sent whose fills the books do
not show yet.

A Target is expanded against the positions *plus* this volume, so a plan that changes twice
before its first order's fill arrives does not order the difference twice, and a close is never
sent for lots another close in flight already takes. An entry lives from the moment its command
is sent until its fills are in the positions:

    sent ----RESULT (filled volume)----> deals arrive (by client id) ----> POSITION / CLOSED
    counted: the command's volume        the result's volume               gone

A refusal removes it; an unknown outcome keeps it (the order may have filled). Volumes are whole
volume steps of the symbol. Only ``bridge.core`` is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STALE_MS = 60_000  # an entry no event touched for this long is dropped (a fill lost for good)


@dataclass(slots=True)
class Entry:
    symbol: str
    magic: int
    sign: int  # +1 adds to the net position (a buy, or the close of a sell), -1 takes from it
    steps_left: int  # filled or to be filled, no deal seen yet
    ticket: int = 0  # the position a close takes from (0 for an open)
    dealt: dict[int, int] = field(default_factory=dict)  # position id -> steps dealt, not shown
    touched_wall_ms: int = 0
    answered: bool = False  # the terminal's RESULT came
    order: int = 0  # the order ticket the RESULT named (deals name it even without a client id)

    def steps(self) -> int:
        return self.steps_left + sum(self.dealt.values())


class Unbooked:
    """Per client id, the volume sent or filled that the positions do not show yet."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def __bool__(self) -> bool:
        return bool(self.entries)

    def add(self, client_id: str, entry: Entry) -> None:
        if entry.steps_left > 0:
            self.entries[client_id] = entry

    def on_result(self, client_id: str, order: int, filled_steps: int, wall_ms: int) -> None:
        """The order executed: ``filled_steps`` is the result's volume (0 when it does not say;
        the command's volume is kept). Deals that came before the result are already counted."""
        e = self.entries.get(client_id)
        if e is None:
            return
        e.answered, e.order, e.touched_wall_ms = True, order, wall_ms
        if filled_steps > 0:
            e.steps_left = max(0, filled_steps - sum(e.dealt.values()))
        self._drop_if_done(client_id, e)

    def refused(self, client_id: str) -> None:
        self.entries.pop(client_id, None)

    def on_deal(
        self, client_id: str, order: int, position_id: int, steps: int, wall_ms: int
    ) -> None:
        """A deal of an entry's order, found by client id, else by order ticket (a broker may
        replace the comment that carries the client id)."""
        e = self.entries.get(client_id) if client_id else None
        if e is None and order:
            e = next((x for x in self.entries.values() if x.order == order), None)
        if e is None:
            return
        e.steps_left = max(0, e.steps_left - steps)
        e.dealt[position_id] = e.dealt.get(position_id, 0) + steps
        e.touched_wall_ms = wall_ms

    def on_position(self, ticket: int) -> None:
        """A POSITION or CLOSED event: the position shows every deal before it."""
        for cid, e in list(self.entries.items()):
            if e.dealt.pop(ticket, None) is not None:
                self._drop_if_done(cid, e)

    def _drop_if_done(self, client_id: str, e: Entry) -> None:
        if e.steps_left == 0 and not e.dealt and e.answered:
            del self.entries[client_id]

    def net_steps(self, symbol: str, magic: int) -> int:
        return sum(
            e.sign * e.steps()
            for e in self.entries.values()
            if e.symbol == symbol and e.magic == magic
        )

    def closing_steps(self, ticket: int) -> int:
        """Steps of ``ticket`` that closes in flight already take."""
        return sum(e.steps() for e in self.entries.values() if e.ticket == ticket)

    def drop_stale(self, wall_now_ms: int) -> list[str]:
        """Answered entries no deal or position touched for STALE_MS: their fills are taken as
        lost (the positions alone count again; an unanswered order stays until its outcome is
        known). Returns their client ids."""
        old = [
            cid
            for cid, e in self.entries.items()
            if e.answered and wall_now_ms - e.touched_wall_ms >= STALE_MS
        ]
        for cid in old:
            del self.entries[cid]
        return old

    # -- crash checkpoints -------------------------------------------------------------------
    def capture(self) -> list[tuple[Any, ...]]:
        return [
            (
                cid,
                e.symbol,
                e.magic,
                e.sign,
                e.steps_left,
                e.ticket,
                dict(e.dealt),
                e.answered,
                e.order,
            )
            for cid, e in self.entries.items()
        ]

    def restore(self, rows: list[tuple[Any, ...]], wall_now_ms: int) -> None:
        for cid, symbol, magic, sign, left, ticket, dealt, answered, order in rows:
            self.entries[cid] = Entry(
                symbol, magic, sign, left, ticket, dict(dealt), wall_now_ms, answered, order
            )

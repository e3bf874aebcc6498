"""What the store knows of a terminal's account from earlier brains, settled when the terminal
connects: the fills made since the newest one stored (a cold start: no checkpoint to say where
the last brain stopped) and the order rows an earlier brain left open.

An order row stays ``sent`` when the brain stopped between writing it and learning the order's
outcome (or even before the order left). At the first handshake of each terminal, every open
row whose order the engine does not know is asked about (QUERY, never a resend) and closed with
the answer: ``filled``/``done``, ``rejected`` with the broker's retcode, or ``never_sent`` when
the terminal has no record of it. Orders the engine does know (restored from a checkpoint) are
settled by the engine's own QUERY path.

On a cold start the fills answering the request are stored, not handed to the engine: the
engine adopts the terminal's positions as they are, and strategies never hear of fills of
orders they did not send in this life."""

from __future__ import annotations

from typing import Any, Protocol

from bridge.brain.engine import Engine
from bridge.brain.orders import DONE, FILLED, PLACED, REJECTED
from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.persist.store import NEVER_SENT


class Ledger(Protocol):
    """What the server reads of the store and writes to it (``bridge.persist.store.Store``)."""

    def last_deal_ms(self, account: str) -> int | None: ...

    def open_order_rows(self, account: str) -> dict[str, tuple[int, str, str]]: ...

    def audit(self, kind: str, row: dict[str, Any]) -> None: ...


class OpenRows:
    """One terminal's order rows left open by earlier brains, until each is answered."""

    __slots__ = ("account", "asked", "rows")

    def __init__(self, account: str, rows: dict[str, tuple[int, str, str]]) -> None:
        self.account = account
        self.rows = rows  # client id -> (magic, state, command text)
        self.asked = False

    def queries(self) -> list[ev.QueryCmd]:
        return [ev.QueryCmd(cid) for cid in self.rows]

    def answer(self, ledger: Ledger, r: ev.OrderResult, now_ms: int) -> bool:
        """Close the row ``r`` answers; False when ``r`` is not about one of these rows."""
        row = self.rows.get(r.client_id)
        if row is None:
            return False
        magic, _state, command = row
        if r.retcode == rc.PLACED:
            state = PLACED  # a resting order: its row stays open, the books know the order
        elif r.retcode == rc.UNKNOWN_ID:
            state = NEVER_SENT
        elif r.retcode in rc.SUCCESS:
            state = FILLED if command.startswith("OpenCmd") else DONE
        else:
            state = REJECTED
        ledger.audit(
            "order",
            {
                "account": self.account,
                "client_id": r.client_id,
                "magic": magic,
                "state": state,
                "retcode": r.retcode,
                "ticket": r.order,
                "text": r.text or rc.text(r.retcode),
                "command": command,
                "time_ms": now_ms,
            },
        )
        del self.rows[r.client_id]
        return True


def open_rows(ledger: Ledger, account: str, eng: Engine) -> OpenRows:
    """The account's open order rows the engine does not know."""
    rows = ledger.open_order_rows(account)
    return OpenRows(account, {c: r for c, r in rows.items() if c not in eng.orders.orders})


def store_fill(ledger: Ledger, account: str, eng: Engine, d: ev.Deal) -> None:
    """A fill answering a cold start's request: stored once, remembered as seen by the engine
    (a later report of it is not applied either), not traded on."""
    if d.ticket in eng.seen_deals:
        return
    eng.seen_deals[d.ticket] = d.time_ms
    ledger.audit("deal", {**d._asdict(), "account": account})

"""What a live brain tells its operator about trading, one line each: an order sent, its outcome
and how long the terminal took (wall clock), a fill, a risk refusal; and a summary of every
terminal once a minute. The audit rows the engine writes are the source, so these lines and the
audit trail never disagree. Logger ``mt5bridge.trades``."""

from __future__ import annotations

import logging
from typing import Any

from bridge.brain.engine import Engine
from bridge.core.wallclock import wall_ms

log = logging.getLogger("mt5bridge.trades")
SUMMARY_EVERY_MS = 60_000


class TradeLog:
    """Called with every audit row of one terminal's engine."""

    def __init__(self, terminal_id: str) -> None:
        self.terminal_id = terminal_id
        self.sent_wall: dict[str, int] = {}

    def __call__(self, kind: str, row: dict[str, Any]) -> None:
        if kind == "order":
            cid, state = row["client_id"], row["state"]
            if state == "sent":
                self.sent_wall[cid] = wall_ms()
                log.info("order %s sent (magic %s): %s", cid, row["magic"], row["command"])
                return
            t0 = self.sent_wall.get(cid) if state == "placed" else self.sent_wall.pop(cid, None)
            took = f" after {wall_ms() - t0} ms" if t0 is not None else ""
            log.info(
                "order %s %s%s: retcode %s %s",
                cid,
                state,
                took,
                row.get("retcode", 0),
                row.get("text", ""),
            )
        elif kind == "deal":
            log.info(
                "fill %s: %s %s %s at %s (order %s, position %s, profit %s)",
                row["ticket"],
                "buy" if row["is_buy"] else "sell",
                row["volume"],
                row["symbol"],
                row["price"],
                row["client_id"] or row["order"],
                row["position_id"],
                row["profit"],
            )
        elif kind == "risk" and not row["approved"]:
            log.warning(
                "risk refused (magic %s): %s: %s", row["magic"], row["reason"], row["intent"]
            )


def summary(terminal_id: str, eng: Engine) -> None:
    """One line about a terminal's engine: account, positions, orders in flight, halts."""
    pf = eng.portfolio
    acct = pf.account
    money = f"balance {acct.balance:.2f} equity {acct.equity:.2f}" if acct else "no account yet"
    halted = eng.gate.halted or ", ".join(f"{m}: {r}" for m, r in eng.gate.halted_magics.items())
    log.info(
        "summary terminal %s: %s, %d open positions, %d orders in flight, %d trades closed%s",
        terminal_id,
        money,
        len(pf.positions),
        len(eng.orders.open_orders),
        len(pf.trades),
        f", halted: {halted}" if halted else "",
    )

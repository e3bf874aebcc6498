"""Reconciliation: the terminal's snapshot of positions and orders against what the brain
believed. The terminal is the truth; every difference is reported; positions a strategy cannot
account for halt that strategy (the risk gate refuses its new orders until a human resumes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.brain.engine import Engine
from bridge.core import events as ev


@dataclass(slots=True)
class Reconciliation:
    closed_meanwhile: list[int] = field(default_factory=list)  # brain had them, terminal does not
    adopted: list[int] = field(default_factory=list)  # terminal has them; explained by our orders
    unexplained: list[int] = field(default_factory=list)  # terminal has them; nobody sent them
    changed: list[int] = field(default_factory=list)
    halted_magics: dict[int, str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not (self.closed_meanwhile or self.unexplained or self.changed)

    def as_dict(self) -> dict[str, object]:
        return {
            "closed_meanwhile": self.closed_meanwhile,
            "adopted": self.adopted,
            "unexplained": self.unexplained,
            "changed": self.changed,
            "halted_magics": self.halted_magics,
        }


def reconcile(
    engine: Engine, positions: list[ev.Position], orders: list[ev.PendingOrder], cold: bool = False
) -> Reconciliation:
    """``cold``: the first snapshot after the brain started without a checkpoint; positions it
    finds are adopted (the strategies reloaded their state from the store and own them). A new
    position opened by one of our orders (its report was lost) is handled as that report."""
    pf = engine.portfolio
    rep = Reconciliation()
    known_ids = set(engine.orders.orders)
    magics = {s.magic for s in engine.strategies}
    now = {p.ticket: p for p in positions}
    for ticket, old in list(pf.positions.items()):
        if ticket not in now:
            rep.closed_meanwhile.append(ticket)
            engine.handle(ev.PositionClosed(ticket, engine.now_ms))
        elif abs(now[ticket].volume - old.volume) > 1e-9:
            rep.changed.append(ticket)
    for ticket, p in now.items():
        if ticket in pf.positions:
            pf.positions[ticket] = p
            continue
        if not cold and p.client_id in known_ids:
            rep.adopted.append(ticket)  # our order filled while its report was lost:
            engine.handle(p)  # handled as the report would have been (its strategy hears it)
            continue
        if cold or p.magic not in magics:
            rep.adopted.append(ticket)
        else:
            rep.unexplained.append(ticket)
            reason = f"position {ticket} ({p.symbol}) opened by nobody this brain knows"
            rep.halted_magics[p.magic] = reason
            engine.gate.halted_magics[p.magic] = reason
        pf.positions[ticket] = p
    pf.orders = {o.ticket: o for o in orders}
    return rep

"""A Target (a strategy's wanted net position on a symbol) becomes closes and opens.

What the account will hold is the positions shown plus the volume on its way (``Unbooked``:
orders sent, fills not shown yet), so a target changed before the last order's fill shows
orders only the difference. Reductions close positions by ticket: the risk gate lets a close
through even when margin is short or trading is halted; only a reversal's new side opens.
Volumes are whole volume steps. Imports ``bridge.brain.strategy``, ``bridge.brain.unbooked``
and ``bridge.core`` only.
"""

from __future__ import annotations

from bridge.brain.strategy import Close, Intent, Open, Target
from bridge.brain.unbooked import Unbooked
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec


def expand_target(
    t: Target,
    magic: int,
    spec: SymbolSpec,
    positions: list[ev.Position],
    unbooked: Unbooked,
    hedging: bool,
) -> list[Intent]:
    """The intents that bring ``magic``'s net position on ``t.symbol`` to ``t.net_volume``."""
    shown = sum(spec.lots_to_steps(p.volume) * (1 if p.is_buy else -1) for p in positions)
    have = shown + unbooked.net_steps(t.symbol, magic)
    delta = spec.lots_to_steps(t.net_volume) - have
    if delta == 0:
        return []
    want_buy = delta > 0
    if hedging:
        closes = _hedging_closes(positions, spec, unbooked, want_buy, abs(delta))
    else:
        closes = _netting_close(positions, spec, unbooked, want_buy, abs(delta), have)
    out: list[Intent] = [Close(ticket, spec.steps_to_lots(n), tag=t.tag) for ticket, n in closes]
    left = abs(delta) - sum(n for _, n in closes)
    if left:
        out.append(Open(t.symbol, want_buy, spec.steps_to_lots(left), tag=t.tag, magic=t.magic))
    return out


def _hedging_closes(
    positions: list[ev.Position], spec: SymbolSpec, unbooked: Unbooked, want_buy: bool, need: int
) -> list[tuple[int, int]]:
    """Opposite positions are closed first, oldest ticket first, each for what closes in flight
    do not already take."""
    out = []
    for p in sorted(positions, key=lambda q: q.ticket):
        if need == 0:
            break
        if p.is_buy == want_buy:
            continue
        n = min(need, spec.lots_to_steps(p.volume) - unbooked.closing_steps(p.ticket))
        if n > 0:
            out.append((p.ticket, n))
            need -= n
    return out


def _netting_close(
    positions: list[ev.Position],
    spec: SymbolSpec,
    unbooked: Unbooked,
    want_buy: bool,
    need: int,
    have: int,
) -> list[tuple[int, int]]:
    """A netting account's one position, reduced by a close of its ticket when that ticket is
    sure to exist when the close executes: orders in flight execute first, and any that may
    take the position to zero (it would come back under a new ticket) leave the reduction to an
    opposite open, which nets."""
    if not positions or have == 0 or (have > 0) == want_buy:
        return []
    (p,) = positions[:1]
    sign = 1 if p.is_buy else -1
    shown = spec.lots_to_steps(p.volume)
    against = sum(
        e.steps() for e in unbooked.entries.values() if e.symbol == p.symbol and e.sign != sign
    )
    if against >= shown or (have > 0) != p.is_buy:
        return []
    return [(p.ticket, min(need, abs(have)))]

"""In-process replay: the engine and the simulated terminal in one process, no sockets.

Event order is exactly what the fake terminal produces over ZeroMQ in lockstep mode: each market
step's events are handled in order, commands execute as they are issued (against the same
simulator state), and their answers are handled after the step, first in, first out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.orders import Audit
from bridge.brain.portfolio import Portfolio
from bridge.brain.risk import RiskLimits
from bridge.brain.strategy import Rejection, Strategy
from bridge.brain.tape import Tape
from bridge.data.fixtures import Fixture, market_events, require_symbols
from bridge.replay.jumps import Skipper
from bridge.replay.quiet_minutes import minute_events
from bridge.sim.terminal import SimTerminal


@dataclass(slots=True)
class RunResult:
    name: str
    portfolio: Portfolio
    rejections: list[tuple[str, Rejection]]
    events: int
    strategies: list[Strategy]


def run_backtest(
    fx: Fixture,
    strategies: Sequence[Strategy],
    limits: RiskLimits | None = None,
    audit: Audit | None = None,
    progress: Callable[[int, int], None] | None = None,
    fast: bool = True,
    jumps: bool = True,
) -> RunResult:
    """``fast``: leave out the ticks of minutes in which nothing can happen
    (bridge/replay/quiet_minutes.py) and, with ``jumps``, handle in bulk the minutes on which no
    strategy can act (bridge/replay/jumps.py); the results are the same as the plain stream's.
    FixtureError when a strategy names a symbol the fixture does not have."""
    require_symbols(fx, {s.name: tuple(s.symbols) for s in strategies})
    term = SimTerminal(fx)
    answers: deque[Any] = deque()

    def send(cmd: Any) -> None:
        answers.extend(term.command(cmd))

    engine = Engine(
        strategies,
        dict(fx.specs),
        send,
        initial_balance=fx.account.balance,
        limits=limits,
        id_prefix="bt",
        audit=audit,
    )
    handle = engine.handle

    def step(batch: list[Any]) -> None:
        for e in batch:
            handle(e)
        while answers:
            handle(answers.popleft())

    step(term.connect_events())
    engine.start()
    step([])
    total = sum(len(b) for b in fx.bars.values())
    n = bars = 0
    sim = term.sim
    tick_driven = any(s.wants_ticks for s in strategies)

    def quiet() -> bool:
        """Nothing can happen inside the next minute but quotes moving
        (bridge/replay/quiet_minutes.py)."""
        if tick_driven or engine.has_timers or sim.orders:
            return False
        return not any(p.sl or p.tp for p in sim.positions.values())

    # a tick-driven strategy's symbols (all it reads and trades) and any symbol with an order or
    # a position need every tick of a minute; the others only move quotes no one reads then
    tick_symbols = frozenset(sym for s in strategies if s.wants_ticks for sym in s.symbols)

    def busy() -> frozenset[str] | None:
        if engine.has_timers:
            return None  # any tick's time may fire a timer
        if not sim.positions and not sim.orders:
            return tick_symbols
        held = {p.symbol for p in sim.positions.values()}
        return tick_symbols.union(held, (o.symbol for o in sim.orders.values()))

    skipper = None
    can_jump = all(type(s).replay_prepare is not Strategy.replay_prepare for s in strategies)
    # a replay that keeps rows (``audit``) visits every bar: strategies write rows from bars
    # (the two-bucket plan's price updates), which a jump would leave out
    if fast and jumps and can_jump and audit is None and not fx.ticks:
        tape = Tape(fx.bars, fx.specs)
        if all([s.replay_prepare(tape, engine.specs) for s in strategies]):
            skipper = Skipper(tape, engine, term, strategies)
    if not fast:
        stream = market_events(fx)
    else:
        jump = (skipper.jump, skipper.tape) if skipper is not None else None
        stream = minute_events(fx, quiet, busy, jump)
    for me in stream:
        n += 1
        step(term.market(me))
        if progress is not None and me.__class__.__name__ == "Bar":
            bars += 1
            if bars % 5000 == 0:
                progress(bars, total)
    engine.flush_bars()
    step([])
    return RunResult(fx.name, engine.portfolio, engine.rejections, n, list(strategies))

"""Small builders shared by the unit tests."""

from __future__ import annotations

from collections import deque
from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.risk import RiskLimits
from bridge.brain.strategy import Context, Intents, Strategy
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from bridge.data.fixtures import Fixture
from bridge.sim.terminal import SimTerminal

T0 = 1_767_614_400_000  # 2026-01-05 12:00 server time, a Monday


def index_spec(symbol: str = "US100", **kw: Any) -> SymbolSpec:
    base: dict[str, Any] = dict(
        symbol=symbol,
        digits=2,
        point=0.01,
        tick_size=0.01,
        tick_value=0.01,
        contract_size=1.0,
        volume_min=0.01,
        volume_step=0.01,
        volume_max=100.0,
    )
    base.update(kw)
    return SymbolSpec(**base)


def gold_spec(**kw: Any) -> SymbolSpec:
    """XAUUSD as the tests know it: 2 digits, 100 oz a lot, 0.01 lot steps; overrides in kw."""
    base: dict[str, Any] = dict(
        symbol="XAUUSD",
        digits=2,
        point=0.01,
        tick_size=0.01,
        tick_value=1.0,
        contract_size=100.0,
        volume_min=0.01,
        volume_step=0.01,
        volume_max=100.0,
    )
    base.update(kw)
    return SymbolSpec(**base)


def account(free: float = 100_000.0, hedging: bool = True) -> ev.Account:
    return ev.Account(1, free, free, 0.0, free, 100, "USD", hedging, T0)


class Scripted(Strategy):
    """Returns the intents queued for the next tick; records what it was told."""

    def __init__(self, magic: int = 1, symbols: tuple[str, ...] = ("US100",)) -> None:
        self.magic = magic
        self.name = f"scripted{magic}"
        self.symbols = symbols
        self.wants_ticks = True
        self.timeframes = (1,)
        self.next: list[Any] = []
        self.rejections: list[Any] = []
        self.fills: list[ev.Deal] = []
        self.closed: list[ev.Position] = []
        self.changed: list[ev.Position] = []
        self.timers: list[str] = []

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        out, self.next = self.next, []
        return out

    def on_fill(self, deal: ev.Deal, ctx: Context) -> Intents:
        self.fills.append(deal)
        return ()

    def on_position(self, position: ev.Position, ctx: Context) -> Intents:
        self.changed.append(position)
        return ()

    def on_position_closed(
        self, position: ev.Position, deal: ev.Deal | None, ctx: Context
    ) -> Intents:
        self.closed.append(position)
        return ()

    def on_reject(self, rejection: Any, ctx: Context) -> Intents:
        self.rejections.append(rejection)
        return ()

    def on_timer(self, name: str, ctx: Context) -> Intents:
        self.timers.append(name)
        return ()


def engine(
    strategies: list[Strategy],
    limits: RiskLimits | None = None,
    specs: dict[str, SymbolSpec] | None = None,
) -> tuple[Engine, list[Any]]:
    sent: list[Any] = []
    e = Engine(
        strategies,
        specs or {"US100": index_spec()},
        sent.append,
        initial_balance=100_000.0,
        limits=limits,
        id_prefix="t",
    )
    e.handle(account())
    e.start()
    return e, sent


def tick(t: int = T0, bid: float = 21000.0, ask: float = 21001.5, symbol: str = "US100") -> ev.Tick:
    return ev.Tick(symbol, t, bid, ask)


class SimLink:
    """A simulated terminal answering an engine's commands as the in-process replay does: the
    answers are handled after the step's events, first in, first out; ``sent`` keeps every
    command."""

    def __init__(self, fx: Fixture) -> None:
        self.term = SimTerminal(fx)
        self.answers: deque[Any] = deque()
        self.sent: list[Any] = []

    def send(self, cmd: Any) -> None:
        self.sent.append(cmd)
        self.answers.extend(self.term.command(cmd))

    def step(self, e: Engine, batch: list[Any]) -> None:
        for x in batch:
            e.handle(x)
        while self.answers:
            e.handle(self.answers.popleft())


class Recorder:
    """The brain's side of a Python terminal's link, recorded: what the terminal sent, and the
    commands a test gives it (``inbox``), handled as the real link hands them over."""

    lockstep = False

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.seq_out = 0
        self.ready_upto = 0
        self.inbox: list[Any] = []

    def connect(self, state: Any, positions: int, orders: int) -> None:
        self.sent += [*state, ev.SnapshotEnd(0, positions, orders)]

    def send(self, msg: Any) -> None:
        self.sent.append(msg)
        self.seq_out += 1

    def commands(self, timeout_ms: int = 0) -> list[Any]:
        out, self.inbox = self.inbox, []
        return out

    def start(self, state: Any, handle: Any) -> None:
        self.connect(*state)

    def answer(self, handle: Any, server_ms: int) -> None:
        for cmd in self.commands(0):
            handle(cmd)

    def heartbeat_if_due(self, server_ms: int) -> None:
        pass

    def close(self) -> None:
        pass

    def of(self, kind: type) -> list[Any]:
        return [m for m in self.sent if isinstance(m, kind)]

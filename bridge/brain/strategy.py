"""The strategy API: what a strategy sees (events and a read-only context) and what it returns
(intents). Strategies are pure: no I/O, no wall clock; time is the event's server time.

A strategy subclasses ``Strategy`` and overrides the callbacks it needs. Each callback returns a
sequence of intents (or ``()``). The engine tags every intent with the strategy's magic number,
passes it through the risk gate and the order manager, and reports rejections back through
``on_reject``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec

if TYPE_CHECKING:
    from bridge.brain.tape import Tape


# -- intents ---------------------------------------------------------------------------------
class Open(NamedTuple):
    symbol: str
    is_buy: bool
    volume: float  # lots; the order manager normalises it to the symbol's step, min and max
    order_type: int = -1  # -1: market; else ev.BUY_LIMIT ... ev.SELL_STOP
    price: float = 0.0  # pending orders only
    sl: float = 0.0
    tp: float = 0.0
    tag: str = ""  # strategy's own label, kept with the order (e.g. "main", "hedge")
    magic: int = 0  # the position's magic number; 0: the strategy's own


class Close(NamedTuple):
    ticket: int
    volume: float = 0.0  # 0: the whole position
    tag: str = ""


class Modify(NamedTuple):
    ticket: int
    sl: float
    tp: float
    tag: str = ""


class Cancel(NamedTuple):
    ticket: int
    tag: str = ""


class CloseBy(NamedTuple):
    ticket: int
    opposite: int
    tag: str = ""


class Target(NamedTuple):
    """Bring this strategy's net position on ``symbol`` to ``net_volume`` lots (+ long, - short)."""

    symbol: str
    net_volume: float
    tag: str = ""
    magic: int = 0  # the positions of this magic number; 0: the strategy's own


class SetTimer(NamedTuple):
    """Call ``on_timer`` once event time reaches ``at_ms`` (server time)."""

    at_ms: int
    name: str = ""


class Record(NamedTuple):
    """A row for the store (``kind`` names the table): how a pure strategy keeps its own audit
    trail without doing I/O. Dropped when the brain runs without a store."""

    kind: str
    row: dict[str, Any]


Intent = Open | Close | Modify | Cancel | CloseBy | Target | SetTimer | Record
Intents = Sequence[Intent]
NO_INTENTS: tuple[Intent, ...] = ()
REDUCING = (Close, Cancel, CloseBy)


class Rejection(NamedTuple):
    """An intent that did not become a trade: refused by the risk gate (retcode 0) or by the
    terminal (an MT5 retcode)."""

    intent: Intent
    reason: str
    retcode: int
    time_ms: int


class Level(NamedTuple):
    """A price an operator sees drawn on a symbol's chart (the dashboard): the range's high, a
    band's edge, the next trigger."""

    symbol: str
    name: str
    price: float


# -- what a strategy can read ----------------------------------------------------------------
class Context(Protocol):
    @property
    def now_ms(self) -> int: ...

    def spec(self, symbol: str) -> SymbolSpec: ...

    def quote(self, symbol: str) -> ev.Tick | None: ...

    def account(self) -> ev.Account | None: ...

    def positions(self, symbol: str | None = None) -> list[ev.Position]:
        """This strategy's open positions (by magic number)."""
        ...

    def account_positions(self, symbol: str | None = None) -> list[ev.Position]:
        """Every open position of the account (any magic), e.g. to adopt existing tickets."""
        ...

    def pending(self) -> list[ev.PendingOrder]: ...

    def in_flight(self) -> int:
        """This strategy's orders sent whose outcome is not known yet (resting pending orders
        do not count)."""
        ...


class Strategy:
    """Base class with no-op callbacks. Subclasses set ``name``, ``magic``, ``symbols`` and
    ``timeframes`` (bar timeframes in minutes besides M1 that ``on_bar`` should receive)."""

    name: str = "strategy"
    magic: int = 0
    symbols: tuple[str, ...] = ()
    timeframes: tuple[int, ...] = ()
    wants_ticks: bool = False
    # holds a long and a short on one symbol at once: needs a hedging account
    needs_hedging: bool = False
    extra_magics: tuple[int, ...] = ()  # other magic numbers its positions carry (e.g. legs)

    def on_start(self, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_fill(self, deal: ev.Deal, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_position(self, position: ev.Position, ctx: Context) -> Intents:
        """A position of this strategy opened or changed (volume, SL/TP)."""
        return NO_INTENTS

    def on_position_closed(
        self, position: ev.Position, deal: ev.Deal | None, ctx: Context
    ) -> Intents:
        return NO_INTENTS

    def on_reject(self, rejection: Rejection, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_timer(self, name: str, ctx: Context) -> Intents:
        return NO_INTENTS

    def on_control(self, verb: str, arg: str, ctx: Context) -> Intents:
        """An operator command for this strategy (``mt5bridge strategy NAME VERB [ARG]``).
        Raise ValueError for a verb the strategy does not know."""
        raise ValueError(f"{self.name}: no control verbs (got {verb!r})")

    # -- replay that jumps over quiet minutes (bridge/replay/jumps.py); optional --------------
    def replay_prepare(self, tape: Tape, specs: dict[str, SymbolSpec]) -> bool:
        """Precompute what the two methods below need from the whole tape. False (the
        default): the strategy cannot be jumped over and the replay visits every minute."""
        return False

    def replay_quiet_until(self, m: int, ctx: Context) -> int:
        """The first minute index >= m on which this strategy may emit an intent, given its
        state now, if nothing but bars (and, for a strategy that listens to ticks, the four
        ticks the replay makes of each bar) happens until then (m: it may act now)."""
        return m

    def replay_skip(self, m: int) -> None:
        """Set every state the strategy keeps from bars to what ``on_bar`` would have made of
        every bar (and ``on_tick`` of every tick) handled before minute m (the replay calls it
        instead of them for the minutes it jumps over)."""
        raise NotImplementedError(f"{self.name}: no replay jumps")

    def get_state(self) -> dict[str, Any]:
        """JSON-serialisable state that ``set_state`` restores after a restart."""
        return {}

    def history_minutes(self) -> dict[str, int]:
        """Per symbol, how many minutes of closed M1 bars before its first live minute the
        strategy needs for its decisions to equal a replay's (its indicators settled, today's
        range known): a live brain feeds it that history before it trades. {} (the default):
        it needs none and trades from its first minute."""
        return {}

    def owns(self, position: ev.Position) -> bool:
        """Whether a position of another magic is this strategy's to run (one it adopts): its
        open P&L then counts in the strategy's equity. Its own magics always are."""
        return False

    def headline(self) -> str:
        """What the strategy is doing, in a few words ("waiting for a breakout", "advance, long
        100 % hedge 100 %"): the live brain logs a line each time it changes. "" (the default):
        no such lines."""
        return ""

    def status(self) -> dict[str, Any]:
        """What an operator reads of the strategy now (``mt5bridge strategy NAME status``):
        by default its saved state; a strategy with a richer picture says more."""
        return {"state": self.get_state()}

    def levels(self, ctx: Context) -> list[Level]:
        """The prices the strategy watches now, drawn on its symbols' charts: [] (the default)
        draws none."""
        return []

    def set_state(self, state: dict[str, Any]) -> None:
        return None

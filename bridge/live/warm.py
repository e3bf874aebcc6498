"""Keeping the order path warm while the market is quiet (``brain.keep_warm_ms``).

Orders are rare next to ticks. Between two of them the processor's caches fill with other work
(in a virtual machine, with other guests' too), and the first order after a quiet spell pays
for fetching the order path's code and data again: on the 2-core reference machine its risk
check, order book and codec took 50-100 us cold against 10-20 us warm (docs/performance.md).

``OrderPathWarmer.warm`` runs that path dry: for each symbol a strategy trades that has a spec
and a quote, an opening order of the symbol's minimum volume goes through the same order
manager, risk gate and codec code as a real one, then is framed for the wire, and dropped. It
uses the engine's specs, quotes, portfolio and limits read-only, on a book and a gate of its
own, so it changes nothing the engine owns and sends nothing (tests/test_warm.py).
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.brain.engine import Engine
from bridge.brain.orders import OrderManager
from bridge.brain.risk import RiskGate
from bridge.brain.strategy import Open
from bridge.core import events as ev
from bridge.wire import codec


def _identity(body: bytes) -> bytes:
    return body


class OrderPathWarmer:
    def __init__(self, engine: Engine, frame: Callable[[bytes], bytes] = _identity) -> None:
        self.engine = engine
        self.frame = frame
        self.symbols = tuple(dict.fromkeys(sym for s in engine.strategies for sym in s.symbols))
        self.framed = 0  # commands framed (and dropped) so far
        self.book = OrderManager(
            RiskGate(engine.gate.limits), engine.portfolio, engine.specs, self._drop, "warm"
        )
        self.book.wall_ms = engine.orders.wall_ms

    def _drop(self, cmd: ev.TradeCommand | ev.QueryCmd) -> None:
        self.frame(codec.encode(cmd, 1))
        self.framed += 1

    def warm(self) -> None:
        eng, book = self.engine, self.book
        for sym in self.symbols:
            spec = eng.specs.get(sym)
            if spec is None or sym not in eng.last_tick:
                continue
            book.submit(Open(sym, True, spec.volume_min, tag="warm"), 0, eng.now_ms)
        book.orders.clear()
        book.open_orders.clear()
        book.gate = RiskGate(eng.gate.limits)  # its count of orders sent starts again

"""Targets while orders are in flight: whatever the interleaving of new targets, answers, deals
and positions, the account ends at the last target, with nothing ordered twice.

The terminal is the broker simulator behind two queues (commands not executed yet, events not
delivered yet), each first in, first out, as the EA sends them: a result, its deals, the position.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.strategy import Target
from bridge.core import events as ev
from bridge.data.account import AccountSettings
from bridge.sim.broker import BrokerSim
from tests.helpers import T0, Scripted, account, engine, index_spec, tick

ops = st.lists(
    st.one_of(
        st.tuples(st.just("target"), st.integers(-150, 150)),
        st.tuples(st.just("execute"), st.just(0)),
        st.tuples(st.just("deliver"), st.integers(1, 4)),
    ),
    max_size=40,
)


def _net_steps(sim: BrokerSim) -> int:
    return sum(round(p.volume * 100) * (1 if p.is_buy else -1) for p in sim.positions.values())


@settings(max_examples=150, deadline=None)
@given(ops, st.booleans())
def test_the_account_ends_at_the_last_target(seq: list[tuple[str, int]], hedging: bool) -> None:
    spec = index_spec()
    sim = BrokerSim({"US100": spec}, AccountSettings(balance=10_000_000, hedging=hedging))
    s = Scripted()
    e, sent = engine([s])
    e.handle(account(free=10_000_000.0, hedging=hedging))
    commands: deque[Any] = deque()
    events: deque[Any] = deque()
    t, last = T0, 0
    sim.on_tick("US100", t, 21000.0, 21001.5)
    taken = 0

    def take_sent() -> None:
        nonlocal taken
        commands.extend(sent[taken:])
        taken = len(sent)

    def execute_one() -> None:
        cmd = commands.popleft()
        assert isinstance(cmd, ev.OpenCmd | ev.CloseCmd), cmd
        out = sim.execute(cmd)
        result = next(x for x in out if isinstance(x, ev.OrderResult))
        assert result.retcode in (10008, 10009), result  # nothing refused: no close too big
        events.append(result)  # the EA answers first, then tells the deals and positions
        events.extend(x for x in out if not isinstance(x, ev.OrderResult))

    for op, arg in seq:
        if op == "target":
            t += 1000
            last = arg
            s.next = [Target("US100", arg / 100)]
            e.handle(tick(t))
            take_sent()
        elif op == "execute" and commands:
            execute_one()
        elif op == "deliver":
            for _ in range(min(arg, len(events))):
                e.handle(events.popleft())
    while commands or events:  # everything settles, no new target
        while commands:
            execute_one()
        while events:
            e.handle(events.popleft())
        take_sent()
    assert _net_steps(sim) == last
    assert not e.orders.unbooked and not e.orders.open_orders

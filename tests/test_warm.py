"""The order path warmer (bridge/live/warm.py) runs the order path dry: it changes nothing the
engine owns and sends nothing, so a replay warmed after every step is the replay without it."""

from __future__ import annotations

from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.risk import RiskLimits
from bridge.config import DEMO, parse_config
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from bridge.data.fixtures import Fixture, market_events
from bridge.live.warm import OrderPathWarmer
from bridge.wire.zmtp import frame
from strategies.ema_cross import EmaCross, EmaCrossParams
from tests.helpers import SimLink


def _replay(fx: Fixture, warm: bool) -> tuple[list[Any], list[Any], list[Any], int]:
    cfg = parse_config(DEMO)
    link = SimLink(fx)
    engine = Engine(
        cfg.build_strategies(),
        dict(fx.specs),
        link.send,
        initial_balance=fx.account.balance,
        limits=cfg.risk.limits(),
        id_prefix="bt",
    )
    warmer = OrderPathWarmer(engine, frame)

    def step(batch: list[Any]) -> None:
        link.step(engine, batch)
        if warm:
            warmer.warm()

    step(link.term.connect_events())
    engine.start()
    step([])
    for me in market_events(fx):
        step(link.term.market(me))
    engine.flush_bars()
    step([])
    trades = [tuple(t) for t in engine.portfolio.trades]
    return link.sent, trades, engine.rejections, warmer.framed


def test_a_replay_warmed_after_every_step_sends_and_trades_exactly_as_without(
    demo_fixture: Fixture,
) -> None:
    cold = _replay(demo_fixture, warm=False)
    warmed = _replay(demo_fixture, warm=True)
    assert cold[1], "the demo must trade to prove anything"
    assert warmed[:3] == cold[:3]  # commands sent, trades, rejections
    assert warmed[3] > 1000 and cold[3] == 0  # the warmer did run the path, on every step


SPEC = SymbolSpec("US100", 2, 0.01, 0.01, 0.01, 1.0, 0.1, 0.1, 100.0)


def _engine(sent: list[Any]) -> Engine:
    eng = Engine(
        [EmaCross(EmaCrossParams(symbol="US100", timeframe=1), magic=7)],
        {"US100": SPEC},
        sent.append,
        limits=RiskLimits(max_orders_per_minute=1, check_hours=False),
    )
    eng.handle(ev.Account(1, 10_000.0, 10_000.0, 0.0, 10_000.0, 100, "USD", True, 0))
    eng.handle(ev.Tick("US100", 60_000, 21000.0, 21001.0))
    return eng


def _state(eng: Engine) -> tuple[Any, ...]:
    o = eng.orders
    return (
        dict(o.orders),
        dict(o.open_orders),
        o._n,
        list(eng.gate._sent),
        eng.gate.halted,
        dict(eng.portfolio.positions),
        list(eng.rejections),
        eng.now_ms,
    )


def test_warming_frames_an_order_per_traded_symbol_and_changes_no_engine_state() -> None:
    sent: list[Any] = []
    eng = _engine(sent)
    framed: list[bytes] = []
    w = OrderPathWarmer(eng, lambda b: framed.append(frame(b)) or b)
    before = _state(eng)
    for _ in range(3):  # more often than the gate's one order a minute would let through
        w.warm()
    assert _state(eng) == before
    assert sent == []
    assert [f.split(b"|")[3:6] for f in framed] == [[b"US100", b"0", b"0.1"]] * 3
    assert all(f.startswith(b"\x00") for f in framed), "framed as ZMTP would"


def test_warming_skips_a_symbol_without_spec_or_quote() -> None:
    sent: list[Any] = []
    eng = Engine([], {"US100": SPEC}, sent.append)
    w = OrderPathWarmer(eng)
    w.symbols = ("US100", "XAUUSD")
    w.warm()  # no quote for US100, no spec for XAUUSD
    assert w.framed == 0 and sent == []

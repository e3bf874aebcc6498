"""Invariants of the compression engine (SPEC 6.3) on generated oscillations."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.brain.engine import Engine
from bridge.brain.strategy import Close, Open
from bridge.core import events as ev
from bridge.data.fixtures import market_events
from bridge.replay.backtest import run_backtest
from strategies.compression import Compression
from strategies.compression_params import CompressionParams
from tests.compression_scenarios import GOLD, locked_fixture, path
from tests.helpers import SimLink

R, CAP = 1, 2  # residual and step cap in volume steps (0.01 lot)


class Probe(Compression):
    """Records every swing's baskets and intents, and checks the invariants of SPEC 6.3 after
    every fill: the bank never negative; a fill that adds to a side never takes it above the
    other side minus r (no over-run), nor past the side or gross caps; nothing added by a
    resting order while the engine may not act."""

    def __init__(self, params: CompressionParams) -> None:
        super().__init__(params)
        self.swings: list[tuple[int, int, bool, list[Any]]] = []  # (L, S, low, intents)
        self.harvest_deals: list[ev.Deal] = []
        self.entry_fills: list[tuple[int, int, bool]] = []  # (L, S after it, from a resting order)
        self.sent: list[Any] = []  # every intent, in order
        self._harvesting: set[int] = set()
        self._resting: set[int] = set()

    def on_tick(self, tick, ctx):  # type: ignore[no-untyped-def]
        out = super().on_tick(tick, ctx)
        self.sent += out
        self._resting = {o.ticket for o in ctx.pending() if o.symbol == "XAUUSD"}
        return out

    def _at_swing(self, swing, tick, ctx, b, *rest):  # type: ignore[no-untyped-def]
        out = super()._at_swing(swing, tick, ctx, b, *rest)
        lng, sht = b.lots(GOLD)
        self.swings.append((lng, sht, swing < 0, list(out)))
        # harvest fills arrive right after their swing; a later close of the same ticket is a
        # reduction (a loss the bank pays for), not a harvest
        self._harvesting = {i.ticket for i in out if isinstance(i, Close) and i.tag == "harvest"}
        return out

    def on_fill(self, deal, ctx):  # type: ignore[no-untyped-def]
        out = super().on_fill(deal, ctx)
        assert self.bank >= -1e-6, f"bank went negative: {self.bank}"
        if deal.position_id in self._harvesting and deal.entry != ev.ENTRY_IN:
            self.harvest_deals.append(deal)
        if deal.entry == ev.ENTRY_IN:  # the baskets before this fill, plus the fill
            lng, sht = self.baskets(ctx).lots(GOLD)
            add = steps(deal.volume)
            lng, sht = (lng + add, sht) if deal.is_buy else (lng, sht + add)
            grown, other = (lng, sht) if deal.is_buy else (sht, lng)
            from_resting = deal.order in self._resting
            self.entry_fills.append((lng, sht, from_resting))
            assert grown <= other - R, f"over-run: {lng} long / {sht} short after a fill"
            assert grown <= steps(self.p.max_side_lots) and lng + sht <= steps(
                self.p.max_gross_lots
            ), f"a cap exceeded: {lng} long / {sht} short"
            assert not (from_resting and not self.engaged), "a resting order filled while paused"
        return out


def steps(v: float) -> int:
    return round(v * 100)


tickets = st.lists(st.tuples(st.integers(1, 5), st.integers(0, 200)), min_size=1, max_size=6)


@st.composite
def locked_hedge(
    draw: st.DrawFn,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], list[float]]:
    longs = [(n / 100, 2650.0 + off) for n, off in draw(tickets)]
    shorts = [(n / 100, 2450.0 + off) for n, off in draw(tickets)]
    avg_l = sum(v * p for v, p in longs) / sum(v for v, _ in longs)
    avg_s = sum(v * p for v, p in shorts) / sum(v for v, _ in shorts)
    width = avg_l - avg_s
    swings = draw(st.integers(4, 14))
    reach = draw(st.floats(0.05, 0.35))  # how close to the edges the swings come, share of width
    jitter = draw(st.lists(st.floats(0, 1), min_size=swings, max_size=swings))
    pts = [avg_s + width / 2]
    for i in range(swings):
        j = jitter[i] * reach * width / 2
        pts.append(avg_s + reach * width / 2 + j if i % 2 == 0 else avg_l - reach * width / 2 - j)
    pts.append(pts[-1] + (1 if swings % 2 == 0 else -1) * 25)
    return longs, shorts, path([round(x, 2) for x in pts], step=1.0)


PARAMS = dict(
    bounce_mode="price",
    bounce=20.0,
    trend_k=0.0,
    adopt_magic=0,
    commission_per_lot=3.0,
    max_side_lots=0.6,
    max_gross_lots=1.0,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locked_hedge())
def test_invariants_under_bounded_oscillation(case: tuple[Any, Any, list[float]]) -> None:
    longs, shorts, mids = case
    s = Probe(CompressionParams(**PARAMS))  # type: ignore[arg-type]
    run_backtest(locked_fixture(mids, longs, shorts), [s])
    assert s.bank >= 0
    after_topups = []
    for lng, sht, low, intents in s.swings:
        small, big = (lng, sht) if low else (sht, lng)
        for it in intents:
            if isinstance(it, Open):
                v = steps(it.volume)
                assert it.is_buy == low  # the cheap side is the one topped up
                assert small + v <= big - R  # never over the other side minus r
                assert v <= CAP
                assert (lng if low else sht) + v <= 60 and lng + sht + v <= 100  # caps
                after_topups.append(big - (small + v))
    # the imbalance right after each top-up never increases
    assert all(b <= a for a, b in itertools.pairwise(after_topups))
    for d in s.harvest_deals:  # no harvest realises a loss
        assert d.profit + d.commission + d.swap >= 0


def test_imbalance_reaches_r_and_gross_falls_by_2r_per_swing_once_balanced() -> None:
    longs = [(0.05, 2700.0), (0.05, 2720.0), (0.05, 2740.0)]
    shorts = [(0.05, 2560.0), (0.05, 2580.0), (0.05, 2600.0), (0.05, 2610.0)]
    mids = path([2650] + [2600, 2690] * 14, step=1.0)
    s = Probe(CompressionParams(**{**PARAMS, "min_harvest": 1000.0}))  # type: ignore[arg-type]
    s.bank = 5000.0  # a bank that pays for the reductions: compression by reduction alone
    run_backtest(locked_fixture(mids, longs, shorts), [s])
    imbalance = [abs(lng - sht) for lng, sht, _, _ in s.swings]
    gross = [lng + sht for lng, sht, _, _ in s.swings]
    first_r = imbalance.index(R)
    assert imbalance[0] > R and all(i == R for i in imbalance[first_r:])
    acted = [bool(it) for _, _, _, it in s.swings]
    for i in range(first_r, len(gross) - 1):  # every swing that acts takes exactly 2r off
        assert gross[i] - gross[i + 1] == (2 * R if acted[i] else 0)
    assert sum(acted[first_r:]) >= 10 and gross[-1] <= 5
    # it stops when compression has shrunk the band inside the swings: outside, it waits
    assert "outside the band" in s.cycles[-2].note


def test_one_way_trend_adds_nothing() -> None:
    mids = path([2650, 2600], step=0.5)  # straight down through the band, no bounce
    s = Compression(CompressionParams(**PARAMS))  # type: ignore[arg-type]
    res = run_backtest(locked_fixture(mids, [(0.08, 2700.0)], [(0.10, 2550.0)]), [s])
    assert res.portfolio.trades == [] and not res.portfolio.orders and s.cycles == []


def test_trend_filter_pauses_when_the_leg_runs_beyond_k_atr() -> None:
    s = Compression(CompressionParams(trend_k=3.0))
    for i in range(14):  # ATR of 1.0
        s.atr.update(100 + i % 2, 99 + i % 2, 100)
    for px in (2640, 2650, 2648):  # a first leg up, then a swing high: a leg down from 2650
        s.zz.update(px, 2.0)
    assert s.zz.count == 1
    from strategies.compression import _Baskets

    b = _Baskets(
        [ev.Position(1, "XAUUSD", True, 0.1, 2700, 0, 0, 0, 0, 0, 0, "")],
        [ev.Position(2, "XAUUSD", False, 0.1, 2550, 0, 0, 0, 0, 0, 0, "")],
    )
    assert s.paused_reason(2648, b) == ""
    s.zz.update(2646.9, 2.0)  # 3.1 below where the leg started: beyond 3 x ATR
    assert "trending" in s.paused_reason(2646.9, b)


def test_outside_the_band_it_does_nothing_even_at_swings() -> None:
    mids = path([2720, 2750, 2725, 2760, 2730], step=1.0)  # all above the long average 2700
    s = Compression(CompressionParams(**PARAMS))  # type: ignore[arg-type]
    res = run_backtest(locked_fixture(mids, [(0.08, 2700.0)], [(0.10, 2550.0)]), [s])
    assert len(s.cycles) >= 3 and not any(c.acted for c in s.cycles)
    assert all("outside the band" in c.note for c in s.cycles)
    assert res.portfolio.trades == []


def _run_with_restart(
    fx: Any, params: CompressionParams, cut: int | None
) -> tuple[list[Any], list[Any]]:
    """Replay; at market event ``cut`` the brain 'crashes': a new engine and a new strategy
    restored from the saved (JSON) state take over the same terminal."""
    link = SimLink(fx)

    def new_engine(state: dict[str, Any] | None) -> Engine:
        strat = Compression(params)
        if state is not None:
            strat.set_state(json.loads(json.dumps(state)))
        e = Engine([strat], dict(fx.specs), link.send, initial_balance=fx.account.balance)
        for x in link.term.connect_events():
            e.handle(x)
        e.start()
        return e

    e = new_engine(None)
    for i, me in enumerate(market_events(fx)):
        if i == cut:
            e = new_engine(e.strategies[0].get_state())
        link.step(e, link.term.market(me))
    return [
        (type(c).__name__, getattr(c, "ticket", 0), getattr(c, "volume", 0)) for c in link.sent
    ], link.term.sim.executed_ids


@pytest.mark.parametrize("cut_at", [0.3, 0.5, 0.8])
def test_restart_mid_cycle_reloads_state_and_repeats_no_action(cut_at: float) -> None:
    from tests.test_compression import LONGS, SHORTS, WAYPOINTS

    fx = locked_fixture(path(WAYPOINTS), LONGS, SHORTS)
    params = CompressionParams(**{**PARAMS, "max_side_lots": 5.0, "max_gross_lots": 10.0})  # type: ignore[arg-type]
    plain, _ = _run_with_restart(fx, params, None)
    n = sum(1 for _ in market_events(fx))
    restarted, ids = _run_with_restart(fx, params, int(n * cut_at))
    assert restarted == plain and len(ids) == len(set(ids))


def test_operator_pause_resume_and_halt() -> None:
    from tests.helpers import engine

    s = Compression(CompressionParams(adopt_magic=0))
    e, sent = engine([s], specs={"XAUUSD": GOLD})
    e.handle(ev.PendingOrder(5, "x", "XAUUSD", ev.BUY_LIMIT, 0.01, 2600.0, 0, 0, s.magic, 0))
    e.control("compression", "pause")
    assert (
        s.user_paused
        and s.paused_reason(2650, s.baskets(e._ctx[s.magic])) == "paused by the operator"
    )
    e.control("compression", "halt")
    assert s.halted and sent == [ev.CancelCmd(sent[0].client_id, 5)]
    e.control("compression", "resume")
    assert not s.halted and not s.user_paused
    with pytest.raises(ValueError, match="unknown verb"):
        e.control("compression", "explode")


def test_a_resting_rebalance_is_cancelled_at_the_next_swing_and_never_fills() -> None:
    """Long 0.08 / short 0.12. The first swing low tops longs up to 0.10; the first rebalance then
    rests a buy limit of 0.01 just above the low edge (2550.50). At the next swing it is
    cancelled (that swing does nothing else), so when price later falls to 2550.30 nothing rests
    to fill: before, it filled there, on top of what the swings had decided."""
    mids = path([2625, 2640, 2600, 2625, 2550.3, 2600, 2560, 2610], step=0.5)
    s = Probe(CompressionParams(**PARAMS))  # type: ignore[arg-type]
    res = run_backtest(locked_fixture(mids, [(0.08, 2700.0)], [(0.12, 2550.0)]), [s])
    tags = [(type(i).__name__, i.tag) for i in s.sent]
    assert tags[:3] == [("Open", "topup"), ("Open", "rebalance"), ("Cancel", "rebalance_cancel")]
    assert s.cycles[1].note == "the resting rebalance order is cancelled first"
    assert s.entry_fills and not any(from_resting for _, _, from_resting in s.entry_fills)
    assert not res.portfolio.orders  # nothing left resting


def test_one_way_trend_right_after_engagement_cancels_the_resting_order() -> None:
    """Oscillate long enough for the ATR and a swing (engaged: the rebalance limit rests above
    the low edge), then fall straight through the band. The trend filter pauses the engine and
    the limit is cancelled before price reaches it: nothing is added on the way down."""
    osc = [2630.0] + [2640.0, 2620.0] * 11  # 22 legs of 20 over 80 minutes: ATR and swings
    mids = path(osc, step=0.05) + path([2620, 2551], step=0.05)[1:]
    params = CompressionParams(**{**PARAMS, "trend_k": 3.0, "bounce": 15.0})  # type: ignore[arg-type]
    s = Probe(params)
    res = run_backtest(locked_fixture(mids, [(0.08, 2700.0)], [(0.12, 2550.0)]), [s])
    tags = [(type(i).__name__, i.tag) for i in s.sent]
    assert ("Open", "rebalance") in tags and ("Cancel", "rebalance_cancel") in tags
    assert not res.portfolio.orders  # nothing left resting
    assert not any(from_resting for _, _, from_resting in s.entry_fills)
    assert "trending" in s.cycles[-1].note or not s.engaged

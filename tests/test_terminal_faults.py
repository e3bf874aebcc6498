"""Terminal faults in live sessions over real sockets (issue 8): a 30 s disconnect, frames
dropped, duplicated, delayed and reordered at several rates in both directions, and a broker that
refuses commands with every retcode it knows. Invariants: no client order id executed twice, no
fill lost or counted twice, risk caps never exceeded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.core import retcodes as rc
from bridge.data.fixtures import load_fixture
from bridge.sim.fake_terminal import FakeTerminal, Faults
from tests.test_e2e import SECRET, Brain, expected_trades

pytestmark = pytest.mark.e2e
CAPS = {
    "max_lots_per_symbol": {"US100": 2.0, "XAUUSD": 0.65},
    "max_total_lots": 2.8,
    "max_positions": 7,
}


@pytest.fixture
def brains(tmp_path: Path) -> Iterator[list[Brain]]:
    made: list[Brain] = []
    yield made
    for b in made:
        b.runner.stop()


def peak_exposure(
    ft: FakeTerminal, start: dict[int, tuple[str, float]]
) -> tuple[dict[str, float], float, int]:
    """From the terminal's own deal history: the most lots ever open per symbol and in all, and
    the most positions ever open at once."""
    open_: dict[int, tuple[str, float]] = dict(start)
    peak: dict[str, float] = {}
    total_peak, count_peak = 0.0, len(open_)
    for d in ft.term.sim.deals:
        sym, vol = open_.get(d.position_id, (d.symbol, 0.0))
        vol = vol + d.volume if d.entry == 0 else vol - d.volume
        if vol > 1e-9:
            open_[d.position_id] = (sym, vol)
        else:
            open_.pop(d.position_id, None)
        gross: dict[str, float] = {}
        for s, v in open_.values():
            gross[s] = gross.get(s, 0.0) + v
        for s, v in gross.items():
            peak[s] = max(peak.get(s, 0.0), v)
        total_peak = max(total_peak, sum(gross.values()))
        count_peak = max(count_peak, len(open_))
    return peak, total_peak, count_peak


def test_a_30_second_disconnect_halts_then_resyncs_and_resumes(
    tmp_path: Path, day_fixture: Path, brains: list[Brain]
) -> None:
    b = Brain(tmp_path, silence_ms=3000)
    brains.append(b)
    ft = FakeTerminal(
        load_fixture(day_fixture),
        b.endpoint,
        SECRET,
        faults=Faults(silence_after=4000, silence_s=30.0, reconnect=True),
    )
    s = ft.run()
    kinds = b.kinds()
    silent = next(d for k, d in b.logs if k == "terminal_silent")
    assert silent["ms"] <= 3000 + 200  # halted within the timeout plus one housekeeping period
    i = kinds.index("terminal_silent")
    assert (
        kinds.index("terminal_ready", i) < kinds.index("reconciled", i) < kinds.index("resumed", i)
    )
    assert s.reconnects == 1 and b.engine.gate.halted == ""
    assert len(s.executed_ids) == len(set(s.executed_ids))
    assert [tuple(t) for t in b.engine.portfolio.trades] == expected_trades(day_fixture)


@pytest.mark.parametrize("rate", [0.001, 0.005, 0.01])
def test_random_faults_at_several_rates_keep_every_invariant(
    tmp_path: Path, day_fixture: Path, brains: list[Brain], rate: float
) -> None:
    b = Brain(tmp_path, risk=CAPS)
    brains.append(b)
    faults = Faults(
        seed=int(rate * 1000) + 3,
        drop=rate,
        duplicate=rate,
        reorder=rate,
        delay=rate,
        delay_ms=3.0,
        dup_commands=rate * 5,
        only_market=False,
    )
    ft = FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET, faults=faults)
    start = {t: (p.symbol, p.volume) for t, p in ft.term.sim.positions.items()}
    s = ft.run()
    eng, sim = b.engine, ft.term.sim
    assert s.dropped >= 1 and s.duplicated >= 1, "the faults must happen to prove anything"
    assert len(s.executed_ids) == len(set(s.executed_ids))  # no double execution
    assert {d.ticket for d in sim.deals} <= set(eng.seen_deals)  # no lost fill
    assert eng.portfolio.balance == pytest.approx(sim.balance, abs=0.01)  # none counted twice
    peak, total, count = peak_exposure(ft, start)
    for sym, cap in CAPS["max_lots_per_symbol"].items():
        assert peak.get(sym, 0.0) <= cap + 1e-9, (sym, peak)
    assert total <= CAPS["max_total_lots"] + 1e-9
    assert count <= CAPS["max_positions"]
    assert len(sim.deals) >= 2 and eng.gate.halted == ""  # it traded, and is not left halted


def test_the_broker_refusing_with_every_retcode_it_knows(
    tmp_path: Path, day_fixture: Path, brains: list[Brain]
) -> None:
    b = Brain(tmp_path, fast=True)
    brains.append(b)
    ft = FakeTerminal(load_fixture(day_fixture), b.endpoint, SECRET, faults=Faults(reject=0.7))
    s = ft.run()
    eng = b.engine
    heard = {rej.retcode for _name, rej in eng.rejections}
    assert set(rc.REFUSALS) <= heard, sorted(set(rc.REFUSALS) - heard)
    assert "event_error" not in b.kinds()
    assert len(s.executed_ids) == len(set(s.executed_ids))
    refused = {r.client_id for r in eng.orders.orders.values() if r.state == "rejected"}
    assert refused and not refused & set(s.executed_ids)  # a refused order never executed

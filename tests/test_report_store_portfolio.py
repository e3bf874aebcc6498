from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.brain.curve import Curve
from bridge.brain.portfolio import OUTSIDE, Trade
from bridge.core import events as ev
from bridge.data.account import AccountSettings
from bridge.persist.store import Store
from bridge.report import drawdown, sharpe, trade_metrics
from bridge.sim.broker import BrokerSim
from tests.helpers import T0, index_spec


def trade(net: float) -> Trade:
    return Trade("s", 1, "US100", "buy", 1.0, 0, 1.0, 1, 1.0, 0, 0, net, 0.0, 0.0, "tp")


def test_drawdown_money_and_percent_of_running_peak() -> None:
    assert drawdown([100, 120, 90, 130, 110]) == pytest.approx((30, 25.0))


def test_metrics_definitions() -> None:
    m = trade_metrics(
        [trade(50), trade(-20), trade(-30), trade(100)], [1000, 1050, 1030, 1000, 1100], 100
    )
    assert m["gross_profit"] == 150 and m["gross_loss"] == -50 and m["profit_factor"] == 3.0
    assert m["max_drawdown"] == 50 and m["recovery_factor"] == 2.0
    assert m["win_rate"] == 0.5 and m["avg_win"] == 75 and m["avg_loss"] == -25


def test_no_losses_gives_no_profit_factor() -> None:
    assert trade_metrics([trade(5)], [100, 105], 5)["profit_factor"] is None


def test_sharpe_uses_daily_closing_equity() -> None:
    day = 86_400_000
    curve = Curve([(0, 0, 100.0), (day, 0, 101.0), (2 * day, 0, 100.0), (3 * day, 0, 102.0)])
    rets = [0.01, 100 / 101 - 1, 0.02]
    mean = sum(rets) / 3
    sd = (sum((r - mean) ** 2 for r in rets) / 2) ** 0.5
    assert sharpe(curve) == pytest.approx(mean / sd * 252**0.5)
    assert sharpe(Curve(curve[:2])) == 0.0


def test_store_writes_every_queued_row_on_close(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    s = Store(url)
    for i in range(1200):
        s.audit("risk", {"time_ms": i, "magic": 1, "intent": "x", "approved": True, "reason": ""})
    s.audit("state", {"magic": 7, "name": "n", "state": '{"k": 1}', "time_ms": 5})
    s.audit("state", {"magic": 7, "name": "n", "state": '{"k": 2}', "time_ms": 6})
    s.log("gap", {"expected": 3})
    s.close()
    assert not s.errors
    s2 = Store(url)
    import sqlite3

    con = sqlite3.connect(tmp_path / "a.sqlite")
    assert con.execute("select count(*) from risk_decisions").fetchone()[0] == 1200
    assert s2.latest_states() == {7: {"k": 2}} and s2.run_id == 2
    s2.close()


ops = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "close", "tick"]),
        st.integers(1, 30),
        st.integers(-300, 300),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(ops, st.booleans())
def test_sim_balance_is_initial_plus_all_deal_cash_and_volumes_stay_valid(
    seq: list, hedging: bool
) -> None:
    spec = index_spec()
    sim = BrokerSim(
        {"US100": spec},
        AccountSettings(
            balance=50_000, hedging=hedging, commission={"US100": 1.5}, slippage_points=3
        ),
    )
    px, t, cash = 21000.0, T0, 0.0
    sim.on_tick("US100", t, px, px + 1.5)
    for n, (op, size, move) in enumerate(seq):
        if op == "tick":
            px = max(100.0, px + move / 10)
            t += 1000
            out = sim.on_tick("US100", t, px, px + 1.5)
        elif op == "close" and sim.positions:
            p = next(iter(sim.positions.values()))
            out = sim.execute(ev.CloseCmd(f"c{n}", p.ticket, 0.0, 20))
        else:
            out = sim.execute(
                ev.OpenCmd(
                    f"c{n}", "US100", 0 if op == "buy" else 1, size / 100, 0, 0, 0, 1, 20, -1, ""
                )
            )
        cash += sum(d.profit + d.commission + d.swap for d in out if isinstance(d, ev.Deal))
        for p in sim.positions.values():
            assert spec.is_valid_volume(p.volume)
        if not hedging:
            assert len(sim.positions) <= 1
    assert sim.balance == pytest.approx(50_000 + cash)
    assert len(sim.executed_ids) == len(set(sim.executed_ids))


@pytest.mark.parametrize("jumps", [True, False])
def test_each_owners_equity_adds_up_to_the_accounts(day_fixture: Path, jumps: bool) -> None:
    """Per-strategy equity counts its open P&L: the owners' equity changes (each strategy's,
    and the hand-opened positions' outside any strategy) add up to the account's at every
    point of the curve (no commission, so that none is charged at entry and counted at
    close), on the plain stream and on the replay that jumps quiet minutes."""
    import dataclasses

    from bridge.config import parse_config
    from bridge.data.fixtures import load_fixture
    from bridge.replay.backtest import run_backtest
    from bridge.report import metrics, owner_equity

    fx = load_fixture(day_fixture)
    fx = dataclasses.replace(fx, account=dataclasses.replace(fx.account, commission={}))
    strats = [
        {"kind": "ema_cross", "name": n, "magic": m, "params": {"symbol": s, "timeframe": 5}}
        for n, m, s in (("ema_us100", 11, "US100"), ("ema_gold", 12, "XAUUSD"))
    ]
    cfg = parse_config({"strategies": strats})
    res = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits(), jumps=jumps)
    pf = res.portfolio
    rep = metrics(pf, res.strategies)
    assert [p["owner"] for p in rep["positions_at_start"]] == [OUTSIDE] * 4
    owners = {n: [t for t in pf.trades if t.strategy == n] for n in ("ema_us100", "ema_gold")}
    owners[OUTSIDE] = [t for t in pf.trades if t.strategy not in owners]
    total = sum(owner_equity(pf, o) - pf.initial_balance for o in owners)
    account = np.array([e for _t, _b, e in pf.curve])
    assert len(pf.trades) > 5 and np.abs(total + pf.initial_balance - account).max() < 0.02
    out = rep["outside_strategies"]
    assert out["max_drawdown"] > 0 and out["open_pnl_at_end"] != 0  # the hand-opened tickets
    for m in rep["per_strategy"].values():
        assert m["max_drawdown"] >= m["max_drawdown_closed_trades"] - 0.01

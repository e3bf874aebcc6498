from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge.brain.strategy import Record, Target
from bridge.core import events as ev
from bridge.core.columns import TickArrays
from bridge.core.symbols import SymbolSpec
from bridge.data.account import AccountSettings
from bridge.data.fixtures import Fixture, bars_from_ticks
from bridge.persist.store import Store
from bridge.replay.backtest import run_backtest
from strategies.two_bucket import TwoBucket, TwoBucketParams
from tests.compression_scenarios import START, path

COIN = SymbolSpec("BTCUSD", 2, 0.01, 0.01, 0.01, 1.0, 0.001, 0.001, 100.0)


def fixture(mids: list[float], hedging: bool = True) -> Fixture:
    t = START + np.arange(len(mids), dtype=np.int64) * 1000
    m = np.asarray(mids, dtype=np.float64)
    ticks = TickArrays("BTCUSD", t, m, m)
    acc = AccountSettings(balance=100_000.0, leverage=100, hedging=hedging)
    return Fixture(
        "coin", acc, {"BTCUSD": COIN}, {"BTCUSD": bars_from_ticks(ticks, 0.01)}, {"BTCUSD": ticks}
    )


CYCLE = path([100, 130, 70, 130], step=0.5)


def strategy() -> TwoBucket:
    return TwoBucket(TwoBucketParams(symbol="BTCUSD", margin=1000.0, leverage=1.0), magic=5000)


def test_hedging_account_holds_each_leg_as_its_own_magic() -> None:
    s = strategy()
    res = run_backtest(fixture(CYCLE), [s])
    assert s.plan is not None and s.plan.reset_count == 1
    legs = {
        m: sum(p.volume for p in res.portfolio.positions.values() if p.magic == m)
        for m in (5001, 5002, 5003)
    }
    assert legs[5001] == pytest.approx(s.plan.legs["long"].qty, abs=0.001)
    assert legs[5002] == pytest.approx(s.plan.legs["hedge_long"].qty, abs=0.001)
    assert legs[5003] == 0.0  # no short leg once both buckets are long again
    shorts = [t for t in res.portfolio.trades if t.magic == 5003]
    assert shorts and all(t.side == "sell" for t in shorts)  # the hedge's short leg was separate
    assert not res.rejections


def test_netting_account_trades_the_net() -> None:
    s = strategy()
    res = run_backtest(fixture(CYCLE[:200], hedging=False), [s])  # down to the decline
    assert s.plan is not None
    (pos,) = res.portfolio.positions.values()
    net = s.plan.net_qty()
    assert pos.is_buy == (net > 0) and pos.volume == pytest.approx(abs(net), abs=0.001)
    assert not res.rejections


# Every column of the seed's CREATE TABLE statements, by table.
SEED_COLUMNS = {
    "trading_plans": "id symbol margin_amount leverage unit_value entry_price peak_price "
    "valley_price current_phase reset_count last_reset_at is_active auto_execute created_at "
    "updated_at",
    "positions": "id trading_plan_id allocation_type position_type percentage size entry_price "
    "current_price unrealized_pnl status opened_at updated_at",
    "trades": "id trading_plan_id order_id allocation_type action symbol size price percentage "
    "fees status exchange_data executed_at created_at",
    "allocation_changes": "id trading_plan_id allocation_type old_long_pct new_long_pct "
    "old_short_pct new_short_pct old_cash_pct new_cash_pct trigger_price trigger_units phase "
    "reason is_reset_event reset_details created_at",
}


def test_the_tables_carry_every_column_of_the_seeds_schema(tmp_path: Path) -> None:
    db = tmp_path / "plan.sqlite"
    Store(f"sqlite:///{db}").close()
    con = sqlite3.connect(db)
    for table, cols in SEED_COLUMNS.items():
        have = {r[1] for r in con.execute(f"pragma table_info({table})")}
        assert set(cols.split()) <= have, (table, set(cols.split()) - have)
    for table in ("positions", "trades", "allocation_changes", "price_updates"):
        fks = [(r[2], r[3], r[4]) for r in con.execute(f"pragma foreign_key_list({table})")]
        assert fks == [("trading_plans", "trading_plan_id", "id")], table


def test_database_rows_match_the_allocation_history(tmp_path: Path) -> None:
    db = tmp_path / "plan.sqlite"
    store = Store(f"sqlite:///{db}")
    s = strategy()
    res = run_backtest(fixture(CYCLE), [s], audit=store.audit)
    store.close()
    assert not store.errors and s.plan is not None
    con = sqlite3.connect(db)
    rows = con.execute(
        "select allocation_type, old_long_pct, new_long_pct, old_short_pct, new_short_pct, "
        "old_cash_pct, new_cash_pct, trigger_price, trigger_units, phase, reason, is_reset_event "
        "from allocation_changes where trading_plan_id = 5000 order by id"
    ).fetchall()
    phase = {"advance": 1, "retracement": 2, "decline": 3, "recovery": 4}
    want = []
    for _, c in s.history:  # a row per allocation whose percentages changed
        common = (c.price, c.units, phase[c.phase], c.reason, int(c.reset))
        if c.old_long != c.new_long:
            want.append(("long", c.old_long, c.new_long, 0, 0, 100 - c.old_long, 100 - c.new_long))
            want[-1] += common
        if c.old_hedge != c.new_hedge:
            h = (c.old_hedge, c.new_hedge, 100 - c.old_hedge, 100 - c.new_hedge, 0, 0)
            want.append(("hedge", *h, *common))
    assert rows == want and len(s.history) == 10 and len(rows) == 16  # 1+2+2+2+1, twice
    # the reset: its details as JSON, on both rows of that change
    details = con.execute(
        "select reset_details from allocation_changes where is_reset_event"
    ).fetchall()
    assert details and all(json.loads(d)["reset_count"] == 1 for (d,) in details)
    plan = con.execute(
        "select reset_count, current_phase, margin_amount, leverage, unit_value, peak_price, "
        "last_reset_at is not null, is_active, split from trading_plans where id = 5000"
    ).fetchone()
    pl = s.plan
    assert plan == (1, "advance", pl.margin, 1.0, pl.unit_value, pl.peak, 1, 1, 0.5)
    legs = dict(
        con.execute(
            "select allocation_type || ':' || position_type, size from positions "
            "where trading_plan_id = 5000"
        )
    )
    assert legs == {
        "long:long": pytest.approx(pl.legs["long"].qty),
        "long:cash": 0.0,
        "hedge:long": pytest.approx(pl.legs["hedge_long"].qty),
        "hedge:short": 0.0,
    }
    actions = {a for (a,) in con.execute("select action from trades where trading_plan_id = 5000")}
    assert actions == {"buy", "sell", "short", "cover"}
    realised = con.execute("select sum(realised_pnl) from trades where trading_plan_id = 5000")
    assert realised.fetchone()[0] == pytest.approx(pl.realised)
    assert pl.realised == pytest.approx(325.0)  # 10 x the 32.5 worked out in test_unit_plan
    updates = con.execute("select count(*) from price_updates").fetchone()[0]
    assert (
        updates == len(fixture(CYCLE).bars["BTCUSD"]) == len(res.portfolio.curve)
    )  # one per M1 bar


def _engine_at(price: float) -> tuple[TwoBucket, Any, list[Any]]:
    from tests.helpers import engine

    s = strategy()
    e, sent = engine([s], specs={"BTCUSD": COIN})
    e.handle(ev.Tick("BTCUSD", START, price, price))
    return s, e, sent


def test_operator_controls_are_applied_and_logged() -> None:
    s, e, _sent = _engine_at(100.0)
    records: list[Any] = []
    e.audit = lambda kind, row: records.append((kind, row))
    e.control("two_bucket", "pause")
    assert s.plan is not None and s.plan.paused
    e.handle(ev.Tick("BTCUSD", START + 1000, 80.0, 80.0))  # -4 units: nothing while paused
    assert (s.plan.long_pct, s.plan.hedge_pct) == (100, 100)
    e.control("two_bucket", "resume")
    e.control("two_bucket", "leverage", "10")
    assert s.plan.leverage == 10 and s.plan.unit == pytest.approx(0.5)
    e.control("two_bucket", "reset")
    assert s.plan.reset_count == 1
    e.control("two_bucket", "stop")
    assert s.plan.stopped and all(leg.qty == 0 for leg in s.plan.legs.values())
    reasons = [row["reason"] for kind, row in records if kind == "allocation_change"]
    assert list(dict.fromkeys(reasons)) == [
        "operator pause",
        "operator resume",
        "leverage 1 -> 10",
        "manual reset",
        "emergency stop: every leg closed, plan stopped",
    ]
    with pytest.raises(ValueError, match="unknown verb"):
        e.control("two_bucket", "moon")


def test_stop_targets_zero_on_every_leg() -> None:
    s, e, _sent = _engine_at(100.0)
    out = s.on_control("stop", "", e._ctx[s.magic])
    targets = [i for i in out if isinstance(i, Target)]
    assert len(targets) == 3 and all(t.net_volume == 0 for t in targets)
    assert any(isinstance(i, Record) and i.kind == "allocation_change" for i in out)

"""Run outputs and metrics (definitions in docs/metrics.md): trades.csv, equity.csv,
report.json, report.html (equity.png on request), and the side-by-side comparison of two runs."""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bridge import compare_runs
from bridge.brain.curve import Curve
from bridge.brain.portfolio import OUTSIDE, Portfolio, Trade
from bridge.brain.strategy import Strategy
from bridge.core.timeutil import MS_PER_DAY, fmt
from bridge.report_charts import charts_html
from bridge.report_html import page
from bridge.report_series import Market, excursions
from bridge.tester_stats import falls, tester_stats


def drawdown(values: Sequence[float]) -> tuple[float, float]:
    """(max drawdown in money, max drawdown in % of the running peak)."""
    if not len(values):
        return 0.0, 0.0
    fall, pct = falls(values, values[0])
    return float(fall.max()), float(pct.max())


def sharpe(curve: Curve) -> float:
    """Annualised Sharpe ratio of daily equity returns (last equity of each server day),
    risk-free rate 0, sqrt(252) annualisation; 0 with fewer than two daily returns."""
    t, _b, e = curve.columns()
    _days, last_i = np.unique((t // MS_PER_DAY)[::-1], return_index=True)  # each day's last
    eqs = e[::-1][last_i].tolist()
    rets = [b / a - 1 for a, b in itertools.pairwise(eqs) if a > 0]
    if len(rets) < 2:
        return 0.0
    mean = sum(rets) / len(rets)
    var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
    return 0.0 if var <= 0 else mean / math.sqrt(var) * math.sqrt(252)


def trade_metrics(
    trades: Sequence[Trade], equity: Sequence[float], net_profit: float
) -> dict[str, Any]:
    nets = [t.net for t in trades]
    wins = [x for x in nets if x > 0]
    losses = [x for x in nets if x < 0]
    gp, gl = sum(wins), sum(losses)
    dd, dd_pct = drawdown(equity)
    return {
        "net_profit": round(net_profit, 2),
        "gross_profit": round(gp, 2),
        "gross_loss": round(gl, 2),
        "profit_factor": round(gp / -gl, 3) if gl < 0 else None,
        "max_drawdown": round(dd, 2),
        "max_drawdown_pct": round(dd_pct, 3),
        "recovery_factor": round(net_profit / dd, 3) if dd > 0 else None,
        "trades": len(nets),
        "win_rate": round(len(wins) / len(nets), 4) if nets else 0.0,
        "avg_win": round(gp / len(wins), 2) if wins else 0.0,
        "avg_loss": round(gl / len(losses), 2) if losses else 0.0,
    }


def owner_equity(pf: Portfolio, owner: str) -> np.ndarray:
    """One owner's equity at each point of the account's curve: the initial balance, plus the
    net of its trades in the balance by then, plus the open P&L of its positions then (the
    entry commission of a position still open counts when it closes)."""
    n = len(pf.curve)
    realised = np.zeros(n + 1)
    for t, at in zip(pf.trades, pf.trade_marks, strict=True):
        if t.strategy == owner:
            realised[min(at, n)] += t.net
    realised = np.cumsum(realised)[:n]
    open_pnl = np.zeros(n)
    arr = pf.open_by_owner.get(owner)
    if arr is not None:
        got = np.frombuffer(arr, np.float64)[:n]
        open_pnl[: len(got)] = got
    out: np.ndarray = pf.initial_balance + realised + open_pnl
    return out


def metrics(pf: Portfolio, strategies: Sequence[Strategy] = ()) -> dict[str, Any]:
    _t, bal_col, eq_col = pf.curve.columns()
    bal, eq = bal_col.tolist(), eq_col.tolist()
    out = trade_metrics(
        pf.trades,
        [pf.initial_balance, *(eq or [pf.initial_balance])],
        pf.balance - pf.initial_balance,
    )
    out["sharpe_ratio"] = round(sharpe(pf.curve), 3)
    out["tester"] = tester_stats(pf.trades, bal, eq, pf.initial_balance)
    per: dict[str, Any] = {}
    names = {s.name for s in strategies}
    for s in strategies:
        own = [t for t in pf.trades if t.strategy == s.name]
        m = _owner_metrics(pf, s.name, own)
        stats = getattr(s, "stats", None)
        if callable(stats):
            m.update(stats())
        per[s.name] = m
    out["per_strategy"] = per
    outside = [t for t in pf.trades if t.strategy not in names]  # "outside strategies"
    if outside or OUTSIDE in pf.open_by_owner:
        out["outside_strategies"] = _owner_metrics(pf, OUTSIDE, outside)
    out["positions_at_start"] = [
        {
            "ticket": p.ticket,
            "symbol": p.symbol,
            "side": "buy" if p.is_buy else "sell",
            "volume": p.volume,
            "price_open": p.price_open,
            "magic": p.magic,
            "owner": pf.owner(p),
        }
        for p in pf.at_start or ()
    ]
    return out


def _owner_metrics(pf: Portfolio, owner: str, trades: Sequence[Trade]) -> dict[str, Any]:
    """Metrics of one owner's trades; drawdown of its equity (open P&L included) and, for
    reference, of its closed trades alone."""
    cum, path = pf.initial_balance, [pf.initial_balance]
    for t in sorted(trades, key=lambda t: t.close_time):
        cum += t.net
        path.append(cum)
    m = trade_metrics(trades, path, cum - pf.initial_balance)
    m["max_drawdown_closed_trades"] = m["max_drawdown"]
    equity = [pf.initial_balance, *owner_equity(pf, owner).tolist()]
    dd, dd_pct = drawdown(equity)
    m["max_drawdown"], m["max_drawdown_pct"] = round(dd, 2), round(dd_pct, 3)
    m["recovery_factor"] = round(m["net_profit"] / dd, 3) if dd > 0 else None
    arr = pf.open_by_owner.get(owner)
    ended_open = arr is not None and len(arr) == len(pf.curve) and len(arr) > 0
    m["open_pnl_at_end"] = round(arr[-1], 2) if arr is not None and ended_open else 0.0
    return m


def _times_text(ms: np.ndarray) -> np.ndarray:
    """Server ms -> 'YYYY-MM-DD HH:MM:SS' for a whole column at once (as ``fmt``)."""
    text = ms.astype("datetime64[ms]").astype("datetime64[s]").astype(str)
    return np.char.replace(text, "T", " ")


def write_outputs(
    out: Path,
    pf: Portfolio,
    strategies: Sequence[Strategy],
    title: str,
    png: bool = False,
    market: Market | None = None,
) -> dict[str, Any]:
    """trades.csv, equity.csv, report.json and report.html; ``png``: equity.png too (matplotlib,
    imported only then). ``market``: the bars the run traded on, for the price charts, each
    trade's MFE/MAE and the deposit load (a live session's report goes without them)."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "trades.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(Trade._fields)
        for t in pf.trades:
            row = t._asdict()
            row["open_time"], row["close_time"] = fmt(t.open_time), fmt(t.close_time)
            w.writerow(row.values())
    with (out / "equity.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("time", "balance", "equity"))
        if pf.curve:
            ms, bal, eq = pf.curve.columns()
            times = _times_text(ms).tolist()
            w.writerows(zip(times, bal.tolist(), eq.tolist(), strict=True))
    rep = metrics(pf, strategies)
    rep["title"] = title
    charts, load = charts_html(pf, market, pf.specs)
    exc = excursions(pf.trades, market, pf.specs) if market is not None else None
    if load is not None and exc is not None:
        rep["tester"]["deposit_load_max_pct"] = round(float(load.max()), 2) if len(load) else 0.0
        rep["tester"]["mfe_average"] = _mean(exc[0])
        rep["tester"]["mae_average"] = _mean(exc[1])
    (out / "report.json").write_text(json.dumps(rep, indent=2))
    if png:
        _plot(out / "equity.png", pf, title)
    (out / "report.html").write_text(page(rep, title, charts, pf.trades, exc))
    return rep


def _mean(v: np.ndarray) -> float | None:
    known = v[~np.isnan(v)]
    return round(float(known.mean()), 2) if len(known) else None


def _plot(path: Path, pf: Portfolio, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    xs = list(range(len(pf.curve)))
    ax.plot(xs, [b for _t, b, _e in pf.curve], label="balance", lw=1.2)
    ax.plot(xs, [e for _t, _b, e in pf.curve], label="equity", lw=0.8, alpha=0.8)
    if pf.curve:
        ticks = xs[:: max(1, len(xs) // 6)]
        ax.set_xticks(ticks, [fmt(pf.curve[i][0])[:16] for i in ticks], fontsize=7)
    ax.set_title(title)
    ax.set_ylabel("account currency")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def compare(a: dict[str, Any], b: dict[str, Any], name_a: str = "A", name_b: str = "B") -> str:
    """The seed's table layout: metric, run A, run B, change, % change."""
    return compare_runs.table_text([a, b], [name_a, name_b])

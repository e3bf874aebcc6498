"""The statistics of MT5's Strategy Tester report, from a run's closed trades and its balance and
equity curves: expected payoff, long and short trades won, largest and average win and loss,
consecutive wins and losses (the longest run and the richest), average holding time, and the
balance and equity drawdowns absolute, maximal and relative. Definitions: docs/metrics.md.
Pure functions of their arguments (no I/O); imports numpy and the brain's Trade only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bridge.brain.portfolio import Trade


def falls(values: Sequence[float] | np.ndarray, initial: float) -> tuple[np.ndarray, np.ndarray]:
    """At each point of a curve that starts at ``initial``: how far it is below its running
    peak, in money and in % of that peak (0 % while the peak is not above 0)."""
    v = np.asarray(values, dtype=np.float64)
    peak = np.maximum.accumulate(np.concatenate(([initial], v)))[1:]
    fall = peak - v
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(peak > 0, fall / peak * 100, 0.0)
    return fall, pct


def drawdowns(values: Sequence[float], initial: float) -> dict[str, float]:
    """MT5's three drawdowns of one curve that starts at ``initial``:
    absolute (how far it fell below where it started), maximal (the largest fall from a running
    peak in money, with that fall in % of its peak) and relative (the largest fall in %, with that
    fall in money). Ties: the first."""
    if not len(values):
        return {"absolute": 0.0, "maximal": 0.0, "maximal_pct": 0.0, "relative_pct": 0.0,
                "relative": 0.0}  # fmt: skip
    fall, pct = falls(values, initial)
    m, r = int(np.argmax(fall)), int(np.argmax(pct))
    return {
        "absolute": round(max(0.0, initial - float(np.min(values))), 2),
        "maximal": round(float(fall[m]), 2),
        "maximal_pct": round(float(pct[m]), 2),
        "relative_pct": round(float(pct[r]), 2),
        "relative": round(float(fall[r]), 2),
    }


def _runs(nets: Sequence[float], winning: bool) -> list[tuple[int, float]]:
    """The runs of consecutive wins (or losses), each as (count, money)."""
    runs: list[tuple[int, float]] = []
    count, money = 0, 0.0
    for x in [*nets, 0.0]:  # a zero result (neither) ends a run, as the end does
        if (x > 0) if winning else (x < 0):
            count, money = count + 1, money + x
        elif count:
            runs.append((count, round(money, 2)))
            count, money = 0, 0.0
    return runs


def consecutive(nets: Sequence[float], winning: bool) -> dict[str, Any]:
    """The longest run (count, and its money) and the richest run (money, and its count); for
    losses the richest is the deepest. Ties: the first."""
    runs = _runs(nets, winning)
    if not runs:
        return {"longest": 0, "longest_money": 0.0, "extreme_money": 0.0, "extreme": 0,
                "average": 0.0}  # fmt: skip
    longest = max(runs, key=lambda r: r[0])
    extreme = max(runs, key=lambda r: r[1]) if winning else min(runs, key=lambda r: r[1])
    return {
        "longest": longest[0],
        "longest_money": longest[1],
        "extreme_money": extreme[1],
        "extreme": extreme[0],
        "average": round(sum(r[0] for r in runs) / len(runs), 2),
    }


def tester_stats(
    trades: Sequence[Trade],
    balance: Sequence[float],
    equity: Sequence[float],
    initial: float,
) -> dict[str, Any]:
    """``trades`` in closing order; ``balance``/``equity`` the curves after ``initial``."""
    nets = [t.net for t in trades]
    wins = [x for x in nets if x > 0]
    losses = [x for x in nets if x < 0]
    longs = [x for t, x in zip(trades, nets, strict=True) if t.side == "buy"]
    shorts = [x for t, x in zip(trades, nets, strict=True) if t.side == "sell"]
    held = [t.close_time - t.open_time for t in trades]

    def won(xs: list[float]) -> float | None:
        return round(sum(x > 0 for x in xs) / len(xs) * 100, 2) if xs else None

    return {
        "total_trades": len(nets),
        "expected_payoff": round(sum(nets) / len(nets), 2) if nets else 0.0,
        "long_trades": len(longs),
        "long_won_pct": won(longs),
        "short_trades": len(shorts),
        "short_won_pct": won(shorts),
        "profit_trades_pct": won(nets),
        "largest_win": round(max(wins), 2) if wins else 0.0,
        "largest_loss": round(min(losses), 2) if losses else 0.0,
        "average_win": round(sum(wins) / len(wins), 2) if wins else 0.0,
        "average_loss": round(sum(losses) / len(losses), 2) if losses else 0.0,
        "consecutive_wins": consecutive(nets, True),
        "consecutive_losses": consecutive(nets, False),
        "average_holding_ms": round(sum(held) / len(held)) if held else 0,
        "balance_drawdown": drawdowns(balance, initial),
        "equity_drawdown": drawdowns(equity, initial),
    }

"""The unit plan (strategies/unit_plan.py) over many prices at once, for replay that jumps over
minutes: the first price that changes the allocation, and the plan's peak and valley after
prices that change nothing. The same arithmetic as ``UnitPlan.on_price`` (the same float
operations, in numpy), so a jump leaves the plan bit for bit where the prices one by one would.

Not for a plan that re-bases at each new high (``rebase_on_new_high``): its unit moves with
every new high of the advance phase.
"""

from __future__ import annotations

import numpy as np

from bridge.core.columns import path_ticks
from strategies.unit_plan import UnitPlan

EPS = 1e-9  # UnitPlan._next_row's slack


def first_change(plan: UnitPlan, prices: np.ndarray, peak: float, valley: float) -> int:
    """The index of the first of ``prices`` on which ``plan.on_price`` would return a change
    (-1: none), the plan's peak and valley being ``peak`` and ``valley`` before them (a scan
    goes on from where the last chunk left them). ``_next_row`` moves deeper when
    floor(x + EPS) > row and back when ceil(x - EPS) < row: for an integer k, floor(y) >= k iff
    y >= k and ceil(y) <= k iff y <= k. The peak (counting down) or the valley (counting up) is
    the running extreme, as each price would leave it."""
    if plan.paused or plan.stopped or not len(prices):
        return -1
    if plan.mode == "down":
        ref = np.maximum.accumulate(np.concatenate(([peak], prices)))[1:]
        x = (ref - prices) / plan.unit
    else:
        ref = np.minimum.accumulate(np.concatenate(([valley], prices)))[1:]
        x = (prices - ref) / plan.unit
    row = plan.row
    hit = np.zeros(len(prices), dtype=bool)
    if row < 5:
        hit |= x + EPS >= row + 1
    if row > 0:
        hit |= x - EPS <= row - 1
    return int(hit.argmax()) if hit.any() else -1


def extremes(plan: UnitPlan, prices: np.ndarray, peak: float, valley: float) -> tuple[float, float]:
    """The peak and valley after ``prices``, none of which changes the allocation: the peak
    follows new highs while counting down, the valley new lows (a paused or stopped plan
    follows nothing)."""
    if plan.paused or plan.stopped or not len(prices):
        return peak, valley
    if plan.mode == "down":
        peak = max(peak, float(prices.max()))
    return peak, min(valley, float(prices.min()))


def tick_mids(
    o: np.ndarray, h: np.ndarray, low: np.ndarray, c: np.ndarray, ask_add: np.ndarray
) -> np.ndarray:
    """The mid prices of the four ticks the replay makes of each bar, bar by bar (the plan's
    price is the tick's mid)."""
    bids, asks = path_ticks(o, h, low, c, ask_add)
    mids: np.ndarray = (bids + asks) / 2
    return mids

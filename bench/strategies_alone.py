"""Replay speed of each shipped strategy alone and of the demo's mix, on generated M1 bars
(figures, not pass/fail; docs/performance.md).

Bars/s counts every symbol's M1 bars in the fixture (three symbols), jumps on (the default) and
off (every minute visited, quiet ticks left out). A strategy that cannot say when it may next
act is visited every minute, and so is every strategy beside it.

    .venv/bin/python bench/strategies_alone.py [--bars 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.config import DEMO, parse_config
from bridge.data.fixturegen import CLOSE_MIN, OPEN_MIN, write
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest

EMA = {
    "kind": "ema_cross",
    "name": "ema",
    "magic": 9001,
    "params": {"symbol": "US100", "timeframe": 15},
}


def cases() -> dict[str, list[dict[str, Any]]]:
    demo = {s["kind"]: s for s in DEMO["strategies"]}
    return {
        "range_breakout (+hedge)": [demo["range_breakout"]],
        "ema_cross": [EMA],
        "compression": [demo["compression"]],
        "two_bucket": [demo["two_bucket"]],
        "range_breakout + ema_cross": [demo["range_breakout"], EMA],
        "range_breakout + two_bucket": [demo["range_breakout"], demo["two_bucket"]],
        "the demo's three": list(DEMO["strategies"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=100_000, help="M1 bars per symbol")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    days = -(-a.bars // (CLOSE_MIN - OPEN_MIN))
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed=3, days=days)
        fx = load_fixture(d)
    bars = sum(len(b) for b in fx.bars.values())
    print(f"{bars:,} M1 bars ({len(fx.bars)} symbols, {days} generated days)")
    for name, strategies in cases().items():
        cfg = parse_config({"strategies": strategies})
        line = []
        for jumps in (True, False):
            took = []
            for _ in range(a.runs if jumps else 1):
                t = time.perf_counter()
                res = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits(), jumps=jumps)
                took.append(time.perf_counter() - t)
            med = statistics.median(took)
            line.append(f"{bars / med:>12,.0f} bars/s {'jumps' if jumps else 'every minute'}")
            trades = len(res.portfolio.trades)
        print(f"{name:28} {' | '.join(line)} ({trades} trades)")


if __name__ == "__main__":
    main()

"""How long report.html and the other run outputs take to build, and how large the page is, for a
backtest of 100,000 M1 bars on two symbols (the range breakout on US100 with its SPX500 hedge).

Generates the bars with the seeded fixture generator (into a temporary folder), replays them once,
then builds the outputs ``--runs`` times and prints each build's wall time and the page's size.

    .venv/bin/python bench/report_build.py [--bars 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.data.fixturegen import CLOSE_MIN, OPEN_MIN, write
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from bridge.report import write_outputs
from bridge.report_series import Market
from strategies.range_breakout import RangeBreakout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    days = -(-a.bars // (CLOSE_MIN - OPEN_MIN))
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed=3, days=days)
        fx = load_fixture(d)
        res = run_backtest(fx, [RangeBreakout()])
        market = Market(fx.bars, fx.account.leverage, fx.account.hedging)
        pf = res.portfolio
        print(
            f"{len(fx.bars['US100'])} bars per symbol, {len(pf.trades)} trades, "
            f"{len(pf.curve)} curve points"
        )
        for i in range(a.runs):
            t = time.perf_counter()
            write_outputs(Path(d) / "out", pf, res.strategies, "bench", market=market)
            took = time.perf_counter() - t
            size = (Path(d) / "out" / "report.html").stat().st_size
            print(f"run {i + 1}: outputs built in {took:.3f} s; report.html {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

"""Peak memory of a three-symbol replay of 100,000 M1 bars each (a benchmark of the replay's memory).

Generates the bars with the seeded fixture generator (into a temporary folder), then replays them
in a fresh process with the range breakout (US100 with its SPX500 hedge) and the example strategy
on XAUUSD, and prints that process's peak resident memory.

    .venv/bin/python bench/memory.py [--bars 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.data.fixturegen import CLOSE_MIN, OPEN_MIN, write


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=100_000)
    a = ap.parse_args()
    days = -(-a.bars // (CLOSE_MIN - OPEN_MIN))
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed=3, days=days)
        code = textwrap.dedent(f"""
            import resource, time
            from bridge.replay.backtest import run_backtest
            from bridge.data.fixtures import load_fixture
            from strategies.ema_cross import EmaCross, EmaCrossParams
            from strategies.range_breakout import RangeBreakout
            fx = load_fixture({d!r})
            t = time.perf_counter()
            r = run_backtest(fx, [RangeBreakout(), EmaCross(EmaCrossParams(symbol="XAUUSD", lots=0.5), magic=9)])
            secs = time.perf_counter() - t
            bars = sum(len(b) for b in fx.bars.values())
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            try:  # this process's own high-water mark: ru_maxrss keeps the forking parent's
                status = open("/proc/self/status").read().split("VmHWM:")[1]
                peak = int(status.split()[0]) / 1024
            except (OSError, IndexError, ValueError):
                pass
            print(f"{{len(fx.bars)}} symbols x {{bars // len(fx.bars):,}} M1 bars: replay {{secs:.1f}} s "
                  f"({{bars / secs:,.0f}} bars/s), {{len(r.portfolio.trades)}} trades, peak memory {{peak:.0f}} MB")
        """)
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()

"""Replay and codec throughput on this machine (figures, not pass/fail).

make bench        # or: .venv/bin/python bench/replay_throughput.py
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

from bridge.core import events as ev
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.replay.backtest import run_backtest
from bridge.wire import codec
from strategies.ema_cross import EmaCross, EmaCrossParams

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    fx = load_fixture(DEMO_FIXTURE)
    bars = sum(len(b) for b in fx.bars.values())
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        run_backtest(fx, [EmaCross(), EmaCross(EmaCrossParams(symbol="XAUUSD", lots=0.5), magic=2)])
        runs.append(time.perf_counter() - t)
    med = statistics.median(runs)
    print(
        f"in-process replay, demo fixture: {bars} M1 bars ({bars * 5} events) in {med:.3f} s "
        f"median of 3 -> {bars / med:,.0f} bars/s"
    )
    frame = codec.encode(ev.Tick("US100", 1767607200123, 21474.48, 21475.98, 0.0, 1, 6), 100)
    n = 200_000
    t = time.perf_counter()
    for _ in range(n):
        codec.decode(frame)
    dt = time.perf_counter() - t
    print(f"TICK decode: {n / dt:,.0f} frames/s ({dt / n * 1e6:.2f} us each)")
    tick = ev.Tick("US100", 1767607200123, 21474.48, 21475.98, 0.0, 1, 6)
    t = time.perf_counter()
    for i in range(n):
        codec.encode(tick, i)
    dt = time.perf_counter() - t
    print(f"TICK encode: {n / dt:,.0f} frames/s ({dt / n * 1e6:.2f} us each)")


if __name__ == "__main__":
    main()

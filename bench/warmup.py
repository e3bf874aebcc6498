"""The history warm-up's cost: the brain's time to feed each default strategy its history, as a
live brain does at its first connection (bridge/live/history.py), from three months of M1 bars.

    .venv/bin/python bench/warmup.py [--days 66]

Generates the bars with the seeded fixture generator (a temporary folder), hands them to a
Warmup as the terminal's HBAR answer would, and times ``feed`` per strategy (each strategy's own
need, cut from the three months as the brain cuts it).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.brain.engine import Engine
from bridge.config import DEMO, parse_config
from bridge.core import events as ev
from bridge.data.fixturegen import write
from bridge.data.fixtures import load_fixture
from bridge.live.history import Warmup


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=66, help="trading days of history (66: 3 months)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed=3, days=a.days)
        fx = load_fixture(Path(d))
    cfg = parse_config({"strategies": DEMO["strategies"]})
    total = sum(len(b) for b in fx.bars.values())
    print(f"history: {a.days} trading days, {total:,} M1 bars over {len(fx.bars)} symbols")
    for strat in cfg.build_strategies():
        sent: list[object] = []
        eng = Engine([strat], fx.specs, sent.append)
        w = Warmup(eng, sent.append, itertools.count(1).__next__)
        now = max(int(b.time_ms[-1]) for b in fx.bars.values()) + 60_000
        if not w.start(now):
            print(f"{strat.name}: needs no history")
            continue
        for req in list(sent):
            assert isinstance(req, ev.HistoryReq)
            got = fx.bars[req.symbol].between(req.from_ms, req.to_ms)
            for row in got.rows():
                w.on_bar(ev.HistoryBar(req.req_id, req.symbol, *row))
            w.on_end(ev.HistoryEnd(req.req_id, req.symbol, len(got), ev.HISTORY_OK))
        t0 = time.perf_counter()
        w.feed()
        secs = time.perf_counter() - t0
        fed = sum(w.fed_bars.values())
        print(
            f"{strat.name}: {fed:,} bars fed ({w.report()}) in {secs:.3f} s, {fed / secs:,.0f} bars/s"
        )


if __name__ == "__main__":
    main()

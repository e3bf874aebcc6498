"""Range breakout with and without the beta hedge on real data from ../shared/data.

    .venv/bin/python bench/range_breakout_real_data.py      # prints the tables of docs/results.md

Pairs: US100.cash with US30.cash (3.5 months, one broker and clock), and US100.cash with ES
futures over their two-week overlap, ES moved from US Eastern time to the broker's server time
(UTC+2 then: server = ET + 7 h) and given a fixed 0.50 spread as an SPX500 CFD stand-in (both
fixtures read ../shared/data in place: configs/data/us100_us30 and configs/data/us100_es).
Reports go to out/real/ only.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.config import load_config
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from bridge.report import compare, write_outputs

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "out" / "real"


def run(name: str) -> dict[str, object]:
    cfg = load_config(ROOT / "configs" / f"range_breakout_{name}.toml")
    fx = load_fixture(ROOT / cfg.replay.fixture)
    t = time.perf_counter()
    res = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits())
    secs = time.perf_counter() - t
    rep = write_outputs(OUT / name, res.portfolio, res.strategies, f"range breakout {name}")
    per = next(iter(rep["per_strategy"].values()))
    rep["hedge_activation_rate"] = per.get("hedge_activation_rate")
    bars = sum(len(b) for b in fx.bars.values())
    print(
        f"{name}: {bars} M1 bars in {secs:.1f} s; main trades {per['main_trades']}, "
        f"hedges {per['hedges']}",
        file=sys.stderr,
    )
    (OUT / name / "report.json").write_text(json.dumps(rep, indent=2))
    return rep


def main() -> None:
    if not DATA.exists():
        sys.exit("../shared/data is not here: nothing to run")
    OUT.mkdir(parents=True, exist_ok=True)
    for pair in ("us100_us30", "us100_es"):
        a, b = run(f"{pair}_unhedged"), run(f"{pair}_hedged")
        print(f"\n### {pair}\n")
        print(compare(a, b, "unhedged", "hedged"))


if __name__ == "__main__":
    main()

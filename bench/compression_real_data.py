"""The hedge compression engine on ../shared/data/mt5_ftmo/XAUUSD_M1.csv.gz from the locked
hedge of configs/data/xauusd_locked: the swings where it acted, a weekly summary, and a plot of
its lots and bank (no price series). Prints the markdown of docs/results.md.

    .venv/bin/python bench/compression_real_data.py [--plot docs/compression_xauusd.png]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.config import load_config
from bridge.core.timeutil import fmt
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from strategies.compression import Compression


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plot", type=Path, help="write the lots/bank plot here")
    a = ap.parse_args()
    cfg = load_config(ROOT / "configs" / "compression_xauusd.toml")
    (s,) = cfg.build_strategies()
    assert isinstance(s, Compression)
    fx = load_fixture(ROOT / cfg.replay.fixture)
    res = run_backtest(fx, [s], cfg.risk.limits())
    pf = res.portfolio
    lots = [(p.is_buy, p.volume) for p in pf.positions.values()]
    end_l = round(sum(v for b, v in lots if b), 2)
    end_s = round(sum(v for b, v in lots if not b), 2)
    print("| swing | time (server) | price | long | short | imbalance | gross | bank before |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in (c for c in s.cycles if c.acted):
        print(
            f"| {c.swing} | {fmt(c.time_ms)} | {c.price:.2f} | {c.long_lots:.2f} | {c.short_lots:.2f} | "
            f"{abs(c.long_lots - c.short_lots):.2f} | {c.long_lots + c.short_lots:.2f} | {c.bank:.2f} |"
        )
    print(
        f"| end | {fmt(pf.curve[-1][0])} | | {end_l:.2f} | {end_s:.2f} | {abs(end_l - end_s):.2f} | "
        f"{end_l + end_s:.2f} | {s.bank:.2f} |"
    )
    why = Counter((c.note.split(" ")[0] if c.note else "engaged") for c in s.cycles)
    print(
        f"\nswings: {len(s.cycles)}; acted at {sum(c.acted for c in s.cycles)}; "
        f"where it could not act: {dict(why)}"
    )
    print(
        f"realised by the engine: {s.realised:.2f}; bank at the end: {s.bank:.2f}; "
        f"account net profit (closed): {pf.balance - pf.initial_balance:.2f}; "
        f"equity at the end: {pf.curve[-1][2]:.2f} (start {pf.initial_balance:.2f})"
    )
    if a.plot:
        plot(s, a.plot)


def plot(s: Compression, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = list(range(len(s.cycles)))
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 5), dpi=100, sharex=True)
    ax1.step(xs, [c.long_lots for c in s.cycles], label="long lots", where="post")
    ax1.step(xs, [c.short_lots for c in s.cycles], label="short lots", where="post")
    ax1.step(xs, [c.long_lots + c.short_lots for c in s.cycles], label="gross lots", where="post")
    ax1.set_ylabel("lots")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.step(xs, [c.bank for c in s.cycles], label="bank", where="post")
    ax2.step(xs, [c.realised for c in s.cycles], label="realised", where="post", alpha=0.7)
    ax2.set_ylabel("USD")
    ax2.set_xlabel("confirmed swing number")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle("Compression engine on the locked XAUUSD hedge (lots and bank at each swing)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()

"""Two-bucket plans on ../shared/data/mt5_ftmo BTCUSD and XAUUSD at leverage 1 and 10: phases,
resets and equity. Prints the markdown of docs/results.md.

    .venv/bin/python bench/two_bucket_real_data.py [--plot docs/two_bucket.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.config import load_config
from bridge.core.timeutil import fmt
from bridge.data.fixtures import load_fixture
from bridge.replay.backtest import run_backtest
from bridge.report import drawdown
from strategies.two_bucket import TwoBucket

RUNS = [
    "two_bucket_btcusd_lev1",
    "two_bucket_btcusd_lev10",
    "two_bucket_xauusd_lev1",
    "two_bucket_xauusd_lev10",
]


def phase_shares(s: TwoBucket, start: int, end: int) -> dict[str, float]:
    """Share of the time spent in each phase."""
    spans: dict[str, float] = {}
    t, phase = start, "advance"
    for when, ch in s.history:
        spans[phase] = spans.get(phase, 0) + when - t
        t, phase = when, ch.phase
    spans[phase] = spans.get(phase, 0) + end - t
    total = max(end - start, 1)
    return {k: v / total for k, v in spans.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plot", type=Path)
    a = ap.parse_args()
    curves = {}
    print(
        "| plan | period | price | buy and hold | plan value (model) | account equity P&L | max equity drawdown "
        "| changes | resets | advance / retracement / decline / recovery |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for name in RUNS:
        cfg = load_config(ROOT / "configs" / f"{name}.toml")
        (s,) = cfg.build_strategies()
        assert isinstance(s, TwoBucket) and s.plan is None
        fx = load_fixture(ROOT / cfg.replay.fixture)
        res = run_backtest(fx, [s], cfg.risk.limits())
        b = next(iter(fx.bars.values()))
        p0, p1 = float(b.open[0]), float(b.close[-1])
        pf = res.portfolio
        eq = [e for _t, _b, e in pf.curve]
        dd, dd_pct = drawdown(eq)
        assert s.plan is not None
        margin = s.p.margin
        hold = (p1 / p0 - 1) * s.p.leverage * 100
        sh = phase_shares(s, int(b.time_ms[0]), int(b.time_ms[-1]) + 60_000)
        shares = " / ".join(
            f"{sh.get(k, 0) * 100:.0f}%" for k in ("advance", "retracement", "decline", "recovery")
        )
        print(
            f"| {s.p.symbol} x{s.p.leverage:g} | {fmt(int(b.time_ms[0]))[:10]} to {fmt(int(b.time_ms[-1]))[:10]} "
            f"| {p0:,.2f} -> {p1:,.2f} | {hold:+.1f}% | {s.plan.value(p1):,.0f} ({(s.plan.value(p1) / margin - 1) * 100:+.1f}%) "
            f"| {pf.curve[-1][2] - pf.initial_balance:+,.0f} | {dd:,.0f} ({dd_pct:.1f}%) | {len(s.history)} "
            f"| {s.plan.reset_count} | {shares} |"
        )
        curves[name] = (pf.curve, pf.initial_balance)
    if a.plot:
        plot(curves, a.plot)


def plot(curves: dict[str, tuple[list[tuple[int, float, float]], float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    for name, (curve, start) in curves.items():
        xs = [(t - curve[0][0]) / 86_400_000 for t, _b, _e in curve]
        ax.plot(
            xs,
            [(e - start) / 1000 for _t, _b, e in curve],
            lw=1,
            label=name.replace("two_bucket_", ""),
        )
    ax.set_xlabel("days from the start of each series")
    ax.set_ylabel("account P&L, thousand USD (margin 100k)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Two-bucket plans: account equity P&L")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    main()

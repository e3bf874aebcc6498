"""Replay throughput side by side: the range breakout with the beta hedge on 1,000,000 seeded
synthetic M1 bars (US100 and SPX500, 500,000 each) in-process, and the same rules in
backtesting.py on the same US100 bars, with the ratio and the trade lists compared.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/side_by_side.py [--bars 1000000] [--runs 3] [--visit-all]

Modelling, made to agree where it can: zero spread and no commission (bid = ask = the bar's
prices), fixed 1.0 lot in both, backtesting.py with ``trade_on_close=True`` (our entry fills at
the signal bar's closing quote), its SL/TP checked on each M1 bar's high/low (ours: the four-tick
path through the bar touches the high and the low; a stop filled at its level when crossed, at
the open when the bar gaps through it, in both). What still differs: a bar that touches both the
SL and the TP (the order inside the bar is a guess in both, not the same guess), and
backtesting.py has one asset, so the hedge leg is ours only (main trades do not depend on it).
Trades whose life includes such a bar are left out of the comparison and counted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.brain.indicators import ema_values
from bridge.core.columns import BarArrays
from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE
from bridge.data.fixturegen import generate
from bridge.data.fixtures import DEMO_FIXTURE, Fixture, load_fixture
from bridge.replay.backtest import run_backtest
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams

P = RangeBreakoutParams(sizing="fixed", fixed_lots=1.0)


def synthetic(bars: int, seed: int) -> Fixture:
    demo = load_fixture(DEMO_FIXTURE)
    days = bars // 2 // 1360 + 2
    cols = generate(seed, days)
    out = {}
    for sym in ("US100", "SPX500"):
        c = cols[sym]
        n = bars // 2
        out[sym] = BarArrays(
            sym,
            c["time"][:n],
            c["open"][:n],
            c["high"][:n],
            c["low"][:n],
            c["close"][:n],
            c["tick_volume"][:n],
            np.zeros(n, dtype=np.int64),
        )
    specs = {s: demo.specs[s] for s in out}
    account = replace(demo.account, commission={}, balance=1e9)
    return Fixture("side-by-side", account, specs, out)


def ours(
    fx: Fixture, jumps: bool = True
) -> tuple[float, list[tuple[int, bool, float, int, float]]]:
    t0 = time.perf_counter()
    res = run_backtest(fx, [RangeBreakout(P)], jumps=jumps)
    secs = time.perf_counter() - t0
    main = [
        (t.open_time, t.side == "buy", t.open_price, t.close_time, t.close_price)
        for t in res.portfolio.trades
        if t.symbol == "US100"
    ]
    return secs, main


def backtesting_py(fx: Fixture) -> tuple[float, list[tuple[int, bool, float, int, float]]]:
    from backtesting import Backtest, Strategy

    b = fx.bars["US100"]
    idx = pd.to_datetime(b.time_ms, unit="ms")
    df = pd.DataFrame(
        {"Open": b.open, "High": b.high, "Low": b.low, "Close": b.close, "Volume": b.tick_volume},
        index=idx,
    )
    minute_of_day = (b.time_ms % MS_PER_DAY) // MS_PER_MINUTE
    r_start = P.range_start_hour * 60 + P.range_start_minute
    r_end = r_start + P.range_duration_min
    close_min = P.session_close_hour * 60 + P.session_close_minute
    alpha = 2 / (P.htf_ema + 1)

    class RangeBreakoutBT(Strategy):  # the rules of strategies/range_breakout.py, bar by bar
        def init(self) -> None:
            self.day = -1
            self.hi = self.lo = float("nan")
            self.final = False
            self.ema = float("nan")
            self.n_h1 = 0
            self.h1_sum = 0.0
            self.h1_close = float("nan")
            self.h1_bucket = -1
            self.h1_last = float("nan")
            self.m5_bucket = -1
            self.m5_last = float("nan")
            self.taken = {True: 0, False: 0}

        def next(self) -> None:
            i = len(self.data) - 1
            t = int(b.time_ms[i])
            m = int(minute_of_day[i])
            day = t // MS_PER_DAY
            close = float(b.close[i])
            if day != self.day:
                self.day, self.hi, self.lo, self.final = day, -np.inf, np.inf, False
                self.taken = {True: 0, False: 0}
            # bars close when a later bucket starts (or at the bucket's last minute)
            h1 = t // 3_600_000
            if self.h1_bucket not in (-1, h1):
                self._h1(self.h1_last)
            self.h1_bucket, self.h1_last = h1, close
            if m % 60 == 59:
                self._h1(close)
                self.h1_bucket = -1
            if not self.final:
                if r_start <= m < r_end:
                    self.hi, self.lo = max(self.hi, float(b.high[i])), min(self.lo, float(b.low[i]))
                if m + 1 >= r_end and self.hi >= self.lo:
                    self.final = True
            if self.position and m + 1 >= close_min:
                self.position.close()
                return
            if m % 5 != 4 or not self.final or self.position:
                return
            if m - 4 < r_end or m + 1 >= close_min:
                return
            pts = round(close * 100)
            if pts > round(self.hi * 100):
                buy = True
            elif pts < round(self.lo * 100):
                buy = False
            else:
                return
            if self.n_h1 < P.htf_ema or round(self.h1_close * 100) == round(self.ema * 100):
                return
            if (self.h1_close > self.ema) != buy or self.taken[buy] >= 1:
                return
            self.taken[buy] += 1
            dist = close * P.sl_pct / 100
            sign = 1 if buy else -1
            order = self.buy if buy else self.sell
            order(size=1, sl=close - sign * dist, tp=close + sign * dist * P.rr)

        def _h1(self, close: float) -> None:  # EMA seeded with the SMA of the first period
            self.h1_close = close
            self.n_h1 += 1
            if self.n_h1 < P.htf_ema:
                self.h1_sum += close
            elif self.n_h1 == P.htf_ema:
                self.ema = (self.h1_sum + close) / P.htf_ema
            else:
                self.ema += alpha * (close - self.ema)

    bt = Backtest(df, RangeBreakoutBT, cash=1e9, commission=0.0, trade_on_close=True, margin=1.0)
    t0 = time.perf_counter()
    stats = bt.run()
    secs = time.perf_counter() - t0
    tr = stats["_trades"]
    trades = [
        (
            int(pd.Timestamp(r.EntryTime).value // 1_000_000),
            r.Size > 0,
            float(r.EntryPrice),
            int(pd.Timestamp(r.ExitTime).value // 1_000_000),
            float(r.ExitPrice),
        )
        for r in tr.itertuples()
    ]
    return secs, trades


def vectorbt_signals(fx: Fixture) -> dict[str, np.ndarray]:
    """The range breakout's entries and exits on US100 in numpy, all bars at once: the day's
    range, the H1 EMA (seeded with an SMA), the M5 signal bars, the first signal per side and
    day, the session close. An approximation: a day's first signal on a side is its entry even
    when a trade is still open then (the rules would take that side's next signal)."""
    b = fx.bars["US100"]
    t, close = b.time_ms, b.close
    m = (t % MS_PER_DAY) // MS_PER_MINUTE
    day = t // MS_PER_DAY
    r_start = P.range_start_hour * 60 + P.range_start_minute
    r_end = r_start + P.range_duration_min
    close_min = P.session_close_hour * 60 + P.session_close_minute
    # the day's range: highs and lows of its range minutes, known from its last range minute
    days = np.unique(day)
    d = np.searchsorted(days, day)
    in_range = (m >= r_start) & (m < r_end)
    hi = np.full(len(days), -np.inf)
    lo = np.full(len(days), np.inf)
    np.maximum.at(hi, d[in_range], b.high[in_range])
    np.minimum.at(lo, d[in_range], b.low[in_range])
    # H1 closes: a bucket's last bar, told at its :59 minute or when the next bucket starts
    bucket = t // 3_600_000
    last = np.flatnonzero(np.r_[bucket[1:] != bucket[:-1], True])
    told = np.where(m[last] % 60 == 59, last, np.minimum(last + 1, len(t) - 1))
    h1 = close[last]
    ema = np.asarray(ema_values(h1.tolist(), P.htf_ema))
    k = np.searchsorted(told, np.arange(len(t)), side="right") - 1  # H1 bars told by bar i
    ok = k >= P.htf_ema - 1
    kk = np.maximum(k, 0)
    h1_now, ema_now = h1[kk], ema[kk]
    pts = np.round(close * 100)
    signal = (m % 5 == 4) & (m - 4 >= r_end) & (m + 1 < close_min) & (hi[d] >= lo[d]) & ok
    signal &= np.round(h1_now * 100) != np.round(ema_now * 100)
    buy = signal & (pts > np.round(hi[d] * 100)) & (h1_now > ema_now)
    sell = signal & (pts < np.round(lo[d] * 100)) & (h1_now < ema_now)

    def first_per_day(x: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(x)
        keep = np.r_[True, d[idx][1:] != d[idx][:-1]]
        out = np.zeros(len(x), dtype=bool)
        out[idx[keep]] = True
        return out

    return {"buy": first_per_day(buy), "sell": first_per_day(sell), "exit": m + 1 >= close_min}


def vectorbt_version(fx: Fixture) -> tuple[float, list[tuple[int, bool, float, int, float]]]:
    """The same rules vectorised for vectorbt: signals in numpy, fills and stops in vectorbt's
    compiled loop (timed after a first run that compiles it)."""
    import vectorbt as vbt

    b = fx.bars["US100"]
    idx = pd.to_datetime(b.time_ms, unit="ms")

    def run() -> Any:
        sig = vectorbt_signals(fx)
        return vbt.Portfolio.from_signals(
            pd.Series(b.close, index=idx),
            entries=sig["buy"],
            exits=sig["exit"],
            short_entries=sig["sell"],
            short_exits=sig["exit"],
            open=b.open,
            high=b.high,
            low=b.low,
            size=1.0,
            sl_stop=P.sl_pct / 100,
            tp_stop=P.sl_pct * P.rr / 100,
            upon_opposite_entry="ignore",
            init_cash=1e9,
            freq="1min",
        )

    run()  # compiles vectorbt's loops
    t0 = time.perf_counter()
    pf = run()
    secs = time.perf_counter() - t0
    rec = pf.trades.records_readable
    trades = [
        (
            int(pd.Timestamp(r["Entry Timestamp"]).value // 1_000_000),
            r["Direction"] == "Long",
            float(r["Avg Entry Price"]),
            int(pd.Timestamp(r["Exit Timestamp"]).value // 1_000_000),
            float(r["Avg Exit Price"]),
        )
        for _, r in rec.iterrows()
    ]
    return secs, trades


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--visit-all", action="store_true", help="also time one replay that visits every minute"
    )
    a = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    fx = synthetic(a.bars, a.seed)
    n = sum(len(x) for x in fx.bars.values())
    mine = [ours(fx) for _ in range(a.runs)]
    med = statistics.median(s for s, _ in mine)
    print(
        f"mt5bridge replay (range breakout + beta hedge): {n:,} bars, median {med:.2f} s -> {n / med:,.0f} bars/s"
    )
    if a.visit_all:
        secs, trades = ours(fx, jumps=False)
        print(
            f"  the same, visiting every minute (no jumps): {secs:.2f} s -> {n / secs:,.0f} bars/s"
        )
        assert trades == mine[0][1], "jumping changed the trades"
    theirs = [backtesting_py(fx) for _ in range(a.runs)]
    bmed = statistics.median(s for s, _ in theirs)
    nb = len(fx.bars["US100"])
    print(
        f"backtesting.py (same rules, US100 only): {nb:,} bars, median {bmed:.2f} s -> {nb / bmed:,.0f} bars/s"
    )
    print(f"ratio (bars/s): {n / med / (nb / bmed):.2f} x")
    compare(mine[0][1], theirs[0][1], fx)
    try:
        import vectorbt  # noqa: F401
    except ImportError:
        print("vectorbt: not installed (.venv/bin/pip install -e '.[bench]')")
        return
    vb = [vectorbt_version(fx) for _ in range(a.runs)]
    vmed = statistics.median(s for s, _ in vb)
    print(
        f"vectorbt (the same rules vectorised, US100 only): {nb:,} bars, median {vmed:.3f} s -> "
        f"{nb / vmed:,.0f} bars/s; mt5bridge / vectorbt: {n / med / (nb / vmed):.2f} x"
    )
    compare(mine[0][1], vb[0][1], fx, "vectorbt", strict=False)


def compare(
    ours_: list[tuple[int, bool, float, int, float]],
    theirs: list[tuple[int, bool, float, int, float]],
    fx: Fixture,
    name: str = "backtesting.py",
    strict: bool = True,
) -> None:
    """Our fill times are tick times; backtesting.py names the bar. A fill at a bar's close
    (t + 60 s) belongs to bar t, like one inside it. Prices equal within one tick (our SL/TP are
    normalised to the tick size, backtesting.py keeps the raw level)."""
    b = fx.bars["US100"]
    t, hi, lo = b.time_ms, b.high, b.low

    def bar_of(ms: int) -> int:
        return (ms - 1) // MS_PER_MINUTE * MS_PER_MINUTE

    def both_levels(x: tuple[int, bool, float, int, float]) -> bool:
        i0, i1 = np.searchsorted(t, [bar_of(x[0]), bar_of(x[3])])
        dist = x[2] * P.sl_pct / 100
        sign = 1 if x[1] else -1
        sl, tp = x[2] - sign * dist, x[2] + sign * dist * P.rr
        h, lw = hi[i0 + 1 : i1 + 1], lo[i0 + 1 : i1 + 1]
        hit_sl = lw <= sl if x[1] else h >= sl
        hit_tp = h >= tp if x[1] else lw <= tp
        return bool(np.any(hit_sl & hit_tp))

    norm = [(bar_of(x[0]), x[1], x[2], bar_of(x[3]), x[4]) for x in ours_]
    left_out = [i for i, x in enumerate(ours_) if both_levels(x)]
    by_entry = {(y[0], y[1]): y for y in theirs}  # matched by entry bar and side
    compared = [(x, by_entry.get((x[0], x[1]))) for i, x in enumerate(norm) if i not in left_out]
    differ = [
        (x, y)
        for x, y in compared
        if y is None or x[3] != y[3] or abs(x[2] - y[2]) > 0.0101 or abs(x[4] - y[4]) > 0.0101
    ]
    print(
        f"trades: mt5bridge {len(ours_)} main trades, {name} {len(theirs)}; "
        f"compared {len(compared)} (left out {len(left_out)} with a bar touching both SL and "
        f"TP): {len(compared) - len(differ)} equal, {len(differ)} different"
    )
    for x, y in differ[:5]:
        print(f"  differ: ours {x} {name} {y}")
    if strict:
        assert len(ours_) == len(theirs) and not differ, "the trade lists differ"


if __name__ == "__main__":
    main()

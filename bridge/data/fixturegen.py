"""A seeded generator of realistic M1 bars for the bundled fixtures (no real data is copied).

It imitates the session structure of a CFD broker's MT5 feed (server time UTC+2 in winter):
trading 01:05-23:49 on Monday to Friday, a daily break and closed weekends, volatility that
rises at the European open (10:00) and peaks at the US cash open (16:30), volatility clustering,
US100 and SPX500 strongly correlated (SPX500 moving about 0.8 of US100 in percent), XAUUSD on
its own, and spreads in points that widen in thin hours.

    python -m bridge.data.fixturegen --out bridge/data/demo --seed 7 --days 5
"""

from __future__ import annotations

import argparse
import gzip
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE, server_ms

OPEN_MIN, CLOSE_MIN = 1 * 60 + 5, 23 * 60 + 49  # [01:05, 23:49) server time

# symbol -> (start price, daily vol in %, base spread points, digits)
SYMBOLS: dict[str, tuple[float, float, int, int]] = {
    "US100": (21500.0, 1.3, 150, 2),
    "SPX500": (6050.0, 1.0, 50, 2),
    "XAUUSD": (2650.0, 1.0, 30, 2),
}

SPECS_TOML = """\
# Symbol specifications are not part of MT5 bar exports: they are stated here explicitly.
# Values are those a typical MT5 CFD broker shows in Symbol > Specification for these
# instruments (index CFDs: 1 lot = 1 x index, 0.01 tick worth 0.01 USD; gold: 100 oz a lot).
name = "demo"

[account]
login = 1001
balance = 100000.0
leverage = 100
currency = "USD"
hedging = true
slippage_points = 0
commission = {{ XAUUSD = 3.0 }}

[symbols.US100]
file = "US100_M1.csv.gz"
digits = 2
point = 0.01
tick_size = 0.01
tick_value = 0.01
contract_size = 1.0
volume_min = 0.01
volume_step = 0.01
volume_max = 100.0
stops_level = 0
filling_modes = 2
margin_rate = 1.0
swap_long = -350.0
swap_short = -120.0
sessions = "{sessions}"

[symbols.SPX500]
file = "SPX500_M1.csv.gz"
digits = 2
point = 0.01
tick_size = 0.01
tick_value = 0.01
contract_size = 1.0
volume_min = 0.01
volume_step = 0.01
volume_max = 100.0
stops_level = 0
filling_modes = 2
margin_rate = 1.0
swap_long = -100.0
swap_short = -40.0
sessions = "{sessions}"

[symbols.XAUUSD]
file = "XAUUSD_M1.csv.gz"
digits = 2
point = 0.01
tick_size = 0.01
tick_value = 1.0
contract_size = 100.0
volume_min = 0.01
volume_step = 0.01
volume_max = 100.0
stops_level = 0
filling_modes = 3
margin_rate = 1.0
swap_long = -60.0
swap_short = 20.0
sessions = "{sessions}"

# A locked XAUUSD hedge held at the start (opened by hand: magic 0), both sides underwater at
# 2650: the band runs from the short average 2610 to the long average 2690.
[[positions]]
symbol = "XAUUSD"
side = "buy"
volume = 0.05
price = 2685.0
time = "2026-01-02 15:00"

[[positions]]
symbol = "XAUUSD"
side = "buy"
volume = 0.05
price = 2695.0
time = "2026-01-02 16:30"

[[positions]]
symbol = "XAUUSD"
side = "sell"
volume = 0.06
price = 2612.0
time = "2026-01-02 20:00"

[[positions]]
symbol = "XAUUSD"
side = "sell"
volume = 0.06
price = 2608.0
time = "2026-01-02 21:30"
"""


def _vol_profile(minute: np.ndarray) -> np.ndarray:
    """Relative volatility by minute of the server day."""
    prof = np.full(minute.shape, 0.45)
    prof[(minute >= 10 * 60)] = 0.8  # Europe
    us = (minute >= 16 * 60 + 30) & (minute < 23 * 60)
    prof[us] = 1.0 + 1.6 * np.exp(-(minute[us] - (16 * 60 + 30)) / 45.0)  # US open burst
    prof[minute >= 23 * 60] = 0.5
    return prof


def trading_minutes(start: date, days: int) -> np.ndarray:
    """Open times (server ms) of every M1 bar of ``days`` trading days from ``start``."""
    out = []
    d, n = start, 0
    while n < days:
        if d.weekday() < 5:
            base = server_ms(datetime(d.year, d.month, d.day))
            out.append(base + np.arange(OPEN_MIN, CLOSE_MIN, dtype=np.int64) * MS_PER_MINUTE)
            n += 1
        d += timedelta(days=1)
    return np.concatenate(out)


def generate(
    seed: int, days: int, start: date = date(2026, 1, 5)
) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    t = trading_minutes(start, days)
    minute = (t % MS_PER_DAY) // MS_PER_MINUTE
    prof = _vol_profile(minute)
    n = len(t)
    # volatility clustering: a slow log-normal multiplier
    cluster = np.exp(np.convolve(rng.normal(0, 0.35, n), np.ones(60) / np.sqrt(60), "same") * 0.5)
    common = rng.standard_normal((n, 6))  # six sub-steps per minute make the OHLC
    out: dict[str, dict[str, np.ndarray]] = {}
    for sym, (p0, dvol, spread0, digits) in SYMBOLS.items():
        sigma = dvol / 100 / np.sqrt(CLOSE_MIN - OPEN_MIN) / np.sqrt(6)
        own = rng.standard_normal((n, 6))
        if sym == "US100":
            z = common
        elif sym == "SPX500":
            z = 0.9 * common + np.sqrt(1 - 0.81) * own
        else:
            z = own
        steps = z * (sigma * prof * cluster)[:, None]
        # a small day-level drift so some days trend
        day = (t // MS_PER_DAY).astype(np.int64)
        drift = rng.normal(0, dvol / 100 / 3, day.max() - day.min() + 1)[day - day.min()]
        steps += (drift / (CLOSE_MIN - OPEN_MIN) / 6)[:, None]
        logp = np.log(p0) + np.cumsum(steps.ravel()).reshape(n, 6)
        first = np.concatenate([[np.log(p0)], logp[:-1, -1]])
        path = np.exp(np.column_stack([first, logp]))
        o, c = path[:, 0], path[:, -1]
        h, lo = path.max(axis=1), path.min(axis=1)
        spread = np.round(spread0 * (1 + 0.8 * (prof < 0.6)) * rng.uniform(0.9, 1.3, n)).astype(
            np.int64
        )
        out[sym] = {
            "time": t,
            "open": np.round(o, digits),
            "high": np.round(h, digits),
            "low": np.round(lo, digits),
            "close": np.round(c, digits),
            "tick_volume": rng.poisson(40 * prof * cluster).astype(np.int64) + 1,
            "spread": spread,
        }
    return out


def write(folder: Path, seed: int, days: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    sessions = ";".join(f"{d}:0105-2349" for d in range(1, 6))
    (folder / "fixture.toml").write_text(SPECS_TOML.format(sessions=sessions))
    for sym, cols in generate(seed, days).items():
        t = cols["time"].astype("datetime64[ms]").astype(str)
        lines = ["time,open,high,low,close,tick_volume,spread,real_volume"]
        for i in range(len(t)):
            lines.append(
                f"{t[i][:10]} {t[i][11:19]},{cols['open'][i]:.2f},{cols['high'][i]:.2f},"
                f"{cols['low'][i]:.2f},{cols['close'][i]:.2f},{cols['tick_volume'][i]},"
                f"{cols['spread'][i]},0"
            )
        # mtime=0: the same seed gives byte-identical files
        with gzip.GzipFile(folder / f"{sym}_M1.csv.gz", "wb", mtime=0) as fh:
            fh.write(("\n".join(lines) + "\n").encode())


TICKS_TOML = """\
# XAUUSD ticks for one generated trading day (server time UTC+2), for tests that need a real
# tick stream rather than the four-tick path through M1 bars. Specification as in bridge/data/demo.
name = "ticks_demo"

[account]
login = 1002
balance = 10000.0
leverage = 100
currency = "USD"
hedging = true
commission = {{ XAUUSD = 3.0 }}

[symbols.XAUUSD]
ticks = "XAUUSD_ticks.csv.gz"
digits = 2
point = 0.01
tick_size = 0.01
tick_value = 1.0
contract_size = 100.0
volume_min = 0.01
volume_step = 0.01
volume_max = 100.0
filling_modes = 3
swap_long = -60.0
swap_short = 20.0
sessions = "{sessions}"
"""


def generate_ticks(
    seed: int, day: date = date(2026, 1, 6), rate: float = 0.25
) -> dict[str, np.ndarray]:
    """A Poisson tick stream for XAUUSD over one trading day, intensity following the day's
    volatility profile, bid a random walk in 0.01 steps, spread 20-45 points."""
    rng = np.random.default_rng(seed)
    base = server_ms(datetime(day.year, day.month, day.day))
    minutes = np.arange(OPEN_MIN, CLOSE_MIN)
    counts = rng.poisson(rate * 60 * _vol_profile(minutes))
    t = np.concatenate(
        [
            base + m * MS_PER_MINUTE + np.sort(rng.integers(0, MS_PER_MINUTE, n))
            for m, n in zip(minutes, counts, strict=True)
        ]
    )
    sigma = 2650.0 * 0.01 / np.sqrt(CLOSE_MIN - OPEN_MIN) / np.sqrt(max(rate * 60, 1.0))
    steps = rng.standard_normal(len(t)) * sigma
    bid = np.round(2650.0 + np.cumsum(steps), 2)
    ask = np.round(bid + rng.integers(20, 46, len(t)) * 0.01, 2)
    return {"time": t, "bid": bid, "ask": ask}


def write_ticks(folder: Path, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    sessions = ";".join(f"{d}:0105-2349" for d in range(1, 6))
    (folder / "fixture.toml").write_text(TICKS_TOML.format(sessions=sessions))
    g = generate_ticks(seed)
    times = g["time"].astype("datetime64[ms]").astype(str)
    lines = ["time,bid,ask"]
    lines += [
        f"{ts[:10]} {ts[11:23]},{b:.2f},{a:.2f}"
        for ts, b, a in zip(times, g["bid"], g["ask"], strict=True)
    ]
    with gzip.GzipFile(folder / "XAUUSD_ticks.csv.gz", "wb", mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode())


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--ticks", action="store_true", help="write the one-day XAUUSD tick fixture")
    a = ap.parse_args()
    if a.ticks:
        write_ticks(a.out, a.seed)
    else:
        write(a.out, a.seed, a.days)


if __name__ == "__main__":
    main()

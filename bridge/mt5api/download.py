"""History from a terminal into a fixture, through the package: M1 bars in the copy_rates layout,
ticks if asked, the symbols' specifications from ``symbol_info`` and the account from
``account_info``, written as a fixture folder that ``mt5bridge backtest`` reads.

The terminal gives at most "Max bars in chart" (``terminal_info().maxbars``) bars per call,
the newest of the range: bars are asked a week at a time, and a week that comes back full is
asked again in halves. Ticks are asked a day at a time. Each chunk is written to
``<out>/.parts`` when it is complete (written aside, then renamed), so a download stopped
midway starts again where it stopped; the fixture's files are made from the parts at the end.
Times are the trade server's, as the package gives them."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bridge.core.symbols import SymbolSpec
from bridge.mt5api import convert
from bridge.mt5api.package import Api

TIMEFRAME_M1 = 1
COPY_TICKS_ALL = -1
DAY_S = 86_400
BAR_HEADER = "time,open,high,low,close,tick_volume,spread,real_volume\n"
TICK_HEADER = "time,bid,ask\n"
Progress = Callable[[int, int, str], None]


def _chunks(start_s: int, end_s: int, days: int) -> list[tuple[int, int]]:
    """[a, b) ranges of ``days`` days covering [start_s, end_s)."""
    out, a = [], start_s
    while a < end_s:
        b = min(a + days * DAY_S, end_s)
        out.append((a, b))
        a = b
    return out


def _times(seconds: np.ndarray, ms: np.ndarray | None = None) -> list[str]:
    if ms is None:
        text = seconds.astype("datetime64[s]").astype(str)
    else:
        text = ms.astype("datetime64[ms]").astype(str)
    return [t.replace("T", " ") for t in text.tolist()]


def _bars(api: Api, symbol: str, a: int, b: int, max_bars: int) -> list[str]:
    """The CSV lines of the bars opened in [a, b); a range that comes back full is split."""
    rows = api.call("copy_rates_range", symbol, TIMEFRAME_M1, a, b - 1, allow_none=True)
    if rows is None:
        rows = np.zeros(0)
    if len(rows) >= max_bars and b - a > 60:
        mid = a + (b - a) // 2 // 60 * 60
        return _bars(api, symbol, a, mid, max_bars) + _bars(api, symbol, mid, b, max_bars)
    rows = rows[(rows["time"] >= a) & (rows["time"] < b)] if len(rows) else rows
    if not len(rows):
        return []
    cols = [_times(rows["time"])]
    cols += [rows[c].tolist() for c in ("open", "high", "low", "close", "tick_volume", "spread")]
    cols.append(rows["real_volume"].tolist())
    return [",".join(map(str, r)) + "\n" for r in zip(*cols, strict=True)]


def _ticks(api: Api, symbol: str, a: int, b: int) -> list[str]:
    rows = api.call("copy_ticks_range", symbol, a, b - 1, COPY_TICKS_ALL, allow_none=True)
    if rows is None or not len(rows):
        return []
    rows = rows[(rows["time_msc"] >= a * 1000) & (rows["time_msc"] < b * 1000)]
    times = _times(rows["time"], rows["time_msc"])
    bid, ask = rows["bid"].tolist(), rows["ask"].tolist()
    return [f"{t},{b!r},{a!r}\n" for t, b, a in zip(times, bid, ask, strict=True)]


def _part(path: Path, lines: list[str]) -> None:
    """A chunk written completely or not at all (written aside, then renamed)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(lines))
    os.replace(tmp, path)


def _merge(parts: list[Path], header: str, out: Path, unique_times: bool) -> int:
    """The parts in order into one gzip CSV (``unique_times``: a bar's time once; ticks may
    share a millisecond); the number of rows."""
    seen: set[str] = set()
    n = 0
    with gzip.open(out, "wt") as fh:
        fh.write(header)
        for p in parts:
            for line in p.read_text().splitlines(keepends=True):
                if unique_times:
                    key = line.split(",", 1)[0]
                    if key in seen:
                        continue
                    seen.add(key)
                fh.write(line)
                n += 1
    return n


def download(
    api: Api,
    symbols: Sequence[str],
    start_s: int,
    end_s: int,
    out: Path,
    ticks: bool = False,
    progress: Progress | None = None,
    week_days: int = 7,
) -> dict[str, int]:
    """Download into the fixture folder ``out``; the bars (and ticks) per symbol written."""
    if end_s <= start_s:
        raise ValueError(f"--to must be after --from (got {end_s} <= {start_s})")
    parts = out / ".parts"
    parts.mkdir(parents=True, exist_ok=True)
    acc = api.call("account_info")
    max_bars = int(api.call("terminal_info").maxbars) or 100_000
    specs: dict[str, SymbolSpec] = {}
    for s in symbols:
        if not api.call("symbol_select", s, True, allow_none=True):
            raise ValueError(f"the terminal has no symbol {s!r} (check the broker's suffix)")
        specs[s] = convert.spec_of(api.call("symbol_info", s))
    bar_chunks = _chunks(start_s, end_s, week_days)
    tick_chunks = _chunks(start_s, end_s, 1) if ticks else []
    total, done = len(symbols) * (len(bar_chunks) + len(tick_chunks)), 0
    counts: dict[str, int] = {}
    for s in symbols:
        for kind, chunks in (("M1", bar_chunks), ("ticks", tick_chunks)):
            files = []
            for a, b in chunks:
                f = parts / f"{s}_{kind}_{a}.csv"
                if not f.exists():  # done by an earlier run otherwise
                    lines = _bars(api, s, a, b, max_bars) if kind == "M1" else _ticks(api, s, a, b)
                    _part(f, lines)
                files.append(f)
                done += 1
                if progress is not None:
                    progress(done, total, f"{s} {kind}")
            if files:
                header = BAR_HEADER if kind == "M1" else TICK_HEADER
                target = out / f"{s}_{kind}.csv.gz"
                counts[f"{s} {kind}"] = _merge(files, header, target, kind == "M1")
    (out / "fixture.toml").write_text(_manifest(out.name, acc, specs, ticks))
    return counts


def _manifest(name: str, acc: Any, specs: dict[str, SymbolSpec], ticks: bool) -> str:
    hedging = int(acc.margin_mode) == convert.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    lines = [
        "# Downloaded with mt5bridge download from the account below (server time).",
        f'name = "{name}"',
        "",
        "[account]",
        f"login = {int(acc.login)}",
        f"balance = {float(acc.balance)!r}",
        f"leverage = {int(acc.leverage)}",
        f'currency = "{acc.currency}"',
        f"hedging = {'true' if hedging else 'false'}",
    ]
    for s, spec in specs.items():
        lines += ["", f'[symbols."{s}"]', f'file = "{s}_M1.csv.gz"']
        if ticks:
            lines.append(f'ticks = "{s}_ticks.csv.gz"')
        for k in ("digits", "point", "tick_size", "tick_value", "contract_size", "volume_min",
                  "volume_step", "volume_max", "stops_level", "freeze_level", "filling_modes",
                  "trade_mode", "margin_rate", "swap_long", "swap_short"):  # fmt: skip
            lines.append(f"{k} = {getattr(spec, k)!r}")
    return "\n".join(lines) + "\n"

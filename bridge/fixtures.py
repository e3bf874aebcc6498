"""Fixtures: a folder with ``fixture.toml`` (account, symbol specs, data files) and M1 bar files.

Bar files use the MetaTrader5 package's copy_rates CSV layout (optionally gzip-compressed):
``time,open,high,low,close,tick_volume,spread,real_volume`` with ``time`` the bar's open time in
broker server time. ``market_events`` turns them into the ordered tick and bar stream that both
the fake terminal and in-process replay send through the same code.
"""

from __future__ import annotations

import heapq
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bridge import events as ev
from bridge.broker_sim import AccountSettings
from bridge.intrabar import BAR_CLOSE_OFFSET_MS, TICK_OFFSETS_MS, path
from bridge.symbols import SymbolSpec, parse_sessions

BAR_COLUMNS = ("time", "open", "high", "low", "close", "tick_volume", "spread")


class FixtureError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class BarArrays:
    """One symbol's M1 bars as columns (server ms open times, bid OHLC, spread in points)."""

    symbol: str
    time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    tick_volume: np.ndarray
    spread: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ms)


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    account: AccountSettings
    specs: dict[str, SymbolSpec]
    bars: dict[str, BarArrays]


def read_bars(file: Path, symbol: str) -> BarArrays:
    """Read and validate a copy_rates-layout CSV; errors name the file and the row."""
    try:
        df = pd.read_csv(file)
    except (OSError, ValueError) as exc:
        raise FixtureError(f"{file}: cannot read ({exc})") from exc
    missing = [c for c in BAR_COLUMNS if c not in df.columns]
    if missing:
        raise FixtureError(f"{file}: missing columns {missing} (have {list(df.columns)})")
    return bars_from_frame(df, symbol, str(file))


def bars_from_frame(df: pd.DataFrame, symbol: str, where: str) -> BarArrays:
    try:
        times = pd.to_datetime(df["time"], format="mixed")
    except (ValueError, TypeError) as exc:
        raise FixtureError(f"{where}: column time: {exc}") from exc
    t = times.to_numpy("datetime64[ms]").astype(np.int64)
    cols = {}
    for c in ("open", "high", "low", "close"):
        a = pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64)
        bad = np.flatnonzero(~np.isfinite(a))
        if len(bad):
            raise FixtureError(f"{where}: row {bad[0] + 2}: column {c} is not a number")
        cols[c] = a
    o, h, lo, cl = cols["open"], cols["high"], cols["low"], cols["close"]
    checks = [
        (np.diff(t) <= 0, "time is not strictly increasing", 1),
        (h < np.maximum(o, cl), "high below open or close", 0),
        (lo > np.minimum(o, cl), "low above open or close", 0),
        (t % 60_000 != 0, "time is not on a whole minute", 0),
    ]
    for mask, what, shift in checks:
        bad = np.flatnonzero(mask)
        if len(bad):
            raise FixtureError(f"{where}: row {bad[0] + 2 + shift}: {what}")
    spread = pd.to_numeric(df["spread"], errors="coerce").fillna(-1).to_numpy(np.int64)
    if (spread < 0).any():
        raise FixtureError(f"{where}: row {int(np.flatnonzero(spread < 0)[0]) + 2}: bad spread")
    tv = pd.to_numeric(df["tick_volume"], errors="coerce").fillna(0).to_numpy(np.int64)
    return BarArrays(symbol, t, o, h, lo, cl, tv, spread)


def _spec(symbol: str, d: dict[str, Any], where: str) -> SymbolSpec:
    known = set(SymbolSpec.__dataclass_fields__) - {"symbol"}
    fields = {k: v for k, v in d.items() if k in known}
    unknown = set(d) - known - {"file", "source"}
    if unknown:
        raise FixtureError(f"{where}: [symbols.{symbol}] unknown keys {sorted(unknown)}")
    required = (
        "digits",
        "point",
        "tick_size",
        "tick_value",
        "contract_size",
        "volume_min",
        "volume_step",
        "volume_max",
    )
    missing = [k for k in required if k not in fields]
    if missing:
        raise FixtureError(
            f"{where}: [symbols.{symbol}] must state {', '.join(missing)} "
            "(MT5 exports do not contain the symbol specification)"
        )
    try:
        if "sessions" in fields:
            fields["sessions"] = parse_sessions(str(fields["sessions"]))
        return SymbolSpec(symbol=symbol, **fields)
    except (TypeError, ValueError) as exc:
        raise FixtureError(f"{where}: [symbols.{symbol}]: {exc}") from exc


def load_fixture(folder: Path | str) -> Fixture:
    folder = Path(folder)
    manifest = folder / "fixture.toml"
    try:
        raw = tomllib.loads(manifest.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FixtureError(f"{manifest}: {exc}") from exc
    acc = raw.get("account", {})
    try:
        account = AccountSettings(**acc)
    except TypeError as exc:
        raise FixtureError(f"{manifest}: [account]: {exc}") from exc
    specs: dict[str, SymbolSpec] = {}
    bars: dict[str, BarArrays] = {}
    for sym, d in raw.get("symbols", {}).items():
        specs[sym] = _spec(sym, d, str(manifest))
        if "file" in d:
            bars[sym] = read_bars(folder / d["file"], sym)
    if not bars:
        raise FixtureError(f"{manifest}: no [symbols.X] with a file")
    return Fixture(str(raw.get("name", folder.name)), account, specs, bars)


MarketEvent = ev.Tick | ev.Bar


def symbol_events(b: BarArrays, point: float) -> Iterator[tuple[int, int, MarketEvent]]:
    """(time, order, event) for one symbol: four ticks per bar, then the closed M1 bar."""
    sym = b.symbol
    rows = zip(
        b.time_ms.tolist(),
        b.open.tolist(),
        b.high.tolist(),
        b.low.tolist(),
        b.close.tolist(),
        b.tick_volume.tolist(),
        b.spread.tolist(),
        strict=True,
    )
    for t, o, h, lo, c, tv, sp in rows:
        add = sp * point
        for off, bid in zip(TICK_OFFSETS_MS, path(o, h, lo, c), strict=True):
            yield t + off, 1, ev.Tick(sym, t + off, bid, round(bid + add, 10), 0.0, 1, 6)
        yield t + BAR_CLOSE_OFFSET_MS, 0, ev.Bar(sym, 1, t, o, h, lo, c, tv, sp)


def market_events(fx: Fixture) -> Iterator[MarketEvent]:
    """All symbols merged by time; at equal times closed bars come before new ticks, then
    symbols in the fixture's order."""
    streams = []
    for i, (sym, b) in enumerate(fx.bars.items()):
        streams.append(((t, kind, i, e) for t, kind, e in symbol_events(b, fx.specs[sym].point)))
    for _t, _k, _i, e in heapq.merge(*streams, key=lambda x: (x[0], x[1], x[2])):
        yield e

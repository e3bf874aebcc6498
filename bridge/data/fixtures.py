"""Fixtures: a folder with ``fixture.toml`` (account, symbol specs, data files) and M1 bar files.

Bar files use the MetaTrader5 package's copy_rates CSV layout (optionally gzip-compressed):
``time,open,high,low,close,tick_volume,spread,real_volume`` with ``time`` the bar's open time in
broker server time. ``market_events`` turns them into the ordered tick and bar stream that both
the fake terminal and in-process replay send through the same code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import tomllib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bridge.core import events as ev
from bridge.core.aliases import SymbolAliases
from bridge.core.columns import BarArrays, TickArrays
from bridge.core.symbols import SymbolSpec, closest_names, parse_sessions
from bridge.data.account import AccountSettings
from bridge.data.intrabar import BAR_CLOSE_OFFSET_MS, TICK_OFFSETS_MS, path
from bridge.data.sessions import with_early_closes
from bridge.wire.codec import SPEC_FIELDS

BAR_COLUMNS = ("time", "open", "high", "low", "close", "tick_volume", "spread")
# the demo fixture, shipped with the package; a config or --fixture names it "demo"
DEMO_FIXTURE = Path(__file__).resolve().parent / "demo"


def resolve_fixture(name: str, base: Path | None = None) -> Path:
    """A fixture named in a config or on the command line: "demo" is the bundled one; a
    relative path is taken from ``base`` (the config file's folder; the working folder when
    None)."""
    if name == "demo":
        return DEMO_FIXTURE
    path = Path(name).expanduser()
    if path.is_absolute() or base is None:
        return path
    return base / path


class FixtureError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    account: AccountSettings
    specs: dict[str, SymbolSpec]
    bars: dict[str, BarArrays]  # for tick symbols: the M1 bars built from the ticks
    ticks: dict[str, TickArrays] = field(default_factory=dict)
    positions: tuple[ev.Position, ...] = ()  # open when the session starts


@contextlib.contextmanager
def _reading(file: Path) -> Iterator[None]:
    """A file that cannot be read becomes a FixtureError naming it."""
    try:
        yield
    except EOFError as exc:  # a .gz cut short
        raise FixtureError(f"{file}: the file ends early (a compressed file cut short?)") from exc
    except (OSError, ValueError, zlib.error) as exc:
        raise FixtureError(f"{file}: cannot read ({exc})") from exc


def _read_csv(file: Path) -> pd.DataFrame:
    with _reading(file):
        return pd.read_csv(file)


CHUNK_ROWS = 1 << 18  # rows of a bar file parsed at a time (its text columns are transient)


def _read_csv_chunks(file: Path) -> Iterator[pd.DataFrame]:
    """The file's rows, CHUNK_ROWS at a time: only a chunk's strings (the time column) are
    alive at once, not millions of them."""
    with _reading(file):
        yield from pd.read_csv(file, chunksize=CHUNK_ROWS)


def read_bars(
    file: Path, symbol: str, shift_hours: float = 0.0, spread: int | None = None
) -> BarArrays:
    """Read and validate a copy_rates-layout CSV; errors name the file and the row.
    ``timestamp`` and ``volume`` columns (minute bars from other sources) are read as ``time``
    and ``tick_volume``. ``shift_hours`` moves the times into the broker's server time (a file
    in another time zone); ``spread`` (points) is used for every bar, as a file without a
    spread column must state."""
    parts = []
    for df in _read_csv_chunks(file):
        df.columns = [str(c).lower() for c in df.columns]
        aliases = {"timestamp": "time", "volume": "tick_volume"}
        df = df.rename(columns={a: c for a, c in aliases.items() if c not in df.columns})
        if spread is not None:
            df["spread"] = spread
        missing = [c for c in BAR_COLUMNS if c not in df.columns]
        if missing:
            hint = " (state spread = N points for the symbol)" if missing == ["spread"] else ""
            raise FixtureError(f"{file}: missing columns {missing} (have {list(df.columns)}){hint}")
        if shift_hours:
            try:
                df["time"] = pd.to_datetime(df["time"], format="mixed") + pd.Timedelta(
                    hours=shift_hours
                )
            except (ValueError, TypeError) as exc:
                raise FixtureError(f"{file}: column time: {exc}") from exc
        parts.append(_raw_columns(df, str(file)))
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return _checked_bars(symbol, str(file), *cols)


def bars_from_frame(df: pd.DataFrame, symbol: str, where: str) -> BarArrays:
    return _checked_bars(symbol, where, *_raw_columns(df, where))


def _raw_columns(df: pd.DataFrame, where: str) -> tuple[np.ndarray, ...]:
    """Time (ms), open, high, low, close (NaN where not a number), tick volume and spread (-1
    where not a number) of a frame, each a new array (no view keeps the frame's blocks)."""
    try:
        times = pd.to_datetime(df["time"], format="mixed")
    except (ValueError, TypeError) as exc:
        raise FixtureError(f"{where}: column time: {exc}") from exc
    t = times.to_numpy("datetime64[ms]").astype(np.int64)
    prices = [
        pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64, copy=True)
        for c in ("open", "high", "low", "close")
    ]
    tv = pd.to_numeric(df["tick_volume"], errors="coerce").fillna(0).to_numpy(np.int64, copy=True)
    sp = pd.to_numeric(df["spread"], errors="coerce").fillna(-1).to_numpy(np.int64, copy=True)
    return (t, *prices, tv, sp)


def _checked_bars(
    symbol: str,
    where: str,
    t: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    cl: np.ndarray,
    tv: np.ndarray,
    spread: np.ndarray,
) -> BarArrays:
    for c, a in zip(("open", "high", "low", "close"), (o, h, lo, cl), strict=True):
        bad = np.flatnonzero(~(np.isfinite(a) & (a > 0)))
        if len(bad):
            raise FixtureError(f"{where}: row {bad[0] + 2}: column {c} is not a positive number")
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
    if (spread < 0).any():
        raise FixtureError(f"{where}: row {int(np.flatnonzero(spread < 0)[0]) + 2}: bad spread")
    return BarArrays(symbol, t, o, h, lo, cl, tv, spread)


def read_ticks(file: Path, symbol: str) -> TickArrays:
    """A tick file: ``time,bid,ask`` with ``time`` in server time (``YYYY-MM-DD HH:MM:SS.fff``).
    Errors name the file and the row."""
    df = _read_csv(file)
    missing = [c for c in ("time", "bid", "ask") if c not in df.columns]
    if missing:
        raise FixtureError(f"{file}: missing columns {missing} (have {list(df.columns)})")
    times = pd.to_datetime(df["time"], format="mixed", errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        raise FixtureError(f"{file}: row {bad[0] + 2}: unreadable time")
    t = times.to_numpy("datetime64[ms]").astype(np.int64)
    bid = pd.to_numeric(df["bid"], errors="coerce").to_numpy(np.float64)
    ask = pd.to_numeric(df["ask"], errors="coerce").to_numpy(np.float64)
    checks = [
        (np.diff(t) < 0, "time goes backwards", 1),
        (~(np.isfinite(bid) & (bid > 0)), "bid is not a positive number", 0),
        (~(np.isfinite(ask) & (ask >= bid)), "ask is missing or below bid", 0),
    ]
    for mask, what, shift in checks:
        hit = np.flatnonzero(mask)
        if len(hit):
            raise FixtureError(f"{file}: row {hit[0] + 2 + shift}: {what}")
    return TickArrays(symbol, t, bid, ask)


def bars_from_ticks(ticks: TickArrays, point: float) -> BarArrays:
    """M1 bid bars of a tick stream; spread in points at each bar's last tick."""
    minute = ticks.time_ms - ticks.time_ms % 60_000
    starts = np.flatnonzero(np.r_[True, np.diff(minute) != 0])
    ends = np.r_[starts[1:], len(minute)] - 1
    b = ticks.bid
    return BarArrays(
        ticks.symbol,
        minute[starts],
        b[starts],
        np.maximum.reduceat(b, starts),
        np.minimum.reduceat(b, starts),
        b[ends],
        (ends - starts + 1).astype(np.int64),
        np.round((ticks.ask[ends] - b[ends]) / point).astype(np.int64),
    )


def _spec(symbol: str, d: dict[str, Any], where: str) -> SymbolSpec:
    known = set(SymbolSpec.__dataclass_fields__) - {"symbol"}
    fields = {k: v for k, v in d.items() if k in known}
    unknown = set(d) - known - {"file", "ticks", "source", "shift_hours", "spread"}
    if unknown:
        raise FixtureError(f"{where}: [symbols.{symbol}] unknown keys {sorted(unknown)}")
    required = SPEC_FIELDS[1:9]  # digits .. volume_max: what a bar export never carries
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


def read_manifest(folder: Path) -> tuple[Path, dict[str, Any]]:
    """A fixture's ``fixture.toml``, parsed; a FixtureError naming it when it cannot be."""
    manifest = folder / "fixture.toml"
    try:
        return manifest, tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FixtureError(f"{manifest}: {exc}") from exc


def load_fixture(folder: Path | str) -> Fixture:
    folder = Path(folder)
    manifest, raw = read_manifest(folder)
    acc = raw.get("account", {})
    try:
        account = AccountSettings(**acc)
    except (TypeError, ValueError) as exc:
        raise FixtureError(f"{manifest}: [account]: {exc}") from exc
    specs: dict[str, SymbolSpec] = {}
    bars: dict[str, BarArrays] = {}
    ticks: dict[str, TickArrays] = {}
    for sym, d in raw.get("symbols", {}).items():
        specs[sym] = _spec(sym, d, str(manifest))
        if "ticks" in d:
            ticks[sym] = read_ticks(folder / d["ticks"], sym)
            bars[sym] = bars_from_ticks(ticks[sym], specs[sym].point)
        elif "file" in d:
            shift, spread = d.get("shift_hours", 0.0), d.get("spread")
            if not isinstance(shift, int | float) or isinstance(shift, bool):
                raise FixtureError(f"{manifest}: [symbols.{sym}] shift_hours must be a number")
            if spread is not None and (type(spread) is not int or spread < 0):
                raise FixtureError(f"{manifest}: [symbols.{sym}] spread must be points >= 0")
            bars[sym] = read_bars(folder / d["file"], sym, float(shift), spread)
    if not bars:
        raise FixtureError(f"{manifest}: no [symbols.X] with a bar file or a tick file")
    if "start" in raw or "end" in raw:
        bars, ticks = _window(bars, ticks, raw.get("start"), raw.get("end"), str(manifest))
    if raw.get("session_ends_from_data", True) and not ticks:
        specs = {s: with_early_closes(sp, bars[s]) if s in bars else sp for s, sp in specs.items()}
    positions = _positions(raw.get("positions", []), specs, str(manifest))
    return Fixture(str(raw.get("name", folder.name)), account, specs, bars, ticks, positions)


def rename_symbols(fx: Fixture, aliases: SymbolAliases) -> Fixture:
    """The fixture with its (broker's) symbol names turned into the strategies' aliases of
    them: what a replay feeds the strategies, as the live brain renames a terminal's frames."""
    if not aliases:
        return fx
    ours = aliases.ours
    account = dataclasses.replace(
        fx.account, commission={ours(s): c for s, c in fx.account.commission.items()}
    )
    return Fixture(
        fx.name,
        account,
        {ours(s): dataclasses.replace(sp, symbol=ours(s)) for s, sp in fx.specs.items()},
        {ours(s): dataclasses.replace(b, symbol=ours(s)) for s, b in fx.bars.items()},
        {ours(s): dataclasses.replace(t, symbol=ours(s)) for s, t in fx.ticks.items()},
        tuple(p._replace(symbol=ours(p.symbol)) for p in fx.positions),
    )


def require_symbols(fx: Fixture, wanted: dict[str, tuple[str, ...]]) -> None:
    """Every symbol a strategy names must be in the fixture: a strategy asking for ``US100`` of a
    fixture that has ``US100.cash`` would otherwise run with no trades and no message.
    ``wanted``: strategy name -> its symbols. The error names the strategy, the symbol and the
    closest names the fixture has."""
    have = sorted(fx.specs)
    problems = []
    for name, symbols in wanted.items():
        for sym in symbols:
            if sym in fx.specs:
                continue
            close = closest_names(sym, have)
            hint = f"; closest: {', '.join(close)}" if close else f"; it has {', '.join(have)}"
            alias = f'; or alias it: [aliases] {sym} = "{close[0]}"' if close else ""
            problems.append(f"strategy {name} names {sym!r}, not in the fixture{hint}{alias}")
    if problems:
        raise FixtureError(f"fixture {fx.name}: " + "; ".join(problems))


def _positions(
    rows: list[dict[str, Any]], specs: dict[str, SymbolSpec], where: str
) -> tuple[ev.Position, ...]:
    """[[positions]] symbol, side ("buy"/"sell"), volume, price, magic, time: held at the start."""
    out = []
    for i, r in enumerate(rows):
        try:
            sym, side = str(r["symbol"]), str(r["side"])
            if sym not in specs or side not in ("buy", "sell"):
                raise ValueError(f"symbol {sym!r} unknown or side {side!r} not buy/sell")
            if not specs[sym].is_valid_volume(float(r["volume"])):
                raise ValueError(f"volume {r['volume']} is not a valid volume of {sym}")
            from bridge.core.timeutil import parse

            out.append(
                ev.Position(
                    0,
                    sym,
                    side == "buy",
                    float(r["volume"]),
                    float(r["price"]),
                    0.0,
                    0.0,
                    int(r.get("magic", 0)),
                    0.0,
                    0.0,
                    parse(str(r.get("time", "1970-01-01"))),
                    "",
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise FixtureError(f"{where}: positions[{i}]: {exc}") from None
    return tuple(out)


def _window(
    bars: dict[str, BarArrays], ticks: dict[str, TickArrays], start: Any, end: Any, where: str
) -> tuple[dict[str, BarArrays], dict[str, TickArrays]]:
    """Keep [start, end) of every series (server time; either bound may be missing)."""
    from bridge.core.timeutil import parse

    try:
        lo = parse(str(start)) if start is not None else -(2**62)
        hi = parse(str(end)) if end is not None else 2**62
    except ValueError as exc:
        raise FixtureError(f"{where}: start/end: {exc}") from exc
    out_b = {sym: b.between(lo, hi) for sym, b in bars.items()}  # times strictly increasing
    out_t = {}
    for sym, t in ticks.items():
        m = (t.time_ms >= lo) & (t.time_ms < hi)
        out_t[sym] = TickArrays(sym, t.time_ms[m], t.bid[m], t.ask[m])
    return out_b, out_t


MarketEvent = ev.Tick | ev.Bar


def symbol_events(b: BarArrays, point: float) -> Iterator[tuple[int, int, MarketEvent]]:
    """(time, order, event) for one symbol: four ticks per bar, then the closed M1 bar."""
    sym = b.symbol
    for t, o, h, lo, c, tv, sp in b.rows():
        add = sp * point
        for off, bid in zip(TICK_OFFSETS_MS, path(o, h, lo, c), strict=True):
            yield t + off, 1, ev.Tick(sym, t + off, bid, round(bid + add, 10), 0.0, 1, 6)
        yield t + BAR_CLOSE_OFFSET_MS, 0, ev.Bar(sym, 1, t, o, h, lo, c, tv, sp)


def tick_symbol_events(
    ticks: TickArrays, bars: BarArrays
) -> Iterator[tuple[int, int, MarketEvent]]:
    """(time, order, event) for a symbol with recorded ticks: every tick, and each M1 bar at
    the end of its minute (before any tick of the next minute)."""
    sym = ticks.symbol
    tick_stream = (
        (t, 1, ev.Tick(sym, t, bid, ask, 0.0, 1, 6))
        for t, bid, ask in zip(
            ticks.time_ms.tolist(), ticks.bid.tolist(), ticks.ask.tolist(), strict=True
        )
    )
    bar_stream = (
        (t + BAR_CLOSE_OFFSET_MS, 0, ev.Bar(sym, 1, t, o, h, lo, c, tv, sp))
        for t, o, h, lo, c, tv, sp in bars.rows()
    )
    return heapq.merge(tick_stream, bar_stream, key=lambda x: (x[0], x[1]))


def market_events(fx: Fixture) -> Iterator[MarketEvent]:
    """All symbols merged by time; at equal times closed bars come before new ticks, then
    symbols in the fixture's order. Symbols with recorded ticks stream those; the others the
    four-tick path through each M1 bar (bridge.data.intrabar)."""
    streams = []
    for sym, b in fx.bars.items():
        tk = fx.ticks.get(sym)
        src = tick_symbol_events(tk, b) if tk is not None else symbol_events(b, fx.specs[sym].point)
        streams.append(src)
    return _merged(streams)


def bar_events(bars: Iterable[tuple[BarArrays, float]]) -> Iterator[MarketEvent]:
    """M1 bars (each symbol's with its point) as the stream a replay makes of them: the four-tick
    path through each bar, then the bar; symbols merged as ``market_events`` does."""
    return _merged([symbol_events(b, point) for b, point in bars])


def _merged(streams: list[Iterator[tuple[int, int, MarketEvent]]]) -> Iterator[MarketEvent]:
    """By (time, kind); at equal keys in the order of ``streams`` (heapq.merge is stable)."""
    for _t, _k, e in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
        yield e

"""Import MT5 bar exports into fixtures.

Two layouts are read:
* MetaTrader 5 "Export bars" (History Center): tab-separated, header
  ``<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>``, dates ``2026.01.05``;
* the MetaTrader5 Python package's ``copy_rates_*`` frame saved as CSV: ``time,open,high,low,
  close,tick_volume,spread,real_volume`` with ``time`` as text or as epoch seconds (a
  ``timestamp`` column and a missing spread are accepted too, for other minute-bar sources).

MT5 exports hold broker server time and nothing is converted, unless ``shift_hours`` says how
far the file's clock is from the server's (for example +7 for US Eastern standard time to a
UTC+2 server). ``spread`` sets a fixed spread in points for files that have none. The output
is the copy_rates layout, gzip'd.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bridge.core.columns import BarArrays
from bridge.data.fixtures import FixtureError, bars_from_frame, read_manifest

EXPORT_COLUMNS = {
    "<DATE>": "date",
    "<TIME>": "clock",
    "<OPEN>": "open",
    "<HIGH>": "high",
    "<LOW>": "low",
    "<CLOSE>": "close",
    "<TICKVOL>": "tick_volume",
    "<VOL>": "real_volume",
    "<SPREAD>": "spread",
}


def read_mt5_csv(path: Path) -> pd.DataFrame:
    """Either layout -> a frame in the copy_rates layout (``time`` as datetime64)."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as raw:
            head = raw.read(4)
        # MT5 writes its exports as UTF-16 (with a byte order mark) as often as UTF-8
        encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
        with opener(path, "rt", encoding=encoding) as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise FixtureError(f"{path}: cannot read ({exc})") from exc
    try:
        if first.lstrip().startswith("<DATE>"):
            df = pd.read_csv(path, sep="\t", encoding=encoding).rename(columns=EXPORT_COLUMNS)
            missing = sorted(set(EXPORT_COLUMNS.values()) - set(df.columns) - {"real_volume"})
            if missing:
                raise FixtureError(f"{path}: MT5 export without columns {missing}")
            df["time"] = pd.to_datetime(
                df["date"].astype(str)
                + " "
                + df["clock"].astype(object).where(df["clock"].notna(), "00:00:00").astype(str),
                format="%Y.%m.%d %H:%M:%S",
                errors="coerce",
            )
        else:
            df = pd.read_csv(path, encoding=encoding)
            df.columns = [c.lower() for c in df.columns]
            if "timestamp" in df.columns and "time" not in df.columns:
                df = df.rename(columns={"timestamp": "time"})
            if "volume" in df.columns and "tick_volume" not in df.columns:
                df = df.rename(columns={"volume": "tick_volume"})
            if "spread" not in df.columns:
                df["spread"] = 0
            if "time" not in df.columns:
                raise FixtureError(f"{path}: no time column (have {list(df.columns)})")
            if pd.api.types.is_numeric_dtype(df["time"]):
                df["time"] = pd.to_datetime(df["time"], unit="s")
            else:
                df["time"] = pd.to_datetime(df["time"], format="mixed", errors="coerce")
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError) as exc:
        raise FixtureError(f"{path}: {exc}") from exc
    bad = np.flatnonzero(df["time"].isna().to_numpy())
    if len(bad):
        raise FixtureError(f"{path}: row {bad[0] + 2}: unreadable date/time")
    return df


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def specification_from(fixture: Path, symbol: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The account and ``symbol``'s specification as stated in another fixture's manifest."""
    manifest, raw = read_manifest(fixture)
    symbols = raw.get("symbols", {})
    if symbol not in symbols:
        raise FixtureError(
            f"{manifest}: no symbol {symbol!r} to copy the specification of; it has "
            f"{', '.join(sorted(symbols))}"
        )
    spec = {k: v for k, v in symbols[symbol].items() if k != "file"}
    return dict(raw.get("account", {})), spec


def import_csv(
    src: Path,
    symbol: str,
    out_dir: Path,
    shift_hours: float = 0.0,
    spread: int | None = None,
    spec_from: Path | None = None,
    spec_symbol: str | None = None,
) -> tuple[BarArrays, Path]:
    """``spec_from``: a fixture whose account and specification of ``spec_symbol`` (default
    ``symbol``) are copied, marked as copied, instead of a stub to fill in by hand."""
    copied = specification_from(spec_from, spec_symbol or symbol) if spec_from else None
    df = read_mt5_csv(src)
    if shift_hours:
        df["time"] = df["time"] + pd.Timedelta(hours=shift_hours)
    if spread is not None:
        if spread < 0:
            raise FixtureError(f"spread must be >= 0 points, got {spread}")
        df["spread"] = spread
    bars = bars_from_frame(df, symbol, str(src))
    out_dir.mkdir(parents=True, exist_ok=True)
    dst = out_dir / f"{symbol}_M1.csv.gz"
    times = bars.time_ms.astype("datetime64[ms]").astype(str)
    with gzip.GzipFile(dst, "wb", mtime=0) as fh:
        fh.write(b"time,open,high,low,close,tick_volume,spread,real_volume\n")
        lines = (
            f"{t[:10]} {t[11:19]},{o!r},{h!r},{lo!r},{c!r},{v},{s},0\n"
            for t, (_t, o, h, lo, c, v, s) in zip(times, bars.rows(), strict=True)
        )
        fh.write("".join(lines).encode())
    manifest = out_dir / "fixture.toml"
    if not manifest.exists():
        account = ""
        if copied is not None and copied[0]:
            account = f"# copied from {spec_from}: check it against your account\n" + "".join(
                f"{k} = {_toml_value(v)}\n" for k, v in copied[0].items()
            )
        manifest.write_text(f'name = "{out_dir.name}"\n\n[account]\n{account}')
    text = manifest.read_text()
    if f'[symbols."{symbol}"]' not in text:
        if copied is not None:
            body = (
                f"# copied from {spec_from} ({spec_symbol or symbol}): check every value against "
                "your broker's Symbol > Specification\n"
                + "".join(f"{k} = {_toml_value(v)}\n" for k, v in copied[1].items())
            )
        else:
            body = (
                "# State the symbol specification (MT5: Symbol > Specification), or import\n"
                "# again with --spec-from a fixture that states it:\n"
                "# digits, point, tick_size, tick_value, contract_size, volume_min,\n"
                "# volume_step, volume_max (and optionally stops_level, sessions, ...)\n"
            )
        manifest.write_text(text + f'\n[symbols."{symbol}"]\nfile = "{dst.name}"\n' + body)
    return bars, dst

"""Record mode: what a terminal streams becomes a fixture (SPEC section 7).

Ticks go to ``<SYMBOL>_ticks.csv`` (``time,bid,ask``, server time with milliseconds), closed M1
bars to ``<SYMBOL>_M1.csv`` (the copy_rates layout), and on close ``fixture.toml`` states the
account and every symbol specification the terminal sent. Files are written through Python's
buffers (no system call per row), so recording stays off the order path. A recorded fixture
replays its ticks (and the bars built from them) with ``mt5bridge backtest``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec, format_sessions
from bridge.core.timeutil import to_datetime
from bridge.wire.codec import SPEC_FIELDS

_SPEC_KEYS = SPEC_FIELDS[1:-1]  # all but the symbol (the table name) and the sessions


def _stamp(ms: int, millis: bool) -> str:
    d = to_datetime(ms)
    return d.strftime("%Y-%m-%d %H:%M:%S") + (f".{ms % 1000:03d}" if millis else "")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


class Recorder:
    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.specs: dict[str, SymbolSpec] = {}
        self.account: ev.Account | None = None
        self._ticks: dict[str, IO[str]] = {}
        self._bars: dict[str, IO[str]] = {}
        self.counts = {"ticks": 0, "bars": 0}

    def __call__(self, msg: Any) -> None:
        t = type(msg)
        if t is ev.Tick:
            f = self._ticks.get(msg.symbol)
            if f is None:
                f = self._ticks[msg.symbol] = self._open(
                    f"{msg.symbol}_ticks.csv", "time,bid,ask\n"
                )
            f.write(f"{_stamp(msg.time_ms, True)},{msg.bid!r},{msg.ask!r}\n")
            self.counts["ticks"] += 1
        elif t is ev.Bar and msg.timeframe == 1:
            f = self._bars.get(msg.symbol)
            if f is None:
                header = "time,open,high,low,close,tick_volume,spread,real_volume\n"
                f = self._bars[msg.symbol] = self._open(f"{msg.symbol}_M1.csv", header)
            f.write(
                f"{_stamp(msg.time_ms, False)},{msg.open!r},{msg.high!r},{msg.low!r},{msg.close!r},"
                f"{msg.tick_volume},{msg.spread},0\n"
            )
            self.counts["bars"] += 1
        elif t is ev.SymbolInfo:
            self.specs[msg.spec.symbol] = msg.spec
        elif t is ev.Account and self.account is None:
            self.account = msg

    def _open(self, name: str, header: str) -> IO[str]:
        path = self.folder / name
        new = not path.exists()
        f = path.open("a", encoding="ascii")
        if new:
            f.write(header)
        return f

    def close(self) -> Path:
        """Flush the data files and write fixture.toml; returns its path."""
        for f in [*self._ticks.values(), *self._bars.values()]:
            f.close()
        lines = ['name = "recorded"', ""]
        acc = self.account
        if acc is not None:
            lines += [
                "[account]",
                f"login = {acc.login}",
                f"balance = {acc.balance!r}",
                f"leverage = {acc.leverage}",
                f'currency = "{acc.currency}"',
                f"hedging = {_toml_value(acc.hedging)}",
                "",
            ]
        for sym in sorted(set(self._ticks) | set(self._bars)):
            spec = self.specs.get(sym)
            lines.append(f'[symbols."{sym}"]')
            if sym in self._ticks:
                lines.append(f'ticks = "{sym}_ticks.csv"')
            else:
                lines.append(f'file = "{sym}_M1.csv"')
            if spec is None:
                lines.append("# no SPEC frame was received: state the specification here")
            else:
                lines += [f"{k} = {_toml_value(getattr(spec, k))}" for k in _SPEC_KEYS]
                if spec.sessions:
                    lines.append(f'sessions = "{format_sessions(spec.sessions)}"')
            lines.append("")
        path = self.folder / "fixture.toml"
        path.write_text("\n".join(lines))
        return path

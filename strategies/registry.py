"""Strategy kinds a config may name, and how each is built from its [strategies.params].

A kind is one of the built-ins below, an entry point of the group ``mt5bridge.strategies``
(installed packages), or ``"package.module:Class"``. A strategy class is built as
``Class(params, magic=..., name=...)`` where ``params`` is an instance of its parameter
dataclass: ``Class.Params``. Parameters are checked against that dataclass's field types, as
the rest of the config is: a wrong or unknown key is named; numbers may be written as text
("0.1"); a boolean must be true or false; a timeframe may be minutes (15) or "M15", "H1", "D1".
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import typing
from importlib.metadata import entry_points
from typing import Any

from pydantic import TypeAdapter, ValidationError

from bridge.brain.strategy import Strategy
from strategies.compression import Compression
from strategies.compression_params import CompressionParams
from strategies.ema_cross import EmaCross, EmaCrossParams
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams
from strategies.two_bucket import TwoBucket, TwoBucketParams

ENTRY_POINT_GROUP = "mt5bridge.strategies"
KINDS: dict[str, tuple[type[Strategy], type]] = {
    "two_bucket": (TwoBucket, TwoBucketParams),
    "compression": (Compression, CompressionParams),
    "ema_cross": (EmaCross, EmaCrossParams),
    "range_breakout": (RangeBreakout, RangeBreakoutParams),
}
_TIMEFRAME = re.compile(r"([MHD])(\d+)")
_UNIT_MIN = {"M": 1, "H": 60, "D": 1440}


def resolve(kind: str) -> tuple[type[Strategy], type]:
    """The strategy class and its parameter dataclass for ``kind``."""
    if kind in KINDS:
        return KINDS[kind]
    target = kind
    if ":" not in kind:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == kind]
        if not found:
            known = sorted({*KINDS, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})
            raise ValueError(
                f"unknown strategy kind {kind!r}; known: {', '.join(known)}, or "
                "'package.module:Class' for a strategy of your own"
            )
        target = found[0].value
    module, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"strategy kind {kind!r}: cannot load {target!r} ({exc})") from None
    params = getattr(cls, "Params", None)
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ValueError(f"strategy kind {kind!r}: {target} is not a Strategy class")
    if params is None or not dataclasses.is_dataclass(params):
        raise ValueError(
            f"strategy kind {kind!r}: {target} needs a Params attribute: the dataclass of its "
            "parameters"
        )
    return cls, typing.cast(type, params)


def _timeframe(value: Any, key: str) -> Any:
    if isinstance(value, str):
        m = _TIMEFRAME.fullmatch(value.strip().upper())
        if m is None:
            raise ValueError(f"{key}: {value!r} is not a timeframe (minutes, or M15, H1, D1)")
        return _UNIT_MIN[m.group(1)] * int(m.group(2))
    return value


def parse_params(kind: str, ptype: type, params: dict[str, Any]) -> Any:
    """``params`` checked and converted to an instance of ``ptype``."""
    fields = {f.name: f for f in dataclasses.fields(ptype)}
    unknown = sorted(set(params) - set(fields))
    if unknown:
        raise ValueError(f"{kind}: unknown parameter(s) {unknown}; allowed: {sorted(fields)}")
    hints = typing.get_type_hints(ptype)
    values = dict(params)
    for key, value in params.items():
        hint = hints.get(key)
        if "timeframe" in key:
            try:
                values[key] = _timeframe(value, key)
            except ValueError as exc:
                raise ValueError(f"{kind}: {exc}") from None
        if hint is bool and not isinstance(value, bool):
            raise ValueError(f"{kind}: {key}: must be true or false, got {value!r}")
    try:
        return TypeAdapter(ptype).validate_python(values)  # lax: "0.1" is a number
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(parameters)"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {msg}" if key != "(parameters)" else msg)
        raise ValueError(f"{kind}: {'; '.join(lines)}") from None


def build(kind: str, params: dict[str, Any], magic: int, name: str) -> Strategy:
    """Build one strategy; errors name the kind and the bad parameter."""
    cls, ptype = resolve(kind)
    p = parse_params(kind, ptype, params)
    try:
        return cls(p, magic=magic, name=name)  # type: ignore[call-arg]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{kind}: {exc}") from exc

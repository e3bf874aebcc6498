"""The wire codec: one frame = ``TAG|seq|field|field...`` in ASCII (see docs/protocol.md).

Chosen so that MQL5 builds a frame with string concatenation and parses one with StringSplit,
and Python decodes with one ``bytes.split``. Integers in decimal; floats in fixed notation with
at most 8 decimals and no trailing zeros (``canonical_float``); booleans ``0``/``1``. Text fields
never contain ``|`` or line breaks: the encoder replaces them with a space.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec, format_sessions, parse_sessions

PROTOCOL_VERSION = "2.1"
MAX_FRAME_BYTES = 4096


class FrameError(ValueError):
    """A frame that cannot be decoded; the message names the frame type and the field."""


# The protocol's single source of truth for field order and kinds:
# s = text, i = integer, f = float, b = bool (0/1). Field names come from the NamedTuple.
SCHEMA: dict[str, tuple[type[Any], str]] = {
    # session control, both directions
    "HELLO": (ev.Hello, "ssiiss"),
    "CHALLENGE": (ev.Challenge, "sss"),
    "AUTH": (ev.Auth, "s"),
    "WELCOME": (ev.Welcome, "si"),
    "ERROR": (ev.Error, "is"),
    "HB": (ev.Heartbeat, "i"),
    "READY": (ev.Ready, "i"),
    # terminal -> brain
    "TICK": (ev.Tick, "sifffii"),
    "BAR": (ev.Bar, "siiffffii"),
    "ACCOUNT": (ev.Account, "iffffisbi"),
    "TERMINFO": (ev.TerminalInfo, "ibbbbbiiis"),
    "POS": (ev.Position, "isbffffiffis"),
    "ORD": (ev.PendingOrder, "issiffffii"),
    "DEAL": (ev.Deal, "iiissbifffffiii"),
    "RESULT": (ev.OrderResult, "siiiffs"),
    "CLOSED": (ev.PositionClosed, "ii"),
    "ORDGONE": (ev.OrderGone, "iii"),
    "SNAPEND": (ev.SnapshotEnd, "iii"),
    "HBAR": (ev.HistoryBar, "isiffffii"),
    "HISTEND": (ev.HistoryEnd, "isii"),
    # brain -> terminal
    "OPEN": (ev.OpenCmd, "ssiffffiiis"),
    "MODIFY": (ev.ModifyCmd, "siff"),
    "CLOSE": (ev.CloseCmd, "sifi"),
    "CLOSEBY": (ev.CloseByCmd, "sii"),
    "CANCEL": (ev.CancelCmd, "si"),
    "QUERY": (ev.QueryCmd, "s"),
    "SNAPREQ": (ev.SnapshotReq, "i"),
    "DEALSINCE": (ev.DealsSinceReq, "ii"),
    "HALT": (ev.HaltCmd, "s"),
    "HISTREQ": (ev.HistoryReq, "isii"),
}
SPEC_FIELDS = (
    "symbol",
    "digits",
    "point",
    "tick_size",
    "tick_value",
    "contract_size",
    "volume_min",
    "volume_step",
    "volume_max",
    "stops_level",
    "freeze_level",
    "filling_modes",
    "trade_mode",
    "margin_rate",
    "swap_long",
    "swap_short",
    "sessions",
)
_SPEC_KINDS = "sifffffffiiiifffs"
_TAG_OF: dict[type[Any], str] = {cls: tag for tag, (cls, _) in SCHEMA.items()}


def canonical_float(x: float) -> str:
    if not math.isfinite(x):
        raise FrameError(f"cannot encode non-finite number {x}")
    s = f"{x:.8f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _text(s: str) -> str:
    if "|" in s or "\n" in s or "\r" in s:
        s = s.replace("|", " ").replace("\n", " ").replace("\r", " ")
    return s


def _enc_field(kind: str, v: Any) -> str:
    if kind == "f":
        return canonical_float(float(v))
    if kind == "i":
        return str(int(v))
    if kind == "b":
        return "1" if v else "0"
    return _text(str(v))


def encode(msg: Any, seq: int) -> bytes:
    """Encode one event or command with its sequence number."""
    if isinstance(msg, ev.SymbolInfo):
        spec = msg.spec
        vals = [getattr(spec, f) for f in SPEC_FIELDS[:-1]]
        body = "|".join(_enc_field(k, v) for k, v in zip(_SPEC_KINDS, vals, strict=False))
        return f"SPEC|{seq}|{body}|{format_sessions(spec.sessions)}".encode()
    tag = _TAG_OF.get(type(msg))
    if tag is None:
        raise TypeError(f"no frame type for {type(msg).__name__}")
    kinds = SCHEMA[tag][1]
    if tag == "TICK":  # hot path: no generic loop
        return (
            f"TICK|{seq}|{msg.symbol}|{msg.time_ms}|{canonical_float(msg.bid)}|"
            f"{canonical_float(msg.ask)}|{canonical_float(msg.last)}|{msg.volume}|{msg.flags}"
        ).encode()
    if tag == "OPEN":  # the order path: no generic loop either
        return _encode_open(msg, seq)
    return encode_fields(tag, kinds, msg, seq)


def encode_fields(tag: str, kinds: str, msg: Any, seq: int) -> bytes:
    """The generic encoding: each field by its kind."""
    return (f"{tag}|{seq}|" + "|".join(map(_enc_field, kinds, msg))).encode()


def _encode_open(m: ev.OpenCmd, seq: int) -> bytes:
    f = canonical_float
    return (
        f"OPEN|{seq}|{_text(str(m.client_id))}|{_text(str(m.symbol))}|{int(m.order_type)}|"
        f"{f(float(m.volume))}|{f(float(m.price))}|{f(float(m.sl))}|{f(float(m.tp))}|"
        f"{int(m.magic)}|{int(m.deviation)}|{int(m.filling)}|{_text(str(m.comment))}"
    ).encode()


def _conv(kind: str) -> Callable[[bytes], Any]:
    if kind == "f":
        return _to_float
    if kind == "i":
        return int
    if kind == "b":
        return _to_bool
    return _to_text


def _to_float(b: bytes) -> float:
    x = float(b)
    if not math.isfinite(x):
        raise ValueError("not a finite number")
    return x


def _to_bool(b: bytes) -> bool:
    if b == b"1":
        return True
    if b == b"0":
        return False
    raise ValueError("expected 0 or 1")


def _to_text(b: bytes) -> str:
    return b.decode("ascii")


_DECODERS: dict[bytes, tuple[str, type[Any], tuple[Callable[[bytes], Any], ...], tuple[str, ...]]]
_DECODERS = {
    tag.encode(): (tag, cls, tuple(_conv(k) for k in kinds), cls._fields)
    for tag, (cls, kinds) in SCHEMA.items()
}
_SPEC_CONVS = tuple(_conv(k) for k in _SPEC_KINDS)


_SYMBOLS: dict[bytes, str] = {}  # symbol names seen in TICK frames, decoded once
_new_tuple = tuple.__new__


def decode(frame: bytes) -> tuple[int, Any]:
    """Decode one frame -> (seq, message). Raises FrameError naming the problem."""
    if len(frame) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(frame)} bytes exceeds {MAX_FRAME_BYTES}")
    parts = frame.split(b"|")
    tag = parts[0]
    if tag == b"TICK" and len(parts) == 9:  # hot path
        try:
            bid, ask = float(parts[4]), float(parts[5])
            if not (math.isfinite(bid) and math.isfinite(ask)):
                raise ValueError("price not finite")
            sym = _SYMBOLS.get(parts[2])
            if sym is None:
                sym = parts[2].decode("ascii")
                if len(_SYMBOLS) < 4096:
                    _SYMBOLS[parts[2]] = sym
            row = (sym, int(parts[3]), bid, ask, float(parts[6]), int(parts[7]), int(parts[8]))
            return int(parts[1]), _new_tuple(ev.Tick, row)  # Tick(*fields), without kwargs
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameError(f"TICK: {exc}") from None
    if len(parts) < 2:
        raise FrameError(f"frame has no sequence number: {frame[:40]!r}")
    try:
        seq = int(parts[1])
    except ValueError:
        raise FrameError(
            f"{_show(tag)}: sequence number {parts[1][:20]!r} is not an integer"
        ) from None
    if seq < 0:
        raise FrameError(f"{_show(tag)}: negative sequence number {seq}")
    if tag == b"SPEC":
        return seq, _decode_spec(parts[2:])
    entry = _DECODERS.get(tag)
    if entry is None:
        raise FrameError(f"unknown frame type {_show(tag)}")
    name, cls, convs, fields = entry
    values = parts[2:]
    if tag == b"HELLO" and len(values) == 4:  # a 1.x terminal: read, so its version is refused
        values += [b"", b""]
    if len(values) != len(convs):
        raise FrameError(f"{name}: expected {len(convs)} fields, got {len(values)}")
    out = []
    for conv, raw, field in zip(convs, values, fields, strict=True):
        try:
            out.append(conv(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameError(f"{name}.{field}: bad value {raw[:24]!r} ({exc})") from None
    return seq, cls(*out)


def _decode_spec(values: list[bytes]) -> ev.SymbolInfo:
    if len(values) != len(SPEC_FIELDS):
        raise FrameError(f"SPEC: expected {len(SPEC_FIELDS)} fields, got {len(values)}")
    kw: dict[str, Any] = {}
    for conv, raw, field in zip(_SPEC_CONVS, values, SPEC_FIELDS, strict=True):
        try:
            kw[field] = conv(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameError(f"SPEC.{field}: bad value {raw[:24]!r} ({exc})") from None
    try:
        kw["sessions"] = parse_sessions(kw["sessions"])
        return ev.SymbolInfo(SymbolSpec(**kw))
    except ValueError as exc:
        raise FrameError(f"SPEC: {exc}") from None


def _show(tag: bytes) -> str:
    return repr(tag[:16].decode("ascii", "replace"))

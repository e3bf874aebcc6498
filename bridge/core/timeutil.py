"""Broker server time.

Every time in the brain is *broker server time*, counted like MQL5's ``datetime``: milliseconds
since 1970-01-01 00:00 on the server's own wall clock (not UTC). The server clock of a typical
broker is UTC+2 in winter and UTC+3 in summer; nothing here converts to UTC unless an explicit
offset is given. Values are plain ``int`` for speed; the alias names what they mean.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ServerMs = int  # broker server time, milliseconds since the server-clock epoch

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000


def server_ms(dt: datetime) -> ServerMs:
    """A naive datetime read on the server's clock -> server ms. Aware datetimes are refused."""
    if dt.tzinfo is not None:
        raise ValueError(f"server time must be naive (server clock), got aware datetime {dt}")
    return int((dt.replace(tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1))


def to_datetime(ms: ServerMs) -> datetime:
    """Server ms -> naive datetime on the server's clock."""
    return (_EPOCH + timedelta(milliseconds=ms)).replace(tzinfo=None)


def fmt(ms: ServerMs) -> str:
    """Server ms -> 'YYYY-MM-DD HH:MM:SS' (server clock)."""
    return to_datetime(ms).strftime("%Y-%m-%d %H:%M:%S")


def parse(text: str) -> ServerMs:
    """'YYYY-MM-DD HH:MM[:SS]' or 'YYYY.MM.DD HH:MM[:SS]' (server clock) -> server ms."""
    t = text.strip().replace(".", "-", 2)
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return server_ms(datetime.strptime(t, layout))
        except ValueError:
            continue
    raise ValueError(f"not a server time: {text!r} (expected 'YYYY-MM-DD HH:MM[:SS]')")


def day_start(ms: ServerMs) -> ServerMs:
    """Midnight of the server day containing ms."""
    return ms - ms % MS_PER_DAY


def minute_of_day(ms: ServerMs) -> int:
    return (ms % MS_PER_DAY) // MS_PER_MINUTE


def weekday(ms: ServerMs) -> int:
    """Day of week as MQL5 counts it: 0 = Sunday ... 6 = Saturday."""
    # 1970-01-01 was a Thursday (4).
    return (ms // MS_PER_DAY + 4) % 7


def utc_offset_to_server(utc_ms: int, offset_hours: float) -> ServerMs:
    """UTC ms -> server ms for a fixed, explicitly given server offset."""
    return utc_ms + int(offset_hours * MS_PER_HOUR)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

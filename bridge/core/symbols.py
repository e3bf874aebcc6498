"""Symbol specifications and the integer arithmetic of lots and prices.

Lots are compared and stored as whole *volume steps* and prices as whole *points*, never by float
equality. ``SymbolSpec.normalize_lots`` is the one place where a requested volume becomes a
tradeable one (floored to the step, clamped to min and max).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from bridge.core.timeutil import MS_PER_DAY, MS_PER_MINUTE, ServerMs, weekday

# MQL5 ENUM_SYMBOL_TRADE_MODE
TRADE_MODE_DISABLED = 0
TRADE_MODE_LONGONLY = 1
TRADE_MODE_SHORTONLY = 2
TRADE_MODE_CLOSEONLY = 3
TRADE_MODE_FULL = 4

# SYMBOL_FILLING_MODE flags
FILLING_FOK = 1
FILLING_IOC = 2


@dataclass(frozen=True, slots=True)
class Session:
    """A trading session on one weekday (0 = Sunday), minutes of the server day, [start, end).
    A dated session (``day`` >= 0: the server day number, ms // MS_PER_DAY) replaces the
    weekday's sessions on that one day: a holiday or an early close."""

    weekday: int
    start_min: int
    end_min: int
    day: int = -1


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    symbol: str
    digits: int
    point: float
    tick_size: float
    tick_value: float  # account money per tick_size move of one lot
    contract_size: float
    volume_min: float
    volume_step: float
    volume_max: float
    stops_level: int = 0  # points
    freeze_level: int = 0  # points
    filling_modes: int = FILLING_FOK | FILLING_IOC
    trade_mode: int = TRADE_MODE_FULL
    margin_rate: float = 1.0  # initial margin = lots x contract x price x rate / leverage
    swap_long: float = 0.0  # points per lot per day
    swap_short: float = 0.0
    sessions: tuple[Session, ...] = field(default=())  # empty: always open

    def __post_init__(self) -> None:
        problems = []
        if not self.symbol or any(c in self.symbol for c in "|\n\r"):
            problems.append(f"symbol name {self.symbol!r} is empty or has '|' or a line break")
        if not 0 <= self.digits <= 10:
            problems.append(f"digits {self.digits} outside 0..10")
        for name in ("point", "tick_size", "tick_value", "contract_size", "volume_step"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.volume_min <= self.volume_max:
            problems.append(
                f"volume_min {self.volume_min} must be > 0 and <= volume_max {self.volume_max}"
            )
        if self.margin_rate < 0:
            problems.append(f"margin_rate must be >= 0, got {self.margin_rate}")
        if problems:
            raise ValueError(f"symbol spec {self.symbol!r}: " + "; ".join(problems))

    # -- volumes -----------------------------------------------------------------------------
    def lots_to_steps(self, lots: float) -> int:
        """Lots -> whole volume steps, rounded to the nearest step (for already-valid volumes)."""
        return round(lots / self.volume_step)

    def steps_to_lots(self, steps: int) -> float:
        return round(steps * self.volume_step, 8)

    def normalize_lots(self, lots: float) -> float:
        """Floor to the volume step, then clamp to [min, max]; 0 when below the minimum."""
        if not math.isfinite(lots) or lots <= 0:
            return 0.0
        steps = math.floor(lots / self.volume_step + 1e-9)
        min_steps = math.ceil(self.volume_min / self.volume_step - 1e-9)
        max_steps = math.floor(self.volume_max / self.volume_step + 1e-9)
        if steps < min_steps:
            return 0.0
        return self.steps_to_lots(min(steps, max_steps))

    def is_valid_volume(self, lots: float) -> bool:
        if not math.isfinite(lots) or lots <= 0:
            return False
        steps = lots / self.volume_step
        if abs(steps - round(steps)) > 1e-6:
            return False
        return self.lots_to_steps(lots) >= self.lots_to_steps(
            self.volume_min
        ) and self.lots_to_steps(lots) <= self.lots_to_steps(self.volume_max)

    # -- prices ------------------------------------------------------------------------------
    def to_points(self, price: float) -> int:
        return round(price / self.point)

    def normalize_price(self, price: float) -> float:
        """Round to the tick size, then to the symbol's digits."""
        return round(round(price / self.tick_size) * self.tick_size, self.digits)

    def money_per_point(self, lots: float) -> float:
        """Account money of a one-point move on ``lots`` lots (VPP x lots)."""
        return self.tick_value / self.tick_size * self.point * lots

    def profit(self, is_buy: bool, lots: float, open_price: float, close_price: float) -> float:
        diff = close_price - open_price if is_buy else open_price - close_price
        return diff / self.tick_size * self.tick_value * lots

    def margin(self, lots: float, price: float, leverage: int) -> float:
        return lots * self.contract_size * price * self.margin_rate / max(leverage, 1)

    # -- sessions ----------------------------------------------------------------------------
    def is_open(self, t: ServerMs) -> bool:
        day_sessions = self.sessions_on(t // MS_PER_DAY)
        if day_sessions is None:
            return True
        minute = (t % MS_PER_DAY) // MS_PER_MINUTE
        return any(s.start_min <= minute < s.end_min for s in day_sessions)

    def sessions_on(self, day: int) -> tuple[Session, ...] | None:
        """The sessions of one server day: its dated sessions if it has any, else its weekday's;
        None when the symbol has no session table for that day (always open)."""
        if not self.sessions:
            return None
        dated = tuple(s for s in self.sessions if s.day == day)
        if dated:
            return dated
        if all(s.day >= 0 for s in self.sessions):
            return None  # only dated sessions are known: other days are always open
        wd = weekday(day * MS_PER_DAY)
        return tuple(s for s in self.sessions if s.day < 0 and s.weekday == wd)

    def day_close_ms(self, day: int) -> ServerMs | None:
        """When trading ends on one server day (the end of its last session), or None when the
        table does not say (no table, or no session that day)."""
        day_sessions = self.sessions_on(day)
        if not day_sessions:
            return None
        return day * MS_PER_DAY + max(s.end_min for s in day_sessions) * MS_PER_MINUTE


def parse_sessions(text: str) -> tuple[Session, ...]:
    """'1:0105-2349;2:0105-2349' -> sessions; a dated one, '2025-12-24:0105-2015', replaces its
    weekday's sessions on that server day. Empty text: always open."""
    out: list[Session] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        try:
            day, span = part.rsplit(":", 1)
            start, end = span.split("-")
            if len(start) != 4 or len(end) != 4:
                raise ValueError(span)
            start_min = int(start[:2]) * 60 + int(start[2:])
            end_min = int(end[:2]) * 60 + int(end[2:])
            if "-" in day:
                n = date.fromisoformat(day).toordinal() - _EPOCH_ORDINAL
                s = Session(weekday(n * MS_PER_DAY), start_min, end_min, n)
            else:
                s = Session(int(day), start_min, end_min)
        except ValueError as exc:
            raise ValueError(
                f"bad session {part!r}: expected 'D:HHMM-HHMM' (D 0=Sunday) or "
                "'YYYY-MM-DD:HHMM-HHMM'"
            ) from exc
        if not (0 <= s.weekday <= 6 and 0 <= s.start_min < s.end_min <= 1440):
            raise ValueError(f"bad session {part!r}: day 0..6 and 00:00 <= start < end <= 24:00")
        out.append(s)
    return tuple(out)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def format_sessions(sessions: tuple[Session, ...]) -> str:
    def hhmm(minute: int) -> str:
        return f"{minute // 60:02d}{minute % 60:02d}"

    def day(s: Session) -> str:
        if s.day < 0:
            return str(s.weekday)
        return date.fromordinal(_EPOCH_ORDINAL + s.day).isoformat()

    return ";".join(f"{day(s)}:{hhmm(s.start_min)}-{hhmm(s.end_min)}" for s in sessions)


def closest_names(symbol: str, have: list[str]) -> list[str]:
    """The names in ``have`` that ``symbol`` most likely meant (a broker's suffix: US100 ->
    US100.cash), best first."""
    import difflib

    close = difflib.get_close_matches(symbol, have, n=3, cutoff=0.4)
    return close + [h for h in have if h.startswith(symbol) and h not in close]

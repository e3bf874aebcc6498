from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.core.symbols import SymbolSpec, format_sessions, parse_sessions
from bridge.core.timeutil import parse
from tests.helpers import gold_spec


def spec(**kw: object) -> SymbolSpec:
    return gold_spec(**{"volume_max": 50.0, **kw})


@pytest.mark.parametrize(
    ("req", "got"),
    [
        (0.015, 0.01),
        (0.019999, 0.01),
        (0.02, 0.02),
        (0.005, 0.0),
        (123.0, 50.0),
        (-1.0, 0.0),
        (0.07, 0.07),
    ],
)
def test_normalize_lots_floors_to_step_and_clamps(req: float, got: float) -> None:
    assert spec().normalize_lots(req) == got


@given(st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_normalized_lots_are_always_valid_or_zero(x: float) -> None:
    s = spec(volume_min=0.1, volume_step=0.05, volume_max=20.0)
    v = s.normalize_lots(x)
    assert v == 0.0 or s.is_valid_volume(v)
    assert v <= max(x, 0) + 1e-9


def test_bad_spec_names_the_problems() -> None:
    with pytest.raises(ValueError, match="volume_step must be > 0"):
        spec(volume_step=0.0)
    with pytest.raises(ValueError, match="volume_min"):
        spec(volume_min=5.0, volume_max=1.0)


def test_profit_and_money_per_point() -> None:
    s = spec()
    assert s.profit(True, 1.0, 2650.0, 2651.0) == pytest.approx(100.0)
    assert s.profit(False, 0.1, 2650.0, 2651.0) == pytest.approx(-10.0)
    assert s.money_per_point(1.0) == pytest.approx(1.0)


def test_sessions_round_trip_and_open_hours() -> None:
    text = "1:0105-2349;5:0105-2200"
    s = spec(sessions=parse_sessions(text))
    assert format_sessions(s.sessions) == text
    assert s.is_open(parse("2026-01-05 01:05"))  # Monday
    assert not s.is_open(parse("2026-01-05 00:30"))
    assert not s.is_open(parse("2026-01-05 23:49"))
    assert not s.is_open(parse("2026-01-06 12:00"))  # Tuesday: no session listed
    assert not s.is_open(parse("2026-01-09 22:00"))  # Friday after close


@pytest.mark.parametrize("bad", ["1:0105", "8:0100-0200", "1:0300-0200", "x:0100-0200"])
def test_bad_session_text_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="bad session"):
        parse_sessions(bad)

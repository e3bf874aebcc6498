"""Tick paths and locked-hedge fixtures for the compression engine's tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from bridge.core import events as ev
from bridge.core.columns import TickArrays
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import parse
from bridge.data.account import AccountSettings
from bridge.data.fixtures import Fixture, bars_from_ticks

GOLD = SymbolSpec("XAUUSD", 2, 0.01, 0.01, 1.0, 100.0, 0.01, 0.01, 100.0)
START = parse("2026-01-06 10:00")


def path(waypoints: Sequence[float], step: float = 0.5) -> list[float]:
    """Mid prices walking straight between waypoints in ``step`` increments."""
    out = [float(waypoints[0])]
    for a, b in itertools.pairwise(waypoints):
        n = max(1, round(abs(b - a) / step))
        out += [round(a + (b - a) * i / n, 2) for i in range(1, n + 1)]
    return out


def locked_fixture(
    mids: Sequence[float],
    longs: Sequence[tuple[float, float]],
    shorts: Sequence[tuple[float, float]],
    half_spread: float = 0.10,
    magic: int = 0,
    commission: float = 3.0,
    balance: float = 50_000.0,
) -> Fixture:
    """One tick a second along ``mids``; the account starts with the given (lots, price)
    long and short tickets of ``magic``."""
    t = START + np.arange(len(mids), dtype=np.int64) * 1000
    mid = np.asarray(mids, dtype=np.float64)
    ticks = TickArrays("XAUUSD", t, np.round(mid - half_spread, 2), np.round(mid + half_spread, 2))
    pos = [
        ev.Position(0, "XAUUSD", True, v, px, 0, 0, magic, 0, 0, START - 86_400_000, "")
        for v, px in longs
    ]
    pos += [
        ev.Position(0, "XAUUSD", False, v, px, 0, 0, magic, 0, 0, START - 86_400_000, "")
        for v, px in shorts
    ]
    acc = AccountSettings(
        balance=balance, leverage=100, hedging=True, commission={"XAUUSD": commission}
    )
    return Fixture(
        "locked",
        acc,
        {"XAUUSD": GOLD},
        {"XAUUSD": bars_from_ticks(ticks, 0.01)},
        {"XAUUSD": ticks},
        tuple(pos),
    )

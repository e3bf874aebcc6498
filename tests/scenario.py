"""Hand-made bar scenarios for strategy tests: M1 bars by minute, replayed in-process."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bridge.core.columns import BarArrays
from bridge.core.symbols import SymbolSpec
from bridge.core.timeutil import parse
from bridge.data.account import AccountSettings
from bridge.data.fixtures import Fixture
from tests.helpers import index_spec

# (minute offset from start, open, high, low, close)
Row = tuple[int, float, float, float, float]


def bars(symbol: str, start: str, rows: Sequence[Row], spread: int = 0) -> BarArrays:
    t0 = parse(start)
    a = np.array([r[1:] for r in rows], dtype=np.float64).reshape(-1, 4)
    return BarArrays(
        symbol,
        np.array([t0 + r[0] * 60_000 for r in rows], dtype=np.int64),
        a[:, 0],
        a[:, 1],
        a[:, 2],
        a[:, 3],
        np.ones(len(rows), dtype=np.int64),
        np.full(len(rows), spread, dtype=np.int64),
    )


def flat(minutes: range, price: float) -> list[Row]:
    return [(m, price, price, price, price) for m in minutes]


def fixture(
    *series: BarArrays, specs: dict[str, SymbolSpec] | None = None, balance: float = 100_000.0
) -> Fixture:
    specs = specs or {b.symbol: index_spec(b.symbol) for b in series}
    return Fixture(
        "scenario",
        AccountSettings(balance=balance, leverage=100),
        specs,
        {b.symbol: b for b in series},
    )

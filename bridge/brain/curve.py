"""The balance/equity curve as three columns (server ms, balance, equity): 24 bytes a point where
a list of tuples took about 150, filled point by point by the books and a span at a time by the
jumping replay, read as numpy columns by the reports. It still reads as a sequence of
(ms, balance, equity) tuples where that is simpler."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from typing import overload

import numpy as np

Point = tuple[int, float, float]


class Curve:
    __slots__ = ("bal", "eq", "t")

    def __init__(self, points: Iterable[Point] = ()) -> None:
        self.t = array("q")
        self.bal = array("d")
        self.eq = array("d")
        self.extend(points)

    def append(self, p: Point) -> None:
        self.t.append(p[0])
        self.bal.append(p[1])
        self.eq.append(p[2])

    def extend(self, points: Iterable[Point]) -> None:
        for p in points:
            self.append(p)

    def extend_columns(self, t: np.ndarray, bal: np.ndarray | float, eq: np.ndarray) -> None:
        """A span at once: times (int64), balance (a column or one value), equity."""
        n = len(t)
        self.t.frombytes(np.ascontiguousarray(t, dtype=np.int64).tobytes())
        b = np.full(n, bal) if np.ndim(bal) == 0 else np.asarray(bal, dtype=np.float64)
        self.bal.frombytes(np.ascontiguousarray(b, dtype=np.float64).tobytes())
        self.eq.frombytes(np.ascontiguousarray(eq, dtype=np.float64).tobytes())

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the columns: ms (int64), balance, equity."""
        return (
            np.array(self.t, dtype=np.int64),
            np.array(self.bal, dtype=np.float64),
            np.array(self.eq, dtype=np.float64),
        )

    def last_time(self) -> int | None:
        return self.t[-1] if self.t else None

    def __len__(self) -> int:
        return len(self.t)

    def __iter__(self) -> Iterator[Point]:
        return zip(self.t, self.bal, self.eq, strict=True)

    @overload
    def __getitem__(self, i: int) -> Point: ...

    @overload
    def __getitem__(self, i: slice) -> list[Point]: ...

    def __getitem__(self, i: int | slice) -> Point | list[Point]:
        if isinstance(i, slice):
            return list(zip(self.t[i], self.bal[i], self.eq[i], strict=True))
        return (self.t[i], self.bal[i], self.eq[i])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Curve):
            return self.t == other.t and self.bal == other.bal and self.eq == other.eq
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Curve({len(self)} points)"

"""What peers that have not authenticated cost the brain, bounded: their bad frames and refused
handshakes are counted, the first few of each minute logged, the rest summed up in one line a
minute; a flood of them never becomes a flood of log lines and audit rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_MS = 60_000
BURST = 10  # log lines per source and kind in a window; the rest are counted


@dataclass(slots=True)
class LogBudget:
    """Per (source, kind): ``BURST`` lines a window, then counting; ``summary`` once per window
    says how many were not logged."""

    log: Callable[..., None]
    burst: int = BURST
    window_ms: int = WINDOW_MS
    started: int = 0
    used: dict[tuple[str, str], int] = field(default_factory=dict)
    suppressed: dict[tuple[str, str], int] = field(default_factory=dict)

    def note(self, now: int, source: str, kind: str, **detail: Any) -> None:
        if now - self.started >= self.window_ms:
            self.flush(now)
        key = (source, kind)
        n = self.used.get(key, 0)
        if n < self.burst:
            self.used[key] = n + 1
            self.log(kind, **detail)
        else:
            self.suppressed[key] = self.suppressed.get(key, 0) + 1

    def flush(self, now: int) -> None:
        """End the window: one summary line per source and kind that had lines not logged."""
        for (source, kind), n in sorted(self.suppressed.items()):
            secs = self.window_ms // 1000
            self.log("suppressed", source=source, of=kind, count=n, seconds=secs)
        self.used.clear()
        self.suppressed.clear()
        self.started = now


@dataclass(slots=True)
class NoiseStats:
    """Counters of what unauthenticated peers did (in ``status``)."""

    connections: int = 0  # links made for peers that never authenticated (so far)
    bad_frames: int = 0
    dropped: int = 0  # links forgotten for a limit (deadline, bad frames, count)

"""The brain's own clock for timeouts, heartbeats and silence: monotonic milliseconds. It is
never broker server time (bridge/core/timeutil.py) and is never compared with it."""

from __future__ import annotations

import time


def wall_ms() -> int:
    return time.monotonic_ns() // 1_000_000

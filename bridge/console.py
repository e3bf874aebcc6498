"""What every command shares: the exit codes and the progress bar. Imports nothing of ours."""

from __future__ import annotations

import sys
import time

EXIT_OK, EXIT_FAIL, EXIT_INPUT, EXIT_PEER = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by SIGINT


class Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.on = sys.stderr.isatty()
        self.t0 = time.monotonic()

    def __call__(self, done: int, total: int, detail: str = "") -> None:
        if not self.on or total <= 0:
            return
        frac = min(done / total, 1.0)
        bar = "#" * int(frac * 30)
        sys.stderr.write(
            f"\r{self.label} [{bar:<30}] {frac:6.1%} {time.monotonic() - self.t0:5.1f}s"
            f"{'  ' + detail if detail else ''}\x1b[K"
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\n")

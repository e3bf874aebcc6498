"""Fault injection for the crash tests: the brain kills itself with SIGKILL at a named point.

``MT5BRIDGE_CRASH_AT=name:n`` makes the n-th passage through ``hit(name)`` send SIGKILL to the
process, so a test can stop a brain exactly between an order leaving and its result arriving, or
between a fill arriving and its database write, and check what the next start recovers. Unset
(always, outside tests), ``ARMED`` is False and a call site costs one global lookup.

Points: ``frame`` (a frame received, before it is handled), ``deal`` (a fill received, before it
is handled), ``deal_journaled`` (a fill in the local journal, not yet in the database),
``order_journaled`` (an order's row in the local journal, the frame that caused it not yet in
the frame log, the order not sent),
``before_send`` (the frame logged, the commands it caused not yet sent),
``command`` (the commands a frame caused sent, their answers not yet received), ``ready`` (a
frame handled, before READY is sent), ``checkpoint`` (a checkpoint written, the frame log before
it not yet emptied).
"""

from __future__ import annotations

import os
import signal
import time

POINTS = (
    "frame",
    "deal",
    "deal_journaled",
    "order_journaled",
    "before_send",
    "command",
    "ready",
    "checkpoint",
)


def _parse(spec: str) -> tuple[str, int]:
    if not spec:
        return "", 0
    name, _, count = spec.partition(":")
    if name not in POINTS or not count.isdigit() or int(count) < 1:
        raise ValueError(
            f"MT5BRIDGE_CRASH_AT={spec!r}: expected <point>:<n> with point one of {POINTS}, n >= 1"
        )
    return name, int(count)


_NAME, _AT = _parse(os.environ.get("MT5BRIDGE_CRASH_AT", ""))
ARMED = bool(_NAME)
_seen = 0


def hit(name: str, settle_s: float = 0.0) -> None:
    """``settle_s``: wait before the kill (a command just sent reaches the wire: ZeroMQ sends
    from its own thread)."""
    global _seen
    if name != _NAME:
        return
    _seen += 1
    if _seen == _AT:
        time.sleep(settle_s)
        os.kill(os.getpid(), signal.SIGKILL)

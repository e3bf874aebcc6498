"""Notifications to the operator's phone or inbox: fills, halts, terminals gone silent or
disconnected (and back), through apprise (a webhook as ``json://host/path``, Telegram as
``tgram://token/chat``, e-mail as ``mailtos://...``, and the many other services it knows).

Off unless the config names where to send (``[notify]``). Never on the trading path: the brain
puts a message in a bounded queue and goes on; a thread of its own sends them, one at a time,
and a message that finds the queue full is counted and dropped (the log has every event).
apprise is an optional extra (``pip install 'mt5bridge[notify]'``), imported only when used.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("mt5bridge.notify")

# what the brain reports -> the event name a config chooses it by
EVENTS = {
    "fill": "fill",
    "halt": "halt",
    "checkpoint_account_mismatch": "halt",
    "symbol_missing": "halt",
    "resumed": "resume",
    "terminal_silent": "silent",
    "terminal_gone": "disconnect",
    "terminal_back": "connect",
    "terminal_ready": "connect",
    "refusal": "refusal",
}
ALL_EVENTS = frozenset(EVENTS.values())
DEFAULT_EVENTS = ("fill", "halt", "resume", "silent", "disconnect", "connect")
QUEUE_SIZE = 256


class NotifyError(ValueError):
    pass


def apprise_sender(urls: Iterable[str]) -> Callable[[str, str], bool]:
    """A sender over apprise for ``urls``; NotifyError naming a URL apprise cannot use."""
    try:
        import apprise
    except ImportError:
        raise NotifyError(
            "[notify] needs apprise: pip install 'mt5bridge[notify]' (or pip install apprise)"
        ) from None
    ap = apprise.Apprise()
    for url in urls:
        if not ap.add(url):
            # the URL may hold a token: name its scheme only
            raise NotifyError(
                f"[notify] urls: {url.split(':', 1)[0]}://... is not a URL apprise knows"
            )

    def send(title: str, body: str) -> bool:
        return bool(ap.notify(title=title, body=body))

    return send


class Notifier:
    """Takes events from the brain (``event``), sends the chosen ones from its own thread."""

    def __init__(
        self, send: Callable[[str, str], bool], events: Iterable[str] = DEFAULT_EVENTS
    ) -> None:
        unknown = set(events) - ALL_EVENTS
        if unknown:
            raise NotifyError(
                f"[notify] events: unknown {sorted(unknown)} (known: {sorted(ALL_EVENTS)})"
            )
        self.events = frozenset(events)
        self._send = send
        self._q: queue.Queue[tuple[str, str] | None] = queue.Queue(QUEUE_SIZE)
        self.sent = self.failed = self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()

    def event(self, kind: str, detail: dict[str, Any]) -> None:
        """What the brain logged: queued if it is a chosen event (never waits)."""
        name = EVENTS.get(kind)
        if name is None or name not in self.events:
            return
        title, body = describe(kind, detail)
        try:
            self._q.put_nowait((title, body))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            try:
                ok = self._send(*item)
            except Exception as exc:  # a service down must not end the thread
                ok = False
                log.warning("notification not sent: %s: %s", type(exc).__name__, exc)
            if ok:
                self.sent += 1
            else:
                self.failed += 1

    def close(self, timeout_s: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout_s``), then stop."""
        try:
            self._q.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)


def describe(kind: str, d: dict[str, Any]) -> tuple[str, str]:
    """A title and a one-line body for a phone."""
    tid = d.get("terminal", "")
    if kind == "fill":
        side = "buy" if d.get("is_buy") else "sell"
        return (
            f"fill {d.get('symbol')} {side} {d.get('volume')}",
            f"{side} {d.get('volume')} {d.get('symbol')} at {d.get('price')} (deal "
            f"{d.get('ticket')}, position {d.get('position_id')}, profit {d.get('profit')})",
        )
    if kind == "refusal":
        return "order refused by the risk gate", f"magic {d.get('magic')}: {d.get('reason')}"
    if kind in ("halt", "checkpoint_account_mismatch", "symbol_missing"):
        return f"trading halted on {tid}", str(d.get("reason", kind))
    if kind == "resumed":
        return f"trading resumed on {tid}", str(d.get("reason", "resynchronised"))
    if kind == "terminal_silent":
        return f"terminal {tid} silent", f"no frame for {d.get('ms')} ms: trading halted"
    if kind == "terminal_gone":
        return f"terminal {tid} disconnected", "connection closed: trading halted"
    return f"terminal {tid} connected", "the EA is connected to the brain"

"""Who may see and steer the dashboard.

* One token opens it: derived from the terminal secret (HMAC with a label of its own, so the
  token reveals nothing of the secret), or read from the environment variable ``token_env``
  names. It travels in a login form's body or an ``Authorization: Bearer`` header, never in a
  URL (a URL lands in logs and browser history; a ``#token=`` fragment, which browsers never
  send, is read by the login page's script and posted).
* A login gives a session: a random id in an HttpOnly, SameSite=Strict cookie, and a CSRF
  value the page sends back in a header with every control. Controls and the WebSocket also
  need an Origin equal to the dashboard's own.
* Wrong tokens are throttled: after ``MAX_FAILURES`` in a minute every login is refused for the
  rest of that minute.
* It listens on loopback unless ``allow_remote`` says otherwise."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections import deque
from dataclasses import dataclass

from bridge.wire.endpoints import LOOPBACK

LABEL = b"mt5bridge dashboard token v1"
COOKIE = "mt5bridge_session"
SESSION_MS = 12 * 3_600_000
MAX_FAILURES = 20  # wrong tokens a minute before logins are refused for the rest of it
MAX_SESSIONS = 256


def derived_token(secret: bytes) -> str:
    """The dashboard's token when the config names none: 32 hex digits."""
    return hmac.new(secret, LABEL, hashlib.sha256).hexdigest()[:32]


def token_from_env(var: str) -> str:
    value = os.environ.get(var, "")
    if len(value) < 16:
        raise ValueError(
            f"dashboard.token_env: environment variable {var} "
            + ("is not set" if not value else f"holds {len(value)} characters")
            + ": it must hold the dashboard's token, at least 16 characters"
        )
    return value


def check_listen(host: str, allow_remote: bool) -> None:
    if host not in LOOPBACK and not allow_remote:
        raise ValueError(
            f"dashboard.listen host {host!r} is not loopback: anyone who reaches it could try "
            "the token and, over plain HTTP, read it; set allow_remote = true in [dashboard] to "
            "do it on purpose (and give tls_cert and tls_key, or put it behind a TLS proxy)"
        )


@dataclass(slots=True)
class Session:
    csrf: str
    expires_ms: int


class Throttled(Exception):
    pass


class Sessions:
    def __init__(self, token: str) -> None:
        if len(token) < 16:
            raise ValueError("the dashboard's token must have at least 16 characters")
        self._token = token.encode()
        self._sessions: dict[str, Session] = {}
        self._failures: deque[int] = deque()

    def token_ok(self, given: str, now_ms: int) -> bool:
        """A token check (login or bearer header), throttled after repeated failures."""
        while self._failures and self._failures[0] <= now_ms - 60_000:
            self._failures.popleft()
        if len(self._failures) >= MAX_FAILURES:
            raise Throttled("too many wrong tokens in the last minute: try again later")
        if hmac.compare_digest(given.encode(), self._token):
            return True
        self._failures.append(now_ms)
        return False

    def login(self, given: str, now_ms: int) -> str | None:
        """A new session's id for the right token; None for a wrong one."""
        if not self.token_ok(given, now_ms):
            return None
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires_ms > now_ms}
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda k: self._sessions[k].expires_ms)
            del self._sessions[oldest]
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = Session(secrets.token_urlsafe(32), now_ms + SESSION_MS)
        return sid

    def get(self, sid: str | None, now_ms: int) -> Session | None:
        s = self._sessions.get(sid or "")
        return s if s is not None and s.expires_ms > now_ms else None

    def logout(self, sid: str | None) -> None:
        self._sessions.pop(sid or "", None)


def same_origin(origin: str | None, host: str | None, scheme: str) -> bool:
    """The request comes from a page of the dashboard itself (Origin is what browsers send with
    a cross-site request; a request without one is not a browser's cross-site one)."""
    if origin is None:
        return True
    return host is not None and origin == f"{scheme}://{host}"

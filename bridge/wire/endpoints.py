"""Where a brain may bind: checked before any socket exists (the config's own validation runs
this without loading the live server)."""

from __future__ import annotations

LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def check_bind(endpoint: str, allow_remote: bool) -> None:
    if not endpoint.startswith("tcp://"):
        if endpoint.startswith(("ipc://", "inproc://")):
            return
        raise ValueError(f"endpoint {endpoint!r}: expected tcp://HOST:PORT")
    host = endpoint[6:].rsplit(":", 1)[0]
    if host not in LOOPBACK and not allow_remote:
        raise ValueError(
            f"endpoint {endpoint!r} is not loopback: binding {host} exposes the brain "
            "to the network; set allow_remote = true in [brain] to do it on purpose"
        )

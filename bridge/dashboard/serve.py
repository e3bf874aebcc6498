"""The dashboard on a thread of its own: uvicorn serving the app over a socket bound here (so a
port in use is an error at start, naming it), fed by the brain's ``Feed``."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from bridge.dashboard.access import Sessions, check_listen
from bridge.dashboard.app import Control, make_app
from bridge.dashboard.feed import Feed
from bridge.dashboard.hub import Hub


class MissingExtra(ValueError):
    pass


class PortTaken(ValueError):
    pass


class Dashboard:
    def __init__(
        self,
        feed: Feed,
        control: Control,
        token: str,
        listen: str = "127.0.0.1:8787",
        allow_remote: bool = False,
        tls: tuple[str, str] | None = None,
    ) -> None:
        try:
            import uvicorn
        except ImportError:
            raise MissingExtra(
                "the dashboard needs FastAPI and uvicorn: pip install 'mt5bridge[dashboard]'"
            ) from None
        host, _, port = listen.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(
                f"dashboard.listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8787"
            )
        check_listen(host, allow_remote)
        self.feed = feed
        self.hub = Hub(self._take)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, int(port)))
        except OSError as exc:
            self.sock.close()
            raise PortTaken(
                f"dashboard.listen {listen}: cannot bind: {exc.strerror}; is another brain's "
                "dashboard there? choose another port"
            ) from None
        bound = self.sock.getsockname()
        scheme = "https" if tls else "http"
        shown = f"[{bound[0]}]" if family == socket.AF_INET6 else bound[0]
        self.url = f"{scheme}://{shown}:{bound[1]}/"
        app = make_app(self.hub, Sessions(token), control, secure=tls is not None)
        extra: dict[str, Any] = {}
        if tls is not None:
            extra = {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]}
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            ws="websockets-sansio",
            lifespan="on",
            **extra,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="dashboard", daemon=True)

    def _take(self) -> str | None:
        try:
            return self.feed.out.popleft()
        except IndexError:
            return None

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self, wait_s: float = 10.0) -> None:
        self.thread.start()
        end = time.monotonic() + wait_s
        while not self.server.started and self.thread.is_alive() and time.monotonic() < end:
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError(f"the dashboard did not start within {wait_s} s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()

"""Notifications: fills, halts, silent and disconnected terminals reach a webhook through
apprise, off the trading path (a slow webhook changes nothing of the trades)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bridge.cli import EXIT_INPUT, EXIT_OK, EXIT_PEER, main
from bridge.config import ConfigError, parse_config
from bridge.data.fixtures import load_fixture
from bridge.live.notify import QUEUE_SIZE, Notifier, NotifyError, apprise_sender
from bridge.sim.fake_terminal import FakeTerminal, Faults
from tests.test_e2e import SECRET, Brain, expected_trades


class Hook:
    """A local webhook: keeps what apprise's json:// posts; ``delay_s`` per request."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.got: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay_s)
                hook.got.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def titles(self) -> list[str]:
        return [str(m.get("title", "")) for m in self.got]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def test_only_the_chosen_events_are_sent_and_a_full_queue_drops_not_waits() -> None:
    sent: list[tuple[str, str]] = []
    gate = threading.Event()

    def slow(title: str, body: str) -> bool:
        gate.wait(5)
        sent.append((title, body))
        return True

    n = Notifier(slow, ["halt"])
    n.event("terminal_silent", {"terminal": "t1", "ms": 3100})  # not chosen
    t0 = time.perf_counter()
    for i in range(QUEUE_SIZE + 50):
        n.event("halt", {"terminal": "t1", "reason": f"r{i}"})
    assert time.perf_counter() - t0 < 1.0 and n.dropped >= 49  # never waited for the sender
    gate.set()
    n.close()
    assert sent[0] == ("trading halted on t1", "r0") and n.sent == len(sent)
    assert all(t.startswith("trading halted") for t, _b in sent)


def test_a_sender_that_raises_is_counted_and_the_notifier_goes_on() -> None:
    calls: list[str] = []

    def flaky(title: str, body: str) -> bool:
        calls.append(title)
        if len(calls) == 1:
            raise OSError("service down")
        return True

    n = Notifier(flaky, ["halt"])
    n.event("halt", {"terminal": "t", "reason": "a"})
    n.event("halt", {"terminal": "t", "reason": "b"})
    n.close()
    assert (n.failed, n.sent) == (1, 1)


@pytest.mark.parametrize(
    ("notify", "error"),
    [
        ({"events": ["fills"]}, "notify.events: Value error, unknown ['fills']"),
        ({"urls": "json://x"}, "notify.urls"),
    ],
)
def test_bad_notify_sections_name_the_key(notify: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error.replace("[", r"\[").replace("]", r"\]")):
        parse_config({"notify": notify})


def test_a_url_apprise_cannot_use_is_named_by_its_scheme_only() -> None:
    with pytest.raises(NotifyError, match=r"nosuch://\.\.\. is not a URL apprise knows"):
        apprise_sender(["nosuch://secret-token@host"])


def test_notify_test_sends_one_message_and_says_when_it_cannot(
    tmp_path: Path, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "c.toml"
    monkeypatch.setenv("MY_HOOKS", hook.url)
    cfg.write_text('[notify]\nurls_env = "MY_HOOKS"\n')
    assert main(["notify-test", "--config", str(cfg)]) == EXIT_OK
    assert hook.titles() == ["mt5bridge test"]
    cfg.write_text('[notify]\nurls = ["json://127.0.0.1:9/nothing-listens"]\n')
    assert main(["notify-test", "--config", str(cfg)]) == EXIT_PEER
    cfg.write_text("[notify]\n")
    assert main(["notify-test", "--config", str(cfg)]) == EXIT_INPUT


def test_fills_and_a_silent_terminal_reach_the_webhook_off_the_trading_path(
    tmp_path: Path, day_fixture: Path
) -> None:
    """A webhook answering in 300 ms: the brain's trades are the replay's all the same, and
    the fills, the silence (a halt) and the terminal's return are notified."""
    slow = Hook(delay_s=0.3)
    b = Brain(tmp_path, silence_ms=400, extra={"notify": {"urls": [slow.url]}})
    try:
        ft = FakeTerminal(
            load_fixture(day_fixture),
            b.endpoint,
            SECRET,
            faults=Faults(silence_after=3000, silence_s=1.0),
        )
        ft.run()
        trades = [tuple(t) for t in b.engine.portfolio.trades]
    finally:
        b.runner.stop()  # sends what is queued
        slow.close()
    assert trades == expected_trades(day_fixture)
    titles = slow.titles()
    assert any(t.startswith("fill ") for t in titles)
    assert "terminal fake-1 silent" in titles and "terminal fake-1 connected" in titles
    assert titles.index("terminal fake-1 silent") < len(titles) - 1

"""The live dashboard without a browser: its access rules (tokens, sessions, CSRF, origins,
where it may listen), the page's control requests, the generic pause in the engine, the hub's
history, and its HTTP and WebSocket endpoints over real sockets against a live brain."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from bridge.brain.engine import PAUSED
from bridge.brain.strategy import Close, Open
from bridge.config import ConfigError, parse_config
from bridge.core import events as ev
from bridge.dashboard import access
from bridge.dashboard.app import control_request
from bridge.dashboard.hub import BACKLOG, Client, Hub
from tests.dashboard_rig import BUSY, PLAN, SECRET, live_brain
from tests.helpers import Scripted, engine, tick


# -- access ----------------------------------------------------------------------------------
def test_the_derived_token_is_stable_and_reveals_nothing_of_the_secret() -> None:
    t = access.derived_token(SECRET)
    assert t == access.derived_token(SECRET) and len(t) == 32 and int(t, 16) >= 0
    assert t != access.derived_token(SECRET + b"x")
    assert SECRET.decode() not in t and SECRET.hex()[:16] not in t


def test_a_session_needs_the_right_token_and_ends() -> None:
    s = access.Sessions("0123456789abcdef0123")
    assert s.login("wrong-token-0000000000", 0) is None
    sid = s.login("0123456789abcdef0123", 0)
    assert sid is not None and s.get(sid, 1) is not None
    assert s.get(sid, access.SESSION_MS + 1) is None  # expired
    assert s.get("made-up", 1) is None and s.get(None, 1) is None
    s.logout(sid)
    assert s.get(sid, 2) is None


def test_wrong_tokens_are_throttled_even_for_the_right_one() -> None:
    s = access.Sessions("0123456789abcdef0123")
    for i in range(access.MAX_FAILURES):
        assert s.login(f"guess{i:016d}", 1000 + i) is None
    with pytest.raises(access.Throttled):
        s.login("0123456789abcdef0123", 2000)
    assert s.login("0123456789abcdef0123", 62_000) is not None  # a minute later


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        access.Sessions("short")


def test_the_token_from_the_environment_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASH_TOKEN", raising=False)
    with pytest.raises(ValueError, match="DASH_TOKEN is not set"):
        access.token_from_env("DASH_TOKEN")
    monkeypatch.setenv("DASH_TOKEN", "abc")
    with pytest.raises(ValueError, match="holds 3 characters"):
        access.token_from_env("DASH_TOKEN")
    monkeypatch.setenv("DASH_TOKEN", "a" * 20)
    assert access.token_from_env("DASH_TOKEN") == "a" * 20


def test_origins() -> None:
    assert access.same_origin(None, "127.0.0.1:8787", "http")
    assert access.same_origin("http://127.0.0.1:8787", "127.0.0.1:8787", "http")
    assert not access.same_origin("http://evil.example", "127.0.0.1:8787", "http")
    assert not access.same_origin("https://127.0.0.1:8787", "127.0.0.1:8787", "http")
    assert not access.same_origin("http://127.0.0.1:8787", None, "http")


def test_a_non_loopback_dashboard_needs_allow_remote() -> None:
    with pytest.raises(ConfigError, match=r"dashboard\.listen: '0\.0\.0\.0:8787' is not loop"):
        parse_config({"dashboard": {"listen": "0.0.0.0:8787"}}, "x.toml")
    cfg = parse_config({"dashboard": {"listen": "0.0.0.0:8787", "allow_remote": True}})
    assert cfg.dashboard is not None and cfg.dashboard.allow_remote
    with pytest.raises(ConfigError, match="tls_cert and tls_key"):
        parse_config({"dashboard": {"tls_cert": "c.pem"}}, "x.toml")
    with pytest.raises(ConfigError, match=r"dashboard\.every_ms"):
        parse_config({"dashboard": {"every_ms": 1}}, "x.toml")
    assert parse_config({}).dashboard is None  # off unless configured


# -- the page's control requests -------------------------------------------------------------
def test_control_requests_become_the_cli_verbs() -> None:
    assert control_request({"action": "halt"}) == ("halt", "halted from the dashboard")
    assert control_request({"action": "resume_all"}) == ("resume", "")
    assert control_request({"action": "pause", "strategy": "a"}) == ("strategy", "a:pause:")
    assert control_request({"action": "plan_stop", "strategy": "p"}) == ("strategy", "p:stop:")
    assert control_request({"action": "plan_reset", "strategy": "p"}) == ("strategy", "p:reset:")
    assert control_request({"action": "plan_leverage", "strategy": "p", "arg": "3"}) == (
        "strategy",
        "p:leverage:3.0",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "explode"}, "unknown action 'explode'"),
        ({"action": "pause"}, "'strategy' must name a strategy"),
        ({"action": "pause", "strategy": "a:stop"}, "'strategy' must name a strategy"),
        ({"action": "pause", "strategy": "a|b"}, "'strategy' must name a strategy"),
        ({"action": "plan_leverage", "strategy": "p", "arg": "-1"}, "leverage in"),
        ({"action": "plan_leverage", "strategy": "p", "arg": "nan"}, "leverage in"),
        ({"action": "plan_leverage", "strategy": "p"}, "leverage in"),
    ],
)
def test_bad_control_requests_say_what_is_wrong(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        control_request(body)


# -- the engine's pause ----------------------------------------------------------------------
def test_a_paused_strategy_opens_nothing_but_still_closes() -> None:
    s = Scripted(magic=7)
    e, sent = engine([s])
    e.handle(tick())
    e.control("scripted7", "pause")  # Scripted has no pause of its own: the gate's holds it
    assert e.strategy_status("scripted7")["running"] == "paused"
    assert e.gate.halted_magics[7] == PAUSED
    s.next = [Open("US100", True, 1.0)]
    e.handle(tick(T1 := 1_700_000_001_000))
    assert sent == [] and "paused by the operator" in s.rejections[-1].reason
    e.handle(ev.Position(55, "US100", True, 1.0, 21000.0, 0, 0, 7, 0, 0, T1, ""))
    s.next = [Close(55)]
    e.handle(tick(T1 + 1000))
    assert len(sent) == 1 and isinstance(sent[0], ev.CloseCmd)  # the close still goes
    e.control("scripted7", "resume")
    assert e.strategy_status("scripted7")["running"] == "live" and 7 not in e.gate.halted_magics
    s.next = [Open("US100", True, 1.0)]
    e.handle(tick(T1 + 2000))
    assert isinstance(sent[-1], ev.OpenCmd)


def test_resume_does_not_lift_a_halt_that_is_not_a_pause() -> None:
    s = Scripted(magic=7)
    e, _ = engine([s])
    e.gate.halted_magics[7] = "reconciliation: unknown position"
    e.control("scripted7", "resume")
    assert e.gate.halted_magics[7] == "reconciliation: unknown position"
    assert e.strategy_status("scripted7")["running"] == "halted"


# -- the hub ---------------------------------------------------------------------------------
def _update(seq: int, t: int) -> str:
    return json.dumps(
        {
            "seq": seq,
            "brain": {},
            "terminals": {},
            "engines": {"T": {"curve": [[t, 1.0, 2.0]], "strategies": {"s": {"equity": [t, 3.0]}}}},
            "rows": [
                ["T", "deal", {"time_ms": t}],
                ["T", "allocation_change", {}],
                ["T", "risk", {}],
            ],
            "bars": [["T", "US100", t, 1, 2, 0.5, 1.5]],
        }
    )


def test_the_hub_keeps_the_history_and_drops_a_page_that_falls_behind() -> None:
    waiting = [_update(i, 60 * i) for i in range(1, 4)]
    hub = Hub(lambda: waiting.pop(0) if waiting else None)

    async def go() -> tuple[Client, Client]:
        fast, slow = Client(), Client()
        hub.clients |= {fast, slow}
        assert hub.pump() == 3
        while not fast.queue.empty():
            fast.queue.get_nowait()
        waiting.extend(_update(i, 60 * i) for i in range(4, 4 + BACKLOG))
        hub.pump()
        return fast, slow

    fast, slow = asyncio.run(go())
    assert slow.dropped and slow not in hub.clients and not fast.dropped
    h = json.loads(hub.history())
    n = 3 + BACKLOG
    assert h["state"]["seq"] == n and h["state"]["engines"]["T"]["curve"] == []
    assert len(h["curve"]["T"]) == n and len(h["strategy_curve"]["T/s"]) == n
    assert len(h["bars"]["US100"]) == n and len(h["fills"]) == n and len(h["changes"]) == n
    assert len(h["rows"]) == min(3 * n, 300)


# -- over real sockets against a live brain --------------------------------------------------
def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, Any]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kw: Any) -> None:
        return None


def _post(opener: Any, url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str, Any]:
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


def _wait(cond: Any, what: str, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.mark.e2e
def test_every_request_and_the_websocket_need_the_token(tmp_path: Path) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with live_brain(tmp_path, [BUSY, PLAN], rate=4000, limit=8000) as rig:
        url, token = rig.url, rig.token
        assert _get(url + "api/state")[0] == 401
        assert _get(url + "api/state", {"Authorization": "Bearer " + "0" * 32})[0] == 401
        assert _get(url + "static/app.js")[0] == 401
        assert _get(url + "static/lightweight-charts.js")[0] == 401
        code, page, headers = _get(url)
        assert code == 200 and 'name="token"' in page and token not in page
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        _wait(
            lambda: '"fake-1"' in _get(url + "api/state", {"Authorization": f"Bearer {token}"})[1],
            "the terminal in the state",
        )
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        code, page, _ = _post(opener, url + "login", b"token=" + b"1" * 32, form)
        assert code == 401 and "wrong token" in page and not list(jar)
        code, _, headers = _post(opener, url + "login", f"token={token}".encode(), form)
        cookie = headers["set-cookie"]
        assert code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie
        (c,) = list(jar)
        code, page, _ = _post(
            opener,
            url + "login",
            f"token={token}".encode(),
            {**form, "Origin": "http://evil.example"},
        )
        assert code == 403
        req = urllib.request.Request(url)
        with opener.open(req, timeout=10) as r:
            page = r.read().decode()
        assert 'name="csrf"' in page and token not in page and SECRET.decode() not in page
        csrf = page.split('name="csrf" content="')[1].split('"')[0]
        body = json.dumps({"action": "pause", "strategy": "busy_cross"}).encode()
        js = {"Content-Type": "application/json"}
        assert _post(opener, url + "api/control", body, js)[0] == 403  # no CSRF value
        assert _post(opener, url + "api/control", body, {**js, "X-CSRF-Token": "x"})[0] == 403
        evil = {**js, "X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        assert _post(opener, url + "api/control", body, evil)[0] == 403
        plain = urllib.request.build_opener(_NoRedirect)
        assert _post(plain, url + "api/control", body, {**js, "X-CSRF-Token": csrf})[0] == 401
        code, text, _ = _post(opener, url + "api/control", body, {**js, "X-CSRF-Token": csrf})
        assert code == 200 and json.loads(text)["ok"], text
        bad = json.dumps({"action": "pause", "strategy": "nobody"}).encode()
        code, text, _ = _post(opener, url + "api/control", bad, {**js, "X-CSRF-Token": csrf})
        assert code == 400 and "no strategy named 'nobody'" in text
        ws_url = url.replace("http://", "ws://") + "ws"
        for headers_ in (
            {},
            {"Cookie": f"{access.COOKIE}=made-up"},
            {"Cookie": f"{c.name}={c.value}", "Origin": "http://evil.example"},
        ):
            with pytest.raises(InvalidStatus):
                connect(ws_url, additional_headers=headers_, open_timeout=5).close()
        with connect(ws_url, additional_headers={"Cookie": f"{c.name}={c.value}"}) as ws:
            first = json.loads(ws.recv(timeout=10))
            assert first["type"] == "init" and "fake-1" in first["state"]["terminals"]
            second = json.loads(ws.recv(timeout=10))
            assert second.get("type") == "ping" or second["seq"] > first["state"]["seq"]
    assert not rig.errors, rig.errors


def test_run_dashboard_and_its_token_from_the_command_line(tmp_path: Path) -> None:
    cfg = tmp_path / "brain.toml"
    port = _free_port()
    cfg.write_text(
        '[brain]\nendpoint = "tcp://127.0.0.1:0"\ncontrol_endpoint = "tcp://127.0.0.1:0"\n'
        f'[store]\nurl = "sqlite:///{tmp_path}/s.sqlite"\n'
        f'[dashboard]\nlisten = "127.0.0.1:{port}"\n'
    )
    env = {"MT5BRIDGE_SECRET": SECRET.decode(), "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "bridge.cli"]
    out = subprocess.run(
        [*cli, "dashboard-token", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip() == access.derived_token(SECRET)
    brain = subprocess.Popen(
        [*cli, "run", "--config", str(cfg), "--idle-exit", "6"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(lambda: _up(f"http://127.0.0.1:{port}/"), "the dashboard up", 30)
        auth = {"Authorization": f"Bearer {access.derived_token(SECRET)}"}
        assert _get(f"http://127.0.0.1:{port}/api/state", auth)[0] == 200
    finally:
        brain.terminate()
        _, err = brain.communicate(timeout=30)
    assert f"dashboard on http://127.0.0.1:{port}/" in err
    # the port is taken (by another brain's dashboard): an error that says so, exit code 2
    with _listening() as taken:
        cfg.write_text(cfg.read_text().replace(f":{port}", f":{taken}"))
        out = subprocess.run(
            [*cli, "run", "--config", str(cfg)], env=env, capture_output=True, text=True, timeout=60
        )
    assert out.returncode == 2 and f"dashboard.listen 127.0.0.1:{taken}: cannot bind" in out.stderr


def _up(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except urllib.error.URLError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _listening:
    def __enter__(self) -> int:
        import socket

        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen()
        return int(self.s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.s.close()


# -- the feed --------------------------------------------------------------------------------
def test_the_feed_publishes_at_quiet_moments_or_when_overdue() -> None:
    from bridge.dashboard.feed import Feed
    from bridge.live.server import BrainServer

    srv = BrainServer(lambda tid, send: None, endpoint="tcp://127.0.0.1:0", secret=b"x")
    try:
        feed = Feed(srv, every_ms=100)
        feed.last_wall = 1000
        feed.due(1050, idle=True)  # a period has not passed
        feed.due(1399, idle=False)  # busy, and not four periods yet
        assert len(feed.out) == 0
        feed.due(1100, idle=True)
        assert len(feed.out) == 1
        feed.due(1499, idle=False)
        assert len(feed.out) == 1
        feed.on_audit("T", "price_update", {"time_ms": 1})  # too noisy for the panel
        feed.on_audit("T", "risk", {"time_ms": 2})
        feed.on_log("halt", {"reason": "x"})
        feed.bar_observer("T")(ev.Bar("US100", 1, 60_000, 1.0, 2.0, 0.5, 1.5))
        feed.due(1500, idle=False)  # four periods without a quiet moment
        assert len(feed.out) == 2
        u = json.loads(feed.out[-1])
        assert u["seq"] == 2 and u["terminals"] == {} and u["engines"] == {}
        assert u["rows"] == [
            ["T", "risk", {"time_ms": 2}],
            ["", "log", {"event": "halt", "reason": "x"}],
        ]
        assert u["bars"] == [["T", "US100", 60, 1.0, 2.0, 0.5, 1.5]]
        feed.publish(1600)
        assert json.loads(feed.out[-1])["rows"] == []  # each row goes out once
    finally:
        srv.close()

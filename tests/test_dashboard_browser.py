"""The live dashboard in a real browser (headless Chromium, driven by Playwright) against a live
brain fed by the fake terminal: the page loads with no script error, its panels fill, the charts
and markers grow as the fixture plays, a pause from the page pauses the strategy (in the store and
in its next decisions), a halt from the page blocks new orders, a wrong or missing token is
refused. Screenshots are saved under out/dashboard/."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from tests.conftest import ROOT
from tests.dashboard_rig import BUSY, PLAN, live_brain

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "out" / "dashboard"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (make test installs it)"
    ),
]


def _until(page: Any, js: str, what: str, timeout_s: float = 30.0) -> Any:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        value = page.evaluate(js)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"not within {timeout_s} s: {what} ({js})")


def test_the_dashboard_in_a_browser_shows_the_brain_and_steers_it(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with (
        live_brain(tmp_path, [BUSY, PLAN], rate=2500, limit=45_000) as rig,
        sync_api.sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            # a wrong token: refused, no session, the page says so
            page = browser.new_page(viewport={"width": 1280, "height": 1800})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(rig.url)
            page.fill("#token", "0" * 32)
            page.click("button[type=submit]")
            assert "wrong token" in page.text_content("#message")
            assert not page.context.cookies()
            errors.clear()  # the 401 of the refused login is a console error by design
            # the right token, given in the fragment: logged in, the fragment gone
            page.goto(f"{rig.url}#token={rig.token}")
            page.wait_for_selector("#terminals-table")
            assert "token" not in page.url
            page.on("dialog", lambda d: d.accept())
            _until(page, "window.dashboard.connected", "the WebSocket open")
            assert "fake-1" in page.text_content("#terminals-table")
            assert "1001@mt5bridge-sim" in page.text_content("#terminals-table")
            _until(page, "document.querySelectorAll('.strategy').length === 2", "two strategies")
            _until(
                page,
                "document.querySelector('#strategy-us100_plan .leverage') !== null",
                "the plan's controls",
            )
            # the charts grow as the fixture plays; fills become markers
            first = page.evaluate("window.dashboard.counts.curve['fake-1']")
            _until(page, f"window.dashboard.counts.curve['fake-1'] > {first} + 30", "more curve")
            _until(page, "(window.dashboard.counts.markers['US100'] || 0) > 0", "fill markers")
            _until(page, "(window.dashboard.counts.bars['US100'] || 0) > 100", "candles")
            assert page.evaluate("window.dashboard.counts.levels['US100']") >= 2  # peak, valley
            page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 1000})
            page.screenshot(path=str(SHOTS / "dashboard_top.png"))
            page.set_viewport_size({"width": 1280, "height": 1800})

            # pause the busy strategy from the page
            page.click("#strategy-busy_cross button[data-action=pause]")
            _until(
                page,
                "window.dashboard.lastControl && window.dashboard.lastControl.reply.ok",
                "the pause answered",
            )
            _until(
                page,
                "document.querySelector('#strategy-busy_cross .badge').textContent === 'paused'",
                "the strategy shown paused",
            )
            paused_at = rig.runner.server.engines["fake-1"].now_ms
            logged = rig.rows("select detail from event_log where kind = 'strategy_control'")
            assert any('"pause"' in d and "busy_cross" in d for (d,) in logged), logged
            # its next decisions: refused by the risk gate, no order sent
            end = time.monotonic() + 40
            refused: list[Any] = []
            while time.monotonic() < end and not refused:
                refused = rig.rows(
                    "select reason from risk_decisions where magic = 1001 and time_ms > ? "
                    "and approved = 0",
                    paused_at,
                )
                time.sleep(0.2)
            assert refused and all("paused by the operator" in r for (r,) in refused)
            sent = rig.rows(
                "select command from orders where magic = 1001 and time_ms > ? and "
                "command like 'OpenCmd%'",
                paused_at,
            )
            assert sent == []
            page.click("#strategy-busy_cross button[data-action=resume]")
            _until(
                page,
                "document.querySelector('#strategy-busy_cross .badge').textContent === 'live'",
                "the strategy live again",
            )

            # halt everything from the page: new orders are blocked
            page.click("#halt-all")
            _until(
                page,
                "document.querySelector('#brain .badge').textContent === 'halted'",
                "the brain shown halted",
            )
            halted_at = rig.runner.server.engines["fake-1"].now_ms
            refused = []
            end = time.monotonic() + 40
            while time.monotonic() < end and not refused:
                refused = rig.rows(
                    "select reason from risk_decisions where time_ms > ? and approved = 0",
                    halted_at,
                )
                time.sleep(0.2)
            assert refused and all("halted from the dashboard" in r for (r,) in refused)
            opened = rig.rows(
                "select command from orders where time_ms > ? and command like 'OpenCmd%'",
                halted_at,
            )
            assert opened == []
            assert rig.rows("select count(*) from event_log where kind = 'halt'")[0][0] == 1
            page.screenshot(path=str(SHOTS / "dashboard_halted.png"), full_page=True)

            # a second browser without the token gets the login page, and no data
            other = browser.new_page()
            other.goto(rig.url)
            assert other.locator("#token").count() == 1
            assert other.evaluate("typeof window.dashboard") == "undefined"
            status = other.evaluate("fetch('/api/state').then(r => r.status)")
            assert status == 401
        finally:
            browser.close()
    assert not errors, errors
    assert not rig.errors, rig.errors

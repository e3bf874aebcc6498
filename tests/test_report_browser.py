"""report.html in a real browser (headless Chromium, driven by Playwright): it renders with no
console error or page error, offline, its equity chart has data, and a screenshot is saved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bridge.cli import EXIT_OK, main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (make test installs it)"
    ),
]


def test_the_report_renders_in_a_browser_with_its_chart_and_tables(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert main(["backtest", "--out", str(tmp_path)]) == EXIT_OK
    page_file = tmp_path / "report.html"
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            points = page.eval_on_selector_all(
                "svg polyline", "els => els.map(e => e.points.numberOfItems)"
            )
            bar_counts = page.eval_on_selector_all(
                "figure svg[aria-label]:not([aria-label='balance and equity'])",
                "els => els.map(e => e.querySelectorAll('rect').length)",
            )
            net_col = "#trades tbody tr td:nth-child(9)"
            page.click("#trades th:nth-child(9)")  # sort by net, largest first
            first_net = float(page.locator(net_col).first.text_content() or "nan")
            page.click("#trades th:nth-child(9)")  # again: smallest first
            lowest_net = float(page.locator(net_col).first.text_content() or "nan")
            trade_rows = page.locator("#trades tbody tr").count()
            visible_before = [page.locator(f"#pane{i}").is_visible() for i in range(3)]
            page.click("button.tab:nth-child(2)")  # the second strategy's tab
            visible_after = [page.locator(f"#pane{i}").is_visible() for i in range(3)]
            headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent)")
            tester_rows = page.locator("h2:text('Strategy Tester statistics') + table tr").count()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []  # offline: nothing fetched
    equity, balance = points
    assert equity > 1000 and balance > 500  # every x position drawn (low and high for equity)
    assert "Strategy Tester statistics" in headings and tester_rows == 22
    assert bar_counts[:3] == [20, 24, 7]  # results in 20 bins, 24 hours, 7 weekdays
    assert len(bar_counts) == 3 * 4  # the account's, and each of the 3 strategies' in its tab
    assert visible_before == [True, False, False] and visible_after == [False, True, False]
    rep = json.loads((tmp_path / "report.json").read_text())
    assert trade_rows == rep["trades"]
    assert first_net == rep["tester"]["largest_win"]
    assert lowest_net == rep["tester"]["largest_loss"]
    assert {"us100_breakout", "xauusd_compression", "us100_plan"} <= set(headings)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    print(f"screenshot: {tmp_path / 'report.png'}")


def test_the_comparison_page_overlays_the_equity_curves(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    assert main(["backtest", "--out", str(tmp_path / "a")]) == EXIT_OK
    assert main(["backtest", "--out", str(tmp_path / "b")]) == EXIT_OK
    page_file = tmp_path / "compare.html"
    runs = [str(tmp_path / "a"), str(tmp_path / "b")]
    assert main(["compare", *runs, "--html", str(page_file)]) == EXIT_OK
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            points = page.eval_on_selector_all(
                "svg polyline", "els => els.map(e => e.points.numberOfItems)"
            )
            head = page.eval_on_selector_all("thead th", "els => els.map(e => e.textContent)")
            page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert points == [1200, 1200]  # each run's curve, reduced to what is drawn
    assert head == ["metric", "a", "b", "change", "% change"]

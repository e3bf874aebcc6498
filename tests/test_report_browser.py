"""report.html in a real browser (headless Chromium, driven by Playwright): it renders with no
console error or page error, offline; its charts have data and zoom together; a screenshot is
saved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

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
            counts = page.evaluate("window.reportCharts.counts")
            canvases = page.locator("#equity-chart canvas, .price-chart canvas").count()
            zoom = zoom_the_equity_chart(page)
            bar_counts = page.eval_on_selector_all(
                "svg.bars", "els => els.map(e => e.querySelectorAll('rect').length)"
            )
            dots = page.eval_on_selector_all(
                "svg.scatter", "els => els.map(e => e.querySelectorAll('circle').length)"
            )
            mfe_col = page.eval_on_selector_all(
                "#trades tbody tr",
                "rs => rs.map(r => [r.cells[10].textContent, r.cells[11].textContent])",
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
    # the charts have data: the account's curve, and each traded symbol's candles with a marker
    # at every entry and exit, stop/target lines where positions had them
    assert counts["equity"] > 1000 and canvases >= 4
    trades_csv = (tmp_path / "trades.csv").read_text().splitlines()[1:]
    for p in counts["prices"]:
        n = sum(1 for row in trades_csv if row.split(",")[2] == p["symbol"])
        assert p["candles"] > 1000 and p["markers"] == 2 * n, p
    assert {p["symbol"] for p in counts["prices"]} == {"US100", "SPX500", "XAUUSD"}
    assert next(p for p in counts["prices"] if p["symbol"] == "US100")["lines"] >= 2
    # zooming the equity chart moves every price chart to the same time span
    before, after, prices_after = zoom
    assert after["to"] - after["from"] < (before["to"] - before["from"]) * 0.75
    for r in prices_after:
        assert abs(r["from"] - after["from"]) <= 600 and abs(r["to"] - after["to"]) <= 600
    # MFE and MAE: a dot per trade in each scatter; in the table (in trades.csv's order, read
    # before any sort) each trade's price profit lies between its MAE and its MFE
    assert dots[:2] == [len(trades_csv), len(trades_csv)]
    assert sum(dots[2::2]) == sum(dots[3::2]) == len(trades_csv)  # and in each strategy's tab
    assert len(mfe_col) == len(trades_csv)
    for (mfe, mae), row in zip(mfe_col, trades_csv, strict=True):
        profit = float(row.split(",")[11])
        assert float(mae) - 0.01 <= min(0.0, profit) and max(0.0, profit) <= float(mfe) + 0.01
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


def zoom_the_equity_chart(page: Any) -> tuple[Any, Any, list[Any]]:
    """Scroll the wheel over the equity chart (as a trader zooms in): its visible time range
    before and after, and each price chart's after."""
    box = page.locator("#equity-chart").bounding_box()
    before = page.evaluate("window.reportCharts.equity.timeScale().getVisibleRange()")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 80)
    for _ in range(12):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)
    after = page.evaluate("window.reportCharts.equity.timeScale().getVisibleRange()")
    prices = page.evaluate("window.reportCharts.prices.map(c => c.timeScale().getVisibleRange())")
    return before, after, prices


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

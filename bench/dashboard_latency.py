"""Tick-to-order latency with the live dashboard on, with no page open and with N browser pages
connected (headless Chromium, each logged in and receiving updates over its WebSocket).

The brain (its own process) runs bench/latency.py's probe strategy with the dashboard serving
on a free loopback port, its feed publishing every --every-ms; this process plays the terminal
as bench/latency.py does (default profile, zmq transport, crash recovery on) and prints p50 /
p99 / p99.9 per case. Needs the dashboard extra, Playwright and Chromium (make test installs
them).

    .venv/bin/python bench/dashboard_latency.py [--browsers 0 5] [--rate 1000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import latency  # bench/latency.py: the probe strategy and the terminal's end


def brain(q: Any, ckpt_dir: str, every_ms: int, dashboard: bool, nice: int) -> None:
    if nice:
        os.nice(nice)  # negative: before the browsers on the machine's cores (needs root)
    from bridge.dashboard.access import derived_token
    from bridge.dashboard.feed import Feed
    from bridge.dashboard.serve import Dashboard
    from bridge.live.control import control_call
    from bridge.live.server import BrainServer
    from bridge.persist.recovery import Checkpoints

    srv = BrainServer(
        lambda tid, send: latency.probe_engine(send),
        endpoint="tcp://127.0.0.1:0",
        control_endpoint="tcp://127.0.0.1:0",
        secret=latency.SECRET,
        checkpoints=Checkpoints(Path(ckpt_dir), latency.SECRET),
    )
    url = ""
    dash = None
    if dashboard:
        feed = Feed(srv, every_ms)
        srv.watchers.append(feed.due)
        ep = srv.control_endpoint
        dash = Dashboard(
            feed,
            lambda v, a: control_call(ep, latency.SECRET, v, a),
            derived_token(latency.SECRET),
            "127.0.0.1:0",
        )
        dash.start()
        url = dash.url
    q.put((srv.endpoint, url, derived_token(latency.SECRET)))
    srv.serve(idle_exit_s=120)  # stopped by the bench when the case is measured
    if dash is not None:
        dash.stop()
    srv.close()


def open_pages(url: str, token: str, n: int) -> tuple[Any, Any, list[Any]]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    pages = []
    for _ in range(n):
        page = browser.new_context().new_page()
        page.goto(f"{url}#token={token}")
        page.wait_for_function("window.dashboard && window.dashboard.connected", timeout=30_000)
        pages.append(page)
    return pw, browser, pages


def raw_clients(url: str, token: str, n: int) -> None:
    """n WebSocket clients that log in and read every update, drawing nothing: what serving
    pages costs the brain's process, without a browser's own work on the machine's cores."""
    import http.cookiejar
    import threading
    import urllib.request

    from websockets.sync.client import connect

    def one() -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(urllib.request.Request(url + "login", data=f"token={token}".encode()))
        (c,) = list(jar)
        ws_url = url.replace("http", "ws", 1) + "ws"
        with connect(
            ws_url, additional_headers={"Cookie": f"{c.name}={c.value}"}, max_size=None
        ) as ws:
            while True:
                ws.recv()

    for _ in range(n):
        threading.Thread(target=one, daemon=True).start()
    time.sleep(3600)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--browsers", type=int, nargs="+", default=[0, 5])
    ap.add_argument("--rate", type=int, default=1000, help="ticks per second")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--every", type=int, default=10, help="an order on every N-th tick")
    ap.add_argument("--every-ms", type=int, default=500, help="the dashboard's update period")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument(
        "--brain-nice",
        type=int,
        default=0,
        help="the brain process's nice increment (e.g. -10: ahead of the browsers; needs root)",
    )
    ap.add_argument(
        "--raw",
        action="store_true",
        help="WebSocket clients that draw nothing instead of Chromium pages (the brain's own "
        "cost of serving them)",
    )
    a = ap.parse_args()
    os.environ["PROBE_EVERY"] = str(a.every)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {a.rate} ticks/s, an order every {a.every} ticks, "
        f"{a.seconds:.0f} s per case, dashboard updates every {a.every_ms} ms"
    )
    spawn = mp.get_context("spawn")
    cases = [("no dashboard", False, 0)] + [(f"dashboard, {n} pages", True, n) for n in a.browsers]
    for _ in range(a.runs):
        for name, dashboard, n in cases:
            ckpt = tempfile.mkdtemp(prefix="mt5bridge-dashlat-")
            q = spawn.Queue()
            p = spawn.Process(target=brain, args=(q, ckpt, a.every_ms, dashboard, a.brain_nice))
            p.start()
            endpoint, url, token = q.get(timeout=30)
            pw = browser = None
            raw = None
            if n and a.raw:
                raw = spawn.Process(target=raw_clients, args=(url, token, n), daemon=True)
                raw.start()
                time.sleep(3)
            elif n:
                pw, browser, _pages = open_pages(url, token, n)
            time.sleep(1.0)
            lat = latency.run(endpoint, a.rate, a.seconds, "zmq", spin=False)
            if browser is not None:
                browser.close()
                pw.stop()
            if raw is not None:
                raw.terminate()
            p.terminate()
            p.join(timeout=20)
            shutil.rmtree(ckpt, ignore_errors=True)
            if not lat:
                sys.exit(f"{name}: no orders came back")
            pct = latency.percentile
            print(
                f"{name:>20}: {len(lat)} orders, tick-to-order p50 {pct(lat, 50):.0f} us, "
                f"p99 {pct(lat, 99):.0f} us, p99.9 {pct(lat, 99.9):.0f} us, "
                f"max {max(lat):.0f} us"
            )


if __name__ == "__main__":
    main()

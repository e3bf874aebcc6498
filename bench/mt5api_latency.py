"""Tick-to-order latency and poll cost of the MetaTrader5-package terminal (bridge/mt5api), on
the package's stand-in (tests/mt5_standin.py: the broker simulator behind the package's API, so
the package's own IPC to a terminal is not counted).

A thread puts ticks into the stand-in's market at ``--rate`` per second; the adapter polls it
every ``--poll-ms`` (as `[terminal] poll_ms`) and sends to the brain (in this process, ZMTP on
loopback); a probe strategy answers every tenth tick with an order; the time from the tick
entering the market to order_send reaching the stand-in is taken per order. Also the cost of
one poll that finds nothing new (the package calls it makes and its time).

    .venv/bin/python bench/mt5api_latency.py [--rate 100] [--seconds 5] [--poll-ms 1 10]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from bridge.brain.engine import Engine
from bridge.brain.strategy import Context, Intents, Open, Strategy
from bridge.core import events as ev
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.live.server import BrainServer
from bridge.mt5api.adapter import ApiTerminal
from bridge.mt5api.package import Api
from bridge.wire.terminal_link import TerminalLink
from tests.mt5_standin import StandIn

SECRET = b"mt5api-latency-bench"


class Probe(Strategy):
    name, magic, symbols, wants_ticks = "probe", 1, ("US100",), True

    def __init__(self) -> None:
        self.n = 0

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        self.n += 1
        return [Open("US100", True, 0.01)] if self.n % 10 == 0 else ()


class Timed(StandIn):
    """The stand-in noting when each order_send arrives; orders refused (Algo Trading off)."""

    def __init__(self, *a: Any) -> None:
        super().__init__(*a)
        self.sent_at: list[float] = []
        self.algo_trading = False

    def _order_send(self, request: dict[str, Any]) -> Any:
        self.sent_at.append(time.perf_counter())
        return super()._order_send(request)


def run(rate: float, seconds: float, poll_ms: int) -> None:
    fx = load_fixture(DEMO_FIXTURE)
    standin = Timed(fx)
    standin.clock_ms = int(fx.bars["US100"].time_ms[0])
    standin.initialize()
    srv = BrainServer(lambda tid, send: Engine([Probe()], {}, send), endpoint="tcp://127.0.0.1:0",
                      secret=SECRET, transport="zmtp")  # fmt: skip
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    srv.serving.wait(5)
    link = TerminalLink(srv.endpoint, SECRET, "bench", 1, "bench")
    term = ApiTerminal(Api(standin), ["US100"], link, standin.clock)
    term.connect()
    stop = threading.Event()
    adapter = threading.Thread(target=term.run, args=(stop.is_set, poll_ms), daemon=True)
    term.connect = lambda: None  # type: ignore[method-assign]  # connected above
    adapter.start()
    put_at: list[float] = []
    price = 21000.0
    t_end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < t_end:
        n += 1
        price += 0.01 if n % 2 else -0.01
        with term.api.lock:  # the market moves between the adapter's calls
            standin.clock_ms += max(1, int(1000 / rate))  # the ticks' own times, as the rate
            standin.ticks["US100"].append((standin.clock_ms, price, price + 1.5))
            standin.sim.on_tick("US100", standin.clock_ms, price, price + 1.5)
        if n % 10 == 0:
            put_at.append(time.perf_counter())
        time.sleep(1 / rate)
    time.sleep(0.5)
    stop.set()
    adapter.join(5)
    k = min(len(put_at), len(standin.sent_at))
    lat = (np.array(standin.sent_at[:k]) - np.array(put_at[:k])) * 1e6
    # one poll that finds nothing new
    calls0 = sum(standin.calls.values())
    t0 = time.perf_counter()
    for _ in range(200):
        term._deals()
        term._books()
        term._ticks()
        term._bars()
    idle_us = (time.perf_counter() - t0) / 200 * 1e6
    per_poll = (sum(standin.calls.values()) - calls0) / 200
    srv.stop_event.set()
    th.join(5)
    srv.close()
    print(f"poll {poll_ms} ms, {rate:.0f} ticks/s: {k} orders; tick -> order_send p50 "
          f"{np.percentile(lat, 50):.0f} us, p99 {np.percentile(lat, 99):.0f} us; an idle poll "
          f"{idle_us:.0f} us ({per_poll:.0f} package calls)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--poll-ms", type=int, nargs="+", default=[1, 10])
    a = ap.parse_args()
    for poll in a.poll_ms:
        run(a.rate, a.seconds, poll)


if __name__ == "__main__":
    main()

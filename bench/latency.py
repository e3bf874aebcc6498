"""Tick-to-order latency, wire to wire, over loopback TCP (issue 7, benchmark 2).

The brain runs in its own process with a probe strategy that answers every N-th tick with an
order (``--every``, 10 by default: 100 orders/s at 1,000 ticks/s). This process plays the
terminal: it stamps each TICK frame as it leaves and each OPEN frame as it arrives (the order's
comment names the tick), answers each order with a rejection so nothing piles up, and prints
p50 / p99 / p99.9 at the given tick rates, per transport and per profile:

* default: both processes sleep between frames, anywhere on the machine's cores;
* low-latency: the brain pinned to core 1, busy-polling and keeping its order path warm
  (``brain.busy_poll``, ``brain.keep_warm_ms = 1``), this terminal pinned to core 0 and
  busy-waiting too, so that its own wake-up is not counted against the brain.

    .venv/bin/python bench/latency.py [--rates 1000 10000] [--seconds 10] [--every 10]
        [--transport zmq|zmtp|both] [--profile default|low-latency|both]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import select
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zmq

from bridge.brain.strategy import Context, Intents, Open, Strategy
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec
from bridge.wire import auth, codec, zmtp

SECRET = b"latency-bench"
TERMINAL_CPU, BRAIN_CPU = 0, 1  # the low-latency profile: one core each


EVERY = int(os.environ.get("PROBE_EVERY", "1"))


class Probe(Strategy):
    """An order on every EVERY-th tick (the tick's time names it in the order's comment)."""

    name, magic, symbols, wants_ticks = "probe", 1, ("US100",), True

    def on_tick(self, tick: ev.Tick, ctx: Context) -> Intents:
        if tick.time_ms % EVERY:
            return ()
        return [Open("US100", True, 0.01, tag=str(tick.time_ms))]


def probe_engine(send: Any) -> Any:
    """An engine running the probe alone, with limits no probe order reaches."""
    from bridge.brain.engine import Engine
    from bridge.brain.risk import RiskLimits

    limits = RiskLimits(
        default_max_lots_per_symbol=1e9,
        max_total_lots=1e9,
        max_positions=10**9,
        max_orders_per_minute=10**9,
        margin_use=1.0,
        check_hours=False,
    )
    return Engine([Probe()], {}, send, limits=limits)


def store_load(rows_per_s: int, db: str, stop: Any) -> None:
    """A store in the brain's process taking ``rows_per_s`` rows a second (its writer thread
    batches them into SQLite in WAL mode, as a live brain's audit trail), until ``stop``."""
    import threading

    from bridge.persist.store import Store

    store = Store(f"sqlite:///{db}")

    def feed() -> None:
        n, t0 = 0, time.perf_counter()
        while not stop.is_set():
            due = int((time.perf_counter() - t0) * rows_per_s)
            for _ in range(due - n):
                store.log("bench_row", {"n": n})
                n += 1
            time.sleep(0.001)
        store.close()

    threading.Thread(target=feed, name="store-load", daemon=True).start()


def brain(q: Any, transport: str, low_latency: bool, ckpt_dir: str, store_rows: int = 0) -> None:
    import threading

    from bridge.live.server import BrainServer
    from bridge.persist.recovery import Checkpoints

    # crash recovery as a brain with a store has it: every frame logged before what it caused
    # leaves, checkpoints after the sending
    checkpoints = Checkpoints(Path(ckpt_dir), SECRET) if ckpt_dir else None

    srv = BrainServer(
        lambda tid, send: probe_engine(send),
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET,
        transport=transport,
        busy_poll=low_latency,
        keep_warm_ms=1 if low_latency else 0,
        checkpoints=checkpoints,
    )
    if low_latency:
        os.sched_setaffinity(0, {BRAIN_CPU})
    stop = threading.Event()
    if store_rows:
        store_load(store_rows, str(Path(tempfile.mkdtemp(prefix="mt5bridge-lat-")) / "a.db"), stop)
    q.put(srv.endpoint)
    srv.serve(idle_exit_s=3)
    stop.set()
    srv.close()


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


class ZmqTerminal:
    """The terminal's end on a pyzmq DEALER."""

    def __init__(self, endpoint: str) -> None:
        self.s = zmq.Context.instance().socket(zmq.DEALER)
        self.s.setsockopt(zmq.LINGER, 0)
        self.s.connect(endpoint)
        self.send, self.recv = self.s.send, self.s.recv

    def fileno(self) -> Any:
        return self.s

    def drain(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.s.recv(zmq.NOBLOCK))
            except zmq.Again:
                return out

    def close(self) -> None:
        self.s.close(0)


class ZmtpTerminal:
    """The terminal's end speaking ZMTP on a plain socket, as the EA does (bridge/wire/zmtp.py)."""

    def __init__(self, endpoint: str) -> None:
        self.c = zmtp.Client(endpoint)
        self.send, self.recv = self.c.send, self.c.recv

    def fileno(self) -> Any:
        return self.c.fileno()

    def drain(self) -> list[bytes]:
        self.c.read()
        out, self.c.inbox = self.c.inbox, []
        return out

    def close(self) -> None:
        self.c.close()


def run(endpoint: str, rate: int, seconds: float, transport: str, spin: bool) -> list[float]:
    term = ZmqTerminal(endpoint) if transport == "zmq" else ZmtpTerminal(endpoint)
    seq = 0

    def send(msg: Any) -> None:
        nonlocal seq
        seq += 1
        term.send(codec.encode(msg, seq))

    tn = auth.new_nonce()
    send(ev.Hello(codec.PROTOCOL_VERSION, f"bench-{rate}", 1, 0, "bench", tn))
    _, ch = codec.decode(term.recv())
    send(ev.Auth(auth.answer_challenge(SECRET, tn, ch.nonce, ch.proof)))
    term.recv()  # WELCOME
    send(ev.Account(1, 1e9, 1e9, 0.0, 1e9, 100, "USD", True, 0))
    send(ev.SymbolInfo(SymbolSpec("US100", 2, 0.01, 0.01, 0.01, 1.0, 0.01, 0.01, 100.0)))
    send(ev.SnapshotEnd(0, 0, 0))
    n = int(rate * seconds)
    every = int(os.environ.get("PROBE_EVERY", "1"))
    want = len(range(0, n, every))
    sent_at: dict[int, int] = {}
    lat: list[float] = []
    t0 = time.perf_counter_ns()
    period = 1e9 / rate
    i = 0
    poller = zmq.Poller()
    poller.register(term.fileno(), zmq.POLLIN)
    # wait for the next send or an answer without spinning (pyzmq's poll takes whole
    # milliseconds: 0.7 ms would be 0, a busy loop competing with the brain for the cores)
    fd = term.fileno()
    wait_for = (
        (lambda ms: bool(select.select([fd], [], [], 0 if spin else ms / 1000)[0]))
        if isinstance(fd, int)
        else (lambda ms: bool(poller.poll(0 if spin or ms < 1 else ms)))
    )
    while len(lat) < want and time.perf_counter_ns() - t0 < (seconds + 5) * 1e9:
        now = time.perf_counter_ns()
        if i < n and now - t0 >= i * period:
            t_ms = 1_767_607_200_000 + i
            frame = codec.encode(ev.Tick("US100", t_ms, 21000.0, 21001.0), seq + 1)
            seq += 1
            sent_at[t_ms] = time.perf_counter_ns()
            term.send(frame)
            i += 1
            continue
        wait = max(0.0, (t0 + i * period - now) / 1e6) if i < n else 50.0
        if wait_for(min(wait, 50.0)):
            for raw in term.drain():
                arrived = time.perf_counter_ns()
                _, msg = codec.decode(raw)
                if isinstance(msg, ev.OpenCmd):
                    lat.append((arrived - sent_at[int(msg.comment)]) / 1000)
                    send(ev.OrderResult(msg.client_id, 10019, 0, 0, 0.0, 0.0, "bench"))
    term.close()
    return lat


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--every", type=int, default=10, help="an order on every N-th tick")
    ap.add_argument(
        "--transport",
        choices=["zmq", "zmtp", "both"],
        default="both",
        help="zmq: pyzmq on both ends; zmtp: ZMTP on plain sockets on both ends (as the EA)",
    )
    ap.add_argument(
        "--profile",
        choices=["default", "low-latency", "both"],
        default="both",
        help="low-latency: the brain pinned to its own core, busy-polling, keeping its order "
        "path warm (brain.busy_poll, brain.keep_warm_ms); this terminal busy-waits on the other "
        "core, so its own wake-up is not counted",
    )
    ap.add_argument(
        "--no-recovery",
        action="store_true",
        help="the brain without crash recovery (no frame log, no checkpoints): the brain's own "
        "path; by default it logs every frame and writes checkpoints, as a brain with a store",
    )
    ap.add_argument(
        "--store-rows",
        type=int,
        default=0,
        help="a store in the brain's process writing this many rows a second meanwhile",
    )
    a = ap.parse_args()
    os.environ["PROBE_EVERY"] = str(a.every)  # the brain process (spawned) reads it too
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    low = (os.cpu_count() or 1) >= 2
    profiles = {"default": [False], "low-latency": [True], "both": [False, True]}[a.profile]
    if True in profiles and not low:
        sys.exit("the low-latency profile needs two cores: one for the brain, one for this one")
    spawn = mp.get_context("spawn")
    for low_latency in profiles:
        for transport in ["zmq", "zmtp"] if a.transport == "both" else [a.transport]:
            if low_latency and transport == "zmq":
                print(
                    "low-latency zmq: not run: pinned to one core with a busy-polling brain, "
                    "ZeroMQ's I/O thread has no core of its own (p50 200+ us, p99 4-6 ms here)"
                )
                continue
            for rate in a.rates:
                # a fresh folder per brain: none resumes from another run's checkpoint
                ckpt = "" if a.no_recovery else tempfile.mkdtemp(prefix="mt5bridge-latency-")
                q = spawn.Queue()
                args = (q, transport, low_latency, ckpt, a.store_rows)
                p = spawn.Process(target=brain, args=args)
                p.start()
                endpoint = q.get(timeout=30)
                if low_latency:
                    os.sched_setaffinity(0, {TERMINAL_CPU})
                lat = run(endpoint, rate, a.seconds, transport, spin=low_latency)
                os.sched_setaffinity(0, range(os.cpu_count() or 1))
                p.join(timeout=20)
                if ckpt:
                    shutil.rmtree(ckpt, ignore_errors=True)
                name = f"{'low-latency' if low_latency else 'default'} {transport}"
                name += "" if ckpt else " no recovery"
                name += f" store {a.store_rows}/s" if a.store_rows else ""
                if not lat:
                    print(f"{name}: {rate:>6} ticks/s: no orders came back")
                    continue
                print(
                    f"{name:>16}: {rate:>6} ticks/s, an order every {a.every} ticks: "
                    f"{len(lat)} orders, tick-to-order p50 {percentile(lat, 50):.0f} us, "
                    f"p99 {percentile(lat, 99):.0f} us, p99.9 {percentile(lat, 99.9):.0f} us, "
                    f"max {max(lat):.0f} us"
                )


if __name__ == "__main__":
    main()

"""The transport floor: round trip of a small message between two processes over loopback TCP,
DEALER -> ROUTER echo -> DEALER, with pyzmq as the brain uses it. Tick-to-order latency can be no
lower than this.

    .venv/bin/python bench/zmq_floor.py [--n 5000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time
from typing import Any

import zmq


def echo(q: Any, n: int) -> None:
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    port = s.bind_to_random_port("tcp://127.0.0.1")
    q.put(port)
    poller = zmq.Poller()
    poller.register(s, zmq.POLLIN)
    for _ in range(n):
        poller.poll(1000)
        ident, msg = s.recv_multipart()
        s.send_multipart((ident, msg))
    s.close(0)
    ctx.term()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    a = ap.parse_args()
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=echo, args=(q, a.n))
    p.start()
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.connect(f"tcp://127.0.0.1:{q.get()}")
    frame = b"TICK|100|US100|1767607200123|21474.48|21475.98|0|1|6"
    rtt = []
    for _ in range(a.n):
        t = time.perf_counter_ns()
        s.send(frame)
        s.recv()
        rtt.append((time.perf_counter_ns() - t) / 1000)
    p.join()
    rtt.sort()
    print(
        f"loopback round trip, {a.n} messages: p50 {statistics.median(rtt):.0f} us, "
        f"p99 {rtt[int(0.99 * len(rtt))]:.0f} us, min {rtt[0]:.0f} us"
    )


if __name__ == "__main__":
    main()

"""The transport floor: round trip of a small message between two processes over loopback TCP,
DEALER -> ROUTER echo -> DEALER, with pyzmq as the brain uses it. Tick-to-order latency can be no
lower than this. ``--pause-us`` waits between messages (as ticks do: the processes idle between
them); ``--raw`` times the same echo on plain TCP sockets without ZeroMQ, for comparison.

    .venv/bin/python bench/zmq_floor.py [--n 5000] [--pause-us 500] [--raw]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import socket
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


def raw_echo(q: Any, n: int) -> None:
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    q.put(ls.getsockname()[1])
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(n):
        c.sendall(c.recv(4096))
    c.close()
    ls.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--pause-us", type=int, default=0, help="wait between messages")
    ap.add_argument("--raw", action="store_true", help="plain TCP sockets, no ZeroMQ")
    a = ap.parse_args()
    q = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=raw_echo if a.raw else echo, args=(q, a.n))
    p.start()
    frame = b"TICK|100|US100|1767607200123|21474.48|21475.98|0|1|6"
    if a.raw:
        r = socket.create_connection(("127.0.0.1", q.get()))
        r.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        send, recv = r.sendall, lambda: r.recv(4096)
    else:
        s = zmq.Context().socket(zmq.DEALER)
        s.connect(f"tcp://127.0.0.1:{q.get()}")
        send, recv = s.send, s.recv
    rtt = []
    for _ in range(a.n):
        t = time.perf_counter_ns()
        send(frame)
        recv()
        rtt.append((time.perf_counter_ns() - t) / 1000)
        if a.pause_us:
            time.sleep(a.pause_us / 1e6)
    p.join()
    rtt.sort()
    what = "plain TCP" if a.raw else "pyzmq"
    print(
        f"loopback round trip ({what}, pause {a.pause_us} us), {a.n} messages: "
        f"p50 {statistics.median(rtt):.0f} us, p99 {rtt[int(0.99 * len(rtt))]:.0f} us, "
        f"min {rtt[0]:.0f} us"
    )


if __name__ == "__main__":
    main()

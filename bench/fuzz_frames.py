"""Long fuzz run of the frame path: generated and mutated frames through the brain's server
(decoder, sequence check, engine), counting crashes, orders and bad frames.

    .venv/bin/python bench/fuzz_frames.py [--frames 1000000] [--seed 1]

Frames are the golden vectors of fixtures/protocol mutated by byte flips, cuts, duplications,
inserted separators and random bytes, plus purely random bytes. The engine runs a strategy that
buys on every tick, so an undecodable frame that slipped through as a tick would show as an order.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.wire import codec
from tests.test_server_robustness import BuyEveryTick, served


def mutate(rng: random.Random, base: bytes) -> bytes:
    b = bytearray(base)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        i = rng.randrange(max(len(b), 1))
        if op == 0 and b:
            b[i] ^= rng.randint(1, 255)
        elif op == 1:
            del b[i:]
        elif op == 2:
            b[i:i] = b[i : i + rng.randint(1, 8)]
        elif op == 3:
            b[i:i] = b"|"
        else:
            b[i:i] = rng.randbytes(rng.randint(1, 6))
    return bytes(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    golden = [
        v["frame"].encode()
        for v in json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["vectors"]
    ]
    rng = random.Random(a.seed)
    srv, sent, _ = served(BuyEveryTick())
    bad = crashes = orders_from_bad = 0
    t0 = time.perf_counter()
    for n in range(a.frames):
        frame = (
            rng.randbytes(rng.randint(0, 64)) if n % 10 == 0 else mutate(rng, rng.choice(golden))
        )
        try:
            codec.decode(frame)
            decodes = True
        except codec.FrameError:
            decodes = False
            bad += 1
        before = len(sent)
        try:
            srv.on_frame(b"id", frame)
        except Exception as exc:  # a crash: report it with the frame
            crashes += 1
            print(f"CRASH {type(exc).__name__}: {exc} on {frame!r}")
        if not decodes and len(sent) != before:
            orders_from_bad += 1
    secs = time.perf_counter() - t0
    srv.close()
    print(
        f"{a.frames:,} frames in {secs:.1f} s ({a.frames / secs:,.0f}/s): {bad:,} bad (counted by the "
        f"server: {srv.stats.bad_frames:,}), {crashes} crashes, {orders_from_bad} orders from bad frames, "
        f"{srv.stats.event_errors} event errors logged"
    )
    sys.exit(1 if crashes or orders_from_bad or bad != srv.stats.bad_frames else 0)


if __name__ == "__main__":
    main()

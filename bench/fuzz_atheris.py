"""Coverage-guided fuzzing with atheris (libFuzzer) of every loader of untrusted input: protocol
frames through the brain's server, the config loader, fixture manifests, bar CSVs and MT5
exports. A target passes an input when it is accepted or refused with the loader's own error;
anything else is a crash, which atheris reports with the input that caused it.

    .venv/bin/pip install atheris
    .venv/bin/python bench/fuzz_atheris.py frames --runs 1000000
    .venv/bin/python bench/fuzz_atheris.py config --runs 100000     (fixture, bars, mt5csv alike)

Starts from the valid inputs of tests/fuzz_targets.py (and, for frames, the golden vectors).
Prints the runs, the time and, for frames, the bad frames counted by the server and the orders
(there must be none from a frame that does not decode).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import atheris
except ImportError:
    sys.exit("atheris is not installed: .venv/bin/pip install atheris")

with atheris.instrument_imports():
    from bridge.wire import codec
    from tests import fuzz_targets
    from tests.test_server_robustness import BuyEveryTick, served

COUNTS = {"runs": 0, "bad": 0}


def frames_target() -> tuple[object, list[bytes]]:
    srv, sent, _ = served(BuyEveryTick())
    golden = [
        v["frame"].encode()
        for v in json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["vectors"]
    ]

    def one(data: bytes) -> None:
        COUNTS["runs"] += 1
        try:
            codec.decode(data)
            ok = True
        except codec.FrameError:
            ok = False
            COUNTS["bad"] += 1
        before = len(sent)
        srv.on_frame(b"id", data)  # an exception here is a crash: atheris reports it
        if not ok and len(sent) != before:
            raise AssertionError(f"an order from a frame that does not decode: {data!r}")

    one.server = srv  # type: ignore[attr-defined]
    return one, golden


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("target", choices=["frames", *sorted(fuzz_targets.TARGETS)])
    ap.add_argument("--runs", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.target == "frames":
        fn, seeds = frames_target()
    else:
        target = fuzz_targets.TARGETS[a.target]

        def fn(data: bytes) -> None:
            COUNTS["runs"] += 1
            target(data)

        seeds = [fuzz_targets.seeds()[a.target]]
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{a.target}-"))
    for i, s in enumerate(seeds):
        (corpus / f"seed{i}").write_bytes(s)
    t0 = time.perf_counter()

    def report() -> None:
        secs = time.perf_counter() - t0
        n = COUNTS["runs"]
        line = f"{a.target}: {n:,} inputs in {secs:.1f} s ({n / secs:,.0f}/s), 0 crashes"
        if a.target == "frames":
            srv = fn.server  # type: ignore[attr-defined]
            line += (
                f"; {COUNTS['bad']:,} bad frames (the server counted {srv.stats.bad_frames:,}), "
                "0 orders from bad frames"
            )
        print(line, flush=True)

    def counted(data: bytes) -> None:
        fn(data)
        if COUNTS["runs"] == a.runs:  # libFuzzer ends the process itself right after
            report()

    atheris.Setup(
        [sys.argv[0], f"-runs={a.runs}", f"-seed={a.seed}", "-max_len=4096", str(corpus)],
        counted,
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()

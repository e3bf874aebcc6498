"""Trials per second of mt5bridge optimize on 1 and 2 worker processes, and the per-trial
overhead beside the bare replay.

Generates ``--bars`` M1 bars per symbol with the seeded fixture generator, then runs a random
search (TPE) of ``--trials`` trials of the range breakout with its hedge on 1 and on 2 workers
(each a fresh study in a temporary SQLite file), and times the same number of bare replays
(run_backtest alone, the fixture already loaded) for the overhead.

    .venv/bin/python bench/optimize_scaling.py [--bars 100000] [--trials 64] [--ray]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.config import parse_config
from bridge.data.fixturegen import CLOSE_MIN, OPEN_MIN, write
from bridge.optimize.space import parse_space
from bridge.optimize.study import run_study
from bridge.optimize.trial import Evaluator


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--ray", action="store_true", help="also on a local two-node Ray cluster")
    a = ap.parse_args()
    days = -(-a.bars // (CLOSE_MIN - OPEN_MIN))
    with tempfile.TemporaryDirectory() as d:
        write(Path(d), seed=3, days=days)
        strategies = [
            {
                "kind": "range_breakout",
                "name": "rb",
                "magic": 2002,
                "params": {"main_symbol": "US100", "hedge_symbol": "SPX500"},
            }
        ]
        raw = {"replay": {"fixture": d}, "strategies": strategies}
        space_raw = {
            "objectives": ["maximize net_profit"],
            "seed": 1,
            "params": {
                "rb": {"sl_pct": {"low": 0.2, "high": 1.0}, "rr": {"low": 1.0, "high": 4.0}}
            },
        }
        rates: dict[int, float] = {}
        steady: dict[int, float] = {}
        studies = {}
        for jobs in (1, 2):
            cfg = parse_config({**raw, "store": {"url": f"sqlite:///{d}/s{jobs}.sqlite"}})
            space = parse_space(space_raw, cfg)
            t = time.perf_counter()
            studies[jobs] = run_study(cfg, space, a.trials, jobs=jobs, kind="tpe")
            took = time.perf_counter() - t
            rates[jobs] = a.trials / took
            steady[jobs] = steady_rate(studies[jobs])
            print(
                f"{jobs} worker(s): {a.trials} trials in {took:.2f} s, {rates[jobs]:.2f} trials/s "
                f"end to end (start included); {steady[jobs]:.2f} trials/s once running"
            )
        print(
            f"scaling efficiency on 2 workers: {steady[2] / (2 * steady[1]):.0%} once running, "
            f"{rates[2] / (2 * rates[1]):.0%} end to end (the workers' start included)"
        )
        if a.ray:  # a local Ray cluster: a head and one more node, one CPU each
            from ray.cluster_utils import Cluster

            node = {"num_cpus": 1, "object_store_memory": 200_000_000}
            c = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
            c.add_node(**node)
            c.wait_for_nodes()
            try:
                cfg = parse_config({**raw, "store": {"url": f"sqlite:///{d}/ray.sqlite"}})
                t = time.perf_counter()
                run_study(
                    cfg, parse_space(space_raw, cfg), a.trials, kind="tpe", ray_address=c.address
                )
                took = time.perf_counter() - t
                print(
                    f"Ray, 2 nodes x 1 CPU: {a.trials} trials in {took:.2f} s, "
                    f"{a.trials / took:.2f} trials/s"
                )
            finally:
                c.shutdown()
        # the overhead: the 1-worker study's own trials replayed bare, the fixture loaded
        cfg = parse_config({**raw, "store": {"url": f"sqlite:///{d}/bare.sqlite"}})
        ev = Evaluator(cfg)
        trials = [t for t in studies[1].get_trials() if t.state.name == "COMPLETE"]
        t = time.perf_counter()
        for tr in trials:
            ev(dict(tr.params))
        bare = (time.perf_counter() - t) / len(trials)
        per_trial = 1 / rates[1]
        once = 1 / steady[1]
        print(
            f"the same {len(trials)} trials replayed bare: {bare * 1000:.0f} ms each; in the "
            f"study on 1 worker: {once * 1000:.0f} ms once running, overhead "
            f"{(once - bare) / bare:.1%}; {per_trial * 1000:.0f} ms end to end, "
            f"{(per_trial - bare) / bare:.1%} (the study's start spread over its trials)"
        )


def steady_rate(study: object) -> float:
    """Trials per second between the first trial's end and the last's (the start, the workers'
    included, left out)."""
    ends = sorted(t.datetime_complete for t in study.get_trials() if t.datetime_complete)  # type: ignore[attr-defined]
    return (len(ends) - 1) / (ends[-1] - ends[0]).total_seconds()


if __name__ == "__main__":
    main()

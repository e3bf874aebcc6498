"""mt5bridge optimize --ray on a real Ray cluster started here on this machine: a head node and
one more node, each its own processes (ray.cluster_utils.Cluster), one CPU each. The trials run
on both nodes and give the same results as the local run."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.cli import EXIT_OK, main
from tests.conftest import ROOT
from tests.test_optimize import CONFIG, GRID

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    args = {"num_cpus": 1, "object_store_memory": 80_000_000}
    c = Cluster(initialize_head=True, head_node_args={**args, "include_dashboard": False})
    c.add_node(**args)
    c.wait_for_nodes()
    yield c
    c.shutdown()


def table(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_the_trials_run_on_both_nodes_with_the_local_runs_results(
    cluster: Any, tmp_path: Path
) -> None:
    (tmp_path / "cfg.toml").write_text(CONFIG)
    (tmp_path / "space.toml").write_text(GRID)
    base = [
        "optimize",
        "--config",
        str(tmp_path / "cfg.toml"),
        "--space",
        str(tmp_path / "space.toml"),
        "--sampler",
        "grid",
        "--trials",
        "100",
    ]
    assert (
        main([*base, "--jobs", "1", "--study", "local", "--out", str(tmp_path / "local")])
        == EXIT_OK
    )
    # in a process of its own with a deadline: a driver that cannot reach the cluster fails
    # the test instead of hanging the suite
    ray_run = subprocess.run(
        [sys.executable, "-m", "bridge.cli", *base, "--ray", cluster.address, "--study", "ray",
         "--out", str(tmp_path / "ray")], cwd=ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert ray_run.returncode == EXIT_OK, ray_run.stderr[-2000:]
    local, on_ray = table(tmp_path / "local" / "trials.csv"), table(tmp_path / "ray" / "trials.csv")

    def results(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[str, ...]]:
        return {
            (r["us100_breakout.sl_pct"], r["us100_breakout.rr"]): (
                r["net_profit"],
                r["max_drawdown"],
                r["trades"],
            )
            for r in rows
        }

    assert len(on_ray) == 12 and results(on_ray) == results(local)
    nodes = {r["node"] for r in on_ray}
    assert len(nodes) == 2 and "" not in nodes  # spread over the head and the other node

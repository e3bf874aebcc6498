"""mt5bridge optimize: the search space checked against the strategies' parameter classes, the
complete grid the same on one worker and on two, a study resumed from the store, best.toml
replaying the best trial's figures, several objectives with a constraint and their Pareto
front, bad input refused with exit code 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bridge.cli import EXIT_INPUT, EXIT_OK, main
from bridge.config import parse_config
from bridge.optimize.space import parse_space

CONFIG = """[store]
url = "sqlite:///study.sqlite"

[[strategies]]
kind = "range_breakout"
name = "us100_breakout"
magic = 2002
params = { main_symbol = "US100", hedge_symbol = "SPX500" }
"""
GRID = """objectives = ["maximize net_profit"]
constraints = ["trades >= 3"]
seed = 3

[params.us100_breakout]
sl_pct = { low = 0.3, high = 0.9, step = 0.2 }
rr = { low = 1.0, high = 3.0, step = 1.0 }
"""


def files(tmp: Path, space: str = GRID) -> tuple[Path, Path]:
    (tmp / "cfg.toml").write_text(CONFIG)
    (tmp / "space.toml").write_text(space)
    return tmp / "cfg.toml", tmp / "space.toml"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def by_params(path: Path) -> dict[tuple[str, str], str]:
    return {
        (r["us100_breakout.sl_pct"], r["us100_breakout.rr"]): r["net_profit"] for r in rows(path)
    }


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_the_grid_is_the_same_on_one_worker_and_on_two(
    tmp_path: Path, fork: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers are forked with the fixture where the system can and no other thread runs, else
    spawned (as in this test process, whose runner has threads of its own): both ways here."""
    import multiprocessing as mp
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1 if fork else 2)
    used: list[str | None] = []
    real = mp.get_context
    monkeypatch.setattr(mp, "get_context", lambda m=None: used.append(m) or real(m))
    cfg, space = files(tmp_path)
    base = ["optimize", "--config", str(cfg), "--space", str(space), "--sampler", "grid"]
    assert (
        main(
            [
                *base,
                "--trials",
                "100",
                "--jobs",
                "1",
                "--study",
                "one",
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == EXIT_OK
    )
    assert (
        main(
            [
                *base,
                "--trials",
                "100",
                "--jobs",
                "2",
                "--study",
                "two",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == EXIT_OK
    )
    one, two = by_params(tmp_path / "a" / "trials.csv"), by_params(tmp_path / "b" / "trials.csv")
    assert len(one) == 12 and one == two  # every point once, the same figures
    assert ("fork" if fork else "spawn") in used
    assert len(rows(tmp_path / "b" / "trials.csv")) == 12
    # best.toml replays the best trial as it is
    best = max(one.values(), key=float)
    out = tmp_path / "bt"
    assert (
        main(["backtest", "--config", str(tmp_path / "a" / "best.toml"), "--out", str(out)])
        == EXIT_OK
    )
    assert json.loads((out / "report.json").read_text())["net_profit"] == float(best)
    page = (tmp_path / "a" / "optimize.html").read_text()
    assert "Parameter importance" in page and "Heat map" in page and "<circle" in page


def test_a_study_resumes_from_the_store(tmp_path: Path) -> None:
    cfg, space = files(tmp_path)
    base = ["optimize", "--config", str(cfg), "--space", str(space), "--jobs", "1"]
    assert main([*base, "--trials", "4", "--out", str(tmp_path / "a")]) == EXIT_OK
    first = rows(tmp_path / "a" / "trials.csv")
    assert main([*base, "--trials", "7", "--out", str(tmp_path / "b")]) == EXIT_OK
    again = rows(tmp_path / "b" / "trials.csv")
    assert len(first) == 4 and len(again) == 7 and again[:4] == first
    assert (tmp_path / "study.sqlite").exists()  # in the config's store


def test_two_objectives_with_a_constraint_give_a_pareto_front(tmp_path: Path) -> None:
    space = GRID.replace(
        'objectives = ["maximize net_profit"]',
        'objectives = ["maximize net_profit", "minimize max_drawdown_pct"]',
    )
    cfg, sp = files(tmp_path, space)
    args = [
        "optimize",
        "--config",
        str(cfg),
        "--space",
        str(sp),
        "--sampler",
        "nsga2",
        "--trials",
        "10",
        "--jobs",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == EXIT_OK
    got = [r for r in rows(tmp_path / "o" / "trials.csv") if r["feasible"] == "True"]
    pts = [(float(r["net_profit"]), float(r["max_drawdown_pct"])) for r in got]
    assert all(int(r["trades"]) >= 3 for r in got)
    page = (tmp_path / "o" / "optimize.html").read_text()
    assert "Pareto front" in page
    assert pts and "best.toml" in [p.name for p in (tmp_path / "o").iterdir()]


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (GRID.replace("us100_breakout]", "nope]"), "params.nope: no strategy of that name"),
        (
            GRID.replace("sl_pct =", "sl_pcx ="),
            "params.us100_breakout.sl_pcx: range_breakout has no such",
        ),
        (GRID.replace("high = 0.9", "high = 0.1"), "low (0.3) must be below high (0.1)"),
        (GRID.replace("maximize net_profit", "maximize wealth"), "objectives: 'maximize wealth'"),
        (GRID.replace("trades >= 3", "trades ~ 3"), "constraints: 'trades ~ 3'"),
        (
            GRID + "\n[params.us100_breakout.hedge]\nlow = 0\nhigh = 1\n",
            "a bool parameter takes choices",
        ),
    ],
)
def test_a_bad_space_is_refused_naming_the_key(space: str, message: str) -> None:
    cfg = parse_config(
        {"strategies": [{"kind": "range_breakout", "name": "us100_breakout", "magic": 2002}]}
    )
    import tomllib

    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_space(tomllib.loads(space), cfg, "space.toml")


def test_the_cli_refuses_bad_input_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, space = files(tmp_path, GRID.replace("sl_pct =", "sl_pcx ="))
    base = ["optimize", "--config", str(cfg), "--space", str(space), "--trials", "2"]
    assert main(base) == EXIT_INPUT
    assert "sl_pcx" in capsys.readouterr().err
    files(tmp_path)
    assert main([*base, "--jobs", "0"]) == EXIT_INPUT
    assert main([*base, "--heatmap", "a,b"]) == EXIT_INPUT

"""mt5bridge walkforward: windows cut from the fixture, each optimised on its training span
alone (no out-of-sample bar reaches the optimiser), its best parameters replayed on the span
after it, the out-of-sample results stitched; rolling and anchored windows; bad spans refused."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from bridge.cli import EXIT_INPUT, EXIT_OK, main
from bridge.config import parse_config
from bridge.core.timeutil import MS_PER_DAY, parse
from bridge.data.fixturegen import write
from bridge.data.fixtures import load_fixture
from bridge.optimize import walkforward as wf
from bridge.optimize.space import parse_space

SPACE = {"objectives": ["maximize net_profit"], "seed": 3,
         "params": {"rb": {"sl_pct": {"low": 0.3, "high": 0.9, "step": 0.3},
                           "rr": {"low": 1.0, "high": 3.0, "step": 1.0}}}}  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("wf_fixture")
    write(f, seed=9, days=30)
    return f


def config(folder: Path) -> Any:
    return parse_config({"replay": {"fixture": str(folder)}, "strategies": [
        {"kind": "range_breakout", "name": "rb", "magic": 2002,
         "params": {"main_symbol": "US100", "hedge_symbol": "SPX500"}}]})  # fmt: skip


def test_windows_roll_or_stay_anchored() -> None:
    d = MS_PER_DAY
    rolling = wf.windows(0, 100 * d, 40 * d, 20 * d, anchored=False)
    assert [(w.is_from // d, w.is_to // d, w.oos_to // d) for w in rolling] == [
        (0, 40, 60),
        (20, 60, 80),
        (40, 80, 100),
    ]
    anchored = wf.windows(0, 90 * d, 40 * d, 20 * d, anchored=True)
    assert [(w.is_from // d, w.is_to // d, w.oos_to // d) for w in anchored] == [
        (0, 40, 60),
        (0, 60, 80),
        (0, 80, 90),
    ]
    assert wf.span_ms("8w", "train") == 56 * d
    with pytest.raises(ValueError, match="--test '20 days'"):
        wf.span_ms("20 days", "test")


def test_no_out_of_sample_bar_reaches_the_optimiser(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(folder)
    space = parse_space(SPACE, cfg)
    fx = load_fixture(folder)
    seen: list[tuple[int, int]] = []  # per window: the last bar the optimiser got, its OOS start
    real = wf.run_study

    def spy(*args: Any, **kw: Any) -> Any:
        last = max(int(b.time_ms[-1]) for b in kw["fixture"].bars.values() if len(b))
        is_to = int(kw["study_name"].rsplit("-", 1)[1])
        seen.append((last, is_to))
        return real(*args, **kw)

    monkeypatch.setattr(wf, "run_study", spy)
    results = wf.walk_forward(cfg, space, fx, 12 * MS_PER_DAY, 6 * MS_PER_DAY, trials=4,
                              url=f"sqlite:///{tmp_path / 'wf.sqlite'}")  # fmt: skip
    assert len(results) == len(seen) >= 3
    assert all(last < is_to for last, is_to in seen)  # every bar before its window's test span
    for r in results:  # the out-of-sample replay only trades inside its own span
        assert all(r.window.is_to < ms <= r.window.oos_to for ms, _v in r.curve)  # bar closes
    stitched = wf.stitched(results)
    total = sum(r.out_of_sample["net_profit"] for r in results)
    assert stitched[-1][1] == pytest.approx(total, abs=0.02)


def test_the_cli_writes_the_windows_and_refuses_bad_spans(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text(
        f'[replay]\nfixture = "{folder}"\n[[strategies]]\nkind = "range_breakout"\nname = "rb"\n'
        'magic = 2002\nparams = { main_symbol = "US100", hedge_symbol = "SPX500" }\n'
    )
    (tmp_path / "space.toml").write_text(
        'objectives = ["maximize net_profit"]\n[params.rb]\n'
        "rr = { low = 1.0, high = 3.0, step = 1.0 }\n"
    )
    base = ["walkforward", "--config", str(tmp_path / "cfg.toml"), "--space",
            str(tmp_path / "space.toml"), "--trials", "3", "--jobs", "1"]  # fmt: skip
    out = tmp_path / "wf"
    assert (
        main([*base, "--train", "14d", "--test", "7d", "--anchored", "--out", str(out)]) == EXIT_OK
    )
    with (out / "windows.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 2 and all(r["in_sample_from"] == rows[0]["in_sample_from"] for r in rows)
    assert parse(rows[1]["in_sample_to"]) - parse(rows[0]["in_sample_to"]) == 7 * MS_PER_DAY
    assert (out / "oos_equity.csv").exists() and "efficiency" in (
        out / "walkforward.html"
    ).read_text()
    assert main([*base, "--train", "2 weeks", "--test", "7d"]) == EXIT_INPUT
    assert main([*base, "--train", "400d", "--test", "7d", "--out", str(out)]) == EXIT_INPUT

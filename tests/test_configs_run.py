"""Every config shipped in configs/ runs as it stands: a backtest from the command line, as a
trader would start one, writes its report (the real-data fixtures read ../shared/data in place:
skipped when it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.config import load_config
from bridge.data.fixtures import read_manifest, resolve_fixture
from tests.conftest import ROOT

CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.toml") if p.name != "live.example.toml")


def _needs_shared_data(cfg_path: Path) -> bool:
    cfg = load_config(cfg_path)
    _, raw = read_manifest(resolve_fixture(cfg.replay.fixture))
    return any("shared/data" in str(d.get("file", "")) for d in raw.get("symbols", {}).values())


@pytest.mark.slow
@pytest.mark.parametrize("cfg_path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_a_shipped_config_backtests_as_it_stands(cfg_path: Path, tmp_path: Path) -> None:
    if _needs_shared_data(cfg_path) and not (ROOT.parent / "shared" / "data").is_dir():
        pytest.skip("../shared/data is absent")
    assert main(["backtest", "--config", str(cfg_path), "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["per_strategy"], "a report names each strategy that ran"


def test_the_live_example_config_is_valid() -> None:
    cfg = load_config(ROOT / "configs" / "live.example.toml")
    assert cfg.build_strategies()

"""The README's example strategy, run as written: the public strategy API (``from bridge
import ...``) is enough to write one and backtest it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import bridge
from bridge.brain import strategy as api
from tests.conftest import ROOT


def readme_blocks(lang: str = "python") -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Strategies") : text.index("## Layout")]
    return re.findall(rf"```{lang}\n(.*?)```", section, flags=re.S)


def test_the_strategy_api_is_importable_from_bridge() -> None:
    for name in ("Strategy", "Context", "Open", "Close", "Modify", "Cancel", "Target"):
        assert getattr(bridge, name) is getattr(api, name)
    assert bridge.ev.Bar.__name__ == "Bar"


def test_the_readme_strategy_backtests_on_the_bundled_fixture(monkeypatch: Any) -> None:
    monkeypatch.chdir(ROOT)
    strategy_code, run_code = readme_blocks()
    ns: dict[str, Any] = {}
    exec(compile(strategy_code + run_code, "README.md", "exec"), ns)
    result = ns["result"]
    trades = result.portfolio.trades
    assert len(trades) >= 3 and all(t.strategy == "three_down" and t.side == "buy" for t in trades)
    assert {t.reason for t in trades} <= {"sl", "tp", "end"}


def test_the_readme_strategy_runs_from_a_config_by_module_and_class(tmp_path: Path) -> None:
    """Before: ``kind`` accepted only the four built-ins; a strategy of one's own meant editing
    strategies/registry.py."""
    strategy_code, _run = readme_blocks()
    (toml,) = readme_blocks("toml")
    (tmp_path / "my_strategy.py").write_text(strategy_code)
    (tmp_path / "my.toml").write_text(toml)
    out = backtest(tmp_path / "my.toml", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    trades = (tmp_path / "out" / "trades.csv").read_text().splitlines()
    assert len(trades) >= 4 and all(t.startswith("three_down,7001,US100,buy,") for t in trades[1:])
    bad = toml.replace("lots = 0.1", 'lots = "a lot"')
    (tmp_path / "bad.toml").write_text(bad)
    out = backtest(tmp_path / "bad.toml", tmp_path / "bad")
    assert out.returncode == 2
    assert "my_strategy:ThreeDownBars: lots: Input should be a valid number" in out.stderr


def backtest(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``mt5bridge backtest`` in a process of its own, as a user runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bridge.cli",
            "backtest",
            "--config",
            str(config),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_strategy_parameters_are_typed_and_errors_name_the_key() -> None:
    from bridge.config import ConfigError, parse_config

    def strat(**params: Any) -> dict[str, Any]:
        return {
            "strategies": [{"kind": "range_breakout", "name": "rb", "magic": 1, "params": params}]
        }

    cfg = parse_config(strat(hedge=False))
    assert cfg.build_strategies()[0].p.hedge is False
    for params, want in (
        ({"hedge": "yes"}, "hedge: must be true or false, got 'yes'"),
        ({"hedge": 1}, "hedge: must be true or false, got 1"),
    ):
        try:
            parse_config(strat(**params))
        except ConfigError as exc:
            assert want in str(exc), exc
        else:
            raise AssertionError(f"{params} accepted")
    ema = {"kind": "ema_cross", "name": "e", "magic": 2, "params": {"timeframe": "H1"}}
    (s,) = parse_config({"strategies": [ema]}).build_strategies()
    assert s.p.timeframe == 60
    ema["params"] = {"timeframe": "fortnightly"}
    try:
        parse_config({"strategies": [ema]})
    except ConfigError as exc:
        assert "ema_cross: timeframe: 'fortnightly' is not a timeframe" in str(exc)
    else:
        raise AssertionError("a bad timeframe was accepted")


def test_an_installed_package_names_its_strategy_by_entry_point(monkeypatch: Any) -> None:
    from importlib.metadata import EntryPoint

    from strategies import registry

    ep = EntryPoint("my_cross", "strategies.ema_cross:EmaCross", registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep])
    s = registry.build("my_cross", {"timeframe": "M30"}, 5, "mine")
    assert type(s).__name__ == "EmaCross" and s.p.timeframe == 30 and s.magic == 5
    try:
        registry.build("nobody", {}, 5, "x")
    except ValueError as exc:
        assert "known: compression, ema_cross, my_cross, range_breakout, two_bucket" in str(exc)
    else:
        raise AssertionError("an unknown kind was accepted")

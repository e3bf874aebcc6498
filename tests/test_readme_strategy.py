"""The README's example strategy, run as written: the public strategy API (``from bridge
import ...``) is enough to write one and backtest it."""

from __future__ import annotations

import re
from typing import Any

import bridge
from bridge.brain import strategy as api
from tests.conftest import ROOT


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Strategies") : text.index("## Layout")]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


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

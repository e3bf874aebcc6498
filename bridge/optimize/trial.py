"""One trial: the config's strategies with a trial's parameters, replayed in-process on the
config's fixture, measured with the report's metrics. The fixture is loaded once per process
(``Evaluator``); a trial's result depends only on its parameters (a replay is deterministic), so
it is the same on any worker and in any order."""

from __future__ import annotations

from typing import Any

from bridge.brain.portfolio import Portfolio
from bridge.config import Config
from bridge.data.fixtures import Fixture, load_fixture, rename_symbols, resolve_fixture
from bridge.replay.backtest import run_backtest
from bridge.report import sharpe, trade_metrics


def with_params(cfg: Config, values: dict[str, Any]) -> Config:
    """The config with ``values`` (``strategy.param`` -> value) in its strategies' params."""
    out = cfg.model_copy(deep=True)
    by_name = {s.name: s for s in out.strategies}
    for name, value in values.items():
        strategy, _, key = name.partition(".")
        by_name[strategy].params[key] = value
    return out


class Evaluator:
    def __init__(self, cfg: Config, fixture: Fixture | None = None) -> None:
        """``fixture``: the market to replay, its symbols already the strategies' names
        (default: the config's fixture, renamed by its aliases)."""
        self.cfg = cfg
        if fixture is None:
            fixture = rename_symbols(
                load_fixture(resolve_fixture(cfg.replay.fixture)), cfg.aliases_for(None)
            )
        self.fixture = fixture

    def replay(self, values: dict[str, Any]) -> Any:
        """The replay with these parameters (its portfolio and strategies)."""
        cfg = with_params(self.cfg, values)
        return run_backtest(self.fixture, cfg.build_strategies(), cfg.risk.limits())

    def __call__(self, values: dict[str, Any]) -> dict[str, Any]:
        """The trial's metrics: report.json's top level."""
        return top_metrics(self.replay(values).portfolio)


def top_metrics(pf: Portfolio) -> dict[str, Any]:
    """The report's top-level metrics alone (report.metrics adds the Strategy Tester's and each
    strategy's, which a trial does not need): the same figures as report.json's."""
    eq = pf.curve.columns()[2].tolist() or [pf.initial_balance]
    m = trade_metrics(pf.trades, [pf.initial_balance, *eq], pf.balance - pf.initial_balance)
    m["sharpe_ratio"] = round(sharpe(pf.curve), 3)
    return m

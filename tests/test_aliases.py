"""Symbol aliases: strategies keep their names across brokers that name an instrument
otherwise; the brain renames both ways, the replay renames the fixture."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bridge.cli import EXIT_INPUT, main
from bridge.config import DEMO, ConfigError, parse_config
from bridge.core import events as ev
from bridge.core.aliases import SymbolAliases
from bridge.data.fixtures import load_fixture, rename_symbols, require_symbols
from tests.conftest import ROOT

ALIASES = SymbolAliases({"NAS100": "US100.cash"})


def test_frames_in_are_renamed_to_the_strategies_names_and_commands_out_to_the_brokers() -> None:
    tick = ev.Tick("US100.cash", 1, 2.0, 3.0)
    assert ALIASES.inbound(tick) == ev.Tick("NAS100", 1, 2.0, 3.0)
    assert ALIASES.inbound(ev.Tick("XAUUSD", 1, 2.0, 3.0)).symbol == "XAUUSD"  # not aliased
    cmd = ev.OpenCmd("c1", "NAS100", 0, 0.1, 0.0, 0.0, 0.0, 11, 10, -1, "")
    assert ALIASES.outbound(cmd).symbol == "US100.cash"
    assert ALIASES.outbound(ev.QueryCmd("c1")) == ev.QueryCmd("c1")  # nothing to rename


def test_two_aliases_of_one_broker_symbol_are_refused() -> None:
    with pytest.raises(ValueError, match=r"both name the broker's 'US100\.cash'"):
        SymbolAliases({"NAS100": "US100.cash", "US100": "US100.cash"})


@pytest.mark.parametrize(
    ("aliases", "error"),
    [
        ({"A": "X", "B": "X"}, "aliases: Value error, aliases 'A' and 'B' both name"),
        ({"A": "X", "t1": {"B": "X"}}, "t1: aliases 'A' and 'B' both name"),
        ({"A": 3}, "aliases: Value error, A = 3: give the broker's symbol name as a string"),
    ],
)
def test_bad_aliases_in_a_config_name_the_key(aliases: dict[str, object], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        parse_config({"aliases": aliases})


def test_a_terminals_own_aliases_win_over_the_shared_ones() -> None:
    cfg = parse_config({"aliases": {"NAS100": "US100", "ftmo": {"NAS100": "US100.cash"}}})
    assert cfg.aliases_for("ftmo").broker("NAS100") == "US100.cash"
    assert cfg.aliases_for("other").broker("NAS100") == "US100"
    assert cfg.aliases_for(None).broker("NAS100") == "US100"


def _demo_toml(symbols: dict[str, str], aliases: dict[str, str] | None = None) -> str:
    """The demo config as TOML, its strategies naming ``symbols``' replacements."""

    def value(v: object) -> str:
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, str):
            return json.dumps(symbols.get(v, v))
        return repr(v)

    def inline(d: dict[str, object]) -> str:
        return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in d.items()) + " }"

    out = ['[replay]\nfixture = "demo"\n']
    if aliases:
        out.append("[aliases]\n" + "".join(f'{k} = "{v}"\n' for k, v in aliases.items()))
    for st in copy.deepcopy(DEMO["strategies"]):  # type: ignore[union-attr]
        assert isinstance(st, dict)
        params = st.pop("params")
        out.append("[[strategies]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in st.items()))
        out.append(f"params = {inline(params)}\n")
    return "\n".join(out)


def test_a_replay_with_aliases_trades_as_one_with_the_brokers_names(tmp_path: Path) -> None:
    """The demo's strategies renamed NAS100/GOLD/US500, aliased to the fixture's names: the
    backtest from the command line makes the same trades, named by the aliases."""
    ours = {"US100": "NAS100", "XAUUSD": "GOLD", "SPX500": "US500"}
    (tmp_path / "plain.toml").write_text(_demo_toml({}))
    (tmp_path / "aliased.toml").write_text(_demo_toml(ours, {v: k for k, v in ours.items()}))
    for name in ("aliased", "plain"):
        args = ["backtest", "--config", str(tmp_path / f"{name}.toml"), "--out"]
        assert main([*args, str(tmp_path / name)]) == 0
    rows = {n: (tmp_path / n / "trades.csv").read_text().splitlines() for n in ("aliased", "plain")}
    assert len(rows["plain"]) > 5
    renamed = rows["plain"]
    for broker, alias in ours.items():
        renamed = [r.replace(f",{broker},", f",{alias},") for r in renamed]
    assert renamed != rows["plain"] and rows["aliased"] == renamed


def test_a_strategy_naming_a_missing_symbol_is_told_the_alias_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = load_fixture(ROOT / "bridge" / "data" / "demo")
    renamed = rename_symbols(fx, SymbolAliases({"US100X": "US100"}))
    require_symbols(renamed, {"mine": ("US100X",)})
    assert renamed.bars["US100X"].symbol == renamed.specs["US100X"].symbol == "US100X"
    (tmp_path / "c.toml").write_text(_demo_toml({"US100": "US100X"}))
    assert main(["backtest", "--config", str(tmp_path / "c.toml"), "--out", str(tmp_path)]) == (
        EXIT_INPUT
    )
    assert '[aliases] US100X = "US100"' in capsys.readouterr().err

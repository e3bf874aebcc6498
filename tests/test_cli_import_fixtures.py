from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import EXIT_INPUT, EXIT_OK, main
from bridge.data.fixtures import DEMO_FIXTURE, FixtureError, load_fixture, market_events, read_bars
from bridge.data.mt5csv import import_csv
from tests.conftest import shared_file

FTMO = ["XAUUSD", "US100.cash", "US30.cash", "BTCUSD"]


@pytest.mark.shared_data
@pytest.mark.parametrize("sym", FTMO)
def test_import_mt5_csv_on_shared_ftmo_files(
    sym: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = shared_file(f"mt5_ftmo/{sym}_M1.csv.gz")
    assert main(["import-mt5-csv", str(src), "--symbol", sym, "--out", str(tmp_path)]) == EXIT_OK
    assert "100000 M1 bars" in capsys.readouterr().out
    bars = read_bars(tmp_path / f"{sym}_M1.csv.gz", sym)
    assert len(bars) == 100_000
    # broker server time kept as is, no conversion: first bars of the exports (README)
    first = {
        "XAUUSD": "2025-12-03T02:07",
        "US100.cash": "2025-12-02T21:39",
        "US30.cash": "2025-12-02T21:21",
        "BTCUSD": "2026-01-05T03:40",
    }[sym]
    assert str(bars.time_ms[0].astype("datetime64[ms]"))[:16] == first
    assert '[symbols."' + sym + '"]' in (tmp_path / "fixture.toml").read_text()


@pytest.mark.shared_data
def test_import_other_broker_layout(tmp_path: Path) -> None:
    src = shared_file("mt5_other/XAUUSD_M1_2025-05-15_2025-06-04.csv.gz")
    bars, _ = import_csv(src, "XAUUSD", tmp_path)
    assert len(bars) == 20_000 and (bars.spread == 0).all()


def test_import_mt5_export_bars_tab_layout(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_text(
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
        "2026.01.05\t01:05:00\t2650.10\t2650.50\t2649.90\t2650.20\t12\t0\t30\n"
        "2026.01.05\t01:06:00\t2650.20\t2650.30\t2650.00\t2650.05\t8\t0\t31\n"
    )
    bars, dst = import_csv(src, "XAUUSD", tmp_path / "fx")
    assert len(bars) == 2 and bars.spread.tolist() == [30, 31]
    with gzip.open(dst, "rt") as fh:
        second_line = fh.read().splitlines()[1]
    assert second_line == "2026-01-05 01:05:00,2650.1,2650.5,2649.9,2650.2,12,30,0"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_an_mt5_export_in_utf16_is_imported(tmp_path: Path, encoding: str) -> None:
    """MT5 writes its exports as UTF-16 as often as not. Before: refused (or a traceback)."""
    src = tmp_path / "export.csv"
    text = (
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
        "2026.01.05\t01:05:00\t2650.10\t2650.50\t2649.90\t2650.20\t12\t0\t30\n"
    )
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data  # a byte order mark, as MT5 writes it
    src.write_bytes(data)
    bars, _dst = import_csv(src, "XAUUSD", tmp_path / "fx")
    assert len(bars) == 1 and bars.close.tolist() == [2650.2]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "time,open,high,low,close,tick_volume,spread\n2026-01-05 01:05:00,1,0.5,0.4,1,1,1\n",
            "row 2: high below",
        ),
        (
            "time,open,high,low,close,tick_volume,spread\n2026-01-05 01:05:00,1,2,0.5,x,1,1\n",
            "row 2: column close",
        ),
        (
            "time,open,high,low,close,tick_volume,spread\n2026-01-05 01:06:00,1,2,0.5,1,1,1\n"
            "2026-01-05 01:05:00,1,2,0.5,1,1,1\n",
            "row 3: time is not strictly increasing",
        ),
        ("time,open,high,low,close\n2026-01-05 01:05:00,1,2,0.5,1\n", "missing columns"),
        ("time,open,high,low,close,tick_volume,spread\nnot-a-date,1,2,0.5,1,1,1\n", "time"),
    ],
)
def test_bad_bar_files_name_the_row_and_problem(tmp_path: Path, body: str, error: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(FixtureError, match=error):
        read_bars(f, "X")


@pytest.mark.parametrize(
    ("bad_row", "fault", "error"),
    [
        (8, "close", "row 10: column close is not a positive number"),  # the file's line
        (7, "time", "row 9: time is not strictly increasing"),
        (5, "spread", "row 7: bad spread"),
    ],
)
def test_a_bar_file_read_in_chunks_names_the_row_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_row: int, fault: str, error: str
) -> None:
    """Files are parsed a chunk at a time (3 rows here): a row is still named by its line in
    the file (the header is line 1), as when the file is read whole."""
    import bridge.data.fixtures as fixtures

    monkeypatch.setattr(fixtures, "CHUNK_ROWS", 3)
    lines = ["time,open,high,low,close,tick_volume,spread"]
    for i in range(10):
        t = (
            f"2026-01-05 01:{i:02d}:00"
            if not (fault == "time" and i == bad_row)
            else "2026-01-05 01:00:00"
        )
        close = "x" if fault == "close" and i == bad_row else "1.5"
        spread = "-3" if fault == "spread" and i == bad_row else "2"
        lines.append(f"{t},1,2,0.5,{close},1,{spread}")
    f = tmp_path / "chunks.csv"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(FixtureError, match=error):
        read_bars(f, "X")
    good = tmp_path / "good.csv"
    good.write_text(
        "\n".join(lines[:1] + [x for k, x in enumerate(lines[1:]) if k != bad_row]) + "\n"
    )
    bars = read_bars(good, "X")
    assert len(bars) == 9 and bars.close.tolist() == [1.5] * 9


def test_fixture_without_spec_says_what_to_state(tmp_path: Path) -> None:
    (tmp_path / "fixture.toml").write_text('[symbols.X]\nfile = "x.csv"\ndigits = 2\n')
    with pytest.raises(FixtureError, match="must state point, tick_size"):
        load_fixture(tmp_path)


def test_market_events_order_bars_before_next_ticks(demo_fixture: object) -> None:
    evs = []
    for e in market_events(demo_fixture):  # type: ignore[arg-type]
        evs.append(e)
        if len(evs) >= 40:
            break
    times = [e.time_ms if type(e).__name__ == "Tick" else e.time_ms + 60_000 for e in evs]
    assert times == sorted(times)
    first_bar = next(i for i, e in enumerate(evs) if type(e).__name__ == "Bar")
    assert first_bar == 12  # 3 symbols x 4 ticks, then the bars of the first minute


def test_cli_backtest_writes_every_output_and_compare_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", "--out", str(tmp_path / "a")]) == EXIT_OK
    for f in ("trades.csv", "equity.csv", "report.json", "report.html"):
        assert (tmp_path / "a" / f).stat().st_size > 0
    assert not (tmp_path / "a" / "equity.png").exists()  # drawn only when asked for
    page = (tmp_path / "a" / "report.html").read_text()
    # its charts inline (the library and the data in the page), no file beside it
    assert "id='equity-chart'" in page and "var REPORT_DATA=" in page
    assert "<script src" not in page and "<img" not in page
    first = (tmp_path / "a" / "equity.csv").read_text().splitlines()[1]
    assert first.startswith("2026-01-05 01:06:00,"), first  # the first bar closed, server time
    assert main(["backtest", "--out", str(tmp_path / "p"), "--png"]) == EXIT_OK
    assert (tmp_path / "p" / "equity.png").stat().st_size > 0
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert set(rep["per_strategy"]) == {"us100_breakout", "xauusd_compression", "us100_plan"}
    header = (tmp_path / "a" / "trades.csv").read_text().splitlines()[0]
    assert header == (
        "strategy,magic,symbol,side,volume,open_time,open_price,close_time,close_price,"
        "sl,tp,profit,commission,swap,reason"
    )
    capsys.readouterr()
    page = tmp_path / "compare.html"
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "a"), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| metric | a | a | change | % change |") and "| trades |" in out
    runs = [str(tmp_path / r) for r in ("a", "p", "a")]  # three runs: the base, then two
    assert main(["compare", *runs, "--html", str(page)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("| metric | a | p | change | % change | a | change | % change |")
    assert "| trades | 33 | 33 | +0 | +0.0% | 33 | +0 | +0.0% |" in out
    assert page.read_text().count("<polyline") == 3
    assert main(["compare", runs[0]]) == 2  # one run: nothing to compare with


@pytest.mark.parametrize(
    ("toml", "msg"),
    [
        ("[brain]\nheartbeat_ms = 0\n", "brain.heartbeat_ms"),
        ('[brain]\nendpoint = "tcp://0.0.0.0:5555"\n', "not loopback"),
        (
            '[[strategies]]\nkind = "ema_cross"\nname = "a"\nmagic = 1\nparams = { fats = 3 }\n',
            "unknown parameter",
        ),
        ("[risk]\nmargin_use = 2\n", "risk.margin_use"),
        ("[brain\n", "not valid TOML"),
    ],
)
def test_bad_config_exits_2_and_names_the_key(
    tmp_path: Path, toml: str, msg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    assert main(["backtest", "--config", str(cfg), "--out", str(tmp_path / "o")]) == EXIT_INPUT
    assert msg in capsys.readouterr().err


def test_missing_secret_variable_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MT5BRIDGE_SECRET", raising=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    assert main(["status", "--config", str(cfg)]) == EXIT_INPUT
    assert "MT5BRIDGE_SECRET is not set" in capsys.readouterr().err


def test_committed_fixtures_are_what_the_seeded_generator_makes(tmp_path: Path) -> None:
    from bridge.data.fixturegen import write

    write(tmp_path, seed=7, days=5)
    for f in sorted((DEMO_FIXTURE).iterdir()):
        fresh = (tmp_path / f.name).read_bytes()
        assert fresh == f.read_bytes(), f"{f.name} differs: run make fixtures"


def test_tick_fixture_streams_every_tick_and_closes_each_bar_at_its_minute_end() -> None:
    from bridge.core.events import Bar, Tick
    from tests.conftest import ROOT

    fx = load_fixture(ROOT / "fixtures" / "ticks_demo")
    ticks = fx.ticks["XAUUSD"]
    evs = list(market_events(fx))
    got_ticks = [e for e in evs if isinstance(e, Tick)]
    assert len(got_ticks) == len(ticks)
    seen: list[Tick] = []
    for e in evs:
        if isinstance(e, Tick):
            seen.append(e)
            continue
        assert isinstance(e, Bar)
        inside = [t for t in seen if e.time_ms <= t.time_ms < e.time_ms + 60_000]
        # the bar comes after all its ticks and before any later one: no look-ahead
        assert inside and seen[-1].time_ms < e.time_ms + 60_000
        assert (e.open, e.close) == (inside[0].bid, inside[-1].bid)
        assert e.high == max(t.bid for t in inside) and e.low == min(t.bid for t in inside)
        assert e.tick_volume == len(inside)


def test_committed_tick_fixture_is_what_the_generator_makes(tmp_path: Path) -> None:
    from bridge.data.fixturegen import write_ticks
    from tests.conftest import ROOT

    write_ticks(tmp_path, seed=8)
    for f in sorted((ROOT / "fixtures" / "ticks_demo").iterdir()):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "time,bid,ask\n2026-01-06 01:05:14.092,2649.94,2649.90\n",
            "row 2: ask is missing or below bid",
        ),
        (
            "time,bid,ask\n2026-01-06 01:05:14.092,1,2\n2026-01-06 01:05:13.000,1,2\n",
            "row 3: time goes backwards",
        ),
        ("time,bid\n2026-01-06 01:05:14.092,1\n", "missing columns"),
    ],
)
def test_bad_tick_files_name_the_row(tmp_path: Path, body: str, error: str) -> None:
    from bridge.data.fixtures import read_ticks

    f = tmp_path / "t.csv"
    f.write_text(body)
    with pytest.raises(FixtureError, match=error):
        read_ticks(f, "X")


def test_a_port_already_taken_is_bad_input_and_leaves_no_journal(tmp_path: Path) -> None:
    import os
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = tmp_path / "run.toml"
        cfg.write_text(
            f'[brain]\nendpoint = "tcp://127.0.0.1:{port}"\ncontrol_endpoint = ""\n'
            f'secret_env = "PORT_TEST_SECRET"\n[store]\nurl = "sqlite:///{tmp_path / "a.sqlite"}"\n'
        )
        os.environ["PORT_TEST_SECRET"] = "x"
        try:
            assert main(["run", "--config", str(cfg)]) == EXIT_INPUT
        finally:
            del os.environ["PORT_TEST_SECRET"]
    assert not list(tmp_path.glob("mt5bridge-journal-*"))


def test_ctrl_c_is_one_line_and_exit_code_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bridge.cli as cli

    def interrupted(_a: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_backtest", interrupted)
    assert main(["backtest", "--out", "x"]) == cli.EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "mt5bridge backtest: interrupted\n"


def test_an_import_can_copy_its_specification_from_another_fixture(tmp_path: Path) -> None:
    """Before: the import wrote an empty account and a specification stub, and a backtest
    failed until the values were typed by hand."""
    src = tmp_path / "export.csv"
    rows = "".join(
        f"2026.01.05\t{10 + m // 60:02d}:{m % 60:02d}:00\t{21000 + m}\t{21002 + m}\t"
        f"{20999 + m}\t{21001 + m}\t12\t0\t30\n"
        for m in range(600)
    )
    src.write_text(
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n" + rows
    )
    out = tmp_path / "mine"
    args = ["import-mt5-csv", str(src), "--symbol", "US100.cash", "--out", str(out)]
    assert main([*args, "--spec-from", "demo", "--spec-symbol", "US100"]) == EXIT_OK
    text = (out / "fixture.toml").read_text()
    assert "copied from" in text and "check every value" in text
    fx = load_fixture(out)
    assert fx.specs["US100.cash"].tick_size == 0.01 and fx.account.balance == 100000.0
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[replay]\nfixture = "mine"\n[[strategies]]\nkind = "ema_cross"\nname = "e"\n'
        'magic = 1\nparams = { symbol = "US100.cash", timeframe = "M5" }\n'
    )
    assert main(["backtest", "--config", str(cfg), "--out", str(tmp_path / "o")]) == EXIT_OK
    bad = [*args[:-1], str(tmp_path / "other"), "--spec-from", "demo", "--spec-symbol", "NOPE"]
    assert main(bad) == EXIT_INPUT


SPEC = (
    "digits = 2\npoint = 0.01\ntick_size = 0.01\ntick_value = 0.01\ncontract_size = 1.0\n"
    "volume_min = 0.01\nvolume_step = 0.01\nvolume_max = 100.0\n"
)


def _minutes_fixture(tmp_path: Path, extra: str) -> Path:
    """A fixture whose bar file is minutes of another source: ``timestamp`` and ``volume``
    columns, US Eastern time, no spread."""
    (tmp_path / "es.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        "2026-01-26 09:30:00,6950.25,6951.0,6949.5,6950.75,1200\n"
        "2026-01-26 09:31:00,6950.75,6952.0,6950.0,6951.5,900\n"
    )
    (tmp_path / "fixture.toml").write_text(
        f'name = "es"\n[account]\nbalance = 1000.0\n[symbols.ES]\nfile = "es.csv"\n{extra}{SPEC}'
    )
    return tmp_path


def test_a_bar_file_of_another_source_is_read_in_place_with_its_shift_and_spread(
    tmp_path: Path,
) -> None:
    fx = load_fixture(_minutes_fixture(tmp_path, "shift_hours = 7\nspread = 50\n"))
    bars = fx.bars["ES"]
    # 09:30 ET is 16:30 server time (UTC+2 in winter)
    assert bars.time_ms[0] == int(np.datetime64("2026-01-26T16:30", "ms").astype(np.int64))
    assert list(bars.spread) == [50, 50] and list(bars.tick_volume) == [1200, 900]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ("", "missing columns ['spread'] (have"),
        ('shift_hours = "7"\nspread = 50\n', "shift_hours must be a number"),
        ("spread = -1\n", "spread must be points >= 0"),
        ("spread = 0.5\n", "spread must be points >= 0"),
    ],
)
def test_a_bar_file_without_spread_or_with_bad_keys_names_what_to_state(
    tmp_path: Path, extra: str, error: str
) -> None:
    with pytest.raises(FixtureError, match=re.escape(error)):
        load_fixture(_minutes_fixture(tmp_path, extra))

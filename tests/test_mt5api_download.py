"""``mt5bridge download`` through the package's stand-in: the fixture it writes holds the
terminal's bars exactly (asked in chunks smaller than the terminal's "Max bars in chart", a
full chunk asked again in halves), its ticks, the symbols' specifications and the account; a
download stopped midway resumes where it stopped; bad input is refused with exit code 2."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bridge.cli import EXIT_INPUT, EXIT_OK, main
from bridge.data.fixturegen import write, write_ticks
from bridge.data.fixtures import Fixture, load_fixture
from bridge.mt5api.download import download
from bridge.mt5api.package import Api
from tests.mt5_standin import StandIn


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("terminal_history")
    write(folder, seed=5, days=10)
    return folder


def same_bars(got: Fixture, want: Fixture, symbol: str) -> None:
    a, b = got.bars[symbol], want.bars[symbol]
    assert np.array_equal(a.time_ms, b.time_ms)
    for col in ("open", "high", "low", "close"):
        assert np.allclose(getattr(a, col), getattr(b, col), rtol=0, atol=1e-9), col
    assert np.array_equal(a.spread, b.spread) and np.array_equal(a.tick_volume, b.tick_volume)


def test_download_writes_the_terminals_bars_in_chunks(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MT5_STANDIN_FIXTURE", str(source))
    monkeypatch.setenv("MT5_STANDIN_MAX_BARS", "3000")  # a week holds ~7,000: asked in halves
    out = tmp_path / "mine"
    args = [
        "download",
        "--symbols",
        "US100,SPX500,XAUUSD",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-19",
        "--out",
        str(out),
        "--package",
        "tests.mt5_standin:from_env",
    ]
    assert main(args) == EXIT_OK
    got, want = load_fixture(out), load_fixture(source)
    assert set(got.bars) == {"US100", "SPX500", "XAUUSD"}
    for s in got.bars:
        same_bars(got, want, s)
        spec, known = dataclasses.asdict(got.specs[s]), dataclasses.asdict(want.specs[s])
        assert {k: v for k, v in spec.items() if k != "sessions"} == {
            k: v for k, v in known.items() if k != "sessions"
        }
    assert got.account.balance == want.account.balance and got.account.hedging
    assert not list((out / ".parts").glob("*.tmp"))
    # the fixture replays with the demo's strategies
    assert main(["backtest", "--fixture", str(out), "--out", str(tmp_path / "bt")]) == EXIT_OK


class StopsMidway(StandIn):
    """A terminal that goes away after ``calls`` history requests."""

    calls_left = 2

    def _copy_rates_range(self, *args: object) -> object:
        StopsMidway.calls_left -= 1
        if StopsMidway.calls_left < 0:
            raise ConnectionError("the terminal went away")
        return super()._copy_rates_range(*args)


def test_a_stopped_download_resumes_where_it_stopped(source: Path, tmp_path: Path) -> None:
    fx = load_fixture(source)
    out = tmp_path / "mine"
    start, end = 1767571200, 1768435200  # 2026-01-05 .. 2026-01-15
    first = StopsMidway(fx)
    first.at_end()
    first.initialize()
    with pytest.raises(ConnectionError):
        download(Api(first), ["US100", "SPX500"], start, end, out)
    parts_before = sorted(p.name for p in (out / ".parts").iterdir())
    assert parts_before and not any(p.endswith(".tmp") for p in parts_before)
    again = StandIn(fx)
    again.at_end()
    again.initialize()
    download(Api(again), ["US100", "SPX500"], start, end, out)
    asked = again.calls["copy_rates_range"]
    assert asked == 4 - len(parts_before)  # two weeks of two symbols, minus what was done
    got = load_fixture(out)
    for s in ("US100", "SPX500"):
        want = fx.bars[s].between(start * 1000, end * 1000)
        assert np.array_equal(got.bars[s].time_ms, want.time_ms)


def test_download_with_ticks(tmp_path: Path) -> None:
    folder = tmp_path / "ticks_source"
    write_ticks(folder, seed=3)
    fx = load_fixture(folder)
    standin = StandIn(fx)
    standin.at_end()
    standin.initialize()
    (sym,) = fx.ticks
    t = fx.ticks[sym].time_ms
    start, end = int(t[0]) // 86_400_000 * 86_400, (int(t[-1]) // 86_400_000 + 1) * 86_400
    for e in standin.events:  # the terminal's tick history
        if hasattr(e, "bid"):
            standin.ticks[e.symbol].append((e.time_ms, e.bid, e.ask))
    counts = download(Api(standin), [sym], start, end, tmp_path / "out", ticks=True)
    got = load_fixture(tmp_path / "out")
    assert counts[f"{sym} ticks"] == len(t)
    assert np.array_equal(got.ticks[sym].time_ms, t)
    assert np.allclose(got.ticks[sym].bid, fx.ticks[sym].bid)


def test_bad_input_is_refused_with_its_reason(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MT5_STANDIN_FIXTURE", str(source))
    base = ["download", "--out", str(tmp_path / "x"), "--package", "tests.mt5_standin:from_env"]
    assert (
        main([*base, "--symbols", "NOPE", "--from", "2026-01-05", "--to", "2026-01-06"])
        == EXIT_INPUT
    )
    assert "no symbol 'NOPE'" in capsys.readouterr().err
    assert (
        main([*base, "--symbols", "US100", "--from", "2026-01-06", "--to", "2026-01-05"])
        == EXIT_INPUT
    )
    assert "--to must be after --from" in capsys.readouterr().err
    assert (
        main([*base, "--symbols", "US100", "--from", "yesterday", "--to", "2026-01-05"])
        == EXIT_INPUT
    )
    assert main(["download", "--out", "x", "--symbols", "US100", "--from", "2026-01-05", "--to",
                 "2026-01-06", "--package", "NoSuchPackage"]) == EXIT_INPUT  # fmt: skip
    assert "not installed" in capsys.readouterr().err

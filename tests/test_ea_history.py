"""The EA's history answer (mql5/Include/MT5Bridge/History.mqh) executed on Linux against the
real brain: mql5/Tests/HistoryRun.mq5 is rewritten to C++ by mql5/check/mql5check.py and linked
with mql5/check/runtime/mql5_history_runtime.h, whose CopyRates reads the demo fixture's M1 bars
and can behave as a terminal still downloading its history (a first call failing with 4401,
then only part of the range while the series is not synchronised)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge.brain.engine import Engine
from bridge.config import parse_config
from bridge.data.fixtures import DEMO_FIXTURE, load_fixture
from bridge.live.server import BrainServer
from tests.conftest import ROOT
from tests.mql5_build import build

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
SECRET = "history-secret"
STRATS = [
    {
        "kind": "ema_cross",
        "name": "ema_us100",
        "magic": 11,
        "params": {"symbol": "US100", "timeframe": 5, "fast": 5, "slow": 20},
    },
    {  # a symbol whose history the terminal does not have
        "kind": "ema_cross",
        "name": "ema_gold",
        "magic": 12,
        "params": {"symbol": "GOLD", "timeframe": 5, "fast": 5, "slow": 20},
    },
]
NEED = 205 * 5  # M1 bars: the EMA(20) of M5 closes settled


@pytest.fixture(scope="module")
def history_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("history")
    driver = (
        "int main(int argc, char **argv) {\n"
        "  if (argc < 5) return 64;\n"
        "  return HistoryMain(string(argv[1]), std::atoi(argv[2]), string(argv[3]),"
        " std::atol(argv[4]));\n"
        "}\n"
    )
    main_file = ROOT / "mql5" / "Tests" / "HistoryRun.mq5"
    return build(main_file, "mql5_history_runtime.h", driver, work, "history")


@pytest.fixture(scope="module")
def terminal_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """The terminal's US100 M1 history, from the demo fixture; the open times in ms."""
    folder = tmp_path_factory.mktemp("terminal-files")
    b = load_fixture(DEMO_FIXTURE).bars["US100"]
    cols = (b.time_ms // 1000, b.open, b.high, b.low, b.close, b.tick_volume, b.spread)
    rows = zip(*(c.tolist() for c in cols), strict=True)
    lines = [f"{t},{o!r},{h!r},{lo!r},{c!r},{v},{sp}" for t, o, h, lo, c, v, sp in rows]
    (folder / "US100_M1.csv").write_text("\n".join(lines) + "\n")
    return folder, b.time_ms


def _session(
    exe: Path, files: Path, now_ms: int, loading: int
) -> tuple[subprocess.CompletedProcess[str], list[tuple[str, dict[str, Any]]], Engine]:
    logs: list[tuple[str, dict[str, Any]]] = []
    engines: list[Engine] = []

    def make(_tid: str, send: Any) -> Engine:
        engines.append(Engine(parse_config({"strategies": STRATS}).build_strategies(), {}, send))
        return engines[-1]

    srv = BrainServer(
        make,
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET.encode(),
        heartbeat_ms=200,
        on_log=lambda k, d: logs.append((k, d)),
    )
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    port = srv.endpoint.rsplit(":", 1)[1]
    env = {"MQL5_FILES": str(files), "MQL5_NOW": str(now_ms // 1000)}
    if loading:
        env["MQL5_RATES_LOADING"] = str(loading)
    try:
        out = subprocess.run(
            [str(exe), "127.0.0.1", port, SECRET, str(now_ms)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    finally:
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
    assert srv.stats.bad_frames == 0 and srv.stats.gaps == 0
    (eng,) = engines
    return out, logs, eng


@pytest.mark.parametrize("loading", [0, 3], ids=["loaded", "still-downloading"])
def test_the_ea_answers_the_history_from_copy_rates(
    history_exe: Path, terminal_files: tuple[Path, np.ndarray], loading: int
) -> None:
    """The brain's warm-up gets every closed bar it asked for, the open one never; a terminal
    still loading (CopyRates -1 with 4401, then half the range while not synchronised) is asked
    again until its history is whole; a symbol it does not have is said so."""
    files, times = terminal_files
    now_ms = int(times[1200]) + 30_000  # half a minute into the 1,201st bar
    out, logs, eng = _session(history_exe, files, now_ms, loading)
    assert out.returncode == 0, out.stdout + out.stderr
    (warmed,) = [d for k, d in logs if k == "warmed"]
    assert warmed["history"]["US100"] == {"needed": NEED, "got": NEED, "status": "complete"}
    assert warmed["history"]["GOLD"]["status"] == "no such symbol"
    assert warmed["short"] == {"ema_gold": {"GOLD": NEED}}
    assert eng.last_bar_ms["US100"] == int(times[1199])  # the last closed bar; not the open one


def test_a_history_never_synchronised_is_sent_as_it_is_with_its_status(
    history_exe: Path, terminal_files: tuple[Path, np.ndarray]
) -> None:
    """The series never synchronises: after its tries the EA sends the part it has, and the
    status "not loaded yet"; the brain reports the shortfall and goes live."""
    files, times = terminal_files
    now_ms = int(times[1200]) + 30_000  # 1,200 bars closed: half is short of the need
    out, logs, _eng = _session(history_exe, files, now_ms, loading=10_000)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "was still loading" in out.stdout
    (warmed,) = [d for k, d in logs if k == "warmed"]
    us100 = warmed["history"]["US100"]
    assert us100["status"] == "the terminal had not loaded that history yet"
    assert us100["got"] == 600  # the newest half of what the terminal has
    assert "ema_us100" in warmed["short"]

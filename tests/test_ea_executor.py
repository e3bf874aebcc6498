"""The EA's Executor (mql5/Include/MT5Bridge/Executor.mqh) executed on Linux against the
project's broker simulator, on hedging and netting accounts: mql5/Tests/ExecutorRun.mq5 is
rewritten to C++ by mql5/check/mql5check.py and linked with
mql5/check/runtime/mql5_trade_runtime.h, whose trade, position, symbol and account functions
ask tests/ea_broker.py. Each command frame is executed and its RESULT compared with what the
simulated broker did."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.core.symbols import SymbolSpec
from tests.conftest import ROOT
from tests.ea_broker import ACTION_DEAL, EABroker
from tests.mql5_build import build

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
MQL5 = ROOT / "mql5"
T0 = 1767607200000
US100 = SymbolSpec("US100", 2, 0.01, 0.01, 0.01, 1.0, 0.01, 0.01, 100.0, stops_level=50)
QUOTES = {"US100": (21000.0, 21001.5)}


@pytest.fixture(scope="module")
def executor_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("executor")
    driver = (
        "int main(int argc, char **argv) {\n"
        "  for (int i = 1; i < argc; i++) ExecuteFrame(string(argv[i]));\n"
        "  return 0;\n}\n"
    )
    main_file = MQL5 / "Tests" / "ExecutorRun.mq5"
    return build(main_file, "mql5_trade_runtime.h", driver, work, "executor")


def run(exe: Path, broker: EABroker, files: Path, *frames: str) -> list[str]:
    out = subprocess.run(
        [str(exe), *frames],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MQL5_BROKER": str(broker.port), "MQL5_FILES": str(files)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    results = [ln[len("RESULT ") :] for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    assert len(results) == len(frames), out.stdout
    return results


def fields(result: str) -> tuple[str, int, int, int, float, float, str]:
    cid, code, order, deal, vol, price, text = result.split("|", 6)
    return cid, int(code), int(order), int(deal), float(vol), float(price), text


def broker(hedging: bool, gtc: bool = True) -> EABroker:
    return EABroker({"US100": US100}, hedging, QUOTES, T0, gtc=gtc)


OPEN = "OPEN|1|c-1|US100|0|0.3|0|0|0|7|20|-1|c-1"


def opened(exe: Path, b: EABroker, files: Path) -> int:
    """A 0.3-lot buy opened through the EA; its position ticket."""
    (result,) = run(exe, b, files, OPEN)
    assert fields(result)[1] == 10009, result
    (ticket,) = b.sim.positions
    return ticket


@pytest.mark.parametrize("hedging", [True, False], ids=["hedging", "netting"])
def test_open_then_partial_close(executor_exe: Path, tmp_path: Path, hedging: bool) -> None:
    """A market order carries the quote as its price (Instant and Request execution need it);
    a partial close leaves the rest open: on a hedging account by closing that much of the
    position, on a netting account by an opposite deal of that volume."""
    b = broker(hedging)
    try:
        ticket = opened(executor_exe, b, tmp_path)
        first = b.requests[0]
        assert first.action == ACTION_DEAL and first.price == 21001.5 and first.deviation == 20
        (closed,) = run(executor_exe, b, tmp_path, f"CLOSE|2|c-2|{ticket}|0.1|20")
        assert fields(closed)[1] == 10009, closed
        assert b.sim.positions[ticket].volume == pytest.approx(0.2)
        second = b.requests[1]
        assert (second.position == ticket) == hedging  # netting: just the opposite deal
        assert second.type == 1 and second.price == 21000.0
    finally:
        b.close()


def test_close_by_on_a_netting_account_is_refused_not_the_last_result(
    executor_exe: Path, tmp_path: Path
) -> None:
    """Before: CTrade's PositionCloseBy returned false early on a netting account and the
    Executor reported the previous command's result (10009 and its deal) as this one's."""
    b = broker(hedging=False)
    try:
        ticket = opened(executor_exe, b, tmp_path)
        (by,) = run(executor_exe, b, tmp_path, f"CLOSEBY|2|c-2|{ticket}|{ticket + 1}")
        cid, code, _o, deal, _v, _p, text = fields(by)
        assert (cid, code, deal) == ("c-2", 10013, 0) and "hedging account" in text
        assert len(b.requests) == 1  # nothing sent for it
    finally:
        b.close()


def test_a_command_on_a_vanished_position_is_refused_with_its_own_reason(
    executor_exe: Path, tmp_path: Path
) -> None:
    """Before: CTrade's PositionModify returned false early and the previous result was
    reported."""
    b = broker(hedging=True)
    try:
        t = opened(executor_exe, b, tmp_path)
        closed, modify, close_again = run(
            executor_exe,
            b,
            tmp_path,
            f"CLOSE|2|c-2|{t}|0|20",
            f"MODIFY|3|c-3|{t}|20900|21100",
            f"CLOSE|4|c-4|{t}|0|20",
        )
        assert fields(closed)[1] == 10009
        for r, cid in ((modify, "c-3"), (close_again, "c-4")):
            assert fields(r)[:4] == (cid, 10036, 0, 0) and "not found" in r
        assert len(b.requests) == 2
    finally:
        b.close()


def test_modify_is_checked_against_the_stops_level_and_sent_normalised(
    executor_exe: Path, tmp_path: Path
) -> None:
    b = broker(hedging=True)
    try:
        t = opened(executor_exe, b, tmp_path)
        too_close, moved = run(
            executor_exe,
            b,
            tmp_path,
            f"MODIFY|2|c-2|{t}|20999.9|0",  # 10 points under the bid: the stops level is 50
            f"MODIFY|3|c-3|{t}|20950.123|21100.004",
        )
        assert fields(too_close)[1] == 10016
        assert fields(moved)[1] == 10009, moved
        last = b.requests[-1]
        assert (last.sl, last.tp) == (20950.12, 21100.0)
        (pos,) = b.sim.positions.values()
        assert (pos.sl, pos.tp) == (20950.12, 21100.0)
    finally:
        b.close()


def test_a_pending_order_is_a_day_order_where_gtc_is_not_taken(
    executor_exe: Path, tmp_path: Path
) -> None:
    b = broker(hedging=True, gtc=False)
    try:
        (placed,) = run(executor_exe, b, tmp_path, "OPEN|1|c-1|US100|2|0.1|20900|0|0|7|20|-1|c-1")
        assert fields(placed)[1] == 10008 and "a day order" in placed
        assert b.requests[0].type_time == 1  # ORDER_TIME_DAY
    finally:
        b.close()


def test_a_repeated_client_id_is_answered_never_executed_again(
    executor_exe: Path, tmp_path: Path
) -> None:
    """Also across an EA restart: the second run is a new process reading the same file."""
    b = broker(hedging=True)
    try:
        (first,) = run(executor_exe, b, tmp_path, OPEN)
        again, query, unknown = run(
            executor_exe,
            b,
            tmp_path,
            OPEN,
            "QUERY|2|c-1",
            "QUERY|3|c-9",
        )
        assert again == first == query and len(b.requests) == 1
        assert fields(unknown)[1] == 0 and "no record" in unknown
    finally:
        b.close()


def test_the_memory_keeps_the_newest_ids_of_a_long_file(executor_exe: Path, tmp_path: Path) -> None:
    """A memory file of 6,000 ids (each with its pending line and its result, one repeated at
    the end): the newest 5,000 are known after a restart, the oldest forgotten, the last result
    of an id wins, and the file is compacted to one line per kept id."""
    memory = tmp_path / "MT5Bridge" / "executed_4242.txt"
    memory.parent.mkdir(parents=True)
    lines = []
    for i in range(6000):
        lines += [f"old-{i}\tpending", f"old-{i}\told-{i}|10009|{i}|{i}|0.1|21000|done"]
    lines.append("old-5999\told-5999|10009|5999|5999|0.1|21000|done again")
    memory.write_text("\r\n".join(lines) + "\r\n")
    b = broker(hedging=True)
    try:
        kept, forgotten, newest = run(
            executor_exe, b, tmp_path, "QUERY|1|old-1000", "QUERY|2|old-999", "QUERY|3|old-5999"
        )
    finally:
        b.close()
    assert kept.startswith("old-1000|10009|1000|")
    assert fields(forgotten)[1] == 0 and "no record" in forgotten
    assert newest.endswith("done again")
    rows = memory.read_text().splitlines()
    assert len(rows) == 5000 and rows[0].startswith("old-1000\t") and rows[-1].endswith("again")

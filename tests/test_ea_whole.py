"""The whole EA (mql5/Experts/MT5Bridge.mq5 with every include) executed on Linux against the real
brain, its terminal played by tests/ea_terminal.py over the project's broker simulator: a
strategy's orders go brain -> EA (Executor) -> simulated trade server -> the EA's
OnTradeTransaction -> brain, its market comes through the EA's CopyTicks and CopyRates. A
scripted strategy opens, modifies, partly closes, places and cancels a pending order, closes
by an opposite position, is refused for a stop too close, has a take profit and a buy stop
triggered by the market and a sell limit expired by the server; the trades the brain books
through the EA equal the in-process replay's of the same fixture, on a hedging and on a
netting account."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bridge.brain.engine import Engine
from bridge.brain.strategy import Cancel, Close, CloseBy, Context, Intents, Modify, Open, Strategy
from bridge.core import events as ev
from bridge.data.account import AccountSettings
from bridge.data.fixtures import Fixture
from bridge.live.server import BrainServer
from bridge.replay.backtest import run_backtest
from tests.conftest import ROOT
from tests.ea_terminal import EATerminal
from tests.helpers import index_spec
from tests.mql5_build import build
from tests.scenario import bars, flat

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
SECRET = "whole-ea-secret"

# the terminal's event loop: OnInit, then OnTimer at the EA's period (the terminal's timer fires
# every 10-16 ms at best), each handler followed by the trade transactions queued meanwhile
DRIVER = """
int main() {
  int rc = OnInit();
  if (rc != INIT_SUCCEEDED) { Print("INIT FAILED ", rc); return 3; }
  MqlTradeTransaction t; MqlTradeRequest q; MqlTradeResult r;
  while (!_mql_market_over()) {
    if (_mql_timer_ms() > 0) OnTimer();
    while (_mql_next_transaction(t)) OnTradeTransaction(t, q, r);
    Sleep(_mql_timer_ms() > 10 ? _mql_timer_ms() : 10);
  }
  OnDeinit(0);
  Print("OK run over; commands ", g_commands);
  return 0;
}
"""


@pytest.fixture(scope="module")
def ea_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The EA as shipped, its inputs read from the environment (as its dialog sets them)."""
    work = tmp_path_factory.mktemp("whole_ea")
    src = (ROOT / "mql5" / "Experts" / "MT5Bridge.mq5").read_text()
    src, n = re.subn(
        r"^input\s+(\w+)\s+(Inp\w+)\s*=\s*([^;]+);",
        lambda m: f'input {m[1]} {m[2]} = _mql_input("{m[2]}", {m[3].strip()});',
        src,
        flags=re.M,
    )
    assert n >= 10, "the EA's inputs were not found"
    main = work / "MT5Bridge.mq5"
    main.write_text(src)
    return build(main, "mql5_ea_runtime.h", DRIVER, work, "mt5bridge_ea")


class Script(Strategy):
    """Acts on its n-th US100 M1 bar; what it tries depends on what it has then."""

    name = "script"
    magic = 77
    symbols = ("US100",)
    timeframes = (1,)

    def __init__(self) -> None:
        self.n = 0
        self.refused: list[tuple[str, int]] = []

    def on_bar(self, bar: ev.Bar, ctx: Context) -> Intents:
        if bar.symbol != "US100" or bar.timeframe != 1:
            return ()
        self.n += 1
        mine = ctx.positions("US100")
        q = ctx.quote("US100")
        buys = [p for p in mine if p.is_buy]
        sells = [p for p in mine if not p.is_buy]
        steps: dict[int, Intents] = {
            3: [Open("US100", True, 0.30, sl=20900.0, tp=21300.0)],
            6: [Modify(p.ticket, 20950.0, 21250.0) for p in mine],
            9: [Close(mine[0].ticket, 0.10)] if mine else [],
            12: [Open("US100", True, 0.20, ev.BUY_LIMIT, 20800.0)],
            15: [Cancel(o.ticket) for o in ctx.pending()],
            18: [Open("US100", False, 0.20)],
            21: [CloseBy(buys[0].ticket, sells[0].ticket)] if buys and sells else [],
            24: [Open("US100", True, 0.10, sl=round(q.bid - 0.3, 2))] if q else [],
            27: [Open("US100", True, 0.10, tp=21050.0)],
            33: [Open("US100", True, 0.10, ev.BUY_STOP, 21150.0)],
            36: [Open("US100", False, 0.10, ev.SELL_LIMIT, 21500.0)],
        }
        return steps.get(self.n, ())

    def on_reject(self, rejection: Any, ctx: Context) -> Intents:
        self.refused.append((type(rejection.intent).__name__, rejection.retcode))
        return ()


def scenario(hedging: bool) -> Fixture:
    rows = flat(range(0, 30), 21000.0)
    rows += [(30, 21000.0, 21100.0, 21000.0, 21100.0), *flat(range(31, 37), 21100.0)]
    rows += [(37, 21100.0, 21200.0, 21100.0, 21200.0), *flat(range(38, 45), 21200.0)]
    us100 = bars("US100", "2026-01-05 12:00", rows, spread=150)
    spec = index_spec("US100", stops_level=50)
    return Fixture(
        "whole-ea",
        AccountSettings(balance=100_000.0, leverage=100, hedging=hedging),
        {"US100": spec},
        {"US100": us100},
    )


def without_times(trades: list[Any]) -> list[tuple[Any, ...]]:
    return [(t.symbol, t.side, t.volume, t.open_price, t.close_price, t.sl, t.tp, t.profit,
             t.reason) for t in trades]  # fmt: skip


@pytest.mark.parametrize(
    ("hedging", "send_delay_s"),
    [(True, 0.0), (False, 0.0), (True, 0.7)],
    ids=["hedging", "netting", "slow-trade-server"],
)
def test_the_whole_ea_books_the_replays_trades(
    ea_exe: Path, tmp_path: Path, hedging: bool, send_delay_s: float
) -> None:
    """With a slow trade server (each OrderSend blocks the EA 0.7 s, over three of the brain's
    heartbeat periods) the link holds: the EA heartbeats between commands, and the brain's
    silence limit (3 s) is what one call may take."""
    fx = scenario(hedging)
    replayed = Script()
    replay = run_backtest(fx, [replayed])
    # the sell limit placed at minute 36 expires; a slow server gets more time per minute
    term = EATerminal(fx, expire_at=40, send_delay_s=send_delay_s,
                      calls_per_minute=4 if not send_delay_s else 8)  # fmt: skip
    frames: list[float] = []
    engines: list[Engine] = []
    script = Script()

    def make(tid: str, send: Any) -> Engine:
        engines.append(Engine([script], {}, send, id_prefix="w", initial_balance=100_000.0))
        return engines[-1]

    infos: list[dict[str, Any]] = []
    kinds: list[str] = []

    def on_log(kind: str, data: dict[str, Any]) -> None:
        kinds.append(kind)
        if kind == "terminal_info":
            infos.append(data)
        if kind == "terminal_ready":
            term.start()  # the brain has the terminal's state: the market may move

    srv = BrainServer(
        make, endpoint="tcp://127.0.0.1:0", secret=SECRET.encode(), heartbeat_ms=200,
        silence_ms=3000, on_log=on_log, record=lambda _msg: frames.append(time.monotonic()),
    )  # fmt: skip
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    port = srv.endpoint.rsplit(":", 1)[1]
    env = {
        "MQL5_BROKER": str(term.port),
        "MQL5_FILES": str(tmp_path),
        "MQL5_INPUT_InpPort": port,
        "MQL5_INPUT_InpSecret": SECRET,
        "MQL5_INPUT_InpSymbols": "US100",
        "MQL5_INPUT_InpTimerMs": "10",
    }
    t0 = time.monotonic()
    try:
        out = subprocess.run([str(ea_exe)], capture_output=True, text=True, timeout=120, env=env)
    finally:
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
        term.close()
    took = time.monotonic() - t0
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "OK run over" in out.stdout and "ALERT" not in out.stdout, out.stdout[-3000:]
    assert term.minutes_played == 45 and not term.transactions  # every one was delivered
    (eng,) = engines
    # the same trades as the replay, and the same refusals (the stop too close)
    assert without_times(eng.portfolio.trades) == without_times(replay.portfolio.trades)
    assert len(eng.portfolio.trades) >= (4 if hedging else 3)
    assert script.refused == replayed.refused and ("Open", 10016) in script.refused
    # the positions left open, and no pending order left in either book
    left = sorted(
        (p.symbol, p.is_buy, p.volume, p.price_open) for p in eng.portfolio.positions.values()
    )
    assert left == sorted(
        (p.symbol, p.is_buy, p.volume, p.price_open) for p in replay.portfolio.positions.values()
    )
    # the sell limit: expired by the server on the EA's side and so dropped by the brain (the
    # replay's simulator never expires an order: there it still rests)
    assert not eng.portfolio.orders and not term.sim.orders
    (resting,) = replay.portfolio.orders.values()
    assert resting.order_type == ev.SELL_LIMIT
    gone = [r for r in eng.orders.orders.values() if "expired" in r.text]
    assert len(gone) == 1 and gone[0].state == "cancelled"
    reasons = {t.reason for t in eng.portfolio.trades}
    assert "tp" in reasons  # the take profit the server triggered reached the brain as such
    assert srv.stats.bad_frames == 0 and srv.stats.gaps == 0
    # what the EA said of its terminal: build, broker link and algo trading, demo, its clocks
    info = infos[0]
    assert (info["build"], info["connected"], info["trade_allowed"], info["trade_mode"]) == (
        4000,
        True,
        True,
        0,
    )
    assert info["server_ms"] - info["gmt_ms"] == 2 * 3_600_000
    # the broker's name "Brøker Ltd": its letter outside ASCII sent as '?' (a byte each here,
    # where the runtime's strings are UTF-8; one per character on a terminal), not a bad frame
    assert re.fullmatch(r"Br\?+ker Ltd", info["company"]), info["company"]
    # the longest the brain went without a frame from the EA, and no link lost to silence
    gap = max(b - a for a, b in itertools.pairwise(frames))
    assert gap < 3.0 and "terminal_silent" not in kinds
    print(f"{len(eng.portfolio.trades)} trades through the EA in {took:.1f} s; longest gap "
          f"between the EA's frames {gap * 1000:.0f} ms")  # fmt: skip

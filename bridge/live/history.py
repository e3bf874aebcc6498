"""History warm-up: a live brain's strategies start with the history a replay would have given
them, so they trade from their first live minute and decide as the replay does.

At a terminal's first reconciliation, each strategy that declares a need
(``Strategy.history_minutes``: closed M1 bars per symbol) is *warming*: its orders are held back
(counted). The brain asks the terminal for the M1 bars closed before its current time (HISTREQ;
the answer is HBAR frames and a HISTEND), going further back while a range held fewer bars than
needed (weekends, holidays) and the terminal still had some. The live quotes and bars that come
meanwhile wait. Then the history goes through the engine as a replay sends it (the four-tick
path through each bar, then the bar), the waiting live frames follow (a bar already in the
history is handled once), and the strategies go live. One whose history fell short (the terminal
had less) says so and goes live too: from then on it decides as a replay that started where the
terminal's history starts (its own readiness checks keep it out until its indicators are built).
A terminal that does not answer is asked again MAX_ASKS_AGAIN times; then the strategies go live
with what came, so that live frames are never held for as long as a terminal stays mute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bridge.brain.engine import Engine
from bridge.core import events as ev
from bridge.core.columns import BarArrays
from bridge.core.wallclock import wall_ms
from bridge.data.fixtures import bar_events
from bridge.data.intrabar import TICK_OFFSETS_MS

# a span of market minutes is asked as this much calendar time (weekends, the daily break), and
# further back while the terminal still has bars and the strategies need more
CALENDAR_FACTOR = 1.6
MAX_ROUNDS = 6  # ranges asked per symbol at most
MAX_ASKS_AGAIN = 5  # ranges asked again for want of an answer, then the strategies go live
LAST_TICK_MS = TICK_OFFSETS_MS[-1]  # a minute's last tick of the path through its bar


@dataclass
class SymbolHistory:
    need: int  # bars
    bars: list[ev.HistoryBar] = field(default_factory=list)  # newest range first, each oldest first
    rounds: int = 0
    status: int = ev.HISTORY_OK
    done: bool = False
    oldest_asked_ms: int = 0


class Warmup:
    """One terminal's warm-up. ``send`` puts a command on the wire."""

    def __init__(self, eng: Engine, send: Any, next_request: Any) -> None:
        self.eng = eng
        self._send = send
        self._next_request = next_request
        self.symbols: dict[str, SymbolHistory] = {}
        self.requests: dict[int, tuple[str, int, int]] = {}  # request id -> symbol, range
        self.waiting: list[tuple[Any, bytes]] = []  # live market frames held until it ends
        self.asked_again = 0  # ranges asked again in a row for want of an answer
        self.active = False
        self.gap = False  # filling the bars missed while the terminal was away (start_gap)
        self.live_from_ms = 1 << 62  # history bars opened from then on are decided live
        self.progress_wall = 0  # wall ms of the last request or answer frame
        self.fed_bars: dict[str, int] = {}  # per symbol, the history bars fed
        self.short: dict[str, dict[str, int]] = {}  # strategy -> symbol -> bars it lacked
        self.last_bar_ms: dict[str, int] = {}  # per symbol, the open time of the last one
        # the quotes handled before it began (those the terminal sent with its state): newer
        # than the history, they are the present again once it is fed
        self.present: dict[str, ev.Tick] = dict(eng.last_tick)

    def start(self, now_ms: int) -> bool:
        """Ask for the history the strategies need before ``now_ms``; False if none does."""
        need: dict[str, int] = {}
        for s in self.eng.strategies:
            wants = s.history_minutes()
            if wants:
                self.eng.warming[s.magic] = 0
            for sym, n in wants.items():
                need[sym] = max(need.get(sym, 0), n)
        if not need:
            return False
        self.active = self.eng.history_pending = True
        for sym, n in need.items():
            self.symbols[sym] = SymbolHistory(n, oldest_asked_ms=now_ms)
            self._ask(sym, now_ms, n)
        return True

    def start_gap(self, now_ms: int) -> bool:
        """After the terminal was away (a restart from a checkpoint, a reconnect, lost frames):
        ask for the M1 bars that closed since the last one the engine handled, per symbol; they
        go through the engine before any newer live frame, every strategy's orders held back
        meanwhile (decisions on bars of the past are not sent late). False if none is missing."""
        closed_before = now_ms // 60_000 * 60_000  # the bar opened then is still open
        missing = {
            sym: last + 60_000
            for sym, last in self.eng.last_bar_ms.items()
            if last + 60_000 < closed_before
        }
        if not missing:
            return False
        self.gap = True
        self.active = True
        self.live_from_ms = closed_before - 60_000
        for s in self.eng.strategies:
            self.eng.warming[s.magic] = 0
        for sym, since in missing.items():
            self.symbols[sym] = SymbolHistory(0, oldest_asked_ms=since)  # all of the range
            self._request(sym, since, closed_before)
        return True

    def _ask(self, sym: str, to_ms: int, bars: int) -> None:
        h = self.symbols[sym]
        h.rounds += 1
        span = int(bars * 60_000 * CALENDAR_FACTOR) + 3 * 86_400_000
        h.oldest_asked_ms = to_ms - span
        self._request(sym, to_ms - span, to_ms)

    def _request(self, sym: str, from_ms: int, to_ms: int) -> None:
        self.progress_wall = wall_ms()
        req = self._next_request()
        self.requests[req] = (sym, from_ms, to_ms)
        self._send(ev.HistoryReq(req, sym, from_ms, to_ms))

    def ask_again(self) -> bool:
        """Nothing came for a while: the ranges not ended are asked again (bars already in are
        kept once: by their time). False, asking nothing, when they were asked MAX_ASKS_AGAIN
        times without an answer: the warm-up gives up (``give_up``), or the live frames it
        holds would pile up for as long as the terminal stays mute."""
        if self.asked_again >= MAX_ASKS_AGAIN:
            return False
        self.asked_again += 1
        for req, (sym, from_ms, to_ms) in list(self.requests.items()):
            del self.requests[req]
            self._request(sym, from_ms, to_ms)
        return True

    # -- the answers -------------------------------------------------------------------------
    def on_bar(self, b: ev.HistoryBar) -> None:
        asked = self.requests.get(b.req_id)
        if asked is not None:
            self.symbols[asked[0]].bars.append(b)
            self.progress_wall = wall_ms()
            self.asked_again = 0

    def give_up(self) -> None:
        """The terminal never answered: what came is all there is (the strategies short of
        history say so when they go live)."""
        for h in self.symbols.values():
            if not h.done:
                h.status, h.done = ev.HISTORY_NOT_READY, True
        self.requests.clear()

    def on_end(self, e: ev.HistoryEnd) -> bool:
        """A range has ended; True when every symbol's history is in."""
        asked = self.requests.pop(e.req_id, None)
        if asked is None:
            return False
        sym = asked[0]
        h = self.symbols[sym]
        if e.status != ev.HISTORY_OK:
            h.status, h.done = e.status, True
        elif len(h.bars) < h.need and e.bars > 0 and h.rounds < MAX_ROUNDS:
            self._ask(sym, h.oldest_asked_ms, h.need - len(h.bars))
        else:
            h.done = True
        return all(x.done for x in self.symbols.values())

    # -- the end -----------------------------------------------------------------------------
    def feed(self) -> None:
        """The history through the engine as a replay sends it, with the warming strategies'
        orders held back; then each strategy that got what it needs goes live."""
        eng = self.eng
        arrays = []
        for sym in [s for s in eng.specs if s in self.symbols]:
            h = self.symbols[sym]
            rows = sorted({b.time_ms: b for b in h.bars}.values(), key=lambda b: b.time_ms)
            if not self.gap:
                rows = rows[-h.need :] if h.need else []
            self.fed_bars[sym] = len(rows)
            if not rows:
                continue
            self.last_bar_ms[sym] = rows[-1].time_ms
            arr = BarArrays.from_rows(sym, [b[2:] for b in rows])
            arrays.append((arr, eng.specs[sym].point))
        # as the replay's quiet minutes: with no strategy listening to ticks and no timer (and,
        # orders held back, no position or order of theirs), a minute's ticks before its last one
        # change nothing the last one does not set
        quiet = not eng.timers_pending() and not any(s.wants_ticks for s in eng.strategies)
        handle = eng.handle
        live = False
        for e in bar_events(arrays):
            if not live and e.time_ms >= self.live_from_ms:
                self.settle()  # the bar that closed last is the present: decided live
                live = True
            if quiet and type(e) is ev.Tick and e.time_ms % 60_000 != LAST_TICK_MS:
                continue
            handle(e)
        for sym, tick in self.present.items():
            now = eng.last_tick.get(sym)
            if now is not None and tick.time_ms > now.time_ms:  # the history ended before it
                handle(eng.aliases.outbound(tick) if eng.aliases is not None else tick)
        self.active = False
        if not self.gap:
            eng.history_pending = False
        self.settle()

    def settle(self) -> None:
        """Every strategy goes live. One whose history fell short (the terminal had less) is
        named in ``short``: its indicators build on the live bars as they would in a replay
        started where the terminal's history starts, each strategy's own readiness checks
        keeping it out until they are built."""
        eng = self.eng
        for s in eng.strategies:
            if s.magic not in eng.warming:
                continue
            if self.gap:
                del eng.warming[s.magic]
                continue
            missing = {
                sym: n - self.fed_bars.get(sym, 0)
                for sym, n in s.history_minutes().items()
                if self.fed_bars.get(sym, 0) < n
            }
            if missing:
                self.short[s.name] = missing
            del eng.warming[s.magic]

    def is_old(self, msg: Any) -> bool:
        """A live frame the history already covered (a bar in it, or a quote before its end)."""
        last = self.last_bar_ms.get(msg.symbol)
        if last is None:
            return False
        if type(msg) is ev.Bar:
            return bool(msg.time_ms <= last)
        return bool(msg.time_ms < last + 60_000)

    def report(self) -> dict[str, Any]:
        return {
            sym: {
                "needed": h.need,
                "got": self.fed_bars.get(sym, len(h.bars)),
                "status": ev.HISTORY_STATUS.get(h.status, str(h.status)),
            }
            for sym, h in self.symbols.items()
        }

"""The brain's side of the dashboard: what the brain already holds, turned into updates on the
brain's own thread, so the web thread never reads an object the brain is changing.

Work here happens off the trading path: ``due`` publishes when the serve loop found nothing to
read (or, under a flood of frames, after four periods without one); an update is JSON text with
the current state of every terminal, engine and strategy and what is new since the last one
(curve points, M1 bars, fills, audit rows). Fills, audit rows and bars arrive through observers
the runner installs (``on_audit``, ``on_log``, ``bar_observer``); each is an append."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.portfolio import Portfolio
from bridge.core import events as ev
from bridge.live.terminal_session import Host

NOISY = frozenset({"price_update", "plan_position", "plan", "state"})  # not for the audit panel
MAX_PENDING = 2000  # rows or bars kept between two updates (the oldest go first)
FIRST_CURVE = 20_000  # at most this many curve points in the first update


class Feed:
    def __init__(self, host: Host, every_ms: int = 500) -> None:
        self.host = host
        self.every_ms = every_ms
        self.out: deque[str] = deque(maxlen=256)  # updates for the web thread (it pops them)
        self.seq = 0
        self.last_wall = 0
        self._curve_at: dict[str, int] = {}  # per terminal, curve points already sent
        self._trades_at: dict[str, int] = {}
        self._realised: dict[str, dict[str, float]] = {}  # per terminal and strategy
        self._strategy_t: dict[str, int] = {}  # the market time of the last strategy points
        self._rows: deque[list[Any]] = deque(maxlen=MAX_PENDING)
        self._bars: deque[list[Any]] = deque(maxlen=MAX_PENDING)

    # -- observers (brain thread) ------------------------------------------------------------
    def on_audit(self, terminal: str, kind: str, row: dict[str, Any]) -> None:
        if kind not in NOISY:
            self._rows.append([terminal, kind, row])

    def on_log(self, kind: str, detail: dict[str, Any]) -> None:
        self._rows.append([detail.get("terminal", ""), "log", {"event": kind, **detail}])

    def bar_observer(self, terminal: str) -> Callable[[ev.Bar], None]:
        bars = self._bars

        def seen(b: ev.Bar) -> None:
            bars.append([terminal, b.symbol, b.time_ms // 1000, b.open, b.high, b.low, b.close])

        return seen

    # -- publishing (brain thread) -----------------------------------------------------------
    def due(self, now: int, idle: bool) -> None:
        """Called by the serve loop: publish when idle and a period has passed, or when four
        have passed without a quiet moment."""
        gone = now - self.last_wall
        if gone >= self.every_ms and (idle or gone >= 4 * self.every_ms):
            self.publish(now)

    def publish(self, now: int) -> None:
        self.last_wall = now
        self.seq += 1
        host = self.host
        rows = [self._rows.popleft() for _ in range(len(self._rows))]  # another thread may
        bars = [self._bars.popleft() for _ in range(len(self._bars))]  # log meanwhile
        update = {
            "seq": self.seq,
            "wall_ms": now,
            "brain": {
                "bad_frames": host.stats.bad_frames,
                "gaps": host.stats.gaps,
                "resyncs": host.stats.resyncs,
                "halts": host.stats.halts,
                "unauthenticated_connections": host.noise.connections,
                "unauthenticated_dropped": host.noise.dropped,
            },
            "terminals": {tid: self._terminal(tid, now) for tid in host.terminals},
            "engines": {tid: self._engine(tid, eng) for tid, eng in host.engines.items()},
            "rows": rows,
            "bars": bars,
        }
        self.out.append(json.dumps(update, separators=(",", ":"), default=str))

    def _terminal(self, tid: str, now: int) -> dict[str, Any]:
        sess = self.host.terminals[tid]
        eng = sess.engine
        link = self.host.links.get(sess.identity) if sess.identity else None
        acc = eng.portfolio.account
        info = sess.info
        return {
            "connected": link is not None and link.state == "ready" and not link.stale,
            "account": eng.account_key,
            "hedging": None if acc is None else acc.hedging,
            "server_time_ms": sess.last_ms,
            "last_frame_age_ms": None if link is None else now - link.last_rx,
            "frames": 0 if link is None else link.frames,
            "gaps": 0 if link is None else link.gaps,
            "resyncs": 0 if link is None else link.resyncs,
            "halted": eng.gate.halted,
            "build": None if info is None else info.build,
            "algo_trading": None if info is None else info.trade_allowed and info.ea_trade_allowed,
        }

    def _engine(self, tid: str, eng: Engine) -> dict[str, Any]:
        pf = eng.portfolio
        acc = pf.account
        at = self._curve_at.get(tid)
        curve = pf.curve
        if at is None:
            at = max(0, len(curve) - FIRST_CURVE)
        points = [[t // 1000, b, e] for t, b, e in curve[at:]]
        self._curve_at[tid] = len(curve)
        return {
            "now_ms": eng.now_ms,
            "halted": eng.gate.halted,
            "balance": round(pf.balance, 2),
            "equity": round(pf.equity(), 2),
            "margin": None if acc is None else acc.margin,
            "free_margin": None if acc is None else acc.free_margin,
            "currency": None if acc is None else acc.currency,
            "curve": points,
            "positions": [_position(pf, p) for p in pf.positions.values()],
            "pending": [o._asdict() for o in pf.orders.values()],
            "in_flight": [
                {
                    "client_id": r.client_id,
                    "magic": r.magic,
                    "command": repr(r.command),
                    "sent_ms": r.sent_ms,
                }
                for r in eng.orders.open_orders.values()
            ],
            "strategies": self._strategies(tid, eng),
        }

    def _strategies(self, tid: str, eng: Engine) -> dict[str, Any]:
        pf = eng.portfolio
        real = self._realised.setdefault(tid, {})
        at = self._trades_at.get(tid, 0)
        for t in pf.trades[at:]:
            real[t.strategy] = real.get(t.strategy, 0.0) + t.net
        self._trades_at[tid] = len(pf.trades)
        open_pnl: dict[str, float] = {}
        for p in pf.positions.values():
            o = pf.owner(p)
            open_pnl[o] = open_pnl.get(o, 0.0) + pf.price_pnl(p) + p.swap
        fresh = eng.now_ms > self._strategy_t.get(tid, 0)
        self._strategy_t[tid] = eng.now_ms
        out = {}
        for s in eng.strategies:
            value = round(real.get(s.name, 0.0) + open_pnl.get(s.name, 0.0), 2)
            out[s.name] = {
                "magic": s.magic,
                "magics": [s.magic, *s.extra_magics],
                "symbols": list(s.symbols),
                "headline": s.headline(),
                "status": eng.strategy_status(s.name),
                "levels": [lv._asdict() for lv in eng.levels(s)],
                "in_flight": eng.context(s).in_flight(),
                "equity": [eng.now_ms // 1000, value] if fresh and eng.now_ms else None,
            }
        return out


def _position(pf: Portfolio, p: ev.Position) -> dict[str, Any]:
    return {
        "ticket": p.ticket,
        "symbol": p.symbol,
        "side": "buy" if p.is_buy else "sell",
        "volume": p.volume,
        "price_open": p.price_open,
        "sl": p.sl,
        "tp": p.tp,
        "magic": p.magic,
        "owner": pf.owner(p),
        "profit": round(pf.price_pnl(p) + p.swap, 2),
        "time_ms": p.time_ms,
    }

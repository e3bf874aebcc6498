"""What a terminal does, with the broker simulator as its broker.

The fake terminal (over ZeroMQ) and in-process replay both use this class, so they emit the same
events in the same order for the same fixture:

* on connect: the account, every symbol spec, open positions and pending orders;
* for each tick: the deals of any SL/TP or pending order it triggers, then the tick itself;
* for each closed M1 bar: the bar, then an account snapshot unless the account is flat and its
  balance unchanged since the last one (nothing in it but its time would differ);
* for each command: its result, its deals and position changes, then an account snapshot.
"""

from __future__ import annotations

from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.data.fixtures import Fixture
from bridge.sim.broker import BrokerSim

SIM_BUILD = 5000  # the build the simulated terminal reports
SIM_COMPANY = "mt5bridge simulator"


class SimTerminal:
    def __init__(self, fx: Fixture) -> None:
        self.fixture = fx
        self.sim = BrokerSim(dict(fx.specs), fx.account)
        for p in fx.positions:
            self.sim.seed_position(p)
        self._flat_cents: int | None = None  # the balance last reported while flat, in cents
        self.algo_trading = True  # the terminal's Algo Trading button: off, orders are refused

    def terminal_info(self) -> ev.TerminalInfo:
        acc, now = self.fixture.account, self.sim.now_ms
        utc = now - round(acc.server_utc_hours * 3_600_000)
        on = self.algo_trading
        return ev.TerminalInfo(
            SIM_BUILD, True, on, on, True, True, acc.trade_mode, now, utc, SIM_COMPANY
        )

    def connect_events(self) -> list[Any]:
        out: list[Any] = [self.sim.account(), self.terminal_info()]
        out += [ev.SymbolInfo(s) for s in self.sim.specs.values()]
        sim = self.sim  # the current quotes, as the EA sends them on connect
        out += [ev.Tick(s, sim.quote_ms[s], sim.bid[s], sim.ask[s], 0.0, 1, 6) for s in sim.bid]
        out += self.sim.snapshot()
        return out

    def market(self, e: ev.Tick | ev.Bar) -> list[Any]:
        if isinstance(e, ev.Tick):
            trig = self.sim.on_tick(e.symbol, e.time_ms, e.bid, e.ask)
            if trig:
                return [*trig, self.sim.account(), e]
            return [e]
        close = e.time_ms + e.timeframe * 60_000
        sim = self.sim
        if close > sim.now_ms:
            sim.now_ms = close
        if not sim.positions and not sim.orders:
            cents = round(sim.balance * 100)
            if cents == self._flat_cents:
                return [e]
            self._flat_cents = cents
        else:
            self._flat_cents = None
        return [e, sim.account()]

    def history(self, req: ev.HistoryReq) -> list[Any]:
        """The fixture's M1 bars of the range that had closed by the terminal's time now (as a
        terminal's CopyRates: what it has, oldest first, never a bar still open)."""
        bars = self.fixture.bars.get(req.symbol)
        if bars is None:
            return [ev.HistoryEnd(req.req_id, req.symbol, 0, ev.HISTORY_NO_SYMBOL)]
        closed_by = self.sim.now_ms - 60_000  # the open time of the last bar closed by now
        got = bars.between(req.from_ms, min(req.to_ms, closed_by + 1))
        out: list[Any] = [ev.HistoryBar(req.req_id, req.symbol, *row) for row in got.rows()]
        out.append(ev.HistoryEnd(req.req_id, req.symbol, len(out), ev.HISTORY_OK))
        return out

    def flat_reported(self) -> bool:
        """Flat, and the balance already reported: a bar now brings no account snapshot."""
        sim = self.sim
        flat = not sim.positions and not sim.orders
        return flat and self._flat_cents == round(sim.balance * 100)

    def command(self, cmd: Any) -> list[Any]:
        if isinstance(cmd, ev.QueryCmd):
            return [self.sim.query(cmd.client_id)]
        if isinstance(cmd, ev.SnapshotReq):
            snap = self.sim.snapshot()
            n_pos = sum(1 for x in snap if isinstance(x, ev.Position))
            return [self.sim.account(), *snap, ev.SnapshotEnd(cmd.req_id, n_pos, len(snap) - n_pos)]
        if isinstance(cmd, ev.DealsSinceReq):
            return [
                *(d for d in self.sim.deals if d.time_ms > cmd.after_ms),
                ev.SnapshotEnd(cmd.req_id, 0, 0),
            ]
        if isinstance(cmd, ev.HaltCmd):
            return []
        if isinstance(cmd, ev.HistoryReq):
            return self.history(cmd)
        if not self.algo_trading:  # the terminal refuses before anything reaches the broker
            return [self.sim.refuse(cmd, rc.CLIENT_DISABLES_AT), self.sim.account()]
        return [*self.sim.execute(cmd), self.sim.account()]

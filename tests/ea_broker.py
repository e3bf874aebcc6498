"""A broker for EA code run on Linux: answers the calls of mql5/check/runtime/mql5_trade_runtime.h
(symbols, account, positions, orders, OrderSend) from the project's broker simulator, one
tab-separated line each way over TCP. OrderSend requests are turned into the simulator's
commands as a trade server would take them: a DEAL naming a position closes (that much of) it
on a hedging account; on a netting account every DEAL trades the symbol's one position."""

from __future__ import annotations

import itertools
import socket
import threading
from dataclasses import dataclass
from typing import Any

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec
from bridge.data.account import AccountSettings
from bridge.sim.broker import BrokerSim

# the runtime's property numbers (mql5_trade_runtime.h)
SYMBOL_INT = {
    100: "digits",
    101: "stops_level",
    102: "freeze_level",
    103: "filling_modes",
    105: "trade_mode",
}
SYMBOL_DOUBLE = {
    202: "point",
    203: "volume_min",
    204: "volume_max",
    205: "volume_step",
    206: "tick_size",
    207: "tick_value",
    208: "contract_size",
    209: "swap_long",
    210: "swap_short",
}
ACTION_DEAL, ACTION_PENDING, ACTION_SLTP, ACTION_REMOVE, ACTION_CLOSE_BY = 1, 5, 6, 8, 10
SUCCESS = (rc.PLACED, rc.DONE, rc.DONE_PARTIAL)


@dataclass
class Request:
    """One OrderSend as the broker received it."""

    action: int
    magic: int
    order: int
    symbol: str
    volume: float
    price: float
    sl: float
    tp: float
    deviation: int
    type: int
    type_filling: int
    type_time: int
    comment: str
    position: int
    position_by: int


class EABroker:
    def __init__(
        self,
        specs: dict[str, SymbolSpec],
        hedging: bool,
        quotes: dict[str, tuple[float, float]],
        time_ms: int,
        gtc: bool = True,
    ) -> None:
        self.sim = BrokerSim(specs, AccountSettings(login=4242, balance=100_000.0, hedging=hedging))
        for sym, (bid, ask) in quotes.items():
            self.sim.on_tick(sym, time_ms, bid, ask)
        self.gtc = gtc  # the symbols take good-till-cancelled pending orders
        self.requests: list[Request] = []
        self._ids = itertools.count(1)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _serve(self) -> None:
        while True:  # one EA process after the other (a restart is a new connection)
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, conn.makefile("rw", encoding="utf-8", newline="\n") as f:
                for line in f:
                    answer = self.answer(line.rstrip("\n").split("\t"))
                    f.write("\t".join(str(x) for x in answer) + "\n")
                    f.flush()

    # -- the calls -----------------------------------------------------------------------------
    def answer(self, call: list[str]) -> list[Any]:
        name, args = call[0], call[1:]
        sim = self.sim
        if name == "select":
            return [1 if args[0] in sim.specs else 0]
        if name == "sym_int":
            spec = sim.specs[args[0]]
            prop = int(args[1])
            if prop == 104:  # SYMBOL_EXPIRATION_MODE: GTC (1) and DAY (2), or DAY only
                return [3 if self.gtc else 2]
            return [int(getattr(spec, SYMBOL_INT[prop]))]
        if name == "sym_double":
            prop = int(args[1])
            if prop in (200, 201):
                return [(sim.bid if prop == 200 else sim.ask)[args[0]]]
            return [float(getattr(sim.specs[args[0]], SYMBOL_DOUBLE[prop]))]
        if name == "tick":
            if args[0] not in sim.bid:
                return [0]
            return [1, sim.bid[args[0]], sim.ask[args[0]], sim.quote_ms[args[0]]]
        if name == "account_int":
            prop = int(args[0])
            if prop == 601:  # ACCOUNT_MARGIN_MODE: 2 hedging, 0 netting
                return [2 if sim.settings.hedging else 0]
            if prop in (603, 604):  # ACCOUNT_TRADE_ALLOWED, ACCOUNT_TRADE_EXPERT
                return [1]
            if prop == 605:  # ACCOUNT_TRADE_MODE: demo
                return [0]
            return [4242 if prop == 600 else 100]
        if name == "position":
            p = sim.positions.get(int(args[0]))
            if p is None:
                return [0]
            props = {300: p.ticket, 301: 0 if p.is_buy else 1, 302: p.magic, 303: p.time_ms}
            pe = sim.position_event(p)
            props |= {400: p.volume, 401: p.price_open, 402: p.sl, 403: p.tp, 404: pe.profit}
            props |= {405: pe.swap}
            props |= {500: p.symbol, 501: p.client_id}
            return [1, *itertools.chain.from_iterable(props.items())]
        if name == "order":
            o = sim.orders.get(int(args[0]))
            if o is None:
                return [0]
            props = {700: o.ticket, 701: o.order_type, 702: o.magic, 703: o.time_ms}
            props |= {720: o.volume, 721: o.price, 722: o.sl, 723: o.tp}
            props |= {740: o.symbol, 741: o.client_id}
            return [1, *itertools.chain.from_iterable(props.items())]
        if name == "send":
            return self.send(Request(*self._typed(args)))
        raise ValueError(f"the broker has no call {name!r}")

    def happened(self, cmd: ev.TradeCommand | None, events: list[Any]) -> None:
        """What the trade server did (for a command, or on a tick): a broker that plays the
        terminal's trade transactions queues them here."""

    @staticmethod
    def _typed(args: list[str]) -> list[Any]:
        kinds = "iiisffffiiiisii"
        return [
            int(a) if k == "i" else float(a) if k == "f" else a
            for k, a in zip(kinds, args, strict=True)
        ]

    def send(self, q: Request) -> list[Any]:
        self.requests.append(q)
        cid = q.comment or f"srv-{next(self._ids)}"
        cmd: ev.TradeCommand
        if q.action == ACTION_DEAL and q.position and self.sim.settings.hedging:
            cmd = ev.CloseCmd(cid, q.position, q.volume, q.deviation)
        elif q.action in (ACTION_DEAL, ACTION_PENDING):
            price = q.price if q.action == ACTION_PENDING else 0.0
            cmd = ev.OpenCmd(
                cid,
                q.symbol,
                q.type,
                q.volume,
                price,
                q.sl,
                q.tp,
                q.magic,
                q.deviation,
                q.type_filling,
                q.comment,
            )
        elif q.action == ACTION_SLTP:
            cmd = ev.ModifyCmd(cid, q.position, q.sl, q.tp)
        elif q.action == ACTION_REMOVE:
            cmd = ev.CancelCmd(cid, q.order)
        elif q.action == ACTION_CLOSE_BY:
            cmd = ev.CloseByCmd(cid, q.position, q.position_by)
        else:
            return [0, rc.INVALID, 0, 0, 0, 0, "invalid request"]
        events = self.sim.execute(cmd)
        (r,) = [e for e in events if isinstance(e, ev.OrderResult)]
        self.happened(cmd, events)
        ok = 1 if r.retcode in SUCCESS else 0
        return [ok, r.retcode, r.order, r.deal, r.volume, r.price, r.text]

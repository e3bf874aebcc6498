"""A stand-in for the MetaTrader5 Python package on Linux, backed by the broker simulator and a
market played from a fixture one event at a time (``step``).

It follows the package's documented API and behaviour (MQL5 reference, "Python Integration"):
function names and argument conventions (dates as datetime or seconds since 1970 in the trade
server's time; ``history_deals_get(ticket=...)`` selects by the deals' ORDER; ``positions_get``
and ``orders_get`` return an empty tuple when there are none, None on an error), the named
tuples' fields (``FIELDS`` below, checked against the documented lists by the contract test),
tick and bar arrays as numpy structured arrays, every call before ``initialize()`` failing with
RES_E_INTERNAL_FAIL_CONNECT, ``last_error()`` overwritten by every call, and its failure modes:

* not thread-safe: a call made while another is running raises (the adapter must serialise);
* ``copy_rates_range`` returns at most ``max_bars`` bars of a range (the terminal's "Max bars
  in chart"), the newest ones: a downloader must ask in chunks;
* ``order_send`` can block (``send_delay_s``); past the IPC timeout given to ``initialize``
  (60 s unless given) it returns None with RES_E_INTERNAL_FAIL_TIMEOUT, though the order reached
  the trade server and is executed: the caller must not send it again;
* the terminal's Algo Trading button (``algo_trading``): order_send returns a result with
  retcode 10027.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.data.fixtures import Fixture, market_events
from bridge.sim.broker import BrokerSim

FIELDS = {
    "AccountInfo": "login trade_mode leverage limit_orders margin_so_mode trade_allowed "
    "trade_expert margin_mode currency_digits fifo_close balance credit profit equity margin "
    "margin_free margin_level margin_so_call margin_so_so margin_initial margin_maintenance assets "
    "liabilities commission_blocked name server currency company",
    "TerminalInfo": "community_account community_connection connected dlls_allowed trade_allowed "
    "tradeapi_disabled email_enabled ftp_enabled notifications_enabled mqid build maxbars "
    "codepage ping_last community_balance retransmission company name language path data_path "
    "commondata_path",
    "SymbolInfo": "custom chart_mode select visible session_deals session_buy_orders "
    "session_sell_orders volume volumehigh volumelow time digits spread spread_float "
    "ticks_bookdepth trade_calc_mode trade_mode start_time expiration_time trade_stops_level "
    "trade_freeze_level trade_exemode swap_mode swap_rollover3days margin_hedged_use_leg "
    "expiration_mode filling_mode order_mode order_gtc_mode option_mode option_right bid bidhigh "
    "bidlow ask askhigh asklow last lasthigh lastlow volume_real volumehigh_real volumelow_real "
    "option_strike point trade_tick_value trade_tick_value_profit trade_tick_value_loss "
    "trade_tick_size trade_contract_size trade_accrued_interest trade_face_value "
    "trade_liquidity_rate volume_min volume_max volume_step volume_limit swap_long swap_short "
    "margin_initial margin_maintenance session_volume session_turnover session_interest "
    "session_buy_orders_volume session_sell_orders_volume session_open session_close "
    "session_aw session_price_settlement session_price_limit_min session_price_limit_max "
    "margin_hedged price_change price_volatility price_theoretical price_greeks_delta "
    "price_greeks_theta price_greeks_gamma price_greeks_vega price_greeks_rho "
    "price_greeks_omega price_sensitivity basis category currency_base currency_profit "
    "currency_margin bank description exchange formula isin name page path",
    "Tick": "time bid ask last volume time_msc flags volume_real",
    "TradePosition": "ticket time time_msc time_update time_update_msc type magic identifier "
    "reason volume price_open sl tp price_current swap profit symbol comment external_id",
    "TradeOrder": "ticket time_setup time_setup_msc time_done time_done_msc time_expiration type "
    "type_time type_filling state magic position_id position_by_id reason volume_initial "
    "volume_current price_open sl tp price_current price_stoplimit symbol comment external_id",
    "TradeDeal": "ticket order time time_msc type entry magic position_id reason volume price "
    "commission swap profit fee symbol comment external_id",
    "TradeRequest": "action magic order symbol volume price stoplimit sl tp deviation type "
    "type_filling type_time expiration comment position position_by",
    "OrderSendResult": "retcode deal order volume price bid ask comment request_id "
    "retcode_external request",
}
T = {name: namedtuple(name, fields.split()) for name, fields in FIELDS.items()}  # type: ignore[misc]
TICK_DTYPE = [
    ("time", "<i8"),
    ("bid", "<f8"),
    ("ask", "<f8"),
    ("last", "<f8"),
    ("volume", "<u8"),
    ("time_msc", "<i8"),
    ("flags", "<u4"),
    ("volume_real", "<f8"),
]
RATES_DTYPE = [
    ("time", "<i8"),
    ("open", "<f8"),
    ("high", "<f8"),
    ("low", "<f8"),
    ("close", "<f8"),
    ("tick_volume", "<u8"),
    ("spread", "<i4"),
    ("real_volume", "<u8"),
]

# constants (the package's values)
TIMEFRAME_M1 = 1
COPY_TICKS_ALL, COPY_TICKS_INFO, COPY_TICKS_TRADE = -1, 1, 2
ORDER_TYPE_BUY, ORDER_TYPE_SELL = 0, 1
TRADE_ACTION_DEAL, TRADE_ACTION_PENDING, TRADE_ACTION_SLTP = 1, 5, 6
TRADE_ACTION_MODIFY, TRADE_ACTION_REMOVE, TRADE_ACTION_CLOSE_BY = 7, 8, 10
ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN = 0, 1, 2
ORDER_TIME_GTC, ORDER_TIME_DAY = 0, 1
ORDER_STATE_PLACED, ORDER_STATE_CANCELED, ORDER_STATE_FILLED = 1, 2, 4
ACCOUNT_MARGIN_MODE_RETAIL_NETTING, ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 0, 2
RES_S_OK, RES_E_FAIL, RES_E_INVALID_PARAMS, RES_E_NOT_FOUND = 1, -1, -2, -4
RES_E_INTERNAL_FAIL_CONNECT, RES_E_INTERNAL_FAIL_TIMEOUT = -10004, -10005


def _seconds(d: Any) -> int:
    """A date as the package takes it: datetime (its UTC fields are the server's) or seconds."""
    if isinstance(d, datetime):
        return int(d.replace(tzinfo=UTC).timestamp())
    return int(d)


class StandIn:
    """The module's functions as methods (``load()`` returns an instance)."""

    def __init__(self, fx: Fixture, max_bars: int = 100_000, login: int = 4242) -> None:
        self.fx = fx
        self.sim = BrokerSim(dict(fx.specs), fx.account)
        for p in fx.positions:
            self.sim.seed_position(p)
        self.events = list(market_events(fx))
        self.pos = 0
        first = self.events[0].time_ms if self.events else 0
        self.clock_ms = first - first % 60_000  # the market starts: nothing played yet
        self.ticks: dict[str, list[tuple[int, float, float]]] = {s: [] for s in fx.specs}
        self.bars: dict[str, list[ev.Bar]] = {s: [] for s in fx.specs}
        self.history: dict[int, Any] = {}  # order ticket -> its last TradeOrder
        self.max_bars, self.login = max_bars, login
        self.send_delay_s = 0.0
        self.ipc_timeout_s = 60.0  # initialize(timeout=...): how long a call waits for the terminal
        self.algo_trading = True
        self.initialized = False
        self._error: tuple[int, str] = (RES_S_OK, "Success")
        self._busy = threading.Lock()
        self.calls: dict[str, int] = {}

    # -- the test's side ---------------------------------------------------------------------
    def step(self) -> bool:
        """Play the next market event; False when there is none."""
        if self.pos >= len(self.events):
            return False
        e = self.events[self.pos]
        self.pos += 1
        if isinstance(e, ev.Bar):
            self.bars[e.symbol].append(e)
            self.clock_ms = max(self.clock_ms, e.time_ms + 60_000)
        else:
            self.ticks[e.symbol].append((e.time_ms, e.bid, e.ask))
            self.clock_ms = max(self.clock_ms, e.time_ms)
            self.sim.on_tick(e.symbol, e.time_ms, e.bid, e.ask)
            self._book_moved()
        return True

    def at_end(self) -> None:
        """The terminal's time after the fixture: all of it is history (for a download)."""
        last = max(int(b.time_ms[-1]) for b in self.fx.bars.values())
        self.clock_ms = last + 120_000

    def clock(self, _tick_ms: int | None = None) -> int:
        """The trade server's time (the adapter's clock in tests)."""
        return self.clock_ms

    # -- plumbing: serialised, errors recorded as the package does ---------------------------
    def __getattr__(self, name: str) -> Any:
        impl = getattr(type(self), "_" + name, None)
        if impl is None:
            raise AttributeError(name)

        def call(*args: Any, **kw: Any) -> Any:
            if not self._busy.acquire(blocking=False):
                raise RuntimeError(f"{name}: called while another call runs (not thread-safe)")
            try:
                self.calls[name] = self.calls.get(name, 0) + 1
                if not self.initialized and name not in ("initialize", "last_error", "version"):
                    self._error = (RES_E_INTERNAL_FAIL_CONNECT, "No IPC connection")
                    return None
                out = impl(self, *args, **kw)
                if name != "last_error" and out is not None:
                    self._error = (RES_S_OK, "Success")
                return out
            finally:
                self._busy.release()

        return call

    def _fail(self, code: int, text: str) -> None:
        self._error = (code, text)

    # -- connection --------------------------------------------------------------------------
    def _initialize(self, path: str | None = None, timeout: int | None = None, **kw: Any) -> bool:
        self.initialized = True
        self.ipc_timeout_s = (timeout if timeout is not None else 60_000) / 1000
        return True

    def _shutdown(self) -> None:
        self.initialized = False

    def _last_error(self) -> tuple[int, str]:
        return self._error

    def _version(self) -> tuple[int, int, str]:
        return (500, 5000, "01 Dec 2026")

    def _account_info(self) -> Any:
        a, s = self.sim.account(), self.fx.account
        mode = (
            ACCOUNT_MARGIN_MODE_RETAIL_HEDGING if s.hedging else ACCOUNT_MARGIN_MODE_RETAIL_NETTING
        )
        vals = dict.fromkeys(T["AccountInfo"]._fields, 0)
        vals.update(
            login=self.login,
            trade_mode=s.trade_mode,
            leverage=a.leverage,
            trade_allowed=True,
            trade_expert=True,
            margin_mode=mode,
            currency_digits=2,
            balance=a.balance,
            equity=a.equity,
            margin=a.margin,
            margin_free=a.free_margin,
            profit=round(a.equity - a.balance, 2),
            name="Stand-in",
            server="Standin-Demo",
            currency=a.currency,
            company="mt5bridge stand-in",
        )
        return T["AccountInfo"](**vals)

    def _terminal_info(self) -> Any:
        vals = dict.fromkeys(T["TerminalInfo"]._fields, 0)
        vals.update(
            connected=True,
            trade_allowed=self.algo_trading,
            tradeapi_disabled=False,
            build=5000,
            maxbars=self.max_bars,
            company="mt5bridge stand-in",
            name="MetaTrader 5",
            language="English",
            path="",
            data_path="",
            commondata_path="",
        )
        return T["TerminalInfo"](**vals)

    # -- symbols -----------------------------------------------------------------------------
    def _symbols_total(self) -> int:
        return len(self.sim.specs)

    def _symbol_select(self, symbol: str, enable: bool = True) -> bool:
        if symbol not in self.sim.specs:
            self._fail(RES_E_FAIL, "Terminal: Call failed")
            return False
        return True

    def _symbol_info(self, symbol: str) -> Any:
        spec = self.sim.specs.get(symbol)
        if spec is None:
            self._fail(RES_E_FAIL, "Terminal: Call failed")
            return None
        vals: dict[str, Any] = dict.fromkeys(T["SymbolInfo"]._fields, 0)
        vals.update(
            select=True,
            visible=True,
            digits=spec.digits,
            point=spec.point,
            trade_tick_size=spec.tick_size,
            trade_tick_value=spec.tick_value,
            trade_contract_size=spec.contract_size,
            volume_min=spec.volume_min,
            volume_step=spec.volume_step,
            volume_max=spec.volume_max,
            trade_stops_level=spec.stops_level,
            trade_freeze_level=spec.freeze_level,
            filling_mode=spec.filling_modes,
            trade_mode=spec.trade_mode,
            swap_long=spec.swap_long,
            swap_short=spec.swap_short,
            name=symbol,
            bid=self.sim.bid.get(symbol, 0.0),
            ask=self.sim.ask.get(symbol, 0.0),
            currency_base="",
            currency_profit="USD",
            currency_margin="USD",
            description=symbol,
            path=symbol,
        )
        for k in ("basis", "category", "bank", "exchange", "formula", "isin", "page"):
            vals[k] = ""
        return T["SymbolInfo"](**vals)

    def _symbol_info_tick(self, symbol: str) -> Any:
        got = self.ticks.get(symbol)
        if got is None:
            self._fail(RES_E_FAIL, "Terminal: Call failed")
            return None
        if not got:
            return T["Tick"](0, 0.0, 0.0, 0.0, 0, 0, 0, 0.0)
        t, bid, ask = got[-1]
        return T["Tick"](t // 1000, bid, ask, 0.0, 0, t, 6, 0.0)

    def _copy_ticks_from(self, symbol: str, date_from: Any, count: int, flags: int) -> Any:
        got = self.ticks.get(symbol, [])
        i = bisect.bisect_left(got, (_seconds(date_from) * 1000,))
        return self._tick_array(got[i : i + int(count)])

    def _copy_ticks_range(self, symbol: str, date_from: Any, date_to: Any, flags: int) -> Any:
        lo, hi = _seconds(date_from) * 1000, _seconds(date_to) * 1000
        return self._tick_array([r for r in self.ticks.get(symbol, []) if lo <= r[0] <= hi])

    @staticmethod
    def _tick_array(rows: list[tuple[int, float, float]]) -> Any:
        out = np.zeros(len(rows), dtype=TICK_DTYPE)
        for i, (t, bid, ask) in enumerate(rows):
            out[i] = (t // 1000, bid, ask, 0.0, 0, t, 6, 0.0)
        return out

    def _copy_rates_range(self, symbol: str, timeframe: int, date_from: Any, date_to: Any) -> Any:
        if timeframe != TIMEFRAME_M1:
            self._fail(RES_E_INVALID_PARAMS, "Invalid params")
            return None
        if symbol not in self.sim.specs:
            self._fail(RES_E_FAIL, "Terminal: Call failed")
            return None
        lo, hi = _seconds(date_from) * 1000, _seconds(date_to) * 1000
        b = self.fx.bars[symbol]
        closed_by = self.clock_ms - 60_000  # the terminal has every bar closed by its time now
        rows: list[tuple[Any, ...]] = list(b.between(lo, min(hi, closed_by) + 1).rows())
        forming = self._forming(symbol)
        if forming is not None and lo <= forming[0] <= hi:
            rows.append(forming)
        rows = rows[-self.max_bars :]  # "Max bars in chart": the newest of the range
        out = np.zeros(len(rows), dtype=RATES_DTYPE)
        for i, (t, o, h, lo_, c, tv, sp) in enumerate(rows):
            out[i] = (t // 1000, o, h, lo_, c, tv, sp, 0)
        return out

    def _forming(self, symbol: str) -> tuple[int, float, float, float, float, int, int] | None:
        """The bar still open: built from the minute's ticks so far, as the terminal shows it."""
        start = self.clock_ms - self.clock_ms % 60_000
        ticks = self.ticks[symbol]
        got = ticks[bisect.bisect_left(ticks, (start,)) :]
        if not got:
            return None
        bids = [r[1] for r in got]
        spread = round((got[-1][2] - got[-1][1]) / self.sim.specs[symbol].point)
        return (start, bids[0], max(bids), min(bids), bids[-1], len(got), spread)

    # -- books and history -------------------------------------------------------------------
    def _positions_get(
        self, symbol: str | None = None, group: str | None = None, ticket: int | None = None
    ) -> Any:
        out = []
        for p in self.sim.positions.values():
            if (symbol and p.symbol != symbol) or (ticket is not None and p.ticket != ticket):
                continue
            pe = self.sim.position_event(p)
            px = (self.sim.bid if p.is_buy else self.sim.ask).get(p.symbol, 0.0)
            out.append(
                T["TradePosition"](
                    p.ticket,
                    p.time_ms // 1000,
                    p.time_ms,
                    p.time_ms // 1000,
                    p.time_ms,
                    0 if p.is_buy else 1,
                    p.magic,
                    p.ticket,
                    3,
                    p.volume,
                    p.price_open,
                    p.sl,
                    p.tp,
                    px,
                    pe.swap,
                    pe.profit,
                    p.symbol,
                    p.client_id,
                    "",
                )
            )
        return tuple(out)

    def _order(self, o: Any, state: int, done_ms: int = 0) -> Any:
        return T["TradeOrder"](
            o.ticket,
            o.time_ms // 1000,
            o.time_ms,
            done_ms // 1000,
            done_ms,
            0,
            o.order_type,
            ORDER_TIME_GTC,
            ORDER_FILLING_RETURN,
            state,
            o.magic,
            0,
            0,
            3,
            o.volume,
            o.volume if state == ORDER_STATE_PLACED else 0.0,
            o.price,
            o.sl,
            o.tp,
            o.price,
            0.0,
            o.symbol,
            o.client_id,
            "",
        )

    def _orders_get(
        self, symbol: str | None = None, group: str | None = None, ticket: int | None = None
    ) -> Any:
        return tuple(
            self._order(o, ORDER_STATE_PLACED)
            for o in self.sim.orders.values()
            if (not symbol or o.symbol == symbol) and (ticket is None or o.ticket == ticket)
        )

    def _history_orders_get(
        self,
        date_from: Any = None,
        date_to: Any = None,
        group: str | None = None,
        ticket: int | None = None,
        position: int | None = None,
    ) -> Any:
        if ticket is not None:
            return tuple(o for o in self.history.values() if o.ticket == ticket)
        lo, hi = _seconds(date_from) * 1000, _seconds(date_to) * 1000
        return tuple(o for o in self.history.values() if lo <= o.time_setup_msc <= hi)

    def _history_deals_get(
        self,
        date_from: Any = None,
        date_to: Any = None,
        group: str | None = None,
        ticket: int | None = None,
        position: int | None = None,
    ) -> Any:
        deals = self.sim.deals
        if ticket is not None:  # the deals of an order (DEAL_ORDER)
            deals = [d for d in deals if d.order == ticket]
        elif position is not None:
            deals = [d for d in deals if d.position_id == position]
        else:
            lo, hi = _seconds(date_from) * 1000, _seconds(date_to) * 1000
            deals = [d for d in deals if lo <= d.time_ms <= hi]
        return tuple(
            T["TradeDeal"](
                d.ticket,
                d.order,
                d.time_ms // 1000,
                d.time_ms,
                0 if d.is_buy else 1,
                d.entry,
                d.magic,
                d.position_id,
                d.reason,
                d.volume,
                d.price,
                d.commission,
                d.swap,
                d.profit,
                0.0,
                d.symbol,
                d.client_id,
                "",
            )
            for d in deals
        )

    def _book_moved(self) -> None:
        """Pending orders that left the book (filled on a tick) go to the history."""
        for t, o in list(self.history.items()):
            if o.state == ORDER_STATE_PLACED and t not in self.sim.orders:
                filled = any(d.order == t for d in self.sim.deals)
                state = ORDER_STATE_FILLED if filled else ORDER_STATE_CANCELED
                self.history[t] = o._replace(state=state, time_done_msc=self.clock_ms)

    # -- trading -----------------------------------------------------------------------------
    def _order_send(self, request: dict[str, Any]) -> Any:
        if self.send_delay_s:  # a slow trade server
            time.sleep(min(self.send_delay_s, self.ipc_timeout_s))
        timed_out = self.send_delay_s > self.ipc_timeout_s
        out = self._send(request)
        if timed_out:  # the order reached the server; the caller only learns the time ran out
            self._fail(RES_E_INTERNAL_FAIL_TIMEOUT, "Terminal: Timeout")
            return None
        return out

    def _send(self, request: dict[str, Any]) -> Any:
        q = {k: request.get(k, 0) for k in T["TradeRequest"]._fields}
        q["symbol"], q["comment"] = request.get("symbol", ""), request.get("comment", "")
        req = T["TradeRequest"](**q)
        sym = req.symbol
        bid, ask = self.sim.bid.get(sym, 0.0), self.sim.ask.get(sym, 0.0)

        def result(
            code: int,
            order: int = 0,
            deal: int = 0,
            vol: float = 0.0,
            px: float = 0.0,
            text: str = "",
        ) -> Any:
            return T["OrderSendResult"](
                code, deal, order, vol, px, bid, ask, text or rc.text(code), 0, 0, req
            )

        if not self.algo_trading:
            return result(rc.CLIENT_DISABLES_AT)
        cid = req.comment or f"standin-{len(self.history) + 1}"
        action = int(req.action)
        cmd: ev.TradeCommand
        if action == TRADE_ACTION_DEAL and req.position and self.fx.account.hedging:
            cmd = ev.CloseCmd(cid, int(req.position), float(req.volume), int(req.deviation))
        elif action in (TRADE_ACTION_DEAL, TRADE_ACTION_PENDING):
            price = float(req.price) if action == TRADE_ACTION_PENDING else 0.0
            cmd = ev.OpenCmd(
                cid,
                sym,
                int(req.type),
                float(req.volume),
                price,
                float(req.sl),
                float(req.tp),
                int(req.magic),
                int(req.deviation),
                int(req.type_filling),
                req.comment,
            )
        elif action == TRADE_ACTION_SLTP:
            cmd = ev.ModifyCmd(cid, int(req.position), float(req.sl), float(req.tp))
        elif action == TRADE_ACTION_REMOVE:
            cmd = ev.CancelCmd(cid, int(req.order))
        elif action == TRADE_ACTION_CLOSE_BY:
            cmd = ev.CloseByCmd(cid, int(req.position), int(req.position_by))
        else:
            return result(rc.INVALID)
        pending = dict(self.sim.orders)
        events = self.sim.execute(cmd)
        (r,) = [e for e in events if isinstance(e, ev.OrderResult)]
        for o in self.sim.orders.values():
            if o.ticket not in pending:
                self.history[o.ticket] = self._order(o, ORDER_STATE_PLACED)
        for d in (e for e in events if isinstance(e, ev.Deal)):
            if d.order not in self.history:  # a market order: placed, filled, in the history
                o = ev.PendingOrder(
                    d.order,
                    d.client_id,
                    d.symbol,
                    0 if d.is_buy else 1,
                    d.volume,
                    d.price,
                    0.0,
                    0.0,
                    d.magic,
                    d.time_ms,
                )
                self.history[d.order] = self._order(o, ORDER_STATE_FILLED, d.time_ms)
        if isinstance(cmd, ev.CancelCmd) and r.retcode == rc.DONE and cmd.ticket in self.history:
            self.history[cmd.ticket] = self.history[cmd.ticket]._replace(state=ORDER_STATE_CANCELED)
        return result(r.retcode, r.order, r.deal, r.volume, r.price, r.text)


def load(fx: Fixture, **kw: Any) -> StandIn:
    return StandIn(fx, **kw)


def from_env() -> StandIn:
    """``--package tests.mt5_standin:from_env``: a terminal whose history is the fixture in
    $MT5_STANDIN_FIXTURE (all of it in the past), "Max bars in chart" $MT5_STANDIN_MAX_BARS."""
    import os

    from bridge.data.fixtures import load_fixture

    s = StandIn(load_fixture(os.environ["MT5_STANDIN_FIXTURE"]),
                max_bars=int(os.environ.get("MT5_STANDIN_MAX_BARS", "100000")))  # fmt: skip
    s.at_end()
    return s


class LiveStandIn(StandIn):
    """A terminal whose market runs now: every ``every_s`` each symbol gets a tick (a random walk
    from the fixture's first price), stamped with the trade server's time (UTC + 2 h); its
    closed M1 bars are built from those ticks."""

    def __init__(self, fx: Fixture, every_s: float = 0.02) -> None:
        super().__init__(fx)
        self.market_lock = threading.Lock()
        self.stop = threading.Event()
        rng = np.random.default_rng(1)
        price = {s: float(b.open[0]) for s, b in fx.bars.items()}
        self.clock_ms = self._now()

        def run() -> None:
            while not self.stop.wait(every_s):
                with self.market_lock:
                    self.clock_ms = now = self._now()
                    for s, spec in self.sim.specs.items():
                        price[s] = round(
                            price[s] + float(rng.normal()) * 20 * spec.point, spec.digits
                        )
                        bid, ask = price[s], round(price[s] + 10 * spec.point, spec.digits)
                        self.ticks[s].append((now, bid, ask))
                        self.sim.on_tick(s, now, bid, ask)
                        self._book_moved()

        threading.Thread(target=run, daemon=True).start()

    @staticmethod
    def _now() -> int:
        return int(time.time() * 1000) + 2 * 3_600_000

    def __getattr__(self, name: str) -> Any:
        call = super().__getattr__(name)

        def locked(*args: Any, **kw: Any) -> Any:
            with self.market_lock:
                return call(*args, **kw)

        return locked

    def _copy_rates_range(self, symbol: str, timeframe: int, date_from: Any, date_to: Any) -> Any:
        lo, hi = _seconds(date_from) * 1000, _seconds(date_to) * 1000
        rows = []
        ticks = self.ticks.get(symbol, [])
        minute = lo - lo % 60_000
        while minute <= hi and minute < self.clock_ms - self.clock_ms % 60_000:
            a = bisect.bisect_left(ticks, (minute,))
            z = bisect.bisect_left(ticks, (minute + 60_000,))
            bids = [t[1] for t in ticks[a:z]]
            if bids:
                rows.append(
                    (minute // 1000, bids[0], max(bids), min(bids), bids[-1], len(bids), 10, 0)
                )
            minute += 60_000
        out = np.zeros(len(rows), dtype=RATES_DTYPE)
        for i, r in enumerate(rows):
            out[i] = r
        return out


def live_from_env() -> LiveStandIn:
    """``package = "tests.mt5_standin:live_from_env"``: the fixture in $MT5_STANDIN_FIXTURE gives
    the symbols and the account; the market is made now."""
    import os

    from bridge.data.fixtures import load_fixture

    return LiveStandIn(load_fixture(os.environ["MT5_STANDIN_FIXTURE"]))

"""Typed immutable events (terminal -> brain) and commands (brain -> terminal).

NamedTuples: immutable, typed and the cheapest Python objects to build on the hot path. Enum-like
integer fields use MQL5's own numbering so the EA passes them through unchanged. All times are
broker server milliseconds (see bridge.core.timeutil).
"""

from __future__ import annotations

from typing import NamedTuple

from bridge.core.symbols import SymbolSpec

# ENUM_ORDER_TYPE
BUY, SELL, BUY_LIMIT, SELL_LIMIT, BUY_STOP, SELL_STOP = 0, 1, 2, 3, 4, 5
ORDER_TYPE_NAMES = ("buy", "sell", "buy_limit", "sell_limit", "buy_stop", "sell_stop")
# ENUM_DEAL_ENTRY
ENTRY_IN, ENTRY_OUT, ENTRY_INOUT, ENTRY_OUT_BY = 0, 1, 2, 3
# ENUM_DEAL_REASON (subset)
REASON_CLIENT, REASON_EXPERT, REASON_SL, REASON_TP, REASON_SO = 0, 3, 4, 5, 6
DEAL_REASON_NAMES = {0: "client", 3: "expert", 4: "sl", 5: "tp", 6: "stop_out"}


def is_buy_type(order_type: int) -> bool:
    return order_type % 2 == 0


# -- market data -----------------------------------------------------------------------------
class Tick(NamedTuple):
    symbol: str
    time_ms: int
    bid: float
    ask: float
    last: float = 0.0
    volume: int = 0
    flags: int = 0


class Bar(NamedTuple):
    """A closed bar. ``timeframe`` in minutes (1 = M1); ``time_ms`` is the bar's open time."""

    symbol: str
    timeframe: int
    time_ms: int
    open: float
    high: float
    low: float
    close: float
    tick_volume: int = 0
    spread: int = 0  # points

    @property
    def close_time_ms(self) -> int:
        return self.time_ms + self.timeframe * 60_000


# -- account events --------------------------------------------------------------------------
class Account(NamedTuple):
    login: int
    balance: float
    equity: float
    margin: float
    free_margin: float
    leverage: int
    currency: str
    hedging: bool
    time_ms: int


class TerminalInfo(NamedTuple):
    """What the terminal says of itself at each connection and whenever it changes: its build,
    whether it is connected to the trade server, whether algorithmic trading is allowed (the
    terminal's Algo Trading button, the EA's own "Allow Algo Trading", the account, the account
    for experts), the account's trade mode, and its clocks (the trade server's and UTC)."""

    build: int
    connected: bool  # TERMINAL_CONNECTED: to the broker's trade server
    trade_allowed: bool  # TERMINAL_TRADE_ALLOWED: the Algo Trading button
    ea_trade_allowed: bool  # MQL_TRADE_ALLOWED: the EA's own permission
    account_trade_allowed: bool  # ACCOUNT_TRADE_ALLOWED
    account_trade_expert: bool  # ACCOUNT_TRADE_EXPERT: the broker lets experts trade
    trade_mode: int  # ACCOUNT_TRADE_MODE: 0 demo, 1 contest, 2 real
    server_ms: int  # TimeTradeServer(): the broker's server clock
    gmt_ms: int  # TimeGMT(): UTC by the computer's clock
    company: str  # ACCOUNT_COMPANY: the broker


ACCOUNT_DEMO, ACCOUNT_CONTEST, ACCOUNT_REAL = 0, 1, 2


class Position(NamedTuple):
    ticket: int
    symbol: str
    is_buy: bool
    volume: float
    price_open: float
    sl: float
    tp: float
    magic: int
    profit: float
    swap: float
    time_ms: int
    client_id: str  # id of the order that opened it ('' if unknown)


class PendingOrder(NamedTuple):
    ticket: int
    client_id: str
    symbol: str
    order_type: int
    volume: float
    price: float
    sl: float
    tp: float
    magic: int
    time_ms: int


class Deal(NamedTuple):
    ticket: int
    order: int
    position_id: int
    client_id: str
    symbol: str
    is_buy: bool
    entry: int
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    magic: int
    time_ms: int
    reason: int


class OrderResult(NamedTuple):
    """The terminal's answer to one command (MqlTradeResult plus the client id)."""

    client_id: str
    retcode: int
    order: int
    deal: int
    volume: float
    price: float
    text: str


class PositionClosed(NamedTuple):
    """The terminal saw a position disappear (sent after the closing deal)."""

    ticket: int
    time_ms: int


class OrderGone(NamedTuple):
    """A pending order left the book without a fill: cancelled (state 2, ``ENUM_ORDER_STATE``),
    rejected (5) or expired (6), by the server, by hand or by a command."""

    ticket: int
    state: int
    time_ms: int


class SymbolInfo(NamedTuple):
    spec: SymbolSpec


class SnapshotEnd(NamedTuple):
    req_id: int
    positions: int
    orders: int


class Heartbeat(NamedTuple):
    time_ms: int


# -- session control -------------------------------------------------------------------------
class Hello(NamedTuple):
    version: str
    terminal_id: str
    login: int
    flags: int  # bit 0: lockstep replay (fake terminal); see docs/protocol.md
    server: str  # the trade server's name (with login: the account)
    nonce: str  # the terminal's fresh random nonce: the brain proves the secret over it


class Challenge(NamedTuple):
    version: str
    nonce: str  # the brain's fresh random nonce: the terminal proves the secret over it
    proof: str  # the brain's proof over the terminal's nonce (bridge/wire/auth.py)


class Auth(NamedTuple):
    mac: str


class Welcome(NamedTuple):
    session: str
    heartbeat_ms: int


class Error(NamedTuple):
    code: int
    text: str


class Ready(NamedTuple):
    """Lockstep: the brain has finished with every frame up to ``upto_seq``."""

    upto_seq: int


# -- commands (brain -> terminal) ------------------------------------------------------------
class OpenCmd(NamedTuple):
    client_id: str
    symbol: str
    order_type: int
    volume: float
    price: float  # 0 for market orders
    sl: float
    tp: float
    magic: int
    deviation: int
    filling: int  # ORDER_FILLING_FOK 0, IOC 1, RETURN 2; -1: the terminal picks an allowed one
    comment: str


class ModifyCmd(NamedTuple):
    client_id: str
    ticket: int
    sl: float
    tp: float


class CloseCmd(NamedTuple):
    client_id: str
    ticket: int
    volume: float  # 0 = the whole position
    deviation: int


class CloseByCmd(NamedTuple):
    client_id: str
    ticket: int
    opposite: int


class CancelCmd(NamedTuple):
    client_id: str
    ticket: int


class QueryCmd(NamedTuple):
    """Ask for the remembered outcome of one client order id (never a resend)."""

    client_id: str


class SnapshotReq(NamedTuple):
    req_id: int


class DealsSinceReq(NamedTuple):
    """Send every deal made after ``after_ms`` (server time, oldest first), then
    SNAPEND(req_id, 0, 0): the fills a resynchronising brain may have missed."""

    req_id: int
    after_ms: int


class HaltCmd(NamedTuple):
    reason: str


class HistoryReq(NamedTuple):
    """Send the closed M1 bars of ``symbol`` opened in [from_ms, to_ms) (server time, oldest
    first) as HBAR frames, then HISTEND: the history a strategy needs before it trades."""

    req_id: int
    symbol: str
    from_ms: int
    to_ms: int


class HistoryBar(NamedTuple):
    """One closed M1 bar of a history answer (the fields of a BAR, timeframe 1)."""

    req_id: int
    symbol: str
    time_ms: int
    open: float
    high: float
    low: float
    close: float
    tick_volume: int
    spread: int


HISTORY_OK = 0  # every bar the terminal has in the range was sent
HISTORY_NO_SYMBOL = 1  # the terminal does not know the symbol
HISTORY_NOT_READY = 2  # the terminal was still loading the range when it gave up waiting
HISTORY_STATUS = {
    HISTORY_OK: "complete",
    HISTORY_NO_SYMBOL: "no such symbol",
    HISTORY_NOT_READY: "the terminal had not loaded that history yet",
}


class HistoryEnd(NamedTuple):
    """The end of a history answer: how many HBARs were sent and whether that is all."""

    req_id: int
    symbol: str
    bars: int
    status: int


Command = OpenCmd | ModifyCmd | CloseCmd | CloseByCmd | CancelCmd | QueryCmd
TradeCommand = OpenCmd | ModifyCmd | CloseCmd | CloseByCmd | CancelCmd

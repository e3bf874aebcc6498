"""MT5 trade server return codes (MqlTradeResult.retcode) that the bridge uses or may see."""

from __future__ import annotations

REQUOTE = 10004
REJECT = 10006
CANCEL = 10007
PLACED = 10008
DONE = 10009
DONE_PARTIAL = 10010
ERROR = 10011
TIMEOUT = 10012
INVALID = 10013
INVALID_VOLUME = 10014
INVALID_PRICE = 10015
INVALID_STOPS = 10016
TRADE_DISABLED = 10017
MARKET_CLOSED = 10018
NO_MONEY = 10019
PRICE_CHANGED = 10020
PRICE_OFF = 10021
TOO_MANY_REQUESTS = 10024
NO_CHANGES = 10025
CLIENT_DISABLES_AT = 10027
FROZEN = 10029
INVALID_FILL = 10030
CONNECTION = 10031
LIMIT_ORDERS = 10033
LIMIT_VOLUME = 10034
POSITION_CLOSED = 10036
INVALID_CLOSE_VOLUME = 10038
LIMIT_POSITIONS = 10040
LONG_ONLY = 10042
SHORT_ONLY = 10043
CLOSE_ONLY = 10044
HEDGE_PROHIBITED = 10046
# Not an MT5 code: the terminal has no record of this client order id (answer to QUERY).
UNKNOWN_ID = 0

TEXT: dict[int, str] = {
    REQUOTE: "requote",
    REJECT: "request rejected",
    CANCEL: "request canceled by trader",
    PLACED: "order placed",
    DONE: "request completed",
    DONE_PARTIAL: "only part of the request was completed",
    ERROR: "request processing error",
    TIMEOUT: "request canceled by timeout",
    INVALID: "invalid request",
    INVALID_VOLUME: "invalid volume in the request",
    INVALID_PRICE: "invalid price in the request",
    INVALID_STOPS: "invalid stops in the request",
    TRADE_DISABLED: "trade is disabled",
    MARKET_CLOSED: "market is closed",
    NO_MONEY: "there is not enough money to complete the request",
    PRICE_CHANGED: "prices changed",
    PRICE_OFF: "there are no quotes to process the request",
    TOO_MANY_REQUESTS: "too frequent requests",
    NO_CHANGES: "no changes in request",
    CLIENT_DISABLES_AT: "autotrading disabled by client terminal",
    FROZEN: "order or position frozen",
    INVALID_FILL: "invalid order filling type",
    CONNECTION: "no connection with the trade server",
    LIMIT_ORDERS: "the number of pending orders has reached the limit",
    LIMIT_VOLUME: "the volume of orders and positions for the symbol has reached the limit",
    POSITION_CLOSED: "position with the specified identifier has already been closed",
    INVALID_CLOSE_VOLUME: "a close volume exceeds the current position volume",
    LIMIT_POSITIONS: "the number of open positions has reached the limit",
    LONG_ONLY: "only long positions are allowed",
    SHORT_ONLY: "only short positions are allowed",
    CLOSE_ONLY: "only position closing is allowed",
    HEDGE_PROHIBITED: "opposite positions on one symbol are prohibited",
    UNKNOWN_ID: "no record of this client order id",
}

SUCCESS = frozenset({PLACED, DONE, DONE_PARTIAL, NO_CHANGES})


def text(code: int) -> str:
    return TEXT.get(code, f"retcode {code}")


# every refusal the trade server may answer with (for fault injection and its tests)
REFUSALS = tuple(sorted(c for c in TEXT if c not in SUCCESS and c != UNKNOWN_ID))

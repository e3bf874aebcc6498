"""The exchange instances: CCXT's synchronous class for orders and queries, its ccxt.pro class
for the WebSocket streams, both with the credentials taken from environment variables (never
from the config file, never logged).

HyperLiquid: CCXT's class would, on the first order, approve a builder fee to CCXT's own address
and set CCXT's referral code, signed with the trader's key. The venue terminal turns both off:
no builder, no referral, nothing signed but the trader's own orders, cancels and leverage.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SLIPPAGE = "0.05"  # HyperLiquid has no market order: a limit order 5 % through the quote

# the credentials each exchange needs, by CCXT's field name -> the default environment variable
DEFAULT_ENV = {
    "hyperliquid": {
        "walletAddress": "HYPERLIQUID_WALLET_ADDRESS",
        "privateKey": "HYPERLIQUID_PRIVATE_KEY",
    },
}


class MissingExtra(ValueError):
    """The ccxt package is not installed."""


@dataclass(frozen=True)
class VenueSpec:
    """What the terminal needs to reach one exchange account."""

    exchange: str
    credentials: Mapping[str, str] = field(default_factory=dict)  # CCXT field -> env variable
    testnet: bool = False
    api_url: str = ""  # a local stand-in of the exchange's HTTP API (tests)
    ws_url: str = ""  # ... and of its WebSocket
    timeout_ms: int = 10_000
    rate_limit: bool = True


def _ccxt() -> tuple[Any, Any]:
    try:
        import ccxt  # type: ignore[import-untyped]
        import ccxt.pro  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtra(
            "the venue terminal needs the ccxt package: pip install 'mt5bridge[venue]'"
        ) from None
    return ccxt, ccxt.pro


log = logging.getLogger("mt5bridge.venue")

# what the venue terminal calls: CCXT's ``has`` of the REST class and of the ccxt.pro class
NEEDS_REST = (
    "createOrder",
    "cancelOrder",
    "fetchOrder",
    "fetchOpenOrders",
    "fetchMyTrades",
    "fetchPositions",
    "fetchBalance",
    "fetchTicker",
)
NEEDS_WS = ("watchTicker", "watchMyTrades", "watchOrders")


def check_capabilities(exchange: str) -> None:
    """ValueError naming what ``exchange``'s CCXT classes lack of what the terminal calls."""
    ccxt, pro = _ccxt()
    if exchange not in ccxt.exchanges:
        raise ValueError(f"venue: CCXT has no exchange {exchange!r}")
    if not hasattr(pro, exchange):
        raise ValueError(f"venue: ccxt.pro has no WebSocket class for {exchange!r}")
    rest_has, ws_has = getattr(ccxt, exchange)().has, getattr(pro, exchange)().has
    missing = [m for m in NEEDS_REST if not rest_has.get(m)]
    missing += [m for m in NEEDS_WS if not ws_has.get(m)]
    if missing:
        raise ValueError(f"venue: CCXT's {exchange} lacks {', '.join(missing)}")


def credentials(spec: VenueSpec, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each credential from its environment variable; ValueError naming the variables unset."""
    env = os.environ if env is None else env
    wanted = {**DEFAULT_ENV.get(spec.exchange, {}), **spec.credentials}
    missing = [var for var in wanted.values() if not env.get(var)]
    if missing:
        raise ValueError(
            f"venue {spec.exchange}: set the environment variable(s) {', '.join(missing)} "
            "(credentials are never read from the config file)"
        )
    return {name: env[var] for name, var in wanted.items()}


def _approved(ex: Any) -> Any:
    """A stand-in for CCXT's builder-fee approval that approves nothing (a coroutine function
    on ccxt.pro's asynchronous class)."""
    if inspect.iscoroutinefunction(ex.load_markets):

        async def nothing_async() -> bool:
            return True

        return nothing_async

    def nothing() -> bool:
        return True

    return nothing


def _configure(ex: Any, spec: VenueSpec, creds: Mapping[str, str]) -> Any:
    for name, value in creds.items():
        setattr(ex, name, value)
    ex.timeout = spec.timeout_ms
    ex.enableRateLimit = spec.rate_limit
    if spec.testnet:
        ex.set_sandbox_mode(True)
    ex.options["defaultSlippage"] = SLIPPAGE  # a market order's limit, where one is needed
    if spec.exchange == "hyperliquid":
        ex.options["fetchMarkets"] = {"types": ["swap"]}  # perpetuals: no spot or HIP-3 lists
        ex.options["refSet"] = True  # no referral code set with the trader's key
        ex.options["builderFee"] = False
        ex.options["approvedBuilderFee"] = False  # no builder attached to orders ...
        ex.handle_builder_fee_approval = _approved(ex)  # ... and none approved
    if spec.api_url:
        ex.urls["api"] = {**ex.urls["api"], "public": spec.api_url, "private": spec.api_url}
    if spec.ws_url:
        ws = dict(ex.urls["api"].get("ws") or {})
        ex.urls["api"]["ws"] = {**ws, "public": spec.ws_url, "private": spec.ws_url}
    return ex


def open_rest(spec: VenueSpec, env: Mapping[str, str] | None = None) -> Any:
    """CCXT's synchronous exchange instance (orders, positions, balance, history)."""
    ccxt, _pro = _ccxt()
    if spec.exchange not in ccxt.exchanges:
        raise ValueError(f"venue: CCXT has no exchange {spec.exchange!r}")
    return _configure(getattr(ccxt, spec.exchange)(), spec, credentials(spec, env))


def open_ws(spec: VenueSpec, env: Mapping[str, str] | None = None) -> Any:
    """CCXT's asynchronous ccxt.pro instance (created inside the stream's event loop)."""
    _ccxt_mod, pro = _ccxt()
    if not hasattr(pro, spec.exchange):
        raise ValueError(f"venue: ccxt.pro has no WebSocket class for {spec.exchange!r}")
    return _configure(getattr(pro, spec.exchange)(), spec, credentials(spec, env))


def check_markets(rest: Any, markets: Mapping[str, str]) -> None:
    """ValueError naming a configured market the exchange does not list (the exchange not
    reachable now: nothing to check, the terminal tries again)."""
    import ccxt

    try:
        rest.load_markets()
    except ccxt.NetworkError as exc:
        log.warning("venue: the exchange is not reachable now (%s); trying again", exc)
        return
    for name, m in markets.items():
        if m not in rest.markets:
            near = [x for x in rest.markets if x.split("/")[0] == m.split("/")[0]][:5]
            hint = f"; it lists {', '.join(near)}" if near else ""
            raise ValueError(f"venue: {rest.id} has no market {m!r} (for {name}){hint}")

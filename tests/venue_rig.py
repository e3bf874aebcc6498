"""A brain running the two-bucket plan, and the venue terminal on the HyperLiquid stand-in,
for the venue tests: the terminal's clock is the test's, prices are pushed over the stand-in's
WebSocket and each is waited for until the terminal has sent it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bridge.config import parse_config
from bridge.runner import BrainRunner
from bridge.venue.connect import VenueSpec, open_rest, open_ws
from bridge.venue.stream import Stream
from bridge.venue.terminal import VenueTerminal
from bridge.wire.terminal_link import TerminalLink
from tests.hyperliquid_double import HyperliquidDouble

SECRET = b"venue-secret"
MARKET = "BTC/USDC:USDC"
ENV = {
    "HYPERLIQUID_WALLET_ADDRESS": "0x15f43d1f2dee81424afd891943262aa90f22cc2a",
    "HYPERLIQUID_PRIVATE_KEY": "0x" + "4c" * 32,
}


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def plan_brain(params: dict[str, Any], extra: dict[str, Any] | None = None) -> BrainRunner:
    raw: dict[str, Any] = {
        "brain": {"transport": "zmtp"},
        "risk": {"max_orders_per_minute": 1000},
        "strategies": [{"kind": "two_bucket", "name": "plan", "magic": 5000, "params": params}],
        **(extra or {}),
    }
    runner = BrainRunner(
        parse_config(raw, "test config"),
        SECRET,
        None,
        endpoint="tcp://127.0.0.1:0",
        control_endpoint="",
    )
    runner.start_thread()
    return runner


def spec_for(double: HyperliquidDouble, timeout_ms: int = 10_000) -> VenueSpec:
    return VenueSpec(
        "hyperliquid",
        api_url=double.url,
        ws_url=double.ws_url,
        timeout_ms=timeout_ms,
        rate_limit=False,
    )


def venue_terminal(
    double: HyperliquidDouble,
    link: Any,
    clock: Clock,
    *,
    memory: Path | None = None,
    stale_ms: int = 30_000,
    leverage: int = 10,
    timeout_ms: int = 10_000,
    stream: bool = True,
) -> VenueTerminal:
    spec = spec_for(double, timeout_ms)
    st = Stream(lambda: open_ws(spec, ENV), [MARKET], backoff_s=(0.05, 0.2)) if stream else None
    term = VenueTerminal(
        open_rest(spec, ENV),
        {"BTCUSD": MARKET},
        link,
        stream=st,
        login=7,
        leverage=leverage,
        clock=clock,
        memory=memory,
        stale_ms=stale_ms,
    )
    if st is not None:
        st.start()
        st.ready.wait(10)
    return term


@contextmanager
def streaming(
    double: HyperliquidDouble, link: Any, clock: Clock, **kw: Any
) -> Iterator[VenueTerminal]:
    """The terminal connected and subscribed to BTC's prices (``venue_terminal``'s options in
    ``kw``), closed at the end."""
    term = venue_terminal(double, link, clock, **kw)
    try:
        term.connect()
        wait_subscribed(double, "activeAssetCtx:BTC")
        yield term
    finally:
        term.close()


def brain_link(runner: BrainRunner, lockstep: bool = True) -> TerminalLink:
    return TerminalLink(
        runner.server.endpoint, SECRET, "venue", 7, "hyperliquid", lockstep=lockstep
    )


def wait_subscribed(double: HyperliquidDouble, topic: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(topic in topics for _, topics in list(double.sockets)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the terminal never subscribed to {topic}")
        time.sleep(0.01)


def push(
    double: HyperliquidDouble, term: VenueTerminal, clock: Clock, t: int, bid: float, ask: float
) -> None:
    """A price at the exchange, waited for until the terminal sent it (and the brain, in
    lockstep, finished with it and its orders)."""
    clock.ms = t
    sent = term.ticks_sent
    double.set_price("BTC", bid, ask, t)
    deadline = time.monotonic() + 10
    while term.ticks_sent == sent:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the price at {t} never reached the terminal")
        term.cycle()
    term.cycle()

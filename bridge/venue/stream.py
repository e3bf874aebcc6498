"""Prices and the account's own fills over the exchange's WebSocket (ccxt.pro), on a thread
with its own event loop. What arrives is put on a queue the terminal drains on its own thread:
``("tick", market, bid, ask)``, ``("trades", [trade, ...])``, ``("orders", [order, ...])`` and
``("down", reason)`` when a stream failed (it is watched again after a backoff that doubles
from 1 s to 30 s; ccxt.pro opens a new connection).

A ticker is a latest-value stream: CCXT hands over the newest ticker each time it is awaited,
so prices that come faster than the terminal takes them are not all seen (fills are: they are
cached until taken); the newest is always seen, within ``heal_s`` at the latest.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger("mt5bridge.venue")
BACKOFF_S = (1.0, 30.0)


class Stream:
    def __init__(
        self,
        open_ws: Callable[[], Any],
        markets: Sequence[str],
        private: bool = True,
        backoff_s: tuple[float, float] = BACKOFF_S,
        heal_s: float = 0.5,
    ) -> None:
        """``open_ws``: makes the ccxt.pro exchange (called on the stream's thread);
        ``markets``: CCXT market symbols whose tickers are watched; ``private``: watch the
        account's fills and orders too."""
        self.open_ws, self.markets, self.private = open_ws, list(markets), private
        self.backoff_s, self.heal_s = backoff_s, heal_s
        self.q: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.ready = threading.Event()
        self.failures = 0

    def start(self) -> None:
        self.thread = threading.Thread(target=self._main, name="venue-stream", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._run())
        finally:
            loop.close()

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        ex = self.open_ws()
        try:
            await ex.load_markets()
            jobs = [self._watch(f"ticker {m}", self._ticker(ex, m)) for m in self.markets]
            if self.private:
                jobs.append(self._watch("fills", self._batches("trades", ex.watch_my_trades)))
                jobs.append(self._watch("orders", self._batches("orders", ex.watch_orders)))
            tasks = [asyncio.ensure_future(j) for j in jobs]
            self.ready.set()
            await self._stop.wait()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        except Exception as exc:  # the markets could not be loaded: the terminal sees it
            self.q.put(("down", f"stream: {type(exc).__name__}: {exc}"))
            self.ready.set()
        finally:
            await ex.close()

    async def _watch(self, what: str, step: Callable[[], Any]) -> None:
        """Run ``step`` forever, with a doubling pause after each failure."""
        pause = self.backoff_s[0]
        while True:
            try:
                await step()
                pause = self.backoff_s[0]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failures += 1
                self.q.put(("down", f"{what}: {type(exc).__name__}: {exc}"))
                log.warning("venue stream %s failed (%s); again in %.0f s", what, exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.backoff_s[1])

    def _ticker(self, ex: Any, market: str) -> Callable[[], Any]:
        """Each step: the next ticker, or after ``heal_s`` without one the newest the socket
        brought (CCXT keeps it in ``tickers``): a message that came while no watch was pending
        resolves none, and the last price of a burst would otherwise wait for the next one."""
        pending: list[Any] = []  # the watch in progress, kept across steps
        last: list[Any] = [None]

        async def step() -> None:
            if not pending:
                pending.append(asyncio.ensure_future(ex.watch_ticker(market)))
            done, _ = await asyncio.wait(pending, timeout=self.heal_s)
            # a failed watch raises in result(): it is watched again
            t = pending.pop().result() if done else ex.tickers.get(market)
            if t is None or t is last[0]:
                return
            last[0] = t
            bid, ask = t.get("bid"), t.get("ask")
            mid = t.get("close") or t.get("last")
            if bid is None or ask is None:  # a venue that gives one price
                bid = ask = mid
            if bid is not None and ask is not None:
                self.q.put(("tick", market, float(bid), float(ask)))

        return step

    def _batches(self, kind: str, watch: Callable[[], Any]) -> Callable[[], Any]:
        """Each step: what ``watch`` brought since the last (fills, orders), as one item."""

        async def step() -> None:
            got = await watch()
            if got:
                self.q.put((kind, list(got)))

        return step

    def drain(self, timeout_s: float = 0.0) -> list[tuple[Any, ...]]:
        """What arrived (waiting up to ``timeout_s`` for the first)."""
        out: list[tuple[Any, ...]] = []
        try:
            out.append(self.q.get(timeout=timeout_s) if timeout_s > 0 else self.q.get_nowait())
            while True:
                out.append(self.q.get_nowait())
        except queue.Empty:
            return out

    def stop(self) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: self._stop.set())
        if self.thread is not None:
            self.thread.join(5)

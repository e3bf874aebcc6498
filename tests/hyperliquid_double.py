"""A stand-in for HyperLiquid's API on loopback: ``POST /info``, ``POST /exchange`` and the
``/ws`` WebSocket, answered in the shapes of the real payloads in
fixtures/venue/hyperliquid/payloads.json (their sources are named there), with the account and
its order outcomes kept by the project's broker simulator on a netting account.

As the exchange does: a market order is an IOC limit order that fills at the quote only when the
quote is within its limit ("could not immediately match" otherwise); an order under $10 of value,
one beyond the margin, a reduce-only order that would grow the position are refused with the
exchange's messages; a GTC limit order rests and fills when the price reaches it; orderStatus
finds an order by oid or cloid ("unknownOid" otherwise); a userFills subscription starts with a
snapshot of the account's recent fills. Faults a test can ask for: the next /exchange call
executed but answered late (the client times out), the next answered 429 (not executed), the
account's fills missing from the next fills requests, the HTTP API down (502), the WebSocket
silent or its connections dropped.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bridge.core import events as ev
from bridge.core import retcodes as rc
from bridge.core.symbols import SymbolSpec
from bridge.data.account import AccountSettings
from bridge.sim.broker import BrokerSim

PAYLOADS = json.loads(
    (Path(__file__).parent.parent / "fixtures/venue/hyperliquid/payloads.json").read_text()
)
USER = "0x15f43d1f2dee81424afd891943262aa90f22cc2a"


def shape(name: str) -> Any:
    return copy.deepcopy(PAYLOADS[name]["payload"])


def num(x: float) -> str:
    return repr(float(x))


class HyperliquidDouble:
    def __init__(self, coins: dict[str, int], balance: float = 100_000.0) -> None:
        """``coins``: each perpetual's name and szDecimals."""
        self.coins = list(coins)
        self.sz_decimals = coins
        specs = {
            c: SymbolSpec(c, 6, 1e-6, 1e-6, 1e-6, 1.0, 10.0**-d, 10.0**-d, 1e6)
            for c, d in coins.items()
        }
        self.sim = BrokerSim(specs, AccountSettings(1, balance, 50, "USDC", hedging=False))
        self.now_ms = 0
        self.orders: dict[int, dict[str, Any]] = {}  # oid -> orderStatus 'order' entry
        self.fills: list[dict[str, Any]] = []
        self.leverage: dict[int, int] = {}
        self.requests: list[dict[str, Any]] = []  # every /exchange body, for the tests
        self.info_calls: dict[str, int] = {}
        self.stall_next_s = 0.0
        self.rate_limit_next = False
        self.ws_silent = False
        self.fills_lag = 0  # this many fills requests answered empty
        self.down = False  # the HTTP API answers 502
        self.sockets: list[tuple[web.WebSocketResponse, set[str]]] = []
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="hl-double", daemon=True)
        self.thread.start()
        self.started.wait(10)

    # -- serving -----------------------------------------------------------------------------
    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self._ws)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.started.set()
        self.loop.run_forever()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn`` on the server's loop (all state changes happen there) and wait."""

        async def run() -> Any:
            out = fn(*args)
            if asyncio.iscoroutine(out):
                out = await out
            return out

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def close(self) -> None:
        async def down() -> None:
            for ws, _ in list(self.sockets):
                await ws.close()
            await self.runner.cleanup()

        self.call(down)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    # -- the market --------------------------------------------------------------------------
    def set_price(self, coin: str, bid: float, ask: float, time_ms: int) -> None:
        """A new quote: resting orders it reaches fill, subscribers get the asset's context."""
        self.call(self._quote, coin, bid, ask, time_ms)

    async def _quote(self, coin: str, bid: float, ask: float, time_ms: int) -> None:
        self.now_ms = max(self.now_ms, time_ms)
        events = self.sim.on_tick(coin, time_ms, bid, ask)
        await self._filled(events)
        msg = shape("ws_active_asset_ctx")
        ctx = msg["data"]["ctx"]
        mid = (bid + ask) / 2
        ctx.update(
            markPx=num(mid), midPx=num(mid), oraclePx=num(mid), impactPxs=[num(bid), num(ask)]
        )
        msg["data"]["coin"] = coin
        if not self.ws_silent:
            await self._push(f"activeAssetCtx:{coin}", msg)

    async def _push(self, topic: str, msg: Any) -> None:
        for ws, topics in list(self.sockets):
            if topic in topics and not ws.closed:
                await ws.send_str(json.dumps(msg))

    def drop_connections(self) -> None:
        async def drop() -> None:
            for ws, _ in list(self.sockets):
                await ws.close()
            self.sockets.clear()

        self.call(drop)

    # -- /info -------------------------------------------------------------------------------
    async def _info(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=502, text="Bad Gateway")
        body = await request.json()
        kind = body.get("type")
        self.info_calls[kind] = self.info_calls.get(kind, 0) + 1
        return web.json_response(self._answer_info(kind, body))

    def _answer_info(self, kind: str, body: dict[str, Any]) -> Any:
        if kind == "metaAndAssetCtxs":
            universe, ctxs = [], []
            for c in self.coins:
                u = shape("universe_entry")
                u.update(name=c, szDecimals=str(self.sz_decimals[c]))
                universe.append(u)
                ctx = shape("asset_ctx")
                mid = (self.sim.bid.get(c, 100.0) + self.sim.ask.get(c, 100.0)) / 2
                bid, ask = self.sim.bid.get(c, mid), self.sim.ask.get(c, mid)
                ctx.update(markPx=num(mid), midPx=num(mid), impactPxs=[num(bid), num(ask)])
                ctxs.append(ctx)
            return [{"universe": universe}, ctxs]
        if kind == "spotMeta":
            return {
                "universe": [],
                "tokens": [
                    {
                        "name": "USDC",
                        "szDecimals": 8,
                        "weiDecimals": 8,
                        "index": 0,
                        "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
                        "isCanonical": True,
                    }
                ],
            }
        if kind == "userAbstraction":
            return "default"
        if kind == "clearinghouseState":
            return self._clearinghouse()
        if kind in ("frontendOpenOrders", "openOrders"):
            return [o["order"] for o in self.orders.values() if o["status"] == "open"]
        if kind == "orderStatus":
            return self._order_status(body.get("oid"))
        if kind in ("userFills", "userFillsByTime"):
            if self.fills_lag:  # the exchange's history behind its matching engine
                self.fills_lag -= 1
                return []
            start = int(body.get("startTime") or 0)
            got = [f for f in self.fills if int(f["time"]) >= start]
            return list(reversed(got))[:2000]  # newest first, as the exchange gives them
        if kind == "candleSnapshot":
            return []
        return {"status": "err", "response": f"unknown info type {kind}"}

    def _clearinghouse(self) -> dict[str, Any]:
        out: dict[str, Any] = shape("clearinghouse_state")
        template = out["assetPositions"][0]
        acc = self.sim.account()
        out["assetPositions"] = []
        for p in self.sim.positions.values():
            entry = copy.deepcopy(template)
            pos = entry["position"]
            szi = p.volume if p.is_buy else -p.volume
            mark = self.sim.bid[p.symbol] if p.is_buy else self.sim.ask[p.symbol]
            upnl = (mark - p.price_open) * szi
            lev = self.leverage.get(self.coins.index(p.symbol), 20)
            pos.update(
                coin=p.symbol,
                szi=num(szi),
                entryPx=num(p.price_open),
                positionValue=num(abs(szi) * mark),
                unrealizedPnl=num(upnl),
                marginUsed=num(abs(szi) * mark / lev),
                leverage={"type": "cross", "value": str(lev)},
                cumFunding={"allTime": "0.0", "sinceChange": "0.0", "sinceOpen": "0.0"},
            )
            out["assetPositions"].append(entry)
        margin = sum(float(e["position"]["marginUsed"]) for e in out["assetPositions"])
        summary = {
            "accountValue": num(acc.equity),
            "totalMarginUsed": num(margin),
            "totalNtlPos": "0.0",
            "totalRawUsd": num(acc.balance),
        }
        out.update(
            marginSummary=summary,
            crossMarginSummary=dict(summary),
            withdrawable=num(acc.equity - margin),
            time=str(self.now_ms),
        )
        return out

    def _order_status(self, oid: Any) -> dict[str, Any]:
        for o in self.orders.values():
            if oid in (o["order"]["oid"], o["order"]["cloid"]) or str(oid) == str(
                o["order"]["oid"]
            ):
                out: dict[str, Any] = shape("order_status")
                out["order"] = copy.deepcopy(o)
                return out
        return {"status": "unknownOid"}

    # -- /exchange ---------------------------------------------------------------------------
    async def _exchange(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=502, text="Bad Gateway")
        body = await request.json()
        self.requests.append(body)
        if not body.get("signature") or not body.get("nonce"):
            return web.json_response({"status": "err", "response": "Must sign the action"})
        if self.rate_limit_next:
            self.rate_limit_next = False
            return web.Response(status=429, text="null")
        action = body["action"]
        kind = action.get("type")
        if kind == "order":
            statuses = [await self._order(o) for o in action["orders"]]
            answer: Any = shape("create_order_filled")
            answer["response"]["data"]["statuses"] = statuses
        elif kind in ("cancel", "cancelByCloid"):
            answer = {
                "status": "ok",
                "response": {
                    "type": "cancel",
                    "data": {"statuses": [self._cancel(c) for c in action["cancels"]]},
                },
            }
        elif kind == "updateLeverage":
            self.leverage[int(action["asset"])] = int(action["leverage"])
            answer = {"status": "ok", "response": {"type": "default"}}
        else:
            answer = {"status": "err", "response": f"unsupported action {kind}"}
        if self.stall_next_s:
            stall, self.stall_next_s = self.stall_next_s, 0.0
            await asyncio.sleep(stall)  # executed; the answer comes after the client gave up
        return web.json_response(answer)

    async def _order(self, o: dict[str, Any]) -> Any:
        coin = self.coins[int(o["a"])]
        is_buy, px, sz = bool(o["b"]), float(o["p"]), float(o["s"])
        tif = o["t"].get("limit", {}).get("tif", "Gtc")
        err = PAYLOADS["error_statuses"]["payload"]
        asset = f" asset={o['a']}"
        quote = self.sim.ask[coin] if is_buy else self.sim.bid[coin]
        if sz * quote < 10.0:
            return {"error": err["min_value"] + asset}
        net = sum(
            (p.volume if p.is_buy else -p.volume)
            for p in self.sim.positions.values()
            if p.symbol == coin
        )
        if o.get("r") and (net == 0 or (net > 0) == is_buy or sz > abs(net) + 1e-12):
            return {"error": err["reduce_only"] + asset}
        crosses = quote <= px if is_buy else quote >= px
        if tif == "Ioc" and not crosses:
            return {"error": err["no_match"] + asset}
        cloid = o.get("c")
        cid = cloid or f"hl-{len(self.requests)}-{o['a']}"
        market = tif == "Ioc" or crosses
        cmd = ev.OpenCmd(
            cid,
            coin,
            (0 if is_buy else 1) + (0 if market else 2),
            sz,
            0.0 if market else px,
            0.0,
            0.0,
            0,
            0,
            1,
            "",
        )
        events = self.sim.execute(cmd)
        result = next(e for e in events if isinstance(e, ev.OrderResult))
        if result.retcode == rc.NO_MONEY:
            return {"error": err["margin"] + asset}
        if result.retcode not in rc.SUCCESS:
            return {"error": f"{rc.TEXT.get(result.retcode, 'refused')}{asset}"}
        oid = result.order
        entry = shape("order_status")["order"]
        entry["order"].update(
            coin=coin,
            side="B" if is_buy else "A",
            limitPx=num(px),
            sz=num(sz),
            origSz=num(sz),
            oid=oid,
            cloid=cloid,
            timestamp=self.now_ms,
            tif=tif,
            reduceOnly=bool(o.get("r")),
        )
        entry.update(status="open", statusTimestamp=self.now_ms)
        self.orders[oid] = entry
        if result.retcode == rc.PLACED:
            await self._push("orderUpdates", {"channel": "orderUpdates", "data": [entry]})
            return {"resting": {"oid": oid, **({"cloid": cloid} if cloid else {})}}
        await self._filled(events)
        return {"filled": {"totalSz": num(result.volume), "avgPx": num(result.price), "oid": oid}}

    async def _filled(self, events: list[Any]) -> None:
        """Deals of the simulator as the exchange's fills (and their order updates)."""
        fills = []
        deals = [d for d in events if isinstance(d, ev.Deal)]
        net: dict[str, float] = {}  # each coin's position before these deals
        for d in deals:
            if d.symbol not in net:  # the simulator's books already hold every deal
                after = sum(
                    (p.volume if p.is_buy else -p.volume)
                    for p in self.sim.positions.values()
                    if p.symbol == d.symbol
                )
                moved = sum(
                    (x.volume if x.is_buy else -x.volume) for x in deals if x.symbol == d.symbol
                )
                net[d.symbol] = after - moved
        for d in deals:
            delta = d.volume if d.is_buy else -d.volume
            start = net[d.symbol]
            net[d.symbol] = start + delta
            f = shape("user_fill")
            oid = d.order
            entry = self.orders.get(oid)
            f.update(
                coin=d.symbol,
                px=num(d.price),
                sz=num(d.volume),
                side="B" if d.is_buy else "A",
                time=d.time_ms or self.now_ms,
                startPosition=num(start),
                dir=("Open Long" if d.is_buy else "Open Short")
                if d.entry == 0
                else ("Close Short" if d.is_buy else "Close Long"),
                closedPnl=num(d.profit),
                oid=oid,
                tid=d.ticket,
                fee="0.0",
                cloid=entry["order"]["cloid"] if entry else None,
            )
            self.fills.append(f)
            fills.append(f)
            if entry is not None:
                entry["order"]["sz"] = "0.0"
                entry.update(status="filled", statusTimestamp=f["time"])
                await self._push("orderUpdates", {"channel": "orderUpdates", "data": [entry]})
        if fills:
            msg = {"channel": "userFills", "data": {"user": USER, "fills": fills}}
            await self._push("userFills", msg)

    def _cancel(self, c: dict[str, Any]) -> Any:
        key = c.get("o", c.get("cloid"))
        for oid, o in self.orders.items():
            if o["status"] == "open" and key in (oid, o["order"]["cloid"]):
                self.sim.execute(ev.CancelCmd(f"cancel-{oid}", oid))
                o.update(status="canceled", statusTimestamp=self.now_ms)
                return "success"
        return {"error": PAYLOADS["error_statuses"]["payload"]["not_found"]}

    # -- /ws ---------------------------------------------------------------------------------
    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        topics: set[str] = set()
        self.sockets.append((ws, topics))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            m = json.loads(msg.data)
            if m.get("method") == "ping":
                await ws.send_str(json.dumps({"channel": "pong"}))
                continue
            sub = m.get("subscription") or {}
            kind = sub.get("type")
            topic = f"{kind}:{sub['coin']}" if "coin" in sub else str(kind)
            if m.get("method") == "subscribe":
                topics.add(topic)
                await ws.send_str(json.dumps({"channel": "subscriptionResponse", "data": m}))
                if kind == "userFills":
                    snap = {
                        "channel": "userFills",
                        "data": {
                            "isSnapshot": True,
                            "user": USER,
                            "fills": list(reversed(self.fills))[:200],
                        },
                    }
                    await ws.send_str(json.dumps(snap))
        if (ws, topics) in self.sockets:
            self.sockets.remove((ws, topics))
        return ws

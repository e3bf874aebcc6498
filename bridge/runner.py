"""Putting a brain together from a config: engines with restored strategy state and auditing,
the server, and the outputs at the end. Shared by ``mt5bridge run`` and ``mt5bridge demo``."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.strategy import Strategy
from bridge.config import Config, DashboardCfg
from bridge.core.wallclock import wall_ms
from bridge.live.notify import Notifier, apprise_sender
from bridge.live.server import BrainServer
from bridge.live.trade_log import TradeLog
from bridge.persist import recovery
from bridge.persist.store import Store
from bridge.report import write_outputs
from bridge.report_series import Market

log = logging.getLogger("mt5bridge")
trade_log = logging.getLogger("mt5bridge.trades")
STATE_EVERY_MS = 15 * 60_000  # a strategy's state row at least this often (market time)
ACCOUNT_ROWS = frozenset({"deal", "order"})  # rows that say which account they belong to


def run_folder(cfg: Config, store: Store) -> Path:
    """Where this run's checkpoints live: one folder per store and set of strategies with their
    parameters, so a run never resumes from another config's or another database's checkpoint
    (the account is checked at the terminal's handshake)."""
    ident = {"store": store.store_id, "strategies": [s.model_dump() for s in cfg.strategies]}
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()
    return store.checkpoint_dir / f"run-{digest[:16]}"


class Taps:
    """Who else hears of what the engines do (the dashboard's feed): every audit row with its
    terminal, and every engine once made."""

    def __init__(self) -> None:
        self.audit: list[Callable[[str, str, dict[str, Any]], None]] = []
        self.engine: list[Callable[[str, Engine], None]] = []


def engine_factory(
    cfg: Config,
    store: Store | None,
    secret: bytes = b"",
    start: str = "auto",
    finals: list[Callable[[], None]] | None = None,
    notifier: Notifier | None = None,
    taps: Taps | None = None,
) -> Callable[[str, Callable[[Any], None]], Engine]:
    """Engines with the strategies' saved decision state, then (with a store) the terminal's
    crash checkpoint when ``start`` says so (recovery.start_decision): the engine continues where
    the last brain stopped. ``finals`` gets, per engine, what writes its strategies' last state
    rows (called at a clean stop); ``notifier`` hears of fills and risk refusals."""
    folder = run_folder(cfg, store) if store is not None else None
    prefix = secrets.token_hex(4)  # unique per brain process: client ids never repeat
    finals = finals if finals is not None else []
    saved = store.latest_states() if store is not None else {}

    def make(terminal_id: str, send: Callable[[Any], None]) -> Engine:
        strategies = cfg.build_strategies()
        for s in strategies:
            if s.magic in saved:
                s.set_state(saved[s.magic])
                log.info("strategy %s: state restored from the store", s.name)
        last: dict[int, str] = {}
        headlines: dict[int, str] = {}
        eng: Engine | None = None

        due: dict[int, int] = {}

        def on_state(s: Strategy) -> None:
            """A state row when what the strategy does changes (its headline), else at most
            every STATE_EVERY_MS of market time, and at a clean stop (``final_states``): the
            crash checkpoints hold the state between them."""
            line = s.headline()
            changed = line != headlines.get(s.magic, "")
            if changed:
                headlines[s.magic] = line
                trade_log.info("strategy %s: %s", s.name, line)
            if store is None or eng is None:
                return
            if not changed and eng.now_ms < due.get(s.magic, 0):
                return
            due[s.magic] = eng.now_ms + STATE_EVERY_MS
            text = json.dumps(s.get_state(), sort_keys=True, default=str)
            if last.get(s.magic) != text:
                last[s.magic] = text
                store.audit(
                    "state",
                    {"magic": s.magic, "name": s.name, "state": text, "time_ms": eng.now_ms},
                )

        def final_states() -> None:
            due.clear()
            for s in strategies:
                on_state(s)

        finals.append(final_states)

        trades = TradeLog(terminal_id)

        def audit(kind: str, row: dict[str, Any]) -> None:
            if kind in ACCOUNT_ROWS and eng is not None:
                row["account"] = eng.account_key  # the same ticket on two accounts: two rows
            trades(kind, row)
            if taps is not None:
                for tap in taps.audit:
                    tap(terminal_id, kind, row)
            if notifier is not None:
                if kind == "deal":
                    notifier.event("fill", {**row, "terminal": terminal_id})
                elif kind == "risk" and not row["approved"]:
                    notifier.event("refusal", {**row, "terminal": terminal_id})
            if store is not None:
                store.audit(kind, row)

        eng = Engine(
            strategies,
            {},
            send,
            limits=cfg.risk.limits(),
            id_prefix=f"{prefix}{terminal_id[:6]}",
            audit=audit,
            on_state=on_state,
            aliases=cfg.aliases_for(terminal_id),
        )
        eng.orders.timeout_ms = cfg.brain.order_timeout_ms
        eng.orders.wall_ms = wall_ms
        if store is not None and folder is not None and secret:
            recovery.resume(eng, folder, terminal_id, secret, store, start)
        if taps is not None:
            for tap_engine in taps.engine:
                tap_engine(terminal_id, eng)
        return eng

    return make


class BrainRunner:
    """A BrainServer on its own thread (for the demo and the tests) or the caller's."""

    def __init__(
        self,
        cfg: Config,
        secret: bytes,
        store: Store | None,
        endpoint: str | None = None,
        control_endpoint: str | None = None,
        record: Callable[[Any], None] | None = None,
        start: str = "auto",
    ) -> None:
        self.cfg = cfg
        self.secret = secret
        self.mt5api: Any = None  # the MetaTrader5-package terminal, when configured
        self.venue: Any = None  # the exchange terminal over CCXT, when configured
        self.store = store
        b = cfg.brain
        folder = run_folder(cfg, store) if store is not None else None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self.final_states: list[Callable[[], None]] = []
        urls = cfg.notify.all_urls()
        self.notifier = Notifier(apprise_sender(urls), cfg.notify.events) if urls else None
        self.taps = Taps()
        self.dashboard: Any = None  # bridge.dashboard.serve.Dashboard, once started
        self.server = BrainServer(
            engine_factory(cfg, store, secret, start, self.final_states, self.notifier, self.taps),
            endpoint=endpoint or b.endpoint,
            secret=secret,
            heartbeat_ms=b.heartbeat_ms,
            silence_ms=b.silence_ms,
            control_endpoint=b.control_endpoint if control_endpoint is None else control_endpoint,
            allow_remote=b.allow_remote,
            health=(lambda: store.healthy) if store is not None else None,
            on_log=store.log if store is not None else None,
            record=record,
            checkpoints=recovery.Checkpoints(folder, secret) if folder is not None else None,
            transport=b.transport,
            busy_poll=b.busy_poll,
            keep_warm_ms=b.keep_warm_ms,
            ledger=store,
        )
        self.server.notifier = self.notifier
        self.thread: threading.Thread | None = None

    def start_mt5api(self) -> threading.Thread:
        """The configured MetaTrader5-package terminal ([terminal] kind = "mt5api"), on its own
        thread, connected to this brain as the EA would be; it stops with the brain."""
        from bridge.mt5api.adapter import ApiTerminal
        from bridge.mt5api.package import Api, connect
        from bridge.wire.terminal_link import TerminalLink

        t = self.cfg.terminal
        module = connect(
            t.package, t.host, t.port, t.path, t.login, t.server, t.password_env, t.timeout_ms
        )
        api = Api(module)
        acc = api.call("account_info")
        link = TerminalLink(
            self.server.endpoint, self.secret, t.terminal_id, int(acc.login), str(acc.server)
        )
        memory = None
        if self.store is not None:  # one file per account, beside the store's checkpoints
            self.store.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            memory = self.store.checkpoint_dir / f"mt5api-{int(acc.login)}.memory"
        term = ApiTerminal(api, t.symbols, link, memory=memory)
        self.mt5api = term
        stop = self.server.stop_event.is_set
        serving = self.server.serving

        def run() -> None:
            serving.wait(30)  # connect once the brain takes frames
            term.run(stop, t.poll_ms)

        th = threading.Thread(target=run, name="mt5api", daemon=True)
        th.start()
        return th

    def start_venue(self) -> threading.Thread:
        """The configured exchange terminal ([terminal] kind = "ccxt", the [venue] table) on its
        own thread, its price stream on another; it stops with the brain. ValueError names a
        missing credential; MissingExtra a missing ccxt package."""
        from bridge.venue.connect import (
            VenueSpec,
            check_capabilities,
            check_markets,
            credentials,
            open_rest,
            open_ws,
        )
        from bridge.venue.markets import account_number
        from bridge.venue.stream import Stream
        from bridge.venue.terminal import VenueTerminal
        from bridge.wire.terminal_link import TerminalLink

        v = self.cfg.venue
        assert v is not None
        spec = VenueSpec(v.exchange, v.credentials, v.testnet, v.api_url, v.ws_url, v.timeout_ms)
        check_capabilities(v.exchange)
        creds = credentials(spec)
        who = creds.get("walletAddress") or creds.get("apiKey") or v.exchange
        login = account_number(who)
        rest = open_rest(spec)
        check_markets(rest, v.markets)
        # the leverage set at the exchange: the configured one, else the strategies' own (the
        # two-bucket plan's leverage parameter), rounded up
        wanted = [float(s.params.get("leverage", 0)) for s in self.cfg.strategies]
        leverage = v.leverage or math.ceil(max(wanted, default=0.0))
        stream = Stream(lambda: open_ws(spec), list(v.markets.values()))
        server = v.exchange + ("-testnet" if v.testnet else "")
        link = TerminalLink(self.server.endpoint, self.secret, v.terminal_id, login, server)
        memory = None
        if self.store is not None:  # one file per account, beside the store's checkpoints
            self.store.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            memory = self.store.checkpoint_dir / f"venue-{login}.memory"
        term = VenueTerminal(
            rest,
            v.markets,
            link,
            stream=stream,
            login=login,
            leverage=leverage,
            memory=memory,
            stale_ms=v.stale_ms,
            demo=v.testnet,
        )
        self.venue = term
        stop = self.server.stop_event.is_set
        serving = self.server.serving

        def run() -> None:
            serving.wait(30)  # connect once the brain takes frames
            stream.start()
            term.run(stop)

        th = threading.Thread(target=run, name="venue", daemon=True)
        th.start()
        return th

    def start_dashboard(self, d: DashboardCfg) -> str:
        """The live dashboard on its own thread, fed from the brain's; call before serving.
        Returns its address. Its controls go through the brain's control endpoint."""
        from bridge.dashboard.access import derived_token, token_from_env
        from bridge.dashboard.feed import Feed
        from bridge.dashboard.serve import Dashboard
        from bridge.live.control import control_call

        srv = self.server
        if not srv.control_endpoint:
            raise ValueError(
                "the dashboard's controls go through the brain's control endpoint: set "
                "brain.control_endpoint"
            )
        token = token_from_env(d.token_env) if d.token_env else derived_token(self.secret)
        feed = Feed(srv, d.every_ms)
        endpoint, secret = srv.control_endpoint, self.secret
        tls = (d.tls_cert, d.tls_key) if d.tls_cert else None
        dash = Dashboard(  # binds its port: an error here leaves the brain as it was
            feed,
            lambda verb, arg: control_call(endpoint, secret, verb, arg),
            token,
            d.listen,
            d.allow_remote,
            tls,
        )
        self.taps.audit.append(feed.on_audit)

        def watch_bars(tid: str, eng: Engine) -> None:
            eng.bar_seen = feed.bar_observer(tid)

        self.taps.engine.append(watch_bars)
        logged = srv.on_log

        def on_log(kind: str, detail: dict[str, Any]) -> None:
            if logged is not None:
                logged(kind, detail)
            feed.on_log(kind, detail)

        srv.on_log = on_log
        srv.watchers.append(feed.due)
        dash.start()
        self.dashboard = dash
        return str(dash.url)

    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.server.serve, name="brain", daemon=True)
        self.thread.start()

    def stop(self, ended: bool = True) -> None:
        """Stop serving. ``ended``: a clean stop (the operator's, the end of a demo): the last
        state is checkpointed and marked ended, so the next start is fresh unless asked to
        resume; False (an error) leaves the checkpoints for crash recovery."""
        self.server.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        if self.dashboard is not None:
            self.dashboard.stop()
        for final in self.final_states:
            final()
        if self.notifier is not None:
            self.notifier.close()
        ck = self.server.checkpoints
        if ended and ck is not None:
            for tid in self.server.engines:
                self.server.checkpoint_now(tid)
            ck.end()
        self.server.close()

    def write_outputs(
        self, out: Path, title: str, market: Market | None = None
    ) -> dict[str, dict[str, Any]]:
        """Each terminal's run outputs; ``market``: the bars it traded on (the demo's fixture)."""
        reports = {}
        for tid, eng in self.server.engines.items():
            folder = out if len(self.server.engines) == 1 else out / tid
            reports[tid] = write_outputs(
                folder, eng.portfolio, eng.strategies, f"{title} ({tid})", market=market
            )
        return reports

"""Putting a brain together from a config: engines with restored strategy state and auditing,
the server, and the outputs at the end. Shared by ``mt5bridge run`` and ``mt5bridge demo``."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.brain.engine import Engine
from bridge.brain.strategy import Strategy
from bridge.config import Config
from bridge.core.wallclock import wall_ms
from bridge.live.server import BrainServer
from bridge.persist import recovery
from bridge.persist.store import Store
from bridge.report import write_outputs

log = logging.getLogger("mt5bridge")
ACCOUNT_ROWS = frozenset({"deal", "order"})  # rows that say which account they belong to


def engine_factory(
    cfg: Config, store: Store | None, secret: bytes = b""
) -> Callable[[str, Callable[[Any], None]], Engine]:
    """Engines with the strategies' saved decision state, then (with a store) the terminal's
    crash checkpoint when there is one: the engine continues where the last brain stopped."""
    prefix = secrets.token_hex(4)  # unique per brain process: client ids never repeat
    saved = store.latest_states() if store is not None else {}

    def make(terminal_id: str, send: Callable[[Any], None]) -> Engine:
        strategies = cfg.build_strategies()
        for s in strategies:
            if s.magic in saved:
                s.set_state(saved[s.magic])
                log.info("strategy %s: state restored from the store", s.name)
        last: dict[int, str] = {}
        eng: Engine | None = None

        def on_state(s: Strategy) -> None:
            text = json.dumps(s.get_state(), sort_keys=True, default=str)
            if last.get(s.magic) != text and store is not None and eng is not None:
                last[s.magic] = text
                store.audit(
                    "state",
                    {"magic": s.magic, "name": s.name, "state": text, "time_ms": eng.now_ms},
                )

        def audit(kind: str, row: dict[str, Any]) -> None:
            if kind in ACCOUNT_ROWS and eng is not None:
                row["account"] = eng.account_key  # the same ticket on two accounts: two rows
            assert store is not None
            store.audit(kind, row)

        eng = Engine(
            strategies,
            {},
            send,
            limits=cfg.risk.limits(),
            id_prefix=f"{prefix}{terminal_id[:6]}",
            audit=audit if store is not None else None,
            on_state=on_state,
        )
        eng.orders.timeout_ms = cfg.brain.order_timeout_ms
        eng.orders.wall_ms = wall_ms
        if store is not None and secret:
            recovery.resume(eng, store.checkpoint_dir, terminal_id, secret, store)
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
    ) -> None:
        self.cfg = cfg
        self.store = store
        b = cfg.brain
        self.server = BrainServer(
            engine_factory(cfg, store, secret),
            endpoint=endpoint or b.endpoint,
            secret=secret,
            heartbeat_ms=b.heartbeat_ms,
            silence_ms=b.silence_ms,
            control_endpoint=b.control_endpoint if control_endpoint is None else control_endpoint,
            allow_remote=b.allow_remote,
            health=(lambda: store.healthy) if store is not None else None,
            on_log=store.log if store is not None else None,
            record=record,
            checkpoints=recovery.Checkpoints(store.checkpoint_dir, secret)
            if store is not None
            else None,
            transport=b.transport,
            busy_poll=b.busy_poll,
            keep_warm_ms=b.keep_warm_ms,
            ledger=store,
        )
        self.thread: threading.Thread | None = None

    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.server.serve, name="brain", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.server.close()

    def write_outputs(self, out: Path, title: str) -> dict[str, dict[str, Any]]:
        reports = {}
        for tid, eng in self.server.engines.items():
            folder = out if len(self.server.engines) == 1 else out / tid
            reports[tid] = write_outputs(folder, eng.portfolio, eng.strategies, f"{title} ({tid})")
        return reports

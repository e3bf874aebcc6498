"""The one TOML config file: validated, with errors that name the key and the problem.

The shared secret is never in the file: ``brain.secret_env`` names the environment variable
that holds it.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bridge.brain.risk import RiskLimits
from bridge.brain.strategy import Strategy
from bridge.core.aliases import SymbolAliases
from bridge.live.notify import ALL_EVENTS, DEFAULT_EVENTS
from bridge.wire.endpoints import LOOPBACK, check_bind


class ConfigError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BrainCfg(_Strict):
    endpoint: str = "tcp://127.0.0.1:5555"
    control_endpoint: str = "tcp://127.0.0.1:5556"
    allow_remote: bool = False
    secret_env: str = "MT5BRIDGE_SECRET"
    heartbeat_ms: int = Field(1000, gt=0)
    silence_ms: int = Field(3000, gt=0)
    order_timeout_ms: int = Field(5000, gt=0)
    # the terminal endpoint: a pyzmq ROUTER ("zmq") or ZMTP on plain sockets ("zmtp", no
    # ZeroMQ I/O thread: lower latency; bridge/wire/zmtp.py)
    transport: Literal["zmq", "zmtp"] = "zmq"
    # low latency (docs/performance.md): poll without ever sleeping (takes a core: meant for
    # "zmtp", as ZeroMQ's I/O thread would need a core too), and run the order path dry every
    # keep_warm_ms of quiet (0: never) so a rare order finds it in cache (bridge/live/warm.py)
    busy_poll: bool = False
    keep_warm_ms: int = Field(0, ge=0)


class StoreCfg(_Strict):
    url: str = "sqlite:///mt5bridge.sqlite"


class RiskCfg(_Strict):
    max_lots_per_symbol: dict[str, float] = {}
    default_max_lots_per_symbol: float = Field(50.0, gt=0)
    max_total_lots: float = Field(100.0, gt=0)
    max_positions: int = Field(50, ge=0)
    max_orders_per_minute: int = Field(60, ge=0)
    margin_use: float = Field(0.9, gt=0, le=1)
    check_hours: bool = True

    def limits(self) -> RiskLimits:
        return RiskLimits(**self.model_dump())


class NotifyCfg(_Strict):
    """Where the brain sends notifications (apprise URLs; none: off) and of what."""

    urls: list[str] = []
    urls_env: str = ""  # a variable holding more URLs (space-separated): tokens stay out of files
    events: list[str] = list(DEFAULT_EVENTS)

    @field_validator("events")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = set(v) - ALL_EVENTS
        if unknown:
            raise ValueError(f"unknown {sorted(unknown)} (known: {sorted(ALL_EVENTS)})")
        return v

    def all_urls(self) -> list[str]:
        extra = os.environ.get(self.urls_env, "").split() if self.urls_env else []
        return [*self.urls, *extra]


class StrategyCfg(_Strict):
    kind: str
    name: str
    magic: int = Field(gt=0)
    params: dict[str, Any] = {}


class TerminalCfg(_Strict):
    """Where the brain's terminal comes from: the EA connecting to brain.endpoint ("ea"), the
    MetaTrader5 package in this process ("mt5api": bridge/mt5api/adapter.py), or an exchange
    over CCXT ("ccxt": bridge/venue/, configured by the [venue] table); the last two connect to
    brain.endpoint as the EA would."""

    kind: Literal["ea", "mt5api", "ccxt"] = "ea"
    package: str = "MetaTrader5"  # or "mt5linux" (host and port of its server), or module:callable
    host: str = "localhost"
    port: int = Field(18812, gt=0, lt=65536)
    path: str = ""  # terminal64.exe; empty: the running terminal
    login: int = Field(0, ge=0)  # empty: the terminal's account
    server: str = ""
    password_env: str = "MT5_PASSWORD"  # the password is never in the file
    symbols: list[str] = []  # the symbols to stream (as the broker names them)
    poll_ms: int = Field(10, gt=0)
    timeout_ms: int = Field(10_000, gt=0)  # the package's own limit for one call
    terminal_id: str = "mt5api"

    @model_validator(mode="after")
    def _symbols_named(self) -> TerminalCfg:
        if self.kind == "mt5api" and not self.symbols:
            raise ValueError('kind "mt5api" needs symbols = ["US100", ...] (the broker\'s names)')
        return self


class VenueCfg(_Strict):
    """An exchange account reached over CCXT ([terminal] kind = "ccxt"). Credentials come from
    environment variables only: ``credentials`` maps CCXT's field names to the variables'
    (HyperLiquid's default: walletAddress <- HYPERLIQUID_WALLET_ADDRESS, privateKey <-
    HYPERLIQUID_PRIVATE_KEY, the API wallet's)."""

    exchange: str = "hyperliquid"
    markets: dict[str, str]  # the strategies' symbol -> the CCXT market ("BTC/USDC:USDC")
    credentials: dict[str, str] = {}
    testnet: bool = False
    # set on each market at start; 0: the strategies' own leverage parameter (the plan's)
    leverage: int = Field(0, ge=0, le=200)
    stale_ms: int = Field(30_000, gt=0)  # no price for this long halts new positions
    timeout_ms: int = Field(10_000, gt=0)  # one REST call's limit (then: outcome unknown)
    api_url: str = ""  # a local stand-in of the exchange (tests); "": the exchange's own
    ws_url: str = ""
    terminal_id: str = "venue"

    @field_validator("markets")
    @classmethod
    def _some(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError('name at least one market: markets = { BTCUSD = "BTC/USDC:USDC" }')
        return v


class OptimizeCfg(_Strict):
    ray: str = ""  # a Ray cluster's address: mt5bridge optimize runs its trials there


class DashboardCfg(_Strict):
    """The live dashboard (a [dashboard] table turns it on; ``mt5bridge run --dashboard`` too)."""

    enabled: bool = True
    listen: str = "127.0.0.1:8787"  # HOST:PORT; not loopback only with allow_remote
    allow_remote: bool = False
    # the environment variable holding the token; "" (default): derived from the secret
    # (mt5bridge dashboard-token prints it)
    token_env: str = ""
    tls_cert: str = ""  # a certificate and key file: served over HTTPS
    tls_key: str = ""
    every_ms: int = Field(500, ge=50, le=60_000)  # how often the page is updated

    @model_validator(mode="after")
    def _tls_pair(self) -> DashboardCfg:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("give both tls_cert and tls_key, or neither")
        return self


class ReplayCfg(_Strict):
    fixture: str = "demo"  # the bundled demo fixture; a path is relative to the config file


class Config(_Strict):
    brain: BrainCfg = BrainCfg()
    store: StoreCfg = StoreCfg()
    risk: RiskCfg = RiskCfg()
    replay: ReplayCfg = ReplayCfg()
    terminal: TerminalCfg = TerminalCfg()
    optimize: OptimizeCfg = OptimizeCfg()
    notify: NotifyCfg = NotifyCfg()
    dashboard: DashboardCfg | None = None  # None: no [dashboard] table, no dashboard
    venue: VenueCfg | None = None  # the exchange of [terminal] kind = "ccxt"
    strategies: list[StrategyCfg] = []
    # the strategies' symbol name = the broker's: for every terminal and the replay fixture;
    # a table named by a terminal id holds that terminal's own (they win over the shared ones)
    aliases: dict[str, str | dict[str, str]] = {}

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases_typed(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for k, x in v.items():
                table = isinstance(x, dict) and all(isinstance(y, str) for y in x.values())
                if not isinstance(x, str) and not table:
                    raise ValueError(
                        f"{k} = {x!r}: give the broker's symbol name as a string "
                        f'(US100 = "US100.cash"), or a table of them named by a terminal id'
                    )
        return v

    @field_validator("aliases")
    @classmethod
    def _aliases_valid(cls, v: dict[str, str | dict[str, str]]) -> dict[str, str | dict[str, str]]:
        shared = {k: x for k, x in v.items() if isinstance(x, str)}
        SymbolAliases(shared)
        for tid, table in v.items():
            if isinstance(table, dict):
                try:
                    SymbolAliases({**shared, **table})
                except ValueError as exc:
                    raise ValueError(f"{tid}: {exc}") from None
        return v

    def aliases_for(self, terminal_id: str | None = None) -> SymbolAliases:
        """The aliases of one terminal (None: the replay fixture's, the shared ones)."""
        shared = {k: x for k, x in self.aliases.items() if isinstance(x, str)}
        own = self.aliases.get(terminal_id or "") if terminal_id else None
        return SymbolAliases({**shared, **own} if isinstance(own, dict) else shared)

    @field_validator("strategies")
    @classmethod
    def _distinct(cls, v: list[StrategyCfg]) -> list[StrategyCfg]:
        for attr in ("magic", "name"):
            seen = [getattr(s, attr) for s in v]
            dup = {x for x in seen if seen.count(x) > 1}
            if dup:
                raise ValueError(f"strategies need distinct {attr}s; repeated: {sorted(dup)}")
        return v

    @model_validator(mode="after")
    def _venue_named(self) -> Config:
        if self.terminal.kind == "ccxt" and self.venue is None:
            raise ValueError('[terminal] kind = "ccxt" needs a [venue] table (exchange, markets)')
        return self

    def build_strategies(self) -> list[Strategy]:
        from strategies.registry import build

        out = []
        for i, s in enumerate(self.strategies):
            try:
                out.append(build(s.kind, dict(s.params), s.magic, s.name))
            except ValueError as exc:
                raise ConfigError(f"strategies[{i}] ({s.name}): {exc}") from exc
        return out


def parse_config(raw: dict[str, Any], where: str = "config") -> Config:
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"{where}: {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    for key, ep in (
        ("brain.endpoint", cfg.brain.endpoint),
        ("brain.control_endpoint", cfg.brain.control_endpoint),
    ):
        try:
            check_bind(ep, cfg.brain.allow_remote)
        except ValueError as exc:
            raise ConfigError(f"{where}: {key}: {exc}") from None
    dash = cfg.dashboard
    if dash is not None:
        host = dash.listen.rpartition(":")[0].strip("[]")
        if host not in LOOPBACK and not dash.allow_remote:
            raise ConfigError(
                f"{where}: dashboard.listen: {dash.listen!r} is not loopback: set "
                "allow_remote = true in [dashboard] to do it on purpose (with TLS, or behind a "
                "TLS proxy)"
            )
    try:
        cfg.build_strategies()  # validates every strategy's parameters now, not at the first bar
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return cfg


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    _paths_from(raw, path.resolve().parent)
    kinds = [s.get("kind", "") for s in raw.get("strategies", []) if isinstance(s, dict)]
    here = str(path.resolve().parent)
    if any(":" in str(k) for k in kinds) and here not in sys.path:
        sys.path.insert(0, here)  # "my_strategy:Class" finds my_strategy.py beside the config
    return parse_config(raw, str(path))


def _paths_from(raw: dict[str, Any], folder: Path) -> None:
    """Paths in a config are relative to the config file: the replay fixture and a SQLite
    store's file (so a config runs the same from any working folder)."""
    replay = raw.get("replay")
    if isinstance(replay, dict) and isinstance(replay.get("fixture"), str):
        fixture = replay["fixture"]
        if fixture != "demo" and not Path(fixture).expanduser().is_absolute():
            replay["fixture"] = str(folder / fixture)
    store = raw.get("store")
    prefix = "sqlite:///"
    if isinstance(store, dict) and isinstance(store.get("url"), str):
        url = store["url"]
        if url.startswith(prefix) and not url.endswith(":memory:"):
            file = Path(url[len(prefix) :]).expanduser()
            if not file.is_absolute():
                store["url"] = prefix + str(folder / file)


DEMO = {
    "brain": {"transport": "zmtp", "busy_poll": True},
    "store": {"url": "sqlite:///{out}/mt5bridge.sqlite"},
    "replay": {"fixture": "demo"},
    "strategies": [
        {
            "kind": "range_breakout",
            "name": "us100_breakout",
            "magic": 2002,
            "params": {"main_symbol": "US100", "hedge_symbol": "SPX500"},
        },
        {
            "kind": "compression",
            "name": "xauusd_compression",
            "magic": 3000,
            "params": {"symbol": "XAUUSD", "adopt_magic": 0, "commission_per_lot": 3.0},
        },
        {
            "kind": "two_bucket",
            "name": "us100_plan",
            "magic": 5000,
            "params": {"symbol": "US100", "margin": 20000.0, "leverage": 5.0, "split": 0.5},
        },
    ],
}

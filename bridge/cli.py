"""mt5bridge: trade a MetaTrader 5 account from Python (backtest, demo, live brain, tools).

Exit codes: 0 success; 1 the work failed at run time; 2 bad input (usage, config, fixture, data
file, a port already taken, an unknown strategy verb or argument); 3 the peer could not be
reached or refused us (brain, terminal, control endpoint); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import multiprocessing as mp
import os
import secrets
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bridge import cli_tools
from bridge.console import (  # the exit codes are the command line's (tests import them here)
    EXIT_FAIL,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PEER,
    Progress,
)

__all__ = ["EXIT_FAIL", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_PEER", "main"]


def _fixture_path(p: str) -> Path:
    """--fixture: "demo" (the bundled fixture) or a path from the working folder; a config's
    replay.fixture was made absolute (from the config's folder) when it was loaded."""
    from bridge.data.fixtures import resolve_fixture

    return resolve_fixture(p)


# -- commands --------------------------------------------------------------------------------
def cmd_backtest(a: argparse.Namespace) -> int:
    from bridge.config import DEMO, load_config, parse_config
    from bridge.data.fixtures import load_fixture, rename_symbols
    from bridge.replay.backtest import run_backtest
    from bridge.report import write_outputs
    from bridge.report_series import Market

    cfg = load_config(a.config) if a.config else parse_config(DEMO, "embedded demo config")
    fx = load_fixture(_fixture_path(a.fixture or cfg.replay.fixture))
    fx = rename_symbols(fx, cfg.aliases_for(None))
    bar = Progress("replay")
    res = run_backtest(fx, cfg.build_strategies(), cfg.risk.limits(), progress=bar)
    bar.done()
    source = Path(a.config).name if a.config else "the embedded demo config"
    title = f"backtest of {source} on {fx.name}"
    market = Market(fx.bars, fx.account.leverage, fx.account.hedging)
    rep = write_outputs(Path(a.out), res.portfolio, res.strategies, title, a.png, market)
    _print_summary(rep, Path(a.out))
    return EXIT_OK


def _fake_child(fixture: str, endpoint: str, secret: bytes, lockstep: bool, q: Any) -> None:
    from bridge.data.fixtures import load_fixture
    from bridge.sim.fake_terminal import FakeTerminal

    try:
        # ZMTP on a plain socket, as the EA speaks it: no ZeroMQ I/O thread on this side
        ft = FakeTerminal(load_fixture(fixture), endpoint, secret, lockstep=lockstep, plain=True)
        s = ft.run()  # the brain's side shows the progress
        ft.close()
        q.put(
            {
                "ok": True,
                "events": s.market_events,
                "commands": s.commands,
                "executed": len(s.executed_ids),
                "unique": len(set(s.executed_ids)),
            }
        )
    except Exception as exc:
        q.put({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def cmd_demo(a: argparse.Namespace) -> int:
    """Brain (this process) + fake terminal (a child process) over loopback ZeroMQ, then the
    same fixture in-process to show both give the same trades."""
    from bridge.config import DEMO, parse_config
    from bridge.core.timeutil import fmt
    from bridge.data.fixtures import load_fixture, rename_symbols
    from bridge.persist.store import Store
    from bridge.replay.backtest import run_backtest
    from bridge.report_series import Market
    from bridge.runner import BrainRunner

    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "mt5bridge.sqlite"
    db.unlink(missing_ok=True)  # each demo is a new run: its own database and checkpoints
    shutil.rmtree(out / "mt5bridge-checkpoints", ignore_errors=True)
    raw = json.loads(json.dumps(DEMO).replace("{out}", str(out)))
    cfg = parse_config(raw, "embedded demo config")
    fixture = str(_fixture_path(cfg.replay.fixture))
    secret = secrets.token_hex(16).encode()
    store = Store(cfg.store.url, mode="demo", fixture=fixture, config="embedded demo config")
    runner = BrainRunner(
        cfg, secret, store, endpoint="tcp://127.0.0.1:0", control_endpoint="tcp://127.0.0.1:0"
    )
    try:
        _demo_dashboard(runner, a.dashboard)
    except ValueError:  # --dashboard names no HOST:PORT (or one this demo may not use)
        runner.stop(ended=False)
        store.close()
        raise
    runner.start_thread()
    print(f"brain listening on {runner.server.endpoint}; starting the fake terminal")
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    child = ctx.Process(target=_fake_child, args=(fixture, runner.server.endpoint, secret, True, q))
    t0 = time.monotonic()
    child.start()
    fx = load_fixture(fixture)
    first = min(int(b.time_ms[0]) for b in fx.bars.values())
    last = max(int(b.time_ms[-1]) for b in fx.bars.values())
    bar = Progress("session")
    while child.is_alive():
        child.join(0.25)
        engines = list(runner.server.engines.values())
        if engines:
            eng = engines[0]
            now = max(eng.now_ms, first)
            bar(
                now - first,
                last - first,
                f"market time {fmt(now)[:16]}  trades {len(eng.portfolio.trades)}",
            )
    bar.done()
    result = q.get() if not q.empty() else {"ok": False, "error": f"exit code {child.exitcode}"}
    runner.stop()
    store.close()
    if not result["ok"]:
        print(f"fake terminal failed: {result['error']}", file=sys.stderr)
        return EXIT_FAIL
    print(
        f"session over ZeroMQ: {result['events']} market events, {result['commands']} commands, "
        f"{time.monotonic() - t0:.1f}s"
    )
    renamed = rename_symbols(fx, cfg.aliases_for(None))
    market = Market(renamed.bars, fx.account.leverage, fx.account.hedging)
    reports = runner.write_outputs(out, "demo over ZeroMQ", market)
    (rep,) = reports.values()
    (eng,) = runner.server.engines.values()
    replay = run_backtest(renamed, cfg.build_strategies(), cfg.risk.limits())
    same = [tuple(t) for t in replay.portfolio.trades] == [tuple(t) for t in eng.portfolio.trades]
    print(
        f"in-process replay of the same fixture gives identical trades: {'yes' if same else 'NO'}"
    )
    _print_summary(rep, out)
    print(f"audit trail: {db}")
    return EXIT_OK if same else EXIT_FAIL


def _demo_dashboard(runner: Any, listen: str) -> None:
    """The demo's dashboard: its address printed with the token in the fragment (browsers never
    send a fragment, so it reaches no server log; the demo's secret lives as long as the demo)."""
    if listen == "off":
        return
    from bridge.config import DashboardCfg
    from bridge.dashboard.access import derived_token
    from bridge.dashboard.serve import MissingExtra, PortTaken

    try:
        url = runner.start_dashboard(DashboardCfg(listen=listen))
    except MissingExtra as exc:  # the demo runs on without it
        print(f"dashboard: not started ({exc})")
        return
    except PortTaken:
        url = runner.start_dashboard(DashboardCfg(listen="127.0.0.1:0"))  # a free port
    print(f"dashboard (open it while the demo runs): {url}#token={derived_token(runner.secret)}")


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time (UTC, ISO 8601), level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return json.dumps(
            {
                "time": f"{when}.{int(record.msecs):03d}Z",
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
        )


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT and SIGTERM ask the serve loop to stop (it looks between polls) instead of raising
    KeyboardInterrupt wherever the main thread happens to be: raised inside pyzmq's frame
    deallocation, that exception is printed and dropped, and the brain would keep running. A
    second SIGINT raises KeyboardInterrupt as usual."""

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def cmd_run(a: argparse.Namespace) -> int:
    import zmq

    from bridge.config import DashboardCfg, load_config
    from bridge.live.recorder import Recorder
    from bridge.persist.store import Store
    from bridge.runner import BrainRunner
    from bridge.wire.auth import secret_from_env

    cfg = load_config(a.config)
    secret = secret_from_env(cfg.brain.secret_env)
    store = Store(cfg.store.url, mode="run", config=config_identity(Path(a.config)))
    recorder = Recorder(a.record) if a.record else None
    start = "resume" if a.resume else "fresh" if a.fresh else "auto"
    try:
        runner = BrainRunner(cfg, secret, store, record=recorder, start=start)
    except (zmq.ZMQError, OSError) as exc:  # the port is taken (another brain?) or not ours
        store.close()  # nothing was written: the journal goes with it
        endpoint = cfg.brain.endpoint
        why = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(
            f"{a.config}: brain.endpoint {endpoint} (or control_endpoint "
            f"{cfg.brain.control_endpoint}): cannot bind: {why}; is another brain running? "
            "choose another port"
        ) from None
    logging.getLogger("mt5bridge").info(
        "brain listening on %s (control %s)", runner.server.endpoint, cfg.brain.control_endpoint
    )
    dash = cfg.dashboard or (DashboardCfg() if a.dashboard else None)
    if dash is not None and dash.enabled:
        try:
            url = runner.start_dashboard(dash)
        except ValueError:
            runner.stop(ended=False)
            store.close()
            raise
        logging.getLogger("mt5bridge").info(
            "dashboard on %s (its token: mt5bridge dashboard-token --config %s)", url, a.config
        )
    stop_on_signals(runner.server.stop_event)
    if cfg.terminal.kind == "ccxt" and cfg.venue is not None:
        try:
            runner.start_venue()
        except ValueError:  # a credential unset, no ccxt package, an exchange CCXT lacks
            runner.stop(ended=False)
            store.close()
            raise
        logging.getLogger("mt5bridge").info(
            "terminal: %s over CCXT, markets %s", cfg.venue.exchange, cfg.venue.markets
        )
    if cfg.terminal.kind == "mt5api":
        runner.start_mt5api()
        logging.getLogger("mt5bridge").info(
            "terminal: the %s package, symbols %s", cfg.terminal.package, cfg.terminal.symbols
        )
    clean = False
    try:
        runner.server.serve(idle_exit_s=a.idle_exit)
        clean = True
    except KeyboardInterrupt:  # a second Ctrl-C: stop now, still writing what is queued
        clean = True
    finally:
        runner.stop(ended=clean)
        store.close()
    if recorder is not None:
        manifest = recorder.close()
        n = recorder.counts
        print(f"recorded {n['ticks']} ticks and {n['bars']} M1 bars: {manifest}")
    if a.out:
        runner.write_outputs(Path(a.out), f"live session of {Path(a.config).name}")
    return EXIT_OK


def cmd_fake_terminal(a: argparse.Namespace) -> int:
    from bridge.data.fixtures import load_fixture
    from bridge.sim.fake_terminal import FakeTerminal, Faults
    from bridge.wire.auth import secret_from_env

    faults = Faults(
        seed=a.seed,
        drop=a.drop,
        duplicate=a.duplicate,
        reorder=a.reorder,
        dup_commands=a.dup_commands,
    )
    ft = FakeTerminal(
        load_fixture(_fixture_path(a.fixture)),
        a.endpoint,
        secret_from_env(a.secret_env),
        terminal_id=a.terminal_id,
        lockstep=not a.no_lockstep,
        faults=faults,
    )
    bar = Progress("fake terminal")
    s = ft.run(limit=a.limit, rate=a.rate, progress=bar)
    bar.done()
    ft.close()
    print(
        json.dumps(
            {
                "market_events": s.market_events,
                "commands": s.commands,
                "executed": len(s.executed_ids),
                "dropped": s.dropped,
            }
        )
    )
    return EXIT_OK


def _control(a: argparse.Namespace, verb: str, arg: str = "") -> int:
    from bridge.config import load_config
    from bridge.live.control import control_call
    from bridge.wire.auth import secret_from_env

    cfg = load_config(a.config)
    reply = control_call(
        a.endpoint or cfg.brain.control_endpoint, secret_from_env(cfg.brain.secret_env), verb, arg
    )
    print(json.dumps(reply, indent=2))
    if reply.get("ok"):
        return EXIT_OK
    return EXIT_INPUT if reply.get("bad_input") else EXIT_PEER


def cmd_doctor(a: argparse.Namespace) -> int:
    from bridge import doctor
    from bridge.config import load_config
    from bridge.wire.auth import SecretMissing, secret_from_env

    cfg = load_config(a.config)  # an invalid config: its errors, exit code 2
    lines = [
        doctor.Line(doctor.OK, "config", f"{a.config}: valid, {len(cfg.strategies)} strategies")
    ]
    var = cfg.brain.secret_env
    try:
        secret = secret_from_env(var)
        lines.append(doctor.Line(doctor.OK, "secret", f"set in ${var} (not shown)"))
    except SecretMissing as exc:
        lines.append(doctor.Line(doctor.FAIL, "secret", str(exc), f"export {var}=... first"))
        print(doctor.summary(lines)[0])
        return EXIT_INPUT
    endpoint = a.endpoint or cfg.brain.control_endpoint
    ask = doctor.brain_asker(endpoint, secret)
    lines += doctor.check_brain(cfg, ask, endpoint)
    if a.trade_test and not any(ln.verdict == doctor.FAIL for ln in lines):
        terminals = ask("doctor", "")["terminals"]
        tid = sorted(terminals)[0]
        symbol = a.symbol or next(iter(sorted(terminals[tid]["specs"])), "")
        lines += doctor.trade_test(ask, tid, symbol, real_ok=a.i_understand_real)
    elif a.trade_test:
        lines.append(doctor.Line(doctor.NOTE, "trade test", "not tried: a check above failed"))
    text, verdict = doctor.summary(lines)
    print(f"mt5bridge doctor, {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(text)
    if any(ln.what == "brain" and ln.verdict == doctor.FAIL for ln in lines):
        return EXIT_PEER
    return EXIT_FAIL if verdict else EXIT_OK


def cmd_notify_test(a: argparse.Namespace) -> int:
    from bridge.config import load_config
    from bridge.live.notify import NotifyError, apprise_sender

    cfg = load_config(a.config)
    urls = cfg.notify.all_urls()
    if not urls:
        raise NotifyError(f"{a.config}: [notify] names no URL (urls, or urls_env): nothing to try")
    send = apprise_sender(urls)
    if not send("mt5bridge test", f"a test notification from {Path(a.config).name}"):
        print(f"mt5bridge notify-test: not sent to {len(urls)} URL(s)", file=sys.stderr)
        return EXIT_PEER
    print(f"sent to {len(urls)} URL(s)")
    return EXIT_OK


def cmd_report(a: argparse.Namespace) -> int:
    from bridge.report_html import METRICS

    rep = _load_report(a.dir)
    for k in METRICS:
        print(f"{k:>18}: {rep.get(k)}")
    return EXIT_OK


def cmd_compare(a: argparse.Namespace) -> int:
    from bridge import compare_runs

    folders = [Path(r) for r in a.runs]
    if len(folders) < 2:
        raise ValueError("name at least two runs' output folders to compare")
    reports = [_load_report(r) for r in a.runs]
    names = [f.name or str(f) for f in folders]
    print(compare_runs.table_text(reports, names))
    page = Path(a.html)
    page.write_text(
        compare_runs.page(reports, names, [f if f.is_dir() else f.parent for f in folders])
    )
    print(f"the same with the equity curves overlaid: {page}")
    return EXIT_OK


def cmd_import(a: argparse.Namespace) -> int:
    from bridge.data.fixtures import resolve_fixture
    from bridge.data.mt5csv import import_csv

    spec_from = resolve_fixture(a.spec_from) if a.spec_from else None
    bars, dst = import_csv(
        Path(a.src), a.symbol, Path(a.out), a.shift_hours, a.spread, spec_from, a.spec_symbol
    )
    print(f"{len(bars)} M1 bars of {a.symbol} -> {dst}")
    return EXIT_OK


def _load_report(d: str) -> dict[str, Any]:
    p = Path(d) / "report.json" if Path(d).is_dir() else Path(d)
    try:
        rep: dict[str, Any] = json.loads(p.read_text())
        return rep
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{p}: not a run report ({exc})") from exc


def _print_summary(rep: dict[str, Any], out: Path) -> None:
    keys = (
        "net_profit",
        "profit_factor",
        "max_drawdown",
        "max_drawdown_pct",
        "sharpe_ratio",
        "trades",
        "win_rate",
    )
    from bridge.report_html import starting_positions_note

    print("  ".join(f"{k}={rep.get(k)}" for k in keys))
    note = starting_positions_note(rep)
    if note:
        print(note)
    files = ["trades.csv", "equity.csv", "report.json", "report.html"]
    files += ["equity.png"] if (out / "equity.png").exists() else []
    print(f"outputs in {out}: {' '.join(files)}")


# -- parser ----------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mt5bridge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    p.add_argument(
        "-q", "--quiet", action="store_true", help="log warnings and errors only (run logs more)"
    )
    p.add_argument(
        "--log-json", action="store_true", help="log one JSON object a line (for log collectors)"
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("run", help="serve terminals live: bind the brain's socket and trade")
    s.add_argument("--config", required=True, help="TOML config file")
    s.add_argument("--out", help="write reports here when the brain stops")
    s.add_argument("--idle-exit", type=float, help="stop after this many seconds without a frame")
    s.add_argument("--record", help="also write what the terminals stream into this fixture folder")
    s.add_argument(
        "--dashboard",
        action="store_true",
        help="serve the live dashboard (on [dashboard]'s listen, default 127.0.0.1:8787)",
    )
    how = s.add_mutually_exclusive_group()
    how.add_argument(
        "--resume",
        action="store_true",
        help="continue the last run of this config and store even if it stopped cleanly "
        "(after a crash it continues anyway)",
    )
    how.add_argument(
        "--fresh",
        action="store_true",
        help="start anew even after a crash: the last run's checkpoints are set aside",
    )
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser(
        "fake-terminal", help="connect to a brain as the EA would and replay a fixture"
    )
    s.add_argument("--fixture", required=True, help="fixture folder, or demo for the bundled one")
    s.add_argument("--endpoint", default="tcp://127.0.0.1:5555", help="the brain's brain.endpoint")
    s.add_argument(
        "--secret-env", default="MT5BRIDGE_SECRET", help="variable holding the shared secret"
    )
    s.add_argument("--terminal-id", default="fake-1", help="this terminal's name for the brain")
    s.add_argument(
        "--no-lockstep", action="store_true", help="stream without waiting for the brain"
    )
    s.add_argument("--rate", type=float, default=0.0, help="market events per second (no lockstep)")
    s.add_argument("--limit", type=int, help="stop after this many market events")
    for name in ("drop", "duplicate", "reorder", "dup-commands"):
        s.add_argument(
            f"--{name}", type=float, default=0.0, help=f"fault: probability to {name} a frame"
        )
    s.add_argument("--seed", type=int, default=1, help="seed of the injected faults")
    s.set_defaults(fn=cmd_fake_terminal)

    s = sub.add_parser(
        "backtest", help="replay a fixture in-process (no sockets) and write a report"
    )
    s.add_argument("--config", help="TOML config (default: the embedded demo config)")
    s.add_argument("--fixture", help="fixture folder (default: the config's replay.fixture)")
    s.add_argument("--out", required=True, help="folder for the trades, equity and report")
    s.add_argument(
        "--png", action="store_true", help="also draw equity.png (the report draws its own chart)"
    )
    s.set_defaults(fn=cmd_backtest)

    s = sub.add_parser("demo", help="the bundled fixtures through the fake terminal over ZeroMQ")
    s.add_argument("--out", default="out/demo", help="folder for the report and audit trail")
    s.add_argument(
        "--dashboard",
        default="127.0.0.1:8787",
        metavar="HOST:PORT",
        help="where the live dashboard listens while the demo runs (a free port when that one "
        "is taken; off: none)",
    )
    s.set_defaults(fn=cmd_demo)

    s = sub.add_parser("report", help="print a run's metrics (a folder with report.json)")
    s.add_argument("dir", help="a run's output folder")
    s.set_defaults(fn=cmd_report)

    s = sub.add_parser(
        "compare", help="runs side by side: metric, A, B, change, %% change (and C, ...)"
    )
    s.add_argument(
        "runs", nargs="+", help="two or more runs' output folders; the first is the base"
    )
    s.add_argument("--html", default="compare.html", help="where to write the page (compare.html)")
    s.set_defaults(fn=cmd_compare)

    for verb, helptext in (
        ("status", "a running brain's state"),
        ("halt", "stop new orders now"),
        ("resume", "lift a halt"),
    ):
        s = sub.add_parser(verb, help=f"{helptext} (control endpoint, authenticated)")
        s.add_argument("--config", required=True, help="the running brain's config")
        s.add_argument("--endpoint", help="control endpoint (default: the config's)")
        if verb == "halt":
            s.add_argument("--reason", default="operator halt", help="said in the halt")
        s.set_defaults(fn=lambda a, v=verb: _control(a, v, getattr(a, "reason", "")))

    s = sub.add_parser("strategy", help="an operator command for one strategy of a running brain")
    s.add_argument("name", help="the strategy's name in the config")
    s.add_argument(
        "verb",
        help="status (the strategy's own state: for the two-bucket plan its phase, units from "
        "the peak or valley, allocations and next triggers), or a command such as pause, "
        "resume, halt (each strategy lists its own)",
    )
    s.add_argument("arg", nargs="?", default="", help="the verb's argument, if it takes one")
    s.add_argument("--config", required=True, help="the running brain's config")
    s.add_argument("--endpoint", help="control endpoint (default: the config's)")
    s.set_defaults(fn=lambda a: _control(a, "strategy", f"{a.name}:{a.verb}:{a.arg}"))

    s = sub.add_parser(
        "doctor",
        help="check a live set-up against a running brain: terminal, account, algo trading, "
        "symbols, clocks, round trip (one line each, with the fix)",
    )
    s.add_argument("--config", required=True, help="the config the brain runs with")
    s.add_argument("--endpoint", help="the brain's control endpoint (default: the config's)")
    s.add_argument(
        "--trade-test",
        action="store_true",
        help="then trade: the smallest allowed buy, its SL/TP modified, part closed where its "
        "volume allows, closed (demo accounts only)",
    )
    s.add_argument("--symbol", help="the trade test's symbol (default: the first one named)")
    s.add_argument(
        "--i-understand-real",
        action="store_true",
        help="allow the trade test on a real (or contest) account",
    )
    s.set_defaults(fn=cmd_doctor)

    s = sub.add_parser(
        "notify-test", help="send one test notification to every URL of the config's [notify]"
    )
    s.add_argument("--config", required=True, help="the config whose [notify] to try")
    s.set_defaults(fn=cmd_notify_test)

    cli_tools.add_parsers(sub)

    s = sub.add_parser("import-mt5-csv", help="MT5 bar export or copy_rates CSV -> fixture bars")
    s.add_argument("src", help="the CSV file (UTF-8 or UTF-16, or .gz)")
    s.add_argument("--symbol", required=True, help="the symbol the bars are of")
    s.add_argument("--out", required=True, help="fixture folder")
    s.add_argument(
        "--shift-hours",
        type=float,
        default=0.0,
        help="hours to add to the file's times to reach broker server time (default 0)",
    )
    s.add_argument("--spread", type=int, help="fixed spread in points, for files without one")
    s.add_argument(
        "--spec-from",
        help="a fixture (or demo) whose account and symbol specification are copied into the "
        "new one, marked as copied (check them against your broker's)",
    )
    s.add_argument("--spec-symbol", help="the symbol of --spec-from to copy (default: --symbol)")
    s.set_defaults(fn=cmd_import)
    return p


def config_identity(path: Path) -> str:
    """What the runs table keeps of a config: its path and a digest of its text, not the text
    (comments and all) itself."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return f"{path.resolve()} sha256:{digest}"


def main(argv: list[str] | None = None) -> int:
    from bridge.config import ConfigError
    from bridge.data.fixtures import FixtureError
    from bridge.wire.auth import SecretMissing
    from bridge.wire.codec import FrameError
    from bridge.wire.terminal_wire import TerminalRefused

    a = parser().parse_args(argv)
    level = logging.INFO if a.verbose or a.command == "run" else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    if a.log_json:
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING if a.quiet else level, handlers=[handler])
    try:
        code: int = a.fn(a)
        return code
    except (ConfigError, FixtureError, SecretMissing, FrameError, ValueError) as exc:
        print(f"mt5bridge {a.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (TerminalRefused, TimeoutError, ConnectionError) as exc:
        print(f"mt5bridge {a.command}: {exc}", file=sys.stderr)
        return EXIT_PEER
    except KeyboardInterrupt:  # Ctrl-C: a line, not a traceback
        print(f"mt5bridge {a.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())

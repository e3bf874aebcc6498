"""The commands beside trading: history download through the MetaTrader5 package, parameter
search and walk-forward analysis. Registered on the command line by bridge/cli.py; each imports
what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bridge.console import EXIT_FAIL, EXIT_OK, Progress


def cmd_download(a: argparse.Namespace) -> int:
    from bridge.core.timeutil import parse
    from bridge.mt5api.download import download
    from bridge.mt5api.package import Api, connect

    api = Api(connect(a.package, a.host, a.port, a.terminal, a.login, a.server, a.password_env))
    bar = Progress("download")
    counts = download(
        api, [s.strip() for s in a.symbols.split(",") if s.strip()], parse(a.start) // 1000,
        parse(a.end) // 1000, Path(a.out), ticks=a.ticks, progress=bar,
    )  # fmt: skip
    bar.done()
    for what, n in counts.items():
        print(f"{what}: {n} rows")
    print(f"fixture written to {a.out} (mt5bridge backtest --fixture {a.out})")
    return EXIT_OK


def cmd_optimize(a: argparse.Namespace) -> int:
    from bridge.config import load_config
    from bridge.optimize.outputs import write_best, write_page, write_trials
    from bridge.optimize.space import load_space
    from bridge.optimize.study import best_text, run_study

    cfg = load_config(a.config)
    space = load_space(a.space, cfg)
    heat = tuple(a.heatmap.split(",")) if a.heatmap else None
    if heat is not None and (len(heat) != 2 or not set(heat) <= set(space.names())):
        raise ValueError(f"--heatmap {a.heatmap}: two of {', '.join(space.names())}")
    bar = Progress("optimize")
    study = run_study(
        cfg,
        space,
        a.trials,
        jobs=a.jobs,
        kind=a.sampler,
        url=a.storage,
        study_name=a.study,
        progress=bar,
        ray_address=a.ray or cfg.optimize.ray or None,
    )
    bar.done()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    write_trials(study, space, out / "trials.csv")
    title = f"optimisation of {Path(a.config).name} ({a.sampler})"
    write_page(study, space, out / "optimize.html", title, heat)
    t = write_best(study, space, Path(a.config), out / "best.toml")
    print(best_text(study, space))
    if t is None:
        print("no trial meets the constraints: no best.toml", file=sys.stderr)
        return EXIT_FAIL
    print(f"outputs in {out}: trials.csv optimize.html best.toml")
    return EXIT_OK


def cmd_walkforward(a: argparse.Namespace) -> int:
    from bridge.config import load_config
    from bridge.data.fixtures import load_fixture, rename_symbols, resolve_fixture
    from bridge.optimize.space import load_space
    from bridge.optimize.walkforward import (
        overall_efficiency,
        span_ms,
        walk_forward,
        write_outputs,
    )

    cfg = load_config(a.config)
    space = load_space(a.space, cfg)
    train, test = span_ms(a.train, "train"), span_ms(a.test, "test")
    fx = rename_symbols(load_fixture(resolve_fixture(cfg.replay.fixture)), cfg.aliases_for(None))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    bar = Progress("walk-forward")
    results = walk_forward(
        cfg,
        space,
        fx,
        train,
        test,
        anchored=a.anchored,
        trials=a.trials,
        jobs=a.jobs,
        kind=a.sampler,
        url=a.storage or f"sqlite:///{out.resolve() / 'walkforward.sqlite'}",
        progress=bar,
    )
    bar.done()
    kind = "anchored" if a.anchored else "rolling"
    write_outputs(results, space, out, f"walk-forward ({kind}) of {Path(a.config).name}")
    eff = overall_efficiency(results)
    print(f"{len(results)} windows; walk-forward efficiency {'n/a' if eff is None else eff}")
    print(f"outputs in {out}: windows.csv oos_equity.csv walkforward.html")
    return EXIT_OK


def cmd_dashboard_token(a: argparse.Namespace) -> int:
    from bridge.config import load_config
    from bridge.dashboard.access import derived_token, token_from_env
    from bridge.wire.auth import secret_from_env

    cfg = load_config(a.config)
    d = cfg.dashboard
    if d is not None and d.token_env:
        token_from_env(d.token_env)  # checked: set and long enough
        print(f"the dashboard's token is in the environment variable {d.token_env}")
    else:
        print(derived_token(secret_from_env(cfg.brain.secret_env)))
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """The commands' parsers, on the command line's subparsers."""
    s = sub.add_parser(
        "dashboard-token",
        help="print the token that opens the live dashboard (derived from the secret)",
    )
    s.add_argument("--config", required=True, help="the running brain's config")
    s.set_defaults(fn=cmd_dashboard_token)

    s = sub.add_parser("optimize", help="search strategy parameters over replays (Optuna)")
    s.add_argument("--config", required=True)
    s.add_argument("--space", required=True, help="the search space (TOML; docs/optimize.md)")
    s.add_argument("--trials", type=int, required=True, help="finished trials wanted in all")
    s.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: every core)")
    s.add_argument("--sampler", default="tpe", choices=["tpe", "grid", "nsga2"])
    s.add_argument("--study", default="mt5bridge", help="the study's name in the store")
    s.add_argument("--storage", help="a database URL (default: the config's store)")
    s.add_argument("--heatmap", help="two parameters for the heat map: strategy.a,strategy.b")
    s.add_argument("--ray", help="a Ray cluster's address: the trials run there (cluster extra)")
    s.add_argument("--out", default="out/optimize")
    s.set_defaults(fn=cmd_optimize)

    s = sub.add_parser(
        "walkforward", help="optimise in sample, replay out of sample, window by window"
    )
    s.add_argument("--config", required=True)
    s.add_argument("--space", required=True)
    s.add_argument("--train", required=True, help="the in-sample span: 60d, 8w, 12h")
    s.add_argument("--test", required=True, help="the out-of-sample span after it")
    s.add_argument("--anchored", action="store_true", help="every window trains from the start")
    s.add_argument("--trials", type=int, default=50, help="trials per window")
    s.add_argument("--jobs", type=int, default=-1)
    s.add_argument("--sampler", default="tpe", choices=["tpe", "grid", "nsga2"])
    s.add_argument("--storage", help="a database URL (default: walkforward.sqlite in --out)")
    s.add_argument("--out", default="out/walkforward")
    s.set_defaults(fn=cmd_walkforward)

    s = sub.add_parser("download", help="history from a terminal (MetaTrader5 package) -> fixture")
    s.add_argument("--symbols", required=True, help="comma-separated, as the broker names them")
    s.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD (server time)")
    s.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD, not included")
    s.add_argument("--ticks", action="store_true", help="the ticks too (a day per request)")
    s.add_argument("--out", required=True, help="the fixture folder (a stopped download resumes)")
    package_args(s)
    s.set_defaults(fn=cmd_download)


def package_args(s: argparse.ArgumentParser) -> None:
    """How to reach the terminal through the MetaTrader5 package (or mt5linux)."""
    s.add_argument(
        "--package",
        default="MetaTrader5",
        help="MetaTrader5 (Windows), mt5linux, or module:callable",
    )
    s.add_argument("--host", default="localhost", help="mt5linux: its server's host")
    s.add_argument("--port", type=int, default=18812, help="mt5linux: its server's port")
    s.add_argument(
        "--terminal", default="", help="path of terminal64.exe (default: the running one)"
    )
    s.add_argument("--login", type=int, default=0, help="the account (default: the terminal's)")
    s.add_argument("--server", default="", help="the account's trade server")
    s.add_argument(
        "--password-env",
        default="MT5_PASSWORD",
        help="the variable holding the account's password (never on the command line)",
    )

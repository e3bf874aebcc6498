"""Walk-forward analysis: the fixture's time cut into windows, each optimised in-sample (its
training span) and its best parameters replayed on the span after it, out of sample, which the
optimiser never sees. Rolling windows move both spans by the test length; anchored ones keep the
training span's start. The out-of-sample results are stitched into one equity curve.

Walk-forward efficiency: out-of-sample net profit per day over in-sample net profit per day
(per window, and over all windows); undefined when the in-sample profit is not positive.
Positions open at the fixture's start belong to its first window."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bridge.config import Config
from bridge.core.columns import TickArrays
from bridge.core.timeutil import MS_PER_DAY, fmt
from bridge.data.fixtures import Fixture
from bridge.optimize.space import Space
from bridge.optimize.study import best, run_study
from bridge.optimize.trial import Evaluator, top_metrics
from bridge.report_html import METRICS

_SPAN = re.compile(r"(\d+)([dwh])")
_UNIT = {"d": MS_PER_DAY, "w": 7 * MS_PER_DAY, "h": 3_600_000}


def span_ms(text: str, what: str) -> int:
    """'60d', '8w', '12h' -> milliseconds."""
    m = _SPAN.fullmatch(text.strip().lower())
    if m is None or int(m.group(1)) <= 0:
        raise ValueError(f"--{what} {text!r}: give a length such as 60d, 8w or 12h")
    return int(m.group(1)) * _UNIT[m.group(2)]


@dataclass(frozen=True)
class Window:
    n: int
    is_from: int
    is_to: int  # = oos_from: the in-sample span ends where the out-of-sample one starts
    oos_to: int


def windows(
    first_ms: int, end_ms: int, train_ms: int, test_ms: int, anchored: bool
) -> list[Window]:
    out: list[Window] = []
    k = 0
    while True:
        is_to = first_ms + train_ms + k * test_ms
        if is_to >= end_ms:
            return out
        is_from = first_ms if anchored else first_ms + k * test_ms
        out.append(Window(k, is_from, is_to, min(is_to + test_ms, end_ms)))
        k += 1


def cut(fx: Fixture, lo: int, hi: int, first: bool) -> Fixture:
    """The fixture's market in [lo, hi) (its positions at start only for the first window)."""
    ticks = {}
    for s, t in fx.ticks.items():
        a, b = np.searchsorted(t.time_ms, (lo, hi), "left").tolist()
        ticks[s] = TickArrays(s, t.time_ms[a:b], t.bid[a:b], t.ask[a:b])
    bars = {s: b.between(lo, hi) for s, b in fx.bars.items()}
    return Fixture(
        f"{fx.name} {fmt(lo)[:10]}..{fmt(hi)[:10]}",
        fx.account,
        fx.specs,
        bars,
        ticks,
        fx.positions if first else (),
    )


@dataclass
class WindowResult:
    window: Window
    params: dict[str, Any]
    in_sample: dict[str, Any]
    out_of_sample: dict[str, Any]
    curve: list[tuple[int, float]] = field(default_factory=list)

    def efficiency(self) -> float | None:
        return _efficiency(
            self.out_of_sample.get("net_profit", 0.0),
            self.window.oos_to - self.window.is_to,
            self.in_sample.get("net_profit", 0.0),
            self.window.is_to - self.window.is_from,
        )


def _efficiency(oos: float, oos_ms: int, ins: float, ins_ms: int) -> float | None:
    if ins <= 0 or oos_ms <= 0 or ins_ms <= 0:
        return None
    return round((oos / (oos_ms / MS_PER_DAY)) / (ins / (ins_ms / MS_PER_DAY)), 4)


def walk_forward(
    cfg: Config,
    space: Space,
    fx: Fixture,
    train_ms: int,
    test_ms: int,
    *,
    anchored: bool = False,
    trials: int = 50,
    jobs: int = 1,
    kind: str = "tpe",
    url: str,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[WindowResult]:
    first = min(int(b.time_ms[0]) for b in fx.bars.values() if len(b))
    first -= first % MS_PER_DAY
    end = max(int(b.time_ms[-1]) for b in fx.bars.values() if len(b)) + 60_000
    ws = windows(first, end, train_ms, test_ms, anchored)
    if not ws:
        raise ValueError(
            f"the fixture spans {(end - first) / MS_PER_DAY:.1f} days: no room for "
            f"a {train_ms / MS_PER_DAY:g}-day training span and a test after it"
        )
    out: list[WindowResult] = []
    for w in ws:
        in_sample = cut(fx, w.is_from, w.is_to, w.is_from == first)
        study = run_study(
            cfg,
            space,
            trials,
            jobs=jobs,
            kind=kind,
            url=url,
            study_name=f"walkforward-{w.n}-{w.is_from}-{w.is_to}",
            fixture=in_sample,
        )
        t = best(study, space)
        if t is None:
            out.append(WindowResult(w, {}, {}, {}))
        else:
            params = {k: (round(v, 10) if isinstance(v, float) else v) for k, v in t.params.items()}
            oos_fx = cut(fx, w.is_to, w.oos_to, False)
            pf = Evaluator(cfg, oos_fx).replay(params).portfolio
            ms, _bal, eq = pf.curve.columns()
            curve = list(zip(ms.tolist(), (eq - pf.initial_balance).tolist(), strict=True))
            out.append(
                WindowResult(
                    w, params, dict(t.user_attrs.get("metrics", {})), top_metrics(pf), curve
                )
            )
        if progress is not None:
            progress(len(out), len(ws), f"window {w.n + 1} of {len(ws)}")
    return out


def stitched(results: list[WindowResult]) -> list[tuple[int, float]]:
    """The out-of-sample P&L of every window, one after the other: (server ms, money)."""
    out, offset = [], 0.0
    for r in results:
        for ms, pnl in r.curve:
            out.append((ms, round(offset + pnl, 2)))
        offset += r.out_of_sample.get("net_profit", 0.0)
    return out


def overall_efficiency(results: list[WindowResult]) -> float | None:
    done = [r for r in results if r.params]
    return _efficiency(
        sum(r.out_of_sample["net_profit"] for r in done),
        sum(r.window.oos_to - r.window.is_to for r in done),
        sum(r.in_sample.get("net_profit", 0.0) for r in done),
        sum(r.window.is_to - r.window.is_from for r in done),
    )


def write_outputs(results: list[WindowResult], space: Space, out: Path, title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    names = space.names()
    with (out / "windows.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "window",
                "in_sample_from",
                "in_sample_to",
                "out_of_sample_to",
                *names,
                *(f"is_{m}" for m in METRICS),
                *(f"oos_{m}" for m in METRICS),
                "efficiency",
            ]
        )
        for r in results:
            wi = r.window
            w.writerow(
                [
                    wi.n,
                    fmt(wi.is_from),
                    fmt(wi.is_to),
                    fmt(wi.oos_to),
                    *(r.params.get(n, "") for n in names),
                    *(r.in_sample.get(m, "") for m in METRICS),
                    *(r.out_of_sample.get(m, "") for m in METRICS),
                    "" if r.efficiency() is None else r.efficiency(),
                ]
            )
    curve = stitched(results)
    with (out / "oos_equity.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["time", "out_of_sample_pnl"])
        w.writerows((fmt(ms), v) for ms, v in curve)
    eff = overall_efficiency(results)
    rows = "".join(
        f"<tr><td>{r.window.n}</td><td>{fmt(r.window.is_from)[:10]} .. {fmt(r.window.is_to)[:10]}"
        f"</td><td>{fmt(r.window.oos_to)[:10]}</td><td>{html.escape(_params(r.params))}</td>"
        f"<td>{r.in_sample.get('net_profit', '')}</td><td>{r.out_of_sample.get('net_profit', '')}"
        f"</td><td>{'' if r.efficiency() is None else r.efficiency()}</td></tr>"
        for r in results
    )
    (out / "walkforward.html").write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>walk-forward efficiency over all windows: "
        f"{'n/a' if eff is None else eff}</p><h2>Out-of-sample P&amp;L, the windows stitched</h2>"
        f"{_curve_svg(curve)}<h2>Windows</h2><table><tr><th>#</th><th>in sample</th>"
        "<th>out of sample to</th><th>parameters</th><th>IS net</th><th>OOS net</th>"
        f"<th>efficiency</th></tr>{rows}</table></body></html>"
    )


def _params(p: dict[str, Any]) -> str:
    return ", ".join(f"{k.partition('.')[2]}={v}" for k, v in p.items()) or "no feasible trial"


def _curve_svg(curve: list[tuple[int, float]], w: int = 900, h: int = 260) -> str:
    if len(curve) < 2:
        return "<p>no out-of-sample trade</p>"
    step = max(1, len(curve) // 2000)
    pts = curve[::step]
    vals = [v for _t, v in pts]
    lo, hi = min(0.0, *vals), max(0.0, *vals)
    span = (hi - lo) or 1.0
    xy = " ".join(
        f"{i / (len(pts) - 1) * w:.1f},{h - (v - lo) / span * h:.1f}"
        for i, (_t, v) in enumerate(pts)
    )
    zero = h - (0 - lo) / span * h
    return (
        f"<svg width='{w}' height='{h}' role='img' aria-label='out-of-sample pnl'>"
        f"<line x1='0' x2='{w}' y1='{zero:.1f}' y2='{zero:.1f}' stroke='#888'/>"
        f"<polyline fill='none' stroke='#1f5fa8' points='{xy}'/></svg>"
    )

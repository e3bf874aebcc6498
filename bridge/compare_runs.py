"""Runs side by side (``mt5bridge compare A B [C ...]``): the seed's table (metric, the first
run, each other run with its change and % change against the first) as text, and the same as a
self-contained HTML page with the runs' equity curves overlaid on one time axis. Reads the
runs' report.json and equity.csv; imports the report's page helpers only."""

from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bridge.core.timeutil import fmt
from bridge.report_html import METRICS

EXTRA = ("hedge_activation_rate",)
COLORS = ("#1f5fa8", "#e08a1e", "#2e8b57", "#8e44ad", "#c0392b", "#16a085")
W, H, POINTS = 960, 320, 1200


def rows(reports: Sequence[dict[str, Any]]) -> list[list[str]]:
    """Per metric: its name, the first run's value, then per other run its value, change and %
    change against the first ("n/a" where not both are numbers)."""
    keys = [k for k in (*METRICS, *EXTRA) if any(k in r for r in reports)]
    out = []
    for k in keys:
        base = reports[0].get(k)
        row = [k, _text(base)]
        for r in reports[1:]:
            v = r.get(k)
            row.append(_text(v))
            if isinstance(base, int | float) and isinstance(v, int | float):
                ch = v - base
                row += [f"{ch:+g}", f"{ch / abs(base) * 100:+.1f}%" if base else "n/a"]
            else:
                row += ["n/a", "n/a"]
        out.append(row)
    return out


def _text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, int | float) and not isinstance(v, bool) else str(v)


def header(names: Sequence[str]) -> list[str]:
    cols = ["metric", names[0]]
    for n in names[1:]:
        cols += [n, "change", "% change"]
    return cols


def table_text(reports: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    head = header(names)
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(reports)]
    return "\n".join(lines)


def equity_columns(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """A run's equity.csv as (times in ms, equity); empty when the run wrote none."""
    f = folder / "equity.csv"
    if not f.exists():
        return np.zeros(0, np.int64), np.zeros(0)
    with f.open(newline="") as fh:
        body = list(csv.reader(fh))[1:]
    if not body:
        return np.zeros(0, np.int64), np.zeros(0)
    t = np.array([r[0] for r in body], dtype="datetime64[s]").astype(np.int64) * 1000
    return t, np.array([float(r[2]) for r in body])


def page(reports: Sequence[dict[str, Any]], names: Sequence[str], folders: Sequence[Path]) -> str:
    curves = [equity_columns(f) for f in folders]
    drawn = [(n, t, e) for n, (t, e) in zip(names, curves, strict=True) if len(t) > 1]
    svg = ""
    if drawn:
        t0 = min(int(t[0]) for _n, t, _e in drawn)
        t1 = max(int(t[-1]) for _n, t, _e in drawn)
        lo = min(float(e.min()) for _n, _t, e in drawn)
        hi = max(float(e.max()) for _n, _t, e in drawn)
        span_t, span_v = (t1 - t0) or 1, (hi - lo) or 1.0
        lines, legend = [], []
        for i, (name, t, e) in enumerate(drawn):
            keep = np.linspace(0, len(t) - 1, min(POINTS, len(t))).astype(np.int64)
            xs = (t[keep] - t0) / span_t * W
            ys = H - (e[keep] - lo) / span_v * H
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
            color = COLORS[i % len(COLORS)]
            lines.append(
                f"<polyline fill='none' stroke='{color}' stroke-width='1.2' points='{pts}'/>"
            )
            legend.append(f"<span style='color:{color}'>&#9632; {html.escape(name)}</span>")
        svg = (
            f"<figure><svg viewBox='0 -10 {W} {H + 20}' width='{W}' role='img' "
            f"aria-label='equity curves'>{''.join(lines)}"
            f"<text x='4' y='4' font-size='11'>{hi:,.2f}</text>"
            f"<text x='4' y='{H - 2}' font-size='11'>{lo:,.2f}</text></svg>"
            f"<figcaption>equity, {html.escape(fmt(t0)[:16])} to {html.escape(fmt(t1)[:16])}: "
            f"{' '.join(legend)}</figcaption></figure>"
        )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header(names))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows(reports)
    )
    title = "compare " + ", ".join(names)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:0 .8em;text-align:right}"
        "td:first-child{text-align:left}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{svg}<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></body></html>"
    )

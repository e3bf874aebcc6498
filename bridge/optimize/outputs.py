"""A study's outputs: trials.csv (every trial: its parameters, objectives, metrics, state),
best.toml (the config with the best parameters: ``mt5bridge backtest --config best.toml`` runs
it as it is) and optimize.html (objective history, parameter importance, a heat map of two
parameters, the Pareto front of two objectives), inline SVG, nothing fetched."""

from __future__ import annotations

import csv
import html
import math
import tomllib
import warnings
from pathlib import Path
from typing import Any

from bridge.optimize.space import Space
from bridge.optimize.study import best, feasible, pareto
from bridge.report_html import METRICS

W, H = 460, 260


def write_trials(study: Any, space: Space, path: Path) -> None:
    names = space.names()
    objs = [f"{d} {m}" for d, m in space.objectives]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["trial", "state", "feasible", *names, *objs, *METRICS, "node"])
        ok = {t.number for t in feasible(study, space)}
        for t in study.get_trials(deepcopy=False):
            values = list(t.values) if t.values else [""] * len(objs)
            w.writerow(
                [
                    t.number,
                    t.state.name,
                    t.number in ok,
                    *(_shown(t.params.get(n, "")) for n in names),
                    *values,
                    *(t.user_attrs.get("metrics", {}).get(m, "") for m in METRICS),
                    t.user_attrs.get("node", ""),  # the Ray node that ran it
                ]
            )


def _shown(v: Any) -> Any:
    """A parameter as it was run (a float on a step without its binary noise)."""
    return round(v, 10) if isinstance(v, float) else v


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def dump_toml(raw: dict[str, Any]) -> str:
    """A config's TOML: plain keys, then tables, then arrays of tables (params inline)."""
    lines = [
        f"{_key(k)} = {_toml_value(v)}"
        for k, v in raw.items()
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict))
    ]
    for k, v in raw.items():
        if isinstance(v, dict):
            lines += ["", f"[{_key(k)}]"]
            lines += [f"{_key(a)} = {_toml_value(b)}" for a, b in v.items()]
    for k, v in raw.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines += ["", f"[[{_key(k)}]]"]
                lines += [f"{_key(a)} = {_toml_value(b)}" for a, b in item.items()]
    return "\n".join(lines) + "\n"


def write_best(study: Any, space: Space, config_path: Path, path: Path) -> Any | None:
    """best.toml: the config file with the best trial's parameters; the trial (None: no
    feasible one)."""
    t = best(study, space)
    if t is None:
        return None
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in raw.get("strategies", [])}
    for name, value in t.params.items():
        if isinstance(value, float) and space.dist(name).step:
            value = round(value, 10)  # as the trial was run
        strategy, _, key = name.partition(".")
        by_name[strategy].setdefault("params", {})[key] = value
    replay = raw.get("replay")
    if isinstance(replay, dict) and replay.get("fixture", "demo") != "demo":
        fixture = Path(replay["fixture"]).expanduser()
        if not fixture.is_absolute():  # best.toml may live elsewhere: the fixture stays found
            replay["fixture"] = str((config_path.resolve().parent / fixture).resolve())
    head = f"# The best trial (#{t.number}) of the study of {config_path.name}: " + ", ".join(
        f"{m} {v:.6g}" for (_d, m), v in zip(space.objectives, t.values, strict=True)
    )
    path.write_text(head + "\n" + dump_toml(raw))
    return t


def _scatter(
    points: list[tuple[float, float, str]], xlab: str, ylab: str, line: list[float] | None = None
) -> str:
    if not points:
        return "<p>no finished trial</p>"
    xs = [p[0] for p in points]
    ys = [p[1] for p in points] + (line or [])
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1

    def px(x: float) -> float:
        return 30 + (x - x0) / (x1 - x0) * (W - 40)

    def py(y: float) -> float:
        return H - 20 - (y - y0) / (y1 - y0) * (H - 30)

    dots = "".join(
        f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='3' fill='{c}'><title>"
        f"{html.escape(xlab)} {x:g}, {html.escape(ylab)} {y:,.4g}</title></circle>"
        for x, y, c in points
    )
    path = ""
    if line:
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, line, strict=True))
        path = f"<polyline fill='none' stroke='#1f5fa8' points='{pts}'/>"
    return (
        f"<svg class='chart' width='{W}' height='{H}' role='img'>{path}{dots}"
        f"<text x='30' y='{H - 4}' font-size='10'>{html.escape(xlab)}</text>"
        f"<text x='2' y='10' font-size='10'>{html.escape(ylab)} {y1:,.4g}</text>"
        f"<text x='2' y='{H - 20}' font-size='10'>{y0:,.4g}</text></svg>"
    )


def _importance(study: Any, space: Space) -> str:
    import optuna

    sign = -1.0 if space.objectives[0][0] == "maximize" else 1.0  # its evaluator seeks lows
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            imp = optuna.importance.get_param_importances(
                study, target=lambda t: sign * t.values[0]
            )
    except (RuntimeError, ValueError, ZeroDivisionError) as exc:
        return f"<p>parameter importance: not enough trials ({html.escape(str(exc))})</p>"
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td><svg width='200' height='12'><rect "
        f"width='{200 * v:.1f}' height='12' fill='#2e8b57'/></svg> {v:.3f}</td></tr>"
        for k, v in imp.items()
    )
    return f"<table class='importance'>{rows}</table>"


def _heatmap(study: Any, space: Space, a: str, b: str) -> str:
    """The first objective's mean over the trials at each pair of values of ``a`` and ``b``."""
    cells: dict[tuple[Any, Any], list[float]] = {}
    for t in feasible(study, space):
        cells.setdefault((_shown(t.params.get(a)), _shown(t.params.get(b))), []).append(t.values[0])
    if not cells:
        return "<p>no feasible trial for the heat map</p>"
    xa = sorted({k[0] for k in cells}, key=str)
    xb = sorted({k[1] for k in cells}, key=str)
    means = {k: sum(v) / len(v) for k, v in cells.items()}
    lo, hi = min(means.values()), max(means.values())
    span = (hi - lo) or 1.0
    head = "".join(f"<th>{html.escape(str(v))}</th>" for v in xb)
    rows = []
    for va in xa:
        tds = []
        for vb in xb:
            m = means.get((va, vb))
            if m is None:
                tds.append("<td></td>")
                continue
            g = int(255 * (m - lo) / span)
            tds.append(
                f"<td style='background:rgb({255 - g},{200},{g})' title='{m:,.4g}'>{m:,.3g}</td>"
            )
        rows.append(f"<tr><th>{html.escape(str(va))}</th>{''.join(tds)}</tr>")
    return (
        f"<table class='heatmap'><caption>{html.escape(space.objectives[0][1])} (mean; blue "
        "highest, orange lowest) by "
        f"{html.escape(a)} (rows) and {html.escape(b)} (columns)</caption><tr><th></th>{head}"
        f"</tr>{''.join(rows)}</table>"
    )


def write_page(
    study: Any, space: Space, path: Path, title: str, heat: tuple[str, str] | None
) -> None:
    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    ok = {t.number for t in feasible(study, space)}
    d0, m0 = space.objectives[0]
    pts = [(float(t.number), t.values[0], "#2e8b57" if t.number in ok else "#bbb") for t in done]
    run, best_line = (-math.inf if d0 == "maximize" else math.inf), []
    for t in done:
        if t.number in ok:
            run = max(run, t.values[0]) if d0 == "maximize" else min(run, t.values[0])
        best_line.append(run if math.isfinite(run) else t.values[0])
    rules = ", ".join(f"{c.metric} {c.op} {c.value:g}" for c in space.constraints) or "none"
    parts = [
        f"<h1>{html.escape(title)}</h1><p>{len(done)} trials finished, {len(ok)} meet the "
        f"constraints ({html.escape(rules)}).</p>",
        f"<h2>{html.escape(m0)} by trial</h2>",
        _scatter(pts, "trial", m0, best_line),
        "<h2>Parameter importance</h2>",
        _importance(study, space),
    ]
    names = space.names()
    if heat is None and len(names) >= 2:
        heat = (names[0], names[1])
    if heat is not None:
        parts += ["<h2>Heat map</h2>", _heatmap(study, space, *heat)]
    if len(space.objectives) >= 2:
        front = {t.number for t in pareto([t for t in done if t.number in ok], space)}
        pts2 = [
            (t.values[0], t.values[1], "#c0392b" if t.number in front else "#bbb") for t in done
        ]
        parts += [
            f"<h2>Pareto front ({html.escape(m0)}, {html.escape(space.objectives[1][1])})</h2>",
            _scatter(pts2, m0, space.objectives[1][1]),
        ]
    path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 6px}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )

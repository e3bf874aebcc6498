"""report.html: one self-contained page per run (no file beside it, nothing fetched): the
interactive charts (bridge.report_charts), the metrics, the Strategy Tester statistics,
histograms of the trades' results and of their opening hour and weekday, the MFE/MAE scatters,
each strategy's figures and the trades table, sortable by any column. These small charts are
inline SVG; the exact figures stay in the tables. Imports the brain's portfolio and core only."""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from bridge.brain.portfolio import OUTSIDE, Trade
from bridge.core.timeutil import MS_PER_DAY, fmt

METRICS = (
    "net_profit",
    "gross_profit",
    "gross_loss",
    "profit_factor",
    "max_drawdown",
    "max_drawdown_pct",
    "recovery_factor",
    "sharpe_ratio",
    "trades",
    "win_rate",
    "avg_win",
    "avg_loss",
)


def starting_positions_note(rep: dict[str, Any]) -> str:
    """One sentence on the positions open before any strategy acted, or ""."""
    at_start = rep.get("positions_at_start") or []
    if not at_start:
        return ""
    by: dict[str, list[str]] = {}
    for p in at_start:
        by.setdefault(p["owner"], []).append(f"{p['symbol']} {p['side']} {p['ticket']}")
    parts = [
        f"{', '.join(v)}: {'no strategy runs them' if o == OUTSIDE else 'adopted by ' + o}"
        for o, v in by.items()
    ]
    return (
        f"{len(at_start)} positions were open before any strategy acted (opened by hand or by "
        f"another program: magic {sorted({p['magic'] for p in at_start})}); their open P&L is in "
        f"the account's equity and drawdown, and in the equity of the strategy that adopts them. "
        + "; ".join(parts)
        + "."
    )


def page(
    rep: dict[str, Any],
    title: str,
    chart: str = "",
    trades: Sequence[Trade] = (),
    excursion: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """The whole self-contained page: no file or network it needs. ``excursion``: each trade's
    MFE and MAE (NaN where unknown), for their scatter charts and the trades table."""
    mfe, mae = excursion if excursion is not None else (None, None)
    rows = "".join(f"<tr><th>{k}</th><td>{html.escape(str(rep.get(k)))}</td></tr>" for k in METRICS)
    owners = dict(rep.get("per_strategy", {}))
    if "outside_strategies" in rep:
        owners[OUTSIDE] = rep["outside_strategies"]
    buttons, panes = [], []
    for i, (name, m) in enumerate(owners.items()):
        cells = "".join(
            f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in m.items()
        )
        idx = [k for k, t in enumerate(trades) if t.strategy == name]
        own = [trades[k] for k in idx]
        own_exc = None if mfe is None or mae is None else (mfe[idx], mae[idx])
        shown = "" if i == 0 else " style='display:none'"
        buttons.append(f"<button class='tab' data-pane='pane{i}'>{html.escape(name)}</button>")
        panes.append(
            f"<section class='pane' id='pane{i}'{shown}><h2>{html.escape(name)}</h2>"
            f"<table>{cells}</table>{histograms(own)}{scatters(own, own_exc)}"
            f"{trades_table(own, '', own_exc)}</section>"
        )
    per = (
        f"<h2>Per strategy</h2><div class='tabs'>{''.join(buttons)}</div>{''.join(panes)}"
        if panes
        else ""
    )
    note = starting_positions_note(rep)
    if note:
        per = f"<p>{html.escape(note)}</p>" + per
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:2em}"
        "td{text-align:right}th.sort{cursor:pointer;text-align:right}figure{display:inline-block;"
        "margin:0 1em 1em 0}table.trades td{padding:0 .6em}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{chart}"
        f"<table>{rows}</table>{_tester_html(rep.get('tester'))}{histograms(trades)}"
        f"{scatters(trades, excursion)}{per}{trades_table(trades, 'trades', excursion)}"
        f"<script>{SORT_JS}</script></body></html>"
    )


def _tester_html(st: dict[str, Any] | None) -> str:
    """The Strategy Tester's statistics, under its own labels."""
    if not st:
        return ""
    cw, cl = st["consecutive_wins"], st["consecutive_losses"]
    bd, ed = st["balance_drawdown"], st["equity_drawdown"]
    hours = st["average_holding_ms"] / 3_600_000

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}%"

    rows = [
        ("Total trades", st["total_trades"]),
        ("Expected payoff", st["expected_payoff"]),
        ("Short trades (won %)", f"{st['short_trades']} ({pct(st['short_won_pct'])})"),
        ("Long trades (won %)", f"{st['long_trades']} ({pct(st['long_won_pct'])})"),
        ("Profit trades (% of total)", pct(st["profit_trades_pct"])),
        ("Largest profit trade", st["largest_win"]),
        ("Largest loss trade", st["largest_loss"]),
        ("Average profit trade", st["average_win"]),
        ("Average loss trade", st["average_loss"]),
        ("Maximum consecutive wins ($)", f"{cw['longest']} ({cw['longest_money']})"),
        ("Maximal consecutive profit (count)", f"{cw['extreme_money']} ({cw['extreme']})"),
        ("Maximum consecutive losses ($)", f"{cl['longest']} ({cl['longest_money']})"),
        ("Maximal consecutive loss (count)", f"{cl['extreme_money']} ({cl['extreme']})"),
        ("Average consecutive wins", cw["average"]),
        ("Average consecutive losses", cl["average"]),
        ("Average holding time", f"{hours:.2f} h"),
        ("Balance Drawdown Absolute", bd["absolute"]),
        ("Balance Drawdown Maximal", f"{bd['maximal']} ({bd['maximal_pct']}%)"),
        ("Balance Drawdown Relative", f"{bd['relative_pct']}% ({bd['relative']})"),
        ("Equity Drawdown Absolute", ed["absolute"]),
        ("Equity Drawdown Maximal", f"{ed['maximal']} ({ed['maximal_pct']}%)"),
        ("Equity Drawdown Relative", f"{ed['relative_pct']}% ({ed['relative']})"),
    ]
    cells = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<h2>Strategy Tester statistics</h2><table>{cells}</table>"


BAR_W, BAR_H = 420, 140  # a histogram's size
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def bars(labels: Sequence[str], values: Sequence[float], caption: str) -> str:
    """A bar chart as inline SVG: bars up for positive values, down for negative ones."""
    top = max([0.0, *values])
    bottom = min([0.0, *values])
    span = (top - bottom) or 1.0
    zero = BAR_H * top / span
    w = BAR_W / max(1, len(values))
    rects = []
    every = max(1, len(values) // 8)  # axis labels: at most about eight
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        if i % every == 0:
            rects.append(
                f"<text x='{i * w + 1:.1f}' y='{BAR_H + 12}' font-size='10'>"
                f"{html.escape(label.split(' to ')[0])}</text>"
            )
        h = abs(v) / span * BAR_H
        y = zero - h if v >= 0 else zero
        color = "#2e8b57" if v >= 0 else "#c0392b"
        rects.append(
            f"<rect x='{i * w + 1:.1f}' y='{y:.1f}' width='{max(1.0, w - 2):.1f}' "
            f"height='{h:.1f}' fill='{color}'><title>{html.escape(label)}: {v:,.2f}</title></rect>"
        )
    return (
        f"<figure><svg class='bars' viewBox='0 0 {BAR_W} {BAR_H + 16}' width='{BAR_W}' "
        f"height='{BAR_H + 16}' "
        f"role='img' aria-label='{html.escape(caption)}'>{''.join(rects)}"
        f"<line x1='0' x2='{BAR_W}' y1='{zero:.1f}' y2='{zero:.1f}' stroke='#888'/></svg>"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def histograms(trades: Sequence[Trade], bins: int = 20) -> str:
    """The trades' net results in bins, and their net by opening hour and by weekday (server
    time)."""
    if not trades:
        return ""
    nets = np.array([t.net for t in trades])
    counts, edges = np.histogram(nets, bins=min(bins, max(1, len(nets))))
    labels = [f"{a:,.0f} to {b:,.0f}" for a, b in itertools.pairwise(edges.tolist())]
    by_hour = [0.0] * 24
    by_day = [0.0] * 7
    for t, x in zip(trades, nets.tolist(), strict=True):
        by_hour[t.open_time % MS_PER_DAY // 3_600_000] += x
        by_day[(t.open_time // MS_PER_DAY + 3) % 7] += x  # 1970-01-01 was a Thursday
    return (
        "<h2>Trades</h2>"
        + bars(labels, counts.tolist(), f"trades by net result, {len(nets)} in {len(counts)} bins")
        + bars([f"{h:02d}:00" for h in range(24)], by_hour, "net result by opening hour")
        + bars(list(WEEKDAYS), by_day, "net result by opening weekday")
    )


TRADE_COLUMNS = ("strategy", "symbol", "side", "volume", "open_time", "open_price", "close_time",
                 "close_price", "net", "reason")  # fmt: skip


def trades_table(
    trades: Sequence[Trade],
    table_id: str = "trades",
    excursion: tuple[np.ndarray, np.ndarray] | None = None,
) -> str:
    """Every trade, in closing order (with its MFE and MAE when known); a click on a heading
    sorts by that column."""
    if not trades:
        return ""
    columns = TRADE_COLUMNS + (("mfe", "mae") if excursion is not None else ())
    head = "".join(f"<th class='sort'>{c}</th>" for c in columns)
    rows = []
    for i, t in enumerate(trades):
        cells: tuple[str, ...] = (t.strategy, t.symbol, t.side, f"{t.volume:g}", fmt(t.open_time),
                 f"{t.open_price:g}", fmt(t.close_time), f"{t.close_price:g}", f"{t.net:.2f}",
                 t.reason)  # fmt: skip
        if excursion is not None:
            cells += tuple(_money(float(col[i])) for col in excursion)
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return (
        f"<h2>{'All trades' if table_id else 'Its trades'} ({len(trades)})</h2>"
        f"<table class='trades'{f' id={table_id!r}' if table_id else ''}>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _money(v: float) -> str:
    return "" if v != v else f"{v:.2f}"  # NaN: not known


SCATTER_W, SCATTER_H = 420, 260  # a scatter chart's size


def scatter(xs: np.ndarray, ys: np.ndarray, x_label: str, caption: str) -> str:
    """A scatter chart as inline SVG, with the axes through zero; a point per pair (NaN: none)."""
    ok = ~(np.isnan(xs) | np.isnan(ys))
    xs, ys = xs[ok], ys[ok]
    if not len(xs):
        return ""
    pad = 8

    def scale(v: np.ndarray, size: int, flip: bool) -> tuple[np.ndarray, float]:
        lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
        span = (hi - lo) or 1.0
        pos = (v - lo) / span * (size - 2 * pad) + pad
        zero = (0 - lo) / span * (size - 2 * pad) + pad
        return (size - pos, size - zero) if flip else (pos, zero)

    px, x0 = scale(xs, SCATTER_W, False)
    py, y0 = scale(ys, SCATTER_H, True)
    lo_x, hi_x = min(0.0, float(xs.min())), max(0.0, float(xs.max()))
    lo_y, hi_y = min(0.0, float(ys.min())), max(0.0, float(ys.max()))
    labels = (
        f"<text x='2' y='{SCATTER_H - 2}' font-size='10'>{lo_x:,.0f}</text>"
        f"<text x='{SCATTER_W - 2}' y='{SCATTER_H - 2}' font-size='10' text-anchor='end'>"
        f"{hi_x:,.0f}</text><text x='{SCATTER_W / 2:.0f}' y='10' font-size='10'>"
        f"net {hi_y:,.0f}</text><text x='{SCATTER_W / 2:.0f}' y='{SCATTER_H - 2}' "
        f"font-size='10'>net {lo_y:,.0f}</text>"
    )
    dots = "".join(
        f"<circle cx='{a:.1f}' cy='{b:.1f}' r='2.5' fill='{'#2e8b57' if y >= 0 else '#c0392b'}'>"
        f"<title>{x_label} {x:,.2f}, net {y:,.2f}</title></circle>"
        for a, b, x, y in zip(px.tolist(), py.tolist(), xs.tolist(), ys.tolist(), strict=True)
    )
    return (
        f"<figure><svg class='scatter' viewBox='0 0 {SCATTER_W} {SCATTER_H}' width='{SCATTER_W}' "
        f"height='{SCATTER_H}' role='img' aria-label='{html.escape(caption)}'>"
        f"<line x1='{x0:.1f}' x2='{x0:.1f}' y1='0' y2='{SCATTER_H}' stroke='#888'/>"
        f"<line x1='0' x2='{SCATTER_W}' y1='{y0:.1f}' y2='{y0:.1f}' stroke='#888'/>{labels}{dots}"
        "</svg>"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def scatters(trades: Sequence[Trade], excursion: tuple[np.ndarray, np.ndarray] | None) -> str:
    """Each trade's net result against its MFE and against its MAE (MT5's two charts)."""
    if not trades or excursion is None:
        return ""
    nets = np.array([t.net for t in trades])
    mfe, mae = excursion
    return (
        "<h2>Excursions</h2>"
        + scatter(mfe, nets, "MFE", "net result (up) by maximum favourable excursion (right)")
        + scatter(mae, nets, "MAE", "net result (up) by maximum adverse excursion (left)")
    )


# sorts a table by the clicked heading's column: numbers as numbers, text as text; again: reversed.
# A strategy's tab shows its pane and hides the others.
SORT_JS = """
document.querySelectorAll('button.tab').forEach(function (b) {
  b.addEventListener('click', function () {
    document.querySelectorAll('section.pane').forEach(function (p) {
      p.style.display = p.id === b.dataset.pane ? '' : 'none';
    });
  });
});
document.querySelectorAll('th.sort').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var desc = th.dataset.order !== 'desc';
    th.dataset.order = desc ? 'desc' : 'asc';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && /^-?[0-9.]+$/.test(x)) ? nx - ny : x.localeCompare(y);
      return desc ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""

"""report.html's interactive charts, drawn in the page by TradingView's Lightweight Charts (inlined
from bridge.web, so the page needs nothing beside it): the balance and equity with the drawdown
and the deposit load below them, and a price chart per symbol with each trade's entry and exit as
markers and its stop loss and take profit as lines. Zooming or scrolling one chart moves every
other to the same time. Times are the broker's server time, shown as they are (not converted).
Imports the report's series, the brain's portfolio, core and bridge.web."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bridge.brain.portfolio import Portfolio, Trade
from bridge.core.symbols import SymbolSpec
from bridge.report_series import Market, candles, curve_columns, deposit_load, drawn_points
from bridge.tester_stats import falls
from bridge.web import lightweight_charts_js

CHART_W, EQUITY_H, PRICE_H = 1000, 460, 380


def equity_data(
    curve: tuple[np.ndarray, np.ndarray, np.ndarray], initial: float, load: np.ndarray | None
) -> dict[str, list[float]]:
    """The account's curve (``curve_columns``) reduced for drawing: seconds, balance, equity,
    the equity's fall from its running peak (negative) and the deposit load in % (empty without
    a market)."""
    t, bal, eq = curve
    fall, _pct = falls(eq, initial)
    cols = [eq, -fall] if load is None else [eq, -fall, load]
    keep = drawn_points(cols)
    return {
        "t": (t[keep] // 1000).tolist(),
        "balance": bal[keep].round(2).tolist(),
        "equity": eq[keep].round(2).tolist(),
        "drawdown": (-fall[keep]).round(2).tolist(),
        "load": [] if load is None else load[keep].round(2).tolist(),
    }


def price_data(
    symbol: str, market: Market, spec: SymbolSpec | None, trades: Sequence[Trade]
) -> dict[str, Any]:
    """One symbol's candles, its trades' markers (at their own prices, on the candle that holds
    them) and their stop loss / take profit segments, laid in lanes so that positions open at
    the same time each keep their own line. A line series joins its points (whitespace does not
    break it), so the line from a segment's end to the next segment is drawn transparent."""
    c = candles(market.bars[symbol])
    step = c.minutes * 60_000
    digits = spec.digits if spec is not None else 5
    secs = c.time_ms // 1000

    def at(ms: int) -> int:  # the candle that holds a time (the last one before it)
        i = max(0, int(np.searchsorted(c.time_ms, ms - ms % step, "right")) - 1)
        return int(secs[i]) if len(secs) else ms // 1000

    markers: list[tuple[int, str, float, str]] = []
    lanes: list[dict[str, list[list[float]]]] = []
    lane_free: list[int] = []  # per lane, the first candle time it may start at again
    for t in sorted(trades, key=lambda t: t.open_time):
        a, z = at(t.open_time), at(t.close_time)
        markers.append((a, "buy" if t.side == "buy" else "sell", t.open_price, "entry"))
        markers.append((z, "win" if t.net >= 0 else "loss", t.close_price, "exit"))
        if not (t.sl > 0 or t.tp > 0):
            continue
        k = next((i for i, free in enumerate(lane_free) if free <= a), len(lanes))
        if k == len(lanes):
            lanes.append({"sl": [], "tp": []})
            lane_free.append(0)
        lane_free[k] = z + 1
        for key, level in (("sl", t.sl), ("tp", t.tp)):
            if level > 0:  # a third field ends the segment (the line to the next is not drawn)
                pts = lanes[k][key]
                pts += [[a, level, 1]] if a == z else [[a, level], [z, level, 1]]
    markers.sort(key=lambda m: m[0])
    return {
        "symbol": symbol,
        "minutes": c.minutes,
        "digits": digits,
        "t": secs.tolist(),
        "o": c.open.round(digits).tolist(),
        "h": c.high.round(digits).tolist(),
        "l": c.low.round(digits).tolist(),
        "c": c.close.round(digits).tolist(),
        "markers": markers,
        "lanes": lanes,
    }


def charts_html(
    pf: Portfolio, market: Market | None, specs: Mapping[str, SymbolSpec]
) -> tuple[str, np.ndarray | None]:
    """The charts' section of the page, and the deposit load at each curve point (None without
    a market: a live session's report has no bars to draw)."""
    curve = curve_columns(pf)
    times, _bal, equity = curve
    load = deposit_load(pf, market, times, equity) if market is not None else None
    prices = []
    if market is not None:
        traded = sorted({t.symbol for t in pf.trades} | {p.symbol for p in pf.positions.values()})
        for sym in traded:
            if sym in market.bars and len(market.bars[sym]):
                own = [t for t in pf.trades if t.symbol == sym]
                prices.append(price_data(sym, market, specs.get(sym), own))
    data = {"equity": equity_data(curve, pf.initial_balance, load), "prices": prices}
    blocks = [
        "<h2>Balance, equity, drawdown and deposit load</h2>"
        f"<div class='chart' id='equity-chart' style='width:{CHART_W}px;height:{EQUITY_H}px'></div>"
        "<p class='caption'>balance (blue) and equity (orange); below, the equity's fall from its "
        "peak and the deposit load (margin in % of equity). Scroll or drag any chart to zoom "
        "or move all of them; times are the broker's server time.</p>"
    ]
    for i, p in enumerate(prices):
        blocks.append(
            f"<h2>{html.escape(p['symbol'])}</h2><div class='chart price-chart' id='price{i}' "
            f"style='width:{CHART_W}px;height:{PRICE_H}px'></div><p class='caption'>"
            f"{p['minutes']}-minute candles (bid); arrows: entries (up: buy, down: sell) at "
            "their price; circles: exits (green: won, red: lost); dashed lines: each "
            "position's stop loss (red) and take profit (green) as it had them when it closed."
            "</p>"
        )
    if market is None:
        blocks.append(
            "<p class='caption'>No price charts: this run's report has no bars to draw them "
            "from (a backtest and the demo draw them).</p>"
        )
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        "".join(blocks)
        + f"<script>{lightweight_charts_js()}</script>"
        + f"<script>var REPORT_DATA={payload};{CHARTS_JS}</script>",
        load,
    )


# Draws REPORT_DATA. window.reportCharts keeps the charts and what each was given, for a look
# from the browser's console (and the browser tests). The chart under the pointer leads: its
# time range is given to the others.
CHARTS_JS = """
(function () {
  var LC = window.LightweightCharts, D = REPORT_DATA, all = [], leader = null;
  var out = window.reportCharts = {equity: null, prices: [], counts: {equity: 0, prices: []}};
  function make(el) {
    var ch = LC.createChart(el, {autoSize: true, layout: {attributionLogo: true},
      timeScale: {timeVisible: true, secondsVisible: false}, crosshair: {mode: 0}});
    ['pointerdown', 'wheel', 'touchstart', 'pointerenter'].forEach(function (ev) {
      el.addEventListener(ev, function () { leader = ch; }, {passive: true});
    });
    ch.timeScale().subscribeVisibleTimeRangeChange(function (r) {
      if (leader !== ch || !r) return;
      all.forEach(function (o) { if (o !== ch) o.timeScale().setVisibleRange(r); });
    });
    all.push(ch);
    return ch;
  }
  function line(xs, ys) {
    return xs.map(function (t, i) { return {time: t, value: ys[i]}; });
  }
  var E = D.equity, el = document.getElementById('equity-chart');
  if (el && E.t.length) {
    var ch = make(el);
    ch.addSeries(LC.LineSeries, {color: '#1f5fa8', lineWidth: 2, title: 'balance'})
      .setData(line(E.t, E.balance));
    ch.addSeries(LC.LineSeries, {color: '#e08a1e', lineWidth: 1, title: 'equity'})
      .setData(line(E.t, E.equity));
    ch.addSeries(LC.AreaSeries, {lineColor: '#c0392b', topColor: 'rgba(192,57,43,0.1)',
      bottomColor: 'rgba(192,57,43,0.4)', lineWidth: 1, title: 'drawdown',
      invertFilledArea: true}, 1).setData(line(E.t, E.drawdown));
    if (E.load.length) {
      ch.addSeries(LC.LineSeries, {color: '#6c3483', lineWidth: 1, title: 'deposit load %'}, 2)
        .setData(line(E.t, E.load));
    }
    var panes = ch.panes();
    if (panes.length > 1) { panes[0].setHeight(240); }
    ch.timeScale().fitContent();
    out.equity = ch;
    out.counts.equity = E.t.length;
  }
  D.prices.forEach(function (P, i) {
    var el = document.getElementById('price' + i);
    if (!el) return;
    var ch = make(el), fmt = {type: 'price', precision: P.digits, minMove: Math.pow(10, -P.digits)};
    var s = ch.addSeries(LC.CandlestickSeries, {priceFormat: fmt, title: P.symbol});
    s.setData(P.t.map(function (t, k) {
      return {time: t, open: P.o[k], high: P.h[k], low: P.l[k], close: P.c[k]};
    }));
    var look = {buy: ['arrowUp', '#1f5fa8'], sell: ['arrowDown', '#8e44ad'],
                win: ['circle', '#2e8b57'], loss: ['circle', '#c0392b']};
    LC.createSeriesMarkers(s, P.markers.map(function (m) {
      return {time: m[0], position: 'atPriceMiddle', price: m[2], shape: look[m[1]][0],
              color: look[m[1]][1], size: 1};
    }));
    var lines = 0;
    P.lanes.forEach(function (lane) {
      [['sl', '#c0392b'], ['tp', '#2e8b57']].forEach(function (k) {
        if (!lane[k[0]].length) return;
        ch.addSeries(LC.LineSeries, {color: k[1], lineWidth: 1, lineStyle: 2, priceFormat: fmt,
          lastValueVisible: false, priceLineVisible: false, crosshairMarkerVisible: false})
          .setData(lane[k[0]].map(function (p) {
            return p.length > 2 ? {time: p[0], value: p[1], color: 'rgba(0,0,0,0)'}
                                : {time: p[0], value: p[1]};
          }));
        lines += 1;
      });
    });
    ch.timeScale().fitContent();
    out.prices.push(ch);
    out.counts.prices.push({symbol: P.symbol, candles: P.t.length, markers: P.markers.length,
                            lines: lines});
  });
  if (out.equity) {  // the prices open on the run's own span (their warm-up bars to the left)
    var span = {from: E.t[0], to: E.t[E.t.length - 1]};
    out.prices.forEach(function (ch) { ch.timeScale().setVisibleRange(span); });
  }
})();
"""

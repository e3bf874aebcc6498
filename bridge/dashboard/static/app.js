// The dashboard page: one WebSocket brings the history, then an update about twice a second.
// Every text from the brain is put in the page as text (never as HTML). window.dashboard keeps
// what was drawn, for a look from the browser's console (and the browser tests).
(function () {
  'use strict';
  var LC = window.LightweightCharts;
  var CSRF = document.querySelector('meta[name="csrf"]').content;
  var D = window.dashboard = {seq: 0, updates: 0, connected: false, state: null,
    counts: {curve: {}, bars: {}, markers: {}, levels: {}, strategyCurve: {}}, lastControl: null};
  var rows = [], fills = [], changes = [], rowCount = 0;
  var accounts = {}, strategyCharts = {}, prices = {};
  var MAX_ROWS = 300;

  // -- helpers -----------------------------------------------------------------------------
  var memo = {};
  function changed(key, value) {  // a panel is rebuilt only when what it shows has changed
    var s = JSON.stringify(value);
    if (memo[key] === s) return false;
    memo[key] = s;
    return true;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function when(ms) {  // broker server time, shown as it is (not converted)
    if (!ms) return '';
    var d = new Date(ms);
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) + ' ' +
      two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds());
  }
  function show(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'number') return Math.abs(v) >= 1e6 ? v.toFixed(0) : String(+v.toFixed(5));
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function table(head, body, id) {
    var t = el('table');
    if (id) t.id = id;
    var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', '', h)); });
    t.appendChild(tr);
    body.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) {
        row.appendChild(el('td', typeof c === 'number' ? 'num' : '', show(c)));
      });
      t.appendChild(row);
    });
    return t;
  }
  function badge(text, kind) { return el('span', 'badge ' + (kind || text), text); }
  function notice(text) {
    var n = document.getElementById('notice');
    n.textContent = text;
    n.hidden = !text;
  }
  function makeChart(container, small) {
    var div = el('div', small ? 'chart small' : 'chart');
    container.appendChild(div);
    return LC.createChart(div, {autoSize: true, layout: {attributionLogo: true},
      timeScale: {timeVisible: true, secondsVisible: false}});
  }

  // -- controls: confirmed in the page, sent with the session's CSRF value ------------------
  function control(body, question) {
    if (!window.confirm(question)) return;
    fetch('/api/control', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': CSRF},
      body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (res) {
        D.lastControl = {request: body, status: res[0], reply: res[1]};
        notice(res[1].ok ? '' : 'refused: ' + (res[1].error || res[0]));
      })
      .catch(function (e) { notice('control failed: ' + e); });
  }
  document.getElementById('halt-all').onclick = function () {
    control({action: 'halt'}, 'Halt every terminal? No new position is opened until you resume.');
  };
  document.getElementById('resume-all').onclick = function () {
    control({action: 'resume_all'}, 'Lift the halt on every terminal?');
  };

  // -- panels ------------------------------------------------------------------------------
  function renderBrain(s) {
    var b = s.brain, halted = [];
    Object.keys(s.engines).forEach(function (t) { if (s.engines[t].halted) halted.push(t); });
    if (!changed('brain', [b, halted])) return;
    var box = document.getElementById('brain');
    box.textContent = '';
    box.appendChild(halted.length ? badge('halted', 'halted') : badge('trading', 'ok'));
    box.appendChild(el('span', 'muted', ' bad frames ' + b.bad_frames + ', gaps ' + b.gaps + ', resyncs ' + b.resyncs +
      ', halts ' + b.halts + ', connections before authenticating ' + b.unauthenticated_connections));
  }
  function renderTerminals(s) {
    var box = document.getElementById('terminals'), body = [];
    Object.keys(s.terminals).forEach(function (tid) {
      var t = s.terminals[tid];
      body.push([tid, t.connected ? 'connected' : 'not connected', t.account,
        t.hedging === null ? '' : (t.hedging ? 'hedging' : 'netting'),
        t.last_frame_age_ms === null ? '' : t.last_frame_age_ms + ' ms', t.frames, t.gaps,
        t.resyncs, when(t.server_time_ms), t.halted || 'no',
        t.algo_trading === null ? '' : (t.algo_trading ? 'allowed' : 'NOT allowed')]);
    });
    if (!changed('terminals', body)) return;
    box.textContent = '';
    if (!body.length) { box.appendChild(el('p', 'muted', 'no terminal has connected yet')); return; }
    box.appendChild(table(['terminal', 'link', 'account', 'kind', 'last frame', 'frames', 'gaps',
      'resyncs', 'server time', 'halted', 'algo trading'], body, 'terminals-table'));
  }
  function renderAccounts(s, curveByTid) {
    var box = document.getElementById('accounts');
    Object.keys(s.engines).forEach(function (tid) {
      var e = s.engines[tid], a = accounts[tid];
      if (!a) {
        a = accounts[tid] = {box: el('div'), figures: el('div')};
        a.box.appendChild(el('h3', '', tid));
        a.box.appendChild(a.figures);
        box.appendChild(a.box);
        a.chart = makeChart(a.box, false);
        a.balance = a.chart.addSeries(LC.LineSeries, {color: '#1f5fa8', lineWidth: 2, title: 'balance'});
        a.equity = a.chart.addSeries(LC.LineSeries, {color: '#e08a1e', lineWidth: 1, title: 'equity'});
        a.last = 0;
        D.counts.curve[tid] = 0;
      }
      addCurve(tid, a, curveByTid ? curveByTid[tid] || [] : e.curve);
      var figures = [[e.balance, e.equity, e.margin, e.free_margin, e.currency, e.positions.length,
        e.pending.length, e.in_flight.length, when(e.now_ms)]];
      if (!changed('account/' + tid, figures)) return;
      a.figures.textContent = '';
      a.figures.appendChild(table(['balance', 'equity', 'margin', 'free margin', 'currency',
        'positions', 'pending', 'orders in flight', 'market time'], figures, 'account-' + tid));
    });
  }
  function addCurve(tid, a, points) {
    points.forEach(function (p) {
      if (p[0] < a.last) return;
      a.balance.update({time: p[0], value: p[1]});
      a.equity.update({time: p[0], value: p[2]});
      if (p[0] > a.last) D.counts.curve[tid] += 1;
      a.last = p[0];
    });
  }

  function mine(st, magic) { return st.magics.indexOf(magic) >= 0; }
  function renderStrategies(s, scurve) {
    var box = document.getElementById('strategies');
    Object.keys(s.engines).forEach(function (tid) {
      var e = s.engines[tid];
      Object.keys(e.strategies).forEach(function (name) {
        var st = e.strategies[name], key = tid + '/' + name, c = strategyCharts[key];
        if (!c) c = strategyCharts[key] = strategyBox(box, key, name);
        var pts = scurve ? scurve[key] || [] : (st.equity ? [st.equity] : []);
        pts.forEach(function (p) {
          if (p[0] <= c.last) return;
          c.line.update({time: p[0], value: p[1]});
          c.last = p[0];
          D.counts.strategyCurve[key] += 1;
        });
        var status = st.status || {};
        var risk = rows.filter(function (r) { return r[0] === tid && r[1] === 'risk' && mine(st, r[2].magic); }).slice(-8);
        var plan = changes.filter(function (r) { return r[0] === tid && mine(st, r[2].trading_plan_id); });
        var pos = e.positions.filter(function (p) { return p.owner === name; });
        var fl = e.in_flight.filter(function (o) { return mine(st, o.magic); });
        if (!changed('strategy/' + key, [st.status, st.headline, st.levels, risk, plan.length, pos, fl])) return;
        c.head.textContent = '';
        c.head.appendChild(document.createTextNode(name + ' '));
        c.head.appendChild(badge(status.running || '?', status.running));
        c.head.appendChild(el('span', 'muted', ' ' + (st.headline || '')));
        if (status.phase !== undefined && !c.plan) c.plan = planControls(c.controls, name);
        strategyInfo(c.info, st, risk, plan, pos, fl);
      });
    });
  }
  function button(text, action, cls) {
    var b = el('button', cls || '', text);
    b.dataset.action = action;
    return b;
  }
  function strategyBox(box, key, name) {
    var c = {box: el('div', 'strategy'), head: el('h3'), controls: el('div', 'controls'),
             info: el('div'), last: 0, plan: false};
    c.box.id = 'strategy-' + name;
    [c.head, c.controls, c.info].forEach(function (x) { c.box.appendChild(x); });
    var pause = button('Pause', 'pause'), resume = button('Resume', 'resume');
    pause.onclick = function () {
      control({action: 'pause', strategy: name}, 'Pause ' + name + '? It opens no new position until resumed (its closes still go).');
    };
    resume.onclick = function () { control({action: 'resume', strategy: name}, 'Resume ' + name + '?'); };
    c.controls.appendChild(pause);
    c.controls.appendChild(resume);
    box.appendChild(c.box);
    c.box.appendChild(el('p', 'caption muted', 'its own equity: the realised net of its trades plus its open positions'));
    c.chart = makeChart(c.box, true);
    c.line = c.chart.addSeries(LC.LineSeries, {color: '#117a65', lineWidth: 2, title: name});
    D.counts.strategyCurve[key] = 0;
    return c;
  }
  function planControls(ctl, name) {  // the two-bucket plan's manual overrides
    var stop = button('Emergency stop', 'plan_stop', 'danger'), reset = button('Manual reset', 'plan_reset');
    stop.onclick = function () {
      control({action: 'plan_stop', strategy: name}, 'Emergency stop of ' + name + ': close every position of the plan and stop it?');
    };
    reset.onclick = function () {
      control({action: 'plan_reset', strategy: name}, 'Reset ' + name + ' at the current price (a new peak, the unit recomputed)?');
    };
    var lev = el('input', 'leverage');
    lev.type = 'number'; lev.min = '0.1'; lev.step = '0.1'; lev.size = 5;
    var setLev = button('Set leverage', 'plan_leverage');
    setLev.onclick = function () {
      control({action: 'plan_leverage', strategy: name, arg: lev.value}, 'Set the leverage of ' + name + ' to ' + lev.value + '?');
    };
    [stop, reset, lev, setLev].forEach(function (x) { ctl.appendChild(x); });
    return true;
  }
  function strategyInfo(box, st, risk, ch, pos, fl) {
    var status = st.status || {};
    box.textContent = '';
    var kv = [];
    Object.keys(status).forEach(function (k) {
      if (['strategy', 'running', 'trading', 'recent_changes'].indexOf(k) < 0) kv.push([k, status[k]]);
    });
    var cols = el('div', 'cols');
    var left = el('div');
    left.appendChild(table(['', ''], kv));
    if (st.levels.length) {
      left.appendChild(table(['level', 'symbol', 'price'], st.levels.map(function (l) {
        return [l.name, l.symbol, l.price];
      })));
    }
    cols.appendChild(left);
    var right = el('div');
    right.appendChild(el('h4', '', 'positions (' + pos.length + ')'));
    if (pos.length) {
      right.appendChild(table(['ticket', 'symbol', 'side', 'lots', 'open', 'SL', 'TP', 'P&L'], pos.map(function (p) {
        return [p.ticket, p.symbol, p.side, p.volume, p.price_open, p.sl, p.tp, p.profit];
      })));
    }
    right.appendChild(el('h4', '', 'orders in flight (' + fl.length + ')'));
    if (fl.length) {
      right.appendChild(table(['client id', 'command', 'sent'], fl.map(function (o) {
        return [o.client_id, o.command, when(o.sent_ms)];
      })));
    }
    right.appendChild(el('h4', '', 'recent intents and risk decisions'));
    var rt = table(['time', 'intent', 'decision'], risk.map(function (r) {
      return [when(r[2].time_ms), r[2].intent, r[2].approved ? 'approved' : 'refused: ' + r[2].reason];
    }));
    rt.className = 'risk';
    Array.prototype.forEach.call(rt.querySelectorAll('td:nth-child(2)'), function (td) {
      td.className = 'long';
      td.title = td.textContent;
    });
    right.appendChild(rt);
    cols.appendChild(right);
    box.appendChild(cols);
    if (status.phase === undefined) return;
    var resets = ch.filter(function (r) { return r[2].is_reset_event; });
    box.appendChild(el('h4', '', 'reset history (' + resets.length + ')'));
    box.appendChild(table(['time', 'price', 'reason', 'details'], resets.slice(-10).map(function (r) {
      return [when(r[2].time_ms), r[2].trigger_price, r[2].reason, r[2].reset_details];
    })));
    box.appendChild(el('h4', '', 'allocation_changes (latest 20 of ' + ch.length + ')'));
    box.appendChild(table(['time', 'allocation', 'long % (old → new)', 'short %', 'cash %', 'price', 'units', 'phase', 'reason'],
      ch.slice(-20).reverse().map(function (r) {
        var x = r[2];
        return [when(x.time_ms), x.allocation_type, x.old_long_pct + ' → ' + x.new_long_pct,
          x.old_short_pct + ' → ' + x.new_short_pct, x.old_cash_pct + ' → ' + x.new_cash_pct,
          x.trigger_price, x.trigger_units, x.phase_name, x.reason];
      }), 'changes-' + name));
  }

  function renderPrices(s, newBars) {
    var box = document.getElementById('prices');
    Object.keys(newBars).forEach(function (sym) {
      var p = prices[sym];
      if (!p) {
        p = prices[sym] = {box: el('div'), last: 0, lines: {}, levelKey: ''};
        p.box.appendChild(el('h3', '', sym));
        box.appendChild(p.box);
        p.chart = makeChart(p.box, false);
        p.series = p.chart.addSeries(LC.CandlestickSeries, {title: sym});
        p.markers = LC.createSeriesMarkers(p.series, []);
        D.counts.bars[sym] = 0;
      }
      newBars[sym].forEach(function (b) {
        if (b[0] < p.last) return;
        p.series.update({time: b[0], open: b[1], high: b[2], low: b[3], close: b[4]});
        if (b[0] > p.last) D.counts.bars[sym] += 1;
        p.last = b[0];
      });
    });
    Object.keys(prices).forEach(function (sym) {
      var p = prices[sym];
      var m = fills.filter(function (f) { return f[2].symbol === sym && Math.floor(f[2].time_ms / 60000) * 60 <= p.last; })
        .map(function (f) {
          var d = f[2], out = d.entry !== 0;
          return {time: Math.floor(d.time_ms / 60000) * 60, position: 'atPriceMiddle', price: d.price,
            shape: out ? 'circle' : (d.is_buy ? 'arrowUp' : 'arrowDown'),
            color: out ? '#6c3483' : (d.is_buy ? '#1f5fa8' : '#8e44ad'), size: 1};
        });
      p.markers.setMarkers(m);
      D.counts.markers[sym] = m.length;
      var levels = [];
      Object.keys(s.engines).forEach(function (tid) {
        var sts = s.engines[tid].strategies;
        Object.keys(sts).forEach(function (n) {
          sts[n].levels.forEach(function (l) { if (l.symbol === sym) levels.push([n, l.name, l.price]); });
        });
      });
      var key = JSON.stringify(levels);
      if (key !== p.levelKey) {
        Object.keys(p.lines).forEach(function (k) { p.series.removePriceLine(p.lines[k]); });
        p.lines = {};
        levels.forEach(function (l) {
          p.lines[l[0] + ':' + l[1]] = p.series.createPriceLine({price: l[2], color: '#7f8c8d',
            lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: l[1]});
        });
        p.levelKey = key;
        D.counts.levels[sym] = levels.length;
      }
    });
  }

  function renderAudit() {
    var box = document.getElementById('audit');
    if (!changed('audit', rowCount) && box.firstChild) return;
    box.textContent = '';
    var t = table(['terminal', 'kind', 'time', 'row'], rows.slice(-25).reverse().map(function (r) {
      var x = r[2], rest = {};
      Object.keys(x).forEach(function (k) { if (k !== 'time_ms') rest[k] = x[k]; });
      return [r[0], r[1] === 'log' ? x.event : r[1], when(x.time_ms), JSON.stringify(rest)];
    }), 'audit-table');
    Array.prototype.forEach.call(t.querySelectorAll('td:last-child'), function (td) {
      td.className = 'long';
      td.title = td.textContent;  // the whole row on hover; the cell shows its start
    });
    box.appendChild(t);
  }

  function take(list, extra, cap) {
    extra.forEach(function (r) { list.push(r); });
    if (list.length > cap) list.splice(0, list.length - cap);
  }

  // -- the WebSocket -----------------------------------------------------------------------
  function onInit(m) {
    rowCount += m.rows.length;
    take(rows, m.rows, MAX_ROWS); take(fills, m.fills, 1000); take(changes, m.changes, MAX_ROWS);
    if (!m.state || !m.state.engines) return;
    D.seq = m.state.seq;
    D.state = m.state;
    render(m.state, m.bars, m.curve, m.strategy_curve);
  }
  function onUpdate(u) {
    if (u.seq <= D.seq) return;  // already in the history this page was given
    D.seq = u.seq;
    D.updates += 1;
    rowCount += u.rows.length;
    take(rows, u.rows, MAX_ROWS);
    take(fills, u.rows.filter(function (r) { return r[1] === 'deal'; }), 1000);
    take(changes, u.rows.filter(function (r) { return r[1] === 'allocation_change'; }), MAX_ROWS);
    var bars = {};
    u.bars.forEach(function (b) { (bars[b[1]] = bars[b[1]] || []).push(b.slice(2)); });
    D.state = u;
    render(u, bars, null, null);
  }
  function render(s, bars, curve, scurve) {
    renderBrain(s);
    renderTerminals(s);
    renderAccounts(s, curve);
    renderStrategies(s, scurve);
    renderPrices(s, bars);
    renderAudit();
  }
  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    var link = document.getElementById('link');
    ws.onopen = function () { D.connected = true; link.textContent = 'live'; link.className = 'badge ok'; };
    ws.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      if (m.type === 'ping') return;
      if (m.type === 'init') onInit(m); else onUpdate(m);
    };
    ws.onclose = function (ev) {
      D.connected = false;
      if (ev.code === 1008) { location.reload(); return; }  // the session ended: log in again
      link.textContent = 'disconnected: reconnecting';
      link.className = 'badge down';
      setTimeout(connect, 2000);
    };
  }
  connect();
})();

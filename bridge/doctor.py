"""``mt5bridge doctor``: a guided check of a live set-up, one line per check with its verdict
and, when it fails, the fix. It asks the running brain (control verbs ``status`` and
``doctor``) what each connected terminal said of itself and judges it against the config's
strategies. Nothing here trades; nothing printed holds the secret."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.config import Config
from bridge.core.symbols import FILLING_FOK, FILLING_IOC, TRADE_MODE_FULL
from bridge.live.control import control_call

OK, FAIL, WARN, NOTE = "ok", "FAIL", "warn", "note"
TRADE_MODES = {0: "trading disabled", 1: "long only", 2: "short only", 3: "close only"}
ACCOUNT_MODES = {0: "demo", 1: "contest", 2: "real"}
PING_WAIT_S = 2.0  # how long a terminal has to answer the doctor's QUERY


@dataclass(frozen=True, slots=True)
class Line:
    verdict: str
    what: str
    text: str
    fix: str = ""

    def __str__(self) -> str:
        out = f"{self.verdict:<5} {self.what}: {self.text}"
        return out + (f"\n      fix: {self.fix}" if self.fix else "")


Ask = Callable[[str, str], dict[str, Any]]


def brain_asker(endpoint: str, secret: bytes) -> Ask:
    return lambda verb, arg: control_call(endpoint, secret, verb, arg)


def check_brain(cfg: Config, ask: Ask, endpoint: str) -> list[Line]:
    """Every check against the running brain: reachable, then each connected terminal."""
    status = ask("status", "")
    if not status.get("ok"):
        err = str(status.get("error", ""))
        if "not authenticated" in err:
            fix = f"the secret in ${cfg.brain.secret_env} is not the one the brain was started with"
            text = f"{endpoint} refused the request ({err})"
        else:
            fix = "start it (mt5bridge run --config ...) or correct [brain] control_endpoint"
            text = err if err.startswith("no answer") else f"no answer at {endpoint}: {err}"
        return [Line(FAIL, "brain", text, fix)]
    ask("doctor", "ping")
    rep = _report_with_pings(ask)
    bound, wanted = rep.get("endpoint", ""), cfg.brain.endpoint
    out = [Line(OK, "brain", f"answering at {endpoint}; terminals connect to {bound}")]
    if not wanted.endswith(":0") and bound != wanted:
        out.append(
            Line(
                FAIL,
                "endpoint",
                f"the brain is bound to {bound}, but the config says {wanted}",
                "the brain runs with another config: restart it with this one",
            )
        )
    terminals = rep.get("terminals", {})
    if not terminals:
        why = rep.get("last_refusal") or "no terminal has connected"
        fix = (
            "the EA's InpSecret and the brain's secret differ: set the same secret on both sides"
            if "refused" in why
            else "attach MT5Bridge to a chart with InpHost/InpPort naming the brain's endpoint, "
            "add that address to Tools > Options > Expert Advisors > 'Allow WebRequest for "
            "listed URL', and let the port through any firewall between them"
        )
        return [*out, Line(FAIL, "terminal", f"no EA connected ({why})", fix)]
    for tid, t in sorted(terminals.items()):
        out += check_terminal(tid, t)
    return out


def _report_with_pings(ask: Ask) -> dict[str, Any]:
    deadline = time.monotonic() + PING_WAIT_S
    while True:
        rep = ask("doctor", "")
        pending = [t for t in rep.get("terminals", {}).values() if t["round_trip_ms"] is None]
        if not pending or time.monotonic() > deadline:
            return rep
        time.sleep(0.05)


def check_terminal(tid: str, t: dict[str, Any]) -> list[Line]:
    what = f"terminal {tid}"
    out = [Line(OK, what, f"EA connected, protocol {t['version']}")]
    info, acc = t["info"], t["account"]
    if info is None:
        out.append(
            Line(
                WARN,
                what,
                "the EA does not report its terminal (an EA older than protocol 2.1)",
                "install MT5Bridge.mq5 of this version",
            )
        )
    else:
        out += _terminal_lines(what, info)
    if acc is not None:
        mode = ACCOUNT_MODES.get(info["trade_mode"], "?") if info else "?"
        kind = "hedging" if acc["hedging"] else "netting"
        out.append(
            Line(
                OK,
                "account",
                f"{t['login']} on {t['server']}: {mode}, {kind}, {acc['currency']}, leverage "
                f"1:{acc['leverage']}, balance {acc['balance']:,.2f}",
            )
        )
        needs = [s["name"] for s in t["strategies"] if s["needs_hedging"]]
        if needs and not acc["hedging"]:
            out.append(
                Line(
                    FAIL,
                    "account",
                    f"netting account, but {', '.join(needs)} hold a long and a short on one "
                    "symbol at once",
                    "trade these strategies on a hedging account (ask the broker for one)",
                )
            )
    out += _symbol_lines(t)
    if t["halted"]:
        out.append(Line(WARN, what, f"trading halted: {t['halted']}", "mt5bridge resume"))
    rtt = t["round_trip_ms"]
    if rtt is None:
        out.append(
            Line(
                FAIL,
                "round trip",
                f"the EA did not answer a query within {PING_WAIT_S:g} s",
                "is the terminal busy or frozen? see its Experts tab",
            )
        )
    else:
        out.append(Line(OK, "round trip", f"brain -> EA -> brain {rtt:.1f} ms"))
    return out


def _terminal_lines(what: str, info: dict[str, Any]) -> list[Line]:
    out = [Line(NOTE, what, f"build {info['build']}, broker {info['company']}")]
    if info["connected"]:
        out.append(Line(OK, "broker", "the terminal is connected to the trade server"))
    else:
        out.append(
            Line(
                FAIL,
                "broker",
                "the terminal is not connected to the trade server",
                "check the login and the connection indicator in the terminal's status bar",
            )
        )
    switches = (
        (
            "trade_allowed",
            "Algo Trading is off in the terminal",
            "press Algo Trading in the toolbar",
        ),
        (
            "ea_trade_allowed",
            "the EA may not trade",
            "tick 'Allow Algo Trading' in the EA's Common tab (chart > Expert Advisors)",
        ),
        (
            "account_trade_allowed",
            "the account may not trade (logged in with the investor password?)",
            "log in with the master password",
        ),
        (
            "account_trade_expert",
            "the broker does not let expert advisors trade this account",
            "ask the broker",
        ),
    )
    off = [(text, fix) for key, text, fix in switches if not info[key]]
    if not off:
        out.append(Line(OK, "algo trading", "allowed (terminal, EA, account, broker)"))
    out += [Line(FAIL, "algo trading", text, fix) for text, fix in off]
    offset_s = (info["server_ms"] - info["gmt_ms"]) / 1000
    zone = round(offset_s / 900) * 900  # broker clocks run on whole quarters of an hour
    sign = "+" if zone >= 0 else "-"
    hours = f"UTC{sign}{abs(zone) // 3600:.0f}:{abs(zone) % 3600 // 60:02.0f}"
    if abs(offset_s - zone) > 2:
        out.append(
            Line(
                WARN,
                "clock",
                f"the broker's server time is {hours}, but the computer's clock is off by "
                f"{offset_s - zone:+.1f} s",
                "synchronise the terminal computer's clock (NTP)",
            )
        )
    else:
        out.append(Line(OK, "clock", f"the broker's server time is {hours} (never taken as UTC)"))
    return out


def _symbol_lines(t: dict[str, Any]) -> list[Line]:
    out = []
    for s in t["strategies"]:
        if s["halted"]:
            out.append(Line(FAIL, f"strategy {s['name']}", s["halted"]))
    for sym, spec in sorted(t["specs"].items()):
        what = f"symbol {sym}"
        out.append(
            Line(
                OK,
                what,
                f"digits {spec['digits']}, tick {spec['tick_size']:g} worth "
                f"{spec['tick_value']:g}, lots {spec['volume_min']:g}..{spec['volume_max']:g} "
                f"step {spec['volume_step']:g}, stops {spec['stops_level']} / freeze "
                f"{spec['freeze_level']} points",
            )
        )
        if not spec["filling_modes"] & (FILLING_FOK | FILLING_IOC):
            out.append(
                Line(
                    FAIL,
                    what,
                    "allows neither fill-or-kill nor immediate-or-cancel filling: market orders "
                    "would be refused (retcode 10030)",
                    "ask the broker, or trade another symbol",
                )
            )
        if spec["trade_mode"] != TRADE_MODE_FULL:
            mode = TRADE_MODES.get(spec["trade_mode"], str(spec["trade_mode"]))
            out.append(Line(FAIL, what, f"the broker allows {mode}", "trade another symbol"))
        if not t["open_now"].get(sym, True):
            out.append(Line(WARN, what, "market closed now (by its trading sessions)"))
    return out


def summary(lines: list[Line]) -> tuple[str, int]:
    """The text to print (and paste into a bug report) and the exit code's verdict: 0 when
    no check failed, 1 otherwise."""
    failed = sum(ln.verdict == FAIL for ln in lines)
    warned = sum(ln.verdict == WARN for ln in lines)
    text = "\n".join(str(ln) for ln in lines)
    text += f"\n{len(lines)} checks: {failed} failed, {warned} warnings"
    return text, 1 if failed else 0


STEP_WAIT_S = 10.0  # how long one trade-test step may take to be answered


def trade_test(ask: Ask, tid: str, symbol: str, real_ok: bool = False) -> list[Line]:
    """The smallest allowed buy on ``symbol``, its SL/TP modified, part of it closed where its
    volume allows, then closed: a line per step (retcode, fill price, slippage, latency).
    Whatever it opened is closed at the end, also after a failed step or Ctrl-C."""
    out: list[Line] = []
    ticket = 0
    try:
        done = _step(ask, tid, "open", f"{symbol}{':real' if real_ok else ''}", out)
        if done is None or done["retcode"] not in (10008, 10009, 10010):
            return out
        ticket = _doctor_ticket(ask, tid, done["client_id"])
        if not ticket:
            out.append(Line(FAIL, "trade open", "filled, but no position came back", ""))
            return out
        for step in ("modify", "partial"):
            _step(ask, tid, step, str(ticket), out)
        if _step(ask, tid, "close", str(ticket), out) is not None:
            ticket = 0
        return out
    finally:
        if ticket and _doctor_ticket(ask, tid, ""):
            ask("doctor", f"trade:close:{tid}:{ticket}")  # never left open, whatever happened
            out.append(Line(WARN, "trade close", f"position {ticket} closed on the way out"))


def _step(ask: Ask, tid: str, step: str, arg: str, out: list[Line]) -> dict[str, Any] | None:
    what = f"trade {step}"
    sent = ask("doctor", f"trade:{step}:{tid}:{arg}")
    if not sent.get("ok"):
        out.append(Line(FAIL, what, f"refused by the brain: {sent.get('error')}"))
        return None
    if "skipped" in sent:
        out.append(Line(NOTE, what, f"skipped: {sent['skipped']}"))
        return None
    deadline = time.monotonic() + STEP_WAIT_S
    while time.monotonic() < deadline:
        t = next(
            x
            for x in ask("doctor", "")["terminals"][tid]["trials"]
            if x["client_id"] == sent["client_id"]
        )
        if t["retcode"] is not None:
            break
        time.sleep(0.05)
    else:
        out.append(Line(FAIL, what, f"no answer within {STEP_WAIT_S:g} s"))
        return None
    if t["retcode"] not in (10008, 10009, 10010):
        out.append(Line(FAIL, what, f"retcode {t['retcode']}: {t.get('text', '')}"))
        return None
    text = f"retcode {t['retcode']}, {t['latency_ms']:.1f} ms order to answer"
    if step in ("open", "partial", "close") and t["price"]:
        sign = 1 if step == "open" else -1  # a buy fills worse above the ask, closes below the bid
        slip = round(sign * (t["price"] - t["quote"]) / t["point"]) + 0  # never "-0"
        text += f", filled at {t['price']:g} (quote {t['quote']:g}, slippage {slip:+.0f} points)"
    out.append(Line(OK, what, text))
    return dict(t)


def _doctor_ticket(ask: Ask, tid: str, client_id: str) -> int:
    """The trade test's position (opened by ``client_id``, or any when "")."""
    for p in ask("doctor", "")["terminals"].get(tid, {}).get("doctor_positions", []):
        if not client_id or p["client_id"] == client_id:
            return int(p["ticket"])
    return 0

"""A brain started on a store earlier brains wrote: fills of two accounts kept apart, the fills
missed while no brain ran asked for on a cold start, and every order row an earlier brain left
open settled (bridge/live/ledger.py, docs/reliability.md)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import zmq

from bridge.config import parse_config
from bridge.core import events as ev
from bridge.data.fixtures import load_fixture
from bridge.persist.store import Store
from bridge.runner import BrainRunner
from bridge.sim.fake_terminal import FakeTerminal
from bridge.wire import auth, codec
from tests.test_recovery import STRATS

SECRET = b"ledger-secret"
T0 = 1767607200000


def runner(db: Path) -> tuple[BrainRunner, Store]:
    store = Store(f"sqlite:///{db}")
    r = BrainRunner(
        parse_config({"strategies": STRATS}),
        SECRET,
        store,
        endpoint="tcp://127.0.0.1:0",
        control_endpoint="",
    )
    r.start_thread()
    return r, store


@pytest.mark.e2e
def test_two_accounts_with_the_same_deal_tickets_keep_every_fill(
    day_fixture: Path, tmp_path: Path
) -> None:
    """Before: fills were de-duplicated by ticket alone; two terminals (two accounts) with
    overlapping tickets lost one account's fills."""
    db = tmp_path / "two.sqlite"
    r, store = runner(db)
    fx = load_fixture(day_fixture)
    terms = [
        FakeTerminal(fx, r.server.endpoint, SECRET, terminal_id=f"t{i}", server=srv)
        for i, srv in ((1, "A-Demo"), (2, "B-Demo"))
    ]
    summaries: list[Any] = [None, None]

    def go(i: int) -> None:
        summaries[i] = terms[i].run(limit=900)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for t in terms:
        t.close()
    r.stop()
    store.close()
    tickets = [{d.ticket for d in s.deals} for s in summaries]
    assert tickets[0] & tickets[1], "the two accounts must share tickets to prove anything"
    con = sqlite3.connect(db)
    stored = {
        acct: {t for (t,) in con.execute("select ticket from deals where account = ?", (acct,))}
        for acct in (f"{fx.account.login}@A-Demo", f"{fx.account.login}@B-Demo")
    }
    assert list(stored.values()) == tickets


# -- a scripted terminal ---------------------------------------------------------------------
class Terminal:
    """The terminal's side of the protocol, by hand: handshake, then frames as told."""

    def __init__(self, endpoint: str, login: int, server: str) -> None:
        self.sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.seq = 0
        self.got: list[Any] = []
        nonce = auth.new_nonce()
        self.send(ev.Hello(codec.PROTOCOL_VERSION, "t", login, 0, server, nonce))
        ch = self.expect(ev.Challenge)
        self.send(ev.Auth(auth.answer_challenge(SECRET, nonce, ch.nonce, ch.proof)))
        self.expect(ev.Welcome)

    def send(self, msg: Any) -> None:
        self.seq += 1
        self.sock.send(codec.encode(msg, self.seq))

    def expect(self, kind: type, ms: int = 5000) -> Any:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            for m in self.got:
                if isinstance(m, kind):
                    self.got.remove(m)
                    return m
            if self.sock.poll(50):
                self.got.append(codec.decode(self.sock.recv())[1])
        raise AssertionError(f"no {kind.__name__} from the brain; got {self.got}")

    def drain(self, ms: int = 300) -> None:
        while self.sock.poll(ms):
            self.got.append(codec.decode(self.sock.recv())[1])


def order_row(account: str, cid: str, state: str) -> dict[str, Any]:
    cmd = ev.OpenCmd(cid, "US100", 0, 0.1, 0.0, 0.0, 0.0, 11, 20, -1, "ema_us100")
    return {
        "account": account,
        "client_id": cid,
        "magic": 11,
        "state": state,
        "command": repr(cmd),
        "time_ms": T0,
    }


def deal(ticket: int, cid: str, time_ms: int) -> ev.Deal:
    return ev.Deal(ticket, 5, 5, cid, "US100", True, 0, 0.1, 21000.0, 0, 0, 0, 11, time_ms, 3)


def newest_states(db: Path) -> dict[str, str]:
    con = sqlite3.connect(db)
    return dict(
        con.execute(
            "select client_id, state from orders o where id = "
            "(select max(id) from orders where client_id = o.client_id)"
        ).fetchall()
    )


def test_a_cold_start_asks_for_the_missed_fills_and_settles_every_open_order_row(
    tmp_path: Path,
) -> None:
    """An earlier brain stopped with two orders in flight (rows ``sent``), then lost its
    checkpoints. Before: the cold start asked for no fill and the rows stayed ``sent`` for
    good."""
    db = tmp_path / "cold.sqlite"
    acct = "7@Srv"
    earlier = Store(f"sqlite:///{db}")
    earlier.audit("deal", {**deal(100, "old-0", T0)._asdict(), "account": acct})
    for cid, state in (("old-1", "sent"), ("old-2", "sent"), ("old-3", "filled")):
        earlier.audit("order", order_row(acct, cid, state))
    earlier.audit("order", order_row("8@Other", "other-1", "sent"))  # another account's
    earlier.close()

    r, store = runner(db)
    try:
        t = Terminal(r.server.endpoint, 7, "Srv")
        since = t.expect(ev.DealsSinceReq)
        assert since.after_ms == T0 - 1  # from the newest fill stored for this account
        t.send(ev.Account(7, 1000.0, 1000.0, 0.0, 1000.0, 100, "USD", True, T0 + 5000))
        t.send(ev.SnapshotEnd(0, 0, 0))
        t.send(deal(100, "old-0", T0))  # known already
        t.send(deal(101, "old-2", T0 + 1000))  # made while no brain ran
        t.send(ev.SnapshotEnd(since.req_id, 0, 0))
        asked = {t.expect(ev.QueryCmd).client_id, t.expect(ev.QueryCmd).client_id}
        assert asked == {"old-1", "old-2"}  # open rows of this account only
        t.send(ev.OrderResult("old-1", 0, 0, 0, 0.0, 0.0, "no record of this client order id"))
        t.send(ev.OrderResult("old-2", 10009, 5, 101, 0.1, 21000.0, "request completed"))
        t.drain()
        assert not any(isinstance(m, ev.QueryCmd) for m in t.got)
        (eng,) = r.server.engines.values()
        assert 101 in eng.seen_deals and not eng.portfolio.positions  # stored, not traded on
        t.sock.close(0)
    finally:
        r.stop()
        store.close()
    con = sqlite3.connect(db)
    assert sorted(con.execute("select account, ticket from deals").fetchall()) == [
        (acct, 100),
        (acct, 101),
    ]
    assert newest_states(db) == {
        "old-1": "never_sent",
        "old-2": "filled",
        "old-3": "filled",
        "other-1": "sent",  # not this terminal's account: not asked about
    }

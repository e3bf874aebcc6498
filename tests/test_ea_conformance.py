"""Executed conformance of the EA's transport and codec.

mql5/Tests/Conformance.mq5 and the EA's include files are rewritten to C++ by
mql5/check/mql5check.py (dynamic arrays as containers), compiled with g++ against
mql5/check/runtime/mql5_runtime.h (sockets on POSIX, strings, arrays, time) and run:
1. the golden vectors of fixtures/protocol encode byte-identically (terminal -> brain frames)
   and decode to the vector's fields (brain -> terminal frames);
2. against the real brain over TCP: the mutual handshake with the secret, state, ticks, an
   order command answered with its result and fill, heartbeats both ways, a reconnect; a
   wrong secret is refused, and a peer that cannot prove the secret gets no AUTH.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import zmq

from bridge.brain.engine import Engine
from bridge.brain.orders import FILLED
from bridge.brain.strategy import Open
from bridge.core import events as ev
from bridge.live.server import BrainServer
from bridge.wire import auth, codec
from bridge.wire.codec import SPEC_FIELDS, canonical_float
from tests.conftest import ROOT
from tests.helpers import Scripted
from tests.mql5_build import build

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
MQL5 = ROOT / "mql5"
SECRET = "conformance-secret"

# terminal -> brain: the MQL5 function and the vector fields in its argument order
ENCODE = {
    "HELLO": ("FrameHello", ["terminal_id", "login", "flags", "server", "nonce"]),
    "AUTH": ("FrameAuth", ["mac"]),
    "HB": ("FrameHeartbeat", ["time_ms"]),
    "TICK": ("FrameTick", ["symbol", "time_ms", "bid", "ask", "last", "volume", "flags"]),
    "HBAR": (
        "FrameHistoryBar",
        ["req_id", "symbol", "time_ms", "open", "high", "low", "close", "tick_volume", "spread"],
    ),
    "HISTEND": ("FrameHistoryEnd", ["req_id", "symbol", "bars", "status"]),
    "TERMINFO": (
        "FrameTerminalInfo",
        [
            "build",
            "connected",
            "trade_allowed",
            "ea_trade_allowed",
            "account_trade_allowed",
            "account_trade_expert",
            "trade_mode",
            "server_ms",
            "gmt_ms",
            "company",
        ],
    ),
    "BAR": (
        "FrameBar",
        ["symbol", "time_ms", "open", "high", "low", "close", "tick_volume", "spread"],
    ),
    "ACCOUNT": (
        "FrameAccount",
        [
            "login",
            "balance",
            "equity",
            "margin",
            "free_margin",
            "leverage",
            "currency",
            "hedging",
            "time_ms",
        ],
    ),
    "POS": (
        "FramePosition",
        [
            "ticket",
            "symbol",
            "is_buy",
            "volume",
            "price_open",
            "sl",
            "tp",
            "magic",
            "profit",
            "swap",
            "time_ms",
            "client_id",
        ],
    ),
    "ORD": (
        "FrameOrder",
        [
            "ticket",
            "client_id",
            "symbol",
            "order_type",
            "volume",
            "price",
            "sl",
            "tp",
            "magic",
            "time_ms",
        ],
    ),
    "DEAL": (
        "FrameDeal",
        [
            "ticket",
            "order",
            "position_id",
            "client_id",
            "symbol",
            "is_buy",
            "entry",
            "volume",
            "price",
            "commission",
            "swap",
            "profit",
            "magic",
            "time_ms",
            "reason",
        ],
    ),
    "CLOSED": ("FrameClosed", ["ticket", "time_ms"]),
    "ORDGONE": ("FrameOrderGone", ["ticket", "state", "time_ms"]),
    "SNAPEND": ("FrameSnapEnd", ["req_id", "positions", "orders"]),
    "SPEC": ("FrameSpec", list(SPEC_FIELDS)),
}
DECODE = {
    "DEALSINCE",
    "HISTREQ",
    "CHALLENGE",
    "WELCOME",
    "ERROR",
    "READY",
    "OPEN",
    "MODIFY",
    "CLOSE",
    "CLOSEBY",
    "CANCEL",
    "QUERY",
    "SNAPREQ",
    "HALT",
}


def literal(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def describe(tag: str, seq: int, f: dict[str, Any]) -> str:
    """What Conformance.mq5's Describe prints for a decoded command with these fields."""
    num = {
        "READY": "upto_seq",
        "SNAPREQ": "req_id",
        "WELCOME": "heartbeat_ms",
        "ERROR": "code",
        "HB": "time_ms",
        "DEALSINCE": "req_id",
        "HISTREQ": "req_id",
    }.get(tag)
    text = {"CHALLENGE": "nonce", "WELCOME": "session", "ERROR": "text", "HALT": "reason"}.get(tag)
    vals = [
        tag,
        str(seq),
        f.get("client_id", ""),
        f.get("symbol", ""),
        str(f.get("order_type", 0)),
        canonical_float(f.get("volume", 0.0)),
        canonical_float(f.get("price", 0.0)),
        canonical_float(f.get("sl", 0.0)),
        canonical_float(f.get("tp", 0.0)),
        str(f.get("magic", 0)),
        str(f.get("deviation", 0)),
        str(f.get("filling", 0)),
        f.get("comment", ""),
        str(f.get("ticket", 0)),
        str(f.get("opposite", 0)),
        str(f[num]) if num else "0",
        f[text] if text else "",
        f.get("version", ""),
        str(f.get("after_ms", f.get("from_ms", 0))),
        f.get("proof", ""),
        str(f.get("to_ms", 0)),
    ]
    return "|".join(vals)


def vectors_mqh() -> tuple[str, int]:
    golden = json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["vectors"]
    lines, n = ["void Vectors(void)", "  {"], 0
    for v in golden:
        tag, f, seq = v["frame"].split("|")[0], v["fields"], v["seq"]
        if tag in ENCODE:
            fn, names = ENCODE[tag]
            args = ", ".join([str(seq), *(literal(f[k]) for k in names)])
            lines.append(f"   Check({fn}({args}), {json.dumps(v['frame'])});")
            n += 1
        if tag == "RESULT":
            body = ", ".join(
                literal(f[k])
                for k in ("client_id", "retcode", "order", "deal", "volume", "price", "text")
            )
            lines.append(
                f"   Check(FrameResult({seq}, ResultBody({body})), {json.dumps(v['frame'])});"
            )
            n += 1
        if tag in DECODE or tag == "HB":
            want = json.dumps(describe(tag, seq, f))
            lines.append(f"   Check(Describe({json.dumps(v['frame'])}), {want});")
            n += 1
    hs = json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["handshake"]
    secret, tn, bn, bp = (
        json.dumps(hs[k]) for k in ("secret", "terminal_nonce", "brain_nonce", "brain_proof")
    )
    lines += [
        f"   Check(BridgeBrainProof({secret}, {tn}, {bn}), {json.dumps(hs['brain_proof'])});",
        f"   Check(BridgeTerminalProof({secret}, {bn}, {tn}), {json.dumps(hs['terminal_proof'])});",
        f'   Check(BridgeSameMac({bp}, {bp}) ? "1" : "0", "1");',
        f'   Check(BridgeSameMac({bp}, {json.dumps(hs["terminal_proof"])}) ? "1" : "0", "0");',
        '   Check(BridgeSameMac("", "") ? "1" : "0", "0");',
    ]
    n += 5
    lines.append("  }")
    return "\n".join(lines) + "\n", n


@pytest.fixture(scope="module")
def conformance_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("conformance")
    shutil.copy(MQL5 / "Tests" / "Conformance.mq5", work / "Conformance.mq5")
    text, n = vectors_mqh()
    assert n >= 30
    (work / "ConformanceVectors.mqh").write_text(text)
    driver = (
        "int main(int argc, char **argv) {\n"
        "  if (argc < 4) return 64;\n"
        '  string mode(argc > 4 ? argv[4] : "");\n'
        "  return ConformanceMain(string(argv[1]), std::atoi(argv[2]), string(argv[3]), mode);\n"
        "}\n"
    )
    return build(work / "Conformance.mq5", "mql5_runtime.h", driver, work, "conformance")


def run(exe: Path, port: int, secret: str = SECRET) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), "127.0.0.1", str(port), secret], capture_output=True, text=True, timeout=60
    )


def test_golden_vectors_are_byte_identical_in_the_ea_codec(conformance_exe: Path) -> None:
    out = run(conformance_exe, 0)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "vectors: 0 mismatch(es)" in out.stdout


def test_the_ea_remembers_executed_ids_across_a_restart(
    conformance_exe: Path, tmp_path: Path
) -> None:
    """mql5/Include/MT5Bridge/Memory.mqh run on Linux: an id remembered before a restart is
    answered after it (an id in flight stays pending: its outcome is unknown, never re-executed);
    the newest ids are kept and the file is compacted to them."""
    out = subprocess.run(
        [str(conformance_exe), "127.0.0.1", "-1", SECRET],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MQL5_FILES": str(tmp_path)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK memory across restart: 5 ids kept" in out.stdout
    kept = (tmp_path / "MT5Bridge" / "executed_conformance.txt").read_text().splitlines()
    assert len(kept) == 5  # the last load compacted the file to the ids it kept
    assert kept[0].startswith("b-5\t") and kept[-1].startswith("b-9\t")


class BuyOnce(Scripted):
    def __init__(self) -> None:
        super().__init__(magic=77)
        self.next = [Open("US100", True, 0.25, sl=20900.0, tp=21200.0, tag="conformance")]


class SlowLink:
    """A TCP proxy between the EA and the brain: what the brain sends reaches the EA one byte
    per write, each chunk 5 ms late and every eighth 120 ms late, so frames arrive split
    anywhere and reads time out in the middle of one."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            brain = socket.create_connection(("127.0.0.1", self.target))
            for s in (client, brain):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pipe, args=(client, brain, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(brain, client, True), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket, slow: bool) -> None:
        n = 0
        try:
            while data := src.recv(65536):
                if not slow:
                    dst.sendall(data)
                    continue
                n += 1
                time.sleep(0.12 if n % 8 == 0 else 0.005)
                for i in range(len(data)):
                    dst.sendall(data[i : i + 1])
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stop = True
        self.listener.close()


@pytest.mark.parametrize("link", ["direct", "slow"])
@pytest.mark.parametrize("transport", ["zmq", "zmtp"])
def test_the_ea_transport_against_the_real_brain(
    conformance_exe: Path, transport: str, link: str
) -> None:
    """The EA's own ZMTP (Zmtp.mqh) against the brain on pyzmq and on the brain's ZMTP, directly
    and through a link that splits and delays what the brain sends."""
    logs: list[tuple[str, dict[str, Any]]] = []
    engines: list[Engine] = []

    def make(tid: str, send: Any) -> Engine:
        engines.append(Engine([BuyOnce()], {}, send, id_prefix="c"))
        return engines[-1]

    srv = BrainServer(
        make,
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET.encode(),
        heartbeat_ms=200,
        on_log=lambda k, d: logs.append((k, d)),
        transport=transport,
    )
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    port = int(srv.endpoint.rsplit(":", 1)[1])
    proxy = SlowLink(port) if link == "slow" else None
    try:
        out = run(conformance_exe, proxy.port if proxy else port)
        refused = run(conformance_exe, proxy.port if proxy else port, "not-the-secret")
    finally:
        if proxy is not None:
            proxy.close()
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
    assert out.returncode == 0, out.stdout + out.stderr
    for line in (
        "OK handshake",
        "OK order",
        "OK heartbeats",
        "OK reconnected; gaps 0 bad frames 0",
    ):
        assert line in out.stdout, out.stdout
    (eng,) = engines  # the reconnect resumed the same engine
    (rec,) = eng.orders.orders.values()
    assert rec.state == FILLED and rec.order_ticket == 777
    assert 777 in eng.portfolio.positions and eng.portfolio.positions[777].volume == 0.25
    assert [k for k, _ in logs].count("terminal_ready") == 2
    warm = [d for k, d in logs if k == "reconciled" and not d["cold"]]
    assert warm and not warm[0]["closed_meanwhile"] and not warm[0]["unexplained"]
    assert srv.stats.bad_frames == 0 and srv.stats.gaps == 0
    assert eng.last_tick["US100"].time_ms == 1767607210000
    # a wrong secret on one side: the brain proves first, so the EA finds out and tells it
    assert refused.returncode == 1 and "did not prove the shared secret" in refused.stdout
    assert srv.stats.refused == 1 and "refused_by_terminal" in [k for k, _ in logs]


def test_the_ea_takes_no_command_from_a_peer_that_cannot_prove_the_secret(
    conformance_exe: Path,
) -> None:
    """Whoever holds the brain's port (while the brain restarts, say) gets a HELLO with the
    EA's fresh nonce. Not knowing the secret, it can only answer with a proof made for another
    nonce (replayed from an earlier session) or a made-up one: the EA sends no AUTH, says why
    in an ERROR frame and in its log, and takes no command."""
    hs = json.loads((ROOT / "fixtures/protocol/golden.json").read_text())["handshake"]
    ctx = zmq.Context.instance()
    for proof in (hs["brain_proof"], "0" * 64, ""):
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        got: list[bytes] = []

        def impostor(
            sock: zmq.Socket[bytes] = sock, proof: str = proof, got: list[bytes] = got
        ) -> None:
            if not sock.poll(10_000):
                return
            ident, hello = sock.recv_multipart()
            got.append(hello)
            challenge = f"CHALLENGE|1|{codec.PROTOCOL_VERSION}|{hs['brain_nonce']}|{proof}".encode()
            sock.send_multipart([ident, challenge])
            if sock.poll(5_000):
                got.append(sock.recv_multipart()[-1])
                # and the commands an impostor would send next, never to be executed
                sock.send_multipart([ident, b"WELCOME|2|s|200"])

        th = threading.Thread(target=impostor)
        th.start()
        out = run(conformance_exe, port)
        th.join(timeout=20)
        sock.close()
        assert out.returncode == 1, out.stdout
        assert "FAIL handshake: the peer at the brain's address did not prove" in out.stdout
        hello = got[0].decode().split("|")
        assert (
            hello[:3] == ["HELLO", "1", codec.PROTOCOL_VERSION] and hello[6] == "Conformance-Demo"
        )
        assert len(hello[7]) == 32 and hello[7] != hs["terminal_nonce"]  # its own, fresh
        (answer,) = got[1:]
        assert answer.startswith(b"ERROR|2|2|the brain's proof failed"), answer


@pytest.mark.parametrize("transport", ["zmq", "zmtp"])
def test_an_ea_replaced_by_another_of_its_terminal_is_told_and_stops(
    conformance_exe: Path, transport: str
) -> None:
    """Two EAs with one terminal id (two charts, or a VPS and a desktop on one login): the newer
    takes the session over, the older gets ERROR code 5 and stops. Before: the brain answered
    the older one's frames with ERROR frames it discarded as duplicates; it streamed into the
    void for good."""
    logs: list[tuple[str, dict[str, Any]]] = []
    srv = BrainServer(
        lambda tid, send: Engine([], {}, send),
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET.encode(),
        on_log=lambda k, d: logs.append((k, d)),
        transport=transport,
    )
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    port = int(srv.endpoint.rsplit(":", 1)[1])
    ea = subprocess.Popen(
        [str(conformance_exe), "127.0.0.1", str(port), SECRET, "replaced"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while "terminal_ready" not in [k for k, _ in logs]:
            assert time.monotonic() < deadline, "the EA never completed its handshake"
            time.sleep(0.02)
        other: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
        other.setsockopt(zmq.LINGER, 0)
        other.connect(srv.endpoint)
        nonce = auth.new_nonce()
        hello = ev.Hello(codec.PROTOCOL_VERSION, "conformance", 4242, 0, "Conformance-Demo", nonce)
        other.send(codec.encode(hello, 1))
        assert other.poll(5000)
        _seq, ch = codec.decode(other.recv())
        mac = auth.answer_challenge(SECRET.encode(), nonce, ch.nonce, ch.proof)
        other.send(codec.encode(ev.Auth(mac), 2))
        assert other.poll(5000) and isinstance(codec.decode(other.recv())[1], ev.Welcome)
        out, _ = ea.communicate(timeout=20)
        other.close(0)
    finally:
        if ea.poll() is None:
            ea.kill()
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
    assert ea.returncode == 0, out
    assert "OK ended: the brain ended the session: replaced by a newer connection" in out
    assert "(code 5) (stops: no reconnect)" in out
    assert "terminal_replaced" in [k for k, _ in logs]


def test_a_slow_call_in_the_ea_is_not_taken_for_a_silent_brain(conformance_exe: Path) -> None:
    """A slow OrderSend or CopyTicks keeps the EA from reading for longer than its silence
    limit; the heartbeats the brain sent meanwhile wait in the socket. Before: the EA checked
    the clock only, dropped a live connection and reconnected."""
    srv = BrainServer(
        lambda tid, send: Engine([], {}, send),
        endpoint="tcp://127.0.0.1:0",
        secret=SECRET.encode(),
        heartbeat_ms=200,
    )
    th = threading.Thread(target=srv.serve, daemon=True)
    th.start()
    port = int(srv.endpoint.rsplit(":", 1)[1])
    try:
        out = subprocess.run(
            [str(conformance_exe), "127.0.0.1", str(port), SECRET, "slowcall"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        srv.stop_event.set()
        th.join(timeout=10)
        srv.close()
    assert out.returncode == 0, out.stdout
    assert "OK a slow call: the frames waiting counted as life; heartbeats" in out.stdout
    assert int(out.stdout.rsplit(" ", 1)[1]) >= 5

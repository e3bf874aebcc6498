from __future__ import annotations

import contextlib
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.core import events as ev
from bridge.wire import codec
from tests.conftest import ROOT

GOLDEN = json.loads((ROOT / "fixtures/protocol/golden.json").read_text())
MALFORMED = json.loads((ROOT / "fixtures/protocol/malformed.json").read_text())["malformed"]


@pytest.mark.parametrize("v", GOLDEN["vectors"], ids=lambda v: v["name"])
def test_golden_vector_decodes_to_its_fields_and_reencodes_byte_identical(v: dict) -> None:
    seq, msg = codec.decode(v["frame"].encode())
    assert seq == v["seq"]
    assert type(msg).__name__ == v["type"]
    if isinstance(msg, ev.SymbolInfo):
        got = {f: getattr(msg.spec, f) for f in codec.SPEC_FIELDS[:-1]}
        got["sessions"] = codec.format_sessions(msg.spec.sessions)
    else:
        got = msg._asdict()
    assert got == v["fields"]
    assert codec.encode(msg, seq) == v["frame"].encode()


def test_golden_vectors_cover_every_frame_type() -> None:
    tags = {v["frame"].split("|")[0] for v in GOLDEN["vectors"]}
    assert tags == set(codec.SCHEMA) | {"SPEC"}


def test_golden_handshake_proofs_are_the_hmacs_of_their_labelled_messages() -> None:
    """The vectors an EA port checks its HMAC code against: each proof is HMAC-SHA256 of its
    labelled message, the brain's and the terminal's differ, and the CHALLENGE and AUTH
    vectors carry them."""
    import hashlib
    import hmac

    from bridge.wire import auth

    h = GOLDEN["handshake"]
    key = h["secret"].encode()
    for who in ("brain", "terminal"):
        want = hmac.new(key, h[f"{who}_proof_message"].encode(), hashlib.sha256).hexdigest()
        assert h[f"{who}_proof"] == want
    tn, bn = h["terminal_nonce"], h["brain_nonce"]
    assert auth.brain_proof(key, tn, bn) == h["brain_proof"] != h["terminal_proof"]
    assert auth.answer_challenge(key, tn, bn, h["brain_proof"]) == h["terminal_proof"]
    with pytest.raises(auth.BrainNotProven):
        auth.answer_challenge(b"another secret", tn, bn, h["brain_proof"])
    frames = {v["name"]: v["frame"] for v in GOLDEN["vectors"]}
    assert frames["challenge"].endswith(f"|{bn}|{h['brain_proof']}")
    assert frames["auth"] == f"AUTH|2|{h['terminal_proof']}"


def test_a_hello_of_protocol_1_is_read_so_that_its_version_can_be_refused() -> None:
    _seq, msg = codec.decode(b"HELLO|1|1.0|old-ea|5012345|0")
    assert msg == ev.Hello("1.0", "old-ea", 5012345, 0, "", "")


@pytest.mark.parametrize("v", MALFORMED, ids=lambda v: v["name"])
def test_malformed_frame_is_refused_with_a_reason(v: dict) -> None:
    with pytest.raises(codec.FrameError) as err:
        codec.decode(v["frame"].encode())
    assert v["error"] in str(err.value)


def test_text_fields_cannot_break_framing() -> None:
    frame = codec.encode(ev.OrderResult("c-1", 10006, 0, 0, 0.0, 0.0, "a|b\nc"), 1)
    assert codec.decode(frame)[1].text == "a b c"


def test_non_finite_numbers_are_not_encoded() -> None:
    with pytest.raises(codec.FrameError):
        codec.encode(ev.Tick("X", 1, math.nan, 1.0), 1)


@pytest.mark.parametrize(
    ("x", "s"),
    [
        (1.0, "1"),
        (0.1, "0.1"),
        (-0.0, "0"),
        (1e-9, "0"),
        (21475.98, "21475.98"),
        (-65.92, "-65.92"),
        (1.14569, "1.14569"),
    ],
)
def test_canonical_float(x: float, s: str) -> None:
    assert codec.canonical_float(x) == s


prices = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).map(lambda x: round(x, 5))
symbols = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._#", min_size=1, max_size=12)


@given(symbols, st.integers(0, 2**62), prices, prices, st.integers(0, 10**9), st.integers(0, 2**31))
def test_tick_round_trip(sym: str, t: int, bid: float, ask: float, vol: int, seq: int) -> None:
    tick = ev.Tick(sym, t, bid, ask, 0.0, vol, 6)
    assert codec.decode(codec.encode(tick, seq)) == (seq, tick)


@given(
    symbols,
    st.integers(0, 5),
    prices.filter(lambda p: p > 0),
    prices,
    prices,
    st.integers(1, 2**40),
    st.text(alphabet="abc xyz-_", max_size=20),
)
def test_open_command_round_trip(
    sym: str, ot: int, vol: float, sl: float, tp: float, magic: int, comment: str
) -> None:
    cmd = ev.OpenCmd("c-1", sym, ot, vol, 0.0, sl, tp, magic, 20, -1, comment)
    assert codec.decode(codec.encode(cmd, 9)) == (9, cmd)


@given(
    st.text(max_size=12),
    st.text(max_size=12),
    st.integers(-5, 9),
    prices,
    prices,
    prices,
    prices,
    st.integers(0, 2**40),
    st.integers(0, 1000),
    st.integers(-1, 2),
    st.text(max_size=20),
    st.integers(0, 2**31),
)
def test_open_command_fast_path_writes_the_generic_encoding(
    cid: str,
    sym: str,
    ot: int,
    vol: float,
    price: float,
    sl: float,
    tp: float,
    magic: int,
    dev: int,
    filling: int,
    comment: str,
    seq: int,
) -> None:
    cmd = ev.OpenCmd(cid, sym, ot, vol, price, sl, tp, magic, dev, filling, comment)
    assert codec.encode(cmd, seq) == codec.encode_fields("OPEN", codec.SCHEMA["OPEN"][1], cmd, seq)


@given(st.binary(max_size=200))
def test_decoder_never_fails_other_than_frame_error(data: bytes) -> None:
    with contextlib.suppress(codec.FrameError):
        codec.decode(data)

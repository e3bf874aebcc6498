"""The EA under the static MQL5 check (mql5/check: MQL5 rewritten to C++, checked by g++
against stub declarations of the MQL5 runtime), and the checker's own self-tests."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

MQL5 = ROOT / "mql5"
CHECK = MQL5 / "check" / "mql5check.py"
pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")


def test_checker_self_tests_pass() -> None:
    out = subprocess.run(
        [sys.executable, str(MQL5 / "check" / "tests" / "run_tests.py")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "0 failed" in out.stdout


@pytest.mark.parametrize(
    "source",
    sorted(
        p.relative_to(MQL5).as_posix()
        for p in [
            *MQL5.glob("Experts/*.mq5"),
            *MQL5.glob("Include/**/*.mqh"),
            MQL5 / "Tests" / "ExecutorRun.mq5",  # Conformance.mq5 needs its generated vectors
            MQL5 / "Tests" / "HistoryRun.mq5",
        ]
    ),
)
def test_every_ea_file_passes_the_check_with_werror(source: str) -> None:
    out = subprocess.run(
        [sys.executable, str(CHECK), "--werror", "-I", str(MQL5 / "Include"), str(MQL5 / source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "OK (0 error(s), 0 warning(s))" in out.stdout + out.stderr


def test_the_check_fails_on_a_broken_include(tmp_path: object) -> None:
    from pathlib import Path

    inc = Path(str(tmp_path)) / "Include" / "MT5Bridge"
    shutil.copytree(MQL5 / "Include" / "MT5Bridge", inc)
    codec = inc / "Codec.mqh"
    codec.write_text(
        codec.read_text().replace("cmd.seq = StringToInteger(parts[1]);", "cmd.seq = undeclared_x;")
    )
    out = subprocess.run(
        [
            sys.executable,
            str(CHECK),
            "--werror",
            "-I",
            str(inc.parent),
            str(MQL5 / "Experts" / "MT5Bridge.mq5"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0 and "undeclared_x" in out.stdout + out.stderr


def test_the_ea_codec_covers_every_frame_type() -> None:
    """The EA builds every terminal -> brain frame type and decodes every brain -> terminal one
    (field order and bytes are for the executed conformance check)."""
    from bridge.wire.codec import SCHEMA

    text = (MQL5 / "Include" / "MT5Bridge" / "Codec.mqh").read_text()
    for tag in (
        "HELLO",
        "AUTH",
        "HB",
        "TICK",
        "BAR",
        "ACCOUNT",
        "POS",
        "ORD",
        "DEAL",
        "RESULT",
        "CLOSED",
        "SNAPEND",
    ):
        assert tag in SCHEMA and f'"{tag}|"' in text, tag
    assert '"SPEC|"' in text
    for tag in (
        "OPEN",
        "MODIFY",
        "CLOSE",
        "CLOSEBY",
        "CANCEL",
        "QUERY",
        "SNAPREQ",
        "HALT",
        "CHALLENGE",
        "WELCOME",
        "ERROR",
    ):
        assert f'cmd.tag == "{tag}"' in text, tag

"""``mt5bridge run`` stops cleanly on SIGINT and SIGTERM: the serve loop is asked to stop, and the
store writes everything queued before the process exits."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bridge.cli import stop_on_signals


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_sigint_sets_the_stop_event_and_the_second_raises() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    try:
        stop_on_signals(stop)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the handler runs in the main thread between bytecodes
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        stop.clear()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.01)
        assert stop.is_set()
    finally:
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_stops_on_the_signal_and_writes_its_journal_to_the_database(
    tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "audit.sqlite"
    cfg = tmp_path / "brain.toml"
    cfg.write_text(
        f'[brain]\nendpoint = "tcp://127.0.0.1:{_free_port()}"\n'
        f'control_endpoint = "tcp://127.0.0.1:{_free_port()}"\n'
        f'secret_env = "RUN_SECRET"\n[store]\nurl = "sqlite:///{db}"\n'
    )
    log = tmp_path / "brain.log"
    with log.open("wb") as fh:
        brain = subprocess.Popen(
            [sys.executable, "-m", "bridge.cli", "run", "--config", str(cfg)],
            env={**os.environ, "RUN_SECRET": "s3cret"},
            stdout=fh,
            stderr=fh,
        )
    try:
        deadline = time.monotonic() + 60
        while "brain listening" not in log.read_text() and time.monotonic() < deadline:
            assert brain.poll() is None, log.read_text()
            time.sleep(0.05)
        assert "brain listening" in log.read_text()
        brain.send_signal(signum)
        assert brain.wait(timeout=30) == 0, log.read_text()
    finally:
        if brain.poll() is None:
            brain.kill()
    assert not list(tmp_path.glob("mt5bridge-journal-*.jsonl")), "the journal was not written"
    con = sqlite3.connect(db)
    (runs,) = con.execute("select count(*) from runs").fetchone()
    assert runs == 1

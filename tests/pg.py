"""A throw-away PostgreSQL cluster on loopback for the store's tests (skipped when PostgreSQL or
the rights to start it are missing)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    cands = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return cands[-1] if cands else None


class Cluster:
    def __init__(self) -> None:
        initdb, self.pg_ctl = _bin("initdb"), _bin("pg_ctl")
        if initdb is None or self.pg_ctl is None:
            pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            if (
                shutil.which("runuser") is None
                or subprocess.run(["id", "postgres"], capture_output=True).returncode
            ):
                pytest.skip("running as root without a 'postgres' user to start PostgreSQL as")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.dir = Path(tempfile.mkdtemp(prefix="mt5bridge-pg-"))
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        out = subprocess.run(
            [*self.as_user, initdb, "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            pytest.skip(f"initdb failed: {out.stderr[-300:]}")
        self.start()
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as con:
            con.execute("CREATE DATABASE mt5bridge_test")

    def url(self, db: str = "mt5bridge_test", driver: bool = False) -> str:
        prefix = "postgresql+psycopg" if driver else "postgresql"
        return f"{prefix}://postgres@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [
                *self.as_user,
                self.pg_ctl,
                "-D",
                str(self.dir / "data"),
                "-o",
                opts,
                "-l",
                str(self.dir / "log"),
                "-w",
                "start",
            ],
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, self.pg_ctl, "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"],
            check=True,
            capture_output=True,
        )


def cluster_fixture() -> Iterator[Cluster]:
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()
        shutil.rmtree(c.dir, ignore_errors=True)

"""Fuzz targets for the loaders of untrusted input, shared by the hypothesis tests
(tests/test_fuzz_inputs.py) and the long atheris run (bench/fuzz_atheris.py).

Each target takes raw bytes, feeds them to one loader through a file, and returns normally when
the loader either accepted the input or refused it with its own error (ConfigError,
FixtureError: a message naming the file and what is wrong). Any other exception is a defect and
propagates.
"""

from __future__ import annotations

import contextlib
import gzip
import tempfile
from collections.abc import Callable
from pathlib import Path

from bridge.config import ConfigError, load_config
from bridge.data.fixtures import DEMO_FIXTURE, FixtureError, load_fixture, read_bars
from bridge.data.mt5csv import read_mt5_csv

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="mt5bridge-fuzz-"))


def seeds() -> dict[str, bytes]:
    """A valid input per target, the starting point of mutations."""
    demo = DEMO_FIXTURE
    bars = gzip.decompress((demo / "US100_M1.csv.gz").read_bytes()).splitlines()[:40]
    return {
        "config": (ROOT / "configs" / "live.example.toml").read_bytes(),
        "fixture": (demo / "fixture.toml").read_bytes(),
        "bars": b"\n".join(bars) + b"\n",
        "mt5csv": (
            b"<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
            b"2026.01.05\t09:00:00\t21000.5\t21003.0\t20999.0\t21001.0\t57\t0\t12\n"
            b"2026.01.05\t09:01:00\t21001.0\t21004.5\t21000.0\t21004.0\t61\t0\t12\n"
        ),
    }


def config(data: bytes) -> None:
    path = _TMP / "config.toml"
    path.write_bytes(data)
    with contextlib.suppress(ConfigError):
        load_config(path)


def fixture(data: bytes) -> None:
    folder = _TMP / "fixture"
    folder.mkdir(exist_ok=True)
    demo = DEMO_FIXTURE
    for name in ("US100_M1.csv.gz", "SPX500_M1.csv.gz", "XAUUSD_M1.csv.gz"):
        link = folder / name
        if not link.exists():
            link.symlink_to(demo / name)
    (folder / "fixture.toml").write_bytes(data)
    with contextlib.suppress(FixtureError):
        load_fixture(folder)


def bars(data: bytes) -> None:
    path = _TMP / "bars.csv"
    path.write_bytes(data)
    with contextlib.suppress(FixtureError):
        read_bars(path, "US100")


def mt5csv(data: bytes) -> None:
    path = _TMP / "export.csv"
    path.write_bytes(data)
    with contextlib.suppress(FixtureError):
        read_mt5_csv(path)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "config": config,
    "fixture": fixture,
    "bars": bars,
    "mt5csv": mt5csv,
}

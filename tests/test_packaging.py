"""The package outside the repository: built as a wheel, installed into a folder of its own and
run from another folder, it finds its demo fixture; paths in a config are taken from the
config file's folder, not the working folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.data.fixtures import DEMO_FIXTURE
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package as pip installs it from a wheel (dependencies from this environment)."""
    work = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = work.glob("mt5bridge-*.whl")
    site = work / "site"
    inst = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert inst.returncode == 0, inst.stderr[-3000:]
    return site


def cli(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_the_installed_package_backtests_its_demo_from_any_folder(
    installed: Path, tmp_path: Path
) -> None:
    """Before: the demo fixture was not packaged and a relative fixture path resolved against
    site-packages."""
    where = subprocess.run(
        [sys.executable, "-c", "import bridge; print(bridge.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
    )
    assert where.stdout.startswith(str(installed)), where.stdout  # not the repository's copy
    out = cli(installed, tmp_path, "backtest", "--out", "o")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "o" / "trades.csv").exists() and "trades=" in out.stdout
    # the page's chart library comes with the package (the report is drawn offline)
    assert "TradingView Lightweight Charts" in (tmp_path / "o" / "report.html").read_text()
    # ... and the dashboard's page, script and style
    static = installed / "bridge" / "dashboard" / "static"
    for name in ("dashboard.html", "login.html", "app.js", "login.js", "style.css"):
        assert (static / name).is_file(), name


def test_paths_in_a_config_are_relative_to_the_config_file(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(DEMO_FIXTURE, folder / "data" / "mine")
    (folder / "my.toml").write_text(
        '[replay]\nfixture = "data/mine"\n[store]\nurl = "sqlite:///audit.sqlite"\n'
        '[[strategies]]\nkind = "ema_cross"\nname = "e"\nmagic = 1\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = cli(installed, elsewhere, "backtest", "--config", str(folder / "my.toml"), "--out", "o")
    assert out.returncode == 0, out.stderr
    (folder / "bad.toml").write_text('[replay]\nfixture = "data/nothing"\n')
    bad = cli(installed, elsewhere, "backtest", "--config", str(folder / "bad.toml"), "--out", "o")
    assert bad.returncode == 2 and str(folder / "data" / "nothing") in bad.stderr

"""Building MQL5 test programs for Linux: the file and its includes rewritten to C++ by
mql5/check/mql5check.py, compiled with a C++ driver against one of the Linux runtimes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import ROOT

MQL5 = ROOT / "mql5"


def build(main_file: Path, runtime: str, driver: str, work: Path, name: str) -> Path:
    """``runtime``: a header of mql5/check/runtime; ``driver``: the C++ main. Returns the
    executable; the compiler's output when it fails."""
    spec = importlib.util.spec_from_file_location("mql5check", MQL5 / "check" / "mql5check.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (work / "driver.cpp").write_text(driver)
    exe = work / name
    ok, out = mod.build_executable(
        str(main_file),
        [str(MQL5 / "Include")],
        str(MQL5 / "check" / "runtime" / runtime),
        str(work / "driver.cpp"),
        str(exe),
    )
    assert ok, out[-4000:]
    return exe

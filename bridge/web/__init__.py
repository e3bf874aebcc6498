"""Static assets of the project's pages, shipped inside the package so the pages work offline:
TradingView's Lightweight Charts (the npm package's standalone build, version in
``LIGHTWEIGHT_CHARTS_VERSION``, Apache License 2.0 in ``vendor/LICENSE-lightweight-charts``).
Imports nothing of the project."""

from __future__ import annotations

from functools import cache
from importlib import resources

LIGHTWEIGHT_CHARTS_VERSION = "5.3.0"
_VENDOR = "vendor"


@cache
def lightweight_charts_js() -> str:
    """The standalone build (it defines ``window.LightweightCharts``), its licence header kept."""
    return (
        resources.files(__name__)
        .joinpath(_VENDOR, "lightweight-charts.standalone.production.js")
        .read_text(encoding="utf-8")
    )

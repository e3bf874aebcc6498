"""The MetaTrader5 Python package (Windows) and mt5linux (the same API over RPyC to a Python beside
a terminal under Wine): history download into fixtures, and a terminal adapter that plays the
EA's part for the brain over the package. Neither package is imported at module level: only when
a download or an adapter starts (``package.load``). Imports bridge.core, bridge.wire and
bridge.data."""

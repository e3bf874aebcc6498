"""Strategies: pure classes on the bridge.strategy API (no I/O, no wall clock)."""

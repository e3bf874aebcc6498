"""Strategies: pure classes on the bridge.brain.strategy API (no I/O, no wall clock)."""

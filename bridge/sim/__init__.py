"""Broker simulator, simulated and fake terminals. Imports core, wire, brain, data."""

"""Store, plan tables, journal, checkpoints, frame log, recovery. Imports core, wire, brain."""

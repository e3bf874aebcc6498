"""Live I/O: server, terminal sessions, control, recorder. Imports core, wire, brain, persist."""

"""Market data in: fixtures, intrabar path, generator, MT5 CSV. Imports core, wire."""

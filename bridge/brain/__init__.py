"""Pure trading core: engine, strategy API, orders, risk, portfolio. Imports bridge.core only."""

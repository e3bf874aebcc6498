"""A trading venue other than MetaTrader 5, reached through CCXT's unified API (the ``ccxt``
package, an optional extra: imported only when a venue terminal starts), played as a terminal:
it speaks the EA's protocol to the brain, so strategies, the risk gate, the order manager,
reconciliation, the store and the dashboard work unchanged.

``markets``: CCXT's markets, fills, positions and balances as the project's events; ``connect``:
the exchange instances, credentials from the environment; ``stream``: prices and the account's
fills over the exchange's WebSocket (ccxt.pro) on a thread of their own; ``terminal``: the
terminal itself. Imports bridge.core and bridge.wire."""

"""mt5bridge: the brain that trades a MetaTrader 5 account through a thin EA."""

__version__ = "0.1.0"

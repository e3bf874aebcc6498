"""mt5bridge: the brain that trades a MetaTrader 5 account through a thin EA.

The strategy API, the stable import path for strategies of your own::

    from bridge import Strategy, Context, Open, Close, ev

(defined in bridge/brain/strategy.py and bridge/core/events.py). The package layout and the
imports each part may make are in docs/architecture.md.
"""

from bridge.brain.strategy import (
    NO_INTENTS,
    Cancel,
    Close,
    CloseBy,
    Context,
    Intent,
    Intents,
    Modify,
    Open,
    Record,
    Rejection,
    SetTimer,
    Strategy,
    Target,
)
from bridge.core import events as ev
from bridge.core.symbols import SymbolSpec

__version__ = "0.1.0"
__all__ = [
    "NO_INTENTS",
    "Cancel",
    "Close",
    "CloseBy",
    "Context",
    "Intent",
    "Intents",
    "Modify",
    "Open",
    "Record",
    "Rejection",
    "SetTimer",
    "Strategy",
    "SymbolSpec",
    "Target",
    "ev",
]

"""Symbol aliases: strategies keep their own symbol names (``US100``) across brokers that name
the instrument otherwise (``US100.cash``, ``NAS100``, ``USTEC``). The brain renames what a
terminal sends into the strategies' names and what it sends back into the broker's names, so
strategies, books and reports speak one name while each terminal keeps its own."""

from __future__ import annotations

import dataclasses
from typing import Any

from bridge.core.symbols import SymbolSpec


class SymbolAliases:
    """``to_broker``: the strategies' name -> the broker's name (one broker name per alias)."""

    __slots__ = ("to_broker", "to_ours")

    def __init__(self, to_broker: dict[str, str]) -> None:
        ours: dict[str, str] = {}
        for alias, broker in to_broker.items():
            if broker in ours:
                raise ValueError(
                    f"aliases {ours[broker]!r} and {alias!r} both name the broker's {broker!r}"
                )
            ours[broker] = alias
        self.to_broker = dict(to_broker)
        self.to_ours = ours

    def __bool__(self) -> bool:
        return bool(self.to_broker)

    def ours(self, broker_symbol: str) -> str:
        return self.to_ours.get(broker_symbol, broker_symbol)

    def broker(self, symbol: str) -> str:
        return self.to_broker.get(symbol, symbol)

    def inbound(self, msg: Any) -> Any:
        """A decoded frame with the broker's symbol name -> the same with the strategies'."""
        sym = getattr(msg, "symbol", None)
        if sym is not None:
            ours = self.to_ours.get(sym)
            return msg if ours is None else msg._replace(symbol=ours)
        spec = getattr(msg, "spec", None)
        if isinstance(spec, SymbolSpec) and spec.symbol in self.to_ours:
            return msg._replace(spec=dataclasses.replace(spec, symbol=self.to_ours[spec.symbol]))
        return msg

    def outbound(self, cmd: Any) -> Any:
        """A command naming the strategies' symbol -> the same naming the broker's."""
        sym = getattr(cmd, "symbol", None)
        if sym is not None and sym in self.to_broker:
            return cmd._replace(symbol=self.to_broker[sym])
        return cmd

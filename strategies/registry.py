"""Strategy kinds a config may name, and how each is built from its [strategies.params]."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from bridge.brain.strategy import Strategy
from strategies.compression import Compression, CompressionParams
from strategies.ema_cross import EmaCross, EmaCrossParams
from strategies.range_breakout import RangeBreakout
from strategies.range_breakout_params import RangeBreakoutParams
from strategies.two_bucket import TwoBucket, TwoBucketParams

Factory = Callable[[dict[str, Any], int, str], Strategy]


def _ema_cross(params: dict[str, Any], magic: int, name: str) -> Strategy:
    return EmaCross(EmaCrossParams(**params), magic=magic, name=name)


def _range_breakout(params: dict[str, Any], magic: int, name: str) -> Strategy:
    return RangeBreakout(RangeBreakoutParams(**params), magic=magic, name=name)


def _compression(params: dict[str, Any], magic: int, name: str) -> Strategy:
    if "adopt_tickets" in params:
        params = {**params, "adopt_tickets": tuple(params["adopt_tickets"])}
    return Compression(CompressionParams(**params), magic=magic, name=name)


def _two_bucket(params: dict[str, Any], magic: int, name: str) -> Strategy:
    return TwoBucket(TwoBucketParams(**params), magic=magic, name=name)


KINDS: dict[str, tuple[Factory, type]] = {
    "two_bucket": (_two_bucket, TwoBucketParams),
    "compression": (_compression, CompressionParams),
    "ema_cross": (_ema_cross, EmaCrossParams),
    "range_breakout": (_range_breakout, RangeBreakoutParams),
}


def build(kind: str, params: dict[str, Any], magic: int, name: str) -> Strategy:
    """Build one strategy; errors name the kind and the bad parameter."""
    if kind not in KINDS:
        raise ValueError(f"unknown strategy kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    factory, ptype = KINDS[kind]
    allowed = {f.name for f in dataclasses.fields(ptype)}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"{kind}: unknown parameter(s) {unknown}; allowed: {sorted(allowed)}")
    try:
        return factory(params, magic, name)
    except TypeError as exc:
        raise ValueError(f"{kind}: {exc}") from exc

"""The search space: which strategy parameters vary and how, what is optimised, under which
constraints. A TOML file, checked against the config's strategies and their parameter classes;
an error names the file and the key.

    objectives = ["maximize net_profit", "minimize max_drawdown_pct"]
    constraints = ["trades >= 30"]
    seed = 7

    [params.us100_breakout]              # a strategy's name in the config
    sl_pct = { low = 0.2, high = 1.0, step = 0.1 }
    range_duration_min = { low = 30, high = 120, step = 15 }
    htf_filter = { choices = [true, false] }
"""

from __future__ import annotations

import dataclasses
import math
import operator
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config import Config
from bridge.report_html import METRICS
from strategies.registry import resolve

# what a trial reports (report.json's top level) and may be optimised or constrained: METRICS
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Dist:
    """One parameter's values: a range (``step``: a grid of them; ints step 1 by default) or
    choices."""

    kind: str  # "int", "float" or "choice"
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def grid(self) -> list[Any]:
        """Every value (the complete search needs a step or choices)."""
        if self.kind == "choice":
            return list(self.choices)
        step = self.step or (1 if self.kind == "int" else None)
        if step is None:
            raise ValueError("a float range needs a step for the grid sampler")
        n = math.floor((self.high - self.low) / step + 1e-9) + 1
        vals = [self.low + i * step for i in range(n)]
        return [round(v) if self.kind == "int" else round(v, 10) for v in vals]


@dataclass(frozen=True)
class Constraint:
    metric: str
    op: str
    value: float

    def ok(self, m: dict[str, Any]) -> bool:
        v = m.get(self.metric)
        return v is not None and OPS[self.op](float(v), self.value)

    def violation(self, m: dict[str, Any]) -> float:
        """0 when met (Optuna's convention: <= 0 is feasible), else how far off (> 0)."""
        v = m.get(self.metric)
        if v is None:
            return 1.0
        return 0.0 if self.ok(m) else abs(float(v) - self.value) + 1e-9


@dataclass(frozen=True)
class Space:
    objectives: tuple[tuple[str, str], ...]  # (direction, metric)
    constraints: tuple[Constraint, ...]
    params: dict[str, dict[str, Dist]]  # strategy name -> parameter -> its values
    seed: int

    def names(self) -> list[str]:
        """``strategy.param`` for each parameter (its name in trials.csv and in Optuna)."""
        return [f"{s}.{k}" for s, ps in self.params.items() for k in ps]

    def dist(self, name: str) -> Dist:
        s, _, k = name.partition(".")
        return self.params[s][k]


def load_space(path: Path | str, cfg: Config) -> Space:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    return parse_space(raw, cfg, str(path))


def parse_space(raw: dict[str, Any], cfg: Config, where: str = "space") -> Space:
    unknown = set(raw) - {"objectives", "constraints", "params", "seed"}
    if unknown:
        raise ValueError(
            f"{where}: unknown keys {sorted(unknown)} (objectives, constraints, params, seed)"
        )
    objectives = tuple(_objective(o, f"{where}: objectives") for o in raw.get("objectives", []))
    if not objectives:
        raise ValueError(f'{where}: objectives: give at least one, e.g. ["maximize net_profit"]')
    constraints = tuple(_constraint(c, f"{where}: constraints") for c in raw.get("constraints", []))
    seed = raw.get("seed", 1)
    if type(seed) is not int:
        raise ValueError(f"{where}: seed: must be an integer, got {seed!r}")
    by_name = {s.name: s for s in cfg.strategies}
    params: dict[str, dict[str, Dist]] = {}
    for name, table in (raw.get("params") or {}).items():
        key = f"{where}: params.{name}"
        if name not in by_name:
            raise ValueError(
                f"{key}: no strategy of that name in the config "
                f"(it has {', '.join(sorted(by_name)) or 'none'})"
            )
        if not isinstance(table, dict) or not table:
            raise ValueError(
                f"{key}: give the parameters to vary, e.g. sl_pct = {{ low = 0.2, "
                "high = 1.0, step = 0.1 }"
            )
        _cls, ptype = resolve(by_name[name].kind)
        fields = {f.name for f in dataclasses.fields(ptype)}
        hints = typing.get_type_hints(ptype)
        params[name] = {}
        for pkey, spec in table.items():
            if pkey not in fields:
                raise ValueError(
                    f"{key}.{pkey}: {by_name[name].kind} has no such parameter "
                    f"(it has {', '.join(sorted(fields))})"
                )
            params[name][pkey] = _dist(spec, hints.get(pkey), f"{key}.{pkey}")
    if not params:
        raise ValueError(f"{where}: params: no parameter to vary ([params.STRATEGY] tables)")
    return Space(objectives, constraints, params, seed)


def _objective(text: Any, key: str) -> tuple[str, str]:
    parts = str(text).split()
    if len(parts) != 2 or parts[0] not in ("maximize", "minimize") or parts[1] not in METRICS:
        raise ValueError(
            f"{key}: {text!r}: write 'maximize METRIC' or 'minimize METRIC' with a "
            f"metric of {', '.join(METRICS)}"
        )
    return parts[0], parts[1]


def _constraint(text: Any, key: str) -> Constraint:
    parts = str(text).split()
    try:
        metric, op, value = parts
        if metric not in METRICS or op not in OPS:
            raise ValueError
        return Constraint(metric, op, float(value))
    except ValueError:
        raise ValueError(
            f"{key}: {text!r}: write 'METRIC >= VALUE' (or <=, >, <) with a metric "
            f"of {', '.join(METRICS)}"
        ) from None


def _dist(spec: Any, hint: Any, key: str) -> Dist:
    if not isinstance(spec, dict):
        raise ValueError(f"{key}: give {{ low, high[, step] }} or {{ choices = [...] }}")
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"} or not isinstance(choices, list) or not choices:
            raise ValueError(f"{key}: choices must be a non-empty list, alone")
        return Dist("choice", choices=tuple(choices))
    if set(spec) - {"low", "high", "step"} or not {"low", "high"} <= set(spec):
        raise ValueError(f"{key}: give low and high (and a step), or choices")
    if hint is bool or hint is str:
        raise ValueError(f"{key}: a {hint.__name__} parameter takes choices, not a range")
    low, high, step = spec["low"], spec["high"], spec.get("step")
    for name, v in (("low", low), ("high", high), ("step", step)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
            raise ValueError(f"{key}: {name} must be a number, got {v!r}")
    if low >= high:
        raise ValueError(f"{key}: low ({low}) must be below high ({high})")
    if step is not None and not 0 < step <= high - low:
        raise ValueError(f"{key}: step ({step}) must be above 0 and at most high - low")
    is_int = hint is int
    if is_int and not all(isinstance(v, int) for v in (low, high, step or 1)):
        raise ValueError(f"{key}: an integer parameter takes whole numbers")
    return Dist(
        "int" if is_int else "float", float(low), float(high), None if step is None else float(step)
    )

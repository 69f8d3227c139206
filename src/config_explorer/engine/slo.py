"""Service-level objectives on TTFT, ITL and E2E latency, and checking estimates against them.

Constraints come from keyword arguments (``max_ttft_ms=300``) or from llm-optimizer's string
syntax: ``metric[:stat]OPvalue[unit]`` joined by ``;``, e.g. ``ttft:p95<300ms;itl<20ms``.
``metric`` is ``ttft``, ``itl``, ``tpot`` (each request's time per output token, as MLPerf bounds it)
or ``e2e_latency`` (``e2e``); ``stat`` is ``mean`` (default),
``median``/``p50``, ``p95`` or ``p99``; ``OP`` is one of ``< <= > >= == !=``; the unit is ``ms``
(default) or ``s``. How the engine derives percentiles is described in
:mod:`config_explorer.engine.serving`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Final

import attrs

from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import InvalidArgumentError, ParseError

__all__ = ["SLOConstraint", "check_slos", "constraints_from_kwargs", "parse_slo_constraints"]

_OPS: Final[dict[str, Callable[[float, float], bool]]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_METRICS: Final[dict[str, str]] = {
    "ttft": "ttft",
    "itl": "itl",
    "e2e": "e2e",
    "e2e_latency": "e2e",
    "tpot": "tpot",
}
_STATS: Final[dict[str, str]] = {
    "mean": "mean",
    "avg": "mean",
    "median": "p50",
    "p50": "p50",
    "p95": "p95",
    "p99": "p99",
}
_PATTERN = re.compile(
    r"^\s*(?P<metric>[a-z_0-9]+)\s*(?::\s*(?P<stat>[a-z0-9]+))?\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<value>[0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*(?P<unit>ms|s)?\s*$",
    re.IGNORECASE,
)


@attrs.frozen
class SLOConstraint:
    """One bound on one latency statistic; ``value_ms`` is always in milliseconds."""

    metric: str  # ttft | itl | e2e
    stat: str  # mean | p50 | p95 | p99
    op: str
    value_ms: float

    def __attrs_post_init__(self) -> None:
        if self.metric not in ("ttft", "itl", "tpot", "e2e"):
            raise InvalidArgumentError(f"SLO metric {self.metric!r}; accepted: ttft, itl, tpot, e2e")
        if self.stat not in ("mean", "p50", "p95", "p99"):
            raise InvalidArgumentError(f"SLO statistic {self.stat!r}; accepted: mean, median/p50, p95, p99")
        if self.op not in _OPS:
            raise InvalidArgumentError(f"SLO operator {self.op!r}; accepted: {' '.join(_OPS)}")
        if not self.value_ms > 0:
            raise InvalidArgumentError(f"SLO bound must be positive, got {self.value_ms!r} ms")

    def observed_ms(self, estimate: PerformanceEstimate) -> float | None:
        """The statistic this constraint bounds, read off ``estimate`` (ms), or None if absent."""
        if self.metric == "e2e":
            name = "e2e_latency_s" if self.stat == "mean" else f"e2e_latency_{self.stat}_s"
            value = getattr(estimate, name)
            return None if value is None else value * 1e3
        name = f"{self.metric}_ms" if self.stat == "mean" else f"{self.metric}_{self.stat}_ms"
        result: float | None = getattr(estimate, name)
        if result is None and self.metric == "tpot":
            # a backend without per-request TPOT (llm-optimizer) is judged on its inter-token latency
            result = getattr(estimate, name.replace("tpot", "itl"))
        return result

    def violation(self, estimate: PerformanceEstimate) -> str | None:
        """Why ``estimate`` breaks this constraint, or None when it meets it."""
        observed = self.observed_ms(estimate)
        if observed is None:
            return f"{self} cannot be checked: the estimate has no {self.metric} {self.stat}"
        if _OPS[self.op](observed, self.value_ms):
            return None
        return f"{self.metric} {self.stat} {observed:.1f} ms does not satisfy {self.op} {self.value_ms:g} ms"

    def __str__(self) -> str:
        return f"{self.metric}:{self.stat}{self.op}{self.value_ms:g}ms"


def parse_slo_constraints(text: str) -> list[SLOConstraint]:
    """Parse llm-optimizer's constraint syntax (``ttft:p95<300ms;itl<20ms``)."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"SLO constraints must be a string, got {text!r}")
    constraints = []
    for part in (p for p in text.split(";") if p.strip()):
        match = _PATTERN.match(part)
        if not match:
            raise ParseError(
                f"cannot read SLO constraint {part.strip()!r}; expected metric[:stat]OPvalue[unit] such as "
                "'ttft:p95<300ms' (metrics ttft, itl, tpot, e2e_latency; stats mean, median, p95, p99; units ms, s)"
            )
        metric = _METRICS.get(match["metric"].lower())
        stat = _STATS.get((match["stat"] or "mean").lower())
        if metric is None or stat is None:
            raise ParseError(
                f"unknown metric or statistic in {part.strip()!r}; metrics: ttft, itl, tpot, e2e_latency; "
                "statistics: mean, median, p95, p99"
            )
        scale = 1000.0 if (match["unit"] or "ms").lower() == "s" else 1.0
        constraints.append(SLOConstraint(metric, stat, match["op"], float(match["value"]) * scale))
    return constraints


def constraints_from_kwargs(
    *,
    constraints: str | Sequence[SLOConstraint] | None = None,
    max_ttft_ms: float | None = None,
    max_itl_ms: float | None = None,
    max_e2e_latency_s: float | None = None,
    percentile: str = "mean",
) -> list[SLOConstraint]:
    """Merge a constraint string or list with ``max_*`` keyword bounds (applied to ``percentile``)."""
    out: list[SLOConstraint] = []
    if isinstance(constraints, str):
        out.extend(parse_slo_constraints(constraints))
    elif constraints:
        out.extend(constraints)
    stat = _STATS.get(percentile.lower())
    if stat is None:
        raise InvalidArgumentError(f"percentile {percentile!r}; accepted: mean, median, p95, p99")
    for metric, value, scale in (
        ("ttft", max_ttft_ms, 1.0),
        ("itl", max_itl_ms, 1.0),
        ("e2e", max_e2e_latency_s, 1e3),
    ):
        if value is not None:
            out.append(SLOConstraint(metric, stat, "<=", float(value) * scale))
    return out


def check_slos(estimate: PerformanceEstimate, constraints: Iterable[SLOConstraint]) -> list[str]:
    """Every way ``estimate`` misses ``constraints`` (empty when it meets them all)."""
    return [v for c in constraints if (v := c.violation(estimate)) is not None]

"""Concurrency sweeps: best-latency and best-throughput points and the throughput/latency frontier."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from config_explorer.engine.records import PerformanceEstimate, SweepResult

__all__ = ["DEFAULT_LEVELS", "optimal_concurrency", "pareto_frontier", "sweep"]

#: 1, 2, 4, ... 1024, as upstream llm-optimizer and vLLM benchmark sweeps use
DEFAULT_LEVELS: tuple[int, ...] = tuple(2**i for i in range(11))


def pareto_frontier(points: Sequence[PerformanceEstimate]) -> tuple[PerformanceEstimate, ...]:
    """Points that no other point beats on both output throughput (higher) and E2E latency (lower)."""
    usable = [
        p for p in points if p.ok and p.output_throughput_tok_s is not None and p.e2e_latency_s is not None
    ]
    usable.sort(key=lambda p: (p.e2e_latency_s, -(p.output_throughput_tok_s or 0.0)))
    frontier: list[PerformanceEstimate] = []
    best = -1.0
    for p in usable:
        tput = p.output_throughput_tok_s or 0.0
        if tput > best:
            frontier.append(p)
            best = tput
    return tuple(frontier)


def optimal_concurrency(points: Sequence[PerformanceEstimate], threshold: float = 0.05) -> int | None:
    """The smallest concurrency whose output throughput is within ``threshold`` of the sweep's best.

    Past it, more requests in flight buy little throughput and cost latency (the knee of the curve).
    """
    usable = [p for p in points if p.ok and p.output_throughput_tok_s]
    if not usable:
        return None
    best = max(p.output_throughput_tok_s or 0.0 for p in usable)
    return min(p.concurrency for p in usable if (p.output_throughput_tok_s or 0.0) >= (1 - threshold) * best)


def sweep(
    estimate_at: Callable[[int], PerformanceEstimate],
    levels: Sequence[int] = DEFAULT_LEVELS,
    *,
    include_kv_limit: bool = True,
) -> SweepResult:
    """Estimate at each concurrency in ``levels`` (plus the KV-cache limit) and summarise.

    ``estimate_at(c)`` returns the record at concurrency ``c``; levels past the KV-cache limit are
    still estimated (requests then queue), so the frontier shows where throughput stops growing.
    """
    points = [estimate_at(c) for c in sorted(set(levels))]
    if include_kv_limit and points and points[0].ok and points[0].max_concurrency_kv:
        limit = points[0].max_concurrency_kv
        if limit not in {p.concurrency for p in points}:
            points.append(estimate_at(limit))
            points.sort(key=lambda p: p.concurrency)
    ok = [p for p in points if p.ok]
    best_latency = min(ok, key=lambda p: p.e2e_latency_s or float("inf"), default=None)
    best_throughput = max(ok, key=lambda p: p.output_throughput_tok_s or 0.0, default=None)
    knee = optimal_concurrency(ok)
    points = [attrs.evolve(p, optimal_concurrency=knee) for p in points]
    frontier = pareto_frontier(points)
    if best_latency is not None:
        best_latency = attrs.evolve(best_latency, optimal_concurrency=knee)
    if best_throughput is not None:
        best_throughput = attrs.evolve(best_throughput, optimal_concurrency=knee)
    return SweepResult(
        points=tuple(points),
        best_latency=best_latency,
        best_throughput=best_throughput,
        optimal_concurrency=knee,
        pareto_frontier=frontier,
    )

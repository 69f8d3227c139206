"""Latency statistics as benchmark clients report them: a mean and percentiles of a (weighted) sample."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import attrs

__all__ = ["PERCENTILES", "Stats", "weighted_percentile"]

#: the percentiles every record carries
PERCENTILES = (0.5, 0.9, 0.95, 0.99)


@attrs.frozen
class Stats:
    """Mean and percentiles of one metric (units as the field it belongs to)."""

    mean: float
    p50: float
    p90: float
    p95: float
    p99: float

    @classmethod
    def of(cls, values: Sequence[float], weights: Sequence[float] | None = None) -> Stats:
        w = weights if weights is not None else [1.0] * len(values)
        total = sum(w)
        mean = sum(v * x for v, x in zip(values, w)) / total
        pct = weighted_percentile(values, w, PERCENTILES)
        return cls(mean, *pct)

    def shifted(self, seconds: float) -> Stats:
        """Every statistic plus ``seconds`` (a constant added to every sample)."""
        return Stats(
            self.mean + seconds,
            self.p50 + seconds,
            self.p90 + seconds,
            self.p95 + seconds,
            self.p99 + seconds,
        )


def weighted_percentile(
    values: Sequence[float], weights: Sequence[float], quantiles: Sequence[float]
) -> tuple[float, ...]:
    """Percentiles of a weighted sample (linear between the midpoints of each value's weight)."""
    if weights and min(weights) == max(weights) > 0:
        return _even_percentile(sorted(values), quantiles)
    pairs = sorted(zip(values, weights))
    total = sum(w for _, w in pairs)
    mids: list[float] = []
    acc = 0.0
    for _, w in pairs:
        mids.append((acc + w / 2) / total)
        acc += w
    out = []
    for q in quantiles:
        i = bisect.bisect_left(mids, q)
        if i == 0:
            out.append(pairs[0][0])
        elif i >= len(pairs):
            out.append(pairs[-1][0])
        else:
            lo, hi = mids[i - 1], mids[i]
            frac = (q - lo) / (hi - lo) if hi > lo else 0.0
            out.append(pairs[i - 1][0] + frac * (pairs[i][0] - pairs[i - 1][0]))
    return tuple(out)


def _even_percentile(ordered: Sequence[float], quantiles: Sequence[float]) -> tuple[float, ...]:
    """:func:`weighted_percentile` of a sample whose values weigh the same (sorted ``ordered``): the ``k``-th value's
    midpoint sits at ``(k + 0.5) / n``, so each quantile's neighbours are found by arithmetic, not a search."""
    n = len(ordered)
    out = []
    for q in quantiles:
        x = q * n - 0.5  # the quantile's place, in values
        if x <= 0.0:
            out.append(ordered[0])
        elif x >= n - 1:
            out.append(ordered[-1])
        else:
            i = int(x)
            out.append(ordered[i] + (x - i) * (ordered[i + 1] - ordered[i]))
    return tuple(out)

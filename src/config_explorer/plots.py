"""Throughput-per-GPU vs latency frontier plots (optional: needs the ``plot`` extra, matplotlib)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from config_explorer._files import PATH_QUOTE_CHARS, quote, write_with
from config_explorer.errors import InvalidArgumentError

if TYPE_CHECKING:
    from config_explorer.recommender.recommend import RecommendationResult

__all__ = ["plot_frontier"]


def plot_frontier(results: Sequence[RecommendationResult], path: str | Path) -> Path:
    """Scatter every ranked candidate (E2E latency vs output tok/s per GPU), one series per GPU type,
    the Pareto frontier as a line and the pick marked; one panel per model."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise InvalidArgumentError("--plot needs matplotlib: pip install 'config-explorer[plot]'") from exc
    fig, axes = plt.subplots(1, len(results), figsize=(7 * len(results), 5), squeeze=False)
    for ax, result in zip(axes[0], results):
        series: dict[str, list[tuple[float, float]]] = {}
        points = []
        for c in result.ranked:
            e = c.estimate
            if e is None or e.e2e_latency_s is None or e.output_throughput_tok_s_per_gpu is None:
                continue
            series.setdefault(c.gpu, []).append((e.e2e_latency_s, e.output_throughput_tok_s_per_gpu))
            points.append((e.e2e_latency_s, e.output_throughput_tok_s_per_gpu))
        for gpu, xy in sorted(series.items()):
            ax.scatter([p[0] for p in xy], [p[1] for p in xy], label=gpu, s=18)
        frontier, best = [], -1.0
        for x, y in sorted(points):
            if y > best:
                frontier.append((x, y))
                best = y
        if frontier:
            ax.plot(
                [p[0] for p in frontier],
                [p[1] for p in frontier],
                color="black",
                linewidth=1,
                label="Pareto frontier",
            )
        pick = result.best
        if pick is not None and pick.estimate is not None and pick.estimate.e2e_latency_s is not None:
            ax.scatter(
                [pick.estimate.e2e_latency_s],
                [pick.estimate.output_throughput_tok_s_per_gpu],
                marker="*",
                s=250,
                color="red",
                label=f"pick: {pick.num_gpus} x {pick.gpu} tp={pick.tp}",
                zorder=5,
            )
        ax.set_xlabel("E2E latency (s)")
        ax.set_ylabel("output tokens/s per GPU")
        ax.set_title(
            f"{result.model_id}\n{result.input_length} in / {result.output_length} out, by {result.metric}"
        )
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()

    def save(temporary: Path) -> None:
        try:
            fig.savefig(temporary, dpi=110)
        except ValueError as exc:  # a suffix matplotlib has no writer for
            raise InvalidArgumentError(
                f"cannot write the plot to {quote(os.fspath(path), PATH_QUOTE_CHARS)}: {str(exc)[:160]}"
            ) from exc

    try:
        return write_with(path, save, what="the plot")
    finally:
        plt.close(fig)

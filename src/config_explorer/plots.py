"""The throughput/interactivity frontier of a recommendation: what each GPU type's best layout gives per GPU
at each speed a user sees (optional: drawing the PNG needs the ``plot`` extra, matplotlib).

Why this picture: it is the one serving benchmarks publish (output tokens/s per GPU against tokens/s per
user, i.e. 1000 / the mean time per output token). Moving along a curve is turning one knob, the
requests in flight; a TPOT or ITL bound is a vertical line, and everything left of it is too slow for the
user. Each curve is a concurrency sweep of one layout with the native engine's analytic model
(microseconds a point); the operating point the recommender judged is marked on it.

:func:`frontier_curves` and :func:`slo_lines` compute what is drawn, without matplotlib, so that
:mod:`config_explorer.html_report` draws the same curves as inline SVG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from config_explorer._files import PATH_QUOTE_CHARS, quote, write_with
from config_explorer.engine.records import layout_text
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError

if TYPE_CHECKING:
    from config_explorer.engine.records import PerformanceEstimate
    from config_explorer.recommender.recommend import Candidate, RecommendationResult

__all__ = [
    "SERIES_COLOURS",
    "SERIES_DASHES",
    "SERIES_MARKERS",
    "FrontierCurve",
    "FrontierPoint",
    "SLOLine",
    "SeriesStyle",
    "frontier_curves",
    "frontier_figure",
    "plot_frontier",
    "series_style",
    "slo_lines",
    "undrawn_slos",
]

#: requests in flight per replica at which each curve is estimated: 1 to 1024 in steps of sqrt(2), dense
#: enough that the polyline follows the curve's knee (the engine's ``max_num_seqs`` and KV cache cap it)
SWEEP_LEVELS_PER_REPLICA: Final = tuple(sorted({round(2 ** (k / 2)) for k in range(21)}))

#: ten colours far apart (matplotlib's tab10), seven markers and four dash patterns; series ``i`` takes
#: colour ``i % 10``, marker ``i % 7`` and dashes ``(i // 10) % 4``, so no two of the first 70 series
#: share both colour and marker, and series ten apart also differ in line style
SERIES_COLOURS: Final = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
#: matplotlib's marker codes: circle, square, triangle up, diamond, triangle down, filled plus, filled x
SERIES_MARKERS: Final = ("o", "s", "^", "D", "v", "P", "X")
#: on/off lengths in line widths (empty: solid), as matplotlib's dash tuples and SVG's dasharray take them
SERIES_DASHES: Final[tuple[tuple[float, ...], ...]] = ((), (5.0, 2.0), (1.0, 1.5), (6.0, 2.0, 1.0, 2.0))


@attrs.frozen
class SeriesStyle:
    """How one curve is drawn: a colour (``#rrggbb``), a matplotlib marker code, a dash pattern."""

    colour: str
    marker: str
    dashes: tuple[float, ...]


def series_style(index: int) -> SeriesStyle:
    """The colour, marker and dash pattern of the ``index``-th curve (0 for the best GPU type)."""
    return SeriesStyle(
        SERIES_COLOURS[index % len(SERIES_COLOURS)],
        SERIES_MARKERS[index % len(SERIES_MARKERS)],
        SERIES_DASHES[(index // len(SERIES_COLOURS)) % len(SERIES_DASHES)],
    )


@attrs.frozen(kw_only=True)
class FrontierPoint:
    """One point of a curve: a deployment at ``concurrency`` requests in flight (all replicas together)."""

    concurrency: int
    #: 1000 / mean TPOT (or mean ITL where the backend gives no TPOT): the speed one user sees
    tok_s_per_user: float
    output_tok_s_per_gpu: float


@attrs.frozen(kw_only=True)
class FrontierCurve:
    """A concurrency sweep of one GPU type's best layout, and the operating point the recommender chose."""

    rank: int | None
    gpu: str
    num_gpus: int
    tp: int
    pp: int
    #: the sweep, by concurrency (empty when the layout could not be estimated again)
    points: tuple[FrontierPoint, ...]
    #: the point the recommendation judged (simulated for the leaders), or None when it has no figures
    operating_point: FrontierPoint | None
    #: expert-parallel ranks and attention groups per stage (MoE layouts)
    ep: int = 1
    dp_attention: int = 1

    @property
    def label(self) -> str:
        """``#1 H100 SXM x8 TP8`` (``PP`` added when the layout has pipeline stages)."""
        rank = "" if self.rank is None else f"#{self.rank} "
        return f"{rank}{self.gpu} x{self.num_gpus} " + layout_text(
            self.tp, self.pp, self.ep, self.dp_attention
        )


@attrs.frozen(kw_only=True)
class SLOLine:
    """A TPOT or ITL bound drawn as a vertical line at ``tok_s_per_user`` (= 1000 / bound in ms)."""

    tok_s_per_user: float
    label: str


def _point(estimate: PerformanceEstimate | None) -> FrontierPoint | None:
    if estimate is None or not estimate.ok:
        return None
    per_token_ms = estimate.tpot_ms or estimate.itl_ms
    per_gpu = estimate.output_throughput_tok_s_per_gpu
    if not per_token_ms or per_token_ms <= 0 or per_gpu is None:
        return None
    return FrontierPoint(
        concurrency=estimate.concurrency, tok_s_per_user=1000.0 / per_token_ms, output_tok_s_per_gpu=per_gpu
    )


def _best_per_gpu_type(result: RecommendationResult) -> list[Candidate]:
    """The first-ranked layout of each GPU type (``ranked`` holds every layout with ``all_layouts``)."""
    seen: set[str] = set()
    best = []
    for candidate in result.ranked:
        if candidate.gpu not in seen:
            seen.add(candidate.gpu)
            best.append(candidate)
    return best


def frontier_curves(result: RecommendationResult) -> tuple[FrontierCurve, ...]:
    """One curve per GPU type's best ranked layout, in rank order: the layout estimated at 1 to 1024
    requests per replica (up to its ``max_num_seqs`` and KV-cache limit) with the analytic serving model,
    at the request lengths and engine settings of the recommendation.

    A model or GPU that cannot be resolved again (a config given as a dict, a GPU spec not registered)
    leaves that curve with its operating point only.
    """
    from config_explorer.recommender.performance import resolve_model

    try:
        model: Any = resolve_model(result.model_id)
    except ConfigExplorerError:
        model = None
    curves = []
    for candidate in _best_per_gpu_type(result):
        operating = _point(candidate.estimate)
        points = () if model is None else _sweep(model, candidate, result)
        curves.append(
            FrontierCurve(
                rank=candidate.rank,
                gpu=candidate.gpu,
                num_gpus=candidate.num_gpus,
                tp=candidate.tp,
                pp=candidate.pp,
                ep=candidate.ep,
                dp_attention=candidate.dp_attention,
                points=points,
                operating_point=operating,
            )
        )
    return tuple(curves)


def _sweep(model: Any, candidate: Candidate, result: RecommendationResult) -> tuple[FrontierPoint, ...]:
    from config_explorer.recommender.performance import estimate_performance

    judged = candidate.estimate
    settings: dict[str, Any] = {}
    if judged is not None:  # the engine settings the recommendation used, so the curve passes its point
        settings = {
            "precision": judged.precision or None,
            "kv_precision": judged.kv_precision or None,
            "engine": judged.engine,
            "max_model_len": judged.max_model_len,
            "max_num_seqs": judged.max_num_seqs,
            "max_num_batched_tokens": judged.max_num_batched_tokens,
        }
    replicas = max(candidate.replicas, 1)

    def at(concurrency: int) -> PerformanceEstimate | None:
        try:
            return estimate_performance(
                model,
                candidate.gpu,
                candidate.num_gpus,
                candidate.tp,
                result.input_length,
                result.output_length,
                backend=result.backend or "native",
                concurrency=concurrency,
                pipeline_parallel_size=candidate.pp,
                expert_parallel_size=candidate.ep,
                dp_attention=candidate.dp_attention,
                serving_model="analytic",
                speculative=result.speculative,
                prefix=result.prefix,
                **settings,
            )
        except ConfigExplorerError:
            return None

    first = at(replicas)
    if first is None or not first.ok:
        return ()
    # past the engine's sequence cap or the KV cache, more requests only queue: the curve stops there
    limits = [
        limit
        for limit in (first.max_concurrency_kv, (first.max_num_seqs or 0) * replicas)
        if limit and limit >= replicas
    ]
    cap = min(limits) if limits else replicas * SWEEP_LEVELS_PER_REPLICA[-1]
    levels = {replicas * level for level in SWEEP_LEVELS_PER_REPLICA if replicas * level <= cap}
    levels.add(cap)
    if candidate.concurrency is not None and candidate.concurrency <= cap:
        levels.add(candidate.concurrency)
    found = [_point(first)]
    found += [_point(at(c)) for c in sorted(levels - {replicas})]
    return tuple(sorted((p for p in found if p is not None), key=lambda p: p.concurrency))


def slo_lines(result: RecommendationResult) -> tuple[SLOLine, ...]:
    """The result's upper bounds on TPOT or ITL, as vertical lines on the tokens/s-per-user axis.

    The curves show means; a bound on a percentile (p99) is met a little right of its line, which is
    why the judged operating point can sit right of it.
    """
    lines = []
    for constraint in result.constraints:
        if constraint.metric in ("tpot", "itl") and constraint.op in ("<", "<="):
            lines.append(SLOLine(tok_s_per_user=1000.0 / constraint.value_ms, label=str(constraint)))
    return tuple(lines)


def undrawn_slos(result: RecommendationResult) -> tuple[str, ...]:
    """The result's SLOs that are not lines on these axes (TTFT, E2E, lower bounds)."""
    drawn = {line.label for line in slo_lines(result)}
    return tuple(str(c) for c in result.constraints if str(c) not in drawn)


#: the tokens/s-per-GPU axis: logarithmic, so that a catalog's slowest GPUs (tens of tok/s per GPU) stay
#: readable beside its fastest (thousands)
Y_SCALE: Final = "log"


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a clear error naming the ``plot`` extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise InvalidArgumentError("--plot needs matplotlib: pip install 'config-explorer[plot]'") from exc
    return plt


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` to ``path`` atomically (its suffix picks the format) and close it; returns the path."""
    plt = pyplot()

    def save(temporary: Path) -> None:
        try:
            fig.savefig(temporary, dpi=110, bbox_inches="tight")
        except ValueError as exc:  # a suffix matplotlib has no writer for
            raise InvalidArgumentError(
                f"cannot write the plot to {quote(os.fspath(path), PATH_QUOTE_CHARS)}: {str(exc)[:160]}"
            ) from exc

    try:
        return write_with(path, save, what="the plot")
    finally:
        plt.close(fig)


def frontier_figure(results: Sequence[RecommendationResult]) -> Any:
    """A matplotlib ``Figure`` with each result's frontier, one panel per model stacked, each legend outside
    its axes (for notebooks; :func:`plot_frontier` writes it to a file). Needs matplotlib."""
    plt = pyplot()
    from matplotlib.lines import Line2D

    results = list(results)
    if not results:
        raise InvalidArgumentError("the frontier plot needs at least one recommendation result, got none")
    all_curves = [frontier_curves(r) for r in results]
    # each panel tall enough for its legend: a row per curve, per SLO line and the operating point's
    heights = [max(5.0, 1.2 + 0.24 * (len(curves) + 3)) for curves in all_curves]
    fig, axes = plt.subplots(
        len(results),
        1,
        figsize=(11, sum(heights)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
    )
    for ax, result, curves in zip(axes[:, 0], results, all_curves):
        _draw_panel(ax, result, curves, Line2D)
    fig.tight_layout()
    return fig


def plot_frontier(results: Sequence[RecommendationResult], path: str | Path) -> Path:
    """Draw :func:`frontier_figure` of ``results`` into ``path`` (its suffix picks the format: .png, .svg,
    .pdf), written atomically; returns the path. Needs matplotlib."""
    return save_figure(frontier_figure(results), path)


def _draw_panel(ax: Any, result: RecommendationResult, curves: Sequence[FrontierCurve], line2d: Any) -> None:
    for index, curve in enumerate(curves):
        style = series_style(index)
        xs = [p.tok_s_per_user for p in curve.points]
        ys = [p.output_tok_s_per_gpu for p in curve.points]
        (line,) = ax.plot(
            xs,
            ys,
            color=style.colour,
            marker=style.marker,
            markersize=4.5,
            linewidth=1.4,
            label=curve.label,
        )
        if style.dashes:
            line.set_dashes(style.dashes)
        if curve.operating_point is not None:
            ax.plot(
                [curve.operating_point.tok_s_per_user],
                [curve.operating_point.output_tok_s_per_gpu],
                linestyle="none",
                marker="*",
                markersize=15,
                color=style.colour,
                markeredgecolor="black",
                markeredgewidth=0.8,
                zorder=5,
                label="_nolegend_",
            )
    for slo in slo_lines(result):
        ax.axvline(slo.tok_s_per_user, color="black", linestyle="--", linewidth=1.2, label=f"SLO {slo.label}")
        ax.axvspan(0, slo.tok_s_per_user, color="0.85", alpha=0.35, zorder=0, label="_nolegend_")
    if any(curve.operating_point is not None for curve in curves):
        handles, labels = ax.get_legend_handles_labels()
        handles.append(
            line2d(
                [],
                [],
                linestyle="none",
                marker="*",
                markersize=12,
                color="white",
                markeredgecolor="black",
            )
        )
        labels.append("operating point (judged)")
    else:
        handles, labels = ax.get_legend_handles_labels()
    ax.set_xlim(left=0)
    if Y_SCALE == "log" and any(curve.points or curve.operating_point for curve in curves):
        ax.set_yscale("log")
    ax.set_xlabel("tokens/s per user (1000 / mean TPOT)")
    ax.set_ylabel("output tokens/s per GPU")
    other = undrawn_slos(result)
    ax.set_title(
        f"{result.model_id}: {result.input_length} in / {result.output_length} out tokens, "
        f"{len(curves)} GPU types' best layouts swept over concurrency"
        + (f"\nnot on these axes: {', '.join(other)}" if other else ""),
        fontsize=10,
    )
    if not curves:
        ax.text(
            0.5,
            0.5,
            "no layout met the SLOs: nothing to draw",
            transform=ax.transAxes,
            ha="center",
            va="center",
        )
    ax.grid(True, which="both", alpha=0.25)
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)

"""The frontier: curves computed without matplotlib, and the figure drawn with it (skipped when absent)."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

import attrs
import pytest

from config_explorer.errors import InvalidArgumentError
from config_explorer.plots import (
    SERIES_COLOURS,
    SERIES_MARKERS,
    SWEEP_LEVELS_PER_REPLICA,
    frontier_curves,
    series_style,
    slo_lines,
    undrawn_slos,
)
from config_explorer.recommender import RecommendationResult
from config_explorer.recommender import recommend_gpus as _recommend_gpus

needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="the plot extra (matplotlib) is not installed"
)


def recommend_gpus(*args: Any, **kwargs: Any) -> RecommendationResult:
    """The native engine's answer whatever else is installed (``auto`` would pick llm-optimizer for a
    dense model when it is importable; these pictures are checked against the native engine's curves)."""
    return _recommend_gpus(*args, **{"backend": "native", **kwargs})


@pytest.fixture(scope="module")
def chat() -> RecommendationResult:
    """Qwen3-8B chat at 5 req/s on three GPU types: one ranked row per type, the chat preset's SLOs."""
    return recommend_gpus(
        "Qwen/Qwen3-8B",
        workload="chat",
        gpus=["H100", "L40S", "A100"],
        max_gpus=2,
        target_requests_per_s=5,
    )


@pytest.fixture(scope="module")
def unmet() -> RecommendationResult:
    """A TTFT bound no GPU meets: nothing ranked."""
    return recommend_gpus("Qwen/Qwen3-8B", workload="chat", gpus=["H100", "L40S"], max_gpus=2, max_ttft_ms=5)


def test_one_curve_per_gpu_type_in_rank_order(chat: RecommendationResult) -> None:
    curves = frontier_curves(chat)
    assert [c.gpu for c in curves] == [c.gpu for c in chat.ranked]
    assert [c.rank for c in curves] == [1, 2, 3]
    best = chat.ranked[0]
    assert curves[0].label == f"#1 {best.gpu} x{best.num_gpus} TP{best.tp}"


def test_a_curve_is_a_concurrency_sweep_along_the_frontier(chat: RecommendationResult) -> None:
    for curve in frontier_curves(chat):
        assert len(curve.points) >= 10
        concurrencies = [p.concurrency for p in curve.points]
        assert concurrencies == sorted(set(concurrencies))
        assert concurrencies[0] == 1  # one replica: the sweep starts at one request in flight
        # more requests in flight: slower for each user, more tokens per GPU (until the curve flattens)
        speeds = [p.tok_s_per_user for p in curve.points]
        per_gpu = [p.output_tok_s_per_gpu for p in curve.points]
        assert speeds == sorted(speeds, reverse=True)
        # (a batch just past a captured CUDA-graph size runs padded to the next one: its step costs that size's,
        # so the tokens per GPU may dip by a little there before rising again)
        assert all(later >= 0.98 * earlier for earlier, later in itertools.pairwise(per_gpu))
        assert per_gpu[-1] > per_gpu[0]


def test_the_operating_point_sits_on_its_curve(chat: RecommendationResult) -> None:
    for candidate, curve in zip(chat.ranked, frontier_curves(chat)):
        point = curve.operating_point
        assert point is not None and point.concurrency == candidate.concurrency
        assert candidate.estimate is not None and candidate.estimate.tpot_ms is not None
        assert point.tok_s_per_user == pytest.approx(1000 / candidate.estimate.tpot_ms)
        # the sweep passes through the operating concurrency; the judged point is simulated, the sweep
        # analytic, so they agree to a few percent
        swept = next(p for p in curve.points if p.concurrency == point.concurrency)
        assert swept.output_tok_s_per_gpu == pytest.approx(point.output_tok_s_per_gpu, rel=0.15)
        assert swept.tok_s_per_user == pytest.approx(point.tok_s_per_user, rel=0.15)


def test_replicas_sweep_in_steps_of_the_replica_count(chat: RecommendationResult) -> None:
    """A layout of two TP1 replicas is swept at 2, 4, 6, ... requests: the same per-GPU figures as one."""
    two = recommend_gpus(
        "Qwen/Qwen3-8B", workload="chat", gpus=["H100"], num_gpus=2, metric="throughput_per_gpu"
    )
    layout = next(c for c in two.ranked if c.tp == 1)
    curve = frontier_curves(attrs.evolve(two, ranked=(layout,)))[0]
    assert all(p.concurrency % 2 == 0 for p in curve.points if p.concurrency != layout.concurrency)
    assert curve.points[0].concurrency == 2
    single = next(c for c in frontier_curves(chat) if c.gpu == layout.gpu)
    assert curve.points[0].output_tok_s_per_gpu == pytest.approx(single.points[0].output_tok_s_per_gpu)


def test_sweep_levels_run_from_1_to_1024_in_steps_of_about_sqrt_2() -> None:
    levels = SWEEP_LEVELS_PER_REPLICA
    assert levels[0] == 1 and levels[-1] == 1024 and list(levels) == sorted(set(levels))
    assert all(1.3 <= b / a <= 1.5 for a, b in itertools.pairwise(levels[1:]))  # 1 -> 2 aside


def test_all_layouts_still_draws_one_curve_per_gpu_type() -> None:
    result = recommend_gpus("Qwen/Qwen3-8B", workload="chat", gpus=["H100"], max_gpus=4, all_layouts=True)
    assert len(result.ranked) > 1
    curves = frontier_curves(result)
    assert len(curves) == 1 and curves[0].rank == 1


def test_a_model_that_cannot_be_loaded_again_keeps_its_operating_points(chat: RecommendationResult) -> None:
    curves = frontier_curves(attrs.evolve(chat, model_id="nobody/no-such-model"))
    assert len(curves) == 3
    assert all(c.points == () and c.operating_point is not None for c in curves)


def test_nothing_ranked_draws_no_curve(unmet: RecommendationResult) -> None:
    assert unmet.ranked == () and frontier_curves(unmet) == ()


def test_a_tpot_bound_is_a_vertical_line_at_1000_over_the_bound(chat: RecommendationResult) -> None:
    lines = slo_lines(chat)
    assert [(line.tok_s_per_user, line.label) for line in lines] == [(25.0, "tpot:p99<=40ms")]
    assert undrawn_slos(chat) == ("ttft:p99<=500ms",)


def test_an_itl_bound_is_drawn_and_a_lower_bound_is_not() -> None:
    result = recommend_gpus(
        "Qwen/Qwen3-8B", gpus=["H100"], max_gpus=1, constraints="itl:p95<=20ms;ttft>1ms", workload="chat"
    )
    assert [line.label for line in slo_lines(result)] == ["itl:p95<=20ms"]
    assert slo_lines(result)[0].tok_s_per_user == pytest.approx(50.0)
    assert "ttft:mean>1ms" in undrawn_slos(result)


def test_no_two_of_the_first_seventy_series_look_alike() -> None:
    styles = [series_style(i) for i in range(70)]
    assert len({(s.colour, s.marker) for s in styles}) == 70
    assert len(set(SERIES_COLOURS)) == 10 and len(set(SERIES_MARKERS)) == 7
    # series ten apart share a colour: their line style differs too
    assert all(styles[i].dashes != styles[i + 10].dashes for i in range(30))


# -------------------------------------------------------------------------------------------- matplotlib
@needs_matplotlib
def test_the_figure_has_a_labelled_curve_per_gpu_type_and_the_slo_line(chat: RecommendationResult) -> None:
    import matplotlib.pyplot as plt

    from config_explorer.plots import frontier_figure

    fig = frontier_figure([chat])
    try:
        (ax,) = fig.axes
        curves = frontier_curves(chat)
        labelled = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert [line.get_label() for line in labelled] == [c.label for c in curves] + ["SLO tpot:p99<=40ms"]
        for line, curve in zip(labelled, curves):
            assert len(line.get_xdata()) == len(curve.points)
        slo = labelled[-1]
        assert list(slo.get_xdata()) == [25.0, 25.0]  # vertical: the same x at both ends
        stars = [line for line in ax.get_lines() if line.get_marker() == "*"]
        assert len(stars) == len(curves)
        legend = ax.get_legend()
        texts = [t.get_text() for t in legend.get_texts()]
        assert texts[-1] == "operating point (judged)" and texts[0].startswith("#1 ")
        # the legend sits outside the axes, to their right
        assert legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1
        assert ax.get_yscale() == "log"
        assert "tokens/s per user" in ax.get_xlabel() and "per GPU" in ax.get_ylabel()
        assert "ttft:p99<=500ms" in ax.get_title()  # the SLO the axes cannot show is named
        # no two curves drawn alike
        looks = {(line.get_color(), line.get_marker(), line.get_linestyle()) for line in labelled[:-1]}
        assert len(looks) == len(curves)
    finally:
        plt.close(fig)


@needs_matplotlib
def test_a_panel_per_model_and_a_note_when_nothing_is_drawn(
    chat: RecommendationResult, unmet: RecommendationResult
) -> None:
    import matplotlib.pyplot as plt

    from config_explorer.plots import frontier_figure

    fig = frontier_figure([chat, unmet])
    try:
        assert len(fig.axes) == 2
        empty = fig.axes[1]
        assert [t.get_text() for t in empty.texts] == ["no layout met the SLOs: nothing to draw"]
    finally:
        plt.close(fig)


@needs_matplotlib
def test_plot_frontier_writes_a_png_atomically(chat: RecommendationResult, tmp_path: Path) -> None:
    from config_explorer.plots import plot_frontier

    target = tmp_path / "frontier.png"
    assert plot_frontier([chat], target) == target
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["frontier.png"]


@needs_matplotlib
def test_a_whole_catalog_plot_keeps_every_series_distinct(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from config_explorer.plots import frontier_figure

    result = recommend_gpus("meta-llama/Llama-3.1-8B-Instruct", workload="chat", max_gpus=4)
    assert len(result.ranked) >= 15
    fig = frontier_figure([result])
    try:
        lines = [line for line in fig.axes[0].get_lines() if line.get_label().startswith("#")]
        assert len(lines) == len(result.ranked)
        looks = {(line.get_color(), line.get_marker(), line.get_linestyle()) for line in lines}
        assert len(looks) == len(lines)
    finally:
        plt.close(fig)


@needs_matplotlib
def test_plot_errors_are_ours(chat: RecommendationResult, tmp_path: Path) -> None:
    from config_explorer.plots import plot_frontier

    with pytest.raises(InvalidArgumentError, match="at least one"):
        plot_frontier([], tmp_path / "none.png")
    with pytest.raises(InvalidArgumentError, match="cannot write the plot"):
        plot_frontier([chat], tmp_path / "frontier.unknown-format")
    assert list(tmp_path.iterdir()) == []

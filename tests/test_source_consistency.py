"""benchmarks/source_consistency.py: who published a row, and one recipe measured on two GPUs."""

from __future__ import annotations

import math
from typing import Any

import pytest
from tests.benchmark_scripts import load_benchmark

CONSISTENCY = load_benchmark("source_consistency")
URL = "https://github.com/SemiAnalysisAI/InferenceX/pull/3363"


def _row(gpu: str, measured: float, predicted: float, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "pair": (URL, "[]"),
        "engine": "sglang",
        "engine_version": "v0.5.12-cu130",
        "model": "deepseek-ai/DeepSeek-R1",
        "tp": 8,
        "ep": 1,
        "dp_attention": 1,
        "precision": "fp8",
        "kv_precision": "fp8",
        "isl": 1024,
        "osl": 1024,
        "batch": "1",
        "scenario": "closed_loop",
        "dataset": "random_range",
        "metric": "ttft_ms_mean",
        "family": "ttft",
        "gpu_family": "blackwell",
        "gpu": gpu,
        "split": "held-out",
        "measured": measured,
        "predicted": predicted,
        "error_pct": (predicted - measured) / measured * 100,
    }
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://github.com/gpustack/gpustack/blob/47277d7/docs/performance-lab/qwen3-14b/h100.md",
            "gpustack/gpustack",
        ),
        ("https://docs.nvidia.com/nim/benchmarking/llm/latest/performance.html", "docs.nvidia.com"),
        ("", "trtllm tables"),
    ],
)
def test_a_rows_publisher_is_its_repository_or_site(url: str, expected: str) -> None:
    assert CONSISTENCY.publisher({"pair": (url, "[]") if url else None}) == expected


def test_one_recipe_on_two_gpus_pairs_its_ratios() -> None:
    """InferenceX's identical DeepSeek-R1 recipe printed 160.4 ms on the B200 and 70.9 ms on the B300 at c=1; the
    engine's 106 ms on both gives a gap of |log(0.442 / 1.0)|. A row of another load or metric is not paired."""
    rows = [
        _row("B200", 160.36, 106.1),
        _row("B300", 70.93, 105.8),
        _row("B300", 128.9, 160.8, batch="4"),
        _row("B200", 7.2, 7.0, metric="tpot_ms_mean", family="itl"),
    ]
    [pair] = CONSISTENCY.gpu_pairs(rows)
    assert pair["gpus"] == ("B200", "B300")
    assert pair["measured_ratio"] == pytest.approx(70.93 / 160.36)
    assert pair["estimated_ratio"] == pytest.approx(105.8 / 106.1)
    assert pair["gap"] == pytest.approx(abs(math.log((70.93 / 160.36) / (105.8 / 106.1))))


def test_publishers_are_summarised_by_gpu_family_and_scenario() -> None:
    """Signed and absolute medians per (publisher, family, scenario), throughput and TTFT apart."""
    rows = [
        _row("H100 SXM", 100.0, 60.0, gpu_family="hopper"),
        _row("H100 SXM", 100.0, 80.0, gpu_family="hopper", batch="4"),
        _row(
            "H100 SXM", 1000.0, 1500.0, gpu_family="hopper", metric="output_tok_s_total", family="throughput"
        ),
    ]
    summary = CONSISTENCY.by_publisher(rows)
    stats = summary[("SemiAnalysisAI/InferenceX", "hopper", "closed_loop")]
    assert stats["ttft"] == (2, pytest.approx(-30.0), pytest.approx(30.0))
    assert stats["throughput"] == (1, pytest.approx(50.0), pytest.approx(50.0))


def test_a_recipe_is_its_launch_too() -> None:
    """Two runs that differ in their launch flags (or in vLLM's async scheduling) are two recipes: neither paired
    across GPUs nor counted as repeats; a run measured twice with the same flags is a repeat, with its spread."""
    same = {"pair": [URL, "[('max_num_seqs', 128)]"], "async_scheduling": None}
    other = {"pair": [URL, "[('max_num_seqs', 256)]"], "async_scheduling": None}
    rows = [
        _row("B200", 160.0, 106.0, **same),
        _row("B300", 70.0, 106.0, **other),
        _row("B200", 140.0, 106.0, **same),
        _row("B200", 150.0, 106.0, **{**same, "async_scheduling": True}),
    ]
    assert CONSISTENCY.gpu_pairs(rows) == []
    [again] = CONSISTENCY.repeats(rows)
    assert (again["gpu"], again["runs"]) == ("B200", 2)
    assert again["spread"] == pytest.approx(160.0 / 140.0)


def test_a_runs_ttft_tail_is_its_mean_over_its_median() -> None:
    """A run printing a mean TTFT twice its median (one slow first wave) beside an engine whose mean is 1.1x its
    median: the run's ratio 2.0, the engine's 1.1, the mean's error -45% and the median's +0%; a run printing
    only its mean is not read, and neither is another run's median."""
    rows = [
        _row("B200", 200.0, 110.0),
        _row("B200", 100.0, 100.0, metric="ttft_ms_median"),
        _row("B300", 150.0, 100.0),
        _row("B200", 90.0, 95.0, metric="ttft_ms_median", batch="4"),
    ]
    tails = CONSISTENCY.ttft_tails(rows)
    assert len(tails) == 1
    (tail,) = tails
    assert tail["gpu"] == "B200"
    assert tail["measured_ratio"] == pytest.approx(2.0)
    assert tail["estimated_ratio"] == pytest.approx(1.1)
    assert tail["mean_error_pct"] == pytest.approx(-45.0)
    assert tail["median_error_pct"] == pytest.approx(0.0)
    summary = CONSISTENCY.tails_by_engine(tails)
    assert summary == {
        ("sglang", "closed_loop"): {
            "runs": 1,
            "measured_ratio": pytest.approx(2.0),
            "estimated_ratio": pytest.approx(1.1),
            "mean_error_pct": pytest.approx(-45.0),
            "median_error_pct": pytest.approx(0.0),
        }
    }

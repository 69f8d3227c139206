"""The earlier tools' documented usage, copied verbatim: it must run unchanged, offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def test_later_tool_recommend(capsys: pytest.CaptureFixture[str]) -> None:
    from config_explorer.recommender import recommend_gpus, ModelArchitecture

    model = ModelArchitecture("meta-llama/Llama-3.1-70B")
    result = recommend_gpus(
        model=model,
        input_length=2048,
        output_length=512,
        estimate_performance_flag=True,
    )
    print(result.summary())

    out = capsys.readouterr().out
    assert "meta-llama/Llama-3.1-70B" in out and "best:" in out
    assert result.best is not None and result.best.estimate is not None
    assert result.best.estimate.output_throughput_tok_s > 0


def test_later_tool_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    from config_explorer.recommender.performance import estimate_performance

    estimate = estimate_performance(
        model_id="microsoft/phi-2",
        gpu_name="H100",
        num_gpus=1,
        tensor_parallel_size=1,
        input_length=1024,
        output_length=512,
    )
    print(f"TTFT: {estimate.time_to_first_token_ms}ms")

    out = capsys.readouterr().out
    assert out.startswith("TTFT: ") and "None" not in out
    assert 1 < estimate.time_to_first_token_ms < 100


def test_later_tool_batch() -> None:
    from config_explorer.recommender import estimate_performance_batch

    configs = [("H100", 1), ("H100", 2), ("A100", 4)]
    results = estimate_performance_batch(
        model_id="meta-llama/Llama-3.1-70B",
        gpu_configs=configs,
        input_length=2048,
        output_length=512,
        tensor_parallel_size=1,
    )

    assert len(results) == 3
    for record in results:  # whichever backend "auto" chose, each record says it does not fit, and why
        assert not record.fits
        error = record.error or ""
        assert "needs TP >= " in error or "fp8" in error or "does not fit in memory" in error
    native = estimate_performance_batch(
        model_id="meta-llama/Llama-3.1-70B",
        gpu_configs=configs,
        input_length=2048,
        output_length=512,
        tensor_parallel_size=1,
        backend="native",
    )
    assert "needs TP >= 4 on H100 SXM at bf16" in (native[0].error or "")
    chosen = __import__("config_explorer.recommender", fromlist=["x"]).estimate_performance_batch(
        model_id="meta-llama/Llama-3.1-70B", gpu_configs=[("H100", 4), ("A100", 4)], input_length=2048,
        output_length=512,
    )
    assert all(r.ok for r in chosen), [r.error for r in chosen]


def test_earlier_tool_gpu_recommender(capsys: pytest.CaptureFixture[str]) -> None:
    from config_explorer.recommender import GPURecommender

    recommender = GPURecommender(input_len=2000, output_len=256)
    models = [
        "gpt-oss-120b",
        "Qwen3-8B-FP8-dynamic",
        "meta-llama/Llama-3.3-70B-Instruct",
        "granite-4.0-h-small",
        "mistralai/Mixtral-8x7B-v0.1",
    ]
    gpus = ["H200", "L40"]
    recommendations = recommender.recommend_gpus(models=models, gpus=gpus, num_gpus=1, metric="throughput")
    recommender.print_recommendations(recommendations)

    out = capsys.readouterr().out
    assert len(recommendations) == 5
    by_model = {r.model_id: r for r in recommendations}
    assert by_model["openai/gpt-oss-120b"].best_gpu == "H200 SXM"
    llama = by_model["meta-llama/Llama-3.3-70B-Instruct"]
    assert llama.best_gpu is None and "smallest that fit" in llama.reason
    assert "Summary" in out


def test_earlier_tool_cli_writes_json(tmp_path: Path) -> None:
    command = (
        'config-explorer recommend --models "Qwen/Qwen2.5-7B" "meta-llama/Llama-3.3-70B-Instruct" --gpus H200 L40 '
        "--input-len 2000 --output-len 256 --num-gpus 1 --metric throughput --output-json recommendations.json"
    )
    import shlex

    argv = shlex.split(command)[1:]
    proc = subprocess.run([sys.executable, "-m", "config_explorer", *argv], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "recommendations.json").read_text())
    assert [r["model_id"] for r in doc["results"]] == ["Qwen/Qwen2.5-7B", "meta-llama/Llama-3.3-70B-Instruct"]
    assert doc["results"][0]["best"]["num_gpus"] == 1


def test_parse_bentoml_output_alias() -> None:
    from config_explorer.backends.llm_optimizer_text import parse_bentoml_output, parse_llm_optimizer_output

    assert parse_bentoml_output is parse_llm_optimizer_output


def test_earlier_metric_names_are_accepted() -> None:
    from config_explorer.recommender import GPURecommender

    recs = GPURecommender(input_len=512, output_len=128).recommend_gpus(["Qwen3-8B"], ["H200", "L40"], metric="latency")
    assert recs[0].best_gpu == "H200 SXM"

"""benchmarks/aiconfigurator_accuracy.py: the command it gives aiconfigurator for a measured point, and how it
reads the answer back (aiconfigurator itself is never installed here)."""

from __future__ import annotations

from typing import Any

from tests.benchmark_scripts import load_benchmark

AIC = load_benchmark("aiconfigurator_accuracy")


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": "deepseek-ai/DeepSeek-R1",
        "gpu": "B200",
        "engine": "sglang",
        "tp": 8,
        "ep": 1,
        "isl": 1024,
        "osl": 1024,
        "batch": "16",
        "precision": "fp8",
        "kv_precision": "fp8",
        "kind": "moe",
        "metric": "output_tok_s_total",
    }
    row.update(changes)
    return row


def _flags(argv: list[str]) -> dict[str, str]:
    return {argv[i]: argv[i + 1] for i in range(3, len(argv) - 1, 2)}


def test_a_point_becomes_the_aiconfigurator_command_of_its_layout_and_formats() -> None:
    flags = _flags(AIC.argv_for("aic", _row()))
    assert flags["--model-path"] == "deepseek-ai/DeepSeek-R1" and flags["--system"] == "b200_sxm"
    assert (flags["--tp-size"], flags["--batch-size"], flags["--isl"]) == ("8", "16", "1024")
    # a MoE model always states its expert split; the FP8 checkpoint needs no quantization mode
    assert (flags["--moe-ep-size"], flags["--moe-tp-size"]) == ("1", "8")
    assert "--gemm-quant-mode" not in flags and flags["--kvcache-quant-mode"] == "fp8"
    ep = _flags(AIC.argv_for("aic", _row(model="nvidia/DeepSeek-R1-0528-FP4-v2", gpu="B300", ep=8)))
    assert ep["--model-path"] == "nvidia/DeepSeek-V3.1-NVFP4" and (
        ep["--moe-ep-size"],
        ep["--moe-tp-size"],
    ) == (
        "8",
        "1",
    )
    dense = _flags(
        AIC.argv_for(
            "aic",
            _row(
                model="meta-llama/Llama-3.3-70B-Instruct", gpu="H100 SXM", kind="dense", kv_precision="bf16"
            ),
        )
    )
    assert dense["--gemm-quant-mode"] == "fp8" and "--moe-ep-size" not in dense  # FP8 of a BF16 checkpoint
    assert "--kvcache-quant-mode" not in dense


def test_what_aiconfigurator_cannot_express_is_counted_apart_and_its_figures_read_per_metric() -> None:
    assert AIC.why_not(_row(gpu="MI300X")) == "GPU MI300X not in aiconfigurator"
    assert AIC.why_not(_row(model="openai/gpt-oss-120b")) == "model openai/gpt-oss-120b not in aiconfigurator"
    assert AIC.why_not(_row()) is None
    figures = {"ttft": 80.0, "itl": 9.0, "tok_s": 1000.0}
    assert AIC.aic_value(figures, _row()) == 1000.0
    assert AIC.aic_value(figures, _row(metric="total_tok_s_total", isl=3000, osl=1000)) == 4000.0
    assert AIC.aic_value(figures, _row(metric="tpot_ms_mean")) == 9.0
    assert AIC.aic_value({}, _row(metric="ttft_ms_median")) is None


def test_the_script_says_so_when_aiconfigurator_is_not_there(capsys: Any) -> None:
    assert AIC.main(["--aic", "/nonexistent/aiconfigurator"]) == 2
    assert "no aiconfigurator at /nonexistent/aiconfigurator" in capsys.readouterr().err

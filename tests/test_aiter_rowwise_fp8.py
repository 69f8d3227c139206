"""Per-tensor and per-token FP8 linear layers on CDNA 3 compute at AITER's measured row-wise GEMM rate and row floor."""

from __future__ import annotations

import statistics
from typing import Any

import attrs
import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    AITER_BLOCK_FP8,
    AITER_ROWWISE_FP8,
    ENGINE_PROFILES,
    runs_rowwise_fp8_tiles,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.roofline import StepCost

LLAMA_405B = "meta-llama/Llama-3.1-405B"


def _plan(model: str, gpu: str, engine: str = "vllm", precision: str | None = "fp8") -> Any:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=8, tp=8, input_length=1024, output_length=1024, engine=engine,
        precision=precision,
    )  # fmt: skip


def _without_floor(dep: Any) -> StepCost:
    """The same plan at the CDNA 3 family's own GEMM rates (what the engine charged before the floor)."""
    rates = attrs.evolve(
        dep.rates, quantized_linear_bandwidth=0.0, quantized_linear_flops=0.0, quantized_linear_rows=0.0
    )
    return StepCost(dep.costs, rates, dep.profile)


def test_the_constants_are_the_fit_on_llama_70bs_table() -> None:
    """``AITER_ROWWISE_FP8`` is benchmarks/fit_cdna_rowwise_fp8.py's fit on the Llama-3.1-70B table; held out, the
    405B table reads a median |log(modelled / measured)| under 0.12 where the family's factors alone read over 0.15,
    and its 32-2,048-row GEMMs, which the floor is for, under 0.1 against over 0.25."""
    fit = load_benchmark("fit_cdna_rowwise_fp8")
    tables = fit.load()
    assert fit.fitted(tables[fit.FIT_TABLE]) == AITER_ROWWISE_FP8["cdna3"]
    held = tables[fit.HELD_OUT_TABLE]
    assert held and fit.HELD_OUT_TABLE != fit.FIT_TABLE
    ours, family = fit.engine_model(), fit.family_model(fit.GPU)
    assert (
        statistics.median(fit.errors(ours, held)) < 0.12 < 0.15 < statistics.median(fit.errors(family, held))
    )
    assert statistics.median(fit.errors(ours, held, 32, 2048)) < 0.1
    assert statistics.median(fit.errors(family, held, 32, 2048)) > 0.25


@pytest.mark.parametrize(
    ("engine", "family", "precision", "block_scaled", "expected"),
    [
        ("vllm", "cdna3", "fp8", False, True),
        ("sglang", "cdna3", "fp8", False, True),
        ("vllm", "cdna3", "fp8", True, False),  # AITER's blockscale GEMM (AITER_BLOCK_FP8)
        ("vllm", "cdna4", "fp8", False, False),  # no MI355X table read
        ("trtllm", "cdna3", "fp8", False, False),  # no ROCm build
        ("vllm", "hopper", "fp8", False, False),
        ("vllm", "cdna3", "bf16", False, False),
        ("vllm", "cdna3", "int4", False, False),
    ],
)
def test_which_deployments_take_the_row_floor(
    engine: str, family: str, precision: str, block_scaled: bool, expected: bool
) -> None:
    profile = ENGINE_PROFILES[engine]
    taken = runs_rowwise_fp8_tiles(
        profile, weight_precision=precision, gpu_family=family, block_scaled=block_scaled
    )
    assert taken is expected


def test_an_fp8_llama_decodes_slower_on_an_mi300x_as_its_batch_grows() -> None:
    """Llama-3.1-405B in FP8 on eight MI300X (vLLM): a decode step of one sequence costs about what the family's
    stream charged, one of 128 sequences more (its GEMMs compute as if 88 rows more, at 0.351 of the FP8 peak);
    the same plan in bf16, on an H100, or with a block-scaled checkpoint keeps its own rates."""
    dep = _plan(LLAMA_405B, "MI300X")
    share, rows = AITER_ROWWISE_FP8["cdna3"]
    assert dep.rates.quantized_linear_rows == rows
    assert dep.rates.quantized_linear_flops == pytest.approx(
        share * get_gpu("MI300X").gemm_tflops("fp8")[0] * 1e12
    )
    assert dep.rates.quantized_linear_bandwidth == dep.rates.gemm_bandwidth
    plain = _without_floor(dep)

    def decode(cost: StepCost, seqs: int) -> float:
        return float(cost.time(seqs, seqs * 1500, 0, 0, 0, 0, seqs))

    assert decode(dep.step_cost, 1) == pytest.approx(decode(plain, 1), rel=0.05)
    assert decode(dep.step_cost, 128) > 1.1 * decode(plain, 128)
    assert _plan(LLAMA_405B, "MI300X", precision="bf16").rates.quantized_linear_rows == 0.0
    assert _plan(LLAMA_405B, "H100").rates.quantized_linear_rows == 0.0
    block = _plan("deepseek-ai/DeepSeek-R1", "MI300X", engine="sglang")
    assert block.rates.quantized_linear_rows == AITER_BLOCK_FP8["cdna3"][3]

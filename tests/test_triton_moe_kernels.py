"""vLLM's and SGLang's Triton fused-MoE kernels as the engine costs them: expert parallelism without
data-parallel attention masks the other ranks' experts over every routed assignment, and vLLM's block-scaled FP8
experts without DeepGEMM run at the Triton kernel's own measured rate."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    ENGINE_PROFILES,
    VLLM_TRITON_BLOCK_FP8_MOE,
    masks_remote_experts,
    runs_vllm_triton_block_fp8_moe,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.options import check_engine_options

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark(name: str) -> Any:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


def _plan(
    engine: str, *, tp: int = 8, ep: int = 1, dp: int = 1, model: str = "Qwen/Qwen3-235B-A22B", **kw: Any
) -> Any:
    return plan_deployment(
        load_model(model), get_gpu(kw.pop("gpu", "H200")), num_gpus=tp, tp=tp, ep=ep, dp_attention=dp,
        input_length=1024, output_length=256, engine=engine, **kw,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("engine", "family", "precision", "ep", "dp", "deep_gemm", "block", "generic", "expected"),
    [
        ("vllm", "hopper", "bf16", 8, 1, True, False, True, True),
        ("vllm", "hopper", "fp8", 8, 1, False, True, True, True),  # Triton block-FP8
        ("vllm", "hopper", "fp8", 8, 1, True, True, True, False),  # DeepGEMM permutes the local rows only
        ("vllm", "hopper", "fp8", 8, 1, True, False, True, True),  # per-tensor FP8: Triton
        ("vllm", "ampere", "fp8", 4, 1, True, True, True, True),  # Marlin
        ("vllm", "ada", "int4", 2, 1, True, False, True, True),
        ("vllm", "blackwell", "bf16", 8, 1, True, False, True, True),
        (
            "vllm",
            "blackwell",
            "bf16",
            8,
            1,
            True,
            False,
            False,
            False,
        ),  # FlashInfer's TensorRT-LLM kernel (0.20+)
        ("vllm", "blackwell", "fp4", 8, 1, True, False, True, False),  # FlashInfer
        ("vllm", "cdna3", "fp8", 8, 1, True, True, True, False),  # AITER, not measured
        ("vllm", "hopper", "bf16", 1, 1, True, False, True, False),  # no expert parallelism
        ("vllm", "hopper", "bf16", 8, 8, True, False, True, False),  # DP attention: an all-to-all backend
        ("sglang", "hopper", "bf16", 8, 1, True, False, True, True),
        ("sglang", "hopper", "fp8", 8, 1, True, True, True, True),  # its Triton runner, whatever DeepGEMM
        ("sglang", "hopper", "mxfp4", 8, 1, True, False, True, False),  # triton_kernels, not measured
        ("sglang", "blackwell", "fp8", 8, 1, True, True, False, False),  # FlashInfer's TensorRT-LLM-gen MoE
        (
            "sglang",
            "blackwell",
            "fp8",
            8,
            1,
            True,
            True,
            True,
            True,
        ),  # its Triton runner (0.5.9/0.5.10 B200 layers)
        ("sglang", "blackwell", "bf16", 4, 1, True, False, True, True),
        ("sglang", "blackwell", "fp4", 8, 1, True, False, True, False),  # no Triton kernel for 4-bit experts
        ("sglang", "hopper", "fp8", 8, 8, True, True, True, False),  # DeepEP
        ("trtllm", "hopper", "bf16", 8, 1, True, False, True, False),
    ],
)
def test_which_layouts_mask_the_other_ranks_experts(
    engine: str,
    family: str,
    precision: str,
    ep: int,
    dp: int,
    deep_gemm: bool,
    block: bool,
    generic: bool,
    expected: bool,
) -> None:
    masked = masks_remote_experts(
        ENGINE_PROFILES[engine], weight_precision=precision, gpu_family=family, ep=ep, dp_attention=dp,
        deep_gemm=deep_gemm, block_scaled=block, generic_path=generic,
    )  # fmt: skip
    assert masked is expected


def test_sglangs_triton_layers_on_blackwell_read_alike_across_expert_parallel_splits_when_masked() -> None:
    """benchmarks/expert_parallel_masking.py's B200 section (nothing fitted): with every assignment's traffic
    charged, SGLang's expert-parallel Triton layers at prompt-sized batches read closer than with the rank's
    share, and EP8 no further off than EP2."""
    module = load_benchmark("expert_parallel_masking")
    ratios = module.blackwell_ratios()
    split = [r for (_, layout), rs in ratios.items() if "EP" in layout for r in rs]
    assert split and module._log_error(r[0] for r in split) < module._log_error(r[1] for r in split)
    for precision in ("bfloat16", "fp8_block"):
        ep2, ep8 = (sorted(r[0] for r in ratios[(precision, f"EP{n}")]) for n in (2, 8))
        before8 = sorted(r[1] for r in ratios[(precision, "EP8")])
        assert ep8[len(ep8) // 2] < before8[len(before8) // 2]
        assert ep8[len(ep8) // 2] / ep2[len(ep2) // 2] < 1.25


def test_a_masked_rank_streams_every_assignments_activations() -> None:
    """At EP8 without DP attention a vLLM or SGLang rank's MoE activation traffic is that of every routed
    assignment, not an eighth of it; TensorRT-LLM, which permutes the local assignments only, keeps the share."""
    for engine in ("vllm", "sglang"):
        cost = _plan(engine, ep=8).step_cost
        assert cost.rates.moe_masked_ep
        assert cost.moe_traffic_bytes_per_token_layer(masked=True) == pytest.approx(
            8 * cost.moe_traffic_bytes_per_token_layer(masked=False)
        )
    trtllm = _plan("trtllm", ep=8).step_cost
    assert not trtllm.rates.moe_masked_ep
    assert _plan("vllm", ep=8).step_cost.moe_traffic_bytes_per_token_layer(masked=True) == pytest.approx(
        8 * trtllm.moe_traffic_bytes_per_token_layer(masked=False)
    )


def test_a_masked_plan_says_so() -> None:
    """The record tells a planner why vLLM's expert parallelism without DP attention prefills no cheaper."""
    masked = [w for w in _plan("vllm", ep=8).warnings if "masks the experts held elsewhere" in w]
    assert len(masked) == 1 and "8 GPUs" in masked[0]
    assert not [w for w in _plan("vllm").warnings if "masks the experts" in w]
    assert not [w for w in _plan("trtllm", ep=8).warnings if "masks the experts" in w]
    assert [w for w in _plan("sglang", ep=8).warnings if w.startswith("SGLang's expert parallelism")]


def test_expert_parallel_layers_lose_their_edge_over_tensor_parallel_on_vllm() -> None:
    """aiconfigurator's vLLM 0.19 H200 layers time Qwen3-235B's 16-bit experts at EP4 above TP4 at 8,192 tokens
    (1.761 against 1.533 ms, 1.15x); with the rank's share of the traffic the engine had EP4 at 0.69x TP4, with
    every assignment's it is nearer the measured ratio."""
    layer_seconds = _benchmark("expert_parallel_masking").layer_seconds
    tp4, ep4 = _plan("vllm==0.19.0", tp=4), _plan("vllm==0.19.0", tp=4, ep=4)
    measured = 1.761 / 1.533
    tp4_s = layer_seconds(tp4.step_cost, 8192, masked=False)
    now = layer_seconds(ep4.step_cost, 8192, masked=True) / tp4_s
    before = layer_seconds(ep4.step_cost, 8192, masked=False) / tp4_s
    assert before < 0.75 < 0.85 < now < measured


def test_masked_layers_read_the_measured_tables() -> None:
    """benchmarks/expert_parallel_masking.py, nothing fitted: with the traffic over every assignment vLLM's
    balanced 16-bit expert-parallel layers (EP2-EP128) and SGLang 0.5.14's block-scaled FP8 ones (EP2-EP64) read
    within 25% of the measured times at median, where the rank's share read 1.5x and more from EP8 on."""
    ratios = _benchmark("expert_parallel_masking").layer_ratios()
    checked = 0
    for (release, dtype, routing, layout), pairs in ratios.items():
        ep = int(layout[2:]) if layout.startswith("EP") else 1
        wanted = (release.startswith("vLLM") and dtype == "bfloat16") or (
            release.startswith("SGLang") and dtype == "fp8_block" and ep <= 64
        )
        if not wanted or routing != "balanced" or ep == 1:
            continue
        now = statistics.median(p[0] for p in pairs)
        before = statistics.median(p[1] for p in pairs)
        assert 0.9 < now < 1.25, (release, layout, now)
        if ep >= 8:
            assert before > 1.5, (release, layout, before)
        checked += 1
    assert checked == 19


def test_the_triton_block_fp8_constants_are_the_fit() -> None:
    """``VLLM_TRITON_BLOCK_FP8_MOE`` is benchmarks/fit_vllm_triton_moe.py's fit on its named subset; held out
    (vLLM 0.24 on H100 and H200, and the 0.19 table's other rows) it reads within a median |log| of 0.15, where
    the family's generic 8-bit term reads above 0.3."""
    fit = _benchmark("fit_vllm_triton_moe")
    data = fit.rows()
    fit_rows = [r for r in data if r.group == fit.FIT_GROUP]
    held = [r for r in data if r.group != fit.FIT_GROUP]
    assert fit.fit(fit_rows) == VLLM_TRITON_BLOCK_FP8_MOE
    assert fit.error(held, VLLM_TRITON_BLOCK_FP8_MOE) < 0.15 < 0.3 < fit.error(held, fit.GENERIC)
    newer = [r for r in held if r.group[0] == "vLLM 0.24.0"]
    assert fit.error(newer, VLLM_TRITON_BLOCK_FP8_MOE) < 0.15


@pytest.mark.parametrize(
    ("engine", "family", "deep_gemm", "expected"),
    [("vllm", "hopper", False, True), ("vllm", "hopper", True, False), ("vllm", "blackwell", False, False),
     ("sglang", "hopper", False, False)],
)  # fmt: skip
def test_which_deployments_run_tritons_block_fp8_experts(
    engine: str, family: str, deep_gemm: bool, expected: bool
) -> None:
    profile = ENGINE_PROFILES[engine]
    assert (
        runs_vllm_triton_block_fp8_moe(
            profile, weight_precision="fp8", gpu_family=family, block_scaled=True, deep_gemm=deep_gemm
        )
        is expected
    )
    assert not runs_vllm_triton_block_fp8_moe(
        profile, weight_precision="fp8", gpu_family=family, block_scaled=False, deep_gemm=deep_gemm
    )


def test_the_triton_rates_reach_the_deployment() -> None:
    options = check_engine_options({"deep_gemm": False}, "vllm")
    triton = _plan("vllm", model="Qwen/Qwen3-235B-A22B-FP8", engine_options=options).rates
    fraction, half_width = VLLM_TRITON_BLOCK_FP8_MOE
    assert triton.moe_half_width == half_width
    assert triton.moe_gemm_flops == pytest.approx(fraction * triton.peak_gemm_flops)
    deep = _plan("vllm", model="Qwen/Qwen3-235B-A22B-FP8").rates
    assert deep.moe_half_width != half_width

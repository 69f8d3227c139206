"""Gated DeltaNet prompts at their measured kernels' time (calibration.GDN_PREFILL, benchmarks/fit_gdn_prefill.py)."""

from __future__ import annotations

import math
import statistics

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import GDN_PREFILL, gdn_prefill_kernel, profile_for
from config_explorer.engine.deployment import plan_deployment

QWEN35 = load_model("Qwen/Qwen3.5-27B")


def test_the_constants_are_what_the_fit_script_prints() -> None:
    from config_explorer.engine.calibration import SCAN_PREFILL_SLOWDOWN

    fit = load_benchmark("fit_gdn_prefill")
    assert fit.fitted() == GDN_PREFILL
    assert fit.fitted_slowdown() == SCAN_PREFILL_SLOWDOWN


@pytest.mark.parametrize("gpu", ["B300-SXM", "H100-SXM"])
def test_held_out_gpus_read_within_a_fifth_and_the_former_charge_far_short(gpu: str) -> None:
    """Every kernel's single-prompt layers on the GPUs it was not fitted on read within 25% (median), where the
    former charge (the recurrence's FLOPs at the attention rate) read them at least 5x short."""
    fit = load_benchmark("fit_gdn_prefill")
    for kernel in fit.KERNELS.values():
        rows = [
            r
            for r in fit.layers()
            if r.kernel == kernel and r.gpu == gpu and r.batch == 1 and r.tokens >= fit.FIT_TOKENS
        ]
        now = statistics.median(abs(math.log(fit.estimated_us(r) / r.time_us)) for r in rows)
        short = statistics.median(r.time_us / fit.former_us(r) for r in rows)
        assert now < math.log(1.25), (kernel, gpu)
        assert short > 5, (kernel, gpu)


def test_four_prompts_scan_side_by_side() -> None:
    """Four prompts in one step take far less than four times one prompt's chain: the B200's four-prompt rows,
    held out, read within 10% (median) on every kernel."""
    fit = load_benchmark("fit_gdn_prefill")
    for kernel in fit.KERNELS.values():
        rows = [r for r in fit.layers() if r.kernel == kernel and r.gpu == fit.FIT_GPU and r.batch == 4]
        rows = [r for r in rows if r.tokens >= fit.FIT_TOKENS]
        assert statistics.median(abs(math.log(fit.estimated_us(r) / r.time_us)) for r in rows) < math.log(1.1)


@pytest.mark.parametrize(
    ("engine", "kernel"),
    [
        ("sglang", "triton"),
        ("sglang==0.5.16", "triton"),
        ("trtllm", "trtllm"),
        ("vllm==0.25.0", "flashinfer"),
        ("vllm==0.24.0", "flashinfer"),
        ("vllm==0.19.0", "triton"),
    ],
)
def test_each_engine_scans_on_its_own_kernel(engine: str, kernel: str) -> None:
    """SGLang on flash-linear-attention's Triton scan (its default backend), TensorRT-LLM on its own, vLLM on
    FlashInfer's from 0.24 (the release aiconfigurator times it on) and on the Triton scan before."""
    assert gdn_prefill_kernel(profile_for(engine)) == kernel


def test_a_qwen35_prompt_step_charges_the_measured_scan() -> None:
    """One 8,192-token prompt of Qwen3.5-27B on a B200 with SGLang: its 48 Gated DeltaNet layers take about 0.9 ms
    each on the Triton scan (aiconfigurator measured 0.91 ms for the convolution and the scan), some 40 ms of the
    step, where the former charge gave them well under 5 ms."""
    plan = plan_deployment(
        QWEN35, get_gpu("B200"), num_gpus=1, tp=1, input_length=8192, output_length=16, engine="sglang"
    )
    sc = plan.step_cost
    assert (
        sc.costs.scan_kind == "gated_delta" and sc.costs.scan_layers == 48 and sc.costs.scan_value_heads == 48
    )
    fixed, chain, work = GDN_PREFILL["triton"]
    per_layer_us = fixed + (8192 * chain + 8192 * 48 * work) * 1e-3
    assert per_layer_us == pytest.approx(800, rel=0.15)
    pairs, win = sc.share_pairs(sc.prompt_work(8192, 0), 1)
    with_scan = sc.breakdown(0, 0, 0, 8192, pairs, win, 1).total_s
    # a GPU whose scan cost nothing would be the same step less the scan's time
    assert with_scan * 1e6 > 48 * per_layer_us


def test_decode_steps_do_not_pay_the_prompt_scan() -> None:
    plan = plan_deployment(
        QWEN35, get_gpu("B200"), num_gpus=1, tp=1, input_length=1024, output_length=256, engine="sglang"
    )
    sc = plan.step_cost
    decode = sc.breakdown(32, 32 * 1024, 32 * 1024, 0, 0, 0, 32).total_s
    one_more_prompt_token = sc.breakdown(32, 32 * 1024, 32 * 1024, 1, 1, 1, 33).total_s
    fixed, chain, _ = GDN_PREFILL["triton"]
    assert one_more_prompt_token - decode >= 48 * (fixed + chain * 1e-3) * 1e-6 * 0.99
    assert decode < 0.05


def test_kimi_delta_attention_scans_at_the_chunk_kda_fit() -> None:
    """KDA_PREFILL is the fit on SGLang's B200 chunk_kda layers (Kimi-K3's shape); held out on the B300, GB200 and
    GB300 single prompts it reads within 10% (median), where the former charge read them over 30x short."""
    from config_explorer.engine.calibration import KDA_PREFILL

    fit = load_benchmark("fit_gdn_prefill")
    assert fit.fitted_kda() == KDA_PREFILL
    kda = fit.layers(fit.KDA_DATA, fit.KDA_KERNELS)
    for gpu in ("B300-SXM", "GB200", "GB300"):
        rows = [
            r for r in kda if r.kernel == "triton_kda" and r.gpu == gpu and r.batch == 1 and r.tokens >= 1024
        ]
        assert statistics.median(abs(math.log(fit.estimated_us(r) / r.time_us)) for r in rows) < math.log(1.1)
        assert statistics.median(r.time_us / fit.former_us(r) for r in rows) > 30
    plan = plan_deployment(
        load_model("moonshotai/Kimi-Linear-48B-A3B-Instruct"),
        get_gpu("B200"),
        num_gpus=1,
        tp=1,
        input_length=4096,
        output_length=16,
        engine="sglang",
    )
    assert plan.step_cost.costs.scan_kind == "kda" and plan.step_cost.costs.scan_layers > 0

"""MLA decode attention on Blackwell at 64 heads a GPU and more (data-parallel attention's ranks): TensorRT-LLM's
generation MLA kernel (and SGLang's ``trtllm_mla``) at its measured bandwidth and compute shares, FP8 arithmetic with
an FP8 cache, fitted by benchmarks/fit_mla_decode_compute.py."""

from __future__ import annotations

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    BLACKWELL_MLA_DECODE_BANDWIDTH,
    BLACKWELL_WIDE_MLA_DECODE,
    MLA_DECODE_COMPUTE,
    blackwell_wide_mla_decode,
    profile_for,
)
from config_explorer.engine.deployment import plan_deployment

R1 = load_model("deepseek-ai/DeepSeek-R1")
B200 = get_gpu("B200")
PEAK16 = B200.gemm_tflops("bf16")[0] * 1e12


def test_the_calibration_is_what_the_fit_prints() -> None:
    assert load_benchmark("fit_mla_decode_compute").fits() == BLACKWELL_WIDE_MLA_DECODE


@pytest.mark.parametrize(
    ("engine", "family", "model_class", "heads", "expected"),
    [
        ("trtllm", "blackwell", "DeepseekV3ForCausalLM", 128, ("trtllm", "fp8")),
        ("sglang", "blackwell", "DeepseekV3ForCausalLM", 64, ("sglang", "fp8")),
        ("trtllm", "blackwell", "DeepseekV3ForCausalLM", 32, None),  # a TP4 shard: the read binds
        ("vllm", "blackwell", "DeepseekV3ForCausalLM", 128, None),  # another kernel, not timed
        ("trtllm", "hopper", "DeepseekV3ForCausalLM", 128, None),
        ("trtllm", "blackwell", "DeepseekV32ForCausalLM", 128, None),  # sparse attention's kernels
    ],
)
def test_which_layouts_take_the_wide_rank_shares(
    engine: str, family: str, model_class: str, heads: int, expected: tuple[str, str] | None
) -> None:
    shares = blackwell_wide_mla_decode(
        profile_for(engine),
        gpu_family=family,
        model_class=model_class,
        heads_per_gpu=heads,
        kv_value_bytes=1.0,
    )
    assert shares == (None if expected is None else BLACKWELL_WIDE_MLA_DECODE[expected])


def _rates(engine: str, dp_attention: int, kv: str) -> tuple[float, float]:
    """(decode attention's compute share, its bandwidth share) as DeepSeek-R1 on eight B200s is planned."""
    dep = plan_deployment(
        R1, B200, num_gpus=8, tp=8, ep=8, dp_attention=dp_attention, engine=engine, kv_precision=kv,
        input_length=8192, output_length=1024,
    )  # fmt: skip
    rates = dep.rates
    return rates.attention_decode_flops / PEAK16, rates.attention_bandwidth / B200.memory_bandwidth_bytes_s


def test_a_data_parallel_rank_attends_at_the_kernels_measured_rates() -> None:
    """Each rank of eight attention groups holds all 128 heads: TensorRT-LLM's kernel reads an FP8 cache at its wide
    share and multiplies in FP8 (the format's peak, twice the 16-bit one); a 16-bit cache multiplies at the 16-bit
    peak. At TP8 (16 heads a GPU) FlashMLA's share and the 16-head read stand."""
    assert _rates("trtllm", 8, "fp8") == pytest.approx(BLACKWELL_WIDE_MLA_DECODE[("trtllm", "fp8")][::-1])
    assert _rates("trtllm", 8, "bf16") == pytest.approx(BLACKWELL_WIDE_MLA_DECODE[("trtllm", "16-bit")][::-1])
    assert _rates("trtllm", 1, "fp8") == pytest.approx(
        (MLA_DECODE_COMPUTE, BLACKWELL_MLA_DECODE_BANDWIDTH["trtllm"][1])
    )
    assert _rates("vllm", 8, "fp8")[0] == pytest.approx(MLA_DECODE_COMPUTE)


def test_an_fp8_cache_halves_a_wide_rank_s_long_context_decode_attention() -> None:
    """At 128 heads and 16,384 cached tokens the arithmetic binds a 16-bit cache's kernel as much as its read; FP8
    arithmetic over half the bytes takes a little over half the time (the kernel tables: 124 against 232 us a layer at
    64 sequences), where FlashMLA's 16-bit share for both left the FP8 cache at three quarters of the time."""
    times = {}
    for kv in ("bf16", "fp8"):
        dep = plan_deployment(
            R1, B200, num_gpus=8, tp=8, ep=8, dp_attention=8, engine="trtllm", kv_precision=kv,
            input_length=16384, output_length=1024,
        )  # fmt: skip
        seqs = 8 * 64
        busy = dep.step_cost.breakdown(seqs, seqs * 16384, seqs * 16384, 0, 0, 0, seqs).total_s
        idle = dep.step_cost.breakdown(seqs, seqs * 1, seqs * 1, 0, 0, 0, seqs).total_s
        times[kv] = busy - idle
    assert 0.45 < times["fp8"] / times["bf16"] < 0.65

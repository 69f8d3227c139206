from __future__ import annotations

import csv
import math
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark
from tests.strategies import DENSE_SMALL, GPUS, VARIED

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_CUSTOM_AR_V2_SCALE,
    TRTLLM_CUSTOM_AR_SCALE,
    TRTLLM_XQA_SINCE,
    VLLM_PIECEWISE_SPLIT_US,
    VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE,
    custom_allreduce_scale,
    efficiency_for,
    profile_for,
    sglang_window_kv_share,
    trtllm_holds_window_kv_whole,
)
from config_explorer.engine.deployment import Deployment
from config_explorer.engine.layout import check_layout, kernels_per_model, rope_cache_bytes, windowed_context
from config_explorer.engine.options import EngineOptions, check_engine_options
from config_explorer.engine.roofline import StepCost, expected_distinct_experts, issued_kernels
from config_explorer.engine.serving import estimate, estimate_static_batch, plan_deployment
from config_explorer.engine.slo import check_slos, constraints_from_kwargs, parse_slo_constraints
from config_explorer.engine.sweep import sweep
from config_explorer.errors import InvalidArgumentError, ParseError

LLAMA8 = load_model("meta-llama/Llama-3.1-8B")
LLAMA70 = load_model("meta-llama/Llama-3.1-70B-Instruct")
H100 = get_gpu("H100")
#: the closed-form steady state: exact identities (Little's law) and fast enough for property tests;
#: the simulator's own properties are in test_simulator.py
ANALYTIC = {"serving_model": "analytic"}


def test_decode_at_batch_one_is_weight_streaming() -> None:
    """ITL at concurrency 1 is the weights read at the achievable bandwidth, plus fixed per-kernel costs."""
    e = estimate(LLAMA8, H100, input_length=128, output_length=128, concurrency=1)
    eff = efficiency_for("hopper")
    weights_s = LLAMA8.weight_bytes("bf16") / (3.35e12 * eff.gemm_bandwidth)
    assert e.itl_ms is not None
    assert weights_s * 1e3 < e.itl_ms < weights_s * 1e3 * 1.35
    assert e.decode_bound == "memory"


def test_prefill_is_compute_bound_at_achievable_flops() -> None:
    e = estimate(LLAMA8, H100, input_length=4096, output_length=2, concurrency=1)
    eff = efficiency_for("hopper")
    gemm_s = 2 * LLAMA8.matmul_params_per_token * 4096 / (989.5e12 * eff.gemm_compute_16bit)
    assert e.prefill_bound == "compute"
    front_end_ms = profile_for("vllm").request_overhead_ms  # outside the GPU, added to every TTFT
    assert e.ttft_ms is not None and gemm_s * 1e3 < e.ttft_ms - front_end_ms < gemm_s * 1e3 * 1.6


@pytest.mark.parametrize("engine", ["vllm", "sglang", "trtllm"])
def test_front_end_time_is_in_ttft_and_little_law_still_holds(engine: str) -> None:
    from config_explorer.engine.analytic import solve
    from config_explorer.engine.deployment import plan_deployment

    dep = plan_deployment(LLAMA8, H100, num_gpus=1, tp=1, input_length=512, output_length=128, engine=engine)
    front_end_s = dep.profile.request_overhead_ms * 1e-3
    assert front_end_s > 0  # every engine's server (trtllm-serve too) takes time outside the GPU
    bare = attrs.evolve(dep, profile=attrs.evolve(dep.profile, request_overhead_ms=0.0, arrival_delay_ms=0.0))
    assert solve(dep, 4).ttft_s - solve(bare, 4).ttft_s == pytest.approx(front_end_s, rel=0.25)
    e = estimate(LLAMA8, H100, input_length=512, output_length=128, concurrency=4, engine=engine, **ANALYTIC)
    assert e.output_throughput_tok_s == pytest.approx(4 * 128 / e.e2e_latency_s)  # type: ignore[operator]


def test_trtllm_serve_front_end_is_the_measured_one_and_a_tensorrt_engine_pays_none() -> None:
    from config_explorer.engine.calibration import trtllm_tensorrt_engine

    served = profile_for("trtllm")
    # 2.69 + 2.04 + 5.24 ms read off the 1.3.0rc14 trace (benchmarks/data/trtllm_ttft_evidence.md)
    assert served.request_overhead_ms == pytest.approx(9.97)
    assert served.arrival_delay_ms == pytest.approx(2.69)
    engine = trtllm_tensorrt_engine(served)
    assert engine.request_overhead_ms == 0.0 and engine.arrival_delay_ms == 0.0


def test_fp8_weights_halve_weight_memory_and_speed_up_decode() -> None:
    bf16 = estimate(LLAMA8, H100, input_length=512, output_length=256, concurrency=1)
    fp8 = estimate(LLAMA8, H100, precision="fp8", input_length=512, output_length=256, concurrency=1)
    assert fp8.memory_weights_gib is not None and bf16.memory_weights_gib is not None
    assert fp8.memory_weights_gib < 0.6 * bf16.memory_weights_gib
    assert fp8.itl_ms is not None and bf16.itl_ms is not None and fp8.itl_ms < bf16.itl_ms


def test_fp8_on_a100_is_emulated_with_a_warning() -> None:
    e = estimate(LLAMA8, get_gpu("A100"), precision="fp8", input_length=512, output_length=256)
    assert e.compute_precision == "bf16"
    assert any("no fp8 tensor cores" in w for w in e.warnings)


def test_model_that_does_not_fit_says_what_it_needs() -> None:
    e = estimate(
        load_model("meta-llama/Llama-3.1-70B"), H100, num_gpus=1, tp=1, input_length=2048, output_length=512
    )
    assert not e.fits and e.error is not None
    # 131 GiB of bf16 weights; at TP2 the 4.9 GiB profiled activation peak of vLLM 0.11 leaves no room
    # for one 2560-token sequence (0.13 GiB of KV per GPU), so TP4 is the smallest that starts
    assert "needs TP >= 4 on H100 SXM at bf16" in e.error
    assert e.ttft_ms is None and e.output_throughput_tok_s is None


def test_default_tp_is_smallest_that_fits_and_rest_are_replicas() -> None:
    e = estimate(
        load_model("meta-llama/Llama-3.1-70B"), H100, num_gpus=8, input_length=2048, output_length=512
    )
    assert (e.tp, e.replicas) == (4, 2)


@pytest.mark.parametrize(
    ("gpus", "tp", "message"),
    [
        (3, 3, r"does not divide the 32 attention heads.*valid tp for 3 GPUs: 1"),
        (8, 16, r"does not divide num_gpus = 8; valid tp for 8 GPUs: 1, 2, 4, 8"),
    ],
)
def test_invalid_tp_is_rejected_with_accepted_values(gpus: int, tp: int, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        estimate(LLAMA8, H100, num_gpus=gpus, tp=tp, input_length=10, output_length=10)


@pytest.mark.parametrize("bad", [{"input_length": 0}, {"output_length": -3}, {"concurrency": 0}])
def test_bad_workload_raises(bad: dict[str, int]) -> None:
    kwargs = {"input_length": 10, "output_length": 10, "concurrency": 1, **bad}
    with pytest.raises(InvalidArgumentError):
        estimate(LLAMA8, H100, **kwargs)


def test_expected_distinct_experts() -> None:
    assert expected_distinct_experts(1, 128, 8) == pytest.approx(8)
    assert expected_distinct_experts(10_000, 128, 8) == pytest.approx(128)
    assert 8 < expected_distinct_experts(4, 128, 8) < 32


def test_gated_attention_and_a_gated_shared_expert_launch_their_own_kernels() -> None:
    """Qwen3-Next's output gate (sigmoid, multiply per full-attention layer) and its shared expert's gate
    (a one-column projection, sigmoid, multiply per MoE layer), as SGLang's decode launches them."""
    arch = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert arch.attention_output_gate and arch.shared_expert_gated
    assert not load_model("deepseek-ai/DeepSeek-V3").shared_expert_gated  # a shared expert, ungated
    assert not load_model("Qwen/Qwen3-235B-A22B").shared_expert_gated  # no shared expert
    plain = attrs.evolve(arch, attention_output_gate=False, shared_expert_gated=False)
    full = arch.attention_kinds.count("full")
    moe = arch.mlp_kinds.count("moe")
    gemm, small = kernels_per_model(arch)
    plain_gemm, plain_small = kernels_per_model(plain)
    assert (gemm - plain_gemm, small - plain_small) == (moe, 2 * full + 2 * moe)

    def decode_step_s(model: ModelArchitecture) -> float:
        dep = plan_deployment(
            model, get_gpu("B200"), num_gpus=8, tp=8, input_length=1000, output_length=200, engine="sglang"
        )
        return dep.step_cost.time(1, 1200, 0, 0, 0, 0, 1)

    assert decode_step_s(arch) > decode_step_s(plain)


def test_moe_decode_reads_more_experts_as_batch_grows() -> None:
    arch = load_model("Qwen/Qwen3-30B-A3B")
    dep = plan_deployment(arch, H100, num_gpus=1, tp=1, input_length=512, output_length=512)
    one, many = dep.step(1, 0, 0), dep.step(64, 0, 0)
    assert many.bytes > 4 * one.bytes


def test_hybrid_and_mla_models_estimate() -> None:
    for model, gpu, n in (
        ("ibm-granite/granite-4.0-h-small", "H100", 1),
        ("deepseek-ai/DeepSeek-V3", "H200", 8),
    ):
        e = estimate(
            load_model(model), get_gpu(gpu), num_gpus=n, input_length=2048, output_length=256, concurrency=16
        )
        assert e.ok, e.error
        assert e.ttft_ms and e.itl_ms and e.output_throughput_tok_s


def test_little_law_and_per_gpu_figures() -> None:
    e = estimate(LLAMA8, H100, num_gpus=2, input_length=1000, output_length=500, concurrency=64, **ANALYTIC)
    assert e.output_throughput_tok_s == pytest.approx(64 * 500 / e.e2e_latency_s, rel=1e-6)  # type: ignore[operator]
    assert e.requests_per_s == pytest.approx(64 / e.e2e_latency_s, rel=1e-6)  # type: ignore[operator]
    assert e.output_throughput_tok_s_per_gpu == pytest.approx(e.output_throughput_tok_s / 2)  # type: ignore[operator]


def test_percentiles_are_ordered() -> None:
    e = estimate(LLAMA8, H100, input_length=4000, output_length=200, concurrency=256)
    assert e.ttft_p50_ms <= e.ttft_p95_ms <= e.ttft_p99_ms  # type: ignore[operator]
    assert e.itl_p50_ms <= e.itl_p95_ms <= e.itl_p99_ms  # type: ignore[operator]
    assert e.e2e_latency_p50_s <= e.e2e_latency_p95_s <= e.e2e_latency_p99_s  # type: ignore[operator]


def test_sweep_finds_points_and_frontier() -> None:
    def at(c: int):  # type: ignore[no-untyped-def]
        return estimate(LLAMA8, H100, input_length=1000, output_length=1000, concurrency=c)

    result = sweep(at)
    assert result.best_latency is not None and result.best_latency.concurrency == 1
    assert result.best_throughput is not None and result.best_throughput.concurrency > 32
    assert result.optimal_concurrency is not None and result.pareto_frontier
    kv_limit = result.points[0].max_concurrency_kv
    assert kv_limit in {p.concurrency for p in result.points}
    tputs = [p.output_throughput_tok_s for p in result.pareto_frontier]
    assert tputs == sorted(tputs)


def test_static_batch_isolates_decode() -> None:
    dep = plan_deployment(LLAMA8, H100, num_gpus=1, tp=1, input_length=128, output_length=128)
    small, big = estimate_static_batch(dep, 8), estimate_static_batch(dep, 64)
    assert big.output_throughput_tok_s > 4 * small.output_throughput_tok_s


def test_slo_syntax() -> None:
    slos = parse_slo_constraints("ttft:p95<300ms; itl<=0.02s ;e2e_latency:median<5s")
    assert [str(s) for s in slos] == ["ttft:p95<300ms", "itl:mean<=20ms", "e2e:p50<5000ms"]
    with pytest.raises(ParseError, match="ttft:p95"):
        parse_slo_constraints("ttft is fast")
    e = estimate(LLAMA8, H100, input_length=1000, output_length=100, concurrency=1)
    assert check_slos(e, constraints_from_kwargs(max_ttft_ms=10_000)) == []
    assert check_slos(e, constraints_from_kwargs(max_itl_ms=0.001, percentile="p99"))


def test_check_layout_rules() -> None:
    assert check_layout(LLAMA8, 8, 8, 1) is None
    assert check_layout(LLAMA8, 8, 3, 1) is not None
    assert check_layout(load_model("meta-llama/Llama-2-7b-hf"), 2, 2, 1) is None


# ---------------------------------------------------------------- invariants (hypothesis)
models = st.sampled_from(VARIED)
gpus = st.sampled_from(GPUS)


@given(models, gpus, st.sampled_from([1, 2, 4, 8]), st.integers(0, 256), st.integers(1, 4000))
def test_a_decode_kernel_per_query_head_never_makes_a_step_faster(
    model: str, gpu: str, tp: int, decodes: int, prompt: int
) -> None:
    """TensorRT-LLM before XQA reads each KV head once per query head sharing it: a step of the same contents
    is never faster than with a kernel that reads it once, and is as fast with no decodes or one head a group."""
    arch, spec = load_model(model), get_gpu(gpu)
    if check_layout(arch, tp, tp, 1) is not None:
        return
    steps = []
    for engine in ("trtllm==0.6.1", "trtllm==0.8.0"):
        dep = plan_deployment(
            arch, spec, num_gpus=tp, tp=tp, input_length=prompt, output_length=64, engine=engine
        )  # fmt: skip
        steps.append(dep.step(float(decodes), float(prompt), 1.0))
    before, after = steps
    assert before.total_s >= after.total_s
    if decodes == 0 or dep.costs.query_heads_per_kv_head == 1.0:
        assert before.total_s == pytest.approx(after.total_s)


@given(
    models,
    st.sampled_from([*GPUS, "RTX PRO 6000", "H20", "MI355X"]),
    st.sampled_from(["vllm", "sglang", "trtllm"]),
    st.sampled_from([1, 2, 4, 8]),
    st.integers(1, 512),
    st.integers(16, 8192),
)
def test_no_step_beats_the_gpus_datasheet_bandwidth_or_peak(
    model: str, gpu: str, engine: str, tp: int, decodes: int, prompt: int
) -> None:
    """Whatever a kernel's share of the peak, a step never moves the bytes it charges faster than the GPU's datasheet
    bandwidth, nor computes its FLOPs faster than the GPU's fastest tensor mode (the floor
    benchmarks/routing_floor.py holds measured runs to)."""
    arch, spec = load_model(model), get_gpu(gpu)
    if check_layout(arch, tp, tp, 1) is not None or prompt + 128 > (arch.max_position_embeddings or 10**9):
        return
    dep = plan_deployment(
        arch, spec, num_gpus=tp, tp=tp, input_length=prompt, output_length=128, engine=engine
    )
    peak = max(v for v in attrs.asdict(spec.tflops).values() if v) * 1e12
    for step in (dep.step(float(decodes), 0.0, 0.0), dep.step(0.0, float(prompt), 1.0)):
        assert step.total_s >= step.bytes / spec.memory_bandwidth_bytes_s * (1 - 1e-9)
        assert step.total_s >= step.flops / peak * (1 - 1e-9)


@given(models, gpus, st.floats(1.05, 4.0), st.integers(1, 256), st.integers(16, 8192))
def test_more_bandwidth_or_flops_never_makes_a_phase_slower(
    model: str, gpu: str, k: float, batch: int, prompt: int
) -> None:
    arch, spec = load_model(model), get_gpu(gpu)
    base = {"num_gpus": 8, "tp": None, "input_length": prompt, "output_length": 128}
    tp = estimate(arch, spec, **base).tp  # type: ignore[arg-type]
    faster_mem = attrs.evolve(spec, memory_bandwidth_tb_s=spec.memory_bandwidth_tb_s * k)
    t = spec.tflops
    faster_cmp = attrs.evolve(
        spec, tflops=attrs.evolve(t, **{f: v * k for f, v in attrs.asdict(t).items() if v})
    )
    for fast in (faster_mem, faster_cmp):
        slow_dep = plan_deployment(arch, spec, num_gpus=8, tp=tp, input_length=prompt, output_length=128)
        fast_dep = plan_deployment(arch, fast, num_gpus=8, tp=tp, input_length=prompt, output_length=128)
        assert fast_dep.step(batch, 0, 0).total_s <= slow_dep.step(batch, 0, 0).total_s * (1 + 1e-12)
        assert fast_dep.step(0, prompt, 1).total_s <= slow_dep.step(0, prompt, 1).total_s * (1 + 1e-12)


@given(
    st.sampled_from(DENSE_SMALL),
    gpus,
    st.integers(1, 512),
    st.integers(1, 16000),
    st.integers(1, 4000),
    st.integers(2, 1024),
)
def test_longer_prompts_never_shorten_ttft(
    model: str, gpu: str, concurrency: int, isl: int, extra: int, osl: int
) -> None:
    arch, spec = load_model(model), get_gpu(gpu)
    if isl + extra + osl > (arch.max_position_embeddings or 10**9):
        return
    short = estimate(
        arch, spec, num_gpus=2, input_length=isl, output_length=osl, concurrency=concurrency, **ANALYTIC
    )
    long = estimate(
        arch,
        spec,
        num_gpus=2,
        input_length=isl + extra,
        output_length=osl,
        concurrency=concurrency,
        **ANALYTIC,
    )
    if short.ok and long.ok and short.tp == long.tp:
        assert long.ttft_ms >= short.ttft_ms * (1 - 1e-9)  # type: ignore[operator]


@given(models, gpus, st.integers(1, 1500), st.integers(1, 1500), st.integers(64, 8000), st.integers(2, 2000))
def test_more_concurrency_never_lowers_kv_in_use(
    model: str, gpu: str, c1: int, dc: int, isl: int, osl: int
) -> None:
    arch, spec = load_model(model), get_gpu(gpu)
    common = {"num_gpus": 4, "input_length": isl, "output_length": osl, **ANALYTIC}
    low = estimate(arch, spec, concurrency=c1, **common)  # type: ignore[arg-type]
    high = estimate(arch, spec, concurrency=c1 + dc, tp=low.tp, **common)  # type: ignore[arg-type]
    if low.ok and high.ok:
        assert high.memory_kv_cache_gib >= low.memory_kv_cache_gib * (1 - 1e-6)  # type: ignore[operator]


@given(
    models,
    gpus,
    st.floats(1.0, 3.0),
    st.integers(64, 32000),
    st.integers(1, 4000),
    st.sampled_from([1, 2, 4, 8]),
)
def test_a_config_that_fits_keeps_fitting_with_more_memory(
    model: str, gpu: str, k: float, isl: int, osl: int, n: int
) -> None:
    arch, spec = load_model(model), get_gpu(gpu)
    if isl + osl > (arch.max_position_embeddings or 10**9):
        return
    e = estimate(arch, spec, num_gpus=n, input_length=isl, output_length=osl, **ANALYTIC)
    if e.fits:
        more = spec.memory_gib * k
        bigger = attrs.evolve(
            spec,
            memory_gib=more,
            framework_memory_gib=None if spec.framework_memory_gib is None else more - 0.5,
        )
        assert estimate(
            arch, bigger, num_gpus=n, tp=e.tp, input_length=isl, output_length=osl, **ANALYTIC
        ).fits


@given(models, gpus, st.sampled_from([1, 2, 4]), st.integers(64, 8000), st.integers(2, 2000))
def test_more_gpus_never_shrink_capacity(model: str, gpu: str, n: int, isl: int, osl: int) -> None:
    arch, spec = load_model(model), get_gpu(gpu)
    if isl + osl > (arch.max_position_embeddings or 10**9):
        return
    few = estimate(arch, spec, num_gpus=n, input_length=isl, output_length=osl, **ANALYTIC)
    more = estimate(arch, spec, num_gpus=2 * n, input_length=isl, output_length=osl, **ANALYTIC)
    if few.fits:
        assert more.fits
        assert more.max_concurrency_kv >= few.max_concurrency_kv  # type: ignore[operator]


@given(models, gpus, st.integers(1, 2048), st.integers(1, 8000), st.integers(1, 2000))
def test_throughput_is_concurrency_times_output_over_e2e(
    model: str, gpu: str, c: int, isl: int, osl: int
) -> None:
    arch = load_model(model)
    if isl + osl > (arch.max_position_embeddings or 10**9):
        return
    e = estimate(
        arch, get_gpu(gpu), num_gpus=8, input_length=isl, output_length=osl, concurrency=c, **ANALYTIC
    )
    if e.ok:
        assert e.output_throughput_tok_s == pytest.approx(c * osl / e.e2e_latency_s, rel=1e-6)  # type: ignore[operator]
        for value in attrs.asdict(e).values():
            assert not (isinstance(value, float) and not math.isfinite(value))


def test_tensor_parallel_all_reduce_costs_time_and_pcie_costs_more() -> None:
    arch = load_model("meta-llama/Llama-3.1-70B")
    nvlink = plan_deployment(arch, H100, num_gpus=4, tp=4, input_length=1024, output_length=128)
    pcie = plan_deployment(arch, get_gpu("L40S"), num_gpus=4, tp=4, input_length=1024, output_length=128)
    small, big = nvlink.step(8, 0, 0), nvlink.step(8, 4096, 1)
    assert 0 < small.comm_s < big.comm_s
    assert pcie.step(8, 4096, 1).comm_s > 3 * big.comm_s
    single = plan_deployment(LLAMA8, H100, num_gpus=1, tp=1, input_length=1024, output_length=128)
    assert single.step(8, 0, 0).comm_s == 0


def test_chunked_prefill_raises_itl_with_prompt_length_and_concurrency() -> None:
    def itl(isl: int, c: int) -> float:
        e = estimate(LLAMA8, H100, input_length=isl, output_length=256, concurrency=c)
        assert e.itl_ms is not None
        return e.itl_ms

    assert itl(256, 32) < itl(4096, 32) < itl(16000, 32)
    assert itl(2048, 1) < itl(2048, 16) < itl(2048, 128)


def test_ttft_includes_waiting_when_the_scheduler_is_full() -> None:
    light = estimate(LLAMA8, H100, input_length=2000, output_length=2000, concurrency=8)
    heavy = estimate(LLAMA8, H100, input_length=2000, output_length=2000, concurrency=2000)
    assert heavy.max_concurrency_kv is not None and heavy.max_concurrency_kv < 2000
    assert heavy.ttft_ms > 20 * light.ttft_ms  # type: ignore[operator]
    assert heavy.ttft_p99_ms > heavy.ttft_ms  # type: ignore[operator]


def test_causal_and_windowed_attention_flops() -> None:
    mistral = load_model("mistralai/Mistral-7B-v0.1")  # sliding window 4096 on every layer
    assert mistral.sliding_window == 4096
    per_pair = 2 * 32 * (128 + 128) * 32
    matmul = 2 * mistral.matmul_params_per_token
    assert mistral.prefill_flops(100) == pytest.approx(100 * matmul + per_pair * 100 * 101 / 2)
    long = 10_000
    window_pairs = 4096 * 4097 / 2 + (long - 4096) * 4096
    assert mistral.prefill_flops(long) == pytest.approx(long * matmul + per_pair * window_pairs)


def test_context_beyond_the_model_is_an_error() -> None:
    with pytest.raises(InvalidArgumentError, match="exceeds Qwen/Qwen3-8B's context of 40960 tokens"):
        estimate(load_model("Qwen/Qwen3-8B"), H100, input_length=50_000, output_length=100)
    with pytest.raises(InvalidArgumentError, match="max_model_len=1000 is shorter than prompt"):
        estimate(LLAMA8, H100, input_length=2000, output_length=100, max_model_len=1000)


def test_one_output_token_is_pure_prefill() -> None:
    e = estimate(LLAMA8, H100, input_length=2000, output_length=1, concurrency=16, **ANALYTIC)
    assert e.ok and e.itl_ms is None and e.decode_bound is None and e.decode_arithmetic_intensity is None
    assert e.ttft_ms is not None and e.e2e_latency_s == pytest.approx(e.ttft_ms / 1e3)
    assert e.output_throughput_tok_s == pytest.approx(16 / e.e2e_latency_s)


def test_pipeline_parallel_layout() -> None:
    arch = load_model("meta-llama/Llama-3.1-70B")
    pp = estimate(arch, H100, num_gpus=4, tp=2, pp=2, input_length=2000, output_length=200, concurrency=32)
    tp = estimate(arch, H100, num_gpus=4, tp=4, input_length=2000, output_length=200, concurrency=32)
    assert pp.ok and (pp.tp, pp.pp, pp.replicas) == (2, 2, 1)
    assert pp.memory_weights_gib == pytest.approx(tp.memory_weights_gib, rel=0.05)  # same share of weights


def test_vllm_scheduler_defaults_follow_the_gpu() -> None:
    for gpu, budget, seqs in (
        ("H100", 8192, 1024),
        ("A100", 2048, 256),
        ("L40S", 2048, 256),
        ("MI300X", 8192, 1024),
    ):
        dep = plan_deployment(LLAMA8, get_gpu(gpu), num_gpus=1, tp=1, input_length=100, output_length=100)
        assert (dep.max_num_batched_tokens, dep.max_num_seqs) == (budget, seqs), gpu


def test_sglang_eager_launch_time_is_the_published_fit() -> None:
    """SGLANG_EAGER_LAUNCH_US is what benchmarks/eager_prefill.py fits on the same PR #12160 pair over the 1,589
    launches its forward issued (absorbed MLA at one token after a cached one, TP8 on Hopper, 0.5.4), rounded."""
    from config_explorer.engine.calibration import SGLANG_EAGER_LAUNCH_US

    script = load_benchmark("eager_prefill")
    assert script.fit_launches() == 58 * 26 + 3 * 22 + 15
    assert round(script.fitted_launch_us(), 1) == SGLANG_EAGER_LAUNCH_US
    assert profile_for("sglang").eager_launch_us == SGLANG_EAGER_LAUNCH_US


def test_sglang_eager_kernel_time_is_the_published_fit() -> None:
    """EAGER_KERNEL_US["sglang"] is what benchmarks/eager_prefill.py fits on SGLang PR #12160's eager
    forward (rounded to 0.1 us): a change to the kernel count or the data shows up here."""
    from config_explorer.engine.calibration import EAGER_KERNEL_US

    assert EAGER_KERNEL_US["sglang"] == round(load_benchmark("eager_prefill").fitted_kernel_us(), 1)


@pytest.mark.parametrize(
    ("engine", "family", "mla", "extra"),
    [
        ("vllm", "hopper", True, True),
        ("vllm", "blackwell", True, False),  # FLASHINFER_MLA: about TensorRT-LLM's time
        ("vllm", "hopper", False, False),
        ("sglang", "hopper", True, False),
        ("trtllm", "hopper", True, False),
    ],
)
def test_only_vllms_mla_layers_on_hopper_take_the_fitted_extra_time(
    engine: str, family: str, mla: bool, extra: bool
) -> None:
    from config_explorer.engine.calibration import VLLM_HOPPER_MLA_LAYER_US, vllm_mla_layer_extra_us

    found = vllm_mla_layer_extra_us(profile_for(engine), gpu_family=family, mla=mla)
    assert found == (VLLM_HOPPER_MLA_LAYER_US if extra else 0.0)


def test_vllms_mla_extra_time_lands_on_every_decoding_step_once_per_layer() -> None:
    """DeepSeek-R1 on eight H200s under vLLM: a step that decodes costs 61 layers x the fitted time more
    than the same step without it; a prompt-only step costs the same."""
    from config_explorer.engine.calibration import VLLM_HOPPER_MLA_LAYER_US

    r1 = load_model("deepseek-ai/DeepSeek-R1")
    d = plan_deployment(
        r1, get_gpu("H200"), num_gpus=8, tp=8, input_length=1024, output_length=256, engine="vllm"
    )
    assert d.rates.mla_layer_extra_s == VLLM_HOPPER_MLA_LAYER_US * 1e-6
    plain = StepCost(d.costs, attrs.evolve(d.rates, mla_layer_extra_s=0.0), d.profile)
    for step in ((4, 4 * 1200, 0, 0, 0, 0, 4), (64, 64 * 1200, 0, 512, 512 * 513 / 2, 0, 65)):
        extra = d.step_cost.time(*step) - plain.time(*step)
        assert extra == pytest.approx(r1.num_layers * VLLM_HOPPER_MLA_LAYER_US * 1e-6, rel=1e-9)
    prompt_only = (0, 0, 0, 512, 512 * 513 / 2, 0, 1)
    assert d.step_cost.time(*prompt_only) == plain.time(*prompt_only)


def test_vllms_mla_extra_time_is_what_the_fit_script_prints() -> None:
    """VLLM_HOPPER_MLA_LAYER_US is benchmarks/fit_mla_module.py's fit on the H200's TP8 rows at small batches;
    on the held-out Hopper rows at those batches it leaves a far smaller miss than no constant does."""
    import statistics

    from config_explorer.engine.calibration import VLLM_HOPPER_MLA_LAYER_US

    module = load_benchmark("fit_mla_module")
    data = module.points()
    assert module.fitted(data) == VLLM_HOPPER_MLA_LAYER_US
    held = [p for p in data if not p.in_fit and p.gpu != "B200-SXM" and p.batch <= 64 and p.context <= 4096]
    assert held and all(p.heads != 16 or p.gpu != "H200-SXM" or p.context > 4096 for p in held)
    miss = statistics.median(abs(p.extra_us - VLLM_HOPPER_MLA_LAYER_US) for p in held)
    assert miss < 0.25 * statistics.median(abs(p.extra_us) for p in held)


def _sglang_on_eight_h200s(model: str, engine: str) -> Deployment:
    """``model`` at TP8 on eight H200s under ``engine``, short prompts."""
    return plan_deployment(
        load_model(model), get_gpu("H200"), num_gpus=8, tp=8, input_length=64, output_length=16, engine=engine
    )


def test_an_eager_prefill_step_is_its_graphed_gpu_work_plus_the_host_issue_time() -> None:
    """The host's time to issue an eager forward's kernels adds to the GPU's work at every prompt length,
    and the sum reproduces tokenspeed PR #597's held-out 68 ms between an eager and a graphed 2,048-token
    prefill of a DeepSeek-V3-class model within 15%."""
    d = _sglang_on_eight_h200s(
        "deepseek-ai/DeepSeek-V3", "sglang==0.5.9"
    )  # before piecewise graphs: all eager
    eager = StepCost(d.costs, d.rates, d.profile)
    graphed_profile = attrs.evolve(d.profile, prefill_in_graphs=True, graph_max_tokens=1 << 20)
    graphed = StepCost(d.costs, d.rates, graphed_profile)
    # DeepSeek-V3's forward is one SGLang's launches are counted for (engine.sglang_eager)
    assert d.costs.eager_launches and d.profile.eager_launch_us
    issue_s = d.costs.eager_launches * d.profile.eager_launch_us * 1e-6
    for tokens in (1, 256, 2048, 16384):
        args = (0, 0, 0, tokens, tokens * (tokens + 1) / 2, 0, 1)
        assert eager.time(*args) - graphed.time(*args) == pytest.approx(issue_s, rel=1e-9)
    assert issue_s * 1e3 == pytest.approx(123 - 55, rel=0.15)
    # where the launches are not counted, the kernels are, at the per-kernel time
    per_kernel = attrs.evolve(d.costs, eager_launches=0)
    issue_k = issued_kernels(d.costs) * d.profile.eager_kernel_us * 1e-6
    eager_k = StepCost(per_kernel, d.rates, d.profile)
    graphed_k = StepCost(per_kernel, d.rates, graphed_profile)
    args = (0, 0, 0, 2048, 2048 * 2049 / 2, 0, 1)
    assert eager_k.time(*args) - graphed_k.time(*args) == pytest.approx(issue_k, rel=1e-9)


def test_a_prompt_runs_the_recurrent_layers_chunked_scans_and_pays_their_kernels() -> None:
    """A step carrying prompt tokens launches the chunked scans' extra kernels in every Gated DeltaNet (8) and
    Mamba-2 (4) layer, at their fixed cost when graphed and their issue time as well when eager; a decode
    step runs the one recurrent update and pays none of them."""
    from config_explorer.engine.layout import PREFILL_SCAN_KERNELS

    next80 = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    for model, per_layer, layers in (
        (next80, PREFILL_SCAN_KERNELS["linear"], next80.num_linear_layers),
        (load_model("ibm-granite/granite-4.0-h-small"), PREFILL_SCAN_KERNELS["mamba"], None),
        (LLAMA8, 0, 0),
    ):
        d = plan_deployment(model, get_gpu("H100"), num_gpus=1, tp=1, input_length=512, output_length=64)
        count = per_layer * (model.num_mamba_layers if layers is None else layers)
        assert d.costs.prefill_extra_kernels == count
        extra = attrs.evolve(d.costs, prefill_extra_kernels=0)
        for profile in (d.profile, attrs.evolve(d.profile, prefill_in_graphs=False)):
            with_scans, without = StepCost(d.costs, d.rates, profile), StepCost(extra, d.rates, profile)
            decode = (8, 8 * 600, 0, 0, 0, 0, 8)
            assert with_scans.time(*decode) == without.time(*decode)
            prompt = (8, 8 * 600, 0, 256, 256 * 257 / 2, 0, 9)
            issue = 0.0 if profile.prefill_in_graphs else count * profile.eager_kernel_us * 1e-6
            assert with_scans.time(*prompt) - without.time(*prompt) == pytest.approx(
                count * d.rates.small_kernel_s + issue, rel=1e-9, abs=1e-15
            )


def test_sglang_short_prompt_ttft_is_held_up_by_eager_prefill() -> None:
    """SGLang before 0.5.10 issues a prefill's kernels from Python: a short prompt on a many-layer MoE waits
    for the host, not the GPU, so its TTFT barely moves with the prompt, while vLLM's piecewise graphs do not
    pay it."""
    r1, b200 = load_model("deepseek-ai/DeepSeek-R1"), get_gpu("B200")
    ttft: dict[tuple[str, int], float] = {}
    for engine in ("sglang==0.5.9", "vllm"):
        for isl in (64, 256):
            # (uniform routing: the two prompts' experts differ no more than the host time under test allows)
            kw = {"engine": engine, "expert_popularity_cv": 0.0}
            e = estimate(r1, b200, num_gpus=8, tp=8, input_length=isl, output_length=64, **kw)
            assert e.ttft_ms is not None
            ttft[engine, isl] = e.ttft_ms
    floor_ms = profile_for("sglang").eager_kernel_us * 1e-3 * sum(kernels_per_model(r1))
    assert ttft["sglang==0.5.9", 64] >= floor_ms
    assert abs(ttft["sglang==0.5.9", 256] - ttft["sglang==0.5.9", 64]) < 0.05 * ttft["sglang==0.5.9", 64]
    assert ttft["vllm", 64] < 0.5 * ttft["sglang==0.5.9", 64]


@pytest.mark.parametrize(
    ("engine", "max_model_len", "budget", "seqs"),
    [
        ("vllm==0.6.3", 91_680, 512, 256),  # above 32,768: chunked prefill at 512 tokens through 0.6.4
        ("vllm==0.6.4", 32_769, 512, 256),
        ("vllm==0.6.5", 91_680, 2048, 256),  # 2,048 from 0.6.5
        ("vllm==0.7.3", 131_072, 2048, 256),
        ("vllm==0.6.3", 32_768, 32_768, 256),  # not above it: no chunking, max(max_model_len, 2048)
        ("vllm==0.7.3", 1024, 2048, 256),
        ("vllm==0.8.0", 91_680, 8192, 1024),  # the V1 engine's defaults do not depend on max_model_len
    ],
)
def test_a_v0_vllm_release_takes_that_releases_scheduler_defaults(
    engine: str, max_model_len: int, budget: int, seqs: int
) -> None:
    dep = _llama8_on_one_h100(engine, max_model_len=max_model_len)
    assert (dep.max_num_batched_tokens, dep.max_num_seqs) == (budget, seqs)


def test_a_v0_release_left_at_the_models_context_chunks_its_prompts() -> None:
    # vLLM's default max_model_len is the model's context (131,072 for Llama 3.1): chunked prefill is on
    assert _llama8_on_one_h100("vllm==0.6.3").max_num_batched_tokens == 512
    assert _llama8_on_one_h100("vllm==0.6.3", max_num_batched_tokens=4096).max_num_batched_tokens == 4096


def _llama8_on_one_h100(engine: str, **settings: int) -> Deployment:
    """Llama-3.1-8B on one H100 under ``engine``, 512 / 256 tokens (``settings`` as for ``plan_deployment``)."""
    return plan_deployment(
        LLAMA8, H100, num_gpus=1, tp=1, input_length=512, output_length=256, engine=engine, **settings
    )


def test_a_v0_vllm_release_pays_host_time_per_step_that_grows_with_the_batch() -> None:
    """vLLM before 0.8 runs the V0 engine: host work between steps blocks the GPU, so a decode step is
    slower than the same step on a V1 release, by more at a large batch than at a small one."""
    v0, v1 = profile_for("vllm==0.6.3"), profile_for("vllm==0.11.0")
    assert v0.step_overhead_ms > v1.step_overhead_ms
    assert v0.per_sequence_overhead_ms > v1.per_sequence_overhead_ms
    assert profile_for("vllm==0.8.0").step_overhead_ms == v1.step_overhead_ms

    def itl_ms(engine: str, concurrency: int) -> float:
        e = estimate(
            LLAMA8, H100, input_length=128, output_length=256, concurrency=concurrency, engine=engine
        )
        assert e.itl_ms is not None
        return e.itl_ms

    small = itl_ms("vllm==0.6.3", 1) - itl_ms("vllm==0.11.0", 1)
    large = itl_ms("vllm==0.6.3", 128) - itl_ms("vllm==0.11.0", 128)
    assert small > 0.8 * (v0.step_overhead_ms - v1.step_overhead_ms)
    assert large > small + 0.5 * 127 * (v0.per_sequence_overhead_ms - v1.per_sequence_overhead_ms)


def test_a_v0_vllm_release_processes_outputs_between_steps_without_async_output_processing() -> None:
    """vLLM 0.6 made V0's output processing asynchronous, beside the next step, except under --enforce-eager
    (no CUDA graph to overlap): a V0 release told to run eagerly, or one before 0.6, pays it per running
    sequence each step; a V1 release, whose output processing runs in another process, does not."""
    eager = check_engine_options({"enforce_eager": True}, "vllm")

    def per_sequence_ms(engine: str, options: Any = None) -> float:
        dep = plan_deployment(
            LLAMA8, H100, num_gpus=1, tp=1, input_length=512, output_length=256, engine=engine,
            engine_options=options,
        )  # fmt: skip
        return dep.profile.per_sequence_overhead_ms

    graphed, told = per_sequence_ms("vllm==0.6.4"), per_sequence_ms("vllm==0.6.4", eager)
    assert told == pytest.approx(graphed + VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE)
    assert per_sequence_ms("vllm==0.5.4") == pytest.approx(told)  # before 0.6: never asynchronous
    assert per_sequence_ms("vllm==0.5.4", eager) == pytest.approx(told)  # not charged twice
    assert per_sequence_ms("vllm==0.11.0", eager) == per_sequence_ms("vllm==0.11.0")

    def throughput(options: Any, concurrency: int) -> float:
        e = estimate(
            LLAMA8, H100, input_length=128, output_length=256, concurrency=concurrency, engine="vllm==0.6.4",
            engine_options=options,
        )  # fmt: skip
        assert e.output_throughput_tok_s is not None
        return e.output_throughput_tok_s

    for concurrency in (1, 64):
        assert throughput(eager, concurrency) < throughput(None, concurrency)


def test_every_engine_holds_the_whole_rotary_table_on_every_gpu() -> None:
    """vLLM's and SGLang's rotary embedding keeps a max_position_embeddings x rotary-dim cos/sin table in the
    model's dtype on every rank, counted with the weights: Llama-4-Scout's 10,485,760 positions make it
    2.5 GiB a GPU whatever the tp (vLLM 0.19 logs 53.12 GiB loaded at TP4, 2.9 GiB above the sharded
    weights). TensorRT-LLM's PyTorch backend keeps the same table in float32, twice the bytes; a TensorRT
    engine's is not counted (not read in its source); a model without attention has none, and a partial
    rotary factor shrinks it to the rotated part of the head."""
    scout = load_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert rope_cache_bytes(scout, 2.0) == 10_485_760 * 128 * 2
    assert rope_cache_bytes(LLAMA8, 2.0) == 131_072 * 128 * 2
    assert rope_cache_bytes(attrs.evolve(LLAMA8, max_position_embeddings=None), 2.0) == 0.0
    next_80b = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")  # head 256, partial_rotary_factor 0.25
    assert next_80b.rotary_dim == 64
    assert rope_cache_bytes(next_80b, 2.0) == next_80b.max_position_embeddings * 64 * 2
    assert load_model("deepseek-ai/DeepSeek-R1").rotary_dim == 64  # MLA: the rope part of the head

    def weights_gib(engine: str, tp: int, **options: Any) -> float:
        dep = plan_deployment(
            scout, H100, num_gpus=tp, tp=tp, input_length=1024, output_length=256, engine=engine,
            max_model_len=8192, engine_options=check_engine_options(options, engine) if options else None,
        )  # fmt: skip
        return dep.memory.weights_gib

    table = 10_485_760 * 128 * 2 / 1024**3
    for tp in (4, 8):
        unbuilt = weights_gib("trtllm", tp, tensorrt_engine=True)
        assert weights_gib("vllm", tp) - unbuilt == pytest.approx(table)
        assert weights_gib("sglang", tp) - unbuilt == pytest.approx(table)
        assert weights_gib("trtllm", tp) - unbuilt == pytest.approx(2 * table)


def test_tensorrt_llm_before_xqa_decodes_grouped_query_attention_one_query_head_at_a_time() -> None:
    """Before XQA (v0.8) TensorRT-LLM's generation attention was the masked multi-head attention kernel, one
    thread block a query head, each loading its group's shared K and V: a grouped-query model's decode step
    reads the KV cache once per query head. A multi-head model, a later release and MLA are unaffected."""
    assert profile_for("trtllm==0.6.1").grouped_decode_attention is False
    assert profile_for("trtllm==0.8.0").grouped_decode_attention is True
    assert profile_for("trtllm").grouped_decode_attention is True
    assert TRTLLM_XQA_SINCE == (0, 8)

    def step(model: ModelArchitecture, engine: str, tp: int) -> Any:
        # TensorRT engines: the only backend those releases had (the PyTorch backend came later, and before 1.0
        # captured no decode graphs unless told)
        dep = plan_deployment(
            model, H100, num_gpus=tp, tp=tp, input_length=2048, output_length=2048, engine=engine,
            engine_options=EngineOptions(tensorrt_engine=True),
        )  # fmt: skip
        return dep, dep.step(64.0, 0.0, 0.0)

    llama70 = load_model("meta-llama/Llama-3.3-70B-Instruct")  # 64 query heads, 8 KV heads
    for tp in (2, 8):  # a GPU holds 4 KV heads at TP2, one at TP8: 8 query heads share each
        dep, before = step(llama70, "trtllm==0.6.1", tp)
        _, after = step(llama70, "trtllm==0.8.0", tp)
        group = llama70.num_attention_heads / llama70.num_kv_heads
        assert dep.costs.query_heads_per_kv_head == group
        kv = dep.costs.kv_bytes(2048 + 1024) * 64
        assert before.bytes - after.bytes == pytest.approx((group - 1) * kv, rel=1e-6)
        assert before.total_s > after.total_s
    # one query head a KV head: nothing read twice (the pre-XQA kernel reads at the family's share, not XQA's)
    mha = attrs.evolve(LLAMA8, num_kv_heads=LLAMA8.num_attention_heads)
    assert step(mha, "trtllm==0.6.1", 1)[1].bytes == step(mha, "trtllm==0.8.0", 1)[1].bytes
    deepseek = load_model("deepseek-ai/DeepSeek-V3")
    dep, before = step(deepseek, "trtllm==0.6.1", 8)
    assert dep.costs.query_heads_per_kv_head == 1.0
    assert before == step(deepseek, "trtllm==0.8.0", 8)[1]


def test_chunked_attention_decode() -> None:
    """Llama 4's chunked layers attend to the tokens since their chunk began (a saw-tooth, not a window's
    ``min(context, chunk)``). TensorRT-LLM off Blackwell decodes them on the masked multi-head attention kernel
    (XQA takes no chunk): each query head reads its KV head again, once ``max_seq_len`` reaches the chunk;
    Blackwell's TensorRT-LLM-gen kernels and a shorter ``max_seq_len`` keep the grouped read."""
    assert windowed_context(8193, 8193, 8192, chunked=True) == 1.0
    assert windowed_context(8193, 9216, 8192, chunked=True) == pytest.approx(512.5)
    assert windowed_context(1, 32768, 8192, chunked=True) == pytest.approx(4096.5)
    assert windowed_context(8193, 9216, 8192, chunked=False) == 8192  # a sliding window: full
    maverick = load_model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    assert maverick.chunked_attention and not LLAMA8.chunked_attention

    def plan(gpu: str, max_model_len: int, engine: str = "trtllm") -> Deployment:
        return plan_deployment(
            maverick, get_gpu(gpu), num_gpus=8, tp=8, ep=8, dp_attention=8, precision="fp8", kv_precision="fp8",
            input_length=1024, output_length=1024, max_model_len=max_model_len, engine=engine,
        )  # fmt: skip

    group = maverick.num_attention_heads / maverick.num_kv_heads
    hopper = plan("H200", 9216)
    assert hopper.rates.windowed_decode_read_factor == pytest.approx(
        group * hopper.rates.attention_bandwidth / (get_gpu("H200").memory_bandwidth_bytes_s * 0.75)
    )
    assert any("masked multi-head attention" in w for w in hopper.warnings)
    assert plan("H200", 2048).rates.windowed_decode_read_factor == 1.0  # below the chunk: XQA
    assert plan("B200", 9216).rates.windowed_decode_read_factor == 1.0  # TensorRT-LLM-gen takes the chunk
    assert plan("H200", 9216, "vllm").rates.windowed_decode_read_factor == 1.0
    assert plan("H200", 9216, "trtllm==0.20.0").rates.windowed_decode_read_factor == 1.0  # no chunk in decode
    assert plan("H200", 2048, "trtllm==0.21.0").rates.windowed_decode_read_factor > 1.0  # every length
    slow, fast = plan("H200", 9216), plan("H200", 2048)
    assert slow.step_s(64.0, 0.0, 0.0) > fast.step_s(64.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("engine", "model", "changes", "tokens"),
    [
        (
            "sglang==0.5.9",
            "meta-llama/Llama-3.1-8B-Instruct",
            {},
            0,
        ),  # before 0.5.10: every prompt step eager
        ("sglang==0.5.10", "meta-llama/Llama-3.1-8B-Instruct", {}, 8192),  # up to the chunked-prefill size
        ("sglang", "meta-llama/Llama-3.1-8B-Instruct", {}, 8192),  # no release: the newest rules read
        ("sglang==0.5.12", "deepseek-ai/DeepSeek-R1", {}, 2048),  # MLA models: 2,048 tokens
        ("sglang==0.5.12", "deepseek-ai/DeepSeek-R1", {"dp_attention": 8, "ep": 8}, 0),
        ("sglang==0.5.12", "meta-llama/Llama-3.1-8B-Instruct", {"pp": 2, "num_gpus": 2}, 0),
        ("sglang==0.5.12", "Qwen/Qwen3-Next-80B-A3B-Instruct", {}, 0),  # a model class SGLang lists
        ("sglang==0.5.12", "meta-llama/Llama-4-Scout-17B-16E-Instruct", {}, 0),  # multimodal
        ("vllm", "meta-llama/Llama-3.1-8B-Instruct", {}, 0),
    ],
)
def test_sglang_runs_prompt_steps_in_piecewise_graphs_from_0_5_10(
    engine: str, model: str, changes: dict[str, int], tokens: int
) -> None:
    arch = load_model(model)
    layout = {"num_gpus": 8, "tp": 8, **changes}
    if "pp" in changes:
        layout["tp"] = 1
    d = plan_deployment(arch, get_gpu("H200"), input_length=512, output_length=64, engine=engine, **layout)
    assert d.profile.prefill_graph_max_tokens == tokens
    assert d.profile.prefill_in_graphs is (tokens > 0 or engine.startswith("vllm"))


#: a text model's prompt-graph rule inputs on one Hopper GPU (``sglang_piecewise_graph_tokens`` less the model class)
_PIECEWISE_RULE: dict[str, Any] = {
    "mla": False,
    "chunk_tokens": 8192,
    "gpu_family": "hopper",
    "dp_attention": 1,
    "pp": 1,
    "speculative": False,
    "disaggregated": False,
}


def test_piecewise_graphs_are_off_on_rocm_in_0_5_10_speculative_runs_and_in_disaggregated_pools() -> None:
    from config_explorer.engine.calibration import sglang_piecewise_graph_tokens

    rule = {"model_class": "LlamaForCausalLM", **_PIECEWISE_RULE}
    sglang = profile_for("sglang==0.5.10")
    assert sglang_piecewise_graph_tokens(sglang, **rule) == 8192  # type: ignore[arg-type]
    for change in ({"gpu_family": "cdna3"}, {"speculative": True}, {"disaggregated": True}):
        assert sglang_piecewise_graph_tokens(sglang, **{**rule, **change}) == 0  # type: ignore[arg-type]
    # speculative decoding keeps them from 0.5.11 on
    assert (
        sglang_piecewise_graph_tokens(profile_for("sglang==0.5.11"), **{**rule, "speculative": True}) == 8192
    )  # type: ignore[arg-type]


def test_sglang_prompt_graphs_follow_each_release_s_exclusions() -> None:
    """From 0.5.10 through 0.5.12.post1 SGLang turns its piecewise graphs off when the MoE runner is
    ``flashinfer_trtllm`` or ``flashinfer_mxfp4`` (``_handle_moe_kernel_config``), the runners it picks itself
    on Blackwell for DeepSeek-V3-class FP8 experts, gpt-oss excepted; 0.5.13 dropped the gate, and Hopper
    (no such runner) keeps its graphs throughout. From 0.5.15 the breakable prompt graphs have exclusions of
    their own."""

    def graph_tokens(model: str, gpu: str, release: str) -> int:
        d = plan_deployment(
            load_model(model), get_gpu(gpu), input_length=512, output_length=64, engine=release,
            num_gpus=8, tp=8,
        )  # fmt: skip
        return d.profile.prefill_graph_max_tokens

    for release in ("sglang==0.5.10", "sglang==0.5.12"):
        assert graph_tokens("deepseek-ai/DeepSeek-R1", "B200", release) == 0
        assert graph_tokens("deepseek-ai/DeepSeek-R1", "H200", release) == 2048
        assert graph_tokens("openai/gpt-oss-120b", "B200", release) > 0
    assert graph_tokens("deepseek-ai/DeepSeek-R1", "B200", "sglang==0.5.13") == 2048
    # before 0.5.10 the graphs were opt-in
    assert graph_tokens("deepseek-ai/DeepSeek-R1", "B200", "sglang==0.5.9") == 0
    # from 0.5.15 the breakable prompt graphs keep DeepSeek-V3 on Blackwell (its trtllm_mla backend) eager, and
    # every MLA model through 0.5.17
    for release in ("sglang==0.5.15", "sglang==0.5.18", "sglang"):
        assert graph_tokens("deepseek-ai/DeepSeek-R1", "B200", release) == 0
        assert graph_tokens("Qwen/Qwen3-235B-A22B", "B200", release) > 2048  # its chunked-prefill size
    assert graph_tokens("deepseek-ai/DeepSeek-R1", "H200", "sglang==0.5.17") == 0
    assert graph_tokens("deepseek-ai/DeepSeek-R1", "H200", "sglang==0.5.18") == 2048

    # the breakable graphs' own exclusions: data-parallel attention until 0.5.17, two-batch overlap from then;
    # pipeline parallelism and the piecewise graphs' exclusions no longer apply
    def layout_tokens(release: str, **layout: Any) -> int:
        d = plan_deployment(
            load_model("Qwen/Qwen3-235B-A22B"), get_gpu("H200"), input_length=512, output_length=64,
            engine=release, **layout,
        )  # fmt: skip
        return d.profile.prefill_graph_max_tokens

    dpa = {"num_gpus": 8, "tp": 8, "ep": 8, "dp_attention": 8}
    assert layout_tokens("sglang==0.5.12", **dpa) == 0
    assert layout_tokens("sglang==0.5.16", **dpa) == 0
    assert layout_tokens("sglang==0.5.18", **dpa) > 0
    assert layout_tokens("sglang", **dpa, two_batch_overlap=True) == 0
    assert layout_tokens("sglang==0.5.12", num_gpus=8, tp=4, pp=2) == 0
    assert layout_tokens("sglang", num_gpus=8, tp=4, pp=2) > 0


def test_sglang_graphs_the_prompts_of_the_multimodal_classes_each_release_validated() -> None:
    """Multimodal checkpoints run their prompts eagerly in SGLang, except the classes a release lists: Qwen3.5 on
    the breakable-graph list from 0.5.16, Kimi-K2.5 on the piecewise list from 0.5.16 (the breakable default falls
    back to piecewise graphs, under their exclusions) and on the breakable list from 0.5.18."""
    from config_explorer.engine.calibration import sglang_piecewise_graph_tokens

    def tokens(release: str, model_class: str, **change: Any) -> int:
        return sglang_piecewise_graph_tokens(
            profile_for(release), model_class=model_class, **{**_PIECEWISE_RULE, **change}
        )

    qwen35, kimi, llama4 = (
        "Qwen3_5MoeForConditionalGeneration",
        "KimiK25ForConditionalGeneration",
        "Llama4ForConditionalGeneration",
    )
    for release in ("sglang==0.5.14", "sglang==0.5.15"):
        assert tokens(release, qwen35) == tokens(release, kimi, mla=True) == 0
    for release in ("sglang==0.5.16", "sglang==0.5.18", "sglang"):
        assert tokens(release, qwen35) == 8192
        assert tokens(release, llama4) == 0  # on neither list
    # 0.5.16-0.5.17: Kimi-K2.5 on piecewise graphs (MLA's 2,048-token cap), which DP attention and PP turn off
    assert tokens("sglang==0.5.17", kimi, mla=True) == 2048
    assert tokens("sglang==0.5.17", kimi, mla=True, pp=2) == 0
    assert tokens("sglang==0.5.17", kimi, mla=True, dp_attention=8) == 0
    # 0.5.18: on the breakable list, whose exclusions pipeline parallelism and DP attention are not
    assert tokens("sglang==0.5.18", kimi, mla=True, pp=2, dp_attention=8) == 2048
    # ... and no other multimodal class changes on the way
    assert tokens("sglang==0.5.18", llama4, dp_attention=8) == 0


def test_sglang_0_5_13_and_0_5_14_warn_of_the_kv_pool_conversion_they_are_not_charged() -> None:
    """Those releases capture DeepSeek-V3's prompts on Blackwell, where trtllm_mla converts each layer's whole
    FP8 KV pool every forward: the plan says so, and only then."""

    def warned(release: str, gpu: str, kv: str) -> bool:
        d = plan_deployment(
            load_model("deepseek-ai/DeepSeek-R1"), get_gpu(gpu), input_length=512, output_length=64,
            engine=release, num_gpus=8, tp=8, kv_precision=kv,
        )  # fmt: skip
        return any("KV pool" in w for w in d.warnings)

    assert warned("sglang==0.5.14", "B200", "fp8")
    assert not warned("sglang==0.5.14", "B200", "bf16")
    assert not warned("sglang==0.5.14", "H200", "fp8")
    assert not warned("sglang==0.5.12", "B200", "fp8")
    assert not warned("sglang", "B200", "fp8")


def test_a_piecewise_prompt_step_pays_only_its_split_ops_issue_time() -> None:
    """A prompt step in SGLang's piecewise graphs replays the pieces and issues only the ops it splits at (one
    attention and the all-reduces per layer); above the cap (2,048 tokens for MLA) it runs eagerly."""
    d = _sglang_on_eight_h200s("deepseek-ai/DeepSeek-R1", "sglang==0.5.12")
    whole = StepCost(
        d.costs, d.rates, attrs.evolve(d.profile, prefill_graph_max_tokens=0, graph_max_tokens=1 << 20)
    )
    eager = StepCost(
        d.costs, d.rates, attrs.evolve(d.profile, prefill_in_graphs=False, prefill_graph_max_tokens=0)
    )
    splits_s = (d.costs.attention_kernels + d.costs.allreduce_calls) * d.profile.eager_kernel_us * 1e-6
    for tokens in (1, 1024, 2048):
        args = (0, 0, 0, tokens, tokens * (tokens + 1) / 2, 0, 1)
        assert d.step_cost.time(*args) - whole.time(*args) == pytest.approx(splits_s, rel=1e-9)
    big = (0, 0, 0, 4096, 4096 * 4097 / 2, 0, 1)
    assert d.step_cost.time(*big) == pytest.approx(eager.time(*big), rel=1e-12)


def test_mla_prompts_in_sglang_piecewise_graphs_attend_in_the_absorbed_form() -> None:
    """Inside a piecewise graph SGLang dispatches MLA attention in its absorbed (decode) form for every backend
    (``attention_backend_handler.py``, 0.5.12): a graphed prompt step's pairs cost the decode kernels' FLOPs,
    a step above the cap (2,048 tokens) runs eagerly in the prompt form, and models without MLA are untouched."""
    d = _sglang_on_eight_h200s("deepseek-ai/DeepSeek-R1", "sglang==0.5.12")
    assert d.profile.absorbed_mla_prefill
    prompt_form = StepCost(d.costs, d.rates, attrs.evolve(d.profile, absorbed_mla_prefill=False))
    extra = d.step_cost._pair_flops_decode - d.step_cost._pair_flops
    assert extra > 0
    for tokens in (1024, 2048):
        pairs = tokens * (tokens + 1) / 2
        args = (0, 0, 0, tokens, pairs, 0, 1)
        added = d.step_cost.breakdown(*args).flops - prompt_form.breakdown(*args).flops
        assert added == pytest.approx(pairs * extra, rel=1e-9)
        assert d.step_cost.time(*args) > prompt_form.time(*args)
    big = (0, 0, 0, 4096, 4096 * 4097 / 2, 0, 1)
    assert d.step_cost.time(*big) == pytest.approx(prompt_form.time(*big), rel=1e-12)
    assert not _sglang_on_eight_h200s(
        "meta-llama/Llama-3.1-8B-Instruct", "sglang==0.5.12"
    ).profile.absorbed_mla_prefill


def test_piecewise_graphs_reproduce_sglang_pr_13094_held_out() -> None:
    """The engine's eager minus piecewise prefill step (Llama-3.1-8B FP8, TP8, 1,024 tokens) against the
    published TTFT differences at one and four requests in flight (10.3 and 11.1 ms). Charged per launch counted
    from SGLang's forward (559: 17 a layer, the FP8 projections' input quantizations among them) at the DeepSeek-V3
    fit's 37.5 us, the eager step is 15.9 ms longer: 43-54% over, where the per-kernel charge (322 kernels at
    51.8 us) read 11.7 ms. This held-out pair wants about 28 us a launch; the test pins the overshoot below 60%."""
    script = load_benchmark("eager_prefill")
    model = "meta-llama/Llama-3.1-8B-Instruct"
    eager = script.prefill_step_ms(model, "fp8", 8, 1024)
    piecewise = script.prefill_step_ms(model, "fp8", 8, 1024, engine=script.PIECEWISE_RELEASE)
    for published in (10.3, 11.1):
        assert published < eager - piecewise < 1.6 * published


def test_a_disaggregated_pool_runs_its_prompt_steps_eagerly() -> None:
    """SGLang turns piecewise graphs off under prefill/decode disaggregation."""
    from config_explorer.engine.disaggregated import PoolLayout, pool_deployment

    d = pool_deployment(
        load_model("meta-llama/Llama-3.1-8B-Instruct"),
        get_gpu("H200"),
        PoolLayout(tp=1),
        input_length=512,
        output_length=64,
        engine="sglang==0.5.12",
    )
    assert d.profile.prefill_graph_max_tokens == 0
    assert d.profile.prefill_in_graphs is False


@pytest.mark.parametrize(
    ("gpu", "tp", "chunk", "graph_bs"),
    [
        ("L4", 1, 2048, 24),  # under 35 GiB
        ("L40S", 1, 4096, 32),  # under 60 GiB
        ("L40S", 4, 4096, 160),
        ("H100", 1, 8192, 256),  # under 160 GiB: H100, H200
        ("H200", 8, 8192, 512),
        ("B200", 1, 16384, 512),  # 160 GiB and more: B200, MI300X
        ("MI300X", 8, 16384, 512),
    ],
)
def test_sglang_takes_its_chunk_and_decode_graph_sizes_from_the_gpus_memory(
    gpu: str, tp: int, chunk: int, graph_bs: int
) -> None:
    """SGLang's ``_handle_gpu_memory_settings`` (server_args.py, 0.5.7-0.5.12): chunked_prefill_size and
    cuda_graph_max_bs by the GPU's memory, the latter also by TP."""
    arch = load_model("meta-llama/Llama-3.1-8B-Instruct")
    d = plan_deployment(
        arch, get_gpu(gpu), num_gpus=tp, tp=tp, input_length=512, output_length=64, engine="sglang"
    )
    assert d.max_num_batched_tokens == chunk
    assert d.profile.graph_max_tokens == graph_bs


def test_sglang_mla_decode_on_an_fp8_cache_converts_each_layer_s_whole_pool() -> None:
    """SGLang's FA3 (Hopper) and FlashInfer MLA backends read the latent cache through ``.to(q.dtype)`` of the
    layer's whole buffer (sgl-project/sglang issue #35291): on an FP8 cache every decode step moves each slot of
    every layer's pool, read once and written at 2 bytes, at the measured share of the GPU's bandwidth. A 16-bit
    cache, DeepSeek-V3 on Blackwell (trtllm_mla) and other engines pay nothing."""
    from config_explorer.engine.calibration import SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE
    from config_explorer.engine.layout import GIB, sequence_capacity_tokens

    r1 = load_model("deepseek-ai/DeepSeek-R1")

    def plan(gpu: str, kv: str, engine: str = "sglang") -> Any:
        return plan_deployment(
            r1, get_gpu(gpu), input_length=1024, output_length=256, engine=engine, num_gpus=8, tp=8,
            kv_precision=kv,
        )  # fmt: skip

    d = plan("H200", "fp8")
    pool = sequence_capacity_tokens(d.costs, d.memory.kv_capacity_gib * GIB, d.profile.block_size)
    moved = (
        r1.num_layers * (pool + 1) * (r1.kv_lora_rank + r1.qk_rope_head_dim) * 3.0
    )  # 1 byte read, 2 written
    expected = moved / (SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE * d.gpu.memory_bandwidth_bytes_s)
    assert d.rates.kv_pool_conversion_s == pytest.approx(expected, rel=1e-9)
    assert expected > 0.05  # a million-token pool: tens of milliseconds a step
    assert any("issue #35291" in w for w in d.warnings)
    without = StepCost(d.costs, attrs.evolve(d.rates, kv_pool_conversion_s=0.0), d.profile)
    decode = (64, 64 * 1500, 0, 0, 0, 0, 64)
    assert d.step_cost.time(*decode) - without.time(*decode) == pytest.approx(expected, rel=1e-9)
    prompt = (0, 0, 0, 4096, 4096 * 4097 / 2, 0, 1)  # above the 2,048-token graph cap: the prompt (MHA) form
    assert d.step_cost.time(*prompt) == pytest.approx(without.time(*prompt), rel=1e-12)
    # an H100 converts at the rate measured on the H200, not at that share of its own bandwidth
    from config_explorer.engine.calibration import (
        SGLANG_KV_POOL_CONVERSION_HOPPER_BYTES_S,
        sglang_kv_pool_conversion_s,
    )

    h100 = get_gpu("H100").memory_bandwidth_bytes_s
    one = {
        "layers": 61,
        "pool_tokens": 100_000,
        "latent_values": 576,
        "kv_value_bytes": 1.0,
        "bandwidth_bytes_s": h100,
    }
    moved_h100 = 61 * 100_001 * 576 * 3.0
    assert sglang_kv_pool_conversion_s(**one, gpu_family="hopper") == pytest.approx(
        moved_h100 / SGLANG_KV_POOL_CONVERSION_HOPPER_BYTES_S, rel=1e-12
    )
    assert sglang_kv_pool_conversion_s(**one, gpu_family="blackwell") == pytest.approx(
        moved_h100 / (SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE * h100), rel=1e-12
    )
    others = (plan("H200", "bf16"), plan("B200", "fp8"), plan("H200", "fp8", engine="vllm"))
    for other in (*others, plan("H200", "fp8", engine="sglang==0.4.5")):  # 0.4.5: Triton MLA on Hopper
        assert other.rates.kv_pool_conversion_s == 0.0
    # the kernel then reads the converted copy: two bytes a value at the 16-bit cache's share, so a token of
    # context costs what it costs on a 16-bit cache, though the FP8 pool holds twice the tokens
    sixteen = others[0]
    per_token = d.costs.kv_bytes_per_token_full / d.rates.attention_bandwidth
    assert per_token == pytest.approx(
        sixteen.costs.kv_bytes_per_token_full / sixteen.rates.attention_bandwidth, rel=1e-12
    )
    assert d.rates.attention_bandwidth == pytest.approx(sixteen.rates.attention_bandwidth / 2, rel=1e-12)


def test_a_per_layer_query_key_norm_all_reduces_its_sums_of_squares_across_the_attention_group() -> None:
    """MiniMax-M2 normalises queries and keys over all heads of a layer (``qk_norm_type: per_layer``); split over
    a tensor-parallel group, each layer all-reduces its tokens' sums of squares (one call for queries and keys:
    vLLM's ``MiniMaxText01RMSNormTP.forward_qk``, SGLang's ``MiniMaxM2RMSNormTP``) beside a reduction kernel. A
    decode step pays each such call's latency and launch, whatever the batch; one GPU, data-parallel attention
    groups of one GPU and head-wise norms (Qwen3) pay none."""
    minimax = load_model("MiniMaxAI/MiniMax-M2.5")
    assert minimax.qk_norm_per_layer and not load_model("Qwen/Qwen3-235B-A22B").qk_norm_per_layer

    def plan(tp: int, dp: int = 1) -> Deployment:
        return plan_deployment(
            minimax, get_gpu("H100"), num_gpus=tp, tp=tp, ep=tp, dp_attention=dp, precision="fp8",
            input_length=1024, output_length=256, engine="sglang",
        )  # fmt: skip

    tp8 = plan(8)
    assert tp8.costs.norm_allreduce_calls == minimax.num_layers == 62
    assert plan(1).costs.norm_allreduce_calls == 0 and plan(8, dp=8).costs.norm_allreduce_calls == 0
    without = attrs.evolve(
        tp8.costs, norm_allreduce_calls=0, small_kernels=tp8.costs.small_kernels - minimax.num_layers
    )
    bare = StepCost(without, tp8.rates, tp8.profile)
    for batch in (1, 64):
        added = tp8.step_cost.breakdown(batch, batch * 1100, 0, 0, 0, 0, batch)
        base = bare.breakdown(batch, batch * 1100, 0, 0, 0, 0, batch)
        assert added.comm_s - base.comm_s == pytest.approx(62 * tp8.rates.allreduce_latency_s)
        assert added.overhead_s - base.overhead_s == pytest.approx(62 * tp8.rates.small_kernel_s)


def test_vllm_keeps_chunked_layers_kv_whole_from_0_10_1_to_0_13() -> None:
    """vLLM 0.10.1-0.13 turn the hybrid KV cache manager off for Llama 4's chunked local attention (PR #21761; the
    variable's default "0" in those wheels, "1" from 0.14): every layer stores every token's KV, so a long sequence holds
    more KV and fewer fit, while a decode step reads the same chunked KV as before; short sequences (within the chunk)
    and other engines are unchanged."""
    scout = load_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")

    def plan(engine: str, prompt: int) -> Deployment:
        return plan_deployment(
            scout, get_gpu("H100"), num_gpus=4, tp=4, input_length=prompt, output_length=1000, engine=engine,
            max_model_len=65536,
        )  # fmt: skip

    whole, freed = plan("vllm==0.11.0", 30000), plan("vllm==0.14.0", 30000)
    assert any("keeps every token's KV" in w for w in whole.warnings)
    assert not any("keeps every token's KV" in w for w in freed.warnings)
    assert whole.costs.kv_bytes(31000) == pytest.approx(
        (whole.costs.kv_bytes_per_token_full) * 31000
    ) and whole.costs.kv_bytes(31000) > 2 * freed.costs.kv_bytes(31000)
    assert whole.kv_limit_per_replica < freed.kv_limit_per_replica
    assert whole.costs.kv_bytes(4000) == pytest.approx(freed.costs.kv_bytes(4000))
    # the reads: the chunked layers' decode still reads its chunk
    assert whole.costs.kv_read_bytes_per_token_windowed == freed.costs.kv_bytes_per_token_windowed
    assert whole.costs.kv_read_bytes_per_token_full == freed.costs.kv_bytes_per_token_full
    assert not plan("vllm==0.10.0", 30000).costs.kv_read_bytes_per_token_windowed
    assert plan("trtllm", 30000).costs.kv_bytes_per_token_windowed > 0


@pytest.mark.parametrize(
    ("model", "engine", "gpu", "share"),
    [
        # gpt-oss: no hybrid pool in 0.5.2-0.5.6 (ServerArgs turned it off), none on SM100 in 0.5.8 (trtllm_mha), the
        # 0.8 pool on Hopper in 0.5.8 and everywhere from 0.5.10
        ("openai/gpt-oss-120b", "sglang==0.5.6", "H100", 1.0),
        ("openai/gpt-oss-120b", "sglang==0.5.8", "B200", 1.0),
        ("openai/gpt-oss-120b", "sglang==0.5.8", "H100", 0.8),
        ("openai/gpt-oss-120b", "sglang==0.5.10", "B200", 0.8),
        ("openai/gpt-oss-120b", "sglang", "B200", 0.8),
        # Gemma 2 / 3: always off; Gemma 4: in the hybrid set from 0.5.12
        ("google/gemma-3-27b-it", "sglang", "H100", 1.0),
        ("google/gemma-4-26B-A4B", "sglang==0.5.10", "H100", 1.0),
        ("google/gemma-4-26B-A4B", "sglang==0.5.12", "H100", 0.8),
        # Llama 4's chunked layers: a pool from 0.5.8 (before it, --hybrid-kvcache-ratio unset)
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "sglang==0.5.6", "H100", 1.0),
        ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "sglang==0.5.8", "H100", 0.8),
    ],
)
def test_sglang_sizes_window_kv_by_its_pools(model: str, engine: str, gpu: str, share: float) -> None:
    """SGLang splits the KV memory between a full-attention pool and a sliding-window pool of
    ``swa_full_tokens_ratio`` (0.8) times its tokens, for the architectures that release gives the pool; others keep
    every token's KV in every layer (calibration.sglang_window_kv_share, read in the 0.5.2-0.5.16 wheels). So a token
    costs the full layers' KV plus that share of the windowed layers', and a windowed layer's decode still reads its
    window only."""
    arch = load_model(model)
    tp = 4 if "Scout" in model else 1

    def plan(name: str) -> Deployment:
        return plan_deployment(
            arch, get_gpu(gpu), num_gpus=tp, tp=tp, input_length=2000, output_length=500, engine=name,
            max_model_len=8192,
        )  # fmt: skip

    own, windowed = plan(engine).costs, plan("vllm==0.19.1").costs  # vLLM keeps a window's (chunk's) KV only
    assert windowed.kv_bytes_per_token_windowed > 0 and own.kv_bytes_per_token_windowed == 0
    assert own.kv_bytes_per_token_full == pytest.approx(
        windowed.kv_bytes_per_token_full + share * windowed.kv_bytes_per_token_windowed
    )
    assert own.kv_read_bytes_per_token_windowed == pytest.approx(windowed.kv_bytes_per_token_windowed)
    assert own.kv_read_bytes_per_token_full == pytest.approx(windowed.kv_bytes_per_token_full)
    assert any(w.startswith("SGLang") and "windowed layers" in w for w in plan(engine).warnings)


def test_trtllm_and_vllm_connectors_keep_sliding_layers_kv_whole() -> None:
    """TensorRT-LLM builds one max_seq_len KV pool for every layer unless told the windows (no release this library
    follows derives them; Gemma 4's model file does), and vLLM before 0.22 turns its hybrid KV cache manager off with
    a KV connector (a disaggregated plan's NIXL): gpt-oss's 18 sliding layers then store as much KV as its 18 full
    ones, a token twice what vLLM's manager keeps, and fewer long sequences fit; the decode reads are unchanged."""
    arch = load_model("openai/gpt-oss-120b")

    def plan(engine: str, disaggregated: bool = False) -> Deployment:
        return plan_deployment(
            arch, get_gpu("H200"), num_gpus=1, tp=1, input_length=8000, output_length=2000, engine=engine,
            max_model_len=16384, disaggregated=disaggregated,
        )  # fmt: skip

    freed, trt = plan("vllm==0.19.1"), plan("trtllm")
    assert trt.costs.kv_bytes_per_token_full == pytest.approx(2 * freed.costs.kv_bytes_per_token_full)
    assert trt.costs.kv_read_bytes_per_token_windowed == pytest.approx(
        freed.costs.kv_bytes_per_token_windowed
    )
    assert any(w.startswith("TensorRT-LLM keeps every token's KV") for w in trt.warnings)
    connected, newer = plan("vllm==0.19.1", disaggregated=True), plan("vllm==0.22.0", disaggregated=True)
    assert connected.costs.kv_bytes_per_token_full == pytest.approx(trt.costs.kv_bytes_per_token_full)
    assert connected.kv_limit_per_replica < freed.kv_limit_per_replica
    assert newer.costs.kv_bytes_per_token_windowed == pytest.approx(freed.costs.kv_bytes_per_token_windowed)
    assert any("--kv-transfer-config" in w for w in connected.warnings)
    # a model whose layers all slide is not hybrid to vLLM: it keeps its window with a connector too
    mistral = load_model("mistralai/Mistral-7B-v0.1")
    windowed = plan_deployment(
        mistral, get_gpu("H200"), num_gpus=1, tp=1, input_length=8000, output_length=2000, engine="vllm==0.19.1",
        disaggregated=True,
    )  # fmt: skip
    assert windowed.costs.kv_bytes_per_token_windowed > 0
    # Gemma 4 builds its own window map in TensorRT-LLM; Llama 4's chunked layers keep the chunk rule
    assert not trtllm_holds_window_kv_whole(
        profile_for("trtllm"), architecture="Gemma4ForConditionalGeneration", chunked_attention=False
    )
    assert not trtllm_holds_window_kv_whole(
        profile_for("trtllm"), architecture="Llama4ForConditionalGeneration", chunked_attention=True
    )


def test_sglang_window_pool_rule_leaves_other_engines_and_models() -> None:
    """The rule is SGLang's: other engines, models whose windows SGLang's model classes do not declare (Mistral) and
    DeepSeek-V4's compressed pools keep their own accounting."""
    assert (
        sglang_window_kv_share(
            profile_for("vllm"), architecture="GptOssForCausalLM", gpu_family="hopper", speculative=False
        )
        is None
    )
    for architecture in ("MistralForCausalLM", "DeepseekV4ForCausalLM"):
        assert (
            sglang_window_kv_share(
                profile_for("sglang"), architecture=architecture, gpu_family="hopper", speculative=False
            )
            is None
        )
    # 0.5.8 also turned the pool off for gpt-oss with speculative decoding
    assert (
        sglang_window_kv_share(
            profile_for("sglang", "0.5.8"),
            architecture="GptOssForCausalLM",
            gpu_family="hopper",
            speculative=True,
        )
        == 1.0
    )


def test_vllm_piecewise_graphs_charge_each_eager_attention_op() -> None:
    """vLLM V1's piecewise graphs split at every attention op, which the host issues eagerly between the replayed
    pieces (calibration.VLLM_PIECEWISE_SPLIT_US, 15 us a layer, from vLLM PR #20059): prompt steps pay it in every V1
    release, decode steps only before 0.11, whose full decode graphs replay the step whole; V0 (before 0.8) captures
    whole decode graphs and runs prompts eagerly, so it pays none of this."""
    arch = load_model("meta-llama/Llama-3.1-8B-Instruct")

    def plan(engine: str) -> Deployment:
        return plan_deployment(
            arch, get_gpu("H100"), num_gpus=1, tp=1, input_length=256, output_length=128, engine=engine
        )

    piecewise, full = plan("vllm==0.10.0"), plan("vllm==0.11.0")
    split = full.costs.attention_kernels * VLLM_PIECEWISE_SPLIT_US * 1e-6
    assert full.costs.attention_kernels == arch.num_layers
    assert piecewise.step_s(8.0, 0.0, 0.0) - full.step_s(8.0, 0.0, 0.0) == pytest.approx(split, rel=1e-6)
    # a graphed prompt step pays the splits in both releases
    prompt = (4.0, 200.0, 1.0)
    assert piecewise.step_s(*prompt) == pytest.approx(full.step_s(*prompt), rel=1e-6)
    assert plan("vllm==0.6.3").profile.piecewise_split_us == 0.0
    assert plan("sglang").profile.piecewise_split_us == 0.0


def _llama70b_plan(
    engine: str, *, gpu: str = "H200 SXM", tp: int = 8, pp: int = 1, input_length: int = 1024
) -> Deployment:
    """Llama-3.1-70B in 16 bits over ``tp x pp`` GPUs, as ``engine`` plans it (the all-reduce tests' layout)."""
    return plan_deployment(
        LLAMA70,
        get_gpu(gpu),
        num_gpus=tp * pp,
        tp=tp,
        pp=pp,
        precision="bf16",
        input_length=input_length,
        output_length=16,
        engine=engine,
    )


def test_the_large_allreduce_audit_charges_what_the_engine_charges() -> None:
    """benchmarks/allreduce_large.py sets measured prompt-size all-reduces against the engine's charge: its
    ``charged_seconds`` is the engine's own all-reduce term, a call of a prompt step's hidden states (a dense model,
    so every communication second of the step is its all-reduces)."""
    audit = load_benchmark("allreduce_large")
    for engine in ("vllm", "sglang==0.5.14", "trtllm==1.3.0rc20"):
        for gpu in ("H200 SXM", "B200", "A100 SXM 80GB"):
            for tp in (2, 8):
                dep = _llama70b_plan(engine, gpu=gpu, tp=tp, input_length=4096)
                calls = dep.costs.allreduce_calls
                assert calls == 2 * LLAMA70.num_layers
                for tokens in (512, 4096):
                    pairs, windowed = dep.step_cost.prefill_pairs([(tokens, 0)])
                    step = dep.step_cost.breakdown(0, 0, 0, tokens, pairs, windowed, 1)
                    charged = audit.charged_seconds(gpu, tp, tokens * LLAMA70.hidden_size, engine)
                    assert step.comm_s / calls == pytest.approx(charged, rel=1e-9)


def test_the_large_allreduce_audit_reads_every_engine_row_in_a_size_band() -> None:
    """Every measured all-reduce of the engines' own ops falls in one of the audit's size bands, so its summary
    covers the whole table, for each of the three engines on the GPUs the catalog names."""
    audit = load_benchmark("allreduce_large")
    with audit.ENGINE_DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    ratios = audit.banded(rows, lambda r: (r["framework"],))
    assert {key[0] for key in ratios} == {"vLLM", "SGLang", "TensorRT-LLM"}
    assert sum(len(values) for values in ratios.values()) == len(rows)
    # the charge is of the measured op's order: nowhere under half or over eight times what it takes
    assert all(0.5 < ratio < 8.0 for values in ratios.values() for ratio in values)


def test_the_engines_own_allreduce_kernels_take_their_shares_of_the_fixed_time() -> None:
    """SGLang's JIT custom all-reduce (its default on CUDA from 0.5.12) and TensorRT-LLM's all-reduce on Hopper and
    Blackwell take their fitted shares of the family's fixed all-reduce time, and so a shorter decode step; SGLang
    0.5.11, vLLM, a server over two nodes, PCIe GPUs, AMD GPUs, TensorRT-LLM on Ampere and groups outside 2-8 GPUs
    keep the family's."""
    family = efficiency_for("hopper").allreduce_us * 1e-6
    for engine in ("sglang==0.5.12", "sglang==0.5.14", "sglang"):
        assert _llama70b_plan(engine).step_cost.rates.allreduce_latency_s == pytest.approx(
            family * SGLANG_CUSTOM_AR_V2_SCALE
        )
    assert _llama70b_plan("trtllm").step_cost.rates.allreduce_latency_s == pytest.approx(
        family * TRTLLM_CUSTOM_AR_SCALE
    )
    for engine in ("sglang==0.5.11", "vllm"):
        assert _llama70b_plan(engine).step_cost.rates.allreduce_latency_s == pytest.approx(family)
    assert _llama70b_plan("sglang==0.5.12", pp=2).step_cost.rates.allreduce_latency_s == pytest.approx(family)
    assert _llama70b_plan("sglang==0.5.12").step_s(8, 0, 0) < _llama70b_plan("sglang==0.5.11").step_s(8, 0, 0)
    sglang, trtllm = profile_for("sglang==0.5.12"), profile_for("trtllm")
    common = {"nvlink": True, "group": 8, "server_gpus": 8, "gpus_per_node": 8}
    assert custom_allreduce_scale(sglang, gpu_family="hopper", **common) == SGLANG_CUSTOM_AR_V2_SCALE
    assert custom_allreduce_scale(trtllm, gpu_family="blackwell", **common) == TRTLLM_CUSTOM_AR_SCALE
    assert custom_allreduce_scale(trtllm, gpu_family="ampere", **common) == 1.0
    assert custom_allreduce_scale(sglang, gpu_family="cdna3", **common) == 1.0
    assert custom_allreduce_scale(sglang, gpu_family="ada", **{**common, "nvlink": False}) == 1.0
    assert custom_allreduce_scale(sglang, gpu_family="hopper", **{**common, "group": 1}) == 1.0
    wide = {**common, "group": 16, "server_gpus": 16, "gpus_per_node": 72}
    assert custom_allreduce_scale(trtllm, gpu_family="blackwell", **wide) == 1.0


def test_vllm_defaults_its_memory_utilization_by_release() -> None:
    """vLLM takes 0.9 of the GPU where none is given, and 0.92 from 0.21 (PR #38284 raised it when the
    CUDA-graph estimate went in); a given utilization is kept; the 0.02 more goes to the KV cache."""
    llama = load_model("meta-llama/Llama-3.1-8B-Instruct")

    def memory(engine: str, util: float | None = None) -> Any:
        return plan_deployment(
            llama, get_gpu("H100"), num_gpus=1, tp=1, input_length=1000, output_length=100,
            engine=engine, gpu_memory_utilization=util,
        ).memory  # fmt: skip

    assert memory("vllm==0.19.0").gpu_memory_utilization == 0.9
    assert memory("vllm").gpu_memory_utilization == 0.9
    for release in ("vllm==0.21.0", "vllm==0.29.0"):
        default, given = memory(release), memory(release, 0.9)
        assert default.gpu_memory_utilization == 0.92
        assert given.gpu_memory_utilization == 0.9
        assert default.kv_capacity_gib - given.kv_capacity_gib == pytest.approx(
            0.02 * get_gpu("H100").visible_memory_gib
        )

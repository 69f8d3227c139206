"""MoE layers on Blackwell.

SGLang's run on FlashInfer's TensorRT-LLM-gen kernels (its ``flashinfer_trtllm`` and ``flashinfer_mxfp4``
runners, chosen by ``server_args.py`` per model class and format), whose whole expert path costs a fitted fixed
time (``calibration.TRTLLM_GEN_MOE_LAYER_US``) instead of the generic path's launches and quantisation time.
TensorRT-LLM's default backend (CUTLASS) runs NVFP4 experts slower than the generic term gives, by a factor that
depends on the expert shape and split (aiconfigurator's measured TensorRT-LLM 1.3.0rc20 layers): the engine scales
that term by the measured factor where the layer was timed (``data/trtllm_cutlass_fp4_moe.json``), else by
``1 + calibration.TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH / I`` (``I`` the experts' width), there and nowhere else."""

from __future__ import annotations

import json
import math
from importlib import resources

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    DEEPGEMM_BLACKWELL_MOE_US,
    SGLANG_BLACKWELL_TRITON_MOE_US,
    TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH,
    TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH,
    TRTLLM_GEN_BLOCK_FP8_MOE,
    TRTLLM_GEN_MOE_LAYER_US,
    TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US,
    TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN,
    efficiency_for,
    profile_for,
    runs_trtllm_gen_moe,
    sglang_blackwell_triton_moe_us,
    trtllm_block_fp8_moe_half_width,
    trtllm_cutlass_fp4_factor,
    trtllm_cutlass_moe_slowdown,
    vllm_deepgemm_blackwell_moe_us,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import EXPERT_PATH_KERNELS
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.roofline import StepCost, soft_max

R1 = load_model("deepseek-ai/DeepSeek-R1")
R1_SHAPE = (R1.hidden_size, R1.moe_intermediate_size, R1.num_experts, R1.num_experts_per_token)
#: TensorRT-LLM's CUTLASS factor on R1's NVFP4 experts at TP8 (each expert split eight ways: a measured split)
R1_CUTLASS_FP4 = trtllm_cutlass_fp4_factor(R1_SHAPE, 8, 1)


def _plan(
    model: ModelArchitecture, gpu: str, engine: str, precision: str, tp: int = 8, **kw: int
) -> Deployment:
    return plan_deployment(
        model,
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        precision=precision,
        input_length=1024,
        output_length=256,
        engine=engine,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("model_class", "precision", "gpu_family", "ep", "dp_attention", "expected"),
    [
        ("DeepseekV3ForCausalLM", "fp8", "blackwell", 1, 1, True),
        ("DeepseekV3ForCausalLM", "nvfp4", "blackwell", 4, 1, True),  # experts split, no all-to-all backend
        ("DeepseekV3ForCausalLM", "fp8", "blackwell", 8, 8, False),  # DeepEP
        ("DeepseekV3ForCausalLM", "fp8", "hopper", 1, 1, False),
        ("GptOssForCausalLM", "mxfp4", "blackwell", 1, 1, True),
        ("Qwen3MoeForCausalLM", "bf16", "blackwell", 1, 1, True),
        ("Llama4ForConditionalGeneration", "fp8", "blackwell", 1, 1, True),
        ("Llama4ForConditionalGeneration", "bf16", "blackwell", 1, 1, False),
        ("MixtralForCausalLM", "bf16", "blackwell", 1, 1, False),
    ],
)
def test_sglang_picks_the_trtllm_gen_moe_kernels_as_its_server_args_do(
    model_class: str, precision: str, gpu_family: str, ep: int, dp_attention: int, expected: bool
) -> None:
    # a stage of the expert-parallel ranks (eight GPUs with eight attention groups: DeepEP's layout)
    layout = {"gpu_family": gpu_family, "ep": ep, "dp_attention": dp_attention, "world": ep}
    picked = runs_trtllm_gen_moe(
        profile_for("sglang"), model_class=model_class, weight_precision=precision, **layout
    )
    assert picked is expected
    # TensorRT-LLM's MoE backend depends on the recipe, and vLLM's unpinned profile (0.11) runs DeepGEMM's, Triton's
    # or CUTLASS's kernels there: the generic path
    for other in ("vllm", "trtllm"):
        assert not runs_trtllm_gen_moe(
            profile_for(other), model_class=model_class, weight_precision=precision, **layout
        )


@pytest.mark.parametrize(("precision", "index"), [("fp8", 1), ("fp4", 2)])
def test_the_fused_expert_path_costs_its_fitted_fixed_time_and_no_launches(
    precision: str, index: int
) -> None:
    sglang = _plan(R1, "B200", "sglang", precision)
    generic = _plan(R1, "B200", "trtllm", precision)  # same GPU, the generic expert path
    assert sglang.rates.moe_fused_path and not generic.rates.moe_fused_path
    assert sglang.rates.moe_layer_s == pytest.approx(TRTLLM_GEN_MOE_LAYER_US[index] * 1e-6)
    # the generic path's expert GEMMs at the fused kernels' own rate (block-scaled FP8: TRTLLM_GEN_BLOCK_FP8_MOE)
    rates = attrs.evolve(
        generic.rates, moe_gemm_flops=sglang.rates.moe_gemm_flops, moe_half_width=sglang.rates.moe_half_width
    )
    generic = attrs.evolve(generic, rates=rates, step_cost=StepCost(generic.costs, rates, generic.profile))
    # the layer's streaming and compute term is the same; only the fixed time differs, and TensorRT-LLM's
    # factor on its CUTLASS NVFP4 layers (calibration.trtllm_cutlass_moe_slowdown)
    fused = sglang.step_cost.moe_layer_terms(4.0)
    plain = generic.step_cost.moe_layer_terms(4.0)
    assert fused[1:] == pytest.approx(plain[1:])
    scaled = (generic.rates.moe_slowdown - 1.0) * soft_max(plain[1], plain[2])
    assert fused[0] - plain[0] == pytest.approx(sglang.rates.moe_layer_s - generic.rates.moe_layer_s - scaled)
    gemm, small = EXPERT_PATH_KERNELS
    launches = sglang.costs.moe_layers * (
        gemm * sglang.rates.gemm_kernel_s + small * sglang.rates.small_kernel_s
    )
    fixed_gap = sglang.costs.moe_layers * (sglang.rates.moe_layer_s - generic.rates.moe_layer_s) - launches
    # a decode step (shared experts beside on both: SGLang's on a second stream, TensorRT-LLM's on its aux
    # stream) differs by the fixed times alone, less SGLang's host time per step and sequence and its JIT custom
    # all-reduce's shorter fixed time (calibration.custom_allreduce_scale)
    host_gap = (sglang.profile.step_overhead_ms - generic.profile.step_overhead_ms) * 1e-3 + (
        sglang.profile.per_sequence_overhead_ms - generic.profile.per_sequence_overhead_ms
    ) * 1e-3 * 4
    scaled_gap = sglang.costs.moe_layers * scaled
    calls = sglang.costs.allreduce_calls + sglang.costs.norm_allreduce_calls
    allreduce_gap = calls * (sglang.rates.allreduce_latency_s - generic.rates.allreduce_latency_s)
    assert allreduce_gap < 0
    assert sglang.step_s(4, 0, 0) - generic.step_s(4, 0, 0) == pytest.approx(
        fixed_gap + host_gap - scaled_gap + allreduce_gap, rel=1e-6
    )


def test_the_fitted_fixed_times_are_what_the_fit_script_prints() -> None:
    """TRTLLM_GEN_MOE_LAYER_US is benchmarks/fit_blackwell_moe.py's fit on its named subset: a change to
    the data or to the engine's streaming term shows up here."""
    module = load_benchmark("fit_blackwell_moe")
    assert module.fitted(module.layers(module.SGLANG)) == TRTLLM_GEN_MOE_LAYER_US


@settings(max_examples=20, deadline=None)
@given(tokens=st.integers(1, 8192), precision=st.sampled_from(["fp8", "fp4"]))
def test_more_tokens_never_make_the_fused_expert_path_faster(tokens: int, precision: str) -> None:
    d = _plan(R1, "B200", "sglang", precision)
    assert d.step_cost.moe_layer_terms(float(tokens + 1))[0] >= d.step_cost.moe_layer_terms(float(tokens))[0]


@pytest.mark.parametrize(
    ("engine", "model_class", "precision", "expected"),
    [
        ("sglang==0.5.6", "Qwen3MoeForCausalLM", "bf16", False),  # BF16 Qwen3-MoE joined the rule in 0.5.8
        ("sglang==0.5.8", "Qwen3MoeForCausalLM", "bf16", True),
        ("sglang==0.5.6", "Qwen3MoeForCausalLM", "fp8", True),
        ("sglang==0.5.6.post1", "DeepseekV3ForCausalLM", "fp8", True),
        ("sglang==0.5.6", "DeepseekV3ForCausalLM", "bf16", False),  # unquantized DeepSeek-V3 from 0.5.12
        ("sglang==v0.5.12-cu130", "DeepseekV3ForCausalLM", "bf16", True),
        ("sglang==0.5.4", "GptOssForCausalLM", "mxfp4", False),  # before the releases read: generic
        ("sglang", "Llama4ForConditionalGeneration", "fp8", True),  # no release: the newest rules
        # the classes the 0.5.10-0.5.16 wheels add to the rule
        ("sglang==0.5.10", "Qwen3_5MoeForConditionalGeneration", "bf16", True),
        ("sglang==0.5.8", "Qwen3_5MoeForConditionalGeneration", "fp8", False),  # not read before 0.5.10
        ("sglang==0.5.12", "NemotronHForCausalLM", "fp8", True),  # ModelOpt checkpoints
        ("sglang==0.5.12", "NemotronHForCausalLM", "bf16", False),  # unquantized from 0.5.14
        ("sglang==0.5.14", "NemotronHForCausalLM", "bf16", True),
        ("sglang==0.5.14", "Gemma4ForConditionalGeneration", "fp4", True),
        ("sglang==0.5.14", "Glm4MoeForCausalLM", "bf16", False),  # unquantized GLM-4.5 from 0.5.16
        ("sglang==0.5.16", "Glm4MoeForCausalLM", "bf16", True),
        ("sglang==0.5.16", "Glm4MoeForCausalLM", "fp8", False),  # its FP8 checkpoint keeps Triton's kernel
    ],
)
def test_the_rule_follows_the_sglang_release(
    engine: str, model_class: str, precision: str, expected: bool
) -> None:
    picked = runs_trtllm_gen_moe(
        profile_for(engine),
        model_class=model_class,
        weight_precision=precision,
        gpu_family="blackwell",
        ep=1,
        dp_attention=1,
        world=1,
    )
    assert picked is expected


@pytest.mark.parametrize(
    ("engine", "precision", "gpu_family", "trtllm_gen", "scaled"),
    [
        ("trtllm", "fp4", "blackwell", False, True),
        ("trtllm", "nvfp4", "blackwell", False, True),
        ("trtllm", "fp4", "blackwell", True, False),  # TensorRT-LLM-gen kernels: their own fixed time
        ("trtllm", "fp8", "blackwell", False, False),
        ("trtllm", "bf16", "blackwell", False, False),
        # block-scaled FP8 on Hopper slows with the shard's width: not scaled
        ("trtllm", "fp8", "hopper", False, False),
        ("sglang", "fp4", "blackwell", False, False),
        ("vllm", "fp4", "blackwell", False, False),
    ],
)
def test_only_tensorrt_llm_cutlass_nvfp4_experts_on_blackwell_are_scaled(
    engine: str, precision: str, gpu_family: str, trtllm_gen: bool, scaled: bool
) -> None:
    factor = trtllm_cutlass_moe_slowdown(
        profile_for(engine),
        weight_precision=precision,
        gpu_family=gpu_family,
        trtllm_gen_moe=trtllm_gen,
        expert_shape=R1_SHAPE,
        moe_tp=8,
        ep=1,
    )
    assert factor == (R1_CUTLASS_FP4 if scaled else 1.0)
    assert R1_CUTLASS_FP4 > 1.0


def test_the_cutlass_nvfp4_factor_is_measured_where_timed_and_the_width_elsewhere() -> None:
    """A shape and split aiconfigurator timed take the factor its B200 layers imply; any other takes
    ``1 + W / I``, which shrinks toward one as the experts widen (Qwen3-30B-A3B's 768 above two, DeepSeek's 2,048
    about 1.5, Llama-4's 8,192 near one) whatever the split."""
    assert trtllm_cutlass_fp4_factor(R1_SHAPE, 1, 8) != trtllm_cutlass_fp4_factor(
        R1_SHAPE, 1, 4
    )  # both measured
    width = TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH
    # sixteen GPUs are not in the table (its layouts hold at most eight): the width
    assert trtllm_cutlass_fp4_factor(R1_SHAPE, 1, 16) == pytest.approx(1.0 + width / 2048)
    laws = [trtllm_cutlass_fp4_factor((4096, i, 100, 8), 1, 2) for i in (512, 768, 1536, 2048, 8192, 16384)]
    assert laws == sorted(laws, reverse=True)
    assert laws[1] > 2.0 and 1.3 < laws[3] < 1.7 and laws[-1] < 1.1
    trtllm = profile_for("trtllm")
    for tp, ep in ((8, 1), (8, 8), (4, 4), (16, 16)):
        d = _plan(R1, "B200", "trtllm", "fp4", tp=tp, ep=ep)
        assert d.rates.moe_slowdown == trtllm_cutlass_fp4_factor(R1_SHAPE, tp // ep, ep)
        assert d.rates.moe_slowdown == trtllm_cutlass_moe_slowdown(
            trtllm,
            weight_precision="fp4",
            gpu_family="blackwell",
            trtllm_gen_moe=False,
            expert_shape=R1_SHAPE,
            moe_tp=tp // ep,
            ep=ep,
        )


@pytest.mark.parametrize("ep", [1, 8])
def test_the_factor_scales_the_layers_streaming_and_compute_term_not_its_fixed_time(ep: int) -> None:
    d = _plan(R1, "B200", "trtllm", "fp4", ep=ep)
    factor = trtllm_cutlass_fp4_factor(R1_SHAPE, 8 // ep, ep)
    assert d.rates.moe_slowdown == pytest.approx(factor) and factor > 1.0
    for tokens in (1.0, 64.0, 4096.0):
        seconds, mem, cmp = d.step_cost.moe_layer_terms(tokens)
        assert seconds == pytest.approx(factor * soft_max(mem, cmp) + d.rates.moe_layer_s)
    # a decode step costs more than with the factor at 1 by the MoE layers' extra time alone
    plain = StepCost(d.costs, attrs.evolve(d.rates, moe_slowdown=1.0), d.profile)
    _, mem, cmp = plain.moe_layer_terms(64.0)
    extra = d.costs.moe_layers * (factor - 1.0) * soft_max(mem, cmp)
    contents = (64, 64 * 1100, 64 * 1100, 0, 0, 0, 64)
    assert d.step_cost.time(*contents) - plain.time(*contents) == pytest.approx(extra, rel=1e-9)


def test_other_engines_and_formats_keep_the_generic_term() -> None:
    for gpu, engine, precision in (
        ("B200", "sglang", "fp4"),  # TensorRT-LLM-gen kernels
        ("B200", "vllm", "fp4"),
        ("B200", "trtllm", "fp8"),
        ("H200", "trtllm", "fp8"),
    ):
        assert _plan(R1, gpu, engine, precision).rates.moe_slowdown == 1.0, (gpu, engine, precision)


@pytest.mark.parametrize(
    ("engine", "precision", "gpu_family", "factor"),
    [
        ("trtllm", "mxfp4", "hopper", TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN),
        ("trtllm", "mxfp4", "blackwell", 1.0),  # FP4 tensor cores there
        ("trtllm", "fp4", "hopper", 1.0),
        ("vllm", "mxfp4", "hopper", 1.0),  # vLLM's Marlin path has its own rate
        ("sglang", "mxfp4", "hopper", 1.0),
    ],
)
def test_tensorrt_llm_mxfp4_experts_on_hopper_are_scaled(
    engine: str, precision: str, gpu_family: str, factor: float
) -> None:
    """TensorRT-LLM dequantizes MXFP4 experts to 16-bit on Hopper (no FP4 tensor cores): its layer runs
    TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN times the generic term's streaming and compute; nothing else moves."""
    got = trtllm_cutlass_moe_slowdown(
        profile_for(engine),
        weight_precision=precision,
        gpu_family=gpu_family,
        trtllm_gen_moe=False,
        expert_shape=(2880, 2880, 128, 4),
        moe_tp=1,
        ep=1,
    )
    assert got == factor
    gpt = load_model("openai/gpt-oss-120b")
    d = _plan(gpt, "H200", "trtllm", "mxfp4")
    assert d.rates.moe_slowdown == TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN > 1.0


def test_the_hopper_mxfp4_factor_is_what_the_fit_script_prints() -> None:
    """TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN is benchmarks/fit_trtllm_moe.py's fit on its named subset (TP1); the
    held-out EP8 layers read closer with it than without."""
    module = load_benchmark("fit_trtllm_moe")
    rows = module.hopper_mxfp4_layers()
    assert module.fitted_hopper_mxfp4(rows) == TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN
    held = [r for r in rows if r[0] > 1]
    assert held
    k = TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN
    scaled = sorted(abs(math.log(m / (k * b + f))) for _, _, m, f, b in held)
    generic = sorted(abs(math.log(m / (b + f))) for _, _, m, f, b in held)
    assert scaled[len(scaled) // 2] < generic[len(generic) // 2]


def test_the_cutlass_nvfp4_factors_are_what_the_fit_script_writes() -> None:
    """The package table and TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH are benchmarks/fit_trtllm_moe.py's fits on their named
    subsets of the B200's layers: a change to the data or to the engine's generic term shows up here. Held out (the
    B300, GB200 and GB300 tables, collected on their own), the engine's factors read closer than the width alone, and
    the width closer than the single factor it replaced or none."""
    module = load_benchmark("fit_trtllm_moe")
    rows = module.fp4_layers()
    assert module.fitted_fp4_half_width(rows) == TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH
    text = (resources.files("config_explorer") / "data" / "trtllm_cutlass_fp4_moe.json").read_text("utf-8")
    assert json.loads(text)["factors"] == module.measured_fp4_factors(rows)
    held = [r for r in rows if r.gpu != "B200-SXM"]
    assert {r.gpu for r in held} == {"B300-SXM", "GB200", "GB300"}
    rules = list(module.fp4_rules(rows, TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH).values())
    measured, width, single, none = (module._fp4_error(held, rule)[0] for rule in rules)
    assert measured < width < min(single, none)


@settings(max_examples=20, deadline=None)
@given(tokens=st.integers(1, 8192))
def test_more_tokens_never_make_the_scaled_expert_layer_faster(tokens: int) -> None:
    d = _plan(R1, "B200", "trtllm", "fp4", ep=8)
    assert d.step_cost.moe_layer_terms(float(tokens + 1))[0] >= d.step_cost.moe_layer_terms(float(tokens))[0]


@pytest.mark.parametrize(
    ("engine", "precision", "gpu_family", "block_scaled", "half_width"),
    [
        ("trtllm", "fp8", "hopper", True, TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH),
        ("trtllm", "fp8", "hopper", False, None),  # per-tensor FP8: the generic kernels' width
        ("trtllm", "fp8", "blackwell", True, None),
        ("trtllm", "bf16", "hopper", False, None),
        ("vllm", "fp8", "hopper", True, None),
        ("sglang", "fp8", "hopper", True, None),
    ],
)
def test_only_tensorrt_llm_block_scaled_fp8_experts_on_hopper_take_the_fitted_half_width(
    engine: str, precision: str, gpu_family: str, block_scaled: bool, half_width: float | None
) -> None:
    found = trtllm_block_fp8_moe_half_width(
        profile_for(engine), weight_precision=precision, gpu_family=gpu_family, block_scaled=block_scaled
    )
    assert found == half_width


def test_a_checkpoint_scaled_per_block_is_read_from_its_quantization_config() -> None:
    assert R1.weight_block_scaled and load_model("Qwen/Qwen3-235B-A22B-FP8").weight_block_scaled
    assert not load_model("Qwen/Qwen3-235B-A22B").weight_block_scaled  # 16-bit
    assert not load_model("meta-llama/Llama-3.1-405B-Instruct-FP8").weight_block_scaled  # per channel
    assert R1.summary()["weight_block_scaled"] is True


def test_the_half_width_slows_the_expert_compute_by_the_shards_width() -> None:
    """R1's FP8 checkpoint on TensorRT-LLM on an H200 computes its 256-wide TP8 shards at 256 / (256 + 1900) of
    the rate the generic Hopper figure gives at 256 / (256 + 700); served at FP4, or quantized at run time
    per tensor, it keeps the generic figure."""
    generic = efficiency_for("hopper").moe_half_width("fp8")
    d = _plan(R1, "H200", "trtllm", "fp8")
    assert d.rates.moe_half_width == TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH
    plain = StepCost(d.costs, attrs.evolve(d.rates, moe_half_width=generic), d.profile)
    width = d.costs.expert_width
    _, _, cmp = d.step_cost.moe_layer_terms(4096.0)
    _, _, cmp_generic = plain.moe_layer_terms(4096.0)
    assert cmp / cmp_generic == pytest.approx((width + TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH) / (width + generic))
    assert _plan(load_model("Qwen/Qwen3-235B-A22B"), "H200", "trtllm", "fp8").rates.moe_half_width == generic
    assert _plan(R1, "H200", "vllm", "fp8").rates.moe_half_width == generic


def test_the_half_width_is_what_the_fit_script_prints() -> None:
    """TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH is benchmarks/fit_trtllm_moe.py's fit on the H200's block-scaled rows at
    1,024 tokens and more; the H100's rows are held out and read better with it than with the generic one."""
    module = load_benchmark("fit_trtllm_moe")
    rows = module.layers()
    assert module.fitted_half_width(rows) == TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH
    fit = module.width_fit_rows(rows)
    assert fit and all(r.gpu == "H200-SXM" and r.tokens >= 1024 for r in fit)
    h100 = [r for r in rows if r.block_hopper and r.gpu == "H100-SXM"]
    generic = efficiency_for("hopper").moe_half_width("fp8")
    assert module._width_error(h100, TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH) < module._width_error(h100, generic)


GLM = load_model("zai-org/GLM-4.5-FP8")


@pytest.mark.parametrize(
    ("engine", "precision", "gpu_family", "generic", "deepep", "expected"),
    [
        ("sglang", "bf16", "blackwell", True, False, SGLANG_BLACKWELL_TRITON_MOE_US[0]),
        ("sglang", "fp8", "blackwell", True, False, SGLANG_BLACKWELL_TRITON_MOE_US[1]),
        ("sglang", "int8", "blackwell", True, False, SGLANG_BLACKWELL_TRITON_MOE_US[1]),
        ("sglang", "fp4", "blackwell", True, False, 0.0),  # no Triton kernel for 4-bit experts there
        ("sglang", "bf16", "blackwell", False, False, 0.0),  # TensorRT-LLM-gen or Marlin kernels
        ("sglang", "fp8", "blackwell", True, True, 0.0),  # DeepEP: DeepGEMM's masked grouped GEMMs
        ("sglang", "bf16", "hopper", True, False, 0.0),  # the same kernel reads the generic term there
        ("vllm", "bf16", "blackwell", True, False, 0.0),
        ("trtllm", "fp8", "blackwell", True, False, 0.0),
    ],
)
def test_sglang_triton_moe_costs_more_on_blackwell_only(
    engine: str, precision: str, gpu_family: str, generic: bool, deepep: bool, expected: float
) -> None:
    extra = sglang_blackwell_triton_moe_us(
        profile_for(engine),
        weight_precision=precision,
        gpu_family=gpu_family,
        generic_path=generic,
        deepep=deepep,
    )
    assert extra == expected
    assert all(v > 0 for v in SGLANG_BLACKWELL_TRITON_MOE_US)


def test_an_sglang_deployment_on_the_triton_path_charges_it_per_moe_layer() -> None:
    """GLM-4.5's experts run on SGLang's Triton kernel on a B200 (no TensorRT-LLM-gen rule for its class): the
    layer's fixed time is the generic path's plus the fitted extra, and a decode step pays it once per MoE layer."""
    sglang = _plan(GLM, "B200", "sglang==0.5.6.post1", "fp8")
    vllm = _plan(GLM, "B200", "vllm", "fp8")
    assert not sglang.rates.moe_fused_path
    extra = SGLANG_BLACKWELL_TRITON_MOE_US[1] * 1e-6
    assert sglang.rates.moe_layer_s == pytest.approx(vllm.rates.moe_layer_s + extra)
    hopper = _plan(GLM, "H200", "sglang==0.5.6.post1", "fp8")
    assert hopper.rates.moe_layer_s == pytest.approx(vllm.rates.moe_layer_s)
    plain = StepCost(
        sglang.costs, attrs.evolve(sglang.rates, moe_layer_s=vllm.rates.moe_layer_s), sglang.profile
    )
    contents = (16, 16 * 1000, 16 * 1000, 0, 0, 0, 16)
    assert sglang.step_cost.time(*contents) - plain.time(*contents) == pytest.approx(
        sglang.costs.moe_layers * extra, rel=1e-9
    )


def test_the_triton_runner_moves_experts_off_the_trtllm_gen_kernels() -> None:
    """``--moe-runner-backend triton`` keeps DeepSeek-R1's FP8 experts on SGLang's Triton kernel on a B200 (the
    generic path and the fitted extra, not the fused path's fixed time, with the shared expert fused), names
    itself in the record and the launch command, and changes nothing where SGLang runs Triton's kernel anyway."""
    from config_explorer.errors import InvalidArgumentError
    from config_explorer.recommender.performance import estimate_performance
    from config_explorer.recommender.serve_command import serve_command

    triton = check_engine_options({"moe_runner_backend": "triton"}, "sglang")
    own = _plan(R1, "B200", "sglang", "fp8")
    forced = plan_deployment(
        R1, get_gpu("B200"), num_gpus=8, tp=8, precision="fp8", input_length=1024, output_length=256,
        engine="sglang", engine_options=triton,
    )  # fmt: skip
    assert own.rates.moe_fused_path and not forced.rates.moe_fused_path
    # off the flashinfer_trtllm runner, which turns shared-expert fusion off, the shared expert fuses again
    assert own.costs.shared_experts.mode == "side_stream" and forced.costs.shared_experts.mode == "fused"
    generic = plan_deployment(
        R1, get_gpu("B200"), num_gpus=8, tp=8, precision="fp8", input_length=1024, output_length=256,
        engine="vllm", engine_options=check_engine_options({"deep_gemm": False}, "vllm"),
    )  # fmt: skip
    assert forced.rates.moe_layer_s == pytest.approx(
        generic.rates.moe_layer_s + SGLANG_BLACKWELL_TRITON_MOE_US[1] * 1e-6
    )
    assert forced.moe_runner_backend == "triton" and own.moe_runner_backend is None
    assert not any("moe_runner_backend" in w for w in forced.warnings)
    dense = plan_deployment(
        load_model("meta-llama/Llama-3.1-8B-Instruct"), get_gpu("B200"), num_gpus=1, tp=1, input_length=1024,
        output_length=256, engine="sglang", engine_options=triton,
    )  # fmt: skip
    assert dense.moe_runner_backend is None
    assert any("moe_runner_backend=triton changes nothing here: no MoE layers" in w for w in dense.warnings)
    record = estimate_performance(
        "deepseek-ai/DeepSeek-R1", "B200", 8, 8, 1024, 256, backend="native", engine="sglang",
        engine_options={"moe_runner_backend": "triton"}, concurrency=4,
    )  # fmt: skip
    assert record.moe_runner_backend == "triton"
    assert "--moe-runner-backend triton" in serve_command(R1, record)
    # where SGLang picks Triton's kernel itself the option changes nothing, and says so
    glm = plan_deployment(
        GLM, get_gpu("B200"), num_gpus=8, tp=8, precision="fp8", input_length=1024, output_length=256,
        engine="sglang", engine_options=triton,
    )  # fmt: skip
    assert glm.moe_runner_backend is None
    assert any("moe_runner_backend=triton changes nothing here" in w for w in glm.warnings)
    # DeepSeek-V4's MXFP4 experts on Hopper have no Triton kernel: the launch would not run
    with pytest.raises(InvalidArgumentError, match="moe_runner_backend=triton: SGLang has no Triton kernel"):
        plan_deployment(
            load_model("deepseek-ai/DeepSeek-V4-Flash"), get_gpu("H200"), num_gpus=4, tp=4, input_length=1024,
            output_length=256, engine="sglang", engine_options=triton,
        )  # fmt: skip


def test_the_triton_extra_is_what_the_fit_script_prints() -> None:
    """SGLANG_BLACKWELL_TRITON_MOE_US is benchmarks/fit_blackwell_moe.py's fit on its named subset (SGLang 0.5.9, TP8,
    1-4 tokens); SGLang 0.5.10's layers, held out, read closer with it than with the generic path alone."""
    module = load_benchmark("fit_blackwell_moe")
    rows = module.layers(module.TRITON)
    assert module.fitted_triton(rows) == SGLANG_BLACKWELL_TRITON_MOE_US
    fit = [r for r in rows if r.in_triton_fit]
    assert fit and all((r.tp, r.ep) == (8, 1) and r.tokens <= 4 for r in fit)
    later = module.layers(module.TRITON_LATER)
    extra = SGLANG_BLACKWELL_TRITON_MOE_US

    with_extra = sorted(r.error(r.generic_us + extra[r.format_class]) for r in later)
    without = sorted(r.error(r.generic_us) for r in later)
    assert with_extra[len(with_extra) // 2] < without[len(without) // 2]


def test_default_config_triton_layers_run_slower_at_prompt_sized_batches() -> None:
    """benchmarks/triton_moe_configs.py's split: DeepSeek-V3's FP8-block TP8 shape has a tuned B200 config in SGLang
    0.5.9 and Qwen3-235B's 16-bit TP8 one has not; at 4,096 tokens the default-config layers read further past the
    engine's Triton term than the tuned ones (the lead the engine does not model)."""
    module = load_benchmark("triton_moe_configs")
    release = module.TRITON[1].split()[-1]
    measured = module.layers(module.TRITON)
    tuned = [r for r in measured if r.model.endswith("DeepSeek-V3") and r.dtype == "fp8_block"]
    untuned = [r for r in measured if r.model.endswith("Qwen3-235B-A22B") and r.dtype == "bfloat16"]
    assert module.has_tuned_config(next(r for r in tuned if r.tp == 8 and r.ep == 1), release)
    assert not module.has_tuned_config(next(r for r in untuned if r.tp == 8 and r.ep == 1), release)
    by_config = module.ratios((module.TRITON,))
    at_4096 = {is_tuned: by_config[(is_tuned, 4096)] for is_tuned in (True, False)}
    assert at_4096[True] and at_4096[False]
    assert sorted(at_4096[False])[len(at_4096[False]) // 2] > sorted(at_4096[True])[len(at_4096[True]) // 2]


_DEEPGEMM_256 = DEEPGEMM_BLACKWELL_MOE_US[0] + DEEPGEMM_BLACKWELL_MOE_US[1] * 256


@pytest.mark.parametrize(
    ("engine", "precision", "gpu_family", "block_scaled", "deep_gemm", "moe_tp", "generic", "expected"),
    [
        ("vllm", "fp8", "blackwell", True, True, 8, True, _DEEPGEMM_256),  # the default profile (0.11)
        ("vllm==0.11.2", "fp8", "blackwell", True, True, 8, True, _DEEPGEMM_256),
        # VLLM_USE_DEEP_GEMM defaulted to 0: Triton
        ("vllm==0.10.2", "fp8", "blackwell", True, True, 8, True, 0.0),
        # DeepGEMM MoE off at MoE TP 8: Triton
        ("vllm==0.12.0", "fp8", "blackwell", True, True, 8, True, 0.0),
        ("vllm==0.14.1", "fp8", "blackwell", True, True, 4, True, _DEEPGEMM_256),
        # FlashInfer's TensorRT-LLM kernel took it
        ("vllm==0.15.0", "fp8", "blackwell", True, True, 4, False, 0.0),
        # routing FlashInfer's TensorRT-LLM kernel does not take: the oracle's next backend, DeepGEMM, at any TP
        ("vllm==0.15.0", "fp8", "blackwell", True, True, 8, True, _DEEPGEMM_256),
        ("vllm==0.24.0", "fp8", "blackwell", True, True, 8, True, _DEEPGEMM_256),
        ("vllm", "fp8", "hopper", True, True, 8, True, 0.0),  # Triton below 128 tokens, DeepGEMM from there
        ("vllm", "fp8", "blackwell", False, True, 8, True, 0.0),  # per-tensor FP8: no DeepGEMM grouped GEMM
        ("vllm", "fp8", "blackwell", True, False, 8, True, 0.0),  # DeepGEMM not installed
        ("vllm", "fp4", "blackwell", True, True, 8, True, 0.0),
        ("sglang", "fp8", "blackwell", True, True, 8, True, 0.0),
        ("trtllm", "fp8", "blackwell", True, True, 8, True, 0.0),
    ],
)
def test_vllm_runs_block_fp8_experts_on_deepgemm_on_blackwell_in_the_releases_that_do(
    engine: str,
    precision: str,
    gpu_family: str,
    block_scaled: bool,
    deep_gemm: bool,
    moe_tp: int,
    generic: bool,
    expected: float,
) -> None:
    extra = vllm_deepgemm_blackwell_moe_us(
        profile_for(engine),
        weight_precision=precision,
        gpu_family=gpu_family,
        block_scaled=block_scaled,
        deep_gemm=deep_gemm,
        local_experts=256,
        moe_tp=moe_tp,
        generic_path=generic,
    )
    assert extra == pytest.approx(expected)


def test_a_vllm_deployment_on_deepgemm_charges_it_per_moe_layer_by_the_experts_a_gpu_holds() -> None:
    """DeepSeek-R1's FP8-block experts with vLLM on eight B200s: each MoE layer's fixed time is the generic path's
    plus the fitted time for the experts one GPU holds (256 at TP8, 32 at EP8), and a decode step pays it once per
    MoE layer; without DeepGEMM, on an H200, or at a release that runs another kernel, the generic path alone."""

    def plan(gpu: str, engine: str = "vllm", ep: int = 1, **options: bool) -> Deployment:
        return plan_deployment(
            R1, get_gpu(gpu), num_gpus=8, tp=8, ep=ep, precision="fp8", input_length=1024, output_length=256,
            engine=engine, engine_options=check_engine_options(options, "vllm") if options else None,
        )  # fmt: skip

    generic = plan("B200", deep_gemm=False)
    fixed, per_expert = DEEPGEMM_BLACKWELL_MOE_US
    for ep, local in ((1, 256), (8, 32)):
        deepgemm = plan("B200", ep=ep)
        base = plan("B200", ep=ep, deep_gemm=False)
        assert deepgemm.rates.moe_layer_s == pytest.approx(
            base.rates.moe_layer_s + (fixed + per_expert * local) * 1e-6
        )
    deepgemm = plan("B200")
    plain = StepCost(
        deepgemm.costs, attrs.evolve(deepgemm.rates, moe_layer_s=generic.rates.moe_layer_s), deepgemm.profile
    )
    contents = (16, 16 * 1000, 16 * 1000, 0, 0, 0, 16)
    assert deepgemm.step_cost.time(*contents) - plain.time(*contents) == pytest.approx(
        deepgemm.costs.moe_layers * (fixed + per_expert * 256) * 1e-6, rel=1e-9
    )
    assert plan("H200").rates.moe_layer_s == pytest.approx(plan("H200", deep_gemm=False).rates.moe_layer_s)
    # 0.12 keeps DeepGEMM's MoE off at MoE tensor parallelism 8 (Triton's kernel: the generic path)
    assert plan("B200", engine="vllm==0.12.0").rates.moe_layer_s == pytest.approx(generic.rates.moe_layer_s)


def test_vllm_from_015_runs_deepgemm_where_flashinfers_trtllm_kernel_does_not_take_the_routing() -> None:
    """From 0.15 vLLM's FP8 MoE oracle tries FlashInfer's TensorRT-LLM kernel first and DeepGEMM next (FlashInfer's
    CUTLASS kernel takes block-scaled FP8 on Hopper only): Qwen3-235B-A22B-FP8's renormalize routing is not taken at
    0.18 (DeepSeek-V3's only), so its B200 plan pays DeepGEMM's per-expert time at TP8 and says so; at 0.20 the
    TensorRT-LLM kernel takes it back, and DeepSeek-R1's routing is taken throughout."""
    qwen = load_model("Qwen/Qwen3-235B-A22B-FP8")
    assert qwen.weight_block_scaled

    def plan(model: ModelArchitecture, engine: str) -> Deployment:
        return plan_deployment(
            model, get_gpu("B200"), num_gpus=8, tp=8, precision="fp8", input_length=1024, output_length=256,
            engine=engine,
        )  # fmt: skip

    fixed, per_expert = DEEPGEMM_BLACKWELL_MOE_US
    on_deepgemm = plan(qwen, "vllm==0.18.0")
    on_trtllm = plan(qwen, "vllm==0.20.0")
    assert not on_deepgemm.rates.moe_fused_path and on_trtllm.rates.moe_fused_path
    assert any("DeepGEMM" in w for w in on_deepgemm.warnings)
    assert not any("DeepGEMM" in w for w in on_trtllm.warnings)
    without = plan_deployment(
        qwen, get_gpu("B200"), num_gpus=8, tp=8, precision="fp8", input_length=1024, output_length=256,
        engine="vllm==0.18.0", engine_options=check_engine_options({"deep_gemm": False}, "vllm"),
    )  # fmt: skip
    assert on_deepgemm.rates.moe_layer_s == pytest.approx(
        without.rates.moe_layer_s + (fixed + per_expert * qwen.num_experts) * 1e-6
    )
    for release in ("vllm==0.15.0", "vllm==0.18.0", "vllm==0.24.0"):
        assert not any("DeepGEMM" in w for w in plan(R1, release).warnings)


def test_the_deepgemm_time_is_what_the_fit_script_prints() -> None:
    """DEEPGEMM_BLACKWELL_MOE_US is benchmarks/fit_deepgemm_moe.py's fit on its named subset (TensorRT-LLM's DeepGEMM
    B200 layers of 1-16 tokens); the same layers at 64 tokens and more, held out, read closer with it than with the
    generic path alone."""
    module = load_benchmark("fit_deepgemm_moe")
    rows = module.layers()
    assert module.fitted(rows) == DEEPGEMM_BLACKWELL_MOE_US
    held = [r for r in rows if r.tokens not in module.FIT_TOKENS]
    assert held and all(r.tokens >= 64 for r in held)
    assert module.log_error(held, *DEEPGEMM_BLACKWELL_MOE_US) < module.log_error(held, 0.0, 0.0)


@pytest.mark.parametrize(
    ("engine", "model_class", "precision", "block_scaled", "ep", "dp_attention", "expected"),
    [
        ("vllm==0.15.0", "DeepseekV3ForCausalLM", "fp8", True, 1, 1, True),  # PR #32414's oracle
        ("vllm==0.14.1", "DeepseekV3ForCausalLM", "fp8", True, 1, 1, False),  # DeepGEMM or Triton then
        ("vllm==0.15.0", "Qwen3MoeForCausalLM", "fp8", True, 1, 1, True),
        ("vllm==0.18.0", "Qwen3MoeForCausalLM", "fp8", True, 1, 1, False),  # DeepSeek-V3's routing only
        ("vllm==0.20.0", "Qwen3MoeForCausalLM", "fp8", True, 1, 1, True),
        ("vllm==0.24.0", "Llama4ForConditionalGeneration", "fp8", True, 1, 1, False),  # modular variant
        ("vllm==0.24.0", "Llama4ForConditionalGeneration", "fp4", False, 1, 1, True),
        ("vllm==0.24.0", "MiniMaxM2ForCausalLM", "fp8", True, 1, 1, True),  # named MiniMax2 from 0.21
        ("vllm==0.20.0", "MiniMaxM2ForCausalLM", "fp8", True, 1, 1, False),
        ("vllm==0.24.0", "DeepseekV3ForCausalLM", "fp8", False, 1, 1, True),  # per-tensor FP8: its own table
        ("vllm==0.15.0", "Qwen3MoeForCausalLM", "fp8", False, 1, 1, False),  # 0.15.1: Llama 4's routing only
        ("vllm==0.15.0", "Llama4ForConditionalGeneration", "fp8", False, 1, 1, True),
        ("vllm==0.19.0", "Qwen3MoeForCausalLM", "bf16", False, 1, 1, False),  # Triton until 0.20
        ("vllm==0.20.0", "Qwen3MoeForCausalLM", "bf16", False, 1, 1, True),
        ("vllm==0.24.0", "GptOssForCausalLM", "bf16", False, 1, 1, False),  # SwiGLU-OAI: refused
        ("vllm==0.24.0", "DeepseekV3ForCausalLM", "fp4", False, 8, 8, False),  # DeepEP
        ("vllm==0.24.0", "DeepseekV3ForCausalLM", "fp4", False, 8, 1, True),
    ],
)
def test_vllm_picks_flashinfers_single_call_trtllm_moe_by_release_format_and_routing(
    engine: str,
    model_class: str,
    precision: str,
    block_scaled: bool,
    ep: int,
    dp_attention: int,
    expected: bool,
) -> None:
    picked = runs_trtllm_gen_moe(
        profile_for(engine),
        model_class=model_class,
        weight_precision=precision,
        gpu_family="blackwell",
        ep=ep,
        dp_attention=dp_attention,
        world=ep,
        block_scaled=block_scaled,
    )
    assert picked is expected
    assert not runs_trtllm_gen_moe(
        profile_for(engine),
        model_class=model_class,
        weight_precision=precision,
        gpu_family="hopper",
        ep=ep,
        dp_attention=dp_attention,
        world=ep,
        block_scaled=block_scaled,
    )


def test_a_pinned_vllm_deployment_takes_the_fused_path_and_no_deepgemm_time() -> None:
    """DeepSeek-R1's FP8-block experts on eight B200s with vLLM 0.15: the fused path's fixed time (SGLang's fit, the
    same kernels), none of DeepGEMM's; the unpinned profile (0.11) keeps the generic path and DeepGEMM's time."""
    pinned = _plan(R1, "B200", "vllm==0.15.0", "fp8")
    sglang = _plan(R1, "B200", "sglang", "fp8")
    assert pinned.rates.moe_fused_path and sglang.rates.moe_fused_path
    assert pinned.rates.moe_layer_s == pytest.approx(sglang.rates.moe_layer_s)
    assert not any("DeepGEMM" in w for w in pinned.warnings)
    unpinned = _plan(R1, "B200", "vllm", "fp8")
    assert not unpinned.rates.moe_fused_path
    assert any("DeepGEMM" in w for w in unpinned.warnings)


def test_vllms_trtllm_layers_read_closer_with_sglangs_fitted_fused_times() -> None:
    """benchmarks/fit_blackwell_moe.py's held-out vLLM 0.24 B200 layers on FlashInfer's single-call TensorRT-LLM kernels
    (nothing fitted on them): at decode-sized batches the fused path's times read them closer than the generic path."""
    module = load_benchmark("fit_blackwell_moe")
    fixed = module.fitted(module.layers(module.SGLANG))
    rows = [r for source in module.VLLM_TRTLLM for r in module.layers(source) if r.tokens <= 16]
    assert len({r.dtype for r in rows}) == 3

    fused = sorted(r.error(fixed[r.format_class]) for r in rows)
    generic = sorted(r.error(r.generic_us) for r in rows)
    assert fused[len(fused) // 2] < 0.7 * generic[len(generic) // 2]


def test_per_tensor_fp8_experts_on_the_fused_path_cost_their_own_fitted_time() -> None:
    """FP8 experts with one scale per tensor skip the per-block scaling: on the fused path a layer's fixed time is
    TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US, the block-scaled checkpoint's the 8-bit TRTLLM_GEN_MOE_LAYER_US (SGLang runs
    Qwen3-MoE's FP8 experts on that path either way); the constant is benchmarks/fit_blackwell_moe.py's fit on vLLM
    0.24's per-tensor TP8 layers at 1-4 tokens, and the other layers, held out, read closer with it than with the
    generic path."""
    per_tensor = _plan(load_model("Qwen/Qwen3-235B-A22B"), "B200", "sglang", "fp8")
    block = _plan(load_model("Qwen/Qwen3-235B-A22B-FP8"), "B200", "sglang", "fp8")
    assert per_tensor.rates.moe_fused_path and block.rates.moe_fused_path
    assert per_tensor.rates.moe_layer_s == pytest.approx(TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US * 1e-6)
    assert block.rates.moe_layer_s == pytest.approx(TRTLLM_GEN_MOE_LAYER_US[1] * 1e-6)
    module = load_benchmark("fit_blackwell_moe")
    rows = module.layers(module.PER_TENSOR)
    assert module.fitted_per_tensor(rows) == TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US
    held = [r for r in rows if not r.fit_layout]
    fitted = sorted(r.error(TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US) for r in held)
    generic = sorted(r.error(r.generic_us) for r in held)
    assert fitted[len(fitted) // 2] < generic[len(generic) // 2]


def test_the_fused_block_fp8_rate_is_what_the_fit_script_prints() -> None:
    """TRTLLM_GEN_BLOCK_FP8_MOE is benchmarks/fit_trtllm_gen_block_fp8_moe.py's fit on its named subset (SGLang 0.5.14,
    balanced routing, TP splits, 1,024 tokens and more); held out, every other row and vLLM 0.24's prompt-sized
    rows read closer with it than with the family's generic 8-bit term."""
    fit = load_benchmark("fit_trtllm_gen_block_fp8_moe")
    data = fit.rows()
    fit_rows = [r for r in data if r.group == fit.FIT_GROUP]
    assert fit_rows and all(r.tokens >= 1024 and r.group[0] == "SGLang 0.5.14" for r in fit_rows)
    assert fit.fit(fit_rows) == TRTLLM_GEN_BLOCK_FP8_MOE
    held = [r for r in data if r.group != fit.FIT_GROUP]
    assert fit.error(held, TRTLLM_GEN_BLOCK_FP8_MOE) < fit.error(held, fit.GENERIC)
    vllm = [r for r in held if r.group[0] == "vLLM 0.24.0" and r.group[3] == "prompt"]
    assert fit.error(vllm, TRTLLM_GEN_BLOCK_FP8_MOE) < fit.error(vllm, fit.GENERIC)


@pytest.mark.parametrize("engine", ["sglang", "vllm==0.24.0"])
def test_the_fused_block_fp8_rate_slows_whole_experts_not_the_tp8_shards(engine: str) -> None:
    """On FlashInfer's TensorRT-LLM-gen kernels R1's block-scaled FP8 experts compute at about the same rate whatever
    the shard's width: its 256-wide TP8 shards keep about the generic term's prompt-sized compute, its whole
    2,048-wide experts at EP8 take about twice it."""
    fraction, half_width = TRTLLM_GEN_BLOCK_FP8_MOE
    eff = efficiency_for("blackwell")
    generic = (eff.gemm_compute("fp8"), eff.moe_half_width("fp8"))
    ratios = {}
    for tp, ep in ((8, 1), (1, 8)):
        d = _plan(R1, "B200", engine, "fp8", tp=8, ep=ep)
        assert d.rates.moe_fused_path and d.rates.moe_half_width == half_width
        assert d.rates.moe_gemm_flops == pytest.approx(fraction * d.rates.peak_gemm_flops)
        plain = StepCost(
            d.costs,
            attrs.evolve(
                d.rates, moe_gemm_flops=generic[0] * d.rates.peak_gemm_flops, moe_half_width=generic[1]
            ),
            d.profile,
        )
        ratios[(tp, ep)] = d.step_cost.moe_layer_terms(4096.0)[2] / plain.moe_layer_terms(4096.0)[2]
    assert ratios[(8, 1)] == pytest.approx(1.0, abs=0.05)
    assert 1.8 < ratios[(1, 8)] < 2.4


def test_other_fused_formats_and_engines_keep_the_generic_expert_rate() -> None:
    """The fused path's NVFP4 and 16-bit experts, FP8 scaled per tensor, and TensorRT-LLM's own MoE keep the family's
    rate."""
    eff = efficiency_for("blackwell")
    half_width = TRTLLM_GEN_BLOCK_FP8_MOE[1]
    assert _plan(R1, "B200", "sglang", "fp4").rates.moe_half_width == eff.moe_half_width("fp4")
    assert _plan(R1, "B200", "trtllm", "fp8").rates.moe_half_width != half_width
    qwen = _plan(load_model("Qwen/Qwen3-235B-A22B"), "B200", "sglang", "bf16").rates
    assert qwen.moe_fused_path and qwen.moe_half_width == eff.moe_half_width("bf16")
    per_tensor = _plan(load_model("Qwen/Qwen3-235B-A22B"), "B200", "vllm==0.24.0", "fp8").rates
    assert per_tensor.moe_half_width == eff.moe_half_width("fp8")

"""SGLang's MoE layers on Blackwell run on FlashInfer's TensorRT-LLM-gen kernels (its ``flashinfer_trtllm`` and
``flashinfer_mxfp4`` runners, chosen by ``server_args.py`` per model class and format), whose whole expert
path costs a fitted fixed time (``calibration.TRTLLM_GEN_MOE_LAYER_US``) instead of the generic path's
launches and quantisation time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import TRTLLM_GEN_MOE_LAYER_US, profile_for, runs_trtllm_gen_moe
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import EXPERT_PATH_KERNELS

R1 = load_model("deepseek-ai/DeepSeek-R1")
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


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
    layout = {"gpu_family": gpu_family, "ep": ep, "dp_attention": dp_attention}
    picked = runs_trtllm_gen_moe(
        profile_for("sglang"), model_class=model_class, weight_precision=precision, **layout
    )
    assert picked is expected
    for other in ("vllm", "trtllm"):  # their MoE backend depends on release and recipe: the generic path
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
    # the layer's streaming and compute term is the same; only the fixed time differs
    fused = sglang.step_cost.moe_layer_terms(4.0)
    plain = generic.step_cost.moe_layer_terms(4.0)
    assert fused[1:] == pytest.approx(plain[1:])
    assert fused[0] - plain[0] == pytest.approx(sglang.rates.moe_layer_s - generic.rates.moe_layer_s)
    gemm, small = EXPERT_PATH_KERNELS
    launches = sglang.costs.moe_layers * (
        gemm * sglang.rates.gemm_kernel_s + small * sglang.rates.small_kernel_s
    )
    fixed_gap = sglang.costs.moe_layers * (sglang.rates.moe_layer_s - generic.rates.moe_layer_s) - launches
    # a decode step (shared experts beside on both: SGLang's on a second stream, TensorRT-LLM's on its aux
    # stream) differs by the fixed times alone, less SGLang's host time per step and sequence
    host_gap = (sglang.profile.step_overhead_ms - generic.profile.step_overhead_ms) * 1e-3 + (
        sglang.profile.per_sequence_overhead_ms - generic.profile.per_sequence_overhead_ms
    ) * 1e-3 * 4
    assert sglang.step_s(4, 0, 0) - generic.step_s(4, 0, 0) == pytest.approx(fixed_gap + host_gap, rel=1e-6)


def test_the_fitted_fixed_times_are_what_the_fit_script_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    """TRTLLM_GEN_MOE_LAYER_US is benchmarks/fit_blackwell_moe.py's fit on its named subset: a change to
    the data or to the engine's streaming term shows up here."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("fit_blackwell_moe", BENCHMARKS / "fit_blackwell_moe.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
    )
    assert picked is expected

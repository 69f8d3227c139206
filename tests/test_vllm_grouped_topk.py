"""vLLM's grouped top-k routing of score-corrected sigmoid routers (DeepSeek-V3/R1/V3.2, Kimi-K2, GLM-4.5 and GLM-5):
its kernels cost what the vLLM pull requests that replaced them measured (``calibration.VLLM_GROUPED_TOPK_US``), by
release, once per MoE layer, on vLLM on CUDA GPUs only."""

from __future__ import annotations

import attrs
import pytest

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    VLLM_GROUPED_TOPK_US,
    efficiency_for,
    profile_for,
    trtllm_gen_moe_layer_us,
    vllm_grouped_topk_us,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import StepCost

GLM = load_model("zai-org/GLM-4.5-FP8")
SMALL = efficiency_for("hopper").small_kernel_us
TWO_KERNELS, FUSED, SMALL_EXPERT_COUNT = (us for _, us in VLLM_GROUPED_TOPK_US)


def _plan(
    model: str = "zai-org/GLM-4.5-FP8", engine: str = "vllm==0.11.0", gpu: str = "H100 SXM"
) -> Deployment:
    arch = load_model(model)
    return plan_deployment(
        arch, get_gpu(gpu), num_gpus=8, tp=8, input_length=1000, output_length=1000, engine=engine
    )


def test_the_kernel_times_are_read_off_the_pull_requests() -> None:
    # PR #34206 profiled the fused kernel at about 7 us and its own at about 4 us (DeepSeek-R1, H200s)
    assert (FUSED, SMALL_EXPERT_COUNT) == (7.0, 4.0)
    # PR #32058 fused the two kernels into one: GLM-4.7-FP8 (GLM-4.5's 89 MoE layers), 128 requests of 128 output
    # tokens in 4.73 s, 1.2-2% more throughput than with the two (1.6%, the middle, taken)
    layers, steps, run_s = GLM.mlp_kinds.count("moe"), 128, 4.73
    assert layers == 89
    assert pytest.approx(FUSED + run_s * 0.016 / steps / layers * 1e6, abs=0.1) == TWO_KERNELS


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        (
            "vllm==0.11.0",
            TWO_KERNELS + SMALL,
        ),  # the router's sigmoid and bias add as two kernels of their own
        ("vllm==0.12.0", TWO_KERNELS - SMALL),
        ("vllm==0.14.1", TWO_KERNELS - SMALL),
        ("vllm==0.15.1", FUSED - SMALL),
        ("vllm==0.16.0", FUSED - SMALL),
        ("vllm==0.17.0", SMALL_EXPERT_COUNT - SMALL),
        ("vllm", SMALL_EXPERT_COUNT - SMALL),  # no release: the newest kernel read
    ],
)
def test_each_release_pays_its_kernels_beyond_the_one_top_k_kernel_charged(
    engine: str, expected: float
) -> None:
    profile = profile_for(engine)
    if engine == "vllm":
        profile = attrs.evolve(profile, version=None)
    got = vllm_grouped_topk_us(profile, model_type="glm4_moe", cuda=True, small_kernel_us=SMALL)
    assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("model_type", "engine", "cuda", "charged"),
    [
        ("deepseek_v3", "vllm==0.11.0", True, True),
        ("deepseek_v32", "vllm==0.11.0", True, True),
        ("kimi_k2", "vllm==0.11.0", True, True),
        ("glm_moe_dsa", "vllm==0.11.0", True, True),
        ("qwen3_moe", "vllm==0.11.0", True, False),  # softmax top-k, its own fused kernel
        ("gpt_oss", "vllm==0.11.0", True, False),
        ("glm4_moe", "vllm==0.11.0", False, False),  # ROCm: AITER's grouped top-k
        ("glm4_moe", "sglang", True, False),
        ("glm4_moe", "trtllm", True, False),
    ],
)
def test_only_vllm_on_cuda_routes_these_models_through_it(
    model_type: str, engine: str, cuda: bool, charged: bool
) -> None:
    got = vllm_grouped_topk_us(profile_for(engine), model_type=model_type, cuda=cuda, small_kernel_us=SMALL)
    assert (got > 0) is charged


def test_a_glm_deployment_pays_it_once_per_moe_layer_and_says_so_before_0_15() -> None:
    old, new = _plan(), _plan(engine="vllm==0.15.1")
    for plan, extra in ((old, TWO_KERNELS + SMALL), (new, FUSED - SMALL)):
        assert plan.rates.moe_routing_s == pytest.approx(extra * 1e-6)
        plain = StepCost(plan.costs, attrs.evolve(plan.rates, moe_routing_s=0.0), plan.profile)
        for batch in (1, 64):
            contents = (batch, batch * 1500, 0, 0, 0, 0, batch)
            assert plan.step_cost.time(*contents) - plain.time(*contents) == pytest.approx(
                plan.costs.moe_layers * extra * 1e-6, rel=1e-9
            )
    assert any("grouped top-k" in w and "#34206" in w for w in old.warnings)
    assert not any("grouped top-k" in w for w in new.warnings)


def test_other_models_gpus_and_engines_are_not_charged() -> None:
    glm_sglang = _plan(engine="sglang")
    glm_mi300x = _plan(gpu="MI300X")
    qwen = _plan(model="Qwen/Qwen3-235B-A22B")
    for plan in (glm_sglang, glm_mi300x, qwen):
        assert not any("grouped top-k" in w for w in plan.warnings)


def test_the_fused_trtllm_gen_path_routes_inside_its_own_launches() -> None:
    """From 0.15 vLLM runs DeepSeek-V3's block-scaled FP8 experts on a B200 on FlashInfer's TensorRT-LLM-gen kernels,
    which take the grouped routing in: their fixed time holds it, and nothing is charged beside it; an H200 on the
    same release pays the fused grouped top-k kernel."""
    b200 = _plan("deepseek-ai/DeepSeek-R1", "vllm==0.15.1", "B200")
    h200 = _plan("deepseek-ai/DeepSeek-R1", "vllm==0.15.1", "H200 SXM")
    assert b200.rates.moe_fused_path and not h200.rates.moe_fused_path
    assert b200.rates.moe_layer_s == pytest.approx(trtllm_gen_moe_layer_us("fp8", block_scaled=True) * 1e-6)
    assert b200.rates.moe_routing_s == 0.0
    assert h200.rates.moe_routing_s == pytest.approx((FUSED - SMALL) * 1e-6)


def test_the_deepgemm_path_keeps_the_routing_its_fitted_time_holds() -> None:
    """vLLM's DeepGEMM expert path on a B200 has a fixed time fitted on vLLM 0.24's layers, routing included (the
    newest kernel's): a plan on it adds only what an earlier release's routing takes beyond that."""
    arch = load_model("deepseek-ai/DeepSeek-R1")

    def plan(engine: str) -> Deployment:
        return plan_deployment(
            arch,
            get_gpu("B200"),
            num_gpus=8,
            tp=8,
            ep=8,
            input_length=1000,
            output_length=1000,
            engine=engine,
        )

    deepgemm = plan(
        "vllm==0.13.0"
    )  # experts split by expert parallelism: DeepGEMM from 0.12 below the TP limit
    assert deepgemm.options.deep_gemm and not deepgemm.rates.moe_fused_path
    assert deepgemm.rates.moe_routing_s == pytest.approx((TWO_KERNELS - SMALL_EXPERT_COUNT) * 1e-6)
    # the same release on an H200 (no DeepGEMM time fitted on Blackwell) pays it whole
    assert _plan("deepseek-ai/DeepSeek-R1", "vllm==0.13.0").rates.moe_routing_s == pytest.approx(
        (TWO_KERNELS - SMALL) * 1e-6
    )


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("vllm==0.11.0", TWO_KERNELS + SMALL - (SMALL_EXPERT_COUNT - SMALL)),
        ("vllm==0.13.0", TWO_KERNELS - SMALL_EXPERT_COUNT),
        ("vllm==0.15.1", FUSED - SMALL_EXPERT_COUNT),
        ("vllm==0.17.0", 0.0),
    ],
)
def test_a_path_whose_fitted_time_holds_the_newest_routing_pays_only_the_excess(
    engine: str, expected: float
) -> None:
    got = vllm_grouped_topk_us(
        profile_for(engine), model_type="deepseek_v3", cuda=True, small_kernel_us=SMALL, holds_newest=True
    )
    assert got == pytest.approx(expected)

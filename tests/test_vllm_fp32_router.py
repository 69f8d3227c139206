"""vLLM's FP32 MoE routers: GLM-4.5's and MiniMax-M2's routers are FP32 linear layers fed an FP32 copy of the hidden
states in the releases read (``calibration.VLLM_FP32_ROUTER_RELEASES``), which PyTorch runs as FP32 GEMMs on the CUDA
cores. Their GEMMs are charged at the FP32 peak (times the share of peak the 16-bit GEMMs reach), their weights at
four bytes; other engines, releases, models and GPUs pay nothing."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    VLLM_FP32_ROUTER_RELEASES,
    profile_for,
    vllm_fp32_router,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.roofline import StepCost

GLM = load_model("zai-org/GLM-4.5-FP8")


def _plan(gpu: str = "H100 SXM", engine: str = "vllm", **kw: object) -> Deployment:
    return plan_deployment(
        GLM, get_gpu(gpu), num_gpus=8, tp=8, input_length=1000, output_length=1000, engine=engine,
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _plain(plan: Deployment) -> StepCost:
    """``plan``'s step cost with its routers' GEMMs left uncharged (weights unchanged)."""
    return StepCost(plan.costs, attrs.evolve(plan.rates, router_flops=0.0), plan.profile)


@pytest.mark.parametrize(
    ("engine", "model_type", "cuda", "expected"),
    [
        ("vllm", "glm4_moe", True, True),  # the unpinned profile follows 0.11
        ("vllm==0.11.0", "glm4_moe", True, True),
        ("vllm==0.24.0", "glm4_moe", True, True),
        ("vllm==0.34.0", "glm4_moe", True, False),  # GateLinear
        ("vllm==0.12.0", "minimax_m2", True, True),
        ("vllm==0.20.0", "minimax_m2", True, True),
        ("vllm==0.24.0", "minimax_m2", True, False),  # GateLinear
        ("vllm==0.11.0", "glm4_moe", False, False),  # ROCm
        ("vllm==0.11.0", "deepseek_v3", True, False),  # a 16-bit router
        ("vllm==0.11.0", "qwen3_moe", True, False),
        ("sglang", "glm4_moe", True, False),
        ("trtllm", "glm4_moe", True, False),
    ],
)
def test_the_releases_read_run_these_models_routers_in_fp32(
    engine: str, model_type: str, cuda: bool, expected: bool
) -> None:
    assert vllm_fp32_router(profile_for(engine), model_type=model_type, cuda=cuda) is expected


def test_the_models_named_are_the_ones_whose_configs_say_so() -> None:
    assert GLM.model_type in VLLM_FP32_ROUTER_RELEASES
    assert load_model("MiniMaxAI/MiniMax-M2.5").model_type in VLLM_FP32_ROUTER_RELEASES


def test_the_routers_run_at_the_fp32_peak_times_the_16_bit_gemms_share() -> None:
    h100 = get_gpu("H100 SXM")
    plan = _plan()
    assert plan.rates.router_flops == pytest.approx(
        plan.rates.wide_gemm_flops * h100.tflops.fp32 / h100.tflops.bf16
    )
    assert plan.rates.router_flops < 0.1 * plan.rates.wide_gemm_flops
    assert any("MoE routers as FP32 GEMMs" in w and "8,192 tokens" in w for w in plan.warnings)
    for other in (_plan(engine="vllm==0.34.0"), _plan(engine="sglang")):
        assert other.rates.router_flops == 0.0
        assert not any("FP32 GEMMs" in w for w in other.warnings)


def test_a_prompt_step_pays_its_routers_fp32_gemms_and_a_decode_step_little() -> None:
    plan = _plan()
    plain = _plain(plan)
    # (decodes, KV tokens, windowed KV tokens, prompt tokens, prompt pairs, windowed pairs, sampled rows)
    prompt = (0, 0, 0, 8192, 8192 * 4096, 0, 1)
    flops = 2.0 * GLM.hidden_size * GLM.num_experts * plan.costs.moe_layers * 8192
    paid = plan.step_cost.time(*prompt) - plain.time(*prompt)
    # the prompt step is compute-bound: the routers' FLOPs at their rate add in full
    assert paid == pytest.approx(flops / plan.rates.router_flops, rel=0.05)
    assert paid > 0.05 * plain.time(*prompt)
    decode = (1, 1000, 0, 0, 0, 0, 1)
    assert 0.0 <= plan.step_cost.time(*decode) - plain.time(*decode) < 0.01 * plain.time(*decode)


def test_fp32_router_weights_take_two_more_bytes_each() -> None:
    router = GLM.num_moe_layers * GLM.router_params_per_layer
    fp32, sixteen = _plan(), _plan(engine="vllm==0.34.0")
    assert fp32.costs.resident_weight_bytes - sixteen.costs.resident_weight_bytes == pytest.approx(
        2.0 * router
    )
    assert fp32.memory.weights_gib - sixteen.memory.weights_gib == pytest.approx(2.0 * router / GIB)


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(1, 16384))
def test_the_routers_never_make_a_step_faster(tokens: int) -> None:
    plan = _plan("B200")
    contents = (0, 0, 0, tokens, tokens * tokens / 2, 0, 1)
    assert plan.step_cost.time(*contents) >= _plain(plan).time(*contents)

"""FP32 MoE routers: vLLM and SGLang run GLM-4.5's and MiniMax-M2's routers as FP32 linear layers fed an FP32 copy of
the hidden states in the releases read (``calibration.fp32_router``), which PyTorch runs as FP32 GEMMs on the CUDA
cores. Their GEMMs are charged at the FP32 peak (times the share of peak the 16-bit GEMMs reach), at least the time SGLang's
nightly runs measured at decode batches (``calibration.FP32_ROUTER_DECODE_US``), and their weights at four bytes; other
engines, releases, models and GPUs pay nothing."""

from __future__ import annotations

import statistics

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    FP32_ROUTER_DECODE_US,
    FP32_ROUTER_MODEL_TYPES,
    FP32_ROUTER_NIGHTLY_ITL_MS,
    fp32_router,
    profile_for,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.roofline import StepCost

GLM = load_model("zai-org/GLM-4.5-FP8")
ONE_TOKEN_US, BATCH_US = FP32_ROUTER_DECODE_US


def _plan(gpu: str = "H100 SXM", engine: str = "vllm", **kw: object) -> Deployment:
    return plan_deployment(
        GLM, get_gpu(gpu), num_gpus=8, tp=8, input_length=1000, output_length=1000, engine=engine,
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _plain(plan: Deployment) -> StepCost:
    """``plan``'s step cost with its routers' GEMMs left uncharged (weights unchanged)."""
    return StepCost(plan.costs, attrs.evolve(plan.rates, router_flops=0.0), plan.profile)


def test_the_decode_times_are_read_off_sglangs_nightly_runs() -> None:
    # GLM-4.6-FP8 (92 layers, 89 of them MoE) at TP8 on H200s, the nights before and after SGLang PR #21660
    assert GLM.num_moe_layers == 89
    per_layer = {n: (after - before) / 89 * 1e3 for n, before, after in FP32_ROUTER_NIGHTLY_ITL_MS}
    assert ONE_TOKEN_US == pytest.approx(per_layer[1], abs=0.01) == pytest.approx(1.24, abs=0.01)
    assert pytest.approx(statistics.median(per_layer[n] for n in (8, 16, 64)), abs=0.05) == BATCH_US
    assert pytest.approx(13.5) == BATCH_US


@pytest.mark.parametrize(
    ("engine", "model_type", "family", "cuda", "expected"),
    [
        ("vllm", "glm4_moe", "hopper", True, True),  # the unpinned profile follows 0.11
        ("vllm==0.11.0", "glm4_moe", "blackwell", True, True),
        ("vllm==0.24.0", "glm4_moe", "hopper", True, True),
        ("vllm==0.24.0", "minimax_m2", "hopper", True, True),
        ("vllm==0.34.0", "glm4_moe", "hopper", False, False),  # ROCm
        ("vllm==0.34.0", "glm4_moe", "hopper", True, False),  # GateLinear's bf16x3 kernels
        ("vllm==0.34.0", "minimax_m2", "blackwell", True, False),
        ("vllm==0.34.0", "glm4_moe", "ada", True, True),  # no bf16x3 kernel: an FP32 linear layer
        ("vllm==0.34.0", "glm4_moe", "ampere", True, True),
        ("vllm==0.11.0", "deepseek_v3", "hopper", True, False),  # a 16-bit router
        ("vllm==0.11.0", "qwen3_moe", "hopper", True, False),
        ("sglang==0.5.9", "glm4_moe", "hopper", True, False),  # before PR #21660
        ("sglang==0.5.10", "glm4_moe", "hopper", True, True),
        ("sglang", "glm4_moe", "blackwell", True, True),  # the newest rules read (0.5.16)
        ("sglang==0.5.6", "minimax_m2", "hopper", True, True),
        ("sglang==0.5.16", "minimax_m2", "cdna3", False, False),
        ("trtllm", "glm4_moe", "hopper", True, False),
    ],
)
def test_the_releases_read_run_these_models_routers_in_fp32(
    engine: str, model_type: str, family: str, cuda: bool, expected: bool
) -> None:
    assert fp32_router(profile_for(engine), model_type=model_type, gpu_family=family, cuda=cuda) is expected


def test_the_models_named_are_the_ones_whose_configs_say_so() -> None:
    assert GLM.model_type in FP32_ROUTER_MODEL_TYPES
    for name in ("MiniMaxAI/MiniMax-M2.5", "MiniMaxAI/MiniMax-M2.7"):
        assert load_model(name).model_type in FP32_ROUTER_MODEL_TYPES


def test_the_routers_run_at_the_fp32_peak_times_the_16_bit_gemms_share() -> None:
    h100 = get_gpu("H100 SXM")
    assert h100.tflops.fp32 and h100.tflops.bf16
    plan = _plan()
    assert plan.rates.router_flops == pytest.approx(
        plan.rates.wide_gemm_flops * h100.tflops.fp32 / h100.tflops.bf16
    )
    assert plan.rates.router_flops < 0.1 * plan.rates.wide_gemm_flops
    assert (plan.rates.router_one_token_s, plan.rates.router_batch_s) == pytest.approx(
        (ONE_TOKEN_US * 1e-6, BATCH_US * 1e-6)
    )
    assert any("MoE routers as FP32 GEMMs" in w and "8,192 tokens" in w for w in plan.warnings)
    for other in (_plan(engine="vllm==0.34.0"), _plan(engine="sglang==0.5.9"), _plan(engine="trtllm")):
        assert other.rates.router_flops == 0.0
        assert not any("FP32 GEMMs" in w for w in other.warnings)


def test_a_prompt_step_pays_its_routers_fp32_gemms() -> None:
    plan = _plan()
    plain = _plain(plan)
    # (decodes, KV tokens, windowed KV tokens, prompt tokens, prompt pairs, windowed pairs, sampled rows)
    prompt = (0, 0, 0, 8192, 8192 * 4096, 0, 1)
    flops = 2.0 * GLM.hidden_size * GLM.num_experts * plan.costs.moe_layers * 8192
    paid = plan.step_cost.time(*prompt) - plain.time(*prompt)
    assert paid == pytest.approx(flops / plan.rates.router_flops, rel=1e-9)
    assert paid > 0.05 * plain.time(*prompt)


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_a_decode_step_pays_at_least_the_measured_time_a_layer(engine: str) -> None:
    plan = _plan("H200 SXM", engine=engine)
    plain = _plain(plan)
    layers = plan.costs.moe_layers
    for batch, least_us in ((1, ONE_TOKEN_US), (8, BATCH_US), (64, BATCH_US)):
        decode = (batch, batch * 1500, 0, 0, 0, 0, batch)
        paid = plan.step_cost.time(*decode) - plain.time(*decode)
        assert paid == pytest.approx(layers * least_us * 1e-6, rel=1e-9)
    # the nightly runs' ITL rose by what their MoE layers pay, within the spread of the three batches read
    for batch, before, after in FP32_ROUTER_NIGHTLY_ITL_MS[1:]:
        decode = (batch, batch * 1500, 0, 0, 0, 0, batch)
        paid_ms = (plan.step_cost.time(*decode) - plain.time(*decode)) * 1e3
        assert paid_ms == pytest.approx(after - before, rel=0.3)


def test_fp32_router_weights_take_two_more_bytes_each_where_loaded_so() -> None:
    router = GLM.num_moe_layers * GLM.router_params_per_layer
    fp32, sixteen = _plan(), _plan(engine="vllm==0.34.0")
    assert fp32.costs.resident_weight_bytes - sixteen.costs.resident_weight_bytes == pytest.approx(
        2.0 * router
    )
    assert fp32.memory.weights_gib - sixteen.memory.weights_gib == pytest.approx(2.0 * router / GIB)
    # SGLang keeps GLM's 16-bit router and makes an FP32 copy at its first forward, after the KV pool is sized; each
    # step reads the copy
    sglang, before = _plan(engine="sglang==0.5.10"), _plan(engine="sglang==0.5.9")
    assert sglang.costs.resident_weight_bytes == before.costs.resident_weight_bytes
    assert sglang.costs.dense_weight_bytes - before.costs.dense_weight_bytes == pytest.approx(2.0 * router)


@settings(max_examples=25, deadline=None)
@given(tokens=st.integers(1, 16384), decodes=st.integers(0, 512))
def test_the_routers_never_make_a_step_faster(tokens: int, decodes: int) -> None:
    plan = _plan("B200")
    contents = (decodes, decodes * 2000, 0, tokens, tokens * tokens / 2, 0, decodes + 1)
    assert plan.step_cost.time(*contents) >= _plain(plan).time(*contents)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 4096))
def test_more_tokens_never_make_the_routers_cheaper(batch: int) -> None:
    plan = _plan()
    plain = _plain(plan)

    def paid(n: int) -> float:
        contents = (n, n * 1500, 0, 0, 0, 0, n)
        return plan.step_cost.time(*contents) - plain.time(*contents)

    assert paid(batch + 1) >= paid(batch) - 1e-12

"""TensorRT-LLM's eager context forward, its host time counted in the kernel-issuing calls its Python code makes
(``engine.trtllm_eager``; benchmarks/data/trtllm_eager_launch_evidence.md) and charged at the call time the gpt-oss
trace gives (``calibration.TRTLLM_EAGER_CALL_US``)."""

from __future__ import annotations

import attrs
import pytest

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    TRTLLM_EAGER_CALL_US,
    TRTLLM_EAGER_FORWARD_US,
    TRTLLM_EAGER_KERNEL_US,
    TRTLLM_TRACE_FORWARD_MS,
    TRTLLM_TRACE_LAYERS_MS,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.roofline import StepCost, issued_kernels
from config_explorer.engine.trtllm_eager import trtllm_eager_calls

R1 = load_model("deepseek-ai/DeepSeek-R1")
GPT_OSS = load_model("openai/gpt-oss-120b")


def _plan(model: str, gpu: str, tp: int, precision: str | None = None, **kw: object) -> Deployment:
    return plan_deployment(
        load_model(model),
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        precision=precision,
        input_length=1024,
        output_length=1024,
        engine="trtllm",
        **kw,  # type: ignore[arg-type]
    )


def test_the_calls_are_counted_per_layer_kind() -> None:
    """DeepSeek-R1: 3 dense layers of 21 calls (the first with its input norm), 58 MoE layers of 24; gpt-oss-120b:
    36 layers of 8, the first with its input norm."""
    assert (
        trtllm_eager_calls(R1, gpu_family="blackwell", ep=1, dp_attention=1, weights="fp8")
        == 22 + 2 * 21 + 58 * 24
    )
    assert (
        trtllm_eager_calls(GPT_OSS, gpu_family="blackwell", ep=1, dp_attention=1, weights="mxfp4")
        == 36 * 8 + 1
    )


@pytest.mark.parametrize(
    ("model", "family", "ep", "dp_attention", "weights"),
    [
        ("deepseek-ai/DeepSeek-R1", "hopper", 1, 1, "fp8"),  # Hopper's FP8 linear takes another path
        ("deepseek-ai/DeepSeek-R1", "blackwell", 1, 8, "fp8"),  # attention DP: gathers instead of all-reduces
        ("deepseek-ai/DeepSeek-R1", "blackwell", 8, 1, "fp8"),  # experts over ranks: not read
        ("deepseek-ai/DeepSeek-R1", "blackwell", 1, 1, "fp4"),  # NVFP4 linears: not read
        ("openai/gpt-oss-120b", "hopper", 1, 1, "mxfp4"),
        ("meta-llama/Llama-3.1-8B-Instruct", "blackwell", 1, 1, "bf16"),  # a class not read
    ],
)
def test_a_path_not_read_keeps_the_per_kernel_charge(
    model: str, family: str, ep: int, dp_attention: int, weights: str
) -> None:
    assert (
        trtllm_eager_calls(
            load_model(model), gpu_family=family, ep=ep, dp_attention=dp_attention, weights=weights
        )
        is None
    )


def test_the_call_time_reproduces_the_trace_it_comes_from() -> None:
    """gpt-oss-120b's counted forward at the call time and the forward's rest is the traced forward's host time."""
    calls = trtllm_eager_calls(GPT_OSS, gpu_family="blackwell", ep=1, dp_attention=1, weights="mxfp4")
    assert calls is not None
    traced_ms = sum(TRTLLM_TRACE_FORWARD_MS) / len(TRTLLM_TRACE_FORWARD_MS)
    assert (calls * TRTLLM_EAGER_CALL_US + TRTLLM_EAGER_FORWARD_US) * 1e-3 == pytest.approx(
        traced_ms, rel=1e-3
    )
    layers_ms = sum(TRTLLM_TRACE_LAYERS_MS) / len(TRTLLM_TRACE_LAYERS_MS)
    assert calls * TRTLLM_EAGER_CALL_US * 1e-3 == pytest.approx(layers_ms, rel=1e-3)
    # and it stays what the per-kernel charge of the same trace gave
    d = _plan("openai/gpt-oss-120b", "B200", 2)
    assert d.costs.eager_launches == calls
    per_kernel = issued_kernels(d.costs) * TRTLLM_EAGER_KERNEL_US * 1e-3
    assert per_kernel == pytest.approx(traced_ms, rel=0.01)


def test_a_prompt_step_issues_the_counted_forward_and_a_generation_step_the_kernels() -> None:
    """DeepSeek-R1 FP8 on eight B200s: a small prompt step lasts the host's issue of the counted forward (the host
    runs ahead, so the longer of that and the GPU's work), above the per-kernel charge; an eager generation-only step
    (a batch larger than any captured graph) keeps the per-kernel charge."""
    d = _plan("deepseek-ai/DeepSeek-R1", "B200", 8)
    calls = 22 + 2 * 21 + 58 * 24
    assert d.costs.eager_launches == calls
    issue = (calls * TRTLLM_EAGER_CALL_US + TRTLLM_EAGER_FORWARD_US) * 1e-6
    per_kernel = issued_kernels(d.costs) * TRTLLM_EAGER_KERNEL_US * 1e-6
    assert issue > 1.4 * per_kernel
    engine = StepCost(
        d.costs, d.rates, attrs.evolve(d.profile, prefill_in_graphs=True, graph_max_tokens=1 << 20)
    )
    pairs, windowed = d.step_cost.prefill_pairs([(1024, 0)])
    prompt = (0, 0, 0, 1024, pairs, windowed, 1)
    assert engine.time(*prompt) < issue
    assert d.step_cost.time(*prompt) == pytest.approx(issue, rel=1e-9)
    # 200 decodes: above the largest graph TensorRT-LLM captures by default (128)
    assert d.profile.graph_max_tokens < 200
    decode = (200, 200 * 1500, 200 * 1500, 0, 0, 0, 200)
    assert d.step_cost.time(*decode) == pytest.approx(max(engine.time(*decode), per_kernel), rel=1e-9)


def test_a_tensorrt_engine_issues_nothing_from_python() -> None:
    d = _plan("deepseek-ai/DeepSeek-R1", "B200", 8, engine_options=EngineOptions(tensorrt_engine=True))
    assert d.profile.eager_launch_us == 0.0 and d.costs.eager_launches == 0

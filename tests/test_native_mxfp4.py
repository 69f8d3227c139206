"""vLLM's W4A4 MXFP4 (Quark) linear layers on CDNA 4: FP4 x FP4 GEMMs at the GPU's MX rate."""

from __future__ import annotations

import pytest

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu, gpu_from_mapping
from config_explorer.engine.calibration import profile_for, runs_native_mxfp4_linears
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.errors import InvalidArgumentError

LLAMA = "meta-llama/Llama-3.3-70B-Instruct"


def _plan(model: str, gpu: str, precision: str, engine: str) -> Deployment:
    return plan_deployment(
        load_model(model),
        get_gpu(gpu),
        num_gpus=1,
        tp=1,
        precision=precision,
        input_length=8192,
        output_length=1024,
        engine=engine,
    )


@pytest.mark.parametrize(
    ("engine", "precision", "mx", "expected"),
    [
        ("vllm", "mxfp4", 10066.3, True),
        ("vllm==0.11.0", "mxfp4", 10066.3, True),
        ("vllm==0.10.2", "mxfp4", 10066.3, False),  # before the release read: the 16-bit path
        ("vllm", "mxfp4", None, False),  # a GPU without an MX FP4 rate emulates the format
        ("vllm", "fp8", 10066.3, False),
        ("vllm", "fp4", 10066.3, False),  # NVFP4 is not the MX format
        ("sglang", "mxfp4", 10066.3, False),
        ("trtllm", "mxfp4", 10066.3, False),
    ],
)
def test_which_deployments_run_mxfp4_natively(
    engine: str, precision: str, mx: float | None, expected: bool
) -> None:
    rule = runs_native_mxfp4_linears(profile_for(engine), weight_precision=precision, gpu_mxfp4_tflops=mx)
    assert rule is expected


def test_the_catalog_gives_an_mx_rate_only_where_an_engine_path_uses_it() -> None:
    """The MI355X's dense MXFP4 rate is twice its FP8 one (AMD's figures); NVFP4's key stays empty there."""
    mi355x = get_gpu("MI355X")
    assert mi355x.tflops.mxfp4 == pytest.approx(2 * (mi355x.tflops.fp8 or 0.0), rel=1e-4)
    assert mi355x.tflops.fp4 is None
    assert get_gpu("MI300X").tflops.mxfp4 is None
    assert get_gpu("B200").tflops.mxfp4 is None


def test_mxfp4_linears_on_cdna4_prefill_at_the_mx_rate_and_keep_their_decode() -> None:
    """An 8,192-token prompt of Llama-3.3-70B on one MI355X: the W4A4 checkpoint's step takes well under the
    FP8 checkpoint's (twice the peak), where before it ran dequantized at the 16-bit rate; a one-sequence
    decode step still reads 4.25-bit weights and pays a quantization kernel per linear layer."""
    mx = _plan(LLAMA, "MI355X", "mxfp4", "vllm")
    fp8 = _plan(LLAMA, "MI355X", "fp8", "vllm")
    emulated = _plan(LLAMA, "MI355X", "mxfp4", "sglang")  # the 16-bit path
    assert mx.compute_mode == "mxfp4" and fp8.compute_mode == "fp8" and emulated.compute_mode == "bf16"
    prompt = {name: d.step(0, 8192, 1.0).total_s for name, d in (("mx", mx), ("fp8", fp8), ("em", emulated))}
    assert prompt["mx"] < 0.7 * prompt["fp8"] < prompt["em"]
    assert mx.step(1, 0, 0.0).memory_s < fp8.step(1, 0, 0.0).memory_s
    # one input-quantization kernel per quantized linear layer (4 a layer: QKV, output, gate/up, down)
    assert mx.rates.quantized_linear_s == mx.rates.small_kernel_s > 0
    assert fp8.rates.quantized_linear_s == 0.0


def test_an_experts_only_mxfp4_checkpoint_keeps_its_path() -> None:
    """gpt-oss stores only its experts in MXFP4 (weight-only; its other layers 16-bit): it has no MXFP4 linear
    layer for the rule to run, so its plan on an MI355X is what it was."""
    plan = plan_deployment(
        load_model("openai/gpt-oss-120b"),
        get_gpu("MI355X"),
        num_gpus=1,
        tp=1,
        input_length=8192,
        output_length=1024,
        engine="vllm",
    )
    assert plan.compute_mode == "bf16"
    assert plan.rates.quantized_linear_s == 0.0


def test_a_custom_gpu_may_state_an_mx_rate_and_a_bad_one_is_refused() -> None:
    spec = {
        "name": "test-mx-gpu",
        "memory_gib": 192,
        "memory_bandwidth_tb_s": 6.0,
        "tflops": {"bf16": 1000, "fp8": 2000, "mxfp4": 4000},
        "interconnect": {"kind": "Infinity Fabric", "bandwidth_gb_s": 800},
    }
    assert gpu_from_mapping(spec).tflops.mxfp4 == 4000
    with pytest.raises(InvalidArgumentError, match=r"tflops\.mxfp4"):
        gpu_from_mapping({**spec, "tflops": {"bf16": 1000, "mxfp4": -1}})

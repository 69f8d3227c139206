"""SGLang's kernels for DeepSeek-V4's MXFP4 experts on Hopper: Marlin unless the launch names FlashInfer's SM90
CUTLASS kernel (``--moe-runner-backend``), neither padding the experts' width; the launch command names the runner."""

from __future__ import annotations

import pytest

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    MARLIN_MOE_BY_FAMILY,
    SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE,
    profile_for,
    sglang_hopper_mxfp4_runner,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.serving import estimate
from config_explorer.recommender.serve_command import serve_command

FLASH, PRO = "deepseek-ai/DeepSeek-V4-Flash", "deepseek-ai/DeepSeek-V4-Pro"


@pytest.mark.parametrize(
    ("engine", "family", "fp8_config_experts", "stated", "expected"),
    [
        ("sglang==0.5.15", "hopper", True, None, "marlin"),  # the default runner has no Hopper MXFP4 path
        ("sglang==0.5.15", "hopper", True, "flashinfer_mxfp4", "flashinfer_mxfp4"),
        ("sglang==0.5.15", "blackwell", True, None, None),  # SM100 has its own kernels
        ("sglang==0.5.15", "hopper", False, None, None),  # gpt-oss's own MXFP4 config
        ("vllm==0.20.0", "hopper", True, None, None),
    ],
)
def test_which_runner_sglang_takes(
    engine: str, family: str, fp8_config_experts: bool, stated: str | None, expected: str | None
) -> None:
    runner = sglang_hopper_mxfp4_runner(
        profile_for(engine), gpu_family=family, fp8_config_experts=fp8_config_experts, stated=stated
    )
    assert runner == expected


def _plan(model: str, gpus: int, engine: str = "sglang==0.5.15", **options: str) -> Deployment:
    return plan_deployment(
        load_model(model),
        get_gpu("H200"),
        num_gpus=gpus,
        tp=gpus,
        input_length=4096,
        output_length=512,
        engine=engine,
        gpu_memory_utilization=0.88,
        engine_options=check_engine_options(options, "sglang") if options else None,
    )


def test_marlin_by_default_and_flashinfer_when_named() -> None:
    marlin, flashinfer = _plan(FLASH, 4), _plan(FLASH, 4, moe_runner_backend="flashinfer_mxfp4")
    fraction, _ = MARLIN_MOE_BY_FAMILY["hopper"]
    peak = get_gpu("H200").tflops.bf16 * 1e12
    assert marlin.moe_runner_backend == "marlin"
    assert marlin.rates.moe_gemm_flops == pytest.approx(peak * fraction)
    assert flashinfer.rates.moe_gemm_flops == pytest.approx(
        peak * fraction * SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE
    )
    # an 8,192-token prompt step is compute-bound in the experts: the FlashInfer kernel takes less of it
    assert flashinfer.step_s(0.0, 8192, 1.0) < marlin.step_s(0.0, 8192, 1.0)
    assert any("--moe-runner-backend marlin" in w for w in marlin.warnings)


def test_sglang_keeps_the_checkpoint_widths_where_vllm_pads_them() -> None:
    """DeepSeek-V4-Pro's 3,072-wide experts over eight GPUs are 384 wide: vLLM's MXFP4 kernels pad them to 512,
    SGLang's Hopper runners allocate 384, so its weights fit eight H200s at a 0.88 memory fraction (as SGLang's
    cookbook ran them) where vLLM's would not."""
    sglang, vllm = _plan(PRO, 8), _plan(PRO, 8, engine="vllm==0.20.0")
    arch = load_model(PRO)
    expert_gib = (
        arch.num_experts
        * arch.num_moe_layers
        * arch.expert_matrices
        * arch.hidden_size
        * 384
        * 4.25
        / 8
        / 2**30
    )
    assert vllm.memory.weights_gib - sglang.memory.weights_gib == pytest.approx(expert_gib / 3, rel=0.05)
    assert sglang.memory.fits and not vllm.memory.fits


def test_the_launch_names_the_runner_and_other_plans_do_not() -> None:
    def launch(gpu: str) -> tuple[str | None, str]:
        """(the record's runner, the launch command) of V4-Flash on four of ``gpu`` under SGLang."""
        record = estimate(
            load_model(FLASH),
            get_gpu(gpu),
            num_gpus=4,
            tp=4,
            engine="sglang==0.5.15",
            input_length=1024,
            output_length=256,
            concurrency=8,
        )
        return record.moe_runner_backend, serve_command(load_model(FLASH), record)

    runner, command = launch("H200")
    assert runner == "marlin"
    assert "--moe-runner-backend marlin" in command
    runner, command = launch("B200")
    assert runner is None
    assert "--moe-runner-backend" not in command


def test_a_runner_named_where_it_changes_nothing_says_so() -> None:
    dep = plan_deployment(
        load_model("openai/gpt-oss-120b"),
        get_gpu("H200"),
        num_gpus=1,
        tp=1,
        input_length=1024,
        output_length=256,
        engine="sglang",
        engine_options=check_engine_options({"moe_runner_backend": "marlin"}, "sglang"),
    )
    assert dep.moe_runner_backend is None
    assert any("moe_runner_backend=marlin changes nothing here" in w for w in dep.warnings)

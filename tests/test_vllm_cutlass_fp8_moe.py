"""vLLM's CUTLASS MoE path for FP8 experts scaled per tensor or per channel (compressed-tensors W8A8 FP8 checkpoints
such as GLM-4.5-FP8): before 0.14 its helper kernels (the grouped GEMMs' problem sizes, and the split experts'
zero-filled output) cost what two vLLM pull requests measured when they removed them
(``calibration.VLLM_CUTLASS_FP8_MOE_HELPERS_US``), on compute capability 9.0 at every batch and on 10.0 above the
batch that falls back to Triton; nowhere else."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    VLLM_CUTLASS_FP8_MOE_HELPERS_US,
    VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS,
    EngineProfile,
    profile_for,
    vllm_cutlass_fp8_moe_helpers,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import StepCost

GLM = load_model("zai-org/GLM-4.5-FP8")
SIZES, FILL = VLLM_CUTLASS_FP8_MOE_HELPERS_US


def _helpers(profile: EngineProfile, gpu: str, ep: int = 1, **kw: object) -> tuple[float, int]:
    spec = get_gpu(gpu)
    args: dict[str, object] = {
        "weight_precision": "fp8",
        "block_scaled": False,
        "compressed_tensors": True,
        **kw,
    }
    return vllm_cutlass_fp8_moe_helpers(
        profile,
        gpu_name=spec.name,
        gpu_family=spec.family,
        ep=ep,
        **args,  # type: ignore[arg-type]
    )


def _plan(
    gpu: str = "H100 SXM", engine: str = "vllm", ep: int = 1, precision: str | None = None
) -> Deployment:
    return plan_deployment(
        GLM, get_gpu(gpu), num_gpus=8, tp=8, ep=ep, precision=precision, input_length=1000, output_length=1000,
        engine=engine,
    )  # fmt: skip


def test_the_helper_times_are_read_off_the_pull_requests_that_removed_them() -> None:
    # GLM-4.7-FP8 (GLM-4.5's 89 MoE layers) at TEP8 on H100s, 128 requests of 128 output tokens: PR #31754's run took
    # 5.05 s and gained 2.9% without the second fill; PR #31830 gained 5.3% on top
    steps, layers, run_s = 128, GLM.num_layers - 3, 5.05
    assert GLM.mlp_kinds.count("moe") == layers == 89
    assert pytest.approx(run_s * 0.029 / steps / layers * 1e6, abs=0.1) == FILL
    assert pytest.approx((run_s - run_s / 1.053) / steps / layers * 1e6, abs=0.1) == SIZES


@pytest.mark.parametrize(
    ("engine", "gpu", "ep", "expected"),
    [
        ("vllm==0.11.0", "H100 SXM", 1, (SIZES, 0)),
        ("vllm==0.11.0", "H200 SXM", 8, (SIZES + FILL, 0)),  # the split experts' output is zero-filled
        ("vllm==0.9.0", "H20", 1, (SIZES, 0)),
        ("vllm==0.13.0", "B200", 1, (SIZES, VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS)),
        ("vllm==0.11.0", "GB200", 4, (SIZES + FILL, VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS)),
        ("vllm==0.14.0", "H100 SXM", 1, (0.0, 0)),  # PRs #31754 and #31830
        ("vllm==0.8.5", "H100 SXM", 1, (0.0, 0)),  # before the releases read
        ("vllm==0.11.0", "B300", 1, (0.0, 0)),  # compute capability 10.3: Triton
        ("vllm==0.11.0", "RTX PRO 6000", 1, (0.0, 0)),  # 12.0: Triton
        ("vllm==0.11.0", "A100 SXM 80GB", 1, (0.0, 0)),  # no FP8 tensor cores: Marlin
        ("vllm==0.11.0", "MI300X", 1, (0.0, 0)),
        ("sglang", "H100 SXM", 1, (0.0, 0)),
        ("trtllm", "H100 SXM", 1, (0.0, 0)),
    ],
)
def test_vllm_releases_and_gpus_that_run_the_cutlass_path_pay_its_helpers(
    engine: str, gpu: str, ep: int, expected: tuple[float, int]
) -> None:
    assert _helpers(profile_for(engine), gpu, ep) == pytest.approx(expected)


@pytest.mark.parametrize(
    "kw",
    [
        {"block_scaled": True},  # Triton's or DeepGEMM's block-FP8 path
        {"compressed_tensors": False},  # an FP8 quantization at start-up or another format's method
        {"weight_precision": "bf16"},
        {"weight_precision": "int4"},
    ],
)
def test_other_expert_formats_take_another_path(kw: dict[str, object]) -> None:
    assert _helpers(profile_for("vllm==0.11.0"), "H100 SXM", **kw) == (0.0, 0)


def test_a_glm_fp8_deployment_pays_them_once_per_moe_layer() -> None:
    for ep, per_layer in ((1, SIZES), (8, SIZES + FILL)):
        plan = _plan(ep=ep)
        assert plan.rates.moe_helper_s == pytest.approx(per_layer * 1e-6)
        plain = StepCost(plan.costs, attrs.evolve(plan.rates, moe_helper_s=0.0), plan.profile)
        for batch in (1, 64):
            contents = (batch, batch * 1500, 0, 0, 0, 0, batch)
            assert plan.step_cost.time(*contents) - plain.time(*contents) == pytest.approx(
                plan.costs.moe_layers * per_layer * 1e-6, rel=1e-9
            )
        assert any("CUTLASS MoE path" in w and "#31830" in w for w in plan.warnings)
    # the same checkpoint served at 16 bits, or by SGLang: nothing
    for plan in (_plan(precision="bf16"), _plan(engine="sglang")):
        assert plan.rates.moe_helper_s == 0.0
        assert not any("CUTLASS MoE path" in w for w in plan.warnings)


def test_on_a_b200_a_batch_of_up_to_eight_tokens_runs_on_triton_and_pays_none() -> None:
    plan = _plan("B200")
    plain = StepCost(plan.costs, attrs.evolve(plan.rates, moe_helper_s=0.0), plan.profile)
    cutoff = VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS
    for batch in (1, cutoff, cutoff + 1, 64):
        contents = (batch, batch * 1500, 0, 0, 0, 0, batch)
        paid = plan.step_cost.time(*contents) - plain.time(*contents)
        expected = plan.costs.moe_layers * SIZES * 1e-6 if batch > cutoff else 0.0
        assert paid == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert any("above 8 tokens" in w for w in plan.warnings)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 255))
def test_more_tokens_never_make_the_helpers_cheaper(batch: int) -> None:
    for gpu in ("H100 SXM", "B200"):
        cost = _plan(gpu).step_cost
        assert cost.moe_layer_terms(batch + 1)[0] >= cost.moe_layer_terms(batch)[0]

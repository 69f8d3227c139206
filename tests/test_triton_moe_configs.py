"""The tuned Triton fused-MoE configs vLLM and SGLang ship, looked up as the engines do, and the caveat an estimate
carries for a layer its release runs on the kernel's default tiles."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu, list_gpus
from config_explorer.engine.calibration import (
    SGLANG_HOPPER_TRITON_MOE_COMPUTE,
    TRITON_MOE_DEFAULT_SLOWDOWN,
    profile_for,
    runs_triton_fused_moe,
    triton_moe_compute_multiplier,
    triton_moe_config_tuned,
)
from config_explorer.engine.deployment import plan_deployment

H100 = "NVIDIA H100 80GB HBM3"
H200 = "NVIDIA H200"


def _table() -> dict[str, Any]:
    text = (resources.files("config_explorer") / "data" / "moe_triton_configs.json").read_text("utf-8")
    return dict(json.loads(text))


def _tuned(
    engine: str, experts: int, width: int, device: str | None, precision: str = "bf16", block: bool = False
) -> Any:
    return triton_moe_config_tuned(
        profile_for(*engine.split("==")) if "==" in engine else profile_for(engine),
        local_experts=experts,
        width=width,
        device_name=device,
        weight_precision=precision,
        block_scaled=block,
    )


@pytest.mark.parametrize(
    ("engine", "experts", "width", "device", "precision", "block", "expected"),
    [
        # Qwen3-30B-A3B at TP1: vLLM 0.11 ships an H200 file, none for the H100 (PR #23151 was closed unmerged)
        ("vllm==0.11.0", 128, 768, H200, "bf16", False, True),
        ("vllm==0.11.0", 128, 768, H100, "bf16", False, False),
        # GLM-4.5's 160 experts at TP8 on an H200: no 16-bit file in either engine
        ("vllm==0.11.0", 160, 192, H200, "bf16", False, False),
        ("sglang==0.5.6", 160, 192, H200, "bf16", False, False),
        # a file added after 0.11: absent there and in the unpinned vLLM profile (which follows 0.11), present in 0.19.1
        ("vllm==0.11.0", 128, 1024, H200, "bf16", False, False),
        ("vllm", 128, 1024, H200, "bf16", False, False),
        ("vllm==0.19.1", 128, 1024, H200, "bf16", False, True),
        # Gemma 4's 128 experts 704 wide: SGLang ships the H200 file from after 0.5.6; a profile without a release
        # reads the newest release the table holds
        ("sglang==0.5.6", 128, 704, H200, "bf16", False, False),
        ("sglang", 128, 704, H200, "bf16", False, True),
        # DeepSeek-V3's block-FP8 experts with SGLang's fused shared expert (257 a GPU) on an H200
        ("sglang==0.5.6", 257, 256, H200, "fp8", True, True),
        # the per-tensor FP8 file is another file than the block-scaled one
        ("vllm==0.11.0", 128, 768, H200, "fp8", True, True),
        ("vllm==0.11.0", 128, 768, H200, "fp8", False, False),
        # nothing to say: another engine, an unknown device, a format whose experts run other kernels
        ("trtllm", 128, 768, H200, "bf16", False, None),
        ("vllm==0.11.0", 128, 768, None, "bf16", False, None),
        ("vllm==0.11.0", 128, 768, H200, "mxfp4", False, None),
    ],
)
def test_tuned_config_lookup(
    engine: str,
    experts: int,
    width: int,
    device: str | None,
    precision: str,
    block: bool,
    expected: bool | None,
) -> None:
    assert _tuned(engine, experts, width, device, precision, block) is expected


def test_a_release_older_than_the_table_reads_its_oldest_release() -> None:
    table = _table()["vllm"]
    oldest = table["releases"][0]
    in_oldest = next(key for key, at in table["shapes"].items() if 0 in at)
    experts, width, device, dtype, block = in_oldest.split("|")
    precision = "fp8" if dtype == "fp8_w8a8" else "bf16"
    assert oldest == "0.6.3.post1"
    assert _tuned("vllm==0.5.0", int(experts), int(width), device.replace("_", " "), precision, bool(block))


@pytest.mark.parametrize(
    ("engine", "precision", "family", "block", "deep_gemm", "generic", "expected"),
    [
        ("vllm", "bf16", "hopper", False, False, True, True),
        ("vllm", "fp8", "hopper", False, True, True, True),  # per-tensor FP8: Triton whatever DeepGEMM
        ("vllm", "fp8", "hopper", True, False, True, True),  # block FP8 without DeepGEMM: Triton
        ("vllm", "fp8", "hopper", True, True, True, False),  # DeepGEMM's grouped GEMMs
        ("vllm", "bf16", "blackwell", False, False, True, False),  # not read there
        ("vllm", "bf16", "cdna3", False, False, True, False),  # AITER
        ("vllm", "bf16", "hopper", False, False, False, False),  # Marlin or FlashInfer's kernels
        ("sglang", "bf16", "blackwell", False, False, True, True),
        ("sglang", "fp8", "hopper", True, True, True, True),
        ("sglang", "mxfp4", "hopper", False, False, True, False),
        ("sglang", "bf16", "cdna3", False, False, True, False),
        ("trtllm", "bf16", "hopper", False, False, True, False),
    ],
)
def test_which_layers_run_the_triton_kernel(
    engine: str, precision: str, family: str, block: bool, deep_gemm: bool, generic: bool, expected: bool
) -> None:
    got = runs_triton_fused_moe(
        profile_for(engine),
        weight_precision=precision,
        gpu_family=family,
        block_scaled=block,
        deep_gemm=deep_gemm,
        generic_path=generic,
    )
    assert got is expected


def _caveats(model: str, gpu: str, engine: str, tp: int = 8, precision: str = "bf16") -> list[str]:
    plan = plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=tp, tp=tp, precision=precision, engine=engine,
        input_length=1024, output_length=256,
    )  # fmt: skip
    return [w for w in plan.warnings if "Triton fused-MoE config" in w]


def test_an_untuned_layer_carries_the_published_spread() -> None:
    (caveat,) = _caveats("zai-org/GLM-4.5-FP8", "H200", "vllm==0.11.0")
    low, median, high = TRITON_MOE_DEFAULT_SLOWDOWN
    assert "E=160, N=192 on the H200 SXM" in caveat
    assert f"{low:.2f}-{high:.2f}x" in caveat and f"median {median:.2f}x" in caveat
    assert "VLLM_TUNED_CONFIG_FOLDER" in caveat
    assert "SGLang's fused-MoE tuning script" in _caveats("zai-org/GLM-4.5-FP8", "H200", "sglang==0.5.6")[0]


def test_no_caveat_where_the_release_ships_the_file_or_another_kernel_runs() -> None:
    assert not _caveats("Qwen/Qwen3-235B-A22B", "H200", "vllm==0.11.0")  # E=128, N=192 is tuned
    assert not _caveats(
        "deepseek-ai/DeepSeek-V3", "H200", "sglang==0.5.6", precision="fp8"
    )  # E=257 fused, tuned
    assert not _caveats("zai-org/GLM-4.5-FP8", "H200", "trtllm")
    assert not _caveats("meta-llama/Llama-3.1-8B-Instruct", "H100", "vllm==0.11.0", tp=1)  # dense


def test_the_caveat_costs_nothing_where_no_layer_was_measured() -> None:
    """vLLM's default tiles are not charged: the caveat names the doubt and the step's cost is the tuned kernel's either
    way (a GPU without a torch name reads no caveat and the same numbers)."""
    import attrs

    arch, gpu = load_model("zai-org/GLM-4.5-FP8"), get_gpu("H200")
    nameless = attrs.evolve(gpu, device_name=None)
    kw: dict[str, Any] = {"num_gpus": 8, "tp": 8, "precision": "bf16", "engine": "vllm==0.11.0"}
    with_caveat = plan_deployment(arch, gpu, input_length=1024, output_length=256, **kw)
    without = plan_deployment(arch, nameless, input_length=1024, output_length=256, **kw)
    assert len(with_caveat.warnings) == len(without.warnings) + 1
    step = (16.0, 16 * 2048.0, 0.0, 4096.0, *with_caveat.step_cost.prefill_pairs([(4096.0, 0.0)]), 17.0)
    assert with_caveat.step_cost.breakdown(*step) == without.step_cost.breakdown(*step)


def test_the_quoted_spread_is_the_published_pairs() -> None:
    module = load_benchmark("triton_moe_configs")
    assert module.spread(module.slowdowns(module.pairs())) == TRITON_MOE_DEFAULT_SLOWDOWN


def test_every_catalog_gpu_names_its_torch_device() -> None:
    devices = {key.split("|")[2] for engine in ("vllm", "sglang") for key in _table()[engine]["shapes"]}
    for gpu in list_gpus():
        assert gpu.device_name, gpu.name
    # the names the engines' own config files use for the GPUs both ship files for
    for name in (
        "H100 SXM",
        "H200 SXM",
        "B200",
        "GB200",
        "A100 SXM 80GB",
        "A100 SXM 40GB",
        "L40S",
        "MI300X",
        "MI325X",
    ):
        assert get_gpu(name).device_name.replace(" ", "_") in devices, name


@pytest.mark.parametrize(
    ("engine", "precision", "block", "family", "tuned", "expected"),
    [
        ("sglang", "bf16", False, "hopper", True, SGLANG_HOPPER_TRITON_MOE_COMPUTE[("bf16", True)]),
        ("sglang", "bf16", False, "hopper", False, SGLANG_HOPPER_TRITON_MOE_COMPUTE[("bf16", False)]),
        ("sglang", "fp8", True, "hopper", False, SGLANG_HOPPER_TRITON_MOE_COMPUTE[("fp8-block", False)]),
        ("sglang", "fp8", False, "hopper", False, 1.0),  # per-tensor FP8: not measured
        ("sglang", "bf16", False, "hopper", None, 1.0),  # cannot be said
        ("sglang", "bf16", False, "blackwell", False, 1.0),  # its own measured term there
        ("vllm", "bf16", False, "hopper", False, 1.0),  # default tiles within 7% of tuned
    ],
)
def test_which_layers_take_a_measured_triton_multiplier(
    engine: str, precision: str, block: bool, family: str, tuned: bool | None, expected: float
) -> None:
    got = triton_moe_compute_multiplier(
        profile_for(engine), weight_precision=precision, block_scaled=block, gpu_family=family, tuned=tuned
    )
    assert got == expected


def test_sglang_charges_the_default_tiles_on_hopper() -> None:
    """GLM-4.5's 16-bit experts at TP8 on an H200 (no tuned SGLang file): a prompt-sized step's expert GEMMs compute
    at the measured default tiles' rate, the caveat says so, and the layer's streaming is untouched."""
    from unittest.mock import patch

    arch, gpu = load_model("zai-org/GLM-4.5-FP8"), get_gpu("H200")
    kw: dict[str, Any] = {"num_gpus": 8, "tp": 8, "precision": "bf16", "engine": "sglang==0.5.6"}
    plan_deployment.cache_clear()
    charged = plan_deployment(arch, gpu, input_length=1024, output_length=256, **kw)
    with patch.dict(SGLANG_HOPPER_TRITON_MOE_COMPUTE, dict.fromkeys(SGLANG_HOPPER_TRITON_MOE_COMPUTE, 1.0)):
        plan_deployment.cache_clear()
        generic = plan_deployment(arch, gpu, input_length=1024, output_length=256, **kw)
    plan_deployment.cache_clear()
    _, mem, cmp = charged.step_cost.moe_layer_terms(8192.0)
    _, mem_generic, cmp_generic = generic.step_cost.moe_layer_terms(8192.0)
    assert mem == pytest.approx(mem_generic)
    assert cmp == pytest.approx(cmp_generic * SGLANG_HOPPER_TRITON_MOE_COMPUTE[("bf16", False)])
    (caveat,) = [w for w in charged.warnings if "Triton fused-MoE config" in w]
    ratio = (
        SGLANG_HOPPER_TRITON_MOE_COMPUTE[("bf16", False)] / SGLANG_HOPPER_TRITON_MOE_COMPUTE[("bf16", True)]
    )
    assert "which this estimate charges" in caveat and f"{ratio:.2f}x" in caveat


def test_sglang_deepep_layouts_leave_the_triton_kernel() -> None:
    """Expert parallelism beside data-parallel attention runs DeepEP and DeepGEMM's expert GEMMs: no Triton caveat."""
    plan = plan_deployment(
        load_model("zai-org/GLM-4.5-FP8"), get_gpu("H200"), num_gpus=8, tp=8, ep=8, dp_attention=8,
        precision="bf16", engine="sglang==0.5.6", input_length=1024, output_length=256,
    )  # fmt: skip
    assert not [w for w in plan.warnings if "Triton fused-MoE config" in w]
    assert _caveats("zai-org/GLM-4.5-FP8", "H200", "sglang==0.5.6")  # the same layers with tensor parallelism


def test_the_multipliers_are_the_fitted_ones() -> None:
    """calibration.SGLANG_HOPPER_TRITON_MOE_COMPUTE is what benchmarks/triton_moe_configs.py fits, to two decimals."""
    fitted = load_benchmark("triton_moe_configs").fit_multipliers()
    assert {key: round(value, 2) for key, value in fitted.items()} == SGLANG_HOPPER_TRITON_MOE_COMPUTE

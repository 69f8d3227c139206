"""The GEMM factors of the families measured against Hopper on the same GEMMs (aiconfigurator's database):
Blackwell's compute fractions (benchmarks/fit_blackwell_gemm.py), Ampere's 16-bit factors
(benchmarks/fit_ampere_gemm.py) and the RTX PRO 6000's own factors (benchmarks/fit_ada_gemm.py)."""

from __future__ import annotations

import attrs
import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    BLACKWELL_ULTRA_GEMM_SHARE,
    GPU_GEMM_EFFICIENCY,
    efficiency_for,
    efficiency_for_gpu,
)
from config_explorer.engine.roofline import rates_for


def test_blackwell_gemm_fractions_are_what_the_fit_script_prints() -> None:
    fit = load_benchmark("fit_blackwell_gemm").fitted()
    blackwell = efficiency_for("blackwell")
    assert fit == {
        "16-bit": blackwell.gemm_compute_16bit,
        "8-bit": blackwell.gemm_compute_8bit,
        "4-bit": blackwell.gemm_compute("fp4"),
    }


@pytest.mark.parametrize(
    ("gpu", "precision", "fraction"),
    [
        ("B200", "bf16", 0.67),
        ("B200", "fp8", 0.58),
        ("B200", "nvfp4", 0.49),  # a 4-bit GEMM reaches less of its (twice as high) peak than an 8-bit one
        ("H200", "bf16", 0.72),
        ("H200", "fp8", 0.64),
    ],
)
def test_a_wide_gemm_runs_at_its_familys_share_of_the_mode_peak(
    gpu: str, precision: str, fraction: float
) -> None:
    spec = get_gpu(gpu)
    rates, mode = rates_for(spec, efficiency_for(spec.family), precision, tp=1)
    assert rates.gemm_flops == pytest.approx(spec.gemm_tflops(precision)[0] * 1e12 * fraction)
    assert mode == {"bf16": "bf16", "fp8": "fp8", "nvfp4": "fp4"}[precision]


def test_blackwell_ultra_shares_are_what_the_fit_script_prints() -> None:
    assert load_benchmark("fit_blackwell_gemm").fitted_ultra() == BLACKWELL_ULTRA_GEMM_SHARE


def test_blackwell_ultra_fp4_runs_near_the_b200_not_its_datasheet() -> None:
    """The B300's NVFP4 datasheet peak is 1.56x the B200's; the engine's rate for a wide NVFP4 GEMM on it is what
    the measured GEMMs say, about 1.07x; its 8-bit GEMMs (the same datasheet peak) run 1.07x faster too."""
    b200, b300 = get_gpu("B200"), get_gpu("B300")
    assert b300.gemm_tflops("nvfp4")[0] / b200.gemm_tflops("nvfp4")[0] == pytest.approx(14000 / 9000)

    def rate(gpu, precision):  # type: ignore[no-untyped-def]
        return rates_for(gpu, efficiency_for(gpu.family), precision, tp=1)[0].gemm_flops

    assert rate(b300, "nvfp4") / rate(b200, "nvfp4") == pytest.approx(14000 / 9000 * 0.69)
    assert rate(b300, "fp8") / rate(b200, "fp8") == pytest.approx(1.07)
    # the GB200 (Blackwell, not Ultra) keeps the family's fraction of its own peaks; the GB300 takes its own shares
    gb200, gb300 = get_gpu("GB200"), get_gpu("GB300")
    assert rate(gb200, "nvfp4") == pytest.approx(gb200.gemm_tflops("nvfp4")[0] * 1e12 * 0.49)
    assert rate(gb300, "bf16") / rate(gb200, "bf16") == pytest.approx(1.19)


@pytest.mark.parametrize("pair", [("B300-SXM", "B200-SXM"), ("GB300", "GB200")])
@pytest.mark.parametrize("framework", ["TensorRT-LLM 1.3.0rc20", "vLLM 0.24.0", "SGLang 0.5.14"])
def test_held_out_blackwell_ultra_gemms_read_fp4_well_below_the_datasheet(
    pair: tuple[str, str], framework: str
) -> None:
    """Every framework's B300 and GB300 NVFP4 GEMMs reach 0.65-0.85 of the share of the datasheet peak their
    Blackwell twins reach (the fits, on SGLang's, read 0.69 and 0.71)."""
    fit = load_benchmark("fit_blackwell_gemm")
    median = sorted(fit.ultra_ratios(fit.shares(), framework, "4-bit", pair))
    assert 0.65 <= median[len(median) // 2] <= 0.85


def test_families_without_a_4bit_fraction_use_their_8bit_one() -> None:
    hopper = efficiency_for("hopper")
    assert hopper.gemm_compute_4bit is None
    assert hopper.gemm_compute("fp4") == hopper.gemm_compute_8bit


def test_ampere_gemm_factors_are_what_the_fit_script_prints() -> None:
    ampere = efficiency_for("ampere")
    fit = load_benchmark("fit_ampere_gemm")
    assert fit.fitted() == (ampere.gemm_compute_16bit, ampere.gemm_bandwidth, ampere.gemm_kernel_us)


@pytest.mark.parametrize("framework", ["TensorRT-LLM", "vLLM"])
def test_the_held_out_frameworks_read_the_a100_as_the_fit_does(framework: str) -> None:
    """Fitted on SGLang; the other two frameworks' A100/H100 ratios agree within 10% (compute, bandwidth)
    and 20% (launch)."""
    fit = load_benchmark("fit_ampere_gemm")
    fitted, held = fit.ratios("SGLang"), fit.ratios(framework)
    for a, b, tolerance in zip(fitted, held, (0.10, 0.10, 0.20), strict=True):
        assert abs(b / a - 1) <= tolerance, (framework, a, b)


def test_an_a100_decode_gemm_costs_its_measured_launch_time() -> None:
    """One small decode GEMM on an A100 costs twice the H100's fixed time (the database's 7.9 against 3.9 us)."""
    a100, h100 = efficiency_for("ampere"), efficiency_for("hopper")
    assert a100.gemm_kernel_us == pytest.approx(2 * h100.gemm_kernel_us, rel=0.05)
    spec = get_gpu("A100 SXM 80GB")
    rates, _ = rates_for(spec, a100, "bf16", tp=1)
    assert rates.gemm_kernel_s == pytest.approx(a100.gemm_kernel_us * 1e-6)
    assert rates.gemm_bandwidth == pytest.approx(spec.memory_bandwidth_bytes_s * a100.gemm_bandwidth)


def test_rtx_pro_6000_gemm_factors_are_what_the_fit_script_prints() -> None:
    fit = load_benchmark("fit_ada_gemm")
    own = GPU_GEMM_EFFICIENCY["RTX PRO 6000 Server"]
    assert fit.fitted("RTX-PRO-6000-Server") == {
        "gemm_compute_16bit": own.gemm_compute_16bit,
        "gemm_compute_8bit": own.gemm_compute_8bit,
        "gemm_compute_4bit": own.gemm_compute_4bit,
        "gemm_bandwidth": own.gemm_bandwidth,
        "gemm_compute_8bit_block": own.gemm_compute_8bit_block,
    }
    # the untimed Workstation Edition (the same chip) shares them
    assert GPU_GEMM_EFFICIENCY["RTX PRO 6000 Workstation"] == own


@pytest.mark.parametrize("framework", ["TensorRT-LLM", "vLLM"])
def test_the_held_out_frameworks_read_the_rtx_pro_6000_as_the_fit_does(framework: str) -> None:
    """Fitted on SGLang; the other two frameworks' ratios over Hopper agree within 10% (each compute mode, decode
    bandwidth): the card reaches 1.0-1.25x Hopper's shares of its own peaks, more than the Ada family's."""
    fit = load_benchmark("fit_ada_gemm")
    fitted, held = fit.ratios("RTX-PRO-6000-Server", "SGLang"), fit.ratios("RTX-PRO-6000-Server", framework)
    for factor in ("gemm_compute_16bit", "gemm_compute_8bit", "gemm_compute_4bit", "gemm_bandwidth"):
        assert abs(held[factor] / fitted[factor] - 1) <= 0.10, (
            framework,
            factor,
            fitted[factor],
            held[factor],
        )
        assert held[factor] >= 1.0


def test_block_scaled_fp8_runs_slower_on_the_ada_class_than_on_hopper() -> None:
    """Per-tensor over block-scaled FP8 time of the same compute-bound GEMM: the RTX PRO 6000's and the L40S's read
    0.55-0.8 (their block-scaled GEMMs are slower), the H200's about 1."""
    fit = load_benchmark("fit_ada_gemm")
    rtx = fit.block_ratio("RTX-PRO-6000-Server", "TensorRT-LLM")
    l40s = [fit.block_ratio("L40S", fw) for fw in ("TensorRT-LLM", "vLLM")]
    hopper = fit.block_ratio("H200-SXM", "TensorRT-LLM")
    assert rtx is not None and hopper is not None and None not in l40s
    assert 0.7 <= rtx <= 0.8
    assert all(0.55 <= r <= 0.75 for r in l40s)  # type: ignore[operator]
    assert 0.85 <= hopper <= 1.2


@pytest.mark.parametrize("name", ["RTX PRO 6000 Server", "RTX PRO 6000 Workstation"])
def test_an_rtx_pro_6000_runs_at_its_own_gemm_factors(name: str) -> None:
    spec = get_gpu(name)
    own = GPU_GEMM_EFFICIENCY[name]
    eff = efficiency_for_gpu(spec.name, spec.family)
    assert spec.family == "ada" and eff.calibration == "partly measured"
    for precision, fraction in (
        ("bf16", own.gemm_compute_16bit),
        ("fp8", own.gemm_compute_8bit),
        ("nvfp4", own.gemm_compute_4bit),
    ):
        rates, _ = rates_for(spec, eff, precision, tp=1)
        assert rates.gemm_flops == pytest.approx(spec.gemm_tflops(precision)[0] * 1e12 * fraction)
    block, _ = rates_for(spec, eff, "fp8", tp=1, block_scaled=True)
    assert block.gemm_flops == pytest.approx(spec.gemm_tflops("fp8")[0] * 1e12 * own.gemm_compute_8bit_block)
    assert rates.gemm_bandwidth == pytest.approx(spec.memory_bandwidth_bytes_s * own.gemm_bandwidth)
    # the rest is the Ada family's
    ada = efficiency_for("ada")
    assert (eff.attention_bandwidth, eff.small_kernel_us, eff.allreduce_us) == (
        ada.attention_bandwidth,
        ada.small_kernel_us,
        ada.allreduce_us,
    )


@pytest.mark.parametrize("name", ["L40S", "H200", "B200"])
def test_other_gpus_keep_their_familys_factors_and_block_scaled_fp8_its_rate(name: str) -> None:
    spec = get_gpu(name)
    eff = efficiency_for_gpu(spec.name, spec.family)
    assert eff == efficiency_for(spec.family)
    plain, _ = rates_for(spec, eff, "fp8", tp=1)
    block, _ = rates_for(spec, eff, "fp8", tp=1, block_scaled=True)
    assert block.gemm_flops == plain.gemm_flops


def test_a_block_scaled_fp8_prompt_costs_more_on_an_rtx_pro_6000_than_per_tensor() -> None:
    """The same prompt step of a block-scaled FP8 checkpoint (Qwen3-Next-80B-A3B-Instruct-FP8) and of the model
    re-quantized per tensor: the RTX PRO 6000 charges the block-scaled GEMMs at its lower rate; an H200 alike."""
    from config_explorer.architecture import ModelArchitecture, load_model
    from config_explorer.engine.deployment import plan_deployment

    arch = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    block = attrs.evolve(arch, native_precision="fp8", weight_block_scaled=True)
    tensor = attrs.evolve(arch, native_precision="fp8", weight_block_scaled=False)

    def prompt_s(model: ModelArchitecture, gpu: str) -> float:
        dep = plan_deployment(
            model, get_gpu(gpu), num_gpus=1, tp=1, precision="fp8", input_length=4000, output_length=10
        )
        return dep.step_s(0, 4000, 1)

    assert prompt_s(block, "RTX PRO 6000 Server") > 1.05 * prompt_s(tensor, "RTX PRO 6000 Server")
    assert prompt_s(block, "H200") == pytest.approx(prompt_s(tensor, "H200"))

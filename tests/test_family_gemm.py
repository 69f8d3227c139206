"""The GEMM factors of the families measured against Hopper on the same GEMMs (aiconfigurator's database):
Blackwell's compute fractions (benchmarks/fit_blackwell_gemm.py) and Ampere's 16-bit factors
(benchmarks/fit_ampere_gemm.py)."""

from __future__ import annotations

import pytest
from tests.benchmark_scripts import load_benchmark

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for
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

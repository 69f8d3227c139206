"""Ampere's GEMM factors, measured against Hopper's on the same GEMMs.

Run: ``PYTHONPATH=src python benchmarks/fit_ampere_gemm.py``.

The engine's Ampere GEMM factors were Hopper's scaled by public microbenchmarks. ``data/gemm_times.csv``
(NVIDIA aiconfigurator's kernel database) times the same 16-bit GEMMs on an A100 SXM and an H100 SXM in
three frameworks (the A100 at the releases the database has for it: SGLang 0.5.10, TensorRT-LLM 1.0.0,
vLLM 0.14.0; the H100 at SGLang 0.5.14, TensorRT-LLM 1.3.0rc20, vLLM 0.24.0). Three factors are read, each
as Hopper's times how the A100 compares with the H100 in the same framework:

* ``gemm_compute_16bit``: the share of the dense peak a compute-bound GEMM (M, N, K >= 4,096) reaches; the
  ratio is the median over the same GEMMs;
* ``gemm_bandwidth`` and ``gemm_kernel_us``: decode GEMMs (1 and 8 rows) fitted by least squares as
  ``time = launch + bytes / bandwidth`` per GPU, as ``fit_kernels.py`` and ``fit_decode_gemm.py`` do; the
  ratios are of the bandwidth's share of the datasheet's and of the launch time.

Fitted on SGLang (the named subset); TensorRT-LLM and vLLM are held out and printed beside it. The 8-bit
factor is left as it is: the A100 has no FP8 tensor cores, and the database times no INT8 GEMM on it.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from fit_kernels import decode_fits, print_decode_fits

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "gemm_times.csv"
GPUS = {"A100-SXM": "A100 SXM 80GB", "H100-SXM": "H100 SXM"}
FIT = "SGLang"
MIN_DIM = 4096
DECODE_ROWS = (1, 8)


def tables() -> tuple[
    dict[tuple[str, str, int, int, int], float], dict[tuple[str, str], tuple[float, float]]
]:
    """(compute-bound shares of the 16-bit peak by (GPU, framework, m, n, k), decode fits by (GPU, framework):
    launch seconds and bandwidth share of the datasheet's); frameworks by name, releases dropped."""
    shares: dict[tuple[str, str, int, int, int], float] = {}
    points: dict[tuple[str, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["gpu"] not in GPUS or row["dtype"] != "bfloat16":
                continue
            gpu, framework = row["gpu"], row["framework"].split(" ")[0]
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            seconds = float(row["time_us"]) * 1e-6
            if min(m, n, k) >= MIN_DIM:
                peak = get_gpu(GPUS[gpu]).gemm_tflops("bf16")[0] * 1e12
                shares[(gpu, framework, m, n, k)] = 2.0 * m * n * k / seconds / peak
            elif m in DECODE_ROWS:
                xs, ys = points[(gpu, framework)]
                xs.append(2.0 * (k * n + m * (k + n)))
                ys.append(seconds)
    return shares, decode_fits(points, lambda gpu: get_gpu(GPUS[gpu]).memory_bandwidth_bytes_s)


def ratios(framework: str) -> tuple[float, float, float]:
    """A100 over H100 in ``framework``: (median compute-bound share, decode bandwidth share, launch time)."""
    shares, fits = tables()
    pairs = [
        share / shares[("H100-SXM", fw, m, n, k)]
        for (gpu, fw, m, n, k), share in shares.items()
        if gpu == "A100-SXM" and fw == framework and ("H100-SXM", fw, m, n, k) in shares
    ]
    (a_launch, a_share), (h_launch, h_share) = fits[("A100-SXM", framework)], fits[("H100-SXM", framework)]
    return statistics.median(pairs), a_share / h_share, a_launch / h_launch


def fitted() -> tuple[float, float, float]:
    """Ampere's (gemm_compute_16bit, gemm_bandwidth, gemm_kernel_us): Hopper's times the fit framework's
    ratios, rounded as the engine holds them."""
    hopper = efficiency_for("hopper")
    compute, bandwidth, launch = ratios(FIT)
    return (
        round(hopper.gemm_compute_16bit * compute, 2),
        round(hopper.gemm_bandwidth * bandwidth, 2),
        round(hopper.gemm_kernel_us * launch, 1),
    )


def main() -> None:
    shares, fits = tables()
    frameworks = sorted({fw for _, fw in fits})
    print(
        f"{len(shares)} compute-bound 16-bit GEMMs and {len(fits)} decode fits of data/gemm_times.csv (A100 SXM, "
        f"H100 SXM); fitted on {FIT}, the others held out\n"
    )
    print_decode_fits(fits, 9)
    print("\nA100 over H100, the same GEMMs in the same framework:")
    print(f"  {'framework':13} {'compute share':>13} {'bandwidth share':>15} {'launch':>7}")
    for fw in frameworks:
        compute, bandwidth, launch = ratios(fw)
        print(f"  {fw:13} {compute:13.3f} {bandwidth:15.3f} {launch:7.2f}")
    hopper, ampere = efficiency_for("hopper"), efficiency_for("ampere")
    values = fitted()
    print("\nAmpere's factors (Hopper's times the fit framework's ratio):")
    for name, fit, base, used in zip(
        ("gemm_compute_16bit", "gemm_bandwidth", "gemm_kernel_us"),
        values,
        (hopper.gemm_compute_16bit, hopper.gemm_bandwidth, hopper.gemm_kernel_us),
        (ampere.gemm_compute_16bit, ampere.gemm_bandwidth, ampere.gemm_kernel_us),
        strict=True,
    ):
        print(f"  {name:18} Hopper {base:g}, fitted {fit:g}, the engine uses {used:g}")


if __name__ == "__main__":
    main()

"""Blackwell's large-GEMM compute fractions, measured against Hopper's on the same GEMMs.

Run: ``PYTHONPATH=src python benchmarks/fit_blackwell_gemm.py``.

The engine charges a compute-bound GEMM at ``fraction x`` the GPU's dense peak for its tensor mode. Hopper's
fractions are fitted on ``../shared/data/kernels`` (``benchmarks/fit_kernels.py``); Blackwell's were taken
equal to them. ``data/gemm_times.csv`` (NVIDIA aiconfigurator's kernel database) times the same GEMMs (M, N
and K all at least 4,096, the rows read here) on an H200 and a B200 in three frameworks. For each GEMM this
script reads the B200's share of its peak over the H200's share of its own, and takes Blackwell's fraction as
Hopper's times the median of that ratio. Pairing the same GEMM in the same framework on both GPUs cancels what
the database's shapes and kernels do alike on both, so the ratio carries only what the newer chip changes.

Fitted on SGLang 0.5.14's GEMMs (the named subset); TensorRT-LLM 1.3.0rc20's and vLLM 0.24.0's are held out
and printed beside it. The 8-bit fraction pools per-tensor and block-scaled FP8 (the engine has one 8-bit
rate); the 4-bit one pairs the B200's NVFP4 GEMM with the H200's 8-bit GEMM of the same shape (Hopper has
no FP4 tensor cores), so it reads against Hopper's 8-bit fraction.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "gemm_times.csv"
GPUS = {"H200-SXM": "H200", "B200-SXM": "B200"}
MIN_DIM = 4096
#: database dtype -> the catalog's tensor mode (its dense peak)
MODES = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8", "nvfp4": "fp4"}
FIT = "SGLang 0.5.14"
#: engine fraction -> (B200 dtypes, the H200 dtypes each is paired with)
CLASSES = {
    "16-bit": (("bfloat16",), ("bfloat16",)),
    "8-bit": (("fp8", "fp8_block"), ("fp8", "fp8_block")),
    "4-bit": (("nvfp4",), ("fp8", "fp8_block")),
}
PEAK_PRECISION = {"bf16": "bf16", "fp8": "fp8", "fp4": "nvfp4"}


def shares() -> dict[tuple[str, str, str, int, int, int], float]:
    """(GPU, framework, dtype, m, n, k) -> achieved FLOP/s over the GPU's dense peak for that mode."""
    out = {}
    peaks = {
        (label, mode): get_gpu(name).gemm_tflops(PEAK_PRECISION[mode])[0] * 1e12
        for label, name in GPUS.items()
        for mode in PEAK_PRECISION
    }
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            if row["gpu"] not in GPUS or min(m, n, k) < MIN_DIM:
                continue  # the A100 / H100 rows and decode rows are fit_ampere_gemm.py's
            flops = 2.0 * m * n * k / (float(row["time_us"]) * 1e-6)
            key = (row["gpu"], row["framework"], row["dtype"], m, n, k)
            out[key] = flops / peaks[(row["gpu"], MODES[row["dtype"]])]
    return out


def ratios(
    data: dict[tuple[str, str, str, int, int, int], float], framework: str, fraction: str
) -> list[float]:
    """B200 share over H200 share for every GEMM both GPUs ran in ``framework``, for one engine fraction."""
    blackwell, hopper = CLASSES[fraction]
    out = []
    for (gpu, fw, dtype, m, n, k), share in data.items():
        if gpu != "B200-SXM" or fw != framework or dtype not in blackwell:
            continue
        for paired in hopper if len(blackwell) == 1 else (dtype,):
            base = data.get(("H200-SXM", fw, paired, m, n, k))
            if base:
                out.append(share / base)
    return out


def fitted() -> dict[str, float]:
    """Blackwell's fractions: Hopper's times the median ratio over the fit framework's GEMMs, 2 decimals."""
    data = shares()
    hopper = efficiency_for("hopper")
    base = {
        "16-bit": hopper.gemm_compute_16bit,
        "8-bit": hopper.gemm_compute_8bit,
        "4-bit": hopper.gemm_compute_8bit,
    }
    return {name: round(base[name] * statistics.median(ratios(data, FIT, name)), 2) for name in CLASSES}


def main() -> None:
    data = shares()
    frameworks = sorted({fw for _, fw, *_ in data})
    blackwell = efficiency_for("blackwell")
    engine = {
        "16-bit": blackwell.gemm_compute_16bit,
        "8-bit": blackwell.gemm_compute_8bit,
        "4-bit": blackwell.gemm_compute("fp4"),
    }
    fit = fitted()
    print(
        f"{len(data)} GEMMs of data/gemm_times.csv (M, N, K >= 4,096); fitted on {FIT}, the others held out"
    )
    print("B200 share of peak over H200 share of peak, the same GEMM in the same framework (median, IQR):")
    for name in CLASSES:
        cells = []
        for fw in frameworks:
            r = sorted(ratios(data, fw, name))
            q = statistics.quantiles(r, n=4)
            cells.append(f"{fw} {statistics.median(r):.3f} ({q[0]:.2f}-{q[2]:.2f}, n={len(r)})")
        print(f"  {name:6s} " + "; ".join(cells))
    print("Blackwell fraction of the dense peak (Hopper's times the fit framework's median ratio):")
    for name in CLASSES:
        print(f"  {name:6s} fitted {fit[name]:.2f}, the engine uses {engine[name]:.2f}")


if __name__ == "__main__":
    main()

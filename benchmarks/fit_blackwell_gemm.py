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

Blackwell Ultra (the B300 and GB300) shares the family's fractions, scaled by what its GEMMs reach of its own
datasheet peaks over what the B200's reach of the B200's (``calibration.BLACKWELL_ULTRA_GEMM_SHARE``). Its NVFP4
peak is 1.5x the B200's on the datasheet, but the same NVFP4 GEMMs run only about 1.1x faster: a fraction of the
B300's peak taken from the B200 would make its FP4 GEMMs a third too fast. Fitted per pair (the B300 against the
B200, the GB300 against the GB200) on SGLang 0.5.14's GEMMs (the same shape and dtype on both); TensorRT-LLM
1.3.0rc20's and vLLM 0.24.0's held out.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import BLACKWELL_ULTRA_GEMM_SHARE, efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "gemm_times.csv"
#: the GPUs whose rows are read (the data's labels, which the catalog resolves)
GPUS = ("H200-SXM", "B200-SXM", "B300-SXM", "GB200", "GB300")
#: (Blackwell Ultra GPU, the Blackwell GPU of its form it is read against)
ULTRA_PAIRS = (("B300-SXM", "B200-SXM"), ("GB300", "GB200"))
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
        (label, mode): get_gpu(label).gemm_tflops(PEAK_PRECISION[mode])[0] * 1e12
        for label in GPUS
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


def ultra_ratios(
    data: dict[tuple[str, str, str, int, int, int], float],
    framework: str,
    fraction: str,
    pair: tuple[str, str],
) -> list[float]:
    """A Blackwell Ultra GPU's share of its own peak over its Blackwell twin's share of the twin's, for every GEMM
    (shape and dtype) both ran in ``framework``, for one engine fraction."""
    ultra, base = pair
    out = []
    for (gpu, fw, dtype, m, n, k), share in data.items():
        if gpu != ultra or fw != framework or dtype not in CLASSES[fraction][0]:
            continue
        twin = data.get((base, fw, dtype, m, n, k))
        if twin:
            out.append(share / twin)
    return out


def fitted_ultra() -> dict[str, dict[str, float]]:
    """Each Blackwell Ultra GPU's share of its peaks over its twin's, per engine fraction: the median over the fit
    framework's GEMMs of the pair, 2 decimals, keyed by the catalog's name."""
    data = shares()
    return {
        get_gpu(ultra).name: {
            name: round(statistics.median(ultra_ratios(data, FIT, name, (ultra, twin))), 2)
            for name in CLASSES
        }
        for ultra, twin in ULTRA_PAIRS
    }


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
    ultra = fitted_ultra()
    print()
    print(
        "Blackwell Ultra: its share of its own peak over its Blackwell twin's, the same GEMM (median, IQR);"
    )
    print(f"fitted on {FIT}'s GEMMs of each pair, the other frameworks held out:")
    for name in CLASSES:
        cells = []
        for pair in ULTRA_PAIRS:
            for fw in frameworks:
                r = sorted(ultra_ratios(data, fw, name, pair))
                if len(r) < 2:
                    continue
                q = statistics.quantiles(r, n=4)
                cells.append(f"{pair[0]} {fw.split()[0]} {statistics.median(r):.3f} ({q[0]:.2f}-{q[2]:.2f})")
        print(f"  {name:6s} " + "; ".join(cells))
    for gpu, row in ultra.items():
        for name in CLASSES:
            held = BLACKWELL_ULTRA_GEMM_SHARE[gpu][name]
            print(f"  {gpu:5s} {name:6s} fitted {row[name]:.2f}, the engine uses {held:.2f}")


if __name__ == "__main__":
    main()

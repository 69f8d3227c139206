"""The GEMM factors of the Ada family (L40S) and of the RTX PRO 6000, measured against Hopper's on the same GEMMs.

Run: ``PYTHONPATH=src python benchmarks/fit_ada_gemm.py``.

The Ada family's GEMM factors were Hopper's scaled by public microbenchmarks, and the RTX PRO 6000 Blackwell (an
sm_120 part, ``mma.sync`` tensor cores and GDDR7, so in the Ada efficiency family) took them as they were.
``data/gemm_times.csv`` (NVIDIA aiconfigurator's kernel database) times the same GEMMs on an L40S, an RTX PRO 6000
Server Edition and the H100 / H200 SXM in three frameworks (SGLang 0.5.14, TensorRT-LLM 1.3.0rc20, vLLM 0.24.0).
Each factor is read, as for Ampere (``fit_ampere_gemm.py``) and Blackwell (``fit_blackwell_gemm.py``), as Hopper's
times how the GPU compares with Hopper in the same framework, so what the database's shapes and kernels do alike on
both cancels:

* ``gemm_compute_16bit`` and ``gemm_compute_8bit``: the share of the mode's dense peak a compute-bound GEMM (M, N
  and K >= 4,096) reaches, over the H100's share (16-bit) or the H200's (8-bit: per-tensor FP8, the H100's 8-bit
  GEMMs are not in the file), median over the same GEMMs; ``gemm_compute_4bit`` (the RTX PRO 6000's NVFP4) pairs
  its FP4 GEMMs with the H200's 8-bit GEMMs of the same shape and reads against Hopper's 8-bit factor, as
  Blackwell's does;
* ``gemm_bandwidth`` and ``gemm_kernel_us``: 16-bit decode GEMMs (1 and 8 rows) fitted by least squares as
  ``time = launch + bytes / bandwidth`` per GPU; the ratios are of the bandwidth's share of the datasheet's and of
  the launch time, over the H100's.

* ``gemm_compute_8bit_block``: FP8 weights scaled per block, the 8-bit factor times the median per-tensor over
  block-scaled time of the same compute-bound GEMM in TensorRT-LLM (the one framework the database times both in on
  the RTX PRO 6000; vLLM's L40S GEMMs are held out).

Fitted on SGLang (the named subset); TensorRT-LLM and vLLM are held out and printed beside it. The RTX PRO 6000
Server's factors are its own (``calibration.GPU_GEMM_EFFICIENCY``), which its Workstation Edition shares, untimed.
The L40S's are printed, not taken for the Ada family: taken, they make the held-out L40S prompt rows of
``accuracy.py`` read 13-20% slow where the family's read 4-6% slow (``calibration``'s note on the Ada family). The
last lines print each card's share at the largest GEMMs over the serving-sized ones: the RTX PRO 6000's stay flat,
the L40S's move with the framework (SGLang's and TensorRT-LLM's fall, vLLM's rise).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from fit_kernels import decode_fits, print_decode_fits

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import GPU_GEMM_EFFICIENCY, efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "gemm_times.csv"
#: the file's GPU labels -> catalog names
GPUS = {
    "L40S": "L40S",
    "RTX-PRO-6000-Server": "RTX PRO 6000 Server",
    "H100-SXM": "H100 SXM",
    "H200-SXM": "H200 SXM",
}
#: the GPUs fitted, and the catalog entry whose factors each sets (the family's, or its own)
FITTED = {"L40S": "ada", "RTX-PRO-6000-Server": "RTX PRO 6000 Server"}
FIT = "SGLang"
MIN_DIM = 4096
DECODE_ROWS = (1, 8)
#: engine factor -> (the fitted GPU's dtype, the Hopper GPU and dtype its GEMMs are paired with, catalog precision)
COMPUTE = {
    "gemm_compute_16bit": ("bfloat16", "H100-SXM", "bfloat16", "bf16"),
    "gemm_compute_8bit": ("fp8", "H200-SXM", "fp8", "fp8"),
    "gemm_compute_4bit": ("nvfp4", "H200-SXM", "fp8", "nvfp4"),
}
#: the Hopper factor each compute ratio scales
HOPPER_BASE = {
    "gemm_compute_16bit": "gemm_compute_16bit",
    "gemm_compute_8bit": "gemm_compute_8bit",
    "gemm_compute_4bit": "gemm_compute_8bit",
}
PEAK = {"bfloat16": "bf16", "fp8": "fp8", "nvfp4": "nvfp4"}


def tables() -> tuple[
    dict[tuple[str, str, str, int, int, int], float], dict[tuple[str, str], tuple[float, float]]
]:
    """(compute-bound shares of the mode's peak by (GPU, framework, dtype, m, n, k); 16-bit decode fits by (GPU,
    framework): launch seconds and bandwidth share of the datasheet's); frameworks by name, releases dropped."""
    shares: dict[tuple[str, str, str, int, int, int], float] = {}
    points: dict[tuple[str, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            gpu, dtype = row["gpu"], row["dtype"]
            if gpu not in GPUS or dtype not in PEAK:
                continue
            framework = row["framework"].split(" ")[0]
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            seconds = float(row["time_us"]) * 1e-6
            spec = get_gpu(GPUS[gpu])
            if min(m, n, k) >= MIN_DIM:
                peak = spec.gemm_tflops(PEAK[dtype])[0] * 1e12
                shares[(gpu, framework, dtype, m, n, k)] = 2.0 * m * n * k / seconds / peak
            elif m in DECODE_ROWS and dtype == "bfloat16" and gpu != "H200-SXM":
                xs, ys = points[(gpu, framework)]
                xs.append(2.0 * (k * n + m * (k + n)))
                ys.append(seconds)
    return shares, decode_fits(points, lambda gpu: get_gpu(GPUS[gpu]).memory_bandwidth_bytes_s)


def ratios(gpu: str, framework: str) -> dict[str, float]:
    """``gpu`` over Hopper in ``framework``: each compute factor's median share ratio (where both GPUs have the
    dtypes), and the decode ``gemm_bandwidth`` and ``gemm_kernel_us`` ratios over the H100's."""
    shares, fits = tables()
    out: dict[str, float] = {}
    for factor, (dtype, hopper, hopper_dtype, _) in COMPUTE.items():
        pairs = [
            share / shares[(hopper, fw, hopper_dtype, m, n, k)]
            for (g, fw, dt, m, n, k), share in shares.items()
            if g == gpu and fw == framework and dt == dtype and (hopper, fw, hopper_dtype, m, n, k) in shares
        ]
        if pairs:
            out[factor] = statistics.median(pairs)
    if (gpu, framework) in fits and ("H100-SXM", framework) in fits:
        (launch, share), (h_launch, h_share) = fits[(gpu, framework)], fits[("H100-SXM", framework)]
        out["gemm_bandwidth"], out["gemm_kernel_us"] = share / h_share, launch / h_launch
    return out


#: the factors a fit gives: the decode launch time's ratio is printed, not taken (the fitted intercepts do not
#: resolve: TensorRT-LLM's reads negative on both GPUs)
ADOPTED = ("gemm_compute_16bit", "gemm_compute_8bit", "gemm_compute_4bit", "gemm_bandwidth")
#: the framework the block-scaled factor is read in (SGLang times no block-scaled GEMM on these GPUs)
BLOCK_FIT = "TensorRT-LLM"


def block_ratio(gpu: str, framework: str) -> float | None:
    """Median per-tensor over block-scaled FP8 time of the same compute-bound GEMM on ``gpu`` in ``framework``;
    None where the framework times not both."""
    times: dict[tuple[str, int, int, int], float] = {}
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            if (
                row["gpu"] == gpu
                and row["framework"].split(" ")[0] == framework
                and row["dtype"] in ("fp8", "fp8_block")
                and min(m, n, k) >= MIN_DIM
            ):
                times[(row["dtype"], m, n, k)] = float(row["time_us"])
    pairs = [
        t / times[("fp8_block", m, n, k)]
        for (d, m, n, k), t in times.items()
        if d == "fp8" and ("fp8_block", m, n, k) in times
    ]
    return statistics.median(pairs) if pairs else None


def fitted(gpu: str) -> dict[str, float]:
    """``gpu``'s factors: Hopper's times the fit framework's ratios (the block-scaled one, the 8-bit factor times
    :data:`BLOCK_FIT`'s block ratio), rounded as the engine holds them."""
    hopper = efficiency_for("hopper")
    found = ratios(gpu, FIT)
    values = {
        factor: round(getattr(hopper, HOPPER_BASE.get(factor, factor)) * found[factor], 2)
        for factor in ADOPTED
        if factor in found
    }
    block = block_ratio(gpu, BLOCK_FIT)
    if block is not None:
        values["gemm_compute_8bit_block"] = round(values["gemm_compute_8bit"] * block, 2)
    return values


def engine_factors(gpu: str) -> dict[str, float | None]:
    """What the engine holds for ``gpu``'s catalog entry: the RTX PRO 6000 Server's own factors
    (:data:`~config_explorer.engine.calibration.GPU_GEMM_EFFICIENCY`), the Ada family's for the L40S."""
    target = FITTED[gpu]
    held = GPU_GEMM_EFFICIENCY.get(target) or efficiency_for(target)
    return {factor: getattr(held, factor) for factor in fitted(gpu)}


def size_drop(gpu: str, framework: str, dtype: str) -> float:
    """The median share of the mode's peak over the GEMMs whose largest dimension exceeds 16,384, over that of the
    serving-sized ones (every dimension at most 16,384): below 1 where the card reaches less of its peak the larger
    the GEMM."""
    shares, _ = tables()
    large, small = [], []
    for (g, fw, d, m, n, k), share in shares.items():
        if g == gpu and fw == framework and d == dtype:
            (large if max(m, n, k) > 16384 else small).append(share)
    return statistics.median(large) / statistics.median(small)


def main() -> None:
    shares, fits = tables()
    frameworks = sorted({fw for _, fw in fits})
    print(
        f"{len(shares)} compute-bound GEMMs and {len(fits)} 16-bit decode fits of data/gemm_times.csv (L40S, RTX PRO "
        f"6000 Server, H100 SXM, H200 SXM); fitted on {FIT}, the others held out\n"
    )
    print_decode_fits(fits, 19)
    for gpu in FITTED:
        print(f"\n{gpu} over Hopper, the same GEMMs in the same framework:")
        names = list(ratios(gpu, FIT))
        print(f"  {'framework':13} " + " ".join(f"{name:>18}" for name in names))
        for fw in frameworks:
            found = ratios(gpu, fw)
            print(f"  {fw:13} " + " ".join(f"{found.get(name, float('nan')):18.3f}" for name in names))
        print(
            "  per-tensor over block-scaled FP8 time: "
            + ", ".join(f"{fw} {block_ratio(gpu, fw) or float('nan'):.3f}" for fw in frameworks)
        )
        held = engine_factors(gpu)
        print(f"  factors (Hopper's times the {FIT} ratio) and what the engine holds for {FITTED[gpu]}:")
        for factor, value in fitted(gpu).items():
            print(f"    {factor:23} fitted {value:g}, the engine uses {held[factor]}")
    print("\nshare at the largest GEMMs (a dimension above 16,384) over the serving-sized ones:")
    for gpu in FITTED:
        for dtype in ("bfloat16", "fp8"):
            print(
                f"  {gpu:19} {dtype:9} "
                + ", ".join(f"{fw} {size_drop(gpu, fw, dtype):.3f}" for fw in frameworks)
            )


if __name__ == "__main__":
    main()

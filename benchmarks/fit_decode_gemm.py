"""The bandwidth a weight-streaming (decode) GEMM reaches, per GPU, from measured GEMM times: Blackwell's
``gemm_bandwidth`` is fitted here; the Hopper rows check the constant ``fit_kernels.py`` fitted on
``../shared/data/kernels``.

Run: ``PYTHONPATH=src python benchmarks/fit_decode_gemm.py``.

The measurements are ``data/decode_gemm_times.csv``: NVIDIA aiconfigurator's GEMM database (commit 095f58a,
``systems/data/<gpu>/gemm/sglang/0.5.14/gemm_perf.parquet``), SGLang 0.5.14's dense GEMMs (bf16
``torch.nn.functional.linear`` and per-tensor FP8 ``fp8_scaled_mm``) on B200, H200 and H100 at 1 and 8 rows
(a decode step's shapes), 483 weight shapes each. Per GPU and format it fits ``time = launch + bytes /
bandwidth`` by least squares (``bytes``: weights, activations in and out), as ``fit_kernels.py`` does, and
prints the bandwidth as a share of the datasheet's. The engine's Blackwell ``gemm_bandwidth`` is the mean of
the B200's bf16 and FP8 shares (the formats the Hopper fit used); the H100 and H200 rows are held out
against Hopper's 0.83. Blackwell's grouped expert GEMMs stream at the lower ``moe_bandwidth`` measured on
fused-MoE kernels (``data/moe_kernel_times.csv``).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from fit_kernels import fit_line
from moe_layers import GPUS

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for

DATA = Path(__file__).resolve().parent / "data" / "decode_gemm_times.csv"
WEIGHT_BYTES = {"bfloat16": 2.0, "fp8": 1.0}


def shares() -> dict[tuple[str, str], tuple[float, float, int]]:
    """(GPU, format) -> (launch us, bandwidth as a share of the datasheet's, rows)."""
    points: dict[tuple[str, str], tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    with DATA.open() as fh:
        for r in csv.DictReader(fh):
            m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
            moved = k * n * WEIGHT_BYTES[r["dtype"]] + 2.0 * m * (k + n)
            xs, ys = points[(r["gpu"], r["dtype"])]
            xs.append(moved)
            ys.append(float(r["time_us"]) * 1e-6)
    out = {}
    for (gpu, dtype), (xs, ys) in points.items():
        launch, slope = fit_line(xs, ys)
        peak = get_gpu(GPUS[gpu]).memory_bandwidth_bytes_s
        out[(gpu, dtype)] = (launch * 1e6, 1.0 / slope / peak, len(xs))
    return out


def main() -> None:
    fitted = shares()
    print(
        "decode GEMMs (1 and 8 rows): time = launch + bytes / bandwidth, least squares per GPU and format\n"
    )
    print(f"  {'GPU':9} {'format':9} {'rows':>5} {'launch us':>9} {'share of peak':>13}")
    for (gpu, dtype), (launch, share, n) in sorted(fitted.items()):
        print(f"  {gpu:9} {dtype:9} {n:5} {launch:9.2f} {share:13.3f}")
    blackwell = statistics.fmean(fitted[("B200-SXM", d)][1] for d in WEIGHT_BYTES)
    held = efficiency_for("blackwell")
    print(
        f"\nBlackwell gemm_bandwidth: mean of the B200's bf16 and FP8 shares {blackwell:.3f} "
        f"(the engine holds {held.gemm_bandwidth:g}; its expert GEMMs stream at moe_bandwidth {held.moe_bandwidth:g})"
    )
    hopper = efficiency_for("hopper").gemm_bandwidth
    for gpu in ("H100-SXM", "H200-SXM"):
        values = ", ".join(f"{d} {fitted[(gpu, d)][1]:.3f}" for d in WEIGHT_BYTES)
        print(
            f"held out, {gpu}: {values} (Hopper's gemm_bandwidth, fitted on ../shared/data/kernels: {hopper:g})"
        )


if __name__ == "__main__":
    main()

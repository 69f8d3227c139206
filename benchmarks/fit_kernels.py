"""Refit the Hopper efficiency factors in engine/calibration.py from ../shared/data/kernels.

Run: ``python benchmarks/fit_kernels.py [--data DIR]``. For each ``*_kernels.csv`` it prints:
* decode GEMMs (M <= 8): least-squares ``time = launch + bytes / bandwidth`` and the fraction of
  the datasheet bandwidth that bandwidth is;
* large GEMMs (M >= 2048): median achieved TFLOP/s and fraction of the dense peak, bf16 and fp8;
* decode attention over > 200 MB of KV: median achieved TB/s;
* causal prefill attention: median TFLOP/s by sequence length.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kernels"
GPU_OF = {"h100_sxm": "H100 SXM", "h200_sxm": "H200 SXM"}


def fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def decode_fits(
    points: dict[tuple[str, str], tuple[list[float], list[float]]], bandwidth: Callable[[str], float]
) -> dict[tuple[str, str], tuple[float, float]]:
    """Decode GEMMs' ``time = launch + bytes / rate`` per (GPU, framework), from their (bytes, seconds) points: the
    launch in seconds and the rate as a share of ``bandwidth(gpu)`` (bytes a second, the datasheet's)."""
    fits = {}
    for (gpu, framework), (xs, ys) in points.items():
        launch, slope = fit_line(xs, ys)
        fits[(gpu, framework)] = (launch, 1.0 / slope / bandwidth(gpu))
    return fits


def print_decode_fits(fits: dict[tuple[str, str], tuple[float, float]], width: int) -> None:
    """The table of :func:`decode_fits`, the GPU's column ``width`` characters wide."""
    print(f"  {'GPU':{width}} {'framework':13} {'launch us':>9} {'bandwidth share':>15}")
    for (gpu, fw), (launch, share) in sorted(fits.items()):
        print(f"  {gpu:{width}} {fw:13} {launch * 1e6:9.2f} {share:15.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    files = sorted(args.data.glob("*_kernels.csv")) if args.data.is_dir() else []
    if not files:
        print(
            f"no *_kernels.csv under {args.data}: nothing fitted (pass --data DIR, e.g. ../shared/data/kernels)",
            file=sys.stderr,
        )
        return 2
    print(
        f"fitting {len(files)} kernel table(s) from {os.path.relpath(args.data)}; the results are printed, not written: "
        "engine/calibration.py holds the constants taken from them, each with its source\n"
    )
    for path in files:
        stem = path.name.removesuffix("_kernels.csv")
        gpu = get_gpu(GPU_OF.get(stem, stem))
        rows = list(csv.DictReader(path.open()))
        print(
            f"{path.name} ({gpu.name}: {gpu.memory_bandwidth_tb_s} TB/s, "
            f"bf16 {gpu.tflops.bf16} / fp8 {gpu.tflops.fp8} TFLOP/s dense)"
        )
        for dtype, peak in (("bf16", gpu.tflops.bf16), ("fp8", gpu.tflops.fp8)):
            decode = [r for r in rows if r["kind"] == "gemm" and r["dtype"] == dtype and int(r["m"]) <= 8]
            if not decode or not peak:
                continue
            launch, slope = fit_line(
                [float(r["bytes"]) for r in decode], [float(r["time_us"]) * 1e-6 for r in decode]
            )
            bw = 1 / slope / 1e12
            big = [
                float(r["tflops"])
                for r in rows
                if r["kind"] == "gemm" and r["dtype"] == dtype and int(r["m"]) >= 2048
            ]
            print(
                f"  {dtype} decode GEMMs: {launch * 1e6:5.1f} us + bytes at {bw:.2f} TB/s "
                f"({bw / gpu.memory_bandwidth_tb_s:.2f} of peak), n={len(decode)}"
            )
            print(
                f"  {dtype} large GEMMs: median {statistics.median(big):.0f} TFLOP/s "
                f"({statistics.median(big) / peak:.2f} of dense peak), n={len(big)}"
            )
        attn = [float(r["tb_s"]) for r in rows if r["kind"] == "attn_decode" and float(r["bytes"]) > 2e8]
        if attn:
            print(
                f"  decode attention (> 200 MB KV): median {statistics.median(attn):.2f} TB/s "
                f"({statistics.median(attn) / gpu.memory_bandwidth_tb_s:.2f} of peak), n={len(attn)}"
            )
        for length in sorted({int(r["q_len"]) for r in rows if r["kind"] == "attn_prefill"}):
            vals = [
                float(r["tflops"]) for r in rows if r["kind"] == "attn_prefill" and int(r["q_len"]) == length
            ]
            print(
                f"  prefill attention, {length:>5} tokens: median {statistics.median(vals):.0f} TFLOP/s "
                f"({statistics.median(vals) / (gpu.tflops.bf16 or 1):.2f} of bf16 peak)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

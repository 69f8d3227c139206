"""The compute rate of vLLM's Marlin MoE kernel on Hopper, fitted on measured kernel times.

Run: ``PYTHONPATH=src python benchmarks/fit_marlin_moe.py``.

vLLM runs the experts of weight-only 4-bit checkpoints (AWQ/GPTQ, and gpt-oss's MXFP4 on Hopper before
v0.12) with its Marlin MoE kernel, which dequantizes into BF16 ``mma.sync`` instructions rather than
Hopper's ``wgmma``. At prompt-sized batches it is compute-bound well below the GPU's 16-bit peak
(``benchmarks/data/gpt_oss_hopper_moe_evidence.md``). The engine charges such an expert GEMM at
``peak16 x fraction x w / (w + half_width)`` FLOP/s, ``w`` the expert shard's intermediate width.

The rows are ``data/moe_kernel_times.csv``'s Marlin rows (NVIDIA aiconfigurator's kernel database). The
two constants are fitted, by a grid search on the median |log error| of that rate, on the named subset:
H100, vLLM 0.14, batches of 4,096 and 16,384 tokens (where the layer is compute-bound). Every other
Marlin row is held out: the H200 rows, vLLM 0.24's MXFP4 Marlin rows, smaller batches.
This script reads the compute part alone; ``benchmarks/moe_layers.py`` scores the engine's whole MoE
layer term on every row.

Off Hopper, ``mma.sync`` is the tensor cores' own instruction and vLLM runs every 4-bit expert format on
Marlin. The Ampere fraction is fitted the same way at the Hopper half width, on ``data/marlin_moe_times.csv``
(the same database): SGLang 0.5.10's INT4 Marlin layer on the A100 SXM at >= 4,096 tokens. Held out: its
smaller batches and SGLang 0.5.10's H100 rows (which read the Hopper fraction, fitted on vLLM's rows). The
script prints the half width a free fit of the A100 rows would take, to show the width term carries over.
The L40S rows (vLLM 0.24's INT4 and gpt-oss MXFP4 Marlin layers) are printed to show why Ada is not
modelled: a free fit on one of its two kernels misreads the other.
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

from moe_layers import DATA, GPUS

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    MARLIN_MOE_COMPUTE,
    MARLIN_MOE_COMPUTE_BY_FAMILY,
    MARLIN_MOE_HALF_WIDTH,
)
from config_explorer.engine.deployment import plan_deployment


def marlin_rows() -> list[dict[str, float | str | bool]]:
    out: list[dict[str, float | str | bool]] = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if "marlin" not in row["kernel"] or row["gpu"] not in GPUS:
                continue
            tokens = int(row["num_tokens"])
            tp = int(row["tp"])
            width = int(row["moe_intermediate_size"]) / tp
            flops = 2.0 * tokens * int(row["topk"]) * 3 * int(row["hidden_size"]) * width
            peak = get_gpu(GPUS[row["gpu"]]).gemm_tflops("bf16")[0] * 1e12
            out.append(
                {
                    "group": f"{row['gpu']} {row['framework']} {row['dtype']}",
                    "tokens": tokens,
                    "width": width,
                    "achieved": flops / (float(row["time_us"]) * 1e-6) / peak,
                    "fit": row["gpu"] == "H100-SXM" and row["framework"] == "vLLM 0.14.0" and tokens >= 4096,
                }
            )
    return out


OTHER = Path(__file__).resolve().parent / "data" / "marlin_moe_times.csv"
#: the database's GPU labels in marlin_moe_times.csv -> (catalog name, family)
OTHER_GPUS = {"A100-SXM": ("A100", "ampere"), "H100-SXM": ("H100", "hopper"), "L40S": ("L40S", "ada")}
#: the fit subset per family off Hopper: (GPU label, kernel source)
FAMILY_FITS = {"ampere": ("A100-SXM", "sglang_marlin_moe")}
#: vLLM 0.24's two Marlin MoE layers on the L40S
ADA_INT4 = "vllm_compressedtensorswna16marlinmoe_marlin_marlinexperts"
ADA_MXFP4 = "vllm_gptossmxfp4moe_marlin_marlinexperts"


def other_rows() -> list[dict[str, float | str | bool]]:
    """The Marlin rows off vLLM's Hopper table, with their family and whether they are a family's fit row."""
    out: list[dict[str, float | str | bool]] = []
    with OTHER.open(newline="") as fh:
        for row in csv.DictReader(fh):
            name, family = OTHER_GPUS[row["gpu"]]
            tokens = int(row["num_tokens"])
            width = int(row["moe_intermediate_size"]) / int(row["tp"])
            flops = 2.0 * tokens * int(row["topk"]) * 3 * int(row["hidden_size"]) * width
            peak = get_gpu(name).gemm_tflops("bf16")[0] * 1e12
            fit = FAMILY_FITS.get(family) == (row["gpu"], row["kernel_source"]) and tokens >= 4096
            out.append(
                {
                    "group": f"{row['gpu']} {row['framework']} {row['dtype']}",
                    "family": family,
                    "kernel": row["kernel_source"],
                    "tokens": tokens,
                    "width": width,
                    "achieved": flops / (float(row["time_us"]) * 1e-6) / peak,
                    "fit": fit,
                }
            )
    return out


def rate(fraction: float, half_width: float, width: float) -> float:
    return fraction * width / (width + half_width)


def error(rows: list[dict[str, float | str | bool]], fraction: float, half_width: float) -> float:
    return statistics.median(
        abs(math.log(float(r["achieved"]) / rate(fraction, half_width, float(r["width"])))) for r in rows
    )


def free_fit(rows: list[dict[str, float | str | bool]]) -> tuple[float, float]:
    """The (fraction, half width) of least median |log error| over ``rows``, on a 5/1000 by 10 grid."""
    return min(
        ((f / 1000, float(h)) for f in range(100, 1001, 5) for h in range(0, 1201, 10)),
        key=lambda p: error(rows, *p),
    )


def main() -> None:
    rows = marlin_rows()
    fit = [r for r in rows if r["fit"]]
    best = min(
        ((f / 1000, float(h)) for f in range(150, 501, 5) for h in range(0, 801, 10)),
        key=lambda p: error(fit, *p),
    )
    print(f"{len(rows)} Marlin MoE rows; fitted on {len(fit)} (H100, vLLM 0.14, >= 4,096 tokens)")
    print(
        f"fit: fraction {best[0]:.3f} of the 16-bit peak, half width {best[1]:g}; "
        f"the engine uses {MARLIN_MOE_COMPUTE:.3f} and {MARLIN_MOE_HALF_WIDTH:g}"
    )
    print(
        f"fit rows: median |log(achieved / modelled)| {error(fit, MARLIN_MOE_COMPUTE, MARLIN_MOE_HALF_WIDTH):.3f}"
    )
    print("held out (achieved / modelled compute rate, median by batch):")
    groups = sorted({str(r["group"]) for r in rows})
    for group in groups:
        held = [r for r in rows if r["group"] == group and not r["fit"]]
        cells = []
        for tokens in (1024, 4096, 16384):
            ratios = [
                float(r["achieved"]) / rate(MARLIN_MOE_COMPUTE, MARLIN_MOE_HALF_WIDTH, float(r["width"]))
                for r in held
                if r["tokens"] == tokens
            ]
            cells.append(f"{tokens:>6}: {statistics.median(ratios):.2f}" if ratios else f"{tokens:>6}:   - ")
        print(f"  {group:32s} " + "  ".join(cells))
    others = other_rows()
    print(
        f"\noff Hopper ({len(others)} rows of data/marlin_moe_times.csv), at the half width {MARLIN_MOE_HALF_WIDTH:g}:"
    )
    for family, (gpu, kernel) in FAMILY_FITS.items():
        fit = [r for r in others if r["family"] == family and r["fit"]]
        fraction = min(
            (f / 1000 for f in range(100, 1001, 5)), key=lambda f: error(fit, f, MARLIN_MOE_HALF_WIDTH)
        )
        used = MARLIN_MOE_COMPUTE_BY_FAMILY[family]
        print(
            f"  {family}: fitted on {len(fit)} rows ({gpu} {kernel}, >= 4,096 tokens): fraction {fraction:.3f} "
            f"(the engine uses {used:.3f}); fit rows median |log| {error(fit, used, MARLIN_MOE_HALF_WIDTH):.3f}"
        )
    ampere = [r for r in others if r["family"] == "ampere" and r["fit"]]
    free = free_fit(ampere)
    print(f"  a free fit of the ampere rows: fraction {free[0]:.3f}, half width {free[1]:g}")
    big = [r for r in others if r["family"] == "ada" and float(r["tokens"]) >= 4096]
    int4 = [r for r in big if r["kernel"] == ADA_INT4]
    mxfp4 = [r for r in big if r["kernel"] == ADA_MXFP4]
    ada = free_fit(int4)
    print(
        f"  ada, not modelled: a free fit of the L40S INT4 rows (>= 4,096 tokens) takes fraction {ada[0]:.3f}, "
        f"half width {ada[1]:g} (median |log| {error(int4, *ada):.3f}) and reads its gpt-oss MXFP4 rows at "
        f"{error(mxfp4, *ada):.3f}; the Hopper width with the Ampere fraction reads them at "
        f"{error(mxfp4, MARLIN_MOE_COMPUTE_BY_FAMILY['ampere'], MARLIN_MOE_HALF_WIDTH):.3f}"
    )
    print("held out (achieved / modelled compute rate with the engine's family fraction, median by batch):")
    for group in sorted({str(r["group"]) for r in others if r["family"] in MARLIN_MOE_COMPUTE_BY_FAMILY}):
        held = [r for r in others if r["group"] == group and not r["fit"]]
        family = str(held[0]["family"]) if held else ""
        cells = []
        for tokens in (64, 256, 1024, 4096, 16384):
            ratios = [
                float(r["achieved"])
                / rate(MARLIN_MOE_COMPUTE_BY_FAMILY[family], MARLIN_MOE_HALF_WIDTH, float(r["width"]))
                for r in held
                if r["tokens"] == tokens
            ]
            cells.append(f"{tokens:>6}: {statistics.median(ratios):.2f}" if ratios else f"{tokens:>6}:   - ")
        print(f"  {group:32s} " + "  ".join(cells))
    steps = []
    for engine in ("vllm==0.11.0", "vllm==0.12.0"):
        dep = plan_deployment(
            load_model("openai/gpt-oss-20b"),
            get_gpu("H100"),
            num_gpus=1,
            tp=1,
            input_length=8192,
            output_length=128,
            engine=engine,
        )
        steps.append(dep.step_s(0.0, 8192, 1.0))
    print(
        f"gpt-oss-20b on one H100, one 8,192-token prompt step: {steps[0] * 1e3:.0f} ms on vLLM 0.11 (Marlin MoE), "
        f"{steps[1] * 1e3:.0f} ms on vLLM 0.12 (Triton MoE)"
    )


if __name__ == "__main__":
    main()

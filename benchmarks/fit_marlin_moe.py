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
Marlin. ``data/marlin_moe_times.csv`` (the same database) holds the layer off Hopper. Ampere's fraction is
fitted at the Hopper half width on SGLang 0.5.10's INT4 Marlin layer on the A100 SXM at >= 4,096 tokens (the
script prints the half width a free fit there would take, to show the width term carries over). Ada's
fraction and half width are both fitted, on vLLM 0.24's gpt-oss MXFP4 Marlin layer on the L40S with
gpt-oss-20b's shape (32 experts) at >= 4,096 tokens. Held out: their smaller batches, the L40S rows of
gpt-oss-120b's shape (128 experts) and of the INT4 layer, and SGLang 0.5.10's H100 rows (which read the
Hopper fraction, fitted on vLLM's rows).

Blackwell's fraction and half width are both fitted, on vLLM 0.24's weight-only INT4 Marlin layer on the B200 (Kimi-K2's
shape, 384 experts) at >= 4,096 tokens; held out: the B300's and the GB200's rows of the same layer, vLLM 0.19's B200
layers of eleven shapes (an older kernel, which runs slower), and the smaller batches. The RTX PRO 6000 Server
Edition's INT4 layer is read with the Ada family's constants its catalog entry takes.
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path

import attrs
from moe_layers import DATA, GPUS

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    MARLIN_MOE_BY_FAMILY,
    MARLIN_MOE_COMPUTE,
    MARLIN_MOE_HALF_WIDTH,
    efficiency_for,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.roofline import StepCost


def achieved_share(row: dict[str, str], gpu: str, tokens: int, width: float) -> float:
    """A measured MoE layer's expert FLOP/s (both grouped GEMMs over its ``width``-wide shards) as a share of
    the catalog ``gpu``'s 16-bit dense peak."""
    flops = 2.0 * tokens * int(row["topk"]) * 3 * int(row["hidden_size"]) * width
    peak = get_gpu(gpu).gemm_tflops("bf16")[0] * 1e12
    return flops / (float(row["time_us"]) * 1e-6) / peak


def marlin_rows() -> list[dict[str, float | str | bool]]:
    out: list[dict[str, float | str | bool]] = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if "marlin" not in row["kernel"] or row["gpu"] not in GPUS:
                continue
            tokens = int(row["num_tokens"])
            tp = int(row["tp"])
            width = int(row["moe_intermediate_size"]) / tp
            out.append(
                {
                    "group": f"{row['gpu']} {row['framework']} {row['dtype']}",
                    "tokens": tokens,
                    "width": width,
                    "achieved": achieved_share(row, GPUS[row["gpu"]], tokens, width),
                    "fit": row["gpu"] == "H100-SXM" and row["framework"] == "vLLM 0.14.0" and tokens >= 4096,
                }
            )
    return out


OTHER = Path(__file__).resolve().parent / "data" / "marlin_moe_times.csv"
#: the database's GPU labels in marlin_moe_times.csv -> (catalog name, family)
OTHER_GPUS = {
    "A100-SXM": ("A100", "ampere"),
    "H100-SXM": ("H100", "hopper"),
    "L40S": ("L40S", "ada"),
    "B200-SXM": ("B200", "blackwell"),
    "B300-SXM": ("B300", "blackwell"),
    "GB200": ("GB200", "blackwell"),
    "RTX-PRO-6000-Server": ("RTX PRO 6000 Server", "ada"),
}
#: the fit subset per family off Hopper: (GPU label, kernel source, expert count or 0 for any), and whether
#: the half width is fitted too (else Hopper's is taken)
FAMILY_FITS = {
    "ampere": ("A100-SXM", "sglang_marlin_moe", 0, False),
    "ada": ("L40S", "vllm_gptossmxfp4moe_marlin_marlinexperts", 32, True),
    "blackwell": ("B200-SXM", "vllm_compressedtensorswna16marlinmoe_marlin_marlinexperts", 0, True),
}


def other_rows() -> list[dict[str, float | str | bool]]:
    """The Marlin rows off vLLM's Hopper table, with their family and whether they are a family's fit row."""
    out: list[dict[str, float | str | bool]] = []
    with OTHER.open(newline="") as fh:
        for row in csv.DictReader(fh):
            name, family = OTHER_GPUS[row["gpu"]]
            tokens = int(row["num_tokens"])
            width = int(row["moe_intermediate_size"]) / int(row["tp"])
            gpu, kernel, experts, _ = FAMILY_FITS.get(family, ("", "", 0, False))
            fit = (
                (row["gpu"], row["kernel_source"]) == (gpu, kernel)
                and experts in (0, int(row["num_experts"]))
                and tokens >= 4096
            )
            out.append(
                {
                    "group": f"{row['gpu']} {row['framework']} {row['dtype']}",
                    "family": family,
                    "kernel": row["kernel_source"],
                    "experts": int(row["num_experts"]),
                    "tokens": tokens,
                    "width": width,
                    "achieved": achieved_share(row, name, tokens, width),
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
    print(f"\noff Hopper ({len(others)} rows of data/marlin_moe_times.csv):")
    for family, (gpu, kernel, experts, free) in FAMILY_FITS.items():
        fit = [r for r in others if r["family"] == family and r["fit"]]
        used = MARLIN_MOE_BY_FAMILY[family]
        if free:
            fitted = free_fit(fit)
        else:
            fraction = min(
                (f / 1000 for f in range(100, 1001, 5)), key=lambda f: error(fit, f, MARLIN_MOE_HALF_WIDTH)
            )
            fitted = (fraction, MARLIN_MOE_HALF_WIDTH)
        shape = f", {experts} experts" if experts else ""
        held = "" if free else " (Hopper's, held)"
        print(
            f"  {family}: fitted on {len(fit)} rows ({gpu} {kernel}{shape}, >= 4,096 tokens): fraction "
            f"{fitted[0]:.3f}, half width {fitted[1]:g}{held}; the engine uses {used[0]:.3f} and {used[1]:g}; "
            f"fit rows median |log| {error(fit, *used):.3f}"
        )
    ampere = [r for r in others if r["family"] == "ampere" and r["fit"]]
    free_ampere = free_fit(ampere)
    print(f"  a free fit of the ampere rows: fraction {free_ampere[0]:.3f}, half width {free_ampere[1]:g}")
    print("held out, >= 4,096 tokens: median |log(achieved / modelled)| with the family's constants")
    for label, held in (
        (
            "L40S gpt-oss-120b shape (128 experts)",
            [r for r in others if r["family"] == "ada" and r["experts"] == 128],
        ),
        (
            "L40S INT4 layer",
            [r for r in others if str(r["group"]).startswith("L40S") and "wna16" in str(r["kernel"])],
        ),
        ("RTX PRO 6000 Server INT4 layer", [r for r in others if str(r["group"]).startswith("RTX")]),
    ):
        big = [r for r in held if float(r["tokens"]) >= 4096]
        print(
            f"  {label}: {error(big, *MARLIN_MOE_BY_FAMILY['ada']):.3f} (with Ampere's constants: "
            f"{error(big, *MARLIN_MOE_BY_FAMILY['ampere']):.3f})"
        )
    print("held out (achieved / modelled compute rate with the family's constants, median by batch):")
    for group in sorted({str(r["group"]) for r in others}):
        held = [r for r in others if r["group"] == group and not r["fit"]]
        family = str(held[0]["family"]) if held else ""
        cells = []
        for tokens in (64, 256, 1024, 4096, 16384):
            ratios = [
                float(r["achieved"]) / rate(*MARLIN_MOE_BY_FAMILY[family], float(r["width"]))
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
    # vLLM 0.20 keeps the Triton kernel for gpt-oss alone: DeepSeek-V4's MXFP4 experts take Marlin on Hopper. The
    # same plan with the experts at the generic (Triton) rate shows what that costs a prompt.
    v4 = plan_deployment(
        load_model("deepseek-ai/DeepSeek-V4-Flash"),
        get_gpu("H200"),
        num_gpus=4,
        tp=4,
        input_length=8192,
        output_length=128,
        engine="vllm==0.20.0",
    )
    generic = attrs.evolve(
        v4.rates, moe_gemm_flops=0.0, moe_half_width=efficiency_for("hopper").moe_half_width(v4.compute_mode)
    )
    triton = attrs.evolve(v4, rates=generic, step_cost=StepCost(v4.costs, generic, v4.profile))
    marlin_s, generic_s = v4.step_s(0.0, 8192, 1.0), triton.step_s(0.0, 8192, 1.0)
    print(
        f"DeepSeek-V4-Flash on four H200s, one 8,192-token prompt step on vLLM 0.20: {marlin_s * 1e3:.0f} ms "
        f"(Marlin MoE), {generic_s * 1e3:.0f} ms were its experts at the Triton rate"
    )


if __name__ == "__main__":
    main()

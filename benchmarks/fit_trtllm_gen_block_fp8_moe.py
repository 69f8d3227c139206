"""The compute rate of FlashInfer's TensorRT-LLM-gen MoE kernels on block-scaled FP8 experts on Blackwell, fitted
on measured layers by expert-shard width.

Run: ``PYTHONPATH=src python benchmarks/fit_trtllm_gen_block_fp8_moe.py``.

SGLang's ``flashinfer_trtllm`` runner and vLLM from 0.15 run block-scaled FP8 experts (DeepSeek's, Qwen3's and
Kimi's FP8 releases) on Blackwell on these fused kernels (``calibration.runs_trtllm_gen_moe``). The engine charges
their grouped GEMMs at ``peak8 x fraction x w / (w + half_width)`` FLOP/s, ``w`` the expert shard's intermediate
width; the Blackwell family's generic 8-bit term takes (0.58, 700), which reads the narrow TP8 shards (w = 256 on
DeepSeek-V3) slow and the whole 2,048-wide experts (TP1, EP) fast at prompt-sized batches.

The rows are ``data/trtllm_gen_block_fp8_moe_times.csv`` (NVIDIA aiconfigurator's B200 kernel database, balanced
routing) and the same kernels' ``power_law_1.01`` rows in ``data/moe_kernel_times.csv``. Each is estimated with
the engine's own deployment of that shape and split (the kernel's fixed time ``TRTLLM_GEN_MOE_LAYER_US`` and the
layer's activation traffic included). Both constants are fitted by a grid search on the median
|log(measured / estimated)| over the named subset :data:`FIT_GROUP`: SGLang 0.5.14, balanced routing, the experts
split by tensor parallelism only, 1,024 tokens and more. Held out: SGLang's expert-parallel splits and smaller
batches, every vLLM 0.24.0 row, and the power-law rows.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from expert_parallel_masking import MODELS, engine_of, layer_model
from expert_shapes import ROUTING, row_shape
from fit_vllm_triton_moe import error, estimate, print_fit
from fit_vllm_triton_moe import fit as fit_rate

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import TRTLLM_GEN_BLOCK_FP8_MOE, efficiency_for
from config_explorer.engine.deployment import Deployment, plan_deployment

DATA = Path(__file__).resolve().parent / "data"
BALANCED = DATA / "trtllm_gen_block_fp8_moe_times.csv"
POWER_LAW = DATA / "moe_kernel_times.csv"
#: the same kernels' names in moe_kernel_times.csv (its ``kernel`` column, before the parenthesis)
KERNELS = ("sglang_flashinfer_trtllm_moe", "vllm_fp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic")
MIN_TOKENS = 1024
FRACTIONS = tuple(f / 100 for f in range(10, 72, 2))
HALF_WIDTHS = (0.0, 25.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 700.0, 1000.0)
GENERIC = (efficiency_for("blackwell").gemm_compute("fp8"), efficiency_for("blackwell").moe_half_width("fp8"))
#: the rows the constants are fitted on: (release, routing, layout kind, batch range)
FIT_GROUP = ("SGLang 0.5.14", "balanced", "TP", "prompt")


class Row(NamedTuple):
    dep: Deployment
    group: tuple[str, str, str, str]  # release, routing, layout kind (TP, EP or TPxEP), batch range
    model: str
    layout: str
    tokens: int
    measured_s: float


_PLANS: dict[tuple[object, ...], Deployment] = {}


def plan(row: dict[str, str]) -> Deployment:
    """The row's layer as the engine deploys it: its shape's model on a B200 with the experts split ``tp`` x
    ``ep`` ways, block-scaled FP8, on the row's engine and release (which runs the fused kernels)."""
    shape = row_shape(row)
    key = (shape, row["framework"], row["tp"], row["ep"])
    if key not in _PLANS:
        gpus = int(row["tp"]) * int(row["ep"])
        _PLANS[key] = plan_deployment(
            layer_model(shape, "fp8_block"),
            get_gpu("B200"),
            num_gpus=gpus,
            tp=gpus,
            ep=int(row["ep"]),
            precision="fp8",
            engine=engine_of(row["framework"]),
            input_length=1024,
            output_length=128,
            expert_popularity_cv=ROUTING,
        )
    return _PLANS[key]


def _read(path: Path, routing_column: bool) -> Iterator[tuple[dict[str, str], str]]:
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if routing_column:
                yield row, row["distribution"]
            elif (
                row["gpu"] == "B200-SXM"
                and row["kernel"].split(" (")[0] in KERNELS
                and row["dtype"] == "fp8_block"
            ):
                yield row, row["notes"].split("routing dist=")[1].split(";")[0]


def rows() -> list[Row]:
    out = []
    for path, has_routing in ((BALANCED, True), (POWER_LAW, False)):
        for row, routing in _read(path, has_routing):
            if row_shape(row) not in MODELS:
                continue
            dep = plan(row)
            if not dep.rates.moe_fused_path:
                continue
            tp, ep, tokens = int(row["tp"]), int(row["ep"]), int(row["num_tokens"])
            kind = "TP" if ep == 1 else ("EP" if tp == 1 else "TPxEP")
            layout = f"TP{tp}" if ep == 1 else (f"EP{ep}" if tp == 1 else f"TP{tp}xEP{ep}")
            batch = "prompt" if tokens >= MIN_TOKENS else "small"
            model = MODELS[row_shape(row)].split("/")[1]
            out.append(
                Row(
                    dep,
                    (row["framework"], routing, kind, batch),
                    model,
                    layout,
                    tokens,
                    float(row["time_us"]) * 1e-6,
                )
            )
    return out


def fit(members: list[Row]) -> tuple[float, float]:
    """The (fraction, half width) on this script's grid with the least median |log error| over ``members``."""
    return fit_rate(members, FRACTIONS, HALF_WIDTHS)


def main() -> None:
    data = rows()
    fit_rows = [r for r in data if r.group == FIT_GROUP]
    held = [r for r in data if r.group != FIT_GROUP]
    print(
        f"{len(data)} block-scaled FP8 layers on FlashInfer's TensorRT-LLM-gen MoE on a B200; fitted on {len(fit_rows)}"
    )
    print(
        "(SGLang 0.5.14, balanced routing, experts split by tensor parallelism, 1,024 tokens and more), rest held out\n"
    )
    best = fit(fit_rows)
    print_fit(best, TRTLLM_GEN_BLOCK_FP8_MOE, GENERIC, fit_rows, held)
    groups: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for r in held:
        groups[r.group].append(r)
    print(
        "held out, by (release, routing, layout, batches): median measured / estimated and median |log error|,"
    )
    print("generic term -> fitted")
    for group in sorted(groups):
        members = groups[group]
        before = statistics.median(r.measured_s / estimate(r, *GENERIC) for r in members)
        after = statistics.median(r.measured_s / estimate(r, *best) for r in members)
        print(
            f"  {group[0]:13} {group[1]:14} {group[2]:5} {group[3]:6} n={len(members):4}  {before:5.2f} -> {after:5.2f}"
            f"   |log| {error(members, GENERIC):.3f} -> {error(members, best):.3f}"
        )
    print(
        "\nDeepSeek-V3's shape, balanced routing, 4,096 tokens: measured / estimated, generic term -> fitted"
    )
    for r in data:
        if r.model == "DeepSeek-V3" and r.group[1] == "balanced" and r.tokens == 4096:
            print(
                f"  {r.group[0]:13} {r.layout:8} {r.measured_s / estimate(r, *GENERIC):5.2f} -> "
                f"{r.measured_s / estimate(r, *best):5.2f}"
            )


if __name__ == "__main__":
    main()

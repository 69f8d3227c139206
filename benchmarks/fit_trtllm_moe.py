"""How much slower than the generic grouped-GEMM model TensorRT-LLM's default MoE backend runs NVFP4 experts on
Blackwell, fitted on measured layer times and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_trtllm_moe.py``.

TensorRT-LLM runs a MoE layer's experts on the backend ``moe_config.backend`` names, CUTLASS unless a recipe
picks another. NVIDIA aiconfigurator's kernel database (``data/moe_kernel_times.csv``, TensorRT-LLM 1.3.0rc20,
commit 095f58a; balanced routing; the layer's weights on one GPU with the experts split ``tp`` ways or over
``ep`` ranks) times that backend's whole expert layer: routing, input quantisation, permute, both grouped
GEMMs with the activation, unpermute. On NVFP4 experts on a B200 those layers take about twice what the
engine's generic term (``StepCost.moe_layer_terms``: the experts streamed and computed at the rates SGLang's
and vLLM's kernels reach) gives, at every batch; on 16-bit and per-tensor FP8 experts they take about what it
gives. Its block-scaled FP8 layers on Hopper run slower too, but by a factor that grows as the expert shard
narrows (about 1.3x at EP8 and TP1, 2x at TP8 on prompt-sized batches), which one factor cannot carry, so the
engine scales the streaming-and-compute part of a TensorRT-LLM MoE layer on NVFP4 on Blackwell only
(``calibration.trtllm_cutlass_moe_slowdown``); its fixed time is not scaled.

* **Fit** (:data:`FIT`): the median, over the B200's NVFP4 rows on DeepSeek-V3's shape with the experts over
  eight expert-parallel ranks (EP8, the layout NVIDIA's max-throughput recipes run this backend in), every
  batch, of (measured - the term's fixed time) / its streaming-and-compute part. That is
  ``calibration.TRTLLM_CUTLASS_MOE_SLOWDOWN``.
* **Held out**: the same rows with the experts split eight ways (TP8), printed as measured / estimated by
  batch with the fitted factor and with none; and every row the rule leaves alone (16-bit, per-tensor and
  block-scaled FP8, the B200's DeepGEMM FP8 and TensorRT-LLM-gen NVFP4 layers, MXFP4), printed the same way
  for comparison: the factor does not belong there.

MXFP4 experts on Hopper (no FP4 tensor cores: the weights are dequantized to 16-bit in the GEMMs) get a factor
of their own, ``calibration.TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN``, against TensorRT-LLM's own generic term:

* **Fit** (:data:`MXFP4_FIT`): the median of (measured - fixed) / body over the H200's MXFP4 rows of
  gpt-oss-120b's shape with every expert on the GPU (TP1), every batch.
* **Held out**: the same shape over eight expert-parallel ranks (EP8), printed with the factor and without;
  and, in ``benchmarks/scale.py``, TensorRT-LLM's gpt-oss-120b attention-DP runs on H100 and H200.

Block-scaled FP8 on Hopper gets a width instead of a factor. The engine's grouped expert GEMMs reach
``w / (w + W)`` of their compute rate on an expert shard ``w`` wide, with ``W`` the family's figure (700 on
Hopper for 8-bit experts). TensorRT-LLM's block-scale CUTLASS kernels need a much wider shard, so the engine
takes ``W`` = ``calibration.TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH`` for them
(``calibration.trtllm_block_fp8_moe_half_width``):

* **Fit** (:data:`WIDTH_FIT`): the ``W``, on a 25-wide grid, with the least median |log(measured / estimated)|
  over the H200's block-scaled FP8 rows at 1,024 tokens and more (prompt-sized batches, where the compute
  rate sets the time), every layout (TP1, TP2, TP4, TP8, EP8; DeepSeek-V3's and Qwen3-235B's shapes).
* **Held out**: the H100's block-scaled FP8 rows (TP8) and the H200's at fewer than 1,024 tokens, each printed
  with the fitted ``W`` and with the generic one.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from moe_layers import GPUS, MODELS, layer_model

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    TRTLLM_CUTLASS_MOE_SLOWDOWN,
    TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH,
    TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import soft_max

DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
FRAMEWORKS = ("TensorRT-LLM 1.3.0rc20", "TensorRT-LLM 1.3.0rc10")
#: the database's expert formats -> the engine's precision
FORMATS = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8", "nvfp4": "fp4", "w4a16_mxfp4": "mxfp4"}
#: (GPU, format, kernel) the rule scales: the CUTLASS backend's NVFP4 on Blackwell
SCALED = {("B200-SXM", "nvfp4", "moe_torch_flow_cutlass")}
#: the fit subset: (GPU, shape's model, format, tp, ep)
FIT = {("B200-SXM", "deepseek-ai/DeepSeek-V3", "nvfp4", 1, 8)}
BATCHES = (1, 16, 64, 256, 1024, 4096, 16384)
#: the width fit subset: (GPU, format) at this many tokens or more
WIDTH_FIT = ("H200-SXM", "fp8_block")
WIDTH_FIT_MIN_TOKENS = 1024
#: the width grid the fit searches (tokens-wide shards)
WIDTH_GRID = range(500, 4001, 25)


class Layer(NamedTuple):
    gpu: str
    framework: str
    model: str
    dtype: str
    kernel: str
    tp: int
    ep: int
    tokens: int
    measured_us: float
    fixed_us: float  # the generic term's fixed time
    mem_us: float  # its streaming part
    cmp_us: float  # and its compute part, at the generic half width
    width: float  # the expert shard's width
    half_width: float  # the generic half width

    @property
    def body_us(self) -> float:
        """The generic term's streaming-and-compute part."""
        return soft_max(self.mem_us, self.cmp_us)

    @property
    def scaled(self) -> bool:
        return (self.gpu, self.dtype, self.kernel) in SCALED and self.framework == FRAMEWORKS[0]

    @property
    def in_fit(self) -> bool:
        return self.scaled and (self.gpu, self.model, self.dtype, self.tp, self.ep) in FIT

    def ratio(self, slowdown: float) -> float:
        """Measured over estimated with the streaming-and-compute part scaled by ``slowdown``."""
        return self.measured_us / (slowdown * self.body_us + self.fixed_us)

    @property
    def block_hopper(self) -> bool:
        return self.dtype == "fp8_block" and self.gpu.startswith("H") and self.framework == FRAMEWORKS[0]

    def width_ratio(self, half_width: float) -> float:
        """Measured over estimated with the compute part at half width ``half_width``."""
        cmp = self.cmp_us * (self.width + half_width) / (self.width + self.half_width)
        return self.measured_us / (soft_max(self.mem_us, cmp) + self.fixed_us)


def _layer_deployment(row: dict[str, str], shape: tuple[str, str, str, str], engine: str) -> Deployment:
    """A database row's layer as ``engine`` plans it: its shape's model on its GPU, the experts split
    ``tp`` ways or over ``ep`` ranks, in the row's format."""
    tp, ep = int(row["tp"] or 1), int(row["ep"] or 1)
    return plan_deployment(
        layer_model(shape, row["dtype"]),
        get_gpu(GPUS[row["gpu"]]),
        num_gpus=tp * ep,
        tp=tp * ep,
        ep=ep,
        precision=FORMATS[row["dtype"]],
        engine=engine,
        input_length=1024,
        output_length=128,
    )


def layers() -> list[Layer]:
    """Every TensorRT-LLM row the engine can express, with the generic term's parts."""
    out = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = (row["hidden_size"], row["moe_intermediate_size"], row["num_experts"], row["topk"])
            if row["framework"] not in FRAMEWORKS or shape not in MODELS or row["dtype"] not in FORMATS:
                continue
            tp, ep, tokens = int(row["tp"] or 1), int(row["ep"] or 1), int(row["num_tokens"])
            # vLLM's profile: the same generic expert term, with no engine-specific factor on it
            d = _layer_deployment(row, shape, "vllm")
            _, mem, cmp = d.step_cost.moe_layer_terms(float(tokens))
            kernel = row["kernel"].split(" (")[0]
            out.append(
                Layer(
                    row["gpu"],
                    row["framework"],
                    MODELS[shape],
                    row["dtype"],
                    kernel,
                    tp,
                    ep,
                    tokens,
                    float(row["time_us"]),
                    d.rates.moe_layer_s * 1e6,
                    mem * 1e6,
                    cmp * 1e6,
                    d.costs.expert_width,
                    d.rates.moe_half_width,
                )
            )
    return out


def fitted(rows: list[Layer]) -> float:
    """The median, over the fit subset, of the measured time less the fixed time over the generic body."""
    return round(statistics.median((r.measured_us - r.fixed_us) / r.body_us for r in rows if r.in_fit), 2)


def _width_error(rows: list[Layer], half_width: float) -> float:
    return statistics.median(abs(math.log(r.width_ratio(half_width))) for r in rows)


def width_fit_rows(rows: list[Layer]) -> list[Layer]:
    return [
        r
        for r in rows
        if r.block_hopper and (r.gpu, r.dtype) == WIDTH_FIT and r.tokens >= WIDTH_FIT_MIN_TOKENS
    ]


def fitted_half_width(rows: list[Layer]) -> float:
    """The grid's half width with the least median |log(measured / estimated)| over the width fit subset."""
    subset = width_fit_rows(rows)
    return float(min(WIDTH_GRID, key=lambda w: (_width_error(subset, w), w)))


def _table(
    groups: dict[str, list[Layer]],
    width: int,
    first: Callable[[Layer], float],
    second: Callable[[Layer], float],
) -> tuple[list[float], list[float]]:
    """Print each group's cells (``first`` / ``second`` ratio by batch) and median |log| of each; return every
    row's |log| under each."""
    firsts, seconds = [], []
    for name, members in sorted(groups.items()):
        cells = []
        for b in BATCHES:
            at = [r for r in members if r.tokens == b]
            cells.append(f"{first(at[0]):4.2f}/{second(at[0]):4.2f}" if at else "        -")
        one = [abs(math.log(first(r))) for r in members]
        two = [abs(math.log(second(r))) for r in members]
        firsts += one
        seconds += two
        print(
            f"  {name:{width}} "
            + " ".join(cells)
            + f"   {statistics.median(one):6.2f}  {statistics.median(two):7.2f}"
        )
    return firsts, seconds


def _width_report(rows: list[Layer], half_width: float) -> None:
    fit = width_fit_rows(rows)
    generic = fit[0].half_width
    print(
        f"fit (TensorRT-LLM 1.3.0rc20's CUTLASS MoE on block-scaled FP8 on an H200, >= {WIDTH_FIT_MIN_TOKENS:,} "
        f"tokens, {len(fit)} rows): half width {half_width:g} (the engine holds "
        f"{TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH:g}; the generic Hopper 8-bit figure is {generic:g}); median |log| "
        f"{_width_error(fit, half_width):.3f}, {_width_error(fit, generic):.3f} with the generic one\n"
    )
    print(
        "cells: measured / estimated with the fitted half width, then with the generic one, by batch (tokens)"
    )
    print(f"  {'group':40} " + " ".join(f"{b:>9}" for b in BATCHES) + "   |log| fitted  generic")
    groups: dict[str, list[Layer]] = defaultdict(list)
    for r in rows:
        if r.block_hopper:
            split = "fit >= 1,024" if r in fit else "held out"
            layout = f"TP{r.tp}" if r.ep == 1 else f"EP{r.ep}"
            groups[f"{r.gpu[:4]} {r.model.split('/')[1][:16]:16} {layout:4} {split}"].append(r)
    _table(groups, 40, lambda r: r.width_ratio(half_width), lambda r: r.width_ratio(generic))
    held = [r for r in rows if r.block_hopper and r not in fit]
    for label, subset in (
        ("H100, every batch", [r for r in held if r.gpu.startswith("H100")]),
        (f"H200, < {WIDTH_FIT_MIN_TOKENS:,} tokens", [r for r in held if r.gpu.startswith("H200")]),
    ):
        print(
            f"  held out, {label} ({len(subset)} rows): median |log| {_width_error(subset, half_width):.3f} "
            f"fitted, {_width_error(subset, generic):.3f} generic"
        )
    print()


def _report(title: str, rows: list[Layer], slowdown: float) -> None:
    print(title)
    print(f"  {'group':62} " + " ".join(f"{b:>9}" for b in BATCHES) + "   |log| scaled  generic")
    groups: dict[str, list[Layer]] = defaultdict(list)
    for r in rows:
        layout = f"TP{r.tp}" if r.ep == 1 else (f"EP{r.ep}" if r.tp == 1 else f"TP{r.tp}xEP{r.ep}")
        release = r.framework.split(" ")[-1]
        name = f"{r.gpu[:4]} {release:9} {r.model.split('/')[1][:16]:16} {r.dtype:11} {r.kernel[15:][:10]:10} {layout}"
        groups[name].append(r)
    scaled_all, generic_all = _table(groups, 62, lambda r: r.ratio(slowdown), lambda r: r.ratio(1.0))
    print(
        f"  all {len(scaled_all)} rows: median |log(measured / estimated)| {statistics.median(scaled_all):.3f} "
        f"scaled, {statistics.median(generic_all):.3f} generic\n"
    )


#: TensorRT-LLM's MXFP4 experts on Hopper: the fit subset (GPU, format, expert-parallel ranks), every batch
MXFP4_FIT = ("H200-SXM", "w4a16_mxfp4", 1)


def hopper_mxfp4_layers() -> list[tuple[int, int, float, float, float]]:
    """TensorRT-LLM 1.3.0rc20's MXFP4 layers on the H200: (ep, tokens, measured, fixed time, generic body), in
    seconds. The generic term is TensorRT-LLM's own profile's (vLLM's would run MXFP4 on Hopper on Marlin),
    its streaming and compute parts unscaled."""
    out = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = (row["hidden_size"], row["moe_intermediate_size"], row["num_experts"], row["topk"])
            if (row["gpu"], row["dtype"]) != MXFP4_FIT[:2] or row["framework"] != FRAMEWORKS[0]:
                continue
            if shape not in MODELS:
                continue
            ep = int(row["ep"] or 1)
            d = _layer_deployment(row, shape, "trtllm")
            seconds, mem, cmp = d.step_cost.moe_layer_terms(float(row["num_tokens"]))
            body = soft_max(mem, cmp)
            fixed = seconds - d.rates.moe_slowdown * body
            out.append((ep, int(row["num_tokens"]), float(row["time_us"]) * 1e-6, fixed, body))
    return out


def fitted_hopper_mxfp4(rows: list[tuple[int, int, float, float, float]]) -> float:
    """The median over the fit subset (every expert on the GPU) of (measured - fixed) / generic body."""
    return round(statistics.median((m - f) / b for ep, _, m, f, b in rows if ep == MXFP4_FIT[2]), 2)


def _mxfp4_report() -> None:
    rows = hopper_mxfp4_layers()
    factor = fitted_hopper_mxfp4(rows)
    print(
        f"fit (TensorRT-LLM 1.3.0rc20's MXFP4 experts on an H200, gpt-oss-120b's shape, TP1, every batch): "
        f"{factor:g} (the engine holds {TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN:g})"
    )
    for ep in sorted({r[0] for r in rows}):
        members = sorted((r for r in rows if r[0] == ep), key=lambda r: r[1])
        cells = " ".join(f"{m / (factor * b + f):4.2f}/{m / (b + f):4.2f}" for _, _, m, f, b in members)
        split = "fit" if ep == MXFP4_FIT[2] else "held out"
        scaled = statistics.median(abs(math.log(m / (factor * b + f))) for _, _, m, f, b in members)
        generic = statistics.median(abs(math.log(m / (b + f))) for _, _, m, f, b in members)
        batches = ", ".join(str(r[1]) for r in members)
        print(
            f"  EP{ep} {split:8} (batches {batches}): {cells}   |log| {scaled:.2f} scaled, {generic:.2f} generic"
        )
    print()


def main() -> None:
    _mxfp4_report()
    rows = layers()
    slowdown = fitted(rows)
    print(
        f"fit (TensorRT-LLM 1.3.0rc20's CUTLASS MoE on a B200, DeepSeek-V3's shape, NVFP4, EP8, every batch): "
        f"{slowdown:g} (the engine holds {TRTLLM_CUTLASS_MOE_SLOWDOWN:g})\n"
    )
    print("cells: measured / estimated with the fitted factor, then with none, by batch (tokens)\n")
    _report(
        "held out, the layers the rule scales (CUTLASS backend, NVFP4, B200):",
        [r for r in rows if r.scaled and not r.in_fit],
        slowdown,
    )
    _report(
        "for comparison, the rows the rule leaves alone (the scaled column applies the factor anyway):",
        [r for r in rows if not r.scaled],
        slowdown,
    )
    _width_report(rows, fitted_half_width(rows))


if __name__ == "__main__":
    main()

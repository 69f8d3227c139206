"""How much slower than the generic grouped-GEMM model TensorRT-LLM's default MoE backend runs NVFP4 experts on
Blackwell, fitted on measured layer times and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_trtllm_moe.py``.

TensorRT-LLM runs a MoE layer's experts on the backend ``moe_config.backend`` names, CUTLASS unless a recipe
picks another. NVIDIA aiconfigurator's kernel database times that backend's whole expert layer: routing, input
quantisation, permute, both grouped GEMMs with the activation, unpermute (balanced routing; the layer's weights on
one GPU with the experts split ``tp`` ways or over ``ep`` ranks). On NVFP4 experts on Blackwell
(``data/trtllm_fp4_moe_times.csv``: TensorRT-LLM 1.3.0rc20 in aiconfigurator-core 0.12.0, the expert shapes of
sixteen bundled models, on a B200, a B300, a GB200 and a GB300, each table collected on its own) those layers take
longer than the engine's generic term (``StepCost.moe_layer_terms``: the experts streamed and computed at the rates
SGLang's and vLLM's kernels reach, plus the routing traffic a step charges beside it), and the more so the narrower
the model's experts: about 1.0x for Llama-4's and Mixtral's (8,192-16,384 wide), 1.5x for DeepSeek-V3's (2,048),
2-3x for Qwen3-30B-A3B's (768). The engine runs that backend's streaming and compute at ``I / (I + W)`` of the
generic rate, ``I`` the expert's whole intermediate width (before any tensor-parallel split), its fixed time not
scaled (``calibration.trtllm_cutlass_moe_slowdown``; ``W`` = ``calibration.TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH``):

* **Fit** (:data:`FP4_FIT`): the ``W``, on a 20-wide grid, with the least median |log(measured / estimated)| over the
  B200's layers with the experts over 2-8 expert-parallel ranks (whole experts, the layout NVIDIA's max-throughput
  recipes run this backend in), 64 tokens and more.
* **Held out**: the B200's tensor-parallel and mixed splits and its smaller batches, and every layer of the B300,
  GB200 and GB300 tables, printed by GPU, layout and batch band with the fitted width, with the single factor it
  replaces (:data:`PREVIOUS_FP4_SLOWDOWN`, fitted on DeepSeek-V3's shape alone) and with none.
  ``benchmarks/scale.py`` reads TensorRT-LLM's NVFP4 attention-DP runs end to end.

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

import argparse
import csv
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from expert_shapes import EXPERT_SHAPE_MODELS, ROUTING, Shape, row_shape
from moe_layers import GPUS, MODELS, layer_model

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH,
    TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH,
    TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import soft_max

DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
FRAMEWORKS = ("TensorRT-LLM 1.3.0rc20", "TensorRT-LLM 1.3.0rc10")
#: the database's expert formats -> the engine's precision
FORMATS = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8", "nvfp4": "fp4", "w4a16_mxfp4": "mxfp4"}
FP4_DATA = Path(__file__).resolve().parent / "data" / "trtllm_fp4_moe_times.csv"
FP4_TABLE = (
    Path(__file__).resolve().parent.parent
    / "src"
    / "config_explorer"
    / "data"
    / "trtllm_cutlass_fp4_moe.json"
)
#: the fit subset: GPU, experts over 2-8 expert-parallel ranks (tp 1), this many tokens or more
FP4_FIT = ("B200-SXM", 64)
#: the grid the width fit searches
FP4_WIDTH_GRID = range(0, 3001, 20)
#: the single factor over the generic term the width replaces (fitted on DeepSeek-V3's EP8 layers of aiconfigurator's
#: commit 095f58a), printed for comparison
PREVIOUS_FP4_SLOWDOWN = 1.85
#: the GPUs of the CUTLASS NVFP4 table -> the catalog's names
FP4_GPUS = {"B200-SXM": "B200", "B300-SXM": "B300", "GB200": "GB200", "GB300": "GB300"}
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
    def block_hopper(self) -> bool:
        return self.dtype == "fp8_block" and self.gpu.startswith("H") and self.framework == FRAMEWORKS[0]

    def width_ratio(self, half_width: float) -> float:
        """Measured over estimated with the compute part at half width ``half_width``."""
        cmp = self.cmp_us * (self.width + half_width) / (self.width + self.half_width)
        return self.measured_us / (soft_max(self.mem_us, cmp) + self.fixed_us)


def _layer_deployment(row: dict[str, str], shape: Shape, engine: str) -> Deployment:
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
        expert_popularity_cv=ROUTING,
    )


def layers() -> list[Layer]:
    """Every TensorRT-LLM row the engine can express, with the generic term's parts."""
    out = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = row_shape(row)
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


#: TensorRT-LLM's MXFP4 experts on Hopper: the fit subset (GPU, format, expert-parallel ranks), every batch
MXFP4_FIT = ("H200-SXM", "w4a16_mxfp4", 1)


def hopper_mxfp4_layers() -> list[tuple[int, int, float, float, float]]:
    """TensorRT-LLM 1.3.0rc20's MXFP4 layers on the H200: (ep, tokens, measured, fixed time, generic body), in
    seconds. The generic term is TensorRT-LLM's own profile's (vLLM's would run MXFP4 on Hopper on Marlin),
    its streaming and compute parts unscaled."""
    out = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = row_shape(row)
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


class FP4Layer(NamedTuple):
    """One CUTLASS NVFP4 layer of the table, with the engine's generic term's parts, in seconds."""

    gpu: str
    model: str
    tp: int
    ep: int
    tokens: int
    measured: float
    fixed: float  # the generic term's fixed time
    body: float  # its streaming-and-compute part, unscaled
    #: the routing traffic a step charges beside the layer (``StepCost`` streams it with the GEMMs)
    traffic: float
    shape: tuple[int, int, int, int]  # hidden, the expert's whole intermediate width, experts, top-k

    @property
    def intermediate(self) -> int:
        return self.shape[1]

    @property
    def split(self) -> str:
        """The package table's key of the layer's split: ``"<moe tp>x<ep>"``."""
        return f"{self.tp}x{self.ep}"

    @property
    def key(self) -> str:
        """The package table's key of the layer's expert shape: ``"hidden/intermediate/experts/top_k"``."""
        return "/".join(str(x) for x in self.shape)

    def implied(self) -> float:
        """The factor on the generic streaming-and-compute term this layer's time implies."""
        return (self.measured - self.fixed - self.traffic) / self.body

    def estimate(self, slowdown: float) -> float:
        return slowdown * self.body + self.fixed + self.traffic

    def ratio(self, slowdown: float) -> float:
        return self.measured / self.estimate(slowdown)

    def law(self, half_width: float) -> float:
        """The slowdown ``1 + W / I`` the engine takes for a half width ``W``."""
        return 1.0 + half_width / self.intermediate

    @property
    def layout(self) -> str:
        if self.tp == 1:
            return "EP" if self.ep > 1 else "TP1"
        return "TP" if self.ep == 1 else "TPxEP"

    @property
    def in_fit(self) -> bool:
        return self.gpu == FP4_FIT[0] and self.layout == "EP" and self.tokens >= FP4_FIT[1]


def fp4_layers() -> list[FP4Layer]:
    """Every CUTLASS NVFP4 layer of the table on at most eight GPUs, with vLLM's profile's generic term (no engine
    factor on it) for its shape's bundled model on that GPU."""
    plans: dict[tuple[str, str, int, int], Deployment] = {}
    out = []
    with FP4_DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            shape = row_shape(row)
            model = EXPERT_SHAPE_MODELS.get(shape)
            tp, ep, tokens = int(row["tp"]), int(row["ep"]), int(row["num_tokens"])
            if model is None or tp * ep > 8:
                continue
            key = (row["gpu"], model, tp, ep)
            if key not in plans:
                plans[key] = plan_deployment(
                    load_model(model),
                    get_gpu(FP4_GPUS[row["gpu"]]),
                    num_gpus=tp * ep,
                    tp=tp * ep,
                    ep=ep,
                    precision="fp4",
                    engine="vllm",
                    input_length=1024,
                    output_length=128,
                    expert_popularity_cv=ROUTING,
                )
            d = plans[key]
            _, mem, cmp = d.step_cost.moe_layer_terms(float(tokens))
            traffic = d.step_cost.moe_traffic_bytes_per_token_layer(masked=d.rates.moe_masked_ep) * tokens
            out.append(
                FP4Layer(
                    row["gpu"],
                    model,
                    tp,
                    ep,
                    tokens,
                    float(row["time_us"]) * 1e-6,
                    d.rates.moe_layer_s,
                    soft_max(mem, cmp),
                    traffic / d.rates.gemm_bandwidth,
                    shape,
                )
            )
    return out


def measured_fp4_factors(rows: list[FP4Layer]) -> dict[str, dict[str, float]]:
    """The package table (``src/config_explorer/data/trtllm_cutlass_fp4_moe.json``): per expert shape and split, the
    median factor the B200's layers of :data:`FP4_FIT`'s tokens and more imply, to two decimals."""
    implied: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.gpu == FP4_FIT[0] and r.tokens >= FP4_FIT[1]:
            implied[r.key][r.split].append(r.implied())
    return {
        key: {split: round(statistics.median(values), 2) for split, values in sorted(splits.items())}
        for key, splits in sorted(implied.items())
    }


def write_fp4_factors(rows: list[FP4Layer]) -> None:
    """Write :func:`measured_fp4_factors` to the package table."""
    table = {
        "about": "TensorRT-LLM's CUTLASS MoE on NVFP4 experts on Blackwell: measured / generic streaming-and-compute "
        "term, by expert shape and split; written by benchmarks/fit_trtllm_moe.py --write from "
        "benchmarks/data/trtllm_fp4_moe_times.csv (B200, balanced routing, 64 tokens and more, median)",
        "key": "hidden/intermediate/experts/top_k -> <moe tp>x<ep>",
        "factors": measured_fp4_factors(rows),
    }
    FP4_TABLE.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")


def _fp4_error(rows: list[FP4Layer], slowdown: Callable[[FP4Layer], float]) -> tuple[float, float]:
    """(median |log(measured / estimated)|, median measured / estimated) of ``rows`` at each one's ``slowdown``."""
    ratios = [r.ratio(slowdown(r)) for r in rows]
    return statistics.median(abs(math.log(x)) for x in ratios), statistics.median(ratios)


def fitted_fp4_half_width(rows: list[FP4Layer]) -> float:
    """The grid's width with the least median |log(measured / estimated)| over the fit subset (the smaller on a tie)."""
    fit = [r for r in rows if r.in_fit]
    return float(min(FP4_WIDTH_GRID, key=lambda w: (_fp4_error(fit, lambda r: r.law(w))[0], w)))


def fp4_rules(rows: list[FP4Layer], half_width: float) -> dict[str, Callable[[FP4Layer], float]]:
    """The factors compared: the engine's (the B200's measured factor where the table has the shape and split, else
    the width), the width alone, the single factor it replaced, none."""
    table = measured_fp4_factors(rows)

    def engine(r: FP4Layer) -> float:
        return table.get(r.key, {}).get(r.split, r.law(half_width))

    return {
        "measured factors": engine,
        "the width": lambda r: r.law(half_width),
        f"single factor {PREVIOUS_FP4_SLOWDOWN:g}": lambda r: PREVIOUS_FP4_SLOWDOWN,
        "none": lambda r: 1.0,
    }


def _fp4_report(rows: list[FP4Layer], half_width: float) -> None:
    fit = [r for r in rows if r.in_fit]
    print(
        f"width fit (TensorRT-LLM 1.3.0rc20's CUTLASS MoE on NVFP4 on a B200, experts over 2-8 expert-parallel ranks, "
        f">= {FP4_FIT[1]} tokens, {len(fit)} layers): half width {half_width:g} (the engine holds "
        f"{TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH:g}); median |log| {_fp4_error(fit, lambda r: r.law(half_width))[0]:.3f}, "
        f"{_fp4_error(fit, lambda r: PREVIOUS_FP4_SLOWDOWN)[0]:.3f} with the single factor "
        f"{PREVIOUS_FP4_SLOWDOWN:g}, {_fp4_error(fit, lambda r: 1.0)[0]:.3f} with none"
    )
    print(
        f"measured factors: the median factor each (shape, split) of the B200's layers of >= {FP4_FIT[1]} tokens "
        "implies (the package table; the width where it has none)\n"
    )
    rules = fp4_rules(rows, half_width)
    print("median |log(measured / estimated)| (median measured / estimated): " + ", ".join(rules))
    groups: dict[tuple[str, str], list[FP4Layer]] = defaultdict(list)
    for r in rows:
        band = f">= {FP4_FIT[1]}" if r.tokens >= FP4_FIT[1] else f"< {FP4_FIT[1]}"
        groups[(r.gpu, band)].append(r)
    for (gpu, band), members in sorted(groups.items()):
        split = "fit (B200 >= 64)" if gpu == FP4_FIT[0] and band.startswith(">") else "held out"
        cells = "   ".join("{:.3f} ({:.2f})".format(*_fp4_error(members, rule)) for rule in rules.values())
        print(f"  {gpu:9} {band:6} {split:16} n={len(members):4}   {cells}")
    print(
        "\nthe width by layout (held out but for the B200's EP layers of >= 64 tokens): the width, the single factor"
    )
    layouts: dict[tuple[str, str, str], list[FP4Layer]] = defaultdict(list)
    for r in rows:
        band = f">= {FP4_FIT[1]}" if r.tokens >= FP4_FIT[1] else f"< {FP4_FIT[1]}"
        layouts[(r.gpu, r.layout, band)].append(r)
    for (gpu, layout, band), members in sorted(layouts.items()):
        split = "fit" if all(r.in_fit for r in members) else "held out"
        cells = "   ".join(
            "{:.3f} ({:.2f})".format(*_fp4_error(members, rule))
            for rule in (rules["the width"], rules[f"single factor {PREVIOUS_FP4_SLOWDOWN:g}"])
        )
        print(f"  {gpu:9} {layout:6} {band:6} {split:8} n={len(members):4}   {cells}")
    print("\nby model, B200, >= 64 tokens, every layout: the width's factor, measured / estimated with it")
    by_model: dict[str, list[FP4Layer]] = defaultdict(list)
    for r in rows:
        if r.gpu == FP4_FIT[0] and r.tokens >= FP4_FIT[1]:
            by_model[r.model].append(r)
    for model, members in sorted(by_model.items(), key=lambda item: item[1][0].intermediate):
        error, ratio = _fp4_error(members, rules["the width"])
        print(
            f"  {model.split('/')[1]:34} I={members[0].intermediate:6,}  factor {members[0].law(half_width):4.2f}  "
            f"{ratio:4.2f}  |log| {error:.3f}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"write the measured NVFP4 factors to {FP4_TABLE.name} (package data)",
    )
    args = parser.parse_args()
    _mxfp4_report()
    fp4 = fp4_layers()
    if args.write:
        write_fp4_factors(fp4)
    _fp4_report(fp4, fitted_fp4_half_width(fp4))
    rows = layers()
    _width_report(rows, fitted_half_width(rows))


if __name__ == "__main__":
    main()

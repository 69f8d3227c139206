"""One MoE layer's expert computation, the native engine's step term against measured kernel times.

Run: ``PYTHONPATH=src python benchmarks/moe_layers.py [--overlap P]``.

The measurements are ``data/moe_kernel_times.csv``: NVIDIA aiconfigurator's kernel database (vLLM 0.24,
SGLang 0.5.x, TensorRT-LLM 1.3 on A100, H100, H200 and B200; routing, activation quantisation, both
grouped GEMMs and combine of one MoE layer on one GPU, CUDA-graph replay), for the expert shapes of
DeepSeek-V3, Qwen3-30B-A3B, Qwen3-235B-A22B, Mixtral-8x7B, gpt-oss-120b and Llama-4-Scout. Each row is
estimated with :meth:`StepCost.moe_layer_terms` of that model on that GPU, precision and layout (its
launches are not in that term, except on the fused expert path SGLang runs on Blackwell, whose fixed time
``benchmarks/fit_blackwell_moe.py`` fits on a named subset of the SGLang 0.5.14 B200 rows). Nothing else is
fitted on these rows by default.

Printed, per GPU x framework x precision x kernel (the MoE backend the database names): the median ratio
measured / estimated at each batch size, and the median |log ratio| for batches of 64 tokens or more
(where the layer streams most experts) and below (where the database's "balanced" routing touches
min(E, tokens x k) experts, more than uniform random routing does, so its small-batch rows read slower
than the engine's expected distinct experts).

A second table reads AMD AITER's fused-MoE layers on the MI300X and MI355X (``data/aiter_fmoe_times.csv``: the two
grouped-GEMM stages AITER's tuner timed, routing and sorting not included, as SGLang's and vLLM's ROCm builds run
them), held out as well, for the layer shapes a bundled model has at some tensor-parallel size: every expert on the
GPU (the tables' expert-parallel shards route every assignment to the local experts, and their fused shared-expert
shapes hold one expert more than the model, so neither is a layer the engine would run).

``--overlap P`` also scores an alternative way of combining the layer's memory- and compute-bound parts,
``(mem^P + cmp^P)^(1/P)`` in place of the engine's ``(mem^4 + cmp^4)^(1/4)``: an exponent chosen on the
H200 16-bit rows (the ``choice`` rows) is then read on every other group (held out).
"""

from __future__ import annotations

import argparse
import csv
import functools
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import attrs
from expert_shapes import EXPERT_SHAPE_MODELS, ROUTING, Shape, row_shape, shape_models

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.roofline import StepCost, soft_max
from config_explorer.errors import ConfigExplorerError

DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
AITER = Path(__file__).resolve().parent / "data" / "aiter_fmoe_times.csv"
#: (hidden, experts, top-k) -> the bundled model with that expert layer and its experts' whole intermediate width,
#: for AITER's tables (a row whose width divides it is that layer at a tensor-parallel split)
AITER_MODELS = {
    ("4096", "128", "8"): ("Qwen/Qwen3-235B-A22B", 1536),
    ("3072", "256", "8"): ("MiniMaxAI/MiniMax-M2.5", 1536),
    ("2048", "512", "10"): ("Qwen/Qwen3-Next-80B-A3B-Instruct", 512),
}
#: (hidden, expert intermediate, experts, top-k) -> the bundled model with that expert shape, for the shapes the
#: database times
MODELS = shape_models(
    "deepseek-ai/DeepSeek-V3",
    "Qwen/Qwen3-30B-A3B",
    "mistralai/Mixtral-8x7B-v0.1",
    "Qwen/Qwen3-235B-A22B",
    "openai/gpt-oss-120b",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
)
PRECISIONS = {
    "bfloat16": "bf16",
    "fp8_block": "fp8",
    "fp8": "fp8",
    "nvfp4": "fp4",
    "w4a16_mxfp4": "mxfp4",
    "w4a8_mxfp4_mxfp8": "mxfp4",
    "int4_wo": "int4",
}
GPUS = {"H200-SXM": "H200", "H100-SXM": "H100", "B200-SXM": "B200", "A100-SXM": "A100"}
#: SGLang kept on its Triton fused-MoE kernel, which is what its ``*_fused_moe_triton`` tables time (on Hopper it runs
#: there anyway)
SGLANG_TRITON = check_engine_options({"moe_runner_backend": "triton"}, "sglang")


def layer_model(shape: Shape, dtype: str) -> ModelArchitecture:
    """The bundled model with a database row's expert shape (:data:`EXPERT_SHAPE_MODELS`), its FP8 weights scaled
    per block exactly where the row's format is (``fp8_block``; ``fp8`` is per-tensor), as an FP8 checkpoint would
    carry them."""
    return in_format(load_model(EXPERT_SHAPE_MODELS[shape]), dtype)


def in_format(arch: ModelArchitecture, dtype: str) -> ModelArchitecture:
    """``arch`` with its FP8 weights scaled per block exactly where a database row's format ``dtype`` is."""
    block = dtype == "fp8_block"
    if block == arch.weight_block_scaled:
        return arch
    return attrs.evolve(
        arch, native_precision="fp8" if block else arch.native_precision, weight_block_scaled=block
    )


BATCHES = (1, 16, 64, 256, 1024, 4096, 16384)


class Layer(NamedTuple):
    group: tuple[str, str, str, str]  # GPU, framework, precision, kernel
    tokens: int
    measured_s: float
    seconds: float  # the engine's estimate
    mem: float  # its memory-bound part
    cmp: float  # its compute-bound part


def _engine(framework: str) -> str:
    """The engine profile (and release) of a database row's framework, e.g. ``vLLM 0.24.0`` -> ``vllm==0.24.0``."""
    name, _, version = framework.split(" (")[0].partition(" ")
    engine = {"vllm": "vllm", "sglang": "sglang", "tensorrt-llm": "trtllm"}.get(name.lower(), "vllm")
    return f"{engine}=={version}" if version and engine == "vllm" else engine


def rows() -> list[Layer]:
    """Every database row the engine can express, with the engine's terms for it."""
    out = []
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            shape = row_shape(row)
            if shape not in MODELS or row["dtype"] not in PRECISIONS or row["gpu"] not in GPUS:
                continue
            tp, ep = int(row["tp"] or 1), int(row["ep"] or 1)
            gpus = tp * ep
            kernel = row["kernel"].split(" (")[0].split(" ")[0]
            engine = _engine(row["framework"])
            # SGLang's Triton rows ran that kernel whatever runner SGLang would pick for the model itself
            options = SGLANG_TRITON if engine == "sglang" and kernel == "sglang_fused_moe_triton" else None
            try:
                dep = plan_deployment(
                    layer_model(shape, row["dtype"]),
                    get_gpu(GPUS[row["gpu"]]),
                    num_gpus=gpus,
                    tp=gpus,
                    ep=ep,
                    precision=PRECISIONS[row["dtype"]],
                    engine=engine,
                    input_length=1024,
                    output_length=128,
                    engine_options=options,
                    expert_popularity_cv=ROUTING,
                )
            except ConfigExplorerError:
                continue
            seconds, mem, cmp = dep.step_cost.moe_layer_terms(float(row["num_tokens"]))
            group = (row["gpu"], row["framework"].split(" (")[0], row["dtype"], kernel)
            measured = float(row["time_us"]) * 1e-6
            out.append(Layer(group, int(row["num_tokens"]), measured, seconds, mem, cmp))
    return out


def estimate(layer: Layer, p: float | None) -> float:
    """The engine's estimate, or with ``p`` its memory and compute parts combined with exponent ``p``."""
    if p is None:
        return layer.seconds
    combined = (layer.mem**p + layer.cmp**p) ** (1.0 / p)
    return layer.seconds - soft_max(layer.mem, layer.cmp) + combined


def log_error(layers: list[Layer], p: float | None) -> float:
    values = [abs(math.log(estimate(layer, p) / layer.measured_s)) for layer in layers]
    return statistics.median(values) if values else math.nan


@functools.cache
def _aiter_layer(gpu: str, model: str, fmt: str, tp: int) -> StepCost:
    """SGLang's plan of ``model``'s experts in AITER's format ``fmt`` split ``tp`` ways on ``gpu``."""
    return plan_deployment(
        in_format(load_model(model), fmt),
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        precision="fp8" if fmt == "fp8_block" else "bf16",
        engine="sglang",
        input_length=1024,
        output_length=128,
        expert_popularity_cv=ROUTING,
    ).step_cost


def aiter_rows() -> list[Layer]:
    """AITER's fused-MoE layers the engine can express, with the engine's terms for them (SGLang on that GPU)."""
    out = []
    with AITER.open() as fh:
        for row in csv.DictReader(fh):
            known = AITER_MODELS.get((row["hidden"], row["experts"], row["topk"]))
            width = int(row["intermediate"])
            if known is None or known[1] % width:
                continue
            model, whole = known
            tp = whole // width
            seconds, mem, cmp = _aiter_layer(row["gpu"], model, row["format"], tp).moe_layer_terms(
                float(row["tokens"])
            )
            group = (row["gpu"], f"AITER {row['table']}", row["format"], f"TP{tp} ({width} wide)")
            out.append(Layer(group, int(row["tokens"]), float(row["time_us"]) * 1e-6, seconds, mem, cmp))
    return out


def print_groups(data: list[Layer], overlap: float | None) -> None:
    """Median measured / estimated by batch, and the median |log| at >= 64 and < 64 tokens, per group."""
    groups: dict[tuple[str, str, str, str], list[Layer]] = defaultdict(list)
    for layer in data:
        groups[layer.group].append(layer)
    header = f"{'GPU':9} {'framework':22} {'precision':12} {'kernel':26} " + " ".join(
        f"{b:>6}" for b in BATCHES
    )
    print("median measured / estimated by batch (tokens):")
    print(header + "  |log| >=64  <64" + (f"   P={overlap:g}: >=64" if overlap else ""))
    for group, members in sorted(groups.items()):
        by_batch: dict[int, list[float]] = defaultdict(list)
        for layer in members:
            by_batch[layer.tokens].append(layer.measured_s / layer.seconds)
        cells = " ".join(
            f"{statistics.median(by_batch[b]):6.2f}" if b in by_batch else f"{'':6}" for b in BATCHES
        )
        big = [layer for layer in members if layer.tokens >= 64]
        small = [layer for layer in members if layer.tokens < 64]
        line = f"{group[0]:9} {group[1][:22]:22} {group[2][:12]:12} {group[3][:26]:26} {cells}  "
        line += f"{log_error(big, None):9.2f} {log_error(small, None):4.2f}"
        if overlap:
            line += f"   {log_error(big, overlap):9.2f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlap", type=float, default=None, metavar="P")
    args = parser.parse_args()
    data = rows()
    print(f"{len(data)} measured MoE layers estimated (of {sum(1 for _ in DATA.open()) - 1} rows)\n")
    print_groups(data, args.overlap)
    big = [layer for layer in data if layer.tokens >= 64]
    print(f"\nall groups, batches >= 64: median |log(measured / estimated)| {log_error(big, None):.3f}")
    if args.overlap:
        choice = [layer for layer in big if layer.group[0] == "H200-SXM" and layer.group[2] == "bfloat16"]
        held = [layer for layer in big if layer not in choice]
        print(
            f"overlap exponent 4 (the engine's) vs {args.overlap:g}, batches >= 64: "
            f"choice rows (H200 16-bit, n={len(choice)}) {log_error(choice, None):.3f} -> "
            f"{log_error(choice, args.overlap):.3f}; held out (n={len(held)}) {log_error(held, None):.3f} -> "
            f"{log_error(held, args.overlap):.3f}"
        )
    amd = aiter_rows()
    print(
        f"\nAMD AITER fused-MoE layers (two grouped-GEMM stages, no routing): {len(amd)} of "
        f"{sum(1 for _ in AITER.open()) - 1} rows estimated, SGLang's ROCm profile\n"
    )
    print_groups(amd, args.overlap)
    for band, lo, hi in (("1-32", 1, 32), ("64-1,024", 64, 1024), (">=2,048", 2048, 1 << 30)):
        members = [layer for layer in amd if lo <= layer.tokens <= hi]
        ratios = [layer.measured_s / layer.seconds for layer in members]
        print(
            f"  {band:>8} tokens: n={len(members):3d}, median measured / estimated "
            f"{statistics.median(ratios):.2f}, median |log| {log_error(members, None):.3f}"
        )


if __name__ == "__main__":
    main()

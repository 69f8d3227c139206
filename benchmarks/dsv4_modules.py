"""DeepSeek-V4's layers as the native engine costs them, against aiconfigurator's measured module tables.

Run: ``PYTHONPATH=src python benchmarks/dsv4_modules.py``. Data: benchmarks/data/dsv4_module_times.csv (NVIDIA
aiconfigurator's DeepSeek-V4 module tables at commit 095f58a5, replayed CUDA graphs on one GPU:
benchmarks/data/dsv4_module_times.md).

1. **Hyper-connections (mHC).** A layer's two mHC sites, both ops (``pre``: project the ``hc_mult`` copies of the
   hidden state, Sinkhorn, mix them down; ``post``: mix the layer's output back in), cost the engine a fixed time
   (the sites' counted kernels) plus a traffic per token at its elementwise bandwidth. The traffic per token,
   in bytes per hidden value per copy, is fitted here on one set of tables (SGLang 0.5.14 on the H200: the median
   over its rows of 2,048 tokens or more of the time above the fixed part, in bytes) and read held out on every
   other GPU and engine: :data:`~config_explorer.engine.layout.HYPER_CONNECTION_BYTES`.
2. **Attention layers (CSA, HCA).** One attention layer as the engine costs it (projections, compressor, indexer,
   the attention over its window and entries, their kernels; no experts, all-reduce or mHC) against the measured
   module, by GPU, engine and module. Nothing is fitted: the ratio says where the layer's own model stands.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from config_explorer.architecture import INDEXED_RATIO, ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import (
    COMPRESSED_HEAD_BYTES,
    COMPRESSED_MIXER_KERNELS,
    HYPER_CONNECTION_BYTES,
    HYPER_CONNECTION_KERNELS,
    compressed_attention_costs,
    compressed_head_bytes,
    compressed_heads,
    shard_costs,
)
from config_explorer.engine.roofline import StepCost

DATA = Path(__file__).resolve().parent / "data" / "dsv4_module_times.csv"
#: aiconfigurator's system directories, as catalog GPUs
SYSTEMS = {
    "b200_sxm": "B200",
    "b300_sxm": "B300",
    "gb200": "GB200",
    "gb300": "GB300",
    "h100_sxm": "H100 SXM",
    "h200_sxm": "H200 SXM",
    "l40s": "L40S",
}
MODELS = {
    "DeepSeek-V4-Pro": "deepseek-ai/DeepSeek-V4-Pro",
    "DeepSeek-V4-Pro-FP8": "deepseek-ai/DeepSeek-V4-Pro",
    "DeepSeek-V4-Flash": "deepseek-ai/DeepSeek-V4-Flash",
    "DeepSeek-V4-Flash-FP8": "deepseek-ai/DeepSeek-V4-Flash",
}
ENGINES = {"sglang": "sglang", "vllm": "vllm==0.24.0", "trtllm": "trtllm"}
#: the tables the hyper-connections' traffic is fitted on, and the rows long enough for it to dominate
FIT_SYSTEM, FIT_BACKEND, FIT_MIN_TOKENS = "h200_sxm", "sglang", 2048


def rows(module_prefix: str) -> list[dict[str, str]]:
    with DATA.open() as fh:
        return [r for r in csv.DictReader(fh) if r["module"].startswith(module_prefix)]


def _extra(row: dict[str, str]) -> dict[str, str]:
    return dict(part.split("=", 1) for part in row["extra"].split(";") if "=" in part)


def mhc_points() -> list[tuple[str, str, int, int, float]]:
    """(system, backend, hidden, tokens, seconds of both ops) per measured shape with both ``pre`` and ``post``."""
    ops: dict[tuple[str, str, str, int, int], dict[str, float]] = defaultdict(dict)
    for row in rows("mhc"):
        extra = _extra(row)
        if row["system"] not in SYSTEMS or extra.get("hc_mult") != "4":
            continue
        key = (row["system"], row["backend"], row["version"], int(extra["hidden"]), int(row["tokens"]))
        ops[key][extra["op"]] = float(row["latency_ms"]) * 1e-3
    return [
        (system, backend, hidden, tokens, both["pre"] + both["post"])
        for (system, backend, _, hidden, tokens), both in sorted(ops.items())
        if "pre" in both and "post" in both
    ]


def mhc_fixed_and_bandwidth(system: str) -> tuple[float, float]:
    """The engine's fixed time for one layer's mHC kernels and its elementwise bandwidth on ``system``'s GPU."""
    gpu = get_gpu(SYSTEMS[system])
    eff = efficiency_for(gpu.family)
    gemm, small = HYPER_CONNECTION_KERNELS
    fixed = (gemm * eff.gemm_kernel_us + small * eff.small_kernel_us) * 1e-6
    return fixed, gpu.memory_bandwidth_bytes_s * eff.gemm_bandwidth


def fit_mhc_bytes(points: Iterable[tuple[str, str, int, int, float]]) -> float:
    """Bytes per token per hidden value per copy (hc_mult 4) the fit rows' time above the fixed part stands for."""
    per_value = []
    for system, backend, hidden, tokens, seconds in points:
        if (system, backend) != (FIT_SYSTEM, FIT_BACKEND) or tokens < FIT_MIN_TOKENS:
            continue
        fixed, bandwidth = mhc_fixed_and_bandwidth(system)
        per_value.append((seconds - fixed) * bandwidth / (tokens * hidden * 4))
    return statistics.median(per_value)


def mhc_report() -> None:
    points = mhc_points()
    fitted = fit_mhc_bytes(points)
    print(
        f"hyper-connections: {fitted:.2f} bytes per token per hidden value per copy, fitted on "
        f"{FIT_BACKEND} {FIT_SYSTEM} ({FIT_MIN_TOKENS:,}+ tokens); the engine's constant: {HYPER_CONNECTION_BYTES}"
    )
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for system, backend, hidden, tokens, seconds in points:
        fixed, bandwidth = mhc_fixed_and_bandwidth(system)
        predicted = fixed + tokens * HYPER_CONNECTION_BYTES * hidden * 4 / bandwidth
        groups[(system, backend)].append(predicted / seconds - 1.0)
    for (system, backend), errors in sorted(groups.items()):
        split = "fit" if (system, backend) == (FIT_SYSTEM, FIT_BACKEND) else "held-out"
        print(
            f"  {system:9s} {backend:7s} {split:8s} {len(errors):3d} shapes  median |error| "
            f"{100 * statistics.median(abs(e) for e in errors):5.1f}%  median error "
            f"{100 * statistics.median(errors):+6.1f}%"
        )


def layer_cost(
    model: str, system: str, tp: int, backend: str, ratio: int, head_bytes: float = COMPRESSED_HEAD_BYTES
) -> StepCost:
    """One attention layer at ``ratio`` on one of ``tp`` GPUs, as the engine costs it in a step (its host time left
    out): its projections and compressors, the attention over its window and entries, their kernels, and the
    passes over its query heads at ``head_bytes`` per head value."""
    arch = load_model(model)
    gpu = get_gpu(SYSTEMS[system])
    engine = ENGINES[backend]
    plan = plan_deployment(arch, gpu, num_gpus=tp, tp=tp, input_length=1024, output_length=64, engine=engine)
    layer = attrs.evolve(
        arch,
        num_layers=1,
        compress_ratios=(ratio,),
        attention_kinds=("sliding",),
        mlp_kinds=("moe",),
        unquantized_linear_params=0,
    )
    costs = shard_costs(layer, "fp8", "fp8", tp, 1)
    heads = costs.attention_heads
    if backend != "trtllm":
        heads = compressed_heads(heads)
    costs = attrs.evolve(costs, **compressed_attention_costs(layer, "fp8", 1.0, 1, heads))
    params, wide = _attention_params(arch, tp, ratio)
    gemm, small = COMPRESSED_MIXER_KERNELS[ratio]
    mhc_gemm, mhc_small = HYPER_CONNECTION_KERNELS
    costs = attrs.evolve(
        costs,
        moe_layers=0,
        num_experts=0,
        lm_head_bytes=0.0,
        lm_head_flops_per_token=0.0,
        dense_weight_bytes=(params - wide) + 2.0 * wide,
        dense_gemm_flops_per_token=2.0 * params,
        gemm_flops_per_token=2.0 * params,
        wide_gemm_flops_per_token=2.0 * wide,
        allreduce_calls=0,
        norm_allreduce_calls=0,
        shared_expert_kernels=(0, 0),
        gemm_kernels=gemm - mhc_gemm,
        small_kernels=small - mhc_small,
        elementwise_bytes_per_token=2.0 * 10 * arch.hidden_size
        + compressed_head_bytes(layer, tp, head_bytes),
        moe_traffic_bytes_per_token=0.0,
    )
    profile = attrs.evolve(
        plan.profile,
        step_overhead_ms=0.0,
        per_sequence_overhead_ms=0.0,
        prefill_in_graphs=True,
        graph_max_tokens=1 << 30,
        prefill_graph_max_tokens=1 << 30,
        piecewise_split_us=0.0,
    )
    return StepCost(costs, plan.step_cost.rates, profile)


def _attention_params(arch: ModelArchitecture, tp: int, ratio: int) -> tuple[float, float]:
    """(weights one GPU multiplies a token by in one attention layer at ``ratio``, of them the 16-bit ones)."""
    h, nh, hd, ql = arch.hidden_size, arch.num_attention_heads, arch.head_dim, arch.q_lora_rank or 0
    split = ql * nh * hd + nh * hd * arch.o_lora_rank + arch.o_groups * arch.o_lora_rank * h
    coff = 2 if ratio == INDEXED_RATIO else 1
    wide = 2 * h * coff * hd
    if ratio == INDEXED_RATIO:
        wide += h * arch.index_num_heads + 2 * h * coff * arch.index_head_dim
    return split / tp + h * (ql + hd) + arch.compressor_params(ratio), float(wide)


#: one attention layer as :func:`layer_cost` builds it: (model, system, tp, backend, compress ratio)
LayerKey = tuple[str, str, int, str, int]


def _attention_rows() -> list[tuple[LayerKey, dict[str, str]]]:
    """(layer key, row) of every measured CSA and HCA module (context and generation) the engine can express."""
    out = []
    for row in rows("csa_") + rows("hca_"):
        if row["system"] not in SYSTEMS or row["model"] not in MODELS or row["module"].endswith("attn"):
            continue
        ratio = INDEXED_RATIO if row["module"].startswith("csa") else 128
        out.append(((MODELS[row["model"]], row["system"], int(row["tp"]), row["backend"], ratio), row))
    return out


def _fit_module(key: LayerKey, row: dict[str, str]) -> bool:
    """Whether a module belongs to the query-head fit's tables: both engines' context modules on the H200."""
    return key[1] == FIT_SYSTEM and key[3] != "trtllm" and row["module"].endswith("context")


def _engine_seconds(
    head_bytes: float, keep: Callable[[LayerKey, dict[str, str]], bool] = lambda key, row: True
) -> list[tuple[LayerKey, dict[str, str], StepCost, float]]:
    """(layer key, row, the layer's cost, seconds the engine gives the row's shape) for each module ``keep`` takes,
    with the query heads' passes at ``head_bytes``."""
    costs: dict[LayerKey, StepCost] = {}
    out = []
    for key, row in _attention_rows():
        if not keep(key, row):
            continue
        if key not in costs:
            costs[key] = layer_cost(*key, head_bytes=head_bytes)
        step = costs[key]
        batch, tokens, context = int(row["batch"]), int(row["tokens"]), int(row["context"])
        if row["module"].endswith("generation"):
            seconds = step.time(batch, batch * context, batch * min(context, step.costs.window), 0, 0, 0, 0)
        else:
            full, windowed = step.prefill_pairs([(float(tokens), 0.0)] * batch)
            seconds = step.time(0, 0, 0, batch * tokens, full, windowed, 0)
        out.append((key, row, step, seconds))
    return out


def fit_head_bytes() -> float:
    """Bytes per token per query-head value that the fit rows' (both engines on the H200, context modules of
    ``FIT_MIN_TOKENS`` tokens and more) time above the layer's other terms stands for: the median."""
    per_value = []
    for key, row, step, seconds in _engine_seconds(
        0.0,
        lambda key, row: _fit_module(key, row) and int(row["batch"]) * int(row["tokens"]) >= FIT_MIN_TOKENS,
    ):
        tokens = int(row["batch"]) * int(row["tokens"])
        arch = load_model(key[0])
        values = arch.num_attention_heads / key[2] * arch.head_dim
        per_value.append(
            (float(row["latency_ms"]) * 1e-3 - seconds) * step.rates.gemm_bandwidth / (tokens * values)
        )
    return statistics.median(per_value)


def held_out_log_errors(head_bytes: float) -> dict[str, float]:
    """Median |log(engine / measured)| of the held-out attention modules (every module but the fit rows), context and
    generation apart, with the query heads' passes at ``head_bytes``."""
    errors: dict[str, list[float]] = defaultdict(list)
    for _, row, _, seconds in _engine_seconds(head_bytes, lambda key, row: not _fit_module(key, row)):
        kind = "context" if row["module"].endswith("context") else "generation"
        errors[kind].append(abs(math.log(seconds * 1e3 / float(row["latency_ms"]))))
    return {kind: statistics.median(values) for kind, values in errors.items()}


def attention_report() -> None:
    fitted = fit_head_bytes()
    print(
        f"\ncompressed attention's query-head passes: {fitted:.2f} bytes per token per head value, fitted on the "
        f"{FIT_SYSTEM} context modules of SGLang and vLLM ({FIT_MIN_TOKENS:,}+ tokens); the engine's constant: "
        f"{COMPRESSED_HEAD_BYTES}"
    )
    without, with_term = held_out_log_errors(0.0), held_out_log_errors(COMPRESSED_HEAD_BYTES)
    print(
        "held out, median |log(engine / measured)| without -> with the query heads' passes: "
        + ", ".join(
            f"{kind} {without[kind]:.3f} -> {with_term[kind]:.3f}" for kind in ("context", "generation")
        )
    )
    print("\nattention layers, engine over measured (median and 10th-90th percentiles of the ratio):")
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    fit_groups = set()
    for key, row, _, seconds in _engine_seconds(COMPRESSED_HEAD_BYTES):
        group = (row["system"], row["backend"], row["module"])
        groups[group].append(seconds * 1e3 / float(row["latency_ms"]))
        if _fit_module(key, row):
            fit_groups.add(group)
    for (system, backend, module), ratios in sorted(groups.items()):
        ordered = sorted(ratios)
        low, high = ordered[len(ordered) // 10], ordered[(9 * len(ordered)) // 10]
        log = statistics.median(abs(math.log(r)) for r in ratios)
        fit = (system, backend, module) in fit_groups
        print(
            f"  {system:9s} {backend:7s} {module:15s} {'fit' if fit else 'held-out':8s} {len(ratios):4d} shapes  "
            f"median {statistics.median(ratios):.2f}"
            f"  ({low:.2f}-{high:.2f})  median |log| {log:.3f}"
        )


def main() -> None:
    mhc_report()
    attention_report()


if __name__ == "__main__":
    main()

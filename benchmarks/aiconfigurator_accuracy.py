"""The native engine and NVIDIA's aiconfigurator scored on the same measured points.

aiconfigurator (a measured-kernel database per GPU, engine and release) is the strongest published peer.
This script runs it on every held-out closed-loop point of ``benchmarks/accuracy.py`` that it can express
(its model, GPU and engine; the row's layout, lengths, concurrency and weight / KV formats) and prints both
tools' median |error| against the measurement on exactly those points, by metric and split by engine,
dense/MoE, GPU family and published data file, with the points aiconfigurator cannot express counted apart. Offline,
all-at-once and static-batch points are left out: aiconfigurator's aggregated estimate is a steady batch
of ``--batch-size`` requests, which is what a closed loop at that concurrency runs.

aiconfigurator is never a dependency (about 850 MB installed); install it in its own environment:

    python3 -m venv /tmp/aic && /tmp/aic/bin/pip install aiconfigurator
    python benchmarks/aiconfigurator_accuracy.py --aic /tmp/aic/bin/aiconfigurator [--cache FILE.json]

Each distinct configuration costs one ``aiconfigurator cli estimate`` call (about 3.5 s); ``--cache``
keeps their results between runs. aiconfigurator runs with each engine's default kernel database (its
newest release), as a user would run it; the rows ran older releases, which favours neither tool.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import DEFAULT_DATA, _scored
from compare_aiconfigurator import aic_figures

from config_explorer.architecture import load_model

#: config-explorer model id -> aiconfigurator model id (the same network; its bundled configs)
MODELS = {
    "meta-llama/Llama-3.1-8B": "meta-llama/Meta-Llama-3.1-8B",
    "meta-llama/Llama-3.1-8B-Instruct": "meta-llama/Meta-Llama-3.1-8B",
    "meta-llama/Llama-3.1-70B": "meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.1-70B-Instruct": "meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.3-70B-Instruct": "meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.1-405B": "meta-llama/Meta-Llama-3.1-405B",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "Qwen/Qwen3-8B": "Qwen/Qwen3-8B",
    "Qwen/Qwen3-32B": "Qwen/Qwen3-32B",
    "Qwen/Qwen3-30B-A3B": "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B": "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen3-235B-A22B-FP8": "Qwen/Qwen3-235B-A22B-FP8",
    "deepseek-ai/DeepSeek-R1": "deepseek-ai/DeepSeek-R1",
    "deepseek-ai/DeepSeek-V3": "deepseek-ai/DeepSeek-V3",
    # NVIDIA's NVFP4 DeepSeek checkpoint aiconfigurator carries (same network, NVIDIA's exclusions)
    "nvidia/DeepSeek-R1-0528-FP4-v2": "nvidia/DeepSeek-V3.1-NVFP4",
    "mistralai/Mixtral-8x7B-v0.1": "mistralai/Mixtral-8x7B-v0.1",
    "moonshotai/Kimi-K2-Instruct": "moonshotai/Kimi-K2-Instruct",
    "deepseek-ai/DeepSeek-V3.2": "deepseek-ai/DeepSeek-V3.2",
    "Qwen/Qwen3.5-27B": "Qwen/Qwen3.5-27B",
    "Qwen/Qwen3.5-35B-A3B": "Qwen/Qwen3.5-35B-A3B",
    "Qwen/Qwen3.5-122B-A10B": "Qwen/Qwen3.5-122B-A10B",
    "Qwen/Qwen3.5-397B-A17B": "Qwen/Qwen3.5-397B-A17B",
    "MiniMaxAI/MiniMax-M2.5": "MiniMaxAI/MiniMax-M2.5",
    "MiniMaxAI/MiniMax-M2.7": "MiniMaxAI/MiniMax-M2.7",
}
#: config-explorer GPU -> aiconfigurator system
SYSTEMS = {
    "H100 SXM": "h100_sxm",
    "H100 PCIe": "h100_pcie",
    "H200 SXM": "h200_sxm",
    "A100 SXM 80GB": "a100_sxm",
    "B200": "b200_sxm",
    "B300": "b300_sxm",
    "GB200": "gb200",
    "GB300": "gb300",
    "L40S": "l40s",
    "L4": "l4",
}
#: a row's weight format where its checkpoint is stored otherwise -> aiconfigurator's GEMM and MoE mode
QUANT_MODES = {"fp8": "fp8"}
_FIELDS = {
    "ttft": r"TTFT:\s+([\d.,]+)\s*ms",
    "itl": r"TPOT:\s+([\d.,]+)\s*ms",
    "tok_s": r"tokens/s:\s+([\d.,]+)",
}
#: the metrics compared: a mean or a median (aiconfigurator prints no percentile)
METRICS = {
    "ttft_ms_mean": "ttft",
    "ttft_ms_median": "ttft",
    "tpot_ms_mean": "itl",
    "itl_ms_mean": "itl",
    "itl_ms_median": "itl",
    "tpot_ms_median": "itl",
    "output_tok_s_total": "tok_s",
    "total_tok_s_total": "tok_s",
}


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["model"],
        row["gpu"],
        row["engine"],
        row["tp"],
        row["ep"],
        row["isl"],
        row["osl"],
        row["batch"],
        row["precision"],
        row["kv_precision"],
    )


def why_not(row: dict[str, Any]) -> str | None:
    """Why aiconfigurator cannot express ``row``, or None."""
    if row["model"] not in MODELS:
        return f"model {row['model']} not in aiconfigurator"
    if row["gpu"] not in SYSTEMS:
        return f"GPU {row['gpu']} not in aiconfigurator"
    return None


def argv_for(aic: str, row: dict[str, Any]) -> list[str]:
    """The ``aiconfigurator cli estimate`` command for ``row``'s configuration."""
    model = row["model"]
    argv = [
        aic,
        "cli",
        "estimate",
        "--model-path",
        MODELS[model],
        "--system",
        SYSTEMS[row["gpu"]],
        "--backend",
        row["engine"],
        "--isl",
        str(row["isl"]),
        "--osl",
        str(row["osl"]),
        "--batch-size",
        str(row["batch"]),
        "--tp-size",
        str(row["tp"]),
        "--estimate-mode",
        "agg",
    ]
    ep = int(row["ep"] or 1)
    if row["kind"] == "moe":  # aiconfigurator asks a MoE model's expert split: TP inside EP
        argv += ["--moe-ep-size", str(ep), "--moe-tp-size", str(max(int(row["tp"]) // ep, 1))]
    weights = (row["precision"] or "").split(" ")[0].lower()
    if weights in QUANT_MODES and load_model(model).native_precision != weights:  # quantized on load
        argv += ["--gemm-quant-mode", QUANT_MODES[weights], "--moe-quant-mode", QUANT_MODES[weights]]
    if (row["kv_precision"] or "").lower().startswith("fp8"):
        argv += ["--kvcache-quant-mode", "fp8"]
    return argv


def aic_value(figures: dict[str, float], row: dict[str, Any]) -> float | None:
    """aiconfigurator's figure for ``row``'s metric (total tokens/s from its output rate and the lengths)."""
    name = METRICS[row["metric"]]
    value = figures.get(name)
    if value is None:
        return None
    if row["metric"] == "total_tok_s_total":
        return value * (row["isl"] + row["osl"]) / row["osl"]
    return value


def _median_abs(errors: Iterable[float]) -> float:
    values = [abs(e) for e in errors]
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aic", required=True, help="path of the aiconfigurator command line")
    parser.add_argument("--cache", type=Path, help="JSON file keeping aiconfigurator's results between runs")
    args = parser.parse_args(argv)
    if not Path(args.aic).exists():
        print(f"no aiconfigurator at {args.aic}", file=sys.stderr)
        return 2
    rows, _ = _scored(DEFAULT_DATA if DEFAULT_DATA.exists() else None, "simulated")
    rows = [
        r
        for r in rows
        if r["scenario"] == "closed_loop"
        and r["split"] == "held-out"
        and r["metric"] in METRICS
        and r["predicted"] is not None
        and r["batch"]
    ]
    cache: dict[str, dict[str, float]] = {}
    if args.cache and args.cache.exists():
        cache = json.loads(args.cache.read_text())
    skipped: dict[str, int] = {}
    scored = []
    for row in rows:
        reason = why_not(row)
        if reason is None:
            key = json.dumps(_key(row))
            if key not in cache:
                cache[key] = aic_figures(argv_for(args.aic, row), _FIELDS)
                if args.cache:
                    args.cache.write_text(json.dumps(cache))
            theirs = aic_value(cache[key], row)
            if theirs is None:
                reason = "aiconfigurator gave no estimate"
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        scored.append(
            {**row, "aic": theirs, "aic_error_pct": (theirs - row["measured"]) / row["measured"] * 100}
        )
    print(
        f"held-out closed-loop points of benchmarks/accuracy.py: {len(rows)}; both estimated: {len(scored)}; "
        f"left out: {sum(skipped.values())}"
    )
    for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4d}  {reason}")
    print()
    print(f"{'group':42s} {'n':>4s}  {'ours |err| %':>12s}  {'aiconfigurator |err| %':>22s}")
    groups: list[tuple[str, str, Any]] = [("all", "", None)]
    for field in ("engine", "kind", "gpu_family", "file"):
        for value in sorted({r.get(field, "") for r in scored}):
            groups.append((f"{field}={value}", field, value))
    for label, field, value in groups:
        for family in ("throughput", "itl", "ttft"):
            chosen = [r for r in scored if r["family"] == family and (not field or r.get(field, "") == value)]
            if not chosen:
                continue
            ours = _median_abs(r["error_pct"] for r in chosen)
            theirs = _median_abs(r["aic_error_pct"] for r in chosen)
            print(f"{label + ' ' + family:42s} {len(chosen):4d}  {ours:12.1f}  {theirs:22.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

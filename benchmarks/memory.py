"""Compare the native memory budget with what vLLM logs at start-up, and refit the sampler constants.

Run: ``python benchmarks/memory.py [--fit] [--json]``.

For every start-up in ``benchmarks/data/vllm_startup_memory.csv`` whose model (or a checkpoint of the
same architecture) is bundled and whose GPU is in the catalog, the engine's memory plan is computed
with that start-up's settings (GPU, TP/PP, ``gpu_memory_utilization``, ``max_model_len``, ``max_num_seqs``,
``max_num_batched_tokens``, the vLLM release) and compared with the logged figures: weights, the profile
run's activation peak, and the KV cache available per GPU; refused start-ups are checked as refusals.

The sampler constants of each vLLM era (calibration.VLLM_MEMORY_BUDGETS) are fitted (``--fit``) on the
rows named ``fit`` below (dense Llama-3.1-8B and Qwen3 start-ups before vLLM 0.21, whose budget reuses 0.17's
constants); every other row is held out. A start-up that left ``gpu_memory_utilization`` unset (a blank cell) is
planned with the release's own default (0.9; 0.92 from vLLM 0.21).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from pathlib import Path
from typing import Any

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import DEFAULT_VLLM_VERSION, parse_version, vllm_memory_budget
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.options import check_engine_options
from config_explorer.errors import ConfigExplorerError

DATA = Path(__file__).resolve().parent / "data" / "vllm_startup_memory.csv"

#: logged checkpoint -> (bundled model of the same architecture, weight precision)
CHECKPOINTS: dict[str, tuple[str, str | None]] = {
    "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic": ("meta-llama/Llama-3.3-70B-Instruct", "fp8"),
    "RedHatAI/Llama-3.3-70B-Instruct-fp8-dynamic": ("meta-llama/Llama-3.3-70B-Instruct", "fp8"),
    "redhatai/Llama-3.3-70B-Instruct-quantized.w8a8": ("meta-llama/Llama-3.3-70B-Instruct", "int8"),
    "RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16": ("meta-llama/Llama-3.1-8B-Instruct", "int4"),
    "RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w8a8": ("meta-llama/Llama-3.1-8B-Instruct", "int8"),
    "RedHatAI/Qwen2.5-7B-Instruct-fp8-dynamic": ("Qwen/Qwen2.5-7B-Instruct", "fp8"),
    "RedHatAI/Qwen2.5-7B-Instruct-quantized.w8a8": ("Qwen/Qwen2.5-7B-Instruct", "int8"),
    "unsloth/Llama-3.2-3B-Instruct": ("meta-llama/Llama-3.2-3B", None),
    "unsloth/Qwen3-8B-FP8": ("Qwen/Qwen3-8B", "fp8"),
    "unsloth/Phi-4": ("microsoft/phi-4", None),
    "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B": ("Qwen/Qwen3-8B", None),
    "google/gemma-2-9b-it": ("google/gemma-2-9b", None),
    "Qwen/Qwen3-14B-AWQ": ("Qwen/Qwen3-14B", "int4"),
}
GPUS = {
    "H100-80GB": "H100 SXM",
    "H100": "H100 SXM",
    "A100 80GB": "A100 SXM 80GB",
    "NVIDIA A100-SXM4-80GB": "A100 SXM 80GB",
    "A100 40GB": "A100 SXM 40GB",
    "NVIDIA A100-SXM4-40GB": "A100 SXM 40GB",
    "NVIDIA L4": "L4",
    "Tesla T4": "T4",
    "NVIDIA GeForce RTX 4090": "RTX 4090",
    "RTX 4090": "RTX 4090",
    "H200": "H200 SXM",
    "L40S": "L40S",
}
#: the rows the sampler constants are fitted on: dense Llama-3.1-8B and Qwen3 start-ups of the releases before
#: ``FITTED_BEFORE`` (the 0.21 budget reuses 0.17's constants, so its start-ups are all held out)
FITTED_BEFORE = (0, 21)
FIT_MODELS = (
    "meta-llama/Llama-3.1-8B-Instruct",
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-32B",
)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _resolve(row: dict[str, str]) -> tuple[ModelArchitecture, str | None] | None:
    model, precision = CHECKPOINTS.get(row["model"], (row["model"], None))
    try:
        arch = load_model(model)
    except ConfigExplorerError:
        return None
    logged = row["weight_precision"].split(" ")[0].lower()
    if logged.startswith("bnb"):
        logged = "int4"  # bitsandbytes 4-bit: half a byte per weight plus small scales
    if precision is None and logged in ("fp8", "int8", "int4", "fp16", "fp32", "mxfp4"):
        precision = logged
    return arch, precision


def rows() -> list[dict[str, Any]]:
    out = []
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            if row["engine"] != "vllm" or row["gpu"] not in GPUS:
                continue
            resolved = _resolve(row)
            if resolved is None:
                continue
            arch, precision = resolved
            version = row["engine_version"] or DEFAULT_VLLM_VERSION
            if parse_version(version) < (0, 7):
                continue
            kv = (
                row["kv_precision"].lower()
                if row["kv_precision"].lower() in ("fp8", "bf16", "fp16")
                else None
            )
            knobs: dict[str, Any] = {}
            for key in ("max_num_seqs", "max_num_batched_tokens", "max_model_len"):
                value = _number(row[key])
                if value:
                    knobs[key] = int(value)
            # not on the command line: vLLM's own default, the model's whole context
            knobs.setdefault("max_model_len", arch.max_position_embeddings)
            if row["enforce_eager"].strip().lower() == "true":  # --enforce-eager: no graphs captured
                knobs["engine_options"] = check_engine_options({"enforce_eager": True}, "vllm")
            refused = row["refused"].strip().lower().startswith("yes")
            figures = [
                _number(row[k]) for k in ("requested_memory_gib", "weights_gib", "activation_peak_gib")
            ]
            util = _number(row["gpu_memory_utilization"])  # None: the release's own default
            logged_kv = _number(row["available_kv_gib"])
            budget = vllm_memory_budget(version)
            consistent = True
            weights, activations = figures[1], figures[2]
            if (
                logged_kv is not None
                and weights is not None
                and activations is not None
                and not budget.cuda_graphs_in_budget
            ):
                total = _number(row["total_gpu_memory_gib"]) or get_gpu(GPUS[row["gpu"]]).visible_memory_gib
                used = weights + activations + (_number(row["non_torch_gib"]) or 0.0)
                consistent = abs(total * (util or budget.default_utilization) - used - logged_kv) <= 0.5
            try:
                dep = plan_deployment(
                    arch,
                    get_gpu(GPUS[row["gpu"]]),
                    num_gpus=int(row["tp"] or 1) * int(row["pp"] or 1),
                    tp=int(row["tp"] or 1),
                    pp=int(row["pp"] or 1),
                    precision=precision,
                    kv_precision=kv,
                    input_length=1,
                    output_length=1,
                    engine=f"vllm=={version}",
                    gpu_memory_utilization=util,
                    **knobs,
                )
            except ConfigExplorerError as exc:
                print(f"  skipped {row['model']} ({exc})")
                continue
            m = dep.memory
            out.append(
                {
                    "model": row["model"],
                    "gpu": row["gpu"],
                    "tp": int(row["tp"] or 1),
                    "pp": int(row["pp"] or 1),
                    "version": version,
                    "split": "fit"
                    if row["model"] in FIT_MODELS
                    and not arch.is_moe
                    and parse_version(version) < FITTED_BEFORE
                    else "held-out",
                    "logged_weights_gib": _number(row["weights_gib"]),
                    "weights_gib": m.weights_gib,
                    "logged_activation_gib": _number(row["activation_peak_gib"]),
                    "activation_gib": m.activations_gib,
                    "logged_kv_gib": logged_kv,
                    "consistent": consistent,
                    # refused although the KV cache was sized: out of memory later (graph capture, sampler warm-up)
                    "refused_after_sizing": refused and (logged_kv or 0) > 0 and m.fits,
                    "kv_gib": m.kv_capacity_gib if m.fits or m.kv_capacity_gib > 0 else 0.0,
                    "logged_refused": refused,
                    "refused": not m.fits,
                    "requests": min(dep.max_num_seqs, dep.max_num_batched_tokens),
                    "vocab": arch.vocab_size,
                    "moe": arch.is_moe,
                }
            )
    return out


def fit(data: list[dict[str, Any]]) -> None:
    """Least squares of the logged activation peak on requests x vocabulary, per vLLM era."""
    eras: dict[str, list[tuple[float, float]]] = {}
    for r in data:
        if r["split"] == "fit" and r["logged_activation_gib"] is not None and r["pp"] == 1:
            budget = vllm_memory_budget(r["version"])
            eras.setdefault(budget.evidence, []).append(
                (r["requests"] * r["vocab"], r["logged_activation_gib"])
            )
    for evidence, points in eras.items():
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if len({round(x) for x in xs}) < 2:
            print(f"{evidence}: one size only, cannot separate base and slope")
            continue
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        base = my - slope * mx
        print(
            f"{evidence}\n  {len(points)} rows: base {base:.2f} GiB, {slope * GIB:.1f} bytes per (request, vocab entry)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit the sampler constants on the fit rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = rows()
    if args.fit:
        fit(data)
        return 0
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(
        f"{'model':44s} {'gpu':9s} tp pp {'vllm':8s} {'split':8s} {'weights GiB':>13s} {'activ. GiB':>11s} "
        f"{'KV GiB log/est':>16s} {'refused':>9s}"
    )
    within = []
    for r in data:
        kv_log, kv = r["logged_kv_gib"], r["kv_gib"]
        ok = None
        if kv_log is not None and not r["logged_refused"] and r["consistent"]:
            ok = abs(kv - kv_log) <= max(0.06 * kv_log, 0.75)
            within.append((r["split"], ok, kv - kv_log))
        lw = "-" if r["logged_weights_gib"] is None else f"{r['logged_weights_gib']:.2f}"
        la = "-" if r["logged_activation_gib"] is None else f"{r['logged_activation_gib']:.2f}"
        kl = "-" if kv_log is None else f"{kv_log:.2f}"
        print(
            f"{r['model'][:44]:44s} {r['gpu'][:9]:9s} {r['tp']:2d} {r['pp']:2d} {r['version'][:8]:8s} {r['split']:8s} "
            f"{lw:>6s}/{r['weights_gib']:6.2f} {la:>5s}/{r['activation_gib']:5.2f} {kl:>7s}/{kv:7.2f}"
            f" {'yes' if r['logged_refused'] else 'no':>4s}/{'yes' if r['refused'] else 'no':3s}"
            + ("" if ok is None else ("  ok" if ok else "  MISS"))
            + ("" if r["consistent"] else "  (logged figures do not add up: not scored)")
            + ("  (refused after sizing: not a KV refusal)" if r["refused_after_sizing"] else "")
        )
    print()
    for split in ("fit", "held-out"):
        part = [w for w in within if w[0] == split]
        if part:
            errors = sorted(abs(w[2]) for w in part)
            print(
                f"{split}: available KV within max(6%, 0.75 GiB) of the log on {sum(w[1] for w in part)}/{len(part)} "
                f"start-ups; median |error| {statistics.median(errors):.2f} GiB, worst {errors[-1]:.2f} GiB"
            )
    refusals = [r for r in data if r["logged_refused"] and not r["refused_after_sizing"]]
    caught = sum(r["refused"] for r in refusals)
    false = sum(r["refused"] and not r["logged_refused"] for r in data)
    print(f"refusals predicted: {caught}/{len(refusals)}; start-ups wrongly predicted to refuse: {false}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

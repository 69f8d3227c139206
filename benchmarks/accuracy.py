"""Compare the native engine with every measured point in ../shared/data and print error figures.

Run: ``python benchmarks/accuracy.py [--data DIR] [--engine-profile trtllm|vllm] [--json]``.

Scenarios, as the data's README describes them:
* ``trtllm_max_throughput.csv``: offline maximum throughput (every request queued at once, the engine
  picks its batch). Compared with the best-throughput point of a concurrency sweep up to 4096.
* ``trtllm_static_batch.csv``: static batches (all requests start and finish together) and batch-1
  TTFT with one output token. Compared with :func:`estimate_static_batch`. The data has no ITL
  column; for decode-dominated rows (output >= 8 x prompt) ITL is read as batch / total output
  rate, for the measurement and the estimate alike ("itl (proxy)").
The rows were measured with TensorRT-LLM, so the engine's ``trtllm`` profile (its scheduler
defaults and lower host overhead) is used by default; ``--engine-profile vllm`` shows how far a
vLLM-class deployment of the same hardware is predicted to fall behind.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.serving import estimate, estimate_static_batch, plan_deployment
from config_explorer.engine.sweep import sweep
from config_explorer.errors import UnknownModelError

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
SWEEP_LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)


def _model(data_dir: Path, name: str) -> Any:
    """The row's model: a config path under the data folder, a bundled id, or its base model.

    An -Instruct fine-tune has its base model's architecture, so the base entry stands in when
    only that one is bundled (Llama-3.1-405B-Instruct -> Llama-3.1-405B).
    """
    path = data_dir / name
    if path.exists():
        return load_model(str(path))
    try:
        return load_model(name)
    except UnknownModelError:
        return load_model(name.removesuffix("-Instruct"))


def max_throughput_rows(data_dir: Path, profile: str) -> list[dict[str, Any]]:
    rows = []
    with (data_dir / "trtllm_max_throughput.csv").open() as fh:
        for row in csv.DictReader(fh):
            arch = _model(data_dir, row["model"])
            gpu = get_gpu(row["gpu"])
            n, tp = int(row["num_gpus"]), int(row["tp"])
            isl, osl = int(row["input_len"]), int(row["output_len"])
            precision = row["weight_precision"]

            def at(
                c: int,
                arch: Any = arch,
                gpu: Any = gpu,
                n: int = n,
                tp: int = tp,
                isl: int = isl,
                osl: int = osl,
                precision: str = precision,
            ) -> Any:
                return estimate(
                    arch,
                    gpu,
                    num_gpus=n,
                    tp=tp,
                    precision=precision,
                    kv_precision="fp8",
                    input_length=isl,
                    output_length=osl,
                    concurrency=c,
                    engine=profile,
                    gpu_memory_utilization=0.9,
                )

            best = sweep(at, SWEEP_LEVELS).best_throughput
            predicted = best.output_throughput_tok_s if best else None
            rows.append(_row("max_throughput", row, "output_tok_s_total", float(row["value"]), predicted))
    return rows


def static_batch_rows(data_dir: Path, profile: str) -> list[dict[str, Any]]:
    rows = []
    with (data_dir / "trtllm_static_batch.csv").open() as fh:
        for row in csv.DictReader(fh):
            arch = _model(data_dir, row["model"])
            gpu = get_gpu(row["gpu"])
            n, tp = int(row["num_gpus"]), int(row["tp"])
            isl, osl, batch = int(row["input_len"]), int(row["output_len"]), int(row["batch_size"])
            dep = plan_deployment(
                arch,
                gpu,
                num_gpus=n,
                tp=tp,
                precision=row["weight_precision"],
                kv_precision=row["kv_precision"],
                input_length=isl,
                output_length=osl,
                engine=profile,
                max_num_batched_tokens=max(isl * batch, 8192),
            )
            result = estimate_static_batch(dep, batch)
            metric = row["metric"]
            if metric == "ttft_ms":
                predicted = result.ttft_s * 1e3
            elif metric == "output_tok_s_per_gpu":
                predicted = result.output_throughput_tok_s / n
            else:
                predicted = result.output_throughput_tok_s
            if not dep.memory.fits:
                predicted = None
            rows.append(_row("static_batch", row, metric, float(row["value"]), predicted))
            if metric != "ttft_ms" and osl >= 8 * isl:
                # Decode-dominated static batch: the time per output token is the batch over the total rate.
                per_gpu = metric == "output_tok_s_per_gpu"
                measured_total = float(row["value"]) * (n if per_gpu else 1)
                predicted_total = None if predicted is None else predicted * (n if per_gpu else 1)
                rows.append(
                    _row(
                        "static_batch",
                        row,
                        "itl_ms_proxy",
                        batch / measured_total * 1e3,
                        None if predicted_total is None else batch / predicted_total * 1e3,
                    )
                )
    return rows


def _row(
    scenario: str, row: dict[str, str], metric: str, measured: float, predicted: float | None
) -> dict[str, Any]:
    err = None if predicted is None else (predicted - measured) / measured * 100
    return {
        "scenario": scenario,
        "model": row["model"].split("/")[-2] if row["model"].endswith("config.json") else row["model"],
        "gpu": row["gpu"],
        "tp": int(row["tp"]),
        "isl": int(row["input_len"]),
        "osl": int(row["output_len"]),
        "batch": row.get("batch_size") or row.get("concurrency") or "",
        "metric": metric,
        "measured": measured,
        "predicted": predicted,
        "error_pct": err,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r["error_pct"] is None:
            continue
        key = {"ttft_ms": "ttft", "itl_ms_proxy": "itl (proxy)"}.get(r["metric"], "output_throughput")
        groups.setdefault(key, []).append(abs(r["error_pct"]))
        groups.setdefault(f"{r['scenario']}:{key}", []).append(abs(r["error_pct"]))
    out = {}
    for key, errs in sorted(groups.items()):
        errs.sort()
        out[key] = {
            "n": len(errs),
            "median_abs_pct": statistics.median(errs),
            "p90_abs_pct": errs[min(len(errs) - 1, round(0.9 * (len(errs) - 1)))],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--engine-profile", default="trtllm", choices=["trtllm", "vllm", "sglang"])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worst", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data folder at {args.data}; pass --data", file=sys.stderr)
        return 2
    rows = max_throughput_rows(args.data, args.engine_profile) + static_batch_rows(
        args.data, args.engine_profile
    )
    summary = summarize(rows)
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
        return 0
    print(f"native engine vs measured points ({len(rows)} rows, engine profile {args.engine_profile})\n")
    print(f"{'metric':38s} {'n':>4s} {'median |err| %':>15s} {'p90 |err| %':>12s}")
    for key, s in summary.items():
        print(f"{key:38s} {s['n']:4d} {s['median_abs_pct']:15.1f} {s['p90_abs_pct']:12.1f}")
    print(f"\nworst {args.worst} rows:")
    worst = sorted((r for r in rows if r["error_pct"] is not None), key=lambda r: -abs(r["error_pct"]))
    for r in worst[: args.worst]:
        print(
            f"  {r['scenario']:14s} {r['model'][:34]:34s} {r['gpu']:14s} tp{r['tp']} {r['isl']:>5}/{r['osl']:<5} "
            f"{r['metric']:22s} measured {r['measured']:9.1f} predicted {r['predicted']:9.1f} ({r['error_pct']:+.0f}%)"
        )
    missing = [r for r in rows if r["predicted"] is None]
    if missing:
        print(
            f"\n{len(missing)} rows not estimated (configuration does not fit): "
            + ", ".join(f"{r['model']} {r['gpu']} tp{r['tp']}" for r in missing)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

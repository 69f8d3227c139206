"""Compare the native engine with every measured point we have and print error figures.

Run: ``python benchmarks/accuracy.py [--data DIR] [--engine-profile trtllm|vllm|sglang] [--json]``.

Two sets of measurements:

* ``../shared/data`` (TensorRT-LLM, see its README):
  ``trtllm_max_throughput.csv`` is offline maximum throughput (every request queued at once, the
  engine picks its batch), compared with the best-throughput point of a concurrency sweep up to
  4096; ``trtllm_static_batch.csv`` holds static batches (all requests start and finish together)
  and batch-1 TTFT with one output token, compared with :func:`estimate_static_batch`. That data has
  no ITL column; for decode-dominated rows (output >= 8 x prompt) ITL is read as batch / total output
  rate, for the measurement and the estimate alike ("itl (proxy)"). These rows use the engine
  profile given by ``--engine-profile`` (default ``trtllm``, the engine that measured them).
* ``benchmarks/data/published_serving_points.csv`` (vLLM and SGLang, see the README beside it):
  closed-loop runs at a fixed concurrency (compared with an estimate at that concurrency),
  all-at-once runs (best point of a sweep) and N-at-once runs (a static batch of N). Each row is
  estimated with the profile of the engine that measured it. Rows whose lengths vary per request
  (``random_uniform``, ``sharegpt``) are estimated at the mean lengths, which is approximate.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import profile_for
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import estimate, estimate_static_batch, plan_deployment
from config_explorer.engine.sweep import sweep
from config_explorer.errors import UnknownModelError

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
PUBLISHED = HERE / "data" / "published_serving_points.csv"
SWEEP_LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)

#: published metric -> how to read it off an estimate (closed loop)
_CLOSED_LOOP: dict[str, Callable[[PerformanceEstimate], float | None]] = {
    "output_tok_s_total": lambda e: e.output_throughput_tok_s,
    "total_tok_s_total": lambda e: (e.output_throughput_tok_s or 0) + (e.input_throughput_tok_s or 0) or None,
    "request_s": lambda e: e.requests_per_s,
    "ttft_ms_mean": lambda e: e.ttft_ms,
    "ttft_ms_median": lambda e: e.ttft_p50_ms,
    "ttft_ms_p99": lambda e: e.ttft_p99_ms,
    "tpot_ms_mean": lambda e: e.itl_ms,
    "itl_ms_mean": lambda e: e.itl_ms,
    "itl_ms_median": lambda e: e.itl_p50_ms,
    "e2e_s_mean": lambda e: e.e2e_latency_s,
}
#: metric -> the family it is summarised under
_FAMILY = {
    "ttft_ms": "ttft",
    "ttft_ms_mean": "ttft",
    "ttft_ms_median": "ttft",
    "ttft_ms_p99": "ttft",
    "tpot_ms_mean": "itl",
    "itl_ms_mean": "itl",
    "itl_ms_median": "itl",
    "itl_ms_proxy": "itl (proxy)",
    "e2e_s_mean": "e2e",
}


def _model(data_dir: Path, name: str) -> ModelArchitecture:
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


def _best_throughput(
    arch: ModelArchitecture, row: dict[str, str], profile: str, kv: str | None
) -> float | None:
    def at(c: int) -> PerformanceEstimate:
        return estimate(
            arch,
            get_gpu(row["gpu"]),
            num_gpus=int(row["num_gpus"]),
            tp=int(row["tp"]),
            precision=row["weight_precision"] or None,
            kv_precision=kv,
            input_length=int(row["input_len"]),
            output_length=int(row["output_len"]),
            concurrency=c,
            engine=profile,
        )

    best = sweep(at, SWEEP_LEVELS).best_throughput
    return best.output_throughput_tok_s if best else None


def max_throughput_rows(data_dir: Path, profile: str) -> list[dict[str, Any]]:
    rows = []
    with (data_dir / "trtllm_max_throughput.csv").open() as fh:
        for row in csv.DictReader(fh):
            predicted = _best_throughput(_model(data_dir, row["model"]), row, profile, "fp8")
            rows.append(
                _row("trtllm", "max_throughput", row, "output_tok_s_total", float(row["value"]), predicted)
            )
    return rows


def static_batch_rows(data_dir: Path, profile: str) -> list[dict[str, Any]]:
    rows = []
    with (data_dir / "trtllm_static_batch.csv").open() as fh:
        for row in csv.DictReader(fh):
            arch = _model(data_dir, row["model"])
            n, tp = int(row["num_gpus"]), int(row["tp"])
            isl, osl, batch = int(row["input_len"]), int(row["output_len"]), int(row["batch_size"])
            dep = plan_deployment(
                arch,
                get_gpu(row["gpu"]),
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
                predicted: float | None = result.ttft_s * 1e3
            elif metric == "output_tok_s_per_gpu":
                predicted = result.output_throughput_tok_s / n
            else:
                predicted = result.output_throughput_tok_s
            if not dep.memory.fits:
                predicted = None
            rows.append(_row("trtllm", "static_batch", row, metric, float(row["value"]), predicted))
            if metric != "ttft_ms" and osl >= 8 * isl:
                # Decode-dominated static batch: the time per output token is the batch over the total rate.
                per_gpu = metric == "output_tok_s_per_gpu"
                measured_total = float(row["value"]) * (n if per_gpu else 1)
                predicted_total = None if predicted is None else predicted * (n if per_gpu else 1)
                rows.append(
                    _row(
                        "trtllm",
                        "static_batch",
                        row,
                        "itl_ms_proxy",
                        batch / measured_total * 1e3,
                        None if predicted_total is None else batch / predicted_total * 1e3,
                    )
                )
    return rows


def published_rows(path: Path) -> list[dict[str, Any]]:
    """vLLM / SGLang points, each estimated with its own engine's profile."""
    rows = []
    with path.open() as fh:
        for row in csv.DictReader(fh):
            arch = load_model(row["model"])
            gpu = get_gpu(row["gpu"])
            n, tp = int(row["num_gpus"]), int(row["tp"])
            isl, osl = int(row["input_len"]), int(row["output_len"])
            engine = row["engine"] if row["engine"] in ("vllm", "sglang", "trtllm") else "vllm"
            kv = row["kv_precision"] or None
            metric, measured = row["metric"], float(row["value"])
            predicted: float | None = None
            layout: dict[str, Any] = {
                "num_gpus": n,
                "tp": tp,
                "precision": row["weight_precision"] or None,
                "kv_precision": kv,
                "input_length": isl,
                "output_length": osl,
                "engine": engine,
            }
            if row["concurrency"] and not row["request_rate"]:
                scenario = "closed_loop"
                e = estimate(arch, gpu, concurrency=int(row["concurrency"]), **layout)
                reader = _CLOSED_LOOP.get(metric)
                predicted = reader(e) if reader and e.ok else None
            elif row["concurrency"]:
                scenario = "batch_at_once"
                dep = plan_deployment(arch, gpu, **layout)
                batch = int(row["concurrency"])
                if dep.memory.fits and batch <= max(dep.kv_limit_per_replica, 1) * dep.replicas:
                    result = estimate_static_batch(dep, batch)
                    predicted = {
                        "output_tok_s_total": result.output_throughput_tok_s,
                        "total_tok_s_total": result.output_throughput_tok_s * (isl + osl) / osl,
                        "e2e_s_mean": result.total_s,
                    }.get(metric)
            else:
                scenario = "all_at_once"
                if metric == "output_tok_s_total":
                    predicted = _best_throughput(arch, row, engine, kv)
            rows.append(
                _row(
                    f"published/{engine}", scenario, row, metric, measured, predicted, dataset=row["dataset"]
                )
            )
    return rows


def _row(
    source: str,
    scenario: str,
    row: dict[str, str],
    metric: str,
    measured: float,
    predicted: float | None,
    dataset: str = "fixed",
) -> dict[str, Any]:
    err = None if predicted is None else (predicted - measured) / measured * 100
    return {
        "source": source,
        "scenario": scenario,
        "dataset": dataset,
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


def fit_request_overhead(
    rows: list[dict[str, Any]], max_concurrency: int = 8
) -> dict[str, tuple[int, float]]:
    """Per engine: (points, median TTFT residual in ms) over closed-loop points at low load.

    At low load TTFT is the GPU's prefill time plus the front end's fixed time, so the residual
    (measured - predicted GPU time) estimates that fixed time. Only Hopper points count: there the GPU
    side is calibrated on measured kernels, so what is left is the front end, not an efficiency guess
    for an unmeasured GPU. The current overhead is added back, so the fit does not depend on the value
    it refits.
    """
    residuals: dict[str, list[float]] = {}
    for r in rows:
        if (
            r["scenario"] == "closed_loop"
            and _FAMILY.get(r["metric"]) == "ttft"
            and r["predicted"] is not None
            and r["batch"]
            and int(r["batch"]) <= max_concurrency
            and get_gpu(r["gpu"]).family == "hopper"
        ):
            engine = r["source"].split("/")[-1]
            gpu_only = r["predicted"] - profile_for(engine).request_overhead_ms
            residuals.setdefault(engine, []).append(r["measured"] - gpu_only)
    return {engine: (len(v), statistics.median(v)) for engine, v in sorted(residuals.items())}


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r["error_pct"] is None:
            continue
        family = _FAMILY.get(r["metric"], "throughput")
        for key in (f"all:{family}", f"{r['source']}:{family}", f"{r['source']}:{r['scenario']}:{family}"):
            groups.setdefault(key, []).append(abs(r["error_pct"]))
    out: dict[str, dict[str, float | int]] = {}
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
    parser.add_argument(
        "--engine-profile",
        default="trtllm",
        choices=["trtllm", "vllm", "sglang"],
        help="profile for the TensorRT-LLM rows (published rows use their own engine)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worst", type=int, default=8)
    parser.add_argument(
        "--fit-request-overhead",
        action="store_true",
        help="print the per-engine front-end time that calibration.REQUEST_OVERHEAD_MS holds",
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data folder at {args.data}; pass --data", file=sys.stderr)
        return 2
    rows = max_throughput_rows(args.data, args.engine_profile) + static_batch_rows(
        args.data, args.engine_profile
    )
    if PUBLISHED.exists():
        rows += published_rows(PUBLISHED)
    summary = summarize(rows)
    if args.fit_request_overhead:
        for engine, (n, median) in fit_request_overhead(rows).items():
            print(
                f"{engine}: median TTFT residual at concurrency <= 8 over {n} Hopper points: {median:.1f} ms "
                f"(calibration has {profile_for(engine).request_overhead_ms:g} ms)"
            )
        return 0
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary}, indent=2))
        return 0
    estimated = sum(r["error_pct"] is not None for r in rows)
    print(
        f"native engine vs measured points: {len(rows)} rows, {estimated} estimated "
        f"(TensorRT-LLM rows with profile {args.engine_profile}; published rows with their own engine)\n"
    )
    print(f"{'group:metric family':52s} {'n':>4s} {'median |err| %':>15s} {'p90 |err| %':>12s}")
    for key, s in summary.items():
        print(f"{key:52s} {s['n']:4d} {s['median_abs_pct']:15.1f} {s['p90_abs_pct']:12.1f}")
    print(f"\nworst {args.worst} rows:")
    worst = sorted((r for r in rows if r["error_pct"] is not None), key=lambda r: -abs(r["error_pct"]))
    for r in worst[: args.worst]:
        print(
            f"  {r['source']:16s} {r['scenario']:14s} {r['model'][:30]:30s} {r['gpu']:14s} tp{r['tp']} "
            f"{r['isl']:>5}/{r['osl']:<5} c={r['batch']:<5} {r['metric']:18s} measured {r['measured']:9.1f} "
            f"predicted {r['predicted']:9.1f} ({r['error_pct']:+.0f}%)"
        )
    missing = [r for r in rows if r["predicted"] is None]
    if missing:
        print(
            f"\n{len(missing)} rows not estimated (layout does not fit, or batch beyond the KV cache): "
            + ", ".join(sorted({f"{r['model']} {r['gpu']} tp{r['tp']}" for r in missing}))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Does calibrating on a third of a sweep predict the other two thirds better? Held-out error, per sweep.

Run: ``python benchmarks/calibration_holdout.py [--json]``.

The measured points are ``benchmarks/data/published_serving_points*.csv`` (vLLM and SGLang pages;
sources in ``data/README.md``). A *sweep* is every row of one source page x model x GPU x GPU count x
TP x engine x precision; its *points* are its distinct workloads (lengths, dataset, concurrency, request
rate). Sweeps with at least 3 points are scored.

Split (named ``every-third-by-load``, deterministic): the points of a sweep sorted by concurrency, then
input and output length and dataset; the points at positions 0, 3, 6, ... are the fit set (a third,
rounded up), the rest are held out. The fit is ``config_explorer.calibrate.fit_points`` on the fit set's
uncalibrated estimates; the held-out points are scored with the profile applied
(``apply_calibration``) and without it. Each point is estimated the way ``accuracy.py`` estimates it
(the same traffic: closed loop or offline, per-request lengths drawn as the benchmark client drew them).

Printed: per sweep and overall, the held-out median |relative error| of throughput (output and total
tok/s, requests/s), ITL (ITL and TPOT, means and medians) and TTFT (mean, median, p99), uncalibrated and
calibrated, with the fitted factors. Whatever it gives is reported; nothing is tuned to it.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import PUBLISHED, _layout, _run, client_lengths, run_prompts

from config_explorer.architecture import load_model
from config_explorer.bench_results import MeasuredPoint
from config_explorer.calibrate import fit_points
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.traffic import Traffic
from config_explorer.engine.user_calibration import apply_calibration
from config_explorer.errors import ConfigExplorerError

SPLIT = "every-third-by-load"
MIN_POINTS = 3
#: CSV metric -> (family, how to read it off an estimate)
READERS: dict[str, tuple[str, Callable[[PerformanceEstimate], float | None]]] = {
    "output_tok_s_total": ("throughput", lambda e: e.output_throughput_tok_s),
    "total_tok_s_total": (
        "throughput",
        lambda e: (e.output_throughput_tok_s or 0) + (e.input_throughput_tok_s or 0) or None,
    ),
    "request_s": ("throughput", lambda e: e.requests_per_s),
    "tpot_ms_mean": ("itl", lambda e: e.tpot_ms),
    "itl_ms_mean": ("itl", lambda e: e.itl_ms),
    "itl_ms_median": ("itl", lambda e: e.itl_p50_ms),
    "ttft_ms_mean": ("ttft", lambda e: e.ttft_ms),
    "ttft_ms_median": ("ttft", lambda e: e.ttft_p50_ms),
    "ttft_ms_p99": ("ttft", lambda e: e.ttft_p99_ms),
}
FAMILIES = ("throughput", "itl", "ttft")
#: CSV metric -> MeasuredPoint field (and scale) for the fit
POINT_FIELDS = {
    "output_tok_s_total": ("output_throughput_tok_s", 1.0),
    "ttft_ms_mean": ("ttft_ms_mean", 1.0),
    "ttft_ms_median": ("ttft_ms_median", 1.0),
    "ttft_ms_p99": ("ttft_ms_p99", 1.0),
    "tpot_ms_mean": ("tpot_ms_mean", 1.0),
    "itl_ms_mean": ("itl_ms_mean", 1.0),
    "itl_ms_median": ("itl_ms_median", 1.0),
    "e2e_s_mean": ("e2e_ms_mean", 1000.0),
}


def sweeps() -> dict[tuple[str, ...], dict[tuple[str, ...], list[dict[str, str]]]]:
    """sweep key -> point key -> the point's rows (one row per metric)."""
    grouped: dict[tuple[str, ...], dict[tuple[str, ...], list[dict[str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for path in (p for p in PUBLISHED if p.exists()):
        with path.open() as fh:
            for row in csv.DictReader(fh):
                sweep = (
                    row["source"],
                    row["model"],
                    row["gpu"],
                    row["num_gpus"],
                    row["tp"],
                    row["engine"],
                    row["weight_precision"],
                    row["kv_precision"],
                )
                point = (
                    row["concurrency"],
                    row["request_rate"],
                    row["input_len"],
                    row["output_len"],
                    row["dataset"],
                )
                grouped[sweep][point].append(row)
    return grouped


def _order(point: tuple[str, ...]) -> tuple[float, int, int, str]:
    concurrency, _, isl, osl, dataset = point
    return (float(concurrency or 1e9), int(isl), int(osl), dataset)


def _traffic(row: dict[str, str]) -> Traffic:
    prompts = run_prompts(row)
    inputs, outputs = client_lengths(row, prompts or 1000)
    if row["concurrency"] and not row["request_rate"]:
        return Traffic(
            input_lengths=inputs,
            output_lengths=outputs,
            arrival="closed_loop",
            concurrency=int(row["concurrency"]),
            num_requests=prompts,
        )
    n = int(row["concurrency"]) if row["concurrency"] else (prompts or 1000)
    return Traffic(input_lengths=inputs, output_lengths=outputs, arrival="offline", num_requests=n)


def _point(rows: list[dict[str, str]], index: int) -> MeasuredPoint:
    first = rows[0]
    closed = bool(first["concurrency"]) and not first["request_rate"]
    fields: dict[str, Any] = {}
    for row in rows:
        if row["metric"] in POINT_FIELDS:
            name, scale = POINT_FIELDS[row["metric"]]
            fields[name] = float(row["value"]) * scale
    return MeasuredPoint(
        source_file=first["source"].rsplit("/", 1)[-1],
        format="published-csv",
        index=index,
        model_id=first["model"],
        input_length=int(first["input_len"]),
        output_length=int(first["output_len"]),
        arrival="closed_loop" if closed else "offline",
        concurrency=int(first["concurrency"]) if first["concurrency"] else None,
        **fields,
    )


def _error(predicted: float | None, measured: float) -> float | None:
    return None if predicted is None or predicted <= 0 else abs(predicted / measured - 1.0)


def score_sweep(
    key: tuple[str, ...], points: dict[tuple[str, ...], list[dict[str, str]]]
) -> dict[str, Any] | None:
    ordered = sorted(points, key=_order)
    first = points[ordered[0]][0]
    engine = first["engine"] if first["engine"] in ("vllm", "sglang", "trtllm") else "vllm"
    arch = load_model(first["model"])
    layout = _layout(first, engine, first["kv_precision"] or None)
    records: list[PerformanceEstimate] = []
    try:
        for point_key in ordered:
            records.append(_run(arch, points[point_key][0], layout, _traffic(points[point_key][0])))
    except ConfigExplorerError as exc:
        print(f"  skipped {first['model']} on {first['gpu']}: {exc}", file=sys.stderr)
        return None
    fit_idx = [i for i in range(len(ordered)) if i % 3 == 0]
    held_idx = [i for i in range(len(ordered)) if i % 3 != 0]
    fit_points_ = [_point(points[ordered[i]], i) for i in fit_idx]
    try:
        fit = fit_points(
            fit_points_,
            [records[i] for i in fit_idx],
            profile_fields={
                "model_id": records[0].model_id,
                "gpu": records[0].gpu,
                "num_gpus": int(first["num_gpus"]),
                "tp": int(first["tp"]),
                "engine": engine,
            },
        )
    except ConfigExplorerError as exc:
        print(f"  skipped {first['model']} on {first['gpu']}: {exc}", file=sys.stderr)
        return None
    errors: dict[str, dict[str, list[float]]] = {f: {"before": [], "after": []} for f in FAMILIES}
    for i in held_idx:
        before = records[i]
        after = apply_calibration(before, fit.profile)
        for row in points[ordered[i]]:
            if row["metric"] not in READERS:
                continue
            family, read = READERS[row["metric"]]
            measured = float(row["value"])
            e_before, e_after = _error(read(before), measured), _error(read(after), measured)
            if e_before is not None and e_after is not None:
                errors[family]["before"].append(e_before)
                errors[family]["after"].append(e_after)
    factors = {f.name: (f.value if f.identified else None) for f in fit.factors}
    return {
        "sweep": f"{first['model'].split('/')[-1]} {first['num_gpus']}x{first['gpu']} TP{first['tp']} {engine} "
        f"[{first['source'].split('/')[2]}]",
        "points": len(ordered),
        "fit_points": len(fit_idx),
        "factors": factors,
        "errors": errors,
    }


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = []
    for key, points in sweeps().items():
        if len(points) >= MIN_POINTS:
            scored = score_sweep(key, points)
            if scored is not None:
                results.append(scored)
    pooled: dict[str, dict[str, list[float]]] = {f: {"before": [], "after": []} for f in FAMILIES}
    for r in results:
        for family in FAMILIES:
            for which in ("before", "after"):
                pooled[family][which].extend(r["errors"][family][which])
    summary = {
        family: {
            "held_out_figures": len(pooled[family]["before"]),
            "median_abs_error_uncalibrated": _median(pooled[family]["before"]),
            "median_abs_error_calibrated": _median(pooled[family]["after"]),
        }
        for family in FAMILIES
    }
    if args.json:
        print(json.dumps({"split": SPLIT, "sweeps": results, "overall": summary}, indent=2))
        return 0
    print(f"split: {SPLIT} (fit on positions 0, 3, 6, ... of each sweep sorted by load; the rest held out)")
    print("held-out median |error|, uncalibrated -> calibrated\n")
    header = (
        f"{'sweep':<62} {'pts':>3} {'fit':>3}  "
        + "  ".join(f"{f:>17}" for f in FAMILIES)
        + "  factors (d, p, f, s)"
    )
    print(header)
    for r in results:
        cells = []
        for family in FAMILIES:
            b, a = _median(r["errors"][family]["before"]), _median(r["errors"][family]["after"])
            cells.append(f"{_pct(b):>7} -> {_pct(a):>6}" if b is not None else f"{'-':>17}")
        f = r["factors"]
        shown = ", ".join(
            "-" if f[n] is None else f"{f[n]:.3g}"
            for n in ("decode_factor", "prefill_factor", "frontend_ms", "decode_ms_per_seq")
        )
        print(
            f"{r['sweep'][:62]:<62} {r['points']:>3} {r['fit_points']:>3}  " + "  ".join(cells) + f"  {shown}"
        )
    print()
    for family in FAMILIES:
        s = summary[family]
        b, a = s["median_abs_error_uncalibrated"], s["median_abs_error_calibrated"]
        verdict = "" if b is None or a is None else ("  (halved)" if a <= b / 2 else "  (not halved)")
        print(
            f"overall {family:<10} over {s['held_out_figures']:>3} held-out figures: {_pct(b)} -> {_pct(a)}{verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

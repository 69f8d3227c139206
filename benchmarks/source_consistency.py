"""Where measured points disagree with each other rather than with the engine: by publisher, and across GPUs.

Run: ``PYTHONPATH=src python benchmarks/source_consistency.py [--data DIR] [--worst N]``.

It reads the rows ``accuracy.py`` scores (the same data, the same estimates; its ``CONFIG_EXPLORER_BENCH_CACHE``
folder is used where set) and prints three tables of the held-out rows. Nothing is fitted and nothing is left out of
``accuracy.py`` because of them; they say where a row's error is likely its run's rather than the engine's.

1. **By publisher** (the repository or site a row's source names; TensorRT-LLM's own tables under ``../shared/data``
   are ``trtllm tables``) x GPU family x scenario: rows, and the signed and absolute median error of throughput and
   TTFT. One publisher's rows on one GPU family reading off in one direction for every engine, while its rows on
   another family and other publishers' rows on the same family do not, points at that publisher's machines.
2. **One recipe on two GPUs**: rows alike in everything a row states (publisher, engine and release, model, layout,
   weight and KV formats, lengths, load, dataset and metric) except the GPU. For each pair, the measured ratio
   (second GPU over first) beside the engine's ratio, and how far apart they are (``|log|`` of their quotient),
   worst first. Where the two GPUs share the figures that set the metric (the B200 and the B300 have the same FP8
   rate and memory bandwidth), a measured ratio far from 1 is the runs', and it bounds what any model can score on
   that pair.
3. **One recipe measured more than once on one GPU** (the same publisher's repeated runs, every field a row states
   alike): how far apart the runs are (largest over smallest), the noise no estimate can get under.
4. **TTFT's mean over its median in one run**, for the runs that print both, by engine x scenario: the measured
   ratio beside the engine's, and the signed median error of each figure over those runs. A measured mean far above
   its median is a tail of a few slow first tokens; where the engine's medians agree and its means read low, the
   misses are that tail (a benchmark of five or ten requests per client slot counts a slow first request or first
   wave in its mean), not the requests' typical wait.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from accuracy import DEFAULT_DATA, _scored

#: the columns that make two rows one recipe, apart from the GPU (``launch``: the layout and serving flags
#: ``accuracy.py`` read from the row's launch command, and whether vLLM scheduled asynchronously, so runs with
#: different flags are not one recipe)
RECIPE = (
    "publisher",
    "launch",
    "async_scheduling",
    "engine",
    "engine_version",
    "model",
    "tp",
    "ep",
    "dp_attention",
    "precision",
    "kv_precision",
    "isl",
    "osl",
    "batch",
    "scenario",
    "dataset",
    "metric",
)


def publisher(row: dict[str, Any]) -> str:
    """Who published a row: ``owner/repo`` of a GitHub source (the first half of its ``pair``), the site of any
    other, ``trtllm tables`` for TensorRT-LLM's own performance tables (rows with no source address)."""
    pair = row.get("pair")
    url = str(pair[0]) if pair else ""
    if not url:
        return "trtllm tables"
    parsed = urlparse(url)
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.netloc.endswith("github.com") and len(parts) >= 2:
        return f"{parts[0]}/{parts[1]}"
    return parsed.netloc or url


def launch(row: dict[str, Any]) -> str:
    """The layout and serving flags ``accuracy.py`` planned a published row with (the second half of its ``pair``:
    everything but the engine's options); empty for TensorRT-LLM's own tables, which state none."""
    pair = row.get("pair")
    return str(pair[1]) if pair else ""


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def by_publisher(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(publisher, GPU family, scenario) -> rows and the signed and absolute median error of throughput and TTFT."""
    errors: dict[tuple[str, str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r["family"] in ("throughput", "ttft"):
            errors[(publisher(r), r["gpu_family"], r["scenario"])][r["family"]].append(r["error_pct"])
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, fams in sorted(errors.items()):
        out[key] = {
            family: (len(errs), _median(errs), _median([abs(e) for e in errs]))
            for family, errs in fams.items()
        }
    return out


def _recipes(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]]:
    """The rows by recipe (:data:`RECIPE`), then by GPU (a recipe run more than once on a GPU keeps every run)."""
    groups: dict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        keyed = {**r, "publisher": publisher(r), "launch": launch(r)}
        groups[tuple(keyed.get(c) for c in RECIPE)][r["gpu"]].append(r)
    return groups


def gpu_pairs(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every pair of rows of one recipe (:data:`RECIPE`) on two GPUs, each with the measured and estimated ratios
    (second over first, GPUs in name order) and ``gap``, the ``|log|`` of their quotient; worst first. A recipe run
    more than once on a GPU is paired through its first run there (:func:`repeats` reads the others)."""
    pairs = []
    for key, by_gpu in _recipes(rows).items():
        names = sorted(by_gpu)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                a, b = by_gpu[first][0], by_gpu[second][0]
                measured = b["measured"] / a["measured"]
                estimated = b["predicted"] / a["predicted"]
                pairs.append(
                    {
                        **dict(zip(RECIPE, key)),
                        "gpus": (first, second),
                        "measured_ratio": measured,
                        "estimated_ratio": estimated,
                        "gap": abs(math.log(measured / estimated)),
                    }
                )
    return sorted(pairs, key=lambda p: -p["gap"])


def repeats(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every recipe (:data:`RECIPE`) measured more than once on one GPU: its runs and ``spread``, the largest
    measured value over the smallest; widest first."""
    out = []
    for key, by_gpu in _recipes(rows).items():
        for gpu, runs in by_gpu.items():
            if len(runs) > 1:
                values = [r["measured"] for r in runs]
                out.append(
                    {
                        **dict(zip(RECIPE, key)),
                        "gpu": gpu,
                        "runs": len(runs),
                        "spread": max(values) / min(values),
                    }
                )
    return sorted(out, key=lambda r: -r["spread"])


#: a run's TTFT figures whose ratio :func:`ttft_tails` reads
TAIL_METRICS = ("ttft_ms_mean", "ttft_ms_median")


def ttft_tails(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every run (a recipe, :data:`RECIPE` less the metric, on one GPU) that prints both of :data:`TAIL_METRICS`:
    the measured and estimated mean over median, and the error (%) of each figure. A recipe run more than once on
    a GPU is read through its first run there."""
    runs: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        if r["metric"] in TAIL_METRICS:
            keyed = {**r, "publisher": publisher(r), "launch": launch(r)}
            run = runs[(*(keyed.get(c) for c in RECIPE if c != "metric"), r["gpu"])]
            run.setdefault(r["metric"], r)
    mean_metric, median_metric = TAIL_METRICS
    out = []
    for run in runs.values():
        if mean_metric in run and median_metric in run:
            mean, median = run[mean_metric], run[median_metric]
            out.append(
                {
                    **{c: mean.get(c) for c in ("engine", "scenario", "model", "gpu", "isl", "osl", "batch")},
                    "publisher": publisher(mean),
                    "measured_ratio": mean["measured"] / median["measured"],
                    "estimated_ratio": mean["predicted"] / median["predicted"],
                    "mean_error_pct": mean["error_pct"],
                    "median_error_pct": median["error_pct"],
                }
            )
    return sorted(out, key=lambda t: -t["measured_ratio"] / t["estimated_ratio"])


def tails_by_engine(tails: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(engine, scenario) -> runs, the median measured and estimated mean-over-median TTFT, and the signed median
    error (%) of the mean and of the median over those runs."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in tails:
        groups[(t["engine"], t["scenario"])].append(t)
    return {
        key: {
            "runs": len(ts),
            "measured_ratio": statistics.median(t["measured_ratio"] for t in ts),
            "estimated_ratio": statistics.median(t["estimated_ratio"] for t in ts),
            "mean_error_pct": statistics.median(t["mean_error_pct"] for t in ts),
            "median_error_pct": statistics.median(t["median_error_pct"] for t in ts),
        }
        for key, ts in sorted(groups.items())
    }


def _held_out(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["split"] == "held-out" and r["error_pct"] is not None and r["measured"] > 0 and r["predicted"]
    ]


def _cell(stats: tuple[int, float | None, float | None] | None) -> str:
    if stats is None:
        return f"{'-':>20}"
    n, signed, absolute = stats
    return f"{n:5d} {signed:+7.1f} {absolute:6.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="TensorRT-LLM's tables (default ../shared/data)"
    )
    parser.add_argument("--worst", type=int, default=25, help="recipe pairs to print, worst first")
    args = parser.parse_args(argv)
    data_dir = args.data or (DEFAULT_DATA if DEFAULT_DATA.exists() else None)
    rows = _held_out(_scored(data_dir, "simulated")[0])

    print("held-out rows by publisher x GPU family x scenario: n, signed and absolute median error (%)")
    print(f"{'publisher':34s} {'family':10s} {'scenario':14s} {'throughput':>20s} {'TTFT':>20s}")
    for (who, family, scenario), fams in by_publisher(rows).items():
        print(
            f"{who[:34]:34s} {family:10s} {scenario:14s} {_cell(fams.get('throughput'))} {_cell(fams.get('ttft'))}"
        )

    pairs = gpu_pairs(rows)
    print(
        f"\none recipe on two GPUs: {len(pairs)} pairs; the {min(args.worst, len(pairs))} whose measured ratio is "
        "furthest from the engine's (ratio = second GPU over first)"
    )
    print(
        f"{'publisher':26s} {'engine':7s} {'model':28s} {'GPUs':22s} {'isl/osl':>11s} {'c':>5s} {'metric':18s}"
        f" {'measured':>8s} {'engine':>7s} {'|log|':>6s}"
    )
    for p in pairs[: args.worst]:
        gpus = f"{p['gpus'][0][:10]}/{p['gpus'][1][:10]}"
        print(
            f"{p['publisher'][:26]:26s} {p['engine']:7s} {p['model'][-28:]:28s} {gpus:22s} "
            f"{p['isl']:>5}/{p['osl']:<5} {p['batch']:>5} {p['metric']:18s} {p['measured_ratio']:8.2f} "
            f"{p['estimated_ratio']:7.2f} {p['gap']:6.2f}"
        )
    again = repeats(rows)
    spreads = [r["spread"] for r in again]
    if again:
        print(
            f"\none recipe measured more than once on one GPU: {len(again)} recipes, median spread (largest over "
            f"smallest) {statistics.median(spreads):.2f}, widest {max(spreads):.2f}"
        )
        print(
            f"{'publisher':26s} {'engine':7s} {'model':28s} {'GPU':10s} {'isl/osl':>11s} {'metric':18s} "
            f"{'runs':>4s} {'spread':>6s}"
        )
        for r in again[: args.worst]:
            print(
                f"{r['publisher'][:26]:26s} {r['engine']:7s} {r['model'][-28:]:28s} {r['gpu'][:10]:10s} "
                f"{r['isl']:>5}/{r['osl']:<5} {r['metric']:18s} {r['runs']:4d} {r['spread']:6.2f}"
            )
    tails = ttft_tails(rows)
    print(
        f"\nTTFT mean over median in one run: {len(tails)} runs print both; by engine x scenario, the median ratio "
        "measured and estimated, and the signed median error (%) of the mean and of the median"
    )
    print(
        f"{'engine':7s} {'scenario':12s} {'runs':>4s} {'measured':>8s} {'engine':>7s} {'mean err':>8s} {'median err':>10s}"
    )
    for (engine, scenario), g in tails_by_engine(tails).items():
        print(
            f"{engine:7s} {scenario:12s} {g['runs']:4d} {g['measured_ratio']:8.2f} {g['estimated_ratio']:7.2f} "
            f"{g['mean_error_pct']:+8.1f} {g['median_error_pct']:+10.1f}"
        )
    print(f"the {min(args.worst, len(tails))} runs whose measured ratio most exceeds the engine's")
    print(
        f"{'publisher':26s} {'engine':7s} {'model':28s} {'GPU':10s} {'isl/osl':>11s} {'c':>5s} "
        f"{'measured':>8s} {'engine':>7s} {'mean err':>8s} {'median err':>10s}"
    )
    for t in tails[: args.worst]:
        print(
            f"{t['publisher'][:26]:26s} {t['engine']:7s} {t['model'][-28:]:28s} {t['gpu'][:10]:10s} "
            f"{t['isl']:>5}/{t['osl']:<5} {t['batch']:>5} {t['measured_ratio']:8.2f} {t['estimated_ratio']:7.2f} "
            f"{t['mean_error_pct']:+8.1f} {t['median_error_pct']:+10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

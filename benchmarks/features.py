"""Prefix caching and speculative decoding: estimated against published speedups, and what each buys.

Part 1 reads ``benchmarks/data/published_feature_speedups.csv`` and, for each row, estimates the same
model, GPU and layout with and without the feature (a closed loop at the row's concurrency, the native
engine's simulator, each method's published default acceptance), then prints the estimated and the
published speedup and the median |error| of the ratio.

Part 1b does the same for prefix caching with ``benchmarks/data/published_prefix_cache_points.csv``:
each row is replayed as it was run (an offline batch, or Poisson arrivals at the offered rate), with
and without the shared prefix the row states, and the ratio of the row's metric is compared (on/off
for throughput, off/on for latencies), plus the achieved hit rate where the source printed one. Rows
that carry no shared prefix (the cost of the cache's bookkeeping alone, which the engine does not
charge), latency rows whose measured run without the cache could not carry the offered rate (their TTFT
and E2E grow with the run's unstated length) and throughput rows where both measured runs carried it
(the ratio is 1 by construction) are printed but kept out of the median.

Part 2 answers the planner's question for Llama-3.1-8B-Instruct (H100) and DeepSeek-R1 (H200): how much
each feature changes ITL and throughput at a fixed load, and the GPUs needed for a chat load
(``recommend_gpus(..., workload="chat", target_requests_per_s=...)``). The chat load is the library's
chat preset: 512-token prompts that start with one of 10 shared prefixes of 256 tokens (``vllm bench
serve``'s ``prefix_repetition`` defaults); "none" is the same load with ``preset_prefix=False``.

    PYTHONPATH=src python benchmarks/features.py
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable
from pathlib import Path

import attrs

from config_explorer.engine.traffic import Lengths, SharedPrefix, Traffic
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.recommend import recommend_gpus
from config_explorer.recommender.speculation import speculative_break_even
from config_explorer.recommender.workloads import WORKLOADS

DATA = Path(__file__).parent / "data" / "published_feature_speedups.csv"
PREFIX_DATA = Path(__file__).parent / "data" / "published_prefix_cache_points.csv"
#: checkpoints the catalog does not bundle -> the bundled model of the same architecture
SAME_ARCHITECTURE = {
    "neuralmagic/Meta-Llama-3-8B-Instruct-FP8": "meta-llama/Llama-3.1-8B-Instruct",
    "huggyllama/llama-7b": "meta-llama/Llama-2-7b-hf",
    # not bundled: its published config.json, kept beside the data
    "meta-llama/Llama-2-13b-hf": str(Path(__file__).parent / "data" / "configs" / "Llama-2-13b-hf.json"),
}
#: requests replayed for a Poisson row whose source does not state how many were sent (our assumption)
POISSON_REQUESTS = 1000
#: vLLM caches whole blocks only, and recomputes a fully cached prompt's last block
BLOCK = 16
CHAT = WORKLOADS["chat"]
CASES = (
    ("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, "eagle3", 60.0),
    ("deepseek-ai/DeepSeek-R1", "H200", 8, "mtp", 20.0),
)


def _printer(quiet: bool) -> Callable[..., None]:
    return (lambda *args, **kwargs: None) if quiet else print


def published(quiet: bool = False) -> list[tuple[str, float, float]]:
    """(label, estimated speedup, error) of each speculative-decoding row; prints them unless ``quiet``."""
    print = _printer(quiet)
    rows = []
    print("Speculative decoding: estimated vs published speedup (output tokens/s, feature on / off)")
    print(f"{'model':36} {'gpu':5} {'method':7} {'conc':>4} {'est':>6} {'pub':>6} {'err':>7}  source")
    for row in csv.DictReader(DATA.open(encoding="utf-8")):
        kw = {
            "input_length": int(row["input_len"]),
            "output_length": int(row["output_len"]),
            "concurrency": int(row["concurrency"]),
            "precision": row["weight_precision"],
            "tensor_parallel_size": int(row["tp"]),
            "backend": "native",
        }
        base = estimate_performance(row["model"], row["gpu"], int(row["num_gpus"]), **kw)  # type: ignore[arg-type]
        on = estimate_performance(
            row["model"],
            row["gpu"],
            int(row["num_gpus"]),
            speculative=row["method"],
            **kw,  # type: ignore[arg-type]
        )
        estimated = (on.output_throughput_tok_s or 0.0) / (base.output_throughput_tok_s or 1.0)
        target = float(row["speedup"])
        error = estimated / target - 1.0
        rows.append((f"{row['model']} {row['method']} c={row['concurrency']}", estimated, error))
        print(
            f"{row['model']:36} {row['gpu']:5} {row['method']:7} {row['concurrency']:>4} {estimated:6.2f} "
            f"{target:6.2f} {error:+7.1%}  {row['source']}"
        )
    print(
        f"median |error| of the speedup ratio: {statistics.median(abs(e) for _, _, e in rows):.1%} over {len(rows)} rows"
    )
    return rows


def _prefix_workload(row: dict[str, str]) -> tuple[Traffic, Traffic]:
    """The row's traffic without and with its shared prefixes."""
    prompts = int(row["num_prompts"]) if row["num_prompts"] else POISSON_REQUESTS
    if row["input_len"]:
        isl, prefix_len, osl = int(row["input_len"]), int(row["prefix_len"]), int(row["output_len"])
    else:
        # benchmark_prefix_caching.py: prompts of 256-512 tokens (mean 384), each sent repeat-count times
        # as a whole, so every full block but the last is reusable; 10 output tokens (the printed input
        # and output rates, 17,829 / 483 tok/s, are 37 prompt tokens per output token: 384 / 10)
        isl, osl = 384, 10
        prefix_len = (isl - 1) // BLOCK * BLOCK
    if row["request_rate"]:
        kw = {"arrival": "poisson", "request_rate": float(row["request_rate"]), "num_requests": prompts}
    else:
        repeats = round(1 / float(row["prefix_share"])) if row["prefix_share"] else 1
        kw = {"arrival": "offline", "num_requests": prompts * repeats}
    base = Traffic(input_lengths=Lengths.fixed(isl), output_lengths=Lengths.fixed(osl), **kw)  # type: ignore[arg-type]
    if row["num_prefixes"]:
        prefix = SharedPrefix.distinct(prefix_len, int(row["num_prefixes"]))
    else:
        prefix = SharedPrefix.common(prefix_len)
    return base, attrs.evolve(base, prefix=prefix)


PREFIX_READERS = {
    "output_tok_s": (lambda e: e.output_throughput_tok_s, False),
    "total_tok_s": (lambda e: (e.output_throughput_tok_s or 0) + (e.input_throughput_tok_s or 0), False),
    "request_s": (lambda e: e.requests_per_s, False),
    "ttft_ms_mean": (lambda e: e.ttft_ms, True),
    "e2e_s_mean": (lambda e: e.e2e_latency_s, True),
}


def _kept_up(rows: list[dict[str, str]]) -> dict[str, bool]:
    """Offered rate -> whether the published run without the cache carried it (achieved >= 95%)."""
    return {
        r["request_rate"]: float(r["baseline"]) >= 0.95 * float(r["request_rate"])
        for r in rows
        if r["request_rate"] and r["metric"] == "request_s"
    }


def prefix_rows(quiet: bool = False) -> list[tuple[str, float, float]]:
    """(label, estimated ratio, error) of each prefix-cache row scored; prints every row unless ``quiet``."""
    print = _printer(quiet)
    scored = []
    rows = list(csv.DictReader(PREFIX_DATA.open(encoding="utf-8")))
    kept_up = _kept_up(rows)
    print()
    print("Prefix caching: estimated vs published ratio (throughput on/off, latency off/on)")
    print(
        f"{'model':34} {'gpu':13} {'load':>10} {'metric':13} {'est':>6} {'pub':>6} {'err':>7}  hit est/pub  source"
    )
    for row in rows:
        model = SAME_ARCHITECTURE.get(row["model"], row["model"])
        target = float(row["speedup"])
        load = f"{float(row['request_rate']):g} req/s" if row["request_rate"] else "offline"
        read, lower_is_better = PREFIX_READERS[row["metric"]]
        if row["prefix_len"] == "0":  # nothing shared: the engine charges the cache nothing, so 1.00
            estimated, hit = 1.0, "-"
            why = "no shared prefix: bookkeeping cost only"
        else:
            base_traffic, cached_traffic = _prefix_workload(row)
            kw = {
                "precision": row["weight_precision"],
                "tensor_parallel_size": int(row["tp"]),
                "backend": "native",
            }
            off = estimate_performance(model, row["gpu"], int(row["num_gpus"]), traffic=base_traffic, **kw)  # type: ignore[arg-type]
            on = estimate_performance(model, row["gpu"], int(row["num_gpus"]), traffic=cached_traffic, **kw)  # type: ignore[arg-type]
            a, b = read(off), read(on)
            if not a or not b:
                print(f"{row['model']:34} not estimated: {off.error or on.error}")
                continue
            estimated = a / b if lower_is_better else b / a
            hit = "-" if on.prefix_cache_hit_rate is None else f"{on.prefix_cache_hit_rate:.2f}"
            why = ""
            if row["request_rate"] and lower_is_better and not kept_up.get(row["request_rate"], True):
                why = "the measured run without the cache was overloaded: its latency grows with the run's unstated length"
            elif row["request_rate"] and not lower_is_better and kept_up.get(row["request_rate"], False):
                why = "both measured runs carried the offered rate: the ratio is 1 by construction"
        error = estimated / target - 1.0
        hit += "/" + (row["hit_rate"] or "-")
        print(
            f"{row['model'][-34:]:34} {row['gpu'][:13]:13} {load:>10} {row['metric']:13} {estimated:6.2f} {target:6.2f} "
            f"{error:+7.1%}  {hit:>11}  {row['source']}{'  [not scored: ' + why + ']' if why else ''}"
        )
        if not why:
            scored.append((f"{row['model']} {row['gpu']} {load} {row['metric']}", estimated, error))
    if scored:
        print(
            f"median |error| of the prefix-cache ratio: {statistics.median(abs(e) for _, _, e in scored):.1%} "
            f"over {len(scored)} scored rows"
        )
    return scored


def planner() -> None:
    assert CHAT.prefix is not None
    print()
    print(
        f"Chat preset ({CHAT.input_length} in / {CHAT.output_length} out, each prompt starting with one of "
        f"{CHAT.prefix.num_prefixes} shared {CHAT.prefix.length}-token prefixes): ITL and throughput at "
        "concurrency 32, GPUs for the target rate (chat SLOs: TTFT 500 ms, TPOT 40 ms p99)"
    )
    print(f"{'model':34} {'features':16} {'ITL ms':>7} {'out tok/s':>10} {'hit':>5} {'GPUs for target':>16}")
    for model, gpu, gpus, method, rate in CASES:
        for name, cached, spec in (
            ("none", False, None),
            ("prefix cache", True, None),
            (method, False, method),
            (f"prefix + {method}", True, method),
        ):
            est = estimate_performance(
                model,
                gpu,
                gpus,
                input_length=CHAT.input_length,
                output_length=CHAT.output_length,
                concurrency=32,
                backend="native",
                prefix=CHAT.prefix if cached else None,
                speculative=spec,
            )
            rec = recommend_gpus(
                model,
                gpus=[gpu],
                max_gpus=64,
                workload="chat",
                target_requests_per_s=rate,
                backend="native",
                speculative=spec,
                preset_prefix=cached,
            )
            best = rec.best
            needed = "none meets SLOs" if best is None else f"{best.total_gpus_for_target} ({rate:g} req/s)"
            hit = "-" if est.prefix_cache_hit_rate is None else f"{est.prefix_cache_hit_rate:.0%}"
            print(
                f"{model:34} {name:16} {est.itl_ms or 0:7.2f} {est.output_throughput_tok_s or 0:10,.0f} "
                f"{hit:>5} {needed:>16}"
            )
        even = speculative_break_even(
            model,
            gpu,
            method,
            input_length=CHAT.input_length,
            output_length=CHAT.output_length,
            num_gpus=gpus,
        )
        if even is None:
            print(f"  {method} does not make decode slower at any decode batch up to max_num_seqs")
        else:
            print(f"  {method} makes decode slower from a decode batch of {even} per replica")


if __name__ == "__main__":
    published()
    prefix_rows()
    planner()

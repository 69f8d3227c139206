"""Prefix caching and speculative decoding: estimated against published speedups, and what each buys.

Part 1 reads ``benchmarks/data/published_feature_speedups.csv`` and, for each row, estimates the same
model, GPU and layout with and without the feature (a closed loop at the row's concurrency, the native
engine's simulator, each method's published default acceptance), then prints the estimated and the
published speedup and the median |error| of the ratio.

Part 2 answers the planner's question for Llama-3.1-8B-Instruct (H100) and DeepSeek-R1 (H200): how much
each feature changes ITL and throughput at a fixed load, and the GPUs needed for a chat load
(``recommend_gpus(..., workload="chat", target_requests_per_s=...)``). The chat load here carries a
shared 384-token system prompt in front of its 512-token prompts (our assumption, stated).

    PYTHONPATH=src python benchmarks/features.py
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from config_explorer.engine.traffic import SharedPrefix
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.recommend import recommend_gpus
from config_explorer.recommender.speculation import speculative_break_even

DATA = Path(__file__).parent / "data" / "published_feature_speedups.csv"
CHAT_PREFIX = SharedPrefix.common(384)
#: the chat preset's prompt is 512 tokens; with a system prompt in front it is this long
CHAT_INPUT, CHAT_OUTPUT = 896, 256
CASES = (
    ("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, "eagle3", 20.0),
    ("deepseek-ai/DeepSeek-R1", "H200", 8, "mtp", 20.0),
)


def published() -> list[tuple[str, float, float]]:
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
        rows.append((row["model"], estimated, error))
        print(
            f"{row['model']:36} {row['gpu']:5} {row['method']:7} {row['concurrency']:>4} {estimated:6.2f} "
            f"{target:6.2f} {error:+7.1%}  {row['source']}"
        )
    print(
        f"median |error| of the speedup ratio: {statistics.median(abs(e) for _, _, e in rows):.1%} over {len(rows)} rows"
    )
    return rows


def planner() -> None:
    print()
    print(
        f"Chat load ({CHAT_INPUT} in / {CHAT_OUTPUT} out, a shared {CHAT_PREFIX.length}-token system prompt): "
        "ITL and throughput at concurrency 32, GPUs for the target rate (chat SLOs: TTFT 500 ms, TPOT 40 ms p99)"
    )
    print(f"{'model':34} {'features':16} {'ITL ms':>7} {'out tok/s':>10} {'hit':>5} {'GPUs for target':>16}")
    for model, gpu, gpus, method, rate in CASES:
        for name, features in (
            ("none", {}),
            ("prefix cache", {"prefix": CHAT_PREFIX}),
            (method, {"speculative": method}),
            (f"prefix + {method}", {"prefix": CHAT_PREFIX, "speculative": method}),
        ):
            est = estimate_performance(
                model,
                gpu,
                gpus,
                input_length=CHAT_INPUT,
                output_length=CHAT_OUTPUT,
                concurrency=32,
                backend="native",
                **features,  # type: ignore[arg-type]
            )
            rec = recommend_gpus(
                model,
                CHAT_INPUT,
                CHAT_OUTPUT,
                gpus=[gpu],
                max_gpus=64,
                workload="chat",
                target_requests_per_s=rate,
                backend="native",
                **features,  # type: ignore[arg-type]
            )
            best = rec.best
            needed = "none meets SLOs" if best is None else f"{best.total_gpus_for_target} ({rate:g} req/s)"
            hit = "-" if est.prefix_cache_hit_rate is None else f"{est.prefix_cache_hit_rate:.0%}"
            print(
                f"{model:34} {name:16} {est.itl_ms or 0:7.2f} {est.output_throughput_tok_s or 0:10,.0f} "
                f"{hit:>5} {needed:>16}"
            )
        even = speculative_break_even(
            model, gpu, method, input_length=CHAT_INPUT, output_length=CHAT_OUTPUT, num_gpus=gpus
        )
        where = "never up to max_num_seqs" if even is None else f"from a decode batch of {even} per replica"
        print(f"  {method} makes decode slower {where}")


if __name__ == "__main__":
    published()
    planner()

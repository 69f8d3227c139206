"""The cheapest layout for each seed model on a chat workload, with a mean-ITL SLO of 50 ms.

Run from the repository root:

    PYTHONPATH=src python examples/seed_model_picks.py

For every seed model, every layout of 1-8 GPUs of six common types is estimated with the native
engine, layouts that miss the SLO at every concurrency are dropped, and the one with the lowest
cost per million output tokens (bundled reference prices) wins.
"""

from __future__ import annotations

from config_explorer.recommender import recommend_gpus
from config_explorer.reports import fmt, render_table

SEED_MODELS = [
    "openai/gpt-oss-120b",
    "RedHatAI/Qwen3-8B-FP8-dynamic",
    "meta-llama/Llama-3.3-70B-Instruct",
    "ibm-granite/granite-4.0-h-small",
    "mistralai/Mixtral-8x7B-v0.1",
]
GPUS = ["H100", "H200", "A100", "L40S", "L40", "L4"]


def main() -> None:
    rows = []
    for model in SEED_MODELS:
        result = recommend_gpus(
            model,
            workload="chat",
            gpus=GPUS,
            max_gpus=8,
            metric="cost_per_million_tokens",
            max_itl_ms=50,
            backend="native",
        )
        best = result.best
        e = best.estimate if best else None
        rows.append(
            [
                model,
                f"{best.num_gpus} x {best.gpu} tp={best.tp}" if best else "none",
                fmt(best.concurrency if best else None),
                fmt(e.ttft_ms if e else None, 0),
                fmt(e.itl_ms if e else None),
                fmt(e.output_throughput_tok_s if e else None, 0),
                fmt(e.memory_weights_gib if e else None),
                fmt(best.cost_per_million_output_tokens_usd if best else None, 3),
            ]
        )
    print("chat workload (512 in / 256 out), mean ITL <= 50 ms, cheapest $ per million output tokens")
    print(
        render_table(
            ["model", "pick", "conc", "TTFT ms", "ITL ms", "out tok/s", "weights GiB/GPU", "$/M out"], rows
        )
    )


if __name__ == "__main__":
    main()

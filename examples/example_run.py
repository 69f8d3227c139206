"""Compare GPUs for the seed models with the native engine (offline, about a second).

Run from the repository root:

    PYTHONPATH=src python examples/example_run.py

Three views of the same question, "which GPU should this model be served on?":

1. ``GPURecommender``: every model on each GPU type at a fixed GPU count and concurrency
   (the smallest tensor-parallel degree that fits; spare GPUs become replicas).
2. The same at four GPUs per deployment, where the 70B and MoE models fit on the smaller cards.
3. ``recommend_gpus``: for each model, every GPU type x count (1-8) x TP layout, ranked by output
   tokens per second per GPU at each layout's operating point (the knee of a concurrency sweep).

Every number printed is an estimate of the native roofline engine; see PERFORMANCE_ESTIMATION.md.
"""

from __future__ import annotations

from config_explorer.recommender import GPURecommender, recommend_gpus
from config_explorer.reports import fmt, render_table

SEED_MODELS = [
    "openai/gpt-oss-120b",  # MoE, MXFP4 experts, alternating sliding-window attention
    "RedHatAI/Qwen3-8B-FP8-dynamic",  # dense, FP8 weights
    "meta-llama/Llama-3.3-70B-Instruct",  # dense 70B, bf16
    "ibm-granite/granite-4.0-h-small",  # hybrid Mamba-2 + attention, MoE
    "mistralai/Mixtral-8x7B-v0.1",  # MoE, bf16
]
INPUT_LEN, OUTPUT_LEN = 1024, 256


def compare_gpus() -> None:
    recommender = GPURecommender(input_len=INPUT_LEN, output_len=OUTPUT_LEN, concurrency=32, backend="native")

    print("=" * 100)
    print(f"1. One GPU per deployment, {INPUT_LEN} in / {OUTPUT_LEN} out tokens, 32 requests in flight")
    print("=" * 100)
    gpus = ["H200", "L40", "H100", "A100", "L40S", "MI300X"]
    single = recommender.recommend_gpus(SEED_MODELS, gpus, num_gpus=1)
    recommender.print_recommendations(single)

    print()
    print("=" * 100)
    print("2. Four GPUs per deployment: H200 vs L40")
    print("=" * 100)
    four = recommender.recommend_gpus(SEED_MODELS, ["H200", "L40"], num_gpus=4)
    recommender.print_recommendations(four)


def rank_layouts() -> None:
    print()
    print("=" * 100)
    print("3. Every layout of 1-8 GPUs, ranked by output tokens/s per GPU")
    print("=" * 100)
    best_rows = []
    for model in SEED_MODELS:
        result = recommend_gpus(
            model,
            INPUT_LEN,
            OUTPUT_LEN,
            gpus=["H200", "H100", "L40", "L40S", "A100"],
            max_gpus=8,
            metric="throughput_per_gpu",
            backend="native",
        )
        print(result.summary(top=5))
        print()
        best = result.best
        estimate = best.estimate if best is not None else None
        best_rows.append(
            [
                model,
                f"{best.num_gpus} x {best.gpu}" if best else "none fits",
                fmt(best.tp if best else None),
                fmt(best.concurrency if best else None),
                fmt(estimate.output_throughput_tok_s_per_gpu if estimate else None, 0),
                fmt(estimate.ttft_ms if estimate else None),
                fmt(estimate.itl_ms if estimate else None, 2),
                fmt(best.cost_per_million_output_tokens_usd if best else None, 3),
            ]
        )
    print("Best layout per model (by output tokens/s per GPU):")
    headers = ["model", "layout", "TP", "conc", "tok/s/GPU", "TTFT ms", "ITL ms", "$/M tok"]
    print(render_table(headers, best_rows))


if __name__ == "__main__":
    compare_gpus()
    rank_layouts()

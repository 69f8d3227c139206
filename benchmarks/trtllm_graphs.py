"""TensorRT-LLM's decode CUDA graphs: what the engine charges for an eager decode step, against the one published ablation.

Run: ``PYTHONPATH=src python benchmarks/trtllm_graphs.py``.

TensorRT-LLM's PyTorch backend replays a CUDA graph only for a decode batch of a size it captured (with
``cuda_graph_config.enable_padding``, rounded up to one); any other decode step issues its kernels from Python
(``calibration.TRTLLM_EAGER_KERNEL_US``, read off one third-party trace of mixed steps on two B200s, not fitted
here). The only published figure for what the graphs are worth is TensorRT-LLM's tech blog 3 ("Optimizing
DeepSeek R1 Throughput on NVIDIA Blackwell GPUs", docs/source/blogs/tech_blog/): CUDA graphs had "a significant
22% E2E performance impact" on its throughput runs (DeepSeek-R1-FP4, 1K/2K, attention DP8 + EP8 on eight B200,
the configuration of its "How to reproduce" link: ``--max_batch_size 384 --max_num_tokens 1536``, 3,072 requests in
flight, graphs padded to the batch). The blog does not say at which stage of its optimisations it measured that,
so this is a held-out check of the order of magnitude, not a fit. The script prints the engine's throughput with
graphs and with every decode step eager (graphs of one request only) for that configuration, and the ratio.
"""

from __future__ import annotations

from config_explorer.recommender import estimate_performance

#: the blog's configuration (Best_perf_practice_on_DeepSeek-R1_in_TensorRT-LLM.md, "B200 max-throughput for R1")
MODEL = "nvidia/DeepSeek-R1-FP4"
BATCH_PER_RANK = 384
PUBLISHED_GAIN = 0.22


def throughput_per_gpu(graph_batch: int) -> float:
    """Output tok/s per GPU of the blog's run with decode graphs padded up to ``graph_batch`` requests a rank."""
    e = estimate_performance(
        MODEL, "B200", 8, 8, 1024, 2048, 3072, engine="trtllm", backend="native", expert_parallel_size=8,
        dp_attention=8, max_num_seqs=BATCH_PER_RANK, max_num_batched_tokens=1536, serving_model="analytic",
        engine_options={"cuda_graph_padding": True, "cuda_graph_max_batch_size": graph_batch},
    )  # fmt: skip
    assert e.output_throughput_tok_s is not None, e.error
    return e.output_throughput_tok_s / e.num_gpus


def main() -> None:
    graphed = throughput_per_gpu(BATCH_PER_RANK)
    eager = throughput_per_gpu(1)
    print(
        "DeepSeek-R1-FP4 on eight B200, attention DP8 + EP8, 1K/2K, 3,072 in flight, 384 a rank (analytic model):"
    )
    print(f"  decode steps graphed (padded to 384 a rank): {graphed:7,.0f} output tok/s per GPU")
    print(f"  every decode step eager:                     {eager:7,.0f} output tok/s per GPU")
    print(
        f"  the graphs' gain: engine {graphed / eager - 1:+.0%}, TensorRT-LLM tech blog 3 {PUBLISHED_GAIN:+.0%} "
        "(at an unstated stage of its optimisations)"
    )


if __name__ == "__main__":
    main()

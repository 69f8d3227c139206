"""Where the analytic screen agrees with the simulator, and where it does not.

Run: ``python benchmarks/analytic_vs_simulated.py``. For a grid of engines, models, GPUs, lengths and
concurrencies it estimates each closed-loop point with both serving models and prints the signed
difference (analytic vs simulated) of TTFT, ITL and output throughput, then the median |difference| per
engine and load band. The screen is trusted to rank layouts; the simulator judges the ones that lead.

SGLang runs prefill batches before decodes, so a closed loop of identical requests re-forms one cohort of
every client: all of them prefill in a train of chunks, then decode together and return together. Both
models follow that train (the screen in closed form, ``analytic._sglang_cohort``). vLLM's and TensorRT-LLM's
mixed steps pack a chunk's worth of prompts at a time instead: a loop of several such groups returns them one
step apart, each waiting for the chunk step of the group before it, which both models follow too. Where they
still part most is TensorRT-LLM's TTFT at moderate load.

A last group runs DeepSeek-R1 with data-parallel attention (eight groups on eight H200s, experts over the eight
ranks). There the simulator steps every group's batch and costs each step at its busiest group, where the screen
spreads a step's prompts and decodes evenly over the groups; a closed loop of identical requests keeps the groups'
batches equal in the simulator, which TensorRT-LLM's unpadded decode graphs need (a rank replays its graph only when
every rank holds the same batch), while the screen's mean batch per group is rarely whole, so the screen runs
TensorRT-LLM's unpadded decode steps eagerly where the simulator replays graphs. With its graphs padded, as NVIDIA's
recipes and the recommender run it, the two agree again.
"""

from __future__ import annotations

import statistics
from typing import Any

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import trtllm_fine_padded_sizes
from config_explorer.engine.serving import estimate

CASES = [
    ("meta-llama/Llama-3.1-8B-Instruct", "H100", 1),
    ("Qwen/Qwen3-32B", "H100", 2),
    ("meta-llama/Llama-3.3-70B-Instruct", "H200", 4),
    ("Qwen/Qwen3-30B-A3B", "H100", 1),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "H100", 2),
]
LENGTHS = [(512, 256), (2000, 256), (4096, 512), (1000, 1000)]
CONCURRENCY = [1, 4, 16, 64, 256]
ENGINES = ["vllm", "sglang", "trtllm"]


def band(c: int) -> str:
    return "light (c <= 4)" if c <= 4 else "medium (16)" if c <= 16 else "heavy (>= 64)"


#: data-parallel attention with experts over the ranks: DeepSeek-R1 on eight H200s, eight attention groups
DPA_CASES = [("deepseek-ai/DeepSeek-R1", "H200", 8)]
DPA_LENGTHS = [(1000, 1000), (8192, 1024)]
DPA_CONCURRENCY = [8, 64, 256]


def _compare(
    diffs: dict[tuple[str, str, str], list[float]], engine: str, model: str, gpu: str, tp: int, isl: int, osl: int,
    c: int, load: str, layout: dict[str, Any],
) -> None:  # fmt: skip
    """Both serving models at one closed-loop point: the signed differences printed, the absolute ones kept."""
    arch, spec = load_model(model), get_gpu(gpu)
    common = {
        "num_gpus": tp,
        "tp": tp,
        "input_length": isl,
        "output_length": osl,
        "concurrency": c,
        "engine": engine,
        **layout,
    }
    sim = estimate(arch, spec, **common)  # type: ignore[arg-type]
    ana = estimate(arch, spec, serving_model="analytic", **common)  # type: ignore[arg-type]
    if not (sim.ok and ana.ok):
        return
    row = []
    for name, a, s in (
        ("ttft", ana.ttft_ms, sim.ttft_ms),
        ("itl", ana.itl_ms, sim.itl_ms),
        ("throughput", ana.output_throughput_tok_s, sim.output_throughput_tok_s),
    ):
        d = (a - s) / s * 100 if a is not None and s else float("nan")
        diffs.setdefault((engine, load, name), []).append(abs(d))
        row.append(d)
    where = f"{tp:2d}" + (f" dpa{layout['dp_attention']}" if layout else "")
    where += " padded" if "engine_options" in layout else ""
    print(
        f"{engine:7s} {model[:36]:36s} {gpu:5s} {where} {isl:>4}/{osl:<4} {c:4d} | "
        f"{row[0]:+8.1f} {row[1]:+7.1f} {row[2]:+8.1f}"
    )


def _dpa_layouts(engine: str, tp: int) -> list[tuple[str, dict[str, Any]]]:
    """The data-parallel attention layouts compared: TensorRT-LLM's also with its decode graphs padded, as NVIDIA's
    recipes and the recommender run it."""
    layouts: list[tuple[str, dict[str, Any]]] = [("DP attention", {"ep": tp, "dp_attention": tp})]
    if engine == "trtllm":
        padded = {"cuda_graph_padding": True, "cuda_graph_batch_sizes": trtllm_fine_padded_sizes(2048)}
        layouts.append(("DPA, padded", {"ep": tp, "dp_attention": tp, "engine_options": padded}))
    return layouts


def main() -> None:
    diffs: dict[tuple[str, str, str], list[float]] = {}
    print(
        f"{'engine':7s} {'model':36s} {'gpu':5s} tp {'isl/osl':>9s} {'c':>4s} | "
        f"{'TTFT %':>8s} {'ITL %':>7s} {'tok/s %':>8s}"
    )
    for engine in ENGINES:
        for model, gpu, tp in CASES:
            for isl, osl in LENGTHS:
                for c in CONCURRENCY:
                    _compare(diffs, engine, model, gpu, tp, isl, osl, c, band(c), {})
        for model, gpu, tp in DPA_CASES:
            for load, layout in _dpa_layouts(engine, tp):
                for isl, osl in DPA_LENGTHS:
                    for c in DPA_CONCURRENCY:
                        _compare(diffs, engine, model, gpu, tp, isl, osl, c, load, layout)
    print("\nmedian |analytic - simulated| / simulated, %:")
    for (engine, load, name), values in sorted(diffs.items()):
        print(f"  {engine:7s} {load:15s} {name:10s} {statistics.median(values):6.1f}  (n={len(values)})")


if __name__ == "__main__":
    main()

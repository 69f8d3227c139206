"""Decode at long context, one request: the engine's ITL slope and intercept against context length beside the
fits vLLM's team published, held out.

Run: ``PYTHONPATH=src python benchmarks/long_context_decode.py``.

Source: "The State of FP8 KV-Cache and Attention Quantization in vLLM" (vLLM blog, 2026-04-22;
``vllm-project/vllm-project.github.io`` ``_posts/2026-04-22-fp8-kvcache.md`` at 5ffe2dd). vLLM v0.19.1 on one
GPU, ``vllm bench serve`` at concurrency 1 with 128 output tokens and input lengths swept from 256 to 125k; the
post fits ``ITL = slope x input_len + intercept`` and prints slope (ms a token of context) and intercept (ms) for
Llama-3.1-8B and gpt-oss-20b with a 16-bit and an FP8 KV cache, on an H100 (FlashAttention-3, after its FP8 fixes)
and a B200 (FlashInfer). The slope is decode attention's cost per cached token (the KV cache's bytes over the
kernel's read rate); the intercept the rest of a one-sequence step (weights, fixed kernel and host time).

The engine's figures are fitted the same way on its one-sequence decode step at the same input lengths (each at
its mean context, the input plus half the output), with vLLM 0.19.1's profile. Nothing here is fitted to the
post's numbers.
"""

from __future__ import annotations

import statistics
from typing import Final

from fit_kernels import fit_line

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import plan_deployment

SOURCE: Final = (
    "https://github.com/vllm-project/vllm-project.github.io/blob/5ffe2dd543a30f34309d71d8374803612223e9fb/"
    "_posts/2026-04-22-fp8-kvcache.md"
)
ENGINE: Final = "vllm==0.19.1"
OUTPUT_TOKENS: Final = 128
#: the post's sweep runs from 256 to 125k input tokens; its points are not listed, so the engine's fit takes these
INPUT_LENGTHS: Final = (256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 125_000)
#: (model, GPU, KV cache, published slope in ms a token of context, published intercept in ms)
PUBLISHED: Final[tuple[tuple[str, str, str, float, float], ...]] = (
    ("meta-llama/Llama-3.1-8B", "H100", "bf16", 4.37e-05, 6.44),
    ("meta-llama/Llama-3.1-8B", "H100", "fp8", 2.37e-05, 6.58),
    ("openai/gpt-oss-20b", "H100", "bf16", 8.94e-06, 4.03),
    ("openai/gpt-oss-20b", "H100", "fp8", 7.14e-06, 4.07),
    ("meta-llama/Llama-3.1-8B", "B200", "bf16", 1.80e-05, 3.93),
    ("meta-llama/Llama-3.1-8B", "B200", "fp8", 9.72e-06, 3.96),
    ("openai/gpt-oss-20b", "B200", "bf16", 3.56e-06, 3.15),
    ("openai/gpt-oss-20b", "B200", "fp8", 2.06e-06, 3.17),
)


def engine_fit(model: str, gpu: str, kv: str) -> tuple[float, float]:
    """(slope in ms a token of context, intercept in ms) of the engine's one-sequence decode step over
    :data:`INPUT_LENGTHS`, least squares as the post fits its measurements."""
    arch = load_model(model)
    xs, ys = [], []
    for length in INPUT_LENGTHS:
        plan = plan_deployment(
            arch,
            get_gpu(gpu),
            num_gpus=1,
            tp=1,
            input_length=length,
            output_length=OUTPUT_TOKENS,
            kv_precision=kv,
            engine=ENGINE,
        )
        xs.append(float(length))
        ys.append(plan.step_s(1, 0, 0) * 1e3)
    intercept, slope = fit_line(xs, ys)
    return slope, intercept


def main() -> None:
    print(
        f"one-request decode ITL = slope x input length + intercept: vLLM 0.19.1, published ({SOURCE}) vs engine\n"
    )
    print(
        f"{'model':24s} {'GPU':5s} {'KV':4s} {'slope ms/token':>15s} {'engine':>10s} {'error':>7s}"
        f" {'intercept ms':>13s} {'engine':>7s} {'error':>7s}"
    )
    slope_errors, intercept_errors = [], []
    for model, gpu, kv, slope, intercept in PUBLISHED:
        ours_slope, ours_intercept = engine_fit(model, gpu, kv)
        slope_error = (ours_slope / slope - 1.0) * 100
        intercept_error = (ours_intercept / intercept - 1.0) * 100
        slope_errors.append(abs(slope_error))
        intercept_errors.append(abs(intercept_error))
        print(
            f"{model.split('/')[-1]:24s} {gpu:5s} {kv:4s} {slope:15.3g} {ours_slope:10.3g} {slope_error:+6.0f}%"
            f" {intercept:13.2f} {ours_intercept:7.2f} {intercept_error:+6.0f}%"
        )
    print(
        f"\nmedian |error| over {len(PUBLISHED)} fits: slope {statistics.median(slope_errors):.1f}%, "
        f"intercept {statistics.median(intercept_errors):.1f}%"
    )


if __name__ == "__main__":
    main()

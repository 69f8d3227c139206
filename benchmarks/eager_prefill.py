"""SGLang's eager prefill: the host time per kernel, fitted on one published forward and checked on another.

SGLang replays CUDA graphs for decode batches but runs prefill (extend) batches eagerly unless it is
launched with ``--enable-piecewise-cuda-graph``: the Python code issues every kernel of the forward one
by one, and a prefill step cannot end before the host has issued them all. For a short prompt on a
large model that host time, not the GPU, sets the step's length, hence SGLang's TTFT floor of 90-150 ms
for DeepSeek-R1 and Qwen3-235B on eight B200s at one request in flight.

The engine charges ``kernels x EAGER_KERNEL_US["sglang"]`` for it, ``kernels`` being this library's
count of one forward's kernels (``layout.kernels_per_model``). This script

* **fits** that per-kernel time on the one published eager forward time we have: SGLang PR #12160's
  server log of a 1-token DeepSeek-V3 prefill, "forward cost" 82.6 ms eager (23.1 ms once the same
  forward was replayed as a CUDA graph) -- the fit is ``82.6 ms / kernels issued``. The PR names no GPU
  or layout; we take SGLang's usual DeepSeek-V3 deployment of its day, TP8 on Hopper (an H200), where
  SGLang fuses the shared expert into the routed experts, so its forward issues
  ``roofline.issued_kernels`` of them (the model's count less the shared expert's own);
* **checks** it, held out, on SGLang PR #13094's before/after table (Llama-3.1-8B-Instruct-FP8, TP8,
  1,024-token prompts, mean TTFT with and without piecewise CUDA graphs at 1-32 in flight): the
  engine's eager minus graphed prefill step against the published TTFT difference. The PR does not
  name its GPU (an H100 is assumed) and its piecewise graphs still run attention eagerly, so the
  published difference is the smaller of the two by construction.

    PYTHONPATH=src python benchmarks/eager_prefill.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import attrs

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import EAGER_KERNEL_US
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.roofline import StepCost, issued_kernels

DATA = Path(__file__).parent / "data" / "published_eager_prefill_points.csv"
#: the fit: SGLang PR #12160's model (its log prints the forward time only, no GPU or layout)
FIT_SOURCE = "https://github.com/sgl-project/sglang/pull/12160"
FIT_MODEL = "deepseek-ai/DeepSeek-V3"
#: the fit's layout: not stated by the PR (our assumption, see the module text)
FIT_GPU = "H200"
FIT_TP = 8
#: the check's GPU: PR #13094 does not name one (our assumption)
CHECK_GPU = "H100"
#: PR #13094's --piecewise-cuda-graph-max-tokens
PIECEWISE_GRAPH_MAX_TOKENS = 32768


def rows() -> list[dict[str, str]]:
    with DATA.open() as fh:
        return list(csv.DictReader(fh))


def fitted_kernel_us() -> float:
    """Host time per kernel of an eager forward (us), from the fit source's eager forward time."""
    (row,) = [
        r for r in rows() if r["source"] == FIT_SOURCE and r["metric"] == "forward_ms" and r["graphed"] == "0"
    ]
    return float(row["value"]) * 1e3 / fit_kernels()


def fit_kernels() -> int:
    """Kernels the fit source's eager forward issued, on the layout we take for it."""
    d = plan_deployment(
        load_model(FIT_MODEL),
        get_gpu(FIT_GPU),
        num_gpus=FIT_TP,
        tp=FIT_TP,
        input_length=1,
        output_length=1,
        engine="sglang",
    )
    return issued_kernels(d.costs)


def prefill_step_ms(model: str, precision: str, tp: int, tokens: int, graphed: bool) -> float:
    """One prefill step of ``tokens`` prompt tokens under SGLang's profile, eager or replayed as graphs."""
    d = plan_deployment(
        load_model(model),
        get_gpu(CHECK_GPU),
        num_gpus=tp,
        tp=tp,
        precision=precision,
        input_length=tokens,
        output_length=16,
        engine="sglang",
    )
    # with piecewise graphs up to that many tokens, every step of the PR's runs was graphed
    profile = (
        attrs.evolve(d.profile, prefill_in_graphs=True, graph_max_tokens=PIECEWISE_GRAPH_MAX_TOKENS)
        if graphed
        else d.profile
    )
    step = StepCost(d.costs, d.rates, profile)
    return step.time(0, 0, 0, tokens, tokens * (tokens + 1) / 2, 0, 1) * 1e3


def main() -> None:
    fitted = fitted_kernel_us()
    print(
        f"fit ({FIT_SOURCE}): eager 1-token {FIT_MODEL} forward, TP{FIT_TP} on an {FIT_GPU} assumed, over "
        f"{fit_kernels():,} kernels issued -> "
        f"{fitted:.1f} us per kernel (the engine uses {EAGER_KERNEL_US['sglang']:.1f})"
    )
    published: dict[str, dict[str, float]] = {}
    for r in rows():
        if r["source"] != FIT_SOURCE and r["metric"] == "ttft_ms_mean":
            published.setdefault(r["concurrency"], {})[r["graphed"]] = float(r["value"])
    print(
        f"\nheld out (SGLang PR #13094, Llama-3.1-8B-Instruct-FP8 TP8, 1,024-token prompts, {CHECK_GPU} assumed):"
    )
    eager = prefill_step_ms("meta-llama/Llama-3.1-8B-Instruct", "fp8", 8, 1024, graphed=False)
    graphed = prefill_step_ms("meta-llama/Llama-3.1-8B-Instruct", "fp8", 8, 1024, graphed=True)
    print(f"  engine: one 1,024-token prefill step {eager:.1f} ms eager, {graphed:.1f} ms replayed as graphs")
    for c, pair in sorted(published.items(), key=lambda kv: int(kv[0])):
        if "0" in pair and "1" in pair:
            diff = pair["0"] - pair["1"]
            print(
                f"  c={c:>2}: published mean TTFT {pair['0']:.1f} ms eager, {pair['1']:.1f} ms with piecewise "
                f"graphs: difference {diff:.1f} ms; engine's step difference {eager - graphed:.1f} ms"
            )


if __name__ == "__main__":
    main()

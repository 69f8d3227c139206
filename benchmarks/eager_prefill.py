"""SGLang's eager prefill: the host time per kernel, fitted on one published forward and checked on others.

SGLang replays CUDA graphs for decode batches. Through 0.5.9 it runs prefill (extend) batches eagerly unless
it is launched with ``--enable-piecewise-cuda-graph``: the Python code issues every kernel of the forward
one by one. From 0.5.10 piecewise graphs are on by default (``calibration.sglang_piecewise_graph_tokens``);
they split at every attention and all-reduce op, which still run eagerly between the graph pieces. For a
short prompt on a large model that host time, not the GPU, is most of the step, hence an eager SGLang's TTFT floor of
90-150 ms for DeepSeek-R1 and Qwen3-235B on eight B200s at one request in flight.

The engine charges ``kernels x EAGER_KERNEL_US["sglang"]`` for it on top of the step's GPU work (the
host stops within an eager forward to read data-dependent values back, so it cannot run ahead of the
GPU), ``kernels`` being this library's count of one forward's kernels (``roofline.issued_kernels``).
This script

* **fits** that per-kernel time on the one published pair of forward times we have for one model:
  SGLang PR #12160's server log of a 1-token DeepSeek-V3 prefill, "forward cost" 82.6 ms eager and
  23.1 ms once the same forward was replayed as a CUDA graph. The eager forward's host time is the
  difference, 59.5 ms, and the fit is ``59.5 ms / kernels issued``. The PR names no GPU or layout; we
  take SGLang's usual DeepSeek-V3 deployment of its day, TP8 on Hopper (an H200), where SGLang fuses
  the shared expert into the routed experts, so its forward issues ``roofline.issued_kernels`` of them
  (the model's count less the shared expert's own);
* **checks** it, held out, on tokenspeed PR #597 (a 2,048-token prefill of Kimi-K2.6, DeepSeek-V3's
  architecture with 384 experts: 123 ms eager, 55 ms with its prefill graphs, "about the GPU floor"):
  the engine's eager minus graphed step against the published difference, beside what the difference
  would be if the host ran ahead of the GPU and only the larger of the two counted (that model's fit
  charges the whole 82.6 ms as host time). Kimi-K2.6 is not in the bundled catalog; DeepSeek-V3 stands
  in for it, its layers issuing the same kernels;
* **checks** it, held out, on SGLang PR #13094's before/after table (Llama-3.1-8B-Instruct-FP8, TP8,
  1,024-token prompts, mean TTFT with and without piecewise CUDA graphs at 1-32 in flight): the
  engine's eager prefill step (a 0.5.9 profile) less its piecewise one (a 0.5.10 profile, whose split ops
  the host still issues) against the published TTFT difference. The PR does not name its
  GPU (an H100 is assumed).

    PYTHONPATH=src python benchmarks/eager_prefill.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import attrs

from config_explorer.architecture import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import EAGER_KERNEL_US, SGLANG_EAGER_LAUNCH_US, profile_release
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.roofline import StepCost, issued_kernels
from config_explorer.engine.serving import estimate
from config_explorer.engine.sglang_eager import sglang_eager_launches

DATA = Path(__file__).parent / "data" / "published_eager_prefill_points.csv"
#: the fit: SGLang PR #12160's model (its log prints the forward time only, no GPU or layout)
FIT_SOURCE = "https://github.com/sgl-project/sglang/pull/12160"
FIT_MODEL = "deepseek-ai/DeepSeek-V3"
#: the fit's layout: not stated by the PR (our assumption, see the module text)
FIT_GPU = "H200"
FIT_TP = 8
#: the check's GPU: PR #13094 does not name one (our assumption)
CHECK_GPU = "H100"
#: the second check: tokenspeed PR #597's Kimi-K2.6 prefill, with DeepSeek-V3 standing in for the model
#: and the fit's layout for the unstated GPU and TP
PREFILL_GRAPH_SOURCE = "https://github.com/lightseekorg/tokenspeed/pull/597"
PREFILL_GRAPH_TOKENS = 2048
#: the last SGLang release whose prompt steps run eagerly by default, and the first with piecewise graphs
EAGER_RELEASE = "sglang==0.5.9"
PIECEWISE_RELEASE = "sglang==0.5.10"
#: the releases the DeepSeek-R1 table compares (``sglang``: the newest rules read)
RELEASES = (EAGER_RELEASE, "sglang==0.5.12", "sglang==0.5.14", "sglang")


def rows() -> list[dict[str, str]]:
    with DATA.open() as fh:
        return list(csv.DictReader(fh))


def forward_ms(source: str) -> tuple[float, float]:
    """A source's published (eager, graphed) forward times, ms."""
    found = {
        r["graphed"]: float(r["value"])
        for r in rows()
        if r["source"] == source and r["metric"] == "forward_ms"
    }
    return found["0"], found["1"]


def fitted_kernel_us() -> float:
    """Host time per kernel of an eager forward (us): the fit source's eager forward time less the same
    forward replayed as graphs, over the kernels it issued."""
    eager, graphed = forward_ms(FIT_SOURCE)
    return (eager - graphed) * 1e3 / fit_kernels()


#: the SGLang release of the fit's forward: PR #12160 logged it on 2025-10-14, between 0.5.3 and 0.5.4 (our
#: assumption; the launch count is the same in both: no all-reduce fusion on Hopper before 0.5.7)
FIT_RELEASE = "sglang==0.5.4"


def fit_launches() -> int:
    """Launches the fit source's eager forward issued (``sglang_eager_launches``): one new token after a cached one,
    so DeepSeek's MLA in its absorbed form, on the layout we take for it."""
    d = _fit_plan(FIT_RELEASE)
    launches = sglang_eager_launches(
        d.arch,
        release=profile_release(d.profile),
        gpu_family=d.gpu.family,
        tp=FIT_TP,
        ep=1,
        dp_attention=1,
        weights=d.precision,
        kv_precision=d.kv_precision,
        trtllm_gen_moe=False,
        shared_fused=d.costs.shared_experts.mode == "fused",
        one_token_after_prefix=True,
    )
    assert launches is not None
    return launches


def fitted_launch_us() -> float:
    """Host time per launch of an eager forward (us): the fit source's eager less graphed forward over the launches
    its forward issued (``calibration.SGLANG_EAGER_LAUNCH_US``)."""
    eager, graphed = forward_ms(FIT_SOURCE)
    return (eager - graphed) * 1e3 / fit_launches()


def _fit_plan(engine: str) -> Deployment:
    """The fit source's one-token forward on the layout we take for it, under ``engine``'s release."""
    return plan_deployment(
        load_model(FIT_MODEL),
        get_gpu(FIT_GPU),
        num_gpus=FIT_TP,
        tp=FIT_TP,
        input_length=1,
        output_length=1,
        engine=engine,
    )


def fit_kernels() -> int:
    """Kernels the fit source's eager forward issued, on the layout we take for it."""
    return issued_kernels(_fit_plan(EAGER_RELEASE).costs)


def prefill_step_ms(
    model: str,
    precision: str | None,
    tp: int,
    tokens: int,
    engine: str = EAGER_RELEASE,
    gpu: str = CHECK_GPU,
    whole_graphs: bool = False,
) -> float:
    """One prefill step of ``tokens`` prompt tokens under ``engine``'s SGLang profile; ``whole_graphs``: the
    whole forward replayed as graphs, no op left eager (tokenspeed's prefill graphs)."""
    d = plan_deployment(
        load_model(model),
        get_gpu(gpu),
        num_gpus=tp,
        tp=tp,
        precision=precision,
        input_length=tokens,
        output_length=16,
        engine=engine,
    )
    profile = (
        attrs.evolve(d.profile, prefill_in_graphs=True, graph_max_tokens=1 << 20, prefill_graph_max_tokens=0)
        if whole_graphs
        else d.profile
    )
    step = StepCost(d.costs, d.rates, profile)
    pairs, windowed = step.prefill_pairs([(tokens, 0)])
    return step.time(0, 0, 0, tokens, pairs, windowed, 1) * 1e3


def main() -> None:
    fitted = fitted_kernel_us()
    eager_fit, graphed_fit = forward_ms(FIT_SOURCE)
    print(
        f"fit ({FIT_SOURCE}): 1-token {FIT_MODEL} forward {eager_fit:.1f} ms eager, {graphed_fit:.1f} ms graphed, "
        f"TP{FIT_TP} on an {FIT_GPU} assumed: {eager_fit - graphed_fit:.1f} ms of host time over "
        f"{fit_kernels():,} kernels issued -> "
        f"{fitted:.1f} us per kernel (the engine uses {EAGER_KERNEL_US['sglang']:.1f})"
    )
    print(
        f"  counted as launches SGLang's Python issues (engine.sglang_eager): {eager_fit - graphed_fit:.1f} ms over "
        f"{fit_launches():,} launches -> {fitted_launch_us():.1f} us per launch (the engine uses "
        f"{SGLANG_EAGER_LAUNCH_US:.1f} where it counts a model's launches)"
    )
    eager_pub, graphed_pub = forward_ms(PREFILL_GRAPH_SOURCE)
    tokens = PREFILL_GRAPH_TOKENS
    eager = prefill_step_ms(FIT_MODEL, None, FIT_TP, tokens, gpu=FIT_GPU)
    graphed = prefill_step_ms(FIT_MODEL, None, FIT_TP, tokens, gpu=FIT_GPU, whole_graphs=True)
    # the alternative: the host runs ahead, the step takes the larger of host and GPU, and the fit then
    # charges the whole eager forward as host time
    ahead = max(graphed, eager_fit) - graphed
    print(
        f"\nheld out (tokenspeed PR #597, Kimi-K2.6 {tokens:,}-token prefill; {FIT_MODEL} and TP{FIT_TP} on an "
        f"{FIT_GPU} stand in):\n"
        f"  published: {eager_pub:.0f} ms eager, {graphed_pub:.0f} ms with prefill graphs: difference "
        f"{eager_pub - graphed_pub:.0f} ms\n"
        f"  engine: {eager:.1f} ms eager, {graphed:.1f} ms graphed: difference {eager - graphed:.1f} ms "
        f"({(eager - graphed) / (eager_pub - graphed_pub) - 1:+.0%}); were the host to run ahead, "
        f"{ahead:.1f} ms ({ahead / (eager_pub - graphed_pub) - 1:+.0%})"
    )
    published: dict[str, dict[str, float]] = {}
    for r in rows():
        if r["metric"] == "ttft_ms_mean":
            published.setdefault(r["concurrency"], {})[r["graphed"]] = float(r["value"])
    print(
        f"\nheld out (SGLang PR #13094, Llama-3.1-8B-Instruct-FP8 TP8, 1,024-token prompts, {CHECK_GPU} assumed):"
    )
    eager = prefill_step_ms("meta-llama/Llama-3.1-8B-Instruct", "fp8", 8, 1024)
    graphed = prefill_step_ms("meta-llama/Llama-3.1-8B-Instruct", "fp8", 8, 1024, engine=PIECEWISE_RELEASE)
    print(
        f"  engine: one 1,024-token prefill step {eager:.1f} ms eager, {graphed:.1f} ms with piecewise graphs"
    )
    for c, pair in sorted(published.items(), key=lambda kv: int(kv[0])):
        if "0" in pair and "1" in pair:
            diff = pair["0"] - pair["1"]
            print(
                f"  c={c:>2}: published mean TTFT {pair['0']:.1f} ms eager, {pair['1']:.1f} ms with piecewise "
                f"graphs: difference {diff:.1f} ms; engine's step difference {eager - graphed:.1f} ms"
            )

    print(
        "\nthe engine's SGLang TTFT for DeepSeek-R1 at TP8, one request (its shared expert fused on the H200, not"
    )
    print(
        "on the B200, where SGLang picks the TensorRT-LLM-gen MoE runner), by release: 0.5.9 (eager), 0.5.12"
    )
    print(
        "(piecewise graphs, but not beside that runner), 0.5.14 (piecewise), newest (breakable graphs, but not for"
    )
    print("DeepSeek-V3 on Blackwell):")
    r1 = load_model("deepseek-ai/DeepSeek-R1")
    for gpu in ("H200", "B200"):
        for prompt in (64, 1024):
            ttft = [
                estimate(
                    r1, get_gpu(gpu), num_gpus=8, tp=8, input_length=prompt, output_length=64, engine=engine
                ).ttft_ms
                or 0.0
                for engine in RELEASES
            ]
            print(f"  {gpu}, {prompt:>5,}-token prompt: " + " / ".join(f"{t:.0f}" for t in ttft) + " ms")


if __name__ == "__main__":
    main()

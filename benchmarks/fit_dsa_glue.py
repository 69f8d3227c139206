"""vLLM's DeepSeek-sparse-attention module: the time its prompt tokens take beyond what the engine's terms charge.

Run: ``PYTHONPATH=src python benchmarks/fit_dsa_glue.py``.

vLLM runs DeepSeek-V3.2's lightning indexer on every GPU of the tensor-parallel group (``wq_b``, ``wk`` and
``weights_proj`` are ``ReplicatedLinear``, 64 index heads; 0.13.0 ``models/deepseek_v2.py``) and wraps it and the
sparse MLA kernel in many small passes: the indexer query's rope, concatenation and FP8 group quantization, its key's
norm, rope, quantization and cache write, the top-k buffer's fill, the top-k kernel, the index conversion, the
absorbed query's batched matmul and concatenation and its padding to 64 heads (an inventory with file and line:
``data/dsa_glue_evidence.md``). The engine charges the indexer's GEMM FLOPs, its logits and the sparse kernel; the
rest is one time per prompt token per layer, which this script measures on NVIDIA aiconfigurator's vLLM modules
(``data/dsa_module_times.csv``: the whole attention module of DeepSeek-V3.2 and the dense MLA module of DeepSeek-V3,
same heads, batch and prompt lengths, timed eagerly).

* **Per row**: the DeepSeek-V3.2 module less the DeepSeek-V3 module at the same GPU, release, heads, batch and
  prompt length, per prompt token, less what the engine charges the indexer per token there (its GEMMs at the
  engine's GEMM rate; its logits and pairs at prompts of at most ``SHORT`` tokens are a few nanoseconds). At
  such prompts vLLM 0.24's sparse kernel (which stops at each token's context) and the dense MLA kernel both
  take next to nothing, so what is left is the indexer's and the sparse path's own passes.
* **Fit** (:data:`FIT`): the median over the H200's vLLM 0.24.0 rows of prompts of at most ``SHORT`` tokens in
  steps of at least ``MIN_TOKENS``, all head counts. ``calibration.VLLM_DSA_PROMPT_GLUE_US`` is that value.
* **Held out**: the same quantity on the H100 (0.19.0 and 0.24.0), the B200 (0.19.0, 0.22.0, 0.24.0) and the H200's
  0.19.0 and 0.22.0 rows, by head count, and the serving points of ``benchmarks/accuracy.py`` (GPUStack's vLLM 0.13.0
  DeepSeek-V3.2 runs on eight H200s). vLLM 0.19 and 0.22 run the sparse kernel over all 2,048 top-k slots at 64
  padded heads whatever the prompt (the engine charges that, ``calibration.VLLM_SPARSE_MLA_FULL_TOPK_RELEASES``), so
  their difference carries that kernel too: printed apart, with the engine's charge for it taken off.
"""

from __future__ import annotations

import csv
import functools
import statistics
from collections import defaultdict
from pathlib import Path

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import VLLM_DSA_PROMPT_GLUE_US
from config_explorer.engine.deployment import Deployment, plan_deployment

DATA = Path(__file__).resolve().parent / "data" / "dsa_module_times.csv"
FIT = ("H200-SXM", "vLLM 0.24.0")
#: prompts this short leave the attention kernels next to nothing in vLLM 0.24
SHORT = 128
#: steps this large are past the eagerly timed module's fixed floor
MIN_TOKENS = 4096
GPUS = {"H100-SXM": "H100", "H200-SXM": "H200", "B200-SXM": "B200"}
HEADS_TOTAL = 128  # DeepSeek-V3.2's query heads: a row of h heads is TP 128 / h


@functools.cache
def plan(gpu: str, release: str, heads: int) -> Deployment:
    """DeepSeek-V3.2 at the tensor parallelism that leaves ``heads`` heads a GPU, as vLLM ``release`` serves it."""
    tp = HEADS_TOTAL // heads
    return plan_deployment(
        load_model("deepseek-ai/DeepSeek-V3.2"),
        get_gpu(GPUS[gpu]),
        num_gpus=tp,
        tp=tp,
        precision="fp8",
        kv_precision="bf16",
        engine=f"vllm=={release}",
        input_length=1024,
        output_length=128,
    )


def indexer_us_per_token(gpu: str, release: str, heads: int) -> float:
    """What the engine charges the indexer per prompt token per layer at short prompts: its GEMMs."""
    dep = plan(gpu, release, heads)
    return 2.0 * dep.arch.indexer_params_per_layer / dep.rates.gemm_flops * 1e6


def sparse_kernel_us_per_token(gpu: str, release: str, heads: int) -> float:
    """What the engine charges the sparse MLA kernel per prompt token per layer whatever the context: every top-k slot
    at the padded heads where the release computes them all (vLLM 0.11-0.23), 0 where it stops at the context."""
    dep = plan(gpu, release, heads)
    return dep.costs.attention_flops_per_token / dep.rates.attention_flops / dep.costs.layers * 1e6


def residuals() -> dict[tuple[str, str, int], list[float]]:
    """Per (GPU, release, heads): the rows' DSA-less-MLA time per prompt token less the engine's indexer (and, where
    it computes every slot, sparse-kernel) charge, microseconds, at prompts of at most ``SHORT`` tokens."""
    times: dict[tuple[str, str, str, int, int, int], float] = {}
    with DATA.open(newline="") as fh:
        for r in csv.DictReader(fh):
            key = (
                r["gpu"],
                r["framework"],
                r["module"],
                int(r["num_heads"]),
                int(r["batch_size"]),
                int(r["isl"]),
            )
            times[key] = float(r["time_us"])
    out: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for (gpu, framework, module, heads, batch, isl), dsa in times.items():
        tokens = batch * isl
        if module != "dsa" or isl > SHORT or tokens < MIN_TOKENS:
            continue
        mla = times.get((gpu, framework, "mla", heads, batch, isl))
        if mla is None:
            continue
        release = framework.split()[-1]
        charged = indexer_us_per_token(gpu, release, heads) + sparse_kernel_us_per_token(gpu, release, heads)
        out[(gpu, framework, heads)].append((dsa - mla) / tokens - charged)
    return out


def fitted() -> float:
    rows = [
        v for (gpu, framework, _), values in residuals().items() if (gpu, framework) == FIT for v in values
    ]
    return round(statistics.median(rows), 3)


def main() -> None:
    data = residuals()
    value = fitted()
    print(
        "vLLM's DeepSeek-V3.2 attention module less DeepSeek-V3's, per prompt token per layer, less the engine's "
        f"indexer (and full top-k) charge, us (prompts <= {SHORT} tokens, steps >= {MIN_TOKENS:,} tokens)\n"
    )
    print(f"  {'GPU':9} {'release':12} " + " ".join(f"{h:>6}h" for h in (16, 32, 64, 128)) + "   all")
    groups = sorted({(g, f) for g, f, _ in data})
    for gpu, framework in groups:
        cells = []
        every: list[float] = []
        for heads in (16, 32, 64, 128):
            values = data.get((gpu, framework, heads), [])
            every += values
            cells.append(f"{statistics.median(values):7.3f}" if values else f"{'-':>7}")
        tag = "  fit" if (gpu, framework) == FIT else ""
        print(f"  {gpu:9} {framework:12} " + " ".join(cells) + f" {statistics.median(every):6.3f}{tag}")
    held = [v for (g, f, _), values in data.items() if (g, f) != FIT for v in values]
    print(
        f"\nfitted (median over {FIT[0]} {FIT[1]}): {value} us a prompt token a layer "
        f"(calibration.VLLM_DSA_PROMPT_GLUE_US = {VLLM_DSA_PROMPT_GLUE_US}); "
        f"held-out rows' median {statistics.median(held):.3f}"
    )


if __name__ == "__main__":
    main()

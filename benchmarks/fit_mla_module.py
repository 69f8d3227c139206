"""vLLM's MLA decode layer on Hopper: the fixed time it takes beyond the engine's kernel count, fitted on
measured layer times and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_mla_module.py``.

The data is ``data/mla_module_times.csv``: NVIDIA aiconfigurator's ``mla_generation_module`` table (the
``aiconfigurator-core`` 0.12.0 wheel; ``tools/extract_mla_module_times.py`` extracts it): one DeepSeek-V3
MLA attention layer's decode forward on one GPU, with 16-128 of its heads (TP8 down to TP1), block-scaled FP8
projections, a 16-bit or FP8 KV cache, by batch size and context, for vLLM 0.24.0 and TensorRT-LLM
1.3.0rc20 on an H100, an H200 and a B200.

The engine charges an MLA layer its projections and latent attention streamed and computed at the GPU's
rates plus the fixed cost of the kernels it counts (``layout.kernels_per_model``), the same for every engine.
On TensorRT-LLM's layers that lands within a few microseconds at small batches (printed below as a check).
vLLM's layer on Hopper takes a near-constant 40-70 us more at every head count and batch up to 64, with
either of its Hopper backends (``FLASH_ATTN_MLA`` with a 16-bit cache, ``FLASHMLA`` with FP8), and about the
same as TensorRT-LLM's on a B200 (``FLASHINFER_MLA``). So the engine adds a fixed time per MLA layer to every
vLLM decode step on Hopper, ``calibration.VLLM_HOPPER_MLA_LAYER_US``:

* **Fit** (:data:`FIT`): the median, over the H200's rows with 16 heads (TP8, how DeepSeek is served), both
  KV formats, batches of 1-64 and contexts of up to 4,096 tokens, of vLLM's layer time less TensorRT-LLM's
  at the same point (the engine's base term tracks TensorRT-LLM's layer; the fit does not depend on it).
* **Held out**: every other Hopper row (the H100, 32-128 heads, batches of 128-1,024, 16,384-token contexts),
  printed as vLLM less TensorRT-LLM against the fitted constant, and the B200's rows, where the rule does
  not apply.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import VLLM_HOPPER_MLA_LAYER_US
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import MIXER_KERNELS
from config_explorer.engine.roofline import soft_max
from config_explorer.precision import bytes_per_value

DATA = Path(__file__).resolve().parent / "data" / "mla_module_times.csv"
MODEL = "deepseek-ai/DeepSeek-V3"
GPUS = {"H100-SXM": "H100", "H200-SXM": "H200", "B200-SXM": "B200"}
KV = {"bfloat16": "bf16", "fp8": "fp8"}
#: the fit subset: GPU, heads per GPU, largest batch, longest context
FIT = ("H200-SXM", 16, 64, 4096)


class Point(NamedTuple):
    gpu: str
    kv: str
    heads: int
    batch: int
    context: int
    vllm_us: float
    trtllm_us: float

    @property
    def extra_us(self) -> float:
        return self.vllm_us - self.trtllm_us

    @property
    def in_fit(self) -> bool:
        gpu, heads, batch, context = FIT
        return self.gpu == gpu and self.heads == heads and self.batch <= batch and self.context <= context


def points() -> list[Point]:
    """vLLM's and TensorRT-LLM's layer times, paired by GPU, KV format, heads, batch and context."""
    times: dict[tuple[str, str, int, int, int], dict[str, float]] = defaultdict(dict)
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = (
                row["gpu"],
                row["kv_cache_dtype"],
                int(row["num_heads"]),
                int(row["batch_size"]),
                int(row["context"]),
            )
            times[key][row["framework"].split(" ")[0]] = float(row["time_us"])
    return [
        Point(*key, both["vLLM"], both["TensorRT-LLM"])
        for key, both in sorted(times.items())
        if "vLLM" in both and "TensorRT-LLM" in both
    ]


def fitted(data: list[Point]) -> float:
    """The median of vLLM's extra time over the fit subset, us (rounded to 0.5 us)."""
    return round(2 * statistics.median(p.extra_us for p in data if p.in_fit)) / 2


def engine_layer_terms(
    gpu: str, kv: str, heads: int, batch: int, context: int
) -> tuple[float, float, float, float]:
    """The engine's base terms for one MLA layer's decode step: (projections, latent attention, fixed cost of the
    layer's kernels) in seconds, the first two each the soft maximum of streaming and computing them, and the
    bytes of latent cache the attention reads."""
    arch = load_model(MODEL)
    tp = arch.num_attention_heads // heads
    d = plan_deployment(
        arch,
        get_gpu(GPUS[gpu]),
        num_gpus=tp,
        tp=tp,
        precision="fp8",
        kv_precision=KV[kv],
        engine="trtllm",
        input_length=context,
        output_length=16,
    )
    r, c = d.rates, d.costs
    params = arch.attention_params_per_layer / tp
    projections = soft_max(
        params * bytes_per_value("fp8") / r.gemm_bandwidth, batch * 2 * params / r.gemm_flops
    )
    read = batch * context * c.kv_bytes_per_token_full / arch.num_layers
    pair_flops = c.attention_flops_per_pair_decode / arch.num_layers
    attention = soft_max(
        read / r.attention_bandwidth,
        batch * context * pair_flops / (r.attention_decode_flops or r.attention_flops),
    )
    gemm_kernels, small_kernels = MIXER_KERNELS["mla"]
    attention_kernel = max(
        r.attention_kernel_s - r.small_kernel_s, 0.0
    )  # one of the small ones, at its own cost
    fixed = gemm_kernels * r.gemm_kernel_s + small_kernels * r.small_kernel_s + attention_kernel
    return projections, attention, fixed, read


def engine_layer_us(gpu: str, kv: str, heads: int, batch: int, context: int) -> float:
    """The engine's base term for one MLA layer's decode step, us: its projections and latent attention,
    each the soft maximum of streaming and computing them, plus the fixed cost of the layer's kernels."""
    projections, attention, fixed, _ = engine_layer_terms(gpu, kv, heads, batch, context)
    return (projections + attention + fixed) * 1e6


def _row(label: str, group: list[Point], constant: float) -> str:
    extra = [p.extra_us for p in group]
    median = statistics.median(extra)
    return (
        f"  {label:57} {len(group):4}  {median:7.1f}  {min(extra):7.1f}  {max(extra):7.1f}   "
        f"{statistics.median(abs(e - constant) for e in extra):6.1f}"
    )


def main() -> None:
    data = points()
    constant = fitted(data)
    fit = [p for p in data if p.in_fit]
    print(
        f"fit (H200, 16 heads = TP8, batch <= {FIT[2]}, context <= {FIT[3]:,}, {len(fit)} points): vLLM's MLA "
        f"decode layer takes {constant:g} us more than TensorRT-LLM's (the engine holds "
        f"{VLLM_HOPPER_MLA_LAYER_US:g})\n"
    )
    print("vLLM less TensorRT-LLM per layer, us: median, min, max, and median |difference - constant|")
    print(f"  {'group':57} {'n':>4}  {'median':>7}  {'min':>7}  {'max':>7}   {'|miss|':>6}")
    print(_row("fit", fit, constant))
    held = [p for p in data if not p.in_fit and p.gpu != "B200-SXM"]
    groups: dict[str, list[Point]] = defaultdict(list)
    for p in held:
        size = "batch <= 64" if p.batch <= 64 else "batch 128-1,024"
        reach = "context <= 4,096" if p.context <= 4096 else "context 16,384"
        groups[f"held out {p.gpu[:4]} {p.kv:8} {size:15} {reach}"].append(p)
    for name, group in sorted(groups.items()):
        print(_row(name, group, constant))
    small = [p for p in held if p.batch <= 64 and p.context <= 4096]
    print(
        f"  held out, Hopper, batch <= 64, context <= 4,096 ({len(small)} points): median |difference - "
        f"constant| {statistics.median(abs(p.extra_us - constant) for p in small):.1f} us, "
        f"{statistics.median(abs(p.extra_us) for p in small):.1f} us without the constant"
    )
    blackwell = [p for p in data if p.gpu == "B200-SXM" and p.batch <= 64 and p.context <= 4096]
    print(
        f"  B200 (no rule: vLLM runs FLASHINFER_MLA), batch <= 64, context <= 4,096: median vLLM less "
        f"TensorRT-LLM {statistics.median(p.extra_us for p in blackwell):.1f} us\n"
    )
    print(
        "check: the engine's base MLA layer against TensorRT-LLM's measured one (H200, 16 heads, 16-bit KV), us"
    )
    print(f"  {'batch':>5}  {'context':>7}  {'engine':>7}  {'TRT-LLM':>7}  {'vLLM':>7}")
    shown = [
        p
        for p in data
        if (p.gpu, p.heads, p.kv) == ("H200-SXM", 16, "bfloat16")
        and p.context in (1024, 16384)
        and p.batch in (1, 4, 16, 64, 256)
    ]
    for p in shown:
        engine = engine_layer_us(p.gpu, p.kv, p.heads, p.batch, p.context)
        print(f"  {p.batch:5}  {p.context:7,}  {engine:7.1f}  {p.trtllm_us:7.1f}  {p.vllm_us:7.1f}")


if __name__ == "__main__":
    main()

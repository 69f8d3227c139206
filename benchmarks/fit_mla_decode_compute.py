"""MLA decode attention on Blackwell at 64 and 128 heads a GPU (data-parallel attention's ranks): the share of the
bandwidth its kernel reads the latent cache at and the share of the 16-bit peak its arithmetic runs at, by engine
kernel and KV format, fitted on measured kernel times and checked held out.

Run: ``PYTHONPATH=src python benchmarks/fit_mla_decode_compute.py``.

MLA's absorbed decode attends every query head to one shared latent cache (576 values a token), so each cached value
feeds ``heads x 2,176 / 576`` FLOPs: at 16 heads a GPU (DeepSeek-V3 at TP8) the kernel is bound by its read, and
``benchmarks/fit_decode_attention.py`` fits its bandwidth share there; at 64 and 128 heads (data-parallel attention
gives a rank every head) the arithmetic matters as much. The engine charged it at FlashMLA's published 660 TFLOPS on
an H800 (0.667 of the 16-bit peak) on every GPU. On Blackwell, with an FP8 cache, TensorRT-LLM's generation MLA kernel
runs FP8 arithmetic (``mFP8GenerationMLA`` follows the cache's FP8 mode and the query is quantized into
``quant_q_buf``: ``attentionOp`` in TensorRT-LLM), and so does SGLang's ``trtllm_mla`` backend, its default for
DeepSeek-V3-class checkpoints on Blackwell, which reads the FP8 cache as stored.

The data is ``data/generation_mla_times.csv``: NVIDIA aiconfigurator's ``generation_mla`` tables (the MLA attention
kernel alone, one query token per sequence against ``context`` cached latent vectors; the ``aiconfigurator-core``
0.12.0 wheel, ``tools/extract_generation_attention_times.py`` extracts them) of SGLang 0.5.14 and TensorRT-LLM
1.3.0rc20 on a B200, a B300 and a GB200.

The engine's model of such a kernel is its family's fixed kernel time plus the soft maximum of the cache read at a
bandwidth share and the FLOPs at a compute share, the latter at most the format's tensor peak (1 for 16-bit
arithmetic, 2 for FP8, as shares of the 16-bit peak):

* **Fit**: on the B200, each engine's kernel and KV format, the pair of shares that reproduces its 64- and 128-head
  rows best (least squares in log time): ``calibration.BLACKWELL_WIDE_MLA_DECODE``.
* **Held out**: the same kernels on the B300 and the GB200, printed as the median of measured / modelled time, beside
  the engine's former charge (the 16-head bandwidth share and FlashMLA's compute share).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    BLACKWELL_MLA_DECODE_BANDWIDTH,
    BLACKWELL_WIDE_MLA_DECODE,
    MLA_DECODE_COMPUTE,
    efficiency_for,
)
from config_explorer.engine.roofline import soft_max

DATA = Path(__file__).resolve().parent / "data" / "generation_mla_times.csv"
#: the GPUs (the data's labels, which the catalog resolves) whose rows are read
GPUS = frozenset({"B200-SXM", "B300-SXM", "GB200"})
FIT_GPU = "B200-SXM"
ENGINES = {"TensorRT-LLM": "trtllm", "SGLang": "sglang"}
FORMATS = {"bfloat16": "16-bit", "fp8": "fp8"}
#: the most the arithmetic can reach, as a share of the 16-bit peak: the format's tensor peak
PEAK_SHARE = {"16-bit": 1.0, "fp8": 2.0}
#: MLA's latent vector cached per token and layer (values), and the FLOPs one query head spends on one of them
#: in the absorbed form (scores over 576 values, the weighted sum over 512, a multiply and an add each)
LATENT = 576
PAIR_FLOPS_PER_HEAD = 2 * (LATENT + 512)
HEADS = (64, 128)

Point = tuple[int, int, int, float]  # heads, batch, context, measured seconds
Group = tuple[str, str, str]  # GPU, engine, KV format


def points() -> dict[Group, list[Point]]:
    """(GPU, engine, KV format) -> the 64- and 128-head points of the engine's default MLA kernel on Blackwell."""
    out: dict[Group, list[Point]] = defaultdict(list)
    with DATA.open() as fh:
        for r in csv.DictReader(fh):
            heads = int(r["num_heads"])
            if heads not in HEADS or r["gpu"] not in GPUS:
                continue
            key = (r["gpu"], ENGINES[r["framework"].split()[0]], FORMATS[r["kv_cache_dtype"]])
            out[key].append((heads, int(r["batch_size"]), int(r["context"]), float(r["time_us"]) * 1e-6))
    return out


def modelled_s(gpu: str, kv: str, point: Point, bandwidth_share: float, compute_share: float) -> float:
    """The engine's time for one MLA decode-attention kernel at ``point``."""
    spec = get_gpu(gpu)
    heads, batch, context, _ = point
    value_bytes = 1.0 if kv == "fp8" else 2.0
    read = batch * context * LATENT * value_bytes / (spec.memory_bandwidth_bytes_s * bandwidth_share)
    flops = (
        batch * context * heads * PAIR_FLOPS_PER_HEAD / (spec.gemm_tflops("bf16")[0] * 1e12 * compute_share)
    )
    return efficiency_for(spec.family).attention_kernel_us * 1e-6 + soft_max(read, flops)


def _golden(f: Callable[[float], float], low: float, high: float, steps: int = 32) -> float:
    """The argument in [low, high] at which the unimodal ``f`` is least."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(steps):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if f(a) < f(b):
            high = b
        else:
            low = a
    return (low + high) / 2.0


def fitted(gpu: str, kv: str, group: list[Point]) -> tuple[float, float]:
    """(bandwidth share, compute share) that fit ``group`` best in log time, the compute share at most the format's
    tensor peak."""

    def error(bandwidth: float, compute: float) -> float:
        return sum(math.log(modelled_s(gpu, kv, p, bandwidth, compute) / p[3]) ** 2 for p in group)

    def best_bandwidth(compute: float) -> float:
        return _golden(lambda b: error(b, compute), 0.2, 1.2)

    compute = _golden(lambda c: error(best_bandwidth(c), c), 0.1, PEAK_SHARE[kv])
    return round(best_bandwidth(compute), 3), round(compute, 3)


def fits() -> dict[tuple[str, str], tuple[float, float]]:
    """(engine, KV format) -> the (bandwidth, compute) shares fitted on the B200's rows."""
    return {
        (engine, kv): fitted(gpu, kv, group)
        for (gpu, engine, kv), group in sorted(points().items())
        if gpu == FIT_GPU
    }


def former(kv: str) -> tuple[float, float]:
    """The engine's charge before this fit: the TensorRT-LLM-gen kernel's 16-head bandwidth share (both engines' tables
    time that kernel) and FlashMLA's compute share."""
    shares = BLACKWELL_MLA_DECODE_BANDWIDTH["trtllm"]
    return shares[1 if kv == "fp8" else 0], MLA_DECODE_COMPUTE


def achieved(gpu: str, group: list[Point]) -> float:
    """The median share of the 16-bit peak the FLOPs of ``group``'s 128-head points attending at least 64 x 16,384
    pairs ran at (the family's fixed kernel time taken off): the arithmetic the kernel reached, whatever bound it."""
    spec = get_gpu(gpu)
    fixed = efficiency_for(spec.family).attention_kernel_us * 1e-6
    peak = spec.gemm_tflops("bf16")[0] * 1e12
    return statistics.median(
        b * c * h * PAIR_FLOPS_PER_HEAD / (t - fixed) / peak
        for h, b, c, t in group
        if h == 128 and b * c >= 64 * 16384
    )


def main() -> int:
    print("measured (B200, 128 heads, at least 64 x 16,384 pairs): FLOPs a second over the 16-bit peak")
    for (gpu, engine, kv), group in sorted(points().items()):
        if gpu == FIT_GPU:
            print(f"  {engine:7} {kv:6} {achieved(gpu, group):.2f}")
    print("fit (B200, 64 and 128 heads): bandwidth share, compute share (of the 16-bit peak)")
    for (engine, kv), (bandwidth, compute) in fits().items():
        print(
            f"  {engine:7} {kv:6} {bandwidth:.3f}, {compute:.3f}  (engine: {BLACKWELL_WIDE_MLA_DECODE.get((engine, kv))})"
        )
    print("held out: median measured / modelled time (the former charge's in brackets)")
    errors, before = [], []
    for (gpu, engine, kv), group in sorted(points().items()):
        shares = BLACKWELL_WIDE_MLA_DECODE[(engine, kv)]
        cells = []
        for heads in HEADS:
            now = [p[3] / modelled_s(gpu, kv, p, *shares) for p in group if p[0] == heads]
            then = [p[3] / modelled_s(gpu, kv, p, *former(kv)) for p in group if p[0] == heads]
            if gpu != FIT_GPU:
                errors += [abs(r - 1.0) for r in now]
                before += [abs(r - 1.0) for r in then]
            cells.append(f"{heads} heads {statistics.median(now):.3f} ({statistics.median(then):.3f})")
        label = "fit" if gpu == FIT_GPU else "held out"
        print(f"  {gpu:9} {engine:7} {kv:6} " + ", ".join(cells) + f"  [{label}, {len(group)} points]")
    print(
        f"held out (B300, GB200): median |measured / modelled - 1| {statistics.median(errors):.3f} over "
        f"{len(errors)} points (former charge: {statistics.median(before):.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

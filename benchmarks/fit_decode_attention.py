"""Decode attention's share of the memory bandwidth by engine kernel and KV format, read off measured kernel
times and checked held out.

Run: ``PYTHONPATH=src python benchmarks/fit_decode_attention.py``.

Grouped-query attention: ``data/generation_attention_times.csv``, NVIDIA aiconfigurator's ``generation_attention``
tables (the ``aiconfigurator-core`` 0.12.0 wheel; ``tools/extract_generation_attention_times.py`` extracts them):
one layer's decode attention (one query token per sequence, heads of size 128, a 16-bit or FP8 KV cache) for vLLM
0.24.0, SGLang 0.5.14 and TensorRT-LLM 1.3.0rc20 on an H100, an H200, a B200, a B300 and a GB200, at every point
that reads at least 200 MB of cache. A group's share is the one that, in the engine's own model of a decode-attention
kernel (the family's fixed ``attention_kernel_us``, then the cache read at that share of the GPU's catalog
bandwidth), reproduces the group's times best: least squares in log time. (Read as the median of bytes over time,
as before, the fixed time is folded into the share and then charged again, which puts the shares 0.1-0.15 low.)

* **Fit**: on the B200, each engine's default decode kernel (TensorRT-LLM's, vLLM's FlashInfer TensorRT-LLM-gen
  decode, SGLang's ``trtllm_mha`` from 0.5.7 and its ``flashinfer`` before), both KV formats
  (``calibration.DECODE_ATTENTION_BANDWIDTH``), taken for every Blackwell GPU; on the H200, each engine's Hopper
  kernel's 16-bit share (``calibration.HOPPER_DECODE_ATTENTION_BANDWIDTH``) and the FP8 cache values a second it
  reads (``calibration.HOPPER_FP8_DECODE_VALUES_S``), a cap on that share, taken for every Hopper part but the
  H100 SXM, which reads at its own tables' fit (``calibration.H100_DECODE_ATTENTION``).
* **Held out**: the B300's and GB200's tables; and, in ``benchmarks/long_context_decode.py``, the vLLM team's
  one-request ITL slopes against context length on an H100 and a B200.
* **Heads of 64 values** (gpt-oss's): fitted, on the H200 and the B200, each engine's FP8 rate at 64 over that at 128
  (``calibration.FP8_DECODE_HEAD_64_FACTOR``); held out, the H100's, B300's and GB200's 64-value shares against the
  engine's.

MLA: ``data/mla_module_times.csv`` (aiconfigurator's ``mla_generation_module`` tables, one DeepSeek-V3 MLA layer's
decode forward; see ``benchmarks/fit_mla_module.py``). The attention's time is the layer's less its projections and
fixed time as the engine charges them (and vLLM's measured extra per layer on Hopper); its share is the latent
cache's bytes over that. Fitted on the 16-head (TP8) rows reading at least 200 MB: the H200's 16-bit share and FP8
values a second (``HOPPER_MLA_DECODE_BANDWIDTH``, ``HOPPER_FP8_MLA_DECODE_VALUES_S``), held out on the H100 and on
32 and 64 heads; the B200's shares (``BLACKWELL_MLA_DECODE_BANDWIDTH``). Held out as well:
``data/generation_mla_times.csv``, aiconfigurator's ``generation_mla`` tables (the MLA attention kernel alone, SGLang
0.5.14's and TensorRT-LLM 1.3's, on all five GPUs at 16 and 32 heads), against the engine's shares. The B200's
32-head share over its 16-head share, over both MLA tables, is ``BLACKWELL_MLA_32_HEAD_FACTOR`` (held out on the
B300's and GB200's 32-head rows); SGLang's FP8 MLA on Hopper, whose kernel converts its cache to 16-bit first, is
read against the engine's conversion (``sglang_kv_pool_conversion_s``) plus a 16-bit read.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path

from fit_mla_module import DATA as MLA_DATA
from fit_mla_module import engine_layer_terms

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    BLACKWELL_MLA_32_HEAD_FACTOR,
    BLACKWELL_MLA_DECODE_BANDWIDTH,
    DECODE_ATTENTION_BANDWIDTH,
    FP8_DECODE_HEAD_64_FACTOR,
    H100_DECODE_ATTENTION,
    HOPPER_DECODE_ATTENTION_BANDWIDTH,
    HOPPER_FP8_DECODE_VALUES_S,
    HOPPER_FP8_MLA_DECODE_VALUES_S,
    HOPPER_MLA_DECODE_BANDWIDTH,
    SGLANG_FLASHINFER_DECODE_BANDWIDTH,
    VLLM_HOPPER_MLA_LAYER_US,
    decode_attention_bandwidth,
    efficiency_for,
    profile_for,
    sglang_kv_pool_conversion_s,
)

DATA = Path(__file__).resolve().parent / "data" / "generation_attention_times.csv"
MLA_KERNEL_DATA = Path(__file__).resolve().parent / "data" / "generation_mla_times.csv"
#: MLA's latent vector cached per token and layer (values)
MLA_LATENT = 576
ENGINES = {"TensorRT-LLM": "trtllm", "vLLM": "vllm", "SGLang": "sglang"}
#: each engine's default decode kernel for grouped-query attention, by family (SGLang's Blackwell default before
#: 0.5.7 is its ``flashinfer`` kernel, read apart)
DEFAULT_KERNEL = {
    ("trtllm", "blackwell"): "torch_flow",
    ("vllm", "blackwell"): "vllm_flashinfer_trtllmdecode",
    ("sglang", "blackwell"): "trtllm_mha",
    ("trtllm", "hopper"): "torch_flow",
    ("vllm", "hopper"): "vllm_flash_attn_fa3",
    ("sglang", "hopper"): "fa3",
}
FIT_GPU = {"blackwell": "B200-SXM", "hopper": "H200-SXM"}
KV = ("bfloat16", "fp8")
ENGINE_NAMES = ("trtllm", "vllm", "sglang")
#: the MLA tables' kernels, by the engine whose MLA path each stands for
MLA_KERNELS = {
    ("trtllm", "16-bit"): "default",
    ("trtllm", "fp8"): "default",
    ("vllm", "16-bit"): "FLASH_ATTN_MLA",
    ("vllm", "fp8"): "FLASHMLA",
}
#: the smallest cache read (bytes) a point is read at
MIN_READ_BYTES = 200e6


def bandwidth(gpu: str) -> float:
    return get_gpu(gpu).memory_bandwidth_bytes_s


def fitted_share(points: list[tuple[float, float]], bandwidth_bytes_s: float, fixed_s: float) -> float:
    """The share ``s`` of ``bandwidth_bytes_s`` at which the engine's model of one decode-attention kernel, its fixed
    time ``fixed_s`` plus the cache read at ``s`` of the bandwidth, best reproduces ``points`` ((bytes read,
    seconds) each): least squares in log time, searched over 0.1-1.2 in steps of 0.01, then of 0.0005 around the
    best (the error is unimodal in ``s``)."""

    def error(share: float) -> float:
        return sum(
            (math.log(fixed_s + read / (bandwidth_bytes_s * share)) - math.log(seconds)) ** 2
            for read, seconds in points
        )

    coarse = min((step * 0.01 for step in range(10, 121)), key=error)
    return min((coarse + step * 0.0005 for step in range(-20, 21)), key=error)


def shares(head_dim: int = 128) -> dict[tuple[str, str, str, str], float]:
    """(GPU, engine, kernel, KV dtype) -> the share of the catalog bandwidth at which its grouped-query points of
    heads of ``head_dim`` read their cache in the engine's own model of the kernel (the family's fixed
    attention-kernel time, then the read at that share): :func:`fitted_share` over the group's points."""
    points: dict[tuple[str, str, str, str], list[tuple[float, float]]] = defaultdict(list)
    with DATA.open() as fh:
        for r in csv.DictReader(fh):
            if int(r["head_dim"]) != head_dim:
                continue
            engine = ENGINES[r["framework"].split()[0]]
            kv_bytes = 1 if r["kv_cache_dtype"] == "fp8" else 2
            read = (
                int(r["batch_size"])
                * int(r["context"])
                * int(r["num_kv_heads"])
                * int(r["head_dim"])
                * 2
                * kv_bytes
            )
            seconds = float(r["time_us"]) * 1e-6
            points[(r["gpu"], engine, r["kernel_source"], r["kv_cache_dtype"])].append((read, seconds))
    return {
        key: fitted_share(values, bandwidth(key[0]), kernel_fixed_s(key[0])) for key, values in points.items()
    }


def kernel_fixed_s(gpu: str) -> float:
    """The fixed time the engine charges one decode-attention kernel on ``gpu`` (its family's), seconds."""
    return efficiency_for(get_gpu(gpu).family).attention_kernel_us * 1e-6


def mla_shares() -> dict[tuple[str, str, str, str, int], float]:
    """(GPU, engine, kernel, KV dtype, heads) -> the median share of the bandwidth at which one MLA layer's decode
    attention reads its latent cache, from the layer's measured time less its projections and fixed time as the
    engine charges them (``fit_mla_module.engine_layer_terms``; and vLLM's measured extra per layer on Hopper)."""
    points: dict[tuple[str, str, str, str, int], list[float]] = defaultdict(list)
    with MLA_DATA.open() as fh:
        for r in csv.DictReader(fh):
            gpu, kv, heads = r["gpu"], r["kv_cache_dtype"], int(r["num_heads"])
            projections, _, fixed, read = engine_layer_terms(
                gpu, kv, heads, int(r["batch_size"]), int(r["context"])
            )
            if read < MIN_READ_BYTES:
                continue
            engine = ENGINES[r["framework"].split()[0]]
            if engine == "vllm" and gpu != "B200-SXM":
                fixed += VLLM_HOPPER_MLA_LAYER_US * 1e-6
            attention = float(r["time_us"]) * 1e-6 - projections - fixed
            points[(gpu, engine, r["kernel_source"], kv, heads)].append(read / attention / bandwidth(gpu))
    return {key: statistics.median(values) for key, values in points.items()}


def mla_kernel_shares() -> dict[tuple[str, str, str, str, int], float]:
    """(GPU, engine, kernel, KV dtype, heads) -> the median share of the bandwidth at which the MLA attention kernel
    alone (aiconfigurator's ``generation_mla`` tables) reads its latent cache."""
    points: dict[tuple[str, str, str, str, int], list[float]] = defaultdict(list)
    with MLA_KERNEL_DATA.open() as fh:
        for r in csv.DictReader(fh):
            kv_bytes = 1 if r["kv_cache_dtype"] == "fp8" else 2
            read = int(r["batch_size"]) * int(r["context"]) * MLA_LATENT * kv_bytes
            engine = ENGINES[r["framework"].split()[0]]
            key = (r["gpu"], engine, r["kernel_source"], r["kv_cache_dtype"], int(r["num_heads"]))
            points[key].append(read / (float(r["time_us"]) * 1e-6) / bandwidth(r["gpu"]))
    return {key: statistics.median(values) for key, values in points.items()}


def modelled(
    engine: str,
    gpu: str,
    kv: str,
    *,
    mla: bool,
    model_class: str = "LlamaForCausalLM",
    heads: int = 16,
    head_dim: int = 128,
) -> float:
    family = get_gpu(gpu).family
    return decode_attention_bandwidth(
        profile_for(engine),
        gpu_family=family,
        family_share=efficiency_for(family).attention_bandwidth,
        bandwidth_bytes_s=bandwidth(gpu),
        kv_value_bytes=1.0 if kv == "fp8" else 2.0,
        mla=mla,
        model_class=model_class,
        heads_per_gpu=heads,
        gpu_name=get_gpu(gpu).name,
        head_dim=head_dim,
    )


def thirty_two_head_ratios(
    module: dict[tuple[str, str, str, str, int], float], kernels: dict[tuple[str, str, str, str, int], float]
) -> list[float]:
    """The B200's 32-head share over its 16-head share, for every MLA table, kernel and KV format."""
    ratios = []
    for table in (module, kernels):
        for (gpu, engine, kernel, kv, heads), value in table.items():
            if gpu == "B200-SXM" and heads == 32 and (gpu, engine, kernel, kv, 16) in table:
                ratios.append(value / table[(gpu, engine, kernel, kv, 16)])
    return ratios


def _grouped_query(share: dict[tuple[str, str, str, str], float], errors: list[float]) -> None:
    print(
        f"grouped-query decode attention reading >= 200 MB ({DATA.name}): the share of the catalog bandwidth that, "
        "after the engine's fixed\nattention-kernel time, reproduces each group's times (least squares in log time)\n"
    )
    print(f"  {'GPU':9} {'engine':7} {'kernel':30} {'16-bit':>7} {'FP8':>7}  FP8 values/s")
    for (gpu, engine, kernel, kv), value in sorted(share.items()):
        if kv == "bfloat16":
            fp8 = share[(gpu, engine, kernel, "fp8")]
            print(f"  {gpu:9} {engine:7} {kernel:30} {value:7.3f} {fp8:7.3f}  {fp8 * bandwidth(gpu):.3g}")

    print("\nfit (B200, each engine's default kernel): fitted 16-bit / FP8 share, the engine's")
    for engine in ENGINE_NAMES:
        kernel = DEFAULT_KERNEL[(engine, "blackwell")]
        fitted = [share[(FIT_GPU["blackwell"], engine, kernel, kv)] for kv in KV]
        held = DECODE_ATTENTION_BANDWIDTH[(engine, "blackwell")]
        print(f"  {engine:7} {kernel:30} {fitted[0]:.3f} / {fitted[1]:.3f}, {held[0]:.3f} / {held[1]:.3f}")
    fitted = [share[(FIT_GPU["blackwell"], "sglang", "flashinfer", kv)] for kv in KV]
    old = SGLANG_FLASHINFER_DECODE_BANDWIDTH
    print(
        f"  sglang  {'flashinfer (before 0.5.7)':30} {fitted[0]:.3f} / {fitted[1]:.3f}, {old[0]:.3f} / {old[1]:.3f}"
    )
    print(
        "fit (H200, each engine's Hopper kernel): fitted 16-bit share, the engine's; FP8 cache values a second, "
        "the engine's"
    )
    for engine in ENGINE_NAMES:
        kernel = DEFAULT_KERNEL[(engine, "hopper")]
        sixteen = share[(FIT_GPU["hopper"], engine, kernel, "bfloat16")]
        values = share[(FIT_GPU["hopper"], engine, kernel, "fp8")] * bandwidth(FIT_GPU["hopper"])
        print(
            f"  {engine:7} {kernel:30} {sixteen:.3f}, {HOPPER_DECODE_ATTENTION_BANDWIDTH[engine]:.3f}; "
            f"{values:.4g}, {HOPPER_FP8_DECODE_VALUES_S[engine]:.4g}"
        )

    h100 = "H100-SXM"
    print("fit (H100 SXM, its own tables, which it reads at in place of the H200's): the same figures")
    for engine in ENGINE_NAMES:
        kernel = DEFAULT_KERNEL[(engine, "hopper")]
        sixteen = share[(h100, engine, kernel, "bfloat16")]
        values = share[(h100, engine, kernel, "fp8")] * bandwidth(h100)
        own = H100_DECODE_ATTENTION[engine]
        print(f"  {engine:7} {kernel:30} {sixteen:.3f}, {own[0]:.3f}; {values:.4g}, {own[1]:.4g}")

    print("\nheld out: fitted share / the engine's share")
    for gpu in ("B300-SXM", "GB200"):
        family = get_gpu(gpu).family
        for engine in ENGINE_NAMES:
            kernel = DEFAULT_KERNEL[(engine, family)]
            cells = []
            for kv in KV:
                ratio = share[(gpu, engine, kernel, kv)] / modelled(engine, gpu, kv, mla=False)
                errors.append(abs(ratio - 1.0))
                cells.append(f"{kv} {ratio:.3f}")
            print(f"  {gpu:9} {engine:7} {kernel:30} {'  '.join(cells)}")
    blackwell = efficiency_for("blackwell").attention_bandwidth
    cells = [
        f"{engine} {kv} {share[('B300-SXM', engine, DEFAULT_KERNEL[(engine, 'blackwell')], kv)] / blackwell:.2f}"
        for engine in ENGINE_NAMES
        for kv in KV
    ]
    print(
        f"the family figure alone ({blackwell:.2f}, any KV format) against the B300's tables: {', '.join(cells)}"
    )


def _head_size(
    share: dict[tuple[str, str, str, str], float],
    small: dict[tuple[str, str, str, str], float],
    errors: list[float],
) -> None:
    """Heads of 64 values: the FP8 factor fitted on the H200 and the B200 (the FP8 rate at 64 over that at 128),
    beside the engine's, then every other GPU's shares at 64 held out against the engine's."""
    print(
        "\nheads of 64 values (gpt-oss's): fit (H200 and B200, each engine's default kernel): the FP8 rate at 64 over "
        "that at 128, the engine's; the 16-bit share's ratio, which the engine keeps at 1"
    )
    for family, gpu in FIT_GPU.items():
        for engine in ENGINE_NAMES:
            kernel = DEFAULT_KERNEL[(engine, family)]
            fp8 = small[(gpu, engine, kernel, "fp8")] / share[(gpu, engine, kernel, "fp8")]
            sixteen = small[(gpu, engine, kernel, "bfloat16")] / share[(gpu, engine, kernel, "bfloat16")]
            print(
                f"  {gpu:9} {engine:7} {kernel:30} {fp8:.3f}, {FP8_DECODE_HEAD_64_FACTOR[family][engine]:.3f}; "
                f"16-bit {sixteen:.3f}"
            )
    print("held out (heads of 64): fitted share / the engine's share")
    for gpu in ("H100-SXM", "B300-SXM", "GB200"):
        family = get_gpu(gpu).family
        for engine in ENGINE_NAMES:
            kernel = DEFAULT_KERNEL[(engine, family)]
            cells = []
            for kv in KV:
                ratio = small[(gpu, engine, kernel, kv)] / modelled(engine, gpu, kv, mla=False, head_dim=64)
                errors.append(abs(ratio - 1.0))
                cells.append(f"{kv} {ratio:.3f}")
            print(f"  {gpu:9} {engine:7} {kernel:30} {'  '.join(cells)}")


def _mla(share: dict[tuple[str, str, str, str, int], float], errors: list[float]) -> None:
    print(
        f"\nMLA decode attention reading >= 200 MB ({MLA_DATA.name}): median share of the catalog bandwidth"
    )
    print(
        f"  {'GPU':9} {'engine':7} {'kernel':15} {'KV':9} " + " ".join(f"{h:>6}h" for h in (16, 32, 64, 128))
    )
    for gpu, engine, kernel, kv in sorted({key[:4] for key in share}):
        cells = " ".join(
            f"{share.get((gpu, engine, kernel, kv, h), float('nan')):7.3f}" for h in (16, 32, 64, 128)
        )
        print(f"  {gpu:9} {engine:7} {kernel:15} {kv:9} {cells}")
    h200 = FIT_GPU["hopper"]
    sixteen = [
        share[(h200, engine, MLA_KERNELS[(engine, "16-bit")], "bfloat16", 16)]
        for engine in ("trtllm", "vllm")
    ]
    print(
        f"\nfit (H200, 16 heads): 16-bit share {statistics.median(sixteen):.3f} (TensorRT-LLM {sixteen[0]:.3f}, "
        f"FlashAttention-3 MLA {sixteen[1]:.3f}), the engine's {HOPPER_MLA_DECODE_BANDWIDTH:.3f}; FP8 values a second "
        + ", ".join(
            f"{engine} {share[(h200, engine, MLA_KERNELS[(engine, 'fp8')], 'fp8', 16)] * bandwidth(h200):.4g} "
            f"(the engine's {HOPPER_FP8_MLA_DECODE_VALUES_S[engine]:.4g})"
            for engine in ("trtllm", "vllm")
        )
    )
    for kernel, engine in (("trtllm", "trtllm"), ("flashinfer", "vllm")):
        table = "default" if kernel == "trtllm" else "FLASHINFER_MLA"
        fitted = [share[("B200-SXM", engine, table, kv, 16)] for kv in KV]
        held = BLACKWELL_MLA_DECODE_BANDWIDTH[kernel]
        print(
            f"fit (B200, 16 heads, {table}): {fitted[0]:.3f} / {fitted[1]:.3f}, the engine's {held[0]:.3f} / {held[1]:.3f}"
        )
    print("held out (Hopper): measured share / the engine's share, by heads")
    for gpu in ("H100-SXM", "H200-SXM"):
        for engine in ("trtllm", "vllm"):
            for kv, label in (("bfloat16", "16-bit"), ("fp8", "fp8")):
                kernel = MLA_KERNELS[(engine, label)]
                cells = []
                for heads in (16, 32, 64):
                    if gpu == h200 and heads == 16:
                        continue
                    ratio = share[(gpu, engine, kernel, kv, heads)] / modelled(
                        engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM"
                    )
                    errors.append(abs(ratio - 1.0))
                    cells.append(f"{heads}h {ratio:.3f}")
                print(f"  {gpu:9} {engine:7} {kernel:15} {kv:9} {'  '.join(cells)}")


def _mla_kernels(
    share: dict[tuple[str, str, str, str, int], float],
    module: dict[tuple[str, str, str, str, int], float],
    errors: list[float],
) -> None:
    ratios = thirty_two_head_ratios(module, share)
    print(
        f"\nfit (B200, both MLA tables, both kernels, both KV formats): the 32-head share over the 16-head share "
        f"{min(ratios):.3f}-{max(ratios):.3f}, median {statistics.median(ratios):.3f}; the engine's "
        f"{BLACKWELL_MLA_32_HEAD_FACTOR:.2f}"
    )
    print(
        f"held out: the MLA attention kernel alone ({MLA_KERNEL_DATA.name}), measured share / the engine's share"
    )
    for gpu, engine, kernel, kv, heads in sorted(share):
        if heads != 16:
            continue
        value = share[(gpu, engine, kernel, kv, heads)]
        thirty_two = share.get((gpu, engine, kernel, kv, 32), float("nan"))
        cell = f"  {gpu:9} {engine:7} {kernel:16} {kv:9} 16 heads {value:.3f}, 32 heads {thirty_two:.3f}"
        if engine == "sglang" and kv == "fp8" and get_gpu(gpu).family == "hopper":
            # SGLang's FlashAttention-3 MLA converts the pool to 16-bit first, charged apart
            # (calibration.sglang_kv_pool_conversion_s); the share is flat over batch and context, so the
            # collector's pool is the batch's own tokens: per value, that conversion plus the 16-bit read
            per_value = sglang_kv_pool_conversion_s(
                layers=1,
                pool_tokens=0,
                latent_values=1,
                kv_value_bytes=1.0,
                bandwidth_bytes_s=bandwidth(gpu),
                gpu_family="hopper",
            ) + 1.0 / (HOPPER_MLA_DECODE_BANDWIDTH * bandwidth(gpu))
            ratio = (1.0 / (value * bandwidth(gpu))) / per_value
            errors.append(abs(ratio - 1.0))
            print(f"{cell}  the pool conversion and a 16-bit read: measured / the engine's time {ratio:.3f}")
            continue
        ratio = value / modelled(engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM")
        errors.append(abs(ratio - 1.0))
        cell += f"  16 heads / the engine's {ratio:.3f}"
        if get_gpu(gpu).family == "blackwell" and gpu != "B200-SXM":
            model32 = modelled(engine, gpu, kv, mla=True, model_class="DeepseekV3ForCausalLM", heads=32)
            errors.append(abs(thirty_two / model32 - 1.0))
            cell += f", 32 heads {thirty_two / model32:.3f}"
        print(cell)


def main() -> int:
    errors: list[float] = []
    grouped = shares()
    _grouped_query(grouped, errors)
    _head_size(grouped, shares(64), errors)
    module = mla_shares()
    _mla(module, errors)
    _mla_kernels(mla_kernel_shares(), module, errors)
    print(
        f"\nheld out: median |measured / modelled - 1| {statistics.median(errors):.3f} over {len(errors)} groups"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Decode attention's share of the memory bandwidth by engine kernel and KV format, read off measured kernel
times and checked held out.

Run: ``PYTHONPATH=src python benchmarks/fit_decode_attention.py``.

The data is ``data/generation_attention_times.csv``: NVIDIA aiconfigurator's ``generation_attention`` tables
(the ``aiconfigurator-core`` 0.12.0 wheel; ``tools/extract_generation_attention_times.py`` extracts them): one
layer's decode attention (one query token per sequence, grouped-query heads of size 128, a 16-bit or FP8 KV
cache) for vLLM 0.24.0, SGLang 0.5.14 and TensorRT-LLM 1.3.0rc20 on an H100, an H200, a B200, a B300 and a
GB200, at every point that reads at least 200 MB of cache. A point's share is the bytes it reads over its time,
over the GPU's catalog bandwidth; a group's share is the median over its points, as
``benchmarks/fit_kernels.py`` reads Hopper's family figure (0.75) off ``../shared/data/kernels``.

* **Fit** (``calibration.DECODE_ATTENTION_BANDWIDTH``): on the B200, each engine's default decode kernel
  (TensorRT-LLM's, vLLM's FlashInfer TensorRT-LLM-gen decode, SGLang's ``trtllm_mha`` from 0.5.7 and its
  ``flashinfer`` before), both KV formats, taken for every Blackwell GPU; on the H200, each engine's FP8 share
  over its 16-bit share on the same kernel (``calibration.HOPPER_FP8_KV_DECODE_RATIO``), applied to Hopper's
  family figure, whose 16-bit share the engine keeps.
* **Held out**: the B300's and GB200's tables against the B200's constants, the H100's FP8 ratios against
  the H200's, and the Hopper tables' 16-bit shares against the family's 0.75.

MLA layers are not in these tables and keep the family's figure.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    DECODE_ATTENTION_BANDWIDTH,
    HOPPER_FP8_KV_DECODE_S_PER_BYTE,
    SGLANG_FLASHINFER_DECODE_BANDWIDTH,
    decode_attention_bandwidth,
    efficiency_for,
    profile_for,
)

DATA = Path(__file__).resolve().parent / "data" / "generation_attention_times.csv"
CATALOG = {
    "H100-SXM": "H100 SXM",
    "H200-SXM": "H200 SXM",
    "B200-SXM": "B200",
    "B300-SXM": "B300",
    "GB200": "GB200",
}
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


def shares() -> dict[tuple[str, str, str, str], float]:
    """(GPU, engine, kernel, KV dtype) -> the median share of the catalog bandwidth its points reach."""
    points: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    with DATA.open() as fh:
        for r in csv.DictReader(fh):
            gpu = get_gpu(CATALOG[r["gpu"]])
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
            points[(r["gpu"], engine, r["kernel_source"], r["kv_cache_dtype"])].append(
                read / seconds / gpu.memory_bandwidth_bytes_s
            )
    return {key: statistics.median(values) for key, values in points.items()}


def main() -> int:
    share = shares()
    print(f"median share of the catalog bandwidth, decode attention reading >= 200 MB ({DATA.name})\n")
    print(f"  {'GPU':9} {'engine':7} {'kernel':30} {'16-bit':>7} {'FP8':>7} {'FP8/16':>7}")
    for (gpu, engine, kernel, kv), value in sorted(share.items()):
        if kv != "bfloat16":
            continue
        fp8 = share.get((gpu, engine, kernel, "fp8"))
        ratio = f"{fp8 / value:7.3f}" if fp8 else f"{'-':>7}"
        print(f"  {gpu:9} {engine:7} {kernel:30} {value:7.3f} {fp8 or float('nan'):7.3f} {ratio}")

    print("\nfit (B200, each engine's default kernel): the engine holds")
    for engine in ("trtllm", "vllm", "sglang"):
        kernel = DEFAULT_KERNEL[(engine, "blackwell")]
        fitted = tuple(share[(FIT_GPU["blackwell"], engine, kernel, kv)] for kv in KV)
        held = DECODE_ATTENTION_BANDWIDTH[(engine, "blackwell")]
        print(
            f"  {engine:7} {kernel:30} fitted {fitted[0]:.3f} / {fitted[1]:.3f}, calibration {held[0]:.3f} / {held[1]:.3f}"
        )
    fitted = tuple(share[(FIT_GPU["blackwell"], "sglang", "flashinfer", kv)] for kv in KV)
    print(
        f"  sglang  {'flashinfer (before 0.5.7)':30} fitted {fitted[0]:.3f} / {fitted[1]:.3f}, calibration "
        f"{SGLANG_FLASHINFER_DECODE_BANDWIDTH[0]:.3f} / {SGLANG_FLASHINFER_DECODE_BANDWIDTH[1]:.3f}"
    )
    print(
        "\nfit (H200, time added per byte of an FP8 cache over the kernel's 16-bit streaming): the engine holds"
    )
    h200 = get_gpu(CATALOG[FIT_GPU["hopper"]]).memory_bandwidth_bytes_s
    for engine in ("trtllm", "vllm", "sglang"):
        kernel = DEFAULT_KERNEL[(engine, "hopper")]
        fp8, sixteen = (share[(FIT_GPU["hopper"], engine, kernel, kv)] for kv in ("fp8", "bfloat16"))
        extra = max(1.0 / (fp8 * h200) - 1.0 / (sixteen * h200), 0.0)
        held = HOPPER_FP8_KV_DECODE_S_PER_BYTE.get(engine, 0.0)
        print(f"  {engine:7} {kernel:30} fitted {extra:.3g} s/byte, calibration {held:.3g} s/byte")

    print("\nheld out: measured share / the engine's share")
    errors = []
    for gpu in ("B300-SXM", "GB200"):
        for engine in ("trtllm", "vllm", "sglang"):
            kernel = DEFAULT_KERNEL[(engine, "blackwell")]
            cells = []
            for i, kv in enumerate(KV):
                ratio = (
                    share[(gpu, engine, kernel, kv)] / DECODE_ATTENTION_BANDWIDTH[(engine, "blackwell")][i]
                )
                errors.append(abs(ratio - 1.0))
                cells.append(f"{kv} {ratio:.3f}")
            print(f"  {gpu:9} {engine:7} {kernel:30} {'  '.join(cells)}")
    family = efficiency_for("hopper").attention_bandwidth
    for engine in ("trtllm", "vllm", "sglang"):
        kernel = DEFAULT_KERNEL[(engine, "hopper")]
        for gpu in ("H100-SXM", "H200-SXM"):
            sixteen = share[(gpu, engine, kernel, "bfloat16")]
            fp8 = share[(gpu, engine, kernel, "fp8")]
            cells = [f"bfloat16 {sixteen / family:.3f}"]
            errors.append(abs(sixteen / family - 1.0))
            if gpu != FIT_GPU["hopper"]:
                modelled = decode_attention_bandwidth(
                    profile_for(engine),
                    gpu_family="hopper",
                    family_share=family,
                    bandwidth_bytes_s=get_gpu(CATALOG[gpu]).memory_bandwidth_bytes_s,
                    kv_value_bytes=1.0,
                    mla=False,
                    model_class="LlamaForCausalLM",
                )
                h200_ratio = (
                    share[(FIT_GPU["hopper"], engine, kernel, "fp8")]
                    / share[(FIT_GPU["hopper"], engine, kernel, "bfloat16")]
                )
                cells.append(
                    f"fp8 {fp8 / modelled:.3f} (at the H200's FP8/16-bit ratio: {fp8 / (family * h200_ratio):.3f})"
                )
                errors.append(abs(fp8 / modelled - 1.0))
            print(f"  {gpu:9} {engine:7} {kernel:30} {'  '.join(cells)}")
    print(
        f"\nheld out: median |measured / modelled - 1| {statistics.median(errors):.3f} over {len(errors)} groups"
    )
    blackwell = efficiency_for("blackwell").attention_bandwidth
    cells = [
        f"{engine} {kv} {share[('B300-SXM', engine, DEFAULT_KERNEL[(engine, 'blackwell')], kv)] / blackwell:.2f}"
        for engine in ("trtllm", "vllm", "sglang")
        for kv in KV
    ]
    print(
        f"the family figure alone ({blackwell:.2f}, any KV format) against the B300's tables: {', '.join(cells)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/generation_attention_times.csv and generation_mla_times.csv from NVIDIA
aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script reads the ``generation_attention_perf`` tables (one layer's
decode attention as each engine runs it: one query token per sequence against ``step + 1`` cached tokens, read
through the engine's own cache layout) on the H100 SXM, H200 SXM, B200, B300 and GB200, for vLLM, SGLang and
TensorRT-LLM, and keeps: full attention (no sliding window), head size 128 and 64 (gpt-oss's and Llama 3.2 1B's,
for the FP8 cache's head-size factor), the per-GPU head counts of common models' tensor-parallel shards, a 16-bit
or FP8 KV cache, every kernel the tables time, and the points whose cache read is at least 200 MB (the
bandwidth-bound part benchmarks/fit_decode_attention.py reads, as benchmarks/fit_kernels.py reads
../shared/data/kernels). It also reads the ``generation_mla_perf`` tables (the
MLA attention kernel alone, one query token per sequence against ``step + 1`` cached latent vectors of 576 values)
of SGLang 0.5.14 and TensorRT-LLM 1.3.0rc20 on the same GPUs, at 16, 32, 64 and 128 heads a GPU (DeepSeek-V3 at
TP8, TP4, TP2 and on a data-parallel attention rank), with the same cut.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_generation_attention_times.py \
        /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiconfigurator_db import LABELS, TP_SHARD_HEADS, package_folder, read_table, write_rows

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
OUT = DATA / "generation_attention_times.csv"
MLA_OUT = DATA / "generation_mla_times.csv"
#: MLA's latent vector (512 values and 64 of rotary key) cached per token and layer
MLA_LATENT = 576
MLA_HEADS = frozenset({16, 32, 64, 128})
MLA_COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "kv_cache_dtype",
    "num_heads",
    "batch_size",
    "context",
    "time_us",
)
GPUS = {
    "h100_sxm": ("H100-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "h200_sxm": ("H200-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "b200_sxm": ("B200-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "b300_sxm": ("B300-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "gb200": ("GB200", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
}
KV_BYTES = {"bfloat16": 2, "fp8": 1}
#: the head sizes kept: 128, and 64, at which benchmarks/fit_decode_attention.py reads the FP8 cache's rate
HEAD_DIMS = (64, 128)
#: the smallest cache read (bytes, keys and values of every sequence) a point keeps
MIN_READ_BYTES = 200e6
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "kv_cache_dtype",
    "num_heads",
    "num_kv_heads",
    "head_dim",
    "batch_size",
    "context",
    "time_us",
)


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for gpu_dir, (gpu, releases) in GPUS.items():
        for framework, version in releases.items():
            relative = (
                f"systems/data/{gpu_dir}/attention/{framework}/{version}/generation_attention_perf.parquet"
            )
            table, source = read_table(package, relative)
            if "window_size" in table:
                table = table[table.window_size == 0]
            table = table[table.head_dim.isin(list(HEAD_DIMS)) & table.kv_cache_dtype.isin(list(KV_BYTES))]
            columns = [
                "head_dim",
                "kernel_source",
                "kv_cache_dtype",
                "num_heads",
                "num_key_value_heads",
                "batch_size",
                "step",
            ]
            for r in table.sort_values(columns).itertuples():
                if (int(r.num_heads), int(r.num_key_value_heads)) not in TP_SHARD_HEADS:
                    continue
                context = int(r.step) + 1
                read = (
                    r.batch_size
                    * context
                    * r.num_key_value_heads
                    * r.head_dim
                    * 2
                    * KV_BYTES[r.kv_cache_dtype]
                )
                if read < MIN_READ_BYTES:
                    continue
                rows.append(
                    _point(r, source, gpu, f"{LABELS[framework]} {version}", context)
                    | {"num_kv_heads": int(r.num_key_value_heads), "head_dim": int(r.head_dim)}
                )
    write_rows(OUT, COLUMNS, rows)
    return write_rows(MLA_OUT, MLA_COLUMNS, mla_rows(package))


def mla_rows(package: Path) -> list[dict[str, object]]:
    """The MLA generation tables' points reading at least ``MIN_READ_BYTES`` at ``MLA_HEADS``."""
    rows: list[dict[str, object]] = []
    for gpu_dir, (gpu, releases) in GPUS.items():
        for framework in ("sglang", "trtllm"):
            version = releases[framework]
            relative = f"systems/data/{gpu_dir}/mla/{framework}/{version}/generation_mla_perf.parquet"
            table, source = read_table(package, relative)
            table = table[table.kv_cache_dtype.isin(list(KV_BYTES)) & table.num_heads.isin(list(MLA_HEADS))]
            columns = ["kernel_source", "kv_cache_dtype", "num_heads", "batch_size", "step"]
            for r in table.sort_values(columns).itertuples():
                context = int(r.step) + 1
                if r.batch_size * context * MLA_LATENT * KV_BYTES[r.kv_cache_dtype] < MIN_READ_BYTES:
                    continue
                rows.append(_point(r, source, gpu, f"{LABELS[framework]} {version}", context))
    return rows


def _point(r: Any, source: str, gpu: str, framework: str, context: int) -> dict[str, object]:
    """The columns a decode-attention point and an MLA point share (the table's latency is in milliseconds)."""
    return {
        "source": source,
        "gpu": gpu,
        "framework": framework,
        "kernel_source": r.kernel_source,
        "kv_cache_dtype": r.kv_cache_dtype,
        "num_heads": int(r.num_heads),
        "batch_size": int(r.batch_size),
        "context": context,
        "time_us": f"{float(r.latency) * 1000:.3f}",
    }


if __name__ == "__main__":
    raise SystemExit(main())

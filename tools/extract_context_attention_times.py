"""Regenerate benchmarks/data/context_attention_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script reads the ``context_attention_perf`` tables (one layer's
prompt attention as each engine runs it: its attention op's forward over fresh prompts of ``isl`` tokens, with
the key-value cache written and read through the engine's own cache layout) on the A100 SXM, H100 SXM,
H200 SXM, B200, B300, GB200, GB300 and L40S, for vLLM, SGLang and TensorRT-LLM, and keeps: 16-bit attention and KV
cache, full causal attention (no sliding window), head size 128, the per-GPU head counts of common models' tensor-parallel
shards, prompts of 128 tokens and more, every batch, and each engine's own kernels (not the Triton fallbacks
or the FlashAttention-4 preview rows).

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_context_attention_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import LABELS, TP_SHARD_HEADS, package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "context_attention_times.csv"
GPUS = {
    "a100_sxm": ("A100-SXM", {"vllm": "0.14.0", "sglang": "0.5.10", "trtllm": "1.0.0"}),
    "h100_sxm": ("H100-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "h200_sxm": ("H200-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "b200_sxm": ("B200-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "b300_sxm": ("B300-SXM", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "gb200": ("GB200", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "gb300": ("GB300", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
    "l40s": ("L40S", {"vllm": "0.24.0", "sglang": "0.5.14", "trtllm": "1.3.0rc20"}),
}
#: kernels left out: fallbacks the engines do not pick for these heads on these GPUs, and preview kernels
SKIPPED_KERNELS = frozenset(
    {"triton", "vllm_triton_attn", "vllm_flash_attn_fa4", "vllm_flashinfer_trtllmdecode"}
)
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "num_heads",
    "num_kv_heads",
    "head_dim",
    "batch_size",
    "isl",
    "time_us",
)


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    import pandas as pd  # only here: the project does not depend on it

    rows = []
    for gpu_dir, (gpu, releases) in GPUS.items():
        for framework, version in releases.items():
            relative = (
                f"systems/data/{gpu_dir}/attention/{framework}/{version}/context_attention_perf.parquet"
            )
            table, source = read_table(package, relative)
            window = table.window_size == 0 if "window_size" in table else True
            heads = [
                (int(q), int(k)) in TP_SHARD_HEADS for q, k in zip(table.num_heads, table.num_key_value_heads)
            ]
            keep = table[
                window
                & (table.attn_dtype == "bfloat16")
                & (table.kv_cache_dtype == "bfloat16")
                & (table.head_dim == 128)
                & (table.isl >= 128)
                & ~table.kernel_source.isin(SKIPPED_KERNELS)
                & pd.Series(heads, index=table.index)
            ]
            columns = ["kernel_source", "num_heads", "num_key_value_heads", "isl", "batch_size"]
            for r in keep.sort_values(columns).itertuples():
                rows.append(
                    {
                        "source": source,
                        "gpu": gpu,
                        "framework": f"{LABELS[framework]} {version}",
                        "kernel_source": r.kernel_source,
                        "num_heads": int(r.num_heads),
                        "num_kv_heads": int(r.num_key_value_heads),
                        "head_dim": int(r.head_dim),
                        "batch_size": int(r.batch_size),
                        "isl": int(r.isl),
                        "time_us": round(float(r.latency) * 1e3, 3),
                    }
                )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

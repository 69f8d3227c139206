"""Regenerate benchmarks/data/mla_module_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script reads the ``mla_generation_module_perf`` tables of vLLM
0.24.0 and TensorRT-LLM 1.3.0rc20 on the H100 SXM, H200 SXM and B200 and keeps the rows the engine's
deployments use: block-scaled FP8 projections, a 16-bit or FP8 KV cache, 16-128 heads per GPU (DeepSeek-V3
at TP8 down to TP1), every batch size, at contexts of 256, 1,024, 4,096 and 16,384 tokens.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_mla_module_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "mla_module_times.csv"
TABLES = {
    ("vllm", "0.24.0"): "vLLM 0.24.0",
    ("trtllm", "1.3.0rc20"): "TensorRT-LLM 1.3.0rc20",
}
GPUS = {"h100_sxm": "H100-SXM", "h200_sxm": "H200-SXM", "b200_sxm": "B200-SXM"}
HEADS = (16, 32, 64, 128)
CONTEXTS = (256, 1024, 4096, 16384)
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "gemm_type",
    "kv_cache_dtype",
    "num_heads",
    "batch_size",
    "context",
    "time_us",
)


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])

    rows = []
    for gpu_dir, gpu in GPUS.items():
        for (framework, version), label in TABLES.items():
            relative = f"systems/data/{gpu_dir}/mla/{framework}/{version}/mla_generation_module_perf.parquet"
            table, source = read_table(package, relative)
            keep = table[
                (table.gemm_type == "fp8_block")
                & table.kv_cache_dtype.isin(["bfloat16", "fp8"])
                & table.num_heads.isin(HEADS)
                & table.step.isin(CONTEXTS)
                & (table.model == "deepseek-ai/DeepSeek-V3")
            ]
            for r in keep.sort_values(["kv_cache_dtype", "num_heads", "step", "batch_size"]).itertuples():
                rows.append(
                    {
                        "source": source,
                        "gpu": gpu,
                        "framework": label,
                        "kernel_source": r.kernel_source,
                        "gemm_type": r.gemm_type,
                        "kv_cache_dtype": r.kv_cache_dtype,
                        "num_heads": int(r.num_heads),
                        "batch_size": int(r.batch_size),
                        "context": int(r.step),
                        "time_us": round(float(r.latency) * 1e3, 3),
                    }
                )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/dsa_module_times.csv from NVIDIA aiconfigurator's kernel database.

The tables are ``systems/data/<gpu>/sparse_attention/vllm/<release>/dsa_context_module_perf.parquet`` (DeepSeek
sparse attention's whole attention module: projections, lightning indexer, top-k, sparse MLA, output projection)
and ``systems/data/<gpu>/mla/vllm/<release>/mla_context_module_perf.parquet`` (the dense MLA module of DeepSeek-V3),
as the ai-dynamo/aiconfigurator repository holds them at commit 095f58a (``aic-core/src/aiconfigurator_core``; the
0.12.0 wheel has no sparse-attention tables). This script keeps vLLM's prompt (context) rows on the H100 SXM, H200
SXM and B200: DeepSeek-V3.2 and DeepSeek-V3, block-scaled FP8 projections, a 16-bit KV cache, 16-128 heads a GPU
(TP8 down to TP1), no cached prefix, every batch and prompt length the tables time that makes a step of at least
``MIN_TOKENS`` prompt tokens (shorter steps sit on the eagerly run module's fixed floor of about 1.5 ms).

Usage (pandas in some virtualenv; the package folder exported from a checkout of that commit, e.g. with
``git archive 095f58a aic-core/src/aiconfigurator_core/systems/data | tar x -C /tmp/aic``)::

    /tmp/aicv/bin/python tools/extract_dsa_module_times.py /tmp/aic/aic-core/src/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import package_folder, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "dsa_module_times.csv"
COMMIT = "095f58a51c4ca8e61b66ec108d86f223f8d559ce"
GPUS = {"h100_sxm": "H100-SXM", "h200_sxm": "H200-SXM", "b200_sxm": "B200-SXM"}
RELEASES = ("0.19.0", "0.22.0", "0.24.0")
#: (table folder, table name, model, the CSV's module name)
TABLES = (
    ("sparse_attention", "dsa_context_module_perf", "deepseek-ai/DeepSeek-V3.2", "dsa"),
    ("mla", "mla_context_module_perf", "deepseek-ai/DeepSeek-V3", "mla"),
)
HEADS = (16, 32, 64, 128)
MIN_TOKENS = 2048
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "module",
    "kernel_source",
    "gemm_type",
    "kv_cache_dtype",
    "num_heads",
    "batch_size",
    "isl",
    "time_us",
)


def main() -> int:
    import pandas as pd  # only here: the project does not depend on it

    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for gpu_dir, gpu in GPUS.items():
        for release in RELEASES:
            for folder, table, model, module in TABLES:
                relative = f"systems/data/{gpu_dir}/{folder}/vllm/{release}/{table}.parquet"
                path = package / relative
                if not path.is_file():
                    continue
                df = pd.read_parquet(path)
                keep = df[
                    (df.model == model)
                    & (df.gemm_type == "fp8_block")
                    & (df.kv_cache_dtype == "bfloat16")
                    & (df.step == 0)
                    & (df.num_heads.isin(HEADS))
                    & (df.batch_size * df.isl >= MIN_TOKENS)
                ].sort_values(["num_heads", "batch_size", "isl"])
                source = f"ai-dynamo/aiconfigurator@{COMMIT[:9]}:{relative.removeprefix('systems/data/')}"
                for r in keep.itertuples():
                    rows.append(
                        {
                            "source": source,
                            "gpu": gpu,
                            "framework": f"vLLM {release}",
                            "module": module,
                            "kernel_source": r.kernel_source,
                            "gemm_type": r.gemm_type,
                            "kv_cache_dtype": r.kv_cache_dtype,
                            "num_heads": int(r.num_heads),
                            "batch_size": int(r.batch_size),
                            "isl": int(r.isl),
                            "time_us": round(float(r.latency) * 1000.0, 1),
                        }
                    )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/gdn_prefill_times.csv and kda_prefill_times.csv from NVIDIA aiconfigurator's kernel
database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps the prompt (``context``) rows of the Gated DeltaNet
tables (``linear_attention/<framework>/<release>/gdn_perf.parquet``): one linear-attention layer's short causal
convolution (``causal_conv1d_fn``) and chunked delta-rule scan (the engine's own kernel: the Triton
``chunk_gated_delta_rule`` of flash-linear-attention that SGLang carries, vLLM's FlashInfer
``chunk_gated_delta_rule_flashinfer``, TensorRT-LLM's), as each engine runs them, on the H100 SXM, H200 SXM, B200
and B300, for Qwen3.5-27B's, Qwen3.5-35B-A3B's and Qwen3.5-397B-A17B's layer shapes at every tensor-parallel
shard the tables hold, one and four prompts of 16 tokens and more. The second file keeps the same rows of the Kimi
Delta Attention tables (``kda/<framework>/<release>/kda_perf.parquet``: the convolution and flash-linear-attention's
``chunk_kda`` as SGLang 0.5.16 runs them, FlashKDA's ``flashkda_fwd`` in a vLLM development build), Kimi-K3's
shape, on the B200, B300, GB200 and GB300.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_gdn_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import LABELS, package_folder, read_table, write_rows

DATA = Path(__file__).resolve().parent.parent / "benchmarks" / "data"
#: output file -> (table folder and name, GPU folders and labels, framework folders and releases, models kept)
TABLES = {
    "gdn_prefill_times.csv": (
        "linear_attention/{framework}/{version}/gdn_perf.parquet",
        {"h100_sxm": "H100-SXM", "h200_sxm": "H200-SXM", "b200_sxm": "B200-SXM", "b300_sxm": "B300-SXM"},
        {"sglang": "0.5.14", "vllm": "0.24.0", "trtllm": "1.3.0rc20"},
        ("Qwen/Qwen3.5-27B", "Qwen/Qwen3.5-35B-A3B", "Qwen/Qwen3.5-397B-A17B"),
    ),
    "kda_prefill_times.csv": (
        "kda/{framework}/{version}/kda_perf.parquet",
        {"b200_sxm": "B200-SXM", "b300_sxm": "B300-SXM", "gb200": "GB200", "gb300": "GB300"},
        {"sglang": "0.5.16", "vllm": "0.1.dev19262"},
        ("moonshotai/Kimi-K3",),
    ),
}
BATCHES = (1, 4)
MIN_TOKENS = 16
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "kernel_source",
    "model",
    "num_k_heads",
    "num_v_heads",
    "head_k_dim",
    "head_v_dim",
    "batch_size",
    "seq_len",
    "time_us",
)


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    for out, (table_path, gpus, releases, models) in TABLES.items():
        rows = []
        for gpu_dir, gpu in gpus.items():
            for framework, version in releases.items():
                relative = f"systems/data/{gpu_dir}/" + table_path.format(
                    framework=framework, version=version
                )
                table, source = read_table(package, relative)
                keep = table[
                    (table.phase == "context")
                    & table.model_name.isin(models)
                    & table.batch_size.isin(BATCHES)
                    & (table.seq_len >= MIN_TOKENS)
                ]
                columns = ["model_name", "num_v_heads", "kernel_source", "batch_size", "seq_len"]
                for r in keep.sort_values(columns).itertuples():
                    rows.append(
                        {
                            "source": source,
                            "gpu": gpu,
                            "framework": f"{LABELS[framework]} {version}",
                            "kernel_source": r.kernel_source,
                            "model": r.model_name,
                            "num_k_heads": int(r.num_k_heads),
                            "num_v_heads": int(r.num_v_heads),
                            "head_k_dim": int(r.head_k_dim),
                            "head_v_dim": int(r.head_v_dim),
                            "batch_size": int(r.batch_size),
                            "seq_len": int(r.seq_len),
                            "time_us": round(float(r.latency) * 1e3, 3),
                        }
                    )
        write_rows(DATA / out, COLUMNS, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

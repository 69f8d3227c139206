"""Regenerate benchmarks/data/triton_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps the Triton fused-MoE layer times of vLLM and SGLang
(one GPU's share of one MoE layer: routing, both grouped GEMMs and the weighted combine; no all-reduce or token
exchange) on Hopper: vLLM 0.19.0's ``vllm_fused_moe`` on the H200 SXM, vLLM 0.24.0's ``TritonExperts`` paths on
the H100 and H200 SXM and SGLang 0.5.14's ``sglang_fused_moe_triton`` on the H100 and H200 SXM, for 16-bit and
block-scaled FP8 experts, every tensor-parallel and expert-parallel split the tables hold (none that combines
the two), balanced and power-law (alpha 1.2) routing, at the batches in ``TOKENS``.

SGLang 0.5.10's H100 table is left out: its expert-parallel rows take the tensor-parallel TP1 row's time at
every split (Qwen3-235B's 16-bit layer at 8,192 tokens: 10.41 ms at TP1, 10.45 at EP2, 10.33 at EP8), so that
collection ran every expert on the GPU whatever the split.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_triton_moe_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import (
    LABELS,
    SPLIT_MOE_COLUMNS,
    package_folder,
    read_moe_table,
    split_moe_rows,
    write_rows,
)

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "triton_moe_times.csv"
#: (GPU folder, framework folder, release) -> (GPU label, the Triton fused-MoE kernel sources kept)
TABLES = {
    ("h200_sxm", "vllm", "0.19.0"): ("H200-SXM", ("vllm_fused_moe",)),
    ("h100_sxm", "vllm", "0.24.0"): (
        "H100-SXM",
        ("vllm_fp8moe_triton_tritonexperts", "vllm_unquantizedfusedmoe_triton_tritonexperts"),
    ),
    ("h200_sxm", "vllm", "0.24.0"): (
        "H200-SXM",
        ("vllm_fp8moe_triton_tritonexperts", "vllm_unquantizedfusedmoe_triton_tritonexperts"),
    ),
    ("h200_sxm", "sglang", "0.5.14"): ("H200-SXM", ("sglang_fused_moe_triton",)),
    ("h100_sxm", "sglang", "0.5.14"): ("H100-SXM", ("sglang_fused_moe_triton",)),
}
DTYPES = ("bfloat16", "fp8_block")
DISTRIBUTIONS = ("balanced", "power_law_1.2")
TOKENS = (1, 16, 64, 256, 1024, 4096, 8192, 16384)


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])

    rows = []
    for (gpu_dir, framework, version), (gpu, kernels) in TABLES.items():
        table, source = read_moe_table(package, gpu_dir, framework, version)
        keep = table[
            table.kernel_source.isin(kernels)
            & table.moe_dtype.isin(DTYPES)
            & table.distribution.isin(DISTRIBUTIONS)
            & table.num_tokens.isin(TOKENS)
            & ((table.moe_tp_size == 1) | (table.moe_ep_size == 1))
        ]
        order = [
            "kernel_source",
            "moe_dtype",
            "distribution",
            "hidden_size",
            "inter_size",
            "num_experts",
            "topk",
            "moe_tp_size",
            "moe_ep_size",
            "num_tokens",
        ]
        rows += split_moe_rows(
            keep, order, source=source, gpu=gpu, framework=f"{LABELS[framework]} {version}"
        )
    return write_rows(OUT, SPLIT_MOE_COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

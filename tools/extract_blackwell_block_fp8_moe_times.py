"""Regenerate benchmarks/data/trtllm_gen_block_fp8_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps the B200's MoE layers on FlashInfer's TensorRT-LLM-gen
kernels with block-scaled FP8 experts (``fp8_block``: DeepSeek-style per-128 block scales): SGLang 0.5.14's
``flashinfer_trtllm`` runner (``sglang_flashinfer_trtllm_moe``) and vLLM 0.24.0's single-call entry point
(``vllm_fp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic``), for the expert shapes
``benchmarks/expert_parallel_masking.py`` knows, balanced routing (benchmarks/data/moe_kernel_times.csv holds the
same kernels' ``power_law_1.01`` rows), every tensor- and expert-parallel split of at most eight GPUs, at the
batches in ``TOKENS``.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_blackwell_block_fp8_moe_times.py \\
        /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import (
    LABELS,
    SPLIT_MOE_COLUMNS,
    SPLIT_ORDER,
    balanced_split_layers,
    package_folder,
    read_moe_table,
    split_moe_rows,
    write_rows,
)

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "trtllm_gen_block_fp8_moe_times.csv"
#: (framework folder, release) -> the kernel source kept
TABLES = {
    ("sglang", "0.5.14"): "sglang_flashinfer_trtllm_moe",
    ("vllm", "0.24.0"): "vllm_fp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic",
}
#: (hidden, expert intermediate, experts, top-k) of the bundled models benchmarks/expert_parallel_masking.py names
SHAPES = frozenset(
    {
        (2048, 768, 128, 8),
        (4096, 1536, 128, 8),
        (4096, 14336, 8, 2),
        (5120, 8192, 16, 1),
        (5120, 8192, 128, 1),
        (6144, 2560, 160, 8),
        (6144, 16384, 8, 2),
        (7168, 2048, 256, 8),
        (7168, 2048, 384, 8),
    }
)
TOKENS = (1, 4, 16, 64, 256, 1024, 4096, 8192, 16384)
MAX_GPUS = 8


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for (framework, version), kernel in TABLES.items():
        table, source = read_moe_table(package, "b200_sxm", framework, version)
        keep = balanced_split_layers(
            table, kernel=kernel, dtype="fp8_block", tokens=TOKENS, shapes=SHAPES, max_gpus=MAX_GPUS
        )
        rows += split_moe_rows(
            keep, SPLIT_ORDER, source=source, gpu="B200-SXM", framework=f"{LABELS[framework]} {version}"
        )
    return write_rows(OUT, SPLIT_MOE_COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

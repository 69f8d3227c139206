"""Regenerate benchmarks/data/trtllm_fp4_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps TensorRT-LLM 1.3.0rc20's MoE layers on its default backend
(``moe_config.backend: CUTLASS``, the table's ``moe_torch_flow_cutlass``) with NVFP4 experts, on the four Blackwell
GPUs the database timed it on (B200, B300, GB200, GB300, each collected on its own), balanced routing, for the expert
shapes of the bundled models the table holds, every tensor- and expert-parallel split of at most eight GPUs, at the
batches in ``TOKENS``. ``benchmarks/fit_trtllm_moe.py`` fits the engine's rate for that backend on it.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_trtllm_fp4_moe_times.py \\
        /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import (
    SPLIT_MOE_COLUMNS,
    SPLIT_ORDER,
    balanced_split_layers,
    package_folder,
    read_moe_table,
    split_moe_rows,
    write_rows,
)

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "trtllm_fp4_moe_times.csv"
#: GPU folder of the database -> the label its rows carry
GPUS = {"b200_sxm": "B200-SXM", "b300_sxm": "B300-SXM", "gb200": "GB200", "gb300": "GB300"}
RELEASE = "1.3.0rc20"
KERNEL = "moe_torch_flow_cutlass"
#: (hidden, expert intermediate, experts, top-k) of the bundled MoE models whose layers the table times (each in
#: benchmarks/expert_shapes.py, tests/test_expert_shapes.py checks)
SHAPES = frozenset(
    {
        (2048, 512, 256, 8),  # Qwen3.5-35B-A3B
        (2048, 768, 128, 8),  # Qwen3-30B-A3B
        (2816, 704, 128, 8),  # Gemma 4 26B-A4B
        (3072, 1024, 256, 8),  # Qwen3.5-122B-A10B
        (3072, 1536, 256, 8),  # MiniMax-M2.5
        (4096, 1024, 512, 10),  # Qwen3.5-397B-A17B
        (4096, 1536, 128, 8),  # Qwen3-235B-A22B
        (4096, 14336, 8, 2),  # Mixtral-8x7B
        (5120, 8192, 16, 1),  # Llama-4-Scout
        (5120, 8192, 128, 1),  # Llama-4-Maverick
        (6144, 2048, 256, 8),  # GLM-5
        (6144, 2560, 160, 8),  # Qwen3-Coder-480B-A35B
        (6144, 3072, 128, 4),  # MiniMax-M3
        (6144, 16384, 8, 2),  # Mixtral-8x22B
        (7168, 2048, 256, 8),  # DeepSeek-V3 / R1
        (7168, 2048, 384, 8),  # Kimi K2
    }
)
TOKENS = (1, 4, 16, 64, 256, 1024, 4096, 8192, 16384)
MAX_GPUS = 8


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for gpu_dir, gpu in GPUS.items():
        table, source = read_moe_table(package, gpu_dir, "trtllm", RELEASE)
        keep = balanced_split_layers(
            table, kernel=KERNEL, dtype="nvfp4", tokens=TOKENS, shapes=SHAPES, max_gpus=MAX_GPUS
        )
        rows += split_moe_rows(keep, SPLIT_ORDER, source=source, gpu=gpu, framework=f"TensorRT-LLM {RELEASE}")
    return write_rows(OUT, SPLIT_MOE_COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

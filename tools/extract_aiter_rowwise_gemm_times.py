"""Regenerate benchmarks/data/aiter_rowwise_gemm_times.csv from AMD AITER's tuned row-wise 8-bit GEMM table.

AITER (github.com/ROCm/aiter) ships the times its tuner measured for its row-wise scaled 8-bit GEMMs
(``gemm_a8w8``: 8-bit inputs scaled per row, 8-bit weights scaled per output column, 16-bit output) in
``aiter/configs/a8w8_tuned_gemm.csv`` (at the commit read here: columns ``cu_num, M, N, K, kernelId, splitK, us,
kernelName``; ``us`` is the fastest kernel's time for that shape). Commit 41fa6c4f73 ("[MI300X] tune gemm config for
llama 70b/405b", 2025-09-26, on the branch of AITER PR #1092, not merged) adds the MI300X's rows (304 compute units)
for every linear layer of Llama-3.1-70B and -405B at tensor parallelism 1-8, M from 1 to 16,384. Its tuner
(``csrc/ck_gemm_a8w8/gemm_a8w8_tune.py`` there) times INT8 inputs and weights; the MI300X's dense INT8 and FP8 peaks
are the same (2,615 TOPS) and its CK row-wise kernels tile both alike, so the table stands for the tile and
compute-unit occupancy of the GPU's 8-bit GEMMs at each size, not for FP8's own numerics.

This script keeps the 304-compute-unit rows (``MI300X``; the MI325X is the same die) and tags each by the model
whose linear layer it is (``llama3_70b``, ``llama3_405b``: the QKV, output, gate/up and down projections at
tensor parallelism 1, 2, 4 and 8, from the models' ``config.json`` figures below), ``other`` for a shape of neither.

Usage (a clone or the bare git directory of ROCm/aiter)::

    python tools/extract_aiter_rowwise_gemm_times.py /path/to/aiter 41fa6c4f73

Standard library and git only; nothing in the test suite runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiter_tables import Table, run

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "aiter_rowwise_gemm_times.csv"
COLUMNS = ("gpu", "table", "m", "n", "k", "time_us")
#: config.json figures: (hidden_size, intermediate_size, num_attention_heads, num_key_value_heads, head_dim)
MODELS = {
    "llama3_70b": (8192, 28672, 64, 8, 128),
    "llama3_405b": (16384, 53248, 128, 8, 128),
}
TENSOR_PARALLEL = (1, 2, 4, 8)


def linear_shapes(
    hidden: int, intermediate: int, heads: int, kv_heads: int, head_dim: int
) -> set[tuple[int, int]]:
    """(N, K) of a Llama decoder layer's four linear layers at each tensor-parallel size: QKV and gate/up split
    their outputs, the output and down projections their inputs."""
    shapes: set[tuple[int, int]] = set()
    for tp in TENSOR_PARALLEL:
        shapes.add(((heads + 2 * kv_heads) * head_dim // tp, hidden))
        shapes.add((hidden, heads * head_dim // tp))
        shapes.add((2 * intermediate // tp, hidden))
        shapes.add((hidden, intermediate // tp))
    return shapes


SHAPES = {name: linear_shapes(*figures) for name, figures in MODELS.items()}


def extract(tables: list[Table]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for _, table_rows in tables:
        for row in table_rows:
            if row.get("cu_num") != "304" or row.get("gfx", "gfx942") != "gfx942":
                continue
            shape = (int(row["N"]), int(row["K"]))
            table = next((name for name, shapes in SHAPES.items() if shape in shapes), "other")
            rows.append(("MI300X", table, row["M"], row["N"], row["K"], f"{float(row['us']):.4g}"))
    rows.sort(key=lambda r: (r[1], int(r[3]), int(r[4]), int(r[2])))
    return rows


def main(argv: list[str]) -> int:
    return run(argv, __doc__ or "", lambda name: name == "a8w8_tuned_gemm.csv", extract, OUT, COLUMNS)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

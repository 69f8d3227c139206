"""Regenerate benchmarks/data/aiter_blockscale_gemm_times.csv from AMD AITER's tuned GEMM tables.

AITER (github.com/ROCm/aiter), the kernel library SGLang's ROCm images (``SGLANG_USE_AITER=1``) and vLLM on ROCm
(``VLLM_ROCM_USE_AITER=1``) run block-scaled FP8 linear layers on (``gemm_a8w8_blockscale``: FP8 weights and
activations, one scale per 128 x 128 weight block and per 1 x 128 activation group), ships the times its tuner
measured for each shape it tuned, one table per model: ``aiter/configs/a8w8_blockscale_tuned_gemm.csv`` and
``aiter/configs/model_configs/a8w8_blockscale_tuned_gemm_<model>.csv`` (columns ``gfx, cu_num, M, N, K, ...,
us, kernelName, tflops``; ``us`` is the fastest kernel's time for that shape). This script keeps the MI300X's
rows (``gfx942`` with 304 compute units; the MI325X is the same die) and the MI355X's (``gfx950``, 256 compute
units), at row counts M that are powers of two (1 to 32,768; the tuner also times every multiple of 128 up to
80,000 for some models, kept out to keep the file small), every weight shape (N x K) the table has. ``table`` is
the file's model tag (``ds_v3`` for ``model_configs/a8w8_blockscale_tuned_gemm_ds_v3.csv``; ``general`` for the
file without one); the commit read is printed and named in benchmarks/data/README.md.

Usage (a clone or the bare git directory of ROCm/aiter; the commit defaults to HEAD)::

    python tools/extract_aiter_gemm_times.py /path/to/aiter [COMMIT]

Standard library and git only; nothing in the test suite runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiter_tables import Table, run

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "aiter_blockscale_gemm_times.csv"
#: (gfx, compute units) -> the catalog GPU it is
GPUS = {("gfx942", "304"): "MI300X", ("gfx950", "256"): "MI355X"}
ROWS = frozenset(2**i for i in range(16))
COLUMNS = ("gpu", "table", "m", "n", "k", "time_us")


def extract(tables: list[Table]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path, table_rows in tables:
        table = Path(path).stem.removeprefix("a8w8_blockscale_tuned_gemm").lstrip("_") or "general"
        for row in table_rows:
            gpu = GPUS.get((row.get("gfx", ""), row.get("cu_num", "")))
            if gpu is None or int(row["M"]) not in ROWS:
                continue
            rows.append((gpu, table, row["M"], row["N"], row["K"], f"{float(row['us']):.4g}"))
    rows.sort(key=lambda r: (r[0], r[1], int(r[3]), int(r[4]), int(r[2])))
    return rows


def main(argv: list[str]) -> int:
    return run(
        argv, __doc__ or "", lambda name: name.startswith("a8w8_blockscale_tuned_gemm"), extract, OUT, COLUMNS
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))

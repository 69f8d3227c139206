"""Regenerate benchmarks/data/nccl_gather_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU and NCCL release. This script keeps the 16-bit all-gather and reduce-scatter rows of
``comm/nccl/<release>/nccl_perf.parquet`` (what an engine's MoE layers run around their experts where attention is
data-parallel and the tokens are gathered over NCCL) from 262,144 to 67,108,864 elements (the message: the gathered
buffer, which the reduce-scatter takes in), over 2, 4 and 8 GPUs of one node, on the GPUs and NCCL releases
``tools/extract_nccl_allreduce_times.py`` reads. Where a table repeats a (GPUs, size) point the median is kept.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_nccl_gather_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import write_rows
from extract_nccl_allreduce_times import nccl_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "nccl_gather_times.csv"
OPS = ("all_gather", "reduce_scatter")
MIN_ELEMENTS = 2**18
MAX_ELEMENTS = 2**26
COLUMNS = ("source", "gpu", "nccl", "op", "dtype", "num_gpus", "message_elements", "time_us")


def main() -> int:
    return write_rows(OUT, COLUMNS, nccl_rows(__doc__.splitlines()[0], OPS, MIN_ELEMENTS, MAX_ELEMENTS))


if __name__ == "__main__":
    raise SystemExit(main())

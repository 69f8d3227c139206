"""Regenerate benchmarks/data/nccl_allreduce_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU and NCCL release. This script keeps the 16-bit all-reduce rows of ``comm/nccl/<release>/
nccl_perf.parquet`` (NCCL's own all-reduce, which the engines call for messages past their custom all-reduce's
size limit: a prompt step's hidden states) from 2,097,152 to 134,217,728 elements (4-256 MiB), over 2, 4 and 8
GPUs of one node, on the A100, H100 and H200 SXM, the B200 and B300, and the GB200 and GB300 (2 and 4 GPUs only),
each at the newest NCCL release its folder holds. Where a table repeats a (GPUs, size) point the median is kept.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_nccl_allreduce_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "nccl_allreduce_times.csv"
#: GPU folder -> (label, the NCCL release read: the newest the folder holds with all-reduce rows)
GPUS = {
    "a100_sxm": ("A100-SXM", "2.27.3"),
    "h100_sxm": ("H100-SXM", "2.29.2"),
    "h200_sxm": ("H200-SXM", "2.29.2"),
    "b200_sxm": ("B200-SXM", "2.29.2"),
    "b300_sxm": ("B300-SXM", "2.29.2"),
    "gb200": ("GB200", "2.29.2"),
    "gb300": ("GB300", "2.29.2"),
}
MIN_ELEMENTS = 2**21
MAX_ELEMENTS = 2**27
COLUMNS = ("source", "gpu", "nccl", "dtype", "num_gpus", "message_elements", "time_us")


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for folder, (gpu, release) in GPUS.items():
        table, source = read_table(package, f"systems/data/{folder}/comm/nccl/{release}/nccl_perf.parquet")
        keep = table[
            (table.op_name == "all_reduce")
            & (table.nccl_dtype == "half")
            & table.message_size.between(MIN_ELEMENTS, MAX_ELEMENTS)
        ]
        points = keep.groupby(["num_gpus", "message_size"]).latency.median()
        for (gpus, elements), latency_ms in points.items():
            rows.append(
                {
                    "source": source,
                    "gpu": gpu,
                    "nccl": release,
                    "dtype": "float16",
                    "num_gpus": int(gpus),
                    "message_elements": int(elements),
                    "time_us": round(float(latency_ms) * 1e3, 3),
                }
            )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

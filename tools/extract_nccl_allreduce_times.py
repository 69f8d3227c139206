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

from aiconfigurator_db import median_comm_rows, package_folder, read_table, write_rows

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


def nccl_rows(description: str, ops: tuple[str, ...], low: int, high: int) -> list[dict[str, object]]:
    """The 16-bit rows of ``ops`` from ``low`` to ``high`` elements of every GPU's NCCL table (the installed package
    named on the command line, ``description`` its usage text), one per (op, GPUs, size) at the median latency, each
    with its source, GPU, NCCL release, ``op`` and ``dtype``."""
    package = package_folder(description)
    rows = []
    for folder, (gpu, release) in GPUS.items():
        table, source = read_table(package, f"systems/data/{folder}/comm/nccl/{release}/nccl_perf.parquet")
        keep = table[
            table.op_name.isin(ops) & (table.nccl_dtype == "half") & table.message_size.between(low, high)
        ]
        for row in median_comm_rows(keep, {"source": source, "gpu": gpu, "nccl": release}, key="op_name"):
            row["op"] = row.pop("op_name")
            rows.append({**row, "dtype": "float16"})
    return rows


def main() -> int:
    rows = nccl_rows(__doc__.splitlines()[0], ("all_reduce",), MIN_ELEMENTS, MAX_ELEMENTS)
    return write_rows(OUT, COLUMNS, ({k: v for k, v in row.items() if k != "op"} for row in rows))


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/engine_allreduce_large_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, engine and release. This script keeps the rows of ``comm/<engine>/<release>/
custom_allreduce_perf.parquet``: each engine's own all-reduce op (vLLM's and SGLang's, which pick their custom
kernels or NCCL by message size; TensorRT-LLM's ``AllReduce`` op), at prompt-step sizes from 262,144 to
134,217,728 elements (bf16), on 2, 4 and 8 GPUs of one node (2 and 4 on the GB200 and GB300), replayed in CUDA graphs
(vLLM's and SGLang's eager rows are left out; TensorRT-LLM's table has one kind of row), for the A100, H100 and
H200 SXM, the B200 and B300, and the GB200 and GB300, each engine at the newest release its GPU folder holds.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_engine_allreduce_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import LABELS, median_comm_rows, package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "engine_allreduce_large_times.csv"
#: GPU folder -> label
GPUS = {
    "a100_sxm": "A100-SXM",
    "h100_sxm": "H100-SXM",
    "h200_sxm": "H200-SXM",
    "b200_sxm": "B200-SXM",
    "b300_sxm": "B300-SXM",
    "gb200": "GB200",
    "gb300": "GB300",
}
#: the kernel sources kept: each engine's op replayed in CUDA graphs (TensorRT-LLM: its one-node op; the GB300's
#: multi-node NVLink one- and two-shot rows are left out)
KERNELS = ("vLLM_custom_graph", "SGLang_CustomAllReduce_graph", "TRTLLM")
MIN_ELEMENTS = 2**18
MAX_ELEMENTS = 2**27
MAX_GPUS = 8
COLUMNS = (
    "source",
    "gpu",
    "framework",
    "release",
    "kernel_source",
    "num_gpus",
    "message_elements",
    "time_us",
)


def release_key(release: str) -> tuple[int, ...]:
    """A release folder's name as numbers, for picking the newest (``1.3.0rc20`` -> (1, 3, 0, 20))."""
    digits = "".join(ch if ch.isdigit() else " " for ch in release)
    return tuple(int(part) for part in digits.split())


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    rows = []
    for folder, gpu in GPUS.items():
        for framework in LABELS:
            comm = package / "systems" / "data" / folder / "comm" / framework
            held = [p.parent.name for p in comm.glob("*/custom_allreduce_perf.parquet")]
            if not held:
                continue
            release = max(held, key=release_key)
            table, source = read_table(
                package, f"systems/data/{folder}/comm/{framework}/{release}/custom_allreduce_perf.parquet"
            )
            keep = table[
                table.kernel_source.isin(KERNELS)
                & (table.allreduce_dtype == "bfloat16")
                & (table.num_gpus <= MAX_GPUS)
                & table.message_size.between(MIN_ELEMENTS, MAX_ELEMENTS)
            ]
            fields = {"source": source, "gpu": gpu, "framework": LABELS[framework], "release": release}
            rows += median_comm_rows(keep, fields, key="kernel_source")
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

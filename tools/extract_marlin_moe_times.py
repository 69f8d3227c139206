"""Regenerate benchmarks/data/marlin_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps the Marlin MoE layer times off Hopper and one Hopper
control: SGLang 0.5.10's ``sglang_marlin_moe`` (weight-only INT4 experts) on the A100 SXM and the H100 SXM,
and vLLM 0.24.0's two Marlin MoE paths on the L40S (gpt-oss's MXFP4 experts, and weight-only INT4 ones).
Balanced routing, expert parallelism off, every tensor-parallel split and batch the table has.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_marlin_moe_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import TP_MOE_COLUMNS, package_folder, tensor_parallel_moe_rows, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "marlin_moe_times.csv"
#: (GPU folder, framework folder, release) -> (GPU label, framework label, Marlin kernel sources kept)
TABLES = {
    ("a100_sxm", "sglang", "0.5.10"): ("A100-SXM", "SGLang 0.5.10", ("sglang_marlin_moe",)),
    ("h100_sxm", "sglang", "0.5.10"): ("H100-SXM", "SGLang 0.5.10", ("sglang_marlin_moe",)),
    ("l40s", "vllm", "0.24.0"): (
        "L40S",
        "vLLM 0.24.0",
        (
            "vllm_gptossmxfp4moe_marlin_marlinexperts",
            "vllm_compressedtensorswna16marlinmoe_marlin_marlinexperts",
        ),
    ),
}


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    return write_rows(OUT, TP_MOE_COLUMNS, tensor_parallel_moe_rows(package, TABLES))


if __name__ == "__main__":
    raise SystemExit(main())

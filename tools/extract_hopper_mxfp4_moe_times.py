"""Regenerate benchmarks/data/hopper_mxfp4_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps vLLM 0.24.0's gpt-oss MXFP4 MoE layers on the H100 SXM
and the H200 SXM (``vllm_gptossmxfp4moe_triton_oaitritonmxfp4expertsmonolithic``: the Triton ``matmul_ogs``
kernels of OpenAI's ``triton_kernels``, which vLLM runs gpt-oss's experts on on Hopper from v0.12), for both
gpt-oss shapes (32 and 128 experts). Balanced routing, expert parallelism off, every tensor-parallel split of at
most eight GPUs and every batch the table has.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_hopper_mxfp4_moe_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import TP_MOE_COLUMNS, package_folder, tensor_parallel_moe_rows, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "hopper_mxfp4_moe_times.csv"
#: (GPU folder, framework folder, release) -> (GPU label, framework label, the kernel kept)
TABLES = {
    (gpu_dir, "vllm", "0.24.0"): (
        gpu,
        "vLLM 0.24.0",
        ("vllm_gptossmxfp4moe_triton_oaitritonmxfp4expertsmonolithic",),
    )
    for gpu_dir, gpu in (("h100_sxm", "H100-SXM"), ("h200_sxm", "H200-SXM"))
}


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    return write_rows(OUT, TP_MOE_COLUMNS, tensor_parallel_moe_rows(package, TABLES, max_tp=8))


if __name__ == "__main__":
    raise SystemExit(main())

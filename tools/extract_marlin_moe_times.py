"""Regenerate benchmarks/data/marlin_moe_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps the Marlin MoE layer times off Hopper and one Hopper
control: SGLang 0.5.10's ``sglang_marlin_moe`` (weight-only INT4 experts) on the A100 SXM and the H100 SXM,
vLLM 0.24.0's two Marlin MoE paths on the L40S (gpt-oss's MXFP4 experts, and weight-only INT4 ones), and vLLM's
weight-only INT4 Marlin MoE layer on Blackwell (0.19.0 and 0.24.0 on the B200, 0.24.0 on the B300, the GB200 and the
RTX PRO 6000 Server Edition).
Balanced routing, expert parallelism off, every tensor-parallel split and batch the table has.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_marlin_moe_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import TP_MOE_COLUMNS, package_folder, tensor_parallel_moe_rows, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "marlin_moe_times.csv"
#: vLLM 0.24's weight-only INT4 Marlin MoE kernel source
WNA16 = "vllm_compressedtensorswna16marlinmoe_marlin_marlinexperts"
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
    # Blackwell: vLLM's weight-only INT4 experts on Marlin (its AWQ/GPTQ/compressed-tensors W4A16 MoE methods), and
    # the RTX PRO 6000 Server Edition's (compute capability 12.0) for the Ada family's constants it takes
    ("b200_sxm", "vllm", "0.24.0"): ("B200-SXM", "vLLM 0.24.0", (WNA16,)),
    ("b200_sxm", "vllm", "0.19.0"): ("B200-SXM", "vLLM 0.19.0", ("vllm_marlin_int4_moe",)),
    ("b300_sxm", "vllm", "0.24.0"): ("B300-SXM", "vLLM 0.24.0", (WNA16,)),
    ("gb200", "vllm", "0.24.0"): ("GB200", "vLLM 0.24.0", (WNA16,)),
    ("rtx_pro_6000_server", "vllm", "0.24.0"): ("RTX-PRO-6000-Server", "vLLM 0.24.0", (WNA16,)),
}


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])
    return write_rows(OUT, TP_MOE_COLUMNS, tensor_parallel_moe_rows(package, TABLES))


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/gemm_times.csv from NVIDIA aiconfigurator's kernel database.

The database ships inside the ``aiconfigurator-core`` wheel (PyPI ``aiconfigurator==0.12.0``), as one parquet
table per GPU, framework and release. This script keeps, each timed by the database on the framework's own
GEMM kernel:

* the compute-bound GEMMs (M, N and K all at least 4,096) of SGLang 0.5.14, TensorRT-LLM 1.3.0rc20 and vLLM
  0.24.0 on the H200 SXM and the Blackwell GPUs (B200, B300, GB200, GB300): 16-bit, per-tensor FP8, block-scaled
  FP8 and (Blackwell only) NVFP4;
* the 16-bit GEMMs of the A100 SXM (SGLang 0.5.10, TensorRT-LLM 1.0.0, vLLM 0.14.0, the releases the
  database has for it) and of the H100 SXM (the H200's releases): the compute-bound ones, and the decode
  ones (M of 1 and 8 rows), which stream their weights;
* the L40S's and the RTX PRO 6000 Server's GEMMs at the H200's releases, compute-bound and decode: 16-bit,
  per-tensor FP8, block-scaled FP8 and (the RTX PRO 6000, an sm_120 part) NVFP4.

Usage (pandas and the wheel installed in some virtualenv, e.g. /tmp/aicv)::

    /tmp/aicv/bin/python tools/extract_gemm_times.py /tmp/aicv/lib/python3.11/site-packages/aiconfigurator_core

It needs pandas, which the project does not depend on; nothing in the test suite runs it.
"""

from __future__ import annotations

from pathlib import Path

from aiconfigurator_db import package_folder, read_table, write_rows

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "gemm_times.csv"
GPUS = {
    "h200_sxm": "H200-SXM",
    "b200_sxm": "B200-SXM",
    "a100_sxm": "A100-SXM",
    "h100_sxm": "H100-SXM",
    "b300_sxm": "B300-SXM",
    "gb200": "GB200",
    "gb300": "GB300",
    "l40s": "L40S",
    "rtx_pro_6000_server": "RTX-PRO-6000-Server",
}
FRAMEWORKS = {"sglang": "SGLang", "trtllm": "TensorRT-LLM", "vllm": "vLLM"}
LATEST = (("sglang", "0.5.14"), ("trtllm", "1.3.0rc20"), ("vllm", "0.24.0"))
AMPERE = (("sglang", "0.5.10"), ("trtllm", "1.0.0"), ("vllm", "0.14.0"))
#: (GPU folder, framework folder, release) -> (dtypes kept, whether decode rows are kept too)
TABLES: dict[tuple[str, str, str], tuple[tuple[str, ...], bool]] = {
    **{("h200_sxm", f, v): (("bfloat16", "fp8", "fp8_block"), False) for f, v in LATEST},
    **{
        (gpu, f, v): (("bfloat16", "fp8", "fp8_block", "nvfp4"), False)
        for gpu in ("b200_sxm", "b300_sxm", "gb200", "gb300")
        for f, v in LATEST
    },
    **{("a100_sxm", f, v): (("bfloat16",), True) for f, v in AMPERE},
    **{("h100_sxm", f, v): (("bfloat16",), True) for f, v in LATEST},
    **{("l40s", f, v): (("bfloat16", "fp8", "fp8_block"), True) for f, v in LATEST},
    **{("rtx_pro_6000_server", f, v): (("bfloat16", "fp8", "fp8_block", "nvfp4"), True) for f, v in LATEST},
}
#: the smallest M, N and K of a compute-bound GEMM kept, and the rows of a decode GEMM
MIN_DIM = 4096
DECODE_ROWS = (1, 8)
#: the table a row comes from is systems/data/<gpu folder>/gemm/<framework folder>/<release>/gemm_perf.parquet of
#: the wheel (GPUS and TABLES name the folders), so no column repeats it
COLUMNS = ("gpu", "framework", "kernel_source", "dtype", "m", "n", "k", "time_us")


def main() -> int:
    package = package_folder(__doc__.splitlines()[0])

    rows = []
    for (gpu_dir, framework, version), (dtypes, decode) in TABLES.items():
        relative = f"systems/data/{gpu_dir}/gemm/{framework}/{version}/gemm_perf.parquet"
        table, _ = read_table(package, relative)
        large = (table.m >= MIN_DIM) & (table.n >= MIN_DIM) & (table.k >= MIN_DIM)
        if decode:
            large |= table.m.isin(DECODE_ROWS)
        keep = table[table.gemm_dtype.isin(dtypes) & large]
        for r in keep.sort_values(["gemm_dtype", "m", "n", "k"]).itertuples():
            rows.append(
                {
                    "gpu": GPUS[gpu_dir],
                    "framework": f"{FRAMEWORKS[framework]} {version}",
                    "kernel_source": r.kernel_source,
                    "dtype": r.gemm_dtype,
                    "m": int(r.m),
                    "n": int(r.n),
                    "k": int(r.k),
                    "time_us": round(float(r.latency) * 1e3, 3),
                }
            )
    return write_rows(OUT, COLUMNS, rows)


if __name__ == "__main__":
    raise SystemExit(main())

"""Regenerate benchmarks/data/aiter_fmoe_times.csv from AMD AITER's tuned fused-MoE tables.

AITER (github.com/ROCm/aiter) runs the expert layers of SGLang's ROCm images (``SGLANG_USE_AITER=1``) and of vLLM on
ROCm (``VLLM_ROCM_USE_AITER=1``) as two grouped-GEMM stages (gate/up with the activation, then down with the routing
weights), and ships the times its tuner measured for each layer shape it tuned: ``aiter/configs/tuned_fmoe.csv`` and
``aiter/configs/model_configs/*tuned_fmoe*.csv`` (columns ``cu_num, token, model_dim, inter_dim, expert, topk,
act_type, dtype, q_dtype_a, q_dtype_w, q_type, use_g1u1, doweight_stage1, block_m, ksplit, us1, ..., us2, ..., us``;
``us`` is ``us1 + us2``, the fastest kernel pair's time, routing and sorting not included). This script keeps:

* the MI300X's rows (304 compute units; the MI325X is the same die) and the MI355X's (256 compute units);
* 16-bit experts (``QuantType.No``, bf16) and block-scaled FP8 experts (``QuantType.per_1x128``: FP8 weights in
  128 x 128 scale blocks, FP8 inputs in 1 x 128 groups), SiLU-gated (``use_g1u1`` 1, ``ActivationType.Silu``), with
  the routing weight applied in the second stage (``doweight_stage1`` 0), as SGLang and vLLM call it;
* one row per (GPU, table, shape, format, tokens): a table that lists a shape twice keeps the faster time;
* not a row whose time equals, to the last printed digit, the time of a smaller batch of the same shape in the same
  table: the tuner times every batch, so two batches 2x apart cannot both have taken exactly one time; such a row
  is a copy (the ``ds_v3`` table's Qwen3-235B-shaped FP8 rows repeat their 4,096-token time at 8,192-32,768 tokens).

``table`` is the file's model tag (``ds_v3`` for ``model_configs/a8w8_blockscale_tuned_fmoe_ds_v3.csv``, ``general``
for ``tuned_fmoe.csv``); ``experts`` the experts the layer holds on the GPU (a table tuned for an expert-parallel
shard, or with the shared expert fused in as one more, says so in its shape). The commit read is printed and named in
benchmarks/data/README.md.

Usage (a clone or the bare git directory of ROCm/aiter; the commit defaults to HEAD)::

    python tools/extract_aiter_fmoe_times.py /path/to/aiter [COMMIT]

Standard library and git only; nothing in the test suite runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiter_tables import Table, run

OUT = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "aiter_fmoe_times.csv"
#: compute units -> the catalog GPU it is
GPUS = {"304": "MI300X", "256": "MI355X"}
#: AITER quantization type -> the weight format it stands for
FORMATS = {"QuantType.No": "bf16", "QuantType.per_1x128": "fp8_block"}
COLUMNS = ("gpu", "table", "hidden", "intermediate", "experts", "topk", "format", "tokens", "time_us")


def _table(path: str) -> str:
    stem = Path(path).stem
    if stem == "tuned_fmoe":
        return "general"
    for part in ("a8w8_blockscale_tuned_fmoe", "_tuned_fmoe", "tuned_fmoe"):
        stem = stem.replace(part, "")
    return stem.strip("_") or "general"


def extract(tables: list[Table]) -> list[tuple[str, ...]]:
    best: dict[tuple[str, ...], float] = {}
    for path, table_rows in tables:
        table = _table(path)
        for row in table_rows:
            gpu = GPUS.get(row.get("cu_num", ""))
            fmt = FORMATS.get(row.get("q_type", ""))
            if gpu is None or fmt is None:
                continue
            if row.get("use_g1u1") != "1" or row.get("act_type") != "ActivationType.Silu":
                continue
            if row.get("doweight_stage1") != "0":
                continue
            key = (
                gpu,
                table,
                row["model_dim"],
                row["inter_dim"],
                row["expert"],
                row["topk"],
                fmt,
                row["token"],
            )
            us = float(row["us"])
            best[key] = min(us, best.get(key, us))
    rows: list[tuple[str, ...]] = []
    seen: dict[tuple[str, ...], set[float]] = {}
    for key in sorted(best, key=lambda k: (*k[:7], int(k[7]))):
        times = seen.setdefault(key[:7], set())
        if best[key] in times:
            continue
        times.add(best[key])
        rows.append((*key, f"{best[key]:.6g}"))
    return rows


def main(argv: list[str]) -> int:
    return run(
        argv,
        __doc__ or "",
        lambda name: "tuned_fmoe" in name and "untuned" not in name,
        extract,
        OUT,
        COLUMNS,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Per-tensor and per-token FP8 linear layers on CDNA 3, fitted on AITER's own tuned row-wise 8-bit GEMM times.

Run: ``PYTHONPATH=src python benchmarks/fit_cdna_rowwise_fp8.py``.

An FP8 checkpoint scaled per tensor or per output channel (AMD's ``-FP8-KV`` Llama exports, NVIDIA's ModelOpt FP8,
vLLM's dynamic ``--quantization fp8``) runs its linear layers on the MI300X on 8-bit GEMMs (hipBLASLt's through
``torch._scaled_mm``, or AITER's CK row-wise kernel with ``VLLM_ROCM_USE_AITER=1``). The engine took them at the
CDNA 3 family's factors: a bandwidth-bound stream while a step is small, the dense FP8 rate once it is large. The
times AITER's tuner measured on the MI300X for Llama-3.1-70B's and -405B's layers
(``data/aiter_rowwise_gemm_times.csv``; INT8 operands, whose peak and tiles the GPU shares with FP8) say the GEMMs
stop being a flat stream well before that: at 64-256 rows a 405B TP8 layer takes 25-50% longer than the family's
stream, because a few hundred output tiles leave most of the 304 compute units idle while each tile walks its whole K.
The engine already models that for AITER's block-scaled GEMMs (``RooflineRates.quantized_linear_rows``): a GEMM of M
rows computes as if it had ``M + floor`` rows, at a rate below the peak.

* **Fitted** on the ``llama3_70b`` table alone, keeping the family's launch and bandwidth (its decode rows fit them
  already): the rate (a share of the datasheet's dense FP8 peak, within +-40% of the largest batches' median in 1%
  steps) and the floor (8-row steps) by least squares in log time on the rows of 32 tokens and more. These are
  ``calibration.AITER_ROWWISE_FP8``.
* **Held out**: the ``llama3_405b`` table, by token band, beside the family's factors; and the vLLM MI300X FP8 serving
  points of ``benchmarks/accuracy.py`` (Llama-3.1-405B, 70B and 8B).
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from fit_cdna_block_fp8 import (
    BANDS,
    DECODE_MAX,
    Gemm,
    Model,
    errors,
    family_model,
    fit_rate_and_floor,
    modelled,
)

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import AITER_ROWWISE_FP8

DATA = Path(__file__).resolve().parent / "data" / "aiter_rowwise_gemm_times.csv"
GPU = "MI300X"
FIT_TABLE = "llama3_70b"
HELD_OUT_TABLE = "llama3_405b"


def load() -> dict[str, list[Gemm]]:
    """Rows by table."""
    rows: dict[str, list[Gemm]] = defaultdict(list)
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            rows[row["table"]].append((m, n, k, float(row["time_us"]) * 1e-6))
    return rows


def fitted(rows: list[Gemm]) -> tuple[float, float]:
    """(share of the dense FP8 peak, floor rows) fitted on ``rows`` with the family's launch and bandwidth."""
    fixed, bandwidth, _, _ = family_model(GPU)
    peak = get_gpu(GPU).gemm_tflops("fp8")[0] * 1e12
    _, _, rate, floor = fit_rate_and_floor(rows, fixed, bandwidth)
    return round(rate / peak, 3), floor


def engine_model() -> Model:
    """The engine's model of these GEMMs: the family's launch and bandwidth, ``AITER_ROWWISE_FP8``'s rate and floor."""
    fixed, bandwidth, _, _ = family_model(GPU)
    share, floor = AITER_ROWWISE_FP8[get_gpu(GPU).family]
    return fixed, bandwidth, share * get_gpu(GPU).gemm_tflops("fp8")[0] * 1e12, floor


def main() -> int:
    tables = load()
    share, floor = fitted(tables[FIT_TABLE])
    print(
        f"AITER row-wise 8-bit GEMM times on the {GPU} ({DATA.name}): "
        "fixed + soft_max(bytes / bandwidth, 2 (M + floor) N K / rate)\n"
    )
    print(
        f"fit on {FIT_TABLE} (rows of {DECODE_MAX * 2} tokens and more; the family's launch and bandwidth kept): "
        f"{share:.3f} of the dense FP8 peak, floor {floor:.0f} rows; calibration.AITER_ROWWISE_FP8: "
        f"{AITER_ROWWISE_FP8[get_gpu(GPU).family]}"
    )
    eng, fam = engine_model(), family_model(GPU)
    print("\nmedian |log(modelled / measured)|: with the fit, the family's factors alone")
    print("  table          n   " + "  ".join(f"{label:>15}" for *_, label in BANDS) + "             all")
    for table in (FIT_TABLE, HELD_OUT_TABLE):
        rows = tables[table]
        cells = []
        for lo, hi, _ in BANDS:
            e, f = errors(eng, rows, lo, hi), errors(fam, rows, lo, hi)
            cells.append(f"{statistics.median(e):6.3f} / {statistics.median(f):5.3f}")
        split = "fit" if table == FIT_TABLE else "held out"
        print(
            f"  {table:12} {len(rows):4}   "
            + "  ".join(cells)
            + f"   {statistics.median(errors(eng, rows)):.3f} / {statistics.median(errors(fam, rows)):.3f}  {split}"
        )
    layer = ((2304, 16384), (16384, 2048), (13312, 16384), (16384, 6656))  # one 405B decoder layer at TP8
    times = {(m, n, k): t for m, n, k, t in tables[HELD_OUT_TABLE]}
    print(
        "\nLlama-3.1-405B's four linear layers at TP8 (held out), microseconds: measured, with the fit, family"
    )
    for m in (1, 16, 64, 128, 256, 1024):
        measured = sum(times[(m, n, k)] for n, k in layer)
        ours = sum(modelled(eng, m, n, k) for n, k in layer)
        before = sum(modelled(fam, m, n, k) for n, k in layer)
        print(f"  M={m:5d}: {measured * 1e6:7.1f}  {ours * 1e6:7.1f}  {before * 1e6:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Block-scaled FP8 linear layers on AMD Instinct GPUs, fitted on AITER's own tuned GEMM times.

Run: ``PYTHONPATH=src python benchmarks/fit_cdna_block_fp8.py``.

A block-scaled FP8 checkpoint (DeepSeek-V3/R1, the Qwen3 ``-FP8`` exports: one scale per 128 x 128 weight block)
runs its linear layers on ROCm through AITER's ``gemm_a8w8_blockscale`` (SGLang's ROCm images set
``SGLANG_USE_AITER=1``; vLLM with ``VLLM_ROCM_USE_AITER=1``), which rescales every 128-deep slice of the product
and so runs well below the per-tensor FP8 GEMMs the GPU family's factors stand for.
``data/aiter_blockscale_gemm_times.csv`` holds the times AITER's tuner measured for its kernels, by shape, on
the MI300X (gfx942; the MI325X is the same die) and the MI355X (gfx950); see ``tools/extract_aiter_gemm_times.py``.

Each GEMM is modelled as the engine models a linear layer, ``fixed + soft_max(bytes / bandwidth, flops / rate)``
(one byte a weight and an input value, two bytes an output value), with one term more: a GEMM of M rows computes
as if it had ``M + floor`` rows (2 (M + floor) N K FLOPs). The kernel's tiles are 16-128 rows tall and a
layer's few hundred output tiles do not fill 304 compute units, so a GEMM of a few hundred rows takes about as long
as a tile's whole depth of K, not its own FLOPs at the peak rate; ``floor`` stands for that time.

* **Fitted**, per GPU, on the DeepSeek-V3 table (``ds_v3``) alone: ``fixed`` and ``bandwidth`` by least squares
  on the rows of 1-16 tokens, then ``rate`` and ``floor`` by least squares in log time on the rows of 32 tokens and
  more, the rate printed as a share of the datasheet's dense FP8 peak (``calibration.AITER_BLOCK_FP8``).
* **Held out**: every other model's table (GLM-5.1, Qwen3-VL-32B/235B, Qwen3.6-27B on the MI300X; Qwen3-235B,
  Qwen3-Next-80B, Qwen3.5-397B and the untagged table on the MI355X): the median |log(modelled / measured)| by
  table and by token band, beside the same figure for the family's per-tensor factors the engine took before.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path

from fit_kernels import fit_line

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import AITER_BLOCK_FP8, efficiency_for
from config_explorer.engine.roofline import soft_max

DATA = Path(__file__).resolve().parent / "data" / "aiter_blockscale_gemm_times.csv"
FIT_TABLE = "ds_v3"
DECODE_MAX = 16
COMPUTE_MIN = 4096
BANDS = ((1, 16, "1-16"), (32, 2048, "32-2048"), (4096, 1 << 30, ">=4096"))

Gemm = tuple[int, int, int, float]  # m, n, k, seconds
Model = tuple[float, float, float, float]  # fixed s, bytes/s, FLOP/s, floor rows


def load() -> dict[tuple[str, str], list[Gemm]]:
    """Rows by (GPU, table)."""
    rows: dict[tuple[str, str], list[Gemm]] = defaultdict(list)
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            m, n, k = int(row["m"]), int(row["n"]), int(row["k"])
            rows[(row["gpu"], row["table"])].append((m, n, k, float(row["time_us"]) * 1e-6))
    return rows


def gemm_bytes(m: int, n: int, k: int) -> float:
    return float(n * k + m * k + 2 * m * n)


def modelled(model: Model, m: int, n: int, k: int) -> float:
    fixed, bandwidth, rate, floor = model
    return fixed + soft_max(gemm_bytes(m, n, k) / bandwidth, 2.0 * (m + floor) * n * k / rate)


def fit(rows: list[Gemm]) -> Model:
    small = [r for r in rows if r[0] <= DECODE_MAX]
    fixed, slope = fit_line([gemm_bytes(m, n, k) for m, n, k, _ in small], [t for *_, t in small])
    return fit_rate_and_floor(rows, fixed, 1.0 / slope)


def fit_rate_and_floor(rows: list[Gemm], fixed: float, bandwidth: float) -> Model:
    """The rate and floor that fit ``rows`` of more than ``DECODE_MAX`` tokens best (least squares in log time)
    beside ``fixed`` and ``bandwidth``: a first rate off the largest batches, then rate (within +-40%, 1% steps)
    and floor (8-row steps)."""
    first = statistics.median(2.0 * m * n * k / (t - fixed) for m, n, k, t in rows if m >= COMPUTE_MIN)
    rest = [r for r in rows if r[0] > DECODE_MAX]

    def loss(model: Model) -> float:
        return sum(math.log(modelled(model, m, n, k) / t) ** 2 for m, n, k, t in rest)

    candidates = (
        (fixed, bandwidth, first * math.exp(step / 100), float(floor))
        for step in range(-40, 41)
        for floor in range(0, 401, 8)
    )
    return min(candidates, key=loss)


def family_model(gpu: str) -> Model:
    """The per-tensor factors of the GPU's family, as the engine took them for every FP8 linear before."""
    spec = get_gpu(gpu)
    eff = efficiency_for(spec.family)
    peak = spec.gemm_tflops("fp8")[0] * 1e12
    bandwidth = eff.gemm_bandwidth * spec.memory_bandwidth_bytes_s
    return eff.gemm_kernel_us * 1e-6, bandwidth, eff.gemm_compute_8bit * peak, 0.0


def engine_model(gpu: str) -> Model:
    """The engine's constants for the GPU (``calibration.AITER_BLOCK_FP8``)."""
    spec = get_gpu(gpu)
    fixed_us, gb_s, share, floor = AITER_BLOCK_FP8[spec.family]
    return fixed_us * 1e-6, gb_s * 1e9, share * spec.gemm_tflops("fp8")[0] * 1e12, floor


def errors(model: Model, rows: list[Gemm], lo: int = 1, hi: int = 1 << 30) -> list[float]:
    return [abs(math.log(modelled(model, m, n, k) / t)) for m, n, k, t in rows if lo <= m <= hi]


def main() -> int:
    tables = load()
    print(
        f"AITER gemm_a8w8_blockscale times ({DATA.name}): "
        "fixed + soft_max(bytes / bandwidth, 2 (M + floor) N K / rate)\n"
    )
    print(
        f"fit on the {FIT_TABLE} table: fixed and bandwidth on 1-{DECODE_MAX} tokens, rate and floor on more; "
        "the engine's beside"
    )
    for gpu in sorted({g for g, _ in tables}):
        spec = get_gpu(gpu)
        fixed, bandwidth, rate, floor = fit(tables[(gpu, FIT_TABLE)])
        eng = engine_model(gpu)
        peak = spec.gemm_tflops("fp8")[0] * 1e12
        print(
            f"  {gpu:7} ({spec.family}): fixed {fixed * 1e6:.2f} us, {bandwidth / 1e9:.0f} GB/s, "
            f"{rate / 1e12:.0f} TFLOP/s = {rate / peak:.3f} of the FP8 peak, floor {floor:.0f} rows; "
            f"{eng[0] * 1e6:.2f} us, {eng[1] / 1e9:.0f} GB/s, {eng[2] / peak:.3f}, {eng[3]:.0f} rows"
        )
    print(
        "\nmedian |log(modelled / measured)|: the engine's block-scaled constants, the family's per-tensor factors"
    )
    header = "  GPU      table                  n   " + "  ".join(f"{label:>15}" for *_, label in BANDS)
    print(header + "        all")
    for (gpu, table), rows in sorted(tables.items()):
        eng, fam = engine_model(gpu), family_model(gpu)
        cells = []
        for lo, hi, _ in BANDS:
            e, f = errors(eng, rows, lo, hi), errors(fam, rows, lo, hi)
            cells.append(f"{statistics.median(e):6.3f} / {statistics.median(f):5.3f}" if e else f"{'-':>15}")
        split = "fit" if table == FIT_TABLE else "held out"
        all_e, all_f = statistics.median(errors(eng, rows)), statistics.median(errors(fam, rows))
        print(
            f"  {gpu:7}  {table:18} {len(rows):4}   "
            + "  ".join(cells)
            + f"  {all_e:.3f} / {all_f:.3f}  {split}"
        )
    held_out = [(gpu, rows) for (gpu, table), rows in tables.items() if table != FIT_TABLE]
    held = [e for gpu, rows in held_out for e in errors(engine_model(gpu), rows)]
    before = [e for gpu, rows in held_out for e in errors(family_model(gpu), rows)]
    print(
        f"\nheld out, every table but {FIT_TABLE}: median |log| {statistics.median(held):.3f} "
        f"(the family's per-tensor factors: {statistics.median(before):.3f}) over {len(held)} GEMMs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The fixed time and link efficiency of the NCCL all-gather and reduce-scatter an engine's MoE layers run where
attention is data-parallel and the tokens are gathered (``calibration.NCCL_GATHER_BY_FAMILY``), fitted on measured
NCCL collectives and read held out on the rest.

Run: ``PYTHONPATH=src python benchmarks/fit_nccl_gather.py``.

The measurements are ``data/nccl_gather_times.csv``: NVIDIA aiconfigurator's NCCL tables (16-bit all-gather and
reduce-scatter, 2-8 GPUs of one node, 262,144-67,108,864 elements: the gathered buffer, the sizes a decode or prompt
step's gathered hidden states reach; extracted by ``tools/extract_nccl_gather_times.py``).

The engine charges one such collective of ``S`` gathered bytes over ``g`` GPUs ``fixed + (g - 1) / g x S / (link x
efficiency)`` (``roofline.exchange_seconds_per_token`` and ``StepCost``'s exchange term). Each family's
(fixed, efficiency) is fitted by least squares on the relative error over both collectives and every GPU count of
one GPU's rows: the H200 (Hopper), the B200 (Blackwell) and the A100 (Ampere). Every other GPU's rows are held out:
the script prints median measured / modelled per GPU, collective and GPU count with the constants the engine holds.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from fit_allreduce import held_out_summary

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import NCCL_GATHER_BY_FAMILY

DATA = Path(__file__).resolve().parent / "data" / "nccl_gather_times.csv"
#: the GPU each family's constants are fitted on
FIT = {"hopper": "H200-SXM", "blackwell": "B200-SXM", "ampere": "A100-SXM"}
BYTES_PER_ELEMENT = 2


def full_link_us(row: dict[str, str]) -> float:
    """The row's bandwidth term at the whole link rate, microseconds: ``(g - 1) / g x bytes / link``."""
    gpus = int(row["num_gpus"])
    link = get_gpu(row["gpu"]).link_bandwidth_bytes_s
    return (gpus - 1) / gpus * int(row["message_elements"]) * BYTES_PER_ELEMENT / link * 1e6


def fit(rows: list[dict[str, str]]) -> tuple[float, float]:
    """(fixed us, link efficiency) minimising the squared relative error of ``fixed + x / efficiency`` over ``rows``:
    the least squares of 1 on (1 / t, x / t), solved from its 2 x 2 normal equations."""
    u = [1.0 / float(r["time_us"]) for r in rows]
    v = [full_link_us(r) / float(r["time_us"]) for r in rows]
    suu, svv, suv = sum(a * a for a in u), sum(b * b for b in v), sum(a * b for a, b in zip(u, v))
    su, sv = sum(u), sum(v)
    det = suu * svv - suv * suv
    fixed = (su * svv - sv * suv) / det
    slope = (sv * suu - su * suv) / det
    return fixed, 1.0 / slope


def modelled_us(row: dict[str, str], fixed: float, efficiency: float) -> float:
    """The engine's charge for the row's collective with ``fixed`` and ``efficiency``."""
    return fixed + full_link_us(row) / efficiency


def main() -> None:
    with DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    print(
        f"{len(rows)} measured NCCL all-gathers and reduce-scatters (16-bit, 2-8 GPUs, 0.25-64 M elements)\n"
    )
    print("fitted per family (least squares on the relative error over the fit GPU's rows):")
    for family, gpu in FIT.items():
        fixed, efficiency = fit([r for r in rows if r["gpu"] == gpu])
        held_fixed, held_efficiency = NCCL_GATHER_BY_FAMILY[family]
        print(
            f"  {family:9} {fixed:5.1f} us, link efficiency {efficiency:.3f}  (fit rows: {gpu}; the engine holds "
            f"{held_fixed:g} us, {held_efficiency:g})"
        )
    groups: dict[tuple[str, str, str, int], list[float]] = defaultdict(list)
    for r in rows:
        family = get_gpu(r["gpu"]).family
        split = "fit" if FIT.get(family) == r["gpu"] else "held out"
        ratio = float(r["time_us"]) / modelled_us(r, *NCCL_GATHER_BY_FAMILY[family])
        groups[(split, r["gpu"], r["op"], int(r["num_gpus"]))].append(ratio)
    print("\nmeasured / modelled with the engine's constants, median (min-max) over sizes:")
    for (split, gpu, op, gpus), ratios in sorted(groups.items()):
        print(
            f"  {split:8} {gpu:9} {op:14} {gpus} GPUs {statistics.median(ratios):5.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f})"
        )
    print(held_out_summary(groups))


if __name__ == "__main__":
    main()

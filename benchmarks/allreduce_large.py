"""Large all-reduces (a prompt step's hidden states) against the engine's charge: an audit, nothing fitted.

Run: ``PYTHONPATH=src python benchmarks/allreduce_large.py``.

The measurements are ``data/nccl_allreduce_times.csv``: NVIDIA aiconfigurator's NCCL table (16-bit all-reduce,
2-8 GPUs of one node, 2,097,152-134,217,728 elements, the newest NCCL release each GPU's folder holds; extracted by
``tools/extract_nccl_allreduce_times.py``). Past their custom all-reduce's size limit the engines call NCCL, so these
are what a prompt chunk's two all-reduces a layer take: 2,048 tokens of a 7,168-wide model are 14.7 M elements.

The engine charges every all-reduce ``allreduce_us + 2 (g - 1) / g x bytes / (link x link_efficiency)``
(``engine/roofline.py``), the fixed part fitted on small CUDA-graph all-reduces (``fit_allreduce.py``). The script
prints measured / charged per GPU and GPU count over three size bands, and the bus bandwidth NCCL reached at the
largest size against the link rate the engine assumes (``link x link_efficiency``). Nothing here feeds the engine.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for
from config_explorer.engine.roofline import Rates, rates_for

DATA = Path(__file__).resolve().parent / "data" / "nccl_allreduce_times.csv"
#: (label, fewest elements, most elements) of the size bands printed
BANDS = (
    ("2-8 M", 2**21, 2**23),
    ("16-32 M", 2**24, 2**25),
    ("64-128 M", 2**26, 2**27),
)
BYTES_PER_ELEMENT = 2


def engine_rates(gpu_name: str, gpus: int) -> Rates:
    """The engine's rates for ``gpus`` GPUs of one node in tensor parallelism (its all-reduce latency and link)."""
    gpu = get_gpu(gpu_name)
    return rates_for(gpu, efficiency_for(gpu.family), "bf16", gpus)[0]


def charged_seconds(gpu_name: str, gpus: int, elements: int) -> float:
    """The engine's charge for one all-reduce of ``elements`` 16-bit values over ``gpus`` GPUs of one node."""
    rates = engine_rates(gpu_name, gpus)
    ring = 2.0 * (gpus - 1) / gpus * elements * BYTES_PER_ELEMENT
    return rates.allreduce_latency_s + ring / rates.link_bytes_s


def main() -> None:
    with DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    print(f"{len(rows)} measured NCCL all-reduces (16-bit, 2-8 GPUs of one node, 2-128 M elements)\n")
    ratios: dict[tuple[str, int, str], list[float]] = defaultdict(list)
    largest: dict[tuple[str, int], tuple[int, float]] = {}
    for r in rows:
        gpu, gpus, elements = r["gpu"], int(r["num_gpus"]), int(r["message_elements"])
        measured = float(r["time_us"]) * 1e-6
        for band, low, high in BANDS:
            if low <= elements <= high:
                ratios[(gpu, gpus, band)].append(measured / charged_seconds(gpu, gpus, elements))
        if elements > largest.get((gpu, gpus), (0, 0.0))[0]:
            largest[(gpu, gpus)] = (elements, measured)
    print("measured / charged, median over each band (below 1: the engine charges more than NCCL takes)")
    header = "".join(f"{band:>10}" for band, _, _ in BANDS)
    print(f"  {'GPU':9} {'GPUs':>4} {header}   NCCL bus GB/s at the largest size vs the engine's link rate")
    for (gpu, gpus), (elements, measured) in sorted(largest.items()):
        cells = "".join(
            f"{statistics.median(ratios[(gpu, gpus, band)]):10.2f}"
            if ratios[(gpu, gpus, band)]
            else f"{'-':>10}"
            for band, _, _ in BANDS
        )
        bus = 2.0 * (gpus - 1) / gpus * elements * BYTES_PER_ELEMENT / measured / 1e9
        assumed = engine_rates(gpu, gpus).link_bytes_s / 1e9
        print(f"  {gpu:9} {gpus:>4} {cells}   {bus:6.0f} vs {assumed:4.0f}")
    every = [x for values in ratios.values() for x in values]
    print(f"\nevery row: median measured / charged {statistics.median(every):.2f} over {len(every)} rows")


if __name__ == "__main__":
    main()

"""Large all-reduces (a prompt step's hidden states) against the engine's charge: an audit, nothing fitted.

Run: ``PYTHONPATH=src python benchmarks/allreduce_large.py``.

Two measured tables, both from NVIDIA aiconfigurator's kernel database (``aiconfigurator-core==0.12.0``):

* ``data/engine_allreduce_large_times.csv`` (``tools/extract_engine_allreduce_times.py``): each engine's own
  all-reduce op (vLLM's and SGLang's, which pick one of their custom kernels or NCCL by message size; TensorRT-LLM's
  ``AllReduce``) replayed in CUDA graphs, 262,144-134,217,728 bf16 elements on 2-8 GPUs of one node, each engine at
  the newest release its GPU folder holds. This is what a prompt step's two all-reduces a layer take in that engine:
  2,048 tokens of a 7,168-wide model are 14.7 M elements.
* ``data/nccl_allreduce_times.csv`` (``tools/extract_nccl_allreduce_times.py``): NCCL's own all-reduce, 2-128 M
  16-bit elements. At the smaller of these sizes the engines' ops take their own kernels instead, so this table
  overstates what those sizes cost in a served step; the last table printed sets the two side by side.

The engine charges every all-reduce ``allreduce_us x share + 2 (g - 1) / g x bytes / (link x link_efficiency)``
(``engine/roofline.py``), the fixed part fitted on small CUDA-graph all-reduces (``fit_allreduce.py``; ``share``: the
serving engine's own kernel's, ``calibration.custom_allreduce_scale``, as the engine plans each row's engine and
release; NCCL's rows are set against vLLM's charge). The script
prints measured / charged by size band: per engine, GPU and GPU count for the engines' ops, per GPU and GPU count for
NCCL, and the bus bandwidth NCCL reached at the largest size against the link rate the engine assumes
(``link x link_efficiency``). Nothing here feeds the engine.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import custom_allreduce_scale, efficiency_for, profile_for
from config_explorer.engine.roofline import Rates, rates_for

DATA = Path(__file__).resolve().parent / "data" / "nccl_allreduce_times.csv"
ENGINE_DATA = Path(__file__).resolve().parent / "data" / "engine_allreduce_large_times.csv"
#: (label, fewest elements, most elements) of the size bands printed
BANDS = (
    ("0.25-1 M", 2**18, 2**20),
    ("2-8 M", 2**21, 2**23),
    ("16-32 M", 2**24, 2**25),
    ("64-128 M", 2**26, 2**27),
)
BYTES_PER_ELEMENT = 2
#: measured / charged ratios by (key..., band)
BandRatios = dict[tuple[str, ...], list[float]]


#: the tables' engine names, as the engine profiles spell them
ENGINES = {"vLLM": "vllm", "SGLang": "sglang", "TensorRT-LLM": "trtllm"}


def engine_rates(gpu_name: str, gpus: int, engine: str = "vllm") -> Rates:
    """The rates the engine plans ``engine`` (a profile name, optionally with its release) with on ``gpus`` GPUs of one
    node in tensor parallelism: its all-reduce latency (the serving engine's own kernel's share of it) and link."""
    gpu = get_gpu(gpu_name)
    share = custom_allreduce_scale(
        profile_for(engine),
        gpu_family=gpu.family,
        nvlink=gpu.has_nvlink_class_link,
        group=gpus,
        server_gpus=gpus,
        gpus_per_node=gpu.gpus_per_node,
    )
    return rates_for(gpu, efficiency_for(gpu.family), "bf16", gpus, allreduce_scale=share)[0]


def charged_seconds(gpu_name: str, gpus: int, elements: int, engine: str = "vllm") -> float:
    """The engine's charge for one all-reduce of ``elements`` 16-bit values over ``gpus`` GPUs of one node, as it plans
    ``engine``."""
    rates = engine_rates(gpu_name, gpus, engine)
    ring = 2.0 * (gpus - 1) / gpus * elements * BYTES_PER_ELEMENT
    return rates.allreduce_latency_s + ring / rates.link_bytes_s


def row_engine(row: dict[str, str]) -> str:
    """The profile a row of the engines' table was measured with (its engine and release); vLLM for NCCL's rows."""
    framework = row.get("framework")
    return f"{ENGINES[framework]}=={row['release']}" if framework else "vllm"


def banded(rows: list[dict[str, str]], key: Callable[[dict[str, str]], tuple[str, ...]]) -> BandRatios:
    """Measured / charged of each row, by ``key`` and size band."""
    ratios: BandRatios = defaultdict(list)
    for r in rows:
        gpu, gpus, elements = r["gpu"], int(r["num_gpus"]), int(r["message_elements"])
        measured = float(r["time_us"]) * 1e-6
        for band, low, high in BANDS:
            if low <= elements <= high:
                ratios[(*key(r), band)].append(measured / charged_seconds(gpu, gpus, elements, row_engine(r)))
    return ratios


def cells(ratios: BandRatios, key: tuple[str, ...]) -> str:
    """One line's median measured / charged per band (``-`` where the table has no row)."""
    return "".join(
        f"{statistics.median(ratios[(*key, band)]):10.2f}" if ratios.get((*key, band)) else f"{'-':>10}"
        for band, _, _ in BANDS
    )


def engines_section() -> None:
    """The engines' own all-reduce ops against the charge."""
    with ENGINE_DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    print(
        f"{len(rows)} measured all-reduces by the engines' own ops (bf16, CUDA graphs, 2-8 GPUs, 0.25-128 M elements)\n"
    )
    ratios = banded(rows, lambda r: (r["framework"], r["release"], r["gpu"], r["num_gpus"]))
    header = "".join(f"{band:>10}" for band, _, _ in BANDS)
    print(
        "measured / charged, median over each band (below 1: the engine charges more than the engine's op takes)"
    )
    print(f"  {'engine':12} {'release':10} {'GPU':9} {'GPUs':>4} {header}")
    for key in sorted({k[:-1] for k in ratios}):
        framework, release, gpu, gpus = key
        print(f"  {framework:12} {release:10} {gpu:9} {gpus:>4} {cells(ratios, key)}")
    by_engine = banded(rows, lambda r: (r["framework"],))
    print("\n  every GPU and GPU count:")
    for (framework,) in sorted({k[:-1] for k in by_engine}):
        print(f"  {framework:12} {'':10} {'':9} {'':>4} {cells(by_engine, (framework,))}")
    every = [x for values in ratios.values() for x in values]
    print(f"\nevery row: median measured / charged {statistics.median(every):.2f} over {len(every)} rows\n")


def nccl_section() -> None:
    """NCCL's own all-reduce against the charge, and its bus bandwidth at the largest size."""
    with DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    print(f"{len(rows)} measured NCCL all-reduces (16-bit, 2-8 GPUs of one node, 2-128 M elements)\n")
    ratios = banded(rows, lambda r: (r["gpu"], r["num_gpus"]))
    largest: dict[tuple[str, int], tuple[int, float]] = {}
    for r in rows:
        gpu, gpus, elements = r["gpu"], int(r["num_gpus"]), int(r["message_elements"])
        if elements > largest.get((gpu, gpus), (0, 0.0))[0]:
            largest[(gpu, gpus)] = (elements, float(r["time_us"]) * 1e-6)
    print("measured / charged, median over each band (below 1: the engine charges more than NCCL takes)")
    header = "".join(f"{band:>10}" for band, _, _ in BANDS)
    print(f"  {'GPU':9} {'GPUs':>4} {header}   NCCL bus GB/s at the largest size vs the engine's link rate")
    for (gpu, gpus), (elements, measured) in sorted(largest.items()):
        bus = 2.0 * (gpus - 1) / gpus * elements * BYTES_PER_ELEMENT / measured / 1e9
        assumed = engine_rates(gpu, gpus).link_bytes_s / 1e9
        print(f"  {gpu:9} {gpus:>4} {cells(ratios, (gpu, str(gpus)))}   {bus:6.0f} vs {assumed:4.0f}")
    every = [x for values in ratios.values() for x in values]
    print(f"\nevery row: median measured / charged {statistics.median(every):.2f} over {len(every)} rows")


def ops_against_nccl() -> None:
    """The engines' own ops over NCCL alone, at the sizes and GPU counts both tables hold."""
    with DATA.open() as fh:
        nccl = {
            (r["gpu"], r["num_gpus"], r["message_elements"]): float(r["time_us"]) for r in csv.DictReader(fh)
        }
    with ENGINE_DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    ratios: dict[tuple[str, int], list[float]] = defaultdict(list)
    for r in rows:
        alone = nccl.get((r["gpu"], r["num_gpus"], r["message_elements"]))
        if alone:
            ratios[(r["framework"], int(r["message_elements"]))].append(float(r["time_us"]) / alone)
    sizes = sorted({size for _, size in ratios})
    print("\nthe engines' own ops / NCCL alone, median over GPUs and GPU counts, by size (M elements)")
    print(f"  {'engine':12} " + "".join(f"{size / 2**20:>8g}" for size in sizes))
    for framework in sorted({f for f, _ in ratios}):
        line = "".join(
            f"{statistics.median(ratios[(framework, size)]):8.2f}"
            if ratios.get((framework, size))
            else f"{'-':>8}"
            for size in sizes
        )
        print(f"  {framework:12} {line}")


def main() -> None:
    engines_section()
    nccl_section()
    ops_against_nccl()


if __name__ == "__main__":
    main()

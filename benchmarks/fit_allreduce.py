"""The fixed cost of one tensor-parallel all-reduce (``FamilyEfficiency.allreduce_us``) and the shares of it that
SGLang's JIT custom all-reduce and TensorRT-LLM's all-reduce take (``SGLANG_CUSTOM_AR_V2_SCALE``,
``TRTLLM_CUSTOM_AR_SCALE``), fitted on measured all-reduce times and read held out on the rest.

Run: ``PYTHONPATH=src python benchmarks/fit_allreduce.py``.

The measurements are ``data/allreduce_times.csv``: NVIDIA aiconfigurator's communication database (commit
095f58a), the engines' own custom all-reduce (SGLang, vLLM, TensorRT-LLM) replayed in CUDA graphs, as a
decode step runs it, bf16, 2-8 GPUs of one A100, H100, H200 or B200 node, 1,024-65,536 elements: the
message of a decode step of one to a few dozen sequences (one hidden vector per sequence).

The engine charges a call ``allreduce_us x scale + 2 (g - 1) / g x bytes / link`` (the ring term at the family's
link efficiency, ``engine/roofline.py``; ``scale`` is the engine's own kernel's share, 1 where it has none:
``calibration.custom_allreduce_scale``). Each family's fixed part is fitted as the median, over the named fit rows,
of the measured time less the ring term: vLLM and SGLang on the H200 (Hopper), SGLang on the B200 (Blackwell) and
SGLang on the A100 (Ampere), leaving out the kernels with a share of their own (SGLang's JIT kernel, 0.5.14 here;
TensorRT-LLM's on Hopper and Blackwell). Each share is fitted as the median of the same residual over the Hopper
constant on its H200 rows. Every other row (the H100; vLLM and TensorRT-LLM on the A100; vLLM, TensorRT-LLM and
SGLang 0.5.14 on the B200) is held out: the script prints median measured / modelled per group with the constants
the engine holds.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moe_layers import GPUS

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_CUSTOM_AR_V2_SCALE,
    SGLANG_CUSTOM_AR_V2_SINCE,
    TRTLLM_CUSTOM_AR_SCALE,
    custom_allreduce_scale,
    efficiency_for,
    profile_for,
    profile_release,
)

DATA = Path(__file__).resolve().parent / "data" / "allreduce_times.csv"
#: the rows each family's constant is fitted on: (GPU, engine or "" for every engine and release)
FIT = {
    "hopper": ("H200-SXM", ""),  # every engine whose kernel has no share of its own
    "blackwell": ("B200-SXM", "sglang"),
    "ampere": ("A100-SXM", "sglang"),
}


#: the GPU the engines' own kernels' shares are fitted on
SHARE_FIT_GPU = "H200-SXM"


def runs_v2(row: dict[str, str]) -> bool:
    """Whether the row is SGLang's JIT custom all-reduce (a release from ``SGLANG_CUSTOM_AR_V2_SINCE``)."""
    if row["framework"] != "sglang":
        return False
    release = profile_release(profile_for(f"sglang=={row['version']}"))
    return release is not None and release >= SGLANG_CUSTOM_AR_V2_SINCE


def share(row: dict[str, str]) -> float:
    """The engine's own kernel's share of the family's fixed cost for the row (2-8 GPUs of one NVLink node)."""
    profile = profile_for(f"{row['framework']}=={row['version']}")
    gpus = int(row["num_gpus"])
    family = get_gpu(GPUS[row["gpu"]]).family
    return custom_allreduce_scale(
        profile, gpu_family=family, nvlink=True, group=gpus, server_gpus=gpus, gpus_per_node=8
    )


def is_fit(row: dict[str, str], family: str) -> bool:
    """Whether the row is one the family's fixed cost is fitted on."""
    gpu, engine = FIT.get(family, ("", ""))
    return row["gpu"] == gpu and engine in ("", row["framework"]) and share(row) == 1.0


def label(row: dict[str, str]) -> str:
    """The row's engine, SGLang's JIT kernel apart."""
    return "sglang-v2" if runs_v2(row) else row["framework"]


def ring_seconds(gpu_name: str, gpus: int, message_bytes: float) -> float:
    """The engine's bandwidth term for one all-reduce of ``message_bytes`` over ``gpus`` GPUs."""
    gpu = get_gpu(gpu_name)
    link = gpu.link_bandwidth_bytes_s * efficiency_for(gpu.family).link_efficiency
    return 2.0 * (gpus - 1) / gpus * message_bytes / link


def main() -> None:
    with DATA.open() as fh:
        rows = list(csv.DictReader(fh))
    print(f"{len(rows)} measured all-reduces (CUDA-graph replay, 1,024-65,536 bf16 elements, 2-8 GPUs)\n")
    residual: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        gpu = GPUS[r["gpu"]]
        family = get_gpu(gpu).family
        if is_fit(r, family):
            ring = ring_seconds(gpu, int(r["num_gpus"]), 2 * int(r["message_elements"]))
            residual[family].append(float(r["time_us"]) - ring * 1e6)
    print("fitted fixed cost per all-reduce (median of measured - ring term over the fit rows):")
    for family, values in sorted(residual.items()):
        gpu, engine = FIT[family]
        held = efficiency_for(family).allreduce_us
        who = engine or "every engine without a share of its own"
        print(
            f"  {family:9} {statistics.median(values):5.2f} us  (fit rows: {who} on {gpu}, "
            f"n={len(values)}; the engine holds {held:g} us)"
        )
    for name, held, own in (
        (
            f"SGLang's JIT custom all-reduce (from {'.'.join(map(str, SGLANG_CUSTOM_AR_V2_SINCE))})",
            SGLANG_CUSTOM_AR_V2_SCALE,
            runs_v2,
        ),
        (
            "TensorRT-LLM's all-reduce (Hopper, Blackwell)",
            TRTLLM_CUSTOM_AR_SCALE,
            lambda r: r["framework"] == "trtllm",
        ),
    ):
        shares = [
            (
                float(r["time_us"])
                - ring_seconds(GPUS[r["gpu"]], int(r["num_gpus"]), 2 * int(r["message_elements"])) * 1e6
            )
            / efficiency_for(get_gpu(GPUS[r["gpu"]]).family).allreduce_us
            for r in rows
            if own(r) and r["gpu"] == SHARE_FIT_GPU
        ]
        print(
            f"\n{name}: its fixed cost over the family's {statistics.median(shares):.3f} (fit rows: its {SHARE_FIT_GPU} "
            f"rows, n={len(shares)}; the engine holds {held:g})"
        )
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in rows:
        gpu = GPUS[r["gpu"]]
        family = get_gpu(gpu).family
        g = int(r["num_gpus"])
        modelled = efficiency_for(family).allreduce_us * share(r) * 1e-6 + ring_seconds(
            gpu, g, 2 * int(r["message_elements"])
        )
        fitted = is_fit(r, family) or (share(r) != 1.0 and r["gpu"] == SHARE_FIT_GPU)
        split = "fit" if fitted else "held out"
        groups[(split, r["gpu"], label(r))].append(float(r["time_us"]) * 1e-6 / modelled)
    print("\nmeasured / modelled with the engine's constants, by GPU and engine (every release, 2-8 GPUs):")
    print(f"  {'split':8} {'GPU':9} {'engine':9}   n  median  10%-90%")
    for (split, gpu, framework), ratios in sorted(groups.items()):
        ordered = sorted(ratios)
        low, high = ordered[int(0.1 * (len(ordered) - 1))], ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"  {split:8} {gpu:9} {framework:9} {len(ratios):3} {statistics.median(ratios):7.2f}  {low:.2f}-{high:.2f}"
        )
    print(held_out_summary(groups))


def held_out_summary(groups: Mapping[tuple[Any, ...], list[float]]) -> str:
    """The closing line of a fit script's report: median measured / modelled over the held-out groups' rows (a group's
    key starts with its split) and the share of them within which 90% fall."""
    held = [x for (split, *_), ratios in groups.items() if split == "held out" for x in ratios]
    spread = sorted(abs(x - 1) for x in held)[int(0.9 * (len(held) - 1))]
    return (
        f"\nheld out: median measured / modelled {statistics.median(held):.2f} over {len(held)} rows; "
        f"90% of them within {spread:.0%}"
    )


if __name__ == "__main__":
    main()

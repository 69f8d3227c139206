"""SGLang's expert computation behind DeepEP at decode, the native engine's MoE layer term against measured times.

Run: ``PYTHONPATH=src python benchmarks/deepep_moe_compute.py``.

With data-parallel attention and the experts split over expert-parallel ranks, SGLang dispatches each decode step's
tokens with DeepEP's low-latency all-to-all and runs every rank's local experts on DeepGEMM's masked grouped GEMMs.
``data/deepep_moe_compute_times.csv`` holds NVIDIA aiconfigurator's measurements of that expert computation alone
(SGLang 0.5.10, ``DeepEPMoE.run_moe_core``; DeepSeek-V3's experts in block-scaled FP8; EP2-EP256; the decode batch of
the whole expert-parallel group, 2-32,768 tokens; uniform and power-law routing; H100, H200, B200, B300, GB200;
``tools/extract_deepep_moe_times.py``). Each row is estimated with :meth:`StepCost.moe_layer_terms` of the SGLang
deployment with that many ranks of data-parallel attention and expert parallelism, at the group's batch: nothing is
fitted on these rows, and the dispatch and combine (charged apart, ``benchmarks/ep_exchange.py``) are not in them.

Printed, per GPU and routing: the median measured / estimated at each expert-parallel size, and the median
|log(measured / estimated)|.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path

from expert_shapes import ROUTING
from moe_layers import in_format

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import Deployment, plan_deployment

DATA = Path(__file__).resolve().parent / "data" / "deepep_moe_compute_times.csv"
MODEL = "deepseek-ai/DeepSeek-V3"
GPUS = ("H100", "H200", "B200", "B300", "GB200")


def ratios() -> dict[tuple[str, str], dict[int, list[float]]]:
    """measured / estimated by (GPU, routing) and expert-parallel size."""
    arch = in_format(load_model(MODEL), "fp8_block")
    plans: dict[tuple[str, int], Deployment] = {}
    out: dict[tuple[str, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            gpu, ep = row["gpu"], int(row["ep"])
            if (gpu, ep) not in plans:
                plans[(gpu, ep)] = plan_deployment(
                    arch,
                    get_gpu(gpu),
                    num_gpus=ep,
                    tp=ep,
                    ep=ep,
                    dp_attention=ep,
                    precision="fp8",
                    engine="sglang",
                    input_length=1024,
                    output_length=128,
                    expert_popularity_cv=ROUTING,
                )
            seconds, _, _ = plans[(gpu, ep)].step_cost.moe_layer_terms(float(row["num_tokens"]))
            out[(gpu, row["distribution"])][ep].append(float(row["time_us"]) * 1e-6 / seconds)
    return out


def log_error(values: list[float]) -> float:
    return statistics.median(abs(math.log(v)) for v in values)


def main() -> None:
    found = ratios()
    total = sum(len(v) for by_ep in found.values() for v in by_ep.values())
    print(f"{total} measured DeepEP expert-compute layers estimated (nothing fitted)\n")
    print("median measured / estimated by expert-parallel size; median |log(measured / estimated)|")
    for gpu in GPUS:
        for routing in ("uniform", "power_law_1.01"):
            by_ep = found.get((gpu, routing))
            if not by_ep:
                continue
            cells = " ".join(f"EP{ep} {statistics.median(v):.2f}" for ep, v in sorted(by_ep.items()))
            every = [r for v in by_ep.values() for r in v]
            print(f"  {gpu:6} {routing:15} {cells}   |log| {log_error(every):.3f} (n={len(every)})")
    every = [r for by_ep in found.values() for v in by_ep.values() for r in v]
    print(f"\nall rows: median |log(measured / estimated)| {log_error(every):.3f}")


if __name__ == "__main__":
    main()

"""Which measured MoE decode runs are faster than uniform routing over the experts allows.

Run: ``PYTHONPATH=src python benchmarks/routing_floor.py [--all]``.

Under independent uniform routing a MoE decode step reads the experts its tokens touch, ``E (1 - (1 - k/E)^n)`` a
layer for ``n`` tokens, ``k`` of ``E`` experts each (the engine's estimates take skewed routing,
``calibration.EXPERT_POPULARITY_CV``, which reads fewer; this floor is the uniform one). For every held-out
closed-loop row of ``benchmarks/accuracy.py`` that measures the median (else mean) TPOT or ITL of a MoE model on one
pipeline stage, this script replays the row's deployment (its engine, layout and launch flags, as accuracy.py does),
takes the decode step of the batch the simulated run held on average at the run's mean context (prompt plus half the
output), and prints the time that step's bytes take at the GPU's full datasheet bandwidth, with nothing else charged:
a floor no engine can beat if routing were uniform. A measured gap below it says the run's tokens touched fewer
distinct experts than uniform routing does (skewed or correlated routing), whatever else the engine gets right or
wrong.

It prints the rows below the floor and, by model, how many of its rows were checked and fell below. ``--all``
prints every row checked.
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402

from config_explorer.architecture import ModelArchitecture  # noqa: E402
from config_explorer.catalogs.gpus import get_gpu  # noqa: E402
from config_explorer.engine.records import PerformanceEstimate  # noqa: E402
from config_explorer.engine.serving import estimate, plan_deployment  # noqa: E402
from config_explorer.engine.traffic import Traffic  # noqa: E402

#: the token-gap metrics checked, in the order a run's row is preferred
GAP_METRICS = ("tpot_ms_median", "itl_ms_median", "tpot_ms_mean", "itl_ms_mean")


def step_floor_ms(
    arch: ModelArchitecture, row: dict[str, str], layout: dict[str, Any], e: PerformanceEstimate
) -> float:
    """The row's mean decode step (its simulated batch per replica, at the run's mean context) at the GPU's
    datasheet bandwidth: the step's bytes on one GPU over that GPU's peak, ms."""
    gpu = get_gpu(row["gpu"])
    dep = plan_deployment(
        arch,
        gpu,
        input_length=int(row["input_len"]),
        output_length=int(row["output_len"]),
        **accuracy._planned(layout),
        expert_popularity_cv=0.0,  # the floor of uniform routing, whatever the estimate's own routing
    )
    batch = e.decode_batch_per_replica or 0.0
    context = int(row["input_len"]) + int(row["output_len"]) / 2
    step = dep.step_cost.breakdown(batch, batch * context, 0.0, 0.0, 0.0, 0.0, batch)
    return 1e3 * step.bytes / gpu.memory_bandwidth_bytes_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--all", action="store_true", help="print every row checked, not only those below the floor"
    )
    args = parser.parse_args(argv)

    checked: list[tuple[str, str, str, int, float, float, float]] = []
    #: each run's preferred token-gap metric (:data:`GAP_METRICS`), for the file being read
    preferred: dict[tuple[str, ...], str] = {}

    def runner(
        arch: ModelArchitecture, row: dict[str, str], layout: dict[str, Any], traffic: Traffic, **knobs: Any
    ) -> PerformanceEstimate:
        e = estimate(arch, get_gpu(row["gpu"]), **layout, traffic=traffic, **knobs)
        if (
            e.ok
            and arch.is_moe
            and row["metric"] == preferred.get(run_key(row))
            and traffic.arrival == "closed_loop"
            and e.decode_batch_per_replica
            and layout.get("pp", 1)
            == 1  # a pipeline step's bytes are one stage's micro-batch: no whole-step floor
        ):
            floor = step_floor_ms(arch, row, layout, e)
            batch = e.decode_batch_per_replica
            checked.append(
                (
                    row["model"],
                    row["gpu"],
                    row["engine"],
                    int(row["concurrency"]),
                    batch,
                    float(row["value"]),
                    floor,
                )
            )
        return e

    def run_key(row: dict[str, str]) -> tuple[str, ...]:
        return tuple(
            row[k]
            for k in ("source", "gpu", "model", "tp", "num_gpus", "concurrency", "input_len", "output_len")
        )

    total = 0
    for path in accuracy.PUBLISHED:
        preferred.clear()
        with path.open() as fh:
            for row in csv.DictReader(fh):
                if row["metric"] in GAP_METRICS:
                    key = run_key(row)
                    have = preferred.get(key)
                    if have is None or GAP_METRICS.index(row["metric"]) < GAP_METRICS.index(have):
                        preferred[key] = row["metric"]
        total += len(preferred)
        accuracy.published_rows(path, "simulated", runner=runner)

    below = [c for c in checked if c[5] < c[6]]
    print(f"MoE closed-loop runs with a token-gap metric: {len(checked)} checked (of {total} runs with one)")
    print(f"measured below the uniform-routing floor: {len(below)}\n")
    header = f"{'model':44} {'gpu':26} {'engine':7} {'clients':>7} {'batch':>6} {'measured ms':>11} {'floor ms':>9}"
    print(header)
    for model, gpu, engine, clients, batch, measured, floor in sorted(checked if args.all else below):
        print(
            f"{model[:44]:44} {gpu[:26]:26} {engine:7} {clients:7d} {batch:6.1f} {measured:11.2f} {floor:9.2f}"
        )
    print("\nby model: runs checked, below the floor")
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for model, _, _, _, _, measured, floor in checked:
        counts[model][0] += 1
        counts[model][1] += measured < floor
    for model, (n, low) in sorted(counts.items()):
        print(f"  {model:50} {n:4d} {low:4d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

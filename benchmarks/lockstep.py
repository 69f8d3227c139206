"""Lockstep groups against measurements: do fixed-length benchmark runs show them?

A closed loop of identical requests moves in lockstep groups (requests prefilled together finish together
and return together), which can set its TTFT several times above that of the same loop with lengths that
vary by a few percent; the simulator keeps the groups for fixed lengths, as ``vllm bench serve`` runs them
by default, and its record warns where they set TTFT (``serving._lockstep_note``). This script reads every
published closed-loop point of ``accuracy.py`` that ran fixed lengths and whose record carries that warning,
and scores its TTFT twice: as estimated (fixed lengths, lockstep groups) and from the same run with every
length drawn within +-5% (``Lengths.vllm_random(L, 0.05)``), which breaks the groups up. Nothing is fitted.
If the groups were an artifact of the simulation, the drawn-length figure would be the closer one.

    PYTHONPATH=src python benchmarks/lockstep.py
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

import attrs
from accuracy import PUBLISHED, READERS, _run, published_rows

from config_explorer.architecture import ModelArchitecture
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.serving import LOCKSTEP_RANGE_RATIO
from config_explorer.engine.traffic import Lengths, Traffic

NOTE = "were sent in groups of"


def _key(
    model: str, gpu: str, concurrency: str, metric: str, value: float
) -> tuple[str, str, str, str, float]:
    return (model.split("/")[-2] if model.endswith("config.json") else model, gpu, concurrency, metric, value)


def lockstep_rows() -> list[dict[str, Any]]:
    """Held-out closed-loop TTFT points whose record warns of lockstep groups, each with the TTFT the same run
    gives with lengths drawn within +-5%."""
    drawn: dict[tuple[str, str, str, str, float], PerformanceEstimate] = {}

    def runner(
        arch: ModelArchitecture, row: dict[str, str], layout: dict[str, Any], traffic: Traffic
    ) -> PerformanceEstimate:
        e = _run(arch, row, layout, traffic)
        if any(NOTE in w for w in e.warnings):
            ratio = LOCKSTEP_RANGE_RATIO
            varied = attrs.evolve(
                traffic,
                input_lengths=Lengths.vllm_random(traffic.input_lengths.low, ratio),
                output_lengths=Lengths.vllm_random(traffic.output_lengths.low, ratio),
            )
            key = _key(row["model"], row["gpu"], row["concurrency"], row["metric"], float(row["value"]))
            drawn[key] = _run(arch, row, layout, varied, check_lockstep=False)
        return e

    out = []
    for path in PUBLISHED:
        if not path.exists():
            continue
        for scored in published_rows(path, "simulated", runner):
            if scored["family"] != "ttft" or scored["split"] != "held-out" or scored["predicted"] is None:
                continue
            key = _key(
                scored["model"], scored["gpu"], str(scored["batch"]), scored["metric"], scored["measured"]
            )
            other = drawn.get(key)
            reader = READERS.get(scored["metric"])
            if other is None or reader is None or not other.ok:
                continue
            alternative = reader(other)
            if alternative is None:
                continue
            out.append({**scored, "file": path.name, "drawn": alternative})
    return out


def main() -> int:
    rows = lockstep_rows()
    print(__doc__.split("\n\n")[0])
    print()
    print(f"{'engine':7}{'GPU':10}{'model':30}{'lengths':>11}{'c':>6}  {'metric':15}{'measured':>10}"
          f"{'fixed':>10}{'error':>8}{'drawn':>10}{'error':>8}")  # fmt: skip
    fixed_errors, drawn_errors = [], []
    for r in rows:
        fixed = r["error_pct"]
        other = (r["drawn"] / r["measured"] - 1) * 100
        fixed_errors.append(fixed)
        drawn_errors.append(other)
        print(
            f"{r['engine']:7}{r['gpu'][:9]:10}{r['model'][-29:]:30}{r['isl']:>6}/{r['osl']:<4}{r['batch']:>6}  "
            f"{r['metric']:15}{r['measured']:>10,.0f}{r['predicted']:>10,.0f}{fixed:>+7.1f}%{r['drawn']:>10,.0f}"
            f"{other:>+7.1f}%"
        )
    if not rows:
        print("no point's record warns of lockstep groups")
        return 0
    print()
    for label, errors in (
        ("fixed lengths (as estimated)", fixed_errors),
        ("lengths drawn within +-5%", drawn_errors),
    ):
        print(
            f"{label:30} median |error| {statistics.median(abs(e) for e in errors):5.1f}%, "
            f"signed {statistics.median(errors):+6.1f}% over {len(errors)} points"
        )
    closer = sum(abs(f) < abs(d) for f, d in zip(fixed_errors, drawn_errors))
    print(f"the fixed-length figure is the closer one on {closer} of {len(rows)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())

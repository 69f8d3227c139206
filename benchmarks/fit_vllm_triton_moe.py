"""The rate of vLLM's Triton fused-MoE kernel on block-scaled FP8 experts on Hopper, fitted on measured layers.

Run: ``PYTHONPATH=src python benchmarks/fit_vllm_triton_moe.py``.

Where DeepGEMM is not installed, vLLM runs block-scaled FP8 experts (DeepSeek's, Qwen3's FP8 releases) on its
Triton ``fused_moe_kernel``, which applies the per-128 block scales inside its K loop. The engine charges such
an expert GEMM at ``peak8 x fraction x w / (w + half_width)`` FLOP/s, ``w`` the expert shard's intermediate
width, where the Hopper family's generic 8-bit term takes (0.64, 700).

The rows are ``data/triton_moe_times.csv``'s vLLM rows (NVIDIA aiconfigurator's kernel database: one GPU's share of one MoE
layer). Both constants are fitted, by a grid search on the median |log(measured / estimated)| of the engine's
whole layer term (its grouped GEMMs and the layer's streamed activation traffic), on the named subset: vLLM
0.19.0 on the H200 SXM, the experts split by tensor parallelism only (TP1-TP16), balanced routing, batches of
1,024 tokens and more. Every other block-scaled FP8 row of 1,024 tokens and more is held out: the same table's
expert-parallel layouts and power-law routing, and vLLM 0.24.0's ``TritonExperts`` layers on the H100 and H200.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

import attrs
from expert_parallel_masking import DATA, MIN_TOKENS, MODELS, layer_seconds, plan, row_shape

from config_explorer.engine.calibration import VLLM_TRITON_BLOCK_FP8_MOE, efficiency_for
from config_explorer.engine.deployment import Deployment
from config_explorer.engine.roofline import StepCost

FRACTIONS = tuple(f / 100 for f in range(20, 66, 2))
HALF_WIDTHS = (0.0, 25.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0, 700.0)
GENERIC = (efficiency_for("hopper").gemm_compute("fp8"), efficiency_for("hopper").moe_half_width("fp8"))


class Row(NamedTuple):
    dep: Deployment
    group: tuple[str, str, str, str]  # release, GPU, routing, layout kind (TP or EP)
    tokens: int
    measured_s: float


def rows() -> list[Row]:
    out = []
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            tokens = int(row["num_tokens"])
            if not row["framework"].startswith("vLLM"):
                continue
            if row["dtype"] != "fp8_block" or row_shape(row) not in MODELS or tokens < MIN_TOKENS:
                continue
            dep = plan(row)
            if dep is not None:
                layout = "TP" if row["ep"] == "1" else "EP"
                group = (row["framework"], row["gpu"], row["distribution"], layout)
                out.append(Row(dep, group, tokens, float(row["time_us"]) * 1e-6))
    return out


def estimate(row: Row, fraction: float, half_width: float) -> float:
    """The engine's layer term for ``row`` with the expert GEMMs at (``fraction``, ``half_width``)."""
    rates = attrs.evolve(
        row.dep.rates, moe_gemm_flops=row.dep.rates.peak_gemm_flops * fraction, moe_half_width=half_width
    )
    return layer_seconds(
        StepCost(row.dep.costs, rates, row.dep.profile), row.tokens, masked=rates.moe_masked_ep
    )


def error(members: Iterable[Row], constants: tuple[float, float]) -> float:
    return statistics.median(abs(math.log(r.measured_s / estimate(r, *constants))) for r in members)


#: the rows the constants are fitted on: (release, GPU, routing, layout)
FIT_GROUP = ("vLLM 0.19.0", "H200-SXM", "balanced", "TP")


def fit(
    members: list[Row], fractions: Iterable[float] = FRACTIONS, half_widths: Iterable[float] = HALF_WIDTHS
) -> tuple[float, float]:
    """The (fraction, half width) on the grid with the least median |log error| over ``members`` (any rows with the
    ``dep``, ``tokens`` and ``measured_s`` of :class:`Row`)."""
    grid = [(f, h) for f in fractions for h in tuple(half_widths)]
    return min(grid, key=lambda c: error(members, c))


def print_fit(
    best: tuple[float, float],
    used: tuple[float, float],
    generic: tuple[float, float],
    fit_rows: list[Row],
    held: list[Row],
) -> None:
    """The fitted (fraction, half width) beside the engine's constant and the generic term, and the median |log error|
    of the fit and held-out rows with the generic term and with the fit."""
    print(
        f"fit: fraction {best[0]:.2f} of the FP8 peak, half width {best[1]:g}; the engine uses {used[0]:.2f} and "
        f"{used[1]:g} (the family's generic 8-bit term: {generic[0]:.2f} and {generic[1]:g})"
    )
    print(
        f"median |log(measured / estimated)|: fit rows {error(fit_rows, generic):.3f} -> {error(fit_rows, best):.3f}; "
        f"held out {error(held, generic):.3f} -> {error(held, best):.3f}\n"
    )


def main() -> None:
    data = rows()
    fit_rows = [r for r in data if r.group == FIT_GROUP]
    held = [r for r in data if r.group != FIT_GROUP]
    print(
        f"{len(data)} block-scaled FP8 vLLM MoE layers of {MIN_TOKENS:,} tokens or more; fitted on {len(fit_rows)}"
    )
    print("(vLLM 0.19.0, H200, experts split by tensor parallelism, balanced routing), the rest held out\n")
    best = fit(fit_rows)
    print_fit(best, VLLM_TRITON_BLOCK_FP8_MOE, GENERIC, fit_rows, held)
    groups: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for r in held:
        groups[r.group].append(r)
    print("held out, median measured / estimated (generic term -> fitted):")
    for group in sorted(groups):
        members = groups[group]
        before = statistics.median(r.measured_s / estimate(r, *GENERIC) for r in members)
        after = statistics.median(r.measured_s / estimate(r, *best) for r in members)
        print(
            f"  {group[0]:12} {group[1]:9} {group[2]:14} {group[3]}  n={len(members):4}  {before:5.2f} -> {after:5.2f}"
        )


if __name__ == "__main__":
    main()

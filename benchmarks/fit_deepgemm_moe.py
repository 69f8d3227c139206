"""The time DeepGEMM's grouped-GEMM MoE path takes on Blackwell beyond the engine's generic expert term, fitted on
measured layer times and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_deepgemm_moe.py``.

vLLM runs block-scaled FP8 experts on Blackwell on DeepGEMM's grouped GEMMs at every batch size (its Triton
fallback is skipped there: DeepGEMM takes UE8M0 scales only, and the weights' scales are requantized to them at
load). The engine's generic expert path streams the experts the tokens touch and computes their rows; DeepGEMM's
contiguous layout also gives each expert the GPU holds its own run of rows padded to 128, and its kernels and the
scatter, gather and scale kernels around them walk a buffer sized for every local expert's padding. So its extra
time follows the experts one GPU holds, not the tokens.

The measurements are ``data/moe_kernel_times.csv``'s TensorRT-LLM 1.3.0rc20 ``deepgemm`` rows on a B200 (NVIDIA
aiconfigurator's kernel database, commit 095f58a: routing, activation quantization, permute, both DeepGEMM grouped
GEMMs with the activation, unpermute and the weighted sum of one MoE layer on one GPU, CUDA-graph replay; DeepSeek-
V3's shape, FP8-block, balanced routing; the experts split eight ways by tensor parallelism, 256 narrow experts a
GPU, or over eight expert-parallel ranks, 32 whole experts a GPU). Each row's generic term is the engine's
``StepCost.moe_layer_terms`` for vLLM on a B200 without DeepGEMM (the generic path: ``fit_blackwell_moe.plan``).

* **Fit** (:data:`FIT_TOKENS`): least squares of measured less generic on (1, local experts) over the rows of 1-16
  tokens, both layouts. These are ``calibration.DEEPGEMM_BLACKWELL_MOE_US``.
* **Held out**: the same layers at 64-16,384 tokens, printed with the generic path alone beside them; and vLLM's
  MiniMax-M3 serving points on eight B200s (``benchmarks/accuracy.py``).
"""

from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path
from typing import NamedTuple

from expert_shapes import row_shape
from fit_blackwell_moe import plan
from moe_layers import MODELS

from config_explorer.engine.calibration import DEEPGEMM_BLACKWELL_MOE_US

DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
SOURCE = ("B200-SXM", "TensorRT-LLM 1.3.0rc20", "deepgemm")
#: the batches the fit reads (decode-sized); every other row is held out
FIT_TOKENS = (1, 4, 8, 16)


class Layer(NamedTuple):
    tp: int
    ep: int
    tokens: int
    local_experts: float
    measured_us: float
    generic_us: float  # the engine's term without DeepGEMM's extra

    def estimated_us(self, fixed: float, per_expert: float) -> float:
        return self.generic_us + fixed + per_expert * self.local_experts


def layers() -> list[Layer]:
    """The database's DeepGEMM layers on a B200, each with the engine's generic term for vLLM there."""
    out = []
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            kernel = row["kernel"].split(" (")[0]
            if (row["gpu"], row["framework"], kernel) != SOURCE:
                continue
            shape = row_shape(row)
            tp, ep = int(row["tp"] or 1), int(row["ep"] or 1)
            dep = plan(MODELS[shape], row["dtype"], tp, ep)
            seconds, _, _ = dep.step_cost.moe_layer_terms(float(row["num_tokens"]))
            local = int(row["num_experts"]) / ep
            out.append(Layer(tp, ep, int(row["num_tokens"]), local, float(row["time_us"]), seconds * 1e6))
    return out


def fitted(rows: list[Layer]) -> tuple[float, float]:
    """Least squares of measured less generic on (1, local experts) over the fit rows."""
    fit = [r for r in rows if r.tokens in FIT_TOKENS]
    xs = [r.local_experts for r in fit]
    ys = [r.measured_us - r.generic_us for r in fit]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return round(my - slope * mx, 1), round(slope, 3)


def log_error(rows: list[Layer], fixed: float, per_expert: float) -> float:
    return statistics.median(abs(math.log(r.measured_us / r.estimated_us(fixed, per_expert))) for r in rows)


def main() -> None:
    rows = layers()
    fixed, per_expert = fitted(rows)
    print(
        f"fit on {sum(r.tokens in FIT_TOKENS for r in rows)} layers of 1-16 tokens: {fixed:.1f} us + "
        f"{per_expert:.3f} us per local expert (calibration.DEEPGEMM_BLACKWELL_MOE_US: {DEEPGEMM_BLACKWELL_MOE_US})\n"
    )
    print(f"{'layout':10} {'tokens':>6} {'measured':>9} {'generic':>9} {'fitted':>9}  split")
    for r in sorted(rows, key=lambda r: (r.ep, r.tokens)):
        layout = f"TP{r.tp}" if r.ep == 1 else f"EP{r.ep}"
        split = "fit" if r.tokens in FIT_TOKENS else "held out"
        print(
            f"{layout:10} {r.tokens:6d} {r.measured_us:9.1f} {r.generic_us:9.1f} "
            f"{r.estimated_us(fixed, per_expert):9.1f}  {split}"
        )
    held = [r for r in rows if r.tokens not in FIT_TOKENS]
    print(
        f"\nheld out ({len(held)} layers, 64-16,384 tokens), median |log(measured / estimated)|: "
        f"{log_error(held, fixed, per_expert):.3f} with the fitted time, {log_error(held, 0.0, 0.0):.3f} generic alone"
    )


if __name__ == "__main__":
    main()

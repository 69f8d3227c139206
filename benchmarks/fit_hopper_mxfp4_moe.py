"""The bandwidth vLLM's Triton MXFP4 MoE kernels stream gpt-oss's experts at on Hopper, fitted on measured layers.

Run: ``PYTHONPATH=src python benchmarks/fit_hopper_mxfp4_moe.py``.

From v0.12 vLLM runs gpt-oss's MXFP4 experts on Hopper on the Triton ``matmul_ogs`` kernels of OpenAI's
``triton_kernels`` (``calibration.VLLM_MXFP4_TRITON_SINCE``). Hopper has no FP4 tensor cores: each weight tile is
unpacked and rescaled to 16-bit in registers before its MMA, so the SMs, not the memory, can bound the stream. The
engine's generic expert term streams the experts a layer touches at the family's grouped-GEMM bandwidth; for this
kernel it takes the lesser of that and a cap proportional to the GPU's 16-bit tensor peak,
``calibration.VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP`` (the H100 SXM and the H200 SXM share one die and clock; the
H200's memory is 1.4x faster).

The measurements are ``data/hopper_mxfp4_moe_times.csv``: NVIDIA aiconfigurator's vLLM 0.24.0 layers of this
kernel (routing, both grouped GEMMs with the activation, combine; one GPU; balanced routing; experts split 1-8 ways
by tensor parallelism), for gpt-oss-120b's shape (128 experts) and gpt-oss-20b's (32), on the H100 SXM and the
H200 SXM. Each row is estimated with the engine's whole layer time on that GPU (``StepCost.moe_layer_terms`` plus the
layer's kernel launches, as a decode step charges them).

* **Fit**: the cap, by a grid search on the median |log(measured / estimated)|, over the H200 rows of
  gpt-oss-120b's shape at 16-256 tokens, where the layer streams its experts.
* **Held out**: every other row (the H100, gpt-oss-20b's shape, 1-8 tokens where launches weigh most, and
  320-16,384 tokens where the layer turns compute-bound), printed against the uncapped generic term. On the H100
  the cap lies above the memory's rate, so its rows read the same both ways: the check there is that they stay.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from expert_shapes import ROUTING

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP, efficiency_for
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import EXPERT_PATH_KERNELS
from config_explorer.engine.roofline import soft_max

DATA = Path(__file__).resolve().parent / "data" / "hopper_mxfp4_moe_times.csv"
MODELS = {"128": "openai/gpt-oss-120b", "32": "openai/gpt-oss-20b"}
GPUS = {"H100-SXM": "H100", "H200-SXM": "H200"}
FIT_GPU, FIT_EXPERTS, FIT_TOKENS = "H200-SXM", "128", (16, 256)
#: the caps searched, bytes a second per 16-bit tensor FLOP/s of peak
CAPS = tuple(c / 10000 for c in range(15, 51))
RANGES = ((1, 8), (16, 256), (257, 16384))


class Layer(NamedTuple):
    gpu: str
    experts: str
    tp: int
    tokens: int
    measured_s: float
    moved: float  # bytes the layer streams
    bandwidth: float  # the family's generic expert-streaming bandwidth on this GPU, bytes/s
    peak16: float  # the GPU's 16-bit tensor peak, FLOP/s
    floor: float  # the engine's per-tile streaming floor, s
    cmp: float
    fixed: float  # the rest of the layer's time (fixed time, launches)

    @property
    def in_fit(self) -> bool:
        return (self.gpu, self.experts) == (FIT_GPU, FIT_EXPERTS) and FIT_TOKENS[
            0
        ] <= self.tokens <= FIT_TOKENS[1]

    def estimate(self, bytes_per_flop: float | None) -> float:
        """The layer's time with the experts streamed at the generic bandwidth capped at ``bytes_per_flop`` x the
        16-bit peak (None: uncapped)."""
        rate = self.bandwidth if bytes_per_flop is None else min(self.bandwidth, bytes_per_flop * self.peak16)
        return soft_max(max(self.moved / rate, self.floor), self.cmp) + self.fixed

    def error(self, bytes_per_flop: float | None) -> float:
        return abs(math.log(self.measured_s / self.estimate(bytes_per_flop)))


def plan(model: str, gpu: str, tp: int) -> Deployment:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=tp, tp=tp, input_length=1024, output_length=256,
        engine="vllm==0.24.0", expert_popularity_cv=ROUTING,
    )  # fmt: skip


def layers() -> list[Layer]:
    plans: dict[tuple[str, str, int], Deployment] = {}
    out = []
    with DATA.open() as fh:
        for row in csv.DictReader(fh):
            key = (row["num_experts"], row["gpu"], int(row["tp"]))
            if key not in plans:
                plans[key] = plan(MODELS[key[0]], GPUS[key[1]], key[2])
            dep = plans[key]
            tokens = int(row["num_tokens"])
            seconds, mem, cmp = dep.step_cost.moe_layer_terms(float(tokens))
            moved, floor = dep.step_cost.moe_layer_streaming(float(tokens))
            gemms, small = (
                EXPERT_PATH_KERNELS  # the expert path's launches, which a decode step charges beside it
            )
            launches = gemms * dep.rates.gemm_kernel_s + small * dep.rates.small_kernel_s
            gpu = dep.gpu
            eff = efficiency_for(gpu.family)
            bandwidth = gpu.memory_bandwidth_bytes_s * (eff.moe_bandwidth or eff.gemm_bandwidth)
            out.append(
                Layer(row["gpu"], row["num_experts"], key[2], tokens, float(row["time_us"]) * 1e-6, moved, bandwidth,
                      gpu.gemm_tflops("bf16")[0] * 1e12, floor, cmp,
                      seconds - soft_max(mem, cmp) + launches)
            )  # fmt: skip
    return out


def fitted(rows: list[Layer]) -> float:
    fit = [r for r in rows if r.in_fit]
    return min(CAPS, key=lambda c: (statistics.median(r.error(c) for r in fit), c))


def main() -> None:
    rows = layers()
    cap = fitted(rows)
    print(f"{len(rows)} layers; fitted streaming cap: {cap:.4f} bytes/s per 16-bit FLOP/s of peak, "
          f"{cap * 989.4:.2f} TB/s on an H100 or H200 SXM "
          f"(calibration.VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP = {VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP})")  # fmt: skip
    print("\nmedian |log(measured / estimated)|, generic streaming -> capped:")
    groups: dict[tuple[str, str, str, str], list[Layer]] = defaultdict(list)
    for r in rows:
        band = next(f"{lo}-{hi}" for lo, hi in RANGES if lo <= r.tokens <= hi)
        groups[("fit" if r.in_fit else "held out", r.gpu, f"{r.experts} experts", band)].append(r)
    for key in sorted(groups):
        group = groups[key]
        before = statistics.median(r.error(None) for r in group)
        after = statistics.median(r.error(cap) for r in group)
        print(f"  {' '.join(key):40s} {len(group):4d} rows  {before:.3f} -> {after:.3f}")
    held = [r for r in rows if not r.in_fit]
    print(f"\nheld out, all: {statistics.median(r.error(None) for r in held):.3f} -> "
          f"{statistics.median(r.error(cap) for r in held):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()

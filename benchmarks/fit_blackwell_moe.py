"""The fixed time of a MoE layer's expert path on FlashInfer's TensorRT-LLM-gen kernels on Blackwell,
fitted on measured layer times and read held out.

Run: ``PYTHONPATH=src python benchmarks/fit_blackwell_moe.py``.

SGLang runs the experts of DeepSeek-V3, Qwen3-MoE, Qwen3-Next and gpt-oss on Blackwell on FlashInfer's
TensorRT-LLM-gen MoE kernels (its ``flashinfer_trtllm`` and ``flashinfer_mxfp4`` runners; the rule is
``calibration.runs_trtllm_gen_moe``): routing, permute, both grouped GEMMs with the activation, and the
finalize run as a few fused launches. The engine's generic expert path charges two grouped-GEMM launches,
four small kernels and, for 8- and 4-bit experts, a quantisation time per layer (``moe_quantized_layer_us``):
33-43 us before a byte is streamed, where these kernels measure 17-36 us for the whole layer at one token.

The measurements are ``data/moe_kernel_times.csv``'s SGLang 0.5.14 rows on a B200 (NVIDIA aiconfigurator's
kernel database, commit 095f58a; ``power_law_1.01`` routing; the layer's weights on one GPU with the experts
split ``tp`` ways or ``ep`` ranks). For each row the engine's streaming-and-compute term of the layer
(``StepCost.moe_layer_terms`` less its fixed time) and its routing traffic are taken from the measured time;
what is left is the layer's fixed time.

* **Fit** (:data:`FIT`): per class of expert format (16-, 8-, 4-bit), the median of that remainder at 1, 2
  and 4 tokens with the experts split eight ways (TP8): DeepSeek-V3's shape for FP8-block and NVFP4, Qwen3-30B-A3B's
  for BF16. These are ``calibration.TRTLLM_GEN_MOE_LAYER_US``.
* **Held out**: every other row (Qwen3-235B-A22B's and gpt-oss-120b's shapes, MXFP4, TP 1-4, EP 4 and 8,
  2x4, 8-4,096 tokens), printed as the median measured / estimated by batch, against the generic path the
  engine would otherwise charge; TensorRT-LLM 1.3's own trtllm-gen rows on the same B200
  (``moe_torch_flow_min_latency``, NVFP4, EP8); and vLLM 0.24's layers on the same kernels' single-call entry
  points (16-bit, FP8-block, NVFP4; rows added by ``tools/extract_blackwell_triton_moe_times.py``), which vLLM picks
  from 0.15 (``calibration.runs_trtllm_gen_moe``).

Where SGLang picks neither those kernels nor Marlin's on Blackwell, its 16- and 8-bit experts run on its Triton
fused-MoE kernel, which the engine charges the generic path for plus a fixed time of its own
(``calibration.SGLANG_BLACKWELL_TRITON_MOE_US``). The second part fits that time on the same database's SGLang
0.5.9 B200 layers (``sglang_fused_moe_triton``, ``power_law_1.01`` routing; rows added by
``tools/extract_blackwell_triton_moe_times.py``):

* **Fit** (:data:`TRITON_FIT`): per class (16-, 8-bit), the median of the measured layer less the engine's generic
  term (streaming and compute, launches, quantisation time) at 1, 2 and 4 tokens at TP8, on Qwen3-235B-A22B's
  shape (BF16; Qwen3-30B-A3B's is not split eight ways there) and DeepSeek-V3's (FP8-block).
* **Held out**: the other shapes (Mixtral-8x7B, Qwen3-30B-A3B), layouts (TP 1-4, EP 2-8, 2x4) and batches
  (8-4,096 tokens), and every SGLang 0.5.10 row, printed against the generic path alone.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from expert_shapes import ROUTING, row_shape
from moe_layers import MODELS, in_format

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_BLACKWELL_TRITON_MOE_US,
    TRTLLM_GEN_MOE_LAYER_US,
    TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US,
    expert_format_class,
)
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import EXPERT_PATH_KERNELS
from config_explorer.engine.options import check_engine_options

DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
#: the database's expert formats -> the engine's precision
FORMATS = {"bfloat16": "bf16", "fp8_block": "fp8", "fp8": "fp8", "nvfp4": "fp4", "w4a8_mxfp4_mxfp8": "mxfp4"}
CLASSES = ("16-bit", "8-bit", "4-bit")
#: the fit subset: (shape's model, database format) at TP8 and these batches
FIT = {
    ("deepseek-ai/DeepSeek-V3", "fp8_block"),
    ("deepseek-ai/DeepSeek-V3", "nvfp4"),
    ("Qwen/Qwen3-30B-A3B", "bfloat16"),
}
FIT_TOKENS = (1, 2, 4)
BATCHES = (1, 2, 4, 8, 16, 64, 256, 1024, 4096)
#: vLLM without DeepGEMM: its block-scaled FP8 experts on Blackwell then take the generic path too
GENERIC = check_engine_options({"deep_gemm": False}, "vllm")
#: the batch ranges each report also sums up apart: decode-sized, mid-sized and prompt-sized batches
BATCH_RANGES = ((1, 16), (64, 256), (1024, 4096))
SGLANG = ("B200-SXM", "SGLang 0.5.14", "sglang_flashinfer_trtllm_moe")
TRTLLM_GEN = ("B200-SXM", "TensorRT-LLM 1.3.0rc20", "moe_torch_flow_min_latency")
#: vLLM 0.24's layers on FlashInfer's single-call TensorRT-LLM kernels on a B200 (16-bit, block-scaled FP8, NVFP4):
#: the same kernels as SGLang's runner, read held out with SGLang's fitted times
VLLM_TRTLLM = tuple(
    ("B200-SXM", "vLLM 0.24.0", kernel)
    for kernel in (
        "vllm_unquantizedfusedmoe_flashinfer_trtllm_trtllmbf16experts",
        "vllm_fp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic",
        "vllm_compressedtensorsw4a4nvfp4moe_flashinfer_trtllm_trtllmnvfp4expertsmonolithic",
    )
)
#: vLLM 0.24's per-tensor FP8 layers on FlashInfer's single-call TensorRT-LLM kernel on a B200 (ModelOpt FP8), whose fixed
#: time the third part fits on its TP8 rows at ``FIT_TOKENS`` and reads on the rest
PER_TENSOR = ("B200-SXM", "vLLM 0.24.0", "vllm_modeloptfp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic")
#: SGLang's Triton fused-MoE layers on a B200: the release fitted on, and the one held out
TRITON = ("B200-SXM", "SGLang 0.5.9", "sglang_fused_moe_triton")
TRITON_LATER = ("B200-SXM", "SGLang 0.5.10", "sglang_fused_moe_triton")
#: the Triton fit subset: (shape's model, database format) at TP8 and ``FIT_TOKENS``
TRITON_FIT = {("Qwen/Qwen3-235B-A22B", "bfloat16"), ("deepseek-ai/DeepSeek-V3", "fp8_block")}


class Layer(NamedTuple):
    model: str
    dtype: str
    tp: int
    ep: int
    tokens: int
    measured_us: float
    body_us: float  # the engine's streaming and compute term of the layer, with its routing traffic
    generic_us: float  # the fixed time the engine's generic expert path charges

    def error(self, fixed_us: float) -> float:
        """|log(measured / estimated)| with ``fixed_us`` beside the layer's streaming and compute term."""
        return abs(math.log(self.measured_us / (self.body_us + fixed_us)))

    @property
    def format_class(self) -> int:
        """The index of ``TRTLLM_GEN_MOE_LAYER_US`` its expert format reads."""
        return expert_format_class(FORMATS[self.dtype])

    @property
    def in_fit(self) -> bool:
        return (self.model, self.dtype) in FIT and self.fit_layout

    @property
    def in_triton_fit(self) -> bool:
        return (self.model, self.dtype) in TRITON_FIT and self.fit_layout

    @property
    def fit_layout(self) -> bool:
        """The layout and batch every fit reads: the experts split eight ways (TP8) at ``FIT_TOKENS``."""
        return (self.tp, self.ep) == (8, 1) and self.tokens in FIT_TOKENS


def plan(model: str, dtype: str, tp: int, ep: int) -> Deployment:
    """The layer's layout on one B200 of an 8-GPU (or smaller) deployment, its weights in the database format
    ``dtype``, under the generic path (vLLM's profile without DeepGEMM: neither the TensorRT-LLM-gen rule nor an
    engine-specific factor or time applies there, so the terms are the generic ones)."""
    gpus = tp * ep
    return plan_deployment(
        in_format(load_model(model), dtype),
        get_gpu("B200"),
        num_gpus=gpus,
        tp=gpus,
        ep=ep,
        precision=FORMATS[dtype],
        engine="vllm",
        input_length=1024,
        output_length=128,
        engine_options=GENERIC,
        expert_popularity_cv=ROUTING,
    )


def layers(source: tuple[str, str, str]) -> list[Layer]:
    out = []
    with DATA.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if (row["gpu"], row["framework"], row["kernel"].split(" (")[0]) != source:
                continue
            shape = row_shape(row)
            if shape not in MODELS or row["dtype"] not in FORMATS:
                continue
            model = MODELS[shape]
            tp, ep, tokens = int(row["tp"]), int(row["ep"]), int(row["num_tokens"])
            d = plan(model, row["dtype"], tp, ep)
            seconds, _, _ = d.step_cost.moe_layer_terms(float(tokens))
            traffic = (
                tokens * d.costs.moe_traffic_bytes_per_token / d.costs.moe_layers / d.rates.gemm_bandwidth
            )
            body = seconds - d.rates.moe_layer_s + traffic
            gemm, small = EXPERT_PATH_KERNELS
            generic = d.rates.moe_layer_s + gemm * d.rates.gemm_kernel_s + small * d.rates.small_kernel_s
            out.append(
                Layer(model, row["dtype"], tp, ep, tokens, float(row["time_us"]), body * 1e6, generic * 1e6)
            )
    return out


def fitted(rows: list[Layer]) -> tuple[float, float, float]:
    """Per class, the median fixed time left at the fit subset's rows."""
    left: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        if r.in_fit:
            left[r.format_class].append(r.measured_us - r.body_us)
    return (
        round(statistics.median(left[0]), 1),
        round(statistics.median(left[1]), 1),
        round(statistics.median(left[2]), 1),
    )


def fitted_per_tensor(rows: list[Layer]) -> float:
    """The median fixed time per-tensor FP8 layers leave at TP8 and ``FIT_TOKENS``."""
    return round(
        statistics.median(r.measured_us - r.body_us for r in rows if r.fit_layout),
        1,
    )


def fitted_triton(rows: list[Layer]) -> tuple[float, float]:
    """Per class (16-, 8-bit), the median time the Triton fit subset's layers take beyond the generic path."""
    left: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        if r.in_triton_fit:
            left[r.format_class].append(r.measured_us - r.body_us - r.generic_us)
    return round(statistics.median(left[0]), 1), round(statistics.median(left[1]), 1)


def _report(title: str, rows: list[Layer], fitted_us: Callable[[Layer], float]) -> None:
    """Print ``rows`` by group and batch: measured / estimated with the fitted fixed time (``fitted_us`` of a row),
    then with the generic path's."""
    print(title)
    print(f"  {'group':44} " + " ".join(f"{b:>9}" for b in BATCHES) + "   |log| fitted  generic")
    groups: dict[str, list[Layer]] = defaultdict(list)
    for r in rows:
        layout = f"TP{r.tp}" if r.ep == 1 else (f"EP{r.ep}" if r.tp == 1 else f"TP{r.tp}xEP{r.ep}")
        groups[f"{r.model.split('/')[1][:16]:16} {r.dtype:16} {layout:8}"].append(r)
    fitted_all, generic_all = [], []
    for name, members in sorted(groups.items()):
        cells = []
        for b in BATCHES:
            at = [r for r in members if r.tokens == b]
            cells.append(
                f"{at[0].measured_us / (at[0].body_us + fitted_us(at[0])):4.2f}/"
                f"{at[0].measured_us / (at[0].body_us + at[0].generic_us):4.2f}"
                if at
                else "        -"
            )
        fitted_log = [r.error(fitted_us(r)) for r in members]
        generic = [r.error(r.generic_us) for r in members]
        fitted_all += fitted_log
        generic_all += generic
        print(
            f"  {name:44} "
            + " ".join(cells)
            + f"   {statistics.median(fitted_log):6.2f}  {statistics.median(generic):7.2f}"
        )
    print(
        f"  all {len(fitted_all)} rows: median |log(measured / estimated)| {statistics.median(fitted_all):.3f} "
        f"(generic path {statistics.median(generic_all):.3f})"
    )
    for low, high in BATCH_RANGES:
        at = [r for r in rows if low <= r.tokens <= high]
        if at:
            fitted_part = statistics.median(r.error(fitted_us(r)) for r in at)
            generic_part = statistics.median(r.error(r.generic_us) for r in at)
            print(
                f"    {low}-{high} tokens, {len(at)} rows: {fitted_part:.3f} (generic path {generic_part:.3f})"
            )
    print()


def main() -> None:
    rows = layers(SGLANG)
    fixed = fitted(rows)
    print(
        "fit (SGLang 0.5.14 on a B200, TP8, 1-4 tokens; DeepSeek-V3 FP8-block and NVFP4, Qwen3-30B-A3B BF16): "
        + ", ".join(f"{c} {v:g} us" for c, v in zip(CLASSES, fixed, strict=True))
        + f" (the engine holds {', '.join(f'{v:g}' for v in TRTLLM_GEN_MOE_LAYER_US)})\n"
    )
    print(
        "cells: measured / estimated with the fitted fixed time, then with the generic path's, by batch (tokens)\n"
    )
    _report(
        "held out, SGLang 0.5.14's flashinfer_trtllm MoE on a B200:",
        [r for r in rows if not r.in_fit],
        lambda r: fixed[r.format_class],
    )
    _report(
        "held out, TensorRT-LLM 1.3.0rc20's trtllm-gen MoE on a B200 (balanced routing):",
        layers(TRTLLM_GEN),
        lambda r: fixed[r.format_class],
    )
    _report(
        "held out, vLLM 0.24.0's single-call FlashInfer TensorRT-LLM MoE on a B200 (16-bit, FP8-block, NVFP4):",
        [r for source in VLLM_TRTLLM for r in layers(source)],
        lambda r: fixed[r.format_class],
    )
    per_tensor = layers(PER_TENSOR)
    fixed_per_tensor = fitted_per_tensor(per_tensor)
    print(
        "fit (vLLM 0.24.0's per-tensor FP8 experts on the same kernel's single call on a B200, TP8, 1-4 tokens; "
        f"Qwen3-235B-A22B, Mixtral-8x7B, Llama-4-Scout): {fixed_per_tensor:g} us (the engine holds "
        f"{TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US:g}; the block-scaled 8-bit time is {fixed[1]:g})\n"
    )
    _report(
        "held out, vLLM 0.24.0's per-tensor FP8 layers on a B200 (cells: with the per-tensor time / generic path):",
        [r for r in per_tensor if not r.fit_layout],
        lambda r: fixed_per_tensor,
    )
    triton = layers(TRITON)
    extra = fitted_triton(triton)
    print(
        "fit (SGLang 0.5.9's Triton fused MoE on a B200, TP8, 1-4 tokens; Qwen3-235B-A22B BF16, DeepSeek-V3 "
        "FP8-block), time beyond the generic path: "
        + ", ".join(f"{c} {v:g} us" for c, v in zip(CLASSES, extra, strict=False))
        + f" (the engine holds {', '.join(f'{v:g}' for v in SGLANG_BLACKWELL_TRITON_MOE_US)})\n"
    )
    _report(
        "held out, SGLang 0.5.9's Triton fused MoE on a B200:",
        [r for r in triton if not r.in_triton_fit],
        lambda r: r.generic_us + extra[r.format_class],
    )
    _report(
        "held out, SGLang 0.5.10's Triton fused MoE on a B200:",
        layers(TRITON_LATER),
        lambda r: r.generic_us + extra[r.format_class],
    )


if __name__ == "__main__":
    main()

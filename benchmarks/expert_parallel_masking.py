"""Expert-parallel MoE layers without data-parallel attention on vLLM and SGLang, the native engine against
measured times.

Run: ``PYTHONPATH=src python benchmarks/expert_parallel_masking.py``.

The measurements are ``data/triton_moe_times.csv``: NVIDIA aiconfigurator's kernel database for vLLM 0.19.0
(H200 SXM), vLLM 0.24.0 (H100 and H200 SXM) and SGLang 0.5.14 (H200 SXM), one GPU's share of one MoE layer
(routing, both grouped GEMMs, activation, combine; no all-reduce) on the engines' Triton fused-MoE kernels, for
16-bit and block-scaled FP8 experts, every tensor-parallel (``tp``) and expert-parallel (``ep``) split of the
tables. With expert parallelism both engines keep every token on every rank and mask the other ranks' experts
(:func:`~config_explorer.engine.calibration.masks_remote_experts`), so a rank's activation traffic covers every
routed assignment. Nothing is fitted on these rows: each is estimated as the engine charges that
layer in a step (its grouped-GEMM term, :meth:`StepCost.moe_layer_terms`, plus the layer's share of the step's
streamed activation traffic), with the traffic the engine charges now (every assignment, on the masked path)
and with the rank's ``1/ep`` share the engine charged before.

Printed, per release x precision x layout: the median measured / estimated over batches of 1,024 tokens and
more (where the layer's work, not its launches, sets its time), both ways; then the same over the routing
the tables call power-law (alpha 1.2), which the engine meets with its default expert imbalance.

Last, SGLang 0.5.9's and 0.5.10's Triton layers on a B200 (``data/moe_kernel_times.csv``, power-law 1.01 routing,
estimated with ``moe_runner_backend="triton"``): with every assignment's traffic charged, their expert-parallel
splits read alike and like the tensor-parallel ones (whose own gap at prompt-sized batches is SGLang's Triton
kernel on Blackwell, not traffic); with the rank's share they drift further off as the split widens.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from expert_shapes import ROUTING, row_shape, shape_models
from moe_layers import SGLANG_TRITON, layer_model

from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.roofline import StepCost
from config_explorer.errors import ConfigExplorerError

DATA = Path(__file__).resolve().parent / "data" / "triton_moe_times.csv"
#: SGLang's Triton layers on a B200 (and the database's other B200 layers)
BLACKWELL_DATA = Path(__file__).resolve().parent / "data" / "moe_kernel_times.csv"
BLACKWELL_TRITON = "sglang_fused_moe_triton"
#: (hidden, expert intermediate, experts, top-k) -> the bundled model with that expert shape, for the shapes scored here
MODELS = shape_models(
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B",
    "mistralai/Mixtral-8x7B-v0.1",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "Qwen/Qwen3-Coder-480B-A35B-Instruct",
    "mistralai/Mixtral-8x22B-v0.1",
    "deepseek-ai/DeepSeek-V3",
    "moonshotai/Kimi-K2-Instruct",
)
PRECISIONS = {"bfloat16": "bf16", "fp8_block": "fp8"}
GPUS = {"H200-SXM": "H200", "H100-SXM": "H100", "B200-SXM": "B200"}
MIN_TOKENS = 1024
TRITON_ONLY = check_engine_options({"deep_gemm": False}, "vllm")


def engine_of(framework: str) -> str:
    """The engine (and release) a row's ``framework`` names: ``vLLM 0.19.0`` -> ``vllm==0.19.0``."""
    name, version = framework.split()
    return f"{name.lower()}=={version}"


def plan(
    row: dict[str, str], plans: dict[tuple[object, ...], Deployment | None] | None = None
) -> Deployment | None:
    """The deployment a row's layer belongs to: its model on its GPU with the experts split as the row's are
    (``tp`` x ``ep`` GPUs), on the Triton path; None where the engine cannot plan it. Cached per layout in ``plans``
    (a module-wide cache unless given)."""
    shape = row_shape(row)
    key = (shape, row["dtype"], row["gpu"], row["framework"], row["tp"], row["ep"])
    cache = _PLANS if plans is None else plans
    if key not in cache:
        gpus = int(row["tp"]) * int(row["ep"])
        try:
            cache[key] = plan_deployment(
                layer_model(shape, row["dtype"]),
                get_gpu(GPUS[row["gpu"]]),
                num_gpus=gpus,
                tp=gpus,
                ep=int(row["ep"]),
                precision=PRECISIONS[row["dtype"]],
                engine=engine_of(row["framework"]),
                input_length=1024,
                output_length=128,
                # the tables time the Triton kernels, which vLLM runs block-scaled FP8 experts on where
                # DeepGEMM is not installed, and SGLang where no other runner is picked or asked for
                engine_options=TRITON_ONLY if row["framework"].startswith("vLLM") else SGLANG_TRITON,
                expert_popularity_cv=ROUTING,
            )
        except ConfigExplorerError:
            cache[key] = None
    return cache[key]


_PLANS: dict[tuple[object, ...], Deployment | None] = {}


def layer_seconds(cost: StepCost, tokens: float, *, masked: bool) -> float:
    """One MoE layer of ``tokens`` on one GPU as the engine charges it in a step: the grouped-GEMM term and the
    layer's share of the streamed activation traffic (every assignment's when ``masked``, else the rank's)."""
    seconds, _, _ = cost.moe_layer_terms(tokens)
    traffic = cost.moe_traffic_bytes_per_token_layer(masked=masked)
    return seconds + tokens * traffic / cost.rates.gemm_bandwidth


def _ratios(row: dict[str, str], dep: Deployment) -> tuple[float, float]:
    """(measured / estimated now, measured / estimated with the rank's share of the traffic) for one row."""
    tokens = int(row["num_tokens"])
    measured = float(row["time_us"]) * 1e-6
    cost = dep.step_cost
    now = layer_seconds(cost, tokens, masked=cost.rates.moe_masked_ep)
    return measured / now, measured / layer_seconds(cost, tokens, masked=False)


def _planned_rows(
    data: Path, keep: Callable[[dict[str, str]], bool]
) -> Iterator[tuple[dict[str, str], Deployment]]:
    """The rows of ``data`` that ``keep`` takes, of a known shape and ``MIN_TOKENS`` or more, with their deployments."""
    with data.open() as fh:
        for row in csv.DictReader(fh):
            if not keep(row) or row_shape(row) not in MODELS or int(row["num_tokens"]) < MIN_TOKENS:
                continue
            dep = plan(row)
            if dep is not None:
                yield row, dep


def layer_ratios() -> dict[tuple[str, str, str, str], list[tuple[float, float]]]:
    """:func:`_ratios` for every row of ``MIN_TOKENS`` or more, by (release, precision, routing, layout such as
    ``TP4`` or ``EP8``)."""
    out: dict[tuple[str, str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for row, dep in _planned_rows(DATA, lambda row: True):
        tp, ep = int(row["tp"]), int(row["ep"])
        layout = f"TP{tp}" if ep == 1 else f"EP{ep}"
        out[(row["framework"], row["dtype"], row["distribution"], layout)].append(_ratios(row, dep))
    return out


def blackwell_ratios() -> dict[tuple[str, str], list[tuple[float, float]]]:
    """:func:`_ratios` for SGLang's Triton layers on a B200 of ``MIN_TOKENS`` or more, by (precision, layout such as
    ``TP4``, ``EP8`` or ``TP2xEP4``)."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)

    def keep(row: dict[str, str]) -> bool:
        return row["gpu"] == "B200-SXM" and row["kernel"].startswith(BLACKWELL_TRITON)

    for row, dep in _planned_rows(BLACKWELL_DATA, keep):
        tp, ep = int(row["tp"]), int(row["ep"])
        layout = f"TP{tp}" if ep == 1 else (f"EP{ep}" if tp == 1 else f"TP{tp}xEP{ep}")
        out[(row["dtype"], layout)].append(_ratios(row, dep))
    return out


def main() -> None:
    ratios = layer_ratios()
    print(
        f"{sum(map(len, ratios.values()))} measured MoE layers of {MIN_TOKENS:,} tokens or more estimated\n"
    )
    print("median measured / estimated (1.00: exact); 'before': the activation traffic split over the ranks")
    print(f"{'release':13} {'precision':10} {'routing':14} {'layout':7} {'n':>4} {'now':>6} {'before':>7}")
    for group in sorted(ratios, key=lambda g: (g[0], g[1], g[2], g[3][:2], int(g[3][2:]))):
        now = statistics.median(r[0] for r in ratios[group])
        before = statistics.median(r[1] for r in ratios[group])
        print(
            f"{group[0]:13} {group[1]:10} {group[2]:14} {group[3]:7} {len(ratios[group]):4} {now:6.2f} {before:7.2f}"
        )
    print("\nby engine and split, balanced routing (every release and precision):")
    for engine in ("vLLM", "SGLang"):
        cells = []
        for ep in (2, 4, 8, 16, 32, 64):
            members = [
                r
                for (release, _, how, layout), rs in ratios.items()
                if release.startswith(engine) and how == "balanced" and layout == f"EP{ep}"
                for r in rs
            ]
            now = statistics.median(r[0] for r in members)
            before = statistics.median(r[1] for r in members)
            cells.append(f"EP{ep} {now:.2f} ({before:.2f})")
        print(f"  {engine:6} now (before): " + ", ".join(cells))
    for engine in ("vLLM", "SGLang"):
        for routing in ("balanced", "power_law_1.2"):
            for kind in ("TP", "EP"):
                members = [
                    r
                    for (release, _, how, layout), rs in ratios.items()
                    if release.startswith(engine) and how == routing and layout.startswith(kind)
                    for r in rs
                ]
                now = statistics.median(r[0] for r in members)
                before = statistics.median(r[1] for r in members)
                print(
                    f"{engine} {kind} layouts, {routing} routing: n={len(members)}, median {now:.2f} "
                    f"(before {before:.2f})"
                )
    blackwell = blackwell_ratios()
    print(
        f"\nSGLang 0.5.9 and 0.5.10's Triton layers on a B200, {MIN_TOKENS:,} tokens and more "
        f"({sum(map(len, blackwell.values()))} layers), median measured / estimated now (before):"
    )
    for precision in ("bfloat16", "fp8_block"):
        layouts = sorted({layout for p, layout in blackwell if p == precision}, key=lambda x: (len(x), x))
        cells = []
        for layout in layouts:
            members = blackwell[(precision, layout)]
            now = statistics.median(r[0] for r in members)
            before = statistics.median(r[1] for r in members)
            cells.append(f"{layout} {now:.2f} ({before:.2f})")
        print(f"  {precision:10} " + ", ".join(cells))
    split = [r for (_, layout), rs in blackwell.items() if "EP" in layout for r in rs]
    print(
        f"  expert-parallel splits, median |log(measured / estimated)|: {_log_error(r[0] for r in split):.3f} now, "
        f"{_log_error(r[1] for r in split):.3f} before"
    )


def _log_error(ratios: Iterable[float]) -> float:
    return statistics.median(abs(math.log(r)) for r in ratios)


if __name__ == "__main__":
    main()

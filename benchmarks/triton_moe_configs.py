"""Triton fused-MoE layers with and without a tuned tile config for their shape: measured layers and published pairs.

Run: ``PYTHONPATH=src python benchmarks/triton_moe_configs.py``.

vLLM and SGLang run their Triton fused-MoE kernel with a tuned tile config where the release ships one for the
layer's expert count, per-GPU expert width, device and format, and with ``get_default_config``'s tiles otherwise
(``calibration.triton_moe_config_tuned``, on ``src/config_explorer/data/moe_triton_configs.json``: the files of the
vLLM 0.6.3-0.19.1 source distributions and the SGLang 0.5.3-0.5.16 wheels, ``tools/extract_moe_configs.py``). This
script prints three things and fits one:

* the Hopper layers of ``data/triton_moe_times.csv`` (NVIDIA aiconfigurator's tables: vLLM 0.19.0 and 0.24.0, SGLang
  0.5.14, H100 and H200, one GPU's share of one MoE layer, every tensor- or expert-parallel split of the shapes
  ``expert_parallel_masking.MODELS`` names) split the same way: median measured / estimated by batch band, the
  estimate on the generic term. ``calibration.SGLANG_HOPPER_TRITON_MOE_COMPUTE`` is fitted here, per format and
  tuned or not: the median at 4,096 tokens and more of SGLang 0.5.14's H200 balanced rows (``FIT``); its H100 rows,
  power-law routing and 1,024-2,048 tokens are held out and printed again with it charged. vLLM's default tiles over
  its tuned ones on the same footing (vLLM 0.19.0, H200) is printed too;

* SGLang 0.5.9's and 0.5.10's measured B200 layers (``data/moe_kernel_times.csv``, the rows ``fit_blackwell_moe.py``
  reads) split by whether their own release ships a tuned config for the shape: the median measured / estimated by
  batch, the estimate being the engine's Triton path (its generic term and
  ``calibration.SGLANG_BLACKWELL_TRITON_MOE_US``);
* the published default-vs-tuned kernel pairs (``data/triton_moe_default_vs_tuned.csv``: vLLM and SGLang pull
  requests that time one layer both ways on one GPU, a "before" that was an older tuned file left out): default /
  tuned time overall, by batch and by format. ``calibration.TRITON_MOE_DEFAULT_SLOWDOWN`` is the first line's
  (smallest, median, largest); the engine names it in a caveat and charges none of it.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from unittest.mock import patch

import expert_parallel_masking as epm
from fit_blackwell_moe import TRITON, TRITON_LATER, Layer, layers

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_BLACKWELL_TRITON_MOE_US,
    SGLANG_HOPPER_TRITON_MOE_COMPUTE,
    profile_for,
    triton_moe_config_tuned,
)
from config_explorer.engine.deployment import Deployment, plan_deployment

PAIRS = Path(__file__).resolve().parent / "data" / "triton_moe_default_vs_tuned.csv"
DEVICE = "NVIDIA B200"
#: the database's formats -> (precision, block-scaled)
FORMATS = {"bfloat16": ("bf16", False), "fp8_block": ("fp8", True)}
BATCHES = (1, 16, 64, 256, 1024, 4096)
#: pairs whose "before" was an older tuned file, not the default tiles
OLDER_TUNED = "before=previous tuned config"
#: the batch bands the pairs are summarized over (tokens, inclusive)
BANDS = (("1-64", 1, 64), ("65-1,023", 65, 1023), (">=1,024", 1024, 1 << 40))
#: the Hopper layers' batch bands (tokens, inclusive); the slowdowns are fitted on the last
HOPPER_BANDS = (("1-64", 1, 64), ("256", 256, 256), ("1,024-2,048", 1024, 2048), (">=4,096", 4096, 1 << 40))
#: the rows SGLang's Hopper multipliers are fitted on: (framework, GPU, routing), in the last band
FIT = ("SGLang 0.5.14", "H200-SXM", "balanced")
#: vLLM's rows its default tiles are compared with its tuned ones on
VLLM_FIT = ("vLLM 0.19.0", "H200-SXM", "balanced")
#: the database's formats -> the formats ``SGLANG_HOPPER_TRITON_MOE_COMPUTE`` names
FORMAT_KEYS = {"bfloat16": "bf16", "fp8_block": "fp8-block"}


@cache
def _expert_shape(model: str) -> tuple[int, int]:
    """(routed experts, expert intermediate size) of the bundled model a layer row names."""
    arch = load_model(model)
    return arch.num_experts, arch.moe_intermediate_size


def has_tuned_config(layer: Layer, release: str) -> bool:
    """Whether SGLang ``release`` ships a tuned config for the layer's shape on one GPU (its local experts, its
    expert width) on a B200."""
    experts, intermediate = _expert_shape(layer.model)
    precision, block = FORMATS[layer.dtype]
    tuned = triton_moe_config_tuned(
        profile_for("sglang", release),
        local_experts=experts // layer.ep,
        width=intermediate // layer.tp,
        device_name=DEVICE,
        weight_precision=precision,
        block_scaled=block,
    )
    return bool(tuned)


def ratios(
    sources: Iterable[tuple[str, str, str]] = (TRITON, TRITON_LATER),
) -> dict[tuple[bool, int], list[float]]:
    """Measured / estimated (the engine's Triton path) of the sources' layers in a format the config files
    name, keyed by (whether the source's release ships a tuned config for the shape, batch tokens)."""
    out: dict[tuple[bool, int], list[float]] = defaultdict(list)
    for source in sources:
        release = source[1].split()[-1]  # "SGLang 0.5.9"
        for layer in layers(source):
            if layer.dtype not in FORMATS:
                continue
            estimate = layer.body_us + layer.generic_us + SGLANG_BLACKWELL_TRITON_MOE_US[layer.format_class]
            out[(has_tuned_config(layer, release), layer.tokens)].append(layer.measured_us / estimate)
    return out


def _hopper_tuned(row: dict[str, str]) -> bool:
    """Whether the row's own release ships a tuned config for its layer on its GPU."""
    engine, release = row["framework"].split()
    precision, block = FORMATS[row["dtype"]]
    tuned = triton_moe_config_tuned(
        profile_for(engine.lower(), release),
        local_experts=int(row["num_experts"]) // int(row["ep"]),
        width=int(row["moe_intermediate_size"]) // int(row["tp"]),
        device_name=get_gpu(epm.GPUS[row["gpu"]]).device_name,
        weight_precision=precision,
        block_scaled=block,
    )
    return bool(tuned)


HopperKey = tuple[str, str, str, str, bool, str]  # framework, GPU, routing, format, tuned, band


def hopper_ratios(
    values: dict[tuple[str, bool], float], keep: Callable[[dict[str, str]], bool] = lambda row: True
) -> dict[HopperKey, list[float]]:
    """Measured / estimated of the Hopper Triton layers ``keep`` takes, keyed by (framework, GPU, routing, format,
    whether the release ships a tuned config, batch band), SGLang's multipliers taken as ``values``."""
    plans: dict[tuple[object, ...], Deployment | None] = {}
    out: dict[HopperKey, list[float]] = defaultdict(list)
    with patch.dict(SGLANG_HOPPER_TRITON_MOE_COMPUTE, values):
        plan_deployment.cache_clear()  # plans made under other multipliers are cached
        for row in _hopper_rows():
            if not keep(row):
                continue
            dep = epm.plan(row, plans)
            if dep is None:
                continue
            tokens = int(row["num_tokens"])
            band = next(name for name, low, high in HOPPER_BANDS if low <= tokens <= high)
            cost = dep.step_cost
            estimate = epm.layer_seconds(cost, tokens, masked=cost.rates.moe_masked_ep)
            key = (row["framework"], row["gpu"], row["distribution"], row["dtype"], _hopper_tuned(row), band)
            out[key].append(float(row["time_us"]) * 1e-6 / estimate)
    plan_deployment.cache_clear()
    return out


@cache
def _hopper_rows() -> tuple[dict[str, str], ...]:
    """The rows of ``data/triton_moe_times.csv`` of a shape a bundled model has, in a format and batch band read."""
    with epm.DATA.open() as fh:
        return tuple(
            row
            for row in csv.DictReader(fh)
            if epm.row_shape(row) in epm.MODELS
            and row["dtype"] in FORMATS
            and any(low <= int(row["num_tokens"]) <= high for _, low, high in HOPPER_BANDS)
        )


def fit_multipliers() -> dict[tuple[str, bool], float]:
    """(format, tuned) -> the multiplier under which the median measured / estimated of the ``FIT`` rows of that format
    and config, at 4,096 tokens and more, is 1 (bisection in log space; the rest of the layer's terms stay as they are)."""
    last = HOPPER_BANDS[-1]
    out = {}
    for dtype, fmt in FORMAT_KEYS.items():
        for is_tuned in (True, False):

            def keep(row: dict[str, str], dtype: str = dtype, is_tuned: bool = is_tuned) -> bool:
                return (
                    (row["framework"], row["gpu"], row["distribution"]) == FIT
                    and row["dtype"] == dtype
                    and int(row["num_tokens"]) >= last[1]
                    and _hopper_tuned(row) == is_tuned
                )

            low, high = 0.25, 4.0
            for _ in range(30):
                middle = (low * high) ** 0.5
                values = {**dict.fromkeys(SGLANG_HOPPER_TRITON_MOE_COMPUTE, 1.0), (fmt, is_tuned): middle}
                at = hopper_ratios(values, keep)[(*FIT, dtype, is_tuned, last[0])]
                low, high = (middle, high) if statistics.median(at) > 1.0 else (low, middle)
            out[(fmt, is_tuned)] = (low * high) ** 0.5
    return out


def pairs() -> list[dict[str, str]]:
    """The published pairs with both times, an older tuned file's "before" left out."""
    with PAIRS.open(newline="") as fh:
        return [
            r
            for r in csv.DictReader(fh)
            if r["default_us"] and r["tuned_us"] and OLDER_TUNED not in r["notes"]
        ]


def slowdowns(rows: Iterable[dict[str, str]]) -> list[float]:
    return [float(r["default_us"]) / float(r["tuned_us"]) for r in rows]


def spread(values: list[float]) -> tuple[float, float, float]:
    """(smallest, median, largest), to two decimals."""
    return round(min(values), 2), round(statistics.median(values), 2), round(max(values), 2)


def _line(label: str, values: list[float]) -> str:
    low, median, high = spread(values)
    return f"  {label:22} n={len(values):3d}  median {median:.2f}x  range {low:.2f}-{high:.2f}x"


def _hopper_table(ratios: dict[HopperKey, list[float]]) -> None:
    groups = sorted({key[:4] for key in ratios})
    print(f"  {'layers':46} {'config':8} " + " ".join(f"{name:>14}" for name, _, _ in HOPPER_BANDS))
    for group in groups:
        label = f"{group[0]} {group[1]} {group[3]} {group[2]}" + (" (fit)" if group[:3] == FIT else "")
        for is_tuned in (True, False):
            cells = []
            for name, _, _ in HOPPER_BANDS:
                at = ratios.get((*group, is_tuned, name), [])
                cells.append(f"{statistics.median(at):5.2f} (n={len(at):4})" if at else f"{'-':>14}")
            print(f"  {label:46} {'tuned' if is_tuned else 'default':8} " + " ".join(cells))


def main() -> None:
    generic = hopper_ratios(dict.fromkeys(SGLANG_HOPPER_TRITON_MOE_COMPUTE, 1.0))
    print(
        "Hopper Triton MoE layers (data/triton_moe_times.csv): median measured / estimated by batch (tokens) and by "
        "whether the layer's own release ships a tuned config for the shape, every layer on the generic term\n"
    )
    _hopper_table(generic)
    print(f"\nSGLang's compute multipliers fitted on {' '.join(FIT)}, >=4,096 tokens:")
    for (fmt, is_tuned), value in sorted(fit_multipliers().items()):
        config = "tuned" if is_tuned else "default"
        used = SGLANG_HOPPER_TRITON_MOE_COMPUTE[(fmt, is_tuned)]
        print(f"  {fmt:10} {config:8} fitted {value:.2f}  calibration {used:.2f}")
    last = HOPPER_BANDS[-1][0]
    for dtype in FORMAT_KEYS:
        default = generic.get((*VLLM_FIT, dtype, False, last))
        tuned = generic.get((*VLLM_FIT, dtype, True, last))
        if default and tuned:
            print(
                f"  vLLM's default tiles over its tuned ones ({' '.join(VLLM_FIT)}, {dtype}, >=4,096 tokens): "
                f"{statistics.median(default) / statistics.median(tuned):.2f}x"
            )
    print("\nthe same layers with SGLang's multipliers charged (held out: all but the fit rows)\n")
    _hopper_table(hopper_ratios(dict(SGLANG_HOPPER_TRITON_MOE_COMPUTE)))
    print()
    by_config = ratios()
    print(
        "SGLang 0.5.9 and 0.5.10's Triton MoE layers on a B200: median measured / estimated (the engine's Triton "
        "path), by batch (tokens) and by whether the layer's own release ships a tuned config for the shape\n"
    )
    print(f"  {'config':8} " + " ".join(f"{b:>12}" for b in BATCHES))
    for is_tuned in (True, False):
        cells = []
        for b in BATCHES:
            at = by_config[(is_tuned, b)]
            cells.append(f"{statistics.median(at):5.2f} (n={len(at):3})" if at else f"{'-':>12}")
        print(f"  {'tuned' if is_tuned else 'default':8} " + " ".join(cells))
    published = pairs()
    sources = {r["source"] for r in published}
    print(
        f"\npublished default-vs-tuned kernel pairs ({len(sources)} pull requests, {len(published)} pairs): "
        "default / tuned time"
    )
    print(_line("all", slowdowns(published)))
    for label, low, high in BANDS:
        print(_line(f"batch {label}", slowdowns(r for r in published if low <= int(r["tokens"]) <= high)))
    for fmt in sorted({(r["dtype"], r["block_shape"]) for r in published}):
        label = fmt[0] + (f" {fmt[1]}" if fmt[1] else "")
        print(_line(label, slowdowns(r for r in published if (r["dtype"], r["block_shape"]) == fmt)))


if __name__ == "__main__":
    main()

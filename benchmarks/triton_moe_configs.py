"""Triton fused-MoE layers with and without a tuned tile config for their shape: measured layers and published pairs.

Run: ``PYTHONPATH=src python benchmarks/triton_moe_configs.py``.

vLLM and SGLang run their Triton fused-MoE kernel with a tuned tile config where the release ships one for the
layer's expert count, per-GPU expert width, device and format, and with ``get_default_config``'s tiles otherwise
(``calibration.triton_moe_config_tuned``, on ``src/config_explorer/data/moe_triton_configs.json``: the files of the
vLLM 0.6.3-0.19.1 source distributions and the SGLang 0.5.3-0.5.16 wheels, ``tools/extract_moe_configs.py``). This
script prints two things, fitting nothing:

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
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fit_blackwell_moe import TRITON, TRITON_LATER, Layer, layers

from config_explorer import load_model
from config_explorer.engine.calibration import (
    SGLANG_BLACKWELL_TRITON_MOE_US,
    profile_for,
    triton_moe_config_tuned,
)

PAIRS = Path(__file__).resolve().parent / "data" / "triton_moe_default_vs_tuned.csv"
DEVICE = "NVIDIA B200"
#: the database's formats -> (precision, block-scaled)
FORMATS = {"bfloat16": ("bf16", False), "fp8_block": ("fp8", True)}
BATCHES = (1, 16, 64, 256, 1024, 4096)
#: pairs whose "before" was an older tuned file, not the default tiles
OLDER_TUNED = "before=previous tuned config"
#: the batch bands the pairs are summarized over (tokens, inclusive)
BANDS = (("1-64", 1, 64), ("65-1,023", 65, 1023), (">=1,024", 1024, 1 << 40))


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


def main() -> None:
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

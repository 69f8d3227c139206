"""SGLang's Triton MoE layers on a B200 with and without a tuned config for their shape, against the engine's term.

Run: ``PYTHONPATH=src python benchmarks/triton_moe_configs.py``.

SGLang runs its Triton fused-MoE kernel with a tuned tile config where its wheel ships one for the layer's expert
count, per-GPU expert width, device and format, and with a default config otherwise
(``data/sglang_moe_triton_configs.csv``: the 0.5.8 wheel's files, every Triton-version folder counted, which
``get_moe_configs`` reads the installed version's folder of and falls back across; the rows' own 0.5.9 and 0.5.10
wheels are taken to ship the same B200 files). This script splits SGLang 0.5.9's and 0.5.10's measured B200 layers
(``data/moe_kernel_times.csv``, the rows ``fit_blackwell_moe.py`` reads) by whether such a file exists, and prints
the median measured / estimated by batch, the estimate being the engine's Triton path (its generic term and
``calibration.SGLANG_BLACKWELL_TRITON_MOE_US``).

Nothing is fitted here: it shows where the engine's single Triton rate holds (tuned shapes, and every shape at decode
batches) and where a layer on a default config runs slower (prompt-sized batches).
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
from config_explorer.engine.calibration import SGLANG_BLACKWELL_TRITON_MOE_US

CONFIGS = Path(__file__).resolve().parent / "data" / "sglang_moe_triton_configs.csv"
DEVICE = "NVIDIA_B200"
#: the database's formats -> (the config file's dtype, whether it names a block shape)
FORMATS = {"bfloat16": ("", False), "fp8_block": ("fp8_w8a8", True)}
BATCHES = (1, 16, 64, 256, 1024, 4096)


def tuned_shapes(device: str = DEVICE) -> set[tuple[int, int, str, bool]]:
    """(experts, width, dtype, block-scaled) of every tuned config file the wheel ships for ``device``."""
    with CONFIGS.open(newline="") as fh:
        return {
            (int(r["num_experts"]), int(r["width"]), r["dtype"], bool(r["block_shape"]))
            for r in csv.DictReader(fh)
            if r["device"] == device and not r["other"]
        }


@cache
def _expert_shape(model: str) -> tuple[int, int]:
    """(routed experts, expert intermediate size) of the bundled model a layer row names."""
    arch = load_model(model)
    return arch.num_experts, arch.moe_intermediate_size


def has_tuned_config(layer: Layer, tuned: set[tuple[int, int, str, bool]]) -> bool:
    """Whether the layer's shape on one GPU (its local experts, its expert width) has a tuned config file."""
    experts, intermediate = _expert_shape(layer.model)
    dtype, block = FORMATS[layer.dtype]
    return (experts // layer.ep, intermediate // layer.tp, dtype, block) in tuned


def ratios(
    sources: Iterable[tuple[str, str, str]] = (TRITON, TRITON_LATER),
) -> dict[tuple[bool, int], list[float]]:
    """Measured / estimated (the engine's Triton path) of the sources' layers in a format the config files
    name, keyed by (whether the shape has a tuned config, batch tokens)."""
    tuned = tuned_shapes()
    out: dict[tuple[bool, int], list[float]] = defaultdict(list)
    for source in sources:
        for layer in layers(source):
            if layer.dtype not in FORMATS:
                continue
            estimate = layer.body_us + layer.generic_us + SGLANG_BLACKWELL_TRITON_MOE_US[layer.format_class]
            out[(has_tuned_config(layer, tuned), layer.tokens)].append(layer.measured_us / estimate)
    return out


def main() -> None:
    by_config = ratios()
    print(
        "SGLang 0.5.9 and 0.5.10's Triton MoE layers on a B200: median measured / estimated (the engine's Triton "
        "path), by batch (tokens) and by whether the 0.5.8 wheel ships a tuned config for the shape\n"
    )
    print(f"  {'config':8} " + " ".join(f"{b:>12}" for b in BATCHES))
    for is_tuned in (True, False):
        cells = []
        for b in BATCHES:
            at = by_config[(is_tuned, b)]
            cells.append(f"{statistics.median(at):5.2f} (n={len(at):3})" if at else f"{'-':>12}")
        print(f"  {'tuned' if is_tuned else 'default':8} " + " ".join(cells))


if __name__ == "__main__":
    main()

"""Reference $/GPU-hour prices (bundled, dated, sourced) with user overrides."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from config_explorer import validation
from config_explorer._util import short_repr
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.errors import InvalidArgumentError

__all__ = ["GPUCosts", "parse_gpu_cost", "reference_costs"]


@functools.lru_cache(maxsize=1)
def reference_costs() -> dict[str, Any]:
    """The bundled reference table: ``as_of``, ``disclaimer`` and ``prices`` keyed by catalog GPU name."""
    text = (resources.files("config_explorer") / "data" / "gpu_costs.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class GPUCosts:
    """$/GPU-hour by catalog GPU name: the reference values, overridden by the user's."""

    def __init__(self, overrides: Mapping[str, float] | None = None, *, use_reference: bool = True) -> None:
        self._prices: dict[str, float] = {}
        self._sources: dict[str, str] = {}
        if use_reference:
            ref = reference_costs()
            for name, entry in ref["prices"].items():
                self._prices[name] = float(entry["usd_per_hour"])
                self._sources[name] = (
                    f"reference ({entry.get('source', 'see gpu_costs.json')}, as of {ref['as_of']})"
                )
        for name, price in (validation.gpu_costs(overrides) or {}).items():
            canonical = get_gpu(name).name
            self._prices[canonical] = price
            self._sources[canonical] = "user"

    def per_gpu_hour(self, gpu: str) -> float | None:
        return self._prices.get(gpu)

    def source(self, gpu: str) -> str | None:
        return self._sources.get(gpu)


def parse_gpu_cost(text: str) -> tuple[str, float]:
    """Read ``NAME=USD`` (as in ``--gpu-cost H100=2.5``): a finite, positive price in range."""
    name, sep, value = validation.text("--gpu-cost", text).partition("=")
    try:
        price = float(value)
    except ValueError:
        price = None
    if not sep or not name.strip() or price is None:
        raise InvalidArgumentError(
            f"--gpu-cost expects NAME=USD_PER_HOUR such as H100=2.5, got {short_repr(text)}"
        )
    return name.strip(), validation.gpu_price(name.strip(), price)

"""Reference $/GPU-hour prices (bundled, dated, sourced) with user overrides."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

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
        for name, price in (overrides or {}).items():
            if isinstance(price, bool) or not isinstance(price, (int, float)) or not price > 0:
                raise InvalidArgumentError(f"GPU cost for {name!r} must be a positive $/hour, got {price!r}")
            canonical = get_gpu(name).name
            self._prices[canonical] = float(price)
            self._sources[canonical] = "user"

    def per_gpu_hour(self, gpu: str) -> float | None:
        return self._prices.get(gpu)

    def source(self, gpu: str) -> str | None:
        return self._sources.get(gpu)


def parse_gpu_cost(text: str) -> tuple[str, float]:
    """Read ``NAME=USD`` (as in ``--gpu-cost H100=2.5``)."""
    name, sep, value = text.partition("=")
    try:
        price = float(value)
    except ValueError:
        price = -1.0
    if not sep or not name.strip() or not price > 0:
        raise InvalidArgumentError(f"--gpu-cost expects NAME=USD_PER_HOUR such as H100=2.5, got {text!r}")
    return name.strip(), price

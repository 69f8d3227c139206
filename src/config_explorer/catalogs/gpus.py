"""The GPU catalog: datasheet figures in package data, looked up by name or alias.

Each accelerator is one JSON file under ``config_explorer/data/gpus/`` citing its sources.
Users add their own with :func:`register_gpu` (a mapping, a :class:`GPUSpec`, or a JSON/TOML
file with the same fields).
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from config_explorer._util import closest, normalize_name
from config_explorer.errors import InfeasibleConfigurationError, InvalidArgumentError, UnknownGPUError
from config_explorer.precision import compute_precision, normalize_precision

__all__ = [
    "GPUSpec",
    "TensorThroughput",
    "get_gpu",
    "gpu_from_mapping",
    "list_gpus",
    "load_gpu_file",
    "register_gpu",
    "unregister_gpu",
]

FAMILIES = ("volta", "turing", "ampere", "ada", "hopper", "blackwell", "cdna2", "cdna3", "cdna4", "other")


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidArgumentError(f"GPU field {attribute.name!r} must be a positive number, got {value!r}")


@attrs.frozen
class TensorThroughput:
    """Dense peak TFLOP/s (TOPS for int8) per precision; ``None`` where the hardware has no such mode."""

    fp32: float | None = attrs.field(default=None, validator=_positive)
    tf32: float | None = attrs.field(default=None, validator=_positive)
    bf16: float | None = attrs.field(default=None, validator=_positive)
    fp16: float | None = attrs.field(default=None, validator=_positive)
    fp8: float | None = attrs.field(default=None, validator=_positive)
    int8: float | None = attrs.field(default=None, validator=_positive)
    fp4: float | None = attrs.field(default=None, validator=_positive)


@attrs.frozen(cache_hash=True)
class GPUSpec:
    """One accelerator's datasheet figures (dense TFLOPS; memory in GiB and the vendor's GB)."""

    name: str
    memory_gib: float = attrs.field(validator=_positive)
    memory_bandwidth_tb_s: float = attrs.field(validator=_positive)
    tflops: TensorThroughput
    interconnect_bandwidth_gb_s: float = attrs.field(validator=_positive)
    interconnect_kind: str = "PCIe Gen4 x16"
    scale_up_domain: int = attrs.field(default=8, validator=_positive)
    memory_gb: float | None = attrs.field(default=None, validator=_positive)
    #: memory the framework sees (``torch.cuda.mem_get_info`` total, GiB): less than nvidia-smi's
    #: figure by what the driver reserves; ``None`` when unmeasured (then ``memory_gib`` less 0.5 GiB)
    framework_memory_gib: float | None = attrs.field(default=None, validator=_positive)
    memory_type: str | None = None
    vendor: str = "unknown"
    architecture: str | None = None
    family: str = "other"
    form_factor: str | None = None
    tdp_w: float | None = attrs.field(default=None, validator=_positive)
    release_year: int | None = None
    aliases: tuple[str, ...] = ()
    sources: tuple[tuple[str, str], ...] = ()
    notes: str = ""
    builtin: bool = False

    def __attrs_post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InvalidArgumentError(
                f"GPU {self.name!r}: unknown family {self.family!r}; accepted: {', '.join(FAMILIES)}"
            )

    @property
    def visible_memory_gib(self) -> float:
        """What a serving framework budgets from: the measured figure, or ``memory_gib`` less 0.5 GiB.

        Measured gaps between nvidia-smi and ``torch.cuda.mem_get_info`` run 0.26-0.85 GiB (T4 to A100
        80GB, see the catalog's sources); 0.5 GiB is their middle.
        """
        if self.framework_memory_gib is not None:
            return min(self.framework_memory_gib, self.memory_gib)
        return max(self.memory_gib - 0.5, self.memory_gib * 0.5)

    @property
    def memory_bytes(self) -> float:
        return self.memory_gib * 1024**3

    @property
    def memory_bandwidth_bytes_s(self) -> float:
        return self.memory_bandwidth_tb_s * 1e12

    @property
    def link_bandwidth_bytes_s(self) -> float:
        """Per-direction scale-up bandwidth (vendors quote the bidirectional sum)."""
        return self.interconnect_bandwidth_gb_s * 1e9 / 2.0

    @property
    def has_nvlink_class_link(self) -> bool:
        return not self.interconnect_kind.lower().startswith("pcie")

    def native_tflops(self, precision: str) -> float | None:
        """Dense peak for GEMMs in exactly this mode, or ``None`` when the hardware lacks it."""
        p = normalize_precision(precision)
        if p in ("int4", "mxfp4"):
            return None
        value: float | None = getattr(self.tflops, p)
        if p == "bf16" and value is None:
            value = self.tflops.fp16
        if p == "fp16" and value is None:
            value = self.tflops.bf16
        return value

    def gemm_tflops(self, weight_precision: str) -> tuple[float, str]:
        """Peak dense TFLOP/s that GEMMs on weights of ``weight_precision`` run at, and the mode used.

        Formats the tensor cores lack are run the way vLLM runs them: weight-only kernels that
        dequantize into 16-bit GEMMs (e.g. FP8 Marlin on Ampere), so the 16-bit peak applies.
        """
        mode = compute_precision(weight_precision)
        value = self.native_tflops(mode)
        if value is not None:
            return value, mode
        fallback = self.tflops.bf16 or self.tflops.fp16
        if fallback is None:
            raise InfeasibleConfigurationError(
                f"cannot estimate: GPU {self.name!r} has no published 16-bit tensor TFLOPS figure; register a spec "
                "with your own figure (register_gpu({...}, replace=True))"
            )
        return fallback, "bf16" if self.tflops.bf16 else "fp16"

    def supports_natively(self, precision: str) -> bool:
        mode = compute_precision(precision)
        return self.native_tflops(mode) is not None

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=True)
        data["sources"] = [{"title": t, "url": u} for t, u in self.sources]
        data.pop("builtin")
        return data


_REQUIRED = ("name", "memory_gib", "memory_bandwidth_tb_s", "tflops", "interconnect")


def gpu_from_mapping(data: Mapping[str, Any], *, builtin: bool = False) -> GPUSpec:
    """Build a validated :class:`GPUSpec` from a mapping in the catalog's JSON layout."""
    if not isinstance(data, Mapping):
        raise InvalidArgumentError(f"a GPU spec must be a mapping, got {type(data).__name__}")
    missing = [k for k in _REQUIRED if k not in data]
    if "memory_gib" in missing and "memory_gb" in data:
        missing.remove("memory_gib")
    if missing:
        raise InvalidArgumentError(
            f"GPU spec {data.get('name', '<unnamed>')!r} lacks required field(s) {', '.join(missing)}; "
            f"required: {', '.join(_REQUIRED)}"
        )
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"GPU field 'name' must be a non-empty string, got {name!r}")
    tflops = data["tflops"]
    if not isinstance(tflops, Mapping):
        raise InvalidArgumentError(f"GPU {name!r}: 'tflops' must be a mapping of precision -> TFLOPS")
    unknown = set(tflops) - set(attrs.fields_dict(TensorThroughput))
    if unknown:
        raise InvalidArgumentError(
            f"GPU {name!r}: unknown precision(s) in 'tflops': {', '.join(sorted(unknown))}; "
            f"accepted: {', '.join(attrs.fields_dict(TensorThroughput))}"
        )
    link = data["interconnect"]
    if not isinstance(link, Mapping) or "bandwidth_gb_s" not in link:
        raise InvalidArgumentError(
            f"GPU {name!r}: 'interconnect' must be a mapping with 'bandwidth_gb_s' (and 'kind')"
        )
    memory_gib = data.get("memory_gib")
    if memory_gib is None:
        memory_gib = _number(name, "memory_gb", data["memory_gb"]) * 1e9 / 1024**3
    sources = tuple(
        (str(s.get("title", "")), str(s.get("url", ""))) if isinstance(s, Mapping) else (str(s), "")
        for s in data.get("sources", ())
    )
    try:
        return GPUSpec(
            name=name.strip(),
            memory_gib=_number(name, "memory_gib", memory_gib),
            memory_gb=_optional_number(name, "memory_gb", data.get("memory_gb")),
            framework_memory_gib=_optional_number(
                name, "framework_memory_gib", data.get("framework_memory_gib")
            ),
            memory_type=data.get("memory_type"),
            memory_bandwidth_tb_s=_number(name, "memory_bandwidth_tb_s", data["memory_bandwidth_tb_s"]),
            tflops=TensorThroughput(
                **{k: _optional_number(name, f"tflops.{k}", v) for k, v in tflops.items()}
            ),
            interconnect_bandwidth_gb_s=_number(name, "interconnect.bandwidth_gb_s", link["bandwidth_gb_s"]),
            interconnect_kind=str(link.get("kind", "unknown")),
            scale_up_domain=int(
                _number(name, "interconnect.scale_up_domain", link.get("scale_up_domain", 8))
            ),
            vendor=str(data.get("vendor", "unknown")),
            architecture=data.get("architecture"),
            family=str(data.get("family", "other")).lower(),
            form_factor=data.get("form_factor"),
            tdp_w=_optional_number(name, "tdp_w", data.get("tdp_w")),
            release_year=data.get("release_year"),
            aliases=tuple(str(a) for a in data.get("aliases", ())),
            sources=sources,
            notes=str(data.get("notes") or ""),
            builtin=builtin,
        )
    except TypeError as exc:  # wrong field types that attrs itself rejects
        raise InvalidArgumentError(f"GPU {name!r}: {exc}") from exc


def _number(gpu: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"GPU {gpu!r}: field {field!r} must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(f"GPU {gpu!r}: field {field!r} must be positive, got {value!r}")
    return float(value)


def _optional_number(gpu: str, field: str, value: Any) -> float | None:
    return None if value is None else _number(gpu, field, value)


class _Registry:
    """Catalog entries plus user registrations, with a normalised-name index."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._specs: dict[str, GPUSpec] | None = None
        self._index: dict[str, str] = {}

    def _load(self) -> dict[str, GPUSpec]:
        if self._specs is None:
            with self._lock:
                if self._specs is None:
                    specs: dict[str, GPUSpec] = {}
                    folder = resources.files("config_explorer") / "data" / "gpus"
                    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
                        if entry.name.endswith(".json"):
                            spec = gpu_from_mapping(json.loads(entry.read_text("utf-8")), builtin=True)
                            specs[spec.name] = spec
                    self._index = {}
                    for spec in specs.values():
                        self._add_keys(spec)
                    self._specs = specs
        return self._specs

    def _add_keys(self, spec: GPUSpec) -> None:
        for key in (spec.name, *spec.aliases):
            norm = normalize_name(key)
            if norm:
                self._index[norm] = spec.name
                if norm.startswith("nvidia") and len(norm) > 6:
                    self._index.setdefault(norm[6:], spec.name)

    def all(self) -> list[GPUSpec]:
        return list(self._load().values())

    def get(self, name: str) -> GPUSpec:
        specs = self._load()
        if isinstance(name, GPUSpec):
            return name
        if not isinstance(name, str):
            raise InvalidArgumentError(f"GPU name must be a string, got {name!r}")
        norm = normalize_name(name)
        hit = self._index.get(norm) or (self._index.get(norm[6:]) if norm.startswith("nvidia") else None)
        if hit is None:
            raise UnknownGPUError(name, closest(name, self._index))
        return specs[hit]

    def register(self, spec: GPUSpec, *, replace: bool) -> GPUSpec:
        specs = self._load()
        with self._lock:
            clash = [k for k in (spec.name, *spec.aliases) if normalize_name(k) in self._index]
            if clash and not replace:
                raise InvalidArgumentError(
                    f"GPU name or alias {clash[0]!r} is already in the catalog (as "
                    f"{self._index[normalize_name(clash[0])]!r}); pass replace=True to override it"
                )
            specs[spec.name] = spec
            self._add_keys(spec)
        return spec

    def unregister(self, name: str) -> None:
        specs = self._load()
        spec = self.get(name)
        with self._lock:
            del specs[spec.name]
            self._index = {k: v for k, v in self._index.items() if v != spec.name}


_REGISTRY = _Registry()


def list_gpus() -> list[GPUSpec]:
    """Every GPU in the catalog (bundled and registered), in a stable order."""
    return _REGISTRY.all()


def get_gpu(name: str | GPUSpec) -> GPUSpec:
    """Look a GPU up by name or alias, case- and punctuation-insensitive.

    Raises :class:`UnknownGPUError` listing the three closest names when nothing matches.
    """
    return _REGISTRY.get(name)  # type: ignore[arg-type]


def load_gpu_file(path: str | os.PathLike[str]) -> GPUSpec:
    """Read a GPU spec from a ``.json`` or ``.toml`` file laid out like the catalog's entries."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read GPU spec file {str(file)!r}: {exc.strerror}") from exc
    try:
        if file.suffix.lower() == ".toml":
            data: Any = _toml_loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise InvalidArgumentError(
            f"GPU spec file {str(file)!r} is not valid {file.suffix[1:].upper()}: {exc}"
        ) from exc
    return gpu_from_mapping(data)


def _toml_loads(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise InvalidArgumentError("reading TOML on Python 3.10 needs `pip install tomli`") from exc
    data: dict[str, Any] = tomllib.loads(text)
    return data


def register_gpu(
    spec: GPUSpec | Mapping[str, Any] | str | os.PathLike[str], *, replace: bool = False
) -> GPUSpec:
    """Add a custom GPU to the catalog from a spec, a mapping, or a JSON/TOML file path."""
    if isinstance(spec, GPUSpec):
        built = spec
    elif isinstance(spec, Mapping):
        built = gpu_from_mapping(spec)
    else:
        built = load_gpu_file(spec)
    return _REGISTRY.register(built, replace=replace)


def unregister_gpu(name: str) -> None:
    """Remove a GPU (registered or bundled) from this process's catalog."""
    _REGISTRY.unregister(name)

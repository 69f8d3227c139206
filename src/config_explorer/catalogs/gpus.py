"""The GPU catalog: datasheet figures in package data, looked up by name or alias.

Each accelerator is one JSON file under ``config_explorer/data/gpus/`` citing its sources.
Users add their own with :func:`register_gpu` (a mapping, a :class:`GPUSpec`, or a JSON/TOML
file with the same fields).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, Final

import attrs

from config_explorer._util import closest, normalize_name, short_repr
from config_explorer.errors import InfeasibleConfigurationError, InvalidArgumentError, UnknownGPUError
from config_explorer.precision import compute_precision, normalize_precision

__all__ = [
    "FIGURE_RANGES",
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

#: the physical range of each figure (low, high, unit): generous bounds around every accelerator made
#: so far (a T4's 15 GiB and 0.3 TB/s, a GB200's 1.2 kW, a B200's 9 PFLOP/s of FP4). A figure outside
#: is a typo or a unit slip (GB for TB, TFLOPS for FLOPS), and the engine's arithmetic would turn it
#: into nonsense, so the boundary rejects it.
FIGURE_RANGES: Final[dict[str, tuple[float, float, str]]] = {
    "memory_gib": (1.0, 4096.0, "GiB"),
    "memory_gb": (1.0, 4400.0, "GB"),
    "framework_memory_gib": (1.0, 4096.0, "GiB"),
    "memory_bandwidth_tb_s": (0.05, 100.0, "TB/s"),
    "tflops": (1.0, 100_000.0, "TFLOP/s"),
    "interconnect_bandwidth_gb_s": (1.0, 10_000.0, "GB/s"),
    "scale_out_bandwidth_gb_s": (0.1, 10_000.0, "GB/s"),
    "scale_up_domain": (1, 1024, "GPUs"),
    "gpus_per_node": (1, 1024, "GPUs"),
    "tdp_w": (1.0, 10_000.0, "W"),
    "release_year": (1990, 2100, ""),
}
_INTEGER_FIGURES = frozenset({"scale_up_domain", "gpus_per_node", "release_year"})
_MAX_NAME = 200


def _figure(gpu: str | None, field: str, value: object, key: str) -> float:
    """``value`` if it is a number (an integer for counts and years) in ``FIGURE_RANGES[key]``."""
    low, high, unit = FIGURE_RANGES[key]
    integer = key in _INTEGER_FIGURES
    kind = int if integer else (int, float)
    # comparisons, not math.isfinite: NaN fails both, and an int too large for a float cannot overflow them
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        where = f"GPU {gpu!r}: field" if gpu else "GPU field"
        what = "an integer" if integer else "a number"
        accepted = f"[{low:g}, {high:g}]" + (f" {unit}" if unit else "")
        raise InvalidArgumentError(f"{where} {field!r} must be {what} in {accepted}, got {short_repr(value)}")
    return value if integer else float(value)


def _owner(instance: object) -> str | None:
    name = getattr(instance, "name", None)
    return name if isinstance(name, str) else None


def _in_range(key: str, *, optional: bool = False) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """An attrs validator: a figure within ``FIGURE_RANGES[key]`` (or ``None`` where ``optional``)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None or not optional:
            field = f"tflops.{attribute.name}" if key == "tflops" else attribute.name
            _figure(_owner(instance), field, value, key)

    return check


def _flag(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An attrs validator: ``True`` or ``False``."""
    if not isinstance(value, bool):
        gpu = _owner(instance)
        where = f"GPU {gpu!r}: field" if gpu else "GPU field"
        raise InvalidArgumentError(
            f"{where} {attribute.name!r} must be true or false, got {short_repr(value)}"
        )


def _text(*, optional: bool = False) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    """An attrs validator: a string (or ``None`` where ``optional``)."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if (value is None and optional) or isinstance(value, str):
            return
        gpu = _owner(instance)
        where = f"GPU {gpu!r}: field" if gpu else "GPU field"
        accepted = "a string or null" if optional else "a string"
        raise InvalidArgumentError(f"{where} {attribute.name!r} must be {accepted}, got {short_repr(value)}")

    return check


def _name(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise InvalidArgumentError(
            f"GPU field 'name' must be a non-empty string of at most {_MAX_NAME} characters, got {short_repr(value)}"
        )


def _strings(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgumentError(
            f"GPU {_owner(instance)!r}: field {attribute.name!r} must be a tuple of strings, got {short_repr(value)}"
        )


def _powers_of_two_per_node(spec: GPUSpec) -> tuple[int, ...]:
    """1, 2, 4, ... up to a whole node: how cloud instances of one GPU type are usually sized."""
    return tuple(c for c in (1, 2, 4, 8, 16, 32, 64) if c <= spec.gpus_per_node) or (spec.gpus_per_node,)


def _sold_counts(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    per_node = getattr(instance, "gpus_per_node", 8)
    ok = (
        isinstance(value, tuple)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= per_node for v in value)
    )
    if not ok:
        raise InvalidArgumentError(
            f"GPU {_owner(instance)!r}: field 'sold_counts' must be a non-empty tuple of GPU counts from 1 to "
            f"gpus_per_node ({per_node}), got {short_repr(value)}"
        )


def _sources(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    pairs = isinstance(value, tuple) and all(
        isinstance(v, tuple) and len(v) == 2 and all(isinstance(t, str) for t in v) for v in value
    )
    if not pairs:
        raise InvalidArgumentError(
            f"GPU {_owner(instance)!r}: field 'sources' must be a tuple of (title, url) string pairs, "
            f"got {short_repr(value)}"
        )


@attrs.frozen
class TensorThroughput:
    """Dense peak TFLOP/s (TOPS for int8) per precision; ``None`` where the hardware has no such mode.

    ``fp4`` is the NVFP4 GEMM mode; ``mxfp4`` the OCP MX FP4 one (FP4 operands with E8M0 scales per 32
    values), given where an engine path this library models runs it: CDNA 4's scaled FP4 matrix instructions
    for vLLM's W4A4 MXFP4 (Quark) linear layers (:func:`~config_explorer.engine.calibration.runs_native_mxfp4_linears`).
    """

    fp32: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    tf32: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    bf16: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    fp16: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    fp8: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    int8: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    fp4: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))
    mxfp4: float | None = attrs.field(default=None, validator=_in_range("tflops", optional=True))


def _throughput(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, TensorThroughput):
        raise InvalidArgumentError(
            f"GPU {_owner(instance)!r}: field 'tflops' must be a TensorThroughput, got {short_repr(value)}"
        )


@attrs.frozen(cache_hash=True)
class GPUSpec:
    """One accelerator's datasheet figures (dense TFLOPS; memory in GiB and the vendor's GB)."""

    name: str = attrs.field(validator=_name)
    memory_gib: float = attrs.field(validator=_in_range("memory_gib"))
    memory_bandwidth_tb_s: float = attrs.field(validator=_in_range("memory_bandwidth_tb_s"))
    tflops: TensorThroughput = attrs.field(validator=_throughput)
    interconnect_bandwidth_gb_s: float = attrs.field(validator=_in_range("interconnect_bandwidth_gb_s"))
    interconnect_kind: str = attrs.field(default="PCIe Gen4 x16", validator=_text())
    scale_up_domain: int = attrs.field(default=8, validator=_in_range("scale_up_domain"))
    #: network bandwidth per GPU, one direction (GB/s), between scale-up domains. Default 50: one
    #: 400 Gb/s ConnectX-7 NIC per GPU, as in NVIDIA's DGX H100/H200/B200 and GB200 compute trays
    #: (benchmarks/data/ep_evidence.md, section 4)
    scale_out_bandwidth_gb_s: float = attrs.field(
        default=50.0, validator=_in_range("scale_out_bandwidth_gb_s")
    )
    memory_gb: float | None = attrs.field(default=None, validator=_in_range("memory_gb", optional=True))
    #: memory the framework sees (``torch.cuda.mem_get_info`` total, GiB): less than nvidia-smi's
    #: figure by what the driver reserves; ``None`` when unmeasured (then ``memory_gib`` less 0.5 GiB)
    framework_memory_gib: float | None = attrs.field(
        default=None, validator=_in_range("framework_memory_gib", optional=True)
    )
    memory_type: str | None = attrs.field(default=None, validator=_text(optional=True))
    #: its datasheet tensor rates are an export cap set below what its SMs issue (the H20): the family's kernel
    #: efficiencies, measured on uncapped parts, are shares of a peak that binds differently here, and a
    #: recommendation row on it carries that caveat
    tensor_rates_capped: bool = attrs.field(default=False, validator=_flag)
    vendor: str = attrs.field(default="unknown", validator=_text())
    architecture: str | None = attrs.field(default=None, validator=_text(optional=True))
    family: str = attrs.field(default="other", validator=_text())
    form_factor: str | None = attrs.field(default=None, validator=_text(optional=True))
    #: the name ``torch.cuda.get_device_name()`` reports for the GPU (e.g. ``NVIDIA H100 80GB HBM3``), by which vLLM
    #: and SGLang look up their tuned Triton MoE kernel configs (:func:`~config_explorer.engine.calibration.
    #: triton_moe_config_tuned`); None where not known
    device_name: str | None = attrs.field(default=None, validator=_text(optional=True))
    tdp_w: float | None = attrs.field(default=None, validator=_in_range("tdp_w", optional=True))
    release_year: int | None = attrs.field(default=None, validator=_in_range("release_year", optional=True))
    aliases: tuple[str, ...] = attrs.field(default=(), validator=_strings)
    sources: tuple[tuple[str, str], ...] = attrs.field(default=(), validator=_sources)
    notes: str = attrs.field(default="", validator=_text())
    #: GPUs in one server (a GB200 compute tray holds 4); layouts larger than one node span several
    gpus_per_node: int = attrs.field(default=8, validator=_in_range("gpus_per_node"))
    #: the GPU counts below a whole node that can be rented or bought (instances of 1, 2, 4 GPUs ...)
    sold_counts: tuple[int, ...] = attrs.field(
        default=attrs.Factory(_powers_of_two_per_node, takes_self=True), validator=_sold_counts
    )
    builtin: bool = False

    def deployable_counts(self, limit: int) -> list[int]:
        """GPU counts this GPU is deployed in, up to ``limit``: the counts sold below a node, then whole
        nodes (``gpus_per_node`` x 1, 2, 3, ...)."""
        counts = {c for c in self.sold_counts if c <= limit}
        counts.update(range(self.gpus_per_node, limit + 1, self.gpus_per_node))
        return sorted(counts)

    def __attrs_post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InvalidArgumentError(
                f"GPU {self.name!r}: unknown family {short_repr(self.family)}; accepted: {', '.join(FAMILIES)}"
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
    def scale_out_bytes_s(self) -> float:
        """Network bandwidth per GPU, one direction, between scale-up domains."""
        return self.scale_out_bandwidth_gb_s * 1e9

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
    """Build a validated :class:`GPUSpec` from a mapping in the catalog's JSON layout.

    Every figure must lie in its physical range (:data:`FIGURE_RANGES`); the error names the field,
    the value and the range.
    """
    if not isinstance(data, Mapping):
        raise InvalidArgumentError(
            f"a GPU spec must be a mapping in the catalog's layout, got {type(data).__name__} {short_repr(data)}"
        )
    missing = [k for k in _REQUIRED if k not in data]
    if "memory_gib" in missing and "memory_gb" in data:
        missing.remove("memory_gib")
    if missing:
        raise InvalidArgumentError(
            f"GPU spec {short_repr(data.get('name', '<unnamed>'))} lacks required field(s) {', '.join(missing)}; "
            f"required: {', '.join(_REQUIRED)}"
        )
    name = data["name"]
    _name(None, attrs.fields(GPUSpec).name, name)
    tflops = data["tflops"]
    if not isinstance(tflops, Mapping):
        raise InvalidArgumentError(
            f"GPU {name!r}: 'tflops' must be a mapping of precision -> TFLOP/s, got {short_repr(tflops)}"
        )
    unknown = {str(k) for k in tflops} - set(attrs.fields_dict(TensorThroughput))
    if unknown:
        raise InvalidArgumentError(
            f"GPU {name!r}: unknown precision(s) in 'tflops': {short_repr(', '.join(sorted(unknown)), 80)}; "
            f"accepted: {', '.join(attrs.fields_dict(TensorThroughput))}"
        )
    link = data["interconnect"]
    if not isinstance(link, Mapping) or "bandwidth_gb_s" not in link:
        raise InvalidArgumentError(
            f"GPU {name!r}: 'interconnect' must be a mapping with 'bandwidth_gb_s' (and 'kind'), "
            f"got {short_repr(link)}"
        )
    memory_gb = _optional_figure(name, "memory_gb", data.get("memory_gb"))
    memory_gib = data.get("memory_gib")
    if memory_gib is None and memory_gb is not None:
        memory_gib = _figure(name, "memory_gib (from memory_gb)", memory_gb * 1e9 / 1024**3, "memory_gib")
    aliases = data.get("aliases") or ()
    if not isinstance(aliases, (list, tuple)) or not all(isinstance(a, str) for a in aliases):
        raise InvalidArgumentError(
            f"GPU {name!r}: 'aliases' must be a list of strings, got {short_repr(aliases)}"
        )
    listed = data.get("sources") or ()
    if not isinstance(listed, (list, tuple)):
        raise InvalidArgumentError(
            f"GPU {name!r}: 'sources' must be a list of {{title, url}} objects, got {short_repr(listed)}"
        )
    sources = tuple(
        (str(s.get("title", "")), str(s.get("url", ""))) if isinstance(s, Mapping) else (str(s), "")
        for s in listed
    )
    try:
        return GPUSpec(
            name=name.strip(),
            memory_gib=_optional_figure(name, "memory_gib", memory_gib),
            memory_gb=memory_gb,
            framework_memory_gib=_optional_figure(
                name, "framework_memory_gib", data.get("framework_memory_gib")
            ),
            memory_type=_text_value(name, "memory_type", data.get("memory_type"), None),
            tensor_rates_capped=data.get("tensor_rates_capped", False),
            memory_bandwidth_tb_s=_figure(
                name, "memory_bandwidth_tb_s", data["memory_bandwidth_tb_s"], "memory_bandwidth_tb_s"
            ),
            tflops=TensorThroughput(
                **{str(k): _optional_figure(name, f"tflops.{k}", v, "tflops") for k, v in tflops.items()}
            ),
            interconnect_bandwidth_gb_s=_figure(
                name, "interconnect.bandwidth_gb_s", link["bandwidth_gb_s"], "interconnect_bandwidth_gb_s"
            ),
            interconnect_kind=_text_value(name, "interconnect.kind", link.get("kind"), "unknown"),
            scale_up_domain=int(
                _figure(
                    name,
                    "interconnect.scale_up_domain",
                    _integral(link.get("scale_up_domain", 8)),
                    "scale_up_domain",
                )
            ),
            scale_out_bandwidth_gb_s=_figure(
                name,
                "interconnect.scale_out_gb_s",
                link.get("scale_out_gb_s", 50.0),
                "scale_out_bandwidth_gb_s",
            ),
            vendor=_text_value(name, "vendor", data.get("vendor"), "unknown"),
            architecture=_text_value(name, "architecture", data.get("architecture"), None),
            family=_text_value(name, "family", data.get("family"), "other").lower(),
            form_factor=_text_value(name, "form_factor", data.get("form_factor"), None),
            device_name=_text_value(name, "device_name", data.get("device_name"), None),
            tdp_w=_optional_figure(name, "tdp_w", data.get("tdp_w")),
            release_year=_optional_figure(name, "release_year", _integral(data.get("release_year"))),
            aliases=tuple(aliases),
            sources=sources,
            notes=_text_value(name, "notes", data.get("notes"), ""),
            **_deployment(name, data.get("deployment")),
            builtin=builtin,
        )
    except TypeError as exc:  # wrong field types that attrs itself rejects
        raise InvalidArgumentError(f"GPU {name!r}: {exc}") from exc


def _optional_figure(gpu: str, field: str, value: Any, key: str | None = None) -> Any:
    """``None``, or ``value`` checked against ``FIGURE_RANGES[key or field]``."""
    return None if value is None else _figure(gpu, field, value, key or field)


def _deployment(name: str, block: Any) -> dict[str, Any]:
    """``gpus_per_node`` and ``sold_counts`` from a spec's optional ``deployment`` block."""
    if block is None:
        return {}
    if not isinstance(block, Mapping):
        raise InvalidArgumentError(
            f"GPU {name!r}: 'deployment' must be a mapping with 'gpus_per_node' and 'sold_counts', "
            f"got {short_repr(block)}"
        )
    out: dict[str, Any] = {}
    if "gpus_per_node" in block:
        out["gpus_per_node"] = int(
            _figure(name, "deployment.gpus_per_node", _integral(block["gpus_per_node"]), "gpus_per_node")
        )
    counts = block.get("sold_counts")
    if counts is not None:
        if not isinstance(counts, (list, tuple)):
            raise InvalidArgumentError(
                f"GPU {name!r}: 'deployment.sold_counts' must be a list of GPU counts, got {short_repr(counts)}"
            )
        out["sold_counts"] = tuple(_integral(c) for c in counts)
    return out


def _integral(value: Any) -> Any:
    """A float with an integer value (``8.0`` from a TOML or JSON writer) as that integer; else unchanged."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _text_value(gpu: str, field: str, value: Any, default: Any) -> Any:
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidArgumentError(f"GPU {gpu!r}: field {field!r} must be a string, got {short_repr(value)}")
    return value


@attrs.frozen
class _Catalog:
    """One consistent state of the catalog: specs by name and the normalised-name index.

    Never changed once published: a change builds a new one (copy on write).
    """

    specs: Mapping[str, GPUSpec]
    index: Mapping[str, str]


def _add_keys(index: dict[str, str], spec: GPUSpec) -> None:
    for key in (spec.name, *spec.aliases):
        norm = normalize_name(key)
        if norm:
            index[norm] = spec.name
            if norm.startswith("nvidia") and len(norm) > 6:
                index.setdefault(norm[6:], spec.name)


def _bundled_catalog() -> _Catalog:
    specs: dict[str, GPUSpec] = {}
    folder = resources.files("config_explorer") / "data" / "gpus"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            spec = gpu_from_mapping(json.loads(entry.read_text("utf-8")), builtin=True)
            specs[spec.name] = spec
    index: dict[str, str] = {}
    for spec in specs.values():
        _add_keys(index, spec)
    return _Catalog(specs, index)


class _Registry:
    """Catalog entries plus user registrations, with a normalised-name index.

    Thread-safe without relying on the GIL: readers take the published :class:`_Catalog` with one
    attribute read, so a lookup never sees specs and index from two different states; writers build
    the next catalog under the lock and publish it with one assignment.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalog: _Catalog | None = None

    def _current(self) -> _Catalog:
        catalog = self._catalog
        if catalog is None:
            with self._lock:
                if self._catalog is None:
                    self._catalog = _bundled_catalog()
                catalog = self._catalog
        return catalog

    def all(self) -> list[GPUSpec]:
        return list(self._current().specs.values())

    def get(self, name: str) -> GPUSpec:
        catalog = self._current()
        if isinstance(name, GPUSpec):
            return name
        if not isinstance(name, str):
            raise InvalidArgumentError(f"GPU name must be a string, got {short_repr(name)}")
        norm = normalize_name(name)
        index = catalog.index
        hit = index.get(norm) or (index.get(norm[6:]) if norm.startswith("nvidia") else None)
        if hit is None:
            raise UnknownGPUError(name, closest(name, index))
        return catalog.specs[hit]

    def register(self, spec: GPUSpec, *, replace: bool) -> GPUSpec:
        self._current()
        with self._lock:
            catalog = self._catalog
            assert catalog is not None
            clash = [k for k in (spec.name, *spec.aliases) if normalize_name(k) in catalog.index]
            if clash and not replace:
                raise InvalidArgumentError(
                    f"GPU name or alias {clash[0]!r} is already in the catalog (as "
                    f"{catalog.index[normalize_name(clash[0])]!r}); pass replace=True to override it"
                )
            index = dict(catalog.index)
            _add_keys(index, spec)
            self._catalog = _Catalog({**catalog.specs, spec.name: spec}, index)
        return spec

    def unregister(self, name: str) -> None:
        spec = self.get(name)
        with self._lock:
            catalog = self._catalog
            assert catalog is not None
            if catalog.specs.get(spec.name) is not spec:  # another thread removed or replaced it meanwhile
                raise UnknownGPUError(name, ())
            specs = {k: v for k, v in catalog.specs.items() if k != spec.name}
            index = {k: v for k, v in catalog.index.items() if v != spec.name}
            self._catalog = _Catalog(specs, index)


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
    """Read a GPU spec from a ``.json`` or ``.toml`` file laid out like the catalog's entries.

    The file is read through :mod:`config_explorer._files` (regular files only, at most 8 MiB, nesting
    at most 64 deep, UTF-8); every problem, in the file or in a field's value, is an
    :class:`InvalidArgumentError` naming the file.
    """
    from config_explorer._files import PATH_QUOTE_CHARS, quote, read_spec
    from config_explorer.errors import ConfigExplorerError

    data = read_spec(path, what="GPU spec file", error=InvalidArgumentError)
    shown = quote(os.fspath(path), PATH_QUOTE_CHARS)
    try:
        return gpu_from_mapping(data)
    except ConfigExplorerError as exc:
        raise InvalidArgumentError(f"GPU spec file {shown}: {exc}") from exc
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # a value no validator foresaw
        raise InvalidArgumentError(
            f"GPU spec file {shown}: a field has a value of the wrong kind ({type(exc).__name__})"
        ) from exc


def register_gpu(
    spec: GPUSpec | Mapping[str, Any] | str | os.PathLike[str], *, replace: bool = False
) -> GPUSpec:
    """Add a custom GPU to the catalog from a spec, a mapping, or a JSON/TOML file path.

    Every figure must lie in its physical range (:data:`FIGURE_RANGES`).
    """
    if isinstance(spec, GPUSpec):
        built = spec
    elif isinstance(spec, Mapping):
        built = gpu_from_mapping(spec)
    elif isinstance(spec, (str, os.PathLike)):
        built = load_gpu_file(spec)
    else:
        raise InvalidArgumentError(
            "register_gpu takes a GPUSpec, a mapping in the catalog's layout, or the path of a .json/.toml "
            f"file; got {type(spec).__name__} {short_repr(spec)}"
        )
    if not isinstance(replace, bool):
        raise InvalidArgumentError(f"replace must be True or False, got {short_repr(replace)}")
    return _REGISTRY.register(built, replace=replace)


def unregister_gpu(name: str) -> None:
    """Remove a GPU (registered or bundled) from this process's catalog."""
    _REGISTRY.unregister(name)

"""The llm-optimizer backend: BentoML's llm-optimizer, called in-process, answering in our records.

Why an adapter rather than a thin wrapper: upstream (github.com/bentoml/llm-optimizer) is not on PyPI,
a PyPI project of the same name installs an unrelated package also called ``llm_optimizer``, and
upstream speaks its own names (``gpu_name``, ``concurrency``, ``PerformanceResult``, GB that are
GiB, ``inf`` for "does not fit"). This module finds out which ``llm_optimizer`` is installed, maps our
:class:`EstimateRequest` onto upstream's arguments, and turns whatever it returns (a dataclass object, or
a dict in older versions) into :class:`PerformanceEstimate`, saying on each record what it had to map,
ignore or approximate.

What upstream cannot express is recorded, not hidden: it pools all ``num_gpus`` GPUs as one device
(no tensor or pipeline parallelism), knows only fp16, bf16 and fp8 (other formats are estimated at the
nearest one it knows), keeps the KV cache at the weight precision, models no serving engine, and derives
latency percentiles from the mean with fixed multipliers.

The model goes to upstream as a ``ModelConfig`` built from our :class:`ModelArchitecture` (our
parameter count, which counts every MoE expert), so no network is needed; only a request with
``allow_hub=True`` lets upstream read the config from the Hugging Face hub itself.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import math
import re
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, Final

import attrs

from config_explorer._util import require_positive_int
from config_explorer.architecture import ModelArchitecture
from config_explorer.backends.base import EstimateRequest
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.layout import check_layout, valid_tp_degrees
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.roofline import expected_distinct_experts
from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    InvalidArgumentError,
    UnsupportedByBackendError,
)
from config_explorer.precision import normalize_precision

__all__ = [
    "BACKEND_NAME",
    "INSTALL_HINT",
    "LATENCY_PERCENTILE_MULTIPLIERS",
    "UPSTREAM_PRECISIONS",
    "LLMOptimizerBackend",
    "LLMOptimizerEstimation",
    "describe_llm_optimizer",
    "normalize_best_configs",
    "normalize_estimation_result",
    "normalize_result",
    "upstream_gpu_name",
]

BACKEND_NAME: Final = "llm-optimizer"

#: the top-level package both upstream and its PyPI namesake install
_PACKAGE: Final = "llm_optimizer"
#: the distribution name both use
_DISTRIBUTION: Final = "llm-optimizer"

INSTALL_HINT: Final = (
    "Install BentoML's llm-optimizer from its repository: "
    "pip install git+https://github.com/bentoml/llm-optimizer.git "
    "(it is not on PyPI; the PyPI package named llm-optimizer is an unrelated API-cost tool)"
)

#: the only precisions upstream's ``get_precision_bytes_per_param`` accepts
UPSTREAM_PRECISIONS: Final = ("fp16", "bf16", "fp8")

#: our precision -> the one upstream is asked for, for formats upstream lacks (nearest it knows)
_PRECISION_FALLBACK: Final[Mapping[str, str]] = {
    # 4 bytes has no upstream counterpart; bf16 keeps the range of fp32 (fp16 would not)
    "fp32": "bf16",
    "int8": "fp8",
    # upstream's smallest format is one byte per weight
    "int4": "fp8",
    "mxfp4": "fp8",
    "fp4": "fp8",
}

#: upstream's latency percentiles: fixed multiples of the mean (``performance.py``, SLO checks)
LATENCY_PERCENTILE_MULTIPLIERS: Final[Mapping[str, float]] = {"p50": 1.1, "p95": 1.3, "p99": 1.6}

_PERCENTILE_NOTE: Final = (
    "latency percentiles are llm-optimizer's fixed multipliers of the mean "
    "(p50 = 1.1x, p95 = 1.3x, p99 = 1.6x), not a queueing model"
)

#: fields a result must carry to be read as upstream's ``PerformanceResult``
_REQUIRED_RESULT_FIELDS: Final = ("ttft_ms", "itl_ms", "e2e_latency_s", "output_throughput_tps")

_BEST_CONFIG_KEYS: Final = ("best_latency", "best_input_throughput", "best_output_throughput")
_LIMIT_KEYS: Final = ("kv_cache_limit", "prefill_compute_limit", "decode_capacity_limit", "overall_limit")

_MISSING: Final = object()


# --------------------------------------------------------------------------------------------------
# Which llm_optimizer is installed
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class _Upstream:
    """The three upstream modules this adapter calls."""

    performance: ModuleType
    common: ModuleType
    gpus: ModuleType


@attrs.frozen
class _Probe:
    status: str  # "ok" | "not installed" | "wrong package" | "broken"
    detail: str
    distribution: str | None = None
    version: str | None = None
    location: str | None = None
    upstream: _Upstream | None = None


def _one_line(text: object) -> str:
    """An exception's text on one line without '. ', so that it never ends the message's first sentence."""
    lines = str(text).strip().splitlines()
    return (lines[0] if lines else "").replace(". ", "; ")[:200]


def _installed_distribution() -> tuple[str | None, str | None]:
    """(distribution, version) that installed ``llm_optimizer``, per importlib.metadata; None if unknown."""
    names: list[str] = []
    try:
        names = list(importlib.metadata.packages_distributions().get(_PACKAGE, []))
    except Exception:  # broken metadata anywhere on sys.path must not break the diagnosis
        names = []
    candidates = [*dict.fromkeys(names), _DISTRIBUTION]
    for name in candidates:
        try:
            version = importlib.metadata.distribution(name).version
        except Exception:
            continue
        return name, version or None
    return (names[0] if names else None), None


def _package_location(spec: importlib.machinery.ModuleSpec) -> str | None:
    locations = list(spec.submodule_search_locations or ())
    return locations[0] if locations else spec.origin


def _probe() -> _Probe:
    """Find ``llm_optimizer`` without importing it, then import upstream's modules if it looks like upstream.

    The top-level package is located with ``find_spec`` (which does not run it) and searched for a
    ``performance`` submodule, so the PyPI namesake is recognised even when its own dependencies
    (anthropic, openai) are missing.
    """
    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return _Probe(
            status="not installed",
            detail=f"BentoML's llm-optimizer is not installed (no module named {_PACKAGE}). {INSTALL_HINT}.",
        )
    distribution, version = _installed_distribution()
    location = _package_location(spec)
    where = f" It was found at {location}." if location else ""
    origin = (
        f"distribution {distribution!r} {version or '(version unknown)'}"
        if distribution
        else "no package metadata"
    )
    search = spec.submodule_search_locations
    has_performance = (
        search is not None
        and importlib.machinery.PathFinder.find_spec(f"{_PACKAGE}.performance", list(search))
    ) is not None
    wrong = _Probe(
        status="wrong package",
        detail=(
            f"The installed {_PACKAGE} package is not BentoML's llm-optimizer ({origin}): it has "
            f"no {_PACKAGE}.performance.estimate_llm_performance.{where} Uninstall it "
            f"(pip uninstall {distribution or _DISTRIBUTION}). {INSTALL_HINT}."
        ),
        distribution=distribution,
        version=version,
        location=location,
    )
    if not has_performance:
        return wrong
    try:
        performance = importlib.import_module(f"{_PACKAGE}.performance")
        common = importlib.import_module(f"{_PACKAGE}.common")
        gpus = importlib.import_module(f"{_PACKAGE}.predefined.gpus")
    except Exception as exc:  # upstream's own import failed: a missing dependency, a broken install
        return _Probe(
            status="broken",
            detail=(
                f"BentoML's llm-optimizer ({origin}) is installed but does not import "
                f"({type(exc).__name__}: {_one_line(exc)}).{where} Reinstall it with its dependencies. "
                f"{INSTALL_HINT}."
            ),
            distribution=distribution,
            version=version,
            location=location,
        )
    missing = [
        name
        for name, present in (
            (
                "performance.estimate_llm_performance",
                callable(getattr(performance, "estimate_llm_performance", None)),
            ),
            ("common.ModelConfig", callable(getattr(common, "ModelConfig", None))),
            ("predefined.gpus.GPU_SPECS", isinstance(getattr(gpus, "GPU_SPECS", None), Mapping)),
        )
        if not present
    ]
    if "performance.estimate_llm_performance" in missing:
        return wrong
    if missing:
        return _Probe(
            status="wrong package",
            detail=(
                f"The installed llm-optimizer ({origin}) lacks "
                f"{', '.join(f'{_PACKAGE}.{m}' for m in missing)}, which this adapter needs."
                f"{where} {INSTALL_HINT}."
            ),
            distribution=distribution,
            version=version,
            location=location,
        )
    return _Probe(
        status="ok",
        detail=f"BentoML's llm-optimizer ({origin}), called in-process",
        distribution=distribution,
        version=version,
        location=location,
        upstream=_Upstream(performance=performance, common=common, gpus=gpus),
    )


def describe_llm_optimizer() -> dict[str, object]:
    """Whether BentoML's llm-optimizer is usable here, and if not why; never raises.

    ``status`` is ``"ok"``, ``"not installed"``, ``"wrong package"`` (something else installs
    ``llm_optimizer``, e.g. the unrelated PyPI project) or ``"broken"`` (upstream fails to import).
    """
    try:
        probe = _probe()
    except Exception as exc:  # the promise is "never raises": report the probe's own failure instead
        probe = _Probe(status="broken", detail=f"could not inspect {_PACKAGE}: {type(exc).__name__}: {exc}")
    return {
        "name": BACKEND_NAME,
        "available": probe.status == "ok",
        "status": probe.status,
        "distribution": probe.distribution,
        "version": probe.version,
        "location": probe.location,
        "detail": probe.detail,
    }


# --------------------------------------------------------------------------------------------------
# Mapping our request onto upstream's arguments
# --------------------------------------------------------------------------------------------------


def _gpu_key(name: str) -> str:
    """'NVIDIA H100-SXM' -> 'h100sxm': lower case, alphanumerics only, no vendor prefix."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    for vendor in ("nvidia", "amd"):
        if key.startswith(vendor) and len(key) > len(vendor):
            return key[len(vendor) :]
    return key


def upstream_gpu_name(gpu: GPUSpec, upstream_gpus: Sequence[str]) -> str | None:
    """The key of upstream's ``GPU_SPECS`` that names ``gpu``, matched on its name first, then its aliases."""
    by_key: dict[str, str] = {}
    for name in upstream_gpus:
        by_key.setdefault(_gpu_key(str(name)), str(name))
    for candidate in (gpu.name, *gpu.aliases):
        hit = by_key.get(_gpu_key(candidate))
        if hit is not None:
            return hit
    return None


def _upstream_precision(precision: str) -> tuple[str, str | None]:
    """(precision upstream is asked for, note saying what was mapped) for one of our precisions."""
    if precision in UPSTREAM_PRECISIONS:
        return precision, None
    mapped = _PRECISION_FALLBACK[precision]
    why = (
        "overstating weight memory and bandwidth"
        if precision in ("int4", "mxfp4", "fp4")
        else "at the same bytes per weight"
        if precision == "int8"
        else "understating weight memory and bandwidth"
    )
    note = (
        f"precision {precision} is not supported by llm-optimizer (fp16, bf16, fp8 only); "
        f"estimated at {mapped}, the nearest it supports, {why}"
    )
    return mapped, note


def _check_request(request: object) -> EstimateRequest:
    if not isinstance(request, EstimateRequest):
        raise InvalidArgumentError(f"request must be an EstimateRequest, got {type(request).__name__}")
    for name in ("num_gpus", "concurrency", "input_length", "output_length", "pp"):
        require_positive_int(name, getattr(request, name))
    if request.tp is not None:
        require_positive_int("tp", request.tp)
    utilization: object = request.gpu_memory_utilization
    if utilization is not None and (
        isinstance(utilization, bool) or not isinstance(utilization, (int, float)) or not 0 < utilization <= 1
    ):
        raise InvalidArgumentError(
            f"gpu_memory_utilization must be a fraction in (0, 1], got {request.gpu_memory_utilization!r}"
        )
    return request


@attrs.frozen(kw_only=True)
class _Context:
    """What a record says about its configuration, whatever upstream returned."""

    model_id: str
    gpu: str
    num_gpus: int | None
    precision: str
    input_length: int
    output_length: int
    concurrency: int | None = None
    engine: str = "vllm"
    memory_total_gib: float | None = None
    notes: tuple[str, ...] = ()


def _request_context(request: EstimateRequest, num_gpus: int | None = None) -> tuple[_Context, str]:
    """The record context of ``request`` and the precision to ask upstream for, with every mapping noted."""
    gpus = request.num_gpus if num_gpus is None else num_gpus
    ours = normalize_precision(request.precision) if request.precision else request.arch.native_precision
    precision, precision_note = _upstream_precision(ours)
    notes: list[str] = [precision_note] if precision_note else []
    if request.kv_precision is not None:
        kv = normalize_precision(request.kv_precision)
        if kv != precision:
            notes.append(
                f"kv_precision={kv} was ignored: llm-optimizer keeps the KV cache at the weight precision "
                f"({precision})"
            )
    elif precision == "fp8":
        notes.append(
            "llm-optimizer keeps the KV cache at the weight precision (fp8, 1 byte a value) where an engine "
            "keeps it at 16 bits unless told otherwise (kv_precision): its KV cache is half the bytes, and "
            "about twice the requests fit"
        )
    knobs = [
        f"{name}={value!r}"
        for name, value, default in (
            ("engine", request.engine, "vllm"),
            ("max_num_batched_tokens", request.max_num_batched_tokens, None),
            ("max_num_seqs", request.max_num_seqs, None),
            ("max_model_len", request.max_model_len, None),
        )
        if value != default
    ]
    if knobs:
        notes.append(f"llm-optimizer models no serving engine: {', '.join(knobs)} ignored")
    if request.traffic is not None:
        notes.append(
            f"llm-optimizer models a closed loop of fixed lengths only: the {request.traffic.arrival} traffic was "
            f"estimated as {request.concurrency} requests in flight of {request.input_length}/{request.output_length} "
            "tokens"
        )
    if request.speculative is not None:
        notes.append(f"llm-optimizer models no speculative decoding: {request.speculative.method} ignored")
    if request.prefix is not None or (request.traffic is not None and request.traffic.prefix is not None):
        notes.append("llm-optimizer models no prefix caching: the shared prefixes were prefilled in full")
    arch = request.arch
    notes.extend(_method_notes(arch))
    context = _Context(
        model_id=arch.model_id,
        gpu=request.gpu.name,
        num_gpus=gpus,
        precision=precision,
        input_length=request.input_length,
        output_length=request.output_length,
        concurrency=request.concurrency,
        engine=request.engine,
        memory_total_gib=request.gpu.memory_gib,
        notes=tuple(notes),
    )
    return context, precision


def upstream_weights_per_step(arch: ModelArchitecture) -> int:
    """Weights upstream's latency reads per decode step and multiplies per token (its
    ``calculate_memory_access_bytes``): per layer, Q/K/V and output projections with head_dim taken as
    hidden / heads, plus a two-matrix MLP of 4 x hidden; no experts, no embeddings, no output head."""
    hidden, heads = arch.hidden_size, arch.num_attention_heads
    kv_width = arch.num_kv_heads * (hidden // heads)
    per_layer = hidden * (hidden + 2 * kv_width) + hidden * hidden + 2 * hidden * 4 * hidden
    return per_layer * arch.num_layers


def upstream_kv_values_per_token(arch: ModelArchitecture) -> int:
    """KV values per token in upstream's memory check and decode traffic: K and V of every layer with
    head_dim = hidden / heads (its ``calculate_kv_cache_memory``)."""
    return 2 * arch.num_layers * arch.num_kv_heads * (arch.hidden_size // arch.num_attention_heads)


def upstream_limitations(arch: ModelArchitecture) -> tuple[str, ...]:
    """What of ``arch`` upstream's method cannot represent (empty for a dense full-attention decoder);
    ``auto`` picks the native engine for a model with any."""
    reasons: list[str] = []
    if arch.is_moe:
        reasons.append(
            f"mixture of experts ({arch.num_experts} experts, {arch.num_experts_per_token} per token)"
        )
    if arch.is_mla:
        reasons.append("multi-head latent attention (MLA)")
    if arch.num_mamba_layers:
        reasons.append(f"{arch.num_mamba_layers} Mamba layers")
    if arch.num_linear_layers:
        reasons.append(f"{arch.num_linear_layers} linear-attention layers")
    sliding = arch.attention_kinds.count("sliding")
    if sliding:
        reasons.append(f"{sliding} sliding-window layers")
    return tuple(reasons)


def model_weights_per_step(arch: ModelArchitecture, sequences: int) -> float:
    """Weights a decode step of ``sequences`` sequences reads in this model: the active weights plus, in
    each MoE layer, the other distinct experts the batch routes to (uniform routing)."""
    if not arch.is_moe:
        return float(arch.active_params)
    k, experts = arch.num_experts_per_token, arch.num_experts
    distinct = expected_distinct_experts(max(sequences, 1), experts, k)
    return arch.active_params + arch.num_moe_layers * (distinct - k) * arch.expert_params


def _weights_note(arch: ModelArchitecture, sequences: int) -> str:
    """Upstream's rebuilt decode weights against what a step of ``sequences`` sequences reads here."""
    rebuilt = upstream_weights_per_step(arch)
    ours = model_weights_per_step(arch, sequences)
    direction = "optimistic" if rebuilt < ours else "pessimistic"
    if arch.is_moe:
        distinct = expected_distinct_experts(max(sequences, 1), arch.num_experts, arch.num_experts_per_token)
        routed = f", {distinct:.1f} of {arch.num_experts} experts per MoE layer"
        counted = (
            f"; all {arch.total_params / 1e9:.1f}B parameters (every expert) enter only its memory check "
            "and its concurrency limits"
        )
    else:
        routed = counted = ""
    return (
        f"llm-optimizer's latency ignores the parameter count: it rebuilds the weights from hidden_size as "
        f"attention plus a two-matrix MLP of 4 x hidden, with no experts or embeddings, and so reads "
        f"{rebuilt / 1e9:.2f}B weights per decode step where this model reads {ours / 1e9:.2f}B at "
        f"{sequences} sequence{'s' if sequences != 1 else ''} per step{routed} ({rebuilt / ours:.2f}x): "
        f"its decode latency is {direction}{counted}"
    )


def _method_notes(arch: ModelArchitecture) -> list[str]:
    """What upstream's method does with this architecture's KV cache, in numbers (checked against
    upstream's own functions by the test suite)."""
    notes: list[str] = []
    ours = arch.kv_cache_bytes_per_token("bf16") / 2
    theirs = upstream_kv_values_per_token(arch)
    if abs(theirs - ours) > 0.01 * ours:
        why = []
        if not arch.is_mla and arch.head_dim != arch.hidden_size // arch.num_attention_heads:
            why.append(
                f"head_dim taken as hidden / heads = {arch.hidden_size // arch.num_attention_heads}, "
                f"not {arch.head_dim}"
            )
        if arch.is_mla:
            why.append("MLA's compressed latent modelled as full K and V")
        if arch.num_attention_layers != arch.num_layers:
            why.append(
                f"all {arch.num_layers} layers hold KV, not the {arch.num_attention_layers} attention layers"
            )
        if arch.attention_kinds.count("sliding"):
            why.append("sliding windows ignored")
        notes.append(
            f"llm-optimizer's KV cache is {theirs:,} values per token where this model's is {ours:,.0f} "
            f"({theirs / ours:.2f}x" + (f": {'; '.join(why)}" if why else "") + ")"
        )
    return notes


# --------------------------------------------------------------------------------------------------
# Reading upstream's answers
# --------------------------------------------------------------------------------------------------


def _field(obj: object, name: str) -> Any:
    """``obj[name]`` for a mapping, ``obj.name`` for anything else; ``_MISSING`` when absent."""
    if isinstance(obj, Mapping):
        return obj.get(name, _MISSING)
    return getattr(obj, name, _MISSING)


def _number(value: object) -> float | None:
    """A finite float, or None for anything else (absent, inf, nan, bool, text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _bound(value: object) -> str | None:
    if isinstance(value, bool):
        return "memory" if value else "compute"
    return None


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _per_gpu(value: float | None, num_gpus: int | None) -> float | None:
    return None if value is None or not num_gpus else value / num_gpus


def _is_out_of_memory(result: object) -> bool:
    """Upstream's "does not fit" answer: infinite latency (its own test), or more memory needed than usable"""
    ttft = _field(result, "ttft_ms")
    if isinstance(ttft, (int, float)) and not isinstance(ttft, bool) and math.isinf(ttft):
        return True
    needed = _number(_field(result, "memory_needed_gb"))
    usable = _number(_field(result, "usable_vram_gb"))
    return needed is not None and usable is not None and usable > 0 and needed > usable


def _check_result(result: object) -> None:
    if result is None or isinstance(result, (str, bytes, int, float)):
        raise BackendError(
            f"llm-optimizer returned {type(result).__name__} {result!r:.80}, not a PerformanceResult or dict"
        )
    missing = [name for name in _REQUIRED_RESULT_FIELDS if _field(result, name) is _MISSING]
    if missing:
        present = (
            sorted(result)
            if isinstance(result, Mapping)
            else sorted(vars(result))
            if hasattr(result, "__dict__")
            else []
        )
        raise BackendError(
            f"llm-optimizer's result lacks {', '.join(missing)} "
            f"(it has: {', '.join(map(str, present)) or 'nothing'}); "
            "this adapter reads PerformanceResult's fields"
        )


def _memory_note(result: object, context: _Context) -> str | None:
    needed = _number(_field(result, "memory_needed_gb"))
    if needed is None or needed <= 0:
        return None
    n = context.num_gpus or 1
    usable = _number(_field(result, "usable_vram_gb"))
    usable_text = f" of {usable / n:.2f} GiB usable" if usable is not None and usable > 0 else ""
    pooled = f" ({needed:.2f} GiB over {n} pooled GPUs)" if n > 1 else ""
    return (
        f"llm-optimizer's memory check: weights + KV cache need {needed / n:.2f} GiB per GPU{usable_text}"
        f"{pooled}; it does not split weights from KV cache, so the memory breakdown fields are left empty"
    )


def _out_of_memory_error(result: object, context: _Context) -> str:
    needed = _number(_field(result, "memory_needed_gb"))
    usable = _number(_field(result, "usable_vram_gb"))
    n = context.num_gpus
    layout = f"{n}x {context.gpu}" if n else context.gpu
    concurrency = _count(_field(result, "concurrency")) or context.concurrency
    if needed is not None and usable is not None and usable > 0:
        amounts = f"needs {needed:.1f} GiB of weights + KV cache, {usable:.1f} GiB usable"
    else:
        amounts = "weights + KV cache exceed usable memory"
    workload = (
        f" for {concurrency} requests of {context.input_length + context.output_length} tokens"
        if concurrency
        else ""
    )
    where = f"on {layout} at {context.precision}{workload}"
    return f"does not fit in memory according to llm-optimizer ({amounts} {where})"


def _normalize(result: object, context: _Context, extra_notes: Sequence[str] = ()) -> PerformanceEstimate:
    """One upstream result (object or dict) as our record; raises BackendError when it is not one."""
    try:
        _check_result(result)
        return _build_record(result, context, extra_notes)
    except (TypeError, ValueError, AttributeError) as exc:
        raise BackendError(f"cannot read llm-optimizer's result: {type(exc).__name__}: {exc}") from exc


def _build_record(result: object, context: _Context, extra_notes: Sequence[str]) -> PerformanceEstimate:
    concurrency = _count(_field(result, "concurrency")) or context.concurrency or 0
    num_gpus = context.num_gpus or 0
    base: dict[str, Any] = {
        "model_id": context.model_id,
        "gpu": context.gpu,
        "num_gpus": num_gpus,
        # upstream pools every GPU into one device: the nearest of our layouts is one TP group over all
        "tp": num_gpus,
        "pp": 1,
        "replicas": 1,
        "precision": context.precision,
        "kv_precision": context.precision,
        "compute_precision": context.precision,
        "input_length": context.input_length,
        "output_length": context.output_length,
        "concurrency": concurrency,
        "engine": context.engine,
        "backend": BACKEND_NAME,
        "memory_total_gib": context.memory_total_gib,
        "hardware_ops_per_byte": _number(_field(result, "hardware_ops_per_byte")) or None,
    }
    notes = list(context.notes) + list(extra_notes)
    memory_note = _memory_note(result, context)
    if memory_note:
        notes.append(memory_note)
    if _is_out_of_memory(result):
        return PerformanceEstimate(
            **base, fits=False, error=_out_of_memory_error(result, context), backend_notes=tuple(notes)
        )
    ttft_ms = _number(_field(result, "ttft_ms"))
    itl_ms = _number(_field(result, "itl_ms"))
    e2e_s = _number(_field(result, "e2e_latency_s"))
    output_tps = _number(_field(result, "output_throughput_tps"))
    input_tps = _number(_field(result, "input_throughput_tps"))
    notes.append(_PERCENTILE_NOTE)
    p50, p95, p99 = (LATENCY_PERCENTILE_MULTIPLIERS[k] for k in ("p50", "p95", "p99"))
    return PerformanceEstimate(
        **base,
        ttft_ms=ttft_ms,
        itl_ms=itl_ms,
        e2e_latency_s=e2e_s,
        ttft_p50_ms=_scaled(ttft_ms, p50),
        ttft_p95_ms=_scaled(ttft_ms, p95),
        ttft_p99_ms=_scaled(ttft_ms, p99),
        itl_p50_ms=_scaled(itl_ms, p50),
        itl_p95_ms=_scaled(itl_ms, p95),
        itl_p99_ms=_scaled(itl_ms, p99),
        e2e_latency_p50_s=_scaled(e2e_s, p50),
        e2e_latency_p95_s=_scaled(e2e_s, p95),
        e2e_latency_p99_s=_scaled(e2e_s, p99),
        output_throughput_tok_s=output_tps,
        input_throughput_tok_s=input_tps,
        requests_per_s=_number(_field(result, "requests_per_sec")),
        output_throughput_tok_s_per_gpu=_per_gpu(output_tps, num_gpus),
        input_throughput_tok_s_per_gpu=_per_gpu(input_tps, num_gpus),
        prefill_arithmetic_intensity=_number(_field(result, "prefill_arithmetic_intensity")),
        decode_arithmetic_intensity=_number(_field(result, "decode_arithmetic_intensity")),
        prefill_bound=_bound(_field(result, "prefill_is_memory_bound")),
        decode_bound=_bound(_field(result, "decode_is_memory_bound")),
        fits=True,
        backend_notes=tuple(notes),
    )


def normalize_result(
    result: object, *, request: EstimateRequest, num_gpus: int | None = None
) -> PerformanceEstimate:
    """Upstream's ``PerformanceResult`` (object, or a dict with the same keys) for ``request``, as our record.

    ``num_gpus`` is the count upstream pooled (default: ``request.num_gpus``); per-GPU throughputs divide
    by it. Upstream's "does not fit" answer (infinite latencies, zero throughput) becomes ``fits=False``
    with every latency and throughput ``None``.

    Raises:
        BackendError: ``result`` is neither an object nor a dict carrying PerformanceResult's fields.
        InvalidArgumentError: ``request`` is not a valid :class:`EstimateRequest`.
    """
    _check_request(request)
    if num_gpus is not None:
        require_positive_int("num_gpus", num_gpus)
    context, _ = _request_context(request, num_gpus)
    return _normalize(result, context)


def _explicit_context(
    *,
    request: EstimateRequest | None,
    num_gpus: int | None,
    model_id: str | None,
    gpu: str | None,
    precision: str | None,
    input_length: int | None,
    output_length: int | None,
) -> _Context:
    if request is not None:
        context, _ = _request_context(_check_request(request), num_gpus)
        return attrs.evolve(context, concurrency=None)
    given = {
        "model_id": model_id,
        "gpu": gpu,
        "num_gpus": num_gpus,
        "precision": precision,
        "input_length": input_length,
        "output_length": output_length,
    }
    unknown = [name for name, value in given.items() if value is None]
    notes = (
        (f"not given to the normalizer, so recorded as unknown ('unknown' or 0): {', '.join(unknown)}",)
        if unknown
        else ()
    )
    return _Context(
        model_id=model_id or "unknown",
        gpu=gpu or "unknown",
        num_gpus=num_gpus,
        precision=precision or "unknown",
        input_length=input_length or 0,
        output_length=output_length or 0,
        notes=notes,
    )


def _normalize_best(best_configs: object, context: _Context) -> dict[str, PerformanceEstimate | None]:
    if not isinstance(best_configs, Mapping):
        raise BackendError(
            f"llm-optimizer's best configurations must be a dict with keys {', '.join(_BEST_CONFIG_KEYS)}, "
            f"got {type(best_configs).__name__}"
        )
    return {
        key: None if best_configs.get(key) is None else _normalize(best_configs[key], context)
        for key in _BEST_CONFIG_KEYS
    }


def normalize_best_configs(
    best_configs: Mapping[str, object],
    *,
    request: EstimateRequest | None = None,
    num_gpus: int | None = None,
    model_id: str | None = None,
    gpu: str | None = None,
    precision: str | None = None,
    input_length: int | None = None,
    output_length: int | None = None,
) -> dict[str, PerformanceEstimate | None]:
    """``find_best_performance``'s dict (``best_latency``, ``best_input_throughput``,
    ``best_output_throughput``: each a result object, a dict, or None) as our records.

    Upstream's results carry no model, GPU or lengths: pass the ``request`` they answer, or the
    fields by keyword. What is not given is recorded as ``"unknown"`` (text) or 0 (counts), with a note.
    """
    context = _explicit_context(
        request=request,
        num_gpus=num_gpus,
        model_id=model_id,
        gpu=gpu,
        precision=precision,
        input_length=input_length,
        output_length=output_length,
    )
    return _normalize_best(best_configs, context)


@attrs.frozen(kw_only=True)
class LLMOptimizerEstimation:
    """``run_performance_estimation``'s answer in our terms: best configurations, limits, the knee."""

    model_id: str
    gpu: str
    num_gpus: int | None
    precision: str
    input_length: int
    output_length: int
    best_latency: PerformanceEstimate | None
    best_input_throughput: PerformanceEstimate | None
    best_output_throughput: PerformanceEstimate | None
    #: upstream's keys: kv_cache_limit, prefill_compute_limit, decode_capacity_limit, overall_limit
    concurrency_limits: dict[str, int] = attrs.field(factory=dict)
    optimal_concurrency: int | None = None
    #: the best configuration meeting the SLO constraints, when upstream returned one
    constrained: PerformanceEstimate | None = None
    tuning_commands: object = None
    backend_notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def record(estimate: PerformanceEstimate | None) -> dict[str, Any] | None:
            return None if estimate is None else estimate.to_dict()

        return {
            "model_id": self.model_id,
            "gpu": self.gpu,
            "num_gpus": self.num_gpus,
            "precision": self.precision,
            "input_length": self.input_length,
            "output_length": self.output_length,
            "best_latency": record(self.best_latency),
            "best_input_throughput": record(self.best_input_throughput),
            "best_output_throughput": record(self.best_output_throughput),
            "concurrency_limits": dict(self.concurrency_limits),
            "optimal_concurrency": self.optimal_concurrency,
            "constrained": record(self.constrained),
            "tuning_commands": self.tuning_commands,
            "backend_notes": list(self.backend_notes),
        }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _with_limits(
    estimate: PerformanceEstimate | None, limits: Mapping[str, int], optimal: int | None
) -> PerformanceEstimate | None:
    if estimate is None:
        return None
    return attrs.evolve(
        estimate,
        max_concurrency_kv=limits.get("kv_cache_limit"),
        prefill_compute_limit=limits.get("prefill_compute_limit"),
        decode_capacity_limit=limits.get("decode_capacity_limit"),
        theoretical_concurrency_limit=limits.get("overall_limit"),
        optimal_concurrency=optimal,
    )


def normalize_estimation_result(pair: object) -> LLMOptimizerEstimation:
    """``run_performance_estimation``'s ``(PerformanceEstimationParams, PerformanceEstimationResult)``,
    each an object or a dict, as an :class:`LLMOptimizerEstimation`.

    The model, GPU, GPU count and lengths come from the params (upstream's names: ``model``, ``gpu``,
    ``num_gpus``, ``input_len``, ``output_len``); the precision from the params, else the one upstream
    inferred for the model. Concurrency limits keep only whole numbers.

    Raises:
        BackendError: ``pair`` is not such a pair, or a result in it is not readable.
    """
    if not isinstance(pair, Sequence) or isinstance(pair, (str, bytes)) or len(pair) != 2:
        raise BackendError(
            "run_performance_estimation's answer must be a (PerformanceEstimationParams, "
            f"PerformanceEstimationResult) pair, got {type(pair).__name__}"
        )
    params, result = pair
    if params is None or result is None:
        raise BackendError("run_performance_estimation's answer holds None instead of params or result")
    model_config = _field(result, "model_config")
    precision = _text(_field(params, "precision")) or _text(
        _field(model_config, "inferred_precision") if model_config not in (None, _MISSING) else None
    )
    num_gpus = _count(_field(params, "num_gpus"))
    context = _Context(
        model_id=_text(_field(params, "model")) or "unknown",
        gpu=_text(_field(params, "gpu")) or "unknown",
        num_gpus=num_gpus,
        precision=precision or "unknown",
        input_length=_count(_field(params, "input_len")) or 0,
        output_length=_count(_field(params, "output_len")) or 0,
    )
    best = _field(result, "best_configs")
    best_records = _normalize_best({} if best in (None, _MISSING) else best, context)
    raw_limits = _field(result, "concurrency_limits")
    limits: dict[str, int] = {}
    if isinstance(raw_limits, Mapping):
        for key, value in raw_limits.items():
            number = _count(value)
            if number is not None:
                limits[str(key)] = number
    optimal = _count(_field(result, "optimal_concurrency"))
    constrained_raw = _field(result, "constrained_result")
    constrained = None
    if constrained_raw not in (None, _MISSING) and _field(constrained_raw, "ttft_ms") is not _MISSING:
        constrained = _normalize(constrained_raw, context)
    tuning = _field(result, "tuning_commands")
    return LLMOptimizerEstimation(
        model_id=context.model_id,
        gpu=context.gpu,
        num_gpus=num_gpus,
        precision=context.precision,
        input_length=context.input_length,
        output_length=context.output_length,
        best_latency=_with_limits(best_records["best_latency"], limits, optimal),
        best_input_throughput=_with_limits(best_records["best_input_throughput"], limits, optimal),
        best_output_throughput=_with_limits(best_records["best_output_throughput"], limits, optimal),
        concurrency_limits=limits,
        optimal_concurrency=optimal,
        constrained=_with_limits(constrained, limits, optimal),
        tuning_commands=None if tuning is _MISSING else tuning,
        backend_notes=(_PERCENTILE_NOTE,),
    )


# --------------------------------------------------------------------------------------------------
# Layouts: what upstream really takes is a pool of GPUs; our layouts are TP groups times replicas
# --------------------------------------------------------------------------------------------------


@attrs.frozen
class _Layout:
    tp: int
    pp: int
    num_gpus: int

    @property
    def replicas(self) -> int:
        return max(self.num_gpus // (self.tp * self.pp), 1)


def replica_shares(concurrency: int, replicas: int) -> list[tuple[int, int]]:
    """``concurrency`` requests spread as evenly as whole requests allow over ``replicas``:
    ``[(requests per replica, replicas carrying that many), ...]``, heaviest first, idle replicas left out."""
    base, extra = divmod(concurrency, replicas)
    shares = [(base + 1, extra), (base, replicas - extra)]
    return [(load, count) for load, count in shares if load > 0 and count > 0]


def _layout_notes(layout: _Layout, concurrency: int, shares: Sequence[tuple[int, int]]) -> list[str]:
    notes = []
    if layout.tp > 1:
        notes.append(
            f"llm-optimizer pools each replica's {layout.tp} GPUs as one device (memory, bandwidth and FLOPs "
            "summed, no tensor-parallel communication)"
        )
    if layout.replicas > 1:
        spread = ", ".join(f"{count} x {load}" for load, count in shares)
        notes.append(
            f"{layout.replicas} data-parallel replicas: llm-optimizer estimated each at its share of the "
            f"{concurrency} requests ({spread}); throughputs are summed, latencies averaged over requests"
        )
    return notes


def _gpu_table_notes(gpu_name: str, table: Mapping[str, Any]) -> list[str]:
    """Upstream reads its table's "GB" and "GB/s" as 1024^3 bytes (``GPUResourceManager``)."""
    memory, bandwidth = _number(table.get("VRAM_GB")), _number(table.get("Memory_Bandwidth_GBs"))
    if memory is None or bandwidth is None:
        return []
    gib = 1024**3 / 1e9
    return [
        f"llm-optimizer reads its GPU table's GB as GiB (x 1024^3): {gpu_name}'s {memory:g} GB and "
        f"{bandwidth / 1000:g} TB/s become {memory * gib:.1f} GB and {bandwidth * gib / 1000:.2f} TB/s "
        f"({gib - 1:.1%} more memory and bandwidth)"
    ]


def _little_note(record: PerformanceEstimate) -> str | None:
    """Upstream's output throughput is concurrency / ITL: time in prefill is left out."""
    e2e, tput = record.e2e_latency_s, record.output_throughput_tok_s
    if not e2e or not tput or record.ttft_ms is None:
        return None
    little = record.concurrency * record.output_length / e2e
    return (
        f"llm-optimizer's output throughput is concurrency / ITL ({tput:,.0f} tok/s), which leaves out the "
        f"time requests spend in prefill; concurrency x output length / E2E (Little's law) is {little:,.0f} tok/s"
    )


def _combine_replicas(
    parts: Sequence[tuple[PerformanceEstimate, int]], layout: _Layout, concurrency: int
) -> PerformanceEstimate:
    """One record for the whole layout from upstream's records of each replica share."""
    layout_fields: dict[str, Any] = {
        "num_gpus": layout.num_gpus,
        "tp": layout.tp,
        "pp": layout.pp,
        "replicas": layout.replicas,
        "concurrency": concurrency,
    }
    for record, _ in parts:
        if not record.fits:
            error = record.error or "does not fit according to llm-optimizer"
            if layout.replicas > 1:
                error += f" (each of {layout.replicas} replicas of tp={layout.tp})"
            return attrs.evolve(record, error=error, **layout_fields)
    first = parts[0][0]
    if len(parts) == 1 and parts[0][1] == 1:
        combined = attrs.evolve(first, **layout_fields)
    else:

        def summed(name: str) -> float | None:
            values = [(getattr(r, name), n) for r, n in parts]
            return None if any(v is None for v, _ in values) else float(sum(v * n for v, n in values))

        def per_request(name: str) -> float | None:
            values = [(getattr(r, name), r.concurrency * n) for r, n in parts]
            if any(v is None for v, _ in values):
                return None
            return float(sum(v * w for v, w in values)) / sum(w for _, w in values)

        averaged: dict[str, Any] = {
            name: per_request(name)
            for name in (
                "ttft_ms",
                "itl_ms",
                "e2e_latency_s",
                "ttft_p50_ms",
                "ttft_p95_ms",
                "ttft_p99_ms",
                "itl_p50_ms",
                "itl_p95_ms",
                "itl_p99_ms",
                "e2e_latency_p50_s",
                "e2e_latency_p95_s",
                "e2e_latency_p99_s",
            )
        }
        totals: dict[str, Any] = {
            name: summed(name)
            for name in ("output_throughput_tok_s", "input_throughput_tok_s", "requests_per_s")
        }
        combined = attrs.evolve(first, **layout_fields, **averaged, **totals)
    output, input_ = combined.output_throughput_tok_s, combined.input_throughput_tok_s
    combined = attrs.evolve(
        combined,
        output_throughput_tok_s_per_gpu=_per_gpu(output, layout.num_gpus),
        input_throughput_tok_s_per_gpu=_per_gpu(input_, layout.num_gpus),
    )
    note = _little_note(combined)
    return attrs.evolve(combined, backend_notes=(*combined.backend_notes, note)) if note else combined


# --------------------------------------------------------------------------------------------------
# The backend
# --------------------------------------------------------------------------------------------------


class LLMOptimizerBackend:
    """BentoML's llm-optimizer as a :class:`~config_explorer.backends.base.Backend`.

    Construction imports upstream and raises :class:`BackendUnavailableError` when it is missing,
    the wrong package, or broken. :meth:`estimate` raises only for invalid arguments; whatever
    upstream cannot do or fails at comes back as a record whose ``error`` says why.
    """

    name = BACKEND_NAME

    def __init__(self) -> None:
        probe = _probe()
        if probe.upstream is None:
            raise BackendUnavailableError(probe.detail)
        self._upstream = probe.upstream

    # ---------------------------------------------------------------- upstream's tables
    def upstream_gpus(self) -> list[str]:
        """The GPU names upstream knows (the keys of ``llm_optimizer.predefined.gpus.GPU_SPECS``)."""
        specs = getattr(self._upstream.gpus, "GPU_SPECS", {})
        return [str(k) for k in specs] if isinstance(specs, Mapping) else []

    def _model_config(self, request: EstimateRequest, precision: str) -> tuple[object, list[str]]:
        """Upstream's ``ModelConfig``: from the hub when allowed and it works, else from our architecture."""
        arch = request.arch
        native, _ = _upstream_precision(arch.native_precision)
        notes: list[str] = []
        if request.allow_hub:
            loader = getattr(self._upstream.common, "get_model_config_and_precision_from_hf", None)
            try:
                if loader is None:
                    raise AttributeError("llm_optimizer.common has no get_model_config_and_precision_from_hf")
                loaded = loader(arch.model_id)
                config = loaded[0] if isinstance(loaded, tuple) else loaded
                upstream_params = _field(config, "num_params")
                notes.append(
                    f"model config read from the Hugging Face hub by llm-optimizer (its num_params="
                    f"{upstream_params}, config-explorer counts {arch.total_params})"
                )
                return config, notes
            except Exception as exc:
                notes.append(
                    f"llm-optimizer could not read {arch.model_id!r} from the hub ({type(exc).__name__}: "
                    f"{_one_line(exc)}); used config-explorer's architecture instead"
                )
        config = self._upstream.common.ModelConfig(
            num_params=int(arch.total_params),
            num_layers=int(arch.num_layers),
            hidden_dim=int(arch.hidden_size),
            num_heads=int(arch.num_attention_heads),
            num_kv_heads=int(arch.num_kv_heads),
            vocab_size=int(arch.vocab_size),
            inferred_precision=native,
        )
        return config, notes

    # ---------------------------------------------------------------- the protocol
    def estimate(self, request: EstimateRequest) -> PerformanceEstimate:
        """One layout through upstream's ``estimate_llm_performance``, as our record.

        Upstream pools the GPUs it is given into one device, so each tensor-parallel group of ``tp``
        GPUs is one upstream call, and the ``num_gpus / tp`` data-parallel replicas share the requests
        (one call per distinct share). ``tp=None`` picks the smallest valid degree whose replicas pass
        upstream's memory check. Pipeline parallelism has no upstream counterpart and is refused on the
        record.
        """
        _check_request(request)
        arch = request.arch
        if request.tp is not None:
            invalid = check_layout(
                arch, request.num_gpus, request.tp, request.pp, request.ep, request.dp_attention
            )
            if invalid:
                raise InvalidArgumentError(invalid)
        context, precision = _request_context(request)
        layout = _Layout(tp=request.tp or request.num_gpus, pp=request.pp, num_gpus=request.num_gpus)
        if request.pp != 1:
            return self._failure(
                context,
                f"llm-optimizer cannot represent pipeline parallelism (pp={request.pp}): it pools the GPUs "
                "it is given as one device; use tp without pp, or backend 'native'",
                layout=layout,
            )
        if request.ep != 1 or request.dp_attention != 1:
            return self._failure(
                context,
                f"llm-optimizer cannot represent expert parallelism or data-parallel attention "
                f"(ep={request.ep}, dp_attention={request.dp_attention}): it costs every layer as tensor "
                "parallel; use backend 'native'",
                layout=layout,
            )
        if request.api_server_count is not None:
            return self._failure(
                context,
                f"llm-optimizer does not model the serving front end (api_server_count={request.api_server_count}); "
                "use backend 'native'",
                layout=layout,
            )
        if request.engine_options is not None and request.engine_options.stated():
            return self._failure(
                context,
                f"llm-optimizer does not model the engine's batching options ({request.engine_options.stated()}); "
                "use backend 'native'",
                layout=layout,
            )
        upstream_gpus = self.upstream_gpus()
        gpu_name = upstream_gpu_name(request.gpu, upstream_gpus)
        if gpu_name is None:
            error = UnsupportedByBackendError(
                f"GPU {request.gpu.name!r} is not supported by llm-optimizer: its GPU table has only "
                f"{', '.join(sorted(upstream_gpus)) or 'no GPUs'} (use backend 'native' for this GPU)"
            )
            return self._failure(context, str(error), layout=layout)
        notes: list[str] = []
        if _gpu_key(gpu_name) != _gpu_key(request.gpu.name):
            notes.append(f"GPU {request.gpu.name!r} is llm-optimizer's {gpu_name!r}")
        table = self._gpu_table(gpu_name)
        notes.extend(_gpu_table_notes(gpu_name, table))
        if precision == "fp8" and table.get("FP8_TFLOPS") is None:
            return self._failure(
                context,
                f"llm-optimizer refuses fp8 on {gpu_name}: its GPU table has no FP8 throughput for it "
                "(vLLM itself runs FP8 checkpoints there as weight-only FP8 with Marlin kernels); "
                "use bf16, or backend 'native'",
                notes,
                layout=layout,
            )
        try:
            model_config, config_notes = self._model_config(request, precision)
        except Exception as exc:  # upstream's ModelConfig refusing our figures
            return self._failure(
                context, f"llm-optimizer failed: {type(exc).__name__}: {_one_line(exc)}", notes, layout=layout
            )
        notes.extend(config_notes)
        degrees = (
            [request.tp]
            if request.tp is not None
            else valid_tp_degrees(arch, request.num_gpus) or [request.num_gpus]
        )
        record = None
        for tp in degrees:
            layout = _Layout(tp=tp, pp=1, num_gpus=request.num_gpus)
            record = self._estimate_layout(request, context, precision, gpu_name, model_config, notes, layout)
            if record.fits or record.error is None or "does not fit" not in record.error:
                break
        assert record is not None
        if request.tp is None and len(degrees) > 1 and record.fits:
            note = (
                f"tp not given: tp={record.tp}, the smallest valid degree whose replicas pass "
                "llm-optimizer's memory check"
            )
            record = attrs.evolve(record, backend_notes=(*record.backend_notes, note))
        return record

    def _gpu_table(self, gpu_name: str) -> Mapping[str, Any]:
        specs = getattr(self._upstream.gpus, "GPU_SPECS", {})
        entry = specs.get(gpu_name) if isinstance(specs, Mapping) else None
        return entry if isinstance(entry, Mapping) else {}

    def _estimate_layout(
        self,
        request: EstimateRequest,
        context: _Context,
        precision: str,
        gpu_name: str,
        model_config: object,
        notes: Sequence[str],
        layout: _Layout,
    ) -> PerformanceEstimate:
        """Each replica's share of the requests through upstream (one call per distinct share), combined."""
        group = attrs.evolve(context, num_gpus=layout.tp)
        arguments: dict[str, Any] = {
            "num_gpus": layout.tp,
            "gpu_name": gpu_name,
            "precision": precision,
            "input_length": request.input_length,
            "output_length": request.output_length,
            "vram_util_factor": 0.9
            if request.gpu_memory_utilization is None
            else float(request.gpu_memory_utilization),
        }
        shares = replica_shares(request.concurrency, layout.replicas)
        layout_notes = [*notes, *_layout_notes(layout, request.concurrency, shares)]
        heaviest = shares[0][0]
        layout_notes.append(_weights_note(request.arch, heaviest))
        if heaviest > 1:
            layout_notes.append(
                f"llm-optimizer's TTFT is the prefill of all {heaviest} prompts a replica holds as one batch "
                f"({heaviest * request.input_length:,} tokens), so it grows with concurrency; an engine "
                "admits requests as they arrive"
            )
        parts: list[tuple[PerformanceEstimate, int]] = []
        try:
            for load, count in shares:
                result = self._upstream.performance.estimate_llm_performance(
                    model_config=model_config, concurrency=load, **arguments
                )
                parts.append((_normalize(result, attrs.evolve(group, concurrency=load), layout_notes), count))
        except BackendError as exc:
            return self._failure(context, str(exc), layout_notes, layout=layout)
        except Exception as exc:  # upstream's ValueError (unknown GPU, precision) or any failure of its own
            return self._failure(
                context,
                f"llm-optimizer failed: {type(exc).__name__}: {_one_line(exc)}",
                layout_notes,
                layout=layout,
            )
        record = _combine_replicas(parts, layout, request.concurrency)
        if record.fits:
            record = self._add_limits(record, model_config, arguments, layout.replicas)
        return record

    def _add_limits(
        self,
        record: PerformanceEstimate,
        model_config: object,
        arguments: Mapping[str, Any],
        replicas: int = 1,
    ) -> PerformanceEstimate:
        """Upstream's concurrency limits (KV cache, prefill, decode) of one replica times the replicas,
        on a fitting record; a note if they fail."""
        calculate = getattr(self._upstream.performance, "calculate_concurrency_limits", None)
        if calculate is None:
            return record
        try:
            limits = calculate(model_config=model_config, **arguments)
            counts = (
                {key: _count(limits.get(key)) for key in _LIMIT_KEYS} if isinstance(limits, Mapping) else {}
            )
        except Exception as exc:
            note = f"llm-optimizer's concurrency limits failed ({type(exc).__name__}: {_one_line(exc)})"
            return attrs.evolve(record, backend_notes=(*record.backend_notes, note))

        def total(key: str) -> int | None:
            value = counts.get(key)
            return None if value is None else value * replicas

        return attrs.evolve(
            record,
            max_concurrency_kv=total("kv_cache_limit"),
            prefill_compute_limit=total("prefill_compute_limit"),
            decode_capacity_limit=total("decode_capacity_limit"),
            theoretical_concurrency_limit=total("overall_limit"),
        )

    @staticmethod
    def _failure(
        context: _Context, error: str, notes: Sequence[str] = (), *, layout: _Layout | None = None
    ) -> PerformanceEstimate:
        n = context.num_gpus or 0
        return PerformanceEstimate(
            model_id=context.model_id,
            gpu=context.gpu,
            num_gpus=layout.num_gpus if layout else n,
            tp=layout.tp if layout else n,
            pp=layout.pp if layout else 1,
            replicas=layout.replicas if layout else 1,
            precision=context.precision,
            kv_precision=context.precision,
            compute_precision=context.precision,
            input_length=context.input_length,
            output_length=context.output_length,
            concurrency=context.concurrency or 0,
            engine=context.engine,
            backend=BACKEND_NAME,
            memory_total_gib=context.memory_total_gib,
            fits=False,
            error=error,
            backend_notes=(*context.notes, *notes),
        )

    def describe(self) -> dict[str, object]:
        return {**describe_llm_optimizer(), "gpus": sorted(self.upstream_gpus())}

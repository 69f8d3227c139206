"""Single and batch estimates: the earlier tools' entry points, on any backend.

``estimate_performance`` never raises for a configuration that merely does not fit or that the
backend cannot estimate (the record's ``error`` says why); it raises our errors for invalid
arguments such as an unknown GPU or a negative length. ``estimate_performance_batch`` never
raises for one bad entry: that entry's record carries the error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from config_explorer import validation
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.backends import Backend, EstimateRequest, get_backend
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import SharedPrefix, Traffic
from config_explorer.engine.user_calibration import CalibrationProfile, apply_calibration
from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigExplorerError,
    InvalidArgumentError,
)
from config_explorer.recommender.speculation import checked_prefix, resolve_speculative

__all__ = ["ModelLike", "error_record", "estimate_performance", "estimate_performance_batch", "resolve_model"]

ModelLike = str | os.PathLike[str] | Mapping[str, Any] | ModelArchitecture


def resolve_model(model: ModelLike) -> ModelArchitecture:
    return load_model(model)


def error_record(
    model_id: str,
    gpu: str,
    num_gpus: int,
    tp: int | None,
    input_length: int,
    output_length: int,
    concurrency: int,
    error: str,
    backend: str = "native",
) -> PerformanceEstimate:
    """A record for a configuration that could not be estimated (numbers absent, ``error`` set)."""
    return PerformanceEstimate(
        model_id=model_id,
        gpu=gpu,
        num_gpus=num_gpus,
        tp=tp or 0,
        precision="",
        kv_precision="",
        input_length=input_length,
        output_length=output_length,
        concurrency=concurrency,
        backend=backend,
        fits=False,
        error=error,
    )


def estimate_performance(
    model_id: ModelLike,
    gpu_name: str | GPUSpec,
    num_gpus: int = 1,
    tensor_parallel_size: int | None = None,
    input_length: int = 1024,
    output_length: int = 256,
    batch_size: int = 1,
    backend: str | Backend = "auto",
    *,
    concurrency: int | None = None,
    precision: str | None = None,
    kv_precision: str | None = None,
    pipeline_parallel_size: int = 1,
    expert_parallel_size: int = 1,
    dp_attention: int = 1,
    redundant_experts: int = 0,
    expert_imbalance: float | None = None,
    expert_popularity_cv: float | None = None,
    two_batch_overlap: bool = False,
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    max_model_len: int | None = None,
    serving_model: str = "simulated",
    traffic: Traffic | None = None,
    allow_hub: bool = False,
    api_server_count: int | None = None,
    engine_options: Mapping[str, int | float] | None = None,
    speculative: SpeculativeConfig | str | None = None,
    prefix: SharedPrefix | None = None,
    calibration: CalibrationProfile | Sequence[CalibrationProfile] | None = None,
) -> PerformanceEstimate:
    """Estimate ``model_id`` on ``num_gpus`` x ``gpu_name`` at ``concurrency`` requests in flight.

    ``batch_size`` is the earlier tools' name for ``concurrency`` (closed-loop requests in flight).
    ``traffic`` states anything else (Poisson arrivals, an offline batch, length distributions, the
    number of requests); ``serving_model`` is ``"simulated"`` (the engine's scheduler stepped request
    by request, the default) or ``"analytic"`` (the closed-form screen). ``max_model_len``,
    ``max_num_seqs`` and ``max_num_batched_tokens`` default as the engine does.
    ``tensor_parallel_size=None`` picks the smallest TP whose shard fits; the other GPUs become
    replicas. ``backend`` is ``"native"``, ``"llm-optimizer"``, ``"auto"`` or a backend object.
    Every argument is checked first (:mod:`config_explorer.validation`); an invalid one raises
    :class:`InvalidArgumentError` naming it and what is accepted. ``traffic.prefix`` states shared
    prompt prefixes (prefix caching); ``speculative`` a method name (its published defaults) or a
    :class:`~config_explorer.engine.speculative.SpeculativeConfig` (native backend). ``calibration``
    is one or more profiles from ``config-explorer calibrate`` (:func:`config_explorer.calibrate.load_profile`):
    the one measured on this GPU type rescales the figures
    (:func:`~config_explorer.engine.user_calibration.apply_calibration`); on another GPU type none is
    applied and ``warnings`` say so. For MoE models, ``expert_parallel_size`` splits the experts over
    ranks of each tensor-parallel group and ``dp_attention`` runs attention in that many data-parallel
    groups (native backend; :mod:`config_explorer.engine.layout`), ``redundant_experts`` extra expert
    copies spread over the expert-parallel ranks (EPLB); ``expert_imbalance`` is the busiest
    expert-parallel rank's load over the mean (default: the engine's stated figure); ``expert_popularity_cv`` how
    unevenly the traffic's tokens spread over the experts (native backend; default
    :data:`~config_explorer.engine.calibration.EXPERT_POPULARITY_CV`, 0 uniform routing);
    ``two_batch_overlap`` runs each step as two micro-batches overlapping the token exchange
    (``dp_attention > 1``). ``api_server_count`` is vLLM's ``--api-server-count``: the front-end
    processes streaming each replica's output, each delivering at most ~34,000 tokens per second
    (native backend; :data:`~config_explorer.engine.calibration.FRONTEND_TOKEN_US`); None is vLLM's
    default, one per data-parallel rank. ``engine_options`` sets the engine's options in its own names:
    those that hold new requests back to batch them, SGLang's ``{"scheduler_recv_interval": 10}`` and
    TensorRT-LLM's ``{"batch_wait_timeout_iters": 40, "batch_wait_max_tokens_ratio": 0.8}``, and vLLM's
    ``{"async_scheduling": True}`` (unset: the release's default) and ``{"enforce_eager": True}`` (native backend;
    :mod:`config_explorer.engine.options`).
    """
    settings = checked_settings(
        input_length=input_length,
        output_length=output_length,
        concurrency=concurrency,
        batch_size=batch_size,
        precision=precision,
        kv_precision=kv_precision,
        pipeline_parallel_size=pipeline_parallel_size,
        expert_parallel_size=expert_parallel_size,
        dp_attention=dp_attention,
        redundant_experts=redundant_experts,
        expert_imbalance=expert_imbalance,
        expert_popularity_cv=expert_popularity_cv,
        two_batch_overlap=two_batch_overlap,
        engine=engine,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_batched_tokens=max_num_batched_tokens,
        max_num_seqs=max_num_seqs,
        max_model_len=max_model_len,
        serving_model=serving_model,
        traffic=traffic,
        allow_hub=allow_hub,
        api_server_count=api_server_count,
        engine_options=engine_options,
    )
    gpu = validation.gpu(gpu_name, "gpu_name")
    count = validation.num_gpus(num_gpus)
    tp = (
        None
        if tensor_parallel_size is None
        else validation.parallel_degree("tensor_parallel_size", tensor_parallel_size)
    )
    validation.check_token_budget(settings, settings["engine"], [gpu])
    arch = resolve_model(validation.model(model_id))
    validation.check_fits_model(
        arch, settings["input_length"], settings["output_length"], settings["max_model_len"]
    )
    spec = resolve_speculative(speculative, arch, settings["engine"])
    shared = checked_prefix(prefix, settings["input_length"], settings["traffic"])
    chosen = _backend(backend, arch, native_only_features(spec, shared, settings))
    request = EstimateRequest(
        arch=arch, gpu=gpu, num_gpus=count, tp=tp, speculative=spec, prefix=shared, **settings
    )
    return apply_calibration(_estimate(chosen, request), checked_calibration(calibration))


def checked_calibration(value: object) -> list[CalibrationProfile] | None:
    """``calibration=`` as a list of profiles (None: none given), checked at the boundary."""
    if value is None:
        return None
    profiles = [value] if isinstance(value, CalibrationProfile) else value
    if (
        isinstance(profiles, (str, bytes))
        or not isinstance(profiles, Sequence)
        or not all(isinstance(p, CalibrationProfile) for p in profiles)
    ):
        raise InvalidArgumentError(
            f"calibration must be a CalibrationProfile or a list of them (config_explorer.calibrate.load_profile), "
            f"got {short_repr(value)}"
        )
    return list(profiles)


#: the keyword settings ``estimate_performance`` takes besides the layout (``estimate_performance_batch``'s knobs)
SETTING_NAMES = frozenset(
    {
        "concurrency",
        "precision",
        "kv_precision",
        "pipeline_parallel_size",
        "expert_parallel_size",
        "dp_attention",
        "redundant_experts",
        "expert_imbalance",
        "expert_popularity_cv",
        "two_batch_overlap",
        "engine",
        "gpu_memory_utilization",
        "max_num_batched_tokens",
        "max_num_seqs",
        "max_model_len",
        "serving_model",
        "traffic",
        "allow_hub",
        "api_server_count",
        "engine_options",
    }
)


def checked_settings(
    *,
    input_length: object,
    output_length: object,
    batch_size: object,
    concurrency: object = None,
    precision: object = None,
    kv_precision: object = None,
    pipeline_parallel_size: object = 1,
    expert_parallel_size: object = 1,
    dp_attention: object = 1,
    redundant_experts: object = 0,
    expert_imbalance: object = None,
    expert_popularity_cv: object = None,
    two_batch_overlap: object = False,
    engine: object = "vllm",
    gpu_memory_utilization: object = None,
    max_num_batched_tokens: object = None,
    max_num_seqs: object = None,
    max_model_len: object = None,
    serving_model: object = "simulated",
    traffic: object = None,
    allow_hub: object = False,
    api_server_count: object = None,
    engine_options: object = None,
) -> dict[str, Any]:
    """Everything but the model and the layout, validated once, in :class:`EstimateRequest`'s names."""
    isl, osl = validation.request_lengths(input_length, output_length)
    users = validation.concurrency(
        concurrency if concurrency is not None else batch_size,
        "concurrency" if concurrency is not None else "batch_size",
    )
    canonical_engine = validation.engine(engine)
    return {
        "pp": validation.parallel_degree("pipeline_parallel_size", pipeline_parallel_size),
        "ep": validation.parallel_degree("expert_parallel_size", expert_parallel_size),
        "dp_attention": validation.parallel_degree("dp_attention", dp_attention),
        "redundant_experts": validation.redundant_experts(redundant_experts),
        "expert_imbalance": validation.expert_imbalance(expert_imbalance),
        "expert_popularity_cv": validation.expert_popularity_cv(expert_popularity_cv),
        "two_batch_overlap": validation.flag("two_batch_overlap", two_batch_overlap),
        "precision": validation.precision(precision),
        "kv_precision": validation.kv_precision(kv_precision, canonical_engine),
        "input_length": isl,
        "output_length": osl,
        "concurrency": users,
        "engine": canonical_engine,
        "gpu_memory_utilization": validation.gpu_memory_utilization(gpu_memory_utilization),
        **validation.engine_limits(max_model_len, max_num_seqs, max_num_batched_tokens),
        "serving_model": validation.serving_model(serving_model),
        "traffic": validation.traffic(traffic),
        "allow_hub": validation.flag("allow_hub", allow_hub),
        "api_server_count": validation.api_server_count(api_server_count, canonical_engine),
        "engine_options": validation.engine_options(engine_options, canonical_engine),
    }


def native_only_features(
    speculative: object, prefix: object, settings: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """The serving features (and layouts) a request asks for that only the native engine models."""
    layout = settings or {}
    return tuple(
        name
        for name, asked in (
            ("speculative decoding", speculative is not None),
            ("prefix caching", prefix is not None),
            ("expert parallelism", layout.get("ep", 1) != 1),
            ("data-parallel attention", layout.get("dp_attention", 1) != 1),
            ("API-server processes", layout.get("api_server_count") is not None),
            (
                "the engine's batching options",
                bool(layout.get("engine_options") and layout["engine_options"].stated()),
            ),
        )
        if asked
    )


def _backend(backend: object, arch: ModelArchitecture, features: tuple[str, ...] = ()) -> Backend:
    checked = validation.backend(backend)
    return get_backend(checked, arch, features) if isinstance(checked, str) else checked


def _estimate(chosen: Backend, request: EstimateRequest) -> PerformanceEstimate:
    try:
        return chosen.estimate(request)
    except BackendUnavailableError:
        raise
    except BackendError as exc:
        return error_record(
            request.arch.model_id,
            request.gpu.name,
            request.num_gpus,
            request.tp,
            request.input_length,
            request.output_length,
            request.concurrency,
            str(exc),
            backend=chosen.name,
        )


def _entry(config: object) -> tuple[Any, Any, Any]:
    if isinstance(config, (str, bytes)) or not isinstance(config, Sequence) or len(config) not in (2, 3):
        raise InvalidArgumentError(
            f"each gpu_configs entry must be (gpu, num_gpus) or (gpu, num_gpus, tp), got {short_repr(config)}"
        )
    gpu, count = config[0], config[1]
    tp = config[2] if len(config) == 3 else None
    return gpu, count, tp


def estimate_performance_batch(
    model_id: ModelLike,
    gpu_configs: Iterable[Sequence[Any]],
    input_length: int = 1024,
    output_length: int = 256,
    tensor_parallel_size: int | None = None,
    batch_size: int = 1,
    backend: str | Backend = "auto",
    calibration: CalibrationProfile | Sequence[CalibrationProfile] | None = None,
    *,
    speculative: SpeculativeConfig | str | None = None,
    prefix: SharedPrefix | None = None,
    **knobs: Any,
) -> list[PerformanceEstimate]:
    """One record per ``(gpu, num_gpus)`` or ``(gpu, num_gpus, tp)`` entry, in input order.

    An entry's own tp wins over ``tensor_parallel_size``. A bad entry (unknown GPU, invalid TP, a
    layout that does not fit) yields a record whose ``error`` says why; the rest are computed. An
    argument every entry shares (the model, lengths, ``batch_size``, ``knobs``) raises
    :class:`InvalidArgumentError` when invalid, before any entry is estimated. ``calibration``,
    ``speculative`` and ``prefix`` as in :func:`estimate_performance` (each record getting its own GPU
    type's calibration profile).
    """
    profiles = checked_calibration(calibration)
    unknown = sorted(set(knobs) - SETTING_NAMES)
    if unknown:
        raise InvalidArgumentError(
            f"unknown keyword argument(s) {', '.join(unknown)}; accepted: {', '.join(sorted(SETTING_NAMES))}"
        )
    settings = checked_settings(
        input_length=input_length, output_length=output_length, batch_size=batch_size, **knobs
    )
    shared_tp = (
        None
        if tensor_parallel_size is None
        else validation.parallel_degree("tensor_parallel_size", tensor_parallel_size)
    )
    if isinstance(gpu_configs, (str, bytes)) or not isinstance(gpu_configs, Iterable):
        raise InvalidArgumentError(
            f"gpu_configs must be a list of (gpu, num_gpus[, tp]) entries, got {short_repr(gpu_configs)}"
        )
    arch = resolve_model(validation.model(model_id))
    validation.check_fits_model(
        arch, settings["input_length"], settings["output_length"], settings["max_model_len"]
    )
    spec_config = resolve_speculative(speculative, arch, settings["engine"])
    shared = checked_prefix(prefix, settings["input_length"], settings["traffic"])
    chosen = _backend(backend, arch, native_only_features(spec_config, shared, settings))
    results = []
    for config in gpu_configs:
        gpu: Any = config
        count: Any = 0
        tp: Any = shared_tp
        try:
            gpu, count, own_tp = _entry(config)
            spec = validation.gpu(gpu, "gpu")
            count = validation.num_gpus(count)
            tp = shared_tp if own_tp is None else validation.parallel_degree("tp", own_tp)
            validation.check_token_budget(settings, settings["engine"], [spec])
        except ConfigExplorerError as exc:
            name = gpu.name if isinstance(gpu, GPUSpec) else gpu if isinstance(gpu, str) else short_repr(gpu)
            results.append(
                error_record(
                    arch.model_id,
                    name,
                    count if isinstance(count, int) and not isinstance(count, bool) else 0,
                    tp if isinstance(tp, int) and not isinstance(tp, bool) else None,
                    settings["input_length"],
                    settings["output_length"],
                    settings["concurrency"],
                    str(exc),
                    backend=chosen.name,
                )
            )
            continue
        request = EstimateRequest(
            arch=arch, gpu=spec, num_gpus=count, tp=tp, speculative=spec_config, prefix=shared, **settings
        )
        try:
            results.append(apply_calibration(_estimate(chosen, request), profiles))
        except BackendUnavailableError:
            raise
        except ConfigExplorerError as exc:  # the layout itself is invalid (e.g. a TP that does not divide)
            results.append(
                error_record(
                    arch.model_id,
                    spec.name,
                    count,
                    tp,
                    settings["input_length"],
                    settings["output_length"],
                    settings["concurrency"],
                    str(exc),
                    backend=chosen.name,
                )
            )
    return results

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

from config_explorer._util import require_positive_int
from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.backends import Backend, EstimateRequest, get_backend
from config_explorer.catalogs.gpus import GPUSpec, get_gpu
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.traffic import Traffic
from config_explorer.errors import (
    BackendError,
    BackendUnavailableError,
    ConfigExplorerError,
    InvalidArgumentError,
)

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
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    max_model_len: int | None = None,
    serving_model: str = "simulated",
    traffic: Traffic | None = None,
    allow_hub: bool = False,
) -> PerformanceEstimate:
    """Estimate ``model_id`` on ``num_gpus`` x ``gpu_name`` at ``concurrency`` requests in flight.

    ``batch_size`` is the earlier tools' name for ``concurrency`` (closed-loop requests in flight).
    ``traffic`` states anything else (Poisson arrivals, an offline batch, length distributions, the
    number of requests); ``serving_model`` is ``"simulated"`` (the engine's scheduler stepped request
    by request, the default) or ``"analytic"`` (the closed-form screen). ``max_model_len``,
    ``max_num_seqs`` and ``max_num_batched_tokens`` default as the engine does.
    ``tensor_parallel_size=None`` picks the smallest TP whose shard fits; the other GPUs become
    replicas. ``backend`` is ``"native"``, ``"llm-optimizer"``, ``"auto"`` or a backend object.
    """
    arch = resolve_model(model_id)
    gpu = get_gpu(gpu_name)
    require_positive_int("num_gpus", num_gpus)
    require_positive_int("input_length", input_length)
    require_positive_int("output_length", output_length)
    users = require_positive_int(
        "concurrency" if concurrency is not None else "batch_size",
        concurrency if concurrency is not None else batch_size,
    )
    if tensor_parallel_size is not None:
        require_positive_int("tensor_parallel_size", tensor_parallel_size)
    chosen = get_backend(backend) if isinstance(backend, str) else backend
    request = EstimateRequest(
        arch=arch,
        gpu=gpu,
        num_gpus=num_gpus,
        tp=tensor_parallel_size,
        pp=pipeline_parallel_size,
        precision=precision,
        kv_precision=kv_precision,
        input_length=input_length,
        output_length=output_length,
        concurrency=users,
        engine=engine,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_batched_tokens=max_num_batched_tokens,
        max_num_seqs=max_num_seqs,
        max_model_len=max_model_len,
        serving_model=serving_model,
        traffic=traffic,
        allow_hub=allow_hub,
    )
    try:
        return chosen.estimate(request)
    except BackendUnavailableError:
        raise
    except BackendError as exc:
        return error_record(
            arch.model_id,
            gpu.name,
            num_gpus,
            tensor_parallel_size,
            input_length,
            output_length,
            users,
            str(exc),
            backend=chosen.name,
        )


def _entry(config: Sequence[Any]) -> tuple[Any, int, int | None]:
    if isinstance(config, (str, bytes)) or not isinstance(config, Sequence) or len(config) not in (2, 3):
        raise InvalidArgumentError(
            f"each gpu_configs entry must be (gpu, num_gpus) or (gpu, num_gpus, tp), got {config!r}"
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
    **knobs: Any,
) -> list[PerformanceEstimate]:
    """One record per ``(gpu, num_gpus)`` or ``(gpu, num_gpus, tp)`` entry, in input order.

    An entry's own tp wins over ``tensor_parallel_size``. A bad entry (unknown GPU, invalid TP, a
    layout that does not fit) yields a record whose ``error`` says why; the rest are computed.
    """
    arch = resolve_model(model_id)
    chosen = get_backend(backend) if isinstance(backend, str) else backend
    results = []
    for config in gpu_configs:
        try:
            gpu, count, tp = _entry(config)
        except InvalidArgumentError as exc:
            results.append(
                error_record(
                    arch.model_id,
                    str(config),
                    0,
                    None,
                    input_length,
                    output_length,
                    batch_size,
                    str(exc),
                    backend=chosen.name,
                )
            )
            continue
        tp = tp if tp is not None else tensor_parallel_size
        try:
            results.append(
                estimate_performance(
                    arch, gpu, count, tp, input_length, output_length, batch_size, chosen, **knobs
                )
            )
        except BackendUnavailableError:
            raise
        except ConfigExplorerError as exc:
            name = gpu.name if isinstance(gpu, GPUSpec) else str(gpu)
            results.append(
                error_record(
                    arch.model_id,
                    name,
                    count if isinstance(count, int) else 0,
                    tp,
                    input_length,
                    output_length,
                    batch_size,
                    str(exc),
                    backend=chosen.name,
                )
            )
    return results

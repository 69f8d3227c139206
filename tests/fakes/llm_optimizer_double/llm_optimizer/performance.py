"""``llm_optimizer.performance`` of the test double.

Signatures, defaults and record fields are upstream's (as documented in the shared reference); the
arithmetic is a deliberately simple roofline, NOT upstream's, so tests check the adapter's mapping
against what this double returned and never against upstream's numbers.

Every public function checks the names and types of its arguments the way a strict upstream would:
a wrong keyword is a ``TypeError`` (Python's own), a wrong type is a ``TypeError``, an unknown GPU or
an unsupported precision is a ``ValueError``.

Knobs for tests (set with ``monkeypatch.setattr``):

- ``RESULT_STYLE``: ``"object"`` (a ``PerformanceResult``, upstream today), ``"dict"`` (the same keys in a
  dict, as older versions returned), ``"legacy-dict"`` (only the first eight keys, no roofline fields),
  ``"raise"`` (raise ``RAISE_WITH``), ``"garbage"`` (return a string).
- ``CALLS``: the keyword arguments of every ``estimate_llm_performance`` call, in order.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from llm_optimizer.common import (
    ModelConfig,
    get_model_config_and_precision_from_hf,
    get_precision_bytes_per_param,
)
from llm_optimizer.predefined.gpus import GPU_SPECS

RESULT_STYLE = "object"
RAISE_WITH: Exception = ValueError("test double told to fail")
CALLS: list[dict[str, Any]] = []

SUPPORTED_PRECISIONS = ("fp16", "bf16", "fp8")
CONCURRENCY_LEVELS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
GIB = 1024**3


@dataclass
class PerformanceResult:
    ttft_ms: float
    itl_ms: float
    e2e_latency_s: float
    output_throughput_tps: float
    input_throughput_tps: float
    requests_per_sec: float
    bottleneck_is_memory: bool
    concurrency: int
    memory_needed_gb: float = 0.0
    usable_vram_gb: float = 0.0
    prefill_arithmetic_intensity: float = 0.0
    decode_arithmetic_intensity: float = 0.0
    hardware_ops_per_byte: float = 0.0
    prefill_is_memory_bound: bool = False
    decode_is_memory_bound: bool = False


@dataclass
class PerformanceEstimationParams:
    model: str
    input_len: int
    output_len: int
    gpu: str
    num_gpus: int
    precision: str | None = None
    framework: str = "both"
    constraints: str | None = None
    target: str = "throughput"
    dataset: str = "random"


@dataclass
class PerformanceEstimationResult:
    model_config: ModelConfig
    best_configs: dict[str, PerformanceResult | None]
    concurrency_limits: dict[str, int]
    optimal_concurrency: int
    constrained_result: PerformanceResult | None = None
    tuning_commands: dict[str, str] | None = None


# ------------------------------------------------------------------------------------------------
# Argument checks
# ------------------------------------------------------------------------------------------------


def _int(name: str, value: object, minimum: int = 1) -> int:
    if type(value) is not int:
        raise TypeError(f"{name} must be int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(name: str, value: object, low: float = 0.0, high: float = 1.0) -> float:
    if type(value) is not float:
        raise TypeError(f"{name} must be float, got {type(value).__name__} {value!r}")
    if not low < value <= high:
        raise ValueError(f"{name} must be in ({low}, {high}], got {value}")
    return value


def _check_model_config(model_config: object) -> ModelConfig:
    if not isinstance(model_config, ModelConfig):
        raise TypeError(f"model_config must be a ModelConfig, got {type(model_config).__name__}")
    for field in ("num_params", "num_layers", "hidden_dim", "num_heads", "num_kv_heads", "vocab_size"):
        _int(f"model_config.{field}", getattr(model_config, field))
    if model_config.inferred_precision not in SUPPORTED_PRECISIONS:
        raise ValueError(f"model_config.inferred_precision must be one of {SUPPORTED_PRECISIONS}")
    return model_config


def _check_common(
    num_gpus: object,
    gpu_name: object,
    model_config: object,
    precision: object,
    input_length: object,
    output_length: object,
) -> dict[str, float | None]:
    _int("num_gpus", num_gpus)
    if not isinstance(gpu_name, str):
        raise TypeError(f"gpu_name must be str, got {type(gpu_name).__name__}")
    if gpu_name not in GPU_SPECS:
        raise ValueError(f"Unsupported GPU: {gpu_name}. Available: {', '.join(GPU_SPECS)}")
    _check_model_config(model_config)
    if not isinstance(precision, str):
        raise TypeError(f"precision must be str, got {type(precision).__name__}")
    if precision not in SUPPORTED_PRECISIONS:
        raise ValueError(f"Unsupported precision: {precision}. Supported: {', '.join(SUPPORTED_PRECISIONS)}")
    _int("input_length", input_length)
    _int("output_length", output_length)
    return GPU_SPECS[gpu_name]


# ------------------------------------------------------------------------------------------------
# A simple roofline (not upstream's)
# ------------------------------------------------------------------------------------------------


def _tflops(spec: dict[str, float | None], precision: str) -> float:
    fp8 = spec.get("FP8_TFLOPS")
    value = fp8 if precision == "fp8" and fp8 else spec["FP16_TFLOPS"]
    assert value is not None
    return value


def _kv_bytes_per_token(model_config: ModelConfig, bytes_per_param: int) -> int:
    head_dim = model_config.hidden_dim // model_config.num_heads
    assert model_config.num_kv_heads is not None
    return 2 * model_config.num_layers * model_config.num_kv_heads * head_dim * bytes_per_param


def _usable_gib(spec: dict[str, float | None], num_gpus: int, vram_util_factor: float) -> float:
    vram = spec["VRAM_GB"]
    assert vram is not None
    return num_gpus * vram * 1e9 * vram_util_factor / GIB


def _answer(result: PerformanceResult) -> Any:
    if RESULT_STYLE == "object":
        return result
    if RESULT_STYLE == "dict":
        return dataclasses.asdict(result)
    if RESULT_STYLE == "legacy-dict":
        return {k: v for k, v in dataclasses.asdict(result).items() if k not in _ROOFLINE_AND_MEMORY}
    if RESULT_STYLE == "raise":
        raise RAISE_WITH
    if RESULT_STYLE == "garbage":
        return "not a result"
    raise AssertionError(f"unknown RESULT_STYLE {RESULT_STYLE!r}")


_ROOFLINE_AND_MEMORY = frozenset(
    {
        "memory_needed_gb",
        "usable_vram_gb",
        "prefill_arithmetic_intensity",
        "decode_arithmetic_intensity",
        "hardware_ops_per_byte",
        "prefill_is_memory_bound",
        "decode_is_memory_bound",
    }
)


def estimate_llm_performance(
    num_gpus: int,
    gpu_name: str,
    model_config: ModelConfig,
    precision: str,
    concurrency: int,
    input_length: int,
    output_length: int,
    mfu_prefill: float = 0.45,
    mfu_decode: float = 0.30,
    vram_util_factor: float = 0.90,
) -> PerformanceResult:
    spec = _check_common(num_gpus, gpu_name, model_config, precision, input_length, output_length)
    _int("concurrency", concurrency)
    _float("mfu_prefill", mfu_prefill)
    _float("mfu_decode", mfu_decode)
    _float("vram_util_factor", vram_util_factor)
    CALLS.append(
        {
            "num_gpus": num_gpus,
            "gpu_name": gpu_name,
            "model_config": model_config,
            "precision": precision,
            "concurrency": concurrency,
            "input_length": input_length,
            "output_length": output_length,
            "mfu_prefill": mfu_prefill,
            "mfu_decode": mfu_decode,
            "vram_util_factor": vram_util_factor,
        }
    )
    bytes_per_param = get_precision_bytes_per_param(precision)
    weight_bytes = model_config.num_params * bytes_per_param
    kv_per_token = _kv_bytes_per_token(model_config, bytes_per_param)
    needed_gib = (weight_bytes + kv_per_token * (input_length + output_length) * concurrency) / GIB
    usable_gib = _usable_gib(spec, num_gpus, vram_util_factor)
    flops_per_s = num_gpus * _tflops(spec, precision) * 1e12
    bytes_per_s = num_gpus * (spec["Memory_Bandwidth_GBs"] or 0.0) * 1e9
    hardware_ops_per_byte = flops_per_s / bytes_per_s
    if needed_gib > usable_gib:
        return _answer(
            PerformanceResult(
                ttft_ms=math.inf,
                itl_ms=math.inf,
                e2e_latency_s=math.inf,
                output_throughput_tps=0.0,
                input_throughput_tps=0.0,
                requests_per_sec=0.0,
                bottleneck_is_memory=True,
                concurrency=concurrency,
                memory_needed_gb=needed_gib,
                usable_vram_gb=usable_gib,
                hardware_ops_per_byte=hardware_ops_per_byte,
            )
        )
    prefill_flops = 2.0 * model_config.num_params * input_length * concurrency
    prefill_bytes = weight_bytes + kv_per_token * input_length * concurrency
    prefill_ai = prefill_flops / prefill_bytes
    prefill_memory_bound = prefill_ai < hardware_ops_per_byte
    ttft_s = (
        prefill_bytes / bytes_per_s if prefill_memory_bound else prefill_flops / (flops_per_s * mfu_prefill)
    )
    decode_flops = 2.0 * model_config.num_params * concurrency
    decode_bytes = weight_bytes + kv_per_token * (input_length + 1) * concurrency
    decode_ai = decode_flops / decode_bytes
    decode_memory_bound = decode_ai < hardware_ops_per_byte
    itl_s = decode_bytes / bytes_per_s if decode_memory_bound else decode_flops / (flops_per_s * mfu_decode)
    e2e_s = ttft_s + output_length * itl_s
    return _answer(
        PerformanceResult(
            ttft_ms=ttft_s * 1000,
            itl_ms=itl_s * 1000,
            e2e_latency_s=e2e_s,
            output_throughput_tps=concurrency / itl_s,
            input_throughput_tps=input_length * concurrency / ttft_s,
            requests_per_sec=concurrency / e2e_s,
            bottleneck_is_memory=decode_memory_bound,
            concurrency=concurrency,
            memory_needed_gb=needed_gib,
            usable_vram_gb=usable_gib,
            prefill_arithmetic_intensity=prefill_ai,
            decode_arithmetic_intensity=decode_ai,
            hardware_ops_per_byte=hardware_ops_per_byte,
            prefill_is_memory_bound=prefill_memory_bound,
            decode_is_memory_bound=decode_memory_bound,
        )
    )


def _result_field(result: Any, name: str) -> Any:
    return result[name] if isinstance(result, dict) else getattr(result, name)


def find_best_performance(
    num_gpus: int,
    gpu_name: str,
    model_config: ModelConfig,
    precision: str,
    input_length: int,
    output_length: int,
    max_concurrency: int = 1024,
    **kwargs: Any,
) -> dict[str, Any]:
    """Concurrency 1, 2, 4, ... up to ``max_concurrency``, stopping at the first that does not fit."""
    _int("max_concurrency", max_concurrency)
    best: dict[str, Any] = {
        "best_latency": None,
        "best_input_throughput": None,
        "best_output_throughput": None,
    }
    for concurrency in (c for c in CONCURRENCY_LEVELS if c <= max_concurrency):
        result = estimate_llm_performance(
            num_gpus=num_gpus,
            gpu_name=gpu_name,
            model_config=model_config,
            precision=precision,
            concurrency=concurrency,
            input_length=input_length,
            output_length=output_length,
            **kwargs,
        )
        if math.isinf(_result_field(result, "ttft_ms")):
            break
        if best["best_latency"] is None:
            best["best_latency"] = result
        for key, field in (
            ("best_input_throughput", "input_throughput_tps"),
            ("best_output_throughput", "output_throughput_tps"),
        ):
            if best[key] is None or _result_field(result, field) > _result_field(best[key], field):
                best[key] = result
    return best


def calculate_concurrency_limits(
    num_gpus: int,
    gpu_name: str,
    model_config: ModelConfig,
    precision: str,
    input_length: int,
    output_length: int,
    mfu_prefill: float = 0.45,
    mfu_decode: float = 0.30,
    vram_util_factor: float = 0.90,
    **kwargs: Any,
) -> dict[str, int]:
    spec = _check_common(num_gpus, gpu_name, model_config, precision, input_length, output_length)
    _float("mfu_prefill", mfu_prefill)
    _float("mfu_decode", mfu_decode)
    _float("vram_util_factor", vram_util_factor)
    if kwargs:
        raise TypeError(f"the double takes no extra arguments, got {sorted(kwargs)}")
    bytes_per_param = get_precision_bytes_per_param(precision)
    weight_gib = model_config.num_params * bytes_per_param / GIB
    kv_per_request_gib = (
        _kv_bytes_per_token(model_config, bytes_per_param) * (input_length + output_length) / GIB
    )
    kv_limit = max(1, int((_usable_gib(spec, num_gpus, vram_util_factor) - weight_gib) / kv_per_request_gib))
    flops_per_s = num_gpus * _tflops(spec, precision) * 1e12
    prefill_limit = max(
        1, min(int(flops_per_s * mfu_prefill * 0.5 / (2 * model_config.num_params * input_length)), 512)
    )
    decode_limit = max(1, min(int(flops_per_s * mfu_decode * 0.05 / (2 * model_config.num_params)), 1024))
    return {
        "kv_cache_limit": kv_limit,
        "prefill_compute_limit": prefill_limit,
        "decode_capacity_limit": decode_limit,
        "overall_limit": min(kv_limit, prefill_limit, decode_limit),
    }


def find_optimal_concurrency_threshold(
    num_gpus: int,
    gpu_name: str,
    model_config: ModelConfig,
    precision: str,
    input_length: int,
    output_length: int,
    throughput_improvement_threshold: float = 0.05,
    **kwargs: Any,
) -> int:
    """The concurrency past which output throughput grows by less than the threshold."""
    previous, optimal = 0.0, 1
    for concurrency in CONCURRENCY_LEVELS:
        result = estimate_llm_performance(
            num_gpus=num_gpus,
            gpu_name=gpu_name,
            model_config=model_config,
            precision=precision,
            concurrency=concurrency,
            input_length=input_length,
            output_length=output_length,
            **kwargs,
        )
        if math.isinf(_result_field(result, "ttft_ms")):
            break
        throughput = _result_field(result, "output_throughput_tps")
        if previous and (throughput - previous) / previous < throughput_improvement_threshold:
            break
        previous, optimal = throughput, concurrency
    return optimal


def run_performance_estimation(
    params: PerformanceEstimationParams,
) -> tuple[PerformanceEstimationParams, PerformanceEstimationResult]:
    if not isinstance(params, PerformanceEstimationParams):
        raise TypeError(f"params must be PerformanceEstimationParams, got {type(params).__name__}")
    model_config = get_model_config_and_precision_from_hf(params.model)
    precision = params.precision or model_config.inferred_precision
    common = {
        "num_gpus": params.num_gpus,
        "gpu_name": params.gpu,
        "model_config": model_config,
        "precision": precision,
        "input_length": params.input_len,
        "output_length": params.output_len,
    }
    best = find_best_performance(**common)
    limits = calculate_concurrency_limits(**common)
    optimal = find_optimal_concurrency_threshold(**common)
    if params.constraints:
        raise ValueError("Cannot satisfy the given constraints with this configuration")
    commands = {"vllm": f"vllm serve {params.model} --tensor-parallel-size {params.num_gpus}"}
    return params, PerformanceEstimationResult(
        model_config=model_config,
        best_configs=best,
        concurrency_limits=limits,
        optimal_concurrency=optimal,
        tuning_commands=commands,
    )

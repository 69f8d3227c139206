"""Launch commands (vLLM and SGLang) for a recommended configuration."""

from __future__ import annotations

import shlex

from config_explorer import validation
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import InvalidArgumentError

__all__ = ["serve_commands"]


def _max_num_seqs(estimate: PerformanceEstimate) -> int:
    per_replica = max(1, estimate.concurrency // max(estimate.replicas, 1))
    kv = (estimate.max_concurrency_kv or per_replica * estimate.replicas) // max(estimate.replicas, 1)
    return max(1, min(max(per_replica, 1) * 2, kv) if kv else per_replica)


def serve_commands(
    arch: ModelArchitecture, estimate: PerformanceEstimate, *, gpu_memory_utilization: float | None = None
) -> dict[str, str]:
    """``vllm serve`` and SGLang launch lines for ``estimate``'s layout.

    ``--max-model-len`` is the workload's prompt + output; ``--max-num-seqs`` leaves room for
    twice the per-replica concurrency, capped by what the KV cache holds at that length. ``estimate``
    must be one that fits (``estimate.ok``): there is no command for a layout that cannot run.
    """
    if not isinstance(arch, ModelArchitecture):
        raise InvalidArgumentError(
            f"arch must be a ModelArchitecture (load_model(...)), got {short_repr(arch)}"
        )
    if not isinstance(estimate, PerformanceEstimate):
        raise InvalidArgumentError(f"estimate must be a PerformanceEstimate, got {short_repr(estimate)}")
    if not estimate.ok:
        raise InvalidArgumentError(
            f"cannot build a launch command for a configuration that does not run: {estimate.error or 'does not fit'}"
        )
    gpu_memory_utilization = validation.gpu_memory_utilization(gpu_memory_utilization)
    model = arch.model_id
    context = estimate.input_length + estimate.output_length
    seqs = _max_num_seqs(estimate)
    quantize = estimate.precision != arch.native_precision and estimate.precision == "fp8"
    vllm = ["vllm", "serve", model, "--tensor-parallel-size", str(estimate.tp)]
    if estimate.pp > 1:
        vllm += ["--pipeline-parallel-size", str(estimate.pp)]
    if estimate.replicas > 1:
        vllm += ["--data-parallel-size", str(estimate.replicas)]
    vllm += ["--max-model-len", str(context)]
    if gpu_memory_utilization is not None:
        vllm += ["--gpu-memory-utilization", str(gpu_memory_utilization)]
    vllm += ["--max-num-seqs", str(seqs)]
    if quantize:
        vllm += ["--quantization", "fp8"]
    if estimate.kv_precision == "fp8":
        vllm += ["--kv-cache-dtype", "fp8"]
    sglang = ["python", "-m", "sglang.launch_server", "--model-path", model, "--tp", str(estimate.tp)]
    if estimate.replicas > 1:
        sglang += ["--dp", str(estimate.replicas)]
    if estimate.pp > 1:
        sglang += ["--pp", str(estimate.pp)]
    sglang += ["--context-length", str(context)]
    if gpu_memory_utilization is not None:
        sglang += ["--mem-fraction-static", str(gpu_memory_utilization)]
    sglang += ["--max-running-requests", str(seqs)]
    if quantize:
        sglang += ["--quantization", "fp8"]
    if estimate.kv_precision == "fp8":
        sglang += ["--kv-cache-dtype", "fp8_e4m3"]
    return {"vllm": shlex.join(vllm), "sglang": shlex.join(sglang)}

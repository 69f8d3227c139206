"""Every efficiency factor and serving default the native engine uses, in one place.

Datasheet peaks are never reached. What a serving step achieves depends on the kernel and the
shape, so the engine models each term physically and takes the achievable fraction from here.

Hopper figures are fitted to ``shared/data/kernels/`` (measured on an H100 SXM and an H200 SXM,
2026-11-23, PyTorch 2.11 + CUDA 13.0; refit with ``benchmarks/fit_kernels.py``):

* decode GEMMs (M <= 8 tokens), least-squares ``time = launch + bytes / bandwidth`` over every
  measured shape: H100 7.9 us + bytes at 2.80 TB/s (0.83 of 3.35), H200 8.8 us + 4.14 TB/s (0.86 of
  4.8); FP8 5.7 us + 0.80 of peak. We take 0.83 of peak and 6 us per GEMM kernel.
* large GEMMs (M >= 2048): median 710 / 703 TFLOP/s bf16 (0.72 of 989), 1267 / 1274 fp8
  (0.64 of 1979).
* decode attention (SDPA on a contiguous cache, > 200 MB of KV): 2.60 / 2.73 TB/s (0.78 / 0.57 of
  peak); vLLM's paged FlashAttention/FlashInfer decode kernels do at least as well, so 0.75.
* causal prefill attention: SDPA (FlashAttention-2 class) reaches 0.14-0.34 of the bf16 peak from
  1k to 32k tokens (0.02-0.07 below 1k, where attention is a small share of prefill anyway); vLLM
  on Hopper runs FlashAttention-3, published at 1.5-2x FA2, so 0.45.

Other families have no measurement here. Their factors are the Hopper ones scaled by what
public GEMM and bandwidth benchmarks report relative to Hopper, and say so: treat estimates for
them as less certain (``benchmarks/accuracy.py`` covers A100 and L40S with older TensorRT-LLM data).
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = ["ENGINE_PROFILES", "EngineProfile", "FamilyEfficiency", "efficiency_for", "profile_for"]


@attrs.frozen
class FamilyEfficiency:
    """Achievable fractions of datasheet peaks for one GPU family."""

    #: fraction of peak memory bandwidth a weight-streaming GEMM reaches
    gemm_bandwidth: float
    #: fraction of dense peak a large 16-bit GEMM reaches
    gemm_compute_16bit: float
    #: fraction of dense peak a large 8-bit (FP8/INT8) GEMM reaches
    gemm_compute_8bit: float
    #: fraction of peak bandwidth decode attention reaches reading the KV cache
    attention_bandwidth: float
    #: fraction of 16-bit dense peak causal prefill attention reaches
    attention_compute: float
    #: fixed cost of one GEMM kernel (launch, tail wave), microseconds
    gemm_kernel_us: float
    #: fixed cost of one small kernel (norm, rope, activation, top-k, cache write, scan), microseconds
    small_kernel_us: float
    #: fraction of the per-direction link bandwidth an all-reduce reaches
    link_efficiency: float
    #: fixed cost of one all-reduce call, microseconds (NVLink-class link; PCIe adds ``pcie_allreduce_us``)
    allreduce_us: float
    evidence: str


_HOPPER = FamilyEfficiency(
    gemm_bandwidth=0.83,
    gemm_compute_16bit=0.72,
    gemm_compute_8bit=0.64,
    attention_bandwidth=0.75,
    attention_compute=0.45,
    gemm_kernel_us=6.0,
    small_kernel_us=1.4,
    link_efficiency=0.80,
    allreduce_us=10.0,
    evidence="fitted to shared/data/kernels (H100 SXM, H200 SXM)",
)

#: per family; anything unknown falls back to "other"
_FAMILIES: Final[dict[str, FamilyEfficiency]] = {
    "hopper": _HOPPER,
    # Blackwell: same software stack generation; assume Hopper's fractions until measured.
    "blackwell": attrs.evolve(_HOPPER, evidence="assumed equal to Hopper (no measurement here)"),
    # A100: cuBLAS bf16 GEMMs reach ~0.75-0.8 of 312 TFLOP/s and HBM2e streams at ~0.85 of peak in
    # public microbenchmarks; no fp8 tensor cores (8-bit factor applies to INT8 only).
    "ampere": FamilyEfficiency(
        gemm_bandwidth=0.82,
        gemm_compute_16bit=0.75,
        gemm_compute_8bit=0.65,
        attention_bandwidth=0.75,
        attention_compute=0.40,
        gemm_kernel_us=6.0,
        small_kernel_us=1.7,
        link_efficiency=0.80,
        allreduce_us=12.0,
        evidence="public A100 GEMM/bandwidth microbenchmarks relative to Hopper; not measured here",
    ),
    # Ada (L40S, L4, RTX): GDDR6 streams at ~0.8-0.85 of peak; clocks throttle under sustained
    # tensor load at 300 W / 72 W, so GEMMs sit lower against the boost-clock datasheet figure.
    "ada": FamilyEfficiency(
        gemm_bandwidth=0.80,
        gemm_compute_16bit=0.65,
        gemm_compute_8bit=0.60,
        attention_bandwidth=0.72,
        attention_compute=0.35,
        gemm_kernel_us=6.0,
        small_kernel_us=1.7,
        link_efficiency=0.75,
        allreduce_us=15.0,
        evidence="public Ada microbenchmarks relative to Hopper; not measured here",
    ),
    "turing": FamilyEfficiency(
        gemm_bandwidth=0.75,
        gemm_compute_16bit=0.60,
        gemm_compute_8bit=0.55,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.3,
        link_efficiency=0.70,
        allreduce_us=20.0,
        evidence="older generation; conservative assumption, not measured here",
    ),
    "volta": FamilyEfficiency(
        gemm_bandwidth=0.78,
        gemm_compute_16bit=0.65,
        gemm_compute_8bit=0.55,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.3,
        link_efficiency=0.70,
        allreduce_us=15.0,
        evidence="older generation; conservative assumption, not measured here",
    ),
    # MI300X/MI325X: public GEMM benchmarks report ~0.45-0.55 of the 1307 TFLOP/s bf16 peak and
    # ~0.7-0.8 of the 5.3 TB/s HBM3 peak with ROCm 6.x; the software stack lags the silicon.
    "cdna3": FamilyEfficiency(
        gemm_bandwidth=0.72,
        gemm_compute_16bit=0.50,
        gemm_compute_8bit=0.42,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.0,
        link_efficiency=0.70,
        allreduce_us=15.0,
        evidence="public MI300X GEMM/bandwidth benchmarks (ROCm 6.x); not measured here",
    ),
}
_FAMILIES["cdna2"] = _FAMILIES["cdna3"]
_FAMILIES["cdna4"] = _FAMILIES["cdna3"]
_FAMILIES["other"] = _FAMILIES["ampere"]

#: extra fixed cost of an all-reduce over PCIe (no NVLink-class link), microseconds
PCIE_ALLREDUCE_US: Final[float] = 25.0
#: point-to-point send between pipeline stages, microseconds
PIPELINE_P2P_US: Final[float] = 20.0


def efficiency_for(family: str) -> FamilyEfficiency:
    return _FAMILIES.get(family, _FAMILIES["other"])


@attrs.frozen
class EngineProfile:
    """Scheduler defaults and host-side costs of one serving engine.

    Defaults follow each engine's source: vLLM's ``EngineArgs.get_batch_defaults`` sets ``max_num_seqs``
    1024 and ``max_num_batched_tokens`` 8192 for the API server on GPUs with >= 70 GiB that are not an
    A100 (256 / 2048 otherwise);
    SGLang's ``chunked_prefill_size`` is 8192 on large GPUs; ``trtllm-bench`` picks batch 2048
    and 8192 tokens for max-throughput runs.
    """

    name: str
    max_num_seqs_large_gpu: int
    max_num_seqs_small_gpu: int
    max_num_batched_tokens_large_gpu: int
    max_num_batched_tokens_small_gpu: int
    #: host time per scheduler step not hidden behind the GPU (scheduling, sampling, detokenising), ms
    step_overhead_ms: float
    #: further host time per running sequence per step, ms
    per_sequence_overhead_ms: float
    #: GPU memory the engine keeps outside weights and KV (CUDA context, graphs, allocator slack), GiB
    runtime_overhead_gib: float
    #: KV admission: "current" admits while the blocks a sequence holds *now* fit (vLLM, SGLang:
    #: preempt on overflow), "full" reserves prompt + max output up front (TensorRT-LLM's default
    #: GUARANTEED_NO_EVICT scheduler), which halves the batch when outputs are long
    kv_admission: str = "current"
    #: time a request spends in the serving front end before and around its first token, outside the GPU
    #: steps: HTTP and chat-template handling, tokenisation, scheduler hand-off, first-token streaming (ms)
    request_overhead_ms: float = 0.0
    #: GPUs with at least this much memory get the large defaults ...
    large_gpu_gib: float = 70.0
    #: ... unless their name contains one of these (vLLM keeps A100s on the small defaults: a larger
    #: token budget lowered their throughput, vLLM PR #17885)
    small_default_gpus: tuple[str, ...] = ()

    def _large(self, gpu_name: str, gpu_memory_gib: float) -> bool:
        excluded = any(part.lower() in gpu_name.lower() for part in self.small_default_gpus)
        return gpu_memory_gib >= self.large_gpu_gib and not excluded

    def max_num_seqs(self, gpu_name: str, gpu_memory_gib: float) -> int:
        large = self._large(gpu_name, gpu_memory_gib)
        return self.max_num_seqs_large_gpu if large else self.max_num_seqs_small_gpu

    def max_num_batched_tokens(self, gpu_name: str, gpu_memory_gib: float) -> int:
        large = self._large(gpu_name, gpu_memory_gib)
        return self.max_num_batched_tokens_large_gpu if large else self.max_num_batched_tokens_small_gpu


#: front-end time per request, ms; trtllm-bench runs in-process (no HTTP), so TensorRT-LLM gets none
REQUEST_OVERHEAD_MS: Final[dict[str, float]] = {"vllm": 52.0, "sglang": 16.0, "trtllm": 0.0}

ENGINE_PROFILES: Final[dict[str, EngineProfile]] = {
    # vLLM V1 overlaps scheduling with the GPU only partly; ~0.5 ms of host time per step and a few
    # microseconds per sequence (sampling, output processing) show at small and large batch.
    "vllm": EngineProfile(
        name="vllm",
        max_num_seqs_large_gpu=1024,
        max_num_seqs_small_gpu=256,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=2048,
        step_overhead_ms=0.5,
        per_sequence_overhead_ms=0.004,
        runtime_overhead_gib=1.5,
        # median TTFT residual of the 7 low-load (concurrency <= 8) vLLM points on Hopper in benchmarks/data
        # (GPUStack, vLLM 0.10.2, OpenAI chat endpoint); refit: benchmarks/accuracy.py --fit-request-overhead
        request_overhead_ms=REQUEST_OVERHEAD_MS["vllm"],
        small_default_gpus=("A100",),
    ),
    "sglang": EngineProfile(
        name="sglang",
        max_num_seqs_large_gpu=1024,
        max_num_seqs_small_gpu=256,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=2048,
        step_overhead_ms=0.4,
        per_sequence_overhead_ms=0.003,
        runtime_overhead_gib=1.5,
        # the one low-load SGLang point on Hopper (GPUStack, Qwen3-8B on H100, bench_serving): weak evidence
        request_overhead_ms=REQUEST_OVERHEAD_MS["sglang"],
    ),
    # TensorRT-LLM's C++ executor keeps host work off the critical path.
    "trtllm": EngineProfile(
        name="trtllm",
        max_num_seqs_large_gpu=2048,
        max_num_seqs_small_gpu=512,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=4096,
        step_overhead_ms=0.2,
        per_sequence_overhead_ms=0.001,
        runtime_overhead_gib=1.0,
        kv_admission="full",
    ),
}


def profile_for(engine: str) -> EngineProfile:
    from config_explorer.errors import InvalidArgumentError

    try:
        return ENGINE_PROFILES[engine.lower()]
    except (KeyError, AttributeError):
        raise InvalidArgumentError(
            f"unknown serving engine {engine!r}; accepted: {', '.join(ENGINE_PROFILES)}"
        ) from None

"""Steady-state continuous batching: from step times to TTFT, ITL, E2E and throughput.

The workload is a closed loop (vLLM's ``--max-concurrency``): ``C`` requests are always in flight,
``C / replicas`` per replica, each with ``I`` prompt and ``O`` output tokens. In steady state a replica
has ``D`` sequences decoding; each step emits one token for each and takes on ``D * I / (O - 1)``
prompt tokens of newly arrived requests (chunked prefill), so

    ITL  = T(D)                                    mean step time, prefill share included
    rate = D / ((O - 1) * T)                       requests per second per replica
    TTFT = tau(D) + queueing                        tau: the prompt's own chunks
    C    = D + rate * TTFT                          Little's law over the prefill stage

``D`` is the largest value the scheduler allows (``max_num_seqs``, the step token budget, the KV
cache) that satisfies ``C >= D * (1 + tau / ((O - 1) * T))``; when a cap binds, the excess requests
queue and TTFT grows until Little's law holds. E2E = TTFT + (O - 1) * ITL, and output throughput
= C * O / E2E exactly.

Percentiles: TTFT's waiting part is taken as exponential (p = tau + W * ln(1 / (1 - q))); ITL is a
two-point mix of decode-only steps and steps that carry a prefill chunk (a step with a chunk is
the p95/p99 ITL once chunks appear in more than 5% / 1% of steps; below that the percentile is a
decode-only step, a little under the mean that the rare chunk steps pull up); E2E adds the mean
decode time to the TTFT percentile.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import attrs

from config_explorer._util import require_positive_int
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.calibration import PIPELINE_P2P_US, EngineProfile, efficiency_for, profile_for
from config_explorer.engine.layout import (
    GIB,
    MemoryPlan,
    ShardCosts,
    check_layout,
    memory_plan,
    shard_costs,
    valid_tp_degrees,
)
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.roofline import Rates, StepTime, rates_for, step_time
from config_explorer.errors import InfeasibleConfigurationError, InvalidArgumentError
from config_explorer.precision import normalize_precision

__all__ = ["Deployment", "StaticBatchResult", "estimate", "estimate_static_batch", "plan_deployment"]


@attrs.frozen
class Deployment:
    """Everything fixed about one configuration before the workload's concurrency is applied."""

    arch: ModelArchitecture
    gpu: GPUSpec
    num_gpus: int
    tp: int
    pp: int
    replicas: int
    precision: str
    kv_precision: str
    compute_mode: str
    profile: EngineProfile
    costs: ShardCosts
    rates: Rates
    memory: MemoryPlan
    input_length: int
    output_length: int
    max_num_batched_tokens: int
    max_num_seqs: int
    warnings: tuple[str, ...]
    #: figures that depend only on the deployment (limits, prefill roofline), computed once
    memo: dict[str, Any] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def kv_limit_per_replica(self) -> int:
        """Sequences of the full ``input + output`` length the KV cache holds (a guaranteed figure)."""
        per_seq = (
            self.costs.kv_bytes(self.input_length + self.output_length) + self.costs.state_bytes_per_sequence
        )
        if per_seq <= 0:
            return self.max_num_seqs
        return int(self.memory.kv_capacity_gib * GIB // per_seq)

    @property
    def kv_limit_steady(self) -> float:
        """Sequences the scheduler keeps running, as the KV cache allows.

        Engines that admit by current use hold each sequence at, on average, half its output;
        engines that reserve the whole request up front hold prompt + output for each.
        """
        held = self.output_length / 2 if self.profile.kv_admission == "current" else self.output_length
        per_seq = self.costs.kv_bytes(self.input_length + held) + self.costs.state_bytes_per_sequence
        return math.inf if per_seq <= 0 else self.memory.kv_capacity_gib * GIB / per_seq

    def step(self, decode_seqs: float, prefill_tokens: float, prefill_seqs: float) -> StepTime:
        """One step of the whole pipeline: every stage's time plus the sends between them."""
        stage = step_time(
            self.costs,
            self.rates,
            self.profile,
            decode_seqs=decode_seqs / self.pp,
            decode_context=self.input_length + self.output_length / 2,
            prefill_tokens=prefill_tokens / self.pp,
            prompt_length=self.input_length,
            prefill_seqs=prefill_seqs / self.pp,
        )
        if self.pp == 1:
            return stage
        # pp micro-batches of D/pp sequences are in flight; a token passes every stage in turn.
        p2p = (self.pp - 1) * PIPELINE_P2P_US * 1e-6
        return attrs.evolve(stage, total_s=stage.total_s * self.pp + p2p, comm_s=stage.comm_s + p2p)


@functools.lru_cache(maxsize=4096)
def _costs(arch: ModelArchitecture, precision: str, kv_precision: str, tp: int, pp: int) -> ShardCosts:
    return shard_costs(arch, precision, kv_precision, tp, pp)


@functools.lru_cache(maxsize=2048)
def plan_deployment(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    *,
    num_gpus: int,
    tp: int,
    pp: int = 1,
    precision: str | None = None,
    kv_precision: str | None = None,
    input_length: int,
    output_length: int,
    engine: str = "vllm",
    gpu_memory_utilization: float = 0.9,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
) -> Deployment:
    """Validate a layout and compute its per-GPU costs and memory budget.

    Raises :class:`InvalidArgumentError` for an invalid layout or argument.
    """
    require_positive_int("num_gpus", num_gpus)
    require_positive_int("input_length", input_length)
    require_positive_int("output_length", output_length)
    why = check_layout(arch, num_gpus, tp, pp)
    if why:
        raise InvalidArgumentError(why)
    weights = normalize_precision(precision) if precision else arch.native_precision
    kv = normalize_precision(kv_precision) if kv_precision else ("fp16" if weights == "fp16" else "bf16")
    if kv in ("int4", "mxfp4", "fp4"):
        raise InvalidArgumentError(
            f"kv_precision {kv!r} is not a KV-cache format; accepted: bf16, fp16, fp8, fp32"
        )
    profile = profile_for(engine)
    warnings: list[str] = []
    if not gpu.supports_natively(weights):
        warnings.append(
            f"{gpu.name} has no {weights} tensor cores: weights are stored at {weights} but GEMMs run at 16-bit "
            "(weight-only kernels, as vLLM's Marlin does), so only memory, not compute, benefits"
        )
    if kv == "fp8" and gpu.tflops.fp8 is None:
        warnings.append(
            f"{gpu.name} has no native fp8: an fp8 KV cache is stored at 8 bits and upcast to attend"
        )
    context = input_length + output_length
    if arch.max_position_embeddings and context > arch.max_position_embeddings:
        warnings.append(
            f"prompt + output = {context} tokens exceeds {arch.model_id}'s context of "
            f"{arch.max_position_embeddings} tokens (max_position_embeddings); a server would reject these requests"
        )
    if tp > gpu.scale_up_domain:
        warnings.append(
            f"tp={tp} exceeds the {gpu.name}'s scale-up domain of {gpu.scale_up_domain} GPUs: all-reduces cross "
            "the network at an assumed 50 GB/s per GPU"
        )
    eff = efficiency_for(gpu.family)
    rates, mode = rates_for(gpu, eff, weights, tp)
    costs = _costs(arch, weights, kv, tp, pp)
    budget = max_num_batched_tokens or profile.max_num_batched_tokens(gpu.name, gpu.memory_gib)
    seqs = max_num_seqs or profile.max_num_seqs(gpu.name, gpu.memory_gib)
    require_positive_int("max_num_batched_tokens", budget)
    require_positive_int("max_num_seqs", seqs)
    memory = memory_plan(
        arch,
        gpu,
        costs,
        profile,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_batched_tokens=budget,
        max_num_seqs=seqs,
        sequence_tokens=input_length + output_length,
        precision=weights,
    )
    return Deployment(
        arch=arch,
        gpu=gpu,
        num_gpus=num_gpus,
        tp=tp,
        pp=pp,
        replicas=num_gpus // (tp * pp),
        precision=weights,
        kv_precision=kv,
        compute_mode=mode,
        profile=profile,
        costs=costs,
        rates=rates,
        memory=memory,
        input_length=input_length,
        output_length=output_length,
        max_num_batched_tokens=budget,
        max_num_seqs=seqs,
        warnings=tuple(warnings),
    )


@attrs.frozen
class _Steady:
    decode_seqs: float
    step: StepTime
    ttft_service_s: float
    ttft_s: float
    itl_s: float | None
    requests_per_s: float
    itl_decode_only_s: float
    itl_with_chunk_s: float
    chunk_fraction: float


def _prefill_service(dep: Deployment, decode_seqs: float, mean_step: float) -> tuple[float, float, float]:
    """(seconds to prefill one prompt alongside ``decode_seqs`` decodes, step time with a chunk, chunk size)."""
    budget = dep.max_num_batched_tokens
    chunk = max(budget - decode_seqs, budget * 0.05)
    prompt = dep.input_length
    full_chunks = int(prompt // chunk)
    remainder = prompt - full_chunks * chunk
    with_chunk = dep.step(decode_seqs, min(chunk, prompt), 1.0).total_s
    # on average a new request waits half a step for the next one to start; the front end adds its own time
    service = mean_step / 2 + dep.profile.request_overhead_ms * 1e-3
    if full_chunks:
        service += full_chunks * with_chunk
        if remainder > 0:
            service += dep.step(decode_seqs, remainder, 1.0).total_s
    else:
        service += with_chunk  # the whole prompt is one chunk
    return service, with_chunk, chunk


def _solve(dep: Deployment, concurrency: float) -> _Steady:
    """Steady state of one replica carrying ``concurrency`` requests in flight."""
    prompt = dep.input_length
    steps_per_request = dep.output_length - 1
    if steps_per_request == 0:
        tokens = min(concurrency * prompt, float(dep.max_num_batched_tokens))
        step = dep.step(0.0, tokens, tokens / prompt)
        service = step.total_s + dep.profile.request_overhead_ms * 1e-3
        ttft = max(concurrency / (tokens / prompt / step.total_s), service)
        rate = (
            concurrency / ttft
        )  # Little's law: the GPU's prefill rate, or fewer when the front end paces it
        return _Steady(0.0, step, service, ttft, None, rate, step.total_s, step.total_s, 1.0)

    cap = min(
        concurrency,
        float(dep.max_num_seqs),
        dep.kv_limit_steady,
        dep.max_num_batched_tokens * steps_per_request / (steps_per_request + prompt),
    )
    cap = max(cap, min(1.0, concurrency))

    def evaluate(decode_seqs: float) -> tuple[StepTime, float, float, float]:
        prefill_tokens = decode_seqs * prompt / steps_per_request
        step = dep.step(decode_seqs, prefill_tokens, decode_seqs / steps_per_request)
        service, with_chunk, chunk = _prefill_service(dep, decode_seqs, step.total_s)
        return step, service, with_chunk, chunk

    # Fixed point D = C * sT / (sT + tau): tau/(sT) varies slowly with D, so this contracts fast.
    decode_seqs = cap
    for _ in range(40):
        step, service, with_chunk, chunk = evaluate(decode_seqs)
        decode_time = steps_per_request * step.total_s
        target = min(cap, concurrency * decode_time / (decode_time + service))
        if abs(target - decode_seqs) <= 1e-7 * max(decode_seqs, 1.0):
            decode_seqs = target
            break
        decode_seqs = target
    step, service, with_chunk, chunk = evaluate(decode_seqs)
    decode_time = steps_per_request * step.total_s
    rate = decode_seqs / decode_time
    ttft = max(service, (concurrency - decode_seqs) / rate)
    # ITL distribution: steps either decode only, or also carry a prefill chunk. A chunk step holds up
    # to the free budget; with short prompts it packs several, so it holds at least one prompt or the
    # per-step prefill share, whichever is larger. The share of chunk steps keeps the mean consistent.
    prefill_tokens = decode_seqs * prompt / steps_per_request
    fill = min(chunk, max(float(prompt), prefill_tokens))
    decode_only = dep.step(decode_seqs, 0.0, 0.0).total_s
    if fill != min(chunk, prompt):
        with_chunk = dep.step(decode_seqs, fill, fill / prompt).total_s
    chunk_fraction = min(1.0, prefill_tokens / fill) if fill > 0 else 0.0
    return _Steady(
        decode_seqs, step, service, ttft, step.total_s, rate, decode_only, with_chunk, chunk_fraction
    )


def _low_load_e2e(dep: Deployment) -> float:
    """E2E of a lone request: its prefill, then ``O - 1`` steps at batch one."""
    prefill = dep.step(0.0, float(dep.input_length), 1.0).total_s
    return prefill + (dep.output_length - 1) * dep.step(1.0, 0.0, 0.0).total_s


def _percentile_ttft(service: float, mean: float, q: float) -> float:
    wait = max(mean - service, 0.0)
    return service + wait * math.log(1.0 / (1.0 - q))


def _percentile_itl(steady: _Steady, q: float) -> float | None:
    if steady.itl_s is None:
        return None
    return steady.itl_with_chunk_s if steady.chunk_fraction > 1.0 - q else steady.itl_decode_only_s


def _prefill_roofline(dep: Deployment) -> tuple[float, str]:
    """Arithmetic intensity and bound of prefilling one prompt alone."""
    step = dep.step(0.0, float(dep.input_length), 1.0)
    kv_written = dep.costs.kv_bytes(dep.input_length)
    return step.flops / max(step.bytes + kv_written, 1.0), step.bound


def _concurrency_limits(dep: Deployment, e2e_low_load_s: float) -> tuple[int, int, int]:
    """(KV-cache limit, prefill-compute limit, decode-capacity limit), each for the whole deployment."""
    replicas = dep.replicas
    kv_limit = dep.kv_limit_per_replica * replicas
    budget = float(dep.max_num_batched_tokens)
    full = dep.step(0.0, budget, budget / dep.input_length)
    prefill_rate = budget / dep.input_length / full.total_s  # requests/s if the GPU did nothing but prefill
    prefill_limit = int(prefill_rate * e2e_low_load_s) * replicas
    c = dep.costs
    per_token_compute = c.gemm_flops_per_token / dep.rates.gemm_flops
    per_seq_memory = c.kv_bytes(dep.input_length + dep.output_length / 2) / dep.rates.attention_bandwidth
    weights_time = (c.dense_weight_bytes + c.lm_head_bytes) / dep.rates.gemm_bandwidth
    if per_token_compute > per_seq_memory:
        decode_limit = int(weights_time / (per_token_compute - per_seq_memory)) * replicas
    else:
        decode_limit = kv_limit  # decode never turns compute-bound before the KV cache fills
    return kv_limit, max(prefill_limit, replicas), max(min(decode_limit, kv_limit), 1 if kv_limit else 0)


def estimate(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    *,
    num_gpus: int = 1,
    tp: int | None = None,
    pp: int = 1,
    precision: str | None = None,
    kv_precision: str | None = None,
    input_length: int,
    output_length: int,
    concurrency: int = 1,
    engine: str = "vllm",
    gpu_memory_utilization: float = 0.9,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
) -> PerformanceEstimate:
    """Estimate one configuration at one closed-loop concurrency (whole deployment).

    ``tp=None`` picks the smallest tensor-parallel degree whose shard fits; the remaining GPUs
    become data-parallel replicas. A configuration that does not fit returns a record with
    ``fits=False`` and ``error`` saying what it would need; invalid arguments raise.
    """
    require_positive_int("concurrency", concurrency)
    require_positive_int("pp", pp)
    knobs = {
        "engine": engine,
        "gpu_memory_utilization": gpu_memory_utilization,
        "max_num_batched_tokens": max_num_batched_tokens,
        "max_num_seqs": max_num_seqs,
    }
    common = {
        "num_gpus": num_gpus,
        "pp": pp,
        "precision": precision,
        "kv_precision": kv_precision,
        "input_length": input_length,
        "output_length": output_length,
        **knobs,
    }
    try:
        if tp is None:
            dep = _smallest_fitting(arch, gpu, common)
        else:
            require_positive_int("tp", tp)
            dep = plan_deployment(arch, gpu, tp=tp, **common)
    except InfeasibleConfigurationError as exc:
        return _failed(
            arch,
            gpu,
            num_gpus,
            tp or 1,
            pp,
            precision,
            kv_precision,
            input_length,
            output_length,
            concurrency,
            engine,
            str(exc),
        )
    if not dep.memory.fits:
        return _unfit(dep, concurrency, common)
    return _estimate_fitting(dep, concurrency)


def _smallest_fitting(arch: ModelArchitecture, gpu: GPUSpec, common: dict[str, Any]) -> Deployment:
    num_gpus = int(common["num_gpus"])
    pp = int(common["pp"])
    require_positive_int("num_gpus", num_gpus)
    candidates = valid_tp_degrees(arch, num_gpus, pp)
    if not candidates:
        raise InvalidArgumentError(
            f"no tensor-parallel degree splits {arch.model_id} over {num_gpus} GPUs with pp={pp} "
            f"({arch.num_attention_heads} attention heads, {arch.num_kv_heads} KV heads)"
        )
    for t in candidates:
        dep = plan_deployment(arch, gpu, tp=t, **common)
        if dep.memory.fits:
            break
    # the smallest TP that fits, or, when none does, the largest tried (the closest to fitting)
    return dep


def _needs(dep: Deployment, common: dict[str, Any]) -> str:
    """What would make an unfit configuration fit: a larger TP, or 8-bit weights."""
    arch, gpu = dep.arch, dep.gpu
    hints = []
    for t in (2, 4, 8, 16, 32, 64):
        if t <= dep.tp or check_layout(arch, t, t, 1):
            continue
        trial = plan_deployment(arch, gpu, **{**common, "num_gpus": t, "pp": 1}, tp=t)
        if trial.memory.fits:
            hints.append(f"needs TP >= {t} on {gpu.name} at {dep.precision}")
            break
    else:
        hints.append(f"does not fit on up to 64 {gpu.name} at {dep.precision} with tensor parallelism alone")
    if dep.precision in ("bf16", "fp16", "fp32"):
        trial = plan_deployment(arch, gpu, **{**common, "precision": "fp8"}, tp=dep.tp)
        if trial.memory.fits:
            hints.append(f"or fp8 weights at tp={dep.tp}")
    return ", ".join(hints)


def _base_fields(dep: Deployment, concurrency: int) -> dict[str, Any]:
    return {
        "model_id": dep.arch.model_id,
        "gpu": dep.gpu.name,
        "num_gpus": dep.num_gpus,
        "tp": dep.tp,
        "pp": dep.pp,
        "replicas": dep.replicas,
        "precision": dep.precision,
        "kv_precision": dep.kv_precision,
        "compute_precision": dep.compute_mode,
        "input_length": dep.input_length,
        "output_length": dep.output_length,
        "concurrency": concurrency,
        "engine": dep.profile.name,
        "memory_total_gib": dep.memory.total_gib,
        "memory_weights_gib": dep.memory.weights_gib,
        "memory_kv_capacity_gib": dep.memory.kv_capacity_gib,
        "memory_activations_gib": dep.memory.activations_gib,
        "memory_overhead_gib": dep.memory.overhead_gib,
        "warnings": dep.warnings,
    }


def _unfit(dep: Deployment, concurrency: int, common: dict[str, Any]) -> PerformanceEstimate:
    reason = f"does not fit: {dep.memory.reason}; {_needs(dep, common)}"
    return PerformanceEstimate(
        **_base_fields(dep, concurrency), fits=False, error=reason, max_concurrency_kv=0
    )


def _failed(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    num_gpus: int,
    tp: int,
    pp: int,
    precision: str | None,
    kv_precision: str | None,
    input_length: int,
    output_length: int,
    concurrency: int,
    engine: str,
    error: str,
) -> PerformanceEstimate:
    return PerformanceEstimate(
        model_id=arch.model_id,
        gpu=gpu.name,
        num_gpus=num_gpus,
        tp=tp,
        pp=pp,
        replicas=max(num_gpus // (tp * pp), 1),
        precision=precision or arch.native_precision,
        kv_precision=kv_precision or "bf16",
        input_length=input_length,
        output_length=output_length,
        concurrency=concurrency,
        engine=engine,
        fits=False,
        error=error,
    )


def _estimate_fitting(dep: Deployment, concurrency: int) -> PerformanceEstimate:
    per_replica = concurrency / dep.replicas
    steady = _solve(dep, per_replica)
    decode_steps = dep.output_length - 1
    itl = steady.itl_s
    e2e = steady.ttft_s + decode_steps * (itl or 0.0)
    requests = steady.requests_per_s * dep.replicas
    output_tps = requests * dep.output_length
    input_tps = requests * dep.input_length
    if "limits" not in dep.memo:
        dep.memo["limits"] = _concurrency_limits(dep, _low_load_e2e(dep))
        dep.memo["prefill"] = _prefill_roofline(dep)
    kv_limit, prefill_limit, decode_limit = dep.memo["limits"]
    prefill_ai, prefill_bound = dep.memo["prefill"]
    in_use = steady.decode_seqs * (
        dep.costs.kv_bytes(dep.input_length + dep.output_length / 2) + dep.costs.state_bytes_per_sequence
    )
    memory_kv = min(in_use / GIB, dep.memory.kv_capacity_gib)
    used = dep.memory.weights_gib + memory_kv + dep.memory.activations_gib + dep.memory.overhead_gib
    pct = {q: _percentile_ttft(steady.ttft_service_s, steady.ttft_s, q) for q in (0.5, 0.95, 0.99)}
    itl_pct = {q: _percentile_itl(steady, q) for q in (0.5, 0.95, 0.99)}
    mean_decode = decode_steps * (itl or 0.0)
    return PerformanceEstimate(
        **_base_fields(dep, concurrency),
        ttft_ms=steady.ttft_s * 1e3,
        itl_ms=None if itl is None else itl * 1e3,
        e2e_latency_s=e2e,
        ttft_p50_ms=pct[0.5] * 1e3,
        ttft_p95_ms=pct[0.95] * 1e3,
        ttft_p99_ms=pct[0.99] * 1e3,
        itl_p50_ms=None if itl_pct[0.5] is None else itl_pct[0.5] * 1e3,
        itl_p95_ms=None if itl_pct[0.95] is None else itl_pct[0.95] * 1e3,
        itl_p99_ms=None if itl_pct[0.99] is None else itl_pct[0.99] * 1e3,
        e2e_latency_p50_s=pct[0.5] + mean_decode,
        e2e_latency_p95_s=pct[0.95] + mean_decode,
        e2e_latency_p99_s=pct[0.99] + mean_decode,
        output_throughput_tok_s=output_tps,
        input_throughput_tok_s=input_tps,
        requests_per_s=requests,
        output_throughput_tok_s_per_gpu=output_tps / dep.num_gpus,
        input_throughput_tok_s_per_gpu=input_tps / dep.num_gpus,
        hardware_ops_per_byte=dep.rates.peak_gemm_flops / dep.rates.peak_bandwidth,
        prefill_arithmetic_intensity=prefill_ai,
        decode_arithmetic_intensity=None if itl is None else steady.step.flops / max(steady.step.bytes, 1.0),
        prefill_bound=prefill_bound,
        decode_bound=None if itl is None else steady.step.bound,
        memory_kv_cache_gib=memory_kv,
        memory_free_gib=max(dep.memory.total_gib - used, 0.0),
        fits=True,
        decode_batch_per_replica=steady.decode_seqs,
        max_concurrency_kv=kv_limit,
        prefill_compute_limit=prefill_limit,
        decode_capacity_limit=decode_limit,
        theoretical_concurrency_limit=max(min(kv_limit, prefill_limit, decode_limit), 1),
    )


@attrs.frozen
class StaticBatchResult:
    """A static batch: ``batch`` identical requests start together and finish together."""

    batch: int
    ttft_s: float
    total_s: float
    output_throughput_tok_s: float


def estimate_static_batch(dep: Deployment, batch: int) -> StaticBatchResult:
    """Time a static batch: every prompt prefilled (in token-budget chunks), then ``O - 1`` decode steps.

    This is the older TensorRT-LLM benchmark's scenario; it isolates the cost of a decode step
    at a known batch. Decode steps read the KV cache at the mean context ``I + O / 2``.
    """
    require_positive_int("batch", batch)
    prompt_tokens = float(batch * dep.input_length)
    budget = float(max(dep.max_num_batched_tokens, dep.input_length))
    full_chunks = int(prompt_tokens // budget)
    remainder = prompt_tokens - full_chunks * budget
    prefill = full_chunks * dep.step(0.0, budget, budget / dep.input_length).total_s
    if remainder:
        prefill += dep.step(0.0, remainder, remainder / dep.input_length).total_s
    decode = (dep.output_length - 1) * dep.step(float(batch), 0.0, 0.0).total_s
    total = prefill + decode
    return StaticBatchResult(batch, prefill, total, batch * dep.output_length / total * dep.replicas)

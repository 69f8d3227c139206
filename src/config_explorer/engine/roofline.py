"""Time of one serving step on one GPU: a roofline over the real per-layer work.

A step processes ``decode_seqs`` decode tokens and ``prefill_tokens`` prompt tokens together
(chunked prefill). Its time is

    GEMMs:      softmax(weight bytes / achievable bandwidth, GEMM FLOPs / achievable FLOP/s)
                + fixed cost per GEMM kernel
    attention:  KV bytes read by decode queries / achievable bandwidth
                + causal prefill attention FLOPs / achievable FLOP/s
    comm:       tensor-parallel all-reduces: calls * (latency + ring factor * bytes / link bandwidth)
    elementwise: norms, residual adds, rope and the MLP activation stream tokens * width bytes
    overhead:   a fixed cost per kernel (GEMMs, and the small ones: norms, rope, top-k...) + the
                engine's host time per step and per sequence

``softmax`` is a smooth maximum ((a^4 + b^4)^(1/4)): the measured GEMMs of shared/data/kernels
sit about 20% above max(a, b) where the two are equal, and meet it elsewhere.
"""

from __future__ import annotations

import math

import attrs

from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.calibration import PCIE_ALLREDUCE_US, EngineProfile, FamilyEfficiency
from config_explorer.engine.layout import ShardCosts

__all__ = ["Rates", "StepTime", "expected_distinct_experts", "rates_for", "step_time"]

#: scale-out bandwidth per GPU assumed when TP spans more GPUs than one scale-up domain (400 Gb/s NIC)
_SCALE_OUT_BYTES_S = 50e9


def soft_max(a: float, b: float) -> float:
    return math.sqrt(math.sqrt(a**4 + b**4))


def expected_distinct_experts(tokens: float, experts: int, top_k: int) -> float:
    """Expected number of distinct experts ``tokens`` tokens route to, each choosing ``top_k`` of ``experts``.

    Each expert is missed by one token with probability (1 - k/E); with uniform routing,
    E * (1 - (1 - k/E)^N) experts are touched and their weights must be read.
    """
    if experts == 0 or tokens <= 0:
        return 0.0
    return experts * (1.0 - math.pow(1.0 - top_k / experts, tokens))


@attrs.frozen
class Rates:
    """Achievable rates of one GPU for one configuration (bytes/s and FLOP/s)."""

    gemm_bandwidth: float
    gemm_flops: float
    attention_bandwidth: float
    attention_flops: float
    link_bytes_s: float
    allreduce_latency_s: float
    gemm_kernel_s: float
    small_kernel_s: float
    peak_gemm_flops: float
    peak_bandwidth: float


def rates_for(gpu: GPUSpec, eff: FamilyEfficiency, weight_precision: str, tp: int) -> tuple[Rates, str]:
    """Achievable rates for GEMMs on ``weight_precision`` weights, and the tensor mode they run in."""
    peak, mode = gpu.gemm_tflops(weight_precision)
    fraction = eff.gemm_compute_8bit if mode in ("fp8", "int8", "fp4") else eff.gemm_compute_16bit
    sixteen, _ = gpu.gemm_tflops("bf16")
    link = gpu.link_bandwidth_bytes_s * eff.link_efficiency
    latency = eff.allreduce_us * 1e-6
    if not gpu.has_nvlink_class_link:
        latency += PCIE_ALLREDUCE_US * 1e-6
    if tp > gpu.scale_up_domain:
        link = min(link, _SCALE_OUT_BYTES_S * eff.link_efficiency)
        latency += PCIE_ALLREDUCE_US * 1e-6
    return (
        Rates(
            gemm_bandwidth=gpu.memory_bandwidth_bytes_s * eff.gemm_bandwidth,
            gemm_flops=peak * 1e12 * fraction,
            attention_bandwidth=gpu.memory_bandwidth_bytes_s * eff.attention_bandwidth,
            attention_flops=sixteen * 1e12 * eff.attention_compute,
            link_bytes_s=link,
            allreduce_latency_s=latency,
            gemm_kernel_s=eff.gemm_kernel_us * 1e-6,
            small_kernel_s=eff.small_kernel_us * 1e-6,
            peak_gemm_flops=peak * 1e12,
            peak_bandwidth=gpu.memory_bandwidth_bytes_s,
        ),
        mode,
    )


@attrs.frozen
class StepTime:
    """One step's time (seconds) and what it was spent on."""

    total_s: float
    compute_s: float
    memory_s: float
    comm_s: float
    overhead_s: float
    flops: float
    bytes: float

    @property
    def bound(self) -> str:
        """The term that dominates: ``compute``, ``memory`` or ``communication``."""
        terms = {"compute": self.compute_s, "memory": self.memory_s, "communication": self.comm_s}
        return max(terms, key=terms.__getitem__)


def step_time(
    c: ShardCosts,
    r: Rates,
    profile: EngineProfile,
    *,
    decode_seqs: float,
    decode_context: float,
    prefill_tokens: float,
    prompt_length: float,
    prefill_seqs: float,
) -> StepTime:
    """Time of one step on one GPU of one pipeline stage."""
    tokens = decode_seqs + prefill_tokens
    sampled = decode_seqs + prefill_seqs  # the lm_head runs only where a token is sampled
    gemm_flops = tokens * c.gemm_flops_per_token + sampled * c.lm_head_flops_per_token
    weight_bytes = c.dense_weight_bytes + c.lm_head_bytes
    if c.moe_layers:
        distinct = expected_distinct_experts(tokens, c.num_experts, c.experts_per_token)
        weight_bytes += c.moe_layers * distinct * c.expert_bytes
    gemm_mem = weight_bytes / r.gemm_bandwidth
    gemm_cmp = gemm_flops / r.gemm_flops

    kv_read = decode_seqs * (c.kv_bytes(decode_context) + 2.0 * c.state_bytes_per_sequence)
    attn_mem = kv_read / r.attention_bandwidth
    decode_attn_flops = decode_seqs * (
        c.attention_flops_per_pair_full * decode_context
        + c.attention_flops_per_pair_windowed * min(decode_context, c.window)
    )
    prefill_attn_flops = 0.0
    if prefill_tokens > 0 and prompt_length > 0:
        full_pairs, windowed_pairs = c.attention_pairs_prefill(prompt_length)
        per_prompt = (
            c.attention_flops_per_pair_full * full_pairs
            + c.attention_flops_per_pair_windowed * windowed_pairs
        )
        prefill_attn_flops = per_prompt * prefill_tokens / prompt_length
    recurrent_flops = tokens * c.recurrent_flops_per_token
    attn_cmp = (prefill_attn_flops + recurrent_flops) / r.attention_flops
    attention = soft_max(attn_mem, attn_cmp + decode_attn_flops / r.attention_flops)

    comm = 0.0
    if c.allreduce_calls:
        ring = 2.0 * (c.tp - 1) / c.tp
        comm = c.allreduce_calls * (
            r.allreduce_latency_s + ring * tokens * c.allreduce_bytes_per_token / r.link_bytes_s
        )

    elementwise = tokens * c.elementwise_bytes_per_token / r.gemm_bandwidth
    fixed = c.gemm_kernels * r.gemm_kernel_s + c.small_kernels * r.small_kernel_s
    host = (profile.step_overhead_ms + profile.per_sequence_overhead_ms * sampled) * 1e-3
    total = soft_max(gemm_mem, gemm_cmp) + attention + elementwise + comm + fixed + host
    return StepTime(
        total_s=total,
        compute_s=gemm_cmp + attn_cmp + decode_attn_flops / r.attention_flops,
        memory_s=gemm_mem + attn_mem + elementwise,
        comm_s=comm,
        overhead_s=fixed + host,
        flops=gemm_flops + prefill_attn_flops + decode_attn_flops + recurrent_flops,
        bytes=weight_bytes + kv_read + tokens * c.elementwise_bytes_per_token,
    )

"""Disaggregated prefill and decode: ``x`` prefill replicas and ``y`` decode replicas, each with its own layout.

The largest deployments split the two phases onto separate GPU pools (vLLM's ``--kv-transfer-config``
connectors, SGLang's ``--disaggregation-mode prefill|decode``): a prefill replica computes each prompt's
KV cache and its first token, sends the KV to a decode replica over the network, and the decode replica
generates the rest in decode-only steps that no prompt ever interrupts. For a request rate ``R``:

* **prefill pool**: each of ``x`` replicas serves Poisson arrivals at ``R / x`` of prompts with one
  output token, *simulated* by the engine's scheduler (:mod:`~config_explorer.engine.simulator`), so its
  queueing and batching of prompts set the prefill part of TTFT and its percentiles;
* **KV transfer**: the prompt's whole KV cache (every layer and head: the model's, not one GPU's share)
  crosses from the prefill group's GPUs to the decode group's, in parallel over as many links as the
  smaller group has GPUs, over the scale-up link when both replicas fit one scale-up domain (a GB200
  NVL72), else over the GPU's network (``scale_out_bandwidth_gb_s``, one 400 Gb/s NIC per GPU unless the
  catalog says otherwise), at the family's link efficiency;
* **decode pool**: each of ``y`` replicas carries ``R / y`` requests of ``output - 1`` decode steps; by
  Little's law its batch ``B = (R / y) (output - 1) t(B)``, ``t(B)`` being a decode-only step of ``B``
  sequences at the mean context, solved as a fixed point. ITL and TPOT are ``t(B)``: every step is alike.
  The pool is saturated when ``B`` would pass what the KV cache or ``max_num_seqs`` holds. Where the
  engine's front end is modelled (vLLM's API server, one process per data-parallel rank by default), a
  client's gap is also no shorter than the front end takes to stream a token to each of the ``B``
  sequences, and a replica whose output rate passes what its processes stream cannot keep up.

TTFT is the prefill pool's TTFT, plus the transfer, plus one decode step (the decode replica streams the
next token at the end of the step that admits the request). Records carry ``prefill_replicas``,
``decode_replicas``, the prefill layout (``prefill_tp``, ``prefill_ep``, ``prefill_dp_attention``) and
``kv_transfer_ms``; their layout fields (``tp``, ``ep``,
``dp_attention``) and memory are the decode pool's, ``num_gpus`` and the per-GPU throughputs the whole
deployment's.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final

import attrs

from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.calibration import PIPELINE_P2P_US, efficiency_for_gpu
from config_explorer.engine.deployment import Deployment, plan_deployment
from config_explorer.engine.layout import GIB, check_layout, shard_costs
from config_explorer.engine.metrics import Stats
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.records import PerformanceEstimate, layout_text
from config_explorer.engine.serving import _record, api_servers_for
from config_explorer.engine.simulator import SimulationResult, simulate
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import Lengths, SharedPrefix, Traffic
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "PoolLayout",
    "decode_api_servers",
    "decode_gap_s",
    "estimate_disaggregated",
    "frontend_bound",
    "kv_transfer_s",
    "pool_deployment",
    "steady_decode_batch",
]

#: the most replicas of either pool one estimate takes
MAX_POOL_REPLICAS: Final = 4096
#: the decode fixed point stops when the batch moves by less than this share between iterations
_FIXED_POINT_TOLERANCE = 1e-6


@attrs.frozen
class PoolLayout:
    """One pool's replica: ``tp`` GPUs, the experts over ``ep`` ranks, attention in ``dp_attention`` groups."""

    tp: int
    ep: int = 1
    dp_attention: int = 1

    def __str__(self) -> str:
        return layout_text(self.tp, 1, self.ep, self.dp_attention)


def pool_deployment(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    pool: PoolLayout,
    *,
    input_length: int,
    output_length: int,
    **settings: Any,
) -> Deployment:
    """One replica of ``pool``: ``pool.tp`` GPUs, one stage (``settings`` as for ``plan_deployment``)."""
    return plan_deployment(
        arch,
        gpu,
        num_gpus=pool.tp,
        tp=pool.tp,
        ep=pool.ep,
        dp_attention=pool.dp_attention,
        input_length=input_length,
        output_length=output_length,
        disaggregated=True,
        **settings,
    )


def kv_transfer_s(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    prefill: PoolLayout,
    decode: PoolLayout,
    prompt_tokens: int,
    kv_precision: str,
) -> float:
    """Seconds to move one prompt's KV cache from a prefill replica to a decode replica (see the module text)."""
    whole = shard_costs(arch, arch.native_precision, kv_precision, 1, 1)  # the model's KV, one copy
    kv_bytes = whole.kv_bytes(prompt_tokens) + whole.state_bytes_per_sequence
    eff = efficiency_for_gpu(gpu.name, gpu.family)
    senders = prefill.tp // prefill.dp_attention  # the GPUs of the group that holds the sequence
    receivers = decode.tp // decode.dp_attention
    link = gpu.link_bandwidth_bytes_s * eff.link_efficiency
    if prefill.tp + decode.tp > gpu.scale_up_domain:
        link = min(link, gpu.scale_out_bytes_s * eff.link_efficiency)
    return kv_bytes / (min(senders, receivers) * link) + PIPELINE_P2P_US * 1e-6


def _replicas(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POOL_REPLICAS:
        raise InvalidArgumentError(
            f"{name} must be an integer from 1 to {MAX_POOL_REPLICAS:,} (a pool needs at least one replica), "
            f"got {value!r}"
        )
    return value


def _pool(value: object, name: str) -> PoolLayout:
    if not isinstance(value, PoolLayout):
        raise InvalidArgumentError(
            f"{name} must be a PoolLayout(tp, ep, dp_attention), got {type(value).__name__}"
        )
    return value


@functools.lru_cache(maxsize=512)
def _prefill_run(
    dep: Deployment, rate: float, num_requests: int | None, prefix: SharedPrefix | None = None
) -> SimulationResult:
    """One prefill replica serving Poisson arrivals of ``rate`` prompts per second, one output token each,
    their shared ``prefix`` served from its prefix cache; simulated, and cached, as a search pairs each
    prefill pool with every decode pool."""
    traffic = Traffic(
        input_lengths=Lengths.fixed(dep.input_length),
        output_lengths=Lengths.fixed(1),
        arrival="poisson",
        request_rate=rate,
        num_requests=num_requests,
        prefix=prefix,
    )
    return simulate(dep.step_cost, dep.scheduler_config(), traffic, 1)


def decode_gap_s(dep: Deployment, batch: float) -> float:
    """A decode replica's inter-token gap at ``batch`` sequences: its decode-only step, and no shorter than
    its front end takes to stream one token to each of them (vLLM's API servers; 0 where not modelled)."""
    return max(dep.step_s(batch, 0.0, 0.0), batch * dep.frontend_token_s)


def frontend_bound(dep: Deployment, rate_per_replica: float) -> bool:
    """Whether a decode replica's front end cannot stream ``rate_per_replica`` requests' output at all."""
    return rate_per_replica * (dep.output_length - 1) * dep.frontend_token_s >= 1.0


def decode_api_servers(dep: Deployment, rate_per_replica: float) -> int | None:
    """The API-server processes a decode replica needs to stream ``rate_per_replica`` requests' output
    (:func:`~config_explorer.engine.serving.api_servers_for`), or None where the engine's front end is
    not modelled."""
    token_us = dep.profile.frontend_token_us
    if not token_us:
        return None
    return api_servers_for(rate_per_replica * (dep.output_length - 1), token_us)


def steady_decode_batch(dep: Deployment, rate_per_replica: float) -> float | None:
    """The decode batch ``B = rate (output - 1) gap(B)``, or None when the replica cannot keep up (its
    KV cache, ``max_num_seqs`` or its front end); ``gap`` is :func:`decode_gap_s`."""
    steps = dep.output_length - 1
    if steps <= 0:
        return 0.0
    if frontend_bound(dep, rate_per_replica):
        return None
    cap = min(float(dep.running_limit), dep.kv_limit_steady)
    batch = 1.0
    for _ in range(200):
        nxt = rate_per_replica * steps * decode_gap_s(dep, batch)
        if nxt > cap:
            return None
        if abs(nxt - batch) <= _FIXED_POINT_TOLERANCE * max(batch, 1.0):
            return nxt
        batch = nxt
    return batch


def estimate_disaggregated(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    *,
    prefill: PoolLayout,
    decode: PoolLayout,
    prefill_replicas: int,
    decode_replicas: int,
    input_length: int,
    output_length: int,
    request_rate: float,
    engine: str = "vllm",
    precision: str | None = None,
    kv_precision: str | None = None,
    gpu_memory_utilization: float | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    expert_imbalance: float | None = None,
    expert_popularity_cv: float | None = None,
    num_requests: int | None = None,
    api_server_count: int | None = None,
    speculative: SpeculativeConfig | None = None,
    prefix: SharedPrefix | None = None,
    engine_options: EngineOptions | None = None,
) -> PerformanceEstimate:
    """Estimate one disaggregated deployment at ``request_rate`` requests per second (see the module text).

    ``api_server_count`` is each decode replica's vLLM ``--api-server-count`` (the processes its tokens
    stream through; None: vLLM's default). ``speculative`` runs both pools with the draft: each holds its
    weights (and KV), and the decode pool's rounds are the speculative steps' per-token share
    (:mod:`config_explorer.engine.speculative`; a prompt's draft pass is not charged, as in aggregated
    serving). ``prefix``: shared prompt prefixes the prefill pool's prefix cache serves (the decode pool
    still receives every prompt's whole KV cache). ``engine_options`` (:class:`~config_explorer.engine.options.
    EngineOptions`) runs both pools with them; the record carries TensorRT-LLM's decode-graph settings
    (``cuda_graph_max_batch_size``, ``cuda_graph_padding``) as the decode pool runs them. Invalid arguments
    raise :class:`InvalidArgumentError`; a pool that does not fit or cannot keep up returns a record with
    ``fits=False`` and ``error`` saying which and why.
    """
    prefill, decode = _pool(prefill, "prefill"), _pool(decode, "decode")
    x = _replicas("prefill_replicas", prefill_replicas)
    y = _replicas("decode_replicas", decode_replicas)
    rate = request_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (math.isfinite(rate) and rate > 0):
        raise InvalidArgumentError(
            f"request_rate must be a finite number of requests per second > 0, got {rate!r}"
        )
    for name, pool in (("prefill", prefill), ("decode", decode)):
        why = check_layout(arch, pool.tp, pool.tp, 1, pool.ep, pool.dp_attention)
        if why:
            raise InvalidArgumentError(f"{name} layout: {why}")
    common: dict[str, Any] = {
        "engine": engine,
        "precision": precision,
        "kv_precision": kv_precision,
        "gpu_memory_utilization": gpu_memory_utilization,
        "expert_imbalance": expert_imbalance,
        "expert_popularity_cv": expert_popularity_cv,
        "speculative": speculative,
        "engine_options": engine_options,
    }
    prefill_dep = pool_deployment(
        arch,
        gpu,
        prefill,
        input_length=input_length,
        output_length=1,
        max_num_batched_tokens=max_num_batched_tokens,
        **common,
    )
    decode_dep = pool_deployment(
        arch,
        gpu,
        decode,
        input_length=input_length,
        output_length=output_length,
        max_num_seqs=max_num_seqs,
        api_server_count=api_server_count,
        **common,
    )
    total_gpus = x * prefill.tp + y * decode.tp
    fields: dict[str, Any] = {
        "prefill_replicas": x,
        "decode_replicas": y,
        "prefill_tp": prefill.tp,
        "prefill_ep": prefill.ep,
        "prefill_dp_attention": prefill.dp_attention,
        "num_gpus": total_gpus,
        "replicas": y,
        "nodes": -(-total_gpus // gpu.gpus_per_node),
        "arrival": "poisson",
        "request_rate": float(rate),
    }
    if (
        decode_dep.profile.name == "trtllm"
    ):  # the decode graphs the decode pool runs (TensorRT-LLM's cuda_graph_config)
        fields["cuda_graph_max_batch_size"] = decode_dep.profile.graph_max_tokens
        fields["cuda_graph_padding"] = decode_dep.options.cuda_graph_padding
        fields["cuda_graph_batch_sizes"] = decode_dep.options.cuda_graph_batch_sizes
    for name, dep in (("prefill", prefill_dep), ("decode", decode_dep)):
        if not dep.memory.fits:
            return _failed(decode_dep, fields, f"the {name} layout does not fit: {dep.memory.reason}")
    batch = steady_decode_batch(decode_dep, rate / y)
    if batch is None and frontend_bound(decode_dep, rate / y):
        most = 1.0 / decode_dep.frontend_token_s
        return _failed(
            decode_dep,
            fields,
            f"the decode pool's front end cannot keep up: {y} x {decode} replicas at {rate / y:.2f} requests/s "
            f"each stream {rate / y * (output_length - 1):,.0f} tok/s, past the ~{most:,.0f} tok/s their "
            f"{decode_dep.frontend_processes} API-server process(es) deliver; add API servers (api_server_count "
            f"{decode_api_servers(decode_dep, rate / y)} or more) or decode replicas",
        )
    if batch is None:
        return _failed(
            decode_dep,
            fields,
            f"the decode pool cannot keep up: {y} x {decode} replicas at {rate / y:.2f} requests/s each would need "
            f"more sequences than max_num_seqs or the KV cache hold; add decode replicas",
        )
    run = _prefill_run(prefill_dep, rate / x, num_requests, prefix)
    served = run.requests_per_s
    if served < 0.9 * rate / x:
        return _failed(
            decode_dep,
            fields,
            f"the prefill pool cannot keep up: {x} x {prefill} replicas serve {served * x:.2f} of {rate:.2f} "
            "requests/s; add prefill replicas",
        )
    step = decode_gap_s(decode_dep, batch) if output_length > 1 else 0.0
    transfer = kv_transfer_s(
        arch, gpu, prefill, decode, input_length, kv_precision or decode_dep.kv_precision
    )
    ttft = run.ttft_s.shifted(transfer + step)
    itl = Stats(step, step, step, step, step) if output_length > 1 else None
    e2e = ttft.shifted((output_length - 1) * step)
    record = _record(
        decode_dep,
        serving_model="disaggregated",
        concurrency=max(round(rate * e2e.mean), 1),
        ttft=ttft,
        itl=itl,
        tpot=itl,
        e2e=e2e,
        requests_per_s=float(rate),
        input_tokens_per_request=float(input_length),
        output_tokens_per_request=float(output_length),
        decode_batch=batch,
        kv_in_use_gib=batch * decode_dep.costs.kv_bytes(input_length + output_length / 2) / GIB,
        decode_step=decode_dep.step(batch, 0.0, 0.0) if batch > 0 else None,
        extra={
            "num_requests": run.num_requests,
            "prefix_cache_hit_rate": run.prefix_cache_hit_rate,
            "warnings": tuple(dict.fromkeys((*prefill_dep.warnings, *decode_dep.warnings))),
        },
    )
    return attrs.evolve(
        record,
        **fields,
        kv_transfer_ms=transfer * 1e3,
        output_throughput_tok_s_per_gpu=rate * output_length / total_gpus,
        input_throughput_tok_s_per_gpu=rate * input_length / total_gpus,
    )


def _failed(dep: Deployment, fields: dict[str, Any], error: str) -> PerformanceEstimate:
    return PerformanceEstimate(
        model_id=dep.arch.model_id,
        gpu=dep.gpu.name,
        tp=dep.tp,
        ep=dep.ep,
        dp_attention=dep.dp_attention,
        precision=dep.precision,
        kv_precision=dep.kv_precision,
        input_length=dep.input_length,
        output_length=dep.output_length,
        concurrency=1,
        engine=dep.profile.name,
        serving_model="disaggregated",
        fits=False,
        error=error,
        **fields,
    )

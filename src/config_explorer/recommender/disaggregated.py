"""Search disaggregated prefill/decode plans for a target load, and compare them with aggregated serving.

For each GPU type, every single-replica layout the aggregated search tries (tensor parallelism inside a
node, and for MoE models experts over ranks, data-parallel attention and the wide expert-parallel
replica past one node) is a candidate for either pool. For each decode layout the fewest decode replicas
that keep up with the load within the ITL/TPOT bounds are found (the decode model is closed-form); for
each prefill layout the fewest prefill replicas whose simulated TTFT, with the KV transfer and the decode
step added, meets the TTFT bound. Every pair is then estimated whole
(:func:`~config_explorer.engine.disaggregated.estimate_disaggregated`), judged against all the SLOs and
priced; the cheapest (by hourly cost, else by GPUs) ranks first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.deployment import MAX_API_SERVERS, Deployment
from config_explorer.engine.disaggregated import (
    PoolLayout,
    decode_api_servers,
    decode_gap_s,
    pool_deployment,
    steady_decode_batch,
)
from config_explorer.engine.disaggregated import estimate_disaggregated as _estimate
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.slo import SLOConstraint, check_slos
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import SharedPrefix
from config_explorer.errors import ConfigExplorerError
from config_explorer.recommender.costs import GPUCosts

__all__ = [
    "DISAGGREGATED_PLANS_KEPT",
    "PoolLayout",
    "estimate_disaggregated",
    "pool_layouts",
    "search_disaggregated",
]

#: plans kept per search (the cheapest of each GPU type first, then the rest by cost)
DISAGGREGATED_PLANS_KEPT: Final = 10
#: the prefill pool is sized from this share of its full-budget prompt rate up, so its queue stays short
_PREFILL_START_UTILIZATION = 0.9
#: prefill replicas tried past that start before a pairing is given up
_PREFILL_TRIES = 16


def estimate_disaggregated(
    model: Any,
    gpu_name: str | GPUSpec,
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
    api_server_count: int | None = None,
    speculative: SpeculativeConfig | str | None = None,
    prefix: SharedPrefix | None = None,
) -> PerformanceEstimate:
    """One disaggregated deployment of ``model`` on ``gpu_name`` at ``request_rate`` requests per second:
    ``prefill_replicas`` x ``prefill`` and ``decode_replicas`` x ``decode`` (``PoolLayout(tp, ep,
    dp_attention)``); see :mod:`config_explorer.engine.disaggregated`. ``api_server_count`` is each
    decode replica's vLLM ``--api-server-count`` (None: vLLM's default); ``speculative`` (a method name or a
    :class:`~config_explorer.engine.speculative.SpeculativeConfig`) runs both pools with that draft;
    ``prefix`` (a :class:`~config_explorer.engine.traffic.SharedPrefix`) is served from the prefill pool's
    prefix cache. Bad arguments raise
    :class:`~config_explorer.errors.InvalidArgumentError`; a pool that does not fit or keep up returns a
    record whose ``error`` says which."""
    from config_explorer import validation
    from config_explorer.recommender.performance import resolve_model
    from config_explorer.recommender.speculation import checked_prefix, resolve_speculative

    isl, osl = validation.request_lengths(input_length, output_length)
    spec = validation.gpu(gpu_name, "gpu_name")
    name = validation.engine(engine)
    arch = resolve_model(validation.model(model))
    return _estimate(
        arch,
        spec,
        prefill=prefill,
        decode=decode,
        prefill_replicas=prefill_replicas,
        decode_replicas=decode_replicas,
        input_length=isl,
        output_length=osl,
        request_rate=request_rate,
        engine=name,
        precision=validation.precision(precision),
        kv_precision=validation.kv_precision(kv_precision, name),
        gpu_memory_utilization=validation.gpu_memory_utilization(gpu_memory_utilization),
        api_server_count=validation.api_server_count(api_server_count, name),
        speculative=resolve_speculative(speculative, arch, name),
        prefix=checked_prefix(prefix, isl),
    )


def pool_layouts(
    arch: ModelArchitecture,
    spec: GPUSpec,
    max_gpus: int,
    layouts_of: Callable[[ModelArchitecture, GPUSpec, int], Sequence[Any]],
) -> list[PoolLayout]:
    """Single-replica layouts (``tp == GPUs``, no pipeline stages) of up to ``max_gpus`` GPUs of ``spec``."""
    out: list[PoolLayout] = []
    for count in spec.deployable_counts(max_gpus):
        for layout in layouts_of(arch, spec, count):
            if layout.tp == count and layout.pp == 1:
                out.append(PoolLayout(layout.tp, layout.ep, layout.dp_attention))
    return list(dict.fromkeys(out))


def _bound_ms(slos: Sequence[SLOConstraint], metrics: tuple[str, ...]) -> float:
    """The tightest upper bound the SLOs put on any of ``metrics`` (ms; infinity when none)."""
    bounds = [c.value_ms for c in slos if c.metric in metrics and c.op in ("<", "<=")]
    return min(bounds, default=math.inf)


def search_disaggregated(
    arch: ModelArchitecture,
    specs: Sequence[GPUSpec],
    *,
    request_rate: float,
    input_length: int,
    output_length: int,
    slos: Sequence[SLOConstraint],
    max_gpus_per_pool: int,
    max_total_gpus: int,
    costs: GPUCosts,
    layouts_of: Callable[[ModelArchitecture, GPUSpec, int], Sequence[Any]],
    settings: Mapping[str, Any],
) -> list[tuple[PerformanceEstimate, float | None]]:
    """The disaggregated plans that meet every SLO at ``request_rate``, cheapest first: (record, $/h)."""
    plans: list[tuple[PerformanceEstimate, float | None]] = []
    itl_bound = _bound_ms(slos, ("itl", "tpot"))
    for spec in specs:
        layouts = pool_layouts(arch, spec, max_gpus_per_pool, layouts_of)
        # each decode layout with the fewest replicas that keep up within the ITL bound, and their front end
        decode_pools: list[tuple[PoolLayout, int, int | None]] = []
        for layout in layouts:
            sized = _decode_replicas(
                arch,
                spec,
                layout,
                request_rate,
                input_length,
                output_length,
                itl_bound,
                max_total_gpus,
                settings,
            )
            if sized is not None:
                decode_pools.append((layout, *sized))
        if not decode_pools:
            continue
        for prefill in layouts:
            start = _prefill_start(arch, spec, prefill, request_rate, input_length, settings)
            if start is None:
                continue
            for decode, y, servers in decode_pools:
                for x in range(start, start + _PREFILL_TRIES):
                    if x * prefill.tp + y * decode.tp > max_total_gpus:
                        break
                    try:
                        record = _estimate(
                            arch,
                            spec,
                            prefill=prefill,
                            decode=decode,
                            prefill_replicas=x,
                            decode_replicas=y,
                            input_length=input_length,
                            output_length=output_length,
                            request_rate=request_rate,
                            api_server_count=servers,
                            **settings,
                        )
                    except ConfigExplorerError:
                        break
                    if not record.ok or check_slos(record, slos):
                        continue  # more prefill replicas shorten the queue
                    price = costs.per_gpu_hour(spec.name)
                    plans.append((record, None if price is None else price * record.num_gpus))
                    break
    plans.sort(key=lambda p: _key(*p))
    return plans


def _key(record: PerformanceEstimate, hourly: float | None) -> tuple[bool, float, int, float]:
    """Cheapest first; ties: fewer GPUs, then the shorter TTFT tail."""
    return (hourly is None, hourly if hourly is not None else 0.0, record.num_gpus, record.ttft_p99_ms or 0.0)


def _decode_replicas(
    arch: ModelArchitecture,
    spec: GPUSpec,
    layout: PoolLayout,
    rate: float,
    input_length: int,
    output_length: int,
    itl_bound_ms: float,
    max_total_gpus: int,
    settings: Mapping[str, Any],
) -> tuple[int, int | None] | None:
    """The fewest decode replicas of ``layout`` that carry ``rate`` within the ITL bound, with the
    API-server processes each needs where the engine's front end is modelled (None: the engine's
    default suffices), or None.

    A front end is a process, not a GPU: where a replica's tokens would outrun its default processes it
    is given enough of them (:func:`~config_explorer.engine.disaggregated.decode_api_servers`) before another
    replica is tried."""

    def deployment(servers: int | None) -> Deployment:
        return pool_deployment(
            arch,
            spec,
            layout,
            input_length=input_length,
            output_length=output_length,
            api_server_count=servers,
            **{k: v for k, v in settings.items() if k not in ("max_num_batched_tokens", "prefix")},
        )

    try:
        dep = deployment(None)
    except ConfigExplorerError:
        return None
    if not dep.memory.fits:
        return None
    for y in range(1, max_total_gpus // layout.tp + 1):
        servers, planned = None, dep
        needed = decode_api_servers(dep, rate / y)
        if needed is not None and needed > (dep.frontend_processes or 1):
            servers = min(needed, MAX_API_SERVERS)
            planned = deployment(servers)
        batch = steady_decode_batch(planned, rate / y)
        if batch is None:
            continue
        if decode_gap_s(planned, batch) * 1e3 <= itl_bound_ms:
            return y, servers
    return None


def _prefill_start(
    arch: ModelArchitecture,
    spec: GPUSpec,
    layout: PoolLayout,
    rate: float,
    input_length: int,
    settings: Mapping[str, Any],
) -> int | None:
    """The prefill replicas a full-budget prompt rate says the load needs at most 90% busy, or None
    when the layout does not fit."""
    try:
        dep = pool_deployment(
            arch,
            spec,
            layout,
            input_length=input_length,
            output_length=1,
            **{k: v for k, v in settings.items() if k not in ("max_num_seqs", "prefix")},
        )
    except ConfigExplorerError:
        return None
    if not dep.memory.fits:
        return None
    budget = float(max(dep.step_token_budget, input_length))
    prompts_per_step = budget / input_length
    per_replica = prompts_per_step / dep.step_s(0.0, budget, prompts_per_step)
    return max(1, math.ceil(rate / (per_replica * _PREFILL_START_UTILIZATION)))

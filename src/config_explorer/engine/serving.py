"""Estimate one configuration: plan it, run the serving model, and build the record.

Two serving models share one step-cost model (:mod:`config_explorer.engine.roofline`):

* ``simulated`` (the default and the reference): the engine's scheduler stepped request by request
  (:mod:`config_explorer.engine.simulator`); any arrival process and length distribution, percentiles
  measured from the simulated requests the way ``vllm bench serve`` measures them;
* ``analytic``: the closed-form steady state (:mod:`config_explorer.engine.analytic`), about a hundred
  times faster, used to screen many layouts before the simulator judges the shortlist.

Every record says which model produced it (``serving_model``).

Shared prefixes (``traffic.prefix``): the simulator runs the prefix cache block by block and reports the
hit rate it achieved; the analytic model takes the steady state in which every request carrying a prefix
finds it cached (its full blocks), so its prefill is that much shorter, and reports that share as its hit
rate (an upper bound: it ignores cold misses and eviction under KV pressure). Speculative decoding
(``speculative``) changes the step cost both models share (:mod:`config_explorer.engine.speculative`).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Mapping
from typing import Any, Final

import attrs

from config_explorer._util import require_int_in, require_positive_int
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine import analytic
from config_explorer.engine.calibration import profile_for, trtllm_fine_padded_sizes
from config_explorer.engine.deployment import MAX_NUM_GPUS, Deployment, plan_deployment
from config_explorer.engine.layout import GIB, check_layout
from config_explorer.engine.metrics import Stats
from config_explorer.engine.options import EngineOptions, check_engine_options, options_of
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.roofline import StepTime
from config_explorer.engine.simulator import SimulationResult, simulate
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.traffic import MAX_CONCURRENCY, MAX_REQUEST_TOKENS, Lengths, Traffic
from config_explorer.errors import ConfigExplorerError, InfeasibleConfigurationError, InvalidArgumentError

__all__ = [
    "SERVING_MODELS",
    "Deployment",
    "StaticBatchResult",
    "api_servers_for",
    "estimate",
    "estimate_static_batch",
    "plan_deployment",
]

SERVING_MODELS: Final = ("simulated", "analytic")


def estimate(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    *,
    num_gpus: int = 1,
    tp: int | None = None,
    pp: int = 1,
    ep: int = 1,
    dp_attention: int = 1,
    redundant_experts: int = 0,
    expert_imbalance: float | None = None,
    expert_popularity_cv: float | None = None,
    two_batch_overlap: bool = False,
    precision: str | None = None,
    kv_precision: str | None = None,
    input_length: int | None = None,
    output_length: int | None = None,
    concurrency: int = 1,
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    max_model_len: int | None = None,
    serving_model: str = "simulated",
    traffic: Traffic | None = None,
    speculative: SpeculativeConfig | None = None,
    api_server_count: int | None = None,
    engine_options: Mapping[str, int | float] | EngineOptions | None = None,
    lockstep: bool = True,
    check_lockstep: bool = True,
) -> PerformanceEstimate:
    """Estimate one configuration (whole deployment).

    The traffic is a closed loop of ``concurrency`` requests of ``input_length`` / ``output_length``
    tokens, or whatever ``traffic`` states (Poisson arrivals, an offline batch, length distributions);
    with ``traffic`` the lengths default to its means. ``tp=None`` picks the smallest tensor-parallel
    degree whose shard fits; the remaining GPUs become data-parallel replicas. A configuration that
    does not fit returns a record with ``fits=False`` and ``error`` saying what it would need; invalid
    arguments raise :class:`InvalidArgumentError`.

    ``traffic.prefix`` describes shared prompt prefixes the engine's prefix cache reuses, and
    ``speculative`` turns speculative decoding on (see the module text for how each serving model treats them).
    ``engine_options`` sets the engine's options by the engine's own names: those that hold new
    requests back to batch them (``{"scheduler_recv_interval": 10}`` for SGLang) and vLLM's
    ``{"async_scheduling": True}``; see :mod:`config_explorer.engine.options`. ``lockstep`` (analytic model):
    the closed loop's identical requests move together, as a benchmark's synchronized clients do; False
    takes their arrivals at random (:func:`config_explorer.engine.analytic.solve`). ``check_lockstep``
    (simulated model): where a closed loop of fixed lengths moved in lockstep, run it again with lengths drawn
    within +-5% and warn where the two mean TTFTs differ much (:func:`_lockstep_note`); False skips that run.
    """
    if speculative is not None and not isinstance(speculative, SpeculativeConfig):
        raise InvalidArgumentError(
            f"speculative must be a SpeculativeConfig (SpeculativeConfig.of('eagle3')), got {type(speculative).__name__}"
        )
    if serving_model not in SERVING_MODELS:
        raise InvalidArgumentError(
            f"unknown serving_model {serving_model!r}; accepted: {', '.join(SERVING_MODELS)}"
        )
    if traffic is None:
        if input_length is None or output_length is None:
            raise InvalidArgumentError("input_length and output_length are required when no traffic is given")
        require_int_in("input_length", input_length, MAX_REQUEST_TOKENS)
        require_int_in("output_length", output_length, MAX_REQUEST_TOKENS)
        require_int_in("concurrency", concurrency, MAX_CONCURRENCY)
        # the analytic screen's plain closed loop needs no request list (the simulator builds one)
        traffic = (
            None
            if serving_model == "analytic"
            else Traffic.closed_loop(input_length, output_length, concurrency)
        )
    else:
        input_length = input_length or max(round(traffic.input_lengths.mean), 1)
        output_length = output_length or max(round(traffic.output_lengths.mean), 1)
        concurrency = traffic.concurrency or concurrency
    if serving_model == "analytic" and traffic is not None and not _fixed_closed_loop(traffic):
        raise InvalidArgumentError(
            "the analytic serving model covers a closed loop of fixed lengths only; "
            "use serving_model='simulated' for other traffic"
        )
    require_positive_int("pp", pp)
    require_positive_int("ep", ep)
    require_positive_int("dp_attention", dp_attention)
    options = (
        None if engine_options is None else check_engine_options(engine_options, profile_for(engine).name)
    )
    common: dict[str, Any] = {
        "num_gpus": num_gpus,
        "pp": pp,
        "ep": ep,
        "dp_attention": dp_attention,
        "redundant_experts": redundant_experts,
        "expert_imbalance": expert_imbalance,
        "expert_popularity_cv": expert_popularity_cv,
        "two_batch_overlap": two_batch_overlap,
        "precision": precision,
        "kv_precision": kv_precision,
        "input_length": input_length,
        "output_length": output_length,
        "engine": engine,
        "gpu_memory_utilization": gpu_memory_utilization,
        "max_num_batched_tokens": max_num_batched_tokens,
        "max_num_seqs": max_num_seqs,
        "max_model_len": max_model_len,
        "speculative": speculative,
        "api_server_count": api_server_count,
        "engine_options": options,
        # the deployment counts what its prefix cache serves (none without one: SGLang's --disable-radix-cache,
        # vLLM's --no-enable-prefix-caching or its release's default)
        "cached_prefix": _steady_cached_prefix(traffic) if traffic is not None else None,
    }
    try:
        if tp is None:
            dep = _smallest_fitting(arch, gpu, common, concurrency)
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
            ep,
            dp_attention,
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
    if serving_model == "analytic":
        prefixed = traffic is not None and traffic.prefix is not None
        record = _graph_note(
            dep, _frontend_note(dep, _from_analytic(dep, concurrency, lockstep, prefixed=prefixed))
        )
        record = _delayer_note(dep, record)
        return _cohort_note(dep, record) if lockstep else record
    assert traffic is not None  # built above for every simulated run
    run = _simulate(dep, traffic)
    record = _graph_note(dep, _frontend_note(dep, _from_simulation(dep, traffic, run)))
    return _lockstep_note(dep, traffic, run, record) if check_lockstep else record


def _fixed_closed_loop(traffic: Traffic) -> bool:
    """Whether ``traffic`` is a closed loop of fixed lengths (the traffic the analytic model covers)."""
    return (
        traffic.arrival == "closed_loop"
        and traffic.input_lengths.kind == "fixed"
        and traffic.output_lengths.kind == "fixed"
    )


def _delayer_note(dep: Deployment, record: PerformanceEstimate) -> PerformanceEstimate:
    """``record`` (analytic model) with a warning where SGLang's prefill delayer or TensorRT-LLM's attention-DP
    balance is on: the screen admits each attention group's prompts as they come, while the engine holds them until
    every group has one."""
    if dep.options.enable_prefill_delayer:
        what = "SGLang's prefill delayer (--enable-prefill-delayer)"
    elif dep.balances_ranks:
        what = "TensorRT-LLM's attention-DP balance (attention_dp_config.enable_balance)"
    else:
        return record
    note = (
        f"the analytic serving model does not model {what}: it admits each attention group's prompts as they "
        "arrive; serving_model='simulated' holds them until every group has one, as the engine does"
    )
    return attrs.evolve(record, warnings=(*record.warnings, note))


def _cohort_note(dep: Deployment, record: PerformanceEstimate) -> PerformanceEstimate:
    """``record`` (analytic model) with a warning where SGLang's identical requests move as one cohort whose
    prefill train sets TTFT (``analytic._sglang_cohort``): lengths that vary break the cohort up, and plan far
    shorter."""
    if dep.profile.scheduler != "sglang" or record.concurrency is None or dep.cached_prompt_tokens:
        return record
    clients = record.concurrency / dep.replicas
    steps = analytic.train_steps(dep, clients)
    if clients < 2 or steps < 2 or dep.output_length < 2:
        return record
    note = (
        f"SGLang prefills before it decodes: these identical requests ({clients:g} per replica) return "
        f"together and are prefilled in a train of {steps} steps, which sets TTFT; requests whose lengths "
        "vary (as --random-range-ratio 0.8 draws them) fall out of step and wait far less: give a traffic "
        "with drawn lengths to plan for that"
    )
    return attrs.evolve(record, warnings=(*record.warnings, note))


#: a simulated closed loop of fixed lengths is checked against the same loop with lengths drawn within this share
#: of them (``vllm bench serve --random-range-ratio``) where its clients sent requests in groups of at least
#: :data:`LOCKSTEP_GROUP` on average, and the two mean TTFTs are reported where they differ by
#: :data:`LOCKSTEP_TTFT_RATIO` or more
LOCKSTEP_RANGE_RATIO: Final = 0.05
LOCKSTEP_GROUP: Final = 2.0
LOCKSTEP_TTFT_RATIO: Final = 1.25


def _span(lengths: Lengths) -> str:
    return f"{lengths.low}-{lengths.high}"


def _lockstep_note(
    dep: Deployment, traffic: Traffic, run: SimulationResult, record: PerformanceEstimate
) -> PerformanceEstimate:
    """``record`` with a warning where its closed loop's identical requests moved in lockstep and that set TTFT.

    Requests of one length that were prefilled in the same step finish in the same step, so their clients send
    the next ones together and those are prefilled together again: the start-up burst's groups persist, and
    each waits out the others' prefill. Lengths that vary by a few percent break the groups up. Where the run's
    clients sent their requests in groups, the loop is run again with lengths drawn within
    :data:`LOCKSTEP_RANGE_RATIO` of the stated ones, and both mean TTFTs are reported where they differ much."""
    if not _fixed_closed_loop(traffic) or traffic.prefix is not None or run.send_group < LOCKSTEP_GROUP:
        return record
    assert traffic.concurrency is not None
    clients = traffic.concurrency / dep.replicas
    if clients < 2:
        return record
    ratio = LOCKSTEP_RANGE_RATIO
    inputs, outputs = traffic.input_lengths.low, traffic.output_lengths.low
    drawn = attrs.evolve(
        traffic,
        input_lengths=Lengths.vllm_random(inputs, ratio),
        output_lengths=Lengths.vllm_random(outputs, ratio),
    )
    try:
        varied = _simulate(dep, drawn)
    except ConfigExplorerError:  # the drawn lengths reach past max_model_len: no comparison
        return record
    fixed_ms, varied_ms = run.ttft_s.mean * 1e3, varied.ttft_s.mean * 1e3
    if max(fixed_ms, varied_ms) < LOCKSTEP_TTFT_RATIO * min(fixed_ms, varied_ms):
        return record
    how = (
        "SGLang prefills them before it decodes"
        if dep.profile.scheduler == "sglang"
        else "they are prefilled together"
    )
    note = (
        f"these identical requests were sent in groups of {run.send_group:,.1f} on average (requests that finish "
        f"in the same step return together) and {how}, which sets the mean TTFT of {fixed_ms:,.0f} ms; "
        f"with lengths that vary by +-{ratio:.0%} (vllm bench serve --random-range-ratio {ratio:g}) they fall "
        f"out of step and the mean TTFT is {varied_ms:,.0f} ms: give drawn lengths to plan for prompts that vary "
        f"(a Traffic of Lengths.vllm_random; the CLI's --input-dist {_span(drawn.input_lengths)} --output-dist "
        f"{_span(drawn.output_lengths)})"
    )
    return attrs.evolve(record, ttft_drawn_lengths_ms=varied_ms, warnings=(*record.warnings, note))


#: a padded decode batch running at least this multiple of its requests' rows is reported
PADDING_NOTE_SHARE: Final = 1.25


def _graph_note(dep: Deployment, record: PerformanceEstimate) -> PerformanceEstimate:
    """``record`` with a warning where the engine replays decode graphs only for the batch sizes it captured
    (TensorRT-LLM without ``cuda_graph_config.enable_padding``) and the run's batches reach sizes it did not
    capture, which run eagerly; or where it pads them and the run's batch pads by a quarter or more."""
    sizes = dep.profile.graph_batch_sizes
    groups = dep.costs.dp_attention
    running = record.concurrency / dep.replicas if record.concurrency else float(dep.max_num_seqs * groups)
    per_rank = min(running / groups, float(dep.max_num_seqs))
    padded = dep.profile.graph_padded_sizes
    if padded and per_rank >= 1:
        rows = next((size for size in padded if size >= math.ceil(per_rank)), 0)
        if rows >= PADDING_NOTE_SHARE * per_rank:
            note = (
                f"TensorRT-LLM pads a decode batch up to its next captured size: this run's ~{per_rank:,.0f} requests"
                f"{' a rank' if groups > 1 else ''} run as {rows:,} rows (+{rows / per_rank - 1:.0%} of the GEMM and "
                "expert work); finer captured sizes waste less, e.g. engine option cuda_graph_batch_sizes="
                f"{','.join(str(size) for size in trtllm_fine_padded_sizes(padded[-1]))} (TensorRT-LLM's every-64 set)"
            )
            return attrs.evolve(record, warnings=(*record.warnings, note))
    if not sizes:
        return record
    # the smallest batch with no graph of its own (the largest captured one where none is missing below it)
    first_gap = next((size for size in range(1, sizes[-1] + 1) if size not in sizes), sizes[-1])
    if per_rank <= first_gap:
        return record
    note = (
        f"TensorRT-LLM replays a decode CUDA graph only for a batch of exactly a captured size "
        f"({_size_runs(sizes)} requests{' a rank' if groups > 1 else ''}: cuda_graph_config without padding); "
        f"this run's batches reach {per_rank:,.0f}{' a rank' if groups > 1 else ''}, and every other size runs "
        "eagerly, its kernels issued from Python. Engine options cuda_graph_padding=true and "
        f"cuda_graph_max_batch_size={max(math.ceil(per_rank), sizes[-1])} (cuda_graph_config's enable_padding and "
        "max_batch_size) graph them all"
    )
    return attrs.evolve(record, warnings=(*record.warnings, note))


def _size_runs(sizes: tuple[int, ...]) -> str:
    """Sorted sizes as runs: (1, 2, 3, 32, 64) -> '1-3, 32 and 64'."""
    runs: list[str] = []
    start = prev = sizes[0]
    for size in (*sizes[1:], None):
        if size is not None and size == prev + 1:
            prev = size
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if size is not None:
            start = prev = size
    return runs[0] if len(runs) == 1 else f"{', '.join(runs[:-1])} and {runs[-1]}"


#: a replica streaming at least this share of its front end's most is reported as front-end bound
FRONTEND_BOUND_SHARE: Final = 0.9


def api_servers_for(rate_tok_s: float, token_us: float) -> int:
    """Front-end processes a replica needs to stream ``rate_tok_s`` output tokens per second with each under
    :data:`FRONTEND_BOUND_SHARE` of its most (``token_us``: one process's time per token, microseconds).

    The one rule behind both the front-end warning and the recommender's ``--api-server-count``."""
    if rate_tok_s <= 0 or token_us <= 0:
        return 1
    return max(1, math.ceil(rate_tok_s * token_us * 1e-6 / FRONTEND_BOUND_SHARE))


def _frontend_note(dep: Deployment, record: PerformanceEstimate) -> PerformanceEstimate:
    """``record`` with a warning when its replicas stream near what their front-end processes can."""
    per_token = dep.frontend_token_s
    rate = record.output_throughput_tok_s
    if not per_token or rate is None:
        return record
    most = 1.0 / per_token
    per_replica = rate / dep.replicas
    if per_replica < FRONTEND_BOUND_SHARE * most:
        return record
    processes = dep.frontend_processes or 1
    # the rate is held at what these processes stream, so it says how many the GPUs need at least
    wanted = max(processes + 1, api_servers_for(per_replica, dep.profile.frontend_token_us))
    note = (
        f"front-end bound: {processes} API-server process{'es' if processes > 1 else ''} "
        f"per replica can stream ~{most:,.0f} tok/s and this replica streams {per_replica:,.0f}; more "
        f"(--api-server-count {wanted} or more) let the GPUs go faster"
    )
    return attrs.evolve(record, warnings=(*record.warnings, note))


def _steady_cached_prefix(traffic: Traffic) -> tuple[float, int] | None:
    """The share of prompts the prefix cache serves a prefix to in steady state, and the prefix's length: the
    deployment counts it in its own blocks (``plan_deployment``'s ``cached_prefix``; the analytic model's
    approximation)."""
    prefix = traffic.prefix
    return None if prefix is None else (prefix.steady_hit_share, prefix.length)


def _smallest_fitting(
    arch: ModelArchitecture, gpu: GPUSpec, common: dict[str, Any], concurrency: int
) -> Deployment:
    """The smallest TP whose shard fits and whose KV cache holds the requests in flight.

    Past fitting, a larger TP leaves more KV room per replica but fewer replicas: the smallest TP
    that holds ``concurrency`` whole requests wins; when none does, the fitting one holding the most.
    When nothing fits, the largest TP tried (the closest to fitting) is returned.
    """
    num_gpus = int(common["num_gpus"])
    pp, ep, groups = int(common["pp"]), int(common["ep"]), int(common["dp_attention"])
    redundant = int(common["redundant_experts"])
    require_int_in("num_gpus", num_gpus, MAX_NUM_GPUS)
    per_stage = num_gpus // pp if num_gpus % pp == 0 else 0
    candidates = [
        t
        for t in range(1, per_stage + 1)
        if per_stage % t == 0 and check_layout(arch, num_gpus, t, pp, ep, groups, redundant) is None
    ]
    if not candidates:
        split = (f", ep={ep}" if ep > 1 else "") + (f", dp_attention={groups}" if groups > 1 else "")
        # the widest stage says what rules the split out (an ep that no stage width or expert count takes)
        why = check_layout(arch, num_gpus, per_stage, pp, ep, groups, redundant) if per_stage else None
        raise InvalidArgumentError(
            f"no tensor-parallel degree splits {arch.model_id} over {num_gpus} GPUs with pp={pp}{split} "
            f"({arch.num_attention_heads} attention heads, {arch.num_kv_heads} KV heads)"
            + (f": at tp={per_stage}, {why}" if why and (ep > 1 or groups > 1) else "")
        )
    fitting: list[Deployment] = []
    for t in candidates:
        dep = plan_deployment(arch, gpu, tp=t, **common)
        if dep.memory.fits:
            if dep.kv_limit_per_replica * dep.replicas >= concurrency:
                return dep
            fitting.append(dep)
    if fitting:
        return max(fitting, key=lambda d: d.kv_limit_per_replica * d.replicas)
    return dep


def _needs(dep: Deployment, common: dict[str, Any]) -> str:
    """What would make an unfit configuration fit: a larger TP, or 8-bit weights."""
    arch, gpu = dep.arch, dep.gpu
    hints = []
    for t in (2, 4, 8, 16, 32, 64):
        if t <= dep.tp or check_layout(arch, t, t, 1, dep.ep, dep.dp_attention, dep.costs.redundant_experts):
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
    """The record's fields that come from the deployment (computed once per deployment) and ``concurrency``."""
    fields = dep.memo.get("base_fields")
    if fields is None:
        fields = _deployment_fields(dep)
        dep.memo["base_fields"] = fields
    return {**fields, "concurrency": concurrency}


def _deployment_fields(dep: Deployment) -> dict[str, Any]:
    return {
        "model_id": dep.arch.model_id,
        "gpu": dep.gpu.name,
        "num_gpus": dep.num_gpus,
        "tp": dep.tp,
        "pp": dep.pp,
        "replicas": dep.replicas,
        "ep": dep.ep,
        "dp_attention": dep.dp_attention,
        "redundant_experts": dep.costs.redundant_experts,
        "nodes": -(-dep.num_gpus // dep.gpu.gpus_per_node),
        "two_batch_overlap": dep.two_batch_overlap,
        "api_server_count": dep.frontend_processes,
        "precision": dep.precision,
        "kv_precision": dep.kv_precision,
        "compute_precision": dep.compute_mode,
        "input_length": dep.input_length,
        "output_length": dep.output_length,
        "engine": dep.profile.name,
        "engine_release": dep.profile.version or None,
        "max_model_len": dep.max_model_len,
        "max_num_seqs": dep.max_num_seqs,
        "max_num_batched_tokens": dep.max_num_batched_tokens,
        **_option_fields(dep),
        "shared_experts": dep.costs.shared_experts.mode
        if dep.costs.shared_expert_kernels != (0, 0)
        else None,
        "memory_total_gib": dep.memory.total_gib,
        "memory_weights_gib": dep.memory.weights_gib,
        "memory_kv_capacity_gib": dep.memory.kv_capacity_gib,
        "memory_activations_gib": dep.memory.activations_gib,
        "memory_overhead_gib": dep.memory.overhead_gib,
        "memory_state_gib": dep.state_pool_gib,
        "memory_fraction": dep.memory.gpu_memory_utilization,
        "warnings": dep.warnings,
        **_speculative_fields(dep),
    }


def _option_fields(dep: Deployment) -> dict[str, Any]:
    """The options the deployment's engine has, at their values (its defaults unless stated; async
    scheduling as the deployment runs it, the release's default where it was not stated)."""
    fields = {name: getattr(dep.options, name) for name in options_of(dep.profile.name)}
    if "async_scheduling" in fields:
        fields["async_scheduling"] = dep.profile.async_scheduling
    if "enable_prefix_caching" in fields:  # as the deployment runs it, the release's default where not stated
        fields["enable_prefix_caching"] = dep.prefix_caching
    if "cuda_graph_max_bs" in fields:  # the limit the deployment runs with, stated or the engine's default
        fields["cuda_graph_max_bs"] = dep.profile.graph_max_tokens
    # vLLM V1's largest graphed step, stated or the release's default
    if "max_cudagraph_capture_size" in fields:
        graphed = not dep.profile.v0_chunk_tokens and dep.profile.graph_max_tokens > 0
        fields["max_cudagraph_capture_size"] = dep.profile.graph_max_tokens if graphed else None
    if "cuda_graph_max_batch_size" in fields:  # TensorRT-LLM's, likewise
        fields["cuda_graph_max_batch_size"] = dep.profile.graph_max_tokens
    if "moe_runner_backend" in fields:  # the runner the launch names, where the plan needs one
        fields["moe_runner_backend"] = dep.moe_runner_backend
    if "moe_backend" in fields:  # vLLM's, where the launch must name it
        fields["moe_backend"] = dep.moe_backend
    if "cudagraph_mode" in fields:  # the mode the deployment replays decode steps in, stated or the release's
        v1_graphs = not dep.profile.v0_chunk_tokens and not dep.options.enforce_eager
        graph_mode = "FULL_AND_PIECEWISE" if dep.profile.full_decode_graphs else "PIECEWISE"
        fields["cudagraph_mode"] = graph_mode if v1_graphs else None
    return fields


def _speculative_fields(dep: Deployment) -> dict[str, Any]:
    spec = dep.speculative
    if spec is None:
        return {}
    return {
        "speculative_method": spec.method,
        "num_speculative_tokens": spec.num_speculative_tokens,
        "tokens_per_decode_step": spec.tokens_per_step,
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
    ep: int,
    dp_attention: int,
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
        ep=ep,
        dp_attention=dp_attention,
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


def _deployment_figures(dep: Deployment) -> tuple[tuple[int, int, int], tuple[float, str]]:
    """Concurrency limits and prefill roofline: figures of the deployment alone, computed once.

    Computed whole, then published with one assignment of one immutable tuple, so threads sharing a
    cached deployment never see half of it (two threads may both compute it; they get equal values).
    """
    figures = dep.memo.get("figures")
    if figures is None:
        figures = (_concurrency_limits(dep, _low_load_e2e(dep)), _prefill_roofline(dep))
        dep.memo["figures"] = figures
    return figures


@functools.cache
def _stat_names(prefix: str, unit: str) -> tuple[str, str, str, str, str]:
    """The record's five field names of one statistic, interned: passed as keywords to the record's 120-argument
    ``__init__``, an interned name is matched to its parameter by identity, any other by comparing strings with every
    parameter name before it (half the time of the analytic screen's record)."""
    intern = sys.intern
    return (
        intern(f"{prefix}_{unit}"),
        intern(f"{prefix}_p50_{unit}"),
        intern(f"{prefix}_p90_{unit}"),
        intern(f"{prefix}_p95_{unit}"),
        intern(f"{prefix}_p99_{unit}"),
    )


def _put_stats(fields: dict[str, Any], prefix: str, stats: Stats | None, scale: float, unit: str) -> None:
    """``{prefix}_{unit}`` (the mean) and ``{prefix}_p50_{unit}`` ... from ``stats`` (seconds) times
    ``scale``, written into ``fields`` (None where there are no stats)."""
    mean, p50, p90, p95, p99 = _stat_names(prefix, unit)
    if stats is None:
        fields[mean] = fields[p50] = fields[p90] = fields[p95] = fields[p99] = None
        return
    fields[mean] = stats.mean * scale
    fields[p50] = stats.p50 * scale
    fields[p90] = stats.p90 * scale
    fields[p95] = stats.p95 * scale
    fields[p99] = stats.p99 * scale


def _record(
    dep: Deployment,
    *,
    serving_model: str,
    concurrency: int,
    ttft: Stats,
    itl: Stats | None,
    tpot: Stats | None,
    e2e: Stats,
    requests_per_s: float,
    input_tokens_per_request: float,
    output_tokens_per_request: float,
    decode_batch: float,
    kv_in_use_gib: float,
    decode_step: StepTime | None,
    extra: dict[str, Any],
) -> PerformanceEstimate:
    (kv_limit, prefill_limit, decode_limit), (prefill_ai, prefill_bound) = _deployment_figures(dep)
    memory_kv = min(kv_in_use_gib, dep.memory.kv_capacity_gib)
    used = (
        dep.memory.weights_gib
        + memory_kv
        + dep.state_pool_gib
        + dep.memory.activations_gib
        + dep.memory.overhead_gib
    )
    output_tps = requests_per_s * output_tokens_per_request
    input_tps = requests_per_s * input_tokens_per_request
    # one dict, filled in place: the record has ~85 fields and this is the analytic screen's hot path
    fields = _base_fields(dep, concurrency)
    fields.update(extra)
    for prefix, stats, scale, unit in (
        ("ttft", ttft, 1e3, "ms"),
        ("itl", itl, 1e3, "ms"),
        ("tpot", tpot, 1e3, "ms"),
        ("e2e_latency", e2e, 1.0, "s"),
    ):
        _put_stats(fields, prefix, stats, scale, unit)
    fields["serving_model"] = serving_model
    fields["output_throughput_tok_s"] = output_tps
    fields["input_throughput_tok_s"] = input_tps
    fields["requests_per_s"] = requests_per_s
    fields["output_throughput_tok_s_per_gpu"] = output_tps / dep.num_gpus
    fields["input_throughput_tok_s_per_gpu"] = input_tps / dep.num_gpus
    fields["hardware_ops_per_byte"] = dep.rates.peak_gemm_flops / dep.rates.peak_bandwidth
    fields["prefill_arithmetic_intensity"] = prefill_ai
    fields["decode_arithmetic_intensity"] = (
        None if decode_step is None else decode_step.flops / max(decode_step.bytes, 1.0)
    )
    fields["prefill_bound"] = prefill_bound
    fields["decode_bound"] = None if decode_step is None else decode_step.bound
    fields["memory_kv_cache_gib"] = memory_kv
    fields["memory_free_gib"] = max(dep.memory.total_gib - used, 0.0)
    fields["fits"] = True
    fields["decode_batch_per_replica"] = decode_batch
    fields["max_concurrency_kv"] = kv_limit
    fields["prefill_compute_limit"] = prefill_limit
    fields["decode_capacity_limit"] = decode_limit
    fields["theoretical_concurrency_limit"] = max(min(kv_limit, prefill_limit, decode_limit), 1)
    return PerformanceEstimate(**fields)


#: steady states kept per replica plan (the analytic screen's sweeps and searches ask for the same few again)
STEADY_STATES_KEPT: Final = 64


def _steady_state(dep: Deployment, per_replica: float, lockstep: bool) -> analytic.SteadyState:
    """:func:`analytic.solve` of one of ``dep``'s replicas, kept on that replica's plan: a deployment of several
    replicas shares it with the one-replica plan and every other copy of it (the recommender screens the same
    replica at the same per-replica load as one, two, four ... copies). Kept entries are immutable and published
    one assignment each, as :func:`_deployment_figures` publishes its figures."""
    one: Deployment = dep.memo.get("replica", dep)
    kept: dict[tuple[float, bool], analytic.SteadyState] | None = one.memo.get("steady")
    if kept is None:
        kept = one.memo.setdefault("steady", {})
    key = (per_replica, lockstep)
    steady = kept.get(key)
    if steady is None:
        steady = analytic.solve(one, per_replica, lockstep=lockstep)
        if len(kept) < STEADY_STATES_KEPT:
            kept[key] = steady
    return steady


def _from_analytic(
    dep: Deployment, concurrency: int, lockstep: bool = True, *, prefixed: bool = False
) -> PerformanceEstimate:
    """The analytic screen's record; ``prefixed``: the traffic shares prompt prefixes (the record then reports the
    share of prompt tokens served from cache, 0 where none is)."""
    steady = _steady_state(dep, concurrency / dep.replicas, lockstep)
    ttft = steady.ttft_stats()
    itl = steady.itl_stats()
    decode = (dep.output_length - 1) * (steady.itl_s or 0.0)
    e2e = ttft.shifted(decode)
    in_use = steady.decode_seqs * (
        dep.costs.kv_bytes(dep.input_length + dep.output_length / 2)
        + dep.costs.state_bytes_per_sequence * dep.state_pages
    )
    return _record(
        dep,
        serving_model="analytic",
        concurrency=concurrency,
        ttft=ttft,
        itl=itl,
        tpot=steady.tpot_stats(dep.output_length - 1),
        e2e=e2e,
        requests_per_s=steady.requests_per_s * dep.replicas,
        input_tokens_per_request=dep.input_length,
        output_tokens_per_request=dep.output_length,
        decode_batch=steady.decode_seqs,
        kv_in_use_gib=in_use / GIB,
        decode_step=None if steady.itl_s is None else steady.decode_step,
        extra={"prefix_cache_hit_rate": dep.cached_prompt_tokens / dep.input_length}
        if prefixed or dep.cached_prompt_tokens
        else {},
    )


def _served_prefix(dep: Deployment, traffic: Traffic) -> tuple[Traffic, bool]:
    """``traffic`` with its shared prefixes cut to what the deployment's prefix cache can serve of them
    (:meth:`~Deployment.served_prefix`), and whether any of them is served."""
    prefix = traffic.prefix
    if prefix is None:
        return traffic, dep.serves_prefixes
    served = dep.served_prefix(prefix.length)
    if served and served != prefix.length:
        traffic = attrs.evolve(traffic, prefix=attrs.evolve(prefix, length=served))
    return traffic, served > 0


def _simulate(dep: Deployment, traffic: Traffic) -> SimulationResult:
    """``traffic`` run through ``dep``'s scheduler, its shared prefixes cut to what the prefix cache serves."""
    traffic, served = _served_prefix(dep, traffic)
    config = dep.scheduler_config()
    if config.prefix_cache != served:
        config = attrs.evolve(config, prefix_cache=served)
    return simulate(dep.step_cost, config, traffic, dep.replicas)


def _from_simulation(dep: Deployment, traffic: Traffic, run: SimulationResult) -> PerformanceEstimate:
    if traffic.arrival == "closed_loop":
        assert traffic.concurrency is not None
        concurrency = traffic.concurrency
    else:  # requests in flight on average (Little's law)
        concurrency = max(round(run.requests_per_s * run.e2e_s.mean), 1)
    batch = run.mean_decode_batch
    decode_step = dep.step(batch, 0.0, 0.0) if run.itl_s is not None and batch > 0 else None
    capacity = dep.memory.kv_capacity_gib
    notes = []
    if run.preemptions:
        notes.append(
            f"the KV cache overflowed: {run.preemptions} preemptions (requests recomputed) during the run"
        )
    return _record(
        dep,
        serving_model="simulated",
        concurrency=concurrency,
        ttft=run.ttft_s,
        itl=run.itl_s,
        tpot=run.tpot_s,
        e2e=run.e2e_s,
        requests_per_s=run.requests_per_s,
        input_tokens_per_request=run.input_tokens_per_request,
        output_tokens_per_request=run.output_tokens_per_request,
        decode_batch=batch,
        kv_in_use_gib=run.peak_kv_fraction * capacity,
        decode_step=decode_step,
        extra={
            "arrival": traffic.arrival,
            "request_rate": traffic.request_rate,
            "num_requests": run.num_requests,
            "preemptions": run.preemptions,
            "prefix_cache_hit_rate": run.prefix_cache_hit_rate,
            "send_group": run.send_group if traffic.arrival == "closed_loop" else None,
            "warnings": (*dep.warnings, *notes),
        },
    )


def _low_load_e2e(dep: Deployment) -> float:
    """E2E of a lone request: its prefill, then ``O - 1`` steps at batch one."""
    prefill = dep.step(0.0, float(dep.input_length), 1.0).total_s
    return prefill + (dep.output_length - 1) * dep.step(1.0, 0.0, 0.0).total_s


def _prefill_roofline(dep: Deployment) -> tuple[float, str]:
    """Arithmetic intensity and bound of prefilling one prompt alone."""
    step = dep.step(0.0, float(dep.input_length), 1.0)
    kv_written = dep.costs.kv_bytes(dep.input_length)
    return step.flops / max(step.bytes + kv_written, 1.0), step.bound


def _concurrency_limits(dep: Deployment, e2e_low_load_s: float) -> tuple[int, int, int]:
    """(KV-cache limit, prefill-compute limit, decode-capacity limit), each for the whole deployment."""
    replicas = dep.replicas
    kv_limit = dep.kv_limit_per_replica * replicas
    budget = float(dep.step_token_budget)
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
    at a known batch. Decode steps read the KV cache at the mean context ``I + O / 2``. (The
    simulator runs the same scenario as an offline run of ``batch`` requests.)
    """
    require_positive_int("batch", batch)
    prompt_tokens = float(batch * dep.input_length)
    budget = float(max(dep.step_token_budget, dep.input_length))
    full_chunks = int(prompt_tokens // budget)
    remainder = prompt_tokens - full_chunks * budget
    prefill = full_chunks * dep.step(0.0, budget, budget / dep.input_length).total_s
    if remainder:
        prefill += dep.step(0.0, remainder, remainder / dep.input_length).total_s
    decode = (dep.output_length - 1) * dep.step(float(batch), 0.0, 0.0).total_s
    total = prefill + decode
    return StaticBatchResult(batch, prefill, total, batch * dep.output_length / total * dep.replicas)

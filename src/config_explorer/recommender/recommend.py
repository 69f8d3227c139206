"""recommend_gpus: enumerate GPU type x count x tensor-parallel layout, fit, estimate, rank.

For every GPU type and count up to ``max_gpus``, each valid tensor-parallel degree is tried
(the remaining GPUs become data-parallel replicas). A layout that does not fit in memory, or whose
best operating point misses the SLOs, is rejected with the reason. The rest are ranked by the
metric at their *operating point*:

* an explicit ``concurrency``, if given;
* else, for latency metrics, one request in flight (the best latency the layout can give);
* else the highest-throughput point of a concurrency sweep (1, 2, 4, ... 1024 and the KV-cache
  limit) that meets every SLO; with no SLO, the knee of that sweep (the smallest concurrency
  within 5% of the best throughput), so queueing does not masquerade as throughput.

With a target load (``target_requests_per_s`` or ``target_output_tok_s``), each candidate also
gets the number of copies of its layout needed to carry the load at its operating point, the GPU
total and cost per hour; ``metric="cost"`` ranks by that cost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs

from config_explorer import validation
from config_explorer._json import dumps_strict, finite_or_null
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture
from config_explorer.backends import Backend, EstimateRequest, get_backend, plan_request
from config_explorer.catalogs.gpus import GPUSpec, list_gpus
from config_explorer.engine.layout import valid_tp_degrees
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.engine.slo import SLOConstraint, check_slos
from config_explorer.engine.sweep import DEFAULT_LEVELS, optimal_concurrency
from config_explorer.engine.traffic import MAX_SIMULATED_REQUESTS
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError
from config_explorer.recommender.costs import GPUCosts
from config_explorer.recommender.performance import ModelLike, resolve_model
from config_explorer.recommender.serve_command import serve_commands

__all__ = ["METRICS", "Candidate", "RecommendationResult", "recommend_gpus"]

#: metric -> (record field, higher is better); aliases of the earlier tools included
METRICS: Final[dict[str, tuple[str, bool]]] = {
    "throughput": ("output_throughput_tok_s", True),
    "throughput_per_gpu": ("output_throughput_tok_s_per_gpu", True),
    "ttft": ("ttft_ms", False),
    "itl": ("itl_ms", False),
    "e2e_latency": ("e2e_latency_s", False),
    "latency": ("e2e_latency_s", False),
    "cost_per_hour": ("cost_per_hour_usd", False),
    "cost_per_million_tokens": ("cost_per_million_output_tokens_usd", False),
    "throughput_per_dollar": ("output_tok_s_per_usd_hour", True),
    "cost": ("cost_per_hour_for_target_usd", False),
    "fit": ("kv_headroom", True),
}
_LATENCY_METRICS = frozenset({"ttft", "itl", "e2e_latency", "latency"})
#: the leading candidates the native engine's simulator judges after its analytic screen ranked all
JUDGED_CANDIDATES: Final = 12


@attrs.frozen(kw_only=True)
class Candidate:
    """One layout of one GPU type: its operating-point estimate, costs, and why it was rejected if it was."""

    model_id: str
    gpu: str
    num_gpus: int
    tp: int
    pp: int = 1
    replicas: int = 1
    concurrency: int | None = None
    estimate: PerformanceEstimate | None = None
    fits: bool = False
    rejected_reason: str | None = None
    cost_per_gpu_hour_usd: float | None = None
    cost_per_hour_usd: float | None = None
    cost_per_million_output_tokens_usd: float | None = None
    output_tok_s_per_usd_hour: float | None = None
    copies_for_target: int | None = None
    total_gpus_for_target: int | None = None
    cost_per_hour_for_target_usd: float | None = None
    kv_headroom: float | None = None
    serve_commands: dict[str, str] = attrs.field(factory=dict, eq=False)
    rank: int | None = None

    def value(self, metric: str) -> float | None:
        field, _ = METRICS[metric]
        if hasattr(self, field):
            result: float | None = getattr(self, field)
            return result
        return None if self.estimate is None else getattr(self.estimate, field)

    def to_record(self) -> dict[str, Any]:
        """A flat dict (one row of a table, ready for ``pandas.DataFrame``)."""
        row: dict[str, Any] = {
            k: v
            for k, v in attrs.asdict(self, recurse=False).items()
            if k not in ("estimate", "serve_commands")
        }
        if self.estimate is not None:
            for key, value in self.estimate.to_dict().items():
                if key not in row and not isinstance(value, (list, tuple, dict)):
                    row[key] = value
            row["warnings"] = "; ".join(self.estimate.warnings)
        row["vllm_command"] = self.serve_commands.get("vllm")
        clean: dict[str, Any] = finite_or_null(row)
        return clean

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a non-finite figure is ``None`` with a ``<field>_note`` beside it."""
        data = attrs.asdict(self, recurse=False)
        data["estimate"] = self.estimate.to_dict() if self.estimate else None
        clean: dict[str, Any] = finite_or_null(data)
        return clean


@attrs.frozen(kw_only=True)
class RecommendationResult:
    """Ranked candidates for one model and workload, the rejected ones with reasons, and the settings used."""

    model_id: str
    input_length: int
    output_length: int
    metric: str
    constraints: tuple[SLOConstraint, ...]
    ranked: tuple[Candidate, ...]
    rejected: tuple[Candidate, ...]
    backend: str
    #: why ``backend="auto"`` chose the backend it did, when it fell back
    backend_note: str = ""
    target_requests_per_s: float | None = None
    target_output_tok_s: float | None = None
    cost_note: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None

    def to_records(self) -> list[dict[str, Any]]:
        return [c.to_record() for c in (*self.ranked, *self.rejected)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a non-finite figure is ``None`` with a ``<field>_note`` beside it."""
        return {
            "model_id": self.model_id,
            "input_length": self.input_length,
            "output_length": self.output_length,
            "metric": self.metric,
            "constraints": [str(c) for c in self.constraints],
            "backend": self.backend,
            "backend_note": self.backend_note,
            **finite_or_null(
                {
                    "target_requests_per_s": self.target_requests_per_s,
                    "target_output_tok_s": self.target_output_tok_s,
                }
            ),
            "cost_note": self.cost_note,
            "best": self.best.to_dict() if self.best else None,
            "ranked": [c.to_dict() for c in self.ranked],
            "rejected": [c.to_dict() for c in self.rejected],
        }

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON (``allow_nan=False``): a non-finite figure is written as ``null`` with a note."""
        return dumps_strict(self.to_dict(), **kwargs)

    def summary(self, top: int = 10) -> str:
        """A readable ranked table of the top candidates and a count of the rejected ones."""
        from config_explorer.reports import recommendation_table

        return recommendation_table(self, top=top)


def _per_type_caps(value: object) -> Callable[[str], int | None]:
    """``max_gpus_per_type`` checked: no cap, one cap for every GPU type, or a cap per GPU name."""
    if value is None:
        return lambda name: None
    if isinstance(value, int) and not isinstance(value, bool):
        cap = validation.search_gpus(value, "max_gpus_per_type")
        return lambda name: cap
    if isinstance(value, Mapping):
        caps = {
            validation.gpu(gpu, "each GPU in max_gpus_per_type").name: validation.search_gpus(
                count, f"max_gpus_per_type[{short_repr(gpu)}]"
            )
            for gpu, count in value.items()
        }
        return caps.get
    raise InvalidArgumentError(
        f"max_gpus_per_type must be None, an integer or a mapping of GPU name -> count, got {short_repr(value)}"
    )


def _operating_point(
    backend: Backend,
    request: EstimateRequest,
    metric: str,
    constraints: Sequence[SLOConstraint],
    concurrency: int | None,
    judge: bool = True,
) -> tuple[PerformanceEstimate, str | None]:
    """The estimate a candidate is judged at, and why it is rejected (or None).

    The native engine screens the concurrency sweep with its analytic model (microseconds a point) and
    then judges the chosen operating point with the simulator; a point the simulation shows missing an
    SLO gives way to the next best one the screen found.
    """
    native = backend.name == "native"
    if native:
        request = attrs.evolve(request, serving_model="analytic")
    judge = judge and native
    if concurrency is not None or metric in _LATENCY_METRICS:
        est = backend.estimate(attrs.evolve(request, concurrency=concurrency or 1))
        if not est.ok:
            return est, est.error or "does not fit"
        if judge:
            est = backend.estimate(
                attrs.evolve(request, concurrency=concurrency or 1, serving_model="simulated")
            )
        misses = check_slos(est, constraints)
        return est, ("misses SLO: " + "; ".join(misses)) if misses else None
    first = backend.estimate(attrs.evolve(request, concurrency=1))
    if not first.ok:
        return first, first.error or "does not fit"
    # sweep the concurrency each replica carries (1, 2, 4, ... 1024), plus the KV-cache limit, up to what
    # the simulator can judge (a short request's KV limit can be hundreds of thousands of sequences)
    replicas = max(first.replicas, 1)
    kv_limit = min(first.max_concurrency_kv or 1, replicas * MAX_SIMULATED_REQUESTS)
    levels = sorted({replicas * level for level in DEFAULT_LEVELS} | {kv_limit} | {1})
    points = [first]
    for c in levels[1:]:
        point = backend.estimate(attrs.evolve(request, concurrency=c))
        if not point.ok:
            break
        points.append(point)
        if point.max_concurrency_kv and c >= point.max_concurrency_kv:
            break
    meeting = [p for p in points if not check_slos(p, constraints)]
    if not meeting:
        return first, "misses SLO even at concurrency 1: " + "; ".join(check_slos(first, constraints))
    knee = optimal_concurrency(points)
    if constraints:
        ordered = sorted(meeting, key=lambda p: -(p.output_throughput_tok_s or 0.0))
    else:
        ordered = [next(p for p in points if p.concurrency == knee)]
    if not judge:
        return attrs.evolve(ordered[0], optimal_concurrency=knee), None
    missed: list[str] = []
    for screened in ordered[:_SIMULATED_TRIES]:
        judged = backend.estimate(
            attrs.evolve(request, concurrency=screened.concurrency, serving_model="simulated")
        )
        missed = check_slos(judged, constraints)
        if judged.ok and not missed:
            return attrs.evolve(judged, optimal_concurrency=knee), None
    return first, "missed SLO when simulated: " + "; ".join(missed)


#: operating points the simulator judges per candidate, best screened first
_SIMULATED_TRIES = 3


def _price(est: PerformanceEstimate | None, gpu: str, num_gpus: int, costs: GPUCosts) -> dict[str, Any]:
    per_gpu = costs.per_gpu_hour(gpu)
    if per_gpu is None:
        return {
            "cost_per_gpu_hour_usd": None,
            "cost_per_hour_usd": None,
            "cost_per_million_output_tokens_usd": None,
            "output_tok_s_per_usd_hour": None,
        }
    hourly = per_gpu * num_gpus
    tput = est.output_throughput_tok_s if est is not None else None
    return {
        "cost_per_gpu_hour_usd": per_gpu,
        "cost_per_hour_usd": hourly,
        "cost_per_million_output_tokens_usd": hourly / (tput * 3600) * 1e6 if tput else None,
        "output_tok_s_per_usd_hour": tput / hourly if tput else None,
    }


def _target(
    est: PerformanceEstimate,
    num_gpus: int,
    per_gpu_cost: float | None,
    rps: float | None,
    tok_s: float | None,
) -> dict[str, Any]:
    if rps is None and tok_s is None:
        return {}
    if rps is not None:
        have = est.requests_per_s or 0.0
        copies = math.ceil(rps / have - 1e-9) if have else None
    else:
        assert tok_s is not None
        have = est.output_throughput_tok_s or 0.0
        copies = math.ceil(tok_s / have - 1e-9) if have else None
    if copies is None:
        return {}
    copies = max(copies, 1)
    total = copies * num_gpus
    return {
        "copies_for_target": copies,
        "total_gpus_for_target": total,
        "cost_per_hour_for_target_usd": None if per_gpu_cost is None else total * per_gpu_cost,
    }


def recommend_gpus(
    model: ModelLike,
    input_length: int | None = None,
    output_length: int | None = None,
    gpus: Sequence[str | GPUSpec] | None = None,
    max_gpus: int = 8,
    max_gpus_per_type: Mapping[str, int] | int | None = None,
    metric: str = "throughput",
    constraints: str | Sequence[SLOConstraint] | None = None,
    max_ttft_ms: float | None = None,
    max_itl_ms: float | None = None,
    max_e2e_latency_s: float | None = None,
    gpu_costs: Mapping[str, float] | None = None,
    estimate_performance_flag: bool = True,
    backend: str | Backend = "auto",
    *,
    workload: str | None = None,
    num_gpus: int | None = None,
    concurrency: int | None = None,
    target_requests_per_s: float | None = None,
    target_output_tok_s: float | None = None,
    slo_percentile: str = "mean",
    precision: str | None = None,
    kv_precision: str | None = None,
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_model_len: int | None = None,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RecommendationResult:
    """Rank every GPU type x count x TP layout for ``model`` on a workload.

    ``workload`` names a preset (chat, rag, code, summarization) used when lengths are not given.
    ``num_gpus`` restricts the search to exactly that many GPUs (otherwise 1 ... ``max_gpus``).
    ``max_*`` bounds apply to ``slo_percentile`` (mean by default); ``constraints`` takes
    llm-optimizer's string syntax. ``progress(done, total)`` is called after each layout.
    ``max_model_len``, ``max_num_seqs`` and ``max_num_batched_tokens`` set the engine's limits (its own
    defaults otherwise). The native engine screens every layout with its analytic model and judges the
    leading ``JUDGED_CANDIDATES`` by simulating the scheduler; each record says which model produced it.

    Every argument is checked before any layout is tried (:mod:`config_explorer.validation`): an invalid
    one raises :class:`InvalidArgumentError` naming it, never a rejection of every layout.
    """
    # the argument boundary: everything checked (and made canonical) before any layout is tried
    input_length, output_length = validation.request_lengths(input_length, output_length, workload)
    max_gpus = validation.search_gpus(max_gpus)
    if num_gpus is not None:
        num_gpus = validation.search_gpus(num_gpus, "num_gpus")
        max_gpus = max(max_gpus, num_gpus)
    cap_of = _per_type_caps(max_gpus_per_type)
    metric = validation.text("metric", metric, ", ".join(METRICS)).lower().replace("-", "_")
    if metric not in METRICS:
        raise InvalidArgumentError(f"unknown metric {short_repr(metric)}; accepted: {', '.join(METRICS)}")
    target_requests_per_s = validation.target_requests_per_s(target_requests_per_s)
    target_output_tok_s = validation.target_output_tok_s(target_output_tok_s)
    if metric == "cost" and target_requests_per_s is None and target_output_tok_s is None:
        raise InvalidArgumentError("metric='cost' needs target_requests_per_s or target_output_tok_s")
    slos = tuple(
        validation.slo_constraints(constraints, max_ttft_ms, max_itl_ms, max_e2e_latency_s, slo_percentile)
    )
    gpu_costs = validation.gpu_costs(gpu_costs)
    estimate_performance_flag = validation.flag("estimate_performance_flag", estimate_performance_flag)
    if concurrency is not None:
        concurrency = validation.judged_concurrency(concurrency)
    engine = validation.engine(engine)
    precision = validation.precision(precision)
    kv_precision = validation.kv_precision(kv_precision, engine)
    gpu_memory_utilization = validation.gpu_memory_utilization(gpu_memory_utilization)
    checked_limits = validation.engine_limits(max_model_len, max_num_seqs, max_num_batched_tokens)
    progress = validation.callback("progress", progress)
    backend = validation.backend(backend)
    specs = validation.gpu_list(gpus) or list_gpus()
    validation.check_token_budget(checked_limits, engine, specs)
    arch = resolve_model(validation.model(model))
    validation.check_fits_model(arch, input_length, output_length, checked_limits["max_model_len"])
    costs = GPUCosts(gpu_costs)
    chosen = get_backend(backend, arch) if isinstance(backend, str) else backend

    plan: list[tuple[GPUSpec, int, int]] = []
    for spec in specs:
        cap = cap_of(spec.name)
        limit = max_gpus if cap is None else min(max_gpus, cap)
        counts = range(1, limit + 1) if num_gpus is None else [num_gpus] if num_gpus <= limit else []
        plan.extend((spec, n, tp) for n in counts for tp in valid_tp_degrees(arch, n))

    ranked: list[Candidate] = []
    rejected: list[Candidate] = []
    layout_of: dict[int, tuple[GPUSpec, int, int]] = {}

    def evaluate(spec: GPUSpec, count: int, tp: int, judge: bool) -> Candidate:
        return _evaluate(
            arch,
            spec,
            count,
            tp,
            chosen,
            metric,
            slos,
            concurrency,
            costs,
            estimate_performance_flag,
            input_length,
            output_length,
            precision,
            kv_precision,
            engine,
            gpu_memory_utilization,
            target_requests_per_s,
            target_output_tok_s,
            judge,
            limits,
        )

    limits = checked_limits

    # screen every layout (the native engine's analytic model), then judge the leaders by simulation
    for done, (spec, count, tp) in enumerate(plan, start=1):
        candidate = evaluate(spec, count, tp, judge=False)
        layout_of[id(candidate)] = (spec, count, tp)
        (ranked if candidate.rejected_reason is None else rejected).append(candidate)
        if progress is not None:
            progress(done, len(plan))

    field_metric = "fit" if not estimate_performance_flag else metric
    _, higher = METRICS[field_metric]

    def sort_key(c: Candidate) -> tuple[bool, float, int, float]:
        value = c.value(field_metric)
        # nine significant digits: copies of one layout tie exactly, so the tie-breaks below apply
        number = 0.0 if value is None else float(f"{(-value if higher else value):.9g}")
        if field_metric == "fit":  # cheap planning: fewest GPUs, then the most KV headroom
            return (False, float(c.num_gpus), 0, -(value or 0.0))
        # candidates the metric cannot be computed for (e.g. no price) go last; ties: fewer GPUs, cheaper
        return (value is None, number, c.num_gpus, c.cost_per_hour_usd or math.inf)

    ranked.sort(key=sort_key)
    if estimate_performance_flag and chosen.name == "native":
        leaders, rest = ranked[:JUDGED_CANDIDATES], ranked[JUDGED_CANDIDATES:]
        judged = [evaluate(*layout_of[id(c)], judge=True) for c in leaders]
        rejected.extend(c for c in judged if c.rejected_reason is not None)
        ranked = sorted([c for c in judged if c.rejected_reason is None], key=sort_key) + rest
    ranked.sort(key=sort_key)
    ranked = [attrs.evolve(c, rank=i) for i, c in enumerate(ranked, start=1)]
    return RecommendationResult(
        model_id=arch.model_id,
        input_length=input_length,
        output_length=output_length,
        metric=field_metric,
        constraints=slos,
        ranked=tuple(ranked),
        rejected=tuple(rejected),
        backend=chosen.name,
        backend_note=str(getattr(chosen, "reason", "")),
        target_requests_per_s=target_requests_per_s,
        target_output_tok_s=target_output_tok_s,
        cost_note=_cost_note(gpu_costs),
    )


def _cost_note(overrides: Mapping[str, float] | None) -> str:
    from config_explorer.recommender.costs import reference_costs

    ref = reference_costs()
    note = (
        f"Prices: reference {ref['currency']} {ref['unit']} as of {ref['as_of']}, public list prices that vary by "
        "provider (sources in gpu_costs.json); override with gpu_costs / --gpu-cost."
    )
    if overrides:
        note += f" Your prices for: {', '.join(sorted(overrides))}."
    return note


def _evaluate(
    arch: ModelArchitecture,
    spec: GPUSpec,
    count: int,
    tp: int,
    backend: Backend,
    metric: str,
    slos: Sequence[SLOConstraint],
    concurrency: int | None,
    costs: GPUCosts,
    estimate_flag: bool,
    input_length: int,
    output_length: int,
    precision: str | None,
    kv_precision: str | None,
    engine: str,
    gpu_memory_utilization: float | None,
    target_rps: float | None,
    target_tok_s: float | None,
    judge: bool = False,
    limits: Mapping[str, int | None] | None = None,
) -> Candidate:
    base: dict[str, Any] = {
        "model_id": arch.model_id,
        "gpu": spec.name,
        "num_gpus": count,
        "tp": tp,
        "replicas": count // tp,
    }
    request = EstimateRequest(
        arch=arch,
        gpu=spec,
        num_gpus=count,
        tp=tp,
        precision=precision,
        kv_precision=kv_precision,
        input_length=input_length,
        output_length=output_length,
        engine=engine,
        gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=(limits or {}).get("max_model_len"),
        max_num_seqs=(limits or {}).get("max_num_seqs"),
        max_num_batched_tokens=(limits or {}).get("max_num_batched_tokens"),
    )
    try:
        if not estimate_flag:
            dep = plan_request(request)
            if not dep.memory.fits:
                return Candidate(**base, rejected_reason=f"does not fit: {dep.memory.reason}")
            return Candidate(
                **base,
                fits=True,
                kv_headroom=float(dep.kv_limit_per_replica * dep.replicas),
                **_price(None, spec.name, count, costs),
            )
        est, reason = _operating_point(backend, request, metric, slos, concurrency, judge)
    except ConfigExplorerError as exc:
        return Candidate(**base, rejected_reason=str(exc))
    prices = _price(est, spec.name, count, costs)
    target = (
        _target(est, count, prices["cost_per_gpu_hour_usd"], target_rps, target_tok_s)
        if reason is None
        else {}
    )
    return Candidate(
        **base,
        concurrency=est.concurrency,
        estimate=est,
        fits=est.fits,
        rejected_reason=reason,
        kv_headroom=float(est.max_concurrency_kv or 0),
        serve_commands=serve_commands(arch, est, gpu_memory_utilization=gpu_memory_utilization)
        if reason is None
        else {},
        **prices,
        **target,
    )

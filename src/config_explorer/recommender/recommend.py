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
from typing import Any, Final, NamedTuple

import attrs

from config_explorer import validation
from config_explorer._json import dumps_strict, finite_or_null
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture
from config_explorer.backends import Backend, EstimateRequest, get_backend, plan_request
from config_explorer.catalogs.gpus import GPUSpec, list_gpus
from config_explorer.engine.calibration import efficiency_for_gpu, profile_for, trtllm_fine_padded_sizes
from config_explorer.engine.deployment import MAX_API_SERVERS
from config_explorer.engine.layout import GIB, check_layout, expert_layouts, valid_tp_degrees
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.records import PerformanceEstimate, layout_text, pool_texts
from config_explorer.engine.serving import api_servers_for
from config_explorer.engine.slo import SLOConstraint, check_slos
from config_explorer.engine.speculative import SpeculativeConfig
from config_explorer.engine.sweep import DEFAULT_LEVELS, optimal_concurrency
from config_explorer.engine.traffic import MAX_SIMULATED_REQUESTS, Lengths, SharedPrefix, Traffic
from config_explorer.engine.user_calibration import CalibrationProfile
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError
from config_explorer.recommender.calibrated import calibrated
from config_explorer.recommender.costs import GPUCosts
from config_explorer.recommender.disaggregated import DISAGGREGATED_PLANS_KEPT, search_disaggregated
from config_explorer.recommender.performance import (
    ModelLike,
    checked_calibration,
    native_only_features,
    resolve_model,
)
from config_explorer.recommender.serve_command import disaggregated_commands, serve_commands
from config_explorer.recommender.speculation import (
    checked_prefix,
    resolve_speculative,
    speculative_break_even,
)
from config_explorer.recommender.workloads import Workload, get_workload, merge_slos
from config_explorer.recommender.workloads import preset_prefix as workload_prefix

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
    "gpus_for_target": ("total_gpus_for_target", False),
    "fit": ("kv_headroom", True),
}
_LATENCY_METRICS = frozenset({"ttft", "itl", "e2e_latency", "latency"})
#: the leading candidates the native engine's simulator judges after its analytic screen ranked all
JUDGED_CANDIDATES: Final = 12
#: layouts go up to one node of GPUs unless ``max_gpus`` says otherwise
DEFAULT_MAX_GPUS: Final = 8
#: with a target load and no ``max_gpus``, the copies of a layout may take up to this many GPUs in all
DEFAULT_MAX_GPUS_FOR_TARGET: Final = 64
#: at most this many layouts of one GPU type are judged by simulation (its best is always judged)
JUDGED_PER_TYPE: Final = 3
#: a GPU type's leading layout is judged until one holds its place, up to this many layouts of the type
LEADERS_JUDGED_PER_TYPE: Final = 9


#: the share of a GPU's memory the weights may take when the search sizes a model too large for one node (the
#: rest: KV cache, activations and runtime; vLLM's default budget is 0.9 of it)
WEIGHT_SHARE_FOR_WIDENING: Final = 0.8


def fewest_nodes_holding(arch: ModelArchitecture, spec: GPUSpec, precision: str | None, cap: int) -> int:
    """The fewest whole nodes of ``spec`` whose memory holds ``arch``'s weights at ``precision`` with room to
    serve (:data:`WEIGHT_SHARE_FOR_WIDENING`), in GPUs, at most ``cap``; 0 where one node's worth or ``cap``'s
    cannot: the layout bound a search left to its default grows to it (DeepSeek-R1 on H100s: 16)."""
    per_gpu = spec.visible_memory_gib * GIB * WEIGHT_SHARE_FOR_WIDENING
    needed = math.ceil(arch.weight_bytes(precision) / per_gpu)
    if needed <= spec.gpus_per_node:
        return 0
    nodes = -(-needed // spec.gpus_per_node) * spec.gpus_per_node
    return nodes if nodes <= cap else 0


@attrs.frozen(kw_only=True)
class Candidate:
    """One layout of one GPU type: its operating-point estimate, costs, and why it was rejected if it was."""

    model_id: str
    gpu: str
    num_gpus: int
    tp: int
    pp: int = 1
    #: expert-parallel ranks and attention groups per stage (MoE layouts; 1 and 1: plain tensor parallel)
    ep: int = 1
    dp_attention: int = 1
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
    #: capacity of the copies for the target over the target, minus one (0.25: 25% spare)
    headroom_for_target: float | None = None
    #: what stops a higher operating point: an SLO (``tpot:p99<=40ms``), the KV cache, or None when the
    #: point was not searched (a given concurrency, a latency metric, no SLOs)
    binding_slo: str | None = None
    #: what lowers trust in this row (see :data:`CAVEATS`): calibration of the GPU family, how the GPUs
    #: are sold, traffic crossing nodes, an operating point bound by the KV cache, no price
    caveats: tuple[str, ...] = ()
    kv_headroom: float | None = None
    serve_commands: dict[str, str] = attrs.field(factory=dict, eq=False)
    rank: int | None = None

    @property
    def launch_command(self) -> str | None:
        """The launch command of the engine this candidate was estimated for (vLLM's when unknown)."""
        engine = (self.estimate.engine if self.estimate is not None else "vllm").split("==")[0]
        return self.serve_commands.get(engine) or self.serve_commands.get("vllm")

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
        row["caveats"] = "; ".join(self.caveats)
        row["vllm_command"] = self.serve_commands.get("vllm")
        row["launch_command"] = self.launch_command
        clean: dict[str, Any] = finite_or_null(row)
        return clean

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: a non-finite figure is ``None`` with a ``<field>_note`` beside it."""
        data = attrs.asdict(self, recurse=False)
        data["estimate"] = self.estimate.to_dict() if self.estimate else None
        clean: dict[str, Any] = finite_or_null(data)
        return clean

    def __repr__(self) -> str:
        """One line: the layout, its operating point and headline figures (``to_dict()`` has every field)."""
        est = self.estimate
        tput = est.output_throughput_tok_s if est is not None else None
        cost = self.cost_per_hour_usd
        head = (
            f"Candidate(rank={self.rank}, gpu={short_repr(self.gpu, 30)}, num_gpus={self.num_gpus}, tp={self.tp}, "
            f"pp={self.pp}, replicas={self.replicas}, concurrency={self.concurrency}"
        )
        if self.rejected_reason is not None:
            return f"{head}, rejected_reason={short_repr(self.rejected_reason, 90)})"
        return (
            f"{head}, output_throughput_tok_s={'None' if tput is None else f'{tput:.0f}'}, "
            f"cost_per_hour_usd={'None' if cost is None else f'{cost:.2f}'}, "
            f"binding_slo={short_repr(getattr(self, 'binding_slo', None), 40)})"
        )

    def _repr_html_(self) -> str:
        """A compact table for notebooks: layout, operating point, figures, costs, launch command."""
        import html

        def num(value: float | None, digits: int, unit: str = "") -> str:
            return "-" if value is None else f"{value:,.{digits}f}{unit}"

        est = self.estimate
        layout = f"{self.num_gpus} x {self.gpu}, " + layout_text(self.tp, self.pp, self.ep, self.dp_attention)
        rows = [
            ("rank", "-" if self.rank is None else str(self.rank)),
            ("layout", layout + (f", {self.replicas} replicas" if self.replicas > 1 else "")),
            ("concurrency", "-" if self.concurrency is None else str(self.concurrency)),
        ]
        if self.rejected_reason is not None:
            rows.append(("rejected", self.rejected_reason))
        if est is not None and est.ok:
            rows += [
                ("TTFT / ITL", f"{num(est.ttft_ms, 1, ' ms')} / {num(est.itl_ms, 2, ' ms')} (mean)"),
                (
                    "throughput",
                    f"{num(est.output_throughput_tok_s, 0)} out tok/s "
                    f"({num(est.output_throughput_tok_s_per_gpu, 0)} per GPU)",
                ),
            ]
        binding = getattr(self, "binding_slo", None)
        if binding:
            rows.append(("binding", str(binding)))
        rows.append(
            (
                "cost",
                f"{num(self.cost_per_hour_usd, 2)} $/h, {num(self.cost_per_million_output_tokens_usd, 3)} $/M out tok",
            )
        )
        if self.copies_for_target is not None:
            rows.append(
                (
                    "for the target",
                    f"{self.copies_for_target} copies, {self.total_gpus_for_target} GPUs, "
                    f"{num(self.cost_per_hour_for_target_usd, 2)} $/h",
                )
            )
        command = self.launch_command
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        if command:
            body += (
                "<tr><th style='text-align:left'>launch</th><td style='text-align:left'>"
                f"<code>{html.escape(command)}</code></td></tr>"
            )
        return f"<table><caption>{html.escape(f'Candidate: {self.model_id}')}</caption>{body}</table>"


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
    #: where the SLOs came from: the workload preset's defaults (and their source), the caller's, or both
    slo_note: str = ""
    #: the other ranked layouts of each GPU type (empty with ``all_layouts=True``, where ``ranked`` has all)
    other_layouts: tuple[Candidate, ...] = ()
    #: with speculative decoding: where it stops paying on the best layout (``speculative_break_even``)
    speculative_note: str = ""
    #: whether the workload preset's shared prompt prefixes were applied, and where they come from
    prefix_note: str = ""
    #: the shared prompt prefixes every estimate carried (the caller's or the preset's), if any
    prefix: SharedPrefix | None = None
    #: the speculative decoding every estimate ran with (the method's defaults resolved), if any
    speculative: SpeculativeConfig | None = None
    #: with ``disaggregated=True``: prefill/decode plans meeting the SLOs at the target load, cheapest
    #: first (each record's ``prefill_*`` / ``decode_replicas`` fields say its pools), and how the best
    #: compares with the best aggregated plan
    disaggregated: tuple[Candidate, ...] = ()
    disaggregation_note: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None

    def to_records(self) -> list[dict[str, Any]]:
        """One flat row per candidate: ranked, other layouts, rejected, then the disaggregated plans
        (``serving_model`` = ``"disaggregated"``, with their ``prefill_*`` / ``decode_replicas`` columns)."""
        rows = (*self.ranked, *self.other_layouts, *self.rejected, *self.disaggregated)
        return [c.to_record() for c in rows]

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
            "slo_note": self.slo_note,
            "speculative_note": self.speculative_note,
            "prefix_note": self.prefix_note,
            "prefix": attrs.asdict(self.prefix) if self.prefix else None,
            "speculative": attrs.asdict(self.speculative) if self.speculative else None,
            "best": self.best.to_dict() if self.best else None,
            "ranked": [c.to_dict() for c in self.ranked],
            "other_layouts": [c.to_dict() for c in self.other_layouts],
            "rejected": [c.to_dict() for c in self.rejected],
            "disaggregated": [c.to_dict() for c in self.disaggregated],
            "disaggregation_note": self.disaggregation_note,
        }

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON (``allow_nan=False``): a non-finite figure is written as ``null`` with a note."""
        return dumps_strict(self.to_dict(), **kwargs)

    def summary(self, top: int = 10) -> str:
        """A readable ranked table of the top candidates and a count of the rejected ones."""
        from config_explorer.reports import recommendation_table

        return recommendation_table(self, top=top)

    def __repr__(self) -> str:
        """One line: the question and the best answer (``summary()`` is the table, ``to_dict()`` everything)."""
        best = self.best
        answer = "None"
        if best is not None:
            tput = best.estimate.output_throughput_tok_s if best.estimate is not None else None
            answer = repr(
                f"{best.num_gpus} x {best.gpu} "
                + layout_text(best.tp, best.pp, best.ep, best.dp_attention).replace(" x PP", " PP")
                + ("" if tput is None else f", {tput:,.0f} tok/s")
            )
        return (
            f"RecommendationResult(model_id={short_repr(self.model_id, 60)}, input_length={self.input_length}, "
            f"output_length={self.output_length}, metric={self.metric!r}, constraints={len(self.constraints)}, "
            f"ranked={len(self.ranked)}, rejected={len(self.rejected)}, best={answer})"
        )

    def _repr_html_(self, top: int = 10) -> str:
        """A compact table for notebooks: the question, then the ``top`` ranked candidates."""
        import html

        def num(value: float | None, digits: int) -> str:
            return "-" if value is None else f"{value:,.{digits}f}"

        target = self.target_requests_per_s is not None or self.target_output_tok_s is not None
        headers = ["rank", "GPU", "GPUs", "TP", "PP", "conc", "TTFT ms", "ITL ms", "out tok/s", "tok/s/GPU"]
        headers += ["$/h", "$/M tok", "binding"] + (["GPUs for target", "$/h for target"] if target else [])
        rows = []
        for c in self.ranked[:top]:
            est = c.estimate
            cells = [
                "-" if c.rank is None else str(c.rank),
                c.gpu,
                str(c.num_gpus),
                str(c.tp),
                str(c.pp),
                "-" if c.concurrency is None else str(c.concurrency),
                num(est.ttft_ms if est else None, 1),
                num(est.itl_ms if est else None, 2),
                num(est.output_throughput_tok_s if est else None, 0),
                num(est.output_throughput_tok_s_per_gpu if est else None, 0),
                num(c.cost_per_hour_usd, 2),
                num(c.cost_per_million_output_tokens_usd, 3),
                str(getattr(c, "binding_slo", None) or "-"),
            ]
            if target:
                cells += ["-" if c.total_gpus_for_target is None else str(c.total_gpus_for_target)]
                cells += [num(c.cost_per_hour_for_target_usd, 2)]
            rows.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
        slos = ", ".join(str(c) for c in self.constraints) or "none"
        caption = html.escape(
            f"{self.model_id}: {self.input_length} in / {self.output_length} out, ranked by {self.metric}; "
            f"SLOs: {slos}"
        )
        more = len(self.ranked) - min(top, len(self.ranked))
        foot = html.escape(
            (f"{more} more ranked; " if more else "")
            + f"{len(self.rejected)} rejected (summary() and to_dict())"
        )
        head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
        return (
            f"<table><caption>{caption}</caption><tr>{head}</tr>{''.join(rows)}</table>"
            f"<p><small>{foot}</small></p>"
        )


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


@attrs.frozen
class _Point:
    """A candidate's operating point: the estimate it is judged at, why it is rejected (or None), and
    what stops a higher point (or None when no search was made)."""

    estimate: PerformanceEstimate
    reason: str | None = None
    binding: str | None = None


#: the SLO operating point is searched to within this share of its concurrency
OPERATING_POINT_TOLERANCE: Final = 0.02
#: simulated bisection steps when the simulator finds the screened point missing an SLO
_SIMULATED_STEPS: Final = 8


#: caveat -> (its mark in a table, what it means: the legend printed under a recommendation table)
CAVEATS: Final[dict[str, tuple[str, str]]] = {
    "calibration: partly measured": (
        "P",
        "the GPU family's kernel efficiencies are partly measured, partly taken from Hopper",
    ),
    "calibration: literature": (
        "L",
        "the GPU family's efficiencies come from published microbenchmarks, not measured here",
    ),
    "calibration: assumed": ("A", "the GPU family's efficiencies are assumed (older or unknown family)"),
    "tensor rates capped": (
        "C",
        "the GPU's tensor rates are an export cap: the family's kernel efficiencies, measured on uncapped parts, "
        "read its published runs with larger errors (the H20's held-out TTFT 49%, PERFORMANCE_ESTIMATION.md)",
    ),
    "not sold in this count": (
        "S",
        "this GPU is not rented or sold in this count (see the catalog's deployment block)",
    ),
    "spans nodes": (
        "N",
        "one replica spans more GPUs than a node or scale-up domain: its traffic crosses the network",
    ),
    "KV-bound": ("K", "the operating point is capped by the KV cache, not by an SLO"),
    "TTFT binds": (
        "T",
        "a TTFT SLO binds: TTFT is the estimate that scatters most against published runs, and their mean and "
        "p99 TTFTs run longer than estimated while medians agree (held-out errors by statistic in "
        "PERFORMANCE_ESTIMATION.md)",
    ),
    "expert parallel on vLLM/SGLang": (
        "E",
        "expert parallelism on vLLM or SGLang: published runs outside tuned recipes measured slower than "
        "estimated (PERFORMANCE_ESTIMATION.md)",
    ),
    "no price": ("$", "no reference price for this GPU: pass gpu_costs / --gpu-cost"),
}


def row_caveats(
    spec: GPUSpec,
    count: int,
    tp: int,
    pp: int,
    binding: str | None,
    priced: bool,
    *,
    engine: str = "",
    ep: int = 1,
) -> tuple[str, ...]:
    """What lowers trust in a candidate's row, as keys of :data:`CAVEATS`: ``engine`` (the engine profile's
    name) and ``ep`` (the expert-parallel size) say whether the row runs expert parallelism on an engine
    whose published expert-parallel runs outside tuned recipes read slower than the estimates."""
    found = []
    calibration = efficiency_for_gpu(spec.name, spec.family).calibration
    if calibration != "measured":
        found.append(f"calibration: {calibration}")
    if spec.tensor_rates_capped:
        found.append("tensor rates capped")
    if count not in spec.deployable_counts(count):
        found.append("not sold in this count")
    if tp * pp > max(spec.scale_up_domain, spec.gpus_per_node):
        found.append("spans nodes")
    if binding is not None and binding.startswith("capacity") and "KV" in binding:
        found.append("KV-bound")
    if binding is not None and binding.startswith("ttft"):
        found.append("TTFT binds")
    if ep > 1 and engine.split("==")[0] in ("vllm", "sglang"):
        found.append("expert parallel on vLLM/SGLang")
    if not priced:
        found.append("no price")
    return tuple(found)


#: pipeline-parallel degrees the search tries (each must divide the GPU count and the stages hold layers)
PIPELINE_DEGREES: Final = (1, 2, 4, 8)
#: the most pipeline stages the search tries inside one node past the GPUs' scale-up domain (past a node, every
#: degree): TensorRT-LLM's release-1.0 tables for the RTX PRO 6000 gain 1.37x from 4 to 8 stages of Llama-3.3-70B at
#: 1000/1000 where the engine says 1.86x, so eight stages in one node are left out of the search rather than ranked
#: on an estimate that reads them 8-75% fast (benchmarks/data/README.md section 20)
IN_NODE_PIPELINE_DEGREE: Final = 4
#: the ways of splitting a model the search can combine (``parallelism=``); tensor parallelism is always on
PARALLELISM: Final = ("tp", "pp", "ep", "dp-attention")


class Layout(NamedTuple):
    """How one replica is split: tensor and pipeline parallelism, and for MoE models the experts over
    ``ep`` ranks and attention in ``dp_attention`` groups of each stage (:mod:`config_explorer.engine.layout`)."""

    tp: int
    pp: int
    ep: int = 1
    dp_attention: int = 1


def deployment_layouts(
    arch: ModelArchitecture, spec: GPUSpec, count: int, parallelism: Sequence[str] = PARALLELISM
) -> list[Layout]:
    """The layouts of ``count`` GPUs of ``spec`` worth trying, with the kinds of ``parallelism`` allowed.

    Tensor parallelism inside one node or scale-up domain (its all-reduces stay off the network), the
    rest data-parallel replicas; beyond one node, pipeline stages of 2, 4 or 8 across nodes as well (a
    replica larger than a node). For MoE models, each such stage also with its experts over all its GPUs
    (``ep``) and that with attention data-parallel over them (``dp-attention``); and, past one node, one
    wide expert-parallel replica over all ``count`` GPUs with data-parallel attention, the layout of the
    large DeepSeek deployments (its attention never leaves a GPU; only the experts' token exchange
    crosses the network).
    """
    widest = max(spec.scale_up_domain, spec.gpus_per_node)
    # Past the GPUs' scale-up domain (every PCIe card's is one GPU, an NVLink bridge's two or four) tensor-parallel
    # all-reduces cross PCIe even inside a node, so pipeline stages inside one node are worth a try there (NVIDIA's
    # TensorRT-LLM tables for the RTX PRO 6000 are pipeline layouts), up to IN_NODE_PIPELINE_DEGREE of them
    in_node = spec.scale_up_domain < count <= widest
    layouts: list[Layout] = []
    for pp in PIPELINE_DEGREES:
        staged = count > widest or (in_node and pp <= IN_NODE_PIPELINE_DEGREE)
        if count % pp or pp > arch.num_layers or (pp > 1 and (not staged or "pp" not in parallelism)):
            continue
        for tp in valid_tp_degrees(arch, count, pp):
            if tp > widest:
                continue
            for ep, groups in expert_layouts(arch, tp):
                if (ep > 1 and "ep" not in parallelism) or (groups > 1 and "dp-attention" not in parallelism):
                    continue
                layouts.append(Layout(tp, pp, ep, groups))
    wide = Layout(count, 1, count, count)
    if (
        count > widest
        and {"ep", "dp-attention"} <= set(parallelism)
        and check_layout(arch, count, count, 1, count, count) is None
    ):
        layouts.append(wide)
    return layouts


def _binding(point: PerformanceEstimate | None, constraints: Sequence[SLOConstraint]) -> str:
    """What the first point above the operating point breaks: the tightest SLO it misses, or why it
    could not run (the KV cache, the simulator's bound)."""
    if point is None:
        return "none within the searched concurrency"
    if not point.ok:
        return f"capacity: {point.error or 'does not fit'}"
    missed = [
        (observed / c.value_ms, c)
        for c in constraints
        if c.violation(point) is not None and (observed := c.observed_ms(point)) is not None
    ]
    if not missed:
        return "none within the searched concurrency"
    return str(max(missed, key=lambda item: item[0])[1])


def _search(
    estimate_at: Callable[[int], PerformanceEstimate],
    constraints: Sequence[SLOConstraint],
    low: PerformanceEstimate,
    high: int,
    replicas: int,
    steps: int | None = None,
) -> tuple[PerformanceEstimate, PerformanceEstimate | None]:
    """Bisect the requests each replica carries between ``low`` (meets every SLO) and ``high`` (misses
    one, or cannot run) until they are within :data:`OPERATING_POINT_TOLERANCE`; the best point found
    and the first above it. ``estimate_at`` takes the concurrency of all replicas together."""
    above: PerformanceEstimate | None = None
    taken = 0
    lo, hi = low.concurrency // replicas, high // replicas
    while hi - lo > max(1, math.floor(OPERATING_POINT_TOLERANCE * lo)):
        if steps is not None and taken >= steps:
            break
        middle = (lo + hi) // 2
        point = estimate_at(middle * replicas)
        taken += 1
        if point.ok and not check_slos(point, constraints):
            low, lo = point, middle
        else:
            hi, above = middle, point
    return low, above


def _padded_trtllm_graphs(
    options: EngineOptions | None, engine: str, max_num_seqs: int | None
) -> EngineOptions | None:
    """TensorRT-LLM's PyTorch backend planned with its decode CUDA graphs padded up to the plan's batch, where the
    options leave ``cuda_graph_config`` open: the recommender sets the launch it prints, as NVIDIA's deployment
    guides do (``cuda_graph_config: enable_padding: true, max_batch_size: N``), rather than the server's default,
    which replays graphs only for batches of exactly 1-32, 64 or 128 (:func:`~config_explorer.engine.calibration.
    trtllm_decode_graphs`), captured at TensorRT-LLM's finer padded sizes (:func:`~config_explorer.engine.calibration.
    trtllm_fine_padded_sizes`) up to ``N``, the stated ``max_num_seqs``, else the engine's largest default batch; the
    launch command lists them up to the ``--max_batch_size`` it writes, as TensorRT-LLM captures none above it."""
    profile = profile_for(engine)
    stated = options or EngineOptions()
    if profile.name != "trtllm" or stated.tensorrt_engine or stated.graph_config_stated:
        return options
    largest = max_num_seqs or profile.max_num_seqs_large_gpu
    # the finer padded set (every 64 above 128), listed so that every release captures it: a coarse power-of-two
    # set would run a batch of 300 as 512 rows
    return attrs.evolve(
        stated, cuda_graph_padding=True, cuda_graph_batch_sizes=trtllm_fine_padded_sizes(largest)
    )


def _with_front_end(backend: Backend, request: EstimateRequest) -> EstimateRequest:
    """``request`` with as many front-end processes as its replica's fastest point streams through, where
    the engine's front end is modelled (vLLM's ``--api-server-count``) and the count is left to the plan:
    a planner starts that many, and the launch command says so. Screened once, at the most requests in
    flight a sweep tries (:data:`DEFAULT_LEVELS`), with the front end out of the way."""
    token_us = profile_for(request.engine).frontend_token_us
    if request.api_server_count is not None or not token_us:
        return request
    probe = backend.estimate(
        attrs.evolve(request, concurrency=max(DEFAULT_LEVELS), api_server_count=MAX_API_SERVERS)
    )
    rate = probe.output_throughput_tok_s
    if not probe.ok or not rate:
        return request
    needed = api_servers_for(rate / max(probe.replicas, 1), token_us)
    return request if needed <= request.dp_attention else attrs.evolve(request, api_server_count=needed)


#: a simulated Poisson point keeps up with its arrivals when it completes at least this share of their rate
KEEPS_UP_SHARE: Final = 0.9
#: where it does not, the point tried next is offered this share of what it completed
CAPACITY_MARGIN: Final = 0.95


def _kept_up(est: PerformanceEstimate, rate: float) -> PerformanceEstimate:
    """A simulated Poisson run's record at the rate it carries, or an error where it fell behind its arrivals.

    The simulator measures a Poisson run's steady state between its filling up and its draining, throughput as the
    completions in that window. A point that completes less than :data:`KEEPS_UP_SHARE` of the rate it is offered
    cannot carry it, whatever its latencies read over a finite run (its batch, then its queue, keeps growing); one
    that keeps up carries its arrivals' rate, which the window's count of completions reads within its noise."""
    if not est.ok or est.requests_per_s is None:
        return est
    if est.requests_per_s < KEEPS_UP_SHARE * rate:
        return attrs.evolve(
            est,
            error=(
                f"cannot keep up with {rate:.3g} requests/s: the simulation completes {est.requests_per_s:.3g} a "
                "second in steady state"
            ),
        )
    output, prompt = rate * est.output_length, rate * est.input_length
    return attrs.evolve(
        est,
        requests_per_s=rate,
        output_throughput_tok_s=output,
        input_throughput_tok_s=prompt,
        output_throughput_tok_s_per_gpu=output / est.num_gpus,
        input_throughput_tok_s_per_gpu=prompt / est.num_gpus,
    )


def _operating_point(
    backend: Backend,
    request: EstimateRequest,
    metric: str,
    constraints: Sequence[SLOConstraint],
    concurrency: int | None,
    judge: bool = True,
) -> _Point:
    """The estimate a candidate is judged at, why it is rejected (or None), and what binds.

    The native engine screens with its analytic model (microseconds a point) and judges the chosen
    operating point with the simulator. With SLOs the point is the most throughput that meets every
    one: a sweep of 1, 2, 4, ... requests per replica brackets it and a bisection narrows it to within
    2% of its concurrency; a point the simulation shows missing an SLO is searched again by simulation.
    """
    native = backend.name == "native"
    if native:
        # the screen takes arrivals at random, as the judge below has them (no synchronized cohorts)
        request = _with_front_end(backend, attrs.evolve(request, serving_model="analytic", lockstep=False))
    judge = judge and native

    def screen(c: int) -> PerformanceEstimate:
        return backend.estimate(attrs.evolve(request, concurrency=c))

    def simulate(c: int) -> PerformanceEstimate:
        # A deployment's users arrive at random, not as a benchmark's synchronized clients (whose
        # fixed-length requests start, finish and re-send together, so their prompts always prefill as
        # one burst): judge the point as Poisson arrivals at the rate the screen gives for ``c`` in flight
        rate = screen(c).requests_per_s
        if not rate:
            return screen(c)
        traffic = Traffic(
            input_lengths=Lengths.fixed(request.input_length),
            output_lengths=Lengths.fixed(request.output_length),
            arrival="poisson",
            request_rate=rate,
        )
        judged = backend.estimate(
            attrs.evolve(request, concurrency=c, serving_model="simulated", traffic=traffic)
        )
        return _kept_up(judged, rate)

    if concurrency is not None or metric in _LATENCY_METRICS:
        est = screen(concurrency or 1)
        if not est.ok:
            return _Point(est, est.error or "does not fit")
        if judge:
            est = simulate(concurrency or 1)
        misses = check_slos(est, constraints)
        return _Point(est, ("misses SLO: " + "; ".join(misses)) if misses else None)
    first = screen(1)
    if not first.ok:
        return _Point(first, first.error or "does not fit")
    # sweep the concurrency each replica carries (1, 2, 4, ... 1024), plus the KV-cache limit, up to what
    # the simulator can judge (a short request's KV limit can be hundreds of thousands of sequences)
    # every replica carries the same share, so copies of a layout have the same per-GPU figures
    replicas = max(first.replicas, 1)
    kv_limit = min(first.max_concurrency_kv or 1, replicas * MAX_SIMULATED_REQUESTS)
    kv_share = max(kv_limit // replicas, 1) * replicas
    levels = sorted({replicas * level for level in DEFAULT_LEVELS} | {kv_share} | {1})
    points = [first]
    stopped: PerformanceEstimate | None = None
    for c in levels[1:]:
        point = screen(c)
        if not point.ok:
            stopped = point
            break
        points.append(point)
        if point.max_concurrency_kv and c >= point.max_concurrency_kv:
            break
    knee = optimal_concurrency(points)
    if not constraints:
        # no latency to judge: the knee of the closed-loop throughput curve, simulated as a closed loop
        chosen = next(p for p in points if p.concurrency == knee)
        if judge:
            # (its throughput, not its TTFT, is judged: no second run to compare lockstep with drawn lengths)
            chosen = backend.estimate(
                attrs.evolve(
                    request, concurrency=chosen.concurrency, serving_model="simulated", check_lockstep=False
                )
            )
        return _Point(attrs.evolve(chosen, optimal_concurrency=knee))
    meeting = [p for p in points if not check_slos(p, constraints)]
    if not meeting:
        return _Point(first, "misses SLO even at concurrency 1: " + "; ".join(check_slos(first, constraints)))
    best = max(meeting, key=lambda p: (p.output_throughput_tok_s or 0.0, -p.concurrency))
    above = next((p for p in points if p.concurrency > best.concurrency), stopped)
    if above is not None:
        # (a bisection with nothing left to try between the two keeps the level above as what binds)
        best, searched = _search(screen, constraints, best, above.concurrency, replicas)
        above = searched or above
    binding = _binding(above, constraints)
    if above is None and best.max_concurrency_kv and best.concurrency >= best.max_concurrency_kv:
        binding = f"capacity: the KV cache holds {best.max_concurrency_kv:,} sequences"
    if not judge:
        return _Point(attrs.evolve(best, optimal_concurrency=knee), None, binding)
    judged = simulate(best.concurrency)
    if judged.ok and not check_slos(judged, constraints):
        return _Point(attrs.evolve(judged, optimal_concurrency=knee), None, binding)
    if not judged.ok and judged.fits and judged.requests_per_s:
        # it fell behind its arrivals, having measured what it completes: try first the screened point whose rate
        # is a margin under that
        target = CAPACITY_MARGIN * judged.requests_per_s
        lo, hi = 1, max(best.concurrency // replicas - 1, 1)
        while lo < hi:
            middle = (lo + hi + 1) // 2
            rate = screen(middle * replicas).requests_per_s or 0.0
            lo, hi = (middle, hi) if rate <= target else (lo, middle - 1)
        tried = simulate(lo * replicas)
        if tried.ok and not check_slos(tried, constraints):
            return _Point(attrs.evolve(tried, optimal_concurrency=knee), None, _binding(judged, constraints))
    # the screen was optimistic here: search again below it, by simulation
    low = simulate(replicas)
    if not low.ok or check_slos(low, constraints):
        missed = check_slos(low, constraints) if low.ok else [low.error or "does not fit"]
        return _Point(
            first, "missed SLO when simulated, even at one request per replica: " + "; ".join(missed)
        )
    found, above = _search(simulate, constraints, low, best.concurrency, replicas, steps=_SIMULATED_STEPS)
    return _Point(attrs.evolve(found, optimal_concurrency=knee), None, _binding(above or judged, constraints))


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
    wanted = rps if rps is not None else tok_s
    assert wanted is not None
    return {
        "copies_for_target": copies,
        "total_gpus_for_target": total,
        "cost_per_hour_for_target_usd": None if per_gpu_cost is None else total * per_gpu_cost,
        "headroom_for_target": copies * have / wanted - 1.0,
    }


def recommend_gpus(
    model: ModelLike,
    input_length: int | None = None,
    output_length: int | None = None,
    gpus: Sequence[str | GPUSpec] | None = None,
    max_gpus: int | None = None,
    max_gpus_per_type: Mapping[str, int] | int | None = None,
    metric: str | None = None,
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
    all_layouts: bool = False,
    default_slos: bool = True,
    speculative: SpeculativeConfig | str | None = None,
    prefix: SharedPrefix | None = None,
    calibration: CalibrationProfile | Sequence[CalibrationProfile] | None = None,
    preset_prefix: bool = True,
    parallelism: Sequence[str] | str | None = None,
    disaggregated: bool = False,
    engine_options: Mapping[str, int | float] | None = None,
    expert_popularity_cv: float | None = None,
) -> RecommendationResult:
    """Rank every GPU type x count x TP layout for ``model`` on a workload.

    With no ``metric`` it answers the planner's question: the cheapest deployment that meets the SLOs,
    ranked by cost per million output tokens at each layout's best operating point within the SLOs (with
    a target load, by the hourly cost of carrying it); where no GPU has a price, by GPUs needed (with a
    target) or throughput per GPU. ``workload`` names a preset (chat, rag, code, summarization) whose
    lengths are used when none are given and whose default SLOs (``WORKLOADS[name].slos``, from MLPerf
    Inference's server scenarios) apply unless ``default_slos=False``; a bound you give on a metric
    replaces the preset's on that metric. A preset's shared prompt prefixes (the chat preset's: ``vllm
    bench serve``'s ``prefix_repetition`` defaults) apply when the preset sets the prompt length, no
    ``prefix`` is given and the backend is the native engine, unless ``preset_prefix=False``; the
    result's ``prefix_note`` says which. One row per GPU type (its best layout) is ranked; the others
    are in ``other_layouts``, or all in ``ranked`` with ``all_layouts=True``.
    ``num_gpus`` restricts the search to exactly that many GPUs (otherwise 1 ... ``max_gpus``).
    ``max_gpus`` bounds each layout and, with a target load, the GPUs the load takes in all; left out,
    layouts go up to one node (:data:`DEFAULT_MAX_GPUS`), or for a GPU type one node of which cannot hold the
    weights up to the fewest whole nodes that can (:func:`fewest_nodes_holding`), and a target load may take up
    to :data:`DEFAULT_MAX_GPUS_FOR_TARGET` GPUs (copies of those layouts).
    ``max_*`` bounds apply to ``slo_percentile`` (mean by default); ``constraints`` takes
    llm-optimizer's string syntax. ``progress(done, total)`` is called after each layout.
    ``max_model_len``, ``max_num_seqs`` and ``max_num_batched_tokens`` set the engine's limits (its own
    defaults otherwise). The native engine screens every layout with its analytic model and judges the
    leading ``JUDGED_CANDIDATES`` by simulating the scheduler; each record says which model produced it.
    ``calibration`` (profiles from ``config-explorer calibrate``) rescales every estimate of a GPU type
    the profile was measured on, before the SLOs judge it; other GPU types are left as estimated.
    ``parallelism`` names the ways of splitting the model the search combines (``PARALLELISM``:
    ``tp``, ``pp``, ``ep``, ``dp-attention``; a list or a comma-separated string; all by default): for a
    MoE model the native engine also tries experts split over ranks and data-parallel attention
    (:func:`deployment_layouts`); other backends try tensor and pipeline parallelism only.
    ``disaggregated=True`` (native engine, with a target load) also searches disaggregated plans, prefill
    and decode on separate pools of those layouts (:mod:`config_explorer.recommender.disaggregated`):
    ``result.disaggregated`` ranks them and ``result.disaggregation_note`` compares the best with the
    best aggregated plan in GPUs and $/h for the same load. ``engine_options`` sets the engine's options
    by the engine's own names (SGLang's ``scheduler_recv_interval``, TensorRT-LLM's
    ``batch_wait_timeout_iters`` and ``batch_wait_max_tokens_ratio``, vLLM's ``async_scheduling`` and
    ``enforce_eager``; native engine, aggregated plans; :mod:`config_explorer.engine.options`): every
    layout is estimated, and its launch command written, with them. Left open, TensorRT-LLM's decode graphs are
    planned padded up to the batch (``cuda_graph_padding``), as the launch command then states.
    ``expert_popularity_cv`` (MoE, native engine) is how unevenly the traffic's tokens spread over the experts
    (default :data:`~config_explorer.engine.calibration.EXPERT_POPULARITY_CV`; 0 plans for uniform routing, which
    reads the most experts a step).

    Every argument is checked before any layout is tried (:mod:`config_explorer.validation`): an invalid
    one raises :class:`InvalidArgumentError` naming it, never a rejection of every layout.
    """
    # the argument boundary: everything checked (and made canonical) before any layout is tried
    input_length, output_length = validation.request_lengths(input_length, output_length, workload)
    widen = max_gpus is None and num_gpus is None  # the default bound may grow for a model a node cannot hold
    total_cap = DEFAULT_MAX_GPUS_FOR_TARGET if max_gpus is None else None
    max_gpus = validation.search_gpus(DEFAULT_MAX_GPUS if max_gpus is None else max_gpus)
    total_cap = max_gpus if total_cap is None else total_cap
    if num_gpus is not None:
        num_gpus = validation.search_gpus(num_gpus, "num_gpus")
        max_gpus = max(max_gpus, num_gpus)
    cap_of = _per_type_caps(max_gpus_per_type)
    if metric is not None:
        metric = validation.text("metric", metric, ", ".join(METRICS)).lower().replace("-", "_")
        if metric not in METRICS:
            raise InvalidArgumentError(f"unknown metric {short_repr(metric)}; accepted: {', '.join(METRICS)}")
    target_requests_per_s = validation.target_requests_per_s(target_requests_per_s)
    target_output_tok_s = validation.target_output_tok_s(target_output_tok_s)
    has_target = target_requests_per_s is not None or target_output_tok_s is not None
    if metric in ("cost", "gpus_for_target") and not has_target:
        raise InvalidArgumentError(f"metric={metric!r} needs target_requests_per_s or target_output_tok_s")
    given = tuple(
        validation.slo_constraints(constraints, max_ttft_ms, max_itl_ms, max_e2e_latency_s, slo_percentile)
    )
    all_layouts = validation.flag("all_layouts", all_layouts)
    default_slos = validation.flag("default_slos", default_slos)
    preset = get_workload(workload) if workload is not None and default_slos else None
    slos = merge_slos(preset.slos, given) if preset is not None else given
    slo_note = _slo_note(preset, given, slos)
    gpu_costs = validation.gpu_costs(gpu_costs)
    estimate_performance_flag = validation.flag("estimate_performance_flag", estimate_performance_flag)
    if concurrency is not None:
        concurrency = validation.judged_concurrency(concurrency)
    engine = validation.engine(engine)
    options = validation.engine_options(engine_options, engine)
    popularity_cv = validation.expert_popularity_cv(expert_popularity_cv)
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
    # speculative decoding and shared prefixes travel on every estimate request (native engine)
    drafting, given_prefix = (
        resolve_speculative(speculative, arch, engine),
        checked_prefix(prefix, input_length),
    )
    preset_prefix = validation.flag("preset_prefix", preset_prefix)
    splits = validation.parallelism(parallelism, PARALLELISM)
    disaggregated = validation.flag("disaggregated", disaggregated)
    if disaggregated and options is not None and options.stated():
        raise InvalidArgumentError(
            f"engine_options {options.stated()} are modelled for aggregated serving only; the disaggregated "
            "search does not apply them: leave them out, or disaggregated=False"
        )
    if disaggregated and not has_target:
        raise InvalidArgumentError(
            "disaggregated=True sizes prefill and decode pools for a load: give target_requests_per_s or "
            "target_output_tok_s"
        )
    costs = GPUCosts(gpu_costs)
    chosen = (
        get_backend(backend, arch, native_only_features(drafting, given_prefix, {"engine_options": options}))
        if isinstance(backend, str)
        else backend
    )
    # a preset's own prefixes ride along only where the chosen backend models them
    shared, prefix_note = workload_prefix(
        workload, input_length, given_prefix, use_preset=preset_prefix, backend_name=chosen.name
    )
    if chosen.name == "native":
        options = _padded_trtllm_graphs(options, engine, checked_limits["max_num_seqs"])
    features = {
        "speculative": drafting,
        "prefix": shared,
        "engine_options": options,
        "expert_popularity_cv": popularity_cv,
    }
    # a calibration rescales every estimate the screen, the sweep and the judge see (GPU type by GPU type)
    chosen = calibrated(chosen, checked_calibration(calibration))
    if metric is None:
        priced = any(costs.per_gpu_hour(spec.name) is not None for spec in specs)
        if priced:
            metric = "cost" if has_target else "cost_per_million_tokens"
        else:
            metric = "gpus_for_target" if has_target else "throughput_per_gpu"

    if chosen.name != "native":  # only the native engine models experts over ranks or attention groups
        splits = tuple(s for s in splits if s not in ("ep", "dp-attention"))
        if disaggregated:
            raise InvalidArgumentError(
                f"disaggregated=True needs the native engine, which models prefill and decode pools; backend "
                f"{chosen.name!r} cannot: use backend='native' (or 'auto' without llm-optimizer)"
            )
    plan: list[tuple[GPUSpec, int, Layout]] = []
    for spec in specs:
        cap = cap_of(spec.name)
        limit = max_gpus if cap is None else min(max_gpus, cap)
        if widen and cap is None:
            limit = max(limit, fewest_nodes_holding(arch, spec, precision, total_cap))
        counts = (
            spec.deployable_counts(limit) if num_gpus is None else [num_gpus] if num_gpus <= limit else []
        )
        plan.extend((spec, n, layout) for n in counts for layout in deployment_layouts(arch, spec, n, splits))

    ranked: list[Candidate] = []
    rejected: list[Candidate] = []
    layout_of: dict[int, tuple[GPUSpec, int, Layout]] = {}

    def evaluate(spec: GPUSpec, count: int, layout: Layout, judge: bool) -> Candidate:
        return _evaluate(
            arch,
            spec,
            count,
            layout,
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
            total_cap,
            features,
        )

    limits = checked_limits

    # screen every layout (the native engine's analytic model), then judge the leaders by simulation
    for done, (spec, count, layout) in enumerate(plan, start=1):
        candidate = evaluate(spec, count, layout, judge=False)
        layout_of[id(candidate)] = (spec, count, layout)
        (ranked if candidate.rejected_reason is None else rejected).append(candidate)
        if progress is not None:
            progress(done, len(plan))

    field_metric = "fit" if not estimate_performance_flag else metric
    _, higher = METRICS[field_metric]

    # what ranks the rows the metric has no value for (a GPU without a price, ranked by cost): the metric chosen
    # where no GPU has a price, so that such a GPU's rows still lead with its best layout
    unpriced_metric = "gpus_for_target" if has_target else "throughput_per_gpu"
    _, unpriced_higher = METRICS[unpriced_metric]

    def sort_key(c: Candidate) -> tuple[bool, float, int, float, float]:
        value = c.value(field_metric)
        if field_metric == "fit":  # cheap planning: fewest GPUs, then the most KV headroom
            return (False, float(c.num_gpus), 0, -(value or 0.0), 0.0)
        missing = value is None
        if missing:
            value, higher_here = c.value(unpriced_metric), unpriced_higher
        else:
            higher_here = higher
        # nine significant digits: copies of one layout tie exactly, so the tie-breaks below apply
        number = 0.0 if value is None else float(f"{(-value if higher_here else value):.9g}")
        # candidates the metric cannot be computed for (e.g. no price) go last; ties: fewer GPUs, cheaper,
        # then (with a target load) the most spare capacity at that cost
        return (
            missing,
            number,
            c.num_gpus,
            c.cost_per_hour_usd or math.inf,
            -(c.headroom_for_target or 0.0),
        )

    ranked.sort(key=sort_key)
    if estimate_performance_flag and chosen.name == "native":
        # judge by simulation until the leaders, and each GPU type's best, were all simulated: a judged
        # candidate can fall below screened ones, which must then be judged in turn
        judged_ids: set[int] = set()
        judged_per_type: dict[str, int] = {}
        while True:
            types: set[str] = set()
            pending = []
            for position, c in enumerate(ranked):
                first_of_type = c.gpu not in types
                types.add(c.gpu)
                within = judged_per_type.get(c.gpu, 0) < JUDGED_PER_TYPE
                # a type's leading row is simulated (up to LEADERS_JUDGED_PER_TYPE tries): a screened figure
                # does not head its type while simulations that could replace it are left
                leader = first_of_type and judged_per_type.get(c.gpu, 0) < LEADERS_JUDGED_PER_TYPE
                if id(c) not in judged_ids and (leader or (within and position < JUDGED_CANDIDATES)):
                    pending.append(c)
                    judged_per_type[c.gpu] = judged_per_type.get(c.gpu, 0) + 1
            if not pending:
                break
            waiting = {id(c) for c in pending}
            ranked = [c for c in ranked if id(c) not in waiting]
            for c in pending:
                result = evaluate(*layout_of[id(c)], judge=True)
                layout_of[id(result)] = layout_of[id(c)]
                judged_ids.add(id(result))
                (ranked if result.rejected_reason is None else rejected).append(result)
            ranked.sort(key=sort_key)
        if not ranked and has_target:
            rejected, ranked = _judge_fewest_capped(
                rejected, layout_of, lambda c: evaluate(*layout_of[id(c)], judge=True)
            )
    ranked.sort(key=sort_key)
    others: list[Candidate] = []
    if not all_layouts:
        seen: set[str] = set()
        kept: list[Candidate] = []
        for c in ranked:
            (others if c.gpu in seen else kept).append(c)
            seen.add(c.gpu)
        ranked = kept
    ranked = [attrs.evolve(c, rank=i) for i, c in enumerate(ranked, start=1)]
    split_plans: tuple[Candidate, ...] = ()
    split_note = ""
    if disaggregated:
        rate = target_requests_per_s or (target_output_tok_s or 0.0) / output_length
        split_plans, split_note = _disaggregated_plans(
            arch,
            specs,
            rate,
            input_length,
            output_length,
            slos,
            max_gpus,
            total_cap,
            costs,
            splits,
            {
                "engine": engine,
                "precision": precision,
                "kv_precision": kv_precision,
                "gpu_memory_utilization": gpu_memory_utilization,
                "max_num_seqs": checked_limits["max_num_seqs"],
                "max_num_batched_tokens": checked_limits["max_num_batched_tokens"],
                "speculative": drafting,
                "prefix": shared,
                "expert_popularity_cv": popularity_cv,
                # TensorRT-LLM's pools with their decode graphs padded, as the aggregated plans run them
                "engine_options": _padded_trtllm_graphs(None, engine, checked_limits["max_num_seqs"]),
            },
            ranked[0] if ranked else None,
        )
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
        slo_note=slo_note,
        other_layouts=tuple(others),
        speculative_note=_speculative_note(
            arch, ranked[0] if ranked else None, features, input_length, output_length
        ),
        prefix_note=prefix_note,
        prefix=shared,
        speculative=drafting,
        disaggregated=split_plans,
        disaggregation_note=split_note,
    )


def _disaggregated_plans(
    arch: ModelArchitecture,
    specs: Sequence[GPUSpec],
    rate: float,
    input_length: int,
    output_length: int,
    slos: Sequence[SLOConstraint],
    max_gpus: int,
    total_cap: int,
    costs: GPUCosts,
    splits: Sequence[str],
    settings: Mapping[str, Any],
    aggregated: Candidate | None,
) -> tuple[tuple[Candidate, ...], str]:
    """The disaggregated search's plans as candidates, and the note comparing the best with ``aggregated``."""
    found = search_disaggregated(
        arch,
        specs,
        request_rate=rate,
        input_length=input_length,
        output_length=output_length,
        slos=slos,
        max_gpus_per_pool=max_gpus,
        max_total_gpus=total_cap,
        costs=costs,
        layouts_of=lambda a, s, n: deployment_layouts(a, s, n, splits),
        settings=settings,
    )
    plans = []
    for rank, (record, hourly) in enumerate(found[:DISAGGREGATED_PLANS_KEPT], start=1):
        spec = next(s for s in specs if s.name == record.gpu)
        plans.append(
            Candidate(
                model_id=arch.model_id,
                gpu=record.gpu,
                num_gpus=record.num_gpus,
                tp=record.tp,
                ep=record.ep,
                dp_attention=record.dp_attention,
                replicas=record.decode_replicas or 1,
                concurrency=record.concurrency,
                estimate=record,
                fits=True,
                cost_per_gpu_hour_usd=costs.per_gpu_hour(spec.name),
                cost_per_hour_usd=hourly,
                copies_for_target=1,
                total_gpus_for_target=record.num_gpus,
                cost_per_hour_for_target_usd=hourly,
                caveats=row_caveats(
                    spec,
                    record.tp,
                    record.tp,
                    1,
                    None,
                    hourly is not None,
                    engine=record.engine,
                    ep=record.ep,
                ),
                serve_commands=disaggregated_commands(arch, record),
                rank=rank,
            )
        )
    if not plans:
        return (
            (),
            f"no disaggregated plan meets the SLOs at {rate:.2f} requests/s within {total_cap} GPUs",
        )
    best = plans[0]
    pools = None if best.estimate is None else pool_texts(best.estimate)
    assert pools is not None
    text = f"best plan: {pools[0]} prefill + {pools[1]} decode on {best.gpu}, "
    text += f"{best.num_gpus} GPUs" + (
        f", ${best.cost_per_hour_usd:,.2f}/h" if best.cost_per_hour_usd else ""
    )
    if aggregated is not None and aggregated.total_gpus_for_target:
        text += f"; aggregated best: {aggregated.total_gpus_for_target} GPUs of {aggregated.gpu}"
        if aggregated.cost_per_hour_for_target_usd:
            text += f", ${aggregated.cost_per_hour_for_target_usd:,.2f}/h"
        cheaper = _key_cost(best) < _key_cost(aggregated)
        text += "; disaggregation is " + ("cheaper" if cheaper else "not cheaper") + " for this load"
    return tuple(plans), text


def _key_cost(c: Candidate) -> tuple[float, int]:
    cost = c.cost_per_hour_for_target_usd
    return (cost if cost is not None else math.inf, c.total_gpus_for_target or c.num_gpus)


#: how a candidate whose target load needs more GPUs than ``max_gpus`` allows is rejected
CAPPED_REASON: Final = "exceeds max_gpus for the target"


def capped_for_target(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates rejected because carrying the target load takes more GPUs than ``max_gpus`` allows."""
    return [
        c
        for c in candidates
        if (c.rejected_reason or "").startswith(CAPPED_REASON) and c.total_gpus_for_target
    ]


def fewest_for_target(candidates: Sequence[Candidate]) -> Candidate:
    """Of ``candidates`` (non-empty), the one whose copies carry the target load on the fewest GPUs (then the
    cheapest)."""
    return min(
        candidates, key=lambda c: (c.total_gpus_for_target or 0, c.cost_per_hour_for_target_usd or 0.0)
    )


def _judge_fewest_capped(
    rejected: list[Candidate],
    layout_of: dict[int, tuple[GPUSpec, int, Layout]],
    judge: Callable[[Candidate], Candidate],
) -> tuple[list[Candidate], list[Candidate]]:
    """When no layout carries the target within ``max_gpus``, the summary tells the planner the fewest GPUs
    it takes: that figure is simulated, as the leaders' are, not screened (the screen can promise fewer).
    The capped layout needing the fewest GPUs is judged until the fewest is a judged one (at most
    :data:`JUDGED_CANDIDATES` simulations). Returns (rejected, accepted): a layout the simulation finds
    within ``max_gpus`` after all (and meeting the SLOs) is accepted."""
    judged: set[int] = set()
    accepted: list[Candidate] = []
    for _ in range(JUDGED_CANDIDATES):
        capped = capped_for_target(rejected)
        if not capped:
            break
        fewest = fewest_for_target(capped)
        if id(fewest) in judged:
            break
        result = judge(fewest)
        layout_of[id(result)] = layout_of[id(fewest)]
        judged.add(id(result))
        rejected = [c for c in rejected if c is not fewest]
        if result.rejected_reason is None:
            accepted.append(result)
            break
        rejected.append(result)
    return rejected, accepted


def _speculative_note(
    arch: ModelArchitecture,
    best: Candidate | None,
    features: Mapping[str, Any],
    input_length: int,
    output_length: int,
) -> str:
    """Where speculative decoding stops paying on the best layout: the decode batch from which it slows decode."""
    spec = features.get("speculative")
    if spec is None or best is None or best.estimate is None or not best.estimate.ok:
        return ""
    est = best.estimate
    even = speculative_break_even(
        arch,
        est.gpu,
        spec,
        input_length=input_length,
        output_length=output_length,
        num_gpus=est.tp * est.pp,
        tp=est.tp,
        precision=est.precision,
        engine=est.engine,
    )
    if even is None:
        return f"{spec.method} speeds decode at every batch up to max_num_seqs on {est.gpu} tp={est.tp}"
    return (
        f"{spec.method} makes decode slower from a batch of {even} sequences per replica on {est.gpu} tp={est.tp}; "
        f"this layout runs {est.decode_batch_per_replica or 0:.0f}"
    )


def _slo_note(preset: Workload | None, given: Sequence[SLOConstraint], slos: Sequence[SLOConstraint]) -> str:
    """Where the SLOs a result was judged against come from."""
    if not slos:
        return "no SLOs: each layout is judged at the knee of its throughput curve"
    if preset is None:
        return "yours"
    kept = [str(c) for c in slos if c not in given]
    if not kept:
        return f"yours, replacing every default of the {preset.name!r} preset"
    if not given:
        return f"the {preset.name!r} preset's: {preset.slo_source}"
    return f"{', '.join(kept)} from the {preset.name!r} preset ({preset.slo_source}); the rest yours"


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
    layout: Layout,
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
    max_total_gpus: int | None = None,
    features: Mapping[str, Any] | None = None,
) -> Candidate:
    tp, pp = layout.tp, layout.pp
    base: dict[str, Any] = {
        "model_id": arch.model_id,
        "gpu": spec.name,
        "num_gpus": count,
        "tp": tp,
        "pp": pp,
        "ep": layout.ep,
        "dp_attention": layout.dp_attention,
        "replicas": count // (tp * pp),
    }
    request = EstimateRequest(
        arch=arch,
        gpu=spec,
        num_gpus=count,
        tp=tp,
        pp=pp,
        ep=layout.ep,
        dp_attention=layout.dp_attention,
        precision=precision,
        kv_precision=kv_precision,
        input_length=input_length,
        output_length=output_length,
        engine=engine,
        gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=(limits or {}).get("max_model_len"),
        max_num_seqs=(limits or {}).get("max_num_seqs"),
        max_num_batched_tokens=(limits or {}).get("max_num_batched_tokens"),
        **(features or {}),
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
        point = _operating_point(backend, request, metric, slos, concurrency, judge)
    except ConfigExplorerError as exc:
        return Candidate(**base, rejected_reason=str(exc))
    est, reason = point.estimate, point.reason
    prices = _price(est, spec.name, count, costs)
    target = (
        _target(est, count, prices["cost_per_gpu_hour_usd"], target_rps, target_tok_s)
        if reason is None
        else {}
    )
    needed = target.get("total_gpus_for_target")
    if max_total_gpus is not None and needed is not None and needed > max_total_gpus:
        reason = (
            f"{CAPPED_REASON}: carrying it takes {needed} GPUs ({target['copies_for_target']} "
            f"copies of {count} x {spec.name}), above the {max_total_gpus} allowed in all"
        )
    return Candidate(
        **base,
        concurrency=est.concurrency,
        estimate=est,
        fits=est.fits,
        rejected_reason=reason,
        binding_slo=point.binding if reason is None else None,
        caveats=row_caveats(
            spec,
            count,
            tp,
            pp,
            point.binding if reason is None else None,
            prices["cost_per_gpu_hour_usd"] is not None,
            engine=est.engine,
            ep=est.ep,
        ),
        kv_headroom=float(est.max_concurrency_kv or 0),
        serve_commands=serve_commands(arch, est, gpu_memory_utilization=gpu_memory_utilization)
        if reason is None
        else {},
        **prices,
        **target,
    )

"""The records every backend returns: one :class:`PerformanceEstimate` per configuration.

Fields carry their unit in their name. A number the backend could not produce is ``None``,
never 0 or infinity; ``error`` then says why.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from config_explorer._json import dumps_strict, finite_or_null

__all__ = ["PerformanceEstimate", "SweepResult"]


def _finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    return value if math.isfinite(value) else None


@attrs.frozen(kw_only=True)
class PerformanceEstimate:
    """Latency, throughput, memory and limits of one model on one GPU layout at one workload.

    Aliases kept for code written against the earlier tools (read-only, same values):
    ``time_to_first_token_ms`` = ``ttft_ms``, ``inter_token_latency_ms`` = ``itl_ms``,
    ``throughput_tokens_per_sec`` = ``output_throughput_tok_s``, ``max_concurrent_requests`` =
    ``max_concurrency_kv``.
    """

    # configuration
    model_id: str
    gpu: str
    num_gpus: int
    tp: int
    pp: int = 1
    replicas: int = 1
    precision: str
    kv_precision: str
    compute_precision: str | None = None
    input_length: int
    output_length: int
    concurrency: int
    engine: str = "vllm"
    backend: str = "native"
    #: which serving model produced the figures: "simulated" (the engine's scheduler stepped request by
    #: request) or "analytic" (the closed-form steady state); other backends leave it None
    serving_model: str | None = None
    #: the traffic: "closed_loop" (``concurrency`` in flight), "poisson" (``request_rate`` per second) or
    #: "offline" (every request queued at once); ``num_requests`` simulated (whole deployment)
    arrival: str = "closed_loop"
    request_rate: float | None = None
    num_requests: int | None = None
    # the engine's settings (its defaults where the caller left them open)
    max_model_len: int | None = None
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    # latency (means unless the name says otherwise)
    ttft_ms: float | None = attrs.field(default=None, converter=_finite_or_none)
    itl_ms: float | None = attrs.field(default=None, converter=_finite_or_none)
    e2e_latency_s: float | None = attrs.field(default=None, converter=_finite_or_none)
    #: time per output token of each request, (E2E - TTFT) / (output - 1), as vllm bench serve reports it
    tpot_ms: float | None = attrs.field(default=None, converter=_finite_or_none)
    ttft_p50_ms: float | None = None
    ttft_p90_ms: float | None = None
    ttft_p95_ms: float | None = None
    ttft_p99_ms: float | None = None
    itl_p50_ms: float | None = None
    itl_p90_ms: float | None = None
    itl_p95_ms: float | None = None
    itl_p99_ms: float | None = None
    tpot_p50_ms: float | None = None
    tpot_p90_ms: float | None = None
    tpot_p95_ms: float | None = None
    tpot_p99_ms: float | None = None
    e2e_latency_p50_s: float | None = None
    e2e_latency_p90_s: float | None = None
    e2e_latency_p95_s: float | None = None
    e2e_latency_p99_s: float | None = None
    # throughput (whole deployment, then per GPU)
    output_throughput_tok_s: float | None = attrs.field(default=None, converter=_finite_or_none)
    input_throughput_tok_s: float | None = attrs.field(default=None, converter=_finite_or_none)
    requests_per_s: float | None = attrs.field(default=None, converter=_finite_or_none)
    output_throughput_tok_s_per_gpu: float | None = None
    input_throughput_tok_s_per_gpu: float | None = None
    # roofline
    hardware_ops_per_byte: float | None = None
    prefill_arithmetic_intensity: float | None = None
    decode_arithmetic_intensity: float | None = None
    prefill_bound: str | None = None
    decode_bound: str | None = None
    # memory per GPU, GiB
    memory_total_gib: float | None = None
    memory_weights_gib: float | None = None
    memory_kv_cache_gib: float | None = None
    memory_kv_capacity_gib: float | None = None
    memory_activations_gib: float | None = None
    memory_overhead_gib: float | None = None
    memory_free_gib: float | None = None
    fits: bool = False
    # concurrency analysis (whole deployment)
    decode_batch_per_replica: float | None = None
    max_concurrency_kv: int | None = None
    prefill_compute_limit: int | None = None
    decode_capacity_limit: int | None = None
    theoretical_concurrency_limit: int | None = None
    optimal_concurrency: int | None = None
    #: sequences preempted (vLLM) or retracted (SGLang) when the KV cache overflowed (simulated runs)
    preemptions: int | None = None
    # provenance
    error: str | None = None
    warnings: tuple[str, ...] = ()
    backend_notes: tuple[str, ...] = ()

    # -- aliases of the earlier tools' names -------------------------------------------------------
    @property
    def time_to_first_token_ms(self) -> float | None:
        """Alias of :attr:`ttft_ms` (earlier tools' name)."""
        return self.ttft_ms

    @property
    def inter_token_latency_ms(self) -> float | None:
        """Alias of :attr:`itl_ms` (earlier tools' name)."""
        return self.itl_ms

    @property
    def throughput_tokens_per_sec(self) -> float | None:
        """Alias of :attr:`output_throughput_tok_s` (earlier tools' name)."""
        return self.output_throughput_tok_s

    @property
    def max_concurrent_requests(self) -> int | None:
        """Alias of :attr:`max_concurrency_kv` (earlier tools' name)."""
        return self.max_concurrency_kv

    @property
    def ok(self) -> bool:
        """True when the configuration fits and was estimated."""
        return self.error is None and self.fits

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready: a non-finite figure is ``None`` with a ``<field>_note`` (see ``_json``)."""
        data = attrs.asdict(self)
        data["warnings"] = list(self.warnings)
        data["backend_notes"] = list(self.backend_notes)
        clean: dict[str, Any] = finite_or_null(data)
        return clean

    def to_json(self, **kwargs: Any) -> str:
        """Strict JSON (``allow_nan=False``): a non-finite figure is written as ``null`` with a note."""
        return dumps_strict(self.to_dict(), **kwargs)


@attrs.frozen
class SweepResult:
    """A concurrency sweep of one configuration: every point, the best ones, and the Pareto frontier."""

    points: tuple[PerformanceEstimate, ...]
    best_latency: PerformanceEstimate | None
    best_throughput: PerformanceEstimate | None
    optimal_concurrency: int | None
    #: points no other point beats on both output throughput and E2E latency, by concurrency
    pareto_frontier: tuple[PerformanceEstimate, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [p.to_dict() for p in self.points],
            "best_latency": self.best_latency.to_dict() if self.best_latency else None,
            "best_throughput": self.best_throughput.to_dict() if self.best_throughput else None,
            "optimal_concurrency": self.optimal_concurrency,
            "pareto_frontier_concurrencies": [p.concurrency for p in self.pareto_frontier],
        }

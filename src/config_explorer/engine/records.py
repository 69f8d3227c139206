"""The records every backend returns: one :class:`PerformanceEstimate` per configuration.

Fields carry their unit in their name. A number the backend could not produce is ``None``,
never 0 or infinity; ``error`` then says why.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from config_explorer._json import dumps_strict, finite_or_null

__all__ = ["PerformanceEstimate", "SweepResult", "layout_text", "pool_texts"]


def layout_text(tp: int, pp: int = 1, ep: int = 1, dp_attention: int = 1) -> str:
    """A layout as people write it: ``TP8``, ``TP4 x PP2``, ``TP8 EP8``, ``TP8 EP8 DP-attention 8``."""
    text = f"TP{tp}" + (f" x PP{pp}" if pp > 1 else "")
    if ep > 1:
        text += f" EP{ep}"
    if dp_attention > 1:
        text += f" DP-attention {dp_attention}"
    return text


def pool_texts(estimate: PerformanceEstimate) -> tuple[str, str] | None:
    """A disaggregated estimate's pools as people write them (``"2 x TP8"``, ``"3 x TP8 EP8"``: prefill,
    decode), or ``None`` for aggregated serving."""
    e = estimate
    if e.prefill_tp is None:
        return None
    prefill = layout_text(e.prefill_tp, 1, e.prefill_ep or 1, e.prefill_dp_attention or 1)
    decode = layout_text(e.tp, 1, e.ep, e.dp_attention)
    return f"{e.prefill_replicas} x {prefill}", f"{e.decode_replicas} x {decode}"


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
    #: expert-parallel ranks per stage (1: experts split over the tp GPUs) and attention groups per
    #: stage (1: attention split over the tp GPUs); see :mod:`config_explorer.engine.layout`
    ep: int = 1
    dp_attention: int = 1
    #: extra copies of the busiest experts spread over the expert-parallel ranks (EPLB)
    redundant_experts: int = 0
    #: nodes the deployment spans (its GPUs over the GPU's ``gpus_per_node``); None where not known
    nodes: int | None = None
    #: each step as two micro-batches, one's MoE token exchange under the other's kernels
    two_batch_overlap: bool = False
    #: front-end processes streaming each replica's output (vLLM's ``--api-server-count``; None: the
    #: engine's front end is not modelled)
    api_server_count: int | None = None
    #: disaggregated prefill/decode (``serving_model="disaggregated"``): the prefill and decode pools'
    #: replicas, the prefill replica's layout (the layout fields above are the decode replica's), and the
    #: time to move one prompt's KV cache between them
    prefill_replicas: int | None = None
    decode_replicas: int | None = None
    prefill_tp: int | None = None
    prefill_ep: int | None = None
    prefill_dp_attention: int | None = None
    kv_transfer_ms: float | None = None
    precision: str
    kv_precision: str
    compute_precision: str | None = None
    input_length: int
    output_length: int
    concurrency: int
    engine: str = "vllm"
    #: the engine release whose behaviour the estimate follows (``"0.11"`` for the unpinned ``vllm`` profile, the
    #: pinned one for ``engine="vllm==0.19.0"``); None: the newest rules read (SGLang and TensorRT-LLM unpinned)
    engine_release: str | None = None
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
    #: the engine's options that hold new requests back to batch them (None: the engine has no such
    #: option): SGLang's ``--scheduler-recv-interval``, TensorRT-LLM's ``batch_wait_timeout_iters`` and
    #: ``batch_wait_max_tokens_ratio`` (see :mod:`config_explorer.engine.options`)
    scheduler_recv_interval: int | None = None
    batch_wait_timeout_iters: int | None = None
    batch_wait_max_tokens_ratio: float | None = None
    #: vLLM: whether the engine schedules the next step while the GPU runs this one (``--async-scheduling``;
    #: None: another engine)
    async_scheduling: bool | None = None
    #: vLLM: whether it kept computed prompt blocks for later prompts (``--enable-prefix-caching``, or the release's
    #: default); None: another engine
    enable_prefix_caching: bool | None = None
    #: SGLang: whether prompt steps were asked to run without piecewise CUDA graphs
    #: (``--disable-piecewise-cuda-graph``; None: another engine)
    disable_piecewise_cuda_graph: bool | None = None
    #: SGLang: whether its overlap schedule was asked off (``--disable-overlap-schedule``); TensorRT-LLM:
    #: whether its overlap scheduler was (``disable_overlap_scheduler``); None: another engine
    disable_overlap_schedule: bool | None = None
    disable_overlap_scheduler: bool | None = None
    #: SGLang: whether its data-parallel attention groups wait for each other before admitting prompts
    #: (``--enable-prefill-delayer``), and for how many scheduler passes at most
    #: (``--prefill-delayer-max-delay-passes``); None: another engine
    enable_prefill_delayer: bool | None = None
    prefill_delayer_max_delay_passes: int | None = None
    #: TensorRT-LLM: whether its attention-DP ranks wait for each other before scheduling context requests
    #: (``attention_dp_config.enable_balance``), for how many iterations at most while some rank has none
    #: (``timeout_iters``), and how many more once all have one (``batching_wait_iters``); None: another engine
    attention_dp_enable_balance: bool | None = None
    attention_dp_timeout_iters: int | None = None
    attention_dp_batching_wait_iters: int | None = None
    #: vLLM: whether it was told to run without CUDA graphs or compiled code (``--enforce-eager``); None:
    #: another engine
    enforce_eager: bool | None = None
    #: vLLM: whether DeepGEMM was taken as installed (``deep_gemm``); None: another engine
    deep_gemm: bool | None = None
    #: TensorRT-LLM: whether it ran as a TensorRT engine (``tensorrt_engine``); None: another engine
    tensorrt_engine: bool | None = None
    #: SGLang: the largest decode batch per attention group that replays a CUDA graph (``--cuda-graph-max-bs``:
    #: the stated one, else the engine's default for the GPU's memory); None: another engine
    cuda_graph_max_bs: int | None = None
    #: vLLM: the largest step, in tokens, that replays a CUDA graph (``--max-cudagraph-capture-size``: the stated one,
    #: else the release's default); None for other engines, with ``enforce_eager`` and on the V0 engine
    max_cudagraph_capture_size: int | None = None
    #: TensorRT-LLM: the largest decode batch (per attention-DP rank) its PyTorch backend captures a CUDA graph for
    #: (``cuda_graph_config.max_batch_size``: the stated one, else its default, 128; a TensorRT engine's: the steps it
    #: replays), and whether it pads a batch up to a captured size (``cuda_graph_config.enable_padding``); None:
    #: another engine
    cuda_graph_max_batch_size: int | None = None
    cuda_graph_padding: bool | None = None
    #: TensorRT-LLM: the decode batch sizes a stated ``cuda_graph_config.batch_sizes`` captures (None: generated from
    #: the two above, or another engine)
    cuda_graph_batch_sizes: tuple[int, ...] | None = None
    #: SGLang: ``--schedule-conservativeness`` as stated (1.0: its default); None: another engine
    schedule_conservativeness: float | None = None
    #: SGLang: whether its radix (prefix) cache was turned off (``--disable-radix-cache``); None: another engine
    disable_radix_cache: bool | None = None
    #: TensorRT-LLM: whether KV-cache blocks were reused across requests (``kv_cache_config.enable_block_reuse``, its
    #: prefix cache); None: another engine
    enable_block_reuse: bool | None = None
    #: SGLang: ``--mamba-ssm-dtype`` as stated (None: the checkpoint's type, else float32; or another engine)
    mamba_ssm_dtype: str | None = None
    #: SGLang: the ``--moe-runner-backend`` the launch names: the runner of the MXFP4 experts an FP8 checkpoint carries
    #: (DeepSeek-V4's) on Hopper, marlin (its default there) or flashinfer_mxfp4, or triton where it keeps 16- or
    #: 8-bit experts off the FlashInfer TensorRT-LLM-gen kernels SGLang picks on Blackwell; None: the engine's own
    #: pick (or another engine)
    moe_runner_backend: str | None = None
    #: vLLM: the ``--moe-backend`` the launch names: marlin where the estimate runs the experts on Marlin's MoE kernel
    #: and vLLM would pick another; None: vLLM's own pick (or another engine)
    moe_backend: str | None = None
    #: vLLM V1: how it replays steps in CUDA graphs (``cudagraph_mode``): ``FULL_AND_PIECEWISE`` (decode steps in
    #: one full graph) or ``PIECEWISE`` (decode steps too in piecewise graphs), stated or the release's default;
    #: None: the V0 engine, ``--enforce-eager`` (no graphs) or another engine
    cudagraph_mode: str | None = None
    #: SGLang: ``--swa-full-tokens-ratio`` (0.8: its default) and ``--disable-hybrid-swa-memory`` as stated: the
    #: sliding-window KV pool's share of the full pool's tokens, and whether that pool was turned off; None: another
    #: engine
    swa_full_tokens_ratio: float | None = None
    disable_hybrid_swa_memory: bool | None = None
    #: how the engine runs the MoE layers' shared experts: "serial", "fused" (into the routed experts'
    #: grouped GEMMs) or "side_stream" (on a second CUDA stream); None: the model has none
    #: (see ``calibration.shared_expert_placement``)
    shared_experts: str | None = None
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
    #: the recurrent layers' state pool an engine keeps beside the KV cache (SGLang), per GPU; 0 where the
    #: state lives in the KV cache's blocks (vLLM) or the model has no recurrent layers
    memory_state_gib: float | None = None
    memory_free_gib: float | None = None
    #: the share of the GPU the engine's memory budget was made with: vLLM's ``gpu_memory_utilization``,
    #: SGLang's ``mem_fraction_static``, TensorRT-LLM's ``kv_cache_free_gpu_mem_fraction`` (stated, or the
    #: engine's default; native backend)
    memory_fraction: float | None = None
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
    #: prompt tokens served from the prefix cache over prompt tokens admitted (None: no shared prefixes)
    prefix_cache_hit_rate: float | None = None
    #: a simulated closed loop: how many requests its clients sent at the same instant, on average over its requests
    #: (requests that finish in the same step return together; 1: none together; None: other traffic, analytic)
    send_group: float | None = None
    #: a simulated closed loop of fixed lengths that moved in lockstep (``send_group`` >= 2): the mean TTFT of the same
    #: loop with every length drawn within +-5% (``vllm bench serve --random-range-ratio 0.05``), where it differs
    #: from ``ttft_ms`` by a quarter or more (the record's warnings say so); None otherwise
    ttft_drawn_lengths_ms: float | None = attrs.field(default=None, converter=_finite_or_none)
    #: speculative decoding: its method (None: off), draft tokens per step, and the tokens each decode
    #: step yields on average (1 + the expected accepted draft tokens)
    speculative_method: str | None = None
    num_speculative_tokens: int | None = None
    tokens_per_decode_step: float | None = None
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

    def __repr__(self) -> str:
        """One line: the configuration and its headline figures (``to_dict()`` has every field)."""
        from config_explorer._util import short_repr

        def num(value: float | None, digits: int) -> str:
            return "None" if value is None else f"{value:.{digits}f}"

        head = (
            f"PerformanceEstimate(model_id={short_repr(self.model_id, 60)}, gpu={short_repr(self.gpu, 30)}, "
            f"num_gpus={self.num_gpus}, tp={self.tp}, pp={self.pp}, "
            + (f"ep={self.ep}, " if self.ep > 1 else "")
            + (f"dp_attention={self.dp_attention}, " if self.dp_attention > 1 else "")
            + f"replicas={self.replicas}, "
            f"precision={self.precision!r}, concurrency={self.concurrency}"
        )
        if self.error is not None or not self.fits:
            return f"{head}, fits={self.fits}, error={short_repr(self.error, 70)})"
        return (
            f"{head}, ttft_ms={num(self.ttft_ms, 1)}, itl_ms={num(self.itl_ms, 2)}, "
            f"output_throughput_tok_s={num(self.output_throughput_tok_s, 0)}, fits=True)"
        )

    def _repr_html_(self) -> str:
        """A compact table for notebooks: configuration, workload, latency, throughput, memory."""
        import html

        def num(value: float | None, digits: int, unit: str = "") -> str:
            return "-" if value is None else f"{value:,.{digits}f}{unit}"

        layout = f"{self.num_gpus} x {self.gpu}, " + layout_text(self.tp, self.pp, self.ep, self.dp_attention)
        rows = [
            ("model", self.model_id),
            ("layout", layout + (f", {self.replicas} replicas" if self.replicas > 1 else "")),
            (
                "precision",
                f"{self.precision} weights, {self.kv_precision} KV; {self.engine} ({self.backend})",
            ),
            (
                "workload",
                f"{self.input_length} in / {self.output_length} out, concurrency {self.concurrency}",
            ),
        ]
        if self.error is not None or not self.fits:
            rows.append(("error", self.error or "does not fit"))
        else:
            rows += [
                ("TTFT", f"{num(self.ttft_ms, 1, ' ms')} mean, {num(self.ttft_p99_ms, 1, ' ms')} p99"),
                ("ITL", f"{num(self.itl_ms, 2, ' ms')} mean, {num(self.itl_p99_ms, 2, ' ms')} p99"),
                ("E2E", f"{num(self.e2e_latency_s, 2, ' s')} mean"),
                (
                    "throughput",
                    f"{num(self.output_throughput_tok_s, 0)} out tok/s "
                    f"({num(self.output_throughput_tok_s_per_gpu, 0)} per GPU), "
                    f"{num(self.requests_per_s, 2)} req/s",
                ),
                (
                    "memory per GPU",
                    f"{num(self.memory_weights_gib, 1)} GiB weights, {num(self.memory_kv_capacity_gib, 1)} GiB KV "
                    f"(holds {num(self.max_concurrency_kv, 0)} requests)",
                ),
            ]
        if self.warnings:
            rows.append(("warnings", "; ".join(self.warnings)))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>PerformanceEstimate</caption>{body}</table>"


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

    def __repr__(self) -> str:
        """One line: what was swept and its best points (``to_dict()`` has every point)."""
        from config_explorer._util import short_repr

        if not self.points:
            return "SweepResult(points=0)"
        first, best = self.points[0], self.best_throughput
        levels = [p.concurrency for p in self.points]
        tput = best.output_throughput_tok_s if best is not None else None
        return (
            f"SweepResult(model_id={short_repr(first.model_id, 60)}, gpu={short_repr(first.gpu, 30)}, "
            f"num_gpus={first.num_gpus}, tp={first.tp}, points={len(self.points)}, "
            f"concurrency={min(levels)}..{max(levels)}, optimal_concurrency={self.optimal_concurrency}, "
            f"best_throughput_concurrency={best.concurrency if best else None}, "
            f"best_output_throughput_tok_s={'None' if tput is None else f'{tput:.0f}'})"
        )

    def _repr_html_(self) -> str:
        """A compact table for notebooks: one row per point, the best ones and the frontier marked."""
        import html

        def num(value: float | None, digits: int) -> str:
            return "-" if value is None else f"{value:,.{digits}f}"

        if not self.points:
            return "<p>SweepResult: no points</p>"
        first, best, fastest = self.points[0], self.best_throughput, self.best_latency
        frontier = {p.concurrency for p in self.pareto_frontier}
        head = "".join(
            f"<th>{html.escape(h)}</th>"
            for h in ("concurrency", "TTFT ms", "ITL ms", "E2E s", "out tok/s", "req/s", "")
        )
        rows = []
        for p in self.points:
            marks = [
                name
                for name, hit in (
                    ("best throughput", best is not None and p.concurrency == best.concurrency),
                    ("best latency", fastest is not None and p.concurrency == fastest.concurrency),
                    ("knee", p.concurrency == self.optimal_concurrency),
                    ("pareto", p.concurrency in frontier),
                )
                if hit
            ]
            cells = [
                str(p.concurrency),
                num(p.ttft_ms, 1),
                num(p.itl_ms, 2),
                num(p.e2e_latency_s, 2),
                num(p.output_throughput_tok_s, 0),
                num(p.requests_per_s, 2),
                ", ".join(marks) if p.ok else (p.error or "does not fit"),
            ]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        caption = html.escape(
            f"SweepResult: {first.model_id} on {first.num_gpus} x {first.gpu}, TP{first.tp}, "
            f"{first.input_length} in / {first.output_length} out"
        )
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{''.join(rows)}</table>"

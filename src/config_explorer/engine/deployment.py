"""One configuration fixed before any traffic: layout, per-GPU costs, memory budget, engine settings.

:func:`plan_deployment` validates a layout (vLLM's rules), picks the engine's defaults for what the
caller leaves open (``max_num_seqs``, ``max_num_batched_tokens``, ``max_model_len``), budgets each
GPU's memory and builds the step-cost model both serving models share.

Two serving features change the plan: speculative decoding (:mod:`config_explorer.engine.speculative`)
adds the draft's weights to each GPU and its KV per token to every cached token (the KV capacity
reported is the target's share), and makes each decode step the draft's passes plus a verification pass;
shared prefixes served from the prefix cache (``cached_prompt_tokens`` per request, the steady-state
approximation the analytic model uses) are never prefilled, though the prompt's other tokens still
attend to them.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Final

import attrs

from config_explorer import validation
from config_explorer._util import require_int_in
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.calibration import (
    AITER_BLOCK_FP8,
    AITER_ROWWISE_FP8,
    COMPRESSED_ATTENTION_BLOCK,
    ENGINE_TITLES,
    EXPERT_IMBALANCE,
    EXPERT_POPULARITY_CV,
    FP32_ROUTER_DECODE_US,
    MARLIN_MOE_BY_FAMILY,
    MARLIN_MOE_COMPUTE,
    SGLANG_COMPRESSED_MAX_RUNNING,
    SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE,
    SGLANG_MAMBA_FULL_MEMORY_RATIO,
    SGLANG_MAMBA_SSM_PRECISION,
    SGLANG_SERIAL_SEQUENCE_MS,
    SGLANG_SERIAL_STEP_MS,
    SPARSE_MLA_HEAD_PADDING,
    TRITON_MOE_DEFAULT_SLOWDOWN,
    VLLM_CUTLASS_BLOCK_FP8_FIXED_US,
    VLLM_CUTLASS_BLOCK_FP8_GB_S,
    VLLM_CUTLASS_BLOCK_FP8_TFLOPS,
    VLLM_GROUPED_TOPK_US,
    VLLM_HYBRID_BLOCK_ALIGNMENT,
    VLLM_HYBRID_BLOCK_SINCE,
    VLLM_HYBRID_CACHED_STATE_PAGES,
    VLLM_HYBRID_PREFIX_CACHING_SINCE,
    VLLM_TRITON_BLOCK_FP8_MOE,
    EngineProfile,
    blackwell_wide_mla_decode,
    block_sparse_attention_support,
    check_prefill_delayer,
    compressed_attention_support,
    custom_allreduce_scale,
    decode_attention_bandwidth,
    default_kv_precision,
    dsa_prompt_glue_us,
    eager_profile,
    efficiency_for_gpu,
    expert_format_class,
    fp32_router,
    fp32_router_parameters,
    gemma4_support,
    indexer_decode_logits_bytes,
    kimi_delta_attention_support,
    masks_remote_experts,
    nemotron_moe_support,
    pads_compressed_heads,
    prefill_attention_tiles,
    profile_for,
    profile_release,
    runs_aiter_block_fp8,
    runs_cutlass_block_fp8,
    runs_marlin_linears,
    runs_marlin_moe,
    runs_native_mxfp4_linears,
    runs_rowwise_fp8_tiles,
    runs_triton_fused_moe,
    runs_trtllm_gen_moe,
    runs_vllm_triton_block_fp8_moe,
    sglang_blackwell_triton_moe_us,
    sglang_converts_kv_pool,
    sglang_dispatches_deepep,
    sglang_forces_dsa_dp_attention,
    sglang_gathered_moe_sizes,
    sglang_hopper_mxfp4_runner,
    sglang_hybrid_prefix_unit,
    sglang_kv_pool_conversion_s,
    sglang_mamba_extra_buffer,
    sglang_piecewise_graph_tokens,
    sglang_rocm_unfused_norm_kernels,
    sglang_state_pool_slots,
    sglang_window_kv_share,
    shared_expert_placement,
    sparse_attention_dense_prompts,
    sparse_mla_full_topk,
    sparse_mla_head_padding,
    triton_moe_compute_multiplier,
    triton_moe_config_tuned,
    triton_mxfp4_stream_cap,
    trtllm_block_fp8_moe_half_width,
    trtllm_captured_graph_sizes,
    trtllm_chunked_decode_read_factor,
    trtllm_cutlass_moe_slowdown,
    trtllm_decode_graphs,
    trtllm_gathers_moe_tokens,
    trtllm_gen_block_fp8_moe_rate,
    trtllm_holds_window_kv_whole,
    trtllm_moe_gather_bytes,
    trtllm_tensorrt_engine,
    vllm_connector_holds_window_kv_whole,
    vllm_cudagraph_profile,
    vllm_cutlass_fp8_moe_helpers,
    vllm_deepgemm_blackwell_moe_us,
    vllm_graph_capture_tokens,
    vllm_grouped_topk_us,
    vllm_holds_chunked_kv_whole,
    vllm_hybrid_prefix_caching_allowed,
    vllm_mla_layer_extra_us,
    vllm_prefix_caching_default,
)
from config_explorer.engine.layout import (
    GIB,
    MXFP4_PAD,
    UNBOUNDED_TOKENS,
    MemoryPlan,
    ShardCosts,
    check_layout,
    compressed_attention_costs,
    compressed_heads,
    expert_precision,
    memory_plan,
    sequence_capacity_tokens,
    sequence_kv_bytes,
    sglang_fraction,
    shard_costs,
    unquantized_share,
    windowed_context,
)
from config_explorer.engine.options import WORD_OPTIONS, EngineOptions, check_engine_options
from config_explorer.engine.roofline import PromptWork, Rates, StepCost, StepTime, rates_for
from config_explorer.engine.sglang_eager import sglang_eager_launches
from config_explorer.engine.simulator import (
    SGLANG_DP_ATTENTION_CONSERVATIVENESS,
    SchedulerConfig,
    sglang_new_token_ratio,
)
from config_explorer.engine.speculative import SpeculativeConfig, SpeculativeStepCost
from config_explorer.engine.traffic import MAX_REQUEST_TOKENS
from config_explorer.engine.trtllm_eager import trtllm_eager_calls
from config_explorer.errors import InvalidArgumentError
from config_explorer.precision import bytes_per_value, normalize_precision

__all__ = ["MAX_NUM_GPUS", "MAX_SCHEDULER_LIMIT", "Deployment", "plan_deployment"]

#: the largest deployment the engine plans (GPUs of one model): past any cluster serving one model,
#: and small enough to enumerate its tensor-parallel degrees
MAX_NUM_GPUS: Final = 65_536
#: the largest ``max_num_batched_tokens``, ``max_num_seqs`` or ``max_model_len`` the engine takes (the
#: longest context a model may declare); past it token counts stop being meaningful floats
MAX_SCHEDULER_LIMIT: Final = 100_000_000


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
    max_model_len: int
    step_cost: StepCost = attrs.field(eq=False, repr=False)
    warnings: tuple[str, ...]
    speculative: SpeculativeConfig | None = None
    #: prompt tokens per request served from the prefix cache in steady state (the analytic view)
    cached_prompt_tokens: int = 0
    #: front-end processes streaming the replica's output (vLLM's ``--api-server-count``; None: the
    #: engine's default, vLLM's one per data-parallel rank)
    api_server_count: int | None = None
    #: the engine's options that hold new requests back to batch them (:mod:`config_explorer.engine.options`)
    options: EngineOptions = attrs.field(factory=EngineOptions)
    #: the memory fraction the engine would take itself where the plan budgets another (SGLang's default with
    #: data-parallel attention, which reserves room for its padded graphs: :func:`~config_explorer.engine.layout.
    #: sglang_fraction`); None where they agree or the caller stated one
    engine_default_fraction: float | None = None
    #: the recurrent layers' state lives in a pool of its own (SGLang), not in the KV cache's blocks
    #: (vLLM's hybrid allocator): ``memory.kv_capacity_gib`` is then the attention layers' cache alone
    state_pool: bool = False
    #: that pool's memory per GPU, GiB (0 without one)
    state_pool_gib: float = 0.0
    #: copies of a sequence's recurrent state the KV cache budgets: vLLM's hybrid models keep two while they cache
    #: prefixes, from 0.28 (:data:`~config_explorer.engine.calibration.VLLM_HYBRID_CACHED_STATE_PAGES`), else one
    state_pages: int = 1
    #: the tokens in whose multiples a shared prompt prefix can be served from the prefix cache, beyond the KV
    #: blocks' own rounding: SGLang's for a model with recurrent layers
    #: (:func:`~config_explorer.engine.calibration.sglang_hybrid_prefix_unit`; 0: never), else 1
    prefix_unit: int = 1
    #: figures that depend only on the deployment (limits, prefill roofline), computed once. Deployments
    #: are shared between threads (``plan_deployment`` is cached), so a value is computed whole and
    #: published with one assignment of an immutable object; readers use ``memo.get``. ``init=False``:
    #: an ``attrs.evolve`` copy starts empty instead of inheriting figures of another deployment.
    memo: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def ep(self) -> int:
        """Expert-parallel ranks per pipeline stage (1: the experts are split over all ``tp`` GPUs)."""
        return self.costs.ep

    @property
    def dp_attention(self) -> int:
        """Attention groups per pipeline stage (1: attention split over all ``tp`` GPUs)."""
        return self.costs.dp_attention

    @property
    def two_batch_overlap(self) -> bool:
        """Whether each step runs as two micro-batches overlapping the token exchange."""
        return self.rates.two_batch_overlap

    @property
    def running_limit(self) -> int:
        """Sequences one replica runs at once: ``max_num_seqs`` in each attention group (vLLM's
        ``--max-num-seqs`` is per data-parallel rank)."""
        return self.max_num_seqs * self.costs.dp_attention

    @property
    def step_token_budget(self) -> int:
        """Tokens one replica's step holds: ``max_num_batched_tokens`` in each attention group."""
        return self.max_num_batched_tokens * self.costs.dp_attention

    @property
    def kv_limit_per_replica(self) -> int:
        """Sequences of the full ``input + output`` length the KV cache holds (a guaranteed figure)."""
        per_seq = self.costs.kv_bytes(self.input_length + self.output_length) + self.pooled_state_bytes
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
        per_seq = self.costs.kv_bytes(self.input_length + held) + self.pooled_state_bytes
        return math.inf if per_seq <= 0 else self.memory.kv_capacity_gib * GIB / per_seq

    @property
    def pooled_state_bytes(self) -> float:
        """Recurrent state a sequence holds in the KV cache's memory, per GPU: all of it, unless the engine
        keeps the state in a pool of its own (:attr:`state_pool`)."""
        return 0.0 if self.state_pool else self.costs.state_bytes_per_sequence * self.state_pages

    @property
    def frontend_processes(self) -> int | None:
        """The replica's front-end processes (None: the engine's front end is not modelled): as stated,
        else vLLM's default, one per data-parallel rank (``vllm/entrypoints/cli/serve.py``, 0.34.0)."""
        if not self.profile.frontend_token_us:
            return None
        return self.api_server_count or self.costs.dp_attention

    @property
    def frontend_token_s(self) -> float:
        """Front-end time per streamed output token, seconds, over the replica's front-end processes
        (0: the engine's front end is not modelled)."""
        processes = self.frontend_processes
        return 0.0 if processes is None else self.profile.frontend_token_us * 1e-6 / processes

    @property
    def moe_runner_backend(self) -> str | None:
        """The ``--moe-runner-backend`` the plan runs SGLang's experts on where it is not the engine's own pick left
        unsaid: the runner of the MXFP4 experts an FP8 checkpoint carries (DeepSeek-V4's) on Hopper
        (:func:`~config_explorer.engine.calibration.sglang_hopper_mxfp4_runner`), or ``triton`` where the launch
        keeps experts SGLang would run on FlashInfer's TensorRT-LLM-gen kernels on its Triton kernel; None
        elsewhere."""
        hopper = _hopper_mxfp4_runner(self.arch, self.profile, self.gpu.family, self.precision, self.options)
        if hopper is not None:
            return hopper
        c = self.costs
        _, moved = _expert_kernels(
            self.arch, self.profile, self.gpu.family, self.precision, self.options, c.ep, c.dp_attention, c.tp
        )
        return TRITON_RUNNER if moved else None

    @property
    def moe_backend(self) -> str | None:
        """vLLM's ``--moe-backend`` the plan runs the experts on where the launch must name it: ``marlin`` where the
        engine option asks for Marlin's MoE kernel and vLLM would pick another (:func:`_vllm_marlin_experts`); None
        elsewhere."""
        experts = expert_precision(self.arch, self.precision)
        return _named_moe_backend(self.arch, self.profile, self.gpu, experts, self.options)

    @property
    def prefix_caching(self) -> bool:
        """Whether the engine keeps computed prompt blocks for later prompts (:func:`prefix_caching`)."""
        return prefix_caching(self.profile, self.options, self.arch)

    @property
    def serves_prefixes(self) -> bool:
        """Whether a prompt that shares a prefix with earlier ones can be served part of it from cache."""
        return self.prefix_caching and self.prefix_unit > 0

    def served_prefix(self, length: int) -> int:
        """The tokens of a shared prefix of ``length`` the prefix cache can serve (:func:`served_prefix_tokens`)."""
        return served_prefix_tokens(length, self.prefix_unit, caching=self.prefix_caching)

    @property
    def balances_ranks(self) -> bool:
        """Whether TensorRT-LLM's attention-DP ranks wait for each other before scheduling context requests
        (``attention_dp_config.enable_balance``; the executor applies it with attention DP only)."""
        return (
            self.profile.name == "trtllm"
            and self.options.attention_dp_enable_balance
            and self.costs.dp_attention > 1
        )

    @property
    def holds_context(self) -> bool:
        """Whether TensorRT-LLM's batch waiting holds prompts back: both options set, and no attention
        DP (the executor skips it then)."""
        return self.options.holds_context and self.costs.dp_attention == 1

    @property
    def prefill_length(self) -> int:
        """Prompt tokens a request's prefill computes: the prompt less what the prefix cache serves."""
        return self.input_length - self.cached_prompt_tokens

    def step(self, decode_seqs: float, prefill_tokens: float, prefill_seqs: float) -> StepTime:
        """A step at the workload's mean context: ``decode_seqs`` decodes, ``prefill_tokens`` of prompts.

        The analytic model's view of a step; the simulator states each step's contents exactly.
        """
        parts = self.step_cost.breakdown(*self._contents(decode_seqs, prefill_tokens, prefill_seqs))
        logits = self._prefill_logits_s(prefill_tokens, prefill_seqs)
        if not logits:
            return parts
        return attrs.evolve(parts, total_s=parts.total_s + logits, memory_s=parts.memory_s + logits)

    def step_s(self, decode_seqs: float, prefill_tokens: float, prefill_seqs: float) -> float:
        """:meth:`step`'s time alone (seconds), without building the breakdown."""
        return self.step_cost.time(
            *self._contents(decode_seqs, prefill_tokens, prefill_seqs)
        ) + self._prefill_logits_s(prefill_tokens, prefill_seqs)

    def _prefill_logits_s(self, prefill_tokens: float, prefill_seqs: float) -> float:
        """Seconds a step's cleaned sparse-attention indexer logits take to write
        (:meth:`~config_explorer.engine.roofline.StepCost.prefill_logits_seconds`) at the mean request: its prompt
        tokens by their prompts' contexts, a part of a prompt seeing half of the rest on average; each attention
        group writes its own share."""
        if not prefill_tokens or not self.costs.prefill_logits_bytes_per_cell:
            return 0.0
        prompt = self._mean_request()[3]
        earlier = self.cached_prompt_tokens * max(prefill_seqs, 1.0) + max(prompt - prefill_tokens, 0.0) / 2
        groups = self.costs.dp_attention
        return self.step_cost.prefill_logits_seconds([(prefill_tokens, earlier)]) / groups**2

    def _mean_request(self) -> tuple[float, float, PromptWork, float]:
        """(mean context, its windowed part, a prompt's attention work, tokens computed per prompt): the
        workload's figures :meth:`_contents` scales, computed once."""
        figures = self.memo.get("mean_request")
        if figures is None:
            context = self.input_length + self.output_length / 2
            # the computed tokens attend to the cached ones too
            work = self.step_cost.prompt_work(self.prefill_length, self.cached_prompt_tokens)
            # the windowed context over the steps a request decodes, its prompt to its last token
            windowed = windowed_context(
                self.input_length,
                self.input_length + self.output_length,
                self.costs.window,
                chunked=self.arch.chunked_attention,
            )
            figures = (context, windowed, work, float(self.prefill_length))
            self.memo["mean_request"] = figures
        return figures

    def _contents(
        self, decode_seqs: float, prefill_tokens: float, prefill_seqs: float
    ) -> tuple[float, float, float, float, float, float, float]:
        context, windowed_context, work, prompt = self._mean_request()
        # the step's prompt tokens are a share of the mean prompt's (several packed, or part of one); a step
        # without any (a decode step) has no prompt pairs
        full, windowed = (
            self.step_cost.share_pairs(work, prefill_tokens / prompt) if prefill_tokens else (0.0, 0.0)
        )
        return (
            decode_seqs,
            decode_seqs * context,
            decode_seqs * windowed_context,
            prefill_tokens,
            full,
            windowed,
            decode_seqs + prefill_seqs,
        )

    def scheduler_config(self) -> SchedulerConfig:
        """The simulator's view of this deployment: the engine's policy and the KV cache in blocks."""
        c = self.costs
        block = self.profile.block_size
        capacity = self.memory.kv_capacity_gib * GIB
        fixed_bytes = (
            c.kv_bytes_per_token_windowed * min(c.window, self.max_model_len)
            + self.pooled_state_bytes
            + c.fixed_kv_bytes_per_sequence
        )
        grows = c.kv_bytes_per_token_full > 0
        unit = block * c.kv_bytes_per_token_full if grows else max(fixed_bytes, 1.0)
        return SchedulerConfig(
            policy=self.profile.scheduler,
            max_num_seqs=self.running_limit,
            max_num_batched_tokens=self.step_token_budget,
            block_size=block if grows else 1,
            num_blocks=int(capacity // unit),
            grows=grows,
            fixed_blocks_per_seq=math.ceil(fixed_bytes / unit) if fixed_bytes > 0 else 0,
            window_blocks_per_token=c.kv_bytes_per_token_windowed / unit,
            state_blocks=self.pooled_state_bytes / unit,
            prefix_cache=self.serves_prefixes,
            window=c.window,
            chunked=self.arch.chunked_attention,
            max_model_len=self.max_model_len,
            attention_groups=c.dp_attention,
            new_token_ratio=sglang_new_token_ratio(
                self.options.schedule_conservativeness
                * (SGLANG_DP_ATTENTION_CONSERVATIVENESS if c.dp_attention > 1 else 1.0)
            ),
            frontend_token_s=self.frontend_token_s,
            schedules_ahead=self.profile.schedules_ahead,
            recv_interval=self.options.scheduler_recv_interval,
            prefill_delay_passes=self.options.prefill_delayer_max_delay_passes
            if self.options.enable_prefill_delayer
            else 0,
            adp_timeout_iters=max(self.options.attention_dp_timeout_iters, 1) if self.balances_ranks else 0,
            adp_batching_wait_iters=self.options.attention_dp_batching_wait_iters
            if self.balances_ranks
            else 0,
            hold_steps=self.options.batch_wait_timeout_iters if self.holds_context else 0,
            hold_tokens=self.options.batch_wait_max_tokens_ratio * self.max_num_batched_tokens,
            arrival_delay_s=min(self.profile.arrival_delay_ms, self.profile.request_overhead_ms) * 1e-3,
            first_token_delay_s=max(self.profile.request_overhead_ms - self.profile.arrival_delay_ms, 0.0)
            * 1e-3,
        )


def _hopper_mxfp4_runner(
    arch: ModelArchitecture, profile: EngineProfile, gpu_family: str, precision: str, options: EngineOptions
) -> str | None:
    """SGLang's runner for the MXFP4 experts an FP8 checkpoint carries (DeepSeek-V4's: SGLang loads them through its
    FP8 config) on Hopper, served at ``precision`` (:func:`~config_explorer.engine.calibration.
    sglang_hopper_mxfp4_runner`); None elsewhere."""
    experts = expert_precision(arch, precision)
    stated = options.moe_runner_backend
    return sglang_hopper_mxfp4_runner(
        profile,
        gpu_family=gpu_family,
        fp8_config_experts=arch.is_moe and experts == "mxfp4" and arch.native_precision == "fp8",
        stated=stated if stated in MXFP4_HOPPER_RUNNERS else None,
    )


#: vLLM's ``--moe-backend`` value for Marlin's MoE kernel
MARLIN_BACKEND: Final = "marlin"


def _vllm_marlin_experts(arch: ModelArchitecture, gpu: GPUSpec, experts: str, options: EngineOptions) -> bool:
    """Whether a vLLM launch's ``--moe-backend marlin`` (engine option ``moe_backend``) puts ``arch``'s experts, stored
    at ``experts``, on Marlin's MoE kernel; an invalid request fails here, as vLLM refuses a backend its oracle does not
    offer for the format (vLLM PR #33807): Marlin runs weight-only 8- and 4-bit experts, and the engine costs it on the
    GPU families whose Marlin rate it has measured (:data:`~config_explorer.engine.calibration.MARLIN_MOE_BY_FAMILY`)."""
    if options.moe_backend != MARLIN_BACKEND or not arch.is_moe:
        return False
    if expert_format_class(experts) == 0:
        raise InvalidArgumentError(
            f"moe_backend={MARLIN_BACKEND}: vLLM's Marlin MoE kernel runs quantized experts, and {arch.model_id}'s are "
            f"{experts} here; accepted: an 8- or 4-bit precision (e.g. precision='fp8'), or moe_backend unset"
        )
    if gpu.family not in MARLIN_MOE_BY_FAMILY:
        raise InvalidArgumentError(
            f"moe_backend={MARLIN_BACKEND} on the {gpu.name} ({gpu.family}): the engine has no measured Marlin MoE rate "
            f"for that GPU family; accepted on {', '.join(sorted(MARLIN_MOE_BY_FAMILY))} GPUs, or moe_backend unset"
        )
    return True


def _named_moe_backend(
    arch: ModelArchitecture, profile: EngineProfile, gpu: GPUSpec, experts: str, options: EngineOptions
) -> str | None:
    """``marlin`` where the option puts the experts on Marlin (:func:`_vllm_marlin_experts`) and vLLM would pick
    another kernel itself, so the launch must name it; else None."""
    if not _vllm_marlin_experts(arch, gpu, experts, options):
        return None
    own = runs_marlin_moe(profile, experts, gpu.family, gpt_oss=arch.model_type == "gpt_oss")
    return None if own else MARLIN_BACKEND


#: the ``--moe-runner-backend`` values that pick the kernel of the MXFP4 experts an FP8 checkpoint carries on Hopper
MXFP4_HOPPER_RUNNERS: Final = ("marlin", "flashinfer_mxfp4")
#: the ``--moe-runner-backend`` value that keeps 16- and 8-bit experts on SGLang's Triton fused-MoE kernel
TRITON_RUNNER: Final = "triton"


def _expert_kernels(
    arch: ModelArchitecture,
    profile: EngineProfile,
    gpu_family: str,
    precision: str,
    options: EngineOptions,
    ep: int,
    dp_attention: int,
    world: int,
) -> tuple[bool, bool]:
    """(whether the experts run on FlashInfer's TensorRT-LLM-gen kernels, whether the launch's ``--moe-runner-backend
    triton`` moved them off those kernels SGLang would pick itself onto its Triton fused-MoE kernel): the engine's
    own pick is :func:`~config_explorer.engine.calibration.runs_trtllm_gen_moe`, and ``triton`` moves 16- and 8-bit
    experts only (SGLang's Triton path has no FP4 kernel)."""
    experts = expert_precision(arch, precision)
    picked = arch.is_moe and runs_trtllm_gen_moe(
        profile,
        model_class=arch.architecture,
        weight_precision=experts,
        gpu_family=gpu_family,
        ep=ep,
        dp_attention=dp_attention,
        block_scaled=arch.block_scaled_at(precision),
        world=world,
    )
    moved = picked and options.moe_runner_backend == TRITON_RUNNER and expert_format_class(experts) < 2
    return picked and not moved, moved


@functools.lru_cache(maxsize=4096)
def _costs(
    arch: ModelArchitecture,
    precision: str,
    kv_precision: str,
    tp: int,
    pp: int,
    ep: int,
    dp_attention: int,
    redundant_experts: int,
    mxfp4_pad: int = MXFP4_PAD,
) -> ShardCosts:
    return shard_costs(arch, precision, kv_precision, tp, pp, ep, dp_attention, redundant_experts, mxfp4_pad)


#: the prompt step whose FP32 routers' time the plan's warning states (``calibration.fp32_router``)
FP32_ROUTER_NOTE_TOKENS: Final[int] = 8192
#: an FP8 KV cache whose decode attention takes more than this share of a 16-bit cache's time on the same
#: kernel is noted in the plan's warnings (it saves little time, though it holds twice the tokens)
FP8_KV_DECODE_NOTE_RATIO: Final[float] = 0.75


def prefix_caching(profile: EngineProfile, options: EngineOptions | None, arch: ModelArchitecture) -> bool:
    """Whether ``profile``'s engine, launched with ``options``, serves later prompts from the blocks earlier ones
    computed: SGLang unless ``--disable-radix-cache``; vLLM as ``--enable-prefix-caching`` says, else as its release
    does (:func:`~config_explorer.engine.calibration.vllm_prefix_caching_default`); TensorRT-LLM unless its
    ``kv_cache_config.enable_block_reuse`` is false (it defaults to True)."""
    options = options or EngineOptions()
    if profile.name == "sglang":
        return not options.disable_radix_cache
    if profile.name == "vllm":
        if arch.is_hybrid and not vllm_hybrid_prefix_caching_allowed(profile):
            return False  # the release turns it off for such a model whatever the launch asks
        if options.enable_prefix_caching is not None:
            return options.enable_prefix_caching
        return vllm_prefix_caching_default(profile, hybrid=arch.is_hybrid)
    return options.enable_block_reuse


def served_prefix_tokens(length: int, unit: int, *, caching: bool) -> int:
    """The tokens of a shared prompt prefix of ``length`` that a prefix cache serving whole multiples of ``unit``
    tokens serves (0: no cache, or a ``unit`` of 0, which serves none)."""
    return (length // unit) * unit if caching and unit else 0


def vllm_state_pages(profile: EngineProfile, options: EngineOptions | None, arch: ModelArchitecture) -> int:
    """Copies of a sequence's recurrent state vLLM budgets in the KV cache: two for a hybrid model that caches
    prefixes from 0.28 on, where every such model runs the "align" mode
    (:data:`~config_explorer.engine.calibration.VLLM_HYBRID_CACHED_STATE_PAGES`), else one. 0.15 to 0.27 pick
    another mode for some model classes when asked to cache; those keep one here."""
    if profile.name != "vllm" or not arch.is_hybrid or not prefix_caching(profile, options, arch):
        return 1
    release = profile_release(profile)
    if release is not None and release[:2] < VLLM_HYBRID_PREFIX_CACHING_SINCE:
        return 1
    return VLLM_HYBRID_CACHED_STATE_PAGES


def _window_kv(
    profile: EngineProfile,
    arch: ModelArchitecture,
    gpu_family: str,
    costs: ShardCosts,
    options: EngineOptions,
    *,
    speculative: bool,
    disaggregated: bool,
) -> tuple[ShardCosts, list[str]]:
    """``costs`` with the KV a token stores in the windowed (sliding or chunked) layers as the engine keeps it, and
    the warnings that say so. Engines that free what falls out of a window (vLLM's hybrid KV cache manager) keep a
    window's KV a sequence; others keep every token's (vLLM 0.10.1-0.13 for chunked layers, vLLM before 0.22 with a
    KV connector, TensorRT-LLM for sliding layers) or a pool of a stated share of the full layers' tokens (SGLang).
    Either way a windowed layer's decode still reads its window or chunk only."""
    whole_chunks = vllm_holds_chunked_kv_whole(profile, chunked_attention=arch.chunked_attention)
    whole_windows = trtllm_holds_window_kv_whole(
        profile, architecture=arch.architecture, chunked_attention=arch.chunked_attention
    )
    # only a model with full-attention layers too is "hybrid" to vLLM: one whose layers all slide keeps its window
    connector = vllm_connector_holds_window_kv_whole(profile, disaggregated=disaggregated) and (
        costs.kv_bytes_per_token_full > 0
    )
    share = sglang_window_kv_share(
        profile, architecture=arch.architecture, gpu_family=gpu_family, speculative=speculative
    )
    if share is not None and share < 1.0:
        # the launch's own ratio for the hybrid pool (--swa-full-tokens-ratio)
        share = options.swa_full_tokens_ratio
    if share is not None and options.disable_hybrid_swa_memory:
        share = 1.0
    if whole_chunks or whole_windows or connector:
        share = 1.0
    if share is None or costs.kv_bytes_per_token_windowed <= 0:
        return costs, []
    kept = attrs.evolve(
        costs,
        kv_bytes_per_token_full=costs.kv_bytes_per_token_full + share * costs.kv_bytes_per_token_windowed,
        kv_bytes_per_token_windowed=0.0,
        kv_read_bytes_per_token_full=costs.kv_read_bytes_per_token_full or costs.kv_bytes_per_token_full,
        kv_read_bytes_per_token_windowed=costs.kv_read_bytes_per_token_windowed
        or costs.kv_bytes_per_token_windowed,
    )
    if whole_chunks:
        why = (
            f"vLLM {profile.version} keeps every token's KV in {arch.model_id}'s chunked-attention layers too (its hybrid "
            "KV cache manager is off for chunked local attention from 0.10.1 to 0.13, vLLM PR #21761, unless "
            "VLLM_ALLOW_CHUNKED_LOCAL_ATTN_WITH_HYBRID_KV_CACHE=1): a sequence past the 8,192-token chunk takes up "
            "to four times the KV of 0.14 and later"
        )
    elif connector:
        why = (
            f"vLLM {profile.version} turns its hybrid KV cache manager off with a KV connector (--kv-transfer-config, "
            f"before 0.22): {arch.model_id}'s sliding-window layers keep every token's KV too"
        )
    elif whole_windows:
        why = (
            f"TensorRT-LLM keeps every token's KV in {arch.model_id}'s sliding-window layers too: one KV pool of "
            "max_seq_len for every layer, unless kv_cache_config.max_attention_window lists the windows"
        )
    else:
        if share != 1.0:
            pool = f"its windowed layers a pool of {share:g} times the full layers' tokens (--swa-full-tokens-ratio)"
        elif options.disable_hybrid_swa_memory:
            pool = "every token's KV in its windowed layers too (--disable-hybrid-swa-memory)"
        else:
            pool = (
                "every token's KV in its windowed layers too (no hybrid sliding-window pool for this model in this "
                "release)"
            )
        why = f"SGLang {profile.version or '(newest rules)'} keeps {pool}: that much less KV room for tokens"
    return kept, [why]


def vllm_hybrid_block_size(profile: EngineProfile, arch: ModelArchitecture, costs: ShardCosts) -> int:
    """The KV-cache block (tokens) vLLM allocates for a model with recurrent and attention layers: the smallest
    multiple of :data:`~config_explorer.engine.calibration.VLLM_HYBRID_BLOCK_ALIGNMENT` whose attention page (the
    block's keys and values in one attention layer, on this GPU) holds one recurrent layer's state for one sequence,
    from :data:`~config_explorer.engine.calibration.VLLM_HYBRID_BLOCK_SINCE`; else the profile's block. Prompts
    are cached and served in whole blocks, and a sequence's keys and values take whole blocks."""
    release = profile_release(profile)
    recurrent = arch.num_mamba_layers + arch.num_linear_layers
    attention = arch.num_attention_layers
    if (
        profile.name != "vllm"
        or not recurrent
        or not attention
        or costs.kv_bytes_per_token_full <= 0
        or (release is not None and release[:2] < VLLM_HYBRID_BLOCK_SINCE)
    ):
        return profile.block_size
    state_page = costs.state_bytes_per_sequence / recurrent
    token_page = costs.kv_bytes_per_token_full / attention
    align = VLLM_HYBRID_BLOCK_ALIGNMENT
    return max(profile.block_size, align * math.ceil(state_page / (align * token_page)))


@functools.lru_cache(maxsize=2048, typed=True)  # (typed: True is refused where 1 is taken)
def plan_deployment(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    *,
    num_gpus: int,
    tp: int,
    pp: int = 1,
    ep: int = 1,
    dp_attention: int = 1,
    redundant_experts: int = 0,
    expert_imbalance: float | None = None,
    expert_popularity_cv: float | None = None,
    two_batch_overlap: bool = False,
    precision: str | None = None,
    kv_precision: str | None = None,
    input_length: int,
    output_length: int,
    engine: str = "vllm",
    gpu_memory_utilization: float | None = None,
    max_num_batched_tokens: int | None = None,
    max_num_seqs: int | None = None,
    max_model_len: int | None = None,
    speculative: SpeculativeConfig | None = None,
    cached_prompt_tokens: int = 0,
    cached_prefix: tuple[float, int] | None = None,
    api_server_count: int | None = None,
    engine_options: EngineOptions | None = None,
    disaggregated: bool = False,
) -> Deployment:
    """Validate a layout and compute its per-GPU costs and memory budget.

    ``max_model_len=None`` does what ``vllm serve --max-model-len auto`` does: the model's whole
    context when one such sequence fits the KV cache, else the longest that fits (with a warning:
    the engine started with its plain default would refuse). A stated ``max_model_len`` fits exactly
    when the engine would start: one sequence of that length must fit the KV cache.

    ``ep`` splits the experts (and ``redundant_experts`` extra copies) over expert-parallel ranks and
    ``dp_attention`` runs attention in data-parallel groups (see :mod:`config_explorer.engine.layout`);
    ``expert_imbalance`` is the busiest expert-parallel rank's load over the mean (default
    :data:`EXPERT_IMBALANCE`, used when ``ep > 1``); ``expert_popularity_cv`` is how unevenly the traffic's tokens
    spread over a MoE layer's experts, the coefficient of variation of their popularity (default
    :data:`EXPERT_POPULARITY_CV`; 0: uniform routing), which sets how many distinct experts a step reads;
    ``two_batch_overlap`` runs each step as two micro-batches whose token exchanges overlap the other's
    kernels (SGLang's ``--enable-two-batch-overlap``, vLLM's ``--enable-dbo``; needs ``dp_attention > 1``).
    ``api_server_count`` is vLLM's ``--api-server-count``: the front-end processes each replica streams
    its output through (None: vLLM's default, one per data-parallel rank; an engine whose front end is
    not modelled takes none). ``engine_options`` are the engine's options that hold new requests back
    to batch them or change how a step's host work meets its GPU work (:mod:`config_explorer.engine.options`;
    checked with :func:`~config_explorer.engine.options.check_engine_options`). ``disaggregated``: the
    deployment is one pool of a prefill/decode split (SGLang then runs its prompt steps without piecewise
    CUDA graphs, :func:`~config_explorer.engine.calibration.sglang_piecewise_graph_tokens`).
    ``cached_prefix`` (``(share, length)``): the steady share of prompts that start with a cached prefix of
    ``length`` tokens; it sets ``cached_prompt_tokens`` to that share of the prefix's whole blocks, in the blocks
    the deployment allocates (:func:`vllm_hybrid_block_size`).

    A deployment of several data-parallel replicas (``num_gpus`` > ``tp x pp``) is its one replica's plan counted
    that many times, and a stated ``api_server_count`` the default's plan with that count: both are copies of that
    plan (``memo["replica"]`` names the replica's), so that what is worked out per replica is worked out once.

    Raises :class:`InvalidArgumentError` for an invalid layout or argument.
    """
    arguments: dict[str, Any] = dict(locals())  # (the arguments alone: nothing else is bound yet)
    del arguments["arch"], arguments["gpu"]
    require_int_in("num_gpus", num_gpus, MAX_NUM_GPUS)
    if api_server_count is not None:
        require_int_in("api_server_count", api_server_count, MAX_API_SERVERS)
    require_int_in("input_length", input_length, MAX_REQUEST_TOKENS)
    require_int_in("output_length", output_length, MAX_REQUEST_TOKENS)
    why = check_layout(arch, num_gpus, tp, pp, ep, dp_attention, redundant_experts)
    if why:
        raise InvalidArgumentError(why)
    if num_gpus != tp * pp:
        # data-parallel replicas are alike: the plan is one replica's, counted num_gpus / (tp x pp) times, and
        # keeps that replica's plan (memo "replica"), whose per-replica figures all copies of it share
        one = plan_deployment(arch, gpu, **{**arguments, "num_gpus": tp * pp})
        copies = attrs.evolve(one, num_gpus=num_gpus, replicas=num_gpus // (tp * pp))
        copies.memo["replica"] = one
        return copies
    imbalance = _expert_imbalance(expert_imbalance, ep)
    popularity_cv = _expert_popularity_cv(expert_popularity_cv)
    if two_batch_overlap is not False and (two_batch_overlap is not True or dp_attention == 1 or pp > 1):
        raise InvalidArgumentError(
            f"two_batch_overlap={two_batch_overlap!r}: it overlaps the MoE token exchange between attention "
            f"groups, so it needs dp_attention > 1 and pp = 1 (got dp_attention={dp_attention}, pp={pp}); "
            "accepted: True with such a layout, or False"
        )
    weights = normalize_precision(precision) if precision else arch.native_precision
    profile = profile_for(engine)
    engine_title = ENGINE_TITLES.get(profile.name, profile.name)  # the warnings' name for it
    kv = (
        normalize_precision(kv_precision)
        if kv_precision
        else default_kv_precision(
            profile, weights=weights, sparse_attention=arch.sparse_attention, gpu_family=gpu.family
        )
    )
    if arch.compressed_attention and not kv_precision:
        kv = "fp8"  # the engines' own for DeepSeek-V4 (SGLang accepts no other)
    if kv in ("int4", "mxfp4", "fp4"):
        raise InvalidArgumentError(
            f"kv_precision {kv!r} is not a KV-cache format; accepted: bf16, fp16, fp8, fp32"
        )
    if api_server_count is not None and not profile.frontend_token_us:
        raise InvalidArgumentError(
            f"api_server_count={api_server_count} is vLLM's --api-server-count; {profile.name}'s front end is not "
            "modelled, so it takes none"
        )
    if api_server_count is not None:
        # the front-end processes change nothing the plan works out (only how fast the replica streams): the
        # plan is the default's with the count stated
        return attrs.evolve(
            plan_deployment(arch, gpu, **{**arguments, "api_server_count": None}),
            api_server_count=api_server_count,
        )
    options = _checked_options(engine_options, profile.name)
    if options.enable_prefill_delayer:
        check_prefill_delayer(
            profile,
            dp_attention=dp_attention,
            overlap_off=options.disable_overlap_schedule,
            disaggregated=disaggregated,
        )
    recurrent = bool({"mamba", "linear"} & set(arch.attention_kinds))
    # SGLang keeps its overlap scheduler for such a model with the radix cache off, or with the extra buffer it keeps
    # the cached states in from 0.5.14
    extra_buffer = recurrent and sglang_mamba_extra_buffer(
        profile,
        model_class=arch.architecture,
        radix_cache=not options.disable_radix_cache,
        overlap_off=options.disable_overlap_schedule or pp > 1 or speculative is not None,
    )
    radix_recurrent = recurrent and not options.disable_radix_cache and not extra_buffer
    profile = _scheduling(profile, options, pp, speculative, recurrent=radix_recurrent)
    if options.tensorrt_engine:  # TensorRT-LLM as a TensorRT engine: no Python issues its steps
        if options.graph_config_stated:
            raise InvalidArgumentError(
                "engine options cuda_graph_max_batch_size, cuda_graph_padding and cuda_graph_batch_sizes are the "
                "PyTorch backend's cuda_graph_config; a TensorRT engine (tensorrt_engine=true) takes none of them"
            )
        profile = trtllm_tensorrt_engine(profile)
    elif profile.name == "trtllm":
        # the decode graphs its PyTorch backend captures, as cuda_graph_config sets them
        profile = trtllm_decode_graphs(
            profile,
            max_batch_size=options.cuda_graph_max_batch_size,
            padding=options.cuda_graph_padding,
            batch_sizes=options.cuda_graph_batch_sizes,
        )
    if options.enforce_eager:  # vLLM's --enforce-eager
        profile = eager_profile(profile)
    profile = vllm_cudagraph_profile(profile, options.cudagraph_mode)
    warnings: list[str] = []
    # the releases that serve the model's newer layer kinds: a refusal, or a caveat for the unpinned profile
    support: list[tuple[str | None, str | None]] = []
    if arch.compressed_attention:
        support.append(compressed_attention_support(profile, gpu_family=gpu.family, kv_precision=kv))
    if arch.block_sparse_attention:
        support.append(block_sparse_attention_support(profile))
    if arch.full_layers_own_geometry:
        support.append(gemma4_support(profile))
    if "none" in arch.mlp_kinds and arch.is_moe:  # Nemotron-H's MoE blocks
        support.append(nemotron_moe_support(profile, latent_moe=bool(arch.moe_hidden_size)))
    if arch.linear_attention_kind == "kda" and arch.num_linear_layers:
        k3_features = bool(arch.moe_hidden_size or arch.residual_block_size)
        support.append(kimi_delta_attention_support(profile, latent_moe=k3_features))
    for unsupported, caveat in support:
        if unsupported:
            raise InvalidArgumentError(f"{arch.model_id}: {unsupported}")
        if caveat:
            warnings.append(caveat)
    if dp_attention != tp and sglang_forces_dsa_dp_attention(profile, sparse_attention=arch.sparse_attention):
        warnings.append(
            f"SGLang {profile.version} runs a DeepSeek-sparse-attention model with data-parallel attention over all "
            f"{tp} tensor-parallel ranks whatever the launch states (it sets enable_dp_attention and dp_size = "
            f"tp_size itself); this plan has {dp_attention} attention group{'s' if dp_attention > 1 else ''}: plan "
            f"with dp_attention={tp} to match what that release runs"
        )
    if (
        options.enable_prefix_caching
        and arch.is_hybrid
        and profile.name == "vllm"
        and not vllm_hybrid_prefix_caching_allowed(profile)
    ):
        warnings.append(
            f"vLLM {profile.version} turns prefix caching off for a model with recurrent (Mamba, linear-attention) "
            "layers whatever the launch asks (its MambaModelConfig does): planned without it; from 0.11.1 vLLM keeps it "
            "where asked, from 0.28 by default"
        )
    if options.attention_dp_enable_balance and dp_attention == 1:
        warnings.append(
            "attention_dp_enable_balance has no effect without attention DP: TensorRT-LLM's executor balances "
            "context requests across attention-DP ranks only"
        )
    if options.holds_context and dp_attention > 1:
        warnings.append(
            "batch_wait_timeout_iters / batch_wait_max_tokens_ratio have no effect with attention DP: "
            "TensorRT-LLM's executor skips batch waiting then"
        )
    if not gpu.supports_natively(weights):
        warnings.append(
            f"{gpu.name} has no {weights} tensor cores: weights are stored at {weights} but GEMMs run at 16-bit "
            "(weight-only kernels, as vLLM's Marlin does), so only memory, not compute, benefits"
        )
    if kv == "fp8" and gpu.tflops.fp8 is None:
        warnings.append(
            f"{gpu.name} has no native fp8: an fp8 KV cache is stored at 8 bits and upcast to attend"
        )
    request = input_length + output_length
    context = arch.max_position_embeddings
    if context and request > context:
        raise InvalidArgumentError(
            f"prompt + output = {request} tokens exceeds {arch.model_id}'s context of {context} tokens "
            "(max_position_embeddings); the engine rejects such requests: shorten input_length or output_length"
        )
    if max_model_len is not None:
        require_int_in("max_model_len", max_model_len, MAX_SCHEDULER_LIMIT)
        if context and max_model_len > context:
            raise InvalidArgumentError(
                f"max_model_len={max_model_len} exceeds {arch.model_id}'s context of {context} tokens; "
                f"accepted: {request} to {context}"
            )
        if max_model_len < request:
            raise InvalidArgumentError(
                f"max_model_len={max_model_len} is shorter than prompt + output = {request} tokens: the engine "
                f"would reject every request; accepted: {request}"
                + (f" to {context}" if context else " or more")
            )
    if tp // dp_attention > gpu.scale_up_domain:
        warnings.append(
            f"tp={tp} exceeds the {gpu.name}'s scale-up domain of {gpu.scale_up_domain} GPUs: all-reduces cross "
            f"the network at {gpu.scale_out_bandwidth_gb_s:g} GB/s per GPU"
        )
    elif tp > gpu.scale_up_domain:
        warnings.append(
            f"the {tp} GPUs of one stage span {math.ceil(tp / gpu.scale_up_domain)} scale-up domains of the "
            f"{gpu.name}: the MoE layers' token exchange crosses the network at {gpu.scale_out_bandwidth_gb_s:g} GB/s "
            "per GPU"
        )
    eff = efficiency_for_gpu(gpu.name, gpu.family)
    # the checkpoint's FP8 weights scaled per block, as served (a requested other precision re-quantizes them)
    block_scaled = arch.block_scaled_at(weights)
    # the routed experts' own precision (DeepSeek-V4's MXFP4 beside FP8 projections) picks the engine's MoE kernels
    experts = expert_precision(arch, weights)
    gpt_oss = arch.model_type == "gpt_oss"
    runner = _hopper_mxfp4_runner(arch, profile, gpu.family, weights, options)
    if runner is not None and options.moe_runner_backend == TRITON_RUNNER:
        raise InvalidArgumentError(
            f"moe_runner_backend={TRITON_RUNNER}: SGLang has no Triton kernel for the {experts} experts "
            f"{arch.model_id} carries on Hopper (its default runner's MXFP4 path is an SM100 kernel); accepted: "
            + " or ".join(MXFP4_HOPPER_RUNNERS)
        )
    chosen_marlin = _vllm_marlin_experts(arch, gpu, experts, options)
    marlin = arch.is_moe and (
        runs_marlin_moe(profile, experts, gpu.family, gpt_oss=gpt_oss) or runner is not None or chosen_marlin
    )
    trtllm_gen, triton_runner = _expert_kernels(
        arch, profile, gpu.family, weights, options, ep, dp_attention, tp
    )
    # the experts run on the engine's generic (Triton-style) grouped-GEMM kernels: neither fused nor Marlin's
    generic_path = not (marlin or trtllm_gen)
    if profile.scheduler == "sglang" and experts == "mxfp4" and arch.is_moe and gpu.family == "ampere":
        warnings.append(
            f"SGLang runs {experts} experts on Ampere through triton_kernels' matmul_ogs, whose scaled dot the "
            "Triton compiler emulates on sm80, beside its Triton attention backend (SGLang 0.5.4.post2 source), "
            "a path this estimate does not cost: "
            "GPUStack measured gpt-oss-20b on one A100 at 266 output tok/s (1,000 ShareGPT prompts at once, "
            "SGLang 0.5.4.post2), about 23x below this engine's estimate of that run, where vLLM 0.11 with its "
            "defaults (Marlin kernels) served 4,620 tok/s"
        )
    if runner is not None:
        kernel = (
            "Marlin MoE kernel" if runner == "marlin" else "FlashInfer SM90 CUTLASS mixed-input MoE kernel"
        )
        warnings.append(
            f"SGLang runs this model's {experts} experts on Hopper on its {kernel} (--moe-runner-backend {runner}, "
            "which a Hopper launch must name: the default runner's MXFP4 path is an SM100 kernel); "
            + (
                "flashinfer_mxfp4 prefills about 30% faster and decodes a little slower"
                if runner == "marlin"
                else "Marlin decodes a little faster and prefills about 30% slower"
            )
        )
    elif options.moe_runner_backend == TRITON_RUNNER:
        if not arch.is_moe:
            warnings.append(f"moe_runner_backend={TRITON_RUNNER} changes nothing here: no MoE layers")
        elif not triton_runner:
            warnings.append(
                f"moe_runner_backend={TRITON_RUNNER} changes nothing here: SGLang already runs these {experts} "
                "experts on its Triton fused-MoE kernel (or has no Triton kernel for them); the option keeps 16- and "
                "8-bit experts off the FlashInfer TensorRT-LLM-gen kernels SGLang picks on Blackwell for some models"
            )
    elif options.moe_runner_backend is not None:
        warnings.append(
            f"moe_runner_backend={options.moe_runner_backend} changes nothing here: it picks the kernel of MXFP4 "
            "experts an FP8 checkpoint carries (DeepSeek-V4's) on Hopper"
        )
    if options.moe_backend == MARLIN_BACKEND and not arch.is_moe:
        warnings.append(f"moe_backend={MARLIN_BACKEND} changes nothing here: no MoE layers")
    elif chosen_marlin and _named_moe_backend(arch, profile, gpu, experts, options) is None:
        warnings.append(
            f"moe_backend={MARLIN_BACKEND} changes nothing here: vLLM {profile.version} runs these {experts} experts "
            f"on the {gpu.name} on Marlin already"
        )
    if marlin and experts == "mxfp4" and gpu.family == "hopper" and runner is None:
        rate = f"about {MARLIN_MOE_COMPUTE:.0%} of the 16-bit peak at prompt-sized batches"
        if chosen_marlin:
            warnings.append(
                f"moe_backend={MARLIN_BACKEND} runs the {experts} experts on Marlin's MoE kernel ({rate}): it streams "
                "them faster than vLLM's Triton kernel at small batches and computes at about half its rate at "
                "prompt-sized ones"
            )
        elif gpt_oss:
            warnings.append(
                f"vLLM {profile.version} runs {experts} experts on Hopper with its Marlin MoE kernel ({rate}); "
                "vLLM 0.12 and later use the Triton MoE kernel, which reaches about twice Marlin's rate at those "
                "batches"
            )
        else:
            warnings.append(
                f"vLLM {profile.version} runs this model's {experts} experts on Hopper with its Marlin MoE kernel "
                f"({rate}): its MXFP4 kernel choice keeps the faster Triton kernel for gpt-oss only"
            )
    rates, mode = rates_for(
        gpu,
        eff,
        weights,
        tp,
        pp,
        imbalance,
        dp_attention,
        two_batch_overlap,
        mla=arch.is_mla,
        marlin_moe=marlin,
        marlin_compute_scale=SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE if runner == "flashinfer_mxfp4" else 1.0,
        trtllm_gen_moe=trtllm_gen,
        moe_block_scaled=block_scaled,
        block_scaled=block_scaled,
        moe_stream_cap=triton_mxfp4_stream_cap(
            profile, experts, gpu.family, marlin=marlin, peak16_tflops=gpu.gemm_tflops("bf16")[0]
        )
        if arch.is_moe
        else 0.0,
        prefill_tiles=prefill_attention_tiles(profile, gpu.family),
        allreduce_scale=custom_allreduce_scale(
            profile,
            gpu_family=gpu.family,
            nvlink=gpu.has_nvlink_class_link,
            group=tp // dp_attention,
            server_gpus=tp * pp,
            gpus_per_node=gpu.gpus_per_node,
        ),
        moe_slowdown=trtllm_cutlass_moe_slowdown(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            trtllm_gen_moe=trtllm_gen,
            expert_shape=(
                arch.hidden_size,
                arch.moe_intermediate_size,
                arch.num_experts,
                arch.num_experts_per_token,
            ),
            moe_tp=tp // ep,
            ep=ep,
        )
        if arch.is_moe
        else 1.0,
        moe_half_width=trtllm_block_fp8_moe_half_width(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            block_scaled=block_scaled,
        ),
        mla_layer_extra_us=vllm_mla_layer_extra_us(profile, gpu_family=gpu.family, mla=arch.is_mla),
        moe_masked_ep=arch.is_moe
        and masks_remote_experts(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            ep=ep,
            dp_attention=dp_attention,
            deep_gemm=options.deep_gemm,
            block_scaled=block_scaled,
            generic_path=generic_path,
        ),
    )

    # the measured time the generic path's kernels take on Blackwell beyond the generic term: SGLang's Triton fused MoE,
    # and vLLM's DeepGEMM path, which follows the experts a GPU holds
    local_experts = (arch.num_experts + redundant_experts) / ep
    deepep = sglang_dispatches_deepep(
        profile, ep=ep, dp_attention=dp_attention, world=tp, gpu_family=gpu.family
    )
    triton_extra = deepgemm_extra = 0.0
    if arch.is_moe:
        triton_extra = sglang_blackwell_triton_moe_us(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            generic_path=generic_path,
            deepep=deepep,
        )
        deepgemm_extra = vllm_deepgemm_blackwell_moe_us(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            block_scaled=block_scaled,
            deep_gemm=options.deep_gemm,
            local_experts=local_experts,
            moe_tp=tp // ep,
            generic_path=generic_path,
        )
    # vLLM's grouped top-k routing of score-corrected sigmoid routers (DeepSeek-V3, GLM-4.5 and their kin); the fused
    # TensorRT-LLM-gen path routes inside its own launches
    routed = arch.is_moe and not trtllm_gen

    def routing_us(holds_newest: bool = False) -> float:
        return vllm_grouped_topk_us(
            profile,
            model_type=arch.model_type,
            cuda=gpu.vendor == "NVIDIA",
            small_kernel_us=eff.small_kernel_us,
            holds_newest=holds_newest,
        )

    topk_extra = routing_us() if routed else 0.0
    if topk_extra > VLLM_GROUPED_TOPK_US[1][1]:  # the two-kernel routing of releases before 0.15
        warnings.append(
            f"vLLM {profile.version} routes this model's experts with its grouped top-k kernels, about "
            f"{topk_extra + eff.small_kernel_us:.0f} us a MoE layer in this release (one fused kernel of about "
            f"{VLLM_GROUPED_TOPK_US[1][1]:.0f} us from 0.15: vLLM PRs #32058 and #34206 timed them)"
        )
    if triton_extra or deepgemm_extra:
        rates = attrs.evolve(rates, moe_layer_s=rates.moe_layer_s + (triton_extra + deepgemm_extra) * 1e-6)
    if deepgemm_extra and topk_extra:
        topk_extra = routing_us(holds_newest=True)
    if topk_extra:
        rates = attrs.evolve(rates, moe_routing_s=topk_extra * 1e-6)
    fp32_peak = gpu.tflops.fp32
    if (
        arch.is_moe
        and fp32_peak
        and fp32_router(
            profile, model_type=arch.model_type, gpu_family=gpu.family, cuda=gpu.vendor == "NVIDIA"
        )
    ):
        # the FP32 routers' GEMMs on the CUDA cores, at the share of the FP32 peak the 16-bit GEMMs reach of theirs,
        # and at least their measured time a layer at decode batches
        sixteen, _ = gpu.gemm_tflops("bf16")
        one_token_us, batch_us = FP32_ROUTER_DECODE_US
        rates = attrs.evolve(
            rates,
            router_flops=rates.wide_gemm_flops * fp32_peak / sixteen,
            router_one_token_s=one_token_us * 1e-6,
            router_batch_s=batch_us * 1e-6,
        )
    if arch.is_moe and popularity_cv:
        rates = attrs.evolve(rates, expert_popularity_cv=popularity_cv)
    helpers, skipped = (
        vllm_cutlass_fp8_moe_helpers(
            profile,
            gpu_name=gpu.name,
            gpu_family=gpu.family,
            weight_precision=experts,
            block_scaled=block_scaled,
            compressed_tensors=arch.quantization_method == "compressed-tensors"
            and weights == arch.native_precision,
            ep=ep,
        )
        if arch.is_moe and generic_path
        else (0.0, 0)
    )
    if helpers:
        rates = attrs.evolve(rates, moe_helper_s=helpers * 1e-6, moe_helper_skip_tokens=float(skipped))
        warnings.append(
            f"vLLM {profile.version} runs these FP8 experts (scaled per channel, a compressed-tensors checkpoint) on its "
            f"CUTLASS MoE path on the {gpu.name}"
            + (f" above {skipped} tokens a step" if skipped else "")
            + f", whose helper kernels cost about {helpers:.0f} us a MoE layer (the grouped GEMMs' problem sizes"
            + (", the zero-filled output of the split experts" if ep > 1 else "")
            + "; timed in vLLM PRs #31830 and #31754, which removed them in 0.14)"
        )
    if deepgemm_extra:
        warnings.append(
            f"vLLM {profile.version} runs these block-scaled FP8 experts on DeepGEMM's grouped GEMMs at every batch on "
            f"Blackwell, whose per-expert padding costs about {deepgemm_extra:.0f} us a MoE layer here "
            f"({local_experts:g} experts a GPU; aiconfigurator's measured layers); "
            "vLLM 0.12-0.14 turn it off at MoE tensor parallelism 8, and 0.15 and later run FlashInfer's "
            "TensorRT-LLM kernel instead only for the routing methods it takes at that release, which this "
            "model's is not"
        )

    if unquantized_share(arch, weights) < 1.0 and runs_native_mxfp4_linears(
        profile, weight_precision=weights, gpu_mxfp4_tflops=gpu.tflops.mxfp4
    ):
        # W4A4: the quantized linear layers run FP4 x FP4 at the GPU's MX rate behind a per-layer activation
        # quantization kernel; experts stored in MXFP4 keep the 16-bit rate they had (an experts-only checkpoint
        # such as gpt-oss's has no MXFP4 linear layer, and keeps its path whole)
        mx_peak = (gpu.tflops.mxfp4 or 0.0) * 1e12
        rates = attrs.evolve(
            rates,
            gemm_flops=mx_peak * eff.gemm_compute("fp4"),
            peak_gemm_flops=mx_peak,
            moe_gemm_flops=rates.moe_gemm_flops or rates.gemm_flops,
            quantized_linear_s=rates.small_kernel_s,
        )
        mode = "mxfp4"

    # one attention group's heads over its GPUs (the shard's own count is built below)
    heads_per_gpu = arch.num_attention_heads / max(tp // dp_attention, 1)

    # decode attention at the share of the bandwidth the engine's own kernel reads the cache at
    def attention_share_at(value_bytes: float) -> float:
        return decode_attention_bandwidth(
            profile,
            gpu_family=gpu.family,
            family_share=eff.attention_bandwidth,
            bandwidth_bytes_s=gpu.memory_bandwidth_bytes_s,
            kv_value_bytes=value_bytes,
            mla=arch.is_mla,
            model_class=arch.architecture,
            heads_per_gpu=heads_per_gpu,
            gpu_name=gpu.name,
            head_dim=arch.head_dim,
        )

    attention_share = attention_share_at(bytes_per_value(kv))
    if attention_share != eff.attention_bandwidth:
        rates = attrs.evolve(rates, attention_bandwidth=gpu.memory_bandwidth_bytes_s * attention_share)
    wide_mla = blackwell_wide_mla_decode(
        profile,
        gpu_family=gpu.family,
        model_class=arch.architecture,
        heads_per_gpu=heads_per_gpu,
        kv_value_bytes=bytes_per_value(kv),
    )
    if arch.is_mla and wide_mla:
        # a rank holding 64 heads or more: TensorRT-LLM's MLA kernel's arithmetic at its measured share (FP8 with an
        # FP8 cache), in place of FlashMLA's
        rates = attrs.evolve(rates, attention_decode_flops=gpu.gemm_tflops("bf16")[0] * 1e12 * wide_mla[1])
    if bytes_per_value(kv) == 1.0:
        # the time an FP8 cache's decode attention takes against a 16-bit cache's on the same kernel
        sixteen = attention_share_at(2.0)
        ratio = sixteen / (2.0 * attention_share)
        if ratio > FP8_KV_DECODE_NOTE_RATIO:
            warnings.append(
                f"an FP8 KV cache halves the cache's bytes, but {engine_title}'s decode-attention kernel on the "
                f"{gpu.name} reads it at {attention_share:.0%} of the bandwidth against {sixteen:.0%} for a 16-bit "
                f"cache (aiconfigurator's kernel tables): decode attention takes {ratio:.0%} of the 16-bit cache's "
                "time, not half; the cache still holds twice the tokens"
            )
    if runs_cutlass_block_fp8(
        profile,
        weight_precision=weights,
        gpu_family=gpu.family,
        block_scaled=block_scaled,
        deep_gemm=options.deep_gemm,
    ):
        rates = attrs.evolve(
            rates,
            # the kernel's own fixed time beyond a GEMM's launch, and its pad and quantization kernels
            quantized_linear_s=max(VLLM_CUTLASS_BLOCK_FP8_FIXED_US * 1e-6 - rates.gemm_kernel_s, 0.0)
            + 2 * rates.small_kernel_s,
            quantized_linear_bandwidth=VLLM_CUTLASS_BLOCK_FP8_GB_S * 1e9,
            quantized_linear_flops=VLLM_CUTLASS_BLOCK_FP8_TFLOPS * 1e12,
        )
        warnings.append(
            f"vLLM {profile.version} without DeepGEMM runs the {weights} checkpoint's block-scaled linear layers on "
            "CUTLASS's blockwise kernel, several times slower at decode batches; with DeepGEMM installed (the "
            "release Docker images ship it) say engine_options={'deep_gemm': True}"
        )
    if runs_marlin_linears(profile, weight_precision=weights, gpu_family=gpu.family):
        # the linears' bytes at the family's GEMM bandwidth as before, their FLOPs at Marlin's compute rate
        rates = attrs.evolve(
            rates,
            quantized_linear_bandwidth=rates.gemm_bandwidth,
            quantized_linear_flops=gpu.gemm_tflops("bf16")[0] * 1e12 * MARLIN_MOE_BY_FAMILY[gpu.family][0],
        )
    if rates.moe_masked_ep:
        warnings.append(
            f"{engine_title}'s expert parallelism without data-parallel attention keeps every token on each of the "
            f"{ep} GPUs and masks the experts held elsewhere: each GPU streams the MoE activations of every routed "
            "token, not its 1/ep share (aiconfigurator's measured layers), so a prompt step costs about what "
            "tensor parallelism's does; the gain is memory and decode. Data-parallel attention with an all-to-all "
            "backend exchanges only the routed tokens"
        )
    # the expert GEMMs' own (fraction of the peak, half width) where the engine's kernel is not the family's generic one:
    # FlashInfer's TensorRT-LLM-gen kernels, else vLLM's Triton kernel, on block-scaled FP8 experts
    expert_rate = trtllm_gen_block_fp8_moe_rate(experts, trtllm_gen_moe=trtllm_gen, block_scaled=block_scaled)
    if expert_rate is None and runs_vllm_triton_block_fp8_moe(
        profile,
        weight_precision=experts,
        gpu_family=gpu.family,
        block_scaled=block_scaled,
        deep_gemm=options.deep_gemm,
    ):
        expert_rate = VLLM_TRITON_BLOCK_FP8_MOE
    if arch.is_moe and expert_rate is not None:
        fraction, half_width = expert_rate
        rates = attrs.evolve(
            rates, moe_gemm_flops=rates.peak_gemm_flops * fraction, moe_half_width=half_width
        )
    if runs_aiter_block_fp8(
        profile,
        weight_precision=weights,
        gpu_family=gpu.family,
        block_scaled=block_scaled,
    ):
        fixed_us, gb_s, share, rows = AITER_BLOCK_FP8[gpu.family]
        rates = attrs.evolve(
            rates,
            # the GEMM's own fixed time beyond the family's launch, and its input-quantization kernel
            quantized_linear_s=max(fixed_us * 1e-6 - rates.gemm_kernel_s, 0.0) + rates.small_kernel_s,
            quantized_linear_bandwidth=gb_s * 1e9,
            quantized_linear_flops=share * gpu.gemm_tflops("fp8")[0] * 1e12,
            quantized_linear_rows=rows,
        )
    elif runs_rowwise_fp8_tiles(
        profile,
        weight_precision=weights,
        gpu_family=gpu.family,
        block_scaled=block_scaled,
    ):
        # the family's launch and stream, with the GEMMs' row floor at their own rate
        share, rows = AITER_ROWWISE_FP8[gpu.family]
        rates = attrs.evolve(
            rates,
            quantized_linear_bandwidth=rates.gemm_bandwidth,
            quantized_linear_flops=share * gpu.gemm_tflops("fp8")[0] * 1e12,
            quantized_linear_rows=rows,
        )
    # SGLang's Hopper runners for such experts keep the checkpoint's widths (sglang_hopper_mxfp4_runner)
    pad = 1 if runner is not None else MXFP4_PAD
    costs = _costs(arch, weights, kv, tp, pp, ep, dp_attention, redundant_experts, pad)
    if rates.router_flops:
        # FP32 routers are read at four bytes a weight, two more than the 16-bit ones counted, and held so where the
        # engine loads them as FP32. A router weight is two FLOPs a token, so the GPU's router FLOPs per token of its
        # own group (per replica token times the groups) are also its router weights' two extra bytes
        extra = costs.router_flops_per_token * costs.dp_attention
        held = extra if fp32_router_parameters(profile, arch.model_type) else 0.0
        costs = attrs.evolve(
            costs,
            dense_weight_bytes=costs.dense_weight_bytes + extra,
            resident_weight_bytes=costs.resident_weight_bytes + held,
        )
        prompt_ms = costs.router_flops_per_token * FP32_ROUTER_NOTE_TOKENS / rates.router_flops * 1e3
        decode_ms = costs.moe_layers * rates.router_batch_s * 1e3
        release = f" {profile.version}" if profile.version else ""
        warnings.append(
            f"{engine_title}{release} runs this model's MoE routers as FP32 GEMMs on "
            f"the CUDA cores: about {prompt_ms:.0f} ms of a prompt step of {FP32_ROUTER_NOTE_TOKENS:,} tokens and "
            f"{decode_ms:.1f} ms of a decode step of several sequences on this GPU"
        )
    costs, kept = _window_kv(
        profile,
        arch,
        gpu.family,
        costs,
        options,
        speculative=speculative is not None,
        disaggregated=disaggregated,
    )
    warnings.extend(kept)
    unfused = sglang_rocm_unfused_norm_kernels(
        profile,
        architecture=arch.architecture,
        gpu_family=gpu.family,
        attention_layers=costs.attention_kernels,
        moe_layers=costs.moe_layers,
    )
    if unfused:
        costs = attrs.evolve(costs, small_kernels=costs.small_kernels + unfused)
    if costs.shared_expert_kernels != (0, 0):
        placement = shared_expert_placement(
            profile,
            model_class=arch.architecture,
            num_experts=arch.num_experts,
            one_shared_expert=arch.shared_expert_intermediate_size == arch.moe_intermediate_size,
            trtllm_gen_moe=trtllm_gen,
            gpu_family=gpu.family,
            ep=ep,
            dp_attention=dp_attention,
            two_batch_overlap=two_batch_overlap,
            world=tp,
        )
        if placement != costs.shared_experts:
            costs = attrs.evolve(costs, shared_experts=placement)
    # MoE tokens gathered to every rank before the experts, the 16-bit results scattered back after them: the bytes
    # of one gathered hidden value, None where the layer does not gather
    gather_bytes: float | None = None
    if arch.is_moe and trtllm_gathers_moe_tokens(
        profile,
        dp_attention=dp_attention,
        ep=ep,
        scale_up_domain=gpu.scale_up_domain,
        gpus_per_node=gpu.gpus_per_node,
    ):
        # TensorRT-LLM's attention-DP ranks: every rank's tokens at the experts' dispatch precision
        gather_bytes = trtllm_moe_gather_bytes(experts, block_scaled=block_scaled)
    elif arch.is_moe and profile.name == "sglang" and ep > 1 and dp_attention > 1 and not deepep:
        # SGLang's standard dispatcher beside data-parallel attention (no DeepEP: the experts split over fewer GPUs
        # than the stage): every group's 16-bit hidden states (layers/communicator.py;
        # benchmarks/data/sglang_dp_attention_launch_evidence.md)
        gather_bytes = 2.0
    if gather_bytes is not None:
        costs = attrs.evolve(
            costs,
            moe_exchange_gathers=True,
            moe_exchange_token_bytes=costs.expert_hidden * (gather_bytes + 2.0) * costs.moe_layers,
        )
    # SGLang's expert parallelism beside data-parallel attention over every GPU dispatches tokens with DeepEP, whose
    # expert GEMMs are DeepGEMM's, not the Triton kernel's (as the Blackwell Triton term above takes it)
    if (
        arch.is_moe
        and not deepep
        and runs_triton_fused_moe(
            profile,
            weight_precision=experts,
            gpu_family=gpu.family,
            block_scaled=block_scaled,
            deep_gemm=options.deep_gemm,
            generic_path=generic_path,
        )
    ):
        multiplier, tiles_caveat = _triton_moe_tiles(
            arch, profile, gpu, costs, experts, block_scaled, int(local_experts), tp // ep
        )
        warnings.extend(tiles_caveat)
        if multiplier != 1.0:
            # the measured rate of the release's tiles for this layer (tuned, or the kernel's defaults)
            rates = attrs.evolve(
                rates, moe_gemm_flops=(rates.moe_gemm_flops or rates.gemm_flops) / multiplier
            )
    glue_us = dsa_prompt_glue_us(profile, gpu_family=gpu.family, sparse_attention=arch.sparse_attention)
    if glue_us:
        # per token of the replica's step: with data-parallel attention a GPU works on its group's share of them
        layers = arch.num_attention_layers * costs.layers / arch.num_layers
        costs = attrs.evolve(costs, prompt_glue_s=glue_us * 1e-6 * layers / costs.dp_attention)
    if profile.eager_launch_us:
        # the launches the engine's eager forward issues, counted from its model code where it was read
        launches = (
            trtllm_eager_calls(arch, gpu_family=gpu.family, ep=ep, dp_attention=dp_attention, weights=weights)
            if profile.name == "trtllm"
            else sglang_eager_launches(
                arch,
                release=profile_release(profile),
                gpu_family=gpu.family,
                tp=tp,
                ep=ep,
                dp_attention=dp_attention,
                weights=weights,
                kv_precision=kv,
                trtllm_gen_moe=trtllm_gen,
                shared_fused=costs.shared_experts.mode == "fused",
            )
        )
        if launches:
            costs = attrs.evolve(costs, eager_launches=round(launches * costs.layers / arch.num_layers))
    if arch.compressed_attention and pads_compressed_heads(profile, gpu_family=gpu.family):
        padded = compressed_heads(costs.attention_heads)
        if padded != costs.attention_heads:  # FlashMLA's sparse kernels compute 64 or 128 heads a GPU
            frac = costs.layers / arch.num_layers
            costs = attrs.evolve(
                costs, **compressed_attention_costs(arch, kv, frac, costs.dp_attention, padded)
            )
    if arch.sparse_attention:
        if arch.kv_lora_rank and sparse_attention_dense_prompts(
            profile, gpu_family=gpu.family, kv_precision=kv
        ):
            # dense MHA over the decompressed latent, unpadded: a pair costs the query/key and value head dims
            # where the absorbed sparse kernel's costs twice the latent plus the rotary part; the latent's
            # decompression for the keys and values stands in for the absorbed form's per-query projections
            latent = 2 * arch.kv_lora_rank + arch.qk_rope_head_dim
            dense = (arch.q_head_dim + arch.v_head_dim) / latent
            costs = attrs.evolve(
                costs,
                dense_prompt_context=arch.index_topk or 0,
                dense_prompt_flops_per_pair=costs.attention_flops_per_pair_windowed * dense,
            )
        prompt_pad, decode_pad = sparse_mla_head_padding(
            profile,
            gpu_family=gpu.family,
            heads_per_gpu=costs.attention_heads,
            kv_value_bytes=bytes_per_value(kv),
        )
        if (prompt_pad, decode_pad) != (1.0, 1.0):
            pair = costs.attention_flops_per_pair_windowed
            costs = attrs.evolve(
                costs,
                attention_flops_per_pair_windowed=pair * decode_pad,
                attention_flops_per_pair_prompt_windowed=pair * prompt_pad,
            )
            warnings.append(
                f"{engine_title}'s sparse MLA kernel (FlashMLA's) computes heads in multiples of "
                f"{SPARSE_MLA_HEAD_PADDING[gpu.family]} on the {gpu.name}: each GPU's {costs.attention_heads:g} heads "
                f"are padded to {costs.attention_heads * prompt_pad:g} for prompts"
                + (" and decodes" if decode_pad > 1.0 else "")
                + ", so that attention costs "
                f"{prompt_pad:g}x its FLOPs; data-parallel attention (every head on each GPU) pads none"
            )
        if sparse_mla_full_topk(profile, kv_value_bytes=bytes_per_value(kv)):
            # every prompt and decode token attends all index_topk slots, used or not: a fixed cost per token
            # (its heads padded as above) in place of the pairs of its context
            costs = attrs.evolve(
                costs,
                attention_flops_per_token=costs.attention_flops_per_token
                + costs.window * costs.attention_flops_per_pair_windowed,
                attention_flops_per_pair_windowed=0.0,
                attention_flops_per_pair_prompt_windowed=0.0,
            )
    budget = max_num_batched_tokens or default_step_budget(
        profile, gpu, max_model_len or context or request, dp_attention
    )
    seqs = max_num_seqs or profile.max_num_seqs(gpu.name, gpu.memory_gib)
    require_int_in("max_num_batched_tokens", budget, MAX_SCHEDULER_LIMIT)
    require_int_in("max_num_seqs", seqs, MAX_SCHEDULER_LIMIT)
    profile = attrs.evolve(
        profile,
        graph_max_tokens=vllm_graph_capture_tokens(
            profile,
            model_class=arch.architecture,
            max_num_seqs=seqs,
            max_num_batched_tokens=budget,
            stated=options.max_cudagraph_capture_size,
        ),
    )
    if profile.graph_padded_sizes and profile.graph_padded_sizes[-1] > seqs:
        # TensorRT-LLM captures no padded graph above the batch it runs, and captures that batch instead
        # (``_filter_cuda_graph_batch_sizes`` in tensorrt_llm/_torch/pyexecutor/model_engine.py)
        capped = trtllm_captured_graph_sizes(profile.graph_padded_sizes, seqs, padding=True)
        profile = attrs.evolve(profile, graph_padded_sizes=capped, graph_max_tokens=seqs)
    if budget < seqs and profile.scheduler != "sglang":
        # vLLM's SchedulerConfig refuses to start below this; every running sequence's decode token must
        # fit in a step, which both serving models assume (the analytic one overstates throughput past it)
        raise InvalidArgumentError(
            f"max_num_batched_tokens={budget:,} is below max_num_seqs={seqs:,}: the engine needs "
            "max_num_batched_tokens >= max_num_seqs (vLLM's SchedulerConfig refuses to start otherwise)"
        )
    piecewise = (
        0
        if options.disable_piecewise_cuda_graph
        else sglang_piecewise_graph_tokens(
            profile,
            model_class=arch.architecture,
            mla=arch.is_mla,
            chunk_tokens=budget,
            gpu_family=gpu.family,
            dp_attention=dp_attention,
            pp=pp,
            speculative=speculative is not None,
            disaggregated=disaggregated,
            trtllm_gen_moe=trtllm_gen,
            two_batch_overlap=two_batch_overlap,
        )
    )
    if (
        piecewise
        and arch.architecture == "DeepseekV3ForCausalLM"
        and gpu.family == "blackwell"
        and kv == "fp8"
        and profile.name == "sglang"
    ):
        # 0.5.13 and 0.5.14 capture DeepSeek-V3's prompts on Blackwell, whose default trtllm_mla backend then
        # falls back to FlashInfer's paged MLA, which converts the layer's whole FP8 KV pool every forward
        warnings.append(
            f"SGLang {profile.version or ''} captures MLA prompt steps on the {gpu.name} in piecewise graphs, where "
            "its trtllm_mla attention converts each layer's whole FP8 KV pool to 16-bit every forward "
            "(sgl-project/sglang PR #28053, issue #32655), a cost this estimate does not include; 0.5.15 and later "
            "run these prompts eagerly, and a 16-bit KV cache avoids the conversion"
        )
    if piecewise:
        profile = attrs.evolve(
            profile,
            prefill_in_graphs=True,
            prefill_graph_max_tokens=piecewise,
            absorbed_mla_prefill=arch.is_mla,
        )
    # decode batches up to the engine's tiered limit replay graphs (SGLang's cuda_graph_max_bs), or up to
    # the limit the launch states
    tier = profile.memory_tier(gpu.memory_gib, tp, dp_attention)
    if options.cuda_graph_max_bs is not None:
        profile = attrs.evolve(profile, graph_max_tokens=options.cuda_graph_max_bs)
    elif tier is not None:
        profile = attrs.evolve(profile, graph_max_tokens=tier[1])
    gathered = sglang_gathered_moe_sizes(
        profile,
        dp_attention=dp_attention,
        attention_tp=tp // dp_attention,
        ep=ep,
        two_batch_overlap=bool(two_batch_overlap),
    )
    if gathered:  # the MoE layers of a graphed decode step take every group's padded rows
        rates = attrs.evolve(rates, gathered_moe_sizes=gathered)
    # SGLang keeps a recurrent model's layer states in a pool of their own beside the KV cache, their SSM part in
    # 32 bits unless the checkpoint says otherwise: the memory is budgeted as if for the KV cache alone, then split
    state_pool = profile.name == "sglang" and costs.state_bytes_per_sequence > 0
    if state_pool:
        ssm_dtype = options.mamba_ssm_dtype  # --mamba-ssm-dtype, over the checkpoint's
        ssm = (
            WORD_OPTIONS["mamba_ssm_dtype"][ssm_dtype]
            if ssm_dtype
            else arch.mamba_ssm_dtype or SGLANG_MAMBA_SSM_PRECISION
        )
        scale = arch.mamba_state_bytes_per_sequence(ssm_precision=ssm) / arch.mamba_state_bytes_per_sequence(
            ssm_precision=arch.mamba_ssm_dtype
        )
        costs = attrs.evolve(costs, state_bytes_per_sequence=costs.state_bytes_per_sequence * scale)
    # vLLM sizes a hybrid model's blocks to hold a recurrent layer's state: its keys, values and cached prompts
    # come in those blocks
    block = vllm_hybrid_block_size(profile, arch, costs)
    if arch.compressed_attention:  # DeepSeek-V4's caches come in blocks of the engine's own size
        block = COMPRESSED_ATTENTION_BLOCK.get(profile.name, block)
    # MiniMax-M3 on vLLM: its recipe makes the cache's blocks its sparse attention's
    if arch.block_sparse_attention and profile.name == "vllm":
        block = arch.sparse_block_size
    if block != profile.block_size:
        profile = attrs.evolve(profile, block_size=block)
    # SGLang serves a hybrid model's shared prefixes only where its radix cache stored a state
    unit = (
        sglang_hybrid_prefix_unit(extra_buffer=extra_buffer, chunk_size=arch.mamba_chunk_size)
        if profile.name == "sglang" and recurrent and not options.disable_radix_cache
        else 1
    )
    if cached_prefix is not None:  # the steady share of prompts that carry a prefix, times its whole blocks
        share, length = cached_prefix
        served = served_prefix_tokens(length, unit, caching=prefix_caching(profile, options, arch))
        cached_prompt_tokens = min(round(share * (served // block) * block), input_length - 1)
    # what a sequence holds in the KV cache's memory: the states, pooled apart, none of it; vLLM's cached
    # hybrid prefixes, two copies of them
    state_pages = vllm_state_pages(profile, options, arch)
    kv_costs = attrs.evolve(
        costs, state_bytes_per_sequence=0.0 if state_pool else costs.state_bytes_per_sequence * state_pages
    )
    sequence = request if max_model_len is None else max_model_len
    memory = memory_plan(
        arch,
        gpu,
        kv_costs,
        profile,
        gpu_memory_utilization=gpu_memory_utilization,
        max_num_batched_tokens=budget,
        max_num_seqs=seqs,
        sequence_tokens=sequence,
        precision=weights,
    )
    engine_default_fraction: float | None = None
    if profile.scheduler == "sglang" and dp_attention > 1 and gpu_memory_utilization is None:
        own = sglang_fraction(
            gpu, costs, profile, budget * dp_attention, arch.is_mla, data_parallel_padding=True
        )
        if own != memory.gpu_memory_utilization:
            engine_default_fraction = own if own > 0 else None
            told = f"is {own:g}" if own > 0 else "leaves nothing (the server would not start with it)"
            warnings.append(
                f"SGLang's own default mem_fraction_static with {dp_attention} attention groups {told}: it "
                f"reserves {profile.graph_max_tokens} graphed sequences x {dp_attention} groups x 3 MiB more for "
                f"data-parallel padding (4.5 past 300); this plan budgets {memory.gpu_memory_utilization:g}, and "
                "its launch command states it (--mem-fraction-static)"
            )
    if speculative is not None:
        memory = _with_draft(memory, costs, speculative)
    if not 0 <= cached_prompt_tokens < input_length:
        raise InvalidArgumentError(
            f"cached_prompt_tokens={cached_prompt_tokens} must be in [0, input_length={input_length})"
        )
    # the states' pool takes its share of that memory (or the slots the launch states), and SGLang runs at most
    # one request per few of its slots
    state_cap: int | None = None
    state_gib = 0.0
    # the server's --max-running-requests where the plan states one (a group's limit times the groups)
    server_running = None if max_num_seqs is None else max_num_seqs * dp_attention
    if state_pool:
        group_slots, per_request = sglang_state_pool_slots(
            profile,
            radix_cache=not options.disable_radix_cache,
            max_running_requests=server_running,
            attention_groups=dp_attention,
            extra_buffer=extra_buffer,
        )
        if group_slots is None:  # the memory split
            state_gib = (
                memory.kv_capacity_gib
                * SGLANG_MAMBA_FULL_MEMORY_RATIO
                / (1.0 + SGLANG_MAMBA_FULL_MEMORY_RATIO)
            )
            slots = int(state_gib * GIB // costs.state_bytes_per_sequence)  # the replica's sequences
            sized = f"mamba_full_memory_ratio {SGLANG_MAMBA_FULL_MEMORY_RATIO:g} of what the weights leave"
        else:  # a pool of stated size: per GPU, its group's slots of the group's share of a sequence's state
            slots = group_slots * dp_attention
            state_gib = slots * costs.state_bytes_per_sequence / GIB
            sized = f"{group_slots:,} slots a group, as the launch sizes it"
        memory = attrs.evolve(memory, kv_capacity_gib=max(memory.kv_capacity_gib - state_gib, 0.0))
        state_cap = slots // per_request // dp_attention
        radix = "off" if per_request == 1 else "on and its extra buffer" if extra_buffer else "on"
        state_note = (
            f"SGLang keeps the recurrent layers' state in a pool of its own, {state_gib:.1f} GiB a GPU "
            f"({sized}, beside {memory.kv_capacity_gib:.1f} GiB of KV cache): {slots:,} slots of "
            f"{costs.state_bytes_per_sequence * tp / dp_attention / 2**20:.0f} MiB (its SSM state in {ssm}), one "
            f"running request per {per_request} slot{'s' if per_request > 1 else ''} with the radix cache {radix}"
        )
        needed = sequence_kv_bytes(kv_costs, sequence, profile.block_size)
        if memory.fits and state_cap < 1:
            memory = attrs.evolve(
                memory, fits=False, reason=f"{state_note}: no request can run (SGLang refuses to start)"
            )
        elif memory.fits and memory.kv_capacity_gib * GIB < needed:
            memory = attrs.evolve(
                memory,
                fits=False,
                reason=f"{state_note}, less than the {needed / GIB:.2f} GiB one {sequence}-token sequence needs "
                "(SGLang refuses to start with this context length)",
            )
    longest = sequence_capacity_tokens(kv_costs, memory.kv_capacity_gib * GIB, profile.block_size)
    if max_model_len is None:
        default = context or request
        resolved = max(min(default, longest), request)
        if memory.fits and resolved < default:
            warnings.append(
                f"the KV cache holds at most {longest:,} tokens per sequence, less than the model's context of "
                f"{default:,}: {profile.name} started with its default max_model_len would refuse to start; this "
                f"estimate assumes --max-model-len {resolved} (or vLLM's --max-model-len auto)"
            )
    else:
        resolved = max_model_len
    kv_value_b = bytes_per_value(kv)
    if memory.fits and sglang_converts_kv_pool(
        profile,
        model_class=arch.architecture,
        mla=arch.is_mla,
        kv_value_bytes=kv_value_b,
        gpu_family=gpu.family,
        sparse=arch.sparse_attention,
    ):
        # every slot of one GPU's pool (what the cache holds of one sequence: an MLA model has no windowed
        # layers), each layer of its stage
        pool = longest
        latent = (arch.kv_lora_rank or 0) + arch.qk_rope_head_dim
        conversion = sglang_kv_pool_conversion_s(
            layers=costs.attention_kernels,
            pool_tokens=pool,
            latent_values=latent,
            kv_value_bytes=kv_value_b,
            bandwidth_bytes_s=gpu.memory_bandwidth_bytes_s,
            gpu_family=gpu.family,
        )
        # and the kernel then reads the converted 16-bit copy: two bytes a value at the kernel's 16-bit share,
        # where the cache's own accounting counts one
        rates = attrs.evolve(
            rates,
            kv_pool_conversion_s=conversion,
            attention_bandwidth=gpu.memory_bandwidth_bytes_s * attention_share_at(2.0) * kv_value_b / 2.0,
        )
        warnings.append(
            f"SGLang's default MLA attention on the {gpu.name} reads the {kv} KV cache by converting each layer's "
            f"whole pool ({pool:,} tokens a GPU here) to 16-bit every decode step and attending over that copy "
            f"(sgl-project/sglang issue #35291): {conversion * 1e3:.1f} ms a step in this estimate for the "
            "conversion, and decode attention at a 16-bit cache's cost; the copy of one layer's pool takes "
            f"{(pool + 1) * latent * 2.0 / GIB:.2f} GiB beside the static pool (not budgeted); a 16-bit KV cache, a "
            "smaller pool "
            "(--max-total-tokens) or --attention-backend flashmla avoids it"
        )
    # (models with recurrent layers: SGLang caps it by the state cache as well, which is not modelled, so the
    # profile's default stands)
    if profile.scheduler == "sglang" and max_num_seqs is None and arch.compressed_attention:
        # its DeepSeek-V4 hook states a limit of its own, which the attention groups share
        seqs = max(SGLANG_COMPRESSED_MAX_RUNNING // dp_attention, 1)
    elif (
        profile.scheduler == "sglang"
        and max_num_seqs is None
        and not recurrent
        and 0 < longest < UNBOUNDED_TOKENS
    ):
        seqs = sglang_running_requests(longest, max_model_len or context or request)
    if state_cap is not None and 0 < state_cap < seqs:
        stated = "" if max_num_seqs is None else f" (not the {max_num_seqs} asked)"
        hint = ""
        if not options.disable_radix_cache:  # what the same launch would run without the prefix cache
            unbuffered, _ = sglang_state_pool_slots(
                profile,
                radix_cache=False,
                max_running_requests=server_running,
                attention_groups=dp_attention,
            )
            without = unbuffered if unbuffered is not None else slots // dp_attention
            if without > state_cap:
                hint = (
                    f"; without the radix cache (--disable-radix-cache, which loses nothing where prompts share no "
                    f"prefix) a request takes one slot: up to {min(without, seqs):,}"
                )
        warnings.append(
            f"{state_note}: at most {state_cap:,} running requests per attention group{stated}{hint}"
        )
        seqs = state_cap
    if arch.sparse_attention:
        # each decode's indexer logits row, written max_model_len wide in every sparse layer of the stage by the
        # releases that clean it (every GPU of an attention group scores its group's sequences)
        row = indexer_decode_logits_bytes(profile, gpu_family=gpu.family, max_model_len=resolved)
        if row:
            indexed = arch.attention_kinds.count("full") * costs.layers / arch.num_layers
            costs = attrs.evolve(
                costs,
                decode_read_bytes_per_sequence=costs.decode_read_bytes_per_sequence
                + row * indexed / costs.dp_attention,
                # a prompt step's [tokens, contexts] FP32 logits, cleaned whole in the same releases
                prefill_logits_bytes_per_cell=4.0 * indexed,
            )
    chunked_read = trtllm_chunked_decode_read_factor(
        profile,
        gpu_family=gpu.family,
        chunked_attention=arch.chunked_attention,
        chunk_tokens=arch.sliding_window or 0,
        max_seq_len=resolved,
        query_heads_per_kv_head=costs.query_heads_per_kv_head,
        grouped_share=attention_share,
        per_head_share=eff.attention_bandwidth,
    )
    if chunked_read != 1.0:
        rates = attrs.evolve(rates, windowed_decode_read_factor=chunked_read)
        warnings.append(
            f"{engine_title} has no XQA kernel for Llama 4's chunked attention on the {gpu.name}: with max_seq_len "
            f"{resolved:,} at or past the {arch.sliding_window:,}-token chunk its chunked layers decode on the "
            f"masked multi-head attention kernel, one query head at a time, reading each KV head "
            f"{costs.query_heads_per_kv_head:g} times ({chunked_read:.1f}x XQA's time for those layers; "
            "NVIDIA/TensorRT-LLM PR #6306); a max_seq_len below the chunk keeps XQA"
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
        max_model_len=resolved,
        step_cost=StepCost(costs, rates, profile)
        if speculative is None
        else SpeculativeStepCost(costs, rates, profile, speculative),
        warnings=tuple(warnings),
        speculative=speculative,
        cached_prompt_tokens=cached_prompt_tokens,
        api_server_count=api_server_count,
        options=options,
        engine_default_fraction=engine_default_fraction,
        state_pool=state_pool,
        state_pool_gib=state_gib,
        state_pages=state_pages,
        prefix_unit=unit,
    )


#: the draft methods vLLM schedules asynchronously with (``EagleModelTypes`` in vllm/config/speculative.py)
ASYNC_DRAFT_METHODS: Final = ("eagle", "eagle3", "mtp")


def _triton_moe_tiles(
    arch: ModelArchitecture,
    profile: EngineProfile,
    gpu: GPUSpec,
    costs: ShardCosts,
    experts: str,
    block_scaled: bool,
    local_experts: int,
    moe_tp: int,
) -> tuple[float, list[str]]:
    """(the layer's grouped-GEMM compute time over the generic term, the caveat) for a Triton fused-MoE layer: whether
    the engine's release ships a tuned tile config for it on this GPU
    (:func:`~config_explorer.engine.calibration.triton_moe_config_tuned`) sets the measured multiplier where there is
    one (:func:`~config_explorer.engine.calibration.triton_moe_compute_multiplier`), and a layer on the default tiles
    gets a caveat. SGLang's fused shared expert (DeepSeek-V3's one) is one more expert of the kernel's (its files
    name 257)."""
    local = local_experts + (1 if costs.shared_experts.mode == "fused" else 0)
    width = arch.moe_intermediate_size // max(moe_tp, 1)
    tuned = triton_moe_config_tuned(
        profile,
        local_experts=local,
        width=width,
        device_name=gpu.device_name,
        weight_precision=experts,
        block_scaled=block_scaled,
    )
    multiplier = triton_moe_compute_multiplier(
        profile, weight_precision=experts, block_scaled=block_scaled, gpu_family=gpu.family, tuned=tuned
    )
    if tuned is not False:
        return multiplier, []
    release = f" {profile.version}" if profile.version else ""
    remedy = (
        "a config tuned with vLLM's benchmarks/kernels/benchmark_moe.py --tune and placed in VLLM_TUNED_CONFIG_FOLDER"
        if profile.name == "vllm"
        else "a config tuned with SGLang's fused-MoE tuning script"
    )
    head = (
        f"{ENGINE_TITLES.get(profile.name, profile.name)}{release} ships no tuned Triton fused-MoE config for this layer "
        f"(E={local}, N={width} on the {gpu.name}), so it runs the kernel's default tiles: "
    )
    if multiplier != 1.0:
        tuned_multiplier = triton_moe_compute_multiplier(
            profile, weight_precision=experts, block_scaled=block_scaled, gpu_family=gpu.family, tuned=True
        )
        return multiplier, [
            f"{head}NVIDIA aiconfigurator's measured layers put their grouped GEMMs at "
            f"{multiplier / tuned_multiplier:.2f}x a tuned layer's compute time, which this estimate charges (prompt-"
            f"sized steps feel it most); {remedy} removes it"
        ]
    low, median, high = TRITON_MOE_DEFAULT_SLOWDOWN
    return multiplier, [
        f"{head}published default-vs-tuned pairs take {low:.2f}-{high:.2f}x the tuned time (median {median:.2f}x), "
        f"which this estimate does not charge; {remedy} removes the doubt"
    ]


def sglang_running_requests(pool_tokens: int, context_len: int) -> int:
    """SGLang's default cap on running requests per attention group, from the KV pool's tokens and the
    context length it serves: ``512`` requests per context's worth of pool, between 2,048 and 4,096, and
    never more than half the pool's tokens (``ModelRunner._resolve_max_num_reqs`` in
    sglang/srt/model_executor/model_runner_kv_cache_mixin.py, 0.5.12; ``pool_configurator.py``, 0.5.23)."""
    estimated = max(min(int(pool_tokens / context_len * 512), 4096), 2048)
    return max(min(estimated, pool_tokens // 2), 1)


def default_step_budget(profile: EngineProfile, gpu: GPUSpec, max_model_len: int, dp_attention: int) -> int:
    """The step token budget of one attention group when the caller leaves it to the engine.

    SGLang's server divides its ``chunked_prefill_size`` over the attention groups of data-parallel
    attention (``_handle_data_parallelism`` in python/sglang/srt/server_args.py of the 0.5.12 wheel;
    ``sglang/srt/arg_groups/parallel_hook.py`` in 0.5.23), so each group prefills at most its share of the
    GPU-memory tier's size; vLLM's and TensorRT-LLM's budgets are per rank as they stand.
    """
    budget = profile.max_num_batched_tokens(gpu.name, gpu.memory_gib, max_model_len)
    if profile.scheduler == "sglang" and dp_attention > 1:
        budget = max(budget // dp_attention, 1)
    return budget


def _scheduling(
    profile: EngineProfile,
    options: EngineOptions,
    pp: int,
    speculative: SpeculativeConfig | None,
    *,
    recurrent: bool = False,
) -> EngineProfile:
    """``profile`` scheduling as vLLM resolves ``--async-scheduling`` (vllm/config/vllm.py, v0.14.0): asked
    for, it refuses to start with pipeline parallelism or a draft other than EAGLE/MTP; left to the
    release, those turn it off.

    SGLang turns its overlap scheduler off with pipeline parallelism, with a speculative draft, and for a
    model with recurrent (Mamba, Gated DeltaNet) layers while its radix cache is on, as it is by default
    (``server_args.py`` in the 0.5.6 and 0.5.9 wheels: ``_handle_pipeline_parallelism``, the speculative
    settings, Qwen3-Next's and ``_handle_mamba_radix_cache``'s no-buffer path). TensorRT-LLM's pipeline
    parallel loop (``_executor_loop_pp``) does not overlap either. The engines' own switches
    (``disable_overlap_schedule``, ``disable_overlap_scheduler``) turn it off too. Without it SGLang's steps
    also pay its scheduler loop's host time, which the overlap scheduler hid
    (:data:`~config_explorer.engine.calibration.SGLANG_SERIAL_STEP_MS`)."""
    if profile.overlap_scheduler:
        sglang_off = profile.name == "sglang" and (speculative is not None or recurrent)
        if pp > 1 or sglang_off or options.overlap_off:
            profile = attrs.evolve(profile, overlap_scheduler=False)
            if profile.name == "sglang":  # the scheduler loop's own host time, hidden no longer
                profile = attrs.evolve(
                    profile,
                    step_overhead_ms=profile.step_overhead_ms + SGLANG_SERIAL_STEP_MS,
                    per_sequence_overhead_ms=profile.per_sequence_overhead_ms + SGLANG_SERIAL_SEQUENCE_MS,
                )
    compatible = pp == 1 and (speculative is None or speculative.method in ASYNC_DRAFT_METHODS)
    if options.async_scheduling and not compatible:
        clash = f"pp={pp}" if pp > 1 else f"speculative method {speculative.method if speculative else ''}"
        raise InvalidArgumentError(
            f"async_scheduling with {clash}: vLLM refuses to start (async scheduling works without pipeline "
            f"parallelism and with {', '.join(ASYNC_DRAFT_METHODS)} drafts only); drop the option or the {clash}"
        )
    wanted = profile.async_scheduling if options.async_scheduling is None else options.async_scheduling
    wanted = wanted and compatible
    return profile if wanted == profile.async_scheduling else attrs.evolve(profile, async_scheduling=wanted)


def _checked_options(options: EngineOptions | None, engine: str) -> EngineOptions:
    """``options`` (None: the defaults), each one an option ``engine`` has."""
    if options is None:
        return EngineOptions()
    if not isinstance(options, EngineOptions):
        raise InvalidArgumentError(
            f"engine_options must be an EngineOptions (config_explorer.engine.options.check_engine_options), got "
            f"{type(options).__name__}"
        )
    return check_engine_options(options, engine)


#: the most front-end processes a replica is planned with (vLLM's --api-server-count)
MAX_API_SERVERS: Final = 256
#: the largest expert imbalance taken: every assignment of the step on one rank of a wide layout
MAX_EXPERT_IMBALANCE: Final = 64.0


def _expert_imbalance(value: float | None, ep: int) -> float:
    """The busiest rank's load over the mean: the stated value, else :data:`EXPERT_IMBALANCE` (1 at ep=1)."""
    if value is None:
        return EXPERT_IMBALANCE if ep > 1 else 1.0
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 1.0 <= value <= MAX_EXPERT_IMBALANCE
    ):
        raise InvalidArgumentError(
            f"expert_imbalance must be a number in [1, {MAX_EXPERT_IMBALANCE:g}] (the busiest expert-parallel "
            f"rank's load over the mean; 1 is perfect balance), got {value!r}"
        )
    return float(value) if ep > 1 else 1.0


def _expert_popularity_cv(value: float | None) -> float:
    """The experts' popularity spread: the stated value (checked as the public API checks it), else
    :data:`EXPERT_POPULARITY_CV`."""
    checked = validation.expert_popularity_cv(value)
    return EXPERT_POPULARITY_CV if checked is None else checked


def _with_draft(memory: MemoryPlan, costs: ShardCosts, spec: SpeculativeConfig) -> MemoryPlan:
    """The memory plan with the draft's weights resident and its KV beside the target's in the cache."""
    draft = spec.weight_fraction(costs) * costs.resident_weight_bytes / GIB
    kv = max(memory.kv_capacity_gib - draft, 0.0) / (1.0 + spec.kv_fraction(costs))
    reason = memory.reason
    if memory.fits and kv <= 0:
        reason = f"the {spec.method} draft's {draft:.1f} GiB of weights leave no room for the KV cache"
    return attrs.evolve(
        memory, weights_gib=memory.weights_gib + draft, kv_capacity_gib=kv, fits=reason is None, reason=reason
    )

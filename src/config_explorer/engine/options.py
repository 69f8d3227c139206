"""Engine options the native engine models: what they are and which engine has which.

Some launch settings trade time to first token for larger, cheaper steps by letting a new request wait
before the scheduler prefills it. Each engine spells its own; the native engine models these:

* SGLang's ``--scheduler-recv-interval N`` (default 1): the scheduler reads new requests from the
  tokenizer only once its counter reaches ``N``. A decode step adds 1, any other step (one that
  prefilled) adds 1,000, so the next iteration reads, and an idle loop iteration adds 1 and takes
  microseconds, so an idle engine reads at once (``SchedulerRecvSkipper`` in
  ``sglang/srt/managers/scheduler_components/recv_skipper.py`` and the ``SGLANG_SCHEDULER_RECV_SKIPPER_WEIGHT_*``
  defaults in ``sglang/srt/environ.py``, read in the 0.5.19 wheel; ``managers/scheduler_recv_skipper.py``
  in earlier 0.5.x). While the batch decodes, a request therefore waits for up to ``N`` decode steps
  before it is even queued.
* TensorRT-LLM's LLM-API options ``batch_wait_timeout_iters`` and ``batch_wait_max_tokens_ratio`` (default
  0: off; ``tensorrt_llm/llmapi/llm_args.py``): while generation requests are running, the PyTorch
  executor holds the context requests it scheduled back until their tokens plus the generation tokens
  reach ``ratio x max_num_tokens`` or it has held them for ``timeout_iters`` iterations
  (``PyExecutor._waiting_requests`` in ``tensorrt_llm/_torch/pyexecutor/py_executor.py``; skipped with
  attention DP and when nothing is generating).

SGLang's ``--schedule-conservativeness C`` (default 1.0) sets how much room admission keeps: a waiting request
is admitted only while the KV pool holds its prompt and its share of output plus ``0.7 x C`` (decaying to 0.14 of
that over 600 decode steps, reset when a decode step runs out of room) of every running request's remaining
output (``Scheduler.__init__``; ``SGLANG_INIT_NEW_TOKEN_RATIO`` and friends in ``sglang/srt/environ.py``). Lower
values admit more requests sooner and risk retracting them; with data-parallel attention SGLang itself takes
0.3 of the stated value (``ServerArgs._handle_data_parallelism``).

SGLang's ``--disable-radix-cache`` turns its prefix cache off: no prompt is served from cache. For a model with
recurrent (Mamba, Gated DeltaNet) layers it also changes the state pool beside the KV cache: with the cache on, SGLang
runs at most one request per three of the pool's slots with its overlap scheduler off (per five with the overlap on,
where from 0.5.14 it keeps the cached states with an extra buffer:
:func:`config_explorer.engine.calibration.sglang_mamba_extra_buffer`); with it off, one slot per request and the
overlap stays on, and a launch stating ``--max-running-requests`` gets a pool of exactly that many slots
(:func:`config_explorer.engine.calibration.sglang_state_pool_slots`). ``--mamba-ssm-dtype`` sets the
type of those states' SSM part, over the checkpoint's ``mamba_ssm_dtype`` (SGLang's ``SGLANG_MAMBA_SSM_DTYPE``, which
the flag sets, comes first in ``mamba2_state_dtype``: configs/mamba_utils.py, 0.5.12): a 16-bit state halves that
part of every slot and of what each decode step reads and writes of it.

SGLang's ``--swa-full-tokens-ratio R`` (default 0.8) sizes the sliding-window KV pool of the models a release gives
a hybrid pool (gpt-oss, Llama 4, Gemma 4 by release) at ``R`` times the full-attention pool's tokens, the two
splitting the KV memory (``set_num_tokens_hybrid_swa`` in model_runner_kv_cache_mixin.py, 0.5.8); a smaller ``R``
leaves more room for the full layers' tokens. ``--disable-hybrid-swa-memory`` turns that pool off: every layer keeps
every token's KV (:func:`config_explorer.engine.calibration.sglang_window_kv_share`).

TensorRT-LLM's ``cuda_graph_config`` (LLM-API options ``max_batch_size``, ``enable_padding``, ``batch_sizes``: here
``cuda_graph_max_batch_size``, ``cuda_graph_padding``, ``cuda_graph_batch_sizes``) says which decode batches its
PyTorch backend replays as CUDA graphs. Left at its default it captures 1-32, 64 and 128 requests and replays only a
batch of exactly one of those sizes, any other running eagerly; with padding a batch runs as the next captured size up,
the extra rows computed as well (:func:`config_explorer.engine.calibration.trtllm_decode_graphs`).

TensorRT-LLM's ``kv_cache_config.enable_block_reuse`` (an LLM-API option, default True: ``KvCacheConfig`` in
``tensorrt_llm/llmapi/llm_args.py``) is its prefix cache: set false, no prompt is served from cache.

vLLM's ``--enable-prefix-caching`` / ``--no-enable-prefix-caching`` (``argparse.BooleanOptionalAction``) says whether
computed prompt blocks are kept for later prompts that start the same way. Unset, it is the release's default
(:func:`config_explorer.engine.calibration.vllm_prefix_caching_default`): off on the V0 engine (``--enable-prefix-caching``
is a ``store_true`` flag over ``EngineArgs.enable_prefix_caching = False`` in v0.6.3), on from the V1 engine for
generative models (``EngineArgs`` resolves None to True: vllm/engine/arg_utils.py, v0.11.0), except that releases
before :data:`config_explorer.engine.calibration.VLLM_HYBRID_PREFIX_CACHING_SINCE` turn it off for models with
recurrent (Mamba, linear-attention) layers (``MambaModelConfig.verify_and_update_config``). Off, no prompt is
served from cache.

Other options change how a step's host work meets its GPU work instead:

* SGLang's ``--disable-piecewise-cuda-graph``: from 0.5.10 SGLang runs prompt batches in piecewise CUDA
  graphs by default (:func:`config_explorer.engine.calibration.sglang_piecewise_graph_tokens`); the flag turns
  them off, and every prompt step then issues its kernels eagerly. ``--enable-symm-mem`` turns them off as well
  (``_handle_piecewise_cuda_graph`` in ``server_args.py``, 0.5.12), so a plan of a launch that sets it sets this.

* SGLang's ``--disable-overlap-schedule`` and TensorRT-LLM's ``disable_overlap_scheduler`` (LLM-API option):
  both engines form step N+1 while the GPU runs step N by default (SGLang's ``event_loop_overlap`` in
  ``sglang/srt/managers/scheduler.py``, 0.5.6 and 0.5.9 wheels; TensorRT-LLM's
  ``PyExecutor._executor_loop_overlap``). A request that reaches a busy engine during step N is then read
  when N ends, after N+1 was formed, and is prefilled in N+2 at the earliest, a step later than without the
  overlap. The switches turn the overlap off. SGLang turns it off itself with pipeline parallelism, a
  speculative draft, and for models with recurrent layers while the radix cache is on
  (:func:`config_explorer.engine.deployment.plan_deployment`).

* vLLM's ``--async-scheduling``: the engine core schedules step N+1 and processes step N's output while
  the GPU runs N, so the host time per step no longer adds to the GPU's. It is off by default through
  v0.13 and on from v0.14 (``SchedulerConfig.async_scheduling`` defaults to None, which ``VllmConfig``
  resolves to True unless pipeline parallelism, a non-EAGLE/MTP draft or the Ray executor rules it out:
  ``vllm/config/scheduler.py`` and ``vllm/config/vllm.py`` in the v0.14.0 sdist). Unset, it follows the
  profile's release (:data:`config_explorer.engine.calibration.VLLM_ASYNC_SCHEDULING_SINCE`). Its batch queue
  forms step N+1 before step N's output is in (``EngineCore.step_with_batch_queue`` in
  ``vllm/v1/engine/core.py``, v0.14.0), so a new request waits a step longer as with the overlap above.

* vLLM's ``--enforce-eager``: the engine captures no CUDA graphs and, on the V1 engine, compiles nothing
  either (``VllmConfig.__post_init__`` sets ``CompilationLevel.NO_COMPILATION`` and ``CUDAGraphMode.NONE``
  for it: vllm/config/__init__.py in the v0.11.0 sdist), so every step, decode steps included, issues its
  kernels from the host one by one (:data:`config_explorer.engine.calibration.EAGER_KERNEL_US`), and no
  memory goes to graphs. Users trade speed for start-up time and memory with it; dstack's MI300X runs of
  Llama-3.1-405B set it.

* vLLM's ``--max-cudagraph-capture-size N`` (from 0.12; ``--cuda-graph-sizes N`` before it): the largest step, in
  tokens, that replays a CUDA graph. Left unset it is ``min(2 x max_num_seqs, 512)`` (1,024 for gpt-oss); a step
  above it, decode or mixed, runs eagerly (:func:`config_explorer.engine.calibration.vllm_graph_capture_tokens`
  says how each release turns the number into its list of captured sizes). InferenceX's MiniMax-M3 runs set it to
  their concurrency, its gpt-oss runs to 2,048.

* vLLM's ``--compilation-config '{"cudagraph_mode": MODE}'`` (``cudagraph_mode``; V1 from 0.10.1:
  ``CUDAGraphMode`` in vllm/config/compilation.py, whose members are NONE, PIECEWISE, FULL, FULL_DECODE_ONLY and
  FULL_AND_PIECEWISE): ``PIECEWISE`` replays torch.compile's piecewise graphs in every step, decode steps too, each
  layer's attention running eagerly between them (the default of 0.10.1-0.10.2); ``FULL_AND_PIECEWISE`` replays a
  decode step as one full graph and the other steps piecewise (the default from 0.11). Unset, it is the release's
  (:data:`config_explorer.engine.calibration.VLLM_FULL_DECODE_GRAPHS_SINCE`). The other modes are not planned:
  ``NONE`` is ``--enforce-eager``'s graphs, above.

* SGLang's ``--moe-runner-backend`` for DeepSeek-V4's MXFP4 experts on Hopper: ``marlin`` (the plan's default
  there: SGLang's own default runner sends them to an SM100-only DeepGEMM path) or ``flashinfer_mxfp4``
  (FlashInfer's SM90 CUTLASS mixed-input kernel); :func:`config_explorer.engine.calibration.sglang_hopper_mxfp4_runner`.
  Its ``triton`` keeps 16- and 8-bit experts on SGLang's Triton fused-MoE kernel where SGLang would pick FlashInfer's
  TensorRT-LLM-gen kernels itself (Blackwell; :func:`config_explorer.engine.calibration.runs_trtllm_gen_moe`).

* vLLM's ``--moe-backend marlin`` (vLLM PR #33807, which added the argument; before it ``VLLM_MXFP4_USE_MARLIN=1``
  did this for MXFP4 experts): the experts run weight-only on Marlin's MoE kernel where vLLM would pick another,
  e.g. gpt-oss's MXFP4 experts on Hopper, which vLLM 0.12 and later run on Triton's ``matmul_ogs`` (vLLM's GPT-OSS
  recipe suggests Marlin there for v0.12's small-concurrency regression, vLLM issue #28894; ``MoEBackend`` in
  vllm/config/kernel.py lists ``marlin``). It takes quantized experts (8- or 4-bit), on the GPUs whose Marlin rate
  the engine has measured (:data:`config_explorer.engine.calibration.MARLIN_MOE_BY_FAMILY`).

* SGLang's ``--enable-prefill-delayer`` (from 0.5.8; ``PrefillDelayer`` in sglang/srt/managers/prefill_delayer.py, read
  in the 0.5.8-0.5.12 wheels) with data-parallel attention, whose groups run each step in lockstep: when some groups
  have prompts to admit and others have none, the ones that have wait (``add_one_req`` declines them) while the
  groups decode, until every group has one or ``--prefill-delayer-max-delay-passes`` scheduler passes (default 30)
  have gone by, so the groups prefill in the same steps rather than each holding up the others' decodes in turn. A
  prompt already being chunked goes on. Its token-usage watermark (off by default) is not modelled. SGLang refuses
  it without data-parallel attention, and so does the plan.

* TensorRT-LLM's ``attention_dp_config`` (LLM-API options ``enable_balance``, ``timeout_iters``, ``batching_wait_iters``;
  ``AttentionDpConfig`` in ``tensorrt_llm/llmapi/llm_args.py``, defaults off, 50 and 10) does the same for its
  attention-DP ranks (``PyExecutor._balance_adp_requests`` in ``tensorrt_llm/_torch/pyexecutor/py_executor.py``):
  each iteration the ranks exchange their scheduled context and generation counts; while some rank has no context
  request (or no free batch slot) every rank's context requests wait, chunks in progress too, until
  ``timeout_iters`` iterations have counted or some rank has nothing generating; once every rank has one and every
  rank generates, they wait ``batching_wait_iters`` iterations more. The wait counter also counts the iterations
  without any context request, wrapping at ``timeout_iters``. Without attention DP the executor skips it.

SGLang's ``--num-continuous-decode-steps`` is declared but read nowhere else in the 0.5.19 wheel (its loop
went with the overlap scheduler), so it is not an option here either. Neither engine's
``stream_interval`` delays the first token: SGLang sends a streamed request's output when
``len(output_ids) % stream_interval == 1`` (the first token included), TensorRT-LLM when
``py_decoding_iter == 1`` or a multiple of the interval (PR #5836), so it is not an option here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from config_explorer._util import short_repr
from config_explorer.errors import InvalidArgumentError

__all__ = [
    "ENGINE_OPTIONS",
    "LIST_OPTIONS",
    "WORD_OPTIONS",
    "EngineOptions",
    "check_engine_options",
    "options_of",
]

#: the most decode steps between SGLang's reads of new requests, or TensorRT-LLM iterations a context
#: request is held, that the engine plans with (past it requests would wait for minutes)
MAX_WAIT_STEPS: Final = 100_000

#: option -> (the engine that has it, its default (None: the release's), the engine's own spelling)
ENGINE_OPTIONS: Final[dict[str, tuple[str, float | bool | str | None, str]]] = {
    "scheduler_recv_interval": ("sglang", 1, "--scheduler-recv-interval"),
    "batch_wait_timeout_iters": ("trtllm", 0, "batch_wait_timeout_iters (LLM-API option)"),
    "batch_wait_max_tokens_ratio": ("trtllm", 0.0, "batch_wait_max_tokens_ratio (LLM-API option)"),
    "async_scheduling": ("vllm", None, "--async-scheduling"),
    "enable_prefix_caching": ("vllm", None, "--enable-prefix-caching"),
    "disable_piecewise_cuda_graph": ("sglang", False, "--disable-piecewise-cuda-graph"),
    "disable_overlap_schedule": ("sglang", False, "--disable-overlap-schedule"),
    "disable_overlap_scheduler": ("trtllm", False, "disable_overlap_scheduler (LLM-API option)"),
    "enforce_eager": ("vllm", False, "--enforce-eager"),
    "cuda_graph_max_bs": ("sglang", None, "--cuda-graph-max-bs (0.5.23: --cuda-graph-max-bs-decode)"),
    "max_cudagraph_capture_size": (
        "vllm",
        None,
        "--max-cudagraph-capture-size (before 0.12: --cuda-graph-sizes)",
    ),
    "cuda_graph_max_batch_size": ("trtllm", None, "cuda_graph_config.max_batch_size (LLM-API option)"),
    "cuda_graph_padding": ("trtllm", False, "cuda_graph_config.enable_padding (LLM-API option)"),
    "cuda_graph_batch_sizes": ("trtllm", None, "cuda_graph_config.batch_sizes (LLM-API option)"),
    "deep_gemm": (
        "vllm",
        True,
        "DeepGEMM installed (the release Docker images ship it; pip before v0.20 not)",
    ),
    "tensorrt_engine": ("trtllm", False, "a TensorRT engine (--backend tensorrt; the default before 1.0)"),
    "schedule_conservativeness": ("sglang", 1.0, "--schedule-conservativeness"),
    "disable_radix_cache": ("sglang", False, "--disable-radix-cache"),
    "enable_block_reuse": ("trtllm", True, "kv_cache_config.enable_block_reuse (LLM-API option)"),
    "mamba_ssm_dtype": ("sglang", None, "--mamba-ssm-dtype"),
    "moe_runner_backend": ("sglang", None, "--moe-runner-backend"),
    "swa_full_tokens_ratio": ("sglang", 0.8, "--swa-full-tokens-ratio"),
    "disable_hybrid_swa_memory": ("sglang", False, "--disable-hybrid-swa-memory"),
    "moe_backend": (
        "vllm",
        None,
        "--moe-backend (before vLLM PR #33807: VLLM_MXFP4_USE_MARLIN=1 for MXFP4 experts)",
    ),
    "cudagraph_mode": ("vllm", None, "--compilation-config '{\"cudagraph_mode\": ...}'"),
    "enable_prefill_delayer": ("sglang", False, "--enable-prefill-delayer"),
    "prefill_delayer_max_delay_passes": ("sglang", 30, "--prefill-delayer-max-delay-passes"),
    "attention_dp_enable_balance": ("trtllm", False, "attention_dp_config.enable_balance (LLM-API option)"),
    "attention_dp_timeout_iters": ("trtllm", 50, "attention_dp_config.timeout_iters (LLM-API option)"),
    "attention_dp_batching_wait_iters": (
        "trtllm",
        10,
        "attention_dp_config.batching_wait_iters (LLM-API option)",
    ),
}
#: the options whose value is a word, and the words each accepts (SGLang's ``--mamba-ssm-dtype`` choices:
#: ``arg_groups/fields/exec_.py`` in the 0.5.23 wheel), with the precision each names
WORD_OPTIONS: Final[dict[str, dict[str, str]]] = {
    "mamba_ssm_dtype": {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"},
    # SGLang's MoE runners the engine models (``--moe-runner-backend`` choices, server_args.py, 0.5.12): the MXFP4
    # expert runners it has for DeepSeek-V4's experts on Hopper (layers/quantization/fp8.py), and its Triton fused-MoE
    # kernel for 16- and 8-bit experts where it would pick FlashInfer's TensorRT-LLM-gen kernels (Blackwell)
    "moe_runner_backend": {"marlin": "marlin", "flashinfer_mxfp4": "flashinfer_mxfp4", "triton": "triton"},
    # vLLM's ``--moe-backend`` choices the engine models (``MoEBackend``, vllm/config/kernel.py): Marlin's MoE kernel
    "moe_backend": {"marlin": "marlin"},
    # vLLM's ``CUDAGraphMode`` members the engine plans (vllm/config/compilation.py): decode steps in piecewise graphs,
    # or in one full graph with the other steps piecewise
    "cudagraph_mode": {"PIECEWISE": "PIECEWISE", "FULL_AND_PIECEWISE": "FULL_AND_PIECEWISE"},
}
#: the options whose value is a list of integers (a sequence, or one comma-separated string)
LIST_OPTIONS: Final = frozenset({"cuda_graph_batch_sizes"})
#: the options that are switches (true / false): those whose default is one, and vLLM's async scheduling and
#: prefix caching (whose defaults are the release's)
_SWITCHES: Final = frozenset(
    name for name, (_, default, _) in ENGINE_OPTIONS.items() if isinstance(default, bool)
) | {"async_scheduling", "enable_prefix_caching"}
#: the largest decode batch a launch may capture CUDA graphs for that the engine plans with
MAX_GRAPH_BATCH: Final = 65_536
#: the largest ``--schedule-conservativeness`` the engine plans with: past it the reserve is the whole remaining
#: output (0.7 x 1.43 = 1) already, so larger values change nothing
MAX_CONSERVATIVENESS: Final = 10.0
#: the integer options' accepted ranges (inclusive)
_INT_RANGES: Final[dict[str, tuple[int, int]]] = {
    "scheduler_recv_interval": (1, MAX_WAIT_STEPS),
    "batch_wait_timeout_iters": (0, MAX_WAIT_STEPS),
    "cuda_graph_max_bs": (1, MAX_GRAPH_BATCH),
    "max_cudagraph_capture_size": (1, MAX_GRAPH_BATCH),
    "cuda_graph_max_batch_size": (1, MAX_GRAPH_BATCH),
    "prefill_delayer_max_delay_passes": (1, MAX_WAIT_STEPS),
    "attention_dp_timeout_iters": (0, MAX_WAIT_STEPS),
    "attention_dp_batching_wait_iters": (0, MAX_WAIT_STEPS),
}


def options_of(engine: str) -> tuple[str, ...]:
    """The names of the options ``engine`` (a canonical engine name) has, sorted."""
    return tuple(sorted(name for name, (owner, _, _) in ENGINE_OPTIONS.items() if owner == engine))


@attrs.frozen
class EngineOptions:
    """The batching options of one deployment, each at its engine's default unless stated."""

    #: SGLang: decode steps between reads of new requests
    scheduler_recv_interval: int = 1
    #: TensorRT-LLM: iterations a context request may be held while others generate (0: not held)
    batch_wait_timeout_iters: int = 0
    #: TensorRT-LLM: held until the step's tokens reach this share of ``max_num_tokens`` (0: no threshold)
    batch_wait_max_tokens_ratio: float = 0.0
    #: vLLM: schedule the next step while the GPU runs this one (None: the release's default)
    async_scheduling: bool | None = None
    #: vLLM: keep computed prompt blocks to serve later prompts that share them (None: the release's default,
    #: :func:`~config_explorer.engine.calibration.vllm_prefix_caching_default`)
    enable_prefix_caching: bool | None = None
    #: SGLang: run every prompt step eagerly, without the piecewise CUDA graphs of 0.5.10 and later
    disable_piecewise_cuda_graph: bool = False
    #: SGLang: form each step only after the one before has finished (no overlap schedule)
    disable_overlap_schedule: bool = False
    #: TensorRT-LLM: the same for its PyTorch executor
    disable_overlap_scheduler: bool = False
    #: vLLM: no CUDA graphs (nor, from V1 on, compiled code): every step issues its kernels eagerly
    enforce_eager: bool = False
    #: SGLang: the largest decode batch (per attention group) that replays a CUDA graph (None: the
    #: engine's default for the GPU's memory, :data:`~config_explorer.engine.calibration.SGLANG_MEMORY_TIERS`)
    cuda_graph_max_bs: int | None = None
    #: vLLM: the largest step, in tokens, that replays a CUDA graph (``--max-cudagraph-capture-size``; None: the
    #: release's default, :func:`~config_explorer.engine.calibration.vllm_graph_capture_tokens`)
    max_cudagraph_capture_size: int | None = None
    #: TensorRT-LLM: the largest decode batch (per attention-DP rank) its PyTorch backend captures a CUDA graph for
    #: (``cuda_graph_config.max_batch_size``; None: the default, 128:
    #: :data:`~config_explorer.engine.calibration.TRTLLM_GRAPH_MAX_BATCH`)
    cuda_graph_max_batch_size: int | None = None
    #: TensorRT-LLM: a decode batch is padded up to the next captured size (``cuda_graph_config.enable_padding``);
    #: off (the default) only a batch of exactly a captured size replays a graph
    #: (:func:`~config_explorer.engine.calibration.trtllm_decode_graphs`)
    cuda_graph_padding: bool = False
    #: TensorRT-LLM: the decode batch sizes it captures (``cuda_graph_config.batch_sizes``; None: generated from
    #: ``cuda_graph_max_batch_size`` and ``cuda_graph_padding``, :func:`~config_explorer.engine.calibration.
    #: trtllm_graph_batch_sizes`); with padding a batch runs as the next of them up, its rows all computed
    cuda_graph_batch_sizes: tuple[int, ...] | None = None
    #: vLLM: DeepGEMM is installed, as in the release Docker images from v0.10.1 (``pip install vllm`` has it
    #: only from v0.20, which vendors it); without it v0.11-v0.19 run block-scaled FP8 linear layers on Hopper
    #: on CUTLASS's blockwise kernel (:func:`~config_explorer.engine.calibration.runs_cutlass_block_fp8`), and
    #: v0.11-v0.14 run block-scaled FP8 experts on Blackwell on Triton's kernel rather than DeepGEMM's
    #: (:func:`~config_explorer.engine.calibration.vllm_deepgemm_blackwell_moe_us`)
    deep_gemm: bool = True
    #: TensorRT-LLM: the model runs as a TensorRT engine (the backend before 1.0, NIM before 1.15), whose C++
    #: runtime issues context steps without Python (:func:`~config_explorer.engine.calibration.trtllm_tensorrt_engine`)
    tensorrt_engine: bool = False
    #: SGLang: how much of its running requests' remaining output the scheduler keeps room for before it admits
    #: another (the reserve's share is 0.7 x this; with data-parallel attention SGLang takes 0.3 of it)
    schedule_conservativeness: float = 1.0
    #: SGLang: no radix (prefix) cache: no prompt is served from cache, and a model with recurrent layers keeps
    #: one state slot per running request and its overlap scheduler
    #: (:func:`~config_explorer.engine.calibration.sglang_state_pool_slots`)
    disable_radix_cache: bool = False
    #: TensorRT-LLM: KV-cache blocks a finished prompt computed serve later prompts that share them
    #: (``KvCacheConfig.enable_block_reuse``, its prefix cache)
    enable_block_reuse: bool = True
    #: SGLang: the type a model with recurrent layers keeps its SSM state in (``--mamba-ssm-dtype``: float32,
    #: bfloat16 or float16; None: the checkpoint's ``mamba_ssm_dtype``, else float32)
    mamba_ssm_dtype: str | None = None
    #: SGLang: the kernel that runs MXFP4 experts which its FP8 config loads (DeepSeek-V4's) on Hopper
    #: (``--moe-runner-backend``: marlin or flashinfer_mxfp4; None: Marlin, the Hopper default:
    #: :func:`~config_explorer.engine.calibration.sglang_hopper_mxfp4_runner`), or triton: 16- and 8-bit experts on
    #: SGLang's Triton fused-MoE kernel where it would pick FlashInfer's TensorRT-LLM-gen kernels (Blackwell)
    moe_runner_backend: str | None = None
    #: vLLM: ``marlin`` runs quantized experts on Marlin's MoE kernel where vLLM would pick another (``--moe-backend``;
    #: None: vLLM's own pick)
    moe_backend: str | None = None
    #: SGLang: the sliding-window KV pool's tokens as a share of the full-attention pool's, for the models a release
    #: gives that hybrid pool (``--swa-full-tokens-ratio``, default 0.8:
    #: :func:`~config_explorer.engine.calibration.sglang_window_kv_share`); a smaller share leaves more of the KV
    #: memory to the full layers' tokens
    swa_full_tokens_ratio: float = 0.8
    #: SGLang: no hybrid sliding-window pool: every layer keeps every token's KV (``--disable-hybrid-swa-memory``)
    disable_hybrid_swa_memory: bool = False
    #: vLLM: how the V1 engine replays steps in CUDA graphs (``--compilation-config '{"cudagraph_mode": ...}'``):
    #: ``PIECEWISE`` (decode steps too run piecewise, attention eager between the pieces) or ``FULL_AND_PIECEWISE``
    #: (a full graph for decode steps); None: the release's default
    cudagraph_mode: str | None = None
    #: SGLang with data-parallel attention: a group that has prompts to admit waits while another has none, for
    #: up to ``prefill_delayer_max_delay_passes`` scheduler passes, so the groups prefill in the same steps
    #: (``--enable-prefill-delayer``, from 0.5.8: :data:`~config_explorer.engine.calibration.SGLANG_PREFILL_DELAYER_SINCE`)
    enable_prefill_delayer: bool = False
    #: SGLang: the passes a group's new prompts wait for the others' at most (``--prefill-delayer-max-delay-passes``,
    #: default 30)
    prefill_delayer_max_delay_passes: int = 30
    #: TensorRT-LLM with attention DP: context requests wait while some rank has none, for up to
    #: ``attention_dp_timeout_iters`` iterations, and then, where every rank also generates, for
    #: ``attention_dp_batching_wait_iters`` more (``attention_dp_config``: ``enable_balance``, ``timeout_iters``,
    #: ``batching_wait_iters``; defaults False, 50, 10 in ``AttentionDpConfig``)
    attention_dp_enable_balance: bool = False
    attention_dp_timeout_iters: int = 50
    attention_dp_batching_wait_iters: int = 10

    @property
    def overlap_off(self) -> bool:
        """Whether an option turns the engine's overlap scheduler off (SGLang's or TensorRT-LLM's switch)."""
        return self.disable_overlap_schedule or self.disable_overlap_scheduler

    @property
    def holds_context(self) -> bool:
        """Whether TensorRT-LLM's batch waiting can hold a request: both options above 0. The executor
        stops waiting once ``iterations >= timeout_iters`` or ``tokens >= ratio x max_num_tokens``, so
        either at 0 releases every context request at once."""
        return self.batch_wait_timeout_iters > 0 and self.batch_wait_max_tokens_ratio > 0

    @property
    def graph_config_stated(self) -> bool:
        """Whether an option sets TensorRT-LLM's ``cuda_graph_config`` (its size, padding or list of sizes)."""
        return (
            self.cuda_graph_max_batch_size is not None
            or self.cuda_graph_padding
            or self.cuda_graph_batch_sizes is not None
        )

    def stated(self) -> dict[str, int | float | str | tuple[int, ...]]:
        """The options that differ from their defaults, as ``{name: value}`` (a switch as 0 or 1)."""
        return {
            name: int(value) if isinstance(value, bool) else value
            for name, value in attrs.asdict(self).items()
            if value != ENGINE_OPTIONS[name][1]
        }


def check_engine_options(value: object, engine: str) -> EngineOptions:
    """``engine_options=`` as :class:`EngineOptions`: a mapping of option names to values (or
    an :class:`EngineOptions`, or None for the defaults), each option one that ``engine`` has."""
    if value is None:
        return EngineOptions()
    items: Mapping[Any, object]
    if isinstance(value, EngineOptions):
        items = value.stated()
    elif isinstance(value, Mapping):
        items = value
    else:
        raise InvalidArgumentError(
            f"engine_options must be a mapping of option names to values, e.g. {{'scheduler_recv_interval': 10}}, "
            f"got {type(value).__name__}"
        )
    accepted = ", ".join(options_of(engine)) or "none"
    checked: dict[str, Any] = {}
    listed: tuple[int, ...] | None = None
    for name, raw in items.items():
        if not isinstance(name, str) or name not in ENGINE_OPTIONS:
            raise InvalidArgumentError(
                f"unknown engine option {short_repr(name)}; {engine} accepts: {accepted}"
            )
        owner, _, spelling = ENGINE_OPTIONS[name]
        if owner != engine:
            raise InvalidArgumentError(
                f"engine option {name} is {owner}'s {spelling}; {engine} has no such setting "
                f"(its options: {accepted})"
            )
        if raw is None and ENGINE_OPTIONS[name][1] is None:
            continue  # the release's default, as if not stated
        if name == "cuda_graph_batch_sizes":
            listed = _graph_sizes(name, raw)
            continue
        checked[name] = _value(name, raw)
    largest = checked.get("cuda_graph_max_batch_size")
    if listed is not None and largest is not None and largest != listed[-1]:
        # TensorRT-LLM's CudaGraphConfig validator refuses the same (llm_args.py: max_batch_size must equal
        # max(batch_sizes) when both are given)
        raise InvalidArgumentError(
            f"engine options cuda_graph_max_batch_size={largest} and cuda_graph_batch_sizes (largest "
            f"{listed[-1]}) disagree: TensorRT-LLM needs max_batch_size == max(batch_sizes); give one of them"
        )
    # vLLM's own VllmConfig sets CUDAGraphMode.NONE under --enforce-eager, whatever the mode says, and
    # _set_cudagraph_sizes then captures no size: an option about its graphs contradicts it
    for name in ("cudagraph_mode", "max_cudagraph_capture_size"):
        if checked.get("enforce_eager") and name in checked:
            raise InvalidArgumentError(
                f"engine options enforce_eager and {name}={checked[name]} disagree: --enforce-eager replays no CUDA "
                "graphs; give one of them"
            )
    # each value is already of its field's type (``_value``); an option not stated keeps its field's default
    return EngineOptions(**checked, cuda_graph_batch_sizes=listed)


#: the most decode batch sizes a ``cuda_graph_config.batch_sizes`` list may name that the engine plans with
MAX_GRAPH_SIZES: Final = 1024


def _graph_sizes(name: str, raw: object) -> tuple[int, ...]:
    """A list of decode batch sizes (a sequence of integers, or one string of them separated by commas), sorted."""
    items: object = raw
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(",")]
    sizes: list[int] = []
    if isinstance(items, (list, tuple)) and 0 < len(items) <= MAX_GRAPH_SIZES:
        for item in items:
            if isinstance(item, str) and re.fullmatch(r"\d+", item):
                item = int(item)
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_GRAPH_BATCH:
                break
            sizes.append(item)
        else:
            return tuple(sorted(set(sizes)))
    raise InvalidArgumentError(
        f"engine option {name} must list 1 to {MAX_GRAPH_SIZES:,} batch sizes, each an integer in "
        f'[1, {MAX_GRAPH_BATCH:,}] (e.g. [1, 2, 4, 8, 16, 32, 64, 128] or "1,2,4,8"), got {short_repr(raw)}'
    )


#: vLLM's other ``CUDAGraphMode`` members, which the engine does not plan, and what to say instead
_UNPLANNED_GRAPH_MODES: Final = {
    "NONE": "it replays no graph: enforce_eager plans that",
    "FULL": "full graphs of mixed steps are not planned",
    "FULL_DECODE_ONLY": "eager mixed steps beside full decode graphs are not planned",
}


def _value(name: str, raw: object) -> int | float | bool | str:
    if name == "cudagraph_mode" and isinstance(raw, str):
        mode = raw.upper()  # vLLM's CUDAGraphMode member names
        if mode in _UNPLANNED_GRAPH_MODES:
            raise InvalidArgumentError(
                f"engine option cudagraph_mode={short_repr(raw)}: {_UNPLANNED_GRAPH_MODES[mode]}; accepted: "
                f"{', '.join(WORD_OPTIONS[name])}"
            )
        if mode in WORD_OPTIONS[name]:
            return mode
    if name in WORD_OPTIONS:
        words = WORD_OPTIONS[name]
        if not isinstance(raw, str) or raw not in words:
            raise InvalidArgumentError(
                f"engine option {name} must be one of {', '.join(words)}, got {short_repr(raw)}"
            )
        return raw
    if name in _SWITCHES:
        if isinstance(raw, bool) or (isinstance(raw, int) and raw in (0, 1)):
            return bool(raw)
        raise InvalidArgumentError(
            f"engine option {name} is a switch: true or false (1 or 0), got {short_repr(raw)}"
        )
    if name == "schedule_conservativeness":
        high = MAX_CONSERVATIVENESS
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0.0 < raw <= high:
            raise InvalidArgumentError(
                f"engine option {name} must be a number in (0, {high:g}] (1 is SGLang's default; lower admits "
                f"sooner), got {short_repr(raw)}"
            )
        return float(raw)
    if name == "swa_full_tokens_ratio":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0.0 < raw <= 1.0:
            raise InvalidArgumentError(
                f"engine option {name} must be a number in (0, 1] (the sliding-window pool's tokens as a share of "
                f"the full pool's; 0.8 is SGLang's default), got {short_repr(raw)}"
            )
        return float(raw)
    if name == "batch_wait_max_tokens_ratio":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0.0 <= raw <= 1.0:
            raise InvalidArgumentError(
                f"engine option {name} must be a number in [0, 1] (a share of max_num_tokens; 0 is off), "
                f"got {short_repr(raw)}"
            )
        return float(raw)
    low, high = _INT_RANGES[name]
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InvalidArgumentError(
            f"engine option {name} must be an integer in [{low}, {high:,}], got {short_repr(raw)}"
        )
    return raw

"""Launch commands for an estimated configuration: ``vllm serve``, SGLang and ``trtllm-serve``.

A command is safe to paste when the engine starts with it and runs the load the estimate was made at:

* ``max_num_seqs`` (SGLang ``--max-running-requests``, TensorRT-LLM ``--max_batch_size``) is never below
  the requests each replica carries at the operating point. A closed loop's concurrency per replica is
  rounded up to a multiple of 8, or to the engine's own setting when that is smaller (the setting the
  estimate ran with); a limit near the operating point holds the latency the estimate promised when
  traffic bursts, queueing the excess instead of slowing every stream. With Poisson arrivals the
  requests in flight vary around their mean (the estimate's concurrency, by Little's law): with
  independent service times their count is Poisson distributed (the M/G/infinity queue), so the limit
  leaves room for three standard deviations, mean + 3 sqrt(mean), before rounding. Offline runs (every
  request queued at once) keep the engine's setting: the engine forms its own batch.
* ``max_model_len`` (SGLang ``--context-length``, TensorRT-LLM ``--max_seq_len``) is the estimate's: the
  model's context, or the longest sequence the KV cache holds when the context does not fit, or the
  ``max_model_len`` the caller asked for. It is never the workload's prompt + output, which would make
  the engine reject every longer request.
* The step token budget is the estimate's, raised to ``max_num_seqs`` where it is smaller (vLLM refuses
  to start with ``max_num_batched_tokens < max_num_seqs``).

Every option a command uses is one of that engine's options as its own source defines them:
``config_explorer/data/engine_flags/<engine>.json`` lists them with the release and the files they were
read from, and ``tests/test_serve_command_flags.py`` checks every generated command against those lists.
What a command cannot do (quantize to a precision the engine does not produce on load; start several
TensorRT-LLM copies) is said on ``#`` comment lines above it, which a shell ignores, and so is an environment
variable the estimate assumes (vLLM's ``VLLM_ROCM_USE_AITER=1`` for AITER's block-FP8 kernels on AMD GPUs), named
only where the engine's own ``vllm/envs.py`` defines it (``environment_variables`` in the same file).

Prefix caching is on by default in all three engines at the releases listed (vLLM's ``enable_prefix_caching``
resolves to True for generative models, ``vllm/config/cache.py``; SGLang's radix cache is on unless
``--disable-radix-cache``; TensorRT-LLM's ``KvCacheConfig.enable_block_reuse`` defaults to True), so a command for an
estimate with shared prefixes is the same command; an estimate that ran without it says so
(``--no-enable-prefix-caching``, ``--disable-radix-cache``), and so does one that ran without vLLM's asynchronous
scheduling (``--no-async-scheduling``): a switch's ``--no-`` form is in ``vllm.json``'s ``negated_flags``, which
``argparse.BooleanOptionalAction`` registers beside it. Speculative decoding is
written as each engine spells it: vLLM ``--speculative-config '{"method": ..., "num_speculative_tokens":
k}'`` (``vllm/config/speculative.py``), SGLang ``--speculative-algorithm EAGLE3|EAGLE|STANDALONE|NGRAM``
with ``--speculative-num-steps k --speculative-eagle-topk 1 --speculative-num-draft-tokens k+1``
(``python/sglang/srt/speculative/spec_info.py``; DeepSeek's MTP runs as ``EAGLE`` with the model's own
next-n layer as the draft), TensorRT-LLM a ``speculative_config`` in the LLM-API options file. Draft heads
and draft models are checkpoints of their own: pass ``speculative_model``, or the command names
``DRAFT_MODEL`` for you to replace (a comment says so).
"""

from __future__ import annotations

import functools
import json
import math
import shlex
from collections.abc import Mapping
from importlib import resources
from typing import Final

import attrs

from config_explorer import validation
from config_explorer._util import short_repr
from config_explorer.architecture import ModelArchitecture, bundled_checkpoints
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    COMPRESSED_ATTENTION_BLOCK,
    ENGINE_PROFILES,
    ENGINE_TITLES,
    SGLANG_PREFILL_DELAYER_PASSES,
    SGLANG_SWA_FULL_TOKENS_RATIO,
    TRTLLM_GRAPH_MAX_BATCH,
    profile_for,
    runs_aiter_block_fp8,
    runs_cutlass_block_fp8,
    sglang_dispatches_deepep,
    trtllm_captured_graph_sizes,
    vllm_graph_capture_tokens,
    vllm_prefix_caching_default,
)
from config_explorer.engine.records import PerformanceEstimate
from config_explorer.errors import ConfigExplorerError, InvalidArgumentError

__all__ = [
    "ENGINES",
    "HEAD_NODE_PLACEHOLDER",
    "NODE_RANK_PLACEHOLDER",
    "SGLANG_DIST_INIT_PORT",
    "TRTLLM_CLUSTER_FILE",
    "TRTLLM_OPTIONS_FILE",
    "EngineFlags",
    "LaunchLimits",
    "engine_flags",
    "launch_limits",
    "replica_nodes",
    "serve_command",
    "serve_commands",
]

#: the engines a launch command can be written for, in the order ``serve_commands`` returns them
ENGINES: Final = ("vllm", "sglang", "trtllm")
#: ``max_num_seqs`` is rounded up to a multiple of this: below 256, vLLM 0.34 captures CUDA graphs for
#: batch sizes 1, 2, 4 and every multiple of 8 (``range(8, 256, 8)`` in ``vllm/config/vllm.py``), and
#: SGLang 0.5.23 for multiples of 8 from 16 (``arg_groups/cuda_graph_hook.py``)
_SEQS_MULTIPLE: Final = 8
#: standard deviations of a Poisson count of requests in flight that ``max_num_seqs`` leaves room for
#: (a Poisson count exceeds its mean by three of them well under 1% of the time)
_POISSON_SIGMAS: Final = 3.0
#: the file the TensorRT-LLM command writes its LLM-API options to (an FP8 KV cache has no plain flag)
TRTLLM_OPTIONS_FILE: Final = "trtllm-llm-api-options.yaml"
#: the placeholder a command names when the draft's checkpoint is not given
DRAFT_PLACEHOLDER: Final = "DRAFT_MODEL"
#: what a command for a replica spanning several hosts names for what only the operator knows: node 0's
#: address, and the rank of the node the command runs on (0 .. nodes - 1)
HEAD_NODE_PLACEHOLDER: Final = "HEAD_NODE_IP"
NODE_RANK_PLACEHOLDER: Final = "NODE_RANK"
#: the port of node 0 SGLang's ``--dist-init-addr`` names (its help text's example port; every node passes the
#: same ``host:port``, ``arg_groups/fields/parallel.py`` in 0.5.23)
SGLANG_DIST_INIT_PORT: Final = 25000
#: each method's name in vLLM's speculative config, SGLang's --speculative-algorithm and TensorRT-LLM's
#: decoding_type (TensorRT-LLM has no EAGLE-1 path in its PyTorch backend)
_SPEC_NAMES: Final = {
    "vllm": {
        "eagle3": "eagle3",
        "eagle": "eagle",
        "mtp": "mtp",
        "ngram": "ngram",
        "draft_model": "draft_model",
    },
    "sglang": {
        "eagle3": "EAGLE3",
        "eagle": "EAGLE",
        "mtp": "EAGLE",
        "ngram": "NGRAM",
        "draft_model": "STANDALONE",
    },
    "trtllm": {"eagle3": "Eagle3", "mtp": "MTP", "ngram": "NGram", "draft_model": "DraftTarget"},
}
#: checkpoints vLLM and SGLang quantize to FP8 on load (``--quantization fp8``); an already quantized one
#: (FP8, MXFP4, AWQ ...) keeps its own format
_UNQUANTIZED: Final = frozenset({"bf16", "fp16", "fp32"})


@attrs.frozen
class EngineFlags:
    """One engine's server options as its source defines them, and where they were read."""

    engine: str
    #: how the server is started, e.g. ``vllm serve MODEL``
    program: str
    release: str
    commit: str | None
    source_paths: tuple[str, ...]
    #: every option string the server's parser accepts (aliases included)
    flags: frozenset[str] = attrs.field(repr=False)
    #: the accepted values of the options whose value is a fixed set, for the options used here
    values: Mapping[str, tuple[str, ...]] = attrs.field(repr=False, factory=dict)
    #: the environment variables the engine reads, where read from its source (vLLM's ``vllm/envs.py``); a
    #: command's comments name only these
    environment: frozenset[str] = attrs.field(repr=False, factory=frozenset)

    @property
    def title(self) -> str:
        """``vLLM 0.34.0`` and the like, for a header line."""
        release = self.release if self.release[:1].isdigit() else f"(commit {(self.commit or '?')[:8]})"
        return f"{ENGINE_TITLES[self.engine]} {release}"


@functools.cache
def engine_flags(engine: str) -> EngineFlags:
    """The option list of ``engine`` (``vllm``, ``sglang``, ``trtllm``; aliases and release pins accepted)."""
    name = validation.engine(engine).partition("==")[0]
    text = (resources.files("config_explorer") / "data" / "engine_flags" / f"{name}.json").read_text("utf-8")
    data = json.loads(text)
    return EngineFlags(
        engine=name,
        program=str(data["program"]),
        release=str(data["release"]),
        commit=data.get("commit"),
        source_paths=tuple(data["source_paths"]),
        # a switch's --no- form (argparse.BooleanOptionalAction registers both; vllm.json lists them apart)
        flags=frozenset(data["flags"]) | frozenset(data.get("negated_flags", ())),
        values={k: tuple(v) for k, v in data.get("values", {}).items() if not k.startswith("_")},
        environment=frozenset(data.get("environment_variables", ())),
    )


@attrs.frozen
class LaunchLimits:
    """The engine limits a launch command sets, per replica (one copy of the layout)."""

    #: requests each replica carries at the estimate's operating point
    concurrency_per_replica: int
    #: vLLM ``--max-num-seqs``, SGLang ``--max-running-requests``, TensorRT-LLM ``--max_batch_size``:
    #: per attention group with data-parallel attention (SGLang's flag is that times the groups)
    max_num_seqs: int
    #: vLLM ``--max-model-len``, SGLang ``--context-length``, TensorRT-LLM ``--max_seq_len``; None when
    #: neither the estimate nor the model states one (the engine then reads the model's config)
    max_model_len: int | None
    #: vLLM ``--max-num-batched-tokens``, SGLang ``--chunked-prefill-size``, TensorRT-LLM ``--max_num_tokens``
    max_num_batched_tokens: int | None


def _checked(arch: object, estimate: object) -> tuple[ModelArchitecture, PerformanceEstimate]:
    if not isinstance(arch, ModelArchitecture):
        raise InvalidArgumentError(
            f"arch must be a ModelArchitecture (load_model(...)), got {short_repr(arch)}"
        )
    if not isinstance(estimate, PerformanceEstimate):
        raise InvalidArgumentError(f"estimate must be a PerformanceEstimate, got {short_repr(estimate)}")
    if not estimate.ok:
        raise InvalidArgumentError(
            f"cannot build a launch command for a configuration that does not run: {estimate.error or 'does not fit'}"
        )
    return arch, estimate


def launch_limits(arch: ModelArchitecture, estimate: PerformanceEstimate) -> LaunchLimits:
    """The ``max_num_seqs``, ``max_model_len`` and token budget a launch command sets (see the module text)."""
    arch, estimate = _checked(arch, estimate)
    replicas = max(estimate.replicas, 1)
    per_replica = max(1, math.ceil(estimate.concurrency / replicas))
    # with data-parallel attention each attention group runs its own share of the sequences
    per_group = max(1, math.ceil(per_replica / max(estimate.dp_attention, 1)))
    engine_setting = estimate.max_num_seqs
    if estimate.arrival == "offline" and engine_setting:
        seqs = engine_setting
    else:
        wanted = float(per_group)
        if estimate.arrival == "poisson":
            wanted += _POISSON_SIGMAS * math.sqrt(per_group)
        seqs = math.ceil(wanted / _SEQS_MULTIPLE) * _SEQS_MULTIPLE
        if engine_setting:
            seqs = min(seqs, engine_setting)
        seqs = max(seqs, per_group)
    budget = estimate.max_num_batched_tokens
    if budget is not None:
        budget = max(budget, seqs)
    return LaunchLimits(
        concurrency_per_replica=per_replica,
        max_num_seqs=seqs,
        max_model_len=estimate.max_model_len or arch.max_position_embeddings,
        max_num_batched_tokens=budget,
    )


def _fp8_on_load(arch: ModelArchitecture, estimate: PerformanceEstimate) -> bool:
    """Whether ``--quantization fp8`` (vLLM, SGLang) turns the checkpoint into the estimate's weights."""
    return estimate.precision == "fp8" and arch.native_precision in _UNQUANTIZED


def _precision_note(arch: ModelArchitecture, estimate: PerformanceEstimate, engine: str) -> list[str]:
    """A comment when the estimate's weights are not the checkpoint's and the command cannot make them so."""
    wanted, native = estimate.precision, arch.native_precision
    if wanted == native or (engine != "trtllm" and _fp8_on_load(arch, estimate)):
        return []
    how = (
        "TensorRT-LLM loads pre-quantized checkpoints, e.g. from NVIDIA ModelOpt"
        if engine == "trtllm"
        else f"this command does not quantize to {wanted} on load"
    )
    note = (
        f"# the estimate assumes {wanted} weights but {arch.model_id} is a {native} checkpoint: serve a checkpoint "
        f"of it in {wanted} instead ({how})"
    )
    known = bundled_checkpoints(arch, wanted)
    if known:
        note += (
            f"; bundled checkpoints of this network in {wanted}: {', '.join(known)} (estimate one of those ids to "
            "count the layers it keeps 16-bit; this estimate counts every linear layer at "
            f"{wanted})"
        )
    return [note]


def _aiter_note(arch: ModelArchitecture, est: PerformanceEstimate) -> list[str]:
    """For vLLM on an AMD GPU with a block-scaled FP8 checkpoint: the estimate's linear layers are AITER's
    (``calibration.runs_aiter_block_fp8``), which vLLM takes only with ``VLLM_ROCM_USE_AITER=1`` (an environment
    variable, default off, in ``vllm/envs.py`` of the release the option list was read from)."""
    if not runs_aiter_block_fp8(
        ENGINE_PROFILES["vllm"],
        weight_precision=est.precision,
        gpu_family=get_gpu(est.gpu).family,
        block_scaled=arch.block_scaled_at(est.precision),
    ):
        return []
    return [
        "# the estimate runs the block-scaled FP8 linear layers on AITER's kernels: start vLLM with "
        "VLLM_ROCM_USE_AITER=1 set, as AMD's recipes do (without it vLLM takes Triton's block-FP8 kernel)"
    ]


def _deep_gemm_note(arch: ModelArchitecture, est: PerformanceEstimate) -> list[str]:
    """For an estimate that took DeepGEMM as not installed (``deep_gemm=False``) where that moved its block-scaled FP8
    layers onto CUTLASS's kernel (``calibration.runs_cutlass_block_fp8``): the listed release ships DeepGEMM, and
    runs without it only with ``VLLM_USE_DEEP_GEMM=0`` (an environment variable, default on, in ``vllm/envs.py``)."""
    if est.deep_gemm is not False or not runs_cutlass_block_fp8(
        profile_for("vllm", est.engine_release),
        weight_precision=est.precision,
        gpu_family=get_gpu(est.gpu).family,
        block_scaled=arch.block_scaled_at(est.precision),
        deep_gemm=False,
    ):
        return []
    return [
        "# the estimate takes DeepGEMM as not installed (deep_gemm=False), so its block-scaled FP8 layers run on "
        "CUTLASS's kernel: a vLLM that ships DeepGEMM runs them so only with VLLM_USE_DEEP_GEMM=0 set"
    ]


_NEEDS_DRAFT: Final = frozenset({"eagle3", "eagle", "draft_model"})


def _draft_note(est: PerformanceEstimate, draft: str | None) -> list[str]:
    if est.speculative_method not in _NEEDS_DRAFT or draft:
        return []
    return [
        f"# replace {DRAFT_PLACEHOLDER} with the {est.speculative_method} draft checkpoint trained for this model "
        "(e.g. a Hugging Face id)"
    ]


def _split_copies(est: PerformanceEstimate, server: str) -> list[str]:
    """The note for replicas of a MoE layout that splits experts or attention: one server per replica
    (the engines' own data parallelism would join them into one expert-parallel group)."""
    if est.replicas == 1 or (est.ep == 1 and est.dp_attention == 1):
        return []
    gpus = est.tp * est.pp
    return [
        f"# {server} joins its data-parallel ranks into one expert-parallel group: for {est.replicas} "
        f"independent copies start {est.replicas} of these, each on its own {gpus} GPUs and port, behind a "
        "load balancer"
    ]


def replica_nodes(est: PerformanceEstimate) -> int:
    """The hosts one replica's ``tp x pp`` GPUs span, at the GPU's GPUs per host (``gpus_per_node``: 8 on an
    HGX board, 4 on a GB200 or GB300 tray, whose NVLink domain still spans 18 trays); 1 for a GPU the catalog
    does not know."""
    try:
        per_node = get_gpu(est.gpu).gpus_per_node
    except ConfigExplorerError:
        return 1
    return max(1, -(-(est.tp * est.pp) // per_node))


def _nodes_note(nodes: int) -> str:
    """The comment line's start for a command every host of a replica runs with its own rank."""
    return (
        f"# one replica spans {nodes} nodes: run this on each, with {NODE_RANK_PLACEHOLDER} its rank (0 to "
        f"{nodes - 1}) and {HEAD_NODE_PLACEHOLDER} node 0's address"
    )


def _host_rank_flags(nodes: int, address_flag: str, address: str) -> list[str]:
    """The options vLLM and SGLang share for a replica over ``nodes`` hosts: the host count, this host's rank
    (a placeholder) and, under the engine's own flag, where node 0 is met."""
    return ["--nnodes", str(nodes), "--node-rank", NODE_RANK_PLACEHOLDER, address_flag, address]


def _copies_note(est: PerformanceEstimate, nodes: int) -> list[str]:
    """Where each replica spans hosts, one server per replica: neither vLLM's nor SGLang's data parallelism
    of whole copies runs over several hosts per copy (SGLang refuses ``--dp-size`` with ``--nnodes``)."""
    if est.replicas == 1:
        return []
    return [
        f"# for {est.replicas} copies start {est.replicas} of these, each on its own {nodes} nodes and port, "
        "behind a load balancer"
    ]


def _vllm_moe(est: PerformanceEstimate, argv: list[str]) -> list[str] | None:
    """vLLM's expert-parallel and data-parallel-attention options (``argv`` extended); ``None`` when vLLM
    cannot run the layout (its expert parallelism spans every GPU of the stage or none)."""
    if est.ep not in (1, est.tp):
        return None
    if est.dp_attention > 1:
        # each data-parallel rank is an engine with its own attention, KV cache and scheduler limits
        argv += ["--data-parallel-size", str(est.dp_attention)]
    if est.ep > 1:
        argv.append("--enable-expert-parallel")
        if est.dp_attention > 1:
            # the token exchange the estimate costs (DeepEP's kernels; vLLM's default gathers every token)
            argv += ["--all2all-backend", "deepep_low_latency"]
        if est.redundant_experts:
            argv += [
                "--enable-eplb",
                "--eplb-config",
                json.dumps({"num_redundant_experts": est.redundant_experts}),
            ]
    if est.two_batch_overlap:
        argv.append("--enable-dbo")
    return argv


def _vllm(
    arch: ModelArchitecture,
    est: PerformanceEstimate,
    limits: LaunchLimits,
    util: float | None,
    draft: str | None = None,
) -> str:
    attention_tp = est.tp // est.dp_attention
    argv = ["vllm", "serve", arch.model_id, "--tensor-parallel-size", str(attention_tp)]
    if arch.trust_remote_code:  # the checkpoint's own code (model type, tokenizer) loads it
        argv.append("--trust-remote-code")
    if est.pp > 1:
        argv += ["--pipeline-parallel-size", str(est.pp)]
    moe = _vllm_moe(est, argv)
    if moe is None:
        return (
            f"# vLLM cannot run ep={est.ep} over tp={est.tp}: --enable-expert-parallel spreads the experts over "
            "every GPU of the stage; use SGLang (--ep-size) or TensorRT-LLM (--ep_size), or ep=1 or ep=tp"
        )
    nodes = replica_nodes(est)
    notes = _split_copies(est, "vLLM") if nodes == 1 else _copies_note(est, nodes)
    copies = 1
    if est.replicas > 1 and not notes:
        argv += ["--data-parallel-size", str(est.replicas)]
        copies = est.replicas
    if nodes > 1:
        # the multiprocessing executor over several hosts (vllm/config/parallel.py, engine/arg_utils.py and
        # entrypoints/cli/serve.py in 0.34.0): every host starts its share of the workers and meets node 0 at
        # --master-addr; only node 0 serves the API, the others run headless (with data-parallel ranks the
        # engine derives each host's share of them from --nnodes)
        argv += _host_rank_flags(nodes, "--master-addr", HEAD_NODE_PLACEHOLDER)
        others = "node 1 adds" if nodes == 2 else f"nodes 1 to {nodes - 1} add"
        notes.append(
            f"{_nodes_note(nodes)}; {others} --headless"
            + (" and leaves out --api-server-count" if "--api-server-count" in argv else "")
            + " (only node 0 serves the API)"
        )
    # vLLM starts one API server per data-parallel rank unless told (vllm/entrypoints/cli/serve.py): a
    # replica's attention groups (ranks of their own) or one rank per copy the command runs
    if est.api_server_count is not None and est.api_server_count != est.dp_attention:
        argv += ["--api-server-count", str(est.api_server_count * copies)]
    if limits.max_model_len:
        argv += ["--max-model-len", str(limits.max_model_len)]
    argv += ["--max-num-seqs", str(limits.max_num_seqs)]
    if limits.max_num_batched_tokens:
        argv += ["--max-num-batched-tokens", str(limits.max_num_batched_tokens)]
    if util is not None:
        argv += ["--gpu-memory-utilization", f"{util:g}"]
    if _fp8_on_load(arch, est):
        argv += ["--quantization", "fp8"]
    if est.kv_precision == "fp8":
        argv += ["--kv-cache-dtype", "fp8"]
    if arch.compressed_attention:  # DeepSeek-V4's caches in 256-token blocks, as vLLM's recipe requires
        argv += ["--block-size", str(COMPRESSED_ATTENTION_BLOCK["vllm"])]
    # MiniMax-M3's cache blocks are its sparse attention's, as its recipe sets
    if arch.block_sparse_attention:
        argv += ["--block-size", str(arch.sparse_block_size)]
    if est.async_scheduling:
        argv.append("--async-scheduling")  # the default from v0.14; the flag turns it on before that
    # a switch the estimate's own release has on, which the estimate ran without, was turned off: say so
    profile = profile_for("vllm", est.engine_release)
    if est.async_scheduling is False and profile.async_scheduling:
        argv.append("--no-async-scheduling")
    if est.enable_prefix_caching is False and vllm_prefix_caching_default(profile, hybrid=arch.is_hybrid):
        argv.append("--no-enable-prefix-caching")
    if est.enforce_eager:
        argv.append("--enforce-eager")
    captured = est.max_cudagraph_capture_size
    if captured is not None and captured != vllm_graph_capture_tokens(
        profile,
        model_class=arch.architecture,
        max_num_seqs=limits.max_num_seqs,
        max_num_batched_tokens=limits.max_num_batched_tokens,
    ):
        # the estimate's largest graphed step, where this command's own limits would have vLLM capture another
        # (min(2 x --max-num-seqs, 512) unless stated: vllm/config/vllm.py, _set_cudagraph_sizes)
        argv += ["--max-cudagraph-capture-size", str(captured)]
    if (
        est.cudagraph_mode is not None
        and (est.cudagraph_mode == "FULL_AND_PIECEWISE") != profile.full_decode_graphs
    ):
        # a graph mode other than the release's own (vllm/config/compilation.py: CUDAGraphMode)
        argv += ["--compilation-config", json.dumps({"cudagraph_mode": est.cudagraph_mode})]
    if est.moe_backend:  # the experts on Marlin's MoE kernel where vLLM would pick another (vLLM PR #33807)
        argv += ["--moe-backend", est.moe_backend]
    notes += _precision_note(arch, est, "vllm")
    notes += _aiter_note(arch, est)
    notes += _deep_gemm_note(arch, est)
    if est.speculative_method is not None:
        config: dict[str, object] = {"method": _SPEC_NAMES["vllm"][est.speculative_method]}
        if est.speculative_method in _NEEDS_DRAFT:
            config["model"] = draft or DRAFT_PLACEHOLDER
        config["num_speculative_tokens"] = est.num_speculative_tokens
        if est.speculative_method == "ngram":
            config["prompt_lookup_max"] = 4
        argv += ["--speculative-config", json.dumps(config)]
        notes += _draft_note(est, draft)
    return "\n".join([*notes, shlex.join(argv)])


def _sglang(
    arch: ModelArchitecture,
    est: PerformanceEstimate,
    limits: LaunchLimits,
    util: float | None,
    draft: str | None = None,
) -> str:
    argv = ["python", "-m", "sglang.launch_server", "--model-path", arch.model_id, "--tp-size", str(est.tp)]
    if arch.trust_remote_code:
        argv.append("--trust-remote-code")
    if est.pp > 1:
        argv += ["--pp-size", str(est.pp)]
    nodes = replica_nodes(est)
    notes: list[str] = _copies_note(est, nodes) if nodes > 1 else []
    # 0.5.23: whole copies of the model (attention groups: --attn-dp-size)
    if est.replicas > 1 and nodes == 1:
        argv += ["--dp-size", str(est.replicas)]
    if nodes > 1:
        # every host runs the same command but for its rank, and meets node 0 at --dist-init-addr; only node 0
        # serves the API, the others a health endpoint (0.5.23: arg_groups/fields/parallel.py, entrypoints/engine.py)
        argv += _host_rank_flags(
            nodes, "--dist-init-addr", f"{HEAD_NODE_PLACEHOLDER}:{SGLANG_DIST_INIT_PORT}"
        )
        notes.append(f"{_nodes_note(nodes)} (only node 0 serves the API)")
    groups = est.dp_attention
    if est.ep > 1:
        argv += ["--ep-size", str(est.ep)]
        if est.redundant_experts:
            argv += ["--enable-eplb", "--ep-num-redundant-experts", str(est.redundant_experts)]
    if groups > 1:
        # attention groups (0.5.23's spelling of --enable-dp-attention --dp-size), the vocabulary split
        # inside each group, and the dense layers data-parallel where each group is one GPU
        argv += ["--attn-dp-size", str(groups), "--enable-dp-lm-head"]
        if groups == est.tp:
            argv += ["--moe-dense-tp-size", "1"]
        if sglang_dispatches_deepep(
            profile_for("sglang"),
            ep=est.ep,
            dp_attention=groups,
            world=est.tp,
            gpu_family=get_gpu(est.gpu).family,
        ):
            argv += ["--moe-a2a-backend", "deepep"]
    if est.two_batch_overlap:
        argv.append("--enable-two-batch-overlap")
    if limits.max_model_len:
        argv += ["--context-length", str(limits.max_model_len)]
    # SGLang's running-request cap and prefill chunk are the server's: it divides them over the groups
    argv += ["--max-running-requests", str(limits.max_num_seqs * groups)]
    if limits.max_num_batched_tokens:
        argv += ["--chunked-prefill-size", str(limits.max_num_batched_tokens * groups)]
    if util is None and groups > 1 and est.memory_fraction is not None:
        # the plan's budget: SGLang's own default adds data-parallel padding per group (layout.sglang_fraction)
        util = est.memory_fraction
    if util is not None:
        argv += ["--mem-fraction-static", f"{util:g}"]
    if est.cuda_graph_max_bs is not None:
        # the largest decode batch the estimate replays in graphs, per attention group as the server captures
        # them (0.5.23 spells --cuda-graph-max-bs as --cuda-graph-max-bs-decode: arg_groups/cuda_graph_hook.py)
        argv += ["--cuda-graph-max-bs-decode", str(est.cuda_graph_max_bs)]
    if est.scheduler_recv_interval is not None and est.scheduler_recv_interval > 1:
        argv += ["--scheduler-recv-interval", str(est.scheduler_recv_interval)]
    if est.schedule_conservativeness is not None and est.schedule_conservativeness != 1.0:
        argv += ["--schedule-conservativeness", f"{est.schedule_conservativeness:g}"]
    if est.disable_overlap_schedule:
        argv.append("--disable-overlap-schedule")
    if est.enable_prefill_delayer:
        argv.append("--enable-prefill-delayer")
        if est.prefill_delayer_max_delay_passes not in (None, SGLANG_PREFILL_DELAYER_PASSES):
            argv += ["--prefill-delayer-max-delay-passes", str(est.prefill_delayer_max_delay_passes)]
    if est.disable_radix_cache:
        argv.append("--disable-radix-cache")
    if est.mamba_ssm_dtype:
        argv += ["--mamba-ssm-dtype", est.mamba_ssm_dtype]
    if est.swa_full_tokens_ratio is not None and est.swa_full_tokens_ratio != SGLANG_SWA_FULL_TOKENS_RATIO:
        argv += ["--swa-full-tokens-ratio", f"{est.swa_full_tokens_ratio:g}"]
    if est.disable_hybrid_swa_memory:
        argv.append("--disable-hybrid-swa-memory")
    if est.moe_runner_backend:  # DeepSeek-V4's MXFP4 experts on Hopper, or Triton's kernel asked on Blackwell
        argv += ["--moe-runner-backend", est.moe_runner_backend]
    if est.disable_piecewise_cuda_graph:
        # the estimate ran prompt steps eagerly; the release the flags are read from spells the switch
        # --disable-prefill-cuda-graph (--cuda-graph-backend-prefill=disabled; arg_groups/fields/exec_.py)
        argv.append("--disable-prefill-cuda-graph")
    if _fp8_on_load(arch, est):
        argv += ["--quantization", "fp8"]
    if est.kv_precision == "fp8":
        argv += ["--kv-cache-dtype", "fp8_e4m3"]
    notes += _precision_note(arch, est, "sglang")
    if est.speculative_method is not None and est.num_speculative_tokens:
        k = est.num_speculative_tokens
        argv += ["--speculative-algorithm", _SPEC_NAMES["sglang"][est.speculative_method]]
        if est.speculative_method in _NEEDS_DRAFT:
            argv += ["--speculative-draft-model-path", draft or DRAFT_PLACEHOLDER]
        if est.speculative_method != "ngram":
            argv += ["--speculative-num-steps", str(k), "--speculative-eagle-topk", "1"]
        argv += ["--speculative-num-draft-tokens", str(k + 1)]
        notes += _draft_note(est, draft)
    return "\n".join([*notes, shlex.join(argv)])


def _trtllm_refusal(est: PerformanceEstimate) -> str | None:
    """Why TensorRT-LLM cannot run ``est``'s layout, as a comment line, or None."""
    if est.dp_attention in (1, est.tp):
        return None
    return (
        f"# TensorRT-LLM cannot run dp_attention={est.dp_attention} over tp={est.tp}: enable_attention_dp makes "
        "every GPU its own attention group; use SGLang (--attn-dp-size), or dp_attention=1 or dp_attention=tp"
    )


def _trtllm(
    arch: ModelArchitecture,
    est: PerformanceEstimate,
    limits: LaunchLimits,
    util: float | None,
    draft: str | None = None,
) -> str:
    refusal = _trtllm_refusal(est)
    if refusal:
        return refusal
    lines, argv, options = _trtllm_parts(arch, est, limits, util, draft)
    if options:
        lines.append(_printf(options, TRTLLM_OPTIONS_FILE))
        argv += ["--extra_llm_api_options", TRTLLM_OPTIONS_FILE]
    return "\n".join([*lines, shlex.join(argv)])


def _printf(options: list[str], path: str) -> str:
    """A shell line writing ``options`` (YAML lines) to ``path``."""
    text = "\\n".join(options) + "\\n"
    return f"printf '{text}' > {path}"


def _trtllm_parts(
    arch: ModelArchitecture,
    est: PerformanceEstimate,
    limits: LaunchLimits,
    util: float | None,
    draft: str | None,
) -> tuple[list[str], list[str], list[str]]:
    """(comment lines, ``trtllm-serve`` argv, LLM-API option lines) of ``est``'s layout."""
    lines = _precision_note(arch, est, "trtllm")
    gpus = est.tp * est.pp
    nodes = replica_nodes(est)
    if est.replicas > 1:
        where = (
            f"{nodes} nodes" if nodes > 1 else f"{gpus} GPU{'s' if gpus > 1 else ''} (CUDA_VISIBLE_DEVICES)"
        )
        lines.append(
            f"# trtllm-serve runs one copy of the model: start {est.replicas} of these, each on its own {where} "
            "and port (--port), behind a load balancer"
        )
    if nodes > 1:
        # trtllm-serve has no node options: an MPI launcher starts one rank per GPU over the hosts, each through
        # trtllm-llmapi-launch, whose rank 0 runs the server and the others its workers
        # (tensorrt_llm/llmapi/trtllm-llmapi-launch; docs/source/commands/trtllm-serve/trtllm-serve.rst)
        per_node = -(-gpus // nodes)
        hosts = ",".join(f"NODE{i}:{per_node}" for i in range(nodes))
        lines.append(
            f"# one replica spans {nodes} nodes: start it with one MPI rank per GPU, each running this through "
            f"trtllm-llmapi-launch, e.g. mpirun -np {gpus} -H {hosts} trtllm-llmapi-launch trtllm-serve ... "
            f"(or srun -N {nodes} --ntasks {gpus} --ntasks-per-node {per_node} --mpi=pmix); rank 0 serves the API"
        )
    backend = "tensorrt" if est.tensorrt_engine else "pytorch"  # the backend the estimate ran
    argv = ["trtllm-serve", arch.model_id, "--backend", backend, "--tp_size", str(est.tp)]
    if arch.trust_remote_code:
        argv.append("--trust_remote_code")
    if est.pp > 1:
        argv += ["--pp_size", str(est.pp)]
    if est.ep > 1:
        argv += ["--ep_size", str(est.ep)]
    if est.redundant_experts:
        lines.append("# redundant experts take TensorRT-LLM's MoE load-balancer configuration: not set here")
    if est.two_batch_overlap:
        lines.append("# two-batch overlap has no trtllm-serve switch: not set here")
    if limits.max_model_len:
        argv += ["--max_seq_len", str(limits.max_model_len)]
    argv += ["--max_batch_size", str(limits.max_num_seqs)]
    if limits.max_num_batched_tokens:
        argv += ["--max_num_tokens", str(limits.max_num_batched_tokens)]
    # trtllm-serve leaves chunked prefill off; without it a prompt longer than --max_num_tokens is never
    # scheduled, and the estimate (like vLLM's V1 scheduler) chunks prompts into each step's budget
    argv.append("--enable_chunked_prefill")
    if util is not None:
        argv += ["--kv_cache_free_gpu_memory_fraction", f"{util:g}"]
    options: list[str] = []
    if est.dp_attention > 1:  # no flag of its own: the LLM-API's enable_attention_dp
        options.append("enable_attention_dp: true")
    if est.batch_wait_timeout_iters and est.batch_wait_max_tokens_ratio:  # batch waiting (LLM-API options)
        options.append(f"batch_wait_timeout_iters: {est.batch_wait_timeout_iters}")
        options.append(f"batch_wait_max_tokens_ratio: {est.batch_wait_max_tokens_ratio:g}")
    # the attention-DP ranks' context balance (AttentionDpConfig; the executor applies it with attention DP only)
    if est.attention_dp_enable_balance and est.dp_attention > 1:
        options += [
            "attention_dp_config:",
            "  enable_balance: true",
            f"  timeout_iters: {est.attention_dp_timeout_iters}",
            f"  batching_wait_iters: {est.attention_dp_batching_wait_iters}",
        ]
    if est.disable_overlap_scheduler:
        options.append("disable_overlap_scheduler: true")
    # the decode CUDA graphs (the PyTorch backend's cuda_graph_config), where the estimate ran other than the default
    graphs, listed = est.cuda_graph_max_batch_size, est.cuda_graph_batch_sizes
    stated = est.cuda_graph_padding or listed or graphs not in (None, TRTLLM_GRAPH_MAX_BATCH)
    if not est.tensorrt_engine and stated:
        options.append("cuda_graph_config:")
        if est.cuda_graph_padding:
            options.append("  enable_padding: true")
        if listed:
            # the sizes TensorRT-LLM captures at the batch it runs; a list it would keep none of is written as stated
            kept = trtllm_captured_graph_sizes(
                listed, limits.max_num_seqs, padding=bool(est.cuda_graph_padding)
            )
            options.append(f"  batch_sizes: [{', '.join(str(size) for size in kept or listed)}]")
        elif graphs is not None:
            # TensorRT-LLM captures no graph above the batch it runs (``_filter_cuda_graph_batch_sizes``)
            options.append(f"  max_batch_size: {min(graphs, limits.max_num_seqs)}")
    # the KV cache's type and block reuse (its prefix cache) have no flags: KvCacheConfig, through the options file
    kv_cache = ["  dtype: fp8"] if est.kv_precision == "fp8" else []
    if est.enable_block_reuse is False:
        kv_cache.append("  enable_block_reuse: false")
    if kv_cache:
        options += ["kv_cache_config:", *kv_cache]
    if est.kv_precision == "int8":
        lines.append("# an INT8 KV cache needs the TensorRT backend and an engine built for it: not set here")
    method = est.speculative_method
    if method is not None and method not in _SPEC_NAMES["trtllm"]:
        lines.append(f"# TensorRT-LLM's PyTorch backend has no {method} speculative decoding: not set here")
    elif method is not None:
        # speculative decoding has no flag either: the LLM-API's speculative_config
        options += ["speculative_config:", f"  decoding_type: {_SPEC_NAMES['trtllm'][method]}"]
        if method == "mtp":
            options.append(f"  num_nextn_predict_layers: {est.num_speculative_tokens}")
        else:
            options.append(f"  max_draft_len: {est.num_speculative_tokens}")
        if method in _NEEDS_DRAFT:
            options.append(f"  speculative_model_dir: {draft or DRAFT_PLACEHOLDER}")
            lines += _draft_note(est, draft)
    return lines, argv, options


_BUILDERS: Final = {"vllm": _vllm, "sglang": _sglang, "trtllm": _trtllm}


def serve_command(
    arch: ModelArchitecture,
    estimate: PerformanceEstimate,
    engine: str | None = None,
    *,
    gpu_memory_utilization: float | None = None,
    speculative_model: str | None = None,
) -> str:
    """The launch command of ``engine`` (default: the engine ``estimate`` was made for) for its layout.

    Tensor-, pipeline- and data-parallel sizes come from the estimate, the limits from
    :func:`launch_limits`, and quantization / KV-cache options are added when they differ from the
    checkpoint. ``gpu_memory_utilization`` becomes vLLM's ``--gpu-memory-utilization``, SGLang's
    ``--mem-fraction-static`` or TensorRT-LLM's ``--kv_cache_free_gpu_memory_fraction`` (each engine's
    own meaning, as the estimate budgets it). An estimate with speculative decoding gets the engine's
    speculative options; ``speculative_model`` names the draft checkpoint (heads and draft models).
    ``estimate`` must be one that fits (``estimate.ok``).
    The result may hold ``#`` comment lines and a line writing an options file before the command.
    """
    arch, estimate = _checked(arch, estimate)
    name = validation.engine(estimate.engine if engine is None else engine).partition("==")[0]
    util = validation.gpu_memory_utilization(gpu_memory_utilization)
    draft = (
        None
        if speculative_model is None
        else validation.text("speculative_model", speculative_model, "a model id")
    )
    return _BUILDERS[name](arch, estimate, launch_limits(arch, estimate), util, draft)


def serve_commands(
    arch: ModelArchitecture,
    estimate: PerformanceEstimate,
    *,
    gpu_memory_utilization: float | None = None,
    speculative_model: str | None = None,
) -> dict[str, str]:
    """Every engine's launch command for ``estimate``'s layout: ``{"vllm": ..., "sglang": ..., "trtllm": ...}``.

    Each is :func:`serve_command` for that engine, with the same limits. The estimate's figures hold for
    the engine it was made for (``estimate.engine``); the others start with the same layout and limits.
    """
    arch, estimate = _checked(arch, estimate)
    return {
        name: serve_command(
            arch,
            estimate,
            name,
            gpu_memory_utilization=gpu_memory_utilization,
            speculative_model=speculative_model,
        )
        for name in ENGINES
    }


def _role_flags(engine: str, role: str) -> list[str]:
    """What ``engine`` adds to a pool's command to run one side (``role``) of a disaggregated deployment:
    vLLM's NIXL connector (``--kv-transfer-config``; ``KVConnectorFactory`` registers ``NixlConnector`` in
    ``vllm/distributed/kv_transfer/kv_connector/factory.py``, ``kv_role`` in ``vllm/config/kv_transfer.py``)
    or SGLang's ``--disaggregation-mode prefill|decode`` (``arg_groups/fields/disagg.py``)."""
    if engine == "vllm":
        return ["--kv-transfer-config", json.dumps({"kv_connector": "NixlConnector", "kv_role": "kv_both"})]
    return ["--disaggregation-mode", role]


_ROLE_ENGINES: Final = ("vllm", "sglang")
#: TensorRT-LLM's disaggregated serving: the cluster file the proxy reads, each role's LLM-API options
#: file, and the ports the commands give the proxy and the first server of each pool
TRTLLM_CLUSTER_FILE: Final = "trtllm-disagg-cluster.yaml"
_TRTLLM_ROLES: Final = (
    ("prefill", "context_servers", "trtllm-context-options.yaml"),
    ("decode", "generation_servers", "trtllm-generation-options.yaml"),
)
_TRTLLM_PROXY_PORT: Final = 8000


def _trtllm_disaggregated(
    arch: ModelArchitecture, pools: dict[str, PerformanceEstimate], counts: dict[str, int]
) -> str:
    """TensorRT-LLM's disaggregated deployment: each pool's ``trtllm-serve`` worker with a KV-cache
    transceiver in its LLM-API options (context servers without the overlap scheduler, as TensorRT-LLM's
    ``examples/disaggregated`` runs them), the cluster file listing every worker, and the proxy
    (``trtllm-serve disaggregated -c``). Ports are numbered from the proxy's; each further replica of a
    pool takes the next port, as the cluster file lists it."""
    for pool in pools.values():
        refusal = _trtllm_refusal(pool)
        if refusal:
            return refusal
    lines: list[str] = []
    cluster = ["hostname: localhost", f"port: {_TRTLLM_PROXY_PORT}"]
    port = _TRTLLM_PROXY_PORT + 1
    for role, section, path in _TRTLLM_ROLES:
        pool, count = pools[role], counts[role]
        notes, argv, options = _trtllm_parts(arch, pool, launch_limits(arch, pool), None, None)
        options += ["cache_transceiver_config:", "  backend: DEFAULT"]
        if role == "prefill":
            options.append("disable_overlap_scheduler: true")
        ports = list(range(port, port + count))
        lines += notes
        where = (
            f"each on its own GPUs (CUDA_VISIBLE_DEVICES) and port, {ports[0]} to {ports[-1]}"
            if count > 1
            else f"port {ports[0]}"
        )
        lines.append(f"# {role} pool ({section}): {count} replica{'s' if count > 1 else ''} of this, {where}")
        lines.append(_printf(options, path))
        argv += ["--host", "localhost", "--port", str(ports[0]), "--extra_llm_api_options", path]
        lines.append(shlex.join(argv))
        cluster += [f"{section}:", f"  num_instances: {count}", "  urls:"]
        cluster += [f'    - "localhost:{p}"' for p in ports]
        port += count
    lines.append(
        "# the proxy: clients send requests to it; it routes each to a context and a generation server"
    )
    lines.append(_printf(cluster, TRTLLM_CLUSTER_FILE))
    lines.append(shlex.join(["trtllm-serve", "disaggregated", "-c", TRTLLM_CLUSTER_FILE]))
    return "\n".join(lines)


def disaggregated_commands(arch: ModelArchitecture, estimate: PerformanceEstimate) -> dict[str, str]:
    """Each engine's launch commands for a disaggregated estimate: one for a prefill replica and one for a
    decode replica, each with the engine's disaggregation option and a comment giving the pool's size.

    TensorRT-LLM's entry starts one worker per pool (``trtllm-serve`` with a KV-cache transceiver in its
    LLM-API options), writes the cluster file listing every replica, and starts the proxy that routes
    requests (``trtllm-serve disaggregated -c``).
    """
    if estimate.prefill_replicas is None or estimate.prefill_tp is None or not estimate.ok:
        raise InvalidArgumentError("disaggregated_commands needs a disaggregated estimate that fits")
    prefill_tp = estimate.prefill_tp
    prefill_ep, prefill_groups = estimate.prefill_ep or 1, estimate.prefill_dp_attention or 1
    rate = estimate.request_rate or 0.0
    ttft_s = (estimate.ttft_ms or 0.0) / 1e3
    pools = {
        "prefill": attrs.evolve(
            estimate,
            tp=prefill_tp,
            ep=prefill_ep,
            dp_attention=prefill_groups,
            replicas=1,
            num_gpus=prefill_tp,
            concurrency=max(1, math.ceil(rate / estimate.prefill_replicas * ttft_s)),
            max_num_seqs=None,
            api_server_count=None,  # the decode replicas stream the tokens; a prefill replica sends one each
        ),
        "decode": attrs.evolve(
            estimate,
            replicas=1,
            num_gpus=estimate.tp,
            concurrency=max(1, math.ceil(estimate.decode_batch_per_replica or 1.0)),
        ),
    }
    counts = {"prefill": estimate.prefill_replicas, "decode": estimate.decode_replicas or 1}
    out = {}
    for name in ENGINES:
        if name not in _ROLE_ENGINES:
            out[name] = _trtllm_disaggregated(arch, pools, counts)
            continue
        lines = []
        for role, pool in pools.items():
            text = serve_command(arch, pool, name)
            extra = shlex.join(_role_flags(name, role))
            lines.append(f"# {role} pool: {counts[role]} replica{'s' if counts[role] > 1 else ''} of this")
            lines.append(f"{text} {extra}")
        out[name] = "\n".join(lines)
    return out

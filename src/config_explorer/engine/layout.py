"""How a model is laid out over GPUs, what each GPU holds, and whether it fits.

A deployment of ``num_gpus`` GPUs runs ``replicas`` copies of the model, each split over
``tp * pp`` GPUs: tensor parallelism shards every layer's matmuls (attention heads, MLP width,
vocabulary) over ``tp`` GPUs; pipeline parallelism gives each of ``pp`` stages ``num_layers / pp``
layers.

Two refinements split a stage's ``tp`` GPUs differently for MoE models, as SGLang's ``--tp N --ep E
--enable-dp-attention --dp D`` and TensorRT-LLM's ``--tp N --ep E`` with ``enable_attention_dp`` do:

* expert parallelism (``ep``): each of ``ep`` ranks holds ``num_experts / ep`` whole experts, each
  split ``tp / ep`` ways (``ep = 1``: every expert split over all ``tp`` GPUs); ``redundant_experts``
  extra copies of the busiest experts (EPLB: SGLang's ``--ep-num-redundant-experts``, vLLM's
  ``num_redundant_experts``) make ``(num_experts + redundant_experts) / ep`` per rank;
* data-parallel attention (``dp_attention``): ``dp_attention`` groups of ``tp / dp_attention`` GPUs
  each run attention (and the dense layers, embedding and lm_head) for their own share of the
  sequences, so a group holds only its sequences' KV cache; the MoE layers then exchange tokens
  between groups.

Memory is budgeted as vLLM does: ``gpu_memory_utilization`` of the GPU, minus weights, minus the
activation peak of one step at the token budget, minus runtime overhead, leaves the KV cache.
"""

from __future__ import annotations

import math
from typing import Any, Final

import attrs

from config_explorer.architecture import COMPRESS_RATIOS, INDEXED_RATIO, ModelArchitecture
from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.calibration import (
    CUDA_GRAPH_BASE_GIB,
    CUDA_GRAPH_PER_LAYER_GIB,
    EngineProfile,
    SharedExperts,
    sglang_piecewise_sizes,
)
from config_explorer.errors import InvalidArgumentError
from config_explorer.precision import bytes_per_value, normalize_precision

__all__ = [
    "MemoryPlan",
    "ShardCosts",
    "check_expert_layout",
    "check_layout",
    "expert_layouts",
    "memory_plan",
    "sequence_capacity_tokens",
    "sequence_kv_bytes",
    "sglang_fraction",
    "shard_costs",
    "valid_tp_degrees",
    "windowed_context",
    "windowed_pairs",
]

GIB = 1024**3
#: MXFP4 MoE kernels pad each expert shard's intermediate width to this multiple
MXFP4_PAD = 256


def _tp_ok(arch: ModelArchitecture, tp: int) -> bool:
    kv = arch.num_kv_heads
    return arch.num_attention_heads % tp == 0 and (arch.is_mla or kv % tp == 0 or tp % kv == 0)


def valid_tp_degrees(arch: ModelArchitecture, num_gpus: int, pp: int = 1) -> list[int]:
    """Tensor-parallel degrees that split ``arch`` evenly and divide ``num_gpus / pp``."""
    if pp < 1 or num_gpus % pp:
        return []
    per_stage = num_gpus // pp
    return [t for t in range(1, per_stage + 1) if per_stage % t == 0 and _tp_ok(arch, t)]


def check_layout(
    arch: ModelArchitecture,
    num_gpus: int,
    tp: int,
    pp: int,
    ep: int = 1,
    dp_attention: int = 1,
    redundant_experts: int = 0,
) -> str | None:
    """Why this layout is invalid (the engines' rules), or ``None`` when it is valid."""
    if tp < 1 or pp < 1:
        return f"tp and pp must be >= 1, got tp={tp}, pp={pp}"
    if pp > arch.num_layers:
        return f"pp={pp} exceeds the {arch.num_layers} layers of {arch.model_id}"
    why = check_expert_layout(arch, tp, ep, dp_attention, redundant_experts)
    if why:
        return why
    if num_gpus % (tp * pp) == 0 and _tp_ok(arch, tp // dp_attention):
        return None
    valid = ", ".join(map(str, valid_tp_degrees(arch, num_gpus, pp))) or "none"
    if num_gpus % (tp * pp):
        return (
            f"tp*pp = {tp * pp} does not divide num_gpus = {num_gpus}; valid tp for {num_gpus} GPUs: {valid}"
        )
    if dp_attention > 1:
        return (
            f"attention tensor parallelism tp/dp_attention = {tp // dp_attention} does not split the "
            f"{arch.num_attention_heads} attention heads and {arch.num_kv_heads} KV heads of {arch.model_id}; "
            f"accepted dp_attention: the divisors d of tp={tp} with tp/d among {valid}"
        )
    if arch.num_attention_heads % tp:
        return (
            f"tp={tp} does not divide the {arch.num_attention_heads} attention heads of {arch.model_id}; "
            f"valid tp for {num_gpus} GPUs: {valid}"
        )
    return (
        f"tp={tp} and the {arch.num_kv_heads} KV heads of {arch.model_id} must divide one another; "
        f"valid tp for {num_gpus} GPUs: {valid}"
    )


def check_expert_layout(
    arch: ModelArchitecture, tp: int, ep: int, dp_attention: int, redundant_experts: int = 0
) -> str | None:
    """Why ``ep`` / ``dp_attention`` (and ``redundant_experts``) cannot split ``arch`` over a stage of
    ``tp`` GPUs, or ``None``."""
    r = redundant_experts
    if not isinstance(r, int) or isinstance(r, bool) or r < 0:
        return f"redundant_experts must be an integer >= 0, got {r!r}"
    if r and ep == 1:
        return f"redundant_experts={r} needs expert parallelism (ep > 1); accepted with ep=1: 0"
    for name, value in (("ep", ep), ("dp_attention", dp_attention)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"{name} must be an integer >= 1, got {value!r}"
        if tp % value:
            divisors = ", ".join(str(d) for d in range(1, tp + 1) if tp % d == 0)
            return f"{name}={value} does not divide tp={tp}; accepted: {divisors}"
    if ep > 1 and not arch.is_moe:
        return f"ep={ep} asks for expert parallelism but {arch.model_id} has no experts; accepted: ep=1"
    if ep > 1 and (arch.num_experts + r) % ep:
        physical = arch.num_experts + r
        divisors = ", ".join(str(d) for d in range(1, tp + 1) if tp % d == 0 and physical % d == 0)
        extra = f" + {r} redundant" if r else ""
        return (
            f"ep={ep} does not divide the {arch.num_experts}{extra} experts of {arch.model_id}; "
            f"accepted with tp={tp}: {divisors} (or redundant experts that make the count a multiple of ep)"
        )
    if dp_attention > 1 and not arch.is_moe:
        return (
            f"dp_attention={dp_attention} applies to MoE models (the experts are shared between the "
            f"attention groups); {arch.model_id} is dense: use replicas (more GPUs at the same tp) instead"
        )
    return None


def expert_layouts(arch: ModelArchitecture, tp: int) -> list[tuple[int, int]]:
    """The (ep, dp_attention) splits of a stage of ``tp`` GPUs worth planning for ``arch``.

    Plain tensor parallelism (1, 1); experts over all ``tp`` GPUs (tp, 1), as vLLM's
    ``--enable-expert-parallel`` does; and that with attention data parallel over every GPU (tp, tp),
    the wide-EP layout of the large MoE deployments, when the attention splits that way.
    """
    out = [(1, 1)]
    if not arch.is_moe or tp == 1 or arch.num_experts % tp:
        return out
    out.append((tp, 1))
    if check_expert_layout(arch, tp, tp, tp) is None and _tp_ok(arch, 1):
        out.append((tp, tp))
    return out


@attrs.frozen
class ShardCosts:
    """What one GPU of one pipeline stage holds and does, per step and per token.

    Per-token figures are per token of the whole replica's step: with data-parallel attention a GPU
    works on ``1 / dp_attention`` of the replica's sequences, so its attention, dense-layer and KV
    figures per replica token are that share of its own group's.
    """

    tp: int
    pp: int
    layers: int
    #: weights read every step whatever the batch: attention/mixer, dense MLP, shared experts (bytes)
    dense_weight_bytes: float
    lm_head_bytes: float
    #: one routed expert's shard (bytes); MoE layers on this stage; experts per layer; top-k
    expert_bytes: float
    moe_layers: int
    num_experts: int
    experts_per_token: int
    #: GEMM FLOPs per token on this GPU, excluding the lm_head (which runs only for sampled tokens)
    gemm_flops_per_token: float
    #: the part of it outside the routed experts (attention/mixer projections, dense MLP, shared experts)
    dense_gemm_flops_per_token: float
    #: FLOPs of one token through one routed expert's shard (one token-expert assignment, one layer)
    expert_flops_per_assignment: float
    #: one routed expert's shard: its width (intermediate / tp), its input width, bytes per weight value
    expert_width: float
    expert_hidden: int
    expert_value_bytes: float
    #: bytes the routing moves per token over all MoE layers: dispatch into the experts' order, the
    #: gate/up output and its activation, the down output and the weighted combine (16-bit)
    moe_traffic_bytes_per_token: float
    lm_head_flops_per_token: float
    #: KV bytes one token adds per GPU: in global layers, and in windowed layers (up to ``window``)
    kv_bytes_per_token_full: float
    kv_bytes_per_token_windowed: float
    window: int
    #: attention FLOPs per (query, key) pair on this GPU, global and windowed layers
    attention_flops_per_pair_full: float
    attention_flops_per_pair_windowed: float
    #: decode attention FLOPs per (query, key) pair in global layers: MLA's decode kernels run the absorbed
    #: form (scores over the 512-wide latent plus the rope part, values over the latent), which costs more
    #: per pair than the prefill form; equal to ``attention_flops_per_pair_full`` for other attention
    attention_flops_per_pair_decode: float
    #: recurrent (Mamba / linear-attention) state per sequence on this GPU (bytes)
    state_bytes_per_sequence: float
    recurrent_flops_per_token: float
    #: bytes all-reduced per token per layer pair, and all-reduce calls per step
    allreduce_bytes_per_token: float
    allreduce_calls: int
    gemm_kernels: int
    small_kernels: int
    #: attention kernels per step on this GPU (one per attention layer; counted among ``small_kernels``)
    attention_kernels: int
    #: bytes elementwise kernels (norms, residual adds, rope, activation) move per token on this GPU
    elementwise_bytes_per_token: float
    #: weights resident on this GPU (bytes), the largest stage
    resident_weight_bytes: float
    #: hidden-state bytes one token carries from one pipeline stage to the next (16-bit activations)
    activation_bytes_per_token: float = 0.0
    #: expert-parallel ranks (each holds ``(num_experts + redundant_experts) / ep`` whole experts) and
    #: attention groups
    ep: int = 1
    dp_attention: int = 1
    redundant_experts: int = 0
    #: MoE layers' token exchange between attention groups (``dp_attention > 1``): the bytes of one
    #: token's hidden state sent to one destination and returned (dispatch + combine), summed over the
    #: MoE layers, and the number of exchanges (dispatches and combines) per step
    moe_exchange_token_bytes: float = 0.0
    moe_exchange_calls: int = 0
    #: whether the MoE layers gather every attention group's tokens onto every GPU and reduce-scatter the results
    #: (NCCL all-gather and reduce-scatter) rather than send each token to its experts' ranks; then
    #: ``moe_exchange_token_bytes`` is one token's gathered and scattered bytes, summed over the MoE layers
    moe_exchange_gathers: bool = False
    #: query heads of one attention layer on this GPU (its share of its attention group's), which the
    #: prefill attention kernel's work units are made of (:mod:`config_explorer.engine.attention`)
    attention_heads: float = 0.0
    #: query heads on this GPU that share one of its KV heads (grouped-query attention's group; 1 for
    #: multi-head attention and for MLA, whose decode kernels read the latent once for all heads)
    query_heads_per_kv_head: float = 1.0
    #: the part of ``dense_gemm_flops_per_token`` on projections a quantized checkpoint keeps 16-bit,
    #: which run at the 16-bit GEMM rate (0 when every projection runs at the step's weight precision)
    wide_gemm_flops_per_token: float = 0.0
    #: the MoE routers' GEMM FLOPs per token on this GPU (each GPU routes its own attention group's tokens through a
    #: whole copy of every MoE layer's router); not in ``dense_gemm_flops_per_token``: a 16-bit router's GEMM is
    #: small beside its layer's, and only an engine that runs it in FP32 on the CUDA cores charges it
    #: (``Rates.router_flops``)
    router_flops_per_token: float = 0.0
    #: small kernels a step carrying prompt tokens launches beyond ``small_kernels``: the recurrent layers'
    #: chunked scans (:data:`PREFILL_SCAN_KERNELS`)
    prefill_extra_kernels: int = 0
    #: the linear-attention layers whose prompts run a measured chunked scan (Gated DeltaNet, Kimi Delta Attention:
    #: ``scan_kind``, the architecture's ``linear_attention_kind``) on this stage, the value heads each holds on this
    #: GPU, and of ``recurrent_flops_per_token`` the part theirs: a prompt step charges their scan by the engine's
    #: measured kernel (:data:`~config_explorer.engine.calibration.GDN_PREFILL`,
    #: :data:`~config_explorer.engine.calibration.KDA_PREFILL`) instead of those FLOPs
    scan_kind: str = ""
    scan_layers: float = 0.0
    scan_value_heads: float = 0.0
    scan_recurrent_flops_per_token: float = 0.0
    #: kernel launches the engine's Python code issues in one eager forward on this stage, counted from its model
    #: code (SGLang: :func:`~config_explorer.engine.sglang_eager.sglang_eager_launches`) and charged at the profile's
    #: ``eager_launch_us`` in place of the counted kernels at its ``eager_kernel_us``; 0: not counted
    eager_launches: int = 0
    #: seconds each prompt token of the replica's step adds to it on this stage beyond its FLOPs and bytes (a GPU
    #: works on its attention group's share of them): the many small passes of vLLM's DeepSeek-sparse-attention
    #: module (:func:`~config_explorer.engine.calibration.dsa_prompt_glue_us`)
    prompt_glue_s: float = 0.0
    #: the linear layers one step runs on this stage whose weights a quantized checkpoint quantizes: the
    #: attention's (fused) input and output projections (MLA: the fused query/latent down-projection, the query
    #: up-projection and the output; recurrent mixers their input and output projections), a dense MLP's and a
    #: shared expert's two; the router and the routed experts are not among them
    quantized_linears: int = 0
    #: (GEMM, small) kernels of the shared experts on this stage, counted among ``gemm_kernels`` and
    #: ``small_kernels``, and how the engine runs them (set by the deployment from the engine's rules)
    shared_expert_kernels: tuple[int, int] = (0, 0)
    shared_experts: SharedExperts = attrs.field(factory=SharedExperts)
    #: KV bytes a decoding query reads per token of its context in global layers and per token of its window
    #: in windowed ones, where they are not what a token stores (None: they are). DeepSeek sparse attention
    #: stores the latent and the indexer keys of every token but reads the indexer keys of all of them and the
    #: latent of its ``window`` (``index_topk``) picks only
    kv_read_bytes_per_token_full: float | None = None
    kv_read_bytes_per_token_windowed: float | None = None
    #: FLOPs a prompt's query-key pair costs in windowed layers where they differ from a decode's (None: the
    #: same, :attr:`attention_flops_per_pair_windowed`): a sparse-attention kernel padding the heads it computes
    attention_flops_per_pair_prompt_windowed: float | None = None
    #: all-reduces per step too small for their bytes to count, only their latency: a per-layer query/key
    #: norm's sums of squares over the attention group (:attr:`ModelArchitecture.qk_norm_per_layer`)
    norm_allreduce_calls: int = 0
    #: KV cache a sequence holds whatever its length, in no window of its own: compressed attention's sliding
    #: windows (their ``sliding_window`` latents in every layer) and its compressors' state (bytes on this GPU)
    fixed_kv_bytes_per_sequence: float = 0.0
    #: of that, what a decoding query reads every step (the windows' latents), and the attention FLOPs each
    #: token's query spends on them, decoding or prefilling (its window full)
    decode_read_bytes_per_sequence: float = 0.0
    attention_flops_per_token: float = 0.0
    #: bytes a prompt step's sparse-attention indexer writes per cell of its FP32 logits, one row for each of the
    #: step's prompt tokens and one column for each token of the step's prompts' contexts (its whole
    #: ``[tokens, contexts]`` matrix, where the engine cleans it: :data:`~config_explorer.engine.calibration.
    #: VLLM_INDEXER_CLEAN_LOGITS_RELEASES`), over this GPU's sparse layers; 0 elsewhere
    prefill_logits_bytes_per_cell: float = 0.0
    #: a prompt step whose longest sequence (computed and new tokens) is at most this many tokens attends densely
    #: where the engine switches its sparse attention off for it (0: never; :func:`~config_explorer.engine.
    #: calibration.sparse_attention_dense_prompts`): no indexer logits, and every query-key pair at
    #: :attr:`dense_prompt_flops_per_pair` in place of the sparse kernel's
    dense_prompt_context: int = 0
    dense_prompt_flops_per_pair: float = 0.0

    def kv_bytes(self, context: float) -> float:
        """KV cache of one sequence at ``context`` tokens on this GPU (with data-parallel attention, the
        replica-wide average: a ``1 / dp_attention`` share of what its own group holds for it)."""
        return (
            self.kv_bytes_per_token_full * context
            + self.kv_bytes_per_token_windowed * min(context, self.window)
            + self.fixed_kv_bytes_per_sequence
        )


def compressed_head_bytes(arch: ModelArchitecture, attn_tp: int, per_value: float | None = None) -> float:
    """Bytes a token moves over all compressed-attention layers' query heads on one GPU of an attention group of
    ``attn_tp`` (:data:`COMPRESSED_HEAD_BYTES` per head value, or ``per_value``); 0 for other models."""
    if not arch.compressed_attention:
        return 0.0
    heads = arch.num_attention_heads / attn_tp
    bytes_per_value = COMPRESSED_HEAD_BYTES if per_value is None else per_value
    return len(arch.compress_ratios) * heads * arch.head_dim * bytes_per_value


def compressed_attention_costs(
    arch: ModelArchitecture, kv_precision: str, frac: float, groups: int, heads_per_gpu: float
) -> dict[str, Any]:
    """:class:`ShardCosts` fields for DeepSeek-V4's compressed attention on one GPU (see the architecture's
    :attr:`~config_explorer.architecture.ModelArchitecture.compress_ratios`).

    Every layer's window of ``sliding_window`` latents is held and read whole by every decoding query, a fixed
    cost per sequence; the compressors' state is held too. The growing part is the compressed entries: a
    ratio-4 layer stores a latent and an index key per 4 tokens, and its indexer scores every key (the global
    terms), then the query attends its ``index_topk`` picks: entries of at most ``4 x index_topk`` tokens, the
    windowed terms at that window; a ratio-128 layer attends all its entries (global terms). The latent is
    shared by all heads and whole on every GPU of the attention group (vLLM 0.20's ``DeepseekV4Attention``,
    SGLang 0.5.12's ``deepseek_v4`` backend).
    """
    ratios = arch.compress_ratios
    entry = arch.latent_entry_bytes(kv_precision) / groups
    index = arch.index_key_bytes() / groups
    indexed = ratios.count(INDEXED_RATIO) * frac
    heavy_ratio = max(COMPRESS_RATIOS)
    heavy = ratios.count(heavy_ratio) * frac
    layers = len(ratios) * frac
    window = arch.sliding_window or 0
    # scores and values over the shared latent, for the heads the kernel computes (the deployment pads them to
    # FlashMLA's where the engine's kernel is that: :func:`compressed_heads`)
    per_key = 4.0 * heads_per_gpu * arch.head_dim / groups
    index_pair = 2.0 * arch.index_num_heads * arch.index_head_dim / INDEXER_FP8_SPEEDUP / groups
    global_pair = indexed * index_pair / INDEXED_RATIO + heavy * per_key / heavy_ratio
    state = arch.compressed_state_bytes() * frac / groups
    return {
        "window": INDEXED_RATIO * arch.index_topk,
        "kv_bytes_per_token_full": indexed * (entry + index) / INDEXED_RATIO + heavy * entry / heavy_ratio,
        "kv_bytes_per_token_windowed": 0.0,
        "kv_read_bytes_per_token_full": indexed * index / INDEXED_RATIO + heavy * entry / heavy_ratio,
        "kv_read_bytes_per_token_windowed": indexed * entry / INDEXED_RATIO,
        "attention_flops_per_pair_full": global_pair,
        "attention_flops_per_pair_decode": global_pair,
        "attention_flops_per_pair_windowed": indexed * per_key / INDEXED_RATIO,
        "fixed_kv_bytes_per_sequence": layers * window * entry + state,
        "decode_read_bytes_per_sequence": layers * window * entry,
        "attention_flops_per_token": layers * window * per_key,
        # the latent is read once for all heads
        "query_heads_per_kv_head": 1.0,
        # the attention in every layer, the indexer's logits in the ratio-4 ones
        "attention_kernels": round(layers + indexed),
    }


def windowed_pairs(tokens: float, window: int) -> float:
    """Causal query-key pairs of a prompt's first ``tokens`` tokens in a layer with a sliding ``window``:
    the sum over positions 1..tokens of min(position, window)."""
    if window <= 0:
        return 0.0
    if tokens <= window:
        return tokens * (tokens + 1) / 2
    return window * (window + 1) / 2 + (tokens - window) * window


def windowed_context(first: float, last: float, window: int, *, chunked: bool) -> float:
    """The mean context a decoding query attends to in a windowed layer, over contexts ``first`` to ``last``
    (one step: ``first == last``; a batch's sequences, or one sequence's run of steps, in between).

    A sliding window holds the last ``window`` tokens: ``min(context, window)`` at the mean context. A
    chunked layer (Llama 4's, :attr:`~config_explorer.architecture.ModelArchitecture.chunked_attention`) attends
    to the tokens since its chunk began, ``((context - 1) mod window) + 1``, a saw-tooth averaged over the span
    (Llama 4's chunk mask: a query sees the keys of its own chunk only; TensorRT-LLM's decode kernels start at
    the chunk's first token, ``chunked_attention_size`` in its masked multi-head and TensorRT-LLM-gen kernels)."""
    if window <= 0:
        return 0.0
    if not chunked:
        return min((first + last) / 2, window)

    def total(context: float) -> float:  # the saw-tooth's sum over contexts 1..context
        whole, part = divmod(max(context, 0.0), window)
        return whole * window * (window + 1) / 2 + part * (part + 1) / 2

    if last - first < 1.0:
        return ((max(first, 1.0) - 1.0) % window) + 1.0
    return (total(last) - total(first - 1.0)) / (last - first + 1.0)


def unquantized_share(arch: ModelArchitecture, precision: str, *, latent: bool | None = None) -> float:
    """Share of the linear weights outside the routed experts that stay 16-bit at ``precision``: all of
    them for a 16-bit precision or an experts-only checkpoint (gpt-oss's MXFP4), and otherwise the
    projections the checkpoint's own quantization config excludes (0 when it is quantized on load).
    ``latent``: of MLA's latent down-projections alone (True), or of the other weights (False)."""
    p = normalize_precision(precision)
    if p in ("fp32", "bf16", "fp16"):
        return 1.0
    if p != arch.native_precision:
        return 0.0
    if arch.quantized_scope == "experts":
        return 1.0
    if latent is None:
        return arch.unquantized_linear_params / arch.dense_linear_params
    latent_params = arch.mla_replicated_params_per_layer * arch.num_attention_layers
    if latent:
        return arch.unquantized_latent_params / latent_params if latent_params else 0.0
    rest = arch.dense_linear_params - latent_params
    return (arch.unquantized_linear_params - arch.unquantized_latent_params) / rest if rest else 0.0


def expert_precision(arch: ModelArchitecture, precision: str) -> str:
    """The precision ``arch``'s routed experts are stored in when its weights are served at ``precision``: the
    checkpoint's own expert precision where it has one and is served as published (DeepSeek-V4: MXFP4 experts
    beside FP8 projections), else ``precision``."""
    p = normalize_precision(precision)
    if arch.expert_precision and p == arch.native_precision:
        return arch.expert_precision
    return p


def _weight_parts(arch: ModelArchitecture, precision: str) -> tuple[float, float, float, float]:
    """(bytes per value of non-expert linear weights, of expert weights, of 16-bit parts, embedding bytes)."""
    p = normalize_precision(precision)
    wide = bytes_per_value(p) if p in ("fp32", "bf16", "fp16") else 2.0
    quant = bytes_per_value(p)
    share = unquantized_share(arch, p)
    # projections a checkpoint keeps 16-bit (its quantization config's exclusion list) are read 16-bit
    linear = quant * (1.0 - share) + wide * share
    return linear, bytes_per_value(expert_precision(arch, p)), wide, arch.embedding_params * wide


#: (GEMM, small) kernels one layer of each kind launches in a fused serving engine
MIXER_KERNELS = {
    "full": (2, 4),
    "sliding": (2, 4),
    "mla": (5, 6),
    "mamba": (2, 4),
    "linear": (3, 5),
    "none": (0, 0),
}
#: small kernels a recurrent layer adds to a step that carries prompt tokens: the prompt runs the chunked
#: scan, several kernels where a decode step runs one recurrent update. Gated DeltaNet (Qwen3-Next):
#: ``chunk_gated_delta_rule`` launches the chunk-local cumsum, the scaled K K^T, the triangular solve, the
#: W/U recompute, the chunk-state pass, the output and two L2 norms (eight kernels, in SGLang's
#: ``layers/attention/fla/chunk.py``, adapted from flash-linear-attention as vLLM's is), plus the gating the
#: decode kernel fuses: 8 more. Mamba-2: ``mamba_chunk_scan_combined``'s chunk cumsum, chunk state, state
#: passing, chunk BMM and chunk scan where decode runs ``selective_state_update``: 4 more
PREFILL_SCAN_KERNELS: Final[dict[str, int]] = {"linear": 8, "mamba": 4}
_MLP_KERNELS = {"dense": (2, 2), "moe": (3, 5), "shared_expert": (2, 1), "none": (0, 0)}
#: the small kernels an attention output gate adds to its layer, and the (GEMM, small) kernels a gated shared
#: expert adds to its MoE layer, as SGLang 0.5.6 and 0.5.12 run Qwen3-Next's decode (models/qwen3_next.py,
#: models/qwen2_moe.py; benchmarks/data/qwen3_next_kernels_evidence.md): the gate's sigmoid and multiply; the
#: shared expert gate's one-column projection, sigmoid and multiply. (A query/key norm's two kernels are not
#: charged: charged to every Qwen3, Gemma 3 and Llama 4 layer they moved benchmarks/accuracy.py's held-out
#: ITL from 8.6% to 8.8%, and compiled engines may fuse them)
OUTPUT_GATE_KERNELS: Final[int] = 2
SHARED_EXPERT_GATE_KERNELS: Final[tuple[int, int]] = (1, 2)
#: of a MoE layer's, the (GEMM, small) kernels of its expert path: the two grouped GEMMs, and top-k, token
#: alignment, activation and combine (the router GEMM and the norm are not part of it)
EXPERT_PATH_KERNELS = (2, 4)


#: (GEMM, small) kernels a sparse-attention layer's lightning indexer adds (vLLM's and SGLang's DeepSeek-V3.2
#: ``Indexer``): its query, key and per-head weight projections; the key norm, rope, FP8 quantization and
#: cache write, the top-k selection (its logits kernel counts among the attention kernels)
INDEXER_KERNELS: Final[tuple[int, int]] = (3, 4)
#: the indexer's FP8 logits run at twice the 16-bit tensor rate the attention terms are charged at: its FLOPs
#: per (query, key) pair count half (an assumption from the FP8 peak, not a measured kernel)
INDEXER_FP8_SPEEDUP: Final[float] = 2.0
#: FlashMLA's sparse kernels, which run DeepSeek-V4's compressed attention, take 64 or 128 query heads: a GPU's
#: heads are padded up to the nearer (vLLM 0.20's ``padded_heads``; SGLang 0.5.23 the same, where 0.5.12 padded to
#: all of the model's heads), so its attention FLOPs do not shrink below 64 heads' as tensor parallelism grows
COMPRESSED_ATTENTION_HEAD_TILES: Final[tuple[int, ...]] = (64, 128)
#: (GEMM, small) kernels one compressed-attention layer launches beside its MLP's, by ratio, counted from the
#: layer's modules in vLLM 0.20 and SGLang 0.5.12 (benchmarks/data/dsv4_engine_evidence.md). GEMMs: the fused
#: query and latent down-projection, the query up-projection, the grouped and the final output projections, the
#: hyper-connections' mixing projection at both sites, a compressor's projection; ratio 4 adds the indexer's
#: query, head-weight and key-compressor projections. Small: the hyper-connections' Sinkhorn-and-mix and their
#: output mix at both sites, the query norm and rope, the latent's norm, rope, quantization and cache write,
#: the attention, its inverse rope, the compressor's pooling; ratio 4 adds the index keys' rotation and
#: quantization, their pooling, the logits and the top-k. Ratio 0 (the window alone) has no compressor
COMPRESSED_MIXER_KERNELS: Final[dict[int, tuple[int, int]]] = {0: (6, 10), 4: (10, 15), 128: (7, 11)}
#: of those, the hyper-connections' (GEMM, small) kernels: the mixing projection at both sites, their Sinkhorn-and-mix
#: and output mix
HYPER_CONNECTION_KERNELS: Final[tuple[int, int]] = (2, 6)
#: bytes each token's hyper-connections move per layer, per hidden value and per copy of the hidden state, beyond
#: their kernels' fixed time: fitted by benchmarks/dsv4_modules.py on aiconfigurator's measured mHC modules (SGLang
#: 0.5.14 on the H200, 2,048 tokens and more) and read held out on every other GPU and engine's tables there
HYPER_CONNECTION_BYTES: Final[float] = 17.88
#: bytes each token moves per compressed-attention layer (DeepSeek-V4) per query-head value a GPU holds (its heads
#: x ``head_dim``), beyond the hidden-width traffic every layer is charged: the elementwise passes over the 512-wide
#: heads around the attention kernel (the queries' norm, rotary embedding and FP8 quantization; the output's inverse
#: rotary embedding and FP8 quantization before the grouped output projection: vLLM 0.20's
#: ``DeepseekV4Attention.forward``). Fitted by benchmarks/dsv4_modules.py on aiconfigurator's measured context
#: modules of both engines on the H200 (SGLang 0.5.14, vLLM 0.24; 2,048 tokens and more) and read held out on every
#: other GPU, on TensorRT-LLM and on the generation modules
COMPRESSED_HEAD_BYTES: Final[float] = 25.38
#: FP8 linear layers of one compressed-attention layer (the two down-projections fused, the query up-projection,
#: the two output projections), and the indexer's FP8 query projection a ratio-4 layer adds
COMPRESSED_MIXER_LINEARS: Final[dict[int, int]] = {0: 4, 4: 5, 128: 4}


def compressed_heads(heads_per_gpu: float) -> int:
    """The query heads FlashMLA's sparse kernels compute for a GPU holding ``heads_per_gpu`` of a layer's
    (:data:`COMPRESSED_ATTENTION_HEAD_TILES`)."""
    return next(
        (tile for tile in COMPRESSED_ATTENTION_HEAD_TILES if heads_per_gpu <= tile),
        math.ceil(heads_per_gpu),
    )


def _kv_heads_per_gpu(kv_heads: int, attn_tp: int) -> float:
    """KV heads one GPU of an attention group holds: its share, or one replicated head where the group outnumbers
    them."""
    return max(kv_heads / attn_tp, 1.0)


def _block_sparse_costs(
    arch: ModelArchitecture,
    kv_precision: str,
    frac: float,
    groups: int,
    kv_per_layer: float,
    pair: float,
    kv_heads_per_gpu: float,
) -> dict[str, Any]:
    """MiniMax sparse attention's terms on one GPU (``kv_per_layer``: a token's keys and values in one layer on this
    GPU, ``pair``: one query-key pair's FLOPs in one layer). Each sparse layer also caches one index key a token,
    whole on every GPU (vLLM's MiniMax-M3 attention: one key head, and as many index query heads a GPU as it holds
    key/value heads); a decoding query reads every index key of its context but keys and values of its picked
    blocks only, a window of ``sparse_topk_blocks x sparse_block_size`` tokens, and its index heads score every
    earlier token. The dense layers attend the whole context."""
    sparse_layers = arch.block_sparse_layers * frac
    dense_layers = arch.attention_kinds.count("full") * frac - sparse_layers
    index_bytes = arch.block_index_bytes_per_token(kv_precision) / groups
    index_pair = 2 * kv_heads_per_gpu * arch.index_head_dim / groups
    global_pair = pair * dense_layers + index_pair * sparse_layers
    return {
        "window": arch.block_sparse_window,
        "kv_bytes_per_token_full": kv_per_layer * (dense_layers + sparse_layers)
        + index_bytes * sparse_layers,
        "kv_read_bytes_per_token_full": kv_per_layer * dense_layers + index_bytes * sparse_layers,
        "kv_bytes_per_token_windowed": 0.0,
        "kv_read_bytes_per_token_windowed": kv_per_layer * sparse_layers,
        "attention_flops_per_pair_full": global_pair,
        "attention_flops_per_pair_decode": global_pair,
        "attention_flops_per_pair_windowed": pair * sparse_layers,
        "attention_kernels": round(dense_layers + 2 * sparse_layers),
    }


def _mixer_kind(arch: ModelArchitecture, kind: str) -> str:
    """The key a layer of ``kind`` takes in the per-mixer tables: an MLA model's attention layers are ``mla``; its
    recurrent layers (Kimi Linear's delta attention) and the missing mixers of Nemotron-H's blocks keep their own."""
    return "mla" if arch.is_mla and kind in ("full", "sliding") else kind


def kernels_per_model(arch: ModelArchitecture) -> tuple[int, int]:
    """(GEMM kernels, small kernels) one forward step launches, from the layer kinds.

    Attention: fused QKV and output projections, plus norm, rope, attention, KV-cache write. MLA adds the
    low-rank projections and their norms. MoE: router, the two fused expert GEMMs, plus top-k, token
    alignment, activation, combine and norm; a shared expert adds its own two GEMMs and activation.
    """
    gemm = small = 0
    for ratio in arch.compress_ratios:
        g, k = COMPRESSED_MIXER_KERNELS[ratio]
        gemm, small = gemm + g, small + k
    for kind in () if arch.compress_ratios else arch.attention_kinds:
        g, k = MIXER_KERNELS[_mixer_kind(arch, kind)]
        if kind in ("full", "sliding") and arch.attention_output_gate:
            k += OUTPUT_GATE_KERNELS
        if kind == "full" and arch.sparse_attention:
            g, k = g + INDEXER_KERNELS[0], k + INDEXER_KERNELS[1]
        gemm, small = gemm + g, small + k
    shared_gemm, shared_small = shared_expert_kernels(arch)
    for kind in arch.mlp_kinds:
        g, k = _MLP_KERNELS[kind]
        if kind == "moe":
            g, k = g + shared_gemm, k + shared_small
        gemm, small = gemm + g, small + k
    return gemm + 1, small + 1  # lm_head, final norm


#: linear layers per mixer (see ``ShardCosts.quantized_linears``) and per dense or shared-expert MLP
_MIXER_LINEARS: Final[dict[str, int]] = {
    "mla": 3,
    "full": 2,
    "sliding": 2,
    "linear": 3,
    "mamba": 2,
    "none": 0,
}
_MLP_LINEARS: Final[int] = 2


def quantized_linears(arch: ModelArchitecture) -> int:
    """The linear layers of one forward step a quantized checkpoint quantizes (``ShardCosts.quantized_linears``)."""
    mixers = sum(_MIXER_LINEARS[_mixer_kind(arch, kind)] for kind in arch.attention_kinds)
    if arch.compress_ratios:
        mixers = sum(COMPRESSED_MIXER_LINEARS[ratio] for ratio in arch.compress_ratios)
    dense = arch.mlp_kinds.count("dense")
    shared = arch.mlp_kinds.count("moe") if arch.shared_expert_intermediate_size else 0
    return mixers + _MLP_LINEARS * (dense + shared)


def shared_expert_kernels(arch: ModelArchitecture) -> tuple[int, int]:
    """(GEMM, small) kernels of one MoE layer's shared expert, its gate included; none without one."""
    if not arch.shared_expert_intermediate_size:
        return 0, 0
    gemm, small = _MLP_KERNELS["shared_expert"]
    if arch.shared_expert_gated:
        gemm, small = gemm + SHARED_EXPERT_GATE_KERNELS[0], small + SHARED_EXPERT_GATE_KERNELS[1]
    return gemm, small


def shard_costs(
    arch: ModelArchitecture,
    precision: str,
    kv_precision: str,
    tp: int,
    pp: int,
    ep: int = 1,
    dp_attention: int = 1,
    redundant_experts: int = 0,
    mxfp4_pad: int = MXFP4_PAD,
) -> ShardCosts:
    """Per-GPU figures for ``arch`` at ``precision`` split ``tp`` ways and over ``pp`` stages.

    ``ep``, ``dp_attention`` and ``redundant_experts`` split a stage's ``tp`` GPUs for the experts and
    for attention (see the module text); ``1, 1, 0`` is plain tensor parallelism. ``mxfp4_pad``: the multiple the
    engine's MXFP4 expert kernels pad each expert shard's intermediate width to (1: none).
    """
    why = check_expert_layout(arch, tp, ep, dp_attention, redundant_experts)
    if why:
        raise InvalidArgumentError(why)
    groups = dp_attention
    attn_tp = tp // groups  # GPUs of one attention group: attention, dense layers, vocabulary
    moe_tp = tp // ep  # GPUs one expert is split over
    linear_b, expert_b, wide_b, embed_bytes = _weight_parts(arch, precision)
    kernels = kernels_per_model(arch)
    shared_gemm, shared_small = shared_expert_kernels(arch)
    h = arch.hidden_size
    layers_per_stage = math.ceil(arch.num_layers / pp)
    frac = layers_per_stage / arch.num_layers

    # Attention projections: K/V replicate when the group's tp exceeds the KV heads.
    kv_heads_per_gpu = _kv_heads_per_gpu(arch.num_kv_heads, attn_tp)
    if arch.compressed_attention:
        # DeepSeek-V4: the query up-projection, the grouped output projections and the heads' sinks split over
        # the group; the two down-projections and their norms replicate, as do the compressors and indexers
        nh, hd, ql = arch.num_attention_heads, arch.head_dim, arch.q_lora_rank or 0
        split = ql * nh * hd + nh * hd * arch.o_lora_rank + arch.o_groups * arch.o_lora_rank * h + nh
        attn_per_gpu = split / attn_tp + h * (ql + hd) + ql + hd
    elif arch.is_mla:
        # the latent down-projections and the indexer's projections are replicated on every GPU of the group
        whole = arch.mla_replicated_params_per_layer + arch.indexer_params_per_layer
        split = arch.attention_params_per_layer - arch.mla_replicated_params_per_layer
        attn_per_gpu = split / attn_tp + whole
    else:

        def gqa_per_gpu(head_dim: int, kv_heads: int, kv_mult: int) -> float:
            q_width = arch.num_attention_heads * head_dim * (2 if arch.attention_output_gate else 1)
            kv_width = _kv_heads_per_gpu(kv_heads, attn_tp) * head_dim
            return (
                h * (q_width / attn_tp + kv_mult * kv_width)
                + arch.num_attention_heads * head_dim * h / attn_tp
            )

        # the full layers' own geometry where they have one (Gemma 4's global layers), averaged over the layers
        sliding, full = arch.attention_kinds.count("sliding"), arch.attention_kinds.count("full")
        per_full = gqa_per_gpu(*arch.full_geometry)
        per_sliding = gqa_per_gpu(arch.head_dim, arch.num_kv_heads, 2)
        attn_per_gpu = (sliding * per_sliding + full * per_full) / max(sliding + full, 1)
    recurrent_params = (
        arch.num_mamba_layers * arch.mamba_params_per_layer
        + arch.num_linear_layers * arch.linear_attention_params_per_layer
    )
    mixer = (arch.num_attention_layers * attn_per_gpu + recurrent_params / attn_tp) * frac
    dense_layers = arch.mlp_kinds.count("dense") * frac
    dense_mlp = dense_layers * arch.dense_mlp_params_per_layer / attn_tp
    moe_layers = math.ceil(arch.num_moe_layers * frac)
    shared = moe_layers * arch.shared_expert_params_per_layer / attn_tp
    router = moe_layers * arch.router_params_per_layer
    # MLA's latent down-projections are whole on every GPU: their 16-bit share is their own, not the average's
    latent = arch.num_attention_layers * arch.mla_replicated_params_per_layer * frac
    if latent:
        quant_b = bytes_per_value(precision)
        latent_b, rest_b = (
            quant_b + (wide_b - quant_b) * unquantized_share(arch, precision, latent=part)
            for part in (True, False)
        )
        dense_weight_bytes = (
            latent * latent_b + (mixer + dense_mlp + shared - latent) * rest_b + router * wide_b
        )
    else:
        dense_weight_bytes = (mixer + dense_mlp + shared) * linear_b + router * wide_b
    if arch.compressed_attention:
        # the compressors and indexers, on every GPU: their 16-bit projections at 16 bits, the rest quantized;
        # the other linear layers carry no 16-bit share of their own then
        compressors = sum(arch.compressor_params(ratio) for ratio in arch.compress_ratios) * frac
        wide_part = arch.compressor_wide_params * frac
        quant_b = bytes_per_value(precision)
        dense_weight_bytes = (mixer + dense_mlp + shared + compressors - wide_part) * quant_b + (
            wide_part + router
        ) * wide_b
        mixer += compressors
    expert_width = arch.moe_intermediate_size / moe_tp
    if expert_precision(arch, precision) == "mxfp4" and expert_width:
        # MXFP4 expert kernels store each shard's intermediate width padded to a multiple of 256
        # (gpt-oss-120b: 2880 -> 3072, which is what vLLM's "Model loading took 64.4 GiB" shows)
        expert_width = math.ceil(expert_width / mxfp4_pad) * mxfp4_pad
    # a latent MoE's experts work in its narrower latent width, and its tokens travel to them in it
    eh = arch.expert_hidden_size
    matrices = arch.expert_matrices
    expert_bytes = matrices * eh * expert_width * expert_b
    lm_head_bytes = arch.vocab_size * h / attn_tp * wide_b
    norms = arch.norm_params * frac * wide_b
    # The first stage holds the embedding, the last the lm_head; with pp == 1 one GPU holds both.
    # vLLM shards the vocabulary over tp (SGLang's --enable-dp-lm-head over the attention group);
    # tied embeddings are stored once.
    if pp == 1:
        vocab_bytes = (embed_bytes / attn_tp) + (0.0 if arch.tie_word_embeddings else lm_head_bytes)
    else:
        vocab_bytes = max(embed_bytes / attn_tp, lm_head_bytes)
    # a multimodal checkpoint's image encoder is loaded too (with pp on the first stage, counted here on
    # the stage this plan sizes), split over tp; it never runs on a text step
    vision = arch.vision_params * wide_b / attn_tp
    local_experts = (arch.num_experts + redundant_experts) // ep if arch.num_experts else 0
    resident = dense_weight_bytes + moe_layers * local_experts * expert_bytes + vocab_bytes + norms + vision

    mlp_width = max(
        arch.intermediate_size if "dense" in arch.mlp_kinds else 0,
        arch.num_experts_per_token * arch.moe_intermediate_size + arch.shared_expert_intermediate_size,
    )
    # a GPU works on a 1/groups share of the replica's tokens outside the experts
    dense_gemm_params = (mixer + dense_mlp + shared) / groups
    gemm_params = dense_gemm_params + moe_layers * arch.num_experts_per_token * arch.expert_params / tp
    moe_traffic = (
        moe_layers * arch.num_experts_per_token / ep * 2.0 * (matrices * eh + (matrices + 1) * expert_width)
    )
    kv_per_layer = arch.kv_bytes_per_token_per_layer(kv_precision)
    if not arch.is_mla:
        kv_per_layer = kv_per_layer * kv_heads_per_gpu / arch.num_kv_heads
    kv_per_layer /= groups
    full_head_dim, full_kv_heads, _ = arch.full_geometry
    kv_full_layer = kv_per_layer
    if arch.full_layers_own_geometry and not arch.is_mla:  # Gemma 4's global layers
        kv_full_layer = (
            arch.full_kv_bytes_per_token_per_layer(kv_precision)
            * _kv_heads_per_gpu(full_kv_heads, attn_tp)
            / full_kv_heads
            / groups
        )
    full_layers = arch.attention_kinds.count("full") * frac
    windowed_layers = arch.attention_kinds.count("sliding") * frac
    heads_per_gpu = arch.num_attention_heads / attn_tp
    v_dim = arch.v_head_dim if arch.is_mla else arch.head_dim
    flops_per_pair_layer = 2 * heads_per_gpu * (arch.q_head_dim + v_dim) / groups
    full_pair_layer = (
        4 * heads_per_gpu * full_head_dim / groups if arch.global_head_dim else flops_per_pair_layer
    )
    mla_decode_pair = (
        2 * heads_per_gpu * (2 * (arch.kv_lora_rank or 0) + arch.qk_rope_head_dim) / groups
        if arch.is_mla
        else 0.0
    )
    sparse: dict[str, Any] = {}
    if arch.sparse_attention:
        # DeepSeek sparse attention: every token's latent and indexer keys are stored; the indexer scores all of
        # a query's context (its FP8 logits, every head on every GPU of the group) and the MLA, in its absorbed
        # (MQA) form for prompts as for decodes, attends the index_topk picks only: the windowed terms at a
        # window of index_topk, with no windowed cache
        index_bytes = arch.index_cache_bytes_per_token_per_layer() / groups
        index_pair = 2 * arch.index_num_heads * arch.index_head_dim / INDEXER_FP8_SPEEDUP / groups
        sparse = {
            "window": arch.index_topk,
            "kv_read_bytes_per_token_full": index_bytes * full_layers,
            "kv_read_bytes_per_token_windowed": (kv_per_layer - index_bytes) * full_layers,
            "attention_flops_per_pair_full": index_pair * full_layers,
            "attention_flops_per_pair_decode": index_pair * full_layers,
            "attention_flops_per_pair_windowed": mla_decode_pair * full_layers,
            "attention_kernels": round(2 * full_layers),
        }
    if arch.block_sparse_attention:
        sparse = _block_sparse_costs(
            arch, kv_precision, frac, groups, kv_per_layer, flops_per_pair_layer, kv_heads_per_gpu
        )
    if arch.compressed_attention:
        sparse = compressed_attention_costs(arch, kv_precision, frac, groups, heads_per_gpu)
    # a query/key norm over all heads of a layer: each token's sums of squares all-reduced over the attention
    # group, beside a reduction kernel of its own (vLLM's MiniMaxText01RMSNormTP.forward_qk, SGLang's
    # MiniMaxM2RMSNormTP: one all-reduce for queries and keys together)
    norm_calls = math.ceil(arch.num_attention_layers * frac) if arch.qk_norm_per_layer and attn_tp > 1 else 0
    if groups > 1:
        # attention and dense MLP outputs are all-reduced inside a group; the MoE layers exchange tokens
        # between groups (roofline.exchange_seconds_per_token): a token goes out 8-bit where the experts
        # are 8-bit or narrower (as DeepEP dispatches) and comes back 16-bit
        mixers = (arch.num_layers - arch.attention_kinds.count("none")) * frac
        allreduce_calls = round(mixers + dense_layers) if attn_tp > 1 else 0
        dispatch_b = 1.0 if expert_b <= 1.0 else 2.0
        exchange = eh * (dispatch_b + 2.0) * moe_layers
        exchange_calls = 2 * moe_layers
    else:
        # one after each residual block's mixer or MLP (Nemotron-H's blocks hold one of them)
        allreduce_calls = round(arch.num_blocks * frac) if tp > 1 else 0
        exchange, exchange_calls = 0.0, 0
    costs = ShardCosts(
        tp=tp,
        pp=pp,
        layers=layers_per_stage,
        dense_weight_bytes=dense_weight_bytes,
        lm_head_bytes=lm_head_bytes,
        expert_bytes=expert_bytes,
        moe_layers=moe_layers,
        num_experts=arch.num_experts,
        experts_per_token=arch.num_experts_per_token,
        gemm_flops_per_token=2.0 * gemm_params,
        dense_gemm_flops_per_token=2.0 * dense_gemm_params,
        wide_gemm_flops_per_token=2.0 * dense_gemm_params * unquantized_share(arch, precision),
        router_flops_per_token=2.0 * router / groups,
        expert_flops_per_assignment=2.0 * arch.expert_params / moe_tp,
        moe_traffic_bytes_per_token=moe_traffic,
        expert_width=expert_width,
        expert_hidden=eh,
        expert_value_bytes=expert_b,
        lm_head_flops_per_token=2.0 * arch.vocab_size * h / tp,
        kv_bytes_per_token_full=kv_full_layer * full_layers,
        kv_bytes_per_token_windowed=kv_per_layer * windowed_layers,
        window=arch.sliding_window or 0,
        attention_flops_per_pair_full=full_pair_layer * full_layers,
        attention_flops_per_pair_decode=(
            mla_decode_pair * full_layers if arch.is_mla else full_pair_layer * full_layers
        ),
        attention_flops_per_pair_windowed=flops_per_pair_layer * windowed_layers,
        attention_heads=heads_per_gpu,
        query_heads_per_kv_head=1.0 if arch.is_mla else heads_per_gpu / kv_heads_per_gpu,
        # the SSM state in the type the checkpoint declares, where it does (vLLM's Qwen3.5 config hook and SGLang
        # read it), else the activations' 16-bit type
        state_bytes_per_sequence=arch.mamba_state_bytes_per_sequence(ssm_precision=arch.mamba_ssm_dtype)
        * frac
        / attn_tp
        / groups,
        recurrent_flops_per_token=arch.mamba_flops_per_token() * frac / tp,
        scan_kind=arch.linear_attention_kind if arch.num_linear_layers else "",
        scan_layers=arch.num_linear_layers * frac,
        scan_value_heads=arch.linear_num_value_heads / tp,
        scan_recurrent_flops_per_token=arch.linear_flops_per_token() * frac / tp,
        allreduce_bytes_per_token=h * 2.0 / groups if allreduce_calls else 0.0,
        allreduce_calls=allreduce_calls,
        norm_allreduce_calls=norm_calls,
        gemm_kernels=round(kernels[0] * frac),
        small_kernels=round(kernels[1] * frac) + norm_calls,
        quantized_linears=round(quantized_linears(arch) * frac),
        prefill_extra_kernels=round(
            (
                arch.num_linear_layers * PREFILL_SCAN_KERNELS["linear"]
                + arch.num_mamba_layers * PREFILL_SCAN_KERNELS["mamba"]
            )
            * frac
        ),
        attention_kernels=round(full_layers + windowed_layers),
        # norms, residual adds, rope, activations (16-bit), and the hyper-connections' traffic where the model has them
        elementwise_bytes_per_token=arch.num_blocks
        / 2
        * frac
        * (
            2.0 * (10 * h / groups + 3 * mlp_width / tp)
            + (HYPER_CONNECTION_BYTES * arch.hc_mult * h / groups if arch.hc_mult > 1 else 0.0)
        )
        # attention residuals: the earlier blocks' 16-bit outputs each layer reads back (Kimi K3)
        + 2.0 * arch.residual_mix_values_per_token * frac / groups
        # compressed attention's passes over its wide query heads (DeepSeek-V4)
        + compressed_head_bytes(arch, attn_tp) * frac / groups,
        resident_weight_bytes=resident,
        activation_bytes_per_token=h * 2.0 / groups,
        ep=ep,
        dp_attention=groups,
        redundant_experts=redundant_experts,
        moe_exchange_token_bytes=exchange,
        moe_exchange_calls=exchange_calls,
        shared_expert_kernels=(moe_layers * shared_gemm, moe_layers * shared_small),
    )
    return attrs.evolve(costs, **sparse) if sparse else costs


@attrs.frozen
class MemoryPlan:
    """Per-GPU memory budget (GiB) and the KV-cache capacity it leaves."""

    #: what the framework sees (``torch.cuda.mem_get_info`` total) and the share the engine may use
    total_gib: float
    usable_gib: float
    gpu_memory_utilization: float
    weights_gib: float
    #: the profile run's torch peak (forward pass at the token budget, the sampler's logits)
    activations_gib: float
    #: memory outside torch's allocator (NCCL, cuBLAS) and CUDA graphs; ``overhead_gib`` is what of
    #: them the KV budget had to leave aside
    non_torch_gib: float
    cuda_graph_gib: float
    overhead_gib: float
    kv_capacity_gib: float
    fits: bool
    reason: str | None


def sglang_fraction(
    gpu: GPUSpec,
    costs: ShardCosts,
    profile: EngineProfile,
    chunk: int,
    mla: bool,
    *,
    data_parallel_padding: bool = False,
) -> float:
    """SGLang's default ``mem_fraction_static``: the GPU less a reserve, in MiB, for a prompt chunk's
    activations (``chunk``: the server's ``chunked_prefill_size``, before data-parallel attention divides it),
    the decode graphs' buffers (``cuda_graph_max_bs``), large layouts and the piecewise prompt graphs where
    they are on (1.5 GiB for MLA models, 8 MiB a captured size otherwise); at least 10 GiB on GPUs above
    60 GiB (``_handle_gpu_memory_settings`` in python/sglang/srt/server_args.py of the 0.5.12 wheel).

    ``data_parallel_padding`` adds what the same function reserves for data-parallel attention,
    ``cuda_graph_max_bs x groups x 3`` MiB (4.5 past 300 graphed sequences; 0.5.23's
    ``arg_groups/memory_hook.py`` keeps it): SGLang's own default. Plans budget without it and state
    their fraction (:func:`memory_plan`): at the groups of a multi-node layout it exceeds the GPU (72
    groups of 512 sequences: 162 GiB), and published data-parallel deployments state
    ``--mem-fraction-static`` instead (LMSYS's 72-group H100 decode: 0.835).
    """
    total_mib = gpu.memory_gib * 1024
    graph_bs = profile.graph_max_tokens
    reserved = 512 + max(chunk, 2048) * 1.5 + graph_bs * 2 + costs.tp * costs.pp / 8 * 1024
    groups = costs.dp_attention
    if data_parallel_padding and groups > 1:
        reserved += graph_bs * groups * 3 + (graph_bs * groups * 1.5 if graph_bs > 300 else 0.0)
    if profile.prefill_graph_max_tokens:
        reserved += 1.5 * 1024 if mla else len(sglang_piecewise_sizes(profile.prefill_graph_max_tokens)) * 8
    if gpu.memory_gib > 60:
        reserved = max(reserved, 10240)
    return round((total_mib - reserved) / total_mib, 3)


def rope_cache_bytes(arch: ModelArchitecture, value_bytes: float) -> float:
    """The rotary embedding's cos/sin table one GPU holds: ``max_position_embeddings x rotary dim`` values of
    ``value_bytes`` each, one table shared by every RoPE layer, whole on every rank (not split by tp or pp).

    vLLM builds it when it loads the model (``RotaryEmbedding``'s ``cos_sin_cache`` buffer, sized by the
    ``max_position`` the model passes, its config's ``max_position_embeddings``, not by ``max_model_len``;
    ``get_rope`` memoises one per configuration: ``rotary_embedding/base.py`` and ``__init__.py``, v0.19.0)
    and counts it in its "Model loading took" figure; SGLang's rotary embedding, a port of vLLM's, keeps the
    same buffer. Most models' table is tens of MiB; Llama-4-Scout's 10,485,760 positions make it 2.5 GiB.
    TensorRT-LLM's PyTorch backend keeps the same table in float32 (``value_bytes`` 4). Models without
    attention hold none; the rotary dimension is :attr:`ModelArchitecture.rotary_dim` (the rotated part of a
    head: all of it, a ``partial_rotary_factor`` of it, or MLA's rope part).
    """
    positions = arch.max_position_embeddings or 0
    if not positions or not arch.num_attention_layers:
        return 0.0
    return float(positions * arch.rotary_dim * value_bytes)


def _forward_peak_bytes(arch: ModelArchitecture, costs: ShardCosts, tokens: int, wide: float) -> float:
    """Activations a forward pass over ``tokens`` holds at its peak (the MLP or attention block), bytes."""
    tp = costs.tp // costs.dp_attention
    attention = (2 * arch.num_attention_heads + 2 * arch.num_kv_heads) * arch.head_dim / tp
    mlp = (
        3
        * max(
            arch.intermediate_size if "dense" in arch.mlp_kinds else 0, arch.shared_expert_intermediate_size
        )
        / tp
    )
    return tokens * wide * (2 * arch.hidden_size + max(attention, mlp))


def _moe_workspace_bytes(arch: ModelArchitecture, costs: ShardCosts, tokens: int, precision: str) -> float:
    """The fused-MoE kernels' cached intermediates at ``tokens`` tokens (gate/up, activation, down), bytes.

    vLLM keeps them allocated through the profile run; the MXFP4 path allocates per call instead.
    """
    if not arch.is_moe or normalize_precision(precision) == "mxfp4":
        return 0.0
    return tokens * arch.num_experts_per_token * 2.0 * (3 * costs.expert_width + arch.hidden_size)


def memory_plan(
    arch: ModelArchitecture,
    gpu: GPUSpec,
    costs: ShardCosts,
    profile: EngineProfile,
    *,
    gpu_memory_utilization: float | None,
    max_num_batched_tokens: int,
    max_num_seqs: int,
    sequence_tokens: int,
    precision: str,
) -> MemoryPlan:
    """Budget one GPU's memory as the engine does and say whether one ``sequence_tokens`` sequence fits.

    vLLM: ``total x utilization - weights - profile-run peak - non-torch [- CUDA graphs, >= 0.21]``
    (see :class:`~config_explorer.engine.calibration.MemoryBudget`); SGLang: ``total x
    mem_fraction_static - weights`` (its default fraction leaves room for activations and graphs);
    TensorRT-LLM: ``utilization x`` what is free after weights and a warm-up pass.
    """
    util = gpu_memory_utilization
    if util is not None and not (isinstance(util, (int, float)) and 0 < util <= 1):
        raise InvalidArgumentError(f"gpu_memory_utilization must be in (0, 1], got {util!r}")
    tp = costs.tp
    total = gpu.visible_memory_gib
    wide = 4.0 if arch.native_precision == "fp32" or normalize_precision(precision) == "fp32" else 2.0
    weights = costs.resident_weight_bytes / GIB
    # built as the model loads, so counted with its weights
    rope_bytes = wide if profile.rope_table_value_bytes is None else profile.rope_table_value_bytes
    weights += rope_cache_bytes(arch, rope_bytes) / GIB
    forward = _forward_peak_bytes(arch, costs, max_num_batched_tokens, wide) / GIB
    workspace = _moe_workspace_bytes(arch, costs, max_num_batched_tokens, precision) / GIB
    # an engine told to run eagerly (vLLM's --enforce-eager) captures no graphs
    graphs = (
        CUDA_GRAPH_BASE_GIB + CUDA_GRAPH_PER_LAYER_GIB * costs.layers if profile.graph_max_tokens else 0.0
    )
    budget = profile.memory
    if budget is not None:  # vLLM
        util = budget.default_utilization if util is None else float(util)
        requests = min(max_num_seqs, max_num_batched_tokens)
        sampler = budget.sampler_base_gib + requests * arch.vocab_size * budget.sampler_bytes_per_logit / GIB
        activations = max(sampler, forward) + workspace
        non_torch = budget.non_torch_tp_gib if tp > 1 else budget.non_torch_gib
        overhead = non_torch + (graphs if budget.cuda_graphs_in_budget else 0.0)
        usable = total * util
        kv_capacity = usable - weights - activations - overhead
    elif profile.scheduler == "sglang":
        chunk = max_num_batched_tokens * costs.dp_attention  # the server's size, before it divides it
        util = sglang_fraction(gpu, costs, profile, chunk, arch.is_mla) if util is None else float(util)
        activations, non_torch, overhead = 0.0, 0.0, 0.0
        usable = total * util
        kv_capacity = usable - weights
    else:  # TensorRT-LLM: a share of what is free after the weights and a warm-up pass
        util = 0.9 if util is None else float(util)
        activations, non_torch = forward + workspace, profile.runtime_overhead_gib
        overhead = non_torch
        usable = total
        kv_capacity = (total - weights - activations - overhead) * util
    needed = sequence_kv_bytes(costs, sequence_tokens, profile.block_size) / GIB
    reason = None
    if weights > usable - overhead:
        reason = (
            f"weights need {weights:.1f} GiB per GPU at {precision} (tp={tp}, pp={costs.pp}) but only "
            f"{usable - overhead:.1f} GiB of the {gpu.name}'s {total:.2f} GiB are usable "
            f"at gpu_memory_utilization={util:g}"
        )
    elif kv_capacity <= 0:
        reason = (
            f"no memory is left for the KV cache: {weights:.1f} GiB of weights, {activations:.2f} GiB of "
            f"profiled activations and {overhead:.2f} GiB of runtime memory exceed the {usable:.1f} GiB usable "
            f"per GPU ({profile.name} refuses to start: raise gpu_memory_utilization, or use more GPUs)"
        )
    elif kv_capacity < needed:
        reason = (
            f"after {weights:.1f} GiB of weights and {activations + overhead:.1f} GiB of activations and "
            f"runtime, {kv_capacity:.2f} GiB is left for KV cache per GPU, less than the "
            f"{needed:.2f} GiB one {sequence_tokens}-token sequence needs ({profile.name} refuses to start "
            "with this max_model_len)"
        )
    return MemoryPlan(
        total_gib=total,
        usable_gib=usable,
        gpu_memory_utilization=util,
        weights_gib=weights,
        activations_gib=activations,
        non_torch_gib=non_torch,
        cuda_graph_gib=graphs,
        overhead_gib=overhead,
        kv_capacity_gib=max(kv_capacity, 0.0),
        fits=reason is None,
        reason=reason,
    )


#: what "unbounded" means for a sequence's length when its KV does not grow with context
UNBOUNDED_TOKENS = 10**9


def sequence_kv_bytes(costs: ShardCosts, tokens: int, block_size: int) -> float:
    """KV cache one sequence of ``tokens`` tokens takes on this GPU, in the whole blocks it is allocated in.

    The engine allocates the global-attention layers' KV in blocks of ``block_size`` tokens (vLLM
    checks ``max_model_len`` as ``cdiv(max_model_len, block_size)`` pages); the windowed layers' KV and
    the recurrent state, fixed per sequence, are counted in the same blocks, as the simulator takes
    them (:meth:`~config_explorer.engine.deployment.Deployment.scheduler_config`). A sequence that fits
    by this count can always be admitted by the simulated scheduler. With data-parallel attention the
    sequence lives in one attention group, whose GPUs hold all of its KV.
    """
    groups = costs.dp_attention
    fixed = (
        costs.kv_bytes_per_token_windowed * min(tokens, costs.window)
        + costs.state_bytes_per_sequence
        + costs.fixed_kv_bytes_per_sequence
    ) * groups
    if costs.kv_bytes_per_token_full <= 0:
        return fixed
    unit = block_size * costs.kv_bytes_per_token_full * groups
    return (math.ceil(tokens / block_size) + math.ceil(fixed / unit)) * unit


def sequence_capacity_tokens(costs: ShardCosts, kv_capacity_bytes: float, block_size: int) -> int:
    """The longest single sequence the KV cache holds (whole blocks), as vLLM checks ``max_model_len``.

    Windowed layers hold at most their window and recurrent layers a fixed state, so only the
    global-attention layers bound the length; a model without them is bounded by memory alone.
    Blocks are counted as :func:`sequence_kv_bytes` counts them.
    """
    groups = costs.dp_attention
    fixed = (
        costs.kv_bytes_per_token_windowed * costs.window
        + costs.state_bytes_per_sequence
        + costs.fixed_kv_bytes_per_sequence
    ) * groups
    if kv_capacity_bytes - fixed < 0:
        return 0
    if costs.kv_bytes_per_token_full <= 0:
        return UNBOUNDED_TOKENS
    unit = costs.kv_bytes_per_token_full * groups * block_size
    blocks = int(kv_capacity_bytes // unit) - math.ceil(fixed / unit)
    return min(max(blocks, 0) * block_size, UNBOUNDED_TOKENS)

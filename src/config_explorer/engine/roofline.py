"""Time of one serving step on one GPU: a roofline over exactly what that step contains.

A step carries ``D`` decoding sequences (one token each, reading their whole KV cache) and some
prompt chunks (chunked prefill), ``T`` tokens in all with the decodes. Its time is the sum of

    dense GEMMs:  softmax(weight bytes / achievable bandwidth, FLOPs / achievable FLOP/s)
    MoE experts:  per MoE layer, the grouped GEMMs over the experts this step's tokens touch,
                  at the efficiency their shapes reach (tokens per expert, the shard's width),
                  plus the routing traffic (dispatch, activation, combine) of every token
    attention:    softmax(KV bytes read / bandwidth, query-key FLOPs / FLOP/s), decode and prefill
                  chunks in one kernel as vLLM V1 runs them; recurrent (Mamba) state and scan
    comm:         tensor-parallel all-reduces: calls * (latency + ring factor * bytes / link bandwidth)
    elementwise:  norms, residual adds, rope and the MLP activation: tokens * width bytes
    overhead:     a fixed cost per kernel, and the engine's host time per step and per sequence

``softmax`` is a smooth maximum ((a^4 + b^4)^(1/4)): the measured GEMMs of shared/data/kernels
sit about 20% above max(a, b) where the two are equal, and meet it elsewhere.

:class:`StepCost` holds every per-deployment constant, so timing one step is a few dozen
floating-point operations: the simulator calls it once per scheduler step.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import statistics
from collections.abc import Sequence

import attrs

from config_explorer.catalogs.gpus import GPUSpec
from config_explorer.engine.attention import ROW_TILES, chunk_tiles, effective_pairs, exact_pairs, unit_pairs
from config_explorer.engine.calibration import (
    EXCHANGE_US,
    GDN_PREFILL,
    KDA_PREFILL,
    MARLIN_MOE_BY_FAMILY,
    MLA_DECODE_COMPUTE,
    MOE_HALF_TOKENS,
    MOE_TILE_GB_S,
    MOE_TILE_N,
    NCCL_GATHER_BY_FAMILY,
    PCIE_ALLREDUCE_US,
    PIPELINE_P2P_US,
    SCAN_PREFILL_SLOWDOWN,
    EngineProfile,
    FamilyEfficiency,
    attention_share_scale,
    gdn_prefill_kernel,
    gemm_share_scale,
    trtllm_gen_moe_layer_us,
)
from config_explorer.engine.layout import EXPERT_PATH_KERNELS, ShardCosts

__all__ = [
    "Rates",
    "StepCost",
    "StepTime",
    "exchange_seconds_per_token",
    "exchange_sends",
    "expected_distinct_experts",
    "expected_max_normal",
    "expert_popularity",
    "gathers_tokens",
    "issued_kernels",
    "rates_for",
    "soft_max",
]


def soft_max(a: float, b: float) -> float:
    """``(a^4 + b^4)^(1/4)`` for non-negative ``a``, ``b``; scaled by the larger when the fourth powers overflow."""
    try:
        return math.sqrt(math.sqrt(a**4 + b**4))
    except OverflowError:
        top = max(a, b)
        return top * math.sqrt(math.sqrt((a / top) ** 4 + (b / top) ** 4))


#: equal-sized groups of experts a skewed popularity is summed over (:func:`expert_popularity`)
POPULARITY_BINS = 16


@functools.cache
def expert_popularity(experts: int, top_k: int, cv: float) -> tuple[float, ...]:
    """The chance one token routes to an expert, for each of :data:`POPULARITY_BINS` equal-sized groups of ``experts``
    ranked by popularity, where the popularity is log-normal with mean 1 and coefficient of variation ``cv``: a group
    between the normal quantiles a and b holds mean popularity ``bins x (Phi(b - s) - Phi(a - s))``, s the
    log-normal's sigma, so the chances sum to ``top_k`` over the experts (each capped at 1). Uniform routing
    (``cv`` 0) is one group of every expert at ``top_k / experts``."""
    if cv <= 0.0:
        return (top_k / experts,)
    normal = statistics.NormalDist()
    sigma = math.sqrt(math.log1p(cv * cv))
    bins = POPULARITY_BINS
    shifted = [0.0, *(normal.cdf(normal.inv_cdf(j / bins) - sigma) for j in range(1, bins)), 1.0]
    share = top_k / experts
    return tuple(min(share * bins * (high - low), 1.0) for low, high in itertools.pairwise(shifted))


def expected_distinct_experts(tokens: float, experts: int, top_k: int, popularity_cv: float = 0.0) -> float:
    """Expected number of distinct experts ``tokens`` tokens route to, each choosing ``top_k`` of ``experts``.

    Each expert is missed by one token with probability (1 - q), q its chance of being chosen; with uniform
    routing (``popularity_cv`` 0) q = k/E and E * (1 - (1 - k/E)^N) experts are touched and their weights must be
    read. With the experts' popularity spread at coefficient of variation ``popularity_cv``
    (:func:`expert_popularity`) the popular ones are shared by more of the tokens and fewer are touched.
    """
    if experts == 0 or tokens <= 0:
        return 0.0
    return touched_experts(tokens, experts, expert_popularity(experts, top_k, popularity_cv))


def touched_experts(tokens: float, experts: int, chances: tuple[float, ...]) -> float:
    """The distinct experts ``tokens`` tokens touch among ``experts`` split into equal groups whose experts each
    route a token at ``chances`` (:func:`expert_popularity`)."""
    return experts / len(chances) * sum(1.0 - math.pow(1.0 - q, tokens) for q in chances)


@functools.cache
def expected_max_normal(n: int) -> float:
    """The expected largest of ``n`` independent standard normal draws (0 for one draw): 0.564 for two, 1.029
    for four, 1.424 for eight, 2.070 for 32; by numerical integration of ``n x phi(x) Phi(x)^(n-1)``."""
    if n <= 1:
        return 0.0
    normal = statistics.NormalDist()
    step, total = 0.01, 0.0
    for i in range(-1000, 1001):
        x = i * step
        total += x * n * normal.pdf(x) * normal.cdf(x) ** (n - 1)
    return total * step


@attrs.frozen
class Rates:
    """Achievable rates of one GPU for one configuration (bytes/s and FLOP/s)."""

    gemm_bandwidth: float
    gemm_flops: float
    attention_bandwidth: float
    attention_flops: float
    link_bytes_s: float
    allreduce_latency_s: float
    gemm_kernel_s: float
    small_kernel_s: float
    peak_gemm_flops: float
    peak_bandwidth: float
    #: fixed cost of one decode-attention kernel, seconds
    attention_kernel_s: float = 0.0
    #: multiprocessors prefill attention's work units spread over (0: prefill attention charged by its exact
    #: pairs at ``attention_flops``, with no tiles)
    attention_slots: int = 0
    #: FLOP/s of prefill attention's tiles on the engine's own kernels (0: that of ``attention_flops``) and the
    #: fixed part of a row block, in tiles (:func:`~config_explorer.engine.calibration.prefill_attention_tiles`)
    prefill_attention_flops: float = 0.0
    attention_row_tiles: float = ROW_TILES
    #: FLOP/s of decode attention (MLA's absorbed kernels run nearer peak than prefill attention);
    #: 0: that of ``attention_flops``
    attention_decode_flops: float = 0.0
    #: the linear-attention prompt scans' time over their Blackwell fit (:data:`SCAN_PREFILL_SLOWDOWN` before it)
    scan_slowdown: float = 1.0
    #: MoE layer: fixed time beyond its kernels' launches (the quantized paths' extra kernels), seconds;
    #: with ``moe_fused_path``, the fixed time of the whole expert path, its launches included
    moe_layer_s: float = 0.0
    #: whether the expert path runs on fused MoE kernels whose launches ``moe_layer_s`` holds (FlashInfer's
    #: TensorRT-LLM-gen MoE on Blackwell), so its kernels are not charged one by one
    moe_fused_path: bool = False
    #: a MoE layer's helper kernels that only a step whose MoE layers take more than ``moe_helper_skip_tokens`` tokens
    #: runs (vLLM's CUTLASS FP8 MoE path: :func:`~config_explorer.engine.calibration.vllm_cutlass_fp8_moe_helpers`),
    #: seconds
    moe_helper_s: float = 0.0
    moe_helper_skip_tokens: float = 0.0
    #: a MoE layer's routing beyond the one top-k kernel its expert path counts (vLLM's grouped top-k kernels:
    #: :func:`~config_explorer.engine.calibration.vllm_grouped_topk_us`), seconds; charged with the step's fixed
    #: kernel time, outside the expert path's terms (the generic path those terms are fitted against has none)
    moe_routing_s: float = 0.0
    #: the expert GEMMs' time over the generic streaming-and-compute term (TensorRT-LLM's CUTLASS MoE on NVFP4
    #: experts on Blackwell, by the experts' width: :func:`~config_explorer.engine.calibration.
    #: trtllm_cutlass_moe_slowdown`); a step's compute and memory parts (:class:`StepTime`) stay the generic ones,
    #: its total carries the factor
    moe_slowdown: float = 1.0
    #: MoE expert shard width (intermediate / tp) at which grouped GEMMs reach half their dense efficiency
    moe_half_width: float = 0.0
    #: fixed time each MLA layer adds to a step that decodes, beyond the kernels counted (vLLM on Hopper:
    #: :func:`~config_explorer.engine.calibration.vllm_mla_layer_extra_us`), seconds
    mla_layer_extra_s: float = 0.0
    #: time a step whose attention runs MLA in the absorbed form spends converting every layer's whole KV pool
    #: to the query's 16-bit type (SGLang's FA3 and FlashInfer MLA backends on an FP8 KV cache:
    #: :func:`~config_explorer.engine.calibration.sglang_kv_pool_conversion_s`), seconds
    kv_pool_conversion_s: float = 0.0
    #: the windowed layers' decode reads over what their grouped-query kernel would read (1: the same): TensorRT-LLM
    #: off Blackwell decodes chunked-attention layers on its per-query-head kernel
    #: (:func:`~config_explorer.engine.calibration.trtllm_chunked_decode_read_factor`)
    windowed_decode_read_factor: float = 1.0
    #: bandwidth of the grouped expert GEMMs streaming the experts, bytes/s (0: that of ``gemm_bandwidth``)
    moe_bandwidth: float = 0.0
    #: FLOP/s of the expert GEMMs where they run on another kernel than the dense GEMMs (vLLM's Marlin MoE
    #: for weight-only 4-bit experts on Hopper), before the shard-width factor; 0: that of ``gemm_flops``
    moe_gemm_flops: float = 0.0
    #: bandwidth of a send between pipeline stages (the scale-up link, or the network when one replica's
    #: ``tp x pp`` GPUs span more than one scale-up domain), bytes/s
    pipeline_link_bytes_s: float = 0.0
    #: the MoE token exchange between attention groups: per-GPU bandwidth of the scale-up link and of
    #: the scale-out network, GPUs per scale-up domain, and the fixed cost of one dispatch or combine (s)
    scale_up_bytes_s: float = 0.0
    scale_out_bytes_s: float = 0.0
    scale_up_domain: int = 1
    exchange_latency_s: float = 0.0
    #: the NCCL all-gather and reduce-scatter of gathered tokens (see :func:`exchange_seconds_per_token`): the fixed
    #: cost of one (s), and its share of the link rate over the all-reduce's (1: the link as the all-reduce has it)
    gather_latency_s: float = 0.0
    gather_link_scale: float = 1.0
    #: the busiest expert-parallel rank's load over the mean (1 when the experts are not split)
    expert_imbalance: float = 1.0
    #: the coefficient of variation of the experts' popularity a step's tokens route by (0: uniform routing; see
    #: :func:`expected_distinct_experts`)
    expert_popularity_cv: float = 0.0
    #: FLOP/s of GEMMs on 16-bit weights (the lm_head, projections a checkpoint leaves unquantized);
    #: 0: that of ``gemm_flops``
    wide_gemm_flops: float = 0.0
    #: the MoE routers where the engine runs them in FP32 on the CUDA cores (:func:`~config_explorer.engine.calibration.
    #: fp32_router`): their GEMMs' FLOP/s, and what each adds to a MoE layer at the least beyond a 16-bit router, at one
    #: token a GPU and at more (:data:`~config_explorer.engine.calibration.FP32_ROUTER_DECODE_US`), seconds; 0: not
    #: charged
    router_flops: float = 0.0
    router_one_token_s: float = 0.0
    router_batch_s: float = 0.0
    #: two-batch overlap (SGLang ``--enable-two-batch-overlap``, vLLM ``--enable-dbo``): each step runs
    #: as two micro-batches, one's communication under the other's kernels
    two_batch_overlap: bool = False
    #: the quantized linear layers' own kernel where it is not the family's GEMM (vLLM's CUTLASS blockwise FP8
    #: kernel without DeepGEMM: :func:`~config_explorer.engine.calibration.runs_cutlass_block_fp8`): its time per
    #: layer beyond a GEMM's launch (with its pad and quantization kernels), bytes/s at small batches and FLOP/s
    #: at large ones; 0: the family's GEMM rates. ``quantized_linear_s`` alone (no rates) is a per-layer kernel
    #: beside the family's GEMM (W4A4 MXFP4 quantizing each layer's input:
    #: :func:`~config_explorer.engine.calibration.runs_native_mxfp4_linears`). ``quantized_linear_rows``: the
    #: rows such a kernel computes at least, a step of ``n`` tokens running its GEMMs as ``n`` + that many rows
    #: at ``quantized_linear_flops`` (AITER's block-scaled FP8 GEMMs, whose few hundred output tiles leave most
    #: compute units idle: :func:`~config_explorer.engine.calibration.runs_aiter_block_fp8`)
    quantized_linear_s: float = 0.0
    quantized_linear_bandwidth: float = 0.0
    quantized_linear_flops: float = 0.0
    quantized_linear_rows: float = 0.0
    #: the decode batch sizes each attention group replays in CUDA graphs where the MoE layers take every
    #: group's rows padded to the largest group's graph size, padding routed like tokens (SGLang's
    #: data-parallel attention with the experts not split:
    #: :func:`~config_explorer.engine.calibration.sglang_gathered_moe_sizes`); (): the step's own tokens
    gathered_moe_sizes: tuple[int, ...] = ()
    #: whether each expert-parallel rank's MoE kernels run over every routed assignment of the step, the
    #: other ranks' experts masked, so the layer's activation traffic is not split over the ranks (vLLM's and
    #: SGLang's Triton and Marlin MoE without data-parallel attention:
    #: :func:`~config_explorer.engine.calibration.masks_remote_experts`)
    moe_masked_ep: bool = False


def rates_for(
    gpu: GPUSpec,
    eff: FamilyEfficiency,
    weight_precision: str,
    tp: int,
    pp: int = 1,
    expert_imbalance: float = 1.0,
    dp_attention: int = 1,
    two_batch_overlap: bool = False,
    mla: bool = False,
    marlin_moe: bool = False,
    trtllm_gen_moe: bool = False,
    moe_slowdown: float = 1.0,
    moe_half_width: float | None = None,
    mla_layer_extra_us: float = 0.0,
    prefill_tiles: tuple[float, float] | None = None,
    moe_masked_ep: bool = False,
    marlin_compute_scale: float = 1.0,
    moe_block_scaled: bool = True,
    moe_stream_cap: float = 0.0,
    allreduce_scale: float = 1.0,
    block_scaled: bool = False,
) -> tuple[Rates, str]:
    """Achievable rates for GEMMs on ``weight_precision`` weights, and the tensor mode they run in.

    ``expert_imbalance`` is the busiest expert-parallel rank's load over the mean (used when experts are
    split over ranks); all-reduces run inside attention groups of ``tp / dp_attention`` GPUs.
    ``marlin_moe``: the experts run on vLLM's Marlin MoE kernel (see :func:`runs_marlin_moe`);
    ``trtllm_gen_moe``: on FlashInfer's TensorRT-LLM-gen MoE kernels (see :func:`runs_trtllm_gen_moe`);
    ``moe_slowdown``: the expert GEMMs' time over the generic term (see :func:`trtllm_cutlass_moe_slowdown`);
    ``moe_half_width``: the expert shard width at which they reach half their rate, where the engine's kernel
    needs another than the family's (see :func:`trtllm_block_fp8_moe_half_width`);
    ``mla_layer_extra_us``: fixed time per MLA layer of a decoding step (see :func:`vllm_mla_layer_extra_us`);
    ``moe_masked_ep``: each expert-parallel rank's MoE kernels cover every routed assignment (see
    :func:`masks_remote_experts`);
    ``marlin_compute_scale``: the expert kernel's compute rate over Marlin's, where ``marlin_moe`` stands for a kernel of
    Marlin's family (see :data:`SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE`);
    ``moe_block_scaled``: FP8 experts carry one scale per block, not per tensor (the fused path's fixed time, see
    :func:`trtllm_gen_moe_layer_us`);
    ``moe_stream_cap``: the most bytes a second the engine's expert kernel streams the experts at, where the SMs and
    not the memory bound it (0: none; see :func:`~config_explorer.engine.calibration.triton_mxfp4_stream_cap`);
    ``prefill_tiles``: the engine's prompt-attention (tile rate, row-block tiles) (see
    :func:`prefill_attention_tiles`; None: the family's rate and :data:`~config_explorer.engine.attention.ROW_TILES`);
    ``allreduce_scale``: the engine's all-reduce fixed time over the family's (see
    :func:`~config_explorer.engine.calibration.custom_allreduce_scale`);
    ``block_scaled``: the checkpoint's FP8 weights carry one scale per block (a GEMM on them runs at
    ``eff.gemm_compute_8bit_block`` where the GPU's kernels have one).
    """
    peak, mode = gpu.gemm_tflops(weight_precision)
    # (Blackwell Ultra's GEMMs reach another share of their datasheet peaks than the family's)
    fraction = eff.gemm_compute(mode, block_scaled=block_scaled) * gemm_share_scale(
        gpu.name, gpu.architecture, mode
    )
    marlin = MARLIN_MOE_BY_FAMILY.get(gpu.family, MARLIN_MOE_BY_FAMILY["hopper"])
    sixteen, _ = gpu.gemm_tflops("bf16")
    wide_gemm_flops = (
        sixteen * 1e12 * eff.gemm_compute_16bit * gemm_share_scale(gpu.name, gpu.architecture, "bf16")
    )
    # prompt attention at the engine's own kernels' rate, where measured (Blackwell Ultra's runs faster than its
    # 16-bit peak says); decode attention and recurrent layers keep the family's
    prompt_rate = prefill_tiles[0] if prefill_tiles else eff.attention_compute
    prompt_attention = attention_share_scale(gpu.architecture)
    link = gpu.link_bandwidth_bytes_s * eff.link_efficiency
    latency = eff.allreduce_us * allreduce_scale * 1e-6
    if not gpu.has_nvlink_class_link:
        latency += PCIE_ALLREDUCE_US * 1e-6
    scale_up_link = link
    if tp // dp_attention > gpu.scale_up_domain:
        link = min(link, gpu.scale_out_bytes_s * eff.link_efficiency)
        latency += PCIE_ALLREDUCE_US * 1e-6
    crosses = tp * pp > gpu.scale_up_domain
    scale_out = gpu.scale_out_bytes_s * eff.link_efficiency
    stream = gpu.memory_bandwidth_bytes_s * (eff.moe_bandwidth or eff.gemm_bandwidth)
    # NCCL's measured all-gather and reduce-scatter where the family has them, else the exchange's own constants
    gather = NCCL_GATHER_BY_FAMILY.get(gpu.family, (EXCHANGE_US, eff.link_efficiency))
    pipeline_link = min(scale_up_link, scale_out) if crosses else scale_up_link

    return (
        Rates(
            gemm_bandwidth=gpu.memory_bandwidth_bytes_s * eff.gemm_bandwidth,
            moe_bandwidth=min(stream, moe_stream_cap) if moe_stream_cap else stream,
            gemm_flops=peak * 1e12 * fraction,
            attention_bandwidth=gpu.memory_bandwidth_bytes_s * eff.attention_bandwidth,
            attention_flops=sixteen * 1e12 * eff.attention_compute,
            attention_slots=eff.attention_slots,
            prefill_attention_flops=sixteen * 1e12 * prompt_rate * prompt_attention
            if prefill_tiles or prompt_attention != 1.0
            else 0.0,
            attention_row_tiles=prefill_tiles[1] if prefill_tiles else ROW_TILES,
            attention_decode_flops=sixteen * 1e12 * (MLA_DECODE_COMPUTE if mla else eff.attention_compute),
            link_bytes_s=link,
            allreduce_latency_s=latency,
            gemm_kernel_s=eff.gemm_kernel_us * 1e-6,
            small_kernel_s=eff.small_kernel_us * 1e-6,
            peak_gemm_flops=peak * 1e12,
            peak_bandwidth=gpu.memory_bandwidth_bytes_s,
            moe_layer_s=(
                trtllm_gen_moe_layer_us(weight_precision, block_scaled=moe_block_scaled)
                if trtllm_gen_moe
                else eff.moe_layer_us(weight_precision)
            )
            * 1e-6,
            moe_fused_path=trtllm_gen_moe,
            moe_slowdown=moe_slowdown,
            attention_kernel_s=eff.attention_kernel_us * 1e-6,
            moe_half_width=(
                marlin[1]
                if marlin_moe
                else moe_half_width
                if moe_half_width is not None
                else eff.moe_half_width(mode)
            ),
            moe_gemm_flops=sixteen * 1e12 * marlin[0] * marlin_compute_scale if marlin_moe else 0.0,
            mla_layer_extra_s=mla_layer_extra_us * 1e-6,
            pipeline_link_bytes_s=pipeline_link,
            scale_up_bytes_s=scale_up_link,
            scale_out_bytes_s=min(scale_up_link, scale_out),
            scale_up_domain=gpu.scale_up_domain,
            exchange_latency_s=EXCHANGE_US * 1e-6,
            gather_latency_s=gather[0] * 1e-6,
            gather_link_scale=gather[1] / eff.link_efficiency,
            expert_imbalance=expert_imbalance,
            two_batch_overlap=two_batch_overlap,
            moe_masked_ep=moe_masked_ep,
            wide_gemm_flops=wide_gemm_flops,
            scan_slowdown=1.0 if gpu.family == "blackwell" else SCAN_PREFILL_SLOWDOWN,
        ),
        mode,
    )


def exchange_sends(ep: int, domain: int, top_k: int, *, per_expert: bool) -> tuple[float, float]:
    """(sends inside the scale-up domain, sends across it) one token makes to reach its ``top_k``
    experts over ``ep`` ranks filling domains of ``domain`` GPUs, uniform routing.

    ``per_expert``: one send per remote expert (DeepEP's low-latency kernels, which decode uses);
    otherwise one send per remote rank in the token's own domain and one per remote domain, forwarded
    inside it (DeepEP's normal kernels, which prefill uses).
    """
    local = min(domain, ep)
    if per_expert:
        return top_k * (local - 1) / ep, top_k * (ep - local) / ep
    domains = ep / local
    inside = (local - 1) * (1.0 - (1.0 - 1.0 / ep) ** top_k)
    across = (domains - 1) * (1.0 - (1.0 - 1.0 / domains) ** top_k) if domains > 1 else 0.0
    return inside, across


def exchange_seconds_per_token(costs: ShardCosts, rates: Rates, *, decode: bool) -> float:
    """Seconds of one GPU's link time per token of a replica's step spent exchanging MoE tokens
    between attention groups (0 without data-parallel attention).

    With experts split over ``ep`` ranks each GPU sends its ``1 / tp`` share of the step's tokens to
    their experts' ranks and takes the results back, over the scale-up link inside a domain and over
    the network across domains, the busier of the two setting the time (the busiest rank gets
    ``expert_imbalance`` times the mean). With the experts split over all GPUs (``ep = 1``) each GPU
    instead gathers every other group's tokens and reduce-scatters the results (16-bit both ways), as it
    does whatever ``ep`` where the engine's MoE layers gather (``moe_exchange_gathers``: then in the bytes
    ``moe_exchange_token_bytes`` names).
    """
    c, r = costs, rates
    if not c.moe_exchange_calls:
        return 0.0
    crosses = c.tp > r.scale_up_domain
    if gathers_tokens(c):
        # NCCL's all-gather and reduce-scatter, at their measured share of the link
        link = (r.scale_out_bytes_s if crosses else r.scale_up_bytes_s) * r.gather_link_scale
        # 16-bit hidden states gathered and scattered back, unless the engine says what it gathers
        gathered = (
            c.moe_exchange_token_bytes if c.moe_exchange_gathers else c.expert_hidden * 4.0 * c.moe_layers
        )
        return gathered * (1.0 - 1.0 / c.dp_attention) / link
    inside, across = exchange_sends(c.ep, r.scale_up_domain, c.experts_per_token, per_expert=decode)
    seconds = max(inside / r.scale_up_bytes_s, across / r.scale_out_bytes_s if across else 0.0)
    return seconds * c.moe_exchange_token_bytes / c.tp * r.expert_imbalance


def gathers_tokens(costs: ShardCosts) -> bool:
    """Whether the MoE layers gather every attention group's tokens and reduce-scatter the results (NCCL's
    all-gather and reduce-scatter), rather than dispatching each token to its experts' ranks."""
    return costs.ep == 1 or costs.moe_exchange_gathers


def issued_kernels(costs: ShardCosts) -> int:
    """Kernels one step issues on one GPU: every kernel counted, less the shared experts' own where the
    engine fuses them into the routed experts' grouped GEMMs."""
    issued = costs.gemm_kernels + costs.small_kernels
    if costs.shared_experts.mode == "fused":
        issued -= sum(costs.shared_expert_kernels)
    return issued


@attrs.frozen
class StepTime:
    """One step's time (seconds) and what it was spent on."""

    total_s: float
    compute_s: float
    memory_s: float
    comm_s: float
    overhead_s: float
    flops: float
    bytes: float

    @property
    def bound(self) -> str:
        """The term that dominates: ``compute``, ``memory`` or ``communication``."""
        terms = {"compute": self.compute_s, "memory": self.memory_s, "communication": self.comm_s}
        return max(terms, key=terms.__getitem__)


@attrs.frozen
class PromptWork:
    """One mean prompt's prefill attention work: (tiles, row blocks, tiles of its last row block) in global
    and windowed layers, counted in fractional blocks, and its exact causal pairs (see
    :meth:`StepCost.prompt_work`)."""

    tiles: tuple[float, float, float]
    tiles_windowed: tuple[float, float, float]
    pairs: float
    pairs_windowed: float
    #: whether it is short enough to be attended densely (:attr:`~config_explorer.engine.layout.ShardCosts.
    #: dense_prompt_context`)
    dense: bool = False


class StepCost:
    """The time of a step of one replica (all its pipeline stages) from the step's contents.

    Contents, summed over the replica's sequences in the step:

    * ``decode_seqs``: sequences decoding one token;
    * ``kv_tokens`` / ``kv_tokens_windowed``: the context they attend to in global / windowed layers
      (each sequence's context, capped at the window for the latter);
    * ``prefill_tokens``: prompt tokens of this step's chunks;
    * ``prefill_pairs`` / ``prefill_pairs_windowed``: the query-key pairs of those chunks, as
      :meth:`prefill_pairs` counts them (the attention kernel's tiles, so short chunks cost more per pair
      than long ones); exact causal pairs are charged at the tile rate;
    * ``sampled``: sequences whose logits are computed (every decode and every chunk).

    With ``pp`` pipeline stages, ``pp`` micro-batches of a ``1/pp`` share each pass every stage in
    turn, so the step takes ``pp`` stage times plus the sends between stages.
    """

    __slots__ = (
        "_allreduce_bytes",
        "_allreduce_calls",
        "_allreduce_latency",
        "_async",
        "_attn_bw",
        "_attn_flops",
        "_decode_fixed",
        "_dense_bytes",
        "_dense_cmp_token",
        "_dense_flops_token",
        "_dense_prompt_context",
        "_dense_prompt_ratio",
        "_eager",
        "_eager_overlaps",
        "_eager_prefill",
        "_elementwise_token",
        "_ep",
        "_exchange_calls",
        "_exchange_latency",
        "_exchange_token",
        "_expert_bytes",
        "_expert_flops",
        "_experts",
        "_fixed",
        "_gathered_sizes",
        "_gemm_bw",
        "_gemm_flops",
        "_gemm_mem",
        "_graph_groups",
        "_graph_sizes",
        "_graph_tokens",
        "_groups",
        "_host_seq",
        "_host_step",
        "_imbalance",
        "_kv_fixed",
        "_kv_state",
        "_kv_token",
        "_kv_token_windowed",
        "_lm_head_cmp",
        "_lm_head_flops",
        "_local_experts",
        "_logits_cell_s",
        "_max_spread",
        "_moe_bw",
        "_moe_fixed",
        "_moe_floor",
        "_moe_flops",
        "_moe_half_tokens",
        "_moe_helper",
        "_moe_helper_skip",
        "_moe_layers",
        "_moe_popularity",
        "_moe_slowdown",
        "_moe_traffic_token",
        "_norm_allreduce_s",
        "_overlap",
        "_p2p",
        "_p2p_token",
        "_padded_sizes",
        "_pair_flops",
        "_pair_flops_absorbed",
        "_pair_flops_decode",
        "_pair_flops_prompt_windowed",
        "_pair_flops_windowed",
        "_piecewise_decode",
        "_piecewise_host",
        "_pool_conversion",
        "_pp",
        "_prefill_fixed",
        "_prefill_graph_tokens",
        "_prefill_graphs",
        "_prefill_scale",
        "_prompt_glue",
        "_quantized_fixed",
        "_quantized_floor",
        "_recurrent_token",
        "_ring",
        "_router_batch",
        "_router_cmp_token",
        "_router_flops_token",
        "_router_groups",
        "_router_one_token",
        "_scan_chain",
        "_scan_fixed",
        "_scan_flops",
        "_scan_layers",
        "_scan_work",
        "_side_graphs_only",
        "_side_saving",
        "_side_tokens",
        "_token_flops",
        "_top_k",
        "costs",
        "rates",
    )
    #: whether :meth:`grouped_time` costs a step's busiest attention group (a subclass that cannot, False)
    costs_groups = True

    def __init__(self, costs: ShardCosts, rates: Rates, profile: EngineProfile) -> None:
        self.costs, self.rates = costs, rates
        c, r = costs, rates
        self._pp = costs.pp
        self._p2p = (costs.pp - 1) * PIPELINE_P2P_US * 1e-6
        # each micro-batch's hidden states cross the pp - 1 stage boundaries on the step's critical path
        link = r.pipeline_link_bytes_s
        self._p2p_token = c.activation_bytes_per_token / link if costs.pp > 1 and link > 0 else 0.0
        self._gemm_bw, self._gemm_flops = r.gemm_bandwidth, r.gemm_flops
        self._moe_bw = r.moe_bandwidth or r.gemm_bandwidth
        self._attn_bw, self._attn_flops = r.attention_bandwidth, r.attention_flops
        # prefill pairs are charged at the attention rate: the engine's prompt kernels' own rate scales them
        self._prefill_scale = (
            r.attention_flops / r.prefill_attention_flops if r.prefill_attention_flops else 1.0
        )
        self._dense_bytes = c.dense_weight_bytes + c.lm_head_bytes
        self._dense_flops_token = c.dense_gemm_flops_per_token
        self._lm_head_flops = c.lm_head_flops_per_token
        # GEMM compute seconds per token and per sampled token: 16-bit weights (the lm_head, projections
        # a quantized checkpoint keeps 16-bit) run at the 16-bit rate
        wide = r.wide_gemm_flops or r.gemm_flops
        narrow = c.dense_gemm_flops_per_token - c.wide_gemm_flops_per_token
        self._dense_cmp_token = narrow / r.gemm_flops + c.wide_gemm_flops_per_token / wide
        self._gemm_mem = self._dense_bytes / r.gemm_bandwidth
        # the quantized linears' own fixed time a step (their kernels beyond the GEMM: padding, quantizing the input)
        self._quantized_fixed = c.quantized_linears * r.quantized_linear_s
        # compute seconds a step's quantized linears take whatever its token count (their kernel's row floor)
        self._quantized_floor = 0.0
        if r.quantized_linear_bandwidth:
            # the quantized linears (one byte a weight, two FLOPs a weight per token) on their own kernel
            quantized_bytes = narrow / 2.0
            self._gemm_mem = (self._dense_bytes - quantized_bytes) / r.gemm_bandwidth + (
                quantized_bytes / r.quantized_linear_bandwidth
            )
            self._dense_cmp_token = narrow / r.quantized_linear_flops + c.wide_gemm_flops_per_token / wide
            self._quantized_floor = r.quantized_linear_rows * narrow / r.quantized_linear_flops
        self._lm_head_cmp = c.lm_head_flops_per_token / wide
        # FP32 routers: their GEMMs' FLOPs at the CUDA cores' rate, at least their measured time at decode batches (a
        # 16-bit router's are not charged)
        self._router_flops_token = c.router_flops_per_token if r.router_flops else 0.0
        self._router_cmp_token = self._router_flops_token / r.router_flops if r.router_flops else 0.0
        self._router_one_token = c.moe_layers * r.router_one_token_s
        self._router_batch = c.moe_layers * r.router_batch_s
        self._router_groups = c.dp_attention
        self._moe_layers = c.moe_layers
        self._experts = c.num_experts
        # with experts split over ep ranks, the busiest rank sets the layer's time: it holds
        # num_experts / ep experts and gets expert_imbalance times the mean share of the assignments
        self._local_experts = (c.num_experts + c.redundant_experts) / c.ep
        # ... and at a small batch the luck of the draw: the busiest of ep ranks is a spread above the mean
        self._ep = c.ep
        self._imbalance = r.expert_imbalance
        self._max_spread = expected_max_normal(c.ep) if c.ep > 1 else 0.0
        self._top_k = c.experts_per_token
        # each popularity group's chance of a token (one group at uniform routing)
        self._moe_popularity = (
            expert_popularity(c.num_experts, c.experts_per_token, r.expert_popularity_cv)
            if c.num_experts
            else ()
        )
        self._expert_bytes = c.expert_bytes
        self._expert_flops = c.expert_flops_per_assignment
        # two grouped GEMMs per MoE layer (gate/up, down), each paying the per-expert cost
        width = c.expert_width
        self._moe_floor = c.expert_hidden * MOE_TILE_N * c.expert_value_bytes / (MOE_TILE_GB_S * 1e9)
        expert_flops = r.moe_gemm_flops or r.gemm_flops
        self._moe_flops = expert_flops * width / (width + r.moe_half_width) if width else expert_flops
        self._moe_half_tokens = MOE_HALF_TOKENS
        self._moe_fixed = r.moe_layer_s
        self._moe_helper, self._moe_helper_skip = r.moe_helper_s, r.moe_helper_skip_tokens
        self._moe_slowdown = r.moe_slowdown
        # the shard's traffic is its ranks' share of the assignments, unless its kernels cover them all
        self._moe_traffic_token = c.moe_traffic_bytes_per_token * (c.ep if r.moe_masked_ep else 1)
        self._gathered_sizes = r.gathered_moe_sizes
        self._groups = c.dp_attention
        # what a decoding query reads per token (DeepSeek sparse attention reads less than a token stores)
        self._kv_token = (
            c.kv_bytes_per_token_full
            if c.kv_read_bytes_per_token_full is None
            else c.kv_read_bytes_per_token_full
        )
        self._kv_token_windowed = (
            c.kv_bytes_per_token_windowed
            if c.kv_read_bytes_per_token_windowed is None
            else c.kv_read_bytes_per_token_windowed
        )
        if not profile.grouped_decode_attention:  # each query head reads its group's KV head again
            self._kv_token *= c.query_heads_per_kv_head
            self._kv_token_windowed *= c.query_heads_per_kv_head
        self._kv_token_windowed *= r.windowed_decode_read_factor
        self._kv_state = 2.0 * c.state_bytes_per_sequence
        # what every decoding query reads whatever its context (compressed attention's windows)
        self._kv_fixed = c.decode_read_bytes_per_sequence
        # seconds a cell of a prompt step's cleaned indexer logits takes to write
        self._logits_cell_s = c.prefill_logits_bytes_per_cell / r.attention_bandwidth
        self._token_flops = c.attention_flops_per_token
        self._pair_flops = c.attention_flops_per_pair_full
        # decode pairs at the decode kernels' rate (MLA: FlashMLA's measured share of peak)
        self._pair_flops_decode = (
            c.attention_flops_per_pair_decode
            * r.attention_flops
            / (r.attention_decode_flops or r.attention_flops)
        )
        self._pair_flops_windowed = c.attention_flops_per_pair_windowed
        prompt_windowed = c.attention_flops_per_pair_prompt_windowed
        self._pair_flops_prompt_windowed = (
            c.attention_flops_per_pair_windowed if prompt_windowed is None else prompt_windowed
        )
        # a short prompt step attended densely (no indexer logits): its pairs, counted as the windowed ones (a
        # context within the window is all of it), at the dense kernel's FLOPs a pair
        dense_ok = c.dense_prompt_context > 0 and self._pair_flops_prompt_windowed > 0
        self._dense_prompt_context = c.dense_prompt_context if dense_ok else 0
        self._prompt_glue = c.prompt_glue_s
        self._dense_prompt_ratio = (
            c.dense_prompt_flops_per_pair / self._pair_flops_prompt_windowed if dense_ok else 1.0
        )
        self._recurrent_token = c.recurrent_flops_per_token
        # linear attention's prompt scan at its measured kernel's time (fixed a layer, the chain along a prompt
        # chunk, the work per token and value head) in place of its FLOPs at the attention rate
        fixed_us, chain_ns, work_ns = (
            KDA_PREFILL if c.scan_kind == "kda" else GDN_PREFILL[gdn_prefill_kernel(profile)]
        )
        slow = r.scan_slowdown
        self._scan_layers = c.scan_layers
        self._scan_flops = c.scan_recurrent_flops_per_token
        self._scan_fixed = c.scan_layers * fixed_us * 1e-6 * slow
        self._scan_chain = c.scan_layers * chain_ns * 1e-9 * slow
        self._scan_work = c.scan_layers * c.scan_value_heads * work_ns * 1e-9 * slow
        self._allreduce_calls = c.allreduce_calls
        self._norm_allreduce_s = c.norm_allreduce_calls * r.allreduce_latency_s
        group = c.tp // c.dp_attention  # all-reduces run inside one attention group
        self._ring = 2.0 * (group - 1) / group
        self._allreduce_latency = r.allreduce_latency_s
        self._allreduce_bytes = c.allreduce_bytes_per_token / r.link_bytes_s if c.allreduce_calls else 0.0
        self._elementwise_token = c.elementwise_bytes_per_token
        self._exchange_calls = c.moe_exchange_calls
        self._exchange_latency = r.gather_latency_s if gathers_tokens(c) else r.exchange_latency_s
        self._exchange_token = (
            exchange_seconds_per_token(c, r, decode=True),
            exchange_seconds_per_token(c, r, decode=False),
        )
        # an attention kernel's fixed cost is larger than an elementwise kernel's (it is one of the small ones)
        self._fixed = (
            c.gemm_kernels * r.gemm_kernel_s
            + c.small_kernels * r.small_kernel_s
            + c.attention_kernels * max(r.attention_kernel_s - r.small_kernel_s, 0.0)
            + self._quantized_fixed
            + c.moe_layers * r.moe_routing_s
        )
        # the shared experts' own kernels: gone when fused into the routed experts' grouped GEMMs; on a side
        # stream, off the critical path in the steps that use it (its own copy of the input stays on it)
        shared_gemm, shared_small = c.shared_expert_kernels
        shared_fixed = shared_gemm * r.gemm_kernel_s + shared_small * r.small_kernel_s
        placement = c.shared_experts
        self._side_saving = 0.0
        self._side_tokens = math.inf
        self._side_graphs_only = placement.graphs_only
        if placement.mode == "fused":
            self._fixed -= shared_fixed
        elif placement.mode == "side_stream":
            self._side_saving = shared_fixed - placement.added_small_kernels * c.moe_layers * r.small_kernel_s
            if placement.max_tokens is not None:
                self._side_tokens = placement.max_tokens
        self._eager = (
            issued_kernels(c) * profile.eager_kernel_us + c.moe_layers * profile.eager_moe_layer_us
        ) * 1e-6
        self._eager_overlaps = profile.eager_overlaps
        # a step with prompt tokens runs the recurrent layers' chunked scans: more kernels to launch and issue
        self._prefill_fixed = c.prefill_extra_kernels * r.small_kernel_s
        self._eager_prefill = c.prefill_extra_kernels * profile.eager_kernel_us * 1e-6
        if c.eager_launches and profile.eager_launch_us:
            # the launches counted from the engine's own prompt path (the recurrent layers' scans among them)
            counted = (c.eager_launches * profile.eager_launch_us + profile.eager_forward_us) * 1e-6
            if profile.eager_launches_prompt_only:
                # a step with prompt tokens issues the counted forward (this term may be negative: the difference
                # from the per-kernel charge a generation-only eager step keeps)
                self._eager_prefill = counted - self._eager
            else:
                self._eager = counted
                self._eager_prefill = 0.0
        # what the engine's MLA layers take beyond their counted kernels in a step that decodes
        self._decode_fixed = c.attention_kernels * r.mla_layer_extra_s
        self._pool_conversion = r.kv_pool_conversion_s
        if r.moe_fused_path:  # the expert path's launches are inside moe_layer_s
            expert_gemm, expert_small = EXPERT_PATH_KERNELS
            self._fixed -= c.moe_layers * (expert_gemm * r.gemm_kernel_s + expert_small * r.small_kernel_s)
        # each attention group runs its own graphs and host loop over its share of the sequences
        self._graph_tokens = profile.graph_max_tokens * c.dp_attention
        # an engine that replays only the batch sizes it captured (TensorRT-LLM without padding) runs any other
        # decode batch eagerly; each attention group's batch is its own
        self._graph_sizes = frozenset(profile.graph_batch_sizes)
        self._graph_groups = c.dp_attention
        # an engine that pads a decode batch up to a captured size computes the padded rows too
        self._padded_sizes = profile.graph_padded_sizes
        self._prefill_graph_tokens = (
            profile.prefill_graph_max_tokens or profile.graph_max_tokens
        ) * c.dp_attention
        self._prefill_graphs = profile.prefill_in_graphs
        # an MLA prompt attended in the absorbed form in a graphed prompt step: the decode kernels' FLOPs a pair
        self._pair_flops_absorbed = self._pair_flops_decode if profile.absorbed_mla_prefill else 0.0
        # SGLang's piecewise graphs split at every attention and all-reduce op (its ``register_split_op`` ops),
        # which run eagerly between the replayed pieces: a piecewise prompt step still pays their issue time
        splits = c.attention_kernels + c.allreduce_calls + c.norm_allreduce_calls
        self._piecewise_host = (
            splits * profile.eager_kernel_us * 1e-6 if profile.prefill_graph_max_tokens else 0.0
        )
        # vLLM V1's piecewise graphs split at every attention layer, whose op the host issues eagerly between
        # the pieces: its prompt steps replay them, and its decode steps too before full decode graphs
        vllm_splits = c.attention_kernels * profile.piecewise_split_us * 1e-6
        self._piecewise_host += vllm_splits
        self._piecewise_decode = 0.0 if profile.full_decode_graphs else vllm_splits
        self._host_step = profile.step_overhead_ms * 1e-3
        self._host_seq = profile.per_sequence_overhead_ms * 1e-3 / c.dp_attention
        self._async = profile.async_scheduling
        self._overlap = r.two_batch_overlap

    def prefill_pairs(self, chunks: Sequence[tuple[float, float]]) -> tuple[float, float]:
        """(global, windowed) query-key pairs to charge for a step's prompt ``chunks``, each ``(new tokens,
        tokens before them)``: the pairs a kernel running every tile at its full rate would need for the
        time the attention kernel takes over them (:func:`~config_explorer.engine.attention.effective_pairs`)."""
        c, r = self.costs, self.rates
        slots, rows = r.attention_slots, r.attention_row_tiles
        windowed = (
            effective_pairs(chunks, c.attention_heads, slots, c.window, row_tiles=rows)
            if self._pair_flops_windowed
            else 0.0
        )
        if (
            self._dense_prompt_context
            and max((n + before for n, before in chunks), default=0.0) <= self._dense_prompt_context
        ):
            return 0.0, windowed * self._dense_prompt_ratio * self._prefill_scale
        full = effective_pairs(chunks, c.attention_heads, slots, row_tiles=rows) if self._pair_flops else 0.0
        return full * self._prefill_scale, windowed * self._prefill_scale

    def prefill_logits_seconds(self, chunks: Sequence[tuple[float, float]]) -> float:
        """Seconds a step's prompt ``chunks`` (each ``(new tokens, tokens before them)``) take to write their
        sparse-attention indexer's cleaned logits: one FP32 matrix of the step's prompt tokens by all its prompts'
        context tokens (vLLM packs the step's prompts into one ``fp8_mqa_logits`` call over their gathered keys),
        a kernel of its own beside the logits' FLOPs; 0 where the engine writes only the scored cells."""
        if not self._logits_cell_s or not chunks:
            return 0.0
        rows = sum(n for n, _ in chunks)
        return self._logits_cell_s * rows * (rows + sum(before for _, before in chunks))

    def prompt_work(self, prompt: float, before: float) -> PromptWork:
        """One mean prompt's attention work (``prompt`` tokens computed after ``before`` cached ones), in
        fractional tiles: what :meth:`share_pairs` charges a step holding a share of such prompts."""
        window = self.costs.window
        return PromptWork(
            chunk_tiles(prompt, before, whole=False),
            chunk_tiles(prompt, before, window, whole=False) if window else (0.0, 0.0, 0.0),
            exact_pairs(prompt, before),
            exact_pairs(prompt, before, window) if window else 0.0,
            dense=0 < prompt + before <= self._dense_prompt_context,
        )

    def share_pairs(self, work: PromptWork, share: float) -> tuple[float, float]:
        """(global, windowed) pairs to charge a step holding ``share`` mean prompts' worth of prompt tokens
        (several prompts packed into one kernel call, or a part of one)."""
        heads, slots = self.costs.attention_heads, self.rates.attention_slots
        if heads <= 0 or slots <= 0:
            if work.dense:
                return 0.0, work.pairs_windowed * share * self._dense_prompt_ratio
            return work.pairs * share, work.pairs_windowed * share
        pairs = []
        for (tiles, rows, last), flops in (
            (work.tiles, self._pair_flops),
            (work.tiles_windowed, self._pair_flops_windowed),
        ):
            charged = 0.0
            if flops and share > 0:
                charged = unit_pairs(
                    tiles * share, rows * share, last, heads, slots, row_tiles=self.rates.attention_row_tiles
                )
            pairs.append(charged * self._prefill_scale)
        if work.dense:
            return 0.0, pairs[1] * self._dense_prompt_ratio
        return pairs[0], pairs[1]

    def time(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
    ) -> float:
        """Seconds the step takes (the hot path: no record is built; without two-batch overlap the
        batch's terms are all there is, so they are costed directly)."""
        terms = self._terms if self._overlap else self._batch_terms
        return terms(
            decode_seqs,
            kv_tokens,
            kv_tokens_windowed,
            prefill_tokens,
            prefill_pairs,
            prefill_pairs_windowed,
            sampled,
        )[0]

    def grouped_time(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
        moe_tokens: float,
    ) -> float:
        """Seconds a step of ``dp_attention`` groups takes when their loads differ.

        The groups run each layer in lockstep (the expert layers gather every group's tokens), so the
        step lasts as long as its busiest group. The contents are that group's, times the number of
        groups (the per-GPU costs divide an even share by it); ``moe_tokens`` are every group's
        tokens, which the expert layers process whichever group they came from.
        """
        return self._terms(
            decode_seqs,
            kv_tokens,
            kv_tokens_windowed,
            prefill_tokens,
            prefill_pairs,
            prefill_pairs_windowed,
            sampled,
            moe_tokens=moe_tokens,
        )[0]

    def moe_layer_terms(self, tokens: float) -> tuple[float, float, float]:
        """One MoE layer's expert computation on one GPU for a batch of ``tokens`` (routing, the grouped
        GEMMs over the experts they touch, combine; no all-reduce or all-to-all), the term each step
        charges per MoE layer: (seconds, its memory-bound part, its compute-bound part); zeros for a
        dense model."""
        if not self._moe_layers or tokens <= 0:
            return 0.0, 0.0, 0.0
        seconds, mem, cmp, _, _ = self._moe_layer(tokens)
        return seconds, mem, cmp

    def moe_layer_streaming(self, tokens: float) -> tuple[float, float]:
        """One MoE layer's expert streaming for a batch of ``tokens`` on one GPU: (bytes of the experts it touches,
        the per-tile floor its streaming term never goes below, seconds); zeros for a dense model."""
        if not self._moe_layers or tokens <= 0:
            return 0.0, 0.0
        return self._moe_layer(tokens)[3], self._moe_floor

    def moe_traffic_bytes_per_token_layer(self, *, masked: bool) -> float:
        """One MoE layer's streamed activation bytes per token on one GPU: every routed assignment's when
        ``masked`` (:attr:`Rates.moe_masked_ep`), else the rank's share; 0 for a dense model."""
        if not self._moe_layers:
            return 0.0
        share = self.costs.moe_traffic_bytes_per_token  # the rank's share, over all its MoE layers
        return share * (self.costs.ep if masked else 1) / self._moe_layers

    def _moe_layer(self, tokens: float) -> tuple[float, float, float, float, float]:
        """One MoE layer for ``tokens``: (seconds, memory seconds, compute seconds, bytes, FLOPs)."""
        # the experts the tokens touch are streamed once each by the grouped GEMMs; a grouped GEMM
        # cannot finish before one tile has walked its expert's K dimension, and its compute runs at
        # an efficiency set by the tokens per expert and the shard's width
        touched = touched_experts(tokens, self._experts, self._moe_popularity)
        assignments = tokens * self._top_k
        per_expert = assignments / touched
        if self._ep > 1:
            # the busiest expert-parallel rank: the routing's skew (expert_imbalance over the mean), or, where
            # the batch is small, the draw's own spread, whichever is larger
            touched, assignments = self._busiest_rank(touched, assignments)
        moved = touched * self._expert_bytes
        flops = assignments * self._expert_flops
        mem = max(moved / self._moe_bw, self._moe_floor)
        cmp = flops / (self._moe_flops * per_expert / (per_expert + self._moe_half_tokens))
        fixed = self._moe_fixed + (self._moe_helper if tokens > self._moe_helper_skip else 0.0)
        return self._moe_slowdown * soft_max(mem, cmp) + fixed, mem, cmp, moved, flops

    def _busiest_rank(self, touched: float, assignments: float) -> tuple[float, float]:
        """The experts the busiest of ``ep`` expert-parallel ranks holds among the ``touched`` ones, and the
        assignments it computes among ``assignments``: each the larger of the skewed share (the mean times
        ``expert_imbalance``) and the expected largest of ``ep`` draws of uniform routing (the mean plus
        :func:`expected_max_normal` standard deviations: a rank's touched experts are hypergeometric, its
        assignments binomial). Experts capped at those the rank holds."""
        ep, experts = self._ep, self._experts
        share = 1.0 / ep
        mean = touched * share
        spread = touched * share * (1.0 - share) * (experts - touched) / max(experts - 1, 1)
        busiest = max(mean * self._imbalance, mean + self._max_spread * math.sqrt(max(spread, 0.0)))
        load = assignments * share
        drawn = load + self._max_spread * math.sqrt(assignments * share * (1.0 - share))
        return min(busiest, self._local_experts), max(load * self._imbalance, drawn)

    def breakdown(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
    ) -> StepTime:
        """The step's time and what it was spent on (compute, memory, communication, overhead)."""
        total, compute, memory, comm, overhead, flops, moved = self._terms(
            decode_seqs,
            kv_tokens,
            kv_tokens_windowed,
            prefill_tokens,
            prefill_pairs,
            prefill_pairs_windowed,
            sampled,
        )
        return StepTime(total, compute, memory, comm, overhead, flops, moved)

    def _terms(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
        graphed: bool = False,
        moe_tokens: float | None = None,
    ) -> tuple[float, float, float, float, float, float, float]:
        contents = (
            decode_seqs,
            kv_tokens,
            kv_tokens_windowed,
            prefill_tokens,
            prefill_pairs,
            prefill_pairs_windowed,
            sampled,
        )
        if not self._overlap or decode_seqs + prefill_tokens <= 0:
            return self._batch_terms(*contents, graphed=graphed, moe_tokens=moe_tokens)
        # Two-batch overlap: two micro-batches of half the step each, one's token exchange running under
        # the other's kernels. Each half reads the weights and launches the kernels again; the pipeline
        # of two leaves the shorter of one half's work and one half's communication exposed.
        d, kv, kvw, prefill, pairs, pairs_w, sampled = (x / 2 for x in contents)
        half_moe = None if moe_tokens is None else moe_tokens / 2
        half = self._batch_terms(
            d, kv, kvw, prefill, pairs, pairs_w, sampled, graphed=graphed, moe_tokens=half_moe
        )
        _, compute, memory, comm, overhead, flops, moved = half
        work = half[0] - comm
        total = max(2 * work, 2 * comm) + min(work, comm)
        return (total, 2 * compute, 2 * memory, 2 * comm, 2 * overhead, 2 * flops, 2 * moved)

    def _gathered_moe_tokens(self, decode_seqs: float) -> float:
        """Rows a decode step's MoE layers take where every attention group replays its graph at the size of the
        largest group's batch and the MoE gathers all groups' rows (:attr:`Rates.gathered_moe_sizes`): the
        step's sequences spread evenly over the groups. A batch above the largest graph runs eagerly on its own
        rows."""
        sizes = self._gathered_sizes
        per_group = math.ceil(decode_seqs / self._groups - 1e-9)
        index = bisect.bisect_left(sizes, per_group)
        if index == len(sizes):
            return decode_seqs
        return float(self._groups * sizes[index])

    def _padded_rows(self, decode_seqs: float) -> float:
        """The rows a graphed decode batch runs where the engine pads it up to a captured size
        (:attr:`EngineProfile.graph_padded_sizes`): every attention group at the largest group's size, rounded up
        (0: no padding)."""
        sizes = self._padded_sizes
        if not sizes or not decode_seqs:
            return 0.0
        per_group = math.ceil(decode_seqs / self._graph_groups - 1e-9)
        index = bisect.bisect_left(sizes, per_group)
        return float(self._graph_groups * sizes[index]) if index < len(sizes) else 0.0

    def _uncaptured(self, decode_seqs: float, prefill_tokens: float) -> bool:
        """Whether a decode-only batch has no graph of its size where the engine replays only the sizes it
        captured (:attr:`EngineProfile.graph_batch_sizes`): each attention group's share, which must be whole."""
        if not self._graph_sizes or prefill_tokens or not decode_seqs:
            return False
        per_group = decode_seqs / self._graph_groups
        if self._graph_groups > 1 and abs(per_group - round(per_group)) > 1e-9:
            # unpadded, attention-DP ranks replay graphs only when all hold the same batch (TensorRT-LLM's graph
            # runner: no rank is padded to another's size without enable_padding)
            return True
        return round(per_group) not in self._graph_sizes

    def _batch_terms(
        self,
        decode_seqs: float,
        kv_tokens: float,
        kv_tokens_windowed: float,
        prefill_tokens: float,
        prefill_pairs: float,
        prefill_pairs_windowed: float,
        sampled: float,
        graphed: bool = False,
        moe_tokens: float | None = None,
    ) -> tuple[float, float, float, float, float, float, float]:
        """One batch's (total, compute, memory, communication, overhead, FLOPs, bytes); ``moe_tokens``:
        the expert layers' tokens where they differ from the rest's (see :meth:`grouped_time`)."""
        pp = self._pp
        padded = False
        if moe_tokens is None:
            moe_tokens = decode_seqs + prefill_tokens
            padded = bool(self._gathered_sizes and decode_seqs and not prefill_tokens)
        if pp > 1:  # one micro-batch: a 1/pp share of everything, on one stage
            moe_tokens /= pp
            decode_seqs, kv_tokens, kv_tokens_windowed = (
                decode_seqs / pp,
                kv_tokens / pp,
                kv_tokens_windowed / pp,
            )
            prefill_tokens, prefill_pairs = prefill_tokens / pp, prefill_pairs / pp
            prefill_pairs_windowed, sampled = prefill_pairs_windowed / pp, sampled / pp
        tokens = decode_seqs + prefill_tokens
        eager_size = tokens > (self._prefill_graph_tokens if prefill_tokens else self._graph_tokens)
        gathered = 0.0  # rows the MoE input gathers where graphs pad every group to the largest one's size
        if padded:
            moe_tokens = gathered = self._gathered_moe_tokens(decode_seqs)
        rows = self._padded_rows(decode_seqs) if not (prefill_tokens or eager_size) else 0.0
        if rows > tokens:  # the dummy requests' rows run through every GEMM and expert layer, and are sampled
            sampled += rows - tokens
            moe_tokens += rows - tokens
            tokens = rows

        gemm_flops = (
            tokens * (self._dense_flops_token + self._router_flops_token) + sampled * self._lm_head_flops
        )
        gemm_mem = self._gemm_mem
        gemm_cmp = tokens * self._dense_cmp_token + sampled * self._lm_head_cmp
        router = 0.0
        if self._router_cmp_token and tokens > 0:
            # one GEMM a MoE layer on each GPU's own tokens: its FLOPs at the FP32 rate, or its small-batch time
            least = self._router_one_token if tokens <= self._router_groups else self._router_batch
            router = max(least, tokens * self._router_cmp_token)
        if tokens > 0:
            gemm_cmp += self._quantized_floor
        gemm = soft_max(gemm_mem, gemm_cmp)

        moe = moe_mem = moe_cmp = moe_bytes = moe_flops = 0.0
        if self._moe_layers and moe_tokens > 0:
            one, moe_mem, moe_cmp, moe_bytes, moe_flops = self._moe_layer(moe_tokens)
            moe = self._moe_layers * one
            moe_mem, moe_cmp = self._moe_layers * moe_mem, self._moe_layers * moe_cmp
            moe_bytes, moe_flops = self._moe_layers * moe_bytes, self._moe_layers * moe_flops

        kv_read = self._kv_token * kv_tokens + self._kv_token_windowed * kv_tokens_windowed
        kv_read += decode_seqs * (self._kv_state + self._kv_fixed)
        attn_mem = kv_read / self._attn_bw
        pair_flops = self._pair_flops
        absorbed_prompt = bool(
            self._pair_flops_absorbed and prefill_tokens and tokens <= self._prefill_graph_tokens
        )
        if absorbed_prompt:
            pair_flops = self._pair_flops_absorbed
        attn_flops = (
            pair_flops * prefill_pairs
            + self._pair_flops_decode * kv_tokens
            + self._pair_flops_windowed * kv_tokens_windowed
            + self._pair_flops_prompt_windowed * prefill_pairs_windowed
            + tokens * (self._recurrent_token + self._token_flops)
            - prefill_tokens * self._scan_flops
        )
        attn_cmp = attn_flops / self._attn_flops
        attention = soft_max(attn_mem, attn_cmp)
        if prefill_tokens and self._scan_layers:
            # the prompts of a step scan side by side, each chunk after chunk (the step's mean chunk: one sampled
            # row per chunk)
            chunk = prefill_tokens / max(sampled - decode_seqs, 1.0)
            attention += self._scan_fixed + chunk * self._scan_chain + prefill_tokens * self._scan_work

        comm = self._norm_allreduce_s if tokens > 0 else 0.0
        if self._allreduce_calls:
            comm += self._allreduce_calls * (
                self._allreduce_latency + self._ring * tokens * self._allreduce_bytes
            )
        if self._exchange_calls and tokens > 0:
            per_token = self._exchange_token[1 if prefill_tokens > 0 else 0]
            comm += self._exchange_calls * self._exchange_latency + (gathered or tokens) * per_token
        streamed = tokens * self._elementwise_token + moe_tokens * self._moe_traffic_token
        elementwise = streamed / self._gemm_bw
        host = self._host_step + self._host_seq * sampled
        eager = (
            eager_size
            or bool(prefill_tokens and not self._prefill_graphs and not graphed)
            or self._uncaptured(decode_seqs, prefill_tokens)
        )
        fixed = self._fixed + (self._prefill_fixed if prefill_tokens else 0.0)
        fixed += self._decode_fixed if decode_seqs else 0.0
        if decode_seqs or absorbed_prompt:
            fixed += self._pool_conversion
        # the shared experts run beside the routed ones (a graphs-only side stream: in decode graphs)
        beside = not self._side_graphs_only or (not eager and (not prefill_tokens or graphed))
        if self._side_saving and tokens <= self._side_tokens and beside:
            fixed -= self._side_saving
        overhead = fixed + host + prefill_tokens * self._prompt_glue
        stage = gemm + router + moe + attention + elementwise + comm + overhead
        if self._async:  # the host prepared this step while the GPU ran the last one
            stage = max(stage - host, host)
        if eager:
            # An eager forward's host time to issue its kernels adds to the GPU's work rather than hiding
            # under it: the forward reads data-dependent values back on the host (sequence lengths, token
            # counts), so the host stops to wait for the GPU within the step and cannot run ahead. Two
            # published forward times of DeepSeek-V3-class models support the sum over the larger of the two:
            # eager minus graphed is 59.5 ms at 1 token (SGLang PR #12160) and 68 ms at 2,048 tokens
            # (tokenspeed PR #597), where a host that ran ahead of the GPU would hide it all on an H200
            # (benchmarks/eager_prefill.py)
            issue = self._eager + (self._eager_prefill if prefill_tokens else 0.0)
            # an engine whose host runs ahead (TensorRT-LLM's PyTorch executor) lasts the longer of the two
            stage = max(stage, issue) if self._eager_overlaps else stage + issue
        elif prefill_tokens and not graphed:
            # (a speculative verification pass replays a whole graph: no piecewise splits to issue)
            stage += self._piecewise_host
        elif decode_seqs and not prefill_tokens:
            stage += self._piecewise_decode
        sends = self._p2p + (pp - 1) * tokens * self._p2p_token if pp > 1 else 0.0
        total = stage * pp + sends if pp > 1 else stage
        return (
            total,
            gemm_cmp + router + moe_cmp + attn_cmp,
            gemm_mem + moe_mem + attn_mem + elementwise,
            comm + sends,
            overhead,
            gemm_flops + moe_flops + attn_flops,
            self._dense_bytes + moe_bytes + kv_read + streamed,
        )

"""The GPU launches SGLang's Python code issues in one eager extend (prefill) forward, counted from its model code.

Through 0.5.9 SGLang runs prompt steps in eager PyTorch: the host issues every kernel from Python, and the step
lasts that issue time plus the GPU's work (:class:`~config_explorer.engine.roofline.StepCost`). The library's own
kernel count (``roofline.issued_kernels``: a layer's GEMMs, norms, rope, attention) is one number per layer kind;
what SGLang's forward actually dispatches differs by architecture far more than that count does: an FP8 checkpoint's
block-scaled linear quantizes its input before each DeepGEMM call, a per-head query/key norm copies the split
queries and keys before its two norm kernels, DeepSeek's MLA prompt path runs five projections, two latent norms, a
rope, a query copy, a cache write and a key concatenation around one attention call, a Gated DeltaNet layer issues
some thirty, while gpt-oss's Blackwell layer hands its routing, both expert GEMMs and the combine to one FlashInfer
call. This module counts the launches one forward issues per GPU (calls into a kernel: a torch op, a custom op, a
Triton kernel; views, allocations and argument checks around them are not counted), each read from the default
code path of the 0.5.4-0.5.9 sources, and ``calibration.SGLANG_EAGER_LAUNCH_US`` charges each one.

Where a model class, a layer kind, a weight format or a MoE runner is not one read here, :func:`sglang_eager_launches`
returns None and the engine keeps its per-kernel charge (``calibration.EAGER_KERNEL_US``).

Branch conditions assumed (the engine's defaults for a single-node TP launch; see the comments on each table):
prompts without a cached prefix; bf16 KV cache; no DP attention (so no all-to-all expert dispatch) except DeepSeek-V3's
class on SGLang's standard dispatcher (:data:`SGLANG_DP_ATTENTION_LAYER_LAUNCHES`; not DeepEP), no speculative
decoding;
steps of at most 2,048 tokens where FlashInfer's all-reduce fusion applies (SGLang turns it off above that).
"""

from __future__ import annotations

from typing import Final

from config_explorer.architecture import ModelArchitecture
from config_explorer.engine.calibration import profile_for, sglang_dispatches_deepep
from config_explorer.engine.layout import expert_precision
from config_explorer.precision import normalize_precision

__all__ = [
    "SGLANG_COUNTED_CLASSES",
    "SGLANG_DP_ATTENTION_FORWARD_LAUNCHES",
    "SGLANG_DP_ATTENTION_LAYER_LAUNCHES",
    "SGLANG_FORWARD_LAUNCHES",
    "SGLANG_LAUNCHES",
    "sglang_eager_launches",
]

#: launches of the pieces every counted layer is built from (SGLang 0.5.x on CUDA)
SGLANG_LAUNCHES: Final[dict[str, int]] = {
    # RowParallel/ColumnParallel/Replicated linear, 16-bit: UnquantizedLinearMethod.apply -> F.linear
    # (layers/quantization/unquant.py)
    "linear": 1,
    # a block-scaled FP8 linear's extra launch: the input's per-token-group quantization before the DeepGEMM
    # call (fp8_utils.deepgemm_w8a8_block_fp8_linear_with_fallback -> fp8_kernel.sglang_per_token_group_quant_fp8)
    "fp8_linear_extra": 1,
    # an all-reduce and the fused residual add + RMSNorm after it (parallel_state.GroupCoordinator.all_reduce ->
    # the custom all-reduce's one op; layernorm.RMSNorm.forward_cuda -> sgl_kernel.fused_add_rmsnorm); a layer
    # has two such pairs, after its mixer and after its MLP (the next layer's input norm)
    "allreduce_norm": 2,
    # the same pair fused into FlashInfer's all-reduce + residual + RMSNorm (flashinfer_comm_fusion.
    # flashinfer_allreduce_residual_rmsnorm), where server_args.py turns enable_flashinfer_allreduce_fusion on
    "allreduce_norm_fused": 1,
    # the pair without tensor parallelism: the norm alone
    "norm": 1,
    # a plain RMSNorm (MLA's q_a and kv_a latent norms): RMSNorm.forward_cuda -> sgl_kernel rmsnorm
    "rmsnorm": 1,
    # rotary embedding: RotaryEmbedding.forward_cuda -> sgl_kernel apply_rope_with_cos_sin_cache_inplace
    # (rotary_embedding.py); DeepSeek's yarn rope inherits it on CUDA
    "rope": 1,
    # the KV-cache write: MHATokenToKVPool.set_kv_buffer's two index_put (mem_cache/memory_pool.py); none where
    # the rope kernel writes the cache (models/utils.py enable_fused_set_kv_buffer: bf16 cache, the classes of
    # SGLANG_FUSED_KV_CLASSES)
    "kv_write": 2,
    # the attention kernel (flashinfer_backend ragged prefill, flashattention_backend.flash_attn_with_kvcache,
    # trtllm_mha_backend trtllm_batch_context_with_kv_cache, triton_backend extend_attention_fwd)
    "attention": 1,
    # per-head query/key norm (qwen3_moe/glm4_moe/qwen3 _apply_qk_norm): reshaping the split queries and keys
    # copies them (they are strided views of the fused QKV output), then one rmsnorm each
    "qk_norm_per_head": 4,
    # Qwen3-Next's gated attention (qwen3_next.Qwen3HybridAttentionDecoderLayer.self_attention): the query and
    # the gate are reshaped out of one strided view (two copies), the query then needs no copy for its norm
    # (qk norm 3 launches), and sigmoid and multiply gate the output
    "output_gate": 4 - 1,
    # MiniMax-M2's per-layer query/key norm over the TP group (minimax_m2.MiniMaxM2RMSNormTP): the two
    # .contiguous() copies, then per norm a torch.compile'd fp32 sum of squares, the all-reduce of it and the
    # scaling (two Inductor kernels and an all-reduce) up to 0.5.8 ...
    "qk_norm_tp": 2 + 2 * 3,
    # ... and from 0.5.9 forward_qk: one Triton sum-of-squares kernel for both, one all-reduce, one Triton apply
    "qk_norm_tp_fused": 2 + 3,
    # SiluAndMul.forward_cuda -> sgl_kernel silu_and_mul
    "act": 1,
    # residual add of a shared expert's output (torch add)
    "add": 1,
    # experts split by expert parallelism without an all-to-all backend: the standard dispatcher maps the top-k
    # ids to the rank's local experts (one gather; moe/token_dispatcher/standard.StandardDispatcher.dispatch)
    "ep_expert_map": 1,
}

#: launches of one MoE layer's top-k selection, by kind (moe/topk.py)
SGLANG_TOPK_LAUNCHES: Final[dict[str, int]] = {
    # fused_topk -> sgl_kernel topk_softmax / topk_sigmoid (Qwen3-MoE, Qwen3-Next, MiniMax-M2)
    "fused": 1,
    # biased_grouped_topk_gpu -> moe_fused_gate (256 experts, <= 32 a group) or kimi_k2_moe_fused_gate
    # (384 experts, one group), each after a cast of the 16-bit router logits to fp32
    "fused_gate": 2,
    # biased_grouped_topk_impl, torch.compile'd (GLM-4.5's 160 experts in one group): sigmoid and bias,
    # group scores, mask, gather and renormalisation lower to about four Triton kernels beside three aten topk
    # and the random shared-expert slot's seed (an estimate from Inductor's lowering, not read from its output)
    "compiled_grouped": 8,
    # the FlashInfer TensorRT-LLM-gen runners route inside their own call (TopKOutputFormat.BYPASSED)
    "bypassed": 0,
}

#: launches of one MoE layer's expert path by runner, router GEMM and top-k aside
SGLANG_MOE_RUNNER_LAUNCHES: Final[dict[str, int]] = {
    # fused_moe_triton/fused_moe.fused_experts_impl: moe_align_block_size, the gate/up grouped GEMM (Triton),
    # silu_and_mul, the down grouped GEMM (Triton), moe_sum_reduce
    "triton": 5,
    # the same with block-FP8 experts: sglang_per_token_group_quant_fp8 before each grouped GEMM
    # (fused_moe_triton_kernels.invoke_fused_moe_kernel)
    "triton_fp8": 7,
    # quantization/fp8.Fp8MoEMethod.apply_with_router_logits: the input's Triton group quantization, its scales'
    # transposed copy, the correction bias cast, the logits cast, trtllm_fp8_block_scale_moe (one call; FlashInfer
    # launches routing, both GEMMs and the finalize from C++)
    "trtllm_fp8": 5,
    # quantization/mxfp4.Mxfp4MoEMethod.apply (flashinfer_mxfp4, Blackwell): mxfp8_quantize, then
    # trtllm_fp4_block_scale_moe (one call)
    "flashinfer_mxfp4": 2,
}

#: data-parallel attention (``--enable-dp-attention``) in place of a layer's two (all-reduce, norm) pairs, read for
#: DeepSeek-V3's class in 0.5.6.post1 (layers/communicator.py and dp_attention.py; benchmarks/data/
#: sglang_dp_attention_launch_evidence.md), FlashInfer's all-reduce fusion being off under it: before the MLP, the
#: residual add, the zeroed all-rank buffer, the Triton copy into it, the all-reduce over every GPU, the zeroed local
#: residual, the Triton copy back and the separate norm (dp_gather_partial, dp_scatter: 7); after it, the MLP's own
#: all-reduce over every GPU, the zeroed local rows, the copy back and the next layer's norm (4). (A step of at most
#: 585 rows over all ranks takes one copy more, and the odd attention ranks one add less: neither is charged.)
SGLANG_DP_ATTENTION_LAYER_LAUNCHES: Final[int] = 7 + 4
#: the same forward's launches outside the layers beyond :data:`SGLANG_FORWARD_LAUNCHES`: padding concatenations,
#: small host-to-device copies, the logits' gather and scatter and the offsets, less the replicated embedding's masking
#: and all-reduce (about +17, +14 to +20 across ranks)
SGLANG_DP_ATTENTION_FORWARD_LAUNCHES: Final[int] = 17

#: launches outside the layers in one forward: the vocabulary-parallel embedding (its masking ops and
#: all-reduce), the final norm, the logits processor's row gather and lm_head, and the attention backend's
#: per-forward metadata (an estimate; a few tenths of a percent of a large model's count)
SGLANG_FORWARD_LAUNCHES: Final[int] = 15

#: the model classes whose decoder layers were read (SGLang 0.5.4-0.5.9 ``models/``): llama.py, qwen3.py,
#: qwen3_moe.py, qwen3_next.py, glm4_moe.py, minimax_m2.py, deepseek_v2.py, gpt_oss.py
SGLANG_COUNTED_CLASSES: Final = frozenset(
    {
        "LlamaForCausalLM",
        "Qwen3ForCausalLM",
        "Qwen3MoeForCausalLM",
        "Qwen3NextForCausalLM",
        "Glm4MoeForCausalLM",
        "MiniMaxM2ForCausalLM",
        "DeepseekV3ForCausalLM",
        "GptOssForCausalLM",
    }
)
#: classes whose rope kernel writes the KV cache (create_fused_set_kv_buffer_arg callers, bf16 cache)
SGLANG_FUSED_KV_CLASSES: Final = frozenset({"Qwen3MoeForCausalLM", "GptOssForCausalLM"})
#: classes for which server_args.py turns FlashInfer's all-reduce fusion on: (classes, first release, GPU families)
SGLANG_ALLREDUCE_FUSION: Final[tuple[tuple[frozenset[str], tuple[int, int, int], frozenset[str]], ...]] = (
    (frozenset({"DeepseekV3ForCausalLM", "GptOssForCausalLM"}), (0, 5, 0), frozenset({"blackwell"})),
    (
        frozenset(
            {"DeepseekV3ForCausalLM", "GptOssForCausalLM", "Glm4MoeForCausalLM", "Qwen3MoeForCausalLM"}
        ),
        (0, 5, 7),
        frozenset({"hopper", "blackwell"}),
    ),
)
#: Gated DeltaNet layer of Qwen3-Next (qwen3_next.Qwen3GatedDeltaNet._forward and hybrid_linear_attn_backend.
#: GDNAttnBackend.forward_extend, 0.5.6): the two input projections, fix_query_key_value_ordering's reshape copies
#: of value, z, b, a and of the query and key, their concatenation (7); the prefix flag, causal_conv1d_fn,
#: fused_gdn_gating, the state gather (4); chunk_gated_delta_rule's input_guard copies of q, k, v (3), the two L2
#: norms, chunk_local_cumsum, chunk_scaled_dot_kkt_fwd, solve_tril's two kernels, recompute_w_u_fwd,
#: chunk_gated_delta_rule_fwd_h, chunk_fwd_o (9); the state scatter, the gated RMSNorm, the output projection (3)
GATED_DELTANET_LAUNCHES: Final[int] = 2 + 7 + 4 + 3 + 9 + 3


def _release_at_least(release: tuple[int, int, int] | None, since: tuple[int, int, int]) -> bool:
    return release is None or release >= since


def sglang_eager_launches(
    arch: ModelArchitecture,
    *,
    release: tuple[int, int, int] | None,
    gpu_family: str,
    tp: int,
    ep: int,
    dp_attention: int,
    weights: str,
    kv_precision: str,
    trtllm_gen_moe: bool,
    shared_fused: bool,
    one_token_after_prefix: bool = False,
) -> int | None:
    """Launches SGLang's Python code issues in one eager extend forward of ``arch`` on one GPU (every layer; the
    caller takes a pipeline stage's share), or None where this module has not read the forward (see the module
    text). ``release``: the SGLang release (None: the newest rules read); ``weights``: the served precision;
    ``trtllm_gen_moe``: the experts run on FlashInfer's TensorRT-LLM-gen runner; ``shared_fused``: the shared
    expert runs inside the routed experts' kernels; ``one_token_after_prefix``: a one-token prompt step after a
    cached token (SGLang PR #12160's fit forward), which DeepSeek's MLA runs in its absorbed form."""
    cls = arch.architecture
    if cls not in SGLANG_COUNTED_CLASSES or gpu_family not in ("ampere", "hopper", "blackwell"):
        return None
    # data-parallel attention: read for DeepSeek-V3's class on SGLang's standard dispatcher (not with the experts split
    # over every GPU, where the engine plans DeepEP, whose launches were not read)
    dp = dp_attention > 1
    deepep = sglang_dispatches_deepep(
        profile_for("sglang"), ep=ep, dp_attention=dp_attention, world=tp, gpu_family=gpu_family
    )
    if (dp and (cls != "DeepseekV3ForCausalLM" or deepep)) or arch.sparse_attention or arch.compress_ratios:
        return None
    if any(k not in ("full", "sliding", "linear") for k in arch.attention_kinds):
        return None
    if arch.num_linear_layers and (
        cls != "Qwen3NextForCausalLM" or arch.linear_attention_kind != "gated_delta"
    ):
        return None
    w = normalize_precision(weights)
    experts_only = arch.quantized_scope == "experts"
    if w not in ("bf16", "fp16", "fp8") and not experts_only:
        return None
    if arch.is_mla and (cls != "DeepseekV3ForCausalLM" or arch.q_lora_rank is None):
        return None
    counts = SGLANG_LAUNCHES
    fp8 = w == "fp8" and not experts_only

    def linear(n: int = 1) -> int:
        return n * (counts["linear"] + (counts["fp8_linear_extra"] if fp8 else 0))

    # the two (all-reduce, norm) pairs of every layer
    fused_ar = tp > 1 and any(
        cls in classes and gpu_family in families and _release_at_least(release, since)
        for classes, since, families in SGLANG_ALLREDUCE_FUSION
    )
    pair = counts["norm"] if tp == 1 else counts["allreduce_norm_fused" if fused_ar else "allreduce_norm"]
    per_layer_pairs = SGLANG_DP_ATTENTION_LAYER_LAUNCHES if dp else 2 * pair

    # the mixer of a full or sliding attention layer
    if arch.is_mla:
        # deepseek_v2.DeepseekV2AttentionMLA: the fused q/latent down-projection, q_a and kv_a norms, the query
        # up-projection, rope, the output projection around one attention call. The prompt path
        # (forward_normal_prepare/_core, which SGLang picks for a prompt without a cached prefix on trtllm_mla,
        # fa3 and flashinfer): kv_b_proj (run twice in 0.5.6 exactly), the q_pe copy into q, the latent cache
        # write (set_mla_kv_buffer_triton), concat_and_cast_mha_k; the absorbed path (forward_absorb_prepare/_core):
        # the two batched matmuls with w_kc and w_vc, the cache write inside the attention backend
        small = (
            2 * counts["rmsnorm"] + counts["rope"] + counts["attention"]
        )  # the two latent norms, rope, attention
        if one_token_after_prefix:
            mixer = linear(3) + small + 2 + 1  # two bmm, the cache write
        else:
            kv_b = 2 if release == (0, 5, 6) else 1
            mixer = linear(3 + kv_b) + small + 3  # q_pe copy, cache write, key concatenation
    else:
        fused_kv = cls in SGLANG_FUSED_KV_CLASSES and normalize_precision(kv_precision) in ("bf16", "fp16")
        mixer = linear(2) + counts["rope"] + counts["attention"] + (0 if fused_kv else counts["kv_write"])
        if arch.qk_norm_per_layer:
            mixer += counts["qk_norm_tp_fused" if _release_at_least(release, (0, 5, 9)) else "qk_norm_tp"]
        elif arch.qk_norm_per_head:
            mixer += counts["qk_norm_per_head"]
        if arch.attention_output_gate:
            mixer += counts["output_gate"]
    linear_mixer = GATED_DELTANET_LAUNCHES + (3 * counts["fp8_linear_extra"] if fp8 else 0)

    # the MLP of a dense layer and of a MoE layer
    dense = linear(2) + counts["act"]
    moe = 0
    if arch.is_moe:
        experts = expert_precision(arch, w)
        if trtllm_gen_moe:
            runner = {"fp8": "trtllm_fp8", "mxfp4": "flashinfer_mxfp4"}.get(experts)
        else:
            runner = {"bf16": "triton", "fp16": "triton", "fp8": "triton_fp8"}.get(experts)
        if runner is None:
            return None
        if trtllm_gen_moe:
            topk = "bypassed"
        elif cls == "DeepseekV3ForCausalLM" and arch.num_experts in (256, 384):
            topk = "fused_gate"
        elif cls in ("DeepseekV3ForCausalLM", "Glm4MoeForCausalLM"):
            topk = "compiled_grouped"
        else:
            topk = "fused"
        router = counts["linear"] + (
            1 if cls == "MiniMaxM2ForCausalLM" else 0
        )  # MiniMax casts its input to fp32
        if one_token_after_prefix and cls == "DeepseekV3ForCausalLM" and topk == "fused_gate":
            topk_launches = SGLANG_TOPK_LAUNCHES[topk] - 1  # dsv3_router_gemm already writes fp32 logits
        else:
            topk_launches = SGLANG_TOPK_LAUNCHES[topk]
        moe = router + topk_launches + SGLANG_MOE_RUNNER_LAUNCHES[runner]
        if ep > 1 and not trtllm_gen_moe:
            moe += counts["ep_expert_map"]
        # GLM-4.5's one shared expert joins the routed experts on CUDA without expert parallelism
        # (glm4_moe.Glm4MoeForCausalLM.determine_num_fused_shared_experts)
        shared_fused = shared_fused or (cls == "Glm4MoeForCausalLM" and ep == 1)
        if arch.shared_expert_intermediate_size and not shared_fused:
            moe += linear(2) + counts["act"] + counts["add"]
            if arch.shared_expert_gated:
                moe += counts["linear"] + 2  # qwen2_moe._forward_shared_experts: gate GEMM, sigmoid, multiply

    if len(arch.attention_kinds) != len(arch.mlp_kinds):
        return None
    total = SGLANG_FORWARD_LAUNCHES + (SGLANG_DP_ATTENTION_FORWARD_LAUNCHES if dp else 0)
    for kind, mlp in zip(arch.attention_kinds, arch.mlp_kinds, strict=True):
        total += (linear_mixer if kind == "linear" else mixer) + per_layer_pairs
        total += moe if mlp == "moe" else dense if mlp == "dense" else 0
    return total

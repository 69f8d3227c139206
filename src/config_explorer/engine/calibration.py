"""Every efficiency factor and serving default the native engine uses, in one place.

Datasheet peaks are never reached. What a serving step achieves depends on the kernel and the
shape, so the engine models each term physically and takes the achievable fraction from here.

Hopper figures are fitted to ``shared/data/kernels/`` (measured on an H100 SXM and an H200 SXM,
2026-11-23, PyTorch 2.11 + CUDA 13.0; refit with ``benchmarks/fit_kernels.py``):

* decode GEMMs (M <= 8 tokens), least-squares ``time = launch + bytes / bandwidth`` over every
  measured shape: H100 7.9 us + bytes at 2.80 TB/s (0.83 of 3.35), H200 8.8 us + 4.14 TB/s (0.86 of
  4.8); FP8 5.7 us + 0.80 of peak. We take 0.83 of peak and 6 us per GEMM kernel.
* large GEMMs (M >= 2048): median 710 / 703 TFLOP/s bf16 (0.72 of 989), 1267 / 1274 fp8
  (0.64 of 1979).
* decode attention (SDPA on a contiguous cache, > 200 MB of KV): 2.60 / 2.73 TB/s (0.78 / 0.57 of
  peak); vLLM's paged FlashAttention/FlashInfer decode kernels do at least as well, so 0.75.
* causal prefill attention: SDPA (FlashAttention-2 class) reaches 0.14-0.34 of the bf16 peak from
  1k to 32k tokens. The engines run FlashAttention-3-class kernels on Hopper; cuDNN's fused attention,
  timed on an H200 (benchmarks/data/prefill_attention_times.csv), reaches 0.13-0.65 of it by length and
  head count. The engine charges prefill attention in tiles (:mod:`config_explorer.engine.attention`),
  whose rate benchmarks/fit_prefill_attention.py fits at 0.68 of peak.

Other families have no measurement here. Their factors are the Hopper ones scaled by what
public GEMM and bandwidth benchmarks report relative to Hopper, and say so: treat estimates for
them as less certain (``benchmarks/accuracy.py`` covers A100 and L40S with older TensorRT-LLM data).
"""

from __future__ import annotations

import functools
import json
import math
import re
import statistics
from importlib import resources
from typing import Any, Final

import attrs

from config_explorer.precision import normalize_precision

__all__ = [
    "AITER_BLOCK_FP8",
    "AITER_ROWWISE_FP8",
    "BLACKWELL_MLA_32_HEAD_FACTOR",
    "BLACKWELL_MLA_DECODE_BANDWIDTH",
    "BLACKWELL_ULTRA",
    "BLACKWELL_ULTRA_ATTENTION_SHARE",
    "BLACKWELL_ULTRA_GEMM_SHARE",
    "BLACKWELL_WIDE_MLA_DECODE",
    "BLACKWELL_WIDE_MLA_HEADS",
    "COMPRESSED_ATTENTION_BLOCK",
    "COMPRESSED_ATTENTION_SINCE",
    "DECODE_ATTENTION_BANDWIDTH",
    "ENGINE_PROFILES",
    "ENGINE_TITLES",
    "EXPERT_POPULARITY_CV",
    "FP8_DECODE_HEAD_64_FACTOR",
    "FP32_ROUTER_DECODE_US",
    "FP32_ROUTER_MODEL_TYPES",
    "GDN_PREFILL",
    "GPU_GEMM_EFFICIENCY",
    "H100_DECODE_ATTENTION",
    "HOPPER_DECODE_ATTENTION_BANDWIDTH",
    "HOPPER_FP8_DECODE_VALUES_S",
    "HOPPER_FP8_MLA_DECODE_VALUES_S",
    "HOPPER_MLA_DECODE_BANDWIDTH",
    "KDA_PREFILL",
    "NCCL_GATHER_BY_FAMILY",
    "PREFILL_ATTENTION_TILES",
    "SCAN_PREFILL_SLOWDOWN",
    "SGLANG_BLACKWELL_TRITON_MOE_US",
    "SGLANG_COMPRESSED_MAX_RUNNING",
    "SGLANG_CUSTOM_AR_V2_SCALE",
    "SGLANG_CUSTOM_AR_V2_SINCE",
    "SGLANG_DSA_FORCED_DP_RELEASES",
    "SGLANG_DSA_FP8_KV_SINCE",
    "SGLANG_EAGER_LAUNCH_US",
    "SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE",
    "SGLANG_MAMBA_DEFAULT_SLOTS",
    "SGLANG_MAMBA_EXTRA_BUFFER_CLASSES",
    "SGLANG_MAMBA_EXTRA_BUFFER_LATER",
    "SGLANG_MAMBA_EXTRA_BUFFER_SINCE",
    "SGLANG_MAMBA_EXTRA_BUFFER_SLOTS",
    "SGLANG_MAMBA_FULL_MEMORY_RATIO",
    "SGLANG_MAMBA_POOL_BY_MEMORY_SINCE",
    "SGLANG_MAMBA_POOL_PER_GROUP_SINCE",
    "SGLANG_MAMBA_SLOTS_PER_REQUEST",
    "SGLANG_MAMBA_SSM_PRECISION",
    "SGLANG_MAMBA_TRACK_CHUNK",
    "SGLANG_NSA_DENSE_PROMPTS_SINCE",
    "SGLANG_ROCM_GEMMA4_NORM_KERNELS",
    "SGLANG_SWA_FULL_TOKENS_RATIO",
    "SPARSE_MLA_HEAD_PADDING",
    "TRTLLM_CUSTOM_AR_SCALE",
    "TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH",
    "TRTLLM_EAGER_CALL_US",
    "TRTLLM_EAGER_FORWARD_US",
    "TRTLLM_EAGER_KERNEL_US",
    "TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH",
    "TRTLLM_GEN_BLOCK_FP8_MOE",
    "TRTLLM_GEN_MOE_LAYER_US",
    "TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US",
    "TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN",
    "VLLM_CHUNKED_KV_WHOLE_RELEASES",
    "VLLM_CUDAGRAPH_MODE_SINCE",
    "VLLM_CUTLASS_BLOCK_FP8_FIXED_US",
    "VLLM_CUTLASS_BLOCK_FP8_GB_S",
    "VLLM_CUTLASS_BLOCK_FP8_RELEASES",
    "VLLM_CUTLASS_BLOCK_FP8_TFLOPS",
    "VLLM_CUTLASS_FP8_MOE_HELPERS_US",
    "VLLM_CUTLASS_FP8_MOE_RELEASES",
    "VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS",
    "VLLM_DEFAULT_CAPTURE_TOKENS",
    "VLLM_EAGER_MOE_LAYER_US",
    "VLLM_FLASHINFER_GDN_PREFILL_SINCE",
    "VLLM_GPT_OSS_CAPTURE_TOKENS",
    "VLLM_GPT_OSS_FA3_CAPTURE",
    "VLLM_GROUPED_TOPK_FUSED_SCORES_SINCE",
    "VLLM_GROUPED_TOPK_MODEL_TYPES",
    "VLLM_GROUPED_TOPK_US",
    "VLLM_HOPPER_MLA_LAYER_US",
    "VLLM_HYBRID_BLOCK_ALIGNMENT",
    "VLLM_HYBRID_BLOCK_SINCE",
    "VLLM_HYBRID_CACHED_STATE_PAGES",
    "VLLM_HYBRID_PREFIX_CACHING_ALLOWED_SINCE",
    "VLLM_HYBRID_PREFIX_CACHING_SINCE",
    "VLLM_INDEXER_CLEAN_LOGITS_RELEASES",
    "VLLM_INDEXER_LOGITS_ALIGNMENT",
    "VLLM_MAX_CAPTURE_SIZE_SINCE",
    "VLLM_SPARSE_MLA_FULL_TOPK_RELEASES",
    "VLLM_TRITON_BLOCK_FP8_MOE",
    "VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP",
    "EngineProfile",
    "FamilyEfficiency",
    "GemmFactors",
    "SharedExperts",
    "attention_share_scale",
    "blackwell_wide_mla_decode",
    "block_sparse_attention_support",
    "check_prefill_delayer",
    "compressed_attention_support",
    "custom_allreduce_scale",
    "decode_attention_bandwidth",
    "default_kv_precision",
    "efficiency_for",
    "efficiency_for_gpu",
    "expert_format_class",
    "fp8_decode_head_factor",
    "fp32_router",
    "fp32_router_parameters",
    "gdn_prefill_kernel",
    "gemm_share_scale",
    "gemma4_support",
    "indexer_decode_logits_bytes",
    "kimi_delta_attention_support",
    "masks_remote_experts",
    "nemotron_moe_support",
    "pads_compressed_heads",
    "prefill_attention_tiles",
    "profile_for",
    "profile_release",
    "runs_aiter_block_fp8",
    "runs_cutlass_block_fp8",
    "runs_marlin_linears",
    "runs_rowwise_fp8_tiles",
    "runs_trtllm_gen_moe",
    "runs_vllm_triton_block_fp8_moe",
    "sglang_blackwell_triton_moe_us",
    "sglang_early_memory_defaults",
    "sglang_forces_dsa_dp_attention",
    "sglang_gathered_moe_sizes",
    "sglang_graph_batch_sizes",
    "sglang_hopper_mxfp4_runner",
    "sglang_hybrid_prefix_unit",
    "sglang_mamba_extra_buffer",
    "sglang_rocm_unfused_norm_kernels",
    "sglang_state_pool_slots",
    "sglang_window_kv_share",
    "shared_expert_placement",
    "sparse_attention_dense_prompts",
    "sparse_mla_full_topk",
    "sparse_mla_head_padding",
    "triton_moe_compute_multiplier",
    "triton_mxfp4_stream_cap",
    "trtllm_block_fp8_moe_half_width",
    "trtllm_chunked_decode_read_factor",
    "trtllm_cutlass_fp4_factor",
    "trtllm_cutlass_moe_slowdown",
    "trtllm_gathers_moe_tokens",
    "trtllm_gen_block_fp8_moe_rate",
    "trtllm_gen_moe_layer_us",
    "trtllm_holds_window_kv_whole",
    "trtllm_moe_gather_bytes",
    "trtllm_tensorrt_engine",
    "vllm_connector_holds_window_kv_whole",
    "vllm_cudagraph_profile",
    "vllm_cutlass_fp8_moe_helpers",
    "vllm_deepgemm_blackwell_moe_us",
    "vllm_graph_capture_tokens",
    "vllm_grouped_topk_us",
    "vllm_holds_chunked_kv_whole",
    "vllm_hybrid_prefix_caching_allowed",
    "vllm_mla_layer_extra_us",
    "vllm_prefix_caching_default",
]


def expert_format_class(weight_precision: str) -> int:
    """The class of an expert format the per-format MoE constants are indexed by: 0 for 16-bit, 1 for
    8-bit (FP8, INT8), 2 for 4-bit (INT4, MXFP4, NVFP4)."""
    p = normalize_precision(weight_precision)
    if p in ("int4", "mxfp4", "fp4"):
        return 2
    if p in ("fp8", "int8"):
        return 1
    return 0


@attrs.frozen
class FamilyEfficiency:
    """Achievable fractions of datasheet peaks for one GPU family."""

    #: fraction of peak memory bandwidth a weight-streaming GEMM reaches
    gemm_bandwidth: float
    #: fraction of dense peak a large 16-bit GEMM reaches
    gemm_compute_16bit: float
    #: fraction of dense peak a large 8-bit (FP8/INT8) GEMM reaches
    gemm_compute_8bit: float
    #: fraction of peak bandwidth decode attention reaches reading the KV cache
    attention_bandwidth: float
    #: fraction of 16-bit dense peak the tiles of FlashAttention-class attention run at: prefill attention is
    #: charged in tiles at this rate (:mod:`config_explorer.engine.attention`), decode attention's compute too
    attention_compute: float
    #: fixed cost of one GEMM kernel (launch, tail wave), microseconds
    gemm_kernel_us: float
    #: fixed cost of one small kernel (norm, rope, activation, top-k, cache write, scan), microseconds
    small_kernel_us: float
    #: fraction of the per-direction link bandwidth an all-reduce reaches
    link_efficiency: float
    #: fixed cost of one all-reduce call, microseconds (NVLink-class link; PCIe adds ``pcie_allreduce_us``).
    #: Hopper, Blackwell and Ampere: fitted by benchmarks/fit_allreduce.py on the engines' custom all-reduce
    #: replayed in CUDA graphs at decode-step sizes (aiconfigurator's communication database: vLLM and SGLang on the
    #: H200, SGLang on the B200 and A100; the kernels with a share of their own left out: SGLang's JIT kernel of 0.5.12
    #: on, :data:`SGLANG_CUSTOM_AR_V2_SCALE`, and TensorRT-LLM's on Hopper and Blackwell,
    #: :data:`TRTLLM_CUSTOM_AR_SCALE`), held out on vLLM on the B200 and A100, TensorRT-LLM on the A100 and the H100
    allreduce_us: float
    evidence: str
    #: how far this family's efficiencies rest on measurement: "measured" (kernels timed on the family),
    #: "partly measured", "literature" (published microbenchmarks) or "assumed"
    calibration: str = "assumed"
    #: multiprocessors (compute units) the prefill attention kernel's work units spread over: the family's
    #: data-centre part's (H100/H200 SXM 132, B200 148, A100 108, L40S 142, MI300X 304 compute units)
    attention_slots: int = 132
    #: fixed cost of one decode-attention kernel, microseconds: the intercept of time against KV bytes
    #: over the measured decode-attention kernels (benchmarks/fit_kernels.py: 14.7 us on H100 and H200)
    attention_kernel_us: float = 14.7
    #: MoE layer time beyond its kernels' fixed costs on the quantized expert paths, microseconds:
    #: (8-bit, 4-bit) weights add activation quantisation and scale handling around the grouped GEMMs
    moe_quantized_layer_us: tuple[float, float] = (15.0, 25.0)
    #: expert shard width (intermediate / tp) at which a grouped GEMM's compute reaches half the dense
    #: GEMM efficiency, for 16-bit and 8-bit tensor modes
    moe_half_width_16bit: float = 320.0
    moe_half_width_8bit: float = 700.0
    #: fraction of peak memory bandwidth the grouped expert GEMMs reach streaming the experts they touch
    #: (None: ``gemm_bandwidth``); Blackwell's is measured on fused-MoE kernels, apart from dense GEMMs
    moe_bandwidth: float | None = None
    #: fraction of the dense 4-bit (FP4) peak a large FP4 GEMM reaches (None: ``gemm_compute_8bit``)
    gemm_compute_4bit: float | None = None
    #: fraction of the dense 8-bit peak a large GEMM on FP8 weights scaled per block reaches (None:
    #: ``gemm_compute_8bit``, as on Hopper and Blackwell, whose block-scaled kernels keep the per-tensor rate)
    gemm_compute_8bit_block: float | None = None

    def gemm_compute(self, mode: str, *, block_scaled: bool = False) -> float:
        """Fraction of the dense peak of tensor ``mode`` a large GEMM reaches; ``block_scaled``: FP8 weights
        scaled per block."""
        if mode == "fp4" and self.gemm_compute_4bit is not None:
            return self.gemm_compute_4bit
        if mode == "fp8" and block_scaled and self.gemm_compute_8bit_block is not None:
            return self.gemm_compute_8bit_block
        return self.gemm_compute_8bit if mode in ("fp8", "int8", "fp4") else self.gemm_compute_16bit

    def moe_layer_us(self, weight_precision: str) -> float:
        bits = expert_format_class(weight_precision)
        return self.moe_quantized_layer_us[bits - 1] if bits else 0.0

    def moe_half_width(self, mode: str) -> float:
        return self.moe_half_width_8bit if mode in ("fp8", "int8", "fp4") else self.moe_half_width_16bit


_HOPPER = FamilyEfficiency(
    gemm_bandwidth=0.83,
    gemm_compute_16bit=0.72,
    gemm_compute_8bit=0.64,
    attention_bandwidth=0.75,
    attention_compute=0.68,
    gemm_kernel_us=6.0,
    small_kernel_us=1.4,
    link_efficiency=0.80,
    allreduce_us=4.7,
    evidence="fitted to shared/data/kernels (H100 SXM, H200 SXM); all-reduce on aiconfigurator's H200 times",
    calibration="measured",
)

#: per family; anything unknown falls back to "other"
_FAMILIES: Final[dict[str, FamilyEfficiency]] = {
    "hopper": _HOPPER,
    # Blackwell: grouped expert GEMMs streaming every expert (Mixtral TP2 at 4 tokens, Qwen3-30B at 64)
    # reach 5.7-6.0 TB/s on a B200, 0.71-0.74 of its 8 TB/s, where an H200 reaches 0.82 and an H100 0.84
    # (aiconfigurator's TensorRT-LLM kernel database, benchmarks/data/moe_kernel_times.csv): that is
    # moe_bandwidth. Dense decode GEMMs stream at 0.82 of the B200's 7.7 TB/s (the mean of its bf16 and FP8
    # shares, benchmarks/fit_decode_gemm.py on SGLang 0.5.14's GEMMs in the same database; the H100 and
    # H200 rows, held out, read 0.81-0.86 against Hopper's 0.83). Compute-bound GEMMs reach a smaller share
    # of the B200's dense peak than of the H200's: benchmarks/fit_blackwell_gemm.py pairs the same GEMMs
    # (M, N, K >= 4,096) on both in the same database and takes Hopper's fractions times SGLang 0.5.14's
    # median B200/H200 ratio: 0.93 at 16 bits, 0.90 at 8 bits, and NVFP4 0.77 of the H200's 8-bit share
    # (TensorRT-LLM 1.3 and vLLM 0.24, held out: 0.85-0.90, 0.85-0.95, 0.66-0.74). Taken for every
    # Blackwell GPU (B300 and GB200 untimed). Prefill attention's tiles keep Hopper's measured 0.68 of peak
    # for an engine without its own measured kernels; FlashAttention-4's paper reports up to 0.71 of the B200's
    # 16-bit peak and cuDNN 9.13 1.3x slower (about 0.55). vLLM's, SGLang's and TensorRT-LLM's own B200
    # kernels, timed in aiconfigurator's tables, run at 0.50-0.59 (PREFILL_ATTENTION_TILES)
    "blackwell": attrs.evolve(
        _HOPPER,
        gemm_compute_16bit=0.67,
        gemm_compute_8bit=0.58,
        gemm_compute_4bit=0.49,
        gemm_bandwidth=0.82,
        moe_bandwidth=0.73,
        # not measured: vLLM's, SGLang's and TensorRT-LLM's grouped-query decode kernels read at their own timed
        # shares (DECODE_ATTENTION_BANDWIDTH); this stands for MLA layers and other engines
        attention_bandwidth=0.66,
        attention_slots=148,
        allreduce_us=7.4,
        evidence="bandwidth from measured dense GEMMs and MoE kernels, compute from measured GEMMs against "
        "the H200's, all-reduce from measured all-reduces on B200 (aiconfigurator database)",
        calibration="partly measured",
    ),
    # A100: its 16-bit GEMM factors are Hopper's times how the A100 compares with the H100 on the same GEMMs
    # in aiconfigurator's database (benchmarks/fit_ampere_gemm.py, SGLang fitted, TensorRT-LLM and vLLM held
    # out): compute-bound GEMMs reach 1.10x the H100's share of peak (held out 1.07-1.13), decode GEMMs
    # stream at 0.93x its bandwidth share (0.91-0.99) and take 2.0x its launch time (1.8-1.9). No fp8
    # tensor cores (the 8-bit factor, INT8 only, is unmeasured); attention factors from public benchmarks.
    "ampere": FamilyEfficiency(
        gemm_bandwidth=0.77,
        gemm_compute_16bit=0.79,
        gemm_compute_8bit=0.65,
        attention_bandwidth=0.75,
        attention_compute=0.40,
        gemm_kernel_us=12.0,
        small_kernel_us=1.7,
        link_efficiency=0.80,
        attention_slots=108,
        allreduce_us=5.8,
        evidence="16-bit GEMMs measured against the H100's and all-reduces measured (aiconfigurator database); "
        "attention from public A100 microbenchmarks relative to Hopper",
        calibration="partly measured",
    ),
    # Ada (L40S, L4, RTX): GDDR6 streams at ~0.8-0.85 of peak; clocks throttle under sustained
    # tensor load at 300 W / 72 W, so GEMMs sit lower against the boost-clock datasheet figure. The L40S's GEMMs in
    # aiconfigurator's database read lower still (benchmarks/fit_ada_gemm.py: Hopper's factors times its ratios give
    # 0.51 at 16 bits and 0.45 at 8); taken, they make the held-out L40S prompt rows (TensorRT-LLM's static batches,
    # vLLM's lab runs of Qwen3-14B) read 13-20% slow where these read 4-6% slow, so they are printed, not taken: the
    # disagreement is left open. The RTX PRO 6000 replaces the GEMM factors with its own (GPU_GEMM_EFFICIENCY)
    "ada": FamilyEfficiency(
        gemm_bandwidth=0.80,
        gemm_compute_16bit=0.65,
        gemm_compute_8bit=0.60,
        attention_bandwidth=0.72,
        attention_compute=0.35,
        gemm_kernel_us=6.0,
        small_kernel_us=1.7,
        link_efficiency=0.75,
        attention_slots=142,
        allreduce_us=15.0,
        evidence="public Ada microbenchmarks relative to Hopper; not measured here",
        calibration="literature",
    ),
    "turing": FamilyEfficiency(
        gemm_bandwidth=0.75,
        gemm_compute_16bit=0.60,
        gemm_compute_8bit=0.55,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.3,
        link_efficiency=0.70,
        attention_slots=40,
        allreduce_us=20.0,
        evidence="older generation; conservative assumption, not measured here",
    ),
    "volta": FamilyEfficiency(
        gemm_bandwidth=0.78,
        gemm_compute_16bit=0.65,
        gemm_compute_8bit=0.55,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.3,
        link_efficiency=0.70,
        attention_slots=80,
        allreduce_us=15.0,
        evidence="older generation; conservative assumption, not measured here",
    ),
    # MI300X/MI325X: public GEMM benchmarks report ~0.45-0.55 of the 1307 TFLOP/s bf16 peak and
    # ~0.7-0.8 of the 5.3 TB/s HBM3 peak with ROCm 6.x; the software stack lags the silicon. The MoE layer
    # these factors give is read, not fitted, against AITER's measured fused-MoE layers on the MI300X and
    # MI355X (benchmarks/moe_layers.py on data/aiter_fmoe_times.csv, SGLang's ROCm profile): median measured /
    # estimated 1.08 at 1-32 tokens, 1.06 at 64-1,024 and 1.19 at 2,048 or more (tests/test_cdna_moe_layers.py)
    "cdna3": FamilyEfficiency(
        gemm_bandwidth=0.72,
        gemm_compute_16bit=0.50,
        gemm_compute_8bit=0.42,
        attention_bandwidth=0.65,
        attention_compute=0.30,
        gemm_kernel_us=8.0,
        small_kernel_us=2.0,
        link_efficiency=0.70,
        attention_slots=304,
        allreduce_us=15.0,
        evidence="public MI300X GEMM/bandwidth benchmarks (ROCm 6.x); not measured here",
        calibration="literature",
    ),
}
_FAMILIES["cdna2"] = _FAMILIES["cdna3"]
_FAMILIES["cdna4"] = _FAMILIES["cdna3"]
_FAMILIES["other"] = attrs.evolve(_FAMILIES["ampere"], calibration="assumed")

#: extra fixed cost of an all-reduce over PCIe (no NVLink-class link), microseconds
PCIE_ALLREDUCE_US: Final[float] = 25.0
#: SGLang's JIT-compiled custom all-reduce (``CustomAllReduceV2``: one-shot push or pull below per-size thresholds,
#: two-shot pull above them, up to 16 MiB), its default on CUDA from 0.5.12 (``SGLANG_OPT_USE_CUSTOM_ALL_REDUCE_V2``,
#: True in the 0.5.12 and 0.5.14 wheels' environ.py; 0.5.10 and 0.5.11 run it only under the opt-in
#: ``SGLANG_USE_JIT_ALL_REDUCE``). It needs 2-8 GPUs of one node with full NVLink (``THRESHOLD_2_SHOT_MAP``'s world
#: sizes, ``can_use_custom_all_reduce_with_nvlink``), and ``ServerArgs`` turns it off when the server spans nodes
SGLANG_CUSTOM_AR_V2_SINCE: Final[tuple[int, int, int]] = (0, 5, 12)
#: its fixed time over the family's ``allreduce_us``: fitted by benchmarks/fit_allreduce.py on aiconfigurator's
#: SGLang 0.5.14 H200 rows (the median of measured less ring term over the family's fixed cost), held out on its
#: H100 and B200 rows (benchmarks/data/allreduce_times.csv)
SGLANG_CUSTOM_AR_V2_SCALE: Final[float] = 0.60
#: TensorRT-LLM's all-reduce op (its ``AUTO`` strategy picks its own one- and two-shot kernels at decode-step sizes from
#: a table tuned per SM generation: ``selectStrategyLookUpTable``, cpp/tensorrt_llm/common/customAllReduceUtils.h) on
#: Hopper and Blackwell: its fixed time over the family's ``allreduce_us``, fitted by benchmarks/fit_allreduce.py on
#: aiconfigurator's H200 rows (releases 1.2.0rc5-1.3.0rc20), held out on its H100 and B200 rows. Its A100 rows (1.0.0)
#: read at the family's own constant, so Ampere keeps it
TRTLLM_CUSTOM_AR_SCALE: Final[float] = 0.72
#: point-to-point send between pipeline stages, microseconds
PIPELINE_P2P_US: Final[float] = 20.0
#: grouped MoE GEMMs: output columns per tile (vLLM's fused_moe configs for small batches use 64) and
#: the rate one tile streams its weights at; an expert's K dimension walked by one tile bounds the
#: GEMM's time when few experts are touched (fitted with benchmarks/fit_moe.py)
MOE_TILE_N: Final[int] = 64
MOE_TILE_GB_S: Final[float] = 40.0
#: tokens per expert at which a grouped GEMM's tiles are half filled (tile M of 16-64 rows)
MOE_HALF_TOKENS: Final[float] = 16.0
#: vLLM's Marlin MoE kernel (weight-only 4-bit experts dequantized into BF16 ``mma.sync``, not Hopper's
#: ``wgmma``) on Hopper: its expert GEMMs reach this fraction of the 16-bit dense peak at prompt-sized
#: batches, scaled by ``w / (w + MARLIN_MOE_HALF_WIDTH)`` for an expert shard ``w`` wide. Fitted by
#: benchmarks/fit_marlin_moe.py on NVIDIA aiconfigurator's H100 vLLM 0.14 Marlin MoE times at >= 4,096
#: tokens (benchmarks/data/moe_kernel_times.csv); held out on its H200 rows, smaller batches and vLLM
#: 0.24's MXFP4 Marlin rows. vLLM uses it for AWQ/GPTQ-style MoE experts, and for gpt-oss's MXFP4 experts on
#: Hopper until the Triton ``matmul_ogs`` kernels shipped with v0.12 (gpt_oss_hopper_moe_evidence.md)
MARLIN_MOE_COMPUTE: Final[float] = 0.29
MARLIN_MOE_HALF_WIDTH: Final[float] = 110.0
#: the same kernel's (fraction, half width) by GPU family. On Ampere and Ada ``mma.sync`` is the tensor
#: cores' own instruction and vLLM's only path for 4-bit experts (its ``get_mxfp4_backend`` picks Marlin below
#: compute capability 9.0: mxfp4.py in the v0.11.0 and v0.14.0 sdists; AWQ/GPTQ MoE run on Marlin from 8.0).
#: Fitted by benchmarks/fit_marlin_moe.py on aiconfigurator's Marlin layers at >= 4,096 tokens
#: (benchmarks/data/marlin_moe_times.csv): Ampere's fraction at the Hopper half width on SGLang 0.5.10's
#: INT4 layer on the A100 SXM (a free fit there takes a half width of 100); Ada's fraction and half width on
#: vLLM 0.24's gpt-oss MXFP4 layer on the L40S with gpt-oss-20b's shape, held out on gpt-oss-120b's shape
#: (median |log| 0.04) and on the INT4 layer (0.14); both held out on their smaller batches. On Blackwell vLLM runs
#: weight-only INT4 experts (AWQ/GPTQ/compressed-tensors W4A16) on Marlin too (the tensor cores' ``tcgen05`` path is
#: not Marlin's), at Blackwell's own fraction and half width, both fitted on vLLM 0.24's INT4 Marlin layer on the B200
#: with Kimi-K2's shape (384 experts) at >= 4,096 tokens and held out on the B300's and GB200's (median |log| 0.05
#: and 0.08). vLLM 0.19's B200 layers (eleven shapes) ran 1.3-6x slower than 0.24's on the shape both timed
#: (benchmarks/fit_marlin_moe.py prints them), but the held-out CloudRift B200 runs, on a release before either
#: (inferred), read 8-25% fast at 0.24's rate, not 2-4x: 0.19's table is not taken as the rule for older releases
MARLIN_MOE_BY_FAMILY: Final[dict[str, tuple[float, float]]] = {
    "hopper": (MARLIN_MOE_COMPUTE, MARLIN_MOE_HALF_WIDTH),
    "ampere": (0.495, MARLIN_MOE_HALF_WIDTH),
    "ada": (0.515, 320.0),
    "blackwell": (0.145, 180.0),
}
#: the first vLLM release whose Hopper default for MXFP4 experts is the Triton kernel (vendored
#: ``triton_kernels``, vLLM PR #28788; the v0.10.1-v0.11.2 recipes name Marlin)
VLLM_MXFP4_TRITON_SINCE: Final[tuple[int, int]] = (0, 12)
#: the rate the Triton ``matmul_ogs`` kernels of OpenAI's ``triton_kernels`` stream MXFP4 experts at on Hopper, which
#: has no FP4 tensor cores: each weight tile is unpacked and rescaled to 16-bit in registers before its MMA, so the
#: stream is bound by the SMs, not by memory: bytes a second per 16-bit tensor FLOP/s of the GPU's peak (the H100
#: SXM and the H200 SXM, one die at one clock, stream alike though the H200's memory is 1.4x faster). vLLM runs
#: gpt-oss's experts on these kernels there from v0.12 (:data:`VLLM_MXFP4_TRITON_SINCE`). Fitted by
#: benchmarks/fit_hopper_mxfp4_moe.py on NVIDIA aiconfigurator's vLLM 0.24.0 H200 layers of gpt-oss-120b's shape
#: (tensor parallelism 1-8, balanced routing) at 16-256 tokens, where the layer streams its experts
#: (benchmarks/data/hopper_mxfp4_moe_times.csv); held out on the H100's layers, gpt-oss-20b's shape and every other
#: batch
VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP: Final[float] = 0.0029
#: the first vLLM release that picks the MXFP4 experts' kernel by model: gpt-oss keeps its own priority list
#: (``_get_priority_backends_for_gpt_oss``: FlashInfer TRT-LLM, AITER, then Triton, which Hopper takes), every
#: other MXFP4 checkpoint (DeepSeek-V4's experts, compressed-tensors MXFP4) the generic one
#: (``_get_priority_backends``: FlashInfer TRT-LLM MXFP8 and DeepGEMM MXFP4, both SM100 and later, then Marlin),
#: so on Hopper those run on Marlin (``vllm/model_executor/layers/fused_moe/oracle/mxfp4.py``; the split came with
#: DeepSeek-V4 support, vLLM PR #40860, released in 0.20.0; PR #52318, 2026-08, still names Marlin the SM90
#: default for DeepSeek-V4's MXFP4 MoE)
VLLM_MXFP4_MODEL_ORACLE_SINCE: Final[tuple[int, int]] = (0, 20)
#: fixed cost of one MoE token dispatch or combine between attention groups, microseconds: fitted by
#: benchmarks/ep_exchange.py on DeepEP's published low-latency kernel times at EP16/EP32 (H800, 128
#: tokens per GPU; the median of measured time less the modelled transfer), held out on EP8 and EP64-256
EXCHANGE_US: Final[float] = 14.4
#: the NCCL all-gather and reduce-scatter around an engine's MoE layers where attention is data-parallel and the tokens
#: are gathered (``moe_exchange_gathers``, or experts not split by expert parallelism): (fixed microseconds per
#: collective, share of the link rate) by GPU family, fitted by benchmarks/fit_nccl_gather.py on NCCL's measured
#: 16-bit all-gathers and reduce-scatters of 0.25-64 M elements over 2-8 GPUs (aiconfigurator's tables,
#: benchmarks/data/nccl_gather_times.csv) on the H200, B200 and A100, held out on the H100, B300, GB200 and GB300.
#: Other families keep :data:`EXCHANGE_US` and the family's ``link_efficiency``
NCCL_GATHER_BY_FAMILY: Final[dict[str, tuple[float, float]]] = {
    "hopper": (10.2, 0.56),
    "blackwell": (14.3, 0.49),
    "ampere": (18.5, 0.51),
}
#: MLA decode attention (the absorbed form) runs at this share of the GPU's 16-bit peak: FlashMLA's 660
#: TFLOPS on an H800 SXM5 (990 TFLOPS peak) in its compute-bound setting (deepseek-ai/FlashMLA README and
#: docs/20250422-new-kernel-deep-dive.md); taken wherever the engine's own kernel was not timed at many heads a GPU
#: (:data:`BLACKWELL_WIDE_MLA_DECODE` holds the timed ones)
MLA_DECODE_COMPUTE: Final[float] = 660.0 / 990.0
#: the busiest expert-parallel rank's load over the mean, when none is stated. Published whole-step
#: effects of balancing (the MoE share of a step is smaller, so the ranks' own ratio is at least this):
#: SGLang's DeepSeek-V3 EP32 prefill, 59,337 vs 50,302 tok/s per node with simulated-perfect vs its
#: measured expert placement (1.18x; lm-sys blog 2025-05-05-large-scale-ep); ROCm ATOM PR #1210,
#: DeepSeek-V4 EP8 prefill, +16.7% from EPLB without redundant experts; vLLM PR #50647, Kimi EP16,
#: median max/mean rank load 1.069 without EPLB. Evidence: benchmarks/data/ep_evidence.md
EXPERT_IMBALANCE: Final[float] = 1.2
#: how unevenly a step's tokens spread over a MoE layer's experts, when none is stated: the coefficient of variation
#: of the experts' popularity (0: every expert equally likely, the uniform formula E (1 - (1 - k/E)^n)). Real routing
#: is skewed: SGLang's saved expert distribution of one DeepSeek layer on mixed traffic (PR #5524, 16 experts' counts)
#: reads CV 0.70; NVIDIA's DeepSeek-R1 single-domain decode statistics (TensorRT-LLM tech blog #4) read 1.28. The
#: mixed-traffic figure is taken (benchmarks/data/moe_routing_skew_evidence.md, sections 1.A and 1.C; not fitted on
#: benchmarks/accuracy.py's rows). Measured runs bear it out: benchmarks/routing_floor.py finds CloudRift's vLLM
#: Qwen3-Next runs at 40 clients on RTX PRO 6000s faster than the experts uniform routing would touch can be read at
#: the datasheet bandwidth. The kernel-table scripts estimate their layers at 0, the routing their fits were made with
EXPERT_POPULARITY_CV: Final[float] = 0.7
#: the largest popularity skew taken (a few experts take nearly every token)
MAX_EXPERT_POPULARITY_CV: Final[float] = 4.0


#: Blackwell Ultra: the share of its own dense peak a GPU's large GEMMs reach over the share its Blackwell twin's reach
#: of the twin's (the B300 against the B200, the GB300 against the GB200), by the engine's fraction (16-, 8-, 4-bit),
#: which scales the family's fractions on it. Their NVFP4 peaks are 1.5x their twins' on the datasheets, but
#: aiconfigurator's measured NVFP4 GEMMs run only 1.06-1.2x faster; their 16- and 8-bit peaks equal their twins',
#: and their GEMMs run 1.04-1.19x faster. Fitted by benchmarks/fit_blackwell_gemm.py on SGLang 0.5.14's GEMMs of
#: each pair (benchmarks/data/gemm_times.csv, the same shape and dtype on both, M, N and K >= 4,096); TensorRT-LLM
#: 1.3.0rc20's and vLLM 0.24.0's held out. A Blackwell Ultra GPU of another name takes the B300's
BLACKWELL_ULTRA_GEMM_SHARE: Final[dict[str, dict[str, float]]] = {
    "B300": {"16-bit": 1.04, "8-bit": 1.07, "4-bit": 0.69},
    "GB300": {"16-bit": 1.19, "8-bit": 1.13, "4-bit": 0.71},
}
#: Blackwell Ultra (B300, GB300): its prompt attention's tile rate over the Blackwell family's (its 16-bit
#: datasheet peak is the B200's and GB200's; NVIDIA credits it with twice the attention-layer rate of its
#: special-function units, which compute the softmax's exponentials). Fitted by benchmarks/fit_prefill_attention.py
#: on SGLang 0.5.14's B300 rows of 32 and 64 heads in aiconfigurator's context-attention tables
#: (benchmarks/data/context_attention_times.csv); its other heads, TensorRT-LLM's and vLLM's B300 rows and every
#: engine's GB300 rows held out
BLACKWELL_ULTRA_ATTENTION_SHARE: Final[float] = 1.22
#: a Gated DeltaNet layer's prompt step on the engine's chunked-scan kernel (its causal convolution and chunked
#: delta-rule scan), by kernel: (a fixed time beyond the launches the engine charges, microseconds; nanoseconds per
#: token of a prompt chunk, the chain from chunk to chunk that the prompts of a step run side by side; nanoseconds
#: per prompt token and value head on the GPU, the work). The kernels: flash-linear-attention's Triton
#: ``chunk_gated_delta_rule`` (SGLang's default, and vLLM's before it picked FlashInfer's), FlashInfer's (vLLM from
#: :data:`VLLM_FLASHINFER_GDN_PREFILL_SINCE`) and TensorRT-LLM's own. Fitted by benchmarks/fit_gdn_prefill.py on
#: NVIDIA aiconfigurator's B200 layers of Qwen3.5's shapes, one prompt of 1,024 tokens and more
#: (benchmarks/data/gdn_prefill_times.csv); held out on four prompts, the H100's, H200's and B300's layers and
#: shorter prompts. The former charge, the recurrence's arithmetic at the attention rate, read these layers
#: several times short
GDN_PREFILL: Final[dict[str, tuple[float, float, float]]] = {
    "triton": (17.0, 27.7, 1.58),
    "flashinfer": (7.71, 38.1, 0.303),
    "trtllm": (6.5, 24.3, 1.35),
}
#: the same three terms for a Kimi Delta Attention layer's prompt step (Kimi Linear, Kimi K3) on flash-linear-
#: attention's Triton ``chunk_kda``, charged to every engine: fitted by benchmarks/fit_gdn_prefill.py on NVIDIA
#: aiconfigurator's SGLang 0.5.16 B200 layers of Kimi-K3's shape (benchmarks/data/kda_prefill_times.csv); held out on
#: the B300, GB200 and GB300, four prompts and shorter prompts. FlashKDA (timed in a vLLM development build) runs
#: faster; the release that first picks it is not known
KDA_PREFILL: Final[tuple[float, float, float]] = (28.1, 34.7, 3.34)
#: the linear-attention scans' time (:data:`GDN_PREFILL`, :data:`KDA_PREFILL`, fitted on the B200) on a GPU of an
#: earlier family, over the B200's: the median measured / estimated over the H200's Gated DeltaNet layers of 1,024
#: prompt tokens and more, every engine's kernel (benchmarks/fit_gdn_prefill.py); held out on the H100's. The B300
#: reads within 4% of the B200's terms, so Blackwell keeps them
SCAN_PREFILL_SLOWDOWN: Final[float] = 1.2


#: the first vLLM release known to run Gated DeltaNet prompts on FlashInfer's kernel by default: aiconfigurator's
#: vLLM 0.24.0 tables time ``chunk_gated_delta_rule_flashinfer``. vLLM PR #32846 (merged 2026-02-09) made it the
#: default on Hopper and PR #40717 (merged 2026-05-20) on Blackwell; the releases that first carried them are not
#: pinned, so earlier releases keep the Triton kernel's time
VLLM_FLASHINFER_GDN_PREFILL_SINCE: Final[tuple[int, int]] = (0, 24)


def gdn_prefill_kernel(profile: EngineProfile) -> str:
    """The chunked-scan kernel ``profile``'s engine runs Gated DeltaNet prompts on (a key of
    :data:`GDN_PREFILL`): TensorRT-LLM its own, vLLM FlashInfer's from
    :data:`VLLM_FLASHINFER_GDN_PREFILL_SINCE` (a profile without a release follows the newest), every other the
    Triton kernel of flash-linear-attention (SGLang's ``--linear-attn-prefill-backend`` default)."""
    if profile.name == "trtllm":
        return "trtllm"
    if profile.name == "vllm":
        release = profile_release(profile)
        if release is None or release >= VLLM_FLASHINFER_GDN_PREFILL_SINCE:
            return "flashinfer"
    return "triton"


#: the catalog's ``architecture`` of the GPUs :data:`BLACKWELL_ULTRA_GEMM_SHARE` applies to
BLACKWELL_ULTRA: Final = "Blackwell Ultra"


def attention_share_scale(architecture: str | None) -> float:
    """What scales the family's prompt-attention rate on a GPU of ``architecture``:
    :data:`BLACKWELL_ULTRA_ATTENTION_SHARE` on Blackwell Ultra, else 1."""
    return BLACKWELL_ULTRA_ATTENTION_SHARE if architecture == BLACKWELL_ULTRA else 1.0


def gemm_share_scale(name: str, architecture: str | None, mode: str) -> float:
    """What scales the family's GEMM compute fraction in tensor ``mode`` on the GPU ``name`` of ``architecture``:
    its row of :data:`BLACKWELL_ULTRA_GEMM_SHARE` on Blackwell Ultra (the B300's for one it does not name), else 1."""
    if architecture != BLACKWELL_ULTRA:
        return 1.0
    bits = ("16-bit", "8-bit", "4-bit")[expert_format_class(mode)]
    return BLACKWELL_ULTRA_GEMM_SHARE.get(name, BLACKWELL_ULTRA_GEMM_SHARE["B300"])[bits]


@attrs.frozen
class GemmFactors:
    """One GPU's own measured GEMM factors, which replace its efficiency family's (:class:`FamilyEfficiency`'s
    fields of the same names)."""

    gemm_compute_16bit: float
    gemm_compute_8bit: float
    gemm_compute_8bit_block: float | None
    gemm_compute_4bit: float | None
    gemm_bandwidth: float


#: the RTX PRO 6000 Blackwell's GEMM factors, which replace its efficiency family's (Ada's: it runs that family's
#: kernel class, ``mma.sync`` tensor cores and GDDR memory, but its GEMMs reach larger shares of its own peaks): fitted
#: by benchmarks/fit_ada_gemm.py as Hopper's factors times the Server Edition's share over the H100's (16-bit, decode
#: bandwidth) or the H200's (8-bit; NVFP4 against the H200's 8-bit GEMMs) on the same GEMMs in SGLang 0.5.14
#: (aiconfigurator's database, benchmarks/data/gemm_times.csv); TensorRT-LLM 1.3.0rc20's and vLLM 0.24.0's ratios,
#: held out, read 0.91-1.03x the fitted ones. FP8 weights scaled per block run at 0.77 of the per-tensor rate on the
#: same GEMMs (TensorRT-LLM's, the one framework the database times both in; an H200 or B200 keeps 0.9-1.2 of it,
#: the L40S 0.57-0.71). The Workstation Edition (the same chip, clocked higher: its catalog peaks are its own) is
#: untimed and takes the Server Edition's shares
_RTX_PRO_6000_GEMM: Final = GemmFactors(
    gemm_compute_16bit=0.8,
    gemm_compute_8bit=0.77,
    gemm_compute_8bit_block=0.59,
    gemm_compute_4bit=0.71,
    gemm_bandwidth=0.91,
)
GPU_GEMM_EFFICIENCY: Final[dict[str, GemmFactors]] = {
    "RTX PRO 6000 Server": _RTX_PRO_6000_GEMM,
    "RTX PRO 6000 Workstation": _RTX_PRO_6000_GEMM,
}


def efficiency_for(family: str) -> FamilyEfficiency:
    return _FAMILIES.get(family, _FAMILIES["other"])


def efficiency_for_gpu(name: str, family: str) -> FamilyEfficiency:
    """The efficiencies the GPU ``name`` of ``family`` runs at: its family's, with its own measured GEMM factors
    where :data:`GPU_GEMM_EFFICIENCY` has them."""
    family_eff = efficiency_for(family)
    own = GPU_GEMM_EFFICIENCY.get(name)
    if own is None:
        return family_eff
    return attrs.evolve(
        family_eff,
        gemm_compute_16bit=own.gemm_compute_16bit,
        gemm_compute_8bit=own.gemm_compute_8bit,
        gemm_compute_8bit_block=own.gemm_compute_8bit_block,
        gemm_compute_4bit=own.gemm_compute_4bit,
        gemm_bandwidth=own.gemm_bandwidth,
        evidence=f"{name}: GEMMs measured against Hopper's (aiconfigurator database); otherwise "
        + family_eff.evidence,
        calibration="partly measured",
    )


@attrs.frozen
class MemoryBudget:
    """How one engine release budgets GPU memory before it sizes the KV cache (per GPU, GiB).

    vLLM V1 (``gpu_worker.determine_available_memory``): the KV cache gets ``total x
    gpu_memory_utilization`` (``total`` as ``torch.cuda.mem_get_info`` sees it) less the weights, the
    torch peak of a profile run and the non-torch memory that grew meanwhile (NCCL, cuBLAS). The profile
    run is one forward pass of ``max_num_batched_tokens`` tokens split over ``min(max_num_seqs,
    tokens)`` requests, then the sampler on those requests' logits (gathered to the whole vocabulary,
    copied to fp32, sorted for top-k/top-p): its peak grows with requests x vocabulary.
    """

    #: peak bytes of the profile's sampler step per (request, vocabulary entry), and a base, GiB
    sampler_bytes_per_logit: float
    sampler_base_gib: float
    #: non-torch memory that grows during start-up, one GPU alone and with tensor parallelism
    non_torch_gib: float
    non_torch_tp_gib: float
    #: CUDA-graph memory subtracted before the KV cache is sized (vLLM >= 0.21: its estimate), or
    #: captured afterwards out of the (1 - utilization) headroom (earlier releases)
    cuda_graphs_in_budget: bool
    evidence: str
    #: ``gpu_memory_utilization`` where none is given: 0.9, and 0.92 from 0.21, the release that subtracts the
    #: CUDA-graph estimate (vLLM PR #38284 turned the estimate on and raised the default with it: ``CacheConfig.
    #: gpu_memory_utilization`` defaults to 0.92; a 0.29.0 start-up without the flag prints 0.92)
    default_utilization: float = 0.9


#: vLLM releases by their first version, each with the budget it follows; fitted by
#: ``benchmarks/fit_memory.py`` on the Llama-3.1-8B and Qwen3 start-up logs of each era and scored
#: on every other logged start-up in benchmarks/data/vllm_startup_memory.csv
_VLLM_0_17 = MemoryBudget(
    sampler_bytes_per_logit=13.6,
    sampler_base_gib=0.26,
    non_torch_gib=0.25,
    non_torch_tp_gib=2.1,
    cuda_graphs_in_budget=False,
    evidence="vLLM 0.17-0.19 start-up logs on H100 (llm-d planner sweep)",
)
VLLM_MEMORY_BUDGETS: Final[tuple[tuple[tuple[int, int], MemoryBudget], ...]] = (
    (
        (0, 10),
        MemoryBudget(
            sampler_bytes_per_logit=39.0,
            sampler_base_gib=0.0,
            non_torch_gib=0.13,
            non_torch_tp_gib=0.55,
            cuda_graphs_in_budget=False,
            evidence="v0.11-era llm-d start-up logs on H100 (full-vocabulary sort of fp32 logits in the sampler)",
        ),
    ),
    ((0, 17), _VLLM_0_17),
    (
        (0, 21),
        attrs.evolve(
            _VLLM_0_17,
            cuda_graphs_in_budget=True,
            evidence="as 0.17, and the CUDA-graph estimate is subtracted (default since v0.21.0, as its log says)",
            default_utilization=0.92,
        ),
    ),
)
#: the vLLM release the ``vllm`` profile follows when no version is given: the V1 engine as most
#: published measurements ran it (0.10-0.11)
DEFAULT_VLLM_VERSION: Final = "0.11"
#: the first vLLM release that runs the V1 engine by default. Before it, the V0 engine schedules,
#: prepares inputs and samples in the same process as the model, between steps, so its host time per
#: step blocks the GPU: about 2 ms per step (1-4 ms) and 0.03-0.06 ms per running sequence once 0.6's
#: asynchronous output processing is on (benchmarks/data/vllm_host_overhead_evidence.md, section C:
#: the scheduler at ~2 ms per call, PRs #4261/#4280; 20 ms of host time at 200 sequences, issue #6801;
#: output processing 0.1 ms per sequence, issue #6913). Taken at the middle of those ranges, not fitted
VLLM_V1_SINCE: Final[tuple[int, int]] = (0, 8)
VLLM_V0_STEP_OVERHEAD_MS: Final[float] = 2.0
#: the first vLLM release whose V1 engine replays a decode step as one full CUDA graph by default. Through
#: 0.10.0 ``CompilationConfig.full_cuda_graph`` defaults to False, so V1 captures only torch.compile's piecewise
#: graphs, split at the attention ops (``splitting_ops``: ``vllm.unified_attention`` and
#: ``unified_attention_with_output``), and every layer's attention runs eagerly between the replayed pieces
#: (vllm/config.py in the 0.10.0 sdist); 0.10.1 and 0.10.2 resolve an unset ``cudagraph_mode`` to PIECEWISE
#: (vllm/config/__init__.py); 0.11.0 resolves it to FULL_AND_PIECEWISE (vLLM PR #25444), full graphs for
#: uniform decode batches on every backend it ships (FlashAttention 2/3, FlashInfer, FlashMLA, Triton, ROCm
#: attention and AITER MLA all declare at least ``AttentionCGSupport.UNIFORM_SINGLE_TOKEN_DECODE``). Steps that
#: carry prompt tokens replay piecewise graphs in every V1 release. ``--compilation-config
#: '{"full_cuda_graph": false}'`` is the default before 0.11 and changes nothing from 0.11 (only True sets a mode)
VLLM_FULL_DECODE_GRAPHS_SINCE: Final[tuple[int, int]] = (0, 11)
#: the first vLLM release whose V1 engine takes ``CompilationConfig.cudagraph_mode`` (``CUDAGraphMode``; 0.10.1
#: and 0.10.2 resolve it unset to PIECEWISE, see :data:`VLLM_FULL_DECODE_GRAPHS_SINCE`)
VLLM_CUDAGRAPH_MODE_SINCE: Final[tuple[int, int, int]] = (0, 10, 1)


def vllm_cudagraph_profile(profile: EngineProfile, mode: str | None) -> EngineProfile:
    """``profile`` replaying its decode steps as ``mode`` (vLLM's ``cudagraph_mode``) says: ``FULL_AND_PIECEWISE``
    in one full graph, ``PIECEWISE`` in piecewise graphs with each layer's attention eager between them (the host
    time :data:`VLLM_PIECEWISE_SPLIT_US` charges); None: the release's own. A release before
    :data:`VLLM_CUDAGRAPH_MODE_SINCE`, or the V0 engine, has no such setting."""
    from config_explorer.errors import InvalidArgumentError

    if mode is None:
        return profile
    release = profile_release(profile)
    if (
        profile.name != "vllm"
        or profile.v0_chunk_tokens
        or (release is not None and release < VLLM_CUDAGRAPH_MODE_SINCE)
    ):
        since = ".".join(map(str, VLLM_CUDAGRAPH_MODE_SINCE))
        raise InvalidArgumentError(
            f"engine option cudagraph_mode is vLLM V1's CompilationConfig setting (from {since}); "
            f"{profile.name} {profile.version or ''} has none: leave it unset"
        )
    return attrs.evolve(profile, full_decode_graphs=mode == "FULL_AND_PIECEWISE")


#: vLLM V1's largest captured step, tokens: ``min(2 x max_num_seqs, 512)`` unless the launch sets the sizes
#: (``SchedulerConfig.__post_init__``'s ``cuda_graph_sizes`` in 0.10-0.11, ``VllmConfig._set_cudagraph_sizes``'
#: ``max_cudagraph_capture_size`` from 0.12)
VLLM_DEFAULT_CAPTURE_TOKENS: Final[int] = 512
#: except for gpt-oss, whose ``GptOssForCausalLMConfig`` raises it (vllm/model_executor/models/config.py): to 1,024 in
#: 0.10.1.1 and 0.10.2 and again from 0.12.0 (read in 0.12.0, 0.13.0, 0.14.0, 0.16.0 and 0.20.0), and to
#: :data:`VLLM_GPT_OSS_FA3_CAPTURE`'s 992 in its releases (0.11.0: the largest full graph FlashAttention 3 then took)
VLLM_GPT_OSS_CAPTURE_TOKENS: Final[int] = 1024
VLLM_GPT_OSS_FA3_CAPTURE: Final[tuple[tuple[tuple[int, int, int], tuple[int, int, int]], int]] = (
    ((0, 11, 0), (0, 12, 0)),
    992,
)
#: the first vLLM release whose launch states the largest captured step itself (``--max-cudagraph-capture-size``:
#: ``CompilationConfig.max_cudagraph_capture_size``, 0.12.0's vllm/config/compilation.py), its sizes stepping by 16
#: from 256 up (``VllmConfig._set_cudagraph_sizes``, vllm/config/vllm.py). Before it ``--cuda-graph-sizes N`` captured
#: ``[1, 2, 4] + range(8, N + 1, 8)`` (``VllmConfig._set_cudagraph_sizes`` in 0.10.1.1 and 0.11.0), and gpt-oss's config
#: replaced a single stated size below its own with its own list (``GptOssForCausalLMConfig``, 0.10.2 and 0.11.0);
#: from 0.12 it keeps a stated size
VLLM_MAX_CAPTURE_SIZE_SINCE: Final[tuple[int, int, int]] = (0, 12, 0)


def _largest_captured(limit: int, *, sixteens: bool) -> int:
    """The largest of vLLM's captured sizes up to ``limit`` tokens: 1, 2, 4, then every 8 (every 16 from 256 on, where
    ``sixteens``)."""
    if limit < 8:
        return 4 if limit >= 4 else 2 if limit >= 2 else 1
    if sixteens and limit >= 256:
        return 256 + (limit - 256) // 16 * 16
    return limit // 8 * 8


def vllm_graph_capture_tokens(
    profile: EngineProfile,
    *,
    model_class: str,
    max_num_seqs: int,
    max_num_batched_tokens: int | None = None,
    stated: int | None = None,
) -> int:
    """The most tokens a step of ``profile``'s vLLM V1 engine may hold and still replay a captured graph: the largest
    size it captures up to ``stated`` (``--max-cudagraph-capture-size``; None: :data:`VLLM_DEFAULT_CAPTURE_TOKENS`,
    or gpt-oss's :data:`VLLM_GPT_OSS_CAPTURE_TOKENS`), never above ``max_num_batched_tokens`` (vLLM drops the sizes
    above the step budget), by the release's list of sizes (:data:`VLLM_MAX_CAPTURE_SIZE_SINCE`).
    ``profile.graph_max_tokens`` for any other engine, for vLLM's V0 engine and where it captures none
    (``--enforce-eager``). A profile without a release follows the newest rules read."""
    if profile.name != "vllm" or profile.v0_chunk_tokens or not profile.graph_max_tokens:
        return profile.graph_max_tokens
    release = profile_release(profile)
    modern = release is None or release >= VLLM_MAX_CAPTURE_SIZE_SINCE
    size = min(2 * max_num_seqs, VLLM_DEFAULT_CAPTURE_TOKENS) if stated is None else stated
    sixteens = modern
    if model_class == "GptOssForCausalLM" and (stated is None or not modern):
        releases, tokens = VLLM_GPT_OSS_FA3_CAPTURE
        raised = tokens if _released_within(profile, releases) else VLLM_GPT_OSS_CAPTURE_TOKENS
        if size < raised:  # its own list in place of a single size below it (before 0.12, a stated one too)
            size, sixteens = raised, True
    if max_num_batched_tokens is not None:
        size = min(size, max_num_batched_tokens)
    return _largest_captured(size, sixteens=sixteens)


#: host time per attention layer a V1 step in piecewise graphs pays beyond a full-graph replay (the eager
#: attention op between two replayed pieces), microseconds: vLLM PR #20059's table (Qwen2.5-1.5B-Instruct, 28
#: layers, ShareGPT, 100 prompts at 1 request/s) prints a median ITL of 5.39 ms with piecewise graphs and 4.97 ms
#: with a full decode graph, 0.42 ms over 28 layers (its TPOT median 5.42 vs 5.02 ms gives 14 us; at 5-100
#: requests/s the ITL gap is 0.39-0.65 ms, 14-23 us a layer). PR #16072 (full graphs on FA3) reports 7% off the
#: median TPOT of the same model. Read off those runs, not fitted to benchmarks/accuracy.py's rows. A step with
#: prompt tokens, up to the largest captured size, replays the same piecewise graphs in every V1 release and
#: pays it too
VLLM_PIECEWISE_SPLIT_US: Final[float] = 15.0
#: host time each MoE layer adds to a vLLM step that runs eagerly (above the largest captured graph size, or under
#: ``--enforce-eager``), microseconds, beyond its counted kernels' issue time. torch.compile traces around the
#: ``vllm::moe_forward`` custom op, so outside a CUDA graph its Python runs on every layer: routing (grouped top-k's
#: several PyTorch ops), the modular expert kernel's prepare, quantize, permute and finalize steps, each a dispatch.
#: No published figure isolates it per layer, so it is fitted: the median over benchmarks/accuracy.py's
#: ``EAGER_FIT_ROWS`` (CloudRift's vLLM runs at one request in flight, GLM-4.6-FP8 and Qwen3-Coder-480B-AWQ on H100,
#: H200 and RTX PRO 6000 GPUs, whose 1,000-token prompts each run as one eager step) of (measured TTFT - estimated
#: TTFT without it) over the model's MoE layers, printed by ``accuracy.py --fit-eager-moe-host``; every other row is
#: held out. What it implies elsewhere agrees in size: vLLM issue #56975 (GLM-5.3-Flash, four GB200s, nightly
#: 0.28.1rc1) timed 4,096-token steps at 171 ms eager and 105 ms as piecewise graphs; vLLM issue #41306 timed
#: Mixtral-8x7B's 4,096-token TTFT (an eight-H200 machine, its tensor parallelism not read) 32.5 ms longer in 0.20.0
#: than in 0.19.0 over its 32 MoE layers, the dense models unchanged (0.19.0's path cost less: an earlier release may
#: run nearer 0)
VLLM_EAGER_MOE_LAYER_US: Final[float] = 1250.0
VLLM_V0_PER_SEQUENCE_OVERHEAD_MS: Final[float] = 0.045
#: what the V0 engine's output processing (detokenising, stop checks, building each sequence's output)
#: adds to a step per running sequence where it runs between steps instead of beside the next one: before
#: 0.6.0, which added asynchronous output processing, and in 0.6-0.7 under ``--enforce-eager``, with which
#: the CUDA and ROCm platforms refuse it ("async output processor cannot be used",
#: ``is_async_output_supported`` in vllm/platforms/cuda.py). The PRs that made it asynchronous measured what
#: it took off the step at about 0.05 ms a sequence: TPOT 28.10 -> 21.36 ms at about 130 running (PR #7921,
#: Llama-3.1-8B on an H100, 10 requests/s of 1,024/512 tokens) and 44.48 -> 32.38 ms at up to 256 (PR #8050,
#: ShareGPT, 500 requests); benchmarks/data/vllm_host_overhead_evidence.md, sections A7-A8. Not fitted
VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE: Final[float] = 0.05
#: the first vLLM release with asynchronous output processing (on by default; PR #7049 and its follow-ups)
VLLM_ASYNC_OUTPUT_SINCE: Final[tuple[int, int]] = (0, 6)
#: the first TensorRT-LLM release with the XQA kernel, which decodes grouped- and multi-query attention
#: with tensor cores, reading a KV head once for its group of query heads. Before it the masked
#: multi-head attention kernel ran generation steps one query head per thread block (its block index is the
#: query head; the KV head is that index over the group size), loading the shared K and V for each. NVIDIA's
#: XQA post (TensorRT-LLM docs, blogs/XQA-kernel.md, 2024-01-30: "will be included in the v0.8 releases")
#: measured Llama-70B FP8 at 128/2048 at 2.4x the throughput on one H200 and 1.9x on eight with it.
TRTLLM_XQA_SINCE: Final[tuple[int, int]] = (0, 8)
#: the first TensorRT-LLM release whose generation steps attend within Llama 4's chunks
#: (``xqaParams.chunked_attention_size`` set from the layer's ``attention_chunk_size`` unless
#: ``TRTLLM_DISABLE_CHUNKED_ATTENTION_IN_GEN_PHASE``; NVIDIA/TensorRT-LLM PR #4693, 2025-05-27, "enable
#: chunked-attention in the generation-phase by default"; the 0.21 release notes list the "performance
#: regression with full chunked attention support for LLaMA4 models" beyond 8K tokens, PR #6247). Off
#: Blackwell no XQA kernel takes a chunk: ``supportConfigCommon`` in
#: cpp/tensorrt_llm/kernels/decoderMaskedMultiheadAttention/decoderXQAImplJIT/kernelUtils.cpp refuses any
#: ``chunked_attention_size`` (JIT is the default XQA path), and ``AttentionOp::enqueueGeneration`` falls back
#: to the masked multi-head attention kernel, one query head a thread block; on Blackwell the TensorRT-LLM-gen
#: generation kernels take the chunk (``XqaDispatcher::runImpl`` passes ``mChunkedAttentionSize``)
TRTLLM_CHUNKED_DECODE_SINCE: Final[tuple[int, int]] = (0, 21)
#: from this release Llama 4's layers drop the chunk where the engine's ``max_seq_len`` is below it, so XQA
#: decodes them (``Llama4Attention`` in tensorrt_llm/_torch/models/modeling_llama.py; PR #6306, 2025-07-23:
#: "XQA does not support chunked attention at the moment, while MMHA supports chunked attention but is
#: slower"); before it the chunk held at every length
TRTLLM_CHUNKED_DECODE_SHORT_SINCE: Final[tuple[int, int]] = (1, 0)
#: the V0 engine's scheduler defaults (``SchedulerConfig`` in vllm/config.py, ``EngineArgs`` in
#: vllm/engine/arg_utils.py, v0.6.3.post1 to v0.7.3 sdists): ``max_num_seqs`` 256 on every GPU; chunked
#: prefill only when ``max_model_len`` exceeds 32,768 tokens, with a budget of 512 tokens through v0.6.4
#: and 2,048 from v0.6.5; otherwise no chunking and a budget of ``max(max_model_len, 2048)``
VLLM_V0_MAX_NUM_SEQS: Final[int] = 256
VLLM_V0_LONG_CONTEXT: Final[int] = 32_768
VLLM_V0_MIN_BATCHED_TOKENS: Final[int] = 2048
VLLM_V0_CHUNK_TOKENS: Final[tuple[tuple[tuple[int, int, int], int], ...]] = (
    ((0, 6, 5), 2048),
    ((0, 0, 0), 512),
)
#: the first vLLM release that schedules asynchronously by default: ``SchedulerConfig.async_scheduling``
#: defaults to None there, which ``VllmConfig`` resolves to True unless pipeline parallelism, a
#: non-EAGLE/MTP draft or the Ray executor rules it out (vllm/config/scheduler.py and vllm/config/vllm.py in
#: the v0.14.0 sdist; through v0.13.0 it defaults to False and ``--async-scheduling`` turns it on)
VLLM_ASYNC_SCHEDULING_SINCE: Final[tuple[int, int]] = (0, 14)
#: the first vLLM release that keeps prefix caching on by default for a model with recurrent (Mamba,
#: linear-attention) layers (``EngineArgs`` resolves None to ``ModelConfig.is_prefix_caching_supported``, True for
#: hybrid models from 0.28.0: engine/arg_utils.py and config/model.py in the 0.28.0 wheel). 0.26 and 0.27 still
#: leave hybrid models out of the default (``and not model_config.is_hybrid``), 0.11.1 to 0.25 take theirs from
#: ``not is_hybrid`` or ``is_prefix_caching_supported``, False for them: before 0.28 a hybrid model caches
#: prefixes only when the launch asks for it
VLLM_HYBRID_PREFIX_CACHING_SINCE: Final[tuple[int, int]] = (0, 28)
#: the first vLLM release that lets a hybrid model cache prefixes at all: 0.11.0's
#: ``MambaModelConfig.verify_and_update_config`` turns it off for them whatever the launch says (model_executor/
#: models/config.py, lines 295-298); 0.11.1 keeps it where asked, for the model classes marked
#: ``SupportsMambaPrefixCaching`` until 0.15 (Qwen3-Next is not one of them), for every hybrid model from 0.15
VLLM_HYBRID_PREFIX_CACHING_ALLOWED_SINCE: Final[tuple[int, int, int]] = (0, 11, 1)
#: the first vLLM release read that sizes a hybrid model's attention blocks to hold one recurrent layer's state per
#: page (``HybridAttentionMambaModelConfig.verify_and_update_config``, model_executor/models/config.py in the v0.11.0
#: sdist: ``16 x cdiv(mamba page, 16 x attention page of one token)``; platforms/interface.py keeps the rule in
#: 0.34.0 with the attention backend's kernel alignment, 16 for the catalog's hybrid models)
VLLM_HYBRID_BLOCK_SINCE: Final[tuple[int, int]] = (0, 11)
#: the kernel alignment of those blocks, tokens
VLLM_HYBRID_BLOCK_ALIGNMENT: Final[int] = 16
#: Mamba state pages vLLM budgets a request of a hybrid model while it caches prefixes ("align" mode, which 0.28.0
#: sets for every hybrid model when prefix caching is on: model_executor/models/config.py; the state spec's
#: ``max_memory_usage_bytes``, v1/kv_cache_interface.py), against one without
VLLM_HYBRID_CACHED_STATE_PAGES: Final[int] = 2
#: CUDA-graph pool per GPU: a base plus a share per layer on the stage (vLLM 0.19 logs: 0.51 GiB at 8
#: layers to 1.8 GiB at 80)
CUDA_GRAPH_BASE_GIB: Final[float] = 0.35
CUDA_GRAPH_PER_LAYER_GIB: Final[float] = 0.016


def parse_version(text: str) -> tuple[int, int]:
    """``"0.11.0"`` -> (0, 11); raises our error for anything else."""
    from config_explorer.errors import InvalidArgumentError

    parts = str(text).strip().lstrip("v").split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        raise InvalidArgumentError(
            f"cannot read engine version {text!r}; accepted: a release number such as 0.11.0"
        ) from None


def vllm_memory_budget(version: str) -> MemoryBudget:
    key = parse_version(version)
    chosen = VLLM_MEMORY_BUDGETS[0][1]
    for since, budget in VLLM_MEMORY_BUDGETS:
        if key >= since:
            chosen = budget
    return chosen


#: SGLang's defaults by the GPU's memory (``_handle_gpu_memory_settings`` in python/sglang/srt/server_args.py,
#: the same table in the 0.5.7 and 0.5.12 wheels): (memory below, GiB; ``chunked_prefill_size``;
#: ``cuda_graph_max_bs`` below TP4; at TP4 and above)
SGLANG_MEMORY_TIERS: Final[tuple[tuple[float, int, int, int], ...]] = (
    (20.0, 2048, 8, 8),
    (35.0, 2048, 24, 80),
    (60.0, 4096, 32, 160),
    (160.0, 8192, 256, 512),
    (float("inf"), 16384, 512, 512),
)


#: the first SGLang release that sizes ``chunked_prefill_size`` and ``cuda_graph_max_bs`` by
#: :data:`SGLANG_MEMORY_TIERS` (``_handle_gpu_memory_settings``: the 0.5.3 wheel has it, 0.5.2's does not)
SGLANG_MEMORY_TIERS_SINCE: Final[tuple[int, int, int]] = (0, 5, 3)


def sglang_early_memory_defaults(
    release: tuple[int, int, int], gpu_memory_gib: float, *, tp: int, dp_attention: int = 1
) -> tuple[int, int] | None:
    """(``chunked_prefill_size``, largest graphed decode batch) an SGLang release before
    :data:`SGLANG_MEMORY_TIERS_SINCE` picks for a GPU of ``gpu_memory_gib`` (its own MiB figure, as
    ``get_device_memory_capacity`` reads it), read in the 0.4.3-0.5.2 wheels (``ServerArgs.__post_init__`` and
    ``get_batch_sizes_to_capture`` in model_executor/cuda_graph_runner.py); None from that release on.

    - Below 0.4.6: a prompt chunk of 8,192 tokens (2,048 under 25,000 MiB) and decode graphs to 160 sequences
      (``cuda_graph_max_bs`` 160; under 25,000 MiB 8 below TP4, else 80).
    - 0.4.6: the same, the graph list reaching 256 on a GPU above 81,920 MiB without data-parallel attention.
    - 0.4.7: a chunk of 16,384 above 180,000 MiB; graphs to 256 above 96 GiB and to 512 above 180,000 MiB.
    - 0.4.8 to 0.5.2: a chunk of 2,048 under 35 GiB, 8,192 under 160 GiB, 16,384 above; graphs to 160, 256 above
      90 GiB and 512 above 160,000 MiB (under 35 GiB ``cuda_graph_max_bs`` 8 below TP4, else 80)."""
    if release >= SGLANG_MEMORY_TIERS_SINCE:
        return None
    mib = gpu_memory_gib * 1024
    small_graphs = 8 if tp < 4 else 80
    if release < (0, 4, 7):
        if mib < 25_000:
            return 2048, small_graphs
        wide = release >= (0, 4, 6) and mib > 81_920 and dp_attention == 1
        return 8192, 256 if wide else 160
    if release < (0, 4, 8):
        if mib < 25_000:
            return 2048, small_graphs
        chunk = 16384 if mib > 180_000 else 8192
        return chunk, 512 if mib > 180_000 else 256 if mib > 96 * 1024 else 160
    if mib < 35 * 1024:
        return 2048, small_graphs
    chunk = 8192 if mib < 160 * 1024 else 16384
    return chunk, 512 if mib > 160_000 else 256 if mib > 90 * 1024 else 160


@attrs.frozen
class EngineProfile:
    """Scheduler defaults and host-side costs of one serving engine.

    Defaults follow each engine's source: vLLM's ``EngineArgs.get_batch_defaults`` sets ``max_num_seqs``
    1024 and ``max_num_batched_tokens`` 8192 for the API server on GPUs with >= 70 GiB that are not an
    A100 (256 / 2048 otherwise);
    SGLang's ``chunked_prefill_size`` and ``cuda_graph_max_bs`` follow the GPU's memory (``memory_tiers``:
    :data:`SGLANG_MEMORY_TIERS`; its ``max_num_batched_tokens_*`` fields are not read); ``trtllm-bench`` picks
    batch 2048 and 8192 tokens for max-throughput runs.
    """

    name: str
    max_num_seqs_large_gpu: int
    max_num_seqs_small_gpu: int
    max_num_batched_tokens_large_gpu: int
    max_num_batched_tokens_small_gpu: int
    #: host time per scheduler step not hidden behind the GPU (scheduling, sampling, detokenising), ms
    step_overhead_ms: float
    #: further host time per running sequence per step, ms
    per_sequence_overhead_ms: float
    #: GPU memory the engine keeps outside weights and KV (CUDA context, graphs, allocator slack), GiB
    #: (SGLang and TensorRT-LLM; vLLM budgets through ``memory``)
    runtime_overhead_gib: float
    #: KV admission: "current" admits while the blocks a sequence holds *now* fit (vLLM, SGLang:
    #: preempt on overflow), "full" reserves prompt + max output up front (TensorRT-LLM's default
    #: GUARANTEED_NO_EVICT scheduler), which halves the batch when outputs are long
    kv_admission: str = "current"
    #: time a request spends in the serving front end before and around its first token, outside the GPU
    #: steps: HTTP and chat-template handling, tokenisation, scheduler hand-off, first-token streaming (ms)
    request_overhead_ms: float = 0.0
    #: of that, the part before the scheduler sees a request (HTTP, tokenising the prompt), ms; the rest
    #: is on the first token's way back (response stream set-up, detokeniser start) and delays only TTFT
    arrival_delay_ms: float = 0.0
    #: time one front-end (API-server) process spends on each streamed output token, microseconds: it
    #: delivers at most ``1e6 / frontend_token_us`` tokens per second (0: not modelled)
    frontend_token_us: float = 0.0
    #: whether the decode attention kernel reads each KV head once for all the query heads that share it
    #: (every engine today); False for a kernel that works per query head and reads the shared KV head
    #: again for each, so a grouped-query model decodes with a multi-head model's KV traffic
    #: (TensorRT-LLM before :data:`TRTLLM_XQA_SINCE`)
    grouped_decode_attention: bool = True
    #: bytes a value of the rotary embedding's cos/sin table the engine keeps whole on every GPU
    #: (:func:`~config_explorer.engine.layout.rope_cache_bytes`): None, the model's own dtype (vLLM's and
    #: SGLang's ``cos_sin_cache`` buffer); 4.0, float32 (TensorRT-LLM's PyTorch backend); 0.0, none counted
    rope_table_value_bytes: float | None = None
    #: the engine release this profile follows, and (vLLM) how that release budgets memory
    version: str = ""
    memory: MemoryBudget | None = None
    #: steps of at most this many tokens replay captured CUDA graphs (vLLM V1: piecewise graphs for
    #: batch sizes up to min(2 x max_num_seqs, 512); SGLang: decode batches up to cuda_graph_max_bs; 0: the
    #: engine captures none, as vLLM with --enforce-eager)
    graph_max_tokens: int = 512
    #: whether steps that carry prompt tokens can replay graphs (SGLang runs prefill batches eagerly
    #: unless its piecewise graphs are on: :func:`sglang_piecewise_graph_tokens`)
    prefill_in_graphs: bool = True
    #: the most tokens a step carrying prompt tokens may hold and still replay graphs (0: ``graph_max_tokens``)
    prefill_graph_max_tokens: int = 0
    #: the decode batch sizes (per attention group) that replay a graph where the engine runs only a batch whose
    #: size it captured (TensorRT-LLM's PyTorch backend without ``cuda_graph_config.enable_padding``:
    #: :func:`trtllm_decode_graphs`); empty: a batch up to ``graph_max_tokens`` is padded up to a captured size
    graph_batch_sizes: tuple[int, ...] = ()
    #: the decode batch sizes (per attention group) an engine that pads rounds a batch up to, computing the padded
    #: rows as well (TensorRT-LLM with ``enable_padding``: its captured sizes); empty: no padding charged
    graph_padded_sizes: tuple[int, ...] = ()
    #: host time, microseconds, a step replayed as piecewise graphs spends on each attention layer, whose
    #: attention op runs eagerly between the replayed pieces (vLLM V1: :data:`VLLM_PIECEWISE_SPLIT_US`; 0: none
    #: charged, SGLang's piecewise prompt graphs being charged by ``eager_kernel_us`` instead)
    piecewise_split_us: float = 0.0
    #: whether a decode-only step replays one whole graph rather than piecewise graphs (vLLM V1 from
    #: :data:`VLLM_FULL_DECODE_GRAPHS_SINCE`)
    full_decode_graphs: bool = True
    #: whether an MLA model's prompt attention runs in its absorbed (decode) form in those graphed prompt
    #: steps: SGLang's dispatch returns ``AttnForwardMethod.MLA`` for every attention backend inside a
    #: piecewise graph (``models/deepseek_common/attention_backend_handler.py``, 0.5.12)
    absorbed_mla_prefill: bool = False
    #: host time to issue one kernel when a step runs eagerly: the step cannot finish before the host
    #: has issued every kernel (Python dispatch and launch), microseconds
    eager_kernel_us: float = 4.0
    #: host time each MoE layer adds to an eager step beyond its counted kernels, microseconds (vLLM:
    #: :data:`VLLM_EAGER_MOE_LAYER_US`, its MoE custom op's Python; 0: none beyond ``eager_kernel_us``)
    eager_moe_layer_us: float = 0.0
    #: host time to issue one kernel launch of an eager step where the step's launches are counted from the engine's
    #: own model code (``ShardCosts.eager_launches``), microseconds; 0: ``eager_kernel_us`` per counted kernel
    #: (SGLang: :data:`SGLANG_EAGER_LAUNCH_US`)
    eager_launch_us: float = 0.0
    #: host time of an eager forward beyond its counted launches (embedding, logits, sampler, the step's metadata),
    #: microseconds, where ``eager_launch_us`` charges them (TensorRT-LLM: :data:`TRTLLM_EAGER_FORWARD_US`)
    eager_forward_us: float = 0.0
    #: whether the counted launches are those of the prompt (context) forward only, so they set the issue time of a
    #: step with prompt tokens and a generation-only eager step keeps ``eager_kernel_us`` per kernel (TensorRT-LLM,
    #: whose generation forward takes another path); SGLang's count stands for every eager step
    eager_launches_prompt_only: bool = False
    #: whether that issue time runs ahead of the GPU, so an eager step lasts the longer of the two rather
    #: than their sum (TensorRT-LLM's PyTorch executor: :data:`TRTLLM_EAGER_KERNEL_US`); SGLang's eager forward
    #: reads values back on the host inside the step, so there the two add
    eager_overlaps: bool = False
    #: scheduler policy the simulator follows: "vllm" (V1), "sglang" or "trtllm"
    scheduler: str = "vllm"
    #: the host prepares the next step while the GPU runs this one (vLLM's async scheduling), so a step
    #: lasts the longer of its GPU work and its host time rather than their sum
    async_scheduling: bool = False
    #: the engine forms step k + 1 while the GPU runs step k, its host time already counted as hidden in
    #: ``step_overhead_ms`` (SGLang's overlap scheduler, ``event_loop_overlap`` in
    #: python/sglang/srt/managers/scheduler.py, 0.5.6 and 0.5.9 wheels; TensorRT-LLM's PyTorch executor,
    #: ``_executor_loop_overlap`` in tensorrt_llm/_torch/pyexecutor/py_executor.py, on unless
    #: ``disable_overlap_scheduler``). With it, or with ``async_scheduling``, a request reaching a busy engine
    #: waits a step longer (:attr:`schedules_ahead`)
    overlap_scheduler: bool = False
    #: tokens per KV-cache block (page)
    block_size: int = 16
    #: GPUs with at least this much memory get the large defaults ...
    large_gpu_gib: float = 70.0
    #: ... unless their name contains one of these (vLLM keeps A100s on the small defaults: a larger
    #: token budget lowered their throughput, vLLM PR #17885)
    small_default_gpus: tuple[str, ...] = ()
    #: vLLM's V0 engine: chunked prefill's default budget, which it takes only for a ``max_model_len`` above
    #: :data:`VLLM_V0_LONG_CONTEXT` (0: a V1-era profile, whose defaults do not depend on it)
    v0_chunk_tokens: int = 0
    #: the step token budget and the largest decode batch replayed as a graph by the GPU's memory, where the
    #: engine sets them so (SGLang: :data:`SGLANG_MEMORY_TIERS`); empty: the fields above
    memory_tiers: tuple[tuple[float, int, int, int], ...] = ()

    @property
    def schedules_ahead(self) -> bool:
        """Whether the engine forms each step before the one in flight has finished, so a request that
        arrives while a step runs joins the step after next (:class:`~config_explorer.engine.simulator.
        SchedulerConfig`'s ``schedules_ahead``)."""
        return self.async_scheduling or self.overlap_scheduler

    def memory_tier(self, gpu_memory_gib: float, tp: int, dp_attention: int = 1) -> tuple[int, int] | None:
        """(step token budget, largest graphed decode batch) for a GPU of ``gpu_memory_gib`` at ``tp``, from
        ``memory_tiers`` (None: the engine does not tier them); an SGLang release before the tiers takes its own
        defaults (:func:`sglang_early_memory_defaults`)."""
        if self.memory_tiers and self.version:
            early = sglang_early_memory_defaults(
                _release(self.version), gpu_memory_gib, tp=tp, dp_attention=dp_attention
            )
            if early is not None:
                return early
        for below, tokens, small_tp, large_tp in self.memory_tiers:
            if gpu_memory_gib < below:
                return tokens, small_tp if tp < 4 else large_tp
        return None

    def _large(self, gpu_name: str, gpu_memory_gib: float) -> bool:
        excluded = any(part.lower() in gpu_name.lower() for part in self.small_default_gpus)
        return gpu_memory_gib >= self.large_gpu_gib and not excluded

    def max_num_seqs(self, gpu_name: str, gpu_memory_gib: float) -> int:
        large = self._large(gpu_name, gpu_memory_gib)
        return self.max_num_seqs_large_gpu if large else self.max_num_seqs_small_gpu

    def max_num_batched_tokens(self, gpu_name: str, gpu_memory_gib: float, max_model_len: int = 0) -> int:
        """The default token budget of a step; a V0-era vLLM's depends on ``max_model_len``: above
        :data:`VLLM_V0_LONG_CONTEXT` it chunks prompts into ``v0_chunk_tokens``, else it does not chunk and
        takes ``max(max_model_len, 2048)`` (modelled as a step of that budget under the same scheduler)."""
        if self.v0_chunk_tokens:
            if max_model_len > VLLM_V0_LONG_CONTEXT:
                return self.v0_chunk_tokens
            return max(max_model_len, VLLM_V0_MIN_BATCHED_TOKENS)
        tier = self.memory_tier(gpu_memory_gib, 1)
        if tier is not None:
            return tier[0]
        large = self._large(gpu_name, gpu_memory_gib)
        return self.max_num_batched_tokens_large_gpu if large else self.max_num_batched_tokens_small_gpu


#: host time per kernel of an eager step, us (counted as ``roofline.issued_kernels`` counts them: one
#: per fused kernel; an eager forward issues several PyTorch ops around each), added to the step's GPU
#: work. SGLang runs prefill batches in eager PyTorch: fitted on the one published pair of forward times,
#: SGLang PR #12160's 1-token DeepSeek-V3 prefill, 82.6 ms eager less 23.1 ms replayed as a CUDA graph,
#: over the 1,149 kernels it issues at TP8 on Hopper (the PR names no GPU; there SGLang fuses the shared
#: expert into the routed experts). benchmarks/eager_prefill.py prints the fit and checks it held out on
#: tokenspeed PR #597's 2,048-token eager and graphed prefill and on SGLang PR #13094's TTFT with and
#: without piecewise CUDA graphs. vLLM's torch.compile'd (Inductor) code issues kernels with little
#: Python around them, TensorRT-LLM's C++ runtime less still (assumptions, not fitted)
EAGER_KERNEL_US: Final[dict[str, float]] = {"vllm": 4.0, "sglang": 51.8, "trtllm": 1.0}
#: host time per launch SGLang's eager forward issues from Python, us, where its launches are counted from its model
#: code (``engine.sglang_eager.sglang_eager_launches``: the model classes, layer kinds and MoE runners read there;
#: anything else keeps ``EAGER_KERNEL_US["sglang"]`` per kernel). Fitted on the same one published pair: SGLang PR
#: #12160's 1-token DeepSeek-V3 prefill after one cached token, 82.6 ms eager less 23.1 ms replayed as a CUDA graph,
#: over the 1,589 launches that forward issues at TP8 on Hopper (the absorbed MLA path, 26 a MoE layer: the norms and
#: all-reduces, four block-FP8 projections with their input quantizations, two batched matmuls, rope, the cache write
#: and attention, the router GEMM, moe_fused_gate and the Triton FP8 expert path with the shared expert fused in);
#: benchmarks/eager_prefill.py prints the fit. Of the same order as SGLang PR #29843's own reading of its metadata
#: path, "~25 small aten ops" taking "~0.7-1.0 ms of pure dispatch" (28-40 us each) on some hosts
SGLANG_EAGER_LAUNCH_US: Final[float] = 37.5
#: TensorRT-LLM's PyTorch backend issuing an eager step's kernels from Python, microseconds a kernel: a third-party
#: trace of release 1.3.0rc14 (gpt-oss-120b, two B200s, 886-token mixed steps at four requests) timed the host's
#: model-engine forward at 30.6-31.1 ms against a 12.6 ms kernel-only probe, and the steps on the device at
#: 31.4-33.4 ms: the host ran ahead and set the step. 30.9 ms over the 506 kernels the engine counts for that
#: step (benchmarks/data/trtllm_ttft_evidence.md). Held out on every other TensorRT-LLM row
TRTLLM_EAGER_KERNEL_US: Final[float] = 61.0
#: the same trace's split of that forward's host time (benchmarks/data/trtllm_ttft_evidence.md): its 36 decoder-layer
#: calls took 24.389 and 23.740 ms of the 31.116 and 30.632 ms forward, in the two mixed steps traced
TRTLLM_TRACE_LAYERS_MS: Final[tuple[float, float]] = (24.389, 23.740)
TRTLLM_TRACE_FORWARD_MS: Final[tuple[float, float]] = (31.116, 30.632)
#: TensorRT-LLM's PyTorch backend issuing an eager context forward from Python, microseconds a kernel-issuing call
#: (``engine.trtllm_eager.trtllm_eager_calls``: the calls its model code makes, where that code was read): the trace's
#: decoder-layer host time over the 289 calls gpt-oss-120b's 36 layers make (benchmarks/data/
#: trtllm_eager_launch_evidence.md). Held out on every other TensorRT-LLM row whose forward is counted
TRTLLM_EAGER_CALL_US: Final[float] = round(
    sum(TRTLLM_TRACE_LAYERS_MS) / len(TRTLLM_TRACE_LAYERS_MS) * 1e3 / (36 * 8 + 1), 1
)
#: the rest of that forward's host time (embedding, logits, sampler, the step's metadata), microseconds
TRTLLM_EAGER_FORWARD_US: Final[float] = round(
    (sum(TRTLLM_TRACE_FORWARD_MS) - sum(TRTLLM_TRACE_LAYERS_MS)) / len(TRTLLM_TRACE_FORWARD_MS) * 1e3
)
#: the part of the front-end time before the scheduler: an HTTP request and tokenising a prompt take
#: a couple of milliseconds (an assumption); it is what delays a closed-loop client's next request
ARRIVAL_DELAY_MS: Final[float] = 2.0
#: front-end time per request (HTTP, chat template, tokenising, streaming back), ms. vLLM's is the median TTFT
#: residual over the named low-load rows of benchmarks/accuracy.py (FIT_ROWS: three vLLM pages); every other
#: row is held out. SGLang's is measured, not fitted: a server whose forward is a fixed 2.632 ms busy wait
#: (the tt-sglang-plugin CPU mock; tenstorrent/tt-inference-server issue #3560, 2026-05-18: one request, 128
#: prompt tokens, /v1/chat/completions through ``vllm bench serve``) printed a median TTFT of 9.54 ms and a
#: TPOT of 2.94 ms, so 9.54 - 2.632 - 0.31 ms (the scheduler's tick, TPOT less the forward) = 6.6 ms went
#: to the front end (benchmarks/data/sglang_host_evidence.md, section E). GPUStack's Qwen3-8B SGLang run, its
#: fit row before, would fit -14.3 ms (the eager prefill the engine charges there, not a front end); it is held
#: out. TensorRT-LLM's is trtllm-serve's (the server its launch commands start), read off one third-party trace of
#: release 1.3.0rc14 (gpt-oss-120b, two B200s, four requests; benchmarks/data/trtllm_ttft_evidence.md,
#: section 4), not fitted: server arrival to executor arrival 2.69 ms, first token to the server's response
#: 2.04 ms, client less server 5.24 ms. trtllm-bench and gptSessionBenchmark run in-process and pay none of
#: it; their rows score throughput and static batches, which do not count it
TRTLLM_SERVE_ARRIVAL_MS: Final[float] = 2.69
SGLANG_FRONTEND_MS: Final[float] = 6.6
REQUEST_OVERHEAD_MS: Final[dict[str, float]] = {
    "vllm": 10.0,
    "sglang": SGLANG_FRONTEND_MS,
    "trtllm": TRTLLM_SERVE_ARRIVAL_MS + 2.04 + 5.24,
}
#: vLLM's API-server process (HTTP, detokenising, one server-sent event per token) per streamed output
#: token, microseconds: 1e6 / 34,078.85, the output rate vLLM PR #27869 printed for gpt-oss-20b on one
#: B200 at 1,024 concurrent streams with one API server and a token per event; the vLLM team's gpt-oss
#: blog (2026-02-01) credits fewer events with +57% on that run, so the front end, not the GPU, set it
#: (benchmarks/data/frontend_ceiling_evidence.md; one measured run on an unstated host CPU, about +-50%).
#: ``--api-server-count N`` runs N such processes. SGLang delivered 66,941 tok/s from one server in the
#: repository's own points (gpt-oss-120b on four B200s) and TensorRT-LLM has no published figure, so
#: neither is capped
FRONTEND_TOKEN_US: Final[float] = 1e6 / 34_078.85

#: the host time SGLang's scheduler loop adds to each step when its overlap scheduler is off (pipeline
#: parallelism, speculative decoding, recurrent layers with the radix cache on, --disable-overlap-schedule),
#: beyond what a step charges with it on: 0.61 ms a step at 16 running requests (PR #5608: Llama-3.1-8B TP4
#: decode, 3,053.86 tok/s with the serial loop, 3,458.31 with the overlap loop) and 0.74 ms at one (PR #38131:
#: LFM2, whose hybrid layers' own host work is in it, 364.3 vs 498.5 tok/s); the v0.4 overlap scheduler's
#: 1.1x on a 3,000-prompt run (PR #1738, lmsys.org 2024-12-04) is about 1 ms a step at about 100 running:
#: 0.6 ms a step and 0.004 ms a running sequence (benchmarks/data/sglang_host_evidence.md; read off those
#: runs, not fitted to benchmarks/accuracy.py's rows)
SGLANG_SERIAL_STEP_MS: Final[float] = 0.6
SGLANG_SERIAL_SEQUENCE_MS: Final[float] = 0.004

#: the largest decode batch TensorRT-LLM's PyTorch backend captures CUDA graphs for when the launch leaves
#: ``cuda_graph_config`` at its default: ``CudaGraphConfig()`` (the LLM-API field's ``default_factory``) has
#: ``max_batch_size`` 0, which its validator turns into 128, and ``enable_padding`` False
#: (tensorrt_llm/llmapi/llm_args.py; the release pages' DecodeCudaGraphConfig reference, 1.3.0rc27: "If neither is
#: provided, a default max_batch_size of 128 is used"). trtllm-serve passes no cuda_graph_config of its own
TRTLLM_GRAPH_MAX_BATCH: Final = 128
#: the first TensorRT-LLM release whose PyTorch backend captures decode graphs when the launch says nothing: before
#: it ``use_cuda_graph`` defaulted to False (``PyTorchConfig`` in 0.19, the flat ``TorchLlmArgs`` fields in 0.20);
#: NVIDIA/TensorRT-LLM PR #5480 (July 2025) made ``cuda_graph_config`` default to ``CudaGraphConfig()``, in the
#: 1.0.0 release candidates (the rc that first has it is not pinned; 1.0.0 has it)
TRTLLM_DEFAULT_GRAPHS_SINCE: Final[tuple[int, int]] = (1, 0)
#: the steps a TensorRT engine (the backend before 1.0) replays as graphs: an assumption carried from before the
#: PyTorch backend's graphs were read (its C++ runtime's graph policy was not read)
TRTLLM_ENGINE_GRAPH_MAX_TOKENS: Final = 2048


def trtllm_graph_batch_sizes(max_batch_size: int, *, padding: bool) -> tuple[int, ...]:
    """The decode batch sizes TensorRT-LLM captures CUDA graphs for, given ``cuda_graph_config``'s
    ``max_batch_size`` and ``enable_padding`` (``CudaGraphConfig._generate_cuda_graph_batch_sizes`` in
    tensorrt_llm/llmapi/llm_args.py): without padding every size to 31, then 32, 64 and 128; with it 1, 2, 4 and
    the multiples of 8 to 128; then the powers of two from 256 below ``max_batch_size``; every one above
    ``max_batch_size`` dropped and ``max_batch_size`` itself added."""
    if max_batch_size < 1:
        raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
    base = [1, 2, 4, *range(8, 129, 8)] if padding else [*range(1, 32), 32, 64, 128]
    sizes = sorted({size for size in base if size <= max_batch_size})
    power = 256
    while 2 * power <= max_batch_size:  # the powers of two below the largest one up to max_batch_size
        sizes.append(power)
        power *= 2
    if not sizes or sizes[-1] != max_batch_size:
        sizes.append(max_batch_size)
    return tuple(sizes)


#: the step between padded decode graph sizes above 128 in TensorRT-LLM's finer padded set (NVIDIA/TensorRT-LLM PR
#: #12895, explained by PR #13393's blog: "+64 increment" sizes beat the power-of-two ones by up to 1.3x aggregated
#: throughput at high concurrency, for about 260 MB more graph memory on DeepSeek-R1); releases that predate it take
#: the set as an explicit ``batch_sizes`` list
TRTLLM_FINE_PADDING_STEP: Final = 64


def trtllm_fine_padded_sizes(max_batch_size: int) -> tuple[int, ...]:
    """TensorRT-LLM's finer padded decode graph sizes up to ``max_batch_size``: 1, 2, 4, the multiples of 8 to 128,
    then every :data:`TRTLLM_FINE_PADDING_STEP` from 192, and ``max_batch_size`` itself."""
    if max_batch_size < 1:
        raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
    base = [1, 2, 4, *range(8, 129, 8), *range(192, max_batch_size + 1, TRTLLM_FINE_PADDING_STEP)]
    sizes = sorted({size for size in base if size <= max_batch_size})
    if not sizes or sizes[-1] != max_batch_size:
        sizes.append(max_batch_size)
    return tuple(sizes)


def trtllm_captured_graph_sizes(
    sizes: tuple[int, ...], max_batch_size: int, *, padding: bool
) -> tuple[int, ...]:
    """The decode graph sizes TensorRT-LLM captures of sorted ``sizes`` for an executor that runs at most
    ``max_batch_size`` requests (``_filter_cuda_graph_batch_sizes`` in tensorrt_llm/_torch/pyexecutor/
    model_engine.py): those up to ``max_batch_size``; with padding, a size above it captures ``max_batch_size``
    itself too, so that the largest batch still pads to a graph."""
    kept = tuple(size for size in sizes if size <= max_batch_size)
    if padding and len(kept) < len(sizes) and kept[-1:] != (max_batch_size,):
        return (*kept, max_batch_size)
    return kept


def trtllm_decode_graphs(
    profile: EngineProfile,
    *,
    max_batch_size: int | None = None,
    padding: bool = False,
    batch_sizes: tuple[int, ...] | None = None,
) -> EngineProfile:
    """``profile`` (TensorRT-LLM's PyTorch backend) replaying the decode graphs a ``cuda_graph_config`` of
    ``max_batch_size`` (None: the default, :data:`TRTLLM_GRAPH_MAX_BATCH`) and ``enable_padding`` captures. The
    executor replays a graph only for a generation-only batch: with padding, one of at most ``max_batch_size``
    requests, rounded up to the next captured size; without, only a batch of exactly a captured size
    (:func:`trtllm_graph_batch_sizes`), any other running eagerly, its kernels issued from Python
    (:data:`TRTLLM_EAGER_KERNEL_US`) (``CUDAGraphRunner.maybe_get_cuda_graph``, ``_round_up_batch_size`` in
    tensorrt_llm/_torch/pyexecutor/cuda_graph_runner.py). Under attention data parallelism each rank's batch is its
    own, and without padding the ranks replay graphs only while their batches are equal. ``batch_sizes`` (the
    config's own list) replaces the generated sizes. A padded batch runs as the next captured size up, every rank at
    the largest rank's (``_get_padded_batch``: the dummy requests' rows pass through every GEMM and expert layer), so
    a coarse list costs compute (a rank of 300 requests runs 384 or 512 rows). A release before
    :data:`TRTLLM_DEFAULT_GRAPHS_SINCE` captures none unless told to."""
    release = profile_release(profile)
    told = max_batch_size is not None or padding or batch_sizes is not None
    if not told and release is not None and release[:2] < TRTLLM_DEFAULT_GRAPHS_SINCE:
        return attrs.evolve(profile, graph_max_tokens=0, graph_batch_sizes=(), graph_padded_sizes=())
    largest = batch_sizes[-1] if batch_sizes else max_batch_size or TRTLLM_GRAPH_MAX_BATCH
    sizes = batch_sizes or trtllm_graph_batch_sizes(largest, padding=padding)
    return attrs.evolve(
        profile,
        graph_max_tokens=largest,
        graph_batch_sizes=() if padding else sizes,
        graph_padded_sizes=sizes if padding else (),
    )


ENGINE_PROFILES: Final[dict[str, EngineProfile]] = {
    # vLLM V1 overlaps scheduling with the GPU only partly: its EngineCore's host time per step blocks
    # the GPU at about 0.3-1 ms per step and 0.005-0.02 ms per running sequence (sampler metadata, input
    # preparation, update_from_output; benchmarks/data/vllm_host_overhead_evidence.md, section C, read off
    # a no-op-model V1 loop and V1 micro-benchmarks). 0.5 ms and 0.0125 ms (the per-sequence range's
    # middle; it was 0.004 until the V0 figures below were sourced) lie inside them; neither is fitted
    "vllm": EngineProfile(
        name="vllm",
        max_num_seqs_large_gpu=1024,
        max_num_seqs_small_gpu=256,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=2048,
        step_overhead_ms=0.5,
        per_sequence_overhead_ms=0.0125,
        runtime_overhead_gib=1.5,
        version=DEFAULT_VLLM_VERSION,
        memory=vllm_memory_budget(DEFAULT_VLLM_VERSION),
        request_overhead_ms=REQUEST_OVERHEAD_MS["vllm"],
        arrival_delay_ms=ARRIVAL_DELAY_MS,
        frontend_token_us=FRONTEND_TOKEN_US,
        small_default_gpus=("A100",),
        piecewise_split_us=VLLM_PIECEWISE_SPLIT_US,
        eager_moe_layer_us=VLLM_EAGER_MOE_LAYER_US,
    ),
    "sglang": EngineProfile(
        name="sglang",
        max_num_seqs_large_gpu=1024,
        max_num_seqs_small_gpu=256,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=2048,
        step_overhead_ms=0.4,
        per_sequence_overhead_ms=0.003,
        runtime_overhead_gib=1.5,
        scheduler="sglang",
        block_size=1,
        memory_tiers=SGLANG_MEMORY_TIERS,
        prefill_in_graphs=False,
        eager_kernel_us=EAGER_KERNEL_US["sglang"],
        eager_launch_us=SGLANG_EAGER_LAUNCH_US,
        request_overhead_ms=REQUEST_OVERHEAD_MS["sglang"],
        arrival_delay_ms=ARRIVAL_DELAY_MS,
        overlap_scheduler=True,
    ),
    # TensorRT-LLM's PyTorch backend (the default from 1.0): its executor keeps the scheduler's host work off
    # the critical path, but replays CUDA graphs for generation-only steps alone; a step carrying a context
    # request runs the model eagerly (``can_run_cuda_graph``; prefill graphs are off unless asked for), its
    # kernels issued from Python ahead of the GPU (TRTLLM_EAGER_KERNEL_US). A TensorRT engine (the backend
    # before 1.0, NIM before 1.15) issues nothing from Python: :func:`trtllm_tensorrt_engine`
    "trtllm": EngineProfile(
        name="trtllm",
        max_num_seqs_large_gpu=2048,
        max_num_seqs_small_gpu=512,
        max_num_batched_tokens_large_gpu=8192,
        max_num_batched_tokens_small_gpu=4096,
        step_overhead_ms=0.2,
        per_sequence_overhead_ms=0.001,
        runtime_overhead_gib=1.0,
        # ``RopeParams.create_rope_const_params`` (tensorrt_llm/_torch/attention_backend/interface.py, at
        # 000a01de): one float32 table of max_position_embeddings x rotary dim on the GPU, cached in the
        # model's extra attributes and shared by every attention layer, built as the model is set up
        rope_table_value_bytes=4.0,
        kv_admission="full",
        scheduler="trtllm",
        block_size=32,
        graph_max_tokens=TRTLLM_GRAPH_MAX_BATCH,
        graph_batch_sizes=trtllm_graph_batch_sizes(TRTLLM_GRAPH_MAX_BATCH, padding=False),
        prefill_in_graphs=False,
        eager_kernel_us=TRTLLM_EAGER_KERNEL_US,
        eager_launch_us=TRTLLM_EAGER_CALL_US,
        eager_forward_us=TRTLLM_EAGER_FORWARD_US,
        eager_launches_prompt_only=True,
        eager_overlaps=True,
        overlap_scheduler=True,
        request_overhead_ms=REQUEST_OVERHEAD_MS["trtllm"],
        arrival_delay_ms=TRTLLM_SERVE_ARRIVAL_MS,
    ),
}


def trtllm_tensorrt_engine(profile: EngineProfile) -> EngineProfile:
    """``profile`` (TensorRT-LLM's) run as a TensorRT engine: its C++ runtime issues a step's kernels, context
    steps included, with no Python in the way (1 us a kernel, an assumption), and replays steps of up to
    ``graph_max_tokens`` tokens as graphs, prompts included. Such an engine is served by NIM or Triton, whose
    front ends were not measured: none of trtllm-serve's front-end time is charged."""
    return attrs.evolve(
        profile,
        prefill_in_graphs=True,
        graph_max_tokens=TRTLLM_ENGINE_GRAPH_MAX_TOKENS,
        graph_batch_sizes=(),
        graph_padded_sizes=(),
        eager_kernel_us=1.0,
        eager_launch_us=0.0,
        eager_forward_us=0.0,
        # an engine's rotary constants are built into it; not read in its source, so not counted
        rope_table_value_bytes=0.0,
        eager_overlaps=False,
        request_overhead_ms=0.0,
        arrival_delay_ms=0.0,
    )


def eager_profile(profile: EngineProfile) -> EngineProfile:
    """``profile`` told to run eagerly (vLLM's ``--enforce-eager``): no step replays a graph and none is
    captured; a V0-era vLLM (0.6-0.7) also gives up asynchronous output processing then, so its output work
    runs between steps (:data:`VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE`; before 0.6 the profile already has it)."""
    eager = attrs.evolve(profile, graph_max_tokens=0, prefill_in_graphs=False, prefill_graph_max_tokens=0)
    if (
        profile.v0_chunk_tokens
        and profile.version
        and parse_version(profile.version) >= VLLM_ASYNC_OUTPUT_SINCE
    ):
        eager = attrs.evolve(
            eager,
            per_sequence_overhead_ms=profile.per_sequence_overhead_ms + VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE,
        )
    return eager


#: the fixed time of one MoE layer's expert path (routing, permute, both grouped GEMMs with their
#: activation, finalize: every launch of it together) on FlashInfer's TensorRT-LLM-gen MoE kernels on
#: Blackwell, microseconds, for (16-bit, 8-bit, 4-bit) experts. Fitted by benchmarks/fit_blackwell_moe.py on
#: NVIDIA aiconfigurator's SGLang 0.5.14 B200 times (benchmarks/data/moe_kernel_times.csv): the median, at 1,
#: 2 and 4 tokens with the experts split eight ways (TP8), of the measured layer less the engine's streaming
#: and compute term, on DeepSeek-V3's shape (8-bit, 4-bit) and Qwen3-30B-A3B's (16-bit); held out on the
#: other shapes (Qwen3-235B-A22B, gpt-oss-120b's MXFP4), layouts (TP 1-4, EP 4-8) and batches
TRTLLM_GEN_MOE_LAYER_US: Final[tuple[float, float, float]] = (9.1, 22.0, 14.1)
#: the model classes whose MoE layers SGLang runs on FlashInfer's TensorRT-LLM-gen kernels (its
#: ``flashinfer_trtllm`` / ``flashinfer_mxfp4`` MoE runners) on Blackwell when left to choose: the formats it
#: picks them for, each from the release that does (``server_args.py``, ``_handle_model_specific_adjustments``,
#: read in the 0.5.6.post1 and 0.5.7-0.5.12 wheels; Llama-4 and GLM-4.5 were read in 0.5.12 only). Qwen3.5's
#: and Qwen3-VL's MoE classes share Qwen3-MoE's rule in every release read from 0.5.10 on (0.5.10, 0.5.12, 0.5.14,
#: 0.5.16; not read before); Nemotron-H's ModelOpt FP8/FP4 checkpoints take it from 0.5.12 (``nemotron_h_hook.py``;
#: 0.5.10 gave them ``flashinfer_cutlass``) and its unquantized ones from 0.5.14; Gemma 4's NVFP4 from 0.5.14 and
#: unquantized GLM-4.5 from 0.5.16 (``arg_groups/overrides.py`` in 0.5.16 and 0.5.23)
_SGLANG_BLACKWELL_TRTLLM_GEN_MOE: Final[
    dict[str, tuple[tuple[frozenset[str], tuple[int, int, int]], ...]]
] = {
    "DeepseekV3ForCausalLM": (
        (frozenset({"fp8", "fp4"}), (0, 5, 6)),
        (frozenset({"bf16", "fp16"}), (0, 5, 12)),
    ),
    "Qwen3MoeForCausalLM": ((frozenset({"fp8", "fp4"}), (0, 5, 6)), (frozenset({"bf16", "fp16"}), (0, 5, 8))),
    "Qwen3NextForCausalLM": (
        (frozenset({"fp8", "fp4"}), (0, 5, 6)),
        (frozenset({"bf16", "fp16"}), (0, 5, 8)),
    ),
    "Qwen3_5MoeForConditionalGeneration": ((frozenset({"fp8", "fp4", "bf16", "fp16"}), (0, 5, 10)),),
    "Qwen3VLMoeForConditionalGeneration": ((frozenset({"fp8", "fp4", "bf16", "fp16"}), (0, 5, 10)),),
    "NemotronHForCausalLM": (
        (frozenset({"fp8", "fp4"}), (0, 5, 12)),
        (frozenset({"bf16", "fp16"}), (0, 5, 14)),
    ),
    "GptOssForCausalLM": ((frozenset({"mxfp4"}), (0, 5, 6)),),
    "Llama4ForConditionalGeneration": ((frozenset({"fp8"}), (0, 5, 12)),),
    "Glm4MoeForCausalLM": ((frozenset({"fp4"}), (0, 5, 12)), (frozenset({"bf16", "fp16"}), (0, 5, 16))),
    "Gemma4ForConditionalGeneration": ((frozenset({"fp4"}), (0, 5, 14)),),
}


#: the fixed time of the same expert path for FP8 experts with one scale per tensor (ModelOpt FP8 checkpoints, FP8
#: quantized at start-up), microseconds, in place of :data:`TRTLLM_GEN_MOE_LAYER_US`'s block-scaled 8-bit time: the
#: per-tensor kernel skips the per-block scaling. Fitted by benchmarks/fit_blackwell_moe.py on NVIDIA aiconfigurator's
#: vLLM 0.24.0 B200 layers on FlashInfer's single-call TensorRT-LLM per-tensor FP8 kernel (the median, at 1, 2 and 4
#: tokens with the experts split eight ways, of the measured layer less the engine's streaming and compute term, on
#: Qwen3-235B-A22B's, Mixtral-8x7B's and Llama-4-Scout's shapes); held out on the other layouts and batches
TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US: Final[float] = 10.7


def trtllm_gen_moe_layer_us(weight_precision: str, *, block_scaled: bool = True) -> float:
    """:data:`TRTLLM_GEN_MOE_LAYER_US` for experts stored at ``weight_precision``; FP8 experts with one scale per
    tensor (``block_scaled`` false) read :data:`TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US`."""
    if normalize_precision(weight_precision) == "fp8" and not block_scaled:
        return TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US
    return TRTLLM_GEN_MOE_LAYER_US[expert_format_class(weight_precision)]


#: the time one MoE layer's expert path takes on SGLang's Triton fused-MoE kernel on Blackwell beyond what the
#: generic path charges (its launches, and the quantized formats' ``moe_quantized_layer_us``), microseconds, for
#: (16-bit, 8-bit) experts. Fitted by benchmarks/fit_blackwell_moe.py on NVIDIA aiconfigurator's SGLang 0.5.9 B200
#: layers (benchmarks/data/moe_kernel_times.csv): the median, at 1, 2 and 4 tokens with the experts split eight
#: ways (TP8), of the measured layer less the engine's generic term, on Qwen3-235B-A22B's shape (16-bit) and
#: DeepSeek-V3's (block-scaled FP8); held out on the other shapes, layouts and batches and on SGLang 0.5.10's
#: layers. The same kernel on an H200 (SGLang 0.5.14) reads the generic term at one token within a few
#: microseconds, so Hopper keeps it
SGLANG_BLACKWELL_TRITON_MOE_US: Final[tuple[float, float]] = (22.8, 14.6)


def sglang_blackwell_triton_moe_us(
    profile: EngineProfile,
    *,
    weight_precision: str,
    gpu_family: str,
    generic_path: bool,
    deepep: bool,
) -> float:
    """What :data:`SGLANG_BLACKWELL_TRITON_MOE_US` adds to one MoE layer (microseconds) where ``profile``'s engine runs
    the experts on SGLang's Triton fused-MoE kernel on Blackwell; 0 elsewhere.

    That is SGLang's default runner for 16- and 8-bit experts wherever it picks no other (``generic_path``: neither
    FlashInfer's TensorRT-LLM-gen kernels, :func:`runs_trtllm_gen_moe`, nor a Marlin kernel) and no DeepEP
    all-to-all (``deepep``: data-parallel attention with the experts split, whose masked grouped GEMMs are
    DeepGEMM's). 4-bit experts run on FlashInfer's or Marlin's kernels there, not Triton's.
    """
    if profile.name != "sglang" or gpu_family != "blackwell" or not generic_path or deepep:
        return 0.0
    bits = expert_format_class(weight_precision)
    return SGLANG_BLACKWELL_TRITON_MOE_US[bits] if bits < len(SGLANG_BLACKWELL_TRITON_MOE_US) else 0.0


#: how much slower than a tuned config a release's default tiles run the same fused-MoE layer, from the published
#: pairs in benchmarks/data/triton_moe_default_vs_tuned.csv (vLLM and SGLang pull requests that time both on one GPU,
#: 2025-2026; benchmarks/triton_moe_configs.py prints them): (smallest, median, largest) default / tuned time. Not
#: charged: the median pair is within a few percent, and the slow ones (many-expert block-FP8 shapes on H20-class
#: GPUs, 1.5-1.9x) follow the shape and GPU in ways these few pairs cannot turn into a rule
TRITON_MOE_DEFAULT_SLOWDOWN: Final[tuple[float, float, float]] = (0.98, 1.07, 1.91)

#: bytes per hidden-state value TensorRT-LLM's MoE layers all-gather between attention-DP ranks, by the experts' format,
#: where they gather (:func:`trtllm_gathers_moe_tokens`): ``CutlassFusedMoE.forward_chunk`` quantizes the activations
#: before the all-gather for per-tensor FP8 experts (``static_quantize_e4m3_per_tensor``) and NVFP4 experts
#: (``fp4_quantize``: 4 bits and one 8-bit scale per 16 values), and gathers 16-bit activations for block-scaled FP8
#: experts (the fused op quantizes them after) and 16-bit or weight-only 4-bit ones
#: (tensorrt_llm/_torch/modules/fused_moe/fused_moe_cutlass.py, NVIDIA/TensorRT-LLM @7b437aaa; the combine is a
#: reduce-scatter of the 16-bit output)
TRTLLM_MOE_GATHER_BYTES: Final[dict[str, float]] = {"fp8": 1.0, "fp4": 0.5 + 1.0 / 16}


def trtllm_gathers_moe_tokens(
    profile: EngineProfile, *, dp_attention: int, ep: int, scale_up_domain: int, gpus_per_node: int
) -> bool:
    """Whether ``profile``'s engine moves a MoE layer's tokens between attention-DP ranks by an all-gather of every
    rank's tokens and a reduce-scatter of the results, rather than sending each token to its experts' ranks:
    TensorRT-LLM with attention DP and expert parallelism on GPUs outside a multi-node NVLink domain. Its CUTLASS MoE
    enables the all-to-all only where ``MnnvlMemory.supports_mnnvl()`` holds (``enable_alltoall``, fused_moe_cutlass.py
    @7b437aaa; later releases pick DeepEP only when ``TRTLLM_CAN_USE_DEEP_EP`` is set), and NVIDIA's aiconfigurator
    models TensorRT-LLM's Hopper attention-DP layers as NCCL all-gather and reduce-scatter of the whole batch, the
    all-to-all only on NVL72 systems. A GPU whose NVLink domain (``scale_up_domain`` GPUs) spans nodes of
    ``gpus_per_node`` (GB200, GB300) keeps the all-to-all."""
    return profile.name == "trtllm" and dp_attention > 1 and ep > 1 and scale_up_domain <= gpus_per_node


def trtllm_moe_gather_bytes(weight_precision: str, *, block_scaled: bool) -> float:
    """Bytes per value of the hidden states TensorRT-LLM all-gathers for a MoE layer whose experts are
    ``weight_precision`` (:data:`TRTLLM_MOE_GATHER_BYTES`; 2, 16-bit, for block-scaled FP8 and the rest)."""
    precision = normalize_precision(weight_precision)
    if precision == "fp8" and block_scaled:
        return 2.0
    return TRTLLM_MOE_GATHER_BYTES.get(precision, 2.0)


#: SGLang's Triton fused-MoE layers on Hopper: their grouped GEMMs' compute time over the engine's generic term, per
#: (experts' format, whether the release ships a tuned tile config for the layer's shape: :func:`triton_moe_config_tuned`).
#: Each is the multiplier under which the median measured / estimated of NVIDIA aiconfigurator's SGLang 0.5.14 H200
#: layers of that kind (benchmarks/data/triton_moe_times.csv: one GPU's share of one MoE layer, every tensor- or
#: expert-parallel split of nine expert shapes, balanced routing) at 4,096 tokens and more, where the grouped GEMMs
#: are compute-bound, is 1; fitted by benchmarks/triton_moe_configs.py and held out on its H100 layers, power-law
#: routing and 1,024-2,048 tokens. A
#: tuned layer computes faster than the generic Hopper term; one on the default tiles (``get_default_config``:
#: 64 x 64 x 32 tiles for 16-bit experts past one token per expert) far slower, 16-bit experts most. vLLM's default
#: tiles measure within 7% of its tuned ones (vLLM 0.19.0's H200 layers, the same script), so its layers keep the
#: generic term and a caveat
SGLANG_HOPPER_TRITON_MOE_COMPUTE: Final[dict[tuple[str, bool], float]] = {
    ("bf16", True): 0.72,
    ("bf16", False): 2.00,
    ("fp8-block", True): 0.72,
    ("fp8-block", False): 1.22,
}


def triton_moe_compute_multiplier(
    profile: EngineProfile, *, weight_precision: str, block_scaled: bool, gpu_family: str, tuned: bool | None
) -> float:
    """The measured compute time of ``profile``'s Triton fused-MoE layer over the generic term:
    :data:`SGLANG_HOPPER_TRITON_MOE_COMPUTE` for SGLang on Hopper, 16-bit or block-scaled FP8 experts, where it is
    known whether the release ships a tuned config (``tuned``), else 1."""
    if profile.name != "sglang" or gpu_family != "hopper" or tuned is None:
        return 1.0
    precision = normalize_precision(weight_precision)
    if precision in ("bf16", "fp16"):
        fmt = "bf16"
    elif precision == "fp8" and block_scaled:
        fmt = "fp8-block"
    else:
        return 1.0
    return SGLANG_HOPPER_TRITON_MOE_COMPUTE[(fmt, tuned)]


def runs_triton_fused_moe(
    profile: EngineProfile,
    *,
    weight_precision: str,
    gpu_family: str,
    block_scaled: bool,
    deep_gemm: bool,
    generic_path: bool,
) -> bool:
    """Whether ``profile``'s engine runs a MoE model's experts on its Triton fused-MoE kernel, whose tiles come from a
    tuned config file per shape (:func:`triton_moe_config_tuned`): SGLang's default runner on NVIDIA GPUs wherever it
    picks no other kernel (``generic_path``: not Marlin's, not FlashInfer's TensorRT-LLM-gen ones), and vLLM's on
    Ampere, Ada and Hopper for 16-bit and FP8 experts (not block-scaled FP8 with DeepGEMM installed:
    :func:`runs_vllm_triton_block_fp8_moe`). vLLM on Blackwell (DeepGEMM's and FlashInfer's kernels by release) and
    AMD GPUs (AITER's) are left out."""
    if not generic_path or normalize_precision(weight_precision) not in ("bf16", "fp16", "fp8"):
        return False
    if profile.name == "sglang":
        return gpu_family in _CUDA_FAMILIES
    if profile.name != "vllm" or gpu_family not in ("ampere", "ada", "hopper"):
        return False
    if normalize_precision(weight_precision) == "fp8" and block_scaled:
        return runs_vllm_triton_block_fp8_moe(
            profile,
            weight_precision=weight_precision,
            gpu_family=gpu_family,
            block_scaled=block_scaled,
            deep_gemm=deep_gemm,
        )
    return True


@functools.cache
def _triton_moe_configs() -> dict[str, Any]:
    """The tuned Triton fused-MoE config files each read vLLM and SGLang release ships (``data/moe_triton_configs.json``,
    written by tools/extract_moe_configs.py from the releases' source distributions and wheels)."""
    text = (resources.files("config_explorer") / "data" / "moe_triton_configs.json").read_text("utf-8")
    table: dict[str, Any] = json.loads(text)
    return table


@functools.cache
def _tuned_shapes(engine: str, release: tuple[int, int, int] | None) -> frozenset[str]:
    """The shape keys of the files ``engine``'s ``release`` ships: the table's newest release at or before it (its
    oldest for an older one, its newest for None)."""
    table = _triton_moe_configs()[engine]
    releases = [_release(r) for r in table["releases"]]
    index = len(releases) - 1
    if release is not None:
        at_or_before = [i for i, r in enumerate(releases) if r <= release]
        index = at_or_before[-1] if at_or_before else 0
    return frozenset(key for key, shipped in table["shapes"].items() if index in shipped)


def triton_moe_config_tuned(
    profile: EngineProfile,
    *,
    local_experts: int,
    width: int,
    device_name: str | None,
    weight_precision: str,
    block_scaled: bool,
) -> bool | None:
    """Whether ``profile``'s release ships a tuned tile config for its Triton fused-MoE kernel at this layer shape:
    ``local_experts`` experts on the GPU, each ``width`` wide there (its intermediate size over the MoE's tensor
    parallelism), on the GPU torch names ``device_name``, in the experts' format (16-bit, or FP8 per tensor or in
    128 x 128 blocks). vLLM (``get_moe_configs``, 0.11.0) and SGLang (0.5.6, which also reads the other Triton
    versions' folders) look the file up by exactly that name and run ``get_default_config``'s tiles without one.

    The release read is the newest one the table holds at or before the profile's (the oldest for an older one, the
    newest for a profile without a release). None where it cannot be said: another engine, a format whose experts do
    not run this kernel's tuned files, or a GPU whose torch name the catalog lacks."""
    if profile.name not in ("vllm", "sglang") or not device_name or local_experts < 1 or width < 1:
        return None
    precision = normalize_precision(weight_precision)
    if precision in ("bf16", "fp16"):
        dtype, block = "", ""
    elif precision == "fp8":
        dtype, block = "fp8_w8a8", ("128x128" if block_scaled else "")
    else:
        return None
    key = f"{local_experts}|{width}|{device_name.replace(' ', '_')}|{dtype}|{block}"
    return key in _tuned_shapes(profile.name, profile_release(profile))


#: the time one MoE layer takes on DeepGEMM's grouped-GEMM expert path on Blackwell beyond what the generic path
#: charges, microseconds: (a fixed part, a part per expert the GPU holds). DeepGEMM's contiguous layout gives each
#: local expert its own run of rows padded to 128 and its kernels (and the scatter, gather and scale kernels around
#: them) walk a buffer sized for every local expert's padding, touched or not, so the cost follows the experts a
#: GPU holds rather than the tokens: eight-way tensor parallelism of DeepSeek-V3 (256 narrow experts a GPU) runs
#: 80-225 us over the generic term at every batch, eight expert-parallel ranks (32 whole experts) 2-43 us.
#: Fitted by benchmarks/fit_deepgemm_moe.py, least squares over NVIDIA aiconfigurator's TensorRT-LLM 1.3.0rc20 B200
#: ``deepgemm`` layers (benchmarks/data/moe_kernel_times.csv: DeepSeek-V3's shape, FP8-block, TP8 and EP8) at 1-16
#: tokens; held out on the same layers at 64-16,384 tokens and on vLLM's MiniMax-M3 B200 serving points
#: (benchmarks/accuracy.py). The kernels are DeepGEMM's in both engines; vLLM's scatter and gather are its own
#: Triton kernels (taken as costing the same). The fixed part fits a little below zero: over these two layouts
#: (32 and 256 experts a GPU) the per-expert part carries the whole remainder
DEEPGEMM_BLACKWELL_MOE_US: Final[tuple[float, float]] = (-3.7, 0.427)
#: what vLLM's DeepSeek-sparse-attention module takes per prompt token per layer beyond the indexer's GEMMs and logits
#: and the sparse MLA kernel the engine charges, microseconds: the lightning indexer runs on every GPU of the group
#: (``ReplicatedLinear`` projections, 64 index heads) and the module wraps it and the sparse kernel in a few dozen
#: small passes (the indexer query's rope, concatenation and FP8 group quantization, its key's norm, quantization and
#: cache write, the top-k buffer's fill, the top-k and index-conversion kernels, the absorbed query's batched matmul,
#: concatenation and padding to 64 heads: benchmarks/data/dsa_glue_evidence.md). Fitted by benchmarks/fit_dsa_glue.py
#: on NVIDIA aiconfigurator's H200 vLLM 0.24.0 modules (benchmarks/data/dsa_module_times.csv: DeepSeek-V3.2's module
#: less DeepSeek-V3's dense MLA module at prompts of at most 128 tokens, less the engine's indexer charge); held out on
#: the H100, the B200, the H200's 0.19 and 0.22 rows and the serving points
VLLM_DSA_PROMPT_GLUE_US: Final[float] = 0.221


def dsa_prompt_glue_us(profile: EngineProfile, *, gpu_family: str, sparse_attention: bool) -> float:
    """What each prompt token adds to each DeepSeek-sparse-attention layer of ``profile``'s engine beyond the charged
    indexer and sparse kernel, microseconds (:data:`VLLM_DSA_PROMPT_GLUE_US`): vLLM on NVIDIA GPUs, where it was
    measured; 0 elsewhere (SGLang's and TensorRT-LLM's modules are not read here)."""
    if profile.name != "vllm" or not sparse_attention or gpu_family not in ("hopper", "blackwell"):
        return 0.0
    return VLLM_DSA_PROMPT_GLUE_US


#: the first vLLM release whose default expert kernel for block-scaled FP8 experts on Blackwell is DeepGEMM's, at every
#: batch size, read in the release wheels: 0.10 runs Triton's (``VLLM_USE_DEEP_GEMM`` defaults to 0), 0.11.0 turns
#: DeepGEMM on by default (``envs.py``; ``fused_experts`` then always takes ``deep_gemm_moe_fp8`` on SM100). From 0.15
#: the FP8 MoE oracle (PR #32414, ``oracle/fp8.py``: ``select_fp8_moe_backend``) tries its backends in the order
#: AITER, FlashInfer TensorRT-LLM, FlashInfer CUTLASS, DeepGEMM, then Triton: FlashInfer's TensorRT-LLM kernel takes
#: the routing methods it qualifies for (:func:`runs_trtllm_gen_moe`), FlashInfer's CUTLASS kernel takes block-scaled
#: FP8 on SM90 only (``FlashInferExperts._supports_quant_scheme``), so the rest still run on DeepGEMM on Blackwell, at
#: any tensor parallelism (the oracle has no size gate; read at vLLM main 001a058, 2026). InferenceX's MiniMax-M3
#: write-up (2026-06-13) names DeepGEMM as the B200 expert path of such a checkpoint at TP8
VLLM_BLACKWELL_DEEPGEMM_MOE_SINCE: Final[tuple[int, int, int]] = (0, 11, 0)
#: the vLLM releases (first, first not) that keep DeepGEMM's MoE off where the MoE layer's own tensor parallelism is
#: this or more (PR #29346, ``get_fp8_moe_backend``: unless ``VLLM_MOE_USE_DEEP_GEMM`` is set) and run Triton's
#: kernel there; 0.15's oracle replaced that function and dropped the gate
VLLM_DEEPGEMM_MOE_TP_LIMIT: Final[tuple[tuple[int, int, int], tuple[int, int, int], int]] = (
    (0, 12, 0),
    (0, 15, 0),
    8,
)


def vllm_deepgemm_blackwell_moe_us(
    profile: EngineProfile,
    *,
    weight_precision: str,
    gpu_family: str,
    block_scaled: bool,
    deep_gemm: bool,
    local_experts: float,
    moe_tp: int,
    generic_path: bool = True,
) -> float:
    """What :data:`DEEPGEMM_BLACKWELL_MOE_US` adds to one MoE layer (microseconds) where ``profile``'s engine runs
    the experts on DeepGEMM's grouped GEMMs at every batch size: vLLM on Blackwell with block-scaled FP8 experts and
    DeepGEMM installed, from the release whose default expert kernel there is DeepGEMM
    (:data:`VLLM_BLACKWELL_DEEPGEMM_MOE_SINCE`; in 0.12-0.14 only below :data:`VLLM_DEEPGEMM_MOE_TP_LIMIT`'s MoE
    tensor parallelism ``moe_tp``, the experts' split that expert parallelism does not take), on the engine's generic
    expert path (``generic_path``: neither fused nor Marlin kernels; from 0.15 the experts FlashInfer's TensorRT-LLM
    kernel does not take); 0 elsewhere. ``local_experts``: the experts one GPU holds. A profile without a release
    follows the newest rules read.

    On Hopper vLLM runs Triton's kernel below 128 tokens a step and DeepGEMM from there; on Blackwell DeepGEMM
    takes UE8M0 scales only, the weights' scales are requantized to them at load, and the Triton fallback is
    skipped at every size (``is_deep_gemm_e8m0_used()`` short-circuits the shape test). Releases from 0.15 run
    FlashInfer's TensorRT-LLM kernel where it qualifies (the fused path, :func:`runs_trtllm_gen_moe`) and DeepGEMM's
    where it does not.
    """
    if (
        profile.name != "vllm"
        or gpu_family != "blackwell"
        or not (block_scaled and deep_gemm and generic_path)
    ):
        return 0.0
    if normalize_precision(weight_precision) != "fp8":
        return 0.0
    release = profile_release(profile)
    if release is not None and release < VLLM_BLACKWELL_DEEPGEMM_MOE_SINCE:
        return 0.0
    gated, ungated, tp_limit = VLLM_DEEPGEMM_MOE_TP_LIMIT
    if release is not None and gated <= release < ungated and moe_tp >= tp_limit:
        return 0.0
    fixed, per_expert = DEEPGEMM_BLACKWELL_MOE_US
    return max(fixed + per_expert * local_experts, 0.0)


#: vLLM's CUTLASS grouped-GEMM path for FP8 experts scaled per tensor or per output channel (compressed-tensors W8A8
#: FP8 checkpoints, GLM-4.5/4.6/4.7-FP8 among them: ``CompressedTensorsW8A8Fp8MoEMethod.use_cutlass``, which needs a
#: GPU of compute capability exactly 9.0 or 10.0; on 10.0 a batch of at most
#: :data:`VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS` tokens falls back to Triton's ``fused_experts``;
#: quantization/compressed_tensors/compressed_tensors_moe.py, v0.11.0): what its helper kernels take a MoE layer beyond
#: the generic expert path, microseconds, as (the grouped GEMMs' problem sizes, counted from the top-k ids by
#: ``get_cutlass_moe_mm_problem_sizes``' kernel into a freshly zeroed counter, every layer; the second GEMM's output
#: zero-filled where the experts are split over expert-parallel ranks, ``expert_map`` set) (fused_moe/cutlass_moe.py,
#: v0.11.0 and v0.13.0). Read off the two vLLM pull requests that removed them in 0.14, both timed by their author on
#: GLM-4.7-FP8 (GLM-4.5's shapes: 89 MoE layers) at TP8 with expert parallelism on H100s (issue #31755's setup), 128
#: requests of 2 prompt and 128 output tokens sent at once: PR #31754 (no second fill) +2.9% throughput on a 5.05 s
#: run, 0.146 s over 128 steps, 12.8 us a layer; PR #31830 (problem sizes from the permutation's expert offsets) +5.3%,
#: 5.05 -> 4.80 s, 0.254 s, 22.3 us a layer (PR #32058's later run of the same took 4.73 s). Not fitted on
#: benchmarks/accuracy.py's rows
VLLM_CUTLASS_FP8_MOE_HELPERS_US: Final[tuple[float, float]] = (22.3, 12.8)
#: the vLLM releases that run those helpers (first and past-the-last): v0.9.0's source already routes such experts to
#: the CUTLASS path on compute capability 9.0 (earlier releases were not read); v0.14.0 has PRs #31754 and #31830
VLLM_CUTLASS_FP8_MOE_RELEASES: Final[tuple[tuple[int, int, int], tuple[int, int, int]]] = (
    (0, 9, 0),
    (0, 14, 0),
)
#: on compute capability 10.0, the largest batch (tokens a step's MoE layer takes) that runs on Triton instead
#: ("small-batch fallback on SM100", ``topk_ids.shape[0] <= 8``, v0.11.0)
VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS: Final[int] = 8
#: the catalog's GPUs of compute capability 10.0 (the B300 and GB300 are 10.3, which that path's exact match leaves
#: on Triton)
_SM100_GPUS: Final = frozenset({"B200", "GB200"})


#: the models whose routers vLLM runs through its grouped top-k kernels: a sigmoid router with a score-correction bias
#: (DeepSeek-V3/R1/V3.2 and Kimi-K2, ``noaux_tc``, on ``DeepseekV2MoE``; GLM-4.5/4.6/4.7, ``Glm4MoE``; GLM-5, whose
#: ``GlmMoeDsaForCausalLM`` runs on deepseek_v2.py), ``FusedMoE(use_grouped_topk=True, e_score_correction_bias=...)``,
#: which on CUDA takes ``fused_grouped_topk`` (vllm/model_executor/layers/fused_moe/fused_moe.py, v0.11.0-v0.17.0),
#: by the checkpoint's ``model_type``
VLLM_GROUPED_TOPK_MODEL_TYPES: Final = frozenset(
    {"deepseek_v3", "deepseek_v32", "kimi_k2", "glm4_moe", "glm_moe_dsa"}
)
#: vLLM's grouped top-k routing, microseconds a MoE layer, by the first release of each form (release, time): two CUDA
#: kernels (``topk_with_k2_kernel``, ``group_idx_and_topk_idx_kernel``) through 0.14, one
#: (``grouped_topk_fused_kernel``: in 0.16.0's source, not 0.14.0's; 0.15.0 published none, so taken from 0.15) from
#: 0.15, and from 0.17 (its source, not 0.16.0's) ``grouped_topk_fused_small_expert_count_kernel`` for up to 512
#: experts in one group or 256 in several. Read off the vLLM pull requests that made them: #34206 profiled DeepSeek-R1
#: on H200s, the fused kernel "around 7 us" and its own "around 4 us"; #32058, which fused the two into one, timed
#: GLM-4.7-FP8 (89 MoE layers) at TP8 with expert parallelism, 128 requests of 2 prompt and 128 output tokens at once,
#: at 4.73 s with the fused kernel and 1.2-2% more throughput than with the two: 1.6% of 4.73 s over 128 steps and 89
#: layers is 6.6 us a layer, so 13.6 us for the two. Not fitted on benchmarks/accuracy.py's rows. Before 0.12 the
#: router's sigmoid and bias add ran as two kernels of their own beside the two (charged at the family's small-kernel
#: time); the kernels' own speed-up in 0.13 (PR #30159, 2.1% TPOT on GLM-4.6-FP8, whose absolute TPOT is not
#: readable) is not charged, so 0.11 and 0.12 read a floor
VLLM_GROUPED_TOPK_US: Final[tuple[tuple[tuple[int, int], float], ...]] = (
    ((0, 0), 13.6),
    ((0, 15), 7.0),
    ((0, 17), 4.0),
)
#: the first vLLM release whose grouped top-k kernel computes the router's sigmoid and bias itself
#: (``fused_grouped_topk``'s "fully fused kernel path for sigmoid": in 0.12.0's source, not 0.11.0's)
VLLM_GROUPED_TOPK_FUSED_SCORES_SINCE: Final[tuple[int, int]] = (0, 12)


def vllm_grouped_topk_us(
    profile: EngineProfile,
    *,
    model_type: str,
    cuda: bool,
    small_kernel_us: float,
    holds_newest: bool = False,
) -> float:
    """What vLLM's grouped top-k routing (:data:`VLLM_GROUPED_TOPK_US`) adds to one MoE layer beyond the one small
    top-k kernel every MoE layer is charged (``small_kernel_us``), microseconds: for ``profile``'s vLLM on a CUDA GPU
    (``cuda``) and a model of :data:`VLLM_GROUPED_TOPK_MODEL_TYPES`, else 0. A profile without a release follows the
    newest kernel read. ``holds_newest``: the expert path's own fitted time already holds the newest kernel's routing
    (vLLM's DeepGEMM path on Blackwell, fitted on vLLM 0.24's layers), so only what this release's takes beyond it is
    added."""
    if profile.name != "vllm" or not cuda or model_type not in VLLM_GROUPED_TOPK_MODEL_TYPES:
        return 0.0
    release = profile_release(profile)
    kernel = VLLM_GROUPED_TOPK_US[-1][1]
    eager = 0
    if release is not None:
        kernel = next(us for since, us in reversed(VLLM_GROUPED_TOPK_US) if release[:2] >= since)
        eager = 2 if release[:2] < VLLM_GROUPED_TOPK_FUSED_SCORES_SINCE else 0
    extra = max(kernel + (eager - 1) * small_kernel_us, 0.0)
    if holds_newest:
        extra = max(extra - max(VLLM_GROUPED_TOPK_US[-1][1] - small_kernel_us, 0.0), 0.0)
    return extra


#: the models whose MoE routers vLLM and SGLang run in FP32, by ``model_type``: an FP32 linear layer fed an FP32 copy of
#: the hidden states, which PyTorch runs as an FP32 GEMM on the CUDA cores (neither engine turns TF32 on by default: no
#: ``allow_tf32`` in vLLM's source; SGLang's ``--enable-tf32-matmul``, off by default and not modelled, would).
#: GLM-4.5/4.6/4.7: vLLM's ``Glm4MoE`` ``nn.Linear`` (``glm4_moe.py``, read in 0.11.0-0.24.0), SGLang's ``Glm4MoeGate``
#: from 0.5.10 (PR #21660; 0.5.9 ran it at 16 bits; read through 0.5.16). MiniMax-M2/M2.5: a ``ReplicatedLinear`` of
#: FP32 parameters in vLLM (``minimax_m2.py``, 0.12.0-0.24.0, where 0.24.0's ``GateLinear`` has an FP32 kernel of its own
#: for batches of up to 32 tokens, not modelled) and in SGLang from its first release of the model (0.5.5, read through
#: 0.5.16)
FP32_ROUTER_MODEL_TYPES: Final = frozenset({"glm4_moe", "minimax_m2"})
#: the first vLLM release read whose ``GateLinear`` runs FP32 router weights as three 16-bit GEMMs on the tensor cores
#: (its bf16x3 kernels, tier 4 of ``gate_linear.py`` in 0.34.0) on Hopper and compute-capability-10 Blackwell; on other
#: GPUs it falls back to an FP32 linear layer. Releases between 0.24.0 and it were not read (taken as 0.24.0)
VLLM_BF16X3_ROUTER_SINCE: Final[tuple[int, int, int]] = (0, 34, 0)
#: the first SGLang release that runs each model's router in FP32
SGLANG_FP32_ROUTER_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "glm4_moe": (0, 5, 10),
    "minimax_m2": (0, 0, 0),
}
#: ITL (ms) of SGLang's nightly GLM-4.6-FP8 test at TP8 on eight H200s, the night before and the night after PR #21660
#: moved its router to FP32 (runs 23723157688 and 23774903575 of its nightly-test-nvidia workflow, job
#: nightly-test-general-8-gpu-h200, as a published bisection of that regression prints them; no other change in the
#: window touched the model's path): (decode batch, before, after)
FP32_ROUTER_NIGHTLY_ITL_MS: Final[tuple[tuple[int, float, float], ...]] = (
    (1, 11.93, 12.04),
    (8, 16.42, 17.62),
    (16, 19.25, 20.21),
    (64, 29.43, 30.69),
)
#: GLM-4.6's MoE layers (92 layers, the first three dense)
FP32_ROUTER_NIGHTLY_MOE_LAYERS: Final[int] = 89


def _fp32_router_layer_us(before_ms: float, after_ms: float) -> float:
    return (after_ms - before_ms) / FP32_ROUTER_NIGHTLY_MOE_LAYERS * 1e3


#: what an FP32 router adds to one MoE layer of a decode step over a 16-bit one, microseconds: (one token, several),
#: the first off the nightly runs at one sequence (the GEMV), the second their median over 8, 16 and 64 (13.5, 10.8 and
#: 14.2): at such batches the GEMM runs on few of the GPU's multiprocessors, far above its FLOPs at the FP32 rate. Read
#: off one GPU (the H200) and one router (5120 x 160); taken for every CUDA GPU and router, the FLOPs at the FP32 rate
#: taking over where they are more (from a few hundred tokens)
FP32_ROUTER_DECODE_US: Final[tuple[float, float]] = (
    round(_fp32_router_layer_us(*FP32_ROUTER_NIGHTLY_ITL_MS[0][1:]), 2),
    round(
        statistics.median(_fp32_router_layer_us(b, a) for n, b, a in FP32_ROUTER_NIGHTLY_ITL_MS if n > 1), 1
    ),
)


def fp32_router(profile: EngineProfile, *, model_type: str, gpu_family: str, cuda: bool) -> bool:
    """Whether ``profile``'s engine runs a model of ``model_type``'s MoE routers as FP32 GEMMs on a CUDA GPU's CUDA cores
    (:data:`FP32_ROUTER_MODEL_TYPES`): vLLM before :data:`VLLM_BF16X3_ROUTER_SINCE` everywhere and from it off Hopper and
    Blackwell (``gpu_family``; a profile with no release follows the newest rules), SGLang from
    :data:`SGLANG_FP32_ROUTER_SINCE` (a profile with no release included); nowhere else."""
    if not cuda or model_type not in FP32_ROUTER_MODEL_TYPES:
        return False
    release = profile_release(profile)
    if profile.name == "vllm":
        if release is not None and release < VLLM_BF16X3_ROUTER_SINCE:
            return True
        return gpu_family not in ("hopper", "blackwell")
    if profile.name == "sglang":
        return release is None or release >= SGLANG_FP32_ROUTER_SINCE[model_type]
    return False


def fp32_router_parameters(profile: EngineProfile, model_type: str) -> bool:
    """Whether an engine that runs the router in FP32 (:func:`fp32_router`) loads its parameters as FP32 (four bytes a
    weight in the weights the KV cache is sized after): every case but SGLang's GLM-4.5, which keeps its 16-bit weights
    and makes an FP32 copy at its first forward, after the memory pool is sized."""
    return not (profile.name == "sglang" and model_type == "glm4_moe")


def vllm_cutlass_fp8_moe_helpers(
    profile: EngineProfile,
    *,
    gpu_name: str,
    gpu_family: str,
    weight_precision: str,
    block_scaled: bool,
    compressed_tensors: bool,
    ep: int,
) -> tuple[float, int]:
    """What :data:`VLLM_CUTLASS_FP8_MOE_HELPERS_US` adds to one MoE layer (microseconds), and the largest batch that
    skips it (tokens; 0: none), where ``profile``'s engine runs the experts of a compressed-tensors FP8 checkpoint
    (``compressed_tensors``; FP8 weights served as stored, scaled per tensor or channel, not in blocks) on vLLM's
    CUTLASS MoE path within :data:`VLLM_CUTLASS_FP8_MOE_RELEASES`: on Hopper at every batch, on a compute-capability
    10.0 Blackwell GPU above :data:`VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS` tokens; (0, 0) elsewhere. A profile
    without a release follows the newest rules read (none charged). The zero-fill is charged where ``ep`` splits
    the experts."""
    if profile.name != "vllm" or not compressed_tensors or block_scaled:
        return 0.0, 0
    if normalize_precision(weight_precision) != "fp8":
        return 0.0, 0
    if gpu_family == "hopper":
        skipped = 0
    elif gpu_name in _SM100_GPUS:
        skipped = VLLM_CUTLASS_FP8_MOE_SM100_TRITON_TOKENS
    else:
        return 0.0, 0
    if not _released_within(profile, VLLM_CUTLASS_FP8_MOE_RELEASES):
        return 0.0, 0
    sizes, fill = VLLM_CUTLASS_FP8_MOE_HELPERS_US
    return sizes + (fill if ep > 1 else 0.0), skipped


def sglang_graph_batch_sizes(max_bs: int) -> tuple[int, ...]:
    """SGLang's default decode CUDA-graph batch sizes up to ``max_bs`` (``cuda_graph_max_bs``), without speculative
    decoding: 1, 2, 4, 8, 12, every 8 to 256, every 16 to 511, every 32 from 512
    (``ServerArgs._generate_cuda_graph_batch_sizes``, read in the 0.5.6 wheel), and ``max_bs`` itself where it
    falls between them (a replay pads a batch to the next size captured)."""
    sizes = [1, 2, 4, 8, 12, *range(16, 257, 8), *range(272, 512, 16), *range(512, max_bs + 1, 32)]
    return tuple(sorted({b for b in sizes if b <= max_bs} | {max_bs}))


def sglang_gathered_moe_sizes(
    profile: EngineProfile, *, dp_attention: int, attention_tp: int, ep: int, two_batch_overlap: bool
) -> tuple[int, ...]:
    """The decode batch sizes one attention group of ``profile``'s engine replays in CUDA graphs where the MoE
    layers take every group's rows padded to the largest group's graph size: SGLang with data-parallel attention
    and the experts not split, else ().

    With data-parallel attention SGLang captures decode graphs only at batch sizes that are multiples of the
    attention group's TP size (twice that with two-batch overlap: ``get_batch_sizes_to_capture``), replays every
    group at the graph size of the largest group's batch, and gathers the MoE input in ``MAX_LEN`` mode, that size
    times the groups (``CudaGraphRunner.replay_prepare``, ``DpPaddingMode.get_default_mode_in_cuda_graph``). The
    padding rows are routed like tokens unless the experts are split: only then does SGLang mask them
    (``enable_num_token_non_padded`` is ``moe_ep_size > 1``); FlashInfer's TensorRT-LLM-gen MoE routes inside the
    kernel from the router logits of every row. So at one request a ``--tp 8 --dp 4`` server's MoE runs on 8 rows.
    Read in the 0.5.6 wheel, and the same rules in 0.5.9, 0.5.12 and 0.5.18. With two-batch overlap each graph's
    rows are split in two micro-batches; that case is left unpadded (not modelled).
    """
    if (
        profile.name != "sglang"
        or dp_attention <= 1
        or ep > 1
        or two_batch_overlap
        or not profile.graph_max_tokens
    ):
        return ()
    return tuple(b for b in sglang_graph_batch_sizes(profile.graph_max_tokens) if b % attention_tp == 0)


#: how vLLM routes a model class's tokens to its experts, as its FlashInfer TensorRT-LLM MoE kernels name the method
#: (``get_routing_method_type``, vLLM 0.16+; set per router in 0.15): sigmoid scores with grouped top-k and a
#: correction bias (``deepseek_v3``), softmax top-k renormalized (``renormalize``, which stands for its naive
#: variant too: both qualify wherever one does), Llama 4's sigmoid top-1 (``llama4``), MiniMax-M2's (``minimax2``,
#: named from 0.21). Other classes (gpt-oss, whose SwiGLU-OAI activation the kernels refuse) take none
_VLLM_ROUTING: Final[dict[str, str]] = {
    "DeepseekV3ForCausalLM": "deepseek_v3",
    "Glm4MoeForCausalLM": "deepseek_v3",
    "Qwen3MoeForCausalLM": "renormalize",
    "Qwen3NextForCausalLM": "renormalize",
    "Qwen3_5MoeForConditionalGeneration": "renormalize",
    "Qwen3VLMoeForConditionalGeneration": "renormalize",
    "MixtralForCausalLM": "renormalize",
    "Llama4ForConditionalGeneration": "llama4",
    "Llama4ForCausalLM": "llama4",
    "MiniMaxM2ForCausalLM": "minimax2",
}
#: the routing methods vLLM's single-call ("monolithic") FlashInfer TensorRT-LLM MoE kernel takes on Blackwell, per
#: expert format (``fp8_block``: FP8 with block scales), from the release listed up to the next entry's (read in
#: the 0.15-0.34 wheels' ``oracle/*.py`` and ``experts/trtllm_*_moe.py``; its FP8 MoE oracle, PR #32414, tries that
#: kernel first from 0.15, 16-bit experts from 0.20). Where a format's method does not qualify, or an all-to-all
#: backend (DeepEP) is set, vLLM runs another kernel (its modular TensorRT-LLM variant, FlashInfer's CUTLASS, DeepGEMM
#: or Triton), which the generic path stands for. ``fp8``: FP8 experts with one scale per tensor (ModelOpt FP8), whose
#: fused path costs :data:`TRTLLM_GEN_PER_TENSOR_FP8_MOE_LAYER_US` (0.15.1 drops softmax routing there, issue #33532)
_VLLM_BLACKWELL_TRTLLM_MOE: Final[dict[str, tuple[tuple[tuple[int, int, int], frozenset[str]], ...]]] = {
    "fp8_block": (
        ((0, 15, 0), frozenset({"deepseek_v3", "renormalize"})),
        # issue #37591: the single call for DeepSeek-V3's routing only
        ((0, 18, 0), frozenset({"deepseek_v3"})),
        ((0, 20, 0), frozenset({"deepseek_v3", "renormalize"})),
        ((0, 21, 0), frozenset({"deepseek_v3", "renormalize", "minimax2"})),
    ),
    "fp8": (
        ((0, 15, 0), frozenset({"llama4"})),
        ((0, 16, 0), frozenset({"llama4", "renormalize"})),
        ((0, 17, 0), frozenset({"llama4", "renormalize", "deepseek_v3"})),
        ((0, 18, 0), frozenset({"llama4", "deepseek_v3"})),
        ((0, 20, 0), frozenset({"llama4", "deepseek_v3", "renormalize"})),
        ((0, 21, 0), frozenset({"llama4", "deepseek_v3", "renormalize", "minimax2"})),
    ),
    "fp4": (
        ((0, 15, 0), frozenset({"deepseek_v3", "renormalize", "llama4"})),
        ((0, 21, 0), frozenset({"deepseek_v3", "renormalize", "llama4", "minimax2"})),
    ),
    "bf16": (
        ((0, 20, 0), frozenset({"deepseek_v3", "renormalize", "llama4"})),
        ((0, 32, 0), frozenset({"deepseek_v3", "renormalize", "llama4", "minimax2"})),
    ),
}


def _vllm_runs_trtllm_moe(
    release: tuple[int, int, int] | None, *, model_class: str, precision: str, block_scaled: bool
) -> bool:
    """Whether vLLM at ``release`` runs the experts on its monolithic FlashInfer TensorRT-LLM kernel on Blackwell
    (:data:`_VLLM_BLACKWELL_TRTLLM_MOE`); None: the newest rules read."""
    routing = _VLLM_ROUTING.get(model_class)
    key = "fp8_block" if precision == "fp8" and block_scaled else "bf16" if precision == "fp16" else precision
    if routing is None or key not in _VLLM_BLACKWELL_TRTLLM_MOE:
        return False
    taken = frozenset[str]()
    for since, methods in _VLLM_BLACKWELL_TRTLLM_MOE[key]:
        if release is None or release >= since:
            taken = methods
    return routing in taken


def sglang_dispatches_deepep(
    profile: EngineProfile, *, ep: int, dp_attention: int, world: int, gpu_family: str
) -> bool:
    """Whether ``profile``'s engine dispatches a MoE layer's tokens with DeepEP: SGLang with data-parallel attention
    and the experts split over every GPU of the stage (``ep == world``) on a CUDA GPU, the plan whose launch carries
    ``--moe-a2a-backend deepep`` (``recommender.serve_command``). DeepEP needs that split (``_handle_a2a_moe`` in
    0.5.6.post1's ``server_args.py`` sets ``ep_size`` to ``tp_size`` under it) and NVIDIA's GPUs (it is built on
    NVSHMEM over NVLink and RDMA). Anything else beside data-parallel attention runs SGLang's default
    (``--moe-a2a-backend none``): the standard dispatcher, every group's tokens gathered to every GPU around the MoE
    (benchmarks/data/sglang_dp_attention_launch_evidence.md)."""
    return (
        profile.name == "sglang"
        and ep > 1
        and dp_attention > 1
        and ep == world
        and gpu_family in _CUDA_FAMILIES
    )


def runs_trtllm_gen_moe(
    profile: EngineProfile,
    *,
    model_class: str,
    weight_precision: str,
    gpu_family: str,
    ep: int,
    dp_attention: int,
    world: int,
    block_scaled: bool = False,
) -> bool:
    """Whether ``profile``'s engine runs a MoE model's experts on FlashInfer's TensorRT-LLM-gen MoE kernels,
    whose whole expert path costs :data:`TRTLLM_GEN_MOE_LAYER_US` in fixed time.

    SGLang picks them on Blackwell (SM100) for the model classes and formats of
    :data:`_SGLANG_BLACKWELL_TRTLLM_GEN_MOE`, from the release that does, when no all-to-all backend is
    set; with DeepEP (:func:`sglang_dispatches_deepep` over the stage's ``world`` GPUs) it does not. A profile without
    a release
    follows the newest rules read; a release before 0.5.6 (not read) keeps the generic path. vLLM picks their
    single-call kernel from 0.15 for the formats and routing methods of :data:`_VLLM_BLACKWELL_TRTLLM_MOE`
    (``block_scaled``: FP8 experts with block scales), without DeepEP; its releases before 0.15 (the unpinned
    profile's 0.11 among them) run DeepGEMM, Triton or CUTLASS kernels there. TensorRT-LLM chooses per recipe (its
    default for DeepSeek is its CUTLASS backend), so it keeps the generic path.
    """
    if gpu_family != "blackwell":
        return False
    if profile.name == "sglang":
        if sglang_dispatches_deepep(
            profile, ep=ep, dp_attention=dp_attention, world=world, gpu_family=gpu_family
        ):
            return False
    elif ep > 1 and dp_attention > 1:
        return False
    release = profile_release(profile)
    precision = normalize_precision(weight_precision)
    if profile.name == "vllm":
        return _vllm_runs_trtllm_moe(
            release, model_class=model_class, precision=precision, block_scaled=block_scaled
        )
    if profile.name != "sglang":
        return False
    return any(
        precision in formats and (release is None or release >= since)
        for formats, since in _SGLANG_BLACKWELL_TRTLLM_GEN_MOE.get(model_class, ())
    )


#: vLLM's Triton fused-MoE kernel on block-scaled FP8 experts on Hopper (its path where DeepGEMM is not
#: installed): (fraction of the FP8 dense peak, expert shard width at which it reaches half that) for its grouped
#: GEMMs, in place of the family's 8-bit (0.64, 700). The per-128 block scales cap it far below a CUTLASS FP8
#: GEMM on wide shards and cost it little on narrow ones. Fitted by benchmarks/fit_vllm_triton_moe.py on
#: NVIDIA aiconfigurator's vLLM 0.19.0 H200 layers with the experts split by tensor parallelism, balanced
#: routing, 1,024 tokens and more (benchmarks/data/triton_moe_times.csv); held out on its expert-parallel and
#: power-law rows and on vLLM 0.24.0's H100 and H200 layers
VLLM_TRITON_BLOCK_FP8_MOE: Final[tuple[float, float]] = (0.32, 100.0)


#: FlashInfer's TensorRT-LLM-gen MoE kernels on block-scaled FP8 experts on Blackwell (SGLang's ``flashinfer_trtllm``
#: runner, vLLM from 0.15; :func:`runs_trtllm_gen_moe`): (fraction of the FP8 dense peak, expert shard width at which it
#: reaches half that) for the grouped GEMMs, in place of the Blackwell family's 8-bit (0.58, 700). Fitted by
#: benchmarks/fit_trtllm_gen_block_fp8_moe.py on NVIDIA aiconfigurator's SGLang 0.5.14 B200 layers, balanced routing,
#: experts split by tensor parallelism only, 1,024 tokens and more (benchmarks/data/trtllm_gen_block_fp8_moe_times.csv);
#: held out on its expert-parallel splits and smaller batches, vLLM 0.24.0's layers and the power-law rows
TRTLLM_GEN_BLOCK_FP8_MOE: Final[tuple[float, float]] = (0.22, 100.0)


def trtllm_gen_block_fp8_moe_rate(
    weight_precision: str, *, trtllm_gen_moe: bool, block_scaled: bool
) -> tuple[float, float] | None:
    """:data:`TRTLLM_GEN_BLOCK_FP8_MOE` where the experts run on FlashInfer's TensorRT-LLM-gen MoE kernels
    (``trtllm_gen_moe``, :func:`runs_trtllm_gen_moe`) and are FP8 with one scale per block; else None (the family's
    generic rate)."""
    fp8 = normalize_precision(weight_precision) == "fp8"
    return TRTLLM_GEN_BLOCK_FP8_MOE if trtllm_gen_moe and fp8 and block_scaled else None


def runs_vllm_triton_block_fp8_moe(
    profile: EngineProfile, *, weight_precision: str, gpu_family: str, block_scaled: bool, deep_gemm: bool
) -> bool:
    """Whether ``profile``'s engine runs a MoE model's block-scaled FP8 experts on vLLM's Triton fused-MoE
    kernel at :data:`VLLM_TRITON_BLOCK_FP8_MOE`'s rate: vLLM on Hopper without DeepGEMM (with it, vLLM's
    ``TritonOrDeepGemmExperts`` takes DeepGEMM's grouped GEMMs from 128 tokens a step, which the family's
    8-bit rate stands for)."""
    fp8 = normalize_precision(weight_precision) == "fp8"
    return profile.name == "vllm" and gpu_family == "hopper" and fp8 and block_scaled and not deep_gemm


def masks_remote_experts(
    profile: EngineProfile,
    *,
    weight_precision: str,
    gpu_family: str,
    ep: int,
    dp_attention: int,
    deep_gemm: bool,
    block_scaled: bool,
    generic_path: bool = True,
) -> bool:
    """Whether ``profile``'s engine runs each expert-parallel rank's MoE layer over every routed assignment of
    the step, masking the experts held elsewhere, so that the layer's activation traffic (the gate/up output,
    the activation, its quantization, the down output and the weighted sum) covers ``tokens x top_k`` rows on
    every rank rather than the rank's ``1/ep`` share.

    vLLM and SGLang with expert parallelism and no data-parallel attention keep every token on every rank (no
    all-to-all) and map the assignments of non-local experts to -1 before their fused-MoE kernels: vLLM hands the
    Triton and Marlin kernels an ``expert_map``, ``moe_align_block_size`` sorts every assignment, the kernels
    write zeros for the masked blocks instead of skipping them, and ``silu_and_mul``, the activation
    quantization and ``moe_sum`` run over the whole ``M x top_k`` intermediate caches (vLLM 0.11.0 sdist:
    model_executor/layers/fused_moe/fused_moe.py, ``fused_experts_impl``); SGLang's Triton runner does the same
    with its standard dispatcher. NVIDIA aiconfigurator's measured layers (benchmarks/data/triton_moe_times.csv:
    vLLM 0.19 and 0.24, SGLang 0.5.14) show it: at EP8 a rank's layer takes 1.6x (vLLM) and 2.2x (SGLang) what
    the engine charged for its own share of the assignments, 7x at EP64 (benchmarks/expert_parallel_masking.py).
    Those are the paths on Ampere, Ada and Hopper, and on Blackwell where the engine runs the experts on its
    Triton kernel (``generic_path``: not FlashInfer's TensorRT-LLM-gen kernels nor a Marlin one): vLLM's 16-bit
    experts, SGLang's 16- and 8-bit ones. SGLang 0.5.9's and 0.5.10's B200 Triton layers (aiconfigurator's tables,
    benchmarks/data/moe_kernel_times.csv) read the same at EP2-EP8 with every assignment's traffic charged and
    grow with the expert-parallel size without it (benchmarks/expert_parallel_masking.py). FlashInfer's kernels,
    DeepGEMM's MoE (vLLM's block-scaled FP8 with ``deep_gemm``) and TensorRT-LLM's permute the local assignments
    only; the ROCm paths (AITER's fused MoE) and SGLang's MXFP4 path (triton_kernels) are not measured, and keep the
    rank's share.
    """
    if profile.name not in ("vllm", "sglang") or ep <= 1 or dp_attention > 1:
        return False
    precision = normalize_precision(weight_precision)
    if profile.name == "sglang":
        triton = generic_path if gpu_family == "blackwell" else gpu_family in ("ampere", "ada", "hopper")
        return triton and precision in ("bf16", "fp16", "fp8")
    if gpu_family in ("ampere", "ada"):
        return True
    if gpu_family == "hopper":
        return not (deep_gemm and block_scaled and precision == "fp8")
    return gpu_family == "blackwell" and generic_path and precision in ("bf16", "fp16")


#: TensorRT-LLM's default MoE backend (``moe_config.backend: CUTLASS``) on NVFP4 experts on Blackwell runs its expert
#: layers slower than the generic grouped-GEMM term, by a factor on the term's streaming and compute (the per-layer
#: fixed time not scaled) that depends on the expert shape and the split: the CUTLASS tactics it picks per shape.
#: Where NVIDIA aiconfigurator timed the layer (sixteen bundled models' expert shapes, every split of the experts over
#: at most eight GPUs), the engine takes that measured factor (``data/trtllm_cutlass_fp4_moe.json``: the median, over a
#: B200's layers of 64 tokens and more at balanced routing, of the measured time less the generic term's fixed time
#: and the routing traffic a step charges beside it, over its streaming-and-compute part). Elsewhere it runs the
#: layer at ``I / (I + W)`` of the generic rate, ``I`` the expert's whole intermediate width (before any
#: tensor-parallel split) and ``W`` this width: the wide experts of Llama-4 and Mixtral near the generic rate,
#: DeepSeek-V3's (2,048 wide) at 0.67 of it, Qwen3-30B-A3B's (768) at 0.43. Both fitted by
#: benchmarks/fit_trtllm_moe.py on aiconfigurator-core 0.12.0's TensorRT-LLM 1.3.0rc20 layers
#: (benchmarks/data/trtllm_fp4_moe_times.csv), ``W`` on the B200's layers with the experts over 2-8 expert-parallel
#: ranks at 64 tokens and more; both read held out on the B300, GB200 and GB300 tables, collected on their own: median
#: |log(measured / estimated)| 0.11-0.21 measured factors, 0.15-0.23 the width, 0.23-0.30 the single factor
#: (1.85, fitted on DeepSeek-V3's shape alone) they replace (the script prints each by GPU and batch band)
TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH: Final[float] = 1020.0


@functools.cache
def _trtllm_cutlass_fp4_factors() -> dict[str, dict[str, float]]:
    """The measured factors of ``data/trtllm_cutlass_fp4_moe.json`` (written by benchmarks/fit_trtllm_moe.py
    ``--write``), by expert shape ``"hidden/intermediate/experts/top_k"`` and split ``"<moe tp>x<ep>"``."""
    text = (resources.files("config_explorer") / "data" / "trtllm_cutlass_fp4_moe.json").read_text("utf-8")
    factors: dict[str, dict[str, float]] = json.loads(text)["factors"]
    return factors


def trtllm_cutlass_fp4_factor(expert_shape: tuple[int, int, int, int], moe_tp: int, ep: int) -> float:
    """TensorRT-LLM's CUTLASS MoE on NVFP4 experts on Blackwell: its layer's streaming and compute over the generic
    term's, for experts of ``expert_shape`` (hidden, intermediate width, experts, top-k) each split ``moe_tp`` ways
    over ``ep`` expert-parallel ranks: measured where aiconfigurator timed that shape and split, else
    ``1 + W / intermediate`` (:data:`TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH`)."""
    hidden, intermediate, experts, top_k = expert_shape
    measured = _trtllm_cutlass_fp4_factors().get(f"{hidden}/{intermediate}/{experts}/{top_k}", {})
    factor = measured.get(f"{moe_tp}x{ep}")
    if factor is not None:
        return factor
    return 1.0 + TRTLLM_CUTLASS_FP4_MOE_HALF_WIDTH / intermediate


#: TensorRT-LLM on MXFP4 experts on Hopper, which has no FP4 tensor cores: its expert layer (weights dequantized
#: to 16-bit inside the grouped GEMMs; aiconfigurator's ``moe_torch_flow`` layer of TensorRT-LLM 1.3.0rc20) over
#: the generic 4-bit term, the fixed time not scaled. Fitted by benchmarks/fit_trtllm_moe.py on NVIDIA
#: aiconfigurator's H200 layers of gpt-oss-120b's shape with every expert on the GPU (TP1), every batch from 1 to
#: 16,384 tokens; held out on the same shape over eight expert-parallel ranks (which read slower still) and on
#: TensorRT-LLM's gpt-oss-120b attention-DP runs on H100 and H200 (benchmarks/scale.py)
TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN: Final[float] = 1.7


def trtllm_cutlass_moe_slowdown(
    profile: EngineProfile,
    *,
    weight_precision: str,
    gpu_family: str,
    trtllm_gen_moe: bool,
    expert_shape: tuple[int, int, int, int],
    moe_tp: int,
    ep: int,
) -> float:
    """How much slower than the generic grouped-GEMM term ``profile``'s engine runs a MoE layer's experts:
    :func:`trtllm_cutlass_fp4_factor` for TensorRT-LLM's CUTLASS MoE on NVFP4 experts on Blackwell (experts of
    ``expert_shape``, each split ``moe_tp`` ways over ``ep`` ranks); :data:`TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN` for
    TensorRT-LLM on MXFP4 experts on Hopper; else 1 (also where the experts run on TensorRT-LLM-gen kernels,
    ``trtllm_gen_moe``)."""
    if profile.name != "trtllm" or trtllm_gen_moe:
        return 1.0
    precision = normalize_precision(weight_precision)
    if gpu_family == "blackwell" and precision == "fp4" and expert_shape[1] > 0:
        return trtllm_cutlass_fp4_factor(expert_shape, moe_tp, ep)
    if gpu_family == "hopper" and precision == "mxfp4":
        return TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN
    return 1.0


#: TensorRT-LLM's CUTLASS MoE on block-scaled FP8 experts on Hopper: the tokens-wide expert shard at which its
#: grouped GEMMs reach half their compute rate, where the generic Hopper 8-bit term takes
#: ``FamilyEfficiency.moe_half_width_8bit`` (700): its block-scale kernels need a much wider shard to fill the
#: tensor cores (1.3x the generic term at EP8, whole 2,048-wide experts, 2x at TP8, 256 wide, on prompt-sized
#: batches). Fitted by benchmarks/fit_trtllm_moe.py on aiconfigurator's TensorRT-LLM 1.3.0rc20 H200 layers at
#: 1,024 tokens and more; held out on its H100 layers and the H200's smaller batches
TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH: Final[float] = 1900.0


def trtllm_block_fp8_moe_half_width(
    profile: EngineProfile, *, weight_precision: str, gpu_family: str, block_scaled: bool
) -> float | None:
    """The expert shard width at which ``profile``'s engine's grouped expert GEMMs reach half their rate where it
    is not the family's generic one: :data:`TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH` for TensorRT-LLM's CUTLASS MoE on
    block-scaled FP8 experts on Hopper, else None (the generic figure)."""
    fp8 = normalize_precision(weight_precision) == "fp8"
    if profile.name == "trtllm" and gpu_family == "hopper" and fp8 and block_scaled:
        return TRTLLM_FP8_BLOCK_MOE_HALF_WIDTH
    return None


#: vLLM's MLA decode layer on Hopper takes this much longer than the engine's kernel count charges, us per layer
#: per decode step: NVIDIA aiconfigurator's measured vLLM 0.24 layers (``FLASH_ATTN_MLA`` with a 16-bit KV
#: cache, ``FLASHMLA`` with FP8) run a near-constant 40-70 us above TensorRT-LLM's at every head count and
#: batch up to 64, where the engine's base term tracks TensorRT-LLM's; on a B200 (``FLASHINFER_MLA``) the two
#: are within a few us. Fitted by benchmarks/fit_mla_module.py on the H200's TP8 rows at batches of 1-64 and
#: contexts up to 4,096 tokens; held out on the H100, the other head counts, larger batches and contexts.
#: Taken for every vLLM release (the database has 0.24 only)
VLLM_HOPPER_MLA_LAYER_US: Final[float] = 54.0


def vllm_mla_layer_extra_us(profile: EngineProfile, *, gpu_family: str, mla: bool) -> float:
    """Fixed time ``profile``'s engine adds to each MLA layer of a decode step beyond the kernels the engine
    counts: :data:`VLLM_HOPPER_MLA_LAYER_US` for vLLM on Hopper, else 0."""
    return VLLM_HOPPER_MLA_LAYER_US if mla and profile.name == "vllm" and gpu_family == "hopper" else 0.0


#: prompt attention on each engine's own kernels: (tile rate as a share of the 16-bit peak, fixed part of a row
#: block in tiles) per (engine, GPU family), for :mod:`config_explorer.engine.attention`. Fitted by
#: benchmarks/fit_prefill_attention.py on NVIDIA aiconfigurator's context-attention tables (one layer's attention
#: op as the engine runs it, its KV cache written and read in the engine's layout;
#: benchmarks/data/context_attention_times.csv): vLLM 0.24 (FlashAttention-3 on Hopper, FlashInfer's TensorRT-LLM
#: prefill on Blackwell, FlashAttention-2 on the L40S) and 0.14 (FlashAttention-2 on the A100), SGLang 0.5.14
#: (FlashAttention-3, FlashInfer) and 0.5.10 (A100), TensorRT-LLM 1.3.0rc20 and 1.0.0 (A100), on the 32- and
#: 64-head rows of an H200, a B200, an A100 and an L40S; held out on the other head counts and on the H100 (a
#: median 2.3-12.6% against 13.8-75% on the family's own constants). Other engines and families keep the
#: family's ``attention_compute`` and ``attention.ROW_TILES``
PREFILL_ATTENTION_TILES: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("vllm", "hopper"): (0.672, 2.82),
    ("sglang", "hopper"): (0.616, 1.66),
    ("trtllm", "hopper"): (0.569, 3.42),
    ("vllm", "blackwell"): (0.591, 3.69),
    ("sglang", "blackwell"): (0.496, 4.13),
    ("trtllm", "blackwell"): (0.558, 7.26),
    ("vllm", "ampere"): (0.586, 1.22),
    ("sglang", "ampere"): (0.665, 0.70),
    ("trtllm", "ampere"): (0.483, 1.51),
    ("vllm", "ada"): (0.527, 0.99),
    ("sglang", "ada"): (0.593, 0.86),
    ("trtllm", "ada"): (0.402, 1.51),
}


def prefill_attention_tiles(profile: EngineProfile, gpu_family: str) -> tuple[float, float] | None:
    """``profile``'s engine's prompt-attention (tile rate, row-block tiles) on ``gpu_family``
    (:data:`PREFILL_ATTENTION_TILES`), or None where none was measured."""
    return PREFILL_ATTENTION_TILES.get((profile.name, gpu_family))


#: each engine's name as its project writes it
ENGINE_TITLES: Final[dict[str, str]] = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}
#: decode attention on each engine's default Blackwell kernel: the share of the catalog bandwidth it reads a
#: grouped-query KV cache at, (16-bit cache, FP8 cache), for TensorRT-LLM (its TensorRT-LLM-gen decode kernels),
#: vLLM (FlashInfer's TensorRT-LLM-gen decode) and SGLang (``trtllm_mha``, its default from 0.5.7 on Blackwell:
#: ``_handle_attention_backend_compatibility`` in the 0.5.6-0.5.8 wheels). Fitted in the engine's own model of a
#: decode-attention kernel (the family's ``attention_kernel_us``, then the cache read at this share), least squares
#: in log time, over the points of NVIDIA aiconfigurator's B200 ``generation_attention`` tables that read at least
#: 200 MB of cache (benchmarks/data/generation_attention_times.csv); benchmarks/fit_decode_attention.py fits them
#: and reads the B300 and GB200 tables held out (within 2%), and benchmarks/long_context_decode.py the vLLM
#: team's one-request ITL slopes on a B200. (Read as a median of bytes over time, the fixed time folded in and
#: then charged again, these were 0.78-0.82.) The family's 0.66 they replace was not measured; an FP8 cache reads
#: at a smaller share than a 16-bit one on every kernel timed
DECODE_ATTENTION_BANDWIDTH: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("trtllm", "blackwell"): (0.896, 0.886),
    ("vllm", "blackwell"): (0.921, 0.896),
    ("sglang", "blackwell"): (0.958, 0.811),
}
#: decode attention on each engine's Hopper kernel (FlashAttention-3 for vLLM and SGLang, TensorRT-LLM's own): the
#: share of the catalog bandwidth it reads a 16-bit grouped-query KV cache at, fitted as
#: :data:`DECODE_ATTENTION_BANDWIDTH` is on the H200's tables, taken by every Hopper part but the H100 SXM, which has
#: its own (:data:`H100_DECODE_ATTENTION`; the two differ by 5-10%); the family's 0.75, read off PyTorch's SDPA in
#: ../shared/data/kernels, stands for other engines
HOPPER_DECODE_ATTENTION_BANDWIDTH: Final[dict[str, float]] = {"vllm": 0.770, "sglang": 0.811, "trtllm": 0.726}
#: the H100 SXM's own fit of the same kernels on its own tables, (16-bit share, FP8 cache values a second), which it
#: reads at in place of the H200's (:data:`HOPPER_DECODE_ATTENTION_BANDWIDTH`, :data:`HOPPER_FP8_DECODE_VALUES_S`;
#: other Hopper parts take those); held out on the vLLM team's one-request ITL slopes on an H100
#: (benchmarks/long_context_decode.py)
H100_DECODE_ATTENTION: Final[dict[str, tuple[float, float]]] = {
    "vllm": (0.828, 2.363e12),
    "sglang": (0.852, 1.933e12),
    "trtllm": (0.801, 3.035e12),
}
#: the catalog GPU :data:`H100_DECODE_ATTENTION` was fitted on
H100_DECODE_ATTENTION_GPU: Final[str] = "H100 SXM"
#: SGLang's ``flashinfer`` decode kernel on Blackwell, its default for grouped-query models other than gpt-oss and
#: Llama 4 through 0.5.6 (which picked ``trtllm_mha`` for those two): fitted the same way on the same B200 table
SGLANG_FLASHINFER_DECODE_BANDWIDTH: Final[tuple[float, float]] = (0.737, 0.324)
#: the first SGLang release whose default attention backend on Blackwell is ``trtllm_mha`` for every
#: grouped-query model (0.5.6 picks it for gpt-oss and Llama 4 only; the 0.5.7 wheel for all)
SGLANG_TRTLLM_MHA_DEFAULT_SINCE: Final[tuple[int, int, int]] = (0, 5, 7)
_SGLANG_EARLY_TRTLLM_MHA_CLASSES: Final = frozenset(
    {"GptOssForCausalLM", "Llama4ForConditionalGeneration", "Llama4ForCausalLM"}
)
#: decode attention on an FP8 KV cache on Hopper: the most cache values a second each engine's grouped-query kernel
#: converts and reads (FlashAttention-3 for vLLM and SGLang, XQA for TensorRT-LLM). Its FP8 path, not the memory,
#: bounds it: an H100 and an H200 read FP8 at about the same values a second though the H200 streams 1.43x the
#: bytes. Fitted by benchmarks/fit_decode_attention.py on aiconfigurator's H200 ``generation_attention`` tables
#: (the FP8 share fitted as :data:`DECODE_ATTENTION_BANDWIDTH` is, over the points reading at least 200 MB, times
#: the H200's bandwidth); a cache reads at the smaller of this and the 16-bit share. Held out on the H100's tables
#: (within 21%; a fixed time per value added to the 16-bit streaming reads them 12-18% off)
HOPPER_FP8_DECODE_VALUES_S: Final[dict[str, float]] = {
    "vllm": 2.563e12,
    "sglang": 2.189e12,
    "trtllm": 4.123e12,
}
#: decode attention on an FP8 KV cache of heads of 64 values (gpt-oss's and Llama 3.2 1B's) over one of heads of 128,
#: by GPU family and engine: the FP8 cache values a second on Hopper (:data:`HOPPER_FP8_DECODE_VALUES_S`, the H100 SXM's
#: own in :data:`H100_DECODE_ATTENTION`), the FP8 share on Blackwell (:data:`DECODE_ATTENTION_BANDWIDTH`). Every engine's
#: kernel converts and reads an FP8 cache more slowly per value at the smaller head, where its 16-bit read is unchanged
#: (within 3% for vLLM and TensorRT-LLM on the H200 and every Blackwell GPU, 9% for SGLang on the H200). Fitted by
#: benchmarks/fit_decode_attention.py on aiconfigurator's ``generation_attention`` tables of both head sizes (the ratio
#: of what each size's points fit) on the H200 and the B200; held out on the H100 (0.88-0.94 there), the B300 and the
#: GB200, and on the vLLM team's gpt-oss-20b FP8 slopes on an H100 and a B200 (benchmarks/long_context_decode.py).
#: Between 64 and 128 the factor is taken linearly, below 64 at 64's; above 128 it stays 1: the same tables put vLLM's
#: FP8 cache at heads of 256 no faster than its 16-bit one on Hopper, where the vLLM team's blog measured gemma-4-E2B's
#: FP8 slope at 68% of its 16-bit one. SGLang's ``flashinfer`` kernel (its Blackwell default before 0.5.7) was not timed
#: at heads of 64 and keeps 1
FP8_DECODE_HEAD_64_FACTOR: Final[dict[str, dict[str, float]]] = {
    "hopper": {"vllm": 0.870, "sglang": 0.833, "trtllm": 0.909},
    "blackwell": {"vllm": 0.924, "sglang": 0.914, "trtllm": 0.945},
}


def fp8_decode_head_factor(engine: str, gpu_family: str, head_dim: int) -> float:
    """The factor on ``engine``'s FP8 decode-attention rate on ``gpu_family`` at heads of ``head_dim`` values
    (:data:`FP8_DECODE_HEAD_64_FACTOR`): 1 from 128 up (and for a family or engine whose kernel was not timed), that
    at 64 from 64 down, linear between."""
    at_64 = FP8_DECODE_HEAD_64_FACTOR.get(gpu_family, {}).get(engine)
    if at_64 is None or head_dim >= 128:
        return 1.0
    if head_dim <= 64:
        return at_64
    return at_64 + (1.0 - at_64) * (head_dim - 64) / 64


#: MLA's absorbed decode attention on Hopper: the share of the bandwidth a 16-bit latent cache is read at, by
#: TensorRT-LLM's MLA kernel and FlashAttention-3's MLA path alike (0.856 and 0.857 on the H200), and the most FP8
#: cache values a second TensorRT-LLM's kernel and FlashMLA (vLLM's FP8 MLA kernel) read (SGLang converts an FP8
#: pool to 16-bit first: :func:`sglang_converts_kv_pool`). Fitted by benchmarks/fit_decode_attention.py on the
#: 16-head (TP8) rows of aiconfigurator's H200 ``mla_generation_module`` tables (benchmarks/data/
#: mla_module_times.csv) that read at least 200 MB, less the layer's projections and fixed time as the engine
#: charges them; held out on the H100, on 32 and 64 heads, and on the kernel-alone ``generation_mla`` tables of the
#: H100 and H200 (within 8%)
HOPPER_MLA_DECODE_BANDWIDTH: Final[float] = 0.857
HOPPER_FP8_MLA_DECODE_VALUES_S: Final[dict[str, float]] = {"trtllm": 2.914e12, "vllm": 2.674e12}
#: MLA's absorbed decode attention on Blackwell, (16-bit, FP8) shares of the bandwidth: TensorRT-LLM's
#: TensorRT-LLM-gen MLA kernel (also SGLang's ``trtllm_mla``, its default for DeepSeek-V3-class checkpoints there)
#: and FlashInfer's MLA kernel (SGLang's default for other MLA models, and vLLM's: an assumption for releases
#: before 0.24, whose default was not read). Fitted the same way on the B200's 16-head rows; held out on the MLA
#: attention kernel alone (aiconfigurator's ``generation_mla`` tables, benchmarks/data/generation_mla_times.csv:
#: SGLang's ``trtllm_mla`` and TensorRT-LLM's on the B200, B300 and GB200, within 5%). At 32 heads (TP4) both
#: kernels read the same cache about 1.45x slower on every Blackwell GPU timed: :data:`BLACKWELL_MLA_32_HEAD_FACTOR`
BLACKWELL_MLA_DECODE_BANDWIDTH: Final[dict[str, tuple[float, float]]] = {
    "trtllm": (0.662, 0.780),
    "flashinfer": (0.659, 0.709),
}
#: MLA decode on Blackwell at 32 heads a GPU (DeepSeek-V3-class models at attention TP4): both kernels read the
#: same cache at this fraction of their 16-head share, where 64 and 128 heads read near it (a tiling effect, not
#: compute). The median over the B200's rows of both MLA tables, both kernels and both KV formats (0.66-0.70;
#: benchmarks/fit_decode_attention.py), held out on the B300's and GB200's kernel-alone tables (within 11%)
BLACKWELL_MLA_32_HEAD_FACTOR: Final[float] = 0.673
#: MLA decode on Blackwell at 64 heads a GPU and more (data-parallel attention's ranks hold every head), by (engine, KV
#: format): (share of the bandwidth its kernel reads the latent cache at, share of the 16-bit peak its arithmetic runs
#: at). There the arithmetic matters as much as the read; with an FP8 cache TensorRT-LLM's generation MLA kernel runs
#: FP8 arithmetic (``mFP8GenerationMLA`` follows the cache's FP8 mode, the query quantized to FP8: ``attentionOp`` in
#: TensorRT-LLM; its tech blog 3, on DeepSeek-R1's throughput on Blackwell: "both Q and KV are quantized to FP8"), and
#: so does SGLang's ``trtllm_mla`` backend. Fitted jointly on the B200's 64- and 128-head rows of aiconfigurator's
#: ``generation_mla`` tables (benchmarks/data/generation_mla_times.csv), the compute share at most the format's tensor
#: peak (1 for 16-bit arithmetic, 2 for FP8; TensorRT-LLM's kernels reach it: their read binds), held out on the B300's
#: and GB200's (benchmarks/fit_mla_decode_compute.py). Where the engine runs another MLA kernel (vLLM; SGLang's
#: FlashInfer MLA for other models) the 16-head share and :data:`MLA_DECODE_COMPUTE` stand
BLACKWELL_WIDE_MLA_DECODE: Final[dict[tuple[str, str], tuple[float, float]]] = {
    ("sglang", "16-bit"): (0.658, 0.587),
    ("sglang", "fp8"): (0.620, 0.969),
    ("trtllm", "16-bit"): (0.702, 1.000),
    ("trtllm", "fp8"): (0.649, 2.000),
}
#: the heads a GPU from which :data:`BLACKWELL_WIDE_MLA_DECODE` holds (the tables time 16, 32, 64 and 128)
BLACKWELL_WIDE_MLA_HEADS: Final = 64


def blackwell_wide_mla_decode(
    profile: EngineProfile, *, gpu_family: str, model_class: str, heads_per_gpu: float, kv_value_bytes: float
) -> tuple[float, float] | None:
    """(bandwidth share, compute share of the 16-bit peak) of MLA decode attention where ``profile``'s engine runs
    TensorRT-LLM's generation MLA kernel (TensorRT-LLM; SGLang's ``trtllm_mla``, its default for
    ``DeepseekV3ForCausalLM`` on Blackwell) on a Blackwell GPU holding :data:`BLACKWELL_WIDE_MLA_HEADS` heads or more
    of a ``DeepseekV3ForCausalLM`` model (DeepSeek-V3/R1, Kimi K2: the geometry the tables time); None elsewhere."""
    if (
        gpu_family != "blackwell"
        or model_class != "DeepseekV3ForCausalLM"
        or heads_per_gpu < BLACKWELL_WIDE_MLA_HEADS
        or profile.name not in ("trtllm", "sglang")
    ):
        return None
    return BLACKWELL_WIDE_MLA_DECODE[(profile.name, "fp8" if kv_value_bytes < 2.0 else "16-bit")]


def decode_attention_bandwidth(
    profile: EngineProfile,
    *,
    gpu_family: str,
    family_share: float,
    bandwidth_bytes_s: float,
    kv_value_bytes: float,
    mla: bool,
    model_class: str,
    heads_per_gpu: float = 16.0,
    gpu_name: str = "",
    head_dim: int = 128,
) -> float:
    """The share of the GPU's bandwidth (``bandwidth_bytes_s``) at which ``profile``'s engine reads the KV cache in
    decode (``family_share``: the GPU family's figure, kept where no engine kernel was timed; ``heads_per_gpu``:
    the attention heads one GPU holds; ``gpu_name``: the catalog GPU, for one with its own fit; ``head_dim``: the
    values of one grouped-query head, which sets the FP8 kernels' rate, :func:`fp8_decode_head_factor`).

    Grouped-query layers: :data:`DECODE_ATTENTION_BANDWIDTH` on Blackwell (SGLang's ``flashinfer`` kernel before
    :data:`SGLANG_TRTLLM_MHA_DEFAULT_SINCE`); on Hopper :data:`HOPPER_DECODE_ATTENTION_BANDWIDTH` (the family's
    figure for other engines and for TensorRT-LLM's kernel before XQA), an FP8 cache capped at
    :data:`HOPPER_FP8_DECODE_VALUES_S`, and on the H100 SXM its own :data:`H100_DECODE_ATTENTION`. MLA layers:
    :data:`HOPPER_MLA_DECODE_BANDWIDTH` (FP8 capped at :data:`HOPPER_FP8_MLA_DECODE_VALUES_S`) and
    :data:`BLACKWELL_MLA_DECODE_BANDWIDTH` (times :data:`BLACKWELL_MLA_32_HEAD_FACTOR` at 32 heads a GPU;
    :func:`blackwell_wide_mla_decode` from 64)."""
    fp8 = kv_value_bytes < 2.0
    engine = profile.name
    if gpu_family == "hopper":
        if not (mla or profile.grouped_decode_attention):
            return family_share  # a per-query-head kernel (TensorRT-LLM before XQA): none of these was timed
        own = H100_DECODE_ATTENTION.get(engine) if gpu_name == H100_DECODE_ATTENTION_GPU and not mla else None
        sixteen = (
            HOPPER_MLA_DECODE_BANDWIDTH
            if mla
            else own[0]
            if own
            else HOPPER_DECODE_ATTENTION_BANDWIDTH.get(engine, family_share)
        )
        ceilings = HOPPER_FP8_MLA_DECODE_VALUES_S if mla else HOPPER_FP8_DECODE_VALUES_S
        ceiling = (own[1] if own else ceilings.get(engine)) if fp8 else None
        if ceiling and not mla:
            ceiling *= fp8_decode_head_factor(engine, gpu_family, head_dim)
        return min(sixteen, ceiling * kv_value_bytes / bandwidth_bytes_s) if ceiling else sixteen
    if gpu_family != "blackwell" or engine not in ("trtllm", "vllm", "sglang"):
        return family_share
    if mla:
        wide = blackwell_wide_mla_decode(
            profile,
            gpu_family=gpu_family,
            model_class=model_class,
            heads_per_gpu=heads_per_gpu,
            kv_value_bytes=kv_value_bytes,
        )
        if wide:
            return wide[0]
        trtllm_kernel = engine == "trtllm" or (engine == "sglang" and model_class == "DeepseekV3ForCausalLM")
        shares = BLACKWELL_MLA_DECODE_BANDWIDTH["trtllm" if trtllm_kernel else "flashinfer"]
        if round(heads_per_gpu) == 32:
            shares = (shares[0] * BLACKWELL_MLA_32_HEAD_FACTOR, shares[1] * BLACKWELL_MLA_32_HEAD_FACTOR)
    else:
        shares = DECODE_ATTENTION_BANDWIDTH[(engine, gpu_family)]
        if (
            engine == "sglang"
            and profile.version
            and _release(profile.version) < SGLANG_TRTLLM_MHA_DEFAULT_SINCE
            and model_class not in _SGLANG_EARLY_TRTLLM_MHA_CLASSES
        ):
            shares = SGLANG_FLASHINFER_DECODE_BANDWIDTH
        else:
            shares = (shares[0], shares[1] * fp8_decode_head_factor(engine, gpu_family, head_dim))
    return shares[1] if fp8 else shares[0]


#: the first SGLang release that runs prompt (extend) batches in piecewise CUDA graphs by default: its
#: ``ServerArgs.disable_piecewise_cuda_graph`` defaults to False, where through 0.5.9 an
#: ``enable_piecewise_cuda_graph`` flag defaulted to False (python/sglang/srt/server_args.py in the 0.5.7-0.5.12
#: wheels). It captures extend batches up to the chunked-prefill size, or up to 2,048 tokens for MLA models
#: (``piecewise_cuda_graph_max_tokens``), and ``_handle_piecewise_cuda_graph`` turns the graphs off for data-parallel
#: attention, pipeline parallelism, an all-to-all MoE backend, non-CUDA GPUs, prefill/decode disaggregation,
#: multimodal checkpoints and the model classes it lists, and in 0.5.10 for speculative decoding
SGLANG_PIECEWISE_GRAPHS_SINCE: Final[tuple[int, int, int]] = (0, 5, 10)
SGLANG_PIECEWISE_MLA_MAX_TOKENS: Final[int] = 2048
#: the first SGLang release that keeps piecewise graphs on beside the FlashInfer TensorRT-LLM-gen MoE runners:
#: from 0.5.10 through 0.5.12.post1 ``_handle_moe_kernel_config`` turns them off whenever the MoE runner is
#: ``flashinfer_trtllm`` or ``flashinfer_mxfp4`` (their top-k is bypassed, which torch.compile cannot trace),
#: except for ``GptOssForCausalLM``, whose MoE block is one custom op (server_args.py, 0.5.10 and 0.5.12 wheels);
#: the gate is gone from 0.5.13 (sgl-project/sglang PR #23351). Those runners are what SGLang picks itself on
#: Blackwell for DeepSeek-V3-class, Qwen3-MoE and Llama-4 checkpoints (:func:`runs_trtllm_gen_moe`), so their
#: prompt steps ran eagerly in those releases (benchmarks/data/sglang_trtllm_mla_prefill_graph_evidence.md)
SGLANG_PIECEWISE_WITH_TRTLLM_GEN_MOE_SINCE: Final[tuple[int, int, int]] = (0, 5, 13)
#: the first SGLang release whose prompt graphs on CUDA are breakable CUDA graphs (``default_prefill_backend`` in
#: model_executor/cuda_graph_config.py, 0.5.15-0.5.18 wheels; 0.5.14 still defaults to ``tc_piecewise``), captured
#: up to the same sizes, and that keeps DeepSeek-V3's prompts out of any prompt graph on Blackwell, where the model
#: defaults to the ``trtllm_mla`` attention backend (``_disable_prefill_cuda_graph_for_deepseek_trtllm_mla``, PR
#: #28053: a captured prompt step falls back to FlashInfer's paged MLA, which converts the layer's whole KV pool)
SGLANG_BREAKABLE_PREFILL_SINCE: Final[tuple[int, int, int]] = (0, 5, 15)
#: the first release whose breakable prompt graphs take MLA models (0.5.15-0.5.17 turn them off for MLA attention:
#: ``_disable_breakable_cudagraph_if_incompatible``; the rule is gone from the 0.5.18 wheel)
SGLANG_BREAKABLE_MLA_SINCE: Final[tuple[int, int, int]] = (0, 5, 18)
#: the first release whose breakable prompt graphs take data-parallel attention (0.5.15 and 0.5.16 list it among
#: their exclusions; 0.5.17 and 0.5.18 drop it and exclude two-batch overlap instead)
SGLANG_BREAKABLE_DP_ATTENTION_SINCE: Final[tuple[int, int, int]] = (0, 5, 17)
#: ``piecewise_cuda_graph_disabled_model_archs`` (sglang/srt/configs/model_config.py, 0.5.12)
_SGLANG_PIECEWISE_DISABLED_CLASSES: Final = frozenset(
    {
        "DeepseekV32ForCausalLM",
        "DeepseekV4ForCausalLM",
        "Qwen3NextForCausalLM",
        "GlmMoeDsaForCausalLM",
        "BailingMoeV2_5ForCausalLM",
        "LLaDAModelLM",
    }
)
#: the multimodal classes of SGLang's ``multimodal_model_archs`` (same file) whose text models the catalog holds
_SGLANG_MULTIMODAL_CLASSES: Final = frozenset(
    {
        "Gemma3ForConditionalGeneration",
        "Gemma3nForConditionalGeneration",
        "Gemma4ForConditionalGeneration",
        "Llama4ForConditionalGeneration",
        "Mistral3ForConditionalGeneration",
        "MllamaForConditionalGeneration",
        "LlavaForConditionalGeneration",
        "PixtralForConditionalGeneration",
        "Qwen2_5_VLForConditionalGeneration",
        "Qwen3VLForConditionalGeneration",
        "Qwen3VLMoeForConditionalGeneration",
        "Qwen3_5ForConditionalGeneration",
        "Qwen3_5MoeForConditionalGeneration",
        "KimiK25ForConditionalGeneration",
    }
)


#: multimodal classes whose language model's prompt steps SGLang validated under breakable CUDA graphs, from the
#: release that lists them (``multimodal_breakable_cuda_graph_supported_model_archs`` in configs/model_config.py:
#: the Qwen3.5 classes from the 0.5.16 wheel, Kimi-K2.5 added in the 0.5.18 wheel; 0.5.15 has no such list): their
#: prompt steps replay breakable graphs under the same exclusions as a text model's
SGLANG_MULTIMODAL_BREAKABLE_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "Qwen3_5ForConditionalGeneration": (0, 5, 16),
    "Qwen3_5MoeForConditionalGeneration": (0, 5, 16),
    "KimiK25ForConditionalGeneration": (0, 5, 18),
}
#: multimodal classes validated under torch.compile piecewise graphs (``multimodal_piecewise_cuda_graph_supported_
#: model_archs``, the same file): from 0.5.16 a breakable default falls back to those graphs for them unless they
#: are on the breakable list as well (server_args.py, 0.5.16-0.5.18 wheels), under the piecewise graphs' own
#: exclusions (``_disable_tc_piecewise_cudagraph_if_incompatible``: DP attention, pipeline parallelism,
#: disaggregation, the listed model classes); Kimi-K2.5 from the 0.5.16 wheel
SGLANG_MULTIMODAL_PIECEWISE_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "KimiK25ForConditionalGeneration": (0, 5, 16),
}
#: a release no SGLang has reached (an allowlist that does not name the class)
_NO_RELEASE: Final[tuple[int, int, int]] = (1 << 30, 0, 0)


def sglang_piecewise_sizes(max_tokens: int) -> list[int]:
    """The prompt sizes SGLang captures piecewise graphs for, up to ``max_tokens``
    (``_generate_piecewise_cuda_graph_tokens`` in python/sglang/srt/server_args.py, 0.5.12)."""
    sizes = [
        *range(4, 33, 4),
        *range(48, 257, 16),
        *range(288, 513, 32),
        *range(576, 1025, 64),
        *range(1280, 4097, 256),
        *range(4608, max_tokens + 1, 512),
    ]
    return [size for size in sizes if size <= max_tokens]


def sglang_piecewise_graph_tokens(
    profile: EngineProfile,
    *,
    model_class: str,
    mla: bool,
    chunk_tokens: int,
    gpu_family: str,
    dp_attention: int,
    pp: int,
    speculative: bool,
    disaggregated: bool,
    trtllm_gen_moe: bool = False,
    two_batch_overlap: bool = False,
) -> int:
    """The most tokens an SGLang prompt batch may hold and run in CUDA graphs (0: it runs eagerly): up to
    ``chunk_tokens`` (the chunked-prefill size), or :data:`SGLANG_PIECEWISE_MLA_MAX_TOKENS` for MLA models, on
    CUDA GPUs, from :data:`SGLANG_PIECEWISE_GRAPHS_SINCE` on (a profile without a release follows the newest
    rules read, 0.5.18's), unless the release's own rules turn them off:

    * piecewise graphs (0.5.10-0.5.14, ``_handle_piecewise_cuda_graph``): data-parallel attention, pipeline
      parallelism, a disaggregated pool, the model classes SGLang lists, multimodal checkpoints, speculative
      decoding in 0.5.10, and before :data:`SGLANG_PIECEWISE_WITH_TRTLLM_GEN_MOE_SINCE` the TensorRT-LLM-gen MoE
      runners (``trtllm_gen_moe``, :func:`runs_trtllm_gen_moe`) of a model other than gpt-oss;
    * breakable graphs (from :data:`SGLANG_BREAKABLE_PREFILL_SINCE`, ``_disable_breakable_cudagraph_if_incompatible``
      and PR #28053's guard, charged alike): DeepSeek-V3 on Blackwell, multimodal checkpoints, two-batch overlap
      (0.5.17 on), MLA models before :data:`SGLANG_BREAKABLE_MLA_SINCE`, and data-parallel attention before
      :data:`SGLANG_BREAKABLE_DP_ATTENTION_SINCE`; pipeline parallelism, disaggregated prefill pools, speculative
      decoding and the piecewise graphs' model classes no longer turn them off. A multimodal class on the
      release's breakable allowlist (:data:`SGLANG_MULTIMODAL_BREAKABLE_SINCE`) is charged as a text model; one
      on its piecewise allowlist only (:data:`SGLANG_MULTIMODAL_PIECEWISE_SINCE`) replays piecewise graphs under
      the piecewise exclusions above.
    """
    if profile.name != "sglang" or gpu_family not in _CUDA_FAMILIES:
        return 0
    release = profile_release(profile)
    if release is not None and release < SGLANG_PIECEWISE_GRAPHS_SINCE:
        return 0
    # the exclusions of torch.compile piecewise graphs (0.5.10-0.5.14's only prompt graphs, later a fallback)
    piecewise_off = (
        dp_attention > 1 or pp > 1 or disaggregated or model_class in _SGLANG_PIECEWISE_DISABLED_CLASSES
    )
    if release is not None and release < SGLANG_BREAKABLE_PREFILL_SINCE:
        off = (
            piecewise_off
            or model_class in _SGLANG_MULTIMODAL_CLASSES
            or (speculative and release < (0, 5, 11))
            or (
                trtllm_gen_moe
                and model_class != "GptOssForCausalLM"
                and release < SGLANG_PIECEWISE_WITH_TRTLLM_GEN_MOE_SINCE
            )
        )
    else:
        # a profile without a release reads as the newest release read
        read = release or SGLANG_BREAKABLE_MLA_SINCE
        multimodal = (
            model_class in _SGLANG_MULTIMODAL_CLASSES
            and read < SGLANG_MULTIMODAL_BREAKABLE_SINCE.get(model_class, _NO_RELEASE)
        )
        if multimodal and read >= SGLANG_MULTIMODAL_PIECEWISE_SINCE.get(model_class, _NO_RELEASE):
            return 0 if piecewise_off else (SGLANG_PIECEWISE_MLA_MAX_TOKENS if mla else chunk_tokens)
        off = (
            multimodal
            or (model_class == "DeepseekV3ForCausalLM" and gpu_family == "blackwell")
            or (two_batch_overlap and read >= SGLANG_BREAKABLE_DP_ATTENTION_SINCE)
            or (mla and read < SGLANG_BREAKABLE_MLA_SINCE)
            or (dp_attention > 1 and read < SGLANG_BREAKABLE_DP_ATTENTION_SINCE)
        )
    if off:
        return 0
    return SGLANG_PIECEWISE_MLA_MAX_TOKENS if mla else chunk_tokens


#: the first SGLang release with ``--enable-prefill-delayer`` (``PrefillDelayer`` in sglang/srt/managers/prefill_delayer.py,
#: ``enable_prefill_delayer: bool = False`` and ``prefill_delayer_max_delay_passes: int = 30`` in server_args.py):
#: absent from the 0.5.6 and 0.5.7 wheels, present in every wheel read from 0.5.8 to 0.5.12
SGLANG_PREFILL_DELAYER_SINCE: Final[tuple[int, int, int]] = (0, 5, 8)
#: its default ``--prefill-delayer-max-delay-passes``
SGLANG_PREFILL_DELAYER_PASSES: Final[int] = 30


def check_prefill_delayer(
    profile: EngineProfile, *, dp_attention: int, overlap_off: bool, disaggregated: bool
) -> None:
    """Refuse SGLang's prefill delayer (``enable_prefill_delayer``) where SGLang would: without data-parallel attention,
    with the overlap schedule off or in a disaggregated pool (the asserts of ``PrefillDelayer.__init__``, 0.5.12), and
    in a release before :data:`SGLANG_PREFILL_DELAYER_SINCE`."""
    from config_explorer.errors import InvalidArgumentError

    release = profile_release(profile)
    since = ".".join(map(str, SGLANG_PREFILL_DELAYER_SINCE))
    if release is not None and release < SGLANG_PREFILL_DELAYER_SINCE:
        raise InvalidArgumentError(
            f"engine option enable_prefill_delayer is SGLang's --enable-prefill-delayer, from {since}; "
            f"{profile.version} has none: pin engine='sglang=={since}' or later, or leave it unset"
        )
    why = (
        "it needs data-parallel attention (dp_attention > 1)"
        if dp_attention < 2
        else "it needs the overlap schedule (disable_overlap_schedule unset)"
        if overlap_off
        else "it does not run in a disaggregated pool"
        if disaggregated
        else ""
    )
    if why:
        raise InvalidArgumentError(
            f"engine option enable_prefill_delayer (SGLang's --enable-prefill-delayer) with dp_attention={dp_attention}: "
            f"{why}, as SGLang asserts at start-up; accepted with dp_attention > 1 in an aggregated plan"
        )


#: the share of its datasheet memory bandwidth at which a GPU converts an FP8 KV pool to 16-bit (PyTorch's
#: ``.to`` on the layer's whole MLA buffer): SGLang issue #35291 (DeepSeek-R1-0528, FP8 KV cache, 8x H200,
#: ``--max-total-tokens 131072``) timed one 225.79 us conversion kernel per layer, which moves (131,072 + 1) slots
#: x 576 values x (1 byte read + 2 written) = 226.5 MB: 1.00 TB/s, 0.209 of the H200's 4.8 TB/s. Read off that one
#: measurement (benchmarks/data/sglang_trtllm_mla_prefill_graph_evidence.md, section 7), not fitted on any
#: scored point; GPUs outside Hopper are assumed to convert at the same share of their bandwidth (Hopper's: the
#: next constant). Held out on aiconfigurator's SGLang 0.5.14 FP8 MLA kernel tables (benchmarks/fit_decode_attention.py):
#: the conversion and a 16-bit read take 1.04x the charged time on an H200
SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE: Final[float] = 0.209
#: on Hopper the conversion moves the bytes a second that issue #35291 measured on the H200 (its share times the
#: H200's 4.8 TB/s), whatever the GPU's bandwidth: aiconfigurator's SGLang 0.5.14 FP8 MLA kernel tables time an H100
#: converting about as many values a second as an H200 (benchmarks/fit_decode_attention.py: at this rate the H100's
#: kernel takes 1.09x the charged time, at the H100's share of its own bandwidth 0.78x)
SGLANG_KV_POOL_CONVERSION_HOPPER_BYTES_S: Final[float] = SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE * 4.8e12


#: the first SGLang release that stores a DeepSeek-sparse-attention model's KV cache in FP8 on Blackwell unless told
#: otherwise (0.5.5's ``_handle_model_specific_adjustments``: ``fp8_e4m3`` where the compute capability is 10 or
#: more, bf16 below; 0.5.4 left the model's type)
SGLANG_DSA_FP8_KV_SINCE: Final = (0, 5, 5)


def default_kv_precision(
    profile: EngineProfile, *, weights: str, sparse_attention: bool, gpu_family: str
) -> str:
    """The KV-cache type an engine keeps when the launch names none: the activations' 16-bit type, except
    SGLang's FP8 for a model with DeepSeek sparse attention on Blackwell (its NSA kernels there read FP8 only:
    ``server_args.py``, 0.5.5 to 0.5.16 wheels; :data:`SGLANG_DSA_FP8_KV_SINCE`)."""
    if profile.name == "sglang" and sparse_attention and gpu_family == "blackwell":
        release = profile_release(profile)
        if release is None or release >= SGLANG_DSA_FP8_KV_SINCE:
            return "fp8"
    return "fp16" if weights == "fp16" else "bf16"


#: the SGLang releases (first, first not) that run a DeepSeek-sparse-attention model with data-parallel attention over
#: all its tensor-parallel ranks whatever the launch states (``enable_dp_attention = True; dp_size = tp_size`` in
#: ``server_args.py``, 0.5.4 and 0.5.5 wheels); from 0.5.6 the switch is forced with the stated ``--dp`` ("NSA with
#: TP mode" where that is below the TP degree), and earlier releases were not read
SGLANG_DSA_FORCED_DP_RELEASES: Final = ((0, 5, 4), (0, 5, 6))


def sglang_forces_dsa_dp_attention(profile: EngineProfile, *, sparse_attention: bool) -> bool:
    """Whether ``profile``'s SGLang release runs a DeepSeek-sparse-attention model with one attention group per
    tensor-parallel rank whatever the launch states (:data:`SGLANG_DSA_FORCED_DP_RELEASES`)."""
    if profile.name != "sglang" or not sparse_attention:
        return False
    return _released_within(profile, SGLANG_DSA_FORCED_DP_RELEASES)


#: the head counts FlashMLA's sparse kernels compute in multiples of, by GPU family: a rank holding fewer heads
#: (tensor-parallel attention: DeepSeek-V3.2's 128 over eight GPUs is 16) has its queries padded with zero heads
#: up to it and computes them all (vLLM's ``FlashMLASparseImpl``, 0.11 to 0.13: ``padding = 128`` on compute
#: capability 10, else 64; SGLang's nsa backend ``_forward_flashmla_sparse``, 0.5.6 to 0.5.12: the same)
SPARSE_MLA_HEAD_PADDING: Final = {"hopper": 64, "blackwell": 128}
#: the vLLM releases (first, first not) whose DeepSeek-sparse-attention MLA on a 16-bit cache computes every one of a
#: query's ``index_topk`` slots whatever its context: ``FlashMLASparseImpl._bf16_flash_mla_kernel`` runs FlashMLA's
#: sparse prefill kernel for prompts and decodes alike with no per-query length (0.11.0 to 0.23.x wheels:
#: ``flash_mla_sparse_prefill`` / ``flash_mla_sparse_fwd(q, kv, indices, scale)``), and that kernel loops over all
#: ``topk / 64`` blocks, masking the unused (-1) slots but computing them (deepseek-ai/FlashMLA @1408756,
#: ``csrc/sm90/prefill/sparse/fwd.cu``: ``num_topk_blocks = params.topk / B_TOPK``); 0.24.0 passes ``topk_length``
#: and stops at the context. NVIDIA aiconfigurator's H200 DeepSeek-V3.2 decode-module times (commit 095f58a,
#: ``systems/data/h200_sxm/sparse_attention/vllm/{0.19.0,0.24.0}/dsa_generation_module_perf.parquet``, 16 heads, a
#: bf16 cache) show it: 0.19.0 takes 1.00 ms at 1,024 decodes of 2 tokens of context and 1.17 ms at 2,048, where
#: 0.24.0 takes 0.53 ms and 1.15 ms
VLLM_SPARSE_MLA_FULL_TOPK_RELEASES: Final = ((0, 11, 0), (0, 24, 0))

#: the vLLM releases (first, first not) whose DeepSeek-sparse-attention indexer has DeepGEMM clean its FP32 logits: a
#: decode's row of ``fp8_paged_mqa_logits`` is ``max_model_len`` wide (the width rounded up to
#: :data:`VLLM_INDEXER_LOGITS_ALIGNMENT`), and ``clean_logits=True`` writes -inf over every column past the row's
#: context, so the logits kernel and the clean kernel write the whole row, 4 bytes a column, each sparse layer,
#: whatever the context. 0.11.0-0.15.1: ``vllm/utils/deep_gemm.py`` passes ``clean_logits=True`` to the paged call
#: (and the prompt call takes DeepGEMM's default, true); 0.16.0 passes ``clean_logits=False`` to both
#: (``model_executor/layers/sparse_attn_indexer.py``), as every later wheel read (0.17-0.34). The kernels:
#: deepseek-ai/DeepGEMM @38f8ef7 ``csrc/apis/attention.hpp`` (``fp8_paged_mqa_logits`` allocates
#: ``[batch x next_n, align(max_context_len, 4 x 64)]`` FP32; ``smxx_clean_logits`` over ``max_context_len``
#: columns) and ``deep_gemm/include/deep_gemm/impls/smxx_clean_logits.cuh`` (a bulk -inf store of every block
#: outside ``[ks, ke)``)
VLLM_INDEXER_CLEAN_LOGITS_RELEASES: Final = ((0, 11, 0), (0, 16, 0))
#: the column multiple DeepGEMM's paged logits are allocated in: its four math warp groups times the 64-token KV
#: block (DeepGEMM @38f8ef7 ``csrc/apis/attention.hpp``: ``align(max_context_len, num_math_warp_groups * block_kv)``)
VLLM_INDEXER_LOGITS_ALIGNMENT: Final = 4 * 64


#: the first releases that serve DeepSeek-V4's compressed attention (``DeepseekV4ForCausalLM``): vLLM 0.20.0 (0.19.1 has
#: no such model; its recipe's ``min_vllm_version``) and SGLang 0.5.12 (0.5.11 has none), as their wheels show
#: (benchmarks/data/dsv4_engine_evidence.md). TensorRT-LLM's PyTorch backend serves it on Blackwell only (its
#: ``examples/models/core/deepseek_v4`` README)
COMPRESSED_ATTENTION_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "vllm": (0, 20, 0),
    "sglang": (0, 5, 12),
}
#: the KV-cache block, in tokens, each engine serves DeepSeek-V4 in: vLLM's recipe requires ``--block-size 256``
#: (its compressed caches take ``256 / ratio`` entries a block), SGLang forces ``page_size`` 256 (its deepseek_v4
#: hook, 0.5.12), TensorRT-LLM's ``tokens_per_block`` defaults to 128
COMPRESSED_ATTENTION_BLOCK: Final[dict[str, int]] = {"vllm": 256, "sglang": 256, "trtllm": 128}
#: SGLang's running-request limit for DeepSeek-V4 where the launch sets none (its deepseek_v4 hook, the 0.5.12, 0.5.16
#: and 0.5.23 wheels: ``max_running_requests = 256``), which its data-parallel attention groups share
SGLANG_COMPRESSED_MAX_RUNNING: Final[int] = 256


def compressed_attention_support(
    profile: EngineProfile, *, gpu_family: str, kv_precision: str
) -> tuple[str | None, str | None]:
    """(why ``profile``'s engine cannot serve DeepSeek-V4's compressed attention on a ``gpu_family`` GPU with a
    ``kv_precision`` cache, or None; a caveat where it can, or None)."""
    name = ENGINE_TITLES.get(profile.name, profile.name)
    if profile.name == "trtllm" and gpu_family != "blackwell":
        return (
            f"TensorRT-LLM serves DeepSeek-V4 on Blackwell GPUs only (its deepseek_v4 example), not on {gpu_family}; "
            "accepted there: engine='vllm' or 'sglang'",
            None,
        )
    if profile.name == "sglang" and normalize_precision(kv_precision) != "fp8":
        return (
            f"SGLang keeps DeepSeek-V4's KV cache in fp8_e4m3 only (its deepseek_v4 hook rejects {kv_precision}); "
            "accepted: kv_precision='fp8'",
            None,
        )
    since = COMPRESSED_ATTENTION_SINCE.get(profile.name)
    if since is None:
        return None, None
    first = ".".join(map(str, since))
    # the unpinned vLLM profile follows DEFAULT_VLLM_VERSION's rules, older than any release serving the model
    unpinned = profile.name == "vllm" and profile.version == DEFAULT_VLLM_VERSION
    release = profile_release(profile)
    if release is not None and release < since and not unpinned:
        return f"{name} {profile.version} has no DeepSeek-V4 model; it serves one from {first}", None
    if unpinned:
        return None, (
            f"vLLM serves DeepSeek-V4 from {first}: this estimate follows the unpinned profile's release "
            f"({profile.version}) for its host time and memory rules; pin engine='vllm=={first}' or later to follow one "
            "that serves it"
        )
    return None, None


#: the vLLM releases the recipes name as the first to serve Kimi's delta-attention models, by the newest feature a
#: model uses (vllm-project/recipes @8959cf6: Kimi-Linear-48B-A3B-Instruct.yaml ``min_vllm_version`` 0.11.2, Kimi-K3.yaml
#: 0.27.1), and the release Kimi-Linear's recipe says to avoid (0.12.0: ``MLAModules.__init__() missing ...
#: 'indexer_rotary_emb'``)
KIMI_VLLM_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "Kimi Delta Attention": (0, 11, 2),
    "Kimi K3's latent MoE and attention residuals": (0, 27, 1),
}
KIMI_VLLM_BROKEN: Final = frozenset({(0, 12, 0)})


#: the first vLLM release its recipe names for MiniMax-M3's sparse attention (vllm-project/recipes @8959cf6,
#: models/MiniMaxAI/MiniMax-M3.yaml ``min_vllm_version`` 0.24.0; it serves the model with ``--block-size 128``,
#: MSA's ``sparse_block_size``)
BLOCK_SPARSE_VLLM_SINCE: Final = (0, 24, 0)


def block_sparse_attention_support(profile: EngineProfile) -> tuple[str | None, str | None]:
    """(why ``profile``'s vLLM release cannot serve MiniMax sparse attention, or None; a caveat where the unpinned
    profile stands in for a release that can, or None). Other engines: (None, None), nothing stated here."""
    return _vllm_release_support(profile, "MiniMax sparse attention", BLOCK_SPARSE_VLLM_SINCE)


def _vllm_release_support(
    profile: EngineProfile, feature: str, since: tuple[int, int, int]
) -> tuple[str | None, str | None]:
    if profile.name != "vllm":
        return None, None
    first = ".".join(map(str, since))
    release = profile_release(profile)
    if profile.version == DEFAULT_VLLM_VERSION:
        return None, (
            f"vLLM serves {feature} from {first} (its recipe's min_vllm_version): this estimate follows the unpinned "
            f"profile's release ({profile.version}) for its host time and memory rules; pin engine='vllm=={first}' or "
            "later to follow one that serves it"
        )
    if release is not None and release < since:
        return f"vLLM {profile.version} does not serve {feature}; its recipe asks for {first} or later", None
    return None, None


#: the vLLM releases the recipes name as the first to serve Nemotron 3's MoE blocks (vllm-project/recipes @8959cf6:
#: NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.yaml ``min_vllm_version`` 0.11.2) and its latent MoE
#: (NVIDIA-Nemotron-3-Super-120B-A12B-BF16.yaml 0.17.1)
NEMOTRON_MOE_VLLM_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "Nemotron-H's MoE blocks": (0, 11, 2),
    "Nemotron-H's latent MoE": (0, 17, 1),
}


#: the kernels SGLang on ROCm launches for Gemma 4's per-head and router RMS norms beyond what it launches on CUDA:
#: (per attention layer, per MoE layer). ``Gemma4RMSNorm.forward_hip`` delegates to ``forward_native`` ("sgl_kernel's
#: gemma_rmsnorm is not available on ROCm"; ``layers/layernorm.py``, read in the 0.5.11 wheel, the first with
#: ``models/gemma4_causal.py``, and unchanged in newer sources): a cast, a square, a mean, the epsilon, the inverse
#: root, a product and a cast back, plus the weight's cast, shift and product where the norm has a scale: 10 plain
#: PyTorch ops for the q and k norms, 7 for the v norm and the MoE router's input norm, where CUDA runs a copy and one
#: fused ``rmsnorm`` (the router's input: ``rmsnorm`` alone). Each layer's norms so launch 8 + 8 + 5 more, each MoE
#: layer's router 6 more (the decoder layer's own norms are ``RMSNorm``, fused on both); a KV-shared layer (none in
#: the bundled 26B and 31B) skips its k and v norms. Each is charged as a small kernel: its GPU time in every step and,
#: in a step that runs eagerly, SGLang's host time per kernel (``EAGER_KERNEL_US``). Counted from the source, not fitted
SGLANG_ROCM_GEMMA4_NORM_KERNELS: Final[tuple[int, int]] = (21, 6)


def sglang_rocm_unfused_norm_kernels(
    profile: EngineProfile, *, architecture: str, gpu_family: str, attention_layers: int, moe_layers: int
) -> int:
    """The kernels a step of ``architecture`` launches per GPU beyond its CUDA count where ``profile``'s engine runs
    some of its norms as plain PyTorch ops (:data:`SGLANG_ROCM_GEMMA4_NORM_KERNELS`: SGLang, Gemma 4, an AMD GPU);
    ``attention_layers`` and ``moe_layers``: the GPU's own (one pipeline stage's); 0 elsewhere."""
    if profile.name != "sglang" or not gpu_family.startswith("cdna") or not architecture.startswith("Gemma4"):
        return 0
    per_layer, per_moe_layer = SGLANG_ROCM_GEMMA4_NORM_KERNELS
    return per_layer * attention_layers + per_moe_layer * moe_layers


#: the first vLLM release Gemma 4's recipe names (vllm-project/recipes @8959cf6, models/Google/gemma-4-26B-A4B-it.yaml
#: ``min_vllm_version`` 0.19.1): its global layers' own heads and unified keys and values
GEMMA4_VLLM_SINCE: Final = (0, 19, 1)


def gemma4_support(profile: EngineProfile) -> tuple[str | None, str | None]:
    """(why ``profile``'s vLLM release cannot serve Gemma 4, or None; a caveat for the unpinned profile, or None)."""
    return _vllm_release_support(profile, "Gemma 4's global layers", GEMMA4_VLLM_SINCE)


def nemotron_moe_support(profile: EngineProfile, *, latent_moe: bool) -> tuple[str | None, str | None]:
    """(why ``profile``'s vLLM release cannot serve a Nemotron-H model's MoE blocks, or None; a caveat where the
    unpinned profile stands in for a release that can, or None). Other engines: (None, None)."""
    feature = "Nemotron-H's latent MoE" if latent_moe else "Nemotron-H's MoE blocks"
    return _vllm_release_support(profile, feature, NEMOTRON_MOE_VLLM_SINCE[feature])


def kimi_delta_attention_support(
    profile: EngineProfile, *, latent_moe: bool
) -> tuple[str | None, str | None]:
    """(why ``profile``'s vLLM release cannot serve a Kimi Delta Attention model, or None; a caveat where the unpinned
    profile stands in for a release that can, or None). Other engines: (None, None), nothing stated here."""
    feature = "Kimi K3's latent MoE and attention residuals" if latent_moe else "Kimi Delta Attention"
    unsupported, caveat = _vllm_release_support(profile, feature, KIMI_VLLM_SINCE[feature])
    if unsupported or caveat or profile.name != "vllm":
        return unsupported, caveat
    release = profile_release(profile)
    if release is not None and release in KIMI_VLLM_BROKEN:
        return (
            f"vLLM {profile.version} fails to load Kimi-Linear models (its recipe: avoid 0.12.0); accepted: "
            "engine='vllm==0.11.2' or a release after 0.12.0",
            None,
        )
    return None, None


def pads_compressed_heads(profile: EngineProfile, *, gpu_family: str) -> bool:
    """Whether ``profile``'s engine attends DeepSeek-V4's compressed attention with FlashMLA's sparse kernels, which
    compute 64 or 128 heads a GPU whatever it holds (vLLM 0.20's ``padded_heads``, SGLang's deepseek_v4 backend; see
    :data:`~config_explorer.engine.layout.COMPRESSED_ATTENTION_HEAD_TILES`): vLLM and SGLang on NVIDIA GPUs;
    TensorRT-LLM's kernels and the ROCm ports' are its own."""
    return profile.name in ("vllm", "sglang") and gpu_family in SPARSE_MLA_HEAD_PADDING


def sparse_mla_head_padding(
    profile: EngineProfile, *, gpu_family: str, heads_per_gpu: float, kv_value_bytes: float
) -> tuple[float, float]:
    """(prompt, decode) factors by which a DeepSeek-sparse-attention model's top-k MLA computes more heads than a
    rank holds, where the engine's default kernel is FlashMLA's padded sparse one (:data:`SPARSE_MLA_HEAD_PADDING`):

    * vLLM attends prompts with it whatever the cache (an FP8 cache is converted to a 16-bit workspace first),
      and decodes with it on a 16-bit cache (an FP8 one takes FlashMLA's FP8 decode kernel, unpadded);
    * SGLang takes it (``flashmla_sparse``) for prompts on a 16-bit cache, and for decodes too on Blackwell;
      its other defaults (FA3 decode on Hopper, ``flashmla_auto`` / ``flashmla_kv`` / TensorRT-LLM's kernels with
      an FP8 cache) do not pad;
    * TensorRT-LLM runs kernels of its own. 1.0 where nothing pads."""
    pad = SPARSE_MLA_HEAD_PADDING.get(gpu_family)
    if pad is None or heads_per_gpu <= 0 or heads_per_gpu % pad == 0:
        return 1.0, 1.0
    factor = math.ceil(heads_per_gpu / pad) * pad / heads_per_gpu
    wide = kv_value_bytes >= 2.0
    if profile.name == "vllm":
        return factor, factor if wide else 1.0
    if profile.name == "sglang" and wide:
        return factor, factor if gpu_family == "blackwell" else 1.0
    return 1.0, 1.0


def indexer_decode_logits_bytes(profile: EngineProfile, *, gpu_family: str, max_model_len: int) -> float:
    """Bytes each decoding sequence's indexer logits take to write in one DeepSeek-sparse-attention layer where
    ``profile``'s engine cleans them (:data:`VLLM_INDEXER_CLEAN_LOGITS_RELEASES`: a vLLM release in that range on
    DeepGEMM, NVIDIA GPUs): one FP32 row ``max_model_len`` wide (rounded up to
    :data:`VLLM_INDEXER_LOGITS_ALIGNMENT`), its context's columns by the logits kernel, the rest by the clean
    kernel; 0 elsewhere (other engines and releases write the context's columns only, not counted here). ROCm
    takes AITER's kernels instead (not read)."""
    if profile.name != "vllm" or gpu_family.startswith("cdna"):
        return 0.0
    if not _released_within(profile, VLLM_INDEXER_CLEAN_LOGITS_RELEASES):
        return 0.0
    align = VLLM_INDEXER_LOGITS_ALIGNMENT
    return 4.0 * math.ceil(max_model_len / align) * align


def sparse_mla_full_topk(profile: EngineProfile, *, kv_value_bytes: float) -> bool:
    """Whether ``profile``'s engine computes all ``index_topk`` slots of every query of a DeepSeek-sparse-attention
    model, prompt or decode, however short its context (:data:`VLLM_SPARSE_MLA_FULL_TOPK_RELEASES`): a vLLM release
    in that range on a 16-bit cache. An FP8 cache's decodes take FlashMLA's FP8 decode kernel (not read here), SGLang
    decodes on Hopper with FA3 over the context's picks only, and a profile with no release follows the newest
    rules (bounded by the context)."""
    if profile.name != "vllm" or kv_value_bytes < 2.0:
        return False
    return _released_within(profile, VLLM_SPARSE_MLA_FULL_TOPK_RELEASES)


#: the first SGLang release that attends a DeepSeek-sparse-attention prompt step densely when its longest sequence
#: (cached and new tokens) is at most ``index_topk``, on SM90 and SM100 with a 16-bit or FP8 cache: the NSA
#: backend's ``set_nsa_prefill_impl`` sets ``use_mha`` for such an extend batch, the model then takes
#: ``AttnForwardMethod.MHA_ONE_SHOT`` (dense FlashAttention-3 MHA over the latent cache decompressed to keys and
#: values, ``models/deepseek_v2.py``), and its indexer caches the batch's keys only, computing no logits and no
#: top-k (``skip_logits_computation`` in ``layers/attention/nsa/nsa_indexer.py``). Read in the 0.5.6, 0.5.7 and
#: 0.5.9 sdists; 0.5.5 has neither, and 0.5.5.post1 already skips the logits (a post-release the release tuple does
#: not tell apart). Decode and speculative-verify batches keep the sparse MLA
SGLANG_NSA_DENSE_PROMPTS_SINCE: Final[tuple[int, int, int]] = (0, 5, 6)


def sparse_attention_dense_prompts(profile: EngineProfile, *, gpu_family: str, kv_precision: str) -> bool:
    """Whether ``profile``'s engine attends a DeepSeek-sparse-attention prompt step densely when its longest
    sequence fits ``index_topk`` (:data:`SGLANG_NSA_DENSE_PROMPTS_SINCE`): SGLang from that release on Hopper and
    Blackwell (SM90, SM100; the catalog's Blackwell parts are all SM10x) with a BF16 or FP8 cache (an E5M2 cache,
    which SGLang's check refuses, reads as FP8 here); a profile with no release follows the newest rules read."""
    if profile.name != "sglang" or gpu_family not in ("hopper", "blackwell"):
        return False
    if normalize_precision(kv_precision) not in ("bf16", "fp8"):
        return False
    release = profile_release(profile)
    return release is None or release >= SGLANG_NSA_DENSE_PROMPTS_SINCE


#: SGLang's split, for a model with recurrent (Mamba-2, Gated DeltaNet) layers, of the memory left after weights and
#: activations between the recurrent layers' state pool and the attention layers' KV cache: state : KV =
#: ``mamba_full_memory_ratio``, 0.9 by default (server_args.py; the pools are sized in
#: ``ModelRunner.handle_max_mamba_cache``, and in ``kv_cache_configurator._handle_max_mamba_cache`` from 0.5.16;
#: the same in the 0.5.4, 0.5.6, 0.5.9, 0.5.12 and 0.5.16 wheels)
SGLANG_MAMBA_FULL_MEMORY_RATIO: Final = 0.9
#: state slots SGLang sets aside per running request of such a model with its radix cache on, as it is by
#: default (``MAMBA_CACHE_SIZE_MAX_RUNNING_REQUESTS_RATIO``, the default ``no_buffer`` strategy): its running
#: requests are at most the pool's slots over this (same wheels)
SGLANG_MAMBA_SLOTS_PER_REQUEST: Final = 3
#: the slots that pool holds with the radix cache off (``--disable-radix-cache``) and no ``--max-running-requests``
#: stated, before :data:`SGLANG_MAMBA_POOL_BY_MEMORY_SINCE` (``handle_max_mamba_cache``: model_runner.py in the 0.5.4,
#: 0.5.6 and 0.5.6.post2 wheels, model_runner_kv_cache_mixin.py in 0.5.7 and 0.5.8)
SGLANG_MAMBA_DEFAULT_SLOTS: Final = 512
#: the first release that, with the radix cache off and no ``--max-running-requests``, sizes the pool by memory
#: (the ``mamba_full_memory_ratio`` split) rather than at :data:`SGLANG_MAMBA_DEFAULT_SLOTS` (0.5.9 and 0.5.12
#: ``model_runner_kv_cache_mixin.py``, 0.5.16 ``kv_cache_configurator._handle_max_mamba_cache``)
SGLANG_MAMBA_POOL_BY_MEMORY_SINCE: Final = (0, 5, 9)
#: the first release whose stated pool (``--max-running-requests`` with the radix cache off, or the default above)
#: is divided over the data-parallel attention groups; 0.5.4 to 0.5.6.post2 give every group the whole count
SGLANG_MAMBA_POOL_PER_GROUP_SINCE: Final = (0, 5, 7)
#: the first SGLang release whose default ("auto") radix-cache strategy for a recurrent model keeps its cached states
#: with an extra buffer where the model class allows it and the overlap scheduler is on, so the overlap stays on;
#: before it "auto" meant the no-buffer strategy, which turns the overlap off (``_handle_mamba_radix_cache`` in the
#: 0.5.12 and 0.5.13 wheels; from 0.5.14 its ``mamba_radix_cache_strategy`` resolution, in
#: ``arg_groups/overrides.py``'s ``_mamba_radix_cache_resolution`` from 0.5.15 to 0.5.23)
SGLANG_MAMBA_EXTRA_BUFFER_SINCE: Final = (0, 5, 14)
#: the model classes that strategy takes (the list in ``_support_mamba_cache_extra_buffer``, 0.5.14;
#: ``_MAMBA_EXTRA_BUFFER_ARCHS``, 0.5.15 and 0.5.16, which adds Kimi Linear: :data:`SGLANG_MAMBA_EXTRA_BUFFER_LATER`),
#: lower-cased, with ``granitemoehybrid``: the model type the catalog's Granite 4.0-H configs give for their class
SGLANG_MAMBA_EXTRA_BUFFER_CLASSES: Final = frozenset(
    {
        "kimilinearforcausallm",
        "qwen3_5forconditionalgeneration",
        "qwen3_5moeforconditionalgeneration",
        "qwen3nextforcausallm",
        "interns2previewforconditionalgeneration",
        "minicpmv4_6forconditionalgeneration",
        "bailingmoev2_5forcausallm",
        "falconh1forcausallm",
        "granitemoehybridforcausallm",
        "granitemoehybrid",
        "nemotronhforcausallm",
        "nemotronhpuzzleforcausallm",
    }
)
#: classes the strategy takes only from a later release than :data:`SGLANG_MAMBA_EXTRA_BUFFER_SINCE`
SGLANG_MAMBA_EXTRA_BUFFER_LATER: Final[dict[str, tuple[int, int, int]]] = {
    "kimilinearforcausallm": (0, 5, 16)
}
#: the extra buffer's further slots per running request with the overlap scheduler on (the ping-pong pair,
#: ``MAMBA_CACHE_V2_ADDITIONAL_RATIO_OVERLAP``; ``get_mamba_tracking_slots`` in 0.5.23)
SGLANG_MAMBA_EXTRA_BUFFER_SLOTS: Final = 2
#: the type SGLang keeps the SSM / delta-rule state in where the checkpoint declares none (``mamba2_state_dtype`` in
#: configs/mamba_utils.py: float32, the config's ``mamba_ssm_dtype`` else, 0.5.9 to 0.5.16; 0.5.4's server
#: default ``--mamba-ssm-dtype float32``); its convolution windows stay 16-bit
SGLANG_MAMBA_SSM_PRECISION: Final = "fp32"


def sglang_mamba_extra_buffer(
    profile: EngineProfile, *, model_class: str, radix_cache: bool, overlap_off: bool
) -> bool:
    """Whether SGLang keeps a recurrent model's radix-cached states with an extra buffer (its "extra_buffer"
    strategy): from :data:`SGLANG_MAMBA_EXTRA_BUFFER_SINCE`, for the classes in
    :data:`SGLANG_MAMBA_EXTRA_BUFFER_CLASSES` on the default Triton linear-attention kernels, with the radix cache
    on and the overlap scheduler wanted (``overlap_off``: turned off by the launch, pipeline stages or a draft).
    Its overlap scheduler then stays on, and a running request takes :data:`SGLANG_MAMBA_EXTRA_BUFFER_SLOTS` more
    state slots. A profile without a release follows the newest rules. (A launch that turns the overlap off and
    pages its KV cache, as ``trtllm_mha`` does, takes the buffer with one further slot; not modelled.)"""
    if profile.name != "sglang" or not radix_cache or overlap_off:
        return False
    name = model_class.lower()
    since = SGLANG_MAMBA_EXTRA_BUFFER_LATER.get(name, SGLANG_MAMBA_EXTRA_BUFFER_SINCE)
    release = profile_release(profile)
    if release is not None and release < since:
        return False
    return name in SGLANG_MAMBA_EXTRA_BUFFER_CLASSES


#: the state-tracking chunk SGLang's extra-buffer radix cache aligns a hybrid model's cached states to where the
#: model's config names no ``mamba_chunk_size`` (``mamba_cache_chunk_size``: max(the config's chunk or 64, the page
#: size) from 0.5.13; page size 1 for these models; 0.5.14 and 0.5.23 wheels)
SGLANG_MAMBA_TRACK_CHUNK: Final[int] = 64


def sglang_hybrid_prefix_unit(*, extra_buffer: bool, chunk_size: int | None) -> int:
    """The tokens in whose multiples SGLang serves a shared prompt prefix to a model with recurrent layers, from its
    radix cache: a request can reuse a prefix only where a state was stored. Without the extra buffer (before 0.5.14,
    or with the overlap scheduler off) states are stored only at the ends of earlier prompts, chunks and outputs
    (``MambaRadixCache.match_prefix`` cuts a match back to the last node holding one), so prompts that share a prefix
    and then differ never reuse it: 0. With it, at multiples of the model's ``mamba_chunk_size`` (else
    :data:`SGLANG_MAMBA_TRACK_CHUNK`), where a match that runs past the last stored state leaves a branch point
    (``mamba_radix_cache.py``, 0.5.7 to 0.5.15; ``UnifiedRadixCache``'s Mamba component from 0.5.16)."""
    return (chunk_size or SGLANG_MAMBA_TRACK_CHUNK) if extra_buffer else 0


def sglang_state_pool_slots(
    profile: EngineProfile,
    *,
    radix_cache: bool,
    max_running_requests: int | None,
    attention_groups: int,
    extra_buffer: bool = False,
) -> tuple[int | None, int]:
    """How SGLang sizes one attention group's state pool for a model with recurrent layers, and how many of its
    slots each running request takes: (the pool's slots, or None where SGLang splits the memory left after the
    weights by :data:`SGLANG_MAMBA_FULL_MEMORY_RATIO`; slots per running request).

    With the radix cache on (the default) the pool is that split and a running request takes
    :data:`SGLANG_MAMBA_SLOTS_PER_REQUEST` slots, :data:`SGLANG_MAMBA_EXTRA_BUFFER_SLOTS` more with the extra buffer
    (``extra_buffer``, :func:`sglang_mamba_extra_buffer`). With it off (``--disable-radix-cache``) a request takes one
    slot, and a stated ``max_running_requests`` (the server's, over all groups) sizes the pool at exactly that
    many slots; unstated, releases before :data:`SGLANG_MAMBA_POOL_BY_MEMORY_SINCE` hold
    :data:`SGLANG_MAMBA_DEFAULT_SLOTS` and later ones the split. From :data:`SGLANG_MAMBA_POOL_PER_GROUP_SINCE`
    a stated pool is divided over the groups (``handle_max_mamba_cache`` and ``_calculate_mamba_ratio`` /
    ``init_memory_pool`` in the 0.5.4 to 0.5.16 wheels). A profile without a release follows the newest rules."""
    if radix_cache:
        return None, SGLANG_MAMBA_SLOTS_PER_REQUEST + (SGLANG_MAMBA_EXTRA_BUFFER_SLOTS if extra_buffer else 0)
    release = profile_release(profile)
    if max_running_requests is None:
        if release is None or release >= SGLANG_MAMBA_POOL_BY_MEMORY_SINCE:
            return None, 1
        stated = SGLANG_MAMBA_DEFAULT_SLOTS
    else:
        stated = max_running_requests
    per_group = release is None or release >= SGLANG_MAMBA_POOL_PER_GROUP_SINCE
    return (stated // attention_groups if per_group else stated), 1


def sglang_converts_kv_pool(
    profile: EngineProfile,
    *,
    model_class: str,
    mla: bool,
    kv_value_bytes: float,
    gpu_family: str,
    sparse: bool = False,
) -> bool:
    """Whether ``profile``'s engine converts an MLA layer's whole KV pool to the query's 16-bit type each time
    the layer attends in the absorbed form.

    SGLang's FlashAttention-3 and FlashInfer MLA backends read the latent cache through
    ``get_key_buffer(layer).to(q.dtype)`` in every decode, and in prompt steps replayed in piecewise graphs
    (``flashattention_backend.py``, ``flashinfer_mla_backend.py``: 0.5.9 to 0.5.18 wheels): a no-op on a 16-bit
    cache, a conversion of every slot of the layer's pool on an FP8 one (SGLang issue #35291). They are SGLang's
    default MLA backends on Hopper (FA3) and Blackwell (FlashInfer, ``_get_default_attn_backend``), except for
    DeepSeek-V3-class checkpoints on Blackwell, which default to ``trtllm_mla`` and read FP8 directly. The cast is
    in FA3 from 0.4.9 (0.4.6-0.4.8 failed on an FP8 cache; before 0.4.6 Hopper defaulted to the Triton backend,
    which reads FP8 as it gathers) and in FlashInfer MLA from 0.4.7, through 0.5.23
    (benchmarks/data/sglang_fp8_kv_mla_decode_evidence.md).

    A model with DeepSeek sparse attention (``sparse``) never takes those backends: SGLang sets its attention
    backend to ``nsa``, whose FlashMLA kernels read an FP8 cache as stored (``_handle_model_specific_adjustments``
    in ``server_args.py``, 0.5.4 to 0.5.12 wheels: ``flashmla_kv`` decode on an FP8 cache).
    """
    if profile.name != "sglang" or not mla or sparse or kv_value_bytes >= 2.0:
        return False
    release = profile_release(profile)
    if gpu_family == "hopper":
        return release is None or release >= (0, 4, 9)
    return (
        gpu_family == "blackwell"
        and model_class != "DeepseekV3ForCausalLM"
        and (release is None or release >= (0, 4, 7))
    )


def sglang_kv_pool_conversion_s(
    *,
    layers: float,
    pool_tokens: float,
    latent_values: int,
    kv_value_bytes: float,
    bandwidth_bytes_s: float,
    gpu_family: str,
) -> float:
    """Seconds one forward spends converting ``layers`` MLA layers' whole KV pools of ``pool_tokens`` slots of
    ``latent_values`` values each from ``kv_value_bytes`` to 16-bit (read once, written at 2 bytes): at
    :data:`SGLANG_KV_POOL_CONVERSION_HOPPER_BYTES_S` on Hopper, elsewhere at
    :data:`SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE` of ``bandwidth_bytes_s`` (no other family was timed)."""
    moved = layers * (pool_tokens + 1) * latent_values * (kv_value_bytes + 2.0)
    if gpu_family == "hopper":
        return moved / SGLANG_KV_POOL_CONVERSION_HOPPER_BYTES_S
    return moved / (SGLANG_KV_POOL_CONVERSION_BANDWIDTH_SHARE * bandwidth_bytes_s)


def runs_marlin_moe(
    profile: EngineProfile, weight_precision: str, gpu_family: str, *, gpt_oss: bool = True
) -> bool:
    """Whether ``profile``'s engine runs a MoE model's experts on vLLM's Marlin MoE kernel on a GPU of
    ``gpu_family`` (the families :data:`MARLIN_MOE_BY_FAMILY` has a measured rate for); ``gpt_oss``: the model is
    gpt-oss (its MXFP4 experts follow their own kernel priority from :data:`VLLM_MXFP4_MODEL_ORACLE_SINCE`).

    vLLM's AWQ/GPTQ/compressed-tensors W4A16 MoE methods call the Marlin MoE kernel (Blackwell included); its MXFP4
    method picks
    Marlin below compute capability 9.0 (Ampere, Ada) in every release, and on Hopper unless
    ``triton_kernels`` is installed, which vLLM ships from v0.12 on (before that the gpt-oss recipes for
    v0.10.1-v0.11.2 name Marlin as the Hopper default); from :data:`VLLM_MXFP4_MODEL_ORACLE_SINCE` only gpt-oss
    keeps the Triton kernel on Hopper, and every other MXFP4 model's experts run on Marlin there. Its FP8 MoE
    method runs FP8 experts weight-only on
    Marlin below capability 8.9, which have no FP8 tensor cores (``Fp8MoEMethod.use_marlin``, then
    ``fused_marlin_moe``: model_executor/layers/quantization/fp8.py in the 0.11.0 wheel), so on Ampere; the
    family's Marlin rate, measured on 4-bit layers, is taken for them. SGLang and TensorRT-LLM run gpt-oss's
    experts on the Triton kernels on Hopper.
    """
    if profile.name != "vllm" or gpu_family not in MARLIN_MOE_BY_FAMILY:
        return False
    p = normalize_precision(weight_precision)
    if p == "int4":
        return True
    if gpu_family == "ampere" and p == "fp8":
        return True
    # on Blackwell MXFP4 experts take FlashInfer's or Triton's kernels, FP8 ones its tensor cores
    if gpu_family == "blackwell":
        return False
    if gpu_family != "hopper":
        return p == "mxfp4"
    version = parse_version(profile.version) if profile.version else parse_version(DEFAULT_VLLM_VERSION)
    if p != "mxfp4":
        return False
    return version < VLLM_MXFP4_TRITON_SINCE or (not gpt_oss and version >= VLLM_MXFP4_MODEL_ORACLE_SINCE)


def triton_mxfp4_stream_cap(
    profile: EngineProfile, weight_precision: str, gpu_family: str, *, marlin: bool, peak16_tflops: float
) -> float:
    """The most bytes a second ``profile``'s engine's expert kernel streams MoE experts at, where it is not the
    memory's: vLLM's Triton ``matmul_ogs`` path for MXFP4 experts on Hopper
    (:data:`VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP` x the GPU's 16-bit peak, ``peak16_tflops``; ``marlin``: they run
    on Marlin's kernel instead), else 0 (no cap). SGLang runs gpt-oss's experts on the same ``triton_kernels`` on
    Hopper, with no layer times to check it on, and TensorRT-LLM's are scaled whole
    (:data:`TRTLLM_HOPPER_MXFP4_MOE_SLOWDOWN`)."""
    hopper_mxfp4 = gpu_family == "hopper" and normalize_precision(weight_precision) == "mxfp4"
    if profile.name != "vllm" or not hopper_mxfp4 or marlin:
        return 0.0
    return VLLM_TRITON_MXFP4_HOPPER_BYTES_PER_FLOP * peak16_tflops * 1e12


#: FlashInfer's SM90 CUTLASS mixed-input MXFP4 MoE GEMM (SGLang's ``flashinfer_mxfp4`` runner for DeepSeek-V4's experts
#: on Hopper, FlashInfer PR #3084) against Marlin: 24-36% faster at prompt-sized batches (1,024 tokens and more), Marlin
#: 12-15% faster at 64 and fewer, as SGLang's own kernel-level comparison on an H100 states it
#: (``layers/quantization/mxfp4_flashinfer_cutlass_moe.py``, 0.5.12 wheel). The midpoint scales Marlin's compute rate;
#: the small batches, which stream the weights either way, are left at Marlin's
SGLANG_FLASHINFER_MXFP4_HOPPER_SCALE: Final[float] = 1.30


def sglang_hopper_mxfp4_runner(
    profile: EngineProfile, *, gpu_family: str, fp8_config_experts: bool, stated: str | None
) -> str | None:
    """The kernel SGLang runs MXFP4 experts on where its FP8 config loads them (``fp8_config_experts``: DeepSeek-V4's
    FP4 experts beside FP8 projections) on Hopper: the stated ``--moe-runner-backend`` (``stated``), else Marlin;
    None for another engine, GPU family or model.

    ``Fp8Config.get_quant_method`` hands such experts to ``Mxfp4MarlinMoEMethod`` under ``--moe-runner-backend
    marlin`` and to FlashInfer's SM90 CUTLASS mixed-input kernel under ``flashinfer_mxfp4``; the default runner
    leaves them to the FP8 method's DeepGEMM MXFP4 path, an SM100 kernel (``layers/quantization/fp8.py``, 0.5.12
    wheel). So a Hopper launch names one, and SGLang's cookbook names Marlin for its H200 and H100 DeepSeek-V4-Flash
    recipes ("decode workers should keep the Marlin default", the FlashInfer method's own docstring). Neither
    pads the experts' width (both allocate ``intermediate_size_per_partition`` as the checkpoint has it).
    """
    if profile.name != "sglang" or gpu_family != "hopper" or not fp8_config_experts:
        return None
    return stated or "marlin"


#: the first vLLM release read that runs W4A4 MXFP4 (Quark) linear layers natively on CDNA 4 (earlier releases
#: were not read and keep the 16-bit path)
VLLM_NATIVE_MXFP4_SINCE: Final[tuple[int, int, int]] = (0, 11, 0)


def runs_native_mxfp4_linears(
    profile: EngineProfile, *, weight_precision: str, gpu_mxfp4_tflops: float | None
) -> bool:
    """Whether ``profile``'s engine runs a checkpoint's MXFP4 linear layers as FP4 x FP4 GEMMs at the GPU's
    MX FP4 rate (its ``tflops.mxfp4``), not dequantized into 16-bit GEMMs.

    vLLM's Quark W4A4 MXFP4 scheme quantizes each linear layer's input to MXFP4 and calls AITER's
    ``gemm_afp4wfp4`` where the platform ``supports_mx`` (ROCm gfx95x, CDNA 4), and emulates the format in
    16-bit elsewhere (``QuarkW4A4MXFP4``, model_executor/layers/quantization/quark/schemes/quark_w4a4_mxfp4.py,
    and ``RocmPlatform.supports_mx``, vLLM 0.11.0). The GPU catalog gives an ``mxfp4`` figure only where that
    holds. MoE experts stored in MXFP4 are left to their own paths (gpt-oss's are weight-only), and other
    engines keep the 16-bit path (not read).
    """
    if profile.name != "vllm" or gpu_mxfp4_tflops is None or normalize_precision(weight_precision) != "mxfp4":
        return False
    return not profile.version or _release(profile.version) >= VLLM_NATIVE_MXFP4_SINCE


#: vLLM's block-scaled FP8 linear layers on Hopper where DeepGEMM is not installed (``pip install vllm`` before
#: v0.20, which vendors it; the release Docker images ship it from v0.10.1): the upstream CUTLASS blockwise
#: kernel of PR #23280 (v0.10.2 on), behind a pad copy of the input and a per-token-group quantization kernel
#: (``apply_w8a8_block_fp8_linear`` in model_executor/layers/quantization/utils/fp8_utils.py, v0.11.0).
#: Its time at small batches, a fixed part and a byte rate, fitted on two published timings: 33.9 and 34.8 us
#: for a 2,112 x 7,168 weight at 1 and 16 tokens on an H100 (PR #23280's 0.893 and 13.94 TFLOP/s) and 153.5 us
#: for 7,168 x 16,384 at 16 tokens on an H20 (PR #49932); at 8,192 tokens the first shape ran at 489.7 TFLOP/s
#: (PR #23280), its rate for prompt-sized batches. benchmarks/data/vllm011_deepseek_hopper_evidence.md
VLLM_CUTLASS_BLOCK_FP8_FIXED_US: Final[float] = 16.7
VLLM_CUTLASS_BLOCK_FP8_GB_S: Final[float] = 858.0
VLLM_CUTLASS_BLOCK_FP8_TFLOPS: Final[float] = 489.7
#: block-scaled FP8 linear layers on AMD Instinct GPUs, on AITER's ``gemm_a8w8_blockscale`` behind its per-1x128
#: input quantization (SGLang's ``aiter_w8a8_block_fp8_linear``, its ROCm images setting ``SGLANG_USE_AITER=1``;
#: vLLM's with ``VLLM_ROCM_USE_AITER=1``, as AMD's recipes set it), by GPU family: (fixed microseconds a GEMM, bytes
#: a second at small batches, share of the dense FP8 peak, the rows a GEMM computes at least: see
#: ``RooflineRates.quantized_linear_rows``). benchmarks/fit_cdna_block_fp8.py fits them on the times AITER's tuner
#: measured for DeepSeek-V3's shapes (MI300X for CDNA 3, MI355X for CDNA 4;
#: benchmarks/data/aiter_blockscale_gemm_times.csv) and reads the other models' tables held out: median |log| 0.16
#: against 0.33 with the family's per-tensor FP8 factors, which ran these GEMMs 1.3-1.5x too fast at prompt sizes
AITER_BLOCK_FP8: Final[dict[str, tuple[float, float, float, float]]] = {
    "cdna3": (5.81, 4190.0, 0.276, 112.0),
    "cdna4": (7.38, 4483.0, 0.246, 88.0),
}
#: FP8 linear layers scaled per tensor or per output channel (not in blocks) on AMD Instinct GPUs, by GPU family:
#: (share of the dense FP8 peak, the rows a GEMM computes at least: ``RooflineRates.quantized_linear_rows``), at the
#: family's own launch and bandwidth. A decode GEMM of a few hundred rows leaves most of the 304 compute units idle
#: while each output tile walks its whole K, so it takes longer than the family's bandwidth-bound stream well before
#: the dense rate binds. benchmarks/fit_cdna_rowwise_fp8.py fits them on the times AITER's tuner measured for
#: Llama-3.1-70B's linear layers on the MI300X (benchmarks/data/aiter_rowwise_gemm_times.csv: its CK row-wise 8-bit
#: kernels, timed on INT8 operands, whose peak and tiles the GPU shares with FP8) and reads Llama-3.1-405B's held out:
#: one 405B TP8 decoder layer's four GEMMs at 64-256 rows took 25-50% longer than the family's stream charged
AITER_ROWWISE_FP8: Final[dict[str, tuple[float, float]]] = {"cdna3": (0.351, 88.0)}
#: the vLLM releases whose block-FP8 linears take that path without DeepGEMM (first and past-the-last, as
#: (major, minor, patch)): PR #23280 is in v0.10.2; v0.20 vendors DeepGEMM
VLLM_CUTLASS_BLOCK_FP8_RELEASES: Final[tuple[tuple[int, int, int], tuple[int, int, int]]] = (
    (0, 10, 2),
    (0, 20, 0),
)


def runs_aiter_block_fp8(
    profile: EngineProfile, *, weight_precision: str, gpu_family: str, block_scaled: bool
) -> bool:
    """Whether ``profile``'s engine runs a block-scaled FP8 checkpoint's linear layers on AITER's blockscale GEMM
    (:data:`AITER_BLOCK_FP8`): vLLM and SGLang on CDNA 3 and CDNA 4. vLLM without ``VLLM_ROCM_USE_AITER=1``, and
    SGLang with ``SGLANG_USE_AITER=0`` (as the SGLang cookbook's Qwen3-Coder MI300X run), run Triton's block-FP8
    kernel there, not timed, taken at the same rates."""
    if profile.name not in ("vllm", "sglang") or gpu_family not in AITER_BLOCK_FP8 or not block_scaled:
        return False
    return normalize_precision(weight_precision) == "fp8"


def runs_rowwise_fp8_tiles(
    profile: EngineProfile, *, weight_precision: str, gpu_family: str, block_scaled: bool
) -> bool:
    """Whether ``profile``'s engine runs an FP8 checkpoint's linear layers, scaled per tensor or per output channel, at
    :data:`AITER_ROWWISE_FP8`'s rate and row floor: vLLM and SGLang on CDNA 3 (hipBLASLt through ``torch._scaled_mm``,
    or AITER's row-wise kernel; the table is AITER's). Block-scaled checkpoints take :func:`runs_aiter_block_fp8`."""
    if profile.name not in ("vllm", "sglang") or gpu_family not in AITER_ROWWISE_FP8 or block_scaled:
        return False
    return normalize_precision(weight_precision) == "fp8"


def runs_cutlass_block_fp8(
    profile: EngineProfile, *, weight_precision: str, gpu_family: str, block_scaled: bool, deep_gemm: bool
) -> bool:
    """Whether ``profile``'s engine runs a block-scaled FP8 checkpoint's linear layers on the CUTLASS blockwise
    kernel (:data:`VLLM_CUTLASS_BLOCK_FP8_FIXED_US`): vLLM 0.10.2-0.19 on Hopper without DeepGEMM installed."""
    if profile.name != "vllm" or gpu_family != "hopper" or deep_gemm or not block_scaled:
        return False
    if normalize_precision(weight_precision) != "fp8":
        return False
    version = _release(profile.version or DEFAULT_VLLM_VERSION)
    first, past = VLLM_CUTLASS_BLOCK_FP8_RELEASES
    return first <= version < past


def runs_marlin_linears(profile: EngineProfile, *, weight_precision: str, gpu_family: str) -> bool:
    """Whether ``profile``'s engine runs a quantized checkpoint's linear layers (attention projections, dense MLPs,
    shared experts; not the experts, see :func:`runs_marlin_moe`) on the dense Marlin weight-only GEMM, which
    dequantizes into 16-bit ``mma.sync``: vLLM on Ampere for FP8 weights (``Fp8LinearMethod.use_marlin`` below
    compute capability 8.9, block-scaled weights included: model_executor/layers/quantization/fp8.py, v0.11.0)
    and for 4-bit AWQ/GPTQ weights (the ``awq_marlin`` / ``gptq_marlin`` methods vLLM substitutes from capability
    8.0). Such a GEMM is charged at the family's Marlin rate (:data:`MARLIN_MOE_BY_FAMILY`'s fraction of the
    16-bit peak, fitted on the MoE layer), not cuBLAS's: the dense kernel runs its 64-row tile again for every
    64 rows of a larger batch, about 141 TFLOP/s (0.45 of the 16-bit peak) from 64 to 4,000 rows on an A100 in
    the Marlin benchmark posted on vLLM PR #2497."""
    if profile.name != "vllm" or gpu_family != "ampere":
        return False
    return normalize_precision(weight_precision) in ("fp8", "int4")


#: NVIDIA families by compute capability: the CUDA-only paths below need a CUDA device, SGLang's fusion one
#: of capability 8.0 or more
_CUDA_FAMILIES: Final = frozenset({"volta", "turing", "ampere", "ada", "hopper", "blackwell"})
_SM80_FAMILIES: Final = frozenset({"ampere", "ada", "hopper", "blackwell"})
#: AMD families SGLang fuses shared experts on (gfx942 and later: MI300X/MI325X, MI355X)
_GFX942_FAMILIES: Final = frozenset({"cdna3", "cdna4"})
#: the model classes of SGLang's ``models/deepseek_v2.py`` (its ``DeepseekV2MoE``) and TensorRT-LLM's
#: ``modeling_deepseekv3.py``
_SGLANG_DEEPSEEK_CLASSES: Final = frozenset({"DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"})
_TRTLLM_DEEPSEEK_CLASSES: Final = frozenset({"DeepseekV3ForCausalLM"})
#: the model classes whose vLLM MoE layer hands its shared experts to ``SharedFusedMoE`` (v0.11.1:
#: deepseek_v2.py, llama4.py and mllama4.py, qwen2_moe.py, qwen3_next.py, glm4_moe.py, among others;
#: granitemoehybrid.py runs them itself)
_VLLM_SHARED_FUSED_MOE_CLASSES: Final = frozenset(
    {
        "DeepseekV2ForCausalLM",
        "DeepseekV3ForCausalLM",
        "Llama4ForCausalLM",
        "Llama4ForConditionalGeneration",
        "Qwen2MoeForCausalLM",
        "Qwen3NextForCausalLM",
        "Glm4MoeForCausalLM",
    }
)
#: the first vLLM release that runs a MoE layer's shared experts on a second CUDA stream (``SharedFusedMoE``
#: with ``aux_stream()``, CUDA only, for steps of at most ``VLLM_SHARED_EXPERTS_STREAM_TOKEN_THRESHOLD`` =
#: 256 tokens, after copying the layer's input for it: fused_moe/layer.py and envs.py in the v0.11.1 sdist;
#: v0.11.0's ``shared_fused_moe.py`` runs them on the step's stream)
VLLM_SHARED_EXPERTS_STREAM_SINCE: Final[tuple[int, int, int]] = (0, 11, 1)
VLLM_SHARED_EXPERTS_STREAM_MAX_TOKENS: Final[int] = 256


@attrs.frozen
class SharedExperts:
    """How an engine runs a MoE layer's shared experts (the experts every token passes through).

    ``serial``: their GEMMs and activation run on the step's stream, one after another with the routed
    experts. ``fused``: they are one more expert of the routed experts' grouped GEMMs, which every token
    selects, so they launch no kernels of their own. ``side_stream``: they run on a second CUDA stream
    while the router and the routed experts run on the first, so their kernels' fixed costs are off the
    step's critical path; their weights still cross the same memory bus. A side stream may be limited to
    steps of at most ``max_tokens`` tokens, or (``graphs_only``) to steps replayed from CUDA graphs, and
    may cost ``added_small_kernels`` per MoE layer on the step's stream (vLLM copies the layer's input).
    """

    mode: str = "serial"
    max_tokens: int | None = None
    graphs_only: bool = False
    added_small_kernels: int = 0


def _release(version: str) -> tuple[int, int, int]:
    """``"0.11.1"`` -> (0, 11, 1), ``"v0.5.12-cu130"`` -> (0, 5, 12); a missing patch number reads 0."""
    major, minor = parse_version(version)
    parts = str(version).strip().lstrip("v").split(".")
    patch = re.match(r"\d+", parts[2]) if len(parts) > 2 else None
    return major, minor, int(patch.group()) if patch else 0


def trtllm_chunked_decode_read_factor(
    profile: EngineProfile,
    *,
    gpu_family: str,
    chunked_attention: bool,
    chunk_tokens: int,
    max_seq_len: int,
    query_heads_per_kv_head: float,
    grouped_share: float,
    per_head_share: float,
) -> float:
    """How many times its grouped-query kernel's read a chunked-attention layer's decode costs (1: no change).

    TensorRT-LLM off Blackwell decodes Llama 4's chunked layers on the masked multi-head attention kernel
    (:data:`TRTLLM_CHUNKED_DECODE_SINCE`) once the engine's ``max_seq_len`` reaches the chunk
    (:data:`TRTLLM_CHUNKED_DECODE_SHORT_SINCE`): each query head reads its group's KV head again
    (``query_heads_per_kv_head`` times the bytes, as before XQA: :data:`TRTLLM_XQA_SINCE`) at that kernel's share
    of the bandwidth (``per_head_share``, the GPU family's figure) in place of XQA's (``grouped_share``)."""
    if (
        profile.name != "trtllm"
        or not chunked_attention
        or gpu_family == "blackwell"
        or not profile.grouped_decode_attention  # the per-head kernel decodes every layer already
    ):
        return 1.0
    release = profile_release(profile)
    if release is not None and release[:2] < TRTLLM_CHUNKED_DECODE_SINCE:
        return 1.0
    if (release is None or release[:2] >= TRTLLM_CHUNKED_DECODE_SHORT_SINCE) and max_seq_len < chunk_tokens:
        return 1.0
    return query_heads_per_kv_head * grouped_share / per_head_share


#: the vLLM releases that keep every token's KV in Llama 4's chunked-attention layers: [first, past). PR #21761
#: (2025-07-28) turned the hybrid KV cache manager off for chunked local attention unless
#: ``VLLM_ALLOW_CHUNKED_LOCAL_ATTN_WITH_HYBRID_KV_CACHE=1`` (a ~2 ms decode regression from building its three chunked
#: groups' metadata), so every layer's KV spec is full attention; the variable's default is "0" in vllm/envs.py of the
#: 0.10.1-0.13.0 wheels and "1" from 0.14.0 (PR #29627 cached those builds), when the chunked layers free the blocks
#: before their chunk again (``ChunkedLocalAttentionSpec``, PR #19351)
VLLM_CHUNKED_KV_WHOLE_RELEASES: Final[tuple[tuple[int, int, int], tuple[int, int, int]]] = (
    (0, 10, 1),
    (0, 14, 0),
)


def vllm_holds_chunked_kv_whole(profile: EngineProfile, *, chunked_attention: bool) -> bool:
    """Whether ``profile``'s engine keeps a chunked-attention model's chunked layers' KV for the whole sequence
    (:data:`VLLM_CHUNKED_KV_WHOLE_RELEASES`); their decode still reads only the tokens since their chunk began."""
    if profile.name != "vllm" or not chunked_attention:
        return False
    return _released_within(profile, VLLM_CHUNKED_KV_WHOLE_RELEASES)


#: SGLang's hybrid sliding-window KV pool: the sliding-window layers get a pool of ``swa_full_tokens_ratio`` times the
#: full-attention layers' tokens, the two pools splitting the KV memory so that (full layers x full tokens) + (window
#: layers x ratio x full tokens) fill it (``set_num_token_hybrid`` in model_runner.py of the 0.5.6 wheel,
#: ``set_num_tokens_hybrid_swa`` in model_runner_kv_cache_mixin.py from 0.5.8); a request is admitted on the
#: full pool's tokens, and the window pool, whose out-of-window tokens are freed, is not what runs out. The ratio's
#: default is 0.8 in every wheel read (0.4.10-0.5.16 ``ServerArgs``; 0.5.23 ``arg_groups/fields/schedule.py``'s fallback)
SGLANG_SWA_FULL_TOKENS_RATIO: Final[float] = 0.8
#: the architectures SGLang gives that pool (``is_hybrid_swa_model`` in srt/configs/model_config.py), from the release
#: that lists them: {Llama4, GptOss} in 0.5.8, Gemma4 added in 0.5.12 (the 0.5.10 set lacks it). Before 0.5.8 the model
#: runner took every model with a sliding window except Llama 4 (whose pool needed ``--hybrid-kvcache-ratio``, unset by
#: default), and ``ServerArgs`` turned it off for gpt-oss (0.5.2-0.5.6) and Gemma 2 / 3 (every release read)
SGLANG_HYBRID_SWA_SINCE: Final[dict[str, tuple[int, int, int]]] = {
    "Llama4ForConditionalGeneration": (0, 5, 8),
    "GptOssForCausalLM": (0, 5, 8),
    "Gemma4ForConditionalGeneration": (0, 5, 12),
    "Gemma4ForCausalLM": (0, 5, 12),
}
#: SGLang 0.5.8 turned the pool off for gpt-oss where its attention runs on ``trtllm_mha`` (the default on SM100:
#: B200, B300, GB200, GB300) or with speculative decoding (``ServerArgs._handle_model_specific_adjustments``; the
#: 0.5.10 wheel no longer does)
SGLANG_GPT_OSS_TRTLLM_MHA_WHOLE: Final[tuple[tuple[int, int, int], tuple[int, int, int]]] = (
    (0, 5, 8),
    (0, 5, 10),
)


def sglang_window_kv_share(
    profile: EngineProfile, *, architecture: str, gpu_family: str, speculative: bool
) -> float | None:
    """The share of a windowed (sliding or chunked) layer's per-token KV that SGLang keeps for every token of a
    sequence, as its memory pools split the KV memory: 1.0 where the release gives the model no hybrid pool (every
    layer stores every token), :data:`SGLANG_SWA_FULL_TOKENS_RATIO` where it does. None for other engines and for
    models whose windowed KV SGLang sizes otherwise (DeepSeek-V4's compressed pools, Mistral's and Phi-3's windows,
    which its model classes do not declare): their windowed layers keep their window's tokens only.

    The windowed layers' decode still reads its window: only where the KV is stored changes."""
    if profile.name != "sglang":
        return None
    gemma_2_3 = architecture.startswith(("Gemma2", "Gemma3"))
    if architecture not in SGLANG_HYBRID_SWA_SINCE and not gemma_2_3:
        return None
    release = profile_release(profile)
    if gemma_2_3:
        return 1.0
    if release is not None and release < SGLANG_HYBRID_SWA_SINCE[architecture]:
        if release >= (0, 5, 8) or architecture in ("Llama4ForConditionalGeneration", "GptOssForCausalLM"):
            return 1.0  # not in that release's set; or, before 0.5.8, Llama 4 and gpt-oss left without a pool
        # before 0.5.8 the model runner gave any other model with a sliding window the pool
    elif (
        architecture == "GptOssForCausalLM"
        and _released_within(profile, SGLANG_GPT_OSS_TRTLLM_MHA_WHOLE)
        and (gpu_family == "blackwell" or speculative)
    ):
        return 1.0
    return SGLANG_SWA_FULL_TOKENS_RATIO


def trtllm_holds_window_kv_whole(
    profile: EngineProfile, *, architecture: str, chunked_attention: bool
) -> bool:
    """Whether TensorRT-LLM keeps every token's KV in a model's sliding-window layers. Its PyTorch backend builds one
    KV pool whose window is ``max_seq_len`` for every layer unless ``kv_cache_config.max_attention_window`` lists
    the windows; the model file passes a layer's window to the attention kernel only (``attention_window_size`` in
    modeling_gpt_oss.py). An automatic per-layer window list (PR #5722, 2025-07) was closed unmerged; the one that
    derives it from ``layer_types`` (PR #18767, merged 2026-09-06 on main, under KV cache manager V2) is in no release
    this library follows, and Gemma 4's model file builds its own map (as that PR says). So gpt-oss's 18 sliding
    layers hold as much KV as its 18 full ones (benchmarks/data/window_kv_evidence.md).

    Llama 4's chunked layers are left to the window rule: the same source reads as full KV for them, but the
    release-1.2-era B200 and GB200 rows run more sequences than a full pool holds (see that file)."""
    return profile.name == "trtllm" and not chunked_attention and not architecture.startswith("Gemma4")


#: the vLLM release from which a KV connector that supports the hybrid KV cache manager (NIXL's, the one a
#: disaggregated plan launches) no longer turns it off: before it, ``--kv-transfer-config`` forced the manager off
#: (0.10.0-0.12.0) or turned it off unless the user opted in (0.13.0-0.20.x: ``need_disable_hybrid_kv_cache_manager``
#: in config/vllm.py); from 0.22.0 only a connector lacking ``SupportsHMA`` does (PR #41847, 2026-05-06)
VLLM_CONNECTOR_HYBRID_KV_SINCE: Final[tuple[int, int, int]] = (0, 22, 0)


def vllm_connector_holds_window_kv_whole(profile: EngineProfile, *, disaggregated: bool) -> bool:
    """Whether vLLM runs a disaggregated (KV-connector) plan with its hybrid KV cache manager off, so a model with
    both windowed and full-attention layers keeps every token's KV in every layer (``unify_hybrid_kv_cache_specs``
    turns each sliding-window spec into a full one; a model whose layers all slide keeps its window):
    :data:`VLLM_CONNECTOR_HYBRID_KV_SINCE`. The unpinned profile (0.11) is such a release."""
    if profile.name != "vllm" or not disaggregated:
        return False
    release = profile_release(profile)
    return release is not None and release < VLLM_CONNECTOR_HYBRID_KV_SINCE


def _released_within(
    profile: EngineProfile, releases: tuple[tuple[int, int, int], tuple[int, int, int]]
) -> bool:
    """Whether ``profile`` follows a release in ``releases`` (first, first not); False for a profile with no
    release, which follows the newest rules read."""
    release = profile_release(profile)
    return release is not None and releases[0] <= release < releases[1]


def profile_release(profile: EngineProfile) -> tuple[int, int, int] | None:
    """The release ``profile`` follows (:func:`_release`), or None for a profile without one, which follows the
    newest rules read."""
    return _release(profile.version) if profile.version else None


def custom_allreduce_scale(
    profile: EngineProfile, *, gpu_family: str, nvlink: bool, group: int, server_gpus: int, gpus_per_node: int
) -> float:
    """The engine's tensor-parallel all-reduce fixed time over the family's (``FamilyEfficiency.allreduce_us``), where
    its own kernel runs (a CUDA GPU with an NVLink-class link, an all-reduce group of 2-8 GPUs, a server of
    ``server_gpus`` within one node of ``gpus_per_node``): :data:`SGLANG_CUSTOM_AR_V2_SCALE` for SGLang's JIT custom
    all-reduce (from :data:`SGLANG_CUSTOM_AR_V2_SINCE`, a profile with no release included),
    :data:`TRTLLM_CUSTOM_AR_SCALE` for TensorRT-LLM's on Hopper and Blackwell; else 1."""
    if gpu_family not in _CUDA_FAMILIES or not nvlink or not 2 <= group <= 8 or server_gpus > gpus_per_node:
        return 1.0
    if profile.name == "trtllm":
        return TRTLLM_CUSTOM_AR_SCALE if gpu_family in ("hopper", "blackwell") else 1.0
    if profile.name != "sglang":
        return 1.0
    release = profile_release(profile)
    if release is not None and release < SGLANG_CUSTOM_AR_V2_SINCE:
        return 1.0
    return SGLANG_CUSTOM_AR_V2_SCALE


def shared_expert_placement(
    profile: EngineProfile,
    *,
    model_class: str,
    num_experts: int,
    one_shared_expert: bool,
    trtllm_gen_moe: bool,
    gpu_family: str,
    ep: int,
    dp_attention: int,
    two_batch_overlap: bool,
    world: int,
) -> SharedExperts:
    """How ``profile``'s engine runs the shared experts of a model of ``model_class`` (its config's
    ``architectures[0]``) with ``num_experts`` routed experts, as each engine's source decides;
    ``trtllm_gen_moe``: whether the routed experts run on the ``flashinfer_trtllm`` runner
    (:func:`runs_trtllm_gen_moe`).

    * SGLang, DeepSeek-V2/V3 classes (``models/deepseek_v2.py``, read in the 0.5.6.post1, 0.5.7, 0.5.9,
      0.5.10 and 0.5.12 wheels): ``determine_num_fused_shared_experts`` fuses the one shared expert of a
      256-expert ``DeepseekV3ForCausalLM`` into the routed experts on CUDA devices of capability 8.0 or
      more with ``ep == 1``, and on AMD from gfx942 at any ``ep``, unless two-batch overlap or DeepEP
      (data-parallel attention with experts split) is on, or the MoE runs on the ``flashinfer_trtllm``
      runner, which turns the fusion off (``server_args.py``) and which SGLang picks for DeepSeek-V3 on
      Blackwell (:func:`runs_trtllm_gen_moe`). Unfused on CUDA, ``DeepseekV2MoE`` runs the shared experts on its
      ``alt_stream`` in CUDA-graph capture (``forward_normal_dual_stream``), and in every step on the
      DeepEP path (``forward_deepep``).
    * TensorRT-LLM, ``DeepseekV3ForCausalLM`` (``modeling_deepseekv3.py``): the MoE layer computes the
      shared experts with ``maybe_execute_in_parallel`` on an auxiliary stream, which it enables only
      under CUDA graphs.
    * vLLM from :data:`VLLM_SHARED_EXPERTS_STREAM_SINCE` on CUDA, for the model classes whose MoE layer is
      a ``SharedFusedMoE`` with shared experts, without data-parallel attention (where its all-to-all
      paths may run them inside the MoE kernels instead): a side stream for steps of at most
      :data:`VLLM_SHARED_EXPERTS_STREAM_MAX_TOKENS` tokens, after one copy of the layer's input.

    Anything else runs them serially, which is also what a dense model or a MoE without shared
    experts reads (nothing to place).
    """
    cuda = gpu_family in _CUDA_FAMILIES
    if profile.name == "sglang" and model_class in _SGLANG_DEEPSEEK_CLASSES and not two_batch_overlap:
        deepep = sglang_dispatches_deepep(
            profile, ep=ep, dp_attention=dp_attention, world=world, gpu_family=gpu_family
        )
        fusable = model_class == "DeepseekV3ForCausalLM" and num_experts == 256 and one_shared_expert
        on_device = (
            gpu_family in _SM80_FAMILIES and ep == 1 and not trtllm_gen_moe
        ) or gpu_family in _GFX942_FAMILIES
        if fusable and not deepep and on_device:
            return SharedExperts("fused")
        if cuda:
            return SharedExperts("side_stream", graphs_only=not deepep)
        return SharedExperts()
    if profile.name == "trtllm" and model_class in _TRTLLM_DEEPSEEK_CLASSES and cuda:
        return SharedExperts("side_stream", graphs_only=True)
    if (
        profile.name == "vllm"
        and model_class in _VLLM_SHARED_FUSED_MOE_CLASSES
        and cuda
        and dp_attention == 1
        and _release(profile.version or DEFAULT_VLLM_VERSION) >= VLLM_SHARED_EXPERTS_STREAM_SINCE
    ):
        return SharedExperts(
            "side_stream", max_tokens=VLLM_SHARED_EXPERTS_STREAM_MAX_TOKENS, added_small_kernels=1
        )
    return SharedExperts()


def vllm_prefix_caching_default(profile: EngineProfile, *, hybrid: bool) -> bool:
    """Whether a vLLM release keeps prefix caching on when the launch says nothing: not on the V0 engine
    (before :data:`VLLM_V1_SINCE`: ``--enable-prefix-caching`` is a ``store_true`` flag over
    ``EngineArgs.enable_prefix_caching = False``, vllm/engine/arg_utils.py in the v0.6.3 wheel), on from the V1
    engine for generative models (``EngineArgs`` resolves None to True: the same file, v0.11.0 sdist), except for a
    model with recurrent layers (``hybrid``) before :data:`VLLM_HYBRID_PREFIX_CACHING_SINCE`. A profile without a
    release follows the newest rules read."""
    release = profile_release(profile)
    if release is None:
        return True
    if release[:2] < VLLM_V1_SINCE:
        return False
    return not (hybrid and release[:2] < VLLM_HYBRID_PREFIX_CACHING_SINCE)


def vllm_hybrid_prefix_caching_allowed(profile: EngineProfile) -> bool:
    """Whether a vLLM release lets a model with recurrent layers cache prefixes when the launch asks for it
    (:data:`VLLM_HYBRID_PREFIX_CACHING_ALLOWED_SINCE`; a profile without a release: the newest rules, yes)."""
    release = profile_release(profile)
    return release is None or release >= VLLM_HYBRID_PREFIX_CACHING_ALLOWED_SINCE


def profile_for(engine: str, version: str | None = None) -> EngineProfile:
    """The profile of ``engine`` (``vllm``, ``sglang``, ``trtllm``), at ``version`` where that matters.

    ``engine`` may also carry the version as ``"vllm==0.19.0"``. A vLLM release follows its era's memory
    budget; one before 0.8 runs the V0 engine, whose host time per step blocks the GPU
    (:data:`VLLM_V0_STEP_OVERHEAD_MS`, :data:`VLLM_V0_PER_SEQUENCE_OVERHEAD_MS`), and one from 0.14 on
    schedules asynchronously (:data:`VLLM_ASYNC_SCHEDULING_SINCE`). Without a version the ``vllm``
    profile is :data:`DEFAULT_VLLM_VERSION`'s.
    """
    from config_explorer.errors import InvalidArgumentError

    name = engine
    if isinstance(engine, str) and "==" in engine:
        name, _, pinned = engine.partition("==")
        version = version or pinned
    try:
        profile = ENGINE_PROFILES[name.strip().lower()]
    except (KeyError, AttributeError):
        raise InvalidArgumentError(
            f"unknown serving engine {engine!r}; accepted: {', '.join(ENGINE_PROFILES)} "
            "(optionally with a release, e.g. vllm==0.19.0)"
        ) from None
    if version is None:
        return profile
    released = parse_version(version)
    if profile.memory is not None:
        release = attrs.evolve(profile, version=str(version), memory=vllm_memory_budget(version))
        if released < VLLM_V1_SINCE:
            sync_output = VLLM_V0_SYNC_OUTPUT_MS_PER_SEQUENCE if released < VLLM_ASYNC_OUTPUT_SINCE else 0.0
            return attrs.evolve(
                release,
                step_overhead_ms=VLLM_V0_STEP_OVERHEAD_MS,
                per_sequence_overhead_ms=VLLM_V0_PER_SEQUENCE_OVERHEAD_MS + sync_output,
                piecewise_split_us=0.0,  # V0 captures whole decode graphs and runs prompts eagerly
                max_num_seqs_large_gpu=VLLM_V0_MAX_NUM_SEQS,
                max_num_seqs_small_gpu=VLLM_V0_MAX_NUM_SEQS,
                v0_chunk_tokens=next(
                    t for since, t in VLLM_V0_CHUNK_TOKENS if _release(str(version)) >= since
                ),
            )
        return attrs.evolve(
            release,
            async_scheduling=released >= VLLM_ASYNC_SCHEDULING_SINCE,
            full_decode_graphs=released >= VLLM_FULL_DECODE_GRAPHS_SINCE,
        )
    if profile.name == "trtllm" and released < TRTLLM_XQA_SINCE:
        return attrs.evolve(profile, version=str(version), grouped_decode_attention=False)
    return attrs.evolve(profile, version=str(version))

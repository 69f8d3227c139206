"""The kernel-issuing calls TensorRT-LLM's Python code makes in one eager context (prompt) forward, counted from its
model code.

TensorRT-LLM's PyTorch backend replays CUDA graphs for generation-only steps; a step that holds prompt tokens runs
eagerly unless piecewise prompt graphs are turned on, the host issuing every kernel from Python while the GPU runs
behind it (the host runs ahead: no call in these forwards reads a GPU value back). What sets the host's time is the
number of Python-level calls that launch kernels (a torch op, a custom op, a Python-side Triton or DeepGEMM launch),
not the kernels a C++ op launches inside itself: the attention op and the MoE runner each make one call for four to
six kernels. This module counts those calls per decoder layer for the model classes and paths read
(benchmarks/data/trtllm_eager_launch_evidence.md: the 2025-2026 versions of the model, attention, linear, MoE and
all-reduce code stored on either side of the ``v1.3.0rc14`` tag, which InferenceX's ``release:1.3.0rc14`` image runs;
the per-layer flow is the same in each), and ``calibration.TRTLLM_EAGER_CALL_US`` charges each one.

Where a model class, format, GPU family or layout is not one read here, :func:`trtllm_eager_calls` returns None and the
engine keeps its per-kernel charge (``calibration.TRTLLM_EAGER_KERNEL_US``).

Paths read (Blackwell, tensor parallelism, no attention data parallelism):

* **DeepSeek-V3 / R1** (``DeepseekV3ForCausalLM``) with block-scaled FP8 weights, every expert split by tensor
  parallelism (no expert parallelism), the TensorRT-LLM-gen MoE runner (``moe_config.backend: TRTLLM``, as NVIDIA's and
  InferenceX's B200 recipes set it), fused all-reduce + RMSNorm: an MLA context layer's two latent projections, norms,
  up-projections and output projection each an FP8 linear (a Triton input quantizer and a DeepGEMM call: two calls),
  the attention op one; the MoE half's router GEMM, input quantizer, runner, the shared expert's gated MLP (five calls)
  and the add; two fused all-reduces.
* **gpt-oss** (``GptOssForCausalLM``) with MXFP4 experts on the TensorRT-LLM-gen MXFP8 x MXFP4 runner: QKV projection,
  attention op, output projection, two fused all-reduces, the router GEMM, the input quantizer and the runner.
"""

from __future__ import annotations

from typing import Final

from config_explorer.architecture import ModelArchitecture
from config_explorer.precision import normalize_precision

__all__ = ["TRTLLM_COUNTED_CLASSES", "TRTLLM_LAYER_CALLS", "trtllm_eager_calls"]

#: Python-level kernel-issuing calls per decoder layer of an eager context forward: (a MoE layer, a dense layer, the
#: first layer's extra input norm)
TRTLLM_LAYER_CALLS: Final[dict[str, tuple[int, int, int]]] = {
    # DeepseekV3DecoderLayer: the MLA block 13 (the fused q_a / kv_a / k_pe FP8 linear 2, the q_a and kv_a norms 2,
    # q_b 2, the latent-cache concat 1, kv_b 2, the key copy 1, the attention op 1, o_proj 2); a MoE layer's other
    # half 11 (the fused all-reduce + norm 1, the shared expert's GatedMLP 5, the router GEMM 1, the input quantizer 1,
    # the runner 1, the add 1, the fused all-reduce + norm 1) -> 24; a dense layer's 8 (o_proj's all-reduce 1, the
    # fused add + norm 1, the GatedMLP 5, the fused all-reduce + norm 1) -> 21
    "DeepseekV3ForCausalLM": (24, 21, 1),
    # GptOssDecoderLayer (TransformerBlock.forward_tp): qkv_proj 1, attention op 1, o_proj 1, fused all-reduce 1,
    # router GEMM 1, mxfp8_quantize 1, the MXFP8 x MXFP4 runner 1, fused all-reduce 1 -> 8
    "GptOssForCausalLM": (8, 8, 1),
}
TRTLLM_COUNTED_CLASSES: Final[frozenset[str]] = frozenset(TRTLLM_LAYER_CALLS)


def trtllm_eager_calls(
    arch: ModelArchitecture, *, gpu_family: str, ep: int, dp_attention: int, weights: str
) -> int | None:
    """The kernel-issuing calls TensorRT-LLM's Python code makes in one eager context forward of ``arch``'s decoder
    layers on one GPU (every layer; the caller takes a pipeline stage's share), or None where this module has not
    read the path (see the module text). ``weights``: the served precision."""
    counts = TRTLLM_LAYER_CALLS.get(arch.architecture)
    if counts is None or gpu_family != "blackwell" or dp_attention > 1:
        return None
    w = normalize_precision(weights)
    if arch.architecture == "DeepseekV3ForCausalLM":
        if w != "fp8" or not arch.weight_block_scaled or ep > 1 or arch.sparse_attention:
            return None
    elif w != "mxfp4":
        return None
    moe_layer, dense_layer, first = counts
    moe_layers = arch.num_moe_layers
    return moe_layers * moe_layer + (arch.num_layers - moe_layers) * dense_layer + first

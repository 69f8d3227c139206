"""ModelArchitecture: what a Hugging Face config.json says about a model, and the figures derived from it.

Everything here is a pure function of the config: parameter counts (total and active), weight
bytes at a precision, KV-cache bytes per token, and FLOPs per token. The engine reads these
per-layer figures; it never looks at raw config keys.

Layer kinds
-----------
``attention_kinds`` holds one entry per decoder layer: ``"full"`` (global attention),
``"sliding"`` (a window of ``sliding_window`` tokens; Llama 4's chunked layers hold the same KV, and their
decode reads only the tokens since their chunk began: :attr:`ModelArchitecture.chunked_attention`),
``"mamba"`` (a Mamba-2 mixer) or ``"linear"`` (Gated DeltaNet linear attention, as in Qwen3-Next).
The last two keep a fixed-size state per sequence instead of a KV cache. ``mlp_kinds`` holds
``"dense"`` or ``"moe"``.

DeepSeek-V4's compressed attention (``compress_ratios``) is a sliding layer with more: every layer keeps its
last ``sliding_window`` tokens; a ratio-4 layer (CSA) also compresses each 4 tokens into one cached entry,
of which its lightning indexer picks the ``index_topk`` a query attends; a ratio-128 layer (HCA) compresses
each 128 tokens and attends all of its entries (:attr:`ModelArchitecture.compress_ratios`).
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import threading
from collections.abc import Mapping
from typing import Any, Final

import attrs

from config_explorer._util import short_repr
from config_explorer.errors import (
    ConfigExplorerError,
    InvalidArgumentError,
    InvalidModelConfigError,
    ModelLoadError,
)
from config_explorer.precision import bytes_per_value, normalize_precision

__all__ = ["FIELD_RANGES", "ModelArchitecture", "load_model"]

#: model types whose MLP is a plain up/down projection (no gate)
_NON_GATED_TYPES = frozenset(
    {
        "phi",
        "phi-msft",
        "gpt2",
        "gpt_neox",
        "gptj",
        "opt",
        "falcon",
        "bloom",
        "gpt_bigcode",
        "starcoder2",
        "mpt",
    }
)
#: model types whose q/k/v projections carry biases
_QKV_BIAS_TYPES = frozenset({"qwen2", "qwen2_moe", "phi", "gpt2", "gpt_neox", "starcoder2"})
#: model types whose shared expert's output is scaled by a sigmoid gate of its own (``shared_expert_gate``,
#: a one-column projection: transformers' qwen2_moe, qwen3_next and qwen3_5_moe modeling files; Qwen3.5's text
#: config names itself ``qwen3_5_moe_text``)
#: model types whose attention always normalises queries and keys head by head (no config flag says so)
_QK_NORM_PER_HEAD_TYPES = frozenset({"qwen3", "qwen3_moe", "qwen3_next"})
_GATED_SHARED_EXPERT_TYPES = frozenset({"qwen2_moe", "qwen3_next", "qwen3_5_moe", "qwen3_5_moe_text"})
#: the fields of transformers' ``Gemma3TextConfig`` that Gemma 3's published configs may leave out, at the class's
#: defaults (``models/gemma3/configuration_gemma3.py``): a missing field is read as transformers reads it
GEMMA3_TEXT_DEFAULTS: Final[dict[str, int]] = {
    "vocab_size": 262_208,
    "hidden_size": 2304,
    "intermediate_size": 9216,
    "num_hidden_layers": 26,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "max_position_embeddings": 131_072,
    "sliding_window": 4096,
}
#: model types whose configuration class unties the output head from the input embedding unless the
#: config says otherwise (``tie_word_embeddings=False`` in its ``__init__``: transformers 4.51.0,
#: models/<type>/configuration_<type>.py). transformers builds a config without the key at its class's
#: default, so the engines load such a checkpoint untied; other types take PretrainedConfig's True
_UNTIED_BY_DEFAULT = frozenset(
    {
        "llama",
        "llama4",
        "llama4_text",
        "mistral",
        "mixtral",
        "qwen2",
        "qwen2_moe",
        "qwen3",
        "qwen3_moe",
        "deepseek_v3",
        "granite",
        "granitemoe",
        "granitemoeshared",
        "phi3",
        "phimoe",
        "olmo",
        "olmo2",
        "olmoe",
        "gpt_neox",
        "jamba",
        "bamba",
        "nemotron",
        "glm",
    }
)

#: the physical range (inclusive) of each integer field: generous bounds around every published decoder
#: (Llama 3.1 405B: 126 layers of width 16384; Gemma 3: a 262k vocabulary; Qwen3-Next: 512 experts;
#: Llama 4 Scout: a 10M-token context). A value outside is a typo or a unit slip, and the arithmetic
#: downstream (one entry per layer, bytes and FLOPs) would blow up or turn meaningless on it.
FIELD_RANGES: Final[dict[str, tuple[int, int]]] = {
    "hidden_size": (1, 131_072),
    "num_layers": (1, 1024),
    "num_attention_heads": (1, 1024),
    "num_kv_heads": (1, 1024),
    "head_dim": (1, 8192),
    "intermediate_size": (0, 1_048_576),
    "vocab_size": (1, 10_000_000),
    "sliding_window": (1, 100_000_000),
    "num_experts": (0, 4096),
    "num_experts_per_token": (0, 4096),
    "moe_intermediate_size": (0, 1_048_576),
    "shared_expert_intermediate_size": (0, 1_048_576),
    "kv_lora_rank": (1, 65_536),
    "q_lora_rank": (1, 65_536),
    "index_topk": (0, 100_000_000),
    "index_num_heads": (0, 16_384),
    "index_head_dim": (0, 8192),
    "qk_nope_head_dim": (0, 8192),
    "qk_rope_head_dim": (0, 8192),
    "v_head_dim": (0, 8192),
    "mamba_num_heads": (0, 16_384),
    "mamba_head_dim": (0, 8192),
    "mamba_state_size": (0, 8192),
    "mamba_num_groups": (0, 16_384),
    "mamba_conv_kernel": (1, 1024),
    "linear_num_key_heads": (0, 16_384),
    "linear_num_value_heads": (0, 16_384),
    "linear_key_head_dim": (0, 8192),
    "linear_value_head_dim": (0, 8192),
    "linear_conv_kernel": (1, 1024),
    "max_position_embeddings": (1, 100_000_000),
    "o_lora_rank": (0, 65_536),
    "o_groups": (0, 16_384),
    "hc_mult": (1, 64),
    "moe_hidden_size": (0, 1_048_576),
    "block_sparse_layers": (0, 100_000),
    "global_head_dim": (0, 8192),
    "global_kv_heads": (0, 16_384),
    "sparse_block_size": (0, 1_048_576),
    "sparse_topk_blocks": (0, 1_048_576),
    "residual_block_size": (0, 100_000),
}
#: an image encoder's weights (a derived count, not a config integer): at most this many
MAX_VISION_PARAMS: Final = 100_000_000_000
#: integer fields that may be ``None`` (absent from the config)
_OPTIONAL_INTS = frozenset({"sliding_window", "kv_lora_rank", "q_lora_rank", "max_position_embeddings"})
#: no config integer is read past this (the largest of FIELD_RANGES), whatever it is for
_CONFIG_INT_MAX = 100_000_000
_BOOL_FIELDS = (
    "mlp_gated",
    "tie_word_embeddings",
    "qkv_bias",
    "attention_output_gate",
    "shared_expert_gated",
    "linear_gate_full_rank",
    "global_k_eq_v",
    "active_excludes_embedding",
    "trust_remote_code",
)
#: ``none``: a block with no mixer (an MLP-only block) or no MLP (a mixer-only block), as Nemotron-H's
#: ``hybrid_override_pattern`` lays its blocks out
_ATTENTION_KINDS = frozenset({"full", "sliding", "mamba", "linear", "none"})
_MLP_KINDS = frozenset({"dense", "moe", "none"})
#: Nemotron-H's ``hybrid_override_pattern``: one character a block (vLLM's and transformers' ``NemotronH``):
#: a Mamba-2 mixer, an attention mixer, an MLP, a MoE
_NEMOTRON_BLOCKS: Final = {
    "M": ("mamba", "none"),
    "*": ("full", "none"),
    "-": ("none", "dense"),
    "E": ("none", "moe"),
}
_SCOPES = ("linear", "experts")
#: the recurrent mixers of linear-attention layers: Qwen3-Next's Gated DeltaNet, Kimi Linear's Kimi Delta Attention
LINEAR_ATTENTION_KINDS: Final = ("gated_delta", "kda")
#: the compression ratios DeepSeek-V4's layers take (0: the sliding window alone); vLLM, SGLang and
#: TensorRT-LLM accept no others (``_compress_ratios`` checks in their DeepSeek-V4 loaders)
COMPRESS_RATIOS: Final = frozenset({0, 4, 128})
#: the ratio whose layers run the lightning indexer and attend its ``index_topk`` picks (CSA)
INDEXED_RATIO: Final = 4


class _Config:
    """Typed access to a config mapping; every failure names the field."""

    def __init__(self, data: Mapping[str, Any], model_id: str) -> None:
        self.data = data
        self.model_id = model_id

    def has(self, *keys: str) -> bool:
        return any(self.data.get(k) is not None for k in keys)

    def raw(self, *keys: str) -> Any:
        for key in keys:
            if self.data.get(key) is not None:
                return self.data[key]
        return None

    def integer(
        self, *keys: str, default: int | None = None, minimum: int = 1, bound: str | None = None
    ) -> int:
        """The first of ``keys`` present, as an integer in ``FIELD_RANGES[bound]`` (else ``[minimum, 1e8]``)."""
        value = self.raw(*keys)
        if value is None:
            if default is not None:
                return default
            raise InvalidModelConfigError(
                f"{self.model_id}: config.json lacks {' / '.join(repr(k) for k in keys)} (needed for the architecture)"
            )
        low, high = FIELD_RANGES[bound] if bound else (minimum, _CONFIG_INT_MAX)
        low = max(low, minimum)
        key = next(k for k in keys if self.data.get(k) is not None)
        integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not integral or not low <= value <= high:
            raise InvalidModelConfigError(
                f"{self.model_id}: config field {key!r} must be an integer from {low:,} to {high:,}, "
                f"got {short_repr(value)}"
            )
        return int(value)

    def optional_int(self, *keys: str, minimum: int = 1, bound: str | None = None) -> int | None:
        return self.integer(*keys, minimum=minimum, bound=bound) if self.has(*keys) else None

    def fraction(self, key: str, default: float) -> float:
        """``key`` as a number in (0, 1], ``default`` when absent."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise InvalidModelConfigError(
                f"{self.model_id}: config field {key!r} must be a number in (0, 1], got {short_repr(value)}"
            )
        return float(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidModelConfigError(
                f"{self.model_id}: config field {key!r} must be true or false, got {short_repr(value)}"
            )
        return value

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise InvalidModelConfigError(
                f"{self.model_id}: config field {key!r} must be a string, got {short_repr(value)}"
            )
        return value


#: a config's ``mamba_ssm_dtype`` as a precision name (others, and none, leave it unstated)
_SSM_DTYPES: Final = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def _native_precision(cfg: _Config) -> tuple[str, str | None, str]:
    """(precision, quantization method, scope) from ``quantization_config`` or ``torch_dtype``.

    Scope ``"linear"``: every linear layer but embeddings and lm_head is stored at that precision;
    ``"experts"``: only MoE expert weights are (gpt-oss's MXFP4 checkpoint).
    """
    quant = cfg.raw("quantization_config", "compression_config")
    if quant is not None:
        if not isinstance(quant, Mapping):
            raise InvalidModelConfigError(
                f"{cfg.model_id}: 'quantization_config' must be an object, got {short_repr(quant)}"
            )
        method = str(quant.get("quant_method") or quant.get("quant_algo") or "").lower()
        precision = _quantized_precision(quant, method)
        if precision is None:
            raise InvalidModelConfigError(
                f"{cfg.model_id}: unsupported quantization_config quant_method {method!r}; understood: fp8, "
                "fbgemm_fp8, compressed-tensors, modelopt, mxfp4, awq, gptq, bitsandbytes"
            )
        scope = "experts" if method == "mxfp4" else "linear"
        return precision, method, scope
    dtype = cfg.text("torch_dtype") or cfg.text("dtype") or "bfloat16"
    dtype = dtype.replace("torch.", "")
    mapping = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp16", "float": "fp16", "half": "fp16"}
    precision = mapping.get(dtype, "bf16")
    # vLLM's dtype="auto" serves fp32 checkpoints in fp16, except for models fp16 is unstable for
    if dtype in ("float32", "float") and cfg.text("model_type").startswith(("gemma2", "gemma3")):
        precision = "bf16"
    return precision, None, "linear"


def _block_scaled(cfg: _Config) -> bool:
    """Whether the checkpoint's ``quantization_config`` scales its weights per block (``weight_block_size``)."""
    quant = cfg.raw("quantization_config", "compression_config")
    return isinstance(quant, Mapping) and bool(quant.get("weight_block_size"))


def _quantized_precision(quant: Mapping[str, Any], method: str) -> str | None:
    if method in ("fp8", "fbgemm_fp8", "ptpc_fp8", "fp8_pc_pt"):
        return "fp8"
    if method == "mxfp4":
        return "mxfp4"
    if method in ("awq", "gptq", "awq_marlin", "gptq_marlin", "auto-round"):
        bits = quant.get("bits", quant.get("w_bit", 4))
        return "int8" if bits == 8 else "int4"
    if method == "bitsandbytes":
        return "int4" if quant.get("load_in_4bit") else "int8"
    if method in ("modelopt", "nvfp4", "modelopt_fp4") or "quant_algo" in quant:
        algo = str(quant.get("quant_algo", method)).lower()
        return "fp4" if "fp4" in algo else "fp8"
    if method == "compressed-tensors":
        groups = quant.get("config_groups") or {}
        for group in groups.values() if isinstance(groups, Mapping) else ():
            weights = group.get("weights") if isinstance(group, Mapping) else None
            if isinstance(weights, Mapping):
                bits, kind = weights.get("num_bits"), str(weights.get("type", "int"))
                if bits == 8:
                    return "fp8" if kind == "float" else "int8"
                if bits == 4 and kind == "float":
                    # one scale per 32 values is the OCP microscaling format (compressed-tensors' mxfp4-pack-quantized:
                    # Kimi K3), one per 16 NVIDIA's NVFP4
                    return "mxfp4" if weights.get("group_size") == 32 else "fp4"
                if bits == 4:
                    return "int4"
        return "fp8"
    return None


def _excluded_modules(cfg: _Config) -> tuple[str, ...]:
    """The module names or patterns a checkpoint's ``quantization_config`` leaves unquantized."""
    quant = cfg.raw("quantization_config", "compression_config")
    if not isinstance(quant, Mapping):
        return ()
    found: list[str] = []
    for key in ("modules_to_not_convert", "ignore", "exclude_modules", "ignored_layers"):
        value = quant.get(key)
        if isinstance(value, list):
            found.extend(str(v) for v in value if isinstance(v, str))
    return tuple(found)


class _Exclusions:
    """A checkpoint's exclusion list, and which modules it names.

    ``re:`` patterns are regular expressions (compressed-tensors' ``ignore``), patterns with ``*`` are
    globs over a dotted prefix (gpt-oss's ``model.layers.*.self_attn``), anything else names whole
    dotted components: ``model.layers.0`` holds ``model.layers.0.mlp.down_proj``, ``gate`` names a
    router ``mlp.gate`` but not ``mlp.gate_proj``.
    """

    def __init__(self, patterns: tuple[str, ...], model_id: str) -> None:
        self.names: set[str] = set()
        self.globs: list[str] = []
        self.regexes: list[re.Pattern[str]] = []
        for pattern in patterns:
            if pattern.startswith("re:"):
                try:
                    self.regexes.append(re.compile(pattern[3:]))
                except re.error as exc:
                    raise InvalidModelConfigError(
                        f"{model_id}: quantization_config excludes modules by {short_repr(pattern)}, "
                        f"which is not a regular expression ({exc})"
                    ) from exc
            elif "*" in pattern or "?" in pattern:
                self.globs.append(pattern)
            else:
                self.names.add(pattern)

    def __contains__(self, module: str) -> bool:
        parts = module.split(".")
        n = len(parts)
        if any(".".join(parts[i:j]) in self.names for i in range(n) for j in range(i + 1, n + 1)):
            return True
        prefixes = [".".join(parts[: i + 1]) for i in range(n)]
        if any(fnmatch.fnmatchcase(prefix, glob) for glob in self.globs for prefix in prefixes):
            return True
        return any(regex.match(module) for regex in self.regexes)


def _attention_modules(arch: ModelArchitecture) -> list[tuple[str, int]]:
    """One attention layer's projections as Hugging Face names them, with their weights: Llama-style
    (``q_proj`` standing for the fused query/key/value weights, ``o_proj``), or DeepSeek's MLA
    (``q_a_proj``/``q_b_proj`` or ``q_proj``, ``kv_a_proj_with_mqa``, ``kv_b_proj``, ``o_proj``; the
    low-rank norms ride with the projection before them)."""
    h = arch.hidden_size
    attention = arch.attention_params_per_layer
    if not arch.is_mla:
        out_proj = arch.num_attention_heads * arch.head_dim * h
        return [("self_attn.q_proj", attention - out_proj), ("self_attn.o_proj", out_proj)]
    assert arch.kv_lora_rank is not None
    heads = arch.num_attention_heads
    out_proj = heads * arch.v_head_dim * h
    kv_b = arch.kv_lora_rank * heads * (arch.qk_nope_head_dim + arch.v_head_dim)
    kv_a = h * (arch.kv_lora_rank + arch.qk_rope_head_dim) + arch.kv_lora_rank
    # a gated MLA's per-head output gate (Kimi K3's mla_use_output_gate) is a projection of its own
    gate = h * heads * arch.v_head_dim if arch.attention_output_gate else 0
    if arch.q_lora_rank:
        q_b = arch.q_lora_rank * heads * arch.q_head_dim
        q_a = attention - out_proj - kv_b - kv_a - q_b - gate
        query = [("self_attn.q_a_proj", q_a), ("self_attn.q_b_proj", q_b)]
    else:
        query = [("self_attn.q_proj", attention - out_proj - kv_b - kv_a - gate)]
    gated = [("self_attn.g_proj", gate)] if gate else []
    return [
        *query,
        ("self_attn.kv_a_proj_with_mqa", kv_a),
        ("self_attn.kv_b_proj", kv_b),
        *gated,
        ("self_attn.o_proj", out_proj),
    ]


#: MLA's latent down-projections, as Hugging Face names them: every GPU of a tensor-parallel group holds them whole
_LATENT_PROJECTIONS: Final = frozenset({"self_attn.q_a_proj", "self_attn.kv_a_proj_with_mqa"})


def _unquantized_linear_params(
    arch: ModelArchitecture, patterns: tuple[str, ...], *, only: frozenset[str] | None = None
) -> int:
    """Attention, linear-attention, dense-MLP and shared-expert projection weights that ``patterns`` leave
    unquantized, named as Hugging Face names the modules (``model.layers.N.self_attn.q_proj``, DeepSeek's
    ``...self_attn.kv_b_proj``, ``...mlp.down_proj``, Qwen3-Next's ``...linear_attn``, Kimi Linear's delta
    attention under ``...self_attn``, DeepSeek's ``...mlp.shared_experts`` and Qwen's ``...mlp.shared_expert``);
    ``only``: of the modules named so, those alone."""
    if not patterns:
        return 0
    excluded = _Exclusions(patterns, arch.model_id)
    h = arch.hidden_size
    attention_parts = _attention_modules(arch)
    mlp = arch.dense_mlp_params_per_layer
    down = h * arch.intermediate_size
    total = 0
    for i, (mixer, kind) in enumerate(zip(arch.attention_kinds, arch.mlp_kinds, strict=True)):
        parts: list[tuple[str, int]] = []
        if mixer in ("full", "sliding"):
            parts += attention_parts
        if mixer == "linear":
            where = "self_attn" if arch.linear_attention_kind == "kda" else "linear_attn"
            parts.append((f"{where}.o_proj", arch.linear_attention_params_per_layer))
        if kind == "dense":
            parts += [("mlp.gate_proj", mlp - down), ("mlp.down_proj", down)]
        if only is not None:
            parts = [(name, params) for name, params in parts if name in only]
        total += sum(params for name, params in parts if f"model.layers.{i}.{name}" in excluded)
        if only is not None:
            continue
        if kind == "moe" and arch.shared_expert_intermediate_size:
            names = (f"model.layers.{i}.mlp.{name}.down_proj" for name in ("shared_experts", "shared_expert"))
            if any(name in excluded for name in names):
                total += arch.expert_matrices * h * arch.shared_expert_intermediate_size
    return total


def _attention_kinds(cfg: _Config, model_type: str, num_layers: int) -> tuple[tuple[str, ...], int | None]:
    window = cfg.optional_int("sliding_window", bound="sliding_window")
    types = cfg.raw("layer_types", "layers_block_type")
    if types is not None:
        if not isinstance(types, list) or len(types) != num_layers:
            raise InvalidModelConfigError(
                f"{cfg.model_id}: 'layer_types' must list one entry per layer ({num_layers}), "
                f"got {short_repr(types, 200)}"
            )
        kinds = []
        for entry in types:
            text = str(entry).lower()
            if "mamba" in text or text == "ssm":
                kinds.append("mamba")
            elif text in ("linear_attention", "linear"):
                kinds.append("linear")
            elif "sliding" in text or text == "local":
                kinds.append("sliding")
            else:
                kinds.append("full")
        if "sliding" in kinds and window is None:
            raise InvalidModelConfigError(
                f"{cfg.model_id}: sliding layers in 'layer_types' but no 'sliding_window'"
            )
        return tuple(kinds), window
    kda = _kda_config(cfg)
    if kda is not None:
        return _kda_layer_kinds(cfg, kda, num_layers), None
    interval = cfg.optional_int("full_attention_interval")
    if interval is not None:  # Qwen3-Next: one gated full-attention layer every `interval`, linear otherwise
        return tuple("full" if (i + 1) % interval == 0 else "linear" for i in range(num_layers)), None
    chunk = cfg.optional_int("attention_chunk_size")
    if model_type.startswith("llama4") and chunk is not None:
        # Llama 4: every fourth layer is global (NoPE); the others attend within chunks of `chunk` tokens
        return tuple("full" if (i + 1) % 4 == 0 else "sliding" for i in range(num_layers)), chunk
    if window is None or cfg.data.get("use_sliding_window") is False:
        return ("full",) * num_layers, None
    if model_type == "gemma2":
        # Gemma 2 alternates local and global layers, local first
        return tuple("sliding" if i % 2 == 0 else "full" for i in range(num_layers)), window
    if model_type in ("gemma3", "gemma3_text"):
        pattern = cfg.integer("sliding_window_pattern", default=6)
        return tuple("full" if (i + 1) % pattern == 0 else "sliding" for i in range(num_layers)), window
    if window >= cfg.integer("max_position_embeddings", default=window + 1):
        return ("full",) * num_layers, None
    return ("sliding",) * num_layers, window


def _layer_flags(cfg: _Config, key: str, raw: Any, num_layers: int) -> tuple[bool, ...]:
    """A config's per-layer list of 0/1 flags (MiniMax-M3's ``moe_layer_freq``, ``sparse_attention_freq``)."""
    if (
        not isinstance(raw, list)
        or len(raw) != num_layers
        or not all(flag in (0, 1) and not isinstance(flag, float) for flag in raw)
    ):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: config field {key!r} must list a 0 or 1 for each of the {num_layers} layers, "
            f"got {short_repr(raw, 200)}"
        )
    return tuple(bool(flag) for flag in raw)


def _block_sparse(cfg: _Config, num_layers: int) -> dict[str, int]:
    """MiniMax-M3's sparse attention (``sparse_attention_config``): its sparse layers, blocks and indexer sizes as
    vLLM's ``MiniMaxM3`` attention reads them; {} without it."""
    raw = cfg.raw("sparse_attention_config")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'sparse_attention_config' must be an object, got {type(raw).__name__}"
        )
    if raw.get("use_sparse_attention") is False:
        return {}
    sub = _Config(dict(raw), cfg.model_id)
    freq = raw.get("sparse_attention_freq")
    flags = (
        _layer_flags(cfg, "sparse_attention_config.sparse_attention_freq", freq, num_layers) if freq else ()
    )
    if flags and any(flags[i] and not flags[i + 1] for i in range(num_layers - 1)):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: sparse attention layers are modelled as the last ones, after the dense ones; "
            f"got sparse_attention_freq {short_repr(freq, 200)}"
        )
    return {
        "block_sparse_layers": sum(flags) if flags else num_layers,
        "sparse_block_size": sub.integer("sparse_block_size", bound="sparse_block_size"),
        "sparse_topk_blocks": sub.integer("sparse_topk_blocks", bound="sparse_topk_blocks"),
        "index_num_heads": sub.integer("sparse_num_index_heads", bound="index_num_heads"),
        "index_head_dim": sub.integer("sparse_index_dim", bound="index_head_dim"),
    }


def _kda_config(cfg: _Config) -> Mapping[str, Any] | None:
    """Kimi Linear's ``linear_attn_config`` (Kimi-Linear-48B-A3B, Kimi K3's text model), None for other models."""
    raw = cfg.raw("linear_attn_config")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'linear_attn_config' must be an object, got {type(raw).__name__}"
        )
    return raw


def _kda_layer_kinds(cfg: _Config, kda: Mapping[str, Any], num_layers: int) -> tuple[str, ...]:
    """Kimi Linear's layer kinds: ``kda_layers`` and ``full_attn_layers`` number the layers from 1 (vLLM's
    ``KimiLinearForCausalLM``, mlx-lm's ``kimi_k3``: ``layer_idx + 1 in kda_layers``) and together cover each once."""
    lists: dict[str, set[int]] = {}
    for key in ("kda_layers", "full_attn_layers"):
        raw = kda.get(key)
        if not isinstance(raw, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= num_layers for i in raw
        ):
            raise InvalidModelConfigError(
                f"{cfg.model_id}: linear_attn_config.{key} must list layer numbers from 1 to {num_layers}, "
                f"got {short_repr(raw, 200)}"
            )
        lists[key] = set(raw)
    linear, full = lists["kda_layers"], lists["full_attn_layers"]
    if linear & full or len(linear | full) != num_layers:
        raise InvalidModelConfigError(
            f"{cfg.model_id}: linear_attn_config's kda_layers and full_attn_layers must number each of the "
            f"{num_layers} layers exactly once"
        )
    return tuple("linear" if i + 1 in linear else "full" for i in range(num_layers))


def _compress_ratios(cfg: _Config, num_layers: int) -> tuple[int, ...]:
    """DeepSeek-V4's per-layer compression ratios: the config lists the main layers' first, then its
    multi-token-prediction layers' (``num_nextn_predict_layers``), which serving without speculation skips."""
    raw = cfg.raw("compress_ratios")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) < num_layers:
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'compress_ratios' must list a ratio for each of the {num_layers} layers, "
            f"got {short_repr(raw, 200)}"
        )
    ratios = raw[:num_layers]
    if not all(isinstance(r, int) and not isinstance(r, bool) and r in COMPRESS_RATIOS for r in ratios):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'compress_ratios' may hold {', '.join(map(str, sorted(COMPRESS_RATIOS)))} only, "
            f"got {short_repr(raw, 200)}"
        )
    return tuple(ratios)


#: a config's ``expert_dtype`` (DeepSeek-V4) as the experts' stored precision: its ``fp4`` experts are MXFP4
#: (E2M1 values, one UE8M0 scale per 32: vLLM 0.20's ``DeepseekV4FP8Config`` loads them as MXFP4)
_EXPERT_DTYPES: Final = {"fp4": "mxfp4", "mxfp4": "mxfp4", "fp8": "fp8", "bf16": "bf16", "bfloat16": "bf16"}


def _expert_precision(cfg: _Config, precision: str) -> str | None:
    """The experts' stored precision where the config names one other than the linear layers' (None: the same)."""
    text = cfg.text("expert_dtype").lower()
    if not text:
        return None
    if text not in _EXPERT_DTYPES:
        raise InvalidModelConfigError(
            f"{cfg.model_id}: unsupported expert_dtype {text!r}; understood: {', '.join(sorted(_EXPERT_DTYPES))}"
        )
    expert = _EXPERT_DTYPES[text]
    return None if expert == precision else expert


#: Nemotron-H's newer configs list the blocks by name (``layers_block_type``: Nemotron 3 Ultra, 3.5 Lightning)
_NEMOTRON_BLOCK_NAMES: Final = {"mamba": "M", "attention": "*", "mlp": "-", "moe": "E"}


def _nas_blocks(cfg: _Config, num_layers: int) -> tuple[tuple[str, int, int], ...]:
    """Llama-Nemotron's searched blocks (``block_configs``, model type ``nemotron-nas``): each layer's attention (its
    KV heads, 0 where skipped) and MLP width (0 where skipped), as vLLM's ``DeciLMForCausalLM`` builds them: a width of
    ``2 x ffn_mult x hidden / 3`` rounded up to a multiple of 256; () for other models."""
    raw = cfg.raw("block_configs")
    if raw is None or cfg.text("model_type") != "nemotron-nas":
        return ()
    heads, hidden = cfg.integer("num_attention_heads"), cfg.integer("hidden_size")
    if not isinstance(raw, list) or len(raw) != num_layers:
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'block_configs' must hold one block for each of the {num_layers} layers"
        )
    blocks = []
    for i, block in enumerate(raw):
        attention = block.get("attention") if isinstance(block, Mapping) else None
        ffn = block.get("ffn") if isinstance(block, Mapping) else None
        if not isinstance(attention, Mapping) or not isinstance(ffn, Mapping):
            raise InvalidModelConfigError(
                f"{cfg.model_id}: block_configs[{i}] needs 'attention' and 'ffn' objects"
            )
        if (
            attention.get("replace_with_linear")
            or ffn.get("replace_with_linear")
            or attention.get("window_length")
        ):
            raise InvalidModelConfigError(
                f"{cfg.model_id}: block_configs[{i}] replaces a block with a linear layer or a window, which is not "
                "modelled; accepted: attention and MLP blocks, or no_op"
            )
        kv = 0
        if not attention.get("no_op"):
            group = _Config(dict(attention), cfg.model_id).integer("n_heads_in_group", bound="num_kv_heads")
            if heads % group:
                raise InvalidModelConfigError(
                    f"{cfg.model_id}: block_configs[{i}] n_heads_in_group={group} does not divide {heads} heads"
                )
            kv = heads // group
        width = 0
        if not ffn.get("no_op"):
            mult = ffn.get("ffn_mult")
            if isinstance(mult, bool) or not isinstance(mult, (int, float)) or not 0 < mult <= 1000:
                raise InvalidModelConfigError(
                    f"{cfg.model_id}: block_configs[{i}].ffn.ffn_mult must be a positive number, got {short_repr(mult)}"
                )
            width = -(-int(2 * mult * hidden / 3) // 256) * 256
        blocks.append(("full" if kv else "none", kv, width))
    kv_counts = {kv for _, kv, _ in blocks if kv}
    if len(kv_counts) > 1:
        raise InvalidModelConfigError(
            f"{cfg.model_id}: block_configs give the attention layers different KV heads ({sorted(kv_counts)}), "
            "which is not modelled"
        )
    return tuple(blocks)


def _nemotron_blocks(cfg: _Config, num_layers: int) -> tuple[tuple[str, str], ...]:
    """Nemotron-H's blocks (mixer kind, MLP kind) from its ``hybrid_override_pattern``, or its ``layers_block_type``
    names; () for other models."""
    pattern = cfg.raw("hybrid_override_pattern")
    names = cfg.raw("layers_block_type")
    if pattern is None and cfg.text("model_type") == "nemotron_h" and isinstance(names, list):
        if not all(isinstance(name, str) and name in _NEMOTRON_BLOCK_NAMES for name in names):
            raise InvalidModelConfigError(
                f"{cfg.model_id}: 'layers_block_type' must name one of {', '.join(_NEMOTRON_BLOCK_NAMES)} a block, "
                f"got {short_repr(names, 200)}"
            )
        pattern = "".join(_NEMOTRON_BLOCK_NAMES[name] for name in names)
    if pattern is None:
        return ()
    if (
        not isinstance(pattern, str)
        or len(pattern) != num_layers
        or not set(pattern) <= set(_NEMOTRON_BLOCKS)
    ):
        raise InvalidModelConfigError(
            f"{cfg.model_id}: 'hybrid_override_pattern' must give one of {', '.join(_NEMOTRON_BLOCKS)} for each of "
            f"the {num_layers} blocks, got {short_repr(pattern, 200)}"
        )
    return tuple(_NEMOTRON_BLOCKS[c] for c in pattern)


def _mlp_kinds(cfg: _Config, num_layers: int, num_experts: int) -> tuple[str, ...]:
    if num_experts == 0:
        return ("dense",) * num_layers
    first_dense = cfg.integer("first_k_dense_replace", default=0, minimum=0)
    flags = cfg.raw("moe_layer_freq")
    if isinstance(flags, list):  # MiniMax-M3: one 0/1 a layer
        return tuple(
            "moe" if flag else "dense" for flag in _layer_flags(cfg, "moe_layer_freq", flags, num_layers)
        )
    step = cfg.integer("decoder_sparse_step", "interleave_moe_layer_step", "moe_layer_freq", default=1)
    only_dense = cfg.raw("mlp_only_layers") or []
    kinds = []
    for i in range(num_layers):
        moe = i >= first_dense and (i + 1) % step == 0 and i not in only_dense
        kinds.append("moe" if moe else "dense")
    return tuple(kinds)


@attrs.frozen(init=False)
class ModelArchitecture:
    """A decoder LLM's architecture, read from its Hugging Face ``config.json``.

    Build it from a model id or path (``ModelArchitecture("meta-llama/Llama-3.1-70B")``: bundled
    catalog, then a local file or folder, then the hub), from a config mapping
    (``ModelArchitecture(config_dict)`` or :meth:`from_config`), or field by field with keywords.
    """

    model_id: str
    architecture: str
    model_type: str
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    mlp_gated: bool = True
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    attention_kinds: tuple[str, ...] = ()
    sliding_window: int | None = None
    mlp_kinds: tuple[str, ...] = ()
    num_experts: int = 0
    num_experts_per_token: int = 0
    moe_intermediate_size: int = 0
    shared_expert_intermediate_size: int = 0
    kv_lora_rank: int | None = None
    q_lora_rank: int | None = None
    #: DeepSeek sparse attention (DeepSeek-V3.2, GLM-5: ``index_topk`` > 0): a lightning indexer of
    #: ``index_num_heads`` heads of ``index_head_dim`` scores every earlier token, and the MLA attends only the
    #: ``index_topk`` best; 0: dense attention
    index_topk: int = 0
    index_num_heads: int = 0
    index_head_dim: int = 0
    #: DeepSeek-V4's compressed attention: one ratio per layer (0, 4 or 128; empty for other models). Its
    #: attention is one shared key/value latent of ``head_dim`` values (``qk_rope_head_dim`` of them rotary),
    #: every layer keeping its last ``sliding_window`` tokens' latents; ``index_*`` describe the ratio-4
    #: layers' indexer. The output projection is grouped: ``o_groups`` groups of heads each project to
    #: ``o_lora_rank`` before one projection back to the hidden size. ``hc_mult`` copies of the hidden
    #: state form the residual stream (manifold-constrained hyper-connections; 1: a plain residual)
    compress_ratios: tuple[int, ...] = ()
    o_lora_rank: int = 0
    o_groups: int = 0
    hc_mult: int = 1
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    mamba_num_heads: int = 0
    mamba_head_dim: int = 0
    mamba_state_size: int = 0
    mamba_num_groups: int = 0
    mamba_conv_kernel: int = 4
    linear_num_key_heads: int = 0
    linear_num_value_heads: int = 0
    linear_key_head_dim: int = 0
    linear_value_head_dim: int = 0
    linear_conv_kernel: int = 4
    #: the linear-attention layers' mixer: ``gated_delta`` (Qwen3-Next, Qwen3.5) or ``kda`` (Kimi Delta Attention:
    #: separate query/key/value projections and convolutions, a low-rank per-channel forget gate, a beta
    #: projection and an output gate; vLLM's ``KimiDeltaAttention``)
    linear_attention_kind: str = "gated_delta"
    #: Kimi Delta Attention's output gate is one full-rank projection (Kimi K3's ``use_full_rank_gate``), not
    #: the low-rank pair through ``head_dim``
    linear_gate_full_rank: bool = False
    #: the recurrent layers' SSM / delta-rule state type the checkpoint declares (``mamba_ssm_dtype``:
    #: Qwen3.5's ``float32``), as a precision name; None where the config does not say
    mamba_ssm_dtype: str | None = None
    #: the recurrent layers' scan chunk (``mamba_chunk_size``: Granite 4.0-H's 256); None where the config does not say
    mamba_chunk_size: int | None = None
    attention_output_gate: bool = False
    #: queries and keys are RMS-normalised over all heads of a layer at once (MiniMax-M2's
    #: ``qk_norm_type: per_layer``), not head by head: a tensor-parallel group all-reduces each token's sums of
    #: squares before the norm
    qk_norm_per_layer: bool = False
    #: queries and keys are RMS-normalised head by head over ``head_dim`` (the Qwen3 classes' ``q_norm``/``k_norm``;
    #: GLM-4.5's ``use_qk_norm``), one norm kernel each after the attention's fused projection
    qk_norm_per_head: bool = False
    #: the shared expert's output passes through a sigmoid gate of its own (Qwen2-MoE, Qwen3-Next)
    shared_expert_gated: bool = False
    #: the width the routed experts work in where it is not the hidden size: a latent MoE (Kimi K3's
    #: ``routed_expert_hidden_size``) projects each token down to it before routing and back up after the
    #: experts, so the experts, and the tokens dispatched to them, are that narrow; 0: the hidden size
    moe_hidden_size: int = 0
    #: the full-attention layers' own geometry beside sliding ones (Gemma 4's ``global_head_dim``,
    #: ``num_global_key_value_heads`` and ``attention_k_eq_v``: their values are their keys, so they cache keys only);
    #: 0 and False: the same as every layer's
    global_head_dim: int = 0
    global_kv_heads: int = 0
    global_k_eq_v: bool = False
    #: MiniMax sparse attention (MiniMax-M3's ``sparse_attention_config``): this many of the full-attention layers
    #: (the last ones) attend, per query, the ``sparse_topk_blocks`` blocks of ``sparse_block_size`` tokens an indexer
    #: picks (the query's own block among them); the indexer's ``index_num_heads`` query heads score one
    #: ``index_head_dim`` key a token, cached beside the layer's keys and values; 0 without it
    block_sparse_layers: int = 0
    sparse_block_size: int = 0
    sparse_topk_blocks: int = 0
    #: attention residuals (Kimi K3's ``attn_res_block_size``): each layer mixes the outputs of earlier blocks
    #: of this many layers into its input with weights of its own; 0 without them
    residual_block_size: int = 0
    max_position_embeddings: int | None = None
    #: the share of each head's dimensions rotary embedding rotates (config ``partial_rotary_factor``:
    #: phi-2 0.4, GLM-4.5 0.5, Qwen3-Next 0.25; 1 for most models)
    partial_rotary_factor: float = 1.0
    #: weights of an image encoder (a ViT: SigLIP, CLIP) and its projector, 0 for a text-only model
    vision_params: int = 0
    native_precision: str = "bf16"
    quantization_method: str | None = None
    quantized_scope: str = "linear"
    #: the precision the checkpoint stores its routed experts in where it differs from its other linear
    #: layers' (DeepSeek-V4's ``expert_dtype: fp4``: MXFP4 experts beside FP8 projections); None: the same
    expert_precision: str | None = None
    #: the checkpoint's FP8 weights carry one scale per block of weights (``quantization_config``'s
    #: ``weight_block_size``: DeepSeek-V3/R1, Qwen3's FP8 releases), not one per tensor or channel
    weight_block_scaled: bool = False
    #: weights of the quantized checkpoint's linear layers (attention and dense MLP projections) that its
    #: ``quantization_config`` leaves 16-bit (``modules_to_not_convert``, ``ignore``, ``exclude_modules``)
    unquantized_linear_params: int = 0
    #: of those, the weights of MLA's latent down-projections (``q_a_proj``, ``kv_a_proj_with_mqa``), which every GPU
    #: of a tensor-parallel group holds whole (:attr:`mla_replicated_params_per_layer`)
    unquantized_latent_params: int = 0
    source: str = attrs.field(default="", eq=False)
    official_total_params: float | None = attrs.field(default=None, eq=False)
    official_active_params: float | None = attrs.field(default=None, eq=False)
    official_params_source: str | None = attrs.field(default=None, eq=False)
    active_excludes_embedding: bool = attrs.field(default=False, eq=False)
    #: the checkpoint's own code must be trusted to load it (a model type or tokenizer transformers does not
    #: ship: Kimi-K2): its launch commands pass the engines' --trust-remote-code
    trust_remote_code: bool = attrs.field(default=False, eq=False)

    def __init__(self, *model: str | os.PathLike[str] | Mapping[str, Any], **fields: Any) -> None:
        if not model:
            try:
                self.__attrs_init__(**fields)
            except TypeError as exc:  # a field missing or unknown: attrs' own message names it
                raise InvalidModelConfigError(
                    f"ModelArchitecture takes a model id, a path or a config mapping, or every field by keyword: {exc}"
                ) from exc
            return
        if len(model) > 1:
            raise TypeError(f"ModelArchitecture takes one model id / path / config mapping, got {len(model)}")
        if fields.keys() - {"model_id"}:
            raise TypeError("pass either a model id / config mapping, or the fields by keyword, not both")
        source = model[0]
        if isinstance(source, Mapping):
            built = ModelArchitecture.from_config(source, model_id=fields.get("model_id"))
        elif isinstance(source, (str, os.PathLike)):
            built = load_model(source)
        else:
            raise InvalidModelConfigError(
                "ModelArchitecture takes a model id, a path to a config.json (or its folder) or a config mapping, "
                f"got {type(source).__name__} {short_repr(source)}"
            )
        self.__attrs_init__(**attrs.asdict(built, recurse=False))

    def __attrs_post_init__(self) -> None:
        self._check_fields()
        n = self.num_layers
        # lists (as JSON gives them) become tuples: the record stays hashable, a cache key
        for name in ("attention_kinds", "mlp_kinds", "compress_ratios"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.attention_kinds:
            object.__setattr__(self, "attention_kinds", ("full",) * n)
        if not self.mlp_kinds:
            object.__setattr__(self, "mlp_kinds", ("moe" if self.num_experts else "dense",) * n)
        for name, accepted in (("attention_kinds", _ATTENTION_KINDS), ("mlp_kinds", _MLP_KINDS)):
            kinds = getattr(self, name)
            if not isinstance(kinds, tuple) or not all(isinstance(k, str) and k in accepted for k in kinds):
                raise InvalidModelConfigError(
                    f"{self.model_id}: {name} must list one of {', '.join(sorted(accepted))} per layer, "
                    f"got {short_repr(kinds)}"
                )
        if len(self.attention_kinds) != n or len(self.mlp_kinds) != n:
            raise InvalidModelConfigError(
                f"{self.model_id}: per-layer kinds must have num_layers={n} entries"
            )
        if self.num_attention_heads % self.num_kv_heads:
            raise InvalidModelConfigError(
                f"{self.model_id}: num_attention_heads={self.num_attention_heads} is not a multiple of "
                f"num_key_value_heads={self.num_kv_heads}"
            )
        if "moe" in self.mlp_kinds and not (
            0 < self.num_experts_per_token <= self.num_experts and self.moe_intermediate_size > 0
        ):
            raise InvalidModelConfigError(
                f"{self.model_id}: MoE layers need 0 < experts per token ({self.num_experts_per_token}) <= "
                f"experts ({self.num_experts}) and a positive expert width ({self.moe_intermediate_size})"
            )
        if "dense" in self.mlp_kinds and self.intermediate_size < 1:
            raise InvalidModelConfigError(
                f"{self.model_id}: intermediate_size must be positive for dense MLP layers"
            )
        if "sliding" in self.attention_kinds and not self.sliding_window:
            raise InvalidModelConfigError(
                f"{self.model_id}: sliding attention layers need a positive sliding_window"
            )
        if self.index_topk and not (self.index_num_heads > 0 and self.index_head_dim > 0):
            raise InvalidModelConfigError(
                f"{self.model_id}: sparse attention (index_topk={self.index_topk}) needs positive index_n_heads "
                f"and index_head_dim, got {self.index_num_heads} and {self.index_head_dim}"
            )
        if self.index_topk and "sliding" in self.attention_kinds and not self.compress_ratios:
            raise InvalidModelConfigError(
                f"{self.model_id}: sparse attention (index_topk) beside sliding-window layers is not modelled"
            )
        if self.compress_ratios:
            self._check_compressed()
        if "mamba" in self.attention_kinds and not (
            self.mamba_num_heads > 0 and self.mamba_head_dim > 0 and self.mamba_state_size > 0
        ):
            raise InvalidModelConfigError(
                f"{self.model_id}: Mamba layers need mamba_n_heads, mamba_d_head, mamba_d_state"
            )
        if "linear" in self.attention_kinds and not (
            self.linear_num_key_heads > 0 and self.linear_num_value_heads > 0 and self.linear_key_head_dim > 0
        ):
            raise InvalidModelConfigError(
                f"{self.model_id}: linear-attention layers need the linear_* head sizes"
            )
        if self.block_sparse_layers:
            self._check_block_sparse()
        if self.linear_attention_kind not in LINEAR_ATTENTION_KINDS:
            raise InvalidModelConfigError(
                f"{self.model_id}: linear_attention_kind must be one of {', '.join(LINEAR_ATTENTION_KINDS)}, "
                f"got {short_repr(self.linear_attention_kind)}"
            )
        if self.linear_attention_kind == "kda" and (
            self.linear_num_key_heads != self.linear_num_value_heads
            or self.linear_key_head_dim != self.linear_value_head_dim
        ):
            raise InvalidModelConfigError(
                f"{self.model_id}: Kimi Delta Attention has as many key as value heads, of one size; got "
                f"{self.linear_num_key_heads} x {self.linear_key_head_dim} keys and "
                f"{self.linear_num_value_heads} x {self.linear_value_head_dim} values"
            )
        if self.unquantized_latent_params > self.unquantized_linear_params:
            raise InvalidModelConfigError(
                f"{self.model_id}: unquantized_latent_params={self.unquantized_latent_params:,} exceeds "
                f"unquantized_linear_params={self.unquantized_linear_params:,}"
            )
        if self.unquantized_linear_params > self.dense_linear_params:
            raise InvalidModelConfigError(
                f"{self.model_id}: unquantized_linear_params={self.unquantized_linear_params:,} exceeds the "
                f"{self.dense_linear_params:,} linear weights outside the experts"
            )
        try:
            object.__setattr__(self, "native_precision", normalize_precision(self.native_precision))
        except InvalidArgumentError as exc:
            raise InvalidModelConfigError(f"{self.model_id}: native_precision: {exc}") from exc

    def _check_block_sparse(self) -> None:
        who = self.model_id
        if self.block_sparse_layers > self.attention_kinds.count("full"):
            raise InvalidModelConfigError(
                f"{who}: block_sparse_layers={self.block_sparse_layers} exceeds the "
                f"{self.attention_kinds.count('full')} full-attention layers"
            )
        if not (
            self.sparse_block_size
            and self.sparse_topk_blocks
            and self.index_num_heads
            and self.index_head_dim
        ):
            raise InvalidModelConfigError(
                f"{who}: sparse attention layers need positive sparse_block_size, sparse_topk_blocks, index heads and "
                f"index head size; got {self.sparse_block_size}, {self.sparse_topk_blocks}, {self.index_num_heads}, "
                f"{self.index_head_dim}"
            )
        if self.is_mla or self.index_topk or self.compress_ratios or "sliding" in self.attention_kinds:
            raise InvalidModelConfigError(
                f"{who}: block-sparse attention beside MLA, DeepSeek sparse attention or sliding layers is not modelled"
            )

    def _check_compressed(self) -> None:
        """DeepSeek-V4's compressed attention: a ratio per layer, every layer windowed, one shared latent."""
        who, ratios = self.model_id, self.compress_ratios
        if not isinstance(ratios, tuple) or len(ratios) != self.num_layers:
            raise InvalidModelConfigError(
                f"{who}: compress_ratios must list one ratio per layer ({self.num_layers}), got {short_repr(ratios)}"
            )
        if not all(isinstance(r, int) and not isinstance(r, bool) and r in COMPRESS_RATIOS for r in ratios):
            raise InvalidModelConfigError(
                f"{who}: compress_ratios may hold {', '.join(map(str, sorted(COMPRESS_RATIOS)))} only, "
                f"got {short_repr(sorted(set(ratios), key=str))}"
            )
        if set(self.attention_kinds) != {"sliding"} or not self.sliding_window:
            raise InvalidModelConfigError(
                f"{who}: compressed attention keeps a sliding window in every layer: attention_kinds must all be "
                "'sliding' with a positive sliding_window"
            )
        if self.num_kv_heads != 1 or self.kv_lora_rank is not None:
            raise InvalidModelConfigError(
                f"{who}: compressed attention shares one key/value latent per token (num_key_value_heads 1, no "
                f"kv_lora_rank), got {self.num_kv_heads} KV heads"
            )
        if not 0 < self.qk_rope_head_dim < self.head_dim or not self.q_lora_rank:
            raise InvalidModelConfigError(
                f"{who}: compressed attention needs q_lora_rank and a qk_rope_head_dim below head_dim "
                f"({self.head_dim}), got {self.q_lora_rank} and {self.qk_rope_head_dim}"
            )
        if not (self.o_lora_rank > 0 and self.o_groups > 0 and self.num_attention_heads % self.o_groups == 0):
            raise InvalidModelConfigError(
                f"{who}: compressed attention's grouped output projection needs o_lora_rank > 0 and o_groups "
                f"dividing the {self.num_attention_heads} heads, got {self.o_lora_rank} and {self.o_groups}"
            )
        if INDEXED_RATIO in ratios and not self.index_topk:
            raise InvalidModelConfigError(
                f"{who}: ratio-{INDEXED_RATIO} layers pick their entries with an indexer: index_topk, "
                "index_n_heads and index_head_dim must be positive"
            )

    def _check_fields(self) -> None:
        """Each field of the right kind, each count in its physical range (:data:`FIELD_RANGES`).

        Runs before anything else reads the fields: the per-layer defaults, and every figure derived
        from them, can then trust them.
        """
        if not isinstance(self.model_id, str):
            raise InvalidModelConfigError(f"model_id must be a string, got {short_repr(self.model_id)}")
        who = self.model_id
        for name, (low, high) in FIELD_RANGES.items():
            value = getattr(self, name)
            optional = name in _OPTIONAL_INTS
            if value is None and optional:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidModelConfigError(
                    f"{who}: {name} must be an integer from {low:,} to {high:,}{' or None' if optional else ''}, "
                    f"got {short_repr(value)}"
                )
        rotary = self.partial_rotary_factor
        if isinstance(rotary, bool) or not isinstance(rotary, (int, float)) or not 0 < rotary <= 1:
            raise InvalidModelConfigError(
                f"{who}: partial_rotary_factor must be a number in (0, 1], got {short_repr(rotary)}"
            )
        for name in ("unquantized_linear_params", "unquantized_latent_params"):
            unquantized = getattr(self, name)
            if isinstance(unquantized, bool) or not isinstance(unquantized, int) or unquantized < 0:
                raise InvalidModelConfigError(
                    f"{who}: {name} must be a non-negative integer, got {short_repr(unquantized)}"
                )
        vision = self.vision_params
        if isinstance(vision, bool) or not isinstance(vision, int) or not 0 <= vision <= MAX_VISION_PARAMS:
            raise InvalidModelConfigError(
                f"{who}: vision_params must be an integer from 0 to {MAX_VISION_PARAMS:,}, got {short_repr(vision)}"
            )
        for name in _BOOL_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise InvalidModelConfigError(f"{who}: {name} must be True or False, got {short_repr(value)}")
        texts = ("architecture", "model_type", "native_precision", "quantized_scope", "source")
        for name in (*texts, "quantization_method", "official_params_source"):
            value = getattr(self, name)
            if not isinstance(value, str) and not (value is None and name not in texts):
                raise InvalidModelConfigError(f"{who}: {name} must be a string, got {short_repr(value)}")
        expert = self.expert_precision
        if expert is not None:
            try:
                object.__setattr__(self, "expert_precision", normalize_precision(expert))
            except InvalidArgumentError as exc:
                raise InvalidModelConfigError(f"{who}: expert_precision: {exc}") from exc
        if self.quantized_scope not in _SCOPES:
            raise InvalidModelConfigError(
                f"{who}: quantized_scope must be one of {', '.join(_SCOPES)}, got {short_repr(self.quantized_scope)}"
            )
        for name in ("official_total_params", "official_active_params"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1e16:
                raise InvalidModelConfigError(
                    f"{who}: {name} must be a parameter count in (0, 1e16] or None, got {short_repr(value)}"
                )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], model_id: str | None = None, **metadata: Any
    ) -> ModelArchitecture:
        """Read a Hugging Face ``config.json`` mapping (multimodal configs: its ``text_config``)."""
        if not isinstance(config, Mapping):
            raise InvalidModelConfigError(
                f"a model config must be a JSON object, got {type(config).__name__}"
            )
        name = model_id or config.get("_name_or_path") or "<config>"
        if not isinstance(name, str):
            name = "<config>"
        data: dict[str, Any] = dict(config)
        text = config.get("text_config")
        if isinstance(text, Mapping):
            data.update({k: v for k, v in text.items() if v is not None})
            for key in ("quantization_config", "torch_dtype"):
                if key in config and key not in text:
                    data[key] = config[key]
        if data.get("model_type") == "gemma3_text":
            # Gemma 3's published configs leave some fields to the class defaults (gemma-3-27b-it omits the
            # context, gemma-3-4b-it the heads and head size): take them as transformers does
            for key, value in GEMMA3_TEXT_DEFAULTS.items():
                data.setdefault(key, value)
        cfg = _Config(data, name)
        try:
            return cls._from_cfg(cfg, name, metadata)
        except ModelLoadError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError, OverflowError) as exc:
            raise InvalidModelConfigError(
                f"{name}: malformed config.json ({type(exc).__name__}: {exc})"
            ) from exc

    @classmethod
    def _from_cfg(cls, cfg: _Config, name: str, metadata: Mapping[str, Any]) -> ModelArchitecture:
        model_type = cfg.text("model_type", "unknown")
        architectures = cfg.raw("architectures")
        architecture = (
            str(architectures[0])
            if isinstance(architectures, list) and architectures
            else model_type or "unknown"
        )
        hidden = cfg.integer("hidden_size", "n_embd", "d_model", bound="hidden_size")
        block_names = cfg.raw("layers_block_type") if model_type == "nemotron_h" else None
        layers = cfg.integer(
            "num_hidden_layers",
            "n_layer",
            "num_layers",
            # Nemotron 3 Ultra states its blocks only as a list
            default=len(block_names) if isinstance(block_names, list) and block_names else None,
            bound="num_layers",
        )
        heads = cfg.integer("num_attention_heads", "n_head", bound="num_attention_heads")
        nas = _nas_blocks(cfg, layers)
        # blocks whose mixer and MLP the config names one by one (Nemotron-H's pattern, Llama-Nemotron's blocks)
        blocks = _nemotron_blocks(cfg, layers) or tuple(
            (kind, "dense" if width else "none") for kind, _, width in nas
        )
        if cfg.data.get("multi_query") is True or cfg.data.get("multi_query_attention") is True:
            kv_heads = 1
        elif nas:  # Llama-Nemotron: the attention layers' own KV heads
            kv_heads = max(kv for _, kv, _ in nas)
        else:
            kv_heads = cfg.integer("num_key_value_heads", "num_kv_heads", default=heads, bound="num_kv_heads")
        head_dim = cfg.integer(
            "head_dim", default=hidden // heads if hidden >= heads else 0, bound="head_dim"
        )
        if head_dim < 1:
            raise InvalidModelConfigError(
                f"{name}: head_dim is 0 (hidden_size {hidden} < num_attention_heads {heads})"
            )
        vocab = cfg.integer("vocab_size", bound="vocab_size")
        # experts
        num_experts = cfg.integer(
            "num_local_experts", "num_experts", "n_routed_experts", default=0, minimum=0, bound="num_experts"
        )
        top_k = cfg.integer(
            "num_experts_per_tok",
            "top_k_experts",
            "experts_per_token",
            "num_experts_per_token",
            default=0,
            minimum=0,
            bound="num_experts_per_token",
        )
        if num_experts and not top_k:
            raise InvalidModelConfigError(f"{name}: MoE config lacks 'num_experts_per_tok'")
        moe_width = (
            cfg.integer("moe_intermediate_size", "intermediate_size", default=0, minimum=0)
            if num_experts
            else 0
        )
        if num_experts and cfg.data.get("enable_moe_block"):  # Gemma 4: a dense MLP runs beside the experts
            shared = cfg.integer("intermediate_size", minimum=0)
        elif cfg.data.get("moe_shared_expert_intermediate_size"):  # Nemotron-H: the shared expert's own width
            shared = cfg.integer("moe_shared_expert_intermediate_size", minimum=0)
        elif cfg.data.get("n_shared_experts") or cfg.data.get("num_shared_experts"):
            shared = cfg.integer("n_shared_experts", "num_shared_experts", minimum=0) * moe_width
        elif model_type.startswith("llama4") and num_experts:
            shared = moe_width  # Llama 4 MoE layers always add one shared expert of the routed width
        else:
            shared = cfg.integer(
                "shared_expert_intermediate_size", "shared_intermediate_size", default=0, minimum=0
            )
        mlp_kinds = tuple(mlp for _, mlp in blocks) if blocks else _mlp_kinds(cfg, layers, num_experts)
        if nas:
            # Llama-Nemotron's MLPs differ in width layer by layer: their mean, which keeps the weights and the work
            # they cost whole (both are linear in the width)
            widths = [width for _, _, width in nas if width]
            intermediate = round(sum(widths) / len(widths)) if widths else 0
        elif "dense" in mlp_kinds:
            if cfg.raw("intermediate_size", "n_inner", "ffn_dim", "intermediate_size_mlp") is None and (
                "n_inner" in cfg.data
            ):
                intermediate = 4 * hidden  # GPT-2 style: n_inner null means 4 * hidden
            else:
                intermediate = cfg.integer(
                    "dense_intermediate_size",
                    "intermediate_size_mlp",
                    "intermediate_size",
                    "n_inner",
                    "ffn_dim",
                )
        else:
            intermediate = cfg.integer("intermediate_size", default=0, minimum=0)
        attention_kinds, window = (
            (tuple(mixer for mixer, _ in blocks), None)
            if blocks
            else _attention_kinds(cfg, model_type, layers)
        )
        precision, method, scope = _native_precision(cfg)
        mla = cfg.optional_int("kv_lora_rank", bound="kv_lora_rank")
        ratios = _compress_ratios(cfg, layers)
        latent = mla is not None or bool(ratios)  # low-rank queries, rope part and indexer fields apply
        mamba = "mamba" in attention_kinds
        linear = "linear" in attention_kinds
        kda_data = _kda_config(cfg)
        block_sparse = _block_sparse(cfg, layers)
        gemma4 = model_type.startswith("gemma4")
        # Kimi Linear's delta-attention sizes sit in its linear_attn_config: as many key as value heads, of one size
        lin = _Config(dict(kda_data), name) if kda_data is not None and linear else cfg
        gated_delta = ("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim")
        kda_sizes = ("num_heads", "num_heads", "head_dim", "head_dim", "short_conv_kernel_size")
        linear_sizes = (
            (*gated_delta, "linear_value_head_dim", "linear_conv_kernel_dim") if lin is cfg else kda_sizes
        )
        mamba_heads = cfg.integer("mamba_n_heads", "mamba_num_heads", default=0, minimum=0) if mamba else 0
        mamba_head_dim = cfg.integer("mamba_d_head", "mamba_head_dim", default=0, minimum=0) if mamba else 0
        if mamba and not mamba_head_dim and mamba_heads:
            mamba_head_dim = cfg.integer("mamba_expand", default=2) * hidden // mamba_heads
        built = cls(
            model_id=name,
            architecture=architecture,
            model_type=model_type,
            hidden_size=hidden,
            num_layers=layers,
            num_attention_heads=heads,
            num_kv_heads=kv_heads if not mla else heads,
            head_dim=head_dim,
            intermediate_size=intermediate,
            vocab_size=vocab,
            # Nemotron-H's MLPs and experts square a ReLU (relu2): an up and a down projection, no gate
            mlp_gated=model_type not in _NON_GATED_TYPES and cfg.text("mlp_hidden_act") != "relu2",
            tie_word_embeddings=cfg.flag("tie_word_embeddings", model_type not in _UNTIED_BY_DEFAULT),
            qkv_bias=cfg.flag("attention_bias", model_type in _QKV_BIAS_TYPES)
            or cfg.flag("qkv_bias", False)
            or cfg.flag("bias", False),
            attention_kinds=attention_kinds,
            sliding_window=window,
            mlp_kinds=mlp_kinds,
            num_experts=num_experts,
            num_experts_per_token=top_k,
            moe_intermediate_size=moe_width,
            shared_expert_intermediate_size=shared,
            kv_lora_rank=mla,
            q_lora_rank=cfg.optional_int("q_lora_rank") if latent else None,
            index_topk=cfg.integer("index_topk", default=0, minimum=0) if latent else 0,
            index_num_heads=cfg.integer("index_n_heads", default=0, minimum=0)
            if latent
            else block_sparse.get("index_num_heads", 0),
            index_head_dim=cfg.integer("index_head_dim", default=0, minimum=0)
            if latent
            else block_sparse.get("index_head_dim", 0),
            block_sparse_layers=block_sparse.get("block_sparse_layers", 0),
            global_head_dim=cfg.integer("global_head_dim", default=0, minimum=0, bound="global_head_dim")
            if gemma4
            else 0,
            global_kv_heads=cfg.integer(
                "num_global_key_value_heads", default=0, minimum=0, bound="global_kv_heads"
            )
            if gemma4
            else 0,
            global_k_eq_v=gemma4 and cfg.flag("attention_k_eq_v", False),
            sparse_block_size=block_sparse.get("sparse_block_size", 0),
            sparse_topk_blocks=block_sparse.get("sparse_topk_blocks", 0),
            compress_ratios=ratios,
            o_lora_rank=cfg.integer("o_lora_rank", default=0, minimum=0, bound="o_lora_rank")
            if ratios
            else 0,
            o_groups=cfg.integer("o_groups", default=0, minimum=0, bound="o_groups") if ratios else 0,
            hc_mult=cfg.integer("hc_mult", default=1, bound="hc_mult") if ratios else 1,
            expert_precision=_expert_precision(cfg, precision) if num_experts else None,
            qk_nope_head_dim=cfg.integer("qk_nope_head_dim", default=0, minimum=0) if mla else 0,
            qk_rope_head_dim=cfg.integer("qk_rope_head_dim", default=0, minimum=0) if latent else 0,
            v_head_dim=cfg.integer("v_head_dim", default=head_dim) if mla else 0,
            mamba_num_heads=mamba_heads,
            mamba_head_dim=mamba_head_dim,
            mamba_state_size=cfg.integer("mamba_d_state", "ssm_state_size", default=0, minimum=0)
            if mamba
            else 0,
            mamba_num_groups=cfg.integer("mamba_n_groups", "n_groups", default=1) if mamba else 0,
            mamba_conv_kernel=cfg.integer("mamba_d_conv", "conv_kernel", default=4) if mamba else 4,
            linear_num_key_heads=lin.integer(linear_sizes[0], bound="linear_num_key_heads") if linear else 0,
            linear_num_value_heads=lin.integer(linear_sizes[1], bound="linear_num_value_heads")
            if linear
            else 0,
            linear_key_head_dim=lin.integer(linear_sizes[2], bound="linear_key_head_dim") if linear else 0,
            linear_value_head_dim=lin.integer(linear_sizes[3], bound="linear_value_head_dim")
            if linear
            else 0,
            linear_conv_kernel=lin.integer(linear_sizes[4], default=4, bound="linear_conv_kernel")
            if linear
            else 4,
            linear_attention_kind="kda" if lin is not cfg else "gated_delta",
            linear_gate_full_rank=lin is not cfg and lin.flag("use_full_rank_gate", False),
            # Kimi Delta Attention's recurrent state is 32-bit whatever the cache type (vLLM's kda_state_dtype)
            mamba_ssm_dtype=(
                _SSM_DTYPES.get(cfg.text("mamba_ssm_dtype") or cfg.text("mamba_ssm_cache_dtype"))
                or ("fp32" if lin is not cfg else None)
            )
            if mamba or linear
            else None,
            mamba_chunk_size=cfg.optional_int("mamba_chunk_size", "chunk_size") if mamba or linear else None,
            attention_output_gate=model_type == "qwen3_next"
            or cfg.flag("attn_output_gate", False)
            or (mla is not None and cfg.flag("mla_use_output_gate", False)),
            qk_norm_per_layer=cfg.flag("use_qk_norm", False) and cfg.text("qk_norm_type") == "per_layer",
            qk_norm_per_head=(model_type in _QK_NORM_PER_HEAD_TYPES or cfg.flag("use_qk_norm", False))
            and cfg.text("qk_norm_type") != "per_layer",
            shared_expert_gated=bool(shared) and model_type in _GATED_SHARED_EXPERT_TYPES,
            moe_hidden_size=cfg.integer(
                "routed_expert_hidden_size", "moe_latent_size", default=0, minimum=0, bound="moe_hidden_size"
            )
            if num_experts
            else 0,
            residual_block_size=cfg.integer(
                "attn_res_block_size", default=0, minimum=0, bound="residual_block_size"
            ),
            # Kimi Linear states its context as model_max_length alone
            max_position_embeddings=cfg.optional_int(
                "max_position_embeddings", "model_max_length", bound="max_position_embeddings"
            ),
            partial_rotary_factor=cfg.fraction("partial_rotary_factor", default=1.0),
            vision_params=_vision_params(cfg.raw("vision_config"), hidden, name),
            native_precision=precision,
            quantization_method=method,
            quantized_scope=scope,
            weight_block_scaled=precision == "fp8" and _block_scaled(cfg),
            **metadata,
        )
        if scope != "linear" or precision in ("bf16", "fp16"):
            return built
        excluded = _excluded_modules(cfg)
        unquantized = _unquantized_linear_params(built, excluded) + built.compressor_wide_params
        if not unquantized:
            return built
        latent_16bit = _unquantized_linear_params(built, excluded, only=_LATENT_PROJECTIONS)
        return cls(
            **{
                **attrs.asdict(built, recurse=False),
                "unquantized_linear_params": unquantized,
                "unquantized_latent_params": latent_16bit,
            }
        )

    # ------------------------------------------------------------------ structure
    @property
    def is_moe(self) -> bool:
        return "moe" in self.mlp_kinds

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank is not None

    def block_scaled_at(self, precision: str) -> bool:
        """Whether weights served at ``precision`` are the checkpoint's own FP8 weights with one scale per block
        (:attr:`weight_block_scaled`); served at another precision they are quantized again at start-up."""
        return self.weight_block_scaled and precision == self.native_precision

    @property
    def chunked_attention(self) -> bool:
        """The ``"sliding"`` layers attend within fixed chunks of ``sliding_window`` tokens (Llama 4's
        ``attention_chunk_size``), not over a sliding window; see :func:`_attention_kinds`."""
        return self.model_type.startswith("llama4") and "sliding" in self.attention_kinds

    @property
    def is_hybrid(self) -> bool:
        """Some layers keep a recurrent state (Mamba-2 or linear attention) instead of a KV cache."""
        return "mamba" in self.attention_kinds or "linear" in self.attention_kinds

    @property
    def num_attention_layers(self) -> int:
        return sum(1 for k in self.attention_kinds if k in ("full", "sliding"))

    @property
    def num_linear_layers(self) -> int:
        return self.attention_kinds.count("linear")

    @property
    def num_mamba_layers(self) -> int:
        return self.attention_kinds.count("mamba")

    @property
    def num_moe_layers(self) -> int:
        return self.mlp_kinds.count("moe")

    @property
    def rotary_dim(self) -> int:
        """Dimensions of each query/key head that rotary embedding rotates: MLA's rope part, else the
        ``partial_rotary_factor`` share of the head (vLLM's ``get_rope``: ``int(head_dim x factor)``)."""
        if self.is_mla:
            return self.qk_rope_head_dim
        return int(self.head_dim * self.partial_rotary_factor)

    @property
    def q_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim if self.is_mla else self.head_dim

    @property
    def mamba_inner_size(self) -> int:
        return self.mamba_num_heads * self.mamba_head_dim

    # ------------------------------------------------------------------ parameters, per component
    @property
    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    @property
    def lm_head_params(self) -> int:
        return 0 if self.tie_word_embeddings else self.vocab_size * self.hidden_size

    @property
    def attention_params_per_layer(self) -> int:
        """Projection weights of one attention layer (norms excluded)."""
        h = self.hidden_size
        if self.compress_ratios:
            # DeepSeek-V4 (vLLM 0.20's DeepseekV4Attention): the query latent (wq_a, its norm) and its
            # per-head queries (wq_b), the shared key/value latent (wkv, its norm), the grouped output projection
            # (wo_a: each of o_groups groups of heads to o_lora_rank; wo_b: back to hidden) and a sink per head
            nh, hd, ql = self.num_attention_heads, self.head_dim, self.q_lora_rank or 0
            queries = h * ql + ql + ql * nh * hd
            output = nh * hd * self.o_lora_rank + self.o_groups * self.o_lora_rank * h
            return queries + h * hd + hd + output + nh
        if self.is_mla:
            assert self.kv_lora_rank is not None
            nq = self.num_attention_heads
            if self.q_lora_rank:
                q = h * self.q_lora_rank + self.q_lora_rank + self.q_lora_rank * nq * self.q_head_dim
            else:
                q = h * nq * self.q_head_dim
            kv_a = h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
            kv_b = self.kv_lora_rank * nq * (self.qk_nope_head_dim + self.v_head_dim)
            # a gated MLA (Kimi K3's mla_use_output_gate) scales each head's output by a sigmoid of its own projection
            gate = h * nq * self.v_head_dim if self.attention_output_gate else 0
            return q + kv_a + kv_b + nq * self.v_head_dim * h + gate
        return self._gqa_params(self.head_dim, self.num_kv_heads, 2)

    def _gqa_params(self, head_dim: int, kv_heads: int, kv_mult: int) -> int:
        h = self.hidden_size
        q_width = self.num_attention_heads * head_dim
        kv_width = kv_heads * head_dim
        q_out = 2 * q_width if self.attention_output_gate else q_width  # gated attention: query and gate
        bias = q_out + kv_mult * kv_width if self.qkv_bias else 0
        return h * (q_out + kv_mult * kv_width) + q_width * h + bias

    @property
    def full_geometry(self) -> tuple[int, int, int]:
        """(head size, KV heads, 2 for keys and values or 1 for keys alone) of the full-attention layers: Gemma 4's
        global layers' own (:attr:`global_head_dim`...), else every layer's."""
        return (
            self.global_head_dim or self.head_dim,
            self.global_kv_heads or self.num_kv_heads,
            1 if self.global_k_eq_v else 2,
        )

    @property
    def full_layers_own_geometry(self) -> bool:
        """Whether the full-attention layers have a geometry of their own (:attr:`full_geometry`: Gemma 4's)."""
        return bool(self.global_head_dim or self.global_kv_heads or self.global_k_eq_v)

    @property
    def full_attention_params_per_layer(self) -> int:
        """Projection weights of one full-attention layer (:attr:`attention_params_per_layer` unless the full layers
        have a geometry of their own)."""
        if not self.full_layers_own_geometry:
            return self.attention_params_per_layer
        return self._gqa_params(*self.full_geometry)

    @property
    def mamba_params_per_layer(self) -> int:
        """Mamba-2 mixer: in_proj (z, x, B, C, dt), depthwise conv, dt/A/D, gated norm, out_proj."""
        if "mamba" not in self.attention_kinds:
            return 0
        inner = self.mamba_inner_size
        bc = 2 * self.mamba_num_groups * self.mamba_state_size
        in_proj = self.hidden_size * (2 * inner + bc + self.mamba_num_heads)
        conv = (inner + bc) * (self.mamba_conv_kernel + 1)
        return in_proj + conv + 3 * self.mamba_num_heads + inner + inner * self.hidden_size

    @property
    def _linear_key_width(self) -> int:
        return self.linear_num_key_heads * self.linear_key_head_dim

    @property
    def _linear_value_width(self) -> int:
        return self.linear_num_value_heads * self.linear_value_head_dim

    @property
    def linear_attention_params_per_layer(self) -> int:
        """Gated DeltaNet: q/k/v/z and beta/alpha projections, depthwise conv, decay terms, norm, out_proj.
        Kimi Delta Attention (vLLM's ``KimiDeltaAttention``, mlx-lm's ``KimiK3DeltaAttention``): query, key and
        value projections and their depthwise convolutions, the forget gate's low-rank pair through ``head_dim``
        (``f_a``, ``f_b``), the beta projection, the output gate (the same low-rank pair, or one full-rank
        projection), the per-head decay and per-channel bias, the head norm and out_proj."""
        if "linear" not in self.attention_kinds:
            return 0
        kw, vw = self._linear_key_width, self._linear_value_width
        if self.linear_attention_kind == "kda":
            h, hd, heads = self.hidden_size, self.linear_key_head_dim, self.linear_num_value_heads
            low_rank = h * hd + hd * vw
            gate = h * vw if self.linear_gate_full_rank else low_rank
            conv = (2 * kw + vw) * self.linear_conv_kernel
            return h * (2 * kw + vw) + low_rank + h * heads + gate + conv + heads + vw + hd + vw * h
        in_proj = self.hidden_size * (2 * kw + 2 * vw + 2 * self.linear_num_value_heads)
        conv = (2 * kw + vw) * self.linear_conv_kernel
        return (
            in_proj
            + conv
            + 2 * self.linear_num_value_heads
            + self.linear_value_head_dim
            + vw * self.hidden_size
        )

    @property
    def dense_linear_params(self) -> int:
        """Linear weights outside the routed experts: attention, dense and shared-expert MLPs."""
        return int(self._linear_params(0))

    @property
    def dense_mlp_params_per_layer(self) -> int:
        return (3 if self.mlp_gated else 2) * self.hidden_size * self.intermediate_size

    @property
    def expert_hidden_size(self) -> int:
        """The width routed experts take and give back: the latent size of a latent MoE, else the hidden size."""
        return self.moe_hidden_size or self.hidden_size

    @property
    def expert_params(self) -> int:
        """One routed expert (gated MLP of width ``moe_intermediate_size`` over :attr:`expert_hidden_size`)."""
        return self.expert_matrices * self.expert_hidden_size * self.moe_intermediate_size

    @property
    def expert_matrices(self) -> int:
        """Weight matrices of one routed or shared expert: gate, up and down (2 without a gate: Nemotron-H)."""
        return 3 if self.mlp_gated else 2

    @property
    def shared_expert_params_per_layer(self) -> int:
        """A MoE layer's shared experts, and a latent MoE's projections down to the experts' width and back up
        and its norm there (mlx-lm's ``KimiK3SparseMoE``): weights every token of the layer is multiplied by."""
        latent = (
            2 * self.hidden_size * self.moe_hidden_size + self.moe_hidden_size if self.moe_hidden_size else 0
        )
        return self.expert_matrices * self.hidden_size * self.shared_expert_intermediate_size + latent

    @property
    def router_params_per_layer(self) -> int:
        return self.hidden_size * self.num_experts

    @property
    def norm_params(self) -> int:
        """The norms' weights, and the hyper-connections' mixing weights where the model has them
        (:attr:`hyper_connection_params`: small, and no GEMM a token's cost needs apart)."""
        return (self.num_blocks + 1) * self.hidden_size + self.hyper_connection_params + self.residual_params

    @property
    def num_blocks(self) -> int:
        """Residual blocks (a mixer or an MLP, each with its norm): twice the layers, less Nemotron-H's empty halves."""
        return 2 * self.num_layers - self.attention_kinds.count("none") - self.mlp_kinds.count("none")

    @property
    def residual_params(self) -> int:
        """Attention residuals' weights (:attr:`residual_block_size` > 0): at each of a layer's two sites and before
        the final norm, a norm and a projection of the hidden state to one logit (mlx-lm's ``KimiK3DecoderLayer``);
        0 without them."""
        if not self.residual_block_size:
            return 0
        return (2 * self.num_layers + 1) * 2 * self.hidden_size

    @property
    def hyper_connection_params(self) -> int:
        """DeepSeek-V4's manifold-constrained hyper-connections (``hc_mult`` > 1): at each of a layer's two sites
        (attention, MLP) one projection of the ``hc_mult`` copies of the hidden state to the
        ``(2 + hc_mult) * hc_mult`` mixing terms, their bias and three scales, and one such projection before the
        output head (SGLang 0.5.12's ``DeepseekV4DecoderLayer``); 0 without them."""
        hc = self.hc_mult
        if hc <= 1:
            return 0
        width, mix = hc * self.hidden_size, (2 + hc) * hc
        return self.num_layers * 2 * (width * mix + mix + 3) + width * hc + hc + 1

    @property
    def residual_mix_values_per_token(self) -> int:
        """Hidden-state values attention residuals read per token in one forward pass: before each layer's attention
        and its MLP, every finished block's output and the running sum (mlx-lm's ``_attn_res_mix``: a block of
        :attr:`residual_block_size` layers closes at each block start), and before the final norm all of them;
        0 without attention residuals."""
        size = self.residual_block_size
        if not size:
            return 0
        total = 0
        for i in range(self.num_layers):
            before = -(-i // size)  # blocks closed before this layer's attention
            after = i // size + 1  # and before its MLP, the block this layer starts included
            total += (before + 1) + (after + 1)
        return (total + -(-self.num_layers // size) + 1) * self.hidden_size

    @property
    def compressed_attention(self) -> bool:
        """Whether the layers are DeepSeek-V4's compressed attention (:attr:`compress_ratios`)."""
        return bool(self.compress_ratios)

    @property
    def sparse_attention(self) -> bool:
        """Whether the attention layers are DeepSeek sparse attention (an indexer picks ``index_topk`` tokens of
        every earlier one: DeepSeek-V3.2, GLM-5); DeepSeek-V4's indexer picks compressed entries instead
        (:attr:`compressed_attention`)."""
        return self.index_topk > 0 and not self.compress_ratios

    def compressor_params(self, ratio: int) -> int:
        """A compressed-attention layer's weights beyond :attr:`attention_params_per_layer` at ``ratio``: its
        compressor (key/value and score projections of ``coff x head_dim`` values each, a positional bias per
        slot of a ratio, a norm; ``coff`` is 2 at ratio 4, whose entries pool two overlapping windows), and at
        ratio 4 the indexer (its query projection from the query latent, its per-head weights and a compressor
        of its own for the index keys): vLLM 0.20's ``DeepseekCompressor`` and ``DeepseekV4Indexer``. 0 at
        ratio 0 (the window alone)."""
        if not ratio:
            return 0
        h, hd = self.hidden_size, self.head_dim
        coff = 2 if ratio == INDEXED_RATIO else 1
        params = 2 * h * coff * hd + ratio * coff * hd + hd
        if ratio == INDEXED_RATIO:
            heads, dim = self.index_num_heads, self.index_head_dim
            query = (self.q_lora_rank or h) * heads * dim
            params += query + h * heads + 2 * h * coff * dim + ratio * coff * dim + dim
        return params

    @property
    def compressor_wide_params(self) -> int:
        """Of the compressed-attention layers' weights, the projections the engines run in 16-bit whatever the
        checkpoint: the compressors' (a 16-bit GEMM with a 32-bit output in vLLM 0.20 and SGLang 0.5.12) and the
        indexer's per-head weights; the indexer's query projection takes the checkpoint's FP8."""
        h, total = self.hidden_size, 0
        for ratio in self.compress_ratios:
            if not ratio:
                continue
            coff = 2 if ratio == INDEXED_RATIO else 1
            total += 2 * h * coff * self.head_dim
            if ratio == INDEXED_RATIO:
                total += h * self.index_num_heads + 2 * h * coff * self.index_head_dim
        return total

    @property
    def mla_replicated_params_per_layer(self) -> int:
        """The latent down-projections of one MLA layer and their norms, which every GPU of a tensor-parallel group
        holds whole (0 for another attention): the query's (``q_a_proj``, ``q_a_layernorm``) where the model has a query
        latent, and the key/value latent's with the rope key (``kv_a_proj_with_mqa``, ``kv_a_layernorm``). vLLM fuses
        them into ``fused_qkv_a_proj`` with ``disable_tp=True`` (0.11.0 ``deepseek_v2.py``), SGLang holds
        ``fused_qkv_a_proj_with_mqa`` as a ``ReplicatedLinear`` (0.5.6) and TensorRT-LLM builds ``kv_a_proj_with_mqa``
        (query latent included) without a tensor-parallel mapping (``modules/attention.py``)."""
        if not self.is_mla or self.compress_ratios:
            return 0
        assert self.kv_lora_rank is not None
        h = self.hidden_size
        query = h * self.q_lora_rank + self.q_lora_rank if self.q_lora_rank else 0
        return query + h * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank

    @property
    def indexer_params_per_layer(self) -> int:
        """The lightning indexer's weights in one sparse-attention layer (0 without one): its query projection
        from the query latent (``wq_b``), its key projection and key norm (``wk``, ``k_norm``) and its per-head
        weights (``weights_proj``), as vLLM's and SGLang's DeepSeek-V3.2 ``Indexer`` hold them."""
        if not self.sparse_attention:
            return 0
        heads, dim, h = self.index_num_heads, self.index_head_dim, self.hidden_size
        query = (self.q_lora_rank or h) * heads * dim
        return query + h * dim + 2 * dim + h * heads

    def index_cache_bytes_per_token_per_layer(self) -> float:
        """The indexer's key cache one token adds in one sparse-attention layer: its key in FP8 and one FP32 scale
        per 128 values (vLLM's DeepSeek-V3.2 indexer cache: ``index_head_dim + index_head_dim // 128 * 4`` bytes);
        0 without an indexer."""
        if not self.sparse_attention:
            return 0.0
        return float(self.index_head_dim + max(self.index_head_dim // 128, 1) * 4)

    @property
    def block_sparse_attention(self) -> bool:
        """Whether some layers are MiniMax sparse attention (:attr:`block_sparse_layers`)."""
        return self.block_sparse_layers > 0

    @property
    def block_sparse_window(self) -> int:
        """Tokens a sparse layer's query attends at most: its ``sparse_topk_blocks`` blocks (2,048 for MiniMax-M3)."""
        return self.sparse_topk_blocks * self.sparse_block_size

    @property
    def block_indexer_params_per_layer(self) -> int:
        """A MiniMax sparse-attention layer's indexer projections, fused with its query/key/value one in vLLM's
        ``MinimaxM3QKVParallelLinearWithIndexer``: ``index_num_heads`` query heads and one key head of
        ``index_head_dim``; 0 without block-sparse attention."""
        if not self.block_sparse_layers:
            return 0
        return self.hidden_size * (self.index_num_heads + 1) * self.index_head_dim

    def block_index_bytes_per_token(self, kv_precision: str | None = None) -> float:
        """The index key one token adds in one MiniMax sparse-attention layer, in the cache's type."""
        if not self.block_sparse_layers:
            return 0.0
        return self.index_head_dim * bytes_per_value(kv_precision or self._default_kv_precision())

    def _mixer_params(self) -> int:
        return (
            self.block_sparse_layers * self.block_indexer_params_per_layer
            + self.attention_kinds.count("sliding") * self.attention_params_per_layer
            + self.attention_kinds.count("full") * self.full_attention_params_per_layer
            + self.num_attention_layers * self.indexer_params_per_layer
            + sum(self.compressor_params(ratio) for ratio in self.compress_ratios)
            + self.num_mamba_layers * self.mamba_params_per_layer
            + self.num_linear_layers * self.linear_attention_params_per_layer
        )

    def _mlp_params(self, experts_per_layer: float) -> float:
        dense = self.mlp_kinds.count("dense") * self.dense_mlp_params_per_layer
        moe = self.num_moe_layers * (
            experts_per_layer * self.expert_params
            + self.shared_expert_params_per_layer
            + self.router_params_per_layer
        )
        return dense + moe

    @property
    def total_params(self) -> int:
        """Every weight of the model, embeddings and an image encoder included."""
        total = (
            self.vision_params
            + self.embedding_params
            + self.lm_head_params
            + self.norm_params
            + self._mixer_params()
            + self._mlp_params(self.num_experts)
        )
        return int(total)

    @property
    def active_params(self) -> int:
        """Weights one token is multiplied by: shared layers, ``num_experts_per_token`` experts per MoE
        layer and the output projection, without the input embedding table (a row lookup, not a matrix
        read), as gpt-oss's card counts 5.1B / 3.6B. With tied embeddings the table is the output
        projection and counts once. These are also the weights a decode step streams.
        """
        untied_table = 0 if self.tie_word_embeddings else self.embedding_params
        return self.active_params_including_embedding - untied_table

    @property
    def active_params_including_embedding(self) -> int:
        """:attr:`active_params` plus the input embedding table, the convention of most other cards."""
        total = (
            self.embedding_params
            + self.lm_head_params
            + self.norm_params
            + self._mixer_params()
            + self._mlp_params(self.num_experts_per_token)
        )
        return int(total)

    @property
    def active_params_excluding_embedding(self) -> int:
        """Alias of :attr:`active_params` (kept for code written against earlier releases)."""
        return self.active_params

    # ------------------------------------------------------------------ bytes
    def _linear_params(self, experts_per_layer: float) -> float:
        """Weights of the matmuls that quantization applies to (not embeddings, lm_head, norms, router)."""
        return (
            self._mixer_params()
            + self._mlp_params(experts_per_layer)
            - self.num_moe_layers * (self.router_params_per_layer)
        )

    def _expert_weight_params(self) -> int:
        return self.num_moe_layers * self.num_experts * self.expert_params

    def weight_bytes(self, precision: str | None = None) -> float:
        """Bytes of all weights when stored at ``precision`` (default: the checkpoint's native one).

        Quantized formats apply to the linear layers; embeddings, lm_head, norms and router stay 16-bit
        (as vLLM loads FP8/INT4 checkpoints), and so do the layers the checkpoint's own quantization
        config excludes (Meta's FP8 Llama 3.1 405B: every attention projection and the first and last
        layers). The native MXFP4 gpt-oss checkpoint quantizes only experts.
        """
        p = normalize_precision(precision) if precision else self.native_precision
        total = float(self.total_params)
        if p in ("fp32", "bf16", "fp16"):
            return total * bytes_per_value(p)
        if p == self.native_precision and self.expert_precision:
            # experts at their own precision (DeepSeek-V4: MXFP4), the other linear layers at the checkpoint's
            experts = float(self._expert_weight_params())
            linear = self._linear_params(self.num_experts) - experts - self.unquantized_linear_params
            expert_bytes = experts * bytes_per_value(self.expert_precision)
            return expert_bytes + linear * bytes_per_value(p) + (total - experts - linear) * 2.0
        if p == self.native_precision and self.quantized_scope == "experts":
            quantized = float(self._expert_weight_params())
        elif p == self.native_precision:
            quantized = self._linear_params(self.num_experts) - self.unquantized_linear_params
        else:
            quantized = self._linear_params(self.num_experts)
        return quantized * bytes_per_value(p) + (total - quantized) * 2.0

    def kv_bytes_per_token_per_layer(self, kv_precision: str | None = None) -> float:
        """KV cache one token adds in one attention layer (MLA: the compressed latent plus the rope key, and a
        sparse-attention layer's indexer keys beside them; compressed attention: its latent in the window, see
        :meth:`latent_entry_bytes`)."""
        if self.compress_ratios:
            return self.latent_entry_bytes(kv_precision)
        b = bytes_per_value(kv_precision or self._default_kv_precision())
        if self.is_mla:
            assert self.kv_lora_rank is not None
            return (
                self.kv_lora_rank + self.qk_rope_head_dim
            ) * b + self.index_cache_bytes_per_token_per_layer()
        return 2 * self.num_kv_heads * self.head_dim * b

    def full_kv_bytes_per_token_per_layer(self, kv_precision: str | None = None) -> float:
        """KV cache one token adds in one full-attention layer (Gemma 4's global layers: their own heads and head
        size, keys alone where values are keys)."""
        if not self.full_layers_own_geometry:
            return self.kv_bytes_per_token_per_layer(kv_precision)
        head_dim, kv_heads, mult = self.full_geometry
        return mult * kv_heads * head_dim * bytes_per_value(kv_precision or self._default_kv_precision())

    def _default_kv_precision(self) -> str:
        if self.compress_ratios:  # SGLang accepts no other for DeepSeek-V4; vLLM's recipe sets it
            return "fp8"
        return "bf16" if self.native_precision not in ("fp16",) else "fp16"

    def latent_entry_bytes(self, kv_precision: str | None = None) -> float:
        """One cached latent of a compressed-attention layer (a window token's or a compressed entry's). An FP8
        cache keeps the non-rotary values in FP8 with one UE8M0 scale per 64 and the rotary ones in 16-bit,
        padded to 8 bytes: 448 + 128 + 8 = 584 bytes for DeepSeek-V4 (vLLM 0.20's ``fp8_ds_mla`` page, SGLang
        0.5.12's V4 pool); a 16-bit cache keeps all ``head_dim`` values in 16-bit (1,024 bytes)."""
        p = normalize_precision(kv_precision or self._default_kv_precision())
        b = bytes_per_value(p)
        if b >= 2:
            return float(self.head_dim * b)
        if b != 1:
            raise InvalidArgumentError(
                f"{self.model_id}'s compressed attention keeps its KV cache in FP8 or 16-bit, not {p}"
            )
        nope = self.head_dim - self.qk_rope_head_dim
        raw = nope + 2 * self.qk_rope_head_dim + math.ceil(nope / 64)
        return float(math.ceil(raw / 8) * 8)

    def compressed_state_bytes(self) -> float:
        """The compressors' running state one sequence holds (32-bit: each slot's key/value and score of
        ``coff x dim`` values, ``coff x ratio`` slots, and the indexer's own at ratio 4): 64 + 16 KiB per
        ratio-4 layer and 512 KiB per ratio-128 layer for DeepSeek-V4 (vLLM 0.20's ``CompressorStateCache``,
        SGLang 0.5.12's ``CompressStatePool``); 0 without compressed attention."""
        total = 0.0
        for ratio in self.compress_ratios:
            if not ratio:
                continue
            coff = 2 if ratio == INDEXED_RATIO else 1
            dims = self.head_dim + (self.index_head_dim if ratio == INDEXED_RATIO else 0)
            total += coff * ratio * 2 * coff * dims * 4.0
        return total

    def compressed_bytes_per_token(self, kv_precision: str | None = None) -> float:
        """KV each token adds past the windows in compressed attention: a latent per ``ratio`` tokens in each
        compressed layer, and an FP8 index key beside it at ratio 4 (:meth:`index_cache_bytes_per_token_per_layer`)."""
        entry = self.latent_entry_bytes(kv_precision) if self.compress_ratios else 0.0
        index = self.index_key_bytes()
        return sum((entry + (index if r == INDEXED_RATIO else 0.0)) / r for r in self.compress_ratios if r)

    def index_key_bytes(self) -> float:
        """One index key of a ratio-4 compressed-attention layer: FP8 with one 32-bit scale per 128 values (vLLM
        0.20's and SGLang 0.5.12's default indexer cache, 132 bytes for DeepSeek-V4)."""
        return float(self.index_head_dim + max(self.index_head_dim // 128, 1) * 4)

    def kv_cache_bytes(self, context_length: int, kv_precision: str | None = None) -> float:
        """KV cache one sequence of ``context_length`` tokens holds (sliding layers keep only their window;
        compressed attention its window, an entry per ``ratio`` tokens and its compressors' state)."""
        if self.compress_ratios:
            window = min(context_length, self.sliding_window or 0)
            entry = self.latent_entry_bytes(kv_precision)
            compressed = sum(
                (context_length // r) * (entry + (self.index_key_bytes() if r == INDEXED_RATIO else 0.0))
                for r in self.compress_ratios
                if r
            )
            return self.num_layers * window * entry + compressed + self.compressed_state_bytes()
        per = self.kv_bytes_per_token_per_layer(kv_precision)
        full = (
            self.attention_kinds.count("full")
            * context_length
            * self.full_kv_bytes_per_token_per_layer(kv_precision)
        )
        windowed = self.attention_kinds.count("sliding") * min(context_length, self.sliding_window or 0)
        index = self.block_sparse_layers * context_length * self.block_index_bytes_per_token(kv_precision)
        return per * windowed + full + index

    def kv_cache_bytes_per_token(self, kv_precision: str | None = None) -> float:
        """KV bytes per token while the context is within every window (all attention layers store it)."""
        per_layer = self.kv_bytes_per_token_per_layer(kv_precision) * self.attention_kinds.count(
            "sliding"
        ) + self.full_kv_bytes_per_token_per_layer(kv_precision) * self.attention_kinds.count("full")
        index = self.block_sparse_layers * self.block_index_bytes_per_token(kv_precision)
        return per_layer + index + self.compressed_bytes_per_token(kv_precision)

    def kv_cache_bytes_per_token_long_context(self, kv_precision: str | None = None) -> float:
        """KV bytes each further token adds once past the sliding windows (global layers only; compressed
        attention's entries)."""
        full = self.full_kv_bytes_per_token_per_layer(kv_precision) * self.attention_kinds.count("full")
        index = self.block_sparse_layers * self.block_index_bytes_per_token(kv_precision)
        return full + index + self.compressed_bytes_per_token(kv_precision)

    def mamba_state_bytes_per_sequence(
        self, precision: str = "bf16", ssm_precision: str | None = None
    ) -> float:
        """Fixed per-sequence state of the recurrent layers (Mamba-2 and linear attention):
        the convolution window plus the SSM / delta-rule state, the latter at ``ssm_precision`` where
        given (engines keep it in 32-bit), else at ``precision`` as the convolution window."""
        if not self.is_hybrid:
            return 0.0
        conv = (self.mamba_inner_size + 2 * self.mamba_num_groups * self.mamba_state_size) * (
            self.mamba_conv_kernel - 1
        )
        ssm = self.mamba_num_heads * self.mamba_head_dim * self.mamba_state_size
        kw, vw = self._linear_key_width, self._linear_value_width
        linear_conv = (2 * kw + vw) * (self.linear_conv_kernel - 1)
        linear_state = self.linear_num_value_heads * self.linear_key_head_dim * self.linear_value_head_dim
        windows = conv * self.num_mamba_layers + linear_conv * self.num_linear_layers
        states = ssm * self.num_mamba_layers + linear_state * self.num_linear_layers
        return windows * bytes_per_value(precision) + states * bytes_per_value(ssm_precision or precision)

    # ------------------------------------------------------------------ FLOPs
    @property
    def matmul_params_per_token(self) -> float:
        """Weights multiplied per token: active weights without the embedding lookup (lm_head included)."""
        lm_head = self.vocab_size * self.hidden_size
        return (
            self.active_params_including_embedding
            - self.embedding_params
            - self.lm_head_params
            + lm_head
            - self.norm_params
        )

    def attention_flops_per_token(self, context_length: float) -> float:
        """Score and value FLOPs for one query token attending to ``context_length`` tokens (compressed
        attention: its window and the entries it attends, plus the indexer scoring every ratio-4 entry)."""
        if self.compress_ratios:
            # scores and values over the shared latent
            per_key = 4.0 * self.num_attention_heads * self.head_dim
            index = 2.0 * self.index_num_heads * self.index_head_dim
            window = min(context_length, self.sliding_window or 0)
            total = 0.0
            for r in self.compress_ratios:
                entries = context_length / r if r else 0.0
                keys = window + (min(entries, self.index_topk) if r == INDEXED_RATIO else entries)
                total += per_key * keys + (index * entries if r == INDEXED_RATIO else 0.0)
            return total
        nq = self.num_attention_heads
        per_key = 2 * nq * (self.q_head_dim + (self.v_head_dim if self.is_mla else self.head_dim))
        if self.block_sparse_layers:
            # sparse layers attend their picked blocks; their indexer scores every earlier token
            sparse = self.block_sparse_layers
            dense = self.attention_kinds.count("full") - sparse
            index = 2.0 * self.index_num_heads * self.index_head_dim * context_length
            picked = min(context_length, self.block_sparse_window)
            return per_key * (dense * context_length + sparse * picked) + sparse * index
        full = self.attention_kinds.count("full") * context_length
        windowed = self.attention_kinds.count("sliding") * min(context_length, self.sliding_window or 0)
        full_key = 4 * nq * self.full_geometry[0] if self.global_head_dim else per_key
        return per_key * windowed + full_key * full

    def mamba_flops_per_token(self) -> float:
        """SSM scan work per token (state update and readout); small next to the projections."""
        mamba = self.num_mamba_layers * 6.0 * self.mamba_inner_size * self.mamba_state_size
        return mamba + self.linear_flops_per_token()

    def linear_flops_per_token(self) -> float:
        """The linear-attention layers' part of :meth:`mamba_flops_per_token`: the delta rule's state update and
        readout, 6 x key dim x value dim per value head and layer."""
        return (
            self.num_linear_layers
            * 6.0
            * self.linear_num_value_heads
            * self.linear_key_head_dim
            * self.linear_value_head_dim
        )

    def flops_per_token(self, context_length: int) -> float:
        """Forward FLOPs for one token at position ``context_length`` (a decode step's per-sequence cost)."""
        return (
            2.0 * self.matmul_params_per_token
            + self.attention_flops_per_token(context_length)
            + (self.mamba_flops_per_token())
        )

    def prefill_flops(self, prompt_length: int) -> float:
        """Forward FLOPs of a whole prompt with causal attention (each token sees the ones before it)."""
        n = prompt_length
        per_key = (
            2
            * self.num_attention_heads
            * (self.q_head_dim + (self.v_head_dim if self.is_mla else self.head_dim))
        )
        full = self.attention_kinds.count("full") * n * (n + 1) / 2
        w = self.sliding_window or 0
        if n <= w:
            window_pairs = n * (n + 1) / 2
        else:
            window_pairs = w * (w + 1) / 2 + (n - w) * w
        windowed = self.attention_kinds.count("sliding") * window_pairs
        return n * (2.0 * self.matmul_params_per_token + self.mamba_flops_per_token()) + per_key * (
            full + windowed
        )

    # ------------------------------------------------------------------ reporting
    def summary(self) -> dict[str, Any]:
        """The architecture and its derived figures, as plain JSON-ready values."""
        kinds = []
        if self.is_moe:
            kinds.append("moe")
        if self.is_mla:
            kinds.append("mla")
        if "mamba" in self.attention_kinds:
            kinds.append("hybrid-mamba")
        if "linear" in self.attention_kinds:
            kinds.append("hybrid-linear-attention")
        if "sliding" in self.attention_kinds:
            kinds.append("sliding-window")
        if not kinds:
            kinds.append("dense")
        return {
            "model_id": self.model_id,
            "architecture": self.architecture,
            "model_type": self.model_type,
            "kind": "+".join(kinds),
            "num_layers": self.num_layers,
            "hidden_size": self.hidden_size,
            "num_attention_heads": self.num_attention_heads,
            "num_kv_heads": self.num_kv_heads,
            "head_dim": self.head_dim,
            "intermediate_size": self.intermediate_size,
            "vocab_size": self.vocab_size,
            "mlp_gated": self.mlp_gated,
            "tie_word_embeddings": self.tie_word_embeddings,
            "layer_kinds": {k: self.attention_kinds.count(k) for k in ("full", "sliding", "mamba", "linear")},
            "sliding_window": self.sliding_window,
            "num_experts": self.num_experts,
            "num_experts_per_token": self.num_experts_per_token,
            "moe_intermediate_size": self.moe_intermediate_size,
            "shared_expert_intermediate_size": self.shared_expert_intermediate_size,
            "num_moe_layers": self.num_moe_layers,
            "kv_lora_rank": self.kv_lora_rank,
            "max_position_embeddings": self.max_position_embeddings,
            "native_precision": self.native_precision,
            "quantization_method": self.quantization_method,
            "weight_block_scaled": self.weight_block_scaled,
            "unquantized_linear_params": self.unquantized_linear_params,
            "unquantized_latent_params": self.unquantized_latent_params,
            "total_params": self.total_params,
            "active_params": self.active_params,
            "weight_bytes": self.weight_bytes(),
            "weight_gib": self.weight_bytes() / 1024**3,
            "kv_cache_bytes_per_token": self.kv_cache_bytes_per_token(),
            "kv_cache_bytes_per_token_long_context": self.kv_cache_bytes_per_token_long_context(),
            "mamba_state_bytes_per_sequence": self.mamba_state_bytes_per_sequence(),
            "flops_per_token_at_1k_context": self.flops_per_token(1024),
            "official_total_params": self.official_total_params,
            "official_active_params": self.official_active_params,
            "source": self.source,
        }


def load_model(
    model: str | os.PathLike[str] | Mapping[str, Any] | ModelArchitecture, *, allow_hub: bool | None = None
) -> ModelArchitecture:
    """Resolve a model id, path, config mapping or architecture into a :class:`ModelArchitecture`.

    Ids resolve from the bundled catalog, then a local file/folder, then the Hugging Face hub
    (with the ``hf`` extra; ``allow_hub`` as in :func:`config_explorer.catalogs.models.resolve_config`:
    True asks it, False never does, None asks it only for ids the catalog does not nearly match,
    online mode permitting). Results for ids are cached per process.
    """
    if isinstance(model, ModelArchitecture):
        return model
    if isinstance(model, Mapping):
        return ModelArchitecture.from_config(model)
    if not isinstance(model, (str, os.PathLike)):
        raise InvalidModelConfigError(
            "a model is a model id, a path to a config.json (or its folder), a config mapping or a "
            f"ModelArchitecture; got {type(model).__name__} {short_repr(model)}"
        )
    return _load_by_id(os.fspath(model), allow_hub)


def _network(arch: ModelArchitecture) -> tuple[object, ...]:
    """What makes two checkpoints the same network whatever their weights' format."""
    return (
        arch.architecture,
        arch.hidden_size,
        arch.num_layers,
        arch.num_attention_heads,
        arch.num_kv_heads,
        arch.intermediate_size,
        arch.moe_intermediate_size,
        arch.num_experts,
        arch.vocab_size,
        arch.attention_kinds,
        arch.mlp_kinds,
    )


def bundled_checkpoints(arch: ModelArchitecture, precision: str) -> list[str]:
    """The bundled models that store ``arch``'s network at ``precision`` (its other published checkpoints,
    e.g. ``nvidia/DeepSeek-R1-FP4`` for DeepSeek-R1 at fp4), by id; ``arch`` itself is not among them."""
    from config_explorer.catalogs.models import bundled_models

    wanted, shape = normalize_precision(precision), _network(arch)
    found = []
    for entry in bundled_models():
        if entry.model_id == arch.model_id:
            continue
        try:
            other = load_model(entry.model_id)
        except ConfigExplorerError:
            continue
        if other.native_precision == wanted and _network(other) == shape:
            found.append(other.model_id)
    return found


def _load_by_id(model_id: str, allow_hub: bool | None = None) -> ModelArchitecture:
    cached = _CACHE.get(model_id)
    if cached is not None:
        return cached
    from config_explorer.catalogs.models import resolve_config

    entry = resolve_config(model_id, allow_hub=allow_hub)
    try:
        arch = ModelArchitecture.from_config(
            entry.config,
            model_id=entry.model_id,
            source=entry.source,
            official_total_params=entry.official_total_params,
            official_active_params=entry.official_active_params,
            official_params_source=entry.official_params_source,
            active_excludes_embedding=entry.active_excludes_embedding,
            trust_remote_code=entry.trust_remote_code,
        )
    except ConfigExplorerError as exc:
        if entry.source.startswith("bundled"):
            raise
        raise _from_file(exc, entry.source) from exc
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:  # not ours: a bad value in a file
        raise ModelLoadError(f"{entry.source}: unusable config.json ({type(exc).__name__})") from exc
    with _CACHE_LOCK:  # racing loads of one id all return the architecture published first
        if len(_CACHE) < 512:
            arch = _CACHE.setdefault(model_id, arch)
    return arch


def _from_file(error: ConfigExplorerError, source: str) -> ConfigExplorerError:
    """``error`` of the same kind, its message led by the file (or hub) the config came from."""
    try:
        return type(error)(f"{source}: {error}")
    except TypeError:  # an error class whose constructor takes other arguments
        return ModelLoadError(f"{source}: {error}")


#: architectures by id, filled once per id (a value is never replaced) and read without the lock
_CACHE: dict[str, ModelArchitecture] = {}
_CACHE_LOCK = threading.Lock()


#: ViT-style image encoders counted by :func:`_vision_params` (what their ``vision_config`` calls its sizes)
_VIT_KEYS = ("hidden_size", "intermediate_size", "num_hidden_layers")


def _vision_params(vision: object, text_hidden: int, name: str) -> int:
    """Weights of a multimodal checkpoint's ViT image encoder (SigLIP, CLIP: ``vision_config``) and the
    projection into the text model, which the serving engine loads beside the language model.

    Per layer: the q/k/v/o projections and the two MLP matrices with their biases, and two layer norms;
    then the patch embedding, one position embedding per patch and a final norm, and a
    ``vision hidden x text hidden`` projector. Qwen3-VL's encoder (``depth`` layers, and the deepstack
    mergers Qwen3-VL and Qwen3.5 name: :func:`_qwen3_vl_vision_params`) is counted its own way; encoders
    described otherwise (Qwen2.5-VL's gated ``depth`` style, ``embed_dim`` style) count 0: the KV budget is then
    optimistic by their size.
    """
    if isinstance(vision, Mapping) and "depth" in vision and "deepstack_visual_indexes" in vision:
        return _qwen3_vl_vision_params(vision, name)
    if not isinstance(vision, Mapping) or not all(k in vision for k in _VIT_KEYS):
        return 0
    sizes = {}
    for key, default in (
        *((k, None) for k in _VIT_KEYS),
        ("patch_size", 14),
        ("image_size", 224),
        ("num_channels", 3),
    ):
        value = vision.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1_000_000:
            raise InvalidModelConfigError(
                f"{name}: vision_config.{key} must be a positive integer, got {short_repr(value)}"
            )
        sizes[key] = value
    h, i, n = sizes["hidden_size"], sizes["intermediate_size"], sizes["num_hidden_layers"]
    patch, channels = sizes["patch_size"], sizes["num_channels"]
    per_layer = 4 * (h * h + h) + 2 * h * i + h + i + 4 * h
    patches = (sizes["image_size"] // patch) ** 2
    return n * per_layer + channels * patch * patch * h + h + patches * h + 2 * h + h * text_hidden


def _qwen3_vl_vision_params(vision: Mapping[str, Any], name: str) -> int:
    """Weights of Qwen3-VL's image encoder (transformers' ``Qwen3VLVisionModel``, which Qwen3.5 reuses): a 3-D
    patch embedding with bias, a learned position table when the config sizes one, ``depth`` blocks of two
    layer norms, a biased q/k/v and output projection and a biased two-matrix GELU MLP, then a merger (a layer
    norm, and two biased projections from ``hidden x spatial_merge_size^2`` wide to ``out_hidden_size``), and one
    more merger per ``deepstack_visual_indexes`` entry (its norm over the merged width)."""
    sizes = {}
    for key, default in (
        ("depth", None),
        ("hidden_size", None),
        ("intermediate_size", None),
        ("out_hidden_size", None),
        ("patch_size", 14),
        ("temporal_patch_size", 2),
        ("in_channels", 3),
        ("spatial_merge_size", 2),
        ("num_position_embeddings", 0),
    ):
        value = vision.get(key, default)
        low = 0 if key == "num_position_embeddings" else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 1_000_000:
            raise InvalidModelConfigError(
                f"{name}: vision_config.{key} must be a positive integer, got {short_repr(value)}"
            )
        sizes[key] = value
    deepstack = vision["deepstack_visual_indexes"]
    if not isinstance(deepstack, list) or len(deepstack) > sizes["depth"]:
        raise InvalidModelConfigError(
            f"{name}: vision_config.deepstack_visual_indexes must be a list of at most depth block indexes, "
            f"got {short_repr(deepstack)}"
        )
    h, i = sizes["hidden_size"], sizes["intermediate_size"]
    block = 4 * h + (3 * h * h + 3 * h) + (h * h + h) + (h * i + i) + (i * h + h)
    patch = sizes["in_channels"] * sizes["temporal_patch_size"] * sizes["patch_size"] ** 2 * h + h
    merged, out = h * sizes["spatial_merge_size"] ** 2, sizes["out_hidden_size"]
    projections = merged * merged + merged + merged * out + out
    mergers = (2 * h + projections) + len(deepstack) * (2 * merged + projections)
    return sizes["depth"] * block + patch + sizes["num_position_embeddings"] * h + mergers

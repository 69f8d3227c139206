from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.strategies import json_values, mutated_config

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.models import bundled_models, find_bundled
from config_explorer.errors import ModelLoadError, UnknownModelError

SEED_MODELS = [
    "Qwen/Qwen2.5-7B",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "openai/gpt-oss-120b",
    "RedHatAI/Qwen3-8B-FP8-dynamic",
    "Qwen/Qwen3-8B",
    "ibm-granite/granite-4.0-h-small",
    "mistralai/Mixtral-8x7B-v0.1",
    "microsoft/phi-2",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.1-405B",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B",
    "deepseek-ai/DeepSeek-V3",
    "openai/gpt-oss-20b",
    "google/gemma-3-27b-it",
    "mistralai/Mistral-7B-v0.1",
    "mistralai/Mixtral-8x22B-v0.1",
]


def test_catalog_holds_the_seed_models_and_at_least_25() -> None:
    ids = {e.model_id for e in bundled_models()}
    assert len(ids) >= 25
    assert set(SEED_MODELS) <= ids


@pytest.mark.parametrize(
    "short",
    ["llama-3.1-70b", "gpt-oss-120b", "Qwen3-8B-FP8-dynamic", "granite-4.0-h-small", "Meta-Llama-3.1-8B"],
)
def test_short_names_resolve(short: str) -> None:
    assert find_bundled(short) is not None


@pytest.mark.parametrize("entry", bundled_models(), ids=lambda e: e.model_id)
def test_parameter_counts_match_model_cards(entry) -> None:  # type: ignore[no-untyped-def]
    """Within 2% of the card's count; 10% where the card states only a size class ("7B", "14B")."""
    arch = load_model(entry.model_id)
    tolerance = 0.10 if entry.official_params_size_class else 0.02
    if entry.official_total_params:
        assert arch.total_params == pytest.approx(entry.official_total_params, rel=tolerance)
    if entry.official_active_params:
        active = (
            arch.active_params if entry.active_excludes_embedding else arch.active_params_including_embedding
        )
        assert active == pytest.approx(entry.official_active_params, rel=max(tolerance, 0.02))


def test_llama_31_8b_figures_by_hand() -> None:
    m = load_model("meta-llama/Llama-3.1-8B")
    assert m.total_params == 8_030_261_248
    # 2 (K,V) * 8 heads * 128 dims * 2 bytes * 32 layers
    assert m.kv_cache_bytes_per_token() == 2 * 8 * 128 * 2 * 32
    assert m.kv_cache_bytes_per_token("fp8") == 2 * 8 * 128 * 32
    assert m.weight_bytes("bf16") == m.total_params * 2
    # fp8: linear layers 1 byte, embeddings and lm_head stay 16-bit
    vocab = 2 * 128256 * 4096
    assert m.weight_bytes("fp8") == pytest.approx(
        (m.total_params - vocab - m.norm_params) + (vocab + m.norm_params) * 2
    )
    # decode FLOPs at context L: 2 * matmul weights + 4 * heads * head_dim * L per layer
    assert m.flops_per_token(1000) == pytest.approx(2 * m.matmul_params_per_token + 4 * 32 * 128 * 1000 * 32)


def test_mla_caches_the_latent() -> None:
    m = load_model("deepseek-ai/DeepSeek-V3")
    assert m.is_mla and m.is_moe
    assert m.kv_cache_bytes_per_token() == (512 + 64) * 2 * 61
    assert m.native_precision == "fp8"
    assert m.mlp_kinds[:3] == ("dense",) * 3 and m.num_moe_layers == 58


def test_mla_latent_down_projections_stay_whole_on_every_gpu() -> None:
    """vLLM, SGLang and TensorRT-LLM replicate an MLA layer's ``q_a`` and ``kv_a`` projections over the
    tensor-parallel group: at TP8 each GPU of DeepSeek-R1 holds them whole, 7/8 of them more than an even split."""
    from config_explorer.engine.layout import shard_costs

    m = load_model("deepseek-ai/DeepSeek-R1")
    assert m.mla_replicated_params_per_layer == 7168 * 1536 + 1536 + 7168 * (512 + 64) + 512
    assert load_model("meta-llama/Llama-3.1-8B-Instruct").mla_replicated_params_per_layer == 0
    tp1 = shard_costs(m, "fp8", "bf16", 1, 1)
    tp8 = shard_costs(m, "fp8", "bf16", 8, 1)
    whole = m.mla_replicated_params_per_layer * m.num_attention_layers  # one byte each in FP8
    router = m.router_params_per_layer * m.num_moe_layers * 2  # 16-bit, whole on every GPU
    split = (tp1.dense_weight_bytes - whole - router) / 8
    assert tp8.dense_weight_bytes == pytest.approx(split + whole + router, rel=1e-6)


def test_sliding_window_layers_keep_only_their_window() -> None:
    m = load_model("openai/gpt-oss-120b")
    per_layer = 2 * 8 * 64 * 2
    assert m.kv_cache_bytes(100) == per_layer * 36 * 100
    assert m.kv_cache_bytes(10_000) == per_layer * (18 * 10_000 + 18 * 128)
    assert m.native_precision == "mxfp4" and m.quantized_scope == "experts"
    assert 55 < m.weight_bytes() / 1024**3 < 66  # the published checkpoint is ~61 GiB


def test_hybrid_mamba_has_state_not_kv() -> None:
    m = load_model("ibm-granite/granite-4.0-h-small")
    assert m.is_hybrid and m.num_mamba_layers == 36 and m.num_attention_layers == 4
    assert m.kv_cache_bytes_per_token() == 2 * 8 * 128 * 2 * 4
    assert m.mamba_state_bytes_per_sequence() > 0


def test_quantization_config_sets_native_precision() -> None:
    assert load_model("RedHatAI/Qwen3-8B-FP8-dynamic").native_precision == "fp8"
    assert load_model("hugging-quants/Mixtral-8x7B-Instruct-v0.1-AWQ-INT4").native_precision == "int4"
    assert load_model("Qwen/Qwen3-8B").native_precision == "bf16"


def test_non_gated_mlp_and_tied_embeddings() -> None:
    phi = load_model("microsoft/phi-2")
    assert not phi.mlp_gated
    assert phi.dense_mlp_params_per_layer == 2 * 2560 * 10240
    small = load_model("meta-llama/Llama-3.2-1B")
    assert small.tie_word_embeddings and small.lm_head_params == 0


def test_a_missing_tie_key_takes_the_config_class_default() -> None:
    """transformers builds a config without ``tie_word_embeddings`` at its class's default: a Llama-family
    config without the key is untied (LlamaConfig's default), a Gemma 2 one tied (Gemma2Config's)."""
    entry = find_bundled("meta-llama/Llama-3.1-8B")
    assert entry is not None
    config = {k: v for k, v in dict(entry.config).items() if k != "tie_word_embeddings"}
    untied = ModelArchitecture(config, model_id="x/llama-without-the-key")
    assert not untied.tie_word_embeddings and untied.lm_head_params == 128256 * 4096
    assert ModelArchitecture({**config, "tie_word_embeddings": True}, model_id="x/told").tie_word_embeddings
    gemma = find_bundled("google/gemma-2-9b")
    assert gemma is not None and "tie_word_embeddings" not in gemma.config
    assert load_model("google/gemma-2-9b").tie_word_embeddings
    # the bundled Llama 4 Scout file lacks the key; its published config unties the head, as Llama4Config does
    scout = load_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert not scout.tie_word_embeddings and scout.lm_head_params == 202048 * 5120


def test_constructors_agree(tmp_path: Path) -> None:
    by_id = ModelArchitecture("meta-llama/Llama-3.1-8B")
    entry = find_bundled("meta-llama/Llama-3.1-8B")
    assert entry is not None
    by_mapping = ModelArchitecture(dict(entry.config), model_id="meta-llama/Llama-3.1-8B")
    folder = tmp_path / "llama"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(entry.config))
    by_path = ModelArchitecture(str(folder))
    assert by_id == by_mapping
    assert by_path.total_params == by_id.total_params
    assert attrs.evolve(by_id, intermediate_size=7168).total_params < by_id.total_params
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        by_id.num_layers = 3  # type: ignore[misc]


def test_unknown_model_says_what_was_tried() -> None:
    with pytest.raises(UnknownModelError) as info:
        load_model("nobody/no-such-model")
    text = str(info.value)
    assert "bundled catalog" in text and "local path" in text and "Hugging Face hub" in text
    assert "config.json" in text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hidden_size": None}, "hidden_size"),
        ({"num_attention_heads": 0}, "num_attention_heads"),
        ({"num_hidden_layers": -2}, "num_hidden_layers"),
        ({"vocab_size": "big"}, "vocab_size"),
        ({"num_key_value_heads": 3}, "num_key_value_heads"),
        ({"partial_rotary_factor": 0}, "partial_rotary_factor"),
        ({"partial_rotary_factor": 1.5}, "partial_rotary_factor"),
        ({"partial_rotary_factor": "half"}, "partial_rotary_factor"),
    ],
)
def test_malformed_config_names_the_field(change: dict[str, object], field: str) -> None:
    entry = find_bundled("meta-llama/Llama-3.1-8B")
    assert entry is not None
    config = {**entry.config, **change}
    config = {k: v for k, v in config.items() if v is not None}
    with pytest.raises(ModelLoadError, match=field):
        ModelArchitecture.from_config(config, model_id="broken")


@given(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
def test_arbitrary_json_gives_architecture_or_our_error(config: dict[str, object]) -> None:
    try:
        arch = ModelArchitecture.from_config(config)
    except ModelLoadError:
        return
    assert arch.total_params > 0


@given(mutated_config())
def test_mutated_real_configs_give_architecture_or_our_error(config: dict[str, object]) -> None:
    try:
        arch = ModelArchitecture.from_config(config, model_id="mutated")
    except ModelLoadError:
        return
    assert arch.total_params > 0 and arch.weight_bytes() > 0 and arch.kv_cache_bytes(1000) >= 0


def test_a_multimodal_checkpoint_counts_its_image_encoder() -> None:
    """Gemma 3's SigLIP encoder (27 layers of width 1152, MLP 4304, 896-pixel images in 14-pixel patches)
    and its projector into the 5376-wide text model, by hand: ~0.42B weights, which vLLM loads beside the
    language model; a text-only model has none."""
    gemma = load_model("google/gemma-3-27b-it")
    h, i, n, patches = 1152, 4304, 27, (896 // 14) ** 2
    by_hand = (
        n * (4 * (h * h + h) + 2 * h * i + h + i + 4 * h)
        + 3 * 14 * 14 * h
        + h
        + patches * h
        + 2 * h
        + h * 5376
    )
    assert gemma.vision_params == by_hand
    assert 0.40e9 < gemma.vision_params < 0.45e9
    assert load_model("meta-llama/Llama-3.1-8B").vision_params == 0
    from config_explorer.engine.layout import shard_costs

    text_only = attrs.evolve(gemma, vision_params=0)
    grown = shard_costs(gemma, "bf16", "bf16", 2, 1).resident_weight_bytes
    assert grown - shard_costs(text_only, "bf16", "bf16", 2, 1).resident_weight_bytes == by_hand * 2 / 2


def test_qwen3_vl_style_encoders_are_counted() -> None:
    """Qwen3.5's encoder (Qwen3-VL's: 27 blocks of width 1152, MLP 4304, 16-pixel patches over 2 frames, a
    2,304-entry position table, a 2x2 patch merger into the 2048-wide text model, no deepstack mergers), by
    hand: ~0.45B weights; each deepstack index adds one more merger with its norm over the merged width."""
    qwen = load_model("Qwen/Qwen3.5-35B-A3B")
    h, i, n, merged, out = 1152, 4304, 27, 1152 * 4, 2048
    block = 4 * h + 3 * h * h + 3 * h + h * h + h + h * i + i + i * h + h
    projections = merged * merged + merged + merged * out + out
    by_hand = n * block + (3 * 2 * 16 * 16 * h + h) + 2304 * h + 2 * h + projections
    assert qwen.vision_params == by_hand
    assert 0.44e9 < qwen.vision_params < 0.45e9
    config = json.loads(json.dumps(find_bundled("Qwen/Qwen3.5-35B-A3B").config))  # type: ignore[union-attr]
    config["vision_config"]["deepstack_visual_indexes"] = [8, 16, 24]
    deepstack = ModelArchitecture.from_config(config, "qwen-copy").vision_params
    assert deepstack - by_hand == 3 * (2 * merged + projections)
    config["vision_config"]["deepstack_visual_indexes"] = "8"
    with pytest.raises(ModelLoadError, match=r"deepstack_visual_indexes"):
        ModelArchitecture.from_config(config, "qwen-copy")
    # Qwen3.5's MoE scales its shared expert by a sigmoid gate of its own, as Qwen3-Next does
    assert qwen.shared_expert_gated and qwen.attention_output_gate
    assert not load_model("Qwen/Qwen3.5-27B").shared_expert_gated  # dense: no shared expert


def test_gemma3_fields_left_out_of_a_config_take_transformers_defaults() -> None:
    """gemma-3-4b-it's published config names no heads, head size, vocabulary or context; gemma-3-27b-it no
    context: transformers' Gemma3TextConfig defaults fill them (8 and 4 heads of 256, 262,208, 131,072)."""
    small = load_model("google/gemma-3-4b-it")
    assert (small.num_attention_heads, small.num_kv_heads, small.head_dim) == (8, 4, 256)
    assert small.vocab_size == 262_208 and small.max_position_embeddings == 131_072
    assert load_model("google/gemma-3-27b-it").max_position_embeddings == 131_072
    # a stated field still wins
    config = json.loads(json.dumps(find_bundled("google/gemma-3-27b-it").config))  # type: ignore[union-attr]
    config["text_config"]["max_position_embeddings"] = 32_768
    assert ModelArchitecture.from_config(config, "gemma-copy").max_position_embeddings == 32_768


def test_a_malformed_vision_config_is_named() -> None:
    config = json.loads(json.dumps(find_bundled("google/gemma-3-27b-it").config))  # type: ignore[union-attr]
    config["vision_config"]["patch_size"] = "14"
    with pytest.raises(ModelLoadError, match=r"vision_config\.patch_size"):
        ModelArchitecture.from_config(config, "gemma-copy")
    # an encoder described in other terms is not counted (the docs say so)
    config["vision_config"] = {"depth": 32, "embed_dim": 1280}
    assert ModelArchitecture.from_config(config, "gemma-copy").vision_params == 0

"""Projections a quantized checkpoint keeps 16-bit (its quantization config's exclusion list)."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest

from config_explorer.architecture import ModelArchitecture, load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import efficiency_for, profile_for
from config_explorer.engine.layout import shard_costs
from config_explorer.engine.roofline import StepCost, rates_for
from config_explorer.engine.serving import estimate
from config_explorer.errors import InvalidModelConfigError

GiB = 1024**3


def _llama(quant: dict[str, Any] | None) -> ModelArchitecture:
    config: dict[str, Any] = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 1024,
        "intermediate_size": 4096,
        "num_hidden_layers": 4,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
        "vocab_size": 32000,
        "torch_dtype": "bfloat16",
    }
    if quant is not None:
        config["quantization_config"] = quant
    return ModelArchitecture.from_config(config, model_id="test/llama")


def _unquantized(patterns: list[str], key: str = "modules_to_not_convert", method: str = "fp8") -> int:
    return _llama({"quant_method": method, key: patterns}).unquantized_linear_params


def test_meta_fp8_405b_keeps_attention_and_the_end_layers_16_bit() -> None:
    fp8 = load_model("meta-llama/Llama-3.1-405B-FP8")
    assert fp8.native_precision == "fp8" and fp8.quantization_method == "fbgemm_fp8"
    attention, mlp = fp8.attention_params_per_layer, fp8.dense_mlp_params_per_layer
    # every layer's attention, and the MLP of layers 0 and 125 (Llama 3 paper, section 6.2)
    assert fp8.unquantized_linear_params == 126 * attention + 2 * mlp
    assert load_model("meta-llama/Llama-3.1-405B-Instruct-FP8").unquantized_linear_params == (
        fp8.unquantized_linear_params
    )
    # vLLM's own log for this checkpoint at TP8 on H100 (vLLM issue #6746, a 0.5.3-era release whose
    # "GB" is GiB): "Loading model weights took 57.7520 GB"; counted all-FP8 it would be ~47.7 GiB
    per_gpu = shard_costs(fp8, "fp8", "bf16", 8, 1).resident_weight_bytes / GiB
    assert per_gpu == pytest.approx(57.75, rel=0.03)
    everything_fp8 = attrs.evolve(fp8, unquantized_linear_params=0)
    assert shard_costs(everything_fp8, "fp8", "bf16", 8, 1).resident_weight_bytes / GiB < 0.85 * per_gpu


def test_nvidias_deepseek_fp4_checkpoints_keep_their_attention_16_bit() -> None:
    """NVIDIA's NVFP4 DeepSeek-R1 checkpoints (TensorRT Model Optimizer's DeepSeek recipe) leave every MLA
    projection BF16; the v2 checkpoint quantizes o_proj as well (its model card). Quantizing the FP8
    checkpoint to fp4 on load would convert them all: the bundled checkpoints hold more bytes per GPU."""
    base = load_model("deepseek-ai/DeepSeek-R1")
    layers = base.num_attention_layers
    out_proj = base.num_attention_heads * base.v_head_dim * base.hidden_size
    for model_id in ("nvidia/DeepSeek-R1-FP4", "nvidia/DeepSeek-R1-0528-FP4"):
        fp4 = load_model(model_id)
        assert fp4.native_precision == "fp4" and fp4.quantization_method == "modelopt"
        assert fp4.unquantized_linear_params == layers * base.attention_params_per_layer
    v2 = load_model("nvidia/DeepSeek-R1-0528-FP4-V2")  # the hub's own spelling is -v2
    assert v2.model_id == "nvidia/DeepSeek-R1-0528-FP4-v2"
    assert v2.unquantized_linear_params == layers * (base.attention_params_per_layer - out_proj)
    on_load = shard_costs(base, "fp4", "fp8", 8, 1).resident_weight_bytes
    v1_bytes = shard_costs(load_model("nvidia/DeepSeek-R1-FP4"), "fp4", "fp8", 8, 1).resident_weight_bytes
    v2_bytes = shard_costs(v2, "fp4", "fp8", 8, 1).resident_weight_bytes
    # BF16 where on-load fp4 would be 4.5 bits: 11.4B projections (v1), 4.2B (v2), over 8 GPUs, less the latent
    # down-projections (0.92B), which every GPU holds whole
    whole = base.mla_replicated_params_per_layer * layers
    assert load_model("nvidia/DeepSeek-R1-FP4").unquantized_latent_params == whole
    per_gpu = (11.41e9 - whole) / 8 + whole
    assert (v1_bytes - on_load) / GiB == pytest.approx(per_gpu * (2 - 0.5625) / GiB, rel=0.02)
    assert on_load < v2_bytes < v1_bytes


def test_an_exclusion_list_applies_only_at_the_checkpoints_own_precision() -> None:
    fp8 = load_model("meta-llama/Llama-3.1-405B-FP8")
    bf16 = load_model("meta-llama/Llama-3.1-405B")
    assert fp8.weight_bytes("bf16") == bf16.weight_bytes("bf16")
    # quantizing the 16-bit checkpoint on load (--quantization fp8) converts every projection
    assert bf16.weight_bytes("fp8") < fp8.weight_bytes()
    assert fp8.weight_bytes("int4") == bf16.weight_bytes("int4")


@pytest.mark.parametrize(
    ("patterns", "layers_attention", "layers_mlp"),
    [
        (["lm_head"], 0, 0),
        (["model.layers.0"], 1, 1),  # a whole layer by its prefix
        (["model.layers.1.self_attn"], 1, 0),
        (["model.layers.*.self_attn"], 4, 0),  # gpt-oss style glob
        (["re:.*self_attn.*", "re:model[.]layers[.]3[.]mlp.*"], 4, 1),  # compressed-tensors regexes
        (["gate"], 0, 0),  # a router name, not gate_proj
        (
            ["model.layers.2.mlp.gate_proj", "model.layers.2.mlp.up_proj", "model.layers.2.mlp.down_proj"],
            0,
            1,
        ),
        (["model.layers.10.self_attn"], 0, 0),  # no such layer
    ],
)
def test_exclusion_patterns_name_modules_by_component(
    patterns: list[str], layers_attention: int, layers_mlp: int
) -> None:
    arch = _llama(None)
    expected = (
        layers_attention * arch.attention_params_per_layer + layers_mlp * arch.dense_mlp_params_per_layer
    )
    assert _unquantized(patterns) == expected


def test_every_exclusion_key_is_read_and_16_bit_checkpoints_ignore_them() -> None:
    attention = _llama(None).attention_params_per_layer
    assert _unquantized(["re:.*self_attn.*"], key="ignore", method="compressed-tensors") == 4 * attention
    assert _unquantized(["model.layers.0.self_attn"], key="exclude_modules", method="modelopt") == attention
    assert _llama({"quant_method": "fp8", "modules_to_not_convert": "lm_head"}).unquantized_linear_params == 0
    # an experts-only checkpoint (gpt-oss's MXFP4) already counts attention 16-bit
    assert load_model("openai/gpt-oss-120b").unquantized_linear_params == 0


def test_a_malformed_regex_is_named() -> None:
    with pytest.raises(InvalidModelConfigError, match=r"re:\(\[unclosed.*not a regular expression"):
        _unquantized(["re:([unclosed"], key="ignore", method="compressed-tensors")


def test_the_field_is_checked() -> None:
    arch = _llama(None)
    with pytest.raises(ValueError, match="unquantized_linear_params"):
        attrs.evolve(arch, unquantized_linear_params=-1)
    with pytest.raises(ValueError, match="exceeds"):
        attrs.evolve(arch, unquantized_linear_params=arch.dense_linear_params + 1)
    assert json.loads(json.dumps(arch.summary()))["unquantized_linear_params"] == 0


def _step_s(arch: ModelArchitecture, *, decode: int, prefill: int) -> float:
    gpu = get_gpu("H100 SXM")
    rates, _ = rates_for(gpu, efficiency_for(gpu), "fp8", 8)
    cost = StepCost(shard_costs(arch, "fp8", "bf16", 8, 1), rates, profile_for("vllm"))
    pairs = prefill * (prefill + 1) / 2
    return cost.time(decode, 1024.0 * decode, 0.0, prefill, pairs, 0.0, decode + (1 if prefill else 0))


def test_16_bit_projections_are_read_and_computed_at_16_bit() -> None:
    fp8 = load_model("meta-llama/Llama-3.1-405B-FP8")
    all_fp8 = attrs.evolve(fp8, unquantized_linear_params=0)
    # decode streams the weights: the 16-bit attention adds about a fifth
    decode = _step_s(fp8, decode=8, prefill=0) / _step_s(all_fp8, decode=8, prefill=0)
    assert 1.1 < decode < 1.3
    # a long prefill is compute-bound: the 16-bit share runs at half the FP8 rate
    assert _step_s(fp8, decode=0, prefill=8192) > 1.05 * _step_s(all_fp8, decode=0, prefill=8192)


def test_the_405b_fp8_checkpoint_holds_fewer_sequences_than_counted_all_fp8() -> None:
    gpu = get_gpu("H100 SXM")
    fp8 = load_model("meta-llama/Llama-3.1-405B-FP8")
    kwargs: dict[str, Any] = {"num_gpus": 8, "tp": 8, "input_length": 2048, "output_length": 2048}
    real = estimate(fp8, gpu, concurrency=16, **kwargs)
    counted = estimate(attrs.evolve(fp8, unquantized_linear_params=0), gpu, concurrency=16, **kwargs)
    assert real.ok and counted.ok
    assert real.memory_weights_gib > counted.memory_weights_gib + 8
    assert real.max_concurrency_kv < counted.max_concurrency_kv
    assert (real.itl_ms or 0) > (counted.itl_ms or 0) > 0

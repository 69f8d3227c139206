"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from config_explorer.catalogs.models import bundled_models

MODEL_IDS = [e.model_id for e in bundled_models()]
DENSE_SMALL = ["meta-llama/Llama-3.1-8B", "Qwen/Qwen3-8B", "mistralai/Mistral-7B-v0.1", "google/gemma-2-9b"]
VARIED = [
    "meta-llama/Llama-3.1-8B",
    "Qwen/Qwen3-30B-A3B",
    "openai/gpt-oss-20b",
    "ibm-granite/granite-4.0-h-tiny",
    "mistralai/Mixtral-8x7B-v0.1",
    "google/gemma-2-9b",
]
GPUS = ["H100", "H200", "A100", "L40S", "MI300X", "B200", "L4"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

CONFIG_KEYS = [
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "intermediate_size",
    "vocab_size",
    "head_dim",
    "num_local_experts",
    "num_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "sliding_window",
    "layer_types",
    "kv_lora_rank",
    "tie_word_embeddings",
    "quantization_config",
    "torch_dtype",
    "model_type",
    "text_config",
    "mamba_n_heads",
    "mamba_d_head",
    "mamba_d_state",
    "first_k_dense_replace",
]


@st.composite
def mutated_config(draw: st.DrawFn) -> dict[str, Any]:
    """A real bundled config with a few keys deleted or replaced by arbitrary JSON values."""
    from config_explorer.catalogs.models import find_bundled

    entry = find_bundled(draw(st.sampled_from(MODEL_IDS)))
    assert entry is not None
    config: dict[str, Any] = json.loads(json.dumps(entry.config))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(CONFIG_KEYS))
        if draw(st.booleans()):
            config.pop(key, None)
        else:
            config[key] = draw(json_values | st.integers(-5, 5) | st.just(0))
    return config

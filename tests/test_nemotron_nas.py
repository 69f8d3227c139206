"""Llama-Nemotron's searched blocks (``nemotron-nas``, ``block_configs``): layers whose attention is skipped and
whose MLP width is each its own, as vLLM's ``DeciLMForCausalLM`` builds them.

Until these were read, such a config did not load (it states no ``intermediate_size``).
"""

from __future__ import annotations

from typing import Any

import pytest

from config_explorer.architecture import ModelArchitecture
from config_explorer.errors import InvalidModelConfigError


def _block(group: int | None, mult: float | None) -> dict[str, Any]:
    return {
        "attention": {"n_heads_in_group": group, "no_op": group is None, "replace_with_linear": False},
        "ffn": {"ffn_mult": mult, "no_op": mult is None, "replace_with_linear": False},
    }


def _config(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "model_type": "nemotron-nas",
        "architectures": ["DeciLMForCausalLM"],
        "hidden_size": 1024,
        "num_attention_heads": 16,
        "num_key_value_heads": None,
        "intermediate_size": None,
        "num_hidden_layers": len(blocks),
        "vocab_size": 32000,
        "block_configs": blocks,
    }


def test_blocks_by_hand() -> None:
    """Widths of 2 x ffn_mult x hidden / 3 rounded up to 256 (5.25 -> 3,584, 1.0 -> 768), their mean as the
    model's; a skipped attention is no mixer; KV heads = heads / n_heads_in_group."""
    arch = ModelArchitecture.from_config(
        _config([_block(8, 5.25), _block(None, 1.0), _block(8, 5.25), _block(None, None)])
    )
    assert arch.attention_kinds == ("full", "none", "full", "none")
    assert arch.mlp_kinds == ("dense", "dense", "dense", "none")
    assert arch.num_kv_heads == 2 and arch.num_blocks == 5
    assert arch.intermediate_size == round((3584 + 768 + 3584) / 3)
    widths = 3584 + 768 + 3584
    attention = 1024 * (1024 + 2 * 2 * 64) + 1024 * 1024
    table = (1 if arch.tie_word_embeddings else 2) * 32000 * 1024
    expected = table + 6 * 1024 + 2 * attention + 3 * 1024 * widths
    assert arch.total_params == pytest.approx(expected, abs=3 * 1024)
    assert arch.kv_cache_bytes_per_token() == 2 * 2 * 2 * 64 * 2


@pytest.mark.parametrize(
    ("blocks", "named"),
    [
        ([_block(8, 5.25)], "one block for each"),
        ([_block(8, 5.25), {"attention": {"replace_with_linear": True}, "ffn": {"ffn_mult": 1.0}}], "linear"),
        ([_block(8, 5.25), _block(3, 1.0)], "n_heads_in_group=3"),
        ([_block(8, 5.25), _block(4, 1.0)], "different KV heads"),
        ([_block(8, 5.25), _block(8, -1.0)], "ffn_mult"),
    ],
)
def test_bad_blocks_are_named(blocks: list[dict[str, Any]], named: str) -> None:
    config = _config(blocks)
    config["num_hidden_layers"] = 2
    with pytest.raises(InvalidModelConfigError, match=named):
        ModelArchitecture.from_config(config)

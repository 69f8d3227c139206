"""MiniMax-M3: MiniMax sparse attention (MSA) layers after dense ones, counted and costed.

Until these were read, MiniMax-M3's config failed to load (its ``moe_layer_freq`` lists a flag a layer); its
sparse layers' indexer and index keys, and the blocks a query attends, were nowhere.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config_explorer import load_model
from config_explorer.architecture import ModelArchitecture
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.catalogs.models import find_bundled
from config_explorer.engine.deployment import plan_deployment
from config_explorer.errors import InvalidArgumentError, InvalidModelConfigError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_command

M3 = "MiniMaxAI/MiniMax-M3"


def _config() -> dict[str, Any]:
    entry = find_bundled(M3)
    assert entry is not None
    return copy.deepcopy(dict(entry.config))


def _plan(tp: int = 8, context: int = 8192, **knobs: Any) -> Any:
    return plan_deployment(
        load_model(M3), get_gpu("B200"), num_gpus=tp, tp=tp, input_length=context, output_length=1024, **knobs
    )


def test_the_layers_by_hand() -> None:
    """3 dense layers (12,288 wide, dense attention) then 57 MoE layers with sparse attention; each sparse layer's
    indexer: 4 query heads and one key head of 128 from the hidden state; 427B and 26B as the recipe states."""
    arch = load_model(M3)
    assert arch.mlp_kinds[:3] == ("dense",) * 3 and arch.num_moe_layers == 57
    assert arch.intermediate_size == 12288 and arch.moe_intermediate_size == 3072
    assert arch.block_sparse_layers == 57 and arch.block_sparse_window == 16 * 128
    assert arch.block_indexer_params_per_layer == 6144 * 5 * 128
    assert arch.total_params == pytest.approx(427e9, rel=0.01)
    assert arch.active_params_including_embedding == pytest.approx(26e9, rel=0.01)


def test_the_cache_a_token_adds() -> None:
    """Keys and values of 4 heads in all 60 layers and a 128-value index key in the 57 sparse ones, 16-bit."""
    arch = load_model(M3)
    assert arch.kv_cache_bytes_per_token() == 60 * 2 * 4 * 128 * 2 + 57 * 128 * 2
    assert arch.kv_cache_bytes(10_000, "fp8") == 10_000 * (60 * 2 * 4 * 128 + 57 * 128)


def test_per_gpu_costs_by_hand() -> None:
    """At TP8 each GPU holds one of the 4 key/value heads (replicated in pairs) and the whole index key; a decoding
    query reads every index key and the dense layers' keys, and its 2,048 picked tokens' keys in sparse layers."""
    costs = _plan().costs
    kv = 2 * 128 * 2  # one head's key and value, 16-bit
    assert costs.window == 2048
    assert costs.kv_bytes_per_token_full == pytest.approx(60 * kv + 57 * 256)
    assert costs.kv_read_bytes_per_token_full == pytest.approx(3 * kv + 57 * 256)
    assert costs.kv_read_bytes_per_token_windowed == pytest.approx(57 * kv)
    assert costs.kv_bytes_per_token_windowed == 0


def test_long_prompts_cost_less_than_dense_attention_would() -> None:
    """Past the 2,048-token window the sparse layers' attention work stops growing but the indexer's does."""
    arch = load_model(M3)
    grow = arch.attention_flops_per_token(200_000) - arch.attention_flops_per_token(100_000)
    per_key = 2 * 64 * (128 + 128)
    assert grow == pytest.approx(100_000 * (3 * per_key + 57 * 2 * 4 * 128))


def test_vllm_release_and_launch() -> None:
    """vLLM serves it from 0.24.0 with its cache in 128-token blocks (its recipe's --block-size 128)."""
    with pytest.raises(InvalidArgumentError, match=re.escape("0.24.0")):
        _plan(engine="vllm==0.20.0")
    plan = _plan(engine="vllm==0.24.0")
    assert plan.profile.block_size == 128 and not plan.warnings
    assert any("0.24.0" in w for w in _plan(engine="vllm").warnings)
    est = estimate_performance(M3, "B200", 8, 8, 2048, 256, concurrency=8, engine="vllm==0.24.0")
    assert est.ok, est.error
    assert "--block-size 128" in serve_command(load_model(M3), est, "vllm")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"moe_layer_freq": [0, 1]}, "moe_layer_freq"),
        ({"moe_layer_freq": [0.5] * 60}, "moe_layer_freq"),
        (
            {"sparse_attention_config": {"use_sparse_attention": True, "sparse_attention_freq": [1] * 60}},
            "sparse_block_size",
        ),
        ({"sparse_attention_config": [1]}, "sparse_attention_config"),
    ],
)
def test_bad_fields_are_named(change: dict[str, Any], named: str) -> None:
    config = _config()
    config.update(change)
    with pytest.raises(InvalidModelConfigError, match=named):
        ModelArchitecture.from_config(config)


def test_sparse_layers_before_dense_ones_are_refused() -> None:
    config = _config()
    config["sparse_attention_config"]["sparse_attention_freq"] = [1] + [0] * 59
    with pytest.raises(InvalidModelConfigError, match="last ones"):
        ModelArchitecture.from_config(config)


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=300_000), st.integers(min_value=1, max_value=100_000))
def test_more_context_never_costs_less(context: int, more: int) -> None:
    arch = load_model(M3)
    assert arch.attention_flops_per_token(context + more) > arch.attention_flops_per_token(context)
    assert arch.kv_cache_bytes(context + more) > arch.kv_cache_bytes(context)

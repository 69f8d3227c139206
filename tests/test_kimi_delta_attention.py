"""Kimi Linear (Kimi-Linear-48B-A3B) and Kimi K3: Kimi Delta Attention layers beside MLA ones, counted and costed.

Until these were read, a ``kimi_linear`` config loaded as a plain MLA model: every layer an MLA layer with a KV cache,
the delta-attention layers' weights and state missing, and K3's latent experts counted at the full hidden size (5.5T
parameters instead of 2.8T).
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

LINEAR = "moonshotai/Kimi-Linear-48B-A3B-Instruct"
K3 = "moonshotai/Kimi-K3"


def _config(model: str = LINEAR) -> dict[str, Any]:
    entry = find_bundled(model)
    assert entry is not None
    return copy.deepcopy(dict(entry.config))


def test_kimi_linear_by_hand() -> None:
    """20 delta-attention and 7 MLA layers, numbered from 1 in the config; each delta layer's projections by hand
    (vLLM's KimiDeltaAttention: q, k, v; the forget gate's and the output gate's low-rank pairs through head_dim; beta;
    the three convolutions; decay and bias; the head norm; out_proj); 48B and 3B as the recipe states."""
    arch = load_model(LINEAR)
    kinds = arch.attention_kinds
    assert kinds.count("linear") == 20 and kinds.count("full") == 7
    assert [i + 1 for i, kind in enumerate(kinds) if kind == "full"] == [4, 8, 12, 16, 20, 24, 27]
    assert arch.is_mla and arch.is_hybrid and arch.linear_attention_kind == "kda"
    h, heads, hd = 2304, 32, 128
    p = heads * hd
    by_hand = 3 * h * p + 2 * (h * hd + hd * p) + h * heads + 3 * p * 4 + heads + p + hd + p * h
    assert arch.linear_attention_params_per_layer == by_hand
    assert arch.shared_expert_intermediate_size == 1024  # num_shared_experts, Kimi Linear's spelling
    assert arch.total_params == pytest.approx(48e9, rel=0.03)
    assert arch.active_params == pytest.approx(3e9, rel=0.05)
    assert arch.max_position_embeddings == 1_048_576  # its model_max_length


def test_kimi_linear_cache_and_state() -> None:
    """The MLA layers alone cache keys (576 values a token); each delta layer holds a 32-bit 32 x 128 x 128 state
    (vLLM's kda_state_dtype) and three convolution windows of 3 tokens in 16 bits, whatever the context."""
    arch = load_model(LINEAR)
    assert arch.kv_cache_bytes_per_token() == 7 * 576 * 2
    state = 20 * (32 * 128 * 128 * 4 + 3 * 4096 * 3 * 2)
    assert arch.mamba_state_bytes_per_sequence(ssm_precision=arch.mamba_ssm_dtype) == state
    plan = _plan(engine="vllm==0.11.2")
    assert plan.costs.state_bytes_per_sequence == pytest.approx(state / 4)
    assert plan.costs.kv_bytes_per_token_full == pytest.approx(7 * 576 * 2)


def test_kimi_k3_by_hand() -> None:
    """K3's text model: 896 latent experts of 3 x 3,584 x 3,072, the projections down to the latent and back beside
    two shared experts, a full-rank delta output gate, a gated MLA, attention residuals; 2.8T as its recipe states;
    MXFP4 experts and latent projections beside 16-bit attention, shared and dense layers (its ignore list)."""
    arch = load_model(K3)
    h, latent = 7168, 3584
    assert arch.expert_hidden_size == latent and arch.expert_params == 3 * latent * 3072
    assert arch.shared_expert_params_per_layer == 3 * h * 2 * 3072 + 2 * h * latent + latent
    assert arch.linear_gate_full_rank and arch.attention_output_gate and arch.residual_block_size == 12
    p, hd, heads = 96 * 128, 128, 96
    full_rank = 3 * h * p + (h * hd + hd * p) + h * heads + h * p + 3 * p * 4 + heads + p + hd + p * h
    assert arch.linear_attention_params_per_layer == full_rank
    assert arch.attention_kinds.count("linear") == 69 and arch.attention_kinds.count("full") == 24
    assert arch.total_params == pytest.approx(2.8e12, rel=0.01)
    assert arch.native_precision == "mxfp4"
    latent_projections = arch.num_moe_layers * 2 * h * latent
    assert (
        arch.unquantized_linear_params
        == arch.dense_linear_params - latent_projections - arch.num_moe_layers * latent
    )


def _plan(model: str = LINEAR, gpu: str = "H200", tp: int = 4, **knobs: Any) -> Any:
    return plan_deployment(
        load_model(model), get_gpu(gpu), num_gpus=tp, tp=tp, input_length=4096, output_length=512, **knobs
    )


def test_latent_experts_travel_and_run_narrow() -> None:
    """A GPU's expert shards, the tokens they take and the exchange between attention groups are in the latent width."""
    plan = _plan(K3, "B300", 8, engine="vllm==0.27.1", gpu_memory_utilization=0.95)
    assert plan.costs.expert_hidden == 3584
    # 3,072 / 8 = 384 a GPU, padded to 512 as vLLM's MXFP4 expert kernels store it; 4.25 bits a value
    assert plan.costs.expert_bytes == pytest.approx(3 * 3584 * 512 * 4.25 / 8)


def test_attention_residuals_are_read_back() -> None:
    """Each layer reads the closed blocks' outputs and the running sum before its attention and its MLP."""
    arch = load_model(K3)
    by_hand = sum((-(-i // 12) + 1) + (i // 12 + 2) for i in range(93)) + 8 + 1
    assert arch.residual_mix_values_per_token == by_hand * 7168
    assert load_model(LINEAR).residual_mix_values_per_token == 0


def test_vllm_releases_that_serve_them() -> None:
    """vLLM serves Kimi Linear from 0.11.2 (0.12.0 fails to load it) and K3 from 0.27.1, as their recipes say; the
    unpinned profile warns; other engines are not judged."""
    for release in ("0.11.0", "0.12.0"):
        with pytest.raises(InvalidArgumentError, match=re.escape(release)):
            _plan(engine=f"vllm=={release}")
    assert not any("Kimi" in w for w in _plan(engine="vllm==0.11.2").warnings)
    assert any("0.11.2" in w for w in _plan(engine="vllm").warnings)
    _plan(engine="sglang")
    with pytest.raises(InvalidArgumentError, match=re.escape("0.27.1")):
        _plan(K3, "B300", 8, engine="vllm==0.20.0")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kda_layers": [1, 2, 3, 4]}, "exactly once"),
        ({"full_attn_layers": [0, 4]}, "full_attn_layers"),
        ({"kda_layers": "1-26"}, "kda_layers"),
        ({"full_attn_layers": [4, 8, 12, 16, 20, 24, 28]}, "full_attn_layers"),
    ],
)
def test_bad_layer_lists_are_named(change: dict[str, Any], named: str) -> None:
    config = _config()
    config["linear_attn_config"].update(change)
    with pytest.raises(InvalidModelConfigError, match=named):
        ModelArchitecture.from_config(config)


def test_bad_delta_attention_sizes_are_named() -> None:
    config = _config()
    config["linear_attn_config"]["num_heads"] = 0
    with pytest.raises(InvalidModelConfigError, match="num_heads"):
        ModelArchitecture.from_config(config)
    config = _config()
    config["linear_attn_config"] = [1, 2]
    with pytest.raises(InvalidModelConfigError, match="linear_attn_config"):
        ModelArchitecture.from_config(config)


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=400_000), st.integers(min_value=1, max_value=100_000))
def test_cache_grows_with_context_and_state_does_not(context: int, more: int) -> None:
    """Only the MLA layers' cache grows with the context; the delta layers' state is the same at any length."""
    arch = load_model(LINEAR)
    assert arch.kv_cache_bytes(context + more) > arch.kv_cache_bytes(context)
    fixed = arch.mamba_state_bytes_per_sequence(ssm_precision="fp32")
    assert arch.kv_cache_bytes(context + more) - arch.kv_cache_bytes(context) == pytest.approx(
        more * arch.kv_cache_bytes_per_token()
    )
    assert fixed > 0

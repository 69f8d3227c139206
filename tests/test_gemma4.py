"""Gemma 4: global layers with heads and a head size of their own whose values are their keys, and (26B A4B) a dense
MLP beside 128 experts in every layer.

Until these were read, the global layers were costed with the sliding layers' 256-wide heads and 8 (or 16) KV
heads, keys and values apart, and the 26B A4B config did not load (its ``top_k_experts``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.deployment import plan_deployment
from config_explorer.errors import InvalidArgumentError

MOE = "google/gemma-4-26B-A4B"
DENSE = "nvidia/Gemma-4-31B-IT-NVFP4"


def _plan(model: str = MOE, tp: int = 1, **knobs: Any) -> Any:
    return plan_deployment(
        load_model(model), get_gpu("H100"), num_gpus=tp, tp=tp, input_length=8192, output_length=512, **knobs
    )


def test_the_layers_by_hand() -> None:
    """25 sliding layers (16 query, 8 KV heads of 256) and 5 global ones (2 KV heads of 512, keys only); each layer's
    dense MLP (2,112 wide) runs beside 8 of 128 experts (704 wide); 25.2B and 3.8B as the card states, the image
    encoder aside."""
    arch = load_model(MOE)
    assert arch.attention_kinds.count("sliding") == 25 and arch.attention_kinds.count("full") == 5
    assert arch.full_geometry == (512, 2, 1)
    h = 2816
    assert arch.full_attention_params_per_layer == h * (16 * 512 + 2 * 512) + 16 * 512 * h
    assert arch.attention_params_per_layer == h * (16 * 256 + 2 * 8 * 256) + 16 * 256 * h
    assert arch.num_moe_layers == 30 and arch.shared_expert_intermediate_size == 2112
    assert arch.total_params - arch.vision_params == pytest.approx(25.2e9, rel=0.01)
    assert arch.active_params == pytest.approx(3.8e9, rel=0.02)
    dense = load_model(DENSE)
    assert dense.total_params - dense.vision_params == pytest.approx(30.7e9, rel=0.01)


def test_the_cache_a_token_adds() -> None:
    """A sliding layer keeps keys and values of 8 heads of 256 for its 1,024-token window; a global layer one key of
    2 heads of 512 for the whole context."""
    arch = load_model(MOE)
    sliding, full = 2 * 8 * 256 * 2, 2 * 512 * 2
    assert arch.kv_cache_bytes_per_token() == 25 * sliding + 5 * full
    assert arch.kv_cache_bytes(100_000) == 25 * 1024 * sliding + 5 * 100_000 * full
    costs = _plan(engine="vllm==0.19.1").costs
    assert costs.kv_bytes_per_token_full == pytest.approx(5 * full)
    assert costs.kv_bytes_per_token_windowed == pytest.approx(25 * sliding)
    # a global layer's query-key pair: 16 heads x (512 + 512) x 2 FLOPs
    assert costs.attention_flops_per_pair_full == pytest.approx(5 * 2 * 16 * 1024)


def test_tensor_parallel_global_heads_replicate() -> None:
    """At TP4 each GPU holds one of the 2 global KV heads (each replicated on two GPUs) and 2 of the 8 sliding ones."""
    costs = _plan(tp=4, engine="vllm==0.19.1").costs
    assert costs.kv_bytes_per_token_full == pytest.approx(5 * 1 * 512 * 2)
    assert costs.kv_bytes_per_token_windowed == pytest.approx(25 * 2 * 2 * 256 * 2)


def test_vllm_release() -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape("0.19.1")):
        _plan(engine="vllm==0.15.0")
    assert any("0.19.1" in w for w in _plan(engine="vllm").warnings)


@pytest.mark.parametrize(
    ("engine", "gpu", "model", "expected"),
    [
        (
            "sglang",
            "MI300X",
            MOE,
            21 * 30 + 6 * 30,
        ),  # q, k, v norms in 30 layers; the router norm in 30 MoE layers
        ("sglang", "MI300X", DENSE, 21 * 60),
        ("sglang", "MI355X", MOE, 21 * 30 + 6 * 30),
        ("sglang", "H200", MOE, 0),  # sgl_kernel's fused rmsnorm on CUDA
        ("vllm", "MI300X", MOE, 0),
        ("sglang", "MI300X", "google/gemma-3-27b-it", 0),
    ],
)
def test_sglang_on_rocm_runs_gemma4s_head_norms_as_plain_pytorch_ops(
    engine: str, gpu: str, model: str, expected: int
) -> None:
    """SGLang's ``Gemma4RMSNorm.forward_hip`` falls back to ``forward_native`` (0.5.11 on): 10 ops for the q and k
    norms, 7 for the v and router norms, where CUDA runs a copy and one fused kernel. A step launches that many small
    kernels more: their GPU time in every step and, eager, SGLang's host time for each."""
    from config_explorer.engine.calibration import (
        EAGER_KERNEL_US,
        profile_for,
        sglang_rocm_unfused_norm_kernels,
    )

    arch = load_model(model)
    family = get_gpu(gpu).family
    dep = plan_deployment(
        arch, get_gpu(gpu), num_gpus=1, tp=1, input_length=610, output_length=422, engine=engine
    )
    extra = sglang_rocm_unfused_norm_kernels(
        profile_for(engine),
        architecture=arch.architecture,
        gpu_family=family,
        attention_layers=dep.costs.attention_kernels,
        moe_layers=dep.costs.moe_layers,
    )
    assert extra == expected
    if not expected:
        return
    import attrs

    from config_explorer.engine.roofline import StepCost

    fused = StepCost(
        attrs.evolve(dep.costs, small_kernels=dep.costs.small_kernels - extra), dep.rates, dep.profile
    )
    decode = float(dep.step_cost.time(1, 600, 0, 0, 0, 0, 1)) - float(fused.time(1, 600, 0, 0, 0, 0, 1))
    assert decode == pytest.approx(extra * dep.rates.small_kernel_s, rel=1e-6)
    pairs, windowed = dep.step_cost.prefill_pairs([(610, 0)])
    prompt = float(dep.step_cost.time(0, 0, 0, 610, pairs, windowed, 1)) - float(
        fused.time(0, 0, 0, 610, pairs, windowed, 1)
    )
    assert prompt >= extra * EAGER_KERNEL_US["sglang"] * 1e-6 * 0.99

"""Where engines keep a recurrent model's layer states (Gated DeltaNet, Mamba-2), and what that does to the
requests they run: SGLang sizes a pool of its own beside the KV cache, ``mamba_full_memory_ratio`` (0.9) of it
to the states, keeps the SSM part in 32 bits unless the checkpoint says otherwise, and runs at most one request
per three of the pool's slots with its radix cache on (``MAMBA_CACHE_SIZE_MAX_RUNNING_REQUESTS_RATIO``: 0.5.4 to
0.5.16 wheels); vLLM's hybrid allocator keeps the states in the KV cache's own blocks."""

from __future__ import annotations

import pytest

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_MAMBA_FULL_MEMORY_RATIO,
    SGLANG_MAMBA_SLOTS_PER_REQUEST,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Lengths, Traffic

QWEN35 = load_model("Qwen/Qwen3.5-27B")


def _plan(engine: str, **knobs: object) -> object:
    return plan_deployment(
        QWEN35, get_gpu("H200"), num_gpus=1, tp=1, precision="fp8", input_length=8192, output_length=1024,
        engine=engine, **knobs,
    )  # fmt: skip


def test_the_checkpoint_declares_its_state_type() -> None:
    """Qwen3.5 states ``mamba_ssm_dtype: float32``; a 32-bit SSM state doubles that part of a sequence's state,
    the convolution windows stay 16-bit."""
    assert QWEN35.mamba_ssm_dtype == "fp32"
    assert load_model("Qwen/Qwen3-Next-80B-A3B-Instruct").mamba_ssm_dtype is None
    delta_rule = 48 * 128 * 128 * QWEN35.num_linear_layers  # value heads x key dim x value dim, each layer
    assert QWEN35.mamba_state_bytes_per_sequence(
        ssm_precision="fp32"
    ) - QWEN35.mamba_state_bytes_per_sequence() == (2 * delta_rule)


def test_sglang_keeps_the_states_in_a_pool_of_their_own_and_caps_its_running_requests_by_it() -> None:
    sglang = _plan("sglang==0.5.16")
    assert sglang.state_pool and sglang.pooled_state_bytes == 0.0
    state = sglang.costs.state_bytes_per_sequence
    assert state == QWEN35.mamba_state_bytes_per_sequence(ssm_precision="fp32")
    # the states take 0.9 of what the KV cache keeps: the pool the plan reports is the attention layers' alone
    slots = int(sglang.memory.kv_capacity_gib * SGLANG_MAMBA_FULL_MEMORY_RATIO * GIB // state)
    assert sglang.max_num_seqs == slots // SGLANG_MAMBA_SLOTS_PER_REQUEST < 4096
    assert any("at most" in w and "running requests" in w for w in sglang.warnings)
    vllm = _plan("vllm")
    assert not vllm.state_pool and vllm.pooled_state_bytes == vllm.costs.state_bytes_per_sequence > 0
    # vLLM takes the checkpoint's declared type too (its Qwen3.5 config hook), the activations' where none is
    assert vllm.costs.state_bytes_per_sequence == state
    nxt = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    plan = plan_deployment(nxt, get_gpu("H200"), num_gpus=4, tp=4, input_length=1024, output_length=256)
    assert plan.costs.state_bytes_per_sequence == nxt.mamba_state_bytes_per_sequence() / 4
    sglang_next = plan_deployment(
        nxt, get_gpu("H200"), num_gpus=4, tp=4, input_length=1024, output_length=256, engine="sglang"
    )
    assert (
        sglang_next.costs.state_bytes_per_sequence
        == nxt.mamba_state_bytes_per_sequence(ssm_precision="fp32") / 4
    )
    # a stated limit above the pool's is cut to it, and the warning says so
    asked = _plan("sglang==0.5.16", max_num_seqs=4000)
    assert asked.max_num_seqs == sglang.max_num_seqs
    assert any("not the 4000 asked" in w for w in asked.warnings)
    assert _plan("sglang==0.5.16", max_num_seqs=8).max_num_seqs == 8


def test_a_simulated_sglang_run_never_runs_more_requests_than_the_state_pool_allows() -> None:
    cap = _plan("sglang==0.5.16").max_num_seqs
    traffic = Traffic(
        input_lengths=Lengths.fixed(1024),
        output_lengths=Lengths.fixed(256),
        arrival="offline",
        num_requests=2000,
    )
    e = estimate(QWEN35, get_gpu("H200"), precision="fp8", engine="sglang==0.5.16", traffic=traffic)
    assert e.ok and e.max_num_seqs == cap
    assert e.decode_batch_per_replica is not None and e.decode_batch_per_replica <= cap
    unpooled = estimate(QWEN35, get_gpu("H200"), precision="fp8", engine="vllm", traffic=traffic)
    assert unpooled.decode_batch_per_replica is not None and unpooled.decode_batch_per_replica > cap
    # the pool is memory in use: the record says how much, and none of it is free
    assert e.memory_state_gib == pytest.approx(e.memory_kv_capacity_gib * 0.9)
    parts = (e.memory_weights_gib, e.memory_kv_cache_gib, e.memory_state_gib, e.memory_activations_gib)
    assert e.memory_free_gib == pytest.approx(e.memory_total_gib - sum(parts) - e.memory_overhead_gib)
    assert unpooled.memory_state_gib == 0.0


def test_a_pool_too_small_for_one_request_does_not_fit() -> None:
    """With fewer than three slots in the states' pool SGLang refuses to start, and so does the plan; so it does
    when the attention layers' share cannot hold one whole sequence; with room for one request it starts and runs
    one at a time. Utilisations just above the weights' share (28.4 of the H200's 139.8 GiB) step through them."""
    plans = [_plan("sglang==0.5.16", gpu_memory_utilization=util) for util in (0.208, 0.21, 0.212)]
    assert [p.memory.fits for p in plans] == [False, False, True]
    assert "no request can run" in (plans[0].memory.reason or "")
    assert "one 9216-token sequence needs" in (plans[1].memory.reason or "")
    assert plans[2].max_num_seqs == 1

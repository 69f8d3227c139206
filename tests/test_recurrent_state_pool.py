"""Where engines keep a recurrent model's layer states (Gated DeltaNet, Mamba-2), and what that does to the
requests they run: SGLang sizes a pool of its own beside the KV cache, ``mamba_full_memory_ratio`` (0.9) of it
to the states, keeps the SSM part in 32 bits unless the checkpoint says otherwise, and runs at most one request
per three of the pool's slots with its radix cache on (``MAMBA_CACHE_SIZE_MAX_RUNNING_REQUESTS_RATIO``: 0.5.4 to
0.5.16 wheels); vLLM's hybrid allocator keeps the states in the KV cache's own blocks."""

from __future__ import annotations

from typing import Any

import pytest
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import (
    SGLANG_MAMBA_EXTRA_BUFFER_SLOTS,
    SGLANG_MAMBA_FULL_MEMORY_RATIO,
    SGLANG_MAMBA_SLOTS_PER_REQUEST,
)
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.layout import GIB
from config_explorer.engine.options import EngineOptions
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.serve_command import serve_commands

QWEN35 = load_model("Qwen/Qwen3.5-27B")
NO_RADIX = EngineOptions(disable_radix_cache=True)


def _plan(engine: str, **knobs: object) -> object:
    return plan_deployment(
        QWEN35, get_gpu("H200"), num_gpus=1, tp=1, precision="fp8", input_length=8192, output_length=1024,
        engine=engine, **knobs,
    )  # fmt: skip


def _slots(plan: Any) -> int:
    """The state pool's slots of a memory-split plan."""
    return int(plan.state_pool_gib * GIB // plan.costs.state_bytes_per_sequence)


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
    # the states take 0.9 of what the KV cache keeps: the pool the plan reports is the attention layers' alone;
    # 0.5.16 keeps the radix-cached states with its extra buffer, two more slots a request
    slots = int(sglang.memory.kv_capacity_gib * SGLANG_MAMBA_FULL_MEMORY_RATIO * GIB // state)
    assert (
        sglang.max_num_seqs
        == slots // (SGLANG_MAMBA_SLOTS_PER_REQUEST + SGLANG_MAMBA_EXTRA_BUFFER_SLOTS)
        < 4096
    )
    before = _plan("sglang==0.5.13")
    assert before.max_num_seqs == _slots(before) // SGLANG_MAMBA_SLOTS_PER_REQUEST
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
    plans = [_plan("sglang==0.5.13", gpu_memory_utilization=util) for util in (0.208, 0.21, 0.212)]
    assert [p.memory.fits for p in plans] == [False, False, True]
    assert "no request can run" in (plans[0].memory.reason or "")
    assert "one 9216-token sequence needs" in (plans[1].memory.reason or "")
    assert plans[2].max_num_seqs == 1


def test_without_the_radix_cache_a_request_takes_one_slot_and_the_overlap_scheduler_stays_on() -> None:
    """``--disable-radix-cache``: one slot per running request instead of three, and SGLang keeps its overlap
    scheduler (it turns it off for these models only while the radix cache is on)."""
    on = _plan("sglang==0.5.13")
    off = _plan("sglang==0.5.13", engine_options=NO_RADIX)
    assert on.memory.kv_capacity_gib == pytest.approx(off.memory.kv_capacity_gib)  # the same memory split
    # the same slots, each running request taking one of them rather than three
    assert off.max_num_seqs // SGLANG_MAMBA_SLOTS_PER_REQUEST == on.max_num_seqs > 0
    assert off.profile.overlap_scheduler and not on.profile.overlap_scheduler
    assert any("1 slot with the radix cache off" in w for w in off.warnings)


@pytest.mark.parametrize(
    ("release", "stated", "groups", "slots"),
    [
        ("sglang==0.5.16", 256, 1, 256),  # a stated limit sizes the pool at exactly that many slots
        ("sglang==0.5.12", 256, 4, 64),  # ... divided over the attention groups
        ("sglang==0.5.6", 256, 4, 256),  # ... not yet in 0.5.6: every group gets the whole count
        ("sglang==0.5.16", None, 1, None),  # unstated: the memory split
        ("sglang==0.5.8", None, 1, 512),  # ... from 0.5.9; before it 512 slots
        ("sglang==0.5.8", None, 2, 256),
    ],
)
def test_the_pool_a_launch_without_the_radix_cache_gets(
    release: str, stated: int | None, groups: int, slots: int | None
) -> None:
    from config_explorer.engine.calibration import profile_for, sglang_state_pool_slots

    profile = profile_for(release)
    assert sglang_state_pool_slots(
        profile, radix_cache=False, max_running_requests=stated, attention_groups=groups
    ) == (slots, 1)
    assert sglang_state_pool_slots(
        profile, radix_cache=True, max_running_requests=stated, attention_groups=groups
    ) == (
        None,
        SGLANG_MAMBA_SLOTS_PER_REQUEST,
    )


def test_a_stated_running_limit_sizes_the_pool_and_leaves_the_rest_to_the_kv_cache() -> None:
    """With the radix cache off and ``--max-running-requests 64`` the pool holds 64 slots: far less than the
    memory split, so the KV cache gets the rest; a pool larger than the memory left does not fit."""
    split = _plan("sglang==0.5.16", engine_options=NO_RADIX)
    sized = _plan("sglang==0.5.16", max_num_seqs=64, engine_options=NO_RADIX)
    state = sized.costs.state_bytes_per_sequence
    assert sized.state_pool_gib == pytest.approx(64 * state / GIB)
    assert sized.max_num_seqs == 64
    total = split.memory.kv_capacity_gib + split.state_pool_gib
    assert sized.memory.kv_capacity_gib == pytest.approx(total - sized.state_pool_gib)
    too_many = _plan("sglang==0.5.16", max_num_seqs=4000, engine_options=NO_RADIX)
    assert not too_many.memory.fits


def test_without_the_radix_cache_no_prompt_is_served_from_a_shared_prefix() -> None:
    """A shared prefix is computed again for every request: both serving models see no cache hits."""
    from config_explorer.engine.traffic import SharedPrefix

    traffic = Traffic(
        input_lengths=Lengths.fixed(4096),
        output_lengths=Lengths.fixed(128),
        arrival="closed_loop",
        concurrency=8,
        prefix=SharedPrefix.common(2048),
    )
    gpu = get_gpu("H200")
    kept = estimate(QWEN35, gpu, precision="fp8", engine="sglang==0.5.16", traffic=traffic)
    dropped = estimate(
        QWEN35, gpu, precision="fp8", engine="sglang==0.5.16", traffic=traffic,
        engine_options={"disable_radix_cache": True},
    )  # fmt: skip
    assert kept.ok and dropped.ok
    assert kept.prefix_cache_hit_rate is not None and kept.prefix_cache_hit_rate > 0.3
    assert dropped.prefix_cache_hit_rate == 0.0
    assert dropped.disable_radix_cache is True and kept.disable_radix_cache is False
    assert dropped.ttft_ms is not None and kept.ttft_ms is not None and dropped.ttft_ms > kept.ttft_ms


def test_a_stated_ssm_type_overrides_the_checkpoints() -> None:
    """``--mamba-ssm-dtype bfloat16`` keeps Qwen3.5's delta-rule state in 16 bits where its checkpoint declares
    32: half that part of every slot, so more slots from the same memory and less state read each decode step;
    the launch command states it back, and a word SGLang does not accept is refused by name."""
    declared = _plan("sglang==0.5.16")
    half = _plan("sglang==0.5.16", engine_options=EngineOptions(mamba_ssm_dtype="bfloat16"))
    assert half.costs.state_bytes_per_sequence == pytest.approx(
        declared.costs.state_bytes_per_sequence
        * QWEN35.mamba_state_bytes_per_sequence(ssm_precision="bf16")
        / QWEN35.mamba_state_bytes_per_sequence(ssm_precision="fp32")
    )
    assert half.max_num_seqs > declared.max_num_seqs
    assert half.step_s(64, 0, 0) < declared.step_s(64, 0, 0)
    assert any("its SSM state in bf16" in w for w in half.warnings)
    e = estimate(QWEN35, get_gpu("H200"), precision="fp8", engine="sglang==0.5.16", input_length=1024,
                 output_length=128, concurrency=8, engine_options={"mamba_ssm_dtype": "float16"})  # fmt: skip
    assert e.ok and e.mamba_ssm_dtype == "float16"
    options = assert_valid("sglang", serve_commands(QWEN35, e)["sglang"])
    assert options["--mamba-ssm-dtype"] == "float16"
    with pytest.raises(
        InvalidArgumentError, match="mamba_ssm_dtype must be one of float32, bfloat16, float16"
    ):
        estimate(QWEN35, get_gpu("H200"), engine="sglang", input_length=1024, output_length=128,
                 engine_options={"mamba_ssm_dtype": "fp8"})  # fmt: skip


def test_from_0_5_14_the_radix_cached_states_take_an_extra_buffer_and_the_overlap_stays_on() -> None:
    """SGLang 0.5.14's default radix-cache strategy for these classes (Qwen3.5, Qwen3-Next, Granite 4.0-H, ...)
    keeps the cached states with an extra buffer while the overlap scheduler is wanted: the overlap stays on and
    a running request takes five slots; a launch that turns the overlap off gets the no-buffer strategy (three
    slots, no overlap), as every release before did."""
    old, new = _plan("sglang==0.5.13"), _plan("sglang==0.5.14")
    assert not old.profile.overlap_scheduler and new.profile.overlap_scheduler
    assert new.memory.kv_capacity_gib == pytest.approx(old.memory.kv_capacity_gib)
    per_request = SGLANG_MAMBA_SLOTS_PER_REQUEST + SGLANG_MAMBA_EXTRA_BUFFER_SLOTS
    assert new.max_num_seqs == _slots(new) // per_request
    assert old.max_num_seqs == _slots(old) // SGLANG_MAMBA_SLOTS_PER_REQUEST
    assert any("extra buffer" in w for w in new.warnings)
    # the warning says what the same launch would run without the radix cache: one slot a request
    assert any(
        "--disable-radix-cache, which loses nothing" in w and f"up to {_slots(new):,}" in w
        for w in new.warnings
    )
    assert not any("loses nothing" in w for w in _plan("sglang==0.5.14", engine_options=NO_RADIX).warnings)
    serial = _plan("sglang==0.5.14", engine_options=EngineOptions(disable_overlap_schedule=True))
    assert serial.max_num_seqs == _slots(serial) // SGLANG_MAMBA_SLOTS_PER_REQUEST
    assert not serial.profile.overlap_scheduler
    granite = load_model("ibm-granite/granite-4.0-h-small")
    kw = {"num_gpus": 1, "tp": 1, "input_length": 1024, "output_length": 256}
    assert plan_deployment(granite, get_gpu("H100"), engine="sglang==0.5.14", **kw).profile.overlap_scheduler
    from config_explorer.engine.calibration import profile_for, sglang_mamba_extra_buffer

    kimi = {"model_class": "KimiLinearForCausalLM", "radix_cache": True, "overlap_off": False}
    assert not sglang_mamba_extra_buffer(profile_for("sglang==0.5.15"), **kimi)
    assert sglang_mamba_extra_buffer(profile_for("sglang==0.5.16"), **kimi)
    assert not sglang_mamba_extra_buffer(
        profile_for("vllm"), **{**kimi, "model_class": "Qwen3NextForCausalLM"}
    )


def test_sglang_serves_a_hybrid_models_shared_prefix_only_where_its_radix_cache_stored_a_state() -> None:
    """A hybrid model needs its recurrent state at the end of a reused prefix. Without the extra buffer (SGLang before
    0.5.14) states are stored only at the ends of earlier prompts and outputs, so prompts that share a prefix and then
    differ reuse none of it; with it (0.5.14 on, by default for these classes) they reuse the prefix's whole multiples
    of the model's ``mamba_chunk_size`` (64 where the config names none). A model without recurrent layers reuses the
    prefix token by token, and the simulator and the analytic screen agree."""
    from config_explorer.engine.calibration import SGLANG_MAMBA_TRACK_CHUNK, sglang_hybrid_prefix_unit
    from config_explorer.engine.traffic import SharedPrefix
    from config_explorer.recommender import estimate_performance

    assert sglang_hybrid_prefix_unit(extra_buffer=False, chunk_size=256) == 0
    assert sglang_hybrid_prefix_unit(extra_buffer=True, chunk_size=None) == SGLANG_MAMBA_TRACK_CHUNK == 64
    assert load_model("ibm-granite/granite-4.0-h-small").mamba_chunk_size == 256
    assert load_model("Qwen/Qwen3-Next-80B-A3B-Instruct").mamba_chunk_size is None

    def hit_rate(model: str, gpus: int, engine: str, prefix: int, serving_model: str = "simulated") -> float:
        traffic = Traffic(
            input_lengths=Lengths.fixed(1000),
            output_lengths=Lengths.fixed(128),
            arrival="closed_loop",
            concurrency=16,
            num_requests=96 if serving_model == "simulated" else None,
            prefix=SharedPrefix.distinct(prefix, 4),
        )
        est = estimate_performance(model, "H200", gpus, gpus, 1000, 128, traffic=traffic, engine=engine,
                                   serving_model=serving_model, backend="native")  # fmt: skip
        assert est.prefix_cache_hit_rate is not None
        return est.prefix_cache_hit_rate

    nxt, granite, dense = (
        "Qwen/Qwen3-Next-80B-A3B-Instruct",
        "ibm-granite/granite-4.0-h-small",
        "Qwen/Qwen3-8B",
    )
    assert hit_rate(nxt, 2, "sglang==0.5.12", 300) == hit_rate(nxt, 2, "sglang==0.5.12", 300, "analytic") == 0
    for model, gpus, prefix, served in ((nxt, 2, 200, 192), (granite, 1, 300, 256), (dense, 1, 300, 300)):
        for serving_model in ("simulated", "analytic"):
            rate = hit_rate(model, gpus, "sglang==0.5.16", prefix, serving_model)
            assert 0.5 * served / 1000 < rate <= served / 1000 + 1e-9, (model, serving_model, rate)
    assert hit_rate(granite, 1, "sglang==0.5.16", 200) == 0  # shorter than one 256-token chunk

"""Engine options (config_explorer.engine.options): SGLang's ``--scheduler-recv-interval`` and
TensorRT-LLM's ``batch_wait_timeout_iters`` / ``batch_wait_max_tokens_ratio``, which hold new requests back
to batch them, and vLLM's ``--async-scheduling``, which hides the engine's host time under the GPU's.

The mechanisms follow the engines' source: SGLang reads new requests every N decode steps while busy
(``scheduler_recv_skipper.py``), TensorRT-LLM holds context requests while others generate until the
token threshold or the iteration timeout (``PyExecutor._waiting_requests``), and needs both options set.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.cli import main
from config_explorer.engine.calibration import SGLANG_SERIAL_SEQUENCE_MS, SGLANG_SERIAL_STEP_MS
from config_explorer.engine.deployment import plan_deployment, sglang_running_requests
from config_explorer.engine.layout import GIB, sequence_capacity_tokens, sglang_fraction
from config_explorer.engine.options import EngineOptions, check_engine_options
from config_explorer.engine.serving import estimate
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender import estimate_performance
from config_explorer.recommender.serve_command import serve_commands

MODEL = load_model("meta-llama/Llama-3.1-8B-Instruct")
H100 = get_gpu("H100")


def _traffic(concurrency: int, requests: int = 240) -> Traffic:
    """A closed loop of spread lengths (as ``--random-range-ratio 0.8`` draws them), so requests finish
    at different times and arrive while others decode."""
    return Traffic(
        input_lengths=Lengths.uniform(820, 1024),
        output_lengths=Lengths.uniform(205, 256),
        arrival="closed_loop",
        concurrency=concurrency,
        num_requests=requests,
    )


def _run(engine: str, concurrency: int, options: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    return estimate(
        MODEL,
        H100,
        num_gpus=1,
        tp=1,
        engine=engine,
        traffic=_traffic(concurrency),
        engine_options=options,
        **kw,
    )


# -- SGLang: --scheduler-recv-interval ------------------------------------------------------------
def test_a_busy_sglang_engine_reads_new_requests_every_n_decode_steps() -> None:
    base = _run("sglang", 32)
    slow = _run("sglang", 32, {"scheduler_recv_interval": 20})
    assert base.ok and slow.ok
    assert base.scheduler_recv_interval == 1 and slow.scheduler_recv_interval == 20
    extra = slow.ttft_ms - base.ttft_ms  # type: ignore[operator]
    step = base.tpot_ms or 0.0
    # an arrival waits for the next read: on average about half the interval, never more than all of it
    assert 0.25 * 20 * step < extra < 20 * step, (extra, step)


def test_an_idle_sglang_engine_reads_at_once() -> None:
    """A lone client's request reaches an idle engine: the interval costs it nothing."""
    base = _run("sglang", 1)
    slow = _run("sglang", 1, {"scheduler_recv_interval": 30})
    assert slow.ttft_ms == pytest.approx(base.ttft_ms, rel=1e-9)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40))
def test_a_longer_interval_never_shortens_ttft(a: int, b: int) -> None:
    low, high = sorted((a, b))
    first = _run("sglang", 16, {"scheduler_recv_interval": low})
    second = _run("sglang", 16, {"scheduler_recv_interval": high})
    assert second.ttft_ms >= first.ttft_ms * (1 - 1e-9)  # type: ignore[operator]


def test_a_loop_of_identical_requests_waits_on_no_receive_interval() -> None:
    """SGLang prefills before it decodes, so a closed loop of identical requests moves as one cohort that
    returns to an idle engine, which reads it at once: the interval holds nothing back, in the screen as in
    the simulator (drawn lengths break the cohort up: the test above)."""
    args: dict[str, Any] = {
        "num_gpus": 1,
        "tp": 1,
        "engine": "sglang",
        "input_length": 1024,
        "output_length": 256,
    }
    for model in ("analytic", "simulated"):
        for concurrency in (1, 32):
            plain, every = (
                estimate(MODEL, H100, concurrency=concurrency, engine_options=o, serving_model=model, **args)
                for o in (None, {"scheduler_recv_interval": 30})
            )
            assert every.ttft_ms == pytest.approx(plain.ttft_ms, rel=1e-9)


# -- TensorRT-LLM: batch waiting -------------------------------------------------------------------
HOLD = {"batch_wait_timeout_iters": 30, "batch_wait_max_tokens_ratio": 0.9}


def test_tensorrt_llm_holds_prompts_back_until_the_timeout() -> None:
    base = _run("trtllm", 16)
    held = _run("trtllm", 16, HOLD)
    assert (held.batch_wait_timeout_iters, held.batch_wait_max_tokens_ratio) == (30, 0.9)
    extra = held.ttft_ms - base.ttft_ms  # type: ignore[operator]
    step = base.tpot_ms or 0.0
    # 16 clients of ~1,000-token prompts never fill 0.9 x 8,192 tokens: the first held prompt waits the
    # whole timeout, the ones arriving meanwhile less
    assert 0.2 * 30 * step < extra < 1.2 * 30 * step, (extra, step)


@pytest.mark.parametrize("one", [{"batch_wait_timeout_iters": 30}, {"batch_wait_max_tokens_ratio": 0.9}])
def test_one_batch_wait_option_alone_holds_nothing(one: dict[str, Any]) -> None:
    """``stop_waiting = iters >= timeout_iters or tokens >= ratio x max_num_tokens``: either at 0 stops it."""
    assert _run("trtllm", 16, one).ttft_ms == pytest.approx(_run("trtllm", 16).ttft_ms, rel=1e-9)


def test_a_threshold_the_prompts_reach_releases_them_at_once() -> None:
    """With a low token threshold the first waiting prompt fills it: nothing is held."""
    low = {"batch_wait_timeout_iters": 30, "batch_wait_max_tokens_ratio": 0.01}
    assert _run("trtllm", 16, low).ttft_ms == pytest.approx(_run("trtllm", 16).ttft_ms, rel=1e-9)


def test_attention_dp_turns_batch_waiting_off_and_says_so() -> None:
    arch = load_model("Qwen/Qwen3-30B-A3B")
    options = check_engine_options(HOLD, "trtllm")
    common: dict[str, Any] = {"num_gpus": 2, "tp": 2, "input_length": 1024, "output_length": 256}
    dep = plan_deployment(arch, H100, engine="trtllm", dp_attention=2, engine_options=options, **common)
    assert not dep.holds_context and dep.scheduler_config().hold_steps == 0
    assert any("attention DP" in w for w in dep.warnings)
    plain = plan_deployment(arch, H100, engine="trtllm", engine_options=options, **common)
    assert plain.holds_context and plain.scheduler_config().hold_steps == 30


# -- the boundary ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("engine", "options", "message"),
    [
        ("sglang", {"scheduler_recv_interval": 0}, r"scheduler_recv_interval must be an integer in \[1,"),
        ("sglang", {"scheduler_recv_interval": 2.5}, "must be an integer"),
        ("sglang", {"scheduler_recv_interval": True}, "must be an integer"),
        ("trtllm", {"batch_wait_max_tokens_ratio": 1.5}, r"must be a number in \[0, 1\]"),
        ("trtllm", {"batch_wait_timeout_iters": -1}, r"must be an integer in \[0,"),
        ("vllm", {"scheduler_recv_interval": 10}, "is sglang's --scheduler-recv-interval; vllm has no such"),
        ("sglang", {"batch_wait_timeout_iters": 10}, "is trtllm's batch_wait_timeout_iters"),
        (
            "sglang",
            {"recv_interval": 10},
            "unknown engine option 'recv_interval'; sglang accepts: cuda_graph_max_bs, disable_hybrid_swa_memory, "
            "disable_overlap_schedule, disable_piecewise_cuda_graph, disable_radix_cache, enable_prefill_delayer, "
            "mamba_ssm_dtype, moe_runner_backend, prefill_delayer_max_delay_passes, schedule_conservativeness, "
            "scheduler_recv_interval, swa_full_tokens_ratio",
        ),
        ("sglang", {"disable_piecewise_cuda_graph": 2}, "disable_piecewise_cuda_graph is a switch"),
        (
            "sglang",
            {"moe_runner_backend": "deep_gemm"},
            "moe_runner_backend must be one of marlin, flashinfer_mxfp4, triton",
        ),
        ("vllm", {"moe_runner_backend": "marlin"}, "is sglang's --moe-runner-backend"),
        ("sglang", {"cuda_graph_max_bs": 0}, r"cuda_graph_max_bs must be an integer in \[1, 65,536\], got 0"),
        ("sglang", {"cuda_graph_max_bs": 64.5}, "cuda_graph_max_bs must be an integer"),
        ("sglang", {"cuda_graph_max_bs": True}, "cuda_graph_max_bs must be an integer"),
        ("vllm", {"cuda_graph_max_bs": 64}, "is sglang's --cuda-graph-max-bs"),
        ("sglang", [("scheduler_recv_interval", 10)], "engine_options must be a mapping"),
        (
            "sglang",
            {"schedule_conservativeness": 0},
            r"schedule_conservativeness must be a number in \(0, 10\]",
        ),
        ("sglang", {"schedule_conservativeness": 12.5}, "must be a number in"),
        ("sglang", {"schedule_conservativeness": "low"}, "got 'low'"),
        ("vllm", {"schedule_conservativeness": 0.5}, "is sglang's --schedule-conservativeness"),
        ("sglang", {"swa_full_tokens_ratio": 0}, r"swa_full_tokens_ratio must be a number in \(0, 1\]"),
        ("sglang", {"swa_full_tokens_ratio": 1.5}, "got 1.5"),
        ("sglang", {"disable_hybrid_swa_memory": 2}, "disable_hybrid_swa_memory is a switch"),
        ("trtllm", {"swa_full_tokens_ratio": 0.5}, "is sglang's --swa-full-tokens-ratio"),
    ],
)
def test_bad_options_are_refused_by_name(engine: str, options: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        estimate_performance(
            MODEL,
            "H100",
            1,
            1,
            1024,
            256,
            engine=engine,
            engine_options=options,
            backend="native",  # type: ignore[arg-type]
        )


def test_sglang_schedule_conservativeness_sets_how_much_room_admission_keeps() -> None:
    """--schedule-conservativeness C makes SGLang reserve 0.7 x C of running requests' remaining output at
    admission (0.3 of that with data-parallel attention). On a KV pool too small for every request's output a
    lower C admits more at once, so more run together, and retractions (preemptions) can follow; a higher C
    never runs more. The record reports the stated value and the launch command passes it on."""
    arch = load_model("meta-llama/Llama-3.1-8B-Instruct")
    lengths = Lengths.fixed(2000)
    traffic = Traffic(input_lengths=lengths, output_lengths=lengths, arrival="offline", num_requests=600)

    def run(c: float) -> Any:
        options = check_engine_options({"schedule_conservativeness": c}, "sglang")
        return estimate(
            arch, H100, engine="sglang", traffic=traffic, engine_options=options, gpu_memory_utilization=0.5
        )  # fmt: skip

    low, default, high = run(0.3), run(1.0), run(3.0)
    assert default.schedule_conservativeness == 1.0 and low.schedule_conservativeness == 0.3
    dep = plan_deployment(
        arch, H100, num_gpus=1, tp=1, engine="sglang", input_length=2000, output_length=2000,
        engine_options=check_engine_options({"schedule_conservativeness": 0.5}, "sglang"),
    )  # fmt: skip
    assert dep.scheduler_config().new_token_ratio[0] == pytest.approx(0.35)
    assert low.decode_batch_per_replica >= default.decode_batch_per_replica >= high.decode_batch_per_replica
    assert low.decode_batch_per_replica > high.decode_batch_per_replica
    flags = assert_valid("sglang", serve_commands(arch, low)["sglang"])
    assert "--schedule-conservativeness" in flags
    assert "--schedule-conservativeness 0.3" in serve_commands(arch, low)["sglang"]
    assert "--schedule-conservativeness" not in serve_commands(arch, default)["sglang"]


def test_sglang_sliding_window_pool_options_set_the_kv_room() -> None:
    """--swa-full-tokens-ratio R sizes SGLang's sliding-window pool at R times the full pool's tokens (0.8 by
    default), so a token of gpt-oss costs its full layers' KV plus R times its sliding layers'; a smaller R fits more
    long sequences. --disable-hybrid-swa-memory keeps every token in every layer. The record reports both and the
    launch command passes them on in SGLang's spelling."""
    arch = load_model("openai/gpt-oss-120b")

    def plan(options: dict[str, Any] | None) -> Any:
        return plan_deployment(
            arch, get_gpu("H200"), num_gpus=1, tp=1, engine="sglang", input_length=8000, output_length=2000,
            engine_options=check_engine_options(options, "sglang"),
        )  # fmt: skip

    default, small, whole = (
        plan(None),
        plan({"swa_full_tokens_ratio": 0.2}),
        plan({"disable_hybrid_swa_memory": True}),
    )
    full = default.costs.kv_read_bytes_per_token_full
    sliding = default.costs.kv_read_bytes_per_token_windowed
    assert default.costs.kv_bytes_per_token_full == pytest.approx(full + 0.8 * sliding)
    assert small.costs.kv_bytes_per_token_full == pytest.approx(full + 0.2 * sliding)
    assert whole.costs.kv_bytes_per_token_full == pytest.approx(full + sliding)
    assert small.kv_limit_per_replica > default.kv_limit_per_replica > whole.kv_limit_per_replica
    assert any("--disable-hybrid-swa-memory" in w for w in whole.warnings)
    est = estimate_performance(
        "openai/gpt-oss-120b", "H200", 1, 1, 8000, 2000, engine="sglang", backend="native", concurrency=8,
        engine_options={"swa_full_tokens_ratio": 0.2, "disable_hybrid_swa_memory": True},
    )  # fmt: skip
    assert (est.swa_full_tokens_ratio, est.disable_hybrid_swa_memory) == (0.2, True)
    flags = assert_valid("sglang", serve_commands(arch, est)["sglang"])
    assert {"--swa-full-tokens-ratio", "--disable-hybrid-swa-memory"} <= set(flags)
    plain = estimate_performance(
        "openai/gpt-oss-120b", "H200", 1, 1, 8000, 2000, engine="sglang", backend="native", concurrency=8
    )
    assert (
        plain.swa_full_tokens_ratio == 0.8
        and "--swa-full-tokens-ratio" not in serve_commands(arch, plain)["sglang"]
    )


def test_the_defaults_are_the_engines_and_only_its_own_options_are_reported() -> None:
    sglang = estimate_performance(MODEL, "H100", 1, 1, 512, 128, engine="sglang", backend="native")
    assert sglang.scheduler_recv_interval == 1 and sglang.batch_wait_timeout_iters is None
    trtllm = estimate_performance(MODEL, "H100", 1, 1, 512, 128, engine="trtllm", backend="native")
    assert (trtllm.batch_wait_timeout_iters, trtllm.batch_wait_max_tokens_ratio) == (0, 0.0)
    assert trtllm.scheduler_recv_interval is None
    vllm = estimate_performance(MODEL, "H100", 1, 1, 512, 128, backend="native")
    assert vllm.scheduler_recv_interval is None and vllm.batch_wait_timeout_iters is None
    assert EngineOptions().stated() == {}


def test_auto_picks_the_native_engine_for_them() -> None:
    est = estimate_performance(
        MODEL,
        "H100",
        1,
        1,
        512,
        128,
        engine="sglang",
        engine_options={"scheduler_recv_interval": 4},
        backend="auto",
    )
    assert est.backend == "native" and est.scheduler_recv_interval == 4


# -- launch commands and the CLI ------------------------------------------------------------------
def test_the_launch_commands_carry_the_options_in_the_engines_spelling() -> None:
    sglang = estimate_performance(
        MODEL, "H100", 1, 1, 1024, 256, engine="sglang", engine_options={"scheduler_recv_interval": 10},
        backend="native", serving_model="analytic",
    )  # fmt: skip
    flags = assert_valid("sglang", serve_commands(MODEL, sglang)["sglang"])
    assert flags["--scheduler-recv-interval"] == "10"
    assert "--scheduler-recv-interval" not in serve_commands(MODEL, sglang)["vllm"]
    trtllm = estimate_performance(
        MODEL, "H100", 1, 1, 1024, 256, engine="trtllm", engine_options=HOLD, backend="native",
        serving_model="analytic",
    )  # fmt: skip
    command = serve_commands(MODEL, trtllm)["trtllm"]
    assert_valid("trtllm", command)
    assert "batch_wait_timeout_iters: 30" in command and "batch_wait_max_tokens_ratio: 0.9" in command
    # each LLM-API key the command writes is one the data file cites from TensorRT-LLM's llm_args.py
    text = (resources.files("config_explorer") / "data" / "engine_flags" / "trtllm.json").read_text("utf-8")
    keys = json.loads(text)["extra_llm_api_options_keys"]
    assert {"batch_wait_timeout_iters", "batch_wait_max_tokens_ratio"} <= set(keys)
    assert all("llm_args.py" in keys[k] for k in ("batch_wait_timeout_iters", "batch_wait_max_tokens_ratio"))


def test_cli_takes_engine_options(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100", "--engine", "sglang"]
    argv += ["--input-length", "1024", "--output-length", "256", "--concurrency", "16", "--json"]
    assert main([*argv, "--engine-option", "scheduler_recv_interval=12"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["scheduler_recv_interval"] == 12
    assert main([*argv, "--engine-option", "scheduler_recv_interval"]) == 2
    assert "expected NAME=NUMBER" in capsys.readouterr().err
    assert main([*argv, "--engine-option", "batch_wait_timeout_iters=4"]) == 2
    assert "trtllm's batch_wait_timeout_iters" in capsys.readouterr().err
    # a word-valued option and a switch
    hybrid = ["--model", "Qwen/Qwen3.5-27B", "--engine-option", "mamba_ssm_dtype=bfloat16"]
    assert main([*argv, *hybrid, "--engine-option", "disable_radix_cache=true"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["mamba_ssm_dtype"] == "bfloat16" and record["disable_radix_cache"] is True
    assert main([*argv, "--engine-option", "mamba_ssm_dtype=int8"]) == 2
    assert "mamba_ssm_dtype must be one of float32, bfloat16, float16, got 'int8'" in capsys.readouterr().err


def test_the_recommender_plans_with_them_and_writes_them_into_the_launch_command() -> None:
    from config_explorer.recommender import recommend_gpus

    result = recommend_gpus(
        "meta-llama/Llama-3.1-8B-Instruct", 1024, 256, gpus=["H100"], max_gpus=1, engine="sglang",
        backend="native", engine_options={"scheduler_recv_interval": 20}, default_slos=False,
    )  # fmt: skip
    best = result.ranked[0]
    assert best.estimate is not None and best.estimate.scheduler_recv_interval == 20
    assert "--scheduler-recv-interval 20" in best.launch_command
    with pytest.raises(InvalidArgumentError, match="aggregated serving only"):
        recommend_gpus(
            "meta-llama/Llama-3.1-8B-Instruct", 1024, 256, gpus=["H100"], max_gpus=2, engine="sglang",
            backend="native", engine_options={"scheduler_recv_interval": 20}, disaggregated=True,
            target_requests_per_s=2.0,
        )  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="is sglang's --scheduler-recv-interval"):
        recommend_gpus(
            "meta-llama/Llama-3.1-8B-Instruct", 1024, 256, engine_options={"scheduler_recv_interval": 2}
        )


# --- vLLM's async scheduling: the host prepares the next step while the GPU runs this one -------------


def test_vllm_schedules_asynchronously_by_default_from_v0_14() -> None:
    """vllm/config/scheduler.py and vllm/config/vllm.py: off through v0.13.0, on (unless ruled out) in v0.14.0."""
    from config_explorer.engine.calibration import profile_for

    assert not profile_for("vllm").async_scheduling  # the default profile follows v0.11
    assert not profile_for("vllm==0.13.0").async_scheduling
    assert profile_for("vllm==0.14.0").async_scheduling and profile_for("vllm==0.34.0").async_scheduling
    assert not profile_for("sglang").async_scheduling and not profile_for("trtllm").async_scheduling


def test_async_scheduling_hides_the_host_time_under_the_gpu() -> None:
    """A step lasts the longer of its GPU work and its host time, so the switch shortens a small model's
    decode by about the host time per step and never lengthens one; the record says which ran. The 64
    requests are all queued at once, so the step-ahead admission the switch also brings delays none."""
    batch = Traffic(
        input_lengths=Lengths.fixed(512),
        output_lengths=Lengths.fixed(256),
        arrival="offline",
        num_requests=64,
    )
    kw: dict[str, Any] = {"traffic": batch, "engine": "vllm==0.11.0"}
    sync = estimate(MODEL, H100, **kw)
    on = estimate(MODEL, H100, engine_options={"async_scheduling": 1}, **kw)
    assert (sync.async_scheduling, on.async_scheduling) == (False, True)
    dep = plan_deployment(MODEL, H100, num_gpus=1, tp=1, input_length=512, output_length=256)
    host_ms = dep.profile.step_overhead_ms + 64 * dep.profile.per_sequence_overhead_ms
    assert sync.itl_ms is not None and on.itl_ms is not None
    assert 0.6 * host_ms < sync.itl_ms - on.itl_ms <= host_ms * 1.05
    off = estimate(
        MODEL, H100, **{**kw, "engine": "vllm==0.14.0"}, engine_options={"async_scheduling": False}
    )
    assert off.async_scheduling is False and off.itl_ms == pytest.approx(sync.itl_ms, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(decode=st.integers(1, 2048), context=st.integers(1, 32_768), prefill=st.sampled_from([0, 512, 8192]))
def test_async_scheduling_never_slows_a_step(decode: int, context: int, prefill: int) -> None:
    kw: dict[str, Any] = {"num_gpus": 1, "tp": 1, "input_length": 1024, "output_length": 256}
    sync = plan_deployment(MODEL, H100, engine="vllm==0.13.0", **kw).step_cost
    on = plan_deployment(MODEL, H100, engine="vllm==0.14.0", **kw).step_cost
    contents = (decode, decode * context, 0, prefill, prefill * prefill / 2, 0, decode + (prefill > 0))
    assert on.time(*contents) <= sync.time(*contents) + 1e-12


@pytest.mark.parametrize("value", [2, -1, 0.5, "yes"])
def test_async_scheduling_is_a_switch(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="async_scheduling is a switch: true or false"):
        check_engine_options({"async_scheduling": value}, "vllm")
    with pytest.raises(InvalidArgumentError, match="is vllm's --async-scheduling; sglang has no such"):
        check_engine_options({"async_scheduling": True}, "sglang")
    assert check_engine_options({"async_scheduling": None}, "vllm") == EngineOptions()


def test_the_vllm_launch_command_switches_async_scheduling_on_where_the_estimate_ran_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    on = estimate_performance(
        MODEL,
        "H100",
        1,
        1,
        512,
        128,
        engine="vllm==0.11.0",
        engine_options={"async_scheduling": 1},
        backend="native",
    )
    assert "--async-scheduling" in assert_valid("vllm", serve_commands(MODEL, on)["vllm"])
    off = estimate_performance(MODEL, "H100", 1, 1, 512, 128, backend="native")
    assert off.async_scheduling is False and "--async-scheduling" not in serve_commands(MODEL, off)["vllm"]
    argv = [
        "estimate",
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "H100",
        "--input-length",
        "512",
    ]
    argv += [
        "--output-length",
        "128",
        "--concurrency",
        "16",
        "--json",
        "--engine-option",
        "async_scheduling=1",
    ]
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["async_scheduling"] is True
    # a switch may be written as a word; a word elsewhere is refused by the API, by name
    argv[-1] = "async_scheduling=false"
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["async_scheduling"] is False
    argv[-1] = "async_scheduling=maybe"
    assert main(argv) == 2 and "NAME=true/false for a switch" in capsys.readouterr().err
    sglang = ["--engine", "sglang", "--engine-option", "scheduler_recv_interval=true"]
    assert main([*argv[:-2], *sglang]) == 2
    assert "scheduler_recv_interval must be an integer" in capsys.readouterr().err


def test_async_scheduling_follows_vllms_own_compatibility_rules() -> None:
    """vllm/config/vllm.py (v0.14.0): left to the release, pipeline parallelism or an n-gram / draft-model
    speculator turns async scheduling off; asked for, either makes vLLM refuse to start."""
    from config_explorer.engine.speculative import SpeculativeConfig

    kw: dict[str, Any] = {"input_length": 1024, "output_length": 256, "engine": "vllm==0.14.0"}
    assert plan_deployment(MODEL, H100, num_gpus=1, tp=1, **kw).profile.async_scheduling
    assert not plan_deployment(MODEL, H100, num_gpus=2, tp=1, pp=2, **kw).profile.async_scheduling
    ngram = SpeculativeConfig.of("ngram")
    eagle = SpeculativeConfig.of("eagle3")
    assert not plan_deployment(
        MODEL, H100, num_gpus=1, tp=1, speculative=ngram, **kw
    ).profile.async_scheduling
    assert plan_deployment(MODEL, H100, num_gpus=1, tp=1, speculative=eagle, **kw).profile.async_scheduling
    on = EngineOptions(async_scheduling=True)
    with pytest.raises(InvalidArgumentError, match="async_scheduling with pp=2: vLLM refuses to start"):
        plan_deployment(MODEL, H100, num_gpus=2, tp=1, pp=2, engine_options=on, **kw)
    with pytest.raises(InvalidArgumentError, match="async_scheduling with speculative method ngram"):
        plan_deployment(MODEL, H100, num_gpus=1, tp=1, speculative=ngram, engine_options=on, **kw)


def test_sglang_can_be_told_to_run_its_prompt_steps_without_piecewise_graphs() -> None:
    """``disable_piecewise_cuda_graph`` (SGLang's --disable-piecewise-cuda-graph) turns the 0.5.10+ default off:
    every prompt step runs eagerly, and the record says so."""
    from config_explorer.engine.serving import estimate

    arch = load_model("meta-llama/Llama-3.1-8B-Instruct")
    kw: dict[str, Any] = {"num_gpus": 1, "tp": 1, "input_length": 1024, "output_length": 64}
    switch = {"disable_piecewise_cuda_graph": True}
    on = plan_deployment(arch, H100, engine="sglang==0.5.12", **kw)
    off = plan_deployment(
        arch, H100, engine="sglang==0.5.12", engine_options=check_engine_options(switch, "sglang"), **kw
    )
    assert on.profile.prefill_graph_max_tokens > 0
    assert off.profile.prefill_graph_max_tokens == 0 and not off.profile.prefill_in_graphs
    assert off.step_s(0.0, 1024, 1.0) > on.step_s(0.0, 1024, 1.0)
    told = estimate(arch, H100, concurrency=1, engine="sglang==0.5.12", engine_options=switch, **kw)
    assert told.disable_piecewise_cuda_graph is True
    # the launch command carries it in the spelling of the release the flag lists are read from
    commands = serve_commands(arch, told)
    assert "--disable-prefill-cuda-graph" in assert_valid("sglang", commands["sglang"])
    plain = estimate(arch, H100, concurrency=1, engine="sglang==0.5.12", **kw)
    assert "--disable-prefill-cuda-graph" not in serve_commands(arch, plain)["sglang"]
    assert estimate(arch, H100, concurrency=1, engine="sglang", **kw).disable_piecewise_cuda_graph is False


def test_vllm_told_to_run_eagerly_replays_no_graph_and_keeps_no_graph_memory() -> None:
    """``enforce_eager`` (vLLM's --enforce-eager): no step replays a CUDA graph, so a decode step pays its
    kernels' host issue time; no memory goes to graphs, which from v0.21 on (graphs inside the budget) leaves
    that much more for the KV cache; the record and the launch command say so."""
    kw: dict[str, Any] = {"num_gpus": 1, "tp": 1, "input_length": 1024, "output_length": 256}
    eager = check_engine_options({"enforce_eager": True}, "vllm")
    budgeted = []
    for release in ("vllm==0.6.3", "vllm==0.11.0", "vllm==0.21.0"):
        graphed = plan_deployment(MODEL, H100, engine=release, **kw)
        told = plan_deployment(MODEL, H100, engine=release, engine_options=eager, **kw)
        assert graphed.profile.graph_max_tokens > 0 and told.profile.graph_max_tokens == 0
        for batch in (1.0, 64.0):
            assert told.step_s(batch, 0.0, 0.0) > graphed.step_s(batch, 0.0, 0.0)
        assert told.memory.cuda_graph_gib == 0.0 < graphed.memory.cuda_graph_gib
        gained = told.memory.kv_capacity_gib - graphed.memory.kv_capacity_gib
        in_budget = graphed.memory.overhead_gib > graphed.memory.non_torch_gib
        assert gained == pytest.approx(graphed.memory.cuda_graph_gib if in_budget else 0.0)
        budgeted.append(in_budget)
    assert budgeted == [False, False, True]  # v0.21 counts its graphs in the budget, the others do not
    slow, fast = _run("vllm", 4, {"enforce_eager": True}), _run("vllm", 4)
    assert slow.enforce_eager is True and fast.enforce_eager is False
    assert slow.itl_ms > fast.itl_ms and slow.output_throughput_tok_s < fast.output_throughput_tok_s
    assert _run("sglang", 4).enforce_eager is None
    with pytest.raises(InvalidArgumentError, match="engine option enforce_eager is vllm's --enforce-eager"):
        check_engine_options({"enforce_eager": True}, "sglang")
    est = estimate_performance(
        MODEL, "H100", 1, 1, 1024, 256, engine="vllm", engine_options={"enforce_eager": True},
        backend="native", serving_model="analytic",
    )  # fmt: skip
    commands = serve_commands(MODEL, est)
    assert "--enforce-eager" in assert_valid("vllm", commands["vllm"])
    assert "--enforce-eager" not in commands["sglang"]


# -- SGLang before its memory tiers: 0.4.3-0.5.2's own chunk and graph defaults ------------------------
@pytest.mark.parametrize(
    ("engine", "gpu", "dp", "chunk", "graphs"),
    [
        ("sglang==0.4.3", "H200", 1, 8192, 160),  # cuda_graph_max_bs 160 on any GPU of 25,000 MiB and more
        ("sglang==0.4.6", "H200", 1, 8192, 256),  # the list reaches 256 above 81,920 MiB ...
        ("sglang==0.4.6", "H200", 8, 8192, 160),  # ... without data-parallel attention
        ("sglang==0.4.6", "H100", 1, 8192, 160),  # 79.65 GiB: under 81,920 MiB
        ("sglang==0.4.8", "H200", 1, 8192, 256),
        ("sglang==0.5.2", "B200", 1, 16384, 512),
        ("sglang==0.5.3", "H200", 1, 8192, 512),  # SGLANG_MEMORY_TIERS from 0.5.3 (TP8)
    ],
)
def test_sglang_releases_before_the_memory_tiers_take_their_own_defaults(
    engine: str, gpu: str, dp: int, chunk: int, graphs: int
) -> None:
    """SGLang sized its prompt chunk and its decode-graph batches by release before 0.5.3's memory tiers (read in
    the 0.4.3-0.5.2 wheels: calibration.sglang_early_memory_defaults); a plan pinned to one of those releases
    replays larger decode batches eagerly and chunks prompts as it did."""
    arch = load_model("deepseek-ai/DeepSeek-V3")
    plan = plan_deployment(
        arch, get_gpu(gpu), num_gpus=8, tp=8, dp_attention=dp, ep=8 if dp > 1 else 1, input_length=1024,
        output_length=256, engine=engine,
    )  # fmt: skip
    assert plan.profile.graph_max_tokens == graphs
    assert plan.profile.max_num_batched_tokens(gpu, get_gpu(gpu).memory_gib) == chunk


# -- SGLang: --cuda-graph-max-bs, and its defaults under data-parallel attention ---------------------
def test_sglang_decode_batches_past_the_graph_limit_run_eagerly() -> None:
    """``cuda_graph_max_bs``: decode batches up to it (per attention group) replay graphs, larger ones issue
    their kernels from the host; unset, the GPU's memory tier sets it; the record carries the limit the
    estimate ran with, SGLang's default fraction reserves 2 MiB per graphed sequence, and the launch command
    passes it in 0.5.23's spelling."""
    kw: dict[str, Any] = {
        "num_gpus": 1,
        "tp": 1,
        "input_length": 1024,
        "output_length": 256,
        "engine": "sglang",
    }
    default = plan_deployment(MODEL, H100, **kw)
    assert default.profile.graph_max_tokens == 256  # H100 (80 GiB) below TP4: SGLANG_MEMORY_TIERS
    small = plan_deployment(
        MODEL, H100, engine_options=check_engine_options({"cuda_graph_max_bs": 16}, "sglang"), **kw
    )
    assert small.profile.graph_max_tokens == 16
    assert small.step_s(16.0, 0.0, 0.0) == pytest.approx(default.step_s(16.0, 0.0, 0.0))
    assert small.step_s(64.0, 0.0, 0.0) > default.step_s(64.0, 0.0, 0.0)
    # the chunk's 12 GiB reserve lifts H100's above the 10 GiB floor: 240 fewer graphed sequences, 480 MiB
    gained = small.memory.kv_capacity_gib - default.memory.kv_capacity_gib
    # (SGLang rounds the fraction to three decimals: 0.001 of the GPU either way)
    step = 0.001 * small.memory.total_gib
    assert gained == pytest.approx(240 * 2 / 1024 * small.memory.total_gib / H100.memory_gib, abs=step)
    est = estimate_performance(
        MODEL, "H100", 1, 1, 1024, 256, 32, engine="sglang", engine_options={"cuda_graph_max_bs": 16},
        backend="native", serving_model="analytic",
    )  # fmt: skip
    assert est.cuda_graph_max_bs == 16 and _run("sglang", 4).cuda_graph_max_bs == 256
    assert _run("vllm", 4).cuda_graph_max_bs is None
    commands = serve_commands(MODEL, est)
    assert assert_valid("sglang", commands["sglang"])["--cuda-graph-max-bs-decode"] == "16"


def test_sglang_divides_its_prompt_chunk_over_attention_groups() -> None:
    """With data-parallel attention SGLang's server divides ``chunked_prefill_size`` over the groups
    (``_handle_data_parallelism``): left to the engine, each group prefills its share; a stated per-group
    budget is kept, and may be below the running cap (SGLang's prefill budget does not hold the decodes)."""
    arch = load_model("deepseek-ai/DeepSeek-R1")
    b200 = get_gpu("B200")
    kw: dict[str, Any] = {"num_gpus": 8, "tp": 8, "ep": 8, "input_length": 1024, "output_length": 256}
    whole = plan_deployment(arch, b200, engine="sglang", **kw)
    grouped = plan_deployment(arch, b200, engine="sglang", dp_attention=8, **kw)
    assert whole.max_num_batched_tokens == 16384  # B200's tier
    assert grouped.max_num_batched_tokens == 16384 // 8 and grouped.step_token_budget == 16384
    stated = plan_deployment(arch, b200, engine="sglang", dp_attention=8, max_num_batched_tokens=512, **kw)
    assert stated.max_num_batched_tokens == 512 < stated.max_num_seqs
    with pytest.raises(InvalidArgumentError, match="max_num_batched_tokens=512 is below max_num_seqs"):
        plan_deployment(arch, b200, engine="vllm", max_num_batched_tokens=512, **kw)
    # vLLM's budget is per rank as stated
    assert plan_deployment(arch, b200, engine="vllm", dp_attention=8, **kw).max_num_batched_tokens == 8192


def test_sglang_sizes_its_running_cap_from_its_kv_pool() -> None:
    """Unless stated, SGLang runs at most 512 requests per context's worth of KV pool, between 2,048 and
    4,096, never more than half the pool's tokens (``_resolve_max_num_reqs``)."""
    assert sglang_running_requests(450_000, 131_072) == 2048  # 1,757 -> the floor
    assert sglang_running_requests(3_000_000, 131_072) == 4096  # 11,718 -> the ceiling
    assert sglang_running_requests(1_000_000, 163_840) == 3125
    assert sglang_running_requests(3_000, 131_072) == 1500  # half the pool's tokens
    dep = plan_deployment(
        MODEL, H100, num_gpus=1, tp=1, input_length=1024, output_length=256, engine="sglang"
    )
    pool = sequence_capacity_tokens(dep.costs, dep.memory.kv_capacity_gib * GIB, dep.profile.block_size)
    assert dep.max_num_seqs == sglang_running_requests(pool, 131_072) == 2048
    stated = plan_deployment(
        MODEL, H100, num_gpus=1, tp=1, input_length=1024, output_length=256, engine="sglang", max_num_seqs=64
    )
    assert stated.max_num_seqs == 64
    hybrid = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    b200 = get_gpu("B200")
    assert plan_deployment(hybrid, b200, num_gpus=8, tp=8, input_length=1024, output_length=256,
                           engine="sglang").max_num_seqs == 1024  # fmt: skip


def test_sglang_data_parallel_plans_state_their_memory_fraction() -> None:
    """SGLang's own default ``mem_fraction_static`` adds ``cuda_graph_max_bs x groups x 3`` MiB (4.5 past 300)
    of data-parallel padding, which past a node exceeds the GPU; a plan without a stated fraction budgets
    without it, says what SGLang's own default would be, and its launch command states the fraction; a stated
    one is used as given."""
    arch = load_model("deepseek-ai/DeepSeek-R1")
    b200 = get_gpu("B200")
    kw: dict[str, Any] = {"num_gpus": 8, "tp": 8, "ep": 8, "input_length": 1024, "output_length": 256}
    dep = plan_deployment(arch, b200, engine="sglang", dp_attention=8, **kw)
    chunk = dep.max_num_batched_tokens * 8
    own = sglang_fraction(b200, dep.costs, dep.profile, chunk, True, data_parallel_padding=True)
    padding_mib = 512 * 8 * 3 + 512 * 8 * 1.5  # 512 graphed sequences (B200's tier) in 8 groups
    budgeted = dep.memory.gpu_memory_utilization
    assert budgeted - own == pytest.approx(padding_mib / (b200.memory_gib * 1024), abs=0.0011)
    assert any(
        f"own default mem_fraction_static with 8 attention groups is {own:g}" in w for w in dep.warnings
    )
    # 64 groups of 512 graphed sequences reserve 144 GiB of padding, more than an H100 holds
    wide = plan_deployment(
        arch, get_gpu("H100"), engine="sglang", dp_attention=64, **{**kw, "num_gpus": 64, "tp": 64, "ep": 64}
    )
    assert (
        sglang_fraction(
            wide.gpu,
            wide.costs,
            wide.profile,
            wide.max_num_batched_tokens * 64,
            True,
            data_parallel_padding=True,
        )
        < 0
    )
    assert any("leaves nothing" in w for w in wide.warnings) and wide.memory.fits
    est = estimate_performance(
        arch, "B200", 8, 8, 1024, 256, 64, engine="sglang", expert_parallel_size=8, dp_attention=8,
        backend="native", serving_model="analytic",
    )  # fmt: skip
    assert est.memory_fraction == budgeted
    assert (
        assert_valid("sglang", serve_commands(arch, est)["sglang"])["--mem-fraction-static"]
        == f"{budgeted:g}"
    )
    stated = plan_deployment(arch, b200, engine="sglang", dp_attention=8, gpu_memory_utilization=0.8, **kw)
    assert stated.memory.gpu_memory_utilization == 0.8
    assert not any("mem_fraction_static" in w for w in stated.warnings)
    # one attention group: SGLang's default is the plan's, and the command leaves it to the engine
    single = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, 8, engine="sglang", backend="native",
                                  serving_model="analytic")  # fmt: skip
    assert "--mem-fraction-static" not in serve_commands(MODEL, single)["sglang"]


# -- forming a step ahead (overlap schedulers, async scheduling) -------------------------------------
@pytest.mark.parametrize(
    ("engine", "switch"), [("sglang", "disable_overlap_schedule"), ("trtllm", "disable_overlap_scheduler")]
)
def test_an_overlap_scheduler_admits_a_busy_engines_arrival_a_step_later(engine: str, switch: str) -> None:
    """The engine forms step N+1 while N runs, so an arrival during N is prefilled in N+2 at the earliest:
    under load TTFT is about one step longer than with the switch off; a lone client, which finds the engine
    idle, sees none of it; the record says which ran."""
    loaded, off = _run(engine, 32), _run(engine, 32, {switch: True})
    assert (getattr(loaded, switch), getattr(off, switch)) == (False, True)
    assert loaded.ttft_ms is not None and off.ttft_ms is not None and loaded.itl_ms is not None
    assert 0.4 * loaded.itl_ms < loaded.ttft_ms - off.ttft_ms < 2.5 * loaded.itl_ms
    alone, alone_off = _run(engine, 1), _run(engine, 1, {switch: True})
    assert alone.ttft_ms is not None and alone_off.ttft_ms is not None
    # SGLang's serial loop also exposes its host time in the prompt's own step (one sequence sampled)
    serial_ms = SGLANG_SERIAL_STEP_MS + SGLANG_SERIAL_SEQUENCE_MS if engine == "sglang" else 0.0
    assert alone_off.ttft_ms - alone.ttft_ms == pytest.approx(serial_ms, abs=1e-6)
    # the analytic screen (identical requests) adds the same step on average, except SGLang's: its loop of
    # identical requests returns as one cohort to an idle engine (analytic._sglang_cohort), as in the simulator
    screen = estimate(MODEL, H100, input_length=922, output_length=230, concurrency=32, engine=engine,
                      serving_model="analytic")  # fmt: skip
    screen_off = estimate(MODEL, H100, input_length=922, output_length=230, concurrency=32, engine=engine,
                          serving_model="analytic", engine_options={switch: True})  # fmt: skip
    assert screen.ttft_ms is not None and screen_off.ttft_ms is not None and screen.itl_ms is not None
    if (
        engine == "sglang"
    ):  # no step later; only the serial loop's host time in each step of the cohort's train
        assert 0.0 < screen_off.ttft_ms - screen.ttft_ms < 0.01 * screen.ttft_ms
    else:
        assert 0.5 * screen.itl_ms < screen.ttft_ms - screen_off.ttft_ms < 2.0 * screen.itl_ms


def test_engines_that_run_without_the_overlap_are_planned_without_it() -> None:
    """SGLang: pipeline parallelism, a speculative draft, recurrent layers (radix cache on, no extra buffer: before
    0.5.14); TensorRT-LLM: pipeline parallelism; vLLM schedules ahead exactly where it schedules asynchronously."""
    kw: dict[str, Any] = {"input_length": 1024, "output_length": 256}
    ahead = lambda arch, **more: plan_deployment(arch, H100, **{**kw, **more}).profile.schedules_ahead  # noqa: E731
    assert ahead(MODEL, num_gpus=1, tp=1, engine="sglang") and ahead(MODEL, num_gpus=1, tp=1, engine="trtllm")
    assert not ahead(MODEL, num_gpus=2, tp=1, pp=2, engine="sglang")
    assert not ahead(MODEL, num_gpus=2, tp=1, pp=2, engine="trtllm")
    hybrid = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    assert not ahead(hybrid, num_gpus=4, tp=4, engine="sglang==0.5.13") and ahead(
        hybrid, num_gpus=4, tp=4, engine="trtllm"
    )
    # from 0.5.14 the radix-cached states take an extra buffer and the overlap stays on
    assert ahead(hybrid, num_gpus=4, tp=4, engine="sglang==0.5.14") and ahead(
        hybrid, num_gpus=4, tp=4, engine="sglang"
    )
    assert not ahead(MODEL, num_gpus=1, tp=1, engine="vllm==0.13.0") and ahead(
        MODEL, num_gpus=1, tp=1, engine="vllm==0.14.0"
    )
    off = EngineOptions(disable_overlap_schedule=True)
    assert not ahead(MODEL, num_gpus=1, tp=1, engine="sglang", engine_options=off)


def test_the_launch_commands_turn_the_overlap_off_in_the_engines_spelling() -> None:
    kw: dict[str, Any] = {"backend": "native", "serving_model": "analytic"}
    sglang = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="sglang",
                                  engine_options={"disable_overlap_schedule": True}, **kw)  # fmt: skip
    assert "--disable-overlap-schedule" in assert_valid("sglang", serve_commands(MODEL, sglang)["sglang"])
    plain = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="sglang", **kw)
    assert "--disable-overlap-schedule" not in serve_commands(MODEL, plain)["sglang"]
    trtllm = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="trtllm",
                                  engine_options={"disable_overlap_scheduler": True}, **kw)  # fmt: skip
    command = serve_commands(MODEL, trtllm)["trtllm"]
    assert_valid("trtllm", command)
    assert "disable_overlap_scheduler: true" in command
    text = (resources.files("config_explorer") / "data" / "engine_flags" / "trtllm.json").read_text("utf-8")
    assert "llm_args.py" in json.loads(text)["extra_llm_api_options_keys"]["disable_overlap_scheduler"]


def test_the_sglang_launch_command_turns_the_radix_cache_off_when_the_estimate_did() -> None:
    kw: dict[str, Any] = {"backend": "native", "serving_model": "analytic"}
    off = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="sglang",
                               engine_options={"disable_radix_cache": True}, **kw)  # fmt: skip
    assert off.disable_radix_cache is True
    assert "--disable-radix-cache" in assert_valid("sglang", serve_commands(MODEL, off)["sglang"])
    plain = estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="sglang", **kw)
    assert "--disable-radix-cache" not in serve_commands(MODEL, plain)["sglang"]
    with pytest.raises(InvalidArgumentError, match="is sglang's --disable-radix-cache"):
        estimate_performance(MODEL, "H100", 1, 1, 1024, 256, engine="vllm",
                             engine_options={"disable_radix_cache": True}, **kw)  # fmt: skip


def test_sglang_without_its_overlap_scheduler_pays_its_loops_host_time() -> None:
    """--disable-overlap-schedule (and a recurrent model with the radix cache, a draft, pipeline stages)
    exposes the scheduler loop's host time the overlap scheduler hid: a fixed time per step and a time per
    running sequence; vLLM and TensorRT-LLM profiles are not touched by it."""
    arch, gpu = load_model("meta-llama/Llama-3.1-8B-Instruct"), get_gpu("H100")
    common = {"num_gpus": 1, "tp": 1, "input_length": 1000, "output_length": 200, "engine": "sglang"}
    overlap = plan_deployment(arch, gpu, **common)
    serial = plan_deployment(arch, gpu, **common, engine_options=EngineOptions(disable_overlap_schedule=True))
    assert serial.profile.step_overhead_ms == pytest.approx(
        overlap.profile.step_overhead_ms + SGLANG_SERIAL_STEP_MS
    )
    for seqs in (1, 64):
        extra = serial.step_cost.time(seqs, seqs * 1100, 0, 0, 0, 0, seqs) - overlap.step_cost.time(
            seqs, seqs * 1100, 0, 0, 0, 0, seqs
        )
        assert extra * 1e3 == pytest.approx(
            SGLANG_SERIAL_STEP_MS + seqs * SGLANG_SERIAL_SEQUENCE_MS, rel=1e-6
        )
    next_arch = load_model("Qwen/Qwen3-Next-80B-A3B-Instruct")
    common = {**common, "engine": "sglang==0.5.12"}  # before the extra buffer kept the overlap on for it
    hybrid = plan_deployment(next_arch, get_gpu("B200"), **{**common, "num_gpus": 8, "tp": 8})
    assert not hybrid.profile.overlap_scheduler
    assert hybrid.profile.step_overhead_ms == pytest.approx(
        overlap.profile.step_overhead_ms + SGLANG_SERIAL_STEP_MS
    )
    # without the radix cache SGLang keeps the overlap for such a model (_handle_mamba_radix_cache, 0.5.12)
    no_radix = EngineOptions(disable_radix_cache=True)
    kept = plan_deployment(
        next_arch, get_gpu("B200"), **{**common, "num_gpus": 8, "tp": 8}, engine_options=no_radix
    )
    assert kept.profile.overlap_scheduler
    assert kept.profile.step_overhead_ms == pytest.approx(overlap.profile.step_overhead_ms)


def test_vllm_without_deep_gemm_runs_block_fp8_linears_on_cutlass() -> None:
    """vLLM 0.10.2-0.19 on Hopper, a block-scaled FP8 checkpoint, DeepGEMM absent: the linear layers take CUTLASS's
    blockwise kernel (slower at decode batches, with a pad and a quantization kernel each); DeepGEMM (the
    default), another release, another GPU family, engine or checkpoint format leave the step as it was."""
    r1 = load_model("deepseek-ai/DeepSeek-R1")

    def plan(engine: str = "vllm==0.11.0", gpu: str = "H200", **options: bool) -> Any:
        return plan_deployment(
            r1, get_gpu(gpu), num_gpus=8, tp=8, input_length=1024, output_length=256, engine=engine,
            engine_options=EngineOptions(**options),
        )  # fmt: skip

    def step_ms(dep: Any, seqs: int) -> float:
        return 1e3 * float(dep.step_cost.time(seqs, seqs * 1200, 0, 0, 0, 0, seqs))

    assert plan().costs.quantized_linears == 61 * 3 + 2 * (3 + 58)  # MLA's three, dense and shared MLPs' two
    with_dg, without = plan(), plan(deep_gemm=False)
    assert with_dg.rates.quantized_linear_bandwidth == 0.0 < without.rates.quantized_linear_bandwidth
    assert step_ms(without, 4) > step_ms(with_dg, 4) + 3.0  # ms: latency-bound linears at a decode batch
    assert any("DeepGEMM" in w for w in without.warnings) and not any(
        "DeepGEMM" in w for w in with_dg.warnings
    )
    # the kernel came with v0.10.2 (PR #23280): a release compared to its patch number
    assert plan("vllm==0.10.2", deep_gemm=False).rates.quantized_linear_bandwidth > 0.0
    for unchanged in (
        plan("vllm==0.10.1", deep_gemm=False),  # Triton's block-FP8 GEMM before it
        plan("vllm==0.24.0", deep_gemm=False),  # FlashInfer's and DeepGEMM's kernels ship with it
        plan(gpu="B200", deep_gemm=False),
        plan("vllm==0.11.0", deep_gemm=True),
    ):
        assert unchanged.rates.quantized_linear_bandwidth == 0.0
    bf16 = plan_deployment(
        load_model("meta-llama/Llama-3.1-8B-Instruct"), get_gpu("H200"), num_gpus=1, tp=1, input_length=1024,
        output_length=256, engine="vllm==0.11.0", engine_options=EngineOptions(deep_gemm=False),
    )  # fmt: skip
    assert bf16.rates.quantized_linear_bandwidth == 0.0
    _assert_reported_and_owned("deep_gemm", False, r1, "H200", 8, "vllm==0.11.0", other="sglang")
    with pytest.raises(InvalidArgumentError, match="deep_gemm"):
        check_engine_options({"deep_gemm": "no"}, "vllm")


def test_tensorrt_llm_runs_steps_that_carry_a_prompt_eagerly_unless_it_is_a_tensorrt_engine() -> None:
    """The PyTorch backend replays graphs for generation-only steps alone: a step carrying a prompt is issued
    from Python ahead of the GPU, so it lasts the longer of the host's issue time and the GPU's work (a small
    prompt: the host's; a large one: the GPU's). A TensorRT engine issues nothing from Python."""
    from config_explorer.engine.calibration import TRTLLM_EAGER_KERNEL_US
    from config_explorer.engine.roofline import issued_kernels

    arch, gpu = load_model("openai/gpt-oss-120b"), get_gpu("B200")

    def step_ms(tokens: int, **options: bool) -> float:
        dep = plan_deployment(
            arch, gpu, num_gpus=2, tp=2, input_length=1024, output_length=1024, engine="trtllm",
            engine_options=EngineOptions(**options),
        )  # fmt: skip
        pairs, windowed = dep.step_cost.prefill_pairs([(tokens, 0)])
        return 1e3 * float(dep.step_cost.time(4, 4000, 0, tokens, pairs, windowed, 5))

    dep = plan_deployment(arch, gpu, num_gpus=2, tp=2, input_length=1024, output_length=1024, engine="trtllm")
    assert not dep.profile.prefill_in_graphs and dep.profile.eager_overlaps
    host_ms = issued_kernels(dep.costs) * TRTLLM_EAGER_KERNEL_US * 1e-3
    engine_small, engine_large = step_ms(886, tensorrt_engine=True), step_ms(8192, tensorrt_engine=True)
    assert engine_small < host_ms  # the GPU's work on 886 prompt tokens is shorter than the host's issue
    assert step_ms(886) == pytest.approx(host_ms, rel=0.02)  # the host sets the small step
    assert step_ms(8192) == pytest.approx(max(engine_large, host_ms), rel=0.05)  # the GPU sets the large one
    _assert_reported_and_owned("tensorrt_engine", True, arch, "B200", 2, "trtllm", other="vllm")


def _assert_reported_and_owned(
    name: str, value: bool, arch: Any, gpu: str, gpus: int, engine: str, other: str
) -> None:
    """An engine option a record reports as it ran, and that another engine refuses by name."""
    record = estimate_performance(
        arch, gpu, gpus, gpus, 1024, 256, 4, engine=engine, engine_options={name: value}, backend="native",
        serving_model="analytic",
    )  # fmt: skip
    assert getattr(record, name) is value
    with pytest.raises(InvalidArgumentError, match=name):
        check_engine_options({name: value}, other)


def _vllm(engine: str = "vllm", **options: str) -> Any:
    return estimate(
        MODEL, H100, num_gpus=1, tp=1, engine=engine, engine_options=options or None, traffic=_traffic(8, 80)
    )


def test_vllms_cudagraph_mode_sets_how_decode_steps_replay() -> None:
    """``--compilation-config '{"cudagraph_mode": ...}'``: PIECEWISE replays decode steps in piecewise graphs, each
    layer's attention eager between them, where 0.11's default (FULL_AND_PIECEWISE) replays one full graph; 0.10.2,
    PIECEWISE by default, takes FULL_AND_PIECEWISE as stated. The record says which mode ran; the launch command names
    the mode only where it is not the release's own."""
    default, piecewise, full = (
        _vllm(),
        _vllm(cudagraph_mode="piecewise"),
        _vllm(cudagraph_mode="FULL_AND_PIECEWISE"),
    )
    assert (default.cudagraph_mode, piecewise.cudagraph_mode, full.cudagraph_mode) == (
        "FULL_AND_PIECEWISE",
        "PIECEWISE",
        "FULL_AND_PIECEWISE",
    )
    assert piecewise.itl_ms > default.itl_ms == full.itl_ms
    old = _vllm("vllm==0.10.2")
    assert old.cudagraph_mode == "PIECEWISE"
    assert _vllm("vllm==0.10.2", cudagraph_mode="FULL_AND_PIECEWISE").itl_ms < old.itl_ms
    # the split each decode step pays: one eager attention op per layer
    base = plan_deployment(MODEL, H100, num_gpus=1, tp=1, input_length=1000, output_length=500, engine="vllm")
    split = plan_deployment(
        MODEL, H100, num_gpus=1, tp=1, input_length=1000, output_length=500, engine="vllm",
        engine_options=check_engine_options({"cudagraph_mode": "PIECEWISE"}, "vllm"),
    )  # fmt: skip
    extra = split.step_s(8, 0, 0) - base.step_s(8, 0, 0)
    assert extra == pytest.approx(
        base.costs.attention_kernels * base.profile.piecewise_split_us * 1e-6, rel=1e-6
    )
    commands = {
        mode: serve_commands(MODEL, record)["vllm"]
        for mode, record in (("default", default), ("piecewise", piecewise), ("full", full))
    }
    assert_valid("vllm", commands["piecewise"])
    assert """--compilation-config '{"cudagraph_mode": "PIECEWISE"}'""" in commands["piecewise"]
    assert (
        "--compilation-config" not in commands["default"] and "--compilation-config" not in commands["full"]
    )
    assert (
        "--compilation-config"
        in serve_commands(MODEL, _vllm("vllm==0.10.2", cudagraph_mode="FULL_AND_PIECEWISE"))["vllm"]
    )


@pytest.mark.parametrize(
    ("engine", "options", "named"),
    [
        ("vllm", {"cudagraph_mode": "NONE"}, "enforce_eager"),
        ("vllm", {"cudagraph_mode": "FULL_DECODE_ONLY"}, "FULL_DECODE_ONLY"),
        ("vllm", {"cudagraph_mode": "graphs"}, "'graphs'"),
        ("vllm", {"cudagraph_mode": "PIECEWISE", "enforce_eager": True}, "enforce_eager"),
        ("vllm==0.6.3", {"cudagraph_mode": "PIECEWISE"}, "0.10.1"),
        ("sglang", {"cudagraph_mode": "PIECEWISE"}, "vllm"),
    ],
)
def test_a_cudagraph_mode_the_engine_cannot_plan_is_refused_by_name(
    engine: str, options: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        plan_deployment(
            MODEL, H100, num_gpus=1, tp=1, input_length=100, output_length=100, engine=engine,
            engine_options=check_engine_options(options, engine.split("==")[0]),
        )  # fmt: skip

"""TensorRT-LLM's attention-DP balance (``attention_dp_config.enable_balance``): context requests wait while some
attention-DP rank has none, so the ranks prefill in the same iterations; the options, the launch command that asks
for it, and how the accuracy script reads it off a published launch."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from tests.benchmark_scripts import load_benchmark
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.serve_command import serve_command

R1 = load_model("deepseek-ai/DeepSeek-R1")
#: InferenceX's DeepSeek-R1 H200 TensorRT-LLM recipe's balance (dsr1_fp8_h200_trt_slurm.sh)
RECIPE = {
    "attention_dp_enable_balance": True,
    "attention_dp_timeout_iters": 60,
    "attention_dp_batching_wait_iters": 0,
}


def _estimate(options: dict[str, Any] | None, *, dp_attention: int = 8) -> Any:
    """DeepSeek-R1 on eight H200s, experts over eight ranks, a closed loop of 64 clients sending prompts of 6,554-8,192
    tokens (as InferenceX's --random-range-ratio 0.8 draws them) for 820-1,024 output tokens."""
    traffic = Traffic(
        input_lengths=Lengths.uniform(6554, 8192),
        output_lengths=Lengths.uniform(820, 1024),
        arrival="closed_loop",
        concurrency=64,
        num_requests=320,
    )
    return estimate_performance(
        "deepseek-ai/DeepSeek-R1", "H200", 8, 8, 8192, 1024, engine="trtllm", expert_parallel_size=8,
        dp_attention=dp_attention, traffic=traffic, engine_options=options, backend="native",
    )  # fmt: skip


def test_the_ranks_prefill_together_and_decode_more() -> None:
    """Long prompts at a steady load: without the balance each rank's new prompt holds every rank's decodes up in a
    step of its own; with it the ranks wait for each other and prefill side by side, so more tokens come out a second
    and between tokens less time passes, at the cost of the prompts' wait."""
    plain, balanced = _estimate(None), _estimate(RECIPE)
    assert plain.ok and balanced.ok
    assert balanced.output_throughput_tok_s > 1.08 * plain.output_throughput_tok_s
    assert balanced.tpot_ms < plain.tpot_ms
    assert balanced.ttft_ms > plain.ttft_ms
    assert balanced.attention_dp_enable_balance and not plain.attention_dp_enable_balance
    assert (balanced.attention_dp_timeout_iters, balanced.attention_dp_batching_wait_iters) == (60, 0)
    # TensorRT-LLM's defaults (50 iterations, then 10 more to batch) hold the prompts longer still
    defaults = _estimate({"attention_dp_enable_balance": True})
    assert defaults.ttft_ms > balanced.ttft_ms


def test_a_timeout_of_one_iteration_without_batching_is_no_balance() -> None:
    plain = _estimate(None)
    prompt = _estimate(
        {
            "attention_dp_enable_balance": True,
            "attention_dp_timeout_iters": 1,
            "attention_dp_batching_wait_iters": 0,
        }
    )
    assert prompt.output_throughput_tok_s == pytest.approx(plain.output_throughput_tok_s)
    assert prompt.ttft_ms == pytest.approx(plain.ttft_ms)


def test_without_attention_dp_it_changes_nothing_and_says_so() -> None:
    plain, asked = _estimate(None, dp_attention=1), _estimate(RECIPE, dp_attention=1)
    assert asked.output_throughput_tok_s == pytest.approx(plain.output_throughput_tok_s)
    assert any("attention_dp_enable_balance has no effect without attention DP" in w for w in asked.warnings)


def test_the_options_are_tensorrt_llm_s_and_checked() -> None:
    with pytest.raises(InvalidArgumentError, match=r"is trtllm's attention_dp_config\.enable_balance"):
        check_engine_options({"attention_dp_enable_balance": True}, "sglang")
    with pytest.raises(InvalidArgumentError, match="attention_dp_timeout_iters must be an integer"):
        check_engine_options({"attention_dp_timeout_iters": -1}, "trtllm")
    checked = check_engine_options({"attention_dp_enable_balance": True}, "trtllm")
    assert (checked.attention_dp_timeout_iters, checked.attention_dp_batching_wait_iters) == (50, 10)


def test_the_analytic_screen_says_it_does_not_model_it() -> None:
    est = estimate_performance(
        "deepseek-ai/DeepSeek-R1", "H200", 8, 8, 8192, 1024, engine="trtllm", expert_parallel_size=8,
        dp_attention=8, concurrency=64, engine_options=RECIPE, backend="native", serving_model="analytic",
    )  # fmt: skip
    assert any("attention-DP balance" in w for w in est.warnings)


def test_the_launch_command_writes_attention_dp_config() -> None:
    """The options file carries the balance as TensorRT-LLM's AttentionDpConfig, whose keys the flag data cites from
    llm_args.py."""
    est = estimate_performance(
        "deepseek-ai/DeepSeek-R1", "H200", 8, 8, 8192, 1024, engine="trtllm", expert_parallel_size=8,
        dp_attention=8, concurrency=64, engine_options=RECIPE, backend="native", serving_model="analytic",
    )  # fmt: skip
    command = serve_command(R1, est, "trtllm")
    assert_valid("trtllm", command)
    assert (
        "attention_dp_config:\\n  enable_balance: true\\n  timeout_iters: 60\\n  batching_wait_iters: 0"
        in command
    )
    text = (resources.files("config_explorer") / "data" / "engine_flags" / "trtllm.json").read_text("utf-8")
    keys = json.loads(text)["extra_llm_api_options_keys"]
    for key in ("enable_balance", "timeout_iters", "batching_wait_iters"):
        assert "llm_args.py" in keys[f"attention_dp_config.{key}"]


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        (
            "extra_llm_api_options with attention_dp_config(batching_wait_iters=0,enable_balance=true,timeout_iters=60)",
            RECIPE,
        ),
        (
            "llm_options.yml: attention_dp_config {batching_wait_iters: 0, enable_balance: true, timeout_iters: 60}",
            RECIPE,
        ),
        ("attention_dp_config {enable_balance: false, timeout_iters: 60}", {}),
        ("enable_attention_dp: true", {}),
    ],
)
def test_the_accuracy_script_reads_the_balance_off_a_launch(notes: str, expected: dict[str, Any]) -> None:
    assert load_benchmark("accuracy").trtllm_balance_options("trtllm", notes) == expected
    assert load_benchmark("accuracy").trtllm_balance_options("sglang", notes) == {}

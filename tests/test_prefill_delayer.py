"""SGLang's prefill delayer (``--enable-prefill-delayer``): data-parallel attention groups that have prompts to admit
wait while another group has none, so the groups prefill in the same lockstep steps; the refusals SGLang asserts at
start-up; and the launch command that asks for it."""

from __future__ import annotations

from typing import Any

import pytest
from tests.test_serve_command_flags import assert_valid

from config_explorer import load_model
from config_explorer.catalogs.gpus import get_gpu
from config_explorer.engine.calibration import SGLANG_PREFILL_DELAYER_PASSES
from config_explorer.engine.deployment import plan_deployment
from config_explorer.engine.options import check_engine_options
from config_explorer.engine.traffic import Lengths, Traffic
from config_explorer.errors import InvalidArgumentError
from config_explorer.recommender.performance import estimate_performance
from config_explorer.recommender.serve_command import serve_command

V3 = load_model("deepseek-ai/DeepSeek-V3")
H200 = get_gpu("H200")


def _traffic(concurrency: int) -> Traffic:
    """A closed loop of prompts and outputs within 20% of 8,192 and 1,024 tokens, whose requests finish and come back
    at scattered times, as a benchmark client's do."""
    return Traffic(
        input_lengths=Lengths.vllm_random(8192, 0.2),
        output_lengths=Lengths.vllm_random(1024, 0.2),
        arrival="closed_loop",
        concurrency=concurrency,
        num_requests=4 * concurrency,
    )


def _estimate(delayer: bool | None, *, concurrency: int = 64, passes: int | None = None) -> Any:
    options: dict[str, Any] | None = None if delayer is None else {"enable_prefill_delayer": delayer}
    if options is not None and passes is not None:
        options["prefill_delayer_max_delay_passes"] = passes
    return estimate_performance(
        "deepseek-ai/DeepSeek-V3",
        "H200",
        8,
        8,
        8192,
        1024,
        backend="native",
        engine="sglang==0.5.12",
        dp_attention=8,
        max_num_batched_tokens=2048,
        engine_options=options,
        traffic=_traffic(concurrency),
    )


def test_the_groups_prefill_together_and_decode_more() -> None:
    """Long prompts at a high closed-loop load: without the delayer each group's newly arrived prompt holds every
    group's decodes up in a step of its own; with it the groups wait and prefill side by side, so more tokens come
    out a second and between tokens less time passes, at the cost of the prompts' wait."""
    plain, delayed = _estimate(None), _estimate(True)
    assert plain.ok and delayed.ok
    assert delayed.output_throughput_tok_s > 1.2 * plain.output_throughput_tok_s
    assert delayed.itl_ms < plain.itl_ms
    assert delayed.ttft_ms > plain.ttft_ms
    assert delayed.enable_prefill_delayer and not plain.enable_prefill_delayer
    assert delayed.prefill_delayer_max_delay_passes == SGLANG_PREFILL_DELAYER_PASSES


def test_one_pass_of_waiting_is_no_delayer() -> None:
    """``--prefill-delayer-max-delay-passes 1`` lets every pass admit: the same run as without the delayer."""
    plain, one = _estimate(None), _estimate(True, passes=1)
    assert one.output_throughput_tok_s == pytest.approx(plain.output_throughput_tok_s)
    assert one.ttft_ms == pytest.approx(plain.ttft_ms)


def test_a_lone_request_is_never_held() -> None:
    """At one request at a time nothing decodes while its prompt waits: the delayer holds nothing back."""
    plain, delayed = _estimate(None, concurrency=1), _estimate(True, concurrency=1)
    assert delayed.ttft_ms == pytest.approx(plain.ttft_ms)


@pytest.mark.parametrize(
    ("engine", "options", "dp_attention", "message"),
    [
        ("sglang==0.5.12", {}, 1, "dp_attention=1: it needs data-parallel attention"),
        ("sglang==0.5.7", {}, 8, "from 0.5.8; 0.5.7 has none"),
        ("sglang==0.5.12", {"disable_overlap_schedule": True}, 8, "overlap schedule"),
    ],
)
def test_sglang_refusals_are_named(
    engine: str, options: dict[str, Any], dp_attention: int, message: str
) -> None:
    checked = check_engine_options({"enable_prefill_delayer": True, **options}, "sglang")
    with pytest.raises(InvalidArgumentError, match=message):
        plan_deployment(
            V3, H200, num_gpus=8, tp=8, dp_attention=dp_attention, engine=engine, engine_options=checked,
            input_length=1024, output_length=256,
        )  # fmt: skip


def test_only_sglang_has_it() -> None:
    with pytest.raises(InvalidArgumentError, match="is sglang's --enable-prefill-delayer"):
        check_engine_options({"enable_prefill_delayer": True}, "vllm")


def test_the_launch_command_asks_for_it() -> None:
    """SGLang's command carries the switch, and the passes where they are not its default; both are flags of the
    release the flag list was read from."""
    for passes, printed in ((SGLANG_PREFILL_DELAYER_PASSES, False), (50, True)):
        est = estimate_performance(
            "deepseek-ai/DeepSeek-V3", "H200", 8, 8, 1024, 256, backend="native", serving_model="analytic",
            engine="sglang", dp_attention=8, concurrency=64,
            engine_options={"enable_prefill_delayer": True, "prefill_delayer_max_delay_passes": passes},
        )  # fmt: skip
        command = serve_command(V3, est, "sglang")
        options = assert_valid("sglang", command)
        assert "--enable-prefill-delayer" in options
        assert ("--prefill-delayer-max-delay-passes" in options) is printed


def test_the_analytic_screen_says_it_does_not_model_it() -> None:
    """The closed-form screen admits prompts as they come: an estimate that asks for the delayer says so, and one
    that does not carries no such warning."""
    warned = []
    for options in (None, {"enable_prefill_delayer": True}):
        est = estimate_performance(
            "deepseek-ai/DeepSeek-V3", "H200", 8, 8, 1024, 256, backend="native", serving_model="analytic",
            engine="sglang", dp_attention=8, concurrency=64, engine_options=options,
        )  # fmt: skip
        warned.append(any("prefill delayer" in w for w in est.warnings))
    assert warned == [False, True]

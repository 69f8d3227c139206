"""Fuzz the command line: any argument list ends in valid output (exit 0) or one clean error line (exit 2).

What counts as either is in ``tests/cli_fuzzing.py``; the argument space is in ``tests/strategies.py``. Each test is
bounded (60 examples at most, derandomized: the CI profile in conftest.py) and each call stopped after
20 s, so a hang fails the test instead of stalling it. ``benchmarks/fuzz_cli.py`` draws thousands.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from tests.cli_fuzzing import Outcome, run_cli
from tests.strategies import closed_loop_argv, estimate_argv, other_argv, recommend_argv

#: seconds one call may take before it counts as a hang
CALL_LIMIT_S = 20


def _assert_clean(argv: list[str], outcome: Outcome) -> None:
    assert outcome.kind in ("ok", "error"), f"{outcome.group}: {outcome.detail}\nargv: {argv}"


@settings(max_examples=60, deadline=None)
@given(estimate_argv())
def test_estimate_arguments_end_cleanly(argv: list[str]) -> None:
    _assert_clean(argv, run_cli(argv, CALL_LIMIT_S))


@settings(max_examples=60, deadline=None)
@given(recommend_argv())
def test_recommend_arguments_end_cleanly(argv: list[str]) -> None:
    _assert_clean(argv, run_cli(argv, CALL_LIMIT_S))


@settings(max_examples=60, deadline=None)
@given(other_argv())
def test_other_subcommands_end_cleanly(argv: list[str]) -> None:
    _assert_clean(argv, run_cli(argv, CALL_LIMIT_S))


@settings(max_examples=40, deadline=None)
@given(closed_loop_argv())
def test_closed_loop_estimates_obey_little_law(argv: list[str]) -> None:
    """Output tok/s = concurrency x output / E2E on every record (analytic exactly, simulated as a bound)."""
    outcome = run_cli(argv, CALL_LIMIT_S)
    assert outcome.kind == "ok", f"{outcome.group}: {outcome.detail}\nargv: {argv}"


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--model=Qwen/Qwen3-8B", "--gpu=H100", "--workload=chat", "--concurrency=64", "--json"],
        [
            "estimate",
            "--model=Qwen/Qwen3-8B",
            "--gpu=H100",
            "--workload=chat",
            "--concurrency=64",
            "--serving-model=analytic",
            "--json",
        ],
        ["recommend", "--model=Qwen/Qwen3-8B", "--gpus", "H100", "--workload=chat", "--max-gpus=2", "--json"],
        ["estimate", "--model=Qwen/Qwen3-8B", "--gpu=L40S", "--workload=chat", "--sweep", "--json"],
    ],
)
def test_valid_runs_are_ok_and_obey_little_law(argv: list[str]) -> None:
    """The judge's checks (strict JSON, Little's law on every record) pass on known-good runs."""
    outcome = run_cli(argv, CALL_LIMIT_S)
    assert outcome.kind == "ok", f"{outcome.group}: {outcome.detail}"


def test_the_judge_catches_a_bad_outcome() -> None:
    """A broken record is reported, so a passing fuzz run means something."""
    from tests.cli_fuzzing import _little_law

    record = {
        "concurrency": 8,
        "output_length": 100,
        "output_throughput_tok_s": 6 * 8 * 100 / 10.0,
        "e2e_latency_s": 10.0,
        "serving_model": "analytic",
    }
    assert _little_law(record) is not None
    assert _little_law({**record, "output_throughput_tok_s": 8 * 100 / 10.0}) is None


def test_the_judge_catches_every_layout_rejected_for_one_argument() -> None:
    """What an argument error looked like before the boundary: exit 0, every layout rejected alike."""
    from tests.cli_fuzzing import _judge

    text = (
        "no configuration fits and meets the constraints\nrejected 3 layouts (unknown precision 'fp7': 3)\n"
    )
    assert _judge(["recommend"], 0, text, "", []).kind == "bad"
    doc = '{"ranked": [], "rejected": [{"rejected_reason": "unknown engine"}, {"rejected_reason": "unknown engine"}]}'
    assert _judge(["recommend", "--json"], 0, doc, "", []).kind == "bad"
    bound = (
        "no configuration fits\nrejected 3 layouts (a closed loop of 100,000 clients puts 50,000 on ...: 1, "
        "a closed loop of 100,000 clients puts 100,000 ...: 2)\n"
    )
    assert _judge(["recommend"], 0, bound, "", []).kind == "bad"
    answer = "no configuration fits\nrejected 3 layouts (does not fit: 3)\n"
    assert _judge(["recommend"], 0, answer, "", []).kind == "ok"
    assert _judge(["gpus", "--json"], 0, '{"x": NaN}', "", []).group == "not strict JSON"
    assert _judge(["gpus"], 2, "", "error one\nerror two\n", []).kind == "bad"
